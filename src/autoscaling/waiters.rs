//! Waiters: poll the service until a group or an instance refresh reaches a state, the way the
//! AWS SDKs' waiters do, plus the two waits the SDKs lack (a group at its desired capacity, an
//! instance refresh that has ended).
//!
//! This module owns the whole of waiting, so that the library and the `phantom wait` commands
//! share one rule per condition: what counts as done, what counts as a failure that ends the wait
//! at once, and how long to sleep between polls.
//!
//! - **Backoff** ([`WaiterConfig`]): the first poll is immediate; before poll `n + 1` the waiter
//!   sleeps a random time between `min_delay` and `min(max_delay, min_delay * 2^(n-1))` (the
//!   jittered exponential backoff of Smithy's waiter specification). The last sleep is cut to end
//!   at `max_wait`, and one more poll is made there before giving up with [`Error::Timeout`],
//!   which names what was waited for, for how long, and what the last poll saw.
//! - **Groups**: [`Client::group_exists`] and [`Client::group_not_exists`] follow the SDKs (a
//!   group listed or not by `DescribeAutoScalingGroups`); [`Client::group_in_service`] is the
//!   SDKs' rule (instances in service >= `MinSize`, so a group of min 0 passes at once);
//!   [`Client::group_at_capacity`] is what people usually mean: instances in service ==
//!   `DesiredCapacity` with none pending or terminating. "In service" is AWS's `InService` or
//!   Phantom's `600-RUNNING`.
//! - **Early failure** for the in-service and capacity waits ([`Error::Failed`], with the server's
//!   reason): an instance in one of Phantom's failed states (`900-FAILED`, `950-REJECTED`, any
//!   state numbered 900 or more); a scaling activity of the group whose `StatusCode` is `Failed`
//!   (its `StatusMessage`; activities already final at the first poll are history and do not
//!   count, unless [`WaitOptions::fresh_group`] says the group was just created); a group being
//!   deleted (`Status` `Delete in progress`) or gone. A group missing at the first poll is
//!   [`Error::NotFound`]. A server without `DescribeScalingActivities` is asked once: the wait goes
//!   on without activities (noted under `--debug`).
//! - **Instance refreshes** ([`Client::instance_refresh_complete`]): `Successful` is done;
//!   `Failed`, `Cancelled`, `RollbackSuccessful` and `RollbackFailed` end the wait at once with
//!   that status and the server's `StatusReason`. [`RefreshGoal`] also lets a wait succeed on
//!   `Cancelled` (after a cancel) or `RollbackSuccessful` (after a rollback).
//!
//! Retryable errors of a poll (throttling, 5xx, broken connections) are retried by the transport;
//! an error left after that ends the wait.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::Client;
use super::types::{
    Activity, AutoScalingGroup, DescribeAutoScalingGroupsInput, DescribeInstanceRefreshesInput,
    DescribeScalingActivitiesInput, InstanceRefresh,
};
use crate::error::{Error, Result};

/// The shortest delay a waiter sleeps between polls, whatever its configuration says.
const FLOOR_DELAY: Duration = Duration::from_millis(10);

/// How a waiter polls: the delays between polls and the overall limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaiterConfig {
    /// The shortest sleep between two polls (the first sleep's lower bound); at least 10 ms.
    pub min_delay: Duration,
    /// The longest sleep between two polls.
    pub max_delay: Duration,
    /// How long the whole wait may last, from the first poll.
    pub max_wait: Duration,
}

impl WaiterConfig {
    /// The SDKs' `GroupExists` waiter: 5 s delay, 10 attempts (50 s), a 120 s maximum delay.
    pub const GROUP_EXISTS: WaiterConfig = WaiterConfig {
        min_delay: Duration::from_secs(5),
        max_delay: Duration::from_secs(120),
        max_wait: Duration::from_secs(50),
    };

