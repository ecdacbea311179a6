//! AWS's rules and Phantom's conventions on the built-in endpoint, over real HTTP: each test
//! states the rule it checks.

use std::time::Duration;

use crate::util::server::*;
use phantom_autoscale::autoscaling::types::*;

served!(seed_session_phantom_style, |server, c| {
    // lc_create.py testlc1 hello-phantom.gz hotel: the launch configuration is `testlc1@hotel`.
    create_lc(&c, "testlc1@hotel").await.done();
    let lcs: DescribeLaunchConfigurationsOutput =
        c.get("DescribeLaunchConfigurations", &[]).await.ok();
    let names: Vec<_> = lcs
        .launch_configurations
        .unwrap()
        .into_iter()
        .map(|l| l.launch_configuration_name.unwrap())
        .collect();
    assert_eq!(names, ["testlc1@hotel"]);
    // domain_create.py testDomain1 testlc1 1: the group names the bare `testlc1`.
    create_group(&c, "testDomain1", "testlc1", 1, 1, 1)
        .await
        .done();
    let g = group(&c, "testDomain1").await.unwrap();
    assert_eq!(g.launch_configuration_name.as_deref(), Some("testlc1"));
    assert_eq!(g.desired_capacity, Some(1));
    let instances = g.instances.clone().unwrap();
    assert_eq!(instances.len(), 1);
    let i = &instances[0];
    assert_eq!(i.availability_zone.as_deref(), Some("hotel"));
    assert_eq!(i.health_status.as_deref(), Some("Healthy"));
    assert_eq!(
        i.launch_configuration_name.as_deref(),
        Some("testlc1@hotel")
    );
    let id = i.instance_id.clone().unwrap();
    assert!(id.starts_with("i-") && id.len() == 19, "{id}");
    // Pending, then InService after the launch delay.
    let g = wait_group(&c, "testDomain1", Duration::from_secs(20), |g| {
        states(g) == ["InService"]
    })
    .await;
    assert_eq!(
        g.instances.unwrap()[0].instance_id.as_deref(),
        Some(id.as_str())
    );
    let inst: DescribeAutoScalingInstancesOutput =
        c.get("DescribeAutoScalingInstances", &[]).await.ok();
    let details = inst.auto_scaling_instances.unwrap();
    assert_eq!(details.len(), 1);
    assert_eq!(
        details[0].auto_scaling_group_name.as_deref(),
        Some("testDomain1")
    );
    assert_eq!(details[0].availability_zone.as_deref(), Some("hotel"));
    assert_eq!(details[0].lifecycle_state.as_deref(), Some("InService"));
    c.call(
        "DeleteAutoScalingGroup",
        &[
            ("AutoScalingGroupName", "testDomain1"),
            ("ForceDelete", "true"),
        ],
    )
    .await
    .done();
    assert!(group(&c, "testDomain1").await.is_none());
    c.call(
        "DeleteLaunchConfiguration",
        &[("LaunchConfigurationName", "testlc1@hotel")],
    )
    .await
    .done();
    let lcs: DescribeLaunchConfigurationsOutput =
        c.get("DescribeLaunchConfigurations", &[]).await.ok();
    assert_eq!(lcs.launch_configurations.unwrap().len(), 0);
    server.shutdown().await;
});

served!(reply_is_in_the_aws_form, |server, c| {
    let a = c.get("DescribeAutoScalingGroups", &[]).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.content_type, "text/xml");
    let rid = a.request_id.clone().expect("x-amzn-RequestId");
    assert_eq!(rid.len(), 36, "{rid}");
    assert_eq!(rid.matches('-').count(), 4, "{rid}");
    assert!(
        a.body.contains(
            "<DescribeAutoScalingGroupsResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\">"
        ),
        "{}",
        a.body
    );
    let result_at = a.body.find("<DescribeAutoScalingGroupsResult>").unwrap();
    let meta_at = a.body.find("<ResponseMetadata>").unwrap();
    assert!(result_at < meta_at, "Result comes before ResponseMetadata");
    assert!(a.body.contains(&format!("<RequestId>{rid}</RequestId>")));
    // An operation without output has no Result element.
    let a = create_lc(&c, "x").await;
    a.done();
    assert!(!a.body.contains("Result>"), "{}", a.body);
    // Errors: ErrorResponse with Type Sender and the request id.
    let e = create_lc(&c, "x").await;
    e.fails(400, "AlreadyExists");
    assert!(e.body.contains("<Type>Sender</Type>"), "{}", e.body);
    let rid = e.request_id.clone().unwrap();
    assert!(e.body.contains(&format!("<RequestId>{rid}</RequestId>")));
    server.shutdown().await;
});

