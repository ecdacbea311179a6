//! `phantom refresh start|status|cancel|rollback`: instance refreshes, which replace a group's
//! instances (to pick up a new launch configuration or template) a share at a time.
//!
//! Each command is one call (`StartInstanceRefresh`, `DescribeInstanceRefreshes`,
//! `CancelInstanceRefresh`, `RollbackInstanceRefresh`); `--wait` then follows the refresh with
//! the library's refresh waiter until the status the command aims at (`Successful`, `Cancelled`,
//! `RollbackSuccessful`), ending at once on any other final status with the server's reason.
//! Text output is a line a person reads; `--output json` is the API's reply, with the final
//! refresh under `InstanceRefreshes` when the command waited.

use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::duration::parse_duration;
use super::output::Printer;
use super::query_cmds::Context;
use super::wait;
use crate::autoscaling::types::{
    CancelInstanceRefreshInput, DescribeInstanceRefreshesInput, InstanceRefresh,
    RefreshPreferences, RollbackInstanceRefreshInput, StartInstanceRefreshInput,
};
use crate::autoscaling::waiters::{RefreshGoal, Waited};
use crate::error::Error;

/// `phantom refresh ...`
#[derive(Debug, Subcommand)]
pub enum RefreshCommand {
    /// Start an instance refresh of a domain (StartInstanceRefresh); prints its id.
    #[command(
        after_help = "Example:\n  phantom refresh start testDomain1 --min-healthy-percentage 90 --instance-warmup 60 --checkpoints 20,50,100 --wait"
    )]
    Start(StartArgs),
    /// Show a domain's instance refreshes, newest first (DescribeInstanceRefreshes).
    #[command(
        after_help = "Example:\n  phantom refresh status testDomain1\n  phantom refresh status testDomain1 --id 08b91cf7-8fa6-48af-b6a6-d227f40f1b9b"
    )]
    Status(StatusArgs),
    /// Cancel a domain's refresh in progress (CancelInstanceRefresh); instances already replaced stay.
    #[command(after_help = "Example:\n  phantom refresh cancel testDomain1 --wait")]
    Cancel(EndArgs),
    /// Roll back a domain's refresh in progress to the previous configuration (RollbackInstanceRefresh).
    #[command(after_help = "Example:\n  phantom refresh rollback testDomain1 --wait")]
    Rollback(EndArgs),
}

/// Arguments of `refresh start`.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// Domain (group) name.
    pub group: String,
    /// Share of the desired capacity that must stay in service during the refresh, in percent.
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(i32).range(0..=100))]
    pub min_healthy_percentage: Option<i32>,
    /// Seconds a new instance needs before it counts as in service.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(i32).range(0..))]
    pub instance_warmup: Option<i32>,
    /// Skip instances that already have the desired configuration.
    #[arg(long)]
    pub skip_matching: bool,
    /// Roll back automatically if the refresh fails.
    #[arg(long)]
    pub auto_rollback: bool,
    /// Pause at these shares of the group replaced, in percent, ascending (e.g. 20,50,100).
    #[arg(long, value_name = "PERCENT,...", value_delimiter = ',',
          value_parser = clap::value_parser!(i32).range(1..=100))]
    pub checkpoints: Vec<i32>,
    /// Seconds to wait at each checkpoint.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(i32).range(0..=172800))]
    pub checkpoint_delay: Option<i32>,
    /// Wait until the refresh is Successful (its failure, cancellation or rollback is an error).
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits.
    #[arg(long, value_parser = parse_duration, default_value = "1h")]
    pub timeout: Duration,
}

/// Arguments of `refresh status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Domain (group) name.
    pub group: String,
    /// Only this refresh (repeatable).
    #[arg(long = "id", value_name = "REFRESH_ID")]
    pub ids: Vec<String>,
}

