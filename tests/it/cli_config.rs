//! The AWS CLI's config keys, each with a real effect on the real `phantom` binary:
//! `max_attempts` / `AWS_MAX_ATTEMPTS` and `retry_mode` / `AWS_RETRY_MODE` (attempts counted by a
//! canned failing server; the adaptive mode's rate limiter seen holding a request back after a
//! throttle), `cli_read_timeout` / `cli_connect_timeout`, `ca_bundle` against a loopback TLS
//! server, `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` / `AWS_PROFILE`, malformed files
//! (file and line named, no secret shown), and the AWS CLI reading the same config file alike.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::secrets::{make_pki, tls_server};
use crate::util::fault_server::{
    Action, FaultServer, GROUPS_XML, error_xml, http, ok_xml, phantom,
};
use crate::util::peers::peer;
use crate::util::run::{Run, TempDir, run_bounded};

const CANARY: &str = "CANARYcliConfigSecret0123456789";

/// Writes `text` as a file in `dir`, returns its path as a string.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// `phantom ARGS` against `url` with the config file `config` (AWS_CONFIG_FILE), plus `env`.
fn with_config(url: &str, config: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["--endpoint-url", url];
    all.extend_from_slice(args);
    let mut vars = vec![("AWS_CONFIG_FILE", config)];
    vars.extend_from_slice(env);
    phantom(&all, &vars)
}

fn unavailable() -> Vec<u8> {
    error_xml(
        503,
        "Service Unavailable",
        "ServiceUnavailable",
        "try later",
    )
}

/// A case of attempts: what it is, the flags, the environment, and the attempts expected.
type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)], usize);

#[test]
fn max_attempts_flag_env_profile_and_the_mode_default() {
    let dir = TempDir::new("cfg-attempts");
    let config = write(&dir.0, "config", "[default]\nmax_attempts = 4\n");
    let legacy = write(&dir.0, "legacy", "[default]\nretry_mode = legacy\n");
    let cases: [Case; 5] = [
        ("profile", &[], &[], 4),
        ("env over profile", &[], &[("AWS_MAX_ATTEMPTS", "2")], 2),
        (
            "flag over env",
            &["--max-attempts", "1"],
            &[("AWS_MAX_ATTEMPTS", "2")],
            1,
        ),
        ("legacy default", &[], &[("AWS_CONFIG_FILE", &legacy)], 5),
        (
            "AWS_RETRY_MODE over the profile",
            &[],
            &[("AWS_CONFIG_FILE", &legacy), ("AWS_RETRY_MODE", "standard")],
            3,
        ),
    ];
    for (what, flags, env, expected) in cases {
        let server = FaultServer::always(unavailable());
        let mut args = flags.to_vec();
        args.extend(["domain", "list"]);
        let run = with_config(&server.url(), &config, &args, env);
        assert_ne!(run.code, 0, "{what}: {run:?}");
        assert!(run.stderr.contains("ServiceUnavailable"), "{what}: {run:?}");
        assert_eq!(server.requests().len(), expected, "{what}: {run:?}");
    }
}

#[test]
fn legacy_mode_retries_429_and_standard_does_not() {
    let too_many = || error_xml(429, "Too Many Requests", "TooManyRequests", "slow");
    let dir = TempDir::new("cfg-legacy");
    let config = write(&dir.0, "config", "[default]\nmax_attempts = 3\n");
    for (mode, expected) in [("standard", 1), ("legacy", 3)] {
        let server = FaultServer::always(too_many());
        let run = with_config(
            &server.url(),
            &config,
            &["domain", "list"],
            &[("AWS_RETRY_MODE", mode)],
        );
        assert_ne!(run.code, 0, "{run:?}");
        assert_eq!(server.requests().len(), expected, "{mode}: {run:?}");
    }
}

#[test]
fn a_bad_retry_setting_names_its_file_and_line() {
    let dir = TempDir::new("cfg-badretry");
    let config = write(
        &dir.0,
        "config",
        "[default]\nregion = us-east-1\nretry_mode = turbo\nmax_attempts = many\n",
    );
    let server = FaultServer::always(ok_xml(GROUPS_XML));
    let run = with_config(&server.url(), &config, &["domain", "list"], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "`retry_mode` in profile default in {config}, line 3 is `turbo`; expected legacy, \
             standard or adaptive"
        )),
        "{}",
        run.stderr
    );
    let run = with_config(
        &server.url(),
        &config,
        &["domain", "list"],
        &[("AWS_RETRY_MODE", "adaptive")],
    );
    assert!(
        run.stderr.contains(&format!(
            "`max_attempts` in profile default in {config}, line 4 must be a number from 1 to \
             20, not `many`"
        )),
        "{}",
        run.stderr
    );
    let run = with_config(
        &server.url(),
        &config,
        &["domain", "list"],
        &[("AWS_RETRY_MODE", "Sideways")],
    );
    assert!(
        run.stderr.contains("AWS_RETRY_MODE is `Sideways`"),
        "{}",
        run.stderr
    );
    assert!(
        server.requests().is_empty(),
        "nothing sent on a bad setting"
    );
}

