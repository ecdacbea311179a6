//! A group's instances on the built-in endpoint, scripted with boto3 over real HTTP with SigV4:
//! SetInstanceHealth (an unhealthy instance replaced, kept while ReplaceUnhealthy is suspended,
//! replaced on resume; the grace period respected unless told not to), SetInstanceProtection
//! holding against scale-in (and NewInstancesProtectedFromScaleIn), EnterStandby / ExitStandby
//! with and without decrementing (standby instances outside the capacity and never scaled in),
//! DetachInstances / AttachInstances with and without decrementing (attach refused above MaxSize),
//! the activities AWS records for them, the termination order of each termination policy,
//! DescribeTerminationPolicyTypes, AWS's error codes on misuse, the state across a restart with a
//! state file, and a second key seeing none of it.

use std::time::Duration;

use crate::util::peers::boto3_script;
use crate::util::run::scratch_dir;
use phantom_autoscale::Credentials;
use phantom_autoscale::server::RunningServer;

fn key() -> Credentials {
    Credentials::new("AKIDINSTANCES0000001", "instances/secret+key=")
}

fn other_key() -> Credentials {
    Credentials::new("AKIDINSTANCES0000002", "other/secret+key=")
}

async fn server(state: &std::path::Path) -> RunningServer {
    crate::util::server::start_keyed(vec![key(), other_key()], state, Duration::from_millis(100))
        .await
}

/// Views of a group's instances (after `boto3_script`'s client `c` and `expect_error`).
const PRELUDE: &str = r#"
import os, sys, time
import boto3, botocore.exceptions

def group(name="web"):
    return c.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]

def instances(name="web"):
    return {i["InstanceId"]: (i["LifecycleState"], i["HealthStatus"]) for i in group(name)["Instances"]}

def counted(name="web"):
    return [i for i, (s, _) in instances(name).items() if s in ("Pending", "InService")]

def sizes(name="web"):
    g = group(name)
    standby = sum(i["LifecycleState"] == "Standby" for i in g["Instances"])
    return f"desired {g['DesiredCapacity']} counted {len(counted(name))} standby {standby}"

def settle(name="web"):
    # Bounded wait for launches and terminations to finish (100 ms each here).
    for _ in range(100):
        if all(s in ("InService", "Standby") for s, _ in instances(name).values()):
            return
        time.sleep(0.05)
    sys.exit(f"never settled: {instances(name)}")
"#;

const SCENARIO: &str = r#"
print("policy types", c.describe_termination_policy_types()["TerminationPolicyTypes"])
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12345678",
                              InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="lc",
                            MinSize=1, MaxSize=4, DesiredCapacity=2)
settle()
a, b = sorted(counted())

# Health: an unhealthy instance is replaced; not while ReplaceUnhealthy is suspended.
c.set_instance_health(InstanceId=a, HealthStatus="Unhealthy")
print("a unhealthy:", instances()[a], sizes())
c.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["ReplaceUnhealthy"])
c.set_instance_health(InstanceId=b, HealthStatus="Unhealthy", ShouldRespectGracePeriod=False)
print("b unhealthy, ReplaceUnhealthy suspended:", instances()[b], sizes())
c.resume_processes(AutoScalingGroupName="web", ScalingProcesses=["ReplaceUnhealthy"])
print("resumed:", instances()[b][0], sizes())
acts = c.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
print("health terminations:", sum(x["Description"].startswith("Terminating") and
                                  "taken out of service in response to a user health-check" in x["Cause"]
                                  for x in acts))
settle()
# Inside the grace period a report of Unhealthy is ignored, unless told not to respect it.
c.update_auto_scaling_group(AutoScalingGroupName="web", HealthCheckGracePeriod=3600)
x = sorted(counted())[0]
c.set_instance_health(InstanceId=x, HealthStatus="Unhealthy")
print("in grace:", instances()[x])
c.set_instance_health(InstanceId=x, HealthStatus="Unhealthy", ShouldRespectGracePeriod=False)
print("grace not respected:", instances()[x][0])
expect_error("ValidationError", c.set_instance_health, InstanceId="i-00000000000000000",
             HealthStatus="Unhealthy")
expect_error("ValidationError", c.set_instance_health, InstanceId=sorted(counted())[0],
             HealthStatus="Sick")
settle()

# Standby: out of the capacity, never scaled in, back in with a higher desired capacity.
s1, s2 = sorted(counted())
r = c.enter_standby(AutoScalingGroupName="web", InstanceIds=[s1], ShouldDecrementDesiredCapacity=True)
act = r["Activities"][0]
print("enter:", act["Description"] == f"Moving EC2 instance to Standby: {s1}",
      act["Cause"].endswith(f"instance {s1} was moved to standby in response to a user request, shrinking the capacity from 2 to 1."))
