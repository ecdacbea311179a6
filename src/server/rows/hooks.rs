//! Lifecycle hook rows and the lifecycle actions that hold instances in wait states.
//!
//! A hook (`lifecycle_hooks`: owner, group, name, transition, the JSON of the API's
//! `LifecycleHook` shape) belongs to its group (a trigger deletes it with the group). When the
//! lifecycle launches or terminates an instance of a group with hooks for that transition,
//! [`hold`] writes one action per hook (`lifecycle_actions`: the token, the instance, the hook's
//! DefaultResult, its heartbeat and global timeouts in milliseconds and the next deadline,
//! `deadline_ms`, indexed). An action ends by [`complete`] (CompleteLifecycleAction, a deleted
//! hook, or the engine at its deadline with the DefaultResult: [`run_due`]); when an instance has
//! no action left it proceeds (`Pending:Proceed` then `InService`, or `Terminating:Proceed` then
//! gone); ABANDON at launch terminates it at once and the group launches a replacement.
//!
//! Why here: the handlers (`crate::server::ops::hooks`), the lifecycle (`crate::server::lifecycle`,
//! which asks [`hold`] whether a hook holds a new or ending instance) and the timer engine
//! (`crate::server::timers`, through [`run_due`] and [`earliest`]) all act on the same rows.
//! Timeouts are AWS's seconds scaled by `Timing::hook_timeout_scale` (1 unless `phantom serve
//! --hook-timeout-scale` says otherwise: a testing aid).

use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::types::LifecycleHook;
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::{self, GroupFacts, timestamp};
use crate::server::ops::{Ctx, Settings};
use crate::server::rows::groups;
use crate::server::store::Cached;

/// The transition of a hook that holds launching instances.
pub const LAUNCHING: &str = "autoscaling:EC2_INSTANCE_LAUNCHING";
/// The transition of a hook that holds terminating instances.
pub const TERMINATING: &str = "autoscaling:EC2_INSTANCE_TERMINATING";
/// The hook types DescribeLifecycleHookTypes lists.
pub const TYPES: &[&str] = &[LAUNCHING, TERMINATING];

/// The most lifecycle hooks one group may have (AWS's quota: 50 per Auto Scaling group).
pub const MAX_PER_GROUP: usize = 50;

/// AWS's default heartbeat timeout, seconds.
pub const DEFAULT_HEARTBEAT: i32 = 3600;
/// AWS's bounds on the heartbeat timeout, seconds.
pub const HEARTBEAT_RANGE: std::ops::RangeInclusive<i32> = 30..=7200;
/// AWS's cap on the global timeout (48 hours), seconds.
pub const MAX_GLOBAL: i32 = 48 * 3600;

/// How many due actions one engine pass ends (the rest in the next pass, at once).
const DUE_BATCH: i64 = 100;

/// What a Put (or a group's `LifecycleHookSpecificationList` item) gives for a hook.
pub struct HookInput {
    /// LifecycleHookName.
    pub name: String,
    /// LifecycleTransition (required for a new hook).
    pub transition: Option<String>,
    /// NotificationTargetARN (stored only: no notification is sent).
    pub notification_target_arn: Option<String>,
    /// RoleARN (stored only).
    pub role_arn: Option<String>,
    /// NotificationMetadata.
    pub notification_metadata: Option<String>,
    /// HeartbeatTimeout, seconds.
    pub heartbeat_timeout: Option<i32>,
    /// DefaultResult: CONTINUE or ABANDON.
    pub default_result: Option<String>,
}

/// The global timeout of a hook with heartbeat `hb` seconds: 100 heartbeats, at most 48 hours.
pub fn global_timeout(hb: i32) -> i32 {
    hb.saturating_mul(100).min(MAX_GLOBAL)
}

