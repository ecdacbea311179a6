//! Which credentials: the first complete source, in order, and where it looked when none had any.
//!
//! The order: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`),
//! `EC2_ACCESS_KEY` + `EC2_SECRET_KEY`, the `hotel.conf` named by `--hotel-conf` or
//! `PHANTOM_HOTEL_CONF`, the profile in the credentials file, the profile in the config file. A
//! half pair is an error naming what is missing. A profile that names a provider (`role_arn`,
//! `credential_process`, `sso_*`, `web_identity_token_file`) is not read for static keys: its
//! credentials, like those of web identity, containers and instance metadata when no static source
//! has keys, come from [`super::providers`] ([`CredentialsSource::Provider`]). When nothing applies
//! (`AWS_EC2_METADATA_DISABLED` rules out the last resort, instance metadata) the result says
//! where it looked ([`Looked`]), for the "no credentials found" message. No message built here
//! holds a secret.

use std::fmt;
use std::path::{Path, PathBuf};

use super::environment::{Environment, Var, expand_home};
use super::inputs::ConfigInputs;
use super::profiles::{ProfileFiles, profile_source};
use super::source::Source;
use crate::credentials::Credentials;
use crate::error::Error;
use crate::profile::{AwsProfile, HOTEL_S3ID, HOTEL_S3KEY, HotelConf};
use crate::query::endpoint::shorten;

/// Where the credentials came from (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsSource {
    /// A source had them.
    Found(Source),
    /// No source had any; where resolution looked.
    NotFound(Looked),
    /// None wanted: requests go unsigned (`--no-sign-request`).
    NotWanted,
    /// A provider gives them when a request needs them (see [`super::providers`]).
    Provider {
        /// What asked for it: a profile's key, a variable, or instance metadata as the last
        /// resort.
        wanted_by: String,
        /// Where static keys were looked for first.
        looked: Looked,
        /// Nothing asked for a provider: instance metadata is the last resort.
        last_resort: bool,
    },
}

impl fmt::Display for CredentialsSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsSource::Found(Source::Env(var)) => write!(f, "environment ({var})"),
            CredentialsSource::Found(source) => source.fmt(f),
            CredentialsSource::NotFound(looked) => write!(f, "none found; looked in {looked}"),
            CredentialsSource::NotWanted => f.write_str("none: --no-sign-request"),
            CredentialsSource::Provider { wanted_by, .. } => write!(f, "provider: {wanted_by}"),
        }
    }
}

/// The places searched for credentials, in order, when none were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Looked(pub Vec<Place>);

/// One place searched for credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A pair of variables (access key id, secret key).
    EnvPair(Var, Var),
    /// `--hotel-conf` / `PHANTOM_HOTEL_CONF`, neither given.
    HotelConfNotGiven,
    /// The profile in an existing shared file.
    Profile {
        /// The profile's name.
        name: String,
        /// The file.
        path: PathBuf,
    },
    /// A shared file that does not exist.
    NoSuchFile(PathBuf),
    /// No home directory, so no `~/.aws` files.
    NoHome,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::EnvPair(id, secret) => write!(f, "{id}/{secret}"),
            Place::HotelConfNotGiven => f.write_str("--hotel-conf/PHANTOM_HOTEL_CONF (not given)"),
            Place::Profile { name, path } => write!(f, "profile {name} in {}", path.display()),
            Place::NoSuchFile(path) => write!(f, "{} (no such file)", path.display()),
            Place::NoHome => f.write_str("no ~/.aws files (no home directory)"),
        }
    }
}

impl fmt::Display for Looked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, place) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            place.fmt(f)?;
        }
        Ok(())
    }
}

