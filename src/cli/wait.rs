//! Waiting for a domain: poll until it has its desired number of instances in service, with a
//! progress line on a terminal and a timeout.
//!
//! "In service" is AWS's `InService` or Phantom's running state (`600-RUNNING`). Unlike the SDK
//! waiters, the target is the desired capacity, not MinSize, so a group of min 0 does not pass at once.
//!
//! The wait lasts the whole timeout: polls back off (0.2 s doubling to 5 s) but the last sleep is
//! cut to end at the timeout, and one more poll is made there before giving up. It ends at once
//! when the launch has failed: an instance in a failed state (Phantom's `900-FAILED`, `950-REJECTED`)
//! or, under the AWS dialect, a scaling activity of the group whose `StatusCode` is `Failed`; the
//! error names the instance or activity and the server's reason (`StatusMessage`). For `wait
//! in-service` on an existing group, activities already finished at the first poll are history and
//! do not count; for a group just created by `domain create --wait` every activity counts.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::query_cmds::describe_group;
use crate::autoscaling::Client;
use crate::autoscaling::types::{Activity, AutoScalingGroup, DescribeScalingActivitiesInput};
use crate::config::Dialect;
use crate::error::Error;

/// Whether an instance's lifecycle state counts as in service.
pub fn is_in_service(state: &str) -> bool {
    state == "InService" || state.ends_with("-RUNNING") && !state.contains("FAILED")
}

/// Whether an instance's lifecycle state says its launch failed for good: Phantom's states from
/// `900` on (`900-FAILED`, `950-REJECTED`).
pub fn is_failed(state: &str) -> bool {
    state
        .split_once('-')
        .and_then(|(number, _)| number.parse::<u32>().ok())
        .is_some_and(|n| n >= 900)
}

/// The scaling activity status codes that are final (the model's `ScalingActivityStatusCode`).
const FINAL_ACTIVITY_CODES: &[&str] = &["Successful", "Failed", "Cancelled"];

fn counts(group: &AutoScalingGroup) -> (usize, usize) {
    let in_service = group
        .instances
        .iter()
        .flatten()
        .filter(|i| i.lifecycle_state.as_deref().is_some_and(is_in_service))
        .count();
    let desired = group.desired_capacity.unwrap_or(0).max(0) as usize;
    (in_service, desired)
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

/// The failure to report for a failed activity, naming it and the server's reason.
fn failed_activity(operation: &str, activity: &Activity) -> Error {
    let reason = activity
        .status_message
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or("the server gave no reason");
    Error::Failed {
        operation: operation.to_string(),
        message: format!(
            "scaling activity {} failed: {} ({reason})",
            activity.activity_id.as_deref().unwrap_or("?"),
            activity.description.as_deref().unwrap_or("no description"),
        ),
    }
}

/// Follows the group's recent scaling activities (AWS dialect): the first one that failed and is
/// not history.
struct Activities {
    /// Ids of activities to ignore: already final at the first poll of an existing group.
    history: HashSet<String>,
    /// Whether the first poll is still to come.
    first: bool,
    /// Whether every activity counts (a group this command just created).
    fresh: bool,
}

impl Activities {
    async fn failed(&mut self, client: &Client, name: &str, operation: &str) -> Option<Error> {
        let input = DescribeScalingActivitiesInput {
            auto_scaling_group_name: Some(name.to_string()),
            max_records: Some(50),
            ..Default::default()
        };
        let page = match client.describe_scaling_activities(&input).await {
            Ok(page) => page,
            Err(e) => {
                // Not every server has DescribeScalingActivities; the wait goes on without it.
                client
                    .transport()
                    .debug_note(&format!("{operation}: activities not checked: {e}"));
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

/// Polls `name` until at least its desired capacity is in service; returns the group. `fresh`
/// says the group was just created by this command (every scaling activity of it counts).
pub async fn in_service(
    client: &Client,
    dialect: Dialect,
    name: &str,
    timeout: Duration,
    fresh: bool,
) -> Result<AutoScalingGroup, Error> {
    let operation = format!("wait in-service {name}");
    let started = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let end_line = || {
        if terminal {
            eprintln!();
        }
    };
    let mut activities = Activities {
        history: HashSet::new(),
        first: true,
        fresh,
    };
    let mut delay = Duration::from_millis(200);
    loop {
        let group = describe_group(client, name).await?;
        let (ready, desired) = counts(&group);
        if terminal {
            eprint!(
                "\rwaiting for {name}: {ready}/{desired} in service ({}s)   ",
                started.elapsed().as_secs()
            );
            let _ = std::io::stderr().flush();
        }
        if ready >= desired {
            end_line();
            return Ok(group);
        }
        let failure = match failed_instance(&operation, &group) {
            Some(e) => Some(e),
            None if dialect == Dialect::Aws => activities.failed(client, name, &operation).await,
            None => None,
        };
        if let Some(e) = failure {
            end_line();
            return Err(e);
        }
        let Some(left) = timeout
            .checked_sub(started.elapsed())
            .filter(|l| !l.is_zero())
        else {
            end_line();
            return Err(Error::Timeout {
                operation,
                elapsed_ms: started.elapsed().as_millis(),
                what: format!("{ready} of {desired} instances in service"),
            });
        };
        tokio::time::sleep(delay.min(left)).await;
        delay = (delay * 2).min(Duration::from_secs(5));
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
}
