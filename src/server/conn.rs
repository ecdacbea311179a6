//! Connections of `phantom serve`: the accept loop, its limits and timeouts, and the request-head
//! guard in front of hyper.
//!
//! Why a loop of our own instead of `axum::serve`: that one holds every connection for ever (no
//! header-read or idle timeout, no cap), so a few thousand half-sent or idle connections exhaust
//! the process's descriptors and every other client is refused. Here:
//!
//! - **Cap with back-pressure** ([`ConnectionLimits::max_connections`]): a connection holds one
//!   permit of a semaphore. At the cap the loop stops accepting (the connection just accepted
//!   waits for a permit, later ones in the kernel's listen backlog; nothing is refused) and asks
//!   the connection that has waited longest without a request in the application (idle between
//!   requests, or still sending its head) to close, one for each newcomer, so
//!   a flood of idle or slow connections cannot lock well-behaved clients out until the timeouts
//!   run. A connection whose request is being answered is never closed for the cap.
//! - **Timeouts**, measured per connection by its task: a request head must arrive in full within
//!   [`ConnectionLimits::header_timeout`] of its first byte (or of the connection's opening: a new
//!   connection must start and finish its first head in that time); between requests a
//!   keep-alive connection may stay idle for [`ConnectionLimits::idle_timeout`]. Past either, the
//!   connection is closed; a head that had begun is first answered `408 RequestTimeout` (XML).
//!   A body must arrive within [`ConnectionLimits::body_timeout`] of its head, else reading it
//!   fails (the application answers), so a request held in the application is bounded too. (hyper's own `header_read_timeout` starts with the idle wait, so it
//!   cannot tell an idle keep-alive connection from a slow head; it is left off.)
//! - **Head guard** ([`Guarded`]): hyper refuses a head it cannot take (bytes that are not ASCII
//!   in the request line, too many or malformed headers, an oversized request line or head) with
//!   an empty 400/414/431 that no hook can change. The guard reads each request head as it
//!   arrives, before hyper does, and applies those same rules with limits set below hyper's
//!   ([`MAX_REQUEST_LINE`], [`MAX_HEAD_BYTES`], [`MAX_HEADERS`]); a head that breaks one is
//!   answered by the guard with the AWS `ErrorResponse` XML the application writes, and the
//!   connection is closed. Only when the guard cannot see a head (pipelined behind a request in
//!   progress, while a reply is still being flushed, or behind a body that has not arrived whole:
//!   an application that answers without reading all of it, as the 413 of an oversized body does,
//!   leaves the rest to hyper, and the reply says `Connection: close`) do hyper's own refusals
//!   apply.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio::task::JoinSet;

use crate::query::xml::write_error;
use crate::server::front::Stats;
use crate::server::lifecycle::new_uuid;

/// The longest request line (method, target, version) the guard accepts: 16 KiB.
pub const MAX_REQUEST_LINE: usize = 16 * 1024;

/// The largest request head (request line and headers) the guard accepts: 64 KiB.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The most header fields one request may carry (hyper's own limit, applied with XML).
pub const MAX_HEADERS: usize = 100;

/// How much a refused client may still send after the refusal is written, read and dropped so
/// that the refusal reaches it (closing with unread data would reset the connection).
const REFUSAL_DRAIN_BYTES: usize = 1024 * 1024;

/// How long a timed-out connection is kept for its 408 to be written before it is cut.
const REFUSAL_GRACE: Duration = Duration::from_secs(2);

/// Connection limits of `phantom serve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// The most connections open at once; at the cap, accepting pauses and the longest-waiting
    /// connection without a request in progress is closed. At least 1.
    pub max_connections: usize,
    /// How long a request head may take to arrive in full, from its first byte (or from the
    /// connection's opening, for the first request).
    pub header_timeout: Duration,
    /// How long a keep-alive connection may stay idle between requests.
    pub idle_timeout: Duration,
    /// How long a request's body may take to arrive in full, from the end of its head; past it
    /// the application reads an error instead of the rest (a request in the application is
    /// never closed for the cap, so this bounds how long a slow body can hold a connection).
    pub body_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(60),
        }
    }
}

