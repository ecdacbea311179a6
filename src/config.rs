//! Configuration resolution: where to send requests, in which region and dialect, how to sign,
//! and with which credentials.
//!
//! This module owns the precedence rules — flags, then environment, then profile files — so
//! the CLI and the library agree on them. The environment is behind the [`Environment`] trait so
//! every rule can be tested without touching the process. Secret keys are never taken from flags,
//! and no message or `Debug`/`Display` output built here contains one.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::credentials::Credentials;
use crate::error::Error;
use crate::profile::{AwsProfile, HOTEL_S3ID, HOTEL_S3KEY, HotelConf, SharedFile, SharedFileKind};

/// The server's flavour of the Auto Scaling Query API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// AWS (and compatible servers: moto, Eucalyptus).
    Aws,
    /// Nimbus Phantom's clone of the API.
    Phantom,
}

impl FromStr for Dialect {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "aws" => Ok(Dialect::Aws),
            "phantom" => Ok(Dialect::Phantom),
            _ => Err(Error::Config(format!(
                "unknown dialect `{}` (expected `aws` or `phantom`)",
                shorten(s)
            ))),
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Aws => "aws",
            Dialect::Phantom => "phantom",
        })
    }
}

/// Which request signature to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureChoice {
    /// Signature Version 2 (query parameters; what Phantom accepts robustly).
    V2,
    /// Signature Version 4 (`Authorization` header; what AWS requires).
    V4,
}

impl FromStr for SignatureChoice {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "v2" => Ok(SignatureChoice::V2),
            "v4" => Ok(SignatureChoice::V4),
            _ => Err(Error::Config(format!(
                "unknown signature version `{}` (expected `v2` or `v4`)",
                shorten(s)
            ))),
        }
    }
}

impl fmt::Display for SignatureChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureChoice::V2 => "v2",
            SignatureChoice::V4 => "v4",
        })
    }
}

/// What the command line said (every field optional; there is deliberately no secret-key flag).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigInputs {
    /// `--endpoint-url`.
    pub endpoint_url: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--dialect aws|phantom`.
    pub dialect: Option<Dialect>,
    /// `--signature v2|v4`.
    pub signature: Option<SignatureChoice>,
    /// `--hotel-conf PATH`: a FutureGrid `hotel.conf` / `cloud.properties` holding the keys.
    pub hotel_conf: Option<PathBuf>,
}

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

/// A parsed endpoint URL: `scheme://host[:port]path`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// `http` or `https` (lower case).
    pub scheme: String,
    /// The host name or IP address (lower case; IPv6 in brackets, e.g. `[::1]`).
    pub host: String,
    /// The port, when the URL names one.
    pub port: Option<u16>,
    /// The path, `/` at least (e.g. `/api/dev`); kept as written otherwise.
    pub path: String,
}

/// Cuts a value echoed in a message to a readable length (on a character boundary).
fn shorten(value: &str) -> String {
    const MAX: usize = 120;
    if value.chars().count() <= MAX {
        value.to_string()
    } else {
        let cut: String = value.chars().take(MAX).collect();
        format!("{cut}...")
    }
}

/// Hides any `user:password@` part of a URL before it is quoted in a message.
fn redact_userinfo(value: &str) -> String {
    let (prefix, rest) = match value.find("://") {
        Some(i) => value.split_at(i + 3),
        None => ("", value),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{prefix}***@{}", &rest[at + 1..]),
        None => value.to_string(),
    }
}

impl Endpoint {
    /// Parses an `http` or `https` URL with a host, optional port and optional path.
    pub fn parse(value: &str) -> Result<Endpoint, Error> {
        Endpoint::parse_inner(value).map_err(|why| {
            Error::Config(format!(
                "invalid endpoint URL `{}`: {why}",
                shorten(&redact_userinfo(value))
            ))
        })
    }

