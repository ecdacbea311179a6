//! The account's quotas on groups and launch configurations, counted per key: what
//! DescribeAccountLimits reports and what CreateAutoScalingGroup and CreateLaunchConfiguration
//! enforce, in one place so that the number shown is the number enforced.
//!
//! The maximums are the endpoint's settings (`phantom serve --max-groups`,
//! `--max-launch-configurations`; AWS's defaults, 200 each); each key (owner) has its own count,
//! as each AWS account has.

use rusqlite::{Transaction, params};

use crate::server::fault::ApiError;
use crate::server::ops::Ctx;
use crate::server::store::Cached;

/// AWS's default quota of Auto Scaling groups per Region and account.
pub const DEFAULT_MAX_GROUPS: u32 = 200;

/// AWS's default quota of launch configurations per Region and account.
pub const DEFAULT_MAX_LAUNCH_CONFIGURATIONS: u32 = 200;

/// The quotas this endpoint enforces.
#[derive(Debug, Clone, Copy)]
pub struct Quotas {
    /// MaxNumberOfAutoScalingGroups.
    pub max_groups: u32,
    /// MaxNumberOfLaunchConfigurations.
    pub max_launch_configurations: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            max_groups: DEFAULT_MAX_GROUPS,
            max_launch_configurations: DEFAULT_MAX_LAUNCH_CONFIGURATIONS,
        }
    }
}

/// How many groups the owner has.
pub fn group_count(tx: &Transaction<'_>, owner: &str) -> Result<i64, ApiError> {
    Ok(tx.query_row_cached(
        "SELECT COUNT(*) FROM groups WHERE owner = ?1",
        params![owner],
        |r| r.get(0),
    )?)
}

/// How many launch configurations the owner has (each stored `name@site` counts as one).
pub fn launch_configuration_count(tx: &Transaction<'_>, owner: &str) -> Result<i64, ApiError> {
    Ok(tx.query_row_cached(
        "SELECT COUNT(*) FROM launch_configurations WHERE owner = ?1",
        params![owner],
        |r| r.get(0),
    )?)
}

/// Refuses one more group past the quota, with AWS's `LimitExceeded` (the text in the form AWS
/// gives for launch configurations).
pub fn check_new_group(ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<(), ApiError> {
    let max = ctx.settings.quotas.max_groups;
    if group_count(tx, ctx.owner)? >= i64::from(max) {
        return Err(ApiError::limit_exceeded(format!(
            "AutoScalingGroup limit exceeded - You may only have {max} AutoScalingGroups"
        )));
    }
    Ok(())
}

/// Refuses one more launch configuration past the quota, with AWS's `LimitExceeded` text.
pub fn check_new_launch_configuration(ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<(), ApiError> {
    let max = ctx.settings.quotas.max_launch_configurations;
    if launch_configuration_count(tx, ctx.owner)? >= i64::from(max) {
        return Err(ApiError::limit_exceeded(format!(
            "Launch Configuration limit exceeded - You may only have {max} launch configurations"
        )));
    }
    Ok(())
}
