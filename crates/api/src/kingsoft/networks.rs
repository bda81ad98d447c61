//! The networks a KEC caller sees in its region: the catalog's default VPC,
//! subnets and security group (shared by every account, deleted by none),
//! then the caller's own records from the engine. VPCs and security groups
//! are regional; a subnet lives in one zone (its record's `region` holds
//! the zone).

use super::envelope::ApiError;
use super::profile::network;
use super::Call;
use stratus_engine::engine::Ipv4Block;
use stratus_engine::model::{Network, NetworkKind};

/// A VPC, subnet or security group as KEC shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Net {
    pub kind: NetworkKind,
    pub id: String,
    pub name: String,
    /// Empty for a security group.
    pub cidr_block: String,
    /// The zone of a subnet.
    pub zone: Option<String>,
    /// The VPC of a subnet or a security group (empty for a VPC).
    pub vpc_id: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub create_time: String,
    /// One of the catalog's defaults.
    pub is_default: bool,
}

impl Net {
    /// The block of a VPC or subnet.
    pub fn block(&self) -> Option<Ipv4Block> {
        Ipv4Block::parse(&self.cidr_block)
    }

    /// The `SecurityGroupType` of a security group.
    pub fn group_type(&self) -> &'static str {
        if self.is_default {
            network::DEFAULT_GROUP_TYPE
        } else {
            network::GROUP_TYPE
        }
    }
}

/// Every network the caller sees in its region: the defaults first, then
/// its own, oldest first.
pub async fn visible(call: &Call<'_>) -> Result<Vec<Net>, ApiError> {
    let region = call.caller.region.as_str();
    let product = call.product()?;
    let in_region = |zone: &str| {
        product
            .catalog
            .zone(zone)
            .is_some_and(|(r, _)| r.id == region)
    };
    let facts = call.facts;
    let created = |vpc_id: &str| {
        facts
            .vpcs
            .iter()
            .find(|v| v.vpc_id == vpc_id)
            .map(|v| v.create_time.clone())
            .unwrap_or_default()
    };
    let mut out: Vec<Net> = Vec::new();
    out.extend(
        facts
            .vpcs
            .iter()
            .filter(|v| v.region == region)
            .map(|v| Net {
                kind: NetworkKind::Vpc,
                id: v.vpc_id.clone(),
                name: v.vpc_name.clone(),
                cidr_block: v.cidr_block.clone(),
                zone: None,
                vpc_id: String::new(),
                create_time: v.create_time.clone(),
                is_default: true,
            }),
    );
    out.extend(
        facts
            .subnets
            .iter()
            .filter(|s| in_region(&s.availability_zone))
            .map(|s| Net {
                kind: NetworkKind::Subnet,
                id: s.subnet_id.clone(),
                name: s.subnet_name.clone(),
                cidr_block: s.cidr_block.clone(),
                zone: Some(s.availability_zone.clone()),
                vpc_id: s.vpc_id.clone(),
                create_time: created(&s.vpc_id),
                is_default: true,
            }),
    );
    out.extend(
        facts
            .security_groups
            .iter()
            .filter(|g| g.region == region)
            .map(|g| Net {
                kind: NetworkKind::SecurityGroup,
                id: g.security_group_id.clone(),
                name: g.name.clone(),
                cidr_block: String::new(),
                zone: None,
                vpc_id: g.vpc_id.clone(),
                create_time: created(&g.vpc_id),
                is_default: true,
            }),
    );
    let own = call
        .engine
        .networks(&call.caller)
        .await
        .map_err(|e| call.engine_error(e))?;
    out.extend(own.into_iter().filter_map(|n| {
        let place = n.region.as_deref().unwrap_or_default();
        let here = match n.kind {
            NetworkKind::Subnet => in_region(place),
            _ => place == region,
        };
        here.then(|| own_net(n))
    }));
    Ok(out)
}

/// One of the caller's records as KEC shows it.
pub fn own_net(n: Network) -> Net {
    let zone = (n.kind == NetworkKind::Subnet).then(|| n.region.clone().unwrap_or_default());
    Net {
        kind: n.kind,
        create_time: n.created_at.plain_datetime(),
        id: n.id,
        name: n.name,
        cidr_block: n.cidr_block,
        zone,
        vpc_id: n.vpc_id.unwrap_or_default(),
        is_default: false,
    }
}

/// The visible network of `kind` with this id.
pub fn find<'a>(nets: &'a [Net], kind: NetworkKind, id: &str) -> Option<&'a Net> {
    nets.iter().find(|n| n.kind == kind && n.id == id)
}

/// A subnet's conventional address plan: the gateway is its first address,
/// DHCP hands out from the second to the third-last (the network, gateway,
/// and the last two addresses are reserved).
pub struct AddressPlan {
    pub gateway: String,
    pub dhcp_from: String,
    pub dhcp_to: String,
    /// Addresses DHCP can hand out.
    pub dhcp_size: u64,
}

impl AddressPlan {
    /// The plan of a subnet's block (a /29 or larger).
    pub fn of(block: Ipv4Block) -> AddressPlan {
        let size = block.size();
        let at = |n: u64| block.nth(n).map(|ip| ip.to_string()).unwrap_or_default();
        AddressPlan {
            gateway: at(1),
            dhcp_from: at(2),
            dhcp_to: at(size.saturating_sub(3)),
            dhcp_size: size.saturating_sub(4),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_plans_follow_the_block() {
        let plan = AddressPlan::of(Ipv4Block::parse("10.0.5.0/24").expect("block"));
        assert_eq!(
            (
                plan.gateway.as_str(),
                plan.dhcp_from.as_str(),
                plan.dhcp_to.as_str()
            ),
            ("10.0.5.1", "10.0.5.2", "10.0.5.253")
        );
        assert_eq!(plan.dhcp_size, 252);
        let small = AddressPlan::of(Ipv4Block::parse("192.168.0.8/29").expect("block"));
        assert_eq!(
            (small.dhcp_to.as_str(), small.dhcp_size),
            ("192.168.0.13", 4)
        );
    }
}
