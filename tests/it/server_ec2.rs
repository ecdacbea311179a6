//! EC2's launch-template slice on the built-in endpoint, driven by boto3's `ec2` and
//! `autoscaling` clients over real HTTP with SigV4 (issue 12, items 5, 6 and 8): the default VPC
//! and its default subnets, VPC and subnet rules and AWS's error codes, a template and its
//! version 2, a group from `$Latest` in two subnets, scaling, DescribeInstances (addresses from
//! the subnets, tags, image and type from the version), TerminateInstances replaced by the
//! group, a mixed instances policy deciding types and purchase options, a group from an
//! instance, deleting everything; a request whose signing service and `Version` disagree; a
//! second key seeing none of it; the state across a restart with a state file; and the client's
//! `phantom lt` commands against `phantom serve`.

use std::time::Duration;

use crate::util::peers::{boto3_script, phantom};
use crate::util::run::scratch_dir;
use crate::util::serve::Served;
use phantom_autoscale::Credentials;
use phantom_autoscale::server::{RunningServer, ServeOptions, start};

fn key() -> Credentials {
    Credentials::new("AKIDEC2SERVE00000001", "ec2/serve+secret=")
}

fn other_key() -> Credentials {
    Credentials::new("AKIDEC2SERVE00000002", "other/serve+secret=")
}

async fn server(state: &std::path::Path) -> RunningServer {
    crate::util::server::start_keyed(vec![key(), other_key()], state, Duration::from_millis(100))
        .await
}

/// boto3 clients of both services at the endpoint, `expect_error`, and a wait for instance
/// states (polling, no speed asserted).
const PRELUDE: &str = r#"
import ipaddress, os, sys, time
import boto3, botocore
url = os.environ["PHANTOM_ENDPOINT"]
ec2 = boto3.client("ec2", endpoint_url=url, region_name="us-east-1")
asg = boto3.client("autoscaling", endpoint_url=url, region_name="us-east-1")

def expect_error(code, fn, **kw):
    try:
        fn(**kw)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, (code, got, e.response["Error"].get("Message"))
        print(code + ": " + e.response["Error"]["Message"])
        return
    raise AssertionError("no error, expected " + code)

def group_instances(name, wanted=None, deadline=60):
    end = time.time() + deadline
    while True:
        g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
        live = [i for i in g["Instances"] if i["LifecycleState"] != "Terminating"]
        if wanted is None or (len(live) == wanted and all(i["LifecycleState"] == "InService" for i in live)):
            return g, live
        assert time.time() < end, g
        time.sleep(0.1)

def ec2_instances(**kw):
    return [i for r in ec2.describe_instances(**kw)["Reservations"] for i in r["Instances"]]
"#;

const SESSION: &str = r#"
zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
print("zones", zones)
default_vpc = ec2.describe_vpcs()["Vpcs"]
print("default vpc", [(v["CidrBlock"], v["IsDefault"], v["State"]) for v in default_vpc])
defaults = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
print("default subnets", sorted((s["AvailabilityZone"], s["CidrBlock"], s["AvailableIpAddressCount"]) for s in defaults))

# A VPC and two subnets, and AWS's rules about them.
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
    {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "lab"}]}])["Vpc"]
