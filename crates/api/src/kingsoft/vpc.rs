//! The VPC service (`vpc`, 2016-03-04) over the engine's networks: VPCs,
//! their subnets and security groups in the caller's region. Listings take
//! an id list (`VpcId.N`, ...), `Filter.N.Name`/`Filter.N.Value.M` and
//! `MaxResults`/`NextToken` (a 1-based position); creations follow KEC's
//! address rules; a deletion is refused while anything uses the network,
//! and the catalog's defaults, shared by every account, are never deleted.

use super::errors::{invalid, missing, network_codes, network_refusal, Code};
use super::networks::{self, find, AddressPlan, Net};
use super::params::Params;
use super::profile::{limits, network};
use super::views;
use super::{fields, param_error, Call, Fields};
use crate::kingsoft::envelope::ApiError;
use serde_json::{json, Value};
use std::collections::HashMap;
use stratus_engine::engine::{Ipv4Block, NetworkError};
use stratus_engine::model::{Network, NetworkKind};
use stratus_engine::ports::{InstanceFilter, InstanceOrder, InstanceQuery};
use stratus_engine::profile::IdStyle;
use stratus_engine::EngineError;

/// Parameters every listing takes beside its id list.
const LISTING: [&str; 6] = [
    "MaxResults",
    "NextToken",
    "Filter.N.Name",
    "Filter.N.Name.N",
    "Filter.N.Value",
    "Filter.N.Value.N",
];

/// The field a listing filter selects on.
type Field = fn(&Net) -> Option<String>;

/// The field each filter of a listing selects on (`None`: not one of this
/// listing's filters). A network without the field (no NAT, no ACL here)
/// matches no value.
fn filter_field(kind: NetworkKind, filter: &str) -> Option<Field> {
    Some(match (kind, filter) {
        (NetworkKind::Vpc, "vpc-id")
        | (NetworkKind::Subnet, "subnet-id")
        | (NetworkKind::SecurityGroup, "security-group-id") => |n| Some(n.id.clone()),
        (NetworkKind::Subnet | NetworkKind::SecurityGroup, "vpc-id") => |n| Some(n.vpc_id.clone()),
        (NetworkKind::Subnet, "availability-zone-name") => |n| n.zone.clone(),
        (NetworkKind::Subnet, "subnet-type") => |_| Some(network::SUBNET_TYPE.to_string()),
        (NetworkKind::Subnet, "nat-id" | "network-acl-id") => |_| None,
        (NetworkKind::SecurityGroup, "security-group-type") => |n| Some(n.group_type().to_string()),
        _ => return None,
    })
}

/// One page of the caller's networks of `kind`, selected by the id list
/// `ids_param` and the filters, and the `NextToken` of the next page.
async fn listing(
    call: &Call<'_>,
    kind: NetworkKind,
    ids_param: &str,
) -> Result<(Vec<Net>, Option<String>), ApiError> {
    let p = &call.params;
    let ids = p.list(ids_param);
    if ids.len() > limits::NETWORK_IDS {
        return Err(invalid(&format!("{ids_param}.N")));
    }
    let limit = match p.int("MaxResults").map_err(param_error)? {
        None => *limits::NETWORK_MAX_RESULTS.end() as usize,
        Some(n) if limits::NETWORK_MAX_RESULTS.contains(&n) => n as usize,
        Some(_) => return Err(invalid("MaxResults")),
    };
    let start = match p.int("NextToken").map_err(param_error)? {
        None => 1,
        Some(n) if n >= 1 => n as usize,
        Some(_) => return Err(invalid("NextToken")),
    };
    let mut filters = Vec::new();
    for f in p.filters().map_err(param_error)? {
        let field = filter_field(kind, &f.name).ok_or_else(|| {
            Code::InvalidParameterValue
                .message(format!("The filter name {} is not supported.", f.name))
        })?;
        filters.push((field, f.values));
    }
    let selected: Vec<Net> = networks::visible(call)
        .await?
        .into_iter()
        .filter(|n| n.kind == kind && (ids.is_empty() || ids.contains(&n.id)))
        .filter(|n| {
            filters
                .iter()
                .all(|(field, values)| field(n).is_some_and(|v| values.contains(&v)))
        })
        .collect();
    let total = selected.len();
    let page: Vec<Net> = selected.into_iter().skip(start - 1).take(limit).collect();
    let next = start + page.len();
    Ok((page, (next <= total).then(|| next.to_string())))
}