/// The hook `input` makes of `existing` (members not given keep their values; a new hook gets
/// AWS's defaults: HeartbeatTimeout 3600, DefaultResult ABANDON), with AWS's rules checked.
pub fn merge(
    group: &str,
    existing: Option<LifecycleHook>,
    input: HookInput,
) -> Result<LifecycleHook, ApiError> {
    let is_new = existing.is_none();
    let mut hook = existing.unwrap_or_else(|| LifecycleHook {
        lifecycle_hook_name: Some(input.name.clone()),
        auto_scaling_group_name: Some(group.to_string()),
        heartbeat_timeout: Some(DEFAULT_HEARTBEAT),
        default_result: Some("ABANDON".into()),
        ..Default::default()
    });
    match input.transition {
        Some(t) if TYPES.contains(&t.as_str()) => hook.lifecycle_transition = Some(t),
        Some(t) => {
            return Err(ApiError::validation(format!(
                "Invalid value for LifecycleTransition: {}. Valid values are {LAUNCHING} and \
                 {TERMINATING}.",
                shorten(&t)
            )));
        }
        None if is_new => {
            return Err(ApiError::validation(
                "LifecycleTransition is required when creating a lifecycle hook.",
            ));
        }
        None => {}
    }
    if let Some(hb) = input.heartbeat_timeout {
        if !HEARTBEAT_RANGE.contains(&hb) {
            return Err(ApiError::validation(format!(
                "Heartbeat timeout {hb} is not valid: it must be between {} and {} seconds.",
                HEARTBEAT_RANGE.start(),
                HEARTBEAT_RANGE.end()
            )));
        }
        hook.heartbeat_timeout = Some(hb);
    }
    if let Some(r) = input.default_result {
        check_result("DefaultResult", &r)?;
        hook.default_result = Some(r);
    }
    if input.notification_target_arn.is_some() {
        hook.notification_target_arn = input.notification_target_arn;
    }
    if input.role_arn.is_some() {
        hook.role_arn = input.role_arn;
    }
    if input.notification_metadata.is_some() {
        hook.notification_metadata = input.notification_metadata;
    }
    hook.global_timeout = Some(global_timeout(
        hook.heartbeat_timeout.unwrap_or(DEFAULT_HEARTBEAT),
    ));
    Ok(hook)
}

/// Refuses a result other than CONTINUE or ABANDON (`member` names the parameter).
pub fn check_result(member: &str, result: &str) -> Result<(), ApiError> {
    if result == "CONTINUE" || result == "ABANDON" {
        return Ok(());
    }
    Err(ApiError::validation(format!(
        "Invalid value for {member}: {}. Valid values are CONTINUE and ABANDON.",
        shorten(result)
    )))
}

/// The error for a hook that does not exist (AWS's wording was not found; this one names what
/// was asked for).
pub fn not_found(group: &str, name: &str) -> ApiError {
    ApiError::validation(format!(
        "No Lifecycle Hook found with name {} for AutoScalingGroup {}",
        shorten(name),
        shorten(group)
    ))
}

/// One hook of a group.
pub fn load(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
    name: &str,
) -> Result<Option<LifecycleHook>, ApiError> {
    let doc: Option<String> = tx
        .query_row_cached(
            "SELECT doc FROM lifecycle_hooks WHERE owner = ?1 AND group_name = ?2 AND name = ?3",
            params![owner, group, name],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match doc {
        Some(doc) => Some(serde_json::from_str(&doc)?),
        None => None,
    })
}

/// A group's hooks by name.
pub fn list(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
) -> Result<Vec<LifecycleHook>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT doc FROM lifecycle_hooks WHERE owner = ?1 AND group_name = ?2 ORDER BY name",
    )?;
    let docs = stmt
        .query_map(params![owner, group], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    docs.iter()
        .map(|d| serde_json::from_str(d).map_err(ApiError::from))
        .collect()
}

/// Writes a hook (new or replaced), refusing a new one past [`MAX_PER_GROUP`] with
/// `LimitExceeded`.
pub fn put(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
    hook: &LifecycleHook,
) -> Result<(), ApiError> {
    let name = hook.lifecycle_hook_name.as_deref().unwrap_or("");
    if load(tx, owner, group, name)?.is_none() {
        let count: i64 = tx.query_row_cached(
            "SELECT COUNT(*) FROM lifecycle_hooks WHERE owner = ?1 AND group_name = ?2",
            params![owner, group],
            |r| r.get(0),
        )?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_PER_GROUP {
            return Err(ApiError::limit_exceeded(format!(
                "Maximum number of lifecycle hooks ({MAX_PER_GROUP}) reached for \
                 AutoScalingGroup {}.",
                shorten(group)
            )));
        }
    }
    tx.execute_cached(
        "INSERT OR REPLACE INTO lifecycle_hooks (owner, group_name, name, transition, doc) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            owner,
            group,
            name,
            hook.lifecycle_transition.as_deref().unwrap_or(""),
            serde_json::to_string(hook)?
        ],
    )?;
    Ok(())
}

