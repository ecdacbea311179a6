//! Scheduled action rows: the JSON of the API's `ScheduledUpdateGroupAction` shape by owner, group
//! and name, with the action's next run beside it (`next_ms`, indexed: the timer engine asks
//! only for the earliest one), the schedule arithmetic (a Unix cron recurrence of five fields in
//! an IANA time zone, bounded by StartTime and EndTime) and running a due action.
//!
//! Why here: the handlers (`crate::server::ops::scheduled_actions`) write actions and compute
//! their first run; the timer engine (`crate::server::timers`) runs them when due and computes
//! the next one. Both need the same rows and the same arithmetic, so it lives in the row model.
//!
//! Crates: `croner` parses and evaluates the cron expression (configured for exactly five
//! fields: no seconds, no year) on `jiff`'s zoned times, which handle the DST gaps and folds;
//! `jiff` gives the IANA zones from its bundled database (compressed TZif bytes compiled in and
//! parsed on first use, so a schedule does not depend on the host's zoneinfo files, and a
//! process that never schedules pays nothing for the data at start-up: no tables to relocate).

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use jiff::tz::TimeZone;
use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::types::ScheduledUpdateGroupAction;
use crate::query::timestamp::Timestamp;
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::{self, timestamp};
use crate::server::ops::{Ctx, Settings};
use crate::server::rows::groups::{self, GroupRow};
use crate::server::store::Cached;

/// The most scheduled actions one group may have (AWS's quota: 125 per Auto Scaling group).
pub const MAX_PER_GROUP: i64 = 125;

/// How many due actions one engine pass runs (the rest run in the next pass, at once).
const DUE_BATCH: i64 = 100;

/// The process whose suspension stops scheduled actions (SuspendProcesses).
pub const PROCESS: &str = "ScheduledActions";

/// A stored scheduled action.
pub struct ActionRow {
    /// Its owner (the signing key).
    pub owner: String,
    /// Its group's name.
    pub group: String,
    /// Its name.
    pub name: String,
    /// The shape as Describe shows it (StartTime is the next run).
    pub doc: ScheduledUpdateGroupAction,
    /// When it runs next (epoch milliseconds); `None` when it never runs again.
    pub next_ms: Option<i64>,
}

type Raw = (String, String, String, String, Option<i64>);

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn row((owner, group, name, doc, next_ms): Raw) -> Result<ActionRow, ApiError> {
    Ok(ActionRow {
        owner,
        group,
        name,
        doc: serde_json::from_str(&doc)?,
        next_ms,
    })
}

/// The error for a scheduled action that does not exist (AWS's wording is not documented; this
/// names what was asked for).
pub fn not_found(name: &str) -> ApiError {
    ApiError::validation(format!(
        "Scheduled action name not found - ScheduledAction {} not found",
        shorten(name)
    ))
}

/// Loads one action of `group`.
pub fn load(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
    name: &str,
) -> Result<Option<ActionRow>, ApiError> {
    tx.query_row_cached(
        "SELECT owner, group_name, name, doc, next_ms FROM scheduled_actions \
         WHERE owner = ?1 AND group_name = ?2 AND name = ?3",
        params![owner, group, name],
        read,
    )
    .optional()?
    .map(row)
    .transpose()
}

/// Writes (inserts or replaces) an action of `group`, with its next run.
pub fn put(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
    doc: &ScheduledUpdateGroupAction,
    next_ms: Option<i64>,
) -> Result<(), ApiError> {
    tx.execute_cached(
        "INSERT INTO scheduled_actions (owner, group_name, name, doc, next_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (owner, group_name, name) DO UPDATE SET \
         doc = excluded.doc, next_ms = excluded.next_ms",
        params![
            owner,
            group,
            doc.scheduled_action_name.as_deref().unwrap_or(""),
            serde_json::to_string(doc)?,
            next_ms
        ],
    )?;
    Ok(())
}

