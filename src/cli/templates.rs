//! Launch templates in the seed's commands (issue 12, items 2 and 3): the `domain create` flags
//! for a launch template, subnets and mixed instances ([`TemplateArgs`]), which of a launch
//! configuration or a launch template a group is made from ([`group_source`]), and the
//! template side of `lc create` / `lc list` / `lc delete`; and the other EC2 fact the seed's
//! commands show, instances' addresses (`instances list --addresses`, [`addresses`]).
//!
//! Why here and not in `query_cmds`: the launch configuration commands stay as they were for
//! servers that have them; everything that reaches EC2 for them goes through this file, so the
//! rule "a launch template where no launch configuration is (or can be)" is written once. The
//! rule itself: `lc create` falls back to a template only on Auto Scaling's
//! `UnsupportedOperation` (see [`crate::ec2::fallback`]); `domain create NAME LC SIZE` uses
//! template LC when one Describe finds no launch configuration LC; `--launch-templates` (or
//! `PHANTOM_LAUNCH_TEMPLATES`, or the profile's `phantom_launch_templates`) skips the launch
//! configuration from the start.

use clap::Args;
use futures_util::StreamExt;

use super::query_cmds::Context;
use crate::autoscaling::types::{
    CreateAutoScalingGroupInput, InstancesDistribution, LaunchTemplate as GroupTemplate,
    LaunchTemplateOverrides, LaunchTemplateSpecification, MixedInstancesPolicy,
};
use crate::config::Dialect;
use crate::ec2;
use crate::ec2::types::{DeleteLaunchTemplateInput, DescribeLaunchTemplatesInput, LaunchTemplate};
use crate::error::Error;

/// The help of `domain create`, after its flags.
pub const DOMAIN_CREATE_HELP: &str = "Examples:
  phantom domain create testDomain1 testlc1 1 --wait
  phantom domain create web weblc 2 --min 1 --max 4 --health-check-type ELB --termination-policies OldestInstance,Default --tag team=web --propagate-tags
  phantom domain create web --launch-template web:$Latest 2 --subnets subnet-0a1b,subnet-2c3d
  phantom domain create batch --launch-template batch 4 --instance-types m5.large,m5a.large,m4.large --on-demand-base 1 --on-demand-percentage 25 --spot-allocation-strategy price-capacity-optimized

LC is a launch configuration; when none of that name exists (one DescribeLaunchConfigurations),
the launch template LC (its default version) is used, as on accounts that cannot create launch
configurations. --launch-template NAME[:VERSION] names a template directly (VERSION: a number,
$Default or $Latest; default $Default); then only NAME and SIZE are given.

