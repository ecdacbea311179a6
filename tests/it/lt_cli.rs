//! The CLI's launch-template habits (issue 12, items 2, 3, 4 and 7), through the real `phantom`
//! binary: against a moto of each test's own (launch templates, VPCs, subnets, instances, groups
//! from templates and mixed instances policies), and against `phantom serve
//! --no-launch-configurations` for Auto Scaling beside moto for EC2, which proves that
//! `lc create` catches AWS's refusal and makes a launch template instead.
//!
//! Every test starts its own moto: the launch templates one test makes must not show in another
//! test's `lc list` against the shared moto.

use phantom_autoscale::Credentials;
use phantom_autoscale::autoscaling;
use phantom_autoscale::autoscaling::types::{
    AutoScalingGroup, CreateLaunchConfigurationInput, DescribeAutoScalingGroupsInput,
};
use phantom_autoscale::ec2;
use phantom_autoscale::ec2::types::*;
use phantom_autoscale::error::Error;
use phantom_autoscale::query::endpoint::Endpoint;
use serde_json::Value;

use crate::util::peers::{Moto, Run, TempDir, phantom};
use crate::util::serve::Served;

/// AWS's text for CreateLaunchConfiguration on an account that cannot create launch
/// configurations (the AWS Auto Scaling user guide; issue 12).
const REFUSAL: &str = "The Launch Configuration creation operation is not available in your \
                       account. Use launch templates to create configuration templates for your \
                       Auto Scaling groups.";

/// The environment of `phantom` against moto (both APIs), plus `extra`.
fn env_for<'a>(moto: &'a Moto, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_ENDPOINT_URL", moto.url.as_str()),
    ];
    env.extend_from_slice(extra);
    env
}

fn ok_with(env: &[(&str, &str)], args: &[&str]) -> Run {
    let r = phantom(args, env);
    assert_eq!(r.code, 0, "phantom {args:?}: {}", r.stderr);
    r
}

fn ec2_client(url: &str) -> ec2::Client {
    let mut config = ec2::client::transport_config(Endpoint::parse(url).unwrap(), "us-east-1");
    config.credentials = Some(Credentials::new("testing", "testing"));
    ec2::Client::new(config).unwrap()
}

fn autoscaling_client(url: &str) -> autoscaling::Client {
    let mut config = phantom_autoscale::query::transport::TransportConfig::new(
        Endpoint::parse(url).unwrap(),
        "us-east-1",
    );
    config.credentials = Some(Credentials::new("testing", "testing"));
    autoscaling::Client::new(config).unwrap()
}

async fn group(url: &str, name: &str) -> AutoScalingGroup {
    autoscaling_client(url)
        .describe_auto_scaling_groups(&DescribeAutoScalingGroupsInput {
            auto_scaling_group_names: Some(vec![name.into()]),
            ..Default::default()
        })
        .await
        .unwrap()
        .auto_scaling_groups
        .unwrap()
        .pop()
        .unwrap_or_else(|| panic!("no group {name}"))
}