/// Deletes a hook; its outstanding actions are completed, as AWS documents: ABANDON for
/// launching instances, CONTINUE for terminating ones. The hook goes first, so the replacement
/// of an abandoned launch is not held by it.
pub fn delete(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &str,
    name: &str,
) -> Result<(), ApiError> {
    tx.execute_cached(
        "DELETE FROM lifecycle_hooks WHERE owner = ?1 AND group_name = ?2 AND name = ?3",
        params![ctx.owner, group, name],
    )?;
    let tokens: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT token FROM lifecycle_actions WHERE owner = ?1 AND group_name = ?2 \
             AND hook_name = ?3",
        )?;
        stmt.query_map(params![ctx.owner, group, name], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    for token in tokens {
        if let Some(action) = action_by_token(tx, &token)? {
            let result = if action.transition == LAUNCHING {
                "ABANDON"
            } else {
                "CONTINUE"
            };
            complete(
                tx,
                ctx.settings,
                &action,
                result,
                ctx.now,
                "Lifecycle Hook Deleted",
            )?;
        }
    }
    Ok(())
}

/// Whether the group has a hook of `transition`.
pub fn any(
    tx: &Transaction<'_>,
    group: &GroupFacts<'_>,
    transition: &str,
) -> Result<bool, ApiError> {
    Ok(tx
        .prepare_cached(
            "SELECT 1 FROM lifecycle_hooks WHERE owner = ?1 AND group_name = ?2 \
             AND transition = ?3",
        )?
        .exists(params![group.owner, group.name, transition])?)
}

/// Starts the group's hooks of `transition` on instance `id`, its wait beginning at `start`:
/// one action per hook. Returns whether any hook holds it (the caller then marks its wait phase).
pub fn hold(
    tx: &Transaction<'_>,
    settings: &Settings,
    group: &GroupFacts<'_>,
    id: &str,
    transition: &str,
    start: i64,
) -> Result<bool, ApiError> {
    let hooks: Vec<(String, String)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT name, doc FROM lifecycle_hooks WHERE owner = ?1 AND group_name = ?2 \
             AND transition = ?3 ORDER BY name",
        )?;
        stmt.query_map(params![group.owner, group.name, transition], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?
    };
    if hooks.is_empty() {
        return Ok(false);
    }
    let scale = settings.timing.hook_timeout_scale;
    let ms = |secs: i32| -> i64 { ((f64::from(secs) * 1000.0 * scale).round() as i64).max(1) };
    for (name, doc) in hooks {
        let hook: LifecycleHook = serde_json::from_str(&doc)?;
        let hb = hook.heartbeat_timeout.unwrap_or(DEFAULT_HEARTBEAT);
        let heartbeat_ms = ms(hb);
        let global_ms = start.saturating_add(ms(global_timeout(hb)));
        tx.execute_cached(
            "INSERT INTO lifecycle_actions (token, owner, group_name, hook_name, instance_id, \
             transition, default_result, heartbeat_ms, global_ms, deadline_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                lifecycle::new_uuid(),
                group.owner,
                group.name,
                name,
                id,
                transition,
                hook.default_result.as_deref().unwrap_or("ABANDON"),
                heartbeat_ms,
                global_ms,
                start.saturating_add(heartbeat_ms).min(global_ms)
            ],
        )?;
    }
    settings.timers.wake();
    Ok(true)
}

/// Drops every action of an instance (it is terminated, or abandoned).
pub fn drop_actions(tx: &Transaction<'_>, owner: &str, id: &str) -> Result<(), ApiError> {
    tx.execute_cached(
        "DELETE FROM lifecycle_actions WHERE owner = ?1 AND instance_id = ?2",
        params![owner, id],
    )?;
    Ok(())
}

/// An outstanding lifecycle action.
pub struct ActionRow {
    /// The LifecycleActionToken.
    pub token: String,
    /// Its owner (the signing key).
    pub owner: String,
    /// Its group.
    pub group: String,
    /// Its hook's name.
    pub hook: String,
    /// The instance it holds.
    pub instance: String,
    /// LAUNCHING or TERMINATING.
    pub transition: String,
    /// What the timeout does: CONTINUE or ABANDON.
    pub default_result: String,
    /// The (scaled) heartbeat timeout, milliseconds.
    pub heartbeat_ms: i64,
    /// When the global timeout ends, epoch milliseconds.
    pub global_ms: i64,
}

