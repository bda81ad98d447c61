//! The ports the engine needs from the outside: a [`Store`] that keeps
//! records durably and a [`Driver`] that carries operations out. Store
//! implementations live in `stratus-store`, drivers in `stratus-driver`.

use crate::clock::Timestamp;
use crate::lifecycle::{LifecycleState, OperationKind};
use crate::model::{
    ChargeType, ClientToken, Instance, KeyPair, Machine, Message, Network, Operation,
};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// A store failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A compare-and-swap precondition failed for the record with this id.
    #[error("record {0} changed concurrently")]
    Conflict(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// The precondition of one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The record must not exist yet.
    Absent,
    /// The record must exist with exactly this version.
    Version(u64),
}

impl Expect {
    /// The version a record has after a write with this precondition.
    pub fn next_version(self) -> u64 {
        match self {
            Expect::Absent => 1,
            Expect::Version(v) => v + 1,
        }
    }
}

/// One write in a [`WriteSet`]. The store sets each record's `version` to
/// [`Expect::next_version`] when it writes it.
#[derive(Debug, Clone)]
pub enum Change {
    Instance {
        record: Box<Instance>,
        expect: Expect,
    },
    Operation {
        record: Box<Operation>,
        expect: Expect,
    },
    KeyPair {
        record: KeyPair,
        expect: Expect,
    },
    DeleteKeyPair {
        account: String,
        id: String,
        expect: Expect,
    },
    Message(Message),
    Network {
        record: Network,
        expect: Expect,
    },
    /// Remembered once; a second token with the same key is a conflict.
    ClientToken(ClientToken),
}

/// Writes that commit together or not at all, each with its precondition.
#[derive(Debug, Clone, Default)]
pub struct WriteSet {
    pub changes: Vec<Change>,
}

impl WriteSet {
    /// An empty write set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a change.
    pub fn push(&mut self, change: Change) -> &mut Self {
        self.changes.push(change);
        self
    }
}

/// A predicate on instances; a query's filters are AND-ed, the values
/// inside one filter OR-ed.
#[derive(Debug, Clone, PartialEq)]
pub enum InstanceFilter {
    Ids(Vec<String>),
    NameContains(Vec<String>),
    Zones(Vec<String>),
    States(Vec<LifecycleState>),
    PrivateIps(Vec<String>),
    PublicIps(Vec<String>),
    /// Any address, private or public.
    Ips(Vec<String>),
    TagKeys(Vec<String>),
    TagValues(Vec<String>),
    Tag {
        key: String,
        values: Vec<String>,
    },
    Plans(Vec<String>),
    Images(Vec<String>),
    Uuids(Vec<String>),
    ChargeTypes(Vec<ChargeType>),
    VpcIds(Vec<String>),
    SubnetIds(Vec<String>),
    KeyPairs(Vec<String>),
    /// In any of the security groups.
    SecurityGroups(Vec<String>),
    /// A vendor attribute (a comma-separated list) holds any of the values.
    Attribute {
        key: String,
        values: Vec<String>,
    },
    CreatedFrom(Timestamp),
    CreatedUntil(Timestamp),
}

impl InstanceFilter {
    /// True if `i` passes this filter.
    pub fn matches(&self, i: &Instance) -> bool {
        let any = |values: &[String], v: &str| values.iter().any(|x| x == v);
        match self {
            Self::Ids(v) => any(v, &i.id),
            Self::NameContains(v) => v.iter().any(|n| i.name.contains(n.as_str())),
            Self::Zones(v) => any(v, &i.zone),
            Self::States(v) => v.contains(&i.state),
            Self::PrivateIps(v) => i.private_ips.iter().any(|ip| any(v, ip)),
            Self::PublicIps(v) => i.public_ips.iter().any(|ip| any(v, ip)),
            Self::Ips(v) => i
                .private_ips
                .iter()
                .chain(&i.public_ips)
                .any(|ip| any(v, ip)),
            Self::TagKeys(v) => i.tags.iter().any(|t| any(v, &t.key)),
            Self::SecurityGroups(v) => i.security_group_ids.iter().any(|g| any(v, g)),
            Self::TagValues(v) => i.tags.iter().any(|t| any(v, &t.value)),
            Self::Tag { key, values } => i
                .tags
                .iter()
                .any(|t| &t.key == key && any(values, &t.value)),
            Self::Plans(v) => any(v, &i.plan_id),
            Self::Images(v) => any(v, &i.image_id),
            Self::Uuids(v) => {
                let mut text = uuid::Uuid::encode_buffer();
                any(v, i.uuid.hyphenated().encode_lower(&mut text))
            }
            Self::ChargeTypes(v) => v.contains(&i.charge_type),
            Self::VpcIds(v) => any(v, &i.vpc_id),
            Self::SubnetIds(v) => any(v, &i.subnet_id),
            Self::KeyPairs(v) => i.login.key_ids.iter().any(|k| any(v, k)),
            Self::Attribute { key, values } => i
                .attributes
                .get(key)
                .is_some_and(|a| a.split(',').any(|x| any(values, x))),
            Self::CreatedFrom(t) => i.created_at >= *t,
            Self::CreatedUntil(t) => i.created_at <= *t,
        }
    }
}

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InstanceOrder {
    /// Newest first.
    #[default]
    CreatedDesc,
    /// Instances in the recycle bin first, then newest first.
    IsolatedFirstThenCreatedDesc,
    ExpiresAsc,
    ExpiresDesc,
}

