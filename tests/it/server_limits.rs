//! Connection limits of `phantom serve` (issue 9, items 7 and 9), over real TCP on 127.0.0.1:
//! half-sent and idle connections are closed after the header and idle timeouts; past the
//! connection cap, a signed request from a well-behaved client is still answered; and request
//! heads that hyper would refuse with an empty reply are answered with an XML `ErrorResponse`.
//!
//! Connection counts stay a few hundred in all (client and server ends together well under a
//! 1024-descriptor limit), enough to exceed the lowered caps the tests set.

use std::time::{Duration, Instant};

use crate::util::run::Phantom;
use crate::util::server::*;
use phantom_autoscale::Credentials;
use phantom_autoscale::autoscaling::types::*;
use phantom_autoscale::query::sign::SignatureVersion;
use phantom_autoscale::query::xml::parse_error_body;
use phantom_autoscale::server::{ConnectionLimits, RunningServer, ServeOptions, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn key() -> Credentials {
    Credentials::new("AKIDLIMITS000000001", "limits/secret")
}

async fn start_limited(limits: ConnectionLimits) -> RunningServer {
    start(ServeOptions {
        keys: vec![key()],
        limits,
        ..ServeOptions::default()
    })
    .await
    .expect("server starts")
}

/// A signed DescribeAutoScalingGroups from a fresh client: it must succeed.
async fn signed_call_succeeds(server: &RunningServer) {
    let client = Client::new(server).signed(SignatureVersion::V4, &key());
    let out: DescribeAutoScalingGroupsOutput =
        client.call("DescribeAutoScalingGroups", &[]).await.ok();
    assert_eq!(out.auto_scaling_groups.map(|g| g.len()), Some(0));
}

/// Reads until the server closes the connection (EOF or reset) or `limit` passes; true if closed.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

async fn connect(server: &RunningServer) -> TcpStream {
    TcpStream::connect(server.addr).await.expect("connects")
}

#[tokio::test]
async fn half_sent_and_idle_connections_are_closed_after_their_timeouts() {
    let server = start_limited(ConnectionLimits {
        max_connections: 1000,
        header_timeout: Duration::from_millis(800),
        idle_timeout: Duration::from_millis(1200),
        ..ConnectionLimits::default()
    })
    .await;
    let opened = Instant::now();
    let mut stale = Vec::new();
    // 60 that never send a byte, 60 that send half a head and stop.
    for n in 0..120 {
        let mut s = connect(&server).await;
        if n % 2 == 1 {
            s.write_all(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
                .await
                .unwrap();
        }
        stale.push(s);
    }
    // 20 that finish a request and then stay idle on keep-alive.
    for _ in 0..20 {
        let mut s = connect(&server).await;
        s.write_all(b"GET /?Action=Nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 403"));
        stale.push(s);
    }
    // One more half-sent head, read to the end: the server answers it 408 in XML, then closes.
    let mut late = connect(&server).await;
    late.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    // Meanwhile a well-behaved client is answered.
    signed_call_succeeds(&server).await;
    let checks = stale
        .iter_mut()
        .map(|s| closed_within(s, Duration::from_secs(30)));
    let closed = futures_util::future::join_all(checks).await;
    let open = closed.iter().filter(|c| !**c).count();
    assert_eq!(
        open,
        0,
        "{open} of {} stale connections still open {:?} after they were opened",
        closed.len(),
        opened.elapsed()
    );
    assert_xml_error(&read_reply(&mut late).await, 408, "RequestTimeout");
    // Every one was held at least about as long as its timeout (generous lower bound).
    assert!(opened.elapsed() >= Duration::from_millis(700));
    signed_call_succeeds(&server).await;
    server.shutdown().await;
}

#[tokio::test]
async fn past_the_connection_cap_a_signed_request_is_still_answered() {
    // Long timeouts: anything closed here was closed for the cap.
    let cap = 40;
    let server = start_limited(ConnectionLimits {
        max_connections: cap,
        header_timeout: Duration::from_secs(120),
        idle_timeout: Duration::from_secs(120),
        ..ConnectionLimits::default()
    })
    .await;
    let mut held = Vec::new();
    for n in 0..200 {
        let mut s = connect(&server).await;
        if n % 2 == 0 {
            s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                .await
                .unwrap();
        }
        held.push(s);
    }
    let started = Instant::now();
    signed_call_succeeds(&server).await;
    // Very generous: the point is that it is answered at all, long before any timeout.
    assert!(started.elapsed() < Duration::from_secs(60));
    // Every held connection was accepted before the signed one (the backlog is first in, first
    // out), and at most `cap` were open at once: all but `cap` of them have been closed.
    let checks = held
        .iter_mut()
        .map(|s| closed_within(s, Duration::from_millis(500)));
    let closed = futures_util::future::join_all(checks)
        .await
        .into_iter()
        .filter(|c| *c)
        .count();
    assert!(
        closed >= held.len() - cap,
        "only {closed} of {} held connections were closed with a cap of {cap}",
        held.len()
    );
    signed_call_succeeds(&server).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_in_the_application_is_not_cut_for_the_cap_and_a_slow_body_is_bounded() {
    let server = start_limited(ConnectionLimits {
        max_connections: 3,
        header_timeout: Duration::from_secs(120),
        idle_timeout: Duration::from_secs(120),
        body_timeout: Duration::from_millis(1500),
    })
    .await;
    // A request whose body stops halfway: it is in the application, waiting for the rest.
    let mut slow = connect(&server).await;
    slow.write_all(
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 100\r\n\r\nAction=DescribeAuto",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Idle connections well past the cap: they are closed for it, the slow request is not.
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(connect(&server).await);
    }
    signed_call_succeeds(&server).await;
    // The slow request is answered (not cut) once its body time runs out.
    let (status, _, body) = read_reply(&mut slow).await;
    assert_eq!(status, 408, "reply: {body}");
    assert!(
        body.contains("<Code>RequestTimeout</Code>"),
        "reply: {body}"
    );
    assert!(body.contains("did not arrive in full"), "reply: {body}");
    signed_call_succeeds(&server).await;
    server.shutdown().await;
}

/// Sends `head` (and nothing else), reads the whole reply (the server closes after a refusal).
async fn raw_exchange(server: &RunningServer, head: &[u8]) -> (u16, String, String) {
    let mut s = connect(server).await;
    s.write_all(head).await.unwrap();
    read_reply(&mut s).await
}

async fn read_reply(s: &mut TcpStream) -> (u16, String, String) {
    let mut reply = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut reply)).await;
    assert!(read.is_ok(), "the server did not close after its reply");
    let text = String::from_utf8_lossy(&reply).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_string())
}

