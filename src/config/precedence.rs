//! The precedence rules: flags, then environment, then profile files, then defaults, applied
//! once to give a [`ResolvedConfig`].
//!
//! - API: `--api` (or a command that exists in one API only), `PHANTOM_API`, else REST when the
//!   endpoint's path ends in `/api/dev`, else Query;
//! - endpoint (Auto Scaling's, EC2's, classic ELB's and ELBv2's alike): `--endpoint-url`, the
//!   service's variable (`AWS_ENDPOINT_URL_AUTO_SCALING`, `AWS_ENDPOINT_URL_EC2`,
//!   `AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING`, `..._V2`), `PHANTOM_URL`, `AWS_ENDPOINT_URL`,
//!   the service's `endpoint_url` in the profile's `[services NAME]` section (keys
//!   `auto_scaling`, `ec2`, `elastic_load_balancing`, `elastic_load_balancing_v2`), the profile's
//!   `endpoint_url` (config file), else `https://autoscaling.<region>.amazonaws.com` /
//!   `https://ec2.<region>.amazonaws.com` / `https://elasticloadbalancing.<region>.amazonaws.com`;
//! - region: `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region` (config
//!   file), else `us-east-1`;
//! - profile and its files: see `profiles`; credentials: see [`super::credentials`] (and
//!   [`super::providers`], whose STS and SSO calls go to the region resolved here);
//! - dialect: `--dialect`, `PHANTOM_DIALECT`, else [`Dialect::detect`]; signature: `--signature`,
//!   else the dialect's default;
//! - the AWS CLI's connection settings (profile keys in the config file): the retry mode,
//!   `AWS_RETRY_MODE`, `retry_mode`, else standard; attempts: `--max-attempts`,
//!   `AWS_MAX_ATTEMPTS`, `max_attempts` (1 to 20), else the mode's (3; legacy 5); timeouts:
//!   `--connect-timeout` / `--read-timeout`, `cli_connect_timeout` / `cli_read_timeout` (whole
//!   seconds, 0 for none), else 60 s; the CA bundle: `--ca-bundle`, else `AWS_CA_BUNDLE`, else
//!   `ca_bundle`, the latter two for an https endpoint only (a plain-http endpoint skips reading
//!   a whole system bundle, about a millisecond per call).

use std::path::PathBuf;
use std::time::Duration;

use super::credentials::{CredentialsSource, resolve_credentials};
use super::dialect::Dialect;
use super::environment::{Environment, Var, expand_home};
use super::inputs::{ApiChoice, ConfigInputs};
use super::profiles::{ProfileFiles, profile_source};
use super::providers::{ChainSpec, CredentialsProvider, Wanted};
use super::resolved::{Connection, ResolvedConfig};
use super::source::Source;
use crate::error::Error;
use crate::http::retry::RetryMode;
use crate::profile::shared::{ConnectionSettings, Written};
use crate::query::endpoint::{Endpoint, shorten};
use crate::query::sign::HmacAlgorithm;

