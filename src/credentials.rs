//! Credentials: the key pair (and optional session token) that signs every request.
//!
//! Secrets live in [`Secret`], whose `Debug` and `Display` never show the value, so a credential can
//! be logged, traced or put in an error without leaking. Only signers call [`Secret::expose`].
//!
//! A server (or a proxy) may echo what it was sent: the session token, the REST token in its Basic
//! `Authorization` header, a password. [`Scrubber`] holds the client's own secrets in every form
//! they travel in (as is, percent-encoded, XML- or JSON-escaped, inside Basic credentials) and
//! blanks them out of server-supplied bytes; both clients run every reply through it the moment
//! it arrives, before anything reads, traces, prints or puts it in an error.

use std::borrow::Cow;
use std::fmt;

use base64::Engine;

/// A secret string (secret key, session token, REST token, password) that never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; call only where the value is needed (signing, sending).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(**redacted**)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("**redacted**")
    }
}

/// An access key id with its secret key and, for temporary credentials, a session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
}

impl Credentials {
    /// Long-term credentials: an access key id and its secret.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: Secret::new(secret_access_key),
            session_token: None,
        }
    }

    /// Adds a session token (temporary credentials).
    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(Secret::new(token));
        self
    }

    /// The access key id (not secret).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &Secret {
        &self.secret_access_key
    }

    /// The session token, if any.
    pub fn session_token(&self) -> Option<&Secret> {
        self.session_token.as_ref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .finish()
    }
}

/// What a scrubbed secret is replaced with.
pub const REDACTED: &str = "**redacted**";

/// Secrets shorter than this are not scrubbed: so short a value cannot be told from ordinary
/// text, and blanking it would garble every message (no real key, token or password is so short).
pub const MIN_SCRUBBED_LEN: usize = 4;

/// The client's own secrets, in every form they may come back in, to blank out of what a server
/// sends (see the module comment). `Debug` shows only how many forms it holds.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Scrubber {
    /// Byte strings to replace, longest first.
    needles: Vec<Vec<u8>>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scrubber({} forms, **redacted**)", self.needles.len())
    }
}

impl Scrubber {
    /// A scrubber that hides nothing yet.
    pub fn new() -> Self {
        Scrubber::default()
    }

    /// The secrets of a key pair: the secret key and the session token.
    pub fn for_credentials(credentials: &Credentials) -> Self {
        let mut s = Scrubber::new().with_secret(credentials.secret_access_key().expose());
        if let Some(token) = credentials.session_token() {
            s = s.with_secret(token.expose());
        }
        s
    }

    /// Also hides `secret` in the forms it travels in: as is, percent-encoded (upper- and
    /// lower-case hex, space as `%20` or `+`), XML-escaped and JSON-escaped.
    pub fn with_secret(mut self, secret: &str) -> Self {
        if secret.len() < MIN_SCRUBBED_LEN {
            return self;
        }
        let encoded = crate::query::encoding::encode_component(secret);
        let lower_hex = lower_percent_hex(&encoded);
        let xml = secret
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let json_escaped = secret.replace('\\', "\\\\").replace('"', "\\\"");
        let forms = [
            secret.to_string(),
            encoded.replace("%20", "+"),
            lower_hex.replace("%20", "+"),
            encoded,
            lower_hex,
            xml.replace('"', "&quot;").replace('\'', "&apos;"),
            xml.replace('"', "&#34;").replace('\'', "&#39;"),
            json_escaped.clone(),
            json_escaped.replace('/', "\\/"),
        ];
        for form in forms {
            self.add(form.into_bytes());
        }
        self
    }

    /// Also hides HTTP Basic credentials `user:secret`: the secret itself, and the base64 text
    /// of the `Authorization: Basic` header.
    pub fn with_basic_auth(self, user: &str, secret: &str) -> Self {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
        let unpadded = basic.trim_end_matches('=').to_string();
        let mut s = self.with_secret(secret);
        s.add(basic.into_bytes());
        s.add(unpadded.into_bytes());
        s
    }

    fn add(&mut self, needle: Vec<u8>) {
        if needle.len() >= MIN_SCRUBBED_LEN && !self.needles.contains(&needle) {
            self.needles.push(needle);
            self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        }
    }

