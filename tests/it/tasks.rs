//! The task commands of the refresh, warm-pool, processes and limits families and the `wait`
//! commands, through the real `phantom` binary: against moto where moto serves the calls
//! (warm pools, suspend/resume), against `phantom serve` for the group waits, and against a
//! scripted server (`util::fault_server`) for what no peer serves (instance refreshes,
//! DescribeScalingProcessTypes, DescribeAccountLimits), asserting the parameters sent and what is
//! printed.

use serde_json::Value;

use crate::util::fault_server::{self, Action, FaultServer, error_xml, ok_xml};
use crate::util::peers::{self, Moto, Run};
use crate::waiters::scripted_refresh;

const NS: &str = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

fn error_line(run: &Run) -> String {
    run.stderr
        .lines()
        .find(|l| l.starts_with("phantom: error: "))
        .unwrap_or_else(|| panic!("no error line: {run:?}"))
        .to_string()
}

/// `phantom --endpoint-url URL --dialect aws ARGS` with test keys.
fn at(server: &FaultServer, args: &[&str]) -> Run {
    let url = server.url();
    let mut all = vec!["--endpoint-url", url.as_str(), "--dialect", "aws"];
    all.extend(args);
    fault_server::phantom(&all, &[])
}

fn json(run: &Run) -> Value {
    assert_eq!(run.code, 0, "{run:?}");
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

// ---- refresh (scripted: no peer serves instance refreshes) ----

#[test]
fn refresh_start_sends_the_preferences_and_waits_for_success() {
    let server = scripted_refresh(&[
        ("Pending", "", 0),
        ("InProgress", "", 50),
        ("Successful", "", 100),
    ]);
    let run = at(
        &server,
        &[
            "refresh",
            "start",
            "web",
            "--min-healthy-percentage",
            "90",
            "--instance-warmup",
            "60",
            "--skip-matching",
            "--auto-rollback",
            "--checkpoints",
            "20,50,100",
            "--checkpoint-delay",
            "300",
            "--wait",
            "--timeout",
            "40s",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "started instance refresh r-1 of web\ninstance refresh r-1: Successful\n"
    );
    let start = &server.requests()[0];
    assert_eq!(start.action(), "StartInstanceRefresh");
    for (name, value) in [
        ("AutoScalingGroupName", "web"),
        ("Preferences.MinHealthyPercentage", "90"),
        ("Preferences.InstanceWarmup", "60"),
        ("Preferences.SkipMatching", "true"),
        ("Preferences.AutoRollback", "true"),
        ("Preferences.CheckpointPercentages.member.1", "20"),
        ("Preferences.CheckpointPercentages.member.2", "50"),
        ("Preferences.CheckpointPercentages.member.3", "100"),
        ("Preferences.CheckpointDelay", "300"),
    ] {
        assert_eq!(
            start.param(name).as_deref(),
            Some(value),
            "{name}: {start:?}"
        );
    }
    assert_eq!(server.count("DescribeInstanceRefreshes"), 3);

    // Without options no Preferences are sent; JSON is the reply.
    let server = scripted_refresh(&[("Pending", "", 0)]);
    let doc = json(&at(
        &server,
        &["--output", "json", "refresh", "start", "web"],
    ));
    assert_eq!(doc, serde_json::json!({"InstanceRefreshId": "r-1"}));
    let start = &server.requests()[0];
    assert!(
        !start.body.contains("Preferences"),
        "unasked preferences: {start:?}"
    );
    assert_eq!(server.count("DescribeInstanceRefreshes"), 0);

    // --wait and JSON: the reply and the final refresh.
    let server = scripted_refresh(&[("InProgress", "", 50), ("Successful", "", 100)]);
    let doc = json(&at(
        &server,
        &["--output", "json", "refresh", "start", "web", "--wait"],
    ));
    assert_eq!(doc["InstanceRefreshId"], "r-1");
    assert_eq!(doc["InstanceRefreshes"][0]["Status"], "Successful");
    assert_eq!(doc["InstanceRefreshes"][0]["PercentageComplete"], 100);
}

#[test]
fn refresh_start_refuses_bad_options_before_any_call() {
    let server = scripted_refresh(&[("Pending", "", 0)]);
    let run = at(
        &server,
        &["refresh", "start", "web", "--checkpoints", "50,20"],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        error_line(&run).contains("--checkpoints must ascend without repeats: 50 then 20"),
        "{run:?}"
    );
    let run = at(
        &server,
        &["refresh", "start", "web", "--min-healthy-percentage", "101"],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("101"), "{run:?}");
    assert!(server.requests().is_empty());
}

#[test]
fn a_failed_refresh_ends_start_wait_with_the_reason() {
    let server = scripted_refresh(&[
        ("InProgress", "", 20),
        ("Failed", "Instance i-0abc failed its health check.", 20),
    ]);
    let run = at(&server, &["refresh", "start", "web", "--wait"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "started instance refresh r-1 of web\n");
    assert_eq!(
        error_line(&run),
        "phantom: error: waiting for instance refresh r-1 of group web to end Successful: \
         instance refresh r-1 ended Failed: Instance i-0abc failed its health check."
    );
}

#[test]
fn refresh_status_lists_refreshes_and_names_a_missing_one() {
    let server = scripted_refresh(&[("InProgress", "", 40)]);
    let run = at(&server, &["refresh", "status", "web"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .starts_with("r-1\tInProgress\t40%\t3 to update\t2026-12-01"),
        "{run:?}"
    );
    assert_eq!(run.stdout.lines().count(), 1, "{run:?}");
    let doc = json(&at(
        &server,
        &[
            "--output", "json", "refresh", "status", "web", "--id", "r-1",
        ],
    ));
    assert_eq!(doc["InstanceRefreshes"][0]["InstanceRefreshId"], "r-1");
    assert_eq!(doc["InstanceRefreshes"][0]["Status"], "InProgress");
    let last = server.requests().pop().unwrap();
    assert_eq!(
        last.param("InstanceRefreshIds.member.1").as_deref(),
        Some("r-1")
    );
    let run = at(&server, &["refresh", "status", "web", "--id", "r-zzz"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        error_line(&run),
        "phantom: error: no such instance refresh r-zzz of group web"
    );
}

#[test]
fn refresh_cancel_and_rollback_wait_for_their_own_end() {
    let server = scripted_refresh(&[("Cancelling", "", 30), ("Cancelled", "by request", 30)]);
    let run = at(&server, &["refresh", "cancel", "web", "--wait"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "cancelling instance refresh r-1 of web\ninstance refresh r-1: Cancelled\n"
    );
    let cancel = &server.requests()[0];
    assert_eq!(cancel.action(), "CancelInstanceRefresh");
    assert_eq!(cancel.param("AutoScalingGroupName").as_deref(), Some("web"));

    let server = scripted_refresh(&[
        ("RollbackInProgress", "", 50),
        (
            "RollbackFailed",
            "The previous launch template is gone.",
            50,
        ),
    ]);
    let run = at(&server, &["refresh", "rollback", "web", "--wait"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "rolling back instance refresh r-1 of web\n");
    assert!(
        error_line(&run).ends_with(
            "instance refresh r-1 ended RollbackFailed: The previous launch template is gone."
        ),
        "{run:?}"
    );
    // Without --wait: one call, its reply as JSON.
    let server = scripted_refresh(&[("RollbackInProgress", "", 50)]);
    let doc = json(&at(
        &server,
        &["--output", "json", "refresh", "rollback", "web"],
    ));
    assert_eq!(doc, serde_json::json!({"InstanceRefreshId": "r-1"}));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn wait_refresh_finds_the_newest_refresh_when_no_id_is_given() {
    let server = scripted_refresh(&[
        ("InProgress", "", 10),
        ("InProgress", "", 60),
        ("Successful", "", 100),
    ]);
    let doc = json(&at(
        &server,
        &["--output", "json", "wait", "refresh", "web"],
    ));
    assert_eq!(doc["InstanceRefreshes"][0]["Status"], "Successful");
    let requests = server.requests();
    // First the newest refresh (one record, no id), then polls of that id.
    assert_eq!(requests[0].param("MaxRecords").as_deref(), Some("1"));
    assert_eq!(requests[0].param("InstanceRefreshIds.member.1"), None);
    assert!(
        requests[1..]
            .iter()
            .all(|r| r.param("InstanceRefreshIds.member.1").as_deref() == Some("r-1")),
        "{requests:?}"
    );
    // Text: nothing printed, the exit code says it.
    let server = scripted_refresh(&[("Successful", "", 100)]);
    let run = at(&server, &["wait", "refresh", "web", "r-1"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{run:?}");
    // A timeout is exit 3.
    let server = scripted_refresh(&[("InProgress", "", 10)]);
    let run = at(
        &server,
        &["wait", "refresh", "web", "r-1", "--timeout", "2s"],
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        error_line(&run).contains("last seen: InProgress, 10% complete"),
        "{run:?}"
    );
}

// ---- processes list and limits (scripted: moto serves neither call) ----

fn processes_server() -> FaultServer {
    FaultServer::start(|request, _| match request.action().as_str() {
        "DescribeScalingProcessTypes" => Action::Reply(ok_xml(&format!(
            "<DescribeScalingProcessTypesResponse xmlns=\"{NS}\"><DescribeScalingProcessTypesResult>\
             <Processes><member><ProcessName>Launch</ProcessName></member><member><ProcessName>\
             Terminate</ProcessName></member><member><ProcessName>AZRebalance</ProcessName></member>\
             </Processes></DescribeScalingProcessTypesResult></DescribeScalingProcessTypesResponse>"
        ))),
        "DescribeAutoScalingGroups" => Action::Reply(ok_xml(&format!(
            "<DescribeAutoScalingGroupsResponse xmlns=\"{NS}\"><DescribeAutoScalingGroupsResult>\
             <AutoScalingGroups><member><AutoScalingGroupName>web</AutoScalingGroupName>\
             <MinSize>1</MinSize><MaxSize>1</MaxSize><DesiredCapacity>1</DesiredCapacity>\
             <SuspendedProcesses><member><ProcessName>AZRebalance</ProcessName><SuspensionReason>\
             User suspended at 2026-12-01T10:00:00Z</SuspensionReason></member></SuspendedProcesses>\
             </member></AutoScalingGroups></DescribeAutoScalingGroupsResult>\
             </DescribeAutoScalingGroupsResponse>"
        ))),
        "DescribeAccountLimits" => Action::Reply(ok_xml(&format!(
            "<DescribeAccountLimitsResponse xmlns=\"{NS}\"><DescribeAccountLimitsResult>\
             <MaxNumberOfAutoScalingGroups>200</MaxNumberOfAutoScalingGroups>\
             <MaxNumberOfLaunchConfigurations>100</MaxNumberOfLaunchConfigurations>\
             <NumberOfAutoScalingGroups>3</NumberOfAutoScalingGroups>\
             <NumberOfLaunchConfigurations>1</NumberOfLaunchConfigurations>\
             </DescribeAccountLimitsResult></DescribeAccountLimitsResponse>"
        ))),
        other => Action::Reply(error_xml(400, "Bad Request", "InvalidAction", other)),
    })
}

#[test]
fn processes_list_shows_the_types_and_a_groups_suspended_ones() {
    let server = processes_server();
    let run = at(&server, &["processes", "list"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "Launch\nTerminate\nAZRebalance\n");
    let run = at(&server, &["processes", "list", "web"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "Launch\tactive\nTerminate\tactive\nAZRebalance\tsuspended\tUser suspended at 2026-12-01T10:00:00Z\n"
    );
    let doc = json(&at(
        &server,
        &["--output", "json", "processes", "list", "web"],
    ));
    assert_eq!(doc["Processes"][2]["ProcessName"], "AZRebalance");
    assert_eq!(doc["SuspendedProcesses"][0]["ProcessName"], "AZRebalance");
    let describe = server
        .requests()
        .into_iter()
        .find(|r| r.action() == "DescribeAutoScalingGroups")
        .unwrap();
    assert_eq!(
        describe.param("AutoScalingGroupNames.member.1").as_deref(),
        Some("web")
    );
}

#[test]
fn limits_shows_use_against_quota() {
    let server = processes_server();
    let run = at(&server, &["limits"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "Auto Scaling groups: 3 of 200\nlaunch configurations: 1 of 100\n"
    );
    let doc = json(&at(&server, &["--output", "json", "limits"]));
    assert_eq!(
        doc,
        serde_json::json!({
            "MaxNumberOfAutoScalingGroups": 200,
            "MaxNumberOfLaunchConfigurations": 100,
            "NumberOfAutoScalingGroups": 3,
            "NumberOfLaunchConfigurations": 1
        })
    );
}

#[test]
fn task_commands_are_refused_over_rest() {
    for args in [
        &["refresh", "status", "web"][..],
        &["warm-pool", "show", "web"],
        &["processes", "list"],
        &["limits"],
    ] {
        let mut all = vec!["--endpoint-url", "http://127.0.0.1:9/api/dev"];
        all.extend(args);
        let run = fault_server::phantom(&all, &[("USER_ID", "1"), ("TOKEN", "some-rest-token")]);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(
            error_line(&run).contains("Query API commands; Phantom's REST API has no such call"),
            "{run:?}"
        );
    }
}

// ---- warm pools and suspend/resume against moto ----

fn moto_run(moto: &Moto, args: &[&str]) -> Run {
    peers::phantom(
        args,
        &[
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_ENDPOINT_URL", moto.url.as_str()),
        ],
    )
}

fn moto_ok(moto: &Moto, args: &[&str]) -> String {
    let run = moto_run(moto, args);
    assert_eq!(run.code, 0, "phantom {args:?}: {run:?}");
    run.stdout
}

fn suspended(moto: &Moto, group: &str) -> Vec<String> {
    let doc: Value = serde_json::from_str(&moto_ok(
        moto,
        &["--output", "json", "domain", "list", group],
    ))
    .unwrap();
    let mut names: Vec<String> = doc["AutoScalingGroups"][0]["SuspendedProcesses"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p["ProcessName"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

#[test]
fn warm_pools_and_processes_against_moto() {
    let moto = Moto::start(&[]);
    moto_ok(&moto, &["lc", "create", "wlc", "ami-12345678"]);
    moto_ok(
        &moto,
        &["domain", "create", "web", "wlc", "1", "--max", "4"],
    );

    assert_eq!(
        moto_ok(
            &moto,
            &[
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
            ],
        ),
        "warm pool of web set\n"
    );
    let shown = moto_ok(&moto, &["warm-pool", "show", "web"]);
    for part in [
        "web warm pool\n",
        "    state: Hibernated\n",
        "    min size: 1\n",
        "    max prepared capacity: 3\n",
        "    reuse on scale in: yes\n",
    ] {
        assert!(shown.contains(part), "{part:?} in {shown}");
    }
    let doc: Value = serde_json::from_str(&moto_ok(
        &moto,
        &["--output", "json", "warm-pool", "show", "web"],
    ))
    .unwrap();
    let config = &doc["WarmPoolConfiguration"];
    assert_eq!(config["PoolState"], "Hibernated");
    assert_eq!(config["MinSize"], 1);
    assert_eq!(config["MaxGroupPreparedCapacity"], 3);
    assert_eq!(config["InstanceReusePolicy"]["ReuseOnScaleIn"], true);
    assert!(doc["Instances"].is_array(), "{doc}");
    assert_eq!(
        moto_ok(&moto, &["warm-pool", "delete", "web", "--force"]),
        "deleting the warm pool of web\n"
    );
    assert_eq!(
        moto_ok(&moto, &["warm-pool", "show", "web"]),
        "web has no warm pool\n"
    );

    assert_eq!(
        moto_ok(
            &moto,
            &["processes", "suspend", "web", "AZRebalance", "HealthCheck"]
        ),
        "suspended AZRebalance, HealthCheck of web\n"
    );
    assert_eq!(suspended(&moto, "web"), ["AZRebalance", "HealthCheck"]);
    assert_eq!(
        moto_ok(&moto, &["processes", "resume", "web", "AZRebalance"]),
        "resumed AZRebalance of web\n"
    );
    assert_eq!(suspended(&moto, "web"), ["HealthCheck"]);
    assert_eq!(
        moto_ok(&moto, &["processes", "suspend", "web"]),
        "suspended every process of web\n"
    );
    assert_eq!(suspended(&moto, "web").len(), 9);
    assert_eq!(
        moto_ok(&moto, &["processes", "resume", "web"]),
        "resumed every process of web\n"
    );
    assert!(suspended(&moto, "web").is_empty());
}

// ---- the group waits against `phantom serve` ----

phantom_test!(
    wait_commands_against_the_built_in_endpoint,
    &[
        "--launch-delay",
        "1s",
        "--terminate-delay",
        "200ms",
        "--no-auth"
    ],
    |srv| {
        let run = |args: &[&str]| {
            let mut all = vec!["--no-sign-request", "--dialect", "aws"];
            all.extend(args);
            srv.phantom(&all).run()
        };
        let ok = |args: &[&str]| {
            let r = run(args);
            assert_eq!(r.code, 0, "{args:?}: {r:?}");
            r.stdout
        };
        ok(&["lc", "create", "lc", "ami-1"]);
        ok(&["domain", "create", "web", "lc", "2", "--min", "0"]);
        // Exists at once; in service at once (MinSize 0); capacity waits for both instances.
        assert_eq!(ok(&["wait", "exists", "web", "--timeout", "20s"]), "");
        let doc: Value = serde_json::from_str(&ok(&[
            "--output",
            "json",
            "wait",
            "capacity",
            "web",
            "--timeout",
            "30s",
        ]))
        .unwrap();
        let instances = doc["AutoScalingGroups"][0]["Instances"].as_array().unwrap();
        assert_eq!(instances.len(), 2, "{doc}");
        assert!(
            instances.iter().all(|i| i["LifecycleState"] == "InService"),
            "{doc}"
        );
        assert_eq!(ok(&["wait", "in-service", "web", "--timeout", "20s"]), "");
        // Gone after a forced delete; a timeout while it is there is exit 3.
        let r = run(&["wait", "gone", "web", "--timeout", "1s"]);
        assert_eq!(r.code, 3, "{r:?}");
        assert!(
            error_line(&r).contains("the group is still listed"),
            "{r:?}"
        );
        ok(&["domain", "delete", "web", "--force"]);
        assert_eq!(ok(&["wait", "gone", "web", "--timeout", "20s"]), "");
        // A group that is not there: exists times out, in-service is "no such".
        let r = run(&["wait", "exists", "web", "--timeout", "1s"]);
        assert_eq!(r.code, 3, "{r:?}");
        let r = run(&["wait", "capacity", "web", "--timeout", "5s"]);
        assert_eq!(r.code, 1, "{r:?}");
        assert_eq!(
            error_line(&r),
            "phantom: error: no such Auto Scaling group web"
        );
    }
);