/// Waiting for (or reading) a request head.
const HEAD: u8 = 0;
/// Between requests, nothing received yet.
const IDLE: u8 = 1;
/// A request is in the application.
const BUSY: u8 = 2;

/// What a connection's task, its I/O guard and its service share.
struct ConnState {
    /// Server start, the origin of `since`.
    epoch: Instant,
    /// [`HEAD`], [`IDLE`] or [`BUSY`].
    phase: AtomicU8,
    /// When the phase began, in milliseconds from `epoch`.
    since: AtomicU64,
    /// Requests in the application.
    busy: AtomicUsize,
    /// Set when a request leaves the application: the next bytes read begin a new head.
    head_expected: AtomicBool,
    /// Set when the accept loop has asked this connection to close.
    evicting: AtomicBool,
    /// Set when the header timeout has run out: the guard answers 408 (or just closes).
    timed_out: AtomicBool,
    /// Wakes the task to close for the cap.
    evict: Notify,
}

impl ConnState {
    fn new(epoch: Instant) -> Self {
        let state = ConnState {
            epoch,
            phase: AtomicU8::new(HEAD),
            since: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
            head_expected: AtomicBool::new(false),
            evicting: AtomicBool::new(false),
            timed_out: AtomicBool::new(false),
            evict: Notify::new(),
        };
        state.enter(HEAD);
        state
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn enter(&self, phase: u8) {
        self.since.store(self.now_ms(), Ordering::Relaxed);
        self.phase.store(phase, Ordering::Release);
    }

    /// When the current phase runs out (`None` while a request is in the application).
    fn deadline(&self, limits: &ConnectionLimits) -> Option<Instant> {
        let limit = match self.phase.load(Ordering::Acquire) {
            HEAD => limits.header_timeout,
            IDLE => limits.idle_timeout,
            _ => return None,
        };
        let since = Duration::from_millis(self.since.load(Ordering::Relaxed));
        Some(self.epoch + since + limit)
    }
}

/// Marks a request as in the application for as long as it lives.
struct InApplication(Arc<ConnState>);

impl InApplication {
    fn enter(state: &Arc<ConnState>) -> Self {
        state.busy.fetch_add(1, Ordering::AcqRel);
        state.head_expected.store(false, Ordering::Release);
        state.enter(BUSY);
        InApplication(state.clone())
    }
}

impl Drop for InApplication {
    fn drop(&mut self) {
        if self.0.busy.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.enter(IDLE);
            self.0.head_expected.store(true, Ordering::Release);
        }
    }
}

/// The open connections, for choosing which one to close at the cap.
#[derive(Default)]
struct Registry {
    next: AtomicU64,
    open: Mutex<std::collections::HashMap<u64, Arc<ConnState>>>,
}

impl Registry {
    fn add(&self, state: Arc<ConnState>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, state);
        id
    }

    fn remove(&self, id: u64) {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }

    /// Asks the connection waiting longest without a request in the application to close.
    fn evict_one(&self) {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let oldest = open
            .values()
            .filter(|s| {
                s.phase.load(Ordering::Acquire) != BUSY && !s.evicting.load(Ordering::Acquire)
            })
            .min_by_key(|s| s.since.load(Ordering::Relaxed));
        if let Some(state) = oldest {
            state.evicting.store(true, Ordering::Release);
            state.evict.notify_one();
        }
    }
}

