//! CreateAutoScalingGroup, UpdateAutoScalingGroup, DeleteAutoScalingGroup,
//! DescribeAutoScalingGroups, SetDesiredCapacity: groups and their capacity.
//!
//! A group row keeps its sizes and launch configuration in columns (what the rules and the
//! lifecycle need) and its other attributes as the JSON of the API's `AutoScalingGroup` shape.
//! Describe assembles the shape from both, plus the instances (states evaluated at the request's
//! time) and the tags. Rules: a duplicate is `AlreadyExists`; a missing group or launch
//! configuration, sizes out of order, or a desired capacity outside [MinSize, MaxSize] is
//! `ValidationError`, as is a termination policy AWS does not define (other than a Lambda ARN);
//! hooks given in `LifecycleHookSpecificationList` are stored before the first instances
//! launch, so they hold those too; deleting a group that still has instances needs `ForceDelete`, else
//! `ResourceInUse`. Every capacity change reconciles instances in the same transaction.
//! A group's launch source is a launch configuration, a `LaunchTemplate`, a
//! `MixedInstancesPolicy` or an `InstanceId` (whose template or launch configuration and subnet
//! it takes); templates and `VPCZoneIdentifier` subnets are checked against the owner's EC2 rows
//! (`crate::server::ec2::rows`), the subnets' zones becoming the group's.
//! The load balancers and traffic sources a Create names are attached as the Attach calls
//! attach them (`rows::attachments`).
//! Under the Phantom dialect (`crate::server::phantom`): the tags given at creation are the
//! domain's policy (`minimum_vms` its size), SetDesiredCapacity sets MinSize = MaxSize = desired,
//! a domain is always deleted with its instances, and deleting one that does not exist succeeds.

use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::NoOutput;
use crate::autoscaling::types::{
    AutoScalingGroup, CreateAutoScalingGroupInput, DeleteAutoScalingGroupInput,
    DescribeAutoScalingGroupsInput, DescribeAutoScalingGroupsOutput, Filter,
    LaunchTemplateSpecification, LifecycleHook, MixedInstancesPolicy, SetDesiredCapacityInput,
    TagDescription, TrafficSourceIdentifier, UpdateAutoScalingGroupInput,
};
use crate::server::ec2::rows as ec2_rows;
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::{self, timestamp};
use crate::server::ops::{Ctx, Handle, arn};
use crate::server::paginate::{PageRequest, check_names};
use crate::server::phantom;
use crate::server::rows::attachments::{self, Source};
use crate::server::rows::groups::{
    check_limit, load, not_found, reconcile, require, resolve_lc, shape,
};
use crate::server::rows::hooks::{self, HookInput};
use crate::server::rows::tags::{check_tags, group_tags, put_tag};
use crate::server::sites;
use crate::server::store::Cached;

/// AWS's refusal of a group that names no launch source, or more than one.
const ONE_SOURCE: &str = "Valid requests must contain either LaunchTemplate, \
                          LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.";

