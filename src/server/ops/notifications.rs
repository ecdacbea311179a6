//! PutNotificationConfiguration, DescribeNotificationConfigurations,
//! DeleteNotificationConfiguration, DescribeAutoScalingNotificationTypes: which SNS topic a group
//! would notify of which events.
//!
//! Stored, never sent: this endpoint has no SNS, so no message is ever published (wsdl-notes/
//! server.md and `phantom serve --help` say so; replies do not). A configuration is one row per
//! owner, group, topic and notification type (the `notification_configurations` table); a Put
//! for a group and topic replaces that topic's types, as AWS documents ("This configuration
//! overwrites any existing configuration"); a group deleted takes its rows with it (a trigger).
//!
//! Checks (AWS API reference and user guide): the group must exist; the topic is an SNS topic
//! ARN (`arn:PARTITION:sns:REGION:ACCOUNT:NAME`, the name 1-256 letters, digits, `-`, `_`, with
//! an optional `.fifo`); each type is one of the five AWS defines; a group has at most 10 topics
//! (AWS's quota: "10 per Auto Scaling group", `LimitExceeded`). The refusal texts for a bad ARN,
//! an unknown type and a missing configuration are ours, in AWS's style.

use rusqlite::{Transaction, params};

use crate::autoscaling::NoOutput;
use crate::autoscaling::types::{
    DeleteNotificationConfigurationInput, DescribeAutoScalingNotificationTypesInput,
    DescribeAutoScalingNotificationTypesOutput, DescribeNotificationConfigurationsInput,
    DescribeNotificationConfigurationsOutput, NotificationConfiguration,
    PutNotificationConfigurationInput,
};
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::{Ctx, Handle};
use crate::server::paginate::{PageRequest, check_names};
use crate::server::rows::groups;
use crate::server::store::Cached;

/// The notification types AWS defines (DescribeAutoScalingNotificationTypes).
pub const NOTIFICATION_TYPES: &[&str] = &[
    "autoscaling:EC2_INSTANCE_LAUNCH",
    "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
    "autoscaling:EC2_INSTANCE_TERMINATE",
    "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
    "autoscaling:TEST_NOTIFICATION",
];

/// The most topics one group may notify (AWS's quota).
const MAX_TOPICS_PER_GROUP: i64 = 10;

/// Whether `arn` names an SNS topic: `arn:PARTITION:sns:REGION:ACCOUNT:NAME`.
fn is_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, name] = parts[..] else {
        return false;
    };
    let name = name.strip_suffix(".fifo").unwrap_or(name);
    prefix == "arn"
        && matches!(
            partition,
            "aws" | "aws-cn" | "aws-us-gov" | "aws-iso" | "aws-iso-b"
        )
        && service == "sns"
        && !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && (1..=256).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `PutNotificationConfiguration`: the topic's types for the group, replacing any before.
impl Handle for PutNotificationConfigurationInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        if !is_topic_arn(&self.topic_arn) {
            return Err(ApiError::validation(format!(
                "Invalid TopicARN: {} is not the ARN of an SNS topic \
                 (arn:aws:sns:REGION:ACCOUNT:NAME).",
                shorten(&self.topic_arn)
            )));
        }
        let unknown: Vec<&str> = self
            .notification_types
            .iter()
            .map(String::as_str)
            .filter(|t| !NOTIFICATION_TYPES.contains(t))
            .collect();
        if !unknown.is_empty() {
            return Err(ApiError::validation(format!(
                "Invalid notification types specified: {}. Valid types are {}.",
                shorten(&unknown.join(", ")),
                NOTIFICATION_TYPES.join(", ")
            )));
        }
        if self.notification_types.is_empty() {
            return Err(ApiError::validation(
                "At least one notification type must be specified.",
            ));
        }
        let other_topics: i64 = tx.query_row_cached(
            "SELECT COUNT(DISTINCT topic_arn) FROM notification_configurations \
             WHERE owner = ?1 AND group_name = ?2 AND topic_arn <> ?3",
            params![ctx.owner, group.name, self.topic_arn],
            |r| r.get(0),
        )?;
        if other_topics >= MAX_TOPICS_PER_GROUP {
            return Err(ApiError::limit_exceeded(format!(
                "AutoScalingGroup {} already notifies {MAX_TOPICS_PER_GROUP} SNS topics, the \
                 most allowed per group.",
                shorten(&group.name)
            )));
        }
        tx.execute_cached(
            "DELETE FROM notification_configurations WHERE owner = ?1 AND group_name = ?2 \
             AND topic_arn = ?3",
            params![ctx.owner, group.name, self.topic_arn],
        )?;
        for kind in &self.notification_types {
            tx.execute_cached(
                "INSERT OR IGNORE INTO notification_configurations \
                 (owner, group_name, topic_arn, notification_type) VALUES (?1, ?2, ?3, ?4)",
                params![ctx.owner, group.name, self.topic_arn, kind],
            )?;
        }
        Ok(NoOutput {})
    }
}

