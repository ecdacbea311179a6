//! `phantom policy put|list|delete|execute` end to end against a moto of the test's own: what
//! moto then describes, what phantom printed (text and JSON), and the argument errors.

use crate::tasks_support::{Fixture, refused};
use crate::util::fault_server::{self, FaultServer};

#[test]
fn simple_step_and_target_tracking_policies_are_put_listed_executed_and_deleted() {
    let f = Fixture::new(2);
    let g = f.group.as_str();

    assert_eq!(
        f.ok(&[
            "policy",
            "put",
            g,
            "out",
            "--simple",
            "+2",
            "--cooldown",
            "60"
        ]),
        format!("policy out of {g} (SimpleScaling)\n")
    );
    // moto's PutScalingPolicy reply is empty: the JSON is the reply as it came.
    assert_eq!(
        f.json(&[
            "policy",
            "put",
            g,
            "steps",
            "--step",
            "10:=+3",
            "--step",
            "0:10=+1",
            "--adjustment-type",
            "PercentChangeInCapacity",
            "--min-adjustment-magnitude",
            "2",
            "--metric-aggregation-type",
            "Maximum",
        ]),
        serde_json::json!({})
    );
    f.ok(&[
        "policy",
        "put",
        g,
        "cpu",
        "--predefined-metric",
        "ASGAverageCPUUtilization",
        "--target",
        "50",
        "--disable-scale-in",
    ]);
    f.ok(&[
        "policy", "put", g, "queue", "--metric-json",
        r#"{"MetricName":"Backlog","Namespace":"App","Statistic":"Average","Dimensions":[{"Name":"Queue","Value":"jobs"}]}"#,
        "--target", "100",
    ]);

    // What moto describes, in the API's names.
    let listed = f.json(&["policy", "list", g]);
    let policies = listed["ScalingPolicies"].as_array().unwrap();
    assert_eq!(policies.len(), 4, "{listed}");
    let find = |name: &str| {
        policies
            .iter()
            .find(|p| p["PolicyName"] == name)
            .unwrap_or_else(|| panic!("{name} in {listed}"))
    };
    let out = find("out");
    assert_eq!(out["PolicyType"], "SimpleScaling");
    assert_eq!(out["AdjustmentType"], "ChangeInCapacity");
    assert_eq!(out["ScalingAdjustment"], 2);
    assert_eq!(out["Cooldown"], 60);
    let steps = find("steps");
    assert_eq!(steps["PolicyType"], "StepScaling");
    assert_eq!(steps["AdjustmentType"], "PercentChangeInCapacity");
    assert_eq!(steps["MinAdjustmentMagnitude"], 2);
    assert_eq!(steps["MetricAggregationType"], "Maximum");
    assert_eq!(
        steps["StepAdjustments"],
        serde_json::json!([
            {"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 10.0, "ScalingAdjustment": 1},
            {"MetricIntervalLowerBound": 10.0, "ScalingAdjustment": 3}
        ])
    );
    let cpu = &find("cpu")["TargetTrackingConfiguration"];
    assert_eq!(
        cpu["PredefinedMetricSpecification"]["PredefinedMetricType"],
        "ASGAverageCPUUtilization"
    );
    assert_eq!(cpu["TargetValue"], 50.0);
    assert_eq!(cpu["DisableScaleIn"], true);
    let queue = &find("queue")["TargetTrackingConfiguration"]["CustomizedMetricSpecification"];
    assert_eq!(queue["MetricName"], "Backlog");
    assert_eq!(queue["Dimensions"][0]["Value"], "jobs");
    assert!(
        out["PolicyARN"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:autoscaling:")
    );

    // The text listing: one line each, steps in the syntax they were given in.
    let text = f.ok(&["policy", "list", g, "--types", "StepScaling,SimpleScaling"]);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            format!("{g}\tout\tSimpleScaling\tChangeInCapacity +2 cooldown 60s"),
            format!("{g}\tsteps\tStepScaling\tPercentChangeInCapacity 0:10=+1 10:=+3"),
        ]
    );
    assert_eq!(
        f.ok(&["policy", "list", g, "--names", "cpu"]),
        format!(
            "{g}\tcpu\tTargetTrackingScaling\tASGAverageCPUUtilization target 50 scale-in disabled\n"
        )
    );
    // Every group's policies without GROUP.
    let all = f.json(&["policy", "list"]);
    assert_eq!(all["ScalingPolicies"].as_array().unwrap().len(), 4);

    // Executing the simple policy adds two instances.
    assert_eq!(f.described()["DesiredCapacity"], 2);
    assert_eq!(
        f.ok(&["policy", "execute", g, "out", "--no-honor-cooldown"]),
        format!("executed policy out of {g}\n")
    );
    assert_eq!(f.described()["DesiredCapacity"], 4);

    // Delete: text, then JSON (the input sent, in the API's names).
    assert_eq!(
        f.ok(&["policy", "delete", g, "out"]),
        format!("deleted policy out of {g}\n")
    );
    assert_eq!(
        f.json(&["policy", "delete", g, "steps"]),
        serde_json::json!({"AutoScalingGroupName": g, "PolicyName": "steps"})
    );
    let left = f.json(&["policy", "list", g]);
    let mut names: Vec<&str> = left["ScalingPolicies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PolicyName"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["cpu", "queue"]);
}

