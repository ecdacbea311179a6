//! AttachLoadBalancers, DetachLoadBalancers, DescribeLoadBalancers, AttachLoadBalancerTargetGroups,
//! DetachLoadBalancerTargetGroups, DescribeLoadBalancerTargetGroups, AttachTrafficSources,
//! DetachTrafficSources, DescribeTrafficSources: the load balancers and traffic sources of a group.
//!
//! The three families are three views of one store table (`crate::server::rows::attachments`),
//! as on AWS: what AttachLoadBalancers or AttachLoadBalancerTargetGroups attached shows in
//! DescribeTrafficSources too and can be detached by DetachTrafficSources; what
//! AttachTrafficSources attached shows only there (AWS: DescribeLoadBalancerTargetGroups and
//! DetachLoadBalancerTargetGroups work on "target groups that were attached by using
//! AttachLoadBalancerTargetGroups, but not for target groups that were attached by using
//! AttachTrafficSources"). Rules: the group must exist; at most 10 names per call; what is named
//! must exist (`attachments::check_exists`: well-formed, until the ELB slices); detaching what is
//! not attached is refused. States (`Adding`, `Added`, `InService`, `Removing`) come from the
//! stored timestamps at the request's time.

use rusqlite::Transaction;

use crate::autoscaling::types::{
    AttachLoadBalancerTargetGroupsInput, AttachLoadBalancerTargetGroupsOutput,
    AttachLoadBalancersInput, AttachLoadBalancersOutput, AttachTrafficSourcesInput,
    AttachTrafficSourcesOutput, DescribeLoadBalancerTargetGroupsInput,
    DescribeLoadBalancerTargetGroupsOutput, DescribeLoadBalancersInput,
    DescribeLoadBalancersOutput, DescribeTrafficSourcesInput, DescribeTrafficSourcesOutput,
    DetachLoadBalancerTargetGroupsInput, DetachLoadBalancerTargetGroupsOutput,
    DetachLoadBalancersInput, DetachLoadBalancersOutput, DetachTrafficSourcesInput,
    DetachTrafficSourcesOutput, LoadBalancerState, LoadBalancerTargetGroupState,
    TrafficSourceState,
};
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::{Ctx, Handle};
use crate::server::paginate::PageRequest;
use crate::server::rows::attachments::{
    self, Attached, ELB, ELBV2, Source, TYPES, View, check_count,
};
use crate::server::rows::groups;

/// The most items DescribeTrafficSources answers per page (the reference: "The maximum value is
/// 50"); the other two Describes take the usual 1-100, default 100.
const MAX_TRAFFIC_SOURCES_PAGE: i32 = 50;

/// The group's attachments in `view`, one page of them.
fn page(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: &str,
    view: View,
    page: &PageRequest,
) -> Result<(Vec<Attached>, Option<String>), ApiError> {
    let group = groups::require(tx, ctx.owner, group)?;
    let items = attachments::list(ctx, tx, &group.doc, view)?
        .into_iter()
        .map(|a| (a.key(), a))
        .collect();
    Ok(page.take(items))
}

/// The load balancers or target groups a legacy-family request names (`member`), counted and
/// made sources by `make`.
fn named(
    member: &str,
    given: &[String],
    make: fn(&str) -> Source,
) -> Result<Vec<Source>, ApiError> {
    check_count(member, given.len())?;
    Ok(given.iter().map(|g| make(g)).collect())
}

/// The traffic sources a request names, read and counted.
fn sources(
    given: &[crate::autoscaling::types::TrafficSourceIdentifier],
) -> Result<Vec<Source>, ApiError> {
    check_count("TrafficSources", given.len())?;
    given.iter().map(Source::from_identifier).collect()
}

/// `AttachLoadBalancers`: Classic Load Balancers, by name.
impl Handle for AttachLoadBalancersInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<AttachLoadBalancersOutput, ApiError> {
        let sources = named("LoadBalancerNames", &self.load_balancer_names, Source::elb)?;
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        attachments::attach(ctx, tx, &group.name, &sources, true, false)?;
        Ok(AttachLoadBalancersOutput {})
    }
}

/// `DetachLoadBalancers`.
impl Handle for DetachLoadBalancersInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DetachLoadBalancersOutput, ApiError> {
        let sources = named("LoadBalancerNames", &self.load_balancer_names, Source::elb)?;
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        attachments::detach(ctx, tx, &group.name, &sources, true, "Load Balancers")?;
        Ok(DetachLoadBalancersOutput {})
    }
}

