//! The operations: one handler per Query action, each in three steps like mini-redis's commands —
//! parse the request tree into the API's own input shape, apply it to the store inside the
//! request's transaction, encode the API's own output shape.
//!
//! Handlers are grouped by the resource they act on (launch configurations, groups, instances,
//! tags, activities). [`handler`] is the dispatch table from action name to handler; an action not
//! in it is `InvalidAction`. Every handler it returns first checks the request against the API
//! model's input constraints ([`validate`]), so no handler needs checks of its own for lengths,
//! characters, ranges or required members.

mod activities;
mod groups;
mod instances;
mod launch_configurations;
mod tags;
pub mod validate;

use rusqlite::Transaction;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::query::tree::from_node;
use crate::query::xml::{Node, render_members};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::Timing;

/// Settings every handler may consult.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Phantom site names, in order; the first is the default zone.
    pub sites: Vec<String>,
    /// Launch and terminate delays.
    pub timing: Timing,
    /// The region ARNs name (`phantom serve --region`).
    pub region: String,
    /// The 12-digit account id ARNs name (`phantom serve --account-id`).
    pub account_id: String,
}

/// Who is asking and when: the context of one request.
pub struct Ctx<'a> {
    /// The access key id that owns what the request touches.
    pub owner: &'a str,
    /// The request's time, epoch milliseconds (one clock reading per request).
    pub now: i64,
    /// The endpoint's settings.
    pub settings: &'a Settings,
}

/// A handler: the request tree in, the reply's Result members as XML (or none) out.
pub type Handler = fn(&Ctx<'_>, &Transaction<'_>, &Node<'_>) -> Result<Option<String>, ApiError>;

/// The dispatch table: each action's handler, run only after its request has passed the model's
/// input constraints ([`validate::request`]), so no handler sees (or stores) what the model
/// forbids.
macro_rules! dispatch {
    ($action:expr, $($name:literal => $run:path),* $(,)?) => {
        match $action {
            $($name => {
                fn checked(
                    ctx: &Ctx<'_>,
                    tx: &Transaction<'_>,
                    tree: &Node<'_>,
                ) -> Result<Option<String>, ApiError> {
                    validate::request($name, tree)?;
                    $run(ctx, tx, tree)
                }
                Some(checked as Handler)
            })*
            _ => None,
        }
    };
}

/// The handler of `action`, if the endpoint knows it; it validates the request before acting.
pub fn handler(action: &str) -> Option<Handler> {
    dispatch!(action,
        "CreateLaunchConfiguration" => launch_configurations::create,
        "DeleteLaunchConfiguration" => launch_configurations::delete,
        "DescribeLaunchConfigurations" => launch_configurations::describe,
        "CreateAutoScalingGroup" => groups::create,
        "UpdateAutoScalingGroup" => groups::update,
        "DeleteAutoScalingGroup" => groups::delete,
        "DescribeAutoScalingGroups" => groups::describe,
        "SetDesiredCapacity" => groups::set_desired_capacity,
        "DescribeAutoScalingInstances" => instances::describe,
        "TerminateInstanceInAutoScalingGroup" => instances::terminate,
        "CreateOrUpdateTags" => tags::create_or_update,
        "DeleteTags" => tags::delete,
        "DescribeTags" => tags::describe,
        "DescribeScalingActivities" => activities::describe,
    )
}

/// Step 1: fills the input shape from the request tree (already checked against the model by
/// [`validate::request`], so what remains is a misfit the table does not describe, such as an
/// unreadable timestamp: `ValidationError`).
pub fn parse<T: DeserializeOwned>(tree: &Node<'_>) -> Result<T, ApiError> {
    from_node::<T>(tree).map_err(|e| {
        let text = e.0;
        match text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(member) => ApiError::validation(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: \
                 Member must not be null",
                validate::lower_first(member)
            )),
            None => ApiError::validation(format!("Invalid parameter value: {}", shorten(&text))),
        }
    })
}

/// Step 3: the Result members of an output shape, written as XML.
pub fn encode<T: Serialize>(output: &T) -> Result<Option<String>, ApiError> {
    // Straight from the shape to XML (every shape of the API has a Query XML form).
    render_members(output)
        .map(Some)
        .map_err(|e| ApiError::internal(format!("writing the reply: {e}")))
}

/// The ARN of a resource of this endpoint, in the served region and account:
/// `arn:aws:autoscaling:REGION:ACCOUNT:KIND:UUID:NAME_KIND/NAME`.
pub fn arn(settings: &Settings, kind: &str, name_kind: &str, name: &str) -> String {
    format!(
        "arn:aws:autoscaling:{}:{}:{kind}:{}:{name_kind}/{name}",
        settings.region,
        settings.account_id,
        crate::server::lifecycle::new_uuid()
    )
}
