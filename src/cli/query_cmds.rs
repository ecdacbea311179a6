//! The commands over the Query API: each parses its arguments into a request shape, calls the
//! client, and prints the reply the way the seed's scripts did (or as JSON).
//!
//! Where Phantom and AWS differ (launch configurations per site, forced deletes, resizing), the
//! [`Dialect`] value decides, through its methods in `config`.

use base64::Engine;
use futures_util::StreamExt;
use serde_json::json;

use super::args::*;
use super::output::{Output, Printer};
use super::tasks;
use super::wait;
use crate::autoscaling::Client;
use crate::autoscaling::types::*;
use crate::config::{Dialect, ResolvedConfig};
use crate::ec2::fallback;
use crate::error::Error;

/// The most names AWS accepts in one Describe call.
const NAMES_PER_CALL: usize = 50;

/// Everything a command needs: the client, the dialect and the output format.
pub struct Context {
    /// The Auto Scaling client.
    pub client: Client,
    /// The resolved configuration.
    pub config: ResolvedConfig,
    /// Output format, query and colours.
    pub format: Output,
    /// Most pages one listing reads (`--max-pages`).
    pub max_pages: usize,
}

impl Context {
    /// A ready client for the resolved configuration (the Query transport's settings come from
    /// it: an error without credentials unless `--no-sign-request`).
    pub fn new(global: &GlobalArgs, config: ResolvedConfig) -> Result<Self, Error> {
        let transport = config.transport()?;
        super::warn_if_unverified(&config);
        if global.debug {
            eprintln!("[debug] {config}");
        }
        Ok(Context {
            client: Client::new(transport)?.with_max_pages(global.max_pages as usize),
            config,
            format: Output::of(global),
            max_pages: global.max_pages as usize,
        })
    }

    /// An EC2 client at the EC2 endpoint of the configuration (launch templates, instances'
    /// addresses), made when a command needs one.
    pub(super) fn ec2(&self) -> Result<crate::ec2::Client, Error> {
        super::templates::ec2_client(&self.config, self.max_pages)
    }

    /// The dialect spoken.
    pub(super) fn dialect(&self) -> Dialect {
        self.config.dialect
    }

    /// A printer for the output format.
    pub(super) fn printer(&self) -> Printer {
        Printer::new(&self.format, self.dialect())
    }
}

/// Runs one Query API command. A refusal from a server that says it is Phantom (`Server:
/// phantom`) while the dialect is AWS says so and suggests `--dialect phantom`.
pub async fn execute(ctx: &Context, command: Command) -> Result<(), Error> {
    let result = run_command(ctx, command).await;
    match result {
        Err(Error::Service(mut e))
            if ctx.dialect() == Dialect::Aws
                && e.server
                    .as_deref()
                    .is_some_and(|s| s.trim().to_ascii_lowercase().starts_with("phantom")) =>
        {
            e.message = format!(
                "{}{}(the server says it is Phantom, `Server: {}`: try --dialect phantom)",
                e.message,
                if e.message.is_empty() { "" } else { " " },
                e.server.as_deref().unwrap_or_default().trim()
            );
            Err(Error::Service(e))
        }
        other => other,
    }
}

