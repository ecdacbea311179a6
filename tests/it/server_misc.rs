//! The built-in endpoint's remaining families, scripted with boto3 over real HTTP with SigV4 and
//! real keys: notification configurations (stored, per group and topic, deleted with the group),
//! metrics collection (groups show `EnabledMetrics`), the account's limits (enforced per key past a
//! lowered limit) and settings, LaunchInstances (ids in the reply, the desired capacity raised,
//! idempotent by client token, partial results), GetPredictiveScalingForecast (from the group's
//! own capacity), each with AWS's error codes on misuse; moto's `POST /moto-api/reset` (the same
//! status and body as a real moto, state cleared and the session working again, signed when keys
//! are in use) and `GET /health`; and all of it kept across a restart with a state file.

use std::time::Duration;

use crate::util::peers::{Moto, boto3_script};
use crate::util::run::scratch_dir;
use phantom_autoscale::Credentials;
use phantom_autoscale::server::{RunningServer, ServeOptions, start};

fn key() -> Credentials {
    Credentials::new("AKIDMISC000000000001", "misc/secret+key=")
}

fn other_key() -> Credentials {
    Credentials::new("AKIDMISC000000000002", "other/misc+key=")
}

fn options(state: &std::path::Path) -> ServeOptions {
    ServeOptions {
        keys: vec![key(), other_key()],
        state: Some(state.to_path_buf()),
        launch_delay: Duration::from_millis(100),
        terminate_delay: Duration::from_millis(100),
        ..ServeOptions::default()
    }
}

async fn server(state: &std::path::Path) -> RunningServer {
    start(options(state)).await.unwrap()
}

/// The scripts' own client (on `ENDPOINT`), `check` and `http` (a plain request, optionally
/// SigV4-signed with the script's key), after `boto3_script`'s `expect_error`.
const PRELUDE: &str = r#"
import os, sys, json, datetime, urllib.request, urllib.error
import boto3, botocore.exceptions
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
ENDPOINT = os.environ["PHANTOM_ENDPOINT"]
c = boto3.client("autoscaling", endpoint_url=ENDPOINT, region_name="us-east-1",
                 aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                 aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])

def check(what, got, want):
    if got != want:
        sys.exit(f"{what}: got {got!r}, want {want!r}")

def http(method, url, signed=False):
    headers = {}
    if signed:
        req = AWSRequest(method=method, url=url, data=b"")
        creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
        SigV4Auth(creds, "autoscaling", "us-east-1").add_auth(req)
        headers = dict(req.headers.items())
    req = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
"#;

/// Notifications, metrics, account settings and limits, LaunchInstances and a forecast.
const SCENARIO: &str = r#"
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12345678",
                              InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=5, DesiredCapacity=1)
c.create_auto_scaling_group(AutoScalingGroupName="gone", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=1, DesiredCapacity=0)

# Notifications: stored per group and topic; a Put replaces the topic's types.
types = c.describe_auto_scaling_notification_types()["AutoScalingNotificationTypes"]
check("notification types", len(types), 5)
topic = "arn:aws:sns:us-east-1:123456789012:scaling-events"
c.put_notification_configuration(AutoScalingGroupName="web", TopicARN=topic,
    NotificationTypes=["autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_TERMINATE"])
c.put_notification_configuration(AutoScalingGroupName="web", TopicARN=topic,
    NotificationTypes=["autoscaling:EC2_INSTANCE_LAUNCH_ERROR"])
c.put_notification_configuration(AutoScalingGroupName="gone", TopicARN=topic,
    NotificationTypes=["autoscaling:TEST_NOTIFICATION"])
got = c.describe_notification_configurations(AutoScalingGroupNames=["web"])["NotificationConfigurations"]
check("web notifications", [(n["TopicARN"], n["NotificationType"]) for n in got],
      [(topic, "autoscaling:EC2_INSTANCE_LAUNCH_ERROR")])
expect_error("ValidationError", c.put_notification_configuration, AutoScalingGroupName="web",
             TopicARN="arn:aws:sqs:us-east-1:123456789012:q",
             NotificationTypes=["autoscaling:EC2_INSTANCE_LAUNCH"])
