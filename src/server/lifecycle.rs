//! How instances live: launching and terminating them to match a group's desired capacity, and
//! what state each one is in at a given moment.
//!
//! States are evaluated lazily on read from timestamps stored with the instance: an instance
//! launched at `launched_ms` is `Pending` until `ready_ms` (launch + launch delay) and `InService`
//! after; one terminated at `terminating_ms` is `Terminating` until `gone_ms` (+ terminate delay)
//! and absent after. A scaling activity likewise is `InProgress` until its end time, then
//! `Successful`. Lazy evaluation was chosen over a background ticker because it is deterministic
//! (a reply depends only on the stored rows and the clock), needs no task to start or stop, and a
//! restart simply carries on where the clock is. Rows of instances already gone are swept by the
//! next write ([`sweep`]).
//!
//! Lifecycle hooks (`crate::server::rows::hooks`) add wait states: an instance launched into a
//! group with an `autoscaling:EC2_INSTANCE_LAUNCHING` hook has `hook_phase` `Pending:Wait` (shown
//! once its launch delay has passed) until its lifecycle actions complete, then
//! `Pending:Proceed` until its new `ready_ms`; one terminated in a group with an
//! `autoscaling:EC2_INSTANCE_TERMINATING` hook is `Terminating:Wait` (no `gone_ms` yet), then
//! `Terminating:Proceed` until `gone_ms`. The phase is stored, the rest still follows the clock;
//! what ends a wait (a completion, a heartbeat timeout) is the hooks' own rows and the engine's
//! `timers::Source` over their deadlines. An activity whose instance is held has the end time
//! [`HELD`] (shown `MidLifecycleAction`) until the wait ends ([`settle_activity`]).
//!
//! Capacity is reconciled eagerly, inside the transaction that changes it ([`reconcile`]): a group
//! always has exactly `desired` instances that are not terminating (unless a suspended process
//! holds it off), and one activity per launch or termination records why. The `HealthCheck`
//! process (`health_check`) and `AZRebalance` (`rebalance`) are steps of the same reconcile. A
//! group keeps six weeks of activities, at most [`MAX_ACTIVITIES_PER_GROUP`] of them
//! ([`prune_activities`], run as activities are written).
//!
//! A warm pool (`crate::server::rows::warm_pools`) joins the reconcile at three points: scale-out
//! takes its warmed instances first, scale-in returns victims to it when its reuse policy says
//! so, and the last step keeps it at its size. Its instances are not in `instances`, so nothing
//! here counts them.

use crate::server::store::Cached;
use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::types::Activity;
use crate::query::timestamp::Timestamp;
use crate::server::fault::ApiError;
use crate::server::ops::Settings;
use crate::server::rows::{hooks, warm_pools};

/// Timing and naming settings the lifecycle needs.
#[derive(Debug, Clone)]
pub struct Timing {
    /// How long a new instance stays `Pending`, in milliseconds.
    pub launch_delay_ms: i64,
    /// How long a terminated instance stays `Terminating`, in milliseconds.
    pub terminate_delay_ms: i64,
    /// The factor lifecycle hook timeouts are multiplied by (`phantom serve
    /// --hook-timeout-scale`, a testing aid): 1 is AWS's timing.
    pub hook_timeout_scale: f64,
    /// The factor instance refresh times (warm-up, checkpoint delay, bake time, the one-hour
    /// wait) are multiplied by (`phantom serve --refresh-time-scale`, a testing aid): 1 is AWS's.
    pub refresh_time_scale: f64,
    /// How long an ended instance stays listed after its termination (Phantom's
    /// `800-TERMINATED`, see `crate::server::phantom`); 0 under AWS's dialect.
    pub ended_kept_ms: i64,
}

/// The end time of an activity whose instance a lifecycle hook holds (shown `InProgress` with
/// the status code `MidLifecycleAction` until [`settle_activity`] gives it its real end).
pub const HELD: i64 = i64::MAX;

/// The milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A timestamp from epoch milliseconds.
pub fn timestamp(ms: i64) -> Timestamp {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(Timestamp)
        .unwrap_or_else(|_| Timestamp::now())
}

