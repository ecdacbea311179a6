//! Warm pools: a group's pool of instances launched ahead of need (PutWarmPool), the states they
//! pass through, and how the lifecycle feeds scale-outs from the pool and returns instances to it.
//!
//! Rows: `warm_pools` (one per group: the `WarmPoolConfiguration` JSON as the caller left it,
//! `deleting_ms` once DeleteWarmPool began, `done_ms` when that deletion completes: the engine's
//! deadline, indexed) and `warm_instances` (the pool's instances; their EC2 side stays in
//! `ec2_instances`, so an instance keeps its subnet and address as it moves). A pool instance is
//! never in `instances`: every query of a group's instances (capacity, scale-in, rebalancing,
//! load balancer registration) leaves the pool out without knowing of it, as AWS's do (a group's
//! `Instances` do not list its warm pool).
//!
//! States are lazy, as for group instances (`crate::server::lifecycle`): a pool instance is
//! `Warmed:Pending` until `ready_ms`, then `Warmed:Stopped` / `Warmed:Running` /
//! `Warmed:Hibernated` (the pool's `PoolState`); `Warmed:Terminating` from `terminating_ms` until
//! `gone_ms`, then gone. A launch hook (`autoscaling:EC2_INSTANCE_LAUNCHING`) holds an instance
//! entering the pool at `Warmed:Pending:Wait`, then `Warmed:Pending:Proceed`; a termination hook
//! holds one leaving it at `Warmed:Terminating:Wait`, then `Warmed:Terminating:Proceed` (the
//! stored `hook_phase`; the hooks' own rows and timers end the waits, through [`end_wait`]).
//!
//! Capacity is eager: the lifecycle's reconcile takes warmed instances first on scale-out
//! ([`take`]: they leave the pool as `Pending`, held at `Pending:Wait` by launch hooks as AWS
//! documents), returns scale-in victims to the pool when the reuse policy says so ([`reuse`]), and
//! keeps the pool at its size ([`maintain`]: launches into it, or ends the oldest above it). The
//! size is AWS's: `max(MinSize, P - desired)`, `P` the MaxGroupPreparedCapacity or, unset, the
//! group's MaxSize ([`target_size`]). A deletion without ForceDelete ends every instance (through
//! termination hooks) and shows `PendingDelete` until the last is gone (`done_ms`, acted on by
//! the engine through [`run_due`] and [`earliest`]); ForceDelete drops the pool, its instances
//! and their lifecycle actions at once.

use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::types::{
    AutoScalingGroup, InstanceReusePolicy, LaunchTemplateSpecification, WarmPoolConfiguration,
};
use crate::server::ec2::rows as ec2_rows;
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::{self, GroupFacts, HELD, timestamp};
use crate::server::ops::{Ctx, Settings};
use crate::server::rows::groups::{self, GroupRow, MAX_DESIRED_CAPACITY};
use crate::server::rows::hooks::{self, ActionRow};
use crate::server::rows::launch_configurations;
use crate::server::store::Cached;

/// The activity of a launch into the pool (AWS's wording).
pub const INTO_POOL: &str = "Launching a new EC2 instance into warm pool: ";
/// The activity of an instance leaving the pool for the group (AWS's wording;
/// `lifecycle::settle_activity` knows it, since such an instance waits as a group instance).
pub const FROM_POOL: &str = "Launching a new EC2 instance from warm pool: ";
/// The activity of a scale-in victim returned to the pool (our wording).
pub const BACK_TO_POOL: &str = "Returning EC2 instance to warm pool: ";
/// The activity of a pool instance terminated (our wording).
pub const OUT_OF_POOL: &str = "Terminating EC2 instance in warm pool: ";

/// The pool states of the model's `WarmPoolState`; the first is the default.
pub const POOL_STATES: &[&str] = &["Stopped", "Running", "Hibernated"];

/// A group's warm pool as stored.
pub struct Pool {
    /// The configuration as Put left it (MinSize, MaxGroupPreparedCapacity, PoolState,
    /// InstanceReusePolicy; never Status).
    pub config: WarmPoolConfiguration,
    /// When DeleteWarmPool began, if it did (the pool is then `PendingDelete`).
    pub deleting_ms: Option<i64>,
}

impl Pool {
    /// Whether scale-in returns instances to this pool (`InstanceReusePolicy.ReuseOnScaleIn`).
    fn reuses(&self) -> bool {
        self.config
            .instance_reuse_policy
            .as_ref()
            .and_then(|p| p.reuse_on_scale_in)
            .unwrap_or(false)
    }

    /// The configuration as Describe shows it (Status `PendingDelete` while deleting).
    pub fn shown(&self) -> WarmPoolConfiguration {
        let mut c = self.config.clone();
        c.status = self.deleting_ms.map(|_| "PendingDelete".to_string());
        c
    }
}

