//! ZEC networks: the default VPC (global, as ZEC VPCs are) and one default
//! subnet per region from the catalog, plus the VPCs and subnets an account
//! creates (kept by the engine, so they survive restarts).

use super::envelope::ApiError;
use super::errors::{self, Code};
use super::views::{self, SubnetInfo, VpcInfo};
use super::{fields, validate, Call, Fields};
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::Ipv4Addr;
use stratus_engine::model::{Network, NetworkKind};
use stratus_engine::ports::{InstanceFilter, InstanceQuery};
use stratus_engine::profile::IdStyle;

/// A parsed IPv4 CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    base: u32,
    prefix: u32,
}

impl Cidr {
    fn parse(text: &str) -> Option<Cidr> {
        let (ip, prefix) = text.split_once('/')?;
        let ip: Ipv4Addr = ip.parse().ok()?;
        let prefix: u32 = prefix.parse().ok()?;
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix.min(32))
        };
        (prefix <= 32 && u32::from(ip) & !mask == 0).then_some(Cidr {
            base: u32::from(ip),
            prefix,
        })
    }

    fn contains(&self, other: &Cidr) -> bool {
        let mask = if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        };
        other.prefix >= self.prefix && other.base & mask == self.base
    }

    fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// The first usable address, the subnet's gateway.
    fn gateway(&self) -> String {
        Ipv4Addr::from(self.base.wrapping_add(1)).to_string()
    }
}

/// Every VPC the caller sees: the default one, then its own.
pub async fn vpcs(call: &Call<'_>) -> Result<Vec<VpcInfo>, ApiError> {
    let d = &call.facts.default_vpc;
    let mut out = vec![VpcInfo {
        id: d.id.clone(),
        name: d.name.clone(),
        cidr_block: d.cidr_block.clone(),
        mtu: d.mtu,
        create_time: d.create_time.clone(),
        security_group_id: d.security_group_id.clone(),
        is_default: true,
    }];
    for n in own(call)
        .await?
        .into_iter()
        .filter(|n| n.kind == NetworkKind::Vpc)
    {
        out.push(VpcInfo {
            id: n.id,
            name: n.name,
            cidr_block: n.cidr_block,
            mtu: d.mtu,
            create_time: n.created_at.iso8601(),
            security_group_id: d.security_group_id.clone(),
            is_default: false,
        });
    }
    Ok(out)
}

/// Every subnet the caller sees: the default ones, then its own.
pub async fn subnets(call: &Call<'_>) -> Result<Vec<SubnetInfo>, ApiError> {
    let vpcs = vpcs(call).await?;
    let vpc_name = |id: &str| {
        vpcs.iter()
            .find(|v| v.id == id)
            .map(|v| v.name.clone())
            .unwrap_or_default()
    };
    let d = &call.facts.default_vpc;
    let mut out: Vec<SubnetInfo> = call
        .facts
        .subnets
        .iter()
        .map(|s| SubnetInfo {
            id: s.id.clone(),
            region: s.region.clone(),
            name: s.name.clone(),
            cidr_block: s.cidr_block.clone(),
            gateway: s.gateway.clone(),
            vpc_id: d.id.clone(),
            vpc_name: d.name.clone(),
            create_time: d.create_time.clone(),
            is_default: true,
        })
        .collect();
    for n in own(call)
        .await?
        .into_iter()
        .filter(|n| n.kind == NetworkKind::Subnet)
    {
        let vpc_id = n.vpc_id.unwrap_or_default();
        let gateway = Cidr::parse(&n.cidr_block)
            .map(|c| c.gateway())
            .unwrap_or_default();
        out.push(SubnetInfo {
            id: n.id,
            region: n.region.unwrap_or_default(),
            name: n.name,
            cidr_block: n.cidr_block,
            gateway,
            vpc_name: vpc_name(&vpc_id),
            vpc_id,
            create_time: n.created_at.iso8601(),
            is_default: false,
        });
    }
    Ok(out)
}

/// One subnet the caller sees, by id.
pub async fn subnet(call: &Call<'_>, id: &str) -> Result<Option<SubnetInfo>, ApiError> {
    Ok(subnets(call).await?.into_iter().find(|s| s.id == id))
}

async fn own(call: &Call<'_>) -> Result<Vec<Network>, ApiError> {
    call.engine
        .networks(&call.caller)
        .await
        .map_err(|e| call.engine_error(e))
}

