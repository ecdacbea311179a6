//! Phantom's rules for the values of its ten actions, each one call from the handler it belongs
//! to: launch configuration names need `@site`, user data must be base64, and a domain's size is
//! the n-preserving N (MinSize = MaxSize = desired).

use base64::Engine as _;

use crate::server::fault::{ApiError, shorten};
use crate::server::sites;

fn invalid(message: String) -> ApiError {
    ApiError::with_status(400, "InvalidParameterValue", message)
}

/// Refuses a launch configuration name without `@site` (Phantom registered one per site).
pub fn check_lc_name(name: &str) -> Result<(), ApiError> {
    match sites::split(name) {
        Some(_) => Ok(()),
        None => Err(invalid(format!(
            "The name {} is not in the proper format.  It must be <name>@<site>",
            shorten(name)
        ))),
    }
}

/// Refuses user data that is not base64 (Phantom stored and returned it encoded).
pub fn check_user_data(user_data: Option<&str>) -> Result<(), ApiError> {
    let Some(data) = user_data.filter(|d| !d.is_empty()) else {
        return Ok(());
    };
    let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map(|_| ())
        .map_err(|_| invalid("UserData should be base64-encoded".to_string()))
}

/// The error for a domain that does not exist where Phantom's code meant to refuse it (the
/// genuine server crashed there with an internal error; see wsdl-notes/dialects.md).
pub fn no_domain(name: &str) -> ApiError {
    invalid(format!("Domain does not exist: {}", shorten(name)))
}

/// Sets a domain's preserved size: MinSize = MaxSize = desired = `n` (SetDesiredCapacity, and
/// `minimum_vms` in its tags).
pub fn preserve(
    tx: &rusqlite::Transaction<'_>,
    owner: &str,
    group: &mut crate::server::rows::groups::GroupRow,
    n: i64,
) -> Result<(), ApiError> {
    crate::server::rows::groups::check_limit(n)?;
    tx.execute(
        "UPDATE groups SET min_size = ?3, max_size = ?3, desired = ?3 WHERE owner = ?1 AND name = ?2",
        rusqlite::params![owner, group.name, n],
    )?;
    group.min = n;
    group.max = n;
    group.desired = n;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_user_data() {
        assert!(check_lc_name("test@hotel").is_ok());
        assert_eq!(
            check_lc_name("nosite").unwrap_err().code,
            "InvalidParameterValue"
        );
        assert!(check_user_data(Some("IyEvYmluL3NoCmVjaG8gaGVsbG8K")).is_ok());
        assert!(check_user_data(None).is_ok());
        assert!(check_user_data(Some("#!/bin/sh not base64")).is_err());
    }
}
