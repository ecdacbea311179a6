//! PutWarmPool, DescribeWarmPool, DeleteWarmPool: a group's warm pool of instances launched ahead
//! of need.
//!
//! The rules, the pool's instances and how the lifecycle uses them are the row model's
//! (`crate::server::rows::warm_pools`); here each operation finds its group (the groups'
//! not-found error), calls it, and reconciles the group where the pool's size may have changed.

use rusqlite::Transaction;

use crate::autoscaling::types::{
    DeleteWarmPoolInput, DeleteWarmPoolOutput, DescribeWarmPoolInput, DescribeWarmPoolOutput,
    Instance, PutWarmPoolInput, PutWarmPoolOutput,
};
use crate::server::fault::ApiError;
use crate::server::ops::{Ctx, Handle};
use crate::server::paginate::PageRequest;
use crate::server::rows::groups;
use crate::server::rows::refreshes;
use crate::server::rows::warm_pools::{self, PutInput};

/// DescribeWarmPool's largest `MaxRecords` (the reference: "The maximum value is 50").
const MAX_RECORDS: i32 = 50;

/// `PutWarmPool`: creates or updates the pool, then fills it to its size.
impl Handle for PutWarmPoolInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<PutWarmPoolOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        // The model's InstanceRefreshInProgress: no pool is made or changed while a refresh runs
        // (a refresh due to have ended by now is brought up to date first).
        refreshes::catch_up(ctx, tx, &group.name)?;
        if refreshes::active(tx, ctx.owner, &group.name)?.is_some() {
            return Err(refreshes::in_progress(&group.name));
        }
        warm_pools::put(
            ctx,
            tx,
            &group,
            PutInput {
                min_size: self.min_size,
                max_group_prepared_capacity: self.max_group_prepared_capacity,
                pool_state: self.pool_state,
                instance_reuse_policy: self.instance_reuse_policy,
            },
        )?;
        groups::reconcile(
            ctx,
            tx,
            &group,
            "a user request created or updated the warm pool",
        )?;
        Ok(PutWarmPoolOutput {})
    }
}

/// `DescribeWarmPool`: the configuration and the pool's instances, by id, at most 50 a page.
/// A group without a pool answers neither (an empty list of instances).
impl Handle for DescribeWarmPoolInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeWarmPoolOutput, ApiError> {
        if let Some(n) = self.max_records.filter(|n| *n > MAX_RECORDS) {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{n}' at 'maxRecords' failed to satisfy \
                 constraint: Member must have value less than or equal to {MAX_RECORDS}"
            )));
        }
        let page = PageRequest::new(
            "DescribeWarmPool",
            self.max_records,
            self.next_token.as_deref(),
            MAX_RECORDS as usize,
        )?;
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let Some(pool) = warm_pools::load(tx, ctx.owner, &group.name, ctx.now)? else {
            return Ok(DescribeWarmPoolOutput {
                instances: Some(Vec::new()),
                ..Default::default()
            });
        };
        let items = warm_pools::live(ctx, tx, Some(&group.name))?
            .into_iter()
            .map(|i| {
                (
                    i.id.clone(),
                    Instance {
                        instance_id: Some(i.id),
                        instance_type: Some(i.instance_type),
                        availability_zone: Some(i.zone),
                        lifecycle_state: Some(i.state.to_string()),
                        health_status: Some(i.health),
                        launch_configuration_name: (!i.lc.is_empty()).then_some(i.lc),
                        launch_template: i.template,
                        image_id: Some(i.image),
                        protected_from_scale_in: Some(false),
                        ..Default::default()
                    },
                )
            })
            .collect();
        let (instances, next_token) = page.take(items);
        Ok(DescribeWarmPoolOutput {
            warm_pool_configuration: Some(pool.shown()),
            instances: Some(instances),
            next_token,
        })
    }
}

/// `DeleteWarmPool`: with ForceDelete at once, else through `PendingDelete` as the pool's
/// instances terminate.
impl Handle for DeleteWarmPoolInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<DeleteWarmPoolOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        warm_pools::delete(ctx, tx, &group, self.force_delete.unwrap_or(false))?;
        Ok(DeleteWarmPoolOutput {})
    }
}