expect_error("ValidationError", c.put_notification_configuration, AutoScalingGroupName="web",
             TopicARN=topic, NotificationTypes=["autoscaling:EC2_INSTANCE_REBOOT"])
expect_error("ValidationError", c.put_notification_configuration, AutoScalingGroupName="nope",
             TopicARN=topic, NotificationTypes=["autoscaling:EC2_INSTANCE_LAUNCH"])
for i in range(9):
    c.put_notification_configuration(AutoScalingGroupName="web",
        TopicARN=f"arn:aws:sns:us-east-1:123456789012:t{i}",
        NotificationTypes=["autoscaling:TEST_NOTIFICATION"])
expect_error("LimitExceeded", c.put_notification_configuration, AutoScalingGroupName="web",
             TopicARN="arn:aws:sns:us-east-1:123456789012:eleventh",
             NotificationTypes=["autoscaling:TEST_NOTIFICATION"])
for i in range(9):
    c.delete_notification_configuration(AutoScalingGroupName="web",
                                        TopicARN=f"arn:aws:sns:us-east-1:123456789012:t{i}")
expect_error("ValidationError", c.delete_notification_configuration, AutoScalingGroupName="web",
             TopicARN="arn:aws:sns:us-east-1:123456789012:t0")
page = c.describe_notification_configurations(MaxRecords=1)
check("first page", len(page["NotificationConfigurations"]), 1)
rest = c.describe_notification_configurations(NextToken=page["NextToken"])
check("pages", len(page["NotificationConfigurations"]) + len(rest["NotificationConfigurations"]), 2)
c.delete_auto_scaling_group(AutoScalingGroupName="gone", ForceDelete=True)
everything = c.describe_notification_configurations()["NotificationConfigurations"]
check("after deleting gone", [n["AutoScalingGroupName"] for n in everything], ["web"])

# Metrics collection.
types = c.describe_metric_collection_types()
check("granularities", [g["Granularity"] for g in types["Granularities"]], ["1Minute"])
check("metric count", len(types["Metrics"]), 20)
c.enable_metrics_collection(AutoScalingGroupName="web", Granularity="1Minute",
                            Metrics=["GroupMinSize", "GroupMaxSize"])
c.enable_metrics_collection(AutoScalingGroupName="web", Granularity="1Minute",
                            Metrics=["GroupMinSize"])
g = c.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
check("enabled", [(m["Metric"], m["Granularity"]) for m in g["EnabledMetrics"]],
      [("GroupMinSize", "1Minute"), ("GroupMaxSize", "1Minute")])
expect_error("ValidationError", c.enable_metrics_collection, AutoScalingGroupName="web",
             Granularity="5Minute")
expect_error("ValidationError", c.enable_metrics_collection, AutoScalingGroupName="web",
             Granularity="1Minute", Metrics=["GroupHappiness"])
c.disable_metrics_collection(AutoScalingGroupName="web", Metrics=["GroupMinSize"])
c.enable_metrics_collection(AutoScalingGroupName="web", Granularity="1Minute")
g = c.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
check("all enabled", len(g["EnabledMetrics"]), 20)
c.disable_metrics_collection(AutoScalingGroupName="web")
c.enable_metrics_collection(AutoScalingGroupName="web", Granularity="1Minute",
                            Metrics=["GroupDesiredCapacity"])
g = c.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
check("one left", [m["Metric"] for m in g["EnabledMetrics"]], ["GroupDesiredCapacity"])

# The account.
limits = c.describe_account_limits()
check("limits", (limits["MaxNumberOfAutoScalingGroups"], limits["MaxNumberOfLaunchConfigurations"],
                 limits["NumberOfAutoScalingGroups"], limits["NumberOfLaunchConfigurations"]),
      (200, 200, 1, 1))
settings = c.describe_account_settings()["Settings"]
check("settings", [(s["Name"], s["Value"], s["EnforcementType"]) for s in settings],
      [("launchBeforeTerminate", "disabled", "none")])
c.put_account_setting(Name="launchBeforeTerminate", Value="enabled")
settings = c.describe_account_settings(Name="launchBeforeTerminate")["Settings"]
check("setting put", settings[0]["Value"], "enabled")
expect_error("ValidationError", c.put_account_setting, Name="launchBeforeTerminate", Value="maybe")
expect_error("ValidationError", c.put_account_setting, Name="terminateBeforeLaunch", Value="enabled")
expect_error("ValidationError", c.describe_account_settings, Name="terminateBeforeLaunch")

