//! The group settings `domain create` and `domain alter` take beyond the seed's (health check,
//! termination policies, cooldown, instance lifetime, capacity rebalance): one set of flags,
//! checked once, written into CreateAutoScalingGroup or UpdateAutoScalingGroup.
//!
//! Nimbus Phantom keeps none of them (its groups show an empty HealthCheckType and no
//! termination policies, captures 05 and 10) and has no UpdateAutoScalingGroup, so under
//! `--dialect phantom` they are refused, naming the flags given.

use clap::Args;

use crate::autoscaling::types::{CreateAutoScalingGroupInput, UpdateAutoScalingGroupInput};
use crate::config::Dialect;
use crate::error::Error;

/// The termination policies AWS names (API reference); a Lambda function's ARN is the other kind.
const TERMINATION_POLICIES: &[&str] = &[
    "Default",
    "AllocationStrategy",
    "ClosestToNextInstanceHour",
    "NewestInstance",
    "OldestInstance",
    "OldestLaunchConfiguration",
    "OldestLaunchTemplate",
];

/// Group settings for `domain create` and `domain alter`.
#[derive(Debug, Clone, Default, Args)]
pub struct GroupOptions {
    /// Health check type: EC2 (instance status) or ELB (the load balancer's checks too); also
    /// EBS, VPC_LATTICE.
    #[arg(long, value_name = "TYPE", value_parser = ["EC2", "ELB", "EBS", "VPC_LATTICE"])]
    pub health_check_type: Option<String>,
    /// Seconds a new instance is given before its health checks count.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(i32).range(0..))]
    pub health_check_grace_period: Option<i32>,
    /// Termination policies in order, comma-separated (Default, OldestInstance, NewestInstance,
    /// OldestLaunchConfiguration, ClosestToNextInstanceHour, AllocationStrategy,
    /// OldestLaunchTemplate, or a Lambda function ARN).
    #[arg(long, value_delimiter = ',', value_name = "POLICY,...")]
    pub termination_policies: Vec<String>,
    /// Seconds after a scaling activity before simple scaling may start another.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(i32).range(0..))]
    pub default_cooldown: Option<i32>,
    /// Seconds an instance may serve before it is replaced: 0 (no limit) or at least 86400.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(i32).range(0..))]
    pub max_instance_lifetime: Option<i32>,
    /// Replace Spot Instances at elevated risk of interruption (`--capacity-rebalance false`
    /// turns it off).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub capacity_rebalance: Option<bool>,
}

impl GroupOptions {
    /// The flags given, by name.
    pub fn given(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        let mut note = |on: bool, flag| {
            if on {
                flags.push(flag);
            }
        };
        note(self.health_check_type.is_some(), "--health-check-type");
        note(
            self.health_check_grace_period.is_some(),
            "--health-check-grace-period",
        );
        note(
            !self.termination_policies.is_empty(),
            "--termination-policies",
        );
        note(self.default_cooldown.is_some(), "--default-cooldown");
        note(
            self.max_instance_lifetime.is_some(),
            "--max-instance-lifetime",
        );
        note(self.capacity_rebalance.is_some(), "--capacity-rebalance");
        flags
    }

    /// Whether no option is given.
    pub fn is_empty(&self) -> bool {
        self.given().is_empty()
    }

    /// Checks the values, and refuses them all under the Phantom dialect.
    pub fn check(&self, dialect: Dialect) -> Result<(), Error> {
        let given = self.given();
        if dialect == Dialect::Phantom && !given.is_empty() {
            return Err(Error::Config(format!(
                "Nimbus Phantom keeps no {} (its groups have none of these settings); drop \
                 them, or use --dialect aws for an AWS-compatible endpoint",
                given.join(", ")
            )));
        }
        for (i, policy) in self.termination_policies.iter().enumerate() {
            let known = TERMINATION_POLICIES.contains(&policy.as_str())
                || policy.starts_with("arn:aws:lambda:") && policy.len() <= 1600;
            if !known {
                return Err(Error::Config(format!(
                    "--termination-policies: `{}` is not a termination policy ({}, or a Lambda \
                     function ARN arn:aws:lambda:...)",
                    crate::query::endpoint::shorten(policy),
                    TERMINATION_POLICIES.join(", ")
                )));
            }
            if self.termination_policies[..i].contains(policy) {
                return Err(Error::Config(format!(
                    "--termination-policies names {policy} twice"
                )));
            }
        }
        if let Some(seconds) = self.max_instance_lifetime
            && seconds != 0
            && seconds < 86_400
        {
            return Err(Error::Config(format!(
                "--max-instance-lifetime {seconds}: must be 0 (no limit) or at least 86400 \
                 seconds (one day)"
            )));
        }
        Ok(())
    }

    /// Writes the options into a CreateAutoScalingGroup input.
    pub fn apply_create(&self, input: &mut CreateAutoScalingGroupInput) {
        input.health_check_type = self.health_check_type.clone();
        input.health_check_grace_period = self.health_check_grace_period;
        input.termination_policies =
            (!self.termination_policies.is_empty()).then(|| self.termination_policies.clone());
        input.default_cooldown = self.default_cooldown;
        input.max_instance_lifetime = self.max_instance_lifetime;
        input.capacity_rebalance = self.capacity_rebalance;
    }

    /// Writes the options into an UpdateAutoScalingGroup input.
    pub fn apply_update(&self, input: &mut UpdateAutoScalingGroupInput) {
        input.health_check_type = self.health_check_type.clone();
        input.health_check_grace_period = self.health_check_grace_period;
        input.termination_policies =
            (!self.termination_policies.is_empty()).then(|| self.termination_policies.clone());
        input.default_cooldown = self.default_cooldown;
        input.max_instance_lifetime = self.max_instance_lifetime;
        input.capacity_rebalance = self.capacity_rebalance;
    }
}
