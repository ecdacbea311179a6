//! Sending Query requests: one pooled HTTP client, signing on every attempt, retries with jittered
//! backoff, timeouts, a cap on reply size, request ids, and a `--debug` trace with secrets redacted.
//!
//! A call goes: parameters -> [`QueryRequest`] -> signer -> reqwest -> status and body -> the XML
//! reader -> a result tree or an [`Error`] carrying code, message, status, request id and operation.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use http::Method;
use serde_json::Value;

use crate::config::Endpoint;
use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::query::sign::{self, SignatureVersion, SigningParams};
use crate::query::xml::{self, Reply};
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
    body: Vec<u8>,
}

enum Attempt {
    Done(Value, Option<String>),
    Retry(Error, Option<Duration>),
}

impl Transport {
    /// Builds the HTTP client (connection pool, timeouts, TLS settings).
    pub fn new(config: TransportConfig) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .pool_max_idle_per_host(10)
            .user_agent(concat!("phantom-autoscale/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none());
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
        Ok(Transport {
            inner: Arc::new(Inner { config, http }),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &TransportConfig {
        &self.inner.config
    }

    /// Calls `operation` with `params` (without `Action`/`Version`, which are added), retrying as
    /// the policy allows; returns the result tree and the request id.
    pub async fn call(
        &self,
        operation: &str,
        params: Vec<(String, String)>,
    ) -> Result<(Value, Option<String>)> {
        let config = &self.inner.config;
        let started = Instant::now();
        let mut all = Vec::with_capacity(params.len() + 2);
        all.push(("Action".to_string(), operation.to_string()));
        all.push(("Version".to_string(), config.version.clone()));
        all.extend(params);
        let mut attempt = 1;
        loop {
            let remaining = match config.deadline {
                Some(d) => match d.checked_sub(started.elapsed()) {
                    Some(r) if !r.is_zero() => Some(r),
                    _ => return Err(self.deadline_error(operation, started)),
                },
                None => None,
            };
            let outcome = match remaining {
                Some(r) => match tokio::time::timeout(r, self.attempt(operation, &all)).await {
                    Ok(outcome) => outcome,
                    Err(_) => return Err(self.deadline_error(operation, started)),
                },
                None => self.attempt(operation, &all).await,
            };
            match outcome {
                Ok(Attempt::Done(tree, request_id)) => return Ok((tree, request_id)),
                Ok(Attempt::Retry(err, retry_after)) if attempt < config.retry.max_attempts => {
                    let delay = retry_after
                        .map(|d| d.min(config.retry.max_delay))
                        .unwrap_or_else(|| config.retry.delay(attempt));
                    self.trace(&format!(
                        "attempt {attempt} of {} failed ({err}); retrying in {} ms",
                        config.retry.max_attempts,
                        delay.as_millis()
                    ));
                    if config
                        .deadline
                        .is_some_and(|d| started.elapsed() + delay >= d)
                    {
                        return Err(err);
                    }
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Ok(Attempt::Retry(err, _)) => return Err(err),
                Err(err) => return Err(err),
            }
        }
    }

    fn deadline_error(&self, operation: &str, started: Instant) -> Error {
        Error::Timeout {
            operation: operation.to_string(),
            elapsed_ms: started.elapsed().as_millis(),
            what: "overall deadline".into(),
        }
    }

    async fn attempt(&self, operation: &str, params: &[(String, String)]) -> Result<Attempt> {
        let signed = self.sign(params)?;
        self.trace_request(&signed);
        let raw = match self.send(operation, signed).await {
            Ok(raw) => raw,
            Err(err @ (Error::Transport { .. } | Error::Timeout { .. })) => {
                return Ok(Attempt::Retry(err, None));
            }
            Err(err) => return Err(err),
        };
        self.trace_reply(&raw);
        if (200..300).contains(&raw.status) {
            return match xml::parse_reply(operation, &raw.body) {
                Ok(Reply::Success { result, request_id }) => {
                    Ok(Attempt::Done(result, request_id.or(raw.request_id)))
                }
                Ok(Reply::Error(details)) => {
                    let err = Error::service(
                        operation,
                        raw.status,
                        details.code,
                        details.message,
                        details.request_id.or(raw.request_id),
                    );
                    Ok(Attempt::Retry(err, None)).and_then(|a| self.retryable(a))
                }
                Err(message) => Err(Error::Parse {
                    operation: operation.to_string(),
                    status: raw.status,
                    request_id: raw.request_id,
                    message: format!(
                        "{message}; body starts: {}",
                        xml::snippet(&String::from_utf8_lossy(
                            &raw.body[..raw.body.len().min(300)]
                        ))
                    ),
                }),
            };
        }
        let details = xml::parse_error_body(raw.status, raw.reason.as_deref(), &raw.body);
        let err = Error::service(
            operation,
            raw.status,
            details.code,
            details.message,
            details.request_id.or(raw.request_id),
        );
        self.retryable(Attempt::Retry(err, None))
    }

    /// Keeps `Retry` only for errors the standard mode retries; everything else is final.
    fn retryable(&self, attempt: Attempt) -> Result<Attempt> {
        match attempt {
            Attempt::Retry(Error::Service(e), after) => {
                if matches!(e.status, 500 | 502 | 503 | 504)
                    || THROTTLING_CODES.contains(&e.code.as_str())
                {
                    Ok(Attempt::Retry(Error::Service(e), after))
                } else {
                    Err(Error::Service(e))
                }
            }
            other => Ok(other),
        }
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
                    time: SystemTime::now(),
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

    async fn send(&self, operation: &str, signed: SignedRequest) -> Result<RawReply> {
        let config = &self.inner.config;
        let mut request = self.inner.http.request(signed.method.clone(), &signed.url);
        for (name, value) in &signed.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        request = request.header("Accept", "text/xml").body(signed.body);
        let transport_error = |e: reqwest::Error| -> Error {
            if e.is_timeout() {
                Error::Timeout {
                    operation: operation.to_string(),
                    elapsed_ms: config.read_timeout.max(config.connect_timeout).as_millis(),
                    what: if e.is_connect() {
                        "connect timeout"
                    } else {
                        "read timeout"
                    }
                    .into(),
                }
            } else {
                Error::Transport {
                    operation: operation.to_string(),
                    endpoint: config.endpoint.url(),
                    message: describe_reqwest(&e),
                }
            }
        };
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let reason = response
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned());
        let request_id = response
            .headers()
            .get("x-amzn-requestid")
            .or_else(|| response.headers().get("x-amz-request-id"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if response
            .content_length()
            .is_some_and(|len| len > config.max_body_bytes as u64)
        {
            return Err(self.too_large(operation, status, request_id));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > config.max_body_bytes {
                return Err(self.too_large(operation, status, request_id));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(RawReply {
            status,
            reason,
            request_id,
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

fn describe_reqwest(e: &reqwest::Error) -> String {
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
