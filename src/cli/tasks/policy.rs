//! `phantom policy put|list|delete|execute`: scaling policies (PutScalingPolicy,
//! DescribePolicies, DeletePolicy, ExecutePolicy).
//!
//! `policy put` has three forms, chosen by the flags given: `--simple ADJ` (SimpleScaling),
//! `--step LOWER:UPPER=ADJ...` (StepScaling) and `--predefined-metric M` / `--metric-json JSON`
//! with `--target V` (TargetTrackingScaling). A step is written `LOWER:UPPER=ADJ`: the bounds are
//! the metric's distance from the alarm threshold (an empty bound is infinite), ADJ the signed
//! adjustment; `0:10=+1` adds one instance while the metric is 0 to 10 above the threshold. The
//! AWS rules for steps (no overlap, no gap, one open bound at each end at most) are checked here;
//! `policy list` shows steps in the same syntax.

use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use futures_util::StreamExt;

use super::{check_name, print_done, require};
use crate::autoscaling::types::*;
use crate::cli::query_cmds::Context;
use crate::error::Error;

/// `phantom policy ...`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Create or replace a scaling policy: simple, step or target tracking.
    #[command(after_help = "Examples:\n  \
        phantom policy put web scale-out --simple +2 --cooldown 120\n  \
        phantom policy put web steps --step 0:10=+1 --step 10:=+3 --estimated-instance-warmup 60\n  \
        phantom policy put web cpu50 --predefined-metric ASGAverageCPUUtilization --target 50\n  \
        phantom policy put web queue --metric-json file://metric.json --target 100 --disable-scale-in\n\n\
        Steps are LOWER:UPPER=ADJ: the bounds are the metric's distance from the alarm threshold \
        (empty: unbounded), ADJ the change (+1, -1, or a size/percentage per --adjustment-type); \
        `--step :0=-1 --step 0:=+1` scales in below the threshold and out above it.")]
    Put(PutArgs),
    /// List scaling policies (every page): of one group, or of all.
    #[command(after_help = "Examples:\n  phantom policy list\n  \
        phantom policy list web --types TargetTrackingScaling\n  phantom policy list web --names cpu50,steps")]
    List(ListArgs),
    /// Delete a scaling policy (and the alarms target tracking made for it).
    #[command(after_help = "Example:\n  phantom policy delete web scale-out")]
    Delete(NameArgs),
    /// Run a simple or step scaling policy now.
    #[command(
        after_help = "Examples:\n  phantom policy execute web scale-out --no-honor-cooldown\n  \
        phantom policy execute web steps --metric-value 75 --breach-threshold 60"
    )]
    Execute(ExecuteArgs),
}

/// How a simple or step policy's adjustment is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[allow(clippy::enum_variant_names)]
pub enum AdjustmentType {
    /// Add ADJ instances (remove when negative).
    #[value(name = "ChangeInCapacity")]
    ChangeInCapacity,
    /// Set the capacity to ADJ.
    #[value(name = "ExactCapacity")]
    ExactCapacity,
    /// Change the capacity by ADJ percent.
    #[value(name = "PercentChangeInCapacity")]
    PercentChangeInCapacity,
}

impl AdjustmentType {
    fn api(self) -> &'static str {
        match self {
            AdjustmentType::ChangeInCapacity => "ChangeInCapacity",
            AdjustmentType::ExactCapacity => "ExactCapacity",
            AdjustmentType::PercentChangeInCapacity => "PercentChangeInCapacity",
        }
    }
}

/// How a step policy aggregates the metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Aggregation {
    /// The minimum.
    #[value(name = "Minimum")]
    Minimum,
    /// The maximum.
    #[value(name = "Maximum")]
    Maximum,
    /// The average (AWS's default).
    #[value(name = "Average")]
    Average,
}

