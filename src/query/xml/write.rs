//! Writing Query XML: escaping, the success envelope around members written straight from a shape
//! by a serde serializer, and the AWS `ErrorResponse`.

use std::fmt::Write as _;

use serde::Serialize;
use serde::ser;
use serde_json::Value;

/// The AWS Auto Scaling XML namespace.
pub const NAMESPACE: &str = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

/// Escapes text for an XML element body.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

/// Appends `text` to `out`, escaped for an XML element body; runs of plain text are copied whole.
///
/// Markup characters become entities and `\r` becomes `&#13;` (a raw one would be read back as
/// `\n`). A character XML 1.0 cannot carry at all, even as a reference (U+0000-U+0008, U+000B,
/// U+000C, U+000E-U+001F, U+FFFE, U+FFFF), is written as U+FFFD, so a reply is always
/// well-formed whatever text reached the writer.
pub fn escape_into(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let mut plain = 0;
    let mut i = 0;
    while i < bytes.len() {
        let (entity, width) = match bytes[i] {
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'&' => ("&amp;", 1),
            b'"' => ("&quot;", 1),
            b'\'' => ("&apos;", 1),
            b'\r' => ("&#13;", 1),
            b'\t' | b'\n' => {
                i += 1;
                continue;
            }
            b if b < 0x20 => ("\u{FFFD}", 1),
            // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
            0xEF if bytes.get(i + 1) == Some(&0xBF)
                && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)) =>
            {
                ("\u{FFFD}", 3)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&text[plain..i]);
        out.push_str(entity);
        i += width;
        plain = i;
    }
    out.push_str(&text[plain..]);
}

/// Writes a success reply in the AWS form: `<?xml?>`, `<OpResponse xmlns=...>`, the Result with
/// its members already written (by [`render_members`]) when the operation has output, then
/// `ResponseMetadata`.
pub fn write_rendered_reply(operation: &str, members: Option<&str>, request_id: &str) -> String {
    let mut out = String::with_capacity(members.map_or(0, str::len) + 3 * operation.len() + 256);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{operation}Response xmlns=\"{NAMESPACE}\">"
    );
    if let Some(members) = members {
        let _ = write!(out, "<{operation}Result>");
        out.push_str(members);
        let _ = write!(out, "</{operation}Result>");
    }
    out.push_str("<ResponseMetadata><RequestId>");
    escape_into(request_id, &mut out);
    let _ = writeln!(out, "</RequestId></ResponseMetadata></{operation}Response>");
    out
}

/// Writes the members of a shape, straight from serde: structures as elements, lists as
/// `member` elements (or the items' name of a list marked with one, `<item>`), absent values left out, numbers as `serde_json` prints them. Shapes with
/// parts the Query XML form has no writing for (byte strings, tuples, enum variants with data,
/// maps with non-text keys) are refused.
pub fn render_members<T: Serialize + ?Sized>(shape: &T) -> Result<String, String> {
    render_members_named(shape, same_names)
}

/// Where a member's element name differs from its serde name: `names(struct, member)` gives the
/// element name of `member` in the structure `struct` (its Rust name), `None` to keep the serde
/// name. EC2's replies name members by the model's `locationName` (`vpcSet`), which the shapes'
/// serde names are not; the table is generated with the shapes (`crate::ec2::types::reply_name`).
pub type ElementNames = fn(&'static str, &'static str) -> Option<&'static str>;

/// The [`ElementNames`] of the Query protocol: every element is named as serde names it.
fn same_names(_shape: &'static str, _member: &'static str) -> Option<&'static str> {
    None
}

/// As [`render_members`], naming each structure member's element as `names` says.
pub fn render_members_named<T: Serialize + ?Sized>(
    shape: &T,
    names: ElementNames,
) -> Result<String, String> {
    let mut out = String::with_capacity(1024);
    shape.serialize(XmlWriter {
        out: &mut out,
        name: None,
        item: "member",
        names,
    })?;
    Ok(out)
}

/// Why [`render_members`] refused a shape.
#[derive(Debug)]
struct Unsupported(String);

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Unsupported(msg.to_string())
    }
}

impl From<Unsupported> for String {
    fn from(e: Unsupported) -> String {
        e.0
    }
}

/// Writes one value as the element `name` (`None`: the top level, whose members only are
/// written, and only when it is a structure or map).
struct XmlWriter<'o> {
    out: &'o mut String,
    name: Option<&'o str>,
    /// The item element of the list about to be written (`member` unless a
    /// [`crate::query::form::LIST_ITEM_MARKER`] names another).
    item: &'static str,
    /// How structure members are named.
    names: ElementNames,
}

impl XmlWriter<'_> {
    fn leaf(self, text: &str, escape: bool) -> Result<(), Unsupported> {
        if let Some(name) = self.name {
            open_tag(name, self.out);
            if escape {
                escape_into(text, self.out);
            } else {
                self.out.push_str(text);
            }
            close_tag(name, self.out);
        }
        Ok(())
    }

    fn unsupported<T>(what: &str) -> Result<T, Unsupported> {
        Err(Unsupported(format!("no Query XML form for {what}")))
    }
}

