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
//! Capacity is reconciled eagerly, inside the transaction that changes it ([`reconcile`]): a group
//! always has exactly `desired` instances that are not terminating, and one activity per launch or
//! termination records why. A group keeps six weeks of activities, at most
//! [`MAX_ACTIVITIES_PER_GROUP`] of them ([`prune_activities`], run as activities are written).

use crate::server::store::Cached;
use rusqlite::{Transaction, params};

use crate::autoscaling::types::Activity;
use crate::query::timestamp::Timestamp;
use crate::server::fault::ApiError;

/// Timing and naming settings the lifecycle needs.
#[derive(Debug, Clone)]
pub struct Timing {
    /// How long a new instance stays `Pending`, in milliseconds.
    pub launch_delay_ms: i64,
    /// How long a terminated instance stays `Terminating`, in milliseconds.
    pub terminate_delay_ms: i64,
}

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

/// The lifecycle state of an instance at `now`, or `None` once it is gone.
pub fn instance_state(
    now: i64,
    ready_ms: i64,
    terminating_ms: Option<i64>,
    gone_ms: Option<i64>,
) -> Option<&'static str> {
    match (terminating_ms, gone_ms) {
        (_, Some(gone)) if now >= gone => None,
        (Some(_), _) | (_, Some(_)) => Some("Terminating"),
        (None, None) if now < ready_ms => Some("Pending"),
        (None, None) => Some("InService"),
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
    /// Whether instances launched now are protected from scale-in
    /// (`NewInstancesProtectedFromScaleIn`).
    pub protect: bool,
}

/// Launches or terminates instances so that the group has exactly `desired` instances that are
/// not terminating, recording one activity per change. `reason` opens each activity's cause.
pub fn reconcile(
    tx: &Transaction<'_>,
    timing: &Timing,
    group: &GroupFacts<'_>,
    now: i64,
    reason: &str,
) -> Result<(), ApiError> {
    let live: Vec<(String, bool)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, protected FROM instances WHERE owner = ?1 AND group_name = ?2 \
             AND terminating_ms IS NULL ORDER BY launched_ms DESC, id",
        )?;
        let rows = stmt.query_map(params![group.owner, group.name], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let have = live.len() as i64;
    let when = timestamp(now);
    if have < group.desired {
        for n in have..group.desired {
            let id = new_instance_id();
            let ready = now + timing.launch_delay_ms;
            tx.execute_cached(
                "INSERT INTO instances (id, owner, group_name, zone, lc_name, instance_type, \
                 image_id, launched_ms, ready_ms, protected) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    id,
                    group.owner,
                    group.name,
                    group.zone,
                    group.lc_name,
                    group.instance_type,
                    group.image_id,
                    now,
                    ready,
                    group.protect
                ],
            )?;
            record_one(
                tx,
                group,
                &format!("Launching a new EC2 instance: {id}"),
                &format!(
                    "At {when} {reason}. At {when} an instance was started in response to a \
                     difference between desired and actual capacity, increasing the capacity \
                     from {n} to {}.",
                    n + 1
                ),
                now,
                ready,
            )?;
        }
    } else {
        // Scale-in never picks a protected instance (AWS: the group then stays above its
        // desired capacity until protection is removed).
        for (n, (id, _)) in live
            .iter()
            .filter(|(_, protected)| !protected)
            .take((have - group.desired) as usize)
            .enumerate()
        {
            terminate(tx, timing, group, id, now)?;
            let from = have - n as i64;
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
                now + timing.terminate_delay_ms,
            )?;
        }
    }
    prune_activities(tx, group, now)
}

/// Marks one instance `Terminating` from `now`.
pub fn terminate(
    tx: &Transaction<'_>,
    timing: &Timing,
    group: &GroupFacts<'_>,
    id: &str,
    now: i64,
) -> Result<(), ApiError> {
    tx.execute_cached(
        "UPDATE instances SET terminating_ms = ?1, gone_ms = ?2 WHERE id = ?3 AND owner = ?4",
        params![now, now + timing.terminate_delay_ms, id, group.owner],
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
    let done = now >= end_ms;
    Activity {
        activity_id: Some(id),
        auto_scaling_group_name: Some(group_name),
        description: Some(description),
        cause: Some(cause),
        start_time: Some(timestamp(start_ms)),
        end_time: done.then(|| timestamp(end_ms)),
        status_code: Some(if done { "Successful" } else { "InProgress" }.to_string()),
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
        assert_eq!(instance_state(5, 10, None, None), Some("Pending"));
        assert_eq!(instance_state(10, 10, None, None), Some("InService"));
        assert_eq!(
            instance_state(12, 10, Some(11), Some(20)),
            Some("Terminating")
        );
        assert_eq!(instance_state(20, 10, Some(11), Some(20)), None);
    }

    #[test]
    fn ids_look_like_ec2() {
        let id = new_instance_id();
        assert_eq!(id.len(), 19);
        assert!(id[2..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(new_uuid().len(), 36);
    }
}
