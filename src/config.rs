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

impl Dialect {
    /// The launch configuration name to create or delete: Phantom names one per site,
    /// `NAME@SITE`. A name already holding `@SITE` keeps it, and a site given besides must be the
    /// same one; an empty name or site, or a second `@`, is refused. AWS names are used as given.
    pub fn launch_configuration_name(
        &self,
        name: &str,
        site: Option<&str>,
    ) -> Result<String, Error> {
        if *self == Dialect::Aws {
            return Ok(name.to_string());
        }
        let (base, named_site) = match name.split_once('@') {
            Some((base, site)) => (base, Some(site)),
            None => (name, None),
        };
        let shown = shorten(name);
        if base.trim().is_empty() {
            return Err(Error::Config(format!(
                "launch configuration name `{shown}` has no name before the @SITE"
            )));
        }
        match named_site {
            Some(s) if s.trim().is_empty() => {
                return Err(Error::Config(format!(
                    "launch configuration name `{shown}` names an empty site: write NAME@SITE, \
                     e.g. {}@hotel",
                    shorten(base)
                )));
            }
            Some(s) if s.contains('@') => {
                return Err(Error::Config(format!(
                    "launch configuration name `{shown}` has more than one @: write NAME@SITE"
                )));
            }
            _ => {}
        }
        if let Some(site) = site {
            if site.trim().is_empty() || site.contains('@') {
                return Err(Error::Config(format!(
                    "`{}` is not a site name",
                    shorten(site)
                )));
            }
            if let Some(named) = named_site
                && named != site
            {
                return Err(Error::Config(format!(
                    "`{shown}` names site {} but the command names site {}: give one site",
                    shorten(named),
                    shorten(site)
                )));
            }
        }
        Ok(match (named_site, site) {
            (None, Some(site)) => format!("{base}@{site}"),
            _ => name.to_string(),
        })
    }

