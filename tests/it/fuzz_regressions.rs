//! Inputs kept from fuzzing (`fuzz/`), replayed through the same calls as the fuzz targets so a
//! fixed crash stays fixed. Each directory under `tests/fixtures/fuzz/` is named after its target;
//! a new crasher is added by copying it there (see `fuzz/README.md`).

use std::path::Path;

use phantom_autoscale::autoscaling::types::{
    CreateAutoScalingGroupInput, DescribeAutoScalingGroupsOutput,
};
use phantom_autoscale::profile::{HotelConf, Properties, SharedFile, SharedFileKind};
use phantom_autoscale::query::{form, tree, xml};

/// What `fuzz_targets/xml_reply.rs` does.
fn xml_reply(data: &[u8]) {
    let _ = xml::parse_typed_reply::<DescribeAutoScalingGroupsOutput>(
        "DescribeAutoScalingGroups",
        data,
    );
}

/// What `fuzz_targets/xml_error.rs` does.
fn xml_error(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let status = 400 + u16::from(first) % 200;
    let cut = rest.iter().take(32).position(|b| *b == b'\n');
    let (reason, body) = match cut {
        Some(i) => (
            Some(String::from_utf8_lossy(&rest[..i]).into_owned()),
            &rest[i + 1..],
        ),
        None => (None, rest),
    };
    let details = xml::parse_error_body(status, reason.as_deref(), body);
    assert!(!details.code.is_empty());
}

/// What `fuzz_targets/form_decode.rs` does.
fn form_decode(data: &[u8]) {
    let Ok(pairs) = form::decode_pairs(data) else {
        return;
    };
    let Ok(node) = form::pairs_to_node(&pairs) else {
        return;
    };
    let _ = tree::from_node::<CreateAutoScalingGroupInput>(&node);
}

/// What `fuzz_targets/profile_files.rs` does.
fn profile_files(data: &[u8]) {
    for kind in [SharedFileKind::Credentials, SharedFileKind::Config] {
        if let Ok(file) = SharedFile::parse_bytes(data, kind, "fuzz") {
            let _ = file.profile("default");
        }
    }
    if let Ok(props) = Properties::parse_bytes(data, "fuzz") {
        let hotel = HotelConf::from_properties(&props);
        let _ = hotel.repository_host_port();
        let _ = format!("{props:?}");
    }
}

/// Replays every kept input of `target`; returns how many there were.
fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target} panics on {}", path.display());
        count += 1;
    }
    count
}

#[test]
fn xml_reply_inputs() {
    assert!(replay("xml_reply", xml_reply) >= 2);
}

#[test]
fn xml_error_inputs() {
    assert!(replay("xml_error", xml_error) >= 2);
}

#[test]
fn form_decode_inputs() {
    assert!(replay("form_decode", form_decode) >= 2);
}

#[test]
fn profile_files_inputs() {
    assert!(replay("profile_files", profile_files) >= 1);
}
