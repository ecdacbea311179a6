//! Scaling policies on the built-in endpoint, scripted with boto3 over real HTTP with SigV4 and real
//! keys: simple scaling honouring its cooldown (and skipping it with `HonorCooldown=False`), step
//! scaling choosing its step from `MetricValue - BreachThreshold`, `PercentChangeInCapacity` with
//! `MinAdjustmentMagnitude`, `ExactCapacity`, capacity held within [MinSize, MaxSize], target
//! tracking and predictive policies stored and refused by ExecutePolicy, AWS's error codes on
//! misuse, `DescribePolicies` in pages, the activities the executions record, and the policies
//! kept per key and across a restart with a state file.

use std::time::Duration;

use crate::util::peers::boto3_script;
use crate::util::run::scratch_dir;
use phantom_autoscale::Credentials;
use phantom_autoscale::server::RunningServer;

fn key() -> Credentials {
    Credentials::new("AKIDPOLICIES00000001", "policies/secret+key=")
}

fn other_key() -> Credentials {
    Credentials::new("AKIDPOLICIES00000002", "other/secret+key=")
}

async fn server(state: &std::path::Path) -> RunningServer {
    crate::util::server::start_keyed(vec![key(), other_key()], state, Duration::from_millis(100))
        .await
}

/// `desired()` (after `boto3_script`'s client `c` and `expect_error`).
const PRELUDE: &str = r#"
def desired():
    g = c.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    return g["DesiredCapacity"]
"#;

/// Creates the group and its policies, executes them, and checks the misuse errors.
const SCENARIO: &str = r#"
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12345678",
                              InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=8, DesiredCapacity=0)
print("adjustment types", [t["AdjustmentType"] for t in c.describe_adjustment_types()["AdjustmentTypes"]])

up = c.put_scaling_policy(AutoScalingGroupName="web", PolicyName="simple-up",
                          AdjustmentType="ChangeInCapacity", ScalingAdjustment=1, Cooldown=300)
print("simple-up arn", up["PolicyARN"].split(":scalingPolicy:")[1].split(":", 1)[1], up["Alarms"])
c.execute_policy(AutoScalingGroupName="web", PolicyName="simple-up")
print("after simple-up", desired())
# The launch it caused is the group's last scaling activity: the cooldown (300 s) runs from its
# end, so a second execution is refused unless it asks to skip the cooldown.
expect_error("ScalingActivityInProgress", c.execute_policy, AutoScalingGroupName="web",
             PolicyName="simple-up", HonorCooldown=True)
expect_error("ScalingActivityInProgress", c.execute_policy, AutoScalingGroupName="web",
             PolicyName="simple-up")
c.execute_policy(AutoScalingGroupName="web", PolicyName=up["PolicyARN"], HonorCooldown=False)
print("after simple-up by ARN without cooldown", desired())

c.put_scaling_policy(AutoScalingGroupName="web", PolicyName="step", PolicyType="StepScaling",
                     AdjustmentType="ChangeInCapacity", MetricAggregationType="Maximum",
                     StepAdjustments=[
                         {"MetricIntervalUpperBound": 0.0, "ScalingAdjustment": -1},
                         {"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 10.0,
                          "ScalingAdjustment": 1},
                         {"MetricIntervalLowerBound": 10.0, "ScalingAdjustment": 3},
                     ])
c.execute_policy(AutoScalingGroupName="web", PolicyName="step", MetricValue=75.0, BreachThreshold=50.0)
print("after step +25", desired())
c.execute_policy(AutoScalingGroupName="web", PolicyName="step", MetricValue=40.0, BreachThreshold=50.0)
print("after step -10", desired())
c.execute_policy(AutoScalingGroupName="web", PolicyName="step", MetricValue=90.0, BreachThreshold=50.0)
print("after step +40", desired())
c.execute_policy(AutoScalingGroupName="web", PolicyName="step", MetricValue=90.0, BreachThreshold=50.0)
print("after step +40 (held at MaxSize)", desired())
expect_error("ValidationError", c.execute_policy, AutoScalingGroupName="web", PolicyName="step")

c.put_scaling_policy(AutoScalingGroupName="web", PolicyName="exact", AdjustmentType="ExactCapacity",
                     ScalingAdjustment=2)
c.execute_policy(AutoScalingGroupName="web", PolicyName="exact", HonorCooldown=False)
print("after exact", desired())
c.put_scaling_policy(AutoScalingGroupName="web", PolicyName="percent",
                     AdjustmentType="PercentChangeInCapacity", ScalingAdjustment=10,
                     MinAdjustmentMagnitude=2)
c.execute_policy(AutoScalingGroupName="web", PolicyName="percent", HonorCooldown=False)
print("after percent", desired())