/// Deletes one action; whether it existed.
pub fn delete(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
    name: &str,
) -> Result<bool, ApiError> {
    Ok(tx.execute_cached(
        "DELETE FROM scheduled_actions WHERE owner = ?1 AND group_name = ?2 AND name = ?3",
        params![owner, group, name],
    )? > 0)
}

/// How many actions `group` has.
pub fn count(tx: &Transaction<'_>, owner: &str, group: &str) -> Result<i64, ApiError> {
    Ok(tx.query_row_cached(
        "SELECT COUNT(*) FROM scheduled_actions WHERE owner = ?1 AND group_name = ?2",
        params![owner, group],
        |r| r.get(0),
    )?)
}

/// The owner's actions (of one group, or all), by group and name.
pub fn list(
    tx: &Transaction<'_>,
    owner: &str,
    group: Option<&str>,
) -> Result<Vec<ActionRow>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT owner, group_name, name, doc, next_ms FROM scheduled_actions WHERE owner = ?1 \
         AND (?2 IS NULL OR group_name = ?2) ORDER BY group_name, name",
    )?;
    let rows = stmt
        .query_map(params![owner, group], read)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(row).collect()
}

/// The earliest next run of any action of any owner (through the `next_ms` index).
pub fn earliest(tx: &Transaction<'_>) -> Result<Option<i64>, ApiError> {
    Ok(
        tx.query_row_cached("SELECT MIN(next_ms) FROM scheduled_actions", [], |r| {
            r.get(0)
        })?,
    )
}

/// The actions due at `now`, earliest first, at most [`DUE_BATCH`] of them.
fn due(tx: &Transaction<'_>, now: i64) -> Result<Vec<ActionRow>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT owner, group_name, name, doc, next_ms FROM scheduled_actions \
         WHERE next_ms IS NOT NULL AND next_ms <= ?1 ORDER BY next_ms LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![now, DUE_BATCH], read)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(row).collect()
}

