//! PutScalingPolicy, DescribePolicies, DeletePolicy, ExecutePolicy, DescribeAdjustmentTypes:
//! scaling policies, stored with AWS's rules and executed as AWS executes them.
//!
//! What is checked at Put (AWS API reference, PutScalingPolicy): the policy type (SimpleScaling by
//! default, StepScaling, TargetTrackingScaling, PredictiveScaling) decides which members are
//! required and which are not supported; adjustment types are ChangeInCapacity, ExactCapacity and
//! PercentChangeInCapacity (MinAdjustmentMagnitude only with the last); ExactCapacity never goes
//! below 0; step adjustments (at most 20) must not overlap or leave gaps, and an open end is needed
//! past any bound on that side of the threshold. Target tracking and predictive policies are stored
//! (no metrics exist here to act on them); a target tracking policy reports the two alarms AWS
//! would create for it.
//!
//! Execute: simple scaling waits for the group's cooldown (the policy's `Cooldown`, else the
//! group's `DefaultCooldown`, counted from the end of the group's last scaling activity) unless
//! `HonorCooldown=false`; step scaling picks the step whose interval holds `MetricValue -
//! BreachThreshold` (lower bound inclusive and upper exclusive above the threshold, the reverse
//! below, as AWS documents); target tracking and predictive policies cannot be executed. The new
//! capacity stays within [MinSize, MaxSize], and the change is applied like any other capacity
//! change: instances launched or terminated, one activity each, caused by the executed policy.

use rusqlite::Transaction;

use crate::autoscaling::NoOutput;
use crate::autoscaling::types::{
    AdjustmentType, Alarm, DeletePolicyInput, DescribeAdjustmentTypesInput,
    DescribeAdjustmentTypesOutput, DescribePoliciesInput, DescribePoliciesOutput,
    ExecutePolicyInput, PutScalingPolicyInput, PutScalingPolicyOutput, ScalingPolicy,
    StepAdjustment,
};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::new_uuid;
use crate::server::ops::{Ctx, Handle, arn};
use crate::server::paginate::{PageRequest, check_names};
use crate::server::rows::groups::{self, check_limit};
use crate::server::rows::policies::{self, not_found};
use crate::server::store::Cached;

const SIMPLE: &str = "SimpleScaling";
const STEP: &str = "StepScaling";
const TARGET_TRACKING: &str = "TargetTrackingScaling";
const PREDICTIVE: &str = "PredictiveScaling";

/// The policy types, as DescribePolicies' `PolicyTypes` names them.
const POLICY_TYPES: &[&str] = &[SIMPLE, STEP, TARGET_TRACKING, PREDICTIVE];

/// The adjustment types (DescribeAdjustmentTypes).
const ADJUSTMENT_TYPES: &[&str] = &[
    "ChangeInCapacity",
    "ExactCapacity",
    "PercentChangeInCapacity",
];

/// The metric aggregation types of a step scaling policy.
const AGGREGATIONS: &[&str] = &["Minimum", "Maximum", "Average"];

/// The most step adjustments one policy may have (AWS's quota).
const MAX_STEPS: usize = 20;

/// The group cooldown AWS applies when the group has none stored.
const DEFAULT_COOLDOWN: i32 = 300;

fn not_supported(member: &str, policy_type: &str) -> ApiError {
    ApiError::validation(format!(
        "{member} is not supported for policy type {policy_type}."
    ))
}

fn required(member: &str, policy_type: &str) -> ApiError {
    ApiError::validation(format!(
        "{member} is required for policy type {policy_type}."
    ))
}

/// Refuses each member given that `policy_type` does not support.
fn refuse_given(policy_type: &str, given: &[(&str, bool)]) -> Result<(), ApiError> {
    match given.iter().find(|(_, present)| *present) {
        Some((member, _)) => Err(not_supported(member, policy_type)),
        None => Ok(()),
    }
}

/// AWS's refusal of a negative ExactCapacity.
fn exact_below_zero() -> ApiError {
    ApiError::validation("The lower range for adjustment is 0 with the specified adjustment type.")
}

/// The interval of a step, open ends as infinities.
fn bounds(step: &StepAdjustment) -> (f64, f64) {
    (
        step.metric_interval_lower_bound
            .unwrap_or(f64::NEG_INFINITY),
        step.metric_interval_upper_bound.unwrap_or(f64::INFINITY),
    )
}

