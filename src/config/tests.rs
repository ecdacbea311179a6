//! The precedence rules end to end: [`resolve`] against a [`MapEnvironment`] and files in a
//! temporary home directory (the real `~/.aws` is never read).

use super::*;
use crate::error::Error;
use crate::profile::{HOTEL_S3ID, HOTEL_S3KEY};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

const CANARY: &str = "CANARYsecretKEY987654321";

/// A unique temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "phantom-config-test-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An environment whose home is the temp dir (so the real ~/.aws is never read).
fn env_in(dir: &TempDir) -> MapEnvironment {
    MapEnvironment::new().with_home(&dir.0)
}

fn ok(inputs: &ConfigInputs, env: &MapEnvironment) -> ResolvedConfig {
    resolve(inputs, env).unwrap()
}

fn err(inputs: &ConfigInputs, env: &MapEnvironment) -> String {
    match resolve(inputs, env) {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => {
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(CANARY), "{shown}");
            assert!(matches!(e, Error::Config(_)), "{e:?}");
            e.to_string()
        }
    }
}

fn flags() -> ConfigInputs {
    ConfigInputs::default()
}

// ---- FromStr / Display ----

#[test]
fn dialect_and_signature_strings() {
    for d in [Dialect::Aws, Dialect::Phantom] {
        assert_eq!(d.to_string().parse::<Dialect>().unwrap(), d);
    }
    assert_eq!(" PHANTOM ".parse::<Dialect>().unwrap(), Dialect::Phantom);
    assert!(
        "nimbus"
            .parse::<Dialect>()
            .unwrap_err()
            .to_string()
            .contains("nimbus")
    );
    for s in [SignatureChoice::V2, SignatureChoice::V4] {
        assert_eq!(s.to_string().parse::<SignatureChoice>().unwrap(), s);
    }
    assert_eq!(
        "V4".parse::<SignatureChoice>().unwrap(),
        SignatureChoice::V4
    );
    assert!("v3".parse::<SignatureChoice>().is_err());
    for a in [ApiChoice::Query, ApiChoice::Rest] {
        assert_eq!(a.to_string().parse::<ApiChoice>().unwrap(), a);
    }
    let e = "soap".parse::<ApiChoice>().unwrap_err().to_string();
    assert!(e.contains("soap") && e.contains("`query` or `rest`"), "{e}");
}

// ---- Endpoint precedence ----

#[test]
fn endpoint_precedence() {
    let dir = TempDir::new();
    dir.write(
        ".aws/config",
        "[default]\nendpoint_url = http://from-profile:1/\n",
    );
    let full = env_in(&dir)
        .with("PHANTOM_URL", "http://from-phantom-url:2/")
        .with("AWS_ENDPOINT_URL", "http://from-aws-env:3/");
    let f = ConfigInputs {
        endpoint_url: Some("http://from-flag:4/".into()),
        ..flags()
    };
    assert_eq!(ok(&f, &full).endpoint.host, "from-flag");
    assert_eq!(ok(&flags(), &full).endpoint.host, "from-phantom-url");
    let mut env = full.clone();
    env.vars.remove("PHANTOM_URL");
    assert_eq!(ok(&flags(), &env).endpoint.host, "from-aws-env");
    env.vars.remove("AWS_ENDPOINT_URL");
    assert_eq!(ok(&flags(), &env).endpoint.host, "from-profile");
    let bare = env_in(&TempDir::new());
    assert_eq!(
        ok(&flags(), &bare).endpoint.url(),
        "https://autoscaling.us-east-1.amazonaws.com/"
    );
    // Blank values count as unset.
    let blank = env_in(&TempDir::new()).with("PHANTOM_URL", "  ");
    assert_eq!(
        ok(&flags(), &blank).endpoint.host,
        "autoscaling.us-east-1.amazonaws.com"
    );
}

