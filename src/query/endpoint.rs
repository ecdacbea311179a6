//! Where requests go: a parsed `http`/`https` endpoint URL (`scheme://host[:port]path`), and the
//! AWS Auto Scaling endpoint of a region.
//!
//! It lives in `query/` because the protocol clients (the Query transport, the REST client) need it
//! and nothing else of the configuration; `config` resolves which endpoint to use and builds one
//! from here. Parsing is total (an error naming the problem, never a panic), and a URL quoted in a
//! message has any `user:password@` part hidden and is cut to a readable length.

use std::fmt;

use crate::error::Error;

/// A parsed endpoint URL: `scheme://host[:port]path`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// `http` or `https` (lower case).
    pub scheme: String,
    /// The host name or IP address (lower case; IPv6 in brackets, e.g. `[::1]`).
    pub host: String,
    /// The port, when the URL names one.
    pub port: Option<u16>,
    /// The path, `/` at least (e.g. `/api/dev`); kept as written otherwise.
    pub path: String,
}

/// Cuts a value echoed in a message to a readable length (on a character boundary).
pub(crate) fn shorten(value: &str) -> String {
    const MAX: usize = 120;
    if value.chars().count() <= MAX {
        value.to_string()
    } else {
        let cut: String = value.chars().take(MAX).collect();
        format!("{cut}...")
    }
}

/// Hides any `user:password@` part of a URL before it is quoted in a message.
fn redact_userinfo(value: &str) -> String {
    let (prefix, rest) = match value.find("://") {
        Some(i) => value.split_at(i + 3),
        None => ("", value),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{prefix}***@{}", &rest[at + 1..]),
        None => value.to_string(),
    }
}

impl Endpoint {
    /// Parses an `http` or `https` URL with a host, optional port and optional path.
    pub fn parse(value: &str) -> Result<Endpoint, Error> {
        Endpoint::parse_inner(value).map_err(|why| {
            Error::Config(format!(
                "invalid endpoint URL `{}`: {why}",
                shorten(&redact_userinfo(value))
            ))
        })
    }

    /// As [`Endpoint::parse`], naming in an error where the value came from (a flag, a
    /// variable, a profile).
    pub fn parse_from(value: &str, source: &dyn fmt::Display) -> Result<Endpoint, Error> {
        Endpoint::parse_inner(value).map_err(|why| {
            Error::Config(format!(
                "invalid endpoint URL `{}` (from {source}): {why}",
                shorten(&redact_userinfo(value))
            ))
        })
    }

