//! Authentication on the built-in endpoint: SigV4 (any scope, and Phantom's variant) and SigV2
//! against keys from a credentials file or generated at start; each failure's status and code;
//! and that each key sees only its own resources.

use std::time::Duration;

use crate::util::run::scratch_dir;
use crate::util::server::*;
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
    let dir = scratch_dir("auth");
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
    let dir = scratch_dir("auth-empty");
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

// ---------------------------------------------------------------------------------------------
// What runs is exactly what the signature covers (issue 9, items 1, 2, 4, 5 and 9).

/// Signs `params` (after `Action` and `Version`) for this server with the library's signer.
fn signed_request(
    server: &RunningServer,
    method: http::Method,
    version: SignatureVersion,
    creds: &Credentials,
    params: &[(&str, &str)],
) -> phantom_autoscale::query::SignedRequest {
    let mut pairs = vec![
        ("Action".to_string(), params[0].1.to_string()),
        ("Version".to_string(), "2011-01-01".to_string()),
    ];
    pairs.extend(
        params[1..]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let req = phantom_autoscale::query::QueryRequest {
        method,
        scheme: "http".into(),
        host: "127.0.0.1".into(),
        port: Some(server.addr.port()),
        path: "/".into(),
        params: pairs,
    };
    phantom_autoscale::query::sign::sign(
        &req,
        &version,
        &phantom_autoscale::query::sign::SigningParams {
            credentials: creds,
            region: "us-east-1",
            service: "autoscaling",
            time: std::time::SystemTime::now(),
        },
    )
    .unwrap()
}

/// Sends a request as given: method, path and query, headers, body.
async fn send_raw(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> (u16, String) {
    let http = reqwest::Client::new();
    let mut b = http.request(method.parse().unwrap(), url).body(body);
    for (k, v) in headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let r = b.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn an_unsigned_body_beside_signed_query_parameters_never_runs() {
    let (server, dir) = start_with_file().await;
    let a = Client::new(&server).signed(SignatureVersion::V2(HmacAlgorithm::Sha256), &alice());
    create_lc(&a, "keep").await.done();
    create_group(&a, "victim", "keep", 0, 1, 0).await.done();
    // A signed SigV2 POST, as a passive observer saw it: parameters in the body.
    let seen = signed_request(
        &server,
        http::Method::POST,
        SignatureVersion::V2(HmacAlgorithm::Sha256),
        &alice(),
        &[("Action", "DescribeAutoScalingGroups")],
    );
    let signed_query = String::from_utf8(seen.body.clone()).unwrap();
    let url = format!("{}?{signed_query}", server.url());
    let evil =
        b"Action=DeleteAutoScalingGroup&AutoScalingGroupName=victim&ForceDelete=true".to_vec();
    for content_type in [
        "text/plain",
        "application/json",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-8",
    ] {
        let (status, body) = send_raw(
            "POST",
            &url,
            &[("Content-Type".into(), content_type.into())],
            evil.clone(),
        )
        .await;
        assert!(
            status == 400 || status == 403,
            "{content_type}: HTTP {status}: {body}"
        );
        assert!(
            group(&a, "victim").await.is_some(),
            "{content_type}: deleted"
        );
    }
    // The same without a content type, and with the evil parameters in the query beside the
    // signed body instead.
    let (status, _) = send_raw("POST", &url, &[], evil.clone()).await;
    assert!(status == 400 || status == 403);
    let evil_query = String::from_utf8(evil).unwrap();
    let (status, _) = send_raw(
        "POST",
        &format!("{}?{evil_query}", server.url()),
        &seen.headers,
        seen.body.clone(),
    )
    .await;
    assert!(status == 400 || status == 403);
    assert!(group(&a, "victim").await.is_some());
    // A parameter given twice is refused, even signed.
    let twice = signed_request(
        &server,
        http::Method::GET,
        SignatureVersion::V2(HmacAlgorithm::Sha256),
        &alice(),
        &[("Action", "DescribeAutoScalingGroups")],
    );
    let (status, body) = send_raw(
        "GET",
        &format!("{}&Action=DescribeAutoScalingGroups", twice.url),
        &[],
        vec![],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("InvalidQueryParameter"), "{body}");
    // The signed request itself still works, with and without its form content type.
    let (status, body) = send_raw("POST", &server.url(), &seen.headers, seen.body.clone()).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send_raw("POST", &server.url(), &[], seen.body.clone()).await;
    assert_eq!(status, 200, "{body}");
    // SigV4 and Phantom's SigV4: an added body is not covered either.
    for version in [SignatureVersion::V4, SignatureVersion::PhantomV4] {
        let get = signed_request(
            &server,
            http::Method::GET,
            version,
            &alice(),
            &[("Action", "DescribeAutoScalingGroups")],
        );
        for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
            let mut headers = get.headers.clone();
            headers.push(("Content-Type".into(), content_type.into()));
            let (status, body) =
                send_raw("POST", &get.url, &headers, evil_query.clone().into_bytes()).await;
            assert!(
                status == 400 || status == 403,
                "{version:?} {content_type}: {body}"
            );
        }
    }
    assert!(group(&a, "victim").await.is_some());
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_plus_verifies_as_what_runs() {
    let (server, dir) = start_with_file().await;
    let a = Client::new(&server).signed(SignatureVersion::V4, &alice());
    for (n, version) in VERSIONS.iter().enumerate() {
        let name = format!("lc{n}+1");
        let req = signed_request(
            &server,
            http::Method::GET,
            *version,
            &alice(),
            &[
                ("Action", "CreateLaunchConfiguration"),
                ("LaunchConfigurationName", &name),
                ("ImageId", "ami-12345678"),
                ("InstanceType", "m1.small"),
            ],
        );
        let signed_name = format!("LaunchConfigurationName=lc{n}%2B1");
        assert!(req.url.contains(&signed_name), "{}", req.url);
        // Replayed with `+`, which decodes as a space: refused, nothing stored. Only the name is
        // rewritten: a base64 SigV2 signature may itself hold `%2B1`, and rewriting that too
        // makes the signature unreadable (400 IncompleteSignature) instead of wrong.
        let replay = req
            .url
            .replace(&signed_name, &format!("LaunchConfigurationName=lc{n}+1"));
        let (status, body) = send_raw("GET", &replay, &req.headers, vec![]).await;
        assert_eq!(status, 403, "{version:?}: {body}");
        assert!(body.contains("SignatureDoesNotMatch"), "{body}");
        // As signed: stored with its `+`.
        let (status, body) = send_raw("GET", &req.url, &req.headers, vec![]).await;
        assert_eq!(status, 200, "{version:?}: {body}");
    }
    let out: DescribeLaunchConfigurationsOutput =
        a.call("DescribeLaunchConfigurations", &[]).await.ok();
    let names: Vec<String> = out
        .launch_configurations
        .unwrap()
        .into_iter()
        .map(|l| l.launch_configuration_name.unwrap())
        .collect();
    assert_eq!(names, ["lc0+1", "lc1+1", "lc2+1", "lc3+1"]);
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// A SigV2 signature computed by hand over `params` (`Expires` and so on chosen by the caller).
fn v2_by_hand(server: &RunningServer, secret: &str, params: &[(&str, &str)]) -> String {
    use base64::Engine;
    use hmac::Mac;
    let mut sorted: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    sorted.sort();
    let encoded = phantom_autoscale::query::form::encode_pairs(&sorted);
    let sts = format!("GET\n127.0.0.1:{}\n/\n{encoded}", server.addr.port());
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    format!(
        "{}?{encoded}&Signature={}",
        server.url(),
        phantom_autoscale::query::encoding::encode_component(&sig)
    )
}

#[tokio::test]
async fn sigv2_expires_is_bounded() {
    let (server, dir) = start_with_file().await;
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let at = |secs: i64| {
        (time::OffsetDateTime::now_utc() + time::Duration::seconds(secs))
            .format(fmt)
            .unwrap()
    };
    let secret = alice().secret_access_key().expose().to_string();
    let key = alice().access_key_id().to_string();
    for (offset, want) in [(300, 200), (30 * 24 * 3600, 400), (-60, 400)] {
        let expires = at(offset);
        let url = v2_by_hand(
            &server,
            &secret,
            &[
                ("Action", "DescribeAutoScalingGroups"),
                ("Version", "2011-01-01"),
                ("AWSAccessKeyId", &key),
                ("SignatureVersion", "2"),
                ("SignatureMethod", "HmacSHA256"),
                ("Expires", &expires),
            ],
        );
        let (status, body) = send_raw("GET", &url, &[], vec![]).await;
        assert_eq!(status, want, "Expires in {offset} s: {body}");
    }
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn sigv4_with_date_and_no_x_amz_date_is_accepted() {
    use hmac::Mac;
    let (server, dir) = start_with_file().await;
    let hmac = |key: &[u8], data: &str| {
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        m.update(data.as_bytes());
        m.finalize().into_bytes().to_vec()
    };
    let now = time::OffsetDateTime::now_utc();
    let basic = now
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap();
    let http_date = now
        .format(time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ))
        .unwrap();
    let day = &basic[..8];
    let host = format!("127.0.0.1:{}", server.addr.port());
    let body = "Action=DescribeAutoScalingGroups&Version=2011-01-01";
    for date in [basic.clone(), http_date] {
        let mut headers = http::HeaderMap::new();
        headers.insert("date", date.parse().unwrap());
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        let signed = ["content-type", "date", "host"];
        let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body.as_bytes()));
        let creq = phantom_autoscale::query::sign::canonical_request_v4(
            "POST", &host, "/", "", &headers, &signed, &hash,
        )
        .unwrap();
        let scope = format!("{day}/us-east-1/autoscaling/aws4_request");
        let sts = phantom_autoscale::query::sign::string_to_sign_v4(&basic, &scope, &creq);
        let secret = alice().secret_access_key().expose().to_string();
        let mut k = hmac(format!("AWS4{secret}").as_bytes(), day);
        for part in ["us-east-1", "autoscaling", "aws4_request"] {
            k = hmac(&k, part);
        }
        let signature = hex::encode(hmac(&k, &sts));
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            alice().access_key_id(),
            signed.join(";")
        );
        let (status, reply) = send_raw(
            "POST",
            &server.url(),
            &[
                ("Date".into(), date.clone()),
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("Authorization".into(), auth),
            ],
            body.as_bytes().to_vec(),
        )
        .await;
        assert_eq!(status, 200, "Date {date}: {reply}");
    }
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn two_host_headers_are_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = start_open().await;
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let body = "Action=DescribeAutoScalingGroups&Version=2011-01-01";
    let req = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    assert!(
        reply.contains("<Code>InvalidQueryParameter</Code>"),
        "{reply}"
    );
    server.shutdown().await;
}

/// Logs a REST user in; returns `(user id, token)`.
async fn rest_login(server: &RunningServer, user: &str, password: &str) -> (String, String) {
    let text = reqwest::Client::new()
        .post(format!("{}/api/dev/token", server.url()))
        .form(&[("username", user), ("password", password)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["success"], true, "{v}");
    (v["user"].to_string(), v["token"].as_str().unwrap().into())
}

/// A REST call as `auth`; returns status and JSON (or `Null`).
async fn rest(
    server: &RunningServer,
    auth: &(String, String),
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut r = reqwest::Client::new()
        .request(
            method.parse().unwrap(),
            format!("{}/api/dev{path}", server.url()),
        )
        .basic_auth(&auth.0, Some(&auth.1));
    if let Some(b) = body {
        r = r
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let reply = r.send().await.unwrap();
    let status = reply.status().as_u16();
    let text = reply.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

const REST_LC: &str = r#"{"name": "web", "user_data": "old-user-data", "cloud_params": {"hotel": {"image_id": "hello-phantom.gz", "instance_type": "m1.small", "max_vms": 7, "common": false, "rank": 3}}}"#;

#[tokio::test]
async fn no_auth_means_one_anonymous_caller_whatever_key_is_named() {
    let server = start(ServeOptions {
        no_auth: true,
        users: phantom_autoscale::rest::access::Users::parse("bob:bobpassword\n").unwrap(),
        ..ServeOptions::default()
    })
    .await
    .unwrap();
    let bob = rest_login(&server, "bob", "bobpassword").await;
    let (status, _) = rest(
        &server,
        &bob,
        "POST",
        "/launchconfigurations",
        Some(REST_LC),
    )
    .await;
    assert_eq!(status, 201);
    let c = Client::new(&server);
    for claimed in ["rest:bob", "rest%3Abob"] {
        let url = format!(
            "{}?Action=DescribeLaunchConfigurations&Version=2011-01-01&AWSAccessKeyId={claimed}",
            server.url()
        );
        let (status, body) = send_raw("GET", &url, &[], vec![]).await;
        assert_eq!(status, 200, "{body}");
        assert!(!body.contains("web@hotel"), "bob's data shown: {body}");
        let url = format!(
            "{}?Action=DeleteLaunchConfiguration&Version=2011-01-01&AWSAccessKeyId={claimed}\
             &LaunchConfigurationName=web%40hotel",
            server.url()
        );
        let (status, _) = send_raw("GET", &url, &[], vec![]).await;
        assert_eq!(status, 400);
    }
    // A SigV4 header naming bob's owner is no different.
    let mut forged = c.signed(
        SignatureVersion::V4,
        &Credentials::new("rest:bob", "anything"),
    );
    forged.region = "us-east-1".into();
    let out: DescribeLaunchConfigurationsOutput =
        forged.call("DescribeLaunchConfigurations", &[]).await.ok();
    assert!(out.launch_configurations.unwrap_or_default().is_empty());
    let (_, list) = rest(&server, &bob, "GET", "/launchconfigurations", None).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    server.shutdown().await;
}

#[tokio::test]
async fn rest_settings_go_with_a_launch_configuration_deleted_over_query() {
    let server = start(ServeOptions {
        keys: vec![alice()],
        users: phantom_autoscale::rest::access::Users::parse(&format!(
            "alice:restaurant:{}\n",
            alice().access_key_id()
        ))
        .unwrap(),
        ..ServeOptions::default()
    })
    .await
    .unwrap();
    let user = rest_login(&server, "alice", "restaurant").await;
    let (status, made) = rest(
        &server,
        &user,
        "POST",
        "/launchconfigurations",
        Some(REST_LC),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["cloud_params"]["hotel"]["rank"], 3);
    let q = Client::new(&server).signed(SignatureVersion::V4, &alice());
    q.call(
        "DeleteLaunchConfiguration",
        &[("LaunchConfigurationName", "web@hotel")],
    )
    .await
    .done();
    create_lc(&q, "web@hotel").await.done();
    create_lc(&q, "fresh@hotel").await.done();
    let (_, list) = rest(&server, &user, "GET", "/launchconfigurations", None).await;
    let by_name = |n: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("{n} not in {list}"))
    };
    let (web, fresh) = (by_name("web"), by_name("fresh"));
    assert_eq!(web["user_data"], fresh["user_data"], "{web}");
    assert_eq!(web["cloud_params"], fresh["cloud_params"], "{web}");
    server.shutdown().await;
}
