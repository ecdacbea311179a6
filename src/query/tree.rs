//! Reading a shape from the node tree every Query payload becomes, with a lenient serde
//! deserializer.
//!
//! Form parameters (`Tags.member.1.Key=k`) and XML replies (`<Tags><member><Key>k</Key>...`) both
//! become a [`Node`] tree whose leaves are texts: maps for structures, lists for `member` lists.
//! [`from_node`] then fills a shape struct, reading numbers and booleans from their text (`True`,
//! `false`, ` 3 `), an empty text as an empty list or structure, and ignoring members it does not
//! know. One tree, so client and server, request and reply, cannot read the same shape two ways.

use std::borrow::Cow;
use std::fmt;

use serde::Deserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use crate::query::xml::Node;

/// Why a tree did not fit a shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeError(pub String);

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TreeError {}

impl de::Error for TreeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        TreeError(msg.to_string())
    }
}

/// A scalar that can be read from its text form: numbers, booleans and timestamps.
pub trait ScalarText: Sized {
    /// Parses the (trimmed, non-empty) text.
    fn from_text(text: &str) -> Option<Self>;
    /// Converts a JSON number, for trees that came from `serde_json::to_value`.
    fn from_f64(_n: f64) -> Option<Self> {
        None
    }
    /// Converts a JSON boolean.
    fn from_bool(_b: bool) -> Option<Self> {
        None
    }
}

macro_rules! scalar_number {
    ($($ty:ty),*) => {$(
        impl ScalarText for $ty {
            fn from_text(text: &str) -> Option<Self> {
                text.parse().ok()
            }
            fn from_f64(n: f64) -> Option<Self> {
                let v = n as $ty;
                (v as f64 == n).then_some(v)
            }
        }
    )*};
}
scalar_number!(i32, i64, f64);

impl ScalarText for bool {
    fn from_text(text: &str) -> Option<Self> {
        if text.eq_ignore_ascii_case("true") {
            Some(true)
        } else if text.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            None
        }
    }
    fn from_bool(b: bool) -> Option<Self> {
        Some(b)
    }
}

/// Reads an optional number, boolean or timestamp, taking an empty text (`<Cooldown/>`) as absent.
///
/// Used through `#[serde(deserialize_with = "opt_scalar")]` on the generated shapes; works with any
/// deserializer (the text tree, or plain JSON).
pub fn opt_scalar<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: ScalarText,
{
    struct OptScalar<T>(std::marker::PhantomData<T>);

    impl<T: ScalarText> OptScalar<T> {
        fn bad<E: de::Error>(&self, shown: &dyn fmt::Debug) -> E {
            E::custom(format!(
                "expected {}, found {shown:?}",
                std::any::type_name::<T>()
                    .rsplit("::")
                    .next()
                    .unwrap_or("a value")
            ))
        }
    }

    impl<'de, T: ScalarText> Visitor<'de> for OptScalar<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number, boolean or timestamp, or nothing")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let text = v.trim();
            if text.is_empty() {
                return Ok(None);
            }
            T::from_text(text).map(Some).ok_or_else(|| self.bad(&v))
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            T::from_bool(v).map(Some).ok_or_else(|| self.bad(&v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            T::from_f64(v as f64).map(Some).ok_or_else(|| self.bad(&v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            T::from_f64(v as f64).map(Some).ok_or_else(|| self.bad(&v))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            T::from_f64(v).map(Some).ok_or_else(|| self.bad(&v))
        }
    }

    deserializer.deserialize_any(OptScalar(std::marker::PhantomData))
}

/// A JSON value as the node tree a Query form of it becomes: objects are structures (null
/// members absent), arrays lists, numbers and booleans their text. JSON input (the generic
/// command's, a REST call's typed input) is read by the same lenient reader as forms and
/// replies ([`from_node`]), so there is one reading of every shape, not one per format.
pub fn node_from_json(value: serde_json::Value) -> Node<'static> {
    use serde_json::Value;
    match value {
        Value::Object(map) => Node::Map(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (Cow::Owned(k), node_from_json(v)))
                .collect(),
        ),
        Value::Array(items) => Node::List(items.into_iter().map(node_from_json).collect()),
        Value::String(s) => Node::Text(Cow::Owned(s)),
        Value::Number(n) => Node::Text(Cow::Owned(n.to_string())),
        Value::Bool(b) => Node::Text(Cow::Borrowed(if b { "true" } else { "false" })),
        Value::Null => Node::Text(Cow::Borrowed("")),
    }
}