/// Serves `router` on `listener` until `stop` fires, then closes every connection gracefully
/// (requests in progress finish). Dropping the returned future closes every connection at once.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    stats: Arc<Stats>,
    stop: oneshot::Receiver<()>,
) {
    let limits = Arc::new(limits);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let registry = Arc::new(Registry::default());
    let epoch = Instant::now();
    let (closing, closing_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut stop = std::pin::pin!(stop);
    let service = TowerToHyperService::new(router);
    'accept: loop {
        let stream = loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => break stream,
                    // Out of descriptors or a connection reset before accept: wait, retry.
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                },
                Some(_) = tasks.join_next() => {}
                _ = &mut stop => break 'accept,
            }
        };
        // At the cap, this one connection waits here (the rest in the backlog) while the one
        // waiting longest without a request in the application is asked to close.
        let permit = loop {
            if let Ok(permit) = permits.clone().try_acquire_owned() {
                break permit;
            }
            registry.evict_one();
            tokio::select! {
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(permit) => break permit,
                    Err(_) => break 'accept,
                },
                // The chosen connection may have taken a request meanwhile: choose again.
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                Some(_) = tasks.join_next() => {}
                _ = &mut stop => break 'accept,
            }
        };
        stats.count_connection();
        let state = Arc::new(ConnState::new(epoch));
        let id = registry.add(state.clone());
        tasks.spawn(connection(
            stream,
            service.clone(),
            state,
            limits.clone(),
            closing_rx.clone(),
            ConnectionSlot {
                registry: registry.clone(),
                id,
                _permit: permit,
            },
        ));
        // Reap finished tasks so the set holds only live connections.
        while tasks.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = closing.send(true);
    while tasks.join_next().await.is_some() {}
}

/// A connection's place under the cap, given back when its task ends.
struct ConnectionSlot {
    registry: Arc<Registry>,
    id: u64,
    _permit: OwnedSemaphorePermit,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.registry.remove(self.id);
    }
}

