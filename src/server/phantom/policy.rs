//! Phantom's domain policies, read from a group's tags, and where they place instances.
//!
//! `PHANTOM_DEFINITION` names the policy (default `single_site_n_preserving`); further tags are its
//! parameters, and a key the definition does not know is refused, as Phantom refused it (400
//! `InvalidParameterValue`). The multi-site definitions (`multi_site_n_preserving`,
//! `error_overflow_n_preserving`) take `clouds`, ordered sites with per-site maxima
//! (`hotel:1,sierra:-1`, -1 unlimited), and `minimum_vms` / `maximum_vms`; `sensor_engine` takes
//! those and its sensor settings, validated and stored (this endpoint has no metrics, so a sensor
//! domain keeps `minimum_vms`). The preserved size N of a domain whose tags give `minimum_vms` is
//! that number: creating the domain or changing its tags sets MinSize = MaxSize = desired = N.
//!
//! Placement ([`Placement::place`]): the first site in order that is neither full (its maximum
//! reached by the group's live instances) nor failed (a listed `900-FAILED` instance of the group
//! is there); a launch to a site this endpoint does not offer fails (`900-FAILED`), and the next
//! launch overflows to the next site. A single-site domain has one unlimited site: its launch
//! configuration's.

use rusqlite::{Transaction, params};

use crate::server::fault::{ApiError, shorten};

/// The tag that names a domain's policy.
pub const DEFINITION_KEY: &str = "PHANTOM_DEFINITION";

/// The definitions Phantom knows, each with the parameter keys it takes.
const DEFINITIONS: &[(&str, &[&str])] = &[
    ("single_site_n_preserving", &[]),
    ("multi_site_n_preserving", MULTI_SITE),
    ("error_overflow_n_preserving", MULTI_SITE),
    ("sensor_engine", SENSOR),
    ("test", &[]),
];

const MULTI_SITE: &[&str] = &["clouds", "minimum_vms", "maximum_vms"];

/// `sensor_engine`'s parameters (numbers, but for `metric`, `sample_function`, `sensor_type`).
const SENSOR: &[&str] = &[
    "clouds",
    "minimum_vms",
    "maximum_vms",
    "metric",
    "sample_function",
    "sensor_type",
    "sample_period",
    "scale_up_threshold",
    "scale_up_n_vms",
    "scale_down_threshold",
    "scale_down_n_vms",
    "cooldown_period",
];

/// A domain's policy as its tags give it.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The definition's name.
    pub definition: String,
    /// Ordered sites and their maxima (-1: unlimited); empty: the launch configuration's site.
    pub clouds: Vec<(String, i64)>,
    /// `minimum_vms`, the preserved size when given.
    pub minimum_vms: Option<i64>,
    /// `maximum_vms`.
    pub maximum_vms: Option<i64>,
}

fn invalid(message: String) -> ApiError {
    ApiError::with_status(400, "InvalidParameterValue", message)
}

/// Reads and checks a domain's policy from its tags (key, value), as Phantom checked them.
pub fn parse<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Policy, ApiError> {
    let tags: Vec<(&str, &str)> = tags.into_iter().collect();
    let definition = tags
        .iter()
        .rev()
        .find(|(k, _)| *k == DEFINITION_KEY)
        .map_or("single_site_n_preserving", |(_, v)| *v);
    let Some((_, known)) = DEFINITIONS.iter().find(|(d, _)| *d == definition) else {
        return Err(invalid(format!(
            "{} is an unknown definition type.  Please check your tags",
            shorten(definition)
        )));
    };
    let mut policy = Policy {
        definition: definition.to_string(),
        clouds: Vec::new(),
        minimum_vms: None,
        maximum_vms: None,
    };
    for (key, value) in tags.iter().filter(|(k, _)| *k != DEFINITION_KEY) {
        if !known.contains(key) {
            return Err(invalid(format!(
                "The key {} is not a parameter of the definition {definition}.  Please check your \
                 tags",
                shorten(key)
            )));
        }
        match *key {
            "clouds" => policy.clouds = clouds(value)?,
            "minimum_vms" => policy.minimum_vms = Some(count(key, value)?),
            "maximum_vms" => policy.maximum_vms = Some(count(key, value)?),
            "metric" | "sample_function" | "sensor_type" => {
                if value.trim().is_empty() {
                    return Err(invalid(format!("The value of {key} must not be empty")));
                }
            }
            _ => {
                if value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .is_none_or(|n| !n.is_finite())
                {
                    return Err(invalid(format!(
                        "The value of {key} must be a number, not {}",
                        shorten(value)
                    )));
                }
            }
        }
    }
    if let (Some(min), Some(max)) = (policy.minimum_vms, policy.maximum_vms)
        && min > max
    {
        return Err(invalid(format!(
            "minimum_vms ({min}) must not exceed maximum_vms ({max})"
        )));
    }
    Ok(policy)
}

/// A whole number of VMs, 0 or more.
fn count(key: &str, value: &str) -> Result<i64, ApiError> {
    match value.trim().parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(invalid(format!(
            "The value of {key} must be a whole number, 0 or more, not {}",
            shorten(value)
        ))),
    }
}