/// A VPC 10.9.0.0/16 with subnets 10.9.1.0/24 (us-east-1a) and 10.9.2.0/24 (us-east-1b).
async fn vpc_with_two_subnets(c: &ec2::Client) -> (String, Vec<String>) {
    let vpc = c
        .create_vpc(&CreateVpcInput {
            cidr_block: Some("10.9.0.0/16".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .vpc
        .unwrap()
        .vpc_id
        .unwrap();
    let mut subnets = Vec::new();
    for (cidr, zone) in [("10.9.1.0/24", "us-east-1a"), ("10.9.2.0/24", "us-east-1b")] {
        let subnet = c
            .create_subnet(&CreateSubnetInput {
                vpc_id: vpc.clone(),
                cidr_block: Some(cidr.into()),
                availability_zone: Some(zone.into()),
                ..Default::default()
            })
            .await
            .unwrap()
            .subnet
            .unwrap();
        subnets.push(subnet.subnet_id.unwrap());
    }
    (vpc, subnets)
}

/// `lt create/list/versions/update/delete`, a group from a template version in two subnets, its
/// instances' addresses, and the mixed instances form, all against moto.
#[tokio::test]
async fn templates_groups_subnets_and_addresses_against_moto() {
    let moto = Moto::start(&[]);
    let env = env_for(&moto, &[]);
    let ok = |args: &[&str]| ok_with(&env, args).stdout;
    let c = ec2_client(&moto.url);
    let (_vpc, subnets) = vpc_with_two_subnets(&c).await;

    // The template: version 1, a version 2 made the default; ids and names of security groups
    // go to their own members.
    let dir = TempDir::new("lt-cli");
    let boot = dir.0.join("boot.sh");
    std::fs::write(&boot, "#!/bin/sh\n").unwrap();
    let boot = boot.display().to_string();
    ok(&[
        "lt",
        "create",
        "web",
        "ami-12c6146b",
        "--instance-type",
        "t2.micro",
        "--key-name",
        "k",
        "--security-groups",
        "sg-0123456789abcdef0,default",
        "--user-data",
        &boot,
    ]);
    assert_eq!(
        ok(&[
            "lt",
            "update",
            "web",
            "--instance-type",
            "t3.micro",
            "--default"
        ]),
        "2\n"
    );
    let listed = ok(&["lt", "list"]);
    assert!(
        listed.starts_with("web lt-") && listed.ends_with(" default 2 latest 2\n"),
        "{listed}"
    );
    let versions = ok(&["lt", "versions", "web"]);
    assert_eq!(
        versions.lines().next(),
        Some("1 ami-12c6146b t2.micro"),
        "{versions}"
    );
    assert!(versions.contains("2 (default) "), "{versions}");
    let json: Value =
        serde_json::from_str(&ok(&["lt", "versions", "web", "--output", "json"])).unwrap();
    let first = &json["LaunchTemplateVersions"][0]["LaunchTemplateData"];
    assert_eq!(
        first["SecurityGroupIds"],
        serde_json::json!(["sg-0123456789abcdef0"])
    );
    assert_eq!(first["SecurityGroups"], serde_json::json!(["default"]));

    // A group from version 1, in both subnets.
    let both = subnets.join(",");
    assert_eq!(
        ok(&[
            "domain",
            "create",
            "web-group",
            "--launch-template",
            "web:1",
            "2",
            "--subnets",
            &both
        ]),
        "using LaunchTemplate:web:1\n"
    );
    let g = group(&moto.url, "web-group").await;
    let spec = g.launch_template.clone().unwrap();
    assert_eq!(spec.launch_template_name.as_deref(), Some("web"));
    assert_eq!(spec.version.as_deref(), Some("1"));
    assert_eq!(g.vpc_zone_identifier.as_deref(), Some(both.as_str()));
    assert!(g.launch_configuration_name.is_none());
    let listed = ok(&["domain", "list", "web-group"]);
    assert!(listed.starts_with("web-group\n    web : 2\n"), "{listed}");

    // Their addresses: one DescribeInstances for all, private IPs from the subnets' CIDRs.
    let plain = ok(&["instances", "list"]);
    assert_eq!(plain.lines().count(), 2, "{plain}");
    assert!(plain.lines().all(|l| l.split('\t').count() == 5), "{plain}");
    let text = ok(&["instances", "list", "--addresses"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for line in &lines {
        let columns: Vec<&str> = line.split('\t').collect();
        assert_eq!(columns.len(), 8, "{line}");
        assert_eq!(columns[1], "web-group");
        assert!(columns[5].starts_with("10.9."), "private IP: {line}");
        assert_ne!(columns[7], "-", "DNS name: {line}");
    }
    let json: Value = serde_json::from_str(&ok(&[
        "instances",
        "list",
        "--addresses",
        "--output",
        "json",
    ]))
    .unwrap();
    let items = json["AutoScalingInstances"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        assert!(item["InstanceId"].as_str().unwrap().starts_with("i-"));
        let ip = item["PrivateIpAddress"].as_str().unwrap();
        assert!(lines.iter().any(|l| l.contains(ip)), "{ip} not in {text}");
        assert!(item.get("PrivateDnsName").is_some(), "{item}");
    }

    // The mixed form: instance types over the template's `$Latest`, the distribution.
    assert_eq!(
        ok(&[
            "domain",
            "create",
            "mixed",
            "3",
            "--launch-template",
            "web:$Latest",
            "--instance-types",
            "t2.micro,t3.micro",
            "--on-demand-base",
            "1",
            "--on-demand-percentage",
            "50",
            "--spot-allocation-strategy",
            "capacity-optimized",
            "--subnets",
            &subnets[0],
        ]),
        "using LaunchTemplate:web:$Latest\n"
    );
    let g = group(&moto.url, "mixed").await;
    let policy = g.mixed_instances_policy.unwrap();
    let lt = policy.launch_template.unwrap();
    let spec = lt.launch_template_specification.unwrap();
    assert_eq!(spec.launch_template_name.as_deref(), Some("web"));
    assert_eq!(spec.version.as_deref(), Some("$Latest"));
    let types: Vec<String> = lt
        .overrides
        .unwrap()
        .into_iter()
        .filter_map(|o| o.instance_type)
        .collect();
    assert_eq!(types, ["t2.micro", "t3.micro"]);
    let d = policy.instances_distribution.unwrap();
    assert_eq!(d.on_demand_base_capacity, Some(1));
    assert_eq!(d.on_demand_percentage_above_base_capacity, Some(50));
    assert_eq!(
        d.spot_allocation_strategy.as_deref(),
        Some("capacity-optimized")
    );
    assert_eq!(g.vpc_zone_identifier.as_deref(), Some(subnets[0].as_str()));

    // What the flags cannot mean is refused before any call, naming the problem.
    for (args, says) in [
        (
            vec![
                "domain",
                "create",
                "x",
                "web",
                "1",
                "--launch-template",
                "web",
            ],
            "not both",
        ),
        (
            vec![
                "domain",
                "create",
                "x",
                "1",
                "--launch-template",
                "web:latest",
            ],
            "$Latest",
        ),
        (
            vec!["domain", "create", "x", "1", "--on-demand-base", "1"],
            "--instance-types",
        ),
    ] {
        let r = phantom(&args, &env);
        assert_ne!(r.code, 0, "{args:?}");
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }

    for g in ["web-group", "mixed"] {
        ok(&["domain", "delete", g, "--force"]);
    }
    assert_eq!(ok(&["lt", "delete", "web"]), "");
    assert!(!ok(&["lt", "list"]).contains("web "));
}

/// `lc list` shows launch configurations and launch templates (marked), `lc delete` deletes
/// whichever has the name, and `domain create NAME LC SIZE` uses the template LC when no launch
/// configuration LC exists.
#[tokio::test]
async fn lc_commands_see_both_kinds_against_moto() {
    let moto = Moto::start(&[]);
    let env = env_for(&moto, &[]);
    let ok = |args: &[&str]| ok_with(&env, args).stdout;
    ok(&[
        "lc",
        "create",
        "oldlc",
        "ami-12c6146b",
        "--instance-type",
        "t2.micro",
    ]);
    ok(&[
        "lt",
        "create",
        "newlt",
        "ami-12c6146b",
        "--instance-type",
        "t2.micro",
    ]);
    assert_eq!(ok(&["lc", "list"]), "oldlc\nnewlt (launch template)\n");
    assert_eq!(ok(&["lc", "list", "newlt"]), "newlt (launch template)\n");
    let json: Value = serde_json::from_str(&ok(&["lc", "list", "--output", "json"])).unwrap();
    let items = json["LaunchConfigurations"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{json}");
    assert_eq!(items[0]["LaunchConfigurationName"], "oldlc");
    assert!(items[0].get("LaunchTemplate").is_none());
    assert_eq!(items[1]["LaunchTemplateName"], "newlt");
    assert_eq!(items[1]["LaunchTemplate"], true);
    assert!(
        items[1]["LaunchTemplateId"]
            .as_str()
            .unwrap()
            .starts_with("lt-")
    );
    let r = phantom(&["lc", "list", "nosuch"], &env);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("nosuch"), "{}", r.stderr);

    // The seed's `domain create NAME LC SIZE`, LC being a template; and a launch configuration
    // as before.
    assert_eq!(
        ok(&["domain", "create", "g1", "newlt", "1"]),
        "using LaunchTemplate:newlt\n"
    );
    let g = group(&moto.url, "g1").await;
    assert_eq!(
        g.launch_template.unwrap().launch_template_name.as_deref(),
        Some("newlt")
    );
    assert_eq!(g.availability_zones.unwrap(), ["us-east-1a"]);
    assert_eq!(
        ok(&["domain", "create", "g2", "oldlc", "1"]),
        "using LaunchConfiguration:oldlc\n"
    );
    assert_eq!(
        group(&moto.url, "g2")
            .await
            .launch_configuration_name
            .as_deref(),
        Some("oldlc")
    );
    // Neither: the launch configuration is asked for, as before templates, and the server
    // refuses it (AWS: ValidationError; moto 5.2.5: HTTP 500).
    let r = phantom(&["domain", "create", "g3", "nothing", "1"], &env);
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("phantom: error: CreateAutoScalingGroup failed: "),
        "{}",
        r.stderr
    );
    // --instance-types needs a template.
    let r = phantom(
        &[
            "domain",
            "create",
            "g4",
            "oldlc",
            "1",
            "--instance-types",
            "t2.micro",
        ],
        &env,
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("needs a launch template"), "{}", r.stderr);

    for g in ["g1", "g2"] {
        ok(&["domain", "delete", g, "--force"]);
    }
    assert_eq!(
        ok(&["lc", "delete", "newlt"]),
        "deleted launch template newlt\n"
    );
    assert_eq!(ok(&["lc", "delete", "oldlc"]), "");
    assert_eq!(ok(&["lc", "list"]), "");
    let r = phantom(&["lc", "delete", "newlt"], &env);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains("launch configuration or launch template newlt"),
        "{}",
        r.stderr
    );
}

/// `--launch-templates`, `PHANTOM_LAUNCH_TEMPLATES=1` and the profile's `phantom_launch_templates
/// = true` each make `lc create` a template from the start (moto would take the launch
/// configuration), with one line on stderr; a bad value is refused, naming where it came from.
#[test]
fn the_forcing_flag_and_settings_against_moto() {
    let moto = Moto::start(&[]);
    let dir = TempDir::new("lt-profile");
    let config = dir.0.join("config");
    std::fs::write(&config, "[default]\nphantom_launch_templates = true\n").unwrap();
    let config = config.display().to_string();
    type Case<'a> = (&'a str, Vec<&'a str>, Vec<(&'a str, &'a str)>);
    let cases: [Case; 3] = [
        ("byflag", vec!["--launch-templates"], vec![]),
        ("byenv", vec![], vec![("PHANTOM_LAUNCH_TEMPLATES", "1")]),
        (
            "byprofile",
            vec![],
            vec![("AWS_CONFIG_FILE", config.as_str())],
        ),
    ];
    for (name, flags, extra) in &cases {
        let env = env_for(&moto, extra);
        let mut args = flags.clone();
        args.extend([
            "lc",
            "create",
            name,
            "ami-12c6146b",
            "--instance-type",
            "t2.micro",
        ]);
        let r = ok_with(&env, &args);
        assert_eq!(r.stdout, "");
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("launch templates asked for")
                && r.stderr.contains(&format!("launch template {name} (lt-")),
            "{}",
            r.stderr
        );
        // A group from it, without a Describe of launch configurations first.
        let mut args = flags.clone();
        let group = format!("{name}-g");
        args.extend(["domain", "create", &group, name, "1"]);
        assert_eq!(
            ok_with(&env, &args).stdout,
            format!("using LaunchTemplate:{name}\n")
        );
    }
    let env = env_for(&moto, &[]);
    assert_eq!(
        ok_with(&env, &["lc", "list"]).stdout,
        "byflag (launch template)\nbyenv (launch template)\nbyprofile (launch template)\n"
    );
    let env = env_for(&moto, &[("PHANTOM_LAUNCH_TEMPLATES", "maybe")]);
    let r = phantom(&["lc", "list"], &env);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("PHANTOM_LAUNCH_TEMPLATES is `maybe`"),
        "{}",
        r.stderr
    );
    std::fs::write(
        dir.0.join("config"),
        "[default]\nphantom_launch_templates = sometimes\n",
    )
    .unwrap();
    let env = env_for(&moto, &[("AWS_CONFIG_FILE", config.as_str())]);
    let r = phantom(&["lc", "list"], &env);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("phantom_launch_templates in profile default"),
        "{}",
        r.stderr
    );
}

