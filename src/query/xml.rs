//! Query XML: reading replies and errors of every dialect, and writing AWS-form replies.
//!
//! Reading builds the text tree of [`crate::query::tree`] with quick-xml's event reader, ignoring
//! namespaces, attributes and prologs, so the AWS, moto, Eucalyptus and Phantom forms all read the
//! same: the `<Op>Result` element wherever it stands (before or after `ResponseMetadata`), or the
//! root itself when there is none (Phantom's DescribeAutoScalingInstances). Error bodies are read as
//! AWS `ErrorResponse`, moto's `<Errors>` form, EC2's `<Response><Errors>`, Phantom's plain text
//! (`400 InvalidParameterValue\n\n...`) or its HTML page. Depth is bounded, so no reply can exhaust
//! the stack.

use std::fmt::Write as _;

use std::borrow::Cow;
use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde::ser;
use serde_json::Value;

use crate::query::tree;

/// The deepest element nesting accepted in a reply.
pub const MAX_DEPTH: usize = 64;

/// The AWS Auto Scaling XML namespace.
pub const NAMESPACE: &str = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

/// The one tree every Query payload becomes: an XML reply as read by [`parse_nodes`] (names and
/// text borrowed from the body where they can be, no allocation per element), or a decoded form
/// (`Tags.member.1.Key=k`, by [`crate::query::form::pairs_to_node`], owned: `Node<'static>`).
/// [`crate::query::tree::from_node`] fills a shape from it; the server's validator walks it.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    /// An element without child elements: its text.
    Text(Cow<'a, str>),
    /// An element whose children are all `<member>`, or a name repeated among siblings.
    List(Vec<Node<'a>>),
    /// An element with child elements, by local name, in document order of first appearance.
    Map(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// The child named `name` of a structure.
    pub fn get(&self, name: &str) -> Option<&Node<'a>> {
        match self {
            Node::Map(children) => children.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Reads an XML document into its root element's local name and content. Namespaces, attributes,
/// prologs, comments and processing instructions are ignored; depth is bounded by [`MAX_DEPTH`].
pub fn parse_nodes(text: &str) -> Result<(Cow<'_, str>, Node<'_>), String> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Frame<'_>> = Vec::new();
    // The finished children of every open element, innermost last: one buffer for the whole
    // document, so an element's children cost one exact allocation when it closes.
    let mut pending: Vec<(Cow<'_, str>, Node<'_>)> = Vec::new();
    let mut done: Option<(Cow<'_, str>, Node<'_>)> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("malformed XML at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(start) => {
                if done.is_some() {
                    return Err("XML has more than one root element".into());
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("XML nested deeper than {MAX_DEPTH} elements"));
                }
                stack.push(Frame::new(local_name(text, &start), pending.len()));
            }
            Event::Empty(start) => {
                let name = local_name(text, &start);
                match stack.last_mut() {
                    Some(_) => pending.push((name, Node::Text(Cow::Borrowed("")))),
                    None if done.is_none() => done = Some((name, Node::Text(Cow::Borrowed("")))),
                    None => return Err("XML has more than one root element".into()),
                }
            }
            Event::End(_) => {
                let frame = stack.pop().ok_or("XML closes an element it never opened")?;
                let (name, value) = frame.finish(&mut pending);
                match stack.last_mut() {
                    Some(_) => pending.push((name, value)),
                    None => done = Some((name, value)),
                }
            }
            Event::Text(t) => {
                if let Some(frame) = stack.last_mut() {
                    frame.push_text(t.xml10_content());
                } else if !t.trim().is_empty() && done.is_none() {
                    return Err("text before the root element: not an XML document".into());
                }
            }
            Event::CData(c) => {
                if let Some(frame) = stack.last_mut() {
                    frame.push_text(c.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(ch)) => ch.to_string(),
                    Ok(None) => match &*r {
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "amp" => "&".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => {
                            return Err(format!("unknown XML entity &{};", truncate(other, 40)));
                        }
                    },
                    Err(e) => return Err(format!("bad character reference: {e}")),
                };
                if let Some(frame) = stack.last_mut() {
                    frame.push_text(Cow::Owned(resolved));
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("XML ends inside <{}>: truncated reply", open.name));
    }
    done.ok_or_else(|| "reply holds no XML element".to_string())
}

struct Frame<'a> {
    name: Cow<'a, str>,
    /// Where this element's children start in the shared `pending` buffer.
    first_child: usize,
    text: Cow<'a, str>,
}

/// Above this many children, repeated names are found through a hash map instead of a scan.
const SCAN_LIMIT: usize = 16;

impl<'a> Frame<'a> {
    fn new(name: Cow<'a, str>, first_child: usize) -> Self {
        Frame {
            name,
            first_child,
            text: Cow::Borrowed(""),
        }
    }

    fn push_text(&mut self, piece: Cow<'a, str>) {
        if self.text.is_empty() {
            self.text = piece;
        } else {
            self.text.to_mut().push_str(&piece);
        }
    }

    /// Takes this element's children off `pending` and makes its node.
    fn finish(self, pending: &mut Vec<(Cow<'a, str>, Node<'a>)>) -> (Cow<'a, str>, Node<'a>) {
        let first = self.first_child.min(pending.len());
        let count = pending.len() - first;
        if count == 0 {
            return (self.name, Node::Text(self.text));
        }
        if pending[first..].iter().all(|(n, _)| n == "member") {
            let items = pending.drain(first..).map(|(_, v)| v).collect();
            return (self.name, Node::List(items));
        }
        let many = count > SCAN_LIMIT;
        let mut index: HashMap<Cow<'a, str>, usize> = HashMap::new();
        let mut out: Vec<(Cow<'a, str>, Node<'a>)> = Vec::with_capacity(count);
        for (name, value) in pending.drain(first..) {
            let seen = if many {
                index.get(&name).copied()
            } else {
                out.iter().position(|(n, _)| *n == name)
            };
            match seen {
                None => {
                    if many {
                        index.insert(name.clone(), out.len());
                    }
                    out.push((name, value));
                }
                // As the object tree always did: a repeated name joins the list already there
                // (even a `member` list), or turns the first value into a list of both.
                Some(i) => match &mut out[i].1 {
                    Node::List(items) => items.push(value),
                    existing => {
                        let first = std::mem::replace(existing, Node::List(Vec::new()));
                        *existing = Node::List(vec![first, value]);
                    }
                },
            }
        }
        (self.name, Node::Map(out))
    }
}

/// The local name (after any `prefix:`) of a start tag, borrowed from the document text when the
/// reader's buffer is a slice of it (always, for a document read from a `&str`).
fn local_name<'a>(text: &'a str, start: &BytesStart<'_>) -> Cow<'a, str> {
    let qname: &str = &start[..start.name().as_ref().len()];
    let local = match qname.rfind(':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    };
    let offset = (local.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    match text.get(offset..offset + local.len()) {
        Some(slice) if slice.as_ptr() == local.as_ptr() => Cow::Borrowed(slice),
        _ => Cow::Owned(local.to_string()),
    }
}

fn truncate(text: &str, max: usize) -> String {
    let mut s: String = text.chars().take(max).collect();
    if s.len() < text.len() {
        s.push_str("...");
    }
    s
}

/// The fields of an error reply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorDetails {
    /// The error code (`ValidationError`, ...).
    pub code: String,
    /// The message, possibly empty.
    pub message: String,
    /// `Sender` or `Receiver`, when given.
    pub kind: Option<String>,
    /// The request id in the body, when given.
    pub request_id: Option<String>,
}

/// Refuses a reply whose root is neither `<OpResponse>` nor `<Op>`.
fn check_root(operation: &str, root: &str) -> Result<(), String> {
    let expected = format!("{operation}Response");
    if root != expected && root != operation {
        return Err(format!(
            "expected <{expected}>, found <{root}>{}",
            if root == "ListAllMyBucketsResult" {
                " (an S3 answer: the server routed this request to S3; moto does so for requests \
                 not signed with SigV4)"
            } else {
                ""
            }
        ));
    }
    Ok(())
}

/// A reply read straight into the operation's output shape by [`parse_typed_reply`].
#[derive(Debug, Clone, PartialEq)]
pub enum TypedReply<T> {
    /// A success: the output (its `Default` when the reply has no result) and request id.
    Success {
        /// The filled output shape.
        output: T,
        /// `ResponseMetadata/RequestId`, when present.
        request_id: Option<String>,
    },
    /// An error document, even if it came with HTTP 200.
    Error(ErrorDetails),
}

/// Why [`parse_typed_reply`] could not read a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The body is not a reply of the operation (bad XML, wrong root).
    Xml(String),
    /// The result does not fit the output shape: as [`crate::query::tree::from_node`] says.
    Shape(String),
}

/// Reads a reply of `operation` in one pass: the node tree, then the output shape straight from
/// it. The `<Op>Result` element is found wherever it stands (before or after
/// `ResponseMetadata`), or the root's other children are the result when there is none
/// (Phantom's DescribeAutoScalingInstances); no result is the shape's `Default`. An error
/// document in place of the reply (any dialect's, even with HTTP 200) is a [`TypedReply::Error`].
pub fn parse_typed_reply<T: DeserializeOwned + Default>(
    operation: &str,
    body: &[u8],
) -> Result<TypedReply<T>, ReadError> {
    let text =
        std::str::from_utf8(body).map_err(|_| ReadError::Xml("reply is not valid UTF-8".into()))?;
    let (root, node) = parse_nodes(text).map_err(ReadError::Xml)?;
    if let Some(e) = error_from_node(&root, &node) {
        return Ok(TypedReply::Error(e));
    }
    check_root(operation, &root).map_err(ReadError::Xml)?;
    let text_of = |n: Option<&Node<'_>>| match n {
        Some(Node::Text(t)) => Some(t.to_string()),
        _ => None,
    };
    let request_id = text_of(
        node.get("ResponseMetadata")
            .and_then(|m| m.get("RequestId")),
    )
    .or_else(|| text_of(node.get("RequestId")));
    let result_name = format!("{operation}Result");
    let output = match node {
        Node::Map(mut children) => match children.iter().position(|(n, _)| *n == result_name) {
            Some(i) => tree::from_node(&children[i].1),
            None => {
                children.retain(|(n, _)| n != "ResponseMetadata");
                if children.is_empty() {
                    Ok(T::default())
                } else {
                    tree::from_node(&Node::Map(children))
                }
            }
        },
        _ => Ok(T::default()),
    }
    .map_err(|e| ReadError::Shape(e.0))?;
    Ok(TypedReply::Success { output, request_id })
}

