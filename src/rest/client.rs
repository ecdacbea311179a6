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
//!
//! The HTTP mechanics are the shared layer's ([`crate::http`]): the client and its TLS settings,
//! the reply cap, the trace, and retries. The idempotent calls (GET, PUT, DELETE) are retried as
//! the Query calls are (connection failures, timeouts, HTTP 500, 502, 503, 504); a POST (login,
//! the creates) is sent once, since a lost reply may hide a create that was carried out.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::reply::{RawReply, decode, decode_token, expect_success, status_error};
use super::types::*;
use crate::credentials::{Scrubber, Secret};
use crate::error::Error;
use crate::http::client::ClientOptions;
use crate::http::failure::{self, SendFailure, Timeouts};
use crate::http::reply::{self, BodyError, Reply};
use crate::http::retry::{Attempt, Retrier, RetryPolicy, classify, parse_retry_after};
use crate::http::trace::{Trace, redact_query};
use crate::query::encoding::encode_component;
use crate::query::endpoint::Endpoint;

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
    /// Retries of the idempotent calls (GET, PUT, DELETE).
    pub retry: RetryPolicy,
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
            retry: RetryPolicy::default(),
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
    /// The `--debug` trace, with the secrets this client sends, blanked out of every reply.
    trace: Trace,
}

impl Client {
    /// Builds a client (no token yet: only [`Client::login`] works until [`Client::with_token`]).
    pub fn new(config: RestConfig) -> Result<Self, Error> {
        let http = crate::http::client::build(&ClientOptions {
            connect_timeout: config.connect_timeout,
            read_timeout: config.read_timeout,
            verify_tls: config.verify_tls,
            ca_bundle: config.ca_bundle.as_deref(),
            plain_http: config.base_url.starts_with("http:"),
        })?;
        Ok(Client {
            http,
            auth: None,
            trace: Trace::new(config.debug, Scrubber::new()),
            config,
        })
    }

    /// The same client, authenticating every call with `token`.
    pub fn with_token(mut self, token: Token) -> Self {
        self.trace = Trace::new(
            self.config.debug,
            Scrubber::new().with_basic_auth(&token.user_id, token.token.expose()),
        );
        self.auth = Some(token);
        self
    }