/// Checks the step adjustments of a StepScaling policy.
fn check_steps(steps: &[StepAdjustment]) -> Result<(), ApiError> {
    if steps.len() > MAX_STEPS {
        return Err(ApiError::validation(format!(
            "There can be at most {MAX_STEPS} step adjustments per scaling policy."
        )));
    }
    for step in steps {
        if step.metric_interval_lower_bound.is_none() && step.metric_interval_upper_bound.is_none()
        {
            return Err(ApiError::validation(
                "Both lower and upper bounds of a step adjustment cannot be left unspecified.",
            ));
        }
        let (lower, upper) = bounds(step);
        if lower >= upper {
            return Err(ApiError::validation(format!(
                "The lower bound ({lower}) of a step adjustment must be less than its upper \
                 bound ({upper})."
            )));
        }
    }
    if steps
        .iter()
        .any(|s| s.metric_interval_upper_bound.is_some_and(|u| u > 0.0))
        && !steps
            .iter()
            .any(|s| s.metric_interval_upper_bound.is_none())
    {
        return Err(ApiError::validation(
            "There must be a StepAdjustment with an unspecified upper bound (i.e., upper bound \
             is null) when one StepAdjustment has a positive upper bound",
        ));
    }
    if steps
        .iter()
        .any(|s| s.metric_interval_lower_bound.is_some_and(|l| l < 0.0))
        && !steps
            .iter()
            .any(|s| s.metric_interval_lower_bound.is_none())
    {
        return Err(ApiError::validation(
            "There must be a StepAdjustment with an unspecified lower bound (i.e., lower bound \
             is null) when one StepAdjustment has a negative lower bound",
        ));
    }
    let mut sorted: Vec<(f64, f64)> = steps.iter().map(bounds).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    for pair in sorted.windows(2) {
        let (before, after) = (pair[0], pair[1]);
        if before.1 > after.0 {
            return Err(ApiError::validation(format!(
                "Step adjustments must not overlap: [{}, {}) and [{}, {}).",
                before.0, before.1, after.0, after.1
            )));
        }
        if before.1 < after.0 {
            return Err(ApiError::validation(format!(
                "Step adjustments must not leave a gap: nothing covers [{}, {}).",
                before.1, after.0
            )));
        }
    }
    Ok(())
}

