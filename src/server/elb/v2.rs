//! ELBv2's handlers: load balancers, target groups, listeners, targets and their health, with
//! the rules and errors of the ELBv2 API reference (names, duplicate names, the subnets and
//! VPC of a load balancer, protocols and ports, a target group in use, targets in the target
//! group's VPC). Creates with the same settings as an existing resource answer it again (the
//! reference: "If you attempt to create multiple ... with the same settings, each call
//! succeeds"); with other settings they are refused as duplicates.

use rusqlite::{Transaction, params};

use super::Handle;
use super::rows::{self, GroupTarget};
use crate::elb::v2::types::*;
use crate::server::ec2::rows as ec2_rows;
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::Ctx;
use crate::server::rows::attachments::ELBV2;
use crate::server::store::Cached;

const LB_TYPES: &[&str] = &["application", "network", "gateway"];
const SCHEMES: &[&str] = &["internet-facing", "internal"];
const PROTOCOLS: &[&str] = &["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE"];
const TARGET_TYPES: &[&str] = &["instance", "ip", "lambda", "alb"];

/// The listener protocols a load balancer type takes.
fn listener_protocols(kind: &str) -> &'static [&'static str] {
    match kind {
        "application" => &["HTTP", "HTTPS"],
        "network" => &["TCP", "TLS", "UDP", "TCP_UDP"],
        _ => &["GENEVE"],
    }
}

fn name_error(what: &str, name: &str) -> ApiError {
    ApiError::validation(format!(
        "{what} name '{}' can have a maximum of 32 characters, can contain only alphanumeric \
         characters or hyphens, and must not begin or end with a hyphen",
        shorten(name)
    ))
}

impl Handle for CreateLoadBalancerInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        if !rows::valid_name(&self.name) || self.name.starts_with("internal-") {
            return Err(name_error("Load balancer", &self.name));
        }
        let kind = self.r#type.clone().unwrap_or_else(|| "application".into());
        if !LB_TYPES.contains(&kind.as_str()) {
            return Err(rows::not_one_of("type", &kind, LB_TYPES));
        }
        let scheme = self
            .scheme
            .clone()
            .unwrap_or_else(|| "internet-facing".into());
        if !SCHEMES.contains(&scheme.as_str()) {
            return Err(rows::not_one_of("scheme", &scheme, SCHEMES));
        }
        let mut ids: Vec<String> = self.subnets.clone().unwrap_or_default();
        ids.extend(
            self.subnet_mappings
                .iter()
                .flatten()
                .filter_map(|m| m.subnet_id.clone()),
        );
        if ids.is_empty() {
            return Err(ApiError::validation(
                "At least one subnet must be specified",
            ));
        }
        let known = ec2_rows::subnets(tx, ctx.owner)?;
        let missing: Vec<&str> = ids
            .iter()
            .filter(|id| !known.iter().any(|s| &s.id == *id))
            .map(String::as_str)
            .collect();
        if let Some(first) = missing.first() {
            return Err(ApiError::with_status(
                400,
                "SubnetNotFound",
                format!("The subnet ID '{}' is not valid", shorten(first)),
            ));
        }
        let chosen: Vec<&ec2_rows::SubnetRow> = ids
            .iter()
            .filter_map(|id| known.iter().find(|s| &s.id == id))
            .collect();
        let vpc = chosen[0].vpc_id.clone();
        if chosen.iter().any(|s| s.vpc_id != vpc) {
            return Err(ApiError::with_status(
                400,
                "InvalidSubnet",
                "The subnets must all be in the same VPC",
            ));
        }
        let mut zones: Vec<&str> = chosen.iter().map(|s| s.zone.as_str()).collect();
        zones.sort_unstable();
        let before = zones.len();
        zones.dedup();
        if zones.len() != before {
            return Err(ApiError::with_status(
                400,
                "InvalidConfigurationRequest",
                "A load balancer cannot be attached to multiple subnets in the same Availability \
                 Zone",
            ));
        }
        if kind == "application" && zones.len() < 2 {
            return Err(ApiError::validation(
                "At least two subnets in two different Availability Zones must be specified",
            ));
        }
        let azs: Vec<AvailabilityZone> = chosen
            .iter()
            .map(|s| AvailabilityZone {
                zone_name: Some(s.zone.clone()),
                subnet_id: Some(s.id.clone()),
                ..Default::default()
            })
            .collect();
        if let Some(existing) = rows::load_balancers(ctx, tx)?
            .into_iter()
            .find(|lb| lb.load_balancer_name.as_deref() == Some(&self.name))
        {
            let same = existing.r#type.as_deref() == Some(&kind)
                && existing.scheme.as_deref() == Some(&scheme)
                && existing.availability_zones.as_ref() == Some(&azs);
            if same {
                return Ok(CreateLoadBalancerOutput {
                    load_balancers: Some(vec![existing]),
                });
            }
            return Err(ApiError::with_status(
                400,
                "DuplicateLoadBalancerName",
                "A load balancer with the specified name already exists.",
            ));
        }
        let short = match kind.as_str() {
            "application" => "app",
            "network" => "net",
            _ => "gwy",
        };
        let id = rows::new_hex16();
        let arn = rows::arn(ctx, &format!("loadbalancer/{short}/{}/{id}", self.name));
        let internal = if scheme == "internal" {
            "internal-"
        } else {
            ""
        };
        let dns_name = match kind.as_str() {
            "application" => format!(
                "{internal}{}-{}.{}.elb.amazonaws.com",
                self.name,
                &id[..10],
                ctx.settings.region
            ),
            _ => format!(
                "{}-{id}.elb.{}.amazonaws.com",
                self.name, ctx.settings.region
            ),
        };
        let lb = LoadBalancer {
            load_balancer_arn: Some(arn.clone()),
            dns_name: Some(dns_name),
            canonical_hosted_zone_id: Some("Z35SXDOTRQ7X7K".into()),
            created_time: Some(crate::server::lifecycle::timestamp(ctx.now)),
            load_balancer_name: Some(self.name.clone()),
            scheme: Some(scheme),
            vpc_id: Some(vpc),
            state: Some(LoadBalancerState {
                code: Some("active".into()),
                reason: None,
            }),
            r#type: Some(kind.clone()),
            availability_zones: Some(azs),
            security_groups: (kind == "application")
                .then(|| self.security_groups.clone().unwrap_or_default()),
            ip_address_type: Some(
                self.ip_address_type
                    .clone()
                    .unwrap_or_else(|| "ipv4".into()),
            ),
            ..Default::default()
        };
        tx.execute_cached(
            "INSERT INTO elbv2_load_balancers (owner, arn, name, doc) VALUES (?1, ?2, ?3, ?4)",
            params![ctx.owner, arn, self.name, rows::doc(&lb)?],
        )?;
        Ok(CreateLoadBalancerOutput {
            load_balancers: Some(vec![lb]),
        })
    }
}

