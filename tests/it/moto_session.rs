//! The seed's session and its error cases, through the real `phantom` binary, against moto
//! (started by scripts/test.sh; tests that change moto's settings start their own).

use crate::util::peers::{Moto, Run, moto_url, phantom, python, unique};
use phantom_autoscale::Credentials;
use phantom_autoscale::autoscaling::Client;
use phantom_autoscale::autoscaling::types::*;
use phantom_autoscale::query::endpoint::Endpoint;
use phantom_autoscale::query::transport::TransportConfig;
use serde_json::Value;

fn env_for(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_ENDPOINT_URL", url.to_string()),
    ]
}

fn run(url: &str, args: &[&str]) -> Run {
    let env = env_for(url);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    phantom(args, &env)
}

fn ok(url: &str, args: &[&str]) -> String {
    let r = run(url, args);
    assert_eq!(r.code, 0, "phantom {args:?} failed: {}", r.stderr);
    r.stdout
}

#[test]
fn seed_session_runs_against_moto() {
    let url = moto_url();
    let lc = unique("testlc1");
    let domain = unique("testDomain1");
    assert_eq!(
        ok(&url, &["lc", "create", &lc, "hello-phantom.gz", "hotel"]),
        ""
    );
    assert_eq!(ok(&url, &["lc", "list", &lc]), format!("{lc}\n"));
    assert_eq!(
        ok(&url, &["domain", "create", &domain, &lc, "1"]),
        format!("using LaunchConfiguration:{lc}\n")
    );
    assert_eq!(
        ok(&url, &["domain", "list", &domain]),
        format!(
            "{domain}\n    {lc} : 1\n    Instances:\n    ---------\n        us-east-1a : Healthy\n"
        )
    );
    let instances = ok(&url, &["instances", "list"]);
    assert!(
        instances
            .lines()
            .any(|l| l.contains(&domain) && l.contains("InService")),
        "{instances}"
    );

    // JSON output keeps the API's field names.
    let json: Value =
        serde_json::from_str(&ok(&url, &["domain", "list", &domain, "--output", "json"])).unwrap();
    let group = &json["AutoScalingGroups"][0];
    assert_eq!(group["AutoScalingGroupName"], domain.as_str());
    assert_eq!(group["LaunchConfigurationName"], lc.as_str());
    assert_eq!(group["DesiredCapacity"], 1);
    assert_eq!(group["Instances"].as_array().unwrap().len(), 1);

    // The n-preserving size: min = max = desired.
    assert_eq!(ok(&url, &["domain", "alter", &domain, "2"]), "");
    let json: Value =
        serde_json::from_str(&ok(&url, &["domain", "list", &domain, "--output", "json"])).unwrap();
    let group = &json["AutoScalingGroups"][0];
    assert_eq!(
        (
            group["MinSize"].as_i64(),
            group["MaxSize"].as_i64(),
            group["DesiredCapacity"].as_i64()
        ),
        (Some(2), Some(2), Some(2))
    );

    assert_eq!(
        ok(&url, &["domain", "delete", &domain, "--force"]),
        format!("deleting {domain}\n")
    );
    assert_eq!(ok(&url, &["lc", "delete", &lc]), "");
    // Gone: asking for them by name is "no such ...", exit 1 (wsdl-notes/errors.md).
    for (args, said) in [
        (
            ["lc", "list", lc.as_str()],
            format!("no such launch configuration {lc}"),
        ),
        (
            ["domain", "list", domain.as_str()],
            format!("no such domain {domain}"),
        ),
    ] {
        let r = run(&url, &args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.trim(), format!("phantom: error: {said}"));
        assert_eq!(r.stdout, "");
    }
}

