//! Launch templates where launch configurations are refused (issue 12, item 3).
//!
//! AWS accounts created on or after 2024-10-01 cannot create launch configurations: Auto Scaling
//! answers CreateLaunchConfiguration with HTTP 400 `UnsupportedOperation`. This module owns the
//! one mechanism that keeps a launch-configuration caller working there: the same settings
//! written as a launch template's first version ([`template_data`]), and
//! [`create_launch_configuration_or_template`], which tries the launch configuration (unless told
//! to use templates from the start) and, on exactly that refusal, creates the template instead.
//! It sits beside the EC2 client because the template is EC2's; the CLI's `lc create` is one
//! caller, a library user another.

use crate::autoscaling;
use crate::autoscaling::types::CreateLaunchConfigurationInput;
use crate::ec2::types::{
    CreateLaunchTemplateInput, LaunchTemplate, LaunchTemplateBlockDeviceMappingRequest,
    LaunchTemplateEbsBlockDeviceRequest, LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataOptionsRequest, LaunchTemplatePlacementRequest,
    LaunchTemplatesMonitoringRequest, RequestLaunchTemplateData, Tag, TagSpecification,
};
use crate::error::{Error, Result};

/// The error code of Auto Scaling's refusal to create launch configurations.
pub const UNSUPPORTED_OPERATION: &str = "UnsupportedOperation";

/// Whether `error` is a server's `UnsupportedOperation` (what AWS answers CreateLaunchConfiguration
/// with on accounts that cannot create launch configurations).
pub fn is_unsupported_operation(error: &Error) -> bool {
    matches!(error, Error::Service(e) if e.code == UNSUPPORTED_OPERATION)
}

/// What [`create_launch_configuration_or_template`] made.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// The launch configuration, as asked.
    LaunchConfiguration {
        /// The request id of CreateLaunchConfiguration.
        request_id: Option<String>,
    },
    /// A launch template in its place (the reply's template: name, id, versions).
    LaunchTemplate {
        /// The template EC2 created.
        template: LaunchTemplate,
        /// Why: `true` when Auto Scaling refused the launch configuration
        /// (`UnsupportedOperation`), `false` when templates were asked for from the start.
        refused: bool,
        /// The request id of CreateLaunchTemplate.
        request_id: Option<String>,
    },
}

