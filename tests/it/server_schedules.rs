//! Scheduled actions on the built-in endpoint, scripted with boto3 over real HTTP with SigV4 and
//! real keys: a one-off action a few seconds ahead runs and changes its group (an activity caused
//! by it, the action gone afterwards), a recurring one is listed with its next run in its time
//! zone, BatchPut with bad items listed as failed and the rest stored, Describe in pages and by
//! time, Delete and BatchDelete, AWS's error codes on misuse, the actions deleted with their
//! group, kept per key and across a restart with a state file (one due while the endpoint was
//! down, or soon after its restart, still runs).
//!
//! Waiting for an action to run polls with a generous bound (a minute), never a timing target.

use std::time::Duration;

use crate::util::peers::boto3_script;
use crate::util::run::scratch_dir;
use phantom_autoscale::Credentials;
use phantom_autoscale::server::RunningServer;

fn key() -> Credentials {
    Credentials::new("AKIDSCHEDULES0000001", "schedules/secret+key=")
}

fn other_key() -> Credentials {
    Credentials::new("AKIDSCHEDULES0000002", "other/secret+key=")
}

async fn server(state: &std::path::Path) -> RunningServer {
    crate::util::server::start_keyed(vec![key(), other_key()], state, Duration::from_millis(100))
        .await
}

/// `wait_desired` (polls the group's desired capacity, a minute at most) and other helpers,
/// after `boto3_script`'s client `c` and `expect_error`.
const PRELUDE: &str = r#"
import os, sys, time, datetime
import boto3, botocore.exceptions
UTC = datetime.timezone.utc

def group(name="web"):
    return c.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]

def wait_desired(want, name="web"):
    deadline = time.time() + 60
    while time.time() < deadline:
        g = group(name)
        if g["DesiredCapacity"] == want:
            return g
        time.sleep(0.2)
    sys.exit(f"desired capacity never became {want}: {group(name)['DesiredCapacity']}")

def soon(seconds):
    return datetime.datetime.now(UTC) + datetime.timedelta(seconds=seconds)

def names(**kwargs):
    return sorted(a["ScheduledActionName"]
                  for a in c.describe_scheduled_actions(**kwargs)["ScheduledUpdateGroupActions"])
"#;

const SCENARIO: &str = r#"
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12345678",
                              InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=5, DesiredCapacity=0)

# A one-off action a few seconds ahead.
c.put_scheduled_update_group_action(AutoScalingGroupName="web", ScheduledActionName="soon",
                                    StartTime=soon(3), MinSize=1, DesiredCapacity=2)
# A recurring one, in Tokyo's time (UTC+9, no daylight saving): 03:00 there is 18:00 UTC.
c.put_scheduled_update_group_action(AutoScalingGroupName="web", ScheduledActionName="nightly",
                                    Recurrence="0 3 * * *", TimeZone="Asia/Tokyo",
                                    MinSize=0, MaxSize=5, DesiredCapacity=1)
n = c.describe_scheduled_actions(AutoScalingGroupName="web",
                                 ScheduledActionNames=["nightly"])["ScheduledUpdateGroupActions"][0]
start = n["StartTime"].astimezone(UTC)
ahead = start - datetime.datetime.now(UTC)
print("nightly", n["Recurrence"], n["TimeZone"], start.strftime("%H:%M"),
      datetime.timedelta(0) < ahead <= datetime.timedelta(days=1),
      n["ScheduledActionARN"].split(":scheduledUpdateGroupAction:")[1].split(":", 1)[1])

# A batch with two bad items: those are listed, the good ones stored.
out = c.batch_put_scheduled_update_group_action(AutoScalingGroupName="web", ScheduledUpdateGroupActions=[
    {"ScheduledActionName": "weekday", "Recurrence": "0 8 * * 1-5", "DesiredCapacity": 1},
    {"ScheduledActionName": "late", "StartTime": soon(-3600), "DesiredCapacity": 1},
    {"ScheduledActionName": "garbled", "Recurrence": "every day", "DesiredCapacity": 1},
    {"ScheduledActionName": "later", "StartTime": soon(86400), "DesiredCapacity": 3},
])
for f in out["FailedScheduledUpdateGroupActions"]:
    print("failed", f["ScheduledActionName"], f["ErrorCode"], f["ErrorMessage"])
print("stored", names(AutoScalingGroupName="web"))