Mixed instances (a MixedInstancesPolicy over the template): --instance-types lists the types the
group may launch, in priority order; --on-demand-base N instances are On-Demand first, then
--on-demand-percentage P percent of the rest (AWS's defaults: 0 and 100); Spot capacity is chosen
by --spot-allocation-strategy (AWS's default: lowest-price).";

/// The tag a launch template made by `lc create NAME IMAGE SITE` (Phantom dialect) carries: the
/// site, which `domain create` uses as the group's zone, as it uses a launch configuration's.
pub const SITE_TAG: &str = "phantom:site";

/// What AWS accepts as `--spot-allocation-strategy`.
const SPOT_STRATEGIES: [&str; 5] = [
    "lowest-price",
    "capacity-optimized",
    "capacity-optimized-prioritized",
    "price-capacity-optimized",
    "prioritized",
];

/// A launch template and version, as `NAME[:VERSION]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRef {
    /// The template's name.
    pub name: String,
    /// A version number, `$Default` or `$Latest`; `None` for the default version.
    pub version: Option<String>,
}

impl std::fmt::Display for TemplateRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{}:{v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

impl TemplateRef {
    /// The group's reference to it.
    pub fn spec(&self) -> LaunchTemplateSpecification {
        LaunchTemplateSpecification {
            launch_template_name: Some(self.name.clone()),
            version: self.version.clone(),
            ..Default::default()
        }
    }
}

/// Parses `NAME[:VERSION]`: a name of 3 to 128 of AWS's launch template characters (letters,
/// digits, `( ) . - / _`), and a version that is a number from 1, `$Default` or `$Latest`.
pub fn parse_template_ref(s: &str) -> Result<TemplateRef, String> {
    let (name, version) = match s.split_once(':') {
        Some((n, v)) => (n, Some(v)),
        None => (s, None),
    };
    let name_ok = (3..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "().-/_".contains(c));
    if !name_ok {
        return Err(format!(
            "`{}` is not a launch template name (3 to 128 letters, digits and ( ) . - / _)",
            name.chars().take(40).collect::<String>()
        ));
    }
    if let Some(v) = version {
        let number = !v.is_empty()
            && v.len() <= 18
            && v.chars().all(|c| c.is_ascii_digit())
            && v.parse::<u64>().is_ok_and(|n| n >= 1);
        if !(number || v == "$Default" || v == "$Latest") {
            return Err(format!(
                "version `{}` of launch template {name}: use a number from 1, $Default or $Latest",
                v.chars().take(40).collect::<String>()
            ));
        }
    }
    Ok(TemplateRef {
        name: name.to_string(),
        version: version.map(str::to_string),
    })
}

/// `domain create`'s launch template, subnets and mixed instances flags.
#[derive(Debug, Clone, Default, Args)]
pub struct TemplateArgs {
    /// Launch template NAME[:VERSION] to launch from, in place of LC (VERSION: a number,
    /// $Default or $Latest; default $Default).
    #[arg(long, value_name = "NAME[:VERSION]", value_parser = parse_template_ref)]
    pub launch_template: Option<TemplateRef>,
    /// Subnets to launch in, comma-separated (the group's VPCZoneIdentifier: their zones are the
    /// group's zones).
    #[arg(long, value_delimiter = ',', value_name = "SUBNET,...")]
    pub subnets: Vec<String>,
    /// Mixed instances: instance types the group may launch, in priority order, comma-separated
    /// (overriding the template's).
    #[arg(long, value_delimiter = ',', value_name = "TYPE,...")]
    pub instance_types: Vec<String>,
    /// Mixed instances: how many instances are On-Demand before any is Spot (AWS's default 0).
    #[arg(long, value_name = "N", requires = "instance_types",
          value_parser = clap::value_parser!(i32).range(0..))]
    pub on_demand_base: Option<i32>,
    /// Mixed instances: percent of the instances above the base that are On-Demand, the rest
    /// Spot (0 to 100; AWS's default 100).
    #[arg(long, value_name = "PERCENT", requires = "instance_types",
          value_parser = clap::value_parser!(i32).range(0..=100))]
    pub on_demand_percentage: Option<i32>,
    /// Mixed instances: how Spot capacity is chosen (price-capacity-optimized,
    /// capacity-optimized, capacity-optimized-prioritized, lowest-price, prioritized).
    #[arg(long, value_name = "STRATEGY", requires = "instance_types",
          value_parser = SPOT_STRATEGIES)]
    pub spot_allocation_strategy: Option<String>,
}

impl TemplateArgs {
    /// Whether any flag of the set was given.
    pub fn is_given(&self) -> bool {
        self.launch_template.is_some() || !self.subnets.is_empty() || self.is_mixed()
    }

    /// Whether a mixed instances policy is asked for.
    pub fn is_mixed(&self) -> bool {
        !self.instance_types.is_empty()
    }

    /// Refuses what the flags cannot mean together: both LC and --launch-template, or neither;
    /// empty names in the lists.
    pub fn check(&self, lc: Option<&str>) -> Result<(), Error> {
        match (lc, &self.launch_template) {
            (Some(lc), Some(t)) => {
                return Err(Error::Config(format!(
                    "give either a launch configuration ({lc}) or --launch-template {t}, not both \
                     (domain create NAME --launch-template T SIZE)"
                )));
            }
            (None, None) => return Err(no_source()),
            _ => {}
        }
        for (flag, list) in [
            ("--subnets", &self.subnets),
            ("--instance-types", &self.instance_types),
        ] {
            if list.iter().any(|v| v.trim().is_empty()) {
                return Err(Error::Config(format!("{flag} has an empty item")));
            }
        }
        Ok(())
    }