/// A flag value, trimmed; blank counts as absent.
fn flag_value(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Checks that a region is usable in a host name and a SigV4 scope.
fn check_region(region: &str, source: &Source) -> Result<(), Error> {
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

/// The API the caller or `PHANTOM_API` names, if any.
fn named_api(inputs: &ConfigInputs, env: &dyn Environment) -> Result<Option<ApiChoice>, Error> {
    if inputs.api.is_some() {
        return Ok(inputs.api);
    }
    match Var::PhantomApi.raw(env).filter(|v| !v.trim().is_empty()) {
        None => Ok(None),
        Some(value) => value.parse().map(Some).map_err(|_| {
            Error::Config(format!(
                "PHANTOM_API is `{}`; expected `query` or `rest`",
                value.chars().take(40).collect::<String>()
            ))
        }),
    }
}

/// A service whose endpoint is resolved: its own variable, its key in a `[services NAME]`
/// section, and its AWS endpoint.
struct Service {
    var: Var,
    key: &'static str,
    aws: fn(&str) -> Result<Endpoint, Error>,
}

const AUTO_SCALING: Service = Service {
    var: Var::AwsEndpointUrlAutoScaling,
    key: "auto_scaling",
    aws: Endpoint::aws_default,
};

const EC2: Service = Service {
    var: Var::AwsEndpointUrlEc2,
    key: crate::ec2::SERVICE,
    aws: crate::ec2::client::aws_endpoint,
};

const ELB: Service = Service {
    var: Var::AwsEndpointUrlElb,
    key: "elastic_load_balancing",
    aws: crate::elb::client::aws_endpoint,
};

const ELBV2: Service = Service {
    var: Var::AwsEndpointUrlElbv2,
    key: "elastic_load_balancing_v2",
    aws: crate::elb::client::aws_endpoint,
};

/// The endpoint of `service` and where it came from: `--endpoint-url` (a local endpoint serves
/// every service), the service's variable, `PHANTOM_URL`, `AWS_ENDPOINT_URL`, the service's
/// `endpoint_url` in the `[services NAME]` section the profile names (config file), the
/// profile's `endpoint_url`, else the service's AWS endpoint of the region. Service-specific
/// settings come before general ones of the same kind, as in the AWS SDKs.
fn endpoint_of(
    service: &Service,
    inputs: &ConfigInputs,
    env: &dyn Environment,
    files: &ProfileFiles,
    region: &str,
) -> Result<(Endpoint, Source), Error> {
    let config_profile = files.in_config();
    let services = || -> Option<(String, Source)> {
        let (profile, origin) = config_profile?;
        let section = profile.services.as_deref()?;
        let url = files
            .config
            .as_ref()?
            .service_endpoint(section, service.key)?;
        Some((
            url.to_string(),
            Source::Services {
                section: section.to_string(),
                service: service.key.to_string(),
                file: origin.to_string(),
            },
        ))
    };
    let explicit = if let Some(u) = flag_value(&inputs.endpoint_url) {
        Some((u, Source::Flag("--endpoint-url")))
    } else if let Some(u) = service.var.value(env) {
        Some((u, Source::Env(service.var)))
    } else if let Some(u) = Var::PhantomUrl.value(env) {
        Some((u, Source::Env(Var::PhantomUrl)))
    } else if let Some(u) = Var::AwsEndpointUrl.value(env) {
        Some((u, Source::Env(Var::AwsEndpointUrl)))
    } else if let Some(found) = services() {
        Some(found)
    } else if let Some((p, origin)) = config_profile
        && let Some(u) = &p.endpoint_url
    {
        Some((u.clone(), profile_source(p, origin)))
    } else {
        None
    };
    match explicit {
        Some((url, source)) => Ok((Endpoint::parse_from(&url, &source)?, source)),
        None => Ok(((service.aws)(region)?, Source::Default)),
    }
}

/// A connection setting of the profile (config file), with words saying where it is: `` `KEY`
/// in profile P in FILE, line N ``.
fn profile_setting<'a>(
    files: &'a ProfileFiles,
    key: &str,
    pick: fn(&ConnectionSettings) -> &Option<Written>,
) -> Option<(&'a str, String)> {
    let (profile, origin) = files.in_config()?;
    let written = pick(&profile.connection).as_ref()?;
    Some((
        written.value.as_str(),
        format!(
            "`{key}` in {}, line {}",
            profile_source(profile, origin),
            written.line
        ),
    ))
}

/// The retry mode: `AWS_RETRY_MODE`, the profile's `retry_mode`, else standard.
fn retry_mode(env: &dyn Environment, files: &ProfileFiles) -> Result<RetryMode, Error> {
    let (value, from) = if let Some(v) = Var::AwsRetryMode.value(env) {
        (v, Var::AwsRetryMode.name().to_string())
    } else if let Some((v, from)) = profile_setting(files, "retry_mode", |c| &c.retry_mode) {
        (v.to_string(), from)
    } else {
        return Ok(RetryMode::default());
    };
    value.parse().map_err(|_| {
        Error::Config(format!(
            "{from} is `{}`; expected legacy, standard or adaptive",
            shorten(&value)
        ))
    })
}

/// Attempts per call: `--max-attempts`, `AWS_MAX_ATTEMPTS`, the profile's `max_attempts` (1 to
/// 20), else the retry mode's default.
fn max_attempts(
    inputs: &ConfigInputs,
    env: &dyn Environment,
    files: &ProfileFiles,
    mode: RetryMode,
) -> Result<u32, Error> {
    if let Some(n) = inputs.max_attempts {
        return Ok(n);
    }
    let (value, from) = if let Some(v) = Var::AwsMaxAttempts.value(env) {
        (v, Var::AwsMaxAttempts.name().to_string())
    } else if let Some((v, from)) = profile_setting(files, "max_attempts", |c| &c.max_attempts) {
        (v.to_string(), from)
    } else {
        return Ok(mode.default_attempts());
    };
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=20).contains(n))
        .ok_or_else(|| {
            Error::Config(format!(
                "{from} must be a number from 1 to 20, not `{}`",
                shorten(&value)
            ))
        })
}

