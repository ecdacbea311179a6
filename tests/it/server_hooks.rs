//! Lifecycle hooks on the built-in endpoint, scripted with boto3 over real HTTP with SigV4 and
//! real keys: a launch hook holds a new instance in `Pending:Wait` until CompleteLifecycleAction
//! CONTINUE (then `InService`), ABANDON (by token) terminates it and the group replaces it, a
//! heartbeat keeps an instance waiting past its heartbeat timeout, a hook that times out acts by
//! its DefaultResult (CONTINUE: in service; ABANDON: replaced), a termination hook holds an
//! instance in `Terminating:Wait`, hooks given at CreateAutoScalingGroup hold its first instance,
//! AWS's error codes on misuse, and the hooks and a held instance survive a restart with a state
//! file. Also two small rules of issue 13: termination policy names are checked, and a scheduled
//! action that changes only MinSize/MaxSize records no activity.
//!
//! The endpoint runs with `hook_timeout_scale` 0.01 (`--hook-timeout-scale`), so AWS's minimum
//! heartbeat of 30 s passes in 0.3 s. Waiting polls with a generous bound (a minute), never a
//! timing target.

use std::time::Duration;

use crate::util::peers::boto3_script;
use crate::util::run::scratch_dir;
use phantom_autoscale::Credentials;
use phantom_autoscale::server::{RunningServer, ServeOptions, start};

fn key() -> Credentials {
    Credentials::new("AKIDHOOKS00000000001", "hooks/secret+key=")
}

async fn server(state: &std::path::Path) -> RunningServer {
    start(ServeOptions {
        keys: vec![key()],
        state: Some(state.to_path_buf()),
        launch_delay: Duration::from_millis(300),
        terminate_delay: Duration::from_millis(300),
        hook_timeout_scale: 0.01,
        ..ServeOptions::default()
    })
    .await
    .unwrap()
}

/// The scripts' helpers (after `boto3_script`'s client `c` and `expect_error`).
const PRELUDE: &str = r#"
import os, sys, time, datetime, sqlite3, uuid
import boto3, botocore.exceptions
UTC = datetime.timezone.utc

def instances(name="web"):
    g = c.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    return {i["InstanceId"]: i["LifecycleState"] for i in g["Instances"]}

def wait_for(what, test):
    deadline = time.time() + 60
    while time.time() < deadline:
        got = test()
        if got:
            return got
        time.sleep(0.1)
    sys.exit(f"never: {what}")

def state(iid, name="web"):
    return instances(name).get(iid, "gone")

def wait_state(iid, want, name="web"):
    wait_for(f"{iid} {want} (is {state(iid, name)})", lambda: state(iid, name) == want)
    return want

def new_instance(known, name="web"):
    return wait_for("a new instance", lambda: next((i for i in instances(name) if i not in known), None))

def activity(iid, verb, name="web"):
    for a in c.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]:
        if a["Description"] == f"{verb} {iid}":
            return a
    return None

def token(iid):
    db = sqlite3.connect(os.environ["STATE_DB"])
    try:
        return db.execute("SELECT token FROM lifecycle_actions WHERE instance_id = ?", (iid,)).fetchone()[0]
    finally:
        db.close()

def soon(seconds):
    return datetime.datetime.now(UTC) + datetime.timedelta(seconds=seconds)
"#;

const SCENARIO: &str = r#"
LAUNCH, TERMINATE = "autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:EC2_INSTANCE_TERMINATING"
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12345678",
                              InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=6, DesiredCapacity=0)
print("types", c.describe_lifecycle_hook_types()["LifecycleHookTypes"])
c.put_lifecycle_hook(AutoScalingGroupName="web", LifecycleHookName="launch",
                     LifecycleTransition=LAUNCH, HeartbeatTimeout=7200,
                     NotificationMetadata="hello")
h = c.describe_lifecycle_hooks(AutoScalingGroupName="web")["LifecycleHooks"][0]
print("hook", h["LifecycleHookName"], h["LifecycleTransition"], h["HeartbeatTimeout"],
      h["GlobalTimeout"], h["DefaultResult"], h["NotificationMetadata"])

# A launch held, then completed with CONTINUE by instance id.
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=1)
a = new_instance(set())
print("a", wait_state(a, "Pending:Wait"), activity(a, "Launching a new EC2 instance:")["StatusCode"],
      c.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]["DesiredCapacity"])
# The cooldown of a simple scaling policy begins when the held launch ends, not before.
c.put_scaling_policy(AutoScalingGroupName="web", PolicyName="up", AdjustmentType="ChangeInCapacity",
                     ScalingAdjustment=1, Cooldown=1)
