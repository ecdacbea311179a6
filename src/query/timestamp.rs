//! Timestamps as the Query protocol writes them: ISO 8601 in UTC, read in every form seen in the
//! wild (`2026-11-27T23:29:59Z`, microseconds from Phantom and moto, offsets, no zone at all, epoch
//! seconds).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::query::tree::ScalarText;

/// A point in time, always shown in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub OffsetDateTime);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Timestamp(OffsetDateTime::now_utc())
    }

    /// Parses any ISO 8601 form the known servers send, or epoch seconds.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
            return Some(Timestamp(t.to_offset(time::UtcOffset::UTC)));
        }
        let spaced = text.replacen(' ', "T", 1);
        for candidate in [format!("{spaced}Z"), spaced.clone()] {
            if let Ok(t) = OffsetDateTime::parse(&candidate, &Rfc3339) {
                return Some(Timestamp(t.to_offset(time::UtcOffset::UTC)));
            }
        }
        let secs: f64 = text.parse().ok()?;
        Self::from_epoch(secs)
    }

    fn from_epoch(secs: f64) -> Option<Self> {
        if !secs.is_finite() {
            return None;
        }
        let nanos = (secs * 1e9) as i128;
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .map(Timestamp)
    }
}

impl fmt::Display for Timestamp {
    /// `2026-11-27T23:29:59Z`, or with milliseconds when the time has a fraction.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0.to_offset(time::UtcOffset::UTC);
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )?;
        if t.millisecond() != 0 {
            write!(f, ".{:03}", t.millisecond())?;
        }
        f.write_str("Z")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl ScalarText for Timestamp {
    fn from_text(text: &str) -> Option<Self> {
        Timestamp::parse(text)
    }
    fn from_f64(n: f64) -> Option<Self> {
        Timestamp::from_epoch(n)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match crate::query::tree::opt_scalar::<D, Timestamp>(deserializer)? {
            Some(t) => Ok(t),
            None => Err(serde::de::Error::custom(
                "expected a timestamp, found nothing",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_dialect() {
        for text in [
            "2026-11-27T23:29:59Z",
            "2026-11-27T23:29:59.000000Z",
            "2026-11-27T23:29:59.000Z",
            "2026-11-27T23:29:59+00:00",
            "2026-11-27T23:29:59",
            "2026-11-27 23:29:59",
            "1795822199",
        ] {
            let t = Timestamp::parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(t.to_string(), "2026-11-27T23:29:59Z", "{text}");
        }
        assert_eq!(
            Timestamp::parse("2026-11-27T23:29:59.25+01:00")
                .unwrap()
                .to_string(),
            "2026-11-27T22:29:59.250Z"
        );
        assert!(Timestamp::parse("yesterday").is_none());
        assert!(Timestamp::parse("1e400").is_none());
    }
}
