//! Warm pools on the built-in endpoint (issue 14, item 2), over real HTTP: a boto3 scenario with
//! SigV4 and a real key (a pool of MinSize 2 kept `Warmed:Stopped` feeds a scale-out with its own
//! instances, same ids, and is replenished; scale-in with ReuseOnScaleIn returns an instance to
//! the pool; a launch hook holds an instance entering the pool at `Warmed:Pending:Wait` until
//! CompleteLifecycleAction, and one leaving it at `Pending:Wait`; DeleteWarmPool without
//! ForceDelete goes through `PendingDelete`, with it at once), the rules and errors through the
//! tests' own Query client (sizes, defaults, -1, paging, Spot refused, a missing pool, a pending
//! delete, DescribeAutoScalingInstances and the group's Instances), the pool kept across a restart
//! with a state file, and the client's `phantom warm-pool` commands against `phantom serve`.
//!
//! States move with the endpoint's launch and terminate delays; waits poll with a generous bound,
//! never a timing target.

use std::time::{Duration, Instant};

use phantom_autoscale::Credentials;
use phantom_autoscale::autoscaling::types::*;
use phantom_autoscale::server::{RunningServer, ServeOptions, start};
use serde_json::Value;

use crate::util::peers::boto3_script;
use crate::util::run::scratch_dir;
use crate::util::server::{Client, create_group, create_lc, group};

fn key() -> Credentials {
    Credentials::new("AKIDWARMPOOLS0000001", "warm/secret+key=")
}

async fn keyed(state: &std::path::Path) -> RunningServer {
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
import sys, time

def wait_for(what, test):
    deadline = time.time() + 60
    while time.time() < deadline:
        got = test()
        if got:
            return got
        time.sleep(0.1)
    sys.exit(f"never: {what}")

def group(name="web"):
    return c.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]

def members(name="web"):
    return {i["InstanceId"]: i["LifecycleState"] for i in group(name)["Instances"]}

def pool(name="web"):
    out = c.describe_warm_pool(AutoScalingGroupName=name)
    return {i["InstanceId"]: i["LifecycleState"] for i in out["Instances"]}

def settled(name="web", want="Warmed:Stopped"):
    p = pool(name)
    return p if p and all(s == want for s in p.values()) else None

def in_service(name="web"):
    m = members(name)
    return m if m and all(s == "InService" for s in m.values()) else None

def activity(prefix, iid, name="web"):
    for a in c.describe_scaling_activities(AutoScalingGroupName=name)["Activities"]:
        if a["Description"] == prefix + iid:
            return a
    return None
"#;

const SCENARIO: &str = r#"
LAUNCH = "autoscaling:EC2_INSTANCE_LAUNCHING"
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12345678",
                              InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="lc",
                            MinSize=1, MaxSize=4, DesiredCapacity=2)
wait_for("two in service", in_service)
expect_error("ValidationError", c.delete_warm_pool, AutoScalingGroupName="web")
print("no pool", c.describe_warm_pool(AutoScalingGroupName="web").get("WarmPoolConfiguration"),
      c.describe_warm_pool(AutoScalingGroupName="web")["Instances"])

# A pool of MinSize 2, Stopped (the default), reusing instances on scale-in.
c.put_warm_pool(AutoScalingGroupName="web", MinSize=2, InstanceReusePolicy={"ReuseOnScaleIn": True})
cfg = c.describe_warm_pool(AutoScalingGroupName="web")["WarmPoolConfiguration"]
print("config", cfg["MinSize"], cfg["PoolState"], cfg.get("MaxGroupPreparedCapacity"),
      cfg["InstanceReusePolicy"]["ReuseOnScaleIn"], cfg.get("Status"))
print("entering", len(pool()), set(pool().values()) <= {"Warmed:Pending", "Warmed:Stopped"})
warmed = wait_for("two warmed", settled)
g = group()
print("group", len(g["Instances"]), g["WarmPoolSize"], g["WarmPoolConfiguration"]["MinSize"],
      any(i in warmed for i in members()))
a = activity("Launching a new EC2 instance into warm pool: ", sorted(warmed)[0])
print("into", a["StatusCode"])

# Scale out by one: the new group instance is a former pool instance, and the pool is refilled.
before = set(members())
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=3)
new = [i for i in members() if i not in before]
print("taken", len(new), new[0] in warmed, members()[new[0]] in ("Pending", "InService"),
      new[0] in pool())