# LaunchInstances: launched now, the desired capacity raised, idempotent by token.
first = c.launch_instances(AutoScalingGroupName="web", RequestedCapacity=2, ClientToken="tok-1")
ids = first["Instances"][0]["InstanceIds"]
check("launched", len(ids), 2)
check("no errors", first["Errors"], [])
check("token", first["ClientToken"], "tok-1")
g = c.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
check("desired after launch", g["DesiredCapacity"], 3)
check("ids in the group", set(ids) <= {i["InstanceId"] for i in g["Instances"]}, True)
again = c.launch_instances(AutoScalingGroupName="web", RequestedCapacity=2, ClientToken="tok-1")
check("same reply", again["Instances"], first["Instances"])
g = c.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
check("desired after repeat", g["DesiredCapacity"], 3)
expect_error("IdempotentParameterMismatch", c.launch_instances, AutoScalingGroupName="web",
             RequestedCapacity=1, ClientToken="tok-1")
expect_error("ValidationError", c.launch_instances, AutoScalingGroupName="web",
             RequestedCapacity=3, ClientToken="tok-2")
expect_error("ValidationError", c.launch_instances, AutoScalingGroupName="web",
             RequestedCapacity=1, ClientToken="tok-3", AvailabilityZones=["elsewhere"])
expect_error("ValidationError", c.launch_instances, AutoScalingGroupName="nope",
             RequestedCapacity=1, ClientToken="tok-4")
# Partial: with Launch suspended nothing launches, the capacity is in Errors.
c.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["Launch"])
held = c.launch_instances(AutoScalingGroupName="web", RequestedCapacity=1, ClientToken="tok-5")
check("held instances", held["Instances"], [])
check("held error", [e["ErrorCode"] for e in held["Errors"]], ["LaunchSuspended"])
g = c.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
check("desired while held", g["DesiredCapacity"], 3)
queued = c.launch_instances(AutoScalingGroupName="web", RequestedCapacity=1, ClientToken="tok-6",
                            RetryStrategy="retry-with-group-configuration")
check("queued error", [e["ErrorCode"] for e in queued["Errors"]], ["LaunchSuspended"])
g = c.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
check("desired raised for the retry", g["DesiredCapacity"], 4)
c.resume_processes(AutoScalingGroupName="web", ScalingProcesses=["Launch"])
g = c.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
check("launched on resume", len(g["Instances"]), 4)
acts = c.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]
check("launch activity", any("launched 2 instance(s) with LaunchInstances" in a["Cause"] for a in acts), True)

# A forecast from the group's own capacity: 4 instances now, every hour of the next two days.
c.put_scaling_policy(AutoScalingGroupName="web", PolicyName="predict", PolicyType="PredictiveScaling",
    PredictiveScalingConfiguration={"MetricSpecifications": [{"TargetValue": 40.0,
        "PredefinedMetricPairSpecification": {"PredefinedMetricType": "ASGCPUUtilization"}}]})
c.put_scaling_policy(AutoScalingGroupName="web", PolicyName="simple",
                     AdjustmentType="ChangeInCapacity", ScalingAdjustment=1)
now = datetime.datetime.now(datetime.timezone.utc)
f = c.get_predictive_scaling_forecast(AutoScalingGroupName="web", PolicyName="predict",
                                      StartTime=now, EndTime=now + datetime.timedelta(days=5))
cap = f["CapacityForecast"]
check("hours", len(cap["Timestamps"]) in (48, 49), True)
check("capacity", set(cap["Values"]), {4.0})
check("hourly", all((b - a).total_seconds() == 3600 for a, b in zip(cap["Timestamps"], cap["Timestamps"][1:])), True)
load = f["LoadForecast"]
check("load", (len(load), set(load[0]["Values"]), load[0]["MetricSpecification"]["TargetValue"]),
      (1, {160.0}, 40.0))
