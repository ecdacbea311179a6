//! The endpoint's error value: what a request did wrong (or what broke inside), as AWS reports it.
//!
//! Every failure a handler can meet becomes an [`ApiError`] carrying the HTTP status, the
//! `Sender`/`Receiver` type, the AWS error code and a message; the front end turns it into an
//! `ErrorResponse` document. Keeping this one small type separate from the library's client-side
//! [`crate::Error`] means no handler can answer with an HTML page or a bare 500: the only way out
//! of a handler is a reply shape or one of these.

use std::fmt;

/// An error reply: status, type, code and message, as written into `ErrorResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status (400, 403, 404, 405, 500).
    pub status: u16,
    /// The AWS error code, e.g. `ValidationError`.
    pub code: &'static str,
    /// The explanation shown to the caller.
    pub message: String,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// `ValidationError` (400): the request names something missing or breaks a constraint.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationError", message)
    }

    /// `AlreadyExists` (400): a group or launch configuration of that name exists.
    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(400, "AlreadyExists", message)
    }

    /// `ResourceInUse` (400): the resource is still used (by a group, by instances).
    pub fn in_use(message: impl Into<String>) -> Self {
        Self::new(400, "ResourceInUse", message)
    }

    /// `LimitExceeded` (400): the request would pass a limit of this endpoint.
    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::new(400, "LimitExceeded", message)
    }

    /// `MissingParameter` (400): a required parameter is absent.
    pub fn missing_parameter(name: &str) -> Self {
        Self::new(
            400,
            "MissingParameter",
            format!("The request must contain the parameter {name}"),
        )
    }

    /// `InvalidAction` (400): the action is not one this endpoint knows.
    pub fn invalid_action(action: &str) -> Self {
        Self::new(
            400,
            "InvalidAction",
            format!(
                "The action {} is not valid for this web service.",
                shorten(action)
            ),
        )
    }

    /// `MalformedQueryString` (400): the form or query string cannot be decoded.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(400, "MalformedQueryString", message)
    }

    /// An error with its own status and code: authentication failures (403
    /// `SignatureDoesNotMatch`, ...), 404 for other paths, 405 for other methods, 413.
    pub fn with_status(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self::new(status, code, message)
    }

    /// `InternalFailure` (500): a fault of the endpoint itself (storage), never of the input.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalFailure", message)
    }

    /// `Sender` for 4xx, `Receiver` for 5xx, as AWS writes in `<Type>`.
    pub fn kind(&self) -> &'static str {
        if self.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::internal(format!("storage failure: {e}"))
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::internal(format!("encoding failure: {e}"))
    }
}

/// Cuts user-supplied text to a printable length before echoing it in a message.
pub fn shorten(text: &str) -> String {
    let mut s: String = text.chars().filter(|c| !c.is_control()).take(100).collect();
    if s.len() < text.len() {
        s.push_str("...");
    }
    s
}
