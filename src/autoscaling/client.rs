//! The Auto Scaling client: one async method per operation, and page and item streams for the
//! Describe calls.
//!
//! Every method goes through [`Client::send`]: serialize the input shape to Query parameters, let
//! the transport sign, send, retry and read the reply, and fill the output shape from the result
//! tree. The methods below are one line each over it.

use std::collections::VecDeque;

use futures_util::Stream;
use futures_util::stream;

use super::operations::{Operation, Paginated};
use super::types::*;
use crate::error::{Error, Result};
use crate::query::transport::{Transport, TransportConfig};
use crate::query::{form, tree};

/// A client for one Auto Scaling endpoint. Cheap to clone; clones share one connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    transport: Transport,
}

/// The reply of an operation together with its request id.
#[derive(Debug, Clone, PartialEq)]
pub struct Response<T> {
    /// The typed reply.
    pub output: T,
    /// The request id the server gave, if any.
    pub request_id: Option<String>,
}

macro_rules! methods {
    ($($(#[$doc:meta])* $method:ident($input:ty);)*) => {$(
        $(#[$doc])*
        pub async fn $method(&self, input: &$input) -> Result<<$input as Operation>::Output> {
            self.send(input).await.map(|r| r.output)
        }
    )*};
}

impl Client {
    /// A client over a configured transport.
    pub fn new(config: TransportConfig) -> Result<Self> {
        Ok(Client {
            transport: Transport::new(config)?,
        })
    }

    /// The transport (configuration, connection pool).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Sends any operation and returns its typed reply with the request id.
    pub async fn send<O: Operation>(&self, input: &O) -> Result<Response<O::Output>> {
        let params = form::to_params(input).map_err(Error::Signing)?;
        let (result, request_id) = self.transport.call(O::NAME, params).await?;
        let output = if result.is_null() {
            O::Output::default()
        } else {
            tree::from_tree(&result).map_err(|e| Error::Parse {
                operation: O::NAME.to_string(),
                status: 200,
                request_id: request_id.clone(),
                message: format!("reply does not fit {}Result: {e}", O::NAME),
            })?
        };
        Ok(Response { output, request_id })
    }

    /// Every page of a Describe call, following `NextToken` until the server stops giving one.
    /// A server that repeats a token is reported, not followed forever.
    pub fn pages<O: Paginated + 'static>(
        &self,
        input: O,
    ) -> impl Stream<Item = Result<O::Output>> + '_ {
        struct State<O> {
            input: O,
            last_token: Option<String>,
            done: bool,
        }
        let start = State {
            input,
            last_token: None,
            done: false,
        };
        stream::unfold(start, move |mut state| async move {
            if state.done {
                return None;
            }
            let page = match self.send(&state.input).await {
                Ok(r) => r,
                Err(e) => {
                    state.done = true;
                    return Some((Err(e), state));
                }
            };
            match O::next_token(&page.output).map(str::to_string) {
                Some(token) if state.last_token.as_deref() == Some(token.as_str()) => {
                    state.done = true;
                    let err = Error::Parse {
                        operation: O::NAME.to_string(),
                        status: 200,
                        request_id: page.request_id,
                        message: format!(
                            "the server returned the same NextToken twice ({token:?}); stopping"
                        ),
                    };
                    return Some((Err(err), state));
                }
                Some(token) => {
                    state.last_token = Some(token.clone());
                    state.input.set_next_token(Some(token));
                }
                None => state.done = true,
            }
            Some((Ok(page.output), state))
        })
    }

    /// Every item of a Describe call across pages, fetched a page at a time.
    pub fn items<O: Paginated + 'static>(
        &self,
        input: O,
    ) -> impl Stream<Item = Result<O::Item>> + '_ {
        let pages = Box::pin(self.pages(input));
        stream::unfold(
            (pages, VecDeque::new()),
            |(mut pages, mut buffer)| async move {
                use futures_util::StreamExt;
                loop {
                    if let Some(item) = buffer.pop_front() {
                        return Some((Ok(item), (pages, buffer)));
                    }
                    match pages.next().await? {
                        Ok(page) => buffer.extend(O::into_items(page)),
                        Err(e) => return Some((Err(e), (pages, buffer))),
                    }
                }
            },
        )
    }

    methods! {
        /// Creates a launch configuration.
        create_launch_configuration(CreateLaunchConfigurationInput);
        /// Deletes a launch configuration.
        delete_launch_configuration(DeleteLaunchConfigurationInput);
        /// Describes launch configurations (one page; see [`Client::items`]).
        describe_launch_configurations(DescribeLaunchConfigurationsInput);
        /// Creates an Auto Scaling group.
        create_auto_scaling_group(CreateAutoScalingGroupInput);
        /// Updates an Auto Scaling group.
        update_auto_scaling_group(UpdateAutoScalingGroupInput);
        /// Deletes an Auto Scaling group.
        delete_auto_scaling_group(DeleteAutoScalingGroupInput);
        /// Describes Auto Scaling groups (one page; see [`Client::items`]).
        describe_auto_scaling_groups(DescribeAutoScalingGroupsInput);
        /// Sets a group's desired capacity (Phantom: the n-preserving size).
        set_desired_capacity(SetDesiredCapacityInput);
        /// Describes instances in groups (one page; see [`Client::items`]).
        describe_auto_scaling_instances(DescribeAutoScalingInstancesInput);
        /// Terminates one instance, optionally lowering the desired capacity.
        terminate_instance_in_auto_scaling_group(TerminateInstanceInAutoScalingGroupInput);
        /// Creates or updates tags.
        create_or_update_tags(CreateOrUpdateTagsInput);
        /// Deletes tags.
        delete_tags(DeleteTagsInput);
        /// Describes tags (one page; see [`Client::items`]).
        describe_tags(DescribeTagsInput);
        /// Describes scaling activities (one page; see [`Client::items`]).
        describe_scaling_activities(DescribeScalingActivitiesInput);
    }
}
