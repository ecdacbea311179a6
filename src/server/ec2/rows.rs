//! The EC2 slice's rows: each owner's VPCs and subnets (with the default VPC and its default
//! subnets made on the owner's first use), launch templates and their numbered versions, and the
//! EC2 side of group instances (subnet, private address, template version, purchase option).
//!
//! Why here: the EC2 handlers and the Auto Scaling groups share these rows (a group names subnets
//! and a template, its launches read them), so the one place that reads and writes them is this
//! module; the handlers in `network.rs`, `templates.rs` and `instances.rs` and the group code in
//! `crate::server::rows::groups` call it. Attributes are kept as the JSON of the API's own shapes
//! (`Vpc`, `Subnet`, `LaunchTemplate`, `LaunchTemplateVersion`), beside the columns the rules
//! query (CIDRs, zones, names, version numbers).

use rusqlite::{OptionalExtension, Transaction, params};

use crate::autoscaling::types as asg;
use crate::ec2::types::{
    LaunchTemplate, LaunchTemplateVersion, RequestLaunchTemplateData, ResponseLaunchTemplateData,
    Subnet, Tag, TagSpecification, Vpc, VpcCidrBlockAssociation, VpcCidrBlockState,
};
use crate::query::xml::{parse_nodes, render_members_named};
use crate::server::fault::{ApiError, shorten};
use crate::server::lifecycle::{new_instance_id, timestamp};
use crate::server::ops::Ctx;
use crate::server::store::Cached;

/// The tables; `IF NOT EXISTS` makes opening an older state file add them.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ec2_owners (
    owner TEXT PRIMARY KEY,
    default_vpc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vpcs (
    owner TEXT NOT NULL,
    id TEXT NOT NULL,
    cidr TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (owner, id)
);
CREATE TABLE IF NOT EXISTS subnets (
    owner TEXT NOT NULL,
    id TEXT NOT NULL,
    vpc_id TEXT NOT NULL,
    zone TEXT NOT NULL,
    cidr TEXT NOT NULL,
    next_host INTEGER NOT NULL DEFAULT 4,
    doc TEXT NOT NULL,
    PRIMARY KEY (owner, id)
);
CREATE TABLE IF NOT EXISTS launch_templates (
    owner TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (owner, id),
    UNIQUE (owner, name)
);
CREATE TABLE IF NOT EXISTS launch_template_versions (
    owner TEXT NOT NULL,
    template_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (owner, template_id, version)
);
CREATE TABLE IF NOT EXISTS ec2_instances (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    subnet_id TEXT NOT NULL,
    vpc_id TEXT NOT NULL,
    private_ip TEXT NOT NULL,
    lt_id TEXT NOT NULL,
    lt_name TEXT NOT NULL,
    lt_version TEXT NOT NULL,
    spot INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ec2_instances_by_subnet ON ec2_instances (owner, subnet_id);
-- An instance row gone (swept, or its group deleted) takes its EC2 side with it.
CREATE TRIGGER IF NOT EXISTS ec2_instances_follow AFTER DELETE ON instances
BEGIN
    DELETE FROM ec2_instances WHERE id = old.id;
END;
";

/// The default VPC's CIDR block, as AWS makes it.
pub const DEFAULT_VPC_CIDR: &str = "172.31.0.0/16";

/// A new EC2 resource id: `prefix-` and 17 hex digits.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", &new_instance_id()[2..])
}

/// An IPv4 CIDR block: the network address and the prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The network address (host bits zero).
    pub base: u32,
    /// The prefix length, 0..=32.
    pub len: u8,
}

