//! The engine's timers: one task that acts on stored deadlines when they come due, and otherwise
//! sleeps.
//!
//! Why this shape (issue 13, item 8): the engine must not scan every group on every tick. Each
//! kind of deadline ([`Source`]: scheduled actions, lifecycle hook timeouts, instance refresh
//! steps and warm pool deletions now; warm-ups later) keeps its deadlines in the store in an
//! indexed column, so "what is due" and "when is the next one" are index lookups, whatever the
//! number of groups. The task runs every due deadline
//! in one store transaction, asks each source for its earliest deadline, and sleeps until the
//! earliest of those, or until a request that adds, changes or removes a deadline wakes it
//! ([`Wake::wake`], a `tokio::sync::Notify`: a wake sent while the task is busy is kept, so none
//! is lost). With nothing due, an idle endpoint makes no work at all, and a deadline is acted on
//! within milliseconds of its time (the store's lock permitting). Deadlines live in the store,
//! not in memory, so a restart with `--state` picks them up (one that came due while the
//! endpoint was down runs at start).
//!
//! Adding a kind of deadline: implement [`Source`] (its due work and its earliest deadline, both
//! over an indexed column), add it to [`sources`], and call `ctx.settings.timers.wake()` from the
//! handlers that change its deadlines.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::Transaction;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::server::fault::ApiError;
use crate::server::lifecycle::now_ms;
use crate::server::ops::Settings;
use crate::server::rows::{hooks, refreshes, scheduled_actions, warm_pools};
use crate::server::store::Store;

/// How long the engine waits before trying again after a failed pass (a store error).
const RETRY: Duration = Duration::from_secs(1);

/// The longest single sleep (a deadline further off is slept towards in steps of this).
const MAX_SLEEP: Duration = Duration::from_secs(24 * 3600);

/// A kind of deadline the engine keeps.
pub trait Source: Send + Sync {
    /// Acts on every deadline of this kind due at `now` (each one moved on or removed, so that
    /// it is not due again at `now`).
    fn run_due(&self, tx: &Transaction<'_>, settings: &Settings, now: i64) -> Result<(), ApiError>;
    /// The earliest deadline of this kind, epoch milliseconds, if any.
    fn earliest(&self, tx: &Transaction<'_>) -> Result<Option<i64>, ApiError>;
}

/// Scheduled actions (`rows::scheduled_actions`).
struct ScheduledActions;

impl Source for ScheduledActions {
    fn run_due(&self, tx: &Transaction<'_>, settings: &Settings, now: i64) -> Result<(), ApiError> {
        scheduled_actions::run_due(tx, settings, now)
    }

    fn earliest(&self, tx: &Transaction<'_>) -> Result<Option<i64>, ApiError> {
        scheduled_actions::earliest(tx)
    }
}

/// Lifecycle actions holding instances in a wait state (`rows::hooks`): at its deadline (the
/// heartbeat timeout, bounded by the global timeout) an action ends with its DefaultResult.
struct LifecycleActions;

impl Source for LifecycleActions {
    fn run_due(&self, tx: &Transaction<'_>, settings: &Settings, now: i64) -> Result<(), ApiError> {
        hooks::run_due(tx, settings, now)
    }

    fn earliest(&self, tx: &Transaction<'_>) -> Result<Option<i64>, ApiError> {
        hooks::earliest(tx)
    }
}

/// Instance refreshes (`rows::refreshes`): at its next step's time (a warm-up, checkpoint delay,
/// bake time or wait ends) a refresh moves on.
struct InstanceRefreshes;

impl Source for InstanceRefreshes {
    fn run_due(&self, tx: &Transaction<'_>, settings: &Settings, now: i64) -> Result<(), ApiError> {
        refreshes::run_due(tx, settings, now)
    }

    fn earliest(&self, tx: &Transaction<'_>) -> Result<Option<i64>, ApiError> {
        refreshes::earliest(tx)
    }
}

/// Warm pools being deleted (`rows::warm_pools`): when the last instance is gone, the pool goes.
struct WarmPoolDeletions;

impl Source for WarmPoolDeletions {
    fn run_due(&self, tx: &Transaction<'_>, _: &Settings, now: i64) -> Result<(), ApiError> {
        warm_pools::run_due(tx, now)
    }

    fn earliest(&self, tx: &Transaction<'_>) -> Result<Option<i64>, ApiError> {
        warm_pools::earliest(tx)
    }
}

/// The kinds of deadline the engine keeps.
fn sources() -> Vec<Box<dyn Source>> {
    vec![
        Box::new(ScheduledActions),
        Box::new(LifecycleActions),
        Box::new(InstanceRefreshes),
        Box::new(WarmPoolDeletions),
    ]
}

/// Wakes the engine so it looks again at the earliest deadline (cheap; call it after changing a
/// deadline, inside or after the transaction: the engine's pass waits for the store's lock).
#[derive(Debug, Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    /// Asks the engine to look again.
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// One pass: runs what is due at `now`, returns the earliest deadline left.
fn pass(
    store: &Store,
    settings: &Settings,
    sources: &[Box<dyn Source>],
    now: i64,
) -> Result<Option<i64>, ApiError> {
    store.transaction(|tx| {
        let mut earliest: Option<i64> = None;
        for source in sources {
            source.run_due(tx, settings, now)?;
            if let Some(t) = source.earliest(tx)? {
                earliest = Some(earliest.map_or(t, |e| e.min(t)));
            }
        }
        Ok(earliest)
    })
}

/// Starts the engine over `store`; it runs until the handle is aborted.
pub fn spawn(store: Arc<Store>, settings: Settings) -> JoinHandle<()> {
    let wake = settings.timers.0.clone();
    tokio::spawn(async move {
        let sources = sources();
        loop {
            let now = now_ms();
            let wait = match pass(&store, &settings, &sources, now) {
                Ok(Some(next)) => Some(Duration::from_millis(
                    u64::try_from(next.saturating_sub(now)).unwrap_or(0),
                )),
                Ok(None) => None,
                Err(e) => {
                    eprintln!("phantom serve: timer pass failed: {}", e.message);
                    Some(RETRY)
                }
            };
            match wait {
                Some(d) if d.is_zero() => tokio::task::yield_now().await,
                Some(d) => {
                    tokio::select! {
                        _ = tokio::time::sleep(d.min(MAX_SLEEP)) => {}
                        _ = wake.notified() => {}
                    }
                }
                None => wake.notified().await,
            }
        }
    })
}