tt = c.put_scaling_policy(AutoScalingGroupName="web", PolicyName="cpu50",
                          PolicyType="TargetTrackingScaling",
                          TargetTrackingConfiguration={
                              "PredefinedMetricSpecification": {
                                  "PredefinedMetricType": "ASGAverageCPUUtilization"},
                              "TargetValue": 50.0})
print("target tracking alarms", sorted(a["AlarmName"].split("-")[2] for a in tt["Alarms"]))
expect_error("ValidationError", c.execute_policy, AutoScalingGroupName="web", PolicyName="cpu50")
c.put_scaling_policy(AutoScalingGroupName="web", PolicyName="forecast", PolicyType="PredictiveScaling",
                     PredictiveScalingConfiguration={"MetricSpecifications": [{
                         "TargetValue": 40.0,
                         "PredefinedMetricPairSpecification": {"PredefinedMetricType": "ASGCPUUtilization"}}]})

# Misuse, with AWS's codes.
expect_error("ValidationError", c.put_scaling_policy, AutoScalingGroupName="web", PolicyName="bad",
             AdjustmentType="ChangeInCapacity")
expect_error("ValidationError", c.put_scaling_policy, AutoScalingGroupName="web", PolicyName="bad",
             AdjustmentType="ExactCapacity", ScalingAdjustment=-1)
expect_error("ValidationError", c.put_scaling_policy, AutoScalingGroupName="web", PolicyName="bad",
             PolicyType="StepScaling", AdjustmentType="ChangeInCapacity",
             StepAdjustments=[{"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 10.0,
                               "ScalingAdjustment": 1}])
expect_error("ValidationError", c.put_scaling_policy, AutoScalingGroupName="nowhere",
             PolicyName="bad", AdjustmentType="ChangeInCapacity", ScalingAdjustment=1)
expect_error("ValidationError", c.put_scaling_policy, AutoScalingGroupName="web", PolicyName="bad",
             AdjustmentType="SomeCapacity", ScalingAdjustment=1)
expect_error("ValidationError", c.put_scaling_policy, AutoScalingGroupName="web", PolicyName="x" * 256,
             AdjustmentType="ChangeInCapacity", ScalingAdjustment=1)
expect_error("ValidationError", c.execute_policy, AutoScalingGroupName="web", PolicyName="missing")

pages = c.get_paginator("describe_policies").paginate(AutoScalingGroupName="web",
                                                      PaginationConfig={"PageSize": 2})
names = []
count = 0
for page in pages:
    count += 1
    names += [p["PolicyName"] for p in page["ScalingPolicies"]]
print("policies in", count, "pages:", names)
step = c.describe_policies(PolicyTypes=["StepScaling"])["ScalingPolicies"][0]
print("step", step["PolicyType"], step["MetricAggregationType"], len(step["StepAdjustments"]))
acts = c.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
print("executed by simple-up:", sum("executed policy simple-up changing the desired capacity from 0 to 1" in a["Cause"] for a in acts))
c.delete_policy(PolicyName=up["PolicyARN"])
c.delete_policy(AutoScalingGroupName="web", PolicyName="exact")
expect_error("ValidationError", c.delete_policy, AutoScalingGroupName="web", PolicyName="exact")
print("left", sorted(p["PolicyName"] for p in c.describe_policies()["ScalingPolicies"]))
"#;

/// After a restart: the policies are still there and still act; another key sees none of them.
const AFTER_RESTART: &str = r#"
print("left", sorted(p["PolicyName"] for p in c.describe_policies()["ScalingPolicies"]))
c.execute_policy(AutoScalingGroupName="web", PolicyName="step", MetricValue=45.0, BreachThreshold=50.0)
print("after step -5", desired())
"#;

const OTHER_KEY: &str = r#"
print("other key sees", c.describe_policies()["ScalingPolicies"])
expect_error("ValidationError", c.execute_policy, AutoScalingGroupName="web", PolicyName="step",
             MetricValue=45.0, BreachThreshold=50.0)
"#;

