//! The Rust side of the side-by-side benchmark (`./benches/run.sh`, see BENCHMARKS.md).
//!
//! A `harness = false` bench: `cargo test` never runs it; `cargo bench --bench perf -- CMD ...`
//! or the built binary does. Each command prints one JSON object on stdout, which
//! `benches/run.py` puts next to the same measurement made with botocore/boto3 or moto:
//!
//! - `seed URL GROUPS INSTANCES [PREFIX]`: one launch configuration and GROUPS groups of
//!   INSTANCES instances each, created through the library client (8 calls in flight);
//! - `fetch URL DIR MAX_RECORDS [PAGES]`: raw DescribeAutoScalingGroups reply bodies, page by
//!   page, written as `DIR/page-NNNNN.xml` (the parsing fixtures both parsers read);
//! - `parse DIR SECONDS`: reply parsing of every file in DIR, repeated for SECONDS, by the client's
//!   current path (object tree, then shape) and by the one-pass typed reader: MB/s, groups/s,
//!   instances/s; and, as the floor no reader can beat, quick-xml's bare tokenizer over the same
//!   bytes (every event read, nothing kept);
//! - `sign SECONDS`: SigV4 and SigV2 signatures of a DescribeAutoScalingGroups request per second;
//! - `library URL SECONDS`: sequential DescribeAutoScalingGroups calls of one group through the
//!   library client (serialize, sign, send, parse): calls/s;
//! - `floor URL SECONDS`: sequential `GET URL/phantom-stats` (a handler that does nothing) over one
//!   pooled reqwest connection: the round trip every call pays on this machine, whatever the client;
//! - `load URL CLIENTS SECONDS`: requests/s of any Query endpoint with CLIENTS concurrent callers,
//!   each looping CreateLaunchConfiguration, DescribeLaunchConfigurations, DeleteLaunchConfiguration;
//! - `load-floor URL CLIENTS SECONDS`: requests/s of `GET URL/phantom-stats` (a handler doing
//!   nothing, on the same HTTP stack and server) with CLIENTS concurrent callers: what the stack
//!   alone allows, the floor of the endpoint's requests/s.
//!
//! - `schedule-all URL GROUPS [PREFIX]`: a recurring scheduled action (`0 0 1 1 *`, yearly) on
//!   each of GROUPS seeded groups, so the endpoint holds that many deadlines while it idles;
//! - `lateness URL COUNT [PREFIX]`: one-off scheduled actions on COUNT seeded groups, the i-th due
//!   at a whole second 3 + i/4 s ahead; once all are due, each group's scaling activity says when
//!   its action ran (the endpoint's own clock): lateness = that time - the action's StartTime,
//!   median and max in ms;
//! - `hook-lateness URL COUNT SCALE [PREFIX [FIRST]]`: a launch hook (HeartbeatTimeout 30 s,
//!   DefaultResult CONTINUE) on COUNT seeded groups from number FIRST (default 0) of an endpoint started with `--launch-delay 0s
//!   --hook-timeout-scale SCALE`, then one instance each, held in `Pending:Wait` until its
//!   heartbeat timeout (30 s x SCALE) runs out; each launch activity's end (the endpoint's clock)
//!   says when the timeout was acted on: lateness = end - start - the scaled timeout, in ms.
//!
//! Keys come from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (the benchmark's own server key, or
//! anything for moto); every call is signed with SigV4 for region `us-east-1`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use futures_util::StreamExt;
use phantom_autoscale::Credentials;
use phantom_autoscale::autoscaling::Client;
use phantom_autoscale::autoscaling::types::*;
use phantom_autoscale::query::QueryRequest;
use phantom_autoscale::query::endpoint::Endpoint;
use phantom_autoscale::query::sign::{HmacAlgorithm, SignatureVersion, SigningParams, sign};
use phantom_autoscale::query::transport::TransportConfig;
use phantom_autoscale::query::xml::{ReadError, TypedReply, parse_typed_reply};
use serde_json::json;

