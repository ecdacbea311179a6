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

use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Map, Value};

/// The deepest element nesting accepted in a reply.
pub const MAX_DEPTH: usize = 64;

/// The AWS Auto Scaling XML namespace.
pub const NAMESPACE: &str = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

/// A parsed XML document: the root element's local name and its content as a text tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Local name of the root element.
    pub root: String,
    /// The root's content.
    pub tree: Value,
}

/// Parses an XML document into a text tree: an element with child elements becomes an object
/// (children by local name; all-`member` children become an array; a repeated name becomes an
/// array), an element with only text becomes a string.
pub fn parse_document(body: &[u8]) -> Result<Document, String> {
    let text = std::str::from_utf8(body).map_err(|_| "reply is not valid UTF-8".to_string())?;
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut done: Option<Document> = None;
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
                stack.push(Frame::new(local_name(start.local_name().as_ref())));
            }
            Event::Empty(start) => {
                let name = local_name(start.local_name().as_ref());
                match stack.last_mut() {
                    Some(parent) => parent.children.push((name, Value::String(String::new()))),
                    None if done.is_none() => {
                        done = Some(Document {
                            root: name,
                            tree: Value::String(String::new()),
                        })
                    }
                    None => return Err("XML has more than one root element".into()),
                }
            }
            Event::End(_) => {
                let frame = stack.pop().ok_or("XML closes an element it never opened")?;
                let (name, value) = frame.finish();
                match stack.last_mut() {
                    Some(parent) => parent.children.push((name, value)),
                    None => {
                        done = Some(Document {
                            root: name,
                            tree: value,
                        })
                    }
                }
            }
            Event::Text(t) => {
                if let Some(frame) = stack.last_mut() {
                    frame.text.push_str(&t.xml10_content());
                } else if !t.trim().is_empty() && done.is_none() {
                    return Err("text before the root element: not an XML document".into());
                }
            }
            Event::CData(c) => {
                if let Some(frame) = stack.last_mut() {
                    let raw = c.into_inner();
                    frame.text.push_str(&raw);
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
                    frame.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(format!(
            "XML ends inside <{}>: truncated reply",
            stack[stack.len() - 1].name
        ));
    }
    done.ok_or_else(|| "reply holds no XML element".to_string())
}

struct Frame {
    name: String,
    children: Vec<(String, Value)>,
    text: String,
}

impl Frame {
    fn new(name: String) -> Self {
        Frame {
            name,
            children: Vec::new(),
            text: String::new(),
        }
    }

    fn finish(self) -> (String, Value) {
        if self.children.is_empty() {
            return (self.name, Value::String(self.text));
        }
        if self.children.iter().all(|(n, _)| n == "member") {
            let items = self.children.into_iter().map(|(_, v)| v).collect();
            return (self.name, Value::Array(items));
        }
        let mut map = Map::new();
        for (name, value) in self.children {
            match map.get_mut(&name) {
                None => {
                    map.insert(name, value);
                }
                Some(Value::Array(items)) => items.push(value),
                Some(existing) => {
                    let first = existing.take();
                    *existing = Value::Array(vec![first, value]);
                }
            }
        }
        (self.name, Value::Object(map))
    }
}

fn local_name(raw: &str) -> String {
    raw.to_string()
}

fn truncate(text: &str, max: usize) -> String {
    let mut s: String = text.chars().take(max).collect();
    if s.len() < text.len() {
        s.push_str("...");
    }
    s
}

/// What a reply body turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A success: the result tree (`Value::Null` for operations without output) and request id.
    Success {
        /// The `<Op>Result` content (or the root's, when the dialect has no Result wrapper).
        result: Value,
        /// `ResponseMetadata/RequestId`, when present.
        request_id: Option<String>,
    },
    /// An error document, even if it came with HTTP 200.
    Error(ErrorDetails),
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

