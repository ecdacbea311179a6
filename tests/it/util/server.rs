//! The in-process endpoint for the server suites: start it, send Query requests over real HTTP
//! (signed with the library's signer, or unsigned), and read replies into the API shapes.

use std::time::{Duration, Instant, SystemTime};

use phantom_autoscale::Credentials;
use phantom_autoscale::autoscaling::types::*;
use phantom_autoscale::query::QueryRequest;
use phantom_autoscale::query::form::encode_pairs;
use phantom_autoscale::query::sign::{SignatureVersion, SigningParams, sign};
use phantom_autoscale::query::xml::{TypedReply, parse_error_body, parse_typed_reply};
use phantom_autoscale::server::{RunningServer, ServeOptions, start};
use serde::de::DeserializeOwned;

/// Options for a test server: no auth, short delays.
pub fn open_options() -> ServeOptions {
    ServeOptions {
        no_auth: true,
        launch_delay: Duration::from_millis(300),
        terminate_delay: Duration::from_millis(300),
        ..ServeOptions::default()
    }
}

/// An endpoint accepting `keys`, keeping its state in `state` (so a test can restart it on the
/// same file), with `delay` for both the launch and the terminate delay.
pub async fn start_keyed(
    keys: Vec<Credentials>,
    state: &std::path::Path,
    delay: Duration,
) -> RunningServer {
    start(ServeOptions {
        keys,
        state: Some(state.to_path_buf()),
        launch_delay: delay,
        terminate_delay: delay,
        ..ServeOptions::default()
    })
    .await
    .unwrap()
}

/// Starts an unauthenticated server with short delays.
pub async fn start_open() -> RunningServer {
    start(open_options()).await.expect("server starts")
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// `x-amzn-RequestId`.
    pub request_id: Option<String>,
    /// The raw body.
    pub body: String,
    /// The action called (the reply's Result is read as its output when asked for).
    pub action: String,
    /// The error code and message (error).
    pub error: Option<(String, String)>,
}

impl Answer {
    /// The error code, panicking with the body when the call succeeded.
    pub fn code(&self) -> &str {
        match &self.error {
            Some((code, _)) => code,
            None => panic!("expected an error, got HTTP {}: {}", self.status, self.body),
        }
    }

    /// Asserts success and reads the Result into a shape.
    pub fn ok<T: DeserializeOwned + Default>(&self) -> T {
        assert!(
            self.status == 200 && self.error.is_none(),
            "expected success, got HTTP {}: {}",
            self.status,
            self.body
        );
        match parse_typed_reply::<T>(&self.action, self.body.as_bytes()) {
            Ok(TypedReply::Success { output, .. }) => output,
            Ok(TypedReply::Error(e)) => panic!("reply shape: error {e:?}: {}", self.body),
            Err(e) => panic!("reply shape: {e:?}: {}", self.body),
        }
    }

    /// Asserts success of an operation without output.
    pub fn done(&self) {
        assert!(
            self.status == 200 && self.error.is_none(),
            "expected success, got HTTP {}: {}",
            self.status,
            self.body
        );
    }

    /// Asserts an error with this status and code.
    pub fn fails(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "body: {}",
            self.body
        );
        assert_eq!(self.content_type, "text/xml", "{}", self.body);
        assert!(self.body.contains("<ErrorResponse"), "{}", self.body);
    }
}

/// How a client signs.
#[derive(Clone)]
pub enum Signing {
    /// Unsigned.
    None,
    /// Signed with this version and key.
    With(SignatureVersion, Credentials),
}

/// A Query client for tests.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    port: u16,
    signing: Signing,
    /// Region put in a SigV4 scope.
    pub region: String,
    /// Service put in a SigV4 scope.
    pub service: String,
    /// Shift of the signing clock (for expiry tests), seconds; negative is the past.
    pub skew_secs: i64,
}

