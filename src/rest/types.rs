//! The REST API's shapes: one `#[derive(Deserialize)]` struct per reply object and one
//! `#[derive(Serialize)]` struct per request body.
//!
//! Replies are read liberally: JSON key order carries no meaning, fields the server added later
//! (or that only some servers send) land in `extra` and are kept, so that `--output json` can print
//! the server's object as it came and `domain alter` can send the whole domain back. Secrets (the
//! REST token, a site's secret key) are held in [`Secret`], whose `Debug` never shows them.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::credentials::Secret;

/// Serde helpers for [`Secret`] fields: deserialize from a string, serialize the value itself (only
/// request bodies are serialized with it; printing uses the redacting helpers instead).
pub(crate) mod secret_string {
    use super::*;

    /// Writes the secret's value (request bodies only).
    pub fn serialize<S: Serializer>(secret: &Secret, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(secret.expose())
    }

    /// Reads a string (or `null`, as an empty secret).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        let value: Option<String> = Option::deserialize(d)?;
        Ok(Secret::new(value.unwrap_or_default()))
    }
}

/// A REST token and the user id it belongs to: what `POST /token` gives and Basic auth sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The numeric user id (`user` in the reply), sent as the Basic auth user name.
    pub user_id: String,
    /// The token, sent as the Basic auth password.
    pub token: Secret,
}

/// The raw reply of `POST /token` (success or not, always HTTP 200 on the genuine server).
#[derive(Debug, Deserialize)]
pub(crate) struct TokenReply {
    #[serde(default)]
    pub success: bool,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub user: Option<Value>,
    #[serde(default)]
    pub errors: Option<Value>,
}

/// A cloud site (`GET /sites`, `GET /sites/<id>`); the image fields come with `?details=true`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// The site name, e.g. `hotel`.
    pub id: String,
    /// The instance types the site offers.
    #[serde(default)]
    pub instance_types: Vec<String>,
    /// Path of this user's credentials for the site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
    /// Path of the site itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The cloud type (`nimbus`, `ec2`, `openstack`), with details.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub site_type: Option<String>,
    /// Whether the site can build images, with details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_generation: Option<bool>,
    /// The user's own images on the site, with details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_images: Option<Vec<String>>,
    /// Public images on the site, with details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_images: Option<Vec<String>>,
    /// Any other field the server sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A user's credentials for one site (`/credentials/sites[/<id>]`). `Debug` hides the secret key
/// and every secret among the other fields.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteCredentials {
    /// The site name.
    pub id: String,
    /// The access key (not secret).
    #[serde(default)]
    pub access_key: String,
    /// The secret key.
    #[serde(default = "empty_secret", with = "secret_string")]
    pub secret_key: Secret,
    /// The SSH key pair name used on the site.
    #[serde(default)]
    pub key_name: String,
    /// Path of these credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The key pair names available on the site, with `?details=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_keys: Option<Vec<String>>,
    /// Any other field (Nimbus certificates, OpenStack logins); shown redacted.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn empty_secret() -> Secret {
    Secret::new("")
}

/// Field names whose values are secret wherever they appear in a reply.
pub const SECRET_FIELDS: &[&str] = &[
    "secret_key",
    "token",
    "password",
    "openstack_password",
    "nimbus_user_key",
    "nimbus_user_cert",
];

impl std::fmt::Debug for SiteCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut extra = Value::Object(self.extra.clone());
        redact_value(&mut extra);
        f.debug_struct("SiteCredentials")
            .field("id", &self.id)
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key)
            .field("key_name", &self.key_name)
            .field("uri", &self.uri)
            .field("available_keys", &self.available_keys)
            .field("extra", &extra)
            .finish()
    }
}

impl SiteCredentials {
    /// The object as JSON with every secret field replaced by `**redacted**` (for printing).
    pub fn redacted_json(&self) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        redact_value(&mut value);
        value
    }
}

/// Replaces, in place, the values of [`SECRET_FIELDS`] that are not null with `**redacted**`.
pub fn redact_value(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if SECRET_FIELDS.contains(&key.as_str()) && !v.is_null() {
                    *v = Value::String("**redacted**".into());
                } else {
                    redact_value(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        _ => {}
    }
}

/// The body of `POST /credentials/sites` and `PUT /credentials/sites/<id>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteCredentialsInput {
    /// The site name.
    pub id: String,
    /// The access key.
    pub access_key: String,
    /// The secret key (sent, never printed).
    #[serde(with = "secret_string")]
    pub secret_key: Secret,
    /// The SSH key pair name.
    pub key_name: String,
}

fn minus_one() -> i64 {
    -1
}

fn one() -> i64 {
    1
}

fn yes() -> bool {
    true
}