#[test]
fn policy_arguments_are_checked_before_any_call() {
    let put = |rest: &[&str]| {
        let mut args = vec!["policy", "put", "web", "p"];
        args.extend_from_slice(rest);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let cases: &[(&[&str], &str)] = &[
        (&[], "required arguments were not provided"),
        (&["--simple", "1", "--step", "0:=+1"], "cannot be used with"),
        (&["--simple", "x"], "not a whole number"),
        (
            &["--simple", "1", "--target", "5"],
            "--target does not apply to a simple",
        ),
        (
            &["--step", "0:10=+1", "--cooldown", "5"],
            "--cooldown does not apply to a step",
        ),
        (
            &["--step", "0:10=+1", "--step", "5:=+2"],
            "steps 0:10=+1 and 5:=+2 overlap",
        ),
        (
            &["--step", "0:10=+1", "--step", "20:=+2"],
            "leave a gap from 10 to 20",
        ),
        (&["--step", "0:10"], "is not LOWER:UPPER=ADJ"),
        (
            &["--step=-10:0=-1"],
            "the lowest step must then have no lower bound",
        ),
        (
            &["--step", "0:10=+1"],
            "the highest step must then have no upper bound",
        ),
        (
            &["--simple", "1", "--min-adjustment-magnitude", "2"],
            "needs --adjustment-type PercentChangeInCapacity",
        ),
        (
            &["--simple", "-1", "--adjustment-type", "ExactCapacity"],
            "cannot be negative",
        ),
        (
            &["--predefined-metric", "ASGAverageCPUUtilization"],
            "needs --target VALUE",
        ),
        (
            &["--predefined-metric", "CPU", "--target", "5"],
            "invalid value 'CPU'",
        ),
        (
            &[
                "--predefined-metric",
                "ALBRequestCountPerTarget",
                "--target",
                "5",
            ],
            "needs --resource-label",
        ),
        (
            &[
                "--predefined-metric",
                "ASGAverageNetworkIn",
                "--target",
                "5",
                "--adjustment-type",
                "ExactCapacity",
            ],
            "--adjustment-type does not apply to a target tracking",
        ),
        (
            &["--metric-json", "{", "--target", "5"],
            "--metric-json is not JSON",
        ),
        (
            &[
                "--metric-json",
                r#"{"MetricName":"m","Namespace":"n","Statistic":"Average","Unti":"Count"}"#,
                "--target",
                "5",
            ],
            "`Unti` is not a member",
        ),
        (
            &[
                "--metric-json",
                r#"{"MetricName":"m","Namespace":"n"}"#,
                "--target",
                "5",
            ],
            "needs a Statistic",
        ),
        (
            &[
                "--metric-json",
                "file:///nonexistent/metric.json",
                "--target",
                "5",
            ],
            "reading --metric-json /nonexistent/metric.json",
        ),
    ];
    for (rest, says) in cases {
        let args = put(rest);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&args, says);
    }
    refused(
        &["policy", "execute", "web", "p", "--metric-value", "5"],
        "--breach-threshold",
    );
    refused(
        &["policy", "list", "--types", "Simple"],
        "invalid value 'Simple'",
    );
    refused(&["policy", "delete", "web", ""], "the policy name is empty");
    // Phantom has no scaling policies; its REST API neither.
    refused(
        &["--dialect", "phantom", "policy", "list"],
        "`phantom policy list` needs DescribePolicies, which Nimbus Phantom does not have",
    );
    refused(
        &["--api", "rest", "policy", "delete", "web", "p"],
        "Phantom's REST API has no such call",
    );
}

/// moto's PutScalingPolicy reply carries neither the policy's ARN nor the alarms target tracking
/// makes (AWS's does): a canned reply shows what phantom prints of them, and the form it sent.
#[test]
fn put_prints_the_arn_and_alarms_the_reply_gives() {
    let arn = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1a2b:autoScalingGroupName/web:policyName/cpu";
    let alarm = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:TargetTracking-web-AlarmHigh-1a2b";
    let body = format!(
        "<PutScalingPolicyResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">\
         <PutScalingPolicyResult><PolicyARN>{arn}</PolicyARN><Alarms><member>\
         <AlarmName>TargetTracking-web-AlarmHigh-1a2b</AlarmName><AlarmARN>{alarm}</AlarmARN>\
         </member></Alarms></PutScalingPolicyResult><ResponseMetadata><RequestId>r-1</RequestId>\
         </ResponseMetadata></PutScalingPolicyResponse>"
    );
    let server = FaultServer::always(fault_server::ok_xml(&body));
    let url = server.url();
    let env = [("AWS_ENDPOINT_URL", url.as_str())];
    let args = [
        "policy",
        "put",
        "web",
        "cpu",
        "--predefined-metric",
        "ASGAverageCPUUtilization",
        "--target",
        "50",
        "--estimated-instance-warmup",
        "90",
    ];
    let r = fault_server::phantom(&args, &env);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        format!(
            "policy cpu of web (TargetTrackingScaling)\nPolicyARN: {arn}\n\
             alarm: TargetTracking-web-AlarmHigh-1a2b\t{alarm}\n"
        )
    );
    let mut json_args = vec!["--output", "json"];
    json_args.extend_from_slice(&args);
    let r = fault_server::phantom(&json_args, &env);
    assert_eq!(r.code, 0, "{r:?}");
    let shown: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        shown,
        serde_json::json!({
            "PolicyARN": arn,
            "Alarms": [{"AlarmName": "TargetTracking-web-AlarmHigh-1a2b", "AlarmARN": alarm}]
        })
    );
    let sent = &server.requests()[0];
    for (name, value) in [
        ("PolicyType", "TargetTrackingScaling"),
        ("EstimatedInstanceWarmup", "90"),
        (
            "TargetTrackingConfiguration.PredefinedMetricSpecification.PredefinedMetricType",
            "ASGAverageCPUUtilization",
        ),
        ("TargetTrackingConfiguration.TargetValue", "50.0"),
    ] {
        assert_eq!(
            sent.param(name).as_deref(),
            Some(value),
            "{name} in {}",
            sent.body
        );
    }
    assert_eq!(sent.param("AdjustmentType"), None);
}