/// A listing of one account's instances of one product.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceQuery {
    pub account: String,
    pub product: String,
    /// `None`: every region.
    pub region: Option<String>,
    pub filters: Vec<InstanceFilter>,
    pub order: InstanceOrder,
    pub offset: usize,
    pub limit: usize,
}

impl InstanceQuery {
    /// The ids the listing is limited to, if it is (the common polling
    /// case, which a store looks up directly).
    pub fn ids(&self) -> Option<&[String]> {
        self.filters.iter().find_map(|f| match f {
            InstanceFilter::Ids(ids) => Some(ids.as_slice()),
            _ => None,
        })
    }

    /// True if `i` belongs to this listing (terminated instances never do).
    pub fn matches(&self, i: &Instance) -> bool {
        i.state != LifecycleState::Terminated
            && i.account == self.account
            && i.product == self.product
            && self.region.as_deref().is_none_or(|r| r == i.region)
            && self.filters.iter().all(|f| f.matches(i))
    }

    /// How two matching instances compare in this query's order (ids
    /// break ties, newest id first, so pages are stable).
    pub fn compare(&self, a: &Instance, b: &Instance) -> std::cmp::Ordering {
        let newest_first = || {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.id.cmp(&a.id))
        };
        match self.order {
            InstanceOrder::CreatedDesc => newest_first(),
            InstanceOrder::IsolatedFirstThenCreatedDesc => (a.state != LifecycleState::Isolated)
                .cmp(&(b.state != LifecycleState::Isolated))
                .then_with(newest_first),
            InstanceOrder::ExpiresAsc => a
                .expires_at
                .cmp(&b.expires_at)
                .then_with(|| a.id.cmp(&b.id)),
            InstanceOrder::ExpiresDesc => b
                .expires_at
                .cmp(&a.expires_at)
                .then_with(|| b.id.cmp(&a.id)),
        }
    }

    /// The requested page of `candidates`: those that match, in order.
    /// Only the first `offset + limit` matches are sorted, and only the page
    /// is copied (for a shared `Arc<Instance>`, a reference is). Every
    /// store answers a listing through this.
    pub fn select<'a, T>(&self, candidates: impl IntoIterator<Item = &'a T>) -> Page<T>
    where
        T: std::borrow::Borrow<Instance> + Clone + 'a,
    {
        let mut matching: Vec<&T> = candidates
            .into_iter()
            .filter(|i| self.matches((*i).borrow()))
            .collect();
        let total = matching.len();
        let end = self.offset.saturating_add(self.limit).min(total);
        let order = |a: &&T, b: &&T| self.compare((*a).borrow(), (*b).borrow());
        if end < total && end > 0 {
            matching.select_nth_unstable_by(end - 1, order);
            matching.truncate(end);
        }
        matching.sort_unstable_by(order);
        let items = matching
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .cloned()
            .collect();
        Page { total, items }
    }
}

/// One page of a listing and the total number of matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub total: usize,
    pub items: Vec<T>,
}

