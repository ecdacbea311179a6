//! The built-in REST endpoint's HTTP layer: `/api/dev` paths, token issue, authentication before
//! the method check (as Phantom does: wrong method without auth is 403, with auth 405), and the
//! status codes and bodies of the genuine server (JSON as `application/javascript`; plain-text
//! 400/404; 403 `Authorization Required`; 405 with `Allow`; 302 with `Location` for an existing
//! name; 201 on create; 204 on delete).
//!
//! What the calls do is behind [`RestBackend`], so this layer knows nothing of storage; `phantom
//! serve` plugs in a backend over the same store as the Query API.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::access::{Tokens, User, Users, authenticate};

/// What a backend call gives back.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// 200 with this JSON.
    Ok(Value),
    /// 201 with this JSON.
    Created(Value),
    /// 204, no body.
    Deleted,
    /// 302 to the existing object at this path (under `/api/dev`).
    Exists(String),
    /// 400 with this text.
    BadRequest(String),
    /// 404 with this text.
    NotFound(String),
    /// 500 with this text: a fault of the endpoint (storage), never of the request.
    Internal(String),
}

/// The calls of the REST API, for one authenticated user.
pub trait RestBackend: Send + Sync + 'static {
    /// Runs `method` on the path segments after `/api/dev` (never `token`) with the JSON body
    /// (`None` when absent or not JSON) and the query parameters. Only called for a path and
    /// method [`allowed`] accepts.
    fn call(
        &self,
        user: &User,
        method: &Method,
        path: &[&str],
        body: Option<&Value>,
        params: &[(String, String)],
    ) -> Outcome;
}

/// The methods a path accepts, or `None` for an unknown path.
pub fn allowed(path: &[&str]) -> Option<&'static [Method]> {
    const GET: &[Method] = &[Method::GET];
    const GET_POST: &[Method] = &[Method::GET, Method::POST];
    const GET_PUT_DELETE: &[Method] = &[Method::GET, Method::PUT, Method::DELETE];
    const GET_DELETE: &[Method] = &[Method::GET, Method::DELETE];
    Some(match path {
        ["sites"] | ["sensors"] | ["sites", _] | ["sensors", _] => GET,
        ["credentials", "sites"] | ["launchconfigurations"] | ["domains"] => GET_POST,
        ["credentials", "chef"] | ["imagegenerators"] => GET_POST,
        ["credentials", "sites", _] | ["launchconfigurations", _] | ["domains", _] => {
            GET_PUT_DELETE
        }
        ["credentials", "chef", _] | ["imagegenerators", _] => GET_PUT_DELETE,
        ["domains", _, "instances"] => GET,
        ["domains", _, "instances", _] => GET_DELETE,
        _ => return None,
    })
}

/// The endpoint's state.
pub struct RestApp {
    /// Who may log in.
    pub users: Users,
    /// Tokens issued.
    pub tokens: Tokens,
    /// What the calls do.
    pub backend: Arc<dyn RestBackend>,
}

/// The router for `/api/dev/...` (nest or merge it into the server's router).
pub fn router(app: Arc<RestApp>) -> Router {
    Router::new()
        .route("/api/dev", axum::routing::any(handle))
        .route("/api/dev/{*rest}", axum::routing::any(handle))
        .with_state(app)
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    let mut r = (status, body.into()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

fn json_reply(status: StatusCode, value: &Value) -> Response {
    let mut r = (status, value.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/javascript"),
    );
    r
}

fn decode_params(raw: &[u8]) -> Vec<(String, String)> {
    crate::query::form::decode_pairs(raw).unwrap_or_default()
}

async fn handle(
    State(app): State<Arc<RestApp>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path: Vec<&str> = uri
        .path()
        .trim_start_matches("/api/dev")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let decoded: Vec<String> = path
        .iter()
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let path: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let params = decode_params(uri.query().unwrap_or("").as_bytes());
    if path == ["token"] {
        return token(&app, &method, &body);
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(user) = authenticate(&app.users, &app.tokens, authorization, &params) else {
        return text(StatusCode::FORBIDDEN, "Authorization Required");
    };
    let Some(methods) = allowed(&path) else {
        return text(
            StatusCode::NOT_FOUND,
            format!(
                "No such path: {}",
                uri.path().chars().take(200).collect::<String>()
            ),
        );
    };
    if !methods.contains(&method) {
        let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "");
        if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
            r.headers_mut().insert(header::ALLOW, v);
        }
        return r;
    }
    let json_body: Option<Value> = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => Some(v),
            Err(_) if method == Method::POST || method == Method::PUT => {
                return text(StatusCode::BAD_REQUEST, "Couldn't load json from body");
            }
            Err(_) => None,
        }
    };
    let user = user.clone();
    let backend = app.backend.clone();
    let method2 = method.clone();
    let owned: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    let outcome = tokio::task::spawn_blocking(move || {
        let path: Vec<&str> = owned.iter().map(String::as_str).collect();
        backend.call(&user, &method2, &path, json_body.as_ref(), &params)
    })
    .await
    .unwrap_or_else(|_| Outcome::Internal("the call failed unexpectedly".into()));
    let pretty = uri.query().is_some_and(|q| q.contains("pretty=true"));
    match outcome {
        Outcome::Ok(v) if pretty => {
            let mut r = (
                StatusCode::OK,
                serde_json::to_string_pretty(&v).unwrap_or_default(),
            )
                .into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/javascript"),
            );
            r
        }
        Outcome::Ok(v) => json_reply(StatusCode::OK, &v),
        Outcome::Created(v) => json_reply(StatusCode::CREATED, &v),
        Outcome::Deleted => text(StatusCode::NO_CONTENT, ""),
        Outcome::Exists(location) => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            let mut r = text(StatusCode::FOUND, "");
            if let Ok(v) = HeaderValue::from_str(&format!("http://{host}/api/dev{location}")) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Outcome::BadRequest(m) => text(StatusCode::BAD_REQUEST, m),
        Outcome::Internal(m) => text(StatusCode::INTERNAL_SERVER_ERROR, m),
        Outcome::NotFound(m) => {
            let mut r = text(StatusCode::NOT_FOUND, m);
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/javascript"),
            );
            r
        }
    }
}

/// `POST /token` (form `username`, `password`): HTTP 200 whether it works or not, as Phantom.
fn token(app: &RestApp, method: &Method, body: &[u8]) -> Response {
    let fail = |m: &str| {
        let mut r = json_reply(StatusCode::OK, &json!({"success": false, "errors": m}));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    };
    if method != Method::POST {
        return fail("Must access via a POST request.");
    }
    let form = decode_params(body);
    let find = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let (Some(name), Some(password)) = (find("username"), find("password")) else {
        return fail("Must include 'username' and 'password' as POST parameters.");
    };
    let Some(user) = app.users.check_password(name, password) else {
        return fail("Unable to log you in, please try again.");
    };
    let token = match app.tokens.issue(user.id) {
        Ok(t) => t,
        Err(e) => {
            let mut r = json_reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"success": false, "errors": e.to_string()}),
            );
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            return r;
        }
    };
    let mut r = json_reply(
        StatusCode::OK,
        &json!({"token": token.expose(), "user": user.id, "success": true}),
    );
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}
