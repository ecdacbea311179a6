//! CreateAutoScalingGroup, UpdateAutoScalingGroup, DeleteAutoScalingGroup,
//! DescribeAutoScalingGroups, SetDesiredCapacity: groups and their capacity.
//!
//! A group row keeps its sizes and launch configuration in columns (what the rules and the
//! lifecycle need) and its other attributes as the JSON of the API's `AutoScalingGroup` shape.
//! Describe assembles the shape from both, plus the instances (states evaluated at the request's
//! time) and the tags. Rules: a duplicate is `AlreadyExists`; a missing group or launch
//! configuration, sizes out of order, or a desired capacity outside [MinSize, MaxSize] is
//! `ValidationError`; deleting a group that still has instances needs `ForceDelete`, else
//! `ResourceInUse`. Every capacity change reconciles instances in the same transaction.

use crate::query::xml::Node;
use crate::server::store::Cached;
use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::types::{
    AutoScalingGroup, CreateAutoScalingGroupInput, DeleteAutoScalingGroupInput,
    DescribeAutoScalingGroupsInput, DescribeAutoScalingGroupsOutput, Filter, Instance,
    SetDesiredCapacityInput, Tag, TagDescription, UpdateAutoScalingGroupInput,
};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::{self, GroupFacts, timestamp};
use crate::server::ops::launch_configurations::{self, not_found as lc_not_found};
use crate::server::ops::{Ctx, arn, encode, parse};
use crate::server::paginate::{PageRequest, check_names};
use crate::server::sites;

/// The Phantom policies a `PHANTOM_DEFINITION` tag may name.
pub const PHANTOM_DEFINITIONS: &[&str] = &[
    "single_site_n_preserving",
    "multi_site_n_preserving",
    "error_overflow_n_preserving",
    "sensor_engine",
    "test",
];

/// The most instances one group may hold: a guard against a request that would make the endpoint
/// launch millions of rows in one transaction (AWS has per-account limits of the same kind).
pub const MAX_DESIRED_CAPACITY: i64 = 1000;

/// Refuses a desired capacity above [`MAX_DESIRED_CAPACITY`] with `LimitExceeded`.
fn check_limit(desired: i64) -> Result<(), ApiError> {
    if desired > MAX_DESIRED_CAPACITY {
        return Err(ApiError::limit_exceeded(format!(
            "Desired capacity {desired} exceeds this endpoint's limit of \
             {MAX_DESIRED_CAPACITY} instances per group."
        )));
    }
    Ok(())
}

/// AWS's refusal of a group that names no launch source, or more than one.
const ONE_SOURCE: &str = "Valid requests must contain either LaunchTemplate, \
                          LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.";

/// A stored group.
pub struct GroupRow {
    /// The group's name.
    pub name: String,
    /// The launch configuration name as the caller gave it (`x` or `x@hotel`).
    pub lc_given: String,
    /// The stored launch configuration it resolved to.
    pub lc_ref: String,
    /// The zone new instances go to.
    pub site: String,
    /// MinSize.
    pub min: i64,
    /// MaxSize.
    pub max: i64,
    /// DesiredCapacity.
    pub desired: i64,
    /// The remaining attributes.
    pub doc: AutoScalingGroup,
}

