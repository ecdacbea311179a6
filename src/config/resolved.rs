//! The outcome of resolution: one value with everything needed to send a request, and the
//! protocol clients' settings built from it ([`ResolvedConfig::transport`] for the Query API,
//! [`ResolvedConfig::rest`] for Phantom's REST API).
//!
//! Nothing here reads the environment again: what the flags, variables and files said was
//! settled by [`super::resolve()`]. Building a client's settings can still fail, for what only
//! that client needs (a Query call needs credentials; the REST API needs Phantom's URL; a CA
//! bundle must be readable). `Display` and `Debug` never show a secret.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::credentials::CredentialsSource;
use super::dialect::{Dialect, SignatureChoice};
use super::inputs::ApiChoice;
use super::providers::CredentialsProvider;
use crate::credentials::Credentials;
use crate::error::Error;
use crate::http::retry::RetryMode;
use crate::query::endpoint::Endpoint;
use crate::query::sign::HmacAlgorithm;
use crate::query::transport::{RetryPolicy, TransportConfig};
use crate::rest::RestConfig;

/// How to reach the server: attempts, timeouts, reply cap, TLS and tracing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The retry mode.
    pub retry_mode: RetryMode,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// The base of the retry backoff, when not the transport's default.
    pub retry_base_delay: Option<Duration>,
    /// Time allowed to connect ([`Duration::MAX`]: no limit).
    pub connect_timeout: Duration,
    /// Time allowed between reads of a reply ([`Duration::MAX`]: no limit).
    pub read_timeout: Duration,
    /// Time allowed for one call, when given.
    pub deadline: Option<Duration>,
    /// Largest reply accepted, in bytes.
    pub max_reply_bytes: usize,
    /// Whether TLS certificates are verified.
    pub verify_tls: bool,
    /// A PEM file of extra trusted CA certificates.
    pub ca_bundle: Option<PathBuf>,
    /// Trace requests and replies on stderr (secrets redacted).
    pub debug: bool,
}

impl Connection {
    /// The retry policy both clients use: the mode and attempts asked for, the SDKs' backoff
    /// (its base shortened only where a test asks), and a fresh quota and rate limiter (each
    /// client has its own, as in the SDKs).
    fn retry_policy(&self) -> RetryPolicy {
        let mut retry = RetryPolicy {
            max_attempts: self.max_attempts,
            ..RetryPolicy::for_mode(self.retry_mode)
        };
        if let Some(base) = self.retry_base_delay {
            retry.base_delay = base;
        }
        retry
    }

    /// Whether to verify certificates, and the extra CA certificates (read from the bundle).
    fn tls(&self) -> Result<(bool, Option<Vec<u8>>), Error> {
        let pem = match &self.ca_bundle {
            Some(path) => Some(std::fs::read(path).map_err(|e| Error::Io {
                context: format!("reading CA bundle {}", path.display()),
                source: e,
            })?),
            None => None,
        };
        Ok((self.verify_tls, pem))
    }
}

/// The outcome of [`super::resolve()`]: everything needed to send a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedConfig {
    /// Where to send requests.
    pub endpoint: Endpoint,
    /// Where to send EC2 requests (the same as `endpoint` when one URL was given for all).
    pub ec2_endpoint: Endpoint,
    /// Where to send classic ELB requests.
    pub elb_endpoint: Endpoint,
    /// Where to send ELBv2 requests.
    pub elbv2_endpoint: Endpoint,
    /// The signing region.
    pub region: String,
    /// The server's dialect.
    pub dialect: Dialect,
    /// The signature version.
    pub signature: SignatureChoice,
    /// The HMAC of a SigV2 signature.
    pub signature_method: HmacAlgorithm,
    /// The credentials from the first complete source (see [`super::credentials`]); `None` when
    /// no source had any, or none are wanted.
    pub credentials: Option<Credentials>,
    /// Where the credentials came from, or where resolution looked for them.
    pub credentials_source: CredentialsSource,
    /// The provider of temporary credentials, when no static source had keys (or the profile
    /// names one): asked before every request, answering from its cache.
    pub provider: Option<CredentialsProvider>,
    /// The API commands use.
    pub api: ApiChoice,
    /// Attempts, timeouts, TLS.
    pub connection: Connection,
    /// The profile's `output` setting (the CLI's default format), if the config file has one.
    pub output: Option<String>,
    /// Use launch templates from the start where launch configurations were used
    /// (`--launch-templates`, `PHANTOM_LAUNCH_TEMPLATES`, the profile's
    /// `phantom_launch_templates`): for accounts that cannot create launch configurations.
    pub launch_templates: bool,
}

