//! DescribeAutoScalingInstances and TerminateInstanceInAutoScalingGroup.
//!
//! Instances are rows the lifecycle creates; here they are listed (state evaluated at the
//! request's time, gone ones left out) and terminated on request. Terminating without decrementing
//! lets the group launch a replacement in the same transaction; decrementing lowers the desired
//! capacity, which may not go below MinSize (`ValidationError`, as AWS says).

use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::types::{
    AutoScalingInstanceDetails, DescribeAutoScalingInstancesInput,
    DescribeAutoScalingInstancesOutput, TerminateInstanceInAutoScalingGroupInput,
    TerminateInstanceInAutoScalingGroupOutput,
};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::{self, GroupFacts, activity_shape, timestamp};
use crate::server::ops::{Ctx, Handle};
use crate::server::paginate::{PageRequest, check_names};
use crate::server::rows::groups;
use crate::server::rows::instances::live_instances;
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
                    health_status: Some("Healthy".to_string()),
                    launch_configuration_name: Some(i.lc),
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
                 AND terminating_ms IS NULL",
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
        if input.should_decrement_desired_capacity {
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
        let arn = group.doc.auto_scaling_group_arn.clone().unwrap_or_default();
        let facts = GroupFacts {
            owner: ctx.owner,
            name: &group.name,
            arn: &arn,
            lc_name: &group.lc_ref,
            instance_type: "",
            image_id: "",
            zone: &group.site,
            desired: group.desired,
            protect: group
                .doc
                .new_instances_protected_from_scale_in
                .unwrap_or(false),
        };
        let timing = &ctx.settings.timing;
        let when = timestamp(ctx.now);
        let end = ctx.now + timing.terminate_delay_ms;
        let mut activities = Vec::with_capacity(ids.len());
        for (n, id) in ids.iter().enumerate() {
            lifecycle::terminate(tx, timing, &facts, id, ctx.now)?;
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