/// The predefined metrics of target tracking (the model's `MetricType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[allow(clippy::enum_variant_names)]
pub enum PredefinedMetric {
    /// Average CPU utilization of the group.
    #[value(name = "ASGAverageCPUUtilization")]
    AsgAverageCpuUtilization,
    /// The same, from high-resolution metrics.
    #[value(name = "ASGAverageCPUUtilizationHighResolution")]
    AsgAverageCpuUtilizationHighResolution,
    /// Average bytes received per instance.
    #[value(name = "ASGAverageNetworkIn")]
    AsgAverageNetworkIn,
    /// Average bytes sent per instance.
    #[value(name = "ASGAverageNetworkOut")]
    AsgAverageNetworkOut,
    /// Application Load Balancer requests per target (needs --resource-label).
    #[value(name = "ALBRequestCountPerTarget")]
    AlbRequestCountPerTarget,
}

impl PredefinedMetric {
    fn api(self) -> &'static str {
        match self {
            PredefinedMetric::AsgAverageCpuUtilization => "ASGAverageCPUUtilization",
            PredefinedMetric::AsgAverageCpuUtilizationHighResolution => {
                "ASGAverageCPUUtilizationHighResolution"
            }
            PredefinedMetric::AsgAverageNetworkIn => "ASGAverageNetworkIn",
            PredefinedMetric::AsgAverageNetworkOut => "ASGAverageNetworkOut",
            PredefinedMetric::AlbRequestCountPerTarget => "ALBRequestCountPerTarget",
        }
    }
}

/// Arguments of `policy put`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("form").required(true).args(["simple", "step", "predefined_metric", "metric_json"])))]
pub struct PutArgs {
    /// Group name.
    pub group: String,
    /// Policy name.
    pub name: String,
    /// Simple scaling: change the capacity by ADJ (per --adjustment-type) when the alarm fires.
    #[arg(long, value_name = "ADJ", allow_hyphen_values = true, value_parser = parse_adjustment)]
    pub simple: Option<i32>,
    /// Step scaling: one step LOWER:UPPER=ADJ (repeatable), e.g. 0:10=+1 and 10:=+3.
    #[arg(long, value_name = "LOWER:UPPER=ADJ", allow_hyphen_values = true, value_parser = parse_step)]
    pub step: Vec<StepAdjustment>,
    /// Target tracking on a predefined metric.
    #[arg(long, value_name = "METRIC", value_enum)]
    pub predefined_metric: Option<PredefinedMetric>,
    /// Target tracking on a customized metric: a CustomizedMetricSpecification as JSON with the
    /// API's names (`{"MetricName":..,"Namespace":..,"Statistic":..}`), or file://PATH.
    #[arg(long, value_name = "JSON")]
    pub metric_json: Option<String>,
    /// The target value of the metric (target tracking).
    #[arg(long, value_name = "VALUE", allow_hyphen_values = true)]
    pub target: Option<f64>,
    /// Target tracking only scales out; scale-in is left to you.
    #[arg(long)]
    pub disable_scale_in: bool,
    /// With ALBRequestCountPerTarget: app/LB-NAME/LB-ID/targetgroup/TG-NAME/TG-ID.
    #[arg(long, value_name = "LABEL")]
    pub resource_label: Option<String>,
    /// How ADJ is read (simple and step policies) [default: ChangeInCapacity].
    #[arg(long, value_enum)]
    pub adjustment_type: Option<AdjustmentType>,
    /// With PercentChangeInCapacity: change by at least this many instances.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..))]
    pub min_adjustment_magnitude: Option<i32>,
    /// Seconds before another simple scaling activity may start.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(i32).range(0..))]
    pub cooldown: Option<i32>,
    /// How a step policy aggregates the metric.
    #[arg(long, value_enum)]
    pub metric_aggregation_type: Option<Aggregation>,
    /// Seconds a new instance needs before its metrics count (step and target tracking).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(i32).range(0..))]
    pub estimated_instance_warmup: Option<i32>,
    /// Create the policy disabled.
    #[arg(long)]
    pub disabled: bool,
}

/// Arguments of `policy list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this group's policies.
    pub group: Option<String>,
    /// Only these policy names, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub names: Vec<String>,
    /// Only these types, comma-separated: SimpleScaling, StepScaling, TargetTrackingScaling,
    /// PredictiveScaling.
    #[arg(long, value_delimiter = ',', value_parser = ["SimpleScaling", "StepScaling", "TargetTrackingScaling", "PredictiveScaling"])]
    pub types: Vec<String>,
}

/// A group and a policy name.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// Group name.
    pub group: String,
    /// Policy name.
    pub name: String,
}