#[test]
fn service_endpoints_ec2_and_auto_scaling() {
    let dir = TempDir::new();
    dir.write(
        ".aws/config",
        "[profile dev]\nservices = local\nendpoint_url = http://from-profile:1/\n\
         [services local]\nec2 =\n  endpoint_url = http://ec2-from-services:5/\n\
         auto_scaling =\n  endpoint_url = http://as-from-services:6/\n  other = x\n\
         [services unused]\nec2 =\n  endpoint_url = http://never:7/\n",
    );
    let dev = ConfigInputs {
        profile: Some("dev".into()),
        ..flags()
    };
    let env = env_in(&dir);
    let c = ok(&dev, &env);
    assert_eq!(c.ec2_endpoint.host, "ec2-from-services");
    assert_eq!(c.endpoint.host, "as-from-services");
    // The general variable comes before the services section; each service's variable before it.
    let general = env.clone().with("AWS_ENDPOINT_URL", "http://general:3/");
    let c = ok(&dev, &general);
    assert_eq!(
        (c.endpoint.host.as_str(), c.ec2_endpoint.host.as_str()),
        ("general", "general")
    );
    let specific = general
        .clone()
        .with("AWS_ENDPOINT_URL_EC2", "http://ec2-env:8/")
        .with("AWS_ENDPOINT_URL_AUTO_SCALING", "http://as-env:9/");
    let c = ok(&dev, &specific);
    assert_eq!(
        (c.endpoint.host.as_str(), c.ec2_endpoint.host.as_str()),
        ("as-env", "ec2-env")
    );
    // One URL on the command line serves both.
    let f = ConfigInputs {
        endpoint_url: Some("http://127.0.0.1:8445/".into()),
        ..dev.clone()
    };
    let c = ok(&f, &specific);
    assert_eq!(c.endpoint, c.ec2_endpoint);
    let c = ok(&f, &specific.with("AWS_EC2_METADATA_DISABLED", "true"));
    let t = c.ec2_transport().unwrap_err().to_string();
    assert!(t.contains("no credentials"), "{t}");
    // No services section named: the profile's endpoint_url, else the AWS endpoints.
    let plain = ConfigInputs {
        region: Some("eu-west-3".into()),
        ..flags()
    };
    let c = ok(&plain, &env_in(&TempDir::new()));
    assert_eq!(c.ec2_endpoint.url(), "https://ec2.eu-west-3.amazonaws.com/");
    assert_eq!(
        c.endpoint.url(),
        "https://autoscaling.eu-west-3.amazonaws.com/"
    );
    let keyed = env_in(&TempDir::new())
        .with("AWS_ACCESS_KEY_ID", "AKID")
        .with("AWS_SECRET_ACCESS_KEY", CANARY);
    let t = ok(&plain, &keyed).ec2_transport().unwrap();
    assert_eq!(
        (t.service.as_str(), t.version.as_str()),
        ("ec2", "2016-11-15")
    );
    assert_eq!(t.endpoint.host, "ec2.eu-west-3.amazonaws.com");
    // A bad URL in a services section names where it is.
    dir.write(
        ".aws/config",
        "[profile dev]\nservices = local\n[services local]\nec2 =\n  endpoint_url = ftp://x\n",
    );
    let e = err(&dev, &env);
    assert!(e.contains("ec2 in [services local]"), "{e}");
}