    fn parse_inner(value: &str) -> Result<Endpoint, String> {
        let value = value.trim();
        if value.is_empty() {
            return Err("it is empty".into());
        }
        let Some((scheme, rest)) = value.split_once("://") else {
            return Err("it must start with http:// or https://".into());
        };
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err("the scheme must be http or https".into());
        }
        if rest.contains(['?', '#']) {
            return Err("a query string or fragment is not allowed".into());
        }
        if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("it contains whitespace or control characters".into());
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err("user names or passwords in the URL are not supported".into());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let Some(close) = v6.find(']') else {
                return Err("IPv6 address is missing its closing `]`".into());
            };
            let addr = &v6[..close];
            if addr.is_empty()
                || !addr
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
            {
                return Err("invalid IPv6 address".into());
            }
            let after = &v6[close + 1..];
            let port = match after {
                "" => None,
                p => match p.strip_prefix(':') {
                    Some(p) => Some(p),
                    None => return Err("unexpected text after the IPv6 address".into()),
                },
            };
            (format!("[{}]", addr.to_ascii_lowercase()), port)
        } else {
            let (h, p) = match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            };
            if h.is_empty() {
                return Err("it has no host".into());
            }
            if !h
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
            {
                return Err("the host contains characters not allowed in a host name".into());
            }
            (h.to_ascii_lowercase(), p)
        };
        let port = match port {
            None => None,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 && p.chars().all(|c| c.is_ascii_digit()) => Some(n),
                _ => return Err("the port must be a number from 1 to 65535".into()),
            },
        };
        let path = if path.is_empty() { "/" } else { path };
        Ok(Endpoint {
            scheme,
            host,
            port,
            path: path.to_string(),
        })
    }

    /// The URL again, normalised: `scheme://host[:port]path`.
    pub fn url(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{}{}", self.scheme, self.host, p, self.path),
            None => format!("{}://{}{}", self.scheme, self.host, self.path),
        }
    }

    /// The port requests go to: the explicit one, else 443 for https and 80 for http.
    pub fn effective_port(&self) -> u16 {
        self.port
            .unwrap_or(if self.scheme == "https" { 443 } else { 80 })
    }

    /// The AWS Auto Scaling endpoint of a region (`.amazonaws.com.cn` for China regions).
    pub fn aws_default(region: &str) -> Result<Endpoint, Error> {
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        Endpoint::parse(&format!("https://autoscaling.{region}.{suffix}"))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "CANARYsecretKEY987654321";

    // ---- Endpoint parsing ----

    #[test]
    fn endpoint_parse_valid() {
        let e = Endpoint::parse("https://autoscaling.us-east-1.amazonaws.com").unwrap();
        assert_eq!(e.scheme, "https");
        assert_eq!(e.host, "autoscaling.us-east-1.amazonaws.com");
        assert_eq!(e.port, None);
        assert_eq!(e.path, "/");
        assert_eq!(e.url(), "https://autoscaling.us-east-1.amazonaws.com/");
        assert_eq!(e.effective_port(), 443);

        let e = Endpoint::parse("  HTTP://LocalHost:5000/api/dev  ").unwrap();
        assert_eq!(e.scheme, "http");
        assert_eq!(e.host, "localhost");
        assert_eq!(e.port, Some(5000));
        assert_eq!(e.path, "/api/dev");
        assert_eq!(e.url(), "http://localhost:5000/api/dev");
        assert_eq!(e.to_string(), e.url());

        let e = Endpoint::parse("https://phantom.nimbusproject.org:8445/").unwrap();
        assert_eq!(e.port, Some(8445));
        assert_eq!(e.path, "/");

        let e = Endpoint::parse("http://[::1]:8080/x/").unwrap();
        assert_eq!(e.host, "[::1]");
        assert_eq!(e.port, Some(8080));
        assert_eq!(e.path, "/x/");
        assert_eq!(e.effective_port(), 8080);
        assert_eq!(
            Endpoint::parse("http://10.0.0.1").unwrap().effective_port(),
            80
        );
        assert_eq!(Endpoint::parse(&e.url()).unwrap(), e);
    }

    #[test]
    fn endpoint_parse_invalid() {
        for (bad, why) in [
            ("", "empty"),
            ("   ", "empty"),
            ("autoscaling.amazonaws.com", "http:// or https://"),
            ("ftp://host/", "scheme"),
            ("https://", "no host"),
            ("https:///path", "no host"),
            ("https://:443/", "no host"),
            ("https://host:/", "port"),
            ("https://host:0/", "port"),
            ("https://host:65536/", "port"),
            ("https://host:+80/", "port"),
            ("https://host:abc/", "port"),
            ("https://host?x=1", "query"),
            ("https://host/#frag", "fragment"),
            ("https://ho st/", "whitespace"),
            ("https://h\u{e9}st/", "host"),
            ("https://[::1/", "`]`"),
            ("https://[zz]/", "IPv6"),
            ("https://[::1]x/", "after the IPv6"),
            ("https://a:b:c/", "port"),
        ] {
            let e = Endpoint::parse(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad:?}: {e}");
            assert!(e.contains("invalid endpoint URL"), "{e}");
        }
    }

    #[test]
    fn endpoint_errors_hide_userinfo_and_cut_long_values() {
        let e = Endpoint::parse(&format!("https://user:{CANARY}@host/"))
            .unwrap_err()
            .to_string();
        assert!(!e.contains(CANARY), "{e}");
        assert!(e.contains("***@host"), "{e}");
        let long = format!("ftp://{}", "h".repeat(10_000));
        let e = Endpoint::parse(&long).unwrap_err().to_string();
        assert!(e.len() < 400, "{}", e.len());
    }

    #[test]
    fn endpoint_parse_never_panics() {
        let mut rng = fastrand::Rng::with_seed(11);
        let alphabet: Vec<char> = "htps:/[]@?#:0189a.-_ \u{e9}\u{1F600}".chars().collect();
        for _ in 0..3000 {
            let len = rng.usize(0..40);
            let mut s: String = if rng.bool() {
                "https://".into()
            } else {
                String::new()
            };
            s.extend((0..len).map(|_| alphabet[rng.usize(0..alphabet.len())]));
            let _ = Endpoint::parse(&s);
        }
    }

    #[test]
    fn aws_default_endpoints() {
        assert_eq!(
            Endpoint::aws_default("eu-west-1").unwrap().url(),
            "https://autoscaling.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            Endpoint::aws_default("cn-north-1").unwrap().host,
            "autoscaling.cn-north-1.amazonaws.com.cn"
        );
    }
}
