//! The Query front end: HTTP in, one operation applied, AWS XML out.
//!
//! Built on axum (no HTTP parsing of our own): `GET /` with the parameters in the query string and
//! `POST /` with a form body (query-string parameters are merged in before the body's). Each
//! request goes through the same steps: decode the parameters (bad percent-encoding or UTF-8 is
//! `MalformedQueryString`), authenticate (see [`crate::server::auth`]), find the `Action`
//! (`MissingParameter`), rebuild the parameter tree, then run the operation through its adapter
//! (checked against the model, read into its input shape, handled in one store transaction; see
//! `crate::server::ops`); an operation the endpoint does not serve is checked the same way and
//! then answered `InvalidAction`. EC2's slice (`crate::server::ec2`) shares the port: a request
//! signed for the service `ec2`, or carrying `Version=2016-11-15`, goes to its table and is
//! answered in EC2's forms; one whose signed service and `Version` disagree is refused. The
//! Elastic Load Balancing slices (`crate::server::elb`) likewise: service
//! `elasticloadbalancing`, `Version=2012-06-01` (classic) or `2015-12-01` (ELBv2).
//! Under the Phantom dialect (`crate::server::phantom`) only Phantom's ten actions exist (any other
//! is 404) and replies and errors take Phantom's form. Every other
//! reply, success or error, is
//! `text/xml` in the AWS form and carries `x-amzn-RequestId`; any other path or method is answered
//! with an `ErrorResponse` too, never an HTML page.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use futures_util::StreamExt;

use crate::query::form::{decode_pairs, pairs_to_node};
use crate::query::sign::Received;
use crate::query::xml::{write_error, write_rendered_reply};
use crate::server::auth::AuthPolicy;
use crate::server::ec2;
use crate::server::elb;
use crate::server::fault::ApiError;
use crate::server::lifecycle::{new_uuid, now_ms};
use crate::server::ops::{self, Ctx, Settings, validate};
use crate::server::phantom;
use crate::server::store::Store;

/// Everything a request needs: the store, the authentication policy and the settings.
pub struct App {
    /// The database.
    pub store: Arc<Store>,
    /// Who may ask.
    pub auth: AuthPolicy,
    /// Sites and delays.
    pub settings: Settings,
    /// The counters, when `GET /phantom-stats` is to answer with them (`phantom serve --stats`).
    pub stats: Option<Arc<Stats>>,
}

/// The largest request body accepted (Query requests are a few kilobytes).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// How much of an oversized body is read and dropped before answering 413, so that a client still
/// sending sees the answer instead of a connection reset. Past this (or 5 s), the connection is cut.
const DRAIN_BYTES: usize = 64 * 1024 * 1024;