/// The response of a listing: its set and, when more follow, `NextToken`.
fn listed(set: &str, items: Vec<Value>, next: Option<String>) -> Fields {
    let mut out = fields([(set, Value::Array(items))]);
    if let Some(next) = next {
        out.insert("NextToken", json!(next));
    }
    out
}

/// DescribeVpcs.
pub async fn describe_vpcs(call: &Call<'_>) -> Result<Fields, ApiError> {
    check(
        &call.params,
        &["VpcId", "VpcId.N", "ProvidedIpv6CidrBlock"],
        true,
    )?;
    // No VPC here has an IPv6 block.
    let ipv6 = call
        .params
        .bool("ProvidedIpv6CidrBlock")
        .map_err(param_error)?;
    let (page, next) = listing(call, NetworkKind::Vpc, "VpcId").await?;
    if ipv6 == Some(true) {
        return Ok(listed("VpcSet", Vec::new(), None));
    }
    Ok(listed(
        "VpcSet",
        page.iter().map(views::vpc).collect(),
        next,
    ))
}

/// DescribeSubnets.
pub async fn describe_subnets(call: &Call<'_>) -> Result<Fields, ApiError> {
    check(&call.params, &["SubnetId", "SubnetId.N"], true)?;
    let (page, next) = listing(call, NetworkKind::Subnet, "SubnetId").await?;
    let used = instances_in(call, &page).await?;
    let items = page
        .iter()
        .map(|n| views::subnet(n, used.get(&n.id).copied().unwrap_or(0)))
        .collect();
    Ok(listed("SubnetSet", items, next))
}

/// DescribeSecurityGroups.
pub async fn describe_security_groups(call: &Call<'_>) -> Result<Fields, ApiError> {
    check(
        &call.params,
        &["SecurityGroupId", "SecurityGroupId.N"],
        true,
    )?;
    let (page, next) = listing(call, NetworkKind::SecurityGroup, "SecurityGroupId").await?;
    let items = page.iter().map(views::security_group).collect();
    Ok(listed("SecurityGroupSet", items, next))
}

/// How many of the caller's instances each subnet holds.
async fn instances_in(
    call: &Call<'_>,
    subnets: &[Net],
) -> Result<HashMap<String, usize>, ApiError> {
    let mut used = HashMap::new();
    if subnets.is_empty() {
        return Ok(used);
    }
    let query = InstanceQuery {
        account: call.caller.account.clone(),
        product: call.caller.product.clone(),
        region: Some(call.caller.region.clone()),
        filters: vec![InstanceFilter::SubnetIds(
            subnets.iter().map(|n| n.id.clone()).collect(),
        )],
        order: InstanceOrder::CreatedDesc,
        offset: 0,
        limit: usize::MAX,
    };
    let page = call
        .engine
        .describe_instances(&query)
        .await
        .map_err(|e| call.engine_error(e))?;
    for i in page.items {
        *used.entry(i.subnet_id.to_string()).or_insert(0) += 1;
    }
    Ok(used)
}

/// CreateVpc: a VPC of the caller's in its region, inside a private range.
pub async fn create_vpc(call: &Call<'_>) -> Result<Fields, ApiError> {
    let p = &call.params;
    check(
        p,
        &[
            "VpcName",
            "CidrBlock",
            "ProvidedIpv6CidrBlock",
            "Ipv6CidrBlock",
            "VpcIpv6CidrBlock",
            "IsDefault",
        ],
        false,
    )?;
    no_ipv6(p, &["Ipv6CidrBlock", "VpcIpv6CidrBlock"])?;
    if p.bool("IsDefault").map_err(param_error)? == Some(true) {
        return Err(Code::InvalidParameterValue.message(
            "An invalid or out-of-range value was supplied for the input parameter IsDefault: the region's default VPC exists already.",
        ));
    }
    let block = block(p)?;
    let private = network::PRIVATE_BLOCKS
        .iter()
        .filter_map(|b| Ipv4Block::parse(b))
        .any(|range| range.contains(block));
    if !private || block.prefix() > network::VPC_PREFIX_MAX {
        return Err(cidr_refusal(format!(
            "a VPC's block lies in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, /{} at most",
            network::VPC_PREFIX_MAX
        )));
    }
    let id = IdStyle::Uuid.generate();
    let record = Network {
        name: name(p, "VpcName", &id)?,
        kind: NetworkKind::Vpc,
        cidr_block: block.to_string(),
        region: Some(call.caller.region.clone()),
        vpc_id: None,
        ..blank(id)
    };
    let vpc = create(call, record).await.map_err(Failure::into_api)?;
    Ok(fields([("Vpc", views::vpc(&vpc))]))
}