served!(duplicates_are_already_exists, |server, c| {
    create_lc(&c, "lc").await.done();
    create_lc(&c, "lc").await.fails(400, "AlreadyExists");
    create_group(&c, "g", "lc", 0, 2, 0).await.done();
    create_group(&c, "g", "lc", 0, 2, 0)
        .await
        .fails(400, "AlreadyExists");
    // The first group is untouched by the refused duplicate.
    assert_eq!(group(&c, "g").await.unwrap().max_size, Some(2));
    server.shutdown().await;
});

served!(resources_in_use, |server, c| {
    create_lc(&c, "lc").await.done();
    create_group(&c, "g", "lc", 0, 3, 2).await.done();
    let e = c
        .call(
            "DeleteLaunchConfiguration",
            &[("LaunchConfigurationName", "lc")],
        )
        .await;
    e.fails(400, "ResourceInUse");
    let e = c
        .call("DeleteAutoScalingGroup", &[("AutoScalingGroupName", "g")])
        .await;
    e.fails(400, "ResourceInUse");
    assert!(group(&c, "g").await.is_some());
    // Scaled to zero and the instances gone, the group deletes without ForceDelete.
    c.call(
        "SetDesiredCapacity",
        &[("AutoScalingGroupName", "g"), ("DesiredCapacity", "0")],
    )
    .await
    .done();
    let g = wait_group(&c, "g", Duration::from_secs(20), |g| {
        g.instances.as_ref().is_some_and(|i| i.is_empty())
    })
    .await;
    assert_eq!(g.desired_capacity, Some(0));
    c.call("DeleteAutoScalingGroup", &[("AutoScalingGroupName", "g")])
        .await
        .done();
    c.call(
        "DeleteLaunchConfiguration",
        &[("LaunchConfigurationName", "lc")],
    )
    .await
    .done();
    server.shutdown().await;
});

served!(missing_things_are_validation_errors, |server, c| {
    create_group(&c, "g", "nope", 0, 1, 0)
        .await
        .fails(400, "ValidationError");
    c.call(
        "DeleteLaunchConfiguration",
        &[("LaunchConfigurationName", "nope")],
    )
    .await
    .fails(400, "ValidationError");
    for (action, extra) in [
        ("DeleteAutoScalingGroup", None),
        ("SetDesiredCapacity", Some(("DesiredCapacity", "1"))),
        ("UpdateAutoScalingGroup", Some(("MaxSize", "3"))),
    ] {
        let mut params = vec![("AutoScalingGroupName", "ghost")];
        params.extend(extra);
        c.call(action, &params).await.fails(400, "ValidationError");
    }
    c.call(
        "TerminateInstanceInAutoScalingGroup",
        &[
            ("InstanceId", "i-0123456789abcdef0"),
            ("ShouldDecrementDesiredCapacity", "false"),
        ],
    )
    .await
    .fails(400, "ValidationError");
    c.call(
        "CreateOrUpdateTags",
        &[
            ("Tags.member.1.ResourceId", "ghost"),
            ("Tags.member.1.ResourceType", "auto-scaling-group"),
            ("Tags.member.1.Key", "k"),
            ("Tags.member.1.Value", "v"),
        ],
    )
    .await
    .fails(400, "ValidationError");
    // Describing a name that does not exist is not an error: it lists nothing.
    assert!(group(&c, "ghost").await.is_none());
    server.shutdown().await;
});

served!(desired_capacity_must_lie_within_min_and_max, |server, c| {
    create_lc(&c, "lc").await.done();
    create_group(&c, "g", "lc", 1, 2, 3)
        .await
        .fails(400, "ValidationError");
    create_group(&c, "g", "lc", 2, 3, 1)
        .await
        .fails(400, "ValidationError");
    create_group(&c, "g", "lc", 3, 2, 2)
        .await
        .fails(400, "ValidationError");
    assert!(
        group(&c, "g").await.is_none(),
        "refused creates leave nothing"
    );
    create_group(&c, "g", "lc", 1, 2, 1).await.done();
    for d in ["3", "0"] {
        c.call(
            "SetDesiredCapacity",
            &[("AutoScalingGroupName", "g"), ("DesiredCapacity", d)],
        )
        .await
        .fails(400, "ValidationError");
    }
    c.call(
        "UpdateAutoScalingGroup",
        &[("AutoScalingGroupName", "g"), ("DesiredCapacity", "5")],
    )
    .await
    .fails(400, "ValidationError");
    c.call(
        "UpdateAutoScalingGroup",
        &[("AutoScalingGroupName", "g"), ("MinSize", "3")],
    )
    .await
    .fails(400, "ValidationError");
    let g = group(&c, "g").await.unwrap();
    assert_eq!(
        (g.min_size, g.max_size, g.desired_capacity),
        (Some(1), Some(2), Some(1))
    );
    c.call(
        "UpdateAutoScalingGroup",
        &[
            ("AutoScalingGroupName", "g"),
            ("MaxSize", "4"),
            ("DesiredCapacity", "4"),
        ],
    )
    .await
    .done();
    let g = group(&c, "g").await.unwrap();
    assert_eq!((g.max_size, g.desired_capacity), (Some(4), Some(4)));
    assert_eq!(g.instances.unwrap().len(), 4);
    // A huge capacity is refused before anything is launched.
    create_group(&c, "huge", "lc", 0, i32::MAX, i32::MAX)
        .await
        .fails(400, "LimitExceeded");
    c.call(
        "UpdateAutoScalingGroup",
        &[("AutoScalingGroupName", "g"), ("MaxSize", "2000000000")],
    )
    .await
    .done();
    c.call(
        "SetDesiredCapacity",
        &[
            ("AutoScalingGroupName", "g"),
            ("DesiredCapacity", "2000000000"),
        ],
    )
    .await
    .fails(400, "LimitExceeded");
    server.shutdown().await;
});

