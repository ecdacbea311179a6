//! The library's waiters (`phantom_autoscale::autoscaling::waiters`) over real HTTP: the group
//! waiters against the built-in endpoint, whose instances move from Pending to InService as its
//! launch delay passes (exists after a create, gone after a forced delete, in-service against
//! at-capacity on a group of min 0 and desired 2, a timeout, a group deleted while waited for);
//! the early failures and the instance refresh waiter against a scripted server
//! (`util::fault_server`), because the built-in endpoint cannot fail a launch and serves no
//! instance refreshes, and moto 5.2.5 does not serve `DescribeInstanceRefreshes`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use phantom_autoscale::Error;
use phantom_autoscale::autoscaling::Client;
use phantom_autoscale::autoscaling::types::*;
use phantom_autoscale::autoscaling::waiters::{
    RefreshGoal, WaitFor, WaitOptions, Waited, WaiterConfig, is_in_service,
};
use phantom_autoscale::query::endpoint::Endpoint;
use phantom_autoscale::query::transport::TransportConfig;
use phantom_autoscale::server::{RunningServer, ServeOptions, start};

use crate::util::fault_server::{Action, FaultServer, Request, empty_ok, error_xml, ok_xml};

const NS: &str = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

/// Polls every 50 to 200 ms for at most `max_wait`.
fn quick(max_wait: Duration) -> WaiterConfig {
    WaiterConfig {
        min_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
        max_wait,
    }
}

/// An unsigned library client of `url` with fast transport retries.
fn client(url: &str) -> Client {
    let mut config = TransportConfig::new(Endpoint::parse(url).unwrap(), "us-east-1");
    config.retry.base_delay = Duration::from_millis(10);
    Client::new(config).unwrap()
}

/// The built-in endpoint, unauthenticated, with this launch delay.
async fn endpoint(launch_delay: Duration) -> RunningServer {
    start(ServeOptions {
        no_auth: true,
        launch_delay,
        terminate_delay: Duration::from_millis(200),
        ..ServeOptions::default()
    })
    .await
    .expect("server starts")
}

async fn create_group(c: &Client, name: &str, min: i32, desired: i32) {
    let lc = format!("{name}-lc");
    c.send(&CreateLaunchConfigurationInput {
        launch_configuration_name: lc.clone(),
        image_id: Some("ami-12345678".into()),
        instance_type: Some("m1.small".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    c.send(&CreateAutoScalingGroupInput {
        auto_scaling_group_name: name.into(),
        launch_configuration_name: Some(lc),
        min_size: min,
        max_size: desired.max(min).max(1),
        desired_capacity: Some(desired),
        availability_zones: Some(vec!["us-east-1a".into()]),
        ..Default::default()
    })
    .await
    .unwrap();
}

async fn force_delete(c: &Client, name: &str) {
    c.send(&DeleteAutoScalingGroupInput {
        auto_scaling_group_name: name.into(),
        force_delete: Some(true),
    })
    .await
    .unwrap();
}

fn in_service(group: &AutoScalingGroup) -> usize {
    group
        .instances
        .iter()
        .flatten()
        .filter(|i| i.lifecycle_state.as_deref().is_some_and(is_in_service))
        .count()
}

#[tokio::test]
async fn exists_waits_for_a_create_and_gone_for_a_forced_delete() {
    let server = endpoint(Duration::from_millis(300)).await;
    let c = client(&server.url());
    // Created while the waiter polls: found, and the group it returns is that one.
    let creator = {
        let c = c.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            create_group(&c, "late", 1, 1).await;
        })
    };
    let group = c
        .group_exists("late", &quick(Duration::from_secs(30)))
        .await
        .unwrap();
    creator.await.unwrap();
    assert_eq!(group.auto_scaling_group_name.as_deref(), Some("late"));
    assert_eq!(group.desired_capacity, Some(1));

    // While it is there, `gone` waits; the forced delete (with its instance) ends the wait.
    let deleter = {
        let c = c.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            force_delete(&c, "late").await;
        })
    };
    let mut polls = 0;
    let mut count = |_: &phantom_autoscale::autoscaling::waiters::Progress<'_>| polls += 1;
    let mut options = WaitOptions::new(quick(Duration::from_secs(30)));
    options.on_poll = Some(&mut count);
    let waited = c
        .wait(&WaitFor::GroupNotExists("late".into()), options)
        .await
        .unwrap();
    deleter.await.unwrap();
    assert_eq!(waited, Waited::Gone);
    assert!(polls >= 2, "gone before the delete: {polls} polls");
    // A group that never existed is gone at once.
    c.group_not_exists("never", &quick(Duration::from_secs(5)))
        .await
        .unwrap();
    server.shutdown().await;
}