/// Epoch milliseconds of a timestamp.
pub fn millis(t: &Timestamp) -> i64 {
    i64::try_from(t.0.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Parses a recurrence: Unix cron, exactly five fields (minute, hour, day of month, month, day
/// of week), as AWS documents it.
pub fn parse_recurrence(text: &str) -> Result<Cron, ApiError> {
    let fields = text.split_whitespace().count();
    let bad = |why: String| {
        ApiError::validation(format!(
            "Given recurrence is not a valid cron expression: {} ({why})",
            shorten(text)
        ))
    };
    if fields != 5 {
        return Err(bad(format!(
            "it has {fields} fields; the format is [Minute] [Hour] [Day_of_Month] \
             [Month_of_Year] [Day_of_Week]"
        )));
    }
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(text)
        .map_err(|e| bad(shorten(&e.to_string())))
}

/// Parses a time zone: an IANA name (`Etc/GMT+9`, `Pacific/Tahiti`), spelled exactly as the
/// database spells it (the lookup itself ignores case; AWS does not); UTC when absent.
pub fn parse_zone(name: Option<&str>) -> Result<TimeZone, ApiError> {
    let Some(name) = name else {
        return Ok(TimeZone::UTC);
    };
    jiff::tz::db()
        .get(name)
        .ok()
        .filter(|zone| zone.iana_name() == Some(name))
        .ok_or_else(|| {
            ApiError::validation(format!(
                "Given time zone is not valid: {}. Valid values are the canonical names of the \
                 IANA time zones, such as Etc/GMT+9 or Pacific/Tahiti.",
                shorten(name)
            ))
        })
}

/// The first occurrence of `cron` in `zone` strictly after `after_ms`, if any (and if before
/// `end_ms`, when given).
pub fn next_occurrence(
    cron: &Cron,
    zone: TimeZone,
    after_ms: i64,
    end_ms: Option<i64>,
) -> Option<i64> {
    let local = jiff::Timestamp::from_millisecond(after_ms)
        .ok()?
        .to_zoned(zone);
    let next = cron.find_next_occurrence(&local, false).ok()?;
    let ms = next.timestamp().as_millisecond();
    end_ms.is_none_or(|end| ms <= end).then_some(ms)
}

/// The next run of an action from its stored shape, strictly after `after_ms`: for a recurring
/// action, the next cron occurrence (in its zone) before its EndTime; a one-off action has no
/// next run once it has run.
pub fn next_after(doc: &ScheduledUpdateGroupAction, after_ms: i64) -> Option<i64> {
    let cron = parse_recurrence(doc.recurrence.as_deref()?).ok()?;
    let zone = parse_zone(doc.time_zone.as_deref()).ok()?;
    next_occurrence(&cron, zone, after_ms, doc.end_time.as_ref().map(millis))
}

/// Whether the group's `ScheduledActions` process is suspended (SuspendProcesses): then a due
/// action does not change the group; it still moves on to its next run, as on AWS.
pub fn suspended(group: &GroupRow) -> bool {
    super::groups::is_suspended(&group.doc, PROCESS)
}

/// Runs every action due at `now` (the timer engine's pass): each changes its group's sizes as
/// UpdateAutoScalingGroup would (unless the group's ScheduledActions process is suspended), then
/// moves to its next run; a one-off action, or a recurring one past its EndTime, is deleted, as
/// AWS deletes it. Each action runs in a savepoint of its own, so one that cannot apply (its
/// group's launch configuration gone) is skipped without undoing the others.
pub fn run_due(tx: &Transaction<'_>, settings: &Settings, now: i64) -> Result<(), ApiError> {
    for action in due(tx, now)? {
        tx.execute_batch("SAVEPOINT scheduled_action")?;
        let applied = apply(tx, settings, &action, now);
        if applied.is_err() {
            tx.execute_batch("ROLLBACK TO scheduled_action")?;
        }
        tx.execute_batch("RELEASE scheduled_action")?;
        let fired = action.next_ms.unwrap_or(now);
        match next_after(&action.doc, fired.max(now)) {
            Some(next) => {
                let mut doc = action.doc;
                doc.start_time = Some(timestamp(next));
                doc.time = Some(timestamp(next));
                put(tx, &action.owner, &action.group, &doc, Some(next))?;
            }
            None => {
                delete(tx, &action.owner, &action.group, &action.name)?;
            }
        }
    }
    Ok(())
}

/// Applies one action to its group: the sizes it names (the others kept), the desired capacity
/// brought within the new bounds, instances reconciled with an activity whose cause names the
/// scheduled action, as AWS words it.
fn apply(
    tx: &Transaction<'_>,
    settings: &Settings,
    action: &ActionRow,
    now: i64,
) -> Result<(), ApiError> {
    let Some(mut group) = groups::load(tx, &action.owner, &action.group)? else {
        return Ok(());
    };
    if suspended(&group) {
        return Ok(());
    }
    let doc = &action.doc;
    let min = doc.min_size.map(i64::from).unwrap_or(group.min);
    let max = doc.max_size.map(i64::from).unwrap_or(group.max);
    if min > max {
        return Err(ApiError::validation(format!(
            "The scheduled action {} would set the minimum size ({min}) above the maximum \
             size ({max}).",
            shorten(&action.name)
        )));
    }
    let desired = doc
        .desired_capacity
        .map(i64::from)
        .unwrap_or(group.desired)
        .clamp(min, max);
    groups::check_limit(desired)?;
    let before = group.desired;
    group.min = min;
    group.max = max;
    group.desired = desired;
    tx.execute_cached(
        "UPDATE groups SET min_size = ?3, max_size = ?4, desired = ?5 \
         WHERE owner = ?1 AND name = ?2",
        params![action.owner, group.name, min, max, desired],
    )?;
    lifecycle::sweep(tx, now)?;
    let ctx = Ctx {
        owner: &action.owner,
        now,
        settings,
    };
    groups::reconcile(
        &ctx,
        tx,
        &group,
        &format!(
            "a scheduled action update of AutoScalingGroup constraints to min: {min}, max: \
             {max}, desired: {desired} changing the desired capacity from {before} to {desired}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recurrences_are_five_field_cron() {
        assert!(parse_recurrence("30 0 1 1,6,12 *").is_ok());
        assert!(parse_recurrence("*/5 * * * *").is_ok());
        assert!(parse_recurrence("0 0 * * * *").is_err());
        assert!(parse_recurrence("0 25 * * *").is_err());
        assert!(parse_recurrence("hello").is_err());
        assert!(parse_recurrence("").is_err());
    }

    #[test]
    fn occurrences_follow_the_zone() {
        // 2024-01-15T00:00:00Z; 09:00 in Tokyo (UTC+9) is 00:00 UTC, so the next is a day on.
        let start = 1_705_276_800_000;
        let cron = parse_recurrence("0 9 * * *").unwrap_or_else(|e| panic!("{}", e.message));
        let tokyo = parse_zone(Some("Asia/Tokyo")).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(
            next_occurrence(&cron, tokyo, start, None),
            Some(start + 24 * 3600 * 1000)
        );
        assert_eq!(
            next_occurrence(&cron, TimeZone::UTC, start, None),
            Some(start + 9 * 3600 * 1000)
        );
        assert_eq!(
            next_occurrence(&cron, TimeZone::UTC, start, Some(start + 1000)),
            None
        );
        assert!(parse_zone(Some("Mars/Olympus")).is_err());
    }

    #[test]
    fn zone_names_are_iana_names_as_spelled() {
        for name in [
            "Etc/UTC",
            "UTC",
            "America/New_York",
            "Etc/GMT+9",
            "Pacific/Tahiti",
        ] {
            assert!(parse_zone(Some(name)).is_ok(), "{name}");
        }
        for name in [
            "america/new_york",
            "ETC/UTC",
            "",
            "EST5EDT,M3.2.0,M11.1.0",
            "+09:00",
        ] {
            assert!(parse_zone(Some(name)).is_err(), "{name}");
        }
    }

    #[test]
    fn occurrences_cross_daylight_saving_changes() {
        let cron = parse_recurrence("0 9 * * *").unwrap_or_else(|e| panic!("{}", e.message));
        let york =
            || parse_zone(Some("America/New_York")).unwrap_or_else(|e| panic!("{}", e.message));
        let hour = 3600 * 1000;
        // 2024-03-09T15:00:00Z is 10:00 EST; clocks go forward on the 10th, so 09:00 EDT that
        // day is 13:00 UTC, 22 hours on (not 23 as it would be without the change).
        let before_spring = 1_709_996_400_000;
        assert_eq!(
            next_occurrence(&cron, york(), before_spring, None),
            Some(before_spring + 22 * hour)
        );
        // 2024-11-02T14:00:00Z is 10:00 EDT; clocks go back on the 3rd, so 09:00 EST is
        // 14:00 UTC, 24 hours on; the day after, 09:00 EST again (another 24).
        let before_autumn = 1_730_556_000_000;
        let first = next_occurrence(&cron, york(), before_autumn, None);
        assert_eq!(first, Some(before_autumn + 24 * hour));
        assert_eq!(
            next_occurrence(&cron, york(), before_autumn + 24 * hour, None),
            Some(before_autumn + 48 * hour)
        );
        // A time in the fold (01:30 happens twice on 2024-11-03) runs once, at the first.
        let fold = parse_recurrence("30 1 3 11 *").unwrap_or_else(|e| panic!("{}", e.message));
        // 2024-11-03T05:30:00Z is 01:30 EDT, the first of the two.
        assert_eq!(
            next_occurrence(&fold, york(), before_autumn, None),
            Some(1_730_611_800_000)
        );
    }
}