/// A timeout: the flag, the profile's `cli_*_timeout` (whole seconds; 0 means none, as in the
/// AWS CLI), else 60 s. No timeout is [`Duration::MAX`].
fn timeout(
    flag: Option<Duration>,
    files: &ProfileFiles,
    key: &str,
    pick: fn(&ConnectionSettings) -> &Option<Written>,
) -> Result<Duration, Error> {
    let none_if_zero = |d: Duration| if d.is_zero() { Duration::MAX } else { d };
    if let Some(d) = flag {
        return Ok(none_if_zero(d));
    }
    let Some((value, from)) = profile_setting(files, key, pick) else {
        return Ok(Duration::from_secs(60));
    };
    value
        .parse::<u64>()
        .ok()
        .filter(|s| *s <= 31_536_000)
        .map(|s| none_if_zero(Duration::from_secs(s)))
        .ok_or_else(|| {
            Error::Config(format!(
                "{from} must be a whole number of seconds (0 for no limit), not `{}`",
                shorten(value)
            ))
        })
}

/// The CA bundle: `--ca-bundle`, else (for an https endpoint) `AWS_CA_BUNDLE`, else the
/// profile's `ca_bundle`.
fn ca_bundle(
    inputs: &ConfigInputs,
    env: &dyn Environment,
    files: &ProfileFiles,
    endpoint: &Endpoint,
) -> Option<PathBuf> {
    if let Some(path) = &inputs.ca_bundle {
        return Some(path.clone());
    }
    if endpoint.scheme != "https" {
        return None;
    }
    if let Some(v) = Var::AwsCaBundle.value(env) {
        return Some(expand_home(&v, env));
    }
    profile_setting(files, "ca_bundle", |c| &c.ca_bundle).map(|(v, _)| expand_home(v, env))
}

/// A yes/no setting's value: `1`, `true`, `yes`, `on` or `0`, `false`, `no`, `off` (any case).
fn switch(value: &str, source: &str) -> Result<bool, Error> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(Error::Config(format!(
            "{source} is `{}`; expected true or false (1 or 0)",
            shorten(value)
        ))),
    }
}

/// Whether launch templates are used from the start: `--launch-templates`, else
/// `PHANTOM_LAUNCH_TEMPLATES`, else the profile's `phantom_launch_templates` (config file), else
/// no.
fn launch_templates(
    inputs: &ConfigInputs,
    env: &dyn Environment,
    files: &ProfileFiles,
) -> Result<bool, Error> {
    if inputs.launch_templates {
        return Ok(true);
    }
    if let Some(v) = Var::PhantomLaunchTemplates.value(env) {
        return switch(&v, Var::PhantomLaunchTemplates.name());
    }
    match files.in_config() {
        Some((p, origin)) => match &p.phantom_launch_templates {
            Some(v) => switch(
                v,
                &format!("phantom_launch_templates in {}", profile_source(p, origin)),
            ),
            None => Ok(false),
        },
        None => Ok(false),
    }
}

