//! StartInstanceRefresh, DescribeInstanceRefreshes, CancelInstanceRefresh,
//! RollbackInstanceRefresh: replacing a group's instances in batches that keep its healthy
//! percentage.
//!
//! The rules of each request (AWS's, from the API reference and the user guide: the preferences'
//! defaults and pairings, one active refresh per group, when a rollback is possible) are here;
//! the replacing itself is the row model's engine (`crate::server::rows::refreshes`), which the
//! timer engine moves on. No CloudWatch alarm is watched: an AlarmSpecification is stored and
//! shown only (there are no alarms here).

use rusqlite::Transaction;

use crate::autoscaling::types::{
    CancelInstanceRefreshInput, CancelInstanceRefreshOutput, DescribeInstanceRefreshesInput,
    DescribeInstanceRefreshesOutput, DesiredConfiguration, InstanceRefresh, RefreshPreferences,
    RollbackInstanceRefreshInput, RollbackInstanceRefreshOutput, StartInstanceRefreshInput,
    StartInstanceRefreshOutput,
};
use crate::server::ec2::rows as ec2_rows;
use crate::server::fault::ApiError;
use crate::server::lifecycle::{new_uuid, timestamp};
use crate::server::ops::{Ctx, Handle};
use crate::server::paginate::{PageRequest, check_names};
use crate::server::rows::groups::{self, GroupRow};
use crate::server::rows::refreshes::{self, Previous, Refresh};

/// DescribeInstanceRefreshes' default page size (the reference: at most 100, default 50).
const DEFAULT_PAGE: usize = 50;

/// The default CheckpointDelay, seconds (the reference: one hour).
const DEFAULT_CHECKPOINT_DELAY: i32 = 3600;

/// `StartInstanceRefresh`: checks the preferences and the desired configuration, records the
/// refresh and takes its first step at once.
impl Handle for StartInstanceRefreshInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<StartInstanceRefreshOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        if refreshes::active(tx, ctx.owner, &group.name)?.is_some() {
            return Err(refreshes::in_progress(&group.name));
        }
        let strategy = self.strategy.unwrap_or_else(|| "Rolling".into());
        if strategy != "Rolling" {
            return Err(ApiError::validation(
                "The ReplaceRootVolume strategy is not supported by this endpoint: use Rolling.",
            ));
        }
        let given = self.preferences.unwrap_or_default();
        let explicit_max = given.max_healthy_percentage.is_some();
        let prefs = preferences(&group, given)?;
        let config = self
            .desired_configuration
            .filter(|c| c.launch_template.is_some() || c.mixed_instances_policy.is_some());
        if let Some(c) = &config {
            check_config(ctx, tx, c)?;
        }
        let previous = Previous {
            lc_given: group.lc_given.clone(),
            lc_ref: group.lc_ref.clone(),
            launch_template: group.doc.launch_template.clone(),
            mixed_instances_policy: group.doc.mixed_instances_policy.clone(),
        };
        if prefs.auto_rollback == Some(true)
            && let Err(why) = reversible(ctx, tx, &previous, config.as_ref())
        {
            return Err(ApiError::validation(format!(
                "AutoRollback cannot be enabled for this instance refresh: {why}."
            )));
        }
        let id = new_uuid();
        let warmup = i64::from(prefs.instance_warmup.unwrap_or(0));
        let refresh = Refresh {
            view: InstanceRefresh {
                instance_refresh_id: Some(id.clone()),
                auto_scaling_group_name: Some(group.name.clone()),
                status: Some("Pending".into()),
                start_time: Some(timestamp(ctx.now)),
                percentage_complete: Some(0),
                instances_to_update: Some(0),
                preferences: Some(prefs),
                desired_configuration: config,
                strategy: Some(strategy),
                ..Default::default()
            },
            previous,
            explicit_max,
            warmup_ms: refreshes::scaled(ctx.settings, warmup),
            phase_start_ms: ctx.now,
            total: None,
            checkpoints_done: 0,
            pause_until: None,
            wait_since: None,
            bake_until: None,
            surplus: 0,
            rolling_back: false,
        };
        refreshes::begin(ctx, tx, &group, refresh)?;
        Ok(StartInstanceRefreshOutput {
            instance_refresh_id: Some(id),
        })
    }
}

