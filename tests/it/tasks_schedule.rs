//! `phantom schedule put|list|delete` end to end against a moto of the test's own, and the
//! argument errors (times, cron, sizes).

use crate::tasks_support::{Fixture, refused};

#[test]
fn one_off_and_recurring_actions_are_put_listed_and_deleted() {
    let f = Fixture::new(1);
    let g = f.group.as_str();
    assert_eq!(
        f.ok(&[
            "schedule",
            "put",
            g,
            "nightly",
            "--recurrence",
            "0 22 * * 1-5",
            "--time-zone",
            "Europe/Paris",
            "--start",
            "2030-01-01T00:00:00Z",
            "--desired",
            "1",
        ]),
        format!("scheduled nightly for {g} on `0 22 * * 1-5`\n")
    );
    // A one-off action, its time given with an offset: sent (and printed) in UTC.
    assert_eq!(
        f.json(&[
            "schedule",
            "put",
            g,
            "launch",
            "--at",
            "2030-06-01T10:30:00+02:00",
            "--min",
            "2",
            "--max",
            "6",
        ]),
        serde_json::json!({
            "AutoScalingGroupName": g,
            "ScheduledActionName": "launch",
            "StartTime": "2030-06-01T08:30:00Z",
            "MinSize": 2,
            "MaxSize": 6
        })
    );

    let listed = f.json(&["schedule", "list", g]);
    let actions = listed["ScheduledUpdateGroupActions"].as_array().unwrap();
    assert_eq!(actions.len(), 2, "{listed}");
    let nightly = actions
        .iter()
        .find(|a| a["ScheduledActionName"] == "nightly")
        .unwrap();
    assert_eq!(nightly["Recurrence"], "0 22 * * 1-5");
    assert_eq!(nightly["TimeZone"], "Europe/Paris");
    assert_eq!(nightly["DesiredCapacity"], 1);
    let launch = actions
        .iter()
        .find(|a| a["ScheduledActionName"] == "launch")
        .unwrap();
    assert_eq!(launch["StartTime"], "2030-06-01T08:30:00Z");
    assert_eq!(
        (launch["MinSize"].as_i64(), launch["MaxSize"].as_i64()),
        (Some(2), Some(6))
    );

    let text = f.ok(&["schedule", "list", g]);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            format!("{g}\tlaunch\tat 2030-06-01T08:30:00Z\tmin 2 max 6"),
            format!(
                "{g}\tnightly\t`0 22 * * 1-5` Europe/Paris from 2030-01-01T00:00:00Z\tdesired 1"
            ),
        ]
    );
    // Every group's without GROUP; one by name.
    assert_eq!(
        f.json(&["schedule", "list"])["ScheduledUpdateGroupActions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        f.ok(&["schedule", "list", g, "--names", "launch"])
            .lines()
            .count(),
        1
    );

    assert_eq!(
        f.ok(&["schedule", "delete", g, "nightly"]),
        format!("deleted scheduled action nightly of {g}\n")
    );
    let left = f.json(&["schedule", "list", g]);
    let names: Vec<&str> = left["ScheduledUpdateGroupActions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["ScheduledActionName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["launch"]);
    // A name that does not exist is moto's error, reported as such.
    let r = f.run(&["schedule", "delete", g, "nightly"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("ValidationError"), "{}", r.stderr);
}

#[test]
fn schedule_arguments_are_checked_before_any_call() {
    let cases: &[(&[&str], &str)] = &[
        (&["--min", "1"], "required arguments were not provided"),
        (
            &["--at", "2030-01-01T00:00:00Z"],
            "required arguments were not provided",
        ),
        (
            &["--at", "2030-01-01T00:00:00", "--min", "1"],
            "not an ISO 8601 time with a zone",
        ),
        (
            &["--at", "next monday", "--min", "1"],
            "not an ISO 8601 time with a zone",
        ),
        (
            &[
                "--at",
                "2030-01-01T00:00:00Z",
                "--recurrence",
                "0 9 * * *",
                "--min",
                "1",
            ],
            "cannot be used with",
        ),
        (
            &[
                "--at",
                "2030-01-01T00:00:00Z",
                "--time-zone",
                "UTC",
                "--min",
                "1",
            ],
            "--time-zone applies to a recurring action",
        ),
        (
            &[
                "--at",
                "2030-01-01T00:00:00Z",
                "--end",
                "2030-02-01T00:00:00Z",
                "--min",
                "1",
            ],
            "--end applies to a recurring action",
        ),
        (&["--recurrence", "0 9 * *", "--min", "1"], "has 4 fields"),
        (
            &["--recurrence", "0 9 * * ;", "--min", "1"],
            "day of week field `;`",
        ),
        (
            &[
                "--recurrence",
                "0 9 * * *",
                "--time-zone",
                "Paris time",
                "--min",
                "1",
            ],
            "not an IANA time zone name",
        ),
        (
            &[
                "--recurrence",
                "0 9 * * *",
                "--start",
                "2030-02-01T00:00:00Z",
                "--end",
                "2030-01-01T00:00:00Z",
                "--min",
                "1",
            ],
            "is not after --start",
        ),
        (
            &["--recurrence", "0 9 * * *", "--min", "3", "--max", "2"],
            "--min 3 is more than --max 2",
        ),
        (
            &[
                "--recurrence",
                "0 9 * * *",
                "--min",
                "1",
                "--max",
                "2",
                "--desired",
                "5",
            ],
            "--desired 5 must lie between",
        ),
        (
            &["--recurrence", "0 9 * * *", "--min=-1"],
            "invalid value '-1'",
        ),
    ];
    for (rest, says) in cases {
        let mut args = vec!["schedule", "put", "web", "a"];
        args.extend_from_slice(rest);
        refused(&args, says);
    }
    refused(
        &["--dialect", "phantom", "schedule", "delete", "web", "a"],
        "needs DeleteScheduledAction, which Nimbus Phantom does not have",
    );
    refused(
        &["--api", "rest", "schedule", "list"],
        "Phantom's REST API has no such call",
    );
}
