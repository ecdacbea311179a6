//! Waiting for a domain: poll until it has its desired number of instances in service, with a
//! progress line on a terminal and a timeout.
//!
//! "In service" is AWS's `InService` or Phantom's running state (`600-RUNNING`). Unlike the SDK
//! waiters, the target is the desired capacity, not MinSize, so a group of min 0 does not pass at once.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::query_cmds::describe_group;
use crate::autoscaling::Client;
use crate::autoscaling::types::AutoScalingGroup;
use crate::error::Error;

/// Whether an instance's lifecycle state counts as in service.
pub fn is_in_service(state: &str) -> bool {
    state == "InService" || state.ends_with("-RUNNING") && !state.contains("FAILED")
}

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

/// Polls `name` until at least its desired capacity is in service; returns the group.
pub async fn in_service(
    client: &Client,
    name: &str,
    timeout: Duration,
) -> Result<AutoScalingGroup, Error> {
    let started = Instant::now();
    let terminal = std::io::stderr().is_terminal();
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
            if terminal {
                eprintln!();
            }
            return Ok(group);
        }
        if started.elapsed() + delay > timeout {
            if terminal {
                eprintln!();
            }
            return Err(Error::Timeout {
                operation: format!("wait in-service {name}"),
                elapsed_ms: started.elapsed().as_millis(),
                what: format!("{ready} of {desired} instances in service"),
            });
        }
        tokio::time::sleep(delay).await;
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
}
