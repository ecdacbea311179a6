//! Query form encoding: a request shape to ordered parameters and back.
//!
//! Sending, a shape is serialized with serde into a tree (`serde_json::to_value`, which keeps the
//! model's member order) and flattened the way botocore's Query serializer does: structures with
//! dots, lists as `Name.member.N` (1-based), booleans `true`/`false`, an empty list as `Name=`.
//! Receiving (the built-in endpoint), [`pairs_to_node`] rebuilds the node tree an XML reply
//! also becomes, and [`crate::query::tree::from_node`] fills the same shape.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use crate::query::xml::Node;

pub use crate::query::encoding::{decode_pairs, encode_pairs};

/// The deepest key (`A.B.member.1.C` has 5 segments) accepted when decoding a form.
pub const MAX_KEY_SEGMENTS: usize = 16;

/// Serializes a request shape into Query parameters, in model member order (the transport puts
/// `Action` and `Version` first).
pub fn to_params<T: Serialize>(input: &T) -> Result<Vec<(String, String)>, String> {
    let tree =
        serde_json::to_value(input).map_err(|e| format!("cannot encode the request: {e}"))?;
    let mut params = Vec::new();
    flatten(&tree, String::new(), &mut params);
    Ok(params)
}

/// Appends the Query parameters of `tree` below `prefix` to `out`.
pub fn flatten(tree: &Value, prefix: String, out: &mut Vec<(String, String)>) {
    match tree {
        Value::Null => {}
        Value::Bool(b) => out.push((prefix, b.to_string())),
        Value::Number(n) => out.push((prefix, n.to_string())),
        Value::String(s) => out.push((prefix, s.clone())),
        Value::Array(items) if items.is_empty() => out.push((prefix, String::new())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(item, format!("{prefix}.member.{}", i + 1), out);
            }
        }
        Value::Object(map) => {
            for (key, value) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(value, name, out);
            }
        }
    }
}

/// Rebuilds the tree of a decoded form as the node tree an XML reply becomes: dotted keys become
/// structures (in order of first appearance), `member.N` lists (in index order, gaps closed),
/// values stay text. `Action`, `Version` and signing parameters are left in; shapes ignore them.
/// A key deeper than [`MAX_KEY_SEGMENTS`] or with an empty segment is refused.
pub fn pairs_to_node(pairs: &[(String, String)]) -> Result<Node<'static>, String> {
    let mut root = Fields::default();
    for (key, value) in pairs {
        let segments: Vec<&str> = key.split('.').collect();
        if segments.len() > MAX_KEY_SEGMENTS {
            return Err(format!(
                "parameter name too deeply nested: {}",
                shorten(key)
            ));
        }
        if segments.iter().any(|s| s.is_empty()) {
            return Err(format!("malformed parameter name: {}", shorten(key)));
        }
        root.insert(&segments, value);
    }
    Ok(Slot::Fields(root).into_node())
}

/// A form's tree while it is built: a text, or named children.
enum Slot {
    Text(String),
    Fields(Fields),
}

/// Named children in order of first appearance, found by name through an index.
#[derive(Default)]
struct Fields {
    children: Vec<(String, Slot)>,
    index: HashMap<String, usize>,
}

impl Fields {
    fn insert(&mut self, segments: &[&str], value: &str) {
        let Some((first, rest)) = segments.split_first() else {
            return;
        };
        let at = match self.index.get(*first) {
            Some(&i) => i,
            None => {
                self.index.insert(first.to_string(), self.children.len());
                self.children
                    .push((first.to_string(), Slot::Text(String::new())));
                if rest.is_empty() {
                    self.children.last_mut().expect("just pushed").1 =
                        Slot::Text(value.to_string());
                    return;
                }
                self.children.len() - 1
            }
        };
        let slot = &mut self.children[at].1;
        if rest.is_empty() {
            // A structure already built under this name wins over a bare `Name=` (the empty list).
            if let Slot::Text(text) = slot {
                *text = value.to_string();
            }
            return;
        }
        if let Slot::Text(_) = slot {
            *slot = Slot::Fields(Fields::default());
        }
        if let Slot::Fields(child) = slot {
            child.insert(rest, value);
        }
    }
}

