//! Instance refreshes: their rows and the engine that replaces a group's instances in batches.
//!
//! A refresh (`instance_refreshes`: owner, group, id, start time, whether it is active, the next
//! time it must act, `next_ms`, indexed, and the JSON of a [`Refresh`]: the API's
//! `InstanceRefresh` shape as Describe shows it plus the engine's own bookkeeping) belongs to its
//! group (a trigger deletes it with the group). At most one per group is active (Pending,
//! InProgress, Baking, Cancelling, RollbackInProgress).
//!
//! How it moves ([`advance`]): each step looks at the group's instances at the step's time and
//! (1) finds the ones still to replace (launched before the phase began and, with SkipMatching or
//! in a rollback, not of the target configuration; protected and Standby ones as the preferences
//! say), (2) counts the healthy ones (`InService`, `Healthy`, and, if launched during the
//! phase, past the warm-up), (3) terminates as many old ones as keep that count at or above
//! MinHealthyPercentage of the desired capacity (paced to the next checkpoint), and (4) lets the
//! group's reconcile launch the replacements, with the desired configuration and, when
//! MaxHealthyPercentage leaves room above 100 %, a surplus over the desired capacity so new
//! instances start before old ones go ([`during`] is the hook `rows::groups::reconcile` asks;
//! the total never exceeds MaxHealthyPercentage). It then stores when it must look again: the
//! end of the earliest warm-up, checkpoint delay, bake time or one-hour wait. The timer engine
//! (`crate::server::timers`) runs due steps; a reconcile of the group from any request (a resume
//! of a suspended process, a protection removed, an instance back from Standby) brings the next
//! step forward to now ([`nudge`]); Describe runs a due step itself before it answers, so what it
//! shows does not depend on the engine's latency. Everything is eager inside the transaction
//! that acts, as the rest of the lifecycle is.
//!
//! Times (warm-up, checkpoint delay, bake time, the one-hour wait for protected or Standby
//! instances) are AWS's seconds multiplied by `Timing::refresh_time_scale` (1 unless `phantom
//! serve --refresh-time-scale` says otherwise: a testing aid).

use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use crate::autoscaling::types::{
    InstanceRefresh, LaunchTemplateSpecification, MixedInstancesPolicy, RefreshPreferences,
    RollbackDetails,
};
use crate::server::ec2::rows as ec2_rows;
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::{self, instance_state, timestamp};
use crate::server::ops::{Ctx, Settings};
use crate::server::rows::groups::{self, GroupRow};
use crate::server::store::Cached;

/// The statuses of a refresh that is still acting.
pub const ACTIVE: &[&str] = &[
    "Pending",
    "InProgress",
    "Baking",
    "Cancelling",
    "RollbackInProgress",
];

/// The statuses a refresh can be rolled back from.
pub const REVERSIBLE: &[&str] = &["Pending", "InProgress", "Baking"];

/// How long Describe lists a refresh: six weeks, as AWS documents.
const RETENTION_MS: i64 = 42 * 24 * 3600 * 1000;

/// How long the engine waits before looking again at an instance whose readiness no stored time
/// tells (one held in `Pending:Wait` by a lifecycle hook).
const POLL_MS: i64 = 1000;

/// How many due refreshes one engine pass steps.
const DUE_BATCH: i64 = 100;

/// The configuration a group had when the refresh started (what a rollback returns to).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Previous {
    /// The launch configuration as the caller gave it (`''`: a template group).
    pub lc_given: String,
    /// The stored launch configuration.
    pub lc_ref: String,
    /// Its LaunchTemplate.
    pub launch_template: Option<LaunchTemplateSpecification>,
    /// Its MixedInstancesPolicy.
    pub mixed_instances_policy: Option<MixedInstancesPolicy>,
}

