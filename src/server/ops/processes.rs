//! SuspendProcesses, ResumeProcesses, DescribeScalingProcessTypes: the scaling processes a group
//! runs, and stopping them.
//!
//! A group keeps its suspended processes in its `SuspendedProcesses` attribute (the JSON of the
//! group row, so a state file keeps them), each with AWS's reason "User suspended at TIME". What
//! acts on a group asks before acting: the lifecycle's reconcile (`Launch`, `Terminate`,
//! `HealthCheck`, which finds instances EC2's TerminateInstances ended, `ReplaceUnhealthy` and
//! `AZRebalance`), and through `rows::groups::is_suspended` whatever runs by itself
//! (`ScheduledActions`, `AlarmNotification`). Resuming reconciles the group at once, so a desired
//! capacity left unmet while `Launch` was suspended is met by the resume.

use rusqlite::Transaction;

use crate::autoscaling::NoOutput;
use crate::autoscaling::types::{
    DescribeScalingProcessTypesInput, DescribeScalingProcessTypesOutput, ProcessType,
    ResumeProcessesInput, SuspendProcessesInput, SuspendedProcess,
};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::timestamp;
use crate::server::ops::{Ctx, Handle};
use crate::server::rows::attachments;
use crate::server::rows::groups::{self, PROCESSES};

/// The processes a request names: all of them when it names none; an unknown name is refused.
fn named(given: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let given = given.unwrap_or_default();
    if given.is_empty() {
        return Ok(PROCESSES.iter().map(|p| p.to_string()).collect());
    }
    let unknown: Vec<&str> = given
        .iter()
        .map(String::as_str)
        .filter(|p| !PROCESSES.contains(p))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::validation(format!(
            "Invalid processes specified: {}. Valid processes are {}.",
            shorten(&unknown.join(", ")),
            PROCESSES.join(", ")
        )));
    }
    Ok(given)
}

/// `SuspendProcesses`: the named processes (or all) are suspended; one already suspended keeps
/// its reason.
impl Handle for SuspendProcessesInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let mut group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let names = named(self.scaling_processes)?;
        let was = groups::is_suspended(&group.doc, "AddToLoadBalancer");
        let reason = format!("User suspended at {}", timestamp(ctx.now));
        let list = group.doc.suspended_processes.get_or_insert_with(Vec::new);
        for name in names {
            if !list
                .iter()
                .any(|p| p.process_name.as_deref() == Some(&name))
            {
                list.push(SuspendedProcess {
                    process_name: Some(name),
                    suspension_reason: Some(reason.clone()),
                });
            }
        }
        groups::save(tx, ctx.owner, &group)?;
        let after = groups::is_suspended(&group.doc, "AddToLoadBalancer");
        attachments::note_suspension(ctx, tx, &group.name, was, after)?;
        Ok(NoOutput {})
    }
}

/// `ResumeProcesses`: the named processes (or all) run again, and the group is reconciled with
/// its desired capacity at once.
impl Handle for ResumeProcessesInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let mut group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let names = named(self.scaling_processes)?;
        let was = groups::is_suspended(&group.doc, "AddToLoadBalancer");
        if let Some(list) = group.doc.suspended_processes.as_mut() {
            list.retain(|p| !p.process_name.as_ref().is_some_and(|n| names.contains(n)));
        }
        groups::save(tx, ctx.owner, &group)?;
        let after = groups::is_suspended(&group.doc, "AddToLoadBalancer");
        attachments::note_suspension(ctx, tx, &group.name, was, after)?;
        groups::reconcile(
            ctx,
            tx,
            &group,
            "a user request resumed scaling processes of the AutoScalingGroup",
        )?;
        Ok(NoOutput {})
    }
}

/// `DescribeScalingProcessTypes`.
impl Handle for DescribeScalingProcessTypesInput {
    fn handle(
        self,
        _ctx: &Ctx<'_>,
        _tx: &Transaction<'_>,
    ) -> Result<DescribeScalingProcessTypesOutput, ApiError> {
        Ok(DescribeScalingProcessTypesOutput {
            processes: Some(
                PROCESSES
                    .iter()
                    .map(|p| ProcessType {
                        process_name: Some(p.to_string()),
                    })
                    .collect(),
            ),
        })
    }
}
