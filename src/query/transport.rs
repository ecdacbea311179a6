//! Sending Query requests: one pooled HTTP client, signing on every attempt, retries with jittered
//! backoff, timeouts, a cap on reply size, request ids, and a `--debug` trace with secrets redacted.
//!
//! A call goes: parameters -> [`QueryRequest`] -> signer -> reqwest -> status and body -> the XML
//! reader -> a result tree or an [`Error`] carrying code, message, status, request id and operation.
//!
//! What the server sends is scrubbed of the client's own secrets (secret key, session token; see
//! [`Scrubber`]) as soon as it is read, before the trace, the reader or an error sees it, so an
//! echoing server or proxy cannot make the client print them.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use http::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::credentials::{Credentials, Scrubber};
use crate::error::{Error, Result};
use crate::query::endpoint::Endpoint;
use crate::query::sign::{self, SignatureVersion, SigningParams};
use crate::query::xml::{self, ReadError, Reply, TypedReply};
use crate::query::{QueryRequest, SignedRequest, form};

/// How failed attempts are retried: the AWS SDKs' *standard* mode.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (`--max-attempts`, `AWS_MAX_ATTEMPTS`; default 3).
    pub max_attempts: u32,
    /// The base of the exponential backoff (the SDKs use 1 s; tests use less).
    pub base_delay: Duration,
    /// The cap on one backoff delay (20 s in the SDKs).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
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

/// Everything the transport needs to know to reach a server.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Where to send requests.
    pub endpoint: Endpoint,
    /// The region named in SigV4 scopes.
    pub region: String,
    /// The service named in SigV4 scopes (`autoscaling`).
    pub service: String,
    /// The API version sent with every request (`2011-01-01`).
    pub version: String,
    /// How to sign; requests go unsigned when `credentials` is `None`.
    pub signature: SignatureVersion,
    /// The keys, if any.
    pub credentials: Option<Credentials>,
    /// Retries.
    pub retry: RetryPolicy,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed between reads of the reply.
    pub read_timeout: Duration,
    /// Time allowed for a whole call, retries included.
    pub deadline: Option<Duration>,
    /// The largest reply body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Verify TLS certificates (on unless the user opts out).
    pub verify_tls: bool,
    /// Extra CA certificates (PEM) to trust.
    pub ca_bundle: Option<Vec<u8>>,
    /// Trace each request and reply on stderr, secrets redacted.
    pub debug: bool,
}

impl TransportConfig {
    /// A configuration with the defaults of the AWS CLI (60 s timeouts, 3 attempts, SigV4).
    pub fn new(endpoint: Endpoint, region: impl Into<String>) -> Self {
        TransportConfig {
            endpoint,
            region: region.into(),
            service: "autoscaling".into(),
            version: "2011-01-01".into(),
            signature: SignatureVersion::V4,
            credentials: None,
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            deadline: None,
            max_body_bytes: 64 * 1024 * 1024,
            verify_tls: true,
            ca_bundle: None,
            debug: false,
        }
    }
}

/// A pooled, signing, retrying Query client for one endpoint. Cheap to clone.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    config: TransportConfig,
    http: reqwest::Client,
    /// Server clock minus ours, in milliseconds, learnt from a clock-skew error.
    clock_offset_ms: AtomicI64,
    /// The credentials' secrets, blanked out of every reply.
    scrubber: Scrubber,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("config", &self.inner.config)
            .finish()
    }
}

/// A reply that was read in full.
struct RawReply {
    status: u16,
    reason: Option<String>,
    request_id: Option<String>,
    /// The `Retry-After` header, as a delay from now.
    retry_after: Option<Duration>,
    /// The `Date` header: the server's clock.
    date: Option<SystemTime>,
    /// The `Server` header: which software answered.
    server: Option<String>,
    body: Vec<u8>,
}

