//! DescribeAccountLimits, DescribeAccountSettings, PutAccountSetting: the account as each key
//! (owner) sees it.
//!
//! Limits: the quotas on groups and launch configurations are the endpoint's settings (AWS's
//! defaults, 200 and 200; `phantom serve --max-groups`, `--max-launch-configurations`) and are
//! enforced per key by CreateAutoScalingGroup and CreateLaunchConfiguration
//! (`rows::account`), so the numbers shown are the numbers enforced.
//!
//! Settings: AWS's model and documentation name one account setting, `launchBeforeTerminate`
//! (`enabled` or `disabled`, enforcement type `none`: it may always be changed). A key's value is
//! stored (a state file keeps it) and shown; the default here is `disabled`. What the setting
//! changes on AWS (replacements launched before the instance they replace ends) needs no switch
//! here: a replacement and its termination happen in the same transaction. An unknown name or
//! value is a `ValidationError` (texts ours: AWS's reference gives none).

use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::types::{
    AccountSetting, DescribeAccountLimitsInput, DescribeAccountLimitsOutput,
    DescribeAccountSettingsInput, DescribeAccountSettingsOutput, PutAccountSettingInput,
    PutAccountSettingOutput,
};
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::{Ctx, Handle};
use crate::server::paginate::PageRequest;
use crate::server::rows::account::{group_count, launch_configuration_count};
use crate::server::store::Cached;

/// The account settings AWS defines: name, the values it takes, the default.
const SETTINGS: &[(&str, &[&str], &str)] = &[(
    "launchBeforeTerminate",
    &["enabled", "disabled"],
    "disabled",
)];

fn saturate(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// `DescribeAccountLimits`.
impl Handle for DescribeAccountLimitsInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeAccountLimitsOutput, ApiError> {
        let quotas = ctx.settings.quotas;
        Ok(DescribeAccountLimitsOutput {
            max_number_of_auto_scaling_groups: Some(saturate(i64::from(quotas.max_groups))),
            max_number_of_launch_configurations: Some(saturate(i64::from(
                quotas.max_launch_configurations,
            ))),
            number_of_auto_scaling_groups: Some(saturate(group_count(tx, ctx.owner)?)),
            number_of_launch_configurations: Some(saturate(launch_configuration_count(
                tx, ctx.owner,
            )?)),
        })
    }
}

fn unknown_setting(name: &str) -> ApiError {
    ApiError::validation(format!(
        "Account setting {} is not valid; valid settings are {}.",
        shorten(name),
        SETTINGS
            .iter()
            .map(|(n, _, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// `DescribeAccountSettings`: every setting (or the one named), with the key's value.
impl Handle for DescribeAccountSettingsInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeAccountSettingsOutput, ApiError> {
        let page = PageRequest::new(
            "DescribeAccountSettings",
            self.max_records,
            self.next_token.as_deref(),
            50,
        )?;
        if let Some(name) = &self.name
            && !SETTINGS.iter().any(|(n, _, _)| n == name)
        {
            return Err(unknown_setting(name));
        }
        let mut items = Vec::new();
        for (name, _, default) in SETTINGS {
            if self.name.as_deref().is_some_and(|asked| asked != *name) {
                continue;
            }
            let value: Option<String> = tx
                .query_row_cached(
                    "SELECT value FROM account_settings WHERE owner = ?1 AND name = ?2",
                    params![ctx.owner, name],
                    |r| r.get(0),
                )
                .optional()?;
            items.push((
                name.to_string(),
                AccountSetting {
                    name: Some(name.to_string()),
                    value: Some(value.unwrap_or_else(|| default.to_string())),
                    enforcement_type: Some("none".to_string()),
                    ..Default::default()
                },
            ));
        }
        let (settings, next_token) = page.take(items);
        Ok(DescribeAccountSettingsOutput {
            settings: Some(settings),
            next_token,
        })
    }
}

/// `PutAccountSetting`.
impl Handle for PutAccountSettingInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<PutAccountSettingOutput, ApiError> {
        let (name, values, _) = SETTINGS
            .iter()
            .find(|(n, _, _)| *n == self.name)
            .ok_or_else(|| unknown_setting(&self.name))?;
        if !values.contains(&self.value.as_str()) {
            return Err(ApiError::validation(format!(
                "Value {} is not valid for account setting {name}; valid values are {}.",
                shorten(&self.value),
                values.join(", ")
            )));
        }
        tx.execute_cached(
            "INSERT INTO account_settings (owner, name, value) VALUES (?1, ?2, ?3) \
             ON CONFLICT (owner, name) DO UPDATE SET value = excluded.value",
            params![ctx.owner, name, self.value],
        )?;
        Ok(PutAccountSettingOutput {})
    }
}