async fn run_command(ctx: &Context, command: Command) -> Result<(), Error> {
    match command {
        Command::Lc(LcCommand::Create(a)) => lc_create(ctx, a).await,
        Command::Lc(LcCommand::List(a)) => lc_list(ctx, a).await,
        Command::Lc(LcCommand::Delete(a)) => lc_delete(ctx, a).await,
        Command::Domain(DomainCommand::Create(a)) => domain_create(ctx, a).await,
        Command::Domain(DomainCommand::List(a)) => domain_list(ctx, a).await,
        Command::Domain(DomainCommand::Alter(a)) => domain_alter(ctx, a).await,
        Command::Domain(DomainCommand::Delete(a)) => domain_delete(ctx, a).await,
        Command::Instances(InstancesCommand::List(a)) => instances_list(ctx, a).await,
        Command::Instances(InstancesCommand::Terminate(a)) => instances_terminate(ctx, a).await,
        Command::Instances(c) => tasks::instances::run(ctx, c).await,
        Command::Policy(c) => tasks::policy::run(ctx, c).await,
        Command::Schedule(c) => tasks::schedule::run(ctx, c).await,
        Command::Hook(c) => tasks::hook::run(ctx, c).await,
        Command::Standby(c) => tasks::standby::run(ctx, c).await,
        Command::Tags(TagsCommand::List(a)) => tags_list(ctx, a).await,
        Command::Tags(TagsCommand::Set(a)) => tags_set(ctx, a).await,
        Command::Tags(TagsCommand::Delete(a)) => tags_delete(ctx, a).await,
        Command::Activities(a) => activities(ctx, a).await,
        Command::Wait(c) => wait::run(ctx, c).await,
        Command::Refresh(c) => super::refresh::run(ctx, c).await,
        Command::WarmPool(c) => super::warm_pool::run(ctx, c).await,
        Command::Processes(c) => super::processes::run(ctx, c).await,
        Command::Limits(a) => super::limits::run(ctx, a).await,
        Command::Api(a) => super::api::run(ctx, a).await,
        Command::Serve(_)
        | Command::Demo(_)
        | Command::Login(_)
        | Command::Sites(_)
        | Command::Credentials(_)
        | Command::Lt(_)
        | Command::Completion(_)
        | Command::Man(_)
        | Command::Help(_) => Err(Error::Config("not a Query API command".into())),
    }
}

async fn lc_create(ctx: &Context, a: LcCreateArgs) -> Result<(), Error> {
    let dialect = ctx.dialect();
    let name = dialect.launch_configuration_name(&a.name, a.site.as_deref())?;
    if dialect.requires_site() && name.site().is_none() {
        return Err(Error::Config(format!(
            "Phantom launch configurations are per site: phantom lc create {} {} SITE",
            a.name, a.image
        )));
    }
    let user_data = match &a.user_data_file {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| Error::Io {
                context: format!("reading user data {}", path.display()),
                source: e,
            })?;
            Some(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        None => None,
    };
    let input = CreateLaunchConfigurationInput {
        launch_configuration_name: name.to_string(),
        image_id: Some(a.image),
        instance_type: Some(a.instance_type),
        key_name: a.key_name,
        security_groups: (!a.security_groups.is_empty()).then_some(a.security_groups),
        user_data,
        ..Default::default()
    };
    // Where launch configurations are refused (or templates asked for), launch template NAME
    // (the name without its site; the site is kept as the template's tag for `domain create`).
    let site_tags: Vec<crate::ec2::types::Tag> = name
        .site()
        .map(|site| crate::ec2::types::Tag {
            key: Some(super::templates::SITE_TAG.into()),
            value: Some(site.to_string()),
        })
        .into_iter()
        .collect();
    let created = fallback::create_launch_configuration_or_template(
        &ctx.client,
        &ctx.ec2()?,
        &input,
        name.base(),
        site_tags,
        ctx.config.launch_templates,
    )
    .await?;
    let mut printer = ctx.printer();
    match created {
        fallback::Created::LaunchConfiguration { request_id } => printer
            .json(&json!({"LaunchConfigurationName": name.to_string(), "RequestId": request_id}))?,
        fallback::Created::LaunchTemplate {
            template,
            refused,
            request_id,
        } => {
            let id = template.launch_template_id.as_deref().unwrap_or("-");
            eprintln!(
                "phantom: {}: created launch template {} ({id}) with the same settings",
                if refused {
                    "launch configurations are not available in this account \
                     (UnsupportedOperation)"
                } else {
                    "launch templates asked for"
                },
                name.base()
            );
            printer.json(&json!({
                "LaunchTemplateName": name.base(),
                "LaunchTemplateId": template.launch_template_id,
                "RequestId": request_id,
            }))?
        }
    }
    printer.finish()
}

/// The names asked for that no listed item matched, as "no such KIND a, b" (`Ok` when none).
fn all_found(kind: &str, asked: &[String], found: &[String]) -> Result<(), Error> {
    let missing: Vec<&str> = asked
        .iter()
        .filter(|n| !found.contains(n))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::NotFound(format!("{kind} {}", missing.join(", "))))
    }
}