    /// The SDKs' `GroupInService` and `GroupNotExists` waiters: 15 s delay, 40 attempts (10 min),
    /// a 120 s maximum delay. Also the default of `group_at_capacity`.
    pub const GROUP: WaiterConfig = WaiterConfig {
        min_delay: Duration::from_secs(15),
        max_delay: Duration::from_secs(120),
        max_wait: Duration::from_secs(600),
    };

    /// Instance refreshes replace every instance and take long: 15 s to 120 s delays, one hour
    /// in all (no SDK has this waiter).
    pub const INSTANCE_REFRESH: WaiterConfig = WaiterConfig {
        min_delay: Duration::from_secs(15),
        max_delay: Duration::from_secs(120),
        max_wait: Duration::from_secs(3600),
    };

    /// The sleep before poll `attempt + 1` (`attempt` >= 1 polls made so far): random between
    /// `min_delay` and `min(max_delay, min_delay * 2^(attempt-1))`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let min = self.min_delay.max(FLOOR_DELAY);
        let max = self.max_delay.max(min);
        let doublings = attempt.saturating_sub(1).min(64) as i32;
        let ceiling = Duration::try_from_secs_f64(min.as_secs_f64() * 2f64.powi(doublings))
            .unwrap_or(max)
            .min(max);
        min + (ceiling - min).mul_f64(fastrand::f64())
    }
}

impl Default for WaiterConfig {
    /// [`WaiterConfig::GROUP`].
    fn default() -> Self {
        WaiterConfig::GROUP
    }
}

/// Which end of an instance refresh a wait is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshGoal {
    /// `Successful`; any other final status is a failure.
    Complete,
    /// `Cancelled` (after `CancelInstanceRefresh`); any other final status is a failure.
    Cancelled,
    /// `RollbackSuccessful` (after `RollbackInstanceRefresh`); any other final status is a failure.
    RolledBack,
}

impl RefreshGoal {
    /// The status that ends the wait successfully.
    pub fn status(self) -> &'static str {
        match self {
            RefreshGoal::Complete => "Successful",
            RefreshGoal::Cancelled => "Cancelled",
            RefreshGoal::RolledBack => "RollbackSuccessful",
        }
    }
}

/// The instance refresh statuses after which nothing more happens (the model's
/// `InstanceRefreshStatus` values that are final).
pub const FINAL_REFRESH_STATUSES: &[&str] = &[
    "Successful",
    "Failed",
    "Cancelled",
    "RollbackSuccessful",
    "RollbackFailed",
];

/// What a wait is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitFor {
    /// The group is listed.
    GroupExists(String),
    /// The group is no longer listed.
    GroupNotExists(String),
    /// At least `MinSize` instances of the group are in service (the SDKs' rule).
    GroupInService(String),
    /// `DesiredCapacity` instances are in service and none is pending or terminating.
    GroupAtCapacity(String),
    /// The instance refresh `refresh_id` of `group` has ended with the goal's status.
    InstanceRefresh {
        /// The group's name.
        group: String,
        /// The refresh's id.
        refresh_id: String,
        /// Which final status is success.
        goal: RefreshGoal,
    },
}

impl WaitFor {
    /// What is waited for, as a phrase: "group web at capacity".
    pub fn describe(&self) -> String {
        match self {
            WaitFor::GroupExists(g) => format!("group {g} to exist"),
            WaitFor::GroupNotExists(g) => format!("group {g} to be gone"),
            WaitFor::GroupInService(g) => format!("group {g} in service"),
            WaitFor::GroupAtCapacity(g) => format!("group {g} at capacity"),
            WaitFor::InstanceRefresh {
                group,
                refresh_id,
                goal,
            } => format!(
                "instance refresh {refresh_id} of group {group} to end {}",
                goal.status()
            ),
        }
    }