/// How many of the caller's instances sit in `subnets`.
async fn used(call: &Call<'_>, subnets: Vec<String>) -> Result<usize, ApiError> {
    let query = InstanceQuery {
        account: call.caller.account.clone(),
        product: call.caller.product.clone(),
        region: None,
        filters: vec![InstanceFilter::SubnetIds(subnets)],
        order: Default::default(),
        offset: 0,
        limit: 0,
    };
    call.engine
        .describe_instances(&query)
        .await
        .map(|p| p.total)
        .map_err(|e| call.engine_error(e))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VpcsRequest {
    vpc_ids: Option<Vec<String>>,
    name: Option<String>,
    cidr_block: Option<String>,
    page_size: Option<i64>,
    page_num: Option<i64>,
    resource_group_id: Option<String>,
}

/// DescribeVpcs.
pub async fn describe_vpcs(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: VpcsRequest = call.parse()?;
    let ids = r.vpc_ids.unwrap_or_default();
    validate::optional_ids(&ids, "vpcIds")?;
    let (offset, limit) = validate::page(r.page_num, r.page_size)?;
    let in_group = r
        .resource_group_id
        .as_ref()
        .is_none_or(|g| g == super::profile::RESOURCE_GROUP_ID);
    let all_subnets = subnets(call).await?;
    let matching: Vec<VpcInfo> = vpcs(call)
        .await?
        .into_iter()
        .filter(|v| in_group && (ids.is_empty() || ids.contains(&v.id)))
        .filter(|v| r.name.as_ref().is_none_or(|n| v.name.contains(n.as_str())))
        .filter(|v| r.cidr_block.as_ref().is_none_or(|c| c == &v.cidr_block))
        .collect();
    let mut set = Vec::new();
    for v in matching.iter().skip(offset).take(limit) {
        let inside = all_subnets
            .iter()
            .filter(|s| s.vpc_id == v.id)
            .map(|s| s.id.clone())
            .collect();
        set.push(views::vpc(v, used(call, inside).await?, call.version));
    }
    Ok(fields([
        ("totalCount", json!(matching.len())),
        ("dataSet", Value::Array(set)),
    ]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubnetsRequest {
    subnet_ids: Option<Vec<String>>,
    name: Option<String>,
    cidr_block: Option<String>,
    region_id: Option<String>,
    vpc_ids: Option<Vec<String>>,
    page_size: Option<i64>,
    page_num: Option<i64>,
}

/// DescribeSubnets.
pub async fn describe_subnets(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: SubnetsRequest = call.parse()?;
    let ids = r.subnet_ids.unwrap_or_default();
    validate::optional_ids(&ids, "subnetIds")?;
    let vpcs = r.vpc_ids.unwrap_or_default();
    let (offset, limit) = validate::page(r.page_num, r.page_size)?;
    let matching: Vec<SubnetInfo> = subnets(call)
        .await?
        .into_iter()
        .filter(|s| {
            (ids.is_empty() || ids.contains(&s.id))
                && (vpcs.is_empty() || vpcs.contains(&s.vpc_id))
                && r.name.as_ref().is_none_or(|n| s.name.contains(n.as_str()))
                && r.cidr_block.as_ref().is_none_or(|c| c == &s.cidr_block)
                && r.region_id.as_ref().is_none_or(|g| g == &s.region)
        })
        .collect();
    let mut set = Vec::new();
    for s in matching.iter().skip(offset).take(limit) {
        let n = used(call, vec![s.id.clone()]).await?;
        set.push(views::subnet(s, n, call.version));
    }
    Ok(fields([
        ("totalCount", json!(matching.len())),
        ("dataSet", Value::Array(set)),
    ]))
}

/// Names of VPCs and subnets: 1–64 characters.
fn name(value: Option<String>, field: &str) -> Result<String, ApiError> {
    let value = value.ok_or_else(|| errors::invalid(format!("`{field}` is required.")))?;
    if value.is_empty() || value.chars().count() > 64 {
        return Err(errors::invalid(format!(
            "`{field}` must be 1 to 64 characters."
        )));
    }
    Ok(value)
}

fn cidr(
    value: Option<String>,
    smallest_prefix: u32,
    largest_prefix: u32,
) -> Result<(String, Cidr), ApiError> {
    let text = value.ok_or_else(|| errors::invalid("`cidrBlock` is required."))?;
    let parsed = Cidr::parse(&text)
        .filter(|c| (smallest_prefix..=largest_prefix).contains(&c.prefix))
        .ok_or_else(|| {
            errors::invalid(format!(
                "`cidrBlock` `{text}` must be an IPv4 network with a prefix of /{smallest_prefix} to /{largest_prefix}."
            ))
        })?;
    Ok((text, parsed))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateVpcRequest {
    name: Option<String>,
    cidr_block: Option<String>,
    mtu: Option<i64>,
    enable_pri_ipv6: Option<bool>,
    resource_group_id: Option<String>,
    tags: Option<Value>,
}

/// CreateVpc: a private VPC of the caller's (/8 to /24).
pub async fn create_vpc(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: CreateVpcRequest = call.parse()?;
    let _ = (r.enable_pri_ipv6, r.resource_group_id, r.tags);
    if r.mtu.is_some_and(|m| !(1280..=9000).contains(&m)) {
        return Err(errors::invalid("`mtu` must be 1280 to 9000."));
    }
    let name = name(r.name, "name")?;
    let (cidr_block, _) = cidr(r.cidr_block, 8, 24)?;
    let network = Network {
        id: IdStyle::Decimal { digits: 19 }.generate(),
        account: String::new(),
        product: String::new(),
        kind: NetworkKind::Vpc,
        name,
        cidr_block,
        region: None,
        vpc_id: None,
        created_at: stratus_engine::clock::Timestamp(0),
        version: 0,
    };
    let vpc = call
        .engine
        .create_network(&call.caller, network)
        .await
        .map_err(|e| call.engine_error(e))?;
    Ok(fields([("vpcId", json!(vpc.id))]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateSubnetRequest {
    vpc_id: Option<String>,
    name: Option<String>,
    region_id: Option<String>,
    stack_type: Option<String>,
    cidr_block: Option<String>,
}

/// CreateSubnet: inside one of the caller's VPCs, in one region, not
/// overlapping the VPC's other subnets.
pub async fn create_subnet(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: CreateSubnetRequest = call.parse()?;
    if r.stack_type.as_deref().is_some_and(|t| t != "IPv4") {
        return Err(errors::invalid(
            "Only the `IPv4` stack type is offered here.",
        ));
    }
    let vpc_id = r
        .vpc_id
        .ok_or_else(|| errors::invalid("`vpcId` is required."))?;
    let region = r
        .region_id
        .ok_or_else(|| errors::invalid("`regionId` is required."))?;
    let name = name(r.name, "name")?;
    let (cidr_block, block) = cidr(r.cidr_block, 8, 29)?;
    if !call.facts.regions.contains_key(&region) {
        return Err(errors::invalid(format!(
            "The region `{region}` is not found."
        )));
    }
    let vpc = vpcs(call)
        .await?
        .into_iter()
        .find(|v| v.id == vpc_id)
        .ok_or_else(|| Code::VpcNotFound.message(format!("The VPC `{vpc_id}` is not found.")))?;
    let within = Cidr::parse(&vpc.cidr_block).is_some_and(|v| v.contains(&block));
    if !within {
        return Err(errors::invalid(format!(
            "`{cidr_block}` is not inside the VPC's {}.",
            vpc.cidr_block
        )));
    }
    let taken = subnets(call)
        .await?
        .into_iter()
        .filter(|s| s.vpc_id == vpc_id)
        .any(|s| Cidr::parse(&s.cidr_block).is_some_and(|c| c.overlaps(&block)));
    if taken {
        return Err(errors::invalid(format!(
            "`{cidr_block}` overlaps another subnet of the VPC."
        )));
    }
    let network = Network {
        id: IdStyle::Decimal { digits: 19 }.generate(),
        account: String::new(),
        product: String::new(),
        kind: NetworkKind::Subnet,
        name,
        cidr_block,
        region: Some(region),
        vpc_id: Some(vpc_id),
        created_at: stratus_engine::clock::Timestamp(0),
        version: 0,
    };
    let subnet = call
        .engine
        .create_network(&call.caller, network)
        .await
        .map_err(|e| call.engine_error(e))?;
    Ok(fields([("subnetId", json!(subnet.id))]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_blocks_parse_contain_and_overlap() {
        let vpc = Cidr::parse("10.0.0.0/16").expect("valid");
        let a = Cidr::parse("10.0.1.0/24").expect("valid");
        let b = Cidr::parse("10.0.1.128/25").expect("valid");
        let c = Cidr::parse("10.1.0.0/24").expect("valid");
        assert!(vpc.contains(&a) && a.overlaps(&b) && !vpc.contains(&c));
        assert_eq!(a.gateway(), "10.0.1.1");
        assert!(Cidr::parse("10.0.1.1/24").is_none(), "host bits set");
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("banana").is_none());
    }
}
