//! Secrets never leak, and TLS is verified unless the user says otherwise.
//!
//! Canary values stand in for the secret key, the session token and a hotel.conf `s3key`; every
//! command runs with `--debug` against a server that answers errors, a server that answers success,
//! and a refused port, signing with SigV4 and SigV2 (where the token travels in the form body). The
//! canaries must never appear on stdout, stderr, or in any file under the home and working
//! directories the tool ran in. The TLS tests run a self-signed loopback HTTPS server (rcgen CA,
//! rustls) and check `--ca-bundle`, `AWS_CA_BUNDLE`, the default refusal and `--no-verify-ssl`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::util::fault_server::*;
use phantom_autoscale::config::{ConfigInputs, MapEnvironment, resolve};
use phantom_autoscale::query::endpoint::Endpoint;
use phantom_autoscale::query::transport::TransportConfig;
use phantom_autoscale::query::{QueryRequest, SignedRequest, sign};

const SECRET: &str = "CANARYsecretKEY0123456789abcdef";
const TOKEN: &str = "CANARYsessionTOKEN9876543210zyx";
const HOTEL_KEY: &str = "CANARYhotelS3KEY5555555555";
const CANARIES: &[&str] = &[SECRET, TOKEN, HOTEL_KEY];

/// Every command of the Query CLI, with arguments that pass the grammar.
const COMMANDS: &[&[&str]] = &[
    &["lc", "create", "lc1", "ami-1", "hotel"],
    &["lc", "list"],
    &["lc", "delete", "lc1"],
    &["domain", "create", "web", "lc1", "1", "--zones", "hotel"],
    &["domain", "list"],
    &["domain", "alter", "web", "2"],
    &["domain", "delete", "web"],
    &["instances", "list"],
    &["instances", "terminate", "i-1"],
    &["tags", "list"],
    &["tags", "set", "web", "k=v"],
    &["tags", "delete", "web", "k"],
    &["activities", "web"],
    &["wait", "in-service", "web", "--timeout", "1s"],
];

/// A server that answers every action with success: Describe calls with one item, the rest empty.
fn success_server() -> FaultServer {
    FaultServer::start(|request, _| {
        let action = request.action();
        let body = match action.as_str() {
            "DescribeAutoScalingGroups" => GROUPS_XML.to_string(),
            "DescribeLaunchConfigurations" => "<DescribeLaunchConfigurationsResponse><DescribeLaunchConfigurationsResult><LaunchConfigurations><member><LaunchConfigurationName>lc1@hotel</LaunchConfigurationName><ImageId>ami-1</ImageId></member></LaunchConfigurations></DescribeLaunchConfigurationsResult></DescribeLaunchConfigurationsResponse>".to_string(),
            "TerminateInstanceInAutoScalingGroup" => "<TerminateInstanceInAutoScalingGroupResponse><TerminateInstanceInAutoScalingGroupResult><Activity><ActivityId>a1</ActivityId><Description>Terminating i-1</Description></Activity></TerminateInstanceInAutoScalingGroupResult></TerminateInstanceInAutoScalingGroupResponse>".to_string(),
            other => format!("<{other}Response><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{other}Response>"),
        };
        Action::Reply(ok_xml(&body))
    })
}