moved = activity("Launching a new EC2 instance from warm pool: ", new[0])
print("from", moved["Cause"].split(". At ")[1].split(" ", 1)[1].split(" in response")[0])
wait_for("in service", lambda: members().get(new[0]) == "InService")
refilled = wait_for("pool refilled", settled)
print("refilled", len(refilled), len(set(refilled) - set(warmed)))

# Scale in with ReuseOnScaleIn: the victim goes back to the pool (and the pool keeps its size).
before = set(members())
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=2)
back = [i for i in before if i not in members()][0]
print("back", pool().get(back) in ("Warmed:Pending", "Warmed:Stopped"),
      activity("Returning EC2 instance to warm pool: ", back) is not None)
wait_for("back warmed", lambda: pool().get(back) == "Warmed:Stopped")
print("pool size",
      len(wait_for("two warmed again", lambda: len(settled() or {}) == 2 and settled())))

# A launch hook holds an instance entering the pool, and one leaving it.
c.put_lifecycle_hook(AutoScalingGroupName="web", LifecycleHookName="boot",
                     LifecycleTransition=LAUNCH, HeartbeatTimeout=7200)
c.put_warm_pool(AutoScalingGroupName="web", MinSize=3)
entering = wait_for("one held", lambda: next((i for i, s in pool().items()
                                              if s == "Warmed:Pending:Wait"), None))
print("held", activity("Launching a new EC2 instance into warm pool: ", entering)["StatusCode"])
expect_error("ScalingActivityInProgress", c.delete_warm_pool, AutoScalingGroupName="web")
c.complete_lifecycle_action(AutoScalingGroupName="web", LifecycleHookName="boot",
                            InstanceId=entering, LifecycleActionResult="CONTINUE")
print("entered", wait_for("warmed", lambda: pool().get(entering) == "Warmed:Stopped"))
# ABANDON on entry: the instance is terminated at once and the pool launches a replacement.
c.put_warm_pool(AutoScalingGroupName="web", MinSize=4)
dropped = wait_for("another held", lambda: next((i for i, s in pool().items()
                                                 if s == "Warmed:Pending:Wait"), None))
c.complete_lifecycle_action(AutoScalingGroupName="web", LifecycleHookName="boot",
                            InstanceId=dropped, LifecycleActionResult="ABANDON")
print("abandoned", pool().get(dropped, "gone") in ("Warmed:Terminating", "gone"),
      "was abandoned" in activity("Terminating EC2 instance in warm pool: ", dropped)["Cause"])
again = wait_for("replacement held", lambda: next((i for i, s in pool().items()
                                                   if s == "Warmed:Pending:Wait"), None))
c.complete_lifecycle_action(AutoScalingGroupName="web", LifecycleHookName="boot",
                            InstanceId=again, LifecycleActionResult="CONTINUE")
print("replaced", again != dropped,
      wait_for("warmed", lambda: pool().get(again) == "Warmed:Stopped"))
before = set(members())
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=3)
out = [i for i in members() if i not in before][0]
print("leaving", wait_for("held leaving", lambda: members().get(out) == "Pending:Wait"),
      activity("Launching a new EC2 instance from warm pool: ", out)["StatusCode"])
c.complete_lifecycle_action(AutoScalingGroupName="web", LifecycleHookName="boot",
                            InstanceId=out, LifecycleActionResult="CONTINUE")
print("left", wait_for("in service", lambda: members().get(out) == "InService"))
# Completing the new pool instances' actions (the refill after the scale-out).
for iid, s in wait_for("refill held", lambda: {i: s for i, s in pool().items()
                                              if s == "Warmed:Pending:Wait"}).items():
    c.complete_lifecycle_action(AutoScalingGroupName="web", LifecycleHookName="boot",
                                InstanceId=iid, LifecycleActionResult="CONTINUE")
c.delete_lifecycle_hook(AutoScalingGroupName="web", LifecycleHookName="boot")
wait_for("settled", settled)

# DeleteWarmPool without ForceDelete: PendingDelete while the instances terminate (a termination
# hook holds them at Warmed:Terminating:Wait), then gone.
c.put_lifecycle_hook(AutoScalingGroupName="web", LifecycleHookName="stop",
                     LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
                     HeartbeatTimeout=7200)
