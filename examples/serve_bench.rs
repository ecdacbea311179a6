//! Requests per second of the built-in endpoint with 8 concurrent clients, or of any other Query
//! endpoint (moto) given as the first argument, on the same workload: each client loops
//! CreateLaunchConfiguration, DescribeLaunchConfigurations (by name), DeleteLaunchConfiguration,
//! all signed with SigV4 (moto routes on the SigV4 scope).
//!
//! `cargo run --release --example serve_bench` (built-in, state file in a temp dir and in memory)
//! or `cargo run --release --example serve_bench -- http://127.0.0.1:PORT` (e.g. moto).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use phantom_autoscale::Credentials;
use phantom_autoscale::query::QueryRequest;
use phantom_autoscale::query::sign::{SignatureVersion, SigningParams, sign};
use phantom_autoscale::server::{ServeOptions, start};

const CLIENTS: usize = 8;
const SECONDS: u64 = 5;

async fn bench(host: String, port: u16, creds: Credentials) -> (u64, u64) {
    let http = reqwest::Client::new();
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(SECONDS);
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let (http, done, failed, creds, host) = (
            http.clone(),
            done.clone(),
            failed.clone(),
            creds.clone(),
            host.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < stop {
                let name = format!("bench-{client}-{i}");
                i += 1;
                let calls: [(&str, Vec<(&str, &str)>); 3] = [
                    (
                        "CreateLaunchConfiguration",
                        vec![
                            ("LaunchConfigurationName", &name),
                            ("ImageId", "ami-12345678"),
                            ("InstanceType", "m1.small"),
                        ],
                    ),
                    (
                        "DescribeLaunchConfigurations",
                        vec![("LaunchConfigurationNames.member.1", &name)],
                    ),
                    (
                        "DeleteLaunchConfiguration",
                        vec![("LaunchConfigurationName", &name)],
                    ),
                ];
                for (action, params) in calls {
                    let mut pairs = vec![
                        ("Action".to_string(), action.to_string()),
                        ("Version".to_string(), "2011-01-01".to_string()),
                    ];
                    pairs.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
                    let req = QueryRequest {
                        method: http::Method::POST,
                        scheme: "http".into(),
                        host: host.clone(),
                        port: Some(port),
                        path: "/".into(),
                        params: pairs,
                    };
                    let signing = SigningParams {
                        credentials: &creds,
                        region: "us-east-1",
                        service: "autoscaling",
                        time: SystemTime::now(),
                    };
                    let Ok(signed) = sign(&req, &SignatureVersion::V4, &signing) else {
                        failed.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    let mut b = http.post(&signed.url);
                    for (k, v) in &signed.headers {
                        b = b.header(k, v);
                    }
                    match b.body(signed.body).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    (done.load(Ordering::Relaxed), failed.load(Ordering::Relaxed))
}

fn report(what: &str, (ok, failed): (u64, u64)) {
    println!(
        "{what}: {:.0} requests/s ({ok} ok, {failed} failed, {CLIENTS} clients, {SECONDS} s)",
        ok as f64 / SECONDS as f64
    );
}

#[tokio::main]
async fn main() {
    let creds = Credentials::new("AKIDBENCH00000000001", "bench-secret");
    if let Some(url) = std::env::args().nth(1) {
        let rest = url.trim_start_matches("http://").trim_end_matches('/');
        let (host, port) = rest.rsplit_once(':').expect("URL with a port");
        let port: u16 = port.parse().expect("port");
        report(&url, bench(host.to_string(), port, creds).await);
        return;
    }
    let dir = std::env::temp_dir().join(format!("phantom-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for state in [None, Some(dir.join("state.db"))] {
        let label = match &state {
            Some(_) => "phantom serve (SQLite file, WAL)",
            None => "phantom serve (in memory)",
        };
        let server = start(ServeOptions {
            state,
            keys: vec![creds.clone()],
            ..ServeOptions::default()
        })
        .await
        .expect("server starts");
        report(
            label,
            bench("127.0.0.1".into(), server.addr.port(), creds.clone()).await,
        );
        server.shutdown().await;
    }
    let _ = std::fs::remove_dir_all(dir);
}