    /// The group the wait is about.
    pub fn group(&self) -> &str {
        match self {
            WaitFor::GroupExists(g)
            | WaitFor::GroupNotExists(g)
            | WaitFor::GroupInService(g)
            | WaitFor::GroupAtCapacity(g) => g,
            WaitFor::InstanceRefresh { group, .. } => group,
        }
    }
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Waited {
    /// The group as the last poll saw it.
    Group(Box<AutoScalingGroup>),
    /// The group is gone.
    Gone,
    /// The instance refresh as the last poll saw it.
    Refresh(Box<InstanceRefresh>),
}

/// What one poll saw, for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// What is waited for.
    pub waiting_for: &'a WaitFor,
    /// Polls made so far, this one included.
    pub attempt: u32,
    /// Time since the first poll.
    pub elapsed: Duration,
    /// A short account of the state, like `1/2 in service` or `InProgress, 40% complete`.
    pub status: &'a str,
}

/// Called after each poll with what it saw.
pub type OnPoll<'a> = &'a mut (dyn FnMut(&Progress<'_>) + Send);

/// Everything a wait can be told besides what to wait for.
pub struct WaitOptions<'a> {
    /// Delays and the overall limit.
    pub config: WaiterConfig,
    /// The group was just created by the caller: every scaling activity of it counts (none is
    /// history).
    pub fresh_group: bool,
    /// Look at the group's scaling activities for a failed launch (default true; off for servers
    /// known to lack `DescribeScalingActivities`).
    pub check_activities: bool,
    /// Called after each poll.
    pub on_poll: Option<OnPoll<'a>>,
}

impl<'a> WaitOptions<'a> {
    /// Options with this configuration, activities checked, no progress callback.
    pub fn new(config: WaiterConfig) -> Self {
        WaitOptions {
            config,
            fresh_group: false,
            check_activities: true,
            on_poll: None,
        }
    }
}

impl std::fmt::Debug for WaitOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitOptions")
            .field("config", &self.config)
            .field("fresh_group", &self.fresh_group)
            .field("check_activities", &self.check_activities)
            .field("on_poll", &self.on_poll.is_some())
            .finish()
    }
}

/// Whether an instance's lifecycle state counts as in service: AWS's `InService` or Phantom's
/// running state (`600-RUNNING`, not `650-RUNNING_FAILED`).
pub fn is_in_service(state: &str) -> bool {
    state == "InService" || state.ends_with("-RUNNING") && !state.contains("FAILED")
}

/// Phantom's state number, when the state is one of Phantom's (`600-RUNNING` is 600).
fn phantom_number(state: &str) -> Option<u32> {
    state
        .split_once('-')
        .and_then(|(number, _)| number.parse::<u32>().ok())
}

/// Whether an instance's lifecycle state says its launch failed for good: Phantom's states from
/// `900` on (`900-FAILED`, `950-REJECTED`).
pub fn is_failed(state: &str) -> bool {
    phantom_number(state).is_some_and(|n| n >= 900)
}

/// Whether an instance is on its way in or out: AWS's `Pending*` and `Terminating*` states,
/// Phantom's states before `600-RUNNING` and the terminating ones (700 to 799).
pub fn is_transitional(state: &str) -> bool {
    match phantom_number(state) {
        Some(n) => n < 600 || (700..800).contains(&n),
        None => state.starts_with("Pending") || state.starts_with("Terminating"),
    }
}

/// The scaling activity status codes that are final (the model's `ScalingActivityStatusCode`).
const FINAL_ACTIVITY_CODES: &[&str] = &["Successful", "Failed", "Cancelled"];

/// What one poll decided.
enum Outcome {
    /// The wait is over.
    Done(Waited),
    /// Poll again.
    Retry,
}

/// One poll's result: the decision and how to describe the state.
struct Poll {
    outcome: Outcome,
    /// Shown on each poll (progress).
    status: String,
    /// Said when the wait times out.
    last_seen: String,
}

/// The state a wait keeps between polls.
struct Tracker {
    activities: Activities,
    /// Whether the group has been seen (a group waiter that saw it and then lost it failed).
    seen_group: bool,
    polls: u32,
}