macro_rules! integer_leaves {
    ($($method:ident $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Result<(), Unsupported> {
            self.leaf(&v.to_string(), false)
        }
    )*};
}

impl<'o> ser::Serializer for XmlWriter<'o> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = XmlList<'o>;
    type SerializeTuple = ser::Impossible<(), Unsupported>;
    type SerializeTupleStruct = ser::Impossible<(), Unsupported>;
    type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
    type SerializeMap = XmlStruct<'o>;
    type SerializeStruct = XmlStruct<'o>;
    type SerializeStructVariant = ser::Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.leaf(if v { "true" } else { "false" }, false)
    }

    integer_leaves!(
        serialize_i8 i8, serialize_i16 i16, serialize_i32 i32, serialize_i64 i64,
        serialize_u8 u8, serialize_u16 u16, serialize_u32 u32, serialize_u64 u64
    );

    fn serialize_f32(self, v: f32) -> Result<(), Unsupported> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), Unsupported> {
        // As `to_value`: a finite number printed by serde_json, anything else left out (null).
        match serde_json::Number::from_f64(v) {
            Some(n) => self.leaf(&n.to_string(), false),
            None => Ok(()),
        }
    }

    fn serialize_char(self, v: char) -> Result<(), Unsupported> {
        self.leaf(v.encode_utf8(&mut [0; 4]), true)
    }

    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.leaf(v, true)
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Unsupported> {
        Self::unsupported("byte strings")
    }

    fn serialize_none(self) -> Result<(), Unsupported> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Unsupported> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Unsupported> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Unsupported> {
        self.leaf(variant, true)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        match crate::query::form::list_item_name(name) {
            Some(item) => value.serialize(XmlWriter { item, ..self }),
            None => value.serialize(self),
        }
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Unsupported> {
        Self::unsupported("enum variants with data")
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<XmlList<'o>, Unsupported> {
        if let Some(name) = self.name {
            open_tag(name, self.out);
        }
        Ok(XmlList {
            out: self.out,
            name: self.name,
            item: self.item,
            names: self.names,
        })
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Self::unsupported("tuples")
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Self::unsupported("tuples")
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Self::unsupported("enum variants with data")
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<XmlStruct<'o>, Unsupported> {
        self.serialize_struct("", 0)
    }

    fn serialize_struct(
        self,
        shape: &'static str,
        _len: usize,
    ) -> Result<XmlStruct<'o>, Unsupported> {
        if let Some(name) = self.name {
            open_tag(name, self.out);
        }
        Ok(XmlStruct {
            out: self.out,
            name: self.name,
            key: None,
            seen: Vec::new(),
            shape,
            names: self.names,
        })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Self::unsupported("enum variants with data")
    }
}

/// A list being written: each item as a `member` element (or the one its marker names).
struct XmlList<'o> {
    out: &'o mut String,
    name: Option<&'o str>,
    item: &'static str,
    names: ElementNames,
}

impl ser::SerializeSeq for XmlList<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        if self.name.is_none() {
            return Ok(()); // a top-level list has no members to write
        }
        value.serialize(XmlWriter {
            out: self.out,
            name: Some(self.item),
            item: "member",
            names: self.names,
        })
    }

    fn end(self) -> Result<(), Unsupported> {
        if let Some(name) = self.name {
            close_tag(name, self.out);
        }
        Ok(())
    }
}

/// A structure (or text-keyed map) being written: each member as its own element. A key given
/// twice is refused, since the object tree would have kept only the last value.
struct XmlStruct<'o> {
    out: &'o mut String,
    name: Option<&'o str>,
    key: Option<String>,
    seen: Vec<String>,
    /// The structure's Rust name (`""` for a map), for [`ElementNames`].
    shape: &'static str,
    names: ElementNames,
}

impl XmlStruct<'_> {
    fn member<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Unsupported> {
        if self.seen.iter().any(|k| k == key) {
            return Err(Unsupported(format!("member {key} given twice")));
        }
        self.seen.push(key.to_string());
        value.serialize(XmlWriter {
            out: self.out,
            name: Some(key),
            item: "member",
            names: self.names,
        })
    }
}

impl ser::SerializeStruct for XmlStruct<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        // Struct members are unique by construction: no bookkeeping needed.
        let key = (self.names)(self.shape, key).unwrap_or(key);
        value.serialize(XmlWriter {
            out: self.out,
            name: Some(key),
            item: "member",
            names: self.names,
        })
    }

    fn end(self) -> Result<(), Unsupported> {
        if let Some(name) = self.name {
            close_tag(name, self.out);
        }
        Ok(())
    }
}

impl ser::SerializeMap for XmlStruct<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unsupported> {
        match serde_json::to_value(key) {
            Ok(Value::String(k)) => {
                self.key = Some(k);
                Ok(())
            }
            _ => XmlWriter::unsupported("maps with non-text keys"),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Unsupported("a map value without its key".into()))?;
        self.member(&key, value)
    }

    fn end(self) -> Result<(), Unsupported> {
        if let Some(name) = self.name {
            close_tag(name, self.out);
        }
        Ok(())
    }
}

