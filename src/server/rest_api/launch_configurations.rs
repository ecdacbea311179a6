//! REST launch configurations over Query ones: `cloud_params` for sites `hotel` and `sierra` are
//! the Query launch configurations `name@hotel` and `name@sierra` (a bare Query name counts as the
//! first site); what the Query shape has no member for is kept in `rest_cloud_params`.

use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::{Map, Value, json};

use crate::autoscaling::types::{
    CreateLaunchConfigurationInput, DeleteLaunchConfigurationInput,
    DescribeLaunchConfigurationsInput, LaunchConfiguration,
};
use crate::rest::endpoint::Outcome;
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::{self, Ctx};
use crate::server::rest_api::ids::lc_id;
use crate::server::rest_api::sites::unknown_site;
use crate::server::rest_api::{Reply, Request, bad, not_found};
use crate::server::sites;

/// The fields every site of a launch configuration's `cloud_params` must have.
pub(super) const CLOUD_FIELDS: &[&str] =
    &["image_id", "instance_type", "max_vms", "common", "rank"];

/// Every launch configuration of the owner, all pages (through DescribeLaunchConfigurations).
pub(super) fn query_lcs(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
) -> Result<Vec<LaunchConfiguration>, ApiError> {
    let mut all = Vec::new();
    let mut next_token = None;
    loop {
        let page = ops::call(
            ctx,
            tx,
            DescribeLaunchConfigurationsInput {
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

/// One site of a REST launch configuration: the stored Query launch configuration and the
/// REST-only settings.
pub(super) struct SiteLc {
    pub(super) site: String,
    /// The Query launch configuration's ARN and creation time (the view's id comes from the
    /// earliest site's ARN, `ids::lc_id`).
    pub(super) arn: String,
    pub(super) created: String,
    pub(super) stored: String,
    pub(super) image_id: String,
    pub(super) instance_type: String,
    pub(super) extra: Map<String, Value>,
}

impl SiteLc {
    pub(super) fn rank(&self) -> i64 {
        self.extra.get("rank").and_then(Value::as_i64).unwrap_or(1)
    }

    pub(super) fn cloud_params(&self) -> Value {
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
pub(super) struct LcView {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) sites: Vec<SiteLc>,
    pub(super) contextualization_method: Value,
    pub(super) user_data: Value,
}

impl LcView {
    pub(super) fn json(&self, owner_name: &str) -> Value {
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
    pub(super) fn best_site(&self, sites: &[String]) -> Option<&SiteLc> {
        let order = |s: &SiteLc| {
            sites
                .iter()
                .position(|x| *x == s.site)
                .unwrap_or(usize::MAX)
        };
        self.sites.iter().min_by_key(|s| (s.rank(), order(s)))
    }
}

pub(super) fn rest_params(
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
pub(super) fn lc_views(ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Vec<LcView>, ApiError> {
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
            arn: lc.launch_configuration_arn.clone().unwrap_or_default(),
            created: lc
                .created_time
                .as_ref()
                .map(|t| t.0.unix_timestamp_nanos().to_string())
                .unwrap_or_default(),
            image_id: lc.image_id.clone().unwrap_or_default(),
            instance_type: lc.instance_type.clone().unwrap_or_default(),
            extra: rest_params(ctx, tx, &stored)?,
            stored,
        };
        if is_bare {
            bare.push((base, entry));
            continue;
        }
        add_site(&mut views, base, entry);
    }
    // A bare Query name stands for its default site, unless `name@site` already covers it.
    for (base, entry) in bare {
        let taken = views
            .iter()
            .any(|v| v.name == base && v.sites.iter().any(|s| s.site == entry.site));
        if !taken {
            add_site(&mut views, base, entry);
        }
    }
    for v in &mut views {
        if let Some(first) = v.sites.iter().min_by(|a, b| {
            let key = |s: &SiteLc| (s.created.len(), s.created.clone(), s.stored.clone());
            key(a).cmp(&key(b))
        }) {
            v.id = lc_id(&first.arn);
        }
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

pub(super) fn add_site(views: &mut Vec<LcView>, base: String, entry: SiteLc) {
    match views.iter_mut().find(|v| v.name == base) {
        Some(v) => v.sites.push(entry),
        None => views.push(LcView {
            id: String::new(),
            name: base,
            sites: vec![entry],
            contextualization_method: json!("None"),
            user_data: Value::Null,
        }),
    }
}

pub(super) fn lc_require(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    id: &str,
) -> Result<LcView, ApiError> {
    lc_views(ctx, tx)?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| not_found(format!("Launch configuration {} not found", shorten(id))))
}

/// A member of a site's `cloud_params` (null when absent; never panics like `map[key]`).
pub(super) fn field<'a>(p: &'a Map<String, Value>, name: &str) -> &'a Value {
    p.get(name).unwrap_or(&Value::Null)
}

/// The validated body of a launch configuration POST or PUT.
pub(super) struct LcBody {
    pub(super) name: String,
    pub(super) sites: Vec<(String, Map<String, Value>)>,
    pub(super) contextualization_method: Option<Value>,
    pub(super) user_data: Option<Value>,
}

pub(super) fn acceptable_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_. ".contains(c))
}

pub(super) fn lc_body(ctx: &Ctx<'_>, req: &Request<'_>) -> Result<LcBody, ApiError> {
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
pub(super) fn create_site_lc(
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
    ops::call(
        ctx,
        tx,
        CreateLaunchConfigurationInput {
            launch_configuration_name: stored.clone(),
            image_id: field(p, "image_id").as_str().map(str::to_string),
            instance_type: field(p, "instance_type").as_str().map(str::to_string),
            user_data,
            ..Default::default()
        },
    )?;
    write_rest_params(ctx, tx, body, &stored, p)
}

pub(super) fn write_rest_params(
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

pub(super) fn delete_site_lc(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    stored: &str,
) -> Result<(), ApiError> {
    ops::call(
        ctx,
        tx,
        DeleteLaunchConfigurationInput {
            launch_configuration_name: stored.to_string(),
        },
    )?;
    // Its `rest_cloud_params` row goes with it (a trigger of the store's schema).
    Ok(())
}

pub(super) fn lc_create(ctx: &Ctx<'_>, tx: &Transaction<'_>, req: &Request<'_>) -> Reply {
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
    let view = lc_views(ctx, tx)?
        .into_iter()
        .find(|v| v.name == body.name)
        .ok_or_else(|| {
            not_found(format!(
                "Launch configuration {} not found",
                shorten(&body.name)
            ))
        })?;
    Ok(Outcome::Created(view.json(&req.user.name)))
}

pub(super) fn lc_update(ctx: &Ctx<'_>, tx: &Transaction<'_>, req: &Request<'_>, id: &str) -> Reply {
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

pub(super) fn lc_delete(ctx: &Ctx<'_>, tx: &Transaction<'_>, id: &str) -> Reply {
    let current = lc_require(ctx, tx, id)?;
    for s in &current.sites {
        delete_site_lc(ctx, tx, &s.stored)?;
    }
    Ok(Outcome::Deleted)
}