async fn lc_list(ctx: &Context, a: NamesArgs) -> Result<(), Error> {
    let dialect = ctx.dialect();
    // Phantom names are NAME@SITE: filter by the shown name, client side.
    let server_filter = match dialect {
        Dialect::Aws if !a.names.is_empty() => Some(a.names.clone()),
        _ => None,
    };
    let mut printer = ctx.printer();
    printer.begin_list("LaunchConfigurations")?;
    let mut shown: Vec<String> = Vec::new();
    let mut matched: Vec<String> = Vec::new();
    for chunk in chunks(server_filter) {
        let input = DescribeLaunchConfigurationsInput {
            launch_configuration_names: chunk,
            ..Default::default()
        };
        let mut items = Box::pin(ctx.client.items(input));
        while let Some(lc) = items.next().await {
            let lc = lc?;
            let full = lc.launch_configuration_name.clone().unwrap_or_default();
            let name = dialect.display_launch_configuration_name(&full).to_string();
            if !a.names.is_empty() && !a.names.contains(&name) && !a.names.contains(&full) {
                continue;
            }
            matched.push(name.clone());
            matched.push(full);
            if printer.is_json() {
                printer.list_item(&lc)?;
            } else if !shown.contains(&name) {
                printer.line(&name)?;
                shown.push(name);
            }
        }
    }
    // Launch templates too (the launch configurations of accounts that cannot have any),
    // marked: `NAME (launch template)`, and `"LaunchTemplate": true` on their JSON items.
    for template in super::templates::templates(ctx, &a.names).await? {
        let name = template.launch_template_name.clone().unwrap_or_default();
        matched.push(name.clone());
        if printer.is_json() {
            let mut item = serde_json::to_value(&template).map_err(|e| Error::Io {
                context: "writing JSON".into(),
                source: e.into(),
            })?;
            if let Some(map) = item.as_object_mut() {
                map.insert("LaunchTemplate".into(), json!(true));
            }
            printer.list_item(&item)?;
        } else {
            printer.line(&format!("{name} (launch template)"))?;
        }
    }
    all_found("launch configuration", &a.names, &matched)?;
    printer.end_list()
}

/// Splits an optional name list into calls of at most 50 names; `None` is one call for all.
fn chunks(names: Option<Vec<String>>) -> Vec<Option<Vec<String>>> {
    match names {
        None => vec![None],
        Some(names) => names
            .chunks(NAMES_PER_CALL)
            .map(|c| Some(c.to_vec()))
            .collect(),
    }
}

/// The full names of the launch configurations `name` means: AWS, one DescribeLaunchConfigurations
/// for it; Phantom, every `name@site` of a listing ([`launch_configurations_named`]).
pub(super) async fn launch_configurations_with(
    ctx: &Context,
    name: &str,
) -> Result<Vec<String>, Error> {
    let found = match ctx.dialect() {
        Dialect::Phantom => launch_configurations_named(ctx, name).await?,
        Dialect::Aws => ctx
            .client
            .describe_launch_configurations(&DescribeLaunchConfigurationsInput {
                launch_configuration_names: Some(vec![name.to_string()]),
                ..Default::default()
            })
            .await?
            .launch_configurations
            .unwrap_or_default(),
    };
    Ok(found
        .into_iter()
        .filter_map(|lc| lc.launch_configuration_name)
        .filter(|n| n == name || ctx.dialect().display_launch_configuration_name(n) == name)
        .collect())
}

/// Every launch configuration whose shown name is `name` (Phantom: `name@site` for each site).
async fn launch_configurations_named(
    ctx: &Context,
    name: &str,
) -> Result<Vec<LaunchConfiguration>, Error> {
    let dialect = ctx.dialect();
    let mut found = Vec::new();
    let mut items = Box::pin(
        ctx.client
            .items(DescribeLaunchConfigurationsInput::default()),
    );
    while let Some(lc) = items.next().await {
        let lc = lc?;
        let full = lc.launch_configuration_name.as_deref().unwrap_or_default();
        if full == name || dialect.display_launch_configuration_name(full) == name {
            found.push(lc);
        }
    }
    Ok(found)
}

