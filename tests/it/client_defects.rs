//! Regression tests for the client and CLI defects of issue 9 (items 11 to 18), each through the
//! real `phantom` binary over HTTP on 127.0.0.1: against `phantom serve` where the built-in
//! endpoint can show the behaviour, and against a canned-bytes server only for what no real peer
//! does (echoing the request, endless or cycling NextTokens, Phantom's own 500 pages and
//! `Server: phantom`, failed launches).
//!
//! Time bounds are generous upper limits; the only lower bound is the one `--wait --timeout` must
//! honour.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::util::fault_server::*;
use crate::util::serve::{Served, credentials_file};
use base64::Engine;

const NS: &str = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

/// `phantom serve` as a child process, stopped on drop.
struct Serve;

impl Serve {
    fn start(args: &[&str]) -> Served {
        Served::start(&[&["--terminate-delay", "100ms"], args].concat())
    }
}

/// A credentials file for `phantom serve --credentials`, and its key.
fn keys_file(dir: &Path) -> String {
    credentials_file(dir, &[("default", "AKIDDEFECTS", "defects-secret")])
}

const KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIDDEFECTS"),
    ("AWS_SECRET_ACCESS_KEY", "defects-secret"),
];

/// Runs `phantom` with exactly `env` (plus PATH, and `home` as HOME and working directory).
fn phantom_bare(args: &[&str], env: &[(&str, &str)], home: &Path, stdin: Option<&str>) -> Run {
    let command = Phantom::new(args)
        .home(home)
        .in_home()
        .env("PHANTOM_RETRY_BASE_MS", "10")
        .envs(env);
    match stdin {
        None => command.run(),
        Some(text) => command.stdin(text).run(),
    }
}

fn error_line(run: &Run) -> String {
    run.stderr
        .lines()
        .find(|l| l.starts_with("phantom: error: "))
        .unwrap_or_else(|| panic!("no error line: {run:?}"))
        .to_string()
}

fn capture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/phantom-wire/captures")
        .join(format!("{name}.http"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

// ---- 11: secrets a server echoes are never shown ----

const SECRET: &str = "CANARYsecret/key+0123456789abcdef=";
const SESSION: &str = "CANARYsession/TOKEN+with=padding==";

#[test]
fn secrets_echoed_by_a_server_are_scrubbed() {
    // The server echoes the whole request (head and body) back, inside an error message and in
    // the `x-amzn-RequestId` and `Server` headers, as a misconfigured proxy might.
    let echo = FaultServer::start(|request, _| {
        let seen = format!("{}\n{}", request.head, request.body);
        let session = request.header("x-amz-security-token").unwrap_or_default();
        let body = format!(
            "<ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type><Code>ValidationError</Code>\
             <Message>you sent: {}</Message></Error><RequestId>req-{}</RequestId></ErrorResponse>",
            xml_escape(&seen),
            xml_escape(&session)
        );
        Action::Reply(http(
            400,
            "Bad Request",
            &[
                ("Content-Type", "text/xml"),
                ("Server", &format!("echo {session}")),
            ],
            &body,
        ))
    });
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDECHO"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", SESSION),
    ];
    for signature in ["v4", "v2"] {
        for debug in [false, true] {
            let url = echo.url();
            let mut args = vec!["--endpoint-url", url.as_str(), "--signature", signature];
            if debug {
                args.push("--debug");
            }
            args.extend(["--max-attempts", "1", "domain", "list"]);
            let run = phantom(&args, &env);
            assert_eq!(run.code, 1, "{run:?}");
            assert!(error_line(&run).contains("you sent: "), "{run:?}");
            assert!(run.stderr.contains("**redacted**"), "{signature}: {run:?}");
            for canary in ["CANARY", &SESSION[6..20], "session%2F"] {
                assert!(
                    !run.stdout.contains(canary) && !run.stderr.contains(canary),
                    "{signature} debug={debug}: a secret was shown: {run:?}"
                );
            }
        }
    }
}