#[test]
fn service_endpoints_of_the_two_load_balancing_slices() {
    let dir = TempDir::new();
    dir.write(
        ".aws/config",
        "[profile dev]\nservices = local\n[services local]\n\
         elastic_load_balancing =\n  endpoint_url = http://elb-from-services:5/\n\
         elastic_load_balancing_v2 =\n  endpoint_url = http://elbv2-from-services:6/\n",
    );
    let dev = ConfigInputs {
        profile: Some("dev".into()),
        ..flags()
    };
    let env = env_in(&dir);
    let c = ok(&dev, &env);
    assert_eq!(
        (c.elb_endpoint.host.as_str(), c.elbv2_endpoint.host.as_str()),
        ("elb-from-services", "elbv2-from-services")
    );
    let specific = env
        .clone()
        .with("AWS_ENDPOINT_URL", "http://general:3/")
        .with(
            "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING",
            "http://elb-env:8/",
        )
        .with(
            "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
            "http://elbv2-env:9/",
        );
    let c = ok(&dev, &specific);
    assert_eq!(
        (c.elb_endpoint.host.as_str(), c.elbv2_endpoint.host.as_str()),
        ("elb-env", "elbv2-env")
    );
    assert_eq!(c.endpoint.host, "general");
    let plain = ConfigInputs {
        region: Some("eu-west-3".into()),
        ..flags()
    };
    let keyed = env_in(&TempDir::new())
        .with("AWS_ACCESS_KEY_ID", "AKID")
        .with("AWS_SECRET_ACCESS_KEY", CANARY);
    let c = ok(&plain, &keyed);
    let t = c.elb_transport::<crate::elb::V2>().unwrap();
    assert_eq!(
        (t.service.as_str(), t.version.as_str()),
        ("elasticloadbalancing", "2015-12-01")
    );
    assert_eq!(
        t.endpoint.url(),
        "https://elasticloadbalancing.eu-west-3.amazonaws.com/"
    );
    let t = c.elb_transport::<crate::elb::Classic>().unwrap();
    assert_eq!(t.version, "2012-06-01");
}

#[test]
fn endpoint_default_follows_region_and_keeps_path() {
    let env = env_in(&TempDir::new()).with("AWS_REGION", "ap-southeast-2");
    assert_eq!(
        ok(&flags(), &env).endpoint.host,
        "autoscaling.ap-southeast-2.amazonaws.com"
    );
    let env =
        env_in(&TempDir::new()).with("PHANTOM_URL", "https://phantom.nimbusproject.org/api/dev");
    let c = ok(&flags(), &env);
    assert_eq!(c.endpoint.path, "/api/dev");
    assert_eq!(
        c.endpoint.url(),
        "https://phantom.nimbusproject.org/api/dev"
    );
}

#[test]
fn invalid_endpoint_names_value_and_source() {
    let f = ConfigInputs {
        endpoint_url: Some("ftp://x".into()),
        ..flags()
    };
    let e = err(&f, &env_in(&TempDir::new()));
    assert!(e.contains("ftp://x") && e.contains("--endpoint-url"), "{e}");
    for var in ["PHANTOM_URL", "AWS_ENDPOINT_URL"] {
        let e = err(&flags(), &env_in(&TempDir::new()).with(var, "nohost"));
        assert!(e.contains("nohost") && e.contains(var), "{e}");
    }
    let dir = TempDir::new();
    let cfg = dir.write(".aws/config", "[default]\nendpoint_url = https://\n");
    let e = err(&flags(), &env_in(&dir));
    assert!(
        e.contains("https://") && e.contains(&cfg.display().to_string()),
        "{e}"
    );
    assert!(e.contains("profile default"), "{e}");
}

// ---- Region precedence ----

#[test]
fn region_precedence() {
    let dir = TempDir::new();
    dir.write(".aws/config", "[default]\nregion = from-profile-1\n");
    dir.write(
        ".aws/credentials",
        "[default]\nregion = from-credentials-file\n",
    );
    let full = env_in(&dir)
        .with("AWS_REGION", "from-aws-region-1")
        .with("AWS_DEFAULT_REGION", "from-default-region-1");
    let f = ConfigInputs {
        region: Some("from-flag-1".into()),
        ..flags()
    };
    assert_eq!(ok(&f, &full).region, "from-flag-1");
    assert_eq!(ok(&flags(), &full).region, "from-aws-region-1");
    let mut env = full.clone();
    env.vars.remove("AWS_REGION");
    assert_eq!(ok(&flags(), &env).region, "from-default-region-1");
    env.vars.remove("AWS_DEFAULT_REGION");
    assert_eq!(ok(&flags(), &env).region, "from-profile-1");
    // The credentials file's region is not used (as botocore).
    std::fs::remove_file(dir.0.join(".aws/config")).unwrap();
    assert_eq!(ok(&flags(), &env).region, "us-east-1");
}