expect_error("ScalingActivityInProgress", c.execute_policy, AutoScalingGroupName="web",
             PolicyName="up")
c.delete_policy(AutoScalingGroupName="web", PolicyName="up")
c.complete_lifecycle_action(AutoScalingGroupName="web", LifecycleHookName="launch",
                            InstanceId=a, LifecycleActionResult="CONTINUE")
print("a next", state(a) in ("Pending:Proceed", "InService"), wait_state(a, "InService"),
      activity(a, "Launching a new EC2 instance:")["StatusCode"])

# Misuse.
expect_error("ValidationError", c.complete_lifecycle_action, AutoScalingGroupName="web",
             LifecycleHookName="launch", InstanceId=a, LifecycleActionResult="CONTINUE")
expect_error("ValidationError", c.complete_lifecycle_action, AutoScalingGroupName="web",
             LifecycleHookName="nohook", InstanceId="i-00000000000000000",
             LifecycleActionResult="CONTINUE")
expect_error("ValidationError", c.complete_lifecycle_action, AutoScalingGroupName="web",
             LifecycleHookName="launch", LifecycleActionToken="0b1e5c2a-9d1f-4c57-8a3e-5d2f7c9e1b40",
             LifecycleActionResult="ABANDON")
expect_error("ValidationError", c.complete_lifecycle_action, AutoScalingGroupName="web",
             LifecycleHookName="launch", InstanceId=a, LifecycleActionResult="MAYBE")
expect_error("ValidationError", c.complete_lifecycle_action, AutoScalingGroupName="web",
             LifecycleHookName="launch", LifecycleActionResult="CONTINUE")
expect_error("ValidationError", c.record_lifecycle_action_heartbeat, AutoScalingGroupName="web",
             LifecycleHookName="launch", InstanceId=a)
expect_error("ValidationError", c.complete_lifecycle_action, AutoScalingGroupName="nowhere",
             LifecycleHookName="launch", InstanceId=a, LifecycleActionResult="CONTINUE")
expect_error("ValidationError", c.put_lifecycle_hook, AutoScalingGroupName="web",
             LifecycleHookName="short", LifecycleTransition=LAUNCH, HeartbeatTimeout=29)
expect_error("ValidationError", c.put_lifecycle_hook, AutoScalingGroupName="web",
             LifecycleHookName="long", LifecycleTransition=LAUNCH, HeartbeatTimeout=7201)
expect_error("ValidationError", c.put_lifecycle_hook, AutoScalingGroupName="web",
             LifecycleHookName="odd", LifecycleTransition="autoscaling:EC2_INSTANCE_EXPLODING")
expect_error("ValidationError", c.put_lifecycle_hook, AutoScalingGroupName="web",
             LifecycleHookName="bare")
expect_error("ValidationError", c.put_lifecycle_hook, AutoScalingGroupName="web",
             LifecycleHookName="maybe", LifecycleTransition=LAUNCH, DefaultResult="MAYBE")
expect_error("ValidationError", c.put_lifecycle_hook, AutoScalingGroupName="nowhere",
             LifecycleHookName="x", LifecycleTransition=LAUNCH)
expect_error("ValidationError", c.delete_lifecycle_hook, AutoScalingGroupName="web",
             LifecycleHookName="nohook")

# ABANDON by token: the instance is terminated and the group launches a replacement (held too).
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=2)
b = new_instance({a})
wait_state(b, "Pending:Wait")
c.complete_lifecycle_action(AutoScalingGroupName="web", LifecycleHookName="launch",
                            LifecycleActionToken=token(b), LifecycleActionResult="ABANDON")
b2 = new_instance({a, b})
print("b", wait_state(b, "gone"), wait_state(b2, "Pending:Wait"),
      activity(b, "Terminating EC2 instance:")["Cause"].split(" failed to complete ")[1])
c.complete_lifecycle_action(AutoScalingGroupName="web", LifecycleHookName="launch",
                            InstanceId=b2, LifecycleActionResult="CONTINUE")
wait_state(b2, "InService")

# A heartbeat keeps an instance waiting past its heartbeat timeout (600 s scaled: 6 s).
c.put_lifecycle_hook(AutoScalingGroupName="web", LifecycleHookName="launch", HeartbeatTimeout=600)
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=3)
d = new_instance({a, b, b2})
wait_state(d, "Pending:Wait")
t0 = time.time()
while time.time() - t0 < 9:
    c.record_lifecycle_action_heartbeat(AutoScalingGroupName="web", LifecycleHookName="launch",
                                        InstanceId=d)
    time.sleep(1)
