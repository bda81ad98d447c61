//! Key pairs: generated (the private key returned once) or imported, listed
//! with the instances they are bound to, bound and unbound, deleted.

use super::{Caller, Engine};
use crate::catalog::OsFamily;
use crate::error::EngineError;
use crate::lifecycle::OperationKind;
use crate::login::{generate_key, parse_public_key};
use crate::model::{Instance, KeyPair, Tag};
use crate::ports::{Change, Expect, InstanceFilter, InstanceQuery, Page, WriteSet};
use crate::profile::ProductProfile;
use std::sync::Arc;

/// A key pair with the instances it is bound to.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPairView {
    pub key_pair: KeyPair,
    pub instance_ids: Vec<String>,
}

/// A listing of key pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyPairQuery {
    pub ids: Vec<String>,
    /// Name contains any of these.
    pub names: Vec<String>,
    pub offset: usize,
    pub limit: usize,
}

impl KeyPairQuery {
    /// Every key pair with one of `ids` (any, if empty) whose name contains
    /// one of `names` (any, if empty), unpaged.
    pub fn all(ids: Vec<String>, names: Vec<String>) -> Self {
        Self {
            ids,
            names,
            offset: 0,
            limit: usize::MAX,
        }
    }
}

impl Engine {
    /// Generates a key pair. Returns it and its private key (never stored).
    pub async fn create_key_pair(
        &self,
        caller: &Caller,
        name: &str,
        tags: Vec<Tag>,
    ) -> Result<(KeyPair, String), EngineError> {
        let generated = generate_key(name).map_err(|e| EngineError::Internal(e.to_string()))?;
        let key = self
            .store_key_pair(
                caller,
                name,
                generated.public_key,
                generated.fingerprint,
                tags,
            )
            .await?;
        Ok((key, generated.private_key))
    }

    /// Imports an OpenSSH public key.
    pub async fn import_key_pair(
        &self,
        caller: &Caller,
        name: &str,
        public_key: &str,
        tags: Vec<Tag>,
    ) -> Result<KeyPair, EngineError> {
        let parsed = parse_public_key(public_key).map_err(|_| EngineError::PublicKeyMalformed)?;
        let existing = self
            .store
            .key_pairs(&caller.account, &caller.product)
            .await?;
        if let Some(same) = existing
            .iter()
            .find(|k| k.fingerprint == parsed.fingerprint)
        {
            return Err(EngineError::KeyPairDuplicate(same.id.clone()));
        }
        self.store_key_pair(
            caller,
            name,
            public_key.trim().to_string(),
            parsed.fingerprint,
            tags,
        )
        .await
    }

    async fn store_key_pair(
        &self,
        caller: &Caller,
        name: &str,
        public_key: String,
        fingerprint: String,
        tags: Vec<Tag>,
    ) -> Result<KeyPair, EngineError> {
        let product = self.product(&caller.product)?;
        let existing = self
            .store
            .key_pairs(&caller.account, &caller.product)
            .await?;
        if existing.iter().any(|k| k.name == name) {
            return Err(EngineError::KeyPairNameTaken(name.to_string()));
        }
        let key = KeyPair {
            id: product.profile.ids.key_pair.generate(),
            account: caller.account.clone(),
            product: caller.product.clone(),
            name: name.to_string(),
            public_key,
            fingerprint,
            description: String::new(),
            created_at: self.clock.now(),
            tags,
            version: 1,
        };
        let mut writes = WriteSet::new();
        writes.push(Change::KeyPair {
            record: key.clone(),
            expect: Expect::Absent,
        });
        self.store.commit(writes).await?;
        Ok(key)
    }

