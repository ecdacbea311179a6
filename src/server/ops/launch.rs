//! LaunchInstances: instances launched into a group now, answered with their ids, idempotent by
//! client token.
//!
//! Rules (AWS API reference, LaunchInstances; user guide, "Launch instances synchronously"):
//! - `ClientToken`: the same token with the same request answers the reply the first call got
//!   (nothing more is launched); the same token with a different request is refused with the
//!   model's `IdempotentParameterMismatch`. Tokens are kept per key (the `launch_tokens` table,
//!   so a state file keeps them) until their group is deleted.
//! - The zone: `AvailabilityZones` or `AvailabilityZoneIds` (not both; at most one, the model's
//!   limit) must be one of the group's zones; a group in more than one zone needs one (or
//!   `SubnetIds`), a group in one zone launches there. Zone ids are not defined here: an id is
//!   read as the zone's name. `SubnetIds` must be subnets of the group's `VPCZoneIdentifier`.
//! - `RequestedCapacity` (at least 1, the model's range): at most 100 instances per launch, as
//!   AWS documents; capacity past that is reported in `Errors`, not launched. The launched
//!   instances raise the desired capacity by their number, which must stay within MaxSize
//!   (refused otherwise, as AttachInstances words it); each launch is an activity.
//! - Partial results: with the group's `Launch` process suspended nothing launches and the whole
//!   capacity is reported in `Errors`; with `RetryStrategy=retry-with-group-configuration` the
//!   desired capacity is raised anyway, so the group launches them once `Launch` is resumed (AWS:
//!   "increase desired capacity and retry with group configuration"); with `none` (the default)
//!   it is left as it was.
//!
//! Deviation: AWS serves LaunchInstances only for groups with a launch template; this endpoint's
//! groups launch from launch configurations, and LaunchInstances serves them. The error codes in
//! `Errors` (`InstanceCountLimitExceeded`, `LaunchSuspended`) and the texts not quoted above are
//! ours.

use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::types::{
    InstanceCollection, LaunchInstancesError, LaunchInstancesInput, LaunchInstancesOutput,
};
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::{Ctx, Handle};
use crate::server::rows::groups::{self, check_limit, is_suspended};
use crate::server::rows::launch_configurations;
use crate::server::store::Cached;

/// The most instances one LaunchInstances call launches (AWS's limit).
const MAX_PER_LAUNCH: i64 = 100;

/// The error entry for capacity that was not launched.
fn not_launched(
    zone: &str,
    subnet: Option<&str>,
    code: &str,
    message: String,
) -> LaunchInstancesError {
    LaunchInstancesError {
        availability_zone: Some(zone.to_string()),
        subnet_id: subnet.map(str::to_string),
        market_type: Some("on-demand".to_string()),
        error_code: Some(code.to_string()),
        error_message: Some(message),
        ..Default::default()
    }
}