/// CreateSubnet: a `Normal` subnet inside one of the caller's VPCs (or the
/// default one), in a zone of the region (zone A by default), overlapping
/// no other subnet of the VPC, with the conventional address plan.
pub async fn create_subnet(call: &Call<'_>) -> Result<Fields, ApiError> {
    retrying(|| create_subnet_once(call)).await
}

async fn create_subnet_once(call: &Call<'_>) -> Result<Fields, Failure> {
    let p = &call.params;
    check(
        p,
        &[
            "VpcId",
            "SubnetName",
            "CidrBlock",
            "ProvidedIpv6CidrBlock",
            "SubnetType",
            "DhcpIpFrom",
            "DhcpIpTo",
            "Dns1",
            "Dns2",
            "GatewayIp",
            "SecondaryCidrId",
            "AvailabilityZone",
            "VisitInternet",
            "Ipv6CidrBlock",
        ],
        false,
    )?;
    no_ipv6(p, &["Ipv6CidrBlock", "SecondaryCidrId"])?;
    p.bool("VisitInternet").map_err(param_error)?;
    let vpc_id = p.get("VpcId").ok_or_else(|| missing("VpcId"))?;
    let subnet_type = p.get("SubnetType").ok_or_else(|| missing("SubnetType"))?;
    match subnet_type {
        network::SUBNET_TYPE => {}
        "Reserve" | "Physical" => {
            return Err(Code::InvalidParameterValue.message(format!(
                "An invalid or out-of-range value was supplied for the input parameter SubnetType: only {} subnets (for cloud servers) are offered here.",
                network::SUBNET_TYPE
            )).into())
        }
        _ => return Err(invalid("SubnetType").into()),
    }
    let block = block(p)?;
    let product = call.product()?;
    let region = product
        .catalog
        .region(&call.caller.region)
        .ok_or_else(|| Code::RegionNotConfigured.err())?;
    let zone = match p.get("AvailabilityZone") {
        Some(z) => region
            .zones
            .iter()
            .find(|candidate| candidate.id == z)
            .ok_or_else(|| invalid("AvailabilityZone"))?,
        None => region
            .zones
            .first()
            .ok_or_else(|| invalid("AvailabilityZone"))?,
    };
    let nets = networks::visible(call).await?;
    let vpc = find(&nets, NetworkKind::Vpc, vpc_id).ok_or_else(|| vpc_not_found(vpc_id))?;
    let inside = vpc.block().is_some_and(|v| v.contains(block));
    if !inside || block.prefix() > network::SUBNET_PREFIX_MAX {
        return Err(cidr_refusal(format!(
            "a subnet's block lies inside its VPC's {}, /{} at most",
            vpc.cidr_block,
            network::SUBNET_PREFIX_MAX
        ))
        .into());
    }
    if let Some(other) = nets.iter().find(|n| {
        n.kind == NetworkKind::Subnet
            && n.vpc_id == vpc.id
            && n.block().is_some_and(|b| b.overlaps(block))
    }) {
        return Err(cidr_refusal(format!(
            "it overlaps the subnet {} ({})",
            other.id, other.cidr_block
        ))
        .into());
    }
    let plan = AddressPlan::of(block);
    if p.get("GatewayIp").is_none() {
        return Err(missing("GatewayIp").into());
    }
    let [dns1, dns2] = network::DNS;
    for (param, wanted) in [
        ("GatewayIp", plan.gateway.as_str()),
        ("DhcpIpFrom", plan.dhcp_from.as_str()),
        ("DhcpIpTo", plan.dhcp_to.as_str()),
        ("Dns1", dns1),
        ("Dns2", dns2),
    ] {
        if p.get(param).is_some_and(|given| given != wanted) {
            return Err(Code::InvalidParameterValue.message(format!(
                "An invalid or out-of-range value was supplied for the input parameter {param}: this subnet's is {wanted} (the conventional plan is the only one offered here)."
            )).into());
        }
    }
    let id = IdStyle::Uuid.generate();
    let record = Network {
        name: name(p, "SubnetName", &id)?,
        kind: NetworkKind::Subnet,
        cidr_block: block.to_string(),
        region: Some(zone.id.clone()),
        vpc_id: Some(vpc.id.clone()),
        ..blank(id)
    };
    let subnet = create(call, record).await?;
    Ok(fields([("Subnet", views::subnet(&subnet, 0))]))
}

