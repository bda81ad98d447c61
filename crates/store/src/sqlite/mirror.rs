//! The in-memory image of the database that reads are served from. The
//! writer thread is its only mutator, and changes it only after they commit.

use super::listing::ListingIndex;
use crate::record::RecordKey;
use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use stratus_engine::lifecycle::LifecycleState;
use stratus_engine::model::{ClientToken, Instance, KeyPair, Network, Operation, OperationState};
use stratus_engine::name::Name;
use stratus_engine::ports::Change;

/// Live records. Terminated instances and finished operations stay only in
/// the database.
#[derive(Debug, Default)]
pub(crate) struct Mirror {
    /// Hashed by foldhash, as the listing index is: SipHash took about 40%
    /// of the time a restart spent filing a million instances.
    pub instances: foldhash::HashMap<Name, foldhash::HashSet<ById>>,
    /// Shared, as the instances are, so a reader copies one outside the lock.
    pub operations: foldhash::HashMap<String, Arc<Operation>>,
    pub key_pairs: HashMap<String, BTreeMap<String, KeyPair>>,
    pub networks: HashMap<String, BTreeMap<String, Network>>,
    pub tokens: HashMap<(String, String, String), ClientToken>,
    /// The live instances in listing order.
    pub listing: ListingIndex,
}

/// A live instance, hashed and found by its own id, so the set needs no
/// second copy of the id as a key. Shared: a listing hands out the mirror's
/// copy instead of cloning the record.
#[derive(Debug)]
pub(crate) struct ById(pub Arc<Instance>);

impl PartialEq for ById {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id
    }
}

impl Eq for ById {}

/// Hashes as the id, which `Borrow<str>` requires.
impl Hash for ById {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.id.as_str().hash(state)
    }
}

impl Borrow<str> for ById {
    fn borrow(&self) -> &str {
        &self.0.id
    }
}

impl Mirror {
    /// The current version of a record (`None`: absent).
    pub fn version(&self, key: &RecordKey) -> Option<u64> {
        match key {
            RecordKey::Instance(a, id) => self
                .instances
                .get(a.as_str())?
                .get(id.as_str())
                .map(|i| i.0.version),
            RecordKey::Operation(id) => self.operations.get(id).map(|o| o.version),
            RecordKey::KeyPair(a, id) => self.key_pairs.get(a)?.get(id).map(|k| k.version),
            RecordKey::Network(a, id) => self.networks.get(a)?.get(id).map(|n| n.version),
            RecordKey::ClientToken(a, p, t) => self
                .tokens
                .get(&(a.clone(), p.clone(), t.clone()))
                .map(|_| 0),
        }
    }

    /// Forgets every record of `account`.
    pub fn forget(&mut self, account: &str) {
        if let Some(instances) = self.instances.remove(account) {
            for i in &instances {
                self.listing.update(Some(&i.0), None);
            }
        }
        self.operations.retain(|_, o| o.account != account);
        self.key_pairs.remove(account);
        self.networks.remove(account);
        self.tokens.retain(|(a, _, _), _| a != account);
    }

    /// Applies a committed change, made ready outside the lock. What it
    /// displaces goes to `displaced`, to be freed outside it.
    pub fn apply(&mut self, change: Ready, displaced: &mut Displaced) {
        match change {
            Ready::Instance(record) => {
                let accounts = self.instances.entry(record.account.clone()).or_default();
                let old = accounts.take(record.id.as_str());
                self.listing
                    .update(old.as_ref().map(|o| &*o.0), Some(&record));
                displaced.instances.extend(old.map(|o| o.0));
                if record.state == LifecycleState::Terminated {
                    displaced.instances.push(record);
                } else {
                    accounts.insert(ById(record));
                }
            }
            Ready::Operation(record) => {
                if record.state == OperationState::Operating {
                    let old = self.operations.insert(record.id.clone(), record);
                    displaced.operations.extend(old);
                } else {
                    displaced
                        .operations
                        .extend(self.operations.remove(&record.id));
                    displaced.operations.push(record);
                }
            }
            Ready::Other(change) => self.apply_other(*change, displaced),
        }
    }

    fn apply_other(&mut self, change: Change, displaced: &mut Displaced) {
        match change {
            // `Ready::from` never leaves these as `Other`; handled anyway.
            Change::Instance { .. } | Change::Operation { .. } => {
                self.apply(Ready::from(change), displaced)
            }
            Change::KeyPair { record, .. } => {
                self.key_pairs
                    .entry(record.account.clone())
                    .or_default()
                    .insert(record.id.clone(), record);
            }
            Change::DeleteKeyPair { account, id, .. } => {
                if let Some(keys) = self.key_pairs.get_mut(&account) {
                    keys.remove(&id);
                }
            }
            // Messages are read rarely: only the database keeps them.
            Change::Message(_) => {}
            Change::Network { record, .. } => {
                self.networks
                    .entry(record.account.clone())
                    .or_default()
                    .insert(record.id.clone(), record);
            }
            Change::ClientToken(t) => {
                self.tokens
                    .insert((t.account.clone(), t.product.clone(), t.token.clone()), t);
            }
        }
    }
}

/// A committed change in the form the mirror keeps it, built before the
/// writer takes the mirror's lock: the instance already in its `Arc`, the
/// operation out of its box.
#[derive(Debug)]
pub(crate) enum Ready {
    Instance(Arc<Instance>),
    Operation(Arc<Operation>),
    /// The rarer records (boxed: a message is larger than the rest).
    Other(Box<Change>),
}

impl From<Change> for Ready {
    fn from(change: Change) -> Self {
        match change {
            Change::Instance { record, .. } => Self::Instance(Arc::from(record)),
            Change::Operation { record, .. } => Self::Operation(Arc::from(record)),
            other => Self::Other(Box::new(other)),
        }
    }
}

/// Records a commit's changes replaced or retired, freed by the caller that
/// committed it: freeing an instance is a dozen frees, most of memory the
/// caller's threads allocated, which neither readers waiting on the lock
/// nor the writer should spend their time on.
#[derive(Debug, Default)]
pub(crate) struct Displaced {
    instances: Vec<Arc<Instance>>,
    operations: Vec<Arc<Operation>>,
}
