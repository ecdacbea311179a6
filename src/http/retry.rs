//! Retries, in the AWS SDKs' three modes: which failures are retried (the classifier), how long
//! to wait before the next attempt (jittered exponential backoff, or the server's
//! `Retry-After`), and the loop that runs the attempts under a per-attempt limit and an overall
//! deadline, re-signing once with a corrected clock after a clock-skew refusal.
//!
//! - *standard* (the default, as in the AWS CLI v2): 3 attempts; 5xx, throttling and transient
//!   errors retried; backoff `rand * min(base * 2^n, 20 s)`; a retry quota per client
//!   ([`super::retry_state::RetryQuota`]);
//! - *adaptive*: standard, plus a client-side rate limiter fed by throttling errors
//!   ([`super::retry_state::RateLimiter`]), which may hold back even a first attempt;
//! - *legacy* (the AWS CLI v1's): 5 attempts, also HTTP 429 and 509 retried, no quota.
//!
//! The loop knows no protocol: each attempt reports an [`Attempt`], built by the client from what
//! it read, usually through [`classify`].

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use super::clock::{ServerClock, parse_http_date};
use super::retry_state::{RETRY_COST, RateLimiter, RetryQuota, TIMEOUT_RETRY_COST};
use super::trace::Trace;
use crate::error::{Error, Result};

/// The AWS SDKs' retry modes (`retry_mode`, `AWS_RETRY_MODE`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum RetryMode {
    /// The AWS CLI v1's rules: 5 attempts by default, 429 and 509 retried too, no quota.
    Legacy,
    /// The SDKs' standard rules (the default).
    #[default]
    Standard,
    /// Standard, plus client-side rate limiting after throttling errors.
    Adaptive,
}

impl RetryMode {
    /// The mode's name as configured: `legacy`, `standard`, `adaptive`.
    pub fn name(self) -> &'static str {
        match self {
            RetryMode::Legacy => "legacy",
            RetryMode::Standard => "standard",
            RetryMode::Adaptive => "adaptive",
        }
    }

    /// Attempts per call when `max_attempts` does not say: 5 (legacy) or 3.
    pub fn default_attempts(self) -> u32 {
        match self {
            RetryMode::Legacy => 5,
            RetryMode::Standard | RetryMode::Adaptive => 3,
        }
    }
}

impl fmt::Display for RetryMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RetryMode {
    type Err = Error;

    /// `legacy`, `standard` or `adaptive` (any case, as the SDKs accept them).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "legacy" => Ok(RetryMode::Legacy),
            "standard" => Ok(RetryMode::Standard),
            "adaptive" => Ok(RetryMode::Adaptive),
            _ => Err(Error::Config(format!(
                "unknown retry mode `{}`: expected legacy, standard or adaptive",
                s.chars().take(40).collect::<String>()
            ))),
        }
    }
}

/// What a client's retries remember between calls (its clones share it): the retry quota and
/// the rate limiter. Not a setting: two policies compare equal whatever their state.
#[derive(Debug, Clone, Default)]
pub struct RetryState {
    inner: Arc<Mutex<StateInner>>,
}

#[derive(Debug)]
struct StateInner {
    quota: RetryQuota,
    limiter: RateLimiter,
    /// The limiter's clock starts here.
    epoch: Instant,
}

impl Default for StateInner {
    fn default() -> Self {
        StateInner {
            quota: RetryQuota::default(),
            limiter: RateLimiter::default(),
            epoch: Instant::now(),
        }
    }
}

impl PartialEq for RetryState {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl RetryState {
    fn with<R>(&self, f: impl FnOnce(&mut StateInner) -> R) -> R {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut inner)
    }

    /// Tokens left in the retry quota.
    pub fn quota_tokens(&self) -> u32 {
        self.with(|s| s.quota.tokens())
    }

    /// The rate limiter's fill rate (requests per second) once a throttle enabled it.
    pub fn limited_rate(&self) -> Option<f64> {
        self.with(|s| s.limiter.enabled().then(|| s.limiter.fill_rate()))
    }
}

