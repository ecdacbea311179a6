//! The fault suite: the real `phantom` binary (and, for limits, the library's transport) against
//! servers on 127.0.0.1 that misbehave on purpose. Each case checks the number of attempts the
//! server saw, the exit code, the message on stderr, and that the run ended in bounded time.
//!
//! Time bounds are generous upper limits (machines are noisy); the only lower bounds are ones a
//! correct client cannot beat, such as a `Retry-After` it must wait out.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use crate::util::fault_server::*;

const NS: &str = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

/// `phantom --endpoint-url URL domain list` plus `extra` flags.
fn domain_list(url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--endpoint-url", url];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["domain", "list"]);
    phantom(&args, &[])
}

/// The one `phantom: error:` line on stderr.
fn error_line(run: &Run) -> &str {
    run.stderr
        .lines()
        .find(|l| l.starts_with("phantom: error: "))
        .unwrap_or_else(|| panic!("no error line in {:?}", run.stderr))
}

fn assert_within(run: &Run, limit: Duration) {
    assert!(
        run.elapsed < limit,
        "took {:?} (limit {limit:?}): {run:?}",
        run.elapsed
    );
}

#[test]
fn refused_connection_is_retried_then_exit_3() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let run = domain_list(&format!("http://127.0.0.1:{port}"), &["--debug"]);
    assert_eq!(run.code, 3, "{run:?}");
    let line = error_line(&run);
    assert!(
        line.contains("DescribeAutoScalingGroups: could not reach http://127.0.0.1:"),
        "{line}"
    );
    assert!(line.to_lowercase().contains("refused"), "{line}");
    assert!(
        run.stderr.contains("attempt 1 of 3 failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("attempt 2 of 3 failed"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("attempt 3 of 3 failed"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    assert_within(&run, Duration::from_secs(20));
}

#[test]
fn reset_mid_reply_is_retried_then_exit_3() {
    let partial = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 600\r\n\r\n<DescribeAutoScalingGroupsResponse><Describe".to_vec();
    let server = FaultServer::start(move |_, _| Action::ResetAfter(partial.clone()));
    let run = domain_list(&server.url(), &[]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 3);
    let line = error_line(&run);
    assert!(
        line.starts_with("phantom: error: DescribeAutoScalingGroups: "),
        "{line}"
    );
    assert!(
        line.contains("reset") || line.contains("body"),
        "the message names the broken reply: {line}"
    );
    assert_within(&run, Duration::from_secs(20));
}

#[test]
fn truncated_xml_is_an_unreadable_reply_not_retried() {
    let cut = &GROUPS_XML[..GROUPS_XML.find("<Instances/>").unwrap()];
    let server = FaultServer::always(ok_xml(cut));
    let run = domain_list(&server.url(), &[]);
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 1);
    let line = error_line(&run);
    assert!(line.contains("unreadable reply (HTTP 200)"), "{line}");
    assert!(
        line.contains("XML ends inside <member>: truncated reply"),
        "{line}"
    );
    assert_within(&run, Duration::from_secs(20));
}

#[test]
fn garbage_body_is_an_unreadable_reply() {
    let mut reply = b"HTTP/1.1 200 OK\r\nContent-Length: 16\r\nConnection: close\r\n\r\n".to_vec();
    reply.extend_from_slice(b"\x00\xff\xfegarbage\x01\x02\x03\x04\x05\x06\x07");
    let server = FaultServer::always(reply);
    let run = domain_list(&server.url(), &[]);
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 1);
    assert!(
        error_line(&run).contains("not valid UTF-8"),
        "{}",
        run.stderr
    );
    assert_within(&run, Duration::from_secs(20));
}

#[test]
fn html_page_with_200_is_an_unreadable_reply() {
    let page = "<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head><body><h1>Welcome</h1></body></html>";
    let server = FaultServer::always(http(200, "OK", &[("Content-Type", "text/html")], page));
    let run = domain_list(&server.url(), &[]);
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 1);
    let line = error_line(&run);
    assert!(
        line.contains("expected <DescribeAutoScalingGroupsResponse>, found <html>"),
        "{line}"
    );
    assert_within(&run, Duration::from_secs(20));
}