/// Arguments of `policy execute`.
#[derive(Debug, Args)]
pub struct ExecuteArgs {
    /// Group name.
    pub group: String,
    /// Policy name.
    pub name: String,
    /// Run even if the group is in its cooldown period (simple scaling).
    #[arg(long)]
    pub no_honor_cooldown: bool,
    /// The metric value to decide the step by (step scaling; with --breach-threshold).
    #[arg(
        long,
        value_name = "VALUE",
        allow_hyphen_values = true,
        requires = "breach_threshold"
    )]
    pub metric_value: Option<f64>,
    /// The alarm's threshold (step scaling; with --metric-value).
    #[arg(
        long,
        value_name = "VALUE",
        allow_hyphen_values = true,
        requires = "metric_value"
    )]
    pub breach_threshold: Option<f64>,
}

/// Runs one `policy` command.
pub async fn run(ctx: &Context, command: PolicyCommand) -> Result<(), Error> {
    match command {
        PolicyCommand::Put(a) => {
            let input = put_input(a)?;
            require(ctx, "PutScalingPolicy", "policy put")?;
            put(ctx, input).await
        }
        PolicyCommand::List(a) => {
            require(ctx, "DescribePolicies", "policy list")?;
            list(ctx, a).await
        }
        PolicyCommand::Delete(a) => {
            check_name("group name", &a.group, 255)?;
            check_name("policy name", &a.name, 1600)?;
            require(ctx, "DeletePolicy", "policy delete")?;
            let input = DeletePolicyInput {
                auto_scaling_group_name: Some(a.group.clone()),
                policy_name: a.name.clone(),
            };
            ctx.client.send(&input).await?;
            print_done(
                &mut ctx.printer(),
                &format!("deleted policy {} of {}", a.name, a.group),
                &input,
            )
        }
        PolicyCommand::Execute(a) => {
            let input = execute_input(&a)?;
            require(ctx, "ExecutePolicy", "policy execute")?;
            ctx.client.send(&input).await?;
            print_done(
                &mut ctx.printer(),
                &format!("executed policy {} of {}", a.name, a.group),
                &input,
            )
        }
    }
}

/// Parses a signed adjustment: `+2`, `-1`, `3`.
fn parse_adjustment(s: &str) -> Result<i32, String> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    digits
        .parse::<i32>()
        .map_err(|_| format!("`{s}` is not a whole number like +1, -1 or 3"))
}

/// Parses one bound of a step: empty is unbounded, else a finite number.
fn parse_bound(s: &str, step: &str) -> Result<Option<f64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(format!(
            "step `{step}`: bound `{s}` is not a number (write LOWER:UPPER=ADJ, e.g. 0:10=+1)"
        )),
    }
}

/// Parses `LOWER:UPPER=ADJ` into a step adjustment.
pub fn parse_step(s: &str) -> Result<StepAdjustment, String> {
    let (interval, adjustment) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("step `{s}` is not LOWER:UPPER=ADJ (e.g. 0:10=+1 or 10:=+3)"))?;
    let (lower, upper) = interval.split_once(':').ok_or_else(|| {
        format!("step `{s}` has no `:` between its bounds (write LOWER:UPPER=ADJ, e.g. 0:10=+1)")
    })?;
    let lower = parse_bound(lower, s)?;
    let upper = parse_bound(upper, s)?;
    let adjustment = parse_adjustment(adjustment).map_err(|e| format!("step `{s}`: {e}"))?;
    match (lower, upper) {
        (None, None) => Err(format!(
            "step `{s}` has no bound at all: a step needs a lower or an upper bound"
        )),
        (Some(l), Some(u)) if l >= u => Err(format!(
            "step `{s}`: the lower bound must be less than the upper bound"
        )),
        _ => Ok(StepAdjustment {
            metric_interval_lower_bound: lower,
            metric_interval_upper_bound: upper,
            scaling_adjustment: Some(adjustment),
        }),
    }
}

