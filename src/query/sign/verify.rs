//! Server-side verification of SigV2 and SigV4 requests (for the built-in endpoint).

use std::time::{Duration, SystemTime};

use base64::Engine;
use hmac::{Hmac, Mac};
use http::{HeaderMap, Method};
use sha2::Sha256;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

use super::v2;
use super::v4::{ALGORITHM, canonical_request_v4, sha256_hex, signing_key, string_to_sign_v4};
use super::{HmacAlgorithm, join_encoded, sorted, strip_port};
use crate::credentials::Secret;

/// How far a request's time may be from the server's clock, either way.
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Why a request was not authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// The request carries no credentials at all.
    Missing,
    /// The access key id is not known (the id, which is not secret).
    UnknownKey(String),
    /// The signature is not the one the secret key gives.
    SignatureMismatch,
    /// The request's time is more than 15 minutes from now (or past its `Expires`).
    Expired,
    /// The authentication data cannot be read (what is wrong with it).
    Malformed(String),
}

/// Who signed an authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key id that signed the request.
    pub access_key_id: String,
    /// The SigV4 credential-scope region (`None` for SigV2).
    pub region: Option<String>,
    /// The SigV4 credential-scope service (`None` for SigV2).
    pub service: Option<String>,
}

/// A request as the server received it, with its parameters decoded once.
///
/// The front end decodes the query string and the form body with one decoder
/// ([`crate::query::form::decode_pairs`]) and hands the same pairs to the verifier and to the
/// operation, so that what a signature covers and what runs cannot differ: SigV2 is checked over
/// exactly `query_params` and `form_params`; SigV4's canonical query is rebuilt from
/// `query_params`, and its payload hash covers the raw `body`.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// The method.
    pub method: &'a Method,
    /// The `Host` header as sent.
    pub host: &'a str,
    /// The path, as on the request line.
    pub path: &'a str,
    /// All headers.
    pub headers: &'a HeaderMap,
    /// The raw body (hashed by SigV4).
    pub body: &'a [u8],
    /// The query string's parameters, decoded, in wire order.
    pub query_params: &'a [(String, String)],
    /// The form body's parameters, decoded, in wire order (empty when the body is not a form).
    pub form_params: &'a [(String, String)],
}

/// Checks a request's signature exactly as received.
///
/// SigV4 when an `Authorization: AWS4-HMAC-SHA256 ...` header is present (`, ` or `,`
/// separators; any region and service); otherwise SigV2 when the parameters carry
/// `AWSAccessKeyId`. `lookup` maps an access key id to its secret.
pub fn verify(
    req: &Received<'_>,
    lookup: &dyn Fn(&str) -> Option<Secret>,
    now: SystemTime,
) -> Result<Verified, VerifyError> {
    if let Some(auth) = req.headers.get(http::header::AUTHORIZATION) {
        let auth = auth
            .to_str()
            .map_err(|_| VerifyError::Malformed("Authorization is not text".into()))?;
        if auth.starts_with(ALGORITHM) {
            return verify_v4(req, auth, lookup, now);
        }
    }
    let params: Vec<(String, String)> = req
        .query_params
        .iter()
        .chain(req.form_params)
        .cloned()
        .collect();
    if params.iter().any(|(k, _)| k == "AWSAccessKeyId") {
        return verify_v2(req.method, req.host, req.path, &params, lookup, now);
    }
    if req.headers.contains_key(http::header::AUTHORIZATION) {
        return Err(VerifyError::Malformed(
            "unsupported Authorization scheme".into(),
        ));
    }
    Err(VerifyError::Missing)
}

/// The single value of parameter `name`; a repeated parameter is malformed.
fn param<'a>(params: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, VerifyError> {
    let mut found = params.iter().filter(|(k, _)| k == name);
    let first = found.next().map(|(_, v)| v.as_str());
    if found.next().is_some() {
        return Err(VerifyError::Malformed(format!(
            "{name} given more than once"
        )));
    }
    Ok(first)
}

/// Whether `t` is more than [`MAX_SKEW`] away from `now`.
fn skewed(t: SystemTime, now: SystemTime) -> bool {
    let diff = match now.duration_since(t) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    diff > MAX_SKEW
}