/// Follows a group's recent scaling activities: the first one that failed and is not history.
struct Activities {
    /// Whether to look at all (off once the server said it cannot list them).
    enabled: bool,
    /// Ids of activities to ignore: already final at the first poll of an existing group.
    history: HashSet<String>,
    /// Whether the first look is still to come.
    first: bool,
    /// Whether every activity counts (a group the caller just created).
    fresh: bool,
}

impl Activities {
    async fn failed(&mut self, client: &Client, name: &str, operation: &str) -> Option<Error> {
        if !self.enabled {
            return None;
        }
        let input = DescribeScalingActivitiesInput {
            auto_scaling_group_name: Some(name.to_string()),
            max_records: Some(50),
            ..Default::default()
        };
        let page = match client.describe_scaling_activities(&input).await {
            Ok(page) => page,
            Err(e) => {
                self.enabled = false;
                client.transport().debug_note(&format!(
                    "{operation}: scaling activities not checked from now on: {e}"
                ));
                return None;
            }
        };
        let activities = page.activities.unwrap_or_default();
        if std::mem::take(&mut self.first) && !self.fresh {
            self.history = activities
                .iter()
                .filter(|a| {
                    a.status_code
                        .as_deref()
                        .is_some_and(|c| FINAL_ACTIVITY_CODES.contains(&c))
                })
                .filter_map(|a| a.activity_id.clone())
                .collect();
        }
        activities
            .iter()
            .filter(|a| a.status_code.as_deref() == Some("Failed"))
            .find(|a| {
                a.activity_id
                    .as_ref()
                    .is_none_or(|id| !self.history.contains(id))
            })
            .map(|a| failed_activity(operation, a))
    }
}

/// The server's reason, or says it gave none.
fn reason(text: Option<&str>) -> &str {
    text.filter(|m| !m.trim().is_empty())
        .unwrap_or("the server gave no reason")
}

/// The failure to report for a failed activity, naming it and the server's reason.
fn failed_activity(operation: &str, activity: &Activity) -> Error {
    Error::Failed {
        operation: operation.to_string(),
        message: format!(
            "scaling activity {} failed: {} ({})",
            activity.activity_id.as_deref().unwrap_or("?"),
            activity.description.as_deref().unwrap_or("no description"),
            reason(activity.status_message.as_deref()),
        ),
    }
}

/// The failure to report for a group whose instance failed, if one did.
fn failed_instance(operation: &str, group: &AutoScalingGroup) -> Option<Error> {
    let instance = group
        .instances
        .iter()
        .flatten()
        .find(|i| i.lifecycle_state.as_deref().is_some_and(is_failed))?;
    Some(Error::Failed {
        operation: operation.to_string(),
        message: format!(
            "instance {} is {} (in {}); the server gave no reason",
            instance.instance_id.as_deref().unwrap_or("?"),
            instance.lifecycle_state.as_deref().unwrap_or("?"),
            instance.availability_zone.as_deref().unwrap_or("?"),
        ),
    })
}

/// Counts of a group's instances: in service, on their way in or out.
fn counts(group: &AutoScalingGroup) -> (i64, i64) {
    let states = group
        .instances
        .iter()
        .flatten()
        .filter_map(|i| i.lifecycle_state.as_deref());
    let (mut ready, mut moving) = (0, 0);
    for state in states {
        if is_in_service(state) {
            ready += 1;
        } else if is_transitional(state) {
            moving += 1;
        }
    }
    (ready, moving)
}

impl Client {
    /// Waits until group `name` exists; returns it. See the [module docs](self).
    pub async fn group_exists(
        &self,
        name: &str,
        config: &WaiterConfig,
    ) -> Result<AutoScalingGroup> {
        self.wait_for_group(WaitFor::GroupExists(name.to_string()), config)
            .await
    }

    /// Waits until group `name` no longer exists.
    pub async fn group_not_exists(&self, name: &str, config: &WaiterConfig) -> Result<()> {
        let target = WaitFor::GroupNotExists(name.to_string());
        self.wait(&target, WaitOptions::new(*config))
            .await
            .map(|_| ())
    }

