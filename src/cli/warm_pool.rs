//! `phantom warm-pool put|show|delete`: a group's warm pool, instances launched and initialized
//! ahead of need (kept stopped, running or hibernated) so that scaling out is fast.
//!
//! One call each (`PutWarmPool`, `DescribeWarmPool` followed over every page, `DeleteWarmPool`).
//! Text output is lines a person reads; `--output json` is the API's reply (`show`: the
//! configuration and every instance of every page in one `DescribeWarmPool` document).

use clap::{Args, Subcommand, ValueEnum};
use futures_util::StreamExt;
use serde_json::json;

use super::output::Printer;
use super::query_cmds::Context;
use crate::autoscaling::types::{
    DeleteWarmPoolInput, DescribeWarmPoolInput, Instance, InstanceReusePolicy, PutWarmPoolInput,
    WarmPoolConfiguration,
};
use crate::error::Error;

/// `phantom warm-pool ...`
#[derive(Debug, Subcommand)]
pub enum WarmPoolCommand {
    /// Create or change a domain's warm pool (PutWarmPool).
    #[command(
        after_help = "Example:\n  phantom warm-pool put testDomain1 --min-size 2 --max-prepared 5 --state Stopped --reuse-on-scale-in"
    )]
    Put(PutArgs),
    /// Show a domain's warm pool and its instances (DescribeWarmPool).
    #[command(after_help = "Example:\n  phantom warm-pool show testDomain1")]
    Show(ShowArgs),
    /// Delete a domain's warm pool (DeleteWarmPool).
    #[command(after_help = "Example:\n  phantom warm-pool delete testDomain1 --force")]
    Delete(DeleteArgs),
}

/// The state instances wait in (the model's `WarmPoolState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PoolState {
    /// Stopped (no compute charge).
    #[value(name = "Stopped")]
    Stopped,
    /// Running.
    #[value(name = "Running")]
    Running,
    /// Hibernated (memory kept on disk).
    #[value(name = "Hibernated")]
    Hibernated,
}

impl PoolState {
    fn as_api(self) -> &'static str {
        match self {
            PoolState::Stopped => "Stopped",
            PoolState::Running => "Running",
            PoolState::Hibernated => "Hibernated",
        }
    }
}

/// Arguments of `warm-pool put`.
#[derive(Debug, Args)]
pub struct PutArgs {
    /// Domain (group) name.
    pub group: String,
    /// Instances the pool keeps at least (default 0).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(0..))]
    pub min_size: Option<i32>,
    /// Most instances in the pool and the group together; -1 (the default) means the group's
    /// maximum size.
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = clap::value_parser!(i32).range(-1..))]
    pub max_prepared: Option<i32>,
    /// The state instances wait in (default Stopped).
    #[arg(long, value_enum)]
    pub state: Option<PoolState>,
    /// Return instances to the pool on scale in instead of terminating them.
    #[arg(long)]
    pub reuse_on_scale_in: bool,
}

/// Arguments of `warm-pool show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Domain (group) name.
    pub group: String,
}

/// Arguments of `warm-pool delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Domain (group) name.
    pub group: String,
    /// Delete the pool and terminate its instances without waiting for lifecycle actions.
    #[arg(long)]
    pub force: bool,
}