impl Cidr {
    /// Reads `a.b.c.d/n`; `None` when it is not a CIDR block with its host bits zero.
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, len) = text.split_once('/')?;
        let len: u8 = len.parse().ok().filter(|l| *l <= 32)?;
        if len.to_string() != text.split_once('/')?.1 {
            return None; // `/016` or `/+16`
        }
        let addr: std::net::Ipv4Addr = addr.parse().ok()?;
        let base = u32::from(addr);
        let cidr = Cidr { base, len };
        (base & !cidr.mask() == 0).then_some(cidr)
    }

    fn mask(self) -> u32 {
        if self.len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.len))
        }
    }

    /// The number of addresses in the block.
    pub fn size(self) -> u64 {
        1u64 << (32 - u32::from(self.len))
    }

    /// The last address of the block.
    fn last(self) -> u32 {
        self.base | !self.mask()
    }

    /// Whether `other` lies wholly inside this block.
    pub fn contains(self, other: Cidr) -> bool {
        other.len >= self.len && (other.base & self.mask()) == self.base
    }

    /// Whether the two blocks share an address.
    pub fn overlaps(self, other: Cidr) -> bool {
        self.base <= other.last() && other.base <= self.last()
    }

    /// The address `offset` into the block, dotted.
    pub fn address(self, offset: u32) -> String {
        std::net::Ipv4Addr::from(self.base.wrapping_add(offset)).to_string()
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", std::net::Ipv4Addr::from(self.base), self.len)
    }
}

/// The addresses AWS keeps in every subnet (the first four and the last).
pub const RESERVED_ADDRESSES: u64 = 5;

/// An EC2 error (HTTP 400) with its code and message.
pub fn ec2_error(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::with_status(400, code, message)
}

/// AWS's refusal of a malformed parameter value.
pub fn invalid_value(parameter: &str, value: &str, why: &str) -> ApiError {
    ec2_error(
        "InvalidParameterValue",
        format!(
            "Value ({}) for parameter {parameter} is invalid. {why}",
            shorten(value)
        ),
    )
}

/// The zones of the endpoint's region (`phantom serve --zones`).
pub fn zones<'a>(ctx: &Ctx<'a>) -> &'a [String] {
    &ctx.settings.zones
}

/// The zone id AWS pairs with a zone (`use1-az1` for the first zone of us-east-1, `apne1-az2`
/// for the second of ap-northeast-1): the region's first part, the initials of its compass words,
/// its number, then `-az` and the zone's place in the list.
pub fn zone_id(region: &str, zones: &[String], zone: &str) -> String {
    let mut parts = region.split('-');
    let mut short = parts.next().unwrap_or("").to_string();
    for part in parts {
        if part.bytes().all(|b| b.is_ascii_digit()) {
            short.push_str(part);
            continue;
        }
        let mut rest = part;
        while !rest.is_empty() {
            let word = ["north", "south", "east", "west", "central"]
                .into_iter()
                .find(|w| rest.starts_with(w));
            let mut chars = rest.chars();
            short.extend(chars.next());
            rest = match word {
                Some(w) => rest.get(w.len()..).unwrap_or(""),
                None => chars.as_str(),
            };
        }
    }
    let n = zones.iter().position(|z| z == zone).map_or(0, |i| i + 1);
    format!("{short}-az{n}")
}

/// The tags a request's `TagSpecifications` give a resource of `kind` (`vpc`, `subnet`,
/// `launch-template`); a specification for another kind is refused, as AWS refuses it.
pub fn tags_for(specs: Option<&[TagSpecification]>, kind: &str) -> Result<Vec<Tag>, ApiError> {
    let mut tags = Vec::new();
    for spec in specs.unwrap_or_default() {
        match spec.resource_type.as_deref() {
            Some(k) if k == kind => tags.extend(spec.tags.clone().unwrap_or_default()),
            other => {
                return Err(ec2_error(
                    "InvalidParameterValue",
                    format!(
                        "'{}' is not a valid taggable resource type for this operation.",
                        shorten(other.unwrap_or(""))
                    ),
                ));
            }
        }
    }
    Ok(tags)
}

