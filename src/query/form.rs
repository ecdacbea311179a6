//! Query form encoding: a request shape to ordered parameters and back.
//!
//! Sending, a shape is serialized by a serde serializer straight to ordered pairs, the way
//! botocore's serializers write them: members in model order, structures with dots, booleans
//! `true`/`false`, numbers as JSON prints them, absent members left out. Lists depend on the
//! protocol ([`ListStyle`]): the Query protocol writes `Name.member.N` (1-based; `Name.item.N`
//! for a list whose model names its items, see [`list_layout`]) and an empty list as `Name=`;
//! EC2's writes `Name.N` and nothing for an empty list.
//! Receiving (the built-in endpoint), [`pairs_to_node`] rebuilds the node tree an XML reply
//! also becomes, and [`crate::query::tree::from_node`] fills the same shape.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Serialize, Serializer, ser};
use serde_json::Value;

use crate::query::xml::Node;

pub use crate::query::encoding::{decode_pairs, encode_pairs};

/// The deepest key (`A.B.member.1.C` has 5 segments) accepted when decoding a form.
pub const MAX_KEY_SEGMENTS: usize = 16;

/// How a protocol writes lists in a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStyle {
    /// The Query protocol (Auto Scaling): `Name.member.N`, or `Name.<item>.N` for a list whose
    /// items the model names; an empty list is `Name=`.
    Query,
    /// The EC2 protocol: `Name.N` whatever the items are called; an empty list is not sent.
    Ec2,
}

/// The start of the newtype-struct name by which a generated list member tells the form writer,
/// the tree reader ([`crate::query::tree`]) and the XML writer its items' element name: the
/// marker, then the name (`\u{1}list-item:item`). Every other serializer and deserializer sees
/// a newtype struct, which they treat as the list itself.
pub const LIST_ITEM_MARKER: &str = "\u{1}list-item:";

/// The item name a newtype-struct name carries, when it is a [`LIST_ITEM_MARKER`].
pub fn list_item_name(newtype_name: &str) -> Option<&str> {
    newtype_name.strip_prefix(LIST_ITEM_MARKER)
}

/// Serializes a list member (`Vec<T>` or `Option<Vec<T>>`) marked with its items' element name;
/// `marker` is [`LIST_ITEM_MARKER`] followed by that name. The generated shapes call it through
/// `#[serde(serialize_with = ...)]`; [`crate::query::tree::list_layout`] is its reading side.
pub fn list_layout<V: Serialize + ?Sized, S: Serializer>(
    marker: &'static str,
    value: &V,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_newtype_struct(marker, value)
}

/// Serializes a request shape into Query parameters, in model member order (the transport puts
/// `Action` and `Version` first), straight from serde: no tree in between.
pub fn to_params<T: Serialize + ?Sized>(input: &T) -> Result<Vec<(String, String)>, String> {
    to_params_with(input, ListStyle::Query)
}

/// As [`to_params`], writing lists as the protocol `style` does.
pub fn to_params_with<T: Serialize + ?Sized>(
    input: &T,
    style: ListStyle,
) -> Result<Vec<(String, String)>, String> {
    let mut params = Vec::new();
    input
        .serialize(PairWriter {
            out: &mut params,
            prefix: String::new(),
            style,
            item: None,
        })
        .map_err(|e| format!("cannot encode the request: {e}"))?;
    Ok(params)
}

/// Why a value has no form encoding (a map key that is not text, a key given twice).
#[derive(Debug)]
struct EncodeError(String);

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeError {}

impl ser::Error for EncodeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        EncodeError(msg.to_string())
    }
}

/// `prefix.name`, or `name` at the top level.
fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Writes one value as the parameters below `prefix`: a leaf as `prefix=text`, a structure's
/// members as `prefix.Name`, a list's items as [`ListStyle`] says, nothing for an absent value.
struct PairWriter<'o> {
    out: &'o mut Vec<(String, String)>,
    prefix: String,
    style: ListStyle,
    /// The item name of the list about to be written, from a [`LIST_ITEM_MARKER`].
    item: Option<&'static str>,
}

