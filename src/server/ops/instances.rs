//! DescribeAutoScalingInstances, TerminateInstanceInAutoScalingGroup, SetInstanceHealth,
//! SetInstanceProtection, EnterStandby / ExitStandby, DetachInstances / AttachInstances,
//! DescribeTerminationPolicyTypes: the instances of a group and moving them in and out of it.
//!
//! Instances are rows the lifecycle creates; here they are listed (state evaluated at the
//! request's time, gone ones left out) and terminated on request. Terminating without decrementing
//! lets the group launch a replacement in the same transaction; decrementing lowers the desired
//! capacity, which may not go below MinSize (`ValidationError`, as AWS says). Standby and
//! detaching work the same way (decrement, or the group launches replacements); exiting standby
//! and attaching raise the desired capacity and may not go above MaxSize. Each move records the
//! activity AWS records for it; what the group does next (replace, scale in) is the lifecycle's
//! reconcile, run in the same transaction.

use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::NoOutput;
use crate::autoscaling::types::{
    Activity, AttachInstancesInput, AutoScalingInstanceDetails, DescribeAutoScalingInstancesInput,
    DescribeAutoScalingInstancesOutput, DescribeTerminationPolicyTypesInput,
    DescribeTerminationPolicyTypesOutput, DetachInstancesInput, DetachInstancesOutput,
    EnterStandbyInput, EnterStandbyOutput, ExitStandbyInput, ExitStandbyOutput,
    SetInstanceHealthInput, SetInstanceProtectionInput, SetInstanceProtectionOutput,
    TerminateInstanceInAutoScalingGroupInput, TerminateInstanceInAutoScalingGroupOutput,
};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::{self, activity_shape, timestamp};
use crate::server::ops::{Ctx, Handle};
use crate::server::paginate::{PageRequest, check_names};
use crate::server::rows::groups::{self, GroupRow};
use crate::server::rows::hooks;
use crate::server::rows::instances::{LiveInstance, live_instances};
use crate::server::store::Cached;

/// `DescribeAutoScalingInstances`.
impl Handle for DescribeAutoScalingInstancesInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeAutoScalingInstancesOutput, ApiError> {
        let input = self;
        check_names("InstanceIds", input.instance_ids.as_ref())?;
        let page = PageRequest::new(
            "DescribeAutoScalingInstances",
            input.max_records,
            input.next_token.as_deref(),
            50,
        )?;
        let wanted = input.instance_ids.filter(|n| !n.is_empty());
        let mut items = Vec::new();
        for i in live_instances(ctx, tx, None)? {
            if wanted.as_ref().is_some_and(|w| !w.contains(&i.id)) {
                continue;
            }
            items.push((
                i.id.clone(),
                AutoScalingInstanceDetails {
                    instance_id: Some(i.id),
                    instance_type: Some(i.instance_type),
                    auto_scaling_group_name: Some(i.group),
                    availability_zone: Some(i.zone),
                    lifecycle_state: Some(i.state.to_string()),
                    health_status: Some(i.health),
                    launch_configuration_name: (!i.lc.is_empty()).then_some(i.lc),
                    launch_template: i.template,
                    image_id: Some(i.image),
                    protected_from_scale_in: Some(i.protected),
                    ..Default::default()
                },
            ));
        }
        let (auto_scaling_instances, next_token) = page.take(items);
        Ok(DescribeAutoScalingInstancesOutput {
            auto_scaling_instances: Some(auto_scaling_instances),
            next_token,
        })
    }
}

