//! The Elastic Load Balancing slices on the built-in endpoint (issue 15): ELBv2's 13 operations
//! and classic ELB's 7 (those of `crate::elb`), on the same port as Auto Scaling and EC2, with
//! the same keys and the same store, tied to the groups that name their target groups and load
//! balancers.
//!
//! Why a module of its own: two more APIs with their own shapes (`crate::elb::v2::types`,
//! `crate::elb::classic::types`), their own operation trait and their own namespaces, though
//! their protocol is Auto Scaling's (form in, `<OpResponse><OpResult>` and `<ErrorResponse>`
//! out). So this module has its own handler trait ([`Handle`]), adapter ([`serve`]: parse ->
//! handle in one transaction -> encode, the parse and encode steps being Auto Scaling's), reply
//! and error writers with the slice's namespace, and one dispatch table per slice ([`handler`]).
//! The front end (`crate::server::front`) sends a request here when its SigV4 credential scope
//! names `elasticloadbalancing` or its `Version` is one of the two.
//!
//! Files: `rows.rs` (the tables, ARNs, name rules, the lookups `rows::attachments::check_exists`
//! and the groups use, target health), `v2.rs` and `classic.rs` (the handlers).

mod classic;
pub mod rows;
mod v2;

use rusqlite::Transaction;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::elb::{Operation, Slice};
use crate::query::xml::{Node, escape, escape_into};
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::{self, Ctx, Handler};
use crate::server::store::Store;

/// The SigV4 service name of both slices' credential scopes.
pub const SERVICE: &str = crate::elb::SERVICE;

/// Classic ELB's `Version`.
pub const CLASSIC_VERSION: &str = <crate::elb::Classic as Slice>::VERSION;

/// ELBv2's `Version`.
pub const V2_VERSION: &str = <crate::elb::V2 as Slice>::VERSION;

/// Which of the two slices a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// Classic ELB (2012-06-01).
    Classic,
    /// ELBv2 (2015-12-01).
    V2,
}

impl Which {
    /// The slice a `Version` names, if it names one.
    pub fn of_version(version: Option<&str>) -> Option<Which> {
        match version? {
            CLASSIC_VERSION => Some(Which::Classic),
            V2_VERSION => Some(Which::V2),
            _ => None,
        }
    }

    fn namespace(self) -> &'static str {
        match self {
            Which::Classic => "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/",
            Which::V2 => "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
        }
    }
}

/// The handler of one ELB operation: its input shape in, its output shape out, inside the
/// request's store transaction (an `Err` rolls it back).
pub trait Handle: Operation<Output: Serialize + 'static> + DeserializeOwned + 'static {
    /// Applies the request.
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError>;
}

/// The adapter, the same for every ELB operation: read the input shape (a required member
/// missing is `ValidationError`, as ELB words it), handle in one transaction (the owner's
/// default VPC made first: load balancers live in subnets), encode the output.
pub fn serve<H: Handle>(
    store: &Store,
    ctx: &Ctx<'_>,
    tree: &Node<'_>,
) -> Result<Option<String>, ApiError> {
    let input: H = ops::parse(tree)?;
    let output = store.transaction(|tx| {
        crate::server::ec2::rows::ensure_defaults(ctx, tx)?;
        input.handle(ctx, tx)
    })?;
    ops::encode(&output)
}

macro_rules! served {
    ($name:ident, $what:literal, $($input:path),* $(,)?) => {
        #[doc = concat!("The adapter of a ", $what, " `action`, if served.")]
        fn $name(action: &str) -> Option<Handler> {
            $(if action == <$input as Operation>::NAME {
                return Some(serve::<$input> as Handler);
            })*
            None
        }
    };
}

served![
    classic_handler,
    "classic ELB",
    crate::elb::classic::types::CreateLoadBalancerInput,
    crate::elb::classic::types::DescribeLoadBalancersInput,
    crate::elb::classic::types::DeleteLoadBalancerInput,
    crate::elb::classic::types::RegisterInstancesWithLoadBalancerInput,
    crate::elb::classic::types::DeregisterInstancesFromLoadBalancerInput,
    crate::elb::classic::types::DescribeInstanceHealthInput,
    crate::elb::classic::types::ConfigureHealthCheckInput,
];

served![
    v2_handler,
    "ELBv2",
    crate::elb::v2::types::CreateLoadBalancerInput,
    crate::elb::v2::types::DescribeLoadBalancersInput,
    crate::elb::v2::types::DeleteLoadBalancerInput,
    crate::elb::v2::types::CreateTargetGroupInput,
    crate::elb::v2::types::DescribeTargetGroupsInput,
    crate::elb::v2::types::ModifyTargetGroupInput,
    crate::elb::v2::types::DeleteTargetGroupInput,
    crate::elb::v2::types::CreateListenerInput,
    crate::elb::v2::types::DescribeListenersInput,
    crate::elb::v2::types::DeleteListenerInput,
    crate::elb::v2::types::RegisterTargetsInput,
    crate::elb::v2::types::DeregisterTargetsInput,
    crate::elb::v2::types::DescribeTargetHealthInput,
];

/// The adapter of `action` in slice `which`, or ELB's refusal of an action it does not serve.
pub fn handler(which: Which, action: &str) -> Result<Handler, ApiError> {
    let found = match which {
        Which::Classic => classic_handler(action),
        Which::V2 => v2_handler(action),
    };
    found.ok_or_else(|| {
        ApiError::with_status(
            400,
            "InvalidAction",
            format!(
                "The action {} is not valid for this web service.",
                shorten(action)
            ),
        )
    })
}

/// A success reply in the slice's form: `<ActionResponse xmlns=..><ActionResult>` with the
/// members, then `<ResponseMetadata><RequestId>`.
pub fn write_reply(which: Which, action: &str, members: Option<&str>, request_id: &str) -> String {
    let mut out = String::with_capacity(members.map_or(0, str::len) + 3 * action.len() + 256);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
    out.push_str(action);
    out.push_str("Response xmlns=\"");
    out.push_str(which.namespace());
    out.push_str("\"><");
    out.push_str(action);
    out.push_str("Result>");
    out.push_str(members.unwrap_or(""));
    out.push_str("</");
    out.push_str(action);
    out.push_str("Result><ResponseMetadata><RequestId>");
    escape_into(request_id, &mut out);
    out.push_str("</RequestId></ResponseMetadata></");
    out.push_str(action);
    out.push_str("Response>\n");
    out
}

/// An error reply in the slice's form (`<ErrorResponse>` in its namespace, as ELB writes it).
pub fn write_error(which: Which, e: &ApiError, request_id: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{}\"><Error><Type>{}</Type>\
         <Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>\n",
        which.namespace(),
        escape(e.kind()),
        escape(e.code),
        escape(&e.message),
        escape(request_id)
    )
}

/// One page of `items` after `marker` (an offset this endpoint wrote), `page_size` at most
/// (`1..=max`, ELB's bounds): the page and the next marker.
pub fn page<T>(
    items: Vec<T>,
    page_size: Option<i32>,
    max: i32,
    marker: Option<&str>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match marker.filter(|t| !t.is_empty()) {
        Some(t) => t.parse::<usize>().map_err(|_| {
            ApiError::validation(format!("The marker '{}' is not valid.", shorten(t)))
        })?,
        None => 0,
    };
    let size = page_size.unwrap_or(max);
    if !(1..=max).contains(&size) {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{size}' at 'pageSize' failed to satisfy \
             constraint: Member must have value between 1 and {max}"
        )));
    }
    let size = size as usize;
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(size).collect();
    let next = (start + size < total).then(|| (start + size).to_string());
    Ok((page, next))
}