check("update time", f["UpdateTime"] <= now, True)
print("forecast hours", len(cap["Timestamps"]))
expect_error("ValidationError", c.get_predictive_scaling_forecast, AutoScalingGroupName="web",
             PolicyName="simple", StartTime=now, EndTime=now + datetime.timedelta(days=1))
expect_error("ValidationError", c.get_predictive_scaling_forecast, AutoScalingGroupName="web",
             PolicyName="missing", StartTime=now, EndTime=now + datetime.timedelta(days=1))
expect_error("ValidationError", c.get_predictive_scaling_forecast, AutoScalingGroupName="web",
             PolicyName="predict", StartTime=now, EndTime=now + datetime.timedelta(days=31))
expect_error("ValidationError", c.get_predictive_scaling_forecast, AutoScalingGroupName="web",
             PolicyName="predict", StartTime=now, EndTime=now - datetime.timedelta(hours=1))
expect_error("ValidationError", c.get_predictive_scaling_forecast, AutoScalingGroupName="web",
             PolicyName="predict", StartTime=now - datetime.timedelta(days=400),
             EndTime=now - datetime.timedelta(days=399))
print("scenario done")
"#;

/// What a restart with the same state file still shows.
const AFTER_RESTART: &str = r#"
got = c.describe_notification_configurations()["NotificationConfigurations"]
check("notifications kept", [(n["AutoScalingGroupName"], n["NotificationType"]) for n in got],
      [("web", "autoscaling:EC2_INSTANCE_LAUNCH_ERROR")])
g = c.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
check("metrics kept", [m["Metric"] for m in g["EnabledMetrics"]], ["GroupDesiredCapacity"])
check("setting kept", c.describe_account_settings()["Settings"][0]["Value"], "enabled")
expect_error("IdempotentParameterMismatch", c.launch_instances, AutoScalingGroupName="web",
             RequestedCapacity=1, ClientToken="tok-1")
print("kept")
"#;

/// The other key sees none of it.
const OTHER_KEY: &str = r#"
check("other notifications", c.describe_notification_configurations()["NotificationConfigurations"], [])
limits = c.describe_account_limits()
check("other counts", (limits["NumberOfAutoScalingGroups"], limits["NumberOfLaunchConfigurations"]), (0, 0))
check("other setting", c.describe_account_settings()["Settings"][0]["Value"], "disabled")
# Its own token of the same name is its own.
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-1", InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="lc", MinSize=0, MaxSize=2)
r = c.launch_instances(AutoScalingGroupName="web", RequestedCapacity=1, ClientToken="tok-1")
check("other launch", len(r["Instances"][0]["InstanceIds"]), 1)
"#;

