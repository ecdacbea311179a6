//! The `--debug` trace: each request and reply as one entry on stderr, its first line prefixed
//! `[debug] ` (the rest as they are, so a request's `> ...` lines can be read as sent), with every
//! secret redacted twice over: the parameters and headers that carry secrets are blanked by name
//! ([`redact_query`], [`redact_header`]), and whatever is left is run through the client's
//! [`Scrubber`], which knows the secrets themselves.

use std::io::Write as _;

use crate::credentials::Scrubber;

/// Parameters whose values never appear in a trace.
const SECRET_PARAMS: &[&str] = &[
    "Signature",
    "SecurityToken",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    "LifecycleActionToken",
    "password",
    "token",
];

/// A client's trace: on or off, and the secrets it must never show.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    enabled: bool,
    scrubber: Scrubber,
}

impl Trace {
    /// A trace writing when `enabled`, hiding what `scrubber` knows.
    pub fn new(enabled: bool, scrubber: Scrubber) -> Self {
        Trace { enabled, scrubber }
    }

    /// Whether anything is written.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The client's secrets, blanked out of every reply as well as of the trace.
    pub fn scrubber(&self) -> &Scrubber {
        &self.scrubber
    }

    /// The same trace, hiding `secret` too.
    pub fn with_secret(mut self, secret: &str) -> Self {
        self.scrubber = self.scrubber.with_secret(secret);
        self
    }

    /// Writes one entry (one or more lines), scrubbed, prefixed `[debug] `.
    pub fn line(&self, text: &str) {
        if !self.enabled {
            return;
        }
        let text = self.scrubber.scrub(text);
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "[debug] {text}");
    }

    /// Traces a request: `> METHOD URL`, its headers and its body (given already redacted),
    /// secret query parameters and headers redacted.
    pub fn request(&self, method: &str, url: &str, headers: &[(String, String)], body: &str) {
        if !self.enabled {
            return;
        }
        let mut text = format!("> {method} {}\n", redact_query(url));
        for (name, value) in headers {
            text.push_str(&format!("> {name}: {}\n", redact_header(name, value)));
        }
        if !body.is_empty() {
            text.push_str(&format!("> {body}\n"));
        }
        self.line(text.trim_end());
    }
}

/// Redacts secret parameters in a URL or form body.
pub fn redact_query(text: &str) -> String {
    let (head, query) = match text.find('?') {
        Some(i) => (&text[..=i], &text[i + 1..]),
        None if text.contains("://") => return text.to_string(),
        None => ("", text),
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if SECRET_PARAMS.iter().any(|s| s.eq_ignore_ascii_case(k)) => {
                format!("{k}=**redacted**")
            }
            _ => pair.to_string(),
        })
        .collect();
    format!("{head}{}", parts.join("&"))
}

/// Redacts secret headers: the signature in `Authorization` (Basic credentials whole), session
/// tokens, cookies.
pub fn redact_header(name: &str, value: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower == "authorization" {
        if value.starts_with("Basic ") {
            return "Basic **redacted**".into();
        }
        match value.find("Signature=") {
            Some(i) => format!("{}Signature=**redacted**", &value[..i]),
            None => "**redacted**".into(),
        }
    } else if lower.contains("token") || lower == "cookie" || lower.contains("secret") {
        "**redacted**".into()
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_hide_secrets() {
        let url = "http://h/?AWSAccessKeyId=AK&Signature=c2VjcmV0&SecurityToken=tok&Action=X";
        let shown = redact_query(url);
        assert!(shown.contains("AWSAccessKeyId=AK") && shown.contains("Action=X"));
        assert!(
            !shown.contains("c2VjcmV0") && !shown.contains("tok&"),
            "{shown}"
        );
        let auth = "AWS4-HMAC-SHA256 Credential=AK/20261127/us-east-1/autoscaling/aws4_request, SignedHeaders=host, Signature=abcdef";
        assert!(!redact_header("Authorization", auth).contains("abcdef"));
        assert_eq!(redact_header("X-Amz-Security-Token", "tok"), "**redacted**");
        assert_eq!(
            redact_header("Authorization", "Basic NzpzZWNyZXQ="),
            "Basic **redacted**"
        );
        assert_eq!(
            redact_query("username=u&password=pw"),
            "username=u&password=**redacted**"
        );
    }
}
