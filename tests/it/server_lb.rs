//! Load balancers and traffic sources on the built-in endpoint, scripted with boto3 over real HTTP
//! with SigV4 and real keys: target groups and Classic Load Balancers attached at creation and by
//! the Attach calls, their states over time (Adding, then Added or InService by the group's health
//! checks and registered instances, Removing, then gone), the three families agreeing as AWS
//! documents (DescribeTrafficSources sees everything; the load balancer families only what they
//! attached), AWS's refusals (malformed names and ARNs, too many per call and per group, detaching
//! what is not attached, a missing group), AddToLoadBalancer suspended (instances launched
//! meanwhile stay unregistered, also after the resume), the attachments kept per key and across a
//! restart with a state file. What is attached must exist: the target groups and Classic Load
//! Balancers are made first with boto3's `elbv2` and `elb` clients on the same endpoint.
//!
//! The states move with the endpoint's launch and terminate delays (3 s here); the script waits
//! for a state by polling with a generous deadline, never by a fixed sleep, and reads the
//! `Adding`/`Removing` states right after the call that starts them.

use std::time::Duration;

use crate::util::peers::boto3_script;
use crate::util::run::scratch_dir;
use phantom_autoscale::Credentials;
use phantom_autoscale::server::RunningServer;

fn key() -> Credentials {
    Credentials::new("AKIDLOADBALANCERS001", "lb/secret+key=")
}

fn other_key() -> Credentials {
    Credentials::new("AKIDLOADBALANCERS002", "other/secret+key=")
}

async fn server(state: &std::path::Path) -> RunningServer {
    crate::util::server::start_keyed(vec![key(), other_key()], state, Duration::from_secs(3)).await
}

/// `wait_for` and the views of one group (after `boto3_script`'s client `c` and `expect_error`).
const PRELUDE: &str = r#"
import os, sys, time
import boto3, botocore.exceptions

ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/"
LATTICE = "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0"

# What is attached must exist (the ELB slices of the same endpoint): target groups and Classic
# Load Balancers made with boto3's elbv2 and elb clients.
def client(service):
    return boto3.client(service, endpoint_url=os.environ["PHANTOM_ENDPOINT"],
                        region_name="us-east-1",
                        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])

elbv2, elb = client("elbv2"), client("elb")
VPC = client("ec2").describe_vpcs()["Vpcs"][0]["VpcId"]

def target_group(name):
    return elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80,
                                     VpcId=VPC)["TargetGroups"][0]["TargetGroupArn"]

def classic(name):
    elb.create_load_balancer(LoadBalancerName=name, AvailabilityZones=["us-east-1a"], Listeners=[
        {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 8080}])

def wait_for(fn, want, limit=90):
    deadline = time.time() + limit
    while True:
        got = fn()
        if got == want:
            return got
        if time.time() > deadline:
            sys.exit(f"waited {limit} s for {want}, still {got}")
        time.sleep(0.2)

def short(identifier):
    return identifier.split("/")[1] if "/" in identifier else identifier

def tgs(group="web"):
    got = c.describe_load_balancer_target_groups(AutoScalingGroupName=group)
    return sorted((short(t["LoadBalancerTargetGroupARN"]), t["State"])
                  for t in got["LoadBalancerTargetGroups"])

def lbs(group="web"):
    got = c.describe_load_balancers(AutoScalingGroupName=group)
    return sorted((l["LoadBalancerName"], l["State"]) for l in got["LoadBalancers"])

def sources(group="web", **kwargs):
    got = c.describe_traffic_sources(AutoScalingGroupName=group, **kwargs)
    return sorted((t["Type"], short(t["Identifier"]), t["State"]) for t in got["TrafficSources"])

def group_lists(group="web"):
    g = c.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
    return (sorted(g["LoadBalancerNames"]), sorted(short(a) for a in g["TargetGroupARNs"]),
            sorted((t["Type"], short(t["Identifier"])) for t in g["TrafficSources"]))

def in_service(group):
    got = c.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
    return sorted(i["LifecycleState"] for i in got["Instances"])
"#;

