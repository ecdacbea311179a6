//! The AWS shared files, `~/.aws/credentials` and `~/.aws/config`: `[name]` / `[profile name]`
//! sections of `key = value` settings, read into one [`AwsProfile`] per profile.
//!
//! As in the AWS CLI (botocore's parser), a file that repeats a section header, or a key within
//! one section, is refused with both lines named (only `[default]` and `[profile default]` of a
//! config file may both be there: the later adds to and overrides the earlier); so is a line
//! that is neither a header, a setting nor a comment. An indented line after a setting is its continuation or a nested setting and is skipped (right after a header it is a
//! setting, as botocore reads it), except in the config file's `[services NAME]` sections, whose
//! nested `endpoint_url` settings (`ec2 =` then `  endpoint_url = http://...`) are the
//! service-specific endpoints a profile's `services = NAME` selects. Used by the client's
//! configuration and by the built-in server's key ring alike.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use super::{decode_utf8, read_file_bytes};
use crate::credentials::Secret;
use crate::error::Error;
use crate::query::endpoint::shorten;

/// Which AWS shared file a text comes from; it decides how section headers name profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedFileKind {
    /// `~/.aws/credentials`: every `[name]` section is the profile `name`.
    Credentials,
    /// `~/.aws/config`: `[default]` and `[profile name]` are profiles; other sections are ignored.
    Config,
}

impl fmt::Display for SharedFileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SharedFileKind::Credentials => "credentials file",
            SharedFileKind::Config => "config file",
        })
    }
}

/// The settings of one profile in an AWS shared file (only the keys this crate uses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsProfile {
    /// The profile name (`default`, or `x` for `[x]` / `[profile x]`).
    pub name: String,
    /// The 1-based line of the profile's first section header.
    pub line: usize,
    /// `aws_access_key_id`.
    pub aws_access_key_id: Option<String>,
    /// `aws_secret_access_key`.
    pub aws_secret_access_key: Option<Secret>,
    /// `aws_session_token`.
    pub aws_session_token: Option<Secret>,
    /// `region`.
    pub region: Option<String>,
    /// `endpoint_url`.
    pub endpoint_url: Option<String>,
    /// `services`: the name of the `[services NAME]` section with this profile's
    /// service-specific endpoints (config file).
    pub services: Option<String>,
    /// `output`: the CLI's default output format (config file).
    pub output: Option<String>,
    /// `phantom_launch_templates` (config file): `true` makes `phantom` use launch templates
    /// where it used launch configurations (the value as written; the config decides).
    pub phantom_launch_templates: Option<String>,
    /// `max_attempts`, `retry_mode`, `ca_bundle`, `cli_connect_timeout`, `cli_read_timeout`
    /// (config file): the AWS CLI's connection settings, as written, each with its line.
    pub connection: ConnectionSettings,
    /// The keys naming a credentials provider rather than static keys (`role_arn`,
    /// `credential_process`, `sso_session`, `sso_start_url`, `web_identity_token_file`), in file
    /// order: such a profile's credentials come from [`crate::config::providers`].
    pub provider_keys: Vec<String>,
}

/// A setting's value as written, and the 1-based line it is on (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The value, trimmed.
    pub value: String,
    /// The line.
    pub line: usize,
}

/// The AWS CLI's connection settings of a profile (none of them secret), as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// `max_attempts`: attempts per call, the first included.
    pub max_attempts: Option<Written>,
    /// `retry_mode`: `legacy`, `standard` or `adaptive`.
    pub retry_mode: Option<Written>,
    /// `ca_bundle`: a PEM file of CA certificates to trust.
    pub ca_bundle: Option<Written>,
    /// `cli_connect_timeout`: seconds (0: no limit).
    pub cli_connect_timeout: Option<Written>,
    /// `cli_read_timeout`: seconds (0: no limit).
    pub cli_read_timeout: Option<Written>,
}

/// The profile keys that make a profile's credentials come from a provider (see
/// [`AwsProfile::provider_keys`]).
pub const PROVIDER_KEYS: &[&str] = &[
    "role_arn",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "web_identity_token_file",
];

/// A parsed AWS shared credentials or config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFile {
    /// Where the text came from (a path), used in messages.
    pub origin: String,
    /// Credentials or config file.
    pub kind: SharedFileKind,
    /// Profiles by name (`[default]` and `[profile default]` merged, the later winning).
    pub profiles: BTreeMap<String, AwsProfile>,
    /// The `[services NAME]` sections of a config file: by section name, each service's
    /// `endpoint_url` by its key (`ec2`, `auto_scaling`).
    pub services: BTreeMap<String, BTreeMap<String, String>>,
}

