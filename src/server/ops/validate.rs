//! Input validation against the API model, before any handler runs: one walk of the request tree
//! along the operation's input shape, driven by the generated table of
//! [`crate::autoscaling::constraints`] (every operation of the model), so every member of every
//! operation is checked the same way and no handler can store what the model forbids (control characters, U+FFFE, ...).
//!
//! Two kinds of failure, in AWS's order: first the text must read as the shape's type (a number is
//! an optional `-` and digits, a boolean is `true` or `false`, a list or structure is not plain
//! text); a misfit stops there with `MalformedInput`. Then every constraint is checked and every
//! violation reported at once, in AWS's words: `2 validation errors detected: Value '...' at
//! 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to
//! 128; ...` (`ValidationError`). Paths are the model's member names with the first letter
//! lowered; a structure in a list is `list.N.member.x`; a text in a list is reported once at the
//! list, with the constraints its members must satisfy.

use std::sync::OnceLock;

use regex_lite::Regex;

use crate::query::xml::Node;

use crate::autoscaling::Operation;
use crate::autoscaling::constraints::{Kind, Member, PATTERNS, SHAPES, input_shape};
use crate::server::fault::ApiError;

/// The longest part of a value quoted in a message (AWS quotes the whole value; a 20 KiB
/// `UserData` echoed back helps nobody).
const QUOTED_MAX: usize = 256;

/// Checks `tree` (the request's parameters) against the input shape of `operation`. An operation
/// the model table does not know passes (it has no input constraints to check).
pub fn request(operation: &str, tree: &Node<'_>) -> Result<(), ApiError> {
    let Some(shape) = input_shape(operation) else {
        return Ok(());
    };
    let mut found = Vec::new();
    let Kind::Structure(members) = &SHAPES[shape].kind else {
        return Ok(());
    };
    structure(members, tree, "", &mut found)?;
    match found.len() {
        0 => Ok(()),
        1 => Err(ApiError::validation(format!(
            "1 validation error detected: {}",
            found[0]
        ))),
        n => Err(ApiError::validation(format!(
            "{n} validation errors detected: {}",
            found.join("; ")
        ))),
    }
}

/// Checks a typed input (a call of the REST API) against its operation's input shape: the value
/// in its serde form (the API's member names), read as the tree a Query form of it becomes, so
/// both APIs are checked by the one walk.
pub fn typed<O: Operation>(input: &O) -> Result<(), ApiError> {
    let value = serde_json::to_value(input)
        .map_err(|e| ApiError::internal(format!("reading {}: {e}", O::NAME)))?;
    request(O::NAME, &crate::query::tree::node_from_json(value))
}

/// The compiled patterns, in [`PATTERNS`] order (compiled once, on first use).
fn patterns() -> &'static [Regex] {
    static COMPILED: OnceLock<Vec<Regex>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        PATTERNS
            .iter()
            // The generator's translations are checked by a test to compile; an impossible
            // pattern here would refuse every value rather than panic.
            .map(|p| Regex::new(p.regex).unwrap_or_else(|_| never_matches()))
            .collect()
    })
}

fn never_matches() -> Regex {
    Regex::new(r"[^\s\S]").unwrap_or_else(|_| unreachable!("a constant pattern compiles"))
}

fn malformed(message: String) -> ApiError {
    ApiError::with_status(400, "MalformedInput", message)
}

