//! Classic ELB's handlers: load balancers with their listeners and health check, instances
//! registered by hand or by the groups that name the load balancer, and their health, with the
//! rules and errors of the classic ELB API reference.

use rusqlite::{OptionalExtension, Transaction, params};

use super::Handle;
use super::rows;
use crate::elb::classic::types::*;
use crate::server::ec2::rows as ec2_rows;
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::Ctx;
use crate::server::rows::attachments::ELB;
use crate::server::store::Cached;

const PROTOCOLS: &[&str] = &["HTTP", "HTTPS", "TCP", "SSL"];

/// `LoadBalancerNotFound` as classic ELB words it.
fn not_found(name: &str) -> ApiError {
    ApiError::with_status(
        400,
        "LoadBalancerNotFound",
        format!("There is no ACTIVE Load Balancer named '{}'", shorten(name)),
    )
}

fn load(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    name: &str,
) -> Result<LoadBalancerDescription, ApiError> {
    let doc: Option<String> = tx
        .query_row_cached(
            "SELECT doc FROM elb_load_balancers WHERE owner = ?1 AND name = ?2",
            params![ctx.owner, name],
            |r| r.get(0),
        )
        .optional()?;
    let doc = doc.ok_or_else(|| not_found(name))?;
    let mut lb: LoadBalancerDescription = serde_json::from_str(&doc)?;
    lb.instances = Some(
        instances(ctx, tx, name)?
            .into_iter()
            .map(|(id, _)| Instance {
                instance_id: Some(id),
            })
            .collect(),
    );
    Ok(lb)
}

