//! The Auto Scaling client: one async method per operation, and page and item streams for the
//! Describe calls.
//!
//! Every method goes through [`Client::send`]: serialize the input shape to Query parameters, let
//! the transport sign, send, retry and read the reply, and fill the output shape from the result
//! tree. The methods below are one line each over it.
//!
//! Creates are not idempotent, so a retried Create needs care: when an attempt's reply was lost
//! (the connection broke after sending, or the server answered 5xx) and a later attempt says
//! `AlreadyExists`, the first attempt may well have done the work. [`Client::send`] then asks with
//! a Describe whether what exists is what was asked for (a launch configuration's image and
//! instance type; a group's launch configuration and sizes): if so the Create succeeded (noted
//! under `--debug`), if not the `AlreadyExists` error says what differs.

use futures_util::Stream;

use super::operations::{Creates, Operation, Paginated};
use super::types::*;
use crate::error::{Error, Result};
use crate::query::form;
use crate::query::paging::{self, Paging};
use crate::query::transport::{Transport, TransportConfig};

/// The most pages one listing reads unless [`Client::with_max_pages`] says otherwise: 1000 pages
/// of at most 100 items, far beyond any account's quota of groups or launch configurations.
pub const DEFAULT_MAX_PAGES: usize = 1000;

/// A client for one Auto Scaling endpoint. Cheap to clone; clones share one connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    transport: Transport,
    max_pages: usize,
}

/// The reply of an operation together with its request id.
#[derive(Debug, Clone, PartialEq)]
pub struct Response<T> {
    /// The typed reply.
    pub output: T,
    /// The request id the server gave, if any.
    pub request_id: Option<String>,
}

impl Client {
    /// A client over a configured transport.
    pub fn new(config: TransportConfig) -> Result<Self> {
        Ok(Client {
            transport: Transport::new(config)?,
            max_pages: DEFAULT_MAX_PAGES,
        })
    }

