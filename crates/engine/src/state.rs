//! State snapshots: every record of a server in one versioned JSON document
//! (`stratus state export FILE`, `stratus state import FILE`,
//! `serve --state FILE`), so a team can share a prepared fleet. The records
//! are the engine's own (their serde form); `docs/STATE.md` documents the
//! format.

use crate::clock::Timestamp;
use crate::model::{ClientToken, Instance, KeyPair, Message, Network, Operation};
use crate::ports::{Change, Expect, Store, StoreError, WriteSet};
use serde::{Deserialize, Serialize};

/// The `format` field of every snapshot.
pub const FORMAT: &str = "stratus-state";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// Every record of a store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Records {
    #[serde(default)]
    pub instances: Vec<Instance>,
    #[serde(default)]
    pub operations: Vec<Operation>,
    #[serde(default)]
    pub key_pairs: Vec<KeyPair>,
    #[serde(default)]
    pub networks: Vec<Network>,
    #[serde(default)]
    pub messages: Vec<Message>,
    #[serde(default)]
    pub client_tokens: Vec<ClientToken>,
}

/// A snapshot: a header, then the records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: String,
    pub version: u32,
    pub exported_at: Timestamp,
    #[serde(flatten)]
    pub records: Records,
}

/// Why a snapshot cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a Stratus state snapshot: {0}")]
    Unreadable(String),
    #[error("this is a snapshot of format version {found}; this build reads version {VERSION}")]
    Version { found: u32 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes per commit while importing.
const BATCH: usize = 500;

impl Snapshot {
    /// Every record of `store`.
    pub async fn export(store: &dyn Store, now: Timestamp) -> Result<Self, SnapshotError> {
        Ok(Self {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: now,
            records: store.dump().await?,
        })
    }

    /// A snapshot from its JSON text, its format and version checked.
    pub fn parse(text: &str) -> Result<Self, SnapshotError> {
        #[derive(Deserialize)]
        struct Header {
            format: String,
            version: u32,
        }
        let header: Header =
            serde_json::from_str(text).map_err(|e| SnapshotError::Unreadable(e.to_string()))?;
        if header.format != FORMAT {
            return Err(SnapshotError::Unreadable(format!(
                "its format is `{}`, not `{FORMAT}`",
                header.format
            )));
        }
        if header.version != VERSION {
            return Err(SnapshotError::Version {
                found: header.version,
            });
        }
        serde_json::from_str(text).map_err(|e| SnapshotError::Unreadable(e.to_string()))
    }

    /// Replaces everything in `store` with this snapshot's records. Each
    /// record is written anew (its version starts again at 1).
    pub async fn import(self, store: &dyn Store) -> Result<usize, SnapshotError> {
        store.reset(None).await?;
        let r = self.records;
        let absent = || Expect::Absent;
        let changes: Vec<Change> = r
            .instances
            .into_iter()
            .map(|i| Change::Instance {
                record: Box::new(i),
                expect: absent(),
            })
            .chain(r.operations.into_iter().map(|o| Change::Operation {
                record: Box::new(o),
                expect: absent(),
            }))
            .chain(r.key_pairs.into_iter().map(|k| Change::KeyPair {
                record: k,
                expect: absent(),
            }))
            .chain(r.networks.into_iter().map(|n| Change::Network {
                record: n,
                expect: absent(),
            }))
            .chain(r.messages.into_iter().map(Change::Message))
            .chain(r.client_tokens.into_iter().map(Change::ClientToken))
            .collect();
        let count = changes.len();
        let mut changes = changes.into_iter().peekable();
        while changes.peek().is_some() {
            let mut writes = WriteSet::new();
            for change in changes.by_ref().take(BATCH) {
                writes.push(change);
            }
            store.commit(writes).await?;
        }
        Ok(count)
    }
}