/// The load balancer's instances with their states: those registered by hand, then those of
/// the groups that name it (registered while launched and not terminating).
fn instances(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    name: &str,
) -> Result<Vec<(String, &'static str)>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT instance_id FROM elb_instances WHERE owner = ?1 AND lb_name = ?2 \
         ORDER BY instance_id",
    )?;
    let ids = stmt
        .query_map(params![ctx.owner, name], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut all: Vec<(String, &'static str)> = Vec::new();
    for id in ids {
        let state = match rows::instance_place(ctx, tx, &id)? {
            None => "OutOfService",
            Some(_) => "InService",
        };
        all.push((id, state));
    }
    for t in rows::group_targets(ctx, tx, ELB, name)? {
        if t.state == "draining" || all.iter().any(|(id, _)| *id == t.id) {
            continue;
        }
        let state = if t.state == "healthy" {
            "InService"
        } else {
            "OutOfService"
        };
        all.push((t.id, state));
    }
    Ok(all)
}

fn save(ctx: &Ctx<'_>, tx: &Transaction<'_>, lb: &LoadBalancerDescription) -> Result<(), ApiError> {
    let mut stored = lb.clone();
    stored.instances = None;
    tx.execute_cached(
        "INSERT INTO elb_load_balancers (owner, name, doc) VALUES (?1, ?2, ?3) \
         ON CONFLICT (owner, name) DO UPDATE SET doc = excluded.doc",
        params![ctx.owner, lb.load_balancer_name, rows::doc(&stored)?],
    )?;
    Ok(())
}

impl Handle for CreateLoadBalancerInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let name = &self.load_balancer_name;
        if !rows::valid_name(name) {
            return Err(ApiError::validation(format!(
                "LoadBalancerName '{}' must have at most 32 characters: letters, digits and \
                 hyphens, not beginning or ending with a hyphen",
                shorten(name)
            )));
        }
        if self.listeners.is_empty() {
            return Err(ApiError::validation(
                "At least one listener must be specified",
            ));
        }
        let mut descriptions = Vec::new();
        for l in &self.listeners {
            let protocol = l.protocol.clone().unwrap_or_default().to_ascii_uppercase();
            if !PROTOCOLS.contains(&protocol.as_str()) {
                return Err(ApiError::with_status(
                    400,
                    "UnsupportedProtocol",
                    format!("Protocol '{}' is not supported", shorten(&protocol)),
                ));
            }
            let lb_port = l.load_balancer_port.unwrap_or(0);
            let instance_port = l.instance_port.unwrap_or(0);
            rows::check_port("loadBalancerPort", lb_port)?;
            rows::check_port("instancePort", instance_port)?;
            if matches!(protocol.as_str(), "HTTPS" | "SSL") && l.ssl_certificate_id.is_none() {
                return Err(ApiError::validation(format!(
                    "A certificate must be specified for {protocol} listeners"
                )));
            }
            let mut listener = l.clone();
            listener.protocol = Some(protocol.clone());
            listener.instance_protocol = Some(
                l.instance_protocol
                    .clone()
                    .map(|p| p.to_ascii_uppercase())
                    .unwrap_or(protocol),
            );
            descriptions.push(ListenerDescription {
                listener: Some(listener),
                policy_names: Some(Vec::new()),
            });
        }
        let (zones, subnets, vpc) = match (&self.availability_zones, &self.subnets) {
            (Some(_), Some(_)) => {
                return Err(ApiError::validation(
                    "Availability Zones and subnets cannot both be specified",
                ));
            }
            (Some(z), None) if !z.is_empty() => {
                let known = ec2_rows::zones(ctx);
                if let Some(bad) = z.iter().find(|z| !known.contains(z)) {
                    return Err(ApiError::validation(format!(
                        "Availability Zone '{}' is not valid",
                        shorten(bad)
                    )));
                }
                (z.clone(), Vec::new(), None)
            }
            (None, Some(s)) if !s.is_empty() => {
                let known = ec2_rows::subnets(tx, ctx.owner)?;
                let mut zones = Vec::new();
                let mut vpc = None;
                for id in s {
                    let row = known.iter().find(|k| &k.id == id).ok_or_else(|| {
                        ApiError::with_status(
                            400,
                            "SubnetNotFound",
                            format!("The subnet ID '{}' is not valid", shorten(id)),
                        )
                    })?;
                    if vpc.as_ref().is_some_and(|v| v != &row.vpc_id) {
                        return Err(ApiError::with_status(
                            400,
                            "InvalidSubnet",
                            "The subnets must all be in the same VPC",
                        ));
                    }
                    vpc = Some(row.vpc_id.clone());
                    zones.push(row.zone.clone());
                }
                (zones, s.clone(), vpc)
            }
            _ => {
                return Err(ApiError::validation(
                    "Either AvailabilityZones or SubnetIds must be specified",
                ));
            }
        };
        let internal = self.scheme.as_deref() == Some("internal");
        let dns_name = format!(
            "{}{name}-{}.{}.elb.amazonaws.com",
            if internal { "internal-" } else { "" },
            &rows::new_hex16()[..10],
            ctx.settings.region
        );
        let existing: Option<String> = tx
            .query_row_cached(
                "SELECT doc FROM elb_load_balancers WHERE owner = ?1 AND name = ?2",
                params![ctx.owner, name],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(doc) = existing {
            let lb: LoadBalancerDescription = serde_json::from_str(&doc)?;
            if lb.listener_descriptions.as_ref() == Some(&descriptions)
                && lb.availability_zones.as_ref() == Some(&zones)
            {
                return Ok(CreateLoadBalancerOutput {
                    dns_name: lb.dns_name,
                });
            }
            return Err(ApiError::with_status(
                400,
                "DuplicateLoadBalancerName",
                "The specified load balancer name already exists for this account.",
            ));
        }
        let lb = LoadBalancerDescription {
            load_balancer_name: Some(name.clone()),
            dns_name: Some(dns_name.clone()),
            canonical_hosted_zone_name: Some(dns_name.clone()),
            canonical_hosted_zone_name_id: Some("Z35SXDOTRQ7X7K".into()),
            listener_descriptions: Some(descriptions),
            policies: Some(Policies {
                app_cookie_stickiness_policies: Some(Vec::new()),
                lb_cookie_stickiness_policies: Some(Vec::new()),
                other_policies: Some(Vec::new()),
            }),
            backend_server_descriptions: Some(Vec::new()),
            availability_zones: Some(zones),
            subnets: Some(subnets),
            vpc_id: vpc,
            health_check: Some(HealthCheck {
                target: Some(format!(
                    "TCP:{}",
                    self.listeners[0].instance_port.unwrap_or(80)
                )),
                interval: Some(30),
                timeout: Some(5),
                unhealthy_threshold: Some(2),
                healthy_threshold: Some(10),
            }),
            source_security_group: Some(SourceSecurityGroup {
                owner_alias: Some(ctx.settings.account_id.clone()),
                group_name: Some("default".into()),
            }),
            security_groups: Some(self.security_groups.clone().unwrap_or_default()),
            created_time: Some(crate::server::lifecycle::timestamp(ctx.now)),
            scheme: Some(
                if internal {
                    "internal"
                } else {
                    "internet-facing"
                }
                .into(),
            ),
            ..Default::default()
        };
        save(ctx, tx, &lb)?;
        Ok(CreateLoadBalancerOutput {
            dns_name: Some(dns_name),
        })
    }
}