/// Makes the owner's default VPC and one default subnet per zone on the owner's first EC2 use
/// (any EC2 request, or a group naming subnets); a no-op after.
pub fn ensure_defaults(ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<(), ApiError> {
    let known = tx
        .query_row_cached(
            "SELECT 1 FROM ec2_owners WHERE owner = ?1",
            params![ctx.owner],
            |_| Ok(()),
        )
        .optional()?;
    if known.is_some() {
        return Ok(());
    }
    let vpc_id = new_id("vpc");
    let cidr = Cidr::parse(DEFAULT_VPC_CIDR).ok_or_else(|| ApiError::internal("default CIDR"))?;
    insert_vpc(ctx, tx, &vpc_id, cidr, true, Vec::new())?;
    for (i, zone) in zones(ctx).iter().enumerate() {
        // 172.31.0.0/20, 172.31.16.0/20, ...: AWS's default subnets, sixteen at most.
        if i >= 16 {
            break;
        }
        let sub = Cidr {
            base: cidr.base + ((i as u32) << 12),
            len: 20,
        };
        insert_subnet(
            ctx,
            tx,
            &new_id("subnet"),
            &vpc_id,
            zone,
            sub,
            true,
            Vec::new(),
        )?;
    }
    tx.execute_cached(
        "INSERT INTO ec2_owners (owner, default_vpc) VALUES (?1, ?2)",
        params![ctx.owner, vpc_id],
    )?;
    Ok(())
}

/// Stores a new VPC and returns its shape.
pub fn insert_vpc(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    id: &str,
    cidr: Cidr,
    default: bool,
    tags: Vec<Tag>,
) -> Result<Vpc, ApiError> {
    let vpc = Vpc {
        vpc_id: Some(id.to_string()),
        cidr_block: Some(cidr.to_string()),
        state: Some("available".into()),
        dhcp_options_id: Some("default".into()),
        instance_tenancy: Some("default".into()),
        is_default: Some(default),
        owner_id: Some(ctx.settings.account_id.clone()),
        cidr_block_association_set: Some(vec![VpcCidrBlockAssociation {
            association_id: Some(new_id("vpc-cidr-assoc")),
            cidr_block: Some(cidr.to_string()),
            cidr_block_state: Some(VpcCidrBlockState {
                state: Some("associated".into()),
                ..Default::default()
            }),
        }]),
        tags: (!tags.is_empty()).then_some(tags),
        ..Default::default()
    };
    tx.execute_cached(
        "INSERT INTO vpcs (owner, id, cidr, doc) VALUES (?1, ?2, ?3, ?4)",
        params![
            ctx.owner,
            id,
            cidr.to_string(),
            serde_json::to_string(&vpc)?
        ],
    )?;
    Ok(vpc)
}

/// Stores a new subnet and returns its shape.
#[allow(clippy::too_many_arguments)]
pub fn insert_subnet(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    id: &str,
    vpc_id: &str,
    zone: &str,
    cidr: Cidr,
    default: bool,
    tags: Vec<Tag>,
) -> Result<Subnet, ApiError> {
    let settings = ctx.settings;
    let subnet = Subnet {
        subnet_id: Some(id.to_string()),
        vpc_id: Some(vpc_id.to_string()),
        cidr_block: Some(cidr.to_string()),
        availability_zone: Some(zone.to_string()),
        availability_zone_id: Some(zone_id(&settings.region, &settings.zones, zone)),
        available_ip_address_count: Some(
            i32::try_from(cidr.size().saturating_sub(RESERVED_ADDRESSES)).unwrap_or(i32::MAX),
        ),
        default_for_az: Some(default),
        map_public_ip_on_launch: Some(default),
        state: Some("available".into()),
        owner_id: Some(settings.account_id.clone()),
        subnet_arn: Some(format!(
            "arn:aws:ec2:{}:{}:subnet/{id}",
            settings.region, settings.account_id
        )),
        assign_ipv6_address_on_creation: Some(false),
        tags: (!tags.is_empty()).then_some(tags),
        ..Default::default()
    };
    tx.execute_cached(
        "INSERT INTO subnets (owner, id, vpc_id, zone, cidr, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            ctx.owner,
            id,
            vpc_id,
            zone,
            cidr.to_string(),
            serde_json::to_string(&subnet)?
        ],
    )?;
    Ok(subnet)
}