/// `lc delete`: a name that says which launch configuration (AWS; Phantom `NAME@SITE`, or `NAME
/// SITE...`) is deleted directly, without listing, so that a listing the server cannot produce
/// (Phantom fails DescribeLaunchConfigurations on a non-ASCII name) never blocks a delete. Only a
/// bare Phantom `NAME` lists, to find every `NAME@SITE`.
async fn lc_delete(ctx: &Context, a: LcDeleteArgs) -> Result<(), Error> {
    let dialect = ctx.dialect();
    let names: Vec<String> = if !a.sites.is_empty() {
        if dialect == Dialect::Aws {
            return Err(Error::Config(
                "sites name Phantom launch configurations (NAME@SITE); AWS names have none".into(),
            ));
        }
        a.sites
            .iter()
            .map(|site| {
                dialect
                    .launch_configuration_name(&a.name, Some(site))
                    .map(|n| n.to_string())
            })
            .collect::<Result<_, _>>()?
    } else {
        let name = dialect.launch_configuration_name(&a.name, None)?;
        if name.site().is_some() {
            vec![name.to_string()]
        } else if dialect == Dialect::Aws {
            // One Describe says whether NAME is a launch configuration; if not, the launch
            // template NAME is deleted (accounts without launch configurations).
            if launch_configurations_with(ctx, &a.name).await?.is_empty() {
                return delete_template_named(ctx, &a.name).await;
            }
            vec![name.to_string()]
        } else {
            let found = launch_configurations_named(ctx, &a.name)
                .await
                .map_err(|e| match e {
                    Error::Service(mut s) => {
                        s.message = format!(
                            "{} (listing failed, so the sites of {} are unknown: delete directly \
                             with `phantom lc delete {} SITE...` or `{}@SITE`)",
                            s.message, a.name, a.name, a.name
                        );
                        Error::Service(s)
                    }
                    other => other,
                })?;
            if found.is_empty() {
                return delete_template_named(ctx, &a.name).await;
            }
            found
                .into_iter()
                .filter_map(|lc| lc.launch_configuration_name)
                .collect()
        }
    };
    for name in &names {
        let input = DeleteLaunchConfigurationInput {
            launch_configuration_name: name.clone(),
        };
        ctx.client.send(&input).await?;
    }
    let mut printer = ctx.printer();
    printer.json(&json!({"Deleted": names}))?;
    printer.finish()
}

/// `lc delete NAME` where no launch configuration NAME exists: the launch template NAME.
async fn delete_template_named(ctx: &Context, name: &str) -> Result<(), Error> {
    if !super::templates::delete_template(ctx, name).await? {
        return Err(Error::NotFound(format!(
            "launch configuration or launch template {name}"
        )));
    }
    let mut printer = ctx.printer();
    printer.line(&format!("deleted launch template {name}"))?;
    printer.json(&json!({"Deleted": [name], "LaunchTemplate": true}))?;
    printer.finish()
}

fn parse_tags(group: &str, tags: &[String], propagate: bool) -> Result<Vec<Tag>, Error> {
    tags.iter()
        .map(|t| {
            let (key, value) = t
                .split_once('=')
                .ok_or_else(|| Error::Config(format!("tag `{t}` is not KEY=VALUE")))?;
            if key.is_empty() {
                return Err(Error::Config(format!("tag `{t}` has an empty key")));
            }
            Ok(Tag {
                resource_id: Some(group.to_string()),
                resource_type: Some("auto-scaling-group".into()),
                key: Some(key.to_string()),
                value: Some(value.to_string()),
                propagate_at_launch: Some(propagate),
            })
        })
        .collect()
}

