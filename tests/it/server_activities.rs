//! Scaling activities on the built-in endpoint (issue 9, item 8): a group keeps a bounded history
//! (the newest `MAX_ACTIVITIES_PER_GROUP`, and six weeks, as AWS documents), so a flood of
//! capacity flips by one key leaves the store bounded while another key's calls are answered;
//! DescribeScalingActivities pages through what is kept, newest first.

use std::path::PathBuf;
use std::time::Duration;

use crate::util::run::scratch_dir;
use crate::util::server::*;
use phantom_autoscale::Credentials;
use phantom_autoscale::autoscaling::types::*;
use phantom_autoscale::query::sign::SignatureVersion;
use phantom_autoscale::server::lifecycle::{MAX_ACTIVITIES_PER_GROUP, now_ms};
use phantom_autoscale::server::{RunningServer, ServeOptions, start};

fn flooder() -> Credentials {
    Credentials::new("AKIDFLOOD0000000001", "flood/secret")
}

fn bystander() -> Credentials {
    Credentials::new("AKIDCALM00000000002", "calm/secret")
}

fn state_file() -> PathBuf {
    scratch_dir("activities").join("state.db")
}

async fn start_with(state: &std::path::Path) -> RunningServer {
    start(ServeOptions {
        keys: vec![flooder(), bystander()],
        state: Some(state.to_path_buf()),
        launch_delay: Duration::from_millis(50),
        terminate_delay: Duration::from_millis(50),
        ..ServeOptions::default()
    })
    .await
    .expect("server starts")
}

/// Rows in the activities table, read from the state file beside the running server.
fn activity_rows(state: &std::path::Path, owner: &str) -> i64 {
    let db = rusqlite::Connection::open(state).unwrap();
    db.query_row(
        "SELECT COUNT(*) FROM activities WHERE owner = ?1",
        [owner],
        |r| r.get(0),
    )
    .unwrap()
}

/// Every activity of `group`, page by page (`max` a page), newest first.
async fn all_activities(c: &Client, group: &str, max: &str) -> Vec<Activity> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..1000 {
        let mut params = vec![("AutoScalingGroupName", group), ("MaxRecords", max)];
        if let Some(t) = &token {
            params.push(("NextToken", t));
        }
        let out: DescribeScalingActivitiesOutput =
            c.call("DescribeScalingActivities", &params).await.ok();
        all.extend(out.activities.unwrap_or_default());
        token = out.next_token.filter(|t| !t.is_empty());
        if token.is_none() {
            return all;
        }
    }
    panic!("DescribeScalingActivities paged for ever");
}

