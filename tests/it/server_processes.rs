//! Scaling processes on the built-in endpoint, scripted with boto3 over real HTTP with SigV4:
//! DescribeScalingProcessTypes, SuspendProcesses / ResumeProcesses (named, and none named = all),
//! the group's `SuspendedProcesses` with AWS's reason, a suspended `Launch` leaving the desired
//! capacity unmet until resumed, a suspended `Terminate` holding the group above it, ExecutePolicy
//! still changing the desired capacity meanwhile, AWS's error codes on misuse, the suspension kept
//! across a restart with a state file, and a second key seeing none of it; HealthCheck finding
//! instances terminated through EC2 only while it runs, and AZRebalance balancing a group's zones
//! only while it runs (with Terminate suspended, up to MaxSize plus its margin).

use std::time::Duration;

use crate::util::peers::boto3_script;
use crate::util::run::scratch_dir;
use phantom_autoscale::Credentials;
use phantom_autoscale::server::RunningServer;

fn key() -> Credentials {
    Credentials::new("AKIDPROCESSES0000001", "processes/secret+key=")
}

fn other_key() -> Credentials {
    Credentials::new("AKIDPROCESSES0000002", "other/secret+key=")
}

async fn server(state: &std::path::Path) -> RunningServer {
    crate::util::server::start_keyed(vec![key(), other_key()], state, Duration::from_millis(100))
        .await
}

/// The group's sizes (after `boto3_script`'s client `c` and `expect_error`).
const PRELUDE: &str = r#"
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

/// HealthCheck over EC2's TerminateInstances: suspended, the group does not notice (the instance
/// stays `InService`/`Healthy` while EC2 shows it terminated); resumed with ReplaceUnhealthy still
/// suspended, it is marked `Unhealthy` and stays; with ReplaceUnhealthy resumed it is replaced,
/// with the EC2 health check's cause; with both running, a termination is replaced at once.
const HEALTH_CHECK: &str = r#"
import time
ec2 = boto3.client("ec2", endpoint_url=os.environ["PHANTOM_ENDPOINT"], region_name="us-east-1",
                   aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                   aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])

def ec2_state(i):
    r = ec2.describe_instances(InstanceIds=[i])["Reservations"]
    return r[0]["Instances"][0]["State"]["Name"]

def seen(i):
    m = [x for x in group()["Instances"] if x["InstanceId"] == i]
    return f"{m[0]['LifecycleState']} {m[0]['HealthStatus']}" if m else "gone"

def causes(i):
    acts = c.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
    return [a["Cause"].split(" an instance was ", 1)[1] for a in acts
            if a["Description"] == f"Terminating EC2 instance: {i}"]

c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12345678",
                              InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=4, DesiredCapacity=2)
time.sleep(0.3)
first, second = sorted(i["InstanceId"] for i in group()["Instances"])

c.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["HealthCheck"])
change = ec2.terminate_instances(InstanceIds=[first])["TerminatingInstances"][0]
print("terminated:", change["PreviousState"]["Name"], change["CurrentState"]["Name"])
time.sleep(0.3)
print("HealthCheck suspended:", ec2_state(first), seen(first), sizes(), causes(first))

c.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["ReplaceUnhealthy"])
c.resume_processes(AutoScalingGroupName="web", ScalingProcesses=["HealthCheck"])
print("HealthCheck resumed:", seen(first), sizes(), causes(first))
c.set_instance_health(InstanceId=first, HealthStatus="Healthy")
print("set Healthy:", seen(first))

c.resume_processes(AutoScalingGroupName="web", ScalingProcesses=["ReplaceUnhealthy"])
print("ReplaceUnhealthy resumed:", seen(first), sizes(), causes(first))

