//! Launch configuration rows: the JSON of the API's `LaunchConfiguration` shape by owner and name.

use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::types::LaunchConfiguration;
use crate::server::fault::{ApiError, shorten};
use crate::server::store::Cached;

/// Loads a launch configuration by its stored name.
pub fn load(
    tx: &Transaction<'_>,
    owner: &str,
    name: &str,
) -> Result<Option<LaunchConfiguration>, ApiError> {
    let doc: Option<String> = tx
        .query_row_cached(
            "SELECT doc FROM launch_configurations WHERE owner = ?1 AND name = ?2",
            params![owner, name],
            |r| r.get(0),
        )
        .optional()?;
    doc.map(|d| serde_json::from_str(&d).map_err(ApiError::from))
        .transpose()
}

/// The error for a launch configuration that does not exist.
pub fn not_found(name: &str) -> ApiError {
    ApiError::validation(format!(
        "Launch configuration name not found - Launch configuration {} not found",
        shorten(name)
    ))
}
