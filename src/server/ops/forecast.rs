//! GetPredictiveScalingForecast: an hourly capacity and load forecast for a predictive scaling
//! policy, made from the group's own capacity history.
//!
//! AWS forecasts from two weeks of CloudWatch load data; this endpoint has no CloudWatch, so the
//! history is the group's capacity as its scaling activities record it (issue 13: "a forecast from
//! the group's own capacity history"). The method (wsdl-notes/server.md):
//! 1. The capacity at any past moment is rebuilt backwards from the capacity now (instances
//!    neither terminating nor in standby), undoing each activity after that moment: a launch,
//!    an attach or a return from standby added one instance; a termination, a detach or a move to
//!    standby took one away. Activities are kept six weeks, so two weeks are always there.
//! 2. The capacity forecast for an hour H is the mean of the capacity at the same time of day on
//!    each of the 14 days before H (those at or after the group's creation and not after now),
//!    rounded up, within [MinSize, MaxSize] (past MaxSize when the policy's
//!    `MaxCapacityBreachBehavior` is `IncreaseMaxCapacity`). With no such day yet (a group younger than a day),
//!    the latest capacity known before H stands in: AWS needs 24 hours of data before its first
//!    forecast, here the forecast starts at once.
//! 3. The load forecast, one per metric specification of the policy, is the capacity forecast
//!    times that specification's `TargetValue`: the load the forecast capacity carries at the
//!    target utilisation.
//!
//! The hours run from StartTime (rounded up to the hour) to before EndTime, and no further than
//! two days after now (AWS: "Amazon EC2 Auto Scaling only issues forecasts for periods of two days
//! in advance"). `UpdateTime` is the start of the current hour. Refusals: the time range as AWS
//! documents it (StartTime at most one year before now, EndTime after StartTime and at most 30
//! days after it), a policy that does not exist (the policies' own text), and one that is not
//! PredictiveScaling; the texts are ours (AWS's reference gives none).

use rusqlite::{Transaction, params};

use crate::autoscaling::types::{
    CapacityForecast, GetPredictiveScalingForecastInput, GetPredictiveScalingForecastOutput,
    LoadForecast,
};
use crate::query::timestamp::Timestamp;
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::timestamp;
use crate::server::ops::{Ctx, Handle};
use crate::server::rows::{groups, policies, warm_pools};

const HOUR_MS: i64 = 3600 * 1000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// How many days back the forecast looks.
const HISTORY_DAYS: i64 = 14;

/// How far ahead forecasts are issued (AWS: two days).
const AHEAD_MS: i64 = 2 * DAY_MS;

/// The longest time range one call may ask for (AWS: 30 days).
const MAX_RANGE_MS: i64 = 30 * DAY_MS;

/// How far back StartTime may be (AWS: one year).
const MAX_BACK_MS: i64 = 365 * DAY_MS;

fn millis(t: &Timestamp) -> i64 {
    i64::try_from(t.0.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MIN / 4)
}

/// What one activity did to the group's capacity, from its description (a warm pool's own
/// launches and terminations leave it as it is; a return to the pool takes one away).
fn delta(description: &str) -> i64 {
    if description.starts_with(warm_pools::INTO_POOL)
        || description.starts_with(warm_pools::OUT_OF_POOL)
    {
        return 0;
    }
    const UP: &[&str] = &[
        "Launching a new EC2 instance",
        "Attaching an existing EC2 instance",
        "Moving EC2 instance out of Standby",
    ];
    const DOWN: &[&str] = &[
        "Terminating EC2 instance",
        "Detaching EC2 instance",
        "Moving EC2 instance to Standby",
        warm_pools::BACK_TO_POOL,
    ];
    if UP.iter().any(|p| description.starts_with(p)) {
        1
    } else if DOWN.iter().any(|p| description.starts_with(p)) {
        -1
    } else {
        0
    }
}

/// The capacity history: the capacity now, and each change with its time (ascending).
struct History {
    now_capacity: i64,
    changes: Vec<(i64, i64)>,
    created_ms: i64,
    now: i64,
}