print("standby:", instances()[s1][0], sizes())
expect_error("ValidationError", c.enter_standby, AutoScalingGroupName="web", InstanceIds=[s2],
             ShouldDecrementDesiredCapacity=True)
expect_error("ValidationError", c.exit_standby, AutoScalingGroupName="web", InstanceIds=[s2])
c.update_auto_scaling_group(AutoScalingGroupName="web", MinSize=0)
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=0)
print("scaled to 0:", instances()[s1][0], sizes())
r = c.exit_standby(AutoScalingGroupName="web", InstanceIds=[s1])
act = r["Activities"][0]
print("exit:", act["Description"] == f"Moving EC2 instance out of Standby: {s1}",
      act["Cause"].endswith("increasing the capacity from 0 to 1."), instances()[s1][0], sizes())
settle()
r = c.enter_standby(AutoScalingGroupName="web", InstanceIds=[s1], ShouldDecrementDesiredCapacity=False)
print("standby without decrement:", sizes(), r["Activities"][0]["Cause"].endswith("in response to a user request."))
settle()
c.update_auto_scaling_group(AutoScalingGroupName="web", MaxSize=1)
expect_error("ValidationError", c.exit_standby, AutoScalingGroupName="web", InstanceIds=[s1])
c.update_auto_scaling_group(AutoScalingGroupName="web", MaxSize=4)
c.exit_standby(AutoScalingGroupName="web", InstanceIds=[s1])
settle()
print("both back:", sizes())

# Protection: protected instances stay through a scale-in, until unprotected.
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=3)
settle()
p1, p2, p3 = sorted(counted())
c.set_instance_protection(AutoScalingGroupName="web", InstanceIds=[p1, p2], ProtectedFromScaleIn=True)
print("protected:", sorted(i["InstanceId"] for i in group()["Instances"] if i["ProtectedFromScaleIn"]) == [p1, p2])
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=0)
print("protection holds:", sorted(counted()) == [p1, p2], instances()[p3][0], sizes())
c.set_instance_protection(AutoScalingGroupName="web", InstanceIds=[p1], ProtectedFromScaleIn=False)
print("unprotected goes:", instances()[p1][0], counted() == [p2])
expect_error("ValidationError", c.set_instance_protection, AutoScalingGroupName="web",
             InstanceIds=["i-00000000000000000"], ProtectedFromScaleIn=True)
c.set_instance_protection(AutoScalingGroupName="web", InstanceIds=[p2], ProtectedFromScaleIn=False)
c.update_auto_scaling_group(AutoScalingGroupName="web", NewInstancesProtectedFromScaleIn=True)
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=1)
print("new ones protected:", [i["ProtectedFromScaleIn"] for i in group()["Instances"] if i["LifecycleState"] == "Pending"])
c.update_auto_scaling_group(AutoScalingGroupName="web", NewInstancesProtectedFromScaleIn=False)
c.set_instance_protection(AutoScalingGroupName="web", InstanceIds=counted(), ProtectedFromScaleIn=False)
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=2)
settle()

# Detach and attach.
d1, d2 = sorted(counted())
r = c.detach_instances(AutoScalingGroupName="web", InstanceIds=[d1], ShouldDecrementDesiredCapacity=True)
act = r["Activities"][0]
print("detach:", act["Description"] == f"Detaching EC2 instance: {d1}",
      act["Cause"].endswith(f"instance {d1} was detached in response to a user request, shrinking the capacity from 2 to 1."),
      d1 in instances(), sizes())
print("detached is in no group:", [i["InstanceId"] for i in c.describe_auto_scaling_instances(InstanceIds=[d1])["AutoScalingInstances"]])
c.detach_instances(AutoScalingGroupName="web", InstanceIds=[d2], ShouldDecrementDesiredCapacity=False)
print("detach without decrement:", d2 in instances(), sizes())
settle()
c.update_auto_scaling_group(AutoScalingGroupName="web", MaxSize=2)
expect_error("ValidationError", c.attach_instances, AutoScalingGroupName="web", InstanceIds=[d1, d2])
c.attach_instances(AutoScalingGroupName="web", InstanceIds=[d1])
print("attached:", instances()[d1], sizes())
expect_error("ValidationError", c.attach_instances, AutoScalingGroupName="web", InstanceIds=[d1])
expect_error("ValidationError", c.attach_instances, AutoScalingGroupName="web",
             InstanceIds=["i-00000000000000000"])
