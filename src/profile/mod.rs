//! Profile files: parsers for the AWS shared files (`~/.aws/credentials`, `~/.aws/config`:
//! [`shared`]) and for Java properties files (FutureGrid `hotel.conf` / Nimbus
//! `cloud.properties`: [`properties`]), and the bounded file reading both use.
//!
//! This module owns only reading and parsing; deciding which value wins is [`crate::config`]'s job,
//! and the built-in server reads its accepted keys with the same shared-file parser. Every parser
//! is total: any input (garbage, binary, huge, unicode) yields a value or an [`Error::Config`]
//! naming the file and line, never a panic. Secret values are kept in [`crate::Secret`] and error
//! messages never quote the offending line, since it may hold a key.

pub mod properties;
pub mod shared;

pub use properties::{HOTEL_REPOSITORY, HOTEL_S3ID, HOTEL_S3KEY, HotelConf, Properties};
pub use shared::{AwsProfile, SharedFile, SharedFileKind};

use std::io::Read;
use std::path::Path;

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
pub(crate) fn decode_utf8<'a>(bytes: &'a [u8], origin: &str) -> Result<&'a str, Error> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let good = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        Error::Config(format!(
            "{origin}, line {line}: not valid UTF-8 text (is this really a profile file?)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
