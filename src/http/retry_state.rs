//! What the retry modes remember from one call to the next, per client: the *standard* mode's
//! retry quota, and the *adaptive* mode's client-side rate limiter.
//!
//! Both are described in the AWS SDKs and Tools reference guide ("Retry behavior"); this is a
//! fresh implementation of that description, kept apart from the retry loop
//! ([`super::retry::Retrier`]) so that its arithmetic is tested with a clock the tests set:
//!
//! - **Retry quota** (standard and adaptive): a client starts with [`QUOTA_CAPACITY`] tokens; a
//!   retry takes [`RETRY_COST`] of them ([`TIMEOUT_RETRY_COST`] after a timeout), and a call that
//!   succeeds gives back what its retry took (1 token when it needed none). When the quota
//!   cannot pay for a retry, the failure is final: a server in trouble is not hammered.
//! - **Rate limiter** (adaptive only): a token bucket, off until the first throttling error.
//!   Each request takes a token, waiting for one if the bucket is empty. Its fill rate follows
//!   CUBIC (the TCP congestion algorithm): a throttling error cuts the rate to [`BETA`] times
//!   the rate in use, and each success lets it grow back along a cubic curve centred on the rate
//!   at the last throttle, never above twice the measured sending rate.

use std::time::Duration;

/// Tokens a client's retry quota starts with (and holds at most).
pub const QUOTA_CAPACITY: u32 = 500;
/// Tokens one retry takes.
pub const RETRY_COST: u32 = 5;
/// Tokens a retry after a timeout takes.
pub const TIMEOUT_RETRY_COST: u32 = 10;
/// Tokens a call that succeeded at once gives back.
const NO_RETRY_REFUND: u32 = 1;

/// The factor a throttling error multiplies the sending rate by.
pub const BETA: f64 = 0.7;
/// How fast the rate grows back after a throttle (the cubic's scale).
const SCALE: f64 = 0.4;
/// The slowest fill rate, in tokens per second.
const MIN_FILL_RATE: f64 = 0.5;
/// The weight of the newest measurement of the sending rate.
const SMOOTHING: f64 = 0.8;
/// The sending rate is measured over buckets of this many seconds.
const BUCKET_SECONDS: f64 = 0.5;

/// The retry quota: tokens that retries spend and successes give back.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryQuota {
    tokens: u32,
}

impl Default for RetryQuota {
    fn default() -> Self {
        RetryQuota {
            tokens: QUOTA_CAPACITY,
        }
    }
}

impl RetryQuota {
    /// Takes `cost` tokens for a retry; `false` (and nothing taken) when there are not enough.
    pub fn take(&mut self, cost: u32) -> bool {
        match self.tokens.checked_sub(cost) {
            Some(left) => {
                self.tokens = left;
                true
            }
            None => false,
        }
    }

    /// A call succeeded: gives back what its last retry took (`Some(cost)`), or 1 token.
    pub fn succeeded(&mut self, retry_cost: Option<u32>) {
        let back = retry_cost.unwrap_or(NO_RETRY_REFUND);
        self.tokens = self.tokens.saturating_add(back).min(QUOTA_CAPACITY);
    }

    /// Tokens left.
    pub fn tokens(&self) -> u32 {
        self.tokens
    }
}

/// The adaptive mode's client-side rate limiter. Times are seconds on a clock of the caller's
/// (monotonic), so that tests can set them.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimiter {
    /// Whether requests wait for tokens (from the first throttling error on).
    enabled: bool,
    /// Tokens added per second.
    fill_rate: f64,
    /// The most tokens the bucket holds.
    max_capacity: f64,
    /// Tokens in the bucket.
    tokens: f64,
    /// When tokens were last added.
    last_refill: Option<f64>,
    /// The sending rate when the last throttle came (CUBIC's W_max).
    last_max_rate: f64,
    /// When the last throttle came.
    last_throttle: f64,
    /// The smoothed, measured sending rate (responses per second).
    measured_rate: f64,
    /// The start of the current measuring bucket.
    bucket_start: Option<f64>,
    /// Responses in the current measuring bucket.
    bucket_count: u32,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter {
            enabled: false,
            fill_rate: MIN_FILL_RATE,
            max_capacity: 1.0,
            tokens: 0.0,
            last_refill: None,
            last_max_rate: 0.0,
            last_throttle: 0.0,
            measured_rate: 0.0,
            bucket_start: None,
            bucket_count: 0,
        }
    }
}

impl RateLimiter {
    /// Whether the limiter holds requests back (it starts doing so at the first throttle).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The current fill rate, in tokens (requests) per second.
    pub fn fill_rate(&self) -> f64 {
        self.fill_rate
    }

    /// Takes a token to send a request at `now`: `Ok(())`, or `Err(wait)` when the bucket is
    /// empty and the caller must wait (then ask again).
    pub fn acquire(&mut self, now: f64) -> Result<(), Duration> {
        if !self.enabled {
            return Ok(());
        }
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let seconds = (1.0 - self.tokens) / self.fill_rate;
        let seconds = if seconds.is_finite() { seconds } else { 1.0 };
        // At least a millisecond, so that a caller's loop always moves the clock on.
        Err(Duration::from_secs_f64(seconds.clamp(0.001, 3600.0)))
    }

    /// A response came at `now`; `throttled` when it was a throttling error.
    pub fn on_response(&mut self, now: f64, throttled: bool) {
        self.measure(now);
        let rate = if throttled {
            let in_use = if self.enabled {
                self.measured_rate.min(self.fill_rate)
            } else {
                self.measured_rate
            };
            self.last_max_rate = in_use;
            self.last_throttle = now;
            self.enabled = true;
            in_use * BETA
        } else {
            self.cubic(now)
        };
        self.set_rate(now, rate.min(2.0 * self.measured_rate));
    }

