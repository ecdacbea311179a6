//! DescribeInstances and TerminateInstances over the endpoint's instances (the ones its groups
//! launched, and those detached from them).
//!
//! An instance's EC2 state mirrors its Auto Scaling lifecycle: `Pending` is `pending`,
//! `InService` and `Standby` `running`, `Terminating` `shutting-down`, and once gone
//! `terminated` until the row is swept. It shows its subnet's address, VPC and zone, the image
//! and type it was launched with, and the tags AWS puts on a group's instances
//! (`aws:autoscaling:groupName`, `aws:ec2launchtemplate:id` and `:version` when launched from a
//! template) with the group's tags marked `PropagateAtLaunch`. Terminating a group's instance
//! through EC2 is EC2's side only: the instance is `shutting-down`, then `terminated`, from its
//! `ec2_terminated_ms`. That time is the EC2 health signal the group's `HealthCheck` process reads
//! (`crate::server::lifecycle::reconcile`, run here at once): it marks the instance `Unhealthy`
//! and `ReplaceUnhealthy` replaces it; with `HealthCheck` suspended the group does not notice
//! until the process is resumed.

use rusqlite::{Transaction, params};

use crate::ec2::types::*;
use crate::server::ec2::rows::{self, ec2_error};
use crate::server::ec2::{Handle, page, passes, tag_values};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::{instance_state, timestamp};
use crate::server::ops::Ctx;
use crate::server::rows::groups;
use crate::server::store::Cached;

/// One stored instance with its EC2 side.
struct Row {
    id: String,
    group: String,
    zone: String,
    instance_type: String,
    image_id: String,
    launched_ms: i64,
    /// The EC2 state name at the request's time.
    state: &'static str,
    subnet_id: String,
    vpc_id: String,
    private_ip: String,
    lt: Option<(String, String)>,
    spot: bool,
}

/// EC2's code for a state name.
fn state_code(name: &str) -> i32 {
    match name {
        "pending" => 0,
        "running" => 16,
        "shutting-down" => 32,
        _ => 48,
    }
}

fn state(name: &str) -> InstanceState {
    InstanceState {
        code: Some(state_code(name)),
        name: Some(name.to_string()),
    }
}

