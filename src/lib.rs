//! phantom-autoscale: a typed client, command line and local endpoint for the AWS Auto Scaling
//! Query API (Version 2011-01-01) as spoken by AWS, Eucalyptus, moto and Nimbus Phantom.
//!
//! Map of the crate:
//! - [`query`]: the Query protocol (form encoding, XML replies and errors, signing, transport);
//! - [`credentials`]: keys and where to send requests;

pub mod autoscaling;
pub mod credentials;
pub mod error;
pub mod query;
pub mod server;

pub use credentials::{Credentials, Secret};
pub use error::{Error, Result, ServiceError};
