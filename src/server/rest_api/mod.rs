//! Phantom's REST API (`/api/dev`) over the same store as the Query API: the [`RestBackend`] that
//! `phantom serve` plugs into the HTTP layer of [`crate::rest::endpoint`].
//!
//! Why a translation and not a second data model: every REST call becomes calls of the Query
//! operations' own typed handlers ([`crate::server::ops::call`]: typed input, checked against the
//! model as a Query request is, typed output; no form, no XML) inside one store transaction, so
//! both APIs obey the same rules, see the same objects, and a failed REST call changes nothing.
//!
//! Layout, by concern: this file routes a call and holds what every concern shares; [`ids`] the
//! stable ids, [`sites`] sites and sensors, [`credentials`] a user's keys per site,
//! [`launch_configurations`] REST launch configurations over Query ones, [`domains`] domains and
//! their instances over groups, [`objects`] Chef credentials and image generators (documents the
//! Query API has nothing for). Users and tokens (`/api/dev/token`) are the HTTP layer's
//! (`crate::rest::access`, `crate::rest::endpoint`), not this backend's. The mapping, Phantom's own:
//! - a launch configuration with `cloud_params` for sites `hotel` and `sierra` is the Query launch
//!   configurations `name@hotel` and `name@sierra` (a bare Query name counts as the first site);
//!   the settings the Query shape has no member for (`max_vms`, `common`, `rank`,
//!   `contextualization_method`, `user_data`) are kept in `rest_cloud_params`;
//! - a domain is a group with MinSize = MaxSize = DesiredCapacity = `vm_count` (`de_name`
//!   `multicloud`, Phantom's n-preserving engine). The `sensor` engine is refused with a 400 that
//!   says so: this endpoint has no metrics to scale on. A domain uses its launch configuration's
//!   best-ranked site. Deleting a domain is a `ForceDelete`; terminating an instance with
//!   `adjust_policy=true` is `ShouldDecrementDesiredCapacity` (the group's bounds follow);
//! - ids are random at creation and stored with the object ([`ids`]): 8 base-62 characters for a
//!   launch configuration, a uuid4 for a domain, as Phantom made them; never derived from the
//!   name. An instance's id is its Query `i-...` id;
//! - states: `Pending` 400-PENDING, `InService` 600-RUNNING, `Terminating` 700-TERMINATING (an
//!   instance is gone once terminated); under `--dialect phantom` the Query API's own Phantom
//!   states, with ended instances listed a while as 800-TERMINATED (or 900-FAILED);
//! - host names and addresses are made up from the instance id (documentation ranges).
//!
//! Refusals use the genuine server's texts (see `tests/fixtures/phantom-wire/rest-captures`), with
//! two deliberate differences: a launch configuration's missing site fields are named correctly
//! (the genuine message listed the wrong set), and an unknown site is listed with this endpoint's
//! sites. Every refusal is an error out of the transaction, so it rolls back whatever the call had
//! done before it.

mod credentials;
mod domains;
pub(crate) mod ids;
mod launch_configurations;
mod objects;
mod sites;

use std::sync::Arc;

use axum::http::Method;
use rusqlite::Transaction;
use serde_json::Value;

use crate::autoscaling::types::DeleteAutoScalingGroupInput;
use crate::rest::access::User;
use crate::rest::endpoint::{Outcome, RestBackend};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::now_ms;
use crate::server::ops::{self, Ctx, Settings};
use crate::server::store::Store;

use self::credentials::{
    credentials_create, credentials_delete, credentials_get, credentials_list, credentials_update,
    key_names,
};
use self::domains::{
    domain_create, domain_json, domain_require, domain_update, group_name, groups, instance_delete,
    instance_json, instances,
};
use self::launch_configurations::{lc_create, lc_delete, lc_require, lc_update, lc_views};
use self::objects::{CHEF, IMAGE_GENERATORS};
use self::sites::{SENSORS, sensor_json, site_json};

/// The REST API over the server's store.
pub struct StoreBackend {
    store: Arc<Store>,
    settings: Settings,
}

impl StoreBackend {
    /// A backend over `store`, with the endpoint's sites and delays.
    pub fn new(store: Arc<Store>, settings: Settings) -> Self {
        StoreBackend { store, settings }
    }
}

