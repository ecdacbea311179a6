//! `phantom api OPERATION`: any operation of the model, by name, with its input as JSON and its
//! reply printed as JSON with the API's field names (what the AWS CLI prints for it).
//!
//! The command owns only what is the command line's: reading the input (`--input`, a file,
//! standard input), the options, the listing of operations and the printing. Everything about an
//! operation is data in the generated registry (`autoscaling::registry`): its names, its input
//! skeleton, the unknown-member check, its paginator and the paginated call.

use std::io::{IsTerminal, Read, Write};

use clap::Args;
use serde::Serialize;
use serde_json::Value;

use super::args::OutputFormat;
use super::query_cmds::Context;
use crate::autoscaling::registry::{self, OPERATIONS, OperationEntry, PageOptions};
use crate::error::Error;

/// The examples of `phantom api --help`.
pub const EXAMPLES: &str = "Examples:\n  phantom api --list\n  phantom api DescribePolicies --input '{\"AutoScalingGroupName\": \"web\"}'\n  phantom api describe-auto-scaling-groups --max-items 10\n  phantom api PutScalingPolicy --generate-skeleton > policy.json\n  phantom api PutScalingPolicy --input file://policy.json\n\nPaginated operations follow every page unless --no-paginate; --max-items N stops after N items\nand prints a NextToken that --starting-token resumes from. The reply is the JSON the AWS CLI prints.";

/// Arguments of `phantom api`.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// The operation: its API name (DescribePolicies) or the AWS CLI's (describe-policies).
    #[arg(required_unless_present = "list", value_name = "OPERATION")]
    pub operation: Option<String>,
    /// With a service named first (`elb`, `elbv2`): that service's operation
    /// (`phantom api elbv2 DescribeTargetGroups`).
    #[arg(value_name = "SERVICE_OPERATION")]
    pub service_operation: Option<String>,
    /// The input as JSON with the API's member names, or file://PATH to read it from a file
    /// [default: standard input when it is not a terminal, else {}].
    #[arg(long, value_name = "JSON")]
    pub input: Option<String>,
    /// List the operations, one a line: API name, AWS CLI name, what it does.
    #[arg(long, conflicts_with_all = ["operation", "input", "generate_skeleton"])]
    pub list: bool,
    /// Print an input template (every member, with placeholder values) and make no call.
    #[arg(long)]
    pub generate_skeleton: bool,
    /// Make one call: no following of pages (the reply's NextToken is printed as the server gave it).
    #[arg(long, conflicts_with_all = ["page_size", "max_items", "starting_token"])]
    pub no_paginate: bool,
    /// Items asked for per call (the operation's limit member, e.g. MaxRecords); every page is still read.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub page_size: Option<u64>,
    /// Print at most N items in all, and a NextToken that --starting-token resumes from.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_items: Option<u64>,
    /// Resume a listing where a --max-items run stopped (the NextToken it printed).
    #[arg(long, value_name = "TOKEN")]
    pub starting_token: Option<String>,
}

impl ApiArgs {
    /// Whether the command is answered without any call or configuration: the listing, a
    /// skeleton, or an operation name that names none (the error lists close matches).
    pub fn runs_locally(&self) -> bool {
        if let Some(service) = super::api_elb::Service::named(self.operation.as_deref()) {
            return super::api_elb::runs_locally(service, self);
        }
        self.list
            || self.generate_skeleton
            || self
                .operation
                .as_deref()
                .is_none_or(|op| registry::find(op).is_none())
    }
}

/// Runs what needs no configuration: `--list`, `--generate-skeleton`, or the error for an
/// operation that does not exist.
pub fn local(args: &ApiArgs) -> Result<(), Error> {
    if let Some(service) = super::api_elb::Service::named(args.operation.as_deref()) {
        return super::api_elb::local(service, args);
    }
    if args.list {
        return print_list();
    }
    let entry = entry(args)?;
    print_json(&entry.skeleton())
}