c.delete_warm_pool(AutoScalingGroupName="web")
d = c.describe_warm_pool(AutoScalingGroupName="web")
print("deleting", d["WarmPoolConfiguration"]["Status"], sorted(set(pool().values())),
      group()["WarmPoolConfiguration"]["Status"])
expect_error("ResourceContention", c.put_warm_pool, AutoScalingGroupName="web", MinSize=1)
for iid in pool():
    c.complete_lifecycle_action(AutoScalingGroupName="web", LifecycleHookName="stop",
                                InstanceId=iid, LifecycleActionResult="CONTINUE")
print("ending", sorted(set(pool().values())) in (["Warmed:Terminating:Proceed"], []))
wait_for("pool gone", lambda: "WarmPoolConfiguration"
         not in c.describe_warm_pool(AutoScalingGroupName="web"))
print("gone", "WarmPoolConfiguration" in group(), group().get("WarmPoolSize"))

# With ForceDelete: at once, instances and all (no termination hook is asked).
c.put_warm_pool(AutoScalingGroupName="web", MinSize=1, MaxGroupPreparedCapacity=0,
                PoolState="Running")
print("running", list(wait_for("running", lambda: settled(want="Warmed:Running")).values()))
c.delete_warm_pool(AutoScalingGroupName="web", ForceDelete=True)
print("forced", c.describe_warm_pool(AutoScalingGroupName="web").get("WarmPoolConfiguration"),
      pool())
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_warm_pool_feeds_a_scale_out_takes_instances_back_and_is_deleted() {
    let dir = scratch_dir("warm-boto3");
    let s = keyed(&dir.join("state.db")).await;
    let lines = boto3_script(&s.url(), &key(), PRELUDE, SCENARIO, &[]).await;
    let want = [
        "ValidationError: No warm pool found for AutoScalingGroup web",
        "no pool None []",
        "config 2 Stopped None True None",
        "entering 2 True",
        "group 2 2 2 False",
        "into Successful",
        "taken 1 True True False",
        "from an instance was moved from the warm pool into the group",
        "refilled 2 1",
        "back True True",
        "pool size 2",
        "held MidLifecycleAction",
        "ScalingActivityInProgress: The operation can't be performed because there are scaling \
         activities in progress.",
        "entered True",
        "abandoned True True",
        "replaced True True",
        "leaving True MidLifecycleAction",
        "left True",
        "deleting PendingDelete ['Warmed:Terminating:Wait'] PendingDelete",
        "ResourceContention: The warm pool of AutoScalingGroup web is being deleted; try again \
         when it is gone.",
        "ending True",
        "gone False None",
        "running ['Warmed:Running']",
        "forced None {}",
    ];
    assert_eq!(lines, want);
    s.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

async fn pool(c: &Client, name: &str) -> DescribeWarmPoolOutput {
    c.call("DescribeWarmPool", &[("AutoScalingGroupName", name)])
        .await
        .ok()
}

fn pool_states(out: &DescribeWarmPoolOutput) -> Vec<String> {
    let mut s: Vec<String> = out
        .instances
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| i.lifecycle_state)
        .collect();
    s.sort();
    s
}

