//! The in-process provider chain: `aws-config`'s providers (assumed roles, web identity,
//! `credential_process`, IAM Identity Center, ECS/EKS containers, IMDSv2), the ecosystem's
//! implementation, built on the first fetch and kept for the life of its
//! [`super::CredentialsProvider`].
//!
//! Only the `phantom-credentials` helper and library callers that ask for it
//! ([`super::Providers::in_process`]) link this module: the `phantom` command runs the helper
//! instead, so that the SDK crates' static tables are not relocated at every start of the
//! static-key path (see [`super::helper`]).
//!
//! The chain: the profile (every kind of profile the SDKs know), then
//! `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, then the container endpoint
//! (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`, with
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)`), then IMDSv2 (one attempt, 1 s timeouts, skipped
//! under `AWS_EC2_METADATA_DISABLED`). Its HTTP calls (STS, SSO, the container and metadata
//! endpoints) go through `ReqwestClient`, the crate's own HTTP stack, so no second TLS stack is
//! compiled in. STS and SSO use the resolved region and honour `AWS_ENDPOINT_URL_STS` /
//! `AWS_ENDPOINT_URL_SSO` and the profile's `[services]` section (aws-config reads them).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;

use super::{BoxFuture, ChainSpec, FetchCredentials, FetchError, Fetched};
use crate::credentials::{Credentials, Scrubber};
use crate::http::client::ClientOptions;

/// The timeouts of one instance metadata call (the AWS CLI's `metadata_service_timeout`).
const IMDS_TIMEOUT: Duration = Duration::from_secs(1);

/// The largest reply read from STS, SSO or a credentials endpoint.
const MAX_REPLY_BYTES: usize = 1024 * 1024;

/// One spec's chain, built on its first fetch.
pub(super) struct InProcess {
    spec: ChainSpec,
    chain: tokio::sync::OnceCell<SharedCredentialsProvider>,
}

impl InProcess {
    /// A chain for `spec`, not built yet.
    pub(super) fn make(spec: ChainSpec) -> Arc<dyn FetchCredentials> {
        Arc::new(InProcess {
            spec,
            chain: tokio::sync::OnceCell::new(),
        })
    }
}

impl FetchCredentials for InProcess {
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched, FetchError>> {
        Box::pin(async move {
            let chain = self.chain.get_or_init(|| build_chain(&self.spec)).await;
            match chain.provide_credentials().await {
                Ok(c) => Ok(convert(&c)),
                Err(e) => Err(FetchError {
                    not_found: matches!(e, CredentialsError::CredentialsNotLoaded(_)),
                    message: causes(&e),
                }),
            }
        })
    }
}

/// An error and its sources, as one line: each message once, joined by `: ` (aws-config's
/// errors nest the same message at several levels).
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// aws-config's credentials as the crate's, with their scrubber.
fn convert(c: &aws_credential_types::Credentials) -> Fetched {
    let mut credentials = Credentials::new(c.access_key_id(), c.secret_access_key());
    if let Some(token) = c.session_token() {
        credentials = credentials.with_session_token(token);
    }
    Fetched {
        scrubber: Scrubber::for_credentials(&credentials),
        credentials,
        expires: c.expiry(),
    }
}

/// Builds the chain (see the module comment) on the first fetch.
async fn build_chain(spec: &ChainSpec) -> SharedCredentialsProvider {
    use aws_config::meta::credentials::CredentialsProviderChain;
    use aws_config::provider_config::ProviderConfig;
    use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};

    let client = ReqwestClient {
        verify_tls: spec.verify_tls,
        ca_bundle: spec.ca_bundle.clone(),
    };
    let config = ProviderConfig::default()
        .with_http_client(client.clone())
        .with_region(Some(aws_config::Region::new(spec.region.clone())));
    let mut files = EnvConfigFiles::builder();
    let mut any = false;
    for (kind, path) in [
        (EnvConfigFileKind::Config, &spec.config_file),
        (EnvConfigFileKind::Credentials, &spec.credentials_file),
    ] {
        if let Some(p) = path {
            files = files.with_file(kind, p);
            any = true;
        }
    }
    let files = any.then(|| files.build());
    let profile_provider = |name: &str| {
        let mut builder = aws_config::profile::ProfileFileCredentialsProvider::builder()
            .configure(&config)
            .profile_name(name);
        if let Some(files) = &files {
            builder = builder.profile_files(files.clone());
        }
        builder.build()
    };
    let container = || {
        aws_config::ecs::EcsCredentialsProvider::builder()
            .configure(&config)
            .build()
    };
    let imds = || {
        let client = aws_config::imds::Client::builder()
            .configure(&config)
            .connect_timeout(IMDS_TIMEOUT)
            .read_timeout(IMDS_TIMEOUT)
            .max_attempts(1)
            .build();
        aws_config::imds::credentials::ImdsCredentialsProvider::builder()
            .configure(&config)
            .imds_client(client)
            .build()
    };
    // A role with `mfa_serial` is assumed here (aws-config would assume it without the code);
    // every other profile is aws-config's.
    let profile: SharedCredentialsProvider = match mfa_role(spec, files.as_ref()).await {
        Some(Ok(role)) => {
            let source = match &role.source {
                RoleSource::Profile(name) if *name == spec.profile => {
                    SharedCredentialsProvider::new(role.static_keys.clone())
                }
                RoleSource::Profile(name) => SharedCredentialsProvider::new(profile_provider(name)),
                RoleSource::Named(n) if n == "Environment" => SharedCredentialsProvider::new(
                    aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
                ),
                RoleSource::Named(n) if n == "EcsContainer" => {
                    SharedCredentialsProvider::new(container())
                }
                RoleSource::Named(_) => SharedCredentialsProvider::new(imds()),
            };
            SharedCredentialsProvider::new(MfaRole {
                role,
                source,
                http: client.clone(),
                region: spec.region.clone(),
            })
        }
        Some(Err(message)) => SharedCredentialsProvider::new(Refused(message)),
        None => SharedCredentialsProvider::new(profile_provider(&spec.profile)),
    };
    let web_identity =
        aws_config::web_identity_token::WebIdentityTokenCredentialsProvider::builder()
            .configure(&config)
            .build();
    let chain = CredentialsProviderChain::first_try("Profile", profile)
        .or_else("WebIdentityToken", web_identity)
        .or_else("EcsContainer", container())
        .or_else("Ec2InstanceMetadata", imds());
    SharedCredentialsProvider::new(chain)
}

/// A provider that always fails with a configuration error (a profile phantom cannot use).
#[derive(Debug)]
struct Refused(String);

impl ProvideCredentials for Refused {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::invalid_configuration(
            self.0.clone(),
        )))
    }
}

/// Where an MFA role's source credentials come from.
#[derive(Debug, Clone)]
enum RoleSource {
    /// `source_profile`.
    Profile(String),
    /// `credential_source`: `Environment`, `Ec2InstanceMetadata` or `EcsContainer`.
    Named(String),
}

/// The selected profile's role when it has `mfa_serial`, read with aws-config's profile parser.
#[derive(Debug, Clone)]
struct MfaSettings {
    role_arn: String,
    mfa_serial: String,
    external_id: Option<String>,
    session_name: Option<String>,
    duration_seconds: Option<i32>,
    source: RoleSource,
    /// The profile's own keys, for `source_profile` naming the profile itself.
    static_keys: aws_credential_types::Credentials,
}

/// The selected profile's MFA role: `None` when it has no `role_arn` + `mfa_serial`; an error
/// message when the settings are unusable.
async fn mfa_role(
    spec: &ChainSpec,
    files: Option<&aws_runtime::env_config::file::EnvConfigFiles>,
) -> Option<Result<MfaSettings, String>> {
    let default_files;
    let files = match files {
        Some(f) => f,
        None => {
            default_files = Default::default();
            &default_files
        }
    };
    let set = aws_config::profile::load(
        &aws_types::os_shim_internal::Fs::real(),
        &aws_types::os_shim_internal::Env::real(),
        files,
        Some(spec.profile.clone().into()),
    )
    .await
    .ok()?;
    let profile = set.get_profile(&spec.profile)?;
    let (role_arn, mfa_serial) = (profile.get("role_arn")?, profile.get("mfa_serial")?);
    let name = &spec.profile;
    let source = match (
        profile.get("source_profile"),
        profile.get("credential_source"),
    ) {
        (Some(p), None) => RoleSource::Profile(p.to_string()),
        (None, Some(n)) if ["Environment", "Ec2InstanceMetadata", "EcsContainer"].contains(&n) => {
            RoleSource::Named(n.to_string())
        }
        (None, Some(n)) => {
            return Some(Err(format!(
                "profile {name}: credential_source `{}` is not Environment, \
                 Ec2InstanceMetadata or EcsContainer",
                crate::query::endpoint::shorten(n)
            )));
        }
        _ => {
            return Some(Err(format!(
                "profile {name} has role_arn: it needs exactly one of source_profile and \
                 credential_source"
            )));
        }
    };
    let duration_seconds = match profile.get("duration_seconds") {
        None => None,
        Some(d) => match d.trim().parse::<i32>() {
            Ok(n) if (900..=43_200).contains(&n) => Some(n),
            _ => {
                return Some(Err(format!(
                    "profile {name}: duration_seconds must be a number from 900 to 43200"
                )));
            }
        },
    };
    let static_keys = aws_credential_types::Credentials::new(
        profile.get("aws_access_key_id").unwrap_or_default(),
        profile.get("aws_secret_access_key").unwrap_or_default(),
        profile.get("aws_session_token").map(str::to_string),
        None,
        "ProfileFile",
    );
    Some(Ok(MfaSettings {
        role_arn: role_arn.to_string(),
        mfa_serial: mfa_serial.to_string(),
        external_id: profile.get("external_id").map(str::to_string),
        session_name: profile.get("role_session_name").map(str::to_string),
        duration_seconds,
        source,
        static_keys,
    }))
}

/// AssumeRole with `SerialNumber` and a `TokenCode` asked for on the terminal (echo off), as the
/// AWS CLI does for a profile with `mfa_serial`. Asked again only when the role's credentials
/// need a refresh.
#[derive(Debug)]
struct MfaRole {
    role: MfaSettings,
    source: SharedCredentialsProvider,
    http: ReqwestClient,
    region: String,
}

impl MfaRole {
    async fn assume(&self) -> aws_credential_types::provider::Result {
        let role = &self.role;
        let code = ask_mfa_code(&role.mfa_serial).await?;
        let mut config = aws_sdk_sts::config::Builder::new()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_config::Region::new(self.region.clone()))
            .credentials_provider(self.source.clone())
            .http_client(self.http.clone())
            .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new());
        if let Some(url) = ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
        {
            config = config.endpoint_url(url);
        }
        let session_name = role.session_name.clone().unwrap_or_else(|| {
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            format!("phantom-{now}")
        });
        let reply = aws_sdk_sts::Client::from_conf(config.build())
            .assume_role()
            .role_arn(&role.role_arn)
            .role_session_name(session_name)
            .set_external_id(role.external_id.clone())
            .set_duration_seconds(role.duration_seconds)
            .serial_number(&role.mfa_serial)
            .token_code(code)
            .send()
            .await
            .map_err(|e| {
                CredentialsError::provider_error(format!(
                    "AssumeRole {} with MFA: {}",
                    role.role_arn,
                    causes(&e)
                ))
            })?;
        let c = reply
            .credentials
            .ok_or_else(|| CredentialsError::unhandled("AssumeRole's reply has no credentials"))?;
        Ok(aws_credential_types::Credentials::new(
            c.access_key_id,
            c.secret_access_key,
            Some(c.session_token),
            SystemTime::try_from(c.expiration).ok(),
            "MfaAssumeRole",
        ))
    }
}

impl ProvideCredentials for MfaRole {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.assume())
    }
}

/// The MFA code, asked for on the controlling terminal with echo off (the `phantom` command);
/// the library alone has no terminal to ask on.
async fn ask_mfa_code(serial: &str) -> Result<String, CredentialsError> {
    #[cfg(feature = "cli")]
    {
        let prompt = format!("Enter MFA code for {serial}: ");
        let asked = tokio::task::spawn_blocking(move || {
            crate::cli::secret_input::ask("MFA code", &prompt, "")
                .map(|code| code.expose().trim().to_string())
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        asked.map_err(|e| {
            CredentialsError::provider_error(format!(
                "the role needs an MFA code (mfa_serial {serial}): {e}"
            ))
        })
    }
    #[cfg(not(feature = "cli"))]
    {
        Err(CredentialsError::provider_error(format!(
            "the role needs an MFA code (mfa_serial {serial}), and only the phantom command asks \
             for one"
        )))
    }
}

/// The HTTP client aws-config's providers call STS, SSO and credential endpoints with: reqwest,
/// as built for the crate's own calls ([`crate::http::client::build`]), redirects not followed,
/// replies capped at 1 MiB.
#[derive(Debug, Clone)]
struct ReqwestClient {
    verify_tls: bool,
    ca_bundle: Option<PathBuf>,
}

impl HttpClient for ReqwestClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let pem = self.ca_bundle.as_ref().map(std::fs::read);
        let built = match pem {
            Some(Err(e)) => Err(format!("cannot read the CA bundle: {e}")),
            pem => {
                let pem = pem.and_then(Result::ok);
                crate::http::client::build(&ClientOptions {
                    connect_timeout: settings
                        .connect_timeout()
                        .unwrap_or(Duration::from_secs(10)),
                    read_timeout: settings.read_timeout().unwrap_or(Duration::from_secs(60)),
                    verify_tls: self.verify_tls,
                    ca_bundle: pem.as_deref(),
                    plain_http: false,
                })
                .map_err(|e| e.to_string())
            }
        };
        SharedHttpConnector::new(ReqwestConnector { client: built })
    }
}

#[derive(Debug)]
struct ReqwestConnector {
    client: Result<reqwest::Client, String>,
}

impl HttpConnector for ReqwestConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.client.clone();
        HttpConnectorFuture::new(async move {
            let client = client.map_err(|e| ConnectorError::user(e.into()))?;
            let method = reqwest::Method::from_bytes(request.method().as_bytes())
                .map_err(|e| ConnectorError::user(Box::new(e)))?;
            let mut builder = client.request(method, request.uri());
            for (name, value) in request.headers() {
                builder = builder.header(name, value);
            }
            let body = request.body().bytes().unwrap_or_default().to_vec();
            let mut response = builder.body(body).send().await.map_err(|e| {
                if e.is_timeout() {
                    ConnectorError::timeout(Box::new(e))
                } else {
                    ConnectorError::io(Box::new(e))
                }
            })?;
            let status = response.status().as_u16();
            let mut headers = Vec::new();
            for (name, value) in response.headers() {
                if let Ok(v) = value.to_str() {
                    headers.push((name.as_str().to_string(), v.to_string()));
                }
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| ConnectorError::io(Box::new(e)))?
            {
                if body.len() + chunk.len() > MAX_REPLY_BYTES {
                    return Err(ConnectorError::other(
                        format!("reply larger than {MAX_REPLY_BYTES} bytes").into(),
                        None,
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            let status = status
                .try_into()
                .map_err(|e| ConnectorError::other(Box::new(e), None))?;
            let mut out = HttpResponse::new(status, SdkBody::from(body));
            for (name, value) in headers {
                // Header values that are not text are left out (no credential reply needs one).
                let _ = out.headers_mut().try_insert(name, value);
            }
            Ok(out)
        })
    }
}
