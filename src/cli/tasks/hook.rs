//! `phantom hook put|list|delete|complete|heartbeat`: lifecycle hooks (PutLifecycleHook,
//! DescribeLifecycleHooks, DeleteLifecycleHook, CompleteLifecycleAction,
//! RecordLifecycleActionHeartbeat).
//!
//! A lifecycle action is named by its instance (`--instance`) or by the token the notification
//! carried (`--token`). The token is never printed: the JSON of `complete` and `heartbeat` shows
//! `LifecycleActionToken` as `**redacted**`.

use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use serde_json::json;

use super::{check_id, check_name, print_done, require};
use crate::autoscaling::types::*;
use crate::cli::query_cmds::Context;
use crate::error::Error;

/// `phantom hook ...`
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Create or replace a lifecycle hook.
    #[command(after_help = "Examples:\n  \
        phantom hook put web drain --transition terminating --heartbeat-timeout 300 --default-result CONTINUE\n  \
        phantom hook put web warm --transition launching --notification-target-arn arn:aws:sns:us-east-1:123456789012:hooks --role-arn arn:aws:iam::123456789012:role/hooks")]
    Put(PutArgs),
    /// List a group's lifecycle hooks.
    #[command(after_help = "Example:\n  phantom hook list web")]
    List(ListArgs),
    /// Delete a lifecycle hook.
    #[command(after_help = "Example:\n  phantom hook delete web drain")]
    Delete(NameArgs),
    /// Finish a lifecycle action: CONTINUE (go on launching or terminating) or ABANDON.
    #[command(after_help = "Examples:\n  \
        phantom hook complete web drain --instance i-0123456789abcdef0 --result CONTINUE\n  \
        phantom hook complete web drain --token \"$TOKEN\" --result ABANDON")]
    Complete(CompleteArgs),
    /// Give a lifecycle action more time (one more heartbeat timeout).
    #[command(
        after_help = "Example:\n  phantom hook heartbeat web drain --instance i-0123456789abcdef0"
    )]
    Heartbeat(ActionArgs),
}

/// When a hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Transition {
    /// When an instance launches (autoscaling:EC2_INSTANCE_LAUNCHING).
    #[value(name = "launching", alias = "autoscaling:EC2_INSTANCE_LAUNCHING")]
    Launching,
    /// When an instance terminates (autoscaling:EC2_INSTANCE_TERMINATING).
    #[value(name = "terminating", alias = "autoscaling:EC2_INSTANCE_TERMINATING")]
    Terminating,
}

/// The result of a lifecycle action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ActionResult {
    /// Go on.
    #[value(name = "CONTINUE")]
    Continue,
    /// Stop (a launching instance is terminated).
    #[value(name = "ABANDON")]
    Abandon,
}

impl ActionResult {
    fn api(self) -> &'static str {
        match self {
            ActionResult::Continue => "CONTINUE",
            ActionResult::Abandon => "ABANDON",
        }
    }
}

/// Arguments of `hook put`.
#[derive(Debug, Args)]
pub struct PutArgs {
    /// Group name.
    pub group: String,
    /// Hook name (letters, digits, - _ /).
    pub name: String,
    /// launching or terminating (or autoscaling:EC2_INSTANCE_LAUNCHING / _TERMINATING).
    #[arg(long, value_enum)]
    pub transition: Transition,
    /// Seconds an instance waits in the hook before the default result (30 to 7200).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(i32).range(30..=7200))]
    pub heartbeat_timeout: Option<i32>,
    /// What happens when the timeout passes [AWS's default: ABANDON].
    #[arg(long, value_enum)]
    pub default_result: Option<ActionResult>,
    /// The SNS topic or SQS queue notified (with --role-arn).
    #[arg(long, value_name = "ARN", requires = "role_arn")]
    pub notification_target_arn: Option<String>,
    /// The IAM role that may publish to the notification target.
    #[arg(long, value_name = "ARN", requires = "notification_target_arn")]
    pub role_arn: Option<String>,
    /// Text sent with every notification (printable ASCII, at most 4000 characters).
    #[arg(long, value_name = "TEXT")]
    pub metadata: Option<String>,
}

