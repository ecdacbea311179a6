//! The EC2 operation traits: what a request shape must say to be sent by [`super::Client`].
//!
//! Their own traits, not Auto Scaling's, so an EC2 request cannot be sent over the Auto Scaling
//! client (or the reverse): the two protocols write lists differently. The impls are generated
//! into `generated_ops.rs` by `tools/gen-ec2.py operations`.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// An EC2 request shape that can be sent: its `Action` and the shape of its reply.
pub trait Operation: Serialize + Send + Sync {
    /// The `Action`.
    const NAME: &'static str;
    /// The reply shape ([`NoOutput`] for operations without output).
    type Output: DeserializeOwned + Default + Send;
}

/// An operation whose replies come in pages linked by `NextToken`.
pub trait Paginated: Operation + Clone {
    /// One listed item.
    type Item;
    /// Sets the token of the page to ask for.
    fn set_next_token(&mut self, token: Option<String>);
    /// The token of the next page, if the reply has one.
    fn next_token(output: &Self::Output) -> Option<&str>;
    /// The page's items.
    fn into_items(output: Self::Output) -> Vec<Self::Item>;
}

/// The reply of an operation without output (`DeleteVpc`, `DeleteSubnet`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct NoOutput {}
