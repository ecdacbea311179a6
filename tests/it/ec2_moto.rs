//! The EC2 client against real peers: a moto of the test's own (launch templates and their
//! versions, VPCs, subnets, zones, instances, EC2's error envelope with its request id), and
//! botocore's own serializers (the test venv's Python) for the form pairs of inputs with lists and
//! nested structures, in both protocols (EC2's `Name.N`, and Auto Scaling's `Name.item.N` for a
//! list whose model names its items).

use std::process::Command;

use futures_util::StreamExt;
use phantom_autoscale::Credentials;
use phantom_autoscale::ec2::types::*;
use phantom_autoscale::ec2::{self, Client};
use phantom_autoscale::error::Error;
use phantom_autoscale::query::endpoint::Endpoint;
use phantom_autoscale::query::form::{self, ListStyle};
use serde_json::{Value, json};

use crate::util::peers::{Moto, output, python};

fn client(moto: &Moto) -> Client {
    let mut config =
        ec2::client::transport_config(Endpoint::parse(&moto.url).unwrap(), "us-east-1");
    config.credentials = Some(Credentials::new("testing", "testing"));
    Client::new(config).unwrap()
}

/// The service error's code, message and request id, or a panic naming what came instead.
fn service_error(error: Error) -> (String, String, Option<String>) {
    match error {
        Error::Service(e) => (e.code, e.message, e.request_id),
        other => panic!("expected a service error, got {other:?}"),
    }
}

fn template_data(image: &str, instance_type: &str) -> RequestLaunchTemplateData {
    RequestLaunchTemplateData {
        image_id: Some(image.into()),
        instance_type: Some(instance_type.into()),
        key_name: Some("seed-key".into()),
        security_groups: Some(vec!["default".into(), "web".into()]),
        user_data: Some("IyEvYmluL3NoCmVjaG8gaGk=".into()),
        tag_specifications: Some(vec![LaunchTemplateTagSpecificationRequest {
            resource_type: Some("instance".into()),
            tags: Some(vec![Tag {
                key: Some("role".into()),
                value: Some("worker".into()),
            }]),
        }]),
        ..Default::default()
    }
}

