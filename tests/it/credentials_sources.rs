//! Every credential source the AWS SDKs have, end to end through the `phantom` binary: a test's
//! own `HOME` (with `~/.aws/config`, token files and the SSO token cache), the source's server on
//! 127.0.0.1, and the signed Auto Scaling call.
//!
//! - STS (AssumeRole with a `source_profile` chain and `external_id`, AssumeRoleWithWebIdentity
//!   from the environment and from a profile) is moto's, reached through `AWS_ENDPOINT_URL_STS`;
//!   moto hands out arbitrary keys, so the Auto Scaling call goes to moto's Auto Scaling too, and
//!   the test checks the assumed role's key id in the `--debug` trace and the role, session name
//!   and external id moto recorded (`/moto-api/data.json`);
//! - `credential_process`, container credentials, IMDSv2 and an IAM Identity Center portal give
//!   keys the test chose, so the call goes to a `phantom serve` that accepts only those keys: a
//!   request signed with anything else is refused. No real peer serves the container, metadata
//!   or SSO portal protocols on loopback, so those are small servers speaking them
//!   (`util::fault_server`), which record what they were asked;
//! - refresh: credentials that expire within seconds are fetched again during one long `wait`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::fault_server::{Action, FaultServer, Request, http};
use crate::util::peers::Moto;
use crate::util::run::{Phantom, Run, TempDir};
use crate::util::serve::{Served, credentials_file};

/// A fake-looking but well-formed account.
const ACCOUNT: &str = "123456789012";

/// A `HOME` with `~/.aws/config` holding `config`.
fn home_with_config(config: &str) -> TempDir {
    let home = TempDir::new("creds-home");
    write(&home.0, ".aws/config", config);
    home
}

/// Writes `text` at `dir/rel` (directories created); returns the path.
fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// An executable shell script at `dir/name`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = write(dir, name, &format!("#!/bin/sh\n{body}\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

/// `phantom --endpoint-url URL --dialect aws ARGS` with `HOME` = `home`, plus `env`.
fn phantom_at(url: &str, home: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["--endpoint-url", url, "--dialect", "aws"];
    all.extend(args);
    Phantom::new(&all).home(home).envs(env).run()
}

/// A `phantom serve` accepting only `key`/`secret`, with its scratch directory.
fn server_for(key: &str, secret: &str) -> (Served, TempDir) {
    let dir = TempDir::new("creds-keys");
    let keys = credentials_file(&dir.0, &[("only", key, secret)]);
    (Served::start(&["--credentials", &keys]), dir)
}

/// The access key ids in the `--debug` trace's `Authorization` headers.
fn signed_key_ids(stderr: &str) -> Vec<String> {
    stderr
        .split("Credential=")
        .skip(1)
        .filter_map(|rest| rest.split('/').next().map(str::to_string))
        .collect()
}

/// A JSON reply.
fn json_reply(body: &str) -> Action {
    Action::Reply(http(
        200,
        "OK",
        &[("Content-Type", "application/json")],
        body,
    ))
}

/// The request line's method and target (`GET /path?query`).
fn request_line(r: &Request) -> (String, String) {
    let mut words = r.head.lines().next().unwrap_or("").split_whitespace();
    let method = words.next().unwrap_or("").to_string();
    let target = words.next().unwrap_or("").to_string();
    (method, target)
}

// ---- credential_process ------------------------------------------------------------------------

