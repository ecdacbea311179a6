//! CreateLaunchTemplate, CreateLaunchTemplateVersion, DescribeLaunchTemplates,
//! DescribeLaunchTemplateVersions, ModifyLaunchTemplate, DeleteLaunchTemplate,
//! DeleteLaunchTemplateVersions: launch templates and their numbered versions.
//!
//! Rules (EC2 API reference): a name is unique per owner
//! (`InvalidLaunchTemplateName.AlreadyExistsException`, "Launch template name already in use.");
//! versions are numbered from 1, the first is the default; `$Latest` and `$Default` name the
//! latest and the default; a new version may start from `SourceVersion`'s data, the given data
//! replacing what it names; `ModifyLaunchTemplate` moves the default; the default version cannot
//! be deleted by DeleteLaunchTemplateVersions (per-version results, at most 200 per call);
//! a missing template is `InvalidLaunchTemplateName.NotFoundException` or
//! `InvalidLaunchTemplateId.NotFound`, a missing version
//! `InvalidLaunchTemplateId.VersionNotFound`.

use rusqlite::{Transaction, params};

use crate::ec2::types::*;
use crate::server::ec2::rows::{
    self, TemplateRef, TemplateRow, ec2_error, require_template, template_ref,
};
use crate::server::ec2::{Handle, page, passes, tag_values};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::timestamp;
use crate::server::ops::Ctx;
use crate::server::store::Cached;

/// The most versions one DeleteLaunchTemplateVersions call may name (AWS's limit).
const MAX_DELETED_VERSIONS: usize = 200;

/// Checks a template name as EC2 does: 3 to 128 letters, digits and `( ) . - / _`.
fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = (3..=128).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "().-/_".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ec2_error(
            "InvalidLaunchTemplateName.MalformedException",
            "A launch template name must be between 3 and 128 characters, and may contain \
             letters, numbers, and the following characters: - ( ) . / _.",
        ))
    }
}

/// AWS's error for a version a template does not have.
fn version_not_found(t: &TemplateRow, given: &str) -> ApiError {
    ec2_error(
        "InvalidLaunchTemplateId.VersionNotFound",
        format!(
            "Could not find launch template version {} of launch template {}.",
            shorten(given),
            t.id
        ),
    )
}

impl Handle for CreateLaunchTemplateInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<CreateLaunchTemplateOutput, ApiError> {
        let name = self.launch_template_name;
        check_name(&name)?;
        if rows::load_template(tx, ctx.owner, &TemplateRef::Name(&name))?.is_some() {
            return Err(ec2_error(
                "InvalidLaunchTemplateName.AlreadyExistsException",
                "Launch template name already in use.",
            ));
        }
        let tags = rows::tags_for(self.tag_specifications.as_deref(), "launch-template")?;
        let data = rows::response_data(&self.launch_template_data)?;
        let id = rows::new_id("lt");
        let t = TemplateRow {
            id: id.clone(),
            doc: LaunchTemplate {
                launch_template_id: Some(id.clone()),
                launch_template_name: Some(name.clone()),
                create_time: Some(timestamp(ctx.now)),
                created_by: Some(format!("arn:aws:iam::{}:root", ctx.settings.account_id)),
                default_version_number: Some(1),
                latest_version_number: Some(1),
                tags: (!tags.is_empty()).then_some(tags),
                ..Default::default()
            },
        };
        tx.execute_cached(
            "INSERT INTO launch_templates (owner, id, name, doc) VALUES (?1, ?2, ?3, ?4)",
            params![ctx.owner, id, name, serde_json::to_string(&t.doc)?],
        )?;
        rows::insert_version(ctx, tx, &t, 1, self.version_description, data)?;
        Ok(CreateLaunchTemplateOutput {
            launch_template: Some(t.doc),
            warning: None,
        })
    }
}

/// Merges a new version's data over its source's: each member the request gives replaces the
/// source's (EC2: "any parameters that you specify in LaunchTemplateData override the same
/// parameters in the source version").
fn merged(
    source: Option<ResponseLaunchTemplateData>,
    given: ResponseLaunchTemplateData,
) -> Result<ResponseLaunchTemplateData, ApiError> {
    let Some(source) = source else {
        return Ok(given);
    };
    let mut base = serde_json::to_value(source)?;
    if let (Some(base), serde_json::Value::Object(top)) =
        (base.as_object_mut(), serde_json::to_value(given)?)
    {
        base.extend(top);
    }
    Ok(serde_json::from_value(base)?)
}

impl Handle for CreateLaunchTemplateVersionInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<CreateLaunchTemplateVersionOutput, ApiError> {
        let which = template_ref(
            self.launch_template_id.as_deref(),
            self.launch_template_name.as_deref(),
        )?;
        let mut t = require_template(tx, ctx.owner, &which)?;
        let source = match self.source_version.as_deref() {
            Some(given) => {
                let n =
                    rows::version_number(&t, given).ok_or_else(|| version_not_found(&t, given))?;
                let v = rows::load_version(tx, ctx.owner, &t.id, n)?
                    .ok_or_else(|| version_not_found(&t, given))?;
                v.launch_template_data
            }
            None => None,
        };
        let data = merged(source, rows::response_data(&self.launch_template_data)?)?;
        let number = t.latest_version() + 1;
        t.doc.latest_version_number = Some(number);
        rows::save_template(tx, ctx.owner, &t)?;
        let version = rows::insert_version(ctx, tx, &t, number, self.version_description, data)?;
        Ok(CreateLaunchTemplateVersionOutput {
            launch_template_version: Some(version),
            warning: None,
        })
    }
}

/// All of the owner's templates, by name.
fn all_templates(tx: &Transaction<'_>, owner: &str) -> Result<Vec<TemplateRow>, ApiError> {
    let mut stmt =
        tx.prepare_cached("SELECT id, doc FROM launch_templates WHERE owner = ?1 ORDER BY name")?;
    let rows = stmt
        .query_map(params![owner], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, doc)| {
            Ok(TemplateRow {
                id,
                doc: serde_json::from_str(&doc)?,
            })
        })
        .collect()
}

impl Handle for DescribeLaunchTemplatesInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeLaunchTemplatesOutput, ApiError> {
        let ids = self.launch_template_ids.unwrap_or_default();
        let names = self.launch_template_names.unwrap_or_default();
        let all = all_templates(tx, ctx.owner)?;
        if let Some(id) = ids.iter().find(|id| !all.iter().any(|t| &t.id == *id)) {
            return Err(rows::template_not_found(&TemplateRef::Id(id)));
        }
        if names.iter().any(|n| !all.iter().any(|t| t.name() == n)) {
            return Err(ec2_error(
                "InvalidLaunchTemplateName.NotFoundException",
                "At least one of the launch templates specified in the request does not exist.",
            ));
        }
        let filters = self.filters.unwrap_or_default();
        let mut chosen = Vec::new();
        for t in all {
            let named = (ids.is_empty() && names.is_empty())
                || ids.contains(&t.id)
                || names.iter().any(|n| n == t.name());
            let values = |name: &str| match name {
                "launch-template-name" => Some(vec![t.name().to_string()]),
                "create-time" => Some(
                    t.doc
                        .create_time
                        .as_ref()
                        .and_then(|c| serde_json::to_value(c).ok())
                        .and_then(|v| v.as_str().map(str::to_string))
                        .into_iter()
                        .collect(),
                ),
                _ => tag_values(name, t.doc.tags.as_deref().unwrap_or_default()),
            };
            if named && passes(&filters, &values)? {
                chosen.push(t.doc);
            }
        }
        let (launch_templates, next_token) =
            page(chosen, self.max_results, self.next_token.as_deref())?;
        Ok(DescribeLaunchTemplatesOutput {
            launch_templates: Some(launch_templates),
            next_token,
        })
    }
}

impl Handle for DescribeLaunchTemplateVersionsInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeLaunchTemplateVersionsOutput, ApiError> {
        let given = self.versions.unwrap_or_default();
        let templates = if self.launch_template_id.is_none() && self.launch_template_name.is_none()
        {
            // Without a template, AWS describes `$Latest` / `$Default` of every template.
            if given.is_empty() || given.iter().any(|v| v != "$Latest" && v != "$Default") {
                return Err(ec2_error(
                    "MissingParameter",
                    "You must specify either the launch template ID or the launch template \
                     name, or only the versions $Latest and $Default.",
                ));
            }
            all_templates(tx, ctx.owner)?
        } else {
            let which = template_ref(
                self.launch_template_id.as_deref(),
                self.launch_template_name.as_deref(),
            )?;
            vec![require_template(tx, ctx.owner, &which)?]
        };
        let bound = |b: Option<&str>, t: &TemplateRow| -> Result<Option<i64>, ApiError> {
            b.map(|b| rows::version_number(t, b).ok_or_else(|| version_not_found(t, b)))
                .transpose()
        };
        let filters = self.filters.unwrap_or_default();
        let mut chosen = Vec::new();
        for t in &templates {
            let min = bound(self.min_version.as_deref(), t)?;
            let max = bound(self.max_version.as_deref(), t)?;
            let mut wanted: Vec<i64> = Vec::new();
            for v in &given {
                let n = rows::version_number(t, v).ok_or_else(|| version_not_found(t, v))?;
                if templates.len() == 1 && rows::load_version(tx, ctx.owner, &t.id, n)?.is_none() {
                    return Err(version_not_found(t, v));
                }
                wanted.push(n);
            }
            for v in rows::versions(tx, ctx.owner, &t.id)? {
                let n = v.version_number.unwrap_or(0);
                let data = v.launch_template_data.clone().unwrap_or_default();
                let values = |name: &str| -> Option<Vec<String>> {
                    let one = |s: &Option<String>| s.iter().cloned().collect();
                    Some(match name {
                        "image-id" => one(&data.image_id),
                        "instance-type" => one(&data.instance_type),
                        "key-name" => one(&data.key_name),
                        "is-default-version" => {
                            vec![(n == t.default_version()).to_string()]
                        }
                        _ => return None,
                    })
                };
                if (wanted.is_empty() || wanted.contains(&n))
                    && min.is_none_or(|m| n >= m)
                    && max.is_none_or(|m| n <= m)
                    && passes(&filters, &values)?
                {
                    chosen.push(LaunchTemplateVersion {
                        default_version: Some(n == t.default_version()),
                        ..v
                    });
                }
            }
        }
        let (launch_template_versions, next_token) =
            page(chosen, self.max_results, self.next_token.as_deref())?;
        Ok(DescribeLaunchTemplateVersionsOutput {
            launch_template_versions: Some(launch_template_versions),
            next_token,
        })
    }
}

impl Handle for ModifyLaunchTemplateInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<ModifyLaunchTemplateOutput, ApiError> {
        let which = template_ref(
            self.launch_template_id.as_deref(),
            self.launch_template_name.as_deref(),
        )?;
        let mut t = require_template(tx, ctx.owner, &which)?;
        if let Some(given) = self.default_version.as_deref() {
            let n = rows::version_number(&t, given).ok_or_else(|| version_not_found(&t, given))?;
            if rows::load_version(tx, ctx.owner, &t.id, n)?.is_none() {
                return Err(version_not_found(&t, given));
            }
            t.doc.default_version_number = Some(n);
            rows::save_template(tx, ctx.owner, &t)?;
        }
        Ok(ModifyLaunchTemplateOutput {
            launch_template: Some(t.doc),
        })
    }
}

impl Handle for DeleteLaunchTemplateInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DeleteLaunchTemplateOutput, ApiError> {
        let which = template_ref(
            self.launch_template_id.as_deref(),
            self.launch_template_name.as_deref(),
        )?;
        let t = require_template(tx, ctx.owner, &which)?;
        for table in ["launch_template_versions", "launch_templates"] {
            let column = if table == "launch_templates" {
                "id"
            } else {
                "template_id"
            };
            tx.execute_cached(
                &format!("DELETE FROM {table} WHERE owner = ?1 AND {column} = ?2"),
                params![ctx.owner, t.id],
            )?;
        }
        Ok(DeleteLaunchTemplateOutput {
            launch_template: Some(t.doc),
        })
    }
}

impl Handle for DeleteLaunchTemplateVersionsInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DeleteLaunchTemplateVersionsOutput, ApiError> {
        if self.versions.len() > MAX_DELETED_VERSIONS {
            return Err(ec2_error(
                "InvalidParameterValue",
                format!(
                    "You can delete up to {MAX_DELETED_VERSIONS} launch template versions in a \
                     single request."
                ),
            ));
        }
        let which = template_ref(
            self.launch_template_id.as_deref(),
            self.launch_template_name.as_deref(),
        )?;
        let t = require_template(tx, ctx.owner, &which)?;
        let mut done = Vec::new();
        let mut failed = Vec::new();
        for given in &self.versions {
            let number = given.parse::<i64>().ok().filter(|n| *n >= 1);
            let fail =
                |code: &str, message: String| DeleteLaunchTemplateVersionsResponseErrorItem {
                    launch_template_id: Some(t.id.clone()),
                    launch_template_name: Some(t.name().to_string()),
                    version_number: number,
                    response_error: Some(ResponseError {
                        code: Some(code.to_string()),
                        message: Some(message),
                    }),
                };
            let Some(n) = number else {
                failed.push(fail(
                    "launchTemplateVersionDoesNotExist",
                    format!("The version {} is not a version number.", shorten(given)),
                ));
                continue;
            };
            if n == t.default_version() {
                failed.push(fail(
                    "unexpectedError",
                    "The default version of a launch template cannot be deleted: make another \
                     version the default, or delete the launch template."
                        .to_string(),
                ));
                continue;
            }
            let deleted = tx.execute_cached(
                "DELETE FROM launch_template_versions WHERE owner = ?1 AND template_id = ?2 \
                 AND version = ?3",
                params![ctx.owner, t.id, n],
            )?;
            if deleted == 0 {
                failed.push(fail(
                    "launchTemplateVersionDoesNotExist",
                    format!("The launch template version {n} does not exist."),
                ));
                continue;
            }
            done.push(DeleteLaunchTemplateVersionsResponseSuccessItem {
                launch_template_id: Some(t.id.clone()),
                launch_template_name: Some(t.name().to_string()),
                version_number: Some(n),
            });
        }
        Ok(DeleteLaunchTemplateVersionsOutput {
            successfully_deleted_launch_template_versions: Some(done),
            unsuccessfully_deleted_launch_template_versions: Some(failed),
        })
    }
}