/// Runs one `warm-pool` command.
pub async fn run(ctx: &Context, command: WarmPoolCommand) -> Result<(), Error> {
    let mut printer = Printer::new(&ctx.format, ctx.config.dialect);
    match command {
        WarmPoolCommand::Put(a) => {
            let input = PutWarmPoolInput {
                auto_scaling_group_name: a.group.clone(),
                max_group_prepared_capacity: a.max_prepared,
                min_size: a.min_size,
                pool_state: a.state.map(|s| s.as_api().to_string()),
                instance_reuse_policy: a.reuse_on_scale_in.then_some(InstanceReusePolicy {
                    reuse_on_scale_in: Some(true),
                }),
            };
            ctx.client.put_warm_pool(&input).await?;
            printer.line(&format!("warm pool of {} set", a.group))?;
            printer.json(&json!({}))?;
        }
        WarmPoolCommand::Show(a) => {
            let input = DescribeWarmPoolInput {
                auto_scaling_group_name: a.group.clone(),
                ..Default::default()
            };
            let mut configuration = None;
            let mut instances = Vec::new();
            let mut pages = Box::pin(ctx.client.pages(input));
            while let Some(page) = pages.next().await {
                let page = page?;
                if configuration.is_none() {
                    configuration = page.warm_pool_configuration;
                }
                instances.extend(page.instances.unwrap_or_default());
            }
            if printer.is_json() {
                let mut document = json!({ "Instances": instances });
                if let Some(c) = &configuration {
                    document["WarmPoolConfiguration"] = json!(c);
                }
                printer.json(&document)?;
            } else {
                for line in describe(&a.group, configuration.as_ref(), &instances) {
                    printer.line(&line)?;
                }
            }
        }
        WarmPoolCommand::Delete(a) => {
            let input = DeleteWarmPoolInput {
                auto_scaling_group_name: a.group.clone(),
                force_delete: a.force.then_some(true),
            };
            ctx.client.delete_warm_pool(&input).await?;
            printer.line(&format!("deleting the warm pool of {}", a.group))?;
            printer.json(&json!({}))?;
        }
    }
    printer.finish()
}

/// A warm pool as lines: its settings, then one line per instance.
fn describe(
    group: &str,
    configuration: Option<&WarmPoolConfiguration>,
    instances: &[Instance],
) -> Vec<String> {
    let Some(c) = configuration.filter(|c| **c != WarmPoolConfiguration::default()) else {
        return vec![format!("{group} has no warm pool")];
    };
    let number = |n: Option<i32>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
    let max_prepared = match c.max_group_prepared_capacity {
        Some(-1) | None => "the group's max size".to_string(),
        n => number(n),
    };
    let reuse = c
        .instance_reuse_policy
        .as_ref()
        .and_then(|p| p.reuse_on_scale_in)
        .unwrap_or(false);
    let mut lines = vec![
        format!("{group} warm pool"),
        format!(
            "    state: {}",
            c.pool_state.as_deref().unwrap_or("Stopped")
        ),
        format!("    min size: {}", number(c.min_size.or(Some(0)))),
        format!("    max prepared capacity: {max_prepared}"),
        format!(
            "    reuse on scale in: {}",
            if reuse { "yes" } else { "no" }
        ),
    ];
    if let Some(status) = c.status.as_deref() {
        lines.push(format!("    status: {status}"));
    }
    lines.push(format!("    instances: {}", instances.len()));
    for i in instances {
        lines.push(format!(
            "        {}\t{}\t{}\t{}",
            i.instance_id.as_deref().unwrap_or("?"),
            i.lifecycle_state.as_deref().unwrap_or("?"),
            i.availability_zone.as_deref().unwrap_or("?"),
            i.health_status.as_deref().unwrap_or("?"),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_pool_says_so() {
        assert_eq!(describe("web", None, &[]), vec!["web has no warm pool"]);
        let empty = WarmPoolConfiguration::default();
        assert_eq!(
            describe("web", Some(&empty), &[]),
            vec!["web has no warm pool"]
        );
    }

    #[test]
    fn a_pool_is_described() {
        let c = WarmPoolConfiguration {
            min_size: Some(2),
            max_group_prepared_capacity: Some(-1),
            pool_state: Some("Hibernated".into()),
            ..Default::default()
        };
        let lines = describe("web", Some(&c), &[]).join("\n");
        assert!(lines.contains("state: Hibernated"), "{lines}");
        assert!(lines.contains("min size: 2"), "{lines}");
        assert!(
            lines.contains("max prepared capacity: the group's max size"),
            "{lines}"
        );
        assert!(lines.contains("reuse on scale in: no"), "{lines}");
    }
}
