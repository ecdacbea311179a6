//! A user's credentials per site (`/credentials/sites`): kept in `rest_site_credentials` and handed
//! back only to their owner, as Phantom did.

use rusqlite::{Transaction, params};
use serde_json::{Value, json};

use crate::rest::endpoint::Outcome;
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::Ctx;
use crate::server::rest_api::sites::unknown_site;
use crate::server::rest_api::{Reply, Request, bad, not_found};

pub(super) struct SiteKeys {
    pub(super) site: String,
    pub(super) access_key: String,
    pub(super) secret_key: String,
    pub(super) key_name: String,
}

impl SiteKeys {
    pub(super) fn json(&self) -> Value {
        json!({
            "id": self.site,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "key_name": self.key_name,
            "uri": format!("/api/dev/credentials/sites/{}", self.site),
        })
    }
}

pub(super) fn site_keys(ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Vec<SiteKeys>, ApiError> {
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
pub(super) fn key_names(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
) -> Result<Vec<(String, String)>, ApiError> {
    Ok(site_keys(ctx, tx)?
        .into_iter()
        .map(|k| (k.site, k.key_name))
        .collect())
}

pub(super) fn credentials_list(ctx: &Ctx<'_>, tx: &Transaction<'_>, req: &Request<'_>) -> Reply {
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

pub(super) fn find_keys(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    site: &str,
) -> Result<Option<SiteKeys>, ApiError> {
    Ok(site_keys(ctx, tx)?.into_iter().find(|k| k.site == site))
}

/// Reads the credentials body; `site` overrides the body's `id` (PUT names it in the path).
pub(super) fn keys_from_body(
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

pub(super) fn write_keys(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    k: &SiteKeys,
) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO rest_site_credentials (owner, site, access_key, secret_key, key_name) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (owner, site) DO UPDATE SET \
         access_key = excluded.access_key, secret_key = excluded.secret_key, \
         key_name = excluded.key_name",
        params![ctx.owner, k.site, k.access_key, k.secret_key, k.key_name],
    )?;
    Ok(())
}

pub(super) fn credentials_create(ctx: &Ctx<'_>, tx: &Transaction<'_>, req: &Request<'_>) -> Reply {
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

pub(super) fn credentials_missing(site: &str) -> ApiError {
    not_found(format!("Credentials for site {} not found", shorten(site)))
}

pub(super) fn credentials_get(ctx: &Ctx<'_>, tx: &Transaction<'_>, site: &str) -> Reply {
    match find_keys(ctx, tx, site)? {
        Some(k) => Ok(Outcome::Ok(k.json())),
        None => Err(credentials_missing(site)),
    }
}

pub(super) fn credentials_update(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    req: &Request<'_>,
    site: &str,
) -> Reply {
    if find_keys(ctx, tx, site)?.is_none() {
        return Err(credentials_missing(site));
    }
    let k = keys_from_body(ctx, req, Some(site))?;
    write_keys(ctx, tx, &k)?;
    Ok(Outcome::Ok(k.json()))
}

pub(super) fn credentials_delete(ctx: &Ctx<'_>, tx: &Transaction<'_>, site: &str) -> Reply {
    let n = tx.execute(
        "DELETE FROM rest_site_credentials WHERE owner = ?1 AND site = ?2",
        params![ctx.owner, site],
    )?;
    if n == 0 {
        return Err(credentials_missing(site));
    }
    Ok(Outcome::Deleted)
}
