//! Group rows: a group's sizes and launch configuration in columns (what the rules and the
//! lifecycle need), its other attributes as the JSON of the API's `AutoScalingGroup` shape; the
//! shape as Describe shows it (with the load balancers and traffic sources of
//! `rows::attachments`), and the reconciling of a group's instances with its capacity.
//!
//! A group launches from a launch configuration (`lc_ref`), or, when that column is empty, from
//! the launch template its `LaunchTemplate` or `MixedInstancesPolicy` names (resolved again at
//! each reconcile, so `$Latest` and `$Default` follow the template as AWS's do); its
//! `VPCZoneIdentifier` subnets decide the zones ([`launch_plan`], `crate::server::ec2::rows`).

use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::types::{
    AutoScalingGroup, Instance, LaunchConfiguration, LaunchTemplateSpecification,
};
use crate::server::ec2::rows::{self as ec2_rows, LaunchPlan};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::{self, GroupFacts};
use crate::server::ops::Ctx;
use crate::server::phantom::{self, policy::Placement};
use crate::server::rows::attachments;
use crate::server::rows::instances::live_instances;
use crate::server::rows::launch_configurations;
use crate::server::rows::refreshes;
use crate::server::rows::tags::group_tags;
use crate::server::sites;
use crate::server::store::Cached;

/// The most instances one group may hold: a guard against a request that would make the endpoint
/// launch millions of rows in one transaction (AWS has per-account limits of the same kind).
pub const MAX_DESIRED_CAPACITY: i64 = 1000;

/// Refuses a desired capacity above [`MAX_DESIRED_CAPACITY`] with `LimitExceeded`.
pub fn check_limit(desired: i64) -> Result<(), ApiError> {
    if desired > MAX_DESIRED_CAPACITY {
        return Err(ApiError::limit_exceeded(format!(
            "Desired capacity {desired} exceeds this endpoint's limit of \
             {MAX_DESIRED_CAPACITY} instances per group."
        )));
    }
    Ok(())
}

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

/// What the lifecycle needs of a group: its names, zone, desired capacity, protection, suspended
/// processes (`suspended`, from [`suspended_names`]) and termination policies, and, where
/// instances may be launched, the launch configuration they come from (`None` where the caller
/// only ends instances or records an activity).
pub fn facts<'a>(
    ctx: &Ctx<'a>,
    group: &'a GroupRow,
    suspended: &'a [String],
    lc: Option<&'a LaunchConfiguration>,
) -> GroupFacts<'a> {
    GroupFacts {
        owner: ctx.owner,
        name: &group.name,
        arn: group.doc.auto_scaling_group_arn.as_deref().unwrap_or(""),
        lc_name: &group.lc_ref,
        instance_type: lc
            .and_then(|lc| lc.instance_type.as_deref())
            .unwrap_or("m1.small"),
        image_id: lc.and_then(|lc| lc.image_id.as_deref()).unwrap_or(""),
        zone: &group.site,
        desired: group.desired,
        max_size: group.max,
        protect: group
            .doc
            .new_instances_protected_from_scale_in
            .unwrap_or(false),
        suspended,
        termination_policies: group.doc.termination_policies.as_deref().unwrap_or(&[]),
        launch: None,
        placement: None,
    }
}

/// The template specification a group launches from: its `LaunchTemplate`, or its mixed
/// instances policy's.
pub fn template_spec(doc: &AutoScalingGroup) -> Option<&LaunchTemplateSpecification> {
    doc.launch_template.as_ref().or_else(|| {
        doc.mixed_instances_policy
            .as_ref()?
            .launch_template
            .as_ref()?
            .launch_template_specification
            .as_ref()
    })
}