/// Durable records. Every acknowledged write is committed before `commit`
/// returns. Implementations: SQLite (embedded, one node) and PostgreSQL
/// (shared by several nodes).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Where this store publishes every change it commits, in commit order
    /// ([`crate::events`]).
    fn events(&self) -> &crate::events::EventHub;
    /// The events after `seq` still known, oldest first (a watcher that
    /// resumes); by default those the hub keeps.
    async fn events_after(&self, seq: u64) -> Result<Vec<crate::events::Event>, StoreError> {
        Ok(self.events().watch(Some(seq)).0)
    }
    /// A server-wide setting (a JSON document), if one was saved.
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Saves a server-wide setting, for every node and the next start.
    async fn save_setting(&self, key: &str, body: &str) -> Result<(), StoreError>;
    /// Every record, terminated instances and finished operations included
    /// (a state snapshot).
    async fn dump(&self) -> Result<crate::state::Records, StoreError>;
    /// Deletes every record of `account` (`None`: of every account):
    /// instances, operations, key pairs, networks, messages, tokens. For
    /// tests that start over; operations still running end quietly.
    async fn reset(&self, account: Option<&str>) -> Result<(), StoreError>;
    /// How many live instances each (product, state) has, every account
    /// together (for metrics).
    async fn instance_counts(&self) -> Result<Vec<(String, LifecycleState, u64)>, StoreError>;
    /// One instance of an account (terminated ones included).
    async fn instance(&self, account: &str, id: &str) -> Result<Option<Instance>, StoreError>;
    /// A filtered, ordered page of instances, shared with the store's own
    /// copy where it keeps one (a page is read, not changed).
    async fn instances(&self, query: &InstanceQuery) -> Result<Page<Arc<Instance>>, StoreError>;
    /// Every key pair of an account for a product.
    async fn key_pairs(&self, account: &str, product: &str) -> Result<Vec<KeyPair>, StoreError>;
    /// One operation by id.
    async fn operation(&self, id: &str) -> Result<Option<Operation>, StoreError>;
    /// Operations accepted but not finished, for every account.
    async fn operations_in_flight(&self) -> Result<Vec<Operation>, StoreError>;
    /// Every operation of an account, finished ones included, oldest first.
    async fn operations(&self, account: &str) -> Result<Vec<Operation>, StoreError>;
    /// An account's messages, oldest first.
    async fn messages(&self, account: &str) -> Result<Vec<Message>, StoreError>;
    /// A remembered idempotency token.
    async fn client_token(
        &self,
        account: &str,
        product: &str,
        token: &str,
    ) -> Result<Option<ClientToken>, StoreError>;
    /// Every network an account created for a product, oldest first.
    async fn networks(&self, account: &str, product: &str) -> Result<Vec<Network>, StoreError>;
    /// Commits all writes atomically, checking every precondition first.
    async fn commit(&self, writes: WriteSet) -> Result<(), StoreError>;
    /// Operations in flight whose deadline passed more than `lease` before
    /// `now`, that no node hosts (see [`Store::operations_on`]) and that no
    /// live claim holds, each claimed until `now + lease`:
    /// while a claim holds, no other caller gets the operation, so nodes
    /// sweeping one database never run it twice. A store that serves one
    /// node has no one to claim against.
    async fn claim_overdue(
        &self,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Vec<Operation>, StoreError> {
        let overdue_before = now.before(lease);
        let mut ops = self.operations_in_flight().await?;
        ops.retain(|o| o.deadline < overdue_before && o.node.is_none());
        Ok(ops)
    }
    /// Operations in flight bound to `node` (it hosts their machines).
    async fn operations_on(&self, node: &str) -> Result<Vec<Operation>, StoreError> {
        let mut ops = self.operations_in_flight().await?;
        ops.retain(|o| o.node.as_deref() == Some(node));
        Ok(ops)
    }
    /// Records a node's heartbeat. A store that serves one node keeps none.
    async fn heartbeat(&self, _status: &NodeStatus) -> Result<(), StoreError> {
        Ok(())
    }
    /// Every node's last heartbeat (none where one node serves alone).
    async fn nodes(&self) -> Result<Vec<NodeStatus>, StoreError> {
        Ok(Vec::new())
    }
}

/// A node hosting real machines, as its last heartbeat said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    pub name: String,
    /// Machines it hosts.
    pub hosted: usize,
    /// Machines it may host.
    pub capacity: usize,
    pub seen_at: Timestamp,
}

/// Counts requests against per-second limits, keyed by (account, product,
/// action). In memory for one node ([`crate::ratelimit::RateLimiter`]); in
/// the shared database when several nodes must agree.
#[async_trait]
pub trait Admission: Send + Sync + 'static {
    /// Counts one request; `Ok(false)` if it exceeds `limit` in the
    /// current second.
    async fn admit(
        &self,
        account: &str,
        product: &str,
        action: &str,
        limit: u32,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
}

/// A driver failure: the operation ends FAILED with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DriverError(pub String);

/// Why a driver cannot take on an operation at all; refused when the
/// request is accepted, before anything is recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverRefusal {
    /// The image has no disk behind it on this driver.
    #[error("the image {0} has no disk file on this host")]
    ImageUnavailable(String),
    /// The hosts have no room for another machine.
    #[error("no host has capacity: {0}")]
    NoCapacity(String),
}

/// A disk as the machine should have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskSpec {
    pub id: String,
    pub disk_type: String,
    pub size_gb: u32,
}

