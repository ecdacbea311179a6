//! CreateOrUpdateTags, DeleteTags, DescribeTags: key/value tags on groups.
//!
//! Tags belong to a group (`ResourceType` `auto-scaling-group`, `ResourceId` the group's name); a
//! tag naming a group that does not exist is a `ValidationError`. `PHANTOM_DEFINITION` values are
//! checked against Phantom's policy names, as at group creation. Under the Phantom dialect the
//! tags are the domain's policy: checked as a whole and applied at once (`reconfigure`).

use rusqlite::{Transaction, params};

use crate::autoscaling::NoOutput;
use crate::autoscaling::types::{
    CreateOrUpdateTagsInput, DeleteTagsInput, DescribeTagsInput, DescribeTagsOutput, Tag,
    TagDescription,
};
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::{Ctx, Handle};
use crate::server::paginate::PageRequest;
use crate::server::phantom;
use crate::server::rows::groups;
use crate::server::rows::tags::{check_tags, put_tag};
use crate::server::store::Cached;

fn group_of(ctx: &Ctx<'_>, tx: &Transaction<'_>, tag: &Tag) -> Result<String, ApiError> {
    let name = tag.resource_id.clone().unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::missing_parameter("ResourceId"));
    }
    groups::require(tx, ctx.owner, &name)?;
    Ok(name)
}

/// `CreateOrUpdateTags`.
impl Handle for CreateOrUpdateTagsInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let input = self;
        if !ctx.settings.phantom() {
            check_tags(&input.tags)?;
        }
        let mut touched: Vec<String> = Vec::new();
        for tag in &input.tags {
            let group = group_of(ctx, tx, tag)?;
            put_tag(tx, ctx.owner, &group, tag)?;
            if !touched.contains(&group) {
                touched.push(group);
            }
        }
        if ctx.settings.phantom() {
            for group in &touched {
                reconfigure(ctx, tx, group)?;
            }
        }
        Ok(NoOutput {})
    }
}

/// Phantom: a domain's tags are its policy. The whole set, as written, is checked (an unknown
/// definition or key refuses the call, which then changes nothing), `minimum_vms` becomes the
/// preserved size, and the instances are placed again by the new policy.
fn reconfigure(ctx: &Ctx<'_>, tx: &Transaction<'_>, name: &str) -> Result<(), ApiError> {
    let policy = phantom::policy::of_group(tx, ctx.owner, name)?;
    let mut group = groups::require(tx, ctx.owner, name)?;
    let before = group.desired;
    if let Some(n) = policy.minimum_vms {
        phantom::rules::preserve(tx, ctx.owner, &mut group, n)?;
    }
    // Instances the new sites no longer allow go; the reconcile below replaces them where the
    // policy now places instances.
    let placement = phantom::policy::Placement::new(&policy, &group.site, &ctx.settings.sites);
    let suspended = groups::suspended_names(&group.doc);
    let facts = groups::facts(ctx, &group, &suspended, None);
    for id in placement.excess(tx, ctx.owner, name)? {
        crate::server::lifecycle::terminate(tx, ctx.settings, &facts, &id, ctx.now)?;
    }
    groups::reconcile(
        ctx,
        tx,
        &group,
        &format!(
            "a user request changed the domain's policy changing the desired capacity from \
             {before} to {}",
            group.desired
        ),
    )
}

/// `DeleteTags`.
impl Handle for DeleteTagsInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let input = self;
        for tag in &input.tags {
            let group = group_of(ctx, tx, tag)?;
            let key = tag.key.as_deref().unwrap_or("");
            if key.is_empty() {
                return Err(ApiError::missing_parameter("Key"));
            }
            tx.execute_cached(
                "DELETE FROM tags WHERE owner = ?1 AND group_name = ?2 AND key = ?3",
                params![ctx.owner, group, key],
            )?;
        }
        Ok(NoOutput {})
    }
}

/// `DescribeTags`, with the filters `auto-scaling-group`, `key`, `value`, `propagate-at-launch`.
impl Handle for DescribeTagsInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<DescribeTagsOutput, ApiError> {
        let input = self;
        let page = PageRequest::new(
            "DescribeTags",
            input.max_records,
            input.next_token.as_deref(),
            50,
        )?;
        let filters = input.filters.unwrap_or_default();
        for f in &filters {
            let name = f.name.as_deref().unwrap_or("");
            if !["auto-scaling-group", "key", "value", "propagate-at-launch"].contains(&name) {
                return Err(ApiError::validation(format!(
                    "Filter name '{}' is not valid; use auto-scaling-group, key, value or \
                 propagate-at-launch.",
                    shorten(name)
                )));
            }
        }
        let mut stmt = tx.prepare_cached(
            "SELECT group_name, key, value, propagate FROM tags WHERE owner = ?1 \
         ORDER BY group_name, key",
        )?;
        let rows = stmt.query_map(params![ctx.owner], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?;
        let mut items = Vec::new();
        for row in rows {
            let (group, key, value, propagate) = row?;
            let keep = filters.iter().all(|f| {
                let values = f.values.as_deref().unwrap_or(&[]);
                let (field, any_case) = match f.name.as_deref().unwrap_or("") {
                    "auto-scaling-group" => (group.as_str(), false),
                    "key" => (key.as_str(), false),
                    "value" => (value.as_str(), false),
                    _ => (if propagate { "true" } else { "false" }, true),
                };
                values.iter().any(|v| {
                    if any_case {
                        v.eq_ignore_ascii_case(field)
                    } else {
                        v == field
                    }
                })
            });
            if !keep {
                continue;
            }
            items.push((
                format!("{group}\u{0}{key}"),
                TagDescription {
                    resource_id: Some(group),
                    resource_type: Some("auto-scaling-group".into()),
                    key: Some(key),
                    value: Some(value),
                    propagate_at_launch: Some(propagate),
                },
            ));
        }
        let (tags, next_token) = page.take(items);
        Ok(DescribeTagsOutput {
            tags: Some(tags),
            next_token,
        })
    }
}