c.update_auto_scaling_group(AutoScalingGroupName="web", MinSize=2)
expect_error("ValidationError", c.detach_instances, AutoScalingGroupName="web", InstanceIds=[d1],
             ShouldDecrementDesiredCapacity=True)
descs = [x["Description"] for x in c.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]]
print("attach activity:", f"Attaching an existing EC2 instance: {d1}" in descs)

# Termination order: three instances, the first from launch configuration "b" (created after
# "a"), the others from "a", launched one after another; scale-in to 2 under each policy.
c.create_launch_configuration(LaunchConfigurationName="a", ImageId="ami-12345678", InstanceType="m1.small")
time.sleep(0.01)
c.create_launch_configuration(LaunchConfigurationName="b", ImageId="ami-12345678", InstanceType="m1.small")
for policies in (["OldestInstance"], ["NewestInstance"], ["OldestLaunchConfiguration"],
                 ["ClosestToNextInstanceHour"], ["Default"],
                 ["OldestLaunchConfiguration", "NewestInstance"]):
    name = "order-" + "-".join(policies)
    c.create_auto_scaling_group(AutoScalingGroupName=name, LaunchConfigurationName="b", MinSize=0,
                                MaxSize=3, DesiredCapacity=1, TerminationPolicies=policies)
    c.update_auto_scaling_group(AutoScalingGroupName=name, LaunchConfigurationName="a")
    for n in (2, 3):
        time.sleep(0.01)
        c.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=n)
    first, second, third = [i["InstanceId"] for i in group(name)["Instances"]]
    c.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=2)
    gone = [i for i, (s, _) in instances(name).items() if s == "Terminating"]
    print(policies, "terminates", {first: "first (b)", second: "second (a)", third: "third (a)"}[gone[0]])
    c.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
"#;

/// After a restart: the standby, health and protection state and the detached instance are kept.
const AFTER_RESTART: &str = r#"
c.create_auto_scaling_group(AutoScalingGroupName="kept", LaunchConfigurationName="lc", MinSize=0,
                            MaxSize=3, DesiredCapacity=2)
settle("kept")
k1, k2 = sorted(counted("kept"))
c.enter_standby(AutoScalingGroupName="kept", InstanceIds=[k1], ShouldDecrementDesiredCapacity=True)
c.set_instance_protection(AutoScalingGroupName="kept", InstanceIds=[k2], ProtectedFromScaleIn=True)
c.suspend_processes(AutoScalingGroupName="kept", ScalingProcesses=["ReplaceUnhealthy"])
c.set_instance_health(InstanceId=k2, HealthStatus="Unhealthy")
open(os.environ["IDS"], "w").write(f"{k1} {k2}")
print("before:", sizes("kept"))
"#;

const CHECK_RESTART: &str = r#"
k1, k2 = open(os.environ["IDS"]).read().split()
print("after:", sizes("kept"), instances("kept")[k1], instances("kept")[k2],
      [i["ProtectedFromScaleIn"] for i in group("kept")["Instances"] if i["InstanceId"] == k2])
c.exit_standby(AutoScalingGroupName="kept", InstanceIds=[k1])
print("exit after restart:", sizes("kept"))
"#;

const OTHER_KEY: &str = r#"
print("other key sees", c.describe_auto_scaling_instances()["AutoScalingInstances"])
expect_error("ValidationError", c.enter_standby, AutoScalingGroupName="kept",
             InstanceIds=["i-00000000000000000"], ShouldDecrementDesiredCapacity=True)
"#;

