//! Reaching the peers that `scripts/test.sh` installs (moto, Python clients); a missing peer fails
//! the test, never skips it. Running the `phantom` binary is `util::run`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use super::run::{Phantom, Run, TempDir};

/// A peer installed by scripts/test.sh; a missing one fails the test (peers are never skipped).
pub fn peer(var: &str) -> String {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{var} is not set: run the tests with ./scripts/test.sh, which installs and starts the peers"
        ),
    }
}

/// Runs a peer's command to the end on a blocking thread (so an in-process server on the test's
/// runtime keeps answering it) and returns what it wrote.
pub async fn output(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("the peer runs"))
        .await
        .unwrap()
}

/// The shared moto server started by scripts/test.sh.
pub fn moto_url() -> String {
    peer("PHANTOM_TEST_MOTO_URL")
}

/// The test venv's Python.
pub fn python() -> String {
    peer("PHANTOM_TEST_PYTHON")
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A moto server of this test's own (for tests that change its global settings), stopped on drop.
pub struct Moto {
    pub url: String,
    child: Child,
}

impl Moto {
    pub fn start(env: &[(&str, &str)]) -> Moto {
        let python = PathBuf::from(python());
        let server = python.parent().unwrap().join("moto_server");
        let port = free_port();
        let mut cmd = Command::new(server);
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start moto_server");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { url, child }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}-{:x}", std::process::id(), fastrand::u32(..))
}

/// `phantom ARGS` with only `env` (plus `PATH` and a scratch `HOME`), input empty, bounded.
pub fn phantom(args: &[&str], env: &[(&str, &str)]) -> Run {
    Phantom::new(args).envs(env).run()
}

/// What every boto3 script starts with: an Auto Scaling client `c` for the endpoint and keys of
/// the environment, and `expect_error(code, fn, **kwargs)`, which calls `fn`, requires it to fail
/// with error `code` and prints `code: message`.
const BOTO3_PRELUDE: &str = r#"
import os, sys
import boto3, botocore.exceptions
c = boto3.client("autoscaling", endpoint_url=os.environ["PHANTOM_ENDPOINT"], region_name="us-east-1",
                 aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                 aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])

def expect_error(code, fn, **kwargs):
    try:
        fn(**kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        if got != code:
            sys.exit(f"expected {code}, got {got}: {e}")
        print(f"{got}: {e.response['Error']['Message']}")
        return
    sys.exit(f"expected {code}, the call succeeded")
"#;

/// Runs a boto3 script ([`BOTO3_PRELUDE`], `prelude`, then `script`) against the endpoint at
/// `url`, signed with `creds` and no shared config (plus `env`), and returns its stdout lines; a
/// failed script fails the test with its output.
pub async fn boto3_script(
    url: &str,
    creds: &phantom_autoscale::Credentials,
    prelude: &str,
    script: &str,
    env: &[(&str, &std::ffi::OsStr)],
) -> Vec<String> {
    let mut cmd = Command::new(peer("PHANTOM_TEST_PYTHON"));
    cmd.arg("-c")
        .arg(format!("{BOTO3_PRELUDE}\n{prelude}\n{script}"))
        .env("PHANTOM_ENDPOINT", url)
        .env("AWS_ACCESS_KEY_ID", creds.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", creds.secret_access_key().expose())
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .envs(env.iter().copied());
    let out = output(cmd).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "boto3 failed:\n{stdout}\n{stderr}");
    stdout.lines().map(str::to_string).collect()
}
