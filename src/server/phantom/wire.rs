//! Phantom's wire form: replies and errors as the genuine server wrote them (the captures in
//! `tests/fixtures/phantom-wire/captures/` are the reference).
//!
//! Replies: namespace `2009-05-15`, no `<?xml?>` prolog, `ResponseMetadata` before the Result,
//! `Content-Type: text/html`; DescribeAutoScalingInstances without a `Result` wrapper (root
//! `<DescribeAutoScalingInstances>`); the three Describe replies list every member of Phantom's
//! 2009-era shapes, empty when unset, booleans `True`/`False`, times with microseconds, KeyName
//! always `phantomkey`, launch configuration names of groups and instances without `@site`, and no
//! NextToken (MaxRecords is honoured). The members Phantom never filled (a group's Tags,
//! AvailabilityZones, LoadBalancerNames, ...) are written empty, as it wrote them. Actions without
//! output (and TerminateInstanceInAutoScalingGroup, whose Activity Phantom never returned) answer
//! the indented metadata-only document Phantom wrote.
//!
//! Errors: not XML; the status line carries the code (`HTTP/1.1 400 InvalidParameterValue`), the
//! body is text (`400 Code\n\nexplanation\n\n detail  `) or, when the request's `Accept` names
//! `html` or is `*/*`, the same as an HTML page. AWS's codes map to the ones Phantom used
//! ([`phantom_code`]).

use std::fmt::Write as _;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde::Serialize;
use serde_json::Value;

use crate::query::timestamp::Timestamp;
use crate::query::xml::escape_into;
use crate::server::fault::ApiError;
use crate::server::sites;

/// The namespace of Phantom's replies.
pub const NAMESPACE: &str = "http://autoscaling.amazonaws.com/doc/2009-05-15/";

/// The key name Phantom reports for every launch configuration.
pub const KEY_NAME: &str = "phantomkey";