async fn connection(
    stream: TcpStream,
    service: TowerToHyperService<Router>,
    state: Arc<ConnState>,
    limits: Arc<ConnectionLimits>,
    mut closing: watch::Receiver<bool>,
    _slot: ConnectionSlot,
) {
    let io = TokioIo::new(Guarded::new(stream, state.clone()));
    let in_app = state.clone();
    let body_timeout = limits.body_timeout;
    let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let mark = InApplication::enter(&in_app);
        let req = req.map(|body| axum::body::Body::new(TimedBody::new(body, body_timeout)));
        let call = hyper::service::Service::call(&service, req);
        async move {
            let response = call.await;
            drop(mark);
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.keep_alive(true).header_read_timeout(None);
    let mut conn = std::pin::pin!(builder.serve_connection(io, svc));
    let mut shutting_down = false;
    // After the header timeout: until when the guard may take to write its 408.
    let mut grace: Option<Instant> = None;
    loop {
        // While a request is in the application there is no deadline; look again shortly.
        let wake = grace
            .or_else(|| state.deadline(&limits))
            .unwrap_or_else(|| Instant::now() + limits.header_timeout.min(limits.idle_timeout));
        tokio::select! {
            _ = conn.as_mut() => break,
            _ = tokio::time::sleep_until(wake.into()) => {
                if grace.is_some() {
                    break;
                }
                if state.deadline(&limits).is_some_and(|d| d <= Instant::now()) {
                    if state.phase.load(Ordering::Acquire) != HEAD {
                        break;
                    }
                    // hyper reads again when polled next, and the guard then answers a head
                    // that has begun with 408 (and closes a connection that sent nothing).
                    state.timed_out.store(true, Ordering::Release);
                    grace = Some(Instant::now() + REFUSAL_GRACE);
                }
            }
            _ = state.evict.notified() => {
                if state.phase.load(Ordering::Acquire) != BUSY {
                    break;
                }
                state.evicting.store(false, Ordering::Release);
            }
            changed = closing.changed(), if !shutting_down => {
                if changed.is_err() || *closing.borrow() {
                    shutting_down = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// The error a request body gives once its time is up (the front end answers it with 408).
#[derive(Debug)]
pub struct BodyTimedOut(pub Duration);

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the request body did not arrive in full within {} s",
            self.0.as_secs_f64()
        )
    }
}

impl std::error::Error for BodyTimedOut {}

/// A request body that must arrive in full within a time limit; past it, reading fails.
struct TimedBody {
    inner: Incoming,
    started: Instant,
    limit: Duration,
    /// Armed on the first wait for data.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    expired: bool,
}

impl TimedBody {
    fn new(inner: Incoming, limit: Duration) -> Self {
        TimedBody {
            inner,
            started: Instant::now(),
            limit,
            timer: None,
            expired: false,
        }
    }
}

impl hyper::body::Body for TimedBody {
    type Data = hyper::body::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        if this.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.started + this.limit;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline.into())));
        ready!(timer.as_mut().poll(cx));
        this.expired = true;
        Poll::Ready(Some(Err(Box::new(BodyTimedOut(this.limit)))))
    }

    fn is_end_stream(&self) -> bool {
        self.expired || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Why the guard refuses a head: status, error code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadRefusal {
    /// HTTP status: 400, 408, 414 or 431.
    pub status: u16,
    /// The error code written into `ErrorResponse`.
    pub code: &'static str,
    /// The explanation.
    pub message: String,
}

impl HeadRefusal {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        HeadRefusal {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> Self {
        Self::new(400, "MalformedHttpRequest", message)
    }

    /// The whole HTTP reply: status line, headers, `ErrorResponse` body; the connection closes.
    fn reply(&self) -> Vec<u8> {
        let request_id = new_uuid();
        let body = write_error("Sender", self.code, &self.message, &request_id);
        let reason = match self.status {
            408 => "Request Timeout",
            414 => "URI Too Long",
            431 => "Request Header Fields Too Large",
            _ => "Bad Request",
        };
        format!(
            "HTTP/1.1 {} {reason}\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\
             x-amzn-RequestId: {request_id}\r\nconnection: close\r\n\r\n{body}",
            self.status,
            body.len()
        )
        .into_bytes()
    }
}

/// Reads one request head byte by byte and checks it against hyper's rules and the guard's
/// limits. Stops at the blank line that ends the head.
#[derive(Debug, Default)]
pub struct HeadScanner {
    /// Bytes of the head seen so far.
    bytes: usize,
    /// The current line, without its line end.
    line: Vec<u8>,
    /// Whether the request line has been read.
    request_line_done: bool,
    /// Header fields read.
    headers: usize,
    /// Set at the blank line that ends the head.
    done: bool,
    /// Whether the request line said HTTP/1.0.
    http10: bool,
    /// `Some(chunked)` once a `Transfer-Encoding` was read: whether its last coding is chunked.
    transfer_encoding: Option<bool>,
    /// The `Content-Length` read (before any `Transfer-Encoding`).
    content_length: Option<u64>,
}

impl HeadScanner {
    /// Starts on a new head.
    pub fn reset(&mut self) {
        self.bytes = 0;
        self.line.clear();
        self.request_line_done = false;
        self.headers = 0;
        self.done = false;
        self.http10 = false;
        self.transfer_encoding = None;
        self.content_length = None;
    }

    /// Whether the head has ended (the rest of the stream is the body, then the next request).
    pub fn done(&self) -> bool {
        self.done
    }

    /// Feeds bytes; stops consuming at the end of the head. `Err` names the first rule broken.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), HeadRefusal> {
        self.feed_counted(data).map(drop)
    }

    /// [`HeadScanner::feed`], saying how many of `data`'s bytes were the head's (the rest, once
    /// [`HeadScanner::done`], is the body and what follows it).
    pub fn feed_counted(&mut self, data: &[u8]) -> Result<usize, HeadRefusal> {
        for (at, &b) in data.iter().enumerate() {
            if self.done {
                return Ok(at);
            }
            self.bytes += 1;
            if b == b'\n' {
                if self.line.last() == Some(&b'\r') {
                    self.line.pop();
                }
                self.end_line()?;
                continue;
            }
            self.line.push(b);
            if !self.request_line_done && self.line.len() > MAX_REQUEST_LINE {
                return Err(HeadRefusal::new(
                    414,
                    "RequestURITooLong",
                    format!("The request line is longer than {MAX_REQUEST_LINE} bytes."),
                ));
            }
            if self.bytes > MAX_HEAD_BYTES {
                return Err(HeadRefusal::new(
                    431,
                    "RequestHeaderFieldsTooLarge",
                    format!("The request headers are larger than {MAX_HEAD_BYTES} bytes."),
                ));
            }
        }
        Ok(data.len())
    }

    /// The length of the body behind a finished head: its `Content-Length` (0 without one), or
    /// `None` when it is chunked (its end is not known from the head).
    pub fn body_length(&self) -> Option<u64> {
        match self.transfer_encoding {
            Some(_) => None,
            None => Some(self.content_length.unwrap_or(0)),
        }
    }

    fn end_line(&mut self) -> Result<(), HeadRefusal> {
        let line = std::mem::take(&mut self.line);
        let result = if !self.request_line_done {
            // Empty lines before a request line are skipped, as hyper does.
            if line.is_empty() {
                Ok(())
            } else {
                self.request_line_done = true;
                self.http10 = line.ends_with(b" HTTP/1.0");
                check_request_line(&line)
            }
        } else if line.is_empty() {
            self.done = true;
            if self.transfer_encoding == Some(false) {
                Err(HeadRefusal::bad(
                    "The last Transfer-Encoding of a request must be chunked.",
                ))
            } else {
                Ok(())
            }
        } else {
            self.headers += 1;
            if self.headers > MAX_HEADERS {
                Err(HeadRefusal::new(
                    431,
                    "RequestHeaderFieldsTooLarge",
                    format!("The request has more than {MAX_HEADERS} header fields."),
                ))
            } else {
                check_header_line(&line).and_then(|(name, value)| self.framing(&name, value))
            }
        };
        self.line = line;
        self.line.clear();
        result
    }
}

impl HeadScanner {
    /// The rules hyper applies to the headers that frame the body.
    fn framing(&mut self, name: &http::HeaderName, value: &[u8]) -> Result<(), HeadRefusal> {
        if name == http::header::TRANSFER_ENCODING {
            if self.http10 {
                return Err(HeadRefusal::bad(
                    "An HTTP/1.0 request cannot have a Transfer-Encoding.",
                ));
            }
            let last = value.rsplit(|&b| b == b',').next().unwrap_or_default();
            self.transfer_encoding = Some(last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name == http::header::CONTENT_LENGTH && self.transfer_encoding.is_none() {
            let invalid =
                || HeadRefusal::bad("The Content-Length is not a decimal number of bytes.");
            if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
                return Err(invalid());
            }
            let length = std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(invalid)?;
            if length > u64::MAX - 2 {
                return Err(HeadRefusal::new(
                    431,
                    "RequestHeaderFieldsTooLarge",
                    "The Content-Length is too large.",
                ));
            }
            if self.content_length.is_some_and(|before| before != length) {
                return Err(HeadRefusal::bad(
                    "The request has two Content-Length headers that differ.",
                ));
            }
            self.content_length = Some(length);
        }
        Ok(())
    }
}

/// `METHOD SP TARGET SP HTTP/1.x`, each part as hyper takes it.
fn check_request_line(line: &[u8]) -> Result<(), HeadRefusal> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadRefusal::bad(
            "The request line is not METHOD TARGET HTTP-VERSION separated by single spaces.",
        ));
    };
    if method.is_empty() || http::Method::from_bytes(method).is_err() {
        return Err(HeadRefusal::bad("The request method is not a valid token."));
    }
    if target.iter().any(|&b| b >= 0x80) {
        return Err(HeadRefusal::new(
            400,
            "MalformedQueryString",
            "The request target holds bytes that are not ASCII; percent-encode them (UTF-8).",
        ));
    }
    if target.is_empty() || http::Uri::try_from(target).is_err() {
        return Err(HeadRefusal::new(
            400,
            "MalformedQueryString",
            "The request target is not a valid URI; percent-encode reserved characters.",
        ));
    }
    if version != b"HTTP/1.1" && version != b"HTTP/1.0" {
        return Err(HeadRefusal::bad(
            "The HTTP version is not HTTP/1.1 or HTTP/1.0.",
        ));
    }
    Ok(())
}