#[test]
fn credential_process_signs_with_the_process_keys() {
    let (served, _keys) = server_for("AKPROCESS", "process-secret");
    let home = TempDir::new("creds-process");
    let calls = home.0.join("calls");
    let good = script(
        &home.0,
        "good.sh",
        &format!(
            "echo run >> '{}'\nprintf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"AKPROCESS\", \
             \"SecretAccessKey\": \"process-secret\", \"SessionToken\": \"process-token-1\", \
             \"Expiration\": \"2099-01-01T00:00:00Z\"}}'",
            calls.display()
        ),
    );
    let wrong = script(
        &home.0,
        "wrong.sh",
        "printf '%s' '{\"Version\": 1, \"AccessKeyId\": \"AKPROCESS\", \"SecretAccessKey\": \"not-it\"}'",
    );
    let failing = script(
        &home.0,
        "failing.sh",
        "echo 'cannot reach the vault' >&2\nexit 3",
    );
    write(
        &home.0,
        ".aws/config",
        &format!(
            "[default]\ncredential_process = {}\n\n[profile wrong]\ncredential_process = {}\n\n\
             [profile failing]\ncredential_process = {}\n",
            good.display(),
            wrong.display(),
            failing.display()
        ),
    );
    let run = phantom_at(&served.url, &home.0, &["--debug", "domain", "list"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(signed_key_ids(&run.stderr), ["AKPROCESS"], "{run:?}");
    assert!(run.stderr.contains("credential_process"), "{run:?}");
    assert!(!run.stderr.contains("process-token-1"), "{run:?}");
    // Fetched once for the run, however many requests it sends.
    assert_eq!(std::fs::read_to_string(&calls).unwrap().lines().count(), 1);

    // The server checks the signature: the wrong secret is refused.
    let run = phantom_at(
        &served.url,
        &home.0,
        &["--profile", "wrong", "domain", "list"],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    // A failing process is a configuration error naming the profile.
    let run = phantom_at(
        &served.url,
        &home.0,
        &["--profile", "failing", "domain", "list"],
        &[],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("profile failing") && run.stderr.contains("credential_process"),
        "{run:?}"
    );
}

// ---- STS: AssumeRole and AssumeRoleWithWebIdentity (moto) --------------------------------------

/// moto's recorded assumed roles: (role ARN, session name, external id, access key id).
fn assumed_roles(moto: &Moto) -> Vec<(String, String, String, String)> {
    let text = http_get(&format!("{}/moto-api/data.json", moto.url));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let mut out = Vec::new();
    for role in doc["sts"]["AssumedRole"].as_array().into_iter().flatten() {
        let s = |k: &str| role[k].as_str().unwrap_or("").to_string();
        out.push((
            s("role_arn"),
            s("session_name"),
            s("external_id"),
            s("access_key_id"),
        ));
    }
    out
}

/// A GET with the standard library only (the test needs one JSON document).
fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or(("", ""));
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    }
}

/// A chunked body, joined.
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

#[test]
fn assume_role_chain_with_external_id_against_moto_sts() {
    let moto = Moto::start(&[]);
    let home = home_with_config(&format!(
        "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n\
         region = us-east-1\n\n\
         [profile middle]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/middle\nsource_profile = base\n\
         external_id = ext-middle-7\n\n\
         [profile top]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/top\nsource_profile = middle\n\
         role_session_name = top-session\nduration_seconds = 1800\nregion = us-east-1\n"
    ));
    let env = [("AWS_ENDPOINT_URL_STS", moto.url.as_str())];
    let run = phantom_at(
        &moto.url,
        &home.0,
        &["--profile", "top", "--debug", "domain", "list"],
        &env,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let roles = assumed_roles(&moto);
    let middle = roles
        .iter()
        .find(|r| r.0.ends_with("role/middle"))
        .unwrap_or_else(|| panic!("{roles:?}"));
    let top = roles
        .iter()
        .find(|r| r.0.ends_with("role/top"))
        .unwrap_or_else(|| panic!("{roles:?}"));
    assert_eq!(middle.2, "ext-middle-7", "{roles:?}");
    assert_eq!(top.1, "top-session", "{roles:?}");
    // The Auto Scaling call was signed with the last role's key, not the base profile's.
    let signed = signed_key_ids(&run.stderr);
    assert!(!signed.is_empty(), "{run:?}");
    assert!(signed.iter().all(|k| *k == top.3), "{signed:?} {roles:?}");
    assert!(!run.stderr.contains("AKIDBASE/"), "{run:?}");
}

#[test]
fn web_identity_from_environment_and_profile_against_moto_sts() {
    let moto = Moto::start(&[]);
    let home = TempDir::new("creds-web");
    let token = write(
        &home.0,
        "token.jwt",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0.\n",
    );
    let token = token.display().to_string();
    write(
        &home.0,
        ".aws/config",
        &format!(
            "[profile federated]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/from-profile\n\
             web_identity_token_file = {token}\nrole_session_name = profile-session\n"
        ),
    );
    let role = format!("arn:aws:iam::{ACCOUNT}:role/from-env");
    let run = phantom_at(
        &moto.url,
        &home.0,
        &["--debug", "domain", "list"],
        &[
            ("AWS_ENDPOINT_URL_STS", moto.url.as_str()),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", token.as_str()),
            ("AWS_ROLE_ARN", role.as_str()),
            ("AWS_ROLE_SESSION_NAME", "env-session"),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("AWS_WEB_IDENTITY_TOKEN_FILE"),
        "{run:?}"
    );
    let run2 = phantom_at(
        &moto.url,
        &home.0,
        &["--profile", "federated", "--debug", "domain", "list"],
        &[("AWS_ENDPOINT_URL_STS", moto.url.as_str())],
    );
    assert_eq!(run2.code, 0, "{run2:?}");
    let roles = assumed_roles(&moto);
    for (suffix, session, run) in [
        ("role/from-env", "env-session", &run),
        ("role/from-profile", "profile-session", &run2),
    ] {
        let r = roles
            .iter()
            .find(|r| r.0.ends_with(suffix))
            .unwrap_or_else(|| panic!("{suffix}: {roles:?}"));
        assert_eq!(r.1, session, "{roles:?}");
        let signed = signed_key_ids(&run.stderr);
        assert!(
            !signed.is_empty() && signed.iter().all(|k| *k == r.3),
            "{signed:?} {roles:?}"
        );
    }
}

// ---- mfa_serial: the code asked for on the terminal -------------------------------------------

/// An STS that grants the role only with the MFA device's serial and the right code. moto's STS
/// accepts any AssumeRole and does not record `SerialNumber` or `TokenCode`, so this check needs
/// a server of the test's own.
fn mfa_sts(serial: &'static str, code: &'static str) -> FaultServer {
    FaultServer::start(move |r, _| {
        let granted = r.action() == "AssumeRole"
            && r.param("SerialNumber").as_deref() == Some(serial)
            && r.param("TokenCode").as_deref() == Some(code)
            && r.param("ExternalId").as_deref() == Some("ext-mfa");
        if granted {
            Action::Reply(http(
                200,
                "OK",
                &[("Content-Type", "text/xml")],
                "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                 <AssumeRoleResult><Credentials><AccessKeyId>AKMFA</AccessKeyId>\
                 <SecretAccessKey>mfa-secret</SecretAccessKey><SessionToken>mfa-token\
                 </SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>\
                 <AssumedRoleUser><AssumedRoleId>AROAMFA:s</AssumedRoleId>\
                 <Arn>arn:aws:sts::123456789012:assumed-role/admin/s</Arn></AssumedRoleUser>\
                 </AssumeRoleResult><ResponseMetadata><RequestId>r-mfa</RequestId>\
                 </ResponseMetadata></AssumeRoleResponse>",
            ))
        } else {
            Action::Reply(crate::util::fault_server::error_xml(
                403,
                "Forbidden",
                "AccessDenied",
                "MultiFactorAuthentication failed",
            ))
        }
    })
}

#[test]
fn mfa_serial_asks_for_the_code_on_the_terminal() {
    const SERIAL: &str = "arn:aws:iam::123456789012:mfa/dev";
    let (served, _keys) = server_for("AKMFA", "mfa-secret");
    let sts = mfa_sts(SERIAL, "123456");
    let home = home_with_config(&format!(
        "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n\n\
         [profile admin]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/admin\nsource_profile = base\n\
         mfa_serial = {SERIAL}\nexternal_id = ext-mfa\n"
    ));
    let sts_url = sts.url();
    let command = |runner: &str, runner_args: &[&str]| {
        let mut c = std::process::Command::new(runner);
        c.args(runner_args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home.0)
            .env("AWS_ENDPOINT_URL_STS", &sts_url);
        c
    };
    let phantom = env!("CARGO_BIN_EXE_phantom");
    let line = format!(
        "'{phantom}' --endpoint-url {} --dialect aws --profile admin --debug domain list",
        served.url
    );
    // On a terminal (`script` gives the run one): the prompt, then the code typed.
    let run = crate::util::run::run_bounded_with(
        command("script", &["-qec", &line, "/dev/null"]),
        Some(b"123456\n".to_vec()),
        crate::util::run::LIFETIME,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("Enter MFA code for {SERIAL}: ")),
        "{run:?}"
    );
    assert_eq!(signed_key_ids(&run.stdout), ["AKMFA"], "{run:?}");
    assert_eq!(sts.count("AssumeRole"), 1);
    // No terminal (a new session without one): a clear error, and STS is not called.
    let run = crate::util::run::run_bounded_with(
        command(
            "setsid",
            &[
                "-w",
                phantom,
                "--endpoint-url",
                &served.url,
                "--dialect",
                "aws",
                "--profile",
                "admin",
                "domain",
                "list",
            ],
        ),
        None,
        crate::util::run::LIFETIME,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("needs an MFA code"), "{run:?}");
    assert_eq!(sts.count("AssumeRole"), 1);
}

// ---- IAM Identity Center (SSO) -----------------------------------------------------------------

/// The SSO token cache file name of a session name or start URL (`aws sso login`'s).
fn sso_cache_name(key: &str) -> String {
    use sha1::Digest;
    format!("{}.json", hex::encode(sha1::Sha1::digest(key.as_bytes())))
}

/// A loopback IAM Identity Center portal: `GET /federation/credentials` with the bearer token
/// gives the role's keys (expiration in epoch milliseconds).
fn sso_portal(token: &'static str, key: &'static str, secret: &'static str) -> FaultServer {
    FaultServer::start(move |r, _| {
        let (method, target) = request_line(r);
        let authorized = r.header("x-amz-sso_bearer_token").as_deref() == Some(token);
        if method == "GET"
            && target.starts_with("/federation/credentials")
            && target.contains("account_id=111122223333")
            && target.contains("role_name=ReadOnly")
            && authorized
        {
            json_reply(&format!(
                "{{\"roleCredentials\": {{\"accessKeyId\": \"{key}\", \"secretAccessKey\": \
                 \"{secret}\", \"sessionToken\": \"sso-session-token-1\", \"expiration\": \
                 4070908800000}}}}"
            ))
        } else {
            Action::Reply(http(
                401,
                "Unauthorized",
                &[("Content-Type", "application/json")],
                "{\"message\": \"Session token not found or invalid\"}",
            ))
        }
    })
}

#[test]
fn sso_session_and_legacy_profiles_use_the_token_cache() {
    const TOKEN: &str = "sso-access-token-canary-42";
    let (served, _keys) = server_for("AKSSO", "sso-secret");
    let portal = sso_portal(TOKEN, "AKSSO", "sso-secret");
    let start_url = "https://corp.awsapps.com/start";
    let home = home_with_config(&format!(
        "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\n\
         sso_role_name = ReadOnly\nregion = us-east-1\n\n\
         [sso-session corp]\nsso_region = us-east-1\nsso_start_url = {start_url}\n\n\
         [profile legacy]\nsso_start_url = {start_url}\nsso_region = us-east-1\n\
         sso_account_id = 111122223333\nsso_role_name = ReadOnly\n"
    ));
    let cache = format!(
        "{{\"startUrl\": \"{start_url}\", \"region\": \"us-east-1\", \"accessToken\": \
         \"{TOKEN}\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}}"
    );
    write(
        &home.0,
        &format!(".aws/sso/cache/{}", sso_cache_name("corp")),
        &cache,
    );
    write(
        &home.0,
        &format!(".aws/sso/cache/{}", sso_cache_name(start_url)),
        &cache,
    );
    let portal_url = portal.url();
    let env = [("AWS_ENDPOINT_URL_SSO", portal_url.as_str())];
    for profile in ["dev", "legacy"] {
        let run = phantom_at(
            &served.url,
            &home.0,
            &["--profile", profile, "--debug", "domain", "list"],
            &env,
        );
        assert_eq!(run.code, 0, "{profile}: {run:?}");
        assert_eq!(signed_key_ids(&run.stderr), ["AKSSO"], "{run:?}");
        assert!(!run.stderr.contains(TOKEN), "{run:?}");
    }
    assert_eq!(portal.requests().len(), 2);

    // No cached token: a clear error saying to sign in, and no call to the portal.
    let empty = home_with_config(&format!(
        "[default]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n\n\
         [sso-session corp]\nsso_region = us-east-1\nsso_start_url = {start_url}\n"
    ));
    let run = phantom_at(&served.url, &empty.0, &["domain", "list"], &env);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("sso"), "{run:?}");
    assert_eq!(portal.requests().len(), 2);
}

/// A loopback SSO OIDC service: `POST /token` with the cached refresh token gives a new access
/// token (`CreateToken`, grant type `refresh_token`).
fn oidc_service(refresh: &'static str, new_token: &'static str) -> FaultServer {
    FaultServer::start(move |r, _| {
        let (method, target) = request_line(r);
        let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
        if method == "POST"
            && target == "/token"
            && body["grantType"] == "refresh_token"
            && body["refreshToken"] == refresh
            && body["clientId"] == "client-1"
        {
            json_reply(&format!(
                "{{\"accessToken\": \"{new_token}\", \"expiresIn\": 3600, \"tokenType\": \
                 \"Bearer\", \"refreshToken\": \"refresh-2\"}}"
            ))
        } else {
            Action::Reply(http(
                400,
                "Bad Request",
                &[("Content-Type", "application/json")],
                "{\"error\": \"invalid_grant\"}",
            ))
        }
    })
}

#[test]
fn an_sso_token_about_to_expire_is_refreshed_and_saved() {
    const NEW_TOKEN: &str = "sso-refreshed-access-token-9";
    let (served, _keys) = server_for("AKSSO", "sso-secret");
    let portal = sso_portal(NEW_TOKEN, "AKSSO", "sso-secret");
    let oidc = oidc_service("refresh-1", NEW_TOKEN);
    let home = home_with_config(
        "[default]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n\n\
         [sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n\
         sso_registration_scopes = sso:account:access\n",
    );
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::seconds(60))
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let cache = write(
        &home.0,
        &format!(".aws/sso/cache/{}", sso_cache_name("corp")),
        &format!(
            "{{\"startUrl\": \"https://corp.awsapps.com/start\", \"region\": \"us-east-1\", \
             \"accessToken\": \"old-access-token\", \"expiresAt\": \"{soon}\", \"clientId\": \
             \"client-1\", \"clientSecret\": \"client-secret-1\", \"registrationExpiresAt\": \
             \"2099-01-01T00:00:00Z\", \"refreshToken\": \"refresh-1\"}}"
        ),
    );
    let (portal_url, oidc_url) = (portal.url(), oidc.url());
    let run = phantom_at(
        &served.url,
        &home.0,
        &["--debug", "domain", "list"],
        &[
            ("AWS_ENDPOINT_URL_SSO", portal_url.as_str()),
            ("AWS_ENDPOINT_URL_SSO_OIDC", oidc_url.as_str()),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(signed_key_ids(&run.stderr), ["AKSSO"], "{run:?}");
    assert_eq!(oidc.requests().len(), 1);
    // The new token is in the cache, as `aws sso login` would have left it.
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert_eq!(saved["accessToken"], NEW_TOKEN, "{saved}");
    assert_eq!(saved["refreshToken"], "refresh-2", "{saved}");
    assert!(!run.stderr.contains(NEW_TOKEN), "{run:?}");
}

// ---- ECS/EKS container credentials -------------------------------------------------------------

#[test]
fn container_credentials_with_an_authorization_token_file() {
    let (served, _keys) = server_for("AKCONTAINER", "container-secret");
    let endpoint = FaultServer::start(|r, _| {
        let (method, target) = request_line(r);
        if method == "GET"
            && target == "/v1/credentials"
            && r.header("authorization").as_deref() == Some("container-auth-token")
        {
            json_reply(
                "{\"AccessKeyId\": \"AKCONTAINER\", \"SecretAccessKey\": \"container-secret\", \
                 \"Token\": \"container-session-token\", \"Expiration\": \"2099-01-01T00:00:00Z\"}",
            )
        } else {
            Action::Reply(http(403, "Forbidden", &[], "{}"))
        }
    });
    let home = TempDir::new("creds-container");
    // As EKS writes it: the token alone, no line end (the SDKs send the file as it is).
    let token = write(&home.0, "token", "container-auth-token");
    let uri = format!("{}/v1/credentials", endpoint.url().trim_end_matches('/'));
    let token = token.display().to_string();
    let run = phantom_at(
        &served.url,
        &home.0,
        &["--debug", "domain", "list"],
        &[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri.as_str()),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token.as_str()),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(signed_key_ids(&run.stderr), ["AKCONTAINER"], "{run:?}");
    assert!(
        run.stderr
            .contains("provider: AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        "{run:?}"
    );
    assert_eq!(endpoint.requests().len(), 1);
    // The token as a variable works too; a wrong one is refused by the endpoint: exit 2.
    let run = phantom_at(
        &served.url,
        &home.0,
        &["domain", "list"],
        &[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri.as_str()),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "not-the-token"),
        ],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("cannot get credentials"), "{run:?}");
}

// ---- EC2 instance metadata (IMDSv2) ------------------------------------------------------------

/// A loopback instance metadata service, IMDSv2 only: a session token from `PUT
/// /latest/api/token`, required on every `GET`; the role's name, then its credentials.
fn metadata_service(expiration: &'static str) -> FaultServer {
    FaultServer::start(move |r, _| {
        let (method, target) = request_line(r);
        if method == "PUT" && target == "/latest/api/token" {
            if r.header("x-aws-ec2-metadata-token-ttl-seconds").is_none() {
                return Action::Reply(http(400, "Bad Request", &[], ""));
            }
            return Action::Reply(http(
                200,
                "OK",
                &[("x-aws-ec2-metadata-token-ttl-seconds", "21600")],
                "imds-session-token",
            ));
        }
        if r.header("x-aws-ec2-metadata-token").as_deref() != Some("imds-session-token") {
            return Action::Reply(http(401, "Unauthorized", &[], ""));
        }
        match (method.as_str(), target.as_str()) {
            ("GET", "/latest/meta-data/iam/security-credentials/") => {
                Action::Reply(http(200, "OK", &[], "web-role"))
            }
            ("GET", "/latest/meta-data/iam/security-credentials/web-role") => json_reply(&format!(
                "{{\"Code\": \"Success\", \"LastUpdated\": \"2026-01-01T00:00:00Z\", \
                     \"Type\": \"AWS-HMAC\", \"AccessKeyId\": \"AKIMDS\", \"SecretAccessKey\": \
                     \"imds-secret\", \"Token\": \"imds-session-credentials-token\", \
                     \"Expiration\": \"{expiration}\"}}"
            )),
            _ => Action::Reply(http(404, "Not Found", &[], "")),
        }
    })
}

#[test]
fn imdsv2_credentials_and_metadata_disabled() {
    let (served, _keys) = server_for("AKIMDS", "imds-secret");
    let imds = metadata_service("2099-01-01T00:00:00Z");
    let home = TempDir::new("creds-imds");
    let imds_url = imds.url();
    let run = phantom_at(
        &served.url,
        &home.0,
        &["--debug", "domain", "list"],
        &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds_url.as_str())],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(signed_key_ids(&run.stderr), ["AKIMDS"], "{run:?}");
    let asked: Vec<(String, String)> = imds.requests().iter().map(request_line).collect();
    assert_eq!(
        asked.first().map(|(m, t)| (m.as_str(), t.as_str())),
        Some(("PUT", "/latest/api/token")),
        "{asked:?}"
    );
    assert!(
        asked
            .iter()
            .any(|(_, t)| t == "/latest/meta-data/iam/security-credentials/web-role"),
        "{asked:?}"
    );
    // Disabled: not asked at all, and the error says where static keys were looked for.
    let before = imds.requests().len();
    let run = phantom_at(
        &served.url,
        &home.0,
        &["domain", "list"],
        &[
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds_url.as_str()),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("no credentials found") && run.stderr.contains("AWS_ACCESS_KEY_ID"),
        "{run:?}"
    );
    assert_eq!(imds.requests().len(), before);
}