/// A stored refresh: what Describe shows and what the engine keeps.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Refresh {
    /// The API's shape, as Describe shows it.
    pub view: InstanceRefresh,
    /// The group's configuration at the start.
    pub previous: Previous,
    /// Whether MaxHealthyPercentage was given (AWS: explicitly 100 is not the same as omitted).
    pub explicit_max: bool,
    /// The warm-up, milliseconds (scaled).
    pub warmup_ms: i64,
    /// When the current phase (the refresh, or its rollback) began.
    pub phase_start_ms: i64,
    /// How many instances the phase replaces (counted at its first step).
    pub total: Option<i64>,
    /// How many checkpoints have been passed.
    pub checkpoints_done: usize,
    /// The end of the checkpoint delay being waited.
    pub pause_until: Option<i64>,
    /// Since when protected or Standby instances are waited for.
    pub wait_since: Option<i64>,
    /// The end of the bake time.
    pub bake_until: Option<i64>,
    /// Instances above the desired capacity the group may have now (MaxHealthyPercentage).
    pub surplus: i64,
    /// Whether this is the rollback phase.
    pub rolling_back: bool,
}

impl Refresh {
    /// The refresh's status.
    pub fn status(&self) -> &str {
        self.view.status.as_deref().unwrap_or("")
    }

    fn set_status(&mut self, status: &str, reason: Option<String>) {
        self.view.status = Some(status.to_string());
        self.view.status_reason = reason;
    }

    fn prefs(&self) -> RefreshPreferences {
        self.view.preferences.clone().unwrap_or_default()
    }
}

/// AWS's seconds in this endpoint's milliseconds: scaled by `--refresh-time-scale`.
pub fn scaled(settings: &Settings, seconds: i64) -> i64 {
    let ms = seconds as f64 * 1000.0 * settings.timing.refresh_time_scale;
    if ms.is_finite() {
        ms.round().clamp(0.0, (i64::MAX / 4) as f64) as i64
    } else {
        i64::MAX / 4
    }
}

/// `ActiveInstanceRefreshNotFound` (400), in the model's words with the group named.
pub fn not_active(group: &str) -> ApiError {
    ApiError::with_status(
        400,
        "ActiveInstanceRefreshNotFound",
        format!(
            "The request failed because an active instance refresh or rollback for the specified \
             Auto Scaling group was not found: {}",
            shorten(group)
        ),
    )
}

/// `InstanceRefreshInProgress` (400), in the model's words with the group named.
pub fn in_progress(group: &str) -> ApiError {
    ApiError::with_status(
        400,
        "InstanceRefreshInProgress",
        format!(
            "The request failed because an active instance refresh already exists for the \
             specified Auto Scaling group: {}",
            shorten(group)
        ),
    )
}

/// `IrreversibleInstanceRefresh` (400): `why` says which of AWS's cases it is.
pub fn irreversible(why: &str) -> ApiError {
    ApiError::with_status(
        400,
        "IrreversibleInstanceRefresh",
        format!(
            "The request failed because a desired configuration was not found or an \
             incompatible launch template or launch template version ($Latest or $Default) is \
             present on the Auto Scaling group: {why}"
        ),
    )
}

/// The group's active refresh, if any.
pub fn active(tx: &Transaction<'_>, owner: &str, group: &str) -> Result<Option<Refresh>, ApiError> {
    let doc: Option<(String, Option<i64>)> = tx
        .query_row_cached(
            "SELECT doc, next_ms FROM instance_refreshes WHERE owner = ?1 AND group_name = ?2 \
             AND active = 1",
            params![owner, group],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match doc {
        Some((doc, _)) => Some(serde_json::from_str(&doc)?),
        None => None,
    })
}

/// Writes a refresh with the time of its next step (`None`: only a nudge or a request moves it).
pub fn save(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
    refresh: &Refresh,
    next_ms: Option<i64>,
) -> Result<(), ApiError> {
    let id = refresh.view.instance_refresh_id.as_deref().unwrap_or("");
    let start = refresh
        .view
        .start_time
        .as_ref()
        .map(|t| (t.0.unix_timestamp_nanos() / 1_000_000) as i64)
        .unwrap_or(0);
    let active = ACTIVE.contains(&refresh.status());
    tx.execute_cached(
        "INSERT OR REPLACE INTO instance_refreshes (owner, group_name, id, start_ms, active, \
         next_ms, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            owner,
            group,
            id,
            start,
            active,
            if active { next_ms } else { None },
            serde_json::to_string(refresh)?
        ],
    )?;
    Ok(())
}

