//! The Elastic Load Balancing slices of the built-in endpoint, scripted with boto3's `elbv2`,
//! `elb`, `ec2` and `autoscaling` clients over real HTTP with SigV4 and real keys: ELBv2 load
//! balancers, target groups and listeners with AWS's refusals (duplicate names, protocols, a
//! target group in use, targets outside the VPC); a group behind a target group scaled up and
//! down, its instances registered once launched, healthy once InService, draining for the target
//! group's deregistration delay (scaled down by `--hook-timeout-scale`) before they are gone; an
//! instance marked unhealthy shown unhealthy, then replaced and its replacement registered; a
//! classic load balancer likewise, with its health check and DescribeInstanceHealth; another key
//! seeing none of it.
//!
//! States move with the endpoint's delays (1 s launch and terminate, 15 s drain here); the script
//! waits for a state by polling with a generous deadline, never by a fixed sleep.

use std::time::Duration;

use crate::util::peers::boto3_script;
use phantom_autoscale::Credentials;
use phantom_autoscale::server::{RunningServer, ServeOptions, start};

fn key() -> Credentials {
    Credentials::new("AKIDLOADBALANCING001", "elb/secret+key=")
}

fn other_key() -> Credentials {
    Credentials::new("AKIDLOADBALANCING002", "other/elb+key=")
}

async fn server() -> RunningServer {
    start(ServeOptions {
        keys: vec![key(), other_key()],
        launch_delay: Duration::from_secs(1),
        terminate_delay: Duration::from_secs(1),
        // 300 s of deregistration delay become 15 s: long enough to see, short enough to wait.
        hook_timeout_scale: 0.05,
        ..ServeOptions::default()
    })
    .await
    .unwrap()
}

/// The clients and helpers (after `boto3_script`'s Auto Scaling client `c` and `expect_error`).
const PRELUDE: &str = r#"
import time

def client(service):
    return boto3.client(service, endpoint_url=os.environ["PHANTOM_ENDPOINT"],
                        region_name="us-east-1",
                        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])

elbv2, elb, ec2 = client("elbv2"), client("elb"), client("ec2")

def wait_for(fn, want, limit=90):
    deadline = time.time() + limit
    while True:
        got = fn()
        if got == want:
            return got
        if time.time() > deadline:
            sys.exit(f"waited {limit} s for {want}, still {got}")
        time.sleep(0.2)

def instances(group):
    g = c.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
    return {i["InstanceId"]: i["LifecycleState"] for i in g["Instances"]}

def in_service(group):
    return sorted(i for i, s in instances(group).items() if s == "InService")

def health(tg):
    got = elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in got}

def states(tg):
    return sorted(health(tg).values())

def classic_health(name):
    got = elb.describe_instance_health(LoadBalancerName=name)["InstanceStates"]
    return {s["InstanceId"]: s["State"] for s in got}
"#;

const ELBV2: &str = r#"
subnets = sorted(ec2.describe_subnets()["Subnets"], key=lambda s: s["AvailabilityZone"])
vpc = subnets[0]["VpcId"]
ids = [s["SubnetId"] for s in subnets[:2]]
lb = elbv2.create_load_balancer(Name="web", Subnets=ids)["LoadBalancers"][0]
lb_arn = lb["LoadBalancerArn"]
print("lb", lb_arn.split(":")[5].rsplit("/", 1)[0], lb["Type"], lb["Scheme"], lb["State"]["Code"],
      lb["VpcId"] == vpc, sorted(z["ZoneName"] for z in lb["AvailabilityZones"]))
# The same settings again: the same load balancer; other settings: a duplicate.
again = elbv2.create_load_balancer(Name="web", Subnets=ids)["LoadBalancers"][0]
print("again", again["LoadBalancerArn"] == lb_arn)
expect_error("DuplicateLoadBalancerName", elbv2.create_load_balancer, Name="web",
             Subnets=ids, Scheme="internal")