# Misuse, with AWS's codes.
expect_error("ValidationError", c.put_scheduled_update_group_action, AutoScalingGroupName="web",
             ScheduledActionName="bad", StartTime=soon(-60), DesiredCapacity=1)
expect_error("ValidationError", c.put_scheduled_update_group_action, AutoScalingGroupName="web",
             ScheduledActionName="bad", StartTime=soon(60))
expect_error("ValidationError", c.put_scheduled_update_group_action, AutoScalingGroupName="web",
             ScheduledActionName="bad", Recurrence="0 3 * * *", TimeZone="Mars/Olympus",
             DesiredCapacity=1)
expect_error("ValidationError", c.put_scheduled_update_group_action, AutoScalingGroupName="web",
             ScheduledActionName="bad", Recurrence="0 3 * * * *", DesiredCapacity=1)
expect_error("ValidationError", c.put_scheduled_update_group_action, AutoScalingGroupName="web",
             ScheduledActionName="bad", StartTime=soon(60), MinSize=4, MaxSize=2)
expect_error("ValidationError", c.put_scheduled_update_group_action, AutoScalingGroupName="web",
             ScheduledActionName="bad", StartTime=soon(120), EndTime=soon(60),
             Recurrence="0 3 * * *", DesiredCapacity=1)
expect_error("ValidationError", c.put_scheduled_update_group_action, AutoScalingGroupName="nowhere",
             ScheduledActionName="bad", StartTime=soon(60), DesiredCapacity=1)
expect_error("ValidationError", c.put_scheduled_update_group_action, AutoScalingGroupName="web",
             ScheduledActionName="x" * 256, StartTime=soon(60), DesiredCapacity=1)
expect_error("ValidationError", c.delete_scheduled_action, AutoScalingGroupName="web",
             ScheduledActionName="missing")

# The one-off action runs: the group changes, an activity names it, the action is gone.
g = wait_desired(2)
print("after soon", g["MinSize"], g["MaxSize"], g["DesiredCapacity"])
acts = c.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
print("caused by soon:", sum("a scheduled action update of AutoScalingGroup constraints to min: 1, "
                             "max: 5, desired: 2 changing the desired capacity from 0 to 2" in a["Cause"]
                             for a in acts))
print("left", names())

# Pages, and the StartTime/EndTime window on the next run.
pages = c.get_paginator("describe_scheduled_actions").paginate(AutoScalingGroupName="web",
                                                               PaginationConfig={"PageSize": 1})
print("pages", [[a["ScheduledActionName"] for a in p["ScheduledUpdateGroupActions"]] for p in pages])
print("within 4 days", names(StartTime=soon(0), EndTime=soon(4 * 86400)))
print("from 20 days", names(StartTime=soon(20 * 86400)))

# Updating keeps what is not given.
c.put_scheduled_update_group_action(AutoScalingGroupName="web", ScheduledActionName="later",
                                    MaxSize=4)
l = c.describe_scheduled_actions(ScheduledActionNames=["later"])["ScheduledUpdateGroupActions"][0]
print("later", l.get("MinSize"), l.get("MaxSize"), l.get("DesiredCapacity"))

# Deletes.
c.delete_scheduled_action(AutoScalingGroupName="web", ScheduledActionName="weekday")
out = c.batch_delete_scheduled_action(AutoScalingGroupName="web",
                                      ScheduledActionNames=["later", "missing"])
for f in out["FailedScheduledActions"]:
    print("failed", f["ScheduledActionName"], f["ErrorCode"], f["ErrorMessage"])
print("left", names())

# A group deleted takes its actions with it.
c.create_auto_scaling_group(AutoScalingGroupName="tmp", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=1, DesiredCapacity=0)
c.put_scheduled_update_group_action(AutoScalingGroupName="tmp", ScheduledActionName="t",
                                    StartTime=soon(600), DesiredCapacity=1)
c.delete_auto_scaling_group(AutoScalingGroupName="tmp")
c.create_auto_scaling_group(AutoScalingGroupName="tmp", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=1, DesiredCapacity=0)
print("tmp", names(AutoScalingGroupName="tmp"))

# One due just after the restart that follows.
c.put_scheduled_update_group_action(AutoScalingGroupName="web", ScheduledActionName="across",
                                    StartTime=soon(2), DesiredCapacity=3)
"#;

