//! The REST API's ids: derived from the owner and the name, so they are stable across restarts
//! and exist for objects made through the Query API too (8 base-62 characters for a launch
//! configuration, a UUID-shaped value for a domain).

use sha2::{Digest, Sha256};

pub(super) fn digest(parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize().into()
}

/// A launch configuration's id: 8 base-62 characters from its owner and name.
pub(super) fn lc_id(owner: &str, name: &str) -> String {
    const CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    digest(&["launchconfiguration", owner, name])
        .iter()
        .take(8)
        .map(|b| char::from(CHARS[usize::from(*b) % CHARS.len()]))
        .collect()
}

/// A domain's id: UUID-shaped (version 8, RFC 9562's custom version) from its owner and name.
pub(super) fn domain_id(owner: &str, name: &str) -> String {
    let mut b = digest(&["domain", owner, name]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(&b[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