/// Arguments of `refresh cancel` and `refresh rollback`.
#[derive(Debug, Args)]
pub struct EndArgs {
    /// Domain (group) name.
    pub group: String,
    /// Wait until the refresh is Cancelled (cancel) or RollbackSuccessful (rollback).
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits.
    #[arg(long, value_parser = parse_duration, default_value = "1h")]
    pub timeout: Duration,
}

/// Runs one `refresh` command.
pub async fn run(ctx: &Context, command: RefreshCommand) -> Result<(), Error> {
    match command {
        RefreshCommand::Start(a) => start(ctx, a).await,
        RefreshCommand::Status(a) => status(ctx, a).await,
        RefreshCommand::Cancel(a) => end(ctx, a, RefreshGoal::Cancelled).await,
        RefreshCommand::Rollback(a) => end(ctx, a, RefreshGoal::RolledBack).await,
    }
}

fn printer(ctx: &Context) -> Printer {
    Printer::new(&ctx.format, ctx.config.dialect)
}

/// Checks that checkpoints ascend without repeats, as the service requires.
fn check_checkpoints(checkpoints: &[i32]) -> Result<(), Error> {
    if let Some(pair) = checkpoints.windows(2).find(|w| w[0] >= w[1]) {
        return Err(Error::Config(format!(
            "--checkpoints must ascend without repeats: {} then {}",
            pair[0], pair[1]
        )));
    }
    Ok(())
}

async fn start(ctx: &Context, a: StartArgs) -> Result<(), Error> {
    check_checkpoints(&a.checkpoints)?;
    let preferences = RefreshPreferences {
        min_healthy_percentage: a.min_healthy_percentage,
        instance_warmup: a.instance_warmup,
        checkpoint_percentages: (!a.checkpoints.is_empty()).then(|| a.checkpoints.clone()),
        checkpoint_delay: a.checkpoint_delay,
        skip_matching: a.skip_matching.then_some(true),
        auto_rollback: a.auto_rollback.then_some(true),
        ..Default::default()
    };
    let input = StartInstanceRefreshInput {
        auto_scaling_group_name: a.group.clone(),
        preferences: (preferences != RefreshPreferences::default()).then_some(preferences),
        ..Default::default()
    };
    let reply = ctx.client.start_instance_refresh(&input).await?;
    let id = reply
        .instance_refresh_id
        .clone()
        .ok_or_else(|| Error::Parse {
            operation: "StartInstanceRefresh".into(),
            status: 200,
            request_id: None,
            message: "the reply has no InstanceRefreshId".into(),
        })?;
    let mut printer = printer(ctx);
    printer.line(&format!("started instance refresh {id} of {}", a.group))?;
    printer.flush()?;
    let mut document = serde_json::to_value(&reply).unwrap_or(Value::Null);
    if a.wait {
        let waited =
            wait::refresh(&ctx.client, &a.group, &id, RefreshGoal::Complete, a.timeout).await?;
        finished(&mut printer, &mut document, &waited)?;
    }
    printer.json(&document)?;
    printer.finish()
}

/// Says how a waited refresh ended and adds it to the JSON document.
fn finished(printer: &mut Printer, document: &mut Value, waited: &Waited) -> Result<(), Error> {
    if let Waited::Refresh(refresh) = waited {
        printer.line(&format!(
            "instance refresh {}: {}",
            refresh.instance_refresh_id.as_deref().unwrap_or("?"),
            refresh.status.as_deref().unwrap_or("?")
        ))?;
        if let Value::Object(map) = document {
            map.insert("InstanceRefreshes".into(), json!([refresh]));
        }
    }
    Ok(())
}

