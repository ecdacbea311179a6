//! A raw TCP server on 127.0.0.1 that misbehaves on purpose, and the runner of the real `phantom`
//! binary that the fault, secrets and client-defect suites use against it.
//!
//! The server reads each HTTP request (head and `Content-Length` body), records it, and asks the
//! test's handler what to do: answer with canned bytes, reset the connection part-way, stall,
//! trickle, or close. It counts connections and requests so that tests can assert the number of
//! attempts. Every connection runs on its own thread and gives up after a minute at most.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub use super::run::{LIFETIME, Phantom, Run, scratch_dir};

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Request line and headers.
    pub head: String,
    /// The body, decoded lossily as text.
    pub body: String,
}

impl Request {
    /// A form parameter of the body (percent-decoding `%XX` and `+`).
    pub fn param(&self, name: &str) -> Option<String> {
        self.body.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| percent_decode(v))
        })
    }

    /// The Query `Action`.
    pub fn action(&self) -> String {
        self.param("Action").unwrap_or_default()
    }

    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the server does with a request.
pub enum Action {
    /// Writes these bytes, then closes the connection.
    Reply(Vec<u8>),
    /// Writes these bytes, then resets the connection (RST, not FIN).
    ResetAfter(Vec<u8>),
    /// Answers nothing, holding the connection open until the client leaves.
    Stall,
    /// Writes this head, then one byte of body every `every`, until the client leaves.
    Trickle {
        /// Status line and headers, blank line included.
        head: Vec<u8>,
        /// The pause between bytes.
        every: Duration,
    },
    /// Writes nothing and closes the connection.
    Close,
}

type Handler = dyn Fn(&Request, usize) -> Action + Send + Sync;

/// A running misbehaving server.
pub struct FaultServer {
    /// Where it listens.
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl FaultServer {
    /// Starts a server whose `handler` gets each request and its 0-based index over all requests.
    pub fn start(handler: impl Fn(&Request, usize) -> Action + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests: Arc<Mutex<Vec<Request>>> = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let connections = connections.clone();
            let requests = requests.clone();
            thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let requests = requests.clone();
                    let handler = handler.clone();
                    thread::spawn(move || serve_connection(stream, &requests, &*handler));
                }
            });
        }
        FaultServer {
            addr,
            connections,
            requests,
        }
    }

    /// Always answers with the same bytes.
    pub fn always(reply: Vec<u8>) -> Self {
        FaultServer::start(move |_, _| Action::Reply(reply.clone()))
    }

    /// The endpoint URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Requests read so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests were for `action`.
    pub fn count(&self, action: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.action() == action)
            .count()
    }
}

fn serve_connection(mut stream: TcpStream, requests: &Mutex<Vec<Request>>, handler: &Handler) {
    let born = Instant::now();
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut buffer = Vec::new();
    // One request per connection: every reply says `Connection: close`.
    let Some(request) = read_request(&mut stream, &mut buffer, born) else {
        return;
    };
    let index = {
        let mut all = requests.lock().unwrap();
        all.push(request.clone());
        all.len() - 1
    };
    match handler(&request, index) {
        Action::Reply(bytes) => {
            let _ = stream.write_all(&bytes);
            let _ = stream.flush();
            let _ = stream.shutdown(std::net::Shutdown::Write);
            drain(&mut stream, born);
        }
        Action::ResetAfter(bytes) => {
            let _ = stream.write_all(&bytes);
            let _ = stream.flush();
            thread::sleep(Duration::from_millis(50));
            let socket = socket2::Socket::from(stream);
            let _ = socket.set_linger(Some(Duration::ZERO));
        }
        Action::Stall => drain(&mut stream, born),
        Action::Trickle { head, every } => {
            if stream.write_all(&head).is_err() {
                return;
            }
            while born.elapsed() < LIFETIME {
                if stream.write_all(b" ").is_err() || stream.flush().is_err() {
                    return;
                }
                thread::sleep(every);
            }
        }
        Action::Close => {}
    }
}

/// Reads until the client closes (or the lifetime ends), discarding what comes.
fn drain(stream: &mut TcpStream, born: Instant) {
    let mut sink = [0u8; 4096];
    while born.elapsed() < LIFETIME {
        match stream.read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
}

/// Reads one request; `None` when the client closed or the lifetime ended first.
fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>, born: Instant) -> Option<Request> {
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let length = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                let body = String::from_utf8_lossy(&buffer[end + 4..end + 4 + length]).into_owned();
                buffer.drain(..end + 4 + length);
                return Some(Request { head, body });
            }
        }
        if born.elapsed() > LIFETIME {
            return None;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return None,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A complete HTTP/1.1 reply with `Content-Length` and `Connection: close`.
pub fn http(status: u16, reason: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    out.into_bytes()
}

/// A 200 text/xml reply.
pub fn ok_xml(body: &str) -> Vec<u8> {
    http(200, "OK", &[("Content-Type", "text/xml")], body)
}

/// An AWS `ErrorResponse` with this status.
pub fn error_xml(status: u16, reason: &str, code: &str, message: &str) -> Vec<u8> {
    http(
        status,
        reason,
        &[("Content-Type", "text/xml")],
        &format!(
            "<ErrorResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\"><Error>\
             <Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
             <RequestId>req-{code}</RequestId></ErrorResponse>"
        ),
    )
}

/// A DescribeAutoScalingGroups reply holding one group, `web` on launch configuration `lc1`.
pub const GROUPS_XML: &str = "<DescribeAutoScalingGroupsResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">\
<DescribeAutoScalingGroupsResult><AutoScalingGroups><member><AutoScalingGroupName>web</AutoScalingGroupName>\
<LaunchConfigurationName>lc1</LaunchConfigurationName><MinSize>1</MinSize><MaxSize>3</MaxSize>\
<DesiredCapacity>2</DesiredCapacity><AvailabilityZones><member>us-east-1a</member></AvailabilityZones>\
<Instances/></member></AutoScalingGroups></DescribeAutoScalingGroupsResult>\
<ResponseMetadata><RequestId>req-groups</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>";

/// A success reply without a result, for `operation`.
pub fn empty_ok(operation: &str) -> Vec<u8> {
    ok_xml(&format!(
        "<{operation}Response xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">\
         <ResponseMetadata><RequestId>req-{operation}</RequestId></ResponseMetadata></{operation}Response>"
    ))
}

/// Runs `phantom args...` with a clean environment: `HOME` an empty scratch directory (also the
/// working directory), test keys, a 10 ms backoff base, plus `env`; killed after [`LIFETIME`].
pub fn phantom(args: &[&str], env: &[(&str, &str)]) -> Run {
    Phantom::new(args)
        .in_home()
        .env("AWS_ACCESS_KEY_ID", "AKIDFAULTTEST")
        .env("AWS_SECRET_ACCESS_KEY", "fault-test-secret")
        .env("PHANTOM_RETRY_BASE_MS", "10")
        .envs(env)
        .run()
}
