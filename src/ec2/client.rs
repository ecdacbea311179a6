//! The EC2 client: one async method per operation of the slice (generated), and page and item
//! streams for the paginated Describe calls.
//!
//! Every method goes through [`Client::send`]: the input shape becomes form pairs in EC2's list
//! style ([`ListStyle::Ec2`]), and the shared transport signs (SigV4 service `ec2`), sends,
//! retries (the SDKs' standard mode: throttling codes such as `RequestLimitExceeded`, 5xx) and
//! reads the reply (`<OpResponse><requestId>` and the members) or the error
//! (`<Response><Errors><Error>..</Errors><RequestID>`) into the same [`crate::ServiceError`].

use futures_util::Stream;

use super::operations::{Operation, Paginated};
use crate::error::{Error, Result};
use crate::query::endpoint::Endpoint;
use crate::query::form::{self, ListStyle};
use crate::query::paging::{self, Paging};
use crate::query::transport::{Transport, TransportConfig};

/// The API version every request names.
pub const API_VERSION: &str = "2016-11-15";

/// The service named in SigV4 scopes and in `AWS_ENDPOINT_URL_EC2` / a profile's `services`.
pub const SERVICE: &str = "ec2";

/// The most pages one listing reads unless [`Client::with_max_pages`] says otherwise.
pub const DEFAULT_MAX_PAGES: usize = 1000;

/// A client for one EC2 endpoint. Cheap to clone; clones share one connection pool.
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
    /// The request id the server gave (`requestId`), if any.
    pub request_id: Option<String>,
}

/// The EC2 endpoint of a region: `https://ec2.<region>.amazonaws.com` (`.amazonaws.com.cn` for
/// China regions).
pub fn aws_endpoint(region: &str) -> Result<Endpoint> {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    Endpoint::parse(&format!("https://{SERVICE}.{region}.{suffix}"))
}

/// A transport configuration for EC2 at `endpoint`: the defaults of [`TransportConfig::new`]
/// with EC2's service name and API version.
pub fn transport_config(endpoint: Endpoint, region: impl Into<String>) -> TransportConfig {
    let mut config = TransportConfig::new(endpoint, region);
    config.service = SERVICE.into();
    config.version = API_VERSION.into();
    config
}

impl Client {
    /// A client over a configured transport; the service and version are set to EC2's whatever
    /// `config` says (see [`transport_config`] and
    /// [`crate::config::ResolvedConfig::ec2_transport`]).
    pub fn new(mut config: TransportConfig) -> Result<Self> {
        config.service = SERVICE.into();
        config.version = API_VERSION.into();
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

    /// The transport (configuration, connection pool).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Sends any operation of the slice and returns its typed reply with the request id.
    pub async fn send<O: Operation>(&self, input: &O) -> Result<Response<O::Output>> {
        let params = form::to_params_with(input, ListStyle::Ec2).map_err(Error::Encoding)?;
        let (outcome, _report) = self
            .transport
            .call_typed_with_report::<O::Output>(O::NAME, params)
            .await;
        let (output, request_id) = outcome?;
        Ok(Response { output, request_id })
    }

    /// Every page of a Describe call, following `NextToken` until the server stops giving one.
    /// A token given before, or new tokens past the page limit, end the listing with an error
    /// (as [`crate::autoscaling::Client::pages`] does).
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
