//! Phantom's JSON REST API (`/api/dev`): a token from `POST /token`, then HTTP Basic
//! `user_id:token` on every call to sites, site credentials, launch configurations, domains,
//! their instances and sensors.
//!
//! - [`types`]: the request and reply shapes (serde; unknown fields kept, key order ignored);
//! - [`reply`]: status codes and bodies into values or [`crate::Error`]s (testable on recorded bytes);
//! - [`client`]: [`Client`], one async method per call;
//! - [`token_file`]: where the token is kept between commands (`USER_ID`/`TOKEN`, or a 0600 file);
//! - `access` and `endpoint` (feature `server`): the built-in endpoint's side: users file, token
//!   issue and check, Basic auth, the HTTP routes.
//!
//! ```no_run
//! use phantom_autoscale::query::endpoint::Endpoint;
//! use phantom_autoscale::rest::{Client, RestConfig};
//! use phantom_autoscale::Secret;
//!
//! # async fn example() -> phantom_autoscale::Result<()> {
//! let endpoint = Endpoint::parse("http://127.0.0.1:8446/api/dev")?;
//! let client = Client::new(RestConfig::new(&endpoint))?;
//! let token = client.login("alice", &Secret::new("restaurant")).await?;
//! let client = client.with_token(token);
//! for domain in client.domains().await? {
//!     println!("{} {} : {}", domain.name, domain.lc_name, domain.vm_count);
//! }
//! # Ok(()) }
//! ```

#[cfg(feature = "server")]
pub mod access;
pub mod client;
#[cfg(feature = "server")]
pub mod endpoint;
pub mod reply;
pub mod token_file;
pub mod types;

pub use client::{Client, RestConfig, is_rest_endpoint};
pub use types::*;
