//! The library's one error type.
//!
//! Every failure is a value with context: a service error keeps the code, message, HTTP status,
//! request id and operation; a transport or parse error names the operation and what went wrong.
//! The CLI turns an [`Error`] into one line on stderr and an exit code ([`Error::exit_code`]).

use std::fmt;

/// An error reported by the service (AWS, Phantom, moto, the built-in endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// The error code, e.g. `ValidationError`, `AlreadyExists`, `SignatureDoesNotMatch`.
    pub code: String,
    /// The server's explanation (may be empty).
    pub message: String,
    /// The HTTP status of the reply.
    pub status: u16,
    /// The request id, from the body or the `x-amzn-RequestId` header, when the server sent one.
    pub request_id: Option<String>,
    /// The operation (Query action or REST call) that failed.
    pub operation: String,
    /// The reply's `Server` header, when sent: which software answered (`phantom` for Nimbus
    /// Phantom), so that a caller can tell a dialect mismatch from a refusal.
    pub server: Option<String>,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.operation, self.code)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        write!(f, " (HTTP {}", self.status)?;
        if let Some(id) = &self.request_id {
            write!(f, ", request id {id}")?;
        }
        f.write_str(")")
    }
}

/// Everything that can go wrong in phantom-autoscale.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error.
    #[error("{0}")]
    Service(Box<ServiceError>),
    /// The request never got a complete answer (connection refused, reset, TLS, ...).
    #[error("{operation}: could not reach {endpoint}: {message}")]
    Transport {
        /// The operation being attempted.
        operation: String,
        /// The endpoint URL.
        endpoint: String,
        /// What went wrong, its causes included, on one line (the CLI's report).
        message: String,
        /// The underlying error (reqwest's), for callers that walk `source()`.
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The request took longer than the configured timeout or deadline.
    #[error("{operation}: timed out after {elapsed_ms} ms ({what})")]
    Timeout {
        /// The operation being attempted.
        operation: String,
        /// How long we waited.
        elapsed_ms: u128,
        /// Which limit fired.
        what: String,
    },
    /// The server's reply could not be understood.
    #[error("{operation}: unreadable reply (HTTP {status}{}): {message}", request_id.as_deref().map(|r| format!(", request id {r}")).unwrap_or_default())]
    Parse {
        /// The operation whose reply failed to parse.
        operation: String,
        /// The HTTP status of the reply.
        status: u16,
        /// The request id, when known.
        request_id: Option<String>,
        /// What was wrong with it.
        message: String,
    },
    /// Bad configuration: endpoint, region, profile, credentials file, arguments.
    #[error("configuration: {0}")]
    Config(String),
    /// A request could not be signed or built.
    #[error("signing: {0}")]
    Signing(String),
    /// A request's parameters or body could not be encoded (a value the form or JSON encoding
    /// cannot carry).
    #[error("encoding the request: {0}")]
    Encoding(String),
    /// A named thing (domain, launch configuration) does not exist.
    #[error("no such {0}")]
    NotFound(String),
    /// The server did what was asked and reports that it did not work out: a login whose user
    /// name or password was refused, an instance or scaling activity that failed while waiting.
    #[error("{operation}: {message}")]
    Failed {
        /// What was being done, e.g. `wait in-service web` or `login as alice at URL`.
        operation: String,
        /// What failed and the server's reason.
        message: String,
    },
    /// A local input/output failure (reading a profile or user-data file, ...).
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// Builds a service error.
    pub fn service(
        operation: impl Into<String>,
        status: u16,
        code: impl Into<String>,
        message: impl Into<String>,
        request_id: Option<String>,
    ) -> Self {
        Error::Service(Box::new(ServiceError {
            code: code.into(),
            message: message.into(),
            status,
            request_id,
            operation: operation.into(),
            server: None,
        }))
    }

    /// The service error inside, if this is one.
    pub fn as_service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    /// The service error code, if this is a service error.
    pub fn code(&self) -> Option<&str> {
        self.as_service().map(|e| e.code.as_str())
    }

    /// The process exit code the CLI uses for this error: 1 service error (4xx), a missing
    /// named thing, or a failure the server reported (see [`Error::Failed`]), 2 bad
    /// configuration or usage, 3 transport failure or timeout, 4 unreadable reply, 5 server fault (5xx).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Service(e) if e.status >= 500 => 5,
            Error::Service(_) | Error::NotFound(_) | Error::Failed { .. } => 1,
            Error::Config(_) | Error::Signing(_) | Error::Encoding(_) | Error::Io { .. } => 2,
            Error::Transport { .. } | Error::Timeout { .. } => 3,
            Error::Parse { .. } => 4,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
