//! Attachment rows: the load balancers and traffic sources of a group, one table for all three API
//! families (AttachLoadBalancers, AttachLoadBalancerTargetGroups, AttachTrafficSources), as on AWS,
//! where a Classic Load Balancer (`elb`), an ELB target group (`elbv2`) and a VPC Lattice target
//! group (`vpc-lattice`) are all traffic sources of one group.
//!
//! Why one table: the families are views of one thing. DescribeTrafficSources lists every
//! attachment; DescribeLoadBalancers and DescribeLoadBalancerTargetGroups (and the Detach calls of
//! those families) see only what their own family (or CreateAutoScalingGroup's `LoadBalancerNames`
//! and `TargetGroupARNs`) attached, as AWS documents ("You can use this operation to describe
//! target groups that were attached by using AttachLoadBalancerTargetGroups, but not for target
//! groups that were attached by using AttachTrafficSources"): the `legacy` column says which.
//!
//! States are evaluated lazily from stored timestamps, like the instance states
//! (`crate::server::lifecycle`): `Adding` for the registration delay after the attach (the
//! endpoint's launch delay), then `InService` once a registered instance of the group is
//! `InService` and healthy and the group's health checks include the source's (`ELB`, or
//! `VPC_LATTICE` for VPC Lattice), or the source was attached at the group's creation (AWS: "Target
//! groups also have an InService state if you attach them in the CreateAutoScalingGroup API
//! call"), else `Added`. A detach makes it `Removing` for the deregistration delay (the endpoint's
//! terminate delay), after which it is gone, as AWS documents ("When all instances are
//! deregistered, then you can no longer describe the target group"); the next write sweeps it.
//!
//! `AddToLoadBalancer`: while it is suspended, instances launched are not registered, and they stay
//! unregistered after it is resumed (AWS: "it does not add the instances that were launched while
//! this process was suspended. You must register those instances manually"). The suspensions are
//! kept as intervals (`lb_pauses`), written by SuspendProcesses and ResumeProcesses through
//! [`note_suspension`]; an instance launched inside one never counts as registered.
//!
//! What an attachment names is checked by [`check_exists`], the one place the ELB slices (issue
//! 15) are asked whether a load balancer or target group exists. The registrations that follow
//! from an attachment (a group's instances as targets) are read by those slices from these rows
//! (`crate::server::elb::rows::group_targets`).

use rusqlite::{Transaction, params};

use crate::autoscaling::types::{AutoScalingGroup, TrafficSourceIdentifier};
use crate::server::elb::rows as elb_rows;
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::instance_state;
use crate::server::ops::Ctx;
use crate::server::store::Cached;

/// A Classic Load Balancer, named by its name.
pub const ELB: &str = "elb";
/// An Application, Network or Gateway Load Balancer target group, named by its ARN.
pub const ELBV2: &str = "elbv2";
/// A VPC Lattice target group, named by its ARN.
pub const VPC_LATTICE: &str = "vpc-lattice";
/// The traffic source types AWS defines.
pub const TYPES: &[&str] = &[ELB, ELBV2, VPC_LATTICE];

/// The most load balancers, target groups or traffic sources one Attach or Detach call may name
/// (the API reference: "You can specify up to 10").
pub const MAX_PER_CALL: usize = 10;

/// The most Classic Load Balancers, and the most target groups, one group may have (AWS's quotas:
/// 50 of each per Auto Scaling group).
pub const MAX_PER_GROUP: usize = 50;

/// One traffic source: its type and identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `elb`, `elbv2` or `vpc-lattice`.
    pub kind: &'static str,
    /// A Classic Load Balancer's name or a target group's ARN.
    pub identifier: String,
}

impl Source {
    /// A Classic Load Balancer by name.
    pub fn elb(name: &str) -> Source {
        Source {
            kind: ELB,
            identifier: name.to_string(),
        }
    }

    /// An ELB target group by ARN.
    pub fn target_group(arn: &str) -> Source {
        Source {
            kind: ELBV2,
            identifier: arn.to_string(),
        }
    }