async fn domain_create(ctx: &Context, a: DomainCreateArgs) -> Result<(), Error> {
    use super::templates::{GroupSource, group_source, template_zones};
    // Everything the arguments can get wrong is refused before any call.
    let (min, max) = (a.min.unwrap_or(a.size), a.max.unwrap_or(a.size));
    if !(min <= a.size && a.size <= max) {
        return Err(Error::Config(format!(
            "size {} must lie between --min {min} and --max {max}",
            a.size
        )));
    }
    a.group.check(ctx.dialect())?;
    a.template.check(a.lc.as_deref())?;
    let tags = parse_tags(&a.name, &a.tags, a.propagate_tags)?;
    let source = group_source(ctx, a.lc.as_deref(), &a.template).await?;
    // Zones: --zones; none with --subnets (the subnets decide); else the launch
    // configuration's sites (Phantom), the template's site (Phantom), or <region>a.
    let zones = if !a.zones.is_empty() {
        Some(a.zones.clone())
    } else if !a.template.subnets.is_empty() {
        None
    } else {
        Some(match (&source, ctx.dialect()) {
            (GroupSource::LaunchConfiguration { sites, .. }, Dialect::Phantom) => sites.clone(),
            (GroupSource::LaunchConfiguration { .. }, Dialect::Aws) => {
                vec![format!("{}a", ctx.config.region)]
            }
            (GroupSource::LaunchTemplate { template, site, .. }, _) => {
                template_zones(ctx, template, site.as_deref()).await?
            }
        })
    };
    let mut input = CreateAutoScalingGroupInput {
        auto_scaling_group_name: a.name.clone(),
        min_size: min,
        max_size: max,
        desired_capacity: Some(a.size),
        availability_zones: zones,
        tags: (!tags.is_empty()).then_some(tags),
        ..Default::default()
    };
    match &source {
        GroupSource::LaunchConfiguration { name, .. } => {
            input.launch_configuration_name = Some(name.clone());
            a.template.apply_subnets(&mut input);
        }
        GroupSource::LaunchTemplate { template, .. } => a.template.apply(&mut input, template),
    }
    a.group.apply_create(&mut input);
    let reply = ctx.client.send(&input).await?;
    let mut printer = ctx.printer();
    match &source {
        GroupSource::LaunchConfiguration { name, .. } => {
            printer.line(&format!("using LaunchConfiguration:{name}"))?;
            printer.json(&json!({
                "AutoScalingGroupName": a.name,
                "LaunchConfigurationName": name,
                "DesiredCapacity": a.size,
                "VPCZoneIdentifier": input.vpc_zone_identifier,
                "RequestId": reply.request_id,
            }))?;
        }
        GroupSource::LaunchTemplate { template, .. } => {
            printer.line(&format!("using LaunchTemplate:{template}"))?;
            printer.json(&json!({
                "AutoScalingGroupName": a.name,
                "LaunchTemplate": input.launch_template,
                "MixedInstancesPolicy": input.mixed_instances_policy,
                "DesiredCapacity": a.size,
                "VPCZoneIdentifier": input.vpc_zone_identifier,
                "RequestId": reply.request_id,
            }))?;
        }
    }
    printer.flush()?;
    if a.wait {
        wait::at_capacity(&ctx.client, ctx.dialect(), &a.name, a.timeout, true).await?;
    }
    printer.finish()
}

async fn domain_list(ctx: &Context, a: NamesArgs) -> Result<(), Error> {
    let mut printer = ctx.printer();
    printer.begin_list("AutoScalingGroups")?;
    let filter = (!a.names.is_empty()).then(|| a.names.clone());
    let mut found = Vec::new();
    for chunk in chunks(filter) {
        let input = DescribeAutoScalingGroupsInput {
            auto_scaling_group_names: chunk,
            ..Default::default()
        };
        let mut items = Box::pin(ctx.client.items(input));
        while let Some(group) = items.next().await {
            let group = group?;
            found.extend(group.auto_scaling_group_name.clone());
            printer.domain(&group)?;
        }
    }
    all_found("domain", &a.names, &found)?;
    printer.end_list()
}

/// Fetches one group by name, or says it does not exist.
pub async fn describe_group(client: &Client, name: &str) -> Result<AutoScalingGroup, Error> {
    let input = DescribeAutoScalingGroupsInput {
        auto_scaling_group_names: Some(vec![name.to_string()]),
        ..Default::default()
    };
    let out = client.describe_auto_scaling_groups(&input).await?;
    out.auto_scaling_groups
        .unwrap_or_default()
        .into_iter()
        .find(|g| g.auto_scaling_group_name.as_deref() == Some(name))
        .ok_or_else(|| Error::NotFound(format!("domain {name}")))
}

