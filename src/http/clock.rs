//! The server's clock, as far as signing needs it: a signature carries its time, and a server
//! whose clock differs from ours by minutes refuses it. When it says so (a clock-skew error) and
//! sends a `Date` header, the offset is learnt and every later request is signed at `now + offset`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

/// The learnt offset between the server's clock and ours. Shared by the clones of one client.
#[derive(Debug, Default)]
pub struct ServerClock {
    /// Server clock minus ours, in milliseconds (0 until learnt).
    offset_ms: AtomicI64,
}

impl ServerClock {
    /// How far the server's clock is ahead of ours, in milliseconds (0 until learnt).
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// Sets the offset (tests; [`ServerClock::learn`] is how a client sets it).
    pub fn set_offset_ms(&self, offset: i64) {
        self.offset_ms.store(offset, Ordering::Relaxed);
    }

    /// Now, corrected by the offset: the time to sign with.
    pub fn now(&self) -> SystemTime {
        let offset = self.offset_ms();
        let now = SystemTime::now();
        let magnitude = Duration::from_millis(offset.unsigned_abs());
        if offset >= 0 {
            now.checked_add(magnitude).unwrap_or(now)
        } else {
            now.checked_sub(magnitude).unwrap_or(now)
        }
    }

    /// Learns from the server's `Date` after it refused our signing time: returns the new offset
    /// in milliseconds, or `None` when the dates differ by less than a second (nothing to correct:
    /// the refusal has another cause).
    pub fn learn(&self, server_time: SystemTime) -> Option<i64> {
        let difference = signed_millis(server_time, SystemTime::now());
        if difference.unsigned_abs() < 1000 {
            return None;
        }
        let offset = difference.saturating_add(self.offset_ms());
        self.set_offset_ms(offset);
        Some(offset)
    }
}

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's IMF-fixdate).
pub fn parse_http_date(text: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let t = time::PrimitiveDateTime::parse(text.trim(), format).ok()?;
    let unix = t.assume_utc().unix_timestamp();
    let secs = u64::try_from(unix).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// `a - b` in milliseconds, saturating.
fn signed_millis(a: SystemTime, b: SystemTime) -> i64 {
    match a.duration_since(b) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_time_follows_the_learnt_offset() {
        let clock = ServerClock::default();
        clock.set_offset_ms(-3_600_000);
        let behind = SystemTime::now().duration_since(clock.now()).unwrap();
        assert!(behind >= Duration::from_secs(3599) && behind <= Duration::from_secs(3601));
        assert_eq!(
            clock.learn(SystemTime::now()),
            None,
            "under a second: nothing to learn"
        );
        let clock = ServerClock::default();
        let ahead = clock
            .learn(SystemTime::now() + Duration::from_secs(30))
            .unwrap();
        assert!((29_000..=31_000).contains(&ahead), "{ahead}");
        assert_eq!(clock.offset_ms(), ahead);
    }

    #[test]
    fn http_dates() {
        let when = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(when));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
    }
}
