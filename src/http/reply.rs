//! Reading a reply: its head (status, reason phrase, headers) and its body up to a size cap.
//!
//! Everything read here comes from the server and is scrubbed of the client's own secrets (see
//! [`Scrubber`]) before anyone else sees it, so an echoing server or proxy cannot make the client
//! print them. A body may come without `Content-Length` (HTTP/1.0: it ends at close); it is read
//! chunk by chunk and refused as soon as it passes the cap.

use std::borrow::Cow;

use crate::credentials::Scrubber;
use crate::error::Error;

/// A reply read in full, scrubbed.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The reason phrase, when the server sent one other than the standard text.
    pub reason: Option<String>,
    /// The headers the clients read, by lower-case name, values as text.
    headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// The headers a client may ask [`Reply::header`] for (the rest are not kept).
pub const KEPT_HEADERS: &[&str] = &[
    "x-amzn-requestid",
    "x-amz-request-id",
    "server",
    "retry-after",
    "date",
    "location",
    "allow",
];

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// It is larger than the cap (by its `Content-Length`, or as it arrived).
    TooLarge,
    /// The connection failed or timed out while reading.
    Read(reqwest::Error),
}

impl Reply {
    /// The head of `response`, scrubbed; the body is still to be read ([`Reply::read_body`]).
    pub fn head(response: &reqwest::Response, scrubber: &Scrubber) -> Reply {
        let reason = response
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| scrubber.scrub_string(String::from_utf8_lossy(r.as_bytes()).into_owned()));
        let headers = KEPT_HEADERS
            .iter()
            .filter_map(|&name| {
                let value = response.headers().get(name)?.to_str().ok()?;
                Some((name, scrubber.scrub_string(value.to_string())))
            })
            .collect();
        Reply {
            status: response.status().as_u16(),
            reason,
            headers,
            body: Vec::new(),
        }
    }

    /// A header's value (one of [`KEPT_HEADERS`]; lower-case name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Reads the body of `response` into [`Reply::body`], refusing more than `limit` bytes, and
    /// scrubs it.
    pub async fn read_body(
        &mut self,
        response: &mut reqwest::Response,
        limit: usize,
        scrubber: &Scrubber,
    ) -> Result<(), BodyError> {
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(BodyError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
            if body.len() + chunk.len() > limit {
                return Err(BodyError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        self.body = match scrubber.scrub_bytes(&body) {
            Cow::Borrowed(_) => body,
            Cow::Owned(scrubbed) => scrubbed,
        };
        Ok(())
    }
}

/// The error for a reply over the cap: the operation, status and request id, and the flag that
/// raises the cap.
pub fn too_large(operation: &str, status: u16, request_id: Option<String>, limit: usize) -> Error {
    Error::Parse {
        operation: operation.to_string(),
        status,
        request_id,
        message: format!(
            "reply larger than the {limit} byte limit (raise it with --max-reply-bytes)"
        ),
    }
}
