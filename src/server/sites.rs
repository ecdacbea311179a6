//! Phantom's `name@site` convention: which site a launch configuration names, whether the site is
//! one this endpoint offers, and where a group's instances are placed.
//!
//! Phantom registered one launch configuration per site as `<name>@<site>` and let a group name it
//! either in full or as the bare `<name>`; its instances reported the site as their
//! `AvailabilityZone`. AWS-style names without `@` are accepted too; their instances go to the
//! group's first availability zone, or the first site.

use crate::server::fault::{ApiError, shorten};

/// Splits `name@site` into its name and site; `None` for a name without `@site`.
pub fn split(name: &str) -> Option<(&str, &str)> {
    name.rsplit_once('@')
        .filter(|(base, site)| !base.is_empty() && !site.is_empty())
}

/// Refuses a `name@site` whose site is not in `sites`.
pub fn check(name: &str, sites: &[String]) -> Result<(), ApiError> {
    match split(name) {
        Some((_, site)) if !sites.iter().any(|s| s == site) => Err(ApiError::validation(format!(
            "Unknown site '{}' in launch configuration name '{}'; this endpoint offers: {}",
            shorten(site),
            shorten(name),
            sites.join(", ")
        ))),
        _ => Ok(()),
    }
}

/// The launch configuration names a group's reference may mean, most specific first: the name
/// itself, then (for a bare name) `name@site` for each site in order.
pub fn candidates(given: &str, sites: &[String]) -> Vec<String> {
    let mut names = vec![given.to_string()];
    if split(given).is_none() {
        names.extend(sites.iter().map(|s| format!("{given}@{s}")));
    }
    names
}

/// The zone new instances of a group go to: the launch configuration's site, else the group's
/// first availability zone, else the first site.
pub fn zone_for(lc_name: &str, zones: &[String], sites: &[String]) -> String {
    if let Some((_, site)) = split(lc_name) {
        return site.to_string();
    }
    zones
        .first()
        .or_else(|| sites.first())
        .cloned()
        .unwrap_or_else(|| "local".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_zones() {
        let sites = vec!["hotel".to_string(), "sierra".to_string()];
        assert_eq!(split("x@hotel"), Some(("x", "hotel")));
        assert_eq!(split("x"), None);
        assert!(check("x@hotel", &sites).is_ok());
        assert!(check("x@mars", &sites).is_err());
        assert_eq!(candidates("x", &sites), ["x", "x@hotel", "x@sierra"]);
        assert_eq!(candidates("x@sierra", &sites), ["x@sierra"]);
        assert_eq!(zone_for("x@sierra", &[], &sites), "sierra");
        assert_eq!(zone_for("x", &["us-east-1a".into()], &sites), "us-east-1a");
        assert_eq!(zone_for("x", &[], &sites), "hotel");
    }
}