    /// Waits until at least `MinSize` instances of group `name` are in service (the SDKs'
    /// `GroupInService`); returns the group. Ends at once on a failed launch.
    pub async fn group_in_service(
        &self,
        name: &str,
        config: &WaiterConfig,
    ) -> Result<AutoScalingGroup> {
        self.wait_for_group(WaitFor::GroupInService(name.to_string()), config)
            .await
    }

    /// Waits until `DesiredCapacity` instances of group `name` are in service and none is
    /// pending or terminating; returns the group. Ends at once on a failed launch.
    pub async fn group_at_capacity(
        &self,
        name: &str,
        config: &WaiterConfig,
    ) -> Result<AutoScalingGroup> {
        self.wait_for_group(WaitFor::GroupAtCapacity(name.to_string()), config)
            .await
    }

    /// Waits until instance refresh `refresh_id` of `group` is `Successful`; returns it. Ends at
    /// once with [`Error::Failed`] on `Failed`, `Cancelled`, `RollbackSuccessful` or
    /// `RollbackFailed`, naming the status and the server's `StatusReason`.
    pub async fn instance_refresh_complete(
        &self,
        group: &str,
        refresh_id: &str,
        config: &WaiterConfig,
    ) -> Result<InstanceRefresh> {
        let target = WaitFor::InstanceRefresh {
            group: group.to_string(),
            refresh_id: refresh_id.to_string(),
            goal: RefreshGoal::Complete,
        };
        match self.wait(&target, WaitOptions::new(*config)).await? {
            Waited::Refresh(refresh) => Ok(*refresh),
            _ => Err(Error::Config(
                "instance refresh wait ended without one".into(),
            )),
        }
    }

    async fn wait_for_group(
        &self,
        target: WaitFor,
        config: &WaiterConfig,
    ) -> Result<AutoScalingGroup> {
        match self.wait(&target, WaitOptions::new(*config)).await? {
            Waited::Group(group) => Ok(*group),
            _ => Err(Error::Config("group wait ended without a group".into())),
        }
    }

    /// Waits for `target` as `options` say: the general form of the waiters above, with a
    /// progress callback and the fresh-group and activities switches.
    pub async fn wait(&self, target: &WaitFor, mut options: WaitOptions<'_>) -> Result<Waited> {
        let operation = format!("waiting for {}", target.describe());
        let started = Instant::now();
        let config = options.config;
        let mut tracker = Tracker {
            activities: Activities {
                enabled: options.check_activities,
                history: HashSet::new(),
                first: true,
                fresh: options.fresh_group,
            },
            seen_group: false,
            polls: 0,
        };
        loop {
            tracker.polls += 1;
            let poll = self.poll(target, &operation, &mut tracker).await?;
            if let Some(on_poll) = options.on_poll.as_mut() {
                on_poll(&Progress {
                    waiting_for: target,
                    attempt: tracker.polls,
                    elapsed: started.elapsed(),
                    status: &poll.status,
                });
            }
            if let Outcome::Done(waited) = poll.outcome {
                return Ok(waited);
            }
            let Some(left) = config
                .max_wait
                .checked_sub(started.elapsed())
                .filter(|l| !l.is_zero())
            else {
                return Err(Error::Timeout {
                    operation,
                    elapsed_ms: started.elapsed().as_millis(),
                    what: format!(
                        "gave up at the {} maximum wait after {} polls; last seen: {}",
                        show_duration(config.max_wait),
                        tracker.polls,
                        poll.last_seen
                    ),
                });
            };
            tokio::time::sleep(config.delay(tracker.polls).min(left)).await;
        }
    }