/// After a restart: the recurring action is still there, and the one due meanwhile runs.
const AFTER_RESTART: &str = r#"
g = wait_desired(3)
print("after across", g["DesiredCapacity"])
print("left", names())
"#;

const OTHER_KEY: &str = r#"
print("other key sees", names())
expect_error("ValidationError", c.delete_scheduled_action, AutoScalingGroupName="web",
             ScheduledActionName="nightly")
"#;

async fn boto3(server: &RunningServer, creds: &Credentials, script: &str) -> Vec<String> {
    boto3_script(&server.url(), creds, PRELUDE, script, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_schedules_run_and_survive_a_restart() {
    let dir = scratch_dir("schedules");
    let state = dir.join("state.db");
    let s = server(&state).await;
    let lines = boto3(&s, &key(), SCENARIO).await;
    let want = [
        "nightly 0 3 * * * Asia/Tokyo 18:00 True autoScalingGroupName/web:scheduledActionName/nightly",
        "failed late ValidationError Given start time is in the past",
        "failed garbled ValidationError Given recurrence is not a valid cron expression: every \
         day (it has 2 fields; the format is [Minute] [Hour] [Day_of_Month] [Month_of_Year] \
         [Day_of_Week])",
        "stored ['later', 'nightly', 'soon', 'weekday']",
        "ValidationError: Given start time is in the past",
        "ValidationError: At least one of MinSize, MaxSize or DesiredCapacity must be specified.",
        "ValidationError: Given time zone is not valid: Mars/Olympus. Valid values are the \
         canonical names of the IANA time zones, such as Etc/GMT+9 or Pacific/Tahiti.",
        "ValidationError: Given recurrence is not a valid cron expression: 0 3 * * * * (it has 6 \
         fields; the format is [Minute] [Hour] [Day_of_Month] [Month_of_Year] [Day_of_Week])",
        "ValidationError: The minimum size (4) must not exceed the maximum size (2).",
        "ValidationError: Given end time is not after the start time",
        "ValidationError: AutoScalingGroup name not found - AutoScalingGroup nowhere not found",
        &format!(
            "ValidationError: 1 validation error detected: Value '{}' at 'scheduledActionName' \
             failed to satisfy constraint: Member must have length less than or equal to 255",
            "x".repeat(256)
        ),
        "ValidationError: Scheduled action name not found - ScheduledAction missing not found",
        "after soon 1 5 2",
        "caused by soon: 2",
        "left ['later', 'nightly', 'weekday']",
        "pages [['later'], ['nightly'], ['weekday']]",
        "within 4 days ['later', 'nightly', 'weekday']",
        "from 20 days []",
        "later None 4 3",
        "failed missing ValidationError Scheduled action name not found - ScheduledAction \
         missing not found",
        "left ['nightly']",
        "tmp []",
    ];
    assert_eq!(lines, want);
    s.shutdown().await;

    let s = server(&state).await;
    let lines = boto3(&s, &key(), AFTER_RESTART).await;
    assert_eq!(lines, ["after across 3", "left ['nightly']"]);
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

/// A group's suspended ScheduledActions process: a due action does not change the group (a
/// one-off one is still used up, as AWS skips what falls in a suspension); after a resume the
/// next action runs.
const SUSPENDED: &str = r#"
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12345678",
                              InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="held", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=5, DesiredCapacity=0)
c.suspend_processes(AutoScalingGroupName="held", ScalingProcesses=["ScheduledActions"])
c.put_scheduled_update_group_action(AutoScalingGroupName="held", ScheduledActionName="skipped",
                                    StartTime=soon(2), DesiredCapacity=2)
deadline = time.time() + 60
while names(AutoScalingGroupName="held") and time.time() < deadline:
    time.sleep(0.2)
print("while suspended", names(AutoScalingGroupName="held"), group("held")["DesiredCapacity"])
c.resume_processes(AutoScalingGroupName="held", ScalingProcesses=["ScheduledActions"])
c.put_scheduled_update_group_action(AutoScalingGroupName="held", ScheduledActionName="runs",
                                    StartTime=soon(2), DesiredCapacity=1)
print("after resume", wait_desired(1, "held")["DesiredCapacity"])
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_scheduled_actions_process_holds_the_group() {
    let dir = scratch_dir("schedules-suspended");
    let s = server(&dir.join("state.db")).await;
    let lines = boto3(&s, &key(), SUSPENDED).await;
    assert_eq!(lines, ["while suspended [] 0", "after resume 1"]);
    s.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