/// Reads a success reply of `operation`, recognising an error document in its place.
pub fn parse_reply(operation: &str, body: &[u8]) -> Result<Reply, String> {
    let doc = parse_document(body)?;
    if let Some(err) = error_from_document(&doc) {
        return Ok(Reply::Error(err));
    }
    let expected = format!("{operation}Response");
    if doc.root != expected && doc.root != operation {
        return Err(format!(
            "expected <{expected}>, found <{}>{}",
            doc.root,
            if doc.root == "ListAllMyBucketsResult" {
                " (an S3 answer: the server routed this request to S3; moto does so for requests \
                 not signed with SigV4)"
            } else {
                ""
            }
        ));
    }
    let request_id = doc
        .tree
        .get("ResponseMetadata")
        .and_then(|m| m.get("RequestId"))
        .or_else(|| doc.tree.get("RequestId"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let result_name = format!("{operation}Result");
    let result = match doc.tree {
        Value::Object(mut map) => match map.remove(&result_name) {
            Some(result) => result,
            None => {
                map.remove("ResponseMetadata");
                if map.is_empty() {
                    Value::Null
                } else {
                    Value::Object(map)
                }
            }
        },
        _ => Value::Null,
    };
    Ok(Reply::Success { result, request_id })
}

fn error_from_document(doc: &Document) -> Option<ErrorDetails> {
    let tree = &doc.tree;
    let error = match doc.root.as_str() {
        "ErrorResponse" | "Response" => tree
            .get("Error")
            .or_else(|| tree.get("Errors").and_then(|e| e.get("Error")))
            .map(first_of),
        "Error" => Some(tree),
        _ => None,
    }?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    Some(ErrorDetails {
        code: text(error.get("Code")).unwrap_or_else(|| "UnknownError".into()),
        message: text(error.get("Message")).unwrap_or_default(),
        kind: text(error.get("Type")),
        request_id: text(tree.get("RequestId"))
            .or_else(|| text(tree.get("RequestID")))
            .or_else(|| text(error.get("RequestId"))),
    })
}

fn first_of(value: &Value) -> &Value {
    match value {
        Value::Array(items) => items.first().unwrap_or(value),
        other => other,
    }
}

/// Reads an error body of any dialect. `status` and `reason` come from the status line: Phantom
/// puts the code there (`HTTP/1.1 400 InvalidParameterValue`) and in the first line of its text or
/// HTML body. Returns `None` only for an empty body with no reason to go on.
pub fn parse_error_body(status: u16, reason: Option<&str>, body: &[u8]) -> ErrorDetails {
    if let Some(err) = parse_document(body)
        .ok()
        .as_ref()
        .and_then(error_from_document)
    {
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
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes a success reply in the AWS form: `<?xml?>`, `<OpResponse xmlns=...>`, the Result (when
/// `result` is an object), then `ResponseMetadata`.
pub fn write_reply(operation: &str, result: Option<&Value>, request_id: &str) -> String {
    let mut out = String::with_capacity(512);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{operation}Response xmlns=\"{NAMESPACE}\">"
    );
    if let Some(result) = result {
        let _ = write!(out, "<{operation}Result>");
        write_members(result, &mut out);
        let _ = write!(out, "</{operation}Result>");
    }
    let _ = writeln!(
        out,
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{operation}Response>",
        escape(request_id)
    );
    out
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

fn write_members(tree: &Value, out: &mut String) {
    if let Value::Object(map) = tree {
        for (name, value) in map {
            write_element(name, value, out);
        }
    }
}

fn write_element(name: &str, value: &Value, out: &mut String) {
    match value {
        Value::Null => {}
        Value::Array(items) => {
            let _ = write!(out, "<{name}>");
            for item in items {
                write_element("member", item, out);
            }
            let _ = write!(out, "</{name}>");
        }
        Value::Object(_) => {
            let _ = write!(out, "<{name}>");
            write_members(value, out);
            let _ = write!(out, "</{name}>");
        }
        Value::String(s) => {
            let _ = write!(out, "<{name}>{}</{name}>", escape(s));
        }
        Value::Bool(b) => {
            let _ = write!(out, "<{name}>{b}</{name}>");
        }
        Value::Number(n) => {
            let _ = write!(out, "<{name}>{n}</{name}>");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn result_after_or_before_metadata() {
        let aws = br#"<?xml version="1.0"?><XResponse xmlns="a"><XResult><Items><member><N>1</N></member></Items><Next/></XResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></XResponse>"#;
        let phantom = br#"<XResponse xmlns="b"><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata><XResult><Items><member><N>1</N></member></Items><Next/></XResult></XResponse>"#;
        for body in [&aws[..], &phantom[..]] {
            let reply = parse_reply("X", body).unwrap();
            assert_eq!(
                reply,
                Reply::Success {
                    result: json!({"Items": [{"N": "1"}], "Next": ""}),
                    request_id: Some("r1".into())
                }
            );
        }
    }

    #[test]
    fn no_result_wrapper() {
        let body = b"<X xmlns=\"b\"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata><Items><member>a</member></Items></X>";
        let Reply::Success { result, .. } = parse_reply("X", body).unwrap() else {
            panic!()
        };
        assert_eq!(result, json!({"Items": ["a"]}));
    }

    #[test]
    fn error_document_in_a_200() {
        let body = b"<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>m</Message></Error></Errors></ErrorResponse>";
        let Reply::Error(e) = parse_reply("X", body).unwrap() else {
            panic!()
        };
        assert_eq!(e.code, "SignatureDoesNotMatch");
        assert_eq!(e.message, "m");
    }

    #[test]
    fn hostile_documents_are_refused() {
        let deep = "<a>".repeat(10_000);
        assert!(
            parse_document(deep.as_bytes())
                .unwrap_err()
                .contains("deeper")
        );
        assert!(
            parse_document(b"<a><b>x</b>")
                .unwrap_err()
                .contains("truncated")
        );
        assert!(
            parse_document(b"<a>&bogus;</a>")
                .unwrap_err()
                .contains("entity")
        );
        assert!(parse_document(b"\xff\xfe").is_err());
        assert!(parse_document(b"").is_err());
        assert!(parse_document(b"hello").is_err());
        assert!(
            parse_reply("X", b"<ListAllMyBucketsResult/>")
                .unwrap_err()
                .contains("S3")
        );
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
        let xml = write_reply("X", Some(&result), "rid");
        let Reply::Success {
            result: back,
            request_id,
        } = parse_reply("X", xml.as_bytes()).unwrap()
        else {
            panic!()
        };
        assert_eq!(request_id.as_deref(), Some("rid"));
        assert_eq!(
            back,
            json!({"Groups": [{"Name": "a<b", "Size": "2", "On": "true"}], "Empty": ""})
        );
        let err = write_error("Sender", "ValidationError", "bad & worse", "rid");
        let Reply::Error(e) = parse_reply("X", err.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(
            (e.code.as_str(), e.message.as_str(), e.request_id.as_deref()),
            ("ValidationError", "bad & worse", Some("rid"))
        );
    }
}