/// Refuses a termination policy that is neither one of AWS's (DescribeTerminationPolicyTypes)
/// nor a Lambda function's ARN (a custom termination policy: stored, and it narrows nothing
/// here, as no Lambda is called).
fn check_termination_policies(policies: Option<&Vec<String>>) -> Result<(), ApiError> {
    for p in policies.into_iter().flatten() {
        if !lifecycle::TERMINATION_POLICIES.contains(&p.as_str())
            && !p.starts_with("arn:aws:lambda:")
        {
            return Err(ApiError::validation(format!(
                "Termination policy {} is not valid. Valid termination policies are {} or the \
                 ARN of a Lambda function.",
                shorten(p),
                lifecycle::TERMINATION_POLICIES.join(", ")
            )));
        }
    }
    Ok(())
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

/// CreateAutoScalingGroup's `LoadBalancerNames`, `TargetGroupARNs` (seen by the load balancer
/// families) and `TrafficSources` (seen by the traffic source family), attached to the new group
/// with the rules of the Attach calls.
fn attach_at_create(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &str,
    load_balancers: Vec<String>,
    target_groups: Vec<String>,
    traffic_sources: Vec<TrafficSourceIdentifier>,
) -> Result<(), ApiError> {
    let legacy: Vec<Source> = load_balancers
        .iter()
        .map(|n| Source::elb(n))
        .chain(target_groups.iter().map(|a| Source::target_group(a)))
        .collect();
    let sources = traffic_sources
        .iter()
        .map(Source::from_identifier)
        .collect::<Result<Vec<_>, _>>()?;
    attachments::attach(ctx, tx, group, &legacy, true, true)?;
    attachments::attach(ctx, tx, group, &sources, false, true)
}

impl Handle for CreateAutoScalingGroupInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let input = self;
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
        let mut launch_template = input.launch_template;
        let mut given = input.launch_configuration_name.unwrap_or_default();
        let mut vpc_zone_identifier = input.vpc_zone_identifier;
        let mut zones: Vec<String> = input
            .availability_zones
            .unwrap_or_default()
            .into_iter()
            .filter(|z| !z.is_empty())
            .collect();
        if let Some(id) = &input.instance_id {
            // The group takes the instance's launch source, subnet and zone.
            let from = launch_source_of(ctx, tx, id)?;
            given = from.lc;
            launch_template = from.template;
            if vpc_zone_identifier.is_none() && !from.subnet.is_empty() {
                vpc_zone_identifier = Some(from.subnet);
            }
            if zones.is_empty() && vpc_zone_identifier.is_none() {
                zones.push(from.zone);
            }
        }
        let tags = input.tags.unwrap_or_default();
        check_tags(&tags)?;
        // Phantom: the tags are the domain's policy, checked as a whole; `minimum_vms` is its N.
        let preserved = match ctx.settings.phantom() {
            true => {
                phantom::policy::parse(tags.iter().map(|t| {
                    (
                        t.key.as_deref().unwrap_or(""),
                        t.value.as_deref().unwrap_or(""),
                    )
                }))?
                .minimum_vms
            }
            false => None,
        };
        check_termination_policies(input.termination_policies.as_ref())?;
        // The hooks that apply to the group's first instances, checked before anything is
        // written, each as PutLifecycleHook checks it.
        let specs = input.lifecycle_hook_specification_list.unwrap_or_default();
        if specs.len() > hooks::MAX_PER_GROUP {
            return Err(ApiError::limit_exceeded(format!(
                "Maximum number of lifecycle hooks ({}) reached for AutoScalingGroup {}.",
                hooks::MAX_PER_GROUP,
                shorten(&name)
            )));
        }
        let mut initial_hooks = Vec::with_capacity(specs.len());
        for spec in specs {
            let hook_name = spec.lifecycle_hook_name.unwrap_or_default();
            if initial_hooks.iter().any(|h: &LifecycleHook| {
                h.lifecycle_hook_name.as_deref() == Some(hook_name.as_str())
            }) {
                return Err(ApiError::validation(format!(
                    "The lifecycle hook name {} is given more than once.",
                    shorten(&hook_name)
                )));
            }
            initial_hooks.push(hooks::merge(
                &name,
                None,
                HookInput {
                    name: hook_name,
                    transition: spec.lifecycle_transition,
                    notification_target_arn: spec.notification_target_arn,
                    role_arn: spec.role_arn,
                    notification_metadata: spec.notification_metadata,
                    heartbeat_timeout: spec.heartbeat_timeout,
                    default_result: spec.default_result,
                },
            )?);
        }
        let (min, max) = (i64::from(input.min_size), i64::from(input.max_size));
        let desired = input.desired_capacity.map(i64::from).unwrap_or(min);
        let (min, max, desired) = preserved.map_or((min, max, desired), |n| (n, n, n));
        check_sizes(min, max, desired)?;
        if load(tx, ctx.owner, &name)?.is_some() {
            return Err(ApiError::already_exists(format!(
                "AutoScalingGroup by this name already exists - A group with the name {} already \
             exists",
                shorten(&name)
            )));
        }
        crate::server::rows::account::check_new_group(ctx, tx)?;
        let lc_ref = if given.is_empty() {
            String::new()
        } else {
            resolve_lc(ctx, tx, &given)?
        };
        check_template(
            ctx,
            tx,
            launch_template.as_ref(),
            input.mixed_instances_policy.as_ref(),
        )?;
        let subnet_zones = subnet_zones(ctx, tx, vpc_zone_identifier.as_deref())?;
        if lc_ref.is_empty() && subnet_zones.is_empty() && zones.is_empty() {
            return Err(ApiError::validation(
                "At least one Availability Zone or VPC Subnet is required.",
            ));
        }
        if !subnet_zones.is_empty() && zones.is_empty() {
            zones = subnet_zones;
        }
        let site = match zones.first() {
            Some(z) if lc_ref.is_empty() => z.clone(),
            _ => sites::zone_for(&lc_ref, &zones, &ctx.settings.sites),
        };
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
            health_check_type: Some(input.health_check_type.unwrap_or_else(|| "EC2".into())),
            health_check_grace_period: Some(input.health_check_grace_period.unwrap_or(0)),
            created_time: Some(timestamp(ctx.now)),
            suspended_processes: Some(Vec::new()),
            placement_group: input.placement_group,
            vpc_zone_identifier,
            launch_template,
            mixed_instances_policy: input.mixed_instances_policy,
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
        for hook in &initial_hooks {
            hooks::put(tx, ctx.owner, &name, hook)?;
        }
        attach_at_create(
            ctx,
            tx,
            &name,
            input.load_balancer_names.unwrap_or_default(),
            input.target_group_arns.unwrap_or_default(),
            input.traffic_sources.unwrap_or_default(),
        )?;
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
        Ok(NoOutput {})
    }
}

