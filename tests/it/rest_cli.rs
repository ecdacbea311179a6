//! The `phantom` binary over the REST API, against a canned-bytes server replaying the genuine
//! server's replies: the seed's session prints what the seed's REST scripts print and sends the
//! calls the genuine client sent; `login` stores a 0600 token file; tokens, passwords and site
//! secret keys never appear in stdout, stderr, `--debug` traces or any file but the token file.

use crate::util::rest::{Replay, TempDir, phantom, recorded_request};

const TOKEN: &str = "7at-73e6fd8abe70ed781138";
const BASIC: &str = "MTo3YXQtNzNlNmZkOGFiZTcwZWQ3ODExMzg";
const DOMAIN_ID: &str = "a7c60943-d929-4781-a80c-a1a903aed6fc";

fn expected_lines(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| recorded_request(n).0).collect()
}

#[test]
fn seed_session_over_rest_prints_as_the_seed_scripts() {
    let steps: &[(&[&str], &[&str], &str)] = &[
        (
            &["lc", "create", "testlc1", "hello-phantom.gz", "hotel"],
            &["26_lc_post"],
            "LC created with id yVlhH\n",
        ),
        (&["lc", "list"], &["28_lc_list"], "testlc1\n"),
        (
            &["domain", "create", "testDomain1", "testlc1", "1"],
            &["35_domain_post"],
            "",
        ),
        (
            &["domain", "list"],
            &["41_domains_list", "44_domain_instances"],
            "testDomain1\n\ttestlc1 : 1\n\tInstances:\n\t---------\n\t\thotel : 600-RUNNING\n",
        ),
        (
            &["domain", "alter", "testDomain1", "3"],
            &["41_domains_list", "42_domain_get", "48_domain_put"],
            "",
        ),
        (
            &[
                "instances",
                "terminate",
                "866cbcdd-79cf-4e95-b727-505f380f8b28",
                "--decrement",
            ],
            &[
                "41_domains_list",
                "50_domain_instances_after_put",
                "51_domain_instance_delete",
            ],
            "terminating 866cbcdd-79cf-4e95-b727-505f380f8b28\n",
        ),
        (
            &["domain", "delete", "testDomain1"],
            &["41_domains_list", "66_domain_delete"],
            "deleting a7c60943-d929-4781-a80c-a1a903aed6fc\n",
        ),
        (
            &["lc", "delete", "testlc1"],
            &["28_lc_list", "70_lc_delete"],
            "",
        ),
    ];
    let script: Vec<&str> = steps.iter().flat_map(|s| s.1.iter().copied()).collect();
    let replay = Replay::start(&script);
    let home = TempDir::new("session");
    let env = [
        ("PHANTOM_URL", replay.url.as_str()),
        ("USER_ID", "1"),
        ("TOKEN", TOKEN),
    ];
    for (args, _, stdout) in steps {
        let run = phantom(args, &env, &home.0, b"");
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, *stdout, "{args:?}");
        assert!(!run.stderr.contains(TOKEN));
    }
    assert_eq!(replay.lines(), expected_lines(&script));
    for r in replay.requests() {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Basic {BASIC}=").as_str())
        );
    }
    // The resize PUT carries the whole domain with the new count.
    let put: serde_json::Value = serde_json::from_slice(&replay.requests()[7].body).unwrap();
    assert_eq!(
        (put["name"].as_str(), put["vm_count"].as_i64()),
        (Some("testDomain1"), Some(3))
    );
    assert_eq!(put["de_name"], "multicloud");
    assert_eq!(put["id"], DOMAIN_ID);
}

