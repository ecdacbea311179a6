//! The Elastic Load Balancing client, one type for both slices: `Client<Classic>` and
//! `Client<V2>`, each with one async method per operation of its slice (generated), and page and
//! item streams for the paginated Describe calls.
//!
//! Every method goes through [`Client::send`]: the input shape becomes Query form pairs as Auto
//! Scaling's do, and the shared transport signs (SigV4 service `elasticloadbalancing`), sends
//! with the slice's `Version`, retries (the SDKs' standard mode: throttling codes, 5xx) and reads
//! the reply (`<OpResponse><OpResult>`) or the error (`<ErrorResponse>`) into the same
//! [`crate::ServiceError`].

use std::marker::PhantomData;

use futures_util::Stream;

use super::operations::{Operation, Paginated, Slice};
use crate::error::{Error, Result};
use crate::query::endpoint::Endpoint;
use crate::query::form;
use crate::query::paging::{self, Paging};
use crate::query::transport::{Transport, TransportConfig};

/// The service named in SigV4 scopes and in the endpoint's host, for both slices.
pub const SERVICE: &str = "elasticloadbalancing";

/// The most pages one listing reads unless [`Client::with_max_pages`] says otherwise.
pub const DEFAULT_MAX_PAGES: usize = 1000;

/// A client for one Elastic Load Balancing endpoint, speaking slice `S`. Cheap to clone; clones
/// share one connection pool.
#[derive(Debug)]
pub struct Client<S: Slice> {
    transport: Transport,
    max_pages: usize,
    slice: PhantomData<S>,
}

impl<S: Slice> Clone for Client<S> {
    fn clone(&self) -> Self {
        Client {
            transport: self.transport.clone(),
            max_pages: self.max_pages,
            slice: PhantomData,
        }
    }
}

/// The reply of an operation together with its request id.
#[derive(Debug, Clone, PartialEq)]
pub struct Response<T> {
    /// The typed reply.
    pub output: T,
    /// The request id the server gave (`RequestId`), if any.
    pub request_id: Option<String>,
}

/// The endpoint of both slices in a region: `https://elasticloadbalancing.<region>.amazonaws.com`
/// (`.amazonaws.com.cn` for China regions).
pub fn aws_endpoint(region: &str) -> Result<Endpoint> {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    Endpoint::parse(&format!("https://{SERVICE}.{region}.{suffix}"))
}

impl<S: Slice> Client<S> {
    /// A client over a configured transport; the service and version are set to the slice's
    /// whatever `config` says (see [`crate::config::ResolvedConfig::elb_transport`]).
    pub fn new(mut config: TransportConfig) -> Result<Self> {
        config.service = SERVICE.into();
        config.version = S::VERSION.into();
        Ok(Client {
            transport: Transport::new(config)?,
            max_pages: DEFAULT_MAX_PAGES,
            slice: PhantomData,
        })
    }

    /// The same client, reading at most `max_pages` pages per listing (at least 1).
    pub fn with_max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = max_pages.max(1);
        self
    }

    /// The transport (configuration, connection pool).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Sends any operation of the slice and returns its typed reply with the request id.
    pub async fn send<O: Operation<Slice = S>>(&self, input: &O) -> Result<Response<O::Output>> {
        let params = form::to_params(input).map_err(Error::Encoding)?;
        let (outcome, _report) = self
            .transport
            .call_typed_with_report::<O::Output>(O::NAME, params)
            .await;
        let (output, request_id) = outcome?;
        Ok(Response { output, request_id })
    }

    /// Every page of a Describe call, following `NextMarker` until the server stops giving one.
    /// A marker given before, or new markers past the page limit, end the listing with an error
    /// (as [`crate::autoscaling::Client::pages`] does).
    pub fn pages<O: Paginated<Slice = S> + 'static>(
        &self,
        input: O,
    ) -> impl Stream<Item = Result<O::Output>> + '_ {
        let paging = Paging {
            operation: O::NAME,
            max_pages: self.max_pages,
            set_next_token: O::set_next_token,
            next_token: O::next_token,
        };
        paging::pages(paging, input, move |input: &O| {
            let input = input.clone();
            async move {
                let reply = self.send(&input).await?;
                Ok((reply.output, reply.request_id))
            }
        })
    }

    /// Every item of a Describe call across pages, fetched a page at a time.
    pub fn items<O: Paginated<Slice = S> + 'static>(
        &self,
        input: O,
    ) -> impl Stream<Item = Result<O::Item>> + '_ {
        paging::items(self.pages(input), O::into_items)
    }
}
