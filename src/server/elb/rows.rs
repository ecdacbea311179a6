//! The Elastic Load Balancing rows: ELBv2 load balancers, target groups, listeners and the
//! targets registered by hand; classic load balancers and their hand-registered instances. Each
//! row is tagged with its owner (the access key) and keeps the API shape itself as JSON (`doc`),
//! so what goes in is what comes out; the columns beside it are what lookups and rules need.
//!
//! Why the group side is not stored here: a group's instances are targets of its target groups
//! (and instances of its classic load balancers) because the group names them (the attachment
//! rows of `crate::server::rows::attachments`), so target health reads them from the instance
//! rows at the request's time ([`group_targets`]): an instance is registered once it is launched
//! (`initial` while `Pending`, then `healthy`, or `unhealthy` when its health is `Unhealthy`),
//! `draining` while it is `Terminating` (the lifecycle keeps a terminating instance of a group with
//! target groups until their deregistration delay has passed: [`drain_ms`]), and unregistered once
//! gone. Instances launched while `AddToLoadBalancer` was suspended, and instances in standby,
//! are not registered, as on AWS.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::elb::v2::types as v2;
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::{instance_state, new_instance_id};
use crate::server::ops::Ctx;
use crate::server::store::Cached;

/// The tables of both slices.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS elbv2_load_balancers (
    owner TEXT NOT NULL,
    arn TEXT NOT NULL,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (owner, arn),
    UNIQUE (owner, name)
);
CREATE TABLE IF NOT EXISTS elbv2_target_groups (
    owner TEXT NOT NULL,
    arn TEXT NOT NULL,
    name TEXT NOT NULL,
    deregistration_delay_s INTEGER NOT NULL DEFAULT 300,
    doc TEXT NOT NULL,
    PRIMARY KEY (owner, arn),
    UNIQUE (owner, name)
);
CREATE TABLE IF NOT EXISTS elbv2_listeners (
    owner TEXT NOT NULL,
    arn TEXT NOT NULL,
    lb_arn TEXT NOT NULL,
    port INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (owner, arn)
);
CREATE TABLE IF NOT EXISTS elbv2_targets (
    owner TEXT NOT NULL,
    tg_arn TEXT NOT NULL,
    id TEXT NOT NULL,
    port INTEGER NOT NULL,
    registered_ms INTEGER NOT NULL,
    deregistered_ms INTEGER,
    PRIMARY KEY (owner, tg_arn, id, port)
);
CREATE TABLE IF NOT EXISTS elb_load_balancers (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (owner, name)
);
CREATE TABLE IF NOT EXISTS elb_instances (
    owner TEXT NOT NULL,
    lb_name TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    PRIMARY KEY (owner, lb_name, instance_id)
);
";

/// A target group's default deregistration delay (AWS's `deregistration_delay.timeout_seconds`).
pub const DEFAULT_DEREGISTRATION_DELAY_S: i64 = 300;

/// A new 16-hex-digit id, as ELBv2 ends its ARNs.
pub fn new_hex16() -> String {
    new_instance_id()[2..18].to_string()
}

/// `arn:aws:elasticloadbalancing:REGION:ACCOUNT:RESOURCE` in this endpoint's region and account.
pub fn arn(ctx: &Ctx<'_>, resource: &str) -> String {
    let partition = if ctx.settings.region.starts_with("cn-") {
        "aws-cn"
    } else {
        "aws"
    };
    format!(
        "arn:{partition}:elasticloadbalancing:{}:{}:{resource}",
        ctx.settings.region, ctx.settings.account_id
    )
}

/// Whether `name` is a load balancer or target group name: 1-32 letters, digits and hyphens, not
/// starting or ending with a hyphen (Elastic Load Balancing's rule for both).
pub fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// The owner's rows of `table` (`doc` of each), in name or ARN order as the query says.
pub fn docs<T: DeserializeOwned>(
    tx: &Transaction<'_>,
    sql: &str,
    owner: &str,
) -> Result<Vec<T>, ApiError> {
    let mut stmt = tx.prepare_cached(sql)?;
    let docs = stmt
        .query_map(params![owner], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    docs.iter()
        .map(|d| serde_json::from_str(d).map_err(ApiError::from))
        .collect()
}

/// The JSON of a shape, for a `doc` column.
pub fn doc<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(ApiError::from)
}

