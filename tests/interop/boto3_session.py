"""The seed's session with boto3 against the built-in endpoint (SigV4, real keys).

Environment: PHANTOM_ENDPOINT (http://127.0.0.1:PORT), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
Prints one line per step; exits non-zero on the first surprise.
"""
import os
import sys
import time

import boto3
import botocore.exceptions

client = boto3.client(
    "autoscaling",
    endpoint_url=os.environ["PHANTOM_ENDPOINT"],
    region_name="us-east-1",
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
)


def expect_error(code, fn, **kwargs):
    try:
        fn(**kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        if got != code:
            sys.exit(f"expected {code}, got {got}: {e}")
        print(f"ClientError {got}")
        return
    sys.exit(f"expected {code}, call succeeded")


client.create_launch_configuration(
    LaunchConfigurationName="testlc1@hotel", ImageId="hello-phantom.gz", InstanceType="m1.small"
)
print("created testlc1@hotel")
expect_error(
    "AlreadyExists",
    client.create_launch_configuration,
    LaunchConfigurationName="testlc1@hotel",
    ImageId="hello-phantom.gz",
    InstanceType="m1.small",
)
names = [lc["LaunchConfigurationName"] for lc in client.describe_launch_configurations()["LaunchConfigurations"]]
print("launch configurations:", " ".join(names))
client.create_auto_scaling_group(
    AutoScalingGroupName="testDomain1", LaunchConfigurationName="testlc1", MinSize=1, MaxSize=2, DesiredCapacity=1
)
print("using LaunchConfiguration:testlc1")
expect_error(
    "ValidationError",
    client.set_desired_capacity,
    AutoScalingGroupName="testDomain1",
    DesiredCapacity=5,
)
deadline = time.time() + 30
while True:
    group = client.describe_auto_scaling_groups(AutoScalingGroupNames=["testDomain1"])["AutoScalingGroups"][0]
    states = [i["LifecycleState"] for i in group["Instances"]]
    if states == ["InService"] or time.time() > deadline:
        break
    time.sleep(0.1)
print(group["AutoScalingGroupName"])
print(f"    {group['LaunchConfigurationName']} : {group['DesiredCapacity']}")
for i in group["Instances"]:
    print(f"        {i['AvailabilityZone']} : {i['HealthStatus']} {i['LifecycleState']}")
instances = client.describe_auto_scaling_instances()["AutoScalingInstances"]
print("instances:", len(instances), instances[0]["AutoScalingGroupName"])
client.set_desired_capacity(AutoScalingGroupName="testDomain1", DesiredCapacity=2)
group = client.describe_auto_scaling_groups(AutoScalingGroupNames=["testDomain1"])["AutoScalingGroups"][0]
print("desired", group["DesiredCapacity"], "instances", len(group["Instances"]))
paginator = client.get_paginator("describe_scaling_activities")
activities = [a for page in paginator.paginate(AutoScalingGroupName="testDomain1") for a in page["Activities"]]
print("activities", len(activities))
client.delete_auto_scaling_group(AutoScalingGroupName="testDomain1", ForceDelete=True)
print("deleting testDomain1")
client.delete_launch_configuration(LaunchConfigurationName="testlc1@hotel")
left = client.describe_launch_configurations()["LaunchConfigurations"]
print("left", len(left))
