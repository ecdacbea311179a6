//! The operations by name, for callers that choose one at run time (the generic command, tests):
//! an [`OperationEntry`] per operation of the model, with its summary and functions that read its
//! request from JSON with the API's member names and write its reply as JSON.
//!
//! The table, [`OPERATIONS`], is generated (`generated_ops.rs`); the generic functions each entry
//! points at are here, written once for every shape.

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::client::Client;
use super::operations::Operation;
use crate::error::{Error, Result};
use crate::query::form;

pub use super::generated_ops::OPERATIONS;

/// Query form parameters, in the order they are sent.
pub type FormParams = Vec<(String, String)>;

/// One operation of the API.
#[derive(Debug)]
pub struct OperationEntry {
    /// The Query action, e.g. `DescribePolicies`.
    pub name: &'static str,
    /// One line on what it does (the first sentence of the model's documentation).
    pub summary: &'static str,
    /// Whether its replies come in pages linked by `NextToken` (paginators-1.json).
    pub paginated: bool,
    /// Reads a request from JSON with the API's member names and encodes it as the Query form
    /// parameters it is sent as (without `Action` and `Version`).
    pub form_from_json: fn(Value) -> Result<FormParams>,
    /// Reads a reply given as JSON with the API's member names into the reply shape and writes
    /// it back as JSON: what the reply shape keeps of it.
    pub reply_json: fn(Value) -> Result<Value>,
    /// Sends a request given as JSON and returns the reply as JSON with the API's names.
    pub call_json: for<'a> fn(&'a Client, Value) -> BoxFuture<'a, Result<Value>>,
}

/// The entry of the operation named `name` (the Query action name, exactly).
pub fn find(name: &str) -> Option<&'static OperationEntry> {
    OPERATIONS.iter().find(|entry| entry.name == name)
}

/// Reads the request of `O` from JSON.
fn input_from_json<O: Operation + DeserializeOwned>(json: Value) -> Result<O> {
    serde_json::from_value(json).map_err(|e| {
        Error::Encoding(format!(
            "{}: the input does not fit the request: {e}",
            O::NAME
        ))
    })
}

/// [`OperationEntry::form_from_json`] for `O`.
pub(super) fn form_from_json<O: Operation + DeserializeOwned>(json: Value) -> Result<FormParams> {
    form::to_params(&input_from_json::<O>(json)?).map_err(Error::Encoding)
}

/// [`OperationEntry::reply_json`] for `O`.
pub(super) fn reply_json<O: Operation>(json: Value) -> Result<Value>
where
    O::Output: Serialize,
{
    let output: O::Output = serde_json::from_value(json).map_err(|e| {
        Error::Encoding(format!(
            "{}: the reply does not fit the reply shape: {e}",
            O::NAME
        ))
    })?;
    to_json::<O>(&output)
}

/// [`OperationEntry::call_json`] for `O`.
pub(super) fn call_json<O: Operation + DeserializeOwned + 'static>(
    client: &Client,
    json: Value,
) -> BoxFuture<'_, Result<Value>>
where
    O::Output: Serialize,
{
    Box::pin(async move {
        let input = input_from_json::<O>(json)?;
        let reply = client.send(&input).await?;
        to_json::<O>(&reply.output)
    })
}

fn to_json<O: Operation>(output: &O::Output) -> Result<Value>
where
    O::Output: Serialize,
{
    serde_json::to_value(output)
        .map_err(|e| Error::Encoding(format!("{}: the reply as JSON: {e}", O::NAME)))
}
