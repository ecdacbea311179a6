//! The `phantom-credentials` helper: the provider chain run in a second program, and the
//! protocol between it and `phantom`.
//!
//! Why a second program: `aws-config` brings `aws-sdk-sts`, `aws-sdk-sso` and
//! `aws-sdk-ssooidc`, whose static tables (endpoint rules, schemas, error metadata) are full of
//! pointers. In a position-independent executable the loader relocates them, writing (and so
//! copying) their pages, at every start, whether a command needs a provider or not: measured,
//! 13,400 more relocations and 0.76 ms more CPU for a static-key `phantom domain list`. The
//! `phantom` binary therefore never references `aws-config`; when a chain is needed it runs
//! `phantom-credentials` (installed beside it: `cargo install` installs both), which links the
//! chain and prints what it found. Its start costs a few milliseconds, once per fetch, only for
//! the commands that need one.
//!
//! The protocol is the AWS CLI's `credential_process` format, so the helper can also serve other
//! tools: arguments name the chain ([`ChainSpec`] as `--profile`, `--region`,
//! `--config-file`, `--credentials-file`, `--ca-bundle`, `--no-verify-ssl`); the environment is
//! inherited (web identity, container and metadata variables are read there); stdout is one
//! JSON object (`Version` 1, `AccessKeyId`, `SecretAccessKey`, optional `SessionToken` and
//! `Expiration`); a failure is a line on stderr and exit status [`EXIT_FAILED`], or
//! [`EXIT_NOT_FOUND`] when no source had credentials. The helper asks for an MFA code on the
//! terminal (`/dev/tty`), so stdout and stderr can both be pipes.
//!
//! The program is `PHANTOM_CREDENTIALS_HELPER` when set, else `phantom-credentials` in the
//! directory of the running program, else the first on `PATH`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::SystemTime;

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{BoxFuture, ChainSpec, FetchCredentials, FetchError, Fetched};
use crate::credentials::{Credentials, Scrubber};

/// The helper's name (without the platform's executable suffix).
pub const PROGRAM: &str = "phantom-credentials";

/// The variable naming the helper program, before the other places are looked in.
pub const PROGRAM_VARIABLE: &str = "PHANTOM_CREDENTIALS_HELPER";

/// The helper's exit status when a source failed (the message is on stderr).
pub const EXIT_FAILED: i32 = 1;

/// The helper's exit status when no source of the chain had credentials.
pub const EXIT_NOT_FOUND: i32 = 3;

/// The longest stderr message taken from the helper, in bytes.
const MAX_MESSAGE_BYTES: usize = 2048;

/// The largest reply read from the helper, in bytes.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// A chain run by the helper.
pub(super) struct Helper {
    spec: ChainSpec,
}

impl Helper {
    /// The helper's chain for `spec`; nothing is run yet.
    pub(super) fn make(spec: ChainSpec) -> Arc<dyn FetchCredentials> {
        Arc::new(Helper { spec })
    }
}

impl FetchCredentials for Helper {
    fn fetch(&self) -> BoxFuture<'_, Result<Fetched, FetchError>> {
        Box::pin(run(&self.spec))
    }
}

/// The helper's arguments for `spec`.
pub fn arguments(spec: &ChainSpec) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "--profile".into(),
        spec.profile.clone().into(),
        "--region".into(),
        spec.region.clone().into(),
    ];
    for (flag, path) in [
        ("--config-file", &spec.config_file),
        ("--credentials-file", &spec.credentials_file),
        ("--ca-bundle", &spec.ca_bundle),
    ] {
        if let Some(p) = path {
            args.push(flag.into());
            args.push(p.clone().into_os_string());
        }
    }
    if !spec.verify_tls {
        args.push("--no-verify-ssl".into());
    }
    args
}

/// Where the helper program is: [`PROGRAM_VARIABLE`], else beside the running program, else on
/// `PATH`.
pub fn program() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(PROGRAM_VARIABLE).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let name = format!("{PROGRAM}{}", std::env::consts::EXE_SUFFIX);
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&name)));
    if let Some(p) = beside.as_deref().filter(|p| p.is_file()) {
        return Ok(p.to_path_buf());
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(&name);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(format!(
        "these credentials need the {PROGRAM} helper, which is installed beside phantom \
         (`cargo install` installs both); it is not {}, nor on PATH (or set {PROGRAM_VARIABLE})",
        beside.map_or_else(
            || "beside this program".to_string(),
            |p| format!("at {}", p.display())
        )
    ))
}

/// Runs the helper for `spec` and reads its reply.
async fn run(spec: &ChainSpec) -> Result<Fetched, FetchError> {
    let failed = |message: String| FetchError {
        not_found: false,
        message,
    };
    let program = program().map_err(failed)?;
    let output = tokio::process::Command::new(&program)
        .args(arguments(spec))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| failed(format!("cannot run {}: {e}", program.display())))?;
    match output.status.code() {
        Some(0) => {
            parse_reply(&output.stdout).map_err(|e| failed(format!("{}: {e}", shown(&program))))
        }
        Some(code) => Err(FetchError {
            not_found: code == EXIT_NOT_FOUND,
            message: match message_of(&output.stderr) {
                Some(m) if code == EXIT_FAILED || code == EXIT_NOT_FOUND => m,
                Some(m) => format!("{} exited with status {code}: {m}", shown(&program)),
                None => format!("{} exited with status {code}", shown(&program)),
            },
        }),
        None => Err(failed(format!(
            "{} was stopped by a signal{}",
            shown(&program),
            message_of(&output.stderr)
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        ))),
    }
}

/// The program as named in messages.
fn shown(program: &Path) -> String {
    format!("the {PROGRAM} helper ({})", program.display())
}