/// A new instance id: `i-` and 17 hex digits, as EC2 writes them.
pub fn new_instance_id() -> String {
    let mut id = String::from("i-");
    for _ in 0..17 {
        id.push(char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'));
    }
    id
}

/// A new random UUID-shaped identifier (request ids, activity ids).
pub fn new_uuid() -> String {
    let hex = |n: usize| -> String {
        (0..n)
            .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
            .collect()
    };
    format!("{}-{}-4{}-{}-{}", hex(8), hex(4), hex(3), hex(4), hex(12))
}

/// The lifecycle state of an instance at `now`, or `None` once it is gone; `phase` is its stored
/// lifecycle hook phase (`Pending:Wait`, `Pending:Proceed`, `Terminating:Wait`,
/// `Terminating:Proceed`), if any.
pub fn instance_state(
    now: i64,
    ready_ms: i64,
    terminating_ms: Option<i64>,
    gone_ms: Option<i64>,
    phase: Option<&str>,
) -> Option<&'static str> {
    let ending = terminating_ms.is_some() || gone_ms.is_some();
    match (gone_ms, phase) {
        (Some(gone), _) if now >= gone => None,
        (_, Some("Terminating:Wait")) if ending => Some("Terminating:Wait"),
        (_, Some("Terminating:Proceed")) if ending => Some("Terminating:Proceed"),
        _ if ending => Some("Terminating"),
        _ if now < ready_ms => Some(match phase {
            Some("Pending:Proceed") => "Pending:Proceed",
            _ => "Pending",
        }),
        (_, Some("Pending:Wait")) => Some("Pending:Wait"),
        _ => Some("InService"),
    }
}

/// Deletes the rows of instances that are gone by `now`.
pub fn sweep(tx: &Transaction<'_>, now: i64) -> Result<(), ApiError> {
    tx.execute_cached(
        "DELETE FROM instances WHERE gone_ms IS NOT NULL AND gone_ms <= ?1",
        params![now],
    )?;
    Ok(())
}

/// What reconciling needs to know about a group.
pub struct GroupFacts<'a> {
    /// The owning access key.
    pub owner: &'a str,
    /// The group's name.
    pub name: &'a str,
    /// The group's ARN, for activities.
    pub arn: &'a str,
    /// The launch configuration new instances use (stored name).
    pub lc_name: &'a str,
    /// Instance type and image of that launch configuration.
    pub instance_type: &'a str,
    /// The image id new instances report.
    pub image_id: &'a str,
    /// The zone (Phantom site) new instances are placed in.
    pub zone: &'a str,
    /// The desired capacity to reach.
    pub desired: i64,
    /// MaxSize (AZRebalance may exceed it by [`rebalance_margin`]).
    pub max_size: i64,
    /// Whether instances launched now are protected from scale-in
    /// (`NewInstancesProtectedFromScaleIn`).
    pub protect: bool,
    /// The group's suspended processes (SuspendProcesses): `Launch`, `Terminate`, `HealthCheck`
    /// and `ReplaceUnhealthy` stop what [`reconcile`] would do.
    pub suspended: &'a [String],
    /// The group's termination policies, in order (scale-in picks by them).
    pub termination_policies: &'a [String],
    /// Where launches go and what they run when the group names subnets, a launch template or a
    /// mixed instances policy (`None`: the zone above and the launch configuration's type).
    pub launch: Option<&'a crate::server::ec2::rows::LaunchPlan>,
    /// Under the Phantom dialect, the sites the domain's policy places launches on (a launch to
    /// a site that does not exist fails; `crate::server::phantom::policy`).
    pub placement: Option<&'a crate::server::phantom::policy::Placement>,
}

impl GroupFacts<'_> {
    /// Whether `process` is suspended on the group.
    pub fn suspended(&self, process: &str) -> bool {
        self.suspended.iter().any(|p| p == process)
    }
}

/// An instance that counts toward a group's capacity, as scale-in weighs it.
struct Counted {
    id: String,
    protected: bool,
    launched_ms: i64,
    /// When its launch configuration was created (epoch ms; `i64::MIN` if it is gone).
    lc_created_ms: i64,
    zone: String,
    unhealthy: bool,
    /// Terminated through EC2's TerminateInstances (the EC2 health signal `HealthCheck` reads).
    ec2_terminated: bool,
}