    /// A traffic source as the API names it: `Type` is needed only for a Classic Load Balancer's
    /// name (AWS: "Required if the identifier is the name of a Classic Load Balancer"); an ARN
    /// tells its type by its service.
    pub fn from_identifier(given: &TrafficSourceIdentifier) -> Result<Source, ApiError> {
        let identifier = given.identifier.as_deref().unwrap_or("");
        if identifier.is_empty() {
            return Err(ApiError::validation(
                "A traffic source needs an Identifier: a Classic Load Balancer name or a target \
                 group ARN.",
            ));
        }
        let kind = match given.r#type.as_deref() {
            Some(t) => TYPES.iter().copied().find(|k| *k == t).ok_or_else(|| {
                ApiError::validation(format!(
                    "Traffic source type {} is not valid; valid types are {}.",
                    shorten(t),
                    TYPES.join(", ")
                ))
            })?,
            None if identifier.contains(":elasticloadbalancing:") => ELBV2,
            None if identifier.contains(":vpc-lattice:") => VPC_LATTICE,
            None => {
                return Err(ApiError::validation(format!(
                    "The traffic source {} needs a Type: it is required when the Identifier is \
                     the name of a Classic Load Balancer.",
                    shorten(identifier)
                )));
            }
        };
        Ok(Source {
            kind,
            identifier: identifier.to_string(),
        })
    }

    /// The key attachments sort and page by.
    fn key(&self) -> String {
        format!("{}\n{}", self.kind, self.identifier)
    }
}

