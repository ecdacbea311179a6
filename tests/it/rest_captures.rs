//! Every reply recorded from the genuine Phantom web app's `/api/dev` reads into the right typed
//! value, or into the right error (code, status, the server's text).

use crate::util::rest::{capture, capture_names};
use phantom_autoscale::Error;
use phantom_autoscale::rest::reply::{RawReply, decode, decode_token, expect_success};
use phantom_autoscale::rest::*;

fn raw(name: &str) -> RawReply {
    RawReply::from_http_bytes(&capture(name, "http")).unwrap_or_else(|| panic!("{name} unreadable"))
}

fn error_of<T: std::fmt::Debug>(name: &str, r: Result<T, Error>) -> (String, u16, String) {
    let e = r.expect_err(name);
    let s = e
        .as_service()
        .unwrap_or_else(|| panic!("{name}: not a service error: {e}"));
    (s.code.clone(), s.status, s.message.clone())
}

fn assert_error(name: &str, code: &str, status: u16, text: &str) {
    let (c, s, m) = error_of(name, decode::<serde_json::Value>("Op", &raw(name)));
    assert_eq!((c.as_str(), s), (code, status), "{name}: {m}");
    assert!(m.contains(text), "{name}: `{m}` lacks `{text}`");
}

#[test]
fn tokens() {
    let t = decode_token(&raw("01_token_good")).unwrap();
    assert_eq!(t.user_id, "1");
    assert_eq!(t.token.expose(), "7at-73e6fd8abe70ed781138");
    assert!(!format!("{t:?}").contains("7at-"));
    for (name, text) in [
        (
            "02_token_bad_password",
            "Unable to log you in, please try again.",
        ),
        (
            "03_token_missing_password",
            "Must include 'username' and 'password'",
        ),
        ("04_token_get", "Must access via a POST request."),
    ] {
        let (code, status, message) = error_of(name, decode_token(&raw(name)));
        assert_eq!((code.as_str(), status), ("LoginFailed", 200), "{name}");
        assert!(message.contains(text), "{name}: {message}");
    }
    let check: serde_json::Value = decode("CheckToken", &raw("05_token_check")).unwrap();
    assert_eq!(check["success"], true);
}

#[test]
fn sites() {
    for name in [
        "06_sites_basic",
        "07_sites_params",
        "10_sites_session_cookie",
        "12_sites_pretty",
    ] {
        let sites: Vec<Site> = decode("ListSites", &raw(name)).unwrap();
        let ids: Vec<&str> = sites.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["hotel", "sierra"], "{name}");
        assert_eq!(
            sites[0].instance_types,
            ["m1.small", "m1.large", "m1.xlarge"]
        );
        assert_eq!(sites[0].uri.as_deref(), Some("/api/dev/sites/hotel"));
        assert_eq!(sites[0].public_images, None);
    }
    let details: Vec<Site> = decode("ListSites", &raw("11_sites_details")).unwrap();
    assert_eq!(details[0].site_type.as_deref(), Some("nimbus"));
    assert_eq!(
        details[0].user_images.as_deref(),
        Some(&["myimage".to_string()][..])
    );
    assert_eq!(
        details[0].public_images.as_ref().unwrap()[0],
        "hello-phantom.gz"
    );
    assert_eq!(details[1].public_images.as_deref(), Some(&[][..]));
    let hotel: Site = decode("GetSite", &raw("13_site_hotel")).unwrap();
    assert_eq!(
        hotel.credentials.as_deref(),
        Some("/api/dev/credentials/sites/hotel")
    );
    assert_error("14_site_unknown", "NotFound", 404, "Site nowhere not found");
}

#[test]
fn site_credentials() {
    let list: Vec<SiteCredentials> = decode("L", &raw("15_credentials_sites_get")).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, "hotel");
    assert_eq!(list[0].access_key, "hotel-access-key");
    assert_eq!(list[0].secret_key.expose(), "hotel-secret-key");
    assert_eq!(list[0].key_name, "phantomkey");
    assert!(!format!("{:?}", list[0]).contains("hotel-secret-key"));
    let details: Vec<SiteCredentials> =
        decode("L", &raw("16_credentials_sites_get_details")).unwrap();
    assert_eq!(
        details[0].available_keys.as_deref(),
        Some(&["phantomkey".to_string(), "default".to_string()][..])
    );
    let created: SiteCredentials = decode("C", &raw("17_credentials_sites_post")).unwrap();
    assert_eq!(created.id, "sierra");
    assert_eq!(created.extra["openstack_password"], serde_json::Value::Null);
    let got: SiteCredentials = decode("G", &raw("21_credentials_site_get")).unwrap();
    assert_eq!(got.uri.as_deref(), Some("/api/dev/credentials/sites/hotel"));
    let put: SiteCredentials = decode("U", &raw("23_credentials_site_put")).unwrap();
    assert_eq!(put.access_key, "sierra-access-key2");
    expect_success("D", &raw("24_credentials_site_delete")).unwrap();
    assert_error(
        "18_credentials_sites_post_missing_field",
        "BadRequest",
        400,
        "Do not have all required parameters",
    );
    assert_error(
        "19_credentials_sites_post_unknown_site",
        "BadRequest",
        400,
        "nowhere doesn't seem to exist",
    );
    assert_error(
        "20_credentials_sites_post_not_json",
        "BadRequest",
        400,
        "No JSON",
    );
    assert_error(
        "22_credentials_site_get_unknown",
        "NotFound",
        404,
        "Credentials for site nowhere not found",
    );
    let chef: Vec<serde_json::Value> = decode("Chef", &raw("25_credentials_chef_get")).unwrap();
    assert!(chef.is_empty());
}

