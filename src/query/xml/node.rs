//! The node tree and the XML reader that builds it: quick-xml's event reader, namespaces,
//! attributes, prologs and comments ignored, names and text borrowed from the body where they can
//! be, depth bounded so no reply can exhaust the stack. The form decoder builds the same tree.

use std::borrow::Cow;
use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// The deepest element nesting accepted in a reply.
pub const MAX_DEPTH: usize = 64;

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

/// `text` cut to `max` characters, `...` marking a cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    let mut s: String = text.chars().take(max).collect();
    if s.len() < text.len() {
        s.push_str("...");
    }
    s
}
