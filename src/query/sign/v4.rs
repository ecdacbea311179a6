//! Signature Version 4: the AWS-standard signer (the `aws-sigv4` crate), Phantom's dialect, and
//! the canonical request / string to sign that the verifier recomputes.

use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings};
use aws_smithy_runtime_api::client::identity::Identity;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

use super::verify::VerifyError;
use super::{
    FORM_CONTENT_TYPE, SigningParams, effective_host_header, encode_bytes, encode_path,
    join_encoded, sorted, url_with_query,
};
use crate::error::Error;
use crate::query::{QueryRequest, SignedRequest};

/// The only SigV4 algorithm name.
pub(super) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// `YYYYMMDDTHHMMSSZ` in UTC.
pub(super) fn amz_date(t: SystemTime) -> Result<String, Error> {
    let fmt = format_description!("[year][month][day]T[hour][minute][second]Z");
    OffsetDateTime::from(t)
        .format(fmt)
        .map_err(|e| Error::Signing(format!("cannot format the signing time: {e}")))
}

/// Lowercase hex SHA-256.
pub(super) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// HMAC-SHA256 of `data` under `key`.
pub(super) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    // HMAC accepts keys of any length: this never fails.
    if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) {
        mac.update(data);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// The SigV4 signing key for one day, region and service.
pub(super) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// The SigV4 string to sign: algorithm, `X-Amz-Date`, credential scope
/// (`date/region/service/aws4_request`) and the hex SHA-256 of the canonical request.
pub fn string_to_sign_v4(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// Collapses runs of spaces and tabs to one space and trims the ends (SigV4 header values).
fn trim_header_value(v: &str) -> String {
    v.split([' ', '\t'])
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The canonical query string: every `name=value` pair percent-decoded (`+` as a space) then re-encoded
/// (unreserved kept, `%20` for space), sorted by name then value; empty pieces are skipped.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            // `+` is a space, as in every other decoder of Query parameters here.
            let decode = |s: &str| crate::query::encoding::decode_bytes(s.as_bytes());
            let (k, v) = (decode(k), decode(v));
            (encode_bytes(&k), encode_bytes(&v))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The SigV4 canonical request of a request as received (no path normalization; the path is
/// encoded once as it appears on the request line, as botocore and `aws-sigv4` do for non-S3
/// services). `host_header` stands in for the `host` header; every other signed header must be
/// in `headers` (several values are joined with `,`). `payload_hash` is the hex SHA-256 of the
/// body (or whatever the signer hashed).
pub fn canonical_request_v4(
    method: &str,
    host_header: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    signed_headers: &[&str],
    payload_hash: &str,
) -> Result<String, VerifyError> {
    let mut canon_headers = String::new();
    for name in signed_headers {
        let name = name.to_ascii_lowercase();
        let value = if name == "host" {
            trim_header_value(host_header)
        } else {
            let mut values = Vec::new();
            for v in headers.get_all(name.as_str()) {
                let v = v.to_str().map_err(|_| {
                    VerifyError::Malformed(format!("signed header {name} is not text"))
                })?;
                values.push(trim_header_value(v));
            }
            if values.is_empty() {
                return Err(VerifyError::Malformed(format!(
                    "signed header {name} is missing"
                )));
            }
            values.join(",")
        };
        canon_headers.push_str(&name);
        canon_headers.push(':');
        canon_headers.push_str(&value);
        canon_headers.push('\n');
    }
    Ok(format!(
        "{method}\n{}\n{}\n{canon_headers}\n{}\n{payload_hash}",
        encode_path(path.as_bytes()),
        canonical_query(query),
        signed_headers
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(";"),
    ))
}

/// AWS-standard SigV4 through `aws-sigv4`: parameters in the given order (query for `GET`, form
/// body for `POST`); signs `host` (with port when sent), `content-type` (POST), `x-amz-date`
/// and `x-amz-security-token` (when there is a session token).
pub(super) fn sign_standard(
    req: &QueryRequest,
    params: &SigningParams,
) -> Result<SignedRequest, Error> {
    let creds = params.credentials;
    let encoded = join_encoded(&req.params);
    let is_get = req.method == http::Method::GET;
    let (url, body) = if is_get {
        (url_with_query(req, &encoded), Vec::new())
    } else {
        (url_with_query(req, ""), encoded.into_bytes())
    };
    let host = effective_host_header(req);
    let mut to_sign: Vec<(&str, &str)> = vec![("host", host.as_str())];
    if !is_get {
        to_sign.push(("content-type", FORM_CONTENT_TYPE));
    }
    let identity: Identity = aws_credential_types::Credentials::new(
        creds.access_key_id(),
        creds.secret_access_key().expose(),
        creds.session_token().map(|t| t.expose().to_string()),
        None,
        "phantom-autoscale",
    )
    .into();
    let v4_params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(params.region)
        .name(params.service)
        .time(params.time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| Error::Signing(format!("SigV4 parameters: {e}")))?;
    let signing_params: aws_sigv4::http_request::SigningParams = v4_params.into();
    let signable = SignableRequest::new(
        req.method.as_str(),
        url.as_str(),
        to_sign.iter().copied(),
        SignableBody::Bytes(&body),
    )
    .map_err(|e| Error::Signing(format!("SigV4: {e}")))?;
    let (instructions, _signature) = aws_sigv4::http_request::sign(signable, &signing_params)
        .map_err(|e| Error::Signing(format!("SigV4: {e}")))?
        .into_parts();
    let mut headers = Vec::new();
    if !is_get {
        headers.push(("Content-Type".to_string(), FORM_CONTENT_TYPE.to_string()));
    }
    for (name, value) in instructions.headers() {
        headers.push((name.to_string(), value.to_string()));
    }
    Ok(SignedRequest {
        method: req.method.clone(),
        url,
        headers,
        body,
    })
}

/// Phantom's SigV4: `host` without port and `x-amz-date` signed (plus `x-amz-security-token`
/// when present), parameters sorted by name, `Authorization` without spaces after commas.
pub(super) fn sign_phantom(
    req: &QueryRequest,
    params: &SigningParams,
) -> Result<SignedRequest, Error> {
    let creds = params.credentials;
    let date = amz_date(params.time)?;
    let encoded = join_encoded(&sorted(&req.params));
    let is_get = req.method == http::Method::GET;
    let (url, query, body) = if is_get {
        (url_with_query(req, &encoded), encoded, Vec::new())
    } else {
        (url_with_query(req, ""), String::new(), encoded.into_bytes())
    };
    let mut headers = HeaderMap::new();
    let date_value = http::HeaderValue::from_str(&date)
        .map_err(|_| Error::Signing("X-Amz-Date is not a header value".into()))?;
    headers.insert("x-amz-date", date_value);
    let mut signed = vec!["host", "x-amz-date"];
    if let Some(token) = creds.session_token() {
        let v = http::HeaderValue::from_str(token.expose())
            .map_err(|_| Error::Signing("the session token is not a valid header value".into()))?;
        headers.insert("x-amz-security-token", v);
        signed.push("x-amz-security-token");
    }
    let creq = canonical_request_v4(
        req.method.as_str(),
        &req.host,
        &req.path,
        &query,
        &headers,
        &signed,
        &sha256_hex(&body),
    )
    .map_err(|e| Error::Signing(format!("Phantom SigV4: {e:?}")))?;
    let day = date.get(..8).unwrap_or_default();
    let scope = format!("{day}/{}/{}/aws4_request", params.region, params.service);
    let sts = string_to_sign_v4(&date, &scope, &creq);
    let key = signing_key(
        creds.secret_access_key().expose(),
        day,
        params.region,
        params.service,
    );
    let signature = hex::encode(hmac_sha256(&key, sts.as_bytes()));
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope},SignedHeaders={},Signature={signature}",
        creds.access_key_id(),
        signed.join(";")
    );
    let mut out_headers = vec![
        ("X-Amz-Date".to_string(), date),
        ("Authorization".to_string(), authorization),
    ];
    if let Some(token) = creds.session_token() {
        out_headers.push((
            "X-Amz-Security-Token".to_string(),
            token.expose().to_string(),
        ));
    }
    if !is_get {
        out_headers.push(("Content-Type".to_string(), FORM_CONTENT_TYPE.to_string()));
    }
    Ok(SignedRequest {
        method: req.method.clone(),
        url,
        headers: out_headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        assert_eq!(trim_header_value("  a   b \t c  "), "a b c");
        assert_eq!(trim_header_value(""), "");
    }

    #[test]
    fn canonical_query_sorts_and_reencodes() {
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("b=2&a=%7e&c"), "a=~&b=2&c=");
        // `+` is a space, as the operation reads it; a literal plus arrives as `%2B`.
        assert_eq!(canonical_query("x=a+b%20c&y=%2B"), "x=a%20b%20c&y=%2B");
    }

    #[test]
    fn signing_key_matches_the_aws_documentation_example() {
        // The key derivation example from the AWS SigV4 documentation.
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }
}