/// The machine an instance should be once its operation has succeeded:
/// everything a driver needs to build, rebuild or boot it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineSpec {
    pub account: String,
    pub instance_id: String,
    pub uuid: uuid::Uuid,
    pub image_id: String,
    pub os_family: crate::catalog::OsFamily,
    pub cpu: u32,
    pub memory_gb: u32,
    pub system_disk: DiskSpec,
    pub data_disks: Vec<DiskSpec>,
    pub host_name: String,
    /// SHA-512 crypt hash of the login password (`None`: no password login).
    pub password_hash: Option<String>,
    /// OpenSSH public keys allowed to log in.
    pub public_keys: Vec<String>,
    /// The tenant's user data, as the API received it.
    pub user_data: Option<String>,
    /// Keep the image's own login settings (custom images): no credentials
    /// are handed to the guest.
    pub keep_image_login: bool,
    pub private_ips: Vec<String>,
    pub public_ips: Vec<String>,
    /// Whether the machine runs once the operation succeeded.
    pub powered_on: bool,
}

/// One operation for a driver to carry out, with the machine it should
/// leave behind and what was last observed of it.
#[derive(Debug, Clone, Copy)]
pub struct DriverTask<'a> {
    pub operation: &'a Operation,
    pub spec: &'a MachineSpec,
    pub observed: Option<&'a Machine>,
}

/// A machine whose process ended without the engine asking (it crashed,
/// was killed, or the guest powered itself off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    pub account: String,
    pub instance_id: String,
    /// The process that ended: an exit is about this process only, so a
    /// report that arrives after the machine was booted again is ignored.
    pub pid: u32,
    pub reason: String,
}

/// Carries operations out on machines. The engine asks; the driver never
/// writes the store. Work is idempotent by operation id: the engine calls
/// `execute` again for every operation still in flight after a restart, and
/// the driver finishes it without doing any step twice.
#[async_trait]
pub trait Driver: Send + Sync + 'static {
    /// How long `kind` should take on `instance`; recorded as the deadline.
    fn duration(&self, kind: OperationKind, instance: &Instance) -> Duration;
    /// True if the driver does real work: its durations are estimates, so
    /// the engine renews an operation's claim while it runs, and its
    /// machines can change on their own, so the engine reconciles them.
    fn does_real_work(&self) -> bool {
        false
    }
    /// Refuses an operation this driver cannot carry out (the machine
    /// `desired` needs an image it does not have).
    fn admit(&self, _kind: OperationKind, _desired: &Instance) -> Result<(), DriverRefusal> {
        Ok(())
    }
    /// Reserves room on this node for a new machine, or refuses for lack
    /// of it; [`Driver::release`] gives it back if the create is not recorded.
    fn reserve(&self, _instance_id: &str) -> Result<(), DriverRefusal> {
        Ok(())
    }
    /// The machines this node hosts and how many it may host (`None`: no
    /// limit, nothing hosted, as under the simulated driver).
    fn load(&self) -> Option<(usize, usize)> {
        None
    }
    /// Gives back what [`Driver::reserve`] reserved for an instance whose
    /// create was not recorded after all.
    fn release(&self, _instance_id: &str) {}
    /// Performs the operation and returns when it is done, with what it
    /// observed of the machine (`None`: nothing real to observe).
    async fn execute(&self, task: DriverTask<'_>) -> Result<Option<Machine>, DriverError>;
    /// The machines of this node whose process ended on its own. Reported
    /// again on every call until the machine is booted or removed.
    async fn exits(&self) -> Vec<Exit> {
        Vec::new()
    }
    /// The machines of this node that run now, with what is observed of
    /// them (a node adopting its machines after it was taken for gone).
    async fn running(&self) -> Vec<(String, String, Machine)> {
        Vec::new()
    }
    /// The resident memory on this host of the machine whose process is
    /// `pid`, if this driver runs processes (for metrics).
    fn resident_bytes(&self, _pid: u32) -> Option<u64> {
        None
    }
    /// Divides the durations of operations accepted from now on by `speed`;
    /// false if this driver's durations are not simulated.
    fn set_speed(&self, _speed: f64) -> bool {
        false
    }
    /// The factor durations are divided by, if simulated.
    fn speed(&self) -> Option<f64> {
        None
    }
    /// Makes every operation of `kind` accepted from now on last
    /// `duration` (`None`: the usual range, divided by the speed); false if
    /// this driver's durations are not simulated.
    fn set_duration(&self, _kind: OperationKind, _duration: Option<Duration>) -> bool {
        false
    }
    /// The last `bytes` of a machine's serial console, if it has one here.
    async fn console(&self, _instance_id: &str, _bytes: u64) -> Option<String> {
        None
    }
}