    /// Writes the template (a mixed instances policy when instance types are given) and the
    /// subnets into the request.
    pub fn apply(&self, input: &mut CreateAutoScalingGroupInput, template: &TemplateRef) {
        if self.is_mixed() {
            let distribution = InstancesDistribution {
                on_demand_base_capacity: self.on_demand_base,
                on_demand_percentage_above_base_capacity: self.on_demand_percentage,
                spot_allocation_strategy: self.spot_allocation_strategy.clone(),
                ..Default::default()
            };
            let given = distribution != InstancesDistribution::default();
            input.mixed_instances_policy = Some(MixedInstancesPolicy {
                launch_template: Some(GroupTemplate {
                    launch_template_specification: Some(template.spec()),
                    overrides: Some(
                        self.instance_types
                            .iter()
                            .map(|t| LaunchTemplateOverrides {
                                instance_type: Some(t.trim().to_string()),
                                ..Default::default()
                            })
                            .collect(),
                    ),
                }),
                instances_distribution: given.then_some(distribution),
            });
        } else {
            input.launch_template = Some(template.spec());
        }
        self.apply_subnets(input);
    }

    /// Writes the subnets into the request (`VPCZoneIdentifier`, comma-separated).
    pub fn apply_subnets(&self, input: &mut CreateAutoScalingGroupInput) {
        if !self.subnets.is_empty() {
            let subnets: Vec<&str> = self.subnets.iter().map(|s| s.trim()).collect();
            input.vpc_zone_identifier = Some(subnets.join(","));
        }
    }
}

/// What a group is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupSource {
    /// A launch configuration, with the sites its Phantom names give (`NAME@SITE`; none under
    /// the AWS dialect).
    LaunchConfiguration {
        /// Its name as given.
        name: String,
        /// Phantom: the sites it exists at.
        sites: Vec<String>,
    },
    /// A launch template.
    LaunchTemplate {
        /// Which template and version.
        template: TemplateRef,
        /// The template's site tag ([`SITE_TAG`]), when its listing was read.
        site: Option<String>,
    },
}

/// Which launch configuration or template `domain create` uses: `--launch-template` as given;
/// LC with `--launch-templates` (or its setting) as a template without asking; else one
/// DescribeLaunchConfigurations (Phantom: the listing that finds `LC@SITE`) and, when no launch
/// configuration LC exists, the template LC if the template listing has it (else, as before
/// templates: Phantom, "no such launch configuration LC"; AWS, launch configuration LC, for the
/// server to refuse).
pub async fn group_source(
    ctx: &Context,
    lc: Option<&str>,
    args: &TemplateArgs,
) -> Result<GroupSource, Error> {
    args.check(lc)?;
    let lc = match (lc, &args.launch_template) {
        (_, Some(t)) => {
            return Ok(GroupSource::LaunchTemplate {
                template: t.clone(),
                site: None,
            });
        }
        (Some(lc), None) => lc,
        (None, None) => return Err(no_source()),
    };
    let as_template = |site| GroupSource::LaunchTemplate {
        template: TemplateRef {
            name: lc.to_string(),
            version: None,
        },
        site,
    };
    if ctx.config.launch_templates {
        return Ok(as_template(None));
    }
    let found = super::query_cmds::launch_configurations_with(ctx, lc).await?;
    if found.is_empty() {
        // Neither: as before templates, Phantom says so here, an AWS endpoint in its reply to
        // the launch configuration.
        return match templates(ctx, &[lc.to_string()]).await?.first() {
            Some(template) => Ok(as_template(site_of(template))),
            None if ctx.dialect() == Dialect::Phantom => {
                Err(Error::NotFound(format!("launch configuration {lc}")))
            }
            None => Ok(GroupSource::LaunchConfiguration {
                name: lc.to_string(),
                sites: Vec::new(),
            }),
        };
    }
    let sites = found
        .iter()
        .filter_map(|n| n.split_once('@').map(|(_, site)| site.to_string()))
        .collect();
    if args.is_mixed() {
        return Err(Error::Config(format!(
            "--instance-types needs a launch template; {lc} is a launch configuration"
        )));
    }
    Ok(GroupSource::LaunchConfiguration {
        name: lc.to_string(),
        sites,
    })
}

/// The error for `domain create` without LC or `--launch-template`.
fn no_source() -> Error {
    Error::Config(
        "domain create needs a launch configuration (NAME LC SIZE) or --launch-template \
         (NAME --launch-template T SIZE)"
            .into(),
    )
}