/// Where the group's launches go and what they run, when it names subnets or a template
/// (`None`: a launch configuration in the group's zone). The template version is resolved now.
pub fn launch_plan(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    lc: Option<&LaunchConfiguration>,
) -> Result<Option<LaunchPlan>, ApiError> {
    let doc = &group.doc;
    let spec = template_spec(doc).filter(|_| group.lc_ref.is_empty());
    let subnets = match doc
        .vpc_zone_identifier
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        Some(ids) => ec2_rows::group_subnets(ctx, tx, ids)?,
        // A template group given zones only launches into their default subnets, as EC2 does.
        None if spec.is_some() => {
            ec2_rows::default_subnets(ctx, tx, doc.availability_zones.as_deref().unwrap_or(&[]))?
        }
        None => Vec::new(),
    };
    if subnets.is_empty() && spec.is_none() {
        return Ok(None);
    }
    let mut plan = LaunchPlan {
        subnets,
        template: None,
        instance_type: lc
            .and_then(|lc| lc.instance_type.clone())
            .unwrap_or_else(|| "m1.small".into()),
        image_id: lc.and_then(|lc| lc.image_id.clone()).unwrap_or_default(),
        override_types: Vec::new(),
        on_demand_base: 0,
        on_demand_percent: 100,
    };
    if let Some(spec) = spec {
        let (t, version) = ec2_rows::resolve_group_template(tx, ctx.owner, spec)?;
        let data = version.launch_template_data.unwrap_or_default();
        plan.template = Some((
            t.id.clone(),
            t.name().to_string(),
            version.version_number.unwrap_or(1),
        ));
        plan.instance_type = data.instance_type.unwrap_or_else(|| "m1.small".into());
        plan.image_id = data.image_id.unwrap_or_default();
    }
    if let Some(mixed) = &doc.mixed_instances_policy {
        plan.override_types = mixed
            .launch_template
            .as_ref()
            .and_then(|l| l.overrides.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|o| o.instance_type.clone())
            .collect();
        if let Some(d) = &mixed.instances_distribution {
            plan.on_demand_base = i64::from(d.on_demand_base_capacity.unwrap_or(0).max(0));
            plan.on_demand_percent = i64::from(
                d.on_demand_percentage_above_base_capacity
                    .unwrap_or(100)
                    .clamp(0, 100),
            );
        }
    }
    Ok(Some(plan))
}

/// Reconciles a group's instances with its desired capacity.
pub fn reconcile(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &GroupRow,
    reason: &str,
) -> Result<(), ApiError> {
    // An instance refresh acting on the group launches from its configuration, with its surplus.
    let during = refreshes::during(tx, ctx.owner, group)?;
    let group = during.as_ref().unwrap_or(group);
    let lc = if group.lc_ref.is_empty() {
        None
    } else {
        match launch_configurations::load(tx, ctx.owner, &group.lc_ref)? {
            Some(lc) => Some(lc),
            // Phantom let a domain outlive its launch configuration.
            None if ctx.settings.phantom() => None,
            None => return Err(launch_configurations::not_found(&group.lc_ref)),
        }
    };
    let plan = launch_plan(ctx, tx, group, lc.as_ref())?;
    let suspended = suspended_names(&group.doc);
    // Phantom: the domain's policy (its tags) places instances over its sites.
    let placement = match ctx.settings.phantom() {
        true => Some(Placement::new(
            &phantom::policy::of_group(tx, ctx.owner, &group.name)?,
            &group.site,
            &ctx.settings.sites,
        )),
        false => None,
    };
    let mut facts = facts(ctx, group, &suspended, lc.as_ref());
    facts.placement = placement.as_ref();
    if let Some(plan) = &plan {
        facts.launch = Some(plan);
        facts.instance_type = &plan.instance_type;
        facts.image_id = &plan.image_id;
    }
    lifecycle::reconcile(tx, ctx.settings, &facts, ctx.now, reason)?;
    refreshes::nudge(ctx, tx, &group.name)
}

