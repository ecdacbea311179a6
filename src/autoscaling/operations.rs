//! The operations: each input shape names its action and output, in one line each.
//!
//! [`Operation`] ties a request shape to its Query action and reply shape; [`Paginated`] adds the
//! NextToken plumbing of the Describe calls. Adding an operation is one `operation!` line once its
//! shapes are generated.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::types::*;

/// A request shape that can be sent: its Query action and the shape of its reply.
pub trait Operation: Serialize + Send + Sync {
    /// The Query `Action`.
    const NAME: &'static str;
    /// The reply shape ([`NoOutput`] for operations without output).
    type Output: DeserializeOwned + Default + Send;

    /// For a Create: what it creates, so that a retry answered `AlreadyExists` after a lost
    /// reply can be settled by comparing with what exists (see [`crate::autoscaling::Client::send`]).
    fn creates(&self) -> Option<Creates<'_>> {
        None
    }
}

/// What a Create operation creates.
#[derive(Debug, Clone, Copy)]
pub enum Creates<'a> {
    /// A launch configuration.
    LaunchConfiguration(&'a CreateLaunchConfigurationInput),
    /// An Auto Scaling group.
    Group(&'a CreateAutoScalingGroupInput),
}

/// An operation whose replies come in pages linked by `NextToken`.
pub trait Paginated: Operation + Clone {
    /// One listed item.
    type Item;
    /// Sets the token of the page to ask for.
    fn set_next_token(&mut self, token: Option<String>);
    /// The token of the next page, if the reply has one.
    fn next_token(output: &Self::Output) -> Option<&str>;
    /// The page's items.
    fn into_items(output: Self::Output) -> Vec<Self::Item>;
}

macro_rules! operation {
    ($input:ty => $name:literal, $output:ty) => {
        impl Operation for $input {
            const NAME: &'static str = $name;
            type Output = $output;
        }
    };
    ($input:ty => $name:literal, $output:ty, creates $kind:ident) => {
        impl Operation for $input {
            const NAME: &'static str = $name;
            type Output = $output;
            fn creates(&self) -> Option<Creates<'_>> {
                Some(Creates::$kind(self))
            }
        }
    };
}

macro_rules! paginated {
    ($input:ty, $output:ty, $item:ty, $items:ident) => {
        impl Paginated for $input {
            type Item = $item;
            fn set_next_token(&mut self, token: Option<String>) {
                self.next_token = token;
            }
            fn next_token(output: &$output) -> Option<&str> {
                output.next_token.as_deref().filter(|t| !t.is_empty())
            }
            fn into_items(output: $output) -> Vec<$item> {
                output.$items.unwrap_or_default()
            }
        }
    };
}

/// The reply of an operation without output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct NoOutput {}

operation!(CreateLaunchConfigurationInput => "CreateLaunchConfiguration", NoOutput, creates LaunchConfiguration);
operation!(DeleteLaunchConfigurationInput => "DeleteLaunchConfiguration", NoOutput);
operation!(DescribeLaunchConfigurationsInput => "DescribeLaunchConfigurations", DescribeLaunchConfigurationsOutput);
operation!(CreateAutoScalingGroupInput => "CreateAutoScalingGroup", NoOutput, creates Group);
operation!(UpdateAutoScalingGroupInput => "UpdateAutoScalingGroup", NoOutput);
operation!(DeleteAutoScalingGroupInput => "DeleteAutoScalingGroup", NoOutput);
operation!(DescribeAutoScalingGroupsInput => "DescribeAutoScalingGroups", DescribeAutoScalingGroupsOutput);
operation!(SetDesiredCapacityInput => "SetDesiredCapacity", NoOutput);
operation!(DescribeAutoScalingInstancesInput => "DescribeAutoScalingInstances", DescribeAutoScalingInstancesOutput);
operation!(TerminateInstanceInAutoScalingGroupInput => "TerminateInstanceInAutoScalingGroup", TerminateInstanceInAutoScalingGroupOutput);
operation!(CreateOrUpdateTagsInput => "CreateOrUpdateTags", NoOutput);
operation!(DeleteTagsInput => "DeleteTags", NoOutput);
operation!(DescribeTagsInput => "DescribeTags", DescribeTagsOutput);
operation!(DescribeScalingActivitiesInput => "DescribeScalingActivities", DescribeScalingActivitiesOutput);

paginated!(
    DescribeLaunchConfigurationsInput,
    DescribeLaunchConfigurationsOutput,
    LaunchConfiguration,
    launch_configurations
);
paginated!(
    DescribeAutoScalingGroupsInput,
    DescribeAutoScalingGroupsOutput,
    AutoScalingGroup,
    auto_scaling_groups
);
paginated!(
    DescribeAutoScalingInstancesInput,
    DescribeAutoScalingInstancesOutput,
    AutoScalingInstanceDetails,
    auto_scaling_instances
);
paginated!(DescribeTagsInput, DescribeTagsOutput, TagDescription, tags);
paginated!(
    DescribeScalingActivitiesInput,
    DescribeScalingActivitiesOutput,
    Activity,
    activities
);