/// The owner's VPCs, by id.
pub fn vpcs(tx: &Transaction<'_>, owner: &str) -> Result<Vec<Vpc>, ApiError> {
    let mut stmt = tx.prepare_cached("SELECT doc FROM vpcs WHERE owner = ?1 ORDER BY id")?;
    let docs = stmt
        .query_map(params![owner], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    docs.iter()
        .map(|d| serde_json::from_str(d).map_err(ApiError::from))
        .collect()
}

/// A stored subnet: what launches and rules need, and the shape.
#[derive(Debug, Clone)]
pub struct SubnetRow {
    /// `subnet-...`.
    pub id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its zone.
    pub zone: String,
    /// Its block.
    pub cidr: Cidr,
    /// The shape (without the live address count).
    pub doc: Subnet,
}

/// The owner's subnets, by id; the address count is what the owner's instances leave free.
pub fn subnets(tx: &Transaction<'_>, owner: &str) -> Result<Vec<SubnetRow>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT s.id, s.vpc_id, s.zone, s.cidr, s.doc, \
         (SELECT COUNT(*) FROM ec2_instances e WHERE e.owner = s.owner AND e.subnet_id = s.id) \
         FROM subnets s WHERE s.owner = ?1 ORDER BY s.id",
    )?;
    let rows = stmt
        .query_map(params![owner], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, vpc_id, zone, cidr, doc, used)| {
            let cidr = Cidr::parse(&cidr)
                .ok_or_else(|| ApiError::internal(format!("stored CIDR {cidr} unreadable")))?;
            let mut doc: Subnet = serde_json::from_str(&doc)?;
            let free = cidr
                .size()
                .saturating_sub(RESERVED_ADDRESSES)
                .saturating_sub(used.max(0) as u64);
            doc.available_ip_address_count = Some(i32::try_from(free).unwrap_or(i32::MAX));
            Ok(SubnetRow {
                id,
                vpc_id,
                zone,
                cidr,
                doc,
            })
        })
        .collect()
}

/// The error for subnets that do not exist (AWS names them all).
pub fn subnet_not_found(ids: &[&str]) -> ApiError {
    let shown = ids
        .iter()
        .map(|i| shorten(i))
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() == 1 {
        ec2_error(
            "InvalidSubnetID.NotFound",
            format!("The subnet ID '{shown}' does not exist"),
        )
    } else {
        ec2_error(
            "InvalidSubnetID.NotFound",
            format!("The subnet IDs '{shown}' do not exist"),
        )
    }
}

/// The error for a VPC that does not exist.
pub fn vpc_not_found(id: &str) -> ApiError {
    ec2_error(
        "InvalidVpcID.NotFound",
        format!("The vpc ID '{}' does not exist", shorten(id)),
    )
}

/// A stored launch template: its shape (`LatestVersionNumber`, `DefaultVersionNumber` kept up to
/// date).
pub struct TemplateRow {
    /// `lt-...`.
    pub id: String,
    /// The shape.
    pub doc: LaunchTemplate,
}

impl TemplateRow {
    /// The template's name.
    pub fn name(&self) -> &str {
        self.doc.launch_template_name.as_deref().unwrap_or("")
    }

    /// Its default version number.
    pub fn default_version(&self) -> i64 {
        self.doc.default_version_number.unwrap_or(1)
    }

    /// Its latest version number.
    pub fn latest_version(&self) -> i64 {
        self.doc.latest_version_number.unwrap_or(1)
    }
}

/// How a request names a template.
pub enum TemplateRef<'a> {
    /// `LaunchTemplateId`.
    Id(&'a str),
    /// `LaunchTemplateName`.
    Name(&'a str),
}

/// The one template a request names by id or by name (exactly one of the two: AWS's
/// `InvalidParameterCombination` / `MissingParameter` otherwise).
pub fn template_ref<'a>(
    id: Option<&'a str>,
    name: Option<&'a str>,
) -> Result<TemplateRef<'a>, ApiError> {
    match (id.filter(|s| !s.is_empty()), name.filter(|s| !s.is_empty())) {
        (Some(id), None) => Ok(TemplateRef::Id(id)),
        (None, Some(name)) => Ok(TemplateRef::Name(name)),
        (Some(_), Some(_)) => Err(ec2_error(
            "InvalidParameterCombination",
            "You must specify either the launch template ID or the launch template name, but \
             not both.",
        )),
        (None, None) => Err(ec2_error(
            "MissingParameter",
            "You must specify either the launch template ID or the launch template name.",
        )),
    }
}

