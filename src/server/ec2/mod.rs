//! EC2's launch-template slice on the built-in endpoint (issue 12): the 16 operations of
//! `crate::ec2`, answered on the same port as Auto Scaling, with the same keys and the same store.
//!
//! Why a module of its own: EC2 is a second protocol (botocore's `ec2`: `Version=2016-11-15`,
//! lists as `Name.N`, replies `<XResponse xmlns=..><requestId>` without a Result element, lists
//! as `<item>`, errors as `<Response><Errors><Error>..</Errors><RequestID>`) over its own
//! generated shapes (`crate::ec2::types`), so it has its own handler trait ([`Handle`]) and
//! adapter ([`serve`]: parse -> handle in one transaction -> encode), its own envelope writers,
//! and its own dispatch table ([`handler`]). The front end (`crate::server::front`) picks this
//! table or Auto Scaling's by the request's SigV4 credential scope and `Version`. The form reader,
//! the tree reader and the XML writer are the shared ones; the reply's element names come from the
//! generated `reply_name` table. The rows (VPCs, subnets, templates, versions, the EC2 side of
//! instances) are in [`rows`], shared with the Auto Scaling groups that launch from them.
//!
//! Handlers: `network.rs` (zones, VPCs, subnets), `templates.rs` (launch templates and
//! versions), `instances.rs` (DescribeInstances, TerminateInstances).

mod instances;
mod network;
pub mod rows;
mod templates;

use std::any::TypeId;

use rusqlite::Transaction;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ec2::types::*;
use crate::ec2::{NoOutput, Operation};
use crate::query::tree::from_node;
use crate::query::xml::{Node, escape, escape_into, render_members_named};
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::{Ctx, Handler};
use crate::server::store::Store;

/// The API version EC2 requests carry.
pub const VERSION: &str = "2016-11-15";

/// The SigV4 service name of EC2's credential scope.
pub const SERVICE: &str = "ec2";

/// The namespace of EC2's replies.
pub const NAMESPACE: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

/// The handler of one EC2 operation: its input shape in, its output shape out, inside the
/// request's store transaction (an `Err` rolls it back).
pub trait Handle: Operation<Output: Serialize + 'static> + DeserializeOwned + 'static {
    /// Applies the request.
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError>;
}

/// The adapter, the same for every EC2 operation: refuse a dry run (AWS's `DryRunOperation`:
/// nothing here needs permissions), read the input shape, make the owner's default VPC on first
/// use, handle in one transaction, encode the output with its reply names.
pub fn serve<H: Handle>(
    store: &Store,
    ctx: &Ctx<'_>,
    tree: &Node<'_>,
) -> Result<Option<String>, ApiError> {
    if matches!(tree.get("DryRun"), Some(Node::Text(t)) if t.trim().eq_ignore_ascii_case("true")) {
        return Err(ApiError::with_status(
            412,
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        ));
    }
    let input: H = parse(tree)?;
    let output = store.transaction(|tx| {
        rows::ensure_defaults(ctx, tx)?;
        input.handle(ctx, tx)
    })?;
    encode(&output)
}

/// Fills the input shape from the request tree; a required member missing is EC2's
/// `MissingParameter`, anything else unreadable `InvalidParameterValue`.
fn parse<T: DeserializeOwned>(tree: &Node<'_>) -> Result<T, ApiError> {
    from_node::<T>(tree).map_err(|e| {
        let text = e.0;
        match text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(member) => rows::ec2_error(
                "MissingParameter",
                format!("The request must contain the parameter {member}"),
            ),
            None => rows::ec2_error(
                "InvalidParameterValue",
                format!("Invalid parameter value: {}", shorten(&text)),
            ),
        }
    })
}

/// The reply's members with EC2's element names; an operation without output answers
/// `<return>true</return>`, as EC2 does.
fn encode<T: Serialize + 'static>(output: &T) -> Result<Option<String>, ApiError> {
    if TypeId::of::<T>() == TypeId::of::<NoOutput>() {
        return Ok(Some("<return>true</return>".to_string()));
    }
    render_members_named(output, reply_name)
        .map(Some)
        .map_err(|e| ApiError::internal(format!("writing the reply: {e}")))
}

/// The dispatch table from the list of served input types.
macro_rules! served {
    ($($input:ident),* $(,)?) => {
        /// The EC2 actions the endpoint serves.
        pub const SERVED: &[&str] = &[$(<$input as Operation>::NAME),*];

        /// The adapter of an EC2 `action`, if served.
        pub fn handler(action: &str) -> Option<Handler> {
            match action {
                $(<$input as Operation>::NAME => Some(serve::<$input> as Handler),)*
                _ => None,
            }
        }
    };
}

served![
    CreateLaunchTemplateInput,
    CreateLaunchTemplateVersionInput,
    DescribeLaunchTemplatesInput,
    DescribeLaunchTemplateVersionsInput,
    ModifyLaunchTemplateInput,
    DeleteLaunchTemplateInput,
    DeleteLaunchTemplateVersionsInput,
    DescribeInstancesInput,
    TerminateInstancesInput,
    DescribeAvailabilityZonesInput,
    DescribeVpcsInput,
    DescribeSubnetsInput,
    CreateVpcInput,
    CreateSubnetInput,
    DeleteSubnetInput,
    DeleteVpcInput,
];