impl Handle for DescribeLoadBalancersInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let all = rows::load_balancers(ctx, tx)?;
        let chosen = match (&self.load_balancer_arns, &self.names) {
            (Some(_), Some(_)) => {
                return Err(ApiError::validation(
                    "Load balancer names and load balancer ARNs cannot be specified at the same \
                     time",
                ));
            }
            (Some(arns), None) => pick(&all, arns, |lb| lb.load_balancer_arn.as_deref())?,
            (None, Some(names)) => pick(&all, names, |lb| lb.load_balancer_name.as_deref())?,
            (None, None) => all,
        };
        let (page, next) = super::page(chosen, self.page_size, 400, self.marker.as_deref())?;
        Ok(DescribeLoadBalancersOutput {
            load_balancers: Some(page),
            next_marker: next,
        })
    }
}

/// The items of `all` that `wanted` names (by `key`), in `all`'s order; one missing is
/// `LoadBalancerNotFound`.
fn pick<T: Clone>(
    all: &[T],
    wanted: &[String],
    key: impl Fn(&T) -> Option<&str>,
) -> Result<Vec<T>, ApiError> {
    if wanted
        .iter()
        .any(|w| !all.iter().any(|x| key(x) == Some(w.as_str())))
    {
        return Err(rows::load_balancer_not_found());
    }
    Ok(all
        .iter()
        .filter(|x| wanted.iter().any(|w| key(x) == Some(w.as_str())))
        .cloned()
        .collect())
}

impl Handle for DeleteLoadBalancerInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        // Deleting a load balancer that does not exist succeeds (the reference: "If the load
        // balancer does not exist or has already been deleted, the call succeeds"); its
        // listeners go with it, its target groups stay.
        tx.execute_cached(
            "DELETE FROM elbv2_listeners WHERE owner = ?1 AND lb_arn = ?2",
            params![ctx.owner, self.load_balancer_arn],
        )?;
        tx.execute_cached(
            "DELETE FROM elbv2_load_balancers WHERE owner = ?1 AND arn = ?2",
            params![ctx.owner, self.load_balancer_arn],
        )?;
        Ok(DeleteLoadBalancerOutput {})
    }
}

