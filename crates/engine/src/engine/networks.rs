//! Networks an account creates: VPCs, their subnets and security groups.
//! The dialect decides ids, address plans and defaults; the engine keeps
//! the records per account, commits a child together with its VPC's
//! version (so a VPC deleted meanwhile refuses the child, and the other way
//! round) and decides whether a network is in use before deleting it.

use super::{Caller, Engine};
use crate::error::EngineError;
use crate::model::{Network, NetworkKind};
use crate::ports::{Change, Expect, InstanceFilter, InstanceOrder, InstanceQuery, WriteSet};
use std::fmt;
use std::net::Ipv4Addr;

/// Why a network could not be deleted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NetworkError {
    #[error("the network {0} does not exist")]
    NotFound(String),
    #[error("the network {id} is in use by {user}")]
    InUse { id: String, user: NetworkUser },
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// What keeps a network in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkUser {
    /// A network of a VPC (a subnet or a security group).
    Network { kind: NetworkKind, id: String },
    /// An instance that is not terminated.
    Instance(String),
}

impl fmt::Display for NetworkUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetworkUser::Network { kind, id } => {
                let what = match kind {
                    NetworkKind::Vpc => "VPC",
                    NetworkKind::Subnet => "subnet",
                    NetworkKind::SecurityGroup => "security group",
                    NetworkKind::Deleted => "network",
                };
                write!(f, "the {what} {id}")
            }
            NetworkUser::Instance(id) => write!(f, "the instance {id}"),
        }
    }
}

impl Engine {
    /// Records a new network of the caller's; its id must be new. If it
    /// belongs to a VPC the caller created, that VPC is written again with
    /// its version checked: a VPC deleted since the dialect saw it refuses
    /// the child (`ConcurrentModification`).
    pub async fn create_network(
        &self,
        caller: &Caller,
        mut network: Network,
    ) -> Result<Network, EngineError> {
        network.account = caller.account.clone();
        network.product = caller.product.clone();
        network.created_at = self.clock.now();
        network.version = 1;
        let mut writes = WriteSet::new();
        if let Some(vpc_id) = network.vpc_id.as_deref() {
            self.guard_networks(caller, &[vpc_id], &mut writes).await?;
        }
        writes.push(Change::Network {
            record: network.clone(),
            expect: Expect::Absent,
        });
        self.store.commit(writes).await?;
        Ok(network)
    }

    /// Writes the caller's own networks among `ids` again with their
    /// versions checked, in the same commit as what uses them, so that a
    /// deletion racing with that commit refuses one of the two; one deleted
    /// since the dialect saw it refuses the use (`ConcurrentModification`).
    /// Networks the caller did not create (a region's defaults, never
    /// deleted) need no guard.
    pub(crate) async fn guard_networks(
        &self,
        caller: &Caller,
        ids: &[&str],
        writes: &mut WriteSet,
    ) -> Result<(), EngineError> {
        if ids.is_empty() {
            return Ok(());
        }
        let networks = self
            .store
            .networks(&caller.account, &caller.product)
            .await?;
        for network in networks
            .into_iter()
            .filter(|n| ids.contains(&n.id.as_str()))
        {
            if network.kind == NetworkKind::Deleted {
                return Err(EngineError::ConcurrentModification(network.id));
            }
            let expect = Expect::Version(network.version);
            writes.push(Change::Network {
                record: network,
                expect,
            });
        }
        Ok(())
    }

    /// The networks the caller created and has not deleted, oldest first.
    pub async fn networks(&self, caller: &Caller) -> Result<Vec<Network>, EngineError> {
        let mut networks = self
            .store
            .networks(&caller.account, &caller.product)
            .await?;
        networks.retain(|n| n.kind != NetworkKind::Deleted);
        Ok(networks)
    }

    /// Deletes one of the caller's networks if nothing uses it: no network
    /// of the caller's names it as its VPC, and no instance of the caller's
    /// that is not terminated matches `instances_using` (how the product's
    /// instances name such a network: `VpcIds`, `SubnetIds`, or a vendor
    /// attribute for security groups). The deletion is committed against
    /// the version checked here, so a child or an instance created
    /// meanwhile (which writes the network again) refuses it; the check
    /// then runs again and finds that user.
    pub async fn delete_network(
        &self,
        caller: &Caller,
        id: &str,
        instances_using: InstanceFilter,
    ) -> Result<Network, NetworkError> {
        let mut attempts = 0;
        loop {
            match self.try_delete_network(caller, id, &instances_using).await {
                Err(NetworkError::Engine(EngineError::ConcurrentModification(_)))
                    if attempts < 3 =>
                {
                    attempts += 1;
                }
                outcome => return outcome,
            }
        }
    }

