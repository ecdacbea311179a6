//! DescribeAvailabilityZones, DescribeVpcs, DescribeSubnets, CreateVpc, CreateSubnet,
//! DeleteSubnet, DeleteVpc: the owner's network, with AWS's rules.
//!
//! Rules (EC2 API reference): a CIDR block must be one (`InvalidParameterValue`), a VPC's /16 to
//! /28 (`InvalidVpc.Range`), a subnet's /16 to /28 and inside its VPC (`InvalidSubnet.Range`) and
//! not overlapping another subnet of the VPC (`InvalidSubnet.Conflict`); a subnet's zone is one of
//! the region's (else `InvalidParameterValue` naming them), the first one when none is given; a
//! VPC with subnets, or a subnet a group names or an instance runs in, cannot be deleted
//! (`DependencyViolation`).

use rusqlite::{Transaction, params};

use crate::ec2::NoOutput;
use crate::ec2::types::*;
use crate::server::ec2::rows::{self, Cidr, ec2_error, invalid_value};
use crate::server::ec2::{Handle, page, passes, tag_values};
use crate::server::fault::{ApiError, shorten};
use crate::server::ops::Ctx;
use crate::server::store::Cached;

impl Handle for DescribeAvailabilityZonesInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        _tx: &Transaction<'_>,
    ) -> Result<DescribeAvailabilityZonesOutput, ApiError> {
        let settings = ctx.settings;
        let names = self.zone_names.unwrap_or_default();
        let ids = self.zone_ids.unwrap_or_default();
        let filters = self.filters.unwrap_or_default();
        let mut zones = Vec::new();
        for zone in rows::zones(ctx).iter() {
            let id = rows::zone_id(&settings.region, &settings.zones, zone);
            let az = AvailabilityZone {
                opt_in_status: Some("opt-in-not-required".into()),
                messages: Some(Vec::new()),
                region_name: Some(settings.region.clone()),
                zone_name: Some(zone.clone()),
                zone_id: Some(id.clone()),
                group_name: Some(settings.region.clone()),
                network_border_group: Some(settings.region.clone()),
                zone_type: Some("availability-zone".into()),
                state: Some("available".into()),
                ..Default::default()
            };
            let values = |name: &str| -> Option<Vec<String>> {
                Some(vec![match name {
                    "zone-name" => zone.clone(),
                    "zone-id" => id.clone(),
                    "region-name" | "group-name" | "network-border-group" => {
                        settings.region.clone()
                    }
                    "state" => "available".into(),
                    "zone-type" => "availability-zone".into(),
                    "opt-in-status" => "opt-in-not-required".into(),
                    _ => return None,
                }])
            };
            if (names.is_empty() || names.contains(zone))
                && (ids.is_empty() || ids.contains(&id))
                && passes(&filters, &values)?
            {
                zones.push(az);
            }
        }
        if let Some(missing) = names
            .iter()
            .find(|n| !rows::zones(ctx).iter().any(|z| z == *n))
        {
            return Err(invalid_value(
                "availabilityZone",
                missing,
                &format!(
                    "Availability zones in this region are: {}.",
                    rows::zones(ctx).join(", ")
                ),
            ));
        }
        Ok(DescribeAvailabilityZonesOutput {
            availability_zones: Some(zones),
        })
    }
}

/// The values of a VPC's filters.
fn vpc_values(vpc: &Vpc, name: &str) -> Option<Vec<String>> {
    let one = |v: &Option<String>| v.iter().cloned().collect();
    Some(match name {
        "vpc-id" => one(&vpc.vpc_id),
        "cidr" | "cidr-block-association.cidr-block" => one(&vpc.cidr_block),
        "state" => one(&vpc.state),
        "is-default" => vec![vpc.is_default.unwrap_or(false).to_string()],
        "owner-id" => one(&vpc.owner_id),
        "dhcp-options-id" => one(&vpc.dhcp_options_id),
        _ => return tag_values(name, vpc.tags.as_deref().unwrap_or_default()),
    })
}

impl Handle for DescribeVpcsInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<DescribeVpcsOutput, ApiError> {
        let all = rows::vpcs(tx, ctx.owner)?;
        let ids = self.vpc_ids.unwrap_or_default();
        if let Some(missing) = ids
            .iter()
            .find(|id| !all.iter().any(|v| v.vpc_id.as_ref() == Some(id)))
        {
            return Err(rows::vpc_not_found(missing));
        }
        let filters = self.filters.unwrap_or_default();
        let mut chosen = Vec::new();
        for vpc in all {
            let named = ids.is_empty() || vpc.vpc_id.as_ref().is_some_and(|i| ids.contains(i));
            if named && passes(&filters, &|n| vpc_values(&vpc, n))? {
                chosen.push(vpc);
            }
        }
        let (vpcs, next_token) = page(chosen, self.max_results, self.next_token.as_deref())?;
        Ok(DescribeVpcsOutput {
            next_token,
            vpcs: Some(vpcs),
        })
    }
}

