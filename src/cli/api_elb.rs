//! `phantom api elb|elbv2 OPERATION`: an operation of the classic ELB or ELBv2 slice by name,
//! with its input as JSON and its reply printed as JSON with the API's field names.
//!
//! `phantom api` (src/cli/api.rs) hands a command whose first word names one of the two services
//! here; a bare operation name stays Auto Scaling's. The operations are the generated tables of
//! `crate::elb::classic` and `crate::elb::v2`; the client is made from the resolved
//! configuration at the slice's endpoint (`AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING[_V2]`,
//! profile `services`, ...). A paginated Describe follows every `NextMarker` unless
//! `--no-paginate`; the Auto Scaling command's `--page-size`, `--max-items`, `--starting-token`
//! and `--generate-skeleton` are not offered for these slices (refused by name).

use super::api::{ApiArgs, read_input};
use super::args::OutputFormat;
use super::query_cmds::Context;
use crate::elb::api::{self, ApiOperation};
use crate::elb::{Classic, Client, Slice, V2};
use crate::error::Error;

/// The service a `phantom api` command names first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// `elb`: classic Elastic Load Balancing.
    Elb,
    /// `elbv2`: Elastic Load Balancing v2.
    Elbv2,
}

impl Service {
    /// The service `first` names (botocore's service names), if any.
    pub fn named(first: Option<&str>) -> Option<Service> {
        match first? {
            "elb" => Some(Service::Elb),
            "elbv2" => Some(Service::Elbv2),
            _ => None,
        }
    }
}

/// The operation the command names in `table`, or an error listing the slice's operations.
fn find<S: Slice>(
    table: &'static [ApiOperation<S>],
    args: &ApiArgs,
) -> Result<&'static ApiOperation<S>, Error> {
    let names = || {
        table
            .iter()
            .map(|op| op.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(name) = args.service_operation.as_deref() else {
        return Err(Error::Config(format!(
            "phantom api {} needs an OPERATION: one of {}",
            S::NAME,
            names()
        )));
    };
    api::find(table, name).ok_or_else(|| {
        Error::Config(format!(
            "no operation named {:?} in the {} slice; it has {}",
            name.chars().take(80).collect::<String>(),
            S::NAME,
            names()
        ))
    })
}

/// The options of Auto Scaling's command these slices do not offer.
fn refused(args: &ApiArgs) -> Option<&'static str> {
    if args.list {
        Some("--list (phantom api elb|elbv2 without an operation lists them)")
    } else if args.generate_skeleton {
        Some("--generate-skeleton")
    } else if args.page_size.is_some() {
        Some("--page-size")
    } else if args.max_items.is_some() {
        Some("--max-items")
    } else if args.starting_token.is_some() {
        Some("--starting-token")
    } else {
        None
    }
}

/// Whether the command is answered without a call: an option refused, an operation missing or
/// unknown.
pub fn runs_locally(service: Service, args: &ApiArgs) -> bool {
    refused(args).is_some()
        || match service {
            Service::Elb => find(crate::elb::classic::OPERATIONS, args).is_err(),
            Service::Elbv2 => find(crate::elb::v2::OPERATIONS, args).is_err(),
        }
}

/// The error of a command [`runs_locally`] says needs no call.
pub fn local(service: Service, args: &ApiArgs) -> Result<(), Error> {
    let name = match service {
        Service::Elb => Classic::NAME,
        Service::Elbv2 => V2::NAME,
    };
    if let Some(option) = refused(args) {
        return Err(Error::Config(format!(
            "phantom api {name} does not take {option}; it takes --input and --no-paginate"
        )));
    }
    match service {
        Service::Elb => find(crate::elb::classic::OPERATIONS, args).map(drop),
        Service::Elbv2 => find(crate::elb::v2::OPERATIONS, args).map(drop),
    }
}

/// Calls the operation at the slice's endpoint and prints its reply.
pub async fn run(ctx: &Context, service: Service, args: ApiArgs) -> Result<(), Error> {
    match service {
        Service::Elb => call(ctx, crate::elb::classic::OPERATIONS, &args).await,
        Service::Elbv2 => call(ctx, crate::elb::v2::OPERATIONS, &args).await,
    }
}

async fn call<S: Slice>(
    ctx: &Context,
    table: &'static [ApiOperation<S>],
    args: &ApiArgs,
) -> Result<(), Error> {
    local(
        match S::NAME {
            "elb" => Service::Elb,
            _ => Service::Elbv2,
        },
        args,
    )?;
    let op = find(table, args)?;
    if ctx.format.format == OutputFormat::JsonLines {
        return Err(Error::Config(
            "phantom api prints one JSON document (--output json, the default for it); \
             --output json-lines is not available for it yet"
                .into(),
        ));
    }
    let client = Client::<S>::new(ctx.config.elb_transport::<S>()?)?.with_max_pages(ctx.max_pages);
    let input = read_input(args.input.as_deref())?;
    let reply = api::run(op, &client, input, args.no_paginate, ctx.max_pages).await?;
    if ctx.format.query.is_none() && reply.as_object().is_some_and(|m| m.is_empty()) {
        return Ok(());
    }
    let mut output = ctx.format.clone();
    if output.format == OutputFormat::Seed {
        output.format = OutputFormat::Json;
    }
    output.print_document(reply, Some(op.name))
}