#[test]
fn rest_token_echoed_by_a_server_is_scrubbed() {
    const TOKEN: &str = "CANARY-rest/token+value";
    // Echoes the Authorization header and the credentials it decodes to.
    let echo = FaultServer::start(|request, _| {
        let auth = request.header("authorization").unwrap_or_default();
        let decoded = auth
            .strip_prefix("Basic ")
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        Action::Reply(http(
            400,
            "Bad Request",
            &[("Content-Type", "text/html")],
            &format!(
                "bad request from {decoded}; header was {auth}; {}",
                request.head
            ),
        ))
    });
    let home = scratch_dir("rest-echo");
    for debug in [false, true] {
        let url = format!("{}/api/dev", echo.url());
        let mut args = vec!["--endpoint-url", url.as_str()];
        if debug {
            args.push("--debug");
        }
        args.extend(["domain", "list"]);
        let run = phantom_bare(&args, &[("USER_ID", "1"), ("TOKEN", TOKEN)], &home, None);
        assert_eq!(run.code, 1, "{run:?}");
        let line = error_line(&run);
        assert!(line.contains("bad request from 1:**redacted**"), "{line}");
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("1:{TOKEN}"));
        for canary in ["CANARY", &basic[..16]] {
            assert!(
                !run.stdout.contains(canary) && !run.stderr.contains(canary),
                "debug={debug}: the token was shown: {run:?}"
            );
        }
    }
}

// ---- 12: listings always end ----

/// A DescribeLaunchConfigurations page holding one launch configuration and `next` as NextToken.
fn lc_page(name: &str, next: Option<&str>) -> Vec<u8> {
    let token = next
        .map(|t| format!("<NextToken>{t}</NextToken>"))
        .unwrap_or_default();
    ok_xml(&format!(
        "<DescribeLaunchConfigurationsResponse xmlns=\"{NS}\"><DescribeLaunchConfigurationsResult>\
         <LaunchConfigurations><member><LaunchConfigurationName>{name}</LaunchConfigurationName>\
         <ImageId>ami-1</ImageId><InstanceType>m1.small</InstanceType></member></LaunchConfigurations>\
         {token}</DescribeLaunchConfigurationsResult><ResponseMetadata><RequestId>r</RequestId>\
         </ResponseMetadata></DescribeLaunchConfigurationsResponse>"
    ))
}

#[test]
fn alternating_next_tokens_end_the_listing() {
    let server = FaultServer::start(|_, i| {
        let token = if i % 2 == 0 { "A" } else { "B" };
        Action::Reply(lc_page(&format!("lc{i}"), Some(token)))
    });
    let run = phantom(
        &[
            "--endpoint-url",
            &server.url(),
            "--dialect",
            "aws",
            "lc",
            "list",
        ],
        &[],
    );
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        error_line(&run).contains("NextToken it had given before"),
        "{run:?}"
    );
    assert_eq!(server.count("DescribeLaunchConfigurations"), 3);
}

#[test]
fn new_next_token_on_every_page_stops_at_the_page_limit() {
    let server = FaultServer::start(|_, i| {
        Action::Reply(lc_page(&format!("lc{i}"), Some(&format!("t{i}"))))
    });
    let run = phantom(
        &[
            "--endpoint-url",
            &server.url(),
            "--dialect",
            "aws",
            "--max-pages",
            "20",
            "lc",
            "list",
        ],
        &[],
    );
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        error_line(&run).contains("stopped after 20 pages"),
        "{run:?}"
    );
    assert_eq!(server.count("DescribeLaunchConfigurations"), 20);
}

