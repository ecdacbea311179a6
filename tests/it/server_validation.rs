//! The built-in endpoint checks every request against the API model's input constraints before
//! acting, in AWS's words, over real HTTP: control characters and U+FFFE/U+FFFF never get stored
//! (so every later reply stays well-formed XML, for our client and for the AWS CLI), several
//! violations are reported together, and numbers and booleans are read strictly.

use std::process::Command;

use crate::util::peers::{output as run, peer};
use crate::util::server::*;
use phantom_autoscale::autoscaling::types::*;

/// The model's pattern for XML-safe text, as AWS quotes it.
const XML_TEXT: &str = "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*";

/// Asserts a `ValidationError` whose message is exactly `message`, and that the error document
/// itself carries no character XML cannot hold (the bad value is echoed in it).
fn refused(a: &Answer, message: &str) {
    a.fails(400, "ValidationError");
    assert_eq!(a.error.as_ref().unwrap().1, message, "{}", a.body);
    assert_well_formed(&a.body);
}

fn assert_well_formed(body: &str) {
    let bad = body.chars().find(|&c| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
    });
    assert!(bad.is_none(), "reply carries {bad:?}: {body:?}");
}

fn pattern_error(value: &str, path: &str) -> String {
    format!(
        "1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: {XML_TEXT}"
    )
}

async fn create_lc_with(c: &Client, name: &str, extra: &[(&str, &str)]) -> Answer {
    let mut params = vec![
        ("LaunchConfigurationName", name),
        ("ImageId", "ami-12345678"),
        ("InstanceType", "m1.small"),
    ];
    for (k, v) in extra {
        params.retain(|(key, _)| key != k);
        params.push((k, v));
    }
    c.call("CreateLaunchConfiguration", &params).await
}

/// Every later Describe of the owner still reads (through our client's strict shape reader).
async fn describes_still_parse(c: &Client) {
    let lcs: DescribeLaunchConfigurationsOutput =
        c.call("DescribeLaunchConfigurations", &[]).await.ok();
    for lc in lcs.launch_configurations.unwrap_or_default() {
        let name = lc.launch_configuration_name.unwrap_or_default();
        assert!(!name.chars().any(char::is_control), "{name:?}");
    }
    let _: DescribeAutoScalingGroupsOutput = c.call("DescribeAutoScalingGroups", &[]).await.ok();
    let _: DescribeTagsOutput = c.call("DescribeTags", &[]).await.ok();
    let _: DescribeAutoScalingInstancesOutput =
        c.call("DescribeAutoScalingInstances", &[]).await.ok();
    let _: DescribeScalingActivitiesOutput = c.call("DescribeScalingActivities", &[]).await.ok();
}