    /// One poll of `target`.
    async fn poll(&self, target: &WaitFor, operation: &str, tracker: &mut Tracker) -> Result<Poll> {
        if let WaitFor::InstanceRefresh {
            group,
            refresh_id,
            goal,
        } = target
        {
            return self.poll_refresh(group, refresh_id, *goal, operation).await;
        }
        let name = target.group();
        let input = DescribeAutoScalingGroupsInput {
            auto_scaling_group_names: Some(vec![name.to_string()]),
            ..Default::default()
        };
        let found = self
            .describe_auto_scaling_groups(&input)
            .await?
            .auto_scaling_groups
            .unwrap_or_default()
            .into_iter()
            .find(|g| g.auto_scaling_group_name.as_deref() == Some(name));
        let seen_before = std::mem::replace(&mut tracker.seen_group, found.is_some());
        let Some(group) = found else {
            return match target {
                WaitFor::GroupNotExists(_) => Ok(Poll {
                    outcome: Outcome::Done(Waited::Gone),
                    status: "gone".into(),
                    last_seen: "gone".into(),
                }),
                WaitFor::GroupExists(_) => Ok(Poll {
                    outcome: Outcome::Retry,
                    status: "not there yet".into(),
                    last_seen: "the group is not listed".into(),
                }),
                _ if seen_before => Err(Error::Failed {
                    operation: operation.to_string(),
                    message: format!("group {name} was deleted while waiting"),
                }),
                _ => Err(Error::NotFound(format!("Auto Scaling group {name}"))),
            };
        };
        let (ready, moving) = counts(&group);
        let desired = i64::from(group.desired_capacity.unwrap_or(0).max(0));
        let min = i64::from(group.min_size.unwrap_or(0).max(0));
        let (done, status, last_seen) = match target {
            WaitFor::GroupExists(_) => (true, "exists".to_string(), String::new()),
            WaitFor::GroupNotExists(_) => (
                false,
                "still there".to_string(),
                "the group is still listed".to_string(),
            ),
            WaitFor::GroupInService(_) => (
                ready >= min,
                format!("{ready}/{min} in service (MinSize {min}, desired {desired})"),
                format!("{ready} of MinSize {min} instances in service"),
            ),
            _ => (
                ready == desired && moving == 0,
                if moving > 0 {
                    format!("{ready}/{desired} in service, {moving} pending or terminating")
                } else {
                    format!("{ready}/{desired} in service")
                },
                format!(
                    "{ready} of {desired} instances in service, {moving} pending or terminating"
                ),
            ),
        };
        if done {
            return Ok(Poll {
                outcome: Outcome::Done(Waited::Group(Box::new(group))),
                status,
                last_seen,
            });
        }
        if matches!(
            target,
            WaitFor::GroupInService(_) | WaitFor::GroupAtCapacity(_)
        ) {
            if group.status.as_deref() == Some("Delete in progress") {
                return Err(Error::Failed {
                    operation: operation.to_string(),
                    message: format!("group {name} is being deleted"),
                });
            }
            let failure = match failed_instance(operation, &group) {
                Some(e) => Some(e),
                None => tracker.activities.failed(self, name, operation).await,
            };
            if let Some(e) = failure {
                return Err(e);
            }
        }
        Ok(Poll {
            outcome: Outcome::Retry,
            status,
            last_seen,
        })
    }

    /// One poll of an instance refresh.
    async fn poll_refresh(
        &self,
        group: &str,
        refresh_id: &str,
        goal: RefreshGoal,
        operation: &str,
    ) -> Result<Poll> {
        let input = DescribeInstanceRefreshesInput {
            auto_scaling_group_name: group.to_string(),
            instance_refresh_ids: Some(vec![refresh_id.to_string()]),
            ..Default::default()
        };
        let refresh = self
            .describe_instance_refreshes(&input)
            .await?
            .instance_refreshes
            .unwrap_or_default()
            .into_iter()
            .find(|r| r.instance_refresh_id.as_deref() == Some(refresh_id))
            .ok_or_else(|| {
                Error::NotFound(format!("instance refresh {refresh_id} of group {group}"))
            })?;
        let status = refresh.status.clone().unwrap_or_else(|| "?".into());
        let mut line = status.clone();
        if let Some(p) = refresh.percentage_complete {
            line.push_str(&format!(", {p}% complete"));
        }
        if let Some(n) = refresh.instances_to_update {
            line.push_str(&format!(", {n} instances to update"));
        }
        if status == goal.status() {
            return Ok(Poll {
                outcome: Outcome::Done(Waited::Refresh(Box::new(refresh))),
                status: line.clone(),
                last_seen: line,
            });
        }
        if FINAL_REFRESH_STATUSES.contains(&status.as_str()) {
            return Err(Error::Failed {
                operation: operation.to_string(),
                message: format!(
                    "instance refresh {refresh_id} ended {status}: {}",
                    reason(refresh.status_reason.as_deref())
                ),
            });
        }
        Ok(Poll {
            outcome: Outcome::Retry,
            status: line.clone(),
            last_seen: line,
        })
    }
}