impl History {
    /// The capacity at `t` (not after now): the capacity now with every later change undone.
    fn at(&self, t: i64) -> i64 {
        let later: i64 = self
            .changes
            .iter()
            .filter(|(when, _)| *when > t)
            .map(|(_, d)| d)
            .sum();
        (self.now_capacity - later).max(0)
    }

    /// The capacity forecast for the hour starting at `hour`, before the [min, max] bound.
    fn forecast(&self, hour: i64) -> i64 {
        let samples: Vec<i64> = (1..=HISTORY_DAYS)
            .map(|k| hour - k * DAY_MS)
            .filter(|t| *t >= self.created_ms && *t <= self.now)
            .map(|t| self.at(t))
            .collect();
        if samples.is_empty() {
            return self.at(hour.min(self.now));
        }
        let sum: i64 = samples.iter().sum();
        let n = samples.len() as i64;
        (sum + n - 1) / n
    }
}

/// `GetPredictiveScalingForecast`.
impl Handle for GetPredictiveScalingForecastInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<GetPredictiveScalingForecastOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let policy = policies::find(tx, ctx.owner, Some(&group.name), &self.policy_name)?
            .ok_or_else(|| policies::not_found(&self.policy_name))?;
        let policy_type = policy.doc.policy_type.as_deref().unwrap_or("SimpleScaling");
        if policy_type != "PredictiveScaling" {
            return Err(ApiError::validation(format!(
                "Policy {} is of type {policy_type}: forecasts exist only for a \
                 PredictiveScaling policy.",
                shorten(&policy.name)
            )));
        }
        let (start, end) = (millis(&self.start_time), millis(&self.end_time));
        if start < ctx.now - MAX_BACK_MS {
            return Err(ApiError::validation(
                "StartTime must be at most one year before the current time.",
            ));
        }
        if end <= start {
            return Err(ApiError::validation("EndTime must be after StartTime."));
        }
        if end - start > MAX_RANGE_MS {
            return Err(ApiError::validation(
                "The time range from StartTime to EndTime must be at most 30 days.",
            ));
        }
        let history = history(ctx, tx, &group)?;
        let first = start.div_euclid(HOUR_MS) * HOUR_MS;
        let first = if first < start {
            first + HOUR_MS
        } else {
            first
        };
        let last = end.min(ctx.now + AHEAD_MS + 1);
        let hours: Vec<i64> = (0..)
            .map(|k| first + k * HOUR_MS)
            .take_while(|h| *h < last)
            .collect();
        let config = policy.doc.predictive_scaling_configuration;
        // HonorMaxCapacity (the default) keeps the forecast within MaxSize; IncreaseMaxCapacity
        // lets it pass MaxSize, as AWS then raises the maximum for the forecast.
        let upper = match config
            .as_ref()
            .and_then(|c| c.max_capacity_breach_behavior.as_deref())
        {
            Some("IncreaseMaxCapacity") => i64::MAX,
            _ => group.max.max(group.min),
        };
        let capacity: Vec<f64> = hours
            .iter()
            .map(|h| history.forecast(*h).clamp(group.min, upper) as f64)
            .collect();
        let stamps: Vec<Timestamp> = hours.iter().map(|h| timestamp(*h)).collect();
        let specs = config
            .and_then(|c| c.metric_specifications)
            .unwrap_or_default();
        let load_forecast = specs
            .into_iter()
            .map(|spec| {
                let target = spec.target_value.unwrap_or(0.0);
                LoadForecast {
                    timestamps: Some(stamps.clone()),
                    values: Some(capacity.iter().map(|c| c * target).collect()),
                    metric_specification: Some(spec),
                }
            })
            .collect();
        Ok(GetPredictiveScalingForecastOutput {
            load_forecast: Some(load_forecast),
            capacity_forecast: Some(CapacityForecast {
                timestamps: Some(stamps),
                values: Some(capacity),
            }),
            update_time: Some(timestamp(ctx.now.div_euclid(HOUR_MS) * HOUR_MS)),
        })
    }
}

