//! `phantom api`, the generic command, run as the real binary: every operation of the model
//! against a moto of the test's own (the Describe replies compared with the AWS CLI's JSON for
//! the same call), pagination as the AWS CLI means it against the built-in endpoint
//! (`--max-items` / `--starting-token` round trips, `--page-size`, `--no-paginate`), input
//! skeletons compared with the AWS CLI's `--generate-cli-skeleton`, name lookup, and the error
//! paths (unknown operation, bad JSON, unknown member, `--api rest`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use phantom_autoscale::autoscaling::registry::{self, OPERATIONS};
use phantom_autoscale::query::timestamp::Timestamp;
use serde_json::{Map, Value, json};

use crate::util::peers::{Moto, Phantom, Run, TempDir, peer, python};
use crate::util::run::run_bounded;

/// The read-only operations moto 5.2.5 serves (as in `moto_all`): each must succeed, and its
/// JSON must be the AWS CLI's.
const MOTO_SERVES: &[&str] = &[
    "DescribeAutoScalingGroups",
    "DescribeAutoScalingInstances",
    "DescribeLaunchConfigurations",
    "DescribeLifecycleHooks",
    "DescribeLoadBalancerTargetGroups",
    "DescribeLoadBalancers",
    "DescribePolicies",
    "DescribeScalingActivities",
    "DescribeScheduledActions",
    "DescribeTags",
    "DescribeWarmPool",
];

