//! The REST resources the Query API has nothing for, kept as JSON documents in `rest_objects`:
//! a user's Chef server credentials (`/credentials/chef[/<id>]`, named by the caller's `id`, like
//! site credentials) and image generators (`/imagegenerators[/<id>]`, a random short id made at
//! creation, like a launch configuration's). Both answer as Phantom's web application did: list
//! and show 200, create 201 (an existing one 302 to it), update 200, delete 204, unknown 404, a
//! body without a required member 400. Chef keys are handed back to their owner only, as site
//! credentials are.

use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::{Map, Value, json};

use crate::rest::endpoint::Outcome;
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::Ctx;
use crate::server::rest_api::sites::unknown_site;
use crate::server::rest_api::{Reply, Request, bad, not_found};

/// One kind of document resource.
pub(super) struct Kind {
    /// The stored kind and the path under `/api/dev`.
    kind: &'static str,
    path: &'static str,
    /// What a missing one is called in a 404.
    what: &'static str,
    /// The members a create or update must give.
    required: &'static [&'static str],
    /// Further members kept when given.
    optional: &'static [&'static str],
    /// Whether the caller names it (`id` in the body), else a random id is made.
    named: bool,
}

/// `/credentials/chef`.
pub(super) const CHEF: Kind = Kind {
    kind: "chef",
    path: "credentials/chef",
    what: "Chef credentials",
    required: &[
        "id",
        "server_url",
        "client_name",
        "client_key",
        "validator_key",
    ],
    optional: &["validation_client_name"],
    named: true,
};

/// `/imagegenerators`.
pub(super) const IMAGE_GENERATORS: Kind = Kind {
    kind: "imagegenerator",
    path: "imagegenerators",
    what: "Image generator",
    required: &["name", "cloud_params"],
    optional: &["script"],
    named: false,
};

fn load(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    kind: &Kind,
    id: &str,
) -> Result<Option<Value>, ApiError> {
    let doc: Option<String> = tx
        .query_row(
            "SELECT doc FROM rest_objects WHERE owner = ?1 AND kind = ?2 AND id = ?3",
            params![ctx.owner, kind.kind, id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match doc {
        Some(d) => Some(serde_json::from_str(&d)?),
        None => None,
    })
}

fn all(ctx: &Ctx<'_>, tx: &Transaction<'_>, kind: &Kind) -> Result<Vec<Value>, ApiError> {
    let mut stmt =
        tx.prepare("SELECT doc FROM rest_objects WHERE owner = ?1 AND kind = ?2 ORDER BY id")?;
    let docs: Vec<String> = stmt
        .query_map(params![ctx.owner, kind.kind], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    docs.iter()
        .map(|d| serde_json::from_str(d).map_err(ApiError::from))
        .collect()
}

fn missing(kind: &Kind, id: &str) -> ApiError {
    not_found(format!("{} {} not found", kind.what, shorten(id)))
}

/// The document a body gives (its required and optional members), checked; `id` is the
/// resource's id.
fn document(ctx: &Ctx<'_>, kind: &Kind, req: &Request<'_>, id: &str) -> Result<Value, ApiError> {
    let mut doc = Map::new();
    for name in kind.required {
        let value = match *name {
            "id" => Some(Value::String(id.to_string())),
            _ => req.member(name).cloned(),
        };
        let Some(value) = value else {
            return Err(bad(format!(
                "Bad request. Do not have all required parameters ({:?})",
                kind.required
            )));
        };
        doc.insert(name.to_string(), value);
    }
    for name in kind.optional {
        if let Some(v) = req.member(name) {
            doc.insert(name.to_string(), v.clone());
        }
    }
    if let Some(params) = doc.get("cloud_params") {
        check_cloud_params(ctx, params)?;
    }
    doc.insert("id".into(), json!(id));
    doc.insert("owner".into(), json!(req.user.name));
    doc.insert("uri".into(), json!(format!("/api/dev/{}/{id}", kind.path)));
    Ok(Value::Object(doc))
}

/// An image generator's `cloud_params`: known sites, each with `image_id`, `instance_type` and
/// `ssh_username`.
fn check_cloud_params(ctx: &Ctx<'_>, params: &Value) -> Result<(), ApiError> {
    let Some(sites) = params.as_object().filter(|m| !m.is_empty()) else {
        return Err(bad("cloud_params must be an object of sites"));
    };
    for (site, p) in sites {
        if !ctx.settings.sites.contains(site) {
            return Err(unknown_site(site, &ctx.settings.sites));
        }
        for field in ["image_id", "instance_type", "ssh_username"] {
            if p.get(field).is_none_or(Value::is_null) {
                return Err(bad(format!(
                    "cloud_params for {} lacks {field}",
                    shorten(site)
                )));
            }
        }
    }
    Ok(())
}

fn write(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    kind: &Kind,
    id: &str,
    doc: &Value,
) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO rest_objects (owner, kind, id, doc) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (owner, kind, id) DO UPDATE SET doc = excluded.doc",
        params![ctx.owner, kind.kind, id, doc.to_string()],
    )?;
    Ok(())
}