/// Checks a PutScalingPolicy request against the rules of its policy type.
fn check(input: &PutScalingPolicyInput, policy_type: &str) -> Result<(), ApiError> {
    if !POLICY_TYPES.contains(&policy_type) {
        return Err(ApiError::validation(format!(
            "Policy type {} is not valid; valid types are {}.",
            shorten(policy_type),
            POLICY_TYPES.join(", ")
        )));
    }
    let steps = input.step_adjustments.as_deref().filter(|s| !s.is_empty());
    match policy_type {
        SIMPLE | STEP => {
            let adjustment = input
                .adjustment_type
                .as_deref()
                .ok_or_else(|| required("AdjustmentType", policy_type))?;
            if !ADJUSTMENT_TYPES.contains(&adjustment) {
                return Err(ApiError::validation(format!(
                    "Adjustment type {} is not valid; valid types are {}.",
                    shorten(adjustment),
                    ADJUSTMENT_TYPES.join(", ")
                )));
            }
            if input.min_adjustment_magnitude.is_some() && adjustment != "PercentChangeInCapacity" {
                return Err(ApiError::validation(
                    "MinAdjustmentMagnitude is supported only with the adjustment type \
                     PercentChangeInCapacity.",
                ));
            }
            if input.min_adjustment_magnitude.is_some_and(|m| m < 1) {
                return Err(ApiError::validation(
                    "MinAdjustmentMagnitude must be at least 1.",
                ));
            }
            refuse_given(
                policy_type,
                &[
                    (
                        "TargetTrackingConfiguration",
                        input.target_tracking_configuration.is_some(),
                    ),
                    (
                        "PredictiveScalingConfiguration",
                        input.predictive_scaling_configuration.is_some(),
                    ),
                ],
            )?;
            let exact = adjustment == "ExactCapacity";
            if policy_type == SIMPLE {
                refuse_given(
                    policy_type,
                    &[
                        ("StepAdjustments", steps.is_some()),
                        (
                            "MetricAggregationType",
                            input.metric_aggregation_type.is_some(),
                        ),
                        (
                            "EstimatedInstanceWarmup",
                            input.estimated_instance_warmup.is_some(),
                        ),
                    ],
                )?;
                let Some(adjust) = input.scaling_adjustment else {
                    // AWS's words.
                    return Err(ApiError::validation(
                        "Scaling increment must be specified for a SimpleScaling policy",
                    ));
                };
                if exact && adjust < 0 {
                    return Err(exact_below_zero());
                }
            } else {
                refuse_given(
                    policy_type,
                    &[
                        ("ScalingAdjustment", input.scaling_adjustment.is_some()),
                        ("Cooldown", input.cooldown.is_some()),
                    ],
                )?;
                let steps = steps.ok_or_else(|| required("StepAdjustments", policy_type))?;
                if let Some(aggregation) = input.metric_aggregation_type.as_deref()
                    && !AGGREGATIONS.contains(&aggregation)
                {
                    return Err(ApiError::validation(format!(
                        "Metric aggregation type {} is not valid; valid types are {}.",
                        shorten(aggregation),
                        AGGREGATIONS.join(", ")
                    )));
                }
                if exact && steps.iter().any(|s| s.scaling_adjustment.unwrap_or(0) < 0) {
                    return Err(exact_below_zero());
                }
                check_steps(steps)?;
            }
        }
        TARGET_TRACKING => {
            let config = input
                .target_tracking_configuration
                .as_ref()
                .ok_or_else(|| required("TargetTrackingConfiguration", policy_type))?;
            refuse_given(policy_type, &common_refusals(input, steps.is_some()))?;
            refuse_given(
                policy_type,
                &[(
                    "PredictiveScalingConfiguration",
                    input.predictive_scaling_configuration.is_some(),
                )],
            )?;
            match (
                &config.predefined_metric_specification,
                &config.customized_metric_specification,
            ) {
                (Some(_), Some(_)) | (None, None) => {
                    return Err(ApiError::validation(
                        "A target tracking configuration needs exactly one of \
                         PredefinedMetricSpecification and CustomizedMetricSpecification.",
                    ));
                }
                (Some(predefined), None) => {
                    let alb = predefined.predefined_metric_type.as_deref()
                        == Some("ALBRequestCountPerTarget");
                    if alb && predefined.resource_label.is_none() {
                        return Err(ApiError::validation(
                            "ResourceLabel is required for the predefined metric type \
                             ALBRequestCountPerTarget.",
                        ));
                    }
                }
                (None, Some(_)) => {}
            }
        }
        _ => {
            input
                .predictive_scaling_configuration
                .as_ref()
                .ok_or_else(|| required("PredictiveScalingConfiguration", policy_type))?;
            refuse_given(policy_type, &common_refusals(input, steps.is_some()))?;
            refuse_given(
                policy_type,
                &[
                    (
                        "TargetTrackingConfiguration",
                        input.target_tracking_configuration.is_some(),
                    ),
                    (
                        "EstimatedInstanceWarmup",
                        input.estimated_instance_warmup.is_some(),
                    ),
                ],
            )?;
        }
    }
    Ok(())
}