/// `DescribeLoadBalancers`: the Classic Load Balancers the load balancer families attached.
impl Handle for DescribeLoadBalancersInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeLoadBalancersOutput, ApiError> {
        let request = PageRequest::new(
            "DescribeLoadBalancers",
            self.max_records,
            self.next_token.as_deref(),
            100,
        )?;
        let (items, next_token) = page(
            ctx,
            tx,
            &self.auto_scaling_group_name,
            View::Legacy(ELB),
            &request,
        )?;
        Ok(DescribeLoadBalancersOutput {
            load_balancers: Some(
                items
                    .into_iter()
                    .map(|a| LoadBalancerState {
                        load_balancer_name: Some(a.source.identifier),
                        state: Some(a.state.to_string()),
                    })
                    .collect(),
            ),
            next_token,
        })
    }
}

/// `AttachLoadBalancerTargetGroups`: ELB target groups, by ARN.
impl Handle for AttachLoadBalancerTargetGroupsInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<AttachLoadBalancerTargetGroupsOutput, ApiError> {
        let sources = named(
            "TargetGroupARNs",
            &self.target_group_arns,
            Source::target_group,
        )?;
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        attachments::attach(ctx, tx, &group.name, &sources, true, false)?;
        Ok(AttachLoadBalancerTargetGroupsOutput {})
    }
}

/// `DetachLoadBalancerTargetGroups`.
impl Handle for DetachLoadBalancerTargetGroupsInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DetachLoadBalancerTargetGroupsOutput, ApiError> {
        let sources = named(
            "TargetGroupARNs",
            &self.target_group_arns,
            Source::target_group,
        )?;
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        attachments::detach(ctx, tx, &group.name, &sources, true, "Target Groups")?;
        Ok(DetachLoadBalancerTargetGroupsOutput {})
    }
}

/// `DescribeLoadBalancerTargetGroups`: the target groups the load balancer families attached.
impl Handle for DescribeLoadBalancerTargetGroupsInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeLoadBalancerTargetGroupsOutput, ApiError> {
        let request = PageRequest::new(
            "DescribeLoadBalancerTargetGroups",
            self.max_records,
            self.next_token.as_deref(),
            100,
        )?;
        let (items, next_token) = page(
            ctx,
            tx,
            &self.auto_scaling_group_name,
            View::Legacy(ELBV2),
            &request,
        )?;
        Ok(DescribeLoadBalancerTargetGroupsOutput {
            load_balancer_target_groups: Some(
                items
                    .into_iter()
                    .map(|a| LoadBalancerTargetGroupState {
                        load_balancer_target_group_arn: Some(a.source.identifier),
                        state: Some(a.state.to_string()),
                    })
                    .collect(),
            ),
            next_token,
        })
    }
}

/// `AttachTrafficSources`: any of the three types. `SkipZonalShiftValidation` changes nothing
/// here (there is no zonal shift).
impl Handle for AttachTrafficSourcesInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<AttachTrafficSourcesOutput, ApiError> {
        let sources = sources(&self.traffic_sources)?;
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        attachments::attach(ctx, tx, &group.name, &sources, false, false)?;
        Ok(AttachTrafficSourcesOutput {})
    }
}

/// `DetachTrafficSources`: whichever family attached them.
impl Handle for DetachTrafficSourcesInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DetachTrafficSourcesOutput, ApiError> {
        let sources = sources(&self.traffic_sources)?;
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        attachments::detach(ctx, tx, &group.name, &sources, false, "Traffic Sources")?;
        Ok(DetachTrafficSourcesOutput {})
    }
}

/// `DescribeTrafficSources`: every attachment, of one type if `TrafficSourceType` is given.
impl Handle for DescribeTrafficSourcesInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeTrafficSourcesOutput, ApiError> {
        if let Some(n) = self.max_records.filter(|&n| n > MAX_TRAFFIC_SOURCES_PAGE) {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{n}' at 'maxRecords' failed to satisfy \
                 constraint: Member must have value less than or equal to \
                 {MAX_TRAFFIC_SOURCES_PAGE}"
            )));
        }
        let kind = match self.traffic_source_type.as_deref() {
            None => None,
            Some(t) => Some(TYPES.iter().copied().find(|k| *k == t).ok_or_else(|| {
                ApiError::validation(format!(
                    "Traffic source type {} is not valid; valid types are {}.",
                    shorten(t),
                    TYPES.join(", ")
                ))
            })?),
        };
        let request = PageRequest::new(
            "DescribeTrafficSources",
            self.max_records,
            self.next_token.as_deref(),
            MAX_TRAFFIC_SOURCES_PAGE as usize,
        )?;
        let (items, next_token) = page(
            ctx,
            tx,
            &self.auto_scaling_group_name,
            View::TrafficSources(kind),
            &request,
        )?;
        Ok(DescribeTrafficSourcesOutput {
            traffic_sources: Some(
                items
                    .into_iter()
                    .map(|a| TrafficSourceState {
                        // The deprecated member still carries the identifier.
                        traffic_source: Some(a.source.identifier.clone()),
                        state: Some(a.state.to_string()),
                        identifier: Some(a.source.identifier),
                        r#type: Some(a.source.kind.to_string()),
                    })
                    .collect(),
            ),
            next_token,
        })
    }
}