#[test]
fn launch_configurations() {
    let lc: LaunchConfiguration = decode("C", &raw("26_lc_post")).unwrap();
    assert_eq!((lc.id.as_str(), lc.name.as_str()), ("yVlhH", "testlc1"));
    assert_eq!(lc.owner.as_deref(), Some("alice"));
    let hotel = &lc.cloud_params["hotel"];
    assert_eq!(hotel, &CloudParams::new("hello-phantom.gz", "m1.small"));
    assert_eq!(lc.extra["contextualization_method"], "None");
    let (code, status, message) = error_of(
        "27",
        decode::<LaunchConfiguration>("CreateLaunchConfiguration", &raw("27_lc_post_duplicate")),
    );
    assert_eq!((code.as_str(), status), ("AlreadyExists", 302));
    assert!(message.contains("with id yVlhH"), "{message}");
    let list: Vec<LaunchConfiguration> = decode("L", &raw("28_lc_list")).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].cloud_params["hotel"].max_vms, -1);
    let got: LaunchConfiguration = decode("G", &raw("29_lc_get")).unwrap();
    assert_eq!(
        got.uri.as_deref(),
        Some("/api/dev/launchconfigurations/yVlhH")
    );
    assert_error(
        "30_lc_get_unknown",
        "NotFound",
        404,
        "Launch configuration nosuchlc not found",
    );
    assert_error(
        "31_lc_post_missing_cloud_params",
        "BadRequest",
        400,
        "Request must have name, cloud_params params",
    );
    assert_error(
        "32_lc_post_missing_cloud_field",
        "BadRequest",
        400,
        "Missing parameters.",
    );
    assert_error(
        "33_lc_post_bad_name",
        "BadRequest",
        400,
        "bad/name isn't an acceptable id",
    );
    assert_error(
        "34_lc_post_not_json",
        "BadRequest",
        400,
        "Couldn't load json from body",
    );
    expect_success("D", &raw("70_lc_delete")).unwrap();
    assert_error(
        "71_lc_get_after_delete",
        "NotFound",
        404,
        "Launch configuration yVlhH not found",
    );
    let empty: Vec<LaunchConfiguration> = decode("L", &raw("72_lc_list_after_delete")).unwrap();
    assert!(empty.is_empty());
}

#[test]
fn domains() {
    const ID: &str = "a7c60943-d929-4781-a80c-a1a903aed6fc";
    let d: Domain = decode("C", &raw("35_domain_post")).unwrap();
    assert_eq!(d.id, ID);
    assert_eq!(
        (
            d.name.as_str(),
            d.de_name.as_str(),
            d.lc_name.as_str(),
            d.vm_count
        ),
        ("testDomain1", "multicloud", "testlc1", 1)
    );
    assert_eq!(d.extra["clouds"][0]["site_name"], "hotel");
    let (code, status, message) = error_of(
        "36",
        decode::<Domain>("CreateDomain", &raw("36_domain_post_duplicate")),
    );
    assert_eq!((code.as_str(), status), ("AlreadyExists", 302));
    assert!(message.contains(ID), "{message}");
    assert_error(
        "37_domain_post_unknown_lc",
        "BadRequest",
        400,
        "No launch configuration named nosuchlc",
    );
    assert_error(
        "38_domain_post_missing_name",
        "BadRequest",
        400,
        "You must provide a name",
    );
    assert_error(
        "39_domain_post_missing_vm_count",
        "BadRequest",
        400,
        "'vm_count' is missing",
    );
    assert_error(
        "40_domain_post_bad_de_name",
        "BadRequest",
        400,
        "de_name 'nosuchde' is not supported",
    );
    let list: Vec<Domain> = decode("L", &raw("41_domains_list")).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].owner, None);
    assert_eq!(list[0].extra["monitor_sensors"], "");
    for (name, count) in [
        ("42_domain_get", 1),
        ("49_domain_get_after_put", 3),
        ("52_domain_get_after_instance_delete", 2),
    ] {
        let d: Domain = decode("G", &raw(name)).unwrap();
        assert_eq!((d.id.as_str(), d.vm_count), (ID, count), "{name}");
    }
    assert_error(
        "43_domain_get_unknown",
        "NotFound",
        404,
        "Domain no-such-domain not found",
    );
    assert_error(
        "47_domain_put_vm_count_only",
        "BadRequest",
        400,
        "de_name 'None' is not supported",
    );
    let put: Domain = decode("U", &raw("48_domain_put")).unwrap();
    assert_eq!(put.vm_count, 3);
    expect_success("D", &raw("66_domain_delete")).unwrap();
    assert_error("67_domain_get_after_delete", "NotFound", 404, ID);
    assert_error("68_domain_delete_again", "NotFound", 404, ID);
    let empty: Vec<Domain> = decode("L", &raw("69_domains_list_after_delete")).unwrap();
    assert!(empty.is_empty());
}