/// The health check defaults of a target group of `protocol` (the CreateTargetGroup reference).
fn health_defaults(tg: &mut TargetGroup, protocol: &str) {
    let http = matches!(protocol, "HTTP" | "HTTPS");
    tg.health_check_protocol.get_or_insert_with(|| {
        if protocol == "HTTPS" {
            "HTTPS".into()
        } else if http {
            "HTTP".into()
        } else {
            "TCP".into()
        }
    });
    tg.health_check_port
        .get_or_insert_with(|| "traffic-port".into());
    tg.health_check_enabled.get_or_insert(true);
    tg.health_check_interval_seconds.get_or_insert(30);
    tg.health_check_timeout_seconds
        .get_or_insert(if http { 5 } else { 10 });
    tg.healthy_threshold_count.get_or_insert(5);
    tg.unhealthy_threshold_count.get_or_insert(2);
    if http {
        tg.health_check_path.get_or_insert_with(|| "/".into());
        tg.matcher.get_or_insert_with(|| Matcher {
            http_code: Some("200".into()),
            grpc_code: None,
        });
    }
}

/// Checks the health check settings a Create or Modify gives.
fn check_health(
    interval: Option<i32>,
    timeout: Option<i32>,
    healthy: Option<i32>,
    unhealthy: Option<i32>,
    protocol: Option<&str>,
) -> Result<(), ApiError> {
    let range = |member: &str, v: Option<i32>, lo: i32, hi: i32| match v {
        Some(v) if !(lo..=hi).contains(&v) => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{v}' at '{member}' failed to satisfy \
             constraint: Member must have value between {lo} and {hi}"
        ))),
        _ => Ok(()),
    };
    range("healthCheckIntervalSeconds", interval, 5, 300)?;
    range("healthCheckTimeoutSeconds", timeout, 2, 120)?;
    range("healthyThresholdCount", healthy, 2, 10)?;
    range("unhealthyThresholdCount", unhealthy, 2, 10)?;
    if let (Some(i), Some(t)) = (interval, timeout)
        && t >= i
    {
        return Err(ApiError::validation(
            "Health check interval must be greater than the timeout.",
        ));
    }
    if let Some(p) = protocol
        && !["HTTP", "HTTPS", "TCP"].contains(&p)
    {
        return Err(rows::not_one_of(
            "healthCheckProtocol",
            p,
            &["HTTP", "HTTPS", "TCP"],
        ));
    }
    Ok(())
}