/// What one member of a Phantom shape is written as.
#[derive(Clone, Copy)]
enum Field {
    /// Text (or a number) from the shape's member of the same name; empty when unset.
    Text(&'static str),
    /// Text from the shape's member `.1`, written as `.0`.
    From(&'static str, &'static str),
    /// A launch configuration name, written without its `@site`.
    BaseName(&'static str),
    /// A time, written with microseconds.
    Time(&'static str),
    /// The same text always.
    Fixed(&'static str, &'static str),
    /// A list Phantom always wrote empty.
    Empty(&'static str),
    /// `InstanceMonitoring`, its `Enabled` always `False` (Phantom did not monitor).
    Monitoring,
    /// The group's instances, each as [`INSTANCE`] (the group's name filled in).
    Instances,
}

/// A group (`AutoScalingGroup`), in the captures' order.
const GROUP: &[Field] = &[
    Field::Fixed("Status", ""),
    Field::Text("AutoScalingGroupARN"),
    Field::Fixed("VPCZoneIdentifier", ""),
    Field::Text("HealthCheckGracePeriod"),
    Field::Fixed("PlacementGroup", ""),
    Field::Text("DesiredCapacity"),
    Field::Empty("Tags"),
    Field::Empty("EnabledMetrics"),
    Field::Empty("LoadBalancerNames"),
    Field::Text("AutoScalingGroupName"),
    Field::Text("MinSize"),
    Field::Instances,
    Field::Text("MaxSize"),
    Field::From("Cooldown", "DefaultCooldown"),
    Field::BaseName("LaunchConfigurationName"),
    Field::Time("CreatedTime"),
    Field::Empty("SuspendedProcesses"),
    Field::Empty("AvailabilityZones"),
    Field::Fixed("HealthCheckType", ""),
];

/// An instance of a group or of DescribeAutoScalingInstances.
const INSTANCE: &[Field] = &[
    Field::Text("AvailabilityZone"),
    Field::Text("InstanceId"),
    Field::Text("AutoScalingGroupName"),
    Field::Text("HealthStatus"),
    Field::Text("LifecycleState"),
    Field::BaseName("LaunchConfigurationName"),
];

/// A launch configuration.
const LAUNCH_CONFIGURATION: &[Field] = &[
    Field::Text("LaunchConfigurationARN"),
    Field::Monitoring,
    Field::Time("CreatedTime"),
    Field::Empty("BlockDeviceMappings"),
    Field::Text("LaunchConfigurationName"),
    Field::Text("KernelId"),
    Field::Text("RamdiskId"),
    Field::Text("UserData"),
    Field::Text("ImageId"),
    Field::Fixed("KeyName", KEY_NAME),
    Field::Empty("SecurityGroups"),
    Field::Text("InstanceType"),
];

/// The reply members of `action`'s output in Phantom's form: the list of the three Describe
/// actions (never a NextToken); `None` for every other action (Phantom answered them with the
/// metadata alone).
pub fn encode<T: Serialize>(action: &str, output: &T) -> Result<Option<String>, ApiError> {
    let (list, fields) = match action {
        "DescribeAutoScalingGroups" => ("AutoScalingGroups", GROUP),
        "DescribeAutoScalingInstances" => ("AutoScalingInstances", INSTANCE),
        "DescribeLaunchConfigurations" => ("LaunchConfigurations", LAUNCH_CONFIGURATION),
        _ => return Ok(None),
    };
    let value = serde_json::to_value(output)
        .map_err(|e| ApiError::internal(format!("writing the reply: {e}")))?;
    let mut out = String::with_capacity(1024);
    write_list(&mut out, list, value.get(list), fields, None);
    Ok(Some(out))
}

fn write_list(
    out: &mut String,
    name: &str,
    items: Option<&Value>,
    fields: &[Field],
    group: Option<&Value>,
) {
    let items = items.and_then(Value::as_array).filter(|a| !a.is_empty());
    let Some(items) = items else {
        let _ = write!(out, "<{name}/>");
        return;
    };
    let _ = write!(out, "<{name}>");
    for item in items {
        out.push_str("<member>");
        write_fields(out, item, fields, group);
        out.push_str("</member>");
    }
    let _ = write!(out, "</{name}>");
}

fn write_fields(out: &mut String, item: &Value, fields: &[Field], group: Option<&Value>) {
    for field in fields {
        match *field {
            Field::Text(name) => {
                let v = item
                    .get(name)
                    .or_else(|| group.filter(|_| name == "AutoScalingGroupName")?.get(name));
                element(out, name, &text(v));
            }
            Field::From(name, member) => element(out, name, &text(item.get(member))),
            Field::BaseName(name) => {
                let given = text(item.get(name));
                let base = sites::split(&given).map_or(given.as_str(), |(base, _)| base);
                element(out, name, base);
            }
            Field::Time(name) => {
                let t = text(item.get(name));
                let written = Timestamp::parse(&t).map(micros).unwrap_or(t);
                element(out, name, &written);
            }
            Field::Fixed(name, value) => element(out, name, value),
            Field::Empty(name) => {
                let _ = write!(out, "<{name}/>");
            }
            // Phantom had no detailed monitoring: always off.
            Field::Monitoring => {
                out.push_str("<InstanceMonitoring><Enabled>False</Enabled></InstanceMonitoring>");
            }
            Field::Instances => write_list(
                out,
                "Instances",
                item.get("Instances"),
                INSTANCE,
                Some(item),
            ),
        }
    }
}

/// A member's text: strings as they are, numbers as written, booleans `True`/`False`, else empty.
fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => if *b { "True" } else { "False" }.to_string(),
        _ => String::new(),
    }
}

/// `2026-11-27T23:29:59.000000Z`.
fn micros(t: Timestamp) -> String {
    let t = t.0.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

fn element(out: &mut String, name: &str, value: &str) {
    if value.is_empty() {
        let _ = write!(out, "<{name}/>");
    } else {
        let _ = write!(out, "<{name}>");
        escape_into(value, out);
        let _ = write!(out, "</{name}>");
    }
}

/// A success reply's body in Phantom's form (see the module comment).
pub fn write_reply(action: &str, members: Option<&str>, request_id: &str) -> String {
    let mut id = String::new();
    escape_into(request_id, &mut id);
    match members {
        Some(members) if action == "DescribeAutoScalingInstances" => format!(
            "<{action} xmlns=\"{NAMESPACE}\"><ResponseMetadata><RequestId>{id}</RequestId>\
             </ResponseMetadata>{members}</{action}>"
        ),
        Some(members) => format!(
            "<{action}Response xmlns=\"{NAMESPACE}\"><ResponseMetadata><RequestId>{id}\
             </RequestId></ResponseMetadata><{action}Result>{members}</{action}Result>\
             </{action}Response>"
        ),
        None => format!(
            "<{action}Response xmlns=\"{NAMESPACE}\">\n\t<ResponseMetadata>\n\t\t<RequestId>{id}\
             </RequestId>\n\t</ResponseMetadata>\n</{action}Response>\n"
        ),
    }
}

/// The code and status Phantom answered for an error this endpoint reports with AWS's code:
/// every refusal of a value (AWS's `ValidationError`, `AlreadyExists`, `ResourceInUse`,
/// `LimitExceeded`) is `InvalidParameterValue`, a signature that does not match
/// `IncompleteSignature`, an unknown action or path `404 Not Found`; the rest keep theirs.
pub fn phantom_code(e: &ApiError) -> (u16, &'static str) {
    match e.code {
        "ValidationError"
        | "AlreadyExists"
        | "ResourceInUse"
        | "LimitExceeded"
        | "InvalidParameterCombination" => (400, "InvalidParameterValue"),
        "SignatureDoesNotMatch" => (400, "IncompleteSignature"),
        "InvalidAction" | "NotFound" => (404, "Not Found"),
        code => (e.status, code),
    }
}

/// The standing explanation Phantom's error pages gave for a code.
fn explanation(code: &str) -> &'static str {
    match code {
        "IncompleteSignature" => "The request signature does not conform to AWS standards.",
        "InvalidClientTokenId" => {
            "The X.509 certificate or AWS Access Key ID provided does not exist in our records."
        }
        "RequestExpired" => {
            "Request is past expires date or the request date (either with 15 minute padding), \
             or the request date occurs more than 15 minutes in the future."
        }
        "MissingParameter" => {
            "An input parameter that is mandatory for processing the request is not supplied."
        }
        "InvalidParameterValue" => {
            "A bad or out-of-range value was supplied for the input parameter."
        }
        "Not Found" => "The resource could not be found.",
        "InternalFailure" => {
            "The request processing has failed due to some unknown error, exception or failure."
        }
        "MissingAuthenticationToken" => "The request must contain a valid AWS signature.",
        _ => "The request could not be processed.",
    }
}

/// Whether the request asks for HTML error pages: an `Accept` naming `html`, or `*/*`.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("html")
                || v.split(',')
                    .any(|p| p.split(';').next().map(str::trim) == Some("*/*"))
        })
}

