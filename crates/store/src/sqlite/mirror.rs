//! The in-memory image of the database that reads are served from. The
//! writer thread is its only mutator, and changes it only after they commit.

use crate::record::RecordKey;
use std::collections::{BTreeMap, HashMap};
use stratus_engine::lifecycle::LifecycleState;
use stratus_engine::model::{ClientToken, Instance, KeyPair, Network, Operation, OperationState};
use stratus_engine::name::Name;
use stratus_engine::ports::Change;

/// Live records. Terminated instances and finished operations stay only in
/// the database.
#[derive(Debug, Default)]
pub(crate) struct Mirror {
    pub instances: HashMap<Name, BTreeMap<String, Box<Instance>>>,
    pub operations: HashMap<String, Operation>,
    pub key_pairs: HashMap<String, BTreeMap<String, KeyPair>>,
    pub networks: HashMap<String, BTreeMap<String, Network>>,
    pub tokens: HashMap<(String, String, String), ClientToken>,
}

impl Mirror {
    /// The current version of a record (`None`: absent).
    pub fn version(&self, key: &RecordKey) -> Option<u64> {
        match key {
            RecordKey::Instance(a, id) => {
                self.instances.get(a.as_str())?.get(id).map(|i| i.version)
            }
            RecordKey::Operation(id) => self.operations.get(id).map(|o| o.version),
            RecordKey::KeyPair(a, id) => self.key_pairs.get(a)?.get(id).map(|k| k.version),
            RecordKey::Network(a, id) => self.networks.get(a)?.get(id).map(|n| n.version),
            RecordKey::ClientToken(a, p, t) => self
                .tokens
                .get(&(a.clone(), p.clone(), t.clone()))
                .map(|_| 0),
        }
    }

    /// Applies a committed change.
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::Instance { record, .. } => {
                let accounts = self.instances.entry(record.account.clone()).or_default();
                if record.state == LifecycleState::Terminated {
                    accounts.remove(&record.id);
                } else {
                    accounts.insert(record.id.clone(), record);
                }
            }
            Change::Operation { record, .. } => {
                if record.state == OperationState::Operating {
                    self.operations.insert(record.id.clone(), *record);
                } else {
                    self.operations.remove(&record.id);
                }
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