/// `NAME: VALUE`, with the name a token and the value free of control characters; gives both.
fn check_header_line(line: &[u8]) -> Result<(http::HeaderName, &[u8]), HeadRefusal> {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return Err(HeadRefusal::bad("A header line has no ':'."));
    };
    let name = http::HeaderName::from_bytes(&line[..colon])
        .map_err(|_| HeadRefusal::bad("A header name is not a valid token."))?;
    let value = line[colon + 1..].trim_ascii();
    if http::HeaderValue::from_bytes(value).is_err() {
        return Err(HeadRefusal::bad("A header value holds control characters."));
    }
    Ok((name, value))
}

/// What the guard is doing with a refused connection.
enum Refusing {
    /// Writing the reply; `at` bytes are out.
    Writing { reply: Vec<u8>, at: usize },
    /// Reading and dropping what the client still sends; `left` bytes more at most.
    Draining { left: usize },
    /// Done: hyper is told the connection failed, and writes nothing.
    Closed,
}

/// The TCP stream as hyper sees it: every request head that starts while no request is in the
/// application passes through a [`HeadScanner`] first, and a head that breaks a rule never
/// reaches hyper: the guard answers it with XML itself.
pub struct Guarded {
    inner: TcpStream,
    state: Arc<ConnState>,
    scanner: HeadScanner,
    /// Whether the bytes now arriving belong to a head the scanner follows.
    scanning: bool,
    /// Set while hyper may hold reply bytes not yet flushed to the socket.
    unflushed: bool,
    /// How much of the last scanned request's body has not arrived yet (`None`: unknown, a
    /// chunked body). A head is looked for only once it is 0: before, the bytes are that body's
    /// (an application that answered without reading all of it, as a 413 does, leaves them to
    /// hyper, which drains or closes), never a new request line.
    body_left: Option<u64>,
    refusing: Option<Refusing>,
}