/// The members of simple and step scaling, which target tracking and predictive policies refuse.
fn common_refusals(input: &PutScalingPolicyInput, steps: bool) -> [(&'static str, bool); 6] {
    [
        ("AdjustmentType", input.adjustment_type.is_some()),
        ("ScalingAdjustment", input.scaling_adjustment.is_some()),
        ("StepAdjustments", steps),
        ("Cooldown", input.cooldown.is_some()),
        (
            "MinAdjustmentMagnitude",
            input.min_adjustment_magnitude.is_some(),
        ),
        (
            "MetricAggregationType",
            input.metric_aggregation_type.is_some(),
        ),
    ]
}

/// The two CloudWatch alarms AWS creates for a target tracking policy (named as AWS names them;
/// this endpoint has no CloudWatch, so they exist only in the policy's description).
fn target_tracking_alarms(ctx: &Ctx<'_>, group: &str) -> Vec<Alarm> {
    ["AlarmHigh", "AlarmLow"]
        .iter()
        .map(|which| {
            let name = format!("TargetTracking-{group}-{which}-{}", new_uuid());
            Alarm {
                alarm_arn: Some(format!(
                    "arn:aws:cloudwatch:{}:{}:alarm:{name}",
                    ctx.settings.region, ctx.settings.account_id
                )),
                alarm_name: Some(name),
            }
        })
        .collect()
}

/// `PutScalingPolicy`: creates a policy, or replaces the group's policy of that name (keeping
/// its ARN, and its alarms while it stays a target tracking policy).
impl Handle for PutScalingPolicyInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<PutScalingPolicyOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let policy_type = self.policy_type.as_deref().unwrap_or(SIMPLE).to_string();
        check(&self, &policy_type)?;
        let existing: Option<ScalingPolicy> = policies::list(tx, ctx.owner, Some(&group.name))?
            .into_iter()
            .find(|p| p.name == self.policy_name)
            .map(|p| p.doc);
        let policy_arn = existing
            .as_ref()
            .and_then(|p| p.policy_arn.clone())
            .unwrap_or_else(|| {
                arn(
                    ctx.settings,
                    "scalingPolicy",
                    "autoScalingGroupName",
                    &format!("{}:policyName/{}", group.name, self.policy_name),
                )
            });
        let alarms = if policy_type == TARGET_TRACKING {
            existing
                .filter(|p| p.policy_type.as_deref() == Some(TARGET_TRACKING))
                .and_then(|p| p.alarms)
                .unwrap_or_else(|| target_tracking_alarms(ctx, &group.name))
        } else {
            Vec::new()
        };
        let step = policy_type == STEP;
        let doc = ScalingPolicy {
            auto_scaling_group_name: Some(group.name.clone()),
            policy_name: Some(self.policy_name),
            policy_arn: Some(policy_arn.clone()),
            policy_type: Some(policy_type),
            adjustment_type: self.adjustment_type,
            min_adjustment_step: self.min_adjustment_step,
            min_adjustment_magnitude: self.min_adjustment_magnitude,
            scaling_adjustment: self.scaling_adjustment,
            cooldown: self.cooldown,
            step_adjustments: if step { self.step_adjustments } else { None },
            metric_aggregation_type: if step {
                Some(
                    self.metric_aggregation_type
                        .unwrap_or_else(|| "Average".to_string()),
                )
            } else {
                None
            },
            estimated_instance_warmup: self.estimated_instance_warmup,
            alarms: Some(alarms.clone()),
            target_tracking_configuration: self.target_tracking_configuration.map(|mut c| {
                c.disable_scale_in.get_or_insert(false);
                c
            }),
            enabled: Some(self.enabled.unwrap_or(true)),
            predictive_scaling_configuration: self.predictive_scaling_configuration.map(|mut c| {
                c.mode.get_or_insert_with(|| "ForecastOnly".to_string());
                c
            }),
        };
        policies::put(tx, ctx.owner, &group.name, &doc)?;
        Ok(PutScalingPolicyOutput {
            policy_arn: Some(policy_arn),
            alarms: Some(alarms),
        })
    }
}

/// `DescribePolicies`, by group and name (`MaxRecords` defaults to 50).
impl Handle for DescribePoliciesInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribePoliciesOutput, ApiError> {
        check_names("PolicyNames", self.policy_names.as_ref())?;
        let page = PageRequest::new(
            "DescribePolicies",
            self.max_records,
            self.next_token.as_deref(),
            50,
        )?;
        let group = self.auto_scaling_group_name.filter(|g| !g.is_empty());
        let names = self.policy_names.filter(|n| !n.is_empty());
        let types = self.policy_types.filter(|t| !t.is_empty());
        let mut items = Vec::new();
        for p in policies::list(tx, ctx.owner, group.as_deref())? {
            let named = names.as_ref().is_none_or(|names| {
                names
                    .iter()
                    .any(|n| *n == p.name || p.doc.policy_arn.as_deref() == Some(n.as_str()))
            });
            let typed = types.as_ref().is_none_or(|types| {
                types
                    .iter()
                    .any(|t| p.doc.policy_type.as_deref() == Some(t.as_str()))
            });
            if named && typed {
                items.push((format!("{}\u{0}{}", p.group, p.name), p.doc));
            }
        }
        let (scaling_policies, next_token) = page.take(items);
        Ok(DescribePoliciesOutput {
            scaling_policies: Some(scaling_policies),
            next_token,
        })
    }
}

/// `DeletePolicy`: by name within a group, or by ARN.
impl Handle for DeletePolicyInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let group = self.auto_scaling_group_name.filter(|g| !g.is_empty());
        let policy = policies::find(tx, ctx.owner, group.as_deref(), &self.policy_name)?
            .ok_or_else(|| not_found(&self.policy_name))?;
        policies::delete(tx, ctx.owner, &policy.group, &policy.name)?;
        Ok(NoOutput {})
    }
}