/// CreateSecurityGroup: an (`other`) group of one of the caller's VPCs or
/// of the default one.
pub async fn create_security_group(call: &Call<'_>) -> Result<Fields, ApiError> {
    retrying(|| create_security_group_once(call)).await
}

async fn create_security_group_once(call: &Call<'_>) -> Result<Fields, Failure> {
    let p = &call.params;
    check(
        p,
        &[
            "VpcId",
            "SecurityGroupName",
            "Description",
            "SecurityGroupType",
        ],
        false,
    )?;
    let vpc_id = p.get("VpcId").ok_or_else(|| missing("VpcId"))?;
    match p.get("SecurityGroupType") {
        None | Some(network::GROUP_TYPE) => {}
        Some(_) => return Err(invalid("SecurityGroupType").into()),
    }
    if p.get("Description")
        .is_some_and(|d| d.chars().count() > limits::NETWORK_DESCRIPTION_CHARS)
    {
        return Err(invalid("Description").into());
    }
    let nets = networks::visible(call).await?;
    let vpc = find(&nets, NetworkKind::Vpc, vpc_id).ok_or_else(|| vpc_not_found(vpc_id))?;
    let id = IdStyle::Uuid.generate();
    let record = Network {
        name: name(p, "SecurityGroupName", &id)?,
        kind: NetworkKind::SecurityGroup,
        cidr_block: String::new(),
        region: Some(call.caller.region.clone()),
        vpc_id: Some(vpc.id.clone()),
        ..blank(id)
    };
    let group = create(call, record).await?;
    Ok(fields([("SecurityGroup", views::security_group(&group))]))
}

/// DeleteVpc: refused while it has subnets or security groups.
pub async fn delete_vpc(call: &Call<'_>) -> Result<Fields, ApiError> {
    delete(call, NetworkKind::Vpc, "VpcId", InstanceFilter::VpcIds).await
}

/// DeleteSubnet: refused while instances are in it.
pub async fn delete_subnet(call: &Call<'_>) -> Result<Fields, ApiError> {
    delete(
        call,
        NetworkKind::Subnet,
        "SubnetId",
        InstanceFilter::SubnetIds,
    )
    .await
}

/// DeleteSecurityGroup: refused while instances are in it.
pub async fn delete_security_group(call: &Call<'_>) -> Result<Fields, ApiError> {
    delete(
        call,
        NetworkKind::SecurityGroup,
        "SecurityGroupId",
        InstanceFilter::SecurityGroups,
    )
    .await
}

/// Deletes the caller's network of `kind` named by `param`; `using` is how
/// its instances name such a network.
async fn delete(
    call: &Call<'_>,
    kind: NetworkKind,
    param: &str,
    using: fn(Vec<String>) -> InstanceFilter,
) -> Result<Fields, ApiError> {
    retrying(|| delete_once(call, kind, param, using)).await
}

async fn delete_once(
    call: &Call<'_>,
    kind: NetworkKind,
    param: &str,
    using: fn(Vec<String>) -> InstanceFilter,
) -> Result<Fields, Failure> {
    check(&call.params, &[param], false)?;
    let id = call.params.get(param).ok_or_else(|| missing(param))?;
    let (not_found, in_use) = network_codes(kind);
    let nets = networks::visible(call).await?;
    let shared = "is a default of the region, shared by every account; it cannot be deleted";
    match find(&nets, kind, id) {
        None => return Err(not_found.detail(format!("`{id}` is not found.")).into()),
        Some(n) if n.is_default => return Err(in_use.detail(format!("`{id}` {shared}.")).into()),
        Some(_) => {}
    }
    call.check_faults()?;
    match call
        .engine
        .delete_network(&call.caller, id, using(vec![id.to_string()]))
        .await
    {
        Ok(_) => Ok(fields([("Return", json!(true))])),
        Err(NetworkError::Engine(EngineError::ConcurrentModification(_))) => Err(Failure::Raced),
        Err(e) => Err(network_refusal(&e, kind, call.action).into()),
    }
}

