//! Changing what describes a resource without an operation: an instance's
//! name and vendor attributes, a key pair's description. These are
//! metadata: they change at once, in any state but destroyed.

use super::{Caller, Engine};
use crate::error::EngineError;
use crate::ports::{Change, Expect, WriteSet};
use std::collections::BTreeMap;

/// What [`Engine::modify_instances`] changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceChanges {
    /// A new name (`None`: kept).
    pub name: Option<String>,
    /// Vendor attributes to set.
    pub attributes: BTreeMap<String, String>,
}

impl InstanceChanges {
    /// Applies the changes to an instance record.
    pub fn apply(&self, instance: &mut crate::model::Instance) {
        if let Some(name) = &self.name {
            instance.name = name.clone();
        }
        for (k, v) in &self.attributes {
            instance.attributes.insert(k, v);
        }
    }
}

impl Engine {
    /// Renames instances and sets vendor attributes on them, all or none.
    pub async fn modify_instances(
        &self,
        caller: &Caller,
        ids: &[String],
        changes: &InstanceChanges,
    ) -> Result<(), EngineError> {
        self.check_batch(caller, crate::error::BatchField::Instances, ids)?;
        let mut writes = WriteSet::new();
        for id in ids {
            let instance = self.instance(caller, id).await?;
            let mut next = instance.clone();
            changes.apply(&mut next);
            next.version = instance.version + 1;
            writes.push(Change::Instance {
                record: Box::new(next),
                expect: Expect::Version(instance.version),
            });
        }
        self.store.commit(writes).await?;
        Ok(())
    }

    /// Sets the description of one of the caller's key pairs.
    pub async fn set_key_pair_description(
        &self,
        caller: &Caller,
        id: &str,
        description: &str,
    ) -> Result<(), EngineError> {
        let keys = self.require_key_pairs(caller, &[id.to_string()]).await?;
        let mut writes = WriteSet::new();
        for key in keys {
            let expect = Expect::Version(key.version);
            let mut next = key;
            next.description = description.to_string();
            next.version = expect.next_version();
            writes.push(Change::KeyPair {
                record: next,
                expect,
            });
        }
        self.store.commit(writes).await?;
        Ok(())
    }
}