/// Refuses a group's template (or mixed instances policy) that does not name an existing
/// template and version, in Auto Scaling's words.
fn check_template(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    template: Option<&LaunchTemplateSpecification>,
    mixed: Option<&MixedInstancesPolicy>,
) -> Result<(), ApiError> {
    let spec = match (template, mixed) {
        (Some(spec), _) => spec,
        (None, Some(mixed)) => mixed
            .launch_template
            .as_ref()
            .and_then(|l| l.launch_template_specification.as_ref())
            .ok_or_else(|| {
                ApiError::validation(
                    "The mixed instances policy must contain a launch template: \
                     MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.",
                )
            })?,
        (None, None) => return Ok(()),
    };
    ec2_rows::resolve_group_template(tx, ctx.owner, spec).map(|_| ())
}

/// The zones of the subnets a `VPCZoneIdentifier` names, in order, each once (checked: the
/// owner's, one VPC); none without subnets.
fn subnet_zones(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    ids: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    let Some(ids) = ids.filter(|s| !s.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let mut zones: Vec<String> = Vec::new();
    for s in ec2_rows::group_subnets(ctx, tx, ids)? {
        if !zones.contains(&s.zone) {
            zones.push(s.zone);
        }
    }
    Ok(zones)
}

/// What a group created from `InstanceId` takes from the instance.
struct InstanceSource {
    lc: String,
    template: Option<LaunchTemplateSpecification>,
    subnet: String,
    zone: String,
}

/// The launch source, subnet and zone of one of the owner's instances (AWS: "Amazon EC2 Auto
/// Scaling uses the configuration values from the specified instance").
fn launch_source_of(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    id: &str,
) -> Result<InstanceSource, ApiError> {
    let row: Option<(String, String)> = tx
        .query_row_cached(
            "SELECT lc_name, zone FROM instances WHERE owner = ?1 AND id = ?2 AND gone_ms IS NULL",
            params![ctx.owner, id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((lc, zone)) = row else {
        return Err(ApiError::validation(format!(
            "Invalid instance ID: the instance {} does not exist or is not running.",
            shorten(id)
        )));
    };
    let side = ec2_rows::instance_side(tx, ctx.owner, id)?;
    // By id only: a specification names its template by id or by name, not both.
    let template =
        side.as_ref()
            .and_then(|s| s.template.clone())
            .map(|t| LaunchTemplateSpecification {
                launch_template_name: None,
                ..t
            });
    Ok(InstanceSource {
        lc: if template.is_some() {
            String::new()
        } else {
            lc
        },
        template,
        subnet: side.map(|s| s.subnet_id).unwrap_or_default(),
        zone,
    })
}

/// `UpdateAutoScalingGroup`.
impl Handle for UpdateAutoScalingGroupInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let input = self;
        let sources = [
            input.launch_configuration_name.is_some(),
            input.launch_template.is_some(),
            input.mixed_instances_policy.is_some(),
        ];
        if sources.iter().filter(|&&given| given).count() > 1 {
            return Err(ApiError::validation(ONE_SOURCE));
        }
        check_termination_policies(input.termination_policies.as_ref())?;
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
            group.doc.launch_template = None;
            group.doc.mixed_instances_policy = None;
        }
        if input.launch_template.is_some() || input.mixed_instances_policy.is_some() {
            check_template(
                ctx,
                tx,
                input.launch_template.as_ref(),
                input.mixed_instances_policy.as_ref(),
            )?;
            group.lc_given.clear();
            group.lc_ref.clear();
            group.doc.launch_template = input.launch_template;
            group.doc.mixed_instances_policy = input.mixed_instances_policy;
        }
        if let Some(ids) = input.vpc_zone_identifier {
            let zones = subnet_zones(ctx, tx, Some(&ids))?;
            if let Some(first) = zones.first() {
                group.site = first.clone();
                group.doc.availability_zones = Some(zones);
            }
            group.doc.vpc_zone_identifier = (!ids.trim().is_empty()).then_some(ids);
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
        Ok(NoOutput {})
    }
}

/// `SetDesiredCapacity`.
impl Handle for SetDesiredCapacityInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let input = self;
        let name = &input.auto_scaling_group_name;
        let mut group = match load(tx, ctx.owner, name)? {
            Some(group) => group,
            None if ctx.settings.phantom() => return Err(phantom::rules::no_domain(name)),
            None => return Err(not_found(name)),
        };
        let desired = i64::from(input.desired_capacity);
        if ctx.settings.phantom() {
            // Phantom's n-preserving control: N becomes the minimum and the maximum too.
            let before = group.desired;
            phantom::rules::preserve(tx, ctx.owner, &mut group, desired)?;
            reconcile(
                ctx,
                tx,
                &group,
                &format!(
                    "a user request set the n-preserving size changing the desired capacity                      from {before} to {desired}"
                ),
            )?;
            return Ok(NoOutput {});
        }
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
        Ok(NoOutput {})
    }
}