/// The scaling processes AWS defines, in the order DescribeScalingProcessTypes lists them.
pub const PROCESSES: &[&str] = &[
    "AZRebalance",
    "AddToLoadBalancer",
    "AlarmNotification",
    "HealthCheck",
    "InstanceRefresh",
    "Launch",
    "ReplaceUnhealthy",
    "ScheduledActions",
    "Terminate",
];

/// The names of the processes suspended on a group.
pub fn suspended_names(doc: &AutoScalingGroup) -> Vec<String> {
    doc.suspended_processes
        .iter()
        .flatten()
        .filter_map(|p| p.process_name.clone())
        .collect()
}

/// Whether `process` (one of [`PROCESSES`]) is suspended on a group: for what acts on a group
/// by itself (scheduled actions check `ScheduledActions`, alarms `AlarmNotification`).
pub fn is_suspended(doc: &AutoScalingGroup, process: &str) -> bool {
    doc.suspended_processes
        .iter()
        .flatten()
        .any(|p| p.process_name.as_deref() == Some(process))
}

/// Writes a group's desired capacity and attributes (the JSON) back.
pub fn save(tx: &Transaction<'_>, owner: &str, group: &GroupRow) -> Result<(), ApiError> {
    tx.execute_cached(
        "UPDATE groups SET desired = ?3, doc = ?4 WHERE owner = ?1 AND name = ?2",
        params![
            owner,
            group.name,
            group.desired,
            serde_json::to_string(&group.doc)?
        ],
    )?;
    Ok(())
}

/// Finds the stored launch configuration a group's reference names (`x` or `x@site`).
pub fn resolve_lc(ctx: &Ctx<'_>, tx: &Transaction<'_>, given: &str) -> Result<String, ApiError> {
    if !ctx.settings.phantom() {
        sites::check(given, &ctx.settings.sites)?;
    }
    for candidate in sites::candidates(given, &ctx.settings.sites) {
        if launch_configurations::load(tx, ctx.owner, &candidate)?.is_some() {
            return Ok(candidate);
        }
    }
    // Phantom: a bare name means its launch configuration on any site, offered or not.
    if ctx.settings.phantom() && sites::split(given).is_none() {
        let any: Option<String> = tx
            .query_row_cached(
                "SELECT name FROM launch_configurations WHERE owner = ?1 \
                 AND substr(name, 1, length(?2) + 1) = ?2 || '@' ORDER BY name LIMIT 1",
                params![ctx.owner, given],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(name) = any {
            return Ok(name);
        }
    }
    Err(launch_configurations::not_found(given))
}

/// The group as `DescribeAutoScalingGroups` shows it at the request's time.
pub fn shape(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: GroupRow,
) -> Result<AutoScalingGroup, ApiError> {
    let mut doc = group.doc;
    doc.launch_configuration_name = (!group.lc_given.is_empty()).then_some(group.lc_given);
    doc.min_size = Some(clamp_i32(group.min));
    doc.max_size = Some(clamp_i32(group.max));
    doc.desired_capacity = Some(clamp_i32(group.desired));
    let mut instances = Vec::new();
    for i in live_instances(ctx, tx, Some(&group.name))? {
        instances.push(Instance {
            launch_configuration_name: (!i.lc.is_empty()).then_some(i.lc),
            launch_template: i.template,
            instance_id: Some(i.id),
            instance_type: Some(i.instance_type),
            availability_zone: Some(i.zone),
            lifecycle_state: Some(i.state.to_string()),
            health_status: Some(i.health),
            image_id: Some(i.image),
            protected_from_scale_in: Some(i.protected),
            ..Default::default()
        });
    }
    doc.instances = Some(instances);
    doc.tags = Some(group_tags(tx, ctx.owner, &group.name)?);
    attachments::fill(ctx, tx, &mut doc)?;
    crate::server::rows::warm_pools::fill(ctx, tx, &mut doc)?;
    Ok(doc)
}

/// An `i64` size as the shape's `i32`, saturating.
fn clamp_i32(v: i64) -> i32 {
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}
