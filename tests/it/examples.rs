//! The model's examples (`tools/model/examples-1.json`) through the generated shapes, checked
//! against botocore itself (the test venv's, PHANTOM_TEST_PYTHON):
//! - every example input, read from its JSON into the operation's generated request type and
//!   encoded by `query::form::to_params`, gives exactly the form parameters botocore's Query
//!   serializer writes for it, in the same order. botocore writes a structure's members in the
//!   order of the caller's dict, so the example is first put in model member order (recursively)
//!   on the Python side; our serializer always writes model order.
//! - every example output, read from its JSON into the reply type and written back as JSON, is
//!   the example again, except for timestamps, which both sides compare as instants.
//!
//! The operations are looked up by name in the generated registry, so a new operation in the
//! model is covered without a line here.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use phantom_autoscale::autoscaling::registry;
use phantom_autoscale::query::timestamp::Timestamp;
use serde_json::Value;

use crate::util::peers::python;

/// For every example with an input: (operation, example index, botocore's form pairs without
/// `Action` and `Version`), from one Python process.
const BOTOCORE_FORMS: &str = r#"
import json, sys
import botocore.session
from botocore.serialize import create_serializer

examples = json.load(open(sys.argv[1]))["examples"]
client = botocore.session.get_session().create_client(
    "autoscaling", region_name="us-east-1",
    aws_access_key_id="testing", aws_secret_access_key="testing")
model = client.meta.service_model
serializer = create_serializer("query", include_validation=True)

def model_order(value, shape):
    if shape.type_name == "structure":
        return {k: model_order(value[k], m) for k, m in shape.members.items() if k in value}
    if shape.type_name == "list":
        return [model_order(v, shape.member) for v in value]
    return value

out = []
for op, cases in examples.items():
    op_model = model.operation_model(op)
    for i, case in enumerate(cases):
        if "input" not in case:
            continue
        params = case["input"]
        if op_model.input_shape is not None:
            params = model_order(params, op_model.input_shape)
        body = serializer.serialize_to_request(params, op_model)["body"]
        pairs = [[k, v if isinstance(v, str) else str(v)] for k, v in body.items()
                 if k not in ("Action", "Version")]
        out.append({"op": op, "index": i, "pairs": pairs})
json.dump(out, sys.stdout)
"#;

fn examples_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/model/examples-1.json")
}

fn examples() -> BTreeMap<String, Vec<Value>> {
    let text = std::fs::read_to_string(examples_path()).expect("read examples-1.json");
    let json: Value = serde_json::from_str(&text).expect("examples-1.json is JSON");
    serde_json::from_value(json["examples"].clone()).expect("examples by operation")
}

fn botocore(script: &str) -> Value {
    botocore_on(script, &examples_path())
}