vpc_id = vpc["VpcId"]
print("vpc", vpc["CidrBlock"], vpc["IsDefault"], vpc["Tags"])
s1 = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]
s2 = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]
print("subnets", s1["AvailabilityZone"], s1["AvailableIpAddressCount"], s2["AvailabilityZone"], s2["DefaultForAz"])
expect_error("InvalidSubnet.Range", ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.1.0.0/24")
expect_error("InvalidSubnet.Range", ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.0.3.0/29")
expect_error("InvalidSubnet.Conflict", ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.0.1.128/25")
expect_error("InvalidVpc.Range", ec2.create_vpc, CidrBlock="10.0.0.0/8")
expect_error("InvalidParameterValue", ec2.create_vpc, CidrBlock="10.0.0.300/16")
expect_error("InvalidParameterValue", ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.0.4.0/24", AvailabilityZone="us-east-1z")
expect_error("InvalidVpcID.NotFound", ec2.create_subnet, VpcId="vpc-0000000000000000a", CidrBlock="10.0.5.0/24")
expect_error("InvalidSubnetID.NotFound", ec2.describe_subnets, SubnetIds=["subnet-0000000000000000a"])
expect_error("DependencyViolation", ec2.delete_vpc, VpcId=vpc_id)
print("subnets of the vpc", len(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]))

# A template, its version 2 from version 1, and the template's errors.
lt = ec2.create_launch_template(LaunchTemplateName="web", VersionDescription="first",
    LaunchTemplateData={"ImageId": "ami-11111111", "InstanceType": "t3.micro",
                        "KeyName": "k", "SecurityGroupIds": ["sg-1", "sg-2"]})["LaunchTemplate"]
print("template", lt["LaunchTemplateId"].startswith("lt-"), lt["DefaultVersionNumber"], lt["LatestVersionNumber"])
expect_error("InvalidLaunchTemplateName.AlreadyExistsException", ec2.create_launch_template,
             LaunchTemplateName="web", LaunchTemplateData={"ImageId": "ami-2"})
v2 = ec2.create_launch_template_version(LaunchTemplateName="web", SourceVersion="1",
    LaunchTemplateData={"InstanceType": "t3.small"})["LaunchTemplateVersion"]
d = v2["LaunchTemplateData"]
print("version 2", v2["VersionNumber"], v2["DefaultVersion"], d["ImageId"], d["InstanceType"], d["SecurityGroupIds"], d["KeyName"])
t = ec2.describe_launch_templates(LaunchTemplateNames=["web"])["LaunchTemplates"][0]
print("described", t["DefaultVersionNumber"], t["LatestVersionNumber"])
latest = ec2.describe_launch_template_versions(LaunchTemplateName="web", Versions=["$Latest"])["LaunchTemplateVersions"]
print("latest", [v["VersionNumber"] for v in latest])
expect_error("InvalidLaunchTemplateName.NotFoundException", ec2.describe_launch_template_versions, LaunchTemplateName="nope")
expect_error("InvalidLaunchTemplateId.NotFound", ec2.describe_launch_templates, LaunchTemplateIds=["lt-0000000000000000a"])
expect_error("InvalidLaunchTemplateId.VersionNotFound", ec2.describe_launch_template_versions, LaunchTemplateName="web", Versions=["7"])

# A group from `$Latest` in the two subnets.
expect_error("ValidationError", asg.create_auto_scaling_group, AutoScalingGroupName="g",
             LaunchTemplate={"LaunchTemplateName": "nope", "Version": "$Latest"}, MinSize=1, MaxSize=4,
             VPCZoneIdentifier=s1["SubnetId"])
expect_error("ValidationError", asg.create_auto_scaling_group, AutoScalingGroupName="g",
             LaunchTemplate={"LaunchTemplateName": "web"}, MinSize=1, MaxSize=4,
             VPCZoneIdentifier="subnet-0000000000000000a")
expect_error("ValidationError", asg.create_auto_scaling_group, AutoScalingGroupName="g",
             LaunchTemplate={"LaunchTemplateName": "web"}, MinSize=1, MaxSize=4,
             VPCZoneIdentifier=s1["SubnetId"] + "," + defaults[0]["SubnetId"])
asg.create_auto_scaling_group(AutoScalingGroupName="g", MinSize=1, MaxSize=4, DesiredCapacity=2,
    LaunchTemplate={"LaunchTemplateName": "web", "Version": "$Latest"},
    VPCZoneIdentifier=s1["SubnetId"] + "," + s2["SubnetId"],
    Tags=[{"Key": "team", "Value": "blue", "PropagateAtLaunch": True},
          {"Key": "cost", "Value": "x", "PropagateAtLaunch": False}])
g, live = group_instances("g", 2)
print("group", g["LaunchTemplate"], g.get("LaunchConfigurationName"), sorted(g["AvailabilityZones"]))
print("group instances", sorted((i["AvailabilityZone"], i["InstanceType"], i["LaunchTemplate"]["Version"], i["LaunchTemplate"]["LaunchTemplateName"]) for i in live))
print("asg instances", sorted({(i["LaunchTemplate"]["LaunchTemplateName"], i["LaunchTemplate"]["Version"], "LaunchConfigurationName" in i) for i in asg.describe_auto_scaling_instances()["AutoScalingInstances"]}))
asg.set_desired_capacity(AutoScalingGroupName="g", DesiredCapacity=3)
g, live = group_instances("g", 3)
mine = ec2_instances(Filters=[{"Name": "tag:aws:autoscaling:groupName", "Values": ["g"]},
                              {"Name": "instance-state-name", "Values": ["running"]}])
nets = {s1["SubnetId"]: s1["CidrBlock"], s2["SubnetId"]: s2["CidrBlock"]}
for i in mine:
    assert ipaddress.ip_address(i["PrivateIpAddress"]) in ipaddress.ip_network(nets[i["SubnetId"]]), i
    assert i["PrivateDnsName"] == "ip-" + i["PrivateIpAddress"].replace(".", "-") + ".ec2.internal", i
    assert i["VpcId"] == vpc_id and i["Placement"]["AvailabilityZone"] in ("us-east-1a", "us-east-1b"), i
print("described instances", len(mine), sorted({(i["ImageId"], i["InstanceType"], i["KeyName"], i["State"]["Name"], i["State"]["Code"]) for i in mine}))
print("tags", sorted((t["Key"], t["Value"]) for t in mine[0]["Tags"] if t["Key"] != "aws:ec2launchtemplate:id"))
print("by subnet", sorted(len([i for i in mine if i["SubnetId"] == s]) for s in nets))
print("addresses unique", len({i["PrivateIpAddress"] for i in mine}) == 3)
print("by id", [i["InstanceId"] for i in ec2_instances(InstanceIds=[mine[0]["InstanceId"]])] == [mine[0]["InstanceId"]])
expect_error("InvalidInstanceID.NotFound", ec2.describe_instances, InstanceIds=["i-0000000000000000a"])
expect_error("InvalidInstanceID.Malformed", ec2.terminate_instances, InstanceIds=["web-1"])

# Terminating one through EC2: the group replaces it, as after a health check.
victim = mine[0]["InstanceId"]
change = ec2.terminate_instances(InstanceIds=[victim])["TerminatingInstances"][0]
print("terminate", change["PreviousState"]["Name"], change["CurrentState"]["Name"], change["CurrentState"]["Code"])
g, live = group_instances("g", 3)
print("replaced", g["DesiredCapacity"], victim not in [i["InstanceId"] for i in live])
causes = [a["Cause"] for a in asg.describe_scaling_activities(AutoScalingGroupName="g")["Activities"]]
print("health check cause", any("in response to an EC2 health check indicating it has been terminated or stopped" in c for c in causes))
states = [i["State"]["Name"] for i in ec2_instances(InstanceIds=[victim])]
print("victim", states[0] in ("shutting-down", "terminated"))

# `$Latest` is resolved at each launch: a version 3 makes the next launches t3.large.
ec2.create_launch_template_version(LaunchTemplateName="web", SourceVersion="$Latest",
    LaunchTemplateData={"InstanceType": "t3.large"})
asg.set_desired_capacity(AutoScalingGroupName="g", DesiredCapacity=4)
g, live = group_instances("g", 4)
print("after version 3", sorted(i["InstanceType"] for i in live), sorted(i["LaunchTemplate"]["Version"] for i in live))
asg.update_auto_scaling_group(AutoScalingGroupName="g", LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplateId"], "Version": "1"})
expect_error("ValidationError", asg.update_auto_scaling_group, AutoScalingGroupName="g",
             LaunchTemplate={"LaunchTemplateName": "web", "Version": "8"})
print("updated", asg.describe_auto_scaling_groups(AutoScalingGroupNames=["g"])["AutoScalingGroups"][0]["LaunchTemplate"]["Version"])

# Versions: a new default, the default kept from deletion, per-version results.
print("modify", ec2.modify_launch_template(LaunchTemplateName="web", DefaultVersion="2")["LaunchTemplate"]["DefaultVersionNumber"])
r = ec2.delete_launch_template_versions(LaunchTemplateName="web", Versions=["1", "2", "9"])
print("deleted", [v["VersionNumber"] for v in r["SuccessfullyDeletedLaunchTemplateVersions"]],
      sorted((v["VersionNumber"], v["ResponseError"]["Code"]) for v in r["UnsuccessfullyDeletedLaunchTemplateVersions"]))
print("left", [v["VersionNumber"] for v in ec2.describe_launch_template_versions(LaunchTemplateName="web")["LaunchTemplateVersions"]])
expect_error("DependencyViolation", ec2.delete_subnet, SubnetId=s1["SubnetId"])

# A mixed instances policy: base 1 On-Demand, half of the rest, the overrides' types.
asg.create_auto_scaling_group(AutoScalingGroupName="mix", MinSize=0, MaxSize=10, DesiredCapacity=4,
    VPCZoneIdentifier=s2["SubnetId"],
    MixedInstancesPolicy={
        "LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateId": lt["LaunchTemplateId"]},
                           "Overrides": [{"InstanceType": "c5.large"}, {"InstanceType": "m5.large"}]},
        "InstancesDistribution": {"OnDemandBaseCapacity": 1, "OnDemandPercentageAboveBaseCapacity": 50}})
g, live = group_instances("mix", 4)
mixed = ec2_instances(Filters=[{"Name": "tag:aws:autoscaling:groupName", "Values": ["mix"]}])
print("mixed", sorted((i["InstanceType"], i.get("InstanceLifecycle", "on-demand")) for i in mixed))
print("mixed version", sorted({i["LaunchTemplate"]["Version"] for i in live}))

# A group from an instance takes its template and subnet.
asg.create_auto_scaling_group(AutoScalingGroupName="copy", MinSize=1, MaxSize=1, InstanceId=live[0]["InstanceId"])
g, live = group_instances("copy", 1)
print("copy", g["LaunchTemplate"]["LaunchTemplateId"] == lt["LaunchTemplateId"], g["VPCZoneIdentifier"] == s2["SubnetId"], live[0]["AvailabilityZone"])

# Everything deleted.
for name in ("g", "mix", "copy"):
    asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
ec2.delete_subnet(SubnetId=s1["SubnetId"])
ec2.delete_subnet(SubnetId=s2["SubnetId"])
ec2.delete_vpc(VpcId=vpc_id)
ec2.delete_launch_template(LaunchTemplateName="web")
print("after delete", len(ec2.describe_vpcs()["Vpcs"]), ec2.describe_launch_templates()["LaunchTemplates"],
      len(ec2.describe_subnets()["Subnets"]))

# What is kept for the other key and the restart.
kept = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
kept_subnet = ec2.create_subnet(VpcId=kept, CidrBlock="10.9.0.0/24")["Subnet"]["SubnetId"]
ec2.create_launch_template(LaunchTemplateName="kept", LaunchTemplateData={"ImageId": "ami-k"})
ec2.create_launch_template_version(LaunchTemplateName="kept", LaunchTemplateData={"ImageId": "ami-k2"})
open(os.environ["IDS"], "w").write(kept + " " + kept_subnet)
"#;

/// The second key: its own default VPC, none of the first key's resources.
const OTHER_KEY: &str = r#"
kept, kept_subnet = open(os.environ["IDS"]).read().split()
vpcs = ec2.describe_vpcs()["Vpcs"]
print("other vpcs", [(v["CidrBlock"], v["IsDefault"]) for v in vpcs], kept in [v["VpcId"] for v in vpcs])
print("other templates", ec2.describe_launch_templates()["LaunchTemplates"])
print("other instances", ec2.describe_instances()["Reservations"])
expect_error("InvalidSubnetID.NotFound", ec2.describe_subnets, SubnetIds=[kept_subnet])
expect_error("InvalidLaunchTemplateName.NotFoundException", ec2.describe_launch_template_versions, LaunchTemplateName="kept")
expect_error("ValidationError", asg.create_auto_scaling_group, AutoScalingGroupName="theirs",
             LaunchTemplate={"LaunchTemplateName": "kept"}, MinSize=0, MaxSize=1)
ec2.create_launch_template(LaunchTemplateName="kept", LaunchTemplateData={"ImageId": "ami-theirs"})
expect_error("ValidationError", asg.create_auto_scaling_group, AutoScalingGroupName="theirs",
             LaunchTemplate={"LaunchTemplateName": "kept"}, MinSize=0, MaxSize=1, VPCZoneIdentifier=kept_subnet)
ec2.delete_launch_template(LaunchTemplateName="kept")
"#;

/// After a restart on the same state file.
const RESTARTED: &str = r#"
kept, kept_subnet = open(os.environ["IDS"]).read().split()
print("kept vpc", [v["CidrBlock"] for v in ec2.describe_vpcs(VpcIds=[kept])["Vpcs"]])
print("kept subnet", [s["CidrBlock"] for s in ec2.describe_subnets(SubnetIds=[kept_subnet])["Subnets"]])
t = ec2.describe_launch_templates(LaunchTemplateNames=["kept"])["LaunchTemplates"][0]
print("kept template", t["LatestVersionNumber"], t["DefaultVersionNumber"],
      [v["LaunchTemplateData"]["ImageId"] for v in ec2.describe_launch_template_versions(LaunchTemplateName="kept")["LaunchTemplateVersions"]])
print("one default vpc", len([v for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]]))
"#;

/// A request signed for one service and naming the other's `Version`, and an action outside
/// the slice.
const MISMATCH: &str = r#"
import urllib.request, urllib.error
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
def send(service, body):
    req = AWSRequest(method="POST", url=url + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(creds, service, "us-east-1").add_auth(req)
    r = urllib.request.Request(url + "/", data=body.encode(), headers=dict(req.headers.items()), method="POST")
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
status, body = send("ec2", "Action=DescribeVpcs&Version=2011-01-01")
print("ec2 scope, autoscaling version", status, "<Response><Errors><Error><Code>InvalidParameterValue</Code>" in body)
status, body = send("autoscaling", "Action=DescribeVpcs&Version=2016-11-15")
print("autoscaling scope, ec2 version", status, "<Response><Errors><Error><Code>InvalidParameterValue</Code>" in body)
status, body = send("ec2", "Action=RunInstances&Version=2016-11-15&ImageId=ami-1&MinCount=1&MaxCount=1")
print("outside the slice", status, "<Code>InvalidAction</Code>" in body, "<RequestID>" in body)
status, body = send("ec2", "Action=DescribeVpcs&Version=2016-11-15")
print("ec2 reply", status, body.split("><")[0].endswith('DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'),
      "<requestId>" in body, "<vpcSet><item>" in body)
expect_error("DryRunOperation", ec2.describe_vpcs, DryRun=True)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_launch_template_session_isolation_and_restart() {
    let dir = scratch_dir("server-ec2");
    let state = dir.join("state.db");
    let ids = dir.join("ids");
    let env = [("IDS", ids.as_os_str())];
    let s = server(&state).await;
    let lines = boto3_script(&s.url(), &key(), PRELUDE, SESSION, &env).await;
    let want = [
        "zones ['us-east-1a', 'us-east-1b', 'us-east-1c']",
        "default vpc [('172.31.0.0/16', True, 'available')]",
        "default subnets [('us-east-1a', '172.31.0.0/20', 4091), ('us-east-1b', '172.31.16.0/20', \
         4091), ('us-east-1c', '172.31.32.0/20', 4091)]",
        "vpc 10.0.0.0/16 False [{'Key': 'Name', 'Value': 'lab'}]",
        "subnets us-east-1a 251 us-east-1b False",
        "InvalidSubnet.Range: The CIDR '10.1.0.0/24' is invalid.",
        "InvalidSubnet.Range: The CIDR '10.0.3.0/29' is invalid.",
        "InvalidSubnet.Conflict: The CIDR '10.0.1.128/25' conflicts with another subnet",
        "InvalidVpc.Range: The CIDR '10.0.0.0/8' is invalid.",
        "InvalidParameterValue: Value (10.0.0.300/16) for parameter cidrBlock is invalid. This is \
         not a valid CIDR block.",
        "InvalidParameterValue: Value (us-east-1z) for parameter availabilityZone is invalid. \
         Subnets can currently only be created in the following availability zones: us-east-1a, \
         us-east-1b, us-east-1c.",
        "InvalidVpcID.NotFound: The vpc ID 'vpc-0000000000000000a' does not exist",
        "InvalidSubnetID.NotFound: The subnet ID 'subnet-0000000000000000a' does not exist",
        "DependencyViolation: The vpc 'VPC' has dependencies and cannot be deleted.",
        "subnets of the vpc 2",
        "template True 1 1",
        "InvalidLaunchTemplateName.AlreadyExistsException: Launch template name already in use.",
        "version 2 2 False ami-11111111 t3.small ['sg-1', 'sg-2'] k",
        "described 1 2",
        "latest [2]",
        "InvalidLaunchTemplateName.NotFoundException: The specified launch template, with \
         template name nope, does not exist.",
        "InvalidLaunchTemplateId.NotFound: The specified launch template, with template ID \
         lt-0000000000000000a, does not exist.",
        "InvalidLaunchTemplateId.VersionNotFound: Could not find launch template version 7 of \
         launch template LT.",
        "ValidationError: You must use a valid fully-formed launch template. The specified \
         launch template, with template name nope, does not exist.",
        "ValidationError: The subnet ID 'subnet-0000000000000000a' does not exist",
        "ValidationError: The subnets specified in VPCZoneIdentifier must be in the same VPC.",
        "group {'LaunchTemplateName': 'web', 'Version': '$Latest'} None ['us-east-1a', \
         'us-east-1b']",
        "group instances [('us-east-1a', 't3.small', '2', 'web'), ('us-east-1b', 't3.small', \
         '2', 'web')]",
        "asg instances [('web', '2', False)]",
        "described instances 3 [('ami-11111111', 't3.small', 'k', 'running', 16)]",
        "tags [('aws:autoscaling:groupName', 'g'), ('aws:ec2launchtemplate:version', '2'), \
         ('team', 'blue')]",
        "by subnet [1, 2]",
        "addresses unique True",
        "by id True",
        "InvalidInstanceID.NotFound: The instance ID 'i-0000000000000000a' does not exist",
        "InvalidInstanceID.Malformed: Invalid id: \"web-1\"",
        "terminate running shutting-down 32",
        "replaced 3 True",
        "health check cause True",
        "victim True",
        "after version 3 ['t3.large', 't3.small', 't3.small', 't3.small'] ['2', '2', '2', '3']",
        "ValidationError: You must use a valid fully-formed launch template. The specified launch \
         template version 8 of LT does not exist.",
        "updated 1",
        "modify 2",
        "deleted [1] [(2, 'unexpectedError'), (9, 'launchTemplateVersionDoesNotExist')]",
        "left [2, 3]",
        "DependencyViolation: The subnet 'SUBNET' has dependencies and cannot be deleted.",
        "mixed [('c5.large', 'on-demand'), ('c5.large', 'on-demand'), ('c5.large', \
         'on-demand'), ('c5.large', 'spot')]",
        "mixed version ['2']",
        "copy True True us-east-1b",
        "after delete 1 [] 3",
    ];
    // Ids are random: the lines that name one are compared with it replaced.
    let shown: Vec<String> = lines
        .iter()
        .map(|l| {
            l.split(' ')
                .map(|w| {
                    let bare = w.trim_matches(|c| c == '\'' || c == '.' || c == ',');
                    let kind = if bare.starts_with("vpc-")
                        && bare.len() == 21
                        && bare != "vpc-0000000000000000a"
                    {
                        "VPC"
                    } else if bare.starts_with("subnet-")
                        && bare.len() == 24
                        && bare != "subnet-0000000000000000a"
                    {
                        "SUBNET"
                    } else if bare.starts_with("lt-")
                        && bare.len() == 20
                        && bare != "lt-0000000000000000a"
                    {
                        "LT"
                    } else {
                        return w.to_string();
                    };
                    w.replace(bare, kind)
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(shown, want, "all output:\n{}", lines.join("\n"));

    let lines = boto3_script(&s.url(), &other_key(), PRELUDE, OTHER_KEY, &env).await;
    assert_eq!(
        lines,
        [
            "other vpcs [('172.31.0.0/16', True)] False",
            "other templates []",
            "other instances []",
            "InvalidSubnetID.NotFound: The subnet ID 'KEPT' does not exist",
            "InvalidLaunchTemplateName.NotFoundException: The specified launch template, with \
             template name kept, does not exist.",
            "ValidationError: You must use a valid fully-formed launch template. The specified \
             launch template, with template name kept, does not exist.",
            "ValidationError: The subnet ID 'KEPT' does not exist",
        ]
        .map(|l| {
            let kept = std::fs::read_to_string(&ids).unwrap();
            l.replace("KEPT", kept.split(' ').nth(1).unwrap())
        })
    );

    let lines = boto3_script(&s.url(), &key(), PRELUDE, MISMATCH, &env).await;
    assert_eq!(
        lines,
        [
            "ec2 scope, autoscaling version 400 True",
            "autoscaling scope, ec2 version 400 True",
            "outside the slice 400 True True",
            "ec2 reply 200 True True True",
            "DryRunOperation: Request would have succeeded, but DryRun flag is set.",
        ]
    );

    s.shutdown().await;
    let s = server(&state).await;
    let lines = boto3_script(&s.url(), &key(), PRELUDE, RESTARTED, &env).await;
    assert_eq!(
        lines,
        [
            "kept vpc ['10.9.0.0/16']",
            "kept subnet ['10.9.0.0/24']",
            "kept template 2 1 ['ami-k', 'ami-k2']",
            "one default vpc 1",
        ]
    );
    s.shutdown().await;
}

/// `--zones` decides the default subnets and DescribeAvailabilityZones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zones_are_configurable() {
    let s = start(ServeOptions {
        keys: vec![key()],
        region: "eu-west-3".into(),
        zones: vec!["eu-west-3a".into(), "eu-west-3c".into()],
        ..ServeOptions::default()
    })
    .await
    .unwrap();
    let script = r#"
ec2 = boto3.client("ec2", endpoint_url=url, region_name="eu-west-3")
print([(z["ZoneName"], z["ZoneId"], z["RegionName"]) for z in ec2.describe_availability_zones()["AvailabilityZones"]])
print(sorted((s["AvailabilityZone"], s["CidrBlock"]) for s in ec2.describe_subnets()["Subnets"]))
"#;
    let lines = boto3_script(&s.url(), &key(), PRELUDE, script, &[]).await;
    assert_eq!(
        lines,
        [
            "[('eu-west-3a', 'euw3-az1', 'eu-west-3'), ('eu-west-3c', 'euw3-az2', 'eu-west-3')]",
            "[('eu-west-3a', '172.31.0.0/20'), ('eu-west-3c', '172.31.16.0/20')]",
        ]
    );
    s.shutdown().await;
}

/// The client's `phantom lt` commands against `phantom serve` (one endpoint for both APIs).
#[test]
fn lt_commands_against_phantom_serve() {
    let served = Served::start(&["--no-auth"]);
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDLTSERVE000000001"),
        ("AWS_SECRET_ACCESS_KEY", "lt-serve-secret"),
        ("AWS_ENDPOINT_URL_EC2", served.url.as_str()),
        ("AWS_ENDPOINT_URL_AUTO_SCALING", "http://127.0.0.1:9/"),
    ];
    let ok = |args: &[&str]| {
        let r = phantom(args, &env);
        assert_eq!(r.code, 0, "phantom {args:?}: {}", r.stderr);
        r.stdout
    };
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
        ]),
        ""
    );
    let listed = ok(&["lt", "list"]);
    let line = listed.lines().find(|l| l.starts_with("web ")).unwrap();
    assert!(line.ends_with(" default 1 latest 1"), "{listed}");
    assert_eq!(
        ok(&["lt", "update", "web", "--instance-type", "m1.large"]),
        "2\n"
    );
    assert_eq!(
        ok(&["lt", "update", "web", "--image", "ami-3", "--default"]),
        "3\n"
    );
    // SourceVersion is honoured here (as on AWS): each version keeps what it does not change.
    assert_eq!(
        ok(&["lt", "versions", "web"]),
        "1 ami-11111111 m1.small\n2 ami-11111111 m1.large\n3 (default) ami-3 m1.large\n"
    );
    assert!(ok(&["lt", "list"]).contains(" default 3 latest 3"));
    assert_eq!(ok(&["lt", "delete", "web"]), "");
    let r = phantom(&["lt", "delete", "web"], &env);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains("InvalidLaunchTemplateName.NotFoundException"),
        "{}",
        r.stderr
    );
}
