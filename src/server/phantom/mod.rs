//! The Phantom dialect of the endpoint (`phantom serve --dialect phantom`): what Nimbus Phantom's
//! Query API server did differently from AWS, in one place, consulted by the few steps that differ.
//!
//! One value, [`crate::config::Dialect`] in `Settings::dialect`, selects it; the handlers, the
//! store and the lifecycle stay the same. What differs, and who asks:
//! - which actions exist ([`ACTIONS`]; any other is 404, as Phantom answered): the front end;
//! - the wire form of replies and errors ([`wire`]): the front end and the operations' adapter;
//! - the rules of the ten actions ([`rules`]: `name@site`, base64 user data, the n-preserving
//!   SetDesiredCapacity, deletes that always succeed, tag definitions): the handlers, one call each;
//! - placement over ordered sites from a domain's tags ([`policy`]): the group's reconcile;
//! - Phantom's instance states, `100-REQUESTING` ... `900-FAILED` ([`instance_state`]): the
//!   instance rows.
//!
//! Sources: the byte-exact captures with the genuine server (`tests/fixtures/phantom-wire/`) and
//! the notes in `wsdl-notes/dialects.md`, which also list where this endpoint deliberately answers
//! differently (a plain user mistake the genuine server crashed on gets the 400 it intended).

pub mod policy;
pub mod rules;
pub mod wire;

/// Phantom's ten actions; any other is answered 404, as the genuine server answered it.
pub const ACTIONS: &[&str] = &[
    "CreateLaunchConfiguration",
    "DeleteLaunchConfiguration",
    "DescribeLaunchConfigurations",
    "CreateAutoScalingGroup",
    "DeleteAutoScalingGroup",
    "DescribeAutoScalingGroups",
    "SetDesiredCapacity",
    "DescribeAutoScalingInstances",
    "TerminateInstanceInAutoScalingGroup",
    "CreateOrUpdateTags",
];

/// Whether Phantom has `action`.
pub fn serves(action: &str) -> bool {
    ACTIONS.contains(&action)
}

/// The stored lifecycle phase of an instance that failed to start (its site does not exist):
/// shown `900-FAILED` while it stays listed.
pub const FAILED: &str = "Failed";

/// An instance's Phantom state at `now`, or `None` once it is no longer listed.
///
/// Launching walks `100-REQUESTING`, `200-REQUESTED`, `400-PENDING`, `500-STARTED` over the launch
/// delay (each a quarter of it), then `600-RUNNING`; a terminated one is `700-TERMINATING` for the
/// terminate delay, then `800-TERMINATED` for `kept_ms` (its row's `gone_ms` is that end); a failed
/// one ([`FAILED`]) is `900-FAILED` until its `gone_ms`.
pub fn instance_state(
    now: i64,
    launched_ms: i64,
    ready_ms: i64,
    terminating_ms: Option<i64>,
    gone_ms: Option<i64>,
    phase: Option<&str>,
    kept_ms: i64,
) -> Option<&'static str> {
    if gone_ms.is_some_and(|g| now >= g) {
        return None;
    }
    if phase == Some(FAILED) {
        return Some("900-FAILED");
    }
    if let Some(gone) = gone_ms
        && now >= gone.saturating_sub(kept_ms)
    {
        return Some("800-TERMINATED");
    }
    if terminating_ms.is_some() || gone_ms.is_some() {
        return Some("700-TERMINATING");
    }
    if now >= ready_ms {
        return Some("600-RUNNING");
    }
    let span = (ready_ms - launched_ms).max(1);
    let quarter = (now - launched_ms).max(0).saturating_mul(4) / span;
    Some(match quarter {
        0 => "100-REQUESTING",
        1 => "200-REQUESTED",
        2 => "400-PENDING",
        _ => "500-STARTED",
    })
}

/// Whether a state (AWS's or Phantom's) is one of an instance that is ending or has ended, which
/// no call may terminate again.
pub fn ending(state: &str) -> bool {
    state.starts_with("Terminating") || matches!(state.as_bytes().first(), Some(b'7'..=b'9'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_walk_phantoms_numbers() {
        let s = |now, term, gone, phase| instance_state(now, 0, 100, term, gone, phase, 50);
        assert_eq!(s(0, None, None, None), Some("100-REQUESTING"));
        assert_eq!(s(30, None, None, None), Some("200-REQUESTED"));
        assert_eq!(s(60, None, None, None), Some("400-PENDING"));
        assert_eq!(s(80, None, None, None), Some("500-STARTED"));
        assert_eq!(s(100, None, None, None), Some("600-RUNNING"));
        assert_eq!(s(115, Some(110), Some(170), None), Some("700-TERMINATING"));
        assert_eq!(s(125, Some(110), Some(170), None), Some("800-TERMINATED"));
        assert_eq!(s(170, Some(110), Some(170), None), None);
        assert_eq!(s(5, Some(0), Some(50), Some(FAILED)), Some("900-FAILED"));
        assert_eq!(s(50, Some(0), Some(50), Some(FAILED)), None);
        assert!(ending("700-TERMINATING") && ending("900-FAILED") && ending("Terminating"));
        assert!(!ending("600-RUNNING") && !ending("InService"));
    }
}
