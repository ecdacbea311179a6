//! The REST client: one async method per call of Phantom's `/api/dev`, each sending a typed body
//! (or none) and reading a typed reply through [`super::reply`].
//!
//! Authentication is HTTP Basic `user_id:token` (never the `user`/`token` URL parameters, so that
//! no secret ever sits in a URL that an error message or a trace could show). Redirects are not
//! followed: a 302 from a create means "that name exists" and becomes an `AlreadyExists` error.
//! Replies may come without `Content-Length` (HTTP/1.0, the body ends at close); the body is read
//! chunk by chunk up to [`RestConfig::max_body_bytes`]. `--debug` traces show the method, URL,
//! status and bodies with every secret field, the password and the `Authorization` header redacted.
//! Every reply (body, `Location`, `Allow`) is scrubbed of the client's own secrets (the token, its
//! Basic credentials, the login password) as soon as it is read, so a server or proxy that echoes
//! the request cannot make them show in an error or a trace.

use std::io::Write;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::reply::{RawReply, decode, decode_token, expect_success, status_error};
use super::types::*;
use crate::credentials::{Scrubber, Secret};
use crate::error::Error;
use crate::query::endpoint::Endpoint;

/// Characters escaped in a path segment (everything but unreserved characters).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Where and how the client talks to the REST API.
#[derive(Debug, Clone)]
pub struct RestConfig {
    /// The API's base URL, ending in `/api/dev` (no trailing slash).
    pub base_url: String,
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Time allowed between reads of a reply.
    pub read_timeout: Duration,
    /// Time allowed for one call, when set.
    pub deadline: Option<Duration>,
    /// Largest reply body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Trace requests and replies on stderr (secrets redacted).
    pub debug: bool,
    /// Verify TLS certificates.
    pub verify_tls: bool,
    /// Extra trusted CA certificates (PEM).
    pub ca_bundle: Option<Vec<u8>>,
}

impl RestConfig {
    /// Settings for an endpoint: its path is kept when it ends in `/api/dev`; a bare host (path
    /// `/`) gets `/api/dev`; any other path is used as the API's base as written.
    pub fn new(endpoint: &Endpoint) -> Self {
        let path = endpoint.path.trim_end_matches('/');
        let path = if path.is_empty() { "/api/dev" } else { path };
        let mut root = endpoint.clone();
        root.path = String::new();
        RestConfig {
            base_url: format!("{}{path}", root.url()),
            connect_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            deadline: None,
            max_body_bytes: 64 * 1024 * 1024,
            debug: false,
            verify_tls: true,
            ca_bundle: None,
        }
    }
}

/// Whether an endpoint is a REST one: its path ends in `/api/dev`.
pub fn is_rest_endpoint(endpoint: &Endpoint) -> bool {
    endpoint.path.trim_end_matches('/').ends_with("/api/dev")
}

/// A request body.
enum Body {
    Json(Vec<u8>),
    Form(String),
}

/// A client of Phantom's REST API. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    config: RestConfig,
    auth: Option<Token>,
    /// The secrets this client sends, blanked out of every reply.
    scrubber: Scrubber,
}

