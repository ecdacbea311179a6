//! The group options of `domain create` and `domain alter`, against a moto of the test's own and
//! against the built-in endpoint (`phantom serve`), and their refusals (Phantom dialect, REST API,
//! bad values).
//!
//! What each peer keeps, measured: moto 5.2.5 keeps on create the health check type and grace
//! period, termination policies, default cooldown, capacity rebalance and tags, but not
//! MaxInstanceLifetime; on update only the sizes and the health check. The built-in endpoint
//! keeps on create all but MaxInstanceLifetime, on update the sizes, health check, termination
//! policies and default cooldown.

use serde_json::{Value, json};

use crate::tasks_support::{Fixture, refused, run_at};
use crate::util::peers::{Moto, unique};
use crate::util::serve::Served;

/// Creates a launch configuration and a group with every option at `url`; returns the group as
/// described there.
fn create_with_options(url: &str) -> (String, Value) {
    let ok = |args: &[&str]| {
        let r = run_at(url, args);
        assert_eq!(r.code, 0, "phantom {args:?}: {}", r.stderr);
        r.stdout
    };
    let lc = unique("lc");
    let group = unique("web");
    ok(&["lc", "create", &lc, "ami-12345678"]);
    assert_eq!(
        ok(&[
            "domain",
            "create",
            &group,
            &lc,
            "2",
            "--min",
            "1",
            "--max",
            "4",
            "--health-check-type",
            "ELB",
            "--health-check-grace-period",
            "120",
            "--termination-policies",
            "OldestInstance,Default",
            "--default-cooldown",
            "45",
            "--max-instance-lifetime",
            "86400",
            "--capacity-rebalance",
            "--tag",
            "team=web",
            "--propagate-tags",
        ]),
        format!("using LaunchConfiguration:{lc}\n")
    );
    let listed: Value =
        serde_json::from_str(&ok(&["--output", "json", "domain", "list", &group])).unwrap();
    (group, listed["AutoScalingGroups"][0].clone())
}

fn sizes(g: &Value) -> (Option<i64>, Option<i64>, Option<i64>) {
    (
        g["MinSize"].as_i64(),
        g["MaxSize"].as_i64(),
        g["DesiredCapacity"].as_i64(),
    )
}

