//! `phantom serve --region R --account-id N`: the flags reach the ARNs the endpoint hands out
//! (through the real binary, over HTTP), and a bad account id is refused at start.

use std::process::{Command, Stdio};

use crate::util::serve::Served;

/// Starts `phantom serve --no-auth` with `args`; returns the child and the URL its banner names.
fn serve(args: &[&str]) -> (Served, String) {
    let served = Served::start(&[&["--no-auth"], args].concat());
    let url = served.url.clone();
    (served, url)
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