/// The group's refreshes of the past six weeks, newest first, each with its paging key (which
/// sorts ascending in that order). Older ones are deleted.
pub fn list(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
    now: i64,
) -> Result<Vec<(String, InstanceRefresh)>, ApiError> {
    tx.execute_cached(
        "DELETE FROM instance_refreshes WHERE owner = ?1 AND group_name = ?2 AND active = 0 \
         AND start_ms < ?3",
        params![owner, group, now.saturating_sub(RETENTION_MS)],
    )?;
    let mut stmt = tx.prepare_cached(
        "SELECT id, start_ms, doc FROM instance_refreshes WHERE owner = ?1 AND group_name = ?2 \
         ORDER BY start_ms DESC, id",
    )?;
    let rows = stmt
        .query_map(params![owner, group], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, start, doc)| {
            let refresh: Refresh = serde_json::from_str(&doc)?;
            Ok((
                format!("{:020}:{id}", i64::MAX - start.max(0)),
                refresh.view,
            ))
        })
        .collect()
}

/// Runs the group's active refresh's step if it is due at the request's time (Describe asks
/// this first).
pub fn catch_up(ctx: &Ctx<'_>, tx: &Transaction<'_>, group: &str) -> Result<(), ApiError> {
    let due: Option<String> = tx
        .query_row_cached(
            "SELECT doc FROM instance_refreshes WHERE owner = ?1 AND group_name = ?2 \
             AND active = 1 AND next_ms <= ?3",
            params![ctx.owner, group, ctx.now],
            |r| r.get(0),
        )
        .optional()?;
    let Some(doc) = due else {
        return Ok(());
    };
    let refresh: Refresh = serde_json::from_str(&doc)?;
    step_guarded(ctx, tx, group, refresh)
}

/// Brings the group's active refresh's next step forward to now (a reconcile of the group may
/// have changed what it waits for) and wakes the engine. One indexed update.
pub fn nudge(ctx: &Ctx<'_>, tx: &Transaction<'_>, group: &str) -> Result<(), ApiError> {
    let changed = tx.execute_cached(
        "UPDATE instance_refreshes SET next_ms = ?3 WHERE owner = ?1 AND group_name = ?2 \
         AND active = 1 AND (next_ms IS NULL OR next_ms > ?3)",
        params![ctx.owner, group, ctx.now],
    )?;
    if changed > 0 {
        ctx.settings.timers.wake();
    }
    Ok(())
}

/// The group as its reconcile should see it while a refresh acts: the desired capacity plus the
/// refresh's surplus, and, while a refresh with a DesiredConfiguration replaces instances, that
/// configuration (so replacements launch from it). `None`: the group as stored.
pub fn during(
    tx: &Transaction<'_>,
    owner: &str,
    group: &GroupRow,
) -> Result<Option<GroupRow>, ApiError> {
    let Some(refresh) = active(tx, owner, &group.name)? else {
        return Ok(None);
    };
    let replacing = matches!(refresh.status(), "Pending" | "InProgress");
    let config = refresh
        .view
        .desired_configuration
        .as_ref()
        .filter(|_| replacing && !refresh.rolling_back);
    if refresh.surplus == 0 && config.is_none() {
        return Ok(None);
    }
    let mut doc = group.doc.clone();
    let (mut lc_given, mut lc_ref) = (group.lc_given.clone(), group.lc_ref.clone());
    if let Some(config) = config {
        doc.launch_template = config.launch_template.clone();
        doc.mixed_instances_policy = config.mixed_instances_policy.clone();
        doc.launch_configuration_name = None;
        lc_given.clear();
        lc_ref.clear();
    }
    Ok(Some(GroupRow {
        name: group.name.clone(),
        lc_given,
        lc_ref,
        site: group.site.clone(),
        min: group.min,
        max: group.max,
        desired: group.desired + refresh.surplus.max(0),
        doc,
    }))
}

/// Steps every refresh due at `now` (the timer engine's source).
pub fn run_due(tx: &Transaction<'_>, settings: &Settings, now: i64) -> Result<(), ApiError> {
    let due: Vec<(String, String, String)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT owner, group_name, doc FROM instance_refreshes WHERE next_ms <= ?1 \
             ORDER BY next_ms LIMIT ?2",
        )?;
        stmt.query_map(params![now, DUE_BATCH], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?
    };
    for (owner, group, doc) in due {
        let ctx = Ctx {
            owner: &owner,
            now,
            settings,
        };
        let refresh: Refresh = serde_json::from_str(&doc)?;
        step_guarded(&ctx, tx, &group, refresh)?;
    }
    Ok(())
}

