//! The access keys the endpoint accepts: read from a `~/.aws/credentials`-style file, or one pair
//! generated at start.
//!
//! The file is an AWS shared credentials file, read by the client's parser
//! ([`crate::profile::shared`]), so both sides agree on its format: a section repeated later adds
//! to the earlier one, an indented line is a continuation, a line that is not a setting is an
//! error naming the file and line. Every profile with both `aws_access_key_id` and
//! `aws_secret_access_key` contributes one key. Secrets are kept as [`Secret`], so a
//! `KeyRing` can be logged without leaking anything.

use std::collections::HashMap;
use std::path::Path;

use crate::credentials::{Credentials, Secret};
use crate::error::Error;
use crate::profile::{SharedFile, SharedFileKind};

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

    /// Reads every complete profile of a credentials file (parsed as the client parses it); a
    /// missing or broken file, or one with no complete profile, is an error.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let file =
            SharedFile::load(path, SharedFileKind::Credentials)?.ok_or_else(|| Error::Io {
                context: format!("reading credentials file {}", path.display()),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            })?;
        let ring = Self::from_shared_file(&file);
        if ring.keys.is_empty() {
            return Err(Error::Config(format!(
                "credentials file {} has no profile with both aws_access_key_id and \
                 aws_secret_access_key",
                path.display()
            )));
        }
        Ok(ring)
    }

    /// The keys of a parsed credentials file: one per profile with both an access key id and a
    /// secret key.
    pub fn from_shared_file(file: &SharedFile) -> Self {
        let keys = file
            .profiles
            .values()
            .filter_map(|p| match (&p.aws_access_key_id, &p.aws_secret_access_key) {
                (Some(id), Some(secret)) => Some((id.clone(), secret.clone())),
                _ => None,
            })
            .collect();
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

/// Fills `bytes` from the operating system's generator (`getrandom(2)` on Linux, which needs
/// no file descriptor). There is no fallback: when the OS cannot give randomness, no secret is
/// made and the caller fails (a start-up error, or a 500 for a login).
pub(crate) fn random_bytes(bytes: &mut [u8]) -> Result<(), Error> {
    #[cfg(test)]
    if tests::FAIL_RANDOM.with(|f| f.get()) {
        return Err(Error::Config(
            "the operating system's random generator failed: injected by a test".into(),
        ));
    }
    getrandom::getrandom(bytes).map_err(|e| {
        Error::Config(format!(
            "the operating system's random generator failed: {e}"
        ))
    })
}

/// Random characters from `alphabet` (at most 256 long), each equally likely: bytes that would
/// bias the choice (those at or past the largest multiple of the alphabet's size) are drawn again.
pub(crate) fn random_chars(alphabet: &[u8], count: usize) -> Result<String, Error> {
    let n = alphabet.len();
    if n == 0 || n > 256 {
        return Err(Error::Config("an alphabet of 1 to 256 characters".into()));
    }
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(count);
    let mut pool = [0u8; 64];
    while out.len() < count {
        random_bytes(&mut pool)?;
        for b in pool {
            if usize::from(b) < limit && out.len() < count {
                out.push(char::from(alphabet[usize::from(b) % n]));
            }
        }
    }
    Ok(out)
}

/// Generates a fresh key pair: `AKIA` + 16 characters, and a 40-character secret, from the
/// operating system's random generator (an error when it fails; never a weaker secret).
pub fn generate() -> Result<Credentials, Error> {
    const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let id = random_chars(ID_CHARS, 16)?;
    let secret = random_chars(SECRET_CHARS, 40)?;
    Ok(Credentials::new(format!("AKIA{id}"), secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring_of(text: &str) -> KeyRing {
        KeyRing::from_shared_file(
            &SharedFile::parse(text, SharedFileKind::Credentials, "/t/credentials").unwrap(),
        )
    }

    #[test]
    fn parses_profiles() {
        let ring = ring_of(
            "[default]\naws_access_key_id = AK1\naws_secret_access_key=s1\n# c\n\
             [other]\nregion=x\n[two]\nAWS_ACCESS_KEY_ID=AK2\naws_secret_access_key = s2 \n",
        );
        assert_eq!(ring.len(), 2);
        assert_eq!(ring.secret("AK1").unwrap().expose(), "s1");
        assert_eq!(ring.secret("AK2").unwrap().expose(), "s2");
        assert!(!format!("{ring:?}").contains("s1"));
    }

    #[test]
    fn a_repeated_section_is_refused_as_the_client_refuses_it() {
        // The key id and the secret in two sections of the same name: the AWS CLI (botocore)
        // refuses such a file, and so do the client's configuration and the key ring.
        let e = SharedFile::parse(
            "[a]\naws_access_key_id = AKSPLIT\n[b]\naws_access_key_id = AKB\n\
             aws_secret_access_key = sb\n[a]\naws_secret_access_key = split-secret\n",
            SharedFileKind::Credentials,
            "/t/credentials",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("/t/credentials, line 6"), "{e}");
        assert!(!e.contains("split-secret"), "{e}");
    }

    #[test]
    fn files_are_read_as_the_client_reads_them() {
        let dir = std::env::temp_dir().join(format!("phantom-keys-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials");
        std::fs::write(
            &path,
            "[a]\naws_access_key_id = AK1\naws_secret_access_key = s1\n",
        )
        .unwrap();
        assert_eq!(KeyRing::from_file(&path).unwrap().len(), 1);
        // A broken file names its line, never its text (it may hold a secret).
        std::fs::write(&path, "[a]\nCANARYsecretLINE\n").unwrap();
        let e = KeyRing::from_file(&path).unwrap_err().to_string();
        assert!(e.contains("line 2") && !e.contains("CANARY"), "{e}");
        // A missing file is an error naming it.
        let missing = dir.join("absent");
        let e = KeyRing::from_file(&missing).unwrap_err().to_string();
        assert!(
            e.contains("reading credentials file") && e.contains("absent"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    thread_local! {
        /// Makes [`random_bytes`] fail on this thread (a test of the no-fallback rule).
        pub(crate) static FAIL_RANDOM: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    #[test]
    fn no_secret_without_the_os_generator() {
        FAIL_RANDOM.with(|f| f.set(true));
        let failed = generate();
        let chars = random_chars(b"ab", 4);
        FAIL_RANDOM.with(|f| f.set(false));
        assert!(failed.is_err(), "a key was made without the OS generator");
        assert!(chars.is_err());
        assert!(generate().is_ok());
    }

    #[test]
    fn random_chars_cover_the_alphabet_evenly() {
        let text = random_chars(b"abcdefghijklmnopqrstuvwxyz0123456789", 36_000).unwrap();
        let mut counts = std::collections::HashMap::new();
        for c in text.chars() {
            *counts.entry(c).or_insert(0u32) += 1;
        }
        assert_eq!(counts.len(), 36);
        // 1,000 expected each; a biased draw (256 % 36 = 4 extra for a-d) would still pass a
        // loose bound, so this only checks every character is used and none is wildly off.
        assert!(
            counts.values().all(|&n| (700..1300).contains(&n)),
            "{counts:?}"
        );
    }

    #[test]
    fn generated_keys_differ() {
        let (a, b) = (generate().unwrap(), generate().unwrap());
        assert!(a.access_key_id().starts_with("AKIA") && a.access_key_id().len() == 20);
        assert_eq!(a.secret_access_key().expose().len(), 40);
        assert_ne!(a.secret_access_key(), b.secret_access_key());
    }
}