#[test]
fn invalid_region_names_source() {
    let f = ConfigInputs {
        region: Some("us east 1".into()),
        ..flags()
    };
    let e = err(&f, &env_in(&TempDir::new()));
    assert!(e.contains("us east 1") && e.contains("--region"), "{e}");
    for bad in ["-x", "x-", "a/b", "x.evil.com"] {
        let e = err(
            &flags(),
            &env_in(&TempDir::new()).with("AWS_DEFAULT_REGION", bad),
        );
        assert!(e.contains("AWS_DEFAULT_REGION"), "{e}");
    }
}

// ---- Profile selection and files ----

#[test]
fn profile_precedence_and_prefix() {
    let dir = TempDir::new();
    dir.write(
        ".aws/config",
        "[default]\nregion = r-default\n[profile envp]\nregion = r-env\n\
         [profile flagp]\nregion = r-flag\n",
    );
    let env = env_in(&dir).with("AWS_PROFILE", "envp");
    let f = ConfigInputs {
        profile: Some("flagp".into()),
        ..flags()
    };
    assert_eq!(ok(&f, &env).region, "r-flag");
    assert_eq!(ok(&flags(), &env).region, "r-env");
    assert_eq!(ok(&flags(), &env_in(&dir)).region, "r-default");
}

#[test]
fn profile_files_from_environment_variables() {
    let dir = TempDir::new();
    dir.write(".aws/config", "[default]\nregion = home-region\n");
    let cfg = dir.write("elsewhere/cfg", "[profile p]\nregion = moved-region\n");
    let creds = dir.write(
        "elsewhere/creds",
        "[p]\naws_access_key_id = AKMOVED\naws_secret_access_key = s\n",
    );
    let env = env_in(&dir)
        .with("AWS_CONFIG_FILE", cfg.display().to_string())
        .with("AWS_SHARED_CREDENTIALS_FILE", creds.display().to_string())
        .with("AWS_PROFILE", "p");
    let c = ok(&flags(), &env);
    assert_eq!(c.region, "moved-region");
    assert_eq!(c.credentials.unwrap().access_key_id(), "AKMOVED");
    assert_eq!(
        c.credentials_source.to_string(),
        format!("profile p in {}", creds.display())
    );
    // `~/` in the variables is the home directory.
    let env = env_in(&dir)
        .with("AWS_CONFIG_FILE", "~/elsewhere/cfg")
        .with("AWS_PROFILE", "p");
    assert_eq!(ok(&flags(), &env).region, "moved-region");
}

#[test]
fn named_profile_missing_is_an_error_default_is_not() {
    let dir = TempDir::new();
    let creds = dir.write(".aws/credentials", "[other]\n");
    let cfg = dir.write(".aws/config", "[profile other]\n");
    let f = ConfigInputs {
        profile: Some("ghost".into()),
        ..flags()
    };
    let e = err(&f, &env_in(&dir));
    assert!(e.contains("ghost") && e.contains("--profile"), "{e}");
    assert!(e.contains(&creds.display().to_string()), "{e}");
    assert!(e.contains(&cfg.display().to_string()), "{e}");
    let e = err(&flags(), &env_in(&dir).with("AWS_PROFILE", "ghost"));
    assert!(e.contains("AWS_PROFILE"), "{e}");
    // No files at all.
    let e = err(&f, &env_in(&TempDir::new()));
    assert!(e.contains("no credentials or config file"), "{e}");
    // Without a home directory, a named profile cannot be found either.
    let e = err(&f, &MapEnvironment::new());
    assert!(e.contains("ghost"), "{e}");
    // The default profile may be absent.
    assert!(ok(&flags(), &env_in(&dir)).credentials.is_none());
    assert!(ok(&flags(), &MapEnvironment::new()).credentials.is_none());
    // A profile only in one file is found.
    let f = ConfigInputs {
        profile: Some("other".into()),
        ..flags()
    };
    assert!(ok(&f, &env_in(&dir)).credentials.is_none());
}