/// The values of a subnet's filters.
fn subnet_values(s: &Subnet, name: &str) -> Option<Vec<String>> {
    let one = |v: &Option<String>| v.iter().cloned().collect();
    let flag = |v: Option<bool>| vec![v.unwrap_or(false).to_string()];
    Some(match name {
        "subnet-id" => one(&s.subnet_id),
        "vpc-id" => one(&s.vpc_id),
        "cidr" | "cidr-block" | "cidrBlock" => one(&s.cidr_block),
        "availability-zone" | "availabilityZone" => one(&s.availability_zone),
        "availability-zone-id" | "availabilityZoneId" => one(&s.availability_zone_id),
        "default-for-az" | "defaultForAz" => flag(s.default_for_az),
        "map-public-ip-on-launch" => flag(s.map_public_ip_on_launch),
        "state" => one(&s.state),
        "owner-id" => one(&s.owner_id),
        "subnet-arn" => one(&s.subnet_arn),
        "available-ip-address-count" => s
            .available_ip_address_count
            .map(|n| n.to_string())
            .into_iter()
            .collect(),
        _ => return tag_values(name, s.tags.as_deref().unwrap_or_default()),
    })
}

impl Handle for DescribeSubnetsInput {
    fn handle(
        self,
        ctx: &Ctx<'_>,
        tx: &Transaction<'_>,
    ) -> Result<DescribeSubnetsOutput, ApiError> {
        let all = rows::subnets(tx, ctx.owner)?;
        let ids = self.subnet_ids.unwrap_or_default();
        let missing: Vec<&str> = ids
            .iter()
            .filter(|id| !all.iter().any(|s| &s.id == *id))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(rows::subnet_not_found(&missing));
        }
        let filters = self.filters.unwrap_or_default();
        let mut chosen = Vec::new();
        for s in all {
            if (ids.is_empty() || ids.contains(&s.id))
                && passes(&filters, &|n| subnet_values(&s.doc, n))?
            {
                chosen.push(s.doc);
            }
        }
        let (subnets, next_token) = page(chosen, self.max_results, self.next_token.as_deref())?;
        Ok(DescribeSubnetsOutput {
            next_token,
            subnets: Some(subnets),
        })
    }
}

/// Reads a CIDR block parameter (`cidrBlock`), refusing what is not one in AWS's words.
fn cidr_param(given: Option<&str>) -> Result<Cidr, ApiError> {
    let text = given.ok_or_else(|| {
        ec2_error(
            "MissingParameter",
            "The request must contain the parameter cidrBlock",
        )
    })?;
    Cidr::parse(text.trim())
        .ok_or_else(|| invalid_value("cidrBlock", text, "This is not a valid CIDR block."))
}

/// The prefix lengths AWS allows for a VPC's or a subnet's IPv4 block.
const SIZES: std::ops::RangeInclusive<u8> = 16..=28;

impl Handle for CreateVpcInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<CreateVpcOutput, ApiError> {
        if self.ipv4_ipam_pool_id.is_some() || self.ipv4_netmask_length.is_some() {
            return Err(ec2_error(
                "InvalidParameterValue",
                "IPAM pools are not available on this endpoint: give CidrBlock.",
            ));
        }
        let cidr = cidr_param(self.cidr_block.as_deref())?;
        if !SIZES.contains(&cidr.len) {
            return Err(ec2_error(
                "InvalidVpc.Range",
                format!("The CIDR '{cidr}' is invalid."),
            ));
        }
        let tags = rows::tags_for(self.tag_specifications.as_deref(), "vpc")?;
        let mut vpc = rows::insert_vpc(ctx, tx, &rows::new_id("vpc"), cidr, false, tags)?;
        if let Some(t) = self.instance_tenancy {
            vpc.instance_tenancy = Some(t);
            tx.execute_cached(
                "UPDATE vpcs SET doc = ?3 WHERE owner = ?1 AND id = ?2",
                params![
                    ctx.owner,
                    vpc.vpc_id.as_deref().unwrap_or(""),
                    serde_json::to_string(&vpc)?
                ],
            )?;
        }
        // A new VPC is `pending` for a moment on AWS; here it is ready at once.
        Ok(CreateVpcOutput { vpc: Some(vpc) })
    }
}

