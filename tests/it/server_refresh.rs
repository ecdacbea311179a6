//! Instance refresh on the built-in endpoint over real HTTP: a boto3 scenario across six instances
//! with MinHealthyPercentage 50 (a refresh to a new launch template version that replaces every
//! instance without the healthy count ever dropping below three, a second one cancelled mid-way
//! that leaves the remaining instances old, a third rolled back to the old configuration), AWS's
//! errors (InstanceRefreshInProgress, ActiveInstanceRefreshNotFound, IrreversibleInstanceRefresh),
//! Describe's paging, a second key seeing none of it; the preference rules and defaults through
//! the Query client; protected instances waited for (then the refresh fails and rolls back
//! automatically), a suspended InstanceRefresh holding a refresh, a launch configuration group
//! refreshed without a desired configuration, checkpoints and bake time, a refresh carrying on
//! after a restart on its state file; and `phantom refresh start/status/cancel/rollback --wait`
//! against `phantom serve`.
//!
//! The endpoint runs with `refresh_time_scale` 0.05 (`--refresh-time-scale`), so a warm-up of
//! 10 s passes in 0.5 s. Waiting polls with a generous bound (a minute or two), never a timing
//! target.

use std::time::Duration;

use crate::util::peers::boto3_script;
use crate::util::run::scratch_dir;
use crate::util::server::Client;
use phantom_autoscale::Credentials;
use phantom_autoscale::autoscaling::types::{
    DescribeAutoScalingGroupsOutput, DescribeInstanceRefreshesOutput, InstanceRefresh,
    StartInstanceRefreshOutput,
};
use phantom_autoscale::server::{RunningServer, ServeOptions, start};

fn key() -> Credentials {
    Credentials::new("AKIDREFRESH000000001", "refresh/secret+key=")
}

fn other_key() -> Credentials {
    Credentials::new("AKIDREFRESH000000002", "other/secret+key=")
}

async fn server(state: &std::path::Path) -> RunningServer {
    start(ServeOptions {
        keys: vec![key(), other_key()],
        state: Some(state.to_path_buf()),
        launch_delay: Duration::from_millis(200),
        terminate_delay: Duration::from_millis(200),
        refresh_time_scale: 0.05,
        ..ServeOptions::default()
    })
    .await
    .unwrap()
}

/// The scripts' helpers (after `boto3_script`'s client `c` and `expect_error`).
const PRELUDE: &str = r#"
import os, sys, time
ec2 = boto3.client("ec2", endpoint_url=os.environ["PHANTOM_ENDPOINT"], region_name="us-east-1",
                   aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                   aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])

def group(name="web"):
    return c.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]

def versions(name="web"):
    """The launch template versions of the instances that are not terminating, sorted."""
    return sorted(i["LaunchTemplate"]["Version"] for i in group(name)["Instances"]
                  if not i["LifecycleState"].startswith("Terminating"))

def refresh(rid, name="web"):
    return c.describe_instance_refreshes(AutoScalingGroupName=name,
                                         InstanceRefreshIds=[rid])["InstanceRefreshes"][0]

