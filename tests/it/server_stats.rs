//! The built-in endpoint's connection counter and its opt-in `GET /phantom-stats` path: pages and
//! concurrent calls of one library client reuse its pooled connections.

use std::time::Duration;

use crate::util::server as common;
use futures_util::StreamExt;
use phantom_autoscale::autoscaling::Client;
use phantom_autoscale::autoscaling::types::DescribeAutoScalingGroupsInput;
use phantom_autoscale::query::endpoint::Endpoint;
use phantom_autoscale::query::transport::TransportConfig;
use phantom_autoscale::server::{ServeOptions, start};

fn library_client(url: &str) -> Client {
    let mut config = TransportConfig::new(Endpoint::parse(url).unwrap(), "us-east-1");
    config.retry.max_attempts = 1;
    config.read_timeout = Duration::from_secs(10);
    Client::new(config).unwrap()
}

#[tokio::test]
async fn pages_and_concurrent_calls_reuse_connections() {
    let server = start(ServeOptions {
        stats: true,
        ..common::open_options()
    })
    .await
    .unwrap();
    let test_client = common::Client::new(&server);
    common::create_lc(&test_client, "lc").await.done();
    for i in 0..5 {
        common::create_group(&test_client, &format!("g{i}"), "lc", 0, 1, 0)
            .await
            .done();
    }
    let before = server.accepted_connections();
    assert!(before >= 1);

    let client = library_client(&server.url());
    let input = DescribeAutoScalingGroupsInput {
        max_records: Some(1),
        ..Default::default()
    };
    let names: Vec<String> = client
        .items(input)
        .map(|g| g.unwrap().auto_scaling_group_name.unwrap())
        .collect()
        .await;
    assert_eq!(names, ["g0", "g1", "g2", "g3", "g4"]);
    assert_eq!(
        server.accepted_connections(),
        before + 1,
        "five pages over one connection"
    );

    // Eight calls at once open at most eight connections, and the next eight reuse them.
    let all = DescribeAutoScalingGroupsInput::default();
    let wave = || {
        futures_util::future::join_all((0..8).map(|_| client.describe_auto_scaling_groups(&all)))
    };
    assert!(wave().await.iter().all(Result::is_ok));
    let after_first = server.accepted_connections();
    assert!(after_first <= before + 8, "{after_first}");
    assert!(wave().await.iter().all(Result::is_ok));
    assert_eq!(server.accepted_connections(), after_first);

    let shown = reqwest::get(format!("{}/phantom-stats", server.url()))
        .await
        .unwrap();
    assert_eq!(shown.status(), 200);
    let text = shown.text().await.unwrap();
    assert!(text.starts_with("accepted_connections "), "{text}");
    server.shutdown().await;
}

#[tokio::test]
async fn stats_path_is_off_by_default() {
    let server = common::start_open().await;
    let test_client = common::Client::new(&server);
    test_client
        .raw("GET", "/phantom-stats", vec![], None)
        .await
        .fails(404, "NotFound");
    assert!(server.accepted_connections() >= 1);
    server.shutdown().await;
}