/// Loads a template by id or name.
pub fn load_template(
    tx: &Transaction<'_>,
    owner: &str,
    which: &TemplateRef<'_>,
) -> Result<Option<TemplateRow>, ApiError> {
    let (sql, key) = match which {
        TemplateRef::Id(id) => (
            "SELECT id, doc FROM launch_templates WHERE owner = ?1 AND id = ?2",
            *id,
        ),
        TemplateRef::Name(name) => (
            "SELECT id, doc FROM launch_templates WHERE owner = ?1 AND name = ?2",
            *name,
        ),
    };
    let row = tx
        .query_row_cached(sql, params![owner, key], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?;
    row.map(|(id, doc)| {
        Ok(TemplateRow {
            id,
            doc: serde_json::from_str(&doc)?,
        })
    })
    .transpose()
}

/// EC2's error for a template that does not exist, as AWS words it.
pub fn template_not_found(which: &TemplateRef<'_>) -> ApiError {
    match which {
        TemplateRef::Id(id) => ec2_error(
            "InvalidLaunchTemplateId.NotFound",
            format!(
                "The specified launch template, with template ID {}, does not exist.",
                shorten(id)
            ),
        ),
        TemplateRef::Name(name) => ec2_error(
            "InvalidLaunchTemplateName.NotFoundException",
            format!(
                "The specified launch template, with template name {}, does not exist.",
                shorten(name)
            ),
        ),
    }
}

/// Loads a template or fails with EC2's not-found error.
pub fn require_template(
    tx: &Transaction<'_>,
    owner: &str,
    which: &TemplateRef<'_>,
) -> Result<TemplateRow, ApiError> {
    load_template(tx, owner, which)?.ok_or_else(|| template_not_found(which))
}

/// Writes a template's shape back.
pub fn save_template(tx: &Transaction<'_>, owner: &str, t: &TemplateRow) -> Result<(), ApiError> {
    tx.execute_cached(
        "UPDATE launch_templates SET doc = ?3 WHERE owner = ?1 AND id = ?2",
        params![owner, t.id, serde_json::to_string(&t.doc)?],
    )?;
    Ok(())
}

/// The version number a version string names (`$Latest`, `$Default`, `N`), or `None` when it is
/// none of those.
pub fn version_number(t: &TemplateRow, given: &str) -> Option<i64> {
    match given {
        "$Latest" => Some(t.latest_version()),
        "$Default" => Some(t.default_version()),
        n => n.parse::<i64>().ok().filter(|n| *n >= 1),
    }
}

/// Loads one version of a template.
pub fn load_version(
    tx: &Transaction<'_>,
    owner: &str,
    template_id: &str,
    version: i64,
) -> Result<Option<LaunchTemplateVersion>, ApiError> {
    let doc = tx
        .query_row_cached(
            "SELECT doc FROM launch_template_versions WHERE owner = ?1 AND template_id = ?2 \
             AND version = ?3",
            params![owner, template_id, version],
            |r| r.get::<_, String>(0),
        )
        .optional()?;
    doc.map(|d| serde_json::from_str(&d).map_err(ApiError::from))
        .transpose()
}

/// All versions of a template, in number order.
pub fn versions(
    tx: &Transaction<'_>,
    owner: &str,
    template_id: &str,
) -> Result<Vec<LaunchTemplateVersion>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT doc FROM launch_template_versions WHERE owner = ?1 AND template_id = ?2 \
         ORDER BY version",
    )?;
    let docs = stmt
        .query_map(params![owner, template_id], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    docs.iter()
        .map(|d| serde_json::from_str(d).map_err(ApiError::from))
        .collect()
}