/// `domain alter NAME SIZE` keeps the seed's meaning (the n-preserving size); with `--min`,
/// `--max` or a group setting it is one UpdateAutoScalingGroup (AWS only: Phantom has none), in
/// which SIZE is the desired capacity (for an n-preserving group without `--min`/`--max`, all
/// three, as without options).
async fn domain_alter(ctx: &Context, a: DomainAlterArgs) -> Result<(), Error> {
    if !a.group.is_empty() || a.min.is_some() || a.max.is_some() {
        return domain_update(ctx, a).await;
    }
    let Some(size) = a.size else {
        return Err(Error::Config(
            "domain alter needs a SIZE, --min, --max or a setting to change (see --help)".into(),
        ));
    };
    let n_preserving = if ctx.dialect().has_update_group() {
        let group = describe_group(&ctx.client, &a.name).await?;
        group.min_size == group.max_size
    } else {
        false
    };
    if n_preserving {
        let input = UpdateAutoScalingGroupInput {
            auto_scaling_group_name: a.name.clone(),
            min_size: Some(size),
            max_size: Some(size),
            desired_capacity: Some(size),
            ..Default::default()
        };
        ctx.client.send(&input).await?;
    } else {
        let input = SetDesiredCapacityInput {
            auto_scaling_group_name: a.name.clone(),
            desired_capacity: size,
            ..Default::default()
        };
        ctx.client.send(&input).await?;
    }
    let mut printer = ctx.printer();
    printer.json(&json!({"AutoScalingGroupName": a.name, "DesiredCapacity": size}))?;
    printer.finish()
}

/// `domain alter` with options: one UpdateAutoScalingGroup; prints the input sent (JSON).
async fn domain_update(ctx: &Context, a: DomainAlterArgs) -> Result<(), Error> {
    a.group.check(ctx.dialect())?;
    if !ctx.dialect().has_update_group() {
        return Err(Error::Config(
            "Nimbus Phantom has no UpdateAutoScalingGroup: --min and --max cannot be set (its \
             domains are n-preserving; use `domain alter NAME SIZE`)"
                .into(),
        ));
    }
    if let (Some(min), Some(max)) = (a.min, a.max)
        && min > max
    {
        return Err(Error::Config(format!(
            "--min {min} is more than --max {max}"
        )));
    }
    if let Some(size) = a.size
        && (a.min.is_some_and(|m| size < m) || a.max.is_some_and(|m| size > m))
    {
        return Err(Error::Config(format!(
            "size {size} must lie between --min and --max"
        )));
    }
    let mut input = UpdateAutoScalingGroupInput {
        auto_scaling_group_name: a.name.clone(),
        min_size: a.min,
        max_size: a.max,
        desired_capacity: a.size,
        ..Default::default()
    };
    if let Some(size) = a.size
        && a.min.is_none()
        && a.max.is_none()
    {
        let group = describe_group(&ctx.client, &a.name).await?;
        if group.min_size == group.max_size {
            input.min_size = Some(size);
            input.max_size = Some(size);
        }
    }
    a.group.apply_update(&mut input);
    ctx.client.send(&input).await?;
    let mut printer = ctx.printer();
    printer.line(&format!("altered {}", a.name))?;
    printer.json(&input)?;
    printer.finish()
}

async fn domain_delete(ctx: &Context, a: DomainDeleteArgs) -> Result<(), Error> {
    let force = a.force || ctx.dialect().force_delete_by_default();
    let input = DeleteAutoScalingGroupInput {
        auto_scaling_group_name: a.name.clone(),
        force_delete: force.then_some(true),
    };
    ctx.client.send(&input).await?;
    let mut printer = ctx.printer();
    printer.line(&format!("deleting {}", a.name))?;
    printer.json(&json!({"Deleted": a.name}))?;
    printer.finish()
}