/// Arguments of `hook list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Group name.
    pub group: String,
    /// Only these hooks.
    pub names: Vec<String>,
}

/// A group and a hook name.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// Group name.
    pub group: String,
    /// Hook name.
    pub name: String,
}

/// The lifecycle action: its group, hook, and instance or token.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("action").required(true).args(["instance", "token"])))]
pub struct ActionArgs {
    /// Group name.
    pub group: String,
    /// Hook name.
    pub name: String,
    /// The instance in the hook.
    #[arg(long, value_name = "ID")]
    pub instance: Option<String>,
    /// The token of the lifecycle action (from its notification).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
}

/// Arguments of `hook complete`.
#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// Which action.
    #[command(flatten)]
    pub action: ActionArgs,
    /// CONTINUE or ABANDON.
    #[arg(long, value_enum)]
    pub result: ActionResult,
}

/// Checks a hook name: the model's `[A-Za-z0-9\-_\/]+`, at most 255 characters.
fn check_hook_name(name: &str) -> Result<(), Error> {
    check_name("hook name", name, 255)?;
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-_/".contains(*c)))
    {
        return Err(Error::Config(format!(
            "hook name `{}` contains `{c}`: only letters, digits, -, _ and / are allowed",
            crate::query::endpoint::shorten(name)
        )));
    }
    Ok(())
}

/// Checks the action's group, hook and instance or token (a token is 36 characters).
fn check_action(a: &ActionArgs) -> Result<(), Error> {
    check_name("group name", &a.group, 1600)?;
    check_hook_name(&a.name)?;
    if let Some(id) = &a.instance {
        check_id(id)?;
    }
    if let Some(token) = &a.token
        && (token.chars().count() != 36 || token.chars().any(|c| c.is_control()))
    {
        return Err(Error::Config(
            "--token is not a lifecycle action token (36 characters, a UUID)".into(),
        ));
    }
    Ok(())
}

/// Turns `hook put`'s flags into the input.
pub fn put_input(a: PutArgs) -> Result<PutLifecycleHookInput, Error> {
    check_name("group name", &a.group, 255)?;
    check_hook_name(&a.name)?;
    for (flag, arn) in [
        ("--notification-target-arn", &a.notification_target_arn),
        ("--role-arn", &a.role_arn),
    ] {
        if let Some(arn) = arn {
            check_name(flag, arn, 255)?;
            if !arn.starts_with("arn:") {
                return Err(Error::Config(format!(
                    "{flag} `{}` is not an ARN (arn:...)",
                    crate::query::endpoint::shorten(arn)
                )));
            }
        }
    }
    if let Some(text) = &a.metadata {
        if text.is_empty() || text.chars().count() > 4000 {
            return Err(Error::Config(
                "--metadata must be 1 to 4000 characters".into(),
            ));
        }
        if let Some(c) = text
            .chars()
            .find(|c| !(matches!(c, '\t' | '\n' | '\r') || (' '..='~').contains(c)))
        {
            return Err(Error::Config(format!(
                "--metadata contains {c:?}: only printable ASCII, tabs and line breaks are allowed"
            )));
        }
    }
    Ok(PutLifecycleHookInput {
        lifecycle_hook_name: a.name,
        auto_scaling_group_name: a.group,
        lifecycle_transition: Some(
            match a.transition {
                Transition::Launching => "autoscaling:EC2_INSTANCE_LAUNCHING",
                Transition::Terminating => "autoscaling:EC2_INSTANCE_TERMINATING",
            }
            .into(),
        ),
        role_arn: a.role_arn,
        notification_target_arn: a.notification_target_arn,
        notification_metadata: a.metadata,
        heartbeat_timeout: a.heartbeat_timeout,
        default_result: a.default_result.map(|r| r.api().into()),
    })
}