impl RestBackend for StoreBackend {
    fn call(
        &self,
        user: &User,
        method: &Method,
        path: &[&str],
        body: Option<&Value>,
        params: &[(String, String)],
    ) -> Outcome {
        let ctx = Ctx {
            owner: &user.owner,
            now: now_ms(),
            settings: &self.settings,
        };
        let req = Request { user, body, params };
        let result = self
            .store
            .transaction(|tx| route(&ctx, tx, &req, method, path));
        match result {
            Ok(outcome) => outcome,
            Err(e) if e.status == 404 => Outcome::NotFound(e.message),
            Err(e) if e.status >= 500 => Outcome::Internal(e.message),
            Err(e) => Outcome::BadRequest(e.message),
        }
    }
}

/// What a call carries besides its method and path.
struct Request<'a> {
    user: &'a User,
    body: Option<&'a Value>,
    params: &'a [(String, String)],
}

impl Request<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn flag(&self, name: &str) -> bool {
        self.param(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The body's member `name`, when the body is an object that has it (and it is not null).
    fn member(&self, name: &str) -> Option<&Value> {
        self.body
            .and_then(Value::as_object)
            .and_then(|o| o.get(name))
            .filter(|v| !v.is_null())
    }
}

type Reply = Result<Outcome, ApiError>;

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::validation(message)
}

fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::with_status(404, "NotFound", message)
}

fn route(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    req: &Request<'_>,
    method: &Method,
    path: &[&str],
) -> Reply {
    match (method.as_str(), path) {
        ("GET", ["sites"]) => Ok(Outcome::Ok(Value::Array(
            ctx.settings
                .sites
                .iter()
                .map(|s| site_json(s, req.flag("details")))
                .collect(),
        ))),
        ("GET", ["sites", id]) => match ctx.settings.sites.iter().find(|s| s == id) {
            Some(s) => Ok(Outcome::Ok(site_json(s, req.flag("details")))),
            None => Err(not_found(format!("Site {} not found", shorten(id)))),
        },
        ("GET", ["sensors"]) => Ok(Outcome::Ok(Value::Array(
            SENSORS.iter().map(|s| sensor_json(s)).collect(),
        ))),
        ("GET", ["sensors", id]) => match SENSORS.iter().find(|s| *s == id) {
            Some(s) => Ok(Outcome::Ok(sensor_json(s))),
            None => Err(not_found(format!("Sensor {} not found", shorten(id)))),
        },
        ("GET", ["credentials", "sites"]) => credentials_list(ctx, tx, req),
        ("POST", ["credentials", "sites"]) => credentials_create(ctx, tx, req),
        ("GET", ["credentials", "sites", id]) => credentials_get(ctx, tx, id),
        ("PUT", ["credentials", "sites", id]) => credentials_update(ctx, tx, req, id),
        ("DELETE", ["credentials", "sites", id]) => credentials_delete(ctx, tx, id),
        ("GET", ["credentials", "chef"]) => objects::list(ctx, tx, &CHEF),
        ("POST", ["credentials", "chef"]) => objects::create(ctx, tx, &CHEF, req),
        ("GET", ["credentials", "chef", id]) => objects::show(ctx, tx, &CHEF, id),
        ("PUT", ["credentials", "chef", id]) => objects::update(ctx, tx, &CHEF, req, id),
        ("DELETE", ["credentials", "chef", id]) => objects::delete(ctx, tx, &CHEF, id),
        ("GET", ["imagegenerators"]) => objects::list(ctx, tx, &IMAGE_GENERATORS),
        ("POST", ["imagegenerators"]) => objects::create(ctx, tx, &IMAGE_GENERATORS, req),
        ("GET", ["imagegenerators", id]) => objects::show(ctx, tx, &IMAGE_GENERATORS, id),
        ("PUT", ["imagegenerators", id]) => objects::update(ctx, tx, &IMAGE_GENERATORS, req, id),
        ("DELETE", ["imagegenerators", id]) => objects::delete(ctx, tx, &IMAGE_GENERATORS, id),
        ("GET", ["launchconfigurations"]) => Ok(Outcome::Ok(Value::Array(
            lc_views(ctx, tx)?
                .iter()
                .map(|lc| lc.json(&req.user.name))
                .collect(),
        ))),
        ("POST", ["launchconfigurations"]) => lc_create(ctx, tx, req),
        ("GET", ["launchconfigurations", id]) => {
            Ok(Outcome::Ok(lc_require(ctx, tx, id)?.json(&req.user.name)))
        }
        ("PUT", ["launchconfigurations", id]) => lc_update(ctx, tx, req, id),
        ("DELETE", ["launchconfigurations", id]) => lc_delete(ctx, tx, id),
        ("GET", ["domains"]) => Ok(Outcome::Ok(Value::Array(
            groups(ctx, tx)?
                .iter()
                .map(|g| domain_json(g, &req.user.name))
                .collect(),
        ))),
        ("POST", ["domains"]) => domain_create(ctx, tx, req),
        ("GET", ["domains", id]) => {
            let g = domain_require(ctx, tx, id)?;
            Ok(Outcome::Ok(domain_json(&g, &req.user.name)))
        }
        ("PUT", ["domains", id]) => domain_update(ctx, tx, req, id),
        ("DELETE", ["domains", id]) => {
            let g = domain_require(ctx, tx, id)?;
            ops::call(
                ctx,
                tx,
                DeleteAutoScalingGroupInput {
                    auto_scaling_group_name: group_name(&g),
                    force_delete: Some(true),
                },
            )?;
            Ok(Outcome::Deleted)
        }
        ("GET", ["domains", id, "instances"]) => {
            let g = domain_require(ctx, tx, id)?;
            let keys = key_names(ctx, tx)?;
            Ok(Outcome::Ok(Value::Array(
                instances(&g)
                    .iter()
                    .map(|i| instance_json(&g, i, &keys, &req.user.name))
                    .collect(),
            )))
        }
        ("GET", ["domains", id, "instances", iid]) => {
            let g = domain_require(ctx, tx, id)?;
            let keys = key_names(ctx, tx)?;
            match instances(&g)
                .iter()
                .find(|i| i.instance_id.as_deref() == Some(*iid))
            {
                Some(i) => Ok(Outcome::Ok(instance_json(&g, i, &keys, &req.user.name))),
                None => Err(not_found(format!("instance {} not found", shorten(iid)))),
            }
        }
        ("DELETE", ["domains", id, "instances", iid]) => {
            instance_delete(ctx, tx, req.flag("adjust_policy"), id, iid)
        }
        _ => Err(not_found("No such call")),
    }
}