impl Handle for CreateSubnetInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<CreateSubnetOutput, ApiError> {
        let vpcs = rows::vpcs(tx, ctx.owner)?;
        let vpc = vpcs
            .iter()
            .find(|v| v.vpc_id.as_deref() == Some(self.vpc_id.as_str()))
            .ok_or_else(|| rows::vpc_not_found(&self.vpc_id))?;
        let cidr = cidr_param(self.cidr_block.as_deref())?;
        let vpc_cidr = vpc
            .cidr_block
            .as_deref()
            .and_then(Cidr::parse)
            .ok_or_else(|| ApiError::internal("stored VPC CIDR unreadable"))?;
        if !SIZES.contains(&cidr.len) || !vpc_cidr.contains(cidr) {
            return Err(ec2_error(
                "InvalidSubnet.Range",
                format!("The CIDR '{cidr}' is invalid."),
            ));
        }
        let subnets = rows::subnets(tx, ctx.owner)?;
        if subnets
            .iter()
            .any(|s| s.vpc_id == self.vpc_id && s.cidr.overlaps(cidr))
        {
            return Err(ec2_error(
                "InvalidSubnet.Conflict",
                format!("The CIDR '{cidr}' conflicts with another subnet"),
            ));
        }
        let settings = ctx.settings;
        let zones = rows::zones(ctx);
        let zone = match (self.availability_zone, self.availability_zone_id) {
            (Some(z), _) => z,
            (None, Some(id)) => zones
                .iter()
                .find(|z| rows::zone_id(&settings.region, zones, z) == id)
                .cloned()
                .ok_or_else(|| {
                    invalid_value(
                        "availabilityZoneId",
                        &id,
                        "Subnets can currently only be created in the zones of this region.",
                    )
                })?,
            (None, None) => zones.first().cloned().unwrap_or_default(),
        };
        if !zones.contains(&zone) {
            return Err(invalid_value(
                "availabilityZone",
                &zone,
                &format!(
                    "Subnets can currently only be created in the following availability zones: \
                     {}.",
                    zones.join(", ")
                ),
            ));
        }
        let tags = rows::tags_for(self.tag_specifications.as_deref(), "subnet")?;
        let subnet = rows::insert_subnet(
            ctx,
            tx,
            &rows::new_id("subnet"),
            &self.vpc_id,
            &zone,
            cidr,
            false,
            tags,
        )?;
        Ok(CreateSubnetOutput {
            subnet: Some(subnet),
        })
    }
}

/// The first of the owner's groups whose `VPCZoneIdentifier` names `subnet`.
fn group_using(
    tx: &Transaction<'_>,
    owner: &str,
    subnet: &str,
) -> Result<Option<String>, ApiError> {
    let mut stmt = tx.prepare_cached(
        "SELECT name, json_extract(doc, '$.VPCZoneIdentifier') FROM groups WHERE owner = ?1 \
         ORDER BY name",
    )?;
    let rows = stmt
        .query_map(params![owner], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows.into_iter().find_map(|(name, ids)| {
        ids.is_some_and(|ids| ids.split(',').any(|i| i.trim() == subnet))
            .then_some(name)
    }))
}

impl Handle for DeleteSubnetInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let id = self.subnet_id;
        let exists = rows::subnets(tx, ctx.owner)?.iter().any(|s| s.id == id);
        if !exists {
            return Err(rows::subnet_not_found(&[&id]));
        }
        crate::server::lifecycle::sweep(tx, ctx.now)?;
        let running: i64 = tx.query_row_cached(
            "SELECT COUNT(*) FROM ec2_instances WHERE owner = ?1 AND subnet_id = ?2",
            params![ctx.owner, id],
            |r| r.get(0),
        )?;
        if running > 0 || group_using(tx, ctx.owner, &id)?.is_some() {
            return Err(ec2_error(
                "DependencyViolation",
                format!(
                    "The subnet '{}' has dependencies and cannot be deleted.",
                    shorten(&id)
                ),
            ));
        }
        tx.execute_cached(
            "DELETE FROM subnets WHERE owner = ?1 AND id = ?2",
            params![ctx.owner, id],
        )?;
        Ok(NoOutput {})
    }
}

impl Handle for DeleteVpcInput {
    fn handle(self, ctx: &Ctx<'_>, tx: &Transaction<'_>) -> Result<NoOutput, ApiError> {
        let id = self.vpc_id;
        let exists = rows::vpcs(tx, ctx.owner)?
            .iter()
            .any(|v| v.vpc_id.as_deref() == Some(id.as_str()));
        if !exists {
            return Err(rows::vpc_not_found(&id));
        }
        if rows::subnets(tx, ctx.owner)?.iter().any(|s| s.vpc_id == id) {
            return Err(ec2_error(
                "DependencyViolation",
                format!(
                    "The vpc '{}' has dependencies and cannot be deleted.",
                    shorten(&id)
                ),
            ));
        }
        tx.execute_cached(
            "DELETE FROM vpcs WHERE owner = ?1 AND id = ?2",
            params![ctx.owner, id],
        )?;
        Ok(NoOutput {})
    }
}
