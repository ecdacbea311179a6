//! Request signing and signature verification for the Query protocol.
//!
//! This module owns every byte that authenticates a request: the client side turns a
//! [`QueryRequest`] into a [`SignedRequest`] with Signature Version 2 (Phantom, Eucalyptus, old
//! endpoints), AWS-standard Signature Version 4 (through the `aws-sigv4` crate) or Phantom's own
//! SigV4 dialect; the server side ([`verify`]) checks SigV2 and SigV4 requests for the built-in
//! endpoint. Secrets are exposed only inside the HMAC computations here and never printed.

mod v2;
mod v4;
mod verify;

use std::time::SystemTime;

use crate::credentials::Credentials;
use crate::error::Error;
use crate::query::{QueryRequest, SignedRequest};

pub use v4::{canonical_request_v4, string_to_sign_v4};
pub use verify::{Received, Verified, VerifyError, verify};

/// The HMAC used by Signature Version 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HmacAlgorithm {
    /// `SignatureMethod=HmacSHA256` (the usual choice).
    Sha256,
    /// `SignatureMethod=HmacSHA1` (accepted by Phantom, for very old servers).
    Sha1,
}

impl HmacAlgorithm {
    /// The `SignatureMethod` parameter value.
    pub fn signature_method(self) -> &'static str {
        match self {
            HmacAlgorithm::Sha256 => "HmacSHA256",
            HmacAlgorithm::Sha1 => "HmacSHA1",
        }
    }
}

/// Which signature scheme to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureVersion {
    /// Signature Version 2: signature and credentials travel as parameters.
    V2(HmacAlgorithm),
    /// AWS-standard Signature Version 4 (the `aws-sigv4` crate), `Authorization` header.
    V4,
    /// Phantom's SigV4 dialect: no spaces in `Authorization`, host signed without its port,
    /// parameters sorted by name (body for `POST`, query for `GET`).
    PhantomV4,
}

/// What a signature is made with, besides the request.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// The key pair (and optional session token).
    pub credentials: &'a Credentials,
    /// The region in the SigV4 credential scope (`us-east-1`; Phantom ignores it).
    pub region: &'a str,
    /// The service in the SigV4 credential scope (`autoscaling`).
    pub service: &'a str,
    /// The signing time (`Timestamp` for SigV2, `X-Amz-Date` for SigV4).
    pub time: SystemTime,
}

/// Signs `req` with `version`, returning the exact URL, headers and body to send.
///
/// `GET` requests carry the parameters in the query string; `POST` requests carry them in an
/// `application/x-www-form-urlencoded; charset=utf-8` body.
pub fn sign(
    req: &QueryRequest,
    version: &SignatureVersion,
    params: &SigningParams,
) -> Result<SignedRequest, Error> {
    if req.method != http::Method::GET && req.method != http::Method::POST {
        return Err(Error::Signing(format!(
            "Query requests are GET or POST, not {}",
            req.method
        )));
    }
    if !req.path.starts_with('/') {
        return Err(Error::Signing(format!(
            "request path must start with '/': {:?}",
            req.path
        )));
    }
    match version {
        SignatureVersion::V2(alg) => v2::sign(req, *alg, params),
        SignatureVersion::V4 => v4::sign_standard(req, params),
        SignatureVersion::PhantomV4 => v4::sign_phantom(req, params),
    }
}

/// The form `Content-Type` of every signed `POST`.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

// Percent-encoding is the crate's one set ([`crate::query::encoding`]); the signers name the
// pair encoder by what they do with it.
pub(crate) use crate::query::encoding::{encode_bytes, encode_pairs as join_encoded, encode_path};

/// The parameters sorted by name (byte order), then value, as Phantom and SigV2 want them.
fn sorted(params: &[(String, String)]) -> Vec<(String, String)> {
    let mut p = params.to_vec();
    p.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()).then(a.1.cmp(&b.1)));
    p
}

/// The `Host` the HTTP client will send: the port is left out when it is the scheme's default
/// (URL parsers drop it), so that is what must be signed.
fn effective_host_header(req: &QueryRequest) -> String {
    match (req.scheme.as_str(), req.port) {
        ("http", Some(80)) | ("https", Some(443)) => req.host.clone(),
        _ => req.host_header(),
    }
}

/// `scheme://host[:port]path` for a request (no query).
fn base_url(req: &QueryRequest) -> String {
    format!(
        "{}://{}{}",
        req.scheme,
        effective_host_header(req),
        encode_path(req.path.as_bytes())
    )
}

/// The URL with `query` appended when it is not empty.
fn url_with_query(req: &QueryRequest, query: &str) -> String {
    let base = base_url(req);
    if query.is_empty() {
        base
    } else {
        format!("{base}?{query}")
    }
}

/// `Host` without `:port` (`[::1]:80` -> `[::1]`, `a:80` -> `a`); unchanged when there is none.
fn strip_port(host: &str) -> &str {
    if let Some(i) = host.rfind(':') {
        let (name, port) = (&host[..i], &host[i + 1..]);
        let digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
        let ipv6_unbracketed = name.contains(':') && !name.ends_with(']');
        if digits && !ipv6_unbracketed {
            return name;
        }
    }
    host
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_port_handles_names_and_ip_literals() {
        assert_eq!(strip_port("127.0.0.1:8445"), "127.0.0.1");
        assert_eq!(strip_port("example.com"), "example.com");
        assert_eq!(strip_port("[::1]:8445"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
        assert_eq!(strip_port("::1"), "::1");
        assert_eq!(strip_port("host:"), "host:");
    }

    #[test]
    fn sorted_orders_by_name_then_value() {
        let p = vec![
            ("b".to_string(), "1".to_string()),
            ("a".to_string(), "2".to_string()),
            ("a".to_string(), "1".to_string()),
        ];
        let s = sorted(&p);
        assert_eq!(s[0], ("a".to_string(), "1".to_string()));
        assert_eq!(s[1], ("a".to_string(), "2".to_string()));
        assert_eq!(s[2], ("b".to_string(), "1".to_string()));
    }
}
