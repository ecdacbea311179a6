//! The Elastic Load Balancing clients against a moto of the test's own (moto implements both
//! slices): every operation of ELBv2's and classic ELB's slices with the typed client, the
//! paginated Describes through `items`, ELB's error envelope read into the service error, and
//! `phantom api elbv2 ...` / `phantom api elb ...` through the binary, their JSON compared with
//! what the AWS CLI prints for the same calls.

use futures_util::StreamExt;
use phantom_autoscale::Credentials;
use phantom_autoscale::autoscaling;
use phantom_autoscale::ec2;
use phantom_autoscale::elb::classic::types as classic;
use phantom_autoscale::elb::v2::types as v2;
use phantom_autoscale::elb::{Classic, Client, Slice, V2};
use phantom_autoscale::error::Error;
use phantom_autoscale::query::endpoint::Endpoint;
use phantom_autoscale::query::transport::TransportConfig;
use serde_json::Value;

use crate::util::peers::{Moto, peer, phantom};

fn config(moto: &Moto) -> TransportConfig {
    let mut config = TransportConfig::new(Endpoint::parse(&moto.url).unwrap(), "us-east-1");
    config.credentials = Some(Credentials::new("testing", "testing"));
    config
}

fn client<S: Slice>(moto: &Moto) -> Client<S> {
    Client::new(config(moto)).unwrap()
}

/// The service error's code and message, or a panic naming what came instead.
fn service_error(error: Error) -> (String, String) {
    match error {
        Error::Service(e) => {
            assert!(e.request_id.is_some(), "no request id in {e:?}");
            (e.code, e.message)
        }
        other => panic!("expected a service error, got {other:?}"),
    }
}

/// The default VPC's id and two of its subnets in moto.
async fn default_subnets(moto: &Moto) -> (String, Vec<String>) {
    let mut config = config(moto);
    config.service = ec2::SERVICE.into();
    let ec2 = ec2::Client::new(config).unwrap();
    let subnets = ec2
        .send(&ec2::types::DescribeSubnetsInput::default())
        .await
        .unwrap()
        .output
        .subnets
        .unwrap();
    let vpc = subnets[0].vpc_id.clone().unwrap();
    let ids = subnets
        .iter()
        .filter(|s| s.vpc_id.as_deref() == Some(&vpc))
        .filter_map(|s| s.subnet_id.clone())
        .take(2)
        .collect();
    (vpc, ids)
}