expect_error("ValidationError", elbv2.create_load_balancer, Name="one-zone", Subnets=ids[:1])
expect_error("SubnetNotFound", elbv2.create_load_balancer, Name="nowhere",
             Subnets=["subnet-0123456789abcdef0", ids[0]])
expect_error("ValidationError", elbv2.create_load_balancer, Name="-bad", Subnets=ids)

tg = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=8080, VpcId=vpc,
                               HealthCheckPath="/ping")["TargetGroups"][0]
tg_arn = tg["TargetGroupArn"]
print("tg", tg_arn.split(":")[5].rsplit("/", 1)[0], tg["HealthCheckProtocol"],
      tg["HealthCheckPath"], tg["HealthCheckIntervalSeconds"], tg["Matcher"], tg["LoadBalancerArns"])
expect_error("DuplicateTargetGroupName", elbv2.create_target_group, Name="web", Protocol="HTTP",
             Port=9090, VpcId=vpc)
expect_error("ValidationError", elbv2.create_target_group, Name="no-port", Protocol="HTTP",
             VpcId=vpc)
expect_error("TargetGroupNotFound", elbv2.describe_target_groups, Names=["missing"])
tcp = elbv2.create_target_group(Name="tcp", Protocol="TCP", Port=22, VpcId=vpc)["TargetGroups"][0]

expect_error("UnsupportedProtocol", elbv2.create_listener, LoadBalancerArn=lb_arn,
             Protocol="TCP", Port=22,
             DefaultActions=[{"Type": "forward", "TargetGroupArn": tcp["TargetGroupArn"]}])
expect_error("IncompatibleProtocols", elbv2.create_listener, LoadBalancerArn=lb_arn,
             Protocol="HTTP", Port=80,
             DefaultActions=[{"Type": "forward", "TargetGroupArn": tcp["TargetGroupArn"]}])
expect_error("ValidationError", elbv2.create_listener, LoadBalancerArn=lb_arn, Protocol="HTTP",
             Port=70000, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
listener = elbv2.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80,
    DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])["Listeners"][0]
expect_error("DuplicateListener", elbv2.create_listener, LoadBalancerArn=lb_arn,
             Protocol="HTTP", Port=80, DefaultActions=[
                 {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}])
print("listeners", [(l["Port"], l["Protocol"]) for l in
      elbv2.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]])
print("tg of lb", [t["TargetGroupName"] for t in
      elbv2.describe_target_groups(LoadBalancerArn=lb_arn)["TargetGroups"]],
      elbv2.describe_target_groups(Names=["web"])["TargetGroups"][0]["LoadBalancerArns"] == [lb_arn])
expect_error("ResourceInUse", elbv2.delete_target_group, TargetGroupArn=tg_arn)
m = elbv2.modify_target_group(TargetGroupArn=tg_arn, HealthCheckIntervalSeconds=10,
                              HealthCheckTimeoutSeconds=5)["TargetGroups"][0]
print("modified", m["HealthCheckIntervalSeconds"], m["HealthCheckTimeoutSeconds"])
expect_error("ValidationError", elbv2.modify_target_group, TargetGroupArn=tg_arn,
             HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=6)
expect_error("InvalidTarget", elbv2.register_targets, TargetGroupArn=tg_arn,
             Targets=[{"Id": "i-0123456789abcdef0"}])

# A group behind the target group: every instance it launches is registered.
c.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-12345678",
                              InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="lc",
                            MinSize=0, MaxSize=4, DesiredCapacity=2, HealthCheckType="ELB",
                            HealthCheckGracePeriod=0, TargetGroupARNs=[tg_arn])
wait_for(lambda: states(tg_arn), ["healthy", "healthy"])
print("two", sorted(health(tg_arn)) == in_service("web"))
expect_error("ResourceInUse", elbv2.delete_target_group, TargetGroupArn=tg_arn)
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=3)
wait_for(lambda: states(tg_arn), ["healthy", "healthy", "healthy"])
print("three", sorted(health(tg_arn)) == in_service("web"))

