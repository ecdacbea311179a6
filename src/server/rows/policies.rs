//! Scaling policy rows: the JSON of the API's `ScalingPolicy` shape by owner, group and name, with
//! its ARN beside it (a policy is named by either), and the group's cooldown clock: when its last
//! scaling activity ends.

use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::types::ScalingPolicy;
use crate::server::fault::{ApiError, shorten};
use crate::server::store::Cached;

/// A stored policy.
pub struct PolicyRow {
    /// Its group's name.
    pub group: String,
    /// Its name.
    pub name: String,
    /// The shape as Describe shows it.
    pub doc: ScalingPolicy,
}

/// What a row reads back as.
fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

fn row((group, name, doc): (String, String, String)) -> Result<PolicyRow, ApiError> {
    Ok(PolicyRow {
        group,
        name,
        doc: serde_json::from_str(&doc)?,
    })
}

/// The error for a policy that does not exist (AWS's wording is not documented; this names what
/// was asked for).
pub fn not_found(name: &str) -> ApiError {
    ApiError::validation(format!("No scaling policy found for {}", shorten(name)))
}

/// The policy `name_or_arn` names: an ARN alone (the group, if given, must be its group), or a
/// name within `group`. A name without a group is `ValidationError`, as AWS answers it.
pub fn find(
    tx: &Transaction<'_>,
    owner: &str,
    group: Option<&str>,
    name_or_arn: &str,
) -> Result<Option<PolicyRow>, ApiError> {
    let found = if name_or_arn.starts_with("arn:") {
        tx.query_row_cached(
            "SELECT group_name, name, doc FROM policies WHERE owner = ?1 AND arn = ?2",
            params![owner, name_or_arn],
            read,
        )
        .optional()?
        .filter(|(g, _, _)| group.is_none_or(|asked| asked == g))
    } else {
        let Some(group) = group else {
            return Err(ApiError::validation(
                "AutoScalingGroupName is required when PolicyName is not an ARN.",
            ));
        };
        tx.query_row_cached(
            "SELECT group_name, name, doc FROM policies WHERE owner = ?1 AND group_name = ?2 \
             AND name = ?3",
            params![owner, group, name_or_arn],
            read,
        )
        .optional()?
    };
    found.map(row).transpose()
}

/// Writes (inserts or replaces) a policy of `group`.
pub fn put(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
    doc: &ScalingPolicy,
) -> Result<(), ApiError> {
    tx.execute_cached(
        "INSERT INTO policies (owner, group_name, name, arn, policy_type, doc) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (owner, group_name, name) DO UPDATE SET \
         arn = excluded.arn, policy_type = excluded.policy_type, doc = excluded.doc",
        params![
            owner,
            group,
            doc.policy_name.as_deref().unwrap_or(""),
            doc.policy_arn.as_deref().unwrap_or(""),
            doc.policy_type.as_deref().unwrap_or(""),
            serde_json::to_string(doc)?
        ],
    )?;
    Ok(())
}

/// Deletes one policy.
pub fn delete(tx: &Transaction<'_>, owner: &str, group: &str, name: &str) -> Result<(), ApiError> {
    tx.execute_cached(
        "DELETE FROM policies WHERE owner = ?1 AND group_name = ?2 AND name = ?3",
        params![owner, group, name],
    )?;
    Ok(())
}

/// The owner's policies (of one group, or all), by group and name.
pub fn list(
    tx: &Transaction<'_>,
    owner: &str,
    group: Option<&str>,
) -> Result<Vec<PolicyRow>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT group_name, name, doc FROM policies WHERE owner = ?1 \
         AND (?2 IS NULL OR group_name = ?2) ORDER BY group_name, name",
    )?;
    let rows = stmt
        .query_map(params![owner, group], read)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(row).collect()
}

/// When the group's last scaling activity ends (epoch milliseconds), if it has any: a simple
/// scaling policy's cooldown runs from there.
pub fn last_activity_end(
    tx: &Transaction<'_>,
    owner: &str,
    group: &str,
) -> Result<Option<i64>, ApiError> {
    Ok(tx.query_row_cached(
        "SELECT MAX(end_ms) FROM activities WHERE owner = ?1 AND group_name = ?2",
        params![owner, group],
        |r| r.get(0),
    )?)
}