impl Handle for CreateTargetGroupInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        if !rows::valid_name(&self.name) {
            return Err(name_error("Target group", &self.name));
        }
        let target_type = self
            .target_type
            .clone()
            .unwrap_or_else(|| "instance".into());
        if !TARGET_TYPES.contains(&target_type.as_str()) {
            return Err(rows::not_one_of("targetType", &target_type, TARGET_TYPES));
        }
        let lambda = target_type == "lambda";
        if let Some(p) = &self.protocol
            && !PROTOCOLS.contains(&p.as_str())
        {
            return Err(rows::not_one_of("protocol", p, PROTOCOLS));
        }
        let (protocol, port, vpc) = if lambda {
            (None, None, None)
        } else {
            let protocol = self
                .protocol
                .clone()
                .ok_or_else(|| ApiError::validation("A protocol must be specified"))?;
            let port = self
                .port
                .ok_or_else(|| ApiError::validation("A port must be specified"))?;
            rows::check_port("port", port)?;
            let vpc = self
                .vpc_id
                .clone()
                .ok_or_else(|| ApiError::validation("A VPC ID must be specified"))?;
            if !ec2_rows::vpcs(tx, ctx.owner)?
                .iter()
                .any(|v| v.vpc_id.as_deref() == Some(&vpc))
            {
                return Err(ApiError::validation(format!(
                    "The VPC ID '{}' is not found",
                    shorten(&vpc)
                )));
            }
            (Some(protocol), Some(port), Some(vpc))
        };
        check_health(
            self.health_check_interval_seconds,
            self.health_check_timeout_seconds,
            self.healthy_threshold_count,
            self.unhealthy_threshold_count,
            self.health_check_protocol.as_deref(),
        )?;
        let mut tg = TargetGroup {
            target_group_name: Some(self.name.clone()),
            protocol: protocol.clone(),
            port,
            vpc_id: vpc,
            health_check_protocol: self.health_check_protocol.clone(),
            health_check_port: self.health_check_port.clone(),
            health_check_enabled: self.health_check_enabled,
            health_check_interval_seconds: self.health_check_interval_seconds,
            health_check_timeout_seconds: self.health_check_timeout_seconds,
            healthy_threshold_count: self.healthy_threshold_count,
            unhealthy_threshold_count: self.unhealthy_threshold_count,
            health_check_path: self.health_check_path.clone(),
            matcher: self.matcher.clone(),
            target_type: Some(target_type),
            protocol_version: matches!(protocol.as_deref(), Some("HTTP" | "HTTPS")).then(|| {
                self.protocol_version
                    .clone()
                    .unwrap_or_else(|| "HTTP1".into())
            }),
            ip_address_type: (!lambda).then(|| {
                self.ip_address_type
                    .clone()
                    .unwrap_or_else(|| "ipv4".into())
            }),
            ..Default::default()
        };
        health_defaults(&mut tg, protocol.as_deref().unwrap_or("HTTP"));
        if let Some(mut existing) = rows::target_groups(ctx, tx)?
            .into_iter()
            .find(|g| g.target_group_name.as_deref() == Some(&self.name))
        {
            let mut compared = existing.clone();
            compared.target_group_arn = None;
            compared.load_balancer_arns = None;
            if compared == tg {
                existing.load_balancer_arns.get_or_insert_with(Vec::new);
                return Ok(CreateTargetGroupOutput {
                    target_groups: Some(vec![existing]),
                });
            }
            return Err(ApiError::with_status(
                400,
                "DuplicateTargetGroupName",
                "A target group with the specified name already exists.",
            ));
        }
        let arn = rows::arn(
            ctx,
            &format!("targetgroup/{}/{}", self.name, rows::new_hex16()),
        );
        tg.target_group_arn = Some(arn.clone());
        tx.execute_cached(
            "INSERT INTO elbv2_target_groups (owner, arn, name, doc) VALUES (?1, ?2, ?3, ?4)",
            params![ctx.owner, arn, self.name, rows::doc(&tg)?],
        )?;
        tg.load_balancer_arns = Some(Vec::new());
        Ok(CreateTargetGroupOutput {
            target_groups: Some(vec![tg]),
        })
    }
}

impl Handle for DescribeTargetGroupsInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let given = [
            self.load_balancer_arn.is_some(),
            self.target_group_arns.is_some(),
            self.names.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(ApiError::validation(
                "Target group names, target group ARNs, and a load balancer ARN cannot be \
                 specified at the same time",
            ));
        }
        let all = rows::target_groups(ctx, tx)?;
        let missing = || rows::target_group_not_found();
        let chosen: Vec<TargetGroup> = if let Some(lb) = &self.load_balancer_arn {
            if !rows::load_balancers(ctx, tx)?
                .iter()
                .any(|l| l.load_balancer_arn.as_deref() == Some(lb))
            {
                return Err(rows::load_balancer_not_found());
            }
            all.into_iter()
                .filter(|g| g.load_balancer_arns.iter().flatten().any(|a| a == lb))
                .collect()
        } else if let Some(arns) = &self.target_group_arns {
            pick(&all, arns, |g| g.target_group_arn.as_deref()).map_err(|_| missing())?
        } else if let Some(names) = &self.names {
            pick(&all, names, |g| g.target_group_name.as_deref()).map_err(|_| missing())?
        } else {
            all
        };
        let (page, next) = super::page(chosen, self.page_size, 400, self.marker.as_deref())?;
        Ok(DescribeTargetGroupsOutput {
            target_groups: Some(page),
            next_marker: next,
        })
    }
}

/// The stored target group of `arn`, or `TargetGroupNotFound`.
fn require_group(ctx: &Ctx<'_>, tx: &Transaction<'_>, arn: &str) -> Result<TargetGroup, ApiError> {
    rows::target_group(ctx, tx, arn)?.ok_or_else(rows::target_group_not_found)
}

fn save_group(ctx: &Ctx<'_>, tx: &Transaction<'_>, tg: &TargetGroup) -> Result<(), ApiError> {
    let mut stored = tg.clone();
    stored.load_balancer_arns = None;
    tx.execute_cached(
        "UPDATE elbv2_target_groups SET doc = ?3 WHERE owner = ?1 AND arn = ?2",
        params![ctx.owner, tg.target_group_arn, rows::doc(&stored)?],
    )?;
    Ok(())
}