/// The adaptive mode's rate limiter: off until a throttling error, then the next request waits
/// for a token (seen in the `--debug` trace, in order); the standard mode never holds one back.
#[test]
fn adaptive_mode_holds_the_request_after_a_throttle_back() {
    let throttle_once = || {
        FaultServer::start(|_, index| {
            if index == 0 {
                Action::Reply(error_xml(400, "Bad Request", "Throttling", "Rate exceeded"))
            } else {
                Action::Reply(ok_xml(GROUPS_XML))
            }
        })
    };
    let dir = TempDir::new("cfg-adaptive");
    let config = write(&dir.0, "config", "[default]\nretry_mode = adaptive\n");
    let server = throttle_once();
    let run = with_config(&server.url(), &config, &["--debug", "domain", "list"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("web\n"), "{}", run.stdout);
    assert_eq!(server.requests().len(), 2);
    let failed = run
        .stderr
        .find("attempt 1 of 3 failed (")
        .expect("the throttle is retried");
    let held = run
        .stderr
        .find("client-side rate limit (adaptive retry mode")
        .unwrap_or_else(|| panic!("no rate limiting: {}", run.stderr));
    assert!(failed < held, "{}", run.stderr);
    assert_eq!(run.stderr.matches("client-side rate limit").count(), 1);

    // Standard mode: the same replies, no request held back.
    let server = throttle_once();
    let run = with_config(
        &server.url(),
        &config,
        &["--debug", "domain", "list"],
        &[("AWS_RETRY_MODE", "standard")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(server.requests().len(), 2);
    assert!(
        !run.stderr.contains("client-side rate limit"),
        "{}",
        run.stderr
    );
}

#[test]
fn read_timeout_from_the_profile_and_the_flag_over_it() {
    let dir = TempDir::new("cfg-timeout");
    let one = write(
        &dir.0,
        "one",
        "[default]\ncli_read_timeout = 1\nmax_attempts = 1\n",
    );
    let none = write(
        &dir.0,
        "none",
        "[default]\ncli_read_timeout = 0\ncli_connect_timeout = 0\nmax_attempts = 1\n",
    );
    for (what, config, flags) in [
        ("profile", &one, &[][..]),
        (
            "AWS CLI flag over a profile's 0",
            &none,
            &["--cli-read-timeout", "1"][..],
        ),
    ] {
        let server = FaultServer::start(|_, _| Action::Stall);
        let mut args = flags.to_vec();
        args.extend(["domain", "list"]);
        let run = with_config(&server.url(), config, &args, &[]);
        assert_eq!(run.code, 3, "{what}: {run:?}");
        assert!(
            run.stderr
                .contains("read timeout: the server stopped sending"),
            "{what}: {}",
            run.stderr
        );
        assert_eq!(server.requests().len(), 1, "{what}");
    }
    // A reply slower than a second passes when the profile says 0 (no limit)... and the library
    // says so too: 0 is no timeout at all.
    let server = FaultServer::start(|_, _| {
        std::thread::sleep(Duration::from_millis(1500));
        Action::Reply(ok_xml(GROUPS_XML))
    });
    let run = with_config(&server.url(), &none, &["domain", "list"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let env = phantom_autoscale::config::MapEnvironment::new()
        .with("AWS_CONFIG_FILE", &none)
        .with("AWS_ACCESS_KEY_ID", "AKID")
        .with("AWS_SECRET_ACCESS_KEY", "s");
    let resolved = phantom_autoscale::config::resolve(&Default::default(), &env).expect("resolves");
    assert_eq!(resolved.connection.read_timeout, Duration::MAX);
    assert_eq!(resolved.connection.connect_timeout, Duration::MAX);

    let bad = write(&dir.0, "bad", "[default]\n\ncli_connect_timeout = 2.5s\n");
    let run = with_config(&server.url(), &bad, &["domain", "list"], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "`cli_connect_timeout` in profile default in {bad}, line 3 must be a whole number of \
             seconds (0 for no limit), not `2.5s`"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn ca_bundle_in_the_profile_trusts_a_ca_and_aws_ca_bundle_wins() {
    let pki = make_pki();
    let dir = TempDir::new("cfg-ca");
    let ca = write(&dir.0, "ca.pem", &pki.ca_pem);
    let (url, served) = tls_server(&pki);
    let config = write(&dir.0, "config", &format!("[default]\nca_bundle = {ca}\n"));
    let run = with_config(&url, &config, &["domain", "list"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("web\n"), "{}", run.stdout);
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 1);

    // `~/` is the home directory, as in the AWS CLI.
    let home = TempDir::new("cfg-ca-home");
    std::fs::write(home.0.join("ca.pem"), &pki.ca_pem).unwrap();
    let tilde = write(&dir.0, "tilde", "[default]\nca_bundle = ~/ca.pem\n");
    let run = crate::util::run::Phantom::new(&["--endpoint-url", &url, "domain", "list"])
        .home(&home.0)
        .envs(&[
            ("AWS_CONFIG_FILE", tilde.as_str()),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ])
        .run();
    assert_eq!(run.code, 0, "{run:?}");

    // AWS_CA_BUNDLE comes before the profile: a file that is not PEM is refused, named.
    let junk = write(&dir.0, "junk.pem", "not a certificate\n");
    let run = with_config(
        &url,
        &config,
        &["domain", "list"],
        &[("AWS_CA_BUNDLE", &junk)],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("CA bundle"), "{}", run.stderr);
    // Without a bundle the test CA is unknown.
    let plain = write(&dir.0, "plain", "[default]\nregion = us-east-1\n");
    let run = with_config(&url, &plain, &["domain", "list"], &[]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("UnknownIssuer"), "{}", run.stderr);
}

/// Runs `phantom domain list` with these files as the shared files; never any key in the env.
fn with_files(credentials: &str, config: &str, env: &[(&str, &str)]) -> Run {
    let mut vars = vec![
        ("AWS_SHARED_CREDENTIALS_FILE", credentials),
        ("AWS_CONFIG_FILE", config),
    ];
    vars.extend_from_slice(env);
    crate::util::run::Phantom::new(&["--endpoint-url", "http://127.0.0.1:9", "domain", "list"])
        .envs(&vars)
        .run()
}

#[test]
fn malformed_files_name_the_file_and_line_and_never_a_secret() {
    let dir = TempDir::new("cfg-malformed");
    let config = write(&dir.0, "config", "[default]\nregion = us-east-1\n");
    let cases = [
        (
            "a secret pasted alone",
            format!("[default]\naws_access_key_id = AKID\n{CANARY}\n"),
            3,
            "expected `key = value`",
        ),
        (
            "a repeated key",
            format!(
                "[default]\naws_secret_access_key = {CANARY}\naws_secret_access_key = {CANARY}x\n"
            ),
            3,
            "already set on line 2",
        ),
        (
            "a repeated section",
            format!("[default]\naws_secret_access_key = {CANARY}\n\n[default]\n"),
            4,
            "repeats the one on line 1",
        ),
        (
            "a header without its bracket",
            format!("# keys\n[default\naws_secret_access_key = {CANARY}\n"),
            2,
            "missing its closing `]`",
        ),
        (
            "a key before any section",
            format!("aws_secret_access_key = {CANARY}\n"),
            1,
            "outside any `[section]`",
        ),
    ];
    for (what, text, line, words) in cases {
        let credentials = write(&dir.0, "credentials", &text);
        let run = with_files(&credentials, &config, &[]);
        assert_eq!(run.code, 2, "{what}: {run:?}");
        assert!(
            run.stderr
                .contains(&format!("{credentials}, line {line}: ")),
            "{what}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(words), "{what}: {}", run.stderr);
        assert!(
            !run.stderr.to_lowercase().contains(&CANARY.to_lowercase()),
            "{what}: {}",
            run.stderr
        );
        assert_eq!(run.stdout, "", "{what}");
    }
    // The config file too, and the profile AWS_PROFILE names.
    let credentials = write(&dir.0, "credentials", "[default]\n");
    let bad = write(
        &dir.0,
        "bad-config",
        "[profile p]\nregion = a\nregion = b\n",
    );
    let run = with_files(&credentials, &bad, &[("AWS_PROFILE", "p")]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!("{bad}, line 3: ")),
        "{}",
        run.stderr
    );
    let run = with_files(&credentials, &config, &[("AWS_PROFILE", "nope")]);
    assert!(
        run.stderr
            .contains("profile `nope` (from AWS_PROFILE) not found")
            && run.stderr.contains(&config)
            && run.stderr.contains(&credentials),
        "{}",
        run.stderr
    );
}

/// The profile's settings, in the files the variables name, against a server that records what
/// reaches it: region (in the signature's scope), `[services]` endpoint, `output`.
#[test]
fn config_and_credentials_files_from_the_variables_set_region_endpoint_and_output() {
    let server = FaultServer::always(ok_xml(GROUPS_XML));
    let dir = TempDir::new("cfg-files");
    let (config, credentials) = parity_files(&dir.0, &server.url());
    let run = crate::util::run::Phantom::new(&["domain", "list"])
        .envs(&[
            ("AWS_CONFIG_FILE", config.as_str()),
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.as_str()),
            ("AWS_PROFILE", "parity"),
        ])
        .run();
    assert_eq!(run.code, 0, "{run:?}");
    // `output = text`: the AWS CLI's text of the reply, not the seed's lines.
    assert!(
        run.stdout.starts_with("AUTOSCALINGGROUPS\t"),
        "{}",
        run.stdout
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let authorization = requests[0].header("authorization").unwrap_or_default();
    assert!(
        authorization.contains("Credential=AKIDPARITY/")
            && authorization.contains("/eu-west-3/autoscaling/aws4_request"),
        "{authorization}"
    );
}

/// A profile `parity` in eu-west-3, printing text, whose `[services]` section sends Auto Scaling
/// to `url`; its keys in the credentials file. Returns (config, credentials).
fn parity_files(dir: &Path, url: &str) -> (String, String) {
    let config = write(
        dir,
        "config",
        &format!(
            "[default]\nregion = us-west-1\n\n[profile parity]\nregion = eu-west-3\n\
             output = text\nservices = local\nmax_attempts = 2\n\n[services local]\n\
             auto_scaling =\n  endpoint_url = {url}\n"
        ),
    );
    let credentials = write(
        dir,
        "credentials",
        &format!("[parity]\naws_access_key_id = AKIDPARITY\naws_secret_access_key = {CANARY}\n"),
    );
    (config, credentials)
}

/// The AWS CLI reads the same files alike: the same endpoint, region, output and attempts.
#[test]
fn the_aws_cli_reads_the_same_config_file_alike() {
    let aws_bin = PathBuf::from(peer("PHANTOM_TEST_AWS"));
    let ok = FaultServer::always(ok_xml(GROUPS_XML));
    let failing = FaultServer::always(unavailable());
    for (server, args) in [
        (&ok, &["describe-auto-scaling-groups"][..]),
        (&failing, &["describe-auto-scaling-groups"][..]),
    ] {
        let dir = TempDir::new("cfg-parity");
        let (config, credentials) = parity_files(&dir.0, &server.url());
        let vars = [
            ("AWS_CONFIG_FILE", config.as_str()),
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.as_str()),
            ("AWS_PROFILE", "parity"),
        ];
        let mut aws = Command::new(&aws_bin);
        aws.arg("autoscaling")
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &dir.0);
        for (k, v) in vars {
            aws.env(k, v);
        }
        let theirs = run_bounded(aws);
        let after_theirs = server.requests().len();
        let ours = crate::util::run::Phantom::new(&["api", "DescribeAutoScalingGroups"])
            .envs(&vars)
            .env("PHANTOM_RETRY_BASE_MS", "10")
            .run();
        let requests = server.requests();
        assert_eq!(
            requests.len(),
            2 * after_theirs,
            "as many attempts: {theirs:?} {ours:?}"
        );
        assert_eq!(theirs.code == 0, ours.code == 0, "{theirs:?} {ours:?}");
        if theirs.code == 0 {
            assert_eq!(ours.stdout, theirs.stdout, "the profile's `output = text`");
        } else {
            assert_eq!(after_theirs, 2, "max_attempts = 2: {theirs:?}");
        }
        let scopes: Vec<String> = requests
            .iter()
            .map(|r| {
                let a = r.header("authorization").unwrap_or_default();
                a.split("Credential=")
                    .nth(1)
                    .and_then(|c| c.split(',').next())
                    .map(|c| c.split('/').skip(2).collect::<Vec<_>>().join("/"))
                    .unwrap_or_default()
            })
            .collect();
        assert!(
            scopes
                .iter()
                .all(|s| s == "eu-west-3/autoscaling/aws4_request"),
            "{scopes:?}"
        );
    }
}

/// A server's `Retry-After` is waited for within the profile's `max_attempts`.
#[test]
fn retry_after_is_honoured_within_the_profile_attempts() {
    let server = FaultServer::start(|_, index| {
        if index == 0 {
            Action::Reply(http(
                503,
                "Service Unavailable",
                &[("Retry-After", "0"), ("Content-Type", "text/xml")],
                "<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>x</Message>\
                 </Error></ErrorResponse>",
            ))
        } else {
            Action::Reply(ok_xml(GROUPS_XML))
        }
    });
    let dir = TempDir::new("cfg-retry-after");
    let config = write(&dir.0, "config", "[default]\nmax_attempts = 2\n");
    let run = with_config(&server.url(), &config, &["--debug", "domain", "list"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("attempt 1 of 2 failed"),
        "{}",
        run.stderr
    );
    assert_eq!(server.requests().len(), 2);
}