/// A step in the syntax `parse_step` reads: `0:10=+1`, `10:=+3`, `:0=-1`.
pub fn step_text(step: &StepAdjustment) -> String {
    let bound = |b: Option<f64>| b.map(|v| v.to_string()).unwrap_or_default();
    let adj = step.scaling_adjustment.unwrap_or(0);
    format!(
        "{}:{}={}{adj}",
        bound(step.metric_interval_lower_bound),
        bound(step.metric_interval_upper_bound),
        if adj >= 0 { "+" } else { "" }
    )
}

/// Checks the steps as AWS does: sorted by lower bound they must join end to end (no overlap, no
/// gap); only the first may be open below and only the last open above; a negative lower bound
/// needs a step open below, a positive upper bound one open above.
fn check_steps(steps: &mut [StepAdjustment]) -> Result<(), Error> {
    let text = |s: &StepAdjustment| step_text(s);
    steps.sort_by(|a, b| {
        let key = |s: &StepAdjustment| s.metric_interval_lower_bound.unwrap_or(f64::NEG_INFINITY);
        key(a).total_cmp(&key(b))
    });
    for pair in steps.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        match (a.metric_interval_upper_bound, b.metric_interval_lower_bound) {
            (None, _) => {
                return Err(Error::Config(format!(
                    "steps {} and {} overlap: only the highest step may have no upper bound",
                    text(a),
                    text(b)
                )));
            }
            (_, None) => {
                return Err(Error::Config(format!(
                    "steps {} and {} overlap: only the lowest step may have no lower bound",
                    text(a),
                    text(b)
                )));
            }
            (Some(u), Some(l)) if u > l => {
                return Err(Error::Config(format!(
                    "steps {} and {} overlap",
                    text(a),
                    text(b)
                )));
            }
            (Some(u), Some(l)) if u < l => {
                return Err(Error::Config(format!(
                    "steps {} and {} leave a gap from {u} to {l}",
                    text(a),
                    text(b)
                )));
            }
            _ => {}
        }
    }
    if let (Some(first), Some(last)) = (steps.first(), steps.last()) {
        if first.metric_interval_lower_bound.is_some_and(|l| l < 0.0) {
            return Err(Error::Config(format!(
                "step {} starts below the threshold: the lowest step must then have no lower \
                 bound (e.g. :{}=...)",
                text(first),
                first.metric_interval_upper_bound.unwrap_or(0.0)
            )));
        }
        if last.metric_interval_upper_bound.is_some_and(|u| u > 0.0) {
            return Err(Error::Config(format!(
                "step {} ends above the threshold: the highest step must then have no upper \
                 bound (e.g. {}:=...)",
                text(last),
                last.metric_interval_lower_bound.unwrap_or(0.0)
            )));
        }
    }
    Ok(())
}

/// Reads `--metric-json`: inline JSON or `file://PATH`, every member one the API knows.
fn customized_metric(text: &str) -> Result<CustomizedMetricSpecification, Error> {
    let json = match text.strip_prefix("file://") {
        Some(path) => std::fs::read_to_string(path).map_err(|e| Error::Io {
            context: format!("reading --metric-json {path}"),
            source: e,
        })?,
        None => text.to_string(),
    };
    let value: serde_json::Value = serde_json::from_str(&json)
        .map_err(|e| Error::Config(format!("--metric-json is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(Error::Config(
            "--metric-json must be a JSON object (a CustomizedMetricSpecification)".into(),
        ));
    }
    let spec: CustomizedMetricSpecification = serde_json::from_value(value.clone())
        .map_err(|e| Error::Config(format!("--metric-json: {e}")))?;
    let known =
        serde_json::to_value(&spec).map_err(|e| Error::Config(format!("--metric-json: {e}")))?;
    if let Some(path) = unknown_member(&value, &known, "") {
        return Err(Error::Config(format!(
            "--metric-json: `{path}` is not a member of CustomizedMetricSpecification (names \
             are the API's: MetricName, Namespace, Dimensions, Statistic, Unit, Period, Metrics)"
        )));
    }
    if spec.metrics.is_none() && (spec.metric_name.is_none() || spec.namespace.is_none()) {
        return Err(Error::Config(
            "--metric-json needs MetricName, Namespace and Statistic (or Metrics)".into(),
        ));
    }
    if spec.metrics.is_none() && spec.statistic.is_none() {
        return Err(Error::Config(
            "--metric-json needs a Statistic (Average, Minimum, Maximum, SampleCount or Sum)"
                .into(),
        ));
    }
    Ok(spec)
}

