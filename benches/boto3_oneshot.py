"""The boto3 one-shot script of the CLI benchmark (see BENCHMARKS.md).

Lists every Auto Scaling group, following NextToken like `phantom domain list`, and prints one
name a line. The endpoint, keys and region come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION.
"""
import boto3

client = boto3.client("autoscaling")
for page in client.get_paginator("describe_auto_scaling_groups").paginate():
    for group in page["AutoScalingGroups"]:
        print(group["AutoScalingGroupName"])