fn verify_v2(
    method: &Method,
    host_header: &str,
    path: &str,
    params: &[(String, String)],
    lookup: &dyn Fn(&str) -> Option<Secret>,
    now: SystemTime,
) -> Result<Verified, VerifyError> {
    let key_id = param(params, "AWSAccessKeyId")?.unwrap_or_default();
    match param(params, "SignatureVersion")? {
        Some("2") => {}
        Some(v) => {
            return Err(VerifyError::Malformed(format!(
                "unsupported SignatureVersion {v}"
            )));
        }
        None => return Err(VerifyError::Malformed("SignatureVersion is missing".into())),
    }
    let alg = match param(params, "SignatureMethod")? {
        Some("HmacSHA256") => HmacAlgorithm::Sha256,
        Some("HmacSHA1") => HmacAlgorithm::Sha1,
        Some(m) => {
            return Err(VerifyError::Malformed(format!(
                "unsupported SignatureMethod {m}"
            )));
        }
        None => return Err(VerifyError::Malformed("SignatureMethod is missing".into())),
    };
    let given = param(params, "Signature")?
        .ok_or_else(|| VerifyError::Malformed("Signature is missing".into()))?;
    let given = base64::engine::general_purpose::STANDARD
        .decode(given)
        .map_err(|_| VerifyError::Malformed("Signature is not base64".into()))?;
    let timestamp = param(params, "Timestamp")?;
    let expires = param(params, "Expires")?;
    let parse = |name: &str, v: &str| {
        OffsetDateTime::parse(v, &Rfc3339)
            .map(SystemTime::from)
            .map_err(|_| VerifyError::Malformed(format!("{name} is not an ISO 8601 time")))
    };
    let (timestamp, expires) = match (timestamp, expires) {
        (Some(t), None) => (Some(parse("Timestamp", t)?), None),
        (None, Some(e)) => (None, Some(parse("Expires", e)?)),
        (Some(_), Some(_)) => {
            return Err(VerifyError::Malformed(
                "both Timestamp and Expires given".into(),
            ));
        }
        (None, None) => {
            return Err(VerifyError::Malformed(
                "Timestamp or Expires is required".into(),
            ));
        }
    };
    let secret = lookup(key_id).ok_or_else(|| VerifyError::UnknownKey(key_id.to_string()))?;
    let sts = v2::string_to_sign(method.as_str(), host_header, path, params);
    let ok = match alg {
        HmacAlgorithm::Sha256 => Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
            .map(|mut m| {
                m.update(sts.as_bytes());
                m.verify_slice(&given).is_ok()
            })
            .unwrap_or(false),
        HmacAlgorithm::Sha1 => Hmac::<sha1::Sha1>::new_from_slice(secret.expose().as_bytes())
            .map(|mut m| {
                m.update(sts.as_bytes());
                m.verify_slice(&given).is_ok()
            })
            .unwrap_or(false),
    };
    if !ok {
        return Err(VerifyError::SignatureMismatch);
    }
    if let Some(t) = timestamp
        && skewed(t, now)
    {
        return Err(VerifyError::Expired);
    }
    if let Some(e) = expires {
        if now > e {
            return Err(VerifyError::Expired);
        }
        // AWS documents no bound for SigV2's `Expires`; an endless one would let anybody who saw
        // one request replay it for ever, so it gets the same window as `Timestamp`.
        if skewed(e, now) {
            return Err(VerifyError::Malformed(
                "Expires is more than 15 minutes in the future".into(),
            ));
        }
    }
    Ok(Verified {
        access_key_id: key_id.to_string(),
        region: None,
        service: None,
    })
}

/// The parts of a SigV4 `Authorization` header.
struct Authorization<'a> {
    key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: Vec<u8>,
}

fn parse_authorization(auth: &str) -> Result<Authorization<'_>, VerifyError> {
    let rest = auth
        .strip_prefix(ALGORITHM)
        .ok_or_else(|| VerifyError::Malformed("not AWS4-HMAC-SHA256".into()))?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| VerifyError::Malformed(format!("bad Authorization part {part:?}")))?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let missing = |what: &str| VerifyError::Malformed(format!("Authorization lacks {what}"));
    let credential = credential.ok_or_else(|| missing("Credential"))?;
    let signed = signed.ok_or_else(|| missing("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| missing("Signature"))?;
    let mut scope = credential.rsplitn(5, '/');
    let (Some("aws4_request"), Some(service), Some(region), Some(date), Some(key_id)) = (
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
    ) else {
        return Err(VerifyError::Malformed(
            "Credential is not KEY/DATE/REGION/SERVICE/aws4_request".into(),
        ));
    };
    let signed_headers: Vec<&str> = signed.split(';').collect();
    if !signed_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("host"))
    {
        return Err(VerifyError::Malformed("host is not signed".into()));
    }
    let signature = hex::decode(signature)
        .ok()
        .filter(|s| s.len() == 32)
        .ok_or_else(|| VerifyError::Malformed("Signature is not 64 hex digits".into()))?;
    Ok(Authorization {
        key_id,
        date,
        region,
        service,
        signed_headers,
        signature,
    })
}