type Failure = Box<dyn std::error::Error>;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.is_empty() {
        // `cargo test --all-targets` runs bench targets without arguments: measure nothing.
        eprintln!("perf: nothing to measure without a command (run ./benches/run.sh)");
        return;
    }
    // Sequential calls (`library`, `floor`) run on one thread, as the CLI does; the rest (many
    // calls in flight) on two workers.
    let mut builder = match args[0].as_str() {
        "library" | "floor" => tokio::runtime::Builder::new_current_thread(),
        _ => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(2);
            b
        }
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("perf: cannot start the runtime: {e}");
            std::process::exit(2);
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(report) => println!("{report}"),
        Err(e) => {
            eprintln!("perf: {e}");
            std::process::exit(1);
        }
    }
}

async fn run(args: &[String]) -> Result<serde_json::Value, Failure> {
    let arg = |i: usize| -> Result<&str, Failure> {
        args.get(i)
            .map(String::as_str)
            .ok_or_else(|| format!("missing argument {i}; see the module documentation").into())
    };
    let number = |i: usize| -> Result<u64, Failure> { Ok(arg(i)?.parse()?) };
    match arg(0)? {
        "seed" => {
            let prefix = args.get(4).map(String::as_str).unwrap_or("bench");
            seed(arg(1)?, number(2)? as usize, number(3)? as i32, prefix).await
        }
        "fetch" => {
            let pages = args.get(4).map(|p| p.parse()).transpose()?;
            fetch(arg(1)?, Path::new(arg(2)?), number(3)? as i32, pages).await
        }
        "parse" => parse(Path::new(arg(1)?), seconds(number(2)?)),
        "sign" => sign_rate(seconds(number(1)?)),
        "library" => library(arg(1)?, seconds(number(2)?)).await,
        "load" => load(arg(1)?, number(2)? as usize, seconds(number(3)?)).await,
        "floor" => floor(arg(1)?, seconds(number(2)?)).await,
        "load-floor" => load_floor(arg(1)?, number(2)? as usize, seconds(number(3)?)).await,
        "schedule-all" => {
            let prefix = args.get(3).map(String::as_str).unwrap_or("bench");
            schedule_all(arg(1)?, number(2)? as usize, prefix).await
        }
        "lateness" => {
            let prefix = args.get(3).map(String::as_str).unwrap_or("bench");
            lateness(arg(1)?, number(2)? as usize, prefix).await
        }
        "hook-lateness" => {
            let scale: f64 = arg(3)?.parse()?;
            let prefix = args.get(4).map(String::as_str).unwrap_or("bench");
            let first = args.get(5).map(|n| n.parse()).transpose()?.unwrap_or(0);
            hook_lateness(arg(1)?, number(2)? as usize, scale, prefix, first).await
        }
        other => Err(format!("unknown command {other:?}").into()),
    }
}

fn seconds(n: u64) -> Duration {
    Duration::from_secs(n.max(1))
}

fn credentials() -> Credentials {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    Credentials::new(
        var("AWS_ACCESS_KEY_ID", "AKIDBENCH"),
        var("AWS_SECRET_ACCESS_KEY", "bench-secret"),
    )
}

/// A library client with SigV4 keys, no retries and short timeouts.
fn client(url: &str) -> Result<Client, Failure> {
    let mut config = TransportConfig::new(Endpoint::parse(url)?, "us-east-1");
    config.credentials = Some(credentials());
    config.retry.max_attempts = 1;
    config.connect_timeout = Duration::from_secs(5);
    config.read_timeout = Duration::from_secs(30);
    Ok(Client::new(config)?)
}