#[test]
fn missing_names_and_bad_sizes_are_clear_errors() {
    let url = moto_url();
    let missing = unique("no-such-domain");

    let r = run(&url, &["domain", "alter", &missing, "2"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr.trim(),
        format!("phantom: error: no such domain {missing}")
    );

    let r = run(&url, &["domain", "delete", &missing]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("phantom: error: DeleteAutoScalingGroup failed: ValidationError: "),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("(HTTP 400, request id "), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);

    let r = run(
        &url,
        &["domain", "create", &missing, "lc", "5", "--max", "3"],
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.trim(),
        "phantom: error: configuration: size 5 must lie between --min 5 and --max 3"
    );

    let r = run(&url, &["domain", "create", &missing, "lc", "many"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("invalid value 'many' for '<SIZE>'"),
        "{}",
        r.stderr
    );

    let r = run(&url, &["domain", "create", &missing, "lc", "-1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

fn client_for(url: &str) -> Client {
    let mut config = TransportConfig::new(Endpoint::parse(url).unwrap(), "us-east-1");
    config.credentials = Some(Credentials::new("testing", "testing"));
    Client::new(config).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_120_groups_across_pages() {
    let moto = Moto::start(&[]);
    let client = client_for(&moto.url);
    client
        .create_launch_configuration(&CreateLaunchConfigurationInput {
            launch_configuration_name: "lc".into(),
            image_id: Some("ami-12345678".into()),
            instance_type: Some("t2.micro".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let names: Vec<String> = (0..120).map(|i| format!("group-{i:03}")).collect();
    for name in &names {
        client
            .create_auto_scaling_group(&CreateAutoScalingGroupInput {
                auto_scaling_group_name: name.clone(),
                launch_configuration_name: Some("lc".into()),
                min_size: 0,
                max_size: 1,
                desired_capacity: Some(0),
                availability_zones: Some(vec!["us-east-1a".into()]),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let url = moto.url.clone();
    let r = tokio::task::spawn_blocking(move || {
        run(&url, &["domain", "list", "--output", "json", "--debug"])
    })
    .await
    .unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    let listed: Vec<&str> = json["AutoScalingGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["AutoScalingGroupName"].as_str().unwrap())
        .collect();
    assert_eq!(listed, names.iter().map(String::as_str).collect::<Vec<_>>());
    // moto pages by 50: three requests, the second and third carrying NextToken.
    let requests: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("> Action=DescribeAutoScalingGroups"))
        .collect();
    assert_eq!(requests.len(), 3, "{}", r.stderr);
    assert!(
        !requests[0].contains("NextToken")
            && requests[1].contains("NextToken=")
            && requests[2].contains("NextToken=")
    );

    // Text output streams the same 120, one block each.
    let url = moto.url.clone();
    let r = tokio::task::spawn_blocking(move || run(&url, &["domain", "list"]))
        .await
        .unwrap();
    let heads: Vec<&str> = r.stdout.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(heads.len(), 120);

    // The library's item stream agrees.
    use futures_util::StreamExt;
    let items: Vec<_> = client
        .items(DescribeAutoScalingGroupsInput::default())
        .collect()
        .await;
    assert_eq!(items.len(), 120);
    assert!(items.iter().all(|i| i.is_ok()));
}

#[test]
fn moto_signature_checking_accepts_a_good_key_and_refuses_a_wrong_secret() {
    let moto = Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
    // Three unauthenticated IAM calls make a user allowed to use Auto Scaling, and its key.
    let script = r#"
import boto3, json, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
iam.create_user(UserName="scientist")
iam.put_user_policy(UserName="scientist", PolicyName="as", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "autoscaling:*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="scientist")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
"#;
    let out = std::process::Command::new(python())
        .args(["-c", script, &moto.url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut parts = text.split_whitespace();
    let (key, secret) = (
        parts.next().unwrap().to_string(),
        parts.next().unwrap().to_string(),
    );

    let good = phantom(
        &["domain", "list"],
        &[
            ("AWS_ACCESS_KEY_ID", &key),
            ("AWS_SECRET_ACCESS_KEY", &secret),
            ("AWS_ENDPOINT_URL", &moto.url),
        ],
    );
    assert_eq!(good.code, 0, "{}", good.stderr);

    let wrong = phantom(
        &["domain", "list"],
        &[
            ("AWS_ACCESS_KEY_ID", &key),
            ("AWS_SECRET_ACCESS_KEY", "not-the-secret"),
            ("AWS_ENDPOINT_URL", &moto.url),
        ],
    );
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    assert!(
        wrong
            .stderr
            .starts_with("phantom: error: DescribeAutoScalingGroups failed: SignatureDoesNotMatch"),
        "{}",
        wrong.stderr
    );
    assert!(wrong.stderr.contains("HTTP 403"), "{}", wrong.stderr);
    assert!(!wrong.stderr.contains("not-the-secret"));
}