/// Whether `name` is a Classic Load Balancer name: 1-32 letters, digits and hyphens, not starting
/// or ending with a hyphen (Elastic Load Balancing's rule).
fn classic_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// The resource part of `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` when the ARN is of
/// `service` in this endpoint's region and account (AWS: a target group "in this account and
/// Region").
fn arn_resource<'a>(ctx: &Ctx<'_>, arn: &'a str, service: &str) -> Option<&'a str> {
    let mut parts = arn.splitn(6, ':');
    let (scheme, partition, svc, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (scheme == "arn"
        && partition.starts_with("aws")
        && svc == service
        && region == ctx.settings.region
        && account == ctx.settings.account_id)
        .then_some(resource)
}

/// Whether `arn` is an ELB target group ARN:
/// `arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID` (NAME as a load balancer's,
/// ID 16 hex digits).
fn target_group_arn(ctx: &Ctx<'_>, arn: &str) -> bool {
    let Some(rest) =
        arn_resource(ctx, arn, "elasticloadbalancing").and_then(|r| r.strip_prefix("targetgroup/"))
    else {
        return false;
    };
    match rest.split_once('/') {
        Some((name, id)) => {
            classic_name(name) && id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// Whether `arn` is a VPC Lattice target group ARN:
/// `arn:aws:vpc-lattice:REGION:ACCOUNT:targetgroup/tg-ID` (ID 16 or 17 lowercase letters and
/// digits: the reference's example has 16, VPC Lattice writes 17).
fn lattice_arn(ctx: &Ctx<'_>, arn: &str) -> bool {
    arn_resource(ctx, arn, "vpc-lattice")
        .and_then(|r| r.strip_prefix("targetgroup/tg-"))
        .is_some_and(|id| {
            (16..=17).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        })
}

/// Checks that what `source` names exists, with AWS's refusal when it does not: a Classic Load
/// Balancer or a target group of the owner in the ELB slices (`crate::server::elb::rows`); a VPC
/// Lattice target group (no such slice here) when its ARN is well formed, in this endpoint's
/// region and account.
pub fn check_exists(ctx: &Ctx<'_>, tx: &Transaction<'_>, source: &Source) -> Result<(), ApiError> {
    let id = &source.identifier;
    let (ok, what) = match source.kind {
        ELB => (
            classic_name(id) && elb_rows::classic_exists(ctx, tx, id)?,
            "Load Balancers",
        ),
        ELBV2 => (
            target_group_arn(ctx, id) && elb_rows::target_group_exists(ctx, tx, id)?,
            "Target Groups",
        ),
        _ => (lattice_arn(ctx, id), "Traffic Sources"),
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(format!(
            "Provided {what} may not be valid. Please ensure they exist and try again."
        )))
    }
}

/// Refuses a call naming more than [`MAX_PER_CALL`] items of `member`.
pub fn check_count(member: &str, given: usize) -> Result<(), ApiError> {
    if given > MAX_PER_CALL {
        return Err(ApiError::validation(format!(
            "The number of {member} ({given}) exceeds the limit of {MAX_PER_CALL} per call."
        )));
    }
    Ok(())
}

/// Whether the kind counts against the Classic Load Balancer quota (else the target group one).
fn quota_class(kind: &str) -> bool {
    kind == ELB
}

/// Attaches `sources` to `group` (additive: one already attached stays as it is; one being
/// removed is attached again). `legacy`: attached by the load balancer families (or
/// CreateAutoScalingGroup's `LoadBalancerNames`/`TargetGroupARNs`), so those families see it;
/// `at_create`: by CreateAutoScalingGroup.
pub fn attach(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &str,
    sources: &[Source],
    legacy: bool,
    at_create: bool,
) -> Result<(), ApiError> {
    for source in sources {
        check_exists(ctx, tx, source)?;
    }
    sweep(ctx, tx)?;
    let current = rows(ctx, tx, group)?;
    for class in [true, false] {
        let mut names: Vec<&str> = current
            .iter()
            .filter(|r| r.detached_ms.is_none() && quota_class(r.source.kind) == class)
            .map(|r| r.source.identifier.as_str())
            .collect();
        names.extend(
            sources
                .iter()
                .filter(|s| quota_class(s.kind) == class)
                .map(|s| s.identifier.as_str()),
        );
        names.sort_unstable();
        names.dedup();
        if names.len() > MAX_PER_GROUP {
            let what = if class {
                "Classic Load Balancers"
            } else {
                "target groups"
            };
            return Err(ApiError::limit_exceeded(format!(
                "An Auto Scaling group may have at most {MAX_PER_GROUP} {what}; this request \
                 would attach {}.",
                names.len()
            )));
        }
    }
    for source in sources {
        let existing = current.iter().find(|r| r.source == *source);
        match existing {
            Some(r) if r.detached_ms.is_none() => {}
            Some(_) => {
                tx.execute_cached(
                    "UPDATE attachments SET attached_ms = ?5, detached_ms = NULL, legacy = ?6, \
                     at_create = 0 WHERE owner = ?1 AND group_name = ?2 AND kind = ?3 \
                     AND identifier = ?4",
                    params![
                        ctx.owner,
                        group,
                        source.kind,
                        source.identifier,
                        ctx.now,
                        legacy
                    ],
                )?;
            }
            None => {
                tx.execute_cached(
                    "INSERT INTO attachments (owner, group_name, kind, identifier, legacy, \
                     at_create, attached_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                     ON CONFLICT DO NOTHING",
                    params![
                        ctx.owner,
                        group,
                        source.kind,
                        source.identifier,
                        legacy,
                        at_create,
                        ctx.now
                    ],
                )?;
            }
        }
    }
    Ok(())
}

/// Detaches `sources` from `group`: each enters `Removing`. Each must be attached (and, with
/// `legacy`, attached by the load balancer families: AWS's DetachLoadBalancerTargetGroups cannot
/// detach what AttachTrafficSources attached); `what` names them in the refusal.
pub fn detach(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &str,
    sources: &[Source],
    legacy: bool,
    what: &str,
) -> Result<(), ApiError> {
    sweep(ctx, tx)?;
    let current = rows(ctx, tx, group)?;
    let missing: Vec<&str> = sources
        .iter()
        .filter(|s| {
            !current
                .iter()
                .any(|r| r.source == **s && r.detached_ms.is_none() && (r.legacy || !legacy))
        })
        .map(|s| s.identifier.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::validation(format!(
            "Trying to remove {what} that are not attached to the Auto Scaling group {}: {}",
            shorten(group),
            shorten(&missing.join(", "))
        )));
    }
    for source in sources {
        tx.execute_cached(
            "UPDATE attachments SET detached_ms = ?5 WHERE owner = ?1 AND group_name = ?2 \
             AND kind = ?3 AND identifier = ?4 AND detached_ms IS NULL",
            params![ctx.owner, group, source.kind, source.identifier, ctx.now],
        )?;
    }
    Ok(())
}

/// Deletes the owner's attachments whose deregistration has ended by the request's time.
fn sweep(ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<(), ApiError> {
    tx.execute_cached(
        "DELETE FROM attachments WHERE owner = ?1 AND detached_ms IS NOT NULL \
         AND detached_ms <= ?2",
        params![
            ctx.owner,
            ctx.now
                .saturating_sub(ctx.settings.timing.terminate_delay_ms)
        ],
    )?;
    Ok(())
}

/// A stored attachment.
struct Row {
    source: Source,
    legacy: bool,
    at_create: bool,
    attached_ms: i64,
    detached_ms: Option<i64>,
}

/// The group's attachments, by type and identifier.
fn rows(ctx: &Ctx<'_>, tx: &Transaction<'_>, group: &str) -> Result<Vec<Row>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT kind, identifier, legacy, at_create, attached_ms, detached_ms FROM attachments \
         WHERE owner = ?1 AND group_name = ?2 ORDER BY kind, identifier",
    )?;
    let rows = stmt
        .query_map(params![ctx.owner, group], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(kind, identifier, legacy, at_create, attached_ms, detached_ms)| {
                // A type outside the three (a damaged state file) is left out rather than guessed.
                let kind = TYPES.iter().copied().find(|k| *k == kind)?;
                Some(Row {
                    source: Source { kind, identifier },
                    legacy,
                    at_create,
                    attached_ms,
                    detached_ms,
                })
            },
        )
        .collect())
}

