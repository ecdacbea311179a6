# The seed's boto-era session and every row of issue 16's table, through boto 2 against
# `phantom serve --dialect phantom`; prints one `name: value` line per outcome (the Rust test
# compares them). SIG=v2 signs with SigV2, SIG=v4 with boto 2.49's SigV4.
import base64, json, os, sys, time, urllib.parse, urllib.request

import boto.exception
from boto.ec2.autoscale import AutoScaleConnection, AutoScalingGroup, LaunchConfiguration, Tag
from boto.ec2.regioninfo import RegionInfo

if os.environ["SIG"] == "v2":
    AutoScaleConnection._required_auth_capability = lambda self: ["ec2"]
url = urllib.parse.urlparse(os.environ["PHANTOM_URL"])
con = AutoScaleConnection(os.environ["EC2_ACCESS_KEY"], os.environ["EC2_SECRET_KEY"],
                          is_secure=False, port=url.port,
                          region=RegionInfo(name="nimbus", endpoint=url.hostname))


def out(name, value):
    print("%s: %s" % (name, value), flush=True)


def refused(call):
    try:
        call()
    except boto.exception.BotoServerError as e:
        return "%d %s" % (e.status, e.reason)
    return "accepted"


def group(name):
    found = con.get_all_groups(names=[name])
    return found[0] if found else None


def settle(name, done):
    """Polls the group until done(group) (30 s at most; the outcome is printed either way)."""
    deadline = time.time() + 30
    while True:
        g = group(name)
        if done(g) or time.time() > deadline:
            return g
        time.sleep(0.1)


def states(g):
    return sorted("%s %s" % (i.availability_zone, i.lifecycle_state) for i in g.instances)


def running(n):
    return lambda g: g is not None and sum(i.lifecycle_state == "600-RUNNING" for i in g.instances) >= n


def lc(name, **kw):
    return LaunchConfiguration(con, name=name, image_id="hello-phantom.gz", key_name="mykey",
                               security_groups=["default"], instance_type="m1.small", **kw)


def domain(name, lc_name, size, tags=None):
    return AutoScalingGroup(connection=con, group_name=name, launch_config=lc_name,
                            availability_zones=["hotel"], min_size=size, max_size=size,
                            tags=tags or [])


def tag(group_name, key, value):
    return Tag(key=key, value=value, resource_id=group_name)


# --- The seed's sample session, as its boto scripts printed it. ---
con.create_launch_configuration(lc("testlc1@hotel"))
names = []
for l in con.get_all_launch_configurations():
    base = l.name.split("@")[0]
    if base not in names:
        names.append(base)
for n in names:
    print("seed| " + n)
print("seed| using LaunchConfiguration:testlc1")
con.create_auto_scaling_group(domain("testDomain1", "testlc1", 1))
settle("testDomain1", running(1))
for g in con.get_all_groups():
    print("seed| " + g.name)
    print("seed| \t%s : %d" % (g.launch_config_name, g.desired_capacity))
    print("seed| \tInstances:")
    print("seed| \t---------")
    for i in g.instances:
        print("seed| \t\t%s : %s" % (i.availability_zone, i.health_status))
print("seed| deleting testDomain1")
con.delete_auto_scaling_group("testDomain1")
con.delete_launch_configuration("testlc1@hotel")
out("after seed", "%d groups, %d lcs" % (len(con.get_all_groups()), len(con.get_all_launch_configurations())))

# --- Launch configurations. ---
out("lc without @site", refused(lambda: con.create_launch_configuration(lc("nosite"))))
# boto 2 sends user data base64-encoded and decodes it on the way back, as Phantom wants.
data = b"#!/bin/sh\necho hello\n"
con.create_launch_configuration(lc("t@hotel", user_data=data))
out("lc duplicate", refused(lambda: con.create_launch_configuration(lc("t@hotel"))))
l = con.get_all_launch_configurations(names=["t@hotel"])[0]
out("lc key name", l.key_name)
out("lc user data", "kept" if l.user_data == data else l.user_data)
out("lc monitoring", l.instance_monitoring.enabled)
con.create_launch_configuration(lc("t@sierra"))
out("MaxRecords 1", "%d, next token %r" % (len(con.get_all_launch_configurations(max_records=1)), con.get_all_launch_configurations(max_records=1).next_token))

# --- SetDesiredCapacity above max: min = max = desired = N. ---
con.create_auto_scaling_group(domain("d1", "t", 1))
out("duplicate domain", refused(lambda: con.create_auto_scaling_group(domain("d1", "t", 1))))
out("set capacity above max", refused(lambda: con.set_desired_capacity("d1", 3)))
g = settle("d1", running(3))
out("d1 sizes", "min %d max %d desired %d" % (g.min_size, g.max_size, g.desired_capacity))
out("d1 states", states(g))
out("d1 lc name", g.launch_config_name)
out("resize missing domain", refused(lambda: con.set_desired_capacity("nope", 2)))

# --- Deleting: a launch configuration in use, a domain with instances, a missing domain. ---
out("delete lc in use", refused(lambda: con.delete_launch_configuration("t@hotel")))
out("delete lc again", refused(lambda: con.delete_launch_configuration("t@hotel")))
out("d1 after its lc went", "%d instances" % len(group("d1").instances))
out("delete domain with instances", refused(lambda: con.delete_auto_scaling_group("d1")))
out("d1 after delete", "%s, %d instances listed" % (group("d1"), sum(i.group_name == "d1" for i in con.get_all_autoscaling_instances())))
out("delete missing domain", refused(lambda: con.delete_auto_scaling_group("nope")))

