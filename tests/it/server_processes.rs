//! Scaling processes on the built-in endpoint, scripted with boto3 over real HTTP with SigV4:
//! DescribeScalingProcessTypes, SuspendProcesses / ResumeProcesses (named, and none named = all),
//! the group's `SuspendedProcesses` with AWS's reason, a suspended `Launch` leaving the desired
//! capacity unmet until resumed, a suspended `Terminate` holding the group above it, ExecutePolicy
//! still changing the desired capacity meanwhile, AWS's error codes on misuse, the suspension kept
//! across a restart with a state file, and a second key seeing none of it.

use std::time::Duration;

use crate::util::peers::boto3_script;
use crate::util::run::scratch_dir;
use phantom_autoscale::Credentials;
use phantom_autoscale::server::{RunningServer, ServeOptions, start};

fn key() -> Credentials {
    Credentials::new("AKIDPROCESSES0000001", "processes/secret+key=")
}

fn other_key() -> Credentials {
    Credentials::new("AKIDPROCESSES0000002", "other/secret+key=")
}

async fn server(state: &std::path::Path) -> RunningServer {
    start(ServeOptions {
        keys: vec![key(), other_key()],
        state: Some(state.to_path_buf()),
        launch_delay: Duration::from_millis(100),
        terminate_delay: Duration::from_millis(100),
        ..ServeOptions::default()
    })
    .await
    .unwrap()
}

/// What every script starts with: a boto3 client from the environment, `expect_error`, and the
/// group's sizes.
const PRELUDE: &str = r#"
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

def group():
    return c.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]

def sizes():
    g = group()
    counted = [i for i in g["Instances"] if i["LifecycleState"] in ("Pending", "InService")]
    return f"desired {g['DesiredCapacity']} instances {len(counted)}"

def suspended():
    return sorted(p["ProcessName"] for p in group()["SuspendedProcesses"])
"#;

const SCENARIO: &str = r#"
print("types", [p["ProcessName"] for p in c.describe_scaling_process_types()["Processes"]])
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12345678",
                              InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=6, DesiredCapacity=1)
print("new group", suspended())

c.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["Launch"])
p = group()["SuspendedProcesses"]
print("reason", p[0]["ProcessName"], p[0]["SuspensionReason"].startswith("User suspended at 20"))
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=3)
print("Launch suspended:", sizes())
c.put_scaling_policy(AutoScalingGroupName="web", PolicyName="up", AdjustmentType="ChangeInCapacity",
                     ScalingAdjustment=1)
c.execute_policy(AutoScalingGroupName="web", PolicyName="up", HonorCooldown=False)
print("policy while Launch suspended:", sizes())
c.resume_processes(AutoScalingGroupName="web", ScalingProcesses=["Launch"])
print("Launch resumed:", sizes(), suspended())

c.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["Terminate", "AZRebalance"])
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=1)
print("Terminate suspended:", sizes(), suspended())
c.resume_processes(AutoScalingGroupName="web")
print("all resumed:", sizes(), suspended())

c.suspend_processes(AutoScalingGroupName="web")
print("all suspended:", suspended())
# Suspending again keeps the first reason; resuming one leaves the others.
c.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["Launch"])
c.resume_processes(AutoScalingGroupName="web", ScalingProcesses=["AddToLoadBalancer", "HealthCheck"])
print("two resumed:", suspended())
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=2)

expect_error("ValidationError", c.suspend_processes, AutoScalingGroupName="web",
             ScalingProcesses=["Launch", "Sleep"])
expect_error("ValidationError", c.resume_processes, AutoScalingGroupName="web",
             ScalingProcesses=["Sleep"])
expect_error("ValidationError", c.suspend_processes, AutoScalingGroupName="nowhere")
try:
    c.resume_processes(AutoScalingGroupName="web", ScalingProcesses=["x" * 256])
    sys.exit("a 256-character process name was accepted")
except botocore.exceptions.ClientError as e:
    m = e.response["Error"]["Message"]
    print(e.response["Error"]["Code"], m.startswith("1 validation error detected: Value '[xxx"),
          "at 'scalingProcesses' failed to satisfy constraint" in m,
          "Member must have length less than or equal to 255" in m)
print("after misuse:", sizes(), len(suspended()))
"#;

/// After a restart: still suspended (Launch too: the desired capacity stays unmet), and resuming
/// meets it.
const AFTER_RESTART: &str = r#"
print("kept:", suspended(), sizes())
c.resume_processes(AutoScalingGroupName="web")
print("resumed:", suspended(), sizes())
"#;

const OTHER_KEY: &str = r#"
print("other key sees", c.describe_auto_scaling_groups()["AutoScalingGroups"])
expect_error("ValidationError", c.suspend_processes, AutoScalingGroupName="web")
"#;

async fn boto3(server: &RunningServer, creds: &Credentials, script: &str) -> Vec<String> {
    boto3_script(&server.url(), creds, PRELUDE, script, &[]).await
}

const ALL: &str = "['AZRebalance', 'AddToLoadBalancer', 'AlarmNotification', 'HealthCheck', \
                   'InstanceRefresh', 'Launch', 'ReplaceUnhealthy', 'ScheduledActions', \
                   'Terminate']";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_suspends_and_resumes_processes_and_they_survive_a_restart() {
    let dir = scratch_dir("processes");
    let state = dir.join("state.db");
    let s = server(&state).await;
    let lines = boto3(&s, &key(), SCENARIO).await;
    let valid = "Valid processes are AZRebalance, AddToLoadBalancer, AlarmNotification, \
                 HealthCheck, InstanceRefresh, Launch, ReplaceUnhealthy, ScheduledActions, \
                 Terminate.";
    let want = [
        format!("types {ALL}"),
        "new group []".into(),
        "reason Launch True".into(),
        "Launch suspended: desired 3 instances 1".into(),
        "policy while Launch suspended: desired 4 instances 1".into(),
        "Launch resumed: desired 4 instances 4 []".into(),
        "Terminate suspended: desired 1 instances 4 ['AZRebalance', 'Terminate']".into(),
        "all resumed: desired 1 instances 1 []".into(),
        format!("all suspended: {ALL}"),
        "two resumed: ['AZRebalance', 'AlarmNotification', 'InstanceRefresh', 'Launch', \
         'ReplaceUnhealthy', 'ScheduledActions', 'Terminate']"
            .into(),
        format!("ValidationError: Invalid processes specified: Sleep. {valid}"),
        format!("ValidationError: Invalid processes specified: Sleep. {valid}"),
        "ValidationError: AutoScalingGroup name not found - AutoScalingGroup nowhere not found"
            .into(),
        "ValidationError True True True".into(),
        "after misuse: desired 2 instances 1 7".into(),
    ];
    assert_eq!(lines, want);
    s.shutdown().await;

    let s = server(&state).await;
    let lines = boto3(&s, &key(), AFTER_RESTART).await;
    assert_eq!(
        lines,
        [
            "kept: ['AZRebalance', 'AlarmNotification', 'InstanceRefresh', 'Launch', \
             'ReplaceUnhealthy', 'ScheduledActions', 'Terminate'] desired 2 instances 1",
            "resumed: [] desired 2 instances 2",
        ]
    );
    let lines = boto3(&s, &other_key(), OTHER_KEY).await;
    assert_eq!(
        lines,
        [
            "other key sees []",
            "ValidationError: AutoScalingGroup name not found - AutoScalingGroup web not found",
        ]
    );
    s.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