    fn parse_inner(value: &str) -> Result<Endpoint, String> {
        let value = value.trim();
        if value.is_empty() {
            return Err("it is empty".into());
        }
        let Some((scheme, rest)) = value.split_once("://") else {
            return Err("it must start with http:// or https://".into());
        };
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err("the scheme must be http or https".into());
        }
        if rest.contains(['?', '#']) {
            return Err("a query string or fragment is not allowed".into());
        }
        if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("it contains whitespace or control characters".into());
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err("user names or passwords in the URL are not supported".into());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let Some(close) = v6.find(']') else {
                return Err("IPv6 address is missing its closing `]`".into());
            };
            let addr = &v6[..close];
            if addr.is_empty()
                || !addr
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
            {
                return Err("invalid IPv6 address".into());
            }
            let after = &v6[close + 1..];
            let port = match after {
                "" => None,
                p => match p.strip_prefix(':') {
                    Some(p) => Some(p),
                    None => return Err("unexpected text after the IPv6 address".into()),
                },
            };
            (format!("[{}]", addr.to_ascii_lowercase()), port)
        } else {
            let (h, p) = match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            };
            if h.is_empty() {
                return Err("it has no host".into());
            }
            if !h
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
            {
                return Err("the host contains characters not allowed in a host name".into());
            }
            (h.to_ascii_lowercase(), p)
        };
        let port = match port {
            None => None,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 && p.chars().all(|c| c.is_ascii_digit()) => Some(n),
                _ => return Err("the port must be a number from 1 to 65535".into()),
            },
        };
        let path = if path.is_empty() { "/" } else { path };
        Ok(Endpoint {
            scheme,
            host,
            port,
            path: path.to_string(),
        })
    }

    /// The URL again, normalised: `scheme://host[:port]path`.
    pub fn url(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{}{}", self.scheme, self.host, p, self.path),
            None => format!("{}://{}{}", self.scheme, self.host, self.path),
        }
    }

    /// The port requests go to: the explicit one, else 443 for https and 80 for http.
    pub fn effective_port(&self) -> u16 {
        self.port
            .unwrap_or(if self.scheme == "https" { 443 } else { 80 })
    }

    /// The AWS Auto Scaling endpoint of a region (`.amazonaws.com.cn` for China regions).
    pub fn aws_default(region: &str) -> Result<Endpoint, Error> {
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        Endpoint::parse(&format!("https://autoscaling.{region}.{suffix}"))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

/// The outcome of [`resolve`]: everything needed to send a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedConfig {
    /// Where to send requests.
    pub endpoint: Endpoint,
    /// The signing region.
    pub region: String,
    /// The server's dialect.
    pub dialect: Dialect,
    /// The signature version.
    pub signature: SignatureChoice,
    /// The credentials from the first complete source: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY`
    /// (+ `AWS_SESSION_TOKEN`), `EC2_ACCESS_KEY` + `EC2_SECRET_KEY`, the hotel.conf named by
    /// `--hotel-conf` or `PHANTOM_HOTEL_CONF`, the credentials file profile, the config file
    /// profile. `None` when no source had any (the caller decides whether that is fine).
    pub credentials: Option<Credentials>,
    /// Where the credentials came from, e.g. `environment (AWS_ACCESS_KEY_ID)` (never the secret).
    pub credentials_source: String,
}

impl fmt::Display for ResolvedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "endpoint {}, region {}, dialect {}, signature {}, ",
            self.endpoint, self.region, self.dialect, self.signature
        )?;
        match &self.credentials {
            Some(c) => write!(
                f,
                "access key {} from {}",
                c.access_key_id(),
                self.credentials_source
            ),
            None => write!(f, "no credentials ({})", self.credentials_source),
        }
    }
}

/// The value of an environment variable, trimmed; blank counts as unset.
fn env_value(env: &dyn Environment, name: &str) -> Option<String> {
    env.var(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A flag value, trimmed; blank counts as absent.
fn flag_value(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Expands a leading `~/` using the environment's home directory.
fn expand_home(path: &str, env: &dyn Environment) -> PathBuf {
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

/// Checks that a region is usable in a host name and a SigV4 scope.
fn check_region(region: &str, source: &str) -> Result<(), Error> {
    let ok = !region.is_empty()
        && region.len() <= 64
        && region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "invalid region `{}` (from {source}): use letters, digits and dashes, e.g. us-east-1",
            shorten(region)
        )))
    }
}

/// The profile files, loaded once.
struct ProfileFiles {
    name: String,
    name_source: String,
    credentials: Option<SharedFile>,
    config: Option<SharedFile>,
}

