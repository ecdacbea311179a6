//! The built-in endpoint's REST API over raw HTTP, call by call, against the genuine server's
//! status codes and texts (`tests/fixtures/phantom-wire/rest-captures`): 201, 204, 302 with
//! `Location`, 400 texts, 403 `Authorization Required` (checked before the method), 404, 405 with
//! `Allow`; wrong, expired and other users' tokens; another user's domain (404, never its data);
//! states and `vm_count` through resize and instance termination with and without `adjust_policy`;
//! site credentials.

use std::time::{Duration, Instant};

use phantom_autoscale::rest::access::Users;
use phantom_autoscale::server::{RunningServer, ServeOptions, start};
use serde_json::{Value, json};

/// One reply: status, body, and the `Location` / `Allow` / `Content-Type` headers.
struct Reply {
    status: u16,
    body: String,
    location: Option<String>,
    allow: Option<String>,
    content_type: Option<String>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    fn new(server: &RunningServer) -> Api {
        Api {
            base: format!("{}/api/dev", server.url()),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        auth: Option<&(String, String)>,
        body: Option<&str>,
    ) -> Reply {
        let mut r = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some((user, token)) = auth {
            r = r.basic_auth(user, Some(token));
        }
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let reply = r.send().await.unwrap();
        let header = |n: &str| {
            reply
                .headers()
                .get(n)
                .map(|v| v.to_str().unwrap().to_string())
        };
        let (location, allow, content_type) =
            (header("location"), header("allow"), header("content-type"));
        Reply {
            status: reply.status().as_u16(),
            location,
            allow,
            content_type,
            body: reply.text().await.unwrap(),
        }
    }

    async fn login(&self, user: &str, password: &str) -> (String, String) {
        let reply = self
            .http
            .post(format!("{}/token", self.base))
            .form(&[("username", user), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), 200);
        let v: Value = serde_json::from_str(&reply.text().await.unwrap()).unwrap();
        assert_eq!(v["success"], true, "{v}");
        (
            v["user"].to_string(),
            v["token"].as_str().unwrap().to_string(),
        )
    }
}

async fn server(token_lifetime: Duration) -> RunningServer {
    start(ServeOptions {
        no_auth: true,
        users: Users::parse("alice:restaurant\nbob:bobpassword\n").unwrap(),
        token_lifetime,
        // Long enough for Pending and Terminating to be seen on a busy machine.
        launch_delay: Duration::from_secs(1),
        terminate_delay: Duration::from_secs(1),
        ..ServeOptions::default()
    })
    .await
    .unwrap()
}

const LC: &str = r#"{"name": "testlc1", "cloud_params": {"hotel": {"image_id": "hello-phantom.gz", "instance_type": "m1.small", "max_vms": -1, "common": true, "rank": 1}}}"#;
const DOMAIN: &str =
    r#"{"name": "testDomain1", "de_name": "multicloud", "lc_name": "testlc1", "vm_count": 1}"#;

/// Polls a domain's instances until `done` holds (at most 10 s).
async fn wait_instances(
    api: &Api,
    auth: &(String, String),
    id: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let r = api
            .send("GET", &format!("/domains/{id}/instances"), Some(auth), None)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let list = r.json().as_array().unwrap().clone();
        if done(&list) {
            return list;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "instances never settled: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn states(list: &[Value]) -> Vec<String> {
    let mut s: Vec<String> = list
        .iter()
        .map(|i| i["lifecycle_state"].as_str().unwrap().to_string())
        .collect();
    s.sort();
    s
}

#[tokio::test]
async fn authentication_comes_first_and_tokens_are_checked() {
    let running = server(Duration::from_secs(2)).await;
    let api = Api::new(&running);
    // A failed login is HTTP 200 with success false, as the genuine server answers.
    let r = api
        .http
        .post(format!("{}/token", api.base))
        .form(&[("username", "alice"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(
        v,
        json!({"success": false, "errors": "Unable to log you in, please try again."})
    );

    let alice = api.login("alice", "restaurant").await;
    assert_eq!(alice.0, "1");
    let bob = api.login("bob", "bobpassword").await;
    assert_eq!(bob.0, "2");

    // No auth: 403 whatever the method or path; with auth: 405 with Allow, or 404.
    for (method, path) in [("GET", "/sites"), ("DELETE", "/sites"), ("GET", "/nothing")] {
        let r = api.send(method, path, None, None).await;
        assert_eq!(
            (r.status, r.body.as_str()),
            (403, "Authorization Required"),
            "{method} {path}"
        );
    }
    let r = api.send("DELETE", "/sites", Some(&alice), None).await;
    assert_eq!((r.status, r.allow.as_deref()), (405, Some("GET")));
    let r = api.send("PUT", "/domains", Some(&alice), Some("{}")).await;
    assert_eq!((r.status, r.allow.as_deref()), (405, Some("GET, POST")));
    let r = api
        .send("POST", "/domains/x/instances", Some(&alice), Some("{}"))
        .await;
    assert_eq!((r.status, r.allow.as_deref()), (405, Some("GET")));
    assert_eq!(
        api.send("GET", "/nothing", Some(&alice), None).await.status,
        404
    );

    // A wrong token, and alice's token presented as bob's id.
    let wrong = ("1".to_string(), "xxx-00000000000000000".to_string());
    assert_eq!(
        api.send("GET", "/sites", Some(&wrong), None).await.status,
        403
    );
    let swapped = ("2".to_string(), alice.1.clone());
    assert_eq!(
        api.send("GET", "/sites", Some(&swapped), None).await.status,
        403
    );

    // The user and token parameters work like Basic auth.
    let r = api
        .send(
            "GET",
            &format!("/sites?user=1&token={}", alice.1),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let sites: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sites, ["hotel", "sierra", "foxtrot", "alamo"]);

    // The token expires (lifetime 2 s here).
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = api.send("GET", "/sites", Some(&alice), None).await;
    assert_eq!((r.status, r.body.as_str()), (403, "Authorization Required"));
    running.shutdown().await;
}

#[tokio::test]
async fn the_seed_session_call_by_call() {
    let running = server(Duration::from_secs(600)).await;
    let api = Api::new(&running);
    let alice = api.login("alice", "restaurant").await;
    let a = Some(&alice);

    // Sites.
    let r = api.send("GET", "/sites/hotel", a, None).await;
    assert_eq!(r.content_type.as_deref(), Some("application/javascript"));
    assert_eq!(
        r.json(),
        json!({"id": "hotel", "credentials": "/api/dev/credentials/sites/hotel", "instance_types": ["m1.small", "m1.large", "m1.xlarge"], "uri": "/api/dev/sites/hotel"})
    );
    let r = api.send("GET", "/sites/nowhere", a, None).await;
    assert_eq!((r.status, r.body.as_str()), (404, "Site nowhere not found"));

    // Launch configurations: refusals with the genuine texts, then 201 and 302.
    for (body, text) in [
        (
            r#"{"name": "testlc2"}"#,
            "Request must have name, cloud_params params",
        ),
        (
            r#"{"name": "bad/name", "cloud_params": {}}"#,
            "bad/name isn't an acceptable id. Must match [-_.0-9A-Za-z ]",
        ),
        (
            r#"{"name": "testlc2", "cloud_params": {"hotel": {"image_id": "hello-phantom.gz"}}}"#,
            "Missing parameters. hotel needs: instance_type, max_vms, common, rank.",
        ),
        ("{not json", "Couldn't load json from body"),
    ] {
        let r = api
            .send("POST", "/launchconfigurations", a, Some(body))
            .await;
        assert_eq!((r.status, r.body.as_str()), (400, text), "{body}");
    }
    let r = api
        .send(
            "POST",
            "/launchconfigurations",
            a,
            Some(r#"{"name": "x", "cloud_params": {"mars": {}}}"#),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body
            .starts_with("mars doesn't seem to exist. I know about {'hotel': {'id': 'hotel', "),
        "{}",
        r.body
    );

    let r = api.send("POST", "/launchconfigurations", a, Some(LC)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let lc = r.json();
    let lc_id = lc["id"].as_str().unwrap().to_string();
    assert_eq!(lc["name"], "testlc1");
    assert_eq!(lc["owner"], "alice");
    assert_eq!(lc["uri"], format!("/api/dev/launchconfigurations/{lc_id}"));
    assert_eq!(
        lc["cloud_params"],
        json!({"hotel": {"image_id": "hello-phantom.gz", "instance_type": "m1.small", "max_vms": -1, "common": true, "rank": 1}})
    );
    let r = api.send("POST", "/launchconfigurations", a, Some(LC)).await;
    assert_eq!(r.status, 302);
    assert!(
        r.location
            .unwrap()
            .ends_with(&format!("/api/dev/launchconfigurations/{lc_id}"))
    );
    let r = api.send("GET", "/launchconfigurations", a, None).await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert_eq!(
        api.send("GET", &format!("/launchconfigurations/{lc_id}"), a, None)
            .await
            .json(),
        lc
    );
    let r = api
        .send("GET", "/launchconfigurations/nosuchlc", a, None)
        .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (404, "Launch configuration nosuchlc not found")
    );

    // Domains: refusals, 201, 302.
    for (body, text) in [
        (
            r#"{"de_name": "multicloud", "lc_name": "testlc1", "vm_count": 1}"#,
            "You must provide a name for your domain",
        ),
        (
            r#"{"name": "d3", "de_name": "multicloud", "lc_name": "testlc1"}"#,
            "Mandatory parameter 'vm_count' is missing",
        ),
        (
            r#"{"name": "d4", "de_name": "nosuchde", "lc_name": "testlc1", "vm_count": 1}"#,
            "de_name 'nosuchde' is not supported",
        ),
        (
            r#"{"name": "d2", "de_name": "multicloud", "lc_name": "nosuchlc", "vm_count": 1}"#,
            "No launch configuration named nosuchlc. Can't make domain",
        ),
    ] {
        let r = api.send("POST", "/domains", a, Some(body)).await;
        assert_eq!((r.status, r.body.as_str()), (400, text), "{body}");
    }
    let r = api
        .send(
            "POST",
            "/domains",
            a,
            Some(r#"{"name": "s", "de_name": "sensor", "lc_name": "testlc1", "vm_count": 1}"#),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body
            .starts_with("de_name 'sensor' is not supported by this endpoint"),
        "{}",
        r.body
    );

    let r = api.send("POST", "/domains", a, Some(DOMAIN)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let d = r.json();
    let id = d["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36);
    assert_eq!(
        (
            &d["name"],
            &d["de_name"],
            &d["lc_name"],
            &d["vm_count"],
            &d["owner"]
        ),
        (
            &json!("testDomain1"),
            &json!("multicloud"),
            &json!("testlc1"),
            &json!(1),
            &json!("alice")
        )
    );
    assert_eq!(
        d["clouds"],
        json!([{"site_name": "hotel", "rank": 1, "size": -1}])
    );
    let r = api.send("POST", "/domains", a, Some(DOMAIN)).await;
    assert_eq!(r.status, 302);
    assert!(
        r.location
            .unwrap()
            .ends_with(&format!("/api/dev/domains/{id}"))
    );
    let r = api.send("GET", "/domains/no-such-domain", a, None).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (404, "Domain no-such-domain not found")
    );

    // The instance starts Pending, then runs.
    let list = wait_instances(&api, &alice, &id, |l| !l.is_empty()).await;
    assert_eq!(states(&list), ["400-PENDING"]);
    let list = wait_instances(&api, &alice, &id, |l| states(l) == ["600-RUNNING"]).await;
    let first = &list[0];
    let iid = first["id"].as_str().unwrap();
    assert!(iid.starts_with("i-"));
    assert_eq!(first["iaas_instance_id"], first["id"]);
    assert_eq!(first["cloud"], "/api/dev/sites/hotel");
    assert_eq!(first["image_id"], "hello-phantom.gz");
    assert_eq!(first["instance_type"], "m1.small");
    assert_eq!(
        first["uri"],
        format!("/api/dev/domains/{id}/instances/{iid}")
    );
    let r = api
        .send("GET", &format!("/domains/{id}/instances/{iid}"), a, None)
        .await;
    assert_eq!(&r.json(), first);
    let r = api
        .send(
            "GET",
            &format!("/domains/{id}/instances/no-such-instance"),
            a,
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (404, "instance no-such-instance not found")
    );

    // PUT needs the whole domain; with it, vm_count 3 gives three instances.
    let r = api
        .send(
            "PUT",
            &format!("/domains/{id}"),
            a,
            Some(r#"{"vm_count": 3}"#),
        )
        .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, "de_name 'None' is not supported")
    );
    let mut whole = api
        .send("GET", &format!("/domains/{id}"), a, None)
        .await
        .json();
    whole["vm_count"] = json!(3);
    let r = api
        .send(
            "PUT",
            &format!("/domains/{id}"),
            a,
            Some(&whole.to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["vm_count"], 3);
    let list = wait_instances(&api, &alice, &id, |l| states(l) == ["600-RUNNING"; 3]).await;

    // adjust_policy=true: vm_count 3 -> 2, the instance terminates and is not replaced.
    let victim = list[1]["id"].as_str().unwrap().to_string();
    let r = api
        .send(
            "DELETE",
            &format!("/domains/{id}/instances/{victim}?adjust_policy=true"),
            a,
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        api.send("GET", &format!("/domains/{id}"), a, None)
            .await
            .json()["vm_count"],
        2
    );
    let r = api
        .send("GET", &format!("/domains/{id}/instances/{victim}"), a, None)
        .await;
    assert_eq!(r.json()["lifecycle_state"], "700-TERMINATING");
    // Deleting it again: 404, naming the domain as the genuine server does.
    let r = api
        .send(
            "DELETE",
            &format!("/domains/{id}/instances/{victim}"),
            a,
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.body.clone()),
        (404, format!("instance {id} not found"))
    );
    wait_instances(&api, &alice, &id, |l| states(l) == ["600-RUNNING"; 2]).await;

    // Without adjust_policy: vm_count stays 2 and a replacement comes up.
    let victim = list[0]["id"].as_str().unwrap().to_string();
    let r = api
        .send(
            "DELETE",
            &format!("/domains/{id}/instances/{victim}"),
            a,
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        api.send("GET", &format!("/domains/{id}"), a, None)
            .await
            .json()["vm_count"],
        2
    );
    let list = wait_instances(&api, &alice, &id, |l| states(l) == ["600-RUNNING"; 2]).await;
    assert!(list.iter().all(|i| i["id"] != victim.as_str()));

    // The launch configuration is in use while the domain exists.
    let r = api
        .send("DELETE", &format!("/launchconfigurations/{lc_id}"), a, None)
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("testDomain1"), "{}", r.body);

    // Delete: 204, then 404.
    assert_eq!(
        api.send("DELETE", &format!("/domains/{id}"), a, None)
            .await
            .status,
        204
    );
    let r = api.send("GET", &format!("/domains/{id}"), a, None).await;
    assert_eq!(
        (r.status, r.body.clone()),
        (404, format!("Domain {id} not found"))
    );
    assert_eq!(
        api.send("DELETE", &format!("/domains/{id}"), a, None)
            .await
            .status,
        404
    );
    assert_eq!(api.send("GET", "/domains", a, None).await.json(), json!([]));
    assert_eq!(
        api.send("DELETE", &format!("/launchconfigurations/{lc_id}"), a, None)
            .await
            .status,
        204
    );
    assert_eq!(
        api.send("GET", &format!("/launchconfigurations/{lc_id}"), a, None)
            .await
            .status,
        404
    );
    assert_eq!(
        api.send("GET", "/launchconfigurations", a, None)
            .await
            .json(),
        json!([])
    );
    running.shutdown().await;
}

#[tokio::test]
async fn another_users_objects_are_not_found() {
    let running = server(Duration::from_secs(600)).await;
    let api = Api::new(&running);
    let alice = api.login("alice", "restaurant").await;
    let bob = api.login("bob", "bobpassword").await;
    assert_eq!(
        api.send("POST", "/launchconfigurations", Some(&alice), Some(LC))
            .await
            .status,
        201
    );
    let d = api
        .send("POST", "/domains", Some(&alice), Some(DOMAIN))
        .await
        .json();
    let id = d["id"].as_str().unwrap();
    let lc_id = api
        .send("GET", "/launchconfigurations", Some(&alice), None)
        .await
        .json()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    assert_eq!(
        api.send("GET", "/domains", Some(&bob), None).await.json(),
        json!([])
    );
    assert_eq!(
        api.send("GET", "/launchconfigurations", Some(&bob), None)
            .await
            .json(),
        json!([])
    );
    for (method, path) in [
        ("GET", format!("/domains/{id}")),
        ("GET", format!("/domains/{id}/instances")),
        ("DELETE", format!("/domains/{id}")),
        ("PUT", format!("/domains/{id}")),
        ("GET", format!("/launchconfigurations/{lc_id}")),
        ("DELETE", format!("/launchconfigurations/{lc_id}")),
    ] {
        let r = api.send(method, &path, Some(&bob), Some(DOMAIN)).await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
        assert!(
            !r.body.contains("testDomain1") && !r.body.contains("testlc1"),
            "{}",
            r.body
        );
    }
    // Bob may use the same names: his objects are his own, with ids of their own.
    assert_eq!(
        api.send("POST", "/launchconfigurations", Some(&bob), Some(LC))
            .await
            .status,
        201
    );
    let r = api.send("POST", "/domains", Some(&bob), Some(DOMAIN)).await;
    assert_eq!(r.status, 201);
    assert_ne!(r.json()["id"], d["id"]);
    // Alice's domain is untouched.
    let r = api
        .send("GET", &format!("/domains/{id}"), Some(&alice), None)
        .await;
    assert_eq!((r.status, r.json()["vm_count"].clone()), (200, json!(1)));
    running.shutdown().await;
}

#[tokio::test]
async fn site_credentials_belong_to_their_user() {
    let running = server(Duration::from_secs(600)).await;
    let api = Api::new(&running);
    let alice = api.login("alice", "restaurant").await;
    let bob = api.login("bob", "bobpassword").await;
    let a = Some(&alice);
    let body = r#"{"id": "sierra", "access_key": "sierra-access-key", "secret_key": "sierra-secret-key", "key_name": "phantomkey"}"#;
    let r = api.send("POST", "/credentials/sites", a, Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    assert_eq!(
        created["secret_key"], "sierra-secret-key",
        "the owner gets the secret back"
    );
    assert_eq!(created["nimbus_user_cert"], Value::Null);
    assert_eq!(created["uri"], "/api/dev/credentials/sites/sierra");
    assert_eq!(
        api.send("POST", "/credentials/sites", a, Some(body))
            .await
            .status,
        302
    );
    let r = api
        .send(
            "POST",
            "/credentials/sites",
            a,
            Some(r#"{"id": "sierra", "access_key": "x", "secret_key": "y"}"#),
        )
        .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            "Bad request. Do not have all required parameters (['id', 'access_key', 'secret_key', 'key_name'])"
        )
    );
    let r = api
        .send("GET", "/credentials/sites?details=true", a, None)
        .await;
    assert_eq!(
        r.json(),
        json!([{"id": "sierra", "access_key": "sierra-access-key", "secret_key": "sierra-secret-key", "key_name": "phantomkey", "uri": "/api/dev/credentials/sites/sierra", "available_keys": ["phantomkey", "default"]}])
    );
    let put = r#"{"id": "sierra", "access_key": "sierra-access-key2", "secret_key": "sierra-secret-key2", "key_name": "phantomkey"}"#;
    let r = api
        .send("PUT", "/credentials/sites/sierra", a, Some(put))
        .await;
    assert_eq!(
        (r.status, r.json()["access_key"].clone()),
        (200, json!("sierra-access-key2"))
    );

    // Bob sees none of it.
    assert_eq!(
        api.send("GET", "/credentials/sites", Some(&bob), None)
            .await
            .json(),
        json!([])
    );
    let r = api
        .send("GET", "/credentials/sites/sierra", Some(&bob), None)
        .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (404, "Credentials for site sierra not found")
    );
    assert!(!r.body.contains("secret"));

    assert_eq!(
        api.send("DELETE", "/credentials/sites/sierra", a, None)
            .await
            .status,
        204
    );
    assert_eq!(
        api.send("GET", "/credentials/sites/sierra", a, None)
            .await
            .status,
        404
    );
    running.shutdown().await;
}
