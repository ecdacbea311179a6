//! The AWS Query protocol, knowing nothing of Auto Scaling: form encoding, XML replies and errors,
//! signing, transport and pagination.
//!
//! A request travels as a [`QueryRequest`] (where it goes and its ordered parameters); a signer turns
//! it into a [`SignedRequest`] (the exact URL, headers and body to send).

pub mod encoding;
pub mod endpoint;
pub mod form;
pub(crate) mod paging;
pub mod sign;
pub mod timestamp;
pub mod transport;
pub mod tree;
pub mod xml;

use http::Method;

/// A Query API request before signing: where it goes and its parameters in the order they were
/// serialized (`Action`, `Version`, then the members in model order, as botocore sends them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryRequest {
    /// `GET` (parameters in the query string) or `POST` (parameters in a form body).
    pub method: Method,
    /// `http` or `https`.
    pub scheme: String,
    /// Host name or IP literal, without port.
    pub host: String,
    /// Explicit port, when the URL names one.
    pub port: Option<u16>,
    /// Path, `/` for every known server.
    pub path: String,
    /// Ordered parameters, `Action` and `Version` included.
    pub params: Vec<(String, String)>,
}

impl QueryRequest {
    /// The `Host` header as sent: `host` or `host:port` when the URL has an explicit port.
    pub fn host_header(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{}", self.host, p),
            None => self.host.clone(),
        }
    }
}

/// A request ready to send: method, complete URL (query string included for `GET`), the headers
/// the signer added (`Authorization`, `X-Amz-Date`, `Content-Type`, ...), and the body.
/// Its `Debug` redacts signatures and session tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The HTTP method.
    pub method: Method,
    /// The full URL.
    pub url: String,
    /// Headers to send besides `Host`, which the HTTP client sets from the URL.
    pub headers: Vec<(String, String)>,
    /// The body (empty for `GET`).
    pub body: Vec<u8>,
}

impl std::fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), crate::http::trace::redact_header(k, v)))
            .collect();
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("url", &crate::http::trace::redact_query(&self.url))
            .field("headers", &headers)
            .field(
                "body",
                &crate::http::trace::redact_query(&String::from_utf8_lossy(&self.body)),
            )
            .finish()
    }
}