/// The preferences with AWS's defaults filled in, refused where AWS's rules say so.
fn preferences(
    group: &GroupRow,
    mut p: RefreshPreferences,
) -> Result<RefreshPreferences, ApiError> {
    if let Some(max) = p.max_healthy_percentage {
        let Some(min) = p.min_healthy_percentage else {
            return Err(ApiError::validation(
                "MinHealthyPercentage must be specified when MaxHealthyPercentage is specified.",
            ));
        };
        if max - min > 100 {
            return Err(ApiError::validation(format!(
                "The difference between MaxHealthyPercentage ({max}) and MinHealthyPercentage \
                 ({min}) cannot be greater than 100."
            )));
        }
    }
    match &p.checkpoint_percentages {
        Some(list) if !list.is_empty() => {
            if list.windows(2).any(|w| w[0] >= w[1]) {
                return Err(ApiError::validation(
                    "CheckpointPercentages must be unique and in ascending order.",
                ));
            }
            p.checkpoint_delay.get_or_insert(DEFAULT_CHECKPOINT_DELAY);
        }
        _ => {
            if p.checkpoint_delay.is_some() {
                return Err(ApiError::validation(
                    "CheckpointDelay requires CheckpointPercentages to be specified.",
                ));
            }
            p.checkpoint_percentages = None;
        }
    }
    p.min_healthy_percentage.get_or_insert(90);
    if p.instance_warmup.is_none() {
        let warmup = group
            .doc
            .default_instance_warmup
            .filter(|w| *w >= 0)
            .or(group.doc.health_check_grace_period)
            .unwrap_or(0);
        p.instance_warmup = Some(warmup.max(0));
    }
    p.skip_matching.get_or_insert(false);
    p.auto_rollback.get_or_insert(false);
    p.scale_in_protected_instances.get_or_insert("Wait".into());
    p.standby_instances.get_or_insert("Wait".into());
    Ok(p)
}

/// A DesiredConfiguration must name one launch template (directly, or in its mixed instances
/// policy) that exists, in a version that exists.
fn check_config(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    c: &DesiredConfiguration,
) -> Result<(), ApiError> {
    if c.launch_template.is_some() && c.mixed_instances_policy.is_some() {
        return Err(ApiError::validation(
            "Specify either LaunchTemplate or MixedInstancesPolicy in DesiredConfiguration, not \
             both.",
        ));
    }
    let Some(spec) = refreshes::desired_spec(c) else {
        return Err(ApiError::validation(
            "The MixedInstancesPolicy of DesiredConfiguration must name a launch template.",
        ));
    };
    ec2_rows::resolve_group_template(tx, ctx.owner, spec)?;
    Ok(())
}

/// Whether a refresh can be rolled back, as AWS states it: it has a desired configuration, and
/// the group's previous configuration does not use a launch template's `$Latest` or `$Default`
/// version or an image from a Systems Manager parameter. `Err` says why not.
fn reversible(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    previous: &Previous,
    config: Option<&DesiredConfiguration>,
) -> Result<(), String> {
    if config.is_none() {
        return Err("no desired configuration was specified for the instance refresh".into());
    }
    if !previous.lc_ref.is_empty() {
        return Ok(());
    }
    let spec = previous.launch_template.as_ref().or_else(|| {
        previous
            .mixed_instances_policy
            .as_ref()?
            .launch_template
            .as_ref()?
            .launch_template_specification
            .as_ref()
    });
    let Some(spec) = spec else {
        return Ok(());
    };
    match spec.version.as_deref() {
        None | Some("$Latest") | Some("$Default") => {
            return Err(
                "the Auto Scaling group uses its launch template's $Latest or $Default version"
                    .into(),
            );
        }
        Some(_) => {}
    }
    if let Ok((_, version)) = ec2_rows::resolve_group_template(tx, ctx.owner, spec)
        && version
            .launch_template_data
            .and_then(|d| d.image_id)
            .is_some_and(|i| i.starts_with("resolve:ssm:"))
    {
        return Err(
            "the Auto Scaling group's launch template takes its image from a Systems Manager \
             parameter"
                .into(),
        );
    }
    Ok(())
}

