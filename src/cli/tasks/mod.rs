//! The task commands beyond the seed's: scaling policies (`policy`), scheduled actions
//! (`schedule`), lifecycle hooks (`hook`), standby (`standby`), the instance commands `instances
//! health|protect|attach|detach`, and the group options of `domain create|alter`.
//!
//! Each family is one file holding its clap arguments, the checks that turn them into the
//! operation's input shape, and the call. Everything a person can get wrong on the command line
//! is refused here, before any call, with an error naming the flag; what only the server can know
//! (a group that does not exist) is the server's answer.
//!
//! Output follows the seed commands: text lines a person reads, or with `--output json` the
//! reply's JSON with the API's member names. For an operation whose reply carries nothing (most
//! Put, Delete and Set calls), the JSON printed is the input that was sent, with its API names,
//! so that a script can see what was done.
//!
//! Nimbus Phantom's Query API has ten actions (wsdl-notes/operations.md); a command needing an
//! operation it lacks is refused under `--dialect phantom` by [`require`], which names the
//! operation. Phantom's REST API has none of them: [`rest_refusal`].

pub mod group_options;
pub mod hook;
pub mod instances;
pub mod policy;
pub mod schedule;
pub mod standby;

use serde::Serialize;

use super::output::Printer;
use super::query_cmds::Context;
use crate::autoscaling::types::Activity;
use crate::config::Dialect;
use crate::error::Error;

/// The actions Phantom's Query API has (captures; wsdl-notes/operations.md).
const PHANTOM_OPERATIONS: &[&str] = &[
    "CreateLaunchConfiguration",
    "DeleteLaunchConfiguration",
    "DescribeLaunchConfigurations",
    "CreateAutoScalingGroup",
    "DeleteAutoScalingGroup",
    "DescribeAutoScalingGroups",
    "SetDesiredCapacity",
    "DescribeAutoScalingInstances",
    "TerminateInstanceInAutoScalingGroup",
    "CreateOrUpdateTags",
];

/// The most instance ids AWS takes in one AttachInstances, DetachInstances, EnterStandby or
/// ExitStandby call (API reference); SetInstanceProtection takes 50.
pub const IDS_PER_CALL: usize = 20;

/// Refuses, under the Phantom dialect, a command that needs `operation`, which Phantom lacks.
pub fn require(ctx: &Context, operation: &str, command: &str) -> Result<(), Error> {
    if ctx.dialect() == Dialect::Phantom && !PHANTOM_OPERATIONS.contains(&operation) {
        return Err(Error::Config(format!(
            "`phantom {command}` needs {operation}, which Nimbus Phantom does not have (its Query \
             API has {}); use it with an AWS-compatible endpoint (--dialect aws)",
            PHANTOM_OPERATIONS.join(", ")
        )));
    }
    Ok(())
}

/// The error for a task command run over Phantom's REST API, which has no such call.
pub fn rest_refusal(command: &str) -> Error {
    Error::Config(format!(
        "`phantom {command}` is a Query API command; Phantom's REST API has no such call (use \
         --api query with an AWS-compatible endpoint)"
    ))
}

/// Checks a list of instance ids: at least one, at most `max`, each 1 to 19 characters (the
/// model's `XmlStringMaxLen19`), none twice.
pub fn check_ids(ids: &[String], max: usize, command: &str) -> Result<(), Error> {
    if ids.is_empty() {
        return Err(Error::Config(format!(
            "`phantom {command}` needs at least one instance id"
        )));
    }
    if ids.len() > max {
        return Err(Error::Config(format!(
            "`phantom {command}` takes at most {max} instance ids in one call ({} given)",
            ids.len()
        )));
    }
    for (i, id) in ids.iter().enumerate() {
        check_id(id)?;
        if ids[..i].contains(id) {
            return Err(Error::Config(format!("instance id `{id}` is given twice")));
        }
    }
    Ok(())
}

/// Checks one instance id: 1 to 19 characters, no white space or control characters.
pub fn check_id(id: &str) -> Result<(), Error> {
    if id.is_empty()
        || id.chars().count() > 19
        || id.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::Config(format!(
            "`{}` is not an instance id (1 to 19 characters, like i-0123456789abcdef0)",
            crate::query::endpoint::shorten(id)
        )));
    }
    Ok(())
}

/// Checks a name the API limits to 1..=`max` characters of XML text (no control characters
/// but tab and line breaks, which no name needs: they are refused too).
pub fn check_name(what: &str, name: &str, max: usize) -> Result<(), Error> {
    if name.is_empty() {
        return Err(Error::Config(format!("the {what} is empty")));
    }
    if name.chars().count() > max {
        return Err(Error::Config(format!(
            "the {what} `{}` is longer than {max} characters",
            crate::query::endpoint::shorten(name)
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::Config(format!(
            "the {what} `{}` contains control characters",
            crate::query::endpoint::shorten(name)
        )));
    }
    Ok(())
}

/// Prints the scaling activities a reply gave: one line each in text, the reply in JSON.
pub fn print_activities<T: Serialize>(
    printer: &mut Printer,
    activities: Option<&[Activity]>,
    reply: &T,
) -> Result<(), Error> {
    if printer.is_json() {
        printer.json(reply)?;
    } else {
        for activity in activities.unwrap_or_default() {
            printer.activity(activity)?;
        }
    }
    printer.finish()
}

/// Prints `text` (text mode) or `value` (JSON modes), then finishes.
pub fn print_done<T: Serialize>(printer: &mut Printer, text: &str, value: &T) -> Result<(), Error> {
    printer.line(text)?;
    printer.json(value)?;
    printer.finish()
}
