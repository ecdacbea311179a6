//! `phantom-credentials`: runs the credential provider chain (assumed roles, web identity,
//! `credential_process`, IAM Identity Center, containers, instance metadata) with `aws-config`'s
//! providers and prints what it found as `credential_process` JSON. `phantom` runs it when a
//! profile or the environment asks for a provider, so that `phantom` itself never links the SDK
//! crates (see `phantom_autoscale::config::providers::helper` for why and for the protocol).
//! Other tools can use it as their `credential_process` too.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use phantom_autoscale::config::providers::{ChainSpec, Providers, helper};

/// Prints AWS credentials from the provider chain of a profile as credential_process JSON.
///
/// The chain is the SDKs': the profile (role_arn with source_profile or credential_source,
/// web_identity_token_file, credential_process, sso_session or sso_*), then
/// AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN, then the container endpoint
/// (AWS_CONTAINER_CREDENTIALS_*), then IMDSv2 (unless AWS_EC2_METADATA_DISABLED). The output is
/// for a program to read, never a terminal. Exit status 3: no source had credentials; 1: a source
/// failed.
#[derive(Parser, Debug)]
#[command(name = "phantom-credentials", version)]
struct Args {
    /// The profile (else AWS_PROFILE, else `default`).
    #[arg(
        long,
        env = "AWS_PROFILE",
        default_value = "default",
        value_name = "NAME"
    )]
    profile: String,
    /// The region STS and the SSO portal are called in (else AWS_REGION, AWS_DEFAULT_REGION,
    /// else us-east-1).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// The shared config file (else AWS_CONFIG_FILE, else ~/.aws/config).
    #[arg(long, value_name = "PATH")]
    config_file: Option<PathBuf>,
    /// The shared credentials file (else AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials).
    #[arg(long, value_name = "PATH")]
    credentials_file: Option<PathBuf>,
    /// Extra CA certificates (PEM) trusted for STS, SSO and credential endpoints.
    #[arg(long, value_name = "PATH")]
    ca_bundle: Option<PathBuf>,
    /// Do not verify TLS certificates of STS, SSO and credential endpoints.
    #[arg(long)]
    no_verify_ssl: bool,
}

fn fail(code: i32, message: &str) -> ExitCode {
    eprintln!("{}: {message}", helper::PROGRAM);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn main() -> ExitCode {
    let args = Args::parse();
    if std::io::stdout().is_terminal() {
        return fail(
            helper::EXIT_FAILED,
            "its output is credentials for a program to read (credential_process JSON), and \
             stdout is a terminal: run it from a program or pipe it",
        );
    }
    let region = args
        .region
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| "us-east-1".to_string());
    let spec = ChainSpec {
        profile: args.profile,
        config_file: args.config_file,
        credentials_file: args.credentials_file,
        region,
        verify_tls: !args.no_verify_ssl,
        ca_bundle: args.ca_bundle,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(helper::EXIT_FAILED, &format!("cannot start: {e}")),
    };
    let chain = Providers::in_process().chain(spec);
    match runtime.block_on(chain.fetch()) {
        Ok(fetched) => {
            let mut out = std::io::stdout().lock();
            match writeln!(out, "{}", helper::reply_json(&fetched)).and_then(|()| out.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(helper::EXIT_FAILED, &format!("cannot write the reply: {e}")),
            }
        }
        Err(e) if e.not_found => fail(helper::EXIT_NOT_FOUND, &e.message),
        Err(e) => fail(helper::EXIT_FAILED, &e.message),
    }
}