/// The signing time of a SigV4 request: `X-Amz-Date`, else `Date` (AWS accepts either), in the
/// ISO 8601 basic form the string to sign uses (`Date` may also be an RFC 7231 HTTP date).
fn signing_time(headers: &HeaderMap) -> Result<(String, OffsetDateTime), VerifyError> {
    let basic = format_description!("[year][month][day]T[hour][minute][second]Z");
    let (name, value) = match (headers.get("x-amz-date"), headers.get(http::header::DATE)) {
        (Some(v), _) => ("X-Amz-Date", v),
        (None, Some(v)) => ("Date", v),
        (None, None) => {
            return Err(VerifyError::Malformed(
                "X-Amz-Date or Date is required".into(),
            ));
        }
    };
    let text = value
        .to_str()
        .map_err(|_| VerifyError::Malformed(format!("{name} is not text")))?;
    if let Ok(t) = time::PrimitiveDateTime::parse(text, basic) {
        return Ok((text.to_string(), t.assume_utc()));
    }
    let http_date = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    if name == "Date"
        && let Ok(t) = time::PrimitiveDateTime::parse(text, http_date)
    {
        let t = t.assume_utc();
        let iso = t
            .format(basic)
            .map_err(|_| VerifyError::Malformed("Date is out of range".into()))?;
        return Ok((iso, t));
    }
    Err(VerifyError::Malformed(format!(
        "{name} is not YYYYMMDDTHHMMSSZ"
    )))
}

fn verify_v4(
    req: &Received<'_>,
    auth: &str,
    lookup: &dyn Fn(&str) -> Option<Secret>,
    now: SystemTime,
) -> Result<Verified, VerifyError> {
    let a = parse_authorization(auth)?;
    let (amz_date, when) = signing_time(req.headers)?;
    if amz_date.get(..8) != Some(a.date) {
        return Err(VerifyError::Malformed(
            "credential scope date differs from the request date".into(),
        ));
    }
    let secret = lookup(a.key_id).ok_or_else(|| VerifyError::UnknownKey(a.key_id.to_string()))?;
    let key = signing_key(secret.expose(), a.date, a.region, a.service);
    let scope = format!("{}/{}/{}/aws4_request", a.date, a.region, a.service);

    // The canonical query is rebuilt from the decoded parameters the operation will see, so a
    // value that decodes differently from how it was signed (`+` against `%2B`) cannot pass.
    let query = join_encoded(req.query_params);
    // Candidates: the request exactly as sent; then, for Phantom-style clients, the host
    // without its port and the body re-encoded as Phantom recomputes it (sorted, %20) from the
    // same decoded form parameters.
    let sent_hash = sha256_hex(req.body);
    let mut candidates = vec![(req.host, sent_hash.clone())];
    let bare_host = strip_port(req.host);
    if bare_host != req.host {
        candidates.push((bare_host, sent_hash.clone()));
    }
    if !req.form_params.is_empty() {
        let phantom_hash = sha256_hex(join_encoded(&sorted(req.form_params)).as_bytes());
        if phantom_hash != sent_hash {
            candidates.push((bare_host, phantom_hash));
        }
    }
    let mut matched = false;
    for (host, payload_hash) in &candidates {
        let creq = canonical_request_v4(
            req.method.as_str(),
            host,
            req.path,
            &query,
            req.headers,
            &a.signed_headers,
            payload_hash,
        )?;
        let sts = string_to_sign_v4(&amz_date, &scope, &creq);
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
            continue;
        };
        mac.update(sts.as_bytes());
        // `verify_slice` compares in constant time.
        if mac.verify_slice(&a.signature).is_ok() {
            matched = true;
            break;
        }
    }
    if !matched {
        return Err(VerifyError::SignatureMismatch);
    }
    if skewed(SystemTime::from(when), now) {
        return Err(VerifyError::Expired);
    }
    Ok(Verified {
        access_key_id: a.key_id.to_string(),
        region: Some(a.region.to_string()),
        service: Some(a.service.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_parses_with_either_separator() {
        for auth in [
            "AWS4-HMAC-SHA256 Credential=AK/20261127/0/127/aws4_request,SignedHeaders=host;x-amz-date,Signature=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
            "AWS4-HMAC-SHA256 Credential=AK/20261127/0/127/aws4_request, SignedHeaders=host;x-amz-date, Signature=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        ] {
            let a = parse_authorization(auth).unwrap();
            assert_eq!(a.key_id, "AK");
            assert_eq!(a.date, "20261127");
            assert_eq!(a.region, "0");
            assert_eq!(a.service, "127");
            assert_eq!(a.signed_headers, vec!["host", "x-amz-date"]);
            assert_eq!(a.signature.len(), 32);
        }
    }

    #[test]
    fn malformed_authorization_is_an_error_not_a_panic() {
        for auth in [
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 Credential=AK/2026/aws4_request,SignedHeaders=host,Signature=00",
            "AWS4-HMAC-SHA256 Credential=AK/20261127/r/s/aws4_request,SignedHeaders=x-amz-date,Signature=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
            "AWS4-HMAC-SHA256 Credential=AK/20261127/r/s/aws4_request,SignedHeaders=host,Signature=zz",
            "AWS4-HMAC-SHA256 junk",
        ] {
            assert!(
                matches!(parse_authorization(auth), Err(VerifyError::Malformed(_))),
                "{auth}"
            );
        }
    }

    #[test]
    fn skew_is_symmetric() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(10_000);
        assert!(!skewed(t, t + MAX_SKEW));
        assert!(skewed(t, t + MAX_SKEW + Duration::from_secs(1)));
        assert!(skewed(t + MAX_SKEW + Duration::from_secs(1), t));
    }
}
