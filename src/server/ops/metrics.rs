//! EnableMetricsCollection, DisableMetricsCollection, DescribeMetricCollectionTypes: which group
//! metrics a group collects.
//!
//! A group's `EnabledMetrics` live in its row's JSON (a state file keeps them) and Describe shows
//! them. The names are the twenty AWS documents (group and warm pool metrics); the only
//! granularity is `1Minute` (AWS: "The only valid value is 1Minute"). Enabling with no metric
//! names enables all of them, disabling with none disables all (as AWS documents); enabling one
//! already enabled keeps it once. No CloudWatch exists here, so no data points are published. An
//! unknown name or granularity is a `ValidationError` (texts ours: AWS's reference gives none).

use rusqlite::Transaction;

use crate::autoscaling::NoOutput;
use crate::autoscaling::types::{
    DescribeMetricCollectionTypesInput, DescribeMetricCollectionTypesOutput,
    DisableMetricsCollectionInput, EnableMetricsCollectionInput, EnabledMetric,
    MetricCollectionType, MetricGranularityType,
};
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::{Ctx, Handle};
use crate::server::rows::groups;

/// The group metrics AWS defines, in its documentation's order.
const METRICS: &[&str] = &[
    "GroupMinSize",
    "GroupMaxSize",
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupStandbyInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
    "GroupInServiceCapacity",
    "GroupPendingCapacity",
    "GroupStandbyCapacity",
    "GroupTerminatingCapacity",
    "GroupTotalCapacity",
    "WarmPoolDesiredCapacity",
    "WarmPoolWarmedCapacity",
    "WarmPoolPendingCapacity",
    "WarmPoolTerminatingCapacity",
    "WarmPoolTotalCapacity",
    "GroupAndWarmPoolDesiredCapacity",
    "GroupAndWarmPoolTotalCapacity",
];

/// The one granularity.
const GRANULARITY: &str = "1Minute";

/// The metrics a request names: all when it names none; an unknown name is refused.
fn named(given: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let given = given.unwrap_or_default();
    if given.is_empty() {
        return Ok(METRICS.iter().map(|m| m.to_string()).collect());
    }
    let unknown: Vec<&str> = given
        .iter()
        .map(String::as_str)
        .filter(|m| !METRICS.contains(m))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::validation(format!(
            "Invalid metrics specified: {}. Valid metrics are {}.",
            shorten(&unknown.join(", ")),
            METRICS.join(", ")
        )));
    }
    Ok(given)
}

/// `EnableMetricsCollection`.
impl Handle for EnableMetricsCollectionInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let mut group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        if self.granularity != GRANULARITY {
            return Err(ApiError::validation(format!(
                "Invalid granularity {}: the only valid value is {GRANULARITY}.",
                shorten(&self.granularity)
            )));
        }
        let names = named(self.metrics)?;
        let list = group.doc.enabled_metrics.get_or_insert_with(Vec::new);
        for name in names {
            if !list.iter().any(|m| m.metric.as_deref() == Some(&name)) {
                list.push(EnabledMetric {
                    metric: Some(name),
                    granularity: Some(GRANULARITY.to_string()),
                });
            }
        }
        groups::save(tx, ctx.owner, &group)?;
        Ok(NoOutput {})
    }
}

/// `DisableMetricsCollection`.
impl Handle for DisableMetricsCollectionInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let mut group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let names = named(self.metrics)?;
        if let Some(list) = group.doc.enabled_metrics.as_mut() {
            list.retain(|m| !m.metric.as_ref().is_some_and(|n| names.contains(n)));
        }
        groups::save(tx, ctx.owner, &group)?;
        Ok(NoOutput {})
    }
}

/// `DescribeMetricCollectionTypes`.
impl Handle for DescribeMetricCollectionTypesInput {
    fn handle(
        self,
        _ctx: &Ctx<'_>,
        _tx: &Transaction<'_>,
    ) -> Result<DescribeMetricCollectionTypesOutput, ApiError> {
        Ok(DescribeMetricCollectionTypesOutput {
            metrics: Some(
                METRICS
                    .iter()
                    .map(|m| MetricCollectionType {
                        metric: Some(m.to_string()),
                    })
                    .collect(),
            ),
            granularities: Some(vec![MetricGranularityType {
                granularity: Some(GRANULARITY.to_string()),
            }]),
        })
    }
}
