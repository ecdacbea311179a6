//! `phantom lt ...`: EC2 launch templates (create, list, versions, update, delete), the modern
//! replacement of launch configurations (issue 12). Its clap structs and its commands live here,
//! over [`crate::ec2::Client`] at the EC2 endpoint the configuration resolves
//! ([`ResolvedConfig::ec2_transport`]).

use std::path::PathBuf;

use base64::Engine;
use clap::{Args, Subcommand};
use futures_util::StreamExt;

use super::args::GlobalArgs;
use super::output::Printer;
use crate::config::ResolvedConfig;
use crate::ec2::Client;
use crate::ec2::types::*;
use crate::error::Error;

/// `phantom lt ...`
#[derive(Debug, Subcommand)]
pub enum LtCommand {
    /// Create a launch template (its version 1, the default).
    #[command(
        after_help = "Example:\n  phantom lt create web ami-0abcdef1234567890 --instance-type t3.micro --security-groups default"
    )]
    Create(LtCreateArgs),
    /// List launch templates: name, id, default and latest version.
    #[command(after_help = "Example:\n  phantom lt list")]
    List(LtListArgs),
    /// List a launch template's versions: number, default mark, image, instance type.
    #[command(after_help = "Example:\n  phantom lt versions web")]
    Versions(LtNameArgs),
    /// Add a version to a launch template (the latest version's settings, changed as asked).
    #[command(after_help = "Example:\n  phantom lt update web --instance-type t3.small --default")]
    Update(LtUpdateArgs),
    /// Delete a launch template and all its versions.
    #[command(after_help = "Example:\n  phantom lt delete web")]
    Delete(LtNameArgs),
}

/// The settings of a launch template version.
#[derive(Debug, Args)]
pub struct LtSettings {
    /// Instance type.
    #[arg(long)]
    pub instance_type: Option<String>,
    /// Key pair name.
    #[arg(long)]
    pub key_name: Option<String>,
    /// Security groups, comma-separated: ids (sg-...) or names.
    #[arg(long, value_delimiter = ',')]
    pub security_groups: Vec<String>,
    /// File whose contents become the user data (sent base64-encoded).
    #[arg(long, value_name = "FILE")]
    pub user_data: Option<PathBuf>,
}

/// Arguments of `lt create`.
#[derive(Debug, Args)]
pub struct LtCreateArgs {
    /// Launch template name.
    pub name: String,
    /// Image (AMI id).
    pub image: String,
    /// What the version sets besides the image.
    #[command(flatten)]
    pub settings: LtSettings,
}

/// Arguments of `lt list`.
#[derive(Debug, Args)]
pub struct LtListArgs {
    /// Names to show (all when none).
    pub names: Vec<String>,
}

/// A launch template's name.
#[derive(Debug, Args)]
pub struct LtNameArgs {
    /// Launch template name.
    pub name: String,
}

/// Arguments of `lt update`.
#[derive(Debug, Args)]
pub struct LtUpdateArgs {
    /// Launch template name.
    pub name: String,
    /// A new image (AMI id).
    #[arg(long)]
    pub image: Option<String>,
    /// What the new version changes.
    #[command(flatten)]
    pub settings: LtSettings,
    /// Make the new version the default.
    #[arg(long)]
    pub default: bool,
}

