//! The REST endpoint's HTTP layer, served on a loopback port over a small in-test backend and
//! driven by the crate's own REST client and by raw HTTP: token issue (HTTP 200 with success
//! false on failure), authentication before the method (403 / 405), 201, 204, 302 for an existing
//! name, 400 text, 404, wrong and expired tokens, and another user's domain (404, never its data).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Method;
use phantom_autoscale::query::endpoint::Endpoint;
use phantom_autoscale::rest::access::{Tokens, User, Users};
use phantom_autoscale::rest::endpoint::{Outcome, RestApp, RestBackend, router};
use phantom_autoscale::rest::{Client, DomainInput, RestConfig};
use phantom_autoscale::{Error, Secret};
use serde_json::{Value, json};

/// Domains by owner and name, enough to exercise the HTTP layer.
#[derive(Default)]
struct Memory {
    domains: Mutex<HashMap<(String, String), Value>>,
}

impl RestBackend for Memory {
    fn call(
        &self,
        user: &User,
        method: &Method,
        path: &[&str],
        body: Option<&Value>,
        _: &[(String, String)],
    ) -> Outcome {
        let mut domains = self.domains.lock().unwrap();
        let mine = |d: &HashMap<(String, String), Value>, id: &str| {
            d.iter()
                .find(|((o, _), v)| *o == user.owner && v["id"] == id)
                .map(|(k, v)| (k.clone(), v.clone()))
        };
        match (method.as_str(), path) {
            ("GET", ["sites"]) => {
                Outcome::Ok(json!([{"id": "hotel", "instance_types": ["m1.small"]}]))
            }
            ("GET", ["domains"]) => Outcome::Ok(Value::Array(
                domains
                    .iter()
                    .filter(|((o, _), _)| *o == user.owner)
                    .map(|(_, v)| v.clone())
                    .collect(),
            )),
            ("POST", ["domains"]) => {
                let Some(name) = body.and_then(|b| b["name"].as_str()) else {
                    return Outcome::BadRequest("You must provide a name for your domain".into());
                };
                let key = (user.owner.clone(), name.to_string());
                if let Some(existing) = domains.get(&key) {
                    return Outcome::Exists(format!(
                        "/domains/{}",
                        existing["id"].as_str().unwrap_or("")
                    ));
                }
                let mut v = body.cloned().unwrap_or_default();
                v["id"] = json!(format!("id-{}-{name}", user.id));
                domains.insert(key, v.clone());
                Outcome::Created(v)
            }
            ("GET", ["domains", id]) => match mine(&domains, id) {
                Some((_, v)) => Outcome::Ok(v),
                None => Outcome::NotFound(format!("Domain {id} not found")),
            },
            ("DELETE", ["domains", id]) => match mine(&domains, id) {
                Some((k, _)) => {
                    domains.remove(&k);
                    Outcome::Deleted
                }
                None => Outcome::NotFound(format!("Domain {id} not found")),
            },
            _ => Outcome::NotFound("not in this test backend".into()),
        }
    }
}

async fn start(lifetime: Duration) -> String {
    let app = Arc::new(RestApp {
        users: Users::parse("alice:restaurant\nbob:bobpassword\n").unwrap(),
        tokens: Tokens::new(lifetime),
        backend: Arc::new(Memory::default()),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/dev", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router(app)).await;
    });
    url
}

fn client(url: &str) -> Client {
    let mut config = RestConfig::new(&Endpoint::parse(url).unwrap());
    config.deadline = Some(Duration::from_secs(10));
    Client::new(config).unwrap()
}

async fn raw(
    method: &str,
    url: &str,
    auth: Option<(&str, &str)>,
    body: &str,
) -> (u16, String, Option<String>) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut r = http
        .request(method.parse().unwrap(), url)
        .body(body.to_string());
    if let Some((u, t)) = auth {
        r = r.basic_auth(u, Some(t));
    }
    let reply = r.send().await.unwrap();
    let status = reply.status().as_u16();
    let allow = reply
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_string());
    (status, reply.text().await.unwrap(), allow)
}

fn code(e: &Error) -> (&str, u16) {
    let s = e.as_service().unwrap_or_else(|| panic!("{e}"));
    (s.code.as_str(), s.status)
}

