//! The Query call loop: parameters -> [`QueryRequest`] -> signer (anew on every attempt, at the
//! server's clock once learnt) -> the shared HTTP layer ([`crate::http`]) -> status and body ->
//! the XML reader -> a typed output or an [`Error`] carrying code, message, status, request id
//! and operation.
//!
//! The HTTP layer owns the rest: the pooled client and its TLS settings, the reply-size cap, the
//! retry policy and its classifier, backoff and `Retry-After`, clock-skew correction, and the
//! redacting `--debug` trace. What the server sends is scrubbed of the client's own secrets
//! (secret key, session token; see [`Scrubber`]) as soon as it is read.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ::http::Method;
use serde::de::DeserializeOwned;

use crate::config::providers::{CredentialsProvider, Fetched};
use crate::credentials::{Credentials, Scrubber};
use crate::error::{Error, Result};
use crate::http::client::ClientOptions;
use crate::http::clock::{ServerClock, parse_http_date};
use crate::http::failure::{self, SendFailure, Timeouts};
use crate::http::reply::{self, BodyError, Reply};
use crate::http::retry::{Attempt, Retrier, classify, parse_retry_after};
use crate::http::trace::{Trace, redact_query};
use crate::query::endpoint::Endpoint;
use crate::query::sign::{self, SignatureVersion, SigningParams};
use crate::query::xml::{self, ReadError, TypedReply};
use crate::query::{QueryRequest, SignedRequest, form};

pub use crate::http::retry::{CallReport, RetryPolicy, THROTTLING_CODES, is_clock_skew_error};

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
    /// Where temporary credentials come from when `credentials` is `None`: asked before every
    /// attempt (it answers from its cache until they near expiry).
    pub provider: Option<CredentialsProvider>,
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
            provider: None,
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
    /// The server's clock, learnt from a clock-skew error.
    clock: ServerClock,
    /// The `--debug` trace, and the credentials' secrets, blanked out of every reply.
    trace: Trace,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("config", &self.inner.config)
            .finish()
    }
}