    /// The rate CUBIC allows at `now`: `SCALE * (t - K)^3 + W_max`, with `t` the time since the
    /// last throttle and `K` the time the curve takes to climb back to `W_max`.
    fn cubic(&self, now: f64) -> f64 {
        let k = (self.last_max_rate * (1.0 - BETA) / SCALE).cbrt();
        SCALE * (now - self.last_throttle - k).powi(3) + self.last_max_rate
    }

    fn set_rate(&mut self, now: f64, rate: f64) {
        self.refill(now);
        let rate = if rate.is_finite() { rate } else { 0.0 };
        self.fill_rate = rate.max(MIN_FILL_RATE);
        self.max_capacity = rate.max(1.0);
        self.tokens = self.tokens.min(self.max_capacity);
    }

    fn refill(&mut self, now: f64) {
        if let Some(last) = self.last_refill {
            let added = (now - last).max(0.0) * self.fill_rate;
            self.tokens = (self.tokens + added).min(self.max_capacity);
        }
        self.last_refill = Some(now);
    }

    /// Counts a response in the measured sending rate (smoothed over half-second buckets).
    fn measure(&mut self, now: f64) {
        let bucket = (now / BUCKET_SECONDS).floor() * BUCKET_SECONDS;
        self.bucket_count += 1;
        match self.bucket_start {
            Some(start) if bucket > start => {
                let current = f64::from(self.bucket_count) / (bucket - start);
                self.measured_rate = current * SMOOTHING + self.measured_rate * (1.0 - SMOOTHING);
                self.bucket_count = 0;
                self.bucket_start = Some(bucket);
            }
            Some(_) => {}
            None => self.bucket_start = Some(bucket),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_pays_for_retries_until_it_is_spent_and_successes_refill_it() {
        let mut q = RetryQuota::default();
        let mut retries = 0;
        while q.take(RETRY_COST) {
            retries += 1;
        }
        assert_eq!(retries, QUOTA_CAPACITY / RETRY_COST);
        assert!(!q.take(TIMEOUT_RETRY_COST));
        q.succeeded(Some(TIMEOUT_RETRY_COST));
        assert!(
            q.take(TIMEOUT_RETRY_COST),
            "a success gives the retry's cost back"
        );
        for _ in 0..10_000 {
            q.succeeded(None);
        }
        assert_eq!(q.tokens(), QUOTA_CAPACITY, "never above the capacity");
    }

    #[test]
    fn the_limiter_is_off_until_a_throttle_then_holds_requests_back() {
        let mut r = RateLimiter::default();
        // Ten requests a second, all fine: nothing waits.
        for i in 0..40 {
            let t = f64::from(i) * 0.1;
            assert_eq!(r.acquire(t), Ok(()));
            r.on_response(t, false);
        }
        assert!(!r.enabled());
        r.on_response(4.0, true);
        assert!(r.enabled());
        // The rate is cut to BETA times the measured rate (about ten a second).
        let cut = r.fill_rate();
        assert!((5.0..=8.0).contains(&cut), "{cut}");
        // What the bucket holds goes at once (at most its capacity, about the rate)...
        let mut sent = 0;
        while r.acquire(4.0).is_ok() {
            sent += 1;
            assert!(sent <= 10, "the bucket holds at most its capacity");
        }
        // ...then an empty bucket makes the next request wait about 1 / rate.
        let wait = r.acquire(4.0).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs_f64(1.0 / cut + 0.01));
        assert_eq!(r.acquire(4.0 + wait.as_secs_f64()), Ok(()));
    }

    #[test]
    fn successes_let_the_rate_climb_back_along_the_cubic() {
        let mut r = RateLimiter::default();
        for i in 0..40 {
            r.on_response(f64::from(i) * 0.1, false);
        }
        r.on_response(4.0, true);
        let after_throttle = r.fill_rate();
        let w_max = r.last_max_rate;
        // Right after the throttle the cubic is below W_max; K seconds later it is back at it.
        let k = (w_max * (1.0 - BETA) / SCALE).cbrt();
        assert!((r.cubic(4.0) - w_max * BETA).abs() < 1e-9);
        assert!((r.cubic(4.0 + k) - w_max).abs() < 1e-9);
        assert!(r.cubic(4.0 + 2.0 * k) > w_max);
        // Keep sending at ten a second: the fill rate grows back past the cut.
        for i in 41..80 {
            let t = f64::from(i) * 0.1;
            r.on_response(t, false);
        }
        assert!(r.fill_rate() > after_throttle, "{}", r.fill_rate());
        // A second throttle cuts again, from the lower of the measured and the fill rate.
        let before = r.fill_rate();
        r.on_response(8.0, true);
        assert!(r.fill_rate() < before);
    }

    #[test]
    fn a_first_throttle_with_no_measured_rate_falls_to_the_slowest_rate() {
        let mut r = RateLimiter::default();
        r.on_response(0.0, true);
        assert!(r.enabled());
        assert_eq!(r.fill_rate(), MIN_FILL_RATE);
        assert_eq!(r.acquire(0.0), Err(Duration::from_secs(2)));
        assert_eq!(r.acquire(2.0), Ok(()));
        // Odd clocks (going backwards, huge) neither panic nor make a NaN wait.
        r.on_response(-5.0, false);
        r.on_response(f64::MAX, true);
        let _ = r.acquire(f64::MAX);
        let _ = r.acquire(0.0);
    }
}