impl Looked {
    /// Every place [`resolve_credentials`] searches, as found in `files`.
    fn of(files: &ProfileFiles) -> Looked {
        let mut places = vec![
            Place::EnvPair(Var::AwsAccessKeyId, Var::AwsSecretAccessKey),
            Place::EnvPair(Var::Ec2AccessKey, Var::Ec2SecretKey),
            Place::HotelConfNotGiven,
        ];
        for (path, loaded) in [
            (&files.credentials_path, files.credentials.is_some()),
            (&files.config_path, files.config.is_some()),
        ] {
            match path {
                Some(p) if loaded => places.push(Place::Profile {
                    name: files.name.clone(),
                    path: p.clone(),
                }),
                Some(p) => places.push(Place::NoSuchFile(p.clone())),
                None => {}
            }
        }
        if files.credentials_path.is_none() && files.config_path.is_none() {
            places.push(Place::NoHome);
        }
        Looked(places)
    }
}

/// Takes credentials from an environment variable pair: `Ok(None)` when neither is set, an error
/// naming the missing variable when only one is.
fn env_pair(env: &dyn Environment, id: Var, secret: Var) -> Result<Option<Credentials>, Error> {
    match (id.value(env), secret.value(env)) {
        (None, None) => Ok(None),
        (Some(i), Some(s)) => Ok(Some(Credentials::new(i, s))),
        (Some(_), None) => Err(Error::Config(format!(
            "{id} is set but {secret} is missing"
        ))),
        (None, Some(_)) => Err(Error::Config(format!(
            "{secret} is set but {id} is missing"
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
fn hotel_credentials(path: &Path, source: &Source) -> Result<Credentials, Error> {
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

/// Finds the first complete credentials source (the order is in the module comment).
pub(crate) fn resolve_credentials(
    inputs: &ConfigInputs,
    env: &dyn Environment,
    files: &ProfileFiles,
) -> Result<(Option<Credentials>, CredentialsSource), Error> {
    let found = |c: Credentials, source| Ok((Some(c), CredentialsSource::Found(source)));
    if let Some(c) = env_pair(env, Var::AwsAccessKeyId, Var::AwsSecretAccessKey)? {
        let c = match Var::AwsSessionToken.value(env) {
            Some(t) => c.with_session_token(t),
            None => c,
        };
        return found(c, Source::Env(Var::AwsAccessKeyId));
    }
    if let Some(c) = env_pair(env, Var::Ec2AccessKey, Var::Ec2SecretKey)? {
        return found(c, Source::Env(Var::Ec2AccessKey));
    }
    let hotel = match &inputs.hotel_conf {
        Some(p) if !p.as_os_str().is_empty() => Some((p.clone(), Source::Flag("--hotel-conf"))),
        _ => Var::PhantomHotelConf
            .value(env)
            .map(|p| (expand_home(&p, env), Source::Env(Var::PhantomHotelConf))),
    };
    if let Some((path, source)) = hotel {
        let c = hotel_credentials(&path, &source)?;
        return found(c, Source::HotelConf(path));
    }
    let profiles = [files.in_credentials(), files.in_config()];
    let named_provider = profiles
        .iter()
        .flatten()
        .find_map(|(p, origin)| Some((p.provider_keys.first()?, profile_source(p, origin))));
    if named_provider.is_none() {
        for (profile, origin) in profiles.into_iter().flatten() {
            if let Some(c) = profile_pair(profile, origin)? {
                return found(c, profile_source(profile, origin));
            }
        }
    }
    let looked = Looked::of(files);
    let mut last_resort = false;
    let wanted_by = if let Some((key, source)) = named_provider {
        format!("{source} ({key})")
    } else if let Some(var) = [
        Var::AwsWebIdentityTokenFile,
        Var::AwsContainerCredentialsRelativeUri,
        Var::AwsContainerCredentialsFullUri,
    ]
    .into_iter()
    .find(|v| v.value(env).is_some())
    {
        var.name().to_string()
    } else if Var::AwsEc2MetadataDisabled
        .value(env)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return Ok((None, CredentialsSource::NotFound(looked)));
    } else {
        last_resort = true;
        "instance metadata (IMDS)".to_string()
    };
    Ok((
        None,
        CredentialsSource::Provider {
            wanted_by,
            looked,
            last_resort,
        },
    ))
}
