//! Interop: boto3, boto 2.49 and the AWS CLI v1 run the seed's session against the in-process
//! endpoint with SigV4 and real keys. The peers come from the venvs `scripts/test.sh` creates,
//! named by `PHANTOM_TEST_PYTHON` and `PHANTOM_TEST_AWS`; without them these tests fail (they never
//! pass silently).

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use crate::util::peers::{output as run, peer};
use phantom_autoscale::Credentials;
use phantom_autoscale::server::{RunningServer, ServeOptions, start};

fn key() -> Credentials {
    Credentials::new("AKIDINTEROP000000001", "interop/secret+key=")
}

async fn server() -> RunningServer {
    start(ServeOptions {
        keys: vec![key()],
        launch_delay: Duration::from_millis(200),
        terminate_delay: Duration::from_millis(200),
        ..ServeOptions::default()
    })
    .await
    .unwrap()
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(name)
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_runs_the_seed_session() {
    let python = peer("PHANTOM_TEST_PYTHON");
    let server = server().await;
    let mut cmd = Command::new(python);
    cmd.arg(script("boto3_session.py"))
        .env("PHANTOM_ENDPOINT", server.url())
        .env("AWS_ACCESS_KEY_ID", key().access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", key().secret_access_key().expose())
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    let out = run(cmd).await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "boto3 failed:\n{stdout}\n{stderr}");
    let want = [
        "created testlc1@hotel",
        "ClientError AlreadyExists",
        "launch configurations: testlc1@hotel",
        "using LaunchConfiguration:testlc1",
        "ClientError ValidationError",
        "testDomain1",
        "    testlc1 : 1",
        "        hotel : Healthy InService",
        "instances: 1 testDomain1",
        "desired 2 instances 2",
        "activities 2",
        "deleting testDomain1",
        "left 0",
    ];
    assert_eq!(stdout.lines().collect::<Vec<_>>(), want, "{stderr}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto2_runs_the_seed_session_unpatched() {
    let python = peer("PHANTOM_TEST_PYTHON");
    let server = server().await;
    let mut cmd = Command::new(python);
    cmd.arg(script("boto2_session.py"))
        .env("PHANTOM_PORT", server.addr.port().to_string())
        .env("EC2_ACCESS_KEY", key().access_key_id())
        .env("EC2_SECRET_KEY", key().secret_access_key().expose())
        .env("BOTO_CONFIG", "/dev/null")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let out = run(cmd).await;
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "boto 2 failed:\n{stdout}\n{stderr}");
    let want = [
        "testlc1@hotel",
        "using LaunchConfiguration:testlc1",
        "testDomain1",
        "    testlc1 : 1",
        "    Instances:",
        "    ---------",
        "        hotel : Healthy",
        "instances: 1 testDomain1",
        "deleting testDomain1",
        "left 0",
    ];
    assert_eq!(stdout.lines().collect::<Vec<_>>(), want, "{stderr}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_runs_the_seed_session() {
    let aws = peer("PHANTOM_TEST_AWS");
    let server = server().await;
    let url = server.url();
    let call = |args: &[&str]| {
        let mut cmd = Command::new(&aws);
        cmd.args(["autoscaling", "--endpoint-url", &url, "--output", "json"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", key().access_key_id())
            .env("AWS_SECRET_ACCESS_KEY", key().secret_access_key().expose())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        cmd
    };
    let ok = |out: Output| -> serde_json::Value {
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "aws failed:\n{stdout}\n{stderr}");
        if stdout.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&stdout).expect("JSON output")
        }
    };
    let lc = [
        "create-launch-configuration",
        "--launch-configuration-name",
        "testlc1@hotel",
        "--image-id",
        "hello-phantom.gz",
        "--instance-type",
        "m1.small",
    ];
    ok(run(call(&lc)).await);
    let dup = run(call(&lc)).await;
    assert!(!dup.status.success());
    assert!(text(&dup).1.contains("AlreadyExists"), "{}", text(&dup).1);
    ok(run(call(&[
        "create-auto-scaling-group",
        "--auto-scaling-group-name",
        "testDomain1",
        "--launch-configuration-name",
        "testlc1",
        "--min-size",
        "1",
        "--max-size",
        "2",
        "--desired-capacity",
        "1",
    ]))
    .await);
    let groups = ok(run(call(&[
        "describe-auto-scaling-groups",
        "--auto-scaling-group-names",
        "testDomain1",
    ]))
    .await);
    let g = &groups["AutoScalingGroups"][0];
    assert_eq!(g["LaunchConfigurationName"], "testlc1");
    assert_eq!(g["DesiredCapacity"], 1);
    assert_eq!(g["Instances"][0]["AvailabilityZone"], "hotel");
    assert_eq!(g["Instances"][0]["HealthStatus"], "Healthy");
    let inst = ok(run(call(&["describe-auto-scaling-instances"])).await);
    assert_eq!(
        inst["AutoScalingInstances"][0]["AutoScalingGroupName"],
        "testDomain1"
    );
    ok(run(call(&[
        "set-desired-capacity",
        "--auto-scaling-group-name",
        "testDomain1",
        "--desired-capacity",
        "2",
    ]))
    .await);
    let too_many = run(call(&[
        "set-desired-capacity",
        "--auto-scaling-group-name",
        "testDomain1",
        "--desired-capacity",
        "3",
    ]))
    .await;
    assert!(
        text(&too_many).1.contains("ValidationError"),
        "{}",
        text(&too_many).1
    );
    ok(run(call(&[
        "delete-auto-scaling-group",
        "--auto-scaling-group-name",
        "testDomain1",
        "--force-delete",
    ]))
    .await);
    ok(run(call(&[
        "delete-launch-configuration",
        "--launch-configuration-name",
        "testlc1@hotel",
    ]))
    .await);
    let left = ok(run(call(&["describe-launch-configurations"])).await);
    assert_eq!(left["LaunchConfigurations"], serde_json::json!([]));
    server.shutdown().await;
}