#[tokio::test]
async fn tokens_auth_and_status_codes() {
    let url = start(Duration::from_secs(600)).await;
    let c = client(&url);
    let e = c.login("alice", &Secret::new("wrong")).await.unwrap_err();
    assert_eq!(code(&e), ("LoginFailed", 200));
    let (status, body, _) = raw("GET", &format!("{url}/token"), None, "").await;
    assert_eq!(
        (status, body.contains("Must access via a POST request.")),
        (200, true)
    );
    let token = c.login("alice", &Secret::new("restaurant")).await.unwrap();
    assert_eq!(token.user_id, "1");
    let t = token.token.expose().to_string();

    // Authentication comes before the method and the path.
    for (method, path) in [("GET", "/sites"), ("DELETE", "/sites"), ("GET", "/nothing")] {
        let (status, body, _) = raw(method, &format!("{url}{path}"), None, "").await;
        assert_eq!(
            (status, body.as_str()),
            (403, "Authorization Required"),
            "{method} {path}"
        );
    }
    let (status, _, _) = raw(
        "GET",
        &format!("{url}/sites"),
        Some(("1", "xxx-wrongtoken")),
        "",
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = raw("GET", &format!("{url}/sites"), Some(("2", &t)), "").await;
    assert_eq!(status, 403, "alice's token is not bob's");
    let (status, _, allow) = raw("DELETE", &format!("{url}/sites"), Some(("1", &t)), "").await;
    assert_eq!((status, allow.as_deref()), (405, Some("GET")));
    let (status, _, allow) = raw("PUT", &format!("{url}/domains"), Some(("1", &t)), "{}").await;
    assert_eq!((status, allow.as_deref()), (405, Some("GET, POST")));
    let (status, _, _) = raw("GET", &format!("{url}/nothing"), Some(("1", &t)), "").await;
    assert_eq!(status, 404);
    let (status, body, _) = raw("GET", &format!("{url}/sites?user=1&token={t}"), None, "").await;
    assert_eq!(status, 200);
    assert!(body.contains("hotel"));
    let (status, body, _) = raw(
        "POST",
        &format!("{url}/domains"),
        Some(("1", &t)),
        "{not json",
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (400, "Couldn't load json from body")
    );

    let alice = client(&url).with_token(token);
    let d = alice
        .create_domain(&DomainInput::multicloud("testDomain1", "testlc1", 1))
        .await
        .unwrap();
    assert_eq!(d.id, "id-1-testDomain1");
    let e = alice
        .create_domain(&DomainInput::multicloud("testDomain1", "testlc1", 1))
        .await
        .unwrap_err();
    assert_eq!(code(&e), ("AlreadyExists", 302));
    assert!(e.to_string().contains("id-1-testDomain1"), "{e}");
    let (status, body, _) = raw(
        "POST",
        &format!("{url}/domains"),
        Some(("1", &t)),
        r#"{"de_name": "multicloud", "lc_name": "testlc1", "vm_count": 1}"#,
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (400, "You must provide a name for your domain")
    );

    // Bob sees none of alice's domains, and her id is 404 for him.
    let bob_token = c.login("bob", &Secret::new("bobpassword")).await.unwrap();
    assert_eq!(bob_token.user_id, "2");
    let bob = client(&url).with_token(bob_token);
    assert!(bob.domains().await.unwrap().is_empty());
    let e = bob.domain(&d.id).await.unwrap_err();
    assert_eq!(code(&e), ("NotFound", 404));
    assert!(!e.to_string().contains("testlc1"));
    let e = bob.delete_domain(&d.id).await.unwrap_err();
    assert_eq!(code(&e), ("NotFound", 404));
    assert_eq!(alice.domain(&d.id).await.unwrap().name, "testDomain1");
    alice.delete_domain(&d.id).await.unwrap();
    assert_eq!(
        code(&alice.domain(&d.id).await.unwrap_err()),
        ("NotFound", 404)
    );
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let url = start(Duration::from_millis(200)).await;
    let token = client(&url)
        .login("alice", &Secret::new("restaurant"))
        .await
        .unwrap();
    let c = client(&url).with_token(token);
    assert_eq!(c.sites(false).await.unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let e = c.sites(false).await.unwrap_err();
    assert_eq!(code(&e), ("Forbidden", 403));
}
