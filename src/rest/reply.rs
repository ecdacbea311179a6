//! Turning a REST reply (status, a few headers, body bytes) into a typed value or an [`Error`].
//!
//! Kept apart from the HTTP client so that tests can feed it recorded replies byte for byte. The
//! rules, from the recorded exchanges with the genuine server:
//! - 2xx: the body is JSON (served as `application/javascript`); 204 has no body;
//! - 302 on a create: the name exists already; `Location` names the existing object's id;
//! - 400, 404: a plain-text message (404 for an unknown path is a Django debug HTML page, from
//!   which only the title is kept); 403: `Authorization Required`; 405: an empty body and `Allow`;
//! - `POST /token` is HTTP 200 even when it fails: `"success": false` with `errors`.

use serde::de::DeserializeOwned;

use super::types::{Token, TokenReply};
use crate::credentials::Secret;
use crate::error::Error;

/// The longest server message kept in an error.
const MAX_MESSAGE_CHARS: usize = 300;

/// What the client keeps of an HTTP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawReply {
    /// The HTTP status code.
    pub status: u16,
    /// The `Location` header, when present (302 replies).
    pub location: Option<String>,
    /// The `Allow` header, when present (405 replies).
    pub allow: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl RawReply {
    /// Parses a recorded HTTP/1.x response (status line, headers, blank line, body).
    pub fn from_http_bytes(bytes: &[u8]) -> Option<RawReply> {
        let split = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&bytes[..split]).ok()?;
        let body = bytes[split + 4..].to_vec();
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let mut reply = RawReply {
            status,
            location: None,
            allow: None,
            body,
        };
        for line in lines {
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim().to_string();
                match name.trim().to_ascii_lowercase().as_str() {
                    "location" => reply.location = Some(value),
                    "allow" => reply.allow = Some(value),
                    _ => {}
                }
            }
        }
        Some(reply)
    }
}

/// The readable part of an error body: plain text as is, an HTML page's `<title>`, cut short.
pub fn error_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    let text = if lower.starts_with("<!doctype") || lower.starts_with("<html") {
        match (lower.find("<title>"), lower.find("</title>")) {
            (Some(start), Some(end)) if end > start + 7 => text[start + 7..end].trim().to_string(),
            _ => "HTML error page".to_string(),
        }
    } else {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    if text.chars().count() > MAX_MESSAGE_CHARS {
        let cut: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// The last path segment of a URL (the id in a `Location` header).
pub fn last_segment(url: &str) -> &str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

/// The error for a reply whose status is not a success.
pub fn status_error(operation: &str, reply: &RawReply) -> Error {
    let text = error_text(&reply.body);
    let (code, message) = match reply.status {
        302 | 303 => {
            let location = reply.location.as_deref().unwrap_or("");
            let id = last_segment(location);
            (
                "AlreadyExists",
                format!("the name is taken: it exists already with id {id} ({location})"),
            )
        }
        400 => ("BadRequest", text),
        401 | 403 => (
            "Forbidden",
            if text.is_empty() {
                "Authorization Required".to_string()
            } else {
                text
            },
        ),
        404 => ("NotFound", text),
        405 => (
            "MethodNotAllowed",
            match &reply.allow {
                Some(allow) => format!("the server allows only {allow} here"),
                None => text,
            },
        ),
        s if s >= 500 => ("ServerError", text),
        _ => ("UnexpectedStatus", text),
    };
    Error::service(operation, reply.status, code, message, None)
}

/// Reads a JSON success body into `T`, or turns a non-2xx reply into an error.
pub fn decode<T: DeserializeOwned>(operation: &str, reply: &RawReply) -> Result<T, Error> {
    if !(200..300).contains(&reply.status) {
        return Err(status_error(operation, reply));
    }
    serde_json::from_slice(&reply.body).map_err(|e| Error::Parse {
        operation: operation.to_string(),
        status: reply.status,
        request_id: None,
        message: format!("not the expected JSON: {e}"),
    })
}

/// Checks a reply that carries no body on success (204 for deletes).
pub fn expect_success(operation: &str, reply: &RawReply) -> Result<(), Error> {
    if (200..300).contains(&reply.status) {
        Ok(())
    } else {
        Err(status_error(operation, reply))
    }
}

/// Reads the reply of `POST /token`: a token, or an error when `success` is not true.
pub fn decode_token(reply: &RawReply) -> Result<Token, Error> {
    const OPERATION: &str = "Login";
    let raw: TokenReply = decode(OPERATION, reply)?;
    if !raw.success {
        let message = match raw.errors {
            Some(serde_json::Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => "the server refused the user name or password".to_string(),
        };
        return Err(Error::service(
            OPERATION,
            reply.status,
            "LoginFailed",
            message,
            None,
        ));
    }
    let user_id = match raw.user {
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::String(s)) if !s.is_empty() => s,
        _ => {
            return Err(parse_error(
                OPERATION,
                reply.status,
                "no user id in the reply",
            ));
        }
    };
    match raw.token {
        Some(token) if !token.is_empty() => Ok(Token {
            user_id,
            token: Secret::new(token),
        }),
        _ => Err(parse_error(
            OPERATION,
            reply.status,
            "no token in the reply",
        )),
    }
}

fn parse_error(operation: &str, status: u16, message: &str) -> Error {
    Error::Parse {
        operation: operation.to_string(),
        status,
        request_id: None,
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> RawReply {
        RawReply {
            status,
            location: None,
            allow: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn html_pages_keep_their_title() {
        let page =
            "<!DOCTYPE html>\n<html><head><title>Page not found at /api/dev/x</title></head>";
        assert_eq!(error_text(page.as_bytes()), "Page not found at /api/dev/x");
    }

    #[test]
    fn long_messages_are_cut() {
        let text = "x".repeat(1000);
        assert_eq!(error_text(text.as_bytes()).len(), MAX_MESSAGE_CHARS + 3);
    }

    #[test]
    fn token_without_success_is_an_error() {
        let e = decode_token(&reply(200, r#"{"success": false, "errors": "nope"}"#)).unwrap_err();
        assert_eq!(e.code(), Some("LoginFailed"));
        assert!(e.to_string().contains("nope"));
        let e = decode_token(&reply(200, r#"{"success": true, "user": 1}"#)).unwrap_err();
        assert!(matches!(e, Error::Parse { .. }));
    }

    #[test]
    fn last_segment_of_locations() {
        assert_eq!(
            last_segment("http://h/api/dev/launchconfigurations/yVlhH"),
            "yVlhH"
        );
        assert_eq!(last_segment("/api/dev/domains/abc/"), "abc");
        assert_eq!(last_segment(""), "");
    }
}