impl Handle for ModifyTargetGroupInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let mut tg = require_group(ctx, tx, &self.target_group_arn)?;
        macro_rules! set {
            ($($field:ident),*) => {
                $(if self.$field.is_some() {
                    tg.$field = self.$field.clone();
                })*
            };
        }
        set!(
            health_check_protocol,
            health_check_port,
            health_check_path,
            health_check_enabled,
            health_check_interval_seconds,
            health_check_timeout_seconds,
            healthy_threshold_count,
            unhealthy_threshold_count,
            matcher
        );
        check_health(
            tg.health_check_interval_seconds,
            tg.health_check_timeout_seconds,
            tg.healthy_threshold_count,
            tg.unhealthy_threshold_count,
            tg.health_check_protocol.as_deref(),
        )?;
        save_group(ctx, tx, &tg)?;
        Ok(ModifyTargetGroupOutput {
            target_groups: Some(vec![tg]),
        })
    }
}

impl Handle for DeleteTargetGroupInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let arn = &self.target_group_arn;
        let in_use = rows::listeners(ctx, tx)?
            .iter()
            .any(|l| rows::forwarded_groups(l).iter().any(|t| t == arn));
        let groups = rows::groups_of(ctx, tx, ELBV2, arn)?;
        if in_use || !groups.is_empty() {
            let by = if in_use {
                "a listener or a rule".to_string()
            } else {
                format!("the Auto Scaling group {}", shorten(&groups[0]))
            };
            return Err(ApiError::with_status(
                400,
                "ResourceInUse",
                format!(
                    "Target group '{}' is currently in use by {by}",
                    shorten(arn)
                ),
            ));
        }
        // A target group already gone: the call succeeds, as a delete of a load balancer does.
        tx.execute_cached(
            "DELETE FROM elbv2_targets WHERE owner = ?1 AND tg_arn = ?2",
            params![ctx.owner, arn],
        )?;
        tx.execute_cached(
            "DELETE FROM elbv2_target_groups WHERE owner = ?1 AND arn = ?2",
            params![ctx.owner, arn],
        )?;
        Ok(DeleteTargetGroupOutput {})
    }
}

impl Handle for CreateListenerInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let lb = rows::load_balancers(ctx, tx)?
            .into_iter()
            .find(|l| l.load_balancer_arn.as_deref() == Some(&self.load_balancer_arn))
            .ok_or_else(rows::load_balancer_not_found)?;
        let kind = lb.r#type.clone().unwrap_or_default();
        let allowed = listener_protocols(&kind);
        let protocol = self
            .protocol
            .clone()
            .unwrap_or_else(|| allowed[0].to_string());
        if !PROTOCOLS.contains(&protocol.as_str()) {
            return Err(rows::not_one_of("protocol", &protocol, PROTOCOLS));
        }
        if !allowed.contains(&protocol.as_str()) {
            return Err(ApiError::with_status(
                400,
                "UnsupportedProtocol",
                format!(
                    "Protocol '{protocol}' is not supported for load balancers of type '{kind}'"
                ),
            ));
        }
        let port = match (self.port, kind.as_str()) {
            (Some(p), _) => p,
            (None, "gateway") => 6081,
            (None, _) => return Err(ApiError::validation("A listener port must be specified")),
        };
        rows::check_port("port", port)?;
        if matches!(protocol.as_str(), "HTTPS" | "TLS")
            && self.certificates.as_ref().is_none_or(|c| c.is_empty())
        {
            return Err(ApiError::validation(format!(
                "A certificate must be specified for {protocol} listeners"
            )));
        }
        if self.default_actions.is_empty() {
            return Err(ApiError::validation(
                "At least one default action is required",
            ));
        }
        let listener = Listener {
            load_balancer_arn: Some(self.load_balancer_arn.clone()),
            port: Some(port),
            protocol: Some(protocol.clone()),
            certificates: self.certificates.clone(),
            ssl_policy: matches!(protocol.as_str(), "HTTPS" | "TLS").then(|| {
                self.ssl_policy
                    .clone()
                    .unwrap_or_else(|| "ELBSecurityPolicy-2016-08".into())
            }),
            default_actions: Some(self.default_actions.clone()),
            alpn_policy: self.alpn_policy.clone(),
            ..Default::default()
        };
        let all_groups = rows::target_groups(ctx, tx)?;
        for arn in rows::forwarded_groups(&listener) {
            let tg = all_groups
                .iter()
                .find(|g| g.target_group_arn.as_deref() == Some(&arn))
                .ok_or_else(rows::target_group_not_found)?;
            let tg_protocol = tg.protocol.as_deref().unwrap_or("");
            let http = |p: &str| matches!(p, "HTTP" | "HTTPS");
            if http(&protocol) != http(tg_protocol) {
                return Err(ApiError::with_status(
                    400,
                    "IncompatibleProtocols",
                    format!(
                        "The listener protocol '{protocol}' is not compatible with the target \
                         group protocol '{tg_protocol}'"
                    ),
                ));
            }
            if tg.vpc_id.is_some() && tg.vpc_id != lb.vpc_id {
                return Err(ApiError::validation(format!(
                    "The target group '{}' is in VPC '{}', not in the load balancer's VPC",
                    shorten(&arn),
                    shorten(tg.vpc_id.as_deref().unwrap_or(""))
                )));
            }
            if tg
                .load_balancer_arns
                .iter()
                .flatten()
                .any(|other| other != &self.load_balancer_arn)
            {
                return Err(ApiError::with_status(
                    400,
                    "TargetGroupAssociationLimit",
                    format!(
                        "The following target groups cannot be associated with more than one \
                         load balancer: {}",
                        shorten(&arn)
                    ),
                ));
            }
        }
        let existing = rows::listeners(ctx, tx)?.into_iter().find(|l| {
            l.load_balancer_arn.as_deref() == Some(&self.load_balancer_arn) && l.port == Some(port)
        });
        if let Some(existing) = existing {
            let mut compared = existing.clone();
            compared.listener_arn = None;
            if compared == listener {
                return Ok(CreateListenerOutput {
                    listeners: Some(vec![existing]),
                });
            }
            return Err(ApiError::with_status(
                400,
                "DuplicateListener",
                "A listener already exists on this port for this load balancer",
            ));
        }
        let lb_path = self
            .load_balancer_arn
            .split_once(":loadbalancer/")
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_default();
        let arn = rows::arn(ctx, &format!("listener/{lb_path}/{}", rows::new_hex16()));
        let mut listener = listener;
        listener.listener_arn = Some(arn.clone());
        tx.execute_cached(
            "INSERT INTO elbv2_listeners (owner, arn, lb_arn, port, doc) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                ctx.owner,
                arn,
                self.load_balancer_arn,
                port,
                rows::doc(&listener)?
            ],
        )?;
        Ok(CreateListenerOutput {
            listeners: Some(vec![listener]),
        })
    }
}

