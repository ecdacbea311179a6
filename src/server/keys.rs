//! The access keys the endpoint accepts: read from a `~/.aws/credentials`-style file, or one pair
//! generated at start.
//!
//! The file format is the AWS shared credentials file: `[profile]` sections with
//! `aws_access_key_id` and `aws_secret_access_key` lines (`#`/`;` comments, blank lines, other keys
//! ignored). Every complete profile contributes one key. Secrets are kept as [`Secret`], so a
//! `KeyRing` can be logged without leaking anything.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;

use crate::credentials::{Credentials, Secret};
use crate::error::Error;

/// Access key id -> secret.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: HashMap<String, Secret>,
}

impl KeyRing {
    /// A ring with the given credentials.
    pub fn from_credentials<'a>(creds: impl IntoIterator<Item = &'a Credentials>) -> Self {
        KeyRing {
            keys: creds
                .into_iter()
                .map(|c| (c.access_key_id().to_string(), c.secret_access_key().clone()))
                .collect(),
        }
    }

    /// Reads every complete profile of a credentials file; a file with none is an error.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            context: format!("reading credentials file {}", path.display()),
            source,
        })?;
        let ring = Self::parse(&text);
        if ring.keys.is_empty() {
            return Err(Error::Config(format!(
                "credentials file {} has no profile with both aws_access_key_id and \
                 aws_secret_access_key",
                path.display()
            )));
        }
        Ok(ring)
    }

    /// Parses the text of a credentials file.
    pub fn parse(text: &str) -> Self {
        let mut keys = HashMap::new();
        let mut id: Option<String> = None;
        let mut secret: Option<String> = None;
        let mut flush = |id: &mut Option<String>, secret: &mut Option<String>| {
            if let (Some(i), Some(s)) = (id.take(), secret.take()) {
                keys.insert(i, Secret::new(s));
            }
        };
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if line.starts_with('[') {
                flush(&mut id, &mut secret);
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = v.trim().to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "aws_access_key_id" if !v.is_empty() => id = Some(v),
                "aws_secret_access_key" if !v.is_empty() => secret = Some(v),
                _ => {}
            }
        }
        flush(&mut id, &mut secret);
        KeyRing { keys }
    }

    /// Adds keys (a later key with the same id replaces an earlier one).
    pub fn extend<'a>(&mut self, creds: impl IntoIterator<Item = &'a Credentials>) {
        for c in creds {
            self.keys
                .insert(c.access_key_id().to_string(), c.secret_access_key().clone());
        }
    }

    /// The secret of `access_key_id`, if the ring has it.
    pub fn secret(&self, access_key_id: &str) -> Option<Secret> {
        self.keys.get(access_key_id).cloned()
    }

    /// How many keys the ring holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the ring is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Fills `bytes` from the operating system's random source, falling back to a time-seeded
/// generator where there is none (keys and tokens for a local endpoint, not for the open internet).
pub(crate) fn random_bytes(bytes: &mut [u8]) {
    let from_os = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(bytes))
        .is_ok();
    if !from_os {
        let mut rng = fastrand::Rng::new();
        bytes.iter_mut().for_each(|b| *b = rng.u8(..));
    }
}

/// Generates a fresh key pair: `AKIA` + 16 characters, and a 40-character secret, from the
/// operating system's random source (falling back to a time-seeded generator where there is none).
pub fn generate() -> Credentials {
    const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bytes = [0u8; 56];
    random_bytes(&mut bytes);
    let id: String = bytes[..16]
        .iter()
        .map(|b| char::from(ID_CHARS[usize::from(*b) % ID_CHARS.len()]))
        .collect();
    let secret: String = bytes[16..]
        .iter()
        .map(|b| char::from(SECRET_CHARS[usize::from(*b) % SECRET_CHARS.len()]))
        .collect();
    Credentials::new(format!("AKIA{id}"), secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_profiles() {
        let ring = KeyRing::parse(
            "[default]\naws_access_key_id = AK1\naws_secret_access_key=s1\n# c\n\
             [other]\nregion=x\n[two]\n  AWS_ACCESS_KEY_ID=AK2\naws_secret_access_key = s2 \n",
        );
        assert_eq!(ring.len(), 2);
        assert_eq!(ring.secret("AK1").unwrap().expose(), "s1");
        assert_eq!(ring.secret("AK2").unwrap().expose(), "s2");
        assert!(!format!("{ring:?}").contains("s1"));
    }

    #[test]
    fn generated_keys_differ() {
        let (a, b) = (generate(), generate());
        assert!(a.access_key_id().starts_with("AKIA") && a.access_key_id().len() == 20);
        assert_eq!(a.secret_access_key().expose().len(), 40);
        assert_ne!(a.secret_access_key(), b.secret_access_key());
    }
}
