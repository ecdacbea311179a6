//! The one-pass reader (`xml::parse_typed_reply`) gives exactly what the object-tree path
//! (`xml::parse_reply` then `tree::from_tree`) gives: on every stored reply (botocore's fixtures,
//! Phantom captures), on edge cases of the XML forms, and in its errors.

use std::fs;
use std::path::{Path, PathBuf};

use phantom_autoscale::autoscaling::operations::Operation;
use phantom_autoscale::autoscaling::types::*;
use phantom_autoscale::query::tree::from_tree;
use phantom_autoscale::query::xml::{self, ReadError, Reply, TypedReply};
use serde::de::DeserializeOwned;

fn fixtures(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
}

/// Both readers on one body: the same output and request id, or both failing.
fn same<O: Operation>(body: &[u8]) -> bool
where
    O::Output: DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let old = match xml::parse_reply(O::NAME, body) {
        Ok(Reply::Success { result, request_id }) => {
            let output = if result.is_null() {
                Ok(O::Output::default())
            } else {
                from_tree::<O::Output>(&result).map_err(|e| e.0)
            };
            match output {
                Ok(output) => Ok(TypedReply::Success { output, request_id }),
                Err(e) => Err(ReadError::Shape(e)),
            }
        }
        Ok(Reply::Error(e)) => Ok(TypedReply::Error(e)),
        Err(e) => Err(ReadError::Xml(e)),
    };
    let new = xml::parse_typed_reply::<O::Output>(O::NAME, body);
    assert_eq!(new, old, "{}: {}", O::NAME, String::from_utf8_lossy(body));
    new.is_ok()
}

fn all_ops(body: &[u8]) {
    same::<DescribeAutoScalingGroupsInput>(body);
    same::<DescribeLaunchConfigurationsInput>(body);
    same::<DescribeAutoScalingInstancesInput>(body);
    same::<DescribeTagsInput>(body);
    same::<DescribeScalingActivitiesInput>(body);
    same::<CreateAutoScalingGroupInput>(body);
}

#[test]
fn every_stored_reply_reads_the_same() {
    let mut bodies = Vec::new();
    for entry in fs::read_dir(fixtures("botocore-responses")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "xml") {
            bodies.push(fs::read(path).unwrap());
        }
    }
    for entry in fs::read_dir(fixtures("phantom-wire/captures")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "http") {
            let raw = fs::read(path).unwrap();
            if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                bodies.push(raw[end + 4..].to_vec());
            }
        }
    }
    assert!(bodies.len() > 20, "{} bodies", bodies.len());
    for body in &bodies {
        all_ops(body);
    }
}

#[test]
fn edge_cases_read_the_same() {
    let cases: &[&str] = &[
        // Result after ResponseMetadata, namespaces, a prefix, attributes, comments, a PI.
        r#"<?xml version="1.0"?><!-- c --><a:DescribeAutoScalingGroupsResponse xmlns:a="x">
           <ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>
           <a:DescribeAutoScalingGroupsResult><AutoScalingGroups>
           <member a="1"><AutoScalingGroupName>g&amp;1 &#x41;<![CDATA[<raw>]]></AutoScalingGroupName>
           <MinSize> 2 </MinSize><MaxSize/><DesiredCapacity></DesiredCapacity>
           <Instances><member><InstanceId>i-1</InstanceId><ProtectedFromScaleIn>True</ProtectedFromScaleIn></member></Instances>
           <AvailabilityZones/><?pi x?></member></AutoScalingGroups>
           <NextToken>t</NextToken></a:DescribeAutoScalingGroupsResult>
           </a:DescribeAutoScalingGroupsResponse>"#,
        // No Result wrapper; request id at the root; a lone member; a repeated name.
        "<DescribeAutoScalingGroups><RequestId>r</RequestId><AutoScalingGroups><member>\
         <AutoScalingGroupName>g</AutoScalingGroupName><MinSize>1</MinSize><MaxSize>2</MaxSize>\
         <AvailabilityZones><member>a</member></AvailabilityZones>\
         <AvailabilityZones>b</AvailabilityZones></member></AutoScalingGroups>\
         </DescribeAutoScalingGroups>",
        // An empty result, a missing result, no metadata.
        "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult/>\
         </DescribeAutoScalingGroupsResponse>",
        "<DescribeAutoScalingGroupsResponse/>",
        "<DescribeAutoScalingGroupsResponse><ResponseMetadata><RequestId>x</RequestId>\
         </ResponseMetadata></DescribeAutoScalingGroupsResponse>",
        // Shape errors: a bad number, a structure where a text belongs, a text for a list.
        "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult><AutoScalingGroups>\
         <member><AutoScalingGroupName>g</AutoScalingGroupName><MinSize>lots</MinSize>\
         </member></AutoScalingGroups></DescribeAutoScalingGroupsResult>\
         </DescribeAutoScalingGroupsResponse>",
        "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult>\
         <NextToken><a>b</a></NextToken></DescribeAutoScalingGroupsResult>\
         </DescribeAutoScalingGroupsResponse>",
        "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult>\
         <AutoScalingGroups>x</AutoScalingGroups></DescribeAutoScalingGroupsResult>\
         </DescribeAutoScalingGroupsResponse>",
        // Errors of each dialect, and documents that are not replies.
        "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>\
         <Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>",
        "<Response><Errors><Error><Code>C</Code><Message>m</Message></Error></Errors>\
         <RequestID>r</RequestID></Response>",
        "<Error><Code>C</Code></Error>",
        "<ListAllMyBucketsResult/>",
        "<a><b></a>",
        "<a>&bogus;</a>",
        "text",
        "",
        "<a/><b/>",
    ];
    for case in cases {
        all_ops(case.as_bytes());
    }
    assert!(same::<DescribeAutoScalingGroupsInput>(cases[0].as_bytes()));
    let Ok(TypedReply::Success { output, request_id }) =
        xml::parse_typed_reply::<DescribeAutoScalingGroupsOutput>(
            "DescribeAutoScalingGroups",
            cases[0].as_bytes(),
        )
    else {
        panic!("first case reads")
    };
    assert_eq!(request_id.as_deref(), Some("r1"));
    let group = &output.auto_scaling_groups.unwrap()[0];
    assert_eq!(group.auto_scaling_group_name.as_deref(), Some("g&1 A<raw>"));
    assert_eq!(group.min_size, Some(2));
    assert_eq!(output.next_token.as_deref(), Some("t"));
}

