//! The operations of each slice by name, for `phantom api elb|elbv2 OPERATION`: an
//! [`ApiOperation`] per operation (generated into each slice's table, `OPERATIONS`) with the
//! generic function that reads its request from JSON with the API's member names, sends it and
//! writes the reply as JSON, written once here for every shape.

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::client::Client;
use super::operations::{Operation, Slice};
use crate::error::{Error, Result};
use crate::query::tree;

/// One operation of a slice.
#[derive(Debug)]
pub struct ApiOperation<S: Slice> {
    /// The Query action, e.g. `DescribeTargetGroups`.
    pub name: &'static str,
    /// The AWS CLI's name of it, e.g. `describe-target-groups`.
    pub cli_name: &'static str,
    /// One line on what it does (the first sentence of the model's documentation).
    pub summary: &'static str,
    /// How its replies come in pages, for the paginated Describes.
    pub pages: Option<Pages>,
    /// Sends a request given as JSON and returns the reply as JSON with the API's names.
    pub call_json: for<'a> fn(&'a Client<S>, Value) -> BoxFuture<'a, Result<Value>>,
}

/// The paginator facts of an operation (paginators-1.json).
#[derive(Debug)]
pub struct Pages {
    /// The input member asking for a page (`Marker`).
    pub input_token: &'static str,
    /// The reply member naming the next page (`NextMarker`).
    pub output_token: &'static str,
    /// The reply member holding the listed items (`TargetGroups`).
    pub result_key: &'static str,
}

/// The operation of `table` named `name` (its API name or the AWS CLI's, case-insensitively).
pub fn find<S: Slice>(
    table: &'static [ApiOperation<S>],
    name: &str,
) -> Option<&'static ApiOperation<S>> {
    table
        .iter()
        .find(|op| op.name.eq_ignore_ascii_case(name) || op.cli_name.eq_ignore_ascii_case(name))
}

/// [`ApiOperation::call_json`] for `O`.
pub fn call_json<O>(client: &Client<O::Slice>, json: Value) -> BoxFuture<'_, Result<Value>>
where
    O: Operation + DeserializeOwned + 'static,
    O::Output: Serialize,
{
    Box::pin(async move {
        let input: O = tree::from_node(&tree::node_from_json(json)).map_err(|e| {
            Error::Encoding(format!(
                "{}: the input does not fit the request: {e}",
                O::NAME
            ))
        })?;
        let reply = client.send(&input).await?;
        serde_json::to_value(&reply.output)
            .map_err(|e| Error::Encoding(format!("{}: the reply as JSON: {e}", O::NAME)))
    })
}

/// Runs `op` with `input`: one call, or for a paginated operation (unless `one_page`) every
/// page, following the reply's marker, with the items of all pages under the first page's
/// other members and no marker (as the AWS CLI prints a listing). A marker given twice, or more
/// than `max_pages` pages, ends the listing with an error.
pub async fn run<S: Slice>(
    op: &ApiOperation<S>,
    client: &Client<S>,
    mut input: Value,
    one_page: bool,
    max_pages: usize,
) -> Result<Value> {
    let Some(pages) = op.pages.as_ref().filter(|_| !one_page) else {
        return (op.call_json)(client, input).await;
    };
    let mut merged = (op.call_json)(client, input.clone()).await?;
    let mut seen = std::collections::HashSet::new();
    let mut count = 1;
    loop {
        let Some(Value::Object(members)) = Some(&mut merged) else {
            return Ok(merged);
        };
        let marker = match members.remove(pages.output_token) {
            Some(Value::String(m)) if !m.is_empty() => m,
            _ => return Ok(merged),
        };
        if !seen.insert(marker.clone()) || count >= max_pages {
            return Err(Error::Config(format!(
                "{}: the listing did not end after {count} pages (marker {marker:?} again, or \
                 too many pages)",
                op.name
            )));
        }
        match &mut input {
            Value::Object(fields) => {
                fields.insert(pages.input_token.into(), Value::String(marker));
            }
            _ => return Ok(merged),
        }
        let mut next = (op.call_json)(client, input.clone()).await?;
        count += 1;
        let items = next
            .get_mut(pages.result_key)
            .map(Value::take)
            .unwrap_or(Value::Null);
        if let Value::Array(more) = items {
            match members.get_mut(pages.result_key) {
                Some(Value::Array(have)) => have.extend(more),
                _ => {
                    members.insert(pages.result_key.into(), Value::Array(more));
                }
            }
        }
        if let Some(m) = next.get_mut(pages.output_token).map(Value::take) {
            members.insert(pages.output_token.into(), m);
        }
    }
}