    async fn try_delete_network(
        &self,
        caller: &Caller,
        id: &str,
        instances_using: &InstanceFilter,
    ) -> Result<Network, NetworkError> {
        let networks = self
            .store
            .networks(&caller.account, &caller.product)
            .await
            .map_err(EngineError::from)?;
        let network = networks
            .iter()
            .find(|n| n.id == id && n.kind != NetworkKind::Deleted)
            .cloned()
            .ok_or_else(|| NetworkError::NotFound(id.to_string()))?;
        if let Some(child) = networks
            .iter()
            .find(|n| n.kind != NetworkKind::Deleted && n.vpc_id.as_deref() == Some(id))
        {
            return Err(NetworkError::InUse {
                id: id.to_string(),
                user: NetworkUser::Network {
                    kind: child.kind,
                    id: child.id.clone(),
                },
            });
        }
        let query = InstanceQuery {
            account: caller.account.clone(),
            product: caller.product.clone(),
            region: None,
            filters: vec![instances_using.clone()],
            order: InstanceOrder::CreatedDesc,
            offset: 0,
            limit: 1,
        };
        if let Some(instance) = self
            .store
            .instances(&query)
            .await
            .map_err(EngineError::from)?
            .items
            .first()
        {
            return Err(NetworkError::InUse {
                id: id.to_string(),
                user: NetworkUser::Instance(instance.id.clone()),
            });
        }
        let expect = Expect::Version(network.version);
        let mut deleted = network.clone();
        deleted.kind = NetworkKind::Deleted;
        let mut writes = WriteSet::new();
        writes.push(Change::Network {
            record: deleted,
            expect,
        });
        self.store.commit(writes).await.map_err(EngineError::from)?;
        Ok(network)
    }
}

/// An IPv4 CIDR block (`10.0.0.0/16`): a base address whose host bits are
/// zero and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Block {
    base: u32,
    prefix: u8,
}

impl Ipv4Block {
    /// A block in CIDR notation; `None` if it is not one or has host bits.
    pub fn parse(text: &str) -> Option<Ipv4Block> {
        let (ip, prefix) = text.split_once('/')?;
        if prefix.is_empty() || prefix.len() > 2 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix: u8 = prefix.parse().ok().filter(|p| *p <= 32)?;
        let base = u32::from(ip.parse::<Ipv4Addr>().ok()?);
        (base & !mask(prefix) == 0).then_some(Ipv4Block { base, prefix })
    }

    /// The prefix length.
    pub fn prefix(self) -> u8 {
        self.prefix
    }

    /// A random address for a machine in the block: neither the network
    /// address nor the gateway (the first two), nor the last two (reserved
    /// and broadcast) — the range clouds hand out by DHCP.
    pub fn random_host(self) -> Ipv4Addr {
        use rand::Rng;
        let size = self.size();
        let (first, last) = if size >= 8 {
            (2, size - 3)
        } else {
            (1, size.max(2) - 1)
        };
        let offset = rand::thread_rng().gen_range(first..=last.max(first));
        Ipv4Addr::from(self.base.wrapping_add(offset as u32))
    }

    /// How many addresses the block holds.
    pub fn size(self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    /// True if `other` lies wholly inside this block.
    pub fn contains(self, other: Ipv4Block) -> bool {
        other.prefix >= self.prefix && other.base & mask(self.prefix) == self.base
    }

    /// True if the two blocks share an address.
    pub fn overlaps(self, other: Ipv4Block) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// True if `ip` is an address of the block.
    pub fn holds(self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & mask(self.prefix) == self.base
    }

    /// The address `n` places from the start (0: the network address), if
    /// it is in the block.
    pub fn nth(self, n: u64) -> Option<Ipv4Addr> {
        (n < self.size()).then(|| Ipv4Addr::from(self.base.wrapping_add(n as u32)))
    }
}

impl fmt::Display for Ipv4Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.base), self.prefix)
    }
}

fn mask(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_host_is_drawn_from_the_handed_out_range_of_its_block() {
        let block = super::Ipv4Block::parse("172.20.1.0/24").expect("a block");
        for _ in 0..500 {
            let last = block.random_host().octets()[3];
            assert!((2..=253).contains(&last), "{last}");
            assert_eq!(&block.random_host().octets()[..3], &[172, 20, 1]);
        }
        let tiny = super::Ipv4Block::parse("10.0.0.0/30").expect("a block");
        assert!((1..=3).contains(&tiny.random_host().octets()[3]));
    }

    use super::*;

    #[test]
    fn blocks_parse_strictly_and_nest() {
        let vpc = Ipv4Block::parse("10.0.0.0/16").expect("block");
        let subnet = Ipv4Block::parse("10.0.16.0/20").expect("block");
        assert!(vpc.contains(subnet) && !subnet.contains(vpc) && vpc.overlaps(subnet));
        assert!(!subnet.overlaps(Ipv4Block::parse("10.0.32.0/20").expect("block")));
        assert_eq!(subnet.to_string(), "10.0.16.0/20");
        assert_eq!(subnet.size(), 4096);
        assert_eq!(subnet.nth(1), Some(Ipv4Addr::new(10, 0, 16, 1)));
        assert_eq!(subnet.nth(4096), None);
        assert!(subnet.holds(Ipv4Addr::new(10, 0, 31, 255)));
        assert!(!subnet.holds(Ipv4Addr::new(10, 0, 32, 0)));
        let all = Ipv4Block::parse("0.0.0.0/0").expect("block");
        assert!(all.contains(vpc) && all.size() == 1 << 32);
        for bad in [
            "10.0.0.1/16",
            "10.0.0.0/33",
            "10.0.0.0",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0.0/008",
            "10.0.0/8",
            "a.b.c.d/8",
            "10.0.0.0/16/1",
        ] {
            assert_eq!(Ipv4Block::parse(bad), None, "{bad}");
        }
    }
}
