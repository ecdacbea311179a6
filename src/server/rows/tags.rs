//! Tag rows: a group's key/value tags, and the rules every writer of tags shares (the resource
//! type, Phantom's `PHANTOM_DEFINITION` values).

use rusqlite::{Transaction, params};

use crate::autoscaling::types::{Tag, TagDescription};
use crate::server::fault::{ApiError, shorten};
use crate::server::store::Cached;

/// The Phantom policies a `PHANTOM_DEFINITION` tag may name.
pub const PHANTOM_DEFINITIONS: &[&str] = &[
    "single_site_n_preserving",
    "multi_site_n_preserving",
    "error_overflow_n_preserving",
    "sensor_engine",
    "test",
];

/// Checks tag resource types and `PHANTOM_DEFINITION` values (lengths and characters are the
/// model's, checked before any handler runs).
pub fn check_tags(tags: &[Tag]) -> Result<(), ApiError> {
    for tag in tags {
        let key = tag.key.as_deref().unwrap_or("");
        if tag
            .resource_type
            .as_deref()
            .is_some_and(|t| !t.is_empty() && t != "auto-scaling-group")
        {
            return Err(ApiError::validation(
                "ResourceType must be auto-scaling-group.",
            ));
        }
        if key == "PHANTOM_DEFINITION" {
            let value = tag.value.as_deref().unwrap_or("");
            if !PHANTOM_DEFINITIONS.contains(&value) {
                return Err(ApiError::validation(format!(
                    "Unknown PHANTOM_DEFINITION '{}'; known: {}",
                    shorten(value),
                    PHANTOM_DEFINITIONS.join(", ")
                )));
            }
        }
    }
    Ok(())
}

/// Writes (inserts or replaces) one tag of a group.
pub fn put_tag(tx: &Transaction<'_>, owner: &str, group: &str, tag: &Tag) -> Result<(), ApiError> {
    tx.execute_cached(
        "INSERT INTO tags (owner, group_name, key, value, propagate) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (owner, group_name, key) DO UPDATE SET value = excluded.value, \
         propagate = excluded.propagate",
        params![
            owner,
            group,
            tag.key.as_deref().unwrap_or(""),
            tag.value.as_deref().unwrap_or(""),
            tag.propagate_at_launch.unwrap_or(false)
        ],
    )?;
    Ok(())
}

/// The tags of one group, by key.
pub fn group_tags(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
) -> Result<Vec<TagDescription>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT key, value, propagate FROM tags WHERE owner = ?1 AND group_name = ?2 ORDER BY key",
    )?;
    let rows = stmt.query_map(params![owner, group], |r| {
        Ok(TagDescription {
            resource_id: Some(group.to_string()),
            resource_type: Some("auto-scaling-group".to_string()),
            key: Some(r.get(0)?),
            value: Some(r.get(1)?),
            propagate_at_launch: Some(r.get(2)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