    /// The name to show for a launch configuration: Phantom's `NAME@SITE` shows as `NAME`.
    pub fn display_launch_configuration_name<'a>(&self, name: &'a str) -> &'a str {
        match self {
            Dialect::Phantom => name.split('@').next().unwrap_or(name),
            Dialect::Aws => name,
        }
    }

    /// Whether `lc create` needs a site (Phantom deploys an image per site).
    pub fn requires_site(&self) -> bool {
        matches!(self, Dialect::Phantom)
    }

    /// Whether deleting a domain also terminates its instances by default. Phantom always did; AWS
    /// refuses to delete a group with instances unless asked to force it.
    pub fn force_delete_by_default(&self) -> bool {
        matches!(self, Dialect::Phantom)
    }

    /// Whether the server has `UpdateAutoScalingGroup` (Phantom has ten actions and not this one;
    /// its SetDesiredCapacity sets the n-preserving size, min and max included).
    pub fn has_update_group(&self) -> bool {
        matches!(self, Dialect::Aws)
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
    /// Where the two files were looked for (`None`: no home directory and no variable).
    credentials_path: Option<PathBuf>,
    config_path: Option<PathBuf>,
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
        let credentials_path = locate("AWS_SHARED_CREDENTIALS_FILE", "credentials");
        let config_path = locate("AWS_CONFIG_FILE", "config");
        let credentials = load(credentials_path.clone(), SharedFileKind::Credentials)?;
        let config = load(config_path.clone(), SharedFileKind::Config)?;
        let files = ProfileFiles {
            name,
            name_source,
            credentials,
            config,
            credentials_path,
            config_path,
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
    Ok((
        None,
        format!("none found; looked in {}", places_looked(files)),
    ))
}

/// Where [`resolve_credentials`] looked, for the "no credentials found" message.
fn places_looked(files: &ProfileFiles) -> String {
    let mut places = vec![
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY".to_string(),
        "EC2_ACCESS_KEY/EC2_SECRET_KEY".to_string(),
        "--hotel-conf/PHANTOM_HOTEL_CONF (not given)".to_string(),
    ];
    for (path, loaded) in [
        (&files.credentials_path, files.credentials.is_some()),
        (&files.config_path, files.config.is_some()),
    ] {
        match path {
            Some(p) if loaded => places.push(format!("profile {} in {}", files.name, p.display())),
            Some(p) => places.push(format!("{} (no such file)", p.display())),
            None => {}
        }
    }
    if files.credentials_path.is_none() && files.config_path.is_none() {
        places.push("no ~/.aws files (no home directory)".to_string());
    }
    places.join(", ")
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const CANARY: &str = "CANARYsecretKEY987654321";

    /// A unique temporary directory, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let dir = std::env::temp_dir().join(format!(
                "phantom-config-test-{}-{}-{nanos}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn write(&self, name: &str, text: &str) -> PathBuf {
            let p = self.0.join(name);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).unwrap();
            }
            std::fs::write(&p, text).unwrap();
            p
        }

        fn path(&self, name: &str) -> String {
            self.0.join(name).display().to_string()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// An environment whose home is the temp dir (so the real ~/.aws is never read).
    fn env_in(dir: &TempDir) -> MapEnvironment {
        MapEnvironment::new().with_home(&dir.0)
    }

    fn ok(inputs: &ConfigInputs, env: &MapEnvironment) -> ResolvedConfig {
        resolve(inputs, env).unwrap()
    }

    fn err(inputs: &ConfigInputs, env: &MapEnvironment) -> String {
        match resolve(inputs, env) {
            Ok(c) => panic!("expected an error, got {c:?}"),
            Err(e) => {
                let shown = format!("{e} {e:?}");
                assert!(!shown.contains(CANARY), "{shown}");
                assert!(matches!(e, Error::Config(_)), "{e:?}");
                e.to_string()
            }
        }
    }

    fn flags() -> ConfigInputs {
        ConfigInputs::default()
    }

    // ---- Endpoint parsing ----

    #[test]
    fn endpoint_parse_valid() {
        let e = Endpoint::parse("https://autoscaling.us-east-1.amazonaws.com").unwrap();
        assert_eq!(e.scheme, "https");
        assert_eq!(e.host, "autoscaling.us-east-1.amazonaws.com");
        assert_eq!(e.port, None);
        assert_eq!(e.path, "/");
        assert_eq!(e.url(), "https://autoscaling.us-east-1.amazonaws.com/");
        assert_eq!(e.effective_port(), 443);

        let e = Endpoint::parse("  HTTP://LocalHost:5000/api/dev  ").unwrap();
        assert_eq!(e.scheme, "http");
        assert_eq!(e.host, "localhost");
        assert_eq!(e.port, Some(5000));
        assert_eq!(e.path, "/api/dev");
        assert_eq!(e.url(), "http://localhost:5000/api/dev");
        assert_eq!(e.to_string(), e.url());

        let e = Endpoint::parse("https://phantom.nimbusproject.org:8445/").unwrap();
        assert_eq!(e.port, Some(8445));
        assert_eq!(e.path, "/");

        let e = Endpoint::parse("http://[::1]:8080/x/").unwrap();
        assert_eq!(e.host, "[::1]");
        assert_eq!(e.port, Some(8080));
        assert_eq!(e.path, "/x/");
        assert_eq!(e.effective_port(), 8080);
        assert_eq!(
            Endpoint::parse("http://10.0.0.1").unwrap().effective_port(),
            80
        );
        assert_eq!(Endpoint::parse(&e.url()).unwrap(), e);
    }

    #[test]
    fn endpoint_parse_invalid() {
        for (bad, why) in [
            ("", "empty"),
            ("   ", "empty"),
            ("autoscaling.amazonaws.com", "http:// or https://"),
            ("ftp://host/", "scheme"),
            ("https://", "no host"),
            ("https:///path", "no host"),
            ("https://:443/", "no host"),
            ("https://host:/", "port"),
            ("https://host:0/", "port"),
            ("https://host:65536/", "port"),
            ("https://host:+80/", "port"),
            ("https://host:abc/", "port"),
            ("https://host?x=1", "query"),
            ("https://host/#frag", "fragment"),
            ("https://ho st/", "whitespace"),
            ("https://h\u{e9}st/", "host"),
            ("https://[::1/", "`]`"),
            ("https://[zz]/", "IPv6"),
            ("https://[::1]x/", "after the IPv6"),
            ("https://a:b:c/", "port"),
        ] {
            let e = Endpoint::parse(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad:?}: {e}");
            assert!(e.contains("invalid endpoint URL"), "{e}");
        }
    }

    #[test]
    fn endpoint_errors_hide_userinfo_and_cut_long_values() {
        let e = Endpoint::parse(&format!("https://user:{CANARY}@host/"))
            .unwrap_err()
            .to_string();
        assert!(!e.contains(CANARY), "{e}");
        assert!(e.contains("***@host"), "{e}");
        let long = format!("ftp://{}", "h".repeat(10_000));
        let e = Endpoint::parse(&long).unwrap_err().to_string();
        assert!(e.len() < 400, "{}", e.len());
    }

    #[test]
    fn endpoint_parse_never_panics() {
        let mut rng = fastrand::Rng::with_seed(11);
        let alphabet: Vec<char> = "htps:/[]@?#:0189a.-_ \u{e9}\u{1F600}".chars().collect();
        for _ in 0..3000 {
            let len = rng.usize(0..40);
            let mut s: String = if rng.bool() {
                "https://".into()
            } else {
                String::new()
            };
            s.extend((0..len).map(|_| alphabet[rng.usize(0..alphabet.len())]));
            let _ = Endpoint::parse(&s);
        }
    }

    #[test]
    fn aws_default_endpoints() {
        assert_eq!(
            Endpoint::aws_default("eu-west-1").unwrap().url(),
            "https://autoscaling.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            Endpoint::aws_default("cn-north-1").unwrap().host,
            "autoscaling.cn-north-1.amazonaws.com.cn"
        );
    }

    // ---- FromStr / Display ----

    #[test]
    fn dialect_and_signature_strings() {
        for d in [Dialect::Aws, Dialect::Phantom] {
            assert_eq!(d.to_string().parse::<Dialect>().unwrap(), d);
        }
        assert_eq!(" PHANTOM ".parse::<Dialect>().unwrap(), Dialect::Phantom);
        assert!(
            "nimbus"
                .parse::<Dialect>()
                .unwrap_err()
                .to_string()
                .contains("nimbus")
        );
        for s in [SignatureChoice::V2, SignatureChoice::V4] {
            assert_eq!(s.to_string().parse::<SignatureChoice>().unwrap(), s);
        }
        assert_eq!(
            "V4".parse::<SignatureChoice>().unwrap(),
            SignatureChoice::V4
        );
        assert!("v3".parse::<SignatureChoice>().is_err());
    }

    // ---- Endpoint precedence ----

    #[test]
    fn endpoint_precedence() {
        let dir = TempDir::new();
        dir.write(
            ".aws/config",
            "[default]\nendpoint_url = http://from-profile:1/\n",
        );
        let full = env_in(&dir)
            .with("PHANTOM_URL", "http://from-phantom-url:2/")
            .with("AWS_ENDPOINT_URL", "http://from-aws-env:3/");
        let f = ConfigInputs {
            endpoint_url: Some("http://from-flag:4/".into()),
            ..flags()
        };
        assert_eq!(ok(&f, &full).endpoint.host, "from-flag");
        assert_eq!(ok(&flags(), &full).endpoint.host, "from-phantom-url");
        let mut env = full.clone();
        env.vars.remove("PHANTOM_URL");
        assert_eq!(ok(&flags(), &env).endpoint.host, "from-aws-env");
        env.vars.remove("AWS_ENDPOINT_URL");
        assert_eq!(ok(&flags(), &env).endpoint.host, "from-profile");
        let bare = env_in(&TempDir::new());
        assert_eq!(
            ok(&flags(), &bare).endpoint.url(),
            "https://autoscaling.us-east-1.amazonaws.com/"
        );
        // Blank values count as unset.
        let blank = env_in(&TempDir::new()).with("PHANTOM_URL", "  ");
        assert_eq!(
            ok(&flags(), &blank).endpoint.host,
            "autoscaling.us-east-1.amazonaws.com"
        );
    }

    #[test]
    fn endpoint_default_follows_region_and_keeps_path() {
        let env = env_in(&TempDir::new()).with("AWS_REGION", "ap-southeast-2");
        assert_eq!(
            ok(&flags(), &env).endpoint.host,
            "autoscaling.ap-southeast-2.amazonaws.com"
        );
        let env = env_in(&TempDir::new())
            .with("PHANTOM_URL", "https://phantom.nimbusproject.org/api/dev");
        let c = ok(&flags(), &env);
        assert_eq!(c.endpoint.path, "/api/dev");
        assert_eq!(
            c.endpoint.url(),
            "https://phantom.nimbusproject.org/api/dev"
        );
    }

    #[test]
    fn invalid_endpoint_names_value_and_source() {
        let f = ConfigInputs {
            endpoint_url: Some("ftp://x".into()),
            ..flags()
        };
        let e = err(&f, &env_in(&TempDir::new()));
        assert!(e.contains("ftp://x") && e.contains("--endpoint-url"), "{e}");
        for var in ["PHANTOM_URL", "AWS_ENDPOINT_URL"] {
            let e = err(&flags(), &env_in(&TempDir::new()).with(var, "nohost"));
            assert!(e.contains("nohost") && e.contains(var), "{e}");
        }
        let dir = TempDir::new();
        let cfg = dir.write(".aws/config", "[default]\nendpoint_url = https://\n");
        let e = err(&flags(), &env_in(&dir));
        assert!(
            e.contains("https://") && e.contains(&cfg.display().to_string()),
            "{e}"
        );
        assert!(e.contains("profile default"), "{e}");
    }

    // ---- Region precedence ----

    #[test]
    fn region_precedence() {
        let dir = TempDir::new();
        dir.write(".aws/config", "[default]\nregion = from-profile-1\n");
        dir.write(
            ".aws/credentials",
            "[default]\nregion = from-credentials-file\n",
        );
        let full = env_in(&dir)
            .with("AWS_REGION", "from-aws-region-1")
            .with("AWS_DEFAULT_REGION", "from-default-region-1");
        let f = ConfigInputs {
            region: Some("from-flag-1".into()),
            ..flags()
        };
        assert_eq!(ok(&f, &full).region, "from-flag-1");
        assert_eq!(ok(&flags(), &full).region, "from-aws-region-1");
        let mut env = full.clone();
        env.vars.remove("AWS_REGION");
        assert_eq!(ok(&flags(), &env).region, "from-default-region-1");
        env.vars.remove("AWS_DEFAULT_REGION");
        assert_eq!(ok(&flags(), &env).region, "from-profile-1");
        // The credentials file's region is not used (as botocore).
        std::fs::remove_file(dir.0.join(".aws/config")).unwrap();
        assert_eq!(ok(&flags(), &env).region, "us-east-1");
    }

    #[test]
    fn invalid_region_names_source() {
        let f = ConfigInputs {
            region: Some("us east 1".into()),
            ..flags()
        };
        let e = err(&f, &env_in(&TempDir::new()));
        assert!(e.contains("us east 1") && e.contains("--region"), "{e}");
        for bad in ["-x", "x-", "a/b", "x.evil.com"] {
            let e = err(
                &flags(),
                &env_in(&TempDir::new()).with("AWS_DEFAULT_REGION", bad),
            );
            assert!(e.contains("AWS_DEFAULT_REGION"), "{e}");
        }
    }

    // ---- Profile selection and files ----

    #[test]
    fn profile_precedence_and_prefix() {
        let dir = TempDir::new();
        dir.write(
            ".aws/config",
            "[default]\nregion = r-default\n[profile envp]\nregion = r-env\n\
             [profile flagp]\nregion = r-flag\n",
        );
        let env = env_in(&dir).with("AWS_PROFILE", "envp");
        let f = ConfigInputs {
            profile: Some("flagp".into()),
            ..flags()
        };
        assert_eq!(ok(&f, &env).region, "r-flag");
        assert_eq!(ok(&flags(), &env).region, "r-env");
        assert_eq!(ok(&flags(), &env_in(&dir)).region, "r-default");
    }

    #[test]
    fn profile_files_from_environment_variables() {
        let dir = TempDir::new();
        dir.write(".aws/config", "[default]\nregion = home-region\n");
        let cfg = dir.write("elsewhere/cfg", "[profile p]\nregion = moved-region\n");
        let creds = dir.write(
            "elsewhere/creds",
            "[p]\naws_access_key_id = AKMOVED\naws_secret_access_key = s\n",
        );
        let env = env_in(&dir)
            .with("AWS_CONFIG_FILE", cfg.display().to_string())
            .with("AWS_SHARED_CREDENTIALS_FILE", creds.display().to_string())
            .with("AWS_PROFILE", "p");
        let c = ok(&flags(), &env);
        assert_eq!(c.region, "moved-region");
        assert_eq!(c.credentials.unwrap().access_key_id(), "AKMOVED");
        assert_eq!(
            c.credentials_source,
            format!("profile p in {}", creds.display())
        );
        // `~/` in the variables is the home directory.
        let env = env_in(&dir)
            .with("AWS_CONFIG_FILE", "~/elsewhere/cfg")
            .with("AWS_PROFILE", "p");
        assert_eq!(ok(&flags(), &env).region, "moved-region");
    }

    #[test]
    fn named_profile_missing_is_an_error_default_is_not() {
        let dir = TempDir::new();
        let creds = dir.write(".aws/credentials", "[other]\n");
        let cfg = dir.write(".aws/config", "[profile other]\n");
        let f = ConfigInputs {
            profile: Some("ghost".into()),
            ..flags()
        };
        let e = err(&f, &env_in(&dir));
        assert!(e.contains("ghost") && e.contains("--profile"), "{e}");
        assert!(e.contains(&creds.display().to_string()), "{e}");
        assert!(e.contains(&cfg.display().to_string()), "{e}");
        let e = err(&flags(), &env_in(&dir).with("AWS_PROFILE", "ghost"));
        assert!(e.contains("AWS_PROFILE"), "{e}");
        // No files at all.
        let e = err(&f, &env_in(&TempDir::new()));
        assert!(e.contains("no credentials or config file"), "{e}");
        // Without a home directory, a named profile cannot be found either.
        let e = err(&f, &MapEnvironment::new());
        assert!(e.contains("ghost"), "{e}");
        // The default profile may be absent.
        assert!(ok(&flags(), &env_in(&dir)).credentials.is_none());
        assert!(ok(&flags(), &MapEnvironment::new()).credentials.is_none());
        // A profile only in one file is found.
        let f = ConfigInputs {
            profile: Some("other".into()),
            ..flags()
        };
        assert!(ok(&f, &env_in(&dir)).credentials.is_none());
    }

    #[test]
    fn broken_profile_file_is_a_clear_error() {
        let dir = TempDir::new();
        let cfg = dir.write(".aws/config", "[default\nregion = x\n");
        let e = err(&flags(), &env_in(&dir));
        assert!(e.contains(&format!("{}, line 1", cfg.display())), "{e}");
        let dir = TempDir::new();
        dir.write(".aws/credentials", &format!("[default]\n{CANARY}\n"));
        let e = err(&flags(), &env_in(&dir));
        assert!(e.contains("line 2"), "{e}");
    }

    // ---- Credentials chain ----

    fn all_sources(dir: &TempDir) -> (MapEnvironment, ConfigInputs) {
        let hotel = dir.write(
            "hotel.conf",
            "vws.repository=svc.uc.futuregrid.org:8445\nvws.repository.s3id=AKHOTEL\n\
             vws.repository.s3key=hotelsecret\n",
        );
        dir.write(
            ".aws/credentials",
            "[default]\naws_access_key_id=AKCREDFILE\naws_secret_access_key=cs\n",
        );
        dir.write(
            ".aws/config",
            "[default]\naws_access_key_id=AKCONFIG\naws_secret_access_key=cfs\n",
        );
        let env = env_in(dir)
            .with("AWS_ACCESS_KEY_ID", "AKENV")
            .with("AWS_SECRET_ACCESS_KEY", "envsecret")
            .with("EC2_ACCESS_KEY", "AKEC2")
            .with("EC2_SECRET_KEY", "ec2secret");
        let inputs = ConfigInputs {
            hotel_conf: Some(hotel),
            ..flags()
        };
        (env, inputs)
    }

    #[test]
    fn credentials_precedence_chain() {
        let dir = TempDir::new();
        let (mut env, inputs) = all_sources(&dir);
        let c = ok(&inputs, &env);
        let k = c.credentials.unwrap();
        assert_eq!(k.access_key_id(), "AKENV");
        assert_eq!(k.secret_access_key().expose(), "envsecret");
        assert!(k.session_token().is_none());
        assert_eq!(c.credentials_source, "environment (AWS_ACCESS_KEY_ID)");

        env.vars.remove("AWS_ACCESS_KEY_ID");
        env.vars.remove("AWS_SECRET_ACCESS_KEY");
        let c = ok(&inputs, &env);
        assert_eq!(c.credentials.unwrap().access_key_id(), "AKEC2");
        assert_eq!(c.credentials_source, "environment (EC2_ACCESS_KEY)");

        env.vars.remove("EC2_ACCESS_KEY");
        env.vars.remove("EC2_SECRET_KEY");
        let c = ok(&inputs, &env);
        let k = c.credentials.unwrap();
        assert_eq!(k.access_key_id(), "AKHOTEL");
        assert_eq!(k.secret_access_key().expose(), "hotelsecret");
        assert_eq!(
            c.credentials_source,
            format!("hotel.conf {}", dir.path("hotel.conf"))
        );

        let c = ok(&flags(), &env);
        assert_eq!(c.credentials.unwrap().access_key_id(), "AKCREDFILE");
        assert_eq!(
            c.credentials_source,
            format!("profile default in {}", dir.path(".aws/credentials"))
        );

        dir.write(".aws/credentials", "[default]\nregion = ignored\n");
        let c = ok(&flags(), &env);
        assert_eq!(c.credentials.unwrap().access_key_id(), "AKCONFIG");
        assert_eq!(
            c.credentials_source,
            format!("profile default in {}", dir.path(".aws/config"))
        );

        dir.write(".aws/config", "[default]\n");
        let c = ok(&flags(), &env);
        assert!(c.credentials.is_none());
        assert!(
            c.credentials_source
                .starts_with("none found; looked in AWS_ACCESS_KEY_ID")
                && c.credentials_source.contains("EC2_ACCESS_KEY")
                && c.credentials_source.contains(&format!(
                    "profile default in {}",
                    dir.path(".aws/credentials")
                )),
            "{}",
            c.credentials_source
        );
    }

    #[test]
    fn session_tokens_from_env_and_profile() {
        let env = env_in(&TempDir::new())
            .with("AWS_ACCESS_KEY_ID", "AK")
            .with("AWS_SECRET_ACCESS_KEY", "s")
            .with("AWS_SESSION_TOKEN", "tok");
        let k = ok(&flags(), &env).credentials.unwrap();
        assert_eq!(k.session_token().unwrap().expose(), "tok");
        let dir = TempDir::new();
        dir.write(
            ".aws/credentials",
            "[default]\naws_access_key_id=AK\naws_secret_access_key=s\naws_session_token=pt\n",
        );
        let k = ok(&flags(), &env_in(&dir)).credentials.unwrap();
        assert_eq!(k.session_token().unwrap().expose(), "pt");
        // A session token alone is not credentials.
        let env = env_in(&TempDir::new()).with("AWS_SESSION_TOKEN", "tok");
        assert!(ok(&flags(), &env).credentials.is_none());
    }

    #[test]
    fn half_pairs_name_the_missing_variable() {
        let cases = [
            ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
            ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"),
            ("EC2_ACCESS_KEY", "EC2_SECRET_KEY"),
            ("EC2_SECRET_KEY", "EC2_ACCESS_KEY"),
        ];
        for (set, missing) in cases {
            let env = env_in(&TempDir::new()).with(set, CANARY);
            let e = err(&flags(), &env);
            assert!(e.contains(&format!("{missing} is missing")), "{e}");
        }
        // A complete earlier source wins over a later half pair.
        let env = env_in(&TempDir::new())
            .with("AWS_ACCESS_KEY_ID", "AK")
            .with("AWS_SECRET_ACCESS_KEY", "s")
            .with("EC2_ACCESS_KEY", "half");
        assert_eq!(
            ok(&flags(), &env).credentials.unwrap().access_key_id(),
            "AK"
        );
    }

    #[test]
    fn half_pairs_in_profile_files() {
        let dir = TempDir::new();
        let creds = dir.write(".aws/credentials", "[default]\naws_access_key_id = AK\n");
        let e = err(&flags(), &env_in(&dir));
        assert!(e.contains("aws_secret_access_key"), "{e}");
        assert!(e.contains(&creds.display().to_string()), "{e}");
        dir.write(".aws/credentials", "");
        let cfg = dir.write(
            ".aws/config",
            &format!("[default]\naws_secret_access_key = {CANARY}\n"),
        );
        let e = err(&flags(), &env_in(&dir));
        assert!(e.contains("no aws_access_key_id"), "{e}");
        assert!(e.contains(&cfg.display().to_string()), "{e}");
    }

    #[test]
    fn hotel_conf_from_env_and_its_errors() {
        let dir = TempDir::new();
        let hotel = dir.write(
            "cloud.properties",
            "vws.repository.s3id: AKPROP\nvws.repository.s3key  propsecret\n",
        );
        let env = env_in(&dir).with("PHANTOM_HOTEL_CONF", hotel.display().to_string());
        let c = ok(&flags(), &env);
        assert_eq!(c.credentials.unwrap().access_key_id(), "AKPROP");
        assert!(c.credentials_source.contains("cloud.properties"));
        // The flag wins over the variable.
        let other = dir.write(
            "hotel.conf",
            "vws.repository.s3id=AKFLAG\nvws.repository.s3key=x\n",
        );
        let f = ConfigInputs {
            hotel_conf: Some(other),
            ..flags()
        };
        assert_eq!(ok(&f, &env).credentials.unwrap().access_key_id(), "AKFLAG");
        // Missing file, missing keys.
        let f = ConfigInputs {
            hotel_conf: Some(dir.0.join("absent.conf")),
            ..flags()
        };
        let e = err(&f, &env_in(&dir));
        assert!(
            e.contains("absent.conf") && e.contains("--hotel-conf"),
            "{e}"
        );
        let no_key = dir.write("nokey.conf", "vws.repository.s3id=AK\n");
        let env = env_in(&dir).with("PHANTOM_HOTEL_CONF", no_key.display().to_string());
        let e = err(&flags(), &env);
        assert!(
            e.contains(HOTEL_S3KEY) && e.contains("PHANTOM_HOTEL_CONF"),
            "{e}"
        );
        let no_id = dir.write("noid.conf", &format!("vws.repository.s3key={CANARY}\n"));
        let f = ConfigInputs {
            hotel_conf: Some(no_id),
            ..flags()
        };
        let e = err(&f, &env_in(&dir));
        assert!(e.contains(HOTEL_S3ID), "{e}");
        let bad = dir.write("bad.conf", "vws.repository.s3id=\\u00\n");
        let f = ConfigInputs {
            hotel_conf: Some(bad),
            ..flags()
        };
        let e = err(&f, &env_in(&dir));
        assert!(e.contains("line 1"), "{e}");
    }

    // ---- Dialect and signature ----

    #[test]
    fn phantom_launch_configuration_names_and_sites() {
        let p = Dialect::Phantom;
        assert_eq!(
            p.launch_configuration_name("lc", Some("hotel")).unwrap(),
            "lc@hotel"
        );
        assert_eq!(
            p.launch_configuration_name("lc@hotel", None).unwrap(),
            "lc@hotel"
        );
        assert_eq!(
            p.launch_configuration_name("lc@hotel", Some("hotel"))
                .unwrap(),
            "lc@hotel"
        );
        assert_eq!(p.launch_configuration_name("lc", None).unwrap(), "lc");
        for (name, site) in [
            ("lc4@sierra", Some("hotel")),
            ("lc3@", None),
            ("lc3@ ", None),
            ("@hotel", None),
            ("a@b@c", None),
            ("lc", Some("")),
            ("lc", Some("a@b")),
        ] {
            let e = p.launch_configuration_name(name, site).unwrap_err();
            assert!(matches!(e, Error::Config(_)), "{name} {site:?}: {e}");
        }
        // AWS names are free; the site is ignored.
        assert_eq!(
            Dialect::Aws
                .launch_configuration_name("lc4@sierra", Some("hotel"))
                .unwrap(),
            "lc4@sierra"
        );
    }

    #[test]
    fn dialect_rules() {
        let bare = || env_in(&TempDir::new());
        assert_eq!(ok(&flags(), &bare()).dialect, Dialect::Aws);
        let env = bare().with("PHANTOM_URL", "http://localhost:9000/");
        assert_eq!(ok(&flags(), &env).dialect, Dialect::Phantom);
        let env = bare().with("AWS_ENDPOINT_URL", "https://phantom.nimbusproject.org/");
        assert_eq!(ok(&flags(), &env).dialect, Dialect::Phantom);
        let env = bare().with("AWS_ENDPOINT_URL", "https://NimbusProject.org/");
        assert_eq!(ok(&flags(), &env).dialect, Dialect::Phantom);
        let env = bare().with("AWS_ENDPOINT_URL", "https://notnimbusproject.org/");
        assert_eq!(ok(&flags(), &env).dialect, Dialect::Aws);
        let env = bare().with("AWS_ENDPOINT_URL", "https://svc.uc.futuregrid.org:8445");
        assert_eq!(ok(&flags(), &env).dialect, Dialect::Phantom);
        let env = bare().with("AWS_ENDPOINT_URL", "http://localhost:5000");
        assert_eq!(ok(&flags(), &env).dialect, Dialect::Aws);
        // PHANTOM_DIALECT beats detection; the flag beats PHANTOM_DIALECT.
        let env = bare()
            .with("PHANTOM_URL", "http://localhost:9000/")
            .with("PHANTOM_DIALECT", "aws");
        assert_eq!(ok(&flags(), &env).dialect, Dialect::Aws);
        let f = ConfigInputs {
            dialect: Some(Dialect::Phantom),
            ..flags()
        };
        let env = bare().with("PHANTOM_DIALECT", "aws");
        assert_eq!(ok(&f, &env).dialect, Dialect::Phantom);
        let e = err(&flags(), &bare().with("PHANTOM_DIALECT", "eucalyptus"));
        assert!(
            e.contains("PHANTOM_DIALECT") && e.contains("eucalyptus"),
            "{e}"
        );
    }

    #[test]
    fn signature_rules() {
        let bare = || env_in(&TempDir::new());
        assert_eq!(ok(&flags(), &bare()).signature, SignatureChoice::V4);
        let env = bare().with("PHANTOM_URL", "https://phantom.nimbusproject.org:8445/");
        assert_eq!(ok(&flags(), &env).signature, SignatureChoice::V2);
        let f = ConfigInputs {
            signature: Some(SignatureChoice::V4),
            ..flags()
        };
        assert_eq!(ok(&f, &env).signature, SignatureChoice::V4);
        let f = ConfigInputs {
            signature: Some(SignatureChoice::V2),
            ..flags()
        };
        assert_eq!(ok(&f, &bare()).signature, SignatureChoice::V2);
    }

    // ---- Secrets never shown ----

    #[test]
    fn resolved_config_never_shows_secrets() {
        let dir = TempDir::new();
        let hotel = dir.write(
            "hotel.conf",
            &format!("vws.repository.s3id=AKHOTEL\nvws.repository.s3key={CANARY}\n"),
        );
        let envs = [
            env_in(&dir)
                .with("AWS_ACCESS_KEY_ID", "AKENV")
                .with("AWS_SECRET_ACCESS_KEY", CANARY)
                .with("AWS_SESSION_TOKEN", CANARY),
            env_in(&dir)
                .with("EC2_ACCESS_KEY", "AKEC2")
                .with("EC2_SECRET_KEY", CANARY),
            env_in(&dir).with("PHANTOM_HOTEL_CONF", hotel.display().to_string()),
        ];
        for env in &envs {
            let c = ok(&flags(), env);
            let shown = format!("{c} {c:?} {env:?}");
            assert!(shown.contains("AK"), "{shown}");
            assert!(!shown.contains(CANARY), "{shown}");
        }
        let c = ok(&flags(), &env_in(&TempDir::new()));
        assert!(c.to_string().contains("no credentials"), "{c}");
    }

    #[test]
    fn process_environment_is_usable() {
        // Only checks that the real environment can be queried without panicking.
        let env = ProcessEnvironment;
        let _ = env.var("PATH");
        let _ = env.home();
        assert_eq!(env.var("PHANTOM_AUTOSCALE_SURELY_UNSET_VARIABLE"), None);
    }
}