/// Resolves the configuration (the rules are in the module comment). Credentials may be absent
/// (`credentials: None`): a Query call refuses that when it builds its transport, a REST call
/// does not need them.
pub fn resolve(inputs: &ConfigInputs, env: &dyn Environment) -> Result<ResolvedConfig, Error> {
    let named_api = named_api(inputs, env)?;
    let files = ProfileFiles::load(inputs.profile.as_deref(), env)?;
    let config_profile = files.in_config();

    let (region, region_source) = if let Some(r) = flag_value(&inputs.region) {
        (r, Source::Flag("--region"))
    } else if let Some(r) = Var::AwsRegion.value(env) {
        (r, Source::Env(Var::AwsRegion))
    } else if let Some(r) = Var::AwsDefaultRegion.value(env) {
        (r, Source::Env(Var::AwsDefaultRegion))
    } else if let Some((p, origin)) = config_profile
        && let Some(r) = &p.region
    {
        (r.clone(), profile_source(p, origin))
    } else {
        ("us-east-1".to_string(), Source::Default)
    };
    check_region(&region, &region_source)?;

    let (endpoint, endpoint_source) = endpoint_of(&AUTO_SCALING, inputs, env, &files, &region)?;
    let (ec2_endpoint, _) = endpoint_of(&EC2, inputs, env, &files, &region)?;
    let (elb_endpoint, _) = endpoint_of(&ELB, inputs, env, &files, &region)?;
    let (elbv2_endpoint, _) = endpoint_of(&ELBV2, inputs, env, &files, &region)?;

    let dialect = match inputs.dialect {
        Some(d) => d,
        None => match Var::PhantomDialect.value(env) {
            Some(v) => v.parse::<Dialect>().map_err(|_| {
                Error::Config(format!(
                    "PHANTOM_DIALECT is `{}`; expected `aws` or `phantom`",
                    shorten(&v)
                ))
            })?,
            None => Dialect::detect(&endpoint, &endpoint_source),
        },
    };
    let signature = inputs
        .signature
        .unwrap_or_else(|| dialect.default_signature());

    let (credentials, credentials_source) = resolve_credentials(inputs, env, &files)?;
    let (credentials, credentials_source) = if inputs.no_sign_request {
        (None, CredentialsSource::NotWanted)
    } else {
        (credentials, credentials_source)
    };
    let provider = match &credentials_source {
        CredentialsSource::Provider {
            wanted_by,
            looked,
            last_resort,
        } => {
            Some(CredentialsProvider::new(
                ChainSpec {
                    profile: files.name.clone(),
                    // Only files that exist: aws-config refuses a named file it cannot read.
                    config_file: files.config_path.clone().filter(|_| files.config.is_some()),
                    credentials_file: files
                        .credentials_path
                        .clone()
                        .filter(|_| files.credentials.is_some()),
                    region: region.clone(),
                    verify_tls: !inputs.no_verify_ssl,
                    ca_bundle: inputs
                        .ca_bundle
                        .clone()
                        .or_else(|| Var::AwsCaBundle.value(env).map(Into::into)),
                },
                Wanted {
                    by: wanted_by.clone(),
                    last_resort: *last_resort,
                    looked: looked.to_string(),
                },
                inputs.providers,
            ))
        }
        _ => None,
    };
    let api = named_api.unwrap_or(if crate::rest::is_rest_endpoint(&endpoint) {
        ApiChoice::Rest
    } else {
        ApiChoice::Query
    });

    let mode = retry_mode(env, &files)?;
    let connection = Connection {
        retry_mode: mode,
        max_attempts: max_attempts(inputs, env, &files, mode)?,
        retry_base_delay: Var::PhantomRetryBaseMs
            .raw(env)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_millis),
        connect_timeout: timeout(inputs.connect_timeout, &files, "cli_connect_timeout", |c| {
            &c.cli_connect_timeout
        })?,
        read_timeout: timeout(inputs.read_timeout, &files, "cli_read_timeout", |c| {
            &c.cli_read_timeout
        })?,
        deadline: inputs.deadline,
        max_reply_bytes: inputs.max_reply_bytes.unwrap_or(64 * 1024 * 1024),
        verify_tls: !inputs.no_verify_ssl,
        ca_bundle: ca_bundle(inputs, env, &files, &endpoint),
        debug: inputs.debug,
    };
    Ok(ResolvedConfig {
        endpoint,
        ec2_endpoint,
        elb_endpoint,
        elbv2_endpoint,
        region,
        dialect,
        signature,
        signature_method: inputs.signature_method.unwrap_or(HmacAlgorithm::Sha256),
        credentials,
        credentials_source,
        provider,
        api,
        connection,
        output: config_profile.and_then(|(p, _)| p.output.clone()),
        launch_templates: launch_templates(inputs, env, &files)?,
    })
}
