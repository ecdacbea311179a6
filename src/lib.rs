//! phantom-autoscale: a typed client, command line and local endpoint for the AWS Auto Scaling
//! Query API (Version 2011-01-01) as spoken by AWS, Eucalyptus, moto and Nimbus Phantom.
//!
//! Map of the crate:
//! - [`query`]: the Query protocol (form encoding, XML replies and errors, signing, transport);
//! - [`autoscaling`]: the service's shapes and [`autoscaling::Client`], one async method per operation;
//! - [`credentials`] and [`config`]: keys, and where and how to send requests;
//! - [`cli`]: the `phantom` command.

pub mod autoscaling;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod error;
pub mod profile;
pub mod query;

pub use credentials::{Credentials, Secret};
pub use error::{Error, Result, ServiceError};