/// `TerminateInstanceInAutoScalingGroup`: one instance (`InstanceId`, answered with `Activity`),
/// or up to 100 of one group (`InstanceIds` with `AutoScalingGroupName`, answered with
/// `Activities`), as the 2026 model allows. The checks come first, so a refused call changes
/// nothing: every instance must be live in the group, and a decrement must keep the group at or
/// above its minimum.
impl Handle for TerminateInstanceInAutoScalingGroupInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<TerminateInstanceInAutoScalingGroupOutput, ApiError> {
        let input = self;
        let (ids, many) = match (&input.instance_id, &input.instance_ids) {
            (Some(id), None) => (vec![id.clone()], false),
            (None, Some(ids)) => {
                if input.auto_scaling_group_name.is_none() {
                    return Err(ApiError::validation(
                        "AutoScalingGroupName is required when InstanceIds is specified.",
                    ));
                }
                (ids.clone(), true)
            }
            (Some(_), Some(_)) => {
                return Err(ApiError::validation(
                    "Specify either InstanceId or InstanceIds, not both.",
                ));
            }
            (None, None) => {
                return Err(ApiError::validation(
                    "Either InstanceId or InstanceIds must be specified.",
                ));
            }
        };
        lifecycle::sweep(tx, ctx.now)?;
        let mut group_name: Option<String> = None;
        for (n, id) in ids.iter().enumerate() {
            if ids[..n].contains(id) {
                return Err(ApiError::validation(format!(
                    "The instance ID {} is given more than once.",
                    shorten(id)
                )));
            }
            let owner_group: Option<String> = tx
                .query_row_cached(
                    "SELECT group_name FROM instances WHERE owner = ?1 AND id = ?2 \
                 AND terminating_ms IS NULL AND group_name <> ''",
                    params![ctx.owner, id],
                    |r| r.get(0),
                )
                .optional()?;
            let asked = input.auto_scaling_group_name.as_deref();
            let found = owner_group.filter(|g| asked.is_none_or(|a| a == g));
            let Some(found) = found else {
                return Err(ApiError::validation(format!(
                    "Instance Id not found - No managed instance found for instance ID: {}",
                    shorten(id)
                )));
            };
            if group_name.as_deref().is_some_and(|g| g != found) {
                return Err(ApiError::validation(
                    "The instances must belong to one Auto Scaling group.",
                ));
            }
            group_name = Some(found);
        }
        let group_name = group_name.unwrap_or_default();
        let mut group = groups::require(tx, ctx.owner, &group_name)?;
        let before = group.desired;
        let count = i64::try_from(ids.len()).unwrap_or(i64::MAX);
        if input.should_decrement_desired_capacity && ctx.settings.phantom() {
            // Phantom: the n-preserving N goes down by one (MinSize and MaxSize with it).
            let n = (group.desired - count).max(0);
            crate::server::phantom::rules::preserve(tx, ctx.owner, &mut group, n)?;
        } else if input.should_decrement_desired_capacity {
            if group.desired - count < group.min {
                return Err(ApiError::validation(format!(
                    "Currently, desiredSize equals minSize ({}). Terminating instance without \
                 replacement will violate group's min size constraint. Either set \
                 shouldDecrementDesiredCapacity flag to false or lower group's min size.",
                    group.min
                )));
            }
            group.desired -= count;
            tx.execute_cached(
                "UPDATE groups SET desired = ?3 WHERE owner = ?1 AND name = ?2",
                params![ctx.owner, group.name, group.desired],
            )?;
        }
        let suspended = groups::suspended_names(&group.doc);
        let facts = groups::facts(ctx, &group, &suspended, None);
        let arn = facts.arn.to_string();
        let when = timestamp(ctx.now);
        let mut activities = Vec::with_capacity(ids.len());
        for (n, id) in ids.iter().enumerate() {
            let end = lifecycle::terminate(tx, ctx.settings, &facts, id, ctx.now)?;
            let cause = if input.should_decrement_desired_capacity {
                let from = before - i64::try_from(n).unwrap_or(0);
                format!(
                    "At {when} instance {id} was taken out of service in response to a user \
                 request, shrinking the capacity from {from} to {}.",
                    from - 1
                )
            } else {
                format!(
                    "At {when} instance {id} was taken out of service in response to a user request."
                )
            };
            let description = format!("Terminating EC2 instance: {id}");
            let activity_id = lifecycle::record(tx, &facts, &description, &cause, ctx.now, end)?;
            let details =
                serde_json::json!({"Subnet ID": "", "Availability Zone": group.site}).to_string();
            activities.push(activity_shape(
                ctx.now,
                activity_id,
                group.name.clone(),
                Some(arn.clone()),
                description,
                cause,
                details,
                ctx.now,
                end,
            ));
        }
        if !input.should_decrement_desired_capacity {
            groups::reconcile(
                ctx,
                tx,
                &group,
                "a user request replaced a terminated instance",
            )?;
        }
        if many {
            Ok(TerminateInstanceInAutoScalingGroupOutput {
                activity: None,
                activities: Some(activities),
            })
        } else {
            Ok(TerminateInstanceInAutoScalingGroupOutput {
                activity: activities.pop(),
                activities: None,
            })
        }
    }
}

/// The instances `ids` names, each in group `group` and not terminating (else AWS's
/// `ValidationError`); a repeated id is refused.
fn members(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &str,
    ids: &[String],
) -> Result<Vec<LiveInstance>, ApiError> {
    let mut live = live_instances(ctx, tx, Some(group))?;
    let mut found = Vec::with_capacity(ids.len());
    for (n, id) in ids.iter().enumerate() {
        if ids[..n].contains(id) {
            return Err(ApiError::validation(format!(
                "The instance ID {} is given more than once.",
                shorten(id)
            )));
        }
        match live
            .iter()
            .position(|i| &i.id == id && !crate::server::phantom::ending(i.state))
        {
            Some(at) => found.push(live.swap_remove(at)),
            None => {
                return Err(ApiError::validation(format!(
                    "The instance {} is not part of Auto Scaling group {}.",
                    shorten(id),
                    shorten(group)
                )));
            }
        }
    }
    Ok(found)
}