#[test]
fn broken_profile_file_is_a_clear_error() {
    let dir = TempDir::new();
    let cfg = dir.write(".aws/config", "[default\nregion = x\n");
    let e = err(&flags(), &env_in(&dir));
    assert!(e.contains(&format!("{}, line 1", cfg.display())), "{e}");
    let dir = TempDir::new();
    dir.write(".aws/credentials", &format!("[default]\n{CANARY}\n"));
    let e = err(&flags(), &env_in(&dir));
    assert!(e.contains("line 2"), "{e}");
}

// ---- Credentials chain ----

fn all_sources(dir: &TempDir) -> (MapEnvironment, ConfigInputs) {
    let hotel = dir.write(
        "hotel.conf",
        "vws.repository=svc.uc.futuregrid.org:8445\nvws.repository.s3id=AKHOTEL\n\
         vws.repository.s3key=hotelsecret\n",
    );
    dir.write(
        ".aws/credentials",
        "[default]\naws_access_key_id=AKCREDFILE\naws_secret_access_key=cs\n",
    );
    dir.write(
        ".aws/config",
        "[default]\naws_access_key_id=AKCONFIG\naws_secret_access_key=cfs\n",
    );
    let env = env_in(dir)
        .with("AWS_ACCESS_KEY_ID", "AKENV")
        .with("AWS_SECRET_ACCESS_KEY", "envsecret")
        .with("EC2_ACCESS_KEY", "AKEC2")
        .with("EC2_SECRET_KEY", "ec2secret");
    let inputs = ConfigInputs {
        hotel_conf: Some(hotel),
        ..flags()
    };
    (env, inputs)
}

#[test]
fn credentials_precedence_chain() {
    let dir = TempDir::new();
    let (mut env, inputs) = all_sources(&dir);
    let c = ok(&inputs, &env);
    let k = c.credentials.unwrap();
    assert_eq!(k.access_key_id(), "AKENV");
    assert_eq!(k.secret_access_key().expose(), "envsecret");
    assert!(k.session_token().is_none());
    assert_eq!(
        c.credentials_source.to_string(),
        "environment (AWS_ACCESS_KEY_ID)"
    );

    env.vars.remove("AWS_ACCESS_KEY_ID");
    env.vars.remove("AWS_SECRET_ACCESS_KEY");
    let c = ok(&inputs, &env);
    assert_eq!(c.credentials.unwrap().access_key_id(), "AKEC2");
    assert_eq!(
        c.credentials_source.to_string(),
        "environment (EC2_ACCESS_KEY)"
    );

    env.vars.remove("EC2_ACCESS_KEY");
    env.vars.remove("EC2_SECRET_KEY");
    let c = ok(&inputs, &env);
    let k = c.credentials.unwrap();
    assert_eq!(k.access_key_id(), "AKHOTEL");
    assert_eq!(k.secret_access_key().expose(), "hotelsecret");
    assert_eq!(
        c.credentials_source.to_string(),
        format!("hotel.conf {}", dir.path("hotel.conf"))
    );

    let c = ok(&flags(), &env);
    assert_eq!(c.credentials.unwrap().access_key_id(), "AKCREDFILE");
    assert_eq!(
        c.credentials_source.to_string(),
        format!("profile default in {}", dir.path(".aws/credentials"))
    );

    dir.write(".aws/credentials", "[default]\nregion = ignored\n");
    let c = ok(&flags(), &env);
    assert_eq!(c.credentials.unwrap().access_key_id(), "AKCONFIG");
    assert_eq!(
        c.credentials_source.to_string(),
        format!("profile default in {}", dir.path(".aws/config"))
    );

    dir.write(".aws/config", "[default]\n");
    // No static keys: instance metadata is the last resort, asked only when a request needs it.
    let c = ok(&flags(), &env);
    assert!(c.credentials.is_none());
    assert_eq!(
        c.credentials_source.to_string(),
        "provider: instance metadata (IMDS)"
    );
    assert!(c.provider.is_some() && c.transport().is_ok());
    // Ruled out: nothing is found, and the transport says where it looked.
    let env = env.with("AWS_EC2_METADATA_DISABLED", "true");
    let c = ok(&flags(), &env);
    assert!(c.credentials.is_none() && c.provider.is_none());
    assert!(
        c.credentials_source
            .to_string()
            .starts_with("none found; looked in AWS_ACCESS_KEY_ID")
            && c.credentials_source.to_string().contains("EC2_ACCESS_KEY")
            && c.credentials_source.to_string().contains(&format!(
                "profile default in {}",
                dir.path(".aws/credentials")
            )),
        "{}",
        c.credentials_source
    );
}