/// The capacity change of an adjustment: PercentChangeInCapacity rounds toward zero but never to
/// zero (AWS: 12.7 -> 12, 0.5 -> 1, -0.5 -> -1, -6.67 -> -6), then at least
/// MinAdjustmentMagnitude in the adjustment's direction.
fn new_capacity(
    adjustment_type: &str,
    adjustment: i32,
    min_magnitude: Option<i32>,
    current: i64,
) -> i64 {
    let adjustment = i64::from(adjustment);
    match adjustment_type {
        "ExactCapacity" => adjustment,
        "PercentChangeInCapacity" => {
            let raw = current as f64 * adjustment as f64 / 100.0;
            let mut change = if raw != 0.0 && raw.abs() < 1.0 {
                raw.signum() as i64
            } else {
                raw.trunc() as i64
            };
            let magnitude = i64::from(min_magnitude.unwrap_or(0));
            if adjustment != 0 && change.abs() < magnitude {
                change = adjustment.signum() * magnitude;
            }
            current + change
        }
        _ => current + adjustment,
    }
}

/// The step of a step scaling policy for `metric - threshold`.
fn pick_step(steps: &[StepAdjustment], diff: f64) -> Option<&StepAdjustment> {
    steps.iter().find(|s| {
        let (lower, upper) = bounds(s);
        if diff >= 0.0 {
            lower <= diff && diff < upper
        } else {
            lower < diff && diff <= upper
        }
    })
}

/// `ExecutePolicy`.
impl Handle for ExecutePolicyInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let group_name = self.auto_scaling_group_name.filter(|g| !g.is_empty());
        if let Some(g) = &group_name {
            groups::require(tx, ctx.owner, g)?;
        }
        let policy = policies::find(tx, ctx.owner, group_name.as_deref(), &self.policy_name)?
            .ok_or_else(|| not_found(&self.policy_name))?;
        let mut group = groups::require(tx, ctx.owner, &policy.group)?;
        let doc = &policy.doc;
        let policy_type = doc.policy_type.as_deref().unwrap_or(SIMPLE);
        let metric = (self.metric_value, self.breach_threshold);
        let adjustment = match policy_type {
            SIMPLE => {
                if metric.0.is_some() || metric.1.is_some() {
                    return Err(ApiError::validation(
                        "MetricValue and BreachThreshold are supported only for a StepScaling \
                         policy.",
                    ));
                }
                if self.honor_cooldown.unwrap_or(true) {
                    let cooldown = doc
                        .cooldown
                        .or(group.doc.default_cooldown)
                        .unwrap_or(DEFAULT_COOLDOWN);
                    let last = policies::last_activity_end(tx, ctx.owner, &group.name)?;
                    // Saturating: a launch a lifecycle hook holds has no end yet
                    // (`lifecycle::HELD`), and its cooldown has not begun.
                    if last
                        .is_some_and(|end| end.saturating_add(i64::from(cooldown) * 1000) > ctx.now)
                    {
                        // The model's error for ExecutePolicy, in the API reference's words.
                        return Err(ApiError::with_status(
                            400,
                            "ScalingActivityInProgress",
                            "The operation can't be performed because there are scaling \
                             activities in progress.",
                        ));
                    }
                }
                doc.scaling_adjustment.unwrap_or(0)
            }
            STEP => {
                let (Some(value), Some(threshold)) = metric else {
                    return Err(ApiError::validation(
                        "MetricValue and BreachThreshold are required for a StepScaling policy.",
                    ));
                };
                let steps = doc.step_adjustments.as_deref().unwrap_or(&[]);
                let step = pick_step(steps, value - threshold).ok_or_else(|| {
                    ApiError::validation(format!(
                        "The metric value {value} does not correspond to a step adjustment of \
                         policy {} (breach threshold {threshold}).",
                        shorten(&policy.name)
                    ))
                })?;
                step.scaling_adjustment.unwrap_or(0)
            }
            other => {
                return Err(ApiError::validation(format!(
                    "ExecutePolicy is not supported for a policy of type {other}."
                )));
            }
        };
        let adjustment_type = doc.adjustment_type.as_deref().unwrap_or("ChangeInCapacity");
        let before = group.desired;
        let desired = new_capacity(
            adjustment_type,
            adjustment,
            doc.min_adjustment_magnitude,
            before,
        )
        .clamp(group.min, group.max);
        if desired == before {
            return Ok(NoOutput {});
        }
        check_limit(desired)?;
        group.desired = desired;
        tx.execute_cached(
            "UPDATE groups SET desired = ?3 WHERE owner = ?1 AND name = ?2",
            rusqlite::params![ctx.owner, group.name, desired],
        )?;
        groups::reconcile(
            ctx,
            tx,
            &group,
            &format!(
                "a user request executed policy {} changing the desired capacity from {before} \
                 to {desired}",
                policy.name
            ),
        )?;
        Ok(NoOutput {})
    }
}