/// Stores a new version of a template (its number the template's latest plus one, or 1).
pub fn insert_version(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    t: &TemplateRow,
    number: i64,
    description: Option<String>,
    data: ResponseLaunchTemplateData,
) -> Result<LaunchTemplateVersion, ApiError> {
    let version = LaunchTemplateVersion {
        launch_template_id: Some(t.id.clone()),
        launch_template_name: Some(t.name().to_string()),
        version_number: Some(number),
        version_description: description,
        create_time: Some(timestamp(ctx.now)),
        created_by: Some(format!("arn:aws:iam::{}:root", ctx.settings.account_id)),
        default_version: Some(number == t.default_version()),
        launch_template_data: Some(data),
        ..Default::default()
    };
    tx.execute_cached(
        "INSERT INTO launch_template_versions (owner, template_id, version, doc) \
         VALUES (?1, ?2, ?3, ?4)",
        params![ctx.owner, t.id, number, serde_json::to_string(&version)?],
    )?;
    Ok(version)
}

/// A request's launch template data as the reply's shape: the two shapes share their members'
/// names (not their wire names), so the request is written with the model's member names and read
/// back as the reply shape.
pub fn response_data(
    data: &RequestLaunchTemplateData,
) -> Result<ResponseLaunchTemplateData, ApiError> {
    let members = render_members_named(data, crate::ec2::types::member_name)
        .map_err(|e| ApiError::internal(format!("launch template data: {e}")))?;
    let document = format!("<d>{members}</d>");
    let (_, node) = parse_nodes(&document)
        .map_err(|e| ApiError::internal(format!("launch template data: {e}")))?;
    crate::query::tree::from_node(&node).map_err(|e| {
        ec2_error(
            "InvalidParameterValue",
            format!("The launch template data is invalid: {}", shorten(&e.0)),
        )
    })
}

/// Where one launch of a group goes and what it runs: the subnets the group names (none: the
/// zone of the group, no subnet), the launch template version it resolved to for this launch,
/// and, with a mixed instances policy, the instance types and purchase options.
pub struct LaunchPlan {
    /// The group's subnets, in the order it names them.
    pub subnets: Vec<SubnetRow>,
    /// `(id, name, version number)` of the template version launches use.
    pub template: Option<(String, String, i64)>,
    /// The instance type and image of that version (or of the launch configuration).
    pub instance_type: String,
    /// The image id.
    pub image_id: String,
    /// The mixed instances policy's overrides' instance types, in priority order.
    pub override_types: Vec<String>,
    /// `OnDemandBaseCapacity`.
    pub on_demand_base: i64,
    /// `OnDemandPercentageAboveBaseCapacity`.
    pub on_demand_percent: i64,
}

/// What a launch decided: the instance's zone and type.
pub struct Placed {
    /// The zone.
    pub zone: String,
    /// The instance type.
    pub instance_type: String,
}