/// Every file under `dir`, read in full.
fn files_under(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// One way of giving the tool its keys.
struct KeySource {
    name: &'static str,
    flags: Vec<String>,
    env: Vec<(&'static str, String)>,
}

fn key_sources(secrets_dir: &Path) -> Vec<KeySource> {
    let hotel = secrets_dir.join("hotel.conf");
    std::fs::write(
        &hotel,
        format!(
            "vws.repository=127.0.0.1:8445\nvws.repository.s3id=AKHOTEL\nvws.repository.s3key={HOTEL_KEY}\n"
        ),
    )
    .unwrap();
    let env_keys = vec![
        ("AWS_ACCESS_KEY_ID", "AKIDCANARY".to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET.to_string()),
        ("AWS_SESSION_TOKEN", TOKEN.to_string()),
    ];
    vec![
        KeySource {
            name: "environment, SigV4",
            flags: vec![],
            env: env_keys.clone(),
        },
        KeySource {
            name: "environment, SigV2 (token in the body)",
            flags: vec!["--signature".into(), "v2".into()],
            env: env_keys,
        },
        KeySource {
            name: "hotel.conf, Phantom dialect",
            flags: vec![
                "--dialect".into(),
                "phantom".into(),
                "--hotel-conf".into(),
                hotel.display().to_string(),
            ],
            env: vec![
                ("AWS_ACCESS_KEY_ID", String::new()),
                ("AWS_SECRET_ACCESS_KEY", String::new()),
            ],
        },
    ]
}

#[test]
fn canaries_never_appear_in_output_or_files() {
    let secrets_dir = scratch_dir("secrets");
    let errors = FaultServer::always(error_xml(
        400,
        "Bad Request",
        "ValidationError",
        "no such thing",
    ));
    let successes = success_server();
    let refused = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    let mut runs = 0;
    let mut exit_codes = std::collections::BTreeSet::new();
    for source in key_sources(&secrets_dir) {
        for url in [errors.url(), successes.url(), refused.clone()] {
            for command in COMMANDS {
                let home = scratch_dir("secret-home");
                let mut args: Vec<String> =
                    vec!["--endpoint-url".into(), url.clone(), "--debug".into()];
                args.extend(source.flags.iter().cloned());
                args.extend(command.iter().map(|s| s.to_string()));
                let run = Phantom::new(&args)
                    .home(&home)
                    .in_home()
                    .env("PHANTOM_RETRY_BASE_MS", "1")
                    .envs(source.env.as_slice())
                    .run();
                runs += 1;
                exit_codes.insert(run.code);
                assert!(
                    run.stderr.contains("[debug] "),
                    "{} {args:?}: no trace: {run:?}",
                    source.name
                );
                for canary in CANARIES {
                    assert!(
                        !run.stdout.contains(canary) && !run.stderr.contains(canary),
                        "{} {args:?} printed a secret: {run:?}",
                        source.name
                    );
                }
                let mut written = Vec::new();
                files_under(&home, &mut written);
                for (path, bytes) in &written {
                    for canary in CANARIES {
                        assert!(
                            !contains(bytes, canary),
                            "{} holds a secret",
                            path.display()
                        );
                    }
                }
            }
        }
    }
    assert_eq!(runs, 3 * 3 * COMMANDS.len());
    // Success, service errors and transport failures were all exercised.
    assert!(
        exit_codes.contains(&0) && exit_codes.contains(&1) && exit_codes.contains(&3),
        "{exit_codes:?}"
    );
    // The servers did get the secrets' products (signatures, tokens), so the redaction was tested.
    assert!(
        errors
            .requests()
            .iter()
            .any(|r| r.param("SecurityToken").as_deref() == Some(TOKEN)),
        "SigV2 requests carry the token in the body"
    );
}

// ---- Credentials from providers ---------------------------------------------------------------

const PROCESS_SECRET: &str = "CANARYprocessSECRET24680";
const PROCESS_TOKEN: &str = "CANARYprocessTOKEN13579";
const SSO_TOKEN: &str = "CANARYssoACCESStoken11223";
const SSO_SECRET: &str = "CANARYssoROLEsecret44556";
const SSO_SESSION_TOKEN: &str = "CANARYssoSESSIONtoken77889";
const CONTAINER_AUTH: &str = "CANARYcontainerAUTH99000";
const PROVIDER_CANARIES: &[&str] = &[
    PROCESS_SECRET,
    PROCESS_TOKEN,
    SSO_TOKEN,
    SSO_SECRET,
    SSO_SESSION_TOKEN,
    CONTAINER_AUTH,
];

/// The SSO token cache file name of a session (`aws sso login`'s: the SHA-1 of its name).
fn sso_cache_name(session: &str) -> String {
    use sha1::Digest;
    format!(
        "{}.json",
        hex::encode(sha1::Sha1::digest(session.as_bytes()))
    )
}

/// A home whose default profile gets temporary credentials from `kind`: a credential_process, an
/// SSO session with a cached token (the portal at `portal`), or a container endpoint; returns the
/// variables the run needs and the files written (which hold the canaries by design).
fn provider_home(
    kind: &str,
    home: &Path,
    portal: &str,
) -> (Vec<(&'static str, String)>, Vec<PathBuf>) {
    let aws = home.join(".aws");
    std::fs::create_dir_all(aws.join("sso/cache")).unwrap();
    let config = aws.join("config");
    match kind {
        "credential_process" => {
            let script = home.join("creds.sh");
            std::fs::write(
                &script,
                format!(
                    "#!/bin/sh\nprintf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS\", \
                     \"SecretAccessKey\": \"{PROCESS_SECRET}\", \"SessionToken\": \"{PROCESS_TOKEN}\"}}'\n"
                ),
            )
            .unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
            std::fs::write(
                &config,
                format!("[default]\ncredential_process = {}\n", script.display()),
            )
            .unwrap();
            (vec![], vec![script, config])
        }
        "sso" => {
            std::fs::write(
                &config,
                "[default]\nsso_session = corp\nsso_account_id = 111122223333\n\
                 sso_role_name = ReadOnly\n\n[sso-session corp]\nsso_region = us-east-1\n\
                 sso_start_url = https://corp.awsapps.com/start\n",
            )
            .unwrap();
            let cache = aws.join("sso/cache").join(sso_cache_name("corp"));
            std::fs::write(
                &cache,
                format!(
                    "{{\"startUrl\": \"https://corp.awsapps.com/start\", \"region\": \"us-east-1\", \
                     \"accessToken\": \"{SSO_TOKEN}\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}}"
                ),
            )
            .unwrap();
            (
                vec![("AWS_ENDPOINT_URL_SSO", portal.to_string())],
                vec![config, cache],
            )
        }
        _ => (
            vec![
                (
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    format!("{portal}/creds"),
                ),
                (
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                    CONTAINER_AUTH.to_string(),
                ),
            ],
            vec![],
        ),
    }
}

/// The temporary credentials' own servers: the SSO portal and the container endpoint in one,
/// answering with canary secrets when asked with the right bearer or authorization token.
fn provider_server() -> FaultServer {
    FaultServer::start(|request, _| {
        let line = request.head.lines().next().unwrap_or("");
        let sso = request.header("x-amz-sso_bearer_token").as_deref() == Some(SSO_TOKEN);
        let container = request.header("authorization").as_deref() == Some(CONTAINER_AUTH);
        let body = if line.starts_with("GET /federation/credentials") && sso {
            format!(
                "{{\"roleCredentials\": {{\"accessKeyId\": \"AKIDSSO\", \"secretAccessKey\": \
                 \"{SSO_SECRET}\", \"sessionToken\": \"{SSO_SESSION_TOKEN}\", \
                 \"expiration\": 4070908800000}}}}"
            )
        } else if line.starts_with("GET /creds") && container {
            format!(
                "{{\"AccessKeyId\": \"AKIDCONTAINER\", \"SecretAccessKey\": \"{SSO_SECRET}\", \
                 \"Token\": \"{SSO_SESSION_TOKEN}\", \"Expiration\": \"2099-01-01T00:00:00Z\"}}"
            )
        } else {
            return Action::Reply(http(403, "Forbidden", &[], "{}"));
        };
        Action::Reply(http(
            200,
            "OK",
            &[("Content-Type", "application/json")],
            &body,
        ))
    })
}

#[test]
fn provider_canaries_never_appear_in_output_or_files() {
    let errors = FaultServer::always(error_xml(
        400,
        "Bad Request",
        "ValidationError",
        "no such thing",
    ));
    let successes = success_server();
    let refused = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    let providers = provider_server();
    let mut exit_codes = std::collections::BTreeSet::new();
    for kind in ["credential_process", "sso", "container"] {
        for url in [errors.url(), successes.url(), refused.clone()] {
            for command in [
                &["domain", "list"][..],
                &["--signature", "v2", "lc", "create", "lc1", "ami-1", "hotel"][..],
                &["wait", "in-service", "web", "--timeout", "1s"][..],
            ] {
                let home = scratch_dir("provider-secret-home");
                let portal = providers.url();
                let (env, written) = provider_home(kind, &home, portal.trim_end_matches('/'));
                let mut args: Vec<String> =
                    vec!["--endpoint-url".into(), url.clone(), "--debug".into()];
                args.extend(command.iter().map(|s| s.to_string()));
                let run = Phantom::new(&args)
                    .home(&home)
                    .in_home()
                    .env("PHANTOM_RETRY_BASE_MS", "1")
                    .envs(env.as_slice())
                    .run();
                exit_codes.insert(run.code);
                assert!(run.stderr.contains("[debug] "), "{kind} {args:?}: {run:?}");
                for canary in PROVIDER_CANARIES {
                    assert!(
                        !run.stdout.contains(canary) && !run.stderr.contains(canary),
                        "{kind} {args:?} printed a secret: {run:?}"
                    );
                }
                let mut files = Vec::new();
                files_under(&home, &mut files);
                for (path, bytes) in files.iter().filter(|(p, _)| !written.contains(p)) {
                    for canary in PROVIDER_CANARIES {
                        assert!(
                            !contains(bytes, canary),
                            "{} holds a secret",
                            path.display()
                        );
                    }
                }
            }
        }
    }
    assert!(
        exit_codes.contains(&0) && exit_codes.contains(&1) && exit_codes.contains(&3),
        "{exit_codes:?}"
    );
    // The secrets did travel: session tokens in the signed requests (in the body for SigV2).
    let requests = errors.requests();
    for token in [PROCESS_TOKEN, SSO_SESSION_TOKEN] {
        assert!(
            requests
                .iter()
                .any(|r| r.param("SecurityToken").as_deref() == Some(token)),
            "{token} was not sent"
        );
    }
}

#[test]
fn debug_of_configuration_types_is_redacted() {
    let credentials =
        phantom_autoscale::Credentials::new("AKIDSHOWN", SECRET).with_session_token(TOKEN);
    let endpoint = Endpoint::parse("http://127.0.0.1:8445").unwrap();
    let resolved = resolve(
        &ConfigInputs {
            endpoint_url: Some(endpoint.url()),
            ..ConfigInputs::default()
        },
        &MapEnvironment::new()
            .with("AWS_ACCESS_KEY_ID", "AKIDSHOWN")
            .with("AWS_SECRET_ACCESS_KEY", SECRET)
            .with("AWS_SESSION_TOKEN", TOKEN),
    )
    .unwrap();
    assert_eq!(resolved.credentials.as_ref(), Some(&credentials));
    let mut transport = TransportConfig::new(endpoint, "us-east-1");
    transport.credentials = Some(credentials.clone());
    let request = QueryRequest {
        method: http::Method::POST,
        scheme: "http".into(),
        host: "127.0.0.1".into(),
        port: Some(8445),
        path: "/".into(),
        params: vec![("Action".into(), "DescribeTags".into())],
    };
    let mut signed = Vec::<SignedRequest>::new();
    for version in [
        sign::SignatureVersion::V4,
        sign::SignatureVersion::PhantomV4,
        sign::SignatureVersion::V2(sign::HmacAlgorithm::Sha256),
    ] {
        signed.push(
            sign::sign(
                &request,
                &version,
                &sign::SigningParams {
                    credentials: &credentials,
                    region: "us-east-1",
                    service: "autoscaling",
                    time: std::time::SystemTime::now(),
                },
            )
            .unwrap(),
        );
    }
    let client = phantom_autoscale::autoscaling::Client::new(transport.clone()).unwrap();
    let shown =
        format!("{resolved:?}\n{resolved}\n{transport:?}\n{signed:?}\n{client:?}\n{credentials:?}");
    assert!(shown.contains("AKIDSHOWN"), "{shown}");
    for canary in [SECRET, TOKEN] {
        assert!(!shown.contains(canary), "{shown}");
    }
    // The signatures themselves are redacted too.
    for s in &signed {
        let full = format!("{s:?}");
        assert!(full.contains("**redacted**"), "{full}");
        let real: Vec<&String> = s
            .headers
            .iter()
            .filter(|(k, _)| k == "Authorization")
            .map(|(_, v)| v)
            .collect();
        for value in real {
            let sig = value.rsplit("Signature=").next().unwrap();
            assert!(!full.contains(sig), "{full}");
        }
    }
}

#[test]
fn debug_of_provided_credentials_is_redacted() {
    use phantom_autoscale::config::providers::Fetched;
    let credentials =
        phantom_autoscale::Credentials::new("AKIDSHOWN", SECRET).with_session_token(TOKEN);
    let fetched = Fetched {
        scrubber: phantom_autoscale::credentials::Scrubber::for_credentials(&credentials),
        credentials,
        expires: None,
    };
    let resolved = resolve(
        &ConfigInputs::default(),
        &MapEnvironment::new().with("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/c"),
    )
    .unwrap();
    let provider = resolved.provider.clone().expect("a container provider");
    let shown = format!(
        "{fetched:?}\n{resolved:?}\n{resolved}\n{provider:?}\n{:?}",
        resolved.transport().unwrap()
    );
    assert!(shown.contains("AKIDSHOWN") && shown.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI"));
    for canary in [SECRET, TOKEN] {
        assert!(!shown.contains(canary), "{shown}");
    }
}

// ---- TLS ------------------------------------------------------------------------------------

/// A CA and a certificate it signed for `localhost` and 127.0.0.1, in PEM (also used by
/// `cli_config`'s `ca_bundle` test).
pub(crate) struct TestPki {
    pub(crate) ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

pub(crate) fn make_pki() -> TestPki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "phantom-autoscale test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    TestPki {
        ca_pem: ca_cert.pem(),
        cert_pem: leaf.pem(),
        key_pem: leaf_key.serialize_pem(),
    }
}

/// A loopback HTTPS server answering every request with one group; counts completed handshakes.
pub(crate) fn tls_server(pki: &TestPki) -> (String, Arc<AtomicUsize>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = vec![CertificateDer::from_pem_slice(pki.cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(pki.key_pem.as_bytes()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut tcp) = stream else { continue };
            let config = config.clone();
            let counter = counter.clone();
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, &mut tcp);
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                let request_complete = |b: &[u8]| {
                    let Some(end) = b.windows(4).position(|w| w == b"\r\n\r\n") else {
                        return false;
                    };
                    let head = String::from_utf8_lossy(&b[..end]).to_ascii_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    b.len() >= end + 4 + length
                };
                while !request_complete(&buffer) {
                    match tls.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = tls.write_all(&ok_xml(GROUPS_XML));
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    (format!("https://localhost:{port}"), served)
}

#[test]
fn tls_is_verified_and_ca_bundle_adds_a_ca() {
    let pki = make_pki();
    let dir = scratch_dir("tls");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).unwrap();
    let ca_path = ca_file.display().to_string();
    let (url, served) = tls_server(&pki);

    // Default: the unknown CA is refused, clearly.
    let run = phantom(&["--endpoint-url", &url, "--debug", "domain", "list"], &[]);
    assert_eq!(run.code, 3, "{run:?}");
    let line = run.stderr.lines().last().unwrap_or_default().to_string();
    assert!(
        line.starts_with(
            "phantom: error: DescribeAutoScalingGroups: could not reach https://localhost:"
        ),
        "{line}"
    );
    assert!(
        line.contains("certificate") && line.contains("UnknownIssuer"),
        "{line}"
    );
    assert!(
        line.ends_with("(the server's TLS certificate was refused: trust its CA with --ca-bundle FILE or AWS_CA_BUNDLE)"),
        "{line}"
    );
    assert!(
        !run.stderr.contains("attempt 1 of 3 failed"),
        "a refused certificate is not retried: {}",
        run.stderr
    );
    assert_eq!(served.load(Ordering::SeqCst), 0);

    // --ca-bundle trusts the test CA.
    let run = phantom(
        &[
            "--endpoint-url",
            &url,
            "--ca-bundle",
            &ca_path,
            "domain",
            "list",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("web\n"), "{}", run.stdout);
    assert_eq!(run.stderr, "");
    assert_eq!(served.load(Ordering::SeqCst), 1);

    // So does AWS_CA_BUNDLE.
    let run = phantom(
        &["--endpoint-url", &url, "domain", "list"],
        &[("AWS_CA_BUNDLE", &ca_path)],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(served.load(Ordering::SeqCst), 2);

    // --no-verify-ssl works without the CA and says so.
    let run = phantom(
        &["--endpoint-url", &url, "--no-verify-ssl", "domain", "list"],
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("web\n"));
    assert_eq!(
        run.stderr,
        "phantom: warning: TLS certificates are not verified (--no-verify-ssl)\n"
    );

    // A bundle that is not PEM, or a missing file, is a configuration error.
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let run = phantom(
        &[
            "--endpoint-url",
            &url,
            "--ca-bundle",
            &junk.display().to_string(),
            "domain",
            "list",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("CA bundle"), "{}", run.stderr);
    let run = phantom(
        &[
            "--endpoint-url",
            &url,
            "--ca-bundle",
            "/nonexistent/ca.pem",
            "domain",
            "list",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("reading CA bundle /nonexistent/ca.pem"),
        "{}",
        run.stderr
    );
}
