//! CreateLaunchConfiguration, DeleteLaunchConfiguration, DescribeLaunchConfigurations.
//!
//! A launch configuration is stored as the JSON of the API's `LaunchConfiguration` shape, filled
//! in at creation with what AWS reports for unset members (empty lists, monitoring on), so
//! Describe returns exactly what was stored. Rules: a duplicate name is `AlreadyExists`; a
//! `name@site` must name a known site; deleting one a group uses is `ResourceInUse`. With
//! `phantom serve --no-launch-configurations` creation is refused as AWS refuses it on accounts
//! created on or after 2024-10-01 (400 `UnsupportedOperation`, AWS's text); the other two still
//! answer, as they do on such an account. Under the Phantom dialect a name needs `@site` (any
//! site), user data must be base64, and a launch configuration in use may be deleted
//! (`crate::server::phantom::rules`).

use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::NoOutput;
use crate::autoscaling::types::{
    CreateLaunchConfigurationInput, DeleteLaunchConfigurationInput,
    DescribeLaunchConfigurationsInput, DescribeLaunchConfigurationsOutput, InstanceMonitoring,
    LaunchConfiguration,
};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::timestamp;
use crate::server::ops::{Ctx, Handle, arn};
use crate::server::paginate::{PageRequest, check_names};
use crate::server::phantom;
use crate::server::rows::launch_configurations::{load, not_found};
use crate::server::sites;
use crate::server::store::Cached;

/// What AWS answers CreateLaunchConfiguration with on an account that cannot create launch
/// configurations (AWS's text, word for word).
pub const NO_LAUNCH_CONFIGURATIONS: &str = "The Launch Configuration creation operation is not \
    available in your account. Use launch templates to create configuration templates for your \
    Auto Scaling groups.";

/// `CreateLaunchConfiguration`.
impl Handle for CreateLaunchConfigurationInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        if ctx.settings.no_launch_configurations {
            return Err(ApiError {
                status: 400,
                code: "UnsupportedOperation",
                message: NO_LAUNCH_CONFIGURATIONS.into(),
            });
        }
        let input = self;
        let name = input.launch_configuration_name;
        if ctx.settings.phantom() {
            // Any site is taken; one this endpoint does not offer fails its instances.
            phantom::rules::check_lc_name(&name)?;
            for (member, given) in [
                ("ImageId", input.image_id.is_some()),
                ("InstanceType", input.instance_type.is_some()),
            ] {
                if !given {
                    return Err(ApiError::with_status(
                        400,
                        "MissingParameter",
                        format!("parameter {member} missing"),
                    ));
                }
            }
            phantom::rules::check_user_data(input.user_data.as_deref())?;
            if load(tx, ctx.owner, &name)?.is_some() {
                return Err(ApiError::already_exists("Name already in use"));
            }
        }
        sites::check(&name, &ctx.settings.sites).or_else(|e| match ctx.settings.phantom() {
            true => Ok(()),
            false => Err(e),
        })?;
        if load(tx, ctx.owner, &name)?.is_some() {
            return Err(ApiError::already_exists(format!(
                "Launch Configuration by this name already exists - A launch configuration already \
             exists with the name {}",
                shorten(&name)
            )));
        }
        crate::server::rows::account::check_new_launch_configuration(ctx, tx)?;
        if input.instance_id.is_none() && input.image_id.is_some() && input.instance_type.is_none()
        {
            return Err(ApiError::validation(
                "Valid requests must contain either the InstanceType or the InstanceId parameter.",
            ));
        }
        let (image_id, instance_type) = match (input.image_id, input.instance_id) {
            (Some(image), _) => (image, input.instance_type),
            (None, Some(instance)) => {
                let row: Option<(String, String)> = tx
                .query_row_cached(
                    "SELECT image_id, instance_type FROM instances WHERE owner = ?1 AND id = ?2",
                    params![ctx.owner, instance],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
                let (image, itype) = row.ok_or_else(|| {
                    ApiError::validation(format!("Invalid instance id: {}", shorten(&instance)))
                })?;
                (image, input.instance_type.or(Some(itype)))
            }
            (None, None) => {
                return Err(ApiError::validation(
                    "Valid requests must contain either the ImageId or the InstanceId parameter.",
                ));
            }
        };
        let lc = LaunchConfiguration {
            launch_configuration_name: Some(name.clone()),
            launch_configuration_arn: Some(arn(
                ctx.settings,
                "launchConfiguration",
                "launchConfigurationName",
                &name,
            )),
            image_id: Some(image_id),
            key_name: Some(input.key_name.unwrap_or_default()),
            security_groups: Some(input.security_groups.unwrap_or_default()),
            classic_link_vpc_security_groups: Some(
                input.classic_link_vpc_security_groups.unwrap_or_default(),
            ),
            classic_link_vpc_id: input.classic_link_vpc_id,
            user_data: Some(input.user_data.unwrap_or_default()),
            instance_type: Some(instance_type.unwrap_or_else(|| "m1.small".to_string())),
            kernel_id: Some(input.kernel_id.unwrap_or_default()),
            ramdisk_id: Some(input.ramdisk_id.unwrap_or_default()),
            block_device_mappings: Some(input.block_device_mappings.unwrap_or_default()),
            instance_monitoring: Some(input.instance_monitoring.unwrap_or(InstanceMonitoring {
                enabled: Some(true),
            })),
            spot_price: input.spot_price,
            iam_instance_profile: input.iam_instance_profile,
            created_time: Some(timestamp(ctx.now)),
            ebs_optimized: Some(input.ebs_optimized.unwrap_or(false)),
            associate_public_ip_address: input.associate_public_ip_address,
            placement_tenancy: input.placement_tenancy,
            metadata_options: input.metadata_options,
        };
        tx.execute_cached(
            "INSERT INTO launch_configurations (owner, name, doc) VALUES (?1, ?2, ?3)",
            params![ctx.owner, name, serde_json::to_string(&lc)?],
        )?;
        Ok(NoOutput {})
    }
}