ec2.terminate_instances(InstanceIds=[second])
print("both running:", seen(second), sizes(), causes(second))
time.sleep(0.3)
print("after:", seen(first), seen(second), sizes(), ec2_state(second))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_health_check_finds_ec2_terminations_only_while_it_runs() {
    let dir = scratch_dir("processes-health");
    let s = server(&dir.join("state.db")).await;
    let lines = boto3(&s, &key(), HEALTH_CHECK).await;
    let ec2 = "taken out of service in response to an EC2 health check indicating it has been \
               terminated or stopped.";
    assert_eq!(
        lines,
        [
            "terminated: running shutting-down".to_string(),
            "HealthCheck suspended: terminated InService Healthy desired 2 instances 2 []".into(),
            "HealthCheck resumed: InService Unhealthy desired 2 instances 2 []".into(),
            "set Healthy: InService Unhealthy".into(),
            format!(
                "ReplaceUnhealthy resumed: Terminating Unhealthy desired 2 instances 2 ['{ec2}']"
            ),
            format!("both running: Terminating Unhealthy desired 2 instances 2 ['{ec2}']"),
            "after: gone gone desired 2 instances 2 terminated".into(),
        ]
    );
    s.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// AZRebalance over a group's subnets: suspended, a changed VPCZoneIdentifier leaves the group
/// unbalanced (launches still go to the zone with the fewest instances); resumed, it launches in
/// the under-represented zone and terminates in the over-represented one with its own causes;
/// leaving a zone moves its instances; with Terminate suspended it launches only, up to MaxSize
/// plus 10% (at least one), and resuming Terminate scales in and balances.
const AZ_REBALANCE: &str = r#"
ec2 = boto3.client("ec2", endpoint_url=os.environ["PHANTOM_ENDPOINT"], region_name="us-east-1",
                   aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                   aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])
subnets = sorted(ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"],
                 key=lambda s: s["AvailabilityZone"])
a, b = subnets[0]["SubnetId"], subnets[1]["SubnetId"]
za, zb = subnets[0]["AvailabilityZone"], subnets[1]["AvailabilityZone"]

def spread():
    g = group()
    live = [i["AvailabilityZone"] for i in g["Instances"] if i["LifecycleState"] in ("Pending", "InService")]
    return f"A{live.count(za)} B{live.count(zb)} desired {g['DesiredCapacity']} max {g['MaxSize']}"

def balancing():
    acts = c.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
    launched = sum(a["Cause"].endswith("an instance was launched to aid in balancing the group's zones.")
                   for a in acts)
    ended = sum(a["Cause"].endswith("in response to an Availability Zone rebalancing.") for a in acts)
    return f"launched {launched} terminated {ended}"

c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12345678",
                              InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=6, DesiredCapacity=4, VPCZoneIdentifier=a)
print("one zone:", spread())
c.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["AZRebalance"])
c.update_auto_scaling_group(AutoScalingGroupName="web", VPCZoneIdentifier=f"{a},{b}")
print("AZRebalance suspended:", spread(), balancing())
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=5)
print("a launch meanwhile:", spread(), balancing())
c.resume_processes(AutoScalingGroupName="web", ScalingProcesses=["AZRebalance"])
print("AZRebalance resumed:", spread(), balancing())

c.update_auto_scaling_group(AutoScalingGroupName="web", MaxSize=5, VPCZoneIdentifier=b)
print("zone A left:", spread(), balancing())

c.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["Terminate"])
c.update_auto_scaling_group(AutoScalingGroupName="web", VPCZoneIdentifier=f"{a},{b}")
print("Terminate suspended:", spread(), balancing())
c.resume_processes(AutoScalingGroupName="web", ScalingProcesses=["Terminate"])
print("Terminate resumed:", spread(), balancing())
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_az_rebalance_balances_zones_only_while_it_runs() {
    let dir = scratch_dir("processes-rebalance");
    let s = server(&dir.join("state.db")).await;
    let lines = boto3(&s, &key(), AZ_REBALANCE).await;
    assert_eq!(
        lines,
        [
            "one zone: A4 B0 desired 4 max 6",
            "AZRebalance suspended: A4 B0 desired 4 max 6 launched 0 terminated 0",
            "a launch meanwhile: A4 B1 desired 5 max 6 launched 0 terminated 0",
            "AZRebalance resumed: A3 B2 desired 5 max 6 launched 1 terminated 1",
            "zone A left: A0 B5 desired 5 max 5 launched 4 terminated 4",
            "Terminate suspended: A1 B5 desired 5 max 5 launched 5 terminated 4",
            "Terminate resumed: A2 B3 desired 5 max 5 launched 6 terminated 5",
        ]
    );
    s.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
