//! `phantom processes suspend|resume|list`: a group's scaling processes (Launch, Terminate,
//! HealthCheck, ...), which can be suspended to stop Auto Scaling from doing that kind of work.
//!
//! `suspend` and `resume` are one call each (`SuspendProcesses`, `ResumeProcesses`); without
//! process names they act on every process, as the API does. `list` is
//! `DescribeScalingProcessTypes` (the process types the service knows) and, with a group, that
//! group's `SuspendedProcesses` from `DescribeAutoScalingGroups`. Names are not checked here: the
//! service's `ValidationError` names a bad one.

use clap::{Args, Subcommand};
use serde_json::json;

use super::output::Printer;
use super::query_cmds::{Context, describe_group};
use crate::autoscaling::types::{
    DescribeScalingProcessTypesInput, ResumeProcessesInput, SuspendProcessesInput,
};
use crate::error::Error;

/// `phantom processes ...`
#[derive(Debug, Subcommand)]
pub enum ProcessesCommand {
    /// Suspend scaling processes of a domain (all of them when none is named).
    #[command(
        after_help = "Example:\n  phantom processes suspend testDomain1 AZRebalance HealthCheck\n  phantom processes suspend testDomain1"
    )]
    Suspend(ProcessesArgs),
    /// Resume suspended scaling processes of a domain (all of them when none is named).
    #[command(after_help = "Example:\n  phantom processes resume testDomain1 AZRebalance")]
    Resume(ProcessesArgs),
    /// List the scaling process types; with a domain, which of them it has suspended and why.
    #[command(
        after_help = "Example:\n  phantom processes list\n  phantom processes list testDomain1"
    )]
    List(ListArgs),
}

/// Arguments of `processes suspend` and `processes resume`.
#[derive(Debug, Args)]
pub struct ProcessesArgs {
    /// Domain (group) name.
    pub group: String,
    /// Processes: Launch, Terminate, AddToLoadBalancer, AlarmNotification, AZRebalance,
    /// HealthCheck, InstanceRefresh, ReplaceUnhealthy, ScheduledActions (all when none).
    #[arg(value_name = "PROCESS")]
    pub processes: Vec<String>,
}

/// Arguments of `processes list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Also show which processes this domain has suspended.
    pub group: Option<String>,
}

/// Runs one `processes` command.
pub async fn run(ctx: &Context, command: ProcessesCommand) -> Result<(), Error> {
    let mut printer = Printer::new(&ctx.format, ctx.config.dialect);
    match command {
        ProcessesCommand::Suspend(a) => {
            let processes = (!a.processes.is_empty()).then(|| a.processes.clone());
            ctx.client
                .suspend_processes(&SuspendProcessesInput {
                    auto_scaling_group_name: a.group.clone(),
                    scaling_processes: processes,
                })
                .await?;
            printer.line(&format!("suspended {} of {}", which(&a.processes), a.group))?;
            printer.json(&json!({}))?;
        }
        ProcessesCommand::Resume(a) => {
            let processes = (!a.processes.is_empty()).then(|| a.processes.clone());
            ctx.client
                .resume_processes(&ResumeProcessesInput {
                    auto_scaling_group_name: a.group.clone(),
                    scaling_processes: processes,
                })
                .await?;
            printer.line(&format!("resumed {} of {}", which(&a.processes), a.group))?;
            printer.json(&json!({}))?;
        }
        ProcessesCommand::List(a) => {
            let types = ctx
                .client
                .describe_scaling_process_types(&DescribeScalingProcessTypesInput {})
                .await?
                .processes
                .unwrap_or_default();
            let suspended = match &a.group {
                Some(group) => Some(
                    describe_group(&ctx.client, group)
                        .await?
                        .suspended_processes
                        .unwrap_or_default(),
                ),
                None => None,
            };
            if printer.is_json() {
                let mut document = json!({ "Processes": types });
                if let Some(s) = &suspended {
                    document["SuspendedProcesses"] = json!(s);
                }
                printer.json(&document)?;
            }
            for process in &types {
                let name = process.process_name.as_deref().unwrap_or("?");
                let line = match &suspended {
                    None => name.to_string(),
                    Some(s) => match s.iter().find(|p| p.process_name.as_deref() == Some(name)) {
                        Some(p) => format!(
                            "{name}\tsuspended\t{}",
                            p.suspension_reason.as_deref().unwrap_or("")
                        ),
                        None => format!("{name}\tactive"),
                    },
                };
                printer.line(line.trim_end())?;
            }
            // A suspended process the service did not list as a type is still shown.
            for p in suspended.iter().flatten() {
                let name = p.process_name.as_deref().unwrap_or("?");
                if !types
                    .iter()
                    .any(|t| t.process_name.as_deref() == Some(name))
                {
                    let line = format!(
                        "{name}\tsuspended\t{}",
                        p.suspension_reason.as_deref().unwrap_or("")
                    );
                    printer.line(line.trim_end())?;
                }
            }
        }
    }
    printer.finish()
}

/// "every process" or "AZRebalance, HealthCheck".
fn which(processes: &[String]) -> String {
    if processes.is_empty() {
        "every process".to_string()
    } else {
        processes.join(", ")
    }
}