impl Client {
    /// An unsigned client of `server`.
    pub fn new(server: &RunningServer) -> Self {
        Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client"),
            port: server.addr.port(),
            signing: Signing::None,
            region: "us-east-1".into(),
            service: "autoscaling".into(),
            skew_secs: 0,
        }
    }

    /// The same client signing with `version` and `creds`.
    pub fn signed(&self, version: SignatureVersion, creds: &Credentials) -> Self {
        Client {
            signing: Signing::With(version, creds.clone()),
            ..self.clone()
        }
    }

    /// Base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// POSTs `action` with `params`.
    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        self.send(http::Method::POST, action, params).await
    }

    /// GETs `action` with `params`.
    pub async fn get(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        self.send(http::Method::GET, action, params).await
    }

    async fn send(&self, method: http::Method, action: &str, params: &[(&str, &str)]) -> Answer {
        let mut pairs = vec![
            ("Action".to_string(), action.to_string()),
            ("Version".to_string(), "2011-01-01".to_string()),
        ];
        pairs.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let req = QueryRequest {
            method: method.clone(),
            scheme: "http".into(),
            host: "127.0.0.1".into(),
            port: Some(self.port),
            path: "/".into(),
            params: pairs.clone(),
        };
        let (url, headers, body) = match &self.signing {
            Signing::None => {
                let text = encode_pairs(&pairs);
                if method == http::Method::GET {
                    (format!("{}?{text}", self.url()), vec![], Vec::new())
                } else {
                    (
                        self.url(),
                        vec![(
                            "Content-Type".to_string(),
                            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
                        )],
                        text.into_bytes(),
                    )
                }
            }
            Signing::With(version, creds) => {
                let time = if self.skew_secs >= 0 {
                    SystemTime::now() + Duration::from_secs(self.skew_secs as u64)
                } else {
                    SystemTime::now() - Duration::from_secs((-self.skew_secs) as u64)
                };
                let params = SigningParams {
                    credentials: creds,
                    region: &self.region,
                    service: &self.service,
                    time,
                };
                let signed = sign(&req, version, &params).expect("signs");
                (signed.url, signed.headers, signed.body)
            }
        };
        let mut builder = self.http.request(method, &url);
        for (k, v) in headers {
            builder = builder.header(k, v);
        }
        let response = builder.body(body).send().await.expect("request sent");
        read(action, response).await
    }

    /// Sends a raw request (any method, query string, body, content type).
    pub async fn raw(
        &self,
        method: &str,
        path_and_query: &str,
        body: Vec<u8>,
        content_type: Option<&str>,
    ) -> Answer {
        let method = http::Method::from_bytes(method.as_bytes()).expect("method");
        let url = format!("http://127.0.0.1:{}{path_and_query}", self.port);
        let mut builder = self.http.request(method, url).body(body);
        if let Some(ct) = content_type {
            builder = builder.header("Content-Type", ct);
        }
        let response = builder.send().await.expect("request sent");
        read("", response).await
    }
}

async fn read(action: &str, response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let request_id = response
        .headers()
        .get("x-amzn-requestid")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let bytes = response.bytes().await.expect("body");
    let body = String::from_utf8_lossy(&bytes).to_string();
    let error = if status == 200 {
        match parse_typed_reply::<serde::de::IgnoredAny>(action, &bytes) {
            Ok(TypedReply::Success { .. }) => None,
            Ok(TypedReply::Error(e)) => Some((e.code, e.message)),
            Err(e) => panic!("unreadable reply: {e:?}: {body}"),
        }
    } else {
        let e = parse_error_body(status, None, &bytes);
        Some((e.code, e.message))
    };
    Answer {
        status,
        content_type,
        request_id,
        body,
        action: action.to_string(),
        error,
    }
}

/// Creates a launch configuration.
pub async fn create_lc(c: &Client, name: &str) -> Answer {
    c.call(
        "CreateLaunchConfiguration",
        &[
            ("LaunchConfigurationName", name),
            ("ImageId", "ami-12345678"),
            ("InstanceType", "m1.small"),
        ],
    )
    .await
}

/// Creates a group of `min..max` with `desired` instances.
pub async fn create_group(
    c: &Client,
    name: &str,
    lc: &str,
    min: i32,
    max: i32,
    desired: i32,
) -> Answer {
    let (min, max, desired) = (min.to_string(), max.to_string(), desired.to_string());
    c.call(
        "CreateAutoScalingGroup",
        &[
            ("AutoScalingGroupName", name),
            ("LaunchConfigurationName", lc),
            ("MinSize", &min),
            ("MaxSize", &max),
            ("DesiredCapacity", &desired),
        ],
    )
    .await
}

/// Describes one group.
pub async fn group(c: &Client, name: &str) -> Option<AutoScalingGroup> {
    let out: DescribeAutoScalingGroupsOutput = c
        .call(
            "DescribeAutoScalingGroups",
            &[("AutoScalingGroupNames.member.1", name)],
        )
        .await
        .ok();
    out.auto_scaling_groups
        .unwrap_or_default()
        .into_iter()
        .next()
}

/// Polls until `check` holds on the group, or panics after `limit`.
pub async fn wait_group(
    c: &Client,
    name: &str,
    limit: Duration,
    check: impl Fn(&AutoScalingGroup) -> bool,
) -> AutoScalingGroup {
    let deadline = Instant::now() + limit;
    loop {
        let g = group(c, name).await.expect("group exists");
        if check(&g) {
            return g;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting on {name}: {g:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The lifecycle states of a group's instances, sorted.
pub fn states(g: &AutoScalingGroup) -> Vec<String> {
    let mut s: Vec<String> = g
        .instances
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| i.lifecycle_state)
        .collect();
    s.sort();
    s
}
