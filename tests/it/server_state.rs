//! State on the built-in endpoint: a restart with the same file keeps everything; a `kill -9`
//! during a burst of writes loses no acknowledged write and leaves no torn record; 32 concurrent
//! clients leave counts that add up.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::run::scratch_dir;
use crate::util::server::*;
use phantom_autoscale::autoscaling::types::*;
use phantom_autoscale::server::{ServeOptions, start};

fn file_options(state: &Path) -> ServeOptions {
    ServeOptions {
        state: Some(state.to_path_buf()),
        ..open_options()
    }
}

/// Every group (all pages).
async fn all_groups(c: &Client) -> Vec<AutoScalingGroup> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = vec![("MaxRecords", "100")];
        if let Some(t) = &token {
            params.push(("NextToken", t.as_str()));
        }
        let page: DescribeAutoScalingGroupsOutput =
            c.call("DescribeAutoScalingGroups", &params).await.ok();
        out.extend(page.auto_scaling_groups.unwrap_or_default());
        token = page.next_token;
        if token.is_none() {
            return out;
        }
    }
}

/// Every launch configuration name (all pages).
async fn all_lc_names(c: &Client) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = vec![("MaxRecords", "100")];
        if let Some(t) = &token {
            params.push(("NextToken", t.as_str()));
        }
        let page: DescribeLaunchConfigurationsOutput =
            c.call("DescribeLaunchConfigurations", &params).await.ok();
        out.extend(
            page.launch_configurations
                .unwrap_or_default()
                .into_iter()
                .filter_map(|l| l.launch_configuration_name),
        );
        token = page.next_token;
        if token.is_none() {
            return out;
        }
    }
}

/// Every instance (all pages).
async fn all_instances(c: &Client) -> Vec<AutoScalingInstanceDetails> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = vec![("MaxRecords", "100")];
        if let Some(t) = &token {
            params.push(("NextToken", t.as_str()));
        }
        let page: DescribeAutoScalingInstancesOutput =
            c.call("DescribeAutoScalingInstances", &params).await.ok();
        out.extend(page.auto_scaling_instances.unwrap_or_default());
        token = page.next_token;
        if token.is_none() {
            return out;
        }
    }
}

#[tokio::test]
async fn a_restart_keeps_everything() {
    let dir = scratch_dir("restart");
    let state = dir.join("state.db");
    let server = start(file_options(&state)).await.unwrap();
    let c = Client::new(&server);
    create_lc(&c, "lc@foxtrot").await.done();
    create_group(&c, "g", "lc", 0, 5, 3).await.done();
    c.call(
        "CreateOrUpdateTags",
        &[
            ("Tags.member.1.ResourceId", "g"),
            ("Tags.member.1.Key", "owner"),
            ("Tags.member.1.Value", "me"),
        ],
    )
    .await
    .done();
    let before = wait_group(&c, "g", Duration::from_secs(20), |g| {
        states(g) == ["InService", "InService", "InService"]
    })
    .await;
    let acts_before: DescribeScalingActivitiesOutput =
        c.call("DescribeScalingActivities", &[]).await.ok();
    server.shutdown().await;

    let server = start(file_options(&state)).await.unwrap();
    let c = Client::new(&server);
    let after = group(&c, "g").await.expect("group survives a restart");
    assert_eq!(after, before);
    assert_eq!(
        after.instances.as_ref().unwrap()[0]
            .availability_zone
            .as_deref(),
        Some("foxtrot")
    );
    let acts_after: DescribeScalingActivitiesOutput =
        c.call("DescribeScalingActivities", &[]).await.ok();
    assert_eq!(acts_after.activities, acts_before.activities);
    assert_eq!(acts_after.activities.unwrap().len(), 3);
    assert_eq!(
        all_lc_names(&c).await,
        BTreeSet::from(["lc@foxtrot".to_string()])
    );
    // The rules still hold against the reopened state.
    create_lc(&c, "lc@foxtrot")
        .await
        .fails(400, "AlreadyExists");
    c.call(
        "SetDesiredCapacity",
        &[("AutoScalingGroupName", "g"), ("DesiredCapacity", "1")],
    )
    .await
    .done();
    assert_eq!(group(&c, "g").await.unwrap().desired_capacity, Some(1));
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

const CHILD_ENV: &str = "PHANTOM_TEST_CRASH_CHILD_STATE";

/// Not a test of its own: the child process of `kill_9_loses_no_acknowledged_write`. When the
/// test binary is re-run with `PHANTOM_TEST_CRASH_CHILD_STATE` set, this serves that state file,
/// prints its address and waits to be killed; otherwise it returns at once.
#[test]
fn crash_child_entry_point() {
    let Ok(state) = std::env::var(CHILD_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let server = start(file_options(Path::new(&state))).await.unwrap();
        println!("\nPHANTOM-CHILD-ADDR {}", server.addr);
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        // Wait to be killed; give up after two minutes so an orphan cannot linger.
        tokio::time::sleep(Duration::from_secs(120)).await;
    });
}