# Scaled in: the leaving instances drain for the deregistration delay, then are gone.
c.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=1)
print("scaling in", states(tg_arn))
wait_for(lambda: states(tg_arn), ["healthy"])
print("one", sorted(health(tg_arn)) == in_service("web"))

# Unhealthy while ReplaceUnhealthy is suspended; replaced once it is resumed.
c.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["ReplaceUnhealthy"])
sick = in_service("web")[0]
c.set_instance_health(InstanceId=sick, HealthStatus="Unhealthy")
print("marked", health(tg_arn)[sick])
c.resume_processes(AutoScalingGroupName="web", ScalingProcesses=["ReplaceUnhealthy"])
wait_for(lambda: sorted((i != sick, s) for i, s in health(tg_arn).items()), [(True, "healthy")])
print("replaced", sick not in health(tg_arn), len(in_service("web")))

# Targets registered by hand, checked against the target group's VPC.
other_vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
far = elbv2.create_target_group(Name="far", Protocol="HTTP", Port=80,
                                VpcId=other_vpc)["TargetGroups"][0]["TargetGroupArn"]
mine = in_service("web")[0]
expect_error("InvalidTarget", elbv2.register_targets, TargetGroupArn=far,
             Targets=[{"Id": mine}])
elbv2.register_targets(TargetGroupArn=tcp["TargetGroupArn"], Targets=[{"Id": mine, "Port": 2222}])
print("by hand", [(d["Target"]["Port"], d["TargetHealth"]["State"], d["TargetHealth"].get("Reason"))
                  for d in elbv2.describe_target_health(
                      TargetGroupArn=tcp["TargetGroupArn"])["TargetHealthDescriptions"]])
elbv2.deregister_targets(TargetGroupArn=tcp["TargetGroupArn"], Targets=[{"Id": mine, "Port": 2222}])
print("deregistered", states(tcp["TargetGroupArn"]))
expect_error("InvalidTarget", elbv2.deregister_targets, TargetGroupArn=tcp["TargetGroupArn"],
             Targets=[{"Id": "i-0123456789abcdef0"}])

# Detached: the group's instances leave the target group, which can then go.
c.detach_load_balancer_target_groups(AutoScalingGroupName="web", TargetGroupARNs=[tg_arn])
print("detached", states(tg_arn))
elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
expect_error("ListenerNotFound", elbv2.delete_listener, ListenerArn=listener["ListenerArn"])
elbv2.delete_target_group(TargetGroupArn=tg_arn)
expect_error("TargetGroupNotFound", elbv2.describe_target_health, TargetGroupArn=tg_arn)
elbv2.delete_load_balancer(LoadBalancerArn=lb_arn)
elbv2.delete_load_balancer(LoadBalancerArn=lb_arn)
expect_error("LoadBalancerNotFound", elbv2.describe_load_balancers, LoadBalancerArns=[lb_arn])
print("left", [l["LoadBalancerName"] for l in elbv2.describe_load_balancers()["LoadBalancers"]],
      sorted(t["TargetGroupName"] for t in elbv2.describe_target_groups()["TargetGroups"]))
print("ids", tg_arn, tcp["TargetGroupArn"], other_vpc, mine)
"#;

const CLASSIC: &str = r#"
dns = elb.create_load_balancer(LoadBalancerName="classic", AvailabilityZones=["us-east-1a"],
    Listeners=[{"Protocol": "http", "LoadBalancerPort": 80, "InstancePort": 8080}])["DNSName"]
print("dns", dns.startswith("classic-"), dns.endswith(".us-east-1.elb.amazonaws.com"))
expect_error("DuplicateLoadBalancerName", elb.create_load_balancer, LoadBalancerName="classic",
             AvailabilityZones=["us-east-1b"],
             Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 22, "InstancePort": 22}])