/// How failed attempts are retried: the mode, the attempts, the backoff, and the state the
/// mode keeps between calls.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// The retry mode (`retry_mode`, `AWS_RETRY_MODE`; default standard).
    pub mode: RetryMode,
    /// Attempts in all, the first included (`--max-attempts`, `AWS_MAX_ATTEMPTS`,
    /// `max_attempts`; default 3, legacy 5).
    pub max_attempts: u32,
    /// The base of the exponential backoff (the SDKs use 1 s; tests use less).
    pub base_delay: Duration,
    /// The cap on one backoff delay (20 s in the SDKs).
    pub max_delay: Duration,
    /// The retry quota and rate limiter, shared by the clones of this policy.
    pub state: RetryState,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::for_mode(RetryMode::Standard)
    }
}

impl RetryPolicy {
    /// The policy of `mode` with its default attempts.
    pub fn for_mode(mode: RetryMode) -> Self {
        RetryPolicy {
            mode,
            max_attempts: mode.default_attempts(),
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(20),
            state: RetryState::default(),
        }
    }

    /// The delay before retry number `retry` (1-based): `rand(0,1) * min(base * 2^(retry-1), max)`.
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        exp.min(self.max_delay).mul_f64(fastrand::f64())
    }
}

/// Error codes that mean "slow down": retried like a 5xx.
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Error codes of transient failures, retried like a 5xx (the SDKs' standard list).
pub const TRANSIENT_CODES: &[&str] = &["RequestTimeout", "RequestTimeoutException"];

/// Error codes that mean the request's signing time was refused.
const SKEW_CODES: &[&str] = &[
    "RequestExpired",
    "RequestTimeTooSkewed",
    "RequestInTheFuture",
];

/// Whether a service error says the request's signing time is too far from the server's clock.
pub fn is_clock_skew_error(code: &str, message: &str) -> bool {
    if SKEW_CODES.contains(&code) {
        return true;
    }
    let signature_code = matches!(
        code,
        "InvalidSignatureException" | "SignatureDoesNotMatch" | "AuthFailure"
    );
    let lower = message.to_ascii_lowercase();
    signature_code
        && (lower.contains("expired")
            || lower.contains("skew")
            || lower.contains("in the future")
            || lower.contains("earlier than")
            || lower.contains("later than"))
}

/// Parses `Retry-After`: a number of seconds, or an HTTP date (a date in the past means now).
pub fn parse_retry_after(text: &str, now: SystemTime) -> Option<Duration> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(24 * 3600)));
    }
    let when = parse_http_date(text)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What one attempt came to.
#[derive(Debug)]
pub enum Attempt<T> {
    /// It succeeded.
    Done(T),
    /// A failure the standard mode retries.
    Retry {
        /// The error reported if no attempt is left.
        error: Error,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
        /// Whether the server may have carried out the request (lost reply, 5xx).
        maybe_done: bool,
    },
    /// The server refused the signature's time: re-sent once with the clock corrected.
    Skewed {
        /// The error reported if the clock cannot be corrected.
        error: Error,
        /// The server's `Date`, if it sent one.
        server_time: Option<SystemTime>,
    },
}

/// Decides what a service error means for the call: retried (HTTP 500, 502, 503, 504, the
/// [`THROTTLING_CODES`] and the [`TRANSIENT_CODES`]), re-signed with a corrected clock (see [`is_clock_skew_error`]), or
/// final (the rest, and every error that is not a service error): `Err`.
pub fn classify<T>(
    error: Error,
    retry_after: Option<Duration>,
    server_time: Option<SystemTime>,
) -> Result<Attempt<T>> {
    let Error::Service(e) = &error else {
        return Err(error);
    };
    if matches!(e.status, 500 | 502 | 503 | 504) {
        return Ok(Attempt::Retry {
            error,
            retry_after,
            maybe_done: true,
        });
    }
    if THROTTLING_CODES.contains(&e.code.as_str()) || TRANSIENT_CODES.contains(&e.code.as_str()) {
        return Ok(Attempt::Retry {
            error,
            retry_after,
            maybe_done: false,
        });
    }
    if is_clock_skew_error(&e.code, &e.message) {
        return Ok(Attempt::Skewed { error, server_time });
    }
    Err(error)
}

/// What happened during one call, besides its result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallReport {
    /// Attempts made (clock-skew re-sends included).
    pub attempts: u32,
    /// Whether an attempt before the last one may have been carried out by the server although
    /// its reply was lost: the connection broke or timed out after the request was sent, or the
    /// server answered 5xx. A Create whose retry then says `AlreadyExists` is ambiguous.
    pub outcome_unknown: bool,
    /// Whether the signing clock was corrected from the server's `Date` during this call.
    pub clock_corrected: bool,
    /// Attempts the adaptive mode's rate limiter held back before sending.
    pub rate_limited: u32,
}