#[test]
fn many_siblings_and_deep_nesting_are_bounded() {
    // More children than the linear scan handles, with repeats: the hashed path groups the same.
    let mut body = String::from("<DescribeTagsResponse><DescribeTagsResult><Tags>");
    for i in 0..40 {
        body.push_str(&format!("<member><Key>k{i}</Key><Value>v</Value></member>"));
    }
    body.push_str("</Tags>");
    for i in 0..40 {
        body.push_str(&format!("<X{}>y</X{}>", i % 25, i % 25));
    }
    body.push_str("</DescribeTagsResult></DescribeTagsResponse>");
    assert!(same::<DescribeTagsInput>(body.as_bytes()));
    let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
    match xml::parse_typed_reply::<DescribeTagsOutput>("DescribeTags", deep.as_bytes()) {
        Err(ReadError::Xml(e)) => assert!(e.contains("deeper"), "{e}"),
        other => panic!("{other:?}"),
    }
}

/// The direct XML writer gives the bytes of the object-tree writer.
fn same_xml<T: serde::Serialize>(shape: &T) {
    let direct = xml::render_members(shape).expect("renders");
    let tree = xml::render_value_members(&serde_json::to_value(shape).unwrap());
    assert_eq!(direct, tree);
}

#[test]
fn direct_writer_matches_the_object_tree() {
    let group = AutoScalingGroup {
        auto_scaling_group_name: Some("g<1>&'\"é".into()),
        min_size: Some(0),
        max_size: Some(i32::MAX),
        desired_capacity: Some(-1),
        availability_zones: Some(vec![]),
        load_balancer_names: Some(vec!["a".into(), "".into()]),
        instances: Some(vec![
            Instance {
                instance_id: Some("i-1".into()),
                protected_from_scale_in: Some(true),
                ..Default::default()
            },
            Instance::default(),
        ]),
        ..Default::default()
    };
    same_xml(&DescribeAutoScalingGroupsOutput {
        auto_scaling_groups: Some(vec![group.clone(), AutoScalingGroup::default()]),
        next_token: Some("t".into()),
    });
    same_xml(&DescribeAutoScalingGroupsOutput::default());
    same_xml(&MemoryGiBPerVCpuRequest {
        min: Some(0.1),
        max: Some(1e300),
    });
    same_xml(&MemoryGiBPerVCpuRequest {
        min: Some(f64::NAN),
        max: Some(2.0),
    });
    same_xml(&serde_json::json!({
        "A": [1, -2, 3.5, null, true, "x&y", [], {}, {"B": null, "C": [null, "z"]}],
        "D": {"E": {"F": "g"}},
        "H": null,
        "I": u64::MAX,
    }));
    same_xml(&serde_json::json!(["top", "level", "list"]));
    same_xml(&"top-level text");
}