    /// The same client, reading at most `max_pages` pages per listing (at least 1).
    pub fn with_max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = max_pages.max(1);
        self
    }

    /// The most pages one listing reads ([`Client::with_max_pages`]).
    pub fn max_pages(&self) -> usize {
        self.max_pages
    }

    /// The transport (configuration, connection pool).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Sends any operation and returns its typed reply with the request id. A Create retried
    /// after a lost reply and answered `AlreadyExists` is checked as the module docs say.
    pub async fn send<O: Operation>(&self, input: &O) -> Result<Response<O::Output>> {
        let params = form::to_params(input).map_err(Error::Encoding)?;
        let (outcome, report) = self
            .transport
            .call_typed_with_report::<O::Output>(O::NAME, params)
            .await;
        let (output, request_id) = match outcome {
            Ok(reply) => reply,
            Err(error) if report.outcome_unknown && error.code() == Some("AlreadyExists") => {
                let request_id = self.settle_ambiguous_create(input.creates(), error).await?;
                return Ok(Response {
                    output: O::Output::default(),
                    request_id,
                });
            }
            Err(error) => return Err(error),
        };
        Ok(Response { output, request_id })
    }

    /// Sends `input` without the ambiguous-Create check (for the check's own Describe calls).
    async fn send_plain<O: Operation>(&self, input: &O) -> Result<O::Output> {
        let params = form::to_params(input).map_err(Error::Encoding)?;
        let (outcome, _) = self
            .transport
            .call_typed_with_report::<O::Output>(O::NAME, params)
            .await;
        outcome.map(|(output, _)| output)
    }

    /// Decides a Create that said `AlreadyExists` after an attempt whose reply was lost: `Ok`
    /// (with the error's request id) when the existing thing matches the request, else the
    /// error, saying what differs when it can.
    async fn settle_ambiguous_create(
        &self,
        creates: Option<Creates<'_>>,
        error: Error,
    ) -> Result<Option<String>> {
        let (kind, name, differences) = if let Some(Creates::LaunchConfiguration(lc)) = creates {
            let name = lc.launch_configuration_name.clone();
            let found = self
                .send_plain(&DescribeLaunchConfigurationsInput {
                    launch_configuration_names: Some(vec![name.clone()]),
                    ..Default::default()
                })
                .await?
                .launch_configurations
                .unwrap_or_default()
                .into_iter()
                .find(|c| c.launch_configuration_name.as_deref() == Some(name.as_str()));
            let Some(existing) = found else {
                return Err(error);
            };
            let mut differences = Vec::new();
            differ(&mut differences, "image", &lc.image_id, &existing.image_id);
            differ(
                &mut differences,
                "instance type",
                &lc.instance_type,
                &existing.instance_type,
            );
            ("launch configuration", name, differences)
        } else if let Some(Creates::Group(group)) = creates {
            let name = group.auto_scaling_group_name.clone();
            let found = self
                .send_plain(&DescribeAutoScalingGroupsInput {
                    auto_scaling_group_names: Some(vec![name.clone()]),
                    ..Default::default()
                })
                .await?
                .auto_scaling_groups
                .unwrap_or_default()
                .into_iter()
                .find(|g| g.auto_scaling_group_name.as_deref() == Some(name.as_str()));
            let Some(existing) = found else {
                return Err(error);
            };
            let mut differences = Vec::new();
            differ(
                &mut differences,
                "launch configuration",
                &group.launch_configuration_name,
                &existing.launch_configuration_name,
            );
            differ(
                &mut differences,
                "min size",
                &Some(group.min_size),
                &existing.min_size,
            );
            differ(
                &mut differences,
                "max size",
                &Some(group.max_size),
                &existing.max_size,
            );
            differ(
                &mut differences,
                "desired capacity",
                &group.desired_capacity,
                &existing.desired_capacity,
            );
            ("group", name, differences)
        } else {
            return Err(error);
        };
        let Error::Service(mut service) = error else {
            return Err(error);
        };
        if differences.is_empty() {
            self.transport.debug_note(&format!(
                "{}: an earlier attempt's reply was lost and the retry says {}; the existing \
                 {kind} {name} matches the request, so the earlier attempt created it: success",
                service.operation, service.code
            ));
            return Ok(service.request_id);
        }
        service.message = format!(
            "{kind} {name} already exists and differs from this request: {}. An earlier attempt's \
             reply was lost, so it may have been created by someone else; nothing was changed{}",
            differences.join(", "),
            if service.message.is_empty() {
                String::new()
            } else {
                format!(" (server: {})", service.message)
            }
        );
        Err(Error::Service(service))
    }

    /// Every page of a Describe call, following `NextToken` until the server stops giving one.
    /// A listing never runs for ever: a token the server gave before (A, B, A, ...) ends it with
    /// an error, and so does a server still giving new tokens after the page limit
    /// ([`Client::with_max_pages`]). Either error is an unreadable reply (exit 4) naming the
    /// pages read.
    pub fn pages<O: Paginated + 'static>(
        &self,
        input: O,
    ) -> impl Stream<Item = Result<O::Output>> + '_ {
        let paging = Paging {
            operation: O::NAME,
            max_pages: self.max_pages,
            set_next_token: O::set_next_token,
            next_token: O::next_token,
        };
        // Each page's call owns a copy of the request (the loop then sets the next token in
        // its own): one clone of a small request per page.
        paging::pages(paging, input, move |input: &O| {
            let input = input.clone();
            async move {
                let reply = self.send(&input).await?;
                Ok((reply.output, reply.request_id))
            }
        })
    }

    /// Every item of a Describe call across pages, fetched a page at a time.
    pub fn items<O: Paginated + 'static>(
        &self,
        input: O,
    ) -> impl Stream<Item = Result<O::Item>> + '_ {
        paging::items(self.pages(input), O::into_items)
    }
}

/// Notes `what` in `differences` when the request asked for a value and the existing thing has
/// another one (a value the request left out is the server's choice, so it never differs).
fn differ<T: PartialEq + std::fmt::Display>(
    differences: &mut Vec<String>,
    what: &str,
    asked: &Option<T>,
    existing: &Option<T>,
) {
    if let Some(asked) = asked
        && existing.as_ref() != Some(asked)
    {
        let found = existing
            .as_ref()
            .map_or_else(|| "none".to_string(), ToString::to_string);
        differences.push(format!("{what} {found} (asked {asked})"));
    }
}