/// Attaches, watches the states, detaches, and checks the refusals.
const SCENARIO: &str = r#"
TG_WEB, TG_API = target_group("web"), target_group("api")
classic("classic")
classic("edge")
print("api", TG_API)
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12345678",
                              InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=4, DesiredCapacity=1,
                            TargetGroupARNs=[TG_WEB], LoadBalancerNames=["classic"])
print("at create", tgs(), lbs())
# Attached at creation: InService once the group's instance is InService, whatever the health
# check type (AWS: "Target groups also have an InService state if you attach them in the
# CreateAutoScalingGroup API call").
wait_for(tgs, [("web", "InService")])
print("created", tgs(), lbs())

c.attach_load_balancer_target_groups(AutoScalingGroupName="web", TargetGroupARNs=[TG_API])
print("attached", tgs())
# EC2 health checks only: registered, but no ELB health check to pass.
wait_for(tgs, [("api", "Added"), ("web", "InService")])
print("registered", tgs())
c.update_auto_scaling_group(AutoScalingGroupName="web", HealthCheckType="ELB")
print("with ELB health checks", tgs())

c.attach_traffic_sources(AutoScalingGroupName="web", TrafficSources=[
    {"Identifier": LATTICE, "Type": "vpc-lattice"}, {"Identifier": "edge", "Type": "elb"}])
print("sources", sources())
wait_for(sources, [("elb", "classic", "InService"), ("elb", "edge", "InService"),
                   ("elbv2", "api", "InService"), ("elbv2", "web", "InService"),
                   ("vpc-lattice", "tg-0123456789abcdef0", "Added")])
print("elbv2 sources", sources(TrafficSourceType="elbv2"))
pages, token = [], None
while True:
    got = c.describe_traffic_sources(AutoScalingGroupName="web", MaxRecords=2,
                                     **({"NextToken": token} if token else {}))
    pages.append([short(t["Identifier"]) for t in got["TrafficSources"]])
    token = got.get("NextToken")
    if not token:
        break
print("pages", pages)
print("legacy views", tgs(), lbs())
print("group lists", group_lists())

# What AttachTrafficSources attached is not the load balancer families' to detach.
expect_error("ValidationError", c.detach_load_balancers, AutoScalingGroupName="web",
             LoadBalancerNames=["edge"])
# What they attached, DetachTrafficSources detaches (the type told by the ARN).
c.detach_traffic_sources(AutoScalingGroupName="web", TrafficSources=[{"Identifier": TG_WEB}])
c.detach_load_balancer_target_groups(AutoScalingGroupName="web", TargetGroupARNs=[TG_API])
print("detaching", tgs())
print("detaching in the group", group_lists())
wait_for(tgs, [])
print("detached", sources())
print("group lists after", group_lists())
expect_error("ValidationError", c.detach_load_balancer_target_groups, AutoScalingGroupName="web",
             TargetGroupARNs=[TG_API])

expect_error("ValidationError", c.attach_load_balancer_target_groups, AutoScalingGroupName="web",
             TargetGroupARNs=["arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/0123456789abcdef"])
expect_error("ValidationError", c.attach_load_balancer_target_groups, AutoScalingGroupName="web",
             TargetGroupARNs=[ARN.replace("us-east-1", "eu-west-1") + "web/0123456789abcdef"])
expect_error("ValidationError", c.attach_load_balancers, AutoScalingGroupName="web",
             LoadBalancerNames=["bad_name"])
expect_error("ValidationError", c.attach_traffic_sources, AutoScalingGroupName="web",
             TrafficSources=[{"Identifier": "no-type"}])
expect_error("ValidationError", c.attach_traffic_sources, AutoScalingGroupName="web",
             TrafficSources=[{"Identifier": "x", "Type": "alb"}])
expect_error("ValidationError", c.create_auto_scaling_group, AutoScalingGroupName="bad",
             LaunchConfigurationName="lc", MinSize=0, MaxSize=1, TargetGroupARNs=["web"])
print("bad group not created", c.describe_auto_scaling_groups(AutoScalingGroupNames=["bad"])["AutoScalingGroups"])
eleven = [ARN + f"t{i}/{i:016x}" for i in range(11)]
expect_error("ValidationError", c.attach_load_balancer_target_groups, AutoScalingGroupName="web",
             TargetGroupARNs=eleven)