impl Handle for DescribeListenersInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let all = rows::listeners(ctx, tx)?;
        let chosen: Vec<Listener> = match (&self.load_balancer_arn, &self.listener_arns) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(ApiError::validation(
                    "You must specify either listener ARNs or a load balancer ARN",
                ));
            }
            (Some(lb), None) => {
                if !rows::load_balancers(ctx, tx)?
                    .iter()
                    .any(|l| l.load_balancer_arn.as_deref() == Some(lb))
                {
                    return Err(rows::load_balancer_not_found());
                }
                all.into_iter()
                    .filter(|l| l.load_balancer_arn.as_deref() == Some(lb))
                    .collect()
            }
            (None, Some(arns)) => pick(&all, arns, |l| l.listener_arn.as_deref())
                .map_err(|_| rows::listener_not_found())?,
        };
        let (page, next) = super::page(chosen, self.page_size, 400, self.marker.as_deref())?;
        Ok(DescribeListenersOutput {
            listeners: Some(page),
            next_marker: next,
        })
    }
}

impl Handle for DeleteListenerInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let gone = tx.execute_cached(
            "DELETE FROM elbv2_listeners WHERE owner = ?1 AND arn = ?2",
            params![ctx.owner, self.listener_arn],
        )?;
        if gone == 0 {
            return Err(rows::listener_not_found());
        }
        Ok(DeleteListenerOutput {})
    }
}

/// The targets given, each with its port (the target group's when none is given).
fn with_ports(
    tg: &TargetGroup,
    targets: &[TargetDescription],
) -> Result<Vec<(String, i32)>, ApiError> {
    targets
        .iter()
        .map(|t| {
            let id =
                t.id.clone()
                    .filter(|i| !i.is_empty())
                    .ok_or_else(|| ApiError::validation("A target must have an Id"))?;
            let port = t.port.or(tg.port).unwrap_or(0);
            if tg.target_type.as_deref() != Some("lambda") {
                rows::check_port("port", port)?;
            }
            Ok((id, port))
        })
        .collect()
}

fn invalid_target(message: String) -> ApiError {
    ApiError::with_status(400, "InvalidTarget", message)
}

