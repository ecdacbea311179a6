//! `phantom wait exists|gone|in-service|capacity|refresh`: the library's waiters
//! ([`crate::autoscaling::waiters`]) with a progress line on a terminal and a `--timeout`.
//!
//! The rules (what is done, what fails at once) are the library's, so that a script and a Rust
//! program waiting for the same thing agree. `wait in-service` is the SDKs' rule (instances in
//! service >= MinSize, as `aws autoscaling wait group-in-service`): a group of min 0 passes at
//! once. `wait capacity` waits for the desired capacity with nothing pending or terminating; it is
//! what `domain create --wait` means.
//!
//! The CLI polls faster than the SDK defaults (0.2 s backing off to 5 s for groups, 1 s to 15 s
//! for refreshes): the one waiting is a person at a terminal or a script, and the built-in
//! endpoint launches in seconds. The wait lasts the whole `--timeout`: the last sleep is cut to
//! end there and one more poll is made before giving up (exit 3).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::Args;
use serde_json::json;

use super::args::WaitCommand;
use super::duration::parse_duration;
use super::output::Printer;
use super::query_cmds::Context;
use crate::autoscaling::Client;
use crate::autoscaling::types::DescribeInstanceRefreshesInput;
use crate::autoscaling::waiters::{
    Progress, RefreshGoal, WaitFor, WaitOptions, Waited, WaiterConfig,
};
use crate::config::Dialect;
use crate::error::Error;

/// Arguments of `wait exists|gone|in-service|capacity`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Domain (group) name.
    pub name: String,
    /// How long to wait.
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    pub timeout: Duration,
}

/// Arguments of `wait refresh`.
#[derive(Debug, Args)]
pub struct WaitRefreshArgs {
    /// Domain (group) name.
    pub name: String,
    /// The instance refresh id (default: the group's newest refresh).
    pub refresh_id: Option<String>,
    /// How long to wait.
    #[arg(long, value_parser = parse_duration, default_value = "1h")]
    pub timeout: Duration,
}

/// How the CLI polls a group: 0.2 s backing off to 5 s, for `timeout` in all.
fn group_config(timeout: Duration) -> WaiterConfig {
    WaiterConfig {
        min_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(5),
        max_wait: timeout,
    }
}

/// How the CLI polls an instance refresh: 1 s backing off to 15 s, for `timeout` in all.
fn refresh_config(timeout: Duration) -> WaiterConfig {
    WaiterConfig {
        min_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(15),
        max_wait: timeout,
    }
}

/// One of the group waits of `phantom wait`, on an existing group, for at most `timeout`.
async fn group_wait(ctx: &Context, target: WaitFor, timeout: Duration) -> Result<Waited, Error> {
    until(
        &ctx.client,
        ctx.config.dialect,
        &target,
        group_config(timeout),
        false,
    )
    .await
}

/// Runs one `wait` command. Text output is nothing (the exit code says it); `--output json`
/// prints the final state with the API's names (`AutoScalingGroups` or `InstanceRefreshes`).
pub async fn run(ctx: &Context, command: WaitCommand) -> Result<(), Error> {
    let dialect = ctx.config.dialect;
    let waited = match command {
        WaitCommand::Exists(a) => group_wait(ctx, WaitFor::GroupExists(a.name), a.timeout).await?,
        WaitCommand::Gone(a) => group_wait(ctx, WaitFor::GroupNotExists(a.name), a.timeout).await?,
        WaitCommand::InService(a) => {
            group_wait(ctx, WaitFor::GroupInService(a.name), a.timeout).await?
        }
        WaitCommand::Capacity(a) => {
            group_wait(ctx, WaitFor::GroupAtCapacity(a.name), a.timeout).await?
        }
        WaitCommand::Refresh(a) => {
            let refresh_id = match a.refresh_id {
                Some(id) => id,
                None => newest_refresh(&ctx.client, &a.name).await?,
            };
            refresh(
                &ctx.client,
                &a.name,
                &refresh_id,
                RefreshGoal::Complete,
                a.timeout,
            )
            .await?
        }
    };
    let mut printer = Printer::new(&ctx.format, dialect);
    print_waited(&mut printer, &waited)?;
    printer.finish()
}

/// Writes the final state as JSON (nothing in text mode).
pub fn print_waited(printer: &mut Printer, waited: &Waited) -> Result<(), Error> {
    match waited {
        Waited::Group(group) => printer.json(&json!({ "AutoScalingGroups": [group] })),
        Waited::Gone => printer.json(&json!({ "AutoScalingGroups": [] })),
        Waited::Refresh(refresh) => printer.json(&json!({ "InstanceRefreshes": [refresh] })),
    }
}

/// The id of the group's newest instance refresh (the service lists them newest first).
pub async fn newest_refresh(client: &Client, group: &str) -> Result<String, Error> {
    let input = DescribeInstanceRefreshesInput {
        auto_scaling_group_name: group.to_string(),
        max_records: Some(1),
        ..Default::default()
    };
    client
        .describe_instance_refreshes(&input)
        .await?
        .instance_refreshes
        .unwrap_or_default()
        .into_iter()
        .find_map(|r| r.instance_refresh_id)
        .ok_or_else(|| Error::NotFound(format!("instance refresh of group {group}")))
}

/// Waits for instance refresh `refresh_id` of `group` to end with `goal`, as the CLI polls.
pub async fn refresh(
    client: &Client,
    group: &str,
    refresh_id: &str,
    goal: RefreshGoal,
    timeout: Duration,
) -> Result<Waited, Error> {
    let target = WaitFor::InstanceRefresh {
        group: group.to_string(),
        refresh_id: refresh_id.to_string(),
        goal,
    };
    // Refresh waits never look at scaling activities; the dialect does not matter.
    until(
        client,
        Dialect::Aws,
        &target,
        refresh_config(timeout),
        false,
    )
    .await
}

/// Waits for a group to be at capacity, as `domain create --wait` does; `fresh` says the group
/// was just created (every scaling activity of it counts).
pub async fn at_capacity(
    client: &Client,
    dialect: Dialect,
    name: &str,
    timeout: Duration,
    fresh: bool,
) -> Result<Waited, Error> {
    let target = WaitFor::GroupAtCapacity(name.to_string());
    until(client, dialect, &target, group_config(timeout), fresh).await
}

/// Runs a library wait with a progress line on stderr when it is a terminal: `waiting for NAME:
/// STATUS (Ns)`, rewritten in place, ended by a line break whatever the outcome. Phantom has no
/// `DescribeScalingActivities`, so under its dialect activities are not asked for.
async fn until(
    client: &Client,
    dialect: Dialect,
    target: &WaitFor,
    config: WaiterConfig,
    fresh: bool,
) -> Result<Waited, Error> {
    let terminal = std::io::stderr().is_terminal();
    let label = match target {
        WaitFor::InstanceRefresh { refresh_id, .. } => format!("refresh {refresh_id}"),
        other => other.group().to_string(),
    };
    let mut show = |p: &Progress<'_>| {
        eprint!(
            "\rwaiting for {label}: {} ({}s)   ",
            p.status,
            p.elapsed.as_secs()
        );
        let _ = std::io::stderr().flush();
    };
    let mut options = WaitOptions::new(config);
    options.fresh_group = fresh;
    options.check_activities = dialect == Dialect::Aws;
    if terminal {
        options.on_poll = Some(&mut show);
    }
    let result = client.wait(target, options).await;
    if terminal {
        eprintln!();
    }
    result
}