/// Refuses parameters beyond `own` (and the listing ones, for a listing).
fn check(p: &Params, own: &[&str], listing: bool) -> Result<(), ApiError> {
    let mut allowed = own.to_vec();
    if listing {
        allowed.extend(LISTING);
    }
    p.check_known(&allowed).map_err(param_error)
}

/// IPv6 is not offered: `ProvidedIpv6CidrBlock` must not be true, and
/// `others` (IPv6 and secondary blocks) must not be given.
fn no_ipv6(p: &Params, others: &[&str]) -> Result<(), ApiError> {
    if p.bool("ProvidedIpv6CidrBlock").map_err(param_error)? == Some(true) {
        return Err(Code::InvalidParameterValue.message(
            "An invalid or out-of-range value was supplied for the input parameter ProvidedIpv6CidrBlock: IPv6 is not offered here.",
        ));
    }
    match others.iter().find(|o| p.get(o).is_some()) {
        Some(o) => Err(invalid(o)),
        None => Ok(()),
    }
}

/// `CidrBlock`, a block whose host bits are zero.
fn block(p: &Params) -> Result<Ipv4Block, ApiError> {
    let text = p.get("CidrBlock").ok_or_else(|| missing("CidrBlock"))?;
    Ipv4Block::parse(text).ok_or_else(|| cidr_refusal(format!("`{text}` is not a CIDR block")))
}

fn cidr_refusal(why: String) -> ApiError {
    Code::InvalidParameterValue.message(format!(
        "An invalid or out-of-range value was supplied for the input parameter CidrBlock: {why}."
    ))
}

fn vpc_not_found(id: &str) -> ApiError {
    Code::VpcNotFound.detail(format!("`{id}` is not found."))
}

/// A name parameter: at most 64 visible characters; absent, the id.
fn name(p: &Params, param: &str, id: &str) -> Result<String, ApiError> {
    match p.get(param) {
        None => Ok(id.to_string()),
        Some(n)
            if n.chars().count() <= limits::NETWORK_NAME_CHARS
                && !n.chars().any(char::is_control) =>
        {
            Ok(n.to_string())
        }
        Some(_) => Err(invalid(param)),
    }
}

/// A record with `id`, the rest for the caller to fill (the engine sets
/// the account, product, time and version).
fn blank(id: String) -> Network {
    Network {
        id,
        account: String::new(),
        product: String::new(),
        kind: NetworkKind::Vpc,
        name: String::new(),
        cidr_block: String::new(),
        region: None,
        vpc_id: None,
        created_at: stratus_engine::clock::Timestamp(0),
        version: 0,
    }
}

/// Commits a new network and shows it as the listings will.
async fn create(call: &Call<'_>, record: Network) -> Result<Net, Failure> {
    call.check_faults()?;
    match call.engine.create_network(&call.caller, record).await {
        Ok(created) => Ok(networks::own_net(created)),
        Err(EngineError::ConcurrentModification(_)) => Err(Failure::Raced),
        Err(e) => Err(call.engine_error(e).into()),
    }
}

/// Why one attempt at a write did not land.
enum Failure {
    Refused(ApiError),
    /// The VPC or the network changed between the checks and the commit
    /// (a sibling created, the VPC deleted): the checks are made again.
    Raced,
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Refused(e)
    }
}

impl Failure {
    fn into_api(self) -> ApiError {
        match self {
            Failure::Refused(e) => e,
            Failure::Raced => Code::ServiceUnavailable
                .message("The VPC kept changing during the request; try again."),
        }
    }
}

/// Attempts a write until it lands or is refused (a few times at most).
async fn retrying<F, Fut>(attempt: F) -> Result<Fields, ApiError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Fields, Failure>>,
{
    let mut last = Failure::Raced;
    for _ in 0..RACE_ATTEMPTS {
        match attempt().await {
            Err(Failure::Raced) => last = Failure::Raced,
            other => return other.map_err(Failure::into_api),
        }
    }
    Err(last.into_api())
}

/// How often a write that raced another is attempted.
const RACE_ATTEMPTS: usize = 4;
