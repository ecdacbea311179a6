//! Signature Version 2: the signer, and the string-to-sign and HMAC the verifier shares.

use std::time::SystemTime;

use base64::Engine;
use hmac::{Hmac, Mac};
use time::OffsetDateTime;
use time::macros::format_description;

use super::{
    FORM_CONTENT_TYPE, HmacAlgorithm, SigningParams, effective_host_header, encode_path,
    join_encoded, sorted, url_with_query,
};
use crate::error::Error;
use crate::query::{QueryRequest, SignedRequest};

/// Parameters the SigV2 signer adds itself; a request must not carry them already.
const RESERVED: [&str; 7] = [
    "AWSAccessKeyId",
    "SignatureMethod",
    "SignatureVersion",
    "Timestamp",
    "Expires",
    "SecurityToken",
    "Signature",
];

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC.
pub(super) fn timestamp(t: SystemTime) -> Result<String, Error> {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    OffsetDateTime::from(t)
        .format(fmt)
        .map_err(|e| Error::Signing(format!("cannot format the signing time: {e}")))
}

/// `METHOD\nhost\npath\nsorted-encoded-params` (the host lowercased; `Signature` left out).
pub(super) fn string_to_sign(
    method: &str,
    host_header: &str,
    path: &str,
    params: &[(String, String)],
) -> String {
    let unsigned: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "Signature")
        .cloned()
        .collect();
    format!(
        "{}\n{}\n{}\n{}",
        method,
        host_header.to_ascii_lowercase(),
        path,
        join_encoded(&sorted(&unsigned))
    )
}

/// The raw HMAC of `data` under `key`.
pub(super) fn hmac(alg: HmacAlgorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
    match alg {
        HmacAlgorithm::Sha256 => {
            // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
            let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(key) else {
                return Vec::new();
            };
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        HmacAlgorithm::Sha1 => {
            let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(key) else {
                return Vec::new();
            };
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
    }
}

/// Signs with SigV2: adds the auth parameters and `Signature`, sorted by name.
pub(super) fn sign(
    req: &QueryRequest,
    alg: HmacAlgorithm,
    params: &SigningParams,
) -> Result<SignedRequest, Error> {
    if let Some((k, _)) = req
        .params
        .iter()
        .find(|(k, _)| RESERVED.contains(&k.as_str()))
    {
        return Err(Error::Signing(format!(
            "parameter {k} is set by the SigV2 signer and must not be given"
        )));
    }
    let creds = params.credentials;
    let mut all = req.params.clone();
    all.push(("AWSAccessKeyId".into(), creds.access_key_id().to_string()));
    all.push(("SignatureMethod".into(), alg.signature_method().into()));
    all.push(("SignatureVersion".into(), "2".into()));
    all.push(("Timestamp".into(), timestamp(params.time)?));
    if let Some(token) = creds.session_token() {
        all.push(("SecurityToken".into(), token.expose().to_string()));
    }
    // The host and path exactly as they will be sent.
    let sts = string_to_sign(
        req.method.as_str(),
        &effective_host_header(req),
        &encode_path(req.path.as_bytes()),
        &all,
    );
    let mac = hmac(
        alg,
        creds.secret_access_key().expose().as_bytes(),
        sts.as_bytes(),
    );
    all.push((
        "Signature".into(),
        base64::engine::general_purpose::STANDARD.encode(mac),
    ));
    let encoded = join_encoded(&sorted(&all));
    if req.method == http::Method::GET {
        Ok(SignedRequest {
            method: req.method.clone(),
            url: url_with_query(req, &encoded),
            headers: Vec::new(),
            body: Vec::new(),
        })
    } else {
        Ok(SignedRequest {
            method: req.method.clone(),
            url: url_with_query(req, ""),
            headers: vec![("Content-Type".into(), FORM_CONTENT_TYPE.into())],
            body: encoded.into_bytes(),
        })
    }
}