expect_error("UnsupportedProtocol", elb.create_load_balancer, LoadBalancerName="udp",
             AvailabilityZones=["us-east-1a"],
             Listeners=[{"Protocol": "UDP", "LoadBalancerPort": 53, "InstancePort": 53}])
check = elb.configure_health_check(LoadBalancerName="classic", HealthCheck={
    "Target": "HTTP:8080/ping", "Interval": 10, "Timeout": 5, "UnhealthyThreshold": 2,
    "HealthyThreshold": 3})["HealthCheck"]
print("check", check["Target"], check["Interval"])
expect_error("ValidationError", elb.configure_health_check, LoadBalancerName="classic",
             HealthCheck={"Target": "HTTP:8080", "Interval": 10, "Timeout": 5,
                          "UnhealthyThreshold": 2, "HealthyThreshold": 3})
expect_error("LoadBalancerNotFound", elb.describe_instance_health, LoadBalancerName="missing")

c.create_launch_configuration(LaunchConfigurationName="lc2", ImageId="ami-12345678",
                              InstanceType="m1.small")
c.create_auto_scaling_group(AutoScalingGroupName="classic", LaunchConfigurationName="lc2",
                            MinSize=0, MaxSize=3, DesiredCapacity=2, LoadBalancerNames=["classic"])
wait_for(lambda: sorted(classic_health("classic").values()), ["InService", "InService"])
lb = elb.describe_load_balancers(LoadBalancerNames=["classic"])["LoadBalancerDescriptions"][0]
print("instances", sorted(i["InstanceId"] for i in lb["Instances"]) == in_service("classic"),
      lb["HealthCheck"]["Target"], lb["ListenerDescriptions"][0]["Listener"]["Protocol"])
expect_error("ResourceInUse", elb.delete_load_balancer, LoadBalancerName="classic")
c.set_desired_capacity(AutoScalingGroupName="classic", DesiredCapacity=1)
wait_for(lambda: len(classic_health("classic")), 1)
print("scaled in", list(classic_health("classic").values()), list(classic_health("classic")) == in_service("classic"))
expect_error("InvalidInstance", elb.register_instances_with_load_balancer,
             LoadBalancerName="classic", Instances=[{"InstanceId": "i-0123456789abcdef0"}])
c.detach_load_balancers(AutoScalingGroupName="classic", LoadBalancerNames=["classic"])
print("detached", classic_health("classic"))
left = in_service("classic")[0]
print("by hand", elb.register_instances_with_load_balancer(LoadBalancerName="classic",
      Instances=[{"InstanceId": left}])["Instances"] == [{"InstanceId": left}])
print("health", list(classic_health("classic").values()))
print("deregistered", elb.deregister_instances_from_load_balancer(LoadBalancerName="classic",
      Instances=[{"InstanceId": left}])["Instances"])
elb.delete_load_balancer(LoadBalancerName="classic")
expect_error("LoadBalancerNotFound", elb.describe_load_balancers, LoadBalancerNames=["classic"])
"#;

const OTHER_KEY: &str = r#"
print("other", elbv2.describe_load_balancers()["LoadBalancers"],
      [t["TargetGroupName"] for t in elbv2.describe_target_groups()["TargetGroups"]],
      elb.describe_load_balancers()["LoadBalancerDescriptions"])
"#;