const ACTION_COLUMNS: &str = "SELECT token, owner, group_name, hook_name, instance_id, \
     transition, default_result, heartbeat_ms, global_ms FROM lifecycle_actions";

fn read_action(r: &rusqlite::Row<'_>) -> rusqlite::Result<ActionRow> {
    Ok(ActionRow {
        token: r.get(0)?,
        owner: r.get(1)?,
        group: r.get(2)?,
        hook: r.get(3)?,
        instance: r.get(4)?,
        transition: r.get(5)?,
        default_result: r.get(6)?,
        heartbeat_ms: r.get(7)?,
        global_ms: r.get(8)?,
    })
}

fn action_by_token(tx: &Transaction<'_>, token: &str) -> Result<Option<ActionRow>, ApiError> {
    Ok(tx
        .query_row_cached(
            &format!("{ACTION_COLUMNS} WHERE token = ?1"),
            params![token],
            read_action,
        )
        .optional()?)
}

/// The outstanding action of hook `hook` of `group` named by its token or by its instance
/// (both, when both are given), else AWS's `ValidationError` ("No active Lifecycle Action found
/// with ...").
pub fn find(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &str,
    hook: &str,
    token: Option<&str>,
    instance: Option<&str>,
) -> Result<ActionRow, ApiError> {
    let missing = || match (token, instance) {
        (Some(t), _) => ApiError::validation(format!(
            "No active Lifecycle Action found with token {}",
            shorten(t)
        )),
        (None, Some(i)) => ApiError::validation(format!(
            "No active Lifecycle Action found with instance ID {}",
            shorten(i)
        )),
        (None, None) => {
            ApiError::validation("Either LifecycleActionToken or InstanceId must be specified.")
        }
    };
    if token.is_none() && instance.is_none() {
        return Err(missing());
    }
    let found = tx
        .query_row_cached(
            &format!(
                "{ACTION_COLUMNS} WHERE owner = ?1 AND group_name = ?2 AND hook_name = ?3 \
                 AND (?4 IS NULL OR token = ?4) AND (?5 IS NULL OR instance_id = ?5) LIMIT 1"
            ),
            params![ctx.owner, group, hook, token, instance],
            read_action,
        )
        .optional()?;
    found.ok_or_else(missing)
}

/// RecordLifecycleActionHeartbeat: the action's deadline restarts at `now` plus its heartbeat
/// timeout, never past its global timeout.
pub fn heartbeat(tx: &Transaction<'_>, action: &ActionRow, now: i64) -> Result<(), ApiError> {
    tx.execute_cached(
        "UPDATE lifecycle_actions SET deadline_ms = ?2 WHERE token = ?1",
        params![
            action.token,
            now.saturating_add(action.heartbeat_ms)
                .min(action.global_ms)
        ],
    )?;
    Ok(())
}