served!(max_records_names_and_tokens_are_checked, |server, c| {
    let describes = [
        "DescribeAutoScalingGroups",
        "DescribeLaunchConfigurations",
        "DescribeAutoScalingInstances",
        "DescribeTags",
        "DescribeScalingActivities",
    ];
    for action in describes {
        for bad in ["0", "101", "-1"] {
            c.call(action, &[("MaxRecords", bad)])
                .await
                .fails(400, "ValidationError");
        }
        // Not a number at all: the request does not read as the shape.
        c.call(action, &[("MaxRecords", "lots")])
            .await
            .fails(400, "MalformedInput");
        for ok in ["1", "100"] {
            let a = c.call(action, &[("MaxRecords", ok)]).await;
            assert_eq!(a.status, 200, "{action} MaxRecords={ok}: {}", a.body);
        }
        for token in ["", "garbage!", "bm90LWEtdG9rZW4"] {
            c.call(action, &[("NextToken", token)])
                .await
                .fails(400, "InvalidNextToken");
        }
    }
    let names: Vec<(String, String)> = (1..=51)
        .map(|i| (format!("AutoScalingGroupNames.member.{i}"), format!("g{i}")))
        .collect();
    let params: Vec<(&str, &str)> = names
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.call("DescribeAutoScalingGroups", &params)
        .await
        .fails(400, "ValidationError");
    c.call("DescribeAutoScalingGroups", &params[..50])
        .await
        .done();
    let lc_names: Vec<(String, String)> = (1..=51)
        .map(|i| {
            (
                format!("LaunchConfigurationNames.member.{i}"),
                format!("l{i}"),
            )
        })
        .collect();
    let params: Vec<(&str, &str)> = lc_names
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.call("DescribeLaunchConfigurations", &params)
        .await
        .fails(400, "ValidationError");
    server.shutdown().await;
});

served!(pages_follow_next_token_and_default_to_fifty, |server, c| {
    for i in 0..55 {
        create_lc(&c, &format!("lc{i:02}")).await.done();
    }
    let all: DescribeLaunchConfigurationsOutput =
        c.call("DescribeLaunchConfigurations", &[]).await.ok();
    assert_eq!(all.launch_configurations.unwrap().len(), 50);
    let token = all.next_token.expect("more pages");
    // A token of one operation is refused by another, with the model's error for it.
    c.call("DescribeAutoScalingGroups", &[("NextToken", &token)])
        .await
        .fails(400, "InvalidNextToken");
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut params = vec![("MaxRecords", "20")];
        if let Some(t) = &token {
            params.push(("NextToken", t));
        }
        let page: DescribeLaunchConfigurationsOutput =
            c.call("DescribeLaunchConfigurations", &params).await.ok();
        pages += 1;
        seen.extend(
            page.launch_configurations
                .unwrap()
                .into_iter()
                .map(|l| l.launch_configuration_name.unwrap()),
        );
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    let want: Vec<String> = (0..55).map(|i| format!("lc{i:02}")).collect();
    assert_eq!(seen, want);
    server.shutdown().await;
});