impl LaunchPlan {
    /// Places one new instance of the group and records its EC2 side: the subnet with the fewest
    /// of the group's live instances (ties: the group's order), the next address of that
    /// subnet, and, under a mixed instances policy, On-Demand until the base capacity and the
    /// percentage above it are met (the first override's type, as the prioritized strategy
    /// takes it), else Spot (the overrides in turn: there are no Spot prices here to choose by).
    pub fn place(
        &self,
        tx: &Transaction<'_>,
        owner: &str,
        group: &str,
        id: &str,
        fallback_zone: &str,
    ) -> Result<Placed, ApiError> {
        let live = |extra: &str, p: &dyn rusqlite::ToSql| -> Result<i64, ApiError> {
            Ok(tx.query_row_cached(
                &format!(
                    "SELECT COUNT(*) FROM instances i JOIN ec2_instances e ON e.id = i.id \
                     WHERE i.owner = ?1 AND i.group_name = ?2 AND i.terminating_ms IS NULL \
                     AND i.id <> ?3 {extra}"
                ),
                params![owner, group, id, p],
                |r| r.get(0),
            )?)
        };
        let mut chosen: Option<(&SubnetRow, i64)> = None;
        for s in &self.subnets {
            let n = live("AND e.subnet_id = ?4", &s.id)?;
            if chosen.is_none_or(|(_, best)| n < best) {
                chosen = Some((s, n));
            }
        }
        let mut instance_type = self.instance_type.clone();
        let mut spot = false;
        if !self.override_types.is_empty() {
            let on_demand = live("AND e.spot = ?4", &0)?;
            let spots = live("AND e.spot = ?4", &1)?;
            let total = on_demand + spots + 1;
            let above = (total - self.on_demand_base).max(0);
            // On-Demand wanted among the first `total`: the base, then the percentage of the
            // rest (rounded up, as AWS favours On-Demand on a fraction).
            let wanted =
                total.min(self.on_demand_base) + (above * self.on_demand_percent + 99) / 100;
            spot = on_demand >= wanted;
            instance_type = if spot {
                self.override_types[(spots as usize) % self.override_types.len()].clone()
            } else {
                self.override_types[0].clone()
            };
        }
        let (zone, subnet_id, vpc_id, ip) = match chosen {
            Some((s, _)) => {
                let next: i64 = tx.query_row_cached(
                    "UPDATE subnets SET next_host = next_host + 1 WHERE owner = ?1 AND id = ?2 \
                     RETURNING next_host - 1",
                    params![owner, s.id],
                    |r| r.get(0),
                )?;
                // Addresses after the four reserved ones, wrapping before the last (reserved).
                let usable = s.cidr.size().saturating_sub(RESERVED_ADDRESSES).max(1);
                let offset = 4 + ((next.max(4) - 4) as u64 % usable);
                (
                    s.zone.clone(),
                    s.id.clone(),
                    s.vpc_id.clone(),
                    s.cidr.address(offset as u32),
                )
            }
            None => (
                fallback_zone.to_string(),
                String::new(),
                String::new(),
                String::new(),
            ),
        };
        let (lt_id, lt_name, lt_version) = match &self.template {
            Some((i, n, v)) => (i.clone(), n.clone(), v.to_string()),
            None => Default::default(),
        };
        tx.execute_cached(
            "INSERT OR REPLACE INTO ec2_instances (id, owner, subnet_id, vpc_id, private_ip, \
             lt_id, lt_name, lt_version, spot) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                id, owner, subnet_id, vpc_id, ip, lt_id, lt_name, lt_version, spot
            ],
        )?;
        Ok(Placed {
            zone,
            instance_type,
        })
    }
}

/// The EC2 side of an instance.
pub struct InstanceSide {
    /// Its subnet (`""`: none).
    pub subnet_id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its private address.
    pub private_ip: String,
    /// The template version it was launched from (`None`: a launch configuration).
    pub template: Option<asg::LaunchTemplateSpecification>,
    /// Launched as a Spot instance.
    pub spot: bool,
}

/// The EC2 side of one instance, if it has one.
pub fn instance_side(
    tx: &Transaction<'_>,
    owner: &str,
    id: &str,
) -> Result<Option<InstanceSide>, ApiError> {
    let row = tx
        .query_row_cached(
            "SELECT subnet_id, vpc_id, private_ip, lt_id, lt_name, lt_version, spot \
             FROM ec2_instances WHERE owner = ?1 AND id = ?2",
            params![owner, id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, bool>(6)?,
                ))
            },
        )
        .optional()?;
    Ok(row.map(
        |(subnet_id, vpc_id, private_ip, lt_id, lt_name, lt_version, spot)| InstanceSide {
            subnet_id,
            vpc_id,
            private_ip,
            template: (!lt_id.is_empty()).then_some(asg::LaunchTemplateSpecification {
                launch_template_id: Some(lt_id),
                launch_template_name: Some(lt_name),
                version: Some(lt_version),
            }),
            spot,
        },
    ))
}