/// Runs an `lt` command.
pub async fn execute(
    global: &GlobalArgs,
    config: &ResolvedConfig,
    command: LtCommand,
) -> Result<(), Error> {
    let transport = config.ec2_transport()?;
    super::warn_if_unverified(config);
    if global.debug {
        eprintln!("[debug] EC2 at {}", transport.endpoint);
    }
    let client = Client::new(transport)?.with_max_pages(global.max_pages as usize);
    let mut printer = Printer::new(&super::output::Output::of(global), config.dialect);
    match command {
        LtCommand::Create(a) => {
            let mut data = a.settings.data()?;
            data.image_id = Some(a.image);
            let out = client
                .create_launch_template(&CreateLaunchTemplateInput {
                    launch_template_name: a.name,
                    launch_template_data: data,
                    ..Default::default()
                })
                .await?;
            printer.json(&out)?;
        }
        LtCommand::List(a) => {
            printer.begin_list("LaunchTemplates")?;
            let input = DescribeLaunchTemplatesInput {
                launch_template_names: (!a.names.is_empty()).then_some(a.names),
                ..Default::default()
            };
            let mut items = Box::pin(client.items(input));
            while let Some(t) = items.next().await {
                let t = t?;
                printer.list_item(&t)?;
                printer.line(&format!(
                    "{} {} default {} latest {}",
                    t.launch_template_name.as_deref().unwrap_or("-"),
                    t.launch_template_id.as_deref().unwrap_or("-"),
                    shown(t.default_version_number),
                    shown(t.latest_version_number),
                ))?;
            }
        }
        LtCommand::Versions(a) => {
            printer.begin_list("LaunchTemplateVersions")?;
            let mut versions: Vec<LaunchTemplateVersion> = Vec::new();
            let mut items = Box::pin(client.items(DescribeLaunchTemplateVersionsInput {
                launch_template_name: Some(a.name),
                ..Default::default()
            }));
            while let Some(v) = items.next().await {
                versions.push(v?);
            }
            versions.sort_by_key(|v| v.version_number);
            for v in &versions {
                printer.list_item(v)?;
                let data = v.launch_template_data.as_ref();
                printer.line(&format!(
                    "{}{} {} {}",
                    shown(v.version_number),
                    if v.default_version == Some(true) {
                        " (default)"
                    } else {
                        ""
                    },
                    data.and_then(|d| d.image_id.as_deref()).unwrap_or("-"),
                    data.and_then(|d| d.instance_type.as_deref()).unwrap_or("-"),
                ))?;
            }
        }
        LtCommand::Update(a) => {
            let mut data = a.settings.data()?;
            data.image_id = a.image;
            let version = client
                .create_launch_template_version(&CreateLaunchTemplateVersionInput {
                    launch_template_name: Some(a.name.clone()),
                    source_version: Some("$Latest".into()),
                    launch_template_data: data,
                    ..Default::default()
                })
                .await?
                .launch_template_version
                .unwrap_or_default();
            let number = version.version_number.ok_or_else(|| Error::Parse {
                operation: "CreateLaunchTemplateVersion".into(),
                status: 200,
                request_id: None,
                message: "the reply names no version number".into(),
            })?;
            if a.default {
                client
                    .modify_launch_template(&ModifyLaunchTemplateInput {
                        launch_template_name: Some(a.name),
                        default_version: Some(number.to_string()),
                        ..Default::default()
                    })
                    .await?;
            }
            printer.json(&version)?;
            printer.line(&number.to_string())?;
        }
        LtCommand::Delete(a) => {
            let out = client
                .delete_launch_template(&DeleteLaunchTemplateInput {
                    launch_template_name: Some(a.name),
                    ..Default::default()
                })
                .await?;
            printer.json(&out)?;
        }
    }
    printer.end_list()
}

fn shown(n: Option<i64>) -> String {
    n.map_or_else(|| "-".into(), |n| n.to_string())
}

impl LtSettings {
    /// The version's data: what was given (the user data file read and base64-encoded).
    fn data(&self) -> Result<RequestLaunchTemplateData, Error> {
        let user_data = match &self.user_data {
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|e| Error::Io {
                    context: format!("reading user data {}", path.display()),
                    source: e,
                })?;
                Some(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
            None => None,
        };
        // Ids (`sg-...`) and names go to their own members, as a template keeps them apart.
        let (ids, names): (Vec<String>, Vec<String>) = self
            .security_groups
            .iter()
            .cloned()
            .partition(|g| g.starts_with("sg-"));
        Ok(RequestLaunchTemplateData {
            instance_type: self.instance_type.clone(),
            key_name: self.key_name.clone(),
            security_group_ids: (!ids.is_empty()).then_some(ids),
            security_groups: (!names.is_empty()).then_some(names),
            user_data,
            ..Default::default()
        })
    }
}