/// A launch configuration's settings as a launch template version's data: image, instance type,
/// key, security groups (ids `sg-...` as `SecurityGroupIds`, names as `SecurityGroups`), user
/// data (base64 in both), kernel, RAM disk, block devices, monitoring, EBS optimization,
/// instance profile (an ARN or a name), tenancy and metadata options. Settings a template cannot
/// hold in the same way are refused by name rather than dropped: `InstanceId` (the template needs
/// the instance's settings written out), `SpotPrice`, `AssociatePublicIpAddress` (a template
/// puts it on a network interface, which needs a subnet) and the ClassicLink members.
pub fn template_data(input: &CreateLaunchConfigurationInput) -> Result<RequestLaunchTemplateData> {
    let refused: Vec<&str> = [
        ("InstanceId", input.instance_id.is_some()),
        ("SpotPrice", input.spot_price.is_some()),
        (
            "AssociatePublicIpAddress",
            input.associate_public_ip_address.is_some(),
        ),
        ("ClassicLinkVPCId", input.classic_link_vpc_id.is_some()),
        (
            "ClassicLinkVPCSecurityGroups",
            input
                .classic_link_vpc_security_groups
                .as_ref()
                .is_some_and(|g| !g.is_empty()),
        ),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect();
    if !refused.is_empty() {
        return Err(Error::Config(format!(
            "launch configuration {}: {} cannot be carried into a launch template as given; \
             create the launch template yourself (phantom lt create)",
            input.launch_configuration_name,
            refused.join(", ")
        )));
    }
    let groups = input.security_groups.clone().unwrap_or_default();
    let (ids, names): (Vec<String>, Vec<String>) =
        groups.into_iter().partition(|g| g.starts_with("sg-"));
    let block_devices = input.block_device_mappings.as_ref().map(|mappings| {
        mappings
            .iter()
            .map(|m| LaunchTemplateBlockDeviceMappingRequest {
                device_name: m.device_name.clone(),
                virtual_name: m.virtual_name.clone(),
                // A launch configuration's `NoDevice` is a flag; a template's is the empty
                // string that suppresses the device.
                no_device: (m.no_device == Some(true)).then(String::new),
                ebs: m.ebs.as_ref().map(|e| LaunchTemplateEbsBlockDeviceRequest {
                    snapshot_id: e.snapshot_id.clone(),
                    volume_size: e.volume_size,
                    volume_type: e.volume_type.clone(),
                    delete_on_termination: e.delete_on_termination,
                    iops: e.iops,
                    encrypted: e.encrypted,
                    throughput: e.throughput,
                    ..Default::default()
                }),
            })
            .collect()
    });
    let profile = input.iam_instance_profile.as_ref().map(|p| {
        if p.starts_with("arn:") {
            LaunchTemplateIamInstanceProfileSpecificationRequest {
                arn: Some(p.clone()),
                name: None,
            }
        } else {
            LaunchTemplateIamInstanceProfileSpecificationRequest {
                arn: None,
                name: Some(p.clone()),
            }
        }
    });
    let metadata =
        input
            .metadata_options
            .as_ref()
            .map(|m| LaunchTemplateInstanceMetadataOptionsRequest {
                http_tokens: m.http_tokens.clone(),
                http_put_response_hop_limit: m.http_put_response_hop_limit,
                http_endpoint: m.http_endpoint.clone(),
                ..Default::default()
            });
    Ok(RequestLaunchTemplateData {
        image_id: input.image_id.clone(),
        instance_type: input.instance_type.clone(),
        key_name: input.key_name.clone().filter(|k| !k.is_empty()),
        security_group_ids: (!ids.is_empty()).then_some(ids),
        security_groups: (!names.is_empty()).then_some(names),
        user_data: input.user_data.clone().filter(|u| !u.is_empty()),
        kernel_id: input.kernel_id.clone(),
        ram_disk_id: input.ramdisk_id.clone(),
        block_device_mappings: block_devices,
        monitoring: input
            .instance_monitoring
            .as_ref()
            .map(|m| LaunchTemplatesMonitoringRequest {
                enabled: m.enabled,
                ..Default::default()
            }),
        ebs_optimized: input.ebs_optimized,
        iam_instance_profile: profile,
        placement: input
            .placement_tenancy
            .as_ref()
            .map(|t| LaunchTemplatePlacementRequest {
                tenancy: Some(t.clone()),
                ..Default::default()
            }),
        metadata_options: metadata,
        ..Default::default()
    })
}

/// Creates launch template `name` with `input`'s settings ([`template_data`]), tagged with `tags`
/// (on the template itself) when any are given.
pub async fn create_template_for(
    ec2: &super::Client,
    name: &str,
    input: &CreateLaunchConfigurationInput,
    tags: Vec<Tag>,
) -> Result<(LaunchTemplate, Option<String>)> {
    let request = CreateLaunchTemplateInput {
        launch_template_name: name.to_string(),
        launch_template_data: template_data(input)?,
        tag_specifications: (!tags.is_empty()).then(|| {
            vec![TagSpecification {
                resource_type: Some("launch-template".into()),
                tags: Some(tags),
            }]
        }),
        ..Default::default()
    };
    let reply = ec2.send(&request).await?;
    let template = reply
        .output
        .launch_template
        .unwrap_or_else(|| LaunchTemplate {
            launch_template_name: Some(name.to_string()),
            ..Default::default()
        });
    Ok((template, reply.request_id))
}

/// Creates the launch configuration `input` describes, or, when `templates_first` or when Auto
/// Scaling refuses it with `UnsupportedOperation`, launch template `template_name` with the
/// same settings (tagged with `tags`). Any other error is returned as it came: only that one
/// refusal means "this account has no launch configurations".
pub async fn create_launch_configuration_or_template(
    autoscaling: &autoscaling::Client,
    ec2: &super::Client,
    input: &CreateLaunchConfigurationInput,
    template_name: &str,
    tags: Vec<Tag>,
    templates_first: bool,
) -> Result<Created> {
    if !templates_first {
        match autoscaling.send(input).await {
            Ok(reply) => {
                return Ok(Created::LaunchConfiguration {
                    request_id: reply.request_id,
                });
            }
            Err(e) if is_unsupported_operation(&e) => {}
            Err(e) => return Err(e),
        }
    }
    let (template, request_id) = create_template_for(ec2, template_name, input, tags).await?;
    Ok(Created::LaunchTemplate {
        template,
        refused: !templates_first,
        request_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autoscaling::types::{BlockDeviceMapping, Ebs, InstanceMonitoring};

    fn lc() -> CreateLaunchConfigurationInput {
        CreateLaunchConfigurationInput {
            launch_configuration_name: "web".into(),
            image_id: Some("ami-1".into()),
            instance_type: Some("t3.micro".into()),
            key_name: Some("k".into()),
            security_groups: Some(vec!["sg-0a".into(), "default".into()]),
            user_data: Some("aGk=".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_launch_configuration_becomes_template_data() {
        let mut input = lc();
        input.iam_instance_profile = Some("arn:aws:iam::1:instance-profile/p".into());
        input.instance_monitoring = Some(InstanceMonitoring {
            enabled: Some(false),
        });
        input.block_device_mappings = Some(vec![
            BlockDeviceMapping {
                device_name: Some("/dev/sda1".into()),
                ebs: Some(Ebs {
                    volume_size: Some(8),
                    ..Default::default()
                }),
                ..Default::default()
            },
            BlockDeviceMapping {
                device_name: Some("/dev/sdb".into()),
                no_device: Some(true),
                ..Default::default()
            },
        ]);
        let data = template_data(&input).unwrap();
        assert_eq!(data.image_id.as_deref(), Some("ami-1"));
        assert_eq!(data.instance_type.as_deref(), Some("t3.micro"));
        assert_eq!(data.key_name.as_deref(), Some("k"));
        assert_eq!(data.security_group_ids, Some(vec!["sg-0a".to_string()]));
        assert_eq!(data.security_groups, Some(vec!["default".to_string()]));
        assert_eq!(data.user_data.as_deref(), Some("aGk="));
        assert_eq!(
            data.iam_instance_profile.unwrap().arn.as_deref(),
            Some("arn:aws:iam::1:instance-profile/p")
        );
        assert_eq!(data.monitoring.unwrap().enabled, Some(false));
        let devices = data.block_device_mappings.unwrap();
        assert_eq!(devices[0].ebs.as_ref().unwrap().volume_size, Some(8));
        assert_eq!(devices[1].no_device.as_deref(), Some(""));
    }

    #[test]
    fn settings_a_template_cannot_hold_are_named_not_dropped() {
        let mut input = lc();
        input.spot_price = Some("0.1".into());
        input.associate_public_ip_address = Some(true);
        let e = template_data(&input).unwrap_err().to_string();
        assert!(
            e.contains("SpotPrice, AssociatePublicIpAddress") && e.contains("web"),
            "{e}"
        );
    }
}