/// `LaunchInstances`.
impl Handle for LaunchInstancesInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<LaunchInstancesOutput, ApiError> {
        let request = serde_json::to_string(&self)?;
        let earlier: Option<(String, String)> = tx
            .query_row_cached(
                "SELECT request, reply FROM launch_tokens WHERE owner = ?1 AND token = ?2",
                params![ctx.owner, self.client_token],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((earlier_request, reply)) = earlier {
            if earlier_request == request {
                return Ok(serde_json::from_str(&reply)?);
            }
            return Err(ApiError::with_status(
                400,
                "IdempotentParameterMismatch",
                format!(
                    "The client token {} was already used with a different request.",
                    shorten(&self.client_token)
                ),
            ));
        }
        let mut group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let zones_given = self.availability_zones.as_deref().filter(|z| !z.is_empty());
        let ids_given = self
            .availability_zone_ids
            .as_deref()
            .filter(|z| !z.is_empty());
        if zones_given.is_some() && ids_given.is_some() {
            return Err(ApiError::validation(
                "You cannot specify both AvailabilityZones and AvailabilityZoneIds.",
            ));
        }
        let subnet = self
            .subnet_ids
            .as_deref()
            .and_then(|s| s.first())
            .map(String::as_str);
        if let Some(subnet) = subnet {
            let known = group.doc.vpc_zone_identifier.as_deref().unwrap_or("");
            if !known.split(',').map(str::trim).any(|s| s == subnet) {
                return Err(ApiError::validation(format!(
                    "The subnet {} is not one of the AutoScalingGroup's subnets (VPCZoneIdentifier).",
                    shorten(subnet)
                )));
            }
        }
        let group_zones = group
            .doc
            .availability_zones
            .clone()
            .filter(|z| !z.is_empty())
            .unwrap_or_else(|| vec![group.site.clone()]);
        let zone = match zones_given.or(ids_given).and_then(|z| z.first()) {
            Some(asked) if group_zones.contains(asked) => asked.clone(),
            Some(asked) => {
                return Err(ApiError::validation(format!(
                    "The Availability Zone {} is not one of the AutoScalingGroup's Availability \
                     Zones ({}).",
                    shorten(asked),
                    group_zones.join(", ")
                )));
            }
            None if group_zones.len() > 1 && subnet.is_none() => {
                return Err(ApiError::validation(
                    "Either AvailabilityZones or SubnetIds must be specified for a group in more \
                     than one Availability Zone.",
                ));
            }
            None => group.site.clone(),
        };
        let requested = i64::from(self.requested_capacity);
        let count = requested.min(MAX_PER_LAUNCH);
        let mut errors = Vec::new();
        if requested > count {
            errors.push(not_launched(
                &zone,
                subnet,
                "InstanceCountLimitExceeded",
                format!(
                    "At most {MAX_PER_LAUNCH} instances are launched per request: {} were not \
                     launched.",
                    requested - count
                ),
            ));
        }
        let before = group.desired;
        if before + count > group.max {
            return Err(ApiError::validation(format!(
                "AutoScalingGroup: {} has min-size={}, max-size={}, and desired-size={before}. \
                 To launch {count} instance(s), please update the AutoScalingGroup sizes \
                 appropriately.",
                group.name, group.min, group.max
            )));
        }
        let suspended = is_suspended(&group.doc, "Launch");
        let retry = self.retry_strategy.as_deref() == Some("retry-with-group-configuration");
        let mut instances = Vec::new();
        if suspended {
            errors.push(not_launched(
                &zone,
                subnet,
                "LaunchSuspended",
                format!(
                    "The Launch process is suspended for AutoScalingGroup {}: {count} instance(s) \
                     were not launched.",
                    group.name
                ),
            ));
        }
        if !suspended || retry {
            let desired = before + count;
            check_limit(desired)?;
            group.desired = desired;
            groups::save(tx, ctx.owner, &group)?;
            // New instances go to the zone asked for (the row's zone is left as it was).
            let mut placed = groups::require(tx, ctx.owner, &group.name)?;
            placed.site = zone.clone();
            let existing: Vec<String> = ids_of(tx, ctx.owner, &group.name)?;
            groups::reconcile(
                ctx,
                tx,
                &placed,
                &format!(
                    "a user request launched {count} instance(s) with LaunchInstances changing \
                     the desired capacity from {before} to {desired}"
                ),
            )?;
            let launched: Vec<String> = ids_of(tx, ctx.owner, &group.name)?
                .into_iter()
                .filter(|id| !existing.contains(id))
                .collect();
            if !launched.is_empty() {
                let instance_type = launch_configurations::load(tx, ctx.owner, &group.lc_ref)?
                    .and_then(|lc| lc.instance_type);
                instances.push(InstanceCollection {
                    instance_type,
                    market_type: Some("on-demand".to_string()),
                    subnet_id: subnet.map(str::to_string),
                    availability_zone: Some(zone.clone()),
                    instance_ids: Some(launched),
                    ..Default::default()
                });
            }
        }
        let reply = LaunchInstancesOutput {
            auto_scaling_group_name: Some(group.name.clone()),
            client_token: Some(self.client_token.clone()),
            instances: Some(instances),
            errors: Some(errors),
        };
        tx.execute_cached(
            "INSERT INTO launch_tokens (owner, token, group_name, request, reply) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                ctx.owner,
                self.client_token,
                group.name,
                request,
                serde_json::to_string(&reply)?
            ],
        )?;
        Ok(reply)
    }
}

/// The ids of a group's instances that are not terminating.
fn ids_of(tx: &Transaction<'_>, owner: &str, group: &str) -> Result<Vec<String>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT id FROM instances WHERE owner = ?1 AND group_name = ?2 \
         AND terminating_ms IS NULL ORDER BY launched_ms, id",
    )?;
    let ids = stmt
        .query_map(params![owner, group], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}