/// The state warmed instances of a pool with `config` wait in.
fn warmed_state(config: &WarmPoolConfiguration) -> &'static str {
    match config.pool_state.as_deref() {
        Some("Running") => "Warmed:Running",
        Some("Hibernated") => "Warmed:Hibernated",
        _ => "Warmed:Stopped",
    }
}

/// The group's pool at `now`, if it has one (a deletion completed by `now` counts as gone, even
/// before the engine removes the row).
pub fn load(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
    now: i64,
) -> Result<Option<Pool>, ApiError> {
    let row: Option<(String, Option<i64>, Option<i64>)> = tx
        .query_row_cached(
            "SELECT doc, deleting_ms, done_ms FROM warm_pools WHERE owner = ?1 AND group_name = ?2",
            params![owner, group],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match row {
        Some((_, _, Some(done))) if done <= now => Ok(None),
        Some((doc, deleting_ms, _)) => Ok(Some(Pool {
            config: serde_json::from_str(&doc)?,
            deleting_ms,
        })),
        None => Ok(None),
    }
}

/// The error for a group without a warm pool (AWS's text was not found; this one names the group).
pub fn not_found(group: &str) -> ApiError {
    ApiError::validation(format!(
        "No warm pool found for AutoScalingGroup {}",
        shorten(group)
    ))
}

/// The size AWS keeps the pool at: `max(MinSize, P - desired)`, where `P` is the
/// MaxGroupPreparedCapacity or, when it is unset (or -1), the group's MaxSize; never below 0
/// nor above the endpoint's per-group limit.
pub fn target_size(config: &WarmPoolConfiguration, desired: i64, max_size: i64) -> i64 {
    let prepared = match config.max_group_prepared_capacity {
        Some(n) if n >= 0 => i64::from(n),
        _ => max_size,
    };
    let min = i64::from(config.min_size.unwrap_or(0).max(0));
    min.max(prepared.saturating_sub(desired))
        .clamp(0, MAX_DESIRED_CAPACITY)
}

/// What a PutWarmPool gives.
pub struct PutInput {
    /// MinSize.
    pub min_size: Option<i32>,
    /// MaxGroupPreparedCapacity (-1 clears it).
    pub max_group_prepared_capacity: Option<i32>,
    /// PoolState.
    pub pool_state: Option<String>,
    /// InstanceReusePolicy.
    pub instance_reuse_policy: Option<InstanceReusePolicy>,
}

/// Creates the group's pool or updates it (members not given keep their values; -1 clears
/// MaxGroupPreparedCapacity, as the reference says), after AWS's rules: not while a deletion is
/// pending (`ResourceContention`), not for a group that requests Spot Instances. The caller
/// reconciles the group, which fills the pool.
pub fn put(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    input: PutInput,
) -> Result<(), ApiError> {
    let existing = load(tx, ctx.owner, &group.name, ctx.now)?;
    if existing.as_ref().is_some_and(|p| p.deleting_ms.is_some()) {
        return Err(ApiError::with_status(
            400,
            "ResourceContention",
            format!(
                "The warm pool of AutoScalingGroup {} is being deleted; try again when it is gone.",
                shorten(&group.name)
            ),
        ));
    }
    if requests_spot(ctx, tx, group)? {
        return Err(ApiError::validation(format!(
            "A warm pool cannot be added to AutoScalingGroup {}: it requests Spot Instances.",
            shorten(&group.name)
        )));
    }
    if let Some(state) = input
        .pool_state
        .as_ref()
        .filter(|s| !POOL_STATES.contains(&s.as_str()))
    {
        return Err(ApiError::validation(format!(
            "Invalid value for PoolState: {}. Valid values are Stopped, Running and Hibernated.",
            shorten(state)
        )));
    }
    let mut config = existing
        .map(|p| p.config)
        .unwrap_or_else(|| WarmPoolConfiguration {
            min_size: Some(0),
            pool_state: Some(POOL_STATES[0].to_string()),
            ..Default::default()
        });
    if let Some(n) = input.min_size {
        config.min_size = Some(n);
    }
    match input.max_group_prepared_capacity {
        Some(-1) => config.max_group_prepared_capacity = None,
        Some(n) => config.max_group_prepared_capacity = Some(n),
        None => {}
    }
    if input.pool_state.is_some() {
        config.pool_state = input.pool_state;
    }
    if input.instance_reuse_policy.is_some() {
        config.instance_reuse_policy = input.instance_reuse_policy;
    }
    config.status = None;
    tx.execute_cached(
        "INSERT OR REPLACE INTO warm_pools (owner, group_name, doc, deleting_ms, done_ms) \
         VALUES (?1, ?2, ?3, NULL, NULL)",
        params![ctx.owner, group.name, serde_json::to_string(&config)?],
    )?;
    Ok(())
}

/// Whether the group launches Spot Instances, which AWS refuses a warm pool: a mixed instances
/// policy with an On-Demand percentage above its base below 100, a launch configuration with a
/// SpotPrice, or a launch template whose market type is `spot`.
fn requests_spot(ctx: &Ctx<'_>, tx: &Transaction<'_>, group: &GroupRow) -> Result<bool, ApiError> {
    let doc = &group.doc;
    let mixed_spot = doc
        .mixed_instances_policy
        .as_ref()
        .and_then(|m| m.instances_distribution.as_ref())
        .and_then(|d| d.on_demand_percentage_above_base_capacity)
        .is_some_and(|p| p < 100);
    if mixed_spot {
        return Ok(true);
    }
    if !group.lc_ref.is_empty() {
        let lc = launch_configurations::load(tx, ctx.owner, &group.lc_ref)?;
        return Ok(lc.is_some_and(|lc| lc.spot_price.is_some()));
    }
    let Some(spec) = groups::template_spec(doc) else {
        return Ok(false);
    };
    let (_, version) = ec2_rows::resolve_group_template(tx, ctx.owner, spec)?;
    Ok(version
        .launch_template_data
        .and_then(|d| d.instance_market_options)
        .and_then(|m| m.market_type)
        .is_some_and(|t| t.eq_ignore_ascii_case("spot")))
}

/// A pool instance that still exists at the request's time, with its state then.
pub struct PoolInstance {
    /// `i-...`.
    pub id: String,
    /// Its group.
    pub group: String,
    /// Instance type.
    pub instance_type: String,
    /// Availability zone.
    pub zone: String,
    /// Launch configuration name (`""`: a template).
    pub lc: String,
    /// Image id.
    pub image: String,
    /// `Warmed:*`.
    pub state: &'static str,
    /// `Healthy` or `Unhealthy`.
    pub health: String,
    /// The launch template version it was launched from, if any.
    pub template: Option<LaunchTemplateSpecification>,
}

/// The state of a pool instance at `now` (`None`: gone), `warmed` the pool's waiting state.
fn state(
    now: i64,
    ready_ms: i64,
    terminating_ms: Option<i64>,
    gone_ms: Option<i64>,
    phase: Option<&str>,
    warmed: &'static str,
) -> Option<&'static str> {
    match (gone_ms, phase) {
        (Some(gone), _) if now >= gone => None,
        (_, Some("Warmed:Terminating:Wait")) => Some("Warmed:Terminating:Wait"),
        (_, Some("Warmed:Terminating:Proceed")) => Some("Warmed:Terminating:Proceed"),
        _ if terminating_ms.is_some() => Some("Warmed:Terminating"),
        (_, Some("Warmed:Pending:Proceed")) if now < ready_ms => Some("Warmed:Pending:Proceed"),
        _ if now < ready_ms => Some("Warmed:Pending"),
        (_, Some("Warmed:Pending:Wait")) => Some("Warmed:Pending:Wait"),
        _ => Some(warmed),
    }
}