/// `GET /<path>`.
pub(super) fn list(ctx: &Ctx<'_>, tx: &Transaction<'_>, kind: &Kind) -> Reply {
    Ok(Outcome::Ok(Value::Array(all(ctx, tx, kind)?)))
}

/// `GET /<path>/<id>`.
pub(super) fn show(ctx: &Ctx<'_>, tx: &Transaction<'_>, kind: &Kind, id: &str) -> Reply {
    load(ctx, tx, kind, id)?
        .map(Outcome::Ok)
        .ok_or_else(|| missing(kind, id))
}

/// `POST /<path>`: 201 with the new document; one that exists (the same `id`, or for a kind with
/// made ids the same `name`) is a 302 to it.
pub(super) fn create(ctx: &Ctx<'_>, tx: &Transaction<'_>, kind: &Kind, req: &Request<'_>) -> Reply {
    let id = if kind.named {
        match req.member("id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => {
                return Err(bad(format!(
                    "Bad request. Do not have all required parameters ({:?})",
                    kind.required
                )));
            }
        }
    } else {
        const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        crate::server::keys::random_chars(BASE62, 8)
            .map_err(|e| ApiError::internal(e.to_string()))?
    };
    let existing = if kind.named {
        load(ctx, tx, kind, &id)?
    } else {
        let name = req.member("name");
        all(ctx, tx, kind)?
            .into_iter()
            .find(|d| name.is_some() && d.get("name") == name)
    };
    if let Some(d) = existing {
        let id = d.get("id").and_then(Value::as_str).unwrap_or_default();
        return Ok(Outcome::Exists(format!("/{}/{id}", kind.path)));
    }
    let doc = document(ctx, kind, req, &id)?;
    write(ctx, tx, kind, &id, &doc)?;
    Ok(Outcome::Created(doc))
}

/// `PUT /<path>/<id>`: the whole document again.
pub(super) fn update(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    kind: &Kind,
    req: &Request<'_>,
    id: &str,
) -> Reply {
    if load(ctx, tx, kind, id)?.is_none() {
        return Err(missing(kind, id));
    }
    let doc = document(ctx, kind, req, id)?;
    write(ctx, tx, kind, id, &doc)?;
    Ok(Outcome::Ok(doc))
}

/// `DELETE /<path>/<id>`: 204.
pub(super) fn delete(ctx: &Ctx<'_>, tx: &Transaction<'_>, kind: &Kind, id: &str) -> Reply {
    let n = tx.execute(
        "DELETE FROM rest_objects WHERE owner = ?1 AND kind = ?2 AND id = ?3",
        params![ctx.owner, kind.kind, id],
    )?;
    if n == 0 {
        return Err(missing(kind, id));
    }
    Ok(Outcome::Deleted)
}