/// The first member of `given` that reading it into a shape dropped (`known` is the shape
/// written back), as a dotted path.
fn unknown_member(
    given: &serde_json::Value,
    known: &serde_json::Value,
    path: &str,
) -> Option<String> {
    use serde_json::Value;
    match (given, known) {
        (Value::Object(g), Value::Object(k)) => g.iter().find_map(|(name, v)| {
            let here = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            match k.get(name) {
                None if !v.is_null() => Some(here),
                None => None,
                Some(kv) => unknown_member(v, kv, &here),
            }
        }),
        (Value::Array(g), Value::Array(k)) => g
            .iter()
            .zip(k)
            .enumerate()
            .find_map(|(i, (gv, kv))| unknown_member(gv, kv, &format!("{path}[{i}]"))),
        _ => None,
    }
}

/// Turns `policy put`'s flags into the input, refusing flags that do not fit the form.
pub fn put_input(a: PutArgs) -> Result<PutScalingPolicyInput, Error> {
    check_name("group name", &a.group, 255)?;
    check_name("policy name", &a.name, 255)?;
    let target_tracking = a.predefined_metric.is_some() || a.metric_json.is_some();
    let form = if a.simple.is_some() {
        "simple (--simple)"
    } else if !a.step.is_empty() {
        "step (--step)"
    } else {
        "target tracking"
    };
    let refuse = |flag: &str| {
        Err(Error::Config(format!(
            "{flag} does not apply to a {form} policy"
        )))
    };
    if target_tracking {
        if a.adjustment_type.is_some() {
            return refuse("--adjustment-type");
        }
        if a.min_adjustment_magnitude.is_some() {
            return refuse("--min-adjustment-magnitude");
        }
        if a.metric_aggregation_type.is_some() {
            return refuse("--metric-aggregation-type");
        }
    } else {
        if a.target.is_some() {
            return refuse("--target");
        }
        if a.disable_scale_in {
            return refuse("--disable-scale-in");
        }
        if a.resource_label.is_some() {
            return refuse("--resource-label");
        }
    }
    if a.cooldown.is_some() && a.simple.is_none() {
        return refuse("--cooldown");
    }
    if a.metric_aggregation_type.is_some() && a.step.is_empty() {
        return refuse("--metric-aggregation-type");
    }
    if a.estimated_instance_warmup.is_some() && a.simple.is_some() {
        return refuse("--estimated-instance-warmup");
    }
    let adjustment_type = a
        .adjustment_type
        .unwrap_or(AdjustmentType::ChangeInCapacity);
    if a.min_adjustment_magnitude.is_some()
        && adjustment_type != AdjustmentType::PercentChangeInCapacity
    {
        return Err(Error::Config(
            "--min-adjustment-magnitude needs --adjustment-type PercentChangeInCapacity".into(),
        ));
    }
    let mut input = PutScalingPolicyInput {
        auto_scaling_group_name: a.group,
        policy_name: a.name,
        enabled: a.disabled.then_some(false),
        estimated_instance_warmup: a.estimated_instance_warmup,
        ..Default::default()
    };
    if let Some(adjustment) = a.simple {
        if adjustment_type == AdjustmentType::ExactCapacity && adjustment < 0 {
            return Err(Error::Config(
                "--simple with ExactCapacity is the capacity to set: it cannot be negative".into(),
            ));
        }
        input.policy_type = Some("SimpleScaling".into());
        input.adjustment_type = Some(adjustment_type.api().into());
        input.scaling_adjustment = Some(adjustment);
        input.min_adjustment_magnitude = a.min_adjustment_magnitude;
        input.cooldown = a.cooldown;
    } else if !a.step.is_empty() {
        let mut steps = a.step;
        if adjustment_type == AdjustmentType::ExactCapacity
            && let Some(s) = steps.iter().find(|s| s.scaling_adjustment < Some(0))
        {
            return Err(Error::Config(format!(
                "step {} sets a negative capacity (ExactCapacity)",
                step_text(s)
            )));
        }
        check_steps(&mut steps)?;
        input.policy_type = Some("StepScaling".into());
        input.adjustment_type = Some(adjustment_type.api().into());
        input.min_adjustment_magnitude = a.min_adjustment_magnitude;
        input.metric_aggregation_type = a.metric_aggregation_type.map(|m| {
            match m {
                Aggregation::Minimum => "Minimum",
                Aggregation::Maximum => "Maximum",
                Aggregation::Average => "Average",
            }
            .to_string()
        });
        input.step_adjustments = Some(steps);
    } else {
        let Some(target) = a.target else {
            return Err(Error::Config(
                "a target tracking policy needs --target VALUE (e.g. --target 50)".into(),
            ));
        };
        if !target.is_finite() {
            return Err(Error::Config(format!(
                "--target {target} is not a finite number"
            )));
        }
        let mut config = TargetTrackingConfiguration {
            target_value: Some(target),
            disable_scale_in: a.disable_scale_in.then_some(true),
            ..Default::default()
        };
        match (a.predefined_metric, &a.metric_json) {
            (Some(metric), None) => {
                let alb = metric == PredefinedMetric::AlbRequestCountPerTarget;
                if alb && a.resource_label.is_none() {
                    return Err(Error::Config(
                        "ALBRequestCountPerTarget needs --resource-label \
                         app/LB-NAME/LB-ID/targetgroup/TG-NAME/TG-ID"
                            .into(),
                    ));
                }
                if !alb && a.resource_label.is_some() {
                    return Err(Error::Config(
                        "--resource-label applies to ALBRequestCountPerTarget only".into(),
                    ));
                }
                if let Some(label) = &a.resource_label {
                    check_name("resource label", label, 1023)?;
                }
                config.predefined_metric_specification = Some(PredefinedMetricSpecification {
                    predefined_metric_type: Some(metric.api().into()),
                    resource_label: a.resource_label,
                });
            }
            (None, Some(json)) => {
                if a.resource_label.is_some() {
                    return Err(Error::Config(
                        "--resource-label applies to ALBRequestCountPerTarget only".into(),
                    ));
                }
                config.customized_metric_specification = Some(customized_metric(json)?);
            }
            _ => {
                return Err(Error::Config(
                    "give --predefined-metric or --metric-json, not both".into(),
                ));
            }
        }
        input.policy_type = Some("TargetTrackingScaling".into());
        input.target_tracking_configuration = Some(config);
    }
    Ok(input)
}

