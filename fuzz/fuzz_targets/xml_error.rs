//! Fuzzes the error reader of every dialect (XML, Phantom's text and HTML pages): the first byte
//! picks the status, the next up to 32 bytes (to a newline) the reason phrase, the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phantom_autoscale::query::xml;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let status = 400 + u16::from(first) % 200;
    let cut = rest.iter().take(32).position(|b| *b == b'\n');
    let (reason, body) = match cut {
        Some(i) => (Some(String::from_utf8_lossy(&rest[..i]).into_owned()), &rest[i + 1..]),
        None => (None, rest),
    };
    let details = xml::parse_error_body(status, reason.as_deref(), body);
    assert!(!details.code.is_empty());
});