print("d after heartbeats", state(d))
c.complete_lifecycle_action(AutoScalingGroupName="web", LifecycleHookName="launch",
                            InstanceId=d, LifecycleActionResult="CONTINUE")
wait_state(d, "InService")

# Timeouts act by DefaultResult: CONTINUE puts the instance in service.
c.put_lifecycle_hook(AutoScalingGroupName="web", LifecycleHookName="launch", HeartbeatTimeout=30,
                     DefaultResult="CONTINUE")
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=4)
e = new_instance({a, b, b2, d})
print("e", wait_state(e, "InService"))

# ... and ABANDON replaces it (again and again, until the hook is deleted: its outstanding
# actions are then completed with ABANDON and the next instance launches unheld).
c.create_auto_scaling_group(AutoScalingGroupName="churn", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=1, DesiredCapacity=0)
c.put_lifecycle_hook(AutoScalingGroupName="churn", LifecycleHookName="quick",
                     LifecycleTransition=LAUNCH, HeartbeatTimeout=30)
c.set_desired_capacity(AutoScalingGroupName="churn", DesiredCapacity=1)
f = new_instance(set(), "churn")
f2 = new_instance({f}, "churn")
print("f", wait_state(f, "gone", "churn"),
      activity(f, "Terminating EC2 instance:", "churn")["Cause"].split(" was abandoned: ")[1])
c.delete_lifecycle_hook(AutoScalingGroupName="churn", LifecycleHookName="quick")
print("churn hooks", c.describe_lifecycle_hooks(AutoScalingGroupName="churn")["LifecycleHooks"])
wait_for("churn settles", lambda: list(instances("churn").values()) == ["InService"])
print("churn", list(instances("churn").values()))

# A termination hook: Terminating:Wait until completed (CONTINUE, or ABANDON: both terminate).
c.put_lifecycle_hook(AutoScalingGroupName="web", LifecycleHookName="drain",
                     LifecycleTransition=TERMINATE, HeartbeatTimeout=7200)
print("names", [h["LifecycleHookName"] for h in
                c.describe_lifecycle_hooks(AutoScalingGroupName="web")["LifecycleHooks"]],
      [h["LifecycleHookName"] for h in c.describe_lifecycle_hooks(
          AutoScalingGroupName="web", LifecycleHookNames=["drain", "nohook"])["LifecycleHooks"]])
c.terminate_instance_in_auto_scaling_group(InstanceId=a, ShouldDecrementDesiredCapacity=True)
print("a ending", wait_state(a, "Terminating:Wait"),
      activity(a, "Terminating EC2 instance:")["StatusCode"])
c.record_lifecycle_action_heartbeat(AutoScalingGroupName="web", LifecycleHookName="drain",
                                    InstanceId=a)
c.complete_lifecycle_action(AutoScalingGroupName="web", LifecycleHookName="drain",
                            InstanceId=a, LifecycleActionResult="CONTINUE")
print("a next", state(a) in ("Terminating:Proceed", "gone"), wait_state(a, "gone"),
      activity(a, "Terminating EC2 instance:")["StatusCode"])
before = set(instances())
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=2)
held = wait_for("a scale-in held", lambda: [i for i, s in instances().items() if s == "Terminating:Wait"])
print("scale-in held", len(held))
c.complete_lifecycle_action(AutoScalingGroupName="web", LifecycleHookName="drain",
                            InstanceId=held[0], LifecycleActionResult="ABANDON")
wait_state(held[0], "gone")
print("web", sorted(instances().values()))

# The 51st hook of a group.
c.create_auto_scaling_group(AutoScalingGroupName="many", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=1, DesiredCapacity=0)
for n in range(50):
    c.put_lifecycle_hook(AutoScalingGroupName="many", LifecycleHookName=f"h{n}",
                         LifecycleTransition=LAUNCH)
expect_error("LimitExceeded", c.put_lifecycle_hook, AutoScalingGroupName="many",
             LifecycleHookName="h50", LifecycleTransition=LAUNCH)
c.put_lifecycle_hook(AutoScalingGroupName="many", LifecycleHookName="h7", HeartbeatTimeout=60)