/// Loads a group.
pub fn load(tx: &Transaction<'_>, owner: &str, name: &str) -> Result<Option<GroupRow>, ApiError> {
    let row = tx
        .query_row_cached(
            "SELECT name, lc_given, lc_ref, site, min_size, max_size, desired, doc FROM groups \
             WHERE owner = ?1 AND name = ?2",
            params![owner, name],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((name, lc_given, lc_ref, site, min, max, desired, doc)) = row else {
        return Ok(None);
    };
    Ok(Some(GroupRow {
        name,
        lc_given,
        lc_ref,
        site,
        min,
        max,
        desired,
        doc: serde_json::from_str(&doc)?,
    }))
}

/// The error for a group that does not exist.
pub fn not_found(name: &str) -> ApiError {
    ApiError::validation(format!(
        "AutoScalingGroup name not found - AutoScalingGroup {} not found",
        shorten(name)
    ))
}

/// Loads a group or fails with `ValidationError`.
pub fn require(tx: &Transaction<'_>, owner: &str, name: &str) -> Result<GroupRow, ApiError> {
    load(tx, owner, name)?.ok_or_else(|| not_found(name))
}

/// Reconciles a group's instances with its desired capacity.
pub fn reconcile(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    reason: &str,
) -> Result<(), ApiError> {
    let lc = launch_configurations::load(tx, ctx.owner, &group.lc_ref)?
        .ok_or_else(|| lc_not_found(&group.lc_ref))?;
    let arn = group.doc.auto_scaling_group_arn.clone().unwrap_or_default();
    let facts = GroupFacts {
        owner: ctx.owner,
        name: &group.name,
        arn: &arn,
        lc_name: &group.lc_ref,
        instance_type: lc.instance_type.as_deref().unwrap_or("m1.small"),
        image_id: lc.image_id.as_deref().unwrap_or(""),
        zone: &group.site,
        desired: group.desired,
        protect: group
            .doc
            .new_instances_protected_from_scale_in
            .unwrap_or(false),
    };
    lifecycle::reconcile(tx, &ctx.settings.timing, &facts, ctx.now, reason)
}

/// Finds the stored launch configuration a group's reference names (`x` or `x@site`).
fn resolve_lc(ctx: &Ctx<'_>, tx: &Transaction<'_>, given: &str) -> Result<String, ApiError> {
    sites::check(given, &ctx.settings.sites)?;
    for candidate in sites::candidates(given, &ctx.settings.sites) {
        if launch_configurations::load(tx, ctx.owner, &candidate)?.is_some() {
            return Ok(candidate);
        }
    }
    Err(lc_not_found(given))
}

fn check_sizes(min: i64, max: i64, desired: i64) -> Result<(), ApiError> {
    if min < 0 || max < 0 {
        return Err(ApiError::validation(
            "MinSize and MaxSize must be zero or more.",
        ));
    }
    if min > max {
        return Err(ApiError::validation(format!(
            "The minimum size ({min}) must not exceed the maximum size ({max})."
        )));
    }
    if desired < min {
        return Err(ApiError::validation(format!(
            "Desired capacity:{desired} must be between the specified min size:{min} and max \
             size:{max}"
        )));
    }
    if desired > max {
        return Err(ApiError::validation(format!(
            "Desired capacity:{desired} must be between the specified min size:{min} and max \
             size:{max}"
        )));
    }
    check_limit(desired)
}

fn check_tags(tags: &[Tag]) -> Result<(), ApiError> {
    for tag in tags {
        // Lengths and characters are the model's (checked before any handler runs).
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

/// Checks tag keys, resource types and `PHANTOM_DEFINITION` values.
pub fn validate_tags(tags: &[Tag]) -> Result<(), ApiError> {
    check_tags(tags)
}

/// `CreateAutoScalingGroup`.
pub fn create(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    tree: &Node<'_>,
) -> Result<Option<String>, ApiError> {
    let input: CreateAutoScalingGroupInput = parse(tree)?;
    let name = input.auto_scaling_group_name;
    let sources = [
        input.launch_configuration_name.is_some(),
        input.launch_template.is_some(),
        input.mixed_instances_policy.is_some(),
        input.instance_id.is_some(),
    ];
    if sources.iter().filter(|&&given| given).count() != 1 {
        return Err(ApiError::validation(ONE_SOURCE));
    }
    let Some(given) = input.launch_configuration_name else {
        return Err(ApiError::validation(
            "Valid requests must contain the LaunchConfigurationName parameter: this endpoint \
             supports launch configurations only.",
        ));
    };
    let tags = input.tags.unwrap_or_default();
    check_tags(&tags)?;
    let (min, max) = (i64::from(input.min_size), i64::from(input.max_size));
    let desired = input.desired_capacity.map(i64::from).unwrap_or(min);
    check_sizes(min, max, desired)?;
    if load(tx, ctx.owner, &name)?.is_some() {
        return Err(ApiError::already_exists(format!(
            "AutoScalingGroup by this name already exists - A group with the name {} already \
             exists",
            shorten(&name)
        )));
    }
    let lc_ref = resolve_lc(ctx, tx, &given)?;
    let zones: Vec<String> = input
        .availability_zones
        .unwrap_or_default()
        .into_iter()
        .filter(|z| !z.is_empty())
        .collect();
    let site = sites::zone_for(&lc_ref, &zones, &ctx.settings.sites);
    let doc = AutoScalingGroup {
        auto_scaling_group_name: Some(name.clone()),
        auto_scaling_group_arn: Some(arn(
            ctx.settings,
            "autoScalingGroup",
            "autoScalingGroupName",
            &name,
        )),
        default_cooldown: Some(input.default_cooldown.unwrap_or(300)),
        availability_zones: Some(if zones.is_empty() {
            vec![site.clone()]
        } else {
            zones
        }),
        load_balancer_names: Some(input.load_balancer_names.unwrap_or_default()),
        target_group_arns: Some(input.target_group_arns.unwrap_or_default()),
        health_check_type: Some(input.health_check_type.unwrap_or_else(|| "EC2".into())),
        health_check_grace_period: Some(input.health_check_grace_period.unwrap_or(0)),
        created_time: Some(timestamp(ctx.now)),
        suspended_processes: Some(Vec::new()),
        placement_group: input.placement_group,
        vpc_zone_identifier: input.vpc_zone_identifier,
        enabled_metrics: Some(Vec::new()),
        termination_policies: Some(
            input
                .termination_policies
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| vec!["Default".into()]),
        ),
        new_instances_protected_from_scale_in: Some(
            input.new_instances_protected_from_scale_in.unwrap_or(false),
        ),
        capacity_rebalance: Some(input.capacity_rebalance.unwrap_or(false)),
        service_linked_role_arn: input.service_linked_role_arn,
        ..Default::default()
    };
    tx.execute_cached(
        "INSERT INTO groups (owner, name, lc_given, lc_ref, site, min_size, max_size, desired, \
         doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            ctx.owner,
            name,
            given,
            lc_ref,
            site,
            min,
            max,
            desired,
            serde_json::to_string(&doc)?
        ],
    )?;
    for tag in &tags {
        put_tag(tx, ctx.owner, &name, tag)?;
    }
    let group = require(tx, ctx.owner, &name)?;
    reconcile(
        ctx,
        tx,
        &group,
        &format!(
            "a user request created an AutoScalingGroup changing the desired capacity from 0 to \
             {desired}"
        ),
    )?;
    Ok(None)
}

/// `UpdateAutoScalingGroup`.
pub fn update(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    tree: &Node<'_>,
) -> Result<Option<String>, ApiError> {
    let input: UpdateAutoScalingGroupInput = parse(tree)?;
    let sources = [
        input.launch_configuration_name.is_some(),
        input.launch_template.is_some(),
        input.mixed_instances_policy.is_some(),
    ];
    if sources.iter().filter(|&&given| given).count() > 1 {
        return Err(ApiError::validation(ONE_SOURCE));
    }
    // AWS's own words for this case (the group's name is not in them).
    let mut group = load(tx, ctx.owner, &input.auto_scaling_group_name)?
        .ok_or_else(|| ApiError::validation("AutoScalingGroup name not found - null"))?;
    let min = input.min_size.map(i64::from).unwrap_or(group.min);
    let max = input.max_size.map(i64::from).unwrap_or(group.max);
    let desired = match input.desired_capacity {
        Some(d) => i64::from(d),
        None => group.desired.clamp(min.min(max), max),
    };
    check_sizes(min, max, desired)?;
    if let Some(given) = input.launch_configuration_name {
        let lc_ref = resolve_lc(ctx, tx, &given)?;
        let zones = group.doc.availability_zones.clone().unwrap_or_default();
        group.site = sites::zone_for(&lc_ref, &zones, &ctx.settings.sites);
        group.lc_given = given;
        group.lc_ref = lc_ref;
    }
    let doc = &mut group.doc;
    if let Some(zones) = input.availability_zones.filter(|z| !z.is_empty()) {
        doc.availability_zones = Some(zones);
    }
    if let Some(v) = input.default_cooldown {
        doc.default_cooldown = Some(v);
    }
    if let Some(v) = input.health_check_type {
        doc.health_check_type = Some(v);
    }
    if let Some(v) = input.health_check_grace_period {
        doc.health_check_grace_period = Some(v);
    }
    if let Some(v) = input.termination_policies.filter(|p| !p.is_empty()) {
        doc.termination_policies = Some(v);
    }
    if let Some(v) = input.new_instances_protected_from_scale_in {
        doc.new_instances_protected_from_scale_in = Some(v);
    }
    let before = group.desired;
    group.min = min;
    group.max = max;
    group.desired = desired;
    tx.execute_cached(
        "UPDATE groups SET lc_given = ?3, lc_ref = ?4, site = ?5, min_size = ?6, max_size = ?7, \
         desired = ?8, doc = ?9 WHERE owner = ?1 AND name = ?2",
        params![
            ctx.owner,
            group.name,
            group.lc_given,
            group.lc_ref,
            group.site,
            min,
            max,
            desired,
            serde_json::to_string(&group.doc)?
        ],
    )?;
    reconcile(
        ctx,
        tx,
        &group,
        &format!(
            "a user request update of AutoScalingGroup constraints to min: {min}, max: {max}, \
             desired: {desired} changing the desired capacity from {before} to {desired}"
        ),
    )?;
    Ok(None)
}

/// `SetDesiredCapacity`.
pub fn set_desired_capacity(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    tree: &Node<'_>,
) -> Result<Option<String>, ApiError> {
    let input: SetDesiredCapacityInput = parse(tree)?;
    let mut group = require(tx, ctx.owner, &input.auto_scaling_group_name)?;
    let desired = i64::from(input.desired_capacity);
    if desired > group.max {
        return Err(ApiError::validation(format!(
            "New SetDesiredCapacity value {desired} is above max value {} for the \
             AutoScalingGroup.",
            group.max
        )));
    }
    if desired < group.min {
        return Err(ApiError::validation(format!(
            "New SetDesiredCapacity value {desired} is below min value {} for the \
             AutoScalingGroup.",
            group.min
        )));
    }
    check_limit(desired)?;
    let before = group.desired;
    group.desired = desired;
    tx.execute_cached(
        "UPDATE groups SET desired = ?3 WHERE owner = ?1 AND name = ?2",
        params![ctx.owner, group.name, desired],
    )?;
    reconcile(
        ctx,
        tx,
        &group,
        &format!(
            "a user request explicitly set group desired capacity changing the desired capacity \
             from {before} to {desired}"
        ),
    )?;
    Ok(None)
}

/// `DeleteAutoScalingGroup`.
pub fn delete(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    tree: &Node<'_>,
) -> Result<Option<String>, ApiError> {
    let input: DeleteAutoScalingGroupInput = parse(tree)?;
    let group = require(tx, ctx.owner, &input.auto_scaling_group_name)?;
    lifecycle::sweep(tx, ctx.now)?;
    let instances: i64 = tx.query_row_cached(
        "SELECT COUNT(*) FROM instances WHERE owner = ?1 AND group_name = ?2",
        params![ctx.owner, group.name],
        |r| r.get(0),
    )?;
    if instances > 0 && !input.force_delete.unwrap_or(false) {
        return Err(ApiError::in_use(format!(
            "You cannot delete an AutoScalingGroup while there are instances or pending Spot \
             instance requests: {} has {instances} (use ForceDelete to terminate them)",
            shorten(&group.name)
        )));
    }
    for table in ["instances", "tags", "activities", "groups"] {
        let column = if table == "groups" {
            "name"
        } else {
            "group_name"
        };
        tx.execute_cached(
            &format!("DELETE FROM {table} WHERE owner = ?1 AND {column} = ?2"),
            params![ctx.owner, group.name],
        )?;
    }
    Ok(None)
}

/// The group as `DescribeAutoScalingGroups` shows it at the request's time.
pub fn shape(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: GroupRow,
) -> Result<AutoScalingGroup, ApiError> {
    let mut doc = group.doc;
    doc.launch_configuration_name = Some(group.lc_given);
    doc.min_size = Some(clamp_i32(group.min));
    doc.max_size = Some(clamp_i32(group.max));
    doc.desired_capacity = Some(clamp_i32(group.desired));
    let instances = super::instances::live_instances(ctx, tx, Some(&group.name))?
        .into_iter()
        .map(|i| Instance {
            instance_id: Some(i.id),
            instance_type: Some(i.instance_type),
            availability_zone: Some(i.zone),
            lifecycle_state: Some(i.state.to_string()),
            health_status: Some("Healthy".to_string()),
            launch_configuration_name: Some(i.lc),
            image_id: Some(i.image),
            protected_from_scale_in: Some(i.protected),
            ..Default::default()
        })
        .collect();
    doc.instances = Some(instances);
    doc.tags = Some(group_tags(tx, ctx.owner, &group.name)?);
    Ok(doc)
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

fn clamp_i32(v: i64) -> i32 {
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Whether a group's tags pass `DescribeAutoScalingGroups` filters (`tag-key`, `tag-value`,
/// `tag:<key>`); an unknown filter name is a `ValidationError`.
fn passes(filters: &[Filter], tags: &[TagDescription]) -> Result<bool, ApiError> {
    for filter in filters {
        let name = filter.name.as_deref().unwrap_or("");
        let values = filter.values.clone().unwrap_or_default();
        let hit = |pred: &dyn Fn(&TagDescription) -> bool| tags.iter().any(pred);
        let ok = match name {
            "tag-key" => hit(&|t| values.iter().any(|v| t.key.as_deref() == Some(v))),
            "tag-value" => hit(&|t| values.iter().any(|v| t.value.as_deref() == Some(v))),
            other => match other.strip_prefix("tag:") {
                Some(key) => hit(&|t| {
                    t.key.as_deref() == Some(key)
                        && values.iter().any(|v| t.value.as_deref() == Some(v))
                }),
                None => {
                    return Err(ApiError::validation(format!(
                        "Filter name '{}' is not valid; use tag-key, tag-value or tag:<key>.",
                        shorten(other)
                    )));
                }
            },
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `DescribeAutoScalingGroups`.
pub fn describe(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    tree: &Node<'_>,
) -> Result<Option<String>, ApiError> {
    let input: DescribeAutoScalingGroupsInput = parse(tree)?;
    check_names(
        "AutoScalingGroupNames",
        input.auto_scaling_group_names.as_ref(),
    )?;
    let page = PageRequest::new(
        "DescribeAutoScalingGroups",
        input.max_records,
        input.next_token.as_deref(),
        50,
    )?;
    let wanted = input.auto_scaling_group_names.filter(|n| !n.is_empty());
    let filters = input.filters.unwrap_or_default();
    // Only the rows this page can use: the named groups that exist, or (no names, no filters)
    // the page's own slice of the table plus one row to tell whether more follow; a listing of
    // many groups then reads each row once, not the whole table per page.
    let names: Vec<String> = match (&wanted, filters.is_empty()) {
        (Some(wanted), _) => {
            let mut stmt =
                tx.prepare_cached("SELECT 1 FROM groups WHERE owner = ?1 AND name = ?2")?;
            let mut names = Vec::with_capacity(wanted.len());
            for name in wanted {
                if stmt.exists(params![ctx.owner, name])? {
                    names.push(name.clone());
                }
            }
            // Byte order, as SQLite's ORDER BY name gives.
            names.sort();
            names.dedup();
            names
        }
        (None, true) => {
            let mut stmt = tx.prepare_cached(
                "SELECT name FROM groups WHERE owner = ?1 AND name > ?2 ORDER BY name LIMIT ?3",
            )?;
            let limit = i64::try_from(page.max().saturating_add(1)).unwrap_or(i64::MAX);
            let rows = stmt
                .query_map(params![ctx.owner, page.after().unwrap_or(""), limit], |r| {
                    r.get(0)
                })?;
            rows.collect::<Result<_, _>>()?
        }
        (None, false) => {
            let mut stmt =
                tx.prepare_cached("SELECT name FROM groups WHERE owner = ?1 ORDER BY name")?;
            let rows = stmt.query_map(params![ctx.owner], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        }
    };
    let mut items = Vec::new();
    for name in names {
        if wanted.as_ref().is_some_and(|w| !w.contains(&name)) {
            continue;
        }
        if !filters.is_empty() && !passes(&filters, &group_tags(tx, ctx.owner, &name)?)? {
            continue;
        }
        items.push((name.clone(), name));
    }
    let (page_names, next_token) = page.take(items);
    let mut groups = Vec::with_capacity(page_names.len());
    for name in page_names {
        let group = require(tx, ctx.owner, &name)?;
        groups.push(shape(ctx, tx, group)?);
    }
    encode(&DescribeAutoScalingGroupsOutput {
        auto_scaling_groups: Some(groups),
        next_token,
    })
}
