//! The Elastic Load Balancing operation traits: what a request shape must say to be sent by
//! [`super::Client`], and the two slices as types.
//!
//! Their own traits, not Auto Scaling's: an ELB request carries another `Version`, so sending it
//! over the Auto Scaling client (or a classic request over the ELBv2 client) would be a request
//! the server reads as something else. Each [`Operation`] names its [`Slice`], and a
//! [`super::Client`] of one slice sends only that slice's operations. The impls are generated into
//! `classic/generated_ops.rs` and `v2/generated_ops.rs` by `tools/gen-elb.py`.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// One of the two APIs: its version and the names its endpoint settings go by.
pub trait Slice: Send + Sync + 'static {
    /// The API version every request names.
    const VERSION: &'static str;
    /// The name `phantom api` takes it by (`elb`, `elbv2`: botocore's service names).
    const NAME: &'static str;
}

/// Classic Elastic Load Balancing (Version 2012-06-01).
#[derive(Debug, Clone, Copy)]
pub struct Classic;

/// Elastic Load Balancing v2: Application, Network and Gateway Load Balancers (Version
/// 2015-12-01).
#[derive(Debug, Clone, Copy)]
pub struct V2;

impl Slice for Classic {
    const VERSION: &'static str = "2012-06-01";
    const NAME: &'static str = "elb";
}

impl Slice for V2 {
    const VERSION: &'static str = "2015-12-01";
    const NAME: &'static str = "elbv2";
}

/// A request shape that can be sent: its `Action`, its slice and the shape of its reply.
pub trait Operation: Serialize + Send + Sync {
    /// The `Action`.
    const NAME: &'static str;
    /// The API it belongs to.
    type Slice: Slice;
    /// The reply shape ([`NoOutput`] for operations without output).
    type Output: DeserializeOwned + Default + Send;
}

/// An operation whose replies come in pages linked by `Marker` / `NextMarker`.
pub trait Paginated: Operation + Clone {
    /// One listed item.
    type Item;
    /// Sets the marker of the page to ask for.
    fn set_next_token(&mut self, token: Option<String>);
    /// The marker of the next page, if the reply has one.
    fn next_token(output: &Self::Output) -> Option<&str>;
    /// The page's items.
    fn into_items(output: Self::Output) -> Vec<Self::Item>;
}

/// The reply of an operation without output (none of the slices' operations has one today).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct NoOutput {}