impl ResolvedConfig {
    /// The Query transport's settings. Without credentials this is an error saying where they
    /// were looked for, unless unsigned requests were asked for.
    pub fn transport(&self) -> Result<TransportConfig, Error> {
        if self.credentials.is_none()
            && self.provider.is_none()
            && self.credentials_source != CredentialsSource::NotWanted
        {
            return Err(Error::Config(format!(
                "no credentials found ({}). Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or \
                 pass --no-sign-request to send unsigned requests",
                self.credentials_source
            )));
        }
        let c = &self.connection;
        let mut t = TransportConfig::new(self.endpoint.clone(), self.region.clone());
        t.signature = self
            .dialect
            .signature_version(self.signature, self.signature_method);
        t.credentials = self.credentials.clone();
        t.provider = self.provider.clone();
        t.retry = c.retry_policy();
        t.connect_timeout = c.connect_timeout;
        t.read_timeout = c.read_timeout;
        // Default deadline: every attempt may take its connect + read time (the transport's
        // per-attempt limit), so a server that trickles bytes ends the call after 6 min by default.
        t.deadline = Some(c.deadline.unwrap_or_else(|| {
            c.connect_timeout
                .saturating_add(c.read_timeout)
                .saturating_mul(c.max_attempts)
        }));
        t.max_body_bytes = c.max_reply_bytes;
        t.debug = c.debug;
        (t.verify_tls, t.ca_bundle) = c.tls()?;
        Ok(t)
    }

    /// The EC2 client's transport settings: those of [`ResolvedConfig::transport`] at the EC2
    /// endpoint, with EC2's SigV4 service name and API version.
    pub fn ec2_transport(&self) -> Result<TransportConfig, Error> {
        let mut t = self.transport()?;
        t.endpoint = self.ec2_endpoint.clone();
        t.service = crate::ec2::SERVICE.into();
        t.version = crate::ec2::API_VERSION.into();
        Ok(t)
    }

    /// An Elastic Load Balancing client's transport settings: those of
    /// [`ResolvedConfig::transport`] at the slice's endpoint (`S::NAME` `elb` or `elbv2`), with
    /// the service name and API version the client then sets.
    pub fn elb_transport<S: crate::elb::Slice>(&self) -> Result<TransportConfig, Error> {
        let mut t = self.transport()?;
        t.endpoint = match S::NAME {
            "elb" => self.elb_endpoint.clone(),
            _ => self.elbv2_endpoint.clone(),
        };
        t.service = crate::elb::SERVICE.into();
        t.version = S::VERSION.into();
        Ok(t)
    }

    /// The REST client's settings: the endpoint must be Phantom's, not an AWS one.
    pub fn rest(&self) -> Result<RestConfig, Error> {
        let host = self.endpoint.host.as_str();
        if host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn") {
            return Err(Error::Config(
                "the REST API needs Phantom's URL: --endpoint-url or PHANTOM_URL, e.g. \
                 https://phantom.nimbusproject.org/api/dev"
                    .into(),
            ));
        }
        let c = &self.connection;
        let mut config = RestConfig::new(&self.endpoint);
        config.connect_timeout = c.connect_timeout;
        config.read_timeout = c.read_timeout;
        config.deadline = c.deadline;
        config.retry = c.retry_policy();
        config.max_body_bytes = c.max_reply_bytes;
        config.debug = c.debug;
        (config.verify_tls, config.ca_bundle) = c.tls()?;
        Ok(config)
    }
}

impl fmt::Display for ResolvedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "endpoint {}, region {}, dialect {}, signature {}, ",
            self.endpoint, self.region, self.dialect, self.signature
        )?;
        match &self.credentials {
            Some(c) => write!(
                f,
                "access key {} from {}",
                c.access_key_id(),
                self.credentials_source
            ),
            None if self.provider.is_some() => {
                write!(f, "credentials from {}", self.credentials_source)
            }
            None => write!(f, "no credentials ({})", self.credentials_source),
        }
    }
}