/// Auto Scaling's refusal of a group whose template (or version) does not exist. AWS's text
/// for the template: "You must use a valid fully-formed launch template. The specified launch
/// template, with template name N, does not exist."
pub fn group_template_missing(spec: &asg::LaunchTemplateSpecification) -> ApiError {
    let what = match (&spec.launch_template_id, &spec.launch_template_name) {
        (Some(id), _) => format!("template ID {}", shorten(id)),
        (None, Some(name)) => format!("template name {}", shorten(name)),
        (None, None) => String::new(),
    };
    ApiError::validation(format!(
        "You must use a valid fully-formed launch template. The specified launch template, \
         with {what}, does not exist."
    ))
}

/// Resolves a group's template specification (by id or name, `Version` `$Default` when
/// absent, `$Latest`, or a number) to the stored template and version: Auto Scaling's
/// `ValidationError` when either does not exist.
pub fn resolve_group_template(
    tx: &Transaction<'_>,
    owner: &str,
    spec: &asg::LaunchTemplateSpecification,
) -> Result<(TemplateRow, LaunchTemplateVersion), ApiError> {
    let which = match (
        spec.launch_template_id.as_deref().filter(|s| !s.is_empty()),
        spec.launch_template_name
            .as_deref()
            .filter(|s| !s.is_empty()),
    ) {
        (Some(id), None) => TemplateRef::Id(id),
        (None, Some(name)) => TemplateRef::Name(name),
        _ => {
            return Err(ApiError::validation(
                "Valid requests must contain either launchTemplateId or LaunchTemplateName",
            ));
        }
    };
    let t = load_template(tx, owner, &which)?.ok_or_else(|| group_template_missing(spec))?;
    let given = spec.version.as_deref().unwrap_or("$Default");
    let number = version_number(&t, given).ok_or_else(|| {
        ApiError::validation(format!(
            "You must use a valid fully-formed launch template. The version {} is not valid: \
             use $Latest, $Default or a version number.",
            shorten(given)
        ))
    })?;
    let version = load_version(tx, owner, &t.id, number)?.ok_or_else(|| {
        ApiError::validation(format!(
            "You must use a valid fully-formed launch template. The specified launch template \
             version {number} of {} does not exist.",
            shorten(&t.id)
        ))
    })?;
    Ok((t, version))
}

/// The owner's default subnets of `zones` (a zone without one is left out), in the zones' order.
pub fn default_subnets(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    zones: &[String],
) -> Result<Vec<SubnetRow>, ApiError> {
    ensure_defaults(ctx, tx)?;
    let all = subnets(tx, ctx.owner)?;
    Ok(zones
        .iter()
        .filter_map(|z| {
            all.iter()
                .find(|s| &s.zone == z && s.doc.default_for_az == Some(true))
                .cloned()
        })
        .collect())
}

/// The subnets a group's `VPCZoneIdentifier` names (comma-separated ids), all of the owner's
/// and all in one VPC, in the order given; AWS's errors otherwise.
pub fn group_subnets(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    identifier: &str,
) -> Result<Vec<SubnetRow>, ApiError> {
    ensure_defaults(ctx, tx)?;
    let ids: Vec<&str> = identifier
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let all = subnets(tx, ctx.owner)?;
    let missing: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| !all.iter().any(|s| s.id == *id))
        .collect();
    if !missing.is_empty() {
        // Auto Scaling's words for a subnet it cannot find.
        return Err(ApiError::validation(format!(
            "The subnet ID '{}' does not exist",
            missing
                .iter()
                .map(|m| shorten(m))
                .collect::<Vec<_>>()
                .join(",")
        )));
    }
    let mut chosen: Vec<SubnetRow> = Vec::new();
    for id in ids {
        if chosen.iter().any(|s| s.id == id) {
            continue;
        }
        if let Some(s) = all.iter().find(|s| s.id == id) {
            chosen.push(s.clone());
        }
    }
    if let Some(first) = chosen.first()
        && chosen.iter().any(|s| s.vpc_id != first.vpc_id)
    {
        return Err(ApiError::validation(
            "The subnets specified in VPCZoneIdentifier must be in the same VPC.",
        ));
    }
    Ok(chosen)
}
