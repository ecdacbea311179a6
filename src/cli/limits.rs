//! `phantom limits`: the account's quotas on groups and launch configurations and how many of
//! each exist (`DescribeAccountLimits`), for a person (text) or a script (`--output json`, the
//! API's reply).

use clap::Args;

use super::output::Printer;
use super::query_cmds::Context;
use crate::autoscaling::types::DescribeAccountLimitsInput;
use crate::error::Error;

/// Arguments of `limits` (none).
#[derive(Debug, Args)]
pub struct LimitsArgs {}

/// Runs `limits`.
pub async fn run(ctx: &Context, _args: LimitsArgs) -> Result<(), Error> {
    let limits = ctx
        .client
        .describe_account_limits(&DescribeAccountLimitsInput {})
        .await?;
    let mut printer = Printer::new(&ctx.format, ctx.config.dialect);
    let number = |n: Option<i32>| n.map_or_else(|| "?".to_string(), |n| n.to_string());
    printer.line(&format!(
        "Auto Scaling groups: {} of {}",
        number(limits.number_of_auto_scaling_groups),
        number(limits.max_number_of_auto_scaling_groups)
    ))?;
    printer.line(&format!(
        "launch configurations: {} of {}",
        number(limits.number_of_launch_configurations),
        number(limits.max_number_of_launch_configurations)
    ))?;
    printer.json(&limits)?;
    printer.finish()
}