/// Why an attempt did not produce a reply.
struct SendFailure {
    error: Error,
    /// Whether the request may have reached the server (false only for connection failures).
    maybe_done: bool,
    /// Whether another attempt could fare better (not after a refused certificate).
    retry: bool,
}

/// What one attempt came to.
enum Attempt<T> {
    /// A success reply: the result (a tree or a typed output) and request id.
    Done(T, Option<String>),
    /// A failure the standard mode retries.
    Retry {
        error: Error,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
        /// Whether the server may have carried out the request (lost reply, 5xx).
        maybe_done: bool,
    },
    /// The server refused the signature's time: retried once with the clock corrected.
    Skewed {
        error: Error,
        server_time: Option<SystemTime>,
    },
}

/// What happened during one [`Transport::call_with_report`], besides its result.
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
}

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

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's IMF-fixdate).
pub fn parse_http_date(text: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let t = time::PrimitiveDateTime::parse(text.trim(), format).ok()?;
    let unix = t.assume_utc().unix_timestamp();
    let secs = u64::try_from(unix).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
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

/// `a - b` in milliseconds, saturating.
fn signed_millis(a: SystemTime, b: SystemTime) -> i64 {
    match a.duration_since(b) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

impl Transport {
    /// Builds the HTTP client (connection pool, timeouts, TLS settings).
    pub fn new(config: TransportConfig) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            // Keep every connection a burst of concurrent calls opened (the SDKs' 10 closed the
            // rest after each burst).
            .pool_max_idle_per_host(64)
            .user_agent(concat!("phantom-autoscale/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none());
        // Redirects are never followed, so a plain-http endpoint never needs TLS roots: skip
        // building the built-in root store, a measurable part of a short CLI call.
        if config.endpoint.scheme == "http" && config.ca_bundle.is_none() {
            builder = builder.tls_built_in_root_certs(false);
        }
        if !config.verify_tls {
            builder = builder.danger_accept_invalid_certs(true);
        }
        if let Some(pem) = &config.ca_bundle {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| Error::Config(format!("CA bundle is not valid PEM: {e}")))?;
            if certs.is_empty() {
                return Err(Error::Config("CA bundle holds no certificate".into()));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .build()
            .map_err(|e| Error::Config(format!("cannot set up the HTTP client: {e}")))?;
        let scrubber = config
            .credentials
            .as_ref()
            .map(Scrubber::for_credentials)
            .unwrap_or_default();
        Ok(Transport {
            inner: Arc::new(Inner {
                config,
                http,
                clock_offset_ms: AtomicI64::new(0),
                scrubber,
            }),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &TransportConfig {
        &self.inner.config
    }

    /// How far the server's clock is ahead of ours, in milliseconds, as learnt from a clock-skew
    /// error (0 until then). Requests are signed at `now + offset`.
    pub fn clock_offset_ms(&self) -> i64 {
        self.inner.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// The time requests are signed with: now, corrected by the learnt clock offset.
    pub fn signing_time(&self) -> SystemTime {
        let offset = self.clock_offset_ms();
        let now = SystemTime::now();
        let magnitude = Duration::from_millis(offset.unsigned_abs());
        if offset >= 0 {
            now.checked_add(magnitude).unwrap_or(now)
        } else {
            now.checked_sub(magnitude).unwrap_or(now)
        }
    }

    /// The longest one attempt may take: the connect timeout plus the read timeout. The read
    /// timeout alone restarts with every byte, so a server trickling bytes would never trip it.
    pub fn attempt_limit(&self) -> Duration {
        let config = &self.inner.config;
        config.connect_timeout.saturating_add(config.read_timeout)
    }

    /// Writes one line to the `--debug` trace (nothing when debugging is off).
    pub fn debug_note(&self, line: &str) {
        self.trace(line);
    }

    /// Calls `operation` with `params` (without `Action`/`Version`, which are added), retrying as
    /// the policy allows; returns the result tree and the request id.
    pub async fn call(
        &self,
        operation: &str,
        params: Vec<(String, String)>,
    ) -> Result<(Value, Option<String>)> {
        self.call_with_report(operation, params).await.0
    }

    /// As [`Transport::call`], also saying how many attempts were made and whether an earlier
    /// attempt's outcome is unknown (see [`CallReport`]).
    ///
    /// Retried, like the AWS SDKs' standard mode: connection failures, timeouts, HTTP 500, 502,
    /// 503 and 504, and the [`THROTTLING_CODES`], after `Retry-After` when the server sent one
    /// (capped at the policy's `max_delay`) or a jittered exponential backoff. Every attempt is
    /// signed anew. A clock-skew error (see [`is_clock_skew_error`]) with a `Date` header is
    /// re-sent once at once with the signing clock corrected, on top of the attempts. Nothing
    /// else is retried. No attempt outlives [`Transport::attempt_limit`], and no call its deadline.
    pub async fn call_with_report(
        &self,
        operation: &str,
        params: Vec<(String, String)>,
    ) -> (Result<(Value, Option<String>)>, CallReport) {
        self.call_reading(operation, params, read_tree).await
    }

    /// As [`Transport::call_with_report`], reading the reply straight into the output shape `T`
    /// with the one-pass reader ([`xml::parse_typed_reply`]): what the client uses.
    pub async fn call_typed_with_report<T: DeserializeOwned + Default>(
        &self,
        operation: &str,
        params: Vec<(String, String)>,
    ) -> (Result<(T, Option<String>)>, CallReport) {
        self.call_reading(operation, params, xml::parse_typed_reply::<T>)
            .await
    }

    async fn call_reading<T>(
        &self,
        operation: &str,
        params: Vec<(String, String)>,
        read: Reader<T>,
    ) -> (Result<(T, Option<String>)>, CallReport) {
        let config = &self.inner.config;
        let started = Instant::now();
        let mut all = Vec::with_capacity(params.len() + 2);
        all.push(("Action".to_string(), operation.to_string()));
        all.push(("Version".to_string(), config.version.clone()));
        all.extend(params);
        let mut report = CallReport::default();
        // Attempts counted against the policy (a clock-skew re-send is not one of them).
        let mut attempt = 1;
        loop {
            let remaining = match config.deadline {
                Some(d) => match d.checked_sub(started.elapsed()) {
                    Some(r) if !r.is_zero() => Some(r),
                    _ => return (Err(self.deadline_error(operation, started)), report),
                },
                None => None,
            };
            let limit = self.attempt_limit();
            let deadline_first = remaining.is_some_and(|r| r <= limit);
            report.attempts += 1;
            let attempt_started = Instant::now();
            let outcome = match tokio::time::timeout(
                remaining.map_or(limit, |r| r.min(limit)),
                self.attempt(operation, &all, read),
            )
            .await
            {
                Ok(outcome) => outcome,
                Err(_) if deadline_first => {
                    return (Err(self.deadline_error(operation, started)), report);
                }
                Err(_) => Ok(Attempt::Retry {
                    error: Error::Timeout {
                        operation: operation.to_string(),
                        elapsed_ms: attempt_started.elapsed().as_millis(),
                        what: "attempt limit: connect timeout + read timeout; the reply \
                               came too slowly"
                            .into(),
                    },
                    retry_after: None,
                    maybe_done: true,
                }),
            };
            match outcome {
                Ok(Attempt::Done(tree, request_id)) => return (Ok((tree, request_id)), report),
                Ok(Attempt::Skewed { error, server_time }) => {
                    let correction = server_time
                        .map(|server| signed_millis(server, SystemTime::now()))
                        .filter(|ms| ms.unsigned_abs() >= 1000);
                    match correction {
                        Some(ms) if !report.clock_corrected => {
                            report.clock_corrected = true;
                            let offset = ms.saturating_add(self.clock_offset_ms());
                            self.inner.clock_offset_ms.store(offset, Ordering::Relaxed);
                            self.trace(&format!(
                                "clock skew: {error}; the server's clock is {:.1} s {} ours \
                                 (Date header); re-signing with the corrected time and retrying once",
                                offset.unsigned_abs() as f64 / 1000.0,
                                if offset >= 0 { "ahead of" } else { "behind" }
                            ));
                        }
                        _ => return (Err(error), report),
                    }
                }
                Ok(Attempt::Retry {
                    error,
                    retry_after,
                    maybe_done,
                }) if attempt < config.retry.max_attempts => {
                    report.outcome_unknown |= maybe_done;
                    let delay = match retry_after {
                        Some(after) => after.min(config.retry.max_delay),
                        None => config.retry.delay(attempt),
                    };
                    self.trace(&format!(
                        "attempt {attempt} of {} failed ({error}); retrying in {} ms{}",
                        config.retry.max_attempts,
                        delay.as_millis(),
                        if retry_after.is_some() {
                            " (Retry-After)"
                        } else {
                            ""
                        }
                    ));
                    if config
                        .deadline
                        .is_some_and(|d| started.elapsed() + delay >= d)
                    {
                        return (Err(error), report);
                    }
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Ok(Attempt::Retry { error, .. }) => return (Err(error), report),
                Err(error) => return (Err(error), report),
            }
        }
    }

    fn deadline_error(&self, operation: &str, started: Instant) -> Error {
        Error::Timeout {
            operation: operation.to_string(),
            elapsed_ms: started.elapsed().as_millis(),
            what: "overall deadline; raise it with --deadline".into(),
        }
    }

    async fn attempt<T>(
        &self,
        operation: &str,
        params: &[(String, String)],
        read: Reader<T>,
    ) -> Result<Attempt<T>> {
        let signed = self.sign(params)?;
        self.trace_request(&signed);
        let raw = match self.send(operation, signed).await {
            Ok(raw) => raw,
            Err(SendFailure {
                error: error @ (Error::Transport { .. } | Error::Timeout { .. }),
                maybe_done,
                retry: true,
            }) => {
                return Ok(Attempt::Retry {
                    error,
                    retry_after: None,
                    maybe_done,
                });
            }
            Err(failure) => return Err(failure.error),
        };
        self.trace_reply(&raw);
        let details = if (200..300).contains(&raw.status) {
            match read(operation, &raw.body) {
                Ok(TypedReply::Success { output, request_id }) => {
                    return Ok(Attempt::Done(output, request_id.or(raw.request_id)));
                }
                Ok(TypedReply::Error(details)) => details,
                Err(ReadError::Shape(e)) => {
                    return Err(Error::Parse {
                        operation: operation.to_string(),
                        status: raw.status,
                        request_id: raw.request_id,
                        message: format!("reply does not fit {operation}Result: {e}"),
                    });
                }
                Err(ReadError::Xml(message)) => {
                    return Err(Error::Parse {
                        operation: operation.to_string(),
                        status: raw.status,
                        request_id: raw.request_id,
                        message: format!(
                            "{message}; body starts: {}",
                            xml::snippet(&String::from_utf8_lossy(
                                &raw.body[..raw.body.len().min(300)]
                            ))
                        ),
                    });
                }
            }
        } else {
            xml::parse_error_body(raw.status, raw.reason.as_deref(), &raw.body)
        };
        let deterministic = is_phantom_exception(raw.status, &raw.body);
        let mut error = Error::service(
            operation,
            raw.status,
            details.code,
            details.message,
            details.request_id.or(raw.request_id),
        );
        if let Error::Service(e) = &mut error {
            e.server = raw.server;
        }
        if deterministic {
            // The server's code raised an exception on this request: sending it again raises it
            // again (and a retried Create on a deterministic fault is a hazard).
            return Err(error);
        }
        classify(error, raw.retry_after, raw.date)
    }

    fn sign(&self, params: &[(String, String)]) -> Result<SignedRequest> {
        let config = &self.inner.config;
        let request = QueryRequest {
            method: Method::POST,
            scheme: config.endpoint.scheme.clone(),
            host: config.endpoint.host.clone(),
            port: config.endpoint.port,
            path: config.endpoint.path.clone(),
            params: params.to_vec(),
        };
        match &config.credentials {
            Some(credentials) => sign::sign(
                &request,
                &config.signature,
                &SigningParams {
                    credentials,
                    region: &config.region,
                    service: &config.service,
                    time: self.signing_time(),
                },
            ),
            None => Ok(SignedRequest {
                method: Method::POST,
                url: format!(
                    "{}://{}{}",
                    request.scheme,
                    request.host_header(),
                    request.path
                ),
                headers: vec![(
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded; charset=utf-8".into(),
                )],
                body: form::encode_pairs(params).into_bytes(),
            }),
        }
    }

    async fn send(
        &self,
        operation: &str,
        signed: SignedRequest,
    ) -> std::result::Result<RawReply, SendFailure> {
        let config = &self.inner.config;
        let mut request = self.inner.http.request(signed.method.clone(), &signed.url);
        for (name, value) in &signed.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        request = request.header("Accept", "text/xml").body(signed.body);
        let transport_error = |e: reqwest::Error| -> SendFailure {
            let maybe_done = !e.is_connect();
            let error = if e.is_timeout() {
                Error::Timeout {
                    operation: operation.to_string(),
                    elapsed_ms: if e.is_connect() {
                        config.connect_timeout
                    } else {
                        config.read_timeout
                    }
                    .as_millis(),
                    what: if e.is_connect() {
                        "connect timeout; raise it with --connect-timeout"
                    } else {
                        "read timeout: the server stopped sending; raise it with --read-timeout"
                    }
                    .into(),
                }
            } else {
                let mut message = describe_reqwest(&e);
                let certificate = message.contains("certificate");
                if certificate {
                    message.push_str(
                        " (the server's TLS certificate was refused: trust its CA with \
                         --ca-bundle FILE or AWS_CA_BUNDLE)",
                    );
                }
                let error = Error::Transport {
                    operation: operation.to_string(),
                    endpoint: config.endpoint.url(),
                    message,
                };
                return SendFailure {
                    error,
                    maybe_done,
                    retry: !certificate,
                };
            };
            SendFailure {
                error,
                maybe_done,
                retry: true,
            }
        };
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let reason = response
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned());
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        // Everything below comes from the server: scrubbed of our secrets before anyone reads it.
        let scrubber = &self.inner.scrubber;
        let header = |name: &str| header(name).map(|v| scrubber.scrub_string(v));
        let reason = reason.map(|r| scrubber.scrub_string(r));
        let request_id = header("x-amzn-requestid").or_else(|| header("x-amz-request-id"));
        let server = header("server");
        let retry_after =
            header("retry-after").and_then(|v| parse_retry_after(&v, SystemTime::now()));
        let date = header("date").and_then(|v| parse_http_date(&v));
        let final_error = |error: Error| SendFailure {
            error,
            maybe_done: true,
            retry: false,
        };
        if response
            .content_length()
            .is_some_and(|len| len > config.max_body_bytes as u64)
        {
            return Err(final_error(self.too_large(operation, status, request_id)));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > config.max_body_bytes {
                return Err(final_error(self.too_large(operation, status, request_id)));
            }
            body.extend_from_slice(&chunk);
        }
        let body = match scrubber.scrub_bytes(&body) {
            std::borrow::Cow::Borrowed(_) => body,
            std::borrow::Cow::Owned(scrubbed) => scrubbed,
        };
        Ok(RawReply {
            status,
            reason,
            request_id,
            retry_after,
            date,
            server,
            body,
        })
    }

    fn too_large(&self, operation: &str, status: u16, request_id: Option<String>) -> Error {
        Error::Parse {
            operation: operation.to_string(),
            status,
            request_id,
            message: format!(
                "reply larger than the {} byte limit (raise it with --max-reply-bytes)",
                self.inner.config.max_body_bytes
            ),
        }
    }

    fn trace(&self, line: &str) {
        if self.inner.config.debug {
            let line = self.inner.scrubber.scrub(line);
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "[debug] {line}");
        }
    }

    fn trace_request(&self, signed: &SignedRequest) {
        if !self.inner.config.debug {
            return;
        }
        let mut text = format!("> {} {}\n", signed.method, redact_query(&signed.url));
        for (name, value) in &signed.headers {
            text.push_str(&format!("> {name}: {}\n", redact_header(name, value)));
        }
        text.push_str(&format!(
            "> {}\n",
            redact_query(&String::from_utf8_lossy(&signed.body))
        ));
        self.trace(text.trim_end());
    }

    fn trace_reply(&self, raw: &RawReply) {
        if !self.inner.config.debug {
            return;
        }
        let body = String::from_utf8_lossy(&raw.body[..raw.body.len().min(4096)]);
        self.trace(&format!(
            "< HTTP {}{} request-id {}\n< {}",
            raw.status,
            raw.reason
                .as_deref()
                .map(|r| format!(" {r}"))
                .unwrap_or_default(),
            raw.request_id.as_deref().unwrap_or("-"),
            body.trim_end()
        ));
    }
}

/// Reads a 2xx body: a success into `T`, or the error document some servers send with a 200.
type Reader<T> = fn(&str, &[u8]) -> std::result::Result<TypedReply<T>, ReadError>;

/// The tree reader behind [`Transport::call`]: [`xml::parse_reply`] in a [`Reader`]'s clothes.
fn read_tree(operation: &str, body: &[u8]) -> std::result::Result<TypedReply<Value>, ReadError> {
    match xml::parse_reply(operation, body) {
        Ok(Reply::Success { result, request_id }) => Ok(TypedReply::Success {
            output: result,
            request_id,
        }),
        Ok(Reply::Error(details)) => Ok(TypedReply::Error(details)),
        Err(message) => Err(ReadError::Xml(message)),
    }
}

/// Decides what a service error means for the call: retried (HTTP 500, 502, 503, 504 and the
/// throttling codes), re-signed with a corrected clock (clock-skew codes), or final (the rest).
fn classify<T>(
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
    if THROTTLING_CODES.contains(&e.code.as_str()) {
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

/// Whether an error reply is Phantom's text error page (`500 Code`, a blank line, the
/// explanation, a blank line, the details) whose details are a Python exception: `ValueError:
/// Domain does not exist: nope`, or a `KeyError`'s quoted key (captures 27, 29 and 47). Phantom
/// turns any exception its code raises into such a 5xx; the same request raises it again, so it
/// is not retried.
pub fn is_phantom_exception(status: u16, body: &[u8]) -> bool {
    if status < 500 {
        return false;
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(8192)]).replace("\r\n", "\n");
    let Some(rest) = text.trim_start().strip_prefix(&status.to_string()) else {
        return false;
    };
    let paragraphs: Vec<&str> = rest
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let [code, _explanation, details @ ..] = paragraphs.as_slice() else {
        return false;
    };
    if code.contains('\n') || details.is_empty() {
        return false;
    }
    let details = details.join("\n");
    if details.contains("Traceback (most recent call last)") {
        return true;
    }
    let quoted = |q: char| details.len() > 2 && details.starts_with(q) && details.ends_with(q);
    if quoted('\'') || quoted('"') {
        return true;
    }
    let name = details.split(':').next().unwrap_or("");
    let name_is_identifier = !name.is_empty()
        && name.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    name_is_identifier
        && details.len() > name.len()
        && ["Error", "Exception", "Exit", "Interrupt"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

/// A reqwest error with its chain of causes, on one line.
pub(crate) fn describe_reqwest(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// Parameters whose values never appear in a trace.
const SECRET_PARAMS: &[&str] = &[
    "Signature",
    "SecurityToken",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    "password",
    "token",
];

/// Redacts secret parameters in a URL or form body.
pub fn redact_query(text: &str) -> String {
    let (head, query) = match text.find('?') {
        Some(i) => (&text[..=i], &text[i + 1..]),
        None if text.contains("://") => return text.to_string(),
        None => ("", text),
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if SECRET_PARAMS.iter().any(|s| s.eq_ignore_ascii_case(k)) => {
                format!("{k}=**redacted**")
            }
            _ => pair.to_string(),
        })
        .collect();
    format!("{head}{}", parts.join("&"))
}

/// Redacts secret headers: the signature in `Authorization`, session tokens, cookies.
pub fn redact_header(name: &str, value: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower == "authorization" {
        match value.find("Signature=") {
            Some(i) => format!("{}Signature=**redacted**", &value[..i]),
            None => "**redacted**".into(),
        }
    } else if lower.contains("token") || lower == "cookie" || lower.contains("secret") {
        "**redacted**".into()
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn phantom_python_exceptions_are_recognised() {
        let page = |details: &str| {
            format!(
                "500 InternalFailure\r\n\r\nThe request processing has failed due to some \
                 unknown error, exception or failure.\r\n\r\n {details}  "
            )
        };
        for details in [
            "ValueError: Domain does not exist: nope",
            "'Unable to find the information needed to authenticate the user in the request'",
            "boto.exception.EC2ResponseError: 400 Bad Request",
            "Traceback (most recent call last): ...",
        ] {
            assert!(
                is_phantom_exception(500, page(details).as_bytes()),
                "{details}"
            );
        }
        for details in ["[Errno 111] Connection refused", "the back end is busy"] {
            assert!(
                !is_phantom_exception(500, page(details).as_bytes()),
                "{details}"
            );
        }
        // Not Phantom's page, or not a server fault.
        assert!(!is_phantom_exception(500, b"ValueError: x"));
        assert!(!is_phantom_exception(
            400,
            page("ValueError: x").replace("500", "400").as_bytes()
        ));
        assert!(!is_phantom_exception(
            500,
            b"<html><title>500</title></html>"
        ));
    }

    #[test]
    fn signing_time_follows_the_learnt_offset() {
        let endpoint = crate::query::endpoint::Endpoint::parse("http://127.0.0.1:1").unwrap();
        let transport = Transport::new(TransportConfig::new(endpoint, "us-east-1")).unwrap();
        transport
            .inner
            .clock_offset_ms
            .store(-3_600_000, Ordering::Relaxed);
        let behind = SystemTime::now()
            .duration_since(transport.signing_time())
            .unwrap();
        assert!(behind >= Duration::from_secs(3599) && behind <= Duration::from_secs(3601));
        assert_eq!(
            transport.attempt_limit(),
            Duration::from_secs(120),
            "connect + read"
        );
    }

    #[test]
    fn traces_hide_secrets() {
        let url = "http://h/?AWSAccessKeyId=AK&Signature=c2VjcmV0&SecurityToken=tok&Action=X";
        let shown = redact_query(url);
        assert!(shown.contains("AWSAccessKeyId=AK") && shown.contains("Action=X"));
        assert!(
            !shown.contains("c2VjcmV0") && !shown.contains("tok&"),
            "{shown}"
        );
        let auth = "AWS4-HMAC-SHA256 Credential=AK/20261127/us-east-1/autoscaling/aws4_request, SignedHeaders=host, Signature=abcdef";
        assert!(!redact_header("Authorization", auth).contains("abcdef"));
        assert_eq!(redact_header("X-Amz-Security-Token", "tok"), "**redacted**");
    }
}
