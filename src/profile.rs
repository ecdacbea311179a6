//! Profile files: parsers for the AWS shared files (`~/.aws/credentials`, `~/.aws/config`) and for
//! Java properties files (FutureGrid `hotel.conf` / Nimbus `cloud.properties`).
//!
//! This module owns only reading and parsing; deciding which value wins is [`crate::config`]'s job.
//! Every parser is total: any input (garbage, binary, huge, unicode) yields a value or an
//! [`Error::Config`] naming the file and line, never a panic. Secret values are kept in [`Secret`]
//! and error messages never quote the offending line, since it may hold a key.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use crate::credentials::Secret;
use crate::error::Error;

/// The largest profile file read, in bytes; bigger files are refused instead of being loaded.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a whole file of at most [`MAX_FILE_BYTES`]; `Ok(None)` when it does not exist.
pub fn read_file_bytes(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Io {
                context: format!("reading {}", path.display()),
                source,
            });
        }
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Io {
            context: format!("reading {}", path.display()),
            source,
        })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::Config(format!(
            "{}: file is larger than {MAX_FILE_BYTES} bytes",
            path.display()
        )));
    }
    Ok(Some(bytes))
}

/// Decodes UTF-8 (dropping a leading byte order mark), or names the line of the first bad byte.
fn decode_utf8<'a>(bytes: &'a [u8], origin: &str) -> Result<&'a str, Error> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let good = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        Error::Config(format!(
            "{origin}, line {line}: not valid UTF-8 text (is this really a profile file?)"
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// AWS shared files
// ---------------------------------------------------------------------------------------------

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
}

/// A parsed AWS shared credentials or config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFile {
    /// Where the text came from (a path), used in messages.
    pub origin: String,
    /// Credentials or config file.
    pub kind: SharedFileKind,
    /// Profiles by name; a section repeated later adds to (and overrides) the earlier one.
    pub profiles: BTreeMap<String, AwsProfile>,
}

/// Which section the shared-file parser is in.
enum Current {
    /// Before any section header.
    Nothing,
    /// A section that is not a profile (e.g. `[sso-session x]` in the config file).
    Ignored,
    /// A profile section.
    Profile(String),
}

