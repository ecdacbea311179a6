//! Sites and sensors: the endpoint's sites as Phantom lists them, the sensor engine's metric names,
//! and the genuine server's refusal of an unknown site.

use serde_json::{Value, json};

use crate::server::fault::{ApiError, shorten};
use crate::server::rest_api::bad;

/// The instance types every site offers.
pub(super) const INSTANCE_TYPES: &[&str] = &["m1.small", "m1.large", "m1.xlarge"];

/// The metrics Phantom's sensor engine knew (the genuine `/sensors` list, abridged).
pub(super) const SENSORS: &[&str] = &[
    "df.1kblocks.free",
    "df.1kblocks.used",
    "df.inodes.free",
    "iostat.part.msec_total",
    "net.sockstat.num_sockets",
    "proc.loadavg.1min",
    "proc.loadavg.5min",
    "proc.loadavg.15min",
    "proc.meminfo.memfree",
    "proc.meminfo.memtotal",
    "proc.net.bytes",
];

pub(super) fn site_json(site: &str, details: bool) -> Value {
    let mut v = json!({
        "id": site,
        "instance_types": INSTANCE_TYPES,
        "credentials": format!("/api/dev/credentials/sites/{site}"),
        "uri": format!("/api/dev/sites/{site}"),
    });
    if details && let Value::Object(map) = &mut v {
        map.insert("type".into(), json!("nimbus"));
        map.insert("image_generation".into(), json!(false));
        map.insert("user_images".into(), json!([]));
        map.insert("public_images".into(), json!(["hello-phantom.gz"]));
    }
    v
}

pub(super) fn sensor_json(id: &str) -> Value {
    json!({"id": id, "uri": format!("/api/dev/sensors/{id}")})
}

/// The genuine server's "unknown site" refusal, listing this endpoint's sites as a Python dict.
pub(super) fn unknown_site(site: &str, sites: &[String]) -> ApiError {
    let types = INSTANCE_TYPES
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let known = sites
        .iter()
        .map(|s| format!("'{s}': {{'id': '{s}', 'instance_types': [{types}]}}"))
        .collect::<Vec<_>>()
        .join(", ");
    bad(format!(
        "{} doesn't seem to exist. I know about {{{known}}}",
        shorten(site)
    ))
}