/// The owner's instances (all, or the ones named), by id.
fn load(ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Vec<Row>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT i.id, i.group_name, i.zone, i.instance_type, i.image_id, i.launched_ms, \
         i.ready_ms, i.terminating_ms, i.gone_ms, COALESCE(e.subnet_id, ''), \
         COALESCE(e.vpc_id, ''), COALESCE(e.private_ip, ''), COALESCE(e.lt_id, ''), \
         COALESCE(e.lt_version, ''), COALESCE(e.spot, 0), i.hook_phase, i.ec2_terminated_ms \
         FROM instances i \
         LEFT JOIN ec2_instances e ON e.id = i.id WHERE i.owner = ?1 ORDER BY i.id",
    )?;
    let rows = stmt
        .query_map(params![ctx.owner], |r| {
            let (ready, terminating, gone): (i64, Option<i64>, Option<i64>) =
                (r.get(6)?, r.get(7)?, r.get(8)?);
            let phase: Option<String> = r.get(15)?;
            let ec2_terminated: Option<i64> = r.get(16)?;
            let state = match instance_state(ctx.now, ready, terminating, gone, phase.as_deref()) {
                None => "terminated",
                // Terminated through EC2: EC2's own clock, whatever the group knows of it.
                Some(_)
                    if ec2_terminated.is_some_and(|t| {
                        ctx.now >= t.saturating_add(ctx.settings.timing.terminate_delay_ms)
                    }) =>
                {
                    "terminated"
                }
                Some(_) if ec2_terminated.is_some() => "shutting-down",
                Some(s) if s.starts_with("Pending") => "pending",
                Some(s) if s.starts_with("Terminating") => "shutting-down",
                Some(_) => "running",
            };
            let lt_id: String = r.get(12)?;
            let lt_version: String = r.get(13)?;
            Ok(Row {
                id: r.get(0)?,
                group: r.get(1)?,
                zone: r.get(2)?,
                instance_type: r.get(3)?,
                image_id: r.get(4)?,
                launched_ms: r.get(5)?,
                state,
                subnet_id: r.get(9)?,
                vpc_id: r.get(10)?,
                private_ip: r.get(11)?,
                lt: (!lt_id.is_empty()).then_some((lt_id, lt_version)),
                spot: r.get(14)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Refuses ids that are not instance ids (`i-` and hex digits), as EC2 does.
fn check_ids(ids: &[String]) -> Result<(), ApiError> {
    for id in ids {
        let ok = id
            .strip_prefix("i-")
            .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()));
        if !ok {
            return Err(ec2_error(
                "InvalidInstanceID.Malformed",
                format!("Invalid id: \"{}\"", shorten(id)),
            ));
        }
    }
    Ok(())
}

/// AWS's error for instance ids the owner does not have.
fn not_found(missing: &[&str]) -> ApiError {
    let shown = missing
        .iter()
        .map(|m| shorten(m))
        .collect::<Vec<_>>()
        .join(", ");
    if missing.len() == 1 {
        ec2_error(
            "InvalidInstanceID.NotFound",
            format!("The instance ID '{shown}' does not exist"),
        )
    } else {
        ec2_error(
            "InvalidInstanceID.NotFound",
            format!("The instance IDs '{shown}' do not exist"),
        )
    }
}

/// The instance as DescribeInstances shows it.
fn shape(ctx: &Ctx<'_>, tx: &Transaction<'_>, row: &Row) -> Result<Instance, ApiError> {
    let mut tags = Vec::new();
    let mut key_name = None;
    if !row.group.is_empty() {
        tags.push(Tag {
            key: Some("aws:autoscaling:groupName".into()),
            value: Some(row.group.clone()),
        });
        for t in crate::server::rows::tags::group_tags(tx, ctx.owner, &row.group)? {
            if t.propagate_at_launch == Some(true) {
                tags.push(Tag {
                    key: t.key,
                    value: t.value,
                });
            }
        }
    }
    if let Some((lt_id, version)) = &row.lt {
        tags.push(Tag {
            key: Some("aws:ec2launchtemplate:id".into()),
            value: Some(lt_id.clone()),
        });
        tags.push(Tag {
            key: Some("aws:ec2launchtemplate:version".into()),
            value: Some(version.clone()),
        });
        if let Ok(n) = version.parse::<i64>()
            && let Some(v) = rows::load_version(tx, ctx.owner, lt_id, n)?
        {
            key_name = v.launch_template_data.and_then(|d| d.key_name);
        }
    }
    let dns = (!row.private_ip.is_empty()).then(|| {
        let host = format!("ip-{}", row.private_ip.replace('.', "-"));
        if ctx.settings.region == "us-east-1" {
            format!("{host}.ec2.internal")
        } else {
            format!("{host}.{}.compute.internal", ctx.settings.region)
        }
    });
    let gone = matches!(row.state, "terminated" | "shutting-down");
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Ok(Instance {
        instance_id: Some(row.id.clone()),
        image_id: some(&row.image_id),
        state: Some(state(row.state)),
        private_dns_name: Some(if gone { None } else { dns.clone() }.unwrap_or_default()),
        public_dns_name: Some(String::new()),
        state_transition_reason: Some(String::new()),
        key_name,
        ami_launch_index: Some(0),
        instance_type: Some(row.instance_type.clone()),
        launch_time: Some(timestamp(row.launched_ms)),
        placement: Some(Placement {
            availability_zone: Some(row.zone.clone()),
            availability_zone_id: Some(rows::zone_id(
                &ctx.settings.region,
                &ctx.settings.zones,
                &row.zone,
            )),
            tenancy: Some("default".into()),
            group_name: Some(String::new()),
            ..Default::default()
        }),
        monitoring: Some(Monitoring {
            state: Some("disabled".into()),
            ..Default::default()
        }),
        subnet_id: some(&row.subnet_id).filter(|_| !gone || row.state == "shutting-down"),
        vpc_id: some(&row.vpc_id).filter(|_| !gone || row.state == "shutting-down"),
        private_ip_address: some(&row.private_ip).filter(|_| row.state != "terminated"),
        architecture: Some("x86_64".into()),
        root_device_type: Some("ebs".into()),
        root_device_name: Some("/dev/xvda".into()),
        virtualization_type: Some("hvm".into()),
        hypervisor: Some("xen".into()),
        instance_lifecycle: row.spot.then(|| "spot".to_string()),
        tags: Some(tags),
        ..Default::default()
    })
}

/// The values of an instance's filters.
fn values(row: &Row, shown: &Instance, name: &str) -> Option<Vec<String>> {
    let one = |s: &str| vec![s.to_string()];
    Some(match name {
        "instance-id" => one(&row.id),
        "instance-state-name" => one(row.state),
        "instance-state-code" => vec![state_code(row.state).to_string()],
        "instance-type" => one(&row.instance_type),
        "image-id" => one(&row.image_id),
        "availability-zone" => one(&row.zone),
        "subnet-id" => one(&row.subnet_id),
        "vpc-id" => one(&row.vpc_id),
        "private-ip-address" => one(&row.private_ip),
        "private-dns-name" => shown.private_dns_name.iter().cloned().collect(),
        "instance-lifecycle" => shown.instance_lifecycle.iter().cloned().collect(),
        _ => return tag_values(name, shown.tags.as_deref().unwrap_or_default()),
    })
}

impl Handle for DescribeInstancesInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeInstancesOutput, ApiError> {
        let ids = self.instance_ids.unwrap_or_default();
        check_ids(&ids)?;
        let all = load(ctx, tx)?;
        let missing: Vec<&str> = ids
            .iter()
            .filter(|id| !all.iter().any(|r| &r.id == *id))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(not_found(&missing));
        }
        let filters = self.filters.unwrap_or_default();
        let mut chosen = Vec::new();
        for row in &all {
            if !ids.is_empty() && !ids.contains(&row.id) {
                continue;
            }
            let shown = shape(ctx, tx, row)?;
            if passes(&filters, &|n| values(row, &shown, n))? {
                // One reservation per instance: each was launched by its own request.
                chosen.push(Reservation {
                    reservation_id: Some(format!(
                        "r-{}",
                        row.id.strip_prefix("i-").unwrap_or(&row.id)
                    )),
                    owner_id: Some(ctx.settings.account_id.clone()),
                    requester_id: (!row.group.is_empty()).then(|| "940372691376".to_string()),
                    groups: Some(Vec::new()),
                    instances: Some(vec![shown]),
                });
            }
        }
        let (reservations, next_token) =
            page(chosen, self.max_results, self.next_token.as_deref())?;
        Ok(DescribeInstancesOutput {
            next_token,
            reservations: Some(reservations),
        })
    }
}

