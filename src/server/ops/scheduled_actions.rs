//! PutScheduledUpdateGroupAction, BatchPutScheduledUpdateGroupAction, DescribeScheduledActions,
//! DeleteScheduledAction, BatchDeleteScheduledAction: scheduled actions, stored with AWS's rules.
//! Running them is the timer engine's (`crate::server::timers`, over
//! `crate::server::rows::scheduled_actions::run_due`).
//!
//! What is checked at Put (AWS API reference, PutScheduledUpdateGroupAction and
//! ScheduledUpdateGroupActionRequest): the group exists; at least one of MinSize, MaxSize and
//! DesiredCapacity; Recurrence is Unix cron of five fields; TimeZone an IANA name; a StartTime in
//! the past is refused with AWS's "Given start time is in the past"; EndTime after StartTime and
//! not past; a name is unique within its group (a Put of an existing name updates it, members left
//! out keep their values, as AWS documents); at most 125 actions per group (AWS's quota). The
//! action's first run is its StartTime, else the recurrence's next occurrence; Describe shows the
//! next run as StartTime, as AWS does.

use rusqlite::Transaction;

use crate::autoscaling::NoOutput;
use crate::autoscaling::types::{
    BatchDeleteScheduledActionInput, BatchDeleteScheduledActionOutput,
    BatchPutScheduledUpdateGroupActionInput, BatchPutScheduledUpdateGroupActionOutput,
    DeleteScheduledActionInput, DescribeScheduledActionsInput, DescribeScheduledActionsOutput,
    FailedScheduledUpdateGroupActionRequest, PutScheduledUpdateGroupActionInput,
    ScheduledUpdateGroupAction, ScheduledUpdateGroupActionRequest,
};
use crate::server::fault::ApiError;
use crate::server::lifecycle::timestamp;
use crate::server::ops::{Ctx, Handle, arn};
use crate::server::paginate::{PageRequest, check_names};
use crate::server::rows::groups::{self, GroupRow};
use crate::server::rows::scheduled_actions::{
    self as actions, MAX_PER_GROUP, millis, next_occurrence, not_found, parse_recurrence,
    parse_zone,
};

/// Creates or updates one action of `group` (Put, and each item of BatchPut).
fn put_one(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    req: ScheduledUpdateGroupActionRequest,
) -> Result<(), ApiError> {
    let name = req
        .scheduled_action_name
        .clone()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::missing_parameter("ScheduledActionName"))?;
    let existing = actions::load(tx, ctx.owner, &group.name, &name)?.map(|a| a.doc);
    if existing.is_none() && actions::count(tx, ctx.owner, &group.name)? >= MAX_PER_GROUP {
        return Err(ApiError::limit_exceeded(format!(
            "Maximum number of scheduled actions per group ({MAX_PER_GROUP}) has been reached \
             for group {}.",
            group.name
        )));
    }
    let old = existing.clone().unwrap_or_default();
    let recurrence = req.recurrence.or(old.recurrence);
    let time_zone = req.time_zone.or(old.time_zone);
    let min = req.min_size.or(old.min_size);
    let max = req.max_size.or(old.max_size);
    let desired = req.desired_capacity.or(old.desired_capacity);
    let end = req.end_time.or(old.end_time);
    // A one-off action being updated keeps its time; a recurring one starts from its recurrence.
    let start = req.start_time.or(if recurrence.is_none() {
        old.start_time
    } else {
        None
    });
    if min.is_none() && max.is_none() && desired.is_none() {
        return Err(ApiError::validation(
            "At least one of MinSize, MaxSize or DesiredCapacity must be specified.",
        ));
    }
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        return Err(ApiError::validation(format!(
            "The minimum size ({min}) must not exceed the maximum size ({max})."
        )));
    }
    if let Some(d) = desired
        && (min.is_some_and(|min| d < min) || max.is_some_and(|max| d > max))
    {
        return Err(ApiError::validation(format!(
            "Desired capacity:{d} must be between the specified min size:{} and max size:{}",
            min.map_or_else(|| "-".to_string(), |v| v.to_string()),
            max.map_or_else(|| "-".to_string(), |v| v.to_string())
        )));
    }
    if let Some(d) = desired {
        groups::check_limit(i64::from(d))?;
    }
    let cron = recurrence.as_deref().map(parse_recurrence).transpose()?;
    let zone = parse_zone(time_zone.as_deref())?;
    let start_ms = start.as_ref().map(millis);
    let end_ms = end.as_ref().map(millis);
    if req.start_time.is_some() && start_ms.is_some_and(|s| s < ctx.now) {
        // AWS's words.
        return Err(ApiError::validation("Given start time is in the past"));
    }
    if let Some(e) = end_ms {
        if e < ctx.now {
            return Err(ApiError::validation("Given end time is in the past"));
        }
        if start_ms.is_some_and(|s| e <= s) {
            return Err(ApiError::validation(
                "Given end time is not after the start time",
            ));
        }
    }
    let next = match (start_ms, &cron) {
        (Some(s), _) => s,
        (None, Some(cron)) => next_occurrence(cron, zone, ctx.now, end_ms).ok_or_else(|| {
            ApiError::validation("The recurrence has no occurrence before the end time.")
        })?,
        (None, None) => {
            return Err(ApiError::validation(
                "Either StartTime or Recurrence must be specified.",
            ));
        }
    };
    let action_arn = old.scheduled_action_arn.clone().unwrap_or_else(|| {
        arn(
            ctx.settings,
            "scheduledUpdateGroupAction",
            "autoScalingGroupName",
            &format!("{}:scheduledActionName/{name}", group.name),
        )
    });
    let doc = ScheduledUpdateGroupAction {
        auto_scaling_group_name: Some(group.name.clone()),
        scheduled_action_name: Some(name),
        scheduled_action_arn: Some(action_arn),
        time: Some(timestamp(next)),
        start_time: Some(timestamp(next)),
        end_time: end,
        recurrence,
        min_size: min,
        max_size: max,
        desired_capacity: desired,
        time_zone,
    };
    actions::put(tx, ctx.owner, &group.name, &doc, Some(next))?;
    ctx.settings.timers.wake();
    Ok(())
}

