//! Phantom's REST API served by the built-in endpoint (`phantom serve --users FILE`), end to end:
//! the seed's session through the `phantom` binary after `phantom login --password-stdin`; one
//! store behind both APIs (a domain made over Query is listed over REST for the user mapped to that
//! key, and the other way round; an unmapped user sees neither); and the same session driven by a
//! plain Python `requests` script as the seed's sample scripts do it. Tokens and passwords never
//! appear in any output.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::peers::python;
use crate::util::run::{Phantom, Run, TempDir, run_bounded_with};
use crate::util::serve::{Served, credentials_file};

const ALICE_PASSWORD: &str = "restaurant-canary-pw";
const BOB_PASSWORD: &str = "bobpassword-canary-pw";
const KEY: &str = "AKIDSCIENTIST";
const SECRET: &str = "scientist-secret";

/// Runs `phantom` with only `env` (plus PATH and `home` as HOME), feeding `stdin`; bounded.
fn phantom(args: &[&str], env: &[(&str, &str)], home: &TempDir, stdin: &str) -> Run {
    Phantom::new(args)
        .home(&home.0)
        .envs(env)
        .stdin(stdin)
        .run()
}

/// `phantom serve` in a child process with a credentials file and a users file, stopped on drop.
struct Serve {
    _served: Served,
    url: String,
    banner: Vec<String>,
    _dir: TempDir,
}

impl Serve {
    /// Starts it with these launch and terminate delays (like `500ms`).
    fn start(launch_delay: &str, terminate_delay: &str) -> Serve {
        let dir = TempDir::new("rest-serve");
        let creds = credentials_file(&dir.0, &[("default", KEY, SECRET)]);
        let users = dir.0.join("users");
        std::fs::write(
            &users,
            format!("# REST users\nalice:{ALICE_PASSWORD}:{KEY}\nbob:{BOB_PASSWORD}\n"),
        )
        .unwrap();
        let served = Served::start(&[
            "--launch-delay",
            launch_delay,
            "--terminate-delay",
            terminate_delay,
            "--credentials",
            &creds,
            "--users",
            users.to_str().unwrap(),
        ]);
        Serve {
            url: served.url.clone(),
            banner: served.banner.clone(),
            _served: served,
            _dir: dir,
        }
    }
}

/// Logs `user` in with `phantom login --password-stdin`; returns the REST environment (URL and
/// token file) and the token, read from the file, for the no-leak checks.
fn login(
    server: &Serve,
    home: &TempDir,
    user: &str,
    password: &str,
) -> (Vec<(String, String)>, String) {
    let rest_url = format!("{}/api/dev", server.url);
    let token_file = home.0.join("token.json");
    let env = vec![
        ("PHANTOM_URL".to_string(), rest_url),
        (
            "PHANTOM_TOKEN_FILE".to_string(),
            token_file.to_str().unwrap().to_string(),
        ),
    ];
    let r = phantom(
        &["login", user, "--password-stdin"],
        &pairs(&env),
        home,
        &format!("{password}\n"),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with(&format!("Logged in as {user} (user id ")),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains(password) && !r.stderr.contains(password));
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&token_file).unwrap()).unwrap();
    // One token, saved for the endpoint it came from.
    let tokens = saved["tokens"].as_object().unwrap();
    assert_eq!(tokens.len(), 1, "{saved}");
    let token = tokens.values().next().unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(token.len(), 21);
    assert!(!r.stdout.contains(&token) && !r.stderr.contains(&token));
    (env, token)
}

fn pairs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn query_env(server: &Serve) -> Vec<(String, String)> {
    vec![
        ("PHANTOM_URL".to_string(), server.url.clone()),
        ("EC2_ACCESS_KEY".to_string(), KEY.to_string()),
        ("EC2_SECRET_KEY".to_string(), SECRET.to_string()),
    ]
}

/// Runs one command, asserting success and that no secret shows; returns stdout.
fn ok(args: &[&str], env: &[(String, String)], home: &TempDir, secrets: &[&str]) -> String {
    let r = phantom(args, &pairs(env), home, "");
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    for s in secrets {
        assert!(
            !r.stdout.contains(s) && !r.stderr.contains(s),
            "{args:?} printed a secret"
        );
    }
    r.stdout
}