/// One refresh as a line: id, status, percentage, instances to update, start time, reason.
fn refresh_line(r: &InstanceRefresh) -> String {
    let mut line = format!(
        "{}\t{}\t{}%\t{} to update\t{}",
        r.instance_refresh_id.as_deref().unwrap_or("?"),
        r.status.as_deref().unwrap_or("?"),
        r.percentage_complete
            .map_or_else(|| "?".to_string(), |p| p.to_string()),
        r.instances_to_update
            .map_or_else(|| "?".to_string(), |n| n.to_string()),
        r.start_time
            .map_or_else(|| "?".to_string(), |t| t.to_string()),
    );
    if let Some(reason) = r.status_reason.as_deref().filter(|s| !s.is_empty()) {
        line.push('\t');
        line.push_str(reason);
    }
    line
}

/// The most pages `refresh status` reads (DescribeInstanceRefreshes has no paginator in the model).
const MAX_STATUS_PAGES: usize = 100;

async fn status(ctx: &Context, a: StatusArgs) -> Result<(), Error> {
    let mut input = DescribeInstanceRefreshesInput {
        auto_scaling_group_name: a.group.clone(),
        instance_refresh_ids: (!a.ids.is_empty()).then(|| a.ids.clone()),
        ..Default::default()
    };
    let mut printer = printer(ctx);
    printer.begin_list("InstanceRefreshes")?;
    let mut seen_tokens = Vec::new();
    let mut found = Vec::new();
    for _ in 0..MAX_STATUS_PAGES {
        let page = ctx.client.describe_instance_refreshes(&input).await?;
        for refresh in page.instance_refreshes.iter().flatten() {
            found.extend(refresh.instance_refresh_id.clone());
            if printer.is_json() {
                printer.list_item(refresh)?;
            } else {
                printer.line(&refresh_line(refresh))?;
            }
        }
        match page.next_token {
            Some(token) if !seen_tokens.contains(&token) => {
                seen_tokens.push(token.clone());
                input.next_token = Some(token);
            }
            _ => break,
        }
    }
    let missing: Vec<&str> = a
        .ids
        .iter()
        .filter(|id| !found.contains(id))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(Error::NotFound(format!(
            "instance refresh {} of group {}",
            missing.join(", "),
            a.group
        )));
    }
    if found.is_empty() && !printer.is_json() {
        printer.line(&format!("{} has no instance refreshes", a.group))?;
    }
    printer.end_list()
}

async fn end(ctx: &Context, a: EndArgs, goal: RefreshGoal) -> Result<(), Error> {
    let (operation, reply) = match goal {
        RefreshGoal::Cancelled => {
            let input = CancelInstanceRefreshInput {
                auto_scaling_group_name: a.group.clone(),
                ..Default::default()
            };
            let reply = ctx.client.cancel_instance_refresh(&input).await?;
            (
                "cancelling",
                serde_json::to_value(&reply).unwrap_or(Value::Null),
            )
        }
        _ => {
            let input = RollbackInstanceRefreshInput {
                auto_scaling_group_name: a.group.clone(),
            };
            let reply = ctx.client.rollback_instance_refresh(&input).await?;
            (
                "rolling back",
                serde_json::to_value(&reply).unwrap_or(Value::Null),
            )
        }
    };
    let mut document = reply;
    let id = document
        .get("InstanceRefreshId")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut printer = printer(ctx);
    printer.line(&format!(
        "{operation} instance refresh {} of {}",
        id.as_deref().unwrap_or("?"),
        a.group
    ))?;
    printer.flush()?;
    if a.wait {
        let id = match id {
            Some(id) => id,
            None => wait::newest_refresh(&ctx.client, &a.group).await?,
        };
        let waited = wait::refresh(&ctx.client, &a.group, &id, goal, a.timeout).await?;
        finished(&mut printer, &mut document, &waited)?;
    }
    printer.json(&document)?;
    printer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_must_ascend() {
        assert!(check_checkpoints(&[]).is_ok());
        assert!(check_checkpoints(&[20, 50, 100]).is_ok());
        let e = check_checkpoints(&[50, 20]).unwrap_err().to_string();
        assert!(e.contains("50 then 20"), "{e}");
        assert!(check_checkpoints(&[20, 20]).is_err());
    }
}
