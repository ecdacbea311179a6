//! `phantom hook put|list|delete|complete|heartbeat`: put, list and delete end to end against a
//! moto of the test's own. moto 5.2.5 answers CompleteLifecycleAction and
//! RecordLifecycleActionHeartbeat with an HTML 500 (it does not implement them), so their success
//! is shown against a canned-reply server that records the form sent, and against moto only that
//! its failure is reported as the server's.

use crate::tasks_support::{Fixture, refused};
use crate::util::fault_server::{self, Action, FaultServer};

#[test]
fn hooks_are_put_listed_and_deleted() {
    let f = Fixture::new(1);
    let g = f.group.as_str();
    assert_eq!(
        f.ok(&[
            "hook",
            "put",
            g,
            "drain",
            "--transition",
            "terminating",
            "--heartbeat-timeout",
            "600",
            "--default-result",
            "CONTINUE",
            "--metadata",
            "drain me",
        ]),
        format!("lifecycle hook drain of {g} (autoscaling:EC2_INSTANCE_TERMINATING)\n")
    );
    // The full transition name is accepted too; JSON is the input sent.
    assert_eq!(
        f.json(&[
            "hook",
            "put",
            g,
            "warm/up",
            "--transition",
            "autoscaling:EC2_INSTANCE_LAUNCHING",
            "--notification-target-arn",
            "arn:aws:sns:us-east-1:123456789012:hooks",
            "--role-arn",
            "arn:aws:iam::123456789012:role/hooks",
        ]),
        serde_json::json!({
            "LifecycleHookName": "warm/up",
            "AutoScalingGroupName": g,
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING",
            "RoleARN": "arn:aws:iam::123456789012:role/hooks",
            "NotificationTargetARN": "arn:aws:sns:us-east-1:123456789012:hooks"
        })
    );

    let listed = f.json(&["hook", "list", g]);
    let hooks = listed["LifecycleHooks"].as_array().unwrap();
    assert_eq!(hooks.len(), 2, "{listed}");
    let drain = hooks
        .iter()
        .find(|h| h["LifecycleHookName"] == "drain")
        .unwrap();
    assert_eq!(
        drain["LifecycleTransition"],
        "autoscaling:EC2_INSTANCE_TERMINATING"
    );
    assert_eq!(drain["HeartbeatTimeout"], 600);
    assert_eq!(drain["DefaultResult"], "CONTINUE");
    // moto keeps the hook but shows a notification target and role of its own invention,
    // whatever was sent (what was sent is the JSON printed above).
    let warm = hooks
        .iter()
        .find(|h| h["LifecycleHookName"] == "warm/up")
        .unwrap();
    assert_eq!(
        warm["LifecycleTransition"],
        "autoscaling:EC2_INSTANCE_LAUNCHING"
    );

    assert_eq!(
        f.ok(&["hook", "list", g, "drain"]),
        format!(
            "{g}\tdrain\tautoscaling:EC2_INSTANCE_TERMINATING\theartbeat 600s\tdefault CONTINUE\n"
        )
    );

    assert_eq!(
        f.ok(&["hook", "delete", g, "drain"]),
        format!("deleted lifecycle hook drain of {g}\n")
    );
    let left = f.json(&["hook", "list", g]);
    assert_eq!(
        left["LifecycleHooks"].as_array().unwrap().len(),
        1,
        "{left}"
    );
    assert_eq!(left["LifecycleHooks"][0]["LifecycleHookName"], "warm/up");

    // moto lacks CompleteLifecycleAction: its 500 is reported as the server's failure.
    let id = f.instance_ids().remove(0);
    let r = f.run(&[
        "hook",
        "complete",
        g,
        "warm/up",
        "--instance",
        &id,
        "--result",
        "CONTINUE",
    ]);
    assert_eq!(r.code, 5, "{r:?}");
    assert!(
        r.stderr.contains("CompleteLifecycleAction failed"),
        "{}",
        r.stderr
    );
}