#[cfg(test)]
mod tests {
    use super::domains::lifecycle_state;
    use super::ids::{domain_id, lc_id, uuid4};
    use super::launch_configurations::acceptable_name;
    use super::sites::unknown_site;

    #[test]
    fn ids_are_random_and_shaped() {
        let arn = |u: &str| format!("arn:aws:autoscaling:us-east-1:123456789012:x:{u}:n/a:b");
        let (u1, u2) = (uuid4(), uuid4());
        assert_ne!(u1, u2);
        assert_eq!(u1.as_bytes()[14], b'4');
        assert_eq!(
            u1.split('-').map(str::len).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert_eq!(domain_id(&arn(&u1)), u1);
        assert_eq!(lc_id(&arn(&u1)).len(), 8);
        assert_eq!(lc_id(&arn(&u1)), lc_id(&arn(&u1)));
        assert_ne!(lc_id(&arn(&u1)), lc_id(&arn(&u2)));
    }

    #[test]
    fn states_and_names() {
        assert_eq!(lifecycle_state(Some("Pending")), "400-PENDING");
        assert_eq!(lifecycle_state(Some("InService")), "600-RUNNING");
        assert_eq!(lifecycle_state(Some("Terminating")), "700-TERMINATING");
        assert_eq!(lifecycle_state(Some("Terminated")), "800-TERMINATED");
        assert!(acceptable_name("test lc_1.x-2"));
        assert!(!acceptable_name("bad/name"));
        assert!(!acceptable_name("x@hotel"));
        assert!(!acceptable_name(""));
        let e = unknown_site("nowhere", &["hotel".to_string()]);
        assert_eq!(
            e.message,
            "nowhere doesn't seem to exist. I know about {'hotel': {'id': 'hotel', \
             'instance_types': ['m1.small', 'm1.large', 'm1.xlarge']}}"
        );
    }
}