/// EC2's refusal of an action it does not have (the slice serves only [`SERVED`]).
pub fn invalid_action(action: &str) -> ApiError {
    rows::ec2_error(
        "InvalidAction",
        format!(
            "The action {} is not valid for this web service.",
            shorten(action)
        ),
    )
}

/// A success reply in EC2's form: `<ActionResponse xmlns=..><requestId>` and the members.
pub fn write_reply(action: &str, members: Option<&str>, request_id: &str) -> String {
    let mut out = String::with_capacity(members.map_or(0, str::len) + 2 * action.len() + 160);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
    out.push_str(action);
    out.push_str("Response xmlns=\"");
    out.push_str(NAMESPACE);
    out.push_str("\"><requestId>");
    escape_into(request_id, &mut out);
    out.push_str("</requestId>");
    out.push_str(members.unwrap_or(""));
    out.push_str("</");
    out.push_str(action);
    out.push_str("Response>\n");
    out
}

/// An error reply in EC2's form.
pub fn write_error(code: &str, message: &str, request_id: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{}</Code>\
         <Message>{}</Message></Error></Errors><RequestID>{}</RequestID></Response>\n",
        escape(code),
        escape(message),
        escape(request_id)
    )
}

/// Whether an EC2 `Filter`'s values match `value`: `*` any run of characters, `?` any one, as
/// EC2's filters read them.
pub fn glob(pattern: &str, value: &str) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    let (mut pi, mut vi, mut star, mut mark) = (0, 0, None, 0);
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = vi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Applies EC2 filters to one resource: `values(name)` gives the resource's values for a filter
/// name (`None`: a name this resource has no filter of, refused as AWS refuses it); every filter
/// must match one of its values (filters AND, values OR).
pub fn passes(
    filters: &[Filter],
    values: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Result<bool, ApiError> {
    for f in filters {
        let name = f.name.as_deref().unwrap_or("");
        let have = values(name).ok_or_else(|| {
            rows::ec2_error(
                "InvalidParameterValue",
                format!("The filter '{}' is invalid", shorten(name)),
            )
        })?;
        let wanted = f.values.as_deref().unwrap_or_default();
        if !wanted.iter().any(|w| have.iter().any(|h| glob(w, h))) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The values of the tag filters (`tag:KEY`, `tag-key`, `tag-value`) over a resource's tags.
pub fn tag_values(name: &str, tags: &[Tag]) -> Option<Vec<String>> {
    let all = |f: fn(&Tag) -> Option<&String>| tags.iter().filter_map(f).cloned().collect();
    match name {
        "tag-key" => Some(all(|t| t.key.as_ref())),
        "tag-value" => Some(all(|t| t.value.as_ref())),
        _ => name.strip_prefix("tag:").map(|key| {
            tags.iter()
                .filter(|t| t.key.as_deref() == Some(key))
                .filter_map(|t| t.value.clone())
                .collect()
        }),
    }
}

/// One page of `items` after `token` (an offset this endpoint wrote), `max` at most (EC2's
/// bounds, 5..=1000, when given): the page and the next token.
pub fn page<T>(
    items: Vec<T>,
    max: Option<i32>,
    token: Option<&str>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match token.filter(|t| !t.is_empty()) {
        Some(t) => t.parse::<usize>().map_err(|_| {
            rows::ec2_error(
                "InvalidNextToken",
                format!("The token '{}' is invalid.", shorten(t)),
            )
        })?,
        None => 0,
    };
    let Some(max) = max else {
        return Ok((items.into_iter().skip(start).collect(), None));
    };
    if !(5..=1000).contains(&max) {
        return Err(rows::ec2_error(
            "InvalidParameterValue",
            format!(
                "Value ( {max} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000."
            ),
        ));
    }
    let max = max as usize;
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(max).collect();
    let next = (start + max < total).then(|| (start + max).to_string());
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_ec2_filters_do() {
        assert!(glob("web-*", "web-1"));
        assert!(glob("?b", "ab"));
        assert!(!glob("?b", "abb"));
        assert!(glob("*", ""));
        assert!(!glob("a", "b"));
        assert!(glob("a*c*e", "abcde"));
    }

    #[test]
    fn cidrs_parse_and_relate() {
        let vpc = rows::Cidr::parse("10.0.0.0/16").unwrap();
        let a = rows::Cidr::parse("10.0.1.0/24").unwrap();
        let b = rows::Cidr::parse("10.0.1.128/25").unwrap();
        assert!(vpc.contains(a) && a.overlaps(b) && !b.contains(a));
        assert!(rows::Cidr::parse("10.0.0.1/16").is_none());
        assert!(rows::Cidr::parse("10.0.0.0/33").is_none());
        assert!(rows::Cidr::parse("10.0.0.0/016").is_none());
        assert!(rows::Cidr::parse("bad").is_none());
        assert_eq!(a.address(4), "10.0.1.4");
        assert_eq!(
            rows::zone_id("us-east-1", &["us-east-1a".into()], "us-east-1a"),
            "use1-az1"
        );
        let zones = ["ap-northeast-1a".to_string(), "ap-northeast-1c".to_string()];
        assert_eq!(
            rows::zone_id("ap-northeast-1", &zones, "ap-northeast-1c"),
            "apne1-az2"
        );
    }
}