/// The earliest next step of any refresh (one index lookup).
pub fn earliest(tx: &Transaction<'_>) -> Result<Option<i64>, ApiError> {
    Ok(
        tx.query_row_cached("SELECT MIN(next_ms) FROM instance_refreshes", [], |r| {
            r.get(0)
        })?,
    )
}

/// One step inside a savepoint: a step that fails (a template version deleted, a launch that
/// cannot be planned) changes nothing and fails the refresh with the error's message (rolling
/// it back when AutoRollback asks).
fn step_guarded(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &str,
    refresh: Refresh,
) -> Result<(), ApiError> {
    let Some(row) = groups::load(tx, ctx.owner, group)? else {
        // The group's trigger deletes its refreshes; a row left without one must not stay due.
        tx.execute_cached(
            "DELETE FROM instance_refreshes WHERE owner = ?1 AND group_name = ?2",
            params![ctx.owner, group],
        )?;
        return Ok(());
    };
    tx.execute_batch("SAVEPOINT refresh_step")?;
    match advance(ctx, tx, &row, refresh.clone()) {
        Ok(()) => {
            tx.execute_batch("RELEASE refresh_step")?;
            Ok(())
        }
        Err(e) => {
            tx.execute_batch("ROLLBACK TO refresh_step")?;
            tx.execute_batch("RELEASE refresh_step")?;
            fail(ctx, tx, &row, refresh, &e.message)
        }
    }
}

/// Starts a refresh just written as `Pending`: its first step runs now.
pub fn begin(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    refresh: Refresh,
) -> Result<(), ApiError> {
    save(tx, ctx.owner, &group.name, &refresh, Some(ctx.now))?;
    advance(ctx, tx, group, refresh)
}

/// Acts on a refresh at the request's time and stores it with its next step.
pub fn advance(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    mut refresh: Refresh,
) -> Result<(), ApiError> {
    let now = ctx.now;
    let next = match refresh.status() {
        "Cancelling" => cancelling(ctx, tx, group, &mut refresh)?,
        "Baking" => match refresh.bake_until {
            Some(until) if now < until => Some(until),
            _ => {
                succeed(ctx, tx, group, &mut refresh)?;
                None
            }
        },
        "Pending" | "InProgress" | "RollbackInProgress" => replace(ctx, tx, group, &mut refresh)?,
        _ => None,
    };
    save(tx, ctx.owner, &group.name, &refresh, next)?;
    if next.is_some() {
        ctx.settings.timers.wake();
    }
    Ok(())
}

/// An instance of the group as a step weighs it.
struct Member {
    id: String,
    launched_ms: i64,
    ready_ms: i64,
    terminating: bool,
    gone_ms: Option<i64>,
    standby: bool,
    protected: bool,
    healthy: bool,
    lc_name: String,
    lt_id: String,
    lt_version: String,
    phase: Option<String>,
}

impl Member {
    fn state(&self, now: i64) -> Option<&'static str> {
        let terminating = self.terminating.then_some(self.launched_ms);
        instance_state(
            now,
            self.ready_ms,
            terminating,
            self.gone_ms,
            self.phase.as_deref(),
        )
    }
}