/// `DeleteAutoScalingGroup`.
impl Handle for DeleteAutoScalingGroupInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let input = self;
        let group = match load(tx, ctx.owner, &input.auto_scaling_group_name)? {
            Some(group) => group,
            // Phantom answered 200 for a domain that does not exist (capture 53).
            None if ctx.settings.phantom() => return Ok(NoOutput {}),
            None => return Err(not_found(&input.auto_scaling_group_name)),
        };
        lifecycle::sweep(tx, ctx.now)?;
        let instances: i64 = tx.query_row_cached(
            "SELECT COUNT(*) FROM instances WHERE owner = ?1 AND group_name = ?2",
            params![ctx.owner, group.name],
            |r| r.get(0),
        )?;
        // A warm pool's instances count as the group's.
        let instances = instances
            + crate::server::rows::warm_pools::count(tx, ctx.owner, &group.name, ctx.now)?;
        // Phantom always deleted a domain with its instances.
        let force = input.force_delete.unwrap_or(false) || ctx.settings.phantom();
        if instances > 0 && !force {
            return Err(ApiError::in_use(format!(
                "You cannot delete an AutoScalingGroup while there are instances or pending Spot \
             instance requests: {} has {instances} (use ForceDelete to terminate them)",
                shorten(&group.name)
            )));
        }
        for table in ["instances", "tags", "activities", "policies", "groups"] {
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
        Ok(NoOutput {})
    }
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
impl Handle for DescribeAutoScalingGroupsInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeAutoScalingGroupsOutput, ApiError> {
        let input = self;
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
        Ok(DescribeAutoScalingGroupsOutput {
            auto_scaling_groups: Some(groups),
            next_token,
        })
    }
}