/// The JSON shown for a lifecycle action: its members, the token redacted.
fn action_json(a: &ActionArgs, result: Option<ActionResult>) -> serde_json::Value {
    let mut value = json!({
        "AutoScalingGroupName": a.group,
        "LifecycleHookName": a.name,
    });
    if let Some(id) = &a.instance {
        value["InstanceId"] = json!(id);
    }
    if a.token.is_some() {
        value["LifecycleActionToken"] = json!("**redacted**");
    }
    if let Some(result) = result {
        value["LifecycleActionResult"] = json!(result.api());
    }
    value
}

/// What the action is called in text: its instance, or "the action of the token given".
fn action_text(a: &ActionArgs) -> String {
    match &a.instance {
        Some(id) => format!("instance {id}"),
        None => "the lifecycle action of the token given".into(),
    }
}

/// Runs one `hook` command.
pub async fn run(ctx: &Context, command: HookCommand) -> Result<(), Error> {
    match command {
        HookCommand::Put(a) => {
            let input = put_input(a)?;
            require(ctx, "PutLifecycleHook", "hook put")?;
            ctx.client.send(&input).await?;
            print_done(
                &mut ctx.printer(),
                &format!(
                    "lifecycle hook {} of {} ({})",
                    input.lifecycle_hook_name,
                    input.auto_scaling_group_name,
                    input.lifecycle_transition.as_deref().unwrap_or("?")
                ),
                &input,
            )
        }
        HookCommand::List(a) => {
            check_name("group name", &a.group, 255)?;
            for name in &a.names {
                check_hook_name(name)?;
            }
            require(ctx, "DescribeLifecycleHooks", "hook list")?;
            let input = DescribeLifecycleHooksInput {
                auto_scaling_group_name: a.group,
                lifecycle_hook_names: (!a.names.is_empty()).then_some(a.names),
            };
            let reply = ctx.client.send(&input).await?.output;
            let mut printer = ctx.printer();
            if printer.is_json() {
                printer.json(&reply)?;
            } else {
                for hook in reply.lifecycle_hooks.iter().flatten() {
                    printer.lifecycle_hook(hook)?;
                }
            }
            printer.finish()
        }
        HookCommand::Delete(a) => {
            check_name("group name", &a.group, 255)?;
            check_hook_name(&a.name)?;
            require(ctx, "DeleteLifecycleHook", "hook delete")?;
            let input = DeleteLifecycleHookInput {
                lifecycle_hook_name: a.name.clone(),
                auto_scaling_group_name: a.group.clone(),
            };
            ctx.client.send(&input).await?;
            print_done(
                &mut ctx.printer(),
                &format!("deleted lifecycle hook {} of {}", a.name, a.group),
                &input,
            )
        }
        HookCommand::Complete(c) => {
            check_action(&c.action)?;
            require(ctx, "CompleteLifecycleAction", "hook complete")?;
            let a = &c.action;
            let input = CompleteLifecycleActionInput {
                lifecycle_hook_name: a.name.clone(),
                auto_scaling_group_name: a.group.clone(),
                lifecycle_action_token: a.token.clone(),
                lifecycle_action_result: c.result.api().into(),
                instance_id: a.instance.clone(),
            };
            ctx.client.send(&input).await?;
            print_done(
                &mut ctx.printer(),
                &format!(
                    "{} {} in hook {} of {}",
                    c.result.api(),
                    action_text(a),
                    a.name,
                    a.group
                ),
                &action_json(a, Some(c.result)),
            )
        }
        HookCommand::Heartbeat(a) => {
            check_action(&a)?;
            require(ctx, "RecordLifecycleActionHeartbeat", "hook heartbeat")?;
            let input = RecordLifecycleActionHeartbeatInput {
                lifecycle_hook_name: a.name.clone(),
                auto_scaling_group_name: a.group.clone(),
                lifecycle_action_token: a.token.clone(),
                instance_id: a.instance.clone(),
            };
            ctx.client.send(&input).await?;
            print_done(
                &mut ctx.printer(),
                &format!(
                    "heartbeat for {} in hook {} of {}",
                    action_text(&a),
                    a.name,
                    a.group
                ),
                &action_json(&a, None),
            )
        }
    }
}