    /// This client for one request that carries `secret` (a password, a site's secret key):
    /// the reply is scrubbed of it too.
    fn sending(&self, secret: &Secret) -> Client {
        let mut sender = self.clone();
        sender.trace = sender.trace.with_secret(secret.expose());
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
            encode_component(user),
            encode_component(password.expose())
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
        let bytes =
            serde_json::to_vec(body).map_err(|e| Error::Encoding(format!("{operation}: {e}")))?;
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
            url.push_str(&encode_component(segment));
        }
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&encode_component(k));
            url.push('=');
            url.push_str(&encode_component(v));
        }
        url
    }

    /// Sends one call: GET, PUT and DELETE retried as the policy allows, a POST once; all
    /// within the deadline when one is set.
    async fn call(
        &self,
        operation: &str,
        method: reqwest::Method,
        path: &[&str],
        query: &[(&str, &str)],
        body: Option<Body>,
    ) -> Result<RawReply, Error> {
        if operation != "Login" && self.auth.is_none() {
            return Err(Error::Config(format!(
                "{operation}: no REST token; run `phantom login` or set USER_ID and TOKEN"
            )));
        }
        let url = self.url(path, query);
        let idempotent = matches!(
            method,
            reqwest::Method::GET | reqwest::Method::PUT | reqwest::Method::DELETE
        );
        let once = RetryPolicy {
            max_attempts: 1,
            ..self.config.retry.clone()
        };
        let retrier = Retrier {
            operation,
            policy: if idempotent {
                &self.config.retry
            } else {
                &once
            },
            attempt_limit: self
                .config
                .connect_timeout
                .saturating_add(self.config.read_timeout),
            deadline: self.config.deadline,
            clock: None,
            trace: &self.trace,
        };
        let body = body.as_ref();
        retrier
            .run(|| self.attempt(operation, &method, &url, body))
            .await
            .0
    }

    /// One exchange: the reply as read, or what the retry loop makes of a failure.
    async fn attempt(
        &self,
        operation: &str,
        method: &reqwest::Method,
        url: &str,
        body: Option<&Body>,
    ) -> Result<Attempt<RawReply>, Error> {
        match self.exchange(operation, method, url, body).await {
            Ok((reply, retry_after)) if matches!(reply.status, 500 | 502 | 503 | 504) => {
                match classify(status_error(operation, &reply), retry_after, None) {
                    // Not a service error: cannot happen, but a 5xx reply is still a reply.
                    Err(_) => Ok(Attempt::Done(reply)),
                    retry => retry,
                }
            }
            Ok((reply, _)) => Ok(Attempt::Done(reply)),
            Err(SendFailure {
                error,
                maybe_done,
                retry: true,
            }) => Ok(Attempt::Retry {
                error,
                retry_after: None,
                maybe_done,
            }),
            Err(failure) => Err(failure.error),
        }
    }

    /// Sends the request and reads the reply, scrubbed; also the server's `Retry-After`.
    async fn exchange(
        &self,
        operation: &str,
        method: &reqwest::Method,
        url: &str,
        body: Option<&Body>,
    ) -> Result<(RawReply, Option<Duration>), SendFailure> {
        if self.trace.enabled() {
            self.trace_request(method, url, body);
        }
        let mut request = self
            .http
            .request(method.clone(), url)
            .header("Accept", "application/json");
        if let Some(token) = &self.auth {
            request = request.basic_auth(&token.user_id, Some(token.token.expose()));
        }
        request = match body {
            Some(Body::Json(bytes)) => request
                .header("Content-Type", "application/json")
                .body(bytes.clone()),
            Some(Body::Form(form)) => request
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form.clone()),
            None => request,
        };
        let timeouts = Timeouts {
            connect: self.config.connect_timeout,
            read: self.config.read_timeout,
        };
        let failed = |e| failure::from_reqwest(e, operation, &self.config.base_url, timeouts);
        let mut response = request.send().await.map_err(failed)?;
        // Everything from here on comes from the server: scrubbed of our secrets first.
        let scrubber = self.trace.scrubber();
        let mut head = Reply::head(&response, scrubber);
        match head
            .read_body(&mut response, self.config.max_body_bytes, scrubber)
            .await
        {
            Ok(()) => {}
            Err(BodyError::Read(e)) => return Err(failed(e)),
            Err(BodyError::TooLarge) => {
                return Err(SendFailure {
                    error: reply::too_large(
                        operation,
                        head.status,
                        None,
                        self.config.max_body_bytes,
                    ),
                    maybe_done: true,
                    retry: false,
                });
            }
        }
        let retry_after = head
            .header("retry-after")
            .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
        let reply = RawReply {
            status: head.status,
            location: head.header("location").map(str::to_string),
            allow: head.header("allow").map(str::to_string),
            body: head.body,
        };
        if self.trace.enabled() {
            self.trace_reply(&reply);
        }
        Ok((reply, retry_after))
    }

    fn trace_request(&self, method: &reqwest::Method, url: &str, body: Option<&Body>) {
        let headers = match self.auth {
            Some(_) => vec![("Authorization".to_string(), "Basic -".to_string())],
            None => Vec::new(),
        };
        let body = match body {
            Some(Body::Json(bytes)) => redacted_body(bytes),
            Some(Body::Form(form)) => redact_query(form),
            None => String::new(),
        };
        self.trace.request(method.as_str(), url, &headers, &body);
    }

    fn trace_reply(&self, reply: &RawReply) {
        let mut text = format!("< HTTP {}", reply.status);
        if let Some(location) = &reply.location {
            text.push_str(&format!("\n< Location: {location}"));
        }
        if !reply.body.is_empty() {
            text.push_str(&format!("\n< {}", redacted_body(&reply.body)));
        }
        self.trace.line(&text);
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