#[test]
fn complete_and_heartbeat_send_the_action_and_never_print_the_token() {
    let server = FaultServer::start(|req, _| Action::Reply(fault_server::empty_ok(&req.action())));
    let url = server.url();
    let token = "bcd2f1b8-9a78-44d3-8a7a-4dd07d7cf635";
    let run = |args: &[&str]| fault_server::phantom(args, &[("AWS_ENDPOINT_URL", url.as_str())]);

    let r = run(&[
        "hook",
        "complete",
        "web",
        "drain",
        "--instance",
        "i-0123456789abcdef0",
        "--result",
        "ABANDON",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "ABANDON instance i-0123456789abcdef0 in hook drain of web\n"
    );
    let r = run(&[
        "--output", "json", "hook", "complete", "web", "drain", "--token", token, "--result",
        "CONTINUE",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let shown: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        shown,
        serde_json::json!({
            "AutoScalingGroupName": "web",
            "LifecycleHookName": "drain",
            "LifecycleActionToken": "**redacted**",
            "LifecycleActionResult": "CONTINUE"
        })
    );
    let r = run(&["hook", "heartbeat", "web", "drain", "--token", token]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "heartbeat for the lifecycle action of the token given in hook drain of web\n"
    );
    assert!(!r.stdout.contains(token) && !r.stderr.contains(token));

    let sent = server.requests();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(sent[0].action(), "CompleteLifecycleAction");
    assert_eq!(
        sent[0].param("InstanceId").as_deref(),
        Some("i-0123456789abcdef0")
    );
    assert_eq!(
        sent[0].param("LifecycleActionResult").as_deref(),
        Some("ABANDON")
    );
    assert_eq!(sent[0].param("LifecycleActionToken"), None);
    assert_eq!(
        sent[1].param("LifecycleActionToken").as_deref(),
        Some(token)
    );
    assert_eq!(sent[1].param("InstanceId"), None);
    assert_eq!(sent[2].action(), "RecordLifecycleActionHeartbeat");
    assert_eq!(sent[2].param("LifecycleHookName").as_deref(), Some("drain"));
    assert_eq!(
        sent[2].param("AutoScalingGroupName").as_deref(),
        Some("web")
    );
}

#[test]
fn hook_arguments_are_checked_before_any_call() {
    let cases: &[(&[&str], &str)] = &[
        (&["hook", "put", "web", "h"], "--transition"),
        (
            &["hook", "put", "web", "h", "--transition", "starting"],
            "invalid value 'starting'",
        ),
        (
            &["hook", "put", "web", "h h", "--transition", "launching"],
            "hook name `h h` contains ` `",
        ),
        (
            &[
                "hook",
                "put",
                "web",
                "h",
                "--transition",
                "launching",
                "--heartbeat-timeout",
                "10",
            ],
            "invalid value '10'",
        ),
        (
            &[
                "hook",
                "put",
                "web",
                "h",
                "--transition",
                "launching",
                "--default-result",
                "STOP",
            ],
            "invalid value 'STOP'",
        ),
        (
            &[
                "hook",
                "put",
                "web",
                "h",
                "--transition",
                "launching",
                "--role-arn",
                "arn:aws:iam::1:role/r",
            ],
            "--notification-target-arn",
        ),
        (
            &[
                "hook",
                "put",
                "web",
                "h",
                "--transition",
                "launching",
                "--role-arn",
                "role",
                "--notification-target-arn",
                "arn:aws:sns:x",
            ],
            "--role-arn `role` is not an ARN",
        ),
        (
            &[
                "hook",
                "put",
                "web",
                "h",
                "--transition",
                "launching",
                "--metadata",
                "caf\u{e9}",
            ],
            "only printable ASCII",
        ),
        (
            &["hook", "complete", "web", "h", "--result", "CONTINUE"],
            "required arguments were not provided",
        ),
        (
            &[
                "hook",
                "complete",
                "web",
                "h",
                "--instance",
                "i-1",
                "--token",
                "bcd2f1b8-9a78-44d3-8a7a-4dd07d7cf635",
                "--result",
                "CONTINUE",
            ],
            "cannot be used with",
        ),
        (
            &["hook", "complete", "web", "h", "--instance", "i-1"],
            "--result",
        ),
        (
            &[
                "hook", "complete", "web", "h", "--token", "short", "--result", "CONTINUE",
            ],
            "is not a lifecycle action token",
        ),
        (
            &[
                "hook",
                "heartbeat",
                "web",
                "h",
                "--instance",
                "i-012345678901234567890",
            ],
            "is not an instance id",
        ),
    ];
    for (args, says) in cases {
        refused(args, says);
    }
    refused(
        &["--dialect", "phantom", "hook", "list", "web"],
        "needs DescribeLifecycleHooks, which Nimbus Phantom does not have",
    );
    refused(
        &["--api", "rest", "hook", "list", "web"],
        "Phantom's REST API has no such call",
    );
}
