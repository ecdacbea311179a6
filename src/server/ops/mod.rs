//! The operations: one handler per Query action, each in three steps like mini-redis's commands —
//! parse the request tree into the API's own input shape, apply it to the store inside the
//! request's transaction, encode the API's own output shape.
//!
//! Handlers are grouped by the resource they act on (launch configurations, groups, instances,
//! tags, activities). [`handler`] is the dispatch table from action name to handler; an action not
//! in it is `InvalidAction`.

mod activities;
mod groups;
mod instances;
mod launch_configurations;
mod tags;

use rusqlite::Transaction;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::query::tree::from_tree;
use crate::query::xml::{render_members, render_value_members};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::Timing;

/// Settings every handler may consult.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Phantom site names, in order; the first is the default zone.
    pub sites: Vec<String>,
    /// Launch and terminate delays.
    pub timing: Timing,
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
pub type Handler = fn(&Ctx<'_>, &Transaction<'_>, &Value) -> Result<Option<String>, ApiError>;

/// The handler of `action`, if the endpoint knows it.
pub fn handler(action: &str) -> Option<Handler> {
    Some(match action {
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
        _ => return None,
    })
}

/// Step 1: fills the input shape from the request tree. A missing required member is
/// `MissingParameter`; any other misfit (a bad number, a list where text belongs) is
/// `ValidationError`.
pub fn parse<T: DeserializeOwned>(tree: &Value) -> Result<T, ApiError> {
    from_tree::<T>(tree).map_err(|e| {
        let text = e.0;
        match text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(member) => ApiError::missing_parameter(member),
            None => ApiError::validation(format!("Invalid parameter value: {}", shorten(&text))),
        }
    })
}

/// Step 3: the Result members of an output shape, written as XML.
pub fn encode<T: Serialize>(output: &T) -> Result<Option<String>, ApiError> {
    // Straight from the shape to XML; the object tree only for a shape the direct writer
    // refuses (none of the API's shapes: it is the same bytes either way).
    match render_members(output) {
        Ok(members) => Ok(Some(members)),
        Err(_) => Ok(Some(render_value_members(&serde_json::to_value(output)?))),
    }
}

/// Checks a name member: 1 to 255 characters, no control characters.
pub fn check_name(member: &str, value: &str) -> Result<(), ApiError> {
    let len = value.chars().count();
    if len == 0 || len > 255 || value.chars().any(char::is_control) {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{}' at '{member}' failed to satisfy \
             constraint: Member must have length between 1 and 255 and contain no control \
             characters",
            shorten(value)
        )));
    }
    Ok(())
}

/// The ARN of a resource of this endpoint.
pub fn arn(kind: &str, name_kind: &str, name: &str) -> String {
    format!(
        "arn:aws:autoscaling:local:000000000000:{kind}:{}:{name_kind}/{name}",
        crate::server::lifecycle::new_uuid()
    )
}