/// Writes an AWS `ErrorResponse`.
pub fn write_error(kind: &str, code: &str, message: &str, request_id: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{NAMESPACE}\"><Error><Type>{}</Type>\
         <Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>\n",
        escape(kind),
        escape(code),
        escape(message),
        escape(request_id)
    )
}

fn open_tag(name: &str, out: &mut String) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close_tag(name: &str, out: &mut String) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::super::envelope::{ReadError, TypedReply, parse_typed_reply};
    use super::super::node::{Node, parse_nodes};
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_only_markup() {
        assert_eq!(escape("plain text"), "plain text");
        assert_eq!(
            escape("a<b>&\"c'd\u{e9}"),
            "a&lt;b&gt;&amp;&quot;c&apos;d\u{e9}"
        );
        let mut out = String::from("<x>");
        escape_into("&", &mut out);
        assert_eq!(out, "<x>&amp;");
    }

    #[test]
    fn never_writes_a_character_xml_cannot_carry() {
        assert_eq!(
            escape("a\u{0}b\u{1}c\u{1f}d"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}d"
        );
        assert_eq!(
            escape("x\u{FFFE}y\u{FFFF}z\u{FFFD}"),
            "x\u{FFFD}y\u{FFFD}z\u{FFFD}"
        );
        assert_eq!(escape("t\tn\nr\r"), "t\tn\nr&#13;");
        assert_eq!(escape("\u{10000}\u{EFBF}"), "\u{10000}\u{EFBF}");
        // What the writer wrote reads back, every character XML allows intact.
        let text = "k\u{0}\u{8}\u{b}\u{c}\u{e}\u{FFFE}<&>\r\n\t\u{7f}\u{85}\u{10FFFF}";
        let doc = format!("<a><b>{}</b></a>", escape(text));
        let (_, node) = parse_nodes(&doc).unwrap();
        let Node::Map(children) = node else {
            panic!("{doc}")
        };
        let Node::Text(read) = &children[0].1 else {
            panic!("{doc}")
        };
        assert_eq!(
            read,
            "k\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}<&>\r\n\t\u{7f}\u{85}\u{10FFFF}"
        );
    }

    fn read(operation: &str, body: &[u8]) -> Result<TypedReply<Value>, ReadError> {
        parse_typed_reply::<Value>(operation, body)
    }

    #[test]
    fn writes_and_reads_back() {
        let result = json!({"Groups": [{"Name": "a<b", "Size": 2, "On": true}], "Empty": []});
        let members = render_members(&result).unwrap();
        let xml = write_rendered_reply("X", Some(&members), "rid");
        let TypedReply::Success {
            output: back,
            request_id,
        } = read("X", xml.as_bytes()).unwrap()
        else {
            panic!()
        };
        assert_eq!(request_id.as_deref(), Some("rid"));
        assert_eq!(
            back,
            json!({"Groups": [{"Name": "a<b", "Size": "2", "On": "true"}], "Empty": ""})
        );
        let err = write_error("Sender", "ValidationError", "bad & worse", "rid");
        let TypedReply::Error(e) = read("X", err.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(
            (e.code.as_str(), e.message.as_str(), e.request_id.as_deref()),
            ("ValidationError", "bad & worse", Some("rid"))
        );
    }

    #[test]
    fn named_item_lists_round_trip() {
        use crate::autoscaling::types::{
            CpuPerformanceFactorRequest, PerformanceFactorReferenceRequest,
        };
        let shape = CpuPerformanceFactorRequest {
            references: Some(vec![
                PerformanceFactorReferenceRequest {
                    instance_family: Some("c5".into()),
                },
                PerformanceFactorReferenceRequest {
                    instance_family: Some("m5".into()),
                },
            ]),
        };
        let xml = render_members(&shape).unwrap();
        assert_eq!(
            xml,
            "<Reference><item><InstanceFamily>c5</InstanceFamily></item>\
             <item><InstanceFamily>m5</InstanceFamily></item></Reference>"
        );
        let doc = format!("<r>{xml}</r>");
        let (_, node) = crate::query::xml::parse_nodes(&doc).unwrap();
        let back: CpuPerformanceFactorRequest = crate::query::tree::from_node(&node).unwrap();
        assert_eq!(back, shape);
        // One item, and none.
        let (_, node) = crate::query::xml::parse_nodes(
            "<r><Reference><item><InstanceFamily>c5</InstanceFamily></item></Reference></r>",
        )
        .unwrap();
        let one: CpuPerformanceFactorRequest = crate::query::tree::from_node(&node).unwrap();
        assert_eq!(one.references.unwrap().len(), 1);
        let (_, node) = crate::query::xml::parse_nodes("<r><Reference/></r>").unwrap();
        let none: CpuPerformanceFactorRequest = crate::query::tree::from_node(&node).unwrap();
        assert_eq!(none.references, Some(vec![]));
    }
}