async fn instances_list(ctx: &Context, a: IdsArgs) -> Result<(), Error> {
    let mut printer = ctx.printer();
    printer.begin_list("AutoScalingInstances")?;
    let filter = (!a.ids.is_empty()).then(|| a.ids.clone());
    let mut found = Vec::new();
    // With --addresses the instances are held until EC2 has given their addresses.
    let mut held = Vec::new();
    for chunk in chunks(filter) {
        let input = DescribeAutoScalingInstancesInput {
            instance_ids: chunk,
            ..Default::default()
        };
        let mut items = Box::pin(ctx.client.items(input));
        while let Some(instance) = items.next().await {
            let instance = instance?;
            found.extend(instance.instance_id.clone());
            if a.addresses {
                held.push(instance);
            } else {
                printer.instance(&instance)?;
            }
        }
    }
    all_found("instance", &a.ids, &found)?;
    if a.addresses {
        let addresses = super::templates::addresses(ctx, &found).await?;
        for instance in &held {
            let id = instance.instance_id.as_deref().unwrap_or_default();
            let address = addresses.get(id).cloned().unwrap_or_default();
            if printer.is_json() {
                let mut item = serde_json::to_value(instance).map_err(|e| Error::Io {
                    context: "writing JSON".into(),
                    source: e.into(),
                })?;
                if let Some(map) = item.as_object_mut() {
                    for (key, value) in address.fields() {
                        map.insert(key.into(), json!(value));
                    }
                }
                printer.list_item(&item)?;
            } else {
                printer.line(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    id,
                    instance.auto_scaling_group_name.as_deref().unwrap_or("?"),
                    instance.availability_zone.as_deref().unwrap_or("?"),
                    instance.lifecycle_state.as_deref().unwrap_or("?"),
                    instance.health_status.as_deref().unwrap_or("?"),
                    address.private_ip.as_deref().unwrap_or("-"),
                    address.public_ip.as_deref().unwrap_or("-"),
                    address.dns_name().unwrap_or("-"),
                ))?;
            }
        }
    }
    printer.end_list()
}

async fn instances_terminate(ctx: &Context, a: TerminateArgs) -> Result<(), Error> {
    let input = TerminateInstanceInAutoScalingGroupInput {
        instance_id: Some(a.id.clone()),
        should_decrement_desired_capacity: a.decrement,
        ..Default::default()
    };
    let out = ctx
        .client
        .terminate_instance_in_auto_scaling_group(&input)
        .await?;
    let mut printer = ctx.printer();
    match &out.activity {
        Some(activity) => printer.line(
            activity
                .description
                .as_deref()
                .unwrap_or(&format!("terminating {}", a.id)),
        )?,
        None => printer.line(&format!("terminating {}", a.id))?,
    }
    printer.json(&out)?;
    printer.finish()
}

async fn tags_list(ctx: &Context, a: TagsListArgs) -> Result<(), Error> {
    let filters = a.domain.map(|d| {
        vec![Filter {
            name: Some("auto-scaling-group".into()),
            values: Some(vec![d]),
        }]
    });
    let mut printer = ctx.printer();
    printer.begin_list("Tags")?;
    let mut items = Box::pin(ctx.client.items(DescribeTagsInput {
        filters,
        ..Default::default()
    }));
    while let Some(tag) = items.next().await {
        printer.tag(&tag?)?;
    }
    printer.end_list()
}

async fn tags_set(ctx: &Context, a: TagsSetArgs) -> Result<(), Error> {
    let tags = parse_tags(&a.domain, &a.tags, a.propagate)?;
    ctx.client
        .send(&CreateOrUpdateTagsInput { tags: tags.clone() })
        .await?;
    let mut printer = ctx.printer();
    printer.json(&json!({"Tags": tags}))?;
    printer.finish()
}

async fn tags_delete(ctx: &Context, a: TagsDeleteArgs) -> Result<(), Error> {
    let tags: Vec<Tag> = a
        .keys
        .iter()
        .map(|k| Tag {
            resource_id: Some(a.domain.clone()),
            resource_type: Some("auto-scaling-group".into()),
            key: Some(k.clone()),
            ..Default::default()
        })
        .collect();
    ctx.client
        .send(&DeleteTagsInput { tags: tags.clone() })
        .await?;
    let mut printer = ctx.printer();
    printer.json(&json!({"Deleted": tags}))?;
    printer.finish()
}

async fn activities(ctx: &Context, a: ActivitiesArgs) -> Result<(), Error> {
    let input = DescribeScalingActivitiesInput {
        auto_scaling_group_name: Some(a.name.clone()),
        ..Default::default()
    };
    let mut printer = ctx.printer();
    printer.begin_list("Activities")?;
    let mut items = Box::pin(ctx.client.items(input).take(a.max.unwrap_or(usize::MAX)));
    while let Some(activity) = items.next().await {
        printer.activity(&activity?)?;
    }
    printer.end_list()
}
