//! Credentials that come from a provider rather than from static keys: assumed roles
//! (`role_arn` with `source_profile` or `credential_source`), web identity, `credential_process`,
//! IAM Identity Center (`sso_session`, legacy `sso_*`), ECS/EKS container credentials and EC2
//! instance metadata (IMDSv2). They are `aws-config`'s providers, the ecosystem's implementation.
//!
//! This module owns three things, so that the static-key path stays as it was:
//!
//! - the decision: [`super::credentials`] asks for a [`CredentialsProvider`] only when no static
//!   source had keys (or the profile names a provider: a `role_arn` beside static keys assumes
//!   the role, as in the SDKs); making one is an `Arc` and a few strings, and nothing is run
//!   until the first request needs credentials;
//! - where the chain runs ([`Providers`]): by default in the `phantom-credentials` helper, a
//!   second program installed beside `phantom` that prints the credentials as
//!   `credential_process` JSON ([`helper`]); or, for library callers that ask for it, in this
//!   process ([`Providers::in_process`], the `providers` feature). The `phantom` command never
//!   links `aws-config` and the SDK crates: their static tables would otherwise be relocated,
//!   and their pages copied, at every start of every command (0.76 ms of CPU measured on the
//!   static-key path, against a budget of 0.3 ms), for the few commands that need them;
//! - the cache: the signer asks [`CredentialsProvider::credentials`] before every attempt; it
//!   answers from the cache, fetching anew only when the credentials expire within
//!   [`REFRESH_BEFORE`], so a long wait keeps signing with fresh temporary credentials.
//!
//! Secrets: [`Fetched`] carries the credentials with their [`Scrubber`] (secret key and session
//! token), which the transport runs every reply through; `Debug` here shows only where the
//! credentials came from and when they expire.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use crate::credentials::{Credentials, Scrubber};
use crate::error::Error;

pub mod helper;
#[cfg(feature = "providers")]
mod in_process;

/// Temporary credentials are fetched anew when they expire within this time.
pub const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

/// A boxed future, as [`FetchCredentials`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a provider chain is built from, settled by resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpec {
    /// The profile's name.
    pub profile: String,
    /// The shared config file, when it exists (`None`: aws-config's default places).
    pub config_file: Option<PathBuf>,
    /// The shared credentials file, when it exists.
    pub credentials_file: Option<PathBuf>,
    /// The region STS and SSO are called in.
    pub region: String,
    /// Verify TLS certificates of STS, SSO and credential endpoints.
    pub verify_tls: bool,
    /// Extra trusted CA certificates (PEM file).
    pub ca_bundle: Option<PathBuf>,
}

/// Why a fetch failed: a message without secrets, and whether it means "no source had
/// credentials" (as against a source that has them failing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// No source of the chain had credentials.
    pub not_found: bool,
    /// What went wrong, one line, no secrets.
    pub message: String,
}

/// One chain's source of credentials: fetched when the cache of its [`CredentialsProvider`] has
/// none to give.
pub trait FetchCredentials: Send + Sync {
    /// Fetches credentials from the chain.
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched, FetchError>>;
}

/// Where provider chains run: makes the [`FetchCredentials`] of a [`ChainSpec`]. The default is
/// [`Providers::helper`]; equality compares the kind.
#[derive(Clone, Copy)]
pub struct Providers {
    name: &'static str,
    make: fn(ChainSpec) -> Arc<dyn FetchCredentials>,
}

impl Providers {
    /// Runs the chain in the `phantom-credentials` helper (see [`helper`]): what the `phantom`
    /// command uses, and the default.
    pub fn helper() -> Self {
        Providers {
            name: "the phantom-credentials helper",
            make: helper::Helper::make,
        }
    }

    /// Runs the chain in this process with `aws-config`'s providers (the `providers` feature).
    #[cfg(feature = "providers")]
    pub fn in_process() -> Self {
        Providers {
            name: "aws-config in process",
            make: in_process::InProcess::make,
        }
    }

    /// The chain of `spec`, not run yet.
    pub fn chain(&self, spec: ChainSpec) -> Arc<dyn FetchCredentials> {
        (self.make)(spec)
    }