/// Fills a shape of type `T` from a node tree (an XML reply by [`crate::query::xml::parse_nodes`],
/// a form by [`crate::query::form::pairs_to_node`]).
pub fn from_node<T: DeserializeOwned>(node: &Node<'_>) -> Result<T, TreeError> {
    T::deserialize(NodeDeserializer(node))
}

/// A lenient serde deserializer over a borrowed node tree: numbers and booleans read from their
/// text (`True`, ` 3 `), an empty text as an empty list or structure, a lone unwrapped `member`
/// as a one-item list, unknown members ignored.
#[derive(Clone, Copy)]
pub struct NodeDeserializer<'x, 'a>(pub &'x Node<'a>);

impl NodeDeserializer<'_, '_> {
    fn describe(&self) -> &'static str {
        match self.0 {
            Node::Text(_) => "a text",
            Node::List(_) => "a list",
            Node::Map(_) => "a structure",
        }
    }

    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T, TreeError> {
        match self.0 {
            Node::Text(s) => {
                let text = s.trim();
                text.parse()
                    .map_err(|_| TreeError(format!("expected {what}, found {text:?}")))
            }
            _ => Err(TreeError(format!(
                "expected {what}, found {}",
                self.describe()
            ))),
        }
    }

    fn shown(&self) -> String {
        match self.0 {
            Node::Text(s) => format!("{s:?}"),
            _ => self.describe().to_string(),
        }
    }
}

macro_rules! parse_node_number {
    ($($method:ident $visit:ident $ty:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
            visitor.$visit(self.parse::<$ty>(stringify!($ty))?)
        }
    )*};
}

impl<'de, 'a: 'de> Deserializer<'de> for NodeDeserializer<'de, 'a> {
    type Error = TreeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        match self.0 {
            Node::Text(s) => visitor.visit_borrowed_str(s),
            Node::List(items) => visitor.visit_seq(NodeItems(items.iter())),
            Node::Map(children) => visitor.visit_map(NodeMembers {
                iter: children.iter(),
                value: None,
            }),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        match self.0 {
            Node::Text(s) if s.trim().eq_ignore_ascii_case("true") => visitor.visit_bool(true),
            Node::Text(s) if s.trim().eq_ignore_ascii_case("false") => visitor.visit_bool(false),
            _ => Err(TreeError(format!(
                "expected true or false, found {}",
                self.shown()
            ))),
        }
    }