#[test]
fn api_flag_and_json_output() {
    let replay = Replay::start(&[
        "41_domains_list",
        "44_domain_instances",
        "27_lc_post_duplicate",
        "14_site_unknown",
    ]);
    let home = TempDir::new("json");
    // A base URL without /api/dev: --api rest chooses REST and the client adds /api/dev.
    let root = replay.url.trim_end_matches("/api/dev").to_string();
    let env = [("USER_ID", "1"), ("TOKEN", TOKEN)];
    let run = phantom(
        &[
            "--api",
            "rest",
            "--endpoint-url",
            &root,
            "--output",
            "json",
            "domain",
            "list",
        ],
        &env,
        &home.0,
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v[0]["id"], DOMAIN_ID);
    assert_eq!(v[0]["monitor_sensors"], "");
    assert_eq!(v[0]["instances"][0]["lifecycle_state"], "600-RUNNING");
    assert_eq!(v[0]["instances"][0]["cloud"], "/api/dev/sites/hotel");
    let env = [
        ("PHANTOM_API", "rest"),
        ("PHANTOM_URL", root.as_str()),
        ("USER_ID", "1"),
        ("TOKEN", TOKEN),
    ];
    let run = phantom(
        &["lc", "create", "testlc1", "hello-phantom.gz", "hotel"],
        &env,
        &home.0,
        b"",
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("AlreadyExists") && run.stderr.contains("yVlhH"),
        "{}",
        run.stderr
    );
    let run = phantom(&["sites"], &env, &home.0, b"");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("Site nowhere not found") || run.stderr.contains("NotFound"),
        "{}",
        run.stderr
    );
    let run = phantom(
        &["lc", "list"],
        &[("PHANTOM_URL", replay.url.as_str())],
        &home.0,
        b"",
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("phantom login"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn login_saves_a_private_token_and_secrets_never_show() {
    use std::os::unix::fs::PermissionsExt;
    let replay = Replay::start(&[
        "01_token_good",
        "28_lc_list",
        "17_credentials_sites_post",
        "15_credentials_sites_get",
        "21_credentials_site_get",
        "02_token_bad_password",
    ]);
    let home = TempDir::new("login");
    let file = home.0.join("cfg").join("token.json");
    let file_s = file.to_str().unwrap().to_string();
    let env = [
        ("PHANTOM_URL", replay.url.as_str()),
        ("PHANTOM_TOKEN_FILE", file_s.as_str()),
    ];
    let mut seen = String::new();

    let run = phantom(
        &["--debug", "login", "alice", "--password-stdin"],
        &env,
        &home.0,
        b"restaurant\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("user id 1"), "{}", run.stdout);
    assert!(
        run.stderr.contains("password=**redacted**"),
        "{}",
        run.stderr
    );
    seen += &run.stdout;
    seen += &run.stderr;
    assert_eq!(
        replay.requests()[0].body,
        b"username=alice&password=restaurant"
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // The token is saved for the endpoint it came from.
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let entry = &saved["tokens"][replay.url.as_str()];
    assert_eq!(
        (entry["user"].as_str(), entry["token"].as_str()),
        (Some("1"), Some(TOKEN))
    );

    let run = phantom(&["--debug", "lc", "list"], &env, &home.0, b"");
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "testlc1\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Authorization: Basic **redacted**"),
        "{}",
        run.stderr
    );
    seen += &run.stdout;
    seen += &run.stderr;

    let with_secret = [
        ("PHANTOM_URL", replay.url.as_str()),
        ("PHANTOM_TOKEN_FILE", file_s.as_str()),
        ("PHANTOM_SITE_SECRET_KEY", "sierra-secret-key"),
    ];
    let run = phantom(
        &[
            "--debug",
            "credentials",
            "add",
            "sierra",
            "--access-key",
            "sierra-access-key",
            "--key-name",
            "phantomkey",
        ],
        &with_secret,
        &home.0,
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "credentials for sierra added\n");
    let sent: serde_json::Value = serde_json::from_slice(&replay.requests()[2].body).unwrap();
    assert_eq!(sent["secret_key"], "sierra-secret-key");
    seen += &run.stdout;
    seen += &run.stderr;
    let run = phantom(
        &["--debug", "--output", "json", "credentials", "list"],
        &env,
        &home.0,
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v[0]["access_key"], "hotel-access-key");
    assert_eq!(v[0]["secret_key"], "**redacted**");
    seen += &run.stdout;
    seen += &run.stderr;
    let run = phantom(&["credentials", "show", "hotel"], &env, &home.0, b"");
    assert_eq!(
        run.stdout,
        "site: hotel\naccess_key: hotel-access-key\nkey_name: phantomkey\n"
    );
    seen += &run.stdout;
    seen += &run.stderr;

    // A refused login (HTTP 200, success false) is an error and leaves the old token alone.
    let run = phantom(
        &["--debug", "login", "alice", "--password-stdin"],
        &env,
        &home.0,
        b"wrong-canary-pw",
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("the user name or password was refused")
            && run.stderr.contains("Unable to log you in")
            && !run
                .stderr
                .lines()
                .any(|l| l.starts_with("phantom: error:") && l.contains("HTTP 200")),
        "{}",
        run.stderr
    );
    seen += &run.stdout;
    seen += &run.stderr;
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(saved["tokens"][replay.url.as_str()]["token"], TOKEN);

    // No terminal and no --password-stdin: refused before anything is sent.
    let run = phantom(&["login", "alice"], &env, &home.0, b"");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--password-stdin"), "{}", run.stderr);
    assert_eq!(replay.requests().len(), 6);

    for secret in [
        TOKEN,
        BASIC,
        "restaurant",
        "wrong-canary-pw",
        "sierra-secret-key",
        "hotel-secret-key",
    ] {
        assert!(!seen.contains(secret), "`{secret}` leaked:\n{seen}");
    }
    // No file under HOME but the token file holds a secret.
    let mut stack = vec![home.0.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
                assert!(
                    !text.contains("restaurant") && !text.contains("sierra-secret-key"),
                    "{}",
                    path.display()
                );
                if path != file {
                    assert!(!text.contains(TOKEN), "{}", path.display());
                }
            }
        }
    }
}

#[test]
fn every_rest_command_has_help_with_an_example() {
    let home = TempDir::new("help");
    for args in [
        &["login", "--help"][..],
        &["sites", "--help"],
        &["credentials", "list", "--help"],
        &["credentials", "show", "--help"],
        &["credentials", "add", "--help"],
        &["credentials", "update", "--help"],
        &["credentials", "remove", "--help"],
    ] {
        let run = phantom(args, &[], &home.0, b"");
        assert_eq!(run.code, 0, "{args:?}");
        assert!(run.stdout.contains("Example"), "{args:?}: {}", run.stdout);
    }
    let run = phantom(&["--help"], &[], &home.0, b"");
    assert!(run.stdout.contains("--api"), "{}", run.stdout);
}