#[test]
fn session_tokens_from_env_and_profile() {
    let env = env_in(&TempDir::new())
        .with("AWS_ACCESS_KEY_ID", "AK")
        .with("AWS_SECRET_ACCESS_KEY", "s")
        .with("AWS_SESSION_TOKEN", "tok");
    let k = ok(&flags(), &env).credentials.unwrap();
    assert_eq!(k.session_token().unwrap().expose(), "tok");
    let dir = TempDir::new();
    dir.write(
        ".aws/credentials",
        "[default]\naws_access_key_id=AK\naws_secret_access_key=s\naws_session_token=pt\n",
    );
    let k = ok(&flags(), &env_in(&dir)).credentials.unwrap();
    assert_eq!(k.session_token().unwrap().expose(), "pt");
    // A session token alone is not credentials.
    let env = env_in(&TempDir::new()).with("AWS_SESSION_TOKEN", "tok");
    assert!(ok(&flags(), &env).credentials.is_none());
}

#[test]
fn half_pairs_name_the_missing_variable() {
    let cases = [
        ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
        ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"),
        ("EC2_ACCESS_KEY", "EC2_SECRET_KEY"),
        ("EC2_SECRET_KEY", "EC2_ACCESS_KEY"),
    ];
    for (set, missing) in cases {
        let env = env_in(&TempDir::new()).with(set, CANARY);
        let e = err(&flags(), &env);
        assert!(e.contains(&format!("{missing} is missing")), "{e}");
    }
    // A complete earlier source wins over a later half pair.
    let env = env_in(&TempDir::new())
        .with("AWS_ACCESS_KEY_ID", "AK")
        .with("AWS_SECRET_ACCESS_KEY", "s")
        .with("EC2_ACCESS_KEY", "half");
    assert_eq!(
        ok(&flags(), &env).credentials.unwrap().access_key_id(),
        "AK"
    );
}

#[test]
fn half_pairs_in_profile_files() {
    let dir = TempDir::new();
    let creds = dir.write(".aws/credentials", "[default]\naws_access_key_id = AK\n");
    let e = err(&flags(), &env_in(&dir));
    assert!(e.contains("aws_secret_access_key"), "{e}");
    assert!(e.contains(&creds.display().to_string()), "{e}");
    dir.write(".aws/credentials", "");
    let cfg = dir.write(
        ".aws/config",
        &format!("[default]\naws_secret_access_key = {CANARY}\n"),
    );
    let e = err(&flags(), &env_in(&dir));
    assert!(e.contains("no aws_access_key_id"), "{e}");
    assert!(e.contains(&cfg.display().to_string()), "{e}");
}