expect_error("ValidationError", c.attach_load_balancers, AutoScalingGroupName="nowhere",
             LoadBalancerNames=["classic"])
expect_error("ValidationError", c.describe_traffic_sources, AutoScalingGroupName="web",
             TrafficSourceType="alb")
expect_error("ValidationError", c.describe_traffic_sources, AutoScalingGroupName="web",
             MaxRecords=51)

c.create_auto_scaling_group(AutoScalingGroupName="many", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=1)
for n in range(5):
    c.attach_load_balancer_target_groups(AutoScalingGroupName="many", TargetGroupARNs=[
        target_group(f"t{n}-{i}") for i in range(10)])
expect_error("LimitExceeded", c.attach_traffic_sources, AutoScalingGroupName="many",
             TrafficSources=[{"Identifier": LATTICE}])
print("many", len(tgs("many")))

# AddToLoadBalancer suspended: what launches meanwhile is never registered (AWS: resuming "does
# not add the instances that were launched while this process was suspended").
expect_error("ValidationError", c.attach_load_balancer_target_groups, AutoScalingGroupName="web",
             TargetGroupARNs=[ARN + "gone/0123456789abcdef"])
expect_error("ValidationError", c.attach_load_balancers, AutoScalingGroupName="web",
             LoadBalancerNames=["gone"])
c.create_auto_scaling_group(AutoScalingGroupName="paused", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=4, DesiredCapacity=0, HealthCheckType="ELB",
                            TargetGroupARNs=[TG_WEB])
c.suspend_processes(AutoScalingGroupName="paused", ScalingProcesses=["AddToLoadBalancer"])
c.set_desired_capacity(AutoScalingGroupName="paused", DesiredCapacity=1)
wait_for(lambda: in_service("paused"), ["InService"])
print("suspended", tgs("paused"))
c.resume_processes(AutoScalingGroupName="paused", ScalingProcesses=["AddToLoadBalancer"])
print("resumed", tgs("paused"))
c.set_desired_capacity(AutoScalingGroupName="paused", DesiredCapacity=2)
wait_for(lambda: tgs("paused"), [("web", "InService")])
print("launched after the resume", tgs("paused"))
"#;

/// After the restart: the same attachments, states and lists.
const AFTER_RESTART: &str = r#"
TG_WEB = elbv2.describe_target_groups(Names=["web"])["TargetGroups"][0]["TargetGroupArn"]
print("web", sources())
print("web lists", group_lists())
print("paused", tgs("paused"))
c.delete_auto_scaling_group(AutoScalingGroupName="many", ForceDelete=True)
c.create_auto_scaling_group(AutoScalingGroupName="many", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=1)
print("many again", tgs("many"), sources("many"))
"#;

/// Another key sees none of it.
const OTHER_KEY: &str = r#"
expect_error("ValidationError", c.describe_traffic_sources, AutoScalingGroupName="web")
expect_error("ValidationError", c.attach_load_balancers, AutoScalingGroupName="web",
             LoadBalancerNames=["classic"])
"#;