/// The termination policies AWS defines, as DescribeTerminationPolicyTypes lists them.
pub const TERMINATION_POLICIES: &[&str] = &[
    "AllocationStrategy",
    "ClosestToNextInstanceHour",
    "Default",
    "NewestInstance",
    "OldestInstance",
    "OldestLaunchConfiguration",
    "OldestLaunchTemplate",
];

/// One hour, the billing unit `ClosestToNextInstanceHour` counts in.
const HOUR_MS: i64 = 3600 * 1000;

/// Narrows the scale-in candidates by one termination policy (keeping all when the policy does
/// not tell them apart). `OldestLaunchTemplate` and `AllocationStrategy` tell nothing apart here
/// (not modelled yet for template and mixed-instances groups).
fn narrow<'c>(policy: &str, set: Vec<&'c Counted>, now: i64) -> Vec<&'c Counted> {
    let keep_min = |set: Vec<&'c Counted>, key: &dyn Fn(&Counted) -> i64| {
        let best = set.iter().map(|c| key(c)).min();
        set.into_iter()
            .filter(|c| Some(key(c)) == best)
            .collect::<Vec<_>>()
    };
    match policy {
        "OldestInstance" => keep_min(set, &|c| c.launched_ms),
        "NewestInstance" => keep_min(set, &|c| -c.launched_ms),
        "OldestLaunchConfiguration" => keep_min(set, &|c| c.lc_created_ms),
        "ClosestToNextInstanceHour" => keep_min(set, &|c| {
            HOUR_MS - (now - c.launched_ms).rem_euclid(HOUR_MS)
        }),
        "Default" => {
            let set = narrow("OldestLaunchConfiguration", set, now);
            narrow("ClosestToNextInstanceHour", set, now)
        }
        _ => set,
    }
}

/// The instance scale-in terminates next, as AWS chooses it: never a protected one; first the
/// zone with the most counted instances (among zones with an unprotected one), then the group's
/// termination policies in order, then `Default`'s rules; a tie left after all of them goes to
/// the newest instance (AWS picks at random; here the choice is reproducible).
fn scale_in_choice<'c>(
    counted: &'c [Counted],
    policies: &[String],
    now: i64,
) -> Option<&'c Counted> {
    let left: Vec<&Counted> = counted.iter().collect();
    let mut zone_sizes: Vec<(&str, usize)> = Vec::new();
    for c in &left {
        match zone_sizes.iter_mut().find(|(z, _)| *z == c.zone) {
            Some((_, n)) => *n += 1,
            None => zone_sizes.push((&c.zone, 1)),
        }
    }
    let zone = zone_sizes
        .iter()
        .filter(|(z, _)| left.iter().any(|c| !c.protected && c.zone == *z))
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))?
        .0;
    let mut set: Vec<&Counted> = left
        .into_iter()
        .filter(|c| !c.protected && c.zone == zone)
        .collect();
    for policy in policies.iter().map(String::as_str).chain(["Default"]) {
        if set.len() <= 1 {
            break;
        }
        set = narrow(policy, set, now);
    }
    set.into_iter().max_by(|a, b| {
        a.launched_ms
            .cmp(&b.launched_ms)
            .then_with(|| a.id.cmp(&b.id))
    })
}