async fn wait_pool(
    c: &Client,
    name: &str,
    check: impl Fn(&DescribeWarmPoolOutput) -> bool,
) -> DescribeWarmPoolOutput {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = pool(c, name).await;
        if check(&out) {
            return out;
        }
        assert!(
            Instant::now() < deadline,
            "timed out on {name}'s pool: {out:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn all_warmed(out: &DescribeWarmPoolOutput, n: usize) -> bool {
    let s = pool_states(out);
    s.len() == n && s.iter().all(|s| s == "Warmed:Stopped")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_pool_rules_sizes_paging_and_errors() {
    // Terminations last 5 s here, so a pool shrinking is seen while it does.
    let s = start(ServeOptions {
        terminate_delay: Duration::from_secs(5),
        ..crate::util::server::open_options()
    })
    .await
    .unwrap();
    let c = Client::new(&s);
    create_lc(&c, "lc").await.done();
    create_group(&c, "web", "lc", 0, 8, 1).await.done();

    // A missing group, a missing pool.
    c.call("PutWarmPool", &[("AutoScalingGroupName", "nowhere")])
        .await
        .fails(400, "ValidationError");
    c.call("DeleteWarmPool", &[("AutoScalingGroupName", "web")])
        .await
        .fails(400, "ValidationError");
    let none = pool(&c, "web").await;
    assert_eq!(none.warm_pool_configuration, None);
    assert_eq!(none.instances, Some(vec![]));

    // Defaults: MinSize 0, Stopped, MaxGroupPreparedCapacity unset (the group's MaxSize): the
    // pool is MaxSize - desired = 7.
    c.call("PutWarmPool", &[("AutoScalingGroupName", "web")])
        .await
        .done();
    let out = wait_pool(&c, "web", |p| all_warmed(p, 7)).await;
    let cfg = out.warm_pool_configuration.clone().unwrap();
    assert_eq!(
        (
            cfg.min_size,
            cfg.pool_state.as_deref(),
            cfg.max_group_prepared_capacity
        ),
        (Some(0), Some("Stopped"), None)
    );

    // Paging: at most 50 a page; 3 a page walks all 7 once, by id.
    c.call(
        "DescribeWarmPool",
        &[("AutoScalingGroupName", "web"), ("MaxRecords", "51")],
    )
    .await
    .fails(400, "ValidationError");
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = vec![("AutoScalingGroupName", "web"), ("MaxRecords", "3")];
        if let Some(t) = token.as_deref() {
            params.push(("NextToken", t));
        }
        let page: DescribeWarmPoolOutput = c.call("DescribeWarmPool", &params).await.ok();
        let ids: Vec<String> = page
            .instances
            .unwrap_or_default()
            .into_iter()
            .filter_map(|i| i.instance_id)
            .collect();
        assert!(ids.len() <= 3);
        seen.extend(ids);
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!((seen.len(), &seen), (7, &sorted));

    // MaxGroupPreparedCapacity 3 with desired 1: 2 (the rest ends), then -1 clears it again.
    c.call(
        "PutWarmPool",
        &[
            ("AutoScalingGroupName", "web"),
            ("MaxGroupPreparedCapacity", "3"),
        ],
    )
    .await
    .done();
    let out = pool(&c, "web").await;
    assert_eq!(
        out.warm_pool_configuration
            .as_ref()
            .and_then(|c| c.max_group_prepared_capacity),
        Some(3)
    );
    let states = pool_states(&out);
    assert_eq!(
        states.iter().filter(|s| *s == "Warmed:Terminating").count(),
        5,
        "{states:?}"
    );
    wait_pool(&c, "web", |p| all_warmed(p, 2)).await;
    // Desired above the prepared capacity: 0, unless MinSize.
    c.call(
        "SetDesiredCapacity",
        &[("AutoScalingGroupName", "web"), ("DesiredCapacity", "4")],
    )
    .await
    .done();
    let g = group(&c, "web").await.unwrap();
    assert_eq!(g.instances.as_ref().map(Vec::len), Some(4));
    wait_pool(&c, "web", |p| pool_states(p).is_empty()).await;
    c.call(
        "PutWarmPool",
        &[("AutoScalingGroupName", "web"), ("MinSize", "1")],
    )
    .await
    .done();
    wait_pool(&c, "web", |p| all_warmed(p, 1)).await;
    c.call(
        "PutWarmPool",
        &[
            ("AutoScalingGroupName", "web"),
            ("MaxGroupPreparedCapacity", "-1"),
        ],
    )
    .await
    .done();
    let out = wait_pool(&c, "web", |p| all_warmed(p, 4)).await;
    let cfg = out.warm_pool_configuration.unwrap();
    assert_eq!(
        (cfg.min_size, cfg.max_group_prepared_capacity),
        (Some(1), None)
    );

    // The group's Instances leave the pool out; DescribeAutoScalingInstances lists both.
    let g = group(&c, "web").await.unwrap();
    assert_eq!(g.warm_pool_size, Some(4));
    let members: Vec<String> = g
        .instances
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| i.instance_id)
        .collect();
    assert_eq!(members.len(), 4);
    let all: DescribeAutoScalingInstancesOutput =
        c.call("DescribeAutoScalingInstances", &[]).await.ok();
    let all = all.auto_scaling_instances.unwrap_or_default();
    assert_eq!(all.len(), 8);
    let warmed: Vec<&AutoScalingInstanceDetails> = all
        .iter()
        .filter(|i| i.lifecycle_state.as_deref() == Some("Warmed:Stopped"))
        .collect();
    assert_eq!(warmed.len(), 4);
    assert!(warmed.iter().all(|i| {
        i.auto_scaling_group_name.as_deref() == Some("web")
            && !members.contains(i.instance_id.as_ref().unwrap())
    }));

    // The group can't be deleted while its pool has instances; ForceDelete deletes the pool too.
    c.call(
        "UpdateAutoScalingGroup",
        &[
            ("AutoScalingGroupName", "web"),
            ("MinSize", "0"),
            ("DesiredCapacity", "0"),
        ],
    )
    .await
    .done();
    wait_group_empty(&c, "web").await;
    c.call("DeleteAutoScalingGroup", &[("AutoScalingGroupName", "web")])
        .await
        .fails(400, "ResourceInUse");
    c.call(
        "DeleteAutoScalingGroup",
        &[("AutoScalingGroupName", "web"), ("ForceDelete", "true")],
    )
    .await
    .done();
    let all: DescribeAutoScalingInstancesOutput =
        c.call("DescribeAutoScalingInstances", &[]).await.ok();
    assert_eq!(all.auto_scaling_instances, Some(vec![]));

    // A group that requests Spot Instances gets no pool.
    c.call(
        "CreateLaunchConfiguration",
        &[
            ("LaunchConfigurationName", "spot"),
            ("ImageId", "ami-12345678"),
            ("InstanceType", "m1.small"),
            ("SpotPrice", "0.05"),
        ],
    )
    .await
    .done();
    create_group(&c, "cheap", "spot", 0, 2, 0).await.done();
    let refused = c
        .call("PutWarmPool", &[("AutoScalingGroupName", "cheap")])
        .await;
    refused.fails(400, "ValidationError");
    assert!(
        refused.body.contains("it requests Spot Instances"),
        "{}",
        refused.body
    );
    s.shutdown().await;
}

async fn wait_group_empty(c: &Client, name: &str) {
    crate::util::server::wait_group(c, name, Duration::from_secs(60), |g| {
        g.instances.as_ref().is_some_and(Vec::is_empty)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_pool_survives_a_restart_keys_are_isolated_and_the_engine_ends_a_deletion() {
    let dir = scratch_dir("warm-state");
    let state = dir.join("state.db");
    let s = keyed(&state).await;
    let c = Client::new(&s).signed(phantom_autoscale::query::sign::SignatureVersion::V4, &key());
    create_lc(&c, "lc").await.done();
    create_group(&c, "web", "lc", 0, 3, 1).await.done();
    c.call(
        "PutWarmPool",
        &[("AutoScalingGroupName", "web"), ("PoolState", "Hibernated")],
    )
    .await
    .done();
    let before = wait_pool(&c, "web", |p| {
        let s = pool_states(p);
        s.len() == 2 && s.iter().all(|s| s == "Warmed:Hibernated")
    })
    .await;
    // Another key sees no such group.
    let other = Credentials::new("AKIDWARMPOOLS0000002", "other/secret");
    s.shutdown().await;
    let s = start(ServeOptions {
        keys: vec![key(), other.clone()],
        state: Some(state.clone()),
        launch_delay: Duration::from_millis(300),
        terminate_delay: Duration::from_millis(300),
        hook_timeout_scale: 0.1,
        ..ServeOptions::default()
    })
    .await
    .unwrap();
    let c = Client::new(&s).signed(phantom_autoscale::query::sign::SignatureVersion::V4, &key());
    let after = pool(&c, "web").await;
    assert_eq!(after, before);
    let stranger =
        Client::new(&s).signed(phantom_autoscale::query::sign::SignatureVersion::V4, &other);
    stranger
        .call("DescribeWarmPool", &[("AutoScalingGroupName", "web")])
        .await
        .fails(400, "ValidationError");

    // A deletion the engine finishes alone: a termination hook (30 s, scaled to 3 s) holds the
    // pool's instances, its timeout (CONTINUE) lets them go, and the pool's row leaves the store
    // when the last is gone, without another request acting on it.
    c.call(
        "PutLifecycleHook",
        &[
            ("AutoScalingGroupName", "web"),
            ("LifecycleHookName", "stop"),
            (
                "LifecycleTransition",
                "autoscaling:EC2_INSTANCE_TERMINATING",
            ),
            ("HeartbeatTimeout", "30"),
            ("DefaultResult", "CONTINUE"),
        ],
    )
    .await
    .done();
    c.call("DeleteWarmPool", &[("AutoScalingGroupName", "web")])
        .await
        .done();
    let deleting = pool(&c, "web").await;
    assert_eq!(
        deleting
            .warm_pool_configuration
            .and_then(|c| c.status)
            .as_deref(),
        Some("PendingDelete")
    );
    let rows = |table: &str| -> i64 {
        let conn = rusqlite::Connection::open(&state).unwrap();
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while rows("warm_pools") > 0 || rows("warm_instances") > 0 {
        assert!(Instant::now() < deadline, "the pool's rows stayed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(pool(&c, "web").await.warm_pool_configuration, None);
    let acts: DescribeScalingActivitiesOutput = c
        .call(
            "DescribeScalingActivities",
            &[("AutoScalingGroupName", "web")],
        )
        .await
        .ok();
    let ended = acts
        .activities
        .unwrap_or_default()
        .into_iter()
        .filter(|a| {
            a.description
                .as_deref()
                .is_some_and(|d| d.starts_with("Terminating EC2 instance in warm pool: "))
                && a.status_code.as_deref() == Some("Successful")
        })
        .count();
    assert_eq!(ended, 2);
    s.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

// The client's `phantom warm-pool` commands against a `phantom serve` child (they were tested
// against moto before): put, show (text and JSON, the instances listed), delete.
phantom_test!(
    warm_pool_commands_against_phantom_serve,
    &[
        "--no-auth",
        "--launch-delay",
        "200ms",
        "--terminate-delay",
        "200ms"
    ],
    |srv| {
        let env = [
            ("AWS_ENDPOINT_URL", srv.url.as_str()),
            ("AWS_ACCESS_KEY_ID", "AKIDWARMCLI"),
            ("AWS_SECRET_ACCESS_KEY", "warm-cli-secret"),
        ];
        let run = |args: &[&str]| {
            let run = crate::util::peers::phantom(&[&["--dialect", "aws"], args].concat(), &env);
            assert_eq!(run.code, 0, "phantom {args:?}: {run:?}");
            run.stdout
        };
        run(&["lc", "create", "wlc", "ami-12345678"]);
        run(&["domain", "create", "web", "wlc", "1", "--max", "4"]);
        assert_eq!(
            run(&[
                "warm-pool",
                "put",
                "web",
                "--min-size",
                "1",
                "--max-prepared",
                "3",
                "--state",
                "Hibernated",
                "--reuse-on-scale-in",
            ]),
            "warm pool of web set\n"
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        let doc: Value = loop {
            let doc: Value =
                serde_json::from_str(&run(&["--output", "json", "warm-pool", "show", "web"]))
                    .unwrap();
            let warmed = doc["Instances"].as_array().is_some_and(|a| {
                a.len() == 2 && a.iter().all(|i| i["LifecycleState"] == "Warmed:Hibernated")
            });
            if warmed {
                break doc;
            }
            assert!(Instant::now() < deadline, "{doc}");
            std::thread::sleep(Duration::from_millis(100));
        };
        let config = &doc["WarmPoolConfiguration"];
        assert_eq!(config["PoolState"], "Hibernated");
        assert_eq!(config["MinSize"], 1);
        assert_eq!(config["MaxGroupPreparedCapacity"], 3);
        assert_eq!(config["InstanceReusePolicy"]["ReuseOnScaleIn"], true);
        let shown = run(&["warm-pool", "show", "web"]);
        for part in [
            "web warm pool\n",
            "    state: Hibernated\n",
            "    min size: 1\n",
            "    max prepared capacity: 3\n",
            "    reuse on scale in: yes\n",
            "    instances: 2\n",
            "\tWarmed:Hibernated\t",
        ] {
            assert!(shown.contains(part), "{part:?} in {shown}");
        }
        assert_eq!(
            run(&["warm-pool", "delete", "web", "--force"]),
            "deleting the warm pool of web\n"
        );
        assert_eq!(run(&["warm-pool", "show", "web"]), "web has no warm pool\n");
    }
);