    /// Whether there is nothing to hide.
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `bytes` with every secret form replaced by `**redacted**`.
    pub fn scrub_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let mut current: Cow<'a, [u8]> = Cow::Borrowed(bytes);
        for needle in &self.needles {
            if let Some(replaced) = replace_all(&current, needle, REDACTED.as_bytes()) {
                current = Cow::Owned(replaced);
            }
        }
        current
    }

    /// `text` with every secret form replaced by `**redacted**`.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.scrub_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // Needles and the replacement are whole UTF-8 strings, so the result is UTF-8 too;
            // the lossy conversion only guards that reasoning.
            Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }

    /// An owned string, scrubbed.
    pub fn scrub_string(&self, text: String) -> String {
        match self.scrub(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(s) => s,
        }
    }
}

/// `%2F` -> `%2f`: the same percent-encoding with lower-case hex digits.
fn lower_percent_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for c in encoded.chars() {
        if hex_left > 0 {
            out.push(c.to_ascii_lowercase());
            hex_left -= 1;
        } else {
            if c == '%' {
                hex_left = 2;
            }
            out.push(c);
        }
    }
    out
}

/// The first index of `needle` in `haystack` (`needle` not empty).
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let last_start = haystack.len().checked_sub(needle.len())?;
    let mut i = 0;
    while i <= last_start {
        let p = haystack[i..=last_start].iter().position(|&b| b == first)?;
        i += p;
        if &haystack[i..i + needle.len()] == needle {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// `haystack` with every `needle` replaced, or `None` when there was none.
fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Option<Vec<u8>> {
    let mut at = find(haystack, needle)?;
    let mut out = Vec::with_capacity(haystack.len());
    let mut from = 0;
    loop {
        out.extend_from_slice(&haystack[from..at]);
        out.extend_from_slice(with);
        from = at + needle.len();
        match find(&haystack[from..], needle) {
            Some(next) => at = from + next,
            None => break,
        }
    }
    out.extend_from_slice(&haystack[from..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubber_hides_every_form_of_a_secret() {
        let token = "CANARY/tok+en=<a&b>\"q'";
        let s = Scrubber::new()
            .with_basic_auth("7", token)
            .with_secret("pw-canary-1");
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("7:{token}"));
        let encoded = crate::query::encoding::encode_component(token);
        let text = format!(
            "raw {token} | form {encoded} | lower {} | xml {} | json {} | basic {basic} | pw pw-canary-1",
            lower_percent_hex(&encoded),
            token
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&apos;"),
            serde_json::to_string(token).unwrap().trim_matches('"'),
        );
        let shown = s.scrub(&text);
        assert!(!shown.contains("CANARY"), "{shown}");
        assert!(!shown.contains(&basic[..20]), "{shown}");
        assert!(!shown.contains("pw-canary"), "{shown}");
        assert!(
            shown.starts_with("raw **redacted** | form **redacted**"),
            "{shown}"
        );
        // Nothing to hide: the text comes back as it was, unallocated.
        assert!(matches!(s.scrub("nothing here"), Cow::Borrowed(_)));
        assert!(matches!(
            Scrubber::new().scrub_bytes(b"x"),
            Cow::Borrowed(_)
        ));
        // Too short to tell from text: left alone.
        assert!(Scrubber::new().with_secret("abc").is_empty());
        assert!(!format!("{s:?}").contains("CANARY"));
    }

    #[test]
    fn replace_all_finds_overlapping_and_edge_positions() {
        assert_eq!(replace_all(b"aaaa", b"aa", b"X").unwrap(), b"XX");
        assert_eq!(replace_all(b"abcab", b"ab", b"-").unwrap(), b"-c-");
        assert_eq!(replace_all(b"ab", b"abc", b"-"), None);
        assert_eq!(replace_all(b"", b"abc", b"-"), None);
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::new("AKID", "canary-secret").with_session_token("canary-token");
        let shown = format!("{c:?} {}", c.secret_access_key());
        assert!(shown.contains("AKID"));
        assert!(!shown.contains("canary"), "{shown}");
    }
}
