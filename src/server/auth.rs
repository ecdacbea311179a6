//! Who is asking: checks a request's signature (SigV4, Phantom's SigV4 variant, SigV2) against the
//! key ring and names the owner whose resources the request may see.
//!
//! The cryptography lives in the library's signing module; this file owns only the endpoint's
//! policy: which keys are accepted, that `--no-auth` must be chosen explicitly, how each failure is
//! reported (403 `MissingAuthenticationToken`, 403 `InvalidClientTokenId`, 403
//! `SignatureDoesNotMatch`, 400 `RequestExpired`, 400 `IncompleteSignature`), and that the owner of
//! everything a request creates or sees is the access key id that signed it.

use std::time::SystemTime;

use crate::query::sign::{self, Received, VerifyError};
use crate::server::fault::ApiError;
use crate::server::keys::KeyRing;

/// The owner of everything when authentication is off (`--no-auth`).
pub const ANONYMOUS: &str = "anonymous";

/// Whether and how requests are authenticated.
#[derive(Debug, Clone)]
pub enum AuthPolicy {
    /// `--no-auth`: nothing is verified; every request acts as the one [`ANONYMOUS`] owner.
    Open,
    /// Every request must be signed by one of these keys.
    Keys(KeyRing),
}

impl AuthPolicy {
    /// Authenticates a request; returns the owner (an access key id) of what it touches.
    ///
    /// Under [`AuthPolicy::Open`] every caller is the one [`ANONYMOUS`] owner, whatever key a
    /// request names: an unverified name must not open another owner's resources.
    ///
    /// Also returns the verified SigV4 credential scope's service (`ec2`, `autoscaling`), which
    /// tells the front end which API the request was signed for; `None` for SigV2 and under
    /// [`AuthPolicy::Open`] (nothing verified, so nothing to trust).
    pub fn authenticate(
        &self,
        req: &Received<'_>,
        now: SystemTime,
    ) -> Result<(String, Option<String>), ApiError> {
        match self {
            AuthPolicy::Open => Ok((ANONYMOUS.to_string(), None)),
            AuthPolicy::Keys(ring) => {
                let lookup = |id: &str| ring.secret(id);
                sign::verify(req, &lookup, now)
                    .map(|v| (v.access_key_id, v.service))
                    .map_err(reject)
            }
        }
    }
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