# Hooks given at creation hold the group's first instance; it stays held across the restart.
c.create_auto_scaling_group(AutoScalingGroupName="first", LaunchConfigurationName="lc",
                            MinSize=1, MaxSize=2, DesiredCapacity=1,
                            LifecycleHookSpecificationList=[
                                {"LifecycleHookName": "boot", "LifecycleTransition": LAUNCH,
                                 "HeartbeatTimeout": 7200, "DefaultResult": "CONTINUE"}])
g = new_instance(set(), "first")
print("first", wait_state(g, "Pending:Wait", "first"))
expect_error("ValidationError", c.create_auto_scaling_group, AutoScalingGroupName="bad",
             LaunchConfigurationName="lc", MinSize=0, MaxSize=1,
             LifecycleHookSpecificationList=[{"LifecycleHookName": "x", "LifecycleTransition": LAUNCH,
                                              "HeartbeatTimeout": 5}])
print("bad made", len(c.describe_auto_scaling_groups(AutoScalingGroupNames=["bad"])["AutoScalingGroups"]))
print("held", g)
"#;

/// After the restart: the hook is there, the instance still held; completing it still works.
const AFTER_RESTART: &str = r#"
held = sys.argv[1] if len(sys.argv) > 1 else os.environ["HELD"]
h = c.describe_lifecycle_hooks(AutoScalingGroupName="first")["LifecycleHooks"][0]
print("hook", h["LifecycleHookName"], h["HeartbeatTimeout"], h["DefaultResult"])
print("state", state(held, "first"))
c.complete_lifecycle_action(AutoScalingGroupName="first", LifecycleHookName="boot",
                            InstanceId=held, LifecycleActionResult="CONTINUE")
print("then", wait_state(held, "InService", "first"))
print("many", len(c.describe_lifecycle_hooks(AutoScalingGroupName="many")["LifecycleHooks"]))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_hooks_hold_complete_time_out_and_survive_a_restart() {
    let dir = scratch_dir("hooks");
    let state = dir.join("state.db");
    let db = state.as_os_str();
    let s = server(&state).await;
    let lines = boto3_script(&s.url(), &key(), PRELUDE, SCENARIO, &[("STATE_DB", db)]).await;
    let held = lines
        .last()
        .and_then(|l| l.strip_prefix("held "))
        .expect("the held instance")
        .to_string();
    let want = [
        "types ['autoscaling:EC2_INSTANCE_LAUNCHING', 'autoscaling:EC2_INSTANCE_TERMINATING']",
        "hook launch autoscaling:EC2_INSTANCE_LAUNCHING 7200 172800 ABANDON hello",
        "a Pending:Wait MidLifecycleAction 1",
        "ScalingActivityInProgress: The operation can't be performed because there are scaling \
         activities in progress.",
        "a next True InService Successful",
    ];
    assert_eq!(lines[..5], want);
    let misuse = [
        "ValidationError: No active Lifecycle Action found with instance ID ",
        "ValidationError: No active Lifecycle Action found with instance ID i-00000000000000000",
        "ValidationError: No active Lifecycle Action found with token \
         0b1e5c2a-9d1f-4c57-8a3e-5d2f7c9e1b40",
        "ValidationError: Invalid value for LifecycleActionResult: MAYBE. Valid values are \
         CONTINUE and ABANDON.",
        "ValidationError: Either LifecycleActionToken or InstanceId must be specified.",
        "ValidationError: No active Lifecycle Action found with instance ID ",
        "ValidationError: AutoScalingGroup name not found - AutoScalingGroup nowhere not found",
        "ValidationError: Heartbeat timeout 29 is not valid: it must be between 30 and 7200 \
         seconds.",
        "ValidationError: Heartbeat timeout 7201 is not valid: it must be between 30 and 7200 \
         seconds.",
        "ValidationError: Invalid value for LifecycleTransition: \
         autoscaling:EC2_INSTANCE_EXPLODING. Valid values are autoscaling:EC2_INSTANCE_LAUNCHING \
         and autoscaling:EC2_INSTANCE_TERMINATING.",
        "ValidationError: LifecycleTransition is required when creating a lifecycle hook.",
        "ValidationError: Invalid value for DefaultResult: MAYBE. Valid values are CONTINUE and \
         ABANDON.",
        "ValidationError: AutoScalingGroup name not found - AutoScalingGroup nowhere not found",
        "ValidationError: No Lifecycle Hook found with name nohook for AutoScalingGroup web",
    ];
    for (got, want) in lines[5..5 + misuse.len()].iter().zip(misuse) {
        assert!(got.starts_with(want), "{got} / {want}");
    }
    let rest: Vec<&str> = lines[5 + misuse.len()..]
        .iter()
        .map(String::as_str)
        .collect();
    let want = [
        "b gone Pending:Wait user's Lifecycle Action: Lifecycle Action with token",
        "d after heartbeats Pending:Wait",
        "e InService",
        "f gone Heartbeat Timeout.",
        "churn hooks []",
        "churn ['InService']",
        "names ['drain', 'launch'] ['drain']",
        "a ending Terminating:Wait MidLifecycleAction",
        "a next True gone Successful",
        "scale-in held 1",
        "web ['InService', 'InService']",
        "LimitExceeded: Maximum number of lifecycle hooks (50) reached for AutoScalingGroup many.",
        "first Pending:Wait",
        "ValidationError: Heartbeat timeout 5 is not valid: it must be between 30 and 7200 \
         seconds.",
        "bad made 0",
    ];
    assert_eq!(rest.len(), want.len() + 1, "{rest:#?}");
    for (got, want) in rest.iter().zip(want) {
        assert!(got.starts_with(want), "{got} / {want}");
    }
    s.shutdown().await;

    let s = server(&state).await;
    let env = [("STATE_DB", db), ("HELD", std::ffi::OsStr::new(&held))];
    let lines = boto3_script(&s.url(), &key(), PRELUDE, AFTER_RESTART, &env).await;
    assert_eq!(
        lines,
        [
            "hook boot 7200 CONTINUE",
            "state Pending:Wait",
            "then InService",
            "many 50"
        ]
    );
    s.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Termination policies are checked against AWS's list on Create and Update (a Lambda
/// function's ARN, a custom policy, is accepted); a scheduled action that changes only MinSize
/// and MaxSize, with the desired capacity inside them, launches or terminates nothing and
/// records no activity, as AWS records activities only for launches and terminations.
const RULES: &str = r#"
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12345678",
                              InstanceType="m1.small")