served!(bad_requests_get_xml_errors_never_html, |server, c| {
    c.call("FlyToTheMoon", &[])
        .await
        .fails(400, "InvalidAction");
    let form = Some("application/x-www-form-urlencoded");
    c.raw("POST", "/", b"Version=2011-01-01".to_vec(), form)
        .await
        .fails(400, "MissingParameter");
    c.raw("POST", "/", Vec::new(), None)
        .await
        .fails(400, "MissingParameter");
    let e = c
        .call(
            "CreateAutoScalingGroup",
            &[
                ("AutoScalingGroupName", "g"),
                ("LaunchConfigurationName", "lc"),
                ("MaxSize", "1"),
            ],
        )
        .await;
    // A missing required member: AWS's validation wording, not EC2's MissingParameter.
    e.fails(400, "ValidationError");
    assert_eq!(
        e.error.as_ref().unwrap().1,
        "1 validation error detected: Value null at 'minSize' failed to satisfy constraint: \
         Member must not be null",
        "{}",
        e.body
    );
    c.raw(
        "POST",
        "/",
        b"Action=DescribeTags&Filters.member.1.Name=%ff%fe".to_vec(),
        form,
    )
    .await
    .fails(400, "MalformedQueryString");
    c.raw("GET", "/?Action=DescribeTags&x=%C3%28", Vec::new(), None)
        .await
        .fails(400, "MalformedQueryString");
    c.raw("POST", "/", b"Action=DescribeTags&a..b=1".to_vec(), form)
        .await
        .fails(400, "MalformedQueryString");
    c.raw("POST", "/", vec![0xff, 0x00, 0x80, b'&', b'='], None)
        .await
        .fails(400, "MalformedQueryString");
    c.call(
        "SetDesiredCapacity",
        &[("AutoScalingGroupName", "g"), ("DesiredCapacity", "many")],
    )
    .await
    .fails(400, "MalformedInput");
    c.call(
        "SetDesiredCapacity",
        &[
            ("AutoScalingGroupName", "g"),
            ("DesiredCapacity", "99999999999"),
        ],
    )
    .await
    .fails(400, "MalformedInput");
    c.call(
        "DescribeAutoScalingGroups",
        &[("AutoScalingGroupNames.member.1.Deep", "x")],
    )
    .await
    .fails(400, "MalformedInput");
    c.raw("PUT", "/", Vec::new(), None)
        .await
        .fails(405, "UnsupportedHttpVerb");
    c.raw("GET", "/elsewhere", Vec::new(), None)
        .await
        .fails(404, "NotFound");
    let long = "x".repeat(300);
    create_lc(&c, &long).await.fails(400, "ValidationError");
    create_lc(&c, "").await.fails(400, "ValidationError");
    server.shutdown().await;
});

served!(phantom_sites_and_definitions, |server, c| {
    create_lc(&c, "web@mars")
        .await
        .fails(400, "ValidationError");
    create_lc(&c, "web@sierra").await.done();
    create_lc(&c, "plain").await.done();
    // A site not offered is refused in a group's reference too.
    create_group(&c, "g0", "web@mars", 0, 1, 0)
        .await
        .fails(400, "ValidationError");
    // `web` finds `web@sierra`; the instances carry the site.
    create_group(&c, "g1", "web", 1, 1, 1).await.done();
    let g = group(&c, "g1").await.unwrap();
    assert_eq!(
        g.instances.unwrap()[0].availability_zone.as_deref(),
        Some("sierra")
    );
    // An AWS-style launch configuration: the group's first zone.
    c.call(
        "CreateAutoScalingGroup",
        &[
            ("AutoScalingGroupName", "g2"),
            ("LaunchConfigurationName", "plain"),
            ("MinSize", "1"),
            ("MaxSize", "1"),
            ("AvailabilityZones.member.1", "us-east-1b"),
            ("AvailabilityZones.member.2", "us-east-1a"),
        ],
    )
    .await
    .done();
    let g = group(&c, "g2").await.unwrap();
    assert_eq!(
        g.instances.unwrap()[0].availability_zone.as_deref(),
        Some("us-east-1b")
    );
    // ... or, with no zone, the first site.
    create_group(&c, "g3", "plain", 1, 1, 1).await.done();
    let g = group(&c, "g3").await.unwrap();
    assert_eq!(
        g.instances.unwrap()[0].availability_zone.as_deref(),
        Some("hotel")
    );
    // PHANTOM_DEFINITION tags: known policies accepted, others refused.
    let tagged = |name: &'static str, def: &'static str| {
        let c = c.clone();
        async move {
            c.call(
                "CreateAutoScalingGroup",
                &[
                    ("AutoScalingGroupName", name),
                    ("LaunchConfigurationName", "web@sierra"),
                    ("MinSize", "0"),
                    ("MaxSize", "2"),
                    ("Tags.member.1.Key", "PHANTOM_DEFINITION"),
                    ("Tags.member.1.Value", def),
                    ("Tags.member.2.Key", "clouds"),
                    ("Tags.member.2.Value", "sierra:2"),
                ],
            )
            .await
        }
    };
    tagged("g4", "error_overflow_n_preserving").await.done();
    tagged("g5", "teleport").await.fails(400, "ValidationError");
    let g = group(&c, "g4").await.unwrap();
    let tags: Vec<_> = g
        .tags
        .unwrap()
        .into_iter()
        .map(|t| (t.key.unwrap(), t.value.unwrap()))
        .collect();
    assert_eq!(
        tags,
        [
            (
                "PHANTOM_DEFINITION".to_string(),
                "error_overflow_n_preserving".to_string()
            ),
            ("clouds".to_string(), "sierra:2".to_string())
        ]
    );
    server.shutdown().await;
});