#[test]
fn kill_9_loses_no_acknowledged_write() {
    let dir = scratch_dir("crash");
    let state = dir.join("state.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            // The test's full name in the one test binary (`SUITE::NAME`).
            "server_state::crash_child_entry_point",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        match lines.next() {
            Some(Ok(line)) => {
                // libtest may print its own `test ... ` prefix on the same line.
                if let Some((_, a)) = line.split_once("PHANTOM-CHILD-ADDR ") {
                    break a.trim().to_string();
                }
            }
            _ => {
                let _ = child.kill();
                panic!("the child server did not start");
            }
        }
    };
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    runtime.block_on(async {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}/");
        let mut writers = Vec::new();
        for w in 0..4 {
            let (http, url, acked) = (http.clone(), url.clone(), acked.clone());
            writers.push(tokio::spawn(async move {
                for i in 0.. {
                    let lc = format!("lc-{w}-{i}");
                    let g = format!("g-{w}-{i}");
                    let steps = [
                        format!(
                            "Action=CreateLaunchConfiguration&LaunchConfigurationName={lc}\
                             &ImageId=ami-1&InstanceType=m1.small"
                        ),
                        format!(
                            "Action=CreateAutoScalingGroup&AutoScalingGroupName={g}\
                             &LaunchConfigurationName={lc}&MinSize=2&MaxSize=2"
                        ),
                    ];
                    for (step, body) in steps.iter().enumerate() {
                        let sent = http
                            .post(&url)
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .body(body.clone())
                            .send()
                            .await;
                        match sent {
                            Ok(r) if r.status() == 200 => {
                                let name = if step == 0 { &lc } else { &g };
                                acked.lock().unwrap().push(name.clone());
                            }
                            _ => return,
                        }
                    }
                }
            }));
        }
        // Let the burst run, then kill the server in the middle of it.
        let deadline = Instant::now() + Duration::from_secs(20);
        while acked.lock().unwrap().len() < 300 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        child.kill().unwrap();
        let _ = child.wait();
        for w in writers {
            let _ = tokio::time::timeout(Duration::from_secs(15), w).await;
        }
    });
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 20,
        "too few writes before the kill: {}",
        acked.len()
    );

    // The file is a sound database after the kill.
    {
        let conn = rusqlite::Connection::open(&state).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }
    runtime.block_on(async {
        let server = start(file_options(&state)).await.unwrap();
        let c = Client::new(&server);
        let lcs = all_lc_names(&c).await;
        let groups = all_groups(&c).await;
        let group_names: BTreeSet<String> = groups
            .iter()
            .map(|g| g.auto_scaling_group_name.clone().unwrap())
            .collect();
        for name in &acked {
            let present = if name.starts_with("lc-") {
                lcs.contains(name)
            } else {
                group_names.contains(name)
            };
            assert!(present, "acknowledged write {name} was lost");
        }
        // No torn record: every group is whole — its launch configuration exists and it has
        // exactly its two instances, each with its launch activity.
        let instances = all_instances(&c).await;
        for g in &groups {
            let name = g.auto_scaling_group_name.clone().unwrap();
            let lc = g.launch_configuration_name.clone().unwrap();
            assert!(lcs.contains(&lc), "{name} uses missing {lc}");
            assert_eq!(g.instances.as_ref().unwrap().len(), 2, "{name}");
            let acts: DescribeScalingActivitiesOutput = c
                .call(
                    "DescribeScalingActivities",
                    &[("AutoScalingGroupName", &name)],
                )
                .await
                .ok();
            assert_eq!(acts.activities.unwrap().len(), 2, "{name}");
        }
        assert_eq!(instances.len(), groups.len() * 2);
        server.shutdown().await;
    });
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_clients_add_up() {
    let dir = scratch_dir("concurrent");
    let state = dir.join("state.db");
    let server = start(file_options(&state)).await.unwrap();
    let base = Client::new(&server);
    create_lc(&base, "shared@alamo").await.done();
    let mut tasks = Vec::new();
    for client in 0..32 {
        let c = base.clone();
        tasks.push(tokio::spawn(async move {
            // All 32 race for one name: exactly one may win.
            let contested = create_group(&c, "contested", "shared", 0, 1, 0).await;
            let won = match contested.status {
                200 => true,
                _ => {
                    assert_eq!(contested.code(), "AlreadyExists");
                    false
                }
            };
            // Each creates 6 groups of 1 and force-deletes every other one.
            for j in 0..6 {
                let name = format!("c{client}-g{j}");
                create_group(&c, &name, "shared", 1, 1, 1).await.done();
                if j % 2 == 1 {
                    c.call(
                        "DeleteAutoScalingGroup",
                        &[("AutoScalingGroupName", &name), ("ForceDelete", "true")],
                    )
                    .await
                    .done();
                }
            }
            won
        }));
    }
    let mut winners = 0;
    for t in tasks {
        if t.await.unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1, "exactly one client creates the contested group");
    let groups = all_groups(&base).await;
    assert_eq!(groups.len(), 32 * 3 + 1);
    for client in 0..32 {
        for j in 0..6 {
            let name = format!("c{client}-g{j}");
            let present = groups
                .iter()
                .any(|g| g.auto_scaling_group_name.as_deref() == Some(name.as_str()));
            assert_eq!(present, j % 2 == 0, "{name}");
        }
    }
    let instances = all_instances(&base).await;
    assert_eq!(instances.len(), 32 * 3);
    let ids: BTreeSet<_> = instances.iter().map(|i| i.instance_id.clone()).collect();
    assert_eq!(ids.len(), 32 * 3, "instance ids are unique");
    for g in &groups {
        let n = g.instances.as_ref().unwrap().len() as i32;
        assert_eq!(
            Some(n),
            g.desired_capacity,
            "{:?}",
            g.auto_scaling_group_name
        );
    }
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
