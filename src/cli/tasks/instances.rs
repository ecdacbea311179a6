//! `phantom instances health|protect|attach|detach` (SetInstanceHealth, SetInstanceProtection,
//! AttachInstances, DetachInstances). `instances list|terminate` are the seed's, in
//! `query_cmds`.
//!
//! DetachInstances must say whether the desired capacity drops (`ShouldDecrementDesiredCapacity`
//! is required): by default it is kept and the group launches replacements, as `instances
//! terminate` does; `--decrement` lowers it instead.

use clap::{Args, ValueEnum};

use super::{IDS_PER_CALL, check_id, check_ids, check_name, print_activities, print_done, require};
use crate::autoscaling::types::*;
use crate::cli::args::InstancesCommand;
use crate::cli::query_cmds::Context;
use crate::error::Error;

/// The most instance ids one SetInstanceProtection call takes (API reference).
const PROTECT_PER_CALL: usize = 50;

/// An instance's health as Auto Scaling sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Health {
    /// Healthy.
    #[value(name = "Healthy")]
    Healthy,
    /// Unhealthy: Auto Scaling replaces it.
    #[value(name = "Unhealthy")]
    Unhealthy,
}

/// Arguments of `instances health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Instance id.
    pub id: String,
    /// Healthy or Unhealthy.
    #[arg(value_enum)]
    pub status: Health,
    /// Leave an instance still in its group's health check grace period alone.
    #[arg(long)]
    pub respect_grace_period: bool,
}

/// Arguments of `instances protect`.
#[derive(Debug, Args)]
pub struct ProtectArgs {
    /// Group name.
    pub group: String,
    /// Instance ids (at most 50).
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Remove the protection instead.
    #[arg(long)]
    pub off: bool,
}

/// Arguments of `instances attach`.
#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Group name.
    pub group: String,
    /// Running EC2 instance ids (at most 20); the group's desired capacity grows by as many.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
}

/// Arguments of `instances detach`.
#[derive(Debug, Args)]
pub struct DetachArgs {
    /// Group name.
    pub group: String,
    /// Instance ids (at most 20).
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Lower the desired capacity instead of replacing the instances.
    #[arg(long)]
    pub decrement: bool,
}

/// Runs `instances health|protect|attach|detach`.
pub async fn run(ctx: &Context, command: InstancesCommand) -> Result<(), Error> {
    match command {
        InstancesCommand::Health(a) => {
            check_id(&a.id)?;
            require(ctx, "SetInstanceHealth", "instances health")?;
            let status = match a.status {
                Health::Healthy => "Healthy",
                Health::Unhealthy => "Unhealthy",
            };
            let input = SetInstanceHealthInput {
                instance_id: a.id.clone(),
                health_status: status.into(),
                should_respect_grace_period: a.respect_grace_period.then_some(true),
            };
            ctx.client.send(&input).await?;
            print_done(
                &mut ctx.printer(),
                &format!("{} is now {status}", a.id),
                &input,
            )
        }
        InstancesCommand::Protect(a) => {
            check_name("group name", &a.group, 255)?;
            check_ids(&a.ids, PROTECT_PER_CALL, "instances protect")?;
            require(ctx, "SetInstanceProtection", "instances protect")?;
            let input = SetInstanceProtectionInput {
                instance_ids: a.ids,
                auto_scaling_group_name: a.group,
                protected_from_scale_in: !a.off,
            };
            ctx.client.send(&input).await?;
            let text = format!(
                "{} from scale-in in {}: {}",
                if a.off {
                    "no longer protected"
                } else {
                    "protected"
                },
                input.auto_scaling_group_name,
                input.instance_ids.join(" ")
            );
            print_done(&mut ctx.printer(), &text, &input)
        }
        InstancesCommand::Attach(a) => {
            check_name("group name", &a.group, 255)?;
            check_ids(&a.ids, IDS_PER_CALL, "instances attach")?;
            require(ctx, "AttachInstances", "instances attach")?;
            let input = AttachInstancesInput {
                instance_ids: Some(a.ids.clone()),
                auto_scaling_group_name: a.group.clone(),
            };
            ctx.client.send(&input).await?;
            print_done(
                &mut ctx.printer(),
                &format!("attached to {}: {}", a.group, a.ids.join(" ")),
                &input,
            )
        }
        InstancesCommand::Detach(a) => {
            check_name("group name", &a.group, 255)?;
            check_ids(&a.ids, IDS_PER_CALL, "instances detach")?;
            require(ctx, "DetachInstances", "instances detach")?;
            let input = DetachInstancesInput {
                instance_ids: Some(a.ids),
                auto_scaling_group_name: a.group,
                should_decrement_desired_capacity: a.decrement,
            };
            let reply = ctx.client.send(&input).await?.output;
            print_activities(&mut ctx.printer(), reply.activities.as_deref(), &reply)
        }
        InstancesCommand::List(_) | InstancesCommand::Terminate(_) => Err(Error::Config(
            "instances list and terminate are the seed's commands (query_cmds)".into(),
        )),
    }
}