/// How a launch configuration starts VMs on one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudParams {
    /// The image name on the site, e.g. `hello-phantom.gz`.
    pub image_id: String,
    /// The instance type, e.g. `m1.small`.
    #[serde(default)]
    pub instance_type: String,
    /// The most VMs on this site; -1 for no limit.
    #[serde(default = "minus_one")]
    pub max_vms: i64,
    /// Whether the image is a public (common) one.
    #[serde(default = "yes")]
    pub common: bool,
    /// The site's preference order, 1 first.
    #[serde(default = "one")]
    pub rank: i64,
    /// Any other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CloudParams {
    /// Parameters as the seed's `lc_create.py` sends them: no VM limit, a common image, rank 1.
    pub fn new(image_id: impl Into<String>, instance_type: impl Into<String>) -> Self {
        CloudParams {
            image_id: image_id.into(),
            instance_type: instance_type.into(),
            max_vms: -1,
            common: true,
            rank: 1,
            extra: Map::new(),
        }
    }
}

/// A launch configuration (`/launchconfigurations[/<id>]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchConfiguration {
    /// The server's id (a short random string).
    pub id: String,
    /// The name the user gave.
    pub name: String,
    /// The owner's user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Per-site parameters, by site name.
    #[serde(default)]
    pub cloud_params: BTreeMap<String, CloudParams>,
    /// Path of this launch configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Any other field (`appliance`, `contextualization_method`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of `POST /launchconfigurations`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaunchConfigurationInput {
    /// The name.
    pub name: String,
    /// Per-site parameters.
    pub cloud_params: BTreeMap<String, CloudParams>,
    /// `none`, `user_data` or `chef`; the server's default when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contextualization_method: Option<String>,
    /// User data handed to the VMs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
}

/// A domain (`/domains[/<id>]`): a set of VMs Phantom keeps at `vm_count`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Domain {
    /// The server's id (a UUID).
    pub id: String,
    /// The name the user gave.
    pub name: String,
    /// The decision engine: `multicloud` (n-preserving) or `sensor`.
    #[serde(default)]
    pub de_name: String,
    /// The launch configuration's name.
    #[serde(default)]
    pub lc_name: String,
    /// How many VMs to keep (multicloud).
    #[serde(default)]
    pub vm_count: i64,
    /// The owner's user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Path of this domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Any other field (sensor settings, `sensor_data`, `clouds`, ...), sent back on update.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of `POST /domains`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainInput {
    /// The name.
    pub name: String,
    /// The decision engine, `multicloud` for an n-preserving domain.
    pub de_name: String,
    /// The launch configuration's name.
    pub lc_name: String,
    /// How many VMs to keep.
    pub vm_count: i64,
    /// Other settings (the `sensor` engine's thresholds, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DomainInput {
    /// An n-preserving (`multicloud`) domain, as the seed's `domain_create.py` makes it.
    pub fn multicloud(name: impl Into<String>, lc_name: impl Into<String>, vm_count: i64) -> Self {
        DomainInput {
            name: name.into(),
            de_name: "multicloud".into(),
            lc_name: lc_name.into(),
            vm_count,
            extra: Map::new(),
        }
    }
}

/// A VM of a domain (`/domains/<id>/instances[/<iid>]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// The Phantom instance id (a UUID).
    pub id: String,
    /// The cloud's own id, e.g. `i-debd6a70`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iaas_instance_id: Option<String>,
    /// The state, e.g. `600-RUNNING`, `800-TERMINATED`.
    #[serde(default)]
    pub lifecycle_state: String,
    /// The host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The public address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<String>,
    /// The private address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<String>,
    /// The site's path, e.g. `/api/dev/sites/hotel`.
    #[serde(default)]
    pub cloud: String,
    /// The image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// The instance type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// The SSH key pair name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyname: Option<String>,
    /// The owner's user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Path of this instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Any other field (`sensor_data`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Instance {
    /// The site name: the last path segment of `cloud` (`/api/dev/sites/hotel` -> `hotel`).
    pub fn site(&self) -> &str {
        self.cloud
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
    }
}

/// A metric Phantom can scale on (`/sensors[/<id>]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sensor {
    /// The metric name, e.g. `proc.loadavg.1min`.
    pub id: String,
    /// Path of the sensor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Any other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_site_is_last_segment() {
        let i: Instance = serde_json::from_str(
            r#"{"id": "x", "cloud": "/api/dev/sites/hotel", "lifecycle_state": "600-RUNNING"}"#,
        )
        .unwrap();
        assert_eq!(i.site(), "hotel");
    }

    #[test]
    fn credentials_debug_and_redacted_json_hide_the_secret() {
        let c: SiteCredentials = serde_json::from_str(
            r#"{"id": "hotel", "access_key": "ak", "secret_key": "canary-sk", "key_name": "k",
                "openstack_password": "canary-pw", "nimbus_user_key": null}"#,
        )
        .unwrap();
        assert_eq!(c.secret_key.expose(), "canary-sk");
        let shown = format!("{c:?} {}", c.redacted_json());
        assert!(!shown.contains("canary"), "{shown}");
        assert_eq!(c.redacted_json()["nimbus_user_key"], Value::Null);
        assert_eq!(c.redacted_json()["access_key"], "ak");
    }
}