fn model(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tools/model")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A value for a required member of shape `name` (the examples' group and launch
/// configuration names where they fit), as `moto_all` fills them.
fn filler(shapes: &Value, name: &str, member: &str) -> Value {
    let shape = &shapes[name];
    match shape["type"].as_str().unwrap() {
        "string" => match member {
            "AutoScalingGroupName" => json!("my-auto-scaling-group"),
            "LaunchConfigurationName" => json!("my-launch-config"),
            _ => shape["enum"]
                .get(0)
                .cloned()
                .unwrap_or(json!("phantom-test")),
        },
        "integer" | "long" => json!(shape["min"].as_i64().unwrap_or(1).max(1)),
        "double" => json!(1.0),
        "boolean" => json!(false),
        "timestamp" => json!("2030-01-01T00:00:00Z"),
        "list" => json!([filler(
            shapes,
            shape["member"]["shape"].as_str().unwrap(),
            member
        )]),
        "structure" => {
            let mut out = Map::new();
            for required in shape["required"].as_array().into_iter().flatten() {
                let required = required.as_str().unwrap();
                let target = shape["members"][required]["shape"].as_str().unwrap();
                out.insert(required.into(), filler(shapes, target, required));
            }
            Value::Object(out)
        }
        other => panic!("no filler for {other}"),
    }
}

/// The environment of a run against `url` with moto's keys.
fn keys(url: &str) -> [(&'static str, String); 4] {
    [
        ("AWS_ENDPOINT_URL", url.to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
    ]
}

/// `phantom api ARGS` against `url` with moto's keys, one attempt per call (moto answers what
/// it does not implement with a 500).
fn api_at(url: &str, args: &[&str]) -> Run {
    let mut all = vec!["--max-attempts", "1", "api"];
    all.extend_from_slice(args);
    Phantom::new(&all).envs(&keys(url)).run()
}

/// `aws autoscaling CLI_NAME --cli-input-json INPUT` against `url`.
fn aws_at(url: &str, cli_name: &str, input: &Value) -> Run {
    let mut cmd = Command::new(peer("PHANTOM_TEST_AWS"));
    cmd.args(["autoscaling", cli_name, "--cli-input-json"])
        .arg(input.to_string())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir());
    for (k, v) in keys(url) {
        cmd.env(k, v);
    }
    cmd.args(["--endpoint-url", url]);
    run_bounded(cmd)
}

/// `value` with every timestamp written as ours are (milliseconds): the AWS CLI (v1, its
/// default `cli_timestamp_format` of `none`) prints the server's text as it came, moto's
/// microseconds included, while phantom prints the instant it read, to the millisecond.
fn same_instants(value: &Value) -> Value {
    match value {
        Value::String(s) if s.len() >= 20 && s.as_bytes()[10] == b'T' => {
            match Timestamp::parse(s) {
                Some(t) => Value::String(t.to_string()),
                None => value.clone(),
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(same_instants).collect()),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), same_instants(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The JSON a run printed (`{}` for nothing, as for an operation without output).
fn printed(run: &Run) -> Value {
    if run.stdout.trim().is_empty() {
        return json!({});
    }
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

#[test]
fn every_operation_is_callable_and_the_describes_print_what_the_aws_cli_prints() {
    let service = model("service-2.json");
    let examples = model("examples-1.json");
    let shapes = &service["shapes"];
    let moto = Moto::start(&[]);
    let lc = r#"{"LaunchConfigurationName": "my-launch-config", "ImageId": "ami-12345678",
                 "InstanceType": "t2.micro"}"#;
    let run = api_at(&moto.url, &["CreateLaunchConfiguration", "--input", lc]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    // The group through standard input, by the AWS CLI's name.
    let group = json!({
        "AutoScalingGroupName": "my-auto-scaling-group",
        "LaunchConfigurationName": "my-launch-config",
        "MinSize": 0, "MaxSize": 2, "DesiredCapacity": 1,
        "AvailabilityZones": ["us-east-1a"],
        "Tags": [{"Key": "team", "Value": "api", "PropagateAtLaunch": true}],
    });
    let run = Phantom::new(&["api", "create-auto-scaling-group"])
        .envs(&keys(&moto.url))
        .stdin(group.to_string())
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);

    let mut order: Vec<&str> = OPERATIONS.iter().map(|e| e.name).collect();
    order.sort_by_key(|op| matches!(*op, "DeleteAutoScalingGroup" | "DeleteLaunchConfiguration"));
    let mut answered = BTreeMap::new();
    let mut failures = Vec::new();
    let mut compared = 0;
    for op in order {
        let entry = registry::find(op).unwrap();
        let input = match examples["examples"][op][0].get("input") {
            Some(input) => input.clone(),
            None => match service["operations"][op]["input"]["shape"].as_str() {
                Some(shape) => filler(shapes, shape, ""),
                None => json!({}),
            },
        };
        let run = api_at(&moto.url, &[op, "--input", &input.to_string()]);
        match run.code {
            0 => {
                let reply = printed(&run);
                assert!(reply.is_object(), "{op}: {}", run.stdout);
                answered.insert(op, "ok".to_string());
                if MOTO_SERVES.contains(&op) {
                    let theirs = aws_at(&moto.url, entry.cli_name, &input);
                    assert_eq!(theirs.code, 0, "aws {}: {}", entry.cli_name, theirs.stderr);
                    let (ours, theirs) = (same_instants(&reply), same_instants(&printed(&theirs)));
                    // Compared as text, so that the order of members counts too.
                    let (ours, theirs) = (
                        serde_json::to_string_pretty(&ours).unwrap(),
                        serde_json::to_string_pretty(&theirs).unwrap(),
                    );
                    if ours != theirs {
                        failures.push(format!("{op}: ours\n{ours}\nthe AWS CLI's\n{theirs}"));
                    }
                    compared += 1;
                }
            }
            // A service error (moto refuses what it does not implement): one line, the
            // operation and the code named.
            1 | 5 => {
                let line = run.stderr.trim();
                if !line.starts_with("phantom: error: ")
                    || !line.contains(op)
                    || line.contains('\n')
                {
                    failures.push(format!("{op}: exit {} with {line:?}", run.code));
                }
                answered.insert(op, format!("exit {}", run.code));
            }
            code => failures.push(format!("{op}: exit {code}: {}", run.stderr.trim())),
        }
    }
    eprintln!("{answered:#?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(answered.len(), OPERATIONS.len());
    for op in MOTO_SERVES {
        assert_eq!(answered[op], "ok", "{op}");
    }
    assert_eq!(compared, MOTO_SERVES.len());
}

/// The AWS CLI's printed text for a group listing is ours byte for byte but for the
/// timestamps' digits: the layout (four spaces, member order) is the same.
#[test]
fn the_printed_text_is_laid_out_as_the_aws_cli_lays_it_out() {
    let moto = Moto::start(&[]);
    let lc = r#"{"LaunchConfigurationName": "lc-text", "ImageId": "ami-12345678", "InstanceType": "t2.micro"}"#;
    assert_eq!(
        api_at(&moto.url, &["CreateLaunchConfiguration", "--input", lc]).code,
        0
    );
    let ours = api_at(&moto.url, &["DescribeLaunchConfigurations"]);
    let theirs = aws_at(&moto.url, "describe-launch-configurations", &json!({}));
    assert_eq!(
        (ours.code, theirs.code),
        (0, 0),
        "{} {}",
        ours.stderr,
        theirs.stderr
    );
    let strip = |text: &str| -> String {
        text.lines()
            .filter(|l| !l.trim_start().starts_with("\"CreatedTime\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&ours.stdout), strip(&theirs.stdout));
    assert!(
        ours.stdout
            .contains("\n    \"LaunchConfigurations\": [\n        {\n")
    );
}

/// `phantom api ARGS` against an in-process endpoint, on a blocking thread so that the endpoint
/// (on the test's runtime) keeps answering.
async fn api(url: &str, args: &[&str]) -> Run {
    let mut all = vec!["--no-sign-request".to_string(), "api".to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    let url = url.to_string();
    tokio::task::spawn_blocking(move || Phantom::new(&all).env("PHANTOM_URL", url).run())
        .await
        .unwrap()
}

fn names(reply: &Value) -> Vec<String> {
    reply["LaunchConfigurations"]
        .as_array()
        .unwrap_or_else(|| panic!("{reply}"))
        .iter()
        .map(|lc| lc["LaunchConfigurationName"].as_str().unwrap().to_string())
        .collect()
}

/// Creates `lc-0` .. `lc-{n-1}` through `phantom api`.
async fn create_lcs(url: &str, n: usize) -> Vec<String> {
    let mut all = Vec::new();
    for i in 0..n {
        let name = format!("lc-{i}");
        let input = json!({"LaunchConfigurationName": name, "ImageId": "ami-12345678",
                           "InstanceType": "m1.small"});
        let run = api(
            url,
            &["CreateLaunchConfiguration", "--input", &input.to_string()],
        )
        .await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        all.push(name);
    }
    all
}

served!(
    pages_are_followed_and_page_size_sets_the_limit_of_each_call,
    |server, _c| {
        let url = server.url();
        let all = create_lcs(&url, 7).await;
        // Every page is followed: all seven, no token.
        let run = api(&url, &["DescribeLaunchConfigurations"]).await;
        let reply = printed(&run);
        assert_eq!(names(&reply), all);
        assert!(reply.get("NextToken").is_none(), "{reply}");
        // --page-size 2: four calls of MaxRecords=2, the same seven.
        let run = api(
            &url,
            &[
                "--debug",
                "describe-launch-configurations",
                "--page-size",
                "2",
            ],
        )
        .await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(names(&printed(&run)), all);
        let calls = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("[debug] > POST"))
            .count();
        assert_eq!(calls, 4, "{}", run.stderr);
        // --no-paginate: one call, the server's own token printed.
        let run = api(
            &url,
            &[
                "DescribeLaunchConfigurations",
                "--no-paginate",
                "--input",
                r#"{"MaxRecords": 3}"#,
            ],
        )
        .await;
        let reply = printed(&run);
        assert_eq!(names(&reply), all[..3]);
        let token = reply["NextToken"].as_str().unwrap().to_string();
        // That token in the input starts the listing there, every later page followed.
        let input = json!({"NextToken": token, "MaxRecords": 3}).to_string();
        let run = api(&url, &["DescribeLaunchConfigurations", "--input", &input]).await;
        assert_eq!(names(&printed(&run)), all[3..]);
        server.shutdown().await;
    }
);

served!(max_items_and_starting_token_resume_exactly, |server, _c| {
    let url = server.url();
    let all = create_lcs(&url, 7).await;
    // Pages of 2, 3 items at a time: the cuts fall inside pages (after 3 and 6).
    let mut got = Vec::new();
    let mut token: Option<String> = None;
    let mut runs = 0;
    loop {
        let mut args = vec![
            "DescribeLaunchConfigurations",
            "--page-size",
            "2",
            "--max-items",
            "3",
        ];
        if let Some(t) = &token {
            args.extend(["--starting-token", t.as_str()]);
        }
        let run = api(&url, &args).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        let reply = printed(&run);
        let page = names(&reply);
        assert!(page.len() <= 3, "{reply}");
        got.extend(page);
        runs += 1;
        match reply.get("NextToken") {
            Some(t) => token = Some(t.as_str().unwrap().to_string()),
            None => break,
        }
        assert!(runs < 5, "the listing does not end");
    }
    assert_eq!(runs, 3);
    assert_eq!(got, all);
    // A cut on a page boundary (4 = two pages of 2) resumes at the next page.
    let run = api(
        &url,
        &[
            "DescribeLaunchConfigurations",
            "--page-size",
            "2",
            "--max-items",
            "4",
        ],
    )
    .await;
    let reply = printed(&run);
    assert_eq!(names(&reply), all[..4]);
    let token = reply["NextToken"].as_str().unwrap().to_string();
    let run = api(
        &url,
        &["DescribeLaunchConfigurations", "--starting-token", &token],
    )
    .await;
    assert_eq!(names(&printed(&run)), all[4..]);
    // --max-items larger than the listing: all of it and no token.
    let run = api(&url, &["DescribeLaunchConfigurations", "--max-items", "50"]).await;
    let reply = printed(&run);
    assert_eq!(names(&reply), all);
    assert!(reply.get("NextToken").is_none());
    // A token that is not one of ours is refused, naming the option.
    let run = api(
        &url,
        &["DescribeLaunchConfigurations", "--starting-token", "lc-3"],
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("--starting-token"), "{}", run.stderr);
    server.shutdown().await;
});

/// The resume token is botocore's (base64 of `{"NextToken": ..., "boto_truncate_amount": N}`):
/// a token the AWS CLI printed resumes in phantom exactly where the AWS CLI would.
#[test]
fn a_token_the_aws_cli_printed_resumes_in_phantom() {
    let moto = Moto::start(&[]);
    for i in 0..5 {
        let input = json!({"LaunchConfigurationName": format!("lc-{i}"), "ImageId": "ami-12345678",
                           "InstanceType": "t2.micro"});
        assert_eq!(
            api_at(
                &moto.url,
                &["CreateLaunchConfiguration", "--input", &input.to_string()]
            )
            .code,
            0
        );
    }
    let mut cmd = Command::new(peer("PHANTOM_TEST_AWS"));
    cmd.args([
        "autoscaling",
        "describe-launch-configurations",
        "--max-items",
        "3",
        "--page-size",
        "2",
        "--endpoint-url",
        &moto.url,
    ])
    .env_clear()
    .env("PATH", std::env::var("PATH").unwrap_or_default())
    .env("HOME", std::env::temp_dir());
    for (k, v) in keys(&moto.url) {
        cmd.env(k, v);
    }
    let theirs = run_bounded(cmd);
    assert_eq!(theirs.code, 0, "{}", theirs.stderr);
    let theirs = printed(&theirs);
    let ours = api_at(
        &moto.url,
        &[
            "DescribeLaunchConfigurations",
            "--max-items",
            "3",
            "--page-size",
            "2",
        ],
    );
    let ours = printed(&ours);
    assert_eq!(names(&ours), names(&theirs));
    let token = theirs["NextToken"].as_str().unwrap();
    let rest = printed(&api_at(
        &moto.url,
        &["DescribeLaunchConfigurations", "--starting-token", token],
    ));
    assert_eq!(names(&rest), ["lc-3", "lc-4"]);
}

/// Operations whose input shapes are the same in the AWS CLI's (older) model and ours.
const SAME_SHAPES: &[&str] = &[
    "put-scaling-policy",
    "put-scheduled-update-group-action",
    "put-warm-pool",
    "create-launch-configuration",
    "put-lifecycle-hook",
    "batch-put-scheduled-update-group-action",
    "get-predictive-scaling-forecast",
    "attach-traffic-sources",
    "suspend-processes",
    "describe-auto-scaling-notification-types",
    "describe-load-balancer-target-groups",
];

/// Every string made empty: the AWS CLI picks a random enum value as an enum's placeholder,
/// phantom the first (so that its skeleton is the same every time).
fn blank_strings(value: &Value) -> Value {
    match value {
        Value::String(_) => json!(""),
        Value::Array(items) => Value::Array(items.iter().map(blank_strings).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), blank_strings(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn skeletons_are_the_aws_clis() {
    for op in SAME_SHAPES {
        let ours = Phantom::new(&["api", op, "--generate-skeleton"]).run();
        assert_eq!(ours.code, 0, "{}", ours.stderr);
        let mut cmd = Command::new(peer("PHANTOM_TEST_AWS"));
        cmd.args(["autoscaling", op, "--generate-cli-skeleton"])
            .env("AWS_DEFAULT_REGION", "us-east-1");
        let theirs = run_bounded(cmd);
        assert_eq!(theirs.code, 0, "{}", theirs.stderr);
        // Same members, nesting, order, placeholders and layout.
        let pretty = |text: &str| {
            let value: Value = serde_json::from_str(text).unwrap();
            serde_json::to_string_pretty(&blank_strings(&value)).unwrap()
        };
        assert_eq!(pretty(&ours.stdout), pretty(&theirs.stdout), "{op}");
        assert_eq!(
            ours.stdout.lines().count(),
            theirs.stdout.lines().count(),
            "{op}"
        );
    }
    // Enum placeholders are the model's first value; timestamps the AWS CLI's epoch.
    let run = Phantom::new(&["api", "PutWarmPool", "--generate-skeleton"]).run();
    assert_eq!(printed(&run)["PoolState"], "Stopped");
    let run = Phantom::new(&[
        "api",
        "PutScheduledUpdateGroupAction",
        "--generate-skeleton",
    ])
    .run();
    assert_eq!(printed(&run)["StartTime"], "1970-01-01T00:00:00");
    // No input: an empty object.
    let run = Phantom::new(&["api", "DescribeAccountLimits", "--generate-skeleton"]).run();
    assert_eq!(run.stdout.trim(), "{}");
}

#[test]
fn operations_are_found_by_either_name_exactly() {
    // The CLI names are botocore's `xform_name(op, "-")` for all 68.
    let ops: Vec<&str> = OPERATIONS.iter().map(|e| e.name).collect();
    let script = "import json, sys; from botocore import xform_name; \
                  print(json.dumps([xform_name(o, '-') for o in json.load(sys.stdin)]))";
    let mut cmd = Command::new(python());
    cmd.args(["-c", script]).stdin(std::process::Stdio::piped());
    let run = crate::util::run::run_bounded_with(
        cmd,
        Some(serde_json::to_vec(&ops).unwrap()),
        crate::util::run::LIFETIME,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let botocore: Vec<String> = serde_json::from_str(&run.stdout).unwrap();
    let ours: Vec<&str> = OPERATIONS.iter().map(|e| e.cli_name).collect();
    assert_eq!(ours, botocore);
    for (name, cli) in [
        ("DescribeAutoScalingGroups", "describe-auto-scaling-groups"),
        (
            "DescribeLoadBalancerTargetGroups",
            "describe-load-balancer-target-groups",
        ),
        (
            "GetPredictiveScalingForecast",
            "get-predictive-scaling-forecast",
        ),
    ] {
        assert_eq!(registry::find(name).unwrap().cli_name, cli);
        assert_eq!(registry::find(cli).unwrap().name, name);
    }
    // Case matters, as to the AWS CLI.
    assert!(registry::find("describePolicies").is_none());
    assert!(registry::find("Describe-Policies").is_none());
    // --list: the 68, one line each with both names and the summary.
    let run = Phantom::new(&["api", "--list"]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 68);
    for (line, entry) in lines.iter().zip(OPERATIONS) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(&words[..2], [entry.name, entry.cli_name], "{line}");
        assert!(line.ends_with(entry.summary), "{line}");
    }
    // Both names give the same skeleton.
    let a = Phantom::new(&["api", "describe-policies", "--generate-skeleton"]).run();
    let b = Phantom::new(&["api", "DescribePolicies", "--generate-skeleton"]).run();
    assert_eq!((a.code, &a.stdout), (0, &b.stdout));
}

/// A run that fails before any call: nothing listens at this address.
fn offline(args: &[&str]) -> Run {
    let mut all = vec![
        "--no-sign-request",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "api",
    ];
    all.extend_from_slice(args);
    Phantom::new(&all).run()
}

fn fails_with(run: &Run, code: i32, words: &[&str]) {
    assert_eq!(
        run.code, code,
        "stdout {:?} stderr {:?}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    for word in words {
        assert!(
            run.stderr.contains(word),
            "{word:?} not in {:?}",
            run.stderr
        );
    }
}

#[test]
fn errors_name_the_problem() {
    // An unknown operation names the close ones, without any configuration.
    let run = Phantom::new(&["api", "DescribePolicy"]).run();
    fails_with(
        &run,
        2,
        &[
            "\"DescribePolicy\"",
            "DescribePolicies (describe-policies)",
            "--list",
        ],
    );
    let run = Phantom::new(&["api", "describe-auto-scaling-group"]).run();
    fails_with(
        &run,
        2,
        &["DescribeAutoScalingGroups (describe-auto-scaling-groups)"],
    );
    let run = Phantom::new(&["api", "describePolicies"]).run();
    fails_with(&run, 2, &["DescribePolicies"]);
    // Bad JSON: where.
    let run = offline(&[
        "DescribePolicies",
        "--input",
        "{\"AutoScalingGroupName\": }",
    ]);
    fails_with(&run, 2, &["--input is not JSON", "line 1 column 26"]);
    let dir = TempDir::new("api-input");
    let file = dir.0.join("in.json");
    std::fs::write(&file, "{\n  \"MaxRecords\": 5,\n}\n").unwrap();
    let arg = format!("file://{}", file.display());
    let run = offline(&["DescribePolicies", "--input", &arg]);
    fails_with(&run, 2, &["in.json is not JSON", "line 3 column 1"]);
    let run = offline(&["DescribePolicies", "--input", "file:///nonexistent/in.json"]);
    fails_with(&run, 2, &["/nonexistent/in.json"]);
    // Unknown members, at the top and nested, named with what would fit.
    let run = offline(&["DescribePolicies", "--input", r#"{"GroupName": "web"}"#]);
    fails_with(
        &run,
        2,
        &[
            "Unknown parameter in input: \"GroupName\"",
            "AutoScalingGroupName, PolicyNames",
        ],
    );
    let input = r#"{"AutoScalingGroupName": "g", "PolicyName": "p",
                    "StepAdjustments": [{"ScalingAdjustment": 1}, {"ScalingAdjustmnet": 2}]}"#;
    let run = offline(&["PutScalingPolicy", "--input", input]);
    fails_with(
        &run,
        2,
        &["Unknown parameter in StepAdjustments[1]: \"ScalingAdjustmnet\""],
    );
    let run = offline(&["DescribeAccountLimits", "--input", r#"{"X": 1}"#]);
    fails_with(&run, 2, &["\"X\"", "takes no parameters"]);
    // A value of the wrong kind, and an input that is not an object.
    let run = offline(&["DescribePolicies", "--input", r#"{"MaxRecords": "ten"}"#]);
    fails_with(
        &run,
        2,
        &["MaxRecords", "a string given, an integer expected"],
    );
    let run = offline(&["DescribePolicies", "--input", "[1]"]);
    fails_with(&run, 2, &["must be a JSON object"]);
    // Options that do not apply.
    let run = offline(&[
        "DeleteTags",
        "--max-items",
        "2",
        "--input",
        "{\"Tags\": []}",
    ]);
    fails_with(&run, 2, &["not paginated"]);
    let run = offline(&["DescribePolicies", "--no-paginate", "--max-items", "2"]);
    fails_with(&run, 2, &["--no-paginate", "--max-items"]);
    let run = offline(&["--output", "json-lines", "DescribePolicies"]);
    fails_with(&run, 2, &["json-lines"]);
    // Under the REST API: refused, saying why.
    let run = Phantom::new(&[
        "--api",
        "rest",
        "--endpoint-url",
        "http://127.0.0.1:9/api/dev",
        "api",
        "DescribePolicies",
    ])
    .run();
    fails_with(&run, 2, &["Query API", "--api query"]);
}