/// The group's instances that are not gone at `now`.
fn members(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
    now: i64,
) -> Result<Vec<Member>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT i.id, i.launched_ms, i.ready_ms, i.terminating_ms IS NOT NULL, i.gone_ms, \
         i.standby, i.protected, i.health, i.lc_name, COALESCE(e.lt_id, ''), \
         COALESCE(e.lt_version, ''), i.hook_phase \
         FROM instances i LEFT JOIN ec2_instances e ON e.id = i.id \
         WHERE i.owner = ?1 AND i.group_name = ?2 AND (i.gone_ms IS NULL OR i.gone_ms > ?3) \
         ORDER BY i.launched_ms, i.id",
    )?;
    let rows = stmt
        .query_map(params![owner, group, now], |r| {
            Ok(Member {
                id: r.get(0)?,
                launched_ms: r.get(1)?,
                ready_ms: r.get(2)?,
                terminating: r.get(3)?,
                gone_ms: r.get(4)?,
                standby: r.get(5)?,
                protected: r.get(6)?,
                healthy: r.get::<_, String>(7)? == "Healthy",
                lc_name: r.get(8)?,
                lt_id: r.get(9)?,
                lt_version: r.get(10)?,
                phase: r.get(11)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// What an instance must run to count as updated.
enum Target {
    /// A launch configuration (stored name).
    Config(String),
    /// A launch template id and version number.
    Template(String, String),
}

impl Target {
    fn matches(&self, m: &Member) -> bool {
        match self {
            Target::Config(name) => m.lt_id.is_empty() && &m.lc_name == name,
            Target::Template(id, version) => &m.lt_id == id && &m.lt_version == version,
        }
    }
}

/// The launch template specification a refresh's DesiredConfiguration names.
pub fn desired_spec(
    config: &crate::autoscaling::types::DesiredConfiguration,
) -> Option<&LaunchTemplateSpecification> {
    config.launch_template.as_ref().or_else(|| {
        config
            .mixed_instances_policy
            .as_ref()?
            .launch_template
            .as_ref()?
            .launch_template_specification
            .as_ref()
    })
}

fn template_target(
    tx: &Transaction<'_>,
    owner: &str,
    spec: &LaunchTemplateSpecification,
) -> Result<Target, ApiError> {
    let (t, version) = ec2_rows::resolve_group_template(tx, owner, spec)?;
    Ok(Target::Template(
        t.id.clone(),
        version.version_number.unwrap_or(1).to_string(),
    ))
}

/// What the phase replaces instances with: the previous configuration in a rollback, else the
/// DesiredConfiguration, else the group's own (resolved now).
fn target(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    r: &Refresh,
) -> Result<Target, ApiError> {
    if r.rolling_back {
        let p = &r.previous;
        if !p.lc_ref.is_empty() {
            return Ok(Target::Config(p.lc_ref.clone()));
        }
        let spec = p.launch_template.as_ref().or_else(|| {
            p.mixed_instances_policy
                .as_ref()?
                .launch_template
                .as_ref()?
                .launch_template_specification
                .as_ref()
        });
        return match spec {
            Some(spec) => template_target(tx, ctx.owner, spec),
            None => Err(irreversible(
                "the previous configuration names no launch template",
            )),
        };
    }
    if let Some(spec) = r.view.desired_configuration.as_ref().and_then(desired_spec) {
        return template_target(tx, ctx.owner, spec);
    }
    if !group.lc_ref.is_empty() {
        return Ok(Target::Config(group.lc_ref.clone()));
    }
    match groups::template_spec(&group.doc) {
        Some(spec) => template_target(tx, ctx.owner, spec),
        None => Ok(Target::Config(String::new())),
    }
}

/// The replacement step of a refresh or rollback; returns when to look again.
fn replace(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    r: &mut Refresh,
) -> Result<Option<i64>, ApiError> {
    let now = ctx.now;
    let suspended = groups::suspended_names(&group.doc);
    if let Some(p) = ["InstanceRefresh", "Launch", "Terminate"]
        .iter()
        .find(|p| suspended.iter().any(|s| s == *p))
    {
        r.view.status_reason = Some(format!(
            "Waiting for the {p} process of the Auto Scaling group to be resumed."
        ));
        return Ok(None);
    }
    if r.status() == "Pending" {
        r.set_status("InProgress", None);
    }
    let prefs = r.prefs();
    let target = target(ctx, tx, group, r)?;
    let skip = r.rolling_back || prefs.skip_matching == Some(true);
    let all = members(tx, ctx.owner, &group.name, now)?;
    let phase_start = r.phase_start_ms;
    let needs =
        |m: &Member| !m.terminating && m.launched_ms < phase_start && (!skip || !target.matches(m));
    let protected_mode = prefs
        .scale_in_protected_instances
        .as_deref()
        .unwrap_or("Wait");
    let standby_mode = prefs.standby_instances.as_deref().unwrap_or("Wait");
    let (mut candidates, mut blocking, mut standby_end) = (Vec::new(), Vec::new(), Vec::new());
    for m in all.iter().filter(|m| needs(m)) {
        let mode = if m.standby {
            match standby_mode {
                "Terminate" => "end",
                "Ignore" => "skip",
                _ => "wait",
            }
        } else if m.protected {
            match protected_mode {
                "Refresh" => "replace",
                "Ignore" => "skip",
                _ => "wait",
            }
        } else {
            "replace"
        };
        match mode {
            "replace" => candidates.push(m),
            "end" => standby_end.push(m),
            "wait" => blocking.push(m),
            _ => {}
        }
    }
    let warmed = |m: &Member| {
        m.state(now) == Some("InService")
            && m.healthy
            && (m.launched_ms < phase_start || now >= m.ready_ms.saturating_add(r.warmup_ms))
    };
    let counted: Vec<&Member> = all
        .iter()
        .filter(|m| !m.terminating && !m.standby)
        .collect();
    let fresh: Vec<&Member> = counted
        .iter()
        .copied()
        .filter(|m| m.launched_ms >= phase_start)
        .collect();
    let pending: Vec<&Member> = fresh.iter().copied().filter(|m| !warmed(m)).collect();
    let total = *r
        .total
        .get_or_insert((candidates.len() + blocking.len() + standby_end.len()) as i64);
    let done = (fresh.len() - pending.len()) as i64;
    let done = done.min(total);
    let pct = if total == 0 {
        100
    } else {
        (done * 100 / total) as i32
    };
    if r.rolling_back {
        let details = r.view.rollback_details.clone().unwrap_or_default();
        let before = i64::from(details.percentage_complete_on_rollback.unwrap_or(0));
        let left = (candidates.len() + blocking.len()) as i64;
        r.view.percentage_complete = Some(if total == 0 {
            0
        } else {
            (before * left / total) as i32
        });
    } else {
        r.view.percentage_complete = Some(pct);
        r.view.instances_to_update = Some((total - done).max(0) as i32);
    }
    // A checkpoint delay being waited.
    if let Some(until) = r.pause_until {
        if now < until {
            return Ok(Some(until));
        }
        r.pause_until = None;
        r.checkpoints_done += 1;
        r.view.status_reason = None;
        let checkpoints = prefs.checkpoint_percentages.clone().unwrap_or_default();
        if r.checkpoints_done == checkpoints.len() && checkpoints.last().is_some_and(|c| *c < 100) {
            // The last checkpoint is below 100: the refresh ends there (AWS: to replace every
            // instance the last checkpoint must be 100).
            return finish(ctx, tx, group, r);
        }
    }
    let checkpoint = (!r.rolling_back)
        .then(|| {
            prefs
                .checkpoint_percentages
                .as_ref()
                .and_then(|c| c.get(r.checkpoints_done).copied())
        })
        .flatten();
    if let Some(cp) = checkpoint
        && pct >= cp
        && pending.is_empty()
    {
        let delay = scaled(
            ctx.settings,
            i64::from(prefs.checkpoint_delay.unwrap_or(3600)),
        );
        let until = now.saturating_add(delay);
        r.pause_until = Some(until);
        r.view.status_reason = Some(format!(
            "Checkpoint {cp}% reached: waiting the checkpoint delay before continuing."
        ));
        return Ok(Some(until));
    }
    if candidates.is_empty() && standby_end.is_empty() && pending.is_empty() {
        if blocking.is_empty() {
            return finish(ctx, tx, group, r);
        }
        let since = *r.wait_since.get_or_insert(now);
        let deadline = since.saturating_add(scaled(ctx.settings, 3600));
        let what = if blocking.iter().any(|m| m.standby) {
            "in Standby"
        } else {
            "protected from scale in"
        };
        if now >= deadline {
            return Err(ApiError::validation(format!(
                "{} instance(s) {what} were not replaced within an hour (for example: {}).",
                blocking.len(),
                blocking[0].id
            )));
        }
        r.view.status_reason = Some(format!(
            "Waiting for {} instance(s) {what} (for example: {}).",
            blocking.len(),
            blocking[0].id
        ));
        return Ok(Some(deadline));
    }
    r.wait_since = None;
    // How many old instances go now.
    let desired = group.desired;
    let min_pct = i64::from(prefs.min_healthy_percentage.unwrap_or(90));
    let max_pct = i64::from(prefs.max_healthy_percentage.unwrap_or(100));
    let min_healthy = (desired * min_pct + 99) / 100;
    let extra = (desired * max_pct / 100 - desired).max(0);
    let healthy = counted.iter().filter(|m| warmed(m)).count() as i64;
    // Old instances not healthy now (still pending, unhealthy) go first: ending them costs no
    // healthy capacity.
    candidates.sort_by_key(|m| warmed(m));
    let free = candidates.iter().filter(|m| !warmed(m)).count() as i64;
    let mut k = ((healthy - min_healthy).max(0) + free).min(candidates.len() as i64);
    if let Some(cp) = checkpoint {
        let goal = (total * i64::from(cp) + 99) / 100;
        k = k.min((goal - done - pending.len() as i64).max(0));
    }
    let mut room = extra;
    if k == 0 && pending.is_empty() && healthy >= desired && !candidates.is_empty() && extra == 0 {
        // Nothing can go without dropping below the minimum: AWS replaces one at a time
        // (MinHealthyPercentage 100), launching first when MaxHealthyPercentage was given.
        if r.explicit_max {
            room = 1;
        } else {
            k = 1;
        }
    }
    let when = timestamp(now);
    let suspended_now = groups::suspended_names(&group.doc);
    let facts = groups::facts(ctx, group, &suspended_now, None);
    let cause = format!(
        "At {when} an instance was taken out of service in response to an instance refresh."
    );
    let mut acted = false;
    for m in candidates.iter().take(k as usize).chain(standby_end.iter()) {
        let end = lifecycle::terminate(tx, ctx.settings, &facts, &m.id, now)?;
        lifecycle::record(
            tx,
            &facts,
            &format!("Terminating EC2 instance: {}", m.id),
            &cause,
            now,
            end,
        )?;
        acted = true;
    }
    let left = candidates.len() as i64 - k;
    r.surplus = room.min(left).max(0);
    r.view.status_reason = None;
    save(tx, ctx.owner, &group.name, r, None)?;
    groups::reconcile(
        ctx,
        tx,
        group,
        "an instance was taken out of service in response to an instance refresh",
    )?;
    // When to look again: the end of the earliest warm-up of a replacement.
    let after = members(tx, ctx.owner, &group.name, now)?;
    let mut next: Option<i64> = None;
    let mut example = None;
    for m in after
        .iter()
        .filter(|m| !m.terminating && !m.standby && m.launched_ms >= phase_start && !warmed(m))
    {
        let at = match m.phase.as_deref() {
            Some("Pending:Wait") => now + POLL_MS,
            _ if !m.healthy => continue,
            _ => m.ready_ms.saturating_add(r.warmup_ms).max(now + 1),
        };
        next = Some(next.map_or(at, |n: i64| n.min(at)));
        example.get_or_insert(m.id.clone());
    }
    if let Some(id) = example {
        r.view.status_reason = Some(format!(
            "Waiting for instances to warm up before continuing. For example: {id} is warming up."
        ));
    }
    // Terminations just made are replaced at the next step; a step that could not act yet (an
    // old instance still pending, an unhealthy one being replaced) looks again shortly.
    Ok(next.or(if acted {
        Some(now + 1)
    } else if candidates.is_empty() {
        None
    } else {
        Some(now + POLL_MS)
    }))
}

/// The end of a phase's replacements: the bake time (a refresh), then success; a rollback ends
/// `RollbackSuccessful`.
fn finish(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    r: &mut Refresh,
) -> Result<Option<i64>, ApiError> {
    r.surplus = 0;
    if r.rolling_back {
        r.set_status("RollbackSuccessful", None);
        r.view.end_time = Some(timestamp(ctx.now));
        return Ok(None);
    }
    let bake = i64::from(r.prefs().bake_time.unwrap_or(0));
    if bake > 0 {
        let until = ctx.now.saturating_add(scaled(ctx.settings, bake));
        r.bake_until = Some(until);
        r.set_status("Baking", None);
        return Ok(Some(until));
    }
    succeed(ctx, tx, group, r)?;
    Ok(None)
}

/// A refresh that succeeded: its DesiredConfiguration becomes the group's.
fn succeed(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    r: &mut Refresh,
) -> Result<(), ApiError> {
    r.surplus = 0;
    r.set_status("Successful", None);
    r.view.end_time = Some(timestamp(ctx.now));
    if let Some(config) = &r.view.desired_configuration {
        let mut doc = group.doc.clone();
        doc.launch_template = config.launch_template.clone();
        doc.mixed_instances_policy = config.mixed_instances_policy.clone();
        doc.launch_configuration_name = None;
        tx.execute_cached(
            "UPDATE groups SET lc_given = '', lc_ref = '', doc = ?3 WHERE owner = ?1 AND name = ?2",
            params![ctx.owner, group.name, serde_json::to_string(&doc)?],
        )?;
    }
    Ok(())
}

/// A cancel waiting for launches and terminations in flight; returns when to look again.
fn cancelling(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    r: &mut Refresh,
) -> Result<Option<i64>, ApiError> {
    let now = ctx.now;
    let mut next: Option<i64> = None;
    for m in members(tx, ctx.owner, &group.name, now)? {
        let at = match m.state(now) {
            Some("Pending:Wait") | Some("Terminating:Wait") => now + POLL_MS,
            Some("Pending") | Some("Pending:Proceed") => m.ready_ms,
            Some(s) if s.starts_with("Terminating") => m.gone_ms.unwrap_or(now + POLL_MS),
            _ => continue,
        };
        next = Some(next.map_or(at, |n: i64| n.min(at)));
    }
    if next.is_none() {
        r.set_status("Cancelled", None);
        r.view.end_time = Some(timestamp(now));
    }
    Ok(next)
}

/// Cancels the group's active refresh (CancelInstanceRefresh): `Cancelling` while launches and
/// terminations in flight end (unless `wait` is false), then `Cancelled`; what was replaced
/// stays.
pub fn cancel(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    mut r: Refresh,
    wait: bool,
) -> Result<(), ApiError> {
    r.surplus = 0;
    r.pause_until = None;
    if wait {
        r.set_status("Cancelling", None);
    } else {
        r.set_status("Cancelled", None);
        r.view.end_time = Some(timestamp(ctx.now));
    }
    save(tx, ctx.owner, &group.name, &r, None)?;
    groups::reconcile(ctx, tx, group, "an instance refresh was cancelled")?;
    advance(ctx, tx, group, r)
}

/// Turns the refresh into its rollback (RollbackInstanceRefresh, or AutoRollback on failure):
/// the instances already replaced are replaced again with the previous configuration.
pub fn roll_back(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    mut r: Refresh,
    reason: &str,
) -> Result<(), ApiError> {
    r.view.rollback_details = Some(RollbackDetails {
        rollback_reason: Some(reason.to_string()),
        rollback_start_time: Some(timestamp(ctx.now)),
        percentage_complete_on_rollback: r.view.percentage_complete,
        instances_to_update_on_rollback: r.view.instances_to_update,
        progress_details_on_rollback: None,
    });
    r.rolling_back = true;
    r.phase_start_ms = ctx.now;
    r.total = None;
    r.surplus = 0;
    r.pause_until = None;
    r.wait_since = None;
    r.bake_until = None;
    r.set_status("RollbackInProgress", None);
    save(tx, ctx.owner, &group.name, &r, Some(ctx.now))?;
    advance(ctx, tx, group, r)
}

/// A refresh that cannot go on: `Failed` (or, with AutoRollback, its rollback), or
/// `RollbackFailed` for a rollback; the reason is kept as StatusReason.
fn fail(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    mut r: Refresh,
    reason: &str,
) -> Result<(), ApiError> {
    let auto = r.prefs().auto_rollback == Some(true);
    if !r.rolling_back && auto {
        let reason = format!("Instance refresh failed: {reason} Rolled back automatically.");
        r.view.status_reason = None;
        // A rollback that cannot even start fails as a rollback.
        tx.execute_batch("SAVEPOINT refresh_rollback")?;
        match roll_back(ctx, tx, group, r.clone(), &reason) {
            Ok(()) => {
                tx.execute_batch("RELEASE refresh_rollback")?;
                return Ok(());
            }
            Err(e) => {
                tx.execute_batch("ROLLBACK TO refresh_rollback")?;
                tx.execute_batch("RELEASE refresh_rollback")?;
                r.rolling_back = true;
                r.set_status("RollbackFailed", Some(e.message));
            }
        }
    } else if r.rolling_back {
        r.set_status("RollbackFailed", Some(reason.to_string()));
    } else {
        r.set_status("Failed", Some(reason.to_string()));
    }
    r.surplus = 0;
    r.view.end_time = Some(timestamp(ctx.now));
    save(tx, ctx.owner, &group.name, &r, None)?;
    groups::reconcile(ctx, tx, group, "an instance refresh failed")
}