/// Whether an error is a throttling error (it feeds the adaptive mode's rate limiter).
fn is_throttling(error: &Error) -> bool {
    matches!(error, Error::Service(e) if THROTTLING_CODES.contains(&e.code.as_str()))
}

/// What legacy mode retries besides the standard classification: HTTP 429 and 509.
fn legacy_retries(error: &Error) -> bool {
    matches!(error, Error::Service(e) if matches!(e.status, 429 | 509))
}

/// The attempts of one call: the policy, the limits, and where a clock correction goes.
#[derive(Debug)]
pub struct Retrier<'a> {
    /// The operation, named in timeout errors.
    pub operation: &'a str,
    /// How many attempts and how long between them.
    pub policy: &'a RetryPolicy,
    /// The longest one attempt may take (connect + read timeout: the read timeout alone restarts
    /// with every byte, so a server trickling bytes would never trip it).
    pub attempt_limit: Duration,
    /// The longest the whole call may take, retries included.
    pub deadline: Option<Duration>,
    /// The clock to correct after a clock-skew refusal; without one such a refusal is final.
    pub clock: Option<&'a ServerClock>,
    /// Where retries are traced.
    pub trace: &'a Trace,
}

impl Retrier<'_> {
    /// Runs `attempt` until it is done, fails for good, or the attempts or the deadline run out.
    ///
    /// A [`Attempt::Retry`] waits `Retry-After` when the server sent one (capped at the policy's
    /// `max_delay`) or the jittered backoff, unless that wait would pass the deadline. A
    /// [`Attempt::Skewed`] with a server time a second or more from ours corrects the clock and
    /// is re-sent at once, once per call, on top of the attempts. No attempt outlives
    /// [`Retrier::attempt_limit`], and no call its deadline.
    pub async fn run<T, F, Fut>(&self, mut attempt: F) -> (Result<T>, CallReport)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Attempt<T>>>,
    {
        let started = Instant::now();
        let mut report = CallReport::default();
        // Attempts counted against the policy (a clock-skew re-send is not one of them).
        let mut counted = 1;
        // What the last retry took from the quota, given back if the call then succeeds.
        let mut retry_cost = None;
        loop {
            let remaining = match self.deadline {
                Some(d) => match d.checked_sub(started.elapsed()) {
                    Some(r) if !r.is_zero() => Some(r),
                    _ => return (Err(self.deadline_error(started)), report),
                },
                None => None,
            };
            if self.policy.mode == RetryMode::Adaptive
                && let Err(error) = self.wait_for_send_token(started, &mut report).await
            {
                return (Err(error), report);
            }
            let deadline_first = remaining.is_some_and(|r| r <= self.attempt_limit);
            report.attempts += 1;
            let attempt_started = Instant::now();
            let limit = remaining.map_or(self.attempt_limit, |r| r.min(self.attempt_limit));
            let outcome = match tokio::time::timeout(limit, attempt()).await {
                Ok(outcome) => outcome,
                Err(_) if deadline_first => {
                    return (Err(self.deadline_error(started)), report);
                }
                Err(_) => Ok(Attempt::Retry {
                    error: Error::Timeout {
                        operation: self.operation.to_string(),
                        elapsed_ms: attempt_started.elapsed().as_millis(),
                        what: "attempt limit: connect timeout + read timeout; the reply \
                               came too slowly"
                            .into(),
                    },
                    retry_after: None,
                    maybe_done: true,
                }),
            };
            let outcome = match outcome {
                // Legacy mode retries "too many requests" and 509 too.
                Err(error) if self.policy.mode == RetryMode::Legacy && legacy_retries(&error) => {
                    Ok(Attempt::Retry {
                        error,
                        retry_after: None,
                        maybe_done: false,
                    })
                }
                other => other,
            };
            if self.policy.mode == RetryMode::Adaptive {
                let throttled =
                    matches!(&outcome, Ok(Attempt::Retry { error, .. }) if is_throttling(error));
                let state = &self.policy.state;
                state.with(|s| {
                    let now = s.epoch.elapsed().as_secs_f64();
                    s.limiter.on_response(now, throttled);
                });
            }
            match outcome {
                Ok(Attempt::Done(value)) => {
                    if self.policy.mode != RetryMode::Legacy {
                        self.policy.state.with(|s| s.quota.succeeded(retry_cost));
                    }
                    return (Ok(value), report);
                }
                Ok(Attempt::Skewed { error, server_time }) => {
                    let learnt = match (self.clock, server_time) {
                        (Some(clock), Some(server)) if !report.clock_corrected => {
                            clock.learn(server)
                        }
                        _ => None,
                    };
                    let Some(offset) = learnt else {
                        return (Err(error), report);
                    };
                    report.clock_corrected = true;
                    self.trace.line(&format!(
                        "clock skew: {error}; the server's clock is {:.1} s {} ours \
                         (Date header); re-signing with the corrected time and retrying once",
                        offset.unsigned_abs() as f64 / 1000.0,
                        if offset >= 0 { "ahead of" } else { "behind" }
                    ));
                }
                Ok(Attempt::Retry {
                    error,
                    retry_after,
                    maybe_done,
                }) if counted < self.policy.max_attempts => {
                    if self.policy.mode != RetryMode::Legacy {
                        let cost = if matches!(error, Error::Timeout { .. }) {
                            TIMEOUT_RETRY_COST
                        } else {
                            RETRY_COST
                        };
                        if !self.policy.state.with(|s| s.quota.take(cost)) {
                            self.trace.line(&format!(
                                "attempt {counted} failed ({error}); not retried: this client's \
                                 retry quota is spent (too many failures in a row)"
                            ));
                            return (Err(error), report);
                        }
                        retry_cost = Some(cost);
                    }
                    report.outcome_unknown |= maybe_done;
                    let delay = match retry_after {
                        Some(after) => after.min(self.policy.max_delay),
                        None => self.policy.delay(counted),
                    };
                    self.trace.line(&format!(
                        "attempt {counted} of {} failed ({error}); retrying in {} ms{}",
                        self.policy.max_attempts,
                        delay.as_millis(),
                        if retry_after.is_some() {
                            " (Retry-After)"
                        } else {
                            ""
                        }
                    ));
                    if self
                        .deadline
                        .is_some_and(|d| started.elapsed() + delay >= d)
                    {
                        return (Err(error), report);
                    }
                    tokio::time::sleep(delay).await;
                    counted += 1;
                }
                Ok(Attempt::Retry { error, .. }) | Err(error) => return (Err(error), report),
            }
        }
    }

    /// Adaptive mode: waits until the rate limiter lets a request go (at once until a
    /// throttling error enabled it), within the deadline.
    async fn wait_for_send_token(
        &self,
        started: Instant,
        report: &mut CallReport,
    ) -> std::result::Result<(), Error> {
        let mut waited = Duration::ZERO;
        loop {
            let state = &self.policy.state;
            let wait = match state.with(|s| s.limiter.acquire(s.epoch.elapsed().as_secs_f64())) {
                Ok(()) => break,
                Err(wait) => wait,
            };
            if self.deadline.is_some_and(|d| started.elapsed() + wait >= d) {
                return Err(self.deadline_error(started));
            }
            tokio::time::sleep(wait).await;
            waited += wait;
        }
        if !waited.is_zero() {
            report.rate_limited += 1;
            self.trace.line(&format!(
                "client-side rate limit (adaptive retry mode, {:.2} requests/s after \
                 throttling): waited {} ms before sending",
                self.policy.state.limited_rate().unwrap_or_default(),
                waited.as_millis()
            ));
        }
        Ok(())
    }

    fn deadline_error(&self, started: Instant) -> Error {
        Error::Timeout {
            operation: self.operation.to_string(),
            elapsed_ms: started.elapsed().as_millis(),
            what: "overall deadline; raise it with --deadline".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_as_the_sdks_name_them_with_their_default_attempts() {
        for (text, mode, attempts) in [
            ("standard", RetryMode::Standard, 3),
            (" Adaptive ", RetryMode::Adaptive, 3),
            ("LEGACY", RetryMode::Legacy, 5),
        ] {
            let parsed: RetryMode = text.parse().unwrap();
            assert_eq!(parsed, mode);
            assert_eq!(RetryPolicy::for_mode(parsed).max_attempts, attempts);
        }
        assert!("turbo".parse::<RetryMode>().is_err());
        assert_eq!(RetryPolicy::default().mode, RetryMode::Standard);
    }

    /// Runs a call whose every attempt fails with `status`/`code`, returning the attempts made.
    async fn failing_call(policy: &RetryPolicy, status: u16, code: &str) -> u32 {
        let trace = Trace::default();
        let retrier = Retrier {
            operation: "Op",
            policy,
            attempt_limit: Duration::from_secs(5),
            deadline: None,
            clock: None,
            trace: &trace,
        };
        let (result, report) = retrier
            .run(|| async {
                classify::<()>(Error::service("Op", status, code, "", None), None, None)
            })
            .await;
        assert!(result.is_err());
        report.attempts
    }

    #[tokio::test]
    async fn a_spent_quota_ends_retries_except_in_legacy_mode() {
        let fast = |mode| RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            ..RetryPolicy::for_mode(mode)
        };
        let standard = fast(RetryMode::Standard);
        assert_eq!(failing_call(&standard, 503, "Unavailable").await, 4);
        assert_eq!(standard.state.quota_tokens(), 500 - 3 * RETRY_COST);
        // Spend the quota (clones share it): the next failure is final at once.
        let clone = standard.clone();
        clone.state.with(|s| while s.quota.take(RETRY_COST) {});
        assert_eq!(failing_call(&standard, 503, "Unavailable").await, 1);
        let legacy = fast(RetryMode::Legacy);
        legacy.state.with(|s| while s.quota.take(RETRY_COST) {});
        assert_eq!(failing_call(&legacy, 503, "Unavailable").await, 4);
        // Legacy retries 429 and 509 too; standard does not.
        assert_eq!(failing_call(&legacy, 429, "TooManyRequests").await, 4);
        assert_eq!(failing_call(&legacy, 509, "BandwidthExceeded").await, 4);
        let standard = fast(RetryMode::Standard);
        assert_eq!(failing_call(&standard, 429, "TooManyRequests").await, 1);
        // A transient code is retried in standard mode.
        assert_eq!(failing_call(&standard, 400, "RequestTimeout").await, 4);
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let policy = RetryPolicy::default();
        for retry in 1..40 {
            assert!(policy.delay(retry) <= Duration::from_secs(20));
        }
        let first: Vec<Duration> = (0..50).map(|_| policy.delay(1)).collect();
        assert!(first.iter().all(|d| *d <= Duration::from_secs(1)));
        assert!(first.iter().any(|d| *d != first[0]), "no jitter");
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // 06 Nov 1994 08:49:37
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:42 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        for bad in ["", "soon", "-1", "1.5", "Sun, 06 Nov 1994 08:49:42 PST"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
        assert_eq!(
            parse_retry_after("99999999999", now),
            Some(Duration::from_secs(24 * 3600))
        );
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(now),
            "IMF-fixdate"
        );
    }

    #[test]
    fn clock_skew_errors_are_recognised() {
        assert!(is_clock_skew_error(
            "RequestExpired",
            "Request has expired."
        ));
        assert!(is_clock_skew_error("RequestTimeTooSkewed", ""));
        assert!(is_clock_skew_error(
            "InvalidSignatureException",
            "Signature expired: 20130524T000000Z is now earlier than 20130524T000500Z"
        ));
        assert!(is_clock_skew_error(
            "SignatureDoesNotMatch",
            "Signature not yet current: 20300101T000000Z is still later than 20260101T000500Z"
        ));
        assert!(!is_clock_skew_error(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match"
        ));
        assert!(!is_clock_skew_error("ValidationError", "expired"));
    }

    #[test]
    fn only_5xx_and_throttling_are_retried() {
        let err = |status, code: &str| Error::service("X", status, code, "", None);
        for status in [500, 502, 503, 504] {
            let a = classify::<()>(err(status, "InternalFailure"), None, None).unwrap();
            assert!(matches!(
                a,
                Attempt::Retry {
                    maybe_done: true,
                    ..
                }
            ));
        }
        let a = classify::<()>(err(400, "Throttling"), Some(Duration::from_secs(2)), None).unwrap();
        assert!(matches!(
            a,
            Attempt::Retry { maybe_done: false, retry_after: Some(d), .. } if d == Duration::from_secs(2)
        ));
        for (status, code) in [
            (400, "ValidationError"),
            (403, "AccessDenied"),
            (501, "NotImplemented"),
            (404, "NotFound"),
            (429, "TooManyRequests"),
        ] {
            assert!(
                classify::<()>(err(status, code), None, None).is_err(),
                "{status} {code}"
            );
        }
        assert!(matches!(
            classify::<()>(err(400, "RequestExpired"), None, None).unwrap(),
            Attempt::Skewed { .. }
        ));
    }
}