impl PairWriter<'_> {
    fn leaf(self, text: String) -> Result<(), EncodeError> {
        self.out.push((self.prefix, text));
        Ok(())
    }
}

macro_rules! integer_pairs {
    ($($method:ident $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Result<(), EncodeError> {
            self.leaf(v.to_string())
        }
    )*};
}

impl<'o> ser::Serializer for PairWriter<'o> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = PairList<'o>;
    type SerializeTuple = PairList<'o>;
    type SerializeTupleStruct = PairList<'o>;
    type SerializeTupleVariant = PairList<'o>;
    type SerializeMap = PairStruct<'o>;
    type SerializeStruct = PairStruct<'o>;
    type SerializeStructVariant = PairStruct<'o>;

    fn serialize_bool(self, v: bool) -> Result<(), EncodeError> {
        self.leaf(if v { "true" } else { "false" }.to_string())
    }

    integer_pairs!(
        serialize_i8 i8, serialize_i16 i16, serialize_i32 i32, serialize_i64 i64,
        serialize_i128 i128, serialize_u8 u8, serialize_u16 u16, serialize_u32 u32,
        serialize_u64 u64, serialize_u128 u128
    );

    fn serialize_f32(self, v: f32) -> Result<(), EncodeError> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), EncodeError> {
        // Printed as serde_json prints a number; a value JSON has no number for is left out.
        match serde_json::Number::from_f64(v) {
            Some(n) => self.leaf(n.to_string()),
            None => Ok(()),
        }
    }

    fn serialize_char(self, v: char) -> Result<(), EncodeError> {
        self.leaf(v.to_string())
    }

    fn serialize_str(self, v: &str) -> Result<(), EncodeError> {
        self.leaf(v.to_string())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), EncodeError> {
        use ser::SerializeSeq as _;
        let mut list = self.serialize_seq(Some(v.len()))?;
        for b in v {
            list.serialize_element(b)?;
        }
        list.end()
    }

    fn serialize_none(self) -> Result<(), EncodeError> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), EncodeError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), EncodeError> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), EncodeError> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), EncodeError> {
        self.leaf(variant.to_string())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        match list_item_name(name) {
            Some(item) => value.serialize(PairWriter {
                item: Some(item),
                ..self
            }),
            None => value.serialize(self),
        }
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        let prefix = join(&self.prefix, variant);
        value.serialize(PairWriter {
            out: self.out,
            prefix,
            style: self.style,
            item: None,
        })
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<PairList<'o>, EncodeError> {
        Ok(PairList {
            out: self.out,
            prefix: self.prefix,
            style: self.style,
            item: self.item.unwrap_or("member"),
            count: 0,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<PairList<'o>, EncodeError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<PairList<'o>, EncodeError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<PairList<'o>, EncodeError> {
        Ok(PairList {
            prefix: join(&self.prefix, variant),
            out: self.out,
            style: self.style,
            item: "member",
            count: 0,
        })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<PairStruct<'o>, EncodeError> {
        Ok(PairStruct {
            out: self.out,
            prefix: self.prefix,
            style: self.style,
            key: None,
            seen: Vec::new(),
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<PairStruct<'o>, EncodeError> {
        self.serialize_map(None)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<PairStruct<'o>, EncodeError> {
        Ok(PairStruct {
            prefix: join(&self.prefix, variant),
            out: self.out,
            style: self.style,
            key: None,
            seen: Vec::new(),
        })
    }
}

/// A list being written: item N below `prefix.<item>.N` (Query) or `prefix.N` (EC2), counting
/// absent items too.
struct PairList<'o> {
    out: &'o mut Vec<(String, String)>,
    prefix: String,
    style: ListStyle,
    /// The items' name (`member` unless the model names them).
    item: &'static str,
    count: usize,
}

impl PairList<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.count += 1;
        let prefix = match self.style {
            ListStyle::Query => format!("{}.{}.{}", self.prefix, self.item, self.count),
            ListStyle::Ec2 => format!("{}.{}", self.prefix, self.count),
        };
        value.serialize(PairWriter {
            out: self.out,
            prefix,
            style: self.style,
            item: None,
        })
    }

    fn finish(self) -> Result<(), EncodeError> {
        if self.count == 0 && self.style == ListStyle::Query {
            // botocore's Query serializer sends an empty list as `Name=`; its EC2 one sends nothing.
            self.out.push((self.prefix, String::new()));
        }
        Ok(())
    }
}