impl Guarded {
    fn new(inner: TcpStream, state: Arc<ConnState>) -> Self {
        Guarded {
            inner,
            state,
            scanner: HeadScanner::default(),
            scanning: true,
            unflushed: false,
            body_left: Some(0),
            refusing: None,
        }
    }

    fn poll_refusal(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match self.refusing.as_mut() {
                None | Some(Refusing::Closed) => {
                    self.refusing = Some(Refusing::Closed);
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "request head refused",
                    )));
                }
                Some(Refusing::Writing { reply, at }) => {
                    while *at < reply.len() {
                        match ready!(Pin::new(&mut self.inner).poll_write(cx, &reply[*at..])) {
                            Ok(0) | Err(_) => {
                                self.refusing = Some(Refusing::Closed);
                                break;
                            }
                            Ok(n) => *at += n,
                        }
                    }
                    if matches!(self.refusing, Some(Refusing::Writing { .. })) {
                        let _ = ready!(Pin::new(&mut self.inner).poll_shutdown(cx));
                        self.refusing = Some(Refusing::Draining {
                            left: REFUSAL_DRAIN_BYTES,
                        });
                    }
                }
                Some(Refusing::Draining { left }) => {
                    let mut scratch = [0u8; 8192];
                    let mut buf = ReadBuf::new(&mut scratch);
                    match ready!(Pin::new(&mut self.inner).poll_read(cx, &mut buf)) {
                        Ok(()) if !buf.filled().is_empty() => {
                            *left = left.saturating_sub(buf.filled().len());
                            if *left == 0 {
                                self.refusing = Some(Refusing::Closed);
                            }
                        }
                        _ => self.refusing = Some(Refusing::Closed),
                    }
                }
            }
        }
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.refusing.is_none() && this.state.timed_out.load(Ordering::Acquire) {
            let begun = this.scanning && this.scanner.bytes > 0 && !this.unflushed;
            this.refusing = Some(if begun {
                Refusing::Writing {
                    reply: HeadRefusal::new(
                        408,
                        "RequestTimeout",
                        "The request headers were not received in time.",
                    )
                    .reply(),
                    at: 0,
                }
            } else {
                Refusing::Closed
            });
        }
        if this.refusing.is_some() {
            return this.poll_refusal(cx);
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if buf.filled().len() == before {
            return Poll::Ready(Ok(()));
        }
        let state = &this.state;
        let between_requests = state.busy.load(Ordering::Acquire) == 0;
        let read = (buf.filled().len() - before) as u64;
        if between_requests && state.head_expected.swap(false, Ordering::AcqRel) {
            // A new head only follows a body that has arrived whole.
            this.scanning = this.body_left == Some(0);
            if this.scanning {
                this.scanner.reset();
            }
        }
        if between_requests && state.phase.load(Ordering::Acquire) == IDLE {
            state.enter(HEAD);
        }
        if this.scanning && between_requests {
            match this.scanner.feed_counted(&buf.filled()[before..]) {
                Ok(head) => {
                    if this.scanner.done() {
                        this.scanning = false;
                        this.body_left = this
                            .scanner
                            .body_length()
                            .map(|length| length.saturating_sub(read.saturating_sub(head as u64)));
                    }
                }
                // A reply may still sit in hyper's buffer: leave this head to hyper.
                Err(_) if this.unflushed => this.scanning = false,
                Err(refusal) => {
                    buf.set_filled(before);
                    this.refusing = Some(Refusing::Writing {
                        reply: refusal.reply(),
                        at: 0,
                    });
                    return this.poll_refusal(cx);
                }
            }
        } else {
            this.scanning = false;
            if let Some(left) = this.body_left.as_mut() {
                *left = left.saturating_sub(read);
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.refusing.is_some() {
            return Poll::Ready(Err(io::ErrorKind::ConnectionAborted.into()));
        }
        this.unflushed = true;
        Pin::new(&mut this.inner).poll_write(cx, data)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.refusing.is_some() {
            return Poll::Ready(Err(io::ErrorKind::ConnectionAborted.into()));
        }
        this.unflushed = true;
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let result = ready!(Pin::new(&mut this.inner).poll_flush(cx));
        if result.is_ok() {
            this.unflushed = false;
        }
        Poll::Ready(result)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(head: &[u8]) -> Result<bool, HeadRefusal> {
        let mut s = HeadScanner::default();
        s.feed(head)?;
        Ok(s.done())
    }

    #[test]
    fn accepts_ordinary_heads_and_stops_at_the_blank_line() {
        assert_eq!(
            scan(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n\xff\xfe\x00"),
            Ok(true)
        );
        assert_eq!(scan(b"\r\nGET /?a=%FF HTTP/1.0\nHost: a\n\n"), Ok(true));
        assert_eq!(scan(b"GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\n"), Ok(false));
    }

    #[test]
    fn refuses_what_hyper_refuses() {
        let status = |head: &[u8]| scan(head).map(|_| 0).unwrap_or_else(|r| r.status);
        assert_eq!(status(b"GET /\xff HTTP/1.1\r\n"), 400);
        assert_eq!(status(b"GET /a\x7fb HTTP/1.1\r\n"), 400);
        assert_eq!(status(b"G(T / HTTP/1.1\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/2.0\r\n"), 400);
        assert_eq!(status(b"GET  / HTTP/1.1\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nBad Name: x\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nX: a\x01b\r\n"), 400);
        assert_eq!(status(b"GET / HTTP/1.1\r\nno colon\r\n"), 400);
        assert_eq!(status(b"POST / HTTP/1.1\r\nContent-Length: +5\r\n"), 400);
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 6\r\n"),
            400
        );
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n"),
            400
        );
        assert_eq!(
            status(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"),
            400
        );
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            400
        );
        assert_eq!(
            scan(
                b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: x\r\n\r\n"
            ),
            Ok(true)
        );
        let long = [b"GET /".as_slice(), &vec![b'a'; MAX_REQUEST_LINE]].concat();
        assert_eq!(status(&long), 414);
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        assert_eq!(status(&many), 431);
        let mut big = b"GET / HTTP/1.1\r\n".to_vec();
        for _ in 0..10 {
            big.extend_from_slice(b"X-Big: ");
            big.extend_from_slice(&vec![b'v'; MAX_HEAD_BYTES / 8]);
            big.extend_from_slice(b"\r\n");
        }
        assert_eq!(status(&big), 431);
    }

    #[test]
    fn a_refusal_is_an_xml_error_response() {
        let reply = HeadRefusal::new(431, "RequestHeaderFieldsTooLarge", "too many").reply();
        let text = String::from_utf8(reply).unwrap();
        assert!(text.starts_with("HTTP/1.1 431 "));
        assert!(text.contains("<Code>RequestHeaderFieldsTooLarge</Code>"));
        assert!(text.contains("connection: close"));
    }
}