async fn boto3(server: &RunningServer, creds: &Credentials, script: &str) -> Vec<String> {
    boto3_script(&server.url(), creds, PRELUDE, script, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_attaches_and_detaches_load_balancers_and_they_survive_a_restart() {
    let dir = scratch_dir("load-balancers");
    let state = dir.join("state.db");
    let s = server(&state).await;
    let lines = boto3(&s, &key(), SCENARIO).await;
    // The api target group's ARN (its id is the endpoint's), named in one refusal below.
    let api = lines[0].strip_prefix("api ").expect("the api ARN first");
    let lines: Vec<String> = lines[1..]
        .iter()
        .map(|l| l.replace(api, "TG_API"))
        .collect();
    let not_valid_tg = "ValidationError: Provided Target Groups may not be valid. Please ensure they exist and \
         try again.";
    let want = [
        "at create [('web', 'Adding')] [('classic', 'Adding')]",
        "created [('web', 'InService')] [('classic', 'InService')]",
        "attached [('api', 'Adding'), ('web', 'InService')]",
        "registered [('api', 'Added'), ('web', 'InService')]",
        "with ELB health checks [('api', 'InService'), ('web', 'InService')]",
        "sources [('elb', 'classic', 'InService'), ('elb', 'edge', 'Adding'), ('elbv2', 'api', \
         'InService'), ('elbv2', 'web', 'InService'), ('vpc-lattice', 'tg-0123456789abcdef0', \
         'Adding')]",
        "elbv2 sources [('elbv2', 'api', 'InService'), ('elbv2', 'web', 'InService')]",
        "pages [['classic', 'edge'], ['api', 'web'], ['tg-0123456789abcdef0']]",
        "legacy views [('api', 'InService'), ('web', 'InService')] [('classic', 'InService')]",
        "group lists (['classic'], ['api', 'web'], [('elb', 'classic'), ('elb', 'edge'), \
         ('elbv2', 'api'), ('elbv2', 'web'), ('vpc-lattice', 'tg-0123456789abcdef0')])",
        "ValidationError: Trying to remove Load Balancers that are not attached to the Auto \
         Scaling group web: edge",
        "detaching [('api', 'Removing'), ('web', 'Removing')]",
        "detaching in the group (['classic'], ['api', 'web'], [('elb', 'classic'), ('elb', \
         'edge'), ('elbv2', 'api'), ('elbv2', 'web'), ('vpc-lattice', 'tg-0123456789abcdef0')])",
        "detached [('elb', 'classic', 'InService'), ('elb', 'edge', 'InService'), \
         ('vpc-lattice', 'tg-0123456789abcdef0', 'Added')]",
        "group lists after (['classic'], [], [('elb', 'classic'), ('elb', 'edge'), \
         ('vpc-lattice', 'tg-0123456789abcdef0')])",
        "ValidationError: Trying to remove Target Groups that are not attached to the Auto \
         Scaling group web: TG_API",
        not_valid_tg,
        not_valid_tg,
        "ValidationError: Provided Load Balancers may not be valid. Please ensure they exist and \
         try again.",
        "ValidationError: The traffic source no-type needs a Type: it is required when the \
         Identifier is the name of a Classic Load Balancer.",
        "ValidationError: Traffic source type alb is not valid; valid types are elb, elbv2, \
         vpc-lattice.",
        not_valid_tg,
        "bad group not created []",
        "ValidationError: The number of TargetGroupARNs (11) exceeds the limit of 10 per call.",
        "ValidationError: AutoScalingGroup name not found - AutoScalingGroup nowhere not found",
        "ValidationError: Traffic source type alb is not valid; valid types are elb, elbv2, \
         vpc-lattice.",
        "ValidationError: 1 validation error detected: Value '51' at 'maxRecords' failed to \
         satisfy constraint: Member must have value less than or equal to 50",
        "LimitExceeded: An Auto Scaling group may have at most 50 target groups; this request \
         would attach 51.",
        "many 50",
        not_valid_tg,
        "ValidationError: Provided Load Balancers may not be valid. Please ensure they exist and \
         try again.",
        "suspended [('web', 'Added')]",
        "resumed [('web', 'Added')]",
        "launched after the resume [('web', 'InService')]",
    ];
    assert_eq!(lines, want);
    s.shutdown().await;

    let s = server(&state).await;
    let lines = boto3(&s, &key(), AFTER_RESTART).await;
    assert_eq!(
        lines,
        [
            "web [('elb', 'classic', 'InService'), ('elb', 'edge', 'InService'), ('vpc-lattice', \
             'tg-0123456789abcdef0', 'Added')]",
            "web lists (['classic'], [], [('elb', 'classic'), ('elb', 'edge'), ('vpc-lattice', \
             'tg-0123456789abcdef0')])",
            "paused [('web', 'InService')]",
            "many again [] []",
        ]
    );
    let lines = boto3(&s, &other_key(), OTHER_KEY).await;
    assert_eq!(
        lines,
        [
            "ValidationError: AutoScalingGroup name not found - AutoScalingGroup web not found",
            "ValidationError: AutoScalingGroup name not found - AutoScalingGroup web not found",
        ]
    );
    s.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