async fn boto3(server: &RunningServer, creds: &Credentials, script: &str) -> Vec<String> {
    boto3_script(&server.url(), creds, PRELUDE, script, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_scales_with_policies_and_they_survive_a_restart() {
    let dir = scratch_dir("policies");
    let state = dir.join("state.db");
    let s = server(&state).await;
    let lines = boto3(&s, &key(), SCENARIO).await;
    let want = [
        "adjustment types ['ChangeInCapacity', 'ExactCapacity', 'PercentChangeInCapacity']",
        "simple-up arn autoScalingGroupName/web:policyName/simple-up []",
        "after simple-up 1",
        "ScalingActivityInProgress: The operation can't be performed because there are scaling \
         activities in progress.",
        "ScalingActivityInProgress: The operation can't be performed because there are scaling \
         activities in progress.",
        "after simple-up by ARN without cooldown 2",
        "after step +25 5",
        "after step -10 4",
        "after step +40 7",
        "after step +40 (held at MaxSize) 8",
        "ValidationError: MetricValue and BreachThreshold are required for a StepScaling policy.",
        "after exact 2",
        "after percent 4",
        "target tracking alarms ['AlarmHigh', 'AlarmLow']",
        "ValidationError: ExecutePolicy is not supported for a policy of type \
         TargetTrackingScaling.",
        "ValidationError: Scaling increment must be specified for a SimpleScaling policy",
        "ValidationError: The lower range for adjustment is 0 with the specified adjustment type.",
        "ValidationError: There must be a StepAdjustment with an unspecified upper bound (i.e., \
         upper bound is null) when one StepAdjustment has a positive upper bound",
        "ValidationError: AutoScalingGroup name not found - AutoScalingGroup nowhere not found",
        "ValidationError: Adjustment type SomeCapacity is not valid; valid types are \
         ChangeInCapacity, ExactCapacity, PercentChangeInCapacity.",
        &format!(
            "ValidationError: 1 validation error detected: Value '{}' at 'policyName' failed to \
             satisfy constraint: Member must have length less than or equal to 255",
            "x".repeat(256)
        ),
        "ValidationError: No scaling policy found for missing",
        "policies in 3 pages: ['cpu50', 'exact', 'forecast', 'percent', 'simple-up', 'step']",
        "step StepScaling Maximum 3",
        "executed by simple-up: 1",
        "ValidationError: No scaling policy found for exact",
        "left ['cpu50', 'forecast', 'percent', 'step']",
    ];
    assert_eq!(lines, want);
    s.shutdown().await;

    let s = server(&state).await;
    let lines = boto3(&s, &key(), AFTER_RESTART).await;
    assert_eq!(
        lines,
        [
            "left ['cpu50', 'forecast', 'percent', 'step']",
            "after step -5 3",
        ]
    );
    let lines = boto3(&s, &other_key(), OTHER_KEY).await;
    assert_eq!(
        lines,
        [
            "other key sees []",
            "ValidationError: AutoScalingGroup name not found - AutoScalingGroup web not found",
        ]
    );
    s.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The message of a refused call, after checking its status and code.
fn refused(a: &crate::util::server::Answer, code: &str) -> String {
    a.fails(400, code);
    a.error.as_ref().unwrap().1.clone()
}

served!(policy_rules_in_aws_words, |server, c| {
    use crate::util::server::{create_group, create_lc};
    use phantom_autoscale::autoscaling::types::DescribePoliciesOutput;
    create_lc(&c, "lc").await.done();
    create_group(&c, "g", "lc", 0, 4, 0).await.done();
    let put = |extra: &'static [(&'static str, &'static str)]| {
        let c = &c;
        async move {
            let mut params = vec![("AutoScalingGroupName", "g"), ("PolicyName", "p")];
            params.extend_from_slice(extra);
            c.call("PutScalingPolicy", &params).await
        }
    };
    let steps = [
        ("StepAdjustments.member.1.MetricIntervalLowerBound", "0"),
        ("StepAdjustments.member.1.ScalingAdjustment", "1"),
    ];
    let cases: [(&[(&str, &str)], &str); 9] = [
        (
            &[
                ("PolicyType", "Sideways"),
                ("AdjustmentType", "ChangeInCapacity"),
            ],
            "Policy type Sideways is not valid; valid types are SimpleScaling, StepScaling, \
             TargetTrackingScaling, PredictiveScaling.",
        ),
        (
            &[("ScalingAdjustment", "1")],
            "AdjustmentType is required for policy type SimpleScaling.",
        ),
        (
            &[
                ("AdjustmentType", "ChangeInCapacity"),
                ("ScalingAdjustment", "1"),
                ("MinAdjustmentMagnitude", "2"),
            ],
            "MinAdjustmentMagnitude is supported only with the adjustment type \
             PercentChangeInCapacity.",
        ),
        (
            &[
                ("AdjustmentType", "ChangeInCapacity"),
                ("ScalingAdjustment", "1"),
                ("EstimatedInstanceWarmup", "60"),
            ],
            "EstimatedInstanceWarmup is not supported for policy type SimpleScaling.",
        ),
        (
            &[
                ("PolicyType", "StepScaling"),
                ("AdjustmentType", "ChangeInCapacity"),
            ],
            "StepAdjustments is required for policy type StepScaling.",
        ),
        (
            &[
                ("PolicyType", "StepScaling"),
                ("AdjustmentType", "ChangeInCapacity"),
                ("Cooldown", "60"),
                steps[0],
                steps[1],
            ],
            "Cooldown is not supported for policy type StepScaling.",
        ),
        (
            &[("PolicyType", "TargetTrackingScaling")],
            "TargetTrackingConfiguration is required for policy type TargetTrackingScaling.",
        ),
        (
            &[
                ("PolicyType", "TargetTrackingScaling"),
                ("TargetTrackingConfiguration.TargetValue", "50"),
            ],
            "A target tracking configuration needs exactly one of \
             PredefinedMetricSpecification and CustomizedMetricSpecification.",
        ),
        (
            &[("PolicyType", "PredictiveScaling")],
            "PredictiveScalingConfiguration is required for policy type PredictiveScaling.",
        ),
    ];
    for (extra, message) in cases {
        let mut params = vec![("AutoScalingGroupName", "g"), ("PolicyName", "p")];
        params.extend_from_slice(extra);
        let a = c.call("PutScalingPolicy", &params).await;
        assert_eq!(refused(&a, "ValidationError"), message, "{extra:?}");
    }
    // The model's own checks come first: an enum of the model, in AWS's format.
    let a = put(&[
        ("PolicyType", "TargetTrackingScaling"),
        ("TargetTrackingConfiguration.TargetValue", "50"),
        (
            "TargetTrackingConfiguration.PredefinedMetricSpecification.PredefinedMetricType",
            "Loudness",
        ),
    ])
    .await;
    assert!(
        refused(&a, "ValidationError").starts_with(
            "1 validation error detected: Value 'Loudness' at \
             'targetTrackingConfiguration.predefinedMetricSpecification.predefinedMetricType' \
             failed to satisfy constraint: Member must satisfy enum value set: ["
        ),
        "{}",
        a.body
    );
    // Nothing refused was stored.
    let none: DescribePoliciesOutput = c.call("DescribePolicies", &[]).await.ok();
    assert_eq!(none.scaling_policies, Some(vec![]));

    // Without a Cooldown of its own, a simple policy waits for the group's DefaultCooldown, here
    // 0: only for the launch in progress (300 ms), not for the 300 s a policy Cooldown would.
    c.call(
        "UpdateAutoScalingGroup",
        &[("AutoScalingGroupName", "g"), ("DefaultCooldown", "0")],
    )
    .await
    .done();
    put(&[
        ("AdjustmentType", "ChangeInCapacity"),
        ("ScalingAdjustment", "1"),
    ])
    .await
    .done();
    let go = [("AutoScalingGroupName", "g"), ("PolicyName", "p")];
    c.call("ExecutePolicy", &go).await.done();
    let mut refusals = 0;
    loop {
        let a = c.call("ExecutePolicy", &go).await;
        if a.error.is_none() {
            break;
        }
        assert_eq!(a.code(), "ScalingActivityInProgress", "{}", a.body);
        refusals += 1;
        // A bound on the wait, far above the launch delay, not a measurement.
        assert!(refusals < 300, "the cooldown never ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let execute = |args: &'static [(&'static str, &'static str)]| {
        let c = &c;
        async move { c.call("ExecutePolicy", args).await }
    };
    assert_eq!(
        refused(&execute(&[("PolicyName", "p")]).await, "ValidationError"),
        "AutoScalingGroupName is required when PolicyName is not an ARN."
    );
    assert_eq!(
        refused(
            &execute(&[
                ("AutoScalingGroupName", "g"),
                ("PolicyName", "p"),
                ("MetricValue", "1"),
                ("BreachThreshold", "0"),
            ])
            .await,
            "ValidationError"
        ),
        "MetricValue and BreachThreshold are supported only for a StepScaling policy."
    );
    let groups: phantom_autoscale::autoscaling::types::DescribeAutoScalingGroupsOutput =
        c.call("DescribeAutoScalingGroups", &[]).await.ok();
    assert_eq!(
        groups.auto_scaling_groups.unwrap()[0].desired_capacity,
        Some(2)
    );

    // Pages and their tokens, as the other Describes.
    let a = c
        .call("DescribePolicies", &[("NextToken", "bm90LWEtdG9rZW4")])
        .await;
    a.fails(400, "InvalidNextToken");
    c.call("DescribePolicies", &[("MaxRecords", "101")])
        .await
        .fails(400, "ValidationError");
    // Deleting the group deletes its policies.
    c.call(
        "DeleteAutoScalingGroup",
        &[("AutoScalingGroupName", "g"), ("ForceDelete", "true")],
    )
    .await
    .done();
    let none: DescribePoliciesOutput = c.call("DescribePolicies", &[]).await.ok();
    assert_eq!(none.scaling_policies, Some(vec![]));
    server.shutdown().await;
});