# --- Policies from tags. ---
con.create_launch_configuration(lc("m@hotel"))
con.create_launch_configuration(lc("m@sierra"))
overflow = [tag("multi", "PHANTOM_DEFINITION", "error_overflow_n_preserving"),
            tag("multi", "clouds", "hotel:1,sierra:-1"), tag("multi", "minimum_vms", "3")]
con.create_auto_scaling_group(domain("multi", "m", 1, overflow))
g = settle("multi", running(3))
out("overflow at creation", "%s, desired %d" % (states(g), g.desired_capacity))
out("unknown tag key", refused(lambda: con.create_or_update_tags([tag("multi", "owner", "me")])))
out("unknown tag key at creation", refused(lambda: con.create_auto_scaling_group(domain("own", "m", 1, [tag("own", "owner", "me")]))))
out("unknown definition", refused(lambda: con.create_or_update_tags([tag("multi", "PHANTOM_DEFINITION", "nosuch")])))
con.create_or_update_tags([tag("multi", "clouds", "sierra:1,hotel:-1")])
g = settle("multi", lambda g: sorted(i.availability_zone for i in g.instances if i.lifecycle_state == "600-RUNNING") == ["hotel", "hotel", "sierra"])
out("retagged", [s for s in states(g) if s.endswith("600-RUNNING")])
failing = [tag("failing", "PHANTOM_DEFINITION", "multi_site_n_preserving"),
           tag("failing", "clouds", "nosuch:1,hotel:-1"), tag("failing", "minimum_vms", "2")]
con.create_auto_scaling_group(domain("failing", "m", 1, failing))
g = settle("failing", running(2))
out("failed site", states(g))
sensor = [tag("sensed", "PHANTOM_DEFINITION", "sensor_engine"), tag("sensed", "metric", "CPUUtilization"),
          tag("sensed", "scale_up_threshold", "80"), tag("sensed", "cooldown_period", "60"),
          tag("sensed", "minimum_vms", "2"), tag("sensed", "maximum_vms", "4")]
con.create_auto_scaling_group(domain("sensed", "m", 1, sensor))
g = settle("sensed", running(2))
out("sensor engine", "desired %d" % g.desired_capacity)
out("sensor bad number", refused(lambda: con.create_or_update_tags([tag("sensed", "cooldown_period", "soon")])))

# --- Instances: Phantom's states, a terminated one kept listed and replaced. ---
victim = [i for i in group("multi").instances if i.lifecycle_state == "600-RUNNING"][0].instance_id
con.terminate_instance(victim, decrement_capacity=False)
g = settle("multi", lambda g: any(i.instance_id == victim and i.lifecycle_state == "800-TERMINATED" for i in g.instances) and running(3)(g))
out("terminated", "%s kept, %d running" % ([i.lifecycle_state for i in g.instances if i.instance_id == victim], sum(i.lifecycle_state == "600-RUNNING" for i in g.instances)))
out("terminate unknown instance", refused(lambda: con.terminate_instance("i-00000000", decrement_capacity=False)))
out("describe instances", sorted(set(i.lifecycle_state for i in con.get_all_autoscaling_instances() if i.group_name == "multi")))

# --- Actions Phantom does not have. ---
out("DescribeScalingActivities", refused(lambda: con.get_all_activities("multi")))
out("PutScalingPolicy", refused(lambda: con.get_all_policies()))

# --- The REST view of the same domain. ---
rest = os.environ["PHANTOM_URL"] + "/api/dev"


def call(method, path, body=None, auth=None):
    req = urllib.request.Request(rest + path, method=method, data=body)
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req) as r:
            text = r.read()
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


_, login = call("POST", "/token", urllib.parse.urlencode({"username": "alice", "password": "restaurant"}).encode())
auth = "%s:%s" % (login["user"], login["token"])
_, domains = call("GET", "/domains", auth=auth)
multi = [d for d in domains if d["name"] == "multi"][0]
out("rest vm_count", multi["vm_count"])
_, insts = call("GET", "/domains/%s/instances" % multi["id"], auth=auth)
out("rest running", sorted(i["cloud"] for i in insts if i["lifecycle_state"] == "600-RUNNING"))
out("rest terminated", sum(i["lifecycle_state"] == "800-TERMINATED" for i in insts))
live = [i for i in insts if i["lifecycle_state"] == "600-RUNNING"][0]["id"]
status, _ = call("DELETE", "/domains/%s/instances/%s?adjust_policy=true" % (multi["id"], live), auth=auth)
out("rest adjust_policy delete", status)
g = settle("multi", lambda g: any(i.instance_id == live and i.lifecycle_state == "800-TERMINATED" for i in g.instances))
_, d = call("GET", "/domains/%s" % multi["id"], auth=auth)
out("after adjust_policy", "rest vm_count %d, query desired %d min %d max %d, %d running" % (d["vm_count"], g.desired_capacity, g.min_size, g.max_size, sum(i.lifecycle_state == "600-RUNNING" for i in g.instances)))
old_id = multi["id"]
con.delete_auto_scaling_group("multi")
con.create_auto_scaling_group(domain("multi", "m", 1))
_, domains = call("GET", "/domains", auth=auth)
new_id = [d for d in domains if d["name"] == "multi"][0]["id"]
out("recreated domain id", "new uuid4" if new_id != old_id and len(new_id) == 36 and new_id[14] == "4" else new_id)
out("old id", call("GET", "/domains/%s" % old_id, auth=auth)[0])