impl SharedFile {
    /// Parses the text of a shared file. `origin` names it in errors (usually its path).
    pub fn parse(text: &str, kind: SharedFileKind, origin: &str) -> Result<SharedFile, Error> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut profiles: BTreeMap<String, AwsProfile> = BTreeMap::new();
        let mut current = Current::Nothing;
        for (index, raw) in text.split('\n').enumerate() {
            let line_no = index + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if line.starts_with([' ', '\t']) && !trimmed.starts_with('[') {
                // A continuation or nested-setting line (`s3 =\n  max_concurrent_requests = 5`):
                // nothing this crate reads lives there.
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
                current = match name {
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
            let profile = match &current {
                Current::Nothing => {
                    return Err(at("setting outside any `[section]`"));
                }
                Current::Ignored => continue,
                Current::Profile(name) => match profiles.get_mut(name) {
                    Some(p) => p,
                    None => continue,
                },
            };
            let value = (!value.is_empty()).then(|| value.to_string());
            match key.as_str() {
                "aws_access_key_id" => profile.aws_access_key_id = value,
                "aws_secret_access_key" => profile.aws_secret_access_key = value.map(Secret::new),
                "aws_session_token" => profile.aws_session_token = value.map(Secret::new),
                "region" => profile.region = value,
                "endpoint_url" => profile.endpoint_url = value,
                _ => {}
            }
        }
        Ok(SharedFile {
            origin: origin.to_string(),
            kind,
            profiles,
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
}

// ---------------------------------------------------------------------------------------------
// Java properties (hotel.conf, cloud.properties)
// ---------------------------------------------------------------------------------------------

/// A parsed Java properties file. `Debug` lists the keys only: values may be secret keys.
#[derive(Clone, PartialEq, Eq)]
pub struct Properties {
    /// Where the text came from, used in messages.
    pub origin: String,
    entries: BTreeMap<String, String>,
}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Properties")
            .field("origin", &self.origin)
            .field("keys", &self.entries.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Java's whitespace in properties files: space, tab, form feed.
fn is_prop_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{c}')
}

/// Splits text into natural lines at `\n`, `\r\n` or `\r`.
fn natural_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// Decodes Java escapes (`\t \n \r \f \uXXXX`, `\x` = `x`) in one key or value.
fn unescape(chars: &[char], origin: &str, line: usize) -> Result<String, Error> {
    let mut out = String::with_capacity(chars.len());
    let mut pending_high: Option<u32> = None;
    let mut i = 0;
    let flush = |out: &mut String, high: &mut Option<u32>| {
        if high.take().is_some() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    };
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '\\' {
            flush(&mut out, &mut pending_high);
            out.push(c);
            continue;
        }
        let Some(&e) = chars.get(i) else {
            // A lone backslash at the very end of the file: Java drops it.
            break;
        };
        i += 1;
        if e != 'u' {
            flush(&mut out, &mut pending_high);
            out.push(match e {
                't' => '\t',
                'n' => '\n',
                'r' => '\r',
                'f' => '\u{c}',
                other => other,
            });
            continue;
        }
        let hex: String = chars.iter().skip(i).take(4).collect();
        let code = if hex.chars().count() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()) {
            u32::from_str_radix(&hex, 16).ok()
        } else {
            None
        };
        let Some(code) = code else {
            return Err(Error::Config(format!(
                "{origin}, line {line}: malformed \\uXXXX escape (needs four hex digits)"
            )));
        };
        i += 4;
        match code {
            0xD800..=0xDBFF => {
                flush(&mut out, &mut pending_high);
                pending_high = Some(code);
            }
            0xDC00..=0xDFFF => match pending_high.take() {
                Some(high) => {
                    let joined = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00);
                    out.push(char::from_u32(joined).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                None => out.push(char::REPLACEMENT_CHARACTER),
            },
            _ => {
                flush(&mut out, &mut pending_high);
                out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
        }
    }
    flush(&mut out, &mut pending_high);
    Ok(out)
}

impl Properties {
    /// Parses properties text following `java.util.Properties.load`: `key=value`, `key: value`,
    /// `key value`, comments `#`/`!`, backslash continuation lines, escapes. A later key wins.
    pub fn parse(text: &str, origin: &str) -> Result<Properties, Error> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines = natural_lines(text);
        let mut entries = BTreeMap::new();
        let mut i = 0;
        while i < lines.len() {
            let start_line = i + 1;
            let first = lines[i].trim_start_matches(is_prop_space);
            i += 1;
            if first.is_empty() || first.starts_with('#') || first.starts_with('!') {
                continue;
            }
            let mut logical = String::new();
            let mut cur = first;
            loop {
                let trailing = cur.chars().rev().take_while(|&c| c == '\\').count();
                if trailing % 2 == 1 {
                    logical.push_str(&cur[..cur.len() - 1]);
                    match lines.get(i) {
                        Some(next) => {
                            cur = next.trim_start_matches(is_prop_space);
                            i += 1;
                        }
                        None => break,
                    }
                } else {
                    logical.push_str(cur);
                    break;
                }
            }
            let chars: Vec<char> = logical.chars().collect();
            let mut k = 0;
            let mut separator = false;
            while k < chars.len() {
                let c = chars[k];
                if c == '\\' {
                    k += 2;
                    continue;
                }
                if c == '=' || c == ':' {
                    separator = true;
                    break;
                }
                if is_prop_space(c) {
                    break;
                }
                k += 1;
            }
            let key_end = k.min(chars.len());
            let mut v = key_end;
            if separator {
                v += 1;
            } else {
                while v < chars.len() && is_prop_space(chars[v]) {
                    v += 1;
                }
                if v < chars.len() && (chars[v] == '=' || chars[v] == ':') {
                    v += 1;
                }
            }
            while v < chars.len() && is_prop_space(chars[v]) {
                v += 1;
            }
            let key = unescape(&chars[..key_end], origin, start_line)?;
            let value = unescape(chars.get(v..).unwrap_or_default(), origin, start_line)?;
            entries.insert(key, value);
        }
        Ok(Properties {
            origin: origin.to_string(),
            entries,
        })
    }

    /// Parses raw bytes: UTF-8 when valid, otherwise ISO-8859-1 (Java's own encoding for
    /// properties), so any byte sequence parses.
    pub fn parse_bytes(bytes: &[u8], origin: &str) -> Result<Properties, Error> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Properties::parse(text, origin),
            Err(_) => {
                let text: String = bytes.iter().map(|&b| char::from(b)).collect();
                Properties::parse(&text, origin)
            }
        }
    }

    /// Reads and parses a properties file; a missing file is an error naming the path.
    pub fn load(path: &Path) -> Result<Properties, Error> {
        match read_file_bytes(path)? {
            Some(bytes) => Properties::parse_bytes(&bytes, &path.display().to_string()),
            None => Err(Error::Config(format!(
                "properties file {} does not exist",
                path.display()
            ))),
        }
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// All keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// How many keys the file defines.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the file defines no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The Nimbus settings of a FutureGrid `hotel.conf` / `cloud.properties`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotelConf {
    /// Where the settings came from.
    pub origin: String,
    /// `vws.repository.s3id`: the access key.
    pub s3id: Option<String>,
    /// `vws.repository.s3key`: the secret key.
    pub s3key: Option<Secret>,
    /// `vws.repository`: the repository as `host:port`.
    pub repository: Option<String>,
}

/// The properties key holding the access key.
pub const HOTEL_S3ID: &str = "vws.repository.s3id";
/// The properties key holding the secret key.
pub const HOTEL_S3KEY: &str = "vws.repository.s3key";
/// The properties key holding the repository `host:port`.
pub const HOTEL_REPOSITORY: &str = "vws.repository";

impl HotelConf {
    /// Picks the Nimbus settings out of parsed properties (blank values count as absent).
    pub fn from_properties(props: &Properties) -> HotelConf {
        let get = |k: &str| {
            props
                .get(k)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        HotelConf {
            origin: props.origin.clone(),
            s3id: get(HOTEL_S3ID),
            s3key: get(HOTEL_S3KEY).map(Secret::new),
            repository: get(HOTEL_REPOSITORY),
        }
    }

    /// Reads a `hotel.conf`; a missing or unreadable file is an error.
    pub fn load(path: &Path) -> Result<HotelConf, Error> {
        Properties::load(path).map(|p| HotelConf::from_properties(&p))
    }

    /// `vws.repository` split into host and port (`None` when there is no valid `:port`).
    pub fn repository_host_port(&self) -> Option<(String, Option<u16>)> {
        let repo = self.repository.as_deref()?;
        match repo.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() => {
                Some((host.to_string(), port.trim().parse::<u16>().ok()))
            }
            _ => Some((repo.to_string(), None)),
        }
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
        // An indented line is a continuation and is ignored.
        assert_eq!(w.aws_access_key_id, None);
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
    fn repeated_sections_merge_later_wins() {
        let f = creds("[a]\nregion=one\naws_access_key_id=K\n[b]\n[a]\nregion=two\n").unwrap();
        let a = f.profile("a").unwrap();
        assert_eq!(a.region.as_deref(), Some("two"));
        assert_eq!(a.aws_access_key_id.as_deref(), Some("K"));
        assert_eq!(a.line, 1);
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

    fn props(text: &str) -> Properties {
        Properties::parse(text, "/t/hotel.conf").unwrap()
    }

    #[test]
    fn properties_separators_and_comments() {
        let p = props(
            "# comment\n! also comment\n  a=1\nb : 2\nc 3\nd\ne=\nf = spaced value  \n\
             g\t=\tx\n   \n  # indented comment\nh:=weird\n",
        );
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), Some("2"));
        assert_eq!(p.get("c"), Some("3"));
        assert_eq!(p.get("d"), Some(""));
        assert_eq!(p.get("e"), Some(""));
        assert_eq!(p.get("f"), Some("spaced value  "));
        assert_eq!(p.get("g"), Some("x"));
        assert_eq!(p.get("h"), Some("=weird"));
        assert_eq!(p.len(), 8);
        assert!(p.keys().all(|k| !k.starts_with('#') && !k.starts_with('!')));
    }

    #[test]
    fn properties_continuation_lines() {
        let p = props("key = one, \\\n      two, \\\n   three\nnext=\\\\\nlast=a\\\\\\\n  b\n");
        assert_eq!(p.get("key"), Some("one, two, three"));
        assert_eq!(p.get("next"), Some("\\"));
        assert_eq!(p.get("last"), Some("a\\b"));
        // A comment line does not continue; a continued line may look like a comment.
        let p = props("# c \\\nx=1\ny=\\\n# not a comment\n");
        assert_eq!(p.get("x"), Some("1"));
        assert_eq!(p.get("y"), Some("# not a comment"));
        // Continuation at end of file and a lone backslash.
        let p = props("z=end\\");
        assert_eq!(p.get("z"), Some("end"));
        let p = props("\\");
        assert_eq!(p.get(""), Some(""));
    }

    #[test]
    fn properties_escapes() {
        let p = props(
            "a\\=b=c\nsp\\ ace = v\nuni=\\u00e9t\\u00C9\nctl=\\t\\n\\r\\f\\q\n\
             emoji=\\uD83D\\uDE00\nlone=\\uD800x\\uDC00\n",
        );
        assert_eq!(p.get("a=b"), Some("c"));
        assert_eq!(p.get("sp ace"), Some("v"));
        assert_eq!(p.get("uni"), Some("étÉ"));
        assert_eq!(p.get("ctl"), Some("\t\n\r\u{c}q"));
        assert_eq!(p.get("emoji"), Some("\u{1F600}"));
        assert_eq!(p.get("lone"), Some("\u{fffd}x\u{fffd}"));
    }

    #[test]
    fn properties_bad_unicode_escape_names_line() {
        for bad in ["x=\\u12", "x=\\uZZZZ", "x=\\u", "x=\\u12G4"] {
            let text = format!("a=1\n\n{bad}\n");
            let e = Properties::parse(&text, "/t/hotel.conf")
                .unwrap_err()
                .to_string();
            assert!(e.contains("/t/hotel.conf, line 3"), "{bad}: {e}");
        }
    }

    #[test]
    fn properties_line_endings_and_duplicates() {
        let p = props("a=1\r\nb=2\rc=3\na=4");
        assert_eq!(p.get("a"), Some("4"));
        assert_eq!(p.get("b"), Some("2"));
        assert_eq!(p.get("c"), Some("3"));
    }

    #[test]
    fn properties_garbage_binary_empty_huge() {
        assert!(props("").is_empty());
        let p = Properties::parse_bytes(b"k=caf\xe9\n\xff\xfe\x00=\x01", "/t/x").unwrap();
        assert_eq!(p.get("k"), Some("café"));
        let big = "v".repeat(2_000_000);
        let p = props(&format!("k={big}"));
        assert_eq!(p.get("k").unwrap().len(), 2_000_000);
        let p = props(&"\\\n".repeat(50_000));
        assert!(p.len() <= 1);
    }

    #[test]
    fn random_input_never_panics() {
        let mut rng = fastrand::Rng::with_seed(7);
        let alphabet = b"[]=:#;!\\u \t\r\nabcDEF0123\xc3\xa9\xff\x00";
        for _ in 0..3000 {
            let len = rng.usize(0..64);
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.usize(0..alphabet.len())])
                .collect();
            let _ = SharedFile::parse_bytes(&bytes, SharedFileKind::Credentials, "r");
            let _ = SharedFile::parse_bytes(&bytes, SharedFileKind::Config, "r");
            let _ = Properties::parse_bytes(&bytes, "r");
        }
    }

