//! The operations: one typed handler per served Query action, and the one generic adapter that
//! runs any of them.
//!
//! A handler is an impl of [`Handle`] for the operation's own input shape (generated in
//! `crate::autoscaling::types`, tied to its action name and output shape by the generated
//! [`Operation`] impl): `fn handle(self, ctx, tx) -> Result<Self::Output, ApiError>`, typed values
//! in and out, no request tree, no XML. The adapter [`serve`] does the same four steps for every
//! operation: check the request tree against the model's input constraints ([`validate`]), read
//! it into the input shape ([`parse`]), run the handler inside one store transaction, write the
//! output shape as the reply's Result members ([`encode`]). [`handler`] is the dispatch table from
//! action name to adapter, built from the list of served input types by one macro, so serving
//! another operation is one `impl Handle` and one word in that list (wsdl-notes/server.md).
//!
//! Phantom's REST API (`crate::server::rest_api`) calls the same handlers with typed values through
//! [`call`], which checks the typed input against the same constraints first.
//!
//! Handlers are grouped by the resource they act on (launch configurations, groups, instances,
//! tags, activities, scaling policies, scaling processes, scheduled actions, lifecycle hooks,
//! notifications, metrics collection, the account, LaunchInstances, forecasts, load balancers,
//! instance refreshes, warm pools); they share the row model of [`crate::server::rows`] and never
//! import each
//! other.

mod account;
mod activities;
mod forecast;
mod groups;
mod hooks;
mod instances;
mod launch;
mod launch_configurations;
mod load_balancers;
mod metrics;
mod notifications;
mod policies;
mod processes;
mod refreshes;
mod scheduled_actions;
mod tags;
pub mod validate;
mod warm_pools;

use std::any::TypeId;

use rusqlite::Transaction;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::autoscaling::NoOutput;
use crate::autoscaling::Operation;
use crate::autoscaling::types::*;
use crate::query::tree::from_node;
use crate::query::xml::{Node, render_members};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::Timing;
use crate::server::store::Store;

/// Settings every handler may consult.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Phantom site names, in order; the first is the default zone.
    pub sites: Vec<String>,
    /// Launch and terminate delays.
    pub timing: Timing,
    /// The region ARNs name (`phantom serve --region`).
    pub region: String,
    /// The 12-digit account id ARNs name (`phantom serve --account-id`).
    pub account_id: String,
    /// Wakes the timer engine after a deadline changed (`crate::server::timers`).
    pub timers: crate::server::timers::Wake,
    /// The per-key quotas on groups and launch configurations (DescribeAccountLimits).
    pub quotas: crate::server::rows::account::Quotas,
    /// The EC2 Availability Zones of the region, in order (`phantom serve --zones`).
    pub zones: Vec<String>,
    /// CreateLaunchConfiguration is refused as on a new AWS account
    /// (`phantom serve --no-launch-configurations`).
    pub no_launch_configurations: bool,
    /// The dialect the Query API speaks (`crate::server::phantom` for Phantom's).
    pub dialect: crate::config::Dialect,
}

impl Settings {
    /// Whether the endpoint speaks Phantom's dialect.
    pub fn phantom(&self) -> bool {
        self.dialect == crate::config::Dialect::Phantom
    }
}

/// Who is asking and when: the context of one request.
pub struct Ctx<'a> {
    /// The access key id that owns what the request touches.
    pub owner: &'a str,
    /// The request's time, epoch milliseconds (one clock reading per request).
    pub now: i64,
    /// The endpoint's settings.
    pub settings: &'a Settings,
}

/// The handler of one operation: its input shape, already checked against the model's input
/// constraints, applied inside the request's store transaction, answered with its output shape
/// ([`NoOutput`] for an operation without output: the reply then has no Result element).
pub trait Handle: Operation<Output: Serialize + 'static> + DeserializeOwned + 'static {
    /// Applies the request; an `Err` rolls the transaction back, so a refused call changes
    /// nothing.
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<Self::Output, ApiError>;
}

/// An operation as the Query front end runs it: the request tree in, the reply's Result members
/// as XML (or none) out.
pub type Handler = fn(&Store, &Ctx<'_>, &Node<'_>) -> Result<Option<String>, ApiError>;

/// The adapter, the same for every operation: check the tree against the model, read the input
/// shape, handle it in one transaction, encode the output. Checking, reading and encoding run
/// outside the transaction, so the store is held only while the handler runs.
pub fn serve<H: Handle>(
    store: &Store,
    ctx: &Ctx<'_>,
    tree: &Node<'_>,
) -> Result<Option<String>, ApiError> {
    validate::request(H::NAME, tree)?;
    let input: H = parse(tree)?;
    let output = store.transaction(|tx| input.handle(ctx, tx))?;
    if ctx.settings.phantom() {
        return crate::server::phantom::wire::encode(H::NAME, &output);
    }
    encode(&output)
}

/// Runs a handler with a typed input inside a transaction the caller holds (the REST API): the
/// input is checked against the model's constraints first, as a Query request is.
pub fn call<H: Handle>(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    input: H,
) -> Result<H::Output, ApiError> {
    validate::typed(&input)?;
    input.handle(ctx, tx)
}

