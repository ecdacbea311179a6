//! Every one of the model's operations called through the library (the generated registry's
//! `call_json`) against `phantom serve` over real HTTP: none may be answered `InvalidAction`
//! (the endpoint serves the whole API), each must end in a reply the library reads or in a
//! well-formed service error with AWS's status range, and the ones whose example input fits the
//! endpoint's state must succeed.
//!
//! Inputs are the model's examples (else the required members filled in from the model, as in
//! `moto_all`), with the examples' made-up instance ids replaced by the group's real ones and
//! their group names by the one group this test makes, so that most calls act on something real
//! instead of being refused for naming nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use phantom_autoscale::Credentials;
use phantom_autoscale::Error;
use phantom_autoscale::autoscaling::Client;
use phantom_autoscale::autoscaling::registry::OPERATIONS;
use phantom_autoscale::autoscaling::types::*;
use phantom_autoscale::ec2;
use phantom_autoscale::ec2::types::{CreateLaunchTemplateInput, RequestLaunchTemplateData};
use phantom_autoscale::query::endpoint::Endpoint;
use phantom_autoscale::query::transport::TransportConfig;
use phantom_autoscale::server::{ServeOptions, start};
use serde_json::{Value, json};

use crate::moto_all::{filler, model};

const GROUP: &str = "my-auto-scaling-group";

/// The operations whose (localized) example succeeds against this test's state. The others are
/// refused with AWS's errors for what their example names (a policy, hook or target group this
/// state does not have, a start time in the past, an instance another call already detached).
const SUCCEED: &[&str] = &[
    "AttachLoadBalancers",
    "BatchDeleteScheduledAction",
    "BatchPutScheduledUpdateGroupAction",
    "CancelInstanceRefresh",
    "CreateOrUpdateTags",
    "DeleteNotificationConfiguration",
    "DeleteTags",
    "DescribeAccountLimits",
    "DescribeAccountSettings",
    "DescribeAdjustmentTypes",
    "DescribeAutoScalingGroups",
    "DescribeAutoScalingInstances",
    "DescribeAutoScalingNotificationTypes",
    "DescribeInstanceRefreshes",
    "DescribeLaunchConfigurations",
    "DescribeLifecycleHookTypes",
    "DescribeLifecycleHooks",
    "DescribeLoadBalancerTargetGroups",
    "DescribeLoadBalancers",
    "DescribeMetricCollectionTypes",
    "DescribeNotificationConfigurations",
    "DescribePolicies",
    "DescribeScalingActivities",
    "DescribeScalingProcessTypes",
    "DescribeScheduledActions",
    "DescribeTags",
    "DescribeTerminationPolicyTypes",
    "DescribeTrafficSources",
    "DescribeWarmPool",
    "DetachLoadBalancers",
    "DisableMetricsCollection",
    "EnableMetricsCollection",
    "EnterStandby",
    "ExitStandby",
    "LaunchInstances",
    "PutLifecycleHook",
    "PutNotificationConfiguration",
    "PutScalingPolicy",
    "PutWarmPool",
    "ResumeProcesses",
    "SetDesiredCapacity",
    "SetInstanceHealth",
    "StartInstanceRefresh",
    "SuspendProcesses",
];

/// Replaces the examples' instance ids by the group's real `ids` (the same made-up id always by
/// the same real one, so EnterStandby and ExitStandby name one instance) and their other group
/// name by [`GROUP`].
fn localize(value: &mut Value, ids: &[String], seen: &mut Vec<String>) {
    match value {
        Value::String(s) if s.starts_with("i-") && !ids.is_empty() => {
            let n = match seen.iter().position(|x| x == s) {
                Some(n) => n,
                None => {
                    seen.push(s.clone());
                    seen.len() - 1
                }
            };
            *s = ids[n % ids.len()].clone();
        }
        Value::String(s) if s == "my-asg" => *s = GROUP.into(),
        Value::Array(items) => items.iter_mut().for_each(|v| localize(v, ids, seen)),
        Value::Object(members) => members.values_mut().for_each(|v| localize(v, ids, seen)),
        _ => {}
    }
}