def wait_for(what, test, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = test()
        if got:
            return got
        time.sleep(0.05)
    sys.exit(f"never: {what}")

def settled(n, name="web"):
    g = group(name)
    return len(g["Instances"]) == n and all(i["LifecycleState"] == "InService" for i in g["Instances"])

def watch(rid, final, name="web"):
    """Polls the refresh until `final`; returns it, the fewest instances seen in service and
    healthy, the most seen not terminating, and the statuses seen."""
    lowest, highest, seen = 99, 0, set()
    deadline = time.time() + 120
    while time.time() < deadline:
        g = group(name)
        healthy = sum(1 for i in g["Instances"]
                      if i["LifecycleState"] == "InService" and i["HealthStatus"] == "Healthy")
        live = sum(1 for i in g["Instances"] if not i["LifecycleState"].startswith("Terminating"))
        lowest, highest = min(lowest, healthy), max(highest, live)
        r = refresh(rid, name)
        seen.add(r["Status"])
        if r["Status"] == final:
            return r, lowest, highest, seen
        if r["Status"] in ("Successful", "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"):
            sys.exit(f"ended {r['Status']}: {r}")
        time.sleep(0.05)
    sys.exit(f"never {final}: {refresh(rid, name)}")
"#;

const SCENARIO: &str = r#"
lt = ec2.create_launch_template(LaunchTemplateName="web",
                                LaunchTemplateData={"ImageId": "ami-1", "InstanceType": "t3.micro"})
for image in ("ami-2", "ami-3"):
    ec2.create_launch_template_version(LaunchTemplateName="web", SourceVersion="1",
                                       LaunchTemplateData={"ImageId": image})
c.create_auto_scaling_group(AutoScalingGroupName="web", MinSize=0, MaxSize=12, DesiredCapacity=6,
                            LaunchTemplate={"LaunchTemplateName": "web", "Version": "1"},
                            AvailabilityZones=["us-east-1a", "us-east-1b"])
wait_for("six in service", lambda: settled(6))
print("before", versions())
expect_error("ActiveInstanceRefreshNotFound", c.cancel_instance_refresh, AutoScalingGroupName="web")
expect_error("ActiveInstanceRefreshNotFound", c.rollback_instance_refresh, AutoScalingGroupName="web")
expect_error("ValidationError", c.start_instance_refresh, AutoScalingGroupName="nowhere")

# 1. To version 2: every instance replaced, never fewer than three healthy.
prefs = {"MinHealthyPercentage": 50, "InstanceWarmup": 10}
r1 = c.start_instance_refresh(AutoScalingGroupName="web", Preferences=prefs,
    DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateName": "web", "Version": "2"}})["InstanceRefreshId"]
expect_error("InstanceRefreshInProgress", c.start_instance_refresh, AutoScalingGroupName="web")
first = refresh(r1)
print("r1 started", first["Status"], first["Preferences"]["MinHealthyPercentage"],
      first["Preferences"]["InstanceWarmup"], first["Preferences"]["ScaleInProtectedInstances"],
      first["Preferences"]["StandbyInstances"], first["DesiredConfiguration"]["LaunchTemplate"]["Version"])
done, lowest, highest, seen = watch(r1, "Successful")
wait_for("six in service", lambda: settled(6))
print("r1", done["Status"], done["PercentageComplete"], done["InstancesToUpdate"], "EndTime" in done,
      "healthy kept", lowest >= 3, "within max", highest <= 6, "InProgress" in seen)
print("r1 instances", versions(), "group", group()["LaunchTemplate"]["Version"])
acts = c.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
print("r1 cause", any(a["Cause"].endswith("in response to an instance refresh.") for a in acts))

# 2. To version 3, cancelled mid-way: the remaining instances keep version 2.
r2 = c.start_instance_refresh(AutoScalingGroupName="web", Preferences={"MinHealthyPercentage": 50, "InstanceWarmup": 20},
    DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateName": "web", "Version": "3"}})["InstanceRefreshId"]
wait_for("a first batch", lambda: "3" in versions())
print("r2 cancel answers", c.cancel_instance_refresh(AutoScalingGroupName="web")["InstanceRefreshId"] == r2)
expect_error("ActiveInstanceRefreshNotFound", c.cancel_instance_refresh, AutoScalingGroupName="web")
done, lowest, highest, seen = watch(r2, "Cancelled")
wait_for("six in service", lambda: settled(6))
print("r2", done["Status"], "healthy kept", lowest >= 3, "within max", highest <= 6)
print("r2 instances", versions(), "group", group()["LaunchTemplate"]["Version"])

# A refresh without a desired configuration cannot be rolled back.
r = c.start_instance_refresh(AutoScalingGroupName="web", Preferences={"MinHealthyPercentage": 50, "InstanceWarmup": 20})["InstanceRefreshId"]
expect_error("IrreversibleInstanceRefresh", c.rollback_instance_refresh, AutoScalingGroupName="web")
c.cancel_instance_refresh(AutoScalingGroupName="web", WaitForTransitioningInstances=False)
print("no-config refresh", refresh(r)["Status"])
wait_for("six in service", lambda: settled(6))

# 3. To version 3 again, rolled back: version 2 everywhere, the group's configuration unchanged.
r3 = c.start_instance_refresh(AutoScalingGroupName="web", Preferences={"MinHealthyPercentage": 50, "InstanceWarmup": 20},
    DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateName": "web", "Version": "3"}})["InstanceRefreshId"]
wait_for("a first batch", lambda: versions().count("3") > 3)
print("r3 rollback answers", c.rollback_instance_refresh(AutoScalingGroupName="web")["InstanceRefreshId"] == r3)
done, lowest, highest, seen = watch(r3, "RollbackSuccessful")
wait_for("six in service", lambda: settled(6))
d = done["RollbackDetails"]
print("r3", done["Status"], "healthy kept", lowest >= 3, "within max", highest <= 6, "RollbackInProgress" in seen,
      d["RollbackReason"], "RollbackStartTime" in d, "PercentageCompleteOnRollback" in d)
print("r3 instances", versions(), "group", group()["LaunchTemplate"]["Version"])

# Describe: newest first, in pages.
listed = c.describe_instance_refreshes(AutoScalingGroupName="web")["InstanceRefreshes"]
print("listed", [x["Status"] for x in listed], [x["InstanceRefreshId"] for x in listed][:1] == [r3])
page = c.describe_instance_refreshes(AutoScalingGroupName="web", MaxRecords=3)
rest = c.describe_instance_refreshes(AutoScalingGroupName="web", MaxRecords=3, NextToken=page["NextToken"])
print("pages", len(page["InstanceRefreshes"]), len(rest["InstanceRefreshes"]), "NextToken" in rest,
      [x["InstanceRefreshId"] for x in page["InstanceRefreshes"] + rest["InstanceRefreshes"]] ==
      [x["InstanceRefreshId"] for x in listed])
expect_error("InvalidNextToken", c.describe_instance_refreshes, AutoScalingGroupName="web", NextToken="bogus")
"#;

const OTHER: &str = r#"
print("other", c.describe_instance_refreshes(AutoScalingGroupName="web")["InstanceRefreshes"])
expect_error("ValidationError", c.cancel_instance_refresh, AutoScalingGroupName="web")
"#;

#[tokio::test]
async fn a_refresh_across_six_instances_succeeds_is_cancelled_and_rolled_back() {
    let dir = scratch_dir("server-refresh-scenario");
    let server = server(&dir.join("state.db")).await;
    let url = format!("http://{}", server.addr);
    let out = boto3_script(&url, &key(), PRELUDE, SCENARIO, &[]).await;
    let expected = [
        "before ['1', '1', '1', '1', '1', '1']",
        "ActiveInstanceRefreshNotFound: The request failed because an active instance refresh or \
         rollback for the specified Auto Scaling group was not found: web",
        "ActiveInstanceRefreshNotFound: The request failed because an active instance refresh or \
         rollback for the specified Auto Scaling group was not found: web",
        "ValidationError: AutoScalingGroup name not found - AutoScalingGroup nowhere not found",
        "InstanceRefreshInProgress: The request failed because an active instance refresh \
         already exists for the specified Auto Scaling group: web",
        "r1 started InProgress 50 10 Wait Wait 2",
        "r1 Successful 100 0 True healthy kept True within max True True",
        "r1 instances ['2', '2', '2', '2', '2', '2'] group 2",
        "r1 cause True",
        "r2 cancel answers True",
        "ActiveInstanceRefreshNotFound: The request failed because an active instance refresh or \
         rollback for the specified Auto Scaling group was not found: web",
        "r2 Cancelled healthy kept True within max True",
        "r2 instances ['2', '2', '2', '3', '3', '3'] group 2",
        "IrreversibleInstanceRefresh: The request failed because a desired configuration was not \
         found or an incompatible launch template or launch template version ($Latest or \
         $Default) is present on the Auto Scaling group: no desired configuration was specified \
         for the instance refresh",
        "no-config refresh Cancelled",
        "r3 rollback answers True",
        "r3 RollbackSuccessful healthy kept True within max True True Rollback initiated by \
         user request. True True",
        "r3 instances ['2', '2', '2', '2', '2', '2'] group 2",
        "listed ['RollbackSuccessful', 'Cancelled', 'Cancelled', 'Successful'] True",
        "pages 3 1 False True",
        "InvalidNextToken: The NextToken value is invalid.",
    ];
    assert_eq!(out, expected, "{out:#?}");
    // Another key sees no refresh and no group.
    let out = boto3_script(&url, &other_key(), PRELUDE, OTHER, &[]).await;
    assert_eq!(
        out,
        [
            "other []",
            "ValidationError: AutoScalingGroup name not found - AutoScalingGroup web not found"
        ]
    );
    server.shutdown().await;
}

/// An unauthenticated endpoint on `state` whose refresh times pass at a thousandth of AWS's.
async fn quick(state: &std::path::Path) -> RunningServer {
    start(ServeOptions {
        no_auth: true,
        state: Some(state.to_path_buf()),
        launch_delay: Duration::from_millis(100),
        terminate_delay: Duration::from_millis(100),
        refresh_time_scale: 0.001,
        ..ServeOptions::default()
    })
    .await
    .unwrap()
}

/// StartInstanceRefresh for `group` with `extra` parameters; the refresh id.
async fn start_refresh(c: &Client, group: &str, extra: &[(&str, &str)]) -> String {
    let mut params = vec![("AutoScalingGroupName", group)];
    params.extend_from_slice(extra);
    let out: StartInstanceRefreshOutput = c.call("StartInstanceRefresh", &params).await.ok();
    out.instance_refresh_id.unwrap()
}

async fn describe(c: &Client, group: &str, id: &str) -> InstanceRefresh {
    let out: DescribeInstanceRefreshesOutput = c
        .call(
            "DescribeInstanceRefreshes",
            &[
                ("AutoScalingGroupName", group),
                ("InstanceRefreshIds.member.1", id),
            ],
        )
        .await
        .ok();
    out.instance_refreshes.unwrap().remove(0)
}

/// Polls the refresh until `want` (any other final status fails the test); returns it and each
/// distinct (status, reason) seen on the way.
async fn until(
    c: &Client,
    group: &str,
    id: &str,
    want: &str,
) -> (InstanceRefresh, Vec<(String, String)>) {
    let mut seen: Vec<(String, String)> = Vec::new();
    for _ in 0..2400 {
        let r = describe(c, group, id).await;
        let status = r.status.clone().unwrap_or_default();
        let step = (status.clone(), r.status_reason.clone().unwrap_or_default());
        if !seen.contains(&step) {
            seen.push(step);
        }
        if status == want {
            return (r, seen);
        }
        let ended = [
            "Successful",
            "Failed",
            "Cancelled",
            "RollbackSuccessful",
            "RollbackFailed",
        ];
        assert!(!ended.contains(&status.as_str()), "ended {status}: {r:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never {want}: {seen:?}");
}

/// The ids of the group's instances that are not terminating.
async fn live(c: &Client, group: &str) -> Vec<String> {
    let out: DescribeAutoScalingGroupsOutput = c
        .call(
            "DescribeAutoScalingGroups",
            &[("AutoScalingGroupNames.member.1", group)],
        )
        .await
        .ok();
    let g = out.auto_scaling_groups.unwrap().remove(0);
    g.instances
        .unwrap_or_default()
        .into_iter()
        .filter(|i| {
            !i.lifecycle_state
                .as_deref()
                .unwrap_or("")
                .starts_with("Terminating")
        })
        .map(|i| i.instance_id.unwrap())
        .collect()
}

async fn settle(c: &Client, group: &str, n: usize) -> Vec<String> {
    for _ in 0..1200 {
        let out: DescribeAutoScalingGroupsOutput = c
            .call(
                "DescribeAutoScalingGroups",
                &[("AutoScalingGroupNames.member.1", group)],
            )
            .await
            .ok();
        let g = out.auto_scaling_groups.unwrap().remove(0);
        let all = g.instances.unwrap_or_default();
        if all.len() == n
            && all
                .iter()
                .all(|i| i.lifecycle_state.as_deref() == Some("InService"))
        {
            return all.into_iter().map(|i| i.instance_id.unwrap()).collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{group} never settled at {n}");
}

fn refused(a: &crate::util::server::Answer, code: &str, message: &str) {
    a.fails(400, code);
    assert_eq!(a.error.as_ref().unwrap().1, message, "{}", a.body);
}

#[tokio::test]
async fn preferences_checkpoints_bake_time_suspension_protection_and_a_restart() {
    let dir = scratch_dir("server-refresh-rules");
    let state = dir.join("state.db");
    let server = quick(&state).await;
    let c = Client::new(&server);
    c.call(
        "CreateLaunchConfiguration",
        &[
            ("LaunchConfigurationName", "lc"),
            ("ImageId", "ami-1"),
            ("InstanceType", "m1.small"),
        ],
    )
    .await
    .done();
    c.call(
        "CreateAutoScalingGroup",
        &[
            ("AutoScalingGroupName", "g"),
            ("LaunchConfigurationName", "lc"),
            ("MinSize", "0"),
            ("MaxSize", "6"),
            ("DesiredCapacity", "2"),
            ("HealthCheckGracePeriod", "30"),
        ],
    )
    .await
    .done();
    let before = settle(&c, "g", 2).await;

    // The rules of the preferences, in AWS's terms (texts ours where AWS gives none).
    let start = |extra: Vec<(&'static str, &'static str)>| {
        let c = c.clone();
        async move {
            let mut params = vec![("AutoScalingGroupName", "g")];
            params.extend(extra);
            c.call("StartInstanceRefresh", &params).await
        }
    };
    for (extra, message) in [
        (
            vec![("Preferences.MaxHealthyPercentage", "150")],
            "MinHealthyPercentage must be specified when MaxHealthyPercentage is specified.",
        ),
        (
            vec![
                ("Preferences.MinHealthyPercentage", "10"),
                ("Preferences.MaxHealthyPercentage", "150"),
            ],
            "The difference between MaxHealthyPercentage (150) and MinHealthyPercentage (10) \
             cannot be greater than 100.",
        ),
        (
            vec![("Preferences.CheckpointDelay", "10")],
            "CheckpointDelay requires CheckpointPercentages to be specified.",
        ),
        (
            vec![
                ("Preferences.CheckpointPercentages.member.1", "50"),
                ("Preferences.CheckpointPercentages.member.2", "20"),
            ],
            "CheckpointPercentages must be unique and in ascending order.",
        ),
        (
            vec![("Preferences.AutoRollback", "true")],
            "AutoRollback cannot be enabled for this instance refresh: no desired configuration \
             was specified for the instance refresh.",
        ),
        (
            vec![("Strategy", "ReplaceRootVolume")],
            "The ReplaceRootVolume strategy is not supported by this endpoint: use Rolling.",
        ),
    ] {
        refused(&start(extra).await, "ValidationError", message);
    }
    start(vec![("Preferences.MinHealthyPercentage", "101")])
        .await
        .fails(400, "ValidationError");
    start(vec![(
        "DesiredConfiguration.LaunchTemplate.LaunchTemplateName",
        "nope",
    )])
    .await
    .fails(400, "ValidationError");

    // Defaults: 90 %, the grace period as warm-up, Wait for protected and Standby instances; a
    // launch configuration group without a desired configuration gets every instance replaced
    // (one at a time: 90 % of two leaves no room).
    let id = start_refresh(&c, "g", &[]).await;
    let p = describe(&c, "g", &id).await.preferences.unwrap();
    assert_eq!(
        (
            p.min_healthy_percentage,
            p.instance_warmup,
            p.skip_matching,
            p.auto_rollback,
            p.scale_in_protected_instances.as_deref(),
            p.standby_instances.as_deref(),
            p.checkpoint_delay,
            p.max_healthy_percentage,
        ),
        (
            Some(90),
            Some(30),
            Some(false),
            Some(false),
            Some("Wait"),
            Some("Wait"),
            None,
            None
        )
    );
    let (done, _) = until(&c, "g", &id, "Successful").await;
    assert_eq!(
        (done.percentage_complete, done.instances_to_update),
        (Some(100), Some(0))
    );
    let after = settle(&c, "g", 2).await;
    assert!(after.iter().all(|i| !before.contains(i)), "{after:?}");

    // Checkpoints at 50 and 100 (a delay of 1000 s scaled: 1 s each), then the bake time.
    let id = start_refresh(
        &c,
        "g",
        &[
            ("Preferences.MinHealthyPercentage", "50"),
            ("Preferences.InstanceWarmup", "0"),
            ("Preferences.CheckpointPercentages.member.1", "50"),
            ("Preferences.CheckpointPercentages.member.2", "100"),
            ("Preferences.CheckpointDelay", "1000"),
            ("Preferences.BakeTime", "1000"),
        ],
    )
    .await;
    let (done, seen) = until(&c, "g", &id, "Successful").await;
    let reasons: Vec<&str> = seen.iter().map(|(_, r)| r.as_str()).collect();
    assert!(
        reasons
            .contains(&"Checkpoint 50% reached: waiting the checkpoint delay before continuing.")
            && reasons.contains(
                &"Checkpoint 100% reached: waiting the checkpoint delay before continuing."
            ),
        "{seen:?}"
    );
    assert!(seen.iter().any(|(s, _)| s == "Baking"), "{seen:?}");
    assert_eq!(done.percentage_complete, Some(100));
    let after = settle(&c, "g", 2).await;

    // A suspended InstanceRefresh holds a refresh until resumed.
    c.call(
        "SuspendProcesses",
        &[
            ("AutoScalingGroupName", "g"),
            ("ScalingProcesses.member.1", "InstanceRefresh"),
        ],
    )
    .await
    .done();
    let id = start_refresh(&c, "g", &[("Preferences.InstanceWarmup", "0")]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = describe(&c, "g", &id).await;
    assert_eq!(
        (held.status.as_deref(), held.status_reason.as_deref()),
        (
            Some("Pending"),
            Some(
                "Waiting for the InstanceRefresh process of the Auto Scaling group to be resumed."
            )
        )
    );
    assert_eq!(live(&c, "g").await, after);
    c.call(
        "ResumeProcesses",
        &[
            ("AutoScalingGroupName", "g"),
            ("ScalingProcesses.member.1", "InstanceRefresh"),
        ],
    )
    .await
    .done();
    until(&c, "g", &id, "Successful").await;
    let after = settle(&c, "g", 2).await;

    // A protected instance: Wait (the default) waits an hour (3.6 s scaled) and fails; Ignore
    // leaves it; Refresh replaces it.
    let kept = after[0].clone();
    c.call(
        "SetInstanceProtection",
        &[
            ("AutoScalingGroupName", "g"),
            ("InstanceIds.member.1", kept.as_str()),
            ("ProtectedFromScaleIn", "true"),
        ],
    )
    .await
    .done();
    let id = start_refresh(
        &c,
        "g",
        &[
            ("Preferences.MinHealthyPercentage", "50"),
            ("Preferences.InstanceWarmup", "0"),
        ],
    )
    .await;
    let (failed, seen) = until(&c, "g", &id, "Failed").await;
    assert!(
        seen.iter()
            .any(|(_, r)| r.starts_with("Waiting for 1 instance(s) protected from scale in")),
        "{seen:?}"
    );
    assert_eq!(
        failed.status_reason.as_deref(),
        Some(
            format!(
                "1 instance(s) protected from scale in were not replaced within an hour (for \
                 example: {kept})."
            )
            .as_str()
        )
    );
    assert!(failed.end_time.is_some());
    assert!(live(&c, "g").await.contains(&kept));
    for (mode, stays) in [("Ignore", true), ("Refresh", false)] {
        let id = start_refresh(
            &c,
            "g",
            &[
                ("Preferences.MinHealthyPercentage", "50"),
                ("Preferences.InstanceWarmup", "0"),
                ("Preferences.ScaleInProtectedInstances", mode),
            ],
        )
        .await;
        until(&c, "g", &id, "Successful").await;
        settle(&c, "g", 2).await;
        assert_eq!(live(&c, "g").await.contains(&kept), stays, "{mode}");
    }

    // One active refresh per group, not per key; a refresh carries on after a restart.
    c.call(
        "CreateAutoScalingGroup",
        &[
            ("AutoScalingGroupName", "other"),
            ("LaunchConfigurationName", "lc"),
            ("MinSize", "0"),
            ("MaxSize", "2"),
            ("DesiredCapacity", "0"),
        ],
    )
    .await
    .done();
    let before = live(&c, "g").await;
    let id = start_refresh(
        &c,
        "g",
        &[
            ("Preferences.MinHealthyPercentage", "50"),
            ("Preferences.InstanceWarmup", "2000"),
        ],
    )
    .await;
    start(vec![]).await.fails(400, "InstanceRefreshInProgress");
    let other = start_refresh(&c, "other", &[]).await;
    assert_eq!(
        describe(&c, "other", &other).await.status.as_deref(),
        Some("Successful")
    );
    server.shutdown().await;
    let server = quick(&state).await;
    let c = Client::new(&server);
    let (done, _) = until(&c, "g", &id, "Successful").await;
    assert_eq!(done.percentage_complete, Some(100));
    let after = settle(&c, "g", 2).await;
    assert!(after.iter().all(|i| !before.contains(i)), "{after:?}");
    server.shutdown().await;
}

/// AutoRollback: a refresh that fails (a protected instance waited for past the hour) rolls back
/// by itself to the previous launch template version.
const AUTO_ROLLBACK: &str = r#"
ec2.create_launch_template(LaunchTemplateName="tpl", LaunchTemplateData={"ImageId": "ami-1"})
ec2.create_launch_template_version(LaunchTemplateName="tpl", SourceVersion="1", LaunchTemplateData={"ImageId": "ami-2"})
c.create_auto_scaling_group(AutoScalingGroupName="web", MinSize=0, MaxSize=8, DesiredCapacity=4,
                            LaunchTemplate={"LaunchTemplateName": "tpl", "Version": "1"},
                            AvailabilityZones=["us-east-1a"])
wait_for("four in service", lambda: settled(4))
kept = group()["Instances"][0]["InstanceId"]
c.set_instance_protection(AutoScalingGroupName="web", InstanceIds=[kept], ProtectedFromScaleIn=True)
expect_error("ValidationError", c.start_instance_refresh, AutoScalingGroupName="web",
             Preferences={"AutoRollback": True})
rid = c.start_instance_refresh(AutoScalingGroupName="web",
    Preferences={"MinHealthyPercentage": 50, "MaxHealthyPercentage": 150, "InstanceWarmup": 0, "AutoRollback": True},
    DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateName": "tpl", "Version": "2"}})["InstanceRefreshId"]
done, lowest, highest, seen = watch(rid, "RollbackSuccessful")
wait_for("four in service", lambda: settled(4))
d = done["RollbackDetails"]
# (RollbackInProgress itself is not asserted: at this time scale it may pass between two polls.)
print("auto", done["Status"], "healthy kept", lowest >= 2, "within max", highest <= 6)
print("reason", d["RollbackReason"].replace(kept, "KEPT"))
print("instances", versions(), kept in [i["InstanceId"] for i in group()["Instances"]],
      "group", group()["LaunchTemplate"]["Version"])
"#;

#[tokio::test]
async fn a_failed_refresh_rolls_back_by_itself_with_auto_rollback() {
    let dir = scratch_dir("server-refresh-auto");
    let server = start(ServeOptions {
        keys: vec![key()],
        state: Some(dir.join("state.db")),
        launch_delay: Duration::from_millis(100),
        terminate_delay: Duration::from_millis(100),
        refresh_time_scale: 0.001,
        ..ServeOptions::default()
    })
    .await
    .unwrap();
    let url = format!("http://{}", server.addr);
    let out = boto3_script(&url, &key(), PRELUDE, AUTO_ROLLBACK, &[]).await;
    assert_eq!(
        out,
        [
            "ValidationError: AutoRollback cannot be enabled for this instance refresh: no \
             desired configuration was specified for the instance refresh.",
            "auto RollbackSuccessful healthy kept True within max True",
            "reason Instance refresh failed: 1 instance(s) protected from scale in were not \
             replaced within an hour (for example: KEPT). Rolled back automatically.",
            "instances ['1', '1', '1', '1'] True group 1",
        ],
        "{out:#?}"
    );
    server.shutdown().await;
}

// `phantom refresh start/status/cancel/rollback --wait` (and the library's refresh waiter
// behind `--wait`) against `phantom serve`.
phantom_test!(
    the_refresh_commands_wait_against_phantom_serve,
    &[
        "--no-auth",
        "--launch-delay",
        "100ms",
        "--terminate-delay",
        "100ms",
        "--refresh-time-scale",
        "0.001"
    ],
    |srv| {
        let env = [
            ("AWS_ENDPOINT_URL", srv.url.as_str()),
            ("AWS_ACCESS_KEY_ID", "AKIDREFRESHCLI"),
            ("AWS_SECRET_ACCESS_KEY", "refresh-cli-secret"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
        ];
        let run = |args: &[&str]| crate::util::peers::phantom(args, &env);
        let ok = |args: &[&str]| {
            let r = run(args);
            assert_eq!(r.code, 0, "phantom {args:?}: {}", r.stderr);
            r.stdout
        };
        ok(&[
            "lt",
            "create",
            "web",
            "ami-1",
            "--instance-type",
            "t3.micro",
        ]);
        ok(&["lt", "update", "web", "--image", "ami-2"]);
        let group = r#"{"AutoScalingGroupName": "web", "MinSize": 0, "MaxSize": 8,
            "DesiredCapacity": 4, "AvailabilityZones": ["us-east-1a"],
            "LaunchTemplate": {"LaunchTemplateName": "web", "Version": "1"}}"#;
        ok(&["api", "CreateAutoScalingGroup", "--input", group]);

        let out = ok(&[
            "refresh",
            "start",
            "web",
            "--min-healthy-percentage",
            "50",
            "--instance-warmup",
            "10",
            "--wait",
            "--timeout",
            "90s",
        ]);
        let id = out
            .strip_prefix("started instance refresh ")
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or_default()
            .to_string();
        assert_eq!(
            out,
            format!("started instance refresh {id} of web\ninstance refresh {id}: Successful\n")
        );
        let status = ok(&["refresh", "status", "web"]);
        assert!(
            status.starts_with(&id) && status.contains("Successful"),
            "{status}"
        );

        // A refresh to version 2 with a long warm-up (3000 s scaled: 3 s), rolled back.
        let to_v2 = r#"{"AutoScalingGroupName": "web",
            "Preferences": {"MinHealthyPercentage": 50, "InstanceWarmup": 3000},
            "DesiredConfiguration": {"LaunchTemplate": {"LaunchTemplateName": "web", "Version": "2"}}}"#;
        ok(&["api", "StartInstanceRefresh", "--input", to_v2]);
        let out = ok(&["refresh", "rollback", "web", "--wait", "--timeout", "90s"]);
        assert!(out.trim_end().ends_with(": RollbackSuccessful"), "{out}");

        // Again, cancelled.
        ok(&["api", "StartInstanceRefresh", "--input", to_v2]);
        let out = ok(&["refresh", "cancel", "web", "--wait", "--timeout", "90s"]);
        assert!(out.trim_end().ends_with(": Cancelled"), "{out}");
        let refused = run(&["refresh", "cancel", "web"]);
        assert_ne!(refused.code, 0);
        assert!(
            refused.stderr.contains("ActiveInstanceRefreshNotFound"),
            "{}",
            refused.stderr
        );
    }
);