/// The owner's pool instances that still exist: one group's, or all; by id.
pub fn live(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: Option<&str>,
) -> Result<Vec<PoolInstance>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT w.id, w.group_name, w.instance_type, w.zone, w.lc_name, w.image_id, w.ready_ms, \
         w.terminating_ms, w.gone_ms, w.hook_phase, w.health, COALESCE(p.doc, '{}'), \
         COALESCE(e.lt_id, ''), COALESCE(e.lt_name, ''), COALESCE(e.lt_version, '') \
         FROM warm_instances w \
         LEFT JOIN warm_pools p ON p.owner = w.owner AND p.group_name = w.group_name \
         LEFT JOIN ec2_instances e ON e.id = w.id \
         WHERE w.owner = ?1 AND (?2 IS NULL OR w.group_name = ?2) ORDER BY w.id",
    )?;
    let rows = stmt
        .query_map(params![ctx.owner, group], |r| {
            let phase: Option<String> = r.get(9)?;
            let doc: String = r.get(11)?;
            let lt_id: String = r.get(12)?;
            Ok((
                PoolInstance {
                    id: r.get(0)?,
                    group: r.get(1)?,
                    instance_type: r.get(2)?,
                    zone: r.get(3)?,
                    lc: r.get(4)?,
                    image: r.get(5)?,
                    state: "",
                    health: r.get(10)?,
                    template: (!lt_id.is_empty())
                        .then(|| -> rusqlite::Result<_> {
                            Ok(LaunchTemplateSpecification {
                                launch_template_id: Some(lt_id),
                                launch_template_name: Some(r.get(13)?),
                                version: Some(r.get(14)?),
                            })
                        })
                        .transpose()?,
                },
                r.get::<_, i64>(6)?,
                r.get::<_, Option<i64>>(7)?,
                r.get::<_, Option<i64>>(8)?,
                phase,
                doc,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (mut i, ready, terminating, gone, phase, doc) in rows {
        let config: WarmPoolConfiguration = serde_json::from_str(&doc).unwrap_or_default();
        let warmed = warmed_state(&config);
        if let Some(s) = state(ctx.now, ready, terminating, gone, phase.as_deref(), warmed) {
            i.state = s;
            out.push(i);
        }
    }
    Ok(out)
}

/// Fills DescribeAutoScalingGroups' `WarmPoolConfiguration` and `WarmPoolSize` (the instances
/// in the pool, terminating ones left out).
pub fn fill(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    doc: &mut AutoScalingGroup,
) -> Result<(), ApiError> {
    let name = doc.auto_scaling_group_name.clone().unwrap_or_default();
    let Some(pool) = load(tx, ctx.owner, &name, ctx.now)? else {
        doc.warm_pool_configuration = None;
        doc.warm_pool_size = None;
        return Ok(());
    };
    let size = live(ctx, tx, Some(&name))?
        .iter()
        .filter(|i| !i.state.starts_with("Warmed:Terminating"))
        .count();
    doc.warm_pool_configuration = Some(pool.shown());
    doc.warm_pool_size = Some(i32::try_from(size).unwrap_or(i32::MAX));
    Ok(())
}

/// The number of the group's pool instances not yet gone (DeleteAutoScalingGroup counts them).
pub fn count(tx: &Transaction<'_>, owner: &str, group: &str, now: i64) -> Result<i64, ApiError> {
    Ok(tx.query_row_cached(
        "SELECT COUNT(*) FROM warm_instances WHERE owner = ?1 AND group_name = ?2 \
         AND (gone_ms IS NULL OR gone_ms > ?3)",
        params![owner, group, now],
        |r| r.get(0),
    )?)
}

/// Deletes the rows of pool instances gone by `now`.
fn sweep(tx: &Transaction<'_>, owner: &str, group: &str, now: i64) -> Result<(), ApiError> {
    tx.execute_cached(
        "DELETE FROM warm_instances WHERE owner = ?1 AND group_name = ?2 \
         AND gone_ms IS NOT NULL AND gone_ms <= ?3",
        params![owner, group, now],
    )?;
    Ok(())
}

/// Launches one instance into the pool (placed as the group's launches are), held at
/// `Warmed:Pending:Wait` when a launch hook takes it, recording its activity with `cause`.
fn launch_into(
    tx: &Transaction<'_>,
    settings: &Settings,
    group: &GroupFacts<'_>,
    now: i64,
    hooked: bool,
    cause: &str,
) -> Result<(), ApiError> {
    let id = lifecycle::new_instance_id();
    let ready = now.saturating_add(settings.timing.launch_delay_ms);
    let (zone, instance_type) = match group.launch {
        Some(plan) => {
            let placed = plan.place(tx, group.owner, group.name, &id, group.zone)?;
            (placed.zone, placed.instance_type)
        }
        None => (group.zone.to_string(), group.instance_type.to_string()),
    };
    tx.execute_cached(
        "INSERT INTO warm_instances (id, owner, group_name, zone, lc_name, instance_type, \
         image_id, launched_ms, ready_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id,
            group.owner,
            group.name,
            zone,
            group.lc_name,
            instance_type,
            group.image_id,
            now,
            ready
        ],
    )?;
    let held = hooked && hold_entry(tx, settings, group, &id, ready)?;
    lifecycle::record(
        tx,
        group,
        &format!("{INTO_POOL}{id}"),
        cause,
        now,
        if held { HELD } else { ready },
    )?;
    Ok(())
}

/// Starts the launch hooks on an instance entering the pool (its wait beginning at `start`);
/// marks it `Warmed:Pending:Wait` when one holds it.
fn hold_entry(
    tx: &Transaction<'_>,
    settings: &Settings,
    group: &GroupFacts<'_>,
    id: &str,
    start: i64,
) -> Result<bool, ApiError> {
    if !hooks::hold(tx, settings, group, id, hooks::LAUNCHING, start)? {
        return Ok(false);
    }
    tx.execute_cached(
        "UPDATE warm_instances SET hook_phase = 'Warmed:Pending:Wait' WHERE id = ?1 AND owner = ?2",
        params![id, group.owner],
    )?;
    Ok(true)
}

/// Scale-out's first source: moves up to `group.desired - have` instances from the pool into
/// the group (warmed ones first, then ones still warming; never one a lifecycle action holds or
/// one terminating), each `Pending` for the launch delay and held at `Pending:Wait` by the
/// group's launch hooks (`hooked`), as AWS runs launch hooks on instances leaving the pool; one
/// activity each, its cause opened by `reason`. Returns how many moved. A pool being deleted
/// feeds nothing.
pub fn take(
    tx: &Transaction<'_>,
    settings: &Settings,
    group: &GroupFacts<'_>,
    now: i64,
    hooked: bool,
    reason: &str,
    have: i64,
) -> Result<i64, ApiError> {
    let wanted = group.desired.saturating_sub(have);
    if wanted <= 0 {
        return Ok(0);
    }
    match load(tx, group.owner, group.name, now)? {
        Some(pool) if pool.deleting_ms.is_none() => {}
        _ => return Ok(0),
    }
    let ids: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id FROM warm_instances WHERE owner = ?1 AND group_name = ?2 \
             AND terminating_ms IS NULL AND COALESCE(hook_phase, '') <> 'Warmed:Pending:Wait' \
             ORDER BY ready_ms > ?3, ready_ms, id LIMIT ?4",
        )?;
        stmt.query_map(params![group.owner, group.name, now, wanted], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    let when = timestamp(now);
    let mut moved = 0;
    for id in ids {
        let ready = now.saturating_add(settings.timing.launch_delay_ms);
        tx.execute_cached(
            "INSERT INTO instances (id, owner, group_name, zone, lc_name, instance_type, \
             image_id, launched_ms, ready_ms, protected, health) \
             SELECT id, owner, group_name, zone, lc_name, instance_type, image_id, ?3, ?4, ?5, \
             health FROM warm_instances WHERE id = ?1 AND owner = ?2",
            params![id, group.owner, now, ready, group.protect],
        )?;
        tx.execute_cached(
            "DELETE FROM warm_instances WHERE id = ?1 AND owner = ?2",
            params![id, group.owner],
        )?;
        let held = hooked && hooks::hold(tx, settings, group, &id, hooks::LAUNCHING, ready)?;
        if held {
            tx.execute_cached(
                "UPDATE instances SET hook_phase = 'Pending:Wait' WHERE id = ?1 AND owner = ?2",
                params![id, group.owner],
            )?;
        }
        let n = have + moved;
        lifecycle::record(
            tx,
            group,
            &format!("{FROM_POOL}{id}"),
            &format!(
                "At {when} {reason}. At {when} an instance was moved from the warm pool into the \
                 group in response to a difference between desired and actual capacity, \
                 increasing the capacity from {n} to {}.",
                n + 1
            ),
            now,
            if held { HELD } else { ready },
        )?;
        moved += 1;
    }
    Ok(moved)
}

/// Scale-in's alternative to terminating: when the group's pool reuses instances
/// (`ReuseOnScaleIn`) and is not being deleted, the victim `id` (healthy, in no lifecycle wait)
/// returns to the pool as `Warmed:Pending` (held at `Warmed:Pending:Wait` by launch hooks: it
/// enters the pool), with one activity whose cause is opened by `reason` and counts the capacity
/// down from `from`. Returns whether it went back (else the caller terminates it).
#[allow(clippy::too_many_arguments)]
pub fn reuse(
    tx: &Transaction<'_>,
    settings: &Settings,
    group: &GroupFacts<'_>,
    id: &str,
    now: i64,
    reason: &str,
    from: i64,
) -> Result<bool, ApiError> {
    match load(tx, group.owner, group.name, now)? {
        Some(pool) if pool.deleting_ms.is_none() && pool.reuses() => {}
        _ => return Ok(false),
    }
    let fit: bool = tx
        .query_row_cached(
            "SELECT hook_phase IS NULL AND health = 'Healthy' AND ec2_terminated_ms IS NULL \
             AND terminating_ms IS NULL FROM instances WHERE id = ?1 AND owner = ?2",
            params![id, group.owner],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false);
    if !fit {
        return Ok(false);
    }
    let side = ec2_rows::instance_side(tx, group.owner, id)?;
    let ready = now.saturating_add(settings.timing.launch_delay_ms);
    tx.execute_cached(
        "INSERT INTO warm_instances (id, owner, group_name, zone, lc_name, instance_type, \
         image_id, launched_ms, ready_ms, health) \
         SELECT id, owner, group_name, zone, lc_name, instance_type, image_id, ?3, ?4, health \
         FROM instances WHERE id = ?1 AND owner = ?2",
        params![id, group.owner, now, ready],
    )?;
    // Leaving `instances` drops its EC2 side (a trigger); the instance keeps it, so it is put back.
    tx.execute_cached(
        "DELETE FROM instances WHERE id = ?1 AND owner = ?2",
        params![id, group.owner],
    )?;
    if let Some(side) = side {
        let t = side.template.unwrap_or_default();
        tx.execute_cached(
            "INSERT OR REPLACE INTO ec2_instances (id, owner, subnet_id, vpc_id, private_ip, \
             lt_id, lt_name, lt_version, spot) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                id,
                group.owner,
                side.subnet_id,
                side.vpc_id,
                side.private_ip,
                t.launch_template_id.unwrap_or_default(),
                t.launch_template_name.unwrap_or_default(),
                t.version.unwrap_or_default(),
                side.spot
            ],
        )?;
    }
    let held =
        hooks::any(tx, group, hooks::LAUNCHING)? && hold_entry(tx, settings, group, id, ready)?;
    let when = timestamp(now);
    lifecycle::record(
        tx,
        group,
        &format!("{BACK_TO_POOL}{id}"),
        &format!(
            "At {when} {reason}. At {when} an instance was taken out of service in response to a \
             difference between desired and actual capacity, shrinking the capacity from {from} \
             to {}, and returned to the warm pool as its instance reuse policy says.",
            from - 1
        ),
        now,
        if held { HELD } else { ready },
    )?;
    Ok(true)
}

/// Keeps the group's pool at [`target_size`]: launches the missing instances into it (unless
/// `Launch` is suspended), or ends the oldest above it (unless `Terminate` is suspended; never
/// one a launch hook holds). Rows of pool instances already gone are swept first. The last step
/// of the lifecycle's reconcile, so every capacity change, Put and Update keeps it.
pub fn maintain(
    tx: &Transaction<'_>,
    settings: &Settings,
    group: &GroupFacts<'_>,
    now: i64,
) -> Result<(), ApiError> {
    let Some(pool) = load(tx, group.owner, group.name, now)? else {
        return Ok(());
    };
    sweep(tx, group.owner, group.name, now)?;
    if pool.deleting_ms.is_some() {
        return Ok(());
    }
    let target = target_size(&pool.config, group.desired, group.max_size);
    let have: i64 = tx.query_row_cached(
        "SELECT COUNT(*) FROM warm_instances WHERE owner = ?1 AND group_name = ?2 \
         AND terminating_ms IS NULL",
        params![group.owner, group.name],
        |r| r.get(0),
    )?;
    let when = timestamp(now);
    if have < target && !group.suspended("Launch") {
        let hooked = hooks::any(tx, group, hooks::LAUNCHING)?;
        for n in have..target {
            launch_into(
                tx,
                settings,
                group,
                now,
                hooked,
                &format!(
                    "At {when} an instance was launched into the warm pool in response to a \
                     difference between the warm pool's size and its desired size, increasing \
                     its size from {n} to {}.",
                    n + 1
                ),
            )?;
        }
    } else if have > target && !group.suspended("Terminate") {
        let ids: Vec<String> = {
            let mut stmt = tx.prepare_cached(
                "SELECT id FROM warm_instances WHERE owner = ?1 AND group_name = ?2 \
                 AND terminating_ms IS NULL AND COALESCE(hook_phase, '') <> 'Warmed:Pending:Wait' \
                 ORDER BY launched_ms, id LIMIT ?3",
            )?;
            stmt.query_map(params![group.owner, group.name, have - target], |r| {
                r.get(0)
            })?
            .collect::<Result<_, _>>()?
        };
        for (n, id) in ids.iter().enumerate() {
            let from = have - n as i64;
            end_one(
                tx,
                settings,
                group,
                id,
                now,
                &format!(
                    "At {when} an instance was taken out of the warm pool in response to a \
                     difference between the warm pool's size and its desired size, shrinking \
                     its size from {from} to {}.",
                    from - 1
                ),
            )?;
        }
    }
    Ok(())
}

/// Terminates one pool instance from `now` (a launch wait it was in ends), held at
/// `Warmed:Terminating:Wait` by the group's termination hooks, recording its activity.
fn end_one(
    tx: &Transaction<'_>,
    settings: &Settings,
    group: &GroupFacts<'_>,
    id: &str,
    now: i64,
    cause: &str,
) -> Result<(), ApiError> {
    hooks::drop_actions(tx, group.owner, id)?;
    settle(tx, group.owner, group.name, id, now)?;
    let end = if hooks::hold(tx, settings, group, id, hooks::TERMINATING, now)? {
        tx.execute_cached(
            "UPDATE warm_instances SET terminating_ms = ?1, gone_ms = NULL, \
             hook_phase = 'Warmed:Terminating:Wait' WHERE id = ?2 AND owner = ?3",
            params![now, id, group.owner],
        )?;
        HELD
    } else {
        end_now(tx, settings, group.owner, id, now)?
    };
    lifecycle::record(tx, group, &format!("{OUT_OF_POOL}{id}"), cause, now, end)?;
    Ok(())
}

/// Marks a pool instance `Warmed:Terminating` from `now`, gone after the terminate delay (which
/// it returns), asking no hook.
fn end_now(
    tx: &Transaction<'_>,
    settings: &Settings,
    owner: &str,
    id: &str,
    now: i64,
) -> Result<i64, ApiError> {
    let gone = now.saturating_add(settings.timing.terminate_delay_ms);
    tx.execute_cached(
        "UPDATE warm_instances SET terminating_ms = ?1, gone_ms = ?2, hook_phase = NULL \
         WHERE id = ?3 AND owner = ?4",
        params![now, gone, id, owner],
    )?;
    Ok(gone)
}

/// Gives a pool instance's held activity (end [`HELD`]) its end time.
fn settle(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
    id: &str,
    end: i64,
) -> Result<(), ApiError> {
    tx.execute_cached(
        "UPDATE activities SET end_ms = ?4 WHERE owner = ?1 AND group_name = ?2 AND end_ms = ?5 \
         AND description IN (?6 || ?3, ?7 || ?3, ?8 || ?3)",
        params![
            owner,
            group,
            id,
            end,
            HELD,
            INTO_POOL,
            BACK_TO_POOL,
            OUT_OF_POOL
        ],
    )?;
    Ok(())
}

/// Ends a lifecycle action's wait for an instance that is in a warm pool (the hooks' `complete`
/// hands it over when the instance is not a group instance): CONTINUE on entry makes it
/// `Warmed:Pending:Proceed` for a launch delay, then warmed; ABANDON on entry terminates it at
/// once (no termination hook) and the group is reconciled, which replaces it in the pool; the
/// end of a termination wait (either result) makes it `Warmed:Terminating:Proceed`, then gone.
pub fn end_wait(
    tx: &Transaction<'_>,
    settings: &Settings,
    action: &ActionRow,
    abandon: bool,
    now: i64,
    why: &str,
) -> Result<(), ApiError> {
    let (owner, group, id) = (&action.owner, &action.group, &action.instance);
    let held: Option<(Option<String>, i64)> = tx
        .query_row_cached(
            "SELECT hook_phase, ready_ms FROM warm_instances WHERE owner = ?1 AND id = ?2 \
             AND group_name = ?3",
            params![owner, id, group],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match held {
        Some((Some(phase), _)) if phase == "Warmed:Pending:Wait" && abandon => {
            let gone = end_now(tx, settings, owner, id, now)?;
            settle(tx, owner, group, id, now)?;
            hooks::abandoned_at_launch(
                tx,
                settings,
                action,
                &format!("{OUT_OF_POOL}{id}"),
                why,
                now,
                gone,
            )?;
        }
        Some((Some(phase), ready)) if phase == "Warmed:Pending:Wait" => {
            let ready = ready
                .max(now)
                .saturating_add(settings.timing.launch_delay_ms);
            tx.execute_cached(
                "UPDATE warm_instances SET hook_phase = 'Warmed:Pending:Proceed', ready_ms = ?3 \
                 WHERE owner = ?1 AND id = ?2",
                params![owner, id, ready],
            )?;
            settle(tx, owner, group, id, ready)?;
        }
        Some((Some(phase), _)) if phase == "Warmed:Terminating:Wait" => {
            let gone = now.saturating_add(settings.timing.terminate_delay_ms);
            tx.execute_cached(
                "UPDATE warm_instances SET hook_phase = 'Warmed:Terminating:Proceed', \
                 gone_ms = ?3 WHERE owner = ?1 AND id = ?2",
                params![owner, id, gone],
            )?;
            settle(tx, owner, group, id, gone)?;
            update_done(tx, settings, owner, group, now)?;
        }
        _ => {}
    }
    Ok(())
}

/// Refuses DeleteWarmPool without ForceDelete while an instance entering the pool waits in a
/// lifecycle action (ForceDelete is what deletes outstanding lifecycle actions):
/// `ScalingActivityInProgress`, in the reference's words.
fn check_no_entry_waits(tx: &Transaction<'_>, owner: &str, group: &str) -> Result<(), ApiError> {
    let waiting = tx
        .prepare_cached(
            "SELECT 1 FROM warm_instances WHERE owner = ?1 AND group_name = ?2 \
             AND hook_phase = 'Warmed:Pending:Wait'",
        )?
        .exists(params![owner, group])?;
    if waiting {
        return Err(ApiError::with_status(
            400,
            "ScalingActivityInProgress",
            "The operation can't be performed because there are scaling activities in progress.",
        ));
    }
    Ok(())
}

/// DeleteWarmPool. With `force`, the pool, its instances and their lifecycle actions go at
/// once (held activities end now). Without it, every instance not already ending is terminated
/// (termination hooks hold them at `Warmed:Terminating:Wait`), the pool is `PendingDelete`
/// until the last is gone; a second call while pending changes nothing. A group without a pool
/// is a `ValidationError`.
pub fn delete(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    force: bool,
) -> Result<(), ApiError> {
    let Some(pool) = load(tx, ctx.owner, &group.name, ctx.now)? else {
        return Err(not_found(&group.name));
    };
    let ids: Vec<(String, bool)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, terminating_ms IS NOT NULL FROM warm_instances WHERE owner = ?1 \
             AND group_name = ?2 AND (gone_ms IS NULL OR gone_ms > ?3) ORDER BY launched_ms, id",
        )?;
        stmt.query_map(params![ctx.owner, group.name, ctx.now], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?
    };
    if force {
        for (id, _) in &ids {
            settle(tx, ctx.owner, &group.name, id, ctx.now)?;
        }
        tx.execute_cached(
            "DELETE FROM warm_instances WHERE owner = ?1 AND group_name = ?2",
            params![ctx.owner, group.name],
        )?;
        tx.execute_cached(
            "DELETE FROM warm_pools WHERE owner = ?1 AND group_name = ?2",
            params![ctx.owner, group.name],
        )?;
        ctx.settings.timers.wake();
        return Ok(());
    }
    if pool.deleting_ms.is_some() {
        return Ok(());
    }
    check_no_entry_waits(tx, ctx.owner, &group.name)?;
    tx.execute_cached(
        "UPDATE warm_pools SET deleting_ms = ?3 WHERE owner = ?1 AND group_name = ?2",
        params![ctx.owner, group.name, ctx.now],
    )?;
    let suspended = groups::suspended_names(&group.doc);
    let facts = groups::facts(ctx, group, &suspended, None);
    let when = timestamp(ctx.now);
    for (id, ending) in ids {
        if ending {
            continue;
        }
        end_one(
            tx,
            ctx.settings,
            &facts,
            &id,
            ctx.now,
            &format!(
                "At {when} an instance was taken out of the warm pool in response to a user \
                 request deleting the warm pool."
            ),
        )?;
    }
    update_done(tx, ctx.settings, ctx.owner, &group.name, ctx.now)
}

/// Sets when a pending deletion completes: when the last pool instance is gone (none held in a
/// termination wait), else not yet; wakes the engine.
fn update_done(
    tx: &Transaction<'_>,
    settings: &Settings,
    owner: &str,
    group: &str,
    now: i64,
) -> Result<(), ApiError> {
    let (held, last): (i64, Option<i64>) = tx.query_row_cached(
        "SELECT COUNT(*) FILTER (WHERE gone_ms IS NULL), MAX(gone_ms) FROM warm_instances \
         WHERE owner = ?1 AND group_name = ?2",
        params![owner, group],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let done = (held == 0).then(|| last.unwrap_or(now).max(now));
    tx.execute_cached(
        "UPDATE warm_pools SET done_ms = ?3 WHERE owner = ?1 AND group_name = ?2 \
         AND deleting_ms IS NOT NULL",
        params![owner, group, done],
    )?;
    settings.timers.wake();
    Ok(())
}

/// Removes the pools whose deletion completed by `now`, with the rows of their instances (the
/// engine's work; replies already treat them as gone).
pub fn run_due(tx: &Transaction<'_>, now: i64) -> Result<(), ApiError> {
    tx.execute_cached(
        "DELETE FROM warm_instances WHERE EXISTS (SELECT 1 FROM warm_pools p \
         WHERE p.owner = warm_instances.owner AND p.group_name = warm_instances.group_name \
         AND p.done_ms <= ?1)",
        params![now],
    )?;
    tx.execute_cached("DELETE FROM warm_pools WHERE done_ms <= ?1", params![now])?;
    Ok(())
}

/// The earliest completion of a pending deletion (one index lookup).
pub fn earliest(tx: &Transaction<'_>) -> Result<Option<i64>, ApiError> {
    Ok(tx.query_row_cached("SELECT MIN(done_ms) FROM warm_pools", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_is_aws_s() {
        let c = |min: i32, prepared: Option<i32>| WarmPoolConfiguration {
            min_size: Some(min),
            max_group_prepared_capacity: prepared,
            ..Default::default()
        };
        // Unset: MaxSize - desired.
        assert_eq!(target_size(&c(0, None), 2, 5), 3);
        // -1 reads as unset.
        assert_eq!(target_size(&c(0, Some(-1)), 2, 5), 3);
        // MaxGroupPreparedCapacity - desired, at least MinSize.
        assert_eq!(target_size(&c(1, Some(4)), 2, 10), 2);
        assert_eq!(target_size(&c(3, Some(4)), 2, 10), 3);
        // Desired above the prepared capacity: 0 unless MinSize.
        assert_eq!(target_size(&c(0, Some(2)), 5, 10), 0);
        assert_eq!(target_size(&c(2, Some(2)), 5, 10), 2);
    }

    #[test]
    fn states_follow_the_clock() {
        let w = "Warmed:Stopped";
        assert_eq!(state(5, 10, None, None, None, w), Some("Warmed:Pending"));
        assert_eq!(state(10, 10, None, None, None, w), Some(w));
        let wait = Some("Warmed:Pending:Wait");
        assert_eq!(state(5, 10, None, None, wait, w), Some("Warmed:Pending"));
        assert_eq!(
            state(50, 10, None, None, wait, w),
            Some("Warmed:Pending:Wait")
        );
        let proceed = Some("Warmed:Pending:Proceed");
        assert_eq!(
            state(15, 20, None, None, proceed, w),
            Some("Warmed:Pending:Proceed")
        );
        assert_eq!(state(20, 20, None, None, proceed, w), Some(w));
        assert_eq!(
            state(30, 10, Some(25), Some(40), None, w),
            Some("Warmed:Terminating")
        );
        assert_eq!(state(40, 10, Some(25), Some(40), None, w), None);
        let held = Some("Warmed:Terminating:Wait");
        assert_eq!(
            state(99, 10, Some(25), None, held, w),
            Some("Warmed:Terminating:Wait")
        );
    }
}
