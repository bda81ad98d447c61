//! ZEC networks: the default VPC (global, as ZEC VPCs are) and one default
//! subnet per region, from the catalog, so that instances can be placed.
//! Creating VPCs and subnets needs a durable network record the engine's
//! store does not have yet; until then CreateVpc and CreateSubnet answer
//! `OPERATION_NOT_SUPPORTED` rather than keep state that a restart loses.

use super::envelope::ApiError;
use super::errors::Code;
use super::{fields, validate, views, Call, Fields};
use serde::Deserialize;
use serde_json::{json, Value};
use stratus_engine::ports::{InstanceFilter, InstanceQuery};

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
    let vpc = &call.facts.default_vpc;
    let matches = (ids.is_empty() || ids.contains(&vpc.id))
        && r.name
            .as_ref()
            .is_none_or(|n| vpc.name.contains(n.as_str()))
        && r.cidr_block.as_ref().is_none_or(|c| c == &vpc.cidr_block)
        && r.resource_group_id
            .as_ref()
            .is_none_or(|g| g == super::profile::RESOURCE_GROUP_ID);
    let mut set = Vec::new();
    if matches && offset == 0 && limit > 0 {
        let subnets = call.facts.subnets.iter().map(|s| s.id.clone()).collect();
        set.push(views::vpc(vpc, used(call, subnets).await?, call.version));
    }
    Ok(fields([
        ("totalCount", json!(usize::from(matches))),
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
    let vpc = &call.facts.default_vpc;
    let matching: Vec<_> = call
        .facts
        .subnets
        .iter()
        .filter(|s| {
            (ids.is_empty() || ids.contains(&s.id))
                && (vpcs.is_empty() || vpcs.contains(&vpc.id))
                && r.name.as_ref().is_none_or(|n| s.name.contains(n.as_str()))
                && r.cidr_block.as_ref().is_none_or(|c| c == &s.cidr_block)
                && r.region_id.as_ref().is_none_or(|g| g == &s.region)
        })
        .collect();
    let mut set = Vec::new();
    for s in matching.iter().skip(offset).take(limit) {
        let n = used(call, vec![s.id.clone()]).await?;
        set.push(views::subnet(s, vpc, n, call.version));
    }
    Ok(fields([
        ("totalCount", json!(matching.len())),
        ("dataSet", Value::Array(set)),
    ]))
}

/// CreateVpc and CreateSubnet: not yet (see the module header).
pub fn create(call: &Call<'_>) -> Result<Fields, ApiError> {
    Err(Code::NotSupported.message(format!(
        "{} is not supported by this server yet: use the default VPC {} and the default subnet of each region (DescribeSubnets).",
        call.caller.action, call.facts.default_vpc.id
    )))
}
