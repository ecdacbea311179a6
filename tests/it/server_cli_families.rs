//! The AWS CLI v1 as an independent client of `phantom serve`, one session touching every family
//! of the API with SigV4 and a real key: a launch template (EC2's slice), a group made from it,
//! tags, a policy executed, a scheduled action, a lifecycle hook, standby, processes,
//! notifications, metrics, the account's limits, a classic load balancer attached, a
//! warm pool and an instance refresh, and the deletes. Each step checks what the AWS CLI printed
//! (its JSON), so a reply it cannot read or a change that did not happen fails here.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::util::peers::{output, peer};
use phantom_autoscale::Credentials;
use phantom_autoscale::server::{RunningServer, ServeOptions, start};

fn key() -> Credentials {
    Credentials::new("AKIDFAMILIES00000001", "families/secret+key=")
}

struct Cli {
    aws: String,
    url: String,
}

impl Cli {
    fn command(&self, service: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.aws);
        cmd.args([service, "--endpoint-url", &self.url, "--output", "json"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", key().access_key_id())
            .env("AWS_SECRET_ACCESS_KEY", key().secret_access_key().expose())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        cmd
    }

    /// Runs `aws SERVICE ARGS...`, which must succeed, and reads its JSON (Null when it printed
    /// nothing).
    async fn ok(&self, service: &str, args: &[&str]) -> Value {
        let out = output(self.command(service, args)).await;
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            out.status.success(),
            "aws {service} {args:?} failed:\n{stdout}\n{stderr}"
        );
        if stdout.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&stdout).expect("JSON output")
        }
    }

    /// Runs a call that must fail with `code`; returns the AWS CLI's message.
    async fn fails(&self, service: &str, args: &[&str], code: &str) -> String {
        let out = output(self.command(service, args)).await;
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!out.status.success(), "aws {service} {args:?} succeeded");
        assert!(stderr.contains(&format!("({code})")), "{stderr}");
        stderr
    }

    async fn asg(&self, args: &[&str]) -> Value {
        self.ok("autoscaling", args).await
    }

    async fn group(&self) -> Value {
        let out = self
            .asg(&[
                "describe-auto-scaling-groups",
                "--auto-scaling-group-names",
                "fam",
            ])
            .await;
        out["AutoScalingGroups"][0].clone()
    }

    /// Polls the group until `done` holds (at most 30 s).
    async fn until(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..60 {
            let g = self.group().await;
            if done(&g) {
                return g;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("the group never got to: {what}: {}", self.group().await);
    }
}

async fn server() -> RunningServer {
    start(ServeOptions {
        keys: vec![key()],
        launch_delay: Duration::from_millis(100),
        terminate_delay: Duration::from_millis(100),
        // A 20 s warm-up lasts 2 s: the refresh is still running when the second start comes.
        refresh_time_scale: 0.1,
        ..ServeOptions::default()
    })
    .await
    .unwrap()
}

fn in_service(g: &Value, n: usize) -> bool {
    let instances = g["Instances"].as_array().cloned().unwrap_or_default();
    instances.len() == n && instances.iter().all(|i| i["LifecycleState"] == "InService")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_drives_every_family() {
    let server = server().await;
    let cli = Cli {
        aws: peer("PHANTOM_TEST_AWS"),
        url: server.url(),
    };

    // EC2's slice: a launch template with two versions.
    let lt = cli
        .ok(
            "ec2",
            &[
                "create-launch-template",
                "--launch-template-name",
                "fam-lt",
                "--launch-template-data",
                r#"{"ImageId":"ami-11111111","InstanceType":"t3.micro"}"#,
            ],
        )
        .await;
    assert_eq!(lt["LaunchTemplate"]["LatestVersionNumber"], 1);
    let v2 = cli
        .ok(
            "ec2",
            &[
                "create-launch-template-version",
                "--launch-template-name",
                "fam-lt",
                "--source-version",
                "1",
                "--launch-template-data",
                r#"{"ImageId":"ami-22222222"}"#,
            ],
        )
        .await;
    assert_eq!(v2["LaunchTemplateVersion"]["VersionNumber"], 2);

    // Groups, from the template's version 1.
    cli.asg(&[
        "create-auto-scaling-group",
        "--auto-scaling-group-name",
        "fam",
        "--launch-template",
        "LaunchTemplateName=fam-lt,Version=1",
        "--min-size",
        "0",
        "--max-size",
        "6",
        "--desired-capacity",
        "2",
        "--availability-zones",
        "us-east-1a",
    ])
    .await;
    let g = cli.until("2 InService", |g| in_service(g, 2)).await;
    assert_eq!(g["LaunchTemplate"]["LaunchTemplateName"], "fam-lt");
    cli.fails(
        "autoscaling",
        &[
            "set-desired-capacity",
            "--auto-scaling-group-name",
            "fam",
            "--desired-capacity",
            "7",
        ],
        "ValidationError",
    )
    .await;

    // Tags.
    cli.asg(&[
        "create-or-update-tags",
        "--tags",
        "ResourceId=fam,ResourceType=auto-scaling-group,Key=team,Value=phantom,PropagateAtLaunch=true",
    ])
    .await;
    let tags = cli
        .asg(&["describe-tags", "--filters", "Name=key,Values=team"])
        .await;
    assert_eq!(tags["Tags"][0]["Value"], "phantom");

    // A simple scaling policy, executed: the desired capacity follows.
    let policy = cli
        .asg(&[
            "put-scaling-policy",
            "--auto-scaling-group-name",
            "fam",
            "--policy-name",
            "up-one",
            "--adjustment-type",
            "ChangeInCapacity",
            "--scaling-adjustment",
            "1",
        ])
        .await;
    assert!(
        policy["PolicyARN"]
            .as_str()
            .unwrap()
            .contains(":scalingPolicy:")
    );
    cli.asg(&[
        "execute-policy",
        "--auto-scaling-group-name",
        "fam",
        "--policy-name",
        "up-one",
        "--no-honor-cooldown",
    ])
    .await;
    assert_eq!(cli.group().await["DesiredCapacity"], 3);

    // A scheduled action, listed.
    cli.asg(&[
        "put-scheduled-update-group-action",
        "--auto-scaling-group-name",
        "fam",
        "--scheduled-action-name",
        "nightly",
        "--recurrence",
        "0 3 * * *",
        "--desired-capacity",
        "1",
    ])
    .await;
    let sched = cli
        .asg(&[
            "describe-scheduled-actions",
            "--auto-scaling-group-name",
            "fam",
        ])
        .await;
    assert_eq!(
        sched["ScheduledUpdateGroupActions"][0]["Recurrence"],
        "0 3 * * *"
    );

    // A lifecycle hook, listed.
    cli.asg(&[
        "put-lifecycle-hook",
        "--auto-scaling-group-name",
        "fam",
        "--lifecycle-hook-name",
        "drain",
        "--lifecycle-transition",
        "autoscaling:EC2_INSTANCE_TERMINATING",
        "--heartbeat-timeout",
        "30",
        "--default-result",
        "CONTINUE",
    ])
    .await;
    let hooks = cli
        .asg(&[
            "describe-lifecycle-hooks",
            "--auto-scaling-group-name",
            "fam",
        ])
        .await;
    assert_eq!(hooks["LifecycleHooks"][0]["HeartbeatTimeout"], 30);
    cli.asg(&[
        "delete-lifecycle-hook",
        "--auto-scaling-group-name",
        "fam",
        "--lifecycle-hook-name",
        "drain",
    ])
    .await;

    // Standby and back.
    let g = cli.until("3 InService", |g| in_service(g, 3)).await;
    let id = g["Instances"][0]["InstanceId"]
        .as_str()
        .unwrap()
        .to_string();
    let standby = cli
        .asg(&[
            "enter-standby",
            "--auto-scaling-group-name",
            "fam",
            "--instance-ids",
            &id,
            "--should-decrement-desired-capacity",
        ])
        .await;
    assert!(
        standby["Activities"][0]["Description"]
            .as_str()
            .unwrap()
            .contains(&id)
    );
    let inst = cli
        .asg(&["describe-auto-scaling-instances", "--instance-ids", &id])
        .await;
    assert_eq!(inst["AutoScalingInstances"][0]["LifecycleState"], "Standby");
    cli.asg(&[
        "exit-standby",
        "--auto-scaling-group-name",
        "fam",
        "--instance-ids",
        &id,
    ])
    .await;

    // Processes.
    cli.asg(&[
        "suspend-processes",
        "--auto-scaling-group-name",
        "fam",
        "--scaling-processes",
        "AZRebalance",
    ])
    .await;
    assert_eq!(
        cli.group().await["SuspendedProcesses"][0]["ProcessName"],
        "AZRebalance"
    );
    cli.asg(&["resume-processes", "--auto-scaling-group-name", "fam"])
        .await;

    // Notifications and metrics.
    cli.asg(&[
        "put-notification-configuration",
        "--auto-scaling-group-name",
        "fam",
        "--topic-arn",
        "arn:aws:sns:us-east-1:123456789012:fam-topic",
        "--notification-types",
        "autoscaling:EC2_INSTANCE_LAUNCH",
    ])
    .await;
    let notes = cli
        .asg(&[
            "describe-notification-configurations",
            "--auto-scaling-group-names",
            "fam",
        ])
        .await;
    assert_eq!(
        notes["NotificationConfigurations"][0]["NotificationType"],
        "autoscaling:EC2_INSTANCE_LAUNCH"
    );
    cli.asg(&[
        "enable-metrics-collection",
        "--auto-scaling-group-name",
        "fam",
        "--granularity",
        "1Minute",
    ])
    .await;
    assert!(
        !cli.group().await["EnabledMetrics"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The account.
    let limits = cli.asg(&["describe-account-limits"]).await;
    assert_eq!(limits["NumberOfAutoScalingGroups"], 1);
    // (DescribeAccountSettings is newer than the AWS CLI v1's botocore 1.43.62: boto3 covers it in
    // server_misc.)

    // Load balancer attachments: a classic load balancer made with `aws elb`, attached, listed
    // and detached.
    cli.ok(
        "elb",
        &[
            "create-load-balancer",
            "--load-balancer-name",
            "fam-clb",
            "--listeners",
            "Protocol=HTTP,LoadBalancerPort=80,InstanceProtocol=HTTP,InstancePort=80",
            "--availability-zones",
            "us-east-1a",
        ],
    )
    .await;
    cli.asg(&[
        "attach-load-balancers",
        "--auto-scaling-group-name",
        "fam",
        "--load-balancer-names",
        "fam-clb",
    ])
    .await;
    let lbs = cli
        .asg(&[
            "describe-load-balancers",
            "--auto-scaling-group-name",
            "fam",
        ])
        .await;
    assert_eq!(lbs["LoadBalancers"][0]["LoadBalancerName"], "fam-clb");
    cli.asg(&[
        "detach-load-balancers",
        "--auto-scaling-group-name",
        "fam",
        "--load-balancer-names",
        "fam-clb",
    ])
    .await;

    // A warm pool.
    cli.asg(&[
        "put-warm-pool",
        "--auto-scaling-group-name",
        "fam",
        "--min-size",
        "1",
        "--pool-state",
        "Stopped",
    ])
    .await;
    let pool = cli
        .asg(&["describe-warm-pool", "--auto-scaling-group-name", "fam"])
        .await;
    assert_eq!(pool["WarmPoolConfiguration"]["MinSize"], 1);
    cli.asg(&[
        "delete-warm-pool",
        "--auto-scaling-group-name",
        "fam",
        "--force-delete",
    ])
    .await;

    // An instance refresh to the template's version 2: every instance replaced.
    cli.asg(&[
        "start-instance-refresh",
        "--auto-scaling-group-name",
        "fam",
        "--desired-configuration",
        r#"{"LaunchTemplate":{"LaunchTemplateName":"fam-lt","Version":"2"}}"#,
        "--preferences",
        r#"{"MinHealthyPercentage":50,"InstanceWarmup":20}"#,
    ])
    .await;
    cli.fails(
        "autoscaling",
        &["start-instance-refresh", "--auto-scaling-group-name", "fam"],
        "InstanceRefreshInProgress",
    )
    .await;
    // Nor is a warm pool made while it runs (the model's fault for PutWarmPool).
    cli.fails(
        "autoscaling",
        &["put-warm-pool", "--auto-scaling-group-name", "fam"],
        "InstanceRefreshInProgress",
    )
    .await;
    let mut status = Value::Null;
    for _ in 0..120 {
        let refreshes = cli
            .asg(&[
                "describe-instance-refreshes",
                "--auto-scaling-group-name",
                "fam",
            ])
            .await;
        status = refreshes["InstanceRefreshes"][0]["Status"].clone();
        if status == "Successful" || status == "Failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(status, "Successful");
    let g = cli.group().await;
    assert_eq!(g["LaunchTemplate"]["Version"], "2");
    for i in g["Instances"].as_array().unwrap() {
        assert_eq!(i["LaunchTemplate"]["Version"], "2", "{i}");
    }

    // The deletes: refused while instances run, then forced.
    cli.fails(
        "autoscaling",
        &[
            "delete-auto-scaling-group",
            "--auto-scaling-group-name",
            "fam",
        ],
        "ResourceInUse",
    )
    .await;
    cli.asg(&[
        "delete-auto-scaling-group",
        "--auto-scaling-group-name",
        "fam",
        "--force-delete",
    ])
    .await;
    cli.ok(
        "ec2",
        &["delete-launch-template", "--launch-template-name", "fam-lt"],
    )
    .await;
    server.shutdown().await;
}