#[test]
fn hotel_conf_from_env_and_its_errors() {
    let dir = TempDir::new();
    let hotel = dir.write(
        "cloud.properties",
        "vws.repository.s3id: AKPROP\nvws.repository.s3key  propsecret\n",
    );
    let env = env_in(&dir).with("PHANTOM_HOTEL_CONF", hotel.display().to_string());
    let c = ok(&flags(), &env);
    assert_eq!(c.credentials.unwrap().access_key_id(), "AKPROP");
    assert!(
        c.credentials_source
            .to_string()
            .contains("cloud.properties")
    );
    // The flag wins over the variable.
    let other = dir.write(
        "hotel.conf",
        "vws.repository.s3id=AKFLAG\nvws.repository.s3key=x\n",
    );
    let f = ConfigInputs {
        hotel_conf: Some(other),
        ..flags()
    };
    assert_eq!(ok(&f, &env).credentials.unwrap().access_key_id(), "AKFLAG");
    // Missing file, missing keys.
    let f = ConfigInputs {
        hotel_conf: Some(dir.0.join("absent.conf")),
        ..flags()
    };
    let e = err(&f, &env_in(&dir));
    assert!(
        e.contains("absent.conf") && e.contains("--hotel-conf"),
        "{e}"
    );
    let no_key = dir.write("nokey.conf", "vws.repository.s3id=AK\n");
    let env = env_in(&dir).with("PHANTOM_HOTEL_CONF", no_key.display().to_string());
    let e = err(&flags(), &env);
    assert!(
        e.contains(HOTEL_S3KEY) && e.contains("PHANTOM_HOTEL_CONF"),
        "{e}"
    );
    let no_id = dir.write("noid.conf", &format!("vws.repository.s3key={CANARY}\n"));
    let f = ConfigInputs {
        hotel_conf: Some(no_id),
        ..flags()
    };
    let e = err(&f, &env_in(&dir));
    assert!(e.contains(HOTEL_S3ID), "{e}");
    let bad = dir.write("bad.conf", "vws.repository.s3id=\\u00\n");
    let f = ConfigInputs {
        hotel_conf: Some(bad),
        ..flags()
    };
    let e = err(&f, &env_in(&dir));
    assert!(e.contains("line 1"), "{e}");
}

// ---- Dialect and signature ----

#[test]
fn phantom_launch_configuration_names_and_sites() {
    let p = Dialect::Phantom;
    assert_eq!(
        p.launch_configuration_name("lc", Some("hotel"))
            .unwrap()
            .to_string(),
        "lc@hotel"
    );
    assert_eq!(
        p.launch_configuration_name("lc@hotel", None)
            .unwrap()
            .to_string(),
        "lc@hotel"
    );
    assert_eq!(
        p.launch_configuration_name("lc@hotel", Some("hotel"))
            .unwrap()
            .to_string(),
        "lc@hotel"
    );
    assert_eq!(
        p.launch_configuration_name("lc", None).unwrap().to_string(),
        "lc"
    );
    for (name, site) in [
        ("lc4@sierra", Some("hotel")),
        ("lc3@", None),
        ("lc3@ ", None),
        ("@hotel", None),
        ("a@b@c", None),
        ("lc", Some("")),
        ("lc", Some("a@b")),
    ] {
        let e = p.launch_configuration_name(name, site).unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{name} {site:?}: {e}");
    }
    // AWS names are free; the site is ignored.
    assert_eq!(
        Dialect::Aws
            .launch_configuration_name("lc4@sierra", Some("hotel"))
            .unwrap()
            .to_string(),
        "lc4@sierra"
    );
}

