//! `phantom serve --region R --account-id N`: the flags reach the ARNs the endpoint hands out
//! (through the real binary, over HTTP), and a bad account id is refused at start.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `phantom serve --no-auth` with `args`; returns the child and the URL its banner names.
fn serve(args: &[&str]) -> (Serve, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_phantom"))
        .args(["serve", "--listen", "127.0.0.1:0", "--no-auth"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("phantom serve starts");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let serve = Serve(child);
    for _ in 0..10 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(i) = line.find("http://127.0.0.1:") {
            let url = line[i..]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches([',', ';', ')'])
                .to_string();
            std::thread::spawn(move || for _ in reader.lines() {});
            return (serve, url);
        }
    }
    panic!("no URL in the banner of phantom serve {args:?}");
}

async fn call(url: &str, form: &str) -> String {
    let reply = reqwest::Client::new()
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("Version=2011-01-01&{form}"))
        .send()
        .await
        .expect("request sent");
    assert_eq!(reply.status(), 200);
    reply.text().await.expect("body")
}

#[tokio::test]
async fn region_and_account_id_flags_name_the_arns() {
    let (_serve, url) = serve(&["--region", "ap-south-2", "--account-id", "000011112222"]);
    call(
        &url,
        "Action=CreateLaunchConfiguration&LaunchConfigurationName=lc&ImageId=ami-1&InstanceType=m1.small",
    )
    .await;
    let body = call(&url, "Action=DescribeLaunchConfigurations").await;
    assert!(
        body.contains(
            "<LaunchConfigurationARN>arn:aws:autoscaling:ap-south-2:000011112222:launchConfiguration:"
        ),
        "{body}"
    );
}

#[test]
fn a_bad_account_id_is_refused_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_phantom"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-auth",
            "--account-id",
            "1234",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("phantom runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("account id must be 12 digits"), "{stderr}");
}
