//! The error bodies of every dialect: AWS `ErrorResponse`, moto's `<Errors>` form, EC2's
//! `<Response><Errors>`, a bare `<Error>`, Phantom's plain text (`400 InvalidParameterValue\n\n...`)
//! and its HTML page, and a proxy's page; whatever it is, an error code comes out.

use super::node::{Node, parse_nodes, truncate};

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

/// The error an error document holds (AWS `ErrorResponse`, moto's `<Errors>`, EC2's
/// `<Response><Errors>`, a bare `<Error>`), or `None` for any other document.
pub(super) fn error_from_node(root: &str, node: &Node<'_>) -> Option<ErrorDetails> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