#[tokio::test]
async fn families_over_boto3_survive_a_restart() {
    let dir = scratch_dir("server-misc");
    let state = dir.join("state.db");
    let srv = server(&state).await;
    let out = boto3_script(&srv.url(), &key(), PRELUDE, SCENARIO, &[]).await;
    assert!(out.iter().any(|l| l == "scenario done"), "{out:?}");
    let hours = out
        .iter()
        .find_map(|l| l.strip_prefix("forecast hours "))
        .and_then(|n| n.parse::<usize>().ok());
    assert!(matches!(hours, Some(48 | 49)), "{out:?}");
    // AWS's error codes on misuse, with the messages that go with them.
    for wanted in [
        "LimitExceeded: AutoScalingGroup web already notifies 10 SNS topics",
        "IdempotentParameterMismatch: The client token tok-1 was already used",
        "ValidationError: AutoScalingGroup: web has min-size=0, max-size=5, and desired-size=3. \
         To launch 3 instance(s)",
        "ValidationError: Invalid TopicARN",
        "ValidationError: Invalid granularity 5Minute",
    ] {
        assert!(
            out.iter().any(|l| l.starts_with(wanted)),
            "{wanted}\n{out:?}"
        );
    }
    boto3_script(&srv.url(), &other_key(), PRELUDE, OTHER_KEY, &[]).await;
    srv.shutdown().await;
    let srv = server(&state).await;
    let out = boto3_script(&srv.url(), &key(), PRELUDE, AFTER_RESTART, &[]).await;
    assert_eq!(out.last().map(String::as_str), Some("kept"), "{out:?}");
    srv.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// A lowered limit is enforced per key with `LimitExceeded`, and shown by DescribeAccountLimits.
const LIMITS: &str = r#"
c.create_launch_configuration(LaunchConfigurationName="a", ImageId="ami-1", InstanceType="m1.small")
c.create_launch_configuration(LaunchConfigurationName="b", ImageId="ami-1", InstanceType="m1.small")
expect_error("LimitExceeded", c.create_launch_configuration, LaunchConfigurationName="c",
             ImageId="ami-1", InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="g1", LaunchConfigurationName="a", MinSize=0, MaxSize=1)
expect_error("LimitExceeded", c.create_auto_scaling_group, AutoScalingGroupName="g2",
             LaunchConfigurationName="a", MinSize=0, MaxSize=1)
limits = c.describe_account_limits()
check("limits", (limits["MaxNumberOfAutoScalingGroups"], limits["NumberOfAutoScalingGroups"],
                 limits["MaxNumberOfLaunchConfigurations"], limits["NumberOfLaunchConfigurations"]),
      (1, 1, 2, 2))
# Room again once one is deleted.
c.delete_launch_configuration(LaunchConfigurationName="b")
c.create_launch_configuration(LaunchConfigurationName="c", ImageId="ami-1", InstanceType="m1.small")
print("limits done")
"#;

/// Another key has its own count.
const LIMITS_OTHER: &str = r#"
c.create_launch_configuration(LaunchConfigurationName="a", ImageId="ami-1", InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="g1", LaunchConfigurationName="a", MinSize=0, MaxSize=1)
print("other done")
"#;

#[tokio::test]
async fn lowered_limits_are_enforced_per_key() {
    let dir = scratch_dir("server-misc-limits");
    let srv = start(ServeOptions {
        max_groups: 1,
        max_launch_configurations: 2,
        ..options(&dir.join("state.db"))
    })
    .await
    .unwrap();
    let out = boto3_script(&srv.url(), &key(), PRELUDE, LIMITS, &[]).await;
    assert!(
        out.iter().any(|l| l
            == "LimitExceeded: Launch Configuration limit exceeded - You may only have 2 launch \
                configurations"),
        "{out:?}"
    );
    assert!(
        out.iter().any(|l| l
            == "LimitExceeded: AutoScalingGroup limit exceeded - You may only have 1 \
                AutoScalingGroups"),
        "{out:?}"
    );
    assert_eq!(out.last().map(String::as_str), Some("limits done"));
    let out = boto3_script(&srv.url(), &other_key(), PRELUDE, LIMITS_OTHER, &[]).await;
    assert_eq!(out.last().map(String::as_str), Some("other done"));
    srv.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// moto's reset and the health check, on moto and on a keyless phantom serve: the same answers.
const RESET_LIKE_MOTO: &str = r#"
url = ENDPOINT + "/moto-api/reset"
print("get", *http("GET", url))
print("post", *http("POST", url))
"#;

/// Reset on an endpoint without keys: state gone, the session works again.
const RESET_OPEN: &str = r#"
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-1", InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="g", LaunchConfigurationName="lc", MinSize=1, MaxSize=2)
c.put_notification_configuration(AutoScalingGroupName="g",
    TopicARN="arn:aws:sns:us-east-1:123456789012:t", NotificationTypes=["autoscaling:TEST_NOTIFICATION"])
check("reset", http("POST", ENDPOINT + "/moto-api/reset"), (200, '{"status": "ok"}'))
check("groups", c.describe_auto_scaling_groups()["AutoScalingGroups"], [])
check("lcs", c.describe_launch_configurations()["LaunchConfigurations"], [])
check("notifications", c.describe_notification_configurations()["NotificationConfigurations"], [])
check("activities", c.describe_scaling_activities()["Activities"], [])
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-1", InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="g", LaunchConfigurationName="lc", MinSize=1, MaxSize=2)
check("again", len(c.describe_auto_scaling_groups()["AutoScalingGroups"]), 1)
check("health", http("GET", ENDPOINT + "/health"), (200, '{"status": "ok"}'))
print("open done")
"#;

/// Reset on an endpoint with keys: unsigned is refused (nothing cleared), signed clears.
const RESET_KEYED: &str = r#"
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-1", InstanceType="m1.small")
status, body = http("POST", ENDPOINT + "/moto-api/reset")
check("unsigned reset", (status, "MissingAuthenticationToken" in body), (403, True))
check("kept", len(c.describe_launch_configurations()["LaunchConfigurations"]), 1)
check("health without a key", http("GET", ENDPOINT + "/health"), (200, '{"status": "ok"}'))
check("signed reset", http("POST", ENDPOINT + "/moto-api/reset", signed=True), (200, '{"status": "ok"}'))
check("cleared", c.describe_launch_configurations()["LaunchConfigurations"], [])
print("keyed done")
"#;

#[tokio::test]
async fn moto_reset_and_health() {
    let moto = Moto::start(&[]);
    let anyone = Credentials::new("AKIDANYONE0000000001", "anyone");
    let from_moto = boto3_script(&moto.url, &anyone, PRELUDE, RESET_LIKE_MOTO, &[]).await;
    drop(moto);
    let open = start(ServeOptions {
        no_auth: true,
        ..ServeOptions::default()
    })
    .await
    .unwrap();
    let from_phantom = boto3_script(&open.url(), &anyone, PRELUDE, RESET_LIKE_MOTO, &[]).await;
    assert_eq!(from_phantom, from_moto);
    assert_eq!(
        from_phantom,
        [
            r#"get 400 {"Error": "Need to POST to reset Moto"}"#,
            r#"post 200 {"status": "ok"}"#
        ]
    );
    let out = boto3_script(&open.url(), &anyone, PRELUDE, RESET_OPEN, &[]).await;
    assert_eq!(out.last().map(String::as_str), Some("open done"));
    open.shutdown().await;
    let dir = scratch_dir("server-misc-reset");
    let keyed = server(&dir.join("state.db")).await;
    let out = boto3_script(&keyed.url(), &key(), PRELUDE, RESET_KEYED, &[]).await;
    assert_eq!(out.last().map(String::as_str), Some("keyed done"));
    keyed.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

// The serve flags reach the endpoint: `phantom limits` against a `phantom serve` child started with
// lowered quotas shows them, and the quota is enforced for the binary's own commands.
phantom_test!(
    serve_quota_flags_reach_the_endpoint,
    &[
        "--no-auth",
        "--max-groups",
        "3",
        "--max-launch-configurations",
        "1"
    ],
    |srv| {
        let env = [
            ("AWS_ENDPOINT_URL", srv.url.as_str()),
            ("AWS_ACCESS_KEY_ID", "AKIDQUOTA"),
            ("AWS_SECRET_ACCESS_KEY", "quota-secret"),
        ];
        let run = |args: &[&str]| {
            crate::util::peers::phantom(&[&["--dialect", "aws"], args].concat(), &env)
        };
        let created = run(&["lc", "create", "one", "ami-1"]);
        assert_eq!(created.code, 0, "{}", created.stderr);
        let refused = run(&["lc", "create", "two", "ami-1"]);
        assert_ne!(refused.code, 0);
        assert!(
            refused.stderr.contains(
                "LimitExceeded: Launch Configuration limit exceeded - You may only have 1 \
                 launch configurations"
            ),
            "{}",
            refused.stderr
        );
        let limits = run(&["limits"]);
        assert_eq!(limits.code, 0, "{}", limits.stderr);
        assert_eq!(
            limits.stdout,
            "Auto Scaling groups: 0 of 3\nlaunch configurations: 1 of 1\n"
        );
    }
);

/// `phantom serve --help` says that notifications are stored but never sent, and names the reset
/// and health paths.
#[test]
fn serve_help_says_notifications_are_not_sent() {
    let run = crate::util::peers::phantom(&["serve", "--help"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for wanted in [
        "no message is ever sent",
        "POST /moto-api/reset",
        "GET /health",
        "--max-groups",
        "--max-launch-configurations",
    ] {
        assert!(text.contains(wanted), "{wanted}: {text}");
    }
}

/// One AWS CLI session touching each family: notifications, metrics, the account, LaunchInstances
/// and a forecast, and a misuse answered with AWS's code as the CLI reports it.
#[tokio::test]
async fn aws_cli_session_touches_each_family() {
    use crate::util::peers::{output, peer};
    let dir = scratch_dir("server-misc-cli");
    let srv = server(&dir.join("state.db")).await;
    let url = srv.url();
    let aws = peer("PHANTOM_TEST_AWS");
    let call = |args: &[&str]| {
        let mut cmd = std::process::Command::new(&aws);
        cmd.args(["autoscaling", "--endpoint-url", &url, "--output", "json"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", key().access_key_id())
            .env("AWS_SECRET_ACCESS_KEY", key().secret_access_key().expose())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        output(cmd)
    };
    let ok = |out: std::process::Output| -> serde_json::Value {
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "aws failed:\n{stdout}\n{stderr}");
        if stdout.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&stdout).expect("JSON output")
        }
    };
    ok(call(&[
        "create-launch-configuration",
        "--launch-configuration-name",
        "lc",
        "--image-id",
        "ami-12345678",
        "--instance-type",
        "m1.small",
    ])
    .await);
    ok(call(&[
        "create-auto-scaling-group",
        "--auto-scaling-group-name",
        "cli",
        "--launch-configuration-name",
        "lc",
        "--min-size",
        "0",
        "--max-size",
        "4",
    ])
    .await);
    let topic = "arn:aws:sns:us-east-1:123456789012:cli-topic";
    ok(call(&[
        "put-notification-configuration",
        "--auto-scaling-group-name",
        "cli",
        "--topic-arn",
        topic,
        "--notification-types",
        "autoscaling:EC2_INSTANCE_LAUNCH",
    ])
    .await);
    let described = ok(call(&["describe-notification-configurations"]).await);
    assert_eq!(
        described["NotificationConfigurations"][0]["TopicARN"], topic,
        "{described}"
    );
    ok(call(&[
        "enable-metrics-collection",
        "--auto-scaling-group-name",
        "cli",
        "--granularity",
        "1Minute",
    ])
    .await);
    let limits = ok(call(&["describe-account-limits"]).await);
    assert_eq!(limits["NumberOfAutoScalingGroups"], 1, "{limits}");
    assert_eq!(limits["MaxNumberOfAutoScalingGroups"], 200, "{limits}");
    let launched = ok(call(&[
        "launch-instances",
        "--auto-scaling-group-name",
        "cli",
        "--requested-capacity",
        "2",
        "--client-token",
        "cli-token",
    ])
    .await);
    let ids = launched["Instances"][0]["InstanceIds"]
        .as_array()
        .map(Vec::len);
    assert_eq!(ids, Some(2), "{launched}");
    let groups = ok(call(&["describe-auto-scaling-groups"]).await);
    let group = &groups["AutoScalingGroups"][0];
    assert_eq!(group["DesiredCapacity"], 2, "{groups}");
    assert_eq!(
        group["EnabledMetrics"].as_array().map(Vec::len),
        Some(20),
        "{groups}"
    );
    ok(call(&[
        "put-scaling-policy",
        "--auto-scaling-group-name",
        "cli",
        "--policy-name",
        "predict",
        "--policy-type",
        "PredictiveScaling",
        "--predictive-scaling-configuration",
        r#"{"MetricSpecifications":[{"TargetValue":50,"PredefinedMetricPairSpecification":{"PredefinedMetricType":"ASGCPUUtilization"}}]}"#,
    ])
    .await);
    let start = time::OffsetDateTime::now_utc();
    let fmt = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let forecast = ok(call(&[
        "get-predictive-scaling-forecast",
        "--auto-scaling-group-name",
        "cli",
        "--policy-name",
        "predict",
        "--start-time",
        &fmt(start),
        "--end-time",
        &fmt(start + time::Duration::hours(6)),
    ])
    .await);
    let values = forecast["CapacityForecast"]["Values"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!((5..=6).contains(&values.len()), "{forecast}");
    assert!(values.iter().all(|v| v.as_f64() == Some(2.0)), "{forecast}");
    // Misuse: the CLI shows AWS's code.
    let refused = call(&[
        "enable-metrics-collection",
        "--auto-scaling-group-name",
        "cli",
        "--granularity",
        "1Hour",
    ])
    .await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("(ValidationError)"), "{stderr}");
    srv.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
