//! What the caller said: the command line's settings (every one optional), and the choice of API.
//!
//! These are the inputs of [`super::resolve()`]; the environment and the profile files fill in what
//! they leave open. There is deliberately no secret-key setting: keys never come from flags.

use std::path::PathBuf;
use std::time::Duration;

use super::dialect::{Dialect, SignatureChoice};
use super::providers::Providers;
use crate::query::sign::HmacAlgorithm;

keyword_enum! {
    /// Which of Phantom's two APIs a command uses.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    #[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
    pub enum ApiChoice("API") {
        /// The Auto Scaling Query API (AWS, moto, Eucalyptus, Phantom's Query front end).
        Query = "query",
        /// Phantom's JSON REST API (`/api/dev`), with a token from `phantom login`.
        Rest = "rest",
    }
}

/// What the command line said (every field optional; there is deliberately no secret-key flag).
/// The default is "nothing said": the environment, the profile files and the built-in defaults
/// (those of the AWS CLI) decide.
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
    /// `--signature-method`: the SigV2 HMAC (default HMAC-SHA256).
    pub signature_method: Option<HmacAlgorithm>,
    /// `--hotel-conf PATH`: a FutureGrid `hotel.conf` / `cloud.properties` holding the keys.
    pub hotel_conf: Option<PathBuf>,
    /// `--api query|rest` (or a command that only exists in one API).
    pub api: Option<ApiChoice>,
    /// `--no-sign-request`: send Query requests unsigned, needing no credentials.
    pub no_sign_request: bool,
    /// `--max-attempts` (else `AWS_MAX_ATTEMPTS`, else 3).
    pub max_attempts: Option<u32>,
    /// `--connect-timeout` (default 60 s).
    pub connect_timeout: Option<Duration>,
    /// `--read-timeout` (default 60 s).
    pub read_timeout: Option<Duration>,
    /// `--deadline`: time allowed for each call (Query default: connect + read time x attempts).
    pub deadline: Option<Duration>,
    /// `--max-reply-bytes` (default 64 MiB).
    pub max_reply_bytes: Option<usize>,
    /// `--ca-bundle` (else `AWS_CA_BUNDLE` for an https endpoint).
    pub ca_bundle: Option<PathBuf>,
    /// `--no-verify-ssl`.
    pub no_verify_ssl: bool,
    /// `--debug`: trace requests and replies (secrets redacted).
    pub debug: bool,
    /// `--launch-templates`: use EC2 launch templates where launch configurations were used.
    pub launch_templates: bool,
    /// Where provider chains run (not a flag): the `phantom-credentials` helper by default, or
    /// this process ([`Providers::in_process`](super::providers::Providers), the `providers`
    /// feature) for library callers that want no second program.
    pub providers: Providers,
}