async fn boto3(server: &RunningServer, creds: &Credentials, script: &str) -> Vec<String> {
    boto3_script(&server.url(), creds, PRELUDE, script, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_behind_a_target_group_registers_drains_and_replaces_its_instances() {
    let s = server().await;
    let lines = boto3(&s, &key(), ELBV2).await;
    let want = [
        "lb loadbalancer/app/web application internet-facing active True ['us-east-1a', \
         'us-east-1b']",
        "again True",
        "DuplicateLoadBalancerName: A load balancer with the specified name already exists.",
        "ValidationError: At least two subnets in two different Availability Zones must be \
         specified",
        "SubnetNotFound: The subnet ID 'subnet-0123456789abcdef0' is not valid",
        "ValidationError: Load balancer name '-bad' can have a maximum of 32 characters, can \
         contain only alphanumeric characters or hyphens, and must not begin or end with a hyphen",
        "tg targetgroup/web HTTP /ping 30 {'HttpCode': '200'} []",
        "DuplicateTargetGroupName: A target group with the specified name already exists.",
        "ValidationError: A port must be specified",
        "TargetGroupNotFound: One or more target groups not found",
        "UnsupportedProtocol: Protocol 'TCP' is not supported for load balancers of type \
         'application'",
        "IncompatibleProtocols: The listener protocol 'HTTP' is not compatible with the target \
         group protocol 'TCP'",
        "ValidationError: 1 validation error detected: Value '70000' at 'port' failed to satisfy \
         constraint: Member must have value less than or equal to 65535 and greater than or \
         equal to 1",
        "DuplicateListener: A listener already exists on this port for this load balancer",
        "listeners [(80, 'HTTP')]",
        "tg of lb ['web'] True",
        "ResourceInUse: Target group '__TG__' is currently in use by a listener or a rule",
        "modified 10 5",
        "ValidationError: Health check interval must be greater than the timeout.",
        "InvalidTarget: The following targets are not valid instances: 'i-0123456789abcdef0'",
        "two True",
        "ResourceInUse: Target group '__TG__' is currently in use by a listener or a rule",
        "three True",
        "scaling in ['draining', 'draining', 'healthy']",
        "one True",
        "marked unhealthy",
        "replaced True 1",
        "InvalidTarget: The following targets are not in the target group VPC '__VPC__': \
         '__MINE__'",
        "by hand [(2222, 'unused', 'Target.NotInUse')]",
        "deregistered ['draining']",
        "InvalidTarget: The following targets are not registered in target group '__TCP__': \
         'i-0123456789abcdef0'",
        "detached []",
        "ListenerNotFound: One or more listeners not found",
        "TargetGroupNotFound: One or more target groups not found",
        "LoadBalancerNotFound: One or more load balancers not found",
        "left [] ['far', 'tcp']",
    ];
    // The ids the endpoint chose (the last line), named by markers in the lines before it.
    let (ids, lines) = lines.split_last().expect("lines");
    let ids: Vec<&str> = ids.split(' ').skip(1).collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    let lines: Vec<String> = lines
        .iter()
        .map(|l| {
            ["__TG__", "__TCP__", "__VPC__", "__MINE__"]
                .iter()
                .zip(&ids)
                .fold(l.clone(), |l, (marker, id)| l.replace(id, marker))
        })
        .collect();
    assert_eq!(lines, want);
    let lines = boto3(&s, &key(), CLASSIC).await;
    assert_eq!(
        lines,
        [
            "dns True True",
            "DuplicateLoadBalancerName: The specified load balancer name already exists for \
             this account.",
            "UnsupportedProtocol: Protocol 'UDP' is not supported",
            "check HTTP:8080/ping 10",
            "ValidationError: HealthCheck Target 'HTTP:8080' must be PROTOCOL:PORT (TCP, SSL) or \
             PROTOCOL:PORT/PATH (HTTP, HTTPS)",
            "LoadBalancerNotFound: There is no ACTIVE Load Balancer named 'missing'",
            "instances True HTTP:8080/ping HTTP",
            "ResourceInUse: The load balancer classic is in use by the Auto Scaling group classic",
            "scaled in ['InService'] True",
            "InvalidInstance: The requested instance(s) are not valid: i-0123456789abcdef0",
            "detached {}",
            "by hand True",
            "health ['InService']",
            "deregistered []",
            "LoadBalancerNotFound: There is no ACTIVE Load Balancer named 'classic'",
        ]
    );
    let lines = boto3(&s, &other_key(), OTHER_KEY).await;
    assert_eq!(lines, ["other [] [] []"]);
    s.shutdown().await;
}
