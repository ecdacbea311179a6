//! The built-in endpoint under stress: 64 concurrent clients run a bounded minute of mixed
//! operations against `phantom serve` (a child process with a SQLite file), with malformed
//! requests mixed in. No 5xx (clients make one attempt, so nothing is hidden by retries), no lost
//! or phantom records (the server's final state is exactly what the clients were told), memory
//! flat (the server's resident set after warm-up and at the end), and every malformed request gets
//! its 4xx. `PHANTOM_STRESS_SECS` shortens or lengthens the run (default 60).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::util::peers::TempDir;
use crate::util::serve::{Served, credentials_file};
use futures_util::StreamExt;
use phantom_autoscale::Credentials;
use phantom_autoscale::autoscaling::Client;
use phantom_autoscale::autoscaling::types::*;
use phantom_autoscale::query::endpoint::Endpoint;
use phantom_autoscale::query::transport::{RetryPolicy, TransportConfig};

const CLIENTS: usize = 64;
const KEY: &str = "AKIDSTRESS";
const SECRET: &str = "stress-secret";

fn start_serve(dir: &TempDir) -> Served {
    let creds = credentials_file(&dir.0, &[("default", KEY, SECRET)]);
    let state = dir.0.join("state.db");
    Served::start(&[
        "--launch-delay",
        "100ms",
        "--terminate-delay",
        "100ms",
        // 64 clients keep a launch configuration every third step: past AWS's 200 per key.
        "--max-launch-configurations",
        "100000",
        "--max-groups",
        "100000",
        "--credentials",
        &creds,
        "--state",
        state.to_str().unwrap(),
    ])
}

/// The server's resident set in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn client(url: &str) -> Client {
    let mut config = TransportConfig::new(Endpoint::parse(url).unwrap(), "us-east-1");
    config.credentials = Some(Credentials::new(KEY, SECRET));
    config.retry = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    config.read_timeout = Duration::from_secs(30);
    Client::new(config).unwrap()
}

/// What one client believes exists when it stops.
#[derive(Default)]
struct Outcome {
    lcs: BTreeSet<String>,
    groups: BTreeSet<String>,
    calls: usize,
}

async fn worker(id: usize, client: Client, deadline: Instant) -> Outcome {
    let mut out = Outcome::default();
    let mut n = 0;
    macro_rules! call {
        ($e:expr) => {{
            out.calls += 1;
            match $e.await {
                Ok(v) => v,
                Err(e) => panic!("client {id} step {n}: {e}"),
            }
        }};
    }
    while Instant::now() < deadline {
        n += 1;
        let lc = format!("c{id}-lc{n}");
        let group = format!("c{id}-g{n}");
        call!(
            client.create_launch_configuration(&CreateLaunchConfigurationInput {
                launch_configuration_name: lc.clone(),
                image_id: Some("ami-12345678".into()),
                instance_type: Some("m1.small".into()),
                ..Default::default()
            })
        );
        out.lcs.insert(lc.clone());
        call!(
            client.create_auto_scaling_group(&CreateAutoScalingGroupInput {
                auto_scaling_group_name: group.clone(),
                launch_configuration_name: Some(lc.clone()),
                min_size: 0,
                max_size: 3,
                desired_capacity: Some(1),
                availability_zones: Some(vec!["hotel".into()]),
                ..Default::default()
            })
        );
        out.groups.insert(group.clone());
        call!(client.create_or_update_tags(&CreateOrUpdateTagsInput {
            tags: vec![Tag {
                resource_id: Some(group.clone()),
                resource_type: Some("auto-scaling-group".into()),
                key: Some("owner".into()),
                value: Some(format!("client-{id}")),
                propagate_at_launch: Some(false),
            }],
        }));
        call!(client.set_desired_capacity(&SetDesiredCapacityInput {
            auto_scaling_group_name: group.clone(),
            desired_capacity: 2,
            ..Default::default()
        }));
        let described = call!(client.describe_auto_scaling_groups(
            &DescribeAutoScalingGroupsInput {
                auto_scaling_group_names: Some(vec![group.clone()]),
                ..Default::default()
            }
        ));
        let found = described.auto_scaling_groups.unwrap_or_default();
        assert_eq!(
            found.len(),
            1,
            "client {id}: {group} not found after creating it"
        );
        assert_eq!(found[0].desired_capacity, Some(2));
        if let Some(instance) = found[0]
            .instances
            .iter()
            .flatten()
            .find_map(|i| i.instance_id.clone())
        {
            call!(client.terminate_instance_in_auto_scaling_group(
                &TerminateInstanceInAutoScalingGroupInput {
                    instance_id: Some(instance),
                    should_decrement_desired_capacity: true,
                    ..Default::default()
                }
            ));
        }
        call!(
            client.describe_scaling_activities(&DescribeScalingActivitiesInput {
                auto_scaling_group_name: Some(group.clone()),
                ..Default::default()
            })
        );
        // Two in three iterations clean up; the third leaves its records for the final count.
        if n % 3 != 0 {
            call!(
                client.delete_auto_scaling_group(&DeleteAutoScalingGroupInput {
                    auto_scaling_group_name: group.clone(),
                    force_delete: Some(true),
                })
            );
            out.groups.remove(&group);
            call!(
                client.delete_launch_configuration(&DeleteLaunchConfigurationInput {
                    launch_configuration_name: lc.clone(),
                })
            );
            out.lcs.remove(&lc);
        }
    }
    out
}