/// Runs `script` with botocore on a file laid out as examples-1.json.
fn botocore_on(script: &str, file: &Path) -> Value {
    let child = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the test venv's python");
    let out = child.wait_with_output().expect("python output");
    assert!(
        out.status.success(),
        "botocore script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("botocore's JSON")
}

#[test]
fn every_example_input_encodes_as_botocore_does() {
    let examples = examples();
    let expected = botocore(BOTOCORE_FORMS);
    let expected = expected.as_array().expect("a list");
    let with_input: usize = examples
        .values()
        .map(|cases| cases.iter().filter(|c| c.get("input").is_some()).count())
        .sum();
    assert_eq!(expected.len(), with_input, "botocore skipped an example");
    let mut failures = Vec::new();
    for case in expected {
        let op = case["op"].as_str().unwrap();
        let index = case["index"].as_u64().unwrap() as usize;
        let entry = registry::find(op).unwrap_or_else(|| panic!("{op} is not in the registry"));
        let input = examples[op][index]["input"].clone();
        let ours = match (entry.form_from_json)(input) {
            Ok(pairs) => pairs,
            Err(e) => {
                failures.push(format!("{op}#{index}: {e}"));
                continue;
            }
        };
        let theirs: Vec<(String, String)> = serde_json::from_value(case["pairs"].clone()).unwrap();
        if ours != theirs {
            failures.push(format!(
                "{op}#{index}:\n  ours:     {ours:?}\n  botocore: {theirs:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples differ from botocore:\n{}",
        failures.len(),
        expected.len(),
        failures.join("\n")
    );
    // botocore 1.44.8's model has 64 examples for 59 operations, 57 of them with an input.
    assert!(expected.len() >= 57, "only {} examples", expected.len());
}

/// Inputs the examples lack, encoded by both sides the same way: nested lists of structures,
/// an empty list, SuspendProcesses and
/// ResumeProcesses (one model shape, two request types), an operation without input members,
/// doubles, booleans and a timestamp.
#[test]
fn chosen_inputs_encode_as_botocore_does() {
    let cases = serde_json::json!({"examples": {
        "CreateAutoScalingGroup": [{"input": {
            "AutoScalingGroupName": "g", "MinSize": 0, "MaxSize": 2,
            "MixedInstancesPolicy": {"LaunchTemplate": {
                "LaunchTemplateSpecification": {"LaunchTemplateName": "tpl"},
                "Overrides": [{"InstanceType": "c6i.large"}, {"InstanceType": "m6i.large"}]
            }},
            "CapacityRebalance": false,
            "Tags": []
        }}],
        "SuspendProcesses": [{"input": {"AutoScalingGroupName": "g", "ScalingProcesses": ["Launch", "Terminate"]}}],
        "ResumeProcesses": [{"input": {"AutoScalingGroupName": "g"}}],
        "DescribeAccountLimits": [{"input": {}}],
        "PutScalingPolicy": [{"input": {
            "AutoScalingGroupName": "g", "PolicyName": "p", "PolicyType": "TargetTrackingScaling",
            "TargetTrackingConfiguration": {
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                "TargetValue": 42.5, "DisableScaleIn": true
            }
        }}],
        "PutScheduledUpdateGroupAction": [{"input": {
            "AutoScalingGroupName": "g", "ScheduledActionName": "s",
            "StartTime": "2030-01-02T03:04:05Z", "DesiredCapacity": 3
        }}]
    }});
    let file = std::env::temp_dir().join(format!("phantom-chosen-{}.json", std::process::id()));
    std::fs::write(&file, cases.to_string()).unwrap();
    let expected = botocore_on(BOTOCORE_FORMS, &file);
    let _ = std::fs::remove_file(&file);
    let expected = expected.as_array().expect("a list");
    assert_eq!(expected.len(), 6);
    for case in expected {
        let op = case["op"].as_str().unwrap();
        let entry = registry::find(op).unwrap();
        let input = cases["examples"][op][0]["input"].clone();
        let ours = (entry.form_from_json)(input).unwrap_or_else(|e| panic!("{op}: {e}"));
        let theirs: Vec<(String, String)> = serde_json::from_value(case["pairs"].clone()).unwrap();
        assert_eq!(ours, theirs, "{op}");
    }
}

/// `ours` equals the example `theirs` up to how a timestamp is written (both read as instants
/// by `Timestamp::parse`) and how a number is written (`50` and `50.0` are one double): the
/// path of the first difference, else `None`.
fn json_difference(path: &str, ours: &Value, theirs: &Value) -> Option<String> {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys()) {
                let (x, y) = (a.get(key), b.get(key));
                let sub = format!("{path}.{key}");
                let diff = match (x, y) {
                    (Some(x), Some(y)) => json_difference(&sub, x, y),
                    _ => Some(format!("{sub}: ours {x:?}, example {y:?}")),
                };
                if diff.is_some() {
                    return diff;
                }
            }
            None
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| json_difference(&format!("{path}[{i}]"), x, y)),
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => None,
        (Value::String(a), Value::String(b)) if a == b => None,
        (Value::String(a), Value::String(b)) => match (Timestamp::parse(a), Timestamp::parse(b)) {
            (Some(x), Some(y)) if x == y => None,
            _ => Some(format!("{path}: ours {a:?}, example {b:?}")),
        },
        (a, b) if a == b => None,
        (a, b) => Some(format!("{path}: ours {a}, example {b}")),
    }
}

#[test]
fn every_example_output_reads_back_as_the_same_json() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (op, cases) in examples() {
        let entry = registry::find(&op).unwrap_or_else(|| panic!("{op} is not in the registry"));
        for (index, case) in cases.iter().enumerate() {
            let Some(output) = case.get("output") else {
                continue;
            };
            checked += 1;
            match (entry.reply_json)(output.clone()) {
                Ok(ours) => {
                    if let Some(diff) = json_difference("", &ours, output) {
                        failures.push(format!("{op}#{index}: {diff}"));
                    }
                }
                Err(e) => failures.push(format!("{op}#{index}: {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} example outputs differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // botocore 1.44.8's model has 28 examples with an output.
    assert!(checked >= 28, "only {checked} example outputs");
}

/// The comparison itself: a member the reply shape dropped is a difference; a timestamp written
/// with or without a fraction, or a double written as `50`, is not.
#[test]
fn output_comparison_sees_dropped_members_only() {
    use serde_json::json;
    let example = json!({"A": [{"T": "2013-08-19T20:53:25Z", "D": 50}], "B": "x"});
    let same = json!({"A": [{"T": "2013-08-19T20:53:25.000Z", "D": 50.0}], "B": "x"});
    assert_eq!(json_difference("", &same, &example), None);
    let dropped = json!({"A": [{"T": "2013-08-19T20:53:25Z", "D": 50}]});
    assert_eq!(
        json_difference("", &dropped, &example).as_deref(),
        Some(".B: ours None, example Some(String(\"x\"))")
    );
    let other_time = json!({"A": [{"T": "2013-08-19T20:53:26Z", "D": 50}], "B": "x"});
    assert!(json_difference("", &other_time, &example).is_some());
}
