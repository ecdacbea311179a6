//! Percent-encoding, once for the crate: the Query protocol's form bodies and query strings, the
//! signers' canonical forms, the REST client's path segments and query parameters, and the
//! decoding the built-in endpoint does of all of them.
//!
//! Encoding keeps only RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`) and writes a
//! space as `%20`: what botocore sends, what SigV4 and SigV2 sign, and safe in a path segment.
//! Decoding is `application/x-www-form-urlencoded`'s: `+` is a space, `%XX` a byte; a `%` not
//! followed by two hex digits stays as it is.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, percent_encode};

/// Everything but the unreserved characters `A-Z a-z 0-9 - _ . ~` is encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// As [`UNRESERVED`], keeping `/` too: for a whole path.
const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// Encodes a parameter name or value, or a path segment (unreserved kept, space as `%20`).
pub fn encode_component(text: &str) -> String {
    encode_bytes(text.as_bytes())
}

/// Encodes raw bytes (which need not be UTF-8) as [`encode_component`] does.
pub fn encode_bytes(bytes: &[u8]) -> String {
    percent_encode(bytes, UNRESERVED).to_string()
}

/// Encodes a whole path, keeping its `/` separators (the URL and the SigV4 canonical URI).
pub fn encode_path(path: &[u8]) -> String {
    percent_encode(path, PATH).to_string()
}

/// `k=v&k=v` with every name and value encoded, in the order given.
pub fn encode_pairs(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&encode_component(k));
        out.push('=');
        out.push_str(&encode_component(v));
    }
    out
}

/// Decodes one form component to bytes: `+` is a space, `%XX` a byte.
pub fn decode_bytes(raw: &[u8]) -> Vec<u8> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    percent_decode(&plus_as_space).collect()
}

/// Decodes one form component to text; invalid UTF-8 is an error.
pub fn decode_component(raw: &[u8]) -> Result<String, String> {
    String::from_utf8(decode_bytes(raw))
        .map_err(|_| "form parameter is not valid UTF-8".to_string())
}

/// Decodes `application/x-www-form-urlencoded` text into its pairs, in order; empty pieces are
/// skipped and a piece without `=` has an empty value. Invalid UTF-8 is an error.
pub fn decode_pairs(text: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for part in text.split(|b| *b == b'&') {
        if part.is_empty() {
            continue;
        }
        let (k, v) = match part.iter().position(|b| *b == b'=') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &part[part.len()..]),
        };
        pairs.push((decode_component(k)?, decode_component(v)?));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_only_and_space_as_percent_20() {
        assert_eq!(
            encode_component("a b+c/d~e_f.g-h*"),
            "a%20b%2Bc%2Fd~e_f.g-h%2A"
        );
        assert_eq!(encode_component("\u{1234}"), "%E1%88%B4");
        assert_eq!(encode_path(b"/a b/c"), "/a%20b/c");
        assert_eq!(encode_bytes(b"\xff"), "%FF");
        let pairs = vec![
            ("k 1".to_string(), "v&=".to_string()),
            ("e".into(), "".into()),
        ];
        assert_eq!(encode_pairs(&pairs), "k%201=v%26%3D&e=");
        assert_eq!(
            decode_pairs(encode_pairs(&pairs).as_bytes()).unwrap(),
            pairs
        );
    }

    #[test]
    fn decodes_forms() {
        assert_eq!(decode_bytes(b"a+b%2B%zz"), b"a b+%zz");
        assert!(decode_pairs(b"a=%ff%fe").is_err());
        assert_eq!(
            decode_pairs(b"a=%zz&&b").unwrap(),
            vec![("a".into(), "%zz".into()), ("b".into(), "".into())]
        );
    }
}