#[test]
fn deadline_bounds_the_whole_listing() {
    // Slow pages, a new token on each: only the deadline over the whole command ends it.
    let server = FaultServer::start(|_, i| {
        std::thread::sleep(Duration::from_millis(100));
        Action::Reply(lc_page(&format!("lc{i}"), Some(&format!("t{i}"))))
    });
    let run = phantom(
        &[
            "--endpoint-url",
            &server.url(),
            "--dialect",
            "aws",
            "--deadline",
            "2s",
            "--output",
            "json",
            "lc",
            "list",
        ],
        &[],
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert!(error_line(&run).contains("--deadline"), "{run:?}");
    assert!(run.elapsed < Duration::from_secs(30), "{run:?}");
    assert_eq!(
        run.stdout, "",
        "nothing on stdout when a JSON command fails"
    );
}

// ---- 13: JSON output is whole or absent; JSON lines stream ----

#[test]
fn json_output_is_whole_or_absent() {
    // One page with an item and a NextToken, then a refusal.
    let server = FaultServer::start(|request, _| match request.param("NextToken") {
        None => Action::Reply(lc_page("lc0", Some("t1"))),
        Some(_) => Action::Reply(error_xml(
            400,
            "Bad Request",
            "ValidationError",
            "page 2 refused",
        )),
    });
    let run = phantom(
        &[
            "--endpoint-url",
            &server.url(),
            "--output",
            "json",
            "lc",
            "list",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "", "a failed call must leave stdout empty");
    // JSON lines: the first page's item is one complete line, then the error.
    let run = phantom(
        &[
            "--endpoint-url",
            &server.url(),
            "--output",
            "json-lines",
            "lc",
            "list",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{run:?}");
    let item: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(item["LaunchConfigurationName"], "lc0");
}

#[test]
fn json_and_json_lines_against_the_built_in_endpoint() {
    let dir = scratch_dir("json-serve");
    let server = Serve::start(&["--credentials", &keys_file(&dir), "--launch-delay", "100ms"]);
    let env = [KEYS[0], KEYS[1], ("AWS_ENDPOINT_URL", server.url.as_str())];
    for name in ["lca", "lcb", "lcc"] {
        let run = phantom(&["--dialect", "aws", "lc", "create", name, "ami-1"], &env);
        assert_eq!(run.code, 0, "{run:?}");
    }
    let run = phantom(
        &["--dialect", "aws", "--output", "json", "lc", "list"],
        &env,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(doc["LaunchConfigurations"].as_array().unwrap().len(), 3);
    let run = phantom(
        &["--dialect", "aws", "--output", "ndjson", "lc", "list"],
        &env,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let names: Vec<String> = run
        .stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON object per line");
            v["LaunchConfigurationName"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(names, ["lca", "lcb", "lcc"]);
    let run = phantom(
        &[
            "--dialect",
            "aws",
            "--output",
            "json-lines",
            "lc",
            "create",
            "lcd",
            "ami-1",
        ],
        &env,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout.lines().count(), 1, "{run:?}");
}

// ---- 14: --wait honours the timeout and ends at once on a failure ----

#[test]
fn wait_lasts_the_whole_timeout() {
    let dir = scratch_dir("wait-serve");
    let server = Serve::start(&["--credentials", &keys_file(&dir), "--launch-delay", "120s"]);
    let env = [KEYS[0], KEYS[1], ("AWS_ENDPOINT_URL", server.url.as_str())];
    let run = phantom(&["--dialect", "aws", "lc", "create", "slow", "ami-1"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    let run = phantom(
        &[
            "--dialect",
            "aws",
            "domain",
            "create",
            "slow",
            "slow",
            "1",
            "--wait",
            "--timeout",
            "3s",
        ],
        &env,
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        error_line(&run).contains("0 of 1 instances in service"),
        "{run:?}"
    );
    assert!(
        run.elapsed >= Duration::from_secs(3),
        "gave up after {:?}, before the 3 s timeout",
        run.elapsed
    );
    assert!(run.elapsed < Duration::from_secs(30), "{run:?}");
}

/// A DescribeAutoScalingGroups reply: group `web`, desired 1, with these instance members.
fn group_xml(instances: &str) -> Vec<u8> {
    ok_xml(&format!(
        "<DescribeAutoScalingGroupsResponse xmlns=\"{NS}\"><DescribeAutoScalingGroupsResult>\
         <AutoScalingGroups><member><AutoScalingGroupName>web</AutoScalingGroupName>\
         <LaunchConfigurationName>lc1</LaunchConfigurationName><MinSize>1</MinSize><MaxSize>1</MaxSize>\
         <DesiredCapacity>1</DesiredCapacity><Instances>{instances}</Instances></member>\
         </AutoScalingGroups></DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>"
    ))
}

#[test]
fn wait_ends_at_once_on_a_failed_scaling_activity() {
    let server = FaultServer::start(|request, _| match request.action().as_str() {
        // `domain create NAME LC SIZE` asks whether LC is a launch configuration first.
        "DescribeLaunchConfigurations" => Action::Reply(ok_xml(&format!(
            "<DescribeLaunchConfigurationsResponse xmlns=\"{NS}\"><DescribeLaunchConfigurationsResult>\
             <LaunchConfigurations><member><LaunchConfigurationName>lc1</LaunchConfigurationName>\
             </member></LaunchConfigurations></DescribeLaunchConfigurationsResult>\
             </DescribeLaunchConfigurationsResponse>"
        ))),
        "CreateAutoScalingGroup" => Action::Reply(empty_ok("CreateAutoScalingGroup")),
        "DescribeAutoScalingGroups" => Action::Reply(group_xml("")),
        "DescribeScalingActivities" => Action::Reply(ok_xml(&format!(
            "<DescribeScalingActivitiesResponse xmlns=\"{NS}\"><DescribeScalingActivitiesResult>\
             <Activities><member><ActivityId>act-0042</ActivityId><AutoScalingGroupName>web\
             </AutoScalingGroupName><Description>Launching a new EC2 instance.  Status Reason: \
             failed</Description><Cause>capacity</Cause><StartTime>2026-12-01T10:00:00Z</StartTime>\
             <StatusCode>Failed</StatusCode><StatusMessage>The image id 'ami-gone' does not exist.\
             Launching EC2 instance failed.</StatusMessage><Progress>100</Progress></member>\
             </Activities></DescribeScalingActivitiesResult></DescribeScalingActivitiesResponse>"
        ))),
        other => Action::Reply(error_xml(400, "Bad Request", "InvalidAction", other)),
    });
    let run = phantom(
        &[
            "--endpoint-url",
            &server.url(),
            "--dialect",
            "aws",
            "domain",
            "create",
            "web",
            "lc1",
            "1",
            "--zones",
            "us-east-1a",
            "--wait",
            "--timeout",
            "40s",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let line = error_line(&run);
    assert!(
        line.contains("act-0042") && line.contains("The image id 'ami-gone' does not exist"),
        "{line}"
    );
    assert!(run.elapsed < Duration::from_secs(30), "waited: {run:?}");
}

#[test]
fn wait_ends_at_once_on_a_failed_phantom_instance() {
    let server = FaultServer::start(|request, _| match request.action().as_str() {
        "DescribeAutoScalingGroups" => Action::Reply(group_xml(
            "<member><InstanceId>i-deadbeef</InstanceId><AvailabilityZone>hotel</AvailabilityZone>\
             <LifecycleState>900-FAILED</LifecycleState><HealthStatus>Unhealthy</HealthStatus>\
             <LaunchConfigurationName>lc1@hotel</LaunchConfigurationName></member>",
        )),
        other => Action::Reply(error_xml(400, "Bad Request", "InvalidAction", other)),
    });
    let run = phantom(
        &[
            "--endpoint-url",
            &server.url(),
            "--dialect",
            "phantom",
            "wait",
            "in-service",
            "web",
            "--timeout",
            "40s",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let line = error_line(&run);
    assert!(
        line.contains("i-deadbeef") && line.contains("900-FAILED"),
        "{line}"
    );
    assert!(run.elapsed < Duration::from_secs(30), "waited: {run:?}");
}

// ---- 15: a named thing that does not exist is exit 1, "no such ..." ----

#[test]
fn missing_names_are_exit_1() {
    let dir = scratch_dir("missing");
    let server = Serve::start(&["--credentials", &keys_file(&dir)]);
    for dialect in ["aws", "phantom"] {
        let env = [KEYS[0], KEYS[1], ("AWS_ENDPOINT_URL", server.url.as_str())];
        for (args, said) in [
            (
                vec!["domain", "list", "nosuchdomain"],
                "no such domain nosuchdomain",
            ),
            (
                vec!["lc", "list", "nosuchlc"],
                "no such launch configuration nosuchlc",
            ),
            (
                vec!["instances", "list", "i-0000dead"],
                "no such instance i-0000dead",
            ),
        ] {
            let mut all = vec!["--dialect", dialect];
            all.extend(args);
            let run = phantom(&all, &env);
            assert_eq!(run.code, 1, "{dialect} {all:?}: {run:?}");
            assert_eq!(error_line(&run), format!("phantom: error: {said}"));
        }
    }
}

// ---- 16: Phantom dialect ----

#[test]
fn phantom_site_names_must_agree() {
    let dir = scratch_dir("sites");
    let server = Serve::start(&["--credentials", &keys_file(&dir)]);
    let env = [KEYS[0], KEYS[1], ("PHANTOM_URL", server.url.as_str())];
    for args in [
        vec!["lc", "create", "lc4@sierra", "x.gz", "hotel"],
        vec!["lc", "create", "lc3@", "x.gz"],
        vec!["lc", "create", "@hotel", "x.gz"],
        vec!["lc", "create", "lc5@a@b", "x.gz"],
    ] {
        let run = phantom(&args, &env);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
    }
    let run = phantom(&["lc", "create", "lc4@sierra", "x.gz", "hotel"], &env);
    assert!(
        error_line(&run).contains("sierra") && error_line(&run).contains("hotel"),
        "{run:?}"
    );
    let run = phantom(&["lc", "list"], &env);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, ""),
        "nothing was created"
    );
    // The same site twice is one launch configuration.
    let run = phantom(&["lc", "create", "lc6@hotel", "x.gz", "hotel"], &env);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn phantom_lc_delete_by_name_does_not_list() {
    let dir = scratch_dir("lc-delete");
    let server = Serve::start(&["--credentials", &keys_file(&dir)]);
    let env = [KEYS[0], KEYS[1], ("PHANTOM_URL", server.url.as_str())];
    for site in ["hotel", "sierra"] {
        let run = phantom(&["lc", "create", "gone", "x.gz", site], &env);
        assert_eq!(run.code, 0, "{run:?}");
    }
    let run = phantom(&["lc", "create", "kept", "x.gz", "hotel"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    for args in [
        vec!["--debug", "lc", "delete", "gone@hotel"],
        vec!["--debug", "lc", "delete", "gone", "sierra"],
    ] {
        let run = phantom(&args, &env);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains("Action=DeleteLaunchConfiguration"),
            "{run:?}"
        );
        assert!(
            !run.stderr.contains("Action=DescribeLaunchConfigurations"),
            "{args:?} listed first: {}",
            run.stderr
        );
    }
    let run = phantom(&["lc", "list"], &env);
    assert_eq!(run.stdout, "kept\n", "{run:?}");
}

#[test]
fn phantom_python_exceptions_are_not_retried() {
    for name in ["47_err_setcapacity_unknown_group", "29_auth_none"] {
        let server = FaultServer::always(capture(name));
        let run = phantom(
            &[
                "--endpoint-url",
                &server.url(),
                "--dialect",
                "phantom",
                "domain",
                "alter",
                "nope",
                "1",
            ],
            &[],
        );
        assert_eq!(run.code, 5, "{name}: {run:?}");
        assert!(error_line(&run).contains("InternalFailure"), "{run:?}");
        assert_eq!(
            server.requests().len(),
            1,
            "{name}: retried a Python exception"
        );
    }
    // A plain 500 is still retried.
    let server = FaultServer::always(error_xml(
        500,
        "Internal Server Error",
        "InternalFailure",
        "x",
    ));
    let run = phantom(&["--endpoint-url", &server.url(), "domain", "list"], &[]);
    assert_eq!(run.code, 5, "{run:?}");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn phantom_server_refusing_the_aws_dialect_suggests_dialect_phantom() {
    let server = FaultServer::always(capture("42_err_lc_name_without_site"));
    let run = phantom(
        &[
            "--endpoint-url",
            &server.url(),
            "--dialect",
            "aws",
            "lc",
            "create",
            "nosite",
            "img",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        error_line(&run).contains("try --dialect phantom"),
        "{run:?}"
    );
    // Under the Phantom dialect there is no such hint.
    let run = phantom(
        &[
            "--endpoint-url",
            &server.url(),
            "--dialect",
            "phantom",
            "lc",
            "create",
            "n@hotel",
            "img",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!run.stderr.contains("--dialect phantom"), "{run:?}");
}

// ---- 17: no credentials fail locally, unless --no-sign-request ----

#[test]
fn no_credentials_fail_locally_unless_unsigned_is_asked_for() {
    let server = Serve::start(&["--no-auth"]);
    let home = scratch_dir("nocreds");
    let env = [("AWS_ENDPOINT_URL", server.url.as_str())];
    let run = phantom_bare(&["--dialect", "aws", "domain", "list"], &env, &home, None);
    assert_eq!(run.code, 2, "{run:?}");
    let line = error_line(&run);
    let credentials_file = home.join(".aws").join("credentials");
    assert!(
        line.contains("no credentials found")
            && line.contains("AWS_ACCESS_KEY_ID")
            && line.contains("EC2_ACCESS_KEY")
            && line.contains(&credentials_file.display().to_string())
            && line.contains("--no-sign-request"),
        "{line}"
    );
    let run = phantom_bare(
        &["--dialect", "aws", "--no-sign-request", "domain", "list"],
        &env,
        &home,
        None,
    );
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{run:?}");
}

// ---- 18: REST tokens per endpoint, a hint on 403, a plain failed login ----

fn users_file(dir: &Path) -> String {
    let path = dir.join("users");
    std::fs::write(&path, "alice:restaurant\n").unwrap();
    path.display().to_string()
}

fn login(url: &str, password: &str, home: &Path, token_file: &Path) -> Run {
    phantom_bare(
        &["login", "alice", "--password-stdin", "--endpoint-url", url],
        &[("PHANTOM_TOKEN_FILE", token_file.to_str().unwrap())],
        home,
        Some(password),
    )
}

#[test]
fn rest_tokens_are_kept_per_endpoint() {
    let dir = scratch_dir("rest-endpoints");
    let (keys, users) = (keys_file(&dir), users_file(&dir));
    let a = Serve::start(&["--credentials", &keys, "--users", &users]);
    let b = Serve::start(&["--credentials", &keys, "--users", &users]);
    let (url_a, url_b) = (format!("{}/api/dev", a.url), format!("{}/api/dev", b.url));
    let token_file = dir.join("token.json");
    let tf = [("PHANTOM_TOKEN_FILE", token_file.to_str().unwrap())];

    // A refused password is said plainly.
    let run = login(&url_a, "wrong", &dir, &token_file);
    assert_eq!(run.code, 1, "{run:?}");
    let line = error_line(&run);
    assert!(line.contains("user name or password was refused"), "{line}");
    assert!(
        !line.contains("HTTP 200") && !line.contains("LoginFailed"),
        "{line}"
    );

    let run = login(&url_a, "restaurant", &dir, &token_file);
    assert_eq!(run.code, 0, "{run:?}");
    let run = phantom_bare(
        &["--endpoint-url", &url_a, "domain", "list"],
        &tf,
        &dir,
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    // Server A's token is never sent to server B.
    let run = phantom_bare(
        &["--endpoint-url", &url_b, "domain", "list"],
        &tf,
        &dir,
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    let line = error_line(&run);
    assert!(
        line.contains(&format!("no REST token for {url_b}")),
        "{line}"
    );
    // Logging in to B keeps A's token.
    let run = login(&url_b, "restaurant", &dir, &token_file);
    assert_eq!(run.code, 0, "{run:?}");
    for url in [&url_a, &url_b] {
        let run = phantom_bare(&["--endpoint-url", url, "domain", "list"], &tf, &dir, None);
        assert_eq!(run.code, 0, "{url}: {run:?}");
    }
    // A missing name over REST is exit 1 too (item 15).
    let run = phantom_bare(
        &["--endpoint-url", &url_a, "domain", "list", "nosuch"],
        &tf,
        &dir,
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(error_line(&run), "phantom: error: no such domain nosuch");
}

#[test]
fn refused_rest_token_hints_at_login() {
    let dir = scratch_dir("rest-expired");
    let (keys, users) = (keys_file(&dir), users_file(&dir));
    let server = Serve::start(&[
        "--credentials",
        &keys,
        "--users",
        &users,
        "--token-lifetime",
        "1s",
    ]);
    let url = format!("{}/api/dev", server.url);
    let token_file = dir.join("token.json");
    let tf = [("PHANTOM_TOKEN_FILE", token_file.to_str().unwrap())];
    let run = login(&url, "restaurant", &dir, &token_file);
    assert_eq!(run.code, 0, "{run:?}");
    std::thread::sleep(Duration::from_millis(1500));
    let run = phantom_bare(&["--endpoint-url", &url, "lc", "list"], &tf, &dir, None);
    assert_eq!(run.code, 1, "{run:?}");
    let line = error_line(&run);
    assert!(
        line.contains("HTTP 403") && line.contains("phantom login"),
        "{line}"
    );
}

#[test]
fn rest_wait_ends_at_once_on_a_failed_instance() {
    // The genuine server's stand-ins never fail a VM, nor does `phantom serve`: canned replies.
    let server = FaultServer::start(|request, _| {
        let line = request.head.lines().next().unwrap_or_default().to_string();
        let json = |status: u16, body: &str| {
            http(
                status,
                "OK",
                &[("Content-Type", "application/javascript")],
                body,
            )
        };
        if line.starts_with("POST /api/dev/domains ") {
            Action::Reply(json(
                201,
                r#"{"id": "d-1", "name": "web", "de_name": "multicloud", "lc_name": "lc1", "vm_count": 1}"#,
            ))
        } else if line.starts_with("GET /api/dev/domains/d-1/instances ") {
            Action::Reply(json(
                200,
                r#"[{"id": "vm-7", "lifecycle_state": "900-FAILED", "cloud": "/api/dev/sites/hotel"}]"#,
            ))
        } else {
            Action::Reply(http(404, "NOT FOUND", &[], "no such path"))
        }
    });
    let home = scratch_dir("rest-wait");
    let url = format!("{}/api/dev", server.url());
    let run = phantom_bare(
        &[
            "--endpoint-url",
            &url,
            "domain",
            "create",
            "web",
            "lc1",
            "1",
            "--wait",
            "--timeout",
            "40s",
        ],
        &[("USER_ID", "1"), ("TOKEN", "some-rest-token")],
        &home,
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    let line = error_line(&run);
    assert!(
        line.contains("vm-7") && line.contains("900-FAILED") && line.contains("hotel"),
        "{line}"
    );
    assert!(run.elapsed < Duration::from_secs(30), "waited: {run:?}");
}

#[test]
fn site_secret_key_echoed_by_a_server_is_scrubbed() {
    const SITE_SECRET: &str = "CANARY-site/secret+key";
    let echo = FaultServer::start(|request, _| {
        Action::Reply(http(
            400,
            "BAD REQUEST",
            &[],
            &format!("cannot store {}", request.body),
        ))
    });
    let home = scratch_dir("site-secret");
    let url = format!("{}/api/dev", echo.url());
    let run = phantom_bare(
        &[
            "--endpoint-url",
            &url,
            "credentials",
            "add",
            "sierra",
            "--access-key",
            "AK",
            "--key-name",
            "k",
        ],
        &[
            ("USER_ID", "1"),
            ("TOKEN", "some-rest-token"),
            ("PHANTOM_SITE_SECRET_KEY", SITE_SECRET),
        ],
        &home,
        None,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(error_line(&run).contains("cannot store"), "{run:?}");
    assert!(!run.stderr.contains("CANARY"), "{run:?}");
}

#[test]
fn a_server_message_is_shown_on_one_line_without_escape_sequences() {
    let server = FaultServer::always(error_xml(
        400,
        "Bad Request",
        "ValidationError",
        "first line\nsecond line\r\n\u{1b}[2Jcleared",
    ));
    let run = phantom(
        &[
            "--endpoint-url",
            &server.url(),
            "--dialect",
            "aws",
            "lc",
            "list",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(errors.len(), 1, "{run:?}");
    assert!(errors[0].contains("first line second line"), "{run:?}");
    assert!(!run.stderr.contains('\u{1b}'), "{run:?}");
}
