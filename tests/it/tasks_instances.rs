//! `phantom standby enter|exit` and `phantom instances health|protect|attach|detach` end to end
//! against a moto of the test's own: the activities printed, and the instances as moto then
//! describes them.

use crate::tasks_support::{Fixture, refused};

#[test]
fn standby_enter_and_exit_move_instances_and_print_the_activities() {
    let f = Fixture::new(2);
    let g = f.group.as_str();
    let ids = f.instance_ids();

    // The default keeps the desired capacity: moto launches a replacement.
    let out = f.ok(&["standby", "enter", g, &ids[0]]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains(&format!("Moving EC2 instance to StandBy: {}", ids[0])),
        "{out}"
    );
    assert_eq!(f.instance(&ids[0])["LifecycleState"], "Standby");
    assert_eq!(f.described()["DesiredCapacity"], 2);
    assert_eq!(f.instance_ids().len(), 3);

    // --decrement lowers it instead; JSON is the reply, in the API's names.
    let reply = f.json(&["standby", "enter", g, &ids[1], "--decrement"]);
    let activities = reply["Activities"].as_array().unwrap();
    assert_eq!(activities.len(), 1, "{reply}");
    assert_eq!(activities[0]["AutoScalingGroupName"], g);
    assert!(activities[0]["ActivityId"].is_string());
    assert_eq!(f.instance(&ids[1])["LifecycleState"], "Standby");
    assert_eq!(f.described()["DesiredCapacity"], 1);

    let out = f.ok(&["standby", "exit", g, &ids[0], &ids[1]]);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.contains("Moving EC2 instance out of StandBy"), "{out}");
    for id in &ids[..2] {
        assert_ne!(f.instance(id)["LifecycleState"], "Standby");
    }
}

#[test]
fn health_protection_detach_and_attach() {
    let f = Fixture::new(2);
    let g = f.group.as_str();
    let ids = f.instance_ids();

    assert_eq!(
        f.ok(&["instances", "health", &ids[0], "Unhealthy"]),
        format!("{} is now Unhealthy\n", ids[0])
    );
    assert_eq!(f.instance(&ids[0])["HealthStatus"], "Unhealthy");
    assert_eq!(
        f.json(&[
            "instances",
            "health",
            &ids[0],
            "Healthy",
            "--respect-grace-period"
        ]),
        serde_json::json!({"InstanceId": ids[0], "HealthStatus": "Healthy", "ShouldRespectGracePeriod": true})
    );
    assert_eq!(f.instance(&ids[0])["HealthStatus"], "Healthy");

    assert_eq!(
        f.ok(&["instances", "protect", g, &ids[0], &ids[1]]),
        format!("protected from scale-in in {g}: {} {}\n", ids[0], ids[1])
    );
    assert_eq!(f.instance(&ids[0])["ProtectedFromScaleIn"], true);
    assert_eq!(f.instance(&ids[1])["ProtectedFromScaleIn"], true);
    assert_eq!(
        f.ok(&["instances", "protect", g, &ids[1], "--off"]),
        format!("no longer protected from scale-in in {g}: {}\n", ids[1])
    );
    assert_eq!(f.instance(&ids[1])["ProtectedFromScaleIn"], false);

    // Detach with --decrement: the group shrinks and the instance leaves it.
    let out = f.ok(&["instances", "detach", g, &ids[1], "--decrement"]);
    assert!(
        out.contains(&format!("Detaching EC2 instance: {}", ids[1])),
        "{out}"
    );
    let group = f.described();
    assert_eq!(group["DesiredCapacity"], 1);
    assert_eq!(f.instance_ids(), [ids[0].clone()]);

    // Attach it back: the group grows by one.
    assert_eq!(
        f.ok(&["instances", "attach", g, &ids[1]]),
        format!("attached to {g}: {}\n", ids[1])
    );
    assert_eq!(f.described()["DesiredCapacity"], 2);
    let mut now = f.instance_ids();
    now.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(now, want);

    // Detach without --decrement: moto launches a replacement.
    let reply = f.json(&["instances", "detach", g, &ids[0]]);
    assert_eq!(reply["Activities"].as_array().unwrap().len(), 1, "{reply}");
    assert_eq!(f.described()["DesiredCapacity"], 2);
    assert!(!f.instance_ids().contains(&ids[0]));
}

#[test]
fn instance_arguments_are_checked_before_any_call() {
    let many: Vec<String> = (0..21).map(|i| format!("i-{i:017}")).collect();
    let mut too_many = vec!["standby", "enter", "web"];
    too_many.extend(many.iter().map(String::as_str));
    refused(&too_many, "at most 20 instance ids in one call (21 given)");
    let cases: &[(&[&str], &str)] = &[
        (
            &["standby", "enter", "web"],
            "required arguments were not provided",
        ),
        (
            &[
                "standby",
                "enter",
                "web",
                "i-1",
                "--keep-desired",
                "--decrement",
            ],
            "cannot be used with",
        ),
        (
            &["standby", "exit", "web", "i-1", "i-1"],
            "instance id `i-1` is given twice",
        ),
        (
            &["instances", "health", "i-1", "Sick"],
            "invalid value 'Sick'",
        ),
        (
            &["instances", "health", "i-01234567890123456789", "Healthy"],
            "is not an instance id",
        ),
        (
            &["instances", "protect", "web"],
            "required arguments were not provided",
        ),
        (
            &["instances", "attach", "", "i-1"],
            "the group name is empty",
        ),
        (
            &["instances", "detach", "web", "i 1"],
            "is not an instance id",
        ),
    ];
    for (args, says) in cases {
        refused(args, says);
    }
    refused(
        &["--dialect", "phantom", "standby", "exit", "web", "i-1"],
        "needs ExitStandby, which Nimbus Phantom does not have",
    );
    refused(
        &[
            "--dialect",
            "phantom",
            "instances",
            "health",
            "i-1",
            "Healthy",
        ],
        "needs SetInstanceHealth, which Nimbus Phantom does not have",
    );
    refused(
        &["--api", "rest", "standby", "exit", "web", "i-1"],
        "Phantom's REST API has no such call",
    );
    refused(
        &["--api", "rest", "instances", "attach", "web", "i-1"],
        "Phantom's REST API has no such call",
    );
}