/// The error an error document holds (AWS `ErrorResponse`, moto's `<Errors>`, EC2's
/// `<Response><Errors>`, a bare `<Error>`), or `None` for any other document.
fn error_from_node(root: &str, node: &Node<'_>) -> Option<ErrorDetails> {
    let error = match root {
        "ErrorResponse" | "Response" => node
            .get("Error")
            .or_else(|| node.get("Errors").and_then(|e| e.get("Error")))
            .map(first_of),
        "Error" => Some(node),
        _ => None,
    }?;
    let text = |n: Option<&Node<'_>>| match n {
        Some(Node::Text(t)) => Some(t.to_string()),
        _ => None,
    };
    Some(ErrorDetails {
        code: text(error.get("Code")).unwrap_or_else(|| "UnknownError".into()),
        message: text(error.get("Message")).unwrap_or_default(),
        kind: text(error.get("Type")),
        request_id: text(node.get("RequestId"))
            .or_else(|| text(node.get("RequestID")))
            .or_else(|| text(error.get("RequestId"))),
    })
}

fn first_of<'x, 'a>(node: &'x Node<'a>) -> &'x Node<'a> {
    match node {
        Node::List(items) => items.first().unwrap_or(node),
        other => other,
    }
}

/// Reads an error body of any dialect. `status` and `reason` come from the status line: Phantom
/// puts the code there (`HTTP/1.1 400 InvalidParameterValue`) and in the first line of its text or
/// HTML body. Returns `None` only for an empty body with no reason to go on.
pub fn parse_error_body(status: u16, reason: Option<&str>, body: &[u8]) -> ErrorDetails {
    let document = std::str::from_utf8(body)
        .ok()
        .and_then(|t| parse_nodes(t).ok());
    if let Some(err) = document.and_then(|(root, node)| error_from_node(&root, &node)) {
        return err;
    }
    let text = String::from_utf8_lossy(body);
    let status_text = status.to_string();
    // Phantom's text body: "400 Code\n\nexplanation\n\ndetails".
    let trimmed = text.trim_start();
    if let Some(rest) = trimmed.strip_prefix(&status_text) {
        let mut lines = rest.lines();
        let code = lines.next().unwrap_or("").trim().replace(' ', "");
        if is_code(&code) {
            let message = lines
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            return ErrorDetails {
                code,
                message,
                ..Default::default()
            };
        }
    }
    // Phantom's HTML body: <title>400 Code</title> ... <h1>..</h1> explanation<br />
    if let Some(title) = between(&text, "<title>", "</title>") {
        let title = title.trim();
        // "400 IncompleteSignature" (Phantom) or "502 Bad Gateway" (a proxy): the words make the code.
        let code = title
            .strip_prefix(&status_text)
            .unwrap_or(title)
            .trim()
            .replace(' ', "");
        let code = code.as_str();
        let body_text = between(&text, "</h1>", "</body>")
            .map(strip_tags)
            .unwrap_or_default();
        let code = if is_code(code) {
            code.to_string()
        } else {
            fallback_code(status, reason)
        };
        return ErrorDetails {
            code,
            message: body_text,
            ..Default::default()
        };
    }
    let code = match reason.map(str::trim) {
        Some(r) if is_code(r) && !is_canonical_reason(status, r) => r.to_string(),
        _ => fallback_code(status, reason),
    };
    ErrorDetails {
        code,
        message: snippet(&text),
        ..Default::default()
    }
}

fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
}

fn is_canonical_reason(status: u16, reason: &str) -> bool {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .is_some_and(|c| c.replace(' ', "") == reason.replace(' ', ""))
}

fn fallback_code(status: u16, reason: Option<&str>) -> String {
    match (status, reason.map(str::trim)) {
        (404, _) => "NotFound".into(),
        (_, Some(r)) if is_code(&r.replace(' ', "")) && !r.is_empty() => r.replace(' ', ""),
        _ => format!("HTTP{status}"),
    }
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A short, single-line, printable excerpt of a body, for error messages.
pub fn snippet(text: &str) -> String {
    let flat: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    truncate(&flat, 200)
}

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
/// `member` elements, absent values left out, numbers as `serde_json` prints them. Shapes with
/// parts the Query XML form has no writing for (byte strings, tuples, enum variants with data,
/// maps with non-text keys) are refused.
pub fn render_members<T: Serialize + ?Sized>(shape: &T) -> Result<String, String> {
    let mut out = String::with_capacity(1024);
    shape.serialize(XmlWriter {
        out: &mut out,
        name: None,
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
        _name: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        value.serialize(self)
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
        if let Some(name) = self.name {
            open_tag(name, self.out);
        }
        Ok(XmlStruct {
            out: self.out,
            name: self.name,
            key: None,
            seen: Vec::new(),
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<XmlStruct<'o>, Unsupported> {
        self.serialize_map(None)
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

/// A list being written: each item as a `member` element.
struct XmlList<'o> {
    out: &'o mut String,
    name: Option<&'o str>,
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
            name: Some("member"),
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
        value.serialize(XmlWriter {
            out: self.out,
            name: Some(key),
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
    fn result_after_or_before_metadata() {
        let aws = br#"<?xml version="1.0"?><XResponse xmlns="a"><XResult><Items><member><N>1</N></member></Items><Next/></XResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></XResponse>"#;
        let phantom = br#"<XResponse xmlns="b"><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata><XResult><Items><member><N>1</N></member></Items><Next/></XResult></XResponse>"#;
        for body in [&aws[..], &phantom[..]] {
            let reply = read("X", body).unwrap();
            assert_eq!(
                reply,
                TypedReply::Success {
                    output: json!({"Items": [{"N": "1"}], "Next": ""}),
                    request_id: Some("r1".into())
                }
            );
        }
    }

    #[test]
    fn no_result_wrapper() {
        let body = b"<X xmlns=\"b\"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata><Items><member>a</member></Items></X>";
        let TypedReply::Success { output, .. } = read("X", body).unwrap() else {
            panic!()
        };
        assert_eq!(output, json!({"Items": ["a"]}));
    }

    #[test]
    fn error_document_in_a_200() {
        let body = b"<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>m</Message></Error></Errors></ErrorResponse>";
        let TypedReply::Error(e) = read("X", body).unwrap() else {
            panic!()
        };
        assert_eq!(e.code, "SignatureDoesNotMatch");
        assert_eq!(e.message, "m");
    }

    #[test]
    fn hostile_documents_are_refused() {
        let deep = "<a>".repeat(10_000);
        assert!(parse_nodes(&deep).unwrap_err().contains("deeper"));
        assert!(
            parse_nodes("<a><b>x</b>")
                .unwrap_err()
                .contains("truncated")
        );
        assert!(
            parse_nodes("<a>&bogus;</a>")
                .unwrap_err()
                .contains("entity")
        );
        assert!(read("X", b"\xff\xfe").is_err());
        assert!(parse_nodes("").is_err());
        assert!(parse_nodes("hello").is_err());
        let Err(ReadError::Xml(e)) = read("X", b"<ListAllMyBucketsResult/>") else {
            panic!()
        };
        assert!(e.contains("S3"), "{e}");
    }

    #[test]
    fn phantom_text_and_html_errors() {
        let text = b"400 InvalidParameterValue\n\nThe value is bad.\n\nname taken\n";
        let e = parse_error_body(400, Some("InvalidParameterValue"), text);
        assert_eq!(e.code, "InvalidParameterValue");
        assert_eq!(e.message, "The value is bad. name taken");
        let html = b"<html>\n <head>\n  <title>400 IncompleteSignature</title>\n </head>\n <body>\n  <h1>400 IncompleteSignature</h1>\n  The request signature does not conform to AWS standards.<br /><br />\n </body>\n</html>";
        let e = parse_error_body(400, None, html);
        assert_eq!(e.code, "IncompleteSignature");
        assert_eq!(
            e.message,
            "The request signature does not conform to AWS standards."
        );
        let e = parse_error_body(502, Some("Bad Gateway"), b"\x00\x01garbage");
        assert_eq!(e.code, "BadGateway");
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
}
