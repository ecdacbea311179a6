//! Java properties files: FutureGrid `hotel.conf` / Nimbus `cloud.properties`, parsed as
//! `java.util.Properties.load` does, and the Nimbus settings picked out of them ([`HotelConf`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use super::read_file_bytes;
use crate::credentials::Secret;
use crate::error::Error;

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
}