/// Records one activity of `group` (starting now, complete at `end`) and returns it as the API
/// shows it.
fn activity(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    description: String,
    cause: String,
    end: i64,
) -> Result<Activity, ApiError> {
    let facts = groups::facts(ctx, group, &[], None);
    let arn = facts.arn.to_string();
    let id = lifecycle::record(tx, &facts, &description, &cause, ctx.now, end)?;
    let details = serde_json::json!({"Subnet ID": "", "Availability Zone": group.site}).to_string();
    Ok(activity_shape(
        ctx.now,
        id,
        group.name.clone(),
        Some(arn),
        description,
        cause,
        details,
        ctx.now,
        end,
    ))
}

/// Lowers a group's desired capacity by `count` for instances leaving it without replacement,
/// refused (AWS's words) when that would go below MinSize; `doing` names the leaving in the
/// message ("Detaching instance", "Moving instance to Standby").
fn decrement(group: &mut GroupRow, count: i64, doing: &str) -> Result<(), ApiError> {
    if group.desired - count < group.min {
        return Err(ApiError::validation(format!(
            "Currently, desiredSize equals minSize ({}). {doing} without replacement will violate \
             group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false \
             or lower group's min size.",
            group.min
        )));
    }
    group.desired -= count;
    Ok(())
}

/// `SetInstanceHealth`: `Healthy` or `Unhealthy`. An unhealthy instance is terminated and
/// replaced at once, unless the group's `ReplaceUnhealthy` is suspended (it then stays, marked
/// `Unhealthy`, until the process is resumed). With `ShouldRespectGracePeriod` (the default) a
/// report of `Unhealthy` during the group's `HealthCheckGracePeriod` after the instance's launch
/// is accepted and ignored.
impl Handle for SetInstanceHealthInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        if !["Healthy", "Unhealthy"].contains(&self.health_status.as_str()) {
            return Err(ApiError::validation(format!(
                "Health status {} is not valid; valid values are Healthy and Unhealthy.",
                shorten(&self.health_status)
            )));
        }
        lifecycle::sweep(tx, ctx.now)?;
        let found: Option<(String, i64)> = tx
            .query_row_cached(
                "SELECT group_name, launched_ms FROM instances WHERE owner = ?1 AND id = ?2 \
                 AND terminating_ms IS NULL AND group_name <> ''",
                params![ctx.owner, self.instance_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((group_name, launched_ms)) = found else {
            return Err(ApiError::validation(format!(
                "Instance Id not found - No managed instance found for instance ID: {}",
                shorten(&self.instance_id)
            )));
        };
        let group = groups::require(tx, ctx.owner, &group_name)?;
        let grace_ms = i64::from(group.doc.health_check_grace_period.unwrap_or(0)) * 1000;
        if self.health_status == "Unhealthy"
            && self.should_respect_grace_period.unwrap_or(true)
            && ctx.now < launched_ms.saturating_add(grace_ms)
        {
            return Ok(NoOutput {});
        }
        tx.execute_cached(
            "UPDATE instances SET health = ?3 WHERE owner = ?1 AND id = ?2",
            params![ctx.owner, self.instance_id, self.health_status],
        )?;
        groups::reconcile(
            ctx,
            tx,
            &group,
            "an instance was replaced in response to a user health-check",
        )?;
        Ok(NoOutput {})
    }
}

/// `SetInstanceProtection`: protects (or unprotects) instances of the group from scale-in; a
/// group above its desired capacity because its instances were protected scales in once they
/// are not.
impl Handle for SetInstanceProtectionInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<SetInstanceProtectionOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        for i in members(ctx, tx, &group.name, &self.instance_ids)? {
            tx.execute_cached(
                "UPDATE instances SET protected = ?3 WHERE owner = ?1 AND id = ?2",
                params![ctx.owner, i.id, self.protected_from_scale_in],
            )?;
        }
        groups::reconcile(
            ctx,
            tx,
            &group,
            "a user request changed the scale-in protection of instances",
        )?;
        Ok(SetInstanceProtectionOutput {})
    }
}