/// Reads a request body of at most [`MAX_BODY_BYTES`]; a larger one is drained (bounded) and
/// refused with `RequestEntityTooLarge` (413).
async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    let started = std::time::Instant::now();
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            let e = e.into_inner();
            match e.downcast_ref::<crate::server::conn::BodyTimedOut>() {
                Some(late) => ApiError::with_status(408, "RequestTimeout", late.to_string()),
                None => ApiError::malformed(format!("unreadable request body: {e}")),
            }
        })?;
        total = total.saturating_add(chunk.len());
        if total <= MAX_BODY_BYTES {
            kept.extend_from_slice(&chunk);
        } else if total > DRAIN_BYTES || started.elapsed() > std::time::Duration::from_secs(5) {
            break;
        }
    }
    if total > MAX_BODY_BYTES {
        return Err(ApiError::with_status(
            413,
            "RequestEntityTooLarge",
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    Ok(Bytes::from(kept))
}

/// The reply to a body [`read_body`] refused (too large, too slow, unreadable), with
/// `Connection: close`: what is left of the body may still be on the connection, unread, and
/// must never be read as the next request's head (it was once, answered `414`, on a client that
/// reused the connection after a 413).
fn body_refused(e: &ApiError, request_id: &str) -> Response {
    let mut reply = error_reply(e, request_id);
    reply.headers_mut().insert(
        axum::http::header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    reply
}

/// The server's counters. Counting costs one relaxed atomic add per accepted connection.
#[derive(Debug, Default)]
pub struct Stats {
    accepted: AtomicU64,
}

impl Stats {
    /// Notes one accepted TCP connection.
    pub fn count_connection(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }
}

/// The path that answers with the counters when they are exposed.
pub const STATS_PATH: &str = "/phantom-stats";

/// moto's reset path (`POST` clears this server's state), for suites written for moto's server
/// mode.
pub const RESET_PATH: &str = "/moto-api/reset";

/// The health check orchestrators poll (`GET`, no authentication).
pub const HEALTH_PATH: &str = "/health";

/// The router: the Query API at `/`, the reset and health paths, XML errors everywhere else.
pub fn router(app: Arc<App>) -> Router {
    let stats = app.stats.clone();
    let router = Router::new()
        .route("/", any(query))
        .route(RESET_PATH, any(reset))
        .route(HEALTH_PATH, axum::routing::get(health));
    let router = match stats {
        Some(stats) => router.route(
            STATS_PATH,
            axum::routing::get(move || async move {
                format!("accepted_connections {}\n", stats.accepted())
            }),
        ),
        None => router,
    };
    router.fallback(unknown_path).with_state(app)
}

/// A JSON reply (the reset and health paths answer JSON, as moto's reset does).
fn json(status: StatusCode, body: &'static str) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `POST /moto-api/reset`: clears every owner's state, answered as moto answers it (200
/// `{"status": "ok"}`; another method, 400 `{"Error": "Need to POST to reset Moto"}`). With
/// authentication on, the request must be signed by an accepted key like any request (moto has no
/// keys; under `--no-auth` nothing is asked, as with moto): an unsigned request must not be able
/// to wipe a keyed endpoint.
async fn reset(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if method != Method::POST {
        return json(
            StatusCode::BAD_REQUEST,
            r#"{"Error": "Need to POST to reset Moto"}"#,
        );
    }
    let request_id = new_uuid();
    let body = match read_body(body).await {
        Ok(b) => b,
        Err(e) => return body_refused(&e, &request_id),
    };
    let cleared = async {
        if matches!(app.auth, AuthPolicy::Keys(_)) {
            let query_params =
                decode_pairs(uri.query().unwrap_or("").as_bytes()).map_err(ApiError::malformed)?;
            let received = Received {
                method: &method,
                host: single_host(&headers, &uri)?,
                path: uri.path(),
                headers: &headers,
                body: &body,
                query_params: &query_params,
                form_params: &[],
            };
            app.auth.authenticate(&received, SystemTime::now())?;
        }
        app.store.transaction(crate::server::store::clear)
    };
    match cleared.await {
        Ok(()) => {
            // Deadlines went with the rows: the engine looks again and finds none.
            app.settings.timers.wake();
            json(StatusCode::OK, r#"{"status": "ok"}"#)
        }
        Err(e) => error_reply(&e, &request_id),
    }
}

/// `GET /health`: 200 `{"status": "ok"}` when the store answers a query, 503 otherwise; no
/// authentication, so that an orchestrator's probe needs no key.
async fn health(State(app): State<Arc<App>>) -> Response {
    let alive = app.store.transaction(|tx| {
        tx.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
            .map_err(ApiError::from)
    });
    match alive {
        Ok(_) => json(StatusCode::OK, r#"{"status": "ok"}"#),
        Err(_) => json(
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"status": "unavailable"}"#,
        ),
    }
}

async fn query(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = new_uuid();
    let body = match read_body(body).await {
        Ok(b) => b,
        Err(e) => return body_refused(&e, &request_id),
    };
    let mut api = Api::AutoScaling;
    let phantom = app.settings.phantom();
    match answer(app, &method, &uri, &headers, &body, &mut api).await {
        // Phantom's dialect writes its own replies and errors (`crate::server::phantom::wire`).
        Ok((action, result)) if phantom && api == Api::AutoScaling => {
            let body = phantom::wire::write_reply(&action, result.as_deref(), &request_id);
            phantom::wire::ok(body, &request_id)
        }
        Err(e) if phantom && api == Api::AutoScaling => phantom::wire::error(&e, &headers),
        Ok((action, result)) => {
            let body = match api {
                Api::AutoScaling => write_rendered_reply(&action, result.as_deref(), &request_id),
                Api::Ec2 => ec2::write_reply(&action, result.as_deref(), &request_id),
                Api::Elb(which) => elb::write_reply(which, &action, result.as_deref(), &request_id),
            };
            xml(StatusCode::OK, body, &request_id)
        }
        Err(e) if matches!(api, Api::Elb(_)) => {
            let Api::Elb(which) = api else {
                return error_reply(&e, &request_id);
            };
            xml(
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
                elb::write_error(which, &e, &request_id),
                &request_id,
            )
        }
        Err(e) if api == Api::Ec2 => xml(
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            ec2::write_error(e.code, &e.message, &request_id),
            &request_id,
        ),
        Err(e) => error_reply(&e, &request_id),
    }
}

/// Which API a request speaks: its replies and errors take that API's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    AutoScaling,
    Ec2,
    /// Classic ELB or ELBv2 (`crate::server::elb`).
    Elb(elb::Which),
}

/// The API of a request, from its `Version` (EC2's is `2016-11-15`) and, when the signature was
/// verified, the credential scope's service: a request signed for `ec2` must carry EC2's
/// version, and one that carries EC2's version must not be signed for another service, so that
/// what the signature names and what runs agree.
fn route(version: Option<&str>, service: Option<&str>) -> Result<Api, ApiError> {
    // Elastic Load Balancing: the same rule, its two versions telling its two slices apart.
    let elb_version = elb::Which::of_version(version);
    match (service, elb_version) {
        (Some(elb::SERVICE), Some(which)) => return Ok(Api::Elb(which)),
        (Some(elb::SERVICE), None) => {
            return Err(ApiError::with_status(
                400,
                "InvalidParameterValue",
                format!(
                    "The request is signed for the service {} but its Version is {}; Elastic \
                     Load Balancing requests carry Version={} or {}.",
                    elb::SERVICE,
                    crate::server::fault::shorten(version.unwrap_or("(none)")),
                    elb::CLASSIC_VERSION,
                    elb::V2_VERSION
                ),
            ));
        }
        (Some(other), Some(_)) => {
            return Err(ApiError::with_status(
                400,
                "InvalidParameterValue",
                format!(
                    "The request carries Elastic Load Balancing's Version={} but is signed for \
                     the service {}; sign those requests with the service {}.",
                    crate::server::fault::shorten(version.unwrap_or("")),
                    crate::server::fault::shorten(other),
                    elb::SERVICE
                ),
            ));
        }
        (None, Some(which)) => return Ok(Api::Elb(which)),
        _ => {}
    }
    let ec2_version = version == Some(ec2::VERSION);
    match service {
        Some(ec2::SERVICE) if ec2_version => Ok(Api::Ec2),
        Some(ec2::SERVICE) => Err(ApiError::with_status(
            400,
            "InvalidParameterValue",
            format!(
                "The request is signed for the service ec2 but its Version is {}; EC2 requests \
                 carry Version={}.",
                crate::server::fault::shorten(version.unwrap_or("(none)")),
                ec2::VERSION
            ),
        )),
        Some(other) if ec2_version => Err(ApiError::with_status(
            400,
            "InvalidParameterValue",
            format!(
                "The request carries EC2's Version={} but is signed for the service {}; sign \
                 EC2 requests with the service ec2.",
                ec2::VERSION,
                crate::server::fault::shorten(other)
            ),
        )),
        _ if ec2_version => Ok(Api::Ec2),
        _ => Ok(Api::AutoScaling),
    }
}

async fn answer(
    app: Arc<App>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    api: &mut Api,
) -> Result<(String, Option<String>), ApiError> {
    if method != Method::GET && method != Method::POST {
        return Err(ApiError::with_status(
            405,
            "UnsupportedHttpVerb",
            format!("The HTTP method {method} is not supported; use GET or POST."),
        ));
    }
    let host = single_host(headers, uri)?;
    let query = uri.query().unwrap_or("");
    let query_params = decode_pairs(query.as_bytes()).map_err(ApiError::malformed)?;
    let form_params = if method == Method::POST && !body.is_empty() {
        if !is_form(headers) {
            return Err(ApiError::with_status(
                400,
                "InvalidQueryParameter",
                "A POST body must be application/x-www-form-urlencoded parameters.",
            ));
        }
        decode_pairs(body).map_err(ApiError::malformed)?
    } else {
        Vec::new()
    };
    let version = query_params
        .iter()
        .chain(&form_params)
        .find(|(k, _)| k == "Version")
        .map(|(_, v)| v.as_str());
    // Errors from here on take the form of the API the request names (refined once the
    // signature's scope is known).
    if version == Some(ec2::VERSION) {
        *api = Api::Ec2;
    }
    if let Some(which) = elb::Which::of_version(version) {
        *api = Api::Elb(which);
    }
    refuse_repeats(query_params.iter().chain(&form_params))?;
    let received = Received {
        method,
        host,
        path: uri.path(),
        headers,
        body,
        query_params: &query_params,
        form_params: &form_params,
    };
    let (owner, service) = app.auth.authenticate(&received, SystemTime::now())?;
    if service.as_deref() == Some(ec2::SERVICE) {
        *api = Api::Ec2;
    }
    *api = route(version, service.as_deref())?;
    // What runs is exactly what was verified: the same decoded pairs, moved, not decoded again.
    let mut params = query_params;
    params.extend(form_params);
    let action = params
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.clone())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| ApiError::missing_parameter("Action"))?;
    let tree = pairs_to_node(&params).map_err(ApiError::malformed)?;
    if *api == Api::AutoScaling && app.settings.phantom() && !phantom::serves(&action) {
        return Err(ApiError::with_status(
            404,
            "NotFound",
            format!("No action {}", crate::server::fault::shorten(&action)),
        ));
    }
    let handler = match *api {
        Api::Ec2 => Some(ec2::handler(&action).ok_or_else(|| ec2::invalid_action(&action))?),
        Api::AutoScaling => ops::handler(&action),
        Api::Elb(which) => Some(elb::handler(which, &action)?),
    };
    let Some(handler) = handler else {
        // An operation of the model that is not served yet is checked like a served one (its
        // errors are AWS's), then refused as an unknown action; a name outside the model only
        // refused.
        validate::request(&action, &tree)?;
        return Err(ApiError::invalid_action(&action));
    };
    // The operation runs right here on the async worker: it is one short SQLite transaction (in
    // memory, or a WAL file that does not sync on each commit), and handing it to the blocking
    // pool cost two thread switches per request, more than the transaction itself.
    let ctx = Ctx {
        owner: &owner,
        now: now_ms(),
        settings: &app.settings,
    };
    // A handler that panicked answers InternalFailure, as it did from the blocking pool.
    let run = std::panic::AssertUnwindSafe(|| handler(&app.store, &ctx, &tree));
    let result = std::panic::catch_unwind(run)
        .map_err(|_| ApiError::internal("the operation failed unexpectedly"))??;
    Ok((action, result))
}

/// The one `Host` of a request (HTTP/1.1 allows exactly one; two are refused, as a proxy and
/// the signature could otherwise read different ones), else the URI's authority.
fn single_host<'a>(headers: &'a HeaderMap, uri: &'a Uri) -> Result<&'a str, ApiError> {
    let mut hosts = headers.get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (Some(_), Some(_)) => Err(ApiError::with_status(
            400,
            "InvalidQueryParameter",
            "The request has more than one Host header.",
        )),
        (Some(h), None) => h
            .to_str()
            .map_err(|_| ApiError::malformed("the Host header is not text")),
        (None, _) => Ok(uri.authority().map(|a| a.as_str()).unwrap_or("")),
    }
}

/// Whether the body is declared a form (or undeclared: old clients send no `Content-Type`).
fn is_form(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).is_none_or(|ct| {
        ct.to_str().is_ok_and(|s| {
            s.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
    })
}

/// Refuses a parameter given more than once (twice in the query string, twice in the body, or
/// once in each): which one would run is a guess the signature must not leave open.
fn refuse_repeats<'a>(params: impl Iterator<Item = &'a (String, String)>) -> Result<(), ApiError> {
    let mut seen = std::collections::HashSet::new();
    for (k, _) in params {
        if !seen.insert(k.as_str()) {
            return Err(ApiError::with_status(
                400,
                "InvalidQueryParameter",
                format!(
                    "The parameter {} is given more than once.",
                    crate::server::fault::shorten(k)
                ),
            ));
        }
    }
    Ok(())
}

async fn unknown_path(uri: Uri) -> Response {
    let request_id = new_uuid();
    let e = ApiError::with_status(
        404,
        "NotFound",
        format!(
            "No Query API at {}: send requests to /",
            crate::server::fault::shorten(uri.path())
        ),
    );
    error_reply(&e, &request_id)
}

fn error_reply(e: &ApiError, request_id: &str) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    xml(
        status,
        write_error(e.kind(), e.code, &e.message, request_id),
        request_id,
    )
}

fn xml(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", v);
    }
    response
}