#[tokio::test]
async fn a_flood_of_capacity_flips_keeps_the_history_bounded_and_others_answered() {
    let state = state_file();
    let server = start_with(&state).await;
    let base = Client::new(&server);
    let flood = base.signed(SignatureVersion::V4, &flooder());
    let calm = base.signed(SignatureVersion::V4, &bystander());
    create_lc(&flood, "lc").await.done();
    create_group(&flood, "big", "lc", 0, 1000, 0).await.done();
    create_lc(&calm, "calm-lc").await.done();
    create_group(&calm, "calm", "calm-lc", 0, 2, 1).await.done();

    // Four flips 0 -> 1000 -> 0: 4,000 activities written, in a bounded time.
    let flooding = {
        let flood = flood.clone();
        tokio::spawn(async move {
            for n in 0..4 {
                let to = if n % 2 == 0 { "1000" } else { "0" };
                flood
                    .call(
                        "SetDesiredCapacity",
                        &[("AutoScalingGroupName", "big"), ("DesiredCapacity", to)],
                    )
                    .await
                    .done();
                let _ = flood
                    .call("DescribeScalingActivities", &[])
                    .await
                    .ok::<DescribeScalingActivitiesOutput>();
            }
        })
    };
    // The other key's calls are answered, correctly, meanwhile.
    while !flooding.is_finished() {
        let out: DescribeAutoScalingGroupsOutput =
            calm.call("DescribeAutoScalingGroups", &[]).await.ok();
        let names: Vec<_> = out
            .auto_scaling_groups
            .unwrap_or_default()
            .into_iter()
            .map(|g| g.auto_scaling_group_name)
            .collect();
        assert_eq!(names, vec![Some("calm".to_string())]);
        let acts: DescribeScalingActivitiesOutput =
            calm.call("DescribeScalingActivities", &[]).await.ok();
        assert_eq!(acts.activities.map(|a| a.len()), Some(1));
    }
    flooding.await.unwrap();

    // The store keeps at most the bound for the group, and the API shows exactly what is kept.
    let rows = activity_rows(&state, flooder().access_key_id());
    assert_eq!(
        rows, MAX_ACTIVITIES_PER_GROUP,
        "activity rows after the flood"
    );
    let shown = all_activities(&flood, "big", "100").await;
    assert_eq!(shown.len() as i64, MAX_ACTIVITIES_PER_GROUP);
    // Newest first: the last flip (1000 -> 0) terminated everything, so every kept activity is
    // one of its terminations, and no id repeats across pages.
    assert!(
        shown.iter().all(|a| a
            .description
            .as_deref()
            .is_some_and(|d| d.starts_with("Terminating EC2 instance"))),
        "kept activities are the newest"
    );
    let mut ids: Vec<_> = shown.iter().map(|a| a.activity_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), shown.len());
    // The other key's history is untouched.
    assert_eq!(activity_rows(&state, bystander().access_key_id()), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn activities_older_than_six_weeks_are_not_shown_and_are_dropped_on_the_next_write() {
    let state = state_file();
    let server = start_with(&state).await;
    let c = Client::new(&server).signed(SignatureVersion::V4, &flooder());
    create_lc(&c, "lc").await.done();
    create_group(&c, "g", "lc", 0, 3, 1).await.done();
    // An activity of seven weeks ago, written into the state beside the server.
    let old = now_ms() - 49 * 24 * 3600 * 1000;
    {
        let db = rusqlite::Connection::open(&state).unwrap();
        db.busy_timeout(Duration::from_secs(10)).unwrap();
        db.execute(
            "INSERT INTO activities (id, owner, group_name, description, cause, details, \
             start_ms, end_ms) VALUES ('old-activity', ?1, 'g', 'Launching a new EC2 instance: \
             i-0', 'old', '{}', ?2, ?2)",
            rusqlite::params![flooder().access_key_id(), old],
        )
        .unwrap();
    }
    let shown = all_activities(&c, "g", "100").await;
    assert_eq!(shown.len(), 1);
    assert_ne!(shown[0].activity_id.as_deref(), Some("old-activity"));
    assert_eq!(activity_rows(&state, flooder().access_key_id()), 2);
    c.call(
        "SetDesiredCapacity",
        &[("AutoScalingGroupName", "g"), ("DesiredCapacity", "2")],
    )
    .await
    .done();
    assert_eq!(activity_rows(&state, flooder().access_key_id()), 2);
    assert_eq!(all_activities(&c, "g", "1").await.len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn pages_of_activities_are_read_by_key_and_ids_still_select() {
    let state = state_file();
    let server = start_with(&state).await;
    let c = Client::new(&server).signed(SignatureVersion::V4, &flooder());
    create_lc(&c, "lc").await.done();
    create_group(&c, "a", "lc", 0, 10, 3).await.done();
    create_group(&c, "b", "lc", 0, 10, 2).await.done();
    let one_by_one = all_activities(&c, "a", "1").await;
    assert_eq!(one_by_one.len(), 3);
    assert_eq!(all_activities(&c, "a", "100").await.len(), 3);
    // Across groups, newest first: b's come before a's.
    let out: DescribeScalingActivitiesOutput = c
        .call("DescribeScalingActivities", &[("MaxRecords", "3")])
        .await
        .ok();
    let groups: Vec<_> = out
        .activities
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.auto_scaling_group_name.unwrap_or_default())
        .collect();
    assert_eq!(groups, ["b", "b", "a"]);
    assert!(out.next_token.is_some());
    // ActivityIds select, in newest-first order, ignoring unknown ids.
    let first = one_by_one[0].activity_id.clone().unwrap();
    let last = one_by_one[2].activity_id.clone().unwrap();
    let out: DescribeScalingActivitiesOutput = c
        .call(
            "DescribeScalingActivities",
            &[
                ("ActivityIds.member.1", &last),
                ("ActivityIds.member.2", "no-such-id"),
                ("ActivityIds.member.3", &first),
            ],
        )
        .await
        .ok();
    let ids: Vec<_> = out
        .activities
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.activity_id.unwrap_or_default())
        .collect();
    assert_eq!(ids, [first, last]);
    // A token with a key this operation never wrote is refused.
    use base64::Engine as _;
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode("DescribeScalingActivities\nnot-a-key");
    let answer = c
        .call("DescribeScalingActivities", &[("NextToken", &forged)])
        .await;
    assert_eq!(answer.status, 400);
    server.shutdown().await;
}