impl Client {
    /// Builds a client (no token yet: only [`Client::login`] works until [`Client::with_token`]).
    pub fn new(config: RestConfig) -> Result<Self, Error> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .user_agent(concat!("phantom-autoscale/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none());
        if !config.verify_tls {
            builder = builder.danger_accept_invalid_certs(true);
        }
        if let Some(pem) = &config.ca_bundle {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| Error::Config(format!("CA bundle is not valid PEM: {e}")))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .build()
            .map_err(|e| Error::Config(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Client {
            http,
            config,
            auth: None,
            scrubber: Scrubber::new(),
        })
    }

    /// The same client, authenticating every call with `token`.
    pub fn with_token(mut self, token: Token) -> Self {
        self.scrubber = Scrubber::new().with_basic_auth(&token.user_id, token.token.expose());
        self.auth = Some(token);
        self
    }

    /// This client for one request that carries `secret` (a password, a site's secret key):
    /// the reply is scrubbed of it too.
    fn sending(&self, secret: &Secret) -> Client {
        let mut sender = self.clone();
        sender.scrubber = sender.scrubber.with_secret(secret.expose());
        sender
    }

    /// The settings in use.
    pub fn config(&self) -> &RestConfig {
        &self.config
    }

    /// `POST /token`: exchanges a user name and password for a token. A reply without
    /// `"success": true` is a `LoginFailed` error (the genuine server says so with HTTP 200).
    pub async fn login(&self, user: &str, password: &Secret) -> Result<Token, Error> {
        let form = format!(
            "username={}&password={}",
            form_encode(user),
            form_encode(password.expose())
        );
        // The password travels in this request: hide it in what comes back.
        let reply = self
            .sending(password)
            .call(
                "Login",
                reqwest::Method::POST,
                &["token"],
                &[],
                Some(Body::Form(form)),
            )
            .await?;
        decode_token(&reply)
    }

    /// `GET /sites[?details=true]`: the cloud sites.
    pub async fn sites(&self, details: bool) -> Result<Vec<Site>, Error> {
        let query: &[(&str, &str)] = if details { &[("details", "true")] } else { &[] };
        self.get("ListSites", &["sites"], query).await
    }

    /// `GET /sites/<id>`.
    pub async fn site(&self, id: &str) -> Result<Site, Error> {
        self.get("GetSite", &["sites", id], &[]).await
    }

    /// `GET /credentials/sites[?details=true]`: this user's credentials for every site.
    pub async fn site_credentials(&self, details: bool) -> Result<Vec<SiteCredentials>, Error> {
        let query: &[(&str, &str)] = if details { &[("details", "true")] } else { &[] };
        self.get("ListSiteCredentials", &["credentials", "sites"], query)
            .await
    }

    /// `GET /credentials/sites/<id>`.
    pub async fn site_credential(&self, id: &str) -> Result<SiteCredentials, Error> {
        self.get("GetSiteCredentials", &["credentials", "sites", id], &[])
            .await
    }

    /// `POST /credentials/sites` (201).
    pub async fn create_site_credentials(
        &self,
        input: &SiteCredentialsInput,
    ) -> Result<SiteCredentials, Error> {
        self.sending(&input.secret_key)
            .send_json(
                "CreateSiteCredentials",
                reqwest::Method::POST,
                &["credentials", "sites"],
                input,
            )
            .await
    }

    /// `PUT /credentials/sites/<id>`.
    pub async fn update_site_credentials(
        &self,
        input: &SiteCredentialsInput,
    ) -> Result<SiteCredentials, Error> {
        self.sending(&input.secret_key)
            .send_json(
                "UpdateSiteCredentials",
                reqwest::Method::PUT,
                &["credentials", "sites", &input.id],
                input,
            )
            .await
    }

    /// `DELETE /credentials/sites/<id>` (204).
    pub async fn delete_site_credentials(&self, id: &str) -> Result<(), Error> {
        self.delete("DeleteSiteCredentials", &["credentials", "sites", id], &[])
            .await
    }

    /// `GET /launchconfigurations`.
    pub async fn launch_configurations(&self) -> Result<Vec<LaunchConfiguration>, Error> {
        self.get("ListLaunchConfigurations", &["launchconfigurations"], &[])
            .await
    }

    /// `GET /launchconfigurations/<id>`.
    pub async fn launch_configuration(&self, id: &str) -> Result<LaunchConfiguration, Error> {
        self.get("GetLaunchConfiguration", &["launchconfigurations", id], &[])
            .await
    }

    /// `POST /launchconfigurations` (201); an existing name is an `AlreadyExists` error naming the
    /// existing id.
    pub async fn create_launch_configuration(
        &self,
        input: &LaunchConfigurationInput,
    ) -> Result<LaunchConfiguration, Error> {
        self.send_json(
            "CreateLaunchConfiguration",
            reqwest::Method::POST,
            &["launchconfigurations"],
            input,
        )
        .await
    }

    /// `DELETE /launchconfigurations/<id>` (204).
    pub async fn delete_launch_configuration(&self, id: &str) -> Result<(), Error> {
        self.delete(
            "DeleteLaunchConfiguration",
            &["launchconfigurations", id],
            &[],
        )
        .await
    }

    /// `GET /domains`.
    pub async fn domains(&self) -> Result<Vec<Domain>, Error> {
        self.get("ListDomains", &["domains"], &[]).await
    }

    /// `GET /domains/<id>`.
    pub async fn domain(&self, id: &str) -> Result<Domain, Error> {
        self.get("GetDomain", &["domains", id], &[]).await
    }

    /// `POST /domains` (201); an existing name is an `AlreadyExists` error naming the existing id.
    pub async fn create_domain(&self, input: &DomainInput) -> Result<Domain, Error> {
        self.send_json("CreateDomain", reqwest::Method::POST, &["domains"], input)
            .await
    }

    /// `PUT /domains/<id>` with the whole domain object (change `vm_count` to resize).
    pub async fn update_domain(&self, domain: &Domain) -> Result<Domain, Error> {
        self.send_json(
            "UpdateDomain",
            reqwest::Method::PUT,
            &["domains", &domain.id],
            domain,
        )
        .await
    }

    /// `DELETE /domains/<id>` (204): the domain and its VMs.
    pub async fn delete_domain(&self, id: &str) -> Result<(), Error> {
        self.delete("DeleteDomain", &["domains", id], &[]).await
    }

    /// `GET /domains/<id>/instances`.
    pub async fn instances(&self, domain_id: &str) -> Result<Vec<Instance>, Error> {
        self.get("ListInstances", &["domains", domain_id, "instances"], &[])
            .await
    }

    /// `GET /domains/<id>/instances/<iid>`.
    pub async fn instance(&self, domain_id: &str, id: &str) -> Result<Instance, Error> {
        self.get("GetInstance", &["domains", domain_id, "instances", id], &[])
            .await
    }

    /// `DELETE /domains/<id>/instances/<iid>[?adjust_policy=true]` (204): terminates a VM; with
    /// `adjust_policy` the domain's `vm_count` drops by one, else Phantom starts a replacement.
    pub async fn terminate_instance(
        &self,
        domain_id: &str,
        id: &str,
        adjust_policy: bool,
    ) -> Result<(), Error> {
        let query: &[(&str, &str)] = if adjust_policy {
            &[("adjust_policy", "true")]
        } else {
            &[]
        };
        self.delete(
            "TerminateInstance",
            &["domains", domain_id, "instances", id],
            query,
        )
        .await
    }

    /// `GET /sensors`: the metrics a `sensor` domain can scale on.
    pub async fn sensors(&self) -> Result<Vec<Sensor>, Error> {
        self.get("ListSensors", &["sensors"], &[]).await
    }

    /// `GET /sensors/<id>`.
    pub async fn sensor(&self, id: &str) -> Result<Sensor, Error> {
        self.get("GetSensor", &["sensors", id], &[]).await
    }

    async fn get<T: DeserializeOwned>(
        &self,
        operation: &str,
        path: &[&str],
        query: &[(&str, &str)],
    ) -> Result<T, Error> {
        let reply = self
            .call(operation, reqwest::Method::GET, path, query, None)
            .await?;
        decode(operation, &reply)
    }

    async fn delete(
        &self,
        operation: &str,
        path: &[&str],
        query: &[(&str, &str)],
    ) -> Result<(), Error> {
        let reply = self
            .call(operation, reqwest::Method::DELETE, path, query, None)
            .await?;
        expect_success(operation, &reply)
    }

    async fn send_json<B: Serialize, T: DeserializeOwned>(
        &self,
        operation: &str,
        method: reqwest::Method,
        path: &[&str],
        body: &B,
    ) -> Result<T, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::Config(format!("{operation}: cannot encode the request: {e}")))?;
        let reply = self
            .call(operation, method, path, &[], Some(Body::Json(bytes)))
            .await?;
        if reply.status == 302 || reply.status == 303 {
            return Err(status_error(operation, &reply));
        }
        decode(operation, &reply)
    }

