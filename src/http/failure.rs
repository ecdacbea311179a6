//! What a failed exchange means: a reqwest error becomes [`Error::Timeout`] (which limit fired) or
//! [`Error::Transport`] (with the reqwest error kept as its `source()`), plus the two facts the
//! retry loop needs: whether the request may have reached the server, and whether another
//! attempt could fare better.

use std::time::Duration;

use crate::error::Error;

/// Why an attempt did not produce a reply.
#[derive(Debug)]
pub struct SendFailure {
    /// The error to report.
    pub error: Error,
    /// Whether the request may have reached the server (false only for connection failures).
    pub maybe_done: bool,
    /// Whether another attempt could fare better (not after a refused certificate).
    pub retry: bool,
}

/// The timeouts a client was built with, to name the one that fired.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// The connect timeout.
    pub connect: Duration,
    /// The read timeout.
    pub read: Duration,
}

/// Turns a reqwest error met while sending `operation` to `endpoint` into a [`SendFailure`].
pub fn from_reqwest(
    e: reqwest::Error,
    operation: &str,
    endpoint: &str,
    timeouts: Timeouts,
) -> SendFailure {
    let maybe_done = !e.is_connect();
    if e.is_timeout() {
        let (limit, what) = if e.is_connect() {
            (
                timeouts.connect,
                "connect timeout; raise it with --connect-timeout",
            )
        } else {
            (
                timeouts.read,
                "read timeout: the server stopped sending; raise it with --read-timeout",
            )
        };
        return SendFailure {
            error: Error::Timeout {
                operation: operation.to_string(),
                elapsed_ms: limit.as_millis(),
                what: what.into(),
            },
            maybe_done,
            retry: true,
        };
    }
    let mut message = describe(&e);
    let certificate = message.contains("certificate");
    if certificate {
        message.push_str(
            " (the server's TLS certificate was refused: trust its CA with --ca-bundle FILE \
             or AWS_CA_BUNDLE)",
        );
    }
    SendFailure {
        error: Error::Transport {
            operation: operation.to_string(),
            endpoint: endpoint.to_string(),
            message,
            source: Some(Box::new(e)),
        },
        maybe_done,
        retry: !certificate,
    }
}

/// An error with its chain of causes, on one line (the CLI reports an error as one line; no
/// secret is ever in a URL either client sends, so the URL reqwest names may show).
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_transport_error_keeps_its_cause() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        let e = reqwest::Client::new().get(&url).send().await.unwrap_err();
        let timeouts = Timeouts {
            connect: Duration::from_secs(1),
            read: Duration::from_secs(1),
        };
        let failure = from_reqwest(e, "Op", &url, timeouts);
        assert!(!failure.maybe_done, "a refused connection sent nothing");
        assert!(failure.retry);
        assert!(matches!(failure.error, Error::Transport { .. }));
        let source = std::error::Error::source(&failure.error).expect("a source");
        assert!(
            source.downcast_ref::<reqwest::Error>().is_some(),
            "{source}"
        );
        assert!(
            failure
                .error
                .to_string()
                .starts_with("Op: could not reach http://127.0.0.1:")
        );
    }
}