/// Malformed requests and the status each must get, sent while the load runs.
async fn malformed(url: String, deadline: Instant, sent: Arc<AtomicUsize>) {
    let http = reqwest::Client::new();
    let form = "application/x-www-form-urlencoded";
    let huge = format!(
        "Action=DescribeAutoScalingGroups&Version=2011-01-01&Pad={}",
        "x".repeat(4 << 20)
    );
    let cases: Vec<(&str, Vec<u8>, Option<&str>, u16)> = vec![
        (
            "bad percent-encoding / UTF-8",
            b"Action=Describe%ffAutoScalingGroups&Version=2011-01-01".to_vec(),
            None,
            400,
        ),
        ("huge body", huge.into_bytes(), None, 413),
        (
            "missing parameter",
            b"Action=CreateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=x".to_vec(),
            Some("valid"),
            400,
        ),
        (
            "bogus signature",
            b"Action=DescribeAutoScalingGroups&Version=2011-01-01".to_vec(),
            Some("bogus"),
            403,
        ),
        (
            "malformed signature",
            b"Action=DescribeAutoScalingGroups&Version=2011-01-01".to_vec(),
            Some("short"),
            400,
        ),
        (
            "unsigned",
            b"Action=DescribeAutoScalingGroups&Version=2011-01-01".to_vec(),
            None,
            403,
        ),
    ];
    let mut i = 0;
    while Instant::now() < deadline {
        let (what, body, auth, want) = &cases[i % cases.len()];
        i += 1;
        let mut request = http
            .post(&url)
            .header("Content-Type", form)
            .body(body.clone());
        match *auth {
            Some(kind @ ("bogus" | "short")) => {
                // Well formed and current but signed with nothing (SignatureDoesNotMatch), or a
                // signature that is not 64 hex digits (IncompleteSignature).
                let now = time::OffsetDateTime::now_utc();
                let date = format!(
                    "{:04}{:02}{:02}",
                    now.year(),
                    u8::from(now.month()),
                    now.day()
                );
                let stamp = format!(
                    "{date}T{:02}{:02}{:02}Z",
                    now.hour(),
                    now.minute(),
                    now.second()
                );
                let signature = if kind == "bogus" {
                    "0".repeat(64)
                } else {
                    "00".to_string()
                };
                let auth = format!(
                    "AWS4-HMAC-SHA256 Credential={KEY}/{date}/us-east-1/autoscaling/aws4_request, \
                     SignedHeaders=host;x-amz-date, Signature={signature}"
                );
                request = request
                    .header("X-Amz-Date", stamp)
                    .header("Authorization", auth);
            }
            Some("valid") => {
                // Signed properly with SigV2, so the only fault is the missing MinSize/MaxSize.
                let endpoint = Endpoint::parse(&url).unwrap();
                let params = phantom_autoscale::query::form::decode_pairs(body).unwrap();
                let signed = phantom_autoscale::query::sign::sign(
                    &phantom_autoscale::query::QueryRequest {
                        method: http::Method::POST,
                        scheme: endpoint.scheme.clone(),
                        host: endpoint.host.clone(),
                        port: endpoint.port,
                        path: endpoint.path.clone(),
                        params,
                    },
                    &phantom_autoscale::query::sign::SignatureVersion::V2(
                        phantom_autoscale::query::sign::HmacAlgorithm::Sha256,
                    ),
                    &phantom_autoscale::query::sign::SigningParams {
                        credentials: &Credentials::new(KEY, SECRET),
                        region: "us-east-1",
                        service: "autoscaling",
                        time: std::time::SystemTime::now(),
                    },
                )
                .unwrap();
                request = http
                    .post(&signed.url)
                    .header("Content-Type", form)
                    .body(signed.body);
            }
            _ => {}
        }
        let reply = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = reply.status().as_u16();
        let text = reply.text().await.unwrap_or_default();
        assert_eq!(status, *want, "{what}: {text}");
        assert!(
            text.contains("<ErrorResponse"),
            "{what}: not an XML error: {text}"
        );
        sent.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_clients_for_a_bounded_minute() {
    let secs: u64 = std::env::var("PHANTOM_STRESS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let dir = TempDir::new("stress");
    let serve = start_serve(&dir);
    let pid = serve.pid();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);

    let sent = Arc::new(AtomicUsize::new(0));
    let bad = tokio::spawn(malformed(serve.url.clone(), deadline, sent.clone()));
    let shared = client(&serve.url);
    let workers: Vec<_> = (0..CLIENTS)
        .map(|id| tokio::spawn(worker(id, shared.clone(), deadline)))
        .collect();

    // Memory after warm-up, then at the end.
    tokio::time::sleep(Duration::from_secs(secs / 4)).await;
    let warm = rss_kib(pid);
    let mut outcomes = Vec::new();
    for w in workers {
        outcomes.push(w.await.expect("a client panicked: see its message above"));
    }
    bad.await.expect("a malformed request got the wrong answer");
    let end = rss_kib(pid);

    let calls: usize = outcomes.iter().map(|o| o.calls).sum();
    let want_groups: BTreeSet<String> = outcomes
        .iter()
        .flat_map(|o| o.groups.iter().cloned())
        .collect();
    let want_lcs: BTreeSet<String> = outcomes
        .iter()
        .flat_map(|o| o.lcs.iter().cloned())
        .collect();

    // The server's state is exactly what the clients were told.
    let checker = client(&serve.url);
    let groups: BTreeSet<String> = checker
        .items(DescribeAutoScalingGroupsInput::default())
        .map(|g| g.unwrap().auto_scaling_group_name.unwrap())
        .collect()
        .await;
    let lcs: BTreeSet<String> = checker
        .items(DescribeLaunchConfigurationsInput::default())
        .map(|l| l.unwrap().launch_configuration_name.unwrap())
        .collect()
        .await;
    assert_eq!(groups, want_groups, "lost or phantom groups");
    assert_eq!(lcs, want_lcs, "lost or phantom launch configurations");
    assert!(
        !want_groups.is_empty() && calls > CLIENTS * 8,
        "too little work: {calls} calls"
    );
    assert!(
        sent.load(Ordering::Relaxed) >= 5,
        "malformed requests sent: {}",
        sent.load(Ordering::Relaxed)
    );

    eprintln!(
        "stress: {calls} calls by {CLIENTS} clients in {:.1} s ({:.0}/s), {} malformed requests refused, \
         {} groups and {} launch configurations left, server RSS {warm} KiB after warm-up, {end} KiB at the end",
        started.elapsed().as_secs_f64(),
        calls as f64 / started.elapsed().as_secs_f64(),
        sent.load(Ordering::Relaxed),
        groups.len(),
        lcs.len()
    );
    // Flat: the records left behind are on disk; the resident set may wobble, not climb.
    assert!(
        end < warm + 24 * 1024,
        "server memory grew from {warm} KiB to {end} KiB"
    );
}