async fn put(ctx: &Context, input: PutScalingPolicyInput) -> Result<(), Error> {
    let reply = ctx.client.send(&input).await?.output;
    let mut printer = ctx.printer();
    printer.line(&format!(
        "policy {} of {} ({})",
        input.policy_name,
        input.auto_scaling_group_name,
        input.policy_type.as_deref().unwrap_or("?")
    ))?;
    if let Some(arn) = &reply.policy_arn {
        printer.line(&format!("PolicyARN: {arn}"))?;
    }
    for alarm in reply.alarms.iter().flatten() {
        printer.line(&format!(
            "alarm: {}\t{}",
            alarm.alarm_name.as_deref().unwrap_or("?"),
            alarm.alarm_arn.as_deref().unwrap_or("")
        ))?;
    }
    printer.json(&reply)?;
    printer.finish()
}

async fn list(ctx: &Context, a: ListArgs) -> Result<(), Error> {
    if let Some(group) = &a.group {
        check_name("group name", group, 255)?;
    }
    for name in &a.names {
        check_name("policy name", name, 1600)?;
    }
    let input = DescribePoliciesInput {
        auto_scaling_group_name: a.group.clone(),
        policy_names: (!a.names.is_empty()).then(|| a.names.clone()),
        policy_types: (!a.types.is_empty()).then(|| a.types.clone()),
        ..Default::default()
    };
    let mut printer = ctx.printer();
    printer.begin_list("ScalingPolicies")?;
    let mut items = Box::pin(ctx.client.items(input));
    while let Some(policy) = items.next().await {
        printer.policy(&policy?)?;
    }
    printer.end_list()
}