#[tokio::test]
async fn in_service_is_min_size_and_capacity_is_the_desired_count() {
    let server = endpoint(Duration::from_millis(1500)).await;
    let c = client(&server.url());
    create_group(&c, "web", 0, 2).await;

    // MinSize 0: the SDKs' rule is met by the very first poll, whatever the instances do.
    let mut polls = Vec::new();
    let mut record = |p: &phantom_autoscale::autoscaling::waiters::Progress<'_>| {
        polls.push(p.status.to_string())
    };
    let mut options = WaitOptions::new(quick(Duration::from_secs(30)));
    options.on_poll = Some(&mut record);
    let waited = c
        .wait(&WaitFor::GroupInService("web".into()), options)
        .await
        .unwrap();
    assert_eq!(polls.len(), 1, "{polls:?}");
    assert!(polls[0].contains("MinSize 0"), "{polls:?}");
    let Waited::Group(group) = waited else {
        panic!("{waited:?}")
    };
    assert_eq!(group.min_size, Some(0));

    // At capacity: both instances in service and none pending.
    let group = c
        .group_at_capacity("web", &quick(Duration::from_secs(30)))
        .await
        .unwrap();
    assert_eq!(in_service(&group), 2, "{group:?}");
    assert!(
        group
            .instances
            .iter()
            .flatten()
            .all(|i| i.lifecycle_state.as_deref() == Some("InService")),
        "{group:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_wait_that_runs_out_of_time_says_what_it_waited_for_and_saw() {
    let server = endpoint(Duration::from_secs(600)).await;
    let c = client(&server.url());
    create_group(&c, "slow", 1, 2).await;
    let started = std::time::Instant::now();
    let err = c
        .group_at_capacity("slow", &quick(Duration::from_secs(1)))
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_secs(1), "{err}");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 3);
    let text = err.to_string();
    assert!(
        text.contains("waiting for group slow at capacity"),
        "{text}"
    );
    assert!(text.contains("1s maximum wait"), "{text}");
    assert!(
        text.contains("0 of 2 instances in service, 2 pending or terminating"),
        "{text}"
    );
    // The SDKs' rule times out the same way with MinSize 1.
    let err = c
        .group_in_service("slow", &quick(Duration::from_millis(500)))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("0 of MinSize 1 instances in service"),
        "{err}"
    );
    // `exists` on a name nobody creates times out too.
    let err = c
        .group_exists("nobody", &quick(Duration::from_millis(300)))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("the group is not listed"), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_group_missing_or_deleted_while_waited_for_ends_the_wait() {
    let server = endpoint(Duration::from_secs(600)).await;
    let c = client(&server.url());
    let err = c
        .group_in_service("nosuch", &quick(Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert_eq!(err.to_string(), "no such Auto Scaling group nosuch");

    create_group(&c, "doomed", 1, 1).await;
    let deleter = {
        let c = c.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            force_delete(&c, "doomed").await;
        })
    };
    let err = c
        .group_at_capacity("doomed", &quick(Duration::from_secs(30)))
        .await
        .unwrap_err();
    deleter.await.unwrap();
    assert!(matches!(err, Error::Failed { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("group doomed was deleted while waiting"),
        "{err}"
    );
    server.shutdown().await;
}

// ---- early failures the built-in endpoint cannot produce: a scripted server ----

/// A DescribeAutoScalingGroups reply: group `web`, min 1, desired 1, with these instance members
/// and this extra XML (e.g. a `<Status>`).
fn group_xml(instances: &str, extra: &str) -> Vec<u8> {
    ok_xml(&format!(
        "<DescribeAutoScalingGroupsResponse xmlns=\"{NS}\"><DescribeAutoScalingGroupsResult>\
         <AutoScalingGroups><member><AutoScalingGroupName>web</AutoScalingGroupName>\
         <LaunchConfigurationName>lc1</LaunchConfigurationName><MinSize>1</MinSize><MaxSize>1</MaxSize>\
         <DesiredCapacity>1</DesiredCapacity><Instances>{instances}</Instances>{extra}</member>\
         </AutoScalingGroups></DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>"
    ))
}

/// A failed scaling activity member.
fn failed_activity(id: &str, message: &str) -> String {
    format!(
        "<member><ActivityId>{id}</ActivityId><AutoScalingGroupName>web</AutoScalingGroupName>\
         <Description>Launching a new EC2 instance.  Status Reason: failed</Description>\
         <Cause>capacity</Cause><StartTime>2026-12-01T10:00:00Z</StartTime>\
         <StatusCode>Failed</StatusCode><StatusMessage>{message}</StatusMessage>\
         <Progress>100</Progress></member>"
    )
}

fn activities_xml(members: &str) -> Vec<u8> {
    ok_xml(&format!(
        "<DescribeScalingActivitiesResponse xmlns=\"{NS}\"><DescribeScalingActivitiesResult>\
         <Activities>{members}</Activities></DescribeScalingActivitiesResult>\
         </DescribeScalingActivitiesResponse>"
    ))
}

#[tokio::test]
async fn a_failed_activity_ends_the_wait_but_history_does_not() {
    // The first look shows an old failure (history); the third shows a new one.
    let looks = Arc::new(Mutex::new(0));
    let server = {
        let looks = looks.clone();
        FaultServer::start(move |request, _| match request.action().as_str() {
            "DescribeAutoScalingGroups" => Action::Reply(group_xml("", "")),
            "DescribeScalingActivities" => {
                let mut n = looks.lock().unwrap();
                *n += 1;
                let old = failed_activity("act-old", "an old failure");
                if *n < 3 {
                    Action::Reply(activities_xml(&old))
                } else {
                    let new = failed_activity(
                        "act-new",
                        "The image id 'ami-gone' does not exist. Launching EC2 instance failed.",
                    );
                    Action::Reply(activities_xml(&format!("{new}{old}")))
                }
            }
            other => Action::Reply(error_xml(400, "Bad Request", "InvalidAction", other)),
        })
    };
    let c = client(&server.url());
    let err = c
        .group_in_service("web", &quick(Duration::from_secs(30)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Failed { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("scaling activity act-new failed")
            && text.contains("The image id 'ami-gone' does not exist"),
        "{text}"
    );
    assert_eq!(server.count("DescribeScalingActivities"), 3);
    // Each activities look asked for this group's.
    let asked: Vec<Request> = server
        .requests()
        .into_iter()
        .filter(|r| r.action() == "DescribeScalingActivities")
        .collect();
    assert!(
        asked
            .iter()
            .all(|r| r.param("AutoScalingGroupName").as_deref() == Some("web")),
        "{asked:?}"
    );

    // For a group the caller just created, the first failure already counts.
    *looks.lock().unwrap() = 0;
    let mut options = WaitOptions::new(quick(Duration::from_secs(30)));
    options.fresh_group = true;
    let err = c
        .wait(&WaitFor::GroupAtCapacity("web".into()), options)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("act-old"), "{err}");
}

#[tokio::test]
async fn a_failed_instance_or_a_group_being_deleted_ends_the_wait() {
    let server = FaultServer::start(|request, index| match request.action().as_str() {
        "DescribeAutoScalingGroups" if index == 0 => Action::Reply(group_xml(
            "<member><InstanceId>i-deadbeef</InstanceId><AvailabilityZone>hotel</AvailabilityZone>\
             <LifecycleState>900-FAILED</LifecycleState><HealthStatus>Unhealthy</HealthStatus>\
             <LaunchConfigurationName>lc1@hotel</LaunchConfigurationName></member>",
            "",
        )),
        "DescribeAutoScalingGroups" => {
            Action::Reply(group_xml("", "<Status>Delete in progress</Status>"))
        }
        other => Action::Reply(error_xml(400, "Bad Request", "InvalidAction", other)),
    });
    let c = client(&server.url());
    let err = c
        .group_at_capacity("web", &quick(Duration::from_secs(30)))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("instance i-deadbeef is 900-FAILED (in hotel)"),
        "{text}"
    );
    // The server has no activities (InvalidAction) and the second poll has no failed instance:
    // the group's Status says it is going.
    let err = c
        .group_in_service("web", &quick(Duration::from_secs(30)))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("group web is being deleted"),
        "{err}"
    );
}

// ---- the instance refresh waiter against a scripted refresh ----

/// A DescribeInstanceRefreshes reply holding refresh `id` of `web` in `status`.
fn refresh_xml(id: &str, status: &str, reason: &str, percent: u32) -> Vec<u8> {
    let reason = if reason.is_empty() {
        String::new()
    } else {
        format!("<StatusReason>{reason}</StatusReason>")
    };
    ok_xml(&format!(
        "<DescribeInstanceRefreshesResponse xmlns=\"{NS}\"><DescribeInstanceRefreshesResult>\
         <InstanceRefreshes><member><InstanceRefreshId>{id}</InstanceRefreshId>\
         <AutoScalingGroupName>web</AutoScalingGroupName><Status>{status}</Status>{reason}\
         <StartTime>2026-12-01T10:00:00Z</StartTime><PercentageComplete>{percent}</PercentageComplete>\
         <InstancesToUpdate>3</InstancesToUpdate></member></InstanceRefreshes>\
         </DescribeInstanceRefreshesResult><ResponseMetadata><RequestId>req-r</RequestId>\
         </ResponseMetadata></DescribeInstanceRefreshesResponse>"
    ))
}

/// A server whose refresh `r-1` (the id Start/Cancel/RollbackInstanceRefresh answer) goes through `script` (status, reason, percent), one step per
/// DescribeInstanceRefreshes call, staying on the last.
pub fn scripted_refresh(script: &'static [(&'static str, &'static str, u32)]) -> FaultServer {
    let calls = Arc::new(Mutex::new(0usize));
    FaultServer::start(move |request, _| match request.action().as_str() {
        "DescribeInstanceRefreshes" => {
            let mut n = calls.lock().unwrap();
            let (status, reason, percent) = script[(*n).min(script.len() - 1)];
            *n += 1;
            Action::Reply(refresh_xml("r-1", status, reason, percent))
        }
        action @ ("StartInstanceRefresh" | "CancelInstanceRefresh" | "RollbackInstanceRefresh") => {
            Action::Reply(ok_xml(&format!(
                "<{action}Response xmlns=\"{NS}\"><{action}Result>\
                 <InstanceRefreshId>r-1</InstanceRefreshId></{action}Result></{action}Response>"
            )))
        }
        other => Action::Reply(empty_ok(other)),
    })
}

#[tokio::test]
async fn a_refresh_is_followed_from_pending_to_successful() {
    let server = scripted_refresh(&[
        ("Pending", "", 0),
        ("InProgress", "", 40),
        ("InProgress", "", 70),
        ("Successful", "", 100),
    ]);
    let c = client(&server.url());
    let mut seen = Vec::new();
    let mut record =
        |p: &phantom_autoscale::autoscaling::waiters::Progress<'_>| seen.push(p.status.to_string());
    let target = WaitFor::InstanceRefresh {
        group: "web".into(),
        refresh_id: "r-1".into(),
        goal: RefreshGoal::Complete,
    };
    let mut options = WaitOptions::new(quick(Duration::from_secs(30)));
    options.on_poll = Some(&mut record);
    let waited = c.wait(&target, options).await.unwrap();
    let Waited::Refresh(refresh) = waited else {
        panic!("{waited:?}")
    };
    assert_eq!(refresh.status.as_deref(), Some("Successful"));
    assert_eq!(refresh.percentage_complete, Some(100));
    assert_eq!(
        seen,
        [
            "Pending, 0% complete, 3 instances to update",
            "InProgress, 40% complete, 3 instances to update",
            "InProgress, 70% complete, 3 instances to update",
            "Successful, 100% complete, 3 instances to update",
        ]
    );
    for request in server.requests() {
        assert_eq!(
            request.param("AutoScalingGroupName").as_deref(),
            Some("web")
        );
        assert_eq!(
            request.param("InstanceRefreshIds.member.1").as_deref(),
            Some("r-1")
        );
    }
    // The plain waiter gives the same.
    let refresh = c
        .instance_refresh_complete("web", "r-1", &quick(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(refresh.status.as_deref(), Some("Successful"));
}

#[tokio::test]
async fn a_refresh_that_ends_otherwise_fails_at_once_with_the_reason() {
    for (script, said) in [
        (
            &[
                ("InProgress", "", 10),
                ("Failed", "Instance i-0abc failed its health check.", 10),
            ][..],
            "instance refresh r-1 ended Failed: Instance i-0abc failed its health check.",
        ),
        (
            &[
                ("Cancelling", "", 30),
                ("Cancelled", "Cancelled by a user.", 30),
            ][..],
            "instance refresh r-1 ended Cancelled: Cancelled by a user.",
        ),
        (
            &[
                ("RollbackInProgress", "", 50),
                ("RollbackSuccessful", "The alarm fired.", 100),
            ][..],
            "instance refresh r-1 ended RollbackSuccessful: The alarm fired.",
        ),
        (
            &[("RollbackFailed", "", 0)][..],
            "instance refresh r-1 ended RollbackFailed: the server gave no reason",
        ),
    ] {
        // `scripted_refresh` wants 'static steps: leak these few for the test's life.
        let script: &'static [(&'static str, &'static str, u32)] = Box::leak(script.into());
        let server = scripted_refresh(script);
        let c = client(&server.url());
        let err = c
            .instance_refresh_complete("web", "r-1", &quick(Duration::from_secs(30)))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Failed { .. }), "{err:?}");
        assert_eq!(err.exit_code(), 1);
        assert!(err.to_string().contains(said), "{err}");
        assert_eq!(server.count("DescribeInstanceRefreshes"), script.len());
    }
}

#[tokio::test]
async fn a_cancel_or_rollback_wait_succeeds_on_its_own_end() {
    let server = scripted_refresh(&[("Cancelling", "", 30), ("Cancelled", "by request", 30)]);
    let c = client(&server.url());
    let target = WaitFor::InstanceRefresh {
        group: "web".into(),
        refresh_id: "r-1".into(),
        goal: RefreshGoal::Cancelled,
    };
    let waited = c
        .wait(&target, WaitOptions::new(quick(Duration::from_secs(30))))
        .await
        .unwrap();
    assert!(
        matches!(&waited, Waited::Refresh(r) if r.status.as_deref() == Some("Cancelled")),
        "{waited:?}"
    );
    // A rollback wait that meets Successful (the refresh finished first) fails with it.
    let server = scripted_refresh(&[("Successful", "", 100)]);
    let c = client(&server.url());
    let target = WaitFor::InstanceRefresh {
        group: "web".into(),
        refresh_id: "r-1".into(),
        goal: RefreshGoal::RolledBack,
    };
    let err = c
        .wait(&target, WaitOptions::new(quick(Duration::from_secs(30))))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ended Successful"), "{err}");
}

#[tokio::test]
async fn a_refresh_wait_times_out_or_finds_no_such_refresh() {
    let server = scripted_refresh(&[("InProgress", "", 40)]);
    let c = client(&server.url());
    let err = c
        .instance_refresh_complete("web", "r-1", &quick(Duration::from_millis(600)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("waiting for instance refresh r-1 of group web to end Successful"),
        "{text}"
    );
    assert!(
        text.contains("last seen: InProgress, 40% complete"),
        "{text}"
    );
    assert!(server.count("DescribeInstanceRefreshes") >= 2, "{text}");

    // The server lists another refresh than the one asked for: no such refresh.
    let err = c
        .instance_refresh_complete("web", "r-other", &quick(Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "no such instance refresh r-other of group web"
    );
}