    parse_node_number!(
        deserialize_i8 visit_i8 i8, deserialize_i16 visit_i16 i16, deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64, deserialize_u8 visit_u8 u8, deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32, deserialize_u64 visit_u64 u64, deserialize_f32 visit_f32 f32,
        deserialize_f64 visit_f64 f64
    );

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        visitor.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        match self.0 {
            Node::List(items) => visitor.visit_seq(NodeItems(items.iter())),
            Node::Text(s) if s.trim().is_empty() => visitor.visit_seq(NodeItems([].iter())),
            // An EC2 form's list (`Name.1`, `Name.2`).
            Node::Map(_) if numbered(self.0).is_some() => {
                visitor.visit_seq(NodeItems(numbered(self.0).unwrap_or_default().into_iter()))
            }
            // A lone `<member>` some writers leave unwrapped.
            Node::Map(_) => match self.0.get("member") {
                Some(Node::List(items)) => visitor.visit_seq(NodeItems(items.iter())),
                Some(one) => visitor.visit_seq(NodeItems(std::slice::from_ref(one).iter())),
                None => Err(TreeError(
                    "expected a list of members, found a structure".into(),
                )),
            },
            Node::Text(s) => Err(TreeError(format!("expected a list, found {s:?}"))),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        match self.0 {
            Node::Map(children) => visitor.visit_map(NodeMembers {
                iter: children.iter(),
                value: None,
            }),
            Node::Text(s) if s.trim().is_empty() => visitor.visit_map(
                de::value::MapDeserializer::new(std::iter::empty::<(&str, &str)>()),
            ),
            _ => Err(TreeError(format!(
                "expected a structure, found {}",
                self.describe()
            ))),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TreeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        match self.0 {
            Node::Text(s) => visitor.visit_borrowed_str(s),
            _ => Err(TreeError(format!(
                "expected a text, found {}",
                self.describe()
            ))),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, TreeError> {
        match crate::query::form::list_item_name(name) {
            Some(item) => visitor.visit_newtype_struct(NamedItems(named_items(self.0, item)?)),
            None => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TreeError> {
        match self.0 {
            Node::Text(s) => visitor.visit_enum(s.as_ref().into_deserializer()),
            _ => Err(TreeError(format!(
                "expected a name, found {}",
                self.describe()
            ))),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bytes byte_buf unit_struct tuple tuple_struct identifier
    }
}

/// The items of a list whose items are `<item>` elements (or `Name.item.N` pairs): the children
/// named `item` of a structure (one, or a list of the repeated ones), the numbered children of a
/// decoded form (`{item: {1: a, 2: b}}`, in index order), nothing for an empty text, or the items
/// of a `member` list (a writer that ignored the model's name).
fn named_items<'x, 'a>(node: &'x Node<'a>, item: &str) -> Result<Vec<&'x Node<'a>>, TreeError> {
    match node {
        Node::Text(s) if s.trim().is_empty() => Ok(Vec::new()),
        Node::List(items) => Ok(items.iter().collect()),
        // An EC2 form's list (`Name.1`, `Name.2`): the numbered children themselves.
        Node::Map(_) if numbered(node).is_some() => Ok(numbered(node).unwrap_or_default()),
        Node::Map(children) => {
            let mut out = Vec::new();
            for (name, value) in children {
                if name != item {
                    continue;
                }
                match value {
                    Node::List(items) => out.extend(items.iter()),
                    Node::Map(_) if numbered(value).is_some() => {
                        out.extend(numbered(value).unwrap_or_default());
                    }
                    one => out.push(one),
                }
            }
            // Items all named alike, but otherwise (a writer that used another shape's item
            // name, such as the endpoint turning a request's data into the reply's shape).
            if out.is_empty()
                && let Some((first, _)) = children.first()
                && children.iter().all(|(name, _)| name == first)
            {
                for (_, value) in children {
                    match value {
                        Node::List(items) => out.extend(items.iter()),
                        one => out.push(one),
                    }
                }
            }
            if out.is_empty() && !children.is_empty() {
                return Err(TreeError(format!(
                    "expected a list of <{item}> elements, found a structure"
                )));
            }
            Ok(out)
        }
        Node::Text(s) => Err(TreeError(format!("expected a list, found {s:?}"))),
    }
}

/// The children of a structure whose names are all numbers (a decoded form's `{1: a, 2: b}`), in
/// index order; `None` for anything else. XML element names cannot be numbers, so only a form
/// makes such a node.
fn numbered<'x, 'a>(node: &'x Node<'a>) -> Option<Vec<&'x Node<'a>>> {
    let Node::Map(children) = node else {
        return None;
    };
    let mut indexed: Vec<(u64, &Node<'a>)> = Vec::with_capacity(children.len());
    for (k, v) in children {
        indexed.push((k.parse::<u64>().ok()?, v));
    }
    if indexed.is_empty() {
        return None;
    }
    indexed.sort_by_key(|(i, _)| *i);
    Some(indexed.into_iter().map(|(_, v)| v).collect())
}

/// Reads a list member marked with its items' element name (the reading side of
/// [`crate::query::form::list_layout`]); `marker` is
/// [`crate::query::form::LIST_ITEM_MARKER`] followed by that name. Other deserializers (JSON)
/// read the plain list.
pub fn list_layout<'de, D, V>(marker: &'static str, deserializer: D) -> Result<V, D::Error>
where
    D: Deserializer<'de>,
    V: de::Deserialize<'de>,
{
    struct Layout<V>(std::marker::PhantomData<V>);

    impl<'de, V: de::Deserialize<'de>> Visitor<'de> for Layout<V> {
        type Value = V;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list")
        }

        fn visit_newtype_struct<D2: Deserializer<'de>>(self, d: D2) -> Result<V, D2::Error> {
            V::deserialize(d)
        }

        // A deserializer that does not know newtype structs hands over the value itself.
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V, A::Error> {
            V::deserialize(de::value::SeqAccessDeserializer::new(seq))
        }

        fn visit_unit<E: de::Error>(self) -> Result<V, E> {
            V::deserialize(de::value::UnitDeserializer::new())
        }
    }

    deserializer.deserialize_newtype_struct(marker, Layout(std::marker::PhantomData))
}

/// The items of a named-item list ([`named_items`]), as a deserializer: a sequence, or `Some`
/// sequence for an optional member.
struct NamedItems<'x, 'a>(Vec<&'x Node<'a>>);

impl<'de, 'a: 'de> Deserializer<'de> for NamedItems<'de, 'a> {
    type Error = TreeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        visitor.visit_seq(NodeItems(self.0.into_iter()))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        visitor.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// The items of a list, from any iterator over borrowed nodes (a list's own items, or the ones a
/// named-item list gathered).
struct NodeItems<I>(I);

impl<'de, 'a: 'de, I> SeqAccess<'de> for NodeItems<I>
where
    I: ExactSizeIterator<Item = &'de Node<'a>>,
{
    type Error = TreeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, TreeError> {
        match self.0.next() {
            Some(v) => seed.deserialize(NodeDeserializer(v)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct NodeMembers<'x, 'a> {
    iter: std::slice::Iter<'x, (Cow<'a, str>, Node<'a>)>,
    value: Option<&'x Node<'a>>,
}

impl<'de, 'a: 'de> MapAccess<'de> for NodeMembers<'de, 'a> {
    type Error = TreeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TreeError> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(de::value::BorrowedStrDeserializer::new(k.as_ref()))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, TreeError> {
        match self.value.take() {
            Some(value) => seed.deserialize(NodeDeserializer(value)),
            None => Err(TreeError("a structure member without a value".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq, Default)]
    struct Sample {
        #[serde(rename = "Name")]
        name: String,
        #[serde(rename = "Size", default, deserialize_with = "opt_scalar")]
        size: Option<i32>,
        #[serde(rename = "On", default, deserialize_with = "opt_scalar")]
        on: Option<bool>,
        #[serde(rename = "Zones", default)]
        zones: Option<Vec<String>>,
        #[serde(rename = "Note", default)]
        note: Option<String>,
    }

    fn read<T: DeserializeOwned>(xml: &str) -> Result<T, TreeError> {
        let (_, node) = crate::query::xml::parse_nodes(xml).unwrap();
        from_node(&node)
    }

    #[test]
    fn reads_text_leaves_liberally() {
        let s: Sample = read(
            "<r><Name>g</Name><Size> 3 </Size><On>True</On><Zones><member>a</member>\
             <member>b</member></Zones><Extra><x>y</x></Extra></r>",
        )
        .unwrap();
        assert_eq!(s.size, Some(3));
        assert_eq!(s.on, Some(true));
        assert_eq!(s.zones, Some(vec!["a".to_string(), "b".to_string()]));
    }

    #[test]
    fn empty_text_is_absent_scalar_but_empty_list() {
        let s: Sample = read("<r><Name>g</Name><Size/><On></On><Zones/><Note/></r>").unwrap();
        assert_eq!(s.size, None);
        assert_eq!(s.on, None);
        assert_eq!(s.zones, Some(vec![]));
        assert_eq!(s.note, Some(String::new()));
    }

    #[test]
    fn bad_number_names_the_text() {
        let err = read::<Sample>("<r><Name>g</Name><Size>lots</Size></r>").unwrap_err();
        assert!(err.0.contains("lots"), "{err}");
    }

    #[test]
    fn missing_required_member_is_an_error() {
        let err = read::<Sample>("<r/>").unwrap_err();
        assert!(err.0.contains("Name"), "{err}");
    }
}