async fn boto3(
    server: &RunningServer,
    creds: &Credentials,
    script: &str,
    ids: &std::path::Path,
) -> Vec<String> {
    boto3_script(
        &server.url(),
        creds,
        PRELUDE,
        script,
        &[("IDS", ids.as_os_str())],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_moves_instances_and_the_state_survives_a_restart() {
    let dir = scratch_dir("instances");
    let state = dir.join("state.db");
    let ids = dir.join("ids");
    let s = server(&state).await;
    let lines = boto3(&s, &key(), SCENARIO, &ids).await;
    let not_in = |what: &str| format!("ValidationError: The instance {what}");
    let want: Vec<String> = vec![
        "policy types ['AllocationStrategy', 'ClosestToNextInstanceHour', 'Default', \
         'NewestInstance', 'OldestInstance', 'OldestLaunchConfiguration', 'OldestLaunchTemplate']"
            .into(),
        "a unhealthy: ('Terminating', 'Unhealthy') desired 2 counted 2 standby 0".into(),
        "b unhealthy, ReplaceUnhealthy suspended: ('InService', 'Unhealthy') desired 2 counted 2 \
         standby 0"
            .into(),
        "resumed: Terminating desired 2 counted 2 standby 0".into(),
        "health terminations: 2".into(),
        "in grace: ('InService', 'Healthy')".into(),
        "grace not respected: Terminating".into(),
        "ValidationError: Instance Id not found - No managed instance found for instance ID: \
         i-00000000000000000"
            .into(),
        "ValidationError: Health status Sick is not valid; valid values are Healthy and \
         Unhealthy."
            .into(),
        "enter: True True".into(),
        "standby: Standby desired 1 counted 1 standby 1".into(),
        "ValidationError: Currently, desiredSize equals minSize (1). Moving instances to Standby \
         without replacement will violate group's min size constraint. Either set \
         shouldDecrementDesiredCapacity flag to false or lower group's min size."
            .into(),
        "LINE: exit non-standby".into(),
        "scaled to 0: Standby desired 0 counted 0 standby 1".into(),
        "exit: True True Pending desired 1 counted 1 standby 0".into(),
        "standby without decrement: desired 1 counted 1 standby 1 True".into(),
        "ValidationError: Moving 1 instance(s) out of Standby would raise the desired capacity \
         of AutoScalingGroup web to 2, above its max size 1."
            .into(),
        "both back: desired 2 counted 2 standby 0".into(),
        "protected: True".into(),
        "protection holds: True Terminating desired 0 counted 2 standby 0".into(),
        "unprotected goes: Terminating True".into(),
        not_in("i-00000000000000000 is not part of Auto Scaling group web."),
        "new ones protected: [True]".into(),
        "detach: True True False desired 1 counted 1 standby 0".into(),
        "detached is in no group: []".into(),
        "detach without decrement: False desired 1 counted 1 standby 0".into(),
        "ValidationError: AutoScalingGroup: web has min-size=0, max-size=2, and desired-size=1. \
         To attach 2 instance(s), please update the AutoScalingGroup sizes appropriately."
            .into(),
        "attached: ('InService', 'Healthy') desired 2 counted 2 standby 0".into(),
        "LINE: attach again".into(),
        "ValidationError: Invalid Instance ID(s): [i-00000000000000000] specified: no such \
         running instance."
            .into(),
        "ValidationError: Currently, desiredSize equals minSize (2). Detaching instance without \
         replacement will violate group's min size constraint. Either set \
         shouldDecrementDesiredCapacity flag to false or lower group's min size."
            .into(),
        "attach activity: True".into(),
        "['OldestInstance'] terminates first (b)".into(),
        "['NewestInstance'] terminates third (a)".into(),
        "['OldestLaunchConfiguration'] terminates second (a)".into(),
        "['ClosestToNextInstanceHour'] terminates first (b)".into(),
        "['Default'] terminates second (a)".into(),
        "['OldestLaunchConfiguration', 'NewestInstance'] terminates third (a)".into(),
    ];
    // Two refusals name a random instance id: checked by their shape.
    assert_eq!(lines.len(), want.len(), "{lines:#?}");
    for (got, want) in lines.iter().zip(&want) {
        match want.as_str() {
            "LINE: exit non-standby" => assert!(
                got.starts_with("ValidationError: The instance i-")
                    && got.ends_with(" is not in Standby."),
                "{got}"
            ),
            "LINE: attach again" => assert!(
                got.starts_with("ValidationError: The instance i-")
                    && got.ends_with(" is already part of Auto Scaling group web."),
                "{got}"
            ),
            _ => assert_eq!(got, want),
        }
    }
    let lines = boto3(&s, &key(), AFTER_RESTART, &ids).await;
    assert_eq!(lines, ["before: desired 1 counted 1 standby 1"]);
    s.shutdown().await;

    let s = server(&state).await;
    let lines = boto3(&s, &key(), CHECK_RESTART, &ids).await;
    assert_eq!(
        lines,
        [
            "after: desired 1 counted 1 standby 1 ('Standby', 'Healthy') ('InService', \
             'Unhealthy') [True]",
            "exit after restart: desired 2 counted 2 standby 0",
        ]
    );
    let lines = boto3(&s, &other_key(), OTHER_KEY, &ids).await;
    assert_eq!(
        lines,
        [
            "other key sees []",
            "ValidationError: AutoScalingGroup name not found - AutoScalingGroup kept not found",
        ]
    );
    s.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