/// `hotel:1,sierra:-1`: sites in order, each with its maximum (-1 unlimited; no `:N` is -1).
fn clouds(value: &str) -> Result<Vec<(String, i64)>, ApiError> {
    let mut out: Vec<(String, i64)> = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (site, max) = match part.split_once(':') {
            Some((site, max)) => (site.trim(), max.trim().parse::<i64>().ok()),
            None => (part, Some(-1)),
        };
        match max {
            Some(max) if max >= -1 && !site.is_empty() && !out.iter().any(|(s, _)| s == site) => {
                out.push((site.to_string(), max));
            }
            _ => {
                return Err(invalid(format!(
                    "The clouds {} are not in the form site:max,site:max (max a whole number, \
                     -1 for unlimited, each site once)",
                    shorten(value)
                )));
            }
        }
    }
    if out.is_empty() {
        return Err(invalid("The clouds tag names no site".to_string()));
    }
    Ok(out)
}

/// Where a domain's instances go: its sites in order with their maxima, and the sites that exist.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Ordered sites and maxima (-1 unlimited).
    pub sites: Vec<(String, i64)>,
    /// The sites this endpoint offers; a launch anywhere else fails.
    pub offered: Vec<String>,
}

impl Placement {
    /// The placement of a domain with `policy` whose launch configuration's site is `site`.
    pub fn new(policy: &Policy, site: &str, offered: &[String]) -> Placement {
        let sites = if policy.clouds.is_empty() {
            vec![(site.to_string(), -1)]
        } else {
            policy.clouds.clone()
        };
        Placement {
            sites,
            offered: offered.to_vec(),
        }
    }

    /// The site the group's next launch goes to and whether it fails there (a site not offered);
    /// `None` when every site is full or failed.
    pub fn place(
        &self,
        tx: &Transaction<'_>,
        owner: &str,
        group: &str,
    ) -> Result<Option<(String, bool)>, ApiError> {
        let mut stmt = tx.prepare_cached(
            "SELECT zone, COALESCE(hook_phase = ?3, 0) FROM instances \
             WHERE owner = ?1 AND group_name = ?2 AND (terminating_ms IS NULL OR hook_phase = ?3)",
        )?;
        let rows: Vec<(String, bool)> = stmt
            .query_map(params![owner, group, super::FAILED], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        for (site, max) in &self.sites {
            if rows.iter().any(|(z, failed)| *failed && z == site) {
                continue;
            }
            let live = rows
                .iter()
                .filter(|(z, failed)| !failed && z == site)
                .count();
            if *max >= 0 && live as i64 >= *max {
                continue;
            }
            return Ok(Some((site.clone(), !self.offered.contains(site))));
        }
        Ok(None)
    }
}

impl Placement {
    /// The group's live instances that its sites no longer allow, newest first within a site: on
    /// a site it does not name, or past a site's maximum (a changed policy moves them).
    pub fn excess(
        &self,
        tx: &Transaction<'_>,
        owner: &str,
        group: &str,
    ) -> Result<Vec<String>, ApiError> {
        let mut stmt = tx.prepare_cached(
            "SELECT id, zone FROM instances WHERE owner = ?1 AND group_name = ?2 \
             AND terminating_ms IS NULL ORDER BY launched_ms, id",
        )?;
        let live: Vec<(String, String)> = stmt
            .query_map(params![owner, group], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for (id, zone) in live.iter().rev() {
            let allowed = match self.sites.iter().find(|(s, _)| s == zone) {
                None => 0,
                Some((_, max)) if *max < 0 => i64::MAX,
                Some((_, max)) => *max,
            };
            let on_site = live
                .iter()
                .filter(|(i, z)| z == zone && !out.contains(i))
                .count();
            if on_site as i64 > allowed {
                out.push(id.clone());
            }
        }
        Ok(out)
    }
}

/// The policy of a stored group, from its tags.
pub fn of_group(tx: &Transaction<'_>, owner: &str, group: &str) -> Result<Policy, ApiError> {
    let tags = crate::server::rows::tags::group_tags(tx, owner, group)?;
    parse(tags.iter().map(|t| {
        (
            t.key.as_deref().unwrap_or(""),
            t.value.as_deref().unwrap_or(""),
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_give_the_policy() {
        let p = parse([
            ("PHANTOM_DEFINITION", "error_overflow_n_preserving"),
            ("clouds", "hotel:1,sierra:-1"),
            ("minimum_vms", "3"),
        ])
        .unwrap();
        assert_eq!(p.clouds, [("hotel".into(), 1), ("sierra".into(), -1)]);
        assert_eq!(p.minimum_vms, Some(3));
        assert_eq!(parse([]).unwrap().definition, "single_site_n_preserving");
        let e = parse([("PHANTOM_DEFINITION", "nosuch")]).unwrap_err();
        assert_eq!((e.status, e.code), (400, "InvalidParameterValue"));
        assert!(parse([("owner", "me")]).is_err());
        assert!(
            parse([
                ("PHANTOM_DEFINITION", "sensor_engine"),
                ("cooldown_period", "x")
            ])
            .is_err()
        );
        assert!(
            parse([
                ("PHANTOM_DEFINITION", "multi_site_n_preserving"),
                ("clouds", "a:b")
            ])
            .is_err()
        );
        assert!(
            parse([
                ("PHANTOM_DEFINITION", "sensor_engine"),
                ("metric", "load"),
                ("scale_up_n_vms", "2")
            ])
            .is_ok()
        );
    }
}