/// One attachment as the Describe calls show it at the request's time.
pub struct Attached {
    /// What is attached.
    pub source: Source,
    /// `Adding`, `Added`, `InService` or `Removing`.
    pub state: &'static str,
    /// Attached by the load balancer families (they see it).
    pub legacy: bool,
}

impl Attached {
    /// The key Describe pages by.
    pub fn key(&self) -> String {
        self.source.key()
    }
}

/// Which families see an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// DescribeTrafficSources: every attachment (of one type, if given).
    TrafficSources(Option<&'static str>),
    /// DescribeLoadBalancers / DescribeLoadBalancerTargetGroups: those their family attached, of
    /// the type given.
    Legacy(&'static str),
}

/// The group's attachments in `view`, with their states at the request's time (gone ones left
/// out), by type and identifier.
pub fn list(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &AutoScalingGroup,
    view: View,
) -> Result<Vec<Attached>, ApiError> {
    let name = group.auto_scaling_group_name.as_deref().unwrap_or("");
    let all = rows(ctx, tx, name)?;
    let wanted: Vec<Row> = all
        .into_iter()
        .filter(|r| match view {
            View::TrafficSources(kind) => kind.is_none_or(|k| k == r.source.kind),
            View::Legacy(kind) => r.legacy && r.source.kind == kind,
        })
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let registered = registered_in_service(ctx, tx, name)?;
    let checks = group.health_check_type.as_deref().unwrap_or("EC2");
    let checked = |kind: &str| {
        let wanted = if kind == VPC_LATTICE {
            "VPC_LATTICE"
        } else {
            "ELB"
        };
        checks.split(',').any(|c| c.trim() == wanted)
    };
    let timing = &ctx.settings.timing;
    Ok(wanted
        .into_iter()
        .filter_map(|r| {
            let state = match r.detached_ms {
                Some(d) if ctx.now >= d.saturating_add(timing.terminate_delay_ms) => return None,
                Some(_) => "Removing",
                None if ctx.now < r.attached_ms.saturating_add(timing.launch_delay_ms) => "Adding",
                None if registered && (r.at_create || checked(r.source.kind)) => "InService",
                None => "Added",
            };
            Some(Attached {
                source: r.source,
                state,
                legacy: r.legacy,
            })
        })
        .collect())
}

/// Whether the group has an instance registered with its traffic sources that is `InService`
/// and healthy at the request's time: not in standby, not terminating, and not launched while
/// `AddToLoadBalancer` was suspended.
fn registered_in_service(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &str,
) -> Result<bool, ApiError> {
    let pauses: Vec<(i64, Option<i64>)> = tx
        .prepare_cached(
            "SELECT from_ms, to_ms FROM lb_pauses WHERE owner = ?1 AND group_name = ?2",
        )?
        .query_map(params![ctx.owner, group], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut stmt = tx.prepare_cached(
        "SELECT launched_ms, ready_ms, terminating_ms, gone_ms, hook_phase FROM instances \
         WHERE owner = ?1 AND group_name = ?2 AND standby = 0 AND health = 'Healthy'",
    )?;
    let instances = stmt
        .query_map(params![ctx.owner, group], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(instances
        .into_iter()
        .any(|(launched, ready, term, gone, phase)| {
            instance_state(ctx.now, ready, term, gone, phase.as_deref()) == Some("InService")
                && !pauses
                    .iter()
                    .any(|&(from, to)| launched >= from && to.is_none_or(|to| launched < to))
        }))
}

/// Records a change of the group's `AddToLoadBalancer` suspension (`before` and `after`: whether
/// it was and is suspended), so that instances launched while it is suspended stay unregistered.
pub fn note_suspension(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &str,
    before: bool,
    after: bool,
) -> Result<(), ApiError> {
    match (before, after) {
        (false, true) => {
            tx.execute_cached(
                "INSERT INTO lb_pauses (owner, group_name, from_ms) VALUES (?1, ?2, ?3)",
                params![ctx.owner, group, ctx.now],
            )?;
        }
        (true, false) => {
            tx.execute_cached(
                "UPDATE lb_pauses SET to_ms = ?3 WHERE owner = ?1 AND group_name = ?2 \
                 AND to_ms IS NULL",
                params![ctx.owner, group, ctx.now],
            )?;
        }
        _ => {}
    }
    Ok(())
}

/// Fills a group's `LoadBalancerNames`, `TargetGroupARNs` (what the load balancer families
/// attached) and `TrafficSources` (everything attached) for DescribeAutoScalingGroups, from the
/// attachments still there at the request's time.
pub fn fill(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    doc: &mut AutoScalingGroup,
) -> Result<(), ApiError> {
    let all = list(ctx, tx, doc, View::TrafficSources(None))?;
    let legacy = |kind: &str| -> Vec<String> {
        all.iter()
            .filter(|a| a.legacy && a.source.kind == kind)
            .map(|a| a.source.identifier.clone())
            .collect()
    };
    doc.load_balancer_names = Some(legacy(ELB));
    doc.target_group_arns = Some(legacy(ELBV2));
    doc.traffic_sources = Some(
        all.iter()
            .map(|a| TrafficSourceIdentifier {
                identifier: Some(a.source.identifier.clone()),
                r#type: Some(a.source.kind.to_string()),
            })
            .collect(),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_names_follow_elb_rules() {
        assert!(classic_name("my-lb-1"));
        assert!(classic_name(&"a".repeat(32)));
        assert!(!classic_name(&"a".repeat(33)));
        assert!(!classic_name(""));
        assert!(!classic_name("-lb"));
        assert!(!classic_name("lb-"));
        assert!(!classic_name("my_lb"));
        assert!(!classic_name("arn:aws:elasticloadbalancing"));
    }

    #[test]
    fn traffic_source_types_are_inferred_from_arns_only() {
        let id = |i: &str, t: Option<&str>| TrafficSourceIdentifier {
            identifier: Some(i.into()),
            r#type: t.map(Into::into),
        };
        let tg =
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/0123456789abcdef";
        assert_eq!(Source::from_identifier(&id(tg, None)).unwrap().kind, ELBV2);
        let lattice = "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0";
        assert_eq!(
            Source::from_identifier(&id(lattice, None)).unwrap().kind,
            VPC_LATTICE
        );
        assert_eq!(
            Source::from_identifier(&id("lb", Some("elb")))
                .unwrap()
                .kind,
            ELB
        );
        assert!(Source::from_identifier(&id("lb", None)).is_err());
        assert!(Source::from_identifier(&id("lb", Some("alb"))).is_err());
        assert!(Source::from_identifier(&TrafficSourceIdentifier::default()).is_err());
    }
}
