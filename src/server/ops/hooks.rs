//! PutLifecycleHook, DescribeLifecycleHooks, DeleteLifecycleHook, DescribeLifecycleHookTypes,
//! CompleteLifecycleAction, RecordLifecycleActionHeartbeat: a group's lifecycle hooks and the
//! actions that hold its instances in `Pending:Wait` / `Terminating:Wait`.
//!
//! The rules and the waiting are the row model's (`crate::server::rows::hooks`); here each
//! operation finds its group (the groups' not-found error) and calls it. No notification is sent
//! to a NotificationTargetARN: it and RoleARN are stored and shown only.

use rusqlite::Transaction;

use crate::autoscaling::types::{
    CompleteLifecycleActionInput, CompleteLifecycleActionOutput, DeleteLifecycleHookInput,
    DeleteLifecycleHookOutput, DescribeLifecycleHookTypesInput, DescribeLifecycleHookTypesOutput,
    DescribeLifecycleHooksInput, DescribeLifecycleHooksOutput, PutLifecycleHookInput,
    PutLifecycleHookOutput, RecordLifecycleActionHeartbeatInput,
    RecordLifecycleActionHeartbeatOutput,
};
use crate::server::fault::ApiError;
use crate::server::ops::{Ctx, Handle};
use crate::server::paginate::check_names;
use crate::server::rows::groups;
use crate::server::rows::hooks::{self, HookInput};

/// `PutLifecycleHook`: creates a hook, or updates one (members not given keep their values).
impl Handle for PutLifecycleHookInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<PutLifecycleHookOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let existing = hooks::load(tx, ctx.owner, &group.name, &self.lifecycle_hook_name)?;
        let hook = hooks::merge(
            &group.name,
            existing,
            HookInput {
                name: self.lifecycle_hook_name,
                transition: self.lifecycle_transition,
                notification_target_arn: self.notification_target_arn,
                role_arn: self.role_arn,
                notification_metadata: self.notification_metadata,
                heartbeat_timeout: self.heartbeat_timeout,
                default_result: self.default_result,
            },
        )?;
        hooks::put(tx, ctx.owner, &group.name, &hook)?;
        Ok(PutLifecycleHookOutput {})
    }
}

/// `DescribeLifecycleHooks`: a group's hooks, all or the named ones (at most 50 names; a name
/// with no hook is left out).
impl Handle for DescribeLifecycleHooksInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeLifecycleHooksOutput, ApiError> {
        check_names("LifecycleHookNames", self.lifecycle_hook_names.as_ref())?;
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let wanted = self.lifecycle_hook_names.filter(|n| !n.is_empty());
        let found = hooks::list(tx, ctx.owner, &group.name)?
            .into_iter()
            .filter(|h| {
                wanted.as_ref().is_none_or(|w| {
                    h.lifecycle_hook_name
                        .as_ref()
                        .is_some_and(|name| w.contains(name))
                })
            })
            .collect();
        Ok(DescribeLifecycleHooksOutput {
            lifecycle_hooks: Some(found),
        })
    }
}

/// `DeleteLifecycleHook`: outstanding actions are completed first (ABANDON for launching
/// instances, CONTINUE for terminating ones), as AWS documents.
impl Handle for DeleteLifecycleHookInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DeleteLifecycleHookOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        if hooks::load(tx, ctx.owner, &group.name, &self.lifecycle_hook_name)?.is_none() {
            return Err(hooks::not_found(&group.name, &self.lifecycle_hook_name));
        }
        hooks::delete(ctx, tx, &group.name, &self.lifecycle_hook_name)?;
        Ok(DeleteLifecycleHookOutput {})
    }
}

/// `DescribeLifecycleHookTypes`.
impl Handle for DescribeLifecycleHookTypesInput {
    fn handle(
        self,
        _ctx: &Ctx<'_>,
        _tx: &Transaction<'_>,
    ) -> Result<DescribeLifecycleHookTypesOutput, ApiError> {
        Ok(DescribeLifecycleHookTypesOutput {
            lifecycle_hook_types: Some(hooks::TYPES.iter().map(|t| t.to_string()).collect()),
        })
    }
}

/// `CompleteLifecycleAction`: by LifecycleActionToken or InstanceId; CONTINUE or ABANDON.
impl Handle for CompleteLifecycleActionInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<CompleteLifecycleActionOutput, ApiError> {
        hooks::check_result("LifecycleActionResult", &self.lifecycle_action_result)?;
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let action = hooks::find(
            ctx,
            tx,
            &group.name,
            &self.lifecycle_hook_name,
            self.lifecycle_action_token.as_deref(),
            self.instance_id.as_deref(),
        )?;
        let result = self.lifecycle_action_result;
        hooks::complete(
            tx,
            ctx.settings,
            &action,
            &result,
            ctx.now,
            &format!("Lifecycle Action Completed with {result} Result"),
        )?;
        Ok(CompleteLifecycleActionOutput {})
    }
}

/// `RecordLifecycleActionHeartbeat`: the action's heartbeat timeout starts again (never past
/// its global timeout).
impl Handle for RecordLifecycleActionHeartbeatInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<RecordLifecycleActionHeartbeatOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let action = hooks::find(
            ctx,
            tx,
            &group.name,
            &self.lifecycle_hook_name,
            self.lifecycle_action_token.as_deref(),
            self.instance_id.as_deref(),
        )?;
        hooks::heartbeat(tx, &action, ctx.now)?;
        Ok(RecordLifecycleActionHeartbeatOutput {})
    }
}