    #[test]
    fn hotel_conf_extraction_and_redaction() {
        let p = props(&format!(
            "vws.repository=svc.uc.futuregrid.org:8445\nvws.repository.s3id = AKHOTEL\n\
             vws.repository.s3key={CANARY}\nvws.factory=x\n"
        ));
        let h = HotelConf::from_properties(&p);
        assert_eq!(h.s3id.as_deref(), Some("AKHOTEL"));
        assert_eq!(h.s3key.as_ref().unwrap().expose(), CANARY);
        assert_eq!(
            h.repository_host_port(),
            Some(("svc.uc.futuregrid.org".to_string(), Some(8445)))
        );
        let shown = format!("{p:?} {h:?}");
        assert!(shown.contains(HOTEL_S3KEY));
        assert!(!shown.contains(CANARY), "{shown}");
        let h = HotelConf::from_properties(&props("vws.repository.s3key =  \nvws.repository=h"));
        assert_eq!(h.s3key, None);
        assert_eq!(h.repository_host_port(), Some(("h".to_string(), None)));
    }

    #[test]
    fn load_missing_and_real_files() {
        let dir = std::env::temp_dir().join(format!(
            "phantom-profile-test-{}-{}",
            std::process::id(),
            line!()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("nope");
        assert!(
            SharedFile::load(&missing, SharedFileKind::Config)
                .unwrap()
                .is_none()
        );
        let e = Properties::load(&missing).unwrap_err().to_string();
        assert!(e.contains("nope"), "{e}");
        let path = dir.join("hotel.conf");
        std::fs::write(&path, "vws.repository.s3id=A\nvws.repository.s3key=B\n").unwrap();
        let h = HotelConf::load(&path).unwrap();
        assert_eq!(h.s3id.as_deref(), Some("A"));
        assert_eq!(h.origin, path.display().to_string());
        // A directory cannot be read as a file.
        assert!(SharedFile::load(&dir, SharedFileKind::Config).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
