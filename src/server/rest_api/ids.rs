//! The REST API's ids, made as Phantom's web application made them: a uuid4 for a domain, a short
//! random id (8 base-62 characters) for a launch configuration. Both come from the operating
//! system's random generator when the object is created and are stored with it, in the ARN of its
//! Query object (made by `crate::server::ops::arn` with [`uuid4`]): a domain's id is the uuid in
//! its group's ARN, a launch configuration's is drawn from the uuid in the ARN of its earliest
//! site (`name@site`). So an id is never derived from the name, survives a restart with the
//! state file, is new for an object deleted and created again (a script holding the old id gets
//! 404, not the new object), and exists for objects made through the Query API too.

use sha2::{Digest, Sha256};

/// A digest of `parts` (made-up host names and addresses of instances; not ids).
pub(super) fn digest(parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize().into()
}

/// A random RFC 4122 version 4 uuid from the operating system's generator (should the OS fail to
/// give randomness, from the process's own generator: an ARN must still be made).
pub(crate) fn uuid4() -> String {
    let mut b = [0u8; 16];
    if crate::server::keys::random_bytes(&mut b).is_err() {
        b.iter_mut().for_each(|x| *x = fastrand::u8(..));
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The uuid an endpoint ARN carries (`arn:aws:autoscaling:REGION:ACCOUNT:KIND:UUID:...`).
pub(super) fn arn_uuid(arn: &str) -> Option<&str> {
    arn.split(':').nth(6).filter(|u| u.len() == 36)
}

/// A domain's id: the uuid of its group's ARN.
pub(super) fn domain_id(arn: &str) -> String {
    arn_uuid(arn).unwrap_or_default().to_string()
}

/// A launch configuration's id: 8 base-62 characters drawn from the uuid of its earliest site's
/// ARN.
pub(super) fn lc_id(arn: &str) -> String {
    const CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let bytes = hex::decode(arn_uuid(arn).unwrap_or_default().replace('-', "")).unwrap_or_default();
    bytes
        .chunks(2)
        .take(8)
        .map(|p| {
            let n = usize::from(p[0]) << 8 | usize::from(*p.get(1).unwrap_or(&0));
            char::from(CHARS[n % CHARS.len()])
        })
        .collect()
}
