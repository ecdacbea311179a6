//! Phantom's REST API (`/api/dev`) over the same store as the Query API: the [`RestBackend`] that
//! `phantom serve` plugs into the HTTP layer of [`crate::rest::endpoint`].
//!
//! Why a translation and not a second data model: every REST call becomes calls of the Query
//! operations' own handlers inside one store transaction, so both APIs obey the same rules, see the
//! same objects, and a failed REST call changes nothing. The mapping, Phantom's own:
//! - a launch configuration with `cloud_params` for sites `hotel` and `sierra` is the Query launch
//!   configurations `name@hotel` and `name@sierra` (a bare Query name counts as the first site);
//!   the settings the Query shape has no member for (`max_vms`, `common`, `rank`,
//!   `contextualization_method`, `user_data`) are kept in `rest_cloud_params`;
//! - a domain is a group with MinSize = MaxSize = DesiredCapacity = `vm_count` (`de_name`
//!   `multicloud`, Phantom's n-preserving engine). The `sensor` engine is refused with a 400 that
//!   says so: this endpoint has no metrics to scale on. A domain uses its launch configuration's
//!   best-ranked site. Deleting a domain is a `ForceDelete`; terminating an instance with
//!   `adjust_policy=true` is `ShouldDecrementDesiredCapacity` (the group's bounds follow);
//! - ids are derived from the owner and the name, so they are stable across restarts and exist for
//!   objects made through the Query API too: 8 base-62 characters for a launch configuration, a
//!   UUID-shaped (version 8, "custom") value for a domain. An instance's id is its Query `i-...` id;
//! - states: `Pending` 400-PENDING, `InService` 600-RUNNING, `Terminating` 700-TERMINATING (an
//!   instance is gone once terminated, where Phantom listed it as 800-TERMINATED for a while);
//! - host names and addresses are made up from the instance id (documentation ranges).
//!
//! Refusals use the genuine server's texts (see `tests/fixtures/phantom-wire/rest-captures`), with
//! two deliberate differences: a launch configuration's missing site fields are named correctly
//! (the genuine message listed the wrong set), and an unknown site is listed with this endpoint's
//! sites. Every refusal is an error out of the transaction, so it rolls back whatever the call had
//! done before it.

use std::sync::Arc;

use axum::http::Method;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::autoscaling::types::{
    AutoScalingGroup, CreateAutoScalingGroupInput, CreateLaunchConfigurationInput,
    DeleteAutoScalingGroupInput, DeleteLaunchConfigurationInput, DescribeAutoScalingGroupsInput,
    DescribeAutoScalingGroupsOutput, DescribeLaunchConfigurationsInput,
    DescribeLaunchConfigurationsOutput, TerminateInstanceInAutoScalingGroupInput,
    UpdateAutoScalingGroupInput,
};
use crate::query::form;
use crate::query::tree::from_node;
use crate::rest::access::User;
use crate::rest::endpoint::{Outcome, RestBackend};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::now_ms;
use crate::server::ops::{self, Ctx, Settings};
use crate::server::sites;
use crate::server::store::Store;

/// The instance types every site offers.
const INSTANCE_TYPES: &[&str] = &["m1.small", "m1.large", "m1.xlarge"];

/// The fields every site of a launch configuration's `cloud_params` must have.
const CLOUD_FIELDS: &[&str] = &["image_id", "instance_type", "max_vms", "common", "rank"];

/// The metrics Phantom's sensor engine knew (the genuine `/sensors` list, abridged).
const SENSORS: &[&str] = &[
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

/// The REST API over the server's store.
pub struct StoreBackend {
    store: Arc<Store>,
    settings: Settings,
}

impl StoreBackend {
    /// A backend over `store`, with the endpoint's sites and delays.
    pub fn new(store: Arc<Store>, settings: Settings) -> Self {
        StoreBackend { store, settings }
    }
}

impl RestBackend for StoreBackend {
    fn call(
        &self,
        user: &User,
        method: &Method,
        path: &[&str],
        body: Option<&Value>,
        params: &[(String, String)],
    ) -> Outcome {
        let ctx = Ctx {
            owner: &user.owner,
            now: now_ms(),
            settings: &self.settings,
        };
        let req = Request { user, body, params };
        let result = self
            .store
            .transaction(|tx| route(&ctx, tx, &req, method, path));
        match result {
            Ok(outcome) => outcome,
            Err(e) if e.status == 404 => Outcome::NotFound(e.message),
            Err(e) if e.status >= 500 => Outcome::Internal(e.message),
            Err(e) => Outcome::BadRequest(e.message),
        }
    }
}

/// What a call carries besides its method and path.
struct Request<'a> {
    user: &'a User,
    body: Option<&'a Value>,
    params: &'a [(String, String)],
}

impl Request<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn flag(&self, name: &str) -> bool {
        self.param(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The body's member `name`, when the body is an object that has it (and it is not null).
    fn member(&self, name: &str) -> Option<&Value> {
        self.body
            .and_then(Value::as_object)
            .and_then(|o| o.get(name))
            .filter(|v| !v.is_null())
    }
}

type Reply = Result<Outcome, ApiError>;

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::validation(message)
}

fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::with_status(404, "NotFound", message)
}