async fn seed(
    url: &str,
    groups: usize,
    instances: i32,
    prefix: &str,
) -> Result<serde_json::Value, Failure> {
    let client = client(url)?;
    let lc = format!("{prefix}-lc");
    client
        .create_launch_configuration(&CreateLaunchConfigurationInput {
            launch_configuration_name: lc.clone(),
            image_id: Some("ami-12345678".into()),
            instance_type: Some("m1.small".into()),
            ..Default::default()
        })
        .await?;
    let started = Instant::now();
    let results: Vec<_> = futures_util::stream::iter(0..groups)
        .map(|i| {
            let (client, lc) = (&client, &lc);
            async move {
                client
                    .create_auto_scaling_group(&CreateAutoScalingGroupInput {
                        auto_scaling_group_name: format!("{prefix}-{i:05}"),
                        launch_configuration_name: Some(lc.clone()),
                        min_size: 0,
                        max_size: instances.max(1),
                        desired_capacity: Some(instances),
                        availability_zones: Some(vec!["us-east-1a".into()]),
                        ..Default::default()
                    })
                    .await
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        return Err(format!("{failed} of {groups} groups failed, first: {e}").into());
    }
    Ok(json!({"seeded": groups, "instances_per_group": instances,
              "seconds": started.elapsed().as_secs_f64()}))
}

/// A yearly recurring scheduled action on each seeded group (8 calls in flight).
async fn schedule_all(
    url: &str,
    groups: usize,
    prefix: &str,
) -> Result<serde_json::Value, Failure> {
    let client = client(url)?;
    let started = Instant::now();
    let results: Vec<_> = futures_util::stream::iter(0..groups)
        .map(|i| {
            let client = &client;
            async move {
                client
                    .put_scheduled_update_group_action(&PutScheduledUpdateGroupActionInput {
                        auto_scaling_group_name: format!("{prefix}-{i:05}"),
                        scheduled_action_name: "yearly".into(),
                        recurrence: Some("0 0 1 1 *".into()),
                        desired_capacity: Some(0),
                        ..Default::default()
                    })
                    .await
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        return Err(format!("{failed} of {groups} actions failed, first: {e}").into());
    }
    Ok(json!({"scheduled": groups, "seconds": started.elapsed().as_secs_f64()}))
}

/// One-off actions due over the next seconds, then how late each ran by its activity.
async fn lateness(url: &str, count: usize, prefix: &str) -> Result<serde_json::Value, Failure> {
    use phantom_autoscale::query::timestamp::Timestamp;
    let client = client(url)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // The i-th action at whole second now + 3 + i/4 (four due in each second).
    let due: Vec<i64> = (0..count).map(|i| now + 3 + (i as i64) / 4).collect();
    for (i, at) in due.iter().enumerate() {
        let start = time::OffsetDateTime::from_unix_timestamp(*at)?;
        client
            .put_scheduled_update_group_action(&PutScheduledUpdateGroupActionInput {
                auto_scaling_group_name: format!("{prefix}-{i:05}"),
                scheduled_action_name: "lateness".into(),
                start_time: Some(Timestamp(start)),
                desired_capacity: Some(1),
                ..Default::default()
            })
            .await?;
    }
    let last = due.last().copied().unwrap_or(now);
    let wait = (last + 2 - time::OffsetDateTime::now_utc().unix_timestamp()).max(0) as u64;
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let mut late_ms = Vec::new();
    for (i, at) in due.iter().enumerate() {
        let out = client
            .describe_scaling_activities(&DescribeScalingActivitiesInput {
                auto_scaling_group_name: Some(format!("{prefix}-{i:05}")),
                ..Default::default()
            })
            .await?;
        let ran = out
            .activities
            .unwrap_or_default()
            .into_iter()
            .filter(|a| {
                a.cause
                    .as_deref()
                    .is_some_and(|c| c.contains("a scheduled action"))
            })
            .filter_map(|a| a.start_time)
            .map(|t| (t.0.unix_timestamp_nanos() / 1_000_000) as i64)
            .min()
            .ok_or_else(|| format!("the action of group {i} did not run"))?;
        late_ms.push(ran - at * 1000);
    }
    late_ms.sort_unstable();
    let median = late_ms.get(late_ms.len() / 2).copied().unwrap_or(0);
    let max = late_ms.last().copied().unwrap_or(0);
    Ok(
        json!({"actions": count, "late_ms_median": median, "late_ms_max": max,
              "late_ms_min": late_ms.first().copied().unwrap_or(0)}),
    )
}

async fn hook_lateness(
    url: &str,
    count: usize,
    scale: f64,
    prefix: &str,
    first: usize,
) -> Result<serde_json::Value, Failure> {
    let client = client(url)?;
    const HEARTBEAT_S: i32 = 30;
    let timeout_ms = (f64::from(HEARTBEAT_S) * 1000.0 * scale).round() as i64;
    for i in first..first + count {
        let group = format!("{prefix}-{i:05}");
        client
            .put_lifecycle_hook(&PutLifecycleHookInput {
                lifecycle_hook_name: "hold".into(),
                auto_scaling_group_name: group.clone(),
                lifecycle_transition: Some("autoscaling:EC2_INSTANCE_LAUNCHING".into()),
                heartbeat_timeout: Some(HEARTBEAT_S),
                default_result: Some("CONTINUE".into()),
                ..Default::default()
            })
            .await?;
        client
            .set_desired_capacity(&SetDesiredCapacityInput {
                auto_scaling_group_name: group,
                desired_capacity: 1,
                ..Default::default()
            })
            .await?;
    }
    tokio::time::sleep(Duration::from_millis(timeout_ms as u64 + 2000)).await;
    let mut late_ms = Vec::new();
    for i in first..first + count {
        let out = client
            .describe_scaling_activities(&DescribeScalingActivitiesInput {
                auto_scaling_group_name: Some(format!("{prefix}-{i:05}")),
                ..Default::default()
            })
            .await?;
        let millis = |t: &phantom_autoscale::query::timestamp::Timestamp| {
            (t.0.unix_timestamp_nanos() / 1_000_000) as i64
        };
        let launch = out
            .activities
            .unwrap_or_default()
            .into_iter()
            .find(|a| {
                a.description
                    .as_deref()
                    .is_some_and(|d| d.starts_with("Launching"))
            })
            .ok_or_else(|| format!("group {i} launched nothing"))?;
        let (Some(start), Some(end)) = (&launch.start_time, &launch.end_time) else {
            return Err(format!("the launch of group {i} is still held").into());
        };
        late_ms.push(millis(end) - millis(start) - timeout_ms);
    }
    late_ms.sort_unstable();
    let median = late_ms.get(late_ms.len() / 2).copied().unwrap_or(0);
    let max = late_ms.last().copied().unwrap_or(0);
    Ok(
        json!({"hooks": count, "timeout_ms": timeout_ms, "late_ms_median": median,
              "late_ms_max": max, "late_ms_min": late_ms.first().copied().unwrap_or(0)}),
    )
}

/// Signs a Query request with SigV4 (region `us-east-1`, service `autoscaling`).
fn signed_request(
    url: &Endpoint,
    params: Vec<(String, String)>,
    version: &SignatureVersion,
    creds: &Credentials,
) -> Result<phantom_autoscale::query::SignedRequest, Failure> {
    let req = QueryRequest {
        method: http::Method::POST,
        scheme: url.scheme.clone(),
        host: url.host.clone(),
        port: url.port,
        path: url.path.clone(),
        params,
    };
    let signing = SigningParams {
        credentials: creds,
        region: "us-east-1",
        service: "autoscaling",
        time: SystemTime::now(),
    };
    Ok(sign(&req, version, &signing)?)
}

async fn fetch(
    url: &str,
    dir: &Path,
    max_records: i32,
    pages: Option<usize>,
) -> Result<serde_json::Value, Failure> {
    std::fs::create_dir_all(dir)?;
    let endpoint = Endpoint::parse(url)?;
    let creds = credentials();
    let http = reqwest::Client::new();
    let mut token: Option<String> = None;
    let (mut count, mut bytes, mut groups) = (0usize, 0usize, 0usize);
    loop {
        let mut params = vec![
            ("Action".into(), "DescribeAutoScalingGroups".into()),
            ("Version".into(), "2011-01-01".into()),
            ("MaxRecords".into(), max_records.to_string()),
        ];
        if let Some(t) = &token {
            params.push(("NextToken".into(), t.clone()));
        }
        let signed = signed_request(&endpoint, params, &SignatureVersion::V4, &creds)?;
        let mut request = http.post(&signed.url).body(signed.body);
        for (k, v) in &signed.headers {
            request = request.header(k, v);
        }
        let body = request.send().await?.error_for_status()?.bytes().await?;
        let output = parse_groups_typed(&body)?;
        count += 1;
        bytes += body.len();
        groups += output.auto_scaling_groups.as_ref().map_or(0, Vec::len);
        std::fs::write(dir.join(format!("page-{count:05}.xml")), &body)?;
        token = output.next_token;
        if token.is_none() || pages.is_some_and(|p| count >= p) {
            break;
        }
    }
    Ok(json!({"pages": count, "bytes": bytes, "groups": groups}))
}

/// The one-pass reader (`parse_typed_reply`): bytes to shape without the object tree.
fn parse_groups_typed(body: &[u8]) -> Result<DescribeAutoScalingGroupsOutput, Failure> {
    match parse_typed_reply("DescribeAutoScalingGroups", body) {
        Ok(TypedReply::Success { output, .. }) => Ok(output),
        Ok(TypedReply::Error(e)) => Err(format!("error reply {}: {}", e.code, e.message).into()),
        Err(ReadError::Xml(e) | ReadError::Shape(e)) => Err(e.into()),
    }
}

fn read_fixtures(dir: &Path) -> Result<Vec<Vec<u8>>, Failure> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!("no .xml files in {}", dir.display()).into());
    }
    Ok(paths.iter().map(std::fs::read).collect::<Result<_, _>>()?)
}

fn parse(dir: &Path, budget: Duration) -> Result<serde_json::Value, Failure> {
    let files = read_fixtures(dir)?;
    let bytes: usize = files.iter().map(Vec::len).sum();
    let (mut groups, mut instances) = (0usize, 0usize);
    for body in &files {
        let out = parse_groups_typed(body)?;
        for g in out.auto_scaling_groups.unwrap_or_default() {
            groups += 1;
            instances += g.instances.map_or(0, |i| i.len());
        }
    }
    let mut report = json!({
        "files": files.len(), "bytes": bytes, "groups": groups, "instances": instances,
    });
    {
        let (name, read) = ("typed", parse_groups_typed);
        let started = Instant::now();
        let mut rounds = 0u64;
        while started.elapsed() < budget {
            for body in &files {
                std::hint::black_box(read(std::hint::black_box(body))?);
            }
            rounds += 1;
        }
        let per_round = started.elapsed().as_secs_f64() / rounds as f64;
        report[name] = json!({
            "rounds": rounds, "seconds_per_round": per_round,
            "mb_per_s": bytes as f64 / per_round / 1e6,
            "groups_per_s": groups as f64 / per_round,
            "instances_per_s": instances as f64 / per_round,
        });
    }
    let started = Instant::now();
    let mut rounds = 0u64;
    while started.elapsed() < budget {
        for body in &files {
            std::hint::black_box(tokenize(std::hint::black_box(body))?);
        }
        rounds += 1;
    }
    let per_round = started.elapsed().as_secs_f64() / rounds as f64;
    report["tokenize"] = json!({
        "rounds": rounds, "seconds_per_round": per_round,
        "mb_per_s": bytes as f64 / per_round / 1e6,
    });
    Ok(report)
}

/// quick-xml's tokenizer over `body`, every event read and dropped: the least any reader of these
/// bytes must do. Returns the number of events.
fn tokenize(body: &[u8]) -> Result<u64, Failure> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut buf = Vec::new();
    let mut events = 0u64;
    loop {
        match reader.read_event_into(&mut buf)? {
            quick_xml::events::Event::Eof => return Ok(events),
            _ => events += 1,
        }
        buf.clear();
    }
}