/// `phantom serve --no-launch-configurations` refuses CreateLaunchConfiguration with AWS's code,
/// status and text (and still answers the rest); `phantom lc create` against it (EC2 at moto)
/// catches the refusal and creates the launch template, which `domain create` then uses.
#[tokio::test]
async fn lc_create_falls_back_to_a_template_when_refused() {
    let served = Served::start(&["--no-auth", "--no-launch-configurations"]);
    let moto = Moto::start(&[]);

    // The refusal itself, through the library client.
    let error = autoscaling_client(&served.url)
        .send(&CreateLaunchConfigurationInput {
            launch_configuration_name: "direct".into(),
            image_id: Some("ami-12c6146b".into()),
            instance_type: Some("t2.micro".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    match error {
        Error::Service(e) => {
            assert_eq!(
                (e.code.as_str(), e.status, e.message.as_str()),
                ("UnsupportedOperation", 400, REFUSAL)
            );
            assert!(e.request_id.is_some());
        }
        other => panic!("expected the refusal, got {other:?}"),
    }

    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_ENDPOINT_URL_AUTO_SCALING", served.url.as_str()),
        ("AWS_ENDPOINT_URL_EC2", moto.url.as_str()),
    ];
    let common = ["--dialect", "aws"];
    let run = |args: &[&str]| {
        let mut all: Vec<&str> = common.to_vec();
        all.extend_from_slice(args);
        phantom(&all, &env)
    };
    let r = run(&[
        "lc",
        "create",
        "testlc1",
        "ami-12c6146b",
        "--instance-type",
        "t2.micro",
        "--key-name",
        "k",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("(UnsupportedOperation)")
            && r.stderr.contains("created launch template testlc1 (lt-"),
        "{}",
        r.stderr
    );
    // The template is moto's, with the launch configuration's settings.
    let versions: Vec<LaunchTemplateVersion> = ec2_client(&moto.url)
        .describe_launch_template_versions(&DescribeLaunchTemplateVersionsInput {
            launch_template_name: Some("testlc1".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .launch_template_versions
        .unwrap();
    let data = versions[0].launch_template_data.as_ref().unwrap();
    assert_eq!(data.image_id.as_deref(), Some("ami-12c6146b"));
    assert_eq!(data.instance_type.as_deref(), Some("t2.micro"));
    assert_eq!(data.key_name.as_deref(), Some("k"));
    let r = run(&["lc", "list", "--output", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        json["LaunchConfigurations"][0]["LaunchTemplateName"],
        "testlc1"
    );
    assert_eq!(json["LaunchConfigurations"][0]["LaunchTemplate"], true);
    let r = run(&["lc", "delete", "testlc1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "deleted launch template testlc1\n");
    assert_eq!(run(&["lc", "list"]).stdout, "");
}

/// The seed session, its commands exactly as `cli_local` runs them (Phantom dialect through
/// `PHANTOM_URL` and the `EC2_*` keys), against `phantom serve --no-launch-configurations`
/// serving both Auto Scaling and EC2 on one port: `lc create` becomes a template (the site kept
/// as its tag), the group is made from it at that site, and `lc delete` removes it.
#[test]
fn seed_session_unchanged_against_serve_without_launch_configurations() {
    let dir = TempDir::new("lt-seed");
    let creds = dir.0.join("credentials");
    std::fs::write(
        &creds,
        "[scientist]\naws_access_key_id = AKIDSCIENTIST\naws_secret_access_key = scientist-secret\n",
    )
    .unwrap();
    let creds = creds.display().to_string();
    let served = Served::start(&["--credentials", &creds, "--no-launch-configurations"]);
    let steps: Vec<Vec<&str>> = vec![
        vec!["lc", "create", "testlc1", "hello-phantom.gz", "hotel"],
        vec!["lc", "list"],
        vec![
            "domain",
            "create",
            "testDomain1",
            "testlc1",
            "1",
            "--wait",
            "--timeout",
            "30s",
        ],
        vec!["domain", "list"],
        vec!["domain", "delete", "testDomain1"],
        vec!["lc", "delete", "testlc1"],
        vec!["lc", "list"],
    ];
    let env = [
        ("PHANTOM_URL", served.url.as_str()),
        ("EC2_ACCESS_KEY", "AKIDSCIENTIST"),
        ("EC2_SECRET_KEY", "scientist-secret"),
    ];
    let runs: Vec<Run> = steps.iter().map(|step| phantom(step, &env)).collect();
    for (i, r) in runs.iter().enumerate() {
        assert_eq!(r.code, 0, "step {i} {:?}: {}", steps[i], r.stderr);
    }
    assert!(
        runs[0].stderr.contains("(UnsupportedOperation)"),
        "{}",
        runs[0].stderr
    );
    assert_eq!(runs[1].stdout, "testlc1 (launch template)\n");
    assert_eq!(runs[2].stdout, "using LaunchTemplate:testlc1\n");
    assert_eq!(
        runs[3].stdout,
        "testDomain1\n    testlc1 : 1\n    Instances:\n    ---------\n        hotel : Healthy\n"
    );
    assert_eq!(runs[4].stdout, "deleting testDomain1\n");
    assert_eq!(runs[5].stdout, "deleted launch template testlc1\n");
    assert_eq!(runs[6].stdout, "", "launch templates left");
}