/// The body of an error reply: text, or HTML when asked (see the module comment).
pub fn error_body(status: u16, code: &str, detail: &str, html: bool) -> String {
    let why = explanation(code);
    if html {
        let mut d = String::new();
        escape_into(detail, &mut d);
        format!(
            "<html>\n <head>\n  <title>{status} {code}</title>\n </head>\n <body>\n  \
             <h1>{status} {code}</h1>\n  {why}<br /><br />\n{d}\n\n\n </body>\n</html>"
        )
    } else {
        format!("{status} {code}\n\n{why}\n\n {detail}  ")
    }
}

/// A success reply: 200, `text/html`, the request id in `x-amzn-RequestId`.
pub fn ok(body: String, request_id: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", v);
    }
    response
}

/// An error reply in Phantom's form for `e`, the code in the status line.
pub fn error(e: &ApiError, request: &HeaderMap) -> Response<Body> {
    let (status, code) = phantom_code(e);
    let html = wants_html(request);
    let mut response = Response::new(Body::from(error_body(status, code, &e.message, html)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let content_type = if html {
        "text/html; charset=UTF-8"
    } else {
        "text/plain; charset=UTF-8"
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(code.as_bytes()) {
        response.extensions_mut().insert(reason);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_text_or_html() {
        assert_eq!(
            error_body(400, "MissingParameter", "parameter ImageId missing", false),
            "400 MissingParameter\n\nAn input parameter that is mandatory for processing the \
             request is not supplied.\n\n parameter ImageId missing  "
        );
        let html = error_body(400, "IncompleteSignature", "", true);
        assert!(html.starts_with("<html>\n <head>\n  <title>400 IncompleteSignature</title>"));
        assert!(html.ends_with("<br /><br />\n\n\n\n </body>\n</html>"));
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        assert!(wants_html(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!wants_html(&h));
    }

    #[test]
    fn codes_map_to_phantoms() {
        let e = ApiError::validation("x");
        assert_eq!(phantom_code(&e), (400, "InvalidParameterValue"));
        assert_eq!(phantom_code(&ApiError::invalid_action("X")).0, 404);
    }
}
