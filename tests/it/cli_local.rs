//! The `phantom` binary against the built-in endpoint: the demo's transcript, `phantom serve` as a
//! process, the seed session with each signature, and the errors a user meets.

use std::process::{Command, Stdio};

use crate::util::peers::{Run, TempDir, phantom};
use crate::util::serve::{self, Served};

const SEED_TRANSCRIPT: &str = "\
$ phantom lc create testlc1 hello-phantom.gz hotel
$ phantom lc list
testlc1
$ phantom domain create testDomain1 testlc1 1 --wait
using LaunchConfiguration:testlc1
$ phantom domain list
testDomain1
    testlc1 : 1
    Instances:
    ---------
        hotel : Healthy
$ phantom domain delete testDomain1
deleting testDomain1
$ phantom lc delete testlc1
";

#[test]
fn demo_prints_the_seed_session() {
    let r = phantom(&["demo", "--launch-delay", "300ms"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (first, rest) = r.stdout.split_once('\n').unwrap();
    assert!(
        first.starts_with("# a built-in Phantom endpoint at http://127.0.0.1:"),
        "{first}"
    );
    assert_eq!(rest, SEED_TRANSCRIPT);
}

/// The REST demo's session, its random ids (new on every run) as `LCID` and `DOMAINID`.
const REST_TRANSCRIPT: &str = "\
$ phantom --api rest lc create testlc1 hello-phantom.gz hotel
LC created with id LCID
$ phantom --api rest lc list
testlc1
$ phantom --api rest domain create testDomain1 testlc1 1 --wait
$ phantom --api rest domain list
testDomain1
\ttestlc1 : 1
\tInstances:
\t---------
\t\thotel : 600-RUNNING
$ phantom --api rest domain delete testDomain1
deleting DOMAINID
$ phantom --api rest lc delete testlc1
";

#[test]
fn demo_over_rest_prints_the_seed_session() {
    let r = phantom(&["demo", "--api", "rest", "--launch-delay", "300ms"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut lines = r.stdout.splitn(3, '\n');
    let first = lines.next().unwrap();
    assert!(
        first.starts_with("# a built-in Phantom endpoint with the REST API at http://127.0.0.1:")
            && first.ends_with("/api/dev (state in memory)"),
        "{first}"
    );
    assert_eq!(
        lines.next().unwrap(),
        "# logged in as demo (user id 1) with POST /api/dev/token; the seed's session:"
    );
    // The ids are random at creation (a short one for the launch configuration, a uuid4 for the
    // domain), so they are checked for their shape and then compared as placeholders.
    let transcript = lines.next().unwrap();
    let after = |prefix: &str| {
        let at = transcript.find(prefix).unwrap() + prefix.len();
        transcript[at..].split('\n').next().unwrap().to_string()
    };
    let (lc_id, domain_id) = (after("LC created with id "), after("deleting "));
    assert!(
        lc_id.len() == 8 && lc_id.chars().all(|c| c.is_ascii_alphanumeric()),
        "{lc_id}"
    );
    assert!(
        domain_id.len() == 36 && domain_id.as_bytes()[14] == b'4',
        "{domain_id}"
    );
    let masked = transcript
        .replace(&format!("id {lc_id}\n"), "id LCID\n")
        .replace(&format!("deleting {domain_id}\n"), "deleting DOMAINID\n");
    assert_eq!(masked, REST_TRANSCRIPT);
    assert_eq!(r.stderr, "");
}

/// `phantom serve` flags for short delays.
const QUICK: &[&str] = &["--launch-delay", "200ms", "--terminate-delay", "200ms"];
/// Short delays and no authentication.
const OPEN: &[&str] = &[
    "--launch-delay",
    "200ms",
    "--terminate-delay",
    "200ms",
    "--no-auth",
];

/// `phantom serve` in a child process with short delays and `args`, stopped on drop.
fn serve(args: &[&str]) -> Served {
    Served::start(&[QUICK, args].concat())
}

fn credentials_file(dir: &TempDir) -> String {
    serve::credentials_file(
        &dir.0,
        &[
            ("default", "AKIDSCIENTIST", "scientist-secret"),
            ("other", "AKIDOTHER", "other-secret"),
        ],
    )
}

fn session(url: &str, extra: &[&str], key: &str, secret: &str) -> Vec<Run> {
    let steps: Vec<Vec<&str>> = vec![
        vec!["lc", "create", "testlc1", "hello-phantom.gz", "hotel"],
        vec!["lc", "list"],
        vec![
            "domain",
            "create",
            "testDomain1",
            "testlc1",
            "1",
            "--wait",
            "--timeout",
            "30s",
        ],
        vec!["domain", "list"],
        // AWS refuses to delete a group with instances unless forced; Phantom always forced.
        if extra.contains(&"aws") {
            vec!["domain", "delete", "testDomain1", "--force"]
        } else {
            vec!["domain", "delete", "testDomain1"]
        },
        vec!["lc", "delete", "testlc1"],
        vec!["lc", "list"],
    ];
    steps
        .iter()
        .map(|step| {
            let mut args: Vec<&str> = extra.to_vec();
            args.extend(step);
            phantom(
                &args,
                &[
                    ("PHANTOM_URL", url),
                    ("EC2_ACCESS_KEY", key),
                    ("EC2_SECRET_KEY", secret),
                ],
            )
        })
        .collect()
}

#[test]
fn seed_session_with_each_signature() {
    let dir = TempDir::new("serve");
    let creds = credentials_file(&dir);
    let server = serve(&["--credentials", &creds]);
    for extra in [
        vec![],                                 // Phantom dialect, SigV2 HmacSHA256
        vec!["--signature-method", "HmacSHA1"], // SigV2 HmacSHA1
        vec!["--signature", "v4"],              // Phantom's SigV4 variant
        vec!["--dialect", "aws"],               // AWS SigV4 (name without @site)
    ] {
        let runs = session(&server.url, &extra, "AKIDSCIENTIST", "scientist-secret");
        for (i, r) in runs.iter().enumerate() {
            assert_eq!(r.code, 0, "{extra:?} step {i}: {}", r.stderr);
        }
        let outputs: Vec<&str> = runs.iter().map(|r| r.stdout.as_str()).collect();
        let zone = if extra.contains(&"aws") {
            "us-east-1a"
        } else {
            "hotel"
        };
        assert_eq!(outputs[1], "testlc1\n", "{extra:?}");
        assert_eq!(outputs[2], "using LaunchConfiguration:testlc1\n");
        assert_eq!(
            outputs[3],
            format!(
                "testDomain1\n    testlc1 : 1\n    Instances:\n    ---------\n        {zone} : Healthy\n"
            ),
            "{extra:?}"
        );
        assert_eq!(outputs[4], "deleting testDomain1\n");
        assert_eq!(outputs[6], "", "{extra:?}: launch configurations left");
    }
}

phantom_test!(
    serve_without_credentials_prints_a_generated_key_once,
    QUICK,
    |server| {
        let text = server.banner.join("\n");
        let key = text
            .split_whitespace()
            .find_map(|w| w.strip_prefix("AWS_ACCESS_KEY_ID="))
            .unwrap_or_else(|| panic!("{text}"))
            .to_string();
        assert!(text.contains(&server.url));
        // A wrong secret for that key is refused with SignatureDoesNotMatch.
        let r = phantom(
            &["domain", "list", "--dialect", "aws"],
            &[
                ("AWS_ENDPOINT_URL", &server.url),
                ("AWS_ACCESS_KEY_ID", &key),
                ("AWS_SECRET_ACCESS_KEY", "wrong"),
            ],
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("SignatureDoesNotMatch") && r.stderr.contains("HTTP 403"),
            "{}",
            r.stderr
        );
    }
);

#[test]
fn user_errors_are_one_clear_line() {
    let dir = TempDir::new("errors");
    let creds = credentials_file(&dir);
    let server = serve(&["--credentials", &creds]);
    let env = [
        ("PHANTOM_URL", server.url.as_str()),
        ("EC2_ACCESS_KEY", "AKIDSCIENTIST"),
        ("EC2_SECRET_KEY", "scientist-secret"),
    ];
    let run = |args: &[&str]| phantom(args, &env);

    assert_eq!(run(&["lc", "create", "dup", "img", "hotel"]).code, 0);
    let r = run(&["lc", "create", "dup", "img", "hotel"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("phantom: error: CreateLaunchConfiguration failed: AlreadyExists: "),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("request id "), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1);

    let r = run(&["domain", "create", "d1", "nosuchlc", "1"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim(),
        "phantom: error: no such launch configuration nosuchlc"
    );

    let r = run(&[
        "domain",
        "create",
        "d1",
        "nosuchlc",
        "1",
        "--zones",
        "hotel",
        "--dialect",
        "aws",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("ValidationError") && r.stderr.contains("nosuchlc"),
        "{}",
        r.stderr
    );

    let r = run(&["lc", "create", "nosite", "img"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("per site"), "{}", r.stderr);

    let r = run(&["lc", "create", "x", "img", "atlantis"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("ValidationError") && r.stderr.contains("atlantis"),
        "{}",
        r.stderr
    );

    let r = run(&["domain", "alter", "nope", "3"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("ValidationError"), "{}", r.stderr);

    // Another key sees none of this user's launch configurations.
    let r = phantom(
        &["lc", "list"],
        &[
            ("PHANTOM_URL", &server.url),
            ("EC2_ACCESS_KEY", "AKIDOTHER"),
            ("EC2_SECRET_KEY", "other-secret"),
        ],
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));
    // An unreachable endpoint: exit 3 and a line that names it.
    let r = phantom(
        &["lc", "list", "--max-attempts", "1"],
        &[
            ("PHANTOM_URL", "http://127.0.0.1:9/"),
            ("EC2_ACCESS_KEY", "a"),
            ("EC2_SECRET_KEY", "b"),
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("could not reach http://127.0.0.1:9/"),
        "{}",
        r.stderr
    );
}

phantom_test!(
    wait_shows_progress_on_a_terminal_and_nothing_when_piped,
    OPEN,
    |server| {
        let env = [
            ("AWS_ENDPOINT_URL", server.url.as_str()),
            ("AWS_ACCESS_KEY_ID", "AKIDWAIT"),
            ("AWS_SECRET_ACCESS_KEY", "wait-secret"),
        ];
        let r = phantom(&["--dialect", "aws", "lc", "create", "lc", "img"], &env);
        assert_eq!(r.code, 0, "{}", r.stderr);

        // Piped: no progress line, only the result.
        let r = phantom(
            &[
                "--dialect",
                "aws",
                "domain",
                "create",
                "piped",
                "lc",
                "1",
                "--wait",
            ],
            &env,
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(
            (r.stdout.as_str(), r.stderr.as_str()),
            ("using LaunchConfiguration:lc\n", "")
        );

        // On a terminal (util-linux `script` gives the command a pseudo-terminal): a progress line.
        let command = format!(
            "{} --dialect aws domain create onterm lc 1 --wait",
            env!("CARGO_BIN_EXE_phantom")
        );
        let out = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env)
            .stdin(Stdio::null())
            .output()
            .expect("util-linux script");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("\rwaiting for onterm: "), "{text:?}");
        assert!(text.contains("1/1 in service"), "{text:?}");

        // And `wait in-service` on a group already in service returns at once.
        let r = phantom(
            &[
                "--dialect",
                "aws",
                "wait",
                "in-service",
                "piped",
                "--timeout",
                "5s",
            ],
            &env,
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        // Waiting for a group that does not exist is a clear error, not a wait.
        let r = phantom(
            &[
                "--dialect",
                "aws",
                "wait",
                "in-service",
                "nosuch",
                "--timeout",
                "1s",
            ],
            &env,
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
    }
);

#[test]
fn login_on_a_terminal_asks_without_echo() {
    let dir = TempDir::new("login-tty");
    let users = dir.0.join("users");
    std::fs::write(&users, "alice:restaurant-canary\n").unwrap();
    let server = serve(&["--no-auth", "--users", users.to_str().unwrap()]);
    let token_file = dir.0.join("token.json");
    let command = format!(
        "{} login alice --endpoint-url {}/api/dev",
        env!("CARGO_BIN_EXE_phantom"),
        server.url
    );
    // The password is typed into the pseudo-terminal after the prompt had time to turn echo off.
    let shell = "sleep 2; printf 'restaurant-canary\\n'";
    let mut typist = Command::new("sh")
        .args(["-c", shell])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let typed = typist.stdout.take().unwrap();
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &dir.0)
        .env("PHANTOM_TOKEN_FILE", &token_file)
        .stdin(typed)
        .output()
        .expect("util-linux script");
    let _ = typist.wait();
    let transcript = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{transcript}");
    assert!(
        transcript.to_lowercase().contains("password"),
        "no prompt: {transcript:?}"
    );
    assert!(
        !transcript.contains("restaurant-canary"),
        "the password was echoed: {transcript:?}"
    );
    let saved = std::fs::read_to_string(&token_file).unwrap();
    assert!(saved.contains("\"user\""), "{saved}");
    assert!(!saved.contains("restaurant-canary"));
}
