//! Domains and their instances over groups: a domain is a group with MinSize = MaxSize =
//! DesiredCapacity = `vm_count` on its launch configuration's best-ranked site; deleting one is a
//! `ForceDelete`, terminating an instance with `adjust_policy=true` a decrementing termination.

use rusqlite::Transaction;
use serde_json::{Value, json};

use crate::autoscaling::types::{
    AutoScalingGroup, CreateAutoScalingGroupInput, DescribeAutoScalingGroupsInput, Instance,
    TerminateInstanceInAutoScalingGroupInput, UpdateAutoScalingGroupInput,
};
use crate::rest::endpoint::Outcome;
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::{self, Ctx};
use crate::server::rest_api::ids::{digest, domain_id};
use crate::server::rest_api::launch_configurations::{LcView, lc_views};
use crate::server::rest_api::{Reply, Request, bad, not_found};
use crate::server::sites;

/// Every group of the owner with its instances, all pages (through DescribeAutoScalingGroups).
pub(super) fn groups(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
) -> Result<Vec<AutoScalingGroup>, ApiError> {
    let mut all = Vec::new();
    let mut next_token = None;
    loop {
        let page = ops::call(
            ctx,
            tx,
            DescribeAutoScalingGroupsInput {
                next_token: next_token.take(),
                max_records: Some(100),
                ..Default::default()
            },
        )?;
        all.extend(page.auto_scaling_groups.unwrap_or_default());
        match page.next_token.filter(|t| !t.is_empty()) {
            Some(t) => next_token = Some(t),
            None => return Ok(all),
        }
    }
}

pub(super) fn group_name(g: &AutoScalingGroup) -> String {
    g.auto_scaling_group_name.clone().unwrap_or_default()
}

/// The launch configuration's REST name: the group's reference without `@site`.
pub(super) fn group_lc_name(g: &AutoScalingGroup) -> String {
    let given = g.launch_configuration_name.clone().unwrap_or_default();
    match sites::split(&given) {
        Some((base, _)) => base.to_string(),
        None => given,
    }
}

pub(super) fn domain_json(g: &AutoScalingGroup, owner_name: &str) -> Value {
    let id = domain_id(g.auto_scaling_group_arn.as_deref().unwrap_or(""));
    json!({
        "id": id,
        "name": group_name(g),
        "de_name": "multicloud",
        "lc_name": group_lc_name(g),
        "vm_count": g.desired_capacity.unwrap_or(0),
        "sensor_data": {},
        "monitor_sensors": "",
        "monitor_domain_sensors": "",
        "owner": owner_name,
        "uri": format!("/api/dev/domains/{id}"),
    })
}

pub(super) fn domain_require(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    id: &str,
) -> Result<AutoScalingGroup, ApiError> {
    groups(ctx, tx)?
        .into_iter()
        .find(|g| domain_id(g.auto_scaling_group_arn.as_deref().unwrap_or("")) == id)
        .ok_or_else(|| not_found(format!("Domain {} not found", shorten(id))))
}

pub(super) fn instances(g: &AutoScalingGroup) -> Vec<Instance> {
    g.instances.clone().unwrap_or_default()
}

pub(super) fn lifecycle_state(state: Option<&str>) -> String {
    // Under the Phantom dialect the Query API already reports Phantom's states.
    if let Some(s) = state.filter(|s| s.starts_with(|c: char| c.is_ascii_digit())) {
        return s.to_string();
    }
    match state {
        Some("Pending") | Some("Pending:Wait") | Some("Pending:Proceed") => "400-PENDING",
        Some("InService") => "600-RUNNING",
        Some(s) if s.starts_with("Terminating") => "700-TERMINATING",
        _ => "800-TERMINATED",
    }
    .to_string()
}