/// Calls the operation against the configured endpoint and prints its reply.
pub async fn run(ctx: &Context, args: ApiArgs) -> Result<(), Error> {
    if let Some(service) = super::api_elb::Service::named(args.operation.as_deref()) {
        return super::api_elb::run(ctx, service, args).await;
    }
    let entry = entry(&args)?;
    if ctx.format.format == OutputFormat::JsonLines {
        return Err(Error::Config(
            "phantom api prints one JSON document (--output json, the default for it); \
             --output json-lines is not available for it yet"
                .into(),
        ));
    }
    let input = read_input(args.input.as_deref())?;
    let reply = if args.no_paginate {
        entry.check_input(&input)?;
        (entry.call_json)(&ctx.client, input).await?
    } else {
        let options = PageOptions {
            page_size: args.page_size,
            max_items: args
                .max_items
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            starting_token: args.starting_token,
        };
        entry
            .call_json_paginated(&ctx.client, input, &options)
            .await?
    };
    // As the AWS CLI: a reply without members prints nothing.
    if ctx.format.query.is_none() && reply.as_object().is_some_and(|members| members.is_empty()) {
        return Ok(());
    }
    // The seed's lines have no layout for a raw reply: JSON is this command's default.
    let mut output = ctx.format.clone();
    if output.format == OutputFormat::Seed {
        output.format = OutputFormat::Json;
    }
    output.print_document(reply, Some(entry.name))
}

/// The error for `phantom api` under `--api rest` (or an endpoint ending in `/api/dev`).
pub fn refused_under_rest() -> Error {
    Error::Config(
        "phantom api calls the Auto Scaling Query API's operations; Phantom's REST API has \
         none of them (use --api query with a Query endpoint)"
            .into(),
    )
}

/// The entry named on the command line, or an error naming close matches.
fn entry(args: &ApiArgs) -> Result<&'static OperationEntry, Error> {
    let Some(name) = args.operation.as_deref() else {
        return Err(Error::Config(
            "phantom api needs an OPERATION (phantom api --list lists them)".into(),
        ));
    };
    if let Some(entry) = registry::find(name) {
        if let Some(extra) = &args.service_operation {
            return Err(Error::Config(format!(
                "phantom api {name} takes no second operation name ({:?}); a service is named \
                 first only for elb and elbv2 (phantom api elbv2 DescribeTargetGroups)",
                extra.chars().take(80).collect::<String>()
            )));
        }
        return Ok(entry);
    }
    let close: Vec<String> = registry::close_matches(name)
        .iter()
        .map(|e| format!("{} ({})", e.name, e.cli_name))
        .collect();
    let shown: String = name.chars().take(80).collect();
    let hint = if close.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", close.join(", "))
    };
    Err(Error::Config(format!(
        "no operation named {shown:?}{hint} (phantom api --list lists the {})",
        OPERATIONS.len()
    )))
}

/// The input JSON: `--input`'s text or file, else standard input when it is not a terminal
/// (empty input is `{}`), else `{}`.
pub(super) fn read_input(input: Option<&str>) -> Result<Value, Error> {
    let (text, from) = match input {
        Some(arg) => match arg.strip_prefix("file://") {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
                    context: format!("reading the input file {path}"),
                    source: e,
                })?;
                (text, format!("the input file {path}"))
            }
            None => (arg.to_string(), "--input".to_string()),
        },
        None if !std::io::stdin().is_terminal() => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Error::Io {
                    context: "reading the input from standard input".into(),
                    source: e,
                })?;
            (text, "the input on standard input".to_string())
        }
        None => (String::new(), String::new()),
    };
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_str(&text).map_err(|e| Error::Config(format!("{from} is not JSON: {e}")))
}

/// `--list`: one line per operation, in columns.
fn print_list() -> Result<(), Error> {
    // `phantom api --list | head` closes the pipe early: that is not an error.
    let quiet = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::BrokenPipe => Ok(()),
        _ => Err(stdout_error(e)),
    };
    let name_width = OPERATIONS.iter().map(|e| e.name.len()).max().unwrap_or(0);
    let cli_width = OPERATIONS
        .iter()
        .map(|e| e.cli_name.len())
        .max()
        .unwrap_or(0);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for e in OPERATIONS {
        writeln!(
            out,
            "{:name_width$}  {:cli_width$}  {}",
            e.name, e.cli_name, e.summary
        )
        .or_else(quiet)?;
    }
    out.flush().or_else(quiet)
}

/// Prints a JSON document as the AWS CLI does: indented by four spaces, non-ASCII as is.
fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), Error> {
    let mut text = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
    value
        .serialize(&mut serializer)
        .map_err(|e| Error::Encoding(format!("the reply as JSON: {e}")))?;
    text.push(b'\n');
    let mut out = std::io::stdout().lock();
    out.write_all(&text).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}

fn stdout_error(e: std::io::Error) -> Error {
    Error::Io {
        context: "writing to stdout".into(),
        source: e,
    }
}
