//! Who is asking: checks a request's signature (SigV4, Phantom's SigV4 variant, SigV2) against the
//! key ring and names the owner whose resources the request may see.
//!
//! The cryptography lives in the library's signing module; this file owns only the endpoint's
//! policy: which keys are accepted, that `--no-auth` must be chosen explicitly, how each failure is
//! reported (403 `MissingAuthenticationToken`, 403 `InvalidClientTokenId`, 403
//! `SignatureDoesNotMatch`, 400 `RequestExpired`, 400 `IncompleteSignature`), and that the owner of
//! everything a request creates or sees is the access key id that signed it.

use std::time::SystemTime;

use http::{HeaderMap, Method};

use crate::query::sign::{self, VerifyError};
use crate::server::fault::ApiError;
use crate::server::keys::KeyRing;

/// The owner recorded for requests when authentication is off and the request names no key.
pub const ANONYMOUS: &str = "anonymous";

/// Whether and how requests are authenticated.
#[derive(Debug, Clone)]
pub enum AuthPolicy {
    /// `--no-auth`: nothing is verified; the owner is the access key the request claims, if any.
    Open,
    /// Every request must be signed by one of these keys.
    Keys(KeyRing),
}

/// The parts of an HTTP request a signature covers.
pub struct SignedParts<'a> {
    /// The method.
    pub method: &'a Method,
    /// The `Host` header as sent.
    pub host: &'a str,
    /// The path, `/`.
    pub path: &'a str,
    /// The raw query string (without `?`).
    pub query: &'a str,
    /// All headers.
    pub headers: &'a HeaderMap,
    /// The raw body.
    pub body: &'a [u8],
}

impl AuthPolicy {
    /// Authenticates a request; returns the owner (an access key id) of what it touches.
    /// `params` are the decoded parameters (query string and form body together).
    pub fn authenticate(
        &self,
        parts: &SignedParts<'_>,
        params: &[(String, String)],
        now: SystemTime,
    ) -> Result<String, ApiError> {
        match self {
            AuthPolicy::Open => {
                Ok(claimed_key(parts.headers, params).unwrap_or_else(|| ANONYMOUS.to_string()))
            }
            AuthPolicy::Keys(ring) => {
                let lookup = |id: &str| ring.secret(id);
                sign::verify(
                    parts.method,
                    parts.host,
                    parts.path,
                    parts.query,
                    parts.headers,
                    parts.body,
                    &lookup,
                    now,
                )
                .map(|v| v.access_key_id)
                .map_err(reject)
            }
        }
    }
}

/// The access key a request names (not verified): `AWSAccessKeyId`, `X-Amz-Credential`, or the
/// `Credential=` of an `Authorization` header.
fn claimed_key(headers: &HeaderMap, params: &[(String, String)]) -> Option<String> {
    for (k, v) in params {
        if k == "AWSAccessKeyId" && !v.is_empty() {
            return Some(v.clone());
        }
        if k == "X-Amz-Credential"
            && let Some(id) = v.split('/').next().filter(|s| !s.is_empty())
        {
            return Some(id.to_string());
        }
    }
    let auth = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let rest = auth.split("Credential=").nth(1)?;
    let id = rest.split('/').next()?.trim();
    (!id.is_empty()).then(|| id.to_string())
}

fn reject(e: VerifyError) -> ApiError {
    match e {
        VerifyError::Missing => ApiError::with_status(
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        ),
        VerifyError::UnknownKey(_) => ApiError::with_status(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ),
        VerifyError::SignatureMismatch => ApiError::with_status(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details.",
        ),
        VerifyError::Expired => ApiError::with_status(
            400,
            "RequestExpired",
            "Request has expired: its timestamp is more than 15 minutes away from the server's \
             clock.",
        ),
        VerifyError::Malformed(why) => ApiError::with_status(400, "IncompleteSignature", why),
    }
}