#[tokio::test]
async fn launch_templates_against_moto() {
    let moto = Moto::start(&[]);
    let c = client(&moto);
    let created = c
        .send(&CreateLaunchTemplateInput {
            launch_template_name: "lt-seed".into(),
            version_description: Some("first".into()),
            launch_template_data: template_data("ami-11111111", "m1.small"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(created.request_id.is_some(), "EC2's requestId is read");
    let template = created.output.launch_template.unwrap();
    let id = template.launch_template_id.clone().unwrap();
    assert!(id.starts_with("lt-"), "{id}");
    assert_eq!(template.launch_template_name.as_deref(), Some("lt-seed"));
    assert_eq!(template.latest_version_number, Some(1));
    assert_eq!(template.default_version_number, Some(1));

    let second = c
        .create_launch_template_version(&CreateLaunchTemplateVersionInput {
            launch_template_id: Some(id.clone()),
            version_description: Some("second".into()),
            launch_template_data: template_data("ami-22222222", "m1.large"),
            ..Default::default()
        })
        .await
        .unwrap()
        .launch_template_version
        .unwrap();
    assert_eq!(second.version_number, Some(2));

    // Both versions, and `$Latest` / `$Default`, with the nested data read back.
    let versions = |wanted: &[&str]| DescribeLaunchTemplateVersionsInput {
        launch_template_name: Some("lt-seed".into()),
        versions: Some(wanted.iter().map(|v| v.to_string()).collect()),
        ..Default::default()
    };
    let all: Vec<LaunchTemplateVersion> = c
        .items(versions(&["1", "2"]))
        .map(|v| v.unwrap())
        .collect()
        .await;
    let mut numbers: Vec<i64> = all.iter().map(|v| v.version_number.unwrap()).collect();
    numbers.sort();
    assert_eq!(numbers, [1, 2]);
    let first = all.iter().find(|v| v.version_number == Some(1)).unwrap();
    let data = first.launch_template_data.as_ref().unwrap();
    assert_eq!(data.image_id.as_deref(), Some("ami-11111111"));
    assert_eq!(data.instance_type.as_deref(), Some("m1.small"));
    assert_eq!(data.key_name.as_deref(), Some("seed-key"));
    assert_eq!(
        data.security_groups.as_deref(),
        Some(&["default".to_string(), "web".to_string()][..])
    );
    let tags = &data.tag_specifications.as_ref().unwrap()[0];
    assert_eq!(tags.resource_type.as_deref(), Some("instance"));
    assert_eq!(
        tags.tags.as_ref().unwrap()[0],
        Tag {
            key: Some("role".into()),
            value: Some("worker".into())
        }
    );
    let pick = |wanted: &'static str| {
        let c = c.clone();
        async move {
            let out = c
                .describe_launch_template_versions(&versions(&[wanted]))
                .await
                .unwrap();
            let found = out.launch_template_versions.unwrap();
            assert_eq!(found.len(), 1, "{wanted}: {found:?}");
            found[0].version_number.unwrap()
        }
    };
    assert_eq!(pick("$Latest").await, 2);
    assert_eq!(pick("$Default").await, 1);

    // A new default version.
    let modified = c
        .modify_launch_template(&ModifyLaunchTemplateInput {
            launch_template_name: Some("lt-seed".into()),
            default_version: Some("2".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .launch_template
        .unwrap();
    assert_eq!(modified.default_version_number, Some(2));
    assert_eq!(pick("$Default").await, 2);
    let listed = c
        .describe_launch_templates(&DescribeLaunchTemplatesInput {
            launch_template_names: Some(vec!["lt-seed".into()]),
            ..Default::default()
        })
        .await
        .unwrap()
        .launch_templates
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].latest_version_number, Some(2));
    assert_eq!(listed[0].default_version_number, Some(2));

    // The template goes with its versions. (moto 5.2.5 has no DeleteLaunchTemplateVersions, which
    // answers 500 there: its form is compared with botocore's in `ec2_form_pairs_match_botocore`.)
    let deleted = c
        .delete_launch_template(&DeleteLaunchTemplateInput {
            launch_template_name: Some("lt-seed".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .launch_template
        .unwrap();
    assert_eq!(deleted.launch_template_id.as_deref(), Some(id.as_str()));

    // EC2's error envelope: the code, the message and the request id.
    let error = c
        .describe_launch_templates(&DescribeLaunchTemplatesInput {
            launch_template_names: Some(vec!["lt-seed".into()]),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let (code, message, request_id) = service_error(error);
    assert_eq!(code, "InvalidLaunchTemplateName.NotFoundException");
    assert!(!message.is_empty());
    assert!(request_id.is_some_and(|r| !r.is_empty()));
    let error = c
        .create_launch_template(&CreateLaunchTemplateInput {
            launch_template_name: "lt-twice".into(),
            launch_template_data: template_data("ami-1", "m1.small"),
            ..Default::default()
        })
        .await
        .and(
            c.create_launch_template(&CreateLaunchTemplateInput {
                launch_template_name: "lt-twice".into(),
                launch_template_data: template_data("ami-1", "m1.small"),
                ..Default::default()
            })
            .await,
        )
        .unwrap_err();
    assert_eq!(
        service_error(error).0,
        "InvalidLaunchTemplateName.AlreadyExistsException"
    );
}

#[tokio::test]
async fn vpcs_subnets_zones_and_instances_against_moto() {
    let moto = Moto::start(&[]);
    let c = client(&moto);
    let zones = c
        .describe_availability_zones(&DescribeAvailabilityZonesInput::default())
        .await
        .unwrap()
        .availability_zones
        .unwrap();
    let names: Vec<&str> = zones
        .iter()
        .filter_map(|z| z.zone_name.as_deref())
        .collect();
    assert!(names.contains(&"us-east-1a"), "{names:?}");
    assert!(
        zones
            .iter()
            .all(|z| z.region_name.as_deref() == Some("us-east-1"))
    );

    let vpc = c
        .create_vpc(&CreateVpcInput {
            cidr_block: Some("10.7.0.0/16".into()),
            tag_specifications: Some(vec![TagSpecification {
                resource_type: Some("vpc".into()),
                tags: Some(vec![Tag {
                    key: Some("Name".into()),
                    value: Some("seed".into()),
                }]),
            }]),
            ..Default::default()
        })
        .await
        .unwrap()
        .vpc
        .unwrap();
    let vpc_id = vpc.vpc_id.clone().unwrap();
    assert_eq!(vpc.cidr_block.as_deref(), Some("10.7.0.0/16"));
    let subnet = c
        .create_subnet(&CreateSubnetInput {
            vpc_id: vpc_id.clone(),
            cidr_block: Some("10.7.1.0/24".into()),
            availability_zone: Some("us-east-1b".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .subnet
        .unwrap();
    let subnet_id = subnet.subnet_id.clone().unwrap();
    assert_eq!(subnet.availability_zone.as_deref(), Some("us-east-1b"));

    let vpcs: Vec<Vpc> = c
        .items(DescribeVpcsInput {
            vpc_ids: Some(vec![vpc_id.clone()]),
            ..Default::default()
        })
        .map(|v| v.unwrap())
        .collect()
        .await;
    assert_eq!(vpcs.len(), 1);
    assert_eq!(
        vpcs[0].tags.as_ref().unwrap()[0].value.as_deref(),
        Some("seed")
    );
    let subnets = c
        .describe_subnets(&DescribeSubnetsInput {
            filters: Some(vec![Filter {
                name: Some("vpc-id".into()),
                values: Some(vec![vpc_id.clone()]),
            }]),
            ..Default::default()
        })
        .await
        .unwrap()
        .subnets
        .unwrap();
    assert_eq!(subnets.len(), 1);
    assert_eq!(subnets[0].subnet_id.as_deref(), Some(subnet_id.as_str()));
    assert_eq!(subnets[0].cidr_block.as_deref(), Some("10.7.1.0/24"));

    // A VPC with a subnet cannot go; the subnet first, then the VPC.
    let error = c
        .delete_vpc(&DeleteVpcInput {
            vpc_id: vpc_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(service_error(error).0, "DependencyViolation");
    c.delete_subnet(&DeleteSubnetInput {
        subnet_id: subnet_id.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    c.delete_vpc(&DeleteVpcInput {
        vpc_id: vpc_id.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    let error = c
        .describe_vpcs(&DescribeVpcsInput {
            vpc_ids: Some(vec![vpc_id.clone()]),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let (code, _, request_id) = service_error(error);
    assert_eq!(code, "InvalidVpcID.NotFound");
    assert!(request_id.is_some());

    // Instances: one run by boto3, described and terminated by the client.
    let script = format!(
        "import boto3\nc = boto3.client('ec2', endpoint_url='{}', region_name='us-east-1', \
         aws_access_key_id='testing', aws_secret_access_key='testing')\n\
         r = c.run_instances(ImageId='ami-12c6146b', MinCount=1, MaxCount=1, InstanceType='t2.micro')\n\
         print(r['Instances'][0]['InstanceId'])\n",
        moto.url
    );
    let mut cmd = Command::new(python());
    cmd.args(["-c", &script]);
    let out = output(cmd).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let instance_id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let reservations: Vec<Reservation> = c
        .items(DescribeInstancesInput {
            instance_ids: Some(vec![instance_id.clone()]),
            ..Default::default()
        })
        .map(|r| r.unwrap())
        .collect()
        .await;
    let instance = &reservations[0].instances.as_ref().unwrap()[0];
    assert_eq!(instance.instance_id.as_deref(), Some(instance_id.as_str()));
    assert_eq!(instance.instance_type.as_deref(), Some("t2.micro"));
    assert_eq!(
        instance.state.as_ref().and_then(|s| s.name.as_deref()),
        Some("running")
    );
    assert!(instance.private_ip_address.is_some());
    let terminated = c
        .terminate_instances(&TerminateInstancesInput {
            instance_ids: vec![instance_id.clone()],
            ..Default::default()
        })
        .await
        .unwrap()
        .terminating_instances
        .unwrap();
    assert_eq!(
        terminated[0]
            .current_state
            .as_ref()
            .and_then(|s| s.name.as_deref()),
        Some("shutting-down")
    );
    let error = c
        .terminate_instances(&TerminateInstancesInput {
            instance_ids: vec!["i-0123456789abcdef0".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(service_error(error).0, "InvalidInstanceID.NotFound");
}

/// Form pairs, in order.
type Pairs = Vec<(String, String)>;

/// botocore's form pairs for `input` (JSON with the model's member names) of `operation` of
/// `service`, in order, as the serializer of the service's protocol writes them.
async fn botocore_pairs(service: &str, operation: &str, input: &Value) -> Vec<(String, String)> {
    let script = "import json, sys, botocore.session\n\
        from botocore import serialize\n\
        service, operation, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])\n\
        model = botocore.session.get_session().get_service_model(service)\n\
        s = serialize.create_serializer(model.metadata['protocol'], include_validation=True)\n\
        body = s.serialize_to_request(params, model.operation_model(operation))['body']\n\
        print(json.dumps([[k, str(v).lower() if isinstance(v, bool) else str(v)] for k, v in body.items()]))\n";
    let mut cmd = Command::new(python());
    cmd.args(["-c", script, service, operation, &input.to_string()]);
    let out = output(cmd).await;
    assert!(
        out.status.success(),
        "botocore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pairs: Vec<(String, String)> = serde_json::from_slice(&out.stdout).unwrap();
    // Action and Version come first; the transport adds them.
    pairs.into_iter().skip(2).collect()
}

#[tokio::test]
async fn ec2_form_pairs_match_botocore() {
    let create = json!({
        "LaunchTemplateName": "lt-a",
        "VersionDescription": "v",
        "LaunchTemplateData": {
            "ImageId": "ami-1",
            "InstanceType": "m1.small",
            "SecurityGroupIds": ["sg-1", "sg-2"],
            "SecurityGroups": ["default"],
            "BlockDeviceMappings": [
                {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8, "DeleteOnTermination": true}},
                {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"}
            ],
            "NetworkInterfaces": [{"DeviceIndex": 0, "Groups": ["sg-3"], "SubnetId": "subnet-1",
                                   "AssociatePublicIpAddress": false}],
            "TagSpecifications": [{"ResourceType": "instance",
                                   "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}],
            "Monitoring": {"Enabled": true},
            "UserData": "aGk="
        },
        "TagSpecifications": [{"ResourceType": "launch-template", "Tags": [{"Key": "k", "Value": "v"}]}]
    });
    let cases: Vec<(&str, Value, Pairs)> = vec![
        (
            "CreateLaunchTemplate",
            create.clone(),
            ec2_pairs::<CreateLaunchTemplateInput>(&create),
        ),
        {
            let v = json!({"LaunchTemplateName": "lt-a", "Versions": ["$Latest", "1"],
                           "Filters": [{"Name": "image-id", "Values": ["ami-1", "ami-2"]}]});
            let p = ec2_pairs::<DescribeLaunchTemplateVersionsInput>(&v);
            ("DescribeLaunchTemplateVersions", v, p)
        },
        {
            let v = json!({"LaunchTemplateId": "lt-0abc", "Versions": ["1", "3"]});
            let p = ec2_pairs::<DeleteLaunchTemplateVersionsInput>(&v);
            ("DeleteLaunchTemplateVersions", v, p)
        },
        {
            let v = json!({"LaunchTemplateName": "lt-a", "DefaultVersion": "2"});
            let p = ec2_pairs::<ModifyLaunchTemplateInput>(&v);
            ("ModifyLaunchTemplate", v, p)
        },
        {
            let v = json!({"InstanceIds": ["i-1", "i-2"], "Filters": []});
            let p = ec2_pairs::<DescribeInstancesInput>(&v);
            ("DescribeInstances", v, p)
        },
        {
            let v = json!({"ZoneNames": ["us-east-1a"], "AllAvailabilityZones": true});
            let p = ec2_pairs::<DescribeAvailabilityZonesInput>(&v);
            ("DescribeAvailabilityZones", v, p)
        },
    ];
    for (operation, input, mut ours) in cases {
        // botocore writes members in the caller's order, ours in the model's: the same pairs.
        let mut theirs = botocore_pairs("ec2", operation, &input).await;
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{operation}");
    }
}

fn ec2_pairs<T: serde::de::DeserializeOwned + serde::Serialize>(
    input: &Value,
) -> Vec<(String, String)> {
    let shape: T = serde_json::from_value(input.clone()).unwrap();
    form::to_params_with(&shape, ListStyle::Ec2).unwrap()
}

/// Auto Scaling's one list whose model names its items (`CpuPerformanceFactorRequest.References`,
/// sent as `...Cpu.Reference.item.N`): written as botocore writes it, and read back from those
/// pairs into the same request.
#[tokio::test]
async fn query_named_item_lists_match_botocore() {
    use phantom_autoscale::autoscaling::types::CreateAutoScalingGroupInput;
    let input = json!({
        "AutoScalingGroupName": "g", "MinSize": 1, "MaxSize": 2,
        "AvailabilityZones": ["us-east-1a"],
        "MixedInstancesPolicy": {"LaunchTemplate": {
            "LaunchTemplateSpecification": {"LaunchTemplateName": "lt-a", "Version": "$Latest"},
            "Overrides": [{"InstanceRequirements": {
                "VCpuCount": {"Min": 1}, "MemoryMiB": {"Min": 512},
                "BaselinePerformanceFactors": {"Cpu": {"References": [
                    {"InstanceFamily": "c5"}, {"InstanceFamily": "m5"}
                ]}}
            }}]
        }}
    });
    let shape: CreateAutoScalingGroupInput = serde_json::from_value(input.clone()).unwrap();
    let ours = form::to_params(&shape).unwrap();
    let mut theirs = botocore_pairs("autoscaling", "CreateAutoScalingGroup", &input).await;
    let mut sorted = ours.clone();
    sorted.sort();
    theirs.sort();
    assert_eq!(sorted, theirs);
    assert!(
        ours.iter()
            .any(|(k, _)| k.ends_with("Cpu.Reference.item.2.InstanceFamily")),
        "{ours:?}"
    );
    let tree = form::pairs_to_node(&ours).unwrap();
    let back: CreateAutoScalingGroupInput =
        phantom_autoscale::query::tree::from_node(&tree).unwrap();
    assert_eq!(back, shape);
}

/// `phantom lt ...` against moto, reached through `AWS_ENDPOINT_URL_EC2` (the Auto Scaling
/// endpoint is left at AWS's, which no `lt` command may touch).
#[test]
fn lt_commands_against_moto() {
    use crate::util::peers::{TempDir, phantom};
    let moto = Moto::start(&[]);
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_ENDPOINT_URL_EC2", moto.url.as_str()),
        ("AWS_ENDPOINT_URL_AUTO_SCALING", "http://127.0.0.1:9/"),
    ];
    let ok = |args: &[&str]| {
        let r = phantom(args, &env);
        assert_eq!(r.code, 0, "phantom {args:?}: {}", r.stderr);
        r.stdout
    };
    let dir = TempDir::new("lt-user-data");
    let user_data = dir.0.join("boot.sh");
    std::fs::write(&user_data, "#!/bin/sh\necho hi\n").unwrap();
    let user_data = user_data.display().to_string();
    assert_eq!(
        ok(&[
            "lt",
            "create",
            "web",
            "ami-11111111",
            "--instance-type",
            "m1.small",
            "--key-name",
            "k",
            "--security-groups",
            "default,web",
            "--user-data",
            &user_data,
        ]),
        ""
    );
    let listed = ok(&["lt", "list"]);
    let line = listed.lines().find(|l| l.starts_with("web ")).unwrap();
    assert!(line.ends_with(" default 1 latest 1"), "{listed}");
    assert!(line.split(' ').nth(1).unwrap().starts_with("lt-"), "{line}");

    // A new version, based on `$Latest` (SourceVersion: AWS keeps what it does not change; moto
    // 5.2.5 ignores SourceVersion, so only what each version sets is checked), and the default
    // when asked.
    assert_eq!(
        ok(&["lt", "update", "web", "--instance-type", "m1.large"]),
        "2\n"
    );
    assert_eq!(
        ok(&[
            "lt",
            "update",
            "web",
            "--image",
            "ami-33333333",
            "--default"
        ]),
        "3\n"
    );
    let versions = ok(&["lt", "versions", "web"]);
    let lines: Vec<&str> = versions.lines().collect();
    assert_eq!(lines.len(), 3, "{versions}");
    assert_eq!(lines[0], "1 ami-11111111 m1.small");
    assert!(
        lines[1].starts_with("2 ") && lines[1].ends_with(" m1.large"),
        "{versions}"
    );
    assert!(
        lines[2].starts_with("3 (default) ami-33333333 "),
        "{versions}"
    );
    assert!(ok(&["lt", "list"]).contains(" default 3 latest 3"));
    let json: Value =
        serde_json::from_str(&ok(&["lt", "versions", "web", "--output", "json"])).unwrap();
    let first = &json["LaunchTemplateVersions"][0]["LaunchTemplateData"];
    assert_eq!(first["KeyName"], "k");
    assert_eq!(first["SecurityGroups"], json!(["default", "web"]));
    assert_eq!(first["UserData"], "IyEvYmluL3NoCmVjaG8gaGkK");
    assert!(ok(&["lt", "list"]).contains("web lt-"));

    assert_eq!(ok(&["lt", "delete", "web"]), "");
    assert!(!ok(&["lt", "list"]).contains("web "));
    // A template that is gone: moto 5.2.5 answers MissingParameter where AWS answers
    // InvalidLaunchTemplateName.NotFoundException (the library test checks that code through
    // DescribeLaunchTemplates); either way one line names the call, the code and the request id.
    let r = phantom(&["lt", "delete", "web"], &env);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .starts_with("phantom: error: DeleteLaunchTemplate failed: ")
            && r.stderr.contains("request id"),
        "{}",
        r.stderr
    );
    let r = phantom(
        &[
            "lt",
            "create",
            "x",
            "ami-1",
            "--user-data",
            "/nonexistent/file",
        ],
        &env,
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("reading user data"), "{}", r.stderr);
}