/// Ends one action with `result` (CONTINUE or ABANDON); `why` ends the activity cause of an
/// abandoned launch (AWS's reasons: "Lifecycle Action Completed with ABANDON Result",
/// "Heartbeat Timeout"). ABANDON ends every action of the instance. An instance with no action
/// left proceeds; an abandoned launch is terminated and the group reconciled (a replacement).
pub fn complete(
    tx: &Transaction<'_>,
    settings: &Settings,
    action: &ActionRow,
    result: &str,
    now: i64,
    why: &str,
) -> Result<(), ApiError> {
    let abandon = result == "ABANDON";
    if abandon {
        drop_actions(tx, &action.owner, &action.instance)?;
    } else {
        tx.execute_cached(
            "DELETE FROM lifecycle_actions WHERE token = ?1",
            params![action.token],
        )?;
        let left: i64 = tx.query_row_cached(
            "SELECT COUNT(*) FROM lifecycle_actions WHERE owner = ?1 AND instance_id = ?2",
            params![action.owner, action.instance],
            |r| r.get(0),
        )?;
        if left > 0 {
            return Ok(());
        }
    }
    let held: Option<(Option<String>, i64)> = tx
        .query_row_cached(
            "SELECT hook_phase, ready_ms FROM instances WHERE owner = ?1 AND id = ?2 \
             AND group_name = ?3",
            params![action.owner, action.instance, action.group],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (owner, group, id) = (&action.owner, &action.group, &action.instance);
    let timing = &settings.timing;
    match held {
        Some((Some(phase), _)) if phase == "Pending:Wait" && abandon => {
            let gone = lifecycle::end_now(tx, timing, owner, id, now)?;
            lifecycle::settle_activity(tx, owner, group, id, now)?;
            abandoned_at_launch(
                tx,
                settings,
                action,
                &format!("Terminating EC2 instance: {id}"),
                why,
                now,
                gone,
            )?;
        }
        Some((Some(phase), ready)) if phase == "Pending:Wait" => {
            let ready = ready.max(now).saturating_add(timing.launch_delay_ms);
            tx.execute_cached(
                "UPDATE instances SET hook_phase = 'Pending:Proceed', ready_ms = ?3 \
                 WHERE owner = ?1 AND id = ?2",
                params![owner, id, ready],
            )?;
            lifecycle::settle_activity(tx, owner, group, id, ready)?;
        }
        Some((Some(phase), _)) if phase == "Terminating:Wait" => {
            let gone = now.saturating_add(timing.terminate_delay_ms);
            tx.execute_cached(
                "UPDATE instances SET hook_phase = 'Terminating:Proceed', gone_ms = ?3 \
                 WHERE owner = ?1 AND id = ?2",
                params![owner, id, gone],
            )?;
            lifecycle::settle_activity(tx, owner, group, id, gone)?;
        }
        // Not a group instance: one in the group's warm pool waits there.
        None => {
            crate::server::rows::warm_pools::end_wait(tx, settings, action, abandon, now, why)?;
        }
        // The instance left its group or its wait some other way: nothing to move on.
        _ => {}
    }
    Ok(())
}

/// Ends every action whose deadline has come, with its hook's DefaultResult (the engine's
/// work). An action whose ending fails (its group's launch configuration gone, say) is dropped
/// alone, so it is not due again.
pub fn run_due(tx: &Transaction<'_>, settings: &Settings, now: i64) -> Result<(), ApiError> {
    let tokens: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT token FROM lifecycle_actions WHERE deadline_ms <= ?1 \
             ORDER BY deadline_ms LIMIT ?2",
        )?;
        stmt.query_map(params![now, DUE_BATCH], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    for token in tokens {
        // An ABANDON before it in this pass may have ended it already.
        let Some(action) = action_by_token(tx, &token)? else {
            continue;
        };
        tx.execute_batch("SAVEPOINT lifecycle_action")?;
        let ended = complete(
            tx,
            settings,
            &action,
            &action.default_result,
            now,
            "Heartbeat Timeout",
        );
        if ended.is_err() {
            tx.execute_batch("ROLLBACK TO lifecycle_action")?;
            tx.execute_cached(
                "DELETE FROM lifecycle_actions WHERE token = ?1",
                params![token],
            )?;
        }
        tx.execute_batch("RELEASE lifecycle_action")?;
    }
    Ok(())
}

/// The earliest deadline of any outstanding action (one index lookup).
pub fn earliest(tx: &Transaction<'_>) -> Result<Option<i64>, ApiError> {
    Ok(
        tx.query_row_cached("SELECT MIN(deadline_ms) FROM lifecycle_actions", [], |r| {
            r.get(0)
        })?,
    )
}

/// After an ABANDON of a launch wait (a group's instance or one entering its warm pool, already
/// ended at `gone`): records the termination activity `description` with AWS's abandoned-action
/// cause and reconciles the group, which launches a replacement.
pub fn abandoned_at_launch(
    tx: &Transaction<'_>,
    settings: &Settings,
    action: &ActionRow,
    description: &str,
    why: &str,
    now: i64,
    gone: i64,
) -> Result<(), ApiError> {
    let (owner, group, id) = (&action.owner, &action.group, &action.instance);
    let Some(row) = groups::load(tx, owner, group)? else {
        return Ok(());
    };
    let ctx = Ctx {
        owner,
        now,
        settings,
    };
    let suspended = groups::suspended_names(&row.doc);
    let facts = groups::facts(&ctx, &row, &suspended, None);
    lifecycle::record(
        tx,
        &facts,
        description,
        &format!(
            "At {} instance {id} failed to complete user's Lifecycle Action: Lifecycle Action \
             with token {} was abandoned: {why}.",
            timestamp(now),
            action.token
        ),
        now,
        gone,
    )?;
    groups::reconcile(
        &ctx,
        tx,
        &row,
        &format!(
            "an instance was abandoned by lifecycle hook {}",
            action.hook
        ),
    )
}
