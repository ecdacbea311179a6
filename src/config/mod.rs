//! Configuration resolution: where to send requests, in which region and dialect, over which
//! API, how to sign, and with which credentials, resolved once.
//!
//! This module owns the precedence rules (flags, then environment, then profile files) so the
//! CLI and the library agree on them. [`resolve()`] applies them once and gives a
//! [`ResolvedConfig`], from which a caller builds the Query transport's or the REST client's
//! settings. Secret keys are never taken from flags, and no message or `Debug`/`Display` output
//! built here contains one.
//!
//! - [`inputs`]: what the caller said ([`ConfigInputs`]) and the API choice;
//! - [`environment`]: variables and the home directory, behind a trait ([`Environment`]);
//! - [`source`]: where a value came from ([`Source`]);
//! - [`dialect`]: every AWS/Phantom difference, `NAME@SITE` included;
//! - `profiles` and [`credentials`]: the profile files, and the credentials chain;
//! - [`providers`]: credentials from a provider (roles, SSO, processes, containers, IMDS), cached;
//! - [`precedence`]: the precedence rules ([`resolve()`]); [`resolved`]: their outcome.
//!
//! The files themselves are parsed by [`crate::profile`]; endpoints are [`crate::query::endpoint`].

#[macro_use]
mod keyword;

pub mod credentials;
pub mod dialect;
pub mod environment;
pub mod inputs;
pub mod precedence;
mod profiles;
pub mod providers;
pub mod resolved;
pub mod source;

pub use credentials::{CredentialsSource, Looked, Place};
pub use dialect::{Dialect, LaunchConfigurationName, SignatureChoice};
pub use environment::{Environment, MapEnvironment, ProcessEnvironment, Var};
pub use inputs::{ApiChoice, ConfigInputs};
pub use precedence::resolve;
pub use providers::CredentialsProvider;
pub use resolved::{Connection, ResolvedConfig};
pub use source::Source;

#[cfg(test)]
mod tests;