impl Handle for DescribeLoadBalancersInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let names: Vec<String> = match &self.load_balancer_names {
            Some(n) => n.clone(),
            None => {
                let mut stmt = tx.prepare_cached(
                    "SELECT name FROM elb_load_balancers WHERE owner = ?1 ORDER BY name",
                )?;
                stmt.query_map(params![ctx.owner], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        let all = names
            .iter()
            .map(|n| load(ctx, tx, n))
            .collect::<Result<Vec<_>, _>>()?;
        let (page, next) = super::page(all, self.page_size, 400, self.marker.as_deref())?;
        Ok(DescribeLoadBalancersOutput {
            load_balancer_descriptions: Some(page),
            next_marker: next,
        })
    }
}

impl Handle for DeleteLoadBalancerInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let name = &self.load_balancer_name;
        let groups = rows::groups_of(ctx, tx, ELB, name)?;
        if let Some(group) = groups.first() {
            return Err(ApiError::with_status(
                400,
                "ResourceInUse",
                format!(
                    "The load balancer {} is in use by the Auto Scaling group {}",
                    shorten(name),
                    shorten(group)
                ),
            ));
        }
        // Deleting one that does not exist succeeds, as on AWS.
        tx.execute_cached(
            "DELETE FROM elb_instances WHERE owner = ?1 AND lb_name = ?2",
            params![ctx.owner, name],
        )?;
        tx.execute_cached(
            "DELETE FROM elb_load_balancers WHERE owner = ?1 AND name = ?2",
            params![ctx.owner, name],
        )?;
        Ok(DeleteLoadBalancerOutput {})
    }
}

/// The instance ids of a Register or Deregister call.
fn ids(given: &[Instance]) -> Result<Vec<String>, ApiError> {
    given
        .iter()
        .map(|i| {
            i.instance_id
                .clone()
                .filter(|id| !id.is_empty())
                .ok_or_else(|| ApiError::validation("An instance must have an InstanceId"))
        })
        .collect()
}

fn invalid_instance(ids: &[String]) -> ApiError {
    ApiError::with_status(
        400,
        "InvalidInstance",
        format!(
            "The requested instance(s) are not valid: {}",
            shorten(&ids.join(", "))
        ),
    )
}

impl Handle for RegisterInstancesWithLoadBalancerInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let lb = load(ctx, tx, &self.load_balancer_name)?;
        let ids = ids(&self.instances)?;
        let mut bad = Vec::new();
        for id in &ids {
            match rows::instance_place(ctx, tx, id)? {
                None => bad.push(id.clone()),
                Some((_, vpc)) if lb.vpc_id.as_ref().is_some_and(|v| v != &vpc) => {
                    bad.push(id.clone())
                }
                Some(_) => {}
            }
        }
        if !bad.is_empty() {
            return Err(invalid_instance(&bad));
        }
        for id in &ids {
            tx.execute_cached(
                "INSERT INTO elb_instances (owner, lb_name, instance_id) VALUES (?1, ?2, ?3) \
                 ON CONFLICT DO NOTHING",
                params![ctx.owner, self.load_balancer_name, id],
            )?;
        }
        Ok(RegisterInstancesWithLoadBalancerOutput {
            instances: load(ctx, tx, &self.load_balancer_name)?.instances,
        })
    }
}