#[test]
fn create_and_alter_options_reach_moto() {
    let moto = Moto::start(&[]);
    let (group, g) = create_with_options(&moto.url);
    assert_eq!(sizes(&g), (Some(1), Some(4), Some(2)));
    assert_eq!(g["HealthCheckType"], "ELB");
    assert_eq!(g["HealthCheckGracePeriod"], 120);
    assert_eq!(
        g["TerminationPolicies"],
        json!(["OldestInstance", "Default"])
    );
    assert_eq!(g["DefaultCooldown"], 45);
    assert_eq!(g["CapacityRebalance"], true);
    let tag = &g["Tags"][0];
    assert_eq!(
        (tag["Key"].as_str(), tag["Value"].as_str()),
        (Some("team"), Some("web"))
    );
    assert_eq!(tag["PropagateAtLaunch"], true);

    // alter with options: one UpdateAutoScalingGroup; JSON is the input sent.
    let r = run_at(
        &moto.url,
        &[
            "--output",
            "json",
            "domain",
            "alter",
            &group,
            "3",
            "--max",
            "5",
            "--health-check-type",
            "EC2",
            "--health-check-grace-period",
            "30",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let sent: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        sent,
        json!({
            "AutoScalingGroupName": group,
            "MaxSize": 5,
            "DesiredCapacity": 3,
            "HealthCheckType": "EC2",
            "HealthCheckGracePeriod": 30
        })
    );
    let f = Fixture {
        moto,
        group: group.clone(),
        lc: String::new(),
    };
    let g = f.described();
    assert_eq!(sizes(&g), (Some(1), Some(5), Some(3)));
    assert_eq!(g["HealthCheckType"], "EC2");
    assert_eq!(g["HealthCheckGracePeriod"], 30);

    // Options without SIZE; text output.
    assert_eq!(
        f.ok(&["domain", "alter", &group, "--min", "2"]),
        format!("altered {group}\n")
    );
    assert_eq!(sizes(&f.described()), (Some(2), Some(5), Some(3)));
}

#[test]
fn an_n_preserving_domain_stays_n_preserving_when_altered_with_options() {
    let f = Fixture::new(1);
    let g = f.group.as_str();
    // Fixture's group has min 0 and max 10; make one n-preserving (the default of create).
    let lc = f.lc.clone();
    let np = unique("np");
    f.ok(&["domain", "create", &np, &lc, "2"]);
    assert_eq!(
        sizes(&f.json(&["domain", "list", &np])["AutoScalingGroups"][0]),
        (Some(2), Some(2), Some(2))
    );
    f.ok(&[
        "domain",
        "alter",
        &np,
        "3",
        "--health-check-grace-period",
        "10",
    ]);
    let described = f.json(&["domain", "list", &np])["AutoScalingGroups"][0].clone();
    assert_eq!(sizes(&described), (Some(3), Some(3), Some(3)));
    assert_eq!(described["HealthCheckGracePeriod"], 10);
    // A group that is not n-preserving only has its desired capacity set.
    f.ok(&["domain", "alter", g, "4", "--health-check-type", "ELB"]);
    assert_eq!(sizes(&f.described()), (Some(0), Some(10), Some(4)));
}

#[test]
fn create_and_alter_options_reach_the_built_in_endpoint() {
    let served = Served::start(&["--no-auth", "--launch-delay", "0s"]);
    let url = served.url.clone();
    let (group, g) = create_with_options(&url);
    assert_eq!(sizes(&g), (Some(1), Some(4), Some(2)));
    assert_eq!(g["HealthCheckType"], "ELB");
    assert_eq!(g["HealthCheckGracePeriod"], 120);
    assert_eq!(
        g["TerminationPolicies"],
        json!(["OldestInstance", "Default"])
    );
    assert_eq!(g["DefaultCooldown"], 45);
    assert_eq!(g["CapacityRebalance"], true);

    let r = run_at(
        &url,
        &[
            "domain",
            "alter",
            &group,
            "--termination-policies",
            "NewestInstance",
            "--default-cooldown",
            "90",
            "--health-check-type",
            "EC2",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let r = run_at(&url, &["--output", "json", "domain", "list", &group]);
    let g: Value = serde_json::from_str(&r.stdout).unwrap();
    let g = &g["AutoScalingGroups"][0];
    assert_eq!(g["TerminationPolicies"], json!(["NewestInstance"]));
    assert_eq!(g["DefaultCooldown"], 90);
    assert_eq!(g["HealthCheckType"], "EC2");
    assert_eq!(sizes(g), (Some(1), Some(4), Some(2)));
}

#[test]
fn domain_options_are_checked_and_refused_where_they_do_not_exist() {
    let create = |rest: &[&str]| -> Vec<String> {
        ["domain", "create", "web", "lc", "2"]
            .iter()
            .chain(rest)
            .map(|s| s.to_string())
            .collect()
    };
    let cases: &[(&[&str], &str)] = &[
        (&["--health-check-type", "HTTP"], "invalid value 'HTTP'"),
        (
            &["--termination-policies", "Oldest"],
            "`Oldest` is not a termination policy",
        ),
        (
            &["--termination-policies", "Default,Default"],
            "names Default twice",
        ),
        (
            &["--max-instance-lifetime", "3600"],
            "must be 0 (no limit) or at least 86400",
        ),
        (&["--capacity-rebalance", "maybe"], "invalid value 'maybe'"),
        (&["--propagate-tags"], "--tag"),
        (
            &["--min", "3"],
            "size 2 must lie between --min 3 and --max 2",
        ),
    ];
    for (rest, says) in cases {
        let args = create(rest);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&args, says);
    }
    refused(
        &["domain", "alter", "web"],
        "needs a SIZE, --min, --max or a setting",
    );
    refused(
        &["domain", "alter", "web", "--min", "3", "--max", "2"],
        "--min 3 is more than --max 2",
    );
    refused(
        &["domain", "alter", "web", "9", "--max", "2"],
        "size 9 must lie between",
    );
    // Phantom keeps none of these and has no UpdateAutoScalingGroup.
    refused(
        &[
            "--dialect",
            "phantom",
            "domain",
            "create",
            "web",
            "lc",
            "2",
            "--health-check-type",
            "ELB",
            "--default-cooldown",
            "5",
        ],
        "Nimbus Phantom keeps no --health-check-type, --default-cooldown",
    );
    refused(
        &[
            "--dialect",
            "phantom",
            "domain",
            "alter",
            "web",
            "--capacity-rebalance",
            "false",
        ],
        "Nimbus Phantom keeps no --capacity-rebalance",
    );
    refused(
        &[
            "--dialect",
            "phantom",
            "domain",
            "alter",
            "web",
            "3",
            "--max",
            "4",
        ],
        "Nimbus Phantom has no UpdateAutoScalingGroup",
    );
    // Nor does its REST API.
    refused(
        &[
            "--api",
            "rest",
            "domain",
            "create",
            "web",
            "lc",
            "2",
            "--health-check-type",
            "ELB",
        ],
        "is not available over Phantom's REST API",
    );
    refused(
        &["--api", "rest", "domain", "alter", "web"],
        "is not available over Phantom's REST API",
    );
}