impl Handle for RegisterTargetsInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let tg = require_group(ctx, tx, &self.target_group_arn)?;
        let targets = with_ports(&tg, &self.targets)?;
        if tg.target_type.as_deref().unwrap_or("instance") == "instance" {
            let vpc = tg.vpc_id.clone().unwrap_or_default();
            let mut missing = Vec::new();
            let mut elsewhere = Vec::new();
            for (id, _) in &targets {
                match rows::instance_place(ctx, tx, id)? {
                    None => missing.push(format!("'{}'", shorten(id))),
                    Some((_, v)) if v != vpc => elsewhere.push(format!("'{}'", shorten(id))),
                    Some(_) => {}
                }
            }
            if !missing.is_empty() {
                return Err(invalid_target(format!(
                    "The following targets are not valid instances: {}",
                    missing.join(", ")
                )));
            }
            if !elsewhere.is_empty() {
                return Err(invalid_target(format!(
                    "The following targets are not in the target group VPC '{}': {}",
                    shorten(&vpc),
                    elsewhere.join(", ")
                )));
            }
        }
        for (id, port) in targets {
            tx.execute_cached(
                "INSERT INTO elbv2_targets (owner, tg_arn, id, port, registered_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (owner, tg_arn, id, port) DO UPDATE \
                 SET registered_ms = excluded.registered_ms, deregistered_ms = NULL",
                params![ctx.owner, self.target_group_arn, id, port, ctx.now],
            )?;
        }
        Ok(RegisterTargetsOutput {})
    }
}

/// The delay a target deregistered by hand drains for, in milliseconds (the group side's rule,
/// `rows::drain_ms`, with one target group).
fn deregistration_delay_ms(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    arn: &str,
) -> Result<i64, ApiError> {
    let seconds: i64 = tx.query_row_cached(
        "SELECT deregistration_delay_s FROM elbv2_target_groups WHERE owner = ?1 AND arn = ?2",
        params![ctx.owner, arn],
        |r| r.get(0),
    )?;
    let ms = (seconds.max(0) as f64) * 1000.0 * ctx.settings.timing.hook_timeout_scale;
    Ok(if ms.is_finite() { ms as i64 } else { 0 })
}

impl Handle for DeregisterTargetsInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let tg = require_group(ctx, tx, &self.target_group_arn)?;
        let targets = with_ports(&tg, &self.targets)?;
        let registered = manual_targets(ctx, tx, &self.target_group_arn)?;
        let groups = rows::group_targets(ctx, tx, ELBV2, &self.target_group_arn)?;
        let missing: Vec<String> = targets
            .iter()
            .filter(|(id, port)| {
                !registered
                    .iter()
                    .any(|r| &r.id == id && r.port == *port && r.deregistered_ms.is_none())
                    && !groups.iter().any(|g| &g.id == id)
            })
            .map(|(id, _)| format!("'{}'", shorten(id)))
            .collect();
        if !missing.is_empty() {
            return Err(invalid_target(format!(
                "The following targets are not registered in target group '{}': {}",
                shorten(&self.target_group_arn),
                missing.join(", ")
            )));
        }
        let until = ctx.now + deregistration_delay_ms(ctx, tx, &self.target_group_arn)?;
        for (id, port) in targets {
            tx.execute_cached(
                "UPDATE elbv2_targets SET deregistered_ms = ?5 WHERE owner = ?1 AND tg_arn = ?2 \
                 AND id = ?3 AND port = ?4 AND deregistered_ms IS NULL",
                params![ctx.owner, self.target_group_arn, id, port, until],
            )?;
        }
        Ok(DeregisterTargetsOutput {})
    }
}

/// A target registered by hand.
struct Manual {
    id: String,
    port: i32,
    /// When its draining ends, once deregistered.
    deregistered_ms: Option<i64>,
}

