//! The REST client against a canned-bytes server replaying the genuine server's replies: what it
//! sends (method, path, Basic auth, bodies) matches what the genuine client sent, and each reply
//! (201, 204, 302 duplicate, 403, 404, 405, login failure with HTTP 200) becomes the right value or
//! error. Replies come without Content-Length over HTTP/1.0, as recorded.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::util::rest::{Replay, recorded_request};
use phantom_autoscale::query::endpoint::Endpoint;
use phantom_autoscale::rest::*;
use phantom_autoscale::{Error, Secret};

const TOKEN: &str = "7at-73e6fd8abe70ed781138";

fn client(replay: &Replay, token: bool) -> Client {
    let mut config = RestConfig::new(&Endpoint::parse(&replay.url).unwrap());
    config.read_timeout = Duration::from_secs(10);
    config.deadline = Some(Duration::from_secs(20));
    let c = Client::new(config).unwrap();
    if token {
        c.with_token(Token {
            user_id: "1".into(),
            token: Secret::new(TOKEN),
        })
    } else {
        c
    }
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

fn code(e: &Error) -> (&str, u16) {
    let s = e
        .as_service()
        .unwrap_or_else(|| panic!("not a service error: {e}"));
    (s.code.as_str(), s.status)
}

#[tokio::test]
async fn login_sends_the_form_and_refuses_success_false() {
    let replay = Replay::start(&["01_token_good", "02_token_bad_password"]);
    let c = client(&replay, false);
    let token = c.login("alice", &Secret::new("restaurant")).await.unwrap();
    assert_eq!(token.user_id, "1");
    assert_eq!(token.token.expose(), TOKEN);
    let e = c.login("alice", &Secret::new("wrong")).await.unwrap_err();
    assert_eq!(code(&e), ("LoginFailed", 200));
    assert!(e.to_string().contains("Unable to log you in"), "{e}");
    assert!(!e.to_string().contains("wrong"));
    let requests = replay.requests();
    let (line, body) = recorded_request("01_token_good");
    assert_eq!(requests[0].line, line);
    assert_eq!(requests[0].body, body);
    assert_eq!(
        requests[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(requests[0].header("authorization"), None);
    assert_eq!(
        requests[1].body,
        recorded_request("02_token_bad_password").1
    );
}

#[tokio::test]
async fn calls_match_the_recorded_client_and_use_basic_auth() {
    let replay = Replay::start(&[
        "06_sites_basic",
        "11_sites_details",
        "26_lc_post",
        "35_domain_post",
        "48_domain_put",
        "51_domain_instance_delete",
        "55_domain_instance_delete_no_adjust",
        "66_domain_delete",
        "70_lc_delete",
        "59_sensors",
    ]);
    let c = client(&replay, true);
    assert_eq!(c.sites(false).await.unwrap().len(), 2);
    assert_eq!(
        c.sites(true).await.unwrap()[0].site_type.as_deref(),
        Some("nimbus")
    );
    let lc = c
        .create_launch_configuration(&LaunchConfigurationInput {
            name: "testlc1".into(),
            cloud_params: BTreeMap::from([(
                "hotel".to_string(),
                CloudParams::new("hello-phantom.gz", "m1.small"),
            )]),
            contextualization_method: None,
            user_data: None,
        })
        .await
        .unwrap();
    assert_eq!(lc.id, "yVlhH");
    let mut domain = c
        .create_domain(&DomainInput::multicloud("testDomain1", "testlc1", 1))
        .await
        .unwrap();
    domain.vm_count = 3;
    let updated = c.update_domain(&domain).await.unwrap();
    assert_eq!(updated.vm_count, 3);
    let did = domain.id.clone();
    c.terminate_instance(&did, "866cbcdd-79cf-4e95-b727-505f380f8b28", true)
        .await
        .unwrap();
    c.terminate_instance(&did, "5412a1f9-52d6-4e5e-bb45-04282331e72f", false)
        .await
        .unwrap();
    c.delete_domain(&did).await.unwrap();
    c.delete_launch_configuration("yVlhH").await.unwrap();
    assert!(c.sensors().await.unwrap().len() > 10);

    let requests = replay.requests();
    let names = [
        "06_sites_basic",
        "11_sites_details",
        "26_lc_post",
        "35_domain_post",
        "48_domain_put",
        "51_domain_instance_delete",
        "55_domain_instance_delete_no_adjust",
        "66_domain_delete",
        "70_lc_delete",
        "59_sensors",
    ];
    assert_eq!(requests.len(), names.len());
    for (r, name) in requests.iter().zip(names) {
        let (line, body) = recorded_request(name);
        assert_eq!(r.line, line, "{name}");
        assert_eq!(
            r.header("authorization"),
            Some("Basic MTo3YXQtNzNlNmZkOGFiZTcwZWQ3ODExMzg="),
            "{name}"
        );
        if name == "26_lc_post" || name == "35_domain_post" {
            assert_eq!(json(&r.body), json(&body), "{name}");
            assert_eq!(r.header("content-type"), Some("application/json"));
        }
    }
    // The PUT carries the whole domain (what the genuine server needs), with the new count.
    let put = json(&requests[4].body);
    for key in ["name", "de_name", "lc_name", "vm_count"] {
        assert_eq!(
            put[key],
            json(&recorded_request("48_domain_put").1)[key],
            "{key}"
        );
    }
    assert_eq!(put["id"], "a7c60943-d929-4781-a80c-a1a903aed6fc");
}

#[tokio::test]
async fn error_replies_become_clear_errors() {
    let replay = Replay::start(&[
        "27_lc_post_duplicate",
        "36_domain_post_duplicate",
        "08_sites_bad_token",
        "14_site_unknown",
        "62_sites_wrong_method",
        "73_unknown_path",
        "47_domain_put_vm_count_only",
    ]);
    let c = client(&replay, true);
    let input = LaunchConfigurationInput {
        name: "testlc1".into(),
        cloud_params: BTreeMap::from([(
            "hotel".to_string(),
            CloudParams::new("hello-phantom.gz", "m1.small"),
        )]),
        contextualization_method: None,
        user_data: None,
    };
    let e = c.create_launch_configuration(&input).await.unwrap_err();
    assert_eq!(code(&e), ("AlreadyExists", 302));
    assert!(e.to_string().contains("CreateLaunchConfiguration"), "{e}");
    assert!(e.to_string().contains("with id yVlhH"), "{e}");
    let e = c
        .create_domain(&DomainInput::multicloud("testDomain1", "testlc1", 1))
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("AlreadyExists", 302));
    assert!(
        e.to_string()
            .contains("a7c60943-d929-4781-a80c-a1a903aed6fc")
    );
    let e = c.sites(false).await.unwrap_err();
    assert_eq!(code(&e), ("Forbidden", 403));
    assert!(e.to_string().contains("Authorization Required"));
    let e = c.site("nowhere").await.unwrap_err();
    assert_eq!(code(&e), ("NotFound", 404));
    assert_eq!(e.as_service().unwrap().message, "Site nowhere not found");
    let e = c.sites(false).await.unwrap_err();
    assert_eq!(code(&e), ("MethodNotAllowed", 405));
    let e = c.sensor("nothing").await.unwrap_err();
    assert_eq!(code(&e), ("NotFound", 404));
    assert_eq!(
        e.as_service().unwrap().message,
        "Page not found at /api/dev/nothing"
    );
    let e = c.domain("x").await.unwrap_err();
    assert_eq!(code(&e), ("BadRequest", 400));
    assert!(!e.to_string().contains(TOKEN));
    assert_eq!(e.exit_code(), 1);
}

#[tokio::test]
async fn replies_are_bounded_and_calls_need_a_token() {
    let replay = Replay::start(&["59_sensors"]);
    let mut config = RestConfig::new(&Endpoint::parse(&replay.url).unwrap());
    config.max_body_bytes = 100;
    let c = Client::new(config).unwrap().with_token(Token {
        user_id: "1".into(),
        token: Secret::new(TOKEN),
    });
    let e = c.sensors().await.unwrap_err();
    assert!(matches!(e, Error::Parse { .. }), "{e}");
    assert!(e.to_string().contains("100 byte limit"), "{e}");
    let e = client(&replay, false).domains().await.unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
    assert!(e.to_string().contains("phantom login"));
}

#[tokio::test]
async fn a_dead_server_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/dev", listener.local_addr().unwrap());
    drop(listener);
    let c = Client::new(RestConfig::new(&Endpoint::parse(&url).unwrap())).unwrap();
    let e = c
        .login("alice", &Secret::new("canary-pw"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    assert!(!e.to_string().contains("canary"));
}