    fn url(&self, path: &[&str], query: &[(&str, &str)]) -> String {
        let mut url = self.config.base_url.clone();
        for segment in path {
            url.push('/');
            url.extend(utf8_percent_encode(segment, SEGMENT));
        }
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&form_encode(k));
            url.push('=');
            url.push_str(&form_encode(v));
        }
        url
    }

    async fn call(
        &self,
        operation: &str,
        method: reqwest::Method,
        path: &[&str],
        query: &[(&str, &str)],
        body: Option<Body>,
    ) -> Result<RawReply, Error> {
        let url = self.url(path, query);
        let work = self.exchange(operation, method, &url, body);
        match self.config.deadline {
            Some(limit) => tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
                Err(Error::Timeout {
                    operation: operation.to_string(),
                    elapsed_ms: limit.as_millis(),
                    what: "deadline".into(),
                })
            }),
            None => work.await,
        }
    }

    async fn exchange(
        &self,
        operation: &str,
        method: reqwest::Method,
        url: &str,
        body: Option<Body>,
    ) -> Result<RawReply, Error> {
        if operation != "Login" && self.auth.is_none() {
            return Err(Error::Config(format!(
                "{operation}: no REST token; run `phantom login` or set USER_ID and TOKEN"
            )));
        }
        if self.config.debug {
            self.trace_request(&method, url, body.as_ref());
        }
        let mut request = self
            .http
            .request(method, url)
            .header("Accept", "application/json");
        if let Some(token) = &self.auth {
            request = request.basic_auth(&token.user_id, Some(token.token.expose()));
        }
        request = match body {
            Some(Body::Json(bytes)) => request
                .header("Content-Type", "application/json")
                .body(bytes),
            Some(Body::Form(form)) => request
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form),
            None => request,
        };
        let transport_error = |e: reqwest::Error| -> Error {
            if e.is_timeout() {
                Error::Timeout {
                    operation: operation.to_string(),
                    elapsed_ms: self
                        .config
                        .read_timeout
                        .max(self.config.connect_timeout)
                        .as_millis(),
                    what: if e.is_connect() {
                        "connect timeout"
                    } else {
                        "read timeout"
                    }
                    .into(),
                }
            } else {
                Error::Transport {
                    operation: operation.to_string(),
                    endpoint: self.config.base_url.clone(),
                    message: describe(&e),
                }
            }
        };
        let mut response = request.send().await.map_err(transport_error)?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        // Everything from here on comes from the server: scrubbed of our secrets first.
        let scrubber = &self.scrubber;
        let mut reply = RawReply {
            status: response.status().as_u16(),
            location: header("location").map(|v| scrubber.scrub_string(v)),
            allow: header("allow").map(|v| scrubber.scrub_string(v)),
            body: Vec::new(),
        };
        let limit = self.config.max_body_bytes;
        let too_large = || Error::Parse {
            operation: operation.to_string(),
            status: reply.status,
            request_id: None,
            message: format!(
                "reply larger than the {limit} byte limit (raise it with --max-reply-bytes)"
            ),
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        reply.body = match scrubber.scrub_bytes(&body) {
            std::borrow::Cow::Borrowed(_) => body,
            std::borrow::Cow::Owned(scrubbed) => scrubbed,
        };
        if self.config.debug {
            self.trace_reply(&reply);
        }
        Ok(reply)
    }

    fn trace_request(&self, method: &reqwest::Method, url: &str, body: Option<&Body>) {
        let mut text = format!("> {method} {url}\n");
        if self.auth.is_some() {
            text.push_str("> Authorization: Basic **redacted**\n");
        }
        match body {
            Some(Body::Json(bytes)) => text.push_str(&format!("> {}\n", redacted_body(bytes))),
            Some(Body::Form(form)) => {
                let shown: Vec<String> = form
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some((k, _)) if k == "password" => format!("{k}=**redacted**"),
                        _ => pair.to_string(),
                    })
                    .collect();
                text.push_str(&format!("> {}\n", shown.join("&")));
            }
            None => {}
        }
        self.trace(text.trim_end());
    }

    fn trace_reply(&self, reply: &RawReply) {
        let mut text = format!("< HTTP {}", reply.status);
        if let Some(location) = &reply.location {
            text.push_str(&format!("\n< Location: {location}"));
        }
        if !reply.body.is_empty() {
            text.push_str(&format!("\n< {}", redacted_body(&reply.body)));
        }
        self.trace(&text);
    }

    fn trace(&self, text: &str) {
        let text = self.scrubber.scrub(text);
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "[debug] {}", text.replace('\n', "\n[debug] "));
    }
}