/// The owner's ELBv2 load balancers, by name.
pub fn load_balancers(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
) -> Result<Vec<v2::LoadBalancer>, ApiError> {
    docs(
        tx,
        "SELECT doc FROM elbv2_load_balancers WHERE owner = ?1 ORDER BY name",
        ctx.owner,
    )
}

/// The owner's target groups, by name.
pub fn target_groups(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
) -> Result<Vec<v2::TargetGroup>, ApiError> {
    let mut groups: Vec<v2::TargetGroup> = docs(
        tx,
        "SELECT doc FROM elbv2_target_groups WHERE owner = ?1 ORDER BY name",
        ctx.owner,
    )?;
    let listeners = listeners(ctx, tx)?;
    for g in &mut groups {
        let arn = g.target_group_arn.as_deref().unwrap_or("");
        let mut lbs: Vec<String> = listeners
            .iter()
            .filter(|l| forwarded_groups(l).iter().any(|t| t == arn))
            .filter_map(|l| l.load_balancer_arn.clone())
            .collect();
        lbs.sort();
        lbs.dedup();
        g.load_balancer_arns = Some(lbs);
    }
    Ok(groups)
}

/// The owner's target group of `arn`, if any.
pub fn target_group(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    arn: &str,
) -> Result<Option<v2::TargetGroup>, ApiError> {
    Ok(target_groups(ctx, tx)?
        .into_iter()
        .find(|g| g.target_group_arn.as_deref() == Some(arn)))
}