fn manual_targets(ctx: &Ctx<'_>, tx: &Transaction<'_>, arn: &str) -> Result<Vec<Manual>, ApiError> {
    tx.execute_cached(
        "DELETE FROM elbv2_targets WHERE owner = ?1 AND tg_arn = ?2 AND deregistered_ms <= ?3",
        params![ctx.owner, arn, ctx.now],
    )?;
    let mut stmt = tx.prepare_cached(
        "SELECT id, port, deregistered_ms FROM elbv2_targets WHERE owner = ?1 AND tg_arn = ?2 \
         ORDER BY id, port",
    )?;
    let rows = stmt
        .query_map(params![ctx.owner, arn], |r| {
            Ok(Manual {
                id: r.get(0)?,
                port: r.get(1)?,
                deregistered_ms: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// One target's health description.
fn describe(
    id: &str,
    port: i32,
    zone: Option<String>,
    state: &str,
    tg_used: bool,
) -> TargetHealthDescription {
    let (state, reason, description) = match state {
        _ if !tg_used && state != "draining" => (
            "unused",
            Some("Target.NotInUse"),
            Some("Target group is not configured to receive traffic from the load balancer"),
        ),
        "initial" => (
            "initial",
            Some("Elb.RegistrationInProgress"),
            Some("Target registration is in progress"),
        ),
        "unhealthy" => (
            "unhealthy",
            Some("Target.FailedHealthChecks"),
            Some("Health checks failed"),
        ),
        "draining" => (
            "draining",
            Some("Target.DeregistrationInProgress"),
            Some("Target deregistration is in progress"),
        ),
        "unused" => (
            "unused",
            Some("Target.NotRegistered"),
            Some("Target is not registered to the target group"),
        ),
        "invalid" => (
            "unused",
            Some("Target.InvalidState"),
            Some("Target is in the stopped or terminated state"),
        ),
        _ => ("healthy", None, None),
    };
    TargetHealthDescription {
        target: Some(TargetDescription {
            id: Some(id.to_string()),
            port: Some(port),
            availability_zone: zone,
            ..Default::default()
        }),
        health_check_port: Some(port.to_string()),
        target_health: Some(TargetHealth {
            state: Some(state.into()),
            reason: reason.map(Into::into),
            description: description.map(Into::into),
        }),
        ..Default::default()
    }
}

impl Handle for DescribeTargetHealthInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError> {
        let arn = &self.target_group_arn;
        let tg = require_group(ctx, tx, arn)?;
        let used = tg
            .load_balancer_arns
            .as_ref()
            .is_some_and(|l| !l.is_empty());
        let port = tg.port.unwrap_or(0);
        let mut all: Vec<TargetHealthDescription> = Vec::new();
        for m in manual_targets(ctx, tx, arn)? {
            let state = match (m.deregistered_ms, rows::instance_place(ctx, tx, &m.id)?) {
                (Some(_), _) => "draining",
                (None, None) if tg.target_type.as_deref().unwrap_or("instance") == "instance" => {
                    "invalid"
                }
                (None, _) => instance_health(ctx, tx, &m.id)?,
            };
            let zone = rows::instance_place(ctx, tx, &m.id)?.map(|(z, _)| z);
            all.push(describe(&m.id, m.port, zone, state, used));
        }
        for GroupTarget { id, zone, state } in rows::group_targets(ctx, tx, ELBV2, arn)? {
            if all
                .iter()
                .any(|d| d.target.as_ref().and_then(|t| t.id.as_deref()) == Some(&id))
            {
                continue;
            }
            all.push(describe(&id, port, Some(zone), state, used));
        }
        let chosen = match &self.targets {
            None => all,
            Some(wanted) => wanted
                .iter()
                .map(|w| {
                    let id = w.id.clone().unwrap_or_default();
                    let p = w.port.unwrap_or(port);
                    all.iter()
                        .find(|d| {
                            d.target
                                .as_ref()
                                .is_some_and(|t| t.id.as_deref() == Some(&id) && t.port == Some(p))
                        })
                        .cloned()
                        .unwrap_or_else(|| describe(&id, p, None, "unused", true))
                })
                .collect(),
        };
        Ok(DescribeTargetHealthOutput {
            target_health_descriptions: Some(chosen),
        })
    }
}

/// The state of an instance registered by hand: `initial` while it is launching, `unhealthy`
/// when its health is `Unhealthy`, `invalid` once it is terminating, else `healthy`.
fn instance_health(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    id: &str,
) -> Result<&'static str, ApiError> {
    use rusqlite::OptionalExtension;
    let state = tx
        .query_row_cached(
            "SELECT ready_ms, terminating_ms, gone_ms, hook_phase, health FROM instances \
             WHERE owner = ?1 AND id = ?2",
            params![ctx.owner, id],
            |r| {
                let phase: Option<String> = r.get(3)?;
                let health: String = r.get(4)?;
                let state = crate::server::lifecycle::instance_state(
                    ctx.now,
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    phase.as_deref(),
                );
                Ok(match state {
                    None => "invalid",
                    Some(s) if s.starts_with("Terminating") => "invalid",
                    Some(s) if s.starts_with("Pending") => "initial",
                    Some(_) if health != "Healthy" => "unhealthy",
                    Some(_) => "healthy",
                })
            },
        )
        .optional()?;
    Ok(state.unwrap_or("healthy"))
}
