//! The HTTP layer shared by every protocol client (the Query transport and the REST client).
//!
//! Each file owns one concern, so that both clients get the same behaviour from one place:
//! - [`client`]: building the pooled reqwest client (timeouts, TLS settings, no redirects);
//! - [`reply`]: reading a reply head and a body up to a size cap, scrubbed of the client's secrets;
//! - [`failure`]: turning a reqwest error into the library's [`crate::Error`], cause kept;
//! - [`retry`]: the retry modes and policy (attempts, jittered backoff, `Retry-After`), the
//!   classifier that says which failures are retried, and the loop that runs the attempts under
//!   a deadline; [`retry_state`]: what the modes keep between calls (retry quota, rate limiter);
//! - [`clock`]: the server's clock as learnt from a clock-skew error, for signing;
//! - [`trace`]: the `--debug` trace on stderr with every secret redacted.
//!
//! Nothing here knows a protocol: the Query transport and the REST client decide what a reply
//! means and hand the loop an [`retry::Attempt`] for each try.

pub mod client;
pub mod clock;
pub mod failure;
pub mod reply;
pub mod retry;
pub mod retry_state;
pub mod trace;
