//! The environment: where variables and the home directory come from, and the name of every
//! variable the configuration reads.
//!
//! Resolution reads the environment only through the [`Environment`] trait, so every rule can be
//! tested with a [`MapEnvironment`] without touching the process; [`ProcessEnvironment`] is the
//! real one. The variables are a [`Var`], not free strings, so that a rule about one of them
//! ("Phantom for a `PHANTOM_URL` endpoint") compares values of a type.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

/// Where environment variables and the home directory come from.
pub trait Environment {
    /// The variable's value, `None` when unset (or not Unicode).
    fn var(&self, name: &str) -> Option<String>;
    /// The user's home directory, if known.
    fn home(&self) -> Option<PathBuf>;
}

/// The real process environment (`HOME`, or `USERPROFILE` on Windows, for the home directory).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn home(&self) -> Option<PathBuf> {
        ["HOME", "USERPROFILE"]
            .iter()
            .filter_map(std::env::var_os)
            .find(|v| !v.is_empty())
            .map(PathBuf::from)
    }
}

/// An environment held in a map, for tests and embedding. `Debug` shows variable names only.
#[derive(Clone, Default)]
pub struct MapEnvironment {
    /// The variables.
    pub vars: HashMap<String, String>,
    /// The home directory.
    pub home: Option<PathBuf>,
}

impl fmt::Debug for MapEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self.vars.keys().collect();
        names.sort();
        f.debug_struct("MapEnvironment")
            .field("vars", &names)
            .field("home", &self.home)
            .finish()
    }
}

impl MapEnvironment {
    /// An empty environment with no home directory.
    pub fn new() -> Self {
        MapEnvironment::default()
    }

    /// Adds (or replaces) a variable.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// Sets the home directory.
    pub fn with_home(mut self, home: impl Into<PathBuf>) -> Self {
        self.home = Some(home.into());
        self
    }
}

impl Environment for MapEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn home(&self) -> Option<PathBuf> {
        self.home.clone()
    }
}

/// Declares [`Var`]: each variable the configuration reads, with its name.
macro_rules! variables {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// An environment variable the configuration reads.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Var {
            $($(#[$doc])* $variant,)*
        }

        impl Var {
            /// The variable's name, e.g. `PHANTOM_URL`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Var::$variant => $name,)*
                }
            }
        }
    };
}

variables! {
    /// The endpoint of a Phantom server (the seed's variable; implies the Phantom dialect).
    PhantomUrl = "PHANTOM_URL",
    /// The endpoint (AWS CLI).
    AwsEndpointUrl = "AWS_ENDPOINT_URL",
    /// The Auto Scaling endpoint, before `AWS_ENDPOINT_URL` (the SDKs' service-specific variable).
    AwsEndpointUrlAutoScaling = "AWS_ENDPOINT_URL_AUTO_SCALING",
    /// The EC2 endpoint, before `AWS_ENDPOINT_URL` (the SDKs' service-specific variable).
    AwsEndpointUrlEc2 = "AWS_ENDPOINT_URL_EC2",
    /// The classic ELB endpoint, before `AWS_ENDPOINT_URL` (the SDKs' service-specific variable).
    AwsEndpointUrlElb = "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING",
    /// The ELBv2 endpoint, before `AWS_ENDPOINT_URL` (the SDKs' service-specific variable).
    AwsEndpointUrlElbv2 = "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
    /// The region.
    AwsRegion = "AWS_REGION",
    /// The region, after `AWS_REGION`.
    AwsDefaultRegion = "AWS_DEFAULT_REGION",
    /// The profile's name.
    AwsProfile = "AWS_PROFILE",
    /// Where the shared credentials file is.
    AwsSharedCredentialsFile = "AWS_SHARED_CREDENTIALS_FILE",
    /// Where the shared config file is.
    AwsConfigFile = "AWS_CONFIG_FILE",
    /// The dialect, `aws` or `phantom`.
    PhantomDialect = "PHANTOM_DIALECT",
    /// The API, `query` or `rest`.
    PhantomApi = "PHANTOM_API",
    /// Use launch templates in place of launch configurations (`1`/`true` or `0`/`false`).
    PhantomLaunchTemplates = "PHANTOM_LAUNCH_TEMPLATES",
    /// The access key id.
    AwsAccessKeyId = "AWS_ACCESS_KEY_ID",
    /// The secret key.
    AwsSecretAccessKey = "AWS_SECRET_ACCESS_KEY",
    /// The session token.
    AwsSessionToken = "AWS_SESSION_TOKEN",
    /// The access key id (euca2ools and the seed's scripts).
    Ec2AccessKey = "EC2_ACCESS_KEY",
    /// The secret key (euca2ools and the seed's scripts).
    Ec2SecretKey = "EC2_SECRET_KEY",
    /// A web identity token's file (with `AWS_ROLE_ARN`: AssumeRoleWithWebIdentity).
    AwsWebIdentityTokenFile = "AWS_WEB_IDENTITY_TOKEN_FILE",
    /// The container credentials endpoint's path on 169.254.170.2 (ECS).
    AwsContainerCredentialsRelativeUri = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    /// The container credentials endpoint's URL (EKS Pod Identity, local endpoints).
    AwsContainerCredentialsFullUri = "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    /// `true`: never ask EC2 instance metadata for credentials.
    AwsEc2MetadataDisabled = "AWS_EC2_METADATA_DISABLED",
    /// A FutureGrid `hotel.conf` holding the keys.
    PhantomHotelConf = "PHANTOM_HOTEL_CONF",
    /// Attempts per call.
    AwsMaxAttempts = "AWS_MAX_ATTEMPTS",
    /// The retry mode: `legacy`, `standard` or `adaptive`.
    AwsRetryMode = "AWS_RETRY_MODE",
    /// The base of the retry backoff, in milliseconds (for tests).
    PhantomRetryBaseMs = "PHANTOM_RETRY_BASE_MS",
    /// Extra trusted CA certificates (PEM).
    AwsCaBundle = "AWS_CA_BUNDLE",
}

impl Var {
    /// The value as set, untouched; `None` when unset.
    pub fn raw(self, env: &dyn Environment) -> Option<String> {
        env.var(self.name())
    }

    /// The value trimmed; blank counts as unset.
    pub fn value(self, env: &dyn Environment) -> Option<String> {
        self.raw(env)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

impl fmt::Display for Var {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Expands a leading `~/` (or a lone `~`) using the environment's home directory.
pub(crate) fn expand_home(path: &str, env: &dyn Environment) -> PathBuf {
    if path == "~"
        && let Some(h) = env.home()
    {
        return h;
    }
    if let Some(rest) = path.strip_prefix("~/")
        && let Some(h) = env.home()
    {
        return h.join(rest);
    }
    PathBuf::from(path)
}
