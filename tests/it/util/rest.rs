//! Test helpers for the REST API: the recorded exchanges with the genuine Phantom web app
//! (`tests/fixtures/phantom-wire/rest-captures`), and a canned-bytes HTTP server that answers each
//! request with the next recorded reply, byte for byte (HTTP/1.0, no Content-Length, body ended by
//! closing the connection), recording what the client sent.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use super::run::{Phantom, Run, TempDir};

/// The directory of the REST captures.
pub fn captures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/phantom-wire/rest-captures")
}

/// The bytes of a capture file, e.g. `capture("26_lc_post", "http")`.
pub fn capture(name: &str, ext: &str) -> Vec<u8> {
    let path = captures_dir().join(format!("{name}.{ext}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Every capture name listed in INDEX.txt, in order.
pub fn capture_names() -> Vec<String> {
    let index = String::from_utf8(capture("INDEX", "txt")).unwrap();
    index
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// A request as the canned server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `METHOD TARGET`, e.g. `GET /api/dev/sites?details=true`.
    pub line: String,
    /// Header lines, as sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Recorded {
    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The request line and body of a recorded `.req` capture.
pub fn recorded_request(name: &str) -> (String, Vec<u8>) {
    let bytes = capture(name, "req");
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let first = head.lines().next().unwrap();
    let line = first.rsplit_once(' ').unwrap().0.to_string();
    (line, bytes[split + 4..].to_vec())
}

/// A canned-bytes server replaying captures in order.
pub struct Replay {
    /// Its base URL, ending in `/api/dev`.
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Replay {
    /// Starts a server that answers the n-th request with the n-th capture's `.http` bytes (and a
    /// 500 once the script is used up).
    pub fn start(script: &[&str]) -> Replay {
        let replies: Vec<Vec<u8>> = script.iter().map(|n| capture(n, "http")).collect();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/api/dev", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            let mut next = 0usize;
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(recorded) = read_request(&mut stream) else {
                    continue;
                };
                seen.lock().unwrap().push(recorded);
                let reply = replies.get(next).cloned().unwrap_or_else(|| {
                    b"HTTP/1.0 500 INTERNAL SERVER ERROR\r\n\r\nscript used up".to_vec()
                });
                next += 1;
                let _ = stream.write_all(&reply);
                let _ = stream.flush();
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        });
        Replay { url, requests }
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// The `METHOD TARGET` lines received so far.
    pub fn lines(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.line).collect()
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let first = lines.next()?;
    let line = first.rsplit_once(' ')?.0.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded {
        line,
        headers,
        body,
    })
}

/// Runs `phantom` with only the given environment (plus PATH and `home` as HOME), feeding `stdin`.
pub fn phantom(args: &[&str], env: &[(&str, &str)], home: &std::path::Path, stdin: &[u8]) -> Run {
    Phantom::new(args).home(home).envs(env).stdin(stdin).run()
}