impl Handle for TerminateInstancesInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<TerminateInstancesOutput, ApiError> {
        check_ids(&self.instance_ids)?;
        let all = load(ctx, tx)?;
        let missing: Vec<&str> = self
            .instance_ids
            .iter()
            .filter(|id| !all.iter().any(|r| &r.id == *id))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(not_found(&missing));
        }
        let timing = &ctx.settings.timing;
        let mut changes = Vec::new();
        let mut touched: Vec<String> = Vec::new();
        for id in &self.instance_ids {
            let Some(row) = all.iter().find(|r| &r.id == id) else {
                continue;
            };
            let before = row.state;
            let after = match before {
                "shutting-down" | "terminated" => before,
                _ => "shutting-down",
            };
            if before != after {
                if row.group.is_empty() {
                    tx.execute_cached(
                        "UPDATE instances SET terminating_ms = ?1, gone_ms = ?2 \
                         WHERE id = ?3 AND owner = ?4",
                        params![ctx.now, ctx.now + timing.terminate_delay_ms, id, ctx.owner],
                    )?;
                } else {
                    // EC2's side only: the group learns of it from its health check.
                    tx.execute_cached(
                        "UPDATE instances SET ec2_terminated_ms = ?1 WHERE id = ?2 AND owner = ?3",
                        params![ctx.now, id, ctx.owner],
                    )?;
                    if !touched.contains(&row.group) {
                        touched.push(row.group.clone());
                    }
                }
            }
            changes.push(InstanceStateChange {
                instance_id: Some(id.clone()),
                current_state: Some(state(after)),
                previous_state: Some(state(before)),
            });
        }
        // Each group's health check finds what EC2 terminated (unless suspended) and the group
        // replaces it.
        for name in touched {
            let group = groups::require(tx, ctx.owner, &name)?;
            groups::reconcile(
                ctx,
                tx,
                &group,
                "an instance was taken out of service in response to an EC2 health check \
                 indicating it has been terminated or stopped",
            )?;
        }
        Ok(TerminateInstancesOutput {
            terminating_instances: Some(changes),
        })
    }
}