/// The owner's listeners, by load balancer and port.
pub fn listeners(ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Vec<v2::Listener>, ApiError> {
    docs(
        tx,
        "SELECT doc FROM elbv2_listeners WHERE owner = ?1 ORDER BY lb_arn, port",
        ctx.owner,
    )
}

/// The target groups a listener's default actions forward to (`TargetGroupArn`, or the
/// `ForwardConfig`'s groups).
pub fn forwarded_groups(listener: &v2::Listener) -> Vec<String> {
    let mut arns = Vec::new();
    for action in listener.default_actions.iter().flatten() {
        arns.extend(action.target_group_arn.clone());
        if let Some(config) = &action.forward_config {
            arns.extend(
                config
                    .target_groups
                    .iter()
                    .flatten()
                    .filter_map(|t| t.target_group_arn.clone()),
            );
        }
    }
    arns.sort();
    arns.dedup();
    arns
}

/// Whether the owner has a classic load balancer named `name`.
pub fn classic_exists(ctx: &Ctx<'_>, tx: &Transaction<'_>, name: &str) -> Result<bool, ApiError> {
    Ok(tx
        .query_row_cached(
            "SELECT 1 FROM elb_load_balancers WHERE owner = ?1 AND name = ?2",
            params![ctx.owner, name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Whether the owner has a target group of `arn`.
pub fn target_group_exists(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    arn: &str,
) -> Result<bool, ApiError> {
    Ok(tx
        .query_row_cached(
            "SELECT 1 FROM elbv2_target_groups WHERE owner = ?1 AND arn = ?2",
            params![ctx.owner, arn],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The groups that have `source` (`elb` name or `elbv2` ARN) attached and not yet removed.
pub fn groups_of(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    kind: &str,
    identifier: &str,
) -> Result<Vec<String>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT group_name FROM attachments WHERE owner = ?1 AND kind = ?2 AND identifier = ?3 \
         AND detached_ms IS NULL ORDER BY group_name",
    )?;
    let names = stmt
        .query_map(params![ctx.owner, kind, identifier], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(names)
}

/// One of a group's instances as a load balancer sees it at the request's time.
#[derive(Debug, Clone)]
pub struct GroupTarget {
    /// The instance id.
    pub id: String,
    /// Its zone.
    pub zone: String,
    /// `initial`, `healthy`, `unhealthy` or `draining` (ELBv2's states).
    pub state: &'static str,
}

/// The instances the groups attached to `kind`/`identifier` have registered with it (module
/// docs), by id.
pub fn group_targets(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    kind: &str,
    identifier: &str,
) -> Result<Vec<GroupTarget>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT i.id, i.zone, i.launched_ms, i.ready_ms, i.terminating_ms, i.gone_ms, \
         i.hook_phase, i.health, i.standby, a.attached_ms, \
         EXISTS (SELECT 1 FROM lb_pauses p WHERE p.owner = i.owner \
                 AND p.group_name = i.group_name AND i.launched_ms >= p.from_ms \
                 AND (p.to_ms IS NULL OR i.launched_ms < p.to_ms)) \
         FROM attachments a JOIN instances i ON i.owner = a.owner AND i.group_name = a.group_name \
         WHERE a.owner = ?1 AND a.kind = ?2 AND a.identifier = ?3 AND a.detached_ms IS NULL \
         ORDER BY i.id",
    )?;
    let rows = stmt
        .query_map(params![ctx.owner, kind, identifier], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, bool>(8)?,
                r.get::<_, bool>(10)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut targets = Vec::new();
    for (id, zone, ready, terminating, gone, phase, health, standby, paused) in rows {
        if standby || paused {
            continue;
        }
        let Some(state) = instance_state(ctx.now, ready, terminating, gone, phase.as_deref())
        else {
            continue;
        };
        let state = if state.starts_with("Terminating") {
            "draining"
        } else if state.starts_with("Pending") {
            "initial"
        } else if health != "Healthy" {
            "unhealthy"
        } else {
            "healthy"
        };
        targets.push(GroupTarget { id, zone, state });
    }
    Ok(targets)
}

/// How long a terminating instance of `group` stays registered (draining) before it is gone: the
/// longest deregistration delay of the group's target groups, scaled by the endpoint's timeout
/// scale (`phantom serve --hook-timeout-scale`, the testing aid that shortens AWS's timeouts),
/// in milliseconds; 0 when the group has no target groups.
pub fn drain_ms(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
    scale: f64,
) -> Result<i64, ApiError> {
    let seconds: Option<i64> = tx.query_row_cached(
        "SELECT MAX(t.deregistration_delay_s) FROM attachments a JOIN elbv2_target_groups t \
         ON t.owner = a.owner AND t.arn = a.identifier \
         WHERE a.owner = ?1 AND a.group_name = ?2 AND a.kind = 'elbv2' AND a.detached_ms IS NULL",
        params![owner, group],
        |r| r.get(0),
    )?;
    let ms = (seconds.unwrap_or(0).max(0) as f64) * 1000.0 * scale;
    Ok(if ms.is_finite() { ms as i64 } else { 0 })
}

/// An owner's instance as a target: its zone and VPC (an instance without an EC2 side, one of a
/// launch configuration group without subnets, is in the owner's default VPC), if it exists and
/// is not gone.
pub fn instance_place(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    id: &str,
) -> Result<Option<(String, String)>, ApiError> {
    let row: Option<(String, Option<String>, Option<i64>)> = tx
        .query_row_cached(
            "SELECT i.zone, e.vpc_id, i.gone_ms FROM instances i \
             LEFT JOIN ec2_instances e ON e.id = i.id WHERE i.owner = ?1 AND i.id = ?2",
            params![ctx.owner, id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((zone, vpc, gone)) = row else {
        return Ok(None);
    };
    if gone.is_some_and(|g| ctx.now >= g) {
        return Ok(None);
    }
    let vpc = match vpc {
        Some(v) => v,
        None => tx.query_row_cached(
            "SELECT default_vpc FROM ec2_owners WHERE owner = ?1",
            params![ctx.owner],
            |r| r.get(0),
        )?,
    };
    Ok(Some((zone, vpc)))
}

/// ELB's `LoadBalancerNotFound` (ELBv2's text).
pub fn load_balancer_not_found() -> ApiError {
    ApiError::with_status(
        400,
        "LoadBalancerNotFound",
        "One or more load balancers not found",
    )
}

/// ELBv2's `TargetGroupNotFound`.
pub fn target_group_not_found() -> ApiError {
    ApiError::with_status(
        400,
        "TargetGroupNotFound",
        "One or more target groups not found",
    )
}

/// ELBv2's `ListenerNotFound`.
pub fn listener_not_found() -> ApiError {
    ApiError::with_status(400, "ListenerNotFound", "One or more listeners not found")
}

/// A `ValidationError` naming a value that is not one of `allowed`.
pub fn not_one_of(member: &str, value: &str, allowed: &[&str]) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value '{}' at '{member}' failed to satisfy constraint: \
         Member must satisfy enum value set: [{}]",
        shorten(value),
        allowed.join(", ")
    ))
}

/// Checks a port is 1..=65535 (`member` names it in the refusal).
pub fn check_port(member: &str, port: i32) -> Result<(), ApiError> {
    if (1..=65535).contains(&port) {
        Ok(())
    } else {
        Err(ApiError::validation(format!(
            "1 validation error detected: Value '{port}' at '{member}' failed to satisfy \
             constraint: Member must have value less than or equal to 65535 and greater than or \
             equal to 1"
        )))
    }
}
