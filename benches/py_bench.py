"""The Python side of the side-by-side benchmark (see BENCHMARKS.md and benches/run.py).

Each command prints one JSON object, the botocore/boto3 counterpart of the same command of the
Rust bench binary (benches/perf.rs):

  library URL SECONDS   sequential boto3 DescribeAutoScalingGroups calls of one group: calls/s
  parse DIR SECONDS     botocore's Query parser over every DIR/*.xml reply body: MB/s, items/s
  sign SECONDS          botocore's SigV4Auth and SigV2Auth on the same request: signatures/s

Keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; the region is us-east-1.
"""
import glob
import json
import os
import sys
import time

import botocore.session
from botocore.auth import SigV2Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.parsers import create_parser


def library(url, seconds):
    import boto3

    client = boto3.client("autoscaling", endpoint_url=url, region_name="us-east-1")
    names = ["bench-00001"]
    first = client.describe_auto_scaling_groups(AutoScalingGroupNames=names)
    assert len(first["AutoScalingGroups"]) == 1, "group bench-00001 not found"
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        client.describe_auto_scaling_groups(AutoScalingGroupNames=names)
        n += 1
    secs = time.perf_counter() - start
    return {"calls": n, "calls_per_s": n / secs, "us_per_call": secs * 1e6 / n}


def parse(directory, seconds):
    files = [open(p, "rb").read() for p in sorted(glob.glob(os.path.join(directory, "*.xml")))]
    if not files:
        raise SystemExit(f"no .xml files in {directory}")
    model = botocore.session.get_session().get_service_model("autoscaling")
    shape = model.operation_model("DescribeAutoScalingGroups").output_shape
    parser = create_parser("query")

    def one(body):
        return parser.parse({"body": body, "headers": {}, "status_code": 200}, shape)

    groups = instances = 0
    for body in files:
        for g in one(body)["AutoScalingGroups"]:
            groups += 1
            instances += len(g.get("Instances", []))
    size = sum(map(len, files))
    rounds, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for body in files:
            one(body)
        rounds += 1
    per_round = (time.perf_counter() - start) / rounds
    return {"files": len(files), "bytes": size, "groups": groups, "instances": instances,
            "rounds": rounds, "seconds_per_round": per_round,
            "mb_per_s": size / per_round / 1e6, "groups_per_s": groups / per_round,
            "instances_per_s": instances / per_round}


def sign(seconds):
    creds = Credentials(os.environ.get("AWS_ACCESS_KEY_ID", "AKIDBENCH"),
                        os.environ.get("AWS_SECRET_ACCESS_KEY", "bench-secret"))
    params = {"Action": "DescribeAutoScalingGroups", "Version": "2011-01-01",
              "AutoScalingGroupNames.member.1": "bench-00001",
              "AutoScalingGroupNames.member.2": "bench-00002", "MaxRecords": "50"}
    signers = {"v4": SigV4Auth(creds, "autoscaling", "us-east-1"), "v2": SigV2Auth(creds)}
    out = {}
    for name, signer in signers.items():
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for _ in range(100):
                req = AWSRequest(method="POST", url="http://127.0.0.1:8445/", data=dict(params),
                                 headers={"Content-Type":
                                          "application/x-www-form-urlencoded; charset=utf-8"})
                signer.add_auth(req)
            n += 100
        out[f"{name}_per_s"] = n / (time.perf_counter() - start)
    return out


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "library":
        result = library(argv[2], float(argv[3]))
    elif cmd == "parse":
        result = parse(argv[2], float(argv[3]))
    elif cmd == "sign":
        result = sign(float(argv[2]))
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