pub(super) fn instance_json(
    g: &AutoScalingGroup,
    i: &Instance,
    keys: &[(String, String)],
    owner_name: &str,
) -> Value {
    let id = i.instance_id.clone().unwrap_or_default();
    let site = i.availability_zone.clone().unwrap_or_default();
    let d = digest(&["instance", &id]);
    let domain = domain_id(g.auto_scaling_group_arn.as_deref().unwrap_or(""));
    let keyname = keys
        .iter()
        .find(|(s, _)| *s == site)
        .map(|(_, k)| json!(k))
        .unwrap_or(Value::Null);
    json!({
        "id": id,
        "iaas_instance_id": id,
        "lifecycle_state": lifecycle_state(i.lifecycle_state.as_deref()),
        "hostname": format!("vm-{}.{site}.example", hex::encode(&d[..3])),
        "public_ip": format!("192.0.2.{}", 1 + d[3] % 254),
        "private_ip": format!("10.0.{}.{}", d[4], 1 + d[5] % 254),
        "cloud": format!("/api/dev/sites/{site}"),
        "image_id": i.image_id,
        "instance_type": i.instance_type,
        "sensor_data": {},
        "keyname": keyname,
        "owner": owner_name,
        "uri": format!("/api/dev/domains/{domain}/instances/{id}"),
    })
}

