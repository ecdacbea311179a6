//! Every operation of the model called through the library (the generated registry's
//! `call_json`, which goes through the generated request type and `Client::send`) against a
//! moto of this test's own. The input is the model's example where there is one (moto is given
//! the example's group and launch configuration first), else the required members filled in
//! from the model. Each call must end in a reply we read or in a well-formed service error
//! (moto refuses what it does not implement): never a transport or parse error. The read-only
//! Describe calls moto serves must succeed.

use std::collections::BTreeMap;
use std::path::Path;

use phantom_autoscale::Credentials;
use phantom_autoscale::Error;
use phantom_autoscale::autoscaling::Client;
use phantom_autoscale::autoscaling::registry::OPERATIONS;
use phantom_autoscale::autoscaling::types::*;
use phantom_autoscale::query::endpoint::Endpoint;
use phantom_autoscale::query::transport::TransportConfig;
use serde_json::{Map, Value, json};

use crate::util::peers::Moto;

/// The read-only operations moto 5.2.5 serves; each must succeed. (The other Describe calls are
/// answered `500 InternalServerError` by moto, which does not implement them.)
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

pub(crate) fn model(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tools/model")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A value for a required member of shape `name`: the examples' names where they fit.
pub(crate) fn filler(shapes: &Value, name: &str, member: &str) -> Value {
    let shape = &shapes[name];
    match shape["type"].as_str().unwrap() {
        "string" => match member {
            "AutoScalingGroupName" => json!("my-auto-scaling-group"),
            "LaunchConfigurationName" => json!("my-launch-config"),
            _ => match shape["enum"].get(0) {
                Some(first) => first.clone(),
                None => json!("phantom-test"),
            },
        },
        "integer" | "long" => json!(shape["min"].as_i64().unwrap_or(1).max(1)),
        "double" => json!(1.0),
        "boolean" => json!(false),
        "timestamp" => json!("2030-01-01T00:00:00Z"),
        "list" => {
            let item = shape["member"]["shape"].as_str().unwrap();
            json!([filler(shapes, item, member)])
        }
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

fn client_for(url: &str) -> Client {
    let mut config = TransportConfig::new(Endpoint::parse(url).unwrap(), "us-east-1");
    config.credentials = Some(Credentials::new("testing", "testing"));
    // moto answers what it does not implement with a 500: retry those quickly.
    config.retry.base_delay = std::time::Duration::from_millis(10);
    Client::new(config).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_is_answered_by_moto() {
    let service = model("service-2.json");
    let examples = model("examples-1.json");
    let shapes = &service["shapes"];
    let moto = Moto::start(&[]);
    let client = client_for(&moto.url);
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
            auto_scaling_group_name: "my-auto-scaling-group".into(),
            launch_configuration_name: Some("my-launch-config".into()),
            min_size: 0,
            max_size: 2,
            desired_capacity: Some(1),
            availability_zones: Some(vec!["us-east-1a".into()]),
            ..Default::default()
        })
        .await
        .unwrap();

    // Deletes of the group and its launch configuration last, so the rest has them.
    let mut order: Vec<&str> = OPERATIONS.iter().map(|e| e.name).collect();
    order.sort_by_key(|op| matches!(*op, "DeleteAutoScalingGroup" | "DeleteLaunchConfiguration"));
    let mut answered = BTreeMap::new();
    let mut failures = Vec::new();
    for op in order {
        let entry = OPERATIONS.iter().find(|e| e.name == op).unwrap();
        let input = match examples["examples"][op][0].get("input") {
            Some(input) => input.clone(),
            None => match service["operations"][op]["input"]["shape"].as_str() {
                Some(shape) => filler(shapes, shape, ""),
                None => json!({}),
            },
        };
        match (entry.call_json)(&client, input).await {
            Ok(reply) => {
                assert!(reply.is_object(), "{op}: {reply}");
                if op == "DescribeAutoScalingGroups" {
                    let groups = reply["AutoScalingGroups"].as_array().unwrap();
                    assert_eq!(groups.len(), 1, "{reply}");
                    assert_eq!(groups[0]["AutoScalingGroupName"], "my-auto-scaling-group");
                }
                answered.insert(op, "ok".to_string());
            }
            Err(Error::Service(e)) => {
                if e.code.is_empty() || e.operation != op || !(400..600).contains(&e.status) {
                    failures.push(format!("{op}: malformed service error {e:?}"));
                }
                answered.insert(op, format!("{} {}", e.status, e.code));
            }
            Err(other) => failures.push(format!("{op}: {other}")),
        }
    }
    eprintln!("{answered:#?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(answered.len(), OPERATIONS.len());
    for op in MOTO_SERVES {
        assert_eq!(answered[op], "ok", "{op}");
    }
}