/// The request both signers sign: DescribeAutoScalingGroups of two named groups.
fn sign_params() -> Vec<(String, String)> {
    [
        ("Action", "DescribeAutoScalingGroups"),
        ("Version", "2011-01-01"),
        ("AutoScalingGroupNames.member.1", "bench-00001"),
        ("AutoScalingGroupNames.member.2", "bench-00002"),
        ("MaxRecords", "50"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn sign_rate(budget: Duration) -> Result<serde_json::Value, Failure> {
    let endpoint = Endpoint::parse("http://127.0.0.1:8445/")?;
    let creds = credentials();
    let mut report = serde_json::Map::new();
    for (name, version) in [
        ("v4", SignatureVersion::V4),
        ("v2", SignatureVersion::V2(HmacAlgorithm::Sha256)),
    ] {
        let started = Instant::now();
        let mut n = 0u64;
        while started.elapsed() < budget {
            for _ in 0..100 {
                std::hint::black_box(signed_request(&endpoint, sign_params(), &version, &creds)?);
            }
            n += 100;
        }
        report.insert(
            format!("{name}_per_s"),
            json!(n as f64 / started.elapsed().as_secs_f64()),
        );
    }
    Ok(serde_json::Value::Object(report))
}

async fn library(url: &str, budget: Duration) -> Result<serde_json::Value, Failure> {
    let client = client(url)?;
    let input = DescribeAutoScalingGroupsInput {
        auto_scaling_group_names: Some(vec!["bench-00001".into()]),
        ..Default::default()
    };
    let first = client.describe_auto_scaling_groups(&input).await?;
    if first.auto_scaling_groups.map_or(0, |g| g.len()) != 1 {
        return Err("group bench-00001 not found".into());
    }
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < budget {
        std::hint::black_box(client.describe_auto_scaling_groups(&input).await?);
        n += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    Ok(json!({"calls": n, "calls_per_s": n as f64 / secs, "us_per_call": secs * 1e6 / n as f64}))
}

async fn floor(url: &str, budget: Duration) -> Result<serde_json::Value, Failure> {
    let http = reqwest::Client::new();
    let target = format!("{}/phantom-stats", url.trim_end_matches('/'));
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < budget {
        std::hint::black_box(http.get(&target).send().await?.bytes().await?);
        n += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    Ok(json!({"calls": n, "calls_per_s": n as f64 / secs, "us_per_call": secs * 1e6 / n as f64}))
}

async fn load_floor(
    url: &str,
    clients: usize,
    budget: Duration,
) -> Result<serde_json::Value, Failure> {
    let http = reqwest::Client::new();
    let target = Arc::new(format!("{}/phantom-stats", url.trim_end_matches('/')));
    let (done, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let started = Instant::now();
    let stop = started + budget;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, target) = (http.clone(), target.clone());
            let (done, failed) = (done.clone(), failed.clone());
            tokio::spawn(async move {
                while Instant::now() < stop {
                    let ok = match http.get(target.as_str()).send().await {
                        Ok(reply) => reply.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    if ok { &done } else { &failed }.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let (ok, bad) = (done.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    Ok(json!({"clients": clients, "requests": ok, "failed": bad,
              "requests_per_s": ok as f64 / secs}))
}

async fn load(url: &str, clients: usize, budget: Duration) -> Result<serde_json::Value, Failure> {
    let client = client(url)?;
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let stop = started + budget;
    let run = std::process::id();
    let tasks: Vec<_> = (0..clients)
        .map(|worker| {
            let (client, done, failed) = (client.clone(), done.clone(), failed.clone());
            tokio::spawn(async move {
                let mut i = 0u64;
                while Instant::now() < stop {
                    let name = format!("load-{run}-{worker}-{i}");
                    i += 1;
                    let create = client
                        .create_launch_configuration(&CreateLaunchConfigurationInput {
                            launch_configuration_name: name.clone(),
                            image_id: Some("ami-12345678".into()),
                            instance_type: Some("m1.small".into()),
                            ..Default::default()
                        })
                        .await;
                    let describe = client
                        .describe_launch_configurations(&DescribeLaunchConfigurationsInput {
                            launch_configuration_names: Some(vec![name.clone()]),
                            ..Default::default()
                        })
                        .await;
                    let delete = client
                        .delete_launch_configuration(&DeleteLaunchConfigurationInput {
                            launch_configuration_name: name,
                        })
                        .await;
                    for ok in [create.is_ok(), describe.is_ok(), delete.is_ok()] {
                        if ok { &done } else { &failed }.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let (ok, bad) = (done.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    Ok(json!({"clients": clients, "requests": ok, "failed": bad,
              "requests_per_s": ok as f64 / secs}))
}