/// A body for a trace: JSON with secret fields redacted, or the start of the text.
fn redacted_body(bytes: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(mut value) => {
            redact_value(&mut value);
            value.to_string()
        }
        Err(_) => {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
            text.trim_end().to_string()
        }
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_encode(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

fn describe(e: &reqwest::Error) -> String {
    // No secret is ever in the URL (Basic auth travels in a header), so the URL may show.
    crate::query::transport::describe_reqwest(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(url: &str) -> Endpoint {
        Endpoint::parse(url).unwrap()
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            RestConfig::new(&endpoint("http://127.0.0.1:8446/api/dev/")).base_url,
            "http://127.0.0.1:8446/api/dev"
        );
        assert_eq!(
            RestConfig::new(&endpoint("https://phantom.nimbusproject.org")).base_url,
            "https://phantom.nimbusproject.org/api/dev"
        );
        assert!(is_rest_endpoint(&endpoint("http://h/api/dev")));
        assert!(!is_rest_endpoint(&endpoint("http://h:8445/")));
    }

    #[test]
    fn path_segments_are_escaped() {
        let client = Client::new(RestConfig::new(&endpoint("http://h/api/dev"))).unwrap();
        assert_eq!(
            client.url(&["domains", "a/b c"], &[("adjust_policy", "true")]),
            "http://h/api/dev/domains/a%2Fb%20c?adjust_policy=true"
        );
    }

    #[test]
    fn traces_hide_secrets() {
        let shown = redacted_body(br#"{"id":"s","secret_key":"canary","key_name":"k"}"#);
        assert!(!shown.contains("canary"), "{shown}");
        assert!(shown.contains("key_name"));
    }
}