fn route(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    req: &Request<'_>,
    method: &Method,
    path: &[&str],
) -> Reply {
    match (method.as_str(), path) {
        ("GET", ["sites"]) => Ok(Outcome::Ok(Value::Array(
            ctx.settings
                .sites
                .iter()
                .map(|s| site_json(s, req.flag("details")))
                .collect(),
        ))),
        ("GET", ["sites", id]) => match ctx.settings.sites.iter().find(|s| s == id) {
            Some(s) => Ok(Outcome::Ok(site_json(s, req.flag("details")))),
            None => Err(not_found(format!("Site {} not found", shorten(id)))),
        },
        ("GET", ["sensors"]) => Ok(Outcome::Ok(Value::Array(
            SENSORS.iter().map(|s| sensor_json(s)).collect(),
        ))),
        ("GET", ["sensors", id]) => match SENSORS.iter().find(|s| *s == id) {
            Some(s) => Ok(Outcome::Ok(sensor_json(s))),
            None => Err(not_found(format!("Sensor {} not found", shorten(id)))),
        },
        ("GET", ["credentials", "sites"]) => credentials_list(ctx, tx, req),
        ("POST", ["credentials", "sites"]) => credentials_create(ctx, tx, req),
        ("GET", ["credentials", "sites", id]) => credentials_get(ctx, tx, id),
        ("PUT", ["credentials", "sites", id]) => credentials_update(ctx, tx, req, id),
        ("DELETE", ["credentials", "sites", id]) => credentials_delete(ctx, tx, id),
        ("GET", ["launchconfigurations"]) => Ok(Outcome::Ok(Value::Array(
            lc_views(ctx, tx)?
                .iter()
                .map(|lc| lc.json(&req.user.name))
                .collect(),
        ))),
        ("POST", ["launchconfigurations"]) => lc_create(ctx, tx, req),
        ("GET", ["launchconfigurations", id]) => {
            Ok(Outcome::Ok(lc_require(ctx, tx, id)?.json(&req.user.name)))
        }
        ("PUT", ["launchconfigurations", id]) => lc_update(ctx, tx, req, id),
        ("DELETE", ["launchconfigurations", id]) => lc_delete(ctx, tx, id),
        ("GET", ["domains"]) => Ok(Outcome::Ok(Value::Array(
            groups(ctx, tx)?
                .iter()
                .map(|g| domain_json(ctx, g, &req.user.name))
                .collect(),
        ))),
        ("POST", ["domains"]) => domain_create(ctx, tx, req),
        ("GET", ["domains", id]) => {
            let g = domain_require(ctx, tx, id)?;
            Ok(Outcome::Ok(domain_json(ctx, &g, &req.user.name)))
        }
        ("PUT", ["domains", id]) => domain_update(ctx, tx, req, id),
        ("DELETE", ["domains", id]) => {
            let g = domain_require(ctx, tx, id)?;
            run(
                ctx,
                tx,
                "DeleteAutoScalingGroup",
                &DeleteAutoScalingGroupInput {
                    auto_scaling_group_name: group_name(&g),
                    force_delete: Some(true),
                },
            )?;
            Ok(Outcome::Deleted)
        }
        ("GET", ["domains", id, "instances"]) => {
            let g = domain_require(ctx, tx, id)?;
            let keys = key_names(ctx, tx)?;
            Ok(Outcome::Ok(Value::Array(
                instances(&g)
                    .iter()
                    .map(|i| instance_json(ctx, &g, i, &keys, &req.user.name))
                    .collect(),
            )))
        }
        ("GET", ["domains", id, "instances", iid]) => {
            let g = domain_require(ctx, tx, id)?;
            let keys = key_names(ctx, tx)?;
            match instances(&g)
                .iter()
                .find(|i| i.instance_id.as_deref() == Some(*iid))
            {
                Some(i) => Ok(Outcome::Ok(instance_json(
                    ctx,
                    &g,
                    i,
                    &keys,
                    &req.user.name,
                ))),
                None => Err(not_found(format!("instance {} not found", shorten(iid)))),
            }
        }
        ("DELETE", ["domains", id, "instances", iid]) => {
            instance_delete(ctx, tx, req.flag("adjust_policy"), id, iid)
        }
        _ => Err(not_found("No such call")),
    }
}

// ---------------------------------------------------------------------------------------------
// Calling the Query handlers.

/// Runs the Query operation `action` with `input` inside the call's transaction; returns the
/// reply's Result members as the Query API writes them (XML), if the operation has output.
fn run<I: Serialize>(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    action: &str,
    input: &I,
) -> Result<Option<String>, ApiError> {
    let handler = ops::handler(action)
        .ok_or_else(|| ApiError::internal(format!("no handler for {action}")))?;
    // The input as a Query client sends it, decoded as the Query front end decodes a form: one
    // tree, one validator, whichever API the request came by.
    let params = form::to_params(input).map_err(ApiError::internal)?;
    let tree = form::pairs_to_node(&params).map_err(ApiError::internal)?;
    handler(ctx, tx, &tree)
}