    /// Where the chain runs, for `Debug`.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl Default for Providers {
    fn default() -> Self {
        Providers::helper()
    }
}

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Providers {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Providers {}

/// What asked for a provider, and where the static sources were looked for: for messages.
#[derive(Debug, Clone)]
pub(crate) struct Wanted {
    /// What asked for the chain (`profile dev in ~/.aws/config (role_arn)`).
    pub by: String,
    /// Nothing asked for it: instance metadata is tried as the last resort, and its failure
    /// means "no credentials found".
    pub last_resort: bool,
    /// Where the static sources were looked for, for the "no credentials" message.
    pub looked: String,
}

/// Credentials from a provider, as the signer uses them.
pub struct Fetched {
    /// The credentials.
    pub credentials: Credentials,
    /// Their secrets, to blank out of replies and traces.
    pub scrubber: Scrubber,
    /// When they expire (`None`: never).
    pub expires: Option<SystemTime>,
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched")
            .field("credentials", &self.credentials)
            .field("expires", &self.expires)
            .finish()
    }
}

/// A credentials provider chain with its cache; cheap to clone (clones share the cache).
/// Equality is identity.
#[derive(Clone)]
pub struct CredentialsProvider {
    inner: Arc<Inner>,
}

struct Inner {
    wanted: Wanted,
    runs_in: &'static str,
    chain: Arc<dyn FetchCredentials>,
    cached: tokio::sync::Mutex<Cached>,
    fetches: AtomicUsize,
}

#[derive(Default)]
enum Cached {
    #[default]
    Nothing,
    Fetched(Arc<Fetched>),
    /// No source had credentials: not asked again in this process.
    NoneFound(String),
}

impl fmt::Debug for CredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsProvider")
            .field("wanted_by", &self.inner.wanted.by)
            .field("runs_in", &self.inner.runs_in)
            .field("fetches", &self.fetches())
            .finish()
    }
}

impl PartialEq for CredentialsProvider {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for CredentialsProvider {}

impl CredentialsProvider {
    /// A provider for `spec`, its chain run by `providers`; nothing is run until the first
    /// [`CredentialsProvider::credentials`].
    pub(crate) fn new(spec: ChainSpec, wanted: Wanted, providers: Providers) -> Self {
        CredentialsProvider {
            inner: Arc::new(Inner {
                wanted,
                runs_in: providers.name(),
                chain: providers.chain(spec),
                cached: tokio::sync::Mutex::new(Cached::Nothing),
                fetches: AtomicUsize::new(0),
            }),
        }
    }

    /// What asked for the provider (a profile's key, a variable, or instance metadata).
    pub fn wanted_by(&self) -> &str {
        &self.inner.wanted.by
    }

    /// How many times credentials were fetched from the chain.
    pub fn fetches(&self) -> usize {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    /// The credentials to sign with: the cached ones while they are valid for more than
    /// [`REFRESH_BEFORE`], else fetched anew. A failed refresh falls back on cached credentials
    /// that have not expired yet. Errors are [`Error::Config`], without secrets.
    pub async fn credentials(&self) -> Result<Arc<Fetched>, Error> {
        let mut cached = self.inner.cached.lock().await;
        let now = SystemTime::now();
        let still_valid = match &*cached {
            Cached::Fetched(f) => match f.expires {
                None => return Ok(f.clone()),
                Some(at) if at > now + REFRESH_BEFORE => return Ok(f.clone()),
                Some(at) if at > now => Some(f.clone()),
                Some(_) => None,
            },
            Cached::NoneFound(message) => return Err(Error::Config(message.clone())),
            Cached::Nothing => None,
        };
        self.inner.fetches.fetch_add(1, Ordering::Relaxed);
        match self.inner.chain.fetch().await {
            Ok(fetched) => {
                let fetched = Arc::new(fetched);
                *cached = Cached::Fetched(fetched.clone());
                Ok(fetched)
            }
            Err(e) => {
                if let Some(f) = still_valid {
                    return Ok(f);
                }
                let wanted = &self.inner.wanted;
                let none = wanted.last_resort || e.not_found;
                let message = if none {
                    format!(
                        "no credentials found (looked in {}, then web identity, container and \
                         instance metadata credentials: {}). Set AWS_ACCESS_KEY_ID and \
                         AWS_SECRET_ACCESS_KEY, or pass --no-sign-request to send unsigned \
                         requests",
                        wanted.looked, e.message
                    )
                } else {
                    format!("cannot get credentials (from {}): {}", wanted.by, e.message)
                };
                if none {
                    *cached = Cached::NoneFound(message.clone());
                }
                Err(Error::Config(message))
            }
        }
    }
}
