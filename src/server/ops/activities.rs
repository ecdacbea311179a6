//! DescribeScalingActivities: the record of launches and terminations, newest first.
//!
//! Activities are written by the lifecycle as capacity changes; their status (`InProgress` until
//! the instance is in service or gone, then `Successful`) is evaluated at the request's time.
//! Deleting a group deletes its activities. `MaxRecords` defaults to 100 here, as in AWS.
//!
//! Only the page asked for is read: rows newer-first by sequence number after the token's key,
//! `LIMIT` one more than the page (to tell whether another follows), or, with `ActivityIds`, only
//! those ids (at most 50) through their unique index. A group keeps six weeks of activities, at
//! most [`crate::server::lifecycle::MAX_ACTIVITIES_PER_GROUP`]; older ones are not shown even
//! before the next write prunes them.

use std::collections::HashMap;

use rusqlite::{Row, Transaction, params};
use serde_json::Value;

use crate::autoscaling::types::{DescribeScalingActivitiesInput, DescribeScalingActivitiesOutput};
use crate::server::fault::ApiError;
use crate::server::lifecycle::{ACTIVITY_RETENTION_MS, activity_shape};
use crate::server::ops::{Ctx, Handle};
use crate::server::paginate::{PageRequest, check_names, invalid_token};

/// One stored activity row.
struct Stored {
    seq: i64,
    id: String,
    group_name: String,
    description: String,
    cause: String,
    details: String,
    start: i64,
    end: i64,
}

const COLUMNS: &str = "seq, id, group_name, description, cause, details, start_ms, end_ms";

fn stored(r: &Row<'_>) -> rusqlite::Result<Stored> {
    Ok(Stored {
        seq: r.get(0)?,
        id: r.get(1)?,
        group_name: r.get(2)?,
        description: r.get(3)?,
        cause: r.get(4)?,
        details: r.get(5)?,
        start: r.get(6)?,
        end: r.get(7)?,
    })
}

/// The page key of a row: it falls as the sequence number rises (newest first).
fn key_of(seq: i64) -> String {
    format!("{:020}", i64::MAX - seq)
}

/// The sequence number a page key stands for.
fn seq_of(key: &str) -> Result<i64, ApiError> {
    let n: i64 = key.parse().map_err(|_| invalid_token())?;
    if n < 0 || key.len() != 20 {
        return Err(invalid_token());
    }
    Ok(i64::MAX - n)
}

/// `DescribeScalingActivities`.
impl Handle for DescribeScalingActivitiesInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeScalingActivitiesOutput, ApiError> {
        let input = self;
        check_names("ActivityIds", input.activity_ids.as_ref())?;
        let page = PageRequest::new(
            "DescribeScalingActivities",
            input.max_records,
            input.next_token.as_deref(),
            100,
        )?;
        let before = match page.after() {
            Some(key) => seq_of(key)?,
            None => i64::MAX,
        };
        let wanted = input.activity_ids.filter(|n| !n.is_empty());
        let group = input.auto_scaling_group_name.filter(|g| !g.is_empty());
        let oldest = ctx.now.saturating_sub(ACTIVITY_RETENTION_MS);
        let rows: Vec<Stored> = match &wanted {
            Some(ids) => {
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM activities WHERE id = ?1 AND owner = ?2 \
                 AND (?3 IS NULL OR group_name = ?3) AND seq < ?4 AND start_ms >= ?5"
                ))?;
                let mut found = Vec::new();
                for id in ids {
                    let mut rows =
                        stmt.query_map(params![id, ctx.owner, group, before, oldest], stored)?;
                    if let Some(row) = rows.next() {
                        found.push(row?);
                    }
                }
                found.sort_by_key(|r| std::cmp::Reverse(r.seq));
                found.dedup_by_key(|r| r.seq);
                found.truncate(page.max().saturating_add(1));
                found
            }
            None => {
                let limit = i64::try_from(page.max().saturating_add(1)).unwrap_or(i64::MAX);
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM activities WHERE owner = ?1 \
                 AND (?2 IS NULL OR group_name = ?2) AND seq < ?3 AND start_ms >= ?4 \
                 ORDER BY seq DESC LIMIT ?5"
                ))?;
                stmt.query_map(params![ctx.owner, group, before, oldest, limit], stored)?
                    .collect::<Result<_, _>>()?
            }
        };
        // The ARN of each group named on this page, read once per group.
        let mut arns: HashMap<String, Option<String>> = HashMap::new();
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            if !arns.contains_key(&row.group_name) {
                let doc: Option<String> = tx
                    .prepare_cached("SELECT doc FROM groups WHERE owner = ?1 AND name = ?2")?
                    .query_map(params![ctx.owner, row.group_name], |r| r.get(0))?
                    .next()
                    .transpose()?;
                let arn = doc
                    .and_then(|d| serde_json::from_str::<Value>(&d).ok())
                    .and_then(|v| v.get("AutoScalingGroupARN")?.as_str().map(String::from));
                arns.insert(row.group_name.clone(), arn);
            }
            let arn = arns.get(&row.group_name).cloned().flatten();
            items.push((
                key_of(row.seq),
                activity_shape(
                    ctx.now,
                    row.id,
                    row.group_name,
                    arn,
                    row.description,
                    row.cause,
                    row.details,
                    row.start,
                    row.end,
                ),
            ));
        }
        let (activities, next_token) = page.take(items);
        Ok(DescribeScalingActivitiesOutput {
            activities: Some(activities),
            next_token,
        })
    }
}