impl Slot {
    /// The node: `{ member: { 1: a, 2: b } }` becomes the list `[a, b]` (numeric indexes only, in
    /// order), every other structure a map.
    fn into_node(self) -> Node<'static> {
        match self {
            Slot::Text(text) => Node::Text(Cow::Owned(text)),
            Slot::Fields(Fields { mut children, .. }) => {
                let a_list = matches!(
                    children.as_slice(),
                    [(name, Slot::Fields(_))] if name == "member"
                );
                if a_list && let Some((_, Slot::Fields(members))) = children.pop() {
                    let mut indexed: Vec<(u64, Slot)> = members
                        .children
                        .into_iter()
                        .filter_map(|(k, v)| k.parse::<u64>().ok().map(|i| (i, v)))
                        .collect();
                    indexed.sort_by_key(|(i, _)| *i);
                    return Node::List(indexed.into_iter().map(|(_, v)| v.into_node()).collect());
                }
                Node::Map(
                    children
                        .into_iter()
                        .map(|(k, v)| (Cow::Owned(k), v.into_node()))
                        .collect(),
                )
            }
        }
    }
}

fn shorten(text: &str) -> String {
    let mut s: String = text.chars().take(80).collect();
    if s.len() < text.len() {
        s.push_str("...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize)]
    struct Tag {
        #[serde(rename = "Key")]
        key: String,
        #[serde(rename = "PropagateAtLaunch")]
        propagate: bool,
    }

    #[derive(Serialize)]
    struct Input {
        #[serde(rename = "AutoScalingGroupName")]
        name: String,
        #[serde(rename = "MinSize")]
        min: i32,
        #[serde(rename = "AvailabilityZones", skip_serializing_if = "Option::is_none")]
        zones: Option<Vec<String>>,
        #[serde(rename = "LoadBalancerNames", skip_serializing_if = "Option::is_none")]
        balancers: Option<Vec<String>>,
        #[serde(rename = "Tags")]
        tags: Vec<Tag>,
        #[serde(rename = "Cooldown", skip_serializing_if = "Option::is_none")]
        cooldown: Option<i32>,
    }

    #[test]
    fn flattens_like_botocore() {
        let input = Input {
            name: "g 1".into(),
            min: 2,
            zones: Some(vec!["us-east-1a".into(), "us-east-1b".into()]),
            balancers: Some(vec![]),
            tags: vec![Tag {
                key: "env".into(),
                propagate: true,
            }],
            cooldown: None,
        };
        let params = to_params(&input).unwrap();
        let text = encode_pairs(&params);
        assert_eq!(
            text,
            "AutoScalingGroupName=g%201&MinSize=2\
             &AvailabilityZones.member.1=us-east-1a&AvailabilityZones.member.2=us-east-1b\
             &LoadBalancerNames=&Tags.member.1.Key=env&Tags.member.1.PropagateAtLaunch=true"
        );
    }

    #[test]
    fn rebuilds_the_tree() {
        let pairs = decode_pairs(
            b"Action=X&Tags.member.2.Key=b&Tags.member.1.Key=a+b&Zones.member.10=z10&Zones.member.9=z9&Empty=",
        )
        .unwrap();
        let tree = pairs_to_node(&pairs).unwrap();
        let tree: Value = crate::query::tree::from_node(&tree).unwrap();
        assert_eq!(
            tree,
            json!({"Action": "X", "Tags": [{"Key": "a b"}, {"Key": "b"}], "Zones": ["z9", "z10"], "Empty": ""})
        );
        // A structure wins over a bare `Name=`; a later text does not replace it.
        let pairs = decode_pairs(b"A.B=1&A=&A.C=2&D=&D=x").unwrap();
        let tree: Value = crate::query::tree::from_node(&pairs_to_node(&pairs).unwrap()).unwrap();
        assert_eq!(tree, json!({"A": {"B": "1", "C": "2"}, "D": "x"}));
    }

    #[test]
    fn refuses_hostile_keys() {
        let deep = vec![("a.".repeat(40) + "b", "v".to_string())];
        assert!(pairs_to_node(&deep).unwrap_err().contains("deeply"));
        assert!(pairs_to_node(&[("a..b".into(), "v".into())]).is_err());
        assert!(decode_pairs(b"a=%ff%fe").is_err());
        assert_eq!(
            decode_pairs(b"a=%zz&&b").unwrap(),
            vec![("a".into(), "%zz".into()), ("b".into(), "".into())]
        );
    }
}