fn execute_input(a: &ExecuteArgs) -> Result<ExecutePolicyInput, Error> {
    check_name("group name", &a.group, 255)?;
    check_name("policy name", &a.name, 1600)?;
    for (flag, v) in [
        ("--metric-value", a.metric_value),
        ("--breach-threshold", a.breach_threshold),
    ] {
        if v.is_some_and(|v| !v.is_finite()) {
            return Err(Error::Config(format!("{flag} is not a finite number")));
        }
    }
    Ok(ExecutePolicyInput {
        auto_scaling_group_name: Some(a.group.clone()),
        policy_name: a.name.clone(),
        honor_cooldown: a.no_honor_cooldown.then_some(false),
        metric_value: a.metric_value,
        breach_threshold: a.breach_threshold,
    })
}

/// What `policy list` shows of a policy after its type: the adjustment, the steps, or the
/// target.
pub fn policy_detail(p: &ScalingPolicy) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(metric) = p.target_tracking_configuration.as_ref().map(|t| {
        let metric = t
            .predefined_metric_specification
            .as_ref()
            .and_then(|m| m.predefined_metric_type.clone())
            .or_else(|| {
                t.customized_metric_specification
                    .as_ref()
                    .and_then(|m| m.metric_name.clone())
            })
            .unwrap_or_else(|| "?".into());
        let target = t.target_value.map(|v| v.to_string()).unwrap_or("?".into());
        let scale_in = if t.disable_scale_in == Some(true) {
            " scale-in disabled"
        } else {
            ""
        };
        format!("{metric} target {target}{scale_in}")
    }) {
        parts.push(metric);
    }
    if let Some(kind) = &p.adjustment_type {
        parts.push(kind.clone());
    }
    if let Some(adj) = p.scaling_adjustment {
        parts.push(format!("{}{adj}", if adj >= 0 { "+" } else { "" }));
    }
    for step in p.step_adjustments.iter().flatten() {
        parts.push(step_text(step));
    }
    if let Some(c) = p.cooldown {
        parts.push(format!("cooldown {c}s"));
    }
    if p.enabled == Some(false) {
        parts.push("disabled".into());
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_and_write_back() {
        for text in ["0:10=+1", "10:=+3", ":0=-1", "-10.5:0=-2", "5:7.25=+0"] {
            let step = parse_step(text).unwrap();
            assert_eq!(step_text(&step), text);
        }
        assert_eq!(step_text(&parse_step("0:10=1").unwrap()), "0:10=+1");
    }

    #[test]
    fn bad_steps_say_why() {
        for (text, says) in [
            ("0:10", "not LOWER:UPPER=ADJ"),
            ("10=+1", "no `:`"),
            (":=+1", "no bound at all"),
            ("10:0=+1", "less than the upper"),
            ("a:10=+1", "`a` is not a number"),
            ("0:10=x", "not a whole number"),
            ("0:inf=+1", "not a number"),
        ] {
            let e = parse_step(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn steps_must_join_end_to_end() {
        let steps = |list: &[&str]| -> Vec<StepAdjustment> {
            list.iter().map(|s| parse_step(s).unwrap()).collect()
        };
        assert!(check_steps(&mut steps(&["10:=+3", "0:10=+1"])).is_ok());
        assert!(check_steps(&mut steps(&[":0=-1", "0:=+1"])).is_ok());
        for (list, says) in [
            (&["0:10=+1", "5:=+3"][..], "overlap"),
            (&["0:10=+1", "20:=+3"][..], "gap from 10 to 20"),
            (&["0:=+1", "10:=+3"][..], "only the highest"),
            (&[":0=-1", ":-5=-2"][..], "only the lowest"),
            (&["-10:0=-1"][..], "no lower bound"),
            (&["0:10=+1"][..], "no upper bound"),
        ] {
            let e = check_steps(&mut steps(list)).unwrap_err().to_string();
            assert!(e.contains(says), "{list:?}: {e}");
        }
    }

    #[test]
    fn unknown_members_are_found() {
        let given: serde_json::Value =
            serde_json::from_str(r#"{"MetricName":"m","Namespce":"x"}"#).unwrap();
        let spec: CustomizedMetricSpecification = serde_json::from_value(given.clone()).unwrap();
        let known = serde_json::to_value(&spec).unwrap();
        assert_eq!(unknown_member(&given, &known, ""), Some("Namespce".into()));
    }
}