/// A failed item of a batch, with the code and message its call alone would have had.
fn failed(name: Option<String>, e: ApiError) -> FailedScheduledUpdateGroupActionRequest {
    FailedScheduledUpdateGroupActionRequest {
        scheduled_action_name: name,
        error_code: Some(e.code.to_string()),
        error_message: Some(e.message),
    }
}

/// `PutScheduledUpdateGroupAction` (`Time`, no longer documented, is read as StartTime).
impl Handle for PutScheduledUpdateGroupActionInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let req = ScheduledUpdateGroupActionRequest {
            scheduled_action_name: Some(self.scheduled_action_name),
            start_time: self.start_time.or(self.time),
            end_time: self.end_time,
            recurrence: self.recurrence,
            min_size: self.min_size,
            max_size: self.max_size,
            desired_capacity: self.desired_capacity,
            time_zone: self.time_zone,
        };
        put_one(ctx, tx, &group, req)?;
        Ok(NoOutput {})
    }
}

/// `BatchPutScheduledUpdateGroupAction`: each item as its own Put; the ones refused are listed
/// with their error, the rest stored.
impl Handle for BatchPutScheduledUpdateGroupActionInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<BatchPutScheduledUpdateGroupActionOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let mut failures = Vec::new();
        for req in self.scheduled_update_group_actions {
            let name = req.scheduled_action_name.clone();
            if let Err(e) = put_one(ctx, tx, &group, req) {
                failures.push(failed(name, e));
            }
        }
        Ok(BatchPutScheduledUpdateGroupActionOutput {
            failed_scheduled_update_group_actions: Some(failures),
        })
    }
}

/// `DescribeScheduledActions`, by group and name (`MaxRecords` defaults to 50). StartTime and
/// EndTime bound the next run shown, unless names are given (AWS then ignores them).
impl Handle for DescribeScheduledActionsInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeScheduledActionsOutput, ApiError> {
        check_names("ScheduledActionNames", self.scheduled_action_names.as_ref())?;
        let page = PageRequest::new(
            "DescribeScheduledActions",
            self.max_records,
            self.next_token.as_deref(),
            50,
        )?;
        let group = self.auto_scaling_group_name.filter(|g| !g.is_empty());
        let names = self.scheduled_action_names.filter(|n| !n.is_empty());
        let (from, to) = match names {
            Some(_) => (None, None),
            None => (
                self.start_time.as_ref().map(millis),
                self.end_time.as_ref().map(millis),
            ),
        };
        let mut items = Vec::new();
        for a in actions::list(tx, ctx.owner, group.as_deref())? {
            let named = names.as_ref().is_none_or(|names| names.contains(&a.name));
            let next = a.next_ms.unwrap_or(i64::MAX);
            let timed = from.is_none_or(|f| next >= f) && to.is_none_or(|t| next <= t);
            if named && timed {
                items.push((format!("{}\u{0}{}", a.group, a.name), a.doc));
            }
        }
        let (found, next_token) = page.take(items);
        Ok(DescribeScheduledActionsOutput {
            scheduled_update_group_actions: Some(found),
            next_token,
        })
    }
}

/// `DeleteScheduledAction`.
impl Handle for DeleteScheduledActionInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        if !actions::delete(tx, ctx.owner, &group.name, &self.scheduled_action_name)? {
            return Err(not_found(&self.scheduled_action_name));
        }
        ctx.settings.timers.wake();
        Ok(NoOutput {})
    }
}

/// `BatchDeleteScheduledAction`: the names that do not exist are listed as failed, the rest
/// deleted.
impl Handle for BatchDeleteScheduledActionInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<BatchDeleteScheduledActionOutput, ApiError> {
        check_names("ScheduledActionNames", Some(&self.scheduled_action_names))?;
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let mut failures = Vec::new();
        for name in self.scheduled_action_names {
            if !actions::delete(tx, ctx.owner, &group.name, &name)? {
                let e = not_found(&name);
                failures.push(failed(Some(name), e));
            }
        }
        ctx.settings.timers.wake();
        Ok(BatchDeleteScheduledActionOutput {
            failed_scheduled_actions: Some(failures),
        })
    }
}