#[test]
fn instances() {
    let list: Vec<Instance> = decode("L", &raw("44_domain_instances")).unwrap();
    assert_eq!(list.len(), 1);
    let i = &list[0];
    assert_eq!(i.id, "e069d926-a3b8-4819-8915-ea6ce7a45a29");
    assert_eq!(i.iaas_instance_id.as_deref(), Some("i-debd6a70"));
    assert_eq!(i.lifecycle_state, "600-RUNNING");
    assert_eq!(i.site(), "hotel");
    assert_eq!(i.public_ip.as_deref(), Some("192.0.2.185"));
    let one: Instance = decode("G", &raw("45_domain_instance_get")).unwrap();
    assert_eq!(&one, i);
    assert_error(
        "46_domain_instance_get_unknown",
        "NotFound",
        404,
        "instance no-such-instance not found",
    );
    let states = |name: &str| -> Vec<String> {
        let l: Vec<Instance> = decode("L", &raw(name)).unwrap();
        l.into_iter().map(|i| i.lifecycle_state).collect()
    };
    assert_eq!(states("50_domain_instances_after_put"), ["600-RUNNING"; 3]);
    assert_eq!(
        states("53_domain_instances_after_instance_delete"),
        ["600-RUNNING", "800-TERMINATED", "600-RUNNING"]
    );
    assert_eq!(
        states("54_domain_instances_after_instance_delete_again").len(),
        3
    );
    assert_eq!(
        states("56_domain_instances_right_after_no_adjust")
            .iter()
            .filter(|s| s.as_str() == "800-TERMINATED")
            .count(),
        2
    );
    let after = states("57_domain_instances_after_replace_delay");
    assert_eq!(
        after.iter().filter(|s| s.as_str() == "600-RUNNING").count(),
        2
    );
    expect_success("T", &raw("51_domain_instance_delete")).unwrap();
    expect_success("T", &raw("55_domain_instance_delete_no_adjust")).unwrap();
    assert_error(
        "58_domain_instance_delete_unknown",
        "NotFound",
        404,
        "instance a7c60943-d929-4781-a80c-a1a903aed6fc not found",
    );
}

#[test]
fn sensors_and_image_generators() {
    let sensors: Vec<Sensor> = decode("L", &raw("59_sensors")).unwrap();
    assert!(sensors.len() > 10);
    assert_eq!(sensors[0].id, "df.1kblocks.free");
    assert!(sensors.iter().any(|s| s.id == "proc.loadavg.1min"));
    let one: Sensor = decode("G", &raw("60_sensor_get")).unwrap();
    assert_eq!(
        one.uri.as_deref(),
        Some("/api/dev/sensors/proc.loadavg.1min")
    );
    let gens: Vec<serde_json::Value> = decode("L", &raw("61_imagegenerators")).unwrap();
    assert!(gens.is_empty());
}

#[test]
fn authentication_method_and_path_errors() {
    for name in [
        "08_sites_bad_token",
        "09_sites_no_auth",
        "65_sites_wrong_method_no_auth",
    ] {
        assert_error(name, "Forbidden", 403, "Authorization Required");
    }
    assert_error(
        "62_sites_wrong_method",
        "MethodNotAllowed",
        405,
        "allows only GET",
    );
    assert_error(
        "63_domains_wrong_method",
        "MethodNotAllowed",
        405,
        "GET, POST",
    );
    assert_error("64_instances_wrong_method", "MethodNotAllowed", 405, "GET");
    let (code, status, message) = error_of(
        "73",
        decode::<serde_json::Value>("Op", &raw("73_unknown_path")),
    );
    assert_eq!((code.as_str(), status), ("NotFound", 404));
    assert_eq!(message, "Page not found at /api/dev/nothing");
}

/// Every capture in INDEX.txt reads as an HTTP reply, and every one of them is checked above.
#[test]
fn every_capture_is_covered() {
    let names = capture_names();
    assert_eq!(names.len(), 73);
    let source = include_str!("rest_captures.rs");
    for name in &names {
        raw(name);
        let number = &name[..3];
        assert!(
            source.contains(&format!("\"{name}\"")) || source.contains(&format!("\"{number}")),
            "{name} is not checked"
        );
    }
}