/// `DeleteLaunchConfiguration`.
impl Handle for DeleteLaunchConfigurationInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let input = self;
        let name = input.launch_configuration_name;
        if load(tx, ctx.owner, &name)?.is_none() {
            return Err(not_found(&name));
        }
        let user: Option<String> = tx
            .query_row_cached(
                "SELECT name FROM groups WHERE owner = ?1 AND lc_ref = ?2 ORDER BY name LIMIT 1",
                params![ctx.owner, name],
                |r| r.get(0),
            )
            .optional()?;
        // Phantom deleted a launch configuration its domains still used (they keep running).
        if let Some(group) = user.filter(|_| !ctx.settings.phantom()) {
            return Err(ApiError::in_use(format!(
                "Cannot delete launch configuration {} because it is attached to AutoScalingGroup {}",
                shorten(&name),
                shorten(&group)
            )));
        }
        tx.execute_cached(
            "DELETE FROM launch_configurations WHERE owner = ?1 AND name = ?2",
            params![ctx.owner, name],
        )?;
        Ok(NoOutput {})
    }
}

/// `DescribeLaunchConfigurations`.
impl Handle for DescribeLaunchConfigurationsInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeLaunchConfigurationsOutput, ApiError> {
        let input = self;
        check_names(
            "LaunchConfigurationNames",
            input.launch_configuration_names.as_ref(),
        )?;
        let page = PageRequest::new(
            "DescribeLaunchConfigurations",
            input.max_records,
            input.next_token.as_deref(),
            50,
        )?;
        let wanted = input.launch_configuration_names.filter(|n| !n.is_empty());
        let mut stmt = tx.prepare_cached(
            "SELECT name, doc FROM launch_configurations WHERE owner = ?1 ORDER BY name",
        )?;
        let rows = stmt.query_map(params![ctx.owner], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut items = Vec::new();
        for row in rows {
            let (name, doc) = row?;
            if wanted.as_ref().is_some_and(|w| !w.contains(&name)) {
                continue;
            }
            let lc: LaunchConfiguration = serde_json::from_str(&doc)?;
            items.push((name, lc));
        }
        let (launch_configurations, next_token) = page.take(items);
        Ok(DescribeLaunchConfigurationsOutput {
            launch_configurations: Some(launch_configurations),
            next_token,
        })
    }
}
