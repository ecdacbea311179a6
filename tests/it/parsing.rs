//! Reply parsing against recorded bytes: botocore's response fixtures (parsed result compared with
//! the JSON botocore expects) and every reply in the Phantom wire captures.

use std::fs;
use std::path::{Path, PathBuf};

use phantom_autoscale::autoscaling::Operation;
use phantom_autoscale::autoscaling::types::*;
use phantom_autoscale::query::xml::{self, TypedReply};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn fixtures(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
}

/// Parses a success body of `O` into its output shape, returning it as JSON plus the request id.
fn parse<O: Operation>(body: &[u8]) -> (O::Output, Option<String>)
where
    O::Output: DeserializeOwned,
{
    match xml::parse_typed_reply::<O::Output>(O::NAME, body)
        .unwrap_or_else(|e| panic!("{} result: {e:?}", O::NAME))
    {
        TypedReply::Success { output, request_id } => (output, request_id),
        TypedReply::Error(e) => panic!("unexpected error reply {e:?}"),
    }
}

fn as_botocore<O: Operation>(body: &[u8]) -> Value
where
    O::Output: DeserializeOwned + serde::Serialize,
{
    let (output, request_id) = parse::<O>(body);
    let mut value = serde_json::to_value(output).unwrap();
    value["ResponseMetadata"] = json!({ "RequestId": request_id.unwrap() });
    value
}

#[test]
fn botocore_fixtures_parse_to_the_expected_values() {
    let dir = fixtures("botocore-responses");
    let read = |name: &str| {
        let xml = fs::read(dir.join(format!("{name}.xml"))).unwrap();
        let expected: Value =
            serde_json::from_slice(&fs::read(dir.join(format!("{name}.json"))).unwrap()).unwrap();
        (xml, expected)
    };
    let mut checked = 0;
    macro_rules! check {
        ($name:literal, $op:ty) => {{
            let (xml, expected) = read($name);
            assert_eq!(as_botocore::<$op>(&xml), expected, "{}", $name);
            checked += 1;
        }};
    }
    check!(
        "responses-autoscaling-describe-auto-scaling-groups",
        DescribeAutoScalingGroupsInput
    );
    check!(
        "responses-autoscaling-describe-auto-scaling-instances",
        DescribeAutoScalingInstancesInput
    );
    check!(
        "responses-autoscaling-describe-launch-configurations",
        DescribeLaunchConfigurationsInput
    );
    check!(
        "responses-autoscaling-describe-scaling-activities",
        DescribeScalingActivitiesInput
    );
    check!("responses-autoscaling-describe-tags", DescribeTagsInput);
    assert_eq!(checked, 5);

    // The error fixture: code, message, type and request id as botocore reads them.
    let (xml, expected) = read("errors-autoscaling-delete-policy");
    let TypedReply::Error(e) = xml::parse_typed_reply::<Value>("DeletePolicy", &xml).unwrap()
    else {
        panic!("not an error")
    };
    assert_eq!(e.code, expected["Error"]["Code"]);
    assert_eq!(e.message, expected["Error"]["Message"]);
    assert_eq!(e.kind.as_deref(), expected["Error"]["Type"].as_str());
    assert_eq!(
        e.request_id.as_deref(),
        expected["ResponseMetadata"]["RequestId"].as_str()
    );
}

#[test]
fn other_botocore_fixtures_read_as_documents_with_their_request_ids() {
    // Operations this project does not model yet: the envelope must still read, request id included.
    let dir = fixtures("botocore-responses");
    let mut seen = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        if !name.starts_with("responses-") || path.extension().unwrap() != "xml" {
            continue;
        }
        let op: String = name["responses-autoscaling-".len()..]
            .split('-')
            .map(|w| w[..1].to_uppercase() + &w[1..])
            .collect::<String>();
        let expected: Value =
            serde_json::from_slice(&fs::read(path.with_extension("json")).unwrap()).unwrap();
        let body = fs::read(&path).unwrap();
        match xml::parse_typed_reply::<Value>(&op, &body) {
            Ok(TypedReply::Success { request_id, .. }) => {
                assert_eq!(
                    request_id.as_deref(),
                    expected["ResponseMetadata"]["RequestId"].as_str(),
                    "{name}"
                );
            }
            other => panic!("{name} ({op}): {other:?}"),
        }
        seen += 1;
    }
    assert_eq!(seen, 13);
}

/// Splits a recorded HTTP exchange into status code, reason phrase and body.
fn split_http(raw: &[u8]) -> (u16, String, Vec<u8>) {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let status_line = head.lines().next().unwrap();
    let mut parts = status_line.splitn(3, ' ');
    parts.next();
    let status: u16 = parts.next().unwrap().parse().unwrap();
    let reason = parts.next().unwrap_or("").to_string();
    (status, reason, raw[end + 4..].to_vec())
}

fn capture(name_prefix: &str) -> (u16, String, Vec<u8>) {
    let dir = fixtures("phantom-wire/captures");
    let path = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            n.starts_with(name_prefix) && n.ends_with(".http")
        })
        .unwrap_or_else(|| panic!("no capture {name_prefix}"));
    split_http(&fs::read(path).unwrap())
}