// ---- refresh during a long wait ----------------------------------------------------------------

#[test]
fn short_lived_credentials_are_fetched_again_during_a_wait() {
    let dir = TempDir::new("creds-refresh-keys");
    let keys = credentials_file(&dir.0, &[("only", "AKREFRESH", "refresh-secret")]);
    let served = Served::start(&["--credentials", &keys, "--launch-delay", "4s"]);
    let home = TempDir::new("creds-refresh");
    let calls = home.0.join("calls");
    // Each run of the process hands out keys that expire 2 s later.
    let process = script(
        &home.0,
        "short.sh",
        &format!(
            "echo run >> '{}'\nexp=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)\n\
             printf '{{\"Version\": 1, \"AccessKeyId\": \"AKREFRESH\", \"SecretAccessKey\": \
             \"refresh-secret\", \"SessionToken\": \"refresh-token\", \"Expiration\": \"%s\"}}' \
             \"$exp\"",
            calls.display()
        ),
    );
    write(
        &home.0,
        ".aws/config",
        &format!("[default]\ncredential_process = {}\n", process.display()),
    );
    let static_keys = [
        ("AWS_ACCESS_KEY_ID", "AKREFRESH"),
        ("AWS_SECRET_ACCESS_KEY", "refresh-secret"),
    ];
    for args in [
        &["lc", "create", "lc", "ami-1"][..],
        &["domain", "create", "web", "lc", "1", "--min", "1"][..],
    ] {
        let run = phantom_at(&served.url, &home.0, args, &static_keys);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
    }
    assert!(!calls.exists(), "static keys never run the process");
    let run = phantom_at(
        &served.url,
        &home.0,
        &["wait", "in-service", "web", "--timeout", "40s"],
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let fetches = std::fs::read_to_string(&calls).unwrap().lines().count();
    assert!(fetches >= 2, "fetched {fetches} time(s) during the wait");
}

// ---- The phantom-credentials helper ------------------------------------------------------------

/// The helper binary cargo built beside `phantom`.
const HELPER: &str = env!("CARGO_BIN_EXE_phantom-credentials");

/// How often `needle` occurs in the read-only data the loader maps from the program at `path`
/// (its `.rodata`, copied out with binutils' `objcopy`; debug information is not loaded, and it
/// names crates whose code was left out).
fn occurrences_in_rodata(path: &str, needle: &str) -> usize {
    let dir = TempDir::new("rodata");
    let out = dir.0.join("rodata");
    let copied = std::process::Command::new("objcopy")
        .args(["-O", "binary", "--only-section=.rodata", path])
        .arg(&out)
        .status()
        .expect("objcopy (binutils) runs");
    assert!(copied.success(), "objcopy {path}");
    let grep = std::process::Command::new("grep")
        .args(["-c", "-a", "-F", needle])
        .arg(&out)
        .output()
        .expect("grep runs");
    String::from_utf8_lossy(&grep.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

#[test]
fn phantom_does_not_link_the_sdk_crates_and_the_helper_does() {
    // The static-key path's start-up cost is the reason for the helper: the SDK crates' code
    // and tables must not be in `phantom` (their source paths are in the panic locations of
    // every binary that links them).
    let phantom = env!("CARGO_BIN_EXE_phantom");
    for crate_name in [
        "aws-config-1.",
        "aws-sdk-sts-1.",
        "aws-sdk-sso-1.",
        "aws-sdk-ssooidc-1.",
    ] {
        assert_eq!(
            occurrences_in_rodata(phantom, crate_name),
            0,
            "phantom links {crate_name}"
        );
    }
    for crate_name in ["aws-config-1.", "aws-sdk-sts-1."] {
        assert!(
            occurrences_in_rodata(HELPER, crate_name) > 0,
            "the helper lacks {crate_name}"
        );
    }
}

#[test]
fn the_helper_speaks_credential_process_to_phantom_and_to_the_aws_cli() {
    let (served, _keys) = server_for("AKHELPER", "helper-secret");
    let home = TempDir::new("creds-helper");
    let inner = script(
        &home.0,
        "inner.sh",
        "printf '%s' '{\"Version\": 1, \"AccessKeyId\": \"AKHELPER\", \
         \"SecretAccessKey\": \"helper-secret\", \"SessionToken\": \"helper-token\", \
         \"Expiration\": \"2099-01-01T00:00:00Z\"}'",
    );
    write(
        &home.0,
        ".aws/config",
        &format!(
            "[profile inner]\ncredential_process = {}\n\n[profile outer]\n\
             credential_process = {HELPER} --profile inner\n",
            inner.display()
        ),
    );
    let env = |cmd: &mut std::process::Command| {
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home.0)
            .env("AWS_EC2_METADATA_DISABLED", "true");
    };

    // Run directly: the JSON on stdout, the secrets only there.
    let mut cmd = std::process::Command::new(HELPER);
    cmd.args(["--profile", "inner", "--region", "eu-west-1"]);
    env(&mut cmd);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let reply: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reply["Version"], 1);
    assert_eq!(reply["AccessKeyId"], "AKHELPER");
    assert_eq!(reply["SessionToken"], "helper-token");
    assert_eq!(reply["Expiration"], "2099-01-01T00:00:00Z");
    assert!(out.stderr.is_empty(), "{out:?}");

    // As the AWS CLI's credential_process: the AWS CLI signs with the helper's keys, and the
    // server (which accepts only those) answers.
    let mut cmd = std::process::Command::new(crate::util::peers::peer("PHANTOM_TEST_AWS"));
    cmd.args([
        "autoscaling",
        "describe-auto-scaling-groups",
        "--profile",
        "outer",
        "--endpoint-url",
        &served.url,
        "--region",
        "us-east-1",
    ]);
    env(&mut cmd);
    let run = crate::util::run::run_bounded(cmd);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("AutoScalingGroups"), "{run:?}");

    // And phantom through a profile whose credential_process is the helper (two helpers deep).
    let run = phantom_at(
        &served.url,
        &home.0,
        &["--profile", "outer", "--debug", "domain", "list"],
        &[("AWS_EC2_METADATA_DISABLED", "true")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(signed_key_ids(&run.stderr), ["AKHELPER"], "{run:?}");
    assert!(!run.stderr.contains("helper-secret") && !run.stderr.contains("helper-token"));
}

#[test]
fn the_helper_says_when_nothing_has_credentials_and_phantom_when_it_is_missing() {
    let home = TempDir::new("creds-helper-none");
    let mut cmd = std::process::Command::new(HELPER);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home.0)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("phantom-credentials: "), "{stderr}");

    // phantom with a provider profile and no helper to run: a configuration error naming it.
    let (served, _keys) = server_for("AKNEVER", "never-secret");
    let home = home_with_config("[default]\ncredential_process = /bin/false\n");
    let run = phantom_at(
        &served.url,
        &home.0,
        &["domain", "list"],
        &[(
            "PHANTOM_CREDENTIALS_HELPER",
            "/nonexistent/phantom-credentials",
        )],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("cannot run /nonexistent/phantom-credentials"),
        "{run:?}"
    );
}