#[test]
fn seed_session_over_rest_through_the_binary() {
    // Delays long enough for the states between commands to be seen on a busy machine.
    let server = Serve::start("2s", "3s");
    assert!(
        server.banner[1].contains("/api/dev for 2 user(s)"),
        "{:?}",
        server.banner
    );
    let home = TempDir::new("rest-seed");
    let (env, token) = login(&server, &home, "alice", ALICE_PASSWORD);
    let secrets = [token.as_str(), ALICE_PASSWORD, SECRET];
    let run = |args: &[&str]| ok(args, &env, &home, &secrets);

    let created = run(&["lc", "create", "testlc1", "hello-phantom.gz", "hotel"]);
    let lc_id = created
        .strip_prefix("LC created with id ")
        .unwrap_or_else(|| panic!("{created}"))
        .trim_end()
        .to_string();
    assert!(lc_id.len() == 8 && lc_id.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(run(&["lc", "list"]), "testlc1\n");
    assert_eq!(
        run(&[
            "domain",
            "create",
            "testDomain1",
            "testlc1",
            "1",
            "--wait",
            "--timeout",
            "30s"
        ]),
        ""
    );
    assert_eq!(
        run(&["domain", "list"]),
        "testDomain1\n\ttestlc1 : 1\n\tInstances:\n\t---------\n\t\thotel : 600-RUNNING\n"
    );

    // Resize: the whole domain goes back with the new vm_count; three instances come up.
    assert_eq!(run(&["domain", "alter", "testDomain1", "3"]), "");
    let listed = run(&["instances", "list"]);
    let rows: Vec<Vec<&str>> = listed.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 3, "{listed}");
    for row in &rows {
        assert_eq!(row[1..3], ["testDomain1", "hotel"], "{listed}");
        assert!(row[0].starts_with("i-") && row[0] == row[4], "{listed}");
    }
    // The first instance is running; the two new ones are pending for the launch delay.
    let mut states: Vec<&str> = rows.iter().map(|r| r[3]).collect();
    states.sort();
    assert_eq!(
        states,
        ["400-PENDING", "400-PENDING", "600-RUNNING"],
        "{listed}"
    );
    // Terminating with --decrement lowers vm_count to 2; the instance is Terminating, not replaced.
    let victim = rows[0][0].to_string();
    assert_eq!(
        run(&["instances", "terminate", &victim, "--decrement"]),
        format!("terminating {victim}\n")
    );
    let domains: serde_json::Value =
        serde_json::from_str(&run(&["--output", "json", "domain", "list"])).unwrap();
    assert_eq!(domains[0]["vm_count"], 2);
    let states: Vec<(&str, &str)> = domains[0]["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap(),
                i["lifecycle_state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(states.len(), 3, "{states:?}");
    assert!(
        states.contains(&(victim.as_str(), "700-TERMINATING")),
        "{states:?}"
    );
    let domain_id = domains[0]["id"].as_str().unwrap().to_string();
    assert_eq!(domain_id.len(), 36);

    assert_eq!(
        run(&["domain", "delete", "testDomain1"]),
        format!("deleting {domain_id}\n")
    );
    assert_eq!(run(&["domain", "list"]), "");
    assert_eq!(run(&["lc", "delete", "testlc1"]), "");
    assert_eq!(run(&["lc", "list"]), "");

    // Site credentials: the secret key goes in from the environment and never comes out, not even
    // in a --debug trace of the reply that carries it.
    let site_secret = "site-secret-canary";
    let mut with_secret = env.clone();
    with_secret.push(("PHANTOM_SITE_SECRET_KEY".into(), site_secret.into()));
    let secrets = [token.as_str(), ALICE_PASSWORD, site_secret];
    let added = ok(
        &[
            "credentials",
            "add",
            "sierra",
            "--access-key",
            "AKSIERRA",
            "--key-name",
            "phantomkey",
        ],
        &with_secret,
        &home,
        &secrets,
    );
    assert_eq!(added, "credentials for sierra added\n");
    let r = phantom(&["--debug", "credentials", "list"], &pairs(&env), &home, "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "sierra\tAKSIERRA\tphantomkey\n");
    assert!(
        r.stderr.contains("/api/dev/credentials/sites"),
        "{}",
        r.stderr
    );
    for s in secrets {
        assert!(
            !r.stdout.contains(s) && !r.stderr.contains(s),
            "--debug showed a secret"
        );
    }
}

#[test]
fn one_store_behind_both_apis() {
    let server = Serve::start("200ms", "300ms");
    let home = TempDir::new("rest-cross");
    let (rest, token) = login(&server, &home, "alice", ALICE_PASSWORD);
    let secrets = [token.as_str(), ALICE_PASSWORD, SECRET];
    let query = query_env(&server);

    // Made over Query, listed over REST for alice (mapped to the key).
    ok(
        &["lc", "create", "qlc", "hello-phantom.gz", "sierra"],
        &query,
        &home,
        &secrets,
    );
    assert_eq!(
        ok(
            &[
                "domain",
                "create",
                "qDomain",
                "qlc",
                "2",
                "--wait",
                "--timeout",
                "30s"
            ],
            &query,
            &home,
            &secrets
        ),
        "using LaunchConfiguration:qlc\n"
    );
    assert_eq!(ok(&["lc", "list"], &rest, &home, &secrets), "qlc\n");
    assert_eq!(
        ok(&["domain", "list"], &rest, &home, &secrets),
        "qDomain\n\tqlc : 2\n\tInstances:\n\t---------\n\t\tsierra : 600-RUNNING\n\t\tsierra : 600-RUNNING\n"
    );

    // Made over REST, listed over Query.
    ok(
        &["lc", "create", "rlc", "hello-phantom.gz", "hotel"],
        &rest,
        &home,
        &secrets,
    );
    ok(
        &[
            "domain",
            "create",
            "rDomain",
            "rlc",
            "1",
            "--wait",
            "--timeout",
            "30s",
        ],
        &rest,
        &home,
        &secrets,
    );
    assert_eq!(ok(&["lc", "list"], &query, &home, &secrets), "qlc\nrlc\n");
    let listed = ok(&["domain", "list"], &query, &home, &secrets);
    assert!(
        listed.contains(
            "rDomain\n    rlc : 1\n    Instances:\n    ---------\n        hotel : Healthy\n"
        ),
        "{listed}"
    );
    // Resized over REST, seen over Query as min = max = desired.
    ok(&["domain", "alter", "rDomain", "2"], &rest, &home, &secrets);
    let json: serde_json::Value = serde_json::from_str(&ok(
        &["--output", "json", "domain", "list", "rDomain"],
        &query,
        &home,
        &secrets,
    ))
    .unwrap();
    let group = &json["AutoScalingGroups"][0];
    assert_eq!(
        (
            &group["MinSize"],
            &group["MaxSize"],
            &group["DesiredCapacity"]
        ),
        (
            &serde_json::json!(2),
            &serde_json::json!(2),
            &serde_json::json!(2)
        ),
        "{json}"
    );

    // Bob has no key mapping: he sees none of it.
    let bob_home = TempDir::new("rest-cross-bob");
    let (bob, bob_token) = login(&server, &bob_home, "bob", BOB_PASSWORD);
    let bob_secrets = [bob_token.as_str(), BOB_PASSWORD];
    assert_eq!(ok(&["domain", "list"], &bob, &bob_home, &bob_secrets), "");
    assert_eq!(ok(&["lc", "list"], &bob, &bob_home, &bob_secrets), "");

    // Deleted over REST, gone over Query.
    ok(&["domain", "delete", "qDomain"], &rest, &home, &secrets);
    ok(&["lc", "delete", "qlc"], &rest, &home, &secrets);
    ok(&["domain", "delete", "rDomain"], &query, &home, &secrets);
    ok(&["lc", "delete", "rlc"], &query, &home, &secrets);
    assert_eq!(ok(&["domain", "list"], &rest, &home, &secrets), "");
    assert_eq!(ok(&["lc", "list"], &rest, &home, &secrets), "");
}

#[test]
fn python_requests_drives_the_seed_session() {
    let python = python();
    let server = Serve::start("200ms", "300ms");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/rest_session.py");
    let mut command = Command::new(python);
    command
        .arg(script)
        .env("PHANTOM_URL", format!("{}/api/dev", server.url))
        .env("PHANTOM_USER", "alice")
        .env("PHANTOM_PASSWORD", ALICE_PASSWORD)
        .stdin(Stdio::null());
    let r = run_bounded_with(command, None, Duration::from_secs(90));
    assert!(r.code != -1, "the script ran longer than 90 s: {r:?}");
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains(ALICE_PASSWORD) && !r.stderr.contains(ALICE_PASSWORD));
    let lines: Vec<&str> = r.stdout.lines().collect();
    let lc_id = lines[0].strip_prefix("LC created with id ").unwrap();
    assert_eq!(lc_id.len(), 8, "{}", r.stdout);
    let domain_id = lines.last().unwrap().strip_prefix("deleting ").unwrap();
    assert_eq!(domain_id.len(), 36, "{}", r.stdout);
    let expected = format!(
        "LC created with id {lc_id}\n\
         testlc1\n\
         testDomain1\n\ttestlc1 : 1\n\tInstances:\n\t---------\n\t\thotel : 600-RUNNING\n\
         testDomain1\n\ttestlc1 : 2\n\tInstances:\n\t---------\n\t\thotel : 600-RUNNING\n\t\thotel : 600-RUNNING\n\
         deleting {domain_id}\n"
    );
    assert_eq!(r.stdout, expected);
    // What the script did is visible to the binary afterwards: nothing left.
    let home = TempDir::new("rest-python");
    let (env, token) = login(&server, &home, "alice", ALICE_PASSWORD);
    assert_eq!(ok(&["lc", "list"], &env, &home, &[&token]), "");
    assert_eq!(ok(&["domain", "list"], &env, &home, &[&token]), "");
}
