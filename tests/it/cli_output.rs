//! `--output json|text|table|yaml|yaml-stream`, `--query` and `--color`, compared with the AWS
//! CLI (`PHANTOM_TEST_AWS`): one `phantom serve` holds a few groups, launch configurations,
//! tags and policies; `phantom` (its seed commands, its task commands and `phantom api`) and
//! `aws autoscaling` print the same replies, which must be the same bytes. The AWS CLI v1 has no
//! YAML: phantom's YAML must read back (PyYAML, beside the AWS CLI) as the AWS CLI's JSON. Also
//! how the default format is chosen (`AWS_DEFAULT_OUTPUT`, the profile's `output`, the seed's
//! lines) and the errors (a malformed query, a query the seed's lines cannot apply).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::util::peers::peer;
use crate::util::run::{Run, TempDir, run_bounded};
use crate::util::serve::Served;

/// A served endpoint with the fixture: three groups (different sizes, zones, tags), two launch
/// configurations, a policy.
fn fixture() -> Served {
    // Instances are InService at once, so both clients read the same states whenever they ask.
    let srv = Served::start(&["--no-auth", "--launch-delay", "0s"]);
    let api = |op: &str, input: Value| {
        let run = srv
            .phantom(&[
                "--no-sign-request",
                "api",
                op,
                "--input",
                &input.to_string(),
            ])
            .run();
        assert_eq!(run.code, 0, "{op}: {}", run.stderr);
    };
    for (lc, image) in [("lc-small", "ami-11111111"), ("lc-büro", "ami-22222222")] {
        api(
            "CreateLaunchConfiguration",
            json!({"LaunchConfigurationName": lc, "ImageId": image, "InstanceType": "t2.micro"}),
        );
    }
    for (name, min, max, desired, zones) in [
        ("web", 1, 5, 2, vec!["us-east-1a", "us-east-1b"]),
        ("batch", 0, 10, 0, vec!["us-east-1c"]),
        ("api-tier", 2, 4, 3, vec!["us-east-1a"]),
    ] {
        api(
            "CreateAutoScalingGroup",
            json!({"AutoScalingGroupName": name, "LaunchConfigurationName": "lc-small",
                   "MinSize": min, "MaxSize": max, "DesiredCapacity": desired,
                   "AvailabilityZones": zones,
                   "Tags": [{"Key": "team", "Value": format!("{name}-team"),
                             "PropagateAtLaunch": true},
                            {"Key": "cost centre", "Value": "42", "PropagateAtLaunch": false}]}),
        );
    }
    api(
        "PutScalingPolicy",
        json!({"AutoScalingGroupName": "web", "PolicyName": "cpu50",
               "PolicyType": "TargetTrackingScaling",
               "TargetTrackingConfiguration": {"TargetValue": 50.0,
                   "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}}}),
    );
    srv
}

/// `aws autoscaling ARGS` against `url`, unsigned, environment cleared but for `PATH` and a
/// scratch `HOME`.
fn aws(url: &str, args: &[&str]) -> Run {
    let home = TempDir::new("aws-home");
    let mut cmd = Command::new(peer("PHANTOM_TEST_AWS"));
    cmd.arg("autoscaling")
        .args(args)
        .args([
            "--endpoint-url",
            url,
            "--region",
            "us-east-1",
            "--no-sign-request",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home.0);
    run_bounded(cmd)
}

/// `phantom ARGS` against the fixture, unsigned, in the AWS dialect (the task commands' calls
/// are not Nimbus Phantom's).
fn phantom(srv: &Served, args: &[&str]) -> Run {
    let mut all = vec!["--no-sign-request", "--dialect", "aws"];
    all.extend_from_slice(args);
    srv.phantom(&all).run()
}

/// Asserts both runs succeeded and printed the same bytes.
fn same(what: &str, ours: &Run, theirs: &Run) {
    assert_eq!(
        (ours.code, theirs.code),
        (0, 0),
        "{what}: phantom: {} / aws: {}",
        ours.stderr,
        theirs.stderr
    );
    assert_eq!(ours.stdout, theirs.stdout, "{what}");
}

/// [`same`], for a reply that is not empty.
fn same_reply(what: &str, ours: &Run, theirs: &Run) {
    assert!(
        theirs.stdout.lines().count() > 2,
        "{what}: {}",
        theirs.stdout
    );
    same(what, ours, theirs);
}

/// The Python beside the AWS CLI (it has PyYAML, an AWS CLI v1 dependency).
fn aws_python() -> PathBuf {
    let aws = PathBuf::from(peer("PHANTOM_TEST_AWS"));
    aws.parent().unwrap_or(Path::new(".")).join("python")
}

/// Reads YAML text with PyYAML's safe loader and returns it as JSON.
fn yaml_as_json(text: &str) -> Value {
    let dir = TempDir::new("yaml");
    let file = dir.0.join("doc.yaml");
    std::fs::write(&file, text).unwrap();
    let mut cmd = Command::new(aws_python());
    cmd.args([
        "-c",
        "import sys, json, yaml\n\
         print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding='utf-8'))))",
    ])
    .arg(&file);
    let run = run_bounded(cmd);
    assert_eq!(run.code, 0, "PyYAML: {}\n{text}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

/// The queries compared: projections, filters, `[*].X`, functions, multi-selects.
const QUERIES: &[&str] = &[
    "AutoScalingGroups[*].AutoScalingGroupName",
    "AutoScalingGroups[].[AutoScalingGroupName, MinSize, MaxSize]",
    "AutoScalingGroups[?DesiredCapacity > `1`].AutoScalingGroupName",
    "length(AutoScalingGroups)",
    "sort_by(AutoScalingGroups, &DesiredCapacity)[].{Name: AutoScalingGroupName, Desired: DesiredCapacity}",
    "AutoScalingGroups[0]",
    "AutoScalingGroups[].Tags[?Key=='team'].Value | []",
    "max_by(AutoScalingGroups, &MaxSize).AutoScalingGroupName",
    "AutoScalingGroups[?AutoScalingGroupName=='nowhere'] | [0]",
];

#[test]
fn every_format_and_query_prints_what_the_aws_cli_prints() {
    let srv = fixture();
    for format in ["json", "text", "table"] {
        // The whole reply, by `phantom api` and by the seed's `domain list`.
        let theirs = aws(
            &srv.url,
            &["describe-auto-scaling-groups", "--output", format],
        );
        let ours = phantom(
            &srv,
            &["api", "DescribeAutoScalingGroups", "--output", format],
        );
        same_reply(&format!("api, {format}"), &ours, &theirs);
        let ours = phantom(&srv, &["domain", "list", "--output", format]);
        same_reply(&format!("domain list, {format}"), &ours, &theirs);
        // Launch configurations (non-ASCII names, nested block device lists) and tags.
        let theirs = aws(
            &srv.url,
            &["describe-launch-configurations", "--output", format],
        );
        let ours = phantom(&srv, &["lc", "list", "--output", format]);
        same_reply(&format!("lc list, {format}"), &ours, &theirs);
        let theirs = aws(&srv.url, &["describe-tags", "--output", format]);
        let ours = phantom(&srv, &["tags", "list", "--output", format]);
        same_reply(&format!("tags list, {format}"), &ours, &theirs);
        // A task command: its JSON is DescribePolicies' reply.
        let theirs = aws(&srv.url, &["describe-policies", "--output", format]);
        let ours = phantom(&srv, &["policy", "list", "--output", format]);
        same_reply(&format!("policy list, {format}"), &ours, &theirs);
        for query in QUERIES {
            let theirs = aws(
                &srv.url,
                &[
                    "describe-auto-scaling-groups",
                    "--output",
                    format,
                    "--query",
                    query,
                ],
            );
            let ours = phantom(
                &srv,
                &["domain", "list", "--output", format, "--query", query],
            );
            same(&format!("{query}, {format}"), &ours, &theirs);
        }
    }
}

#[test]
fn tables_are_coloured_as_the_aws_cli_colours_them() {
    let srv = fixture();
    for color in ["on", "off"] {
        let args = ["--output", "table", "--color", color];
        let mut theirs_args = vec!["describe-auto-scaling-groups"];
        theirs_args.extend_from_slice(&args);
        let theirs = aws(&srv.url, &theirs_args);
        let mut ours_args = vec!["domain", "list"];
        ours_args.extend_from_slice(&args);
        let ours = phantom(&srv, &ours_args);
        same_reply(&format!("--color {color}"), &ours, &theirs);
        assert_eq!(ours.stdout.contains('\u{1b}'), color == "on");
    }
    // Not a terminal: auto is off.
    let ours = phantom(&srv, &["domain", "list", "--output", "table"]);
    assert!(!ours.stdout.contains('\u{1b}'));
}

#[test]
fn yaml_reads_back_as_the_aws_clis_json() {
    let srv = fixture();
    for query in [
        None,
        Some("AutoScalingGroups[].{N: AutoScalingGroupName, Z: AvailabilityZones}"),
    ] {
        let mut args = vec!["describe-auto-scaling-groups", "--output", "json"];
        args.extend(query.iter().flat_map(|q| ["--query", *q]));
        let theirs = aws(&srv.url, &args);
        assert_eq!(theirs.code, 0, "{}", theirs.stderr);
        let want: Value = serde_json::from_str(&theirs.stdout).unwrap();
        let mut ours_args = vec!["domain", "list", "--output", "yaml"];
        ours_args.extend(query.iter().flat_map(|q| ["--query", *q]));
        let ours = phantom(&srv, &ours_args);
        assert_eq!(ours.code, 0, "{}", ours.stderr);
        assert_eq!(yaml_as_json(&ours.stdout), want, "{}", ours.stdout);
        ours_args[3] = "yaml-stream";
        let stream = phantom(&srv, &ours_args);
        assert_eq!(stream.code, 0, "{}", stream.stderr);
        assert_eq!(
            yaml_as_json(&stream.stdout),
            json!([want]),
            "{}",
            stream.stdout
        );
    }
    let lcs = phantom(&srv, &["lc", "list", "--output", "yaml"]);
    let theirs = aws(
        &srv.url,
        &["describe-launch-configurations", "--output", "json"],
    );
    let want: Value = serde_json::from_str(&theirs.stdout).unwrap();
    assert_eq!(yaml_as_json(&lcs.stdout), want, "{}", lcs.stdout);
}

#[test]
fn the_default_format_comes_from_the_environment_then_the_profile_then_the_seed() {
    let srv = fixture();
    let home = TempDir::new("output-home");
    let config = home.0.join("config");
    std::fs::write(&config, "[default]\noutput = table\n").unwrap();
    let config = config.to_str().unwrap();
    let run = |env: &[(&str, &str)]| {
        srv.phantom(&[
            "--no-sign-request",
            "domain",
            "list",
            "--query",
            "AutoScalingGroups[].AutoScalingGroupName",
        ])
        .envs(env)
        .run()
    };
    let theirs_table = aws(
        &srv.url,
        &[
            "describe-auto-scaling-groups",
            "--output",
            "table",
            "--query",
            "AutoScalingGroups[].AutoScalingGroupName",
        ],
    );
    let theirs_text = aws(
        &srv.url,
        &[
            "describe-auto-scaling-groups",
            "--output",
            "text",
            "--query",
            "AutoScalingGroups[].AutoScalingGroupName",
        ],
    );
    same(
        "profile output",
        &run(&[("AWS_CONFIG_FILE", config)]),
        &theirs_table,
    );
    same(
        "AWS_DEFAULT_OUTPUT over the profile",
        &run(&[("AWS_CONFIG_FILE", config), ("AWS_DEFAULT_OUTPUT", "text")]),
        &theirs_text,
    );
    // Nothing chooses: the seed's lines, which take no query.
    let seed = run(&[]);
    assert_eq!(seed.code, 2, "{}", seed.stdout);
    assert!(seed.stderr.contains("--query"), "{}", seed.stderr);
    let seed = srv.phantom(&["--no-sign-request", "domain", "list"]).run();
    assert_eq!(seed.code, 0, "{}", seed.stderr);
    assert!(
        seed.stdout.starts_with("api-tier\n    lc-small : 3\n"),
        "{}",
        seed.stdout
    );
    // `phantom api` prints JSON when nothing chooses, so it takes a query as it is.
    let api = srv
        .phantom(&[
            "--no-sign-request",
            "api",
            "DescribeAutoScalingGroups",
            "--query",
            "length(AutoScalingGroups)",
        ])
        .run();
    assert_eq!(
        (api.code, api.stdout.as_str()),
        (0, "3\n"),
        "{}",
        api.stderr
    );
    // A bad choice names where it came from.
    let bad = run(&[("AWS_DEFAULT_OUTPUT", "xml")]);
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("AWS_DEFAULT_OUTPUT"), "{}", bad.stderr);
}

#[test]
fn a_malformed_query_is_refused_before_any_call() {
    let run = crate::util::run::Phantom::new(&[
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--no-sign-request",
        "--output",
        "json",
        "--query",
        "AutoScalingGroups[?",
        "domain",
        "list",
    ])
    .run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("Bad value for --query"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}
