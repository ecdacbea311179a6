"""The seed's session over Phantom's REST API with plain `requests`, as the sample scripts
(phantomwebapp/example_scripts: lc_create.py, lc_list.py, domain_create.py, domain_list.py,
domain_alter.py, domain_delete.py, lc_delete.py) do it: POST /token for a token, then HTTP Basic
user_id:token on every call, JSON bodies, names found by listing and acted on by id.

Environment: PHANTOM_URL (ending in /api/dev), PHANTOM_USER, PHANTOM_PASSWORD. Prints what the
sample scripts print; exits non-zero (with the status and body, never the token or password) on any
unexpected reply.
"""

import json
import os
import sys
import time

import requests

URL = os.environ["PHANTOM_URL"].rstrip("/")
TIMEOUT = 10


def fail(what, r):
    sys.stderr.write("%s: HTTP %d: %s\n" % (what, r.status_code, r.text[:300]))
    sys.exit(1)


def expect(what, r, status):
    if r.status_code != status:
        fail(what, r)
    return r


# Getting a token (the seed: curl -d "username=...&password=..." $PHANTOM_URL/token).
r = requests.post(
    URL + "/token",
    data={"username": os.environ["PHANTOM_USER"], "password": os.environ["PHANTOM_PASSWORD"]},
    timeout=TIMEOUT,
)
reply = expect("token", r, 200).json()
if not reply.get("success"):
    sys.stderr.write("login failed: %s\n" % reply.get("errors"))
    sys.exit(1)
AUTH = (str(reply["user"]), reply["token"])


def get(path):
    return expect("GET " + path, requests.get(URL + path, auth=AUTH, timeout=TIMEOUT), 200).json()


def find(path, name):
    for item in get(path):
        if item["name"] == name:
            return item
    sys.stderr.write("%s not found in %s\n" % (name, path))
    sys.exit(1)


# lc_create.py testlc1 hello-phantom.gz hotel
lc = {
    "name": "testlc1",
    "cloud_params": {
        "hotel": {
            "image_id": "hello-phantom.gz",
            "instance_type": "m1.small",
            "max_vms": -1,
            "common": True,
            "rank": 1,
        }
    },
}
r = requests.post(URL + "/launchconfigurations", data=json.dumps(lc), auth=AUTH, timeout=TIMEOUT)
print("LC created with id %s" % expect("lc_create", r, 201).json()["id"])

# lc_list.py
for lc in get("/launchconfigurations"):
    print(lc["name"])

# domain_create.py testDomain1 testlc1 1
domain = {"name": "testDomain1", "de_name": "multicloud", "lc_name": "testlc1", "vm_count": 1}
r = requests.post(URL + "/domains", data=json.dumps(domain), auth=AUTH, timeout=TIMEOUT)
domain_id = expect("domain_create", r, 201).json()["id"]


def wait_running(count):
    deadline = time.time() + 30
    while True:
        states = [i["lifecycle_state"] for i in get("/domains/%s/instances" % domain_id)]
        if states.count("600-RUNNING") == count and len(states) == count:
            return
        if time.time() > deadline:
            sys.stderr.write("instances not running in time: %s\n" % states)
            sys.exit(1)
        time.sleep(0.2)


def domain_list():
    for d in get("/domains"):
        print(d["name"])
        print("\t%s : %s" % (d["lc_name"], d["vm_count"]))
        print("\tInstances:")
        print("\t---------")
        for i in get("/domains/%s/instances" % d["id"]):
            site = i["cloud"].rstrip("/").split("/")[-1]
            print("\t\t%s : %s" % (site, i["lifecycle_state"]))


wait_running(1)
domain_list()

# domain_alter.py testDomain1 2: the whole domain goes back with the new vm_count.
d = get("/domains/%s" % find("/domains", "testDomain1")["id"])
d["vm_count"] = 2
r = requests.put(URL + "/domains/%s" % d["id"], data=json.dumps(d), auth=AUTH, timeout=TIMEOUT)
if expect("domain_alter", r, 200).json()["vm_count"] != 2:
    fail("domain_alter", r)
wait_running(2)
domain_list()

# domain_delete.py testDomain1
d = find("/domains", "testDomain1")
print("deleting %s" % d["id"])
r = requests.delete(URL + "/domains/%s" % d["id"], auth=AUTH, timeout=TIMEOUT)
expect("domain_delete", r, 204)

# lc_delete.py testlc1
lc = find("/launchconfigurations", "testlc1")
r = requests.delete(URL + "/launchconfigurations/%s" % lc["id"], auth=AUTH, timeout=TIMEOUT)
expect("lc_delete", r, 204)