/// Runs `action` and reads its output shape.
fn read<I: Serialize, O: DeserializeOwned>(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    action: &str,
    input: &I,
) -> Result<O, ApiError> {
    let members = run(ctx, tx, action, input)?.unwrap_or_default();
    // The same XML a Query client reads, through the same reader.
    let xml = format!("<{action}Result>{members}</{action}Result>");
    let (_, node) = crate::query::xml::parse_nodes(&xml)
        .map_err(|e| ApiError::internal(format!("reading {action}: {e}")))?;
    from_node(&node).map_err(|e| ApiError::internal(format!("reading {action}: {e}")))
}

/// Every launch configuration of the owner, all pages.
fn query_lcs(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
) -> Result<Vec<crate::autoscaling::types::LaunchConfiguration>, ApiError> {
    let mut all = Vec::new();
    let mut next_token = None;
    loop {
        let page: DescribeLaunchConfigurationsOutput = read(
            ctx,
            tx,
            "DescribeLaunchConfigurations",
            &DescribeLaunchConfigurationsInput {
                next_token: next_token.take(),
                max_records: Some(100),
                ..Default::default()
            },
        )?;
        all.extend(page.launch_configurations.unwrap_or_default());
        match page.next_token.filter(|t| !t.is_empty()) {
            Some(t) => next_token = Some(t),
            None => return Ok(all),
        }
    }
}