#[test]
fn phantom_group_reply_reads_into_typed_values() {
    let (status, _, body) = capture("05_");
    assert_eq!(status, 200);
    let (out, rid) = parse::<DescribeAutoScalingGroupsInput>(&body);
    assert_eq!(rid.as_deref(), Some("4a0231b3-0cc4-4363-8e0f-1eeb6f5d543d"));
    let groups = out.auto_scaling_groups.unwrap();
    assert_eq!(groups.len(), 1);
    let g = &groups[0];
    assert_eq!(g.auto_scaling_group_name.as_deref(), Some("asg1"));
    assert_eq!(
        (g.min_size, g.max_size, g.desired_capacity),
        (Some(2), Some(2), Some(2))
    );
    assert_eq!(g.health_check_grace_period, Some(0));
    assert_eq!(g.launch_configuration_name.as_deref(), Some("test"));
    assert_eq!(g.status.as_deref(), Some(""));
    assert_eq!(g.availability_zones, Some(vec![]));
    assert_eq!(g.tags, Some(vec![]));
    assert_eq!(g.created_time.unwrap().to_string(), "2026-11-27T23:29:59Z");
    let instances = g.instances.as_ref().unwrap();
    assert_eq!(instances.len(), 2);
    assert_eq!(instances[0].instance_id.as_deref(), Some("i-484aa9d5"));
    assert_eq!(instances[0].availability_zone.as_deref(), Some("hotel"));
    assert_eq!(instances[0].health_status.as_deref(), Some("Healthy"));
    assert_eq!(instances[0].lifecycle_state.as_deref(), Some("600-RUNNING"));
}

#[test]
fn phantom_instances_reply_without_result_wrapper() {
    let (_, _, body) = capture("06_");
    let (out, rid) = parse::<DescribeAutoScalingInstancesInput>(&body);
    assert_eq!(rid.as_deref(), Some("fe2f36cb-ef44-41fd-9a2b-acded0547ab7"));
    let instances = out.auto_scaling_instances.unwrap();
    assert_eq!(instances.len(), 2);
    assert_eq!(instances[1].instance_id.as_deref(), Some("i-a1d6b2ed"));
    assert_eq!(
        instances[1].auto_scaling_group_name.as_deref(),
        Some("asg1")
    );
}

#[test]
fn phantom_launch_configuration_reply() {
    let (_, _, body) = capture("03_");
    let (out, _) = parse::<DescribeLaunchConfigurationsInput>(&body);
    let lcs = out.launch_configurations.unwrap();
    let lc = &lcs[0];
    assert_eq!(lc.launch_configuration_name.as_deref(), Some("test@hotel"));
    assert_eq!(lc.image_id.as_deref(), Some("hello-phantom.gz"));
    assert_eq!(lc.key_name.as_deref(), Some("phantomkey"));
    assert_eq!(
        lc.user_data.as_deref(),
        Some("IyEvYmluL3NoCmVjaG8gaGVsbG8K")
    );
    assert_eq!(
        lc.instance_monitoring.as_ref().unwrap().enabled,
        Some(false)
    );
    assert_eq!(lc.kernel_id.as_deref(), Some(""));
    assert_eq!(lc.security_groups, Some(vec![]));
}

/// The operation a capture's request names, from its `Action` parameter.
fn action_of(req: &[u8]) -> String {
    let text = String::from_utf8_lossy(req);
    let start = text.find("Action=").expect("Action") + "Action=".len();
    text[start..]
        .split(|c: char| c == '&' || c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn every_phantom_capture_reads() {
    let dir = fixtures("phantom-wire/captures");
    let mut ok = 0;
    let mut errors = 0;
    let mut names: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "http"))
        .collect();
    names.sort();
    for path in names {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let (status, reason, body) = split_http(&fs::read(&path).unwrap());
        let op = action_of(&fs::read(path.with_extension("req")).unwrap());
        if status == 200 {
            let reply = xml::parse_typed_reply::<Value>(&op, &body)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let TypedReply::Success {
                output: result,
                request_id,
            } = reply
            else {
                panic!("{name}: error reply")
            };
            assert!(request_id.is_some(), "{name}: request id");
            // Fill the typed output of operations that have one.
            fn fill<T: DeserializeOwned + Default + std::fmt::Debug>(
                op: &str,
                body: &[u8],
            ) -> Result<(), String> {
                match xml::parse_typed_reply::<T>(op, body) {
                    Ok(TypedReply::Success { .. }) => Ok(()),
                    other => Err(format!("{other:?}").chars().take(300).collect()),
                }
            }
            let filled = match op.as_str() {
                "DescribeAutoScalingGroups" => fill::<DescribeAutoScalingGroupsOutput>(&op, &body),
                "DescribeLaunchConfigurations" => {
                    fill::<DescribeLaunchConfigurationsOutput>(&op, &body)
                }
                "DescribeAutoScalingInstances" => {
                    fill::<DescribeAutoScalingInstancesOutput>(&op, &body)
                }
                _ => {
                    assert!(
                        result.is_null(),
                        "{name}: {op} has no output but got {result}"
                    );
                    Ok(())
                }
            };
            filled.unwrap_or_else(|e| panic!("{name}: {e}"));
            ok += 1;
        } else {
            let details = xml::parse_error_body(status, Some(&reason), &body);
            let expected = if status == 404 {
                "NotFound".to_string()
            } else {
                reason.clone()
            };
            assert_eq!(details.code, expected, "{name}");
            assert!(!details.message.is_empty(), "{name}: empty message");
            errors += 1;
        }
    }
    assert_eq!((ok, errors), (18, 23));
}