/// Which section the shared-file parser is in.
enum Current {
    /// Before any section header.
    Nothing,
    /// A section that is not a profile (e.g. `[sso-session x]` in the config file).
    Ignored,
    /// A profile section.
    Profile(String),
    /// A `[services NAME]` section of the config file, and the service whose nested settings
    /// follow (the last `key =` without a value).
    Services(String, Option<String>),
}

impl SharedFile {
    /// Parses the text of a shared file. `origin` names it in errors (usually its path).
    pub fn parse(text: &str, kind: SharedFileKind, origin: &str) -> Result<SharedFile, Error> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut profiles: BTreeMap<String, AwsProfile> = BTreeMap::new();
        let mut services: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut current = Current::Nothing;
        // Whether a setting came since the last header: only then is an indented line its
        // continuation.
        let mut after_setting = false;
        // Each section header's line, and each key's line in the current section: the AWS CLI
        // refuses a file that repeats either (a later one would silently win).
        let mut headers: HashMap<String, usize> = HashMap::new();
        let mut keys: HashMap<String, usize> = HashMap::new();
        for (index, raw) in text.split('\n').enumerate() {
            let line_no = index + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if line.starts_with([' ', '\t']) && !trimmed.starts_with('[') && after_setting {
                // A nested setting of a `[services NAME]` section: `  endpoint_url = URL` below
                // `ec2 =`.
                if let Current::Services(section, Some(service)) = &current
                    && let Some((key, value)) = trimmed.split_once('=')
                    && key.trim().eq_ignore_ascii_case("endpoint_url")
                    && !value.trim().is_empty()
                {
                    services
                        .entry(section.clone())
                        .or_default()
                        .insert(service.clone(), value.trim().to_string());
                }
                // A continuation or nested-setting line (`s3 =\n  max_concurrent_requests = 5`):
                // nothing this crate reads lives there. Right after a header an indented line is
                // a setting, as botocore's parser (and so the AWS CLI) reads it.
                continue;
            }
            let at = |what: &str| Error::Config(format!("{origin}, line {line_no}: {what}"));
            if let Some(rest) = trimmed.strip_prefix('[') {
                let Some(close) = rest.find(']') else {
                    return Err(at("section header is missing its closing `]`"));
                };
                let after = rest[close + 1..].trim();
                if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
                    return Err(at("unexpected text after the section header's `]`"));
                }
                let header = rest[..close].trim();
                if header.is_empty() {
                    return Err(at("empty section name `[]`"));
                }
                if let Some(first) = headers.insert(header.to_string(), line_no) {
                    return Err(at(&format!(
                        "section `[{}]` repeats the one on line {first} (merge them: the AWS CLI \
                         refuses a repeated section too)",
                        shorten(header)
                    )));
                }
                keys.clear();
                let name = match kind {
                    SharedFileKind::Credentials => Some(header.to_string()),
                    SharedFileKind::Config => {
                        if header == "profile" {
                            return Err(at("`[profile]` header without a profile name"));
                        } else if header == "default" {
                            Some(header.to_string())
                        } else if let Some(n) = header.strip_prefix("profile")
                            && n.starts_with([' ', '\t'])
                        {
                            Some(n.trim().to_string())
                        } else {
                            None
                        }
                    }
                };
                let services_section = (kind == SharedFileKind::Config)
                    .then(|| header.strip_prefix("services"))
                    .flatten()
                    .filter(|n| n.starts_with([' ', '\t']) && !n.trim().is_empty())
                    .map(|n| n.trim().to_string());
                current = match name {
                    _ if services_section.is_some() => {
                        let section = services_section.unwrap_or_default();
                        services.entry(section.clone()).or_default();
                        Current::Services(section, None)
                    }
                    Some(name) => {
                        profiles.entry(name.clone()).or_insert_with(|| AwsProfile {
                            name: name.clone(),
                            line: line_no,
                            ..AwsProfile::default()
                        });
                        Current::Profile(name)
                    }
                    None => Current::Ignored,
                };
                after_setting = false;
                continue;
            }
            let Some(split) = trimmed.find(['=', ':']) else {
                return Err(at(
                    "expected `key = value`, a `[section]` header or a comment (line not shown: it may hold a secret)",
                ));
            };
            let key = trimmed[..split].trim().to_ascii_lowercase();
            let value = trimmed[split + 1..].trim();
            if key.is_empty() {
                return Err(at("setting without a key name"));
            }
            after_setting = true;
            if let Some(first) = keys.insert(key.clone(), line_no) {
                // The key is not quoted: a garbage line's "key" may be part of a pasted secret.
                return Err(at(&format!(
                    "this line's key is already set on line {first} of the same section (the \
                     AWS CLI refuses a repeated key too)"
                )));
            }
            let profile = match &mut current {
                Current::Nothing => {
                    return Err(at("setting outside any `[section]`"));
                }
                Current::Ignored => continue,
                Current::Services(_, service) => {
                    // `ec2 =` opens the nested settings of the service `ec2`.
                    *service = value.is_empty().then(|| key.clone());
                    continue;
                }
                Current::Profile(name) => match profiles.get_mut(name) {
                    Some(p) => p,
                    None => continue,
                },
            };
            let written = (!value.is_empty()).then(|| Written {
                value: value.to_string(),
                line: line_no,
            });
            let value = (!value.is_empty()).then(|| value.to_string());
            let connection = &mut profile.connection;
            match key.as_str() {
                "aws_access_key_id" => profile.aws_access_key_id = value,
                "aws_secret_access_key" => profile.aws_secret_access_key = value.map(Secret::new),
                "aws_session_token" => profile.aws_session_token = value.map(Secret::new),
                "region" => profile.region = value,
                "endpoint_url" => profile.endpoint_url = value,
                "services" => profile.services = value,
                "output" => profile.output = value,
                "phantom_launch_templates" => profile.phantom_launch_templates = value,
                "max_attempts" => connection.max_attempts = written,
                "retry_mode" => connection.retry_mode = written,
                "ca_bundle" => connection.ca_bundle = written,
                "cli_connect_timeout" => connection.cli_connect_timeout = written,
                "cli_read_timeout" => connection.cli_read_timeout = written,
                k if value.is_some() && PROVIDER_KEYS.contains(&k) => {
                    profile.provider_keys.push(key.clone())
                }
                _ => {}
            }
        }
        Ok(SharedFile {
            origin: origin.to_string(),
            kind,
            profiles,
            services,
        })
    }

    /// Parses raw bytes: they must be UTF-8 (a byte order mark is allowed).
    pub fn parse_bytes(
        bytes: &[u8],
        kind: SharedFileKind,
        origin: &str,
    ) -> Result<SharedFile, Error> {
        SharedFile::parse(decode_utf8(bytes, origin)?, kind, origin)
    }

    /// Reads and parses a shared file; `Ok(None)` when the file does not exist.
    pub fn load(path: &Path, kind: SharedFileKind) -> Result<Option<SharedFile>, Error> {
        let origin = path.display().to_string();
        match read_file_bytes(path)? {
            None => Ok(None),
            Some(bytes) => SharedFile::parse_bytes(&bytes, kind, &origin).map(Some),
        }
    }

    /// The profile called `name`, if the file has it.
    pub fn profile(&self, name: &str) -> Option<&AwsProfile> {
        self.profiles.get(name)
    }

    /// The `endpoint_url` the `[services SECTION]` section gives the service `service` (its
    /// config key: `ec2`, `auto_scaling`), if any.
    pub fn service_endpoint(&self, section: &str, service: &str) -> Option<&str> {
        self.services
            .get(section)
            .and_then(|s| s.get(service))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "CANARYsecret0123456789";

    fn creds(text: &str) -> Result<SharedFile, Error> {
        SharedFile::parse(text, SharedFileKind::Credentials, "/t/credentials")
    }

    fn config(text: &str) -> Result<SharedFile, Error> {
        SharedFile::parse(text, SharedFileKind::Config, "/t/config")
    }

    fn err_text(r: Result<SharedFile, Error>) -> String {
        match r {
            Ok(f) => panic!("expected an error, got {f:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn services_sections_hold_nested_endpoints() {
        let f = config(
            "[profile a]\nservices = s1\n[services s1]\nec2 =\n  endpoint_url = http://e:1/\n\
             \tregion = ignored\nauto_scaling =\n  endpoint_url = http://as:2/\nsqs = x\n\
             \x20 endpoint_url = http://not-nested-below-a-value/\n[services]\nec2 =\n\
             \x20 endpoint_url = http://no-name/\n",
        )
        .unwrap();
        assert_eq!(f.profile("a").unwrap().services.as_deref(), Some("s1"));
        assert_eq!(f.service_endpoint("s1", "ec2"), Some("http://e:1/"));
        assert_eq!(
            f.service_endpoint("s1", "auto_scaling"),
            Some("http://as:2/")
        );
        assert_eq!(f.service_endpoint("s1", "sqs"), None);
        assert_eq!(f.services.len(), 1, "{:?}", f.services);
        assert!(f.profile("services s1").is_none());
        // In the credentials file a `[services x]` header is just a profile name.
        let c = creds("[services x]\nec2 =\n  endpoint_url = http://e/\n").unwrap();
        assert!(c.services.is_empty() && c.profile("services x").is_some());
    }

    #[test]
    fn credentials_file_sections_keys_comments() {
        let f = creds(
            "# comment\n; other comment\n[default]\naws_access_key_id = AKIDDEF\n\
             AWS_SECRET_ACCESS_KEY=secretdef   \n\n  [work]  \n aws_access_key_id:AKIDWORK\n\
             aws_secret_access_key = sw\naws_session_token = tok\nregion = eu-west-1\nother = x\n",
        )
        .unwrap();
        assert_eq!(f.profiles.len(), 2);
        let d = f.profile("default").unwrap();
        assert_eq!(d.aws_access_key_id.as_deref(), Some("AKIDDEF"));
        assert_eq!(
            d.aws_secret_access_key.as_ref().unwrap().expose(),
            "secretdef"
        );
        assert_eq!(d.line, 3);
        let w = f.profile("work").unwrap();
        // An indented line right after a header is a setting, as botocore reads it.
        assert_eq!(w.aws_access_key_id.as_deref(), Some("AKIDWORK"));
        assert_eq!(w.aws_secret_access_key.as_ref().unwrap().expose(), "sw");
        assert_eq!(w.aws_session_token.as_ref().unwrap().expose(), "tok");
        assert_eq!(w.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn config_file_profile_prefix() {
        let f = config(
            "[default]\nregion=us-west-2\n[profile dev]\nregion = eu-central-1\n\
             endpoint_url = http://localhost:8445/api\n[sso-session s]\nregion=xx\n\
             [plain]\nregion=yy\n[profile   spaced name ]\nregion=zz\n",
        )
        .unwrap();
        assert_eq!(
            f.profile("default").unwrap().region.as_deref(),
            Some("us-west-2")
        );
        let dev = f.profile("dev").unwrap();
        assert_eq!(dev.region.as_deref(), Some("eu-central-1"));
        assert_eq!(
            dev.endpoint_url.as_deref(),
            Some("http://localhost:8445/api")
        );
        assert!(f.profile("plain").is_none());
        assert!(f.profile("s").is_none());
        assert!(f.profile("sso-session s").is_none());
        assert_eq!(
            f.profile("spaced name").unwrap().region.as_deref(),
            Some("zz")
        );
        assert_eq!(f.profiles.len(), 3);
    }

    #[test]
    fn config_profile_default_and_bad_profile_header() {
        let f = config("[profile default]\nregion = ap-south-1\n").unwrap();
        assert_eq!(
            f.profile("default").unwrap().region.as_deref(),
            Some("ap-south-1")
        );
        // `[profilex]` is not a profile section.
        assert!(
            config("[profilex]\nregion=a\n")
                .unwrap()
                .profiles
                .is_empty()
        );
        let e = err_text(config("[profile ]\n"));
        assert!(e.contains("/t/config, line 1"), "{e}");
    }

    #[test]
    fn repeated_sections_and_keys_are_errors_naming_both_lines() {
        let e = err_text(creds("[a]\nregion=one\n[b]\n[a]\nregion=two\n"));
        assert!(e.contains("/t/credentials, line 4"), "{e}");
        assert!(e.contains("`[a]` repeats the one on line 1"), "{e}");
        let e = err_text(config(&format!(
            "[default]\naws_secret_access_key = {CANARY}\nAWS_SECRET_ACCESS_KEY= {CANARY}\n"
        )));
        assert!(e.contains("/t/config, line 3"), "{e}");
        assert!(e.contains("already set on line 2"), "{e}");
        assert!(!e.contains(CANARY), "{e}");
        // A pasted secret as a key name is not shown.
        let e = err_text(creds(&format!("[a]\n{CANARY}:1\n{CANARY}:2\n")));
        assert!(
            e.contains("line 3") && !e.to_lowercase().contains(&CANARY.to_lowercase()),
            "{e}"
        );
        // `[default]` and `[profile default]` are two sections: the latter wins, as in botocore.
        let f = config("[default]\nregion = one\n[profile default]\nregion = two\n").unwrap();
        assert_eq!(f.profile("default").unwrap().region.as_deref(), Some("two"));
        // A key repeated in another section, or nested under two services, is fine.
        assert!(creds("[a]\nregion=1\n[b]\nregion=2\n").is_ok());
        assert!(
            config("[services s]\nec2 =\n  endpoint_url = a\nauto_scaling =\n  endpoint_url = b\n")
                .is_ok()
        );
    }

    #[test]
    fn connection_settings_are_read_with_their_lines() {
        let f = config(
            "[profile c]\nmax_attempts = 7\nretry_mode=adaptive\nca_bundle = ~/ca.pem\n\
             cli_connect_timeout = 0\ncli_read_timeout = 30\n",
        )
        .unwrap();
        let c = &f.profile("c").unwrap().connection;
        fn at(w: &Option<Written>) -> Option<(&str, usize)> {
            w.as_ref().map(|w| (w.value.as_str(), w.line))
        }
        assert_eq!(at(&c.max_attempts), Some(("7", 2)));
        assert_eq!(at(&c.retry_mode), Some(("adaptive", 3)));
        assert_eq!(at(&c.ca_bundle), Some(("~/ca.pem", 4)));
        assert_eq!(at(&c.cli_connect_timeout), Some(("0", 5)));
        assert_eq!(at(&c.cli_read_timeout), Some(("30", 6)));
    }

    #[test]
    fn continuation_lines_are_ignored() {
        let f = config(
            "[default]\ns3 =\n  max_concurrent_requests = 20\n\tregion = nope\nregion = ok\n",
        )
        .unwrap();
        assert_eq!(f.profile("default").unwrap().region.as_deref(), Some("ok"));
    }

    #[test]
    fn missing_bracket_names_file_and_line() {
        let e = err_text(creds("\n\n[default\naws_access_key_id=x\n"));
        assert!(e.contains("/t/credentials, line 3"), "{e}");
        assert!(e.contains("`]`"), "{e}");
    }

    #[test]
    fn text_after_header_and_empty_header() {
        assert!(err_text(creds("[a] junk\n")).contains("line 1"));
        assert!(creds("[a] # fine\n").is_ok());
        assert!(err_text(creds("[]\n")).contains("empty section"));
        assert!(err_text(creds("[   ]\n")).contains("empty section"));
    }

    #[test]
    fn key_outside_section_and_garbage_lines() {
        let e = err_text(creds("aws_access_key_id = x\n"));
        assert!(e.contains("outside any"), "{e}");
        let e = err_text(creds(&format!("[default]\n{CANARY}\n")));
        assert!(e.contains("line 2"), "{e}");
        assert!(!e.contains(CANARY), "{e}");
        let e = err_text(creds(&format!("[default]\n= {CANARY}\n")));
        assert!(e.contains("without a key"), "{e}");
        assert!(!e.contains(CANARY), "{e}");
    }

    #[test]
    fn empty_values_are_absent() {
        let f = creds("[default]\naws_access_key_id =\nregion=   \n").unwrap();
        let d = f.profile("default").unwrap();
        assert_eq!(d.aws_access_key_id, None);
        assert_eq!(d.region, None);
    }

    #[test]
    fn empty_whitespace_and_crlf_input() {
        assert!(creds("").unwrap().profiles.is_empty());
        assert!(creds("\n\n   \n\t\n").unwrap().profiles.is_empty());
        let f = creds("\u{feff}[default]\r\nregion = r1\r\n").unwrap();
        assert_eq!(f.profile("default").unwrap().region.as_deref(), Some("r1"));
    }

    #[test]
    fn binary_input_is_a_clear_error() {
        let e = SharedFile::parse_bytes(
            b"[default]\nregion=x\n\xff\xfe\x00\x01",
            SharedFileKind::Credentials,
            "/t/bin",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("/t/bin, line 3"), "{e}");
        assert!(e.contains("UTF-8"), "{e}");
        // NUL bytes in valid UTF-8 are just garbage lines.
        assert!(creds("\0\0\0").is_err());
        assert!(creds("[a]\nk=\0v\n").is_ok());
    }

    #[test]
    fn huge_lines_and_unicode() {
        let big = "x".repeat(1_000_000);
        let f = creds(&format!(
            "[default]\nregion = {big}\n[\u{1F600} ünïcode]\nregion = ß\n"
        ))
        .unwrap();
        assert_eq!(
            f.profile("default").unwrap().region.as_ref().unwrap().len(),
            1_000_000
        );
        assert_eq!(
            f.profile("\u{1F600} ünïcode").unwrap().region.as_deref(),
            Some("ß")
        );
        assert!(creds(&format!("[{big}")).is_err());
        assert!(creds(&"[".repeat(100_000)).is_err());
    }

    #[test]
    fn shared_file_debug_redacts_secrets() {
        let f = creds(&format!(
            "[default]\naws_access_key_id=AKID\naws_secret_access_key={CANARY}\naws_session_token={CANARY}\n"
        ))
        .unwrap();
        let shown = format!("{f:?}");
        assert!(shown.contains("AKID"));
        assert!(!shown.contains(CANARY), "{shown}");
    }
}
