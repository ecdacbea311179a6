//! Minimal aws-sdk-autoscaling program used as the peer in phantom's CLI
//! benchmark (see BENCHMARKS.md): one DescribeAutoScalingGroups listing,
//! following NextToken like `phantom domain list`, printing one group name a
//! line. The endpoint comes from `AWS_ENDPOINT_URL` and the credentials and
//! region from the usual environment variables.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let config = aws_config::load_from_env().await;
    let client = aws_sdk_autoscaling::Client::new(&config);
    let mut pages = client
        .describe_auto_scaling_groups()
        .into_paginator()
        .send();
    let mut out = String::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                for group in page.auto_scaling_groups() {
                    out.push_str(group.auto_scaling_group_name().unwrap_or(""));
                    out.push('\n');
                }
            }
            Err(e) => {
                eprintln!("sdk-peer: {e:?}");
                std::process::exit(1);
            }
        }
    }
    print!("{out}");
}