impl Transport {
    /// Builds the HTTP client (connection pool, timeouts, TLS settings).
    pub fn new(config: TransportConfig) -> Result<Self> {
        let http = crate::http::client::build(&ClientOptions {
            connect_timeout: config.connect_timeout,
            read_timeout: config.read_timeout,
            verify_tls: config.verify_tls,
            ca_bundle: config.ca_bundle.as_deref(),
            plain_http: config.endpoint.scheme == "http",
        })?;
        let scrubber = config
            .credentials
            .as_ref()
            .map(Scrubber::for_credentials)
            .unwrap_or_default();
        Ok(Transport {
            inner: Arc::new(Inner {
                trace: Trace::new(config.debug, scrubber),
                config,
                http,
                clock: ServerClock::default(),
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
        self.inner.clock.offset_ms()
    }

    /// The time requests are signed with: now, corrected by the learnt clock offset.
    pub fn signing_time(&self) -> SystemTime {
        self.inner.clock.now()
    }

    /// The longest one attempt may take: the connect timeout plus the read timeout. The read
    /// timeout alone restarts with every byte, so a server trickling bytes would never trip it.
    pub fn attempt_limit(&self) -> Duration {
        let config = &self.inner.config;
        config.connect_timeout.saturating_add(config.read_timeout)
    }

    /// Writes one line to the `--debug` trace (nothing when debugging is off).
    pub fn debug_note(&self, line: &str) {
        self.inner.trace.line(line);
    }

    /// Calls `operation` with `params` (without `Action`/`Version`, which are added), reading the
    /// reply straight into the output shape `T` with the one-pass reader
    /// ([`xml::parse_typed_reply`]); returns it with the request id, and what the call took
    /// (see [`CallReport`]).
    ///
    /// Retried, like the AWS SDKs' standard mode ([`crate::http::retry`]): connection failures,
    /// timeouts, HTTP 500, 502, 503 and 504, and the [`THROTTLING_CODES`], but not a Phantom
    /// Python exception page ([`is_phantom_exception`]), which the same request raises again.
    /// Every attempt is signed anew; a clock-skew error with a `Date` header is re-sent once with
    /// the signing clock corrected.
    pub async fn call_typed_with_report<T: DeserializeOwned + Default>(
        &self,
        operation: &str,
        params: Vec<(String, String)>,
    ) -> (Result<(T, Option<String>)>, CallReport) {
        let config = &self.inner.config;
        let mut all = Vec::with_capacity(params.len() + 2);
        all.push(("Action".to_string(), operation.to_string()));
        all.push(("Version".to_string(), config.version.clone()));
        all.extend(params);
        let retrier = Retrier {
            operation,
            policy: &config.retry,
            attempt_limit: self.attempt_limit(),
            deadline: config.deadline,
            clock: Some(&self.inner.clock),
            trace: &self.inner.trace,
        };
        retrier.run(|| self.attempt::<T>(operation, &all)).await
    }

    async fn attempt<T: DeserializeOwned + Default>(
        &self,
        operation: &str,
        params: &[(String, String)],
    ) -> Result<Attempt<(T, Option<String>)>> {
        let fetched = self.provided().await?;
        let with_provided;
        let trace = match &fetched {
            // The provider's secrets are blanked out of this attempt's reply and trace.
            Some(f) => {
                with_provided = Trace::new(self.inner.trace.enabled(), f.scrubber.clone());
                &with_provided
            }
            None => &self.inner.trace,
        };
        let credentials = match &fetched {
            Some(f) => Some(&f.credentials),
            None => self.inner.config.credentials.as_ref(),
        };
        let signed = self.sign(params, credentials)?;
        if trace.enabled() {
            trace.request(
                signed.method.as_str(),
                &signed.url,
                &signed.headers,
                &redact_query(&String::from_utf8_lossy(&signed.body)),
            );
        }
        let raw = match self.send(operation, signed, trace.scrubber()).await {
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
        let request_id = request_id(&raw);
        if trace.enabled() {
            let body = String::from_utf8_lossy(&raw.body[..raw.body.len().min(4096)]);
            trace.line(&format!(
                "< HTTP {}{} request-id {}\n< {}",
                raw.status,
                raw.reason
                    .as_deref()
                    .map(|r| format!(" {r}"))
                    .unwrap_or_default(),
                request_id.as_deref().unwrap_or("-"),
                body.trim_end()
            ));
        }
        let details = if (200..300).contains(&raw.status) {
            match xml::parse_typed_reply::<T>(operation, &raw.body) {
                Ok(TypedReply::Success {
                    output,
                    request_id: in_body,
                }) => {
                    return Ok(Attempt::Done((output, in_body.or(request_id))));
                }
                Ok(TypedReply::Error(details)) => details,
                Err(ReadError::Shape(e)) => {
                    return Err(Error::Parse {
                        operation: operation.to_string(),
                        status: raw.status,
                        request_id,
                        message: format!("reply does not fit {operation}Result: {e}"),
                    });
                }
                Err(ReadError::Xml(message)) => {
                    return Err(Error::Parse {
                        operation: operation.to_string(),
                        status: raw.status,
                        request_id,
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
        let mut error = Error::service(
            operation,
            raw.status,
            details.code,
            details.message,
            details.request_id.or(request_id),
        );
        if let Error::Service(e) = &mut error {
            e.server = raw.header("server").map(str::to_string);
        }
        if is_phantom_exception(raw.status, &raw.body) {
            // The server's code raised an exception on this request: sending it again raises it
            // again (and a retried Create on a deterministic fault is a hazard).
            return Err(error);
        }
        let retry_after = raw
            .header("retry-after")
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let date = raw.header("date").and_then(parse_http_date);
        classify(error, retry_after, date)
    }

    /// The provider's current credentials, when the keys come from one.
    async fn provided(&self) -> Result<Option<Arc<Fetched>>> {
        match (&self.inner.config.credentials, &self.inner.config.provider) {
            (None, Some(provider)) => provider.credentials().await.map(Some),
            _ => Ok(None),
        }
    }

    fn sign(
        &self,
        params: &[(String, String)],
        credentials: Option<&Credentials>,
    ) -> Result<SignedRequest> {
        let config = &self.inner.config;
        let request = QueryRequest {
            method: Method::POST,
            scheme: config.endpoint.scheme.clone(),
            host: config.endpoint.host.clone(),
            port: config.endpoint.port,
            path: config.endpoint.path.clone(),
            params: params.to_vec(),
        };
        match credentials {
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
        scrubber: &Scrubber,
    ) -> std::result::Result<Reply, SendFailure> {
        let config = &self.inner.config;
        let mut request = self.inner.http.request(signed.method.clone(), &signed.url);
        for (name, value) in &signed.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        request = request.header("Accept", "text/xml").body(signed.body);
        let endpoint = config.endpoint.url();
        let timeouts = Timeouts {
            connect: config.connect_timeout,
            read: config.read_timeout,
        };
        let failed = |e| failure::from_reqwest(e, operation, &endpoint, timeouts);
        let mut response = request.send().await.map_err(failed)?;
        let mut raw = Reply::head(&response, scrubber);
        match raw
            .read_body(&mut response, config.max_body_bytes, scrubber)
            .await
        {
            Ok(()) => Ok(raw),
            Err(BodyError::Read(e)) => Err(failed(e)),
            Err(BodyError::TooLarge) => Err(SendFailure {
                error: reply::too_large(
                    operation,
                    raw.status,
                    request_id(&raw),
                    config.max_body_bytes,
                ),
                maybe_done: true,
                retry: false,
            }),
        }
    }
}

/// The request id a reply's headers name.
fn request_id(reply: &Reply) -> Option<String> {
    reply
        .header("x-amzn-requestid")
        .or_else(|| reply.header("x-amz-request-id"))
        .map(str::to_string)
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

#[cfg(test)]
mod tests {
    use super::*;

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
        transport.inner.clock.set_offset_ms(-3_600_000);
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
}