#[test]
fn dialect_rules() {
    let bare = || env_in(&TempDir::new());
    assert_eq!(ok(&flags(), &bare()).dialect, Dialect::Aws);
    let env = bare().with("PHANTOM_URL", "http://localhost:9000/");
    assert_eq!(ok(&flags(), &env).dialect, Dialect::Phantom);
    let env = bare().with("AWS_ENDPOINT_URL", "https://phantom.nimbusproject.org/");
    assert_eq!(ok(&flags(), &env).dialect, Dialect::Phantom);
    let env = bare().with("AWS_ENDPOINT_URL", "https://NimbusProject.org/");
    assert_eq!(ok(&flags(), &env).dialect, Dialect::Phantom);
    let env = bare().with("AWS_ENDPOINT_URL", "https://notnimbusproject.org/");
    assert_eq!(ok(&flags(), &env).dialect, Dialect::Aws);
    let env = bare().with("AWS_ENDPOINT_URL", "https://svc.uc.futuregrid.org:8445");
    assert_eq!(ok(&flags(), &env).dialect, Dialect::Phantom);
    let env = bare().with("AWS_ENDPOINT_URL", "http://localhost:5000");
    assert_eq!(ok(&flags(), &env).dialect, Dialect::Aws);
    // PHANTOM_DIALECT beats detection; the flag beats PHANTOM_DIALECT.
    let env = bare()
        .with("PHANTOM_URL", "http://localhost:9000/")
        .with("PHANTOM_DIALECT", "aws");
    assert_eq!(ok(&flags(), &env).dialect, Dialect::Aws);
    let f = ConfigInputs {
        dialect: Some(Dialect::Phantom),
        ..flags()
    };
    let env = bare().with("PHANTOM_DIALECT", "aws");
    assert_eq!(ok(&f, &env).dialect, Dialect::Phantom);
    let e = err(&flags(), &bare().with("PHANTOM_DIALECT", "eucalyptus"));
    assert!(
        e.contains("PHANTOM_DIALECT") && e.contains("eucalyptus"),
        "{e}"
    );
}

#[test]
fn signature_rules() {
    let bare = || env_in(&TempDir::new());
    assert_eq!(ok(&flags(), &bare()).signature, SignatureChoice::V4);
    let env = bare().with("PHANTOM_URL", "https://phantom.nimbusproject.org:8445/");
    assert_eq!(ok(&flags(), &env).signature, SignatureChoice::V2);
    let f = ConfigInputs {
        signature: Some(SignatureChoice::V4),
        ..flags()
    };
    assert_eq!(ok(&f, &env).signature, SignatureChoice::V4);
    let f = ConfigInputs {
        signature: Some(SignatureChoice::V2),
        ..flags()
    };
    assert_eq!(ok(&f, &bare()).signature, SignatureChoice::V2);
}

// ---- Secrets never shown ----

#[test]
fn resolved_config_never_shows_secrets() {
    let dir = TempDir::new();
    let hotel = dir.write(
        "hotel.conf",
        &format!("vws.repository.s3id=AKHOTEL\nvws.repository.s3key={CANARY}\n"),
    );
    let envs = [
        env_in(&dir)
            .with("AWS_ACCESS_KEY_ID", "AKENV")
            .with("AWS_SECRET_ACCESS_KEY", CANARY)
            .with("AWS_SESSION_TOKEN", CANARY),
        env_in(&dir)
            .with("EC2_ACCESS_KEY", "AKEC2")
            .with("EC2_SECRET_KEY", CANARY),
        env_in(&dir).with("PHANTOM_HOTEL_CONF", hotel.display().to_string()),
    ];
    for env in &envs {
        let c = ok(&flags(), env);
        let shown = format!("{c} {c:?} {env:?}");
        assert!(shown.contains("AK"), "{shown}");
        assert!(!shown.contains(CANARY), "{shown}");
    }
    let c = ok(&flags(), &env_in(&TempDir::new()));
    assert!(
        c.to_string().contains("from provider: instance metadata"),
        "{c}"
    );
    let c = ok(
        &flags(),
        &env_in(&TempDir::new()).with("AWS_EC2_METADATA_DISABLED", "true"),
    );
    assert!(c.to_string().contains("no credentials"), "{c}");
}

#[test]
fn process_environment_is_usable() {
    // Only checks that the real environment can be queried without panicking.
    let env = ProcessEnvironment;
    let _ = env.var("PATH");
    let _ = env.home();
    assert_eq!(env.var("PHANTOM_AUTOSCALE_SURELY_UNSET_VARIABLE"), None);
}