/// `DescribeAdjustmentTypes`.
impl Handle for DescribeAdjustmentTypesInput {
    fn handle(
        self,
        _ctx: &Ctx<'_>,
        _tx: &Transaction<'_>,
    ) -> Result<DescribeAdjustmentTypesOutput, ApiError> {
        Ok(DescribeAdjustmentTypesOutput {
            adjustment_types: Some(
                ADJUSTMENT_TYPES
                    .iter()
                    .map(|t| AdjustmentType {
                        adjustment_type: Some((*t).to_string()),
                    })
                    .collect(),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(lower: Option<f64>, upper: Option<f64>, adjust: i32) -> StepAdjustment {
        StepAdjustment {
            metric_interval_lower_bound: lower,
            metric_interval_upper_bound: upper,
            scaling_adjustment: Some(adjust),
        }
    }

    #[test]
    fn capacity_follows_the_adjustment_type() {
        assert_eq!(new_capacity("ChangeInCapacity", 2, None, 3), 5);
        assert_eq!(new_capacity("ChangeInCapacity", -5, None, 3), -2);
        assert_eq!(new_capacity("ExactCapacity", 7, None, 3), 7);
        // 10 * 127% = 12.7 -> 12; 2 * 25% = 0.5 -> 1; 2 * -25% -> -1; 15 * -44.5% ~ -6.67 -> -6.
        assert_eq!(new_capacity("PercentChangeInCapacity", 127, None, 10), 22);
        assert_eq!(new_capacity("PercentChangeInCapacity", 25, None, 2), 3);
        assert_eq!(new_capacity("PercentChangeInCapacity", -25, None, 2), 1);
        assert_eq!(new_capacity("PercentChangeInCapacity", -44, None, 15), 9);
        // MinAdjustmentMagnitude lifts a small change.
        assert_eq!(new_capacity("PercentChangeInCapacity", 10, Some(3), 4), 7);
        assert_eq!(new_capacity("PercentChangeInCapacity", -10, Some(2), 4), 2);
        assert_eq!(new_capacity("PercentChangeInCapacity", 10, Some(2), 0), 2);
    }

    #[test]
    fn steps_are_chosen_with_aws_bounds() {
        let steps = [
            step(None, Some(-10.0), -2),
            step(Some(-10.0), Some(0.0), -1),
            step(Some(0.0), Some(10.0), 1),
            step(Some(10.0), None, 3),
        ];
        check_steps(&steps).unwrap();
        let pick = |d| pick_step(&steps, d).and_then(|s| s.scaling_adjustment);
        assert_eq!(pick(0.0), Some(1));
        assert_eq!(pick(9.9), Some(1));
        assert_eq!(pick(10.0), Some(3));
        assert_eq!(pick(-0.5), Some(-1));
        // Below the threshold the upper bound is inclusive: -10 is the first step's.
        assert_eq!(pick(-10.0), Some(-2));
        assert_eq!(pick(-9.5), Some(-1));
        assert_eq!(pick(-10.5), Some(-2));
        let only_up = [step(Some(0.0), Some(10.0), 1)];
        assert!(check_steps(&only_up).is_err());
        assert_eq!(
            pick_step(&only_up, 20.0).map(|s| s.scaling_adjustment),
            None
        );
        assert!(check_steps(&[step(None, None, 1)]).is_err());
        assert!(check_steps(&[step(Some(0.0), Some(5.0), 1), step(Some(4.0), None, 2)]).is_err());
        assert!(check_steps(&[step(Some(0.0), Some(5.0), 1), step(Some(6.0), None, 2)]).is_err());
        assert!(check_steps(&[step(Some(5.0), Some(5.0), 1), step(Some(5.0), None, 2)]).is_err());
        assert!(check_steps(&vec![step(Some(0.0), None, 1); 21]).is_err());
    }
}