#[test]
fn html_proxy_error_502_is_retried_then_exit_5() {
    let page = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>upstream timed out<br/></body></html>";
    let server = FaultServer::always(http(
        502,
        "Bad Gateway",
        &[("Content-Type", "text/html")],
        page,
    ));
    let run = domain_list(&server.url(), &[]);
    assert_eq!(run.code, 5, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 3);
    let line = error_line(&run);
    assert!(
        line.contains(
            "DescribeAutoScalingGroups failed: BadGateway: upstream timed out (HTTP 502)"
        ),
        "{line}"
    );
    assert_within(&run, Duration::from_secs(20));
}

#[test]
fn error_500_then_200_succeeds_on_the_second_attempt() {
    let server = FaultServer::start(|_, i| {
        if i == 0 {
            error_xml(500, "Internal Server Error", "InternalFailure", "try again").into()
        } else {
            Action::Reply(ok_xml(GROUPS_XML))
        }
    });
    let run = domain_list(&server.url(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 2);
    assert!(
        run.stdout.starts_with("web\n    lc1 : 2\n"),
        "{}",
        run.stdout
    );
    assert_eq!(run.stderr, "");
    assert_within(&run, Duration::from_secs(20));
}

#[test]
fn throttling_then_200_succeeds_quietly() {
    let server = FaultServer::start(|_, i| {
        if i == 0 {
            error_xml(400, "Bad Request", "Throttling", "Rate exceeded").into()
        } else {
            Action::Reply(ok_xml(GROUPS_XML))
        }
    });
    let run = domain_list(&server.url(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 2);
    assert!(run.stdout.starts_with("web\n"), "{}", run.stdout);
    assert_eq!(run.stderr, "");
}

#[test]
fn throttling_every_time_uses_all_attempts_then_exit_1() {
    let server = FaultServer::always(error_xml(400, "Bad Request", "Throttling", "Rate exceeded"));
    let run = domain_list(&server.url(), &["--max-attempts", "4"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 4);
    assert_eq!(
        error_line(&run),
        "phantom: error: DescribeAutoScalingGroups failed: Throttling: Rate exceeded (HTTP 400, request id req-Throttling)"
    );
}

#[test]
fn other_client_errors_are_final() {
    for (status, reason, code) in [
        (400, "Bad Request", "ValidationError"),
        (403, "Forbidden", "SignatureDoesNotMatch"),
        (429, "Too Many Requests", "TooManyRequests"),
    ] {
        let server = FaultServer::always(error_xml(status, reason, code, "no"));
        let run = domain_list(&server.url(), &[]);
        assert_eq!(run.code, 1, "{run:?}");
        assert_eq!(
            server.count("DescribeAutoScalingGroups"),
            1,
            "{code} is not retried"
        );
        assert!(error_line(&run).contains(&format!("failed: {code}: no (HTTP {status}")));
    }
}

#[test]
fn max_attempts_from_flag_and_environment() {
    let server = FaultServer::always(error_xml(
        503,
        "Service Unavailable",
        "ServiceUnavailable",
        "busy",
    ));
    let run = domain_list(&server.url(), &["--max-attempts", "5"]);
    assert_eq!(
        (run.code, server.count("DescribeAutoScalingGroups")),
        (5, 5),
        "{run:?}"
    );

    let server = FaultServer::always(error_xml(
        503,
        "Service Unavailable",
        "ServiceUnavailable",
        "busy",
    ));
    let url = server.url();
    let run = phantom(
        &["--endpoint-url", &url, "domain", "list"],
        &[("AWS_MAX_ATTEMPTS", "1")],
    );
    assert_eq!(
        (run.code, server.count("DescribeAutoScalingGroups")),
        (5, 1),
        "{run:?}"
    );

    let run = phantom(
        &["--endpoint-url", &url, "domain", "list"],
        &[("AWS_MAX_ATTEMPTS", "many")],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(error_line(&run).contains("AWS_MAX_ATTEMPTS"));
}

#[test]
fn retry_after_is_honoured() {
    let server = FaultServer::start(|_, i| {
        if i == 0 {
            Action::Reply(http(
                503,
                "Service Unavailable",
                &[("Retry-After", "1")],
                "<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>",
            ))
        } else {
            Action::Reply(ok_xml(GROUPS_XML))
        }
    });
    let run = domain_list(&server.url(), &["--debug"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 2);
    assert!(
        run.stderr.contains("retrying in 1000 ms (Retry-After)"),
        "{}",
        run.stderr
    );
    // With a 10 ms backoff base only Retry-After explains a wait of a second.
    assert!(run.elapsed >= Duration::from_secs(1), "{:?}", run.elapsed);
    assert_within(&run, Duration::from_secs(20));
}

#[test]
fn stalled_server_ends_in_a_read_timeout() {
    let server = FaultServer::start(|_, _| Action::Stall);
    let run = domain_list(
        &server.url(),
        &["--read-timeout", "1s", "--max-attempts", "2"],
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 2);
    let line = error_line(&run);
    assert!(
        line.contains("DescribeAutoScalingGroups: timed out after"),
        "{line}"
    );
    assert!(line.contains("read timeout"), "{line}");
    assert!(run.elapsed >= Duration::from_secs(2), "{:?}", run.elapsed);
    assert_within(&run, Duration::from_secs(20));
}

#[test]
fn slow_trickle_is_cut_by_the_attempt_limit() {
    let server = FaultServer::start(|_, _| Action::Trickle {
        head: b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n"
            .to_vec(),
        every: Duration::from_millis(100),
    });
    let run = domain_list(
        &server.url(),
        &[
            "--connect-timeout",
            "1s",
            "--read-timeout",
            "1s",
            "--max-attempts",
            "2",
        ],
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 2);
    let line = error_line(&run);
    assert!(line.contains("timed out after"), "{line}");
    assert!(
        line.contains("overall deadline") || line.contains("attempt limit"),
        "{line}"
    );
    // Default deadline: (1 s + 1 s) x 2 attempts.
    assert!(run.elapsed >= Duration::from_secs(2), "{:?}", run.elapsed);
    assert_within(&run, Duration::from_secs(20));
}

#[test]
fn slow_trickle_is_cut_by_an_explicit_deadline() {
    let server = FaultServer::start(|_, _| Action::Trickle {
        head: b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n"
            .to_vec(),
        every: Duration::from_millis(100),
    });
    let run = domain_list(&server.url(), &["--deadline", "2s"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 1);
    assert!(
        error_line(&run).contains("(overall deadline; raise it with --deadline)"),
        "{}",
        run.stderr
    );
    assert!(run.elapsed >= Duration::from_secs(2), "{:?}", run.elapsed);
    assert_within(&run, Duration::from_secs(20));
}

#[test]
fn content_length_longer_than_the_body_is_retried_then_exit_3() {
    let body = &GROUPS_XML[..100];
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        GROUPS_XML.len()
    );
    let server = FaultServer::always(reply.into_bytes());
    let run = domain_list(&server.url(), &[]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 3);
    assert!(
        error_line(&run).contains("DescribeAutoScalingGroups"),
        "{}",
        run.stderr
    );
    assert_within(&run, Duration::from_secs(20));
}

#[test]
fn error_document_in_a_200_is_a_service_error() {
    let server = FaultServer::always(ok_xml(
        "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>no such action</Message></Error><RequestId>r200</RequestId></ErrorResponse>",
    ));
    let run = domain_list(&server.url(), &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 1);
    assert_eq!(
        error_line(&run),
        "phantom: error: DescribeAutoScalingGroups failed: InvalidAction: no such action (HTTP 200, request id r200)"
    );
}

#[test]
fn moto_s3_answer_to_a_misrouted_request_is_named() {
    let s3 = "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01\"><Owner><ID>bcaf1ffd86f41161ca5fb16fd081034f</ID><DisplayName>webfile</DisplayName></Owner><Buckets></Buckets></ListAllMyBucketsResult>";
    let server = FaultServer::always(http(
        200,
        "OK",
        &[
            ("Content-Type", "text/html; charset=utf-8"),
            ("x-amzn-requestid", "moto-req"),
        ],
        s3,
    ));
    let run = domain_list(&server.url(), &["--signature", "v2"]);
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 1);
    let line = error_line(&run);
    assert!(line.contains("found <ListAllMyBucketsResult>"), "{line}");
    assert!(line.contains("routed this request to S3"), "{line}");
    assert!(line.contains("request id moto-req"), "{line}");
}

// ---- limits ---------------------------------------------------------------------------------

#[test]
fn reply_larger_than_the_cap_is_refused() {
    let big = format!(
        "<DescribeAutoScalingGroupsResponse>{}</DescribeAutoScalingGroupsResponse>",
        "<x>padding</x>".repeat(1000)
    );
    let server = FaultServer::always(ok_xml(&big));
    let run = domain_list(&server.url(), &["--max-reply-bytes", "4096"]);
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(server.count("DescribeAutoScalingGroups"), 1);
    assert!(
        error_line(&run)
            .contains("reply larger than the 4096 byte limit (raise it with --max-reply-bytes)"),
        "{}",
        run.stderr
    );
}

#[test]
fn endless_chunked_reply_is_cut_at_the_cap() {
    // No Content-Length: the cap must stop the read, not the header check.
    let server = FaultServer::start(|_, _| Action::Trickle {
        head: b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n".to_vec(),
        every: Duration::from_millis(1),
    });
    let run = domain_list(&server.url(), &["--max-reply-bytes", "2000"]);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        error_line(&run).contains("2000 byte limit"),
        "{}",
        run.stderr
    );
    assert_within(&run, Duration::from_secs(30));
}

#[test]
fn deeply_nested_reply_cannot_exhaust_the_stack() {
    let deep = format!(
        "<DescribeAutoScalingGroupsResponse>{}",
        "<member>".repeat(200_000)
    );
    let server = FaultServer::always(ok_xml(&deep));
    let run = domain_list(&server.url(), &[]);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        error_line(&run).contains("XML nested deeper than 64 elements"),
        "{}",
        run.stderr
    );
}

/// A transport straight from the library, against `url`.
fn transport(url: &str) -> phantom_autoscale::query::transport::Transport {
    use phantom_autoscale::query::endpoint::Endpoint;
    use phantom_autoscale::query::transport::{Transport, TransportConfig};
    let mut config = TransportConfig::new(Endpoint::parse(url).unwrap(), "us-east-1");
    config.credentials = Some(phantom_autoscale::Credentials::new("AKID", "secret"));
    config.retry.base_delay = Duration::from_millis(10);
    config.max_body_bytes = 10_000;
    config.read_timeout = Duration::from_secs(5);
    config.deadline = Some(Duration::from_secs(20));
    Transport::new(config).unwrap()
}

#[tokio::test]
async fn limits_hold_through_the_transport() {
    // Declared too large: refused from the header, before reading.
    let server = FaultServer::always(ok_xml(&"x".repeat(20_000)));
    let err = transport(&server.url())
        .call_typed_with_report::<serde_json::Value>("DescribeAutoScalingGroups", vec![])
        .await
        .0
        .unwrap_err();
    assert_eq!(err.exit_code(), 4);
    assert!(err.to_string().contains("10000 byte limit"), "{err}");

    // Nested deeper than the reader allows, in a reply under the cap.
    let deep = format!("<ARes>{}", "<a>".repeat(3000));
    let server = FaultServer::always(ok_xml(&deep));
    let err = transport(&server.url())
        .call_typed_with_report::<serde_json::Value>("A", vec![])
        .await
        .0
        .unwrap_err();
    assert!(err.to_string().contains("nested deeper than 64"), "{err}");

    // Exactly at the depth limit is fine.
    let ok = format!(
        "<AResponse><AResult>{}x{}</AResult></AResponse>",
        "<a>".repeat(62),
        "</a>".repeat(62)
    );
    let server = FaultServer::always(ok_xml(&ok));
    let (tree, _) = transport(&server.url())
        .call_typed_with_report::<serde_json::Value>("A", vec![])
        .await
        .0
        .unwrap();
    assert!(tree.get("a").is_some());
}

// ---- clock skew -----------------------------------------------------------------------------

fn http_date(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    let dt = time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
    dt.format(time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    ))
    .unwrap()
}

/// The SigV4 signing time of a request, from `X-Amz-Date`.
fn amz_date(request: &Request) -> SystemTime {
    let text = request.header("X-Amz-Date").expect("X-Amz-Date");
    let t = time::PrimitiveDateTime::parse(
        &text,
        time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"),
    )
    .unwrap();
    SystemTime::UNIX_EPOCH + Duration::from_secs(t.assume_utc().unix_timestamp() as u64)
}

#[test]
fn clock_skew_is_corrected_from_the_date_header_once() {
    let server_clock = SystemTime::now() + Duration::from_secs(3600);
    let server = FaultServer::start(move |request, _| {
        let skew = amz_date(request)
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        if skew < Duration::from_secs(3000) {
            let date = http_date(server_clock);
            Action::Reply(http(
                400,
                "Bad Request",
                &[("Date", date.as_str())],
                &format!(
                    "<ErrorResponse xmlns=\"{NS}\"><Error><Code>RequestExpired</Code><Message>Request has expired.</Message></Error></ErrorResponse>"
                ),
            ))
        } else {
            Action::Reply(ok_xml(GROUPS_XML))
        }
    });
    let run = domain_list(&server.url(), &["--debug"]);
    assert_eq!(run.code, 0, "{run:?}");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let first = amz_date(&requests[0]);
    let second = amz_date(&requests[1]);
    let moved = second.duration_since(first).unwrap();
    assert!(
        moved >= Duration::from_secs(3590) && moved <= Duration::from_secs(3610),
        "{moved:?}"
    );
    assert!(
        run.stderr.contains("clock skew:")
            && run.stderr.contains("s ahead of ours (Date header); re-signing with the corrected time and retrying once"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.starts_with("web\n"));
}

#[test]
fn clock_skew_without_a_date_or_twice_is_final() {
    let no_date = FaultServer::always(error_xml(400, "Bad Request", "RequestExpired", "expired"));
    let run = domain_list(&no_date.url(), &[]);
    assert_eq!((run.code, no_date.requests().len()), (1, 1), "{run:?}");
    assert!(error_line(&run).contains("RequestExpired: expired"));

    let date = http_date(SystemTime::now() - Duration::from_secs(7200));
    let always = FaultServer::always(http(
        403,
        "Forbidden",
        &[("Date", date.as_str())],
        "<ErrorResponse><Error><Code>InvalidSignatureException</Code><Message>Signature expired: 20260101T000000Z is now earlier than 20260101T010000Z</Message></Error></ErrorResponse>",
    ));
    let run = domain_list(&always.url(), &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(always.requests().len(), 2, "re-signed once, then final");
    assert!(error_line(&run).contains("InvalidSignatureException"));
}

// ---- ambiguous writes ------------------------------------------------------------------------

/// A server that creates on the first Create but loses the reply (reset, or a 500 if `as_500`),
/// then answers AlreadyExists; its Describe shows the stored thing.
fn lossy_create_server(as_500: bool, stored_image: &'static str) -> FaultServer {
    let created = Arc::new(AtomicBool::new(false));
    FaultServer::start(move |request, _| match request.action().as_str() {
        "CreateLaunchConfiguration" | "CreateAutoScalingGroup" => {
            if !created.swap(true, Ordering::SeqCst) {
                if as_500 {
                    error_xml(500, "Internal Server Error", "InternalFailure", "oops").into()
                } else {
                    Action::ResetAfter(Vec::new())
                }
            } else {
                error_xml(
                    400,
                    "Bad Request",
                    "AlreadyExists",
                    "already exists - name taken",
                )
                .into()
            }
        }
        "DescribeLaunchConfigurations" => Action::Reply(ok_xml(&format!(
            "<DescribeLaunchConfigurationsResponse xmlns=\"{NS}\"><DescribeLaunchConfigurationsResult>\
             <LaunchConfigurations><member><LaunchConfigurationName>lc1</LaunchConfigurationName>\
             <ImageId>{stored_image}</ImageId><InstanceType>m1.small</InstanceType></member></LaunchConfigurations>\
             </DescribeLaunchConfigurationsResult></DescribeLaunchConfigurationsResponse>"
        ))),
        "DescribeAutoScalingGroups" => Action::Reply(ok_xml(GROUPS_XML)),
        _ => error_xml(400, "Bad Request", "InvalidAction", "?").into(),
    })
}

impl From<Vec<u8>> for Action {
    fn from(bytes: Vec<u8>) -> Action {
        Action::Reply(bytes)
    }
}

#[test]
fn lost_create_reply_then_already_exists_is_success_when_it_matches() {
    for as_500 in [false, true] {
        let server = lossy_create_server(as_500, "ami-1");
        let url = server.url();
        let run = phantom(
            &[
                "--endpoint-url",
                &url,
                "--debug",
                "--output",
                "json",
                "lc",
                "create",
                "lc1",
                "ami-1",
                "--instance-type",
                "m1.small",
            ],
            &[],
        );
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(server.count("CreateLaunchConfiguration"), 2);
        assert_eq!(server.count("DescribeLaunchConfigurations"), 1);
        assert!(
            run.stderr
                .contains("the existing launch configuration lc1 matches the request"),
            "{}",
            run.stderr
        );
        let printed: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(printed["LaunchConfigurationName"], "lc1", "{}", run.stdout);
        assert_eq!(printed["RequestId"], "req-AlreadyExists", "{}", run.stdout);
    }
}

#[test]
fn lost_create_reply_then_already_exists_is_a_clear_conflict_when_it_differs() {
    let server = lossy_create_server(false, "ami-other");
    let url = server.url();
    let run = phantom(
        &[
            "--endpoint-url",
            &url,
            "lc",
            "create",
            "lc1",
            "ami-1",
            "--instance-type",
            "m1.small",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(server.count("CreateLaunchConfiguration"), 2);
    let line = error_line(&run);
    assert!(
        line.contains("CreateLaunchConfiguration failed: AlreadyExists: launch configuration lc1 already exists and differs from this request: image ami-other (asked ami-1)"),
        "{line}"
    );
    assert!(line.contains("nothing was changed"), "{line}");
}

#[test]
fn lost_group_create_is_checked_on_lc_and_sizes() {
    let server = lossy_create_server(false, "ami-1");
    let url = server.url();
    // GROUPS_XML holds web on lc1 with min 1, max 3, desired 2.
    let run = phantom(
        &[
            "--endpoint-url",
            &url,
            "--debug",
            "domain",
            "create",
            "web",
            "lc1",
            "2",
            "--min",
            "1",
            "--max",
            "3",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(server.count("CreateAutoScalingGroup"), 2);
    assert!(
        run.stderr
            .contains("the existing group web matches the request"),
        "{}",
        run.stderr
    );

    let server = lossy_create_server(true, "ami-1");
    let url = server.url();
    let run = phantom(
        &[
            "--endpoint-url",
            &url,
            "domain",
            "create",
            "web",
            "lc1",
            "3",
            "--max",
            "3",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let line = error_line(&run);
    assert!(
        line.contains("group web already exists and differs from this request: min size 1 (asked 3), desired capacity 2 (asked 3)"),
        "{line}"
    );
}

#[test]
fn already_exists_without_a_lost_reply_stays_an_error() {
    let server = FaultServer::always(error_xml(400, "Bad Request", "AlreadyExists", "name taken"));
    let url = server.url();
    let run = phantom(
        &["--endpoint-url", &url, "lc", "create", "lc1", "ami-1"],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(server.requests().len(), 1, "no retry, no Describe");
    assert!(error_line(&run).contains("AlreadyExists: name taken"));
}

// ---- REST retries ---------------------------------------------------------------------------

/// A REST client straight from the library, against `url`, with a short backoff.
fn rest_client(url: &str) -> phantom_autoscale::rest::Client {
    use phantom_autoscale::query::endpoint::Endpoint;
    use phantom_autoscale::rest::{Client, RestConfig, Token};
    let mut config = RestConfig::new(&Endpoint::parse(&format!("{url}/api/dev")).unwrap());
    config.retry.base_delay = Duration::from_millis(10);
    config.read_timeout = Duration::from_secs(5);
    config.deadline = Some(Duration::from_secs(20));
    Client::new(config).unwrap().with_token(Token {
        user_id: "1".into(),
        token: phantom_autoscale::Secret::new("tok-canary-0123456789"),
    })
}

#[tokio::test]
async fn rest_retries_an_idempotent_call_after_a_503_but_not_a_post() {
    let unavailable = || http(503, "Service Unavailable", &[], "busy");
    // GET: the first attempt meets a 503, the second the list.
    let server = FaultServer::start(move |_, n| {
        if n == 0 {
            Action::Reply(unavailable())
        } else {
            Action::Reply(http(
                200,
                "OK",
                &[("Content-Type", "application/json")],
                "[]",
            ))
        }
    });
    let domains = rest_client(&server.url()).domains().await.unwrap();
    assert!(domains.is_empty());
    let seen = server.requests();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen.iter()
            .all(|r| r.head.starts_with("GET /api/dev/domains "))
    );

    // DELETE is idempotent too; a 503 every time ends after the policy's 3 attempts.
    let server = FaultServer::start(move |_, _| Action::Reply(unavailable()));
    let e = rest_client(&server.url())
        .delete_domain("d")
        .await
        .unwrap_err();
    assert_eq!(e.as_service().map(|s| s.status), Some(503), "{e}");
    assert_eq!(server.requests().len(), 3);

    // POST (a create) is sent once: a lost reply may hide a domain that was made.
    let server = FaultServer::start(move |_, _| Action::Reply(unavailable()));
    let input = phantom_autoscale::rest::DomainInput::multicloud("d", "lc", 1);
    let e = rest_client(&server.url())
        .create_domain(&input)
        .await
        .unwrap_err();
    assert_eq!(e.as_service().map(|s| s.status), Some(503), "{e}");
    assert_eq!(server.requests().len(), 1);
}
