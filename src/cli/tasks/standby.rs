//! `phantom standby enter|exit`: moving instances into and out of Standby (EnterStandby,
//! ExitStandby), printing the scaling activities the reply gives.
//!
//! EnterStandby must say whether the group's desired capacity drops with the instances
//! (`ShouldDecrementDesiredCapacity` is required). The default here keeps it (`--keep-desired`):
//! the group launches replacements and keeps serving at its size, as `instances terminate` and
//! `instances detach` do unless asked to `--decrement`. `--decrement` lowers the desired capacity
//! instead (AWS refuses it below the group's minimum).

use clap::{Args, Subcommand};

use super::{IDS_PER_CALL, check_ids, check_name, print_activities, require};
use crate::autoscaling::types::*;
use crate::cli::query_cmds::Context;
use crate::error::Error;

/// `phantom standby ...`
#[derive(Debug, Subcommand)]
pub enum StandbyCommand {
    /// Move instances into Standby (the group launches replacements unless --decrement).
    #[command(
        after_help = "Examples:\n  phantom standby enter web i-0123456789abcdef0\n  \
        phantom standby enter web i-0123456789abcdef0 i-0fedcba9876543210 --decrement"
    )]
    Enter(EnterArgs),
    /// Move instances out of Standby, back InService.
    #[command(after_help = "Example:\n  phantom standby exit web i-0123456789abcdef0")]
    Exit(ExitArgs),
}

/// Arguments of `standby enter`.
#[derive(Debug, Args)]
pub struct EnterArgs {
    /// Group name.
    pub group: String,
    /// Instance ids (at most 20).
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Keep the desired capacity: the group launches replacements (the default).
    #[arg(long, conflicts_with = "decrement")]
    pub keep_desired: bool,
    /// Lower the desired capacity by the number of instances instead of replacing them.
    #[arg(long)]
    pub decrement: bool,
}

/// Arguments of `standby exit`.
#[derive(Debug, Args)]
pub struct ExitArgs {
    /// Group name.
    pub group: String,
    /// Instance ids (at most 20).
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
}

/// Runs one `standby` command.
pub async fn run(ctx: &Context, command: StandbyCommand) -> Result<(), Error> {
    match command {
        StandbyCommand::Enter(a) => {
            check_name("group name", &a.group, 255)?;
            check_ids(&a.ids, IDS_PER_CALL, "standby enter")?;
            require(ctx, "EnterStandby", "standby enter")?;
            let input = EnterStandbyInput {
                instance_ids: Some(a.ids),
                auto_scaling_group_name: a.group,
                should_decrement_desired_capacity: a.decrement,
            };
            let reply = ctx.client.send(&input).await?.output;
            print_activities(&mut ctx.printer(), reply.activities.as_deref(), &reply)
        }
        StandbyCommand::Exit(a) => {
            check_name("group name", &a.group, 255)?;
            check_ids(&a.ids, IDS_PER_CALL, "standby exit")?;
            require(ctx, "ExitStandby", "standby exit")?;
            let input = ExitStandbyInput {
                instance_ids: Some(a.ids),
                auto_scaling_group_name: a.group,
            };
            let reply = ctx.client.send(&input).await?.output;
            print_activities(&mut ctx.printer(), reply.activities.as_deref(), &reply)
        }
    }
}