/// Every group of the owner with its instances, all pages.
fn groups(ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Vec<AutoScalingGroup>, ApiError> {
    let mut all = Vec::new();
    let mut next_token = None;
    loop {
        let page: DescribeAutoScalingGroupsOutput = read(
            ctx,
            tx,
            "DescribeAutoScalingGroups",
            &DescribeAutoScalingGroupsInput {
                next_token: next_token.take(),
                max_records: Some(100),
                ..Default::default()
            },
        )?;
        all.extend(page.auto_scaling_groups.unwrap_or_default());
        match page.next_token.filter(|t| !t.is_empty()) {
            Some(t) => next_token = Some(t),
            None => return Ok(all),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Ids.

fn digest(parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize().into()
}

/// A launch configuration's id: 8 base-62 characters from its owner and name.
fn lc_id(owner: &str, name: &str) -> String {
    const CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    digest(&["launchconfiguration", owner, name])
        .iter()
        .take(8)
        .map(|b| char::from(CHARS[usize::from(*b) % CHARS.len()]))
        .collect()
}

/// A domain's id: UUID-shaped (version 8, RFC 9562's custom version) from its owner and name.
fn domain_id(owner: &str, name: &str) -> String {
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

// ---------------------------------------------------------------------------------------------
// Sites and sensors.

fn site_json(site: &str, details: bool) -> Value {
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

fn sensor_json(id: &str) -> Value {
    json!({"id": id, "uri": format!("/api/dev/sensors/{id}")})
}

/// The genuine server's "unknown site" refusal, listing this endpoint's sites as a Python dict.
fn unknown_site(site: &str, sites: &[String]) -> ApiError {
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

// ---------------------------------------------------------------------------------------------
// Site credentials.

struct SiteKeys {
    site: String,
    access_key: String,
    secret_key: String,
    key_name: String,
}

impl SiteKeys {
    fn json(&self) -> Value {
        json!({
            "id": self.site,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "key_name": self.key_name,
            "uri": format!("/api/dev/credentials/sites/{}", self.site),
        })
    }
}

fn site_keys(ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Vec<SiteKeys>, ApiError> {
    let mut stmt = tx.prepare(
        "SELECT site, access_key, secret_key, key_name FROM rest_site_credentials \
         WHERE owner = ?1 ORDER BY site",
    )?;
    let rows = stmt.query_map(params![ctx.owner], |r| {
        Ok(SiteKeys {
            site: r.get(0)?,
            access_key: r.get(1)?,
            secret_key: r.get(2)?,
            key_name: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The key pair name the owner uses on each site.
fn key_names(ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Vec<(String, String)>, ApiError> {
    Ok(site_keys(ctx, tx)?
        .into_iter()
        .map(|k| (k.site, k.key_name))
        .collect())
}

fn credentials_list(ctx: &Ctx<'_>, tx: &Transaction<'_>, req: &Request<'_>) -> Reply {
    let details = req.flag("details");
    Ok(Outcome::Ok(Value::Array(
        site_keys(ctx, tx)?
            .iter()
            .map(|k| {
                let mut v = k.json();
                if details {
                    let mut keys = vec![k.key_name.clone()];
                    if k.key_name != "default" {
                        keys.push("default".into());
                    }
                    v["available_keys"] = json!(keys);
                }
                v
            })
            .collect(),
    )))
}

fn find_keys(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    site: &str,
) -> Result<Option<SiteKeys>, ApiError> {
    Ok(site_keys(ctx, tx)?.into_iter().find(|k| k.site == site))
}

/// Reads the credentials body; `site` overrides the body's `id` (PUT names it in the path).
fn keys_from_body(
    ctx: &Ctx<'_>,
    req: &Request<'_>,
    site: Option<&str>,
) -> Result<SiteKeys, ApiError> {
    let text = |name: &str| req.member(name).and_then(Value::as_str).map(str::to_string);
    let fields = (
        site.map(str::to_string).or_else(|| text("id")),
        text("access_key"),
        text("secret_key"),
        text("key_name"),
    );
    let (Some(site), Some(access_key), Some(secret_key), Some(key_name)) = fields else {
        return Err(bad(
            "Bad request. Do not have all required parameters (['id', 'access_key', \
             'secret_key', 'key_name'])",
        ));
    };
    if !ctx.settings.sites.contains(&site) {
        return Err(unknown_site(&site, &ctx.settings.sites));
    }
    Ok(SiteKeys {
        site,
        access_key,
        secret_key,
        key_name,
    })
}

fn write_keys(ctx: &Ctx<'_>, tx: &Transaction<'_>, k: &SiteKeys) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO rest_site_credentials (owner, site, access_key, secret_key, key_name) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (owner, site) DO UPDATE SET \
         access_key = excluded.access_key, secret_key = excluded.secret_key, \
         key_name = excluded.key_name",
        params![ctx.owner, k.site, k.access_key, k.secret_key, k.key_name],
    )?;
    Ok(())
}

fn credentials_create(ctx: &Ctx<'_>, tx: &Transaction<'_>, req: &Request<'_>) -> Reply {
    let k = keys_from_body(ctx, req, None)?;
    if find_keys(ctx, tx, &k.site)?.is_some() {
        return Ok(Outcome::Exists(format!("/credentials/sites/{}", k.site)));
    }
    write_keys(ctx, tx, &k)?;
    let mut v = k.json();
    for extra in [
        "nimbus_user_cert",
        "nimbus_user_key",
        "nimbus_canonical_id",
        "openstack_username",
        "openstack_password",
        "openstack_project",
    ] {
        v[extra] = Value::Null;
    }
    Ok(Outcome::Created(v))
}

fn credentials_missing(site: &str) -> ApiError {
    not_found(format!("Credentials for site {} not found", shorten(site)))
}

fn credentials_get(ctx: &Ctx<'_>, tx: &Transaction<'_>, site: &str) -> Reply {
    match find_keys(ctx, tx, site)? {
        Some(k) => Ok(Outcome::Ok(k.json())),
        None => Err(credentials_missing(site)),
    }
}

fn credentials_update(ctx: &Ctx<'_>, tx: &Transaction<'_>, req: &Request<'_>, site: &str) -> Reply {
    if find_keys(ctx, tx, site)?.is_none() {
        return Err(credentials_missing(site));
    }
    let k = keys_from_body(ctx, req, Some(site))?;
    write_keys(ctx, tx, &k)?;
    Ok(Outcome::Ok(k.json()))
}

fn credentials_delete(ctx: &Ctx<'_>, tx: &Transaction<'_>, site: &str) -> Reply {
    let n = tx.execute(
        "DELETE FROM rest_site_credentials WHERE owner = ?1 AND site = ?2",
        params![ctx.owner, site],
    )?;
    if n == 0 {
        return Err(credentials_missing(site));
    }
    Ok(Outcome::Deleted)
}

// ---------------------------------------------------------------------------------------------
// Launch configurations.

/// One site of a REST launch configuration: the stored Query launch configuration and the
/// REST-only settings.
struct SiteLc {
    site: String,
    stored: String,
    image_id: String,
    instance_type: String,
    extra: Map<String, Value>,
}

impl SiteLc {
    fn rank(&self) -> i64 {
        self.extra.get("rank").and_then(Value::as_i64).unwrap_or(1)
    }

    fn cloud_params(&self) -> Value {
        let mut m = Map::new();
        m.insert("image_id".into(), json!(self.image_id));
        m.insert("instance_type".into(), json!(self.instance_type));
        m.insert(
            "max_vms".into(),
            self.extra.get("max_vms").cloned().unwrap_or(json!(-1)),
        );
        m.insert(
            "common".into(),
            self.extra.get("common").cloned().unwrap_or(json!(true)),
        );
        m.insert("rank".into(), json!(self.rank()));
        Value::Object(m)
    }
}

/// A REST launch configuration: Query launch configurations sharing a base name.
struct LcView {
    id: String,
    name: String,
    sites: Vec<SiteLc>,
    contextualization_method: Value,
    user_data: Value,
}

impl LcView {
    fn json(&self, owner_name: &str) -> Value {
        let cloud_params: Map<String, Value> = self
            .sites
            .iter()
            .map(|s| (s.site.clone(), s.cloud_params()))
            .collect();
        json!({
            "id": self.id,
            "name": self.name,
            "owner": owner_name,
            "appliance": null,
            "contextualization_method": self.contextualization_method,
            "user_data": self.user_data,
            "cloud_params": cloud_params,
            "uri": format!("/api/dev/launchconfigurations/{}", self.id),
        })
    }

    /// The site a new domain uses: the best rank, then the endpoint's site order.
    fn best_site(&self, sites: &[String]) -> Option<&SiteLc> {
        let order = |s: &SiteLc| {
            sites
                .iter()
                .position(|x| *x == s.site)
                .unwrap_or(usize::MAX)
        };
        self.sites.iter().min_by_key(|s| (s.rank(), order(s)))
    }
}

fn rest_params(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    stored: &str,
) -> Result<Map<String, Value>, ApiError> {
    let doc: Option<String> = tx
        .query_row(
            "SELECT doc FROM rest_cloud_params WHERE owner = ?1 AND lc_name = ?2",
            params![ctx.owner, stored],
            |r| r.get(0),
        )
        .optional()?;
    Ok(doc
        .and_then(|d| serde_json::from_str::<Map<String, Value>>(&d).ok())
        .unwrap_or_default())
}

/// The owner's launch configurations as the REST API shows them, by name.
fn lc_views(ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Vec<LcView>, ApiError> {
    let sites_known = &ctx.settings.sites;
    let mut views: Vec<LcView> = Vec::new();
    let mut bare: Vec<(String, SiteLc)> = Vec::new();
    for lc in query_lcs(ctx, tx)? {
        let stored = lc.launch_configuration_name.clone().unwrap_or_default();
        let (base, site, is_bare) = match sites::split(&stored) {
            Some((base, site)) => (base.to_string(), site.to_string(), false),
            None => (
                stored.clone(),
                sites_known.first().cloned().unwrap_or_default(),
                true,
            ),
        };
        let entry = SiteLc {
            site,
            image_id: lc.image_id.clone().unwrap_or_default(),
            instance_type: lc.instance_type.clone().unwrap_or_default(),
            extra: rest_params(ctx, tx, &stored)?,
            stored,
        };
        if is_bare {
            bare.push((base, entry));
            continue;
        }
        add_site(&mut views, ctx.owner, base, entry);
    }
    // A bare Query name stands for its default site, unless `name@site` already covers it.
    for (base, entry) in bare {
        let taken = views
            .iter()
            .any(|v| v.name == base && v.sites.iter().any(|s| s.site == entry.site));
        if !taken {
            add_site(&mut views, ctx.owner, base, entry);
        }
    }
    for v in &mut views {
        v.sites.sort_by(|a, b| a.site.cmp(&b.site));
        if let Some(first) = v.sites.first() {
            v.contextualization_method = first
                .extra
                .get("contextualization_method")
                .cloned()
                .unwrap_or(json!("None"));
            v.user_data = first.extra.get("user_data").cloned().unwrap_or(Value::Null);
        }
    }
    views.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(views)
}

fn add_site(views: &mut Vec<LcView>, owner: &str, base: String, entry: SiteLc) {
    match views.iter_mut().find(|v| v.name == base) {
        Some(v) => v.sites.push(entry),
        None => views.push(LcView {
            id: lc_id(owner, &base),
            name: base,
            sites: vec![entry],
            contextualization_method: json!("None"),
            user_data: Value::Null,
        }),
    }
}

fn lc_require(ctx: &Ctx<'_>, tx: &Transaction<'_>, id: &str) -> Result<LcView, ApiError> {
    lc_views(ctx, tx)?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| not_found(format!("Launch configuration {} not found", shorten(id))))
}

/// A member of a site's `cloud_params` (null when absent; never panics like `map[key]`).
fn field<'a>(p: &'a Map<String, Value>, name: &str) -> &'a Value {
    p.get(name).unwrap_or(&Value::Null)
}

/// The validated body of a launch configuration POST or PUT.
struct LcBody {
    name: String,
    sites: Vec<(String, Map<String, Value>)>,
    contextualization_method: Option<Value>,
    user_data: Option<Value>,
}

fn acceptable_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_. ".contains(c))
}

fn lc_body(ctx: &Ctx<'_>, req: &Request<'_>) -> Result<LcBody, ApiError> {
    let (Some(name), Some(cloud_params)) = (req.member("name"), req.member("cloud_params")) else {
        return Err(bad("Request must have name, cloud_params params"));
    };
    let name = match name {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if !acceptable_name(&name) {
        return Err(bad(format!(
            "{} isn't an acceptable id. Must match [-_.0-9A-Za-z ]",
            shorten(&name)
        )));
    }
    let Some(cloud_params) = cloud_params.as_object() else {
        return Err(bad("cloud_params must be an object of sites"));
    };
    if cloud_params.is_empty() {
        return Err(bad("cloud_params must name at least one site"));
    }
    let mut sites = Vec::new();
    for (site, p) in cloud_params {
        if !ctx.settings.sites.contains(site) {
            return Err(unknown_site(site, &ctx.settings.sites));
        }
        let p = p.as_object().cloned().unwrap_or_default();
        let missing: Vec<&str> = CLOUD_FIELDS
            .iter()
            .copied()
            .filter(|f| p.get(*f).is_none_or(Value::is_null))
            .collect();
        if !missing.is_empty() {
            return Err(bad(format!(
                "Missing parameters. {} needs: {}.",
                shorten(site),
                missing.join(", ")
            )));
        }
        let typed = field(&p, "image_id")
            .as_str()
            .is_some_and(|s| !s.is_empty())
            && field(&p, "instance_type")
                .as_str()
                .is_some_and(|s| !s.is_empty())
            && field(&p, "max_vms").is_i64()
            && field(&p, "common").is_boolean()
            && field(&p, "rank").is_i64();
        if !typed {
            return Err(bad(format!(
                "Bad parameters for {}: image_id and instance_type must be text, max_vms and \
                 rank whole numbers, common true or false",
                shorten(site)
            )));
        }
        sites.push((site.clone(), p));
    }
    Ok(LcBody {
        name,
        sites,
        contextualization_method: req.member("contextualization_method").cloned(),
        user_data: req.member("user_data").cloned(),
    })
}

/// Creates the Query launch configuration `base@site` and its REST-only settings.
fn create_site_lc(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    body: &LcBody,
    base: &str,
    site: &str,
    p: &Map<String, Value>,
) -> Result<(), ApiError> {
    use base64::Engine;
    let stored = format!("{base}@{site}");
    let user_data = body
        .user_data
        .as_ref()
        .and_then(Value::as_str)
        .map(|u| base64::engine::general_purpose::STANDARD.encode(u));
    run(
        ctx,
        tx,
        "CreateLaunchConfiguration",
        &CreateLaunchConfigurationInput {
            launch_configuration_name: stored.clone(),
            image_id: field(p, "image_id").as_str().map(str::to_string),
            instance_type: field(p, "instance_type").as_str().map(str::to_string),
            user_data,
            ..Default::default()
        },
    )?;
    write_rest_params(ctx, tx, body, &stored, p)
}

fn write_rest_params(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    body: &LcBody,
    stored: &str,
    p: &Map<String, Value>,
) -> Result<(), ApiError> {
    let mut doc = Map::new();
    for f in ["max_vms", "common", "rank"] {
        doc.insert(f.into(), field(p, f).clone());
    }
    if let Some(m) = &body.contextualization_method {
        doc.insert("contextualization_method".into(), m.clone());
    }
    if let Some(u) = &body.user_data {
        doc.insert("user_data".into(), u.clone());
    }
    tx.execute(
        "INSERT INTO rest_cloud_params (owner, lc_name, doc) VALUES (?1, ?2, ?3) \
         ON CONFLICT (owner, lc_name) DO UPDATE SET doc = excluded.doc",
        params![ctx.owner, stored, Value::Object(doc).to_string()],
    )?;
    Ok(())
}

fn delete_site_lc(ctx: &Ctx<'_>, tx: &Transaction<'_>, stored: &str) -> Result<(), ApiError> {
    run(
        ctx,
        tx,
        "DeleteLaunchConfiguration",
        &DeleteLaunchConfigurationInput {
            launch_configuration_name: stored.to_string(),
        },
    )?;
    // Its `rest_cloud_params` row goes with it (a trigger of the store's schema).
    Ok(())
}

fn lc_create(ctx: &Ctx<'_>, tx: &Transaction<'_>, req: &Request<'_>) -> Reply {
    let body = lc_body(ctx, req)?;
    if let Some(existing) = lc_views(ctx, tx)?.iter().find(|v| v.name == body.name) {
        return Ok(Outcome::Exists(format!(
            "/launchconfigurations/{}",
            existing.id
        )));
    }
    for (site, p) in &body.sites {
        create_site_lc(ctx, tx, &body, &body.name, site, p)?;
    }
    let id = lc_id(ctx.owner, &body.name);
    Ok(Outcome::Created(
        lc_require(ctx, tx, &id)?.json(&req.user.name),
    ))
}

fn lc_update(ctx: &Ctx<'_>, tx: &Transaction<'_>, req: &Request<'_>, id: &str) -> Reply {
    let current = lc_require(ctx, tx, id)?;
    let body = lc_body(ctx, req)?;
    for old in &current.sites {
        let new = body.sites.iter().find(|(s, _)| *s == old.site);
        let same = new.is_some_and(|(_, p)| {
            field(p, "image_id").as_str() == Some(old.image_id.as_str())
                && field(p, "instance_type").as_str() == Some(old.instance_type.as_str())
        });
        match new {
            Some((_, p)) if same => write_rest_params(ctx, tx, &body, &old.stored, p)?,
            _ => delete_site_lc(ctx, tx, &old.stored)?,
        }
    }
    for (site, p) in &body.sites {
        let kept = current.sites.iter().any(|old| {
            old.site == *site
                && field(p, "image_id").as_str() == Some(old.image_id.as_str())
                && field(p, "instance_type").as_str() == Some(old.instance_type.as_str())
        });
        if !kept {
            create_site_lc(ctx, tx, &body, &current.name, site, p)?;
        }
    }
    Ok(Outcome::Ok(lc_require(ctx, tx, id)?.json(&req.user.name)))
}

fn lc_delete(ctx: &Ctx<'_>, tx: &Transaction<'_>, id: &str) -> Reply {
    let current = lc_require(ctx, tx, id)?;
    for s in &current.sites {
        delete_site_lc(ctx, tx, &s.stored)?;
    }
    Ok(Outcome::Deleted)
}

// ---------------------------------------------------------------------------------------------
// Domains and their instances.

fn group_name(g: &AutoScalingGroup) -> String {
    g.auto_scaling_group_name.clone().unwrap_or_default()
}

/// The launch configuration's REST name: the group's reference without `@site`.
fn group_lc_name(g: &AutoScalingGroup) -> String {
    let given = g.launch_configuration_name.clone().unwrap_or_default();
    match sites::split(&given) {
        Some((base, _)) => base.to_string(),
        None => given,
    }
}

fn domain_json(ctx: &Ctx<'_>, g: &AutoScalingGroup, owner_name: &str) -> Value {
    let id = domain_id(ctx.owner, &group_name(g));
    json!({
        "id": id,
        "name": group_name(g),
        "de_name": "multicloud",
        "lc_name": group_lc_name(g),
        "vm_count": g.desired_capacity.unwrap_or(0),
        "sensor_data": {},
        "monitor_sensors": "",
        "monitor_domain_sensors": "",
        "owner": owner_name,
        "uri": format!("/api/dev/domains/{id}"),
    })
}

fn domain_require(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    id: &str,
) -> Result<AutoScalingGroup, ApiError> {
    groups(ctx, tx)?
        .into_iter()
        .find(|g| domain_id(ctx.owner, &group_name(g)) == id)
        .ok_or_else(|| not_found(format!("Domain {} not found", shorten(id))))
}

fn instances(g: &AutoScalingGroup) -> Vec<crate::autoscaling::types::Instance> {
    g.instances.clone().unwrap_or_default()
}

fn lifecycle_state(state: Option<&str>) -> &'static str {
    match state {
        Some("Pending") | Some("Pending:Wait") | Some("Pending:Proceed") => "400-PENDING",
        Some("InService") => "600-RUNNING",
        Some(s) if s.starts_with("Terminating") => "700-TERMINATING",
        _ => "800-TERMINATED",
    }
}

fn instance_json(
    ctx: &Ctx<'_>,
    g: &AutoScalingGroup,
    i: &crate::autoscaling::types::Instance,
    keys: &[(String, String)],
    owner_name: &str,
) -> Value {
    let id = i.instance_id.clone().unwrap_or_default();
    let site = i.availability_zone.clone().unwrap_or_default();
    let d = digest(&["instance", &id]);
    let domain = domain_id(ctx.owner, &group_name(g));
    let keyname = keys
        .iter()
        .find(|(s, _)| *s == site)
        .map(|(_, k)| json!(k))
        .unwrap_or(Value::Null);
    json!({
        "id": id,
        "iaas_instance_id": id,
        "lifecycle_state": lifecycle_state(i.lifecycle_state.as_deref()),
        "hostname": format!("vm-{}.{site}.example", hex::encode(&d[..3])),
        "public_ip": format!("192.0.2.{}", 1 + d[3] % 254),
        "private_ip": format!("10.0.{}.{}", d[4], 1 + d[5] % 254),
        "cloud": format!("/api/dev/sites/{site}"),
        "image_id": i.image_id,
        "instance_type": i.instance_type,
        "sensor_data": {},
        "keyname": keyname,
        "owner": owner_name,
        "uri": format!("/api/dev/domains/{domain}/instances/{id}"),
    })
}

/// The validated body of a domain POST or PUT: launch configuration name and `vm_count`.
fn domain_body(req: &Request<'_>) -> Result<(String, i64), ApiError> {
    match req.member("de_name") {
        Some(Value::String(d)) if d == "multicloud" => {}
        Some(Value::String(d)) if d == "sensor" => {
            return Err(bad(
                "de_name 'sensor' is not supported by this endpoint: it has no metrics to scale \
                 on; use 'multicloud' (n-preserving)",
            ));
        }
        Some(Value::String(d)) => {
            return Err(bad(format!("de_name '{}' is not supported", shorten(d))));
        }
        Some(other) => {
            return Err(bad(format!(
                "de_name '{}' is not supported",
                shorten(&other.to_string())
            )));
        }
        None => return Err(bad("de_name 'None' is not supported")),
    }
    let Some(lc_name) = req.member("lc_name") else {
        return Err(bad("Mandatory parameter 'lc_name' is missing"));
    };
    let lc_name = match lc_name {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let Some(vm_count) = req.member("vm_count") else {
        return Err(bad("Mandatory parameter 'vm_count' is missing"));
    };
    let vm_count = match vm_count {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match vm_count {
        Some(n) if n >= 0 => Ok((lc_name, n)),
        _ => Err(bad("vm_count must be a whole number, 0 or more")),
    }
}

/// The Query reference a domain gives for a launch configuration: the bare name when the Query
/// API's own lookup (the sites in order) finds the best-ranked site, else `name@site`.
fn lc_reference(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    lc_name: &str,
) -> Result<(String, LcView), ApiError> {
    let view = lc_views(ctx, tx)?
        .into_iter()
        .find(|v| v.name == lc_name)
        .ok_or_else(|| {
            bad(format!(
                "No launch configuration named {}. Can't make domain",
                shorten(lc_name)
            ))
        })?;
    let best = view
        .best_site(&ctx.settings.sites)
        .map(|s| s.stored.clone())
        .unwrap_or_default();
    let first_found = sites::candidates(lc_name, &ctx.settings.sites)
        .into_iter()
        .find(|c| view.sites.iter().any(|s| s.stored == *c));
    let reference = if first_found.as_deref() == Some(best.as_str()) {
        lc_name.to_string()
    } else {
        best
    };
    Ok((reference, view))
}

fn size(n: i64) -> Result<i32, ApiError> {
    i32::try_from(n).map_err(|_| bad("vm_count is too large"))
}

fn domain_create(ctx: &Ctx<'_>, tx: &Transaction<'_>, req: &Request<'_>) -> Reply {
    let name = match req.member("name") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(bad("You must provide a name for your domain")),
    };
    let (lc_name, vm_count) = domain_body(req)?;
    if groups(ctx, tx)?.iter().any(|g| group_name(g) == name) {
        return Ok(Outcome::Exists(format!(
            "/domains/{}",
            domain_id(ctx.owner, &name)
        )));
    }
    let (reference, view) = lc_reference(ctx, tx, &lc_name)?;
    let n = size(vm_count)?;
    run(
        ctx,
        tx,
        "CreateAutoScalingGroup",
        &CreateAutoScalingGroupInput {
            auto_scaling_group_name: name.clone(),
            launch_configuration_name: Some(reference),
            min_size: n,
            max_size: n,
            desired_capacity: Some(n),
            ..Default::default()
        },
    )?;
    let id = domain_id(ctx.owner, &name);
    let g = domain_require(ctx, tx, &id)?;
    let mut v = domain_json(ctx, &g, &req.user.name);
    v["clouds"] = Value::Array(
        view.sites
            .iter()
            .map(|s| {
                json!({
                    "site_name": s.site,
                    "rank": s.rank(),
                    "size": s.extra.get("max_vms").cloned().unwrap_or(json!(-1)),
                })
            })
            .collect(),
    );
    Ok(Outcome::Created(v))
}

fn domain_update(ctx: &Ctx<'_>, tx: &Transaction<'_>, req: &Request<'_>, id: &str) -> Reply {
    let g = domain_require(ctx, tx, id)?;
    let (lc_name, vm_count) = domain_body(req)?;
    let new_lc = if lc_name != group_lc_name(&g) {
        Some(lc_reference(ctx, tx, &lc_name)?.0)
    } else {
        None
    };
    let n = size(vm_count)?;
    run(
        ctx,
        tx,
        "UpdateAutoScalingGroup",
        &UpdateAutoScalingGroupInput {
            auto_scaling_group_name: group_name(&g),
            launch_configuration_name: new_lc,
            min_size: Some(n),
            max_size: Some(n),
            desired_capacity: Some(n),
            ..Default::default()
        },
    )?;
    let g = domain_require(ctx, tx, id)?;
    let mut v = domain_json(ctx, &g, &req.user.name);
    if let Value::Object(map) = &mut v {
        for k in ["sensor_data", "monitor_sensors", "monitor_domain_sensors"] {
            map.remove(k);
        }
    }
    Ok(Outcome::Ok(v))
}

fn instance_delete(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    adjust: bool,
    id: &str,
    iid: &str,
) -> Reply {
    let g = domain_require(ctx, tx, id)?;
    let live = instances(&g).into_iter().any(|i| {
        i.instance_id.as_deref() == Some(iid)
            && !i
                .lifecycle_state
                .as_deref()
                .is_some_and(|s| s.starts_with("Terminating"))
    });
    if !live {
        // The genuine server names the domain here, not the instance.
        return Err(not_found(format!("instance {} not found", shorten(id))));
    }
    let name = group_name(&g);
    let (min, max, desired) = (
        g.min_size.unwrap_or(0),
        g.max_size.unwrap_or(0),
        g.desired_capacity.unwrap_or(0),
    );
    let lowered = (desired - 1).max(0);
    let bounds = |min_size: Option<i32>, max_size: Option<i32>| UpdateAutoScalingGroupInput {
        auto_scaling_group_name: name.clone(),
        min_size,
        max_size,
        ..Default::default()
    };
    if adjust && min > lowered {
        run(
            ctx,
            tx,
            "UpdateAutoScalingGroup",
            &bounds(Some(lowered), None),
        )?;
    }
    run(
        ctx,
        tx,
        "TerminateInstanceInAutoScalingGroup",
        &TerminateInstanceInAutoScalingGroupInput {
            instance_id: Some(iid.to_string()),
            should_decrement_desired_capacity: adjust,
            ..Default::default()
        },
    )?;
    // An n-preserving domain keeps MaxSize at vm_count.
    if adjust && max == desired {
        run(
            ctx,
            tx,
            "UpdateAutoScalingGroup",
            &bounds(None, Some(lowered)),
        )?;
    }
    Ok(Outcome::Deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_shaped() {
        assert_eq!(lc_id("AKID", "testlc1"), lc_id("AKID", "testlc1"));
        assert_ne!(lc_id("AKID", "testlc1"), lc_id("OTHER", "testlc1"));
        assert_eq!(lc_id("AKID", "x").len(), 8);
        let d = domain_id("AKID", "testDomain1");
        assert_eq!(d.len(), 36);
        assert_eq!(d.as_bytes()[14], b'8');
        assert_eq!(
            d.split('-').map(str::len).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert_ne!(d, domain_id("AKID", "testDomain2"));
    }

    #[test]
    fn states_and_names() {
        assert_eq!(lifecycle_state(Some("Pending")), "400-PENDING");
        assert_eq!(lifecycle_state(Some("InService")), "600-RUNNING");
        assert_eq!(lifecycle_state(Some("Terminating")), "700-TERMINATING");
        assert_eq!(lifecycle_state(Some("Terminated")), "800-TERMINATED");
        assert!(acceptable_name("test lc_1.x-2"));
        assert!(!acceptable_name("bad/name"));
        assert!(!acceptable_name("x@hotel"));
        assert!(!acceptable_name(""));
        let e = unknown_site("nowhere", &["hotel".to_string()]);
        assert_eq!(
            e.message,
            "nowhere doesn't seem to exist. I know about {'hotel': {'id': 'hotel', \
             'instance_types': ['m1.small', 'm1.large', 'm1.xlarge']}}"
        );
    }
}