served!(instances_live_and_activities_record_it, |server, c| {
    create_lc(&c, "lc@hotel").await.done();
    create_group(&c, "g", "lc", 1, 3, 2).await.done();
    let g = group(&c, "g").await.unwrap();
    assert_eq!(g.instances.as_ref().unwrap().len(), 2);
    let g = wait_group(&c, "g", Duration::from_secs(20), |g| {
        states(g) == ["InService", "InService"]
    })
    .await;
    let ids: Vec<String> = g
        .instances
        .unwrap()
        .into_iter()
        .map(|i| i.instance_id.unwrap())
        .collect();
    // Terminate one without decrementing: a replacement is launched.
    let out: TerminateInstanceInAutoScalingGroupOutput = c
        .call(
            "TerminateInstanceInAutoScalingGroup",
            &[
                ("InstanceId", &ids[0]),
                ("ShouldDecrementDesiredCapacity", "false"),
            ],
        )
        .await
        .ok();
    let act = out.activity.unwrap();
    assert_eq!(
        act.description.as_deref(),
        Some(format!("Terminating EC2 instance: {}", ids[0]).as_str())
    );
    let g = group(&c, "g").await.unwrap();
    assert_eq!(g.desired_capacity, Some(2));
    assert_eq!(states(&g), ["InService", "Pending", "Terminating"]);
    // Terminate with decrement: desired goes 2 -> 1; then at min, decrementing is refused.
    c.call(
        "TerminateInstanceInAutoScalingGroup",
        &[
            ("InstanceId", &ids[1]),
            ("ShouldDecrementDesiredCapacity", "true"),
        ],
    )
    .await
    .done();
    let g = wait_group(&c, "g", Duration::from_secs(20), |g| {
        states(g) == ["InService"]
    })
    .await;
    assert_eq!(g.desired_capacity, Some(1));
    let last = g.instances.unwrap()[0].instance_id.clone().unwrap();
    c.call(
        "TerminateInstanceInAutoScalingGroup",
        &[
            ("InstanceId", &last),
            ("ShouldDecrementDesiredCapacity", "true"),
        ],
    )
    .await
    .fails(400, "ValidationError");
    // Activities: 3 launches and 2 terminations, newest first, all finished by now.
    let acts = wait_activities(&c, "g", 5).await;
    let descriptions: Vec<&str> = acts
        .iter()
        .map(|a| a.description.as_deref().unwrap())
        .collect();
    assert!(
        descriptions[0].starts_with("Terminating EC2 instance: "),
        "{descriptions:?}"
    );
    assert!(
        descriptions[4].starts_with("Launching a new EC2 instance: "),
        "{descriptions:?}"
    );
    assert_eq!(
        descriptions
            .iter()
            .filter(|d| d.starts_with("Launching"))
            .count(),
        3
    );
    for a in &acts {
        assert_eq!(a.status_code.as_deref(), Some("Successful"));
        assert_eq!(a.progress, Some(100));
        assert!(a.end_time.unwrap() >= a.start_time.unwrap());
        assert!(a.cause.as_deref().unwrap().starts_with("At "));
    }
    let times: Vec<_> = acts.iter().map(|a| a.start_time.unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // Pages of activities.
    let page: DescribeScalingActivitiesOutput = c
        .call(
            "DescribeScalingActivities",
            &[("AutoScalingGroupName", "g"), ("MaxRecords", "2")],
        )
        .await
        .ok();
    assert_eq!(page.activities.unwrap().len(), 2);
    let rest: DescribeScalingActivitiesOutput = c
        .call(
            "DescribeScalingActivities",
            &[
                ("AutoScalingGroupName", "g"),
                ("NextToken", &page.next_token.unwrap()),
            ],
        )
        .await
        .ok();
    assert_eq!(rest.activities.unwrap().len(), 3);
    server.shutdown().await;
});

async fn wait_activities(c: &Client, group: &str, n: usize) -> Vec<Activity> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let out: DescribeScalingActivitiesOutput = c
            .call(
                "DescribeScalingActivities",
                &[("AutoScalingGroupName", group)],
            )
            .await
            .ok();
        let acts = out.activities.unwrap();
        if acts.len() == n
            && acts
                .iter()
                .all(|a| a.status_code.as_deref() == Some("Successful"))
        {
            return acts;
        }
        assert!(std::time::Instant::now() < deadline, "activities: {acts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn tags_are_created_updated_filtered_and_deleted() {
    let server = start_open().await;
    let c = Client::new(&server);
    create_lc(&c, "lc").await.done();
    create_group(&c, "a", "lc", 0, 1, 0).await.done();
    create_group(&c, "b", "lc", 0, 1, 0).await.done();
    let tag = |g: &'static str, k: &'static str, v: &'static str| {
        vec![
            ("Tags.member.1.ResourceId", g),
            ("Tags.member.1.ResourceType", "auto-scaling-group"),
            ("Tags.member.1.Key", k),
            ("Tags.member.1.Value", v),
            ("Tags.member.1.PropagateAtLaunch", "true"),
        ]
    };
    c.call("CreateOrUpdateTags", &tag("a", "env", "dev"))
        .await
        .done();
    c.call("CreateOrUpdateTags", &tag("a", "env", "prod"))
        .await
        .done();
    c.call("CreateOrUpdateTags", &tag("b", "team", "ops"))
        .await
        .done();
    let all: DescribeTagsOutput = c.call("DescribeTags", &[]).await.ok();
    let tags: Vec<_> = all
        .tags
        .unwrap()
        .into_iter()
        .map(|t| {
            (
                t.resource_id.unwrap(),
                t.key.unwrap(),
                t.value.unwrap(),
                t.propagate_at_launch.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tags,
        [
            ("a".into(), "env".into(), "prod".into(), true),
            ("b".into(), "team".into(), "ops".into(), true)
        ]
    );
    let only_b: DescribeTagsOutput = c
        .call(
            "DescribeTags",
            &[
                ("Filters.member.1.Name", "auto-scaling-group"),
                ("Filters.member.1.Values.member.1", "b"),
            ],
        )
        .await
        .ok();
    assert_eq!(only_b.tags.unwrap().len(), 1);
    c.call(
        "DescribeTags",
        &[
            ("Filters.member.1.Name", "colour"),
            ("Filters.member.1.Values.member.1", "x"),
        ],
    )
    .await
    .fails(400, "ValidationError");
    let by_tag: DescribeAutoScalingGroupsOutput = c
        .call(
            "DescribeAutoScalingGroups",
            &[
                ("Filters.member.1.Name", "tag:env"),
                ("Filters.member.1.Values.member.1", "prod"),
            ],
        )
        .await
        .ok();
    let names: Vec<_> = by_tag
        .auto_scaling_groups
        .unwrap()
        .into_iter()
        .map(|g| g.auto_scaling_group_name.unwrap())
        .collect();
    assert_eq!(names, ["a"]);
    c.call(
        "DeleteTags",
        &[
            ("Tags.member.1.ResourceId", "a"),
            ("Tags.member.1.ResourceType", "auto-scaling-group"),
            ("Tags.member.1.Key", "env"),
        ],
    )
    .await
    .done();
    let all: DescribeTagsOutput = c.call("DescribeTags", &[]).await.ok();
    assert_eq!(all.tags.unwrap().len(), 1);
    server.shutdown().await;
}

served!(an_oversized_body_gets_an_xml_error, |server, c| {
    let mut body = b"Action=DescribeTags&Pad=".to_vec();
    body.resize(3 * 1024 * 1024, b'x');
    let a = c
        .raw("POST", "/", body, Some("application/x-www-form-urlencoded"))
        .await;
    a.fails(413, "RequestEntityTooLarge");
    server.shutdown().await;
});

#[tokio::test]
async fn launch_configurations_need_an_instance_type_or_an_instance() {
    let server = start_open().await;
    let c = Client::new(&server);
    // AWS: without InstanceId, both ImageId and InstanceType are needed; nothing is stored.
    let a = c
        .call(
            "CreateLaunchConfiguration",
            &[("LaunchConfigurationName", "lc"), ("ImageId", "ami-1")],
        )
        .await;
    a.fails(400, "ValidationError");
    assert_eq!(
        a.error.as_ref().unwrap().1,
        "Valid requests must contain either the InstanceType or the InstanceId parameter.",
        "{}",
        a.body
    );
    let lcs: DescribeLaunchConfigurationsOutput =
        c.call("DescribeLaunchConfigurations", &[]).await.ok();
    assert!(lcs.launch_configurations.unwrap().is_empty());
    create_lc(&c, "lc").await.done();
    server.shutdown().await;
}

served!(a_group_names_exactly_one_launch_source, |server, c| {
    create_lc(&c, "lc").await.done();
    let aws_text = "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, \
                    InstanceId or MixedInstancesPolicy parameter.";
    let base = [
        ("AutoScalingGroupName", "g"),
        ("MinSize", "0"),
        ("MaxSize", "1"),
    ];
    let extras: [&[(&str, &str)]; 4] = [
        &[],
        &[
            ("LaunchConfigurationName", "lc"),
            ("InstanceId", "i-0123456789abcdef0"),
        ],
        &[
            ("LaunchConfigurationName", "lc"),
            ("LaunchTemplate.LaunchTemplateName", "tmpl"),
        ],
        &[
            ("LaunchTemplate.LaunchTemplateName", "tmpl"),
            (
                "MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateName",
                "tmpl",
            ),
        ],
    ];
    for extra in extras {
        let params: Vec<(&str, &str)> = base.iter().chain(extra.iter()).copied().collect();
        let a = c.call("CreateAutoScalingGroup", &params).await;
        a.fails(400, "ValidationError");
        assert_eq!(
            a.error.as_ref().unwrap().1,
            aws_text,
            "{extra:?}: {}",
            a.body
        );
    }
    assert!(group(&c, "g").await.is_none());
    create_group(&c, "g", "lc", 0, 1, 0).await.done();
    let a = c
        .call(
            "UpdateAutoScalingGroup",
            &[
                ("AutoScalingGroupName", "g"),
                ("LaunchConfigurationName", "lc"),
                ("LaunchTemplate.LaunchTemplateName", "tmpl"),
            ],
        )
        .await;
    a.fails(400, "ValidationError");
    assert_eq!(a.error.as_ref().unwrap().1, aws_text, "{}", a.body);
    server.shutdown().await;
});

#[tokio::test]
async fn update_of_a_missing_group_says_null_as_aws_does() {
    let server = start_open().await;
    let c = Client::new(&server);
    let a = c
        .call(
            "UpdateAutoScalingGroup",
            &[("AutoScalingGroupName", "nowhere"), ("MaxSize", "3")],
        )
        .await;
    a.fails(400, "ValidationError");
    assert_eq!(
        a.error.as_ref().unwrap().1,
        "AutoScalingGroup name not found - null",
        "{}",
        a.body
    );
    server.shutdown().await;
}

#[tokio::test]
async fn new_instances_protected_from_scale_in_are_protected() {
    let server = start_open().await;
    let c = Client::new(&server);
    create_lc(&c, "lc").await.done();
    c.call(
        "CreateAutoScalingGroup",
        &[
            ("AutoScalingGroupName", "p"),
            ("LaunchConfigurationName", "lc"),
            ("MinSize", "0"),
            ("MaxSize", "3"),
            ("DesiredCapacity", "2"),
            ("NewInstancesProtectedFromScaleIn", "true"),
        ],
    )
    .await
    .done();
    create_group(&c, "open", "lc", 0, 3, 1).await.done();
    let g = group(&c, "p").await.unwrap();
    assert_eq!(g.new_instances_protected_from_scale_in, Some(true));
    let protected: Vec<_> = g
        .instances
        .unwrap()
        .iter()
        .map(|i| i.protected_from_scale_in)
        .collect();
    assert_eq!(protected, [Some(true), Some(true)]);
    let unprotected = group(&c, "open").await.unwrap().instances.unwrap();
    assert_eq!(unprotected[0].protected_from_scale_in, Some(false));
    let details: DescribeAutoScalingInstancesOutput =
        c.call("DescribeAutoScalingInstances", &[]).await.ok();
    for i in details.auto_scaling_instances.unwrap() {
        let want = i.auto_scaling_group_name.as_deref() == Some("p");
        assert_eq!(i.protected_from_scale_in, Some(want), "{i:?}");
    }
    // Scale-in passes over protected instances.
    c.call(
        "SetDesiredCapacity",
        &[("AutoScalingGroupName", "p"), ("DesiredCapacity", "0")],
    )
    .await
    .done();
    let g = group(&c, "p").await.unwrap();
    assert_eq!(g.desired_capacity, Some(0));
    let states: Vec<_> = g
        .instances
        .unwrap()
        .iter()
        .map(|i| i.lifecycle_state.clone().unwrap())
        .filter(|s| s.starts_with("Terminating"))
        .collect();
    assert!(states.is_empty(), "{states:?}");
    // Instances launched after protection is turned off are not protected.
    c.call(
        "UpdateAutoScalingGroup",
        &[
            ("AutoScalingGroupName", "p"),
            ("NewInstancesProtectedFromScaleIn", "false"),
            ("DesiredCapacity", "3"),
        ],
    )
    .await
    .done();
    let g = group(&c, "p").await.unwrap();
    let mut protected: Vec<_> = g
        .instances
        .unwrap()
        .iter()
        .map(|i| i.protected_from_scale_in.unwrap())
        .collect();
    protected.sort();
    assert_eq!(protected, [false, true, true]);
    server.shutdown().await;
}

#[tokio::test]
async fn arns_name_the_served_region_and_account() {
    let arns = |c: Client| async move {
        create_lc(&c, "lc").await.done();
        create_group(&c, "g", "lc", 0, 1, 0).await.done();
        let lcs: DescribeLaunchConfigurationsOutput =
            c.call("DescribeLaunchConfigurations", &[]).await.ok();
        let lc_arn = lcs.launch_configurations.unwrap()[0]
            .launch_configuration_arn
            .clone()
            .unwrap();
        let g_arn = group(&c, "g")
            .await
            .unwrap()
            .auto_scaling_group_arn
            .unwrap();
        (lc_arn, g_arn)
    };
    let server = start_open().await;
    let (lc_arn, g_arn) = arns(Client::new(&server)).await;
    assert!(
        lc_arn.starts_with("arn:aws:autoscaling:us-east-1:123456789012:launchConfiguration:"),
        "{lc_arn}"
    );
    assert!(lc_arn.ends_with(":launchConfigurationName/lc"), "{lc_arn}");
    assert!(
        g_arn.starts_with("arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:"),
        "{g_arn}"
    );
    assert!(g_arn.ends_with(":autoScalingGroupName/g"), "{g_arn}");
    server.shutdown().await;
    let server = phantom_autoscale::server::start(phantom_autoscale::server::ServeOptions {
        region: "eu-west-3".into(),
        account_id: "210987654321".into(),
        ..open_options()
    })
    .await
    .unwrap();
    let (lc_arn, g_arn) = arns(Client::new(&server)).await;
    assert!(
        lc_arn.starts_with("arn:aws:autoscaling:eu-west-3:210987654321:"),
        "{lc_arn}"
    );
    assert!(
        g_arn.starts_with("arn:aws:autoscaling:eu-west-3:210987654321:"),
        "{g_arn}"
    );
    server.shutdown().await;
    for (region, account) in [
        ("us-east-1", "12345"),
        ("us-east-1", "12345678901x"),
        ("bad region", "123456789012"),
        ("", "123456789012"),
    ] {
        let e = phantom_autoscale::server::start(phantom_autoscale::server::ServeOptions {
            region: region.into(),
            account_id: account.into(),
            ..open_options()
        })
        .await
        .unwrap_err();
        assert!(
            e.to_string().contains(
                if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
                    "region"
                } else {
                    "account id"
                }
            ),
            "{e}"
        );
    }
}

served!(several_instances_terminate_in_one_call, |server, c| {
    // The 2026 model: InstanceIds (with AutoScalingGroupName) answered with Activities.
    create_lc(&c, "lc@hotel").await.done();
    create_group(&c, "g", "lc", 1, 4, 3).await.done();
    create_group(&c, "other", "lc", 0, 1, 1).await.done();
    let ids: Vec<String> = group(&c, "g")
        .await
        .unwrap()
        .instances
        .unwrap()
        .into_iter()
        .map(|i| i.instance_id.unwrap())
        .collect();
    let stranger = group(&c, "other").await.unwrap().instances.unwrap()[0]
        .instance_id
        .clone()
        .unwrap();
    let terminate = |extra: Vec<(&'static str, String)>| {
        let c = c.clone();
        async move {
            let mut params: Vec<(&str, String)> =
                vec![("ShouldDecrementDesiredCapacity", "true".into())];
            params.extend(extra);
            let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.call("TerminateInstanceInAutoScalingGroup", &refs).await
        }
    };
    // Refused, and nothing changes: no group name; both forms; neither; another group's
    // instance; the same id twice; below the minimum.
    let refusals = [
        vec![("InstanceIds.member.1", ids[0].clone())],
        vec![
            ("InstanceId", ids[0].clone()),
            ("InstanceIds.member.1", ids[1].clone()),
            ("AutoScalingGroupName", "g".into()),
        ],
        vec![],
        vec![
            ("InstanceIds.member.1", ids[0].clone()),
            ("InstanceIds.member.2", stranger.clone()),
            ("AutoScalingGroupName", "g".into()),
        ],
        vec![
            ("InstanceIds.member.1", ids[0].clone()),
            ("InstanceIds.member.2", ids[0].clone()),
            ("AutoScalingGroupName", "g".into()),
        ],
        vec![
            ("InstanceIds.member.1", ids[0].clone()),
            ("InstanceIds.member.2", ids[1].clone()),
            ("InstanceIds.member.3", ids[2].clone()),
            ("AutoScalingGroupName", "g".into()),
        ],
    ];
    for params in refusals {
        let shown = format!("{params:?}");
        terminate(params).await.fails(400, "ValidationError");
        let g = group(&c, "g").await.unwrap();
        assert_eq!(g.desired_capacity, Some(3), "{shown}");
    }
    let out: TerminateInstanceInAutoScalingGroupOutput = terminate(vec![
        ("InstanceIds.member.1", ids[0].clone()),
        ("InstanceIds.member.2", ids[1].clone()),
        ("AutoScalingGroupName", "g".into()),
    ])
    .await
    .ok();
    assert!(out.activity.is_none());
    let described: Vec<String> = out
        .activities
        .unwrap()
        .into_iter()
        .map(|a| a.description.unwrap())
        .collect();
    assert_eq!(
        described,
        [
            format!("Terminating EC2 instance: {}", ids[0]),
            format!("Terminating EC2 instance: {}", ids[1])
        ]
    );
    let g = group(&c, "g").await.unwrap();
    assert_eq!(g.desired_capacity, Some(1));
    server.shutdown().await;
});