/// Launches or terminates instances so that the group has exactly `desired` instances that count
/// (not terminating, not in standby), recording one activity per change; `reason` opens each
/// activity's cause. The `HealthCheck` process first marks `Unhealthy` the instances EC2
/// terminated (`health_check`, unless suspended); unhealthy instances are terminated and
/// replaced (unless `ReplaceUnhealthy` is suspended); a suspended `Launch` leaves the group below its desired
/// capacity, a suspended `Terminate` above it; scale-in picks by the termination policies and never
/// a protected instance (the group then stays above its desired capacity, as on AWS).
pub fn reconcile(
    tx: &Transaction<'_>,
    settings: &Settings,
    group: &GroupFacts<'_>,
    now: i64,
    reason: &str,
) -> Result<(), ApiError> {
    let mut counted: Vec<Counted> = {
        let mut stmt = tx.prepare_cached(
            "SELECT i.id, i.protected, i.launched_ms, i.zone, i.health, \
             json_extract(l.doc, '$.CreatedTime'), i.ec2_terminated_ms IS NOT NULL \
             FROM instances i \
             LEFT JOIN launch_configurations l ON l.owner = i.owner AND l.name = i.lc_name \
             WHERE i.owner = ?1 AND i.group_name = ?2 AND i.terminating_ms IS NULL \
             AND i.standby = 0 ORDER BY i.launched_ms, i.id",
        )?;
        let rows = stmt.query_map(params![group.owner, group.name], |r| {
            let created: Option<String> = r.get(5)?;
            Ok(Counted {
                id: r.get(0)?,
                protected: r.get(1)?,
                launched_ms: r.get(2)?,
                zone: r.get(3)?,
                unhealthy: r.get::<_, String>(4)? == "Unhealthy",
                ec2_terminated: r.get(6)?,
                lc_created_ms: created
                    .as_deref()
                    .and_then(Timestamp::parse)
                    .map(|t| (t.0.unix_timestamp_nanos() / 1_000_000) as i64)
                    .unwrap_or(i64::MIN),
            })
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let when = timestamp(now);
    if !group.suspended("HealthCheck") {
        health_check(tx, group, &mut counted)?;
    }
    if !group.suspended("ReplaceUnhealthy") {
        for c in counted.iter().filter(|c| c.unhealthy) {
            let end = terminate(tx, settings, group, &c.id, now)?;
            let source = if c.ec2_terminated {
                "an EC2 health check indicating it has been terminated or stopped"
            } else {
                "a user health-check"
            };
            record_one(
                tx,
                group,
                &format!("Terminating EC2 instance: {}", c.id),
                &format!("At {when} an instance was taken out of service in response to {source}."),
                now,
                end,
            )?;
        }
        counted.retain(|c| !c.unhealthy);
    }
    let have = counted.len() as i64;
    if have < group.desired && !group.suspended("Launch") {
        // One look for launch hooks, not one per instance.
        let hooked = hooks::any(tx, group, hooks::LAUNCHING)?;
        // Warmed instances first (a warm pool's), then new ones.
        let taken = warm_pools::take(tx, settings, group, now, hooked, reason, have)?;
        let mut n = have + taken;
        while n < group.desired {
            let cause = format!(
                "At {when} {reason}. At {when} an instance was started in response to a \
                 difference between desired and actual capacity, increasing the capacity \
                 from {n} to {}.",
                n + 1
            );
            // A failed launch (Phantom placement) is replaced by the next one; every site
            // full or failed leaves the group short.
            match launch_one(tx, settings, group, now, hooked, &cause)? {
                Launched::In(_) => n += 1,
                Launched::Failed => {}
                Launched::Nowhere => break,
            }
        }
    } else if have > group.desired && !group.suspended("Terminate") {
        for n in 0..(have - group.desired) {
            let Some(victim) = scale_in_choice(&counted, group.termination_policies, now) else {
                break;
            };
            let id = victim.id.clone();
            // The chosen one leaves the candidates (a swap keeps this O(1); the choice does not
            // depend on the order of `counted`, its ties being broken by launch time and id).
            if let Some(at) = counted.iter().position(|c| c.id == id) {
                counted.swap_remove(at);
            }
            let from = have - n;
            // A warm pool that reuses instances takes the victim back instead.
            if warm_pools::reuse(tx, settings, group, &id, now, reason, from)? {
                continue;
            }
            let end = terminate(tx, settings, group, &id, now)?;
            record_one(
                tx,
                group,
                &format!("Terminating EC2 instance: {id}"),
                &format!(
                    "At {when} {reason}. At {when} an instance was taken out of service in \
                     response to a difference between desired and actual capacity, shrinking \
                     the capacity from {from} to {}.",
                    from - 1
                ),
                now,
                end,
            )?;
        }
    }
    rebalance(tx, settings, group, now)?;
    warm_pools::maintain(tx, settings, group, now)?;
    prune_activities(tx, group, now)
}

/// What [`launch_one`] did.
enum Launched {
    /// An instance was launched into this zone.
    In(String),
    /// The launch failed at once (a Phantom site that does not exist): the instance is listed
    /// `900-FAILED` and does not count.
    Failed,
    /// The placement has no site left for it (all full or failed): nothing was launched.
    Nowhere,
}

/// Launches one instance into the group (where its launch plan or Phantom placement puts it,
/// else its zone), held in `Pending:Wait` when `hooked` (the group has a launch hook) and a hook
/// takes it, recording its activity with `cause`.
fn launch_one(
    tx: &Transaction<'_>,
    settings: &Settings,
    group: &GroupFacts<'_>,
    now: i64,
    hooked: bool,
    cause: &str,
) -> Result<Launched, ApiError> {
    let id = new_instance_id();
    let ready = now + settings.timing.launch_delay_ms;
    let mut fails = false;
    let (zone, instance_type) = match (group.launch, group.placement) {
        (Some(plan), _) => {
            let placed = plan.place(tx, group.owner, group.name, &id, group.zone)?;
            (placed.zone, placed.instance_type)
        }
        (None, Some(placement)) => match placement.place(tx, group.owner, group.name)? {
            Some((site, failed)) => {
                fails = failed;
                (site, group.instance_type.to_string())
            }
            None => return Ok(Launched::Nowhere),
        },
        (None, None) => (group.zone.to_string(), group.instance_type.to_string()),
    };
    tx.execute_cached(
        "INSERT INTO instances (id, owner, group_name, zone, lc_name, instance_type, \
         image_id, launched_ms, ready_ms, protected) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id,
            group.owner,
            group.name,
            zone,
            group.lc_name,
            instance_type,
            group.image_id,
            now,
            ready,
            group.protect
        ],
    )?;
    if fails {
        tx.execute_cached(
            "UPDATE instances SET terminating_ms = ?2, gone_ms = ?3, hook_phase = ?4 WHERE id = ?1",
            params![
                id,
                now,
                now.saturating_add(settings.timing.ended_kept_ms),
                crate::server::phantom::FAILED
            ],
        )?;
        return Ok(Launched::Failed);
    }
    let held = hooked && hooks::hold(tx, settings, group, &id, hooks::LAUNCHING, ready)?;
    if held {
        tx.execute_cached(
            "UPDATE instances SET hook_phase = 'Pending:Wait' WHERE id = ?1",
            params![id],
        )?;
    }
    record_one(
        tx,
        group,
        &format!("Launching a new EC2 instance: {id}"),
        cause,
        now,
        if held { HELD } else { ready },
    )?;
    Ok(Launched::In(zone))
}

/// How far AZRebalance may take a group above its MaxSize while it rebalances: 10% of it, at
/// least one instance, as AWS documents.
pub fn rebalance_margin(max_size: i64) -> i64 {
    ((max_size.max(0) + 9) / 10).max(1)
}

/// The `AZRebalance` process: when the group's counted instances (not terminating, not in
/// standby) are spread unevenly over the zones its subnets are in (two zones differ by more than
/// one, or instances sit in a zone the group no longer names), it launches one instance (placed,
/// as every launch, in the subnet with the fewest instances) and then terminates one in the most
/// over-represented zone (a zone the group left first), until the zones are balanced, as AWS
/// does: launch first, so the group may exceed MaxSize by [`rebalance_margin`] meanwhile. A
/// suspended `AZRebalance` or `Launch` stops it (AWS: with Launch suspended it neither launches
/// nor terminates); a suspended `Terminate` lets it launch only (the group stays above its
/// desired capacity, up to the margin, until resumed). Protected instances are not terminated by
/// it. Groups without subnets (one zone, the endpoint's site) have nothing to balance. Eager, like the rest
/// of [`reconcile`]: it runs to the end in the transaction that unbalanced the group.
fn rebalance(
    tx: &Transaction<'_>,
    settings: &Settings,
    group: &GroupFacts<'_>,
    now: i64,
) -> Result<(), ApiError> {
    let Some(plan) = group.launch else {
        return Ok(());
    };
    let mut zones: Vec<&str> = Vec::new();
    for s in &plan.subnets {
        if !zones.contains(&s.zone.as_str()) {
            zones.push(&s.zone);
        }
    }
    if zones.is_empty() || group.suspended("AZRebalance") || group.suspended("Launch") {
        return Ok(());
    }
    let cap = group
        .max_size
        .saturating_add(rebalance_margin(group.max_size));
    let when = timestamp(now);
    let hooked = hooks::any(tx, group, hooks::LAUNCHING)?;
    // Each round launches one and terminates one: at most one round per instance and zone.
    let bound = round_bound(tx, group)?;
    for _ in 0..bound {
        let counted: Vec<(String, String, bool)> = {
            let mut stmt = tx.prepare_cached(
                "SELECT id, zone, protected FROM instances WHERE owner = ?1 AND group_name = ?2 \
                 AND terminating_ms IS NULL AND standby = 0 ORDER BY launched_ms DESC, id DESC",
            )?;
            stmt.query_map(params![group.owner, group.name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<_, _>>()?
        };
        let size = |z: &str| counted.iter().filter(|c| c.1 == z).count();
        let sizes: Vec<usize> = zones.iter().map(|z| size(z)).collect();
        let (least, most) = (
            sizes.iter().copied().min().unwrap_or(0),
            sizes.iter().copied().max().unwrap_or(0),
        );
        let strays = counted.iter().any(|c| !zones.contains(&c.1.as_str()));
        if !strays && most <= least + 1 {
            break;
        }
        // The instance to give up: an unprotected one in a zone the group left, else one in the
        // fullest zone (the newest there; the zone's counts are what matter here).
        let fullest = zones
            .iter()
            .zip(&sizes)
            .filter(|(z, _)| counted.iter().any(|c| !c.2 && c.1 == **z))
            .max_by_key(|(_, n)| **n)
            .map(|(z, n)| (*z, *n));
        let victim = counted
            .iter()
            .find(|c| !c.2 && !zones.contains(&c.1.as_str()))
            .or_else(|| match fullest {
                Some((z, n)) if n > least + 1 || strays => {
                    counted.iter().find(|c| !c.2 && c.1 == z)
                }
                _ => None,
            })
            .map(|c| c.0.clone());
        let terminating = !group.suspended("Terminate");
        // Nothing to give up (all protected): launching would only grow the group.
        if counted.len() as i64 >= cap || (terminating && victim.is_none()) {
            break;
        }
        let Launched::In(to) = launch_one(
            tx,
            settings,
            group,
            now,
            hooked,
            &format!("At {when} an instance was launched to aid in balancing the group's zones."),
        )?
        else {
            break;
        };
        let Some(victim) = victim.filter(|_| terminating) else {
            continue;
        };
        // A launch that landed in the victim's own zone (placement counts subnets and standby
        // instances, this counts zones without them): the swap keeps the size, and going on
        // would not converge.
        let stuck = counted.iter().any(|c| c.0 == victim && c.1 == to);
        let end = terminate(tx, settings, group, &victim, now)?;
        record_one(
            tx,
            group,
            &format!("Terminating EC2 instance: {victim}"),
            &format!(
                "At {when} an instance was taken out of service in response to an Availability \
                 Zone rebalancing."
            ),
            now,
            end,
        )?;
        if stuck {
            break;
        }
    }
    Ok(())
}

/// The most rebalancing rounds one reconcile runs: the group's instances plus its margin (each
/// round moves one instance; the bound only guards against a plan that cannot converge).
fn round_bound(tx: &Transaction<'_>, group: &GroupFacts<'_>) -> Result<i64, ApiError> {
    let n: i64 = tx.query_row_cached(
        "SELECT COUNT(*) FROM instances WHERE owner = ?1 AND group_name = ?2",
        params![group.owner, group.name],
        |r| r.get(0),
    )?;
    Ok(n + rebalance_margin(group.max_size) + 1)
}

/// The `HealthCheck` process: marks `Unhealthy` each counted instance (not terminating, not in
/// standby: AWS does not health-check standby instances) that EC2's TerminateInstances
/// terminated. It overrides a `Healthy` set by SetInstanceHealth, as AWS's health check does.
/// The only health signal the endpoint has is that one (no status checks, no load balancer
/// health), so an EC2-terminated instance is found at the group's next reconcile: at once when
/// the process runs, at ResumeProcesses when it was suspended.
fn health_check(
    tx: &Transaction<'_>,
    group: &GroupFacts<'_>,
    counted: &mut [Counted],
) -> Result<(), ApiError> {
    for c in counted
        .iter_mut()
        .filter(|c| c.ec2_terminated && !c.unhealthy)
    {
        tx.execute_cached(
            "UPDATE instances SET health = 'Unhealthy' WHERE id = ?1 AND owner = ?2",
            params![c.id, group.owner],
        )?;
        c.unhealthy = true;
    }
    Ok(())
}

/// Marks one instance `Terminating` from `now` (any launch wait it was in ends: its launch
/// activity is settled now) and returns when its termination activity ends: `now` plus the
/// terminate delay, or [`HELD`] when a termination hook of the group holds it in
/// `Terminating:Wait`.
pub fn terminate(
    tx: &Transaction<'_>,
    settings: &Settings,
    group: &GroupFacts<'_>,
    id: &str,
    now: i64,
) -> Result<i64, ApiError> {
    let phase: Option<String> = tx
        .query_row_cached(
            "SELECT hook_phase FROM instances WHERE id = ?1 AND owner = ?2",
            params![id, group.owner],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    if phase.is_some() {
        hooks::drop_actions(tx, group.owner, id)?;
        settle_activity(tx, group.owner, group.name, id, now)?;
    }
    if hooks::hold(tx, settings, group, id, hooks::TERMINATING, now)? {
        tx.execute_cached(
            "UPDATE instances SET terminating_ms = ?1, gone_ms = NULL, \
             hook_phase = 'Terminating:Wait' WHERE id = ?2 AND owner = ?3",
            params![now, id, group.owner],
        )?;
        return Ok(HELD);
    }
    end_now(tx, &settings.timing, group.owner, id, now)
}

/// Marks one instance `Terminating` from `now` without asking any hook (a launch abandoned by
/// its hook), gone after the terminate delay, or after its group's target groups have drained it
/// (their deregistration delay, `crate::server::elb::rows::drain_ms`) when that is longer; returns
/// when.
pub fn end_now(
    tx: &Transaction<'_>,
    timing: &Timing,
    owner: &str,
    id: &str,
    now: i64,
) -> Result<i64, ApiError> {
    let group: Option<String> = tx
        .query_row_cached(
            "SELECT group_name FROM instances WHERE id = ?1 AND owner = ?2",
            params![id, owner],
            |r| r.get(0),
        )
        .optional()?;
    let drain = match group {
        Some(g) => crate::server::elb::rows::drain_ms(tx, owner, &g, timing.hook_timeout_scale)?,
        None => 0,
    };
    // Under the Phantom dialect the row stays (listed 800-TERMINATED) for `ended_kept_ms` more.
    let gone = now + timing.terminate_delay_ms.max(drain) + timing.ended_kept_ms;
    tx.execute_cached(
        "UPDATE instances SET terminating_ms = ?1, gone_ms = ?2, hook_phase = NULL \
         WHERE id = ?3 AND owner = ?4",
        params![now, gone, id, owner],
    )?;
    Ok(gone)
}

/// Gives the instance's held activity (a launch, a move out of a warm pool or a termination a
/// hook waited on, end [`HELD`]) its end time.
pub fn settle_activity(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
    id: &str,
    end: i64,
) -> Result<(), ApiError> {
    tx.execute_cached(
        "UPDATE activities SET end_ms = ?4 WHERE owner = ?1 AND group_name = ?2 \
         AND end_ms = ?5 AND description IN ('Launching a new EC2 instance: ' || ?3, \
         'Terminating EC2 instance: ' || ?3, ?6 || ?3)",
        params![owner, group, id, end, HELD, warm_pools::FROM_POOL],
    )?;
    Ok(())
}

/// How long a group's scaling activities are kept: six weeks, as AWS documents for
/// DescribeScalingActivities ("all the activities from the past six weeks are returned").
pub const ACTIVITY_RETENTION_MS: i64 = 42 * 24 * 3600 * 1000;

/// The most scaling activities kept per group (the newest); older ones are dropped as new ones
/// are written, so a flood of capacity changes cannot grow the store without bound.
pub const MAX_ACTIVITIES_PER_GROUP: i64 = 1000;

/// Records a scaling activity that starts at `start` and completes at `end`, then drops the
/// group's activities past the retention bounds; returns the new activity's id.
pub fn record(
    tx: &Transaction<'_>,
    group: &GroupFacts<'_>,
    description: &str,
    cause: &str,
    start: i64,
    end: i64,
) -> Result<String, ApiError> {
    let id = record_one(tx, group, description, cause, start, end)?;
    prune_activities(tx, group, start)?;
    Ok(id)
}

/// Drops the group's activities older than [`ACTIVITY_RETENTION_MS`] at `now`, and all but the
/// newest [`MAX_ACTIVITIES_PER_GROUP`]. One statement over the group's rows (at most the bound
/// plus what this transaction added), through the `(owner, group_name)` index.
pub fn prune_activities(
    tx: &Transaction<'_>,
    group: &GroupFacts<'_>,
    now: i64,
) -> Result<(), ApiError> {
    tx.execute_cached(
        "DELETE FROM activities WHERE owner = ?1 AND group_name = ?2 AND (start_ms < ?3 OR \
         seq <= COALESCE((SELECT seq FROM activities WHERE owner = ?1 AND group_name = ?2 \
         ORDER BY seq DESC LIMIT 1 OFFSET ?4), -1))",
        params![
            group.owner,
            group.name,
            now.saturating_sub(ACTIVITY_RETENTION_MS),
            MAX_ACTIVITIES_PER_GROUP
        ],
    )?;
    Ok(())
}

/// Inserts one activity row (no pruning: [`reconcile`] prunes once after its whole batch).
fn record_one(
    tx: &Transaction<'_>,
    group: &GroupFacts<'_>,
    description: &str,
    cause: &str,
    start: i64,
    end: i64,
) -> Result<String, ApiError> {
    let id = new_uuid();
    let details = serde_json::json!({"Subnet ID": "", "Availability Zone": group.zone}).to_string();
    tx.execute_cached(
        "INSERT INTO activities (id, owner, group_name, description, cause, details, start_ms, \
         end_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            id,
            group.owner,
            group.name,
            description,
            cause,
            details,
            start,
            end
        ],
    )?;
    Ok(id)
}

/// A stored activity as the API shows it at `now`.
#[allow(clippy::too_many_arguments)]
pub fn activity_shape(
    now: i64,
    id: String,
    group_name: String,
    group_arn: Option<String>,
    description: String,
    cause: String,
    details: String,
    start_ms: i64,
    end_ms: i64,
) -> Activity {
    let done = end_ms != HELD && now >= end_ms;
    let status = match (done, end_ms == HELD) {
        (true, _) => "Successful",
        (false, true) => "MidLifecycleAction",
        (false, false) => "InProgress",
    };
    Activity {
        activity_id: Some(id),
        auto_scaling_group_name: Some(group_name),
        description: Some(description),
        cause: Some(cause),
        start_time: Some(timestamp(start_ms)),
        end_time: done.then(|| timestamp(end_ms)),
        status_code: Some(status.to_string()),
        progress: Some(if done { 100 } else { 50 }),
        details: Some(details),
        auto_scaling_group_arn: group_arn,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_follow_the_clock() {
        assert_eq!(instance_state(5, 10, None, None, None), Some("Pending"));
        assert_eq!(instance_state(10, 10, None, None, None), Some("InService"));
        assert_eq!(
            instance_state(12, 10, Some(11), Some(20), None),
            Some("Terminating")
        );
        assert_eq!(instance_state(20, 10, Some(11), Some(20), None), None);
    }

    #[test]
    fn hook_phases_hold_and_follow_the_clock() {
        let wait = Some("Pending:Wait");
        assert_eq!(instance_state(5, 10, None, None, wait), Some("Pending"));
        assert_eq!(
            instance_state(99, 10, None, None, wait),
            Some("Pending:Wait")
        );
        let proceed = Some("Pending:Proceed");
        assert_eq!(
            instance_state(5, 10, None, None, proceed),
            Some("Pending:Proceed")
        );
        assert_eq!(
            instance_state(10, 10, None, None, proceed),
            Some("InService")
        );
        let held = Some("Terminating:Wait");
        assert_eq!(
            instance_state(99, 10, Some(11), None, held),
            Some("Terminating:Wait")
        );
        let out = Some("Terminating:Proceed");
        assert_eq!(
            instance_state(15, 10, Some(11), Some(20), out),
            Some("Terminating:Proceed")
        );
        assert_eq!(instance_state(20, 10, Some(11), Some(20), out), None);
    }

    #[test]
    fn ids_look_like_ec2() {
        let id = new_instance_id();
        assert_eq!(id.len(), 19);
        assert!(id[2..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(new_uuid().len(), 36);
    }
}