/// Two instances moto launched for a group (so that they exist for classic ELB's checks).
async fn two_instances(moto: &Moto) -> Vec<String> {
    let c = autoscaling::Client::new(config(moto)).unwrap();
    c.create_launch_configuration(&autoscaling::types::CreateLaunchConfigurationInput {
        launch_configuration_name: "elb-lc".into(),
        image_id: Some("ami-12345678".into()),
        instance_type: Some("t2.micro".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    c.create_auto_scaling_group(&autoscaling::types::CreateAutoScalingGroupInput {
        auto_scaling_group_name: "elb-group".into(),
        launch_configuration_name: Some("elb-lc".into()),
        min_size: 2,
        max_size: 2,
        availability_zones: Some(vec!["us-east-1a".into()]),
        ..Default::default()
    })
    .await
    .unwrap();
    let groups = c
        .describe_auto_scaling_groups(&Default::default())
        .await
        .unwrap();
    groups.auto_scaling_groups.unwrap()[0]
        .instances
        .iter()
        .flatten()
        .filter_map(|i| i.instance_id.clone())
        .collect()
}

#[tokio::test]
async fn elbv2_calls_against_moto() {
    let moto = Moto::start(&[]);
    let c: Client<V2> = client(&moto);
    let (vpc, subnets) = default_subnets(&moto).await;
    let lb = c
        .create_load_balancer(&v2::CreateLoadBalancerInput {
            name: "web".into(),
            subnets: Some(subnets.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .load_balancers
        .unwrap()
        .remove(0);
    let lb_arn = lb.load_balancer_arn.clone().unwrap();
    assert!(
        lb_arn.starts_with(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/"
        ),
        "{lb_arn}"
    );
    assert_eq!(lb.vpc_id.as_deref(), Some(vpc.as_str()));
    assert_eq!(lb.availability_zones.unwrap().len(), 2);

    let mut arns = Vec::new();
    for name in ["tg-a", "tg-b", "tg-c"] {
        let tg = c
            .create_target_group(&v2::CreateTargetGroupInput {
                name: name.into(),
                protocol: Some("HTTP".into()),
                port: Some(80),
                vpc_id: Some(vpc.clone()),
                ..Default::default()
            })
            .await
            .unwrap()
            .target_groups
            .unwrap()
            .remove(0);
        assert_eq!(tg.target_group_name.as_deref(), Some(name));
        arns.push(tg.target_group_arn.unwrap());
    }
    // Every page, two at a time.
    let listed: Vec<v2::TargetGroup> = c
        .items(v2::DescribeTargetGroupsInput {
            page_size: Some(2),
            ..Default::default()
        })
        .map(|r| r.unwrap())
        .collect()
        .await;
    let mut names: Vec<String> = listed
        .iter()
        .filter_map(|t| t.target_group_name.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["tg-a", "tg-b", "tg-c"]);

    let modified = c
        .modify_target_group(&v2::ModifyTargetGroupInput {
            target_group_arn: arns[0].clone(),
            health_check_path: Some("/healthz".into()),
            healthy_threshold_count: Some(3),
            ..Default::default()
        })
        .await
        .unwrap()
        .target_groups
        .unwrap()
        .remove(0);
    assert_eq!(modified.health_check_path.as_deref(), Some("/healthz"));
    assert_eq!(modified.healthy_threshold_count, Some(3));

    let listener = c
        .create_listener(&v2::CreateListenerInput {
            load_balancer_arn: lb_arn.clone(),
            protocol: Some("HTTP".into()),
            port: Some(80),
            default_actions: vec![v2::Action {
                r#type: Some("forward".into()),
                target_group_arn: Some(arns[0].clone()),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .unwrap()
        .listeners
        .unwrap()
        .remove(0);
    let listener_arn = listener.listener_arn.unwrap();
    let listeners = c
        .describe_listeners(&v2::DescribeListenersInput {
            load_balancer_arn: Some(lb_arn.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .listeners
        .unwrap();
    assert_eq!(listeners.len(), 1);
    assert_eq!(listeners[0].port, Some(80));
    let action = &listeners[0].default_actions.as_ref().unwrap()[0];
    assert_eq!(action.target_group_arn.as_deref(), Some(arns[0].as_str()));

    let target = |id: &str| v2::TargetDescription {
        id: Some(id.into()),
        port: Some(8080),
        ..Default::default()
    };
    c.register_targets(&v2::RegisterTargetsInput {
        target_group_arn: arns[0].clone(),
        targets: vec![target("i-0123456789abcdef0"), target("i-0123456789abcdef1")],
    })
    .await
    .unwrap();
    let health = c
        .describe_target_health(&v2::DescribeTargetHealthInput {
            target_group_arn: arns[0].clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .target_health_descriptions
        .unwrap();
    let mut ids: Vec<String> = health
        .iter()
        .map(|h| h.target.as_ref().unwrap().id.clone().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, ["i-0123456789abcdef0", "i-0123456789abcdef1"]);
    assert!(
        health
            .iter()
            .all(|h| h.target.as_ref().unwrap().port == Some(8080))
    );
    c.deregister_targets(&v2::DeregisterTargetsInput {
        target_group_arn: arns[0].clone(),
        targets: vec![target("i-0123456789abcdef0")],
    })
    .await
    .unwrap();

    // ELB's errors, in the Query envelope, with the model's codes.
    let (code, _) = service_error(
        c.describe_target_groups(&v2::DescribeTargetGroupsInput {
            names: Some(vec!["missing".into()]),
            ..Default::default()
        })
        .await
        .unwrap_err(),
    );
    assert_eq!(code, "TargetGroupNotFound");
    let (code, _) = service_error(
        c.create_target_group(&v2::CreateTargetGroupInput {
            name: "tg-a".into(),
            protocol: Some("HTTP".into()),
            port: Some(81),
            vpc_id: Some(vpc.clone()),
            ..Default::default()
        })
        .await
        .unwrap_err(),
    );
    assert_eq!(code, "DuplicateTargetGroupName");

    c.delete_listener(&v2::DeleteListenerInput {
        listener_arn: listener_arn.clone(),
    })
    .await
    .unwrap();
    for arn in &arns {
        c.delete_target_group(&v2::DeleteTargetGroupInput {
            target_group_arn: arn.clone(),
        })
        .await
        .unwrap();
    }
    c.delete_load_balancer(&v2::DeleteLoadBalancerInput {
        load_balancer_arn: lb_arn.clone(),
    })
    .await
    .unwrap();
    let (code, _) = service_error(
        c.describe_load_balancers(&v2::DescribeLoadBalancersInput {
            load_balancer_arns: Some(vec![lb_arn]),
            ..Default::default()
        })
        .await
        .unwrap_err(),
    );
    assert_eq!(code, "LoadBalancerNotFound");
}

#[tokio::test]
async fn classic_elb_calls_against_moto() {
    let moto = Moto::start(&[]);
    let c: Client<Classic> = client(&moto);
    let instances = two_instances(&moto).await;
    assert_eq!(instances.len(), 2);
    let created = c
        .create_load_balancer(&classic::CreateLoadBalancerInput {
            load_balancer_name: "classic".into(),
            listeners: vec![classic::Listener {
                protocol: Some("HTTP".into()),
                load_balancer_port: Some(80),
                instance_port: Some(8080),
                ..Default::default()
            }],
            availability_zones: Some(vec!["us-east-1a".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        created.dns_name.as_deref().unwrap().starts_with("classic"),
        "{created:?}"
    );
    let check = c
        .configure_health_check(&classic::ConfigureHealthCheckInput {
            load_balancer_name: "classic".into(),
            health_check: classic::HealthCheck {
                target: Some("HTTP:8080/ping".into()),
                interval: Some(30),
                timeout: Some(5),
                unhealthy_threshold: Some(2),
                healthy_threshold: Some(10),
            },
        })
        .await
        .unwrap()
        .health_check
        .unwrap();
    assert_eq!(check.target.as_deref(), Some("HTTP:8080/ping"));

    // moto 5.2.5 answers both calls with an empty `Instances` (AWS lists the load balancer's
    // instances): what they did is read back from the Describes instead.
    c.register_instances_with_load_balancer(&classic::RegisterInstancesWithLoadBalancerInput {
        load_balancer_name: "classic".into(),
        instances: instances
            .iter()
            .map(|id| classic::Instance {
                instance_id: Some(id.clone()),
            })
            .collect(),
    })
    .await
    .unwrap();
    let health = c
        .describe_instance_health(&classic::DescribeInstanceHealthInput {
            load_balancer_name: "classic".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .instance_states
        .unwrap();
    assert_eq!(health.len(), 2);
    assert!(
        health
            .iter()
            .all(|h| h.state.as_deref() == Some("InService")),
        "{health:?}"
    );
    c.deregister_instances_from_load_balancer(&classic::DeregisterInstancesFromLoadBalancerInput {
        load_balancer_name: "classic".into(),
        instances: vec![classic::Instance {
            instance_id: Some(instances[0].clone()),
        }],
    })
    .await
    .unwrap();

    let all: Vec<classic::LoadBalancerDescription> = c
        .items(classic::DescribeLoadBalancersInput::default())
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert_eq!(all.len(), 1);
    let lb = &all[0];
    assert_eq!(lb.load_balancer_name.as_deref(), Some("classic"));
    assert_eq!(lb.instances.as_ref().unwrap().len(), 1);
    assert_eq!(
        lb.health_check.as_ref().unwrap().target.as_deref(),
        Some("HTTP:8080/ping")
    );
    let listener = &lb.listener_descriptions.as_ref().unwrap()[0];
    assert_eq!(
        listener.listener.as_ref().unwrap().instance_port,
        Some(8080)
    );

    c.delete_load_balancer(&classic::DeleteLoadBalancerInput {
        load_balancer_name: "classic".into(),
    })
    .await
    .unwrap();
    let (code, message) = service_error(
        c.describe_load_balancers(&classic::DescribeLoadBalancersInput {
            load_balancer_names: Some(vec!["classic".into()]),
            ..Default::default()
        })
        .await
        .unwrap_err(),
    );
    assert_eq!(code, "LoadBalancerNotFound", "{message}");
}

/// The environment of a binary run against moto with moto's keys, one attempt per call.
fn moto_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", url.to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("AWS_MAX_ATTEMPTS", "1".into()),
    ]
}

fn run_json(run: &crate::util::run::Run) -> Value {
    assert_eq!(run.code, 0, "stdout {}\nstderr {}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// The AWS CLI's JSON for `aws SERVICE OPERATION ARGS` against `url`.
fn aws_json(url: &str, service: &str, args: &[&str]) -> Value {
    let mut cmd = std::process::Command::new(peer("PHANTOM_TEST_AWS"));
    cmd.arg(service)
        .args(args)
        .args(["--endpoint-url", url, "--output", "json"])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    let run = crate::util::run::run_bounded(cmd);
    run_json(&run)
}

#[tokio::test]
async fn phantom_api_reaches_both_slices_by_service_name() {
    let moto = Moto::start(&[]);
    let c: Client<V2> = client(&moto);
    let (vpc, _) = default_subnets(&moto).await;
    for name in ["api-a", "api-b", "api-c"] {
        c.create_target_group(&v2::CreateTargetGroupInput {
            name: name.into(),
            protocol: Some("HTTP".into()),
            port: Some(80),
            vpc_id: Some(vpc.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    }
    let url = moto.url.clone();
    let (ours, theirs) = tokio::task::spawn_blocking(move || {
        let env = moto_env(&url);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        // Every page (one target group a page) merged into one listing, as the AWS CLI prints it.
        let ours = run_json(&phantom(
            &[
                "api",
                "elbv2",
                "DescribeTargetGroups",
                "--input",
                r#"{"PageSize": 1}"#,
            ],
            &env,
        ));
        let theirs = aws_json(
            &url,
            "elbv2",
            &["describe-target-groups", "--page-size", "1"],
        );
        (ours, theirs)
    })
    .await
    .unwrap();
    assert_eq!(ours["TargetGroups"].as_array().unwrap().len(), 3, "{ours}");
    assert_eq!(ours, theirs);

    let classic: Client<Classic> = client(&moto);
    classic
        .create_load_balancer(&classic::CreateLoadBalancerInput {
            load_balancer_name: "api-classic".into(),
            listeners: vec![classic::Listener {
                protocol: Some("TCP".into()),
                load_balancer_port: Some(443),
                instance_port: Some(8443),
                ..Default::default()
            }],
            availability_zones: Some(vec!["us-east-1b".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    let url = moto.url.clone();
    let run = tokio::task::spawn_blocking(move || {
        let env = moto_env(&url);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        phantom(&["api", "elb", "describe-load-balancers"], &env)
    })
    .await
    .unwrap();
    let ours = run_json(&run);
    let lbs = ours["LoadBalancerDescriptions"].as_array().unwrap();
    assert_eq!(lbs.len(), 1, "{ours}");
    assert_eq!(lbs[0]["LoadBalancerName"], "api-classic");
    assert_eq!(
        lbs[0]["ListenerDescriptions"][0]["Listener"]["InstancePort"],
        8443
    );

    // A bare operation name stays Auto Scaling's; an unknown one in a slice names the slice's.
    let run = phantom(&["api", "elbv2", "DescribeNothing"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("elbv2") && run.stderr.contains("DescribeTargetGroups"),
        "{}",
        run.stderr
    );
    let run = phantom(
        &["api", "elb", "DescribeLoadBalancers", "--generate-skeleton"],
        &[],
    );
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("--generate-skeleton"), "{}", run.stderr);
}
