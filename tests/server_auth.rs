//! Authentication on the built-in endpoint: SigV4 (any scope, and Phantom's variant) and SigV2
//! against keys from a credentials file or generated at start; each failure's status and code;
//! and that each key sees only its own resources.

mod common;

use std::time::Duration;

use common::*;
use phantom_autoscale::Credentials;
use phantom_autoscale::autoscaling::types::*;
use phantom_autoscale::query::sign::{HmacAlgorithm, SignatureVersion};
use phantom_autoscale::server::{RunningServer, ServeOptions, start};

fn alice() -> Credentials {
    Credentials::new("AKIDALICE0000000001", "alice/secret+key")
}

fn bob() -> Credentials {
    Credentials::new("AKIDBOB000000000002", "bob-secret")
}

async fn start_with_file() -> (RunningServer, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "phantom-auth-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("credentials");
    std::fs::write(
        &file,
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n[bob]\n\
             aws_access_key_id={}\naws_secret_access_key={}\n",
            alice().access_key_id(),
            alice().secret_access_key().expose(),
            bob().access_key_id(),
            bob().secret_access_key().expose()
        ),
    )
    .unwrap();
    let server = start(ServeOptions {
        credentials_file: Some(file),
        launch_delay: Duration::from_millis(100),
        ..ServeOptions::default()
    })
    .await
    .unwrap();
    assert!(server.generated_credentials.is_none());
    (server, dir)
}

const VERSIONS: [SignatureVersion; 4] = [
    SignatureVersion::V4,
    SignatureVersion::PhantomV4,
    SignatureVersion::V2(HmacAlgorithm::Sha256),
    SignatureVersion::V2(HmacAlgorithm::Sha1),
];

#[tokio::test]
async fn every_signature_version_is_accepted_over_get_and_post() {
    let (server, dir) = start_with_file().await;
    let base = Client::new(&server);
    for (n, version) in VERSIONS.iter().enumerate() {
        let c = base.signed(*version, &alice());
        create_lc(&c, &format!("lc{n}")).await.done();
        let out: DescribeLaunchConfigurationsOutput =
            c.get("DescribeLaunchConfigurations", &[]).await.ok();
        assert_eq!(
            out.launch_configurations.unwrap().len(),
            n + 1,
            "{version:?}"
        );
    }
    // Any region and service in the SigV4 scope, as boto 2 derives them from 127.0.0.1.
    let mut c = base.signed(SignatureVersion::V4, &alice());
    c.region = "0".into();
    c.service = "127".into();
    c.get("DescribeAutoScalingGroups", &[]).await.done();
    c.region = "nimbus".into();
    c.call("DescribeAutoScalingGroups", &[]).await.done();
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn failures_have_aws_codes() {
    let (server, dir) = start_with_file().await;
    let base = Client::new(&server);
    let forged = Credentials::new(alice().access_key_id(), "not-the-secret");
    let stranger = Credentials::new("AKIDNOBODY000000000", "whatever");
    for version in VERSIONS {
        base.signed(version, &forged)
            .call("DescribeAutoScalingGroups", &[])
            .await
            .fails(403, "SignatureDoesNotMatch");
        base.signed(version, &stranger)
            .call("DescribeAutoScalingGroups", &[])
            .await
            .fails(403, "InvalidClientTokenId");
        for skew in [-20 * 60, 20 * 60] {
            let mut c = base.signed(version, &alice());
            c.skew_secs = skew;
            c.call("DescribeAutoScalingGroups", &[])
                .await
                .fails(400, "RequestExpired");
        }
        // Ten minutes off is within the 15-minute window.
        let mut c = base.signed(version, &alice());
        c.skew_secs = -600;
        c.call("DescribeAutoScalingGroups", &[]).await.done();
    }
    base.call("DescribeAutoScalingGroups", &[])
        .await
        .fails(403, "MissingAuthenticationToken");
    base.get("DescribeAutoScalingGroups", &[])
        .await
        .fails(403, "MissingAuthenticationToken");
    // A refused request changes nothing.
    create_lc(&base.signed(SignatureVersion::V4, &forged), "sneaky")
        .await
        .fails(403, "SignatureDoesNotMatch");
    let out: DescribeLaunchConfigurationsOutput = base
        .signed(SignatureVersion::V4, &alice())
        .call("DescribeLaunchConfigurations", &[])
        .await
        .ok();
    assert!(out.launch_configurations.unwrap().is_empty());
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn each_key_sees_only_its_own_resources() {
    let (server, dir) = start_with_file().await;
    let base = Client::new(&server);
    let a = base.signed(SignatureVersion::V4, &alice());
    let b = base.signed(SignatureVersion::V2(HmacAlgorithm::Sha256), &bob());
    create_lc(&a, "lc@hotel").await.done();
    create_group(&a, "shared-name", "lc", 1, 1, 1).await.done();
    // Bob sees none of it, and may use the same names.
    assert!(group(&b, "shared-name").await.is_none());
    create_group(&b, "shared-name", "lc", 0, 1, 0)
        .await
        .fails(400, "ValidationError");
    create_lc(&b, "lc@hotel").await.done();
    create_group(&b, "shared-name", "lc", 0, 2, 0).await.done();
    let inst: DescribeAutoScalingInstancesOutput =
        b.call("DescribeAutoScalingInstances", &[]).await.ok();
    assert!(inst.auto_scaling_instances.unwrap().is_empty());
    let acts: DescribeScalingActivitiesOutput = b.call("DescribeScalingActivities", &[]).await.ok();
    assert!(acts.activities.unwrap().is_empty());
    let ga = group(&a, "shared-name").await.unwrap();
    let gb = group(&b, "shared-name").await.unwrap();
    assert_eq!((ga.max_size, gb.max_size), (Some(1), Some(2)));
    // Bob cannot terminate Alice's instance.
    let id = ga.instances.unwrap()[0].instance_id.clone().unwrap();
    b.call(
        "TerminateInstanceInAutoScalingGroup",
        &[
            ("InstanceId", &id),
            ("ShouldDecrementDesiredCapacity", "false"),
        ],
    )
    .await
    .fails(400, "ValidationError");
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_key_is_generated_when_none_is_given() {
    let server = start(ServeOptions::default()).await.unwrap();
    let creds = server.generated_credentials.clone().expect("generated key");
    let shown = format!("{server:?}");
    assert!(shown.contains(creds.access_key_id()));
    assert!(
        !shown.contains(creds.secret_access_key().expose()),
        "Debug must not show the secret"
    );
    let c = Client::new(&server).signed(SignatureVersion::V4, &creds);
    c.call("DescribeAutoScalingGroups", &[]).await.done();
    Client::new(&server)
        .call("DescribeAutoScalingGroups", &[])
        .await
        .fails(403, "MissingAuthenticationToken");
    server.shutdown().await;
}

#[tokio::test]
async fn a_credentials_file_without_keys_is_refused() {
    let dir = std::env::temp_dir().join(format!("phantom-auth-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("credentials");
    std::fs::write(&file, "[default]\nregion = us-east-1\n").unwrap();
    let e = start(ServeOptions {
        credentials_file: Some(file),
        ..ServeOptions::default()
    })
    .await
    .unwrap_err();
    assert!(e.to_string().contains("no profile"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}