/// A duration as people write it: `90s`, `10m`, `1h`, `250ms`.
fn show_duration(d: Duration) -> String {
    let ms = d.as_millis();
    match ms {
        ms if ms % 3_600_000 == 0 && ms > 0 => format!("{}h", ms / 3_600_000),
        ms if ms % 60_000 == 0 && ms > 0 => format!("{}m", ms / 60_000),
        ms if ms % 1000 == 0 => format!("{}s", ms / 1000),
        ms => format!("{ms}ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_in_service() {
        assert!(is_in_service("InService"));
        assert!(is_in_service("600-RUNNING"));
        assert!(!is_in_service("650-RUNNING_FAILED"));
        assert!(!is_in_service("Pending"));
        assert!(!is_in_service("500-STARTED"));
    }

    #[test]
    fn failed_states() {
        assert!(is_failed("900-FAILED"));
        assert!(is_failed("950-REJECTED"));
        assert!(!is_failed("600-RUNNING"));
        assert!(!is_failed("800-TERMINATED"));
        assert!(!is_failed("InService"));
        assert!(!is_failed("Terminated"));
    }

    #[test]
    fn transitional_states() {
        for s in [
            "Pending",
            "Pending:Wait",
            "Terminating:Proceed",
            "400-PENDING",
            "700-TERMINATING",
        ] {
            assert!(is_transitional(s), "{s}");
        }
        for s in [
            "InService",
            "Standby",
            "600-RUNNING",
            "800-TERMINATED",
            "900-FAILED",
        ] {
            assert!(!is_transitional(s), "{s}");
        }
    }

    #[test]
    fn delays_back_off_with_jitter_between_min_and_max() {
        let config = WaiterConfig {
            min_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(20),
            max_wait: Duration::from_secs(600),
        };
        for _ in 0..200 {
            assert_eq!(config.delay(1), Duration::from_secs(2));
            let d = config.delay(3);
            assert!(
                d >= Duration::from_secs(2) && d <= Duration::from_secs(8),
                "{d:?}"
            );
            for attempt in [5, 30, 64, u32::MAX] {
                let d = config.delay(attempt);
                assert!(
                    d >= Duration::from_secs(2) && d <= Duration::from_secs(20),
                    "{d:?}"
                );
            }
        }
        let later: Vec<Duration> = (0..50).map(|_| config.delay(6)).collect();
        assert!(later.iter().any(|d| *d != later[0]), "no jitter");
    }

    #[test]
    fn odd_configurations_still_sleep_a_little() {
        let config = WaiterConfig {
            min_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            max_wait: Duration::from_secs(1),
        };
        assert_eq!(config.delay(1), FLOOR_DELAY);
        assert_eq!(config.delay(40), FLOOR_DELAY);
        let huge = WaiterConfig {
            min_delay: Duration::from_secs(u64::MAX / 4),
            max_delay: Duration::from_secs(1),
            max_wait: Duration::from_secs(1),
        };
        assert_eq!(huge.delay(10), Duration::from_secs(u64::MAX / 4));
    }

    #[test]
    fn durations_are_shown_as_written() {
        assert_eq!(show_duration(Duration::from_secs(600)), "10m");
        assert_eq!(show_duration(Duration::from_secs(3)), "3s");
        assert_eq!(show_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(show_duration(Duration::from_millis(1500)), "1500ms");
    }
}