/// The launch templates of the account, filtered by name when `names` is not empty. An
/// endpoint that answers EC2's DescribeLaunchTemplates with `InvalidAction` (one that serves
/// Auto Scaling only, such as Nimbus Phantom) has none.
pub async fn templates(ctx: &Context, names: &[String]) -> Result<Vec<LaunchTemplate>, Error> {
    let client = ctx.ec2()?;
    let mut found = Vec::new();
    let mut items = Box::pin(client.items(DescribeLaunchTemplatesInput::default()));
    while let Some(t) = items.next().await {
        match t {
            Ok(t) => {
                let name = t.launch_template_name.as_deref().unwrap_or_default();
                if names.is_empty() || names.iter().any(|n| n == name) {
                    found.push(t);
                }
            }
            Err(Error::Service(e)) if e.code == "InvalidAction" => return Ok(Vec::new()),
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}

/// The site a Phantom-dialect template was made for ([`SITE_TAG`]), if it has one.
pub fn site_of(template: &LaunchTemplate) -> Option<String> {
    template
        .tags
        .iter()
        .flatten()
        .find(|t| t.key.as_deref() == Some(SITE_TAG))
        .and_then(|t| t.value.clone())
        .filter(|v| !v.is_empty())
}

/// The zones of a group made from a template without `--zones` or `--subnets`: under the
/// Phantom dialect the template's site (the seed's `lc create NAME IMAGE SITE` made it; `site`
/// when already read, else from the listing), else the region's first zone.
pub async fn template_zones(
    ctx: &Context,
    template: &TemplateRef,
    site: Option<&str>,
) -> Result<Vec<String>, Error> {
    if let Some(site) = site.filter(|_| ctx.dialect() == Dialect::Phantom) {
        return Ok(vec![site.to_string()]);
    }
    if ctx.dialect() == Dialect::Phantom {
        let found = templates(ctx, std::slice::from_ref(&template.name)).await?;
        if let Some(site) = found.first().and_then(site_of) {
            return Ok(vec![site]);
        }
    }
    Ok(vec![format!("{}a", ctx.config.region)])
}

/// Deletes launch template `name`; `Ok(false)` when the listing has none of that name (or the
/// endpoint serves no templates at all), or EC2 says it is gone by the time of the delete.
pub async fn delete_template(ctx: &Context, name: &str) -> Result<bool, Error> {
    if templates(ctx, &[name.to_string()]).await?.is_empty() {
        return Ok(false);
    }
    let client = ctx.ec2()?;
    let input = DeleteLaunchTemplateInput {
        launch_template_name: Some(name.to_string()),
        ..Default::default()
    };
    match client.send(&input).await {
        Ok(_) => Ok(true),
        Err(Error::Service(e))
            if e.code == "InvalidLaunchTemplateName.NotFoundException"
                || e.code == "InvalidLaunchTemplateId.NotFound"
                || e.code == "InvalidAction" =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// The most values AWS takes in one filter of a Describe call.
const FILTER_VALUES: usize = 200;

/// An instance's addresses, as EC2's DescribeInstances gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addresses {
    /// `PrivateIpAddress`.
    pub private_ip: Option<String>,
    /// `PublicIpAddress` (Phantom's REST API: `public_ip`).
    pub public_ip: Option<String>,
    /// `PublicDnsName` (Phantom's REST API: `hostname`).
    pub public_dns: Option<String>,
    /// `PrivateDnsName`.
    pub private_dns: Option<String>,
}

impl Addresses {
    /// The name to reach the instance by: its public DNS name, else its private one.
    pub fn dns_name(&self) -> Option<&str> {
        [&self.public_dns, &self.private_dns]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .find(|n| !n.is_empty())
    }

    /// The JSON fields it adds to an instance (EC2's names), those EC2 gave.
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        [
            ("PrivateIpAddress", &self.private_ip),
            ("PublicIpAddress", &self.public_ip),
            ("PublicDnsName", &self.public_dns),
            ("PrivateDnsName", &self.private_dns),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }
}

/// The addresses of instances `ids`, by id: DescribeInstances with an `instance-id` filter (200
/// ids a call), every page. A filter, not `InstanceIds`, so that an instance gone since Auto
/// Scaling listed it is simply absent rather than failing the whole call.
pub async fn addresses(
    ctx: &Context,
    ids: &[String],
) -> Result<std::collections::HashMap<String, Addresses>, Error> {
    use crate::ec2::types::{DescribeInstancesInput, Filter};
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let client = ctx.ec2()?;
    for chunk in ids.chunks(FILTER_VALUES) {
        let input = DescribeInstancesInput {
            filters: Some(vec![Filter {
                name: Some("instance-id".into()),
                values: Some(chunk.to_vec()),
            }]),
            ..Default::default()
        };
        let mut reservations = Box::pin(client.items(input));
        while let Some(reservation) = reservations.next().await {
            for i in reservation?.instances.unwrap_or_default() {
                let Some(id) = i.instance_id.clone() else {
                    continue;
                };
                out.insert(
                    id,
                    Addresses {
                        private_ip: i.private_ip_address,
                        public_ip: i.public_ip_address,
                        public_dns: i.public_dns_name,
                        private_dns: i.private_dns_name,
                    },
                );
            }
        }
    }
    Ok(out)
}

/// An EC2 client for the resolved configuration.
pub fn ec2_client(
    config: &crate::config::ResolvedConfig,
    max_pages: usize,
) -> Result<ec2::Client, Error> {
    Ok(ec2::Client::new(config.ec2_transport()?)?.with_max_pages(max_pages))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    #[test]
    fn template_references() {
        assert_eq!(
            parse_template_ref("web").unwrap(),
            TemplateRef {
                name: "web".into(),
                version: None
            }
        );
        for v in ["3", "$Default", "$Latest"] {
            let r = parse_template_ref(&format!("web:{v}")).unwrap();
            assert_eq!(r.version.as_deref(), Some(v));
            assert_eq!(r.to_string(), format!("web:{v}"));
        }
        for bad in [
            "web:0",
            "web:",
            "web:latest",
            "web:-1",
            "w",
            "we b",
            "web@hotel:1",
        ] {
            assert!(parse_template_ref(bad).is_err(), "{bad}");
        }
    }

    fn domain_create(args: &[&str]) -> Result<crate::cli::args::DomainCreateArgs, clap::Error> {
        let cli = Cli::try_parse_from(
            ["phantom", "domain", "create"]
                .iter()
                .chain(args.iter())
                .copied(),
        )?;
        match cli.command {
            crate::cli::Command::Domain(crate::cli::args::DomainCommand::Create(a)) => Ok(a),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn domain_create_takes_lc_or_a_template() {
        let a = domain_create(&["web", "weblc", "2"]).unwrap();
        assert_eq!((a.lc.as_deref(), a.size), (Some("weblc"), 2));
        let a = domain_create(&[
            "web",
            "--launch-template",
            "tpl:$Latest",
            "3",
            "--subnets",
            "a,b",
        ])
        .unwrap();
        assert_eq!((a.lc.as_deref(), a.size), (None, 3));
        assert_eq!(
            a.template.launch_template.unwrap().to_string(),
            "tpl:$Latest"
        );
        assert_eq!(a.template.subnets, ["a", "b"]);
        let a = domain_create(&[
            "web",
            "2",
            "--launch-template",
            "tpl",
            "--instance-types",
            "m5.large,m4.large",
            "--on-demand-base",
            "1",
            "--on-demand-percentage",
            "25",
            "--spot-allocation-strategy",
            "capacity-optimized",
        ])
        .unwrap();
        assert_eq!(a.template.instance_types, ["m5.large", "m4.large"]);
        assert!(domain_create(&["web", "2", "--on-demand-base", "1"]).is_err());
        assert!(
            domain_create(&[
                "web",
                "2",
                "--instance-types",
                "a",
                "--on-demand-percentage",
                "101"
            ])
            .is_err()
        );
        assert!(domain_create(&["web", "x", "y"]).is_err());
    }

    #[test]
    fn mixed_instances_become_a_policy() {
        let args = TemplateArgs {
            instance_types: vec!["m5.large".into(), "m4.large".into()],
            on_demand_percentage: Some(25),
            subnets: vec!["subnet-1".into(), "subnet-2".into()],
            ..Default::default()
        };
        let template = parse_template_ref("tpl:2").unwrap();
        let mut input = CreateAutoScalingGroupInput::default();
        args.apply(&mut input, &template);
        assert!(input.launch_template.is_none());
        let policy = input.mixed_instances_policy.unwrap();
        let lt = policy.launch_template.unwrap();
        assert_eq!(
            lt.launch_template_specification.unwrap().version.as_deref(),
            Some("2")
        );
        assert_eq!(lt.overrides.unwrap().len(), 2);
        let d = policy.instances_distribution.unwrap();
        assert_eq!(d.on_demand_percentage_above_base_capacity, Some(25));
        assert_eq!(d.on_demand_base_capacity, None);
        assert_eq!(
            input.vpc_zone_identifier.as_deref(),
            Some("subnet-1,subnet-2")
        );
    }
}