#[tokio::test]
async fn control_characters_are_refused_in_aws_words_and_never_stored() {
    let server = start_open().await;
    let c = Client::new(&server);
    create_lc(&c, "good").await.done();
    create_group(&c, "g", "good", 0, 2, 0).await.done();

    // The issue's reproductions: each one a ValidationError naming the member and the pattern.
    let image = "ami-1\u{1}";
    refused(
        &create_lc_with(&c, "lc1", &[("ImageId", image)]).await,
        &pattern_error(image, "imageId").replace('\u{1}', "\u{FFFD}"),
    );
    let user_data = "#!/bin/sh\u{0}\u{1b}[31m";
    refused(
        &create_lc_with(&c, "lc2", &[("UserData", user_data)]).await,
        &pattern_error(user_data, "userData").replace(['\u{0}', '\u{1b}'], "\u{FFFD}"),
    );
    let key = "key\u{1f}";
    refused(
        &create_lc_with(&c, "lc3", &[("KeyName", key)]).await,
        &pattern_error(key, "keyName").replace('\u{1f}', "\u{FFFD}"),
    );
    let group_name = "g\u{FFFE}";
    refused(
        &create_group(&c, group_name, "good", 0, 1, 0).await,
        &pattern_error(group_name, "autoScalingGroupName").replace('\u{FFFE}', "\u{FFFD}"),
    );
    refused(
        &create_lc_with(&c, "lc\u{FFFF}", &[]).await,
        &pattern_error("lc\u{FFFD}", "launchConfigurationName"),
    );
    // Tags, through both operations that take them: paths name the list item.
    let tag_params = |key: &'static str, value: &'static str| {
        vec![
            ("Tags.member.1.ResourceId", "g"),
            ("Tags.member.1.ResourceType", "auto-scaling-group"),
            ("Tags.member.1.Key", key),
            ("Tags.member.1.Value", value),
        ]
    };
    let a = c
        .call("CreateOrUpdateTags", &tag_params("k\u{7}", "v"))
        .await;
    refused(&a, &pattern_error("k\u{FFFD}", "tags.1.member.key"));
    let a = c
        .call("CreateOrUpdateTags", &tag_params("k", "v\u{0}"))
        .await;
    refused(&a, &pattern_error("v\u{FFFD}", "tags.1.member.value"));
    let a = c
        .call(
            "CreateAutoScalingGroup",
            &[
                ("AutoScalingGroupName", "g2"),
                ("LaunchConfigurationName", "good"),
                ("MinSize", "0"),
                ("MaxSize", "1"),
                ("Tags.member.1.Key", "env"),
                ("Tags.member.1.Value", "prod"),
                ("Tags.member.2.Key", "bell\u{7}"),
                ("Tags.member.2.Value", "ok"),
            ],
        )
        .await;
    refused(&a, &pattern_error("bell\u{FFFD}", "tags.2.member.key"));
    // Tab, newline and carriage return are XML text: accepted, and read back intact.
    create_lc_with(&c, "multi", &[("UserData", "line1\r\nline2\tend")])
        .await
        .done();
    let lcs: DescribeLaunchConfigurationsOutput = c
        .call(
            "DescribeLaunchConfigurations",
            &[("LaunchConfigurationNames.member.1", "multi")],
        )
        .await
        .ok();
    assert_eq!(
        lcs.launch_configurations.unwrap()[0].user_data.as_deref(),
        Some("line1\r\nline2\tend")
    );
    // Nothing bad was stored: every Describe of this owner still parses.
    describes_still_parse(&c).await;
    assert!(group(&c, "g2").await.is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn violations_are_reported_together_with_aws_paths() {
    let server = start_open().await;
    let c = Client::new(&server);
    let long = "x".repeat(256);
    let a = c
        .call(
            "CreateLaunchConfiguration",
            &[
                ("LaunchConfigurationName", long.as_str()),
                ("ImageId", ""),
                ("InstanceType", "m1.small"),
                ("MetadataOptions.HttpTokens", "sometimes"),
                ("MetadataOptions.HttpPutResponseHopLimit", "65"),
            ],
        )
        .await;
    refused(
        &a,
        &format!(
            "4 validation errors detected: \
             Value '{long}' at 'launchConfigurationName' failed to satisfy constraint: Member \
             must have length less than or equal to 255; \
             Value '' at 'imageId' failed to satisfy constraint: Member must have length greater \
             than or equal to 1; \
             Value 'sometimes' at 'metadataOptions.httpTokens' failed to satisfy constraint: \
             Member must satisfy enum value set: [optional, required]; \
             Value '65' at 'metadataOptions.httpPutResponseHopLimit' failed to satisfy \
             constraint: Member must have value less than or equal to 64"
        ),
    );
    // Missing required members: `Value null`, every one of them.
    let a = c.call("CreateAutoScalingGroup", &[("MaxSize", "1")]).await;
    refused(
        &a,
        "2 validation errors detected: Value null at 'autoScalingGroupName' failed to satisfy \
         constraint: Member must not be null; Value null at 'minSize' failed to satisfy \
         constraint: Member must not be null",
    );
    // A structure in a list: its required member, by item.
    let a = c
        .call(
            "DeleteTags",
            &[("Tags.member.1.Key", "a"), ("Tags.member.2.Value", "b")],
        )
        .await;
    refused(
        &a,
        "1 validation error detected: Value null at 'tags.2.member.key' failed to satisfy \
         constraint: Member must not be null",
    );
    // Texts in a list: reported once, at the list, with what its members must satisfy.
    let a = c
        .call(
            "DescribeAutoScalingInstances",
            &[
                ("InstanceIds.member.1", "i-1"),
                ("InstanceIds.member.2", "i-0123456789abcdef0123"),
            ],
        )
        .await;
    refused(
        &a,
        &format!(
            "1 validation error detected: Value '[i-1, i-0123456789abcdef0123]' at \
             'instanceIds' failed to satisfy constraint: Member must satisfy constraint: [Member \
             must have length less than or equal to 19, Member must have length greater than or \
             equal to 1, Member must satisfy regular expression pattern: {XML_TEXT}]"
        ),
    );
    // A numeric range of the model.
    create_lc(&c, "lc").await.done();
    let a = c
        .call(
            "CreateAutoScalingGroup",
            &[
                ("AutoScalingGroupName", "g"),
                ("LaunchConfigurationName", "lc"),
                ("MinSize", "0"),
                ("MaxSize", "1"),
                ("InstanceMaintenancePolicy.MinHealthyPercentage", "-2"),
            ],
        )
        .await;
    refused(
        &a,
        "1 validation error detected: Value '-2' at \
         'instanceMaintenancePolicy.minHealthyPercentage' failed to satisfy constraint: Member \
         must have value greater than or equal to -1",
    );
    server.shutdown().await;
}

served!(numbers_and_booleans_are_read_strictly, |server, c| {
    create_lc(&c, "lc").await.done();
    for bad in ["+5", " 5", "5 ", "0x5", "1e3", "5.0", "five", "2147483648"] {
        let a = c
            .call(
                "CreateAutoScalingGroup",
                &[
                    ("AutoScalingGroupName", "g"),
                    ("LaunchConfigurationName", "lc"),
                    ("MinSize", "0"),
                    ("MaxSize", bad),
                ],
            )
            .await;
        a.fails(400, "MalformedInput");
        assert!(
            a.error.as_ref().unwrap().1.contains("'maxSize'"),
            "{}",
            a.body
        );
    }
    assert!(group(&c, "g").await.is_none(), "nothing was created");
    for bad in ["True", "TRUE", "1", "yes", " true"] {
        c.call(
            "DeleteAutoScalingGroup",
            &[("AutoScalingGroupName", "g"), ("ForceDelete", bad)],
        )
        .await
        .fails(400, "MalformedInput");
    }
    // What AWS's own clients send still works: digits, `-`, `true`/`false`.
    create_group(&c, "g", "lc", 0, 5, 0).await.done();
    c.call(
        "UpdateAutoScalingGroup",
        &[("AutoScalingGroupName", "g"), ("MaxSize", "7")],
    )
    .await
    .done();
    c.call(
        "DeleteAutoScalingGroup",
        &[("AutoScalingGroupName", "g"), ("ForceDelete", "true")],
    )
    .await
    .done();
    server.shutdown().await;
});

fn aws(url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(peer("PHANTOM_TEST_AWS"));
    cmd.args([
        "autoscaling",
        "--endpoint-url",
        url,
        "--no-sign-request",
        "--output",
        "json",
    ])
    .args(args)
    .env("AWS_DEFAULT_REGION", "us-east-1")
    .env("AWS_CONFIG_FILE", "/dev/null")
    .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    .env("AWS_MAX_ATTEMPTS", "1");
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_is_told_why_and_can_still_describe() {
    let server = start_open().await;
    let url = server.url();
    let c = Client::new(&server);
    // Bad values through our client and through the AWS CLI itself.
    create_lc_with(&c, "bad", &[("ImageId", "ami-\u{1}")])
        .await
        .fails(400, "ValidationError");
    let out = run(aws(
        &url,
        &[
            "create-launch-configuration",
            "--launch-configuration-name",
            "cli-lc",
            "--image-id",
            "ami-1",
            "--instance-type",
            "m1.small",
            "--key-name",
            "k\u{2}ey",
        ],
    ))
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("(ValidationError)")
            && stderr.contains("1 validation error detected: Value 'k")
            && stderr.contains("at 'keyName' failed to satisfy constraint: Member must satisfy regular expression pattern"),
        "{stderr}"
    );
    let out = run(aws(
        &url,
        &[
            "create-auto-scaling-group",
            "--auto-scaling-group-name",
            "cli-g",
            "--launch-configuration-name",
            "nothing",
            "--min-size",
            "0",
            "--max-size",
            "1",
            "--tags",
            r#"[{"Key": "ok\u0001", "Value": "v"}]"#,
        ],
    ))
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("'tags.1.member.key'"), "{stderr}");
    // A good launch configuration, then every describe-* the CLI has parses.
    create_lc(&c, "fine").await.done();
    for describe in [
        "describe-launch-configurations",
        "describe-auto-scaling-groups",
        "describe-tags",
        "describe-auto-scaling-instances",
        "describe-scaling-activities",
    ] {
        let out = run(aws(&url, &[describe])).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{describe}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let _: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
        if describe == "describe-launch-configurations" {
            assert!(
                stdout.contains("\"fine\"") && !stdout.contains("\"bad\""),
                "{stdout}"
            );
        }
    }
    server.shutdown().await;
}

served!(
    every_operation_checks_its_input_against_the_model_first,
    |server, c| {
        // An operation's input is checked against the model before its handler runs (AWS's
        // errors, all of them at once); every operation of the model is served, so only a name
        // outside it is an action this endpoint does not know.
        refused(
            &c.call("PutWarmPool", &[("MaxGroupPreparedCapacity", "-2")])
                .await,
            "2 validation errors detected: Value null at 'autoScalingGroupName' failed to \
         satisfy constraint: Member must not be null; Value '-2' at 'maxGroupPreparedCapacity' \
         failed to satisfy constraint: Member must have value greater than or equal to -1",
        );
        refused(
            &c.call("DescribeInstanceRefreshes", &[("MaxRecords", "5")])
                .await,
            "1 validation error detected: Value null at 'autoScalingGroupName' failed to \
         satisfy constraint: Member must not be null",
        );
        let a = c
            .call(
                "DescribeInstanceRefreshes",
                &[("AutoScalingGroupName", "g")],
            )
            .await;
        // Served: a group that does not exist has no refreshes.
        assert_eq!(a.status, 200, "{}", a.body);
        assert!(
            a.body.contains("<InstanceRefreshes/>")
                || a.body.contains("<InstanceRefreshes></InstanceRefreshes>"),
            "{}",
            a.body
        );
        // A name outside the model is refused as before, whatever it carries.
        c.call("FlyToTheMoon", &[("LifecycleHookName", "bad hook!")])
            .await
            .fails(400, "InvalidAction");
        server.shutdown().await;
    }
);
