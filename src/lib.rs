//! phantom-autoscale: a typed client, command line and local endpoint for the AWS Auto Scaling
//! Query API (Version 2011-01-01) as spoken by AWS, Eucalyptus, moto and Nimbus Phantom.
//!
//! Map of the crate:
//! - [`query`]: the Query protocol (form encoding, XML replies and errors, signing, transport);
//! - [`autoscaling`]: the service's shapes and [`autoscaling::Client`], one async method per operation;
//! - [`ec2`]: EC2's launch-template slice (launch templates, instances, zones, VPCs, subnets);
//! - [`elb`]: the classic ELB and ELBv2 slices (load balancers, target groups, listeners, targets);
//! - [`rest`]: Phantom's JSON REST API (`/api/dev`): token, sites, launch configurations, domains;
//! - [`credentials`] and [`config`]: keys, and where and how to send requests;
//! - [`http`]: the HTTP layer both clients share (client and TLS, reply cap, retries and backoff,
//!   clock skew, the redacting `--debug` trace);
//! - `server` (feature `server`, on by default): the built-in endpoint behind `phantom serve`
//!   and `phantom demo`;
//! - `cli` (feature `cli`, on by default): the `phantom` command.
//!
//! With `default-features = false` the crate is the client alone (no axum, SQLite or clap).
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use phantom_autoscale::autoscaling::{Client, types::DescribeAutoScalingGroupsInput};
//! use phantom_autoscale::Credentials;
//! use phantom_autoscale::query::{endpoint::Endpoint, transport::TransportConfig};
//!
//! # async fn example() -> phantom_autoscale::Result<()> {
//! let mut config = TransportConfig::new(Endpoint::parse("http://127.0.0.1:8445/")?, "us-east-1");
//! config.credentials = Some(Credentials::new("AKID", "secret"));
//! let client = Client::new(config)?;
//! let mut groups = Box::pin(client.items(DescribeAutoScalingGroupsInput::default()));
//! while let Some(group) = groups.next().await {
//!     println!("{:?}", group?.auto_scaling_group_name);
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod autoscaling;
#[cfg(feature = "cli")]
pub mod cli;
pub mod config;
pub mod credentials;
pub mod ec2;
pub mod elb;
pub mod error;
pub mod http;
pub mod profile;
pub mod query;
pub mod rest;
#[cfg(feature = "server")]
pub mod server;

pub use credentials::{Credentials, Secret};
pub use error::{Error, Result, ServiceError};