/// The helper's message: its stderr, one line, without the program's prefix; at most
/// [`MAX_MESSAGE_BYTES`].
fn message_of(stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&stderr[..stderr.len().min(MAX_MESSAGE_BYTES)]);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let joined = lines.join(" ");
    let joined = joined
        .strip_prefix(&format!("{PROGRAM}: "))
        .unwrap_or(&joined)
        .to_string();
    (!joined.is_empty()).then_some(joined)
}

/// The `credential_process` reply (field names as the AWS CLI documents them).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Reply {
    version: u32,
    access_key_id: String,
    secret_access_key: String,
    #[serde(default)]
    session_token: Option<String>,
    #[serde(default)]
    expiration: Option<String>,
}

/// Reads a `credential_process` reply. Errors name the problem and where, never the values.
pub fn parse_reply(bytes: &[u8]) -> Result<Fetched, String> {
    if bytes.len() > MAX_REPLY_BYTES {
        return Err(format!("its reply is larger than {MAX_REPLY_BYTES} bytes"));
    }
    let reply: Reply = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "its reply is not credential_process JSON (Version, AccessKeyId, \
             SecretAccessKey, SessionToken, Expiration): {} at line {}, column {}",
            match e.classify() {
                serde_json::error::Category::Io => "unreadable",
                serde_json::error::Category::Syntax => "a syntax error",
                serde_json::error::Category::Data => "a missing or mistyped field",
                serde_json::error::Category::Eof => "an unexpected end",
            },
            e.line(),
            e.column()
        )
    })?;
    if reply.version != 1 {
        return Err(format!(
            "its reply has Version {}; only 1 is known",
            reply.version
        ));
    }
    if reply.access_key_id.is_empty() || reply.secret_access_key.is_empty() {
        return Err("its reply has an empty AccessKeyId or SecretAccessKey".into());
    }
    let expires = match reply.expiration.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            OffsetDateTime::parse(text, &Rfc3339)
                .map(SystemTime::from)
                .map_err(|_| "its reply's Expiration is not an RFC 3339 time".to_string())?,
        ),
    };
    let mut credentials = Credentials::new(reply.access_key_id, reply.secret_access_key);
    if let Some(token) = reply.session_token.filter(|t| !t.is_empty()) {
        credentials = credentials.with_session_token(token);
    }
    Ok(Fetched {
        scrubber: Scrubber::for_credentials(&credentials),
        credentials,
        expires,
    })
}

/// The `credential_process` reply for `fetched`: what the helper prints (it holds the secrets).
pub fn reply_json(fetched: &Fetched) -> String {
    let c = &fetched.credentials;
    let mut reply = serde_json::Map::new();
    reply.insert("Version".into(), 1.into());
    reply.insert("AccessKeyId".into(), c.access_key_id().into());
    reply.insert(
        "SecretAccessKey".into(),
        c.secret_access_key().expose().into(),
    );
    if let Some(token) = c.session_token() {
        reply.insert("SessionToken".into(), token.expose().into());
    }
    if let Some(Ok(text)) = fetched
        .expires
        .map(|at| OffsetDateTime::from(at).format(&Rfc3339))
    {
        reply.insert("Expiration".into(), text.into());
    }
    serde_json::Value::Object(reply).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_round_trip_and_errors_never_show_values() {
        let credentials = Credentials::new("AKIDHELPER", "s3cr3t-helper").with_session_token("tok");
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(2_000_000_000);
        let fetched = Fetched {
            scrubber: Scrubber::for_credentials(&credentials),
            credentials,
            expires: Some(at),
        };
        let json = reply_json(&fetched);
        let back = parse_reply(json.as_bytes()).unwrap();
        assert_eq!(back.credentials.access_key_id(), "AKIDHELPER");
        assert_eq!(
            back.credentials.secret_access_key().expose(),
            "s3cr3t-helper"
        );
        assert_eq!(back.credentials.session_token().unwrap().expose(), "tok");
        assert_eq!(back.expires, Some(at));

        for bad in [
            r#"{"Version":"s3cr3t-value","AccessKeyId":"a","SecretAccessKey":"b"}"#,
            r#"{"Version":1,"AccessKeyId":"a","SecretAccessKey":"s3cr3t-value","Expiration":"s3cr3t-value"}"#,
            r#"{"Version":2,"AccessKeyId":"a","SecretAccessKey":"s3cr3t-value"}"#,
            r#"{"Version":1,"AccessKeyId":"","SecretAccessKey":"s3cr3t-value"}"#,
            "s3cr3t-value",
        ] {
            let e = parse_reply(bad.as_bytes()).unwrap_err();
            assert!(!e.contains("s3cr3t"), "{e}");
            assert!(e.starts_with("its reply"), "{e}");
        }
    }

    #[test]
    fn arguments_name_the_chain() {
        let spec = ChainSpec {
            profile: "dev".into(),
            config_file: Some("/c".into()),
            credentials_file: None,
            region: "eu-west-1".into(),
            verify_tls: false,
            ca_bundle: Some("/ca.pem".into()),
        };
        let args: Vec<String> = arguments(&spec)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(
            args,
            [
                "--profile",
                "dev",
                "--region",
                "eu-west-1",
                "--config-file",
                "/c",
                "--ca-bundle",
                "/ca.pem",
                "--no-verify-ssl"
            ]
        );
    }

    #[test]
    fn messages_drop_the_prefix_and_join_lines() {
        assert_eq!(
            message_of(b"phantom-credentials: no role\n  more\n").as_deref(),
            Some("no role more")
        );
        assert_eq!(message_of(b"\n"), None);
    }
}