fn assert_xml_error(reply: &(u16, String, String), status: u16, code: &str) {
    let (got, head, body) = reply;
    assert_eq!(*got, status, "reply: {head}\n{body}");
    assert!(
        head.contains("content-type: text/xml"),
        "reply head: {head}"
    );
    assert!(
        body.contains("<ErrorResponse"),
        "not an ErrorResponse: {body:?}"
    );
    let error = parse_error_body(*got, None, body.as_bytes());
    assert_eq!(error.code, code, "reply: {body}");
}

#[tokio::test]
async fn heads_hyper_would_refuse_are_answered_with_xml() {
    let server = start_limited(ConnectionLimits::default()).await;
    // Bytes that are not ASCII (here not UTF-8 either) in the request line.
    let reply = raw_exchange(
        &server,
        b"GET /?Action=DescribeAutoScalingGroups&X=\xff\xfe HTTP/1.1\r\nHost: a\r\n\r\n",
    )
    .await;
    assert_xml_error(&reply, 400, "MalformedQueryString");
    // Too many header fields.
    let mut many = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    for n in 0..150 {
        many.extend_from_slice(format!("X-H{n}: v\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    assert_xml_error(
        &raw_exchange(&server, &many).await,
        431,
        "RequestHeaderFieldsTooLarge",
    );
    // A header name that is not a token.
    assert_xml_error(
        &raw_exchange(&server, b"GET / HTTP/1.1\r\nHost: a\r\nBad Name: v\r\n\r\n").await,
        400,
        "MalformedHttpRequest",
    );
    // A body length hyper cannot frame.
    assert_xml_error(
        &raw_exchange(
            &server,
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12abc\r\n\r\n",
        )
        .await,
        400,
        "MalformedHttpRequest",
    );
    // A 1 MB URL, sent in full: the refusal still reaches the client.
    let mut url = b"GET /?Action=DescribeAutoScalingGroups&X=".to_vec();
    url.extend(std::iter::repeat_n(b'a', 1_000_000));
    url.extend_from_slice(b" HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_xml_error(&raw_exchange(&server, &url).await, 414, "RequestURITooLong");
    // A bad head after a good request on the same keep-alive connection.
    let mut s = connect(&server).await;
    s.write_all(b"GET /?Action=Nothing HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 8192];
    let n = s.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 403"));
    s.write_all(b"GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    assert_xml_error(&read_reply(&mut s).await, 400, "MalformedQueryString");
    // And the server still answers.
    signed_call_succeeds(&server).await;
    server.shutdown().await;
}

#[test]
fn serve_help_documents_the_limits() {
    let out = Phantom::new(&["serve", "--help"]).run();
    let help = out.stdout;
    for flag in ["--max-connections", "--header-timeout", "--idle-timeout"] {
        assert!(
            help.contains(flag),
            "{flag} missing from serve --help:\n{help}"
        );
    }
}

#[tokio::test]
async fn a_body_refused_part_read_closes_the_connection_and_its_rest_is_never_a_request() {
    // The drain of an oversized body stops after 5 s: what is left of it stays unread on the
    // connection, so the 413 must close it (once, a reused connection read the rest as the
    // next request's head and answered a well-formed request behind it `414`).
    let server = start_limited(ConnectionLimits::default()).await;
    let mut s = connect(&server).await;
    let total = 3_000_000usize;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {total}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let first = 2_200_000;
    s.write_all(&vec![b'x'; first]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5500)).await;
    let mut rest = vec![b'x'; total - first];
    rest.extend_from_slice(
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 51\r\n\r\nAction=DescribeAutoScalingGroups&Version=2011-01-01",
    );
    // The server may close while this is still being written: that is the point.
    let _ = s.write_all(&rest).await;
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => panic!("not closed: {}", String::from_utf8_lossy(&seen)),
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
    let seen = String::from_utf8_lossy(&seen).to_ascii_lowercase();
    assert!(seen.starts_with("http/1.1 413"), "{seen}");
    assert!(seen.contains("connection: close"), "{seen}");
    assert!(!seen.contains("http/1.1 414"), "{seen}");
    assert_eq!(seen.matches("http/1.1 ").count(), 1, "{seen}");
    server.shutdown().await;
}