/// The validated body of a domain POST or PUT: launch configuration name and `vm_count`.
pub(super) fn domain_body(req: &Request<'_>) -> Result<(String, i64), ApiError> {
    match req.member("de_name") {
        Some(Value::String(d)) if d == "multicloud" => {}
        Some(Value::String(d)) if d == "sensor" => {
            return Err(bad(
                "de_name 'sensor' is not supported by this endpoint: it has no metrics to scale \
                 on; use 'multicloud' (n-preserving)",
            ));
        }
        Some(Value::String(d)) => {
            return Err(bad(format!("de_name '{}' is not supported", shorten(d))));
        }
        Some(other) => {
            return Err(bad(format!(
                "de_name '{}' is not supported",
                shorten(&other.to_string())
            )));
        }
        None => return Err(bad("de_name 'None' is not supported")),
    }
    let Some(lc_name) = req.member("lc_name") else {
        return Err(bad("Mandatory parameter 'lc_name' is missing"));
    };
    let lc_name = match lc_name {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let Some(vm_count) = req.member("vm_count") else {
        return Err(bad("Mandatory parameter 'vm_count' is missing"));
    };
    let vm_count = match vm_count {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match vm_count {
        Some(n) if n >= 0 => Ok((lc_name, n)),
        _ => Err(bad("vm_count must be a whole number, 0 or more")),
    }
}

/// The Query reference a domain gives for a launch configuration: the bare name when the Query
/// API's own lookup (the sites in order) finds the best-ranked site, else `name@site`.
pub(super) fn lc_reference(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    lc_name: &str,
) -> Result<(String, LcView), ApiError> {
    let view = lc_views(ctx, tx)?
        .into_iter()
        .find(|v| v.name == lc_name)
        .ok_or_else(|| {
            bad(format!(
                "No launch configuration named {}. Can't make domain",
                shorten(lc_name)
            ))
        })?;
    let best = view
        .best_site(&ctx.settings.sites)
        .map(|s| s.stored.clone())
        .unwrap_or_default();
    let first_found = sites::candidates(lc_name, &ctx.settings.sites)
        .into_iter()
        .find(|c| view.sites.iter().any(|s| s.stored == *c));
    let reference = if first_found.as_deref() == Some(best.as_str()) {
        lc_name.to_string()
    } else {
        best
    };
    Ok((reference, view))
}

pub(super) fn size(n: i64) -> Result<i32, ApiError> {
    i32::try_from(n).map_err(|_| bad("vm_count is too large"))
}

pub(super) fn domain_create(ctx: &Ctx<'_>, tx: &Transaction<'_>, req: &Request<'_>) -> Reply {
    let name = match req.member("name") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(bad("You must provide a name for your domain")),
    };
    let (lc_name, vm_count) = domain_body(req)?;
    if let Some(g) = groups(ctx, tx)?.iter().find(|g| group_name(g) == name) {
        return Ok(Outcome::Exists(format!(
            "/domains/{}",
            domain_id(g.auto_scaling_group_arn.as_deref().unwrap_or(""))
        )));
    }
    let (reference, view) = lc_reference(ctx, tx, &lc_name)?;
    let n = size(vm_count)?;
    ops::call(
        ctx,
        tx,
        CreateAutoScalingGroupInput {
            auto_scaling_group_name: name.clone(),
            launch_configuration_name: Some(reference),
            min_size: n,
            max_size: n,
            desired_capacity: Some(n),
            ..Default::default()
        },
    )?;
    let g = groups(ctx, tx)?
        .into_iter()
        .find(|g| group_name(g) == name)
        .ok_or_else(|| not_found(format!("Domain {} not found", shorten(&name))))?;
    let mut v = domain_json(&g, &req.user.name);
    v["clouds"] = Value::Array(
        view.sites
            .iter()
            .map(|s| {
                json!({
                    "site_name": s.site,
                    "rank": s.rank(),
                    "size": s.extra.get("max_vms").cloned().unwrap_or(json!(-1)),
                })
            })
            .collect(),
    );
    Ok(Outcome::Created(v))
}

pub(super) fn domain_update(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    req: &Request<'_>,
    id: &str,
) -> Reply {
    let g = domain_require(ctx, tx, id)?;
    let (lc_name, vm_count) = domain_body(req)?;
    let new_lc = if lc_name != group_lc_name(&g) {
        Some(lc_reference(ctx, tx, &lc_name)?.0)
    } else {
        None
    };
    let n = size(vm_count)?;
    ops::call(
        ctx,
        tx,
        UpdateAutoScalingGroupInput {
            auto_scaling_group_name: group_name(&g),
            launch_configuration_name: new_lc,
            min_size: Some(n),
            max_size: Some(n),
            desired_capacity: Some(n),
            ..Default::default()
        },
    )?;
    let g = domain_require(ctx, tx, id)?;
    let mut v = domain_json(&g, &req.user.name);
    if let Value::Object(map) = &mut v {
        for k in ["sensor_data", "monitor_sensors", "monitor_domain_sensors"] {
            map.remove(k);
        }
    }
    Ok(Outcome::Ok(v))
}

pub(super) fn instance_delete(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    adjust: bool,
    id: &str,
    iid: &str,
) -> Reply {
    let g = domain_require(ctx, tx, id)?;
    let live = instances(&g).into_iter().any(|i| {
        i.instance_id.as_deref() == Some(iid)
            && !i
                .lifecycle_state
                .as_deref()
                .is_some_and(|s| s.starts_with("Terminating"))
    });
    if !live {
        // The genuine server names the domain here, not the instance.
        return Err(not_found(format!("instance {} not found", shorten(id))));
    }
    let name = group_name(&g);
    let (min, max, desired) = (
        g.min_size.unwrap_or(0),
        g.max_size.unwrap_or(0),
        g.desired_capacity.unwrap_or(0),
    );
    let lowered = (desired - 1).max(0);
    let bounds = |min_size: Option<i32>, max_size: Option<i32>| UpdateAutoScalingGroupInput {
        auto_scaling_group_name: name.clone(),
        min_size,
        max_size,
        ..Default::default()
    };
    if adjust && min > lowered {
        ops::call(ctx, tx, bounds(Some(lowered), None))?;
    }
    ops::call(
        ctx,
        tx,
        TerminateInstanceInAutoScalingGroupInput {
            instance_id: Some(iid.to_string()),
            should_decrement_desired_capacity: adjust,
            ..Default::default()
        },
    )?;
    // An n-preserving domain keeps MaxSize at vm_count.
    if adjust && max == desired {
        ops::call(ctx, tx, bounds(None, Some(lowered)))?;
    }
    Ok(Outcome::Deleted)
}