/// `AutoScalingGroupName` -> `autoScalingGroupName` (AWS lowers only the first letter:
/// `VPCZoneIdentifier` -> `vPCZoneIdentifier`).
pub(crate) fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A value as quoted in a message, cut to [`QUOTED_MAX`] characters.
fn quoted(text: &str) -> String {
    if text.chars().count() <= QUOTED_MAX {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(QUOTED_MAX).collect();
    cut.push_str("...");
    cut
}

fn violation(value: &str, path: &str, constraint: &str) -> String {
    format!(
        "Value '{}' at '{path}' failed to satisfy constraint: {constraint}",
        quoted(value)
    )
}

fn structure(
    members: &[Member],
    tree: &Node<'_>,
    prefix: &str,
    found: &mut Vec<String>,
) -> Result<(), ApiError> {
    let map = match tree {
        Node::Map(_) => Some(tree),
        // `Name=` for a structure: present and empty.
        Node::Text(s) if s.trim().is_empty() => None,
        _ => {
            return Err(malformed(format!(
                "Start of structure or map expected at '{}'",
                prefix.trim_end_matches('.')
            )));
        }
    };
    for member in members {
        let path = format!("{prefix}{}", lower_first(member.name));
        let value = map.and_then(|m| m.get(member.wire));
        match value {
            Some(v) if !is_absent(member.shape, v) => value_of(member.shape, v, &path, found)?,
            _ if member.required => found.push(format!(
                "Value null at '{path}' failed to satisfy constraint: Member must not be null"
            )),
            _ => {}
        }
    }
    Ok(())
}

/// An empty text for a number, boolean or timestamp is no value (as the shapes read it).
fn is_absent(shape: usize, value: &Node<'_>) -> bool {
    let scalar = matches!(
        SHAPES[shape].kind,
        Kind::Integer { .. }
            | Kind::Long { .. }
            | Kind::Double { .. }
            | Kind::Boolean
            | Kind::Timestamp
    );
    scalar && matches!(value, Node::Text(s) if s.is_empty())
}

/// The text of a scalar member, or `MalformedInput` for a list or structure in its place.
fn text<'a>(value: &'a Node<'_>, path: &str) -> Result<&'a str, ApiError> {
    match value {
        Node::Text(s) => Ok(s),
        _ => Err(malformed(format!(
            "Start of list found where not expected: '{path}' takes a single value"
        ))),
    }
}

/// Reads an integer strictly: an optional `-`, then ASCII digits, nothing else (no `+`, spaces,
/// hex or exponent).
fn strict_integer(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Reads a double strictly: an optional `-`, digits, and optionally `.` and more digits.
fn strict_double(text: &str) -> Option<f64> {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    text.parse().ok()
}

/// The constraint texts of a text shape, in the order AWS lists them.
fn string_constraints(
    min: Option<u64>,
    max: Option<u64>,
    pattern: Option<usize>,
    values: &[&str],
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(max) = max {
        out.push(format!(
            "Member must have length less than or equal to {max}"
        ));
    }
    if let Some(min) = min {
        out.push(format!(
            "Member must have length greater than or equal to {min}"
        ));
    }
    if let Some(p) = pattern {
        out.push(format!(
            "Member must satisfy regular expression pattern: {}",
            PATTERNS[p].model
        ));
    }
    if !values.is_empty() {
        out.push(format!(
            "Member must satisfy enum value set: [{}]",
            values.join(", ")
        ));
    }
    out
}

/// The constraints a text breaks (as [`string_constraints`] words them).
fn string_violations(
    text: &str,
    min: Option<u64>,
    max: Option<u64>,
    pattern: Option<usize>,
    values: &[&str],
) -> Vec<String> {
    // The model counts length in UTF-16 code units, as Java does.
    let len = text.encode_utf16().count() as u64;
    let mut out = Vec::new();
    if let Some(max) = max.filter(|&m| len > m) {
        out.push(format!(
            "Member must have length less than or equal to {max}"
        ));
    }
    if let Some(min) = min.filter(|&m| len < m) {
        out.push(format!(
            "Member must have length greater than or equal to {min}"
        ));
    }
    if let Some(p) = pattern.filter(|&p| !patterns()[p].is_match(text)) {
        out.push(format!(
            "Member must satisfy regular expression pattern: {}",
            PATTERNS[p].model
        ));
    }
    if !values.is_empty() && !values.contains(&text) {
        out.push(format!(
            "Member must satisfy enum value set: [{}]",
            values.join(", ")
        ));
    }
    out
}

fn range_violations<T: PartialOrd + std::fmt::Display>(
    value: T,
    min: Option<T>,
    max: Option<T>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(min) = min.filter(|m| value < *m) {
        out.push(format!(
            "Member must have value greater than or equal to {min}"
        ));
    }
    if let Some(max) = max.filter(|m| value > *m) {
        out.push(format!(
            "Member must have value less than or equal to {max}"
        ));
    }
    out
}

/// The items of a list as the request tree holds them (the same readings as the shapes'
/// deserializer: `Name=` is empty, a lone `Name.ITEM=x` is one item), where ITEM is what the
/// model calls the list's items on the wire (`member`, or its `locationName` such as `item`).
fn items<'x, 'a>(
    value: &'x Node<'a>,
    item: &str,
    path: &str,
) -> Result<Vec<&'x Node<'a>>, ApiError> {
    let refuse = || {
        malformed(format!(
            "'{path}' is a list: give its members as {path}.{item}.N"
        ))
    };
    match value {
        Node::List(items) => Ok(items.iter().collect()),
        Node::Text(s) if s.trim().is_empty() => Ok(Vec::new()),
        Node::Map(_) => match value.get(item) {
            Some(Node::List(items)) => Ok(items.iter().collect()),
            Some(one) => Ok(vec![one]),
            None => Err(refuse()),
        },
        Node::Text(_) => Err(refuse()),
    }
}

/// Checks one present value of shape `shape` at `path`.
fn value_of(
    shape: usize,
    value: &Node<'_>,
    path: &str,
    found: &mut Vec<String>,
) -> Result<(), ApiError> {
    match &SHAPES[shape].kind {
        Kind::String {
            min,
            max,
            pattern,
            values,
        } => {
            let text = text(value, path)?;
            for c in string_violations(text, *min, *max, *pattern, values) {
                found.push(violation(text, path, &c));
            }
        }
        Kind::Integer { min, max } | Kind::Long { min, max } => {
            let wide = matches!(SHAPES[shape].kind, Kind::Long { .. });
            let text = text(value, path)?;
            let (n, shown) = (strict_integer(text), text.to_string());
            let n = n
                .filter(|n| wide || i32::try_from(*n).is_ok())
                .ok_or_else(|| {
                    malformed(format!(
                        "Value '{}' at '{path}' is not a valid {}: use an optional '-' and \
                         decimal digits",
                        quoted(&shown),
                        if wide { "long" } else { "integer" }
                    ))
                })?;
            for c in range_violations(n, *min, *max) {
                found.push(violation(&shown, path, &c));
            }
        }
        Kind::Double { min, max } => {
            let text = text(value, path)?;
            let (n, shown) = (strict_double(text), text.to_string());
            let n = n.ok_or_else(|| {
                malformed(format!(
                    "Value '{}' at '{path}' is not a valid number: use an optional '-', decimal \
                     digits and an optional fraction",
                    quoted(&shown)
                ))
            })?;
            for c in range_violations(n, *min, *max) {
                found.push(violation(&shown, path, &c));
            }
        }
        Kind::Boolean => {
            let text = text(value, path)?;
            if text != "true" && text != "false" {
                return Err(malformed(format!(
                    "Value '{}' at '{path}' is not a valid boolean: use true or false",
                    quoted(text)
                )));
            }
        }
        // Read (and refused when unreadable) by the shape's own timestamp parser.
        Kind::Timestamp => {
            text(value, path)?;
        }
        Kind::List {
            member,
            item,
            min,
            max,
        } => {
            let items = items(value, item, path)?;
            let shown = || {
                let texts: Vec<&str> = items
                    .iter()
                    .map(|v| match v {
                        Node::Text(t) => t,
                        _ => "...",
                    })
                    .collect();
                format!("[{}]", texts.join(", "))
            };
            let len = items.len() as u64;
            if let Some(max) = max.filter(|&m| len > m) {
                found.push(violation(
                    &shown(),
                    path,
                    &format!("Member must have length less than or equal to {max}"),
                ));
            }
            if let Some(min) = min.filter(|&m| len < m) {
                found.push(violation(
                    &shown(),
                    path,
                    &format!("Member must have length greater than or equal to {min}"),
                ));
            }
            match &SHAPES[*member].kind {
                Kind::String {
                    min,
                    max,
                    pattern,
                    values,
                } => {
                    // A text member that breaks its constraints: once, at the list.
                    let mut broken = false;
                    for item in &items {
                        let text = text(item, path)?;
                        broken |= !string_violations(text, *min, *max, *pattern, values).is_empty();
                    }
                    if broken {
                        let all = string_constraints(*min, *max, *pattern, values);
                        found.push(violation(
                            &shown(),
                            path,
                            &format!("Member must satisfy constraint: [{}]", all.join(", ")),
                        ));
                    }
                }
                _ => {
                    for (i, item) in items.iter().enumerate() {
                        let item_path = format!("{path}.{}.member", i + 1);
                        value_of(*member, item, &item_path, found)?;
                    }
                }
            }
        }
        Kind::Structure(members) => {
            structure(members, value, &format!("{path}."), found)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The node tree of the form a Query client sends for `value`.
    fn node(value: &serde_json::Value) -> Node<'static> {
        let pairs = crate::query::form::to_params(value).unwrap();
        crate::query::form::pairs_to_node(&pairs).unwrap()
    }
    use crate::autoscaling::constraints::input_shape;
    use serde_json::json;

    #[test]
    fn every_pattern_compiles_and_means_what_the_model_means() {
        for p in PATTERNS {
            Regex::new(p.regex).unwrap_or_else(|e| panic!("{}: {e}", p.regex));
        }
        let xml = PATTERNS
            .iter()
            .position(|p| p.model.starts_with("[\\u0020-\\uD7FF"))
            .expect("the XML character pattern");
        let re = &patterns()[xml];
        for ok in [
            "",
            "plain",
            "tab\there",
            "cr\r\nlf",
            "\u{D7FF}",
            "\u{E000}",
            "\u{FFFD}",
            "\u{10000}",
            "\u{1F600}",
            "\u{10FFFF}",
        ] {
            assert!(re.is_match(ok), "{ok:?}");
        }
        for bad in ["\u{0}", "a\u{1}b", "\u{1F}", "\u{FFFE}", "x\u{FFFF}"] {
            assert!(!re.is_match(bad), "{bad:?}");
        }
        let ami = PATTERNS
            .iter()
            .position(|p| p.model.starts_with("^ami-"))
            .expect("the image id pattern");
        assert!(patterns()[ami].is_match("ami-0abc"));
        assert!(!patterns()[ami].is_match("ami-0abc\n"));
        assert!(!patterns()[ami].is_match("xami-0abc"));
    }

    #[test]
    fn every_operation_of_the_model_has_its_input_in_the_table() {
        // Every served operation that has an input in the model (the Describe*Types have none).
        for op in crate::server::ops::SERVED {
            let no_input = [
                "DescribeAdjustmentTypes",
                "DescribeLifecycleHookTypes",
                "DescribeScalingProcessTypes",
                "DescribeTerminationPolicyTypes",
                "DescribeAutoScalingNotificationTypes",
                "DescribeMetricCollectionTypes",
                "DescribeAccountLimits",
            ]
            .contains(op);
            assert_eq!(input_shape(op).is_some(), !no_input, "{op}");
        }
        let with_input = crate::autoscaling::registry::OPERATIONS
            .iter()
            .filter(|entry| input_shape(entry.name).is_some())
            .count();
        // 68 operations, 7 of them (Describe*Types and the like) without input.
        assert_eq!(crate::autoscaling::registry::OPERATIONS.len(), 68);
        assert_eq!(with_input, 61);
        assert!(input_shape("PutScalingPolicy").is_some());
        assert!(input_shape("FlyToTheMoon").is_none());
    }

    #[test]
    fn reports_every_violation_with_aws_paths() {
        let tree = json!({
            "Tags": [{"Key": "", "Value": "v"}, {"Key": "k\u{1}", "Value": "x".repeat(257)}],
        });
        let e = request("CreateOrUpdateTags", &node(&tree)).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert!(
            e.message.starts_with("3 validation errors detected: "),
            "{}",
            e.message
        );
        assert!(e.message.contains("Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"), "{}", e.message);
        assert!(e.message.contains("at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*"), "{}", e.message);
        assert!(e.message.contains("at 'tags.2.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"), "{}", e.message);
    }

    #[test]
    fn required_members_and_numbers() {
        let e = request("SetDesiredCapacity", &node(&json!({}))).unwrap_err();
        assert_eq!(
            e.message,
            "2 validation errors detected: Value null at 'autoScalingGroupName' failed to \
             satisfy constraint: Member must not be null; Value null at 'desiredCapacity' failed \
             to satisfy constraint: Member must not be null"
        );
        for bad in ["+5", " 5", "5 ", "0x5", "1e3", "5.0", "-", "99999999999"] {
            let tree = json!({"AutoScalingGroupName": "g", "DesiredCapacity": bad});
            let e = request("SetDesiredCapacity", &node(&tree)).unwrap_err();
            assert_eq!(e.code, "MalformedInput", "{bad}");
        }
        let tree =
            json!({"AutoScalingGroupName": "g", "DesiredCapacity": "-5", "HonorCooldown": "True"});
        assert_eq!(
            request("SetDesiredCapacity", &node(&tree))
                .unwrap_err()
                .code,
            "MalformedInput"
        );
        let tree =
            json!({"AutoScalingGroupName": "g", "DesiredCapacity": "-5", "HonorCooldown": "true"});
        request("SetDesiredCapacity", &node(&tree)).unwrap();
    }

    #[test]
    fn text_lists_are_reported_once_at_the_list() {
        let tree = json!({"InstanceIds": ["i-1", "i-0123456789abcdef0123"]});
        let e = request("DescribeAutoScalingInstances", &node(&tree)).unwrap_err();
        assert!(
            e.message.starts_with(
                "1 validation error detected: Value '[i-1, i-0123456789abcdef0123]' at \
                 'instanceIds' failed to satisfy constraint: Member must satisfy constraint: \
                 [Member must have length less than or equal to 19, Member must have length \
                 greater than or equal to 1, Member must satisfy regular expression pattern: "
            ),
            "{}",
            e.message
        );
    }
}

#[cfg(test)]
mod item_lists {
    use super::*;
    use crate::autoscaling::registry;
    use serde_json::json;

    /// The form our client (and botocore) sends for a group whose instance requirements name
    /// CPU references: the model calls those list items `item` (`...Reference.item.1...`).
    fn pairs() -> Vec<(String, String)> {
        let input = json!({
            "AutoScalingGroupName": "g",
            "MinSize": 0,
            "MaxSize": 1,
            "MixedInstancesPolicy": {"LaunchTemplate": {
                "LaunchTemplateSpecification": {"LaunchTemplateName": "web-lt"},
                "Overrides": [{"InstanceRequirements": {
                    "VCpuCount": {"Min": 1},
                    "MemoryMiB": {"Min": 512},
                    "BaselinePerformanceFactors": {"Cpu": {"References": [
                        {"InstanceFamily": "c5"}
                    ]}}
                }}]
            }}
        });
        let entry = registry::find("CreateAutoScalingGroup").unwrap();
        (entry.form_from_json)(input).unwrap()
    }

    #[test]
    fn lists_the_model_names_item_by_item_are_read_by_that_name() {
        let pairs = pairs();
        assert!(
            pairs
                .iter()
                .any(|(k, _)| k.ends_with(".Cpu.Reference.item.1.InstanceFamily")),
            "{pairs:?}"
        );
        let tree = crate::query::form::pairs_to_node(&pairs).unwrap();
        request("CreateAutoScalingGroup", &tree).unwrap();
        // The handler reads the same tree into the typed input, references included.
        let input: crate::autoscaling::types::CreateAutoScalingGroupInput =
            crate::query::tree::from_node(&tree).unwrap();
        let json = serde_json::to_value(&input).unwrap();
        assert!(json.to_string().contains("\"c5\""), "{json}");
    }
}