/// `DescribeInstanceRefreshes`: the group's refreshes of the past six weeks, newest first,
/// all or the ones named, in pages.
impl Handle for DescribeInstanceRefreshesInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeInstanceRefreshesOutput, ApiError> {
        check_names("InstanceRefreshIds", self.instance_refresh_ids.as_ref())?;
        let page = PageRequest::new(
            "DescribeInstanceRefreshes",
            self.max_records,
            self.next_token.as_deref(),
            DEFAULT_PAGE,
        )?;
        let name = &self.auto_scaling_group_name;
        if groups::load(tx, ctx.owner, name)?.is_none() {
            return Ok(DescribeInstanceRefreshesOutput {
                instance_refreshes: Some(Vec::new()),
                next_token: None,
            });
        }
        refreshes::catch_up(ctx, tx, name)?;
        let wanted = self.instance_refresh_ids.filter(|ids| !ids.is_empty());
        let all = refreshes::list(tx, ctx.owner, name, ctx.now)?
            .into_iter()
            .filter(|(_, r)| {
                wanted.as_ref().is_none_or(|w| {
                    r.instance_refresh_id
                        .as_ref()
                        .is_some_and(|id| w.contains(id))
                })
            })
            .collect();
        let (items, next_token) = page.take(all);
        Ok(DescribeInstanceRefreshesOutput {
            instance_refreshes: Some(items),
            next_token,
        })
    }
}

/// `CancelInstanceRefresh`: the active refresh or rollback is `Cancelling` until launches and
/// terminations in flight end (unless WaitForTransitioningInstances is false), then
/// `Cancelled`; instances already replaced stay.
impl Handle for CancelInstanceRefreshInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<CancelInstanceRefreshOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let refresh = refreshes::active(tx, ctx.owner, &group.name)?
            .filter(|r| r.status() != "Cancelling")
            .ok_or_else(|| refreshes::not_active(&group.name))?;
        let id = refresh.view.instance_refresh_id.clone();
        let wait = self.wait_for_transitioning_instances.unwrap_or(true);
        refreshes::cancel(ctx, tx, &group, refresh, wait)?;
        Ok(CancelInstanceRefreshOutput {
            instance_refresh_id: id,
        })
    }
}

/// `RollbackInstanceRefresh`: the active refresh (Pending, InProgress or Baking) becomes its
/// rollback, replacing the instances it replaced with the previous configuration;
/// `IrreversibleInstanceRefresh` where AWS cannot roll back.
impl Handle for RollbackInstanceRefreshInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<RollbackInstanceRefreshOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let refresh = refreshes::active(tx, ctx.owner, &group.name)?
            .filter(|r| refreshes::REVERSIBLE.contains(&r.status()))
            .ok_or_else(|| refreshes::not_active(&group.name))?;
        reversible(
            ctx,
            tx,
            &refresh.previous,
            refresh.view.desired_configuration.as_ref(),
        )
        .map_err(|why| refreshes::irreversible(&why))?;
        let id = refresh.view.instance_refresh_id.clone();
        refreshes::roll_back(
            ctx,
            tx,
            &group,
            refresh,
            "Rollback initiated by user request.",
        )?;
        Ok(RollbackInstanceRefreshOutput {
            instance_refresh_id: id,
        })
    }
}