impl Handle for DeregisterInstancesFromLoadBalancerInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let lb = load(ctx, tx, &self.load_balancer_name)?;
        let ids = ids(&self.instances)?;
        let registered: Vec<String> = lb
            .instances
            .iter()
            .flatten()
            .filter_map(|i| i.instance_id.clone())
            .collect();
        let bad: Vec<String> = ids
            .iter()
            .filter(|id| !registered.contains(id))
            .cloned()
            .collect();
        if !bad.is_empty() {
            return Err(invalid_instance(&bad));
        }
        for id in &ids {
            tx.execute_cached(
                "DELETE FROM elb_instances WHERE owner = ?1 AND lb_name = ?2 AND instance_id = ?3",
                params![ctx.owner, self.load_balancer_name, id],
            )?;
        }
        Ok(DeregisterInstancesFromLoadBalancerOutput {
            instances: load(ctx, tx, &self.load_balancer_name)?.instances,
        })
    }
}

impl Handle for DescribeInstanceHealthInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        load(ctx, tx, &self.load_balancer_name)?;
        let all = instances(ctx, tx, &self.load_balancer_name)?;
        let state = |id: &str, state: &str| {
            let (reason, description) = if state == "InService" {
                ("N/A", "N/A")
            } else {
                (
                    "Instance",
                    "Instance has failed at least the UnhealthyThreshold number of health checks consecutively.",
                )
            };
            InstanceState {
                instance_id: Some(id.to_string()),
                state: Some(state.into()),
                reason_code: Some(reason.into()),
                description: Some(description.into()),
            }
        };
        let chosen: Vec<InstanceState> = match &self.instances {
            None => all.iter().map(|(id, s)| state(id, s)).collect(),
            Some(wanted) => {
                let wanted = ids(wanted)?;
                let bad: Vec<String> = wanted
                    .iter()
                    .filter(|w| !all.iter().any(|(id, _)| id == *w))
                    .cloned()
                    .collect();
                if !bad.is_empty() {
                    return Err(invalid_instance(&bad));
                }
                wanted
                    .iter()
                    .filter_map(|w| all.iter().find(|(id, _)| id == w))
                    .map(|(id, s)| state(id, s))
                    .collect()
            }
        };
        Ok(DescribeInstanceHealthOutput {
            instance_states: Some(chosen),
        })
    }
}

impl Handle for ConfigureHealthCheckInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let mut lb = load(ctx, tx, &self.load_balancer_name)?;
        let check = self.health_check;
        let target = check.target.clone().unwrap_or_default();
        let (protocol, rest) = target.split_once(':').unwrap_or((target.as_str(), ""));
        let port_text = rest.split('/').next().unwrap_or("");
        let valid = PROTOCOLS.contains(&protocol)
            && port_text
                .parse::<i32>()
                .is_ok_and(|p| (1..=65535).contains(&p))
            && (matches!(protocol, "HTTP" | "HTTPS") == rest.contains('/'));
        if !valid {
            return Err(ApiError::validation(format!(
                "HealthCheck Target '{}' must be PROTOCOL:PORT (TCP, SSL) or PROTOCOL:PORT/PATH \
                 (HTTP, HTTPS)",
                shorten(&target)
            )));
        }
        let range = |member: &str, v: Option<i32>, lo: i32, hi: i32| match v {
            Some(v) if (lo..=hi).contains(&v) => Ok(()),
            _ => Err(ApiError::validation(format!(
                "HealthCheck {member} must be between {lo} and {hi}"
            ))),
        };
        range("Interval", check.interval, 5, 300)?;
        range("Timeout", check.timeout, 2, 60)?;
        range("UnhealthyThreshold", check.unhealthy_threshold, 2, 10)?;
        range("HealthyThreshold", check.healthy_threshold, 2, 10)?;
        if check.timeout >= check.interval {
            return Err(ApiError::validation(
                "HealthCheck Timeout must be less than Interval",
            ));
        }
        lb.health_check = Some(check.clone());
        save(ctx, tx, &lb)?;
        Ok(ConfigureHealthCheckOutput {
            health_check: Some(check),
        })
    }
}
