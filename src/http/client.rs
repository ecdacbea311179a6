//! One way to build the HTTP client: a connection pool with the connect and read timeouts, the
//! TLS settings (certificate verification, extra CA certificates), a User-Agent, and redirects
//! never followed (a 302 means something to the REST API, and a Query endpoint never redirects).

use std::time::Duration;

use crate::error::{Error, Result};

/// The User-Agent every request carries.
pub const USER_AGENT: &str = concat!("phantom-autoscale/", env!("CARGO_PKG_VERSION"));

/// What a client is built from.
#[derive(Debug, Clone, Copy)]
pub struct ClientOptions<'a> {
    /// Time allowed to open a connection ([`Duration::MAX`]: no limit).
    pub connect_timeout: Duration,
    /// Time allowed between two reads of a reply (restarts with every byte; [`Duration::MAX`]:
    /// no limit).
    pub read_timeout: Duration,
    /// Verify the server's TLS certificate (on unless the user opts out).
    pub verify_tls: bool,
    /// Extra CA certificates (PEM) to trust; an unreadable or empty bundle is an error.
    pub ca_bundle: Option<&'a [u8]>,
    /// Whether the endpoint is plain `http`: then the built-in root store is not built (redirects
    /// are never followed, so such a client never meets TLS), a measurable part of a short call.
    pub plain_http: bool,
}

/// Builds the pooled client. Errors are [`Error::Config`]: a bad CA bundle, or a TLS back end
/// that cannot start.
pub fn build(options: &ClientOptions<'_>) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder();
    // `Duration::MAX` is no limit (`cli_read_timeout = 0`, `--read-timeout 0`): no timer at all.
    if options.connect_timeout != Duration::MAX {
        builder = builder.connect_timeout(options.connect_timeout);
    }
    if options.read_timeout != Duration::MAX {
        builder = builder.read_timeout(options.read_timeout);
    }
    let mut builder = builder
        // Keep every connection a burst of concurrent calls opened (the SDKs' 10 closed the rest
        // after each burst).
        .pool_max_idle_per_host(64)
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none());
    if options.plain_http && options.ca_bundle.is_none() {
        builder = builder.tls_built_in_root_certs(false);
    }
    if !options.verify_tls {
        builder = builder.danger_accept_invalid_certs(true);
    }
    if let Some(pem) = options.ca_bundle {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| Error::Config(format!("CA bundle is not valid PEM: {e}")))?;
        if certs.is_empty() {
            return Err(Error::Config("CA bundle holds no certificate".into()));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| Error::Config(format!("cannot set up the HTTP client: {e}")))
}