/// `EnterStandby`: InService instances leave the group's capacity (they stay, in `Standby`, and
/// are never terminated by scale-in); without decrementing, the group launches replacements.
impl Handle for EnterStandbyInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<EnterStandbyOutput, ApiError> {
        let mut group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let ids = self.instance_ids.unwrap_or_default();
        let found = members(ctx, tx, &group.name, &ids)?;
        if let Some(i) = found.iter().find(|i| i.state != "InService") {
            return Err(ApiError::validation(format!(
                "The instance {} is not in InService.",
                i.id
            )));
        }
        let before = group.desired;
        let count = i64::try_from(found.len()).unwrap_or(i64::MAX);
        if self.should_decrement_desired_capacity {
            decrement(&mut group, count, "Moving instances to Standby")?;
        }
        let when = timestamp(ctx.now);
        let mut activities = Vec::with_capacity(found.len());
        for (n, i) in found.iter().enumerate() {
            tx.execute_cached(
                "UPDATE instances SET standby = 1 WHERE owner = ?1 AND id = ?2",
                params![ctx.owner, i.id],
            )?;
            let mut cause = format!(
                "At {when} instance {} was moved to standby in response to a user request",
                i.id
            );
            if self.should_decrement_desired_capacity {
                let from = before - i64::try_from(n).unwrap_or(0);
                cause.push_str(&format!(
                    ", shrinking the capacity from {from} to {}",
                    from - 1
                ));
            }
            cause.push('.');
            let description = format!("Moving EC2 instance to Standby: {}", i.id);
            activities.push(activity(ctx, tx, &group, description, cause, ctx.now)?);
        }
        groups::save(tx, ctx.owner, &group)?;
        groups::reconcile(
            ctx,
            tx,
            &group,
            "a user request moved instances to standby without decrementing the desired capacity",
        )?;
        Ok(EnterStandbyOutput {
            activities: Some(activities),
        })
    }
}

/// `ExitStandby`: Standby instances return to the group (`Pending`, then `InService`), raising its
/// desired capacity by their number; refused above MaxSize.
impl Handle for ExitStandbyInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<ExitStandbyOutput, ApiError> {
        let mut group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let ids = self.instance_ids.unwrap_or_default();
        let found = members(ctx, tx, &group.name, &ids)?;
        if let Some(i) = found.iter().find(|i| i.state != "Standby") {
            return Err(ApiError::validation(format!(
                "The instance {} is not in Standby.",
                i.id
            )));
        }
        let before = group.desired;
        let count = i64::try_from(found.len()).unwrap_or(i64::MAX);
        if before + count > group.max {
            return Err(ApiError::validation(format!(
                "Moving {count} instance(s) out of Standby would raise the desired capacity of \
                 AutoScalingGroup {} to {}, above its max size {}.",
                shorten(&group.name),
                before + count,
                group.max
            )));
        }
        groups::check_limit(before + count)?;
        group.desired += count;
        let when = timestamp(ctx.now);
        let ready = ctx.now + ctx.settings.timing.launch_delay_ms;
        let mut activities = Vec::with_capacity(found.len());
        for (n, i) in found.iter().enumerate() {
            tx.execute_cached(
                "UPDATE instances SET standby = 0, ready_ms = ?3, hook_phase = NULL \
                 WHERE owner = ?1 AND id = ?2",
                params![ctx.owner, i.id, ready],
            )?;
            let from = before + i64::try_from(n).unwrap_or(0);
            let cause = format!(
                "At {when} instance {} was moved out of standby in response to a user request, \
                 increasing the capacity from {from} to {}.",
                i.id,
                from + 1
            );
            let description = format!("Moving EC2 instance out of Standby: {}", i.id);
            activities.push(activity(ctx, tx, &group, description, cause, ready)?);
        }
        groups::save(tx, ctx.owner, &group)?;
        groups::reconcile(
            ctx,
            tx,
            &group,
            "a user request moved instances out of standby",
        )?;
        Ok(ExitStandbyOutput {
            activities: Some(activities),
        })
    }
}

