"""The seed's session with boto 2.49, as Phantom-era scripts connected: a plain
AutoScaleConnection with a RegionInfo whose endpoint is the host, no patching.

Environment: PHANTOM_PORT, EC2_ACCESS_KEY, EC2_SECRET_KEY.
"""
import os
import time

import boto.ec2.autoscale
from boto.ec2.autoscale import AutoScalingGroup, LaunchConfiguration
from boto.ec2.regioninfo import RegionInfo

conn = boto.ec2.autoscale.AutoScaleConnection(
    aws_access_key_id=os.environ["EC2_ACCESS_KEY"],
    aws_secret_access_key=os.environ["EC2_SECRET_KEY"],
    region=RegionInfo(name="nimbus", endpoint="127.0.0.1"),
    port=int(os.environ["PHANTOM_PORT"]),
    is_secure=False,
)

lc = LaunchConfiguration(name="testlc1@hotel", image_id="hello-phantom.gz", instance_type="m1.small")
conn.create_launch_configuration(lc)
print("\n".join(l.name for l in conn.get_all_launch_configurations()))
asg = AutoScalingGroup(
    group_name="testDomain1",
    availability_zones=["hotel"],
    launch_config="testlc1",
    min_size=1,
    max_size=1,
    connection=conn,
)
conn.create_auto_scaling_group(asg)
print("using LaunchConfiguration:testlc1")
deadline = time.time() + 30
while True:
    group = conn.get_all_groups(names=["testDomain1"])[0]
    if [i.lifecycle_state for i in group.instances] == ["InService"] or time.time() > deadline:
        break
    time.sleep(0.1)
print(group.name)
print("    %s : %d" % (group.launch_config_name, group.desired_capacity))
print("    Instances:")
print("    ---------")
for i in group.instances:
    print("        %s : %s" % (i.availability_zone, i.health_status))
instances = conn.get_all_autoscaling_instances()
print("instances: %d %s" % (len(instances), instances[0].group_name))
conn.set_desired_capacity("testDomain1", 1)
conn.delete_auto_scaling_group("testDomain1", force_delete=True)
print("deleting testDomain1")
conn.delete_launch_configuration("testlc1@hotel")
print("left %d" % len(conn.get_all_launch_configurations()))
