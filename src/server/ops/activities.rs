//! DescribeScalingActivities: the record of launches and terminations, newest first.
//!
//! Activities are written by the lifecycle as capacity changes; their status (`InProgress` until
//! the instance is in service or gone, then `Successful`) is evaluated at the request's time.
//! Deleting a group deletes its activities. `MaxRecords` defaults to 100 here, as in AWS.

use rusqlite::{Transaction, params};
use serde_json::Value;

use crate::autoscaling::types::{DescribeScalingActivitiesInput, DescribeScalingActivitiesOutput};
use crate::server::fault::ApiError;
use crate::server::lifecycle::activity_shape;
use crate::server::ops::{Ctx, encode, parse};
use crate::server::paginate::{PageRequest, check_names};

/// `DescribeScalingActivities`.
pub fn describe(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    tree: &Value,
) -> Result<Option<String>, ApiError> {
    let input: DescribeScalingActivitiesInput = parse(tree)?;
    check_names("ActivityIds", input.activity_ids.as_ref())?;
    let page = PageRequest::new(
        "DescribeScalingActivities",
        input.max_records,
        input.next_token.as_deref(),
        100,
    )?;
    let wanted = input.activity_ids.filter(|n| !n.is_empty());
    let group = input.auto_scaling_group_name.filter(|g| !g.is_empty());
    let mut stmt = tx.prepare_cached(
        "SELECT a.seq, a.id, a.group_name, a.description, a.cause, a.details, a.start_ms, \
         a.end_ms, g.doc FROM activities a LEFT JOIN groups g \
         ON g.owner = a.owner AND g.name = a.group_name \
         WHERE a.owner = ?1 AND (?2 IS NULL OR a.group_name = ?2) ORDER BY a.seq DESC",
    )?;
    let rows = stmt.query_map(params![ctx.owner, group], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, i64>(6)?,
            r.get::<_, i64>(7)?,
            r.get::<_, Option<String>>(8)?,
        ))
    })?;
    let mut items = Vec::new();
    for row in rows {
        let (seq, id, group_name, description, cause, details, start, end, doc) = row?;
        if wanted.as_ref().is_some_and(|w| !w.contains(&id)) {
            continue;
        }
        let arn = doc
            .and_then(|d| serde_json::from_str::<Value>(&d).ok())
            .and_then(|v| v.get("AutoScalingGroupARN")?.as_str().map(String::from));
        // Newest first: the key falls as the sequence number rises.
        let key = format!("{:020}", i64::MAX - seq);
        items.push((
            key,
            activity_shape(
                ctx.now,
                id,
                group_name,
                arn,
                description,
                cause,
                details,
                start,
                end,
            ),
        ));
    }
    let (activities, next_token) = page.take(items);
    encode(&DescribeScalingActivitiesOutput {
        activities: Some(activities),
        next_token,
    })
}