    /// A page of the caller's key pairs, oldest first.
    pub async fn key_pairs(
        &self,
        caller: &Caller,
        query: &KeyPairQuery,
    ) -> Result<Page<KeyPairView>, EngineError> {
        let all = self
            .store
            .key_pairs(&caller.account, &caller.product)
            .await?;
        let matching: Vec<KeyPair> = all
            .into_iter()
            .filter(|k| query.ids.is_empty() || query.ids.contains(&k.id))
            .filter(|k| {
                query.names.is_empty() || query.names.iter().any(|n| k.name.contains(n.as_str()))
            })
            .collect();
        let total = matching.len();
        let page: Vec<KeyPair> = matching
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .collect();
        let bound = self
            .instances_with_keys(caller, page.iter().map(|k| k.id.clone()).collect())
            .await?;
        let items = page
            .into_iter()
            .map(|k| KeyPairView {
                instance_ids: bound
                    .iter()
                    .filter(|i| i.login.key_ids.contains(&k.id))
                    .map(|i| i.id.clone())
                    .collect(),
                key_pair: k,
            })
            .collect();
        Ok(Page { total, items })
    }

    async fn instances_with_keys(
        &self,
        caller: &Caller,
        key_ids: Vec<String>,
    ) -> Result<Vec<Arc<Instance>>, EngineError> {
        if key_ids.is_empty() {
            return Ok(Vec::new());
        }
        let query = InstanceQuery {
            account: caller.account.clone(),
            product: caller.product.clone(),
            region: None,
            filters: vec![InstanceFilter::KeyPairs(key_ids)],
            order: Default::default(),
            offset: 0,
            limit: usize::MAX,
        };
        Ok(self.store.instances(&query).await?.items)
    }

    /// Deletes key pairs, all or none; bound ones are refused.
    pub async fn delete_key_pairs(
        &self,
        caller: &Caller,
        ids: &[String],
    ) -> Result<(), EngineError> {
        let keys = self.require_key_pairs(caller, ids).await?;
        let bound = self.instances_with_keys(caller, ids.to_vec()).await?;
        if let Some(k) = keys
            .iter()
            .find(|k| bound.iter().any(|i| i.login.key_ids.contains(&k.id)))
        {
            return Err(EngineError::KeyPairInUse(k.id.clone()));
        }
        let mut writes = WriteSet::new();
        for k in keys {
            writes.push(Change::DeleteKeyPair {
                account: k.account,
                id: k.id,
                expect: Expect::Version(k.version),
            });
        }
        self.store.commit(writes).await?;
        Ok(())
    }

    /// The caller's key pairs with these ids; the first missing one is an error.
    pub(crate) async fn require_key_pairs(
        &self,
        caller: &Caller,
        ids: &[String],
    ) -> Result<Vec<KeyPair>, EngineError> {
        let all = self
            .store
            .key_pairs(&caller.account, &caller.product)
            .await?;
        ids.iter()
            .map(|id| {
                all.iter()
                    .find(|k| &k.id == id)
                    .cloned()
                    .ok_or_else(|| EngineError::KeyPairNotFound(id.clone()))
            })
            .collect()
    }

    /// Checks that `key_ids` may be bound to (or unbound from) `instance`.
    pub(crate) async fn check_key_binding(
        &self,
        caller: &Caller,
        profile: &ProductProfile,
        instance: &Instance,
        kind: OperationKind,
        key_ids: &[String],
    ) -> Result<(), EngineError> {
        if instance.os_family == OsFamily::Windows && !profile.keys_on_windows {
            return Err(EngineError::KeysOnWindows);
        }
        self.require_key_pairs(caller, key_ids).await?;
        let bound = &instance.login.key_ids;
        if kind == OperationKind::DisassociateKeys {
            if let Some(k) = key_ids.iter().find(|k| !bound.contains(k)) {
                return Err(EngineError::KeyPairNotBound {
                    key: k.clone(),
                    instance: instance.id.clone(),
                });
            }
            return Ok(());
        }
        if let Some(k) = key_ids.iter().find(|k| bound.contains(k)) {
            return Err(EngineError::KeyPairAlreadyBound {
                key: k.clone(),
                instance: instance.id.clone(),
            });
        }
        if bound.len() + key_ids.len() > profile.max_keys_per_instance {
            return Err(EngineError::TooManyKeys {
                max: profile.max_keys_per_instance,
            });
        }
        Ok(())
    }
}