/// `DescribeNotificationConfigurations`: one item per group, topic and type, in that order.
impl Handle for DescribeNotificationConfigurationsInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeNotificationConfigurationsOutput, ApiError> {
        check_names(
            "AutoScalingGroupNames",
            self.auto_scaling_group_names.as_ref(),
        )?;
        let page = PageRequest::new(
            "DescribeNotificationConfigurations",
            self.max_records,
            self.next_token.as_deref(),
            50,
        )?;
        let wanted = self.auto_scaling_group_names.filter(|n| !n.is_empty());
        let mut stmt = tx.prepare_cached(
            "SELECT group_name, topic_arn, notification_type FROM notification_configurations \
             WHERE owner = ?1 ORDER BY group_name, topic_arn, notification_type",
        )?;
        let rows = stmt
            .query_map(params![ctx.owner], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let items = rows
            .into_iter()
            .filter(|(g, _, _)| wanted.as_ref().is_none_or(|w| w.contains(g)))
            .map(|(group, topic, kind)| {
                (
                    format!("{group}\u{0}{topic}\u{0}{kind}"),
                    NotificationConfiguration {
                        auto_scaling_group_name: Some(group),
                        topic_arn: Some(topic),
                        notification_type: Some(kind),
                    },
                )
            })
            .collect();
        let (notification_configurations, next_token) = page.take(items);
        Ok(DescribeNotificationConfigurationsOutput {
            notification_configurations: Some(notification_configurations),
            next_token,
        })
    }
}

/// `DeleteNotificationConfiguration`: the group's configuration for one topic.
impl Handle for DeleteNotificationConfigurationInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let group = groups::require(tx, ctx.owner, &self.auto_scaling_group_name)?;
        let deleted = tx.execute_cached(
            "DELETE FROM notification_configurations WHERE owner = ?1 AND group_name = ?2 \
             AND topic_arn = ?3",
            params![ctx.owner, group.name, self.topic_arn],
        )?;
        if deleted == 0 {
            return Err(ApiError::validation(format!(
                "No notification configuration found for AutoScalingGroup {} and topic {}.",
                shorten(&group.name),
                shorten(&self.topic_arn)
            )));
        }
        Ok(NoOutput {})
    }
}

/// `DescribeAutoScalingNotificationTypes`.
impl Handle for DescribeAutoScalingNotificationTypesInput {
    fn handle(
        self,
        _ctx: &Ctx<'_>,
        _tx: &Transaction<'_>,
    ) -> Result<DescribeAutoScalingNotificationTypesOutput, ApiError> {
        Ok(DescribeAutoScalingNotificationTypesOutput {
            auto_scaling_notification_types: Some(
                NOTIFICATION_TYPES.iter().map(|t| t.to_string()).collect(),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_topic_arn;

    #[test]
    fn topic_arns_are_sns_arns() {
        assert!(is_topic_arn("arn:aws:sns:us-east-1:123456789012:my-topic"));
        assert!(is_topic_arn(
            "arn:aws-cn:sns:cn-north-1:123456789012:t_1.fifo"
        ));
        assert!(!is_topic_arn("arn:aws:sqs:us-east-1:123456789012:queue"));
        assert!(!is_topic_arn("arn:aws:sns:us-east-1:1234:t"));
        assert!(!is_topic_arn("arn:aws:sns:us-east-1:123456789012:"));
        assert!(!is_topic_arn("arn:aws:sns:us-east-1:123456789012:a:b"));
        assert!(!is_topic_arn("my-topic"));
        assert!(!is_topic_arn(&format!(
            "arn:aws:sns:us-east-1:123456789012:{}",
            "t".repeat(257)
        )));
    }
}