macro_rules! list_like {
    ($($trait:ident $method:ident),*) => {$(
        impl ser::$trait for PairList<'_> {
            type Ok = ();
            type Error = EncodeError;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
                self.item(value)
            }

            fn end(self) -> Result<(), EncodeError> {
                self.finish()
            }
        }
    )*};
}

list_like!(
    SerializeSeq serialize_element,
    SerializeTuple serialize_element,
    SerializeTupleStruct serialize_field,
    SerializeTupleVariant serialize_field
);

/// A structure (or text-keyed map) being written: member `Name` below `prefix.Name`. A map key
/// given twice is refused (which of the values would be meant?).
struct PairStruct<'o> {
    out: &'o mut Vec<(String, String)>,
    prefix: String,
    style: ListStyle,
    key: Option<String>,
    seen: Vec<String>,
}

impl PairStruct<'_> {
    fn member<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), EncodeError> {
        value.serialize(PairWriter {
            out: self.out,
            prefix: join(&self.prefix, name),
            style: self.style,
            item: None,
        })
    }
}

macro_rules! struct_like {
    ($($trait:ident),*) => {$(
        impl ser::$trait for PairStruct<'_> {
            type Ok = ();
            type Error = EncodeError;

            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), EncodeError> {
                self.member(key, value)
            }

            fn end(self) -> Result<(), EncodeError> {
                Ok(())
            }
        }
    )*};
}

struct_like!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for PairStruct<'_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), EncodeError> {
        let key = match serde_json::to_value(key) {
            Ok(Value::String(k)) => k,
            Ok(Value::Number(n)) => n.to_string(),
            Ok(Value::Bool(b)) => b.to_string(),
            _ => return Err(EncodeError("a map key that is not text".into())),
        };
        if self.seen.contains(&key) {
            return Err(EncodeError(format!("member {key} given twice")));
        }
        self.seen.push(key.clone());
        self.key = Some(key);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| EncodeError("a map value without its key".into()))?;
        self.member(&key, value)
    }

    fn end(self) -> Result<(), EncodeError> {
        Ok(())
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
    fn every_serde_form_has_one_encoding() {
        // Absent items keep their index; numbers as JSON prints them; NaN, None and unit left out;
        // a newtype variant is a structure of one member; nested empty lists are `Name=`.
        #[derive(Serialize)]
        enum Choice {
            Plain,
            Wrapped(u8),
        }
        let value = json!({
            "A": [null, "z", [], {"B": null, "C": 1.5}],
            "D": {"E": {"F": "g h"}},
            "I": u64::MAX,
            "J": -2,
        });
        assert_eq!(
            encode_pairs(&to_params(&value).unwrap()),
            "A.member.2=z&A.member.3=&A.member.4.C=1.5&D.E.F=g%20h&I=18446744073709551615&J=-2"
        );
        assert_eq!(
            to_params(&(Choice::Plain, Choice::Wrapped(7), f64::NAN, (), Some(true))).unwrap(),
            vec![
                (".member.1".to_string(), "Plain".to_string()),
                (".member.2.Wrapped".into(), "7".into()),
                (".member.5".into(), "true".into()),
            ]
        );
        let mut map = std::collections::BTreeMap::new();
        map.insert(3, "x");
        assert_eq!(to_params(&map).unwrap(), vec![("3".into(), "x".into())]);
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