/// The group's capacity history from its activities.
fn history(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &groups::GroupRow,
) -> Result<History, ApiError> {
    let now_capacity: i64 = tx.query_row(
        "SELECT COUNT(*) FROM instances WHERE owner = ?1 AND group_name = ?2 \
         AND terminating_ms IS NULL AND standby = 0",
        params![ctx.owner, group.name],
        |r| r.get(0),
    )?;
    let mut stmt = tx.prepare_cached(
        "SELECT description, start_ms FROM activities WHERE owner = ?1 AND group_name = ?2 \
         ORDER BY start_ms, seq",
    )?;
    let changes = stmt
        .query_map(params![ctx.owner, group.name], |r| {
            Ok((r.get::<_, i64>(1)?, delta(&r.get::<_, String>(0)?)))
        })?
        .filter(|c| !matches!(c, Ok((_, 0))))
        .collect::<Result<Vec<_>, _>>()?;
    let created_ms = group
        .doc
        .created_time
        .as_ref()
        .map(millis)
        .unwrap_or(ctx.now);
    Ok(History {
        now_capacity,
        changes,
        created_ms,
        now: ctx.now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_move_capacity() {
        assert_eq!(delta("Launching a new EC2 instance: i-1"), 1);
        assert_eq!(delta("Attaching an existing EC2 instance: i-1"), 1);
        assert_eq!(delta("Moving EC2 instance out of Standby: i-1"), 1);
        assert_eq!(delta("Terminating EC2 instance: i-1"), -1);
        assert_eq!(delta("Moving EC2 instance to Standby: i-1"), -1);
        assert_eq!(delta("Detaching EC2 instance: i-1"), -1);
        assert_eq!(delta("Something else"), 0);
        assert_eq!(delta("Launching a new EC2 instance from warm pool: i-1"), 1);
        assert_eq!(delta("Launching a new EC2 instance into warm pool: i-1"), 0);
        assert_eq!(delta("Terminating EC2 instance in warm pool: i-1"), 0);
        assert_eq!(delta("Returning EC2 instance to warm pool: i-1"), -1);
    }

    #[test]
    fn the_forecast_repeats_the_daily_pattern() {
        // Created 3 days ago with 2 instances; every day at 12:00 two more launch and at 14:00
        // they end. Now is day 3, 00:00; the capacity now is 2.
        let day0 = 100 * DAY_MS;
        let mut changes = vec![(day0, 1), (day0, 1)];
        for d in 0..3 {
            let noon = day0 + d * DAY_MS + 12 * HOUR_MS;
            changes.extend([(noon, 1), (noon, 1)]);
            let two = noon + 2 * HOUR_MS;
            changes.extend([(two, -1), (two, -1)]);
        }
        let h = History {
            now_capacity: 2,
            changes,
            created_ms: day0,
            now: day0 + 3 * DAY_MS,
        };
        assert_eq!(h.at(day0 + 12 * HOUR_MS + 1), 4);
        assert_eq!(h.at(day0 + 15 * HOUR_MS), 2);
        let tomorrow = day0 + 3 * DAY_MS;
        // At 12:00 and 13:00 the three days before saw 4 instances (a sample at 12:00 sees the
        // capacity just after the change at 12:00); at 11:00, 14:00 and 15:00, 2.
        assert_eq!(h.forecast(tomorrow + 11 * HOUR_MS), 2);
        assert_eq!(h.forecast(tomorrow + 12 * HOUR_MS), 4);
        assert_eq!(h.forecast(tomorrow + 13 * HOUR_MS), 4);
        assert_eq!(h.forecast(tomorrow + 14 * HOUR_MS), 2);
        assert_eq!(h.forecast(tomorrow + 15 * HOUR_MS), 2);
        // Only one of the days had the peak at 20:00: the mean (2+2+4)/3 rounds up to 3.
        let mut h = h;
        let peak = day0 + 2 * DAY_MS + 20 * HOUR_MS;
        h.changes.extend([
            (peak, 1),
            (peak, 1),
            (peak + HOUR_MS, -1),
            (peak + HOUR_MS, -1),
        ]);
        h.changes.sort();
        assert_eq!(h.forecast(tomorrow + 20 * HOUR_MS), 3);
        // A young group: the latest capacity stands in.
        let young = History {
            now_capacity: 3,
            changes: vec![(5, 1), (5, 1), (5, 1)],
            created_ms: 0,
            now: 10,
        };
        assert_eq!(young.forecast(HOUR_MS), 3);
    }
}