/// `DetachInstances`: instances leave the group (and keep running, outside any group, so they can
/// be attached again); without decrementing, the group launches replacements.
impl Handle for DetachInstancesInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DetachInstancesOutput, ApiError> {
        let mut group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let ids = self.instance_ids.unwrap_or_default();
        let found = members(ctx, tx, &group.name, &ids)?;
        let before = group.desired;
        // Standby instances are outside the capacity already.
        let counted = found.iter().filter(|i| i.state != "Standby").count();
        if self.should_decrement_desired_capacity {
            let count = i64::try_from(counted).unwrap_or(i64::MAX);
            decrement(&mut group, count, "Detaching instance")?;
        }
        let when = timestamp(ctx.now);
        let mut activities = Vec::with_capacity(found.len());
        let mut n = 0;
        for i in &found {
            // An instance a launch hook held leaves the wait with the group (its actions end,
            // its launch activity with them).
            hooks::drop_actions(tx, ctx.owner, &i.id)?;
            lifecycle::settle_activity(tx, ctx.owner, &group.name, &i.id, ctx.now)?;
            tx.execute_cached(
                "UPDATE instances SET group_name = '', standby = 0, hook_phase = NULL \
                 WHERE owner = ?1 AND id = ?2",
                params![ctx.owner, i.id],
            )?;
            let mut cause = format!(
                "At {when} instance {} was detached in response to a user request",
                i.id
            );
            if self.should_decrement_desired_capacity && i.state != "Standby" {
                let from = before - n;
                cause.push_str(&format!(
                    ", shrinking the capacity from {from} to {}",
                    from - 1
                ));
                n += 1;
            }
            cause.push('.');
            let description = format!("Detaching EC2 instance: {}", i.id);
            activities.push(activity(ctx, tx, &group, description, cause, ctx.now)?);
        }
        groups::save(tx, ctx.owner, &group)?;
        groups::reconcile(
            ctx,
            tx,
            &group,
            "a user request detached instances without decrementing the desired capacity",
        )?;
        Ok(DetachInstancesOutput {
            activities: Some(activities),
        })
    }
}

/// `AttachInstances`: running instances outside any group (here: ones detached before) join the
/// group, raising its desired capacity by their number; refused, as AWS refuses it, when that
/// would exceed MaxSize.
impl Handle for AttachInstancesInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let mut group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let ids = self.instance_ids.unwrap_or_default();
        lifecycle::sweep(tx, ctx.now)?;
        for (n, id) in ids.iter().enumerate() {
            if ids[..n].contains(id) {
                return Err(ApiError::validation(format!(
                    "The instance ID {} is given more than once.",
                    shorten(id)
                )));
            }
            let owner_group: Option<String> = tx
                .query_row_cached(
                    "SELECT group_name FROM instances WHERE owner = ?1 AND id = ?2 \
                     AND terminating_ms IS NULL",
                    params![ctx.owner, id],
                    |r| r.get(0),
                )
                .optional()?;
            match owner_group.as_deref() {
                None => {
                    return Err(ApiError::validation(format!(
                        "Invalid Instance ID(s): [{}] specified: no such running instance.",
                        shorten(id)
                    )));
                }
                Some("") => {}
                Some(other) => {
                    return Err(ApiError::validation(format!(
                        "The instance {} is already part of Auto Scaling group {}.",
                        shorten(id),
                        shorten(other)
                    )));
                }
            }
        }
        let count = i64::try_from(ids.len()).unwrap_or(i64::MAX);
        if group.desired + count > group.max {
            return Err(ApiError::validation(format!(
                "AutoScalingGroup: {} has min-size={}, max-size={}, and desired-size={}. To \
                 attach {count} instance(s), please update the AutoScalingGroup sizes \
                 appropriately.",
                shorten(&group.name),
                group.min,
                group.max,
                group.desired
            )));
        }
        groups::check_limit(group.desired + count)?;
        let before = group.desired;
        group.desired += count;
        let when = timestamp(ctx.now);
        for (n, id) in ids.iter().enumerate() {
            tx.execute_cached(
                "UPDATE instances SET group_name = ?3, standby = 0, health = 'Healthy' \
                 WHERE owner = ?1 AND id = ?2",
                params![ctx.owner, id, group.name],
            )?;
            let from = before + i64::try_from(n).unwrap_or(0);
            let cause = format!(
                "At {when} instance {id} was attached in response to a user request, increasing \
                 the capacity from {from} to {}.",
                from + 1
            );
            activity(
                ctx,
                tx,
                &group,
                format!("Attaching an existing EC2 instance: {id}"),
                cause,
                ctx.now,
            )?;
        }
        groups::save(tx, ctx.owner, &group)?;
        groups::reconcile(ctx, tx, &group, "a user request attached instances")?;
        Ok(NoOutput {})
    }
}

/// `DescribeTerminationPolicyTypes`: the policies scale-in can order by.
impl Handle for DescribeTerminationPolicyTypesInput {
    fn handle(
        self,
        _ctx: &Ctx<'_>,
        _tx: &Transaction<'_>,
    ) -> Result<DescribeTerminationPolicyTypesOutput, ApiError> {
        Ok(DescribeTerminationPolicyTypesOutput {
            termination_policy_types: Some(
                lifecycle::TERMINATION_POLICIES
                    .iter()
                    .map(|p| p.to_string())
                    .collect(),
            ),
        })
    }
}