/// Where an operation goes in the run: what makes things first, what removes them last.
fn rank(op: &str) -> u8 {
    if op.starts_with("Delete")
        || op.starts_with("Detach")
        || op.starts_with("Terminate")
        || op.starts_with("Cancel")
        || op.starts_with("Rollback")
    {
        2
    } else if op.starts_with("Describe") || op.starts_with("Get") {
        1
    } else {
        0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_is_served_by_phantom_serve() {
    let service = model("service-2.json");
    let examples = model("examples-1.json");
    let shapes = &service["shapes"];
    let server = start(ServeOptions {
        no_auth: true,
        launch_delay: Duration::from_millis(50),
        terminate_delay: Duration::from_millis(50),
        ..ServeOptions::default()
    })
    .await
    .unwrap();
    let mut config = TransportConfig::new(Endpoint::parse(&server.url()).unwrap(), "us-east-1");
    config.credentials = Some(Credentials::new("testing", "testing"));
    let client = Client::new(config).unwrap();
    let mut ec2_config =
        ec2::client::transport_config(Endpoint::parse(&server.url()).unwrap(), "us-east-1");
    ec2_config.credentials = Some(Credentials::new("testing", "testing"));
    ec2::Client::new(ec2_config)
        .unwrap()
        .send(&CreateLaunchTemplateInput {
            launch_template_name: "my-template-for-auto-scaling".into(),
            launch_template_data: RequestLaunchTemplateData {
                image_id: Some("ami-12345678".into()),
                instance_type: Some("t2.micro".into()),
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .unwrap();
    client
        .create_launch_configuration(&CreateLaunchConfigurationInput {
            launch_configuration_name: "my-launch-config".into(),
            image_id: Some("ami-12345678".into()),
            instance_type: Some("t2.micro".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    client
        .create_auto_scaling_group(&CreateAutoScalingGroupInput {
            auto_scaling_group_name: GROUP.into(),
            launch_configuration_name: Some("my-launch-config".into()),
            min_size: 0,
            max_size: 6,
            desired_capacity: Some(3),
            availability_zones: Some(vec!["us-east-1a".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    // The classic load balancer the examples attach (what a group attaches must exist).
    let made = reqwest::Client::new()
        .post(server.url())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(
            "Action=CreateLoadBalancer&Version=2012-06-01&LoadBalancerName=my-load-balancer\
             &Listeners.member.1.Protocol=HTTP&Listeners.member.1.LoadBalancerPort=80\
             &Listeners.member.1.InstancePort=80&AvailabilityZones.member.1=us-east-1a",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 200, "{}", made.text().await.unwrap());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let described = client
        .describe_auto_scaling_instances(&DescribeAutoScalingInstancesInput::default())
        .await
        .unwrap();
    let ids: Vec<String> = described
        .auto_scaling_instances
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| i.instance_id)
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");

    let mut order: Vec<&str> = OPERATIONS.iter().map(|e| e.name).collect();
    order.sort_by_key(|op| {
        (
            rank(op),
            matches!(*op, "DeleteAutoScalingGroup" | "DeleteLaunchConfiguration"),
        )
    });
    let mut answered = BTreeMap::new();
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for op in order {
        let entry = OPERATIONS.iter().find(|e| e.name == op).unwrap();
        let mut input = match examples["examples"][op][0].get("input") {
            Some(input) => input.clone(),
            None => match service["operations"][op]["input"]["shape"].as_str() {
                Some(shape) => filler(shapes, shape, ""),
                None => json!({}),
            },
        };
        localize(&mut input, &ids, &mut seen);
        match (entry.call_json)(&client, input).await {
            Ok(reply) => {
                if !reply.is_object() {
                    failures.push(format!("{op}: reply is not an object: {reply}"));
                }
                answered.insert(op, "ok".to_string());
            }
            Err(Error::Service(e)) => {
                if e.code == "InvalidAction" {
                    failures.push(format!("{op}: not served: {}", e.message));
                }
                if e.code.is_empty() || e.operation != op || !(400..500).contains(&e.status) {
                    failures.push(format!("{op}: malformed service error {e:?}"));
                }
                answered.insert(op, format!("{} {}: {}", e.status, e.code, e.message));
            }
            Err(other) => failures.push(format!("{op}: {other}")),
        }
    }
    eprintln!("{answered:#?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(answered.len(), OPERATIONS.len());
    assert_eq!(OPERATIONS.len(), 68);
    for op in SUCCEED {
        assert_eq!(answered[op], "ok", "{op}");
    }
    server.shutdown().await;
}
