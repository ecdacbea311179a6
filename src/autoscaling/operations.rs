//! The operation traits: what a request shape must say to be sent.
//!
//! [`Operation`] ties a request shape to its Query action and reply shape; [`Paginated`] adds the
//! NextToken plumbing of the Describe calls. The impls for every operation of the model are
//! generated into `generated_ops.rs` (by `tools/gen-shapes.py operations`); adding an operation
//! is regenerating from the model.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::types::{CreateAutoScalingGroupInput, CreateLaunchConfigurationInput};

/// A request shape that can be sent: its Query action and the shape of its reply.
pub trait Operation: Serialize + Send + Sync {
    /// The Query `Action`.
    const NAME: &'static str;
    /// The reply shape ([`NoOutput`] for operations without output).
    type Output: DeserializeOwned + Default + Send;

    /// For a Create: what it creates, so that a retry answered `AlreadyExists` after a lost
    /// reply can be settled by comparing with what exists (see [`crate::autoscaling::Client::send`]).
    fn creates(&self) -> Option<Creates<'_>> {
        None
    }
}

/// What a Create operation creates.
#[derive(Debug, Clone, Copy)]
pub enum Creates<'a> {
    /// A launch configuration.
    LaunchConfiguration(&'a CreateLaunchConfigurationInput),
    /// An Auto Scaling group.
    Group(&'a CreateAutoScalingGroupInput),
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

/// The reply of an operation without output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct NoOutput {}