expect_error("ValidationError", c.create_auto_scaling_group, AutoScalingGroupName="p",
             LaunchConfigurationName="lc", MinSize=0, MaxSize=1, TerminationPolicies=["Youngest"])
c.create_auto_scaling_group(AutoScalingGroupName="p", LaunchConfigurationName="lc", MinSize=1,
                            MaxSize=2, TerminationPolicies=["OldestInstance",
                            "arn:aws:lambda:us-east-1:123456789012:function:pick"])
expect_error("ValidationError", c.update_auto_scaling_group, AutoScalingGroupName="p",
             TerminationPolicies=["Default", "oldestinstance"])
print("policies", c.describe_auto_scaling_groups(AutoScalingGroupNames=["p"])
      ["AutoScalingGroups"][0]["TerminationPolicies"])
wait_for("one in service", lambda: list(instances("p").values()) == ["InService"])
c.put_scheduled_update_group_action(AutoScalingGroupName="p", ScheduledActionName="sizes",
                                    StartTime=soon(2), MinSize=0, MaxSize=3)
wait_for("the sizes", lambda: c.describe_scheduled_actions(AutoScalingGroupName="p")
         ["ScheduledUpdateGroupActions"] == [])
g = c.describe_auto_scaling_groups(AutoScalingGroupNames=["p"])["AutoScalingGroups"][0]
print("sizes", g["MinSize"], g["MaxSize"], g["DesiredCapacity"])
print("activities", [a["Description"].split(":")[0] for a in
                     c.describe_scaling_activities(AutoScalingGroupName="p")["Activities"]])
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn termination_policies_are_checked_and_a_size_only_schedule_records_no_activity() {
    let dir = scratch_dir("hooks-rules");
    let state = dir.join("state.db");
    let s = server(&state).await;
    let lines = boto3_script(&s.url(), &key(), PRELUDE, RULES, &[]).await;
    assert_eq!(
        lines,
        [
            "ValidationError: Termination policy Youngest is not valid. Valid termination \
             policies are AllocationStrategy, ClosestToNextInstanceHour, Default, \
             NewestInstance, OldestInstance, OldestLaunchConfiguration, OldestLaunchTemplate or \
             the ARN of a Lambda function.",
            "ValidationError: Termination policy oldestinstance is not valid. Valid termination \
             policies are AllocationStrategy, ClosestToNextInstanceHour, Default, \
             NewestInstance, OldestInstance, OldestLaunchConfiguration, OldestLaunchTemplate or \
             the ARN of a Lambda function.",
            "policies ['OldestInstance', 'arn:aws:lambda:us-east-1:123456789012:function:pick']",
            "sizes 0 3 1",
            "activities ['Launching a new EC2 instance']",
        ]
    );
    s.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