impl ProfileFiles {
    fn load(inputs: &ConfigInputs, env: &dyn Environment) -> Result<ProfileFiles, Error> {
        let (name, name_source) = if let Some(p) = flag_value(&inputs.profile) {
            (p, "--profile".to_string())
        } else if let Some(p) = env_value(env, "AWS_PROFILE") {
            (p, "AWS_PROFILE".to_string())
        } else {
            ("default".to_string(), "default".to_string())
        };
        let locate = |var: &str, file: &str| -> Option<PathBuf> {
            match env_value(env, var) {
                Some(p) => Some(expand_home(&p, env)),
                None => env.home().map(|h| h.join(".aws").join(file)),
            }
        };
        let load = |path: Option<PathBuf>, kind| -> Result<Option<SharedFile>, Error> {
            match path {
                Some(p) => SharedFile::load(&p, kind),
                None => Ok(None),
            }
        };
        let credentials = load(
            locate("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
            SharedFileKind::Credentials,
        )?;
        let config = load(locate("AWS_CONFIG_FILE", "config"), SharedFileKind::Config)?;
        let files = ProfileFiles {
            name,
            name_source,
            credentials,
            config,
        };
        if files.name != "default"
            && files.in_credentials().is_none()
            && files.in_config().is_none()
        {
            let mut looked = Vec::new();
            for f in [&files.credentials, &files.config].into_iter().flatten() {
                looked.push(f.origin.clone());
            }
            let looked = if looked.is_empty() {
                "no credentials or config file exists".to_string()
            } else {
                format!("looked in {}", looked.join(" and "))
            };
            return Err(Error::Config(format!(
                "profile `{}` (from {}) not found: {looked}",
                shorten(&files.name),
                files.name_source
            )));
        }
        Ok(files)
    }

    fn in_credentials(&self) -> Option<(&AwsProfile, &str)> {
        let f = self.credentials.as_ref()?;
        f.profile(&self.name).map(|p| (p, f.origin.as_str()))
    }

    fn in_config(&self) -> Option<(&AwsProfile, &str)> {
        let f = self.config.as_ref()?;
        f.profile(&self.name).map(|p| (p, f.origin.as_str()))
    }
}

/// Takes credentials from an environment variable pair: `Ok(None)` when neither is set, an error
/// naming the missing variable when only one is.
fn env_pair(
    env: &dyn Environment,
    id_var: &str,
    secret_var: &str,
) -> Result<Option<Credentials>, Error> {
    match (env_value(env, id_var), env_value(env, secret_var)) {
        (None, None) => Ok(None),
        (Some(id), Some(secret)) => Ok(Some(Credentials::new(id, secret))),
        (Some(_), None) => Err(Error::Config(format!(
            "{id_var} is set but {secret_var} is missing"
        ))),
        (None, Some(_)) => Err(Error::Config(format!(
            "{secret_var} is set but {id_var} is missing"
        ))),
    }
}

/// Takes credentials from a profile: `Ok(None)` without keys, an error naming the missing key.
fn profile_pair(profile: &AwsProfile, origin: &str) -> Result<Option<Credentials>, Error> {
    let missing = |have: &str, lacks: &str| {
        Error::Config(format!(
            "profile `{}` in {origin} has {have} but no {lacks}",
            shorten(&profile.name)
        ))
    };
    match (&profile.aws_access_key_id, &profile.aws_secret_access_key) {
        (None, None) => Ok(None),
        (Some(id), Some(secret)) => {
            let c = Credentials::new(id.clone(), secret.expose());
            Ok(Some(match &profile.aws_session_token {
                Some(t) => c.with_session_token(t.expose()),
                None => c,
            }))
        }
        (Some(_), None) => Err(missing("aws_access_key_id", "aws_secret_access_key")),
        (None, Some(_)) => Err(missing("aws_secret_access_key", "aws_access_key_id")),
    }
}

/// Reads credentials from an explicitly named `hotel.conf`; every failure is an error.
fn hotel_credentials(path: &Path, source: &str) -> Result<Credentials, Error> {
    let hotel = HotelConf::load(path).map_err(|e| {
        Error::Config(format!(
            "cannot read hotel.conf {} (from {source}): {e}",
            path.display()
        ))
    })?;
    match (hotel.s3id, hotel.s3key) {
        (Some(id), Some(key)) => Ok(Credentials::new(id, key.expose())),
        (id, _) => {
            let lacks = if id.is_none() {
                HOTEL_S3ID
            } else {
                HOTEL_S3KEY
            };
            Err(Error::Config(format!(
                "hotel.conf {} (from {source}) has no {lacks}",
                path.display()
            )))
        }
    }
}

/// Finds the first complete credentials source, in order: `AWS_ACCESS_KEY_ID` /
/// `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), `EC2_ACCESS_KEY` / `EC2_SECRET_KEY`, hotel.conf,
/// the credentials file profile, the config file profile.
fn resolve_credentials(
    inputs: &ConfigInputs,
    env: &dyn Environment,
    files: &ProfileFiles,
) -> Result<(Option<Credentials>, String), Error> {
    if let Some(c) = env_pair(env, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")? {
        let c = match env_value(env, "AWS_SESSION_TOKEN") {
            Some(t) => c.with_session_token(t),
            None => c,
        };
        return Ok((Some(c), "environment (AWS_ACCESS_KEY_ID)".into()));
    }
    if let Some(c) = env_pair(env, "EC2_ACCESS_KEY", "EC2_SECRET_KEY")? {
        return Ok((Some(c), "environment (EC2_ACCESS_KEY)".into()));
    }
    let hotel = match &inputs.hotel_conf {
        Some(p) if !p.as_os_str().is_empty() => Some((p.clone(), "--hotel-conf")),
        _ => env_value(env, "PHANTOM_HOTEL_CONF")
            .map(|p| (expand_home(&p, env), "PHANTOM_HOTEL_CONF")),
    };
    if let Some((path, source)) = hotel {
        let c = hotel_credentials(&path, source)?;
        return Ok((Some(c), format!("hotel.conf {}", path.display())));
    }
    for found in [files.in_credentials(), files.in_config()] {
        if let Some((profile, origin)) = found
            && let Some(c) = profile_pair(profile, origin)?
        {
            return Ok((Some(c), format!("profile {} in {origin}", profile.name)));
        }
    }
    Ok((None, "none found".into()))
}

/// Resolves the configuration: flags, then environment, then profile files.
///
/// - endpoint: `--endpoint-url`, `PHANTOM_URL`, `AWS_ENDPOINT_URL`, the profile's `endpoint_url`
///   (config file), else `https://autoscaling.<region>.amazonaws.com`;
/// - region: `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region` (config
///   file), else `us-east-1`;
/// - profile: `--profile`, `AWS_PROFILE`, else `default`; a named profile found in neither file is
///   an error;
/// - credentials: see [`ResolvedConfig::credentials`]; a half pair is an error;
/// - dialect: `--dialect`, `PHANTOM_DIALECT`, else Phantom for a `PHANTOM_URL` endpoint, a
///   `nimbusproject.org` host or port 8445, else AWS;
/// - signature: `--signature`, else V2 for Phantom and V4 for AWS.
pub fn resolve(inputs: &ConfigInputs, env: &dyn Environment) -> Result<ResolvedConfig, Error> {
    let files = ProfileFiles::load(inputs, env)?;
    let config_profile = files.in_config();

    let (region, region_source) = if let Some(r) = flag_value(&inputs.region) {
        (r, "--region".to_string())
    } else if let Some(r) = env_value(env, "AWS_REGION") {
        (r, "AWS_REGION".to_string())
    } else if let Some(r) = env_value(env, "AWS_DEFAULT_REGION") {
        (r, "AWS_DEFAULT_REGION".to_string())
    } else if let Some((p, origin)) = config_profile
        && let Some(r) = &p.region
    {
        (r.clone(), format!("profile {} in {origin}", p.name))
    } else {
        ("us-east-1".to_string(), "default".to_string())
    };
    check_region(&region, &region_source)?;

    let explicit = if let Some(u) = flag_value(&inputs.endpoint_url) {
        Some((u, "--endpoint-url".to_string()))
    } else if let Some(u) = env_value(env, "PHANTOM_URL") {
        Some((u, "PHANTOM_URL".to_string()))
    } else if let Some(u) = env_value(env, "AWS_ENDPOINT_URL") {
        Some((u, "AWS_ENDPOINT_URL".to_string()))
    } else if let Some((p, origin)) = config_profile
        && let Some(u) = &p.endpoint_url
    {
        Some((u.clone(), format!("profile {} in {origin}", p.name)))
    } else {
        None
    };
    let (endpoint, endpoint_source) = match explicit {
        Some((url, source)) => {
            let e = Endpoint::parse_inner(&url).map_err(|why| {
                Error::Config(format!(
                    "invalid endpoint URL `{}` (from {source}): {why}",
                    shorten(&redact_userinfo(&url))
                ))
            })?;
            (e, source)
        }
        None => (Endpoint::aws_default(&region)?, "default".to_string()),
    };

    let dialect = match inputs.dialect {
        Some(d) => d,
        None => match env_value(env, "PHANTOM_DIALECT") {
            Some(v) => v.parse::<Dialect>().map_err(|_| {
                Error::Config(format!(
                    "PHANTOM_DIALECT is `{}`; expected `aws` or `phantom`",
                    shorten(&v)
                ))
            })?,
            None => {
                let host = endpoint.host.as_str();
                if endpoint_source == "PHANTOM_URL"
                    || host == "nimbusproject.org"
                    || host.ends_with(".nimbusproject.org")
                    || endpoint.port == Some(8445)
                {
                    Dialect::Phantom
                } else {
                    Dialect::Aws
                }
            }
        },
    };
    let signature = inputs.signature.unwrap_or(match dialect {
        Dialect::Phantom => SignatureChoice::V2,
        Dialect::Aws => SignatureChoice::V4,
    });

    let (credentials, credentials_source) = resolve_credentials(inputs, env, &files)?;
    Ok(ResolvedConfig {
        endpoint,
        region,
        dialect,
        signature,
        credentials,
        credentials_source,
    })
}