/// The dispatch table, from the list of served input types: [`SERVED`] (the action names) and
/// [`handler`] (the adapter of each).
macro_rules! served {
    ($($input:ident),* $(,)?) => {
        /// The actions the endpoint serves, in the dispatch table's order.
        pub const SERVED: &[&str] = &[$(<$input as Operation>::NAME),*];

        /// The adapter of `action`, if the endpoint serves it.
        pub fn handler(action: &str) -> Option<Handler> {
            match action {
                $(<$input as Operation>::NAME => Some(serve::<$input> as Handler),)*
                _ => None,
            }
        }
    };
}

served![
    CreateLaunchConfigurationInput,
    DeleteLaunchConfigurationInput,
    DescribeLaunchConfigurationsInput,
    CreateAutoScalingGroupInput,
    UpdateAutoScalingGroupInput,
    DeleteAutoScalingGroupInput,
    DescribeAutoScalingGroupsInput,
    SetDesiredCapacityInput,
    DescribeAutoScalingInstancesInput,
    TerminateInstanceInAutoScalingGroupInput,
    CreateOrUpdateTagsInput,
    DeleteTagsInput,
    DescribeTagsInput,
    DescribeScalingActivitiesInput,
    PutScalingPolicyInput,
    DescribePoliciesInput,
    DeletePolicyInput,
    ExecutePolicyInput,
    DescribeAdjustmentTypesInput,
    SuspendProcessesInput,
    ResumeProcessesInput,
    DescribeScalingProcessTypesInput,
    SetInstanceHealthInput,
    SetInstanceProtectionInput,
    EnterStandbyInput,
    ExitStandbyInput,
    DetachInstancesInput,
    AttachInstancesInput,
    DescribeTerminationPolicyTypesInput,
    PutScheduledUpdateGroupActionInput,
    BatchPutScheduledUpdateGroupActionInput,
    DescribeScheduledActionsInput,
    DeleteScheduledActionInput,
    BatchDeleteScheduledActionInput,
    PutNotificationConfigurationInput,
    DescribeNotificationConfigurationsInput,
    DeleteNotificationConfigurationInput,
    DescribeAutoScalingNotificationTypesInput,
    EnableMetricsCollectionInput,
    DisableMetricsCollectionInput,
    DescribeMetricCollectionTypesInput,
    DescribeAccountLimitsInput,
    DescribeAccountSettingsInput,
    PutAccountSettingInput,
    LaunchInstancesInput,
    GetPredictiveScalingForecastInput,
    PutLifecycleHookInput,
    DescribeLifecycleHooksInput,
    DeleteLifecycleHookInput,
    DescribeLifecycleHookTypesInput,
    CompleteLifecycleActionInput,
    RecordLifecycleActionHeartbeatInput,
    AttachLoadBalancersInput,
    DetachLoadBalancersInput,
    DescribeLoadBalancersInput,
    AttachLoadBalancerTargetGroupsInput,
    DetachLoadBalancerTargetGroupsInput,
    DescribeLoadBalancerTargetGroupsInput,
    AttachTrafficSourcesInput,
    DetachTrafficSourcesInput,
    DescribeTrafficSourcesInput,
    StartInstanceRefreshInput,
    DescribeInstanceRefreshesInput,
    CancelInstanceRefreshInput,
    RollbackInstanceRefreshInput,
    PutWarmPoolInput,
    DescribeWarmPoolInput,
    DeleteWarmPoolInput,
];

/// Fills the input shape from the request tree (already checked against the model by
/// [`validate::request`], so what remains is a misfit the table does not describe, such as an
/// unreadable timestamp: `ValidationError`).
pub fn parse<T: DeserializeOwned>(tree: &Node<'_>) -> Result<T, ApiError> {
    from_node::<T>(tree).map_err(|e| {
        let text = e.0;
        match text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(member) => ApiError::validation(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: \
                 Member must not be null",
                validate::lower_first(member)
            )),
            None => ApiError::validation(format!("Invalid parameter value: {}", shorten(&text))),
        }
    })
}

/// The Result members of an output shape, written as XML; `None` for [`NoOutput`] (an operation
/// without output answers without a Result element).
pub fn encode<T: Serialize + 'static>(output: &T) -> Result<Option<String>, ApiError> {
    if TypeId::of::<T>() == TypeId::of::<NoOutput>() {
        return Ok(None);
    }
    // Straight from the shape to XML (every shape of the API has a Query XML form).
    render_members(output)
        .map(Some)
        .map_err(|e| ApiError::internal(format!("writing the reply: {e}")))
}

/// The ARN of a resource of this endpoint, in the served region and account:
/// `arn:aws:autoscaling:REGION:ACCOUNT:KIND:UUID:NAME_KIND/NAME`, the uuid a random uuid4 from the
/// operating system (the REST API's ids are drawn from it, `crate::server::rest_api::ids`).
pub fn arn(settings: &Settings, kind: &str, name_kind: &str, name: &str) -> String {
    format!(
        "arn:aws:autoscaling:{}:{}:{kind}:{}:{name_kind}/{name}",
        settings.region,
        settings.account_id,
        crate::server::rest_api::ids::uuid4()
    )
}
