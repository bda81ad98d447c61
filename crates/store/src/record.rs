//! Writes made ready for either backend: each record stamped with the
//! version its precondition implies and serialised to its JSON body, on the
//! caller's task, so that a store's writer only checks and executes.

use stratus_engine::ports::StoreError;
use stratus_engine::ports::{Change, WriteSet};

/// The tables that hold an account's records (what a reset deletes).
pub(crate) const ACCOUNT_TABLES: [&str; 6] = [
    "instances",
    "operations",
    "key_pairs",
    "networks",
    "messages",
    "client_tokens",
];

/// The identity of a versioned record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum RecordKey {
    Instance(String, String),
    Operation(String),
    KeyPair(String, String),
    Network(String, String),
    ClientToken(String, String, String),
}

impl RecordKey {
    /// The key a change writes.
    pub fn of(change: &Change) -> Option<RecordKey> {
        Some(match change {
            Change::Instance { record, .. } => {
                RecordKey::Instance(record.account.to_string(), record.id.clone())
            }
            Change::Operation { record, .. } => RecordKey::Operation(record.id.clone()),
            Change::KeyPair { record, .. } => {
                RecordKey::KeyPair(record.account.clone(), record.id.clone())
            }
            Change::DeleteKeyPair { account, id, .. } => {
                RecordKey::KeyPair(account.clone(), id.clone())
            }
            Change::ClientToken(t) => {
                RecordKey::ClientToken(t.account.clone(), t.product.clone(), t.token.clone())
            }
            Change::Network { record, .. } => {
                RecordKey::Network(record.account.clone(), record.id.clone())
            }
            Change::Message(_) => return None,
        })
    }

    /// The id to report in a conflict.
    pub fn id(&self) -> &str {
        match self {
            RecordKey::Instance(_, id)
            | RecordKey::KeyPair(_, id)
            | RecordKey::Network(_, id)
            | RecordKey::Operation(id) => id,
            RecordKey::ClientToken(_, _, token) => token,
        }
    }
}

/// A write made ready by the caller's task (version stamped, record
/// serialised), so the single writer thread only checks and executes.
pub(crate) struct Prepared {
    pub change: Change,
    pub body: String,
    /// The record it writes (none for a message).
    pub key: Option<RecordKey>,
}

/// Stamps and serialises a write set, off the writer thread.
pub(crate) fn prepare(writes: WriteSet) -> Result<Vec<Prepared>, StoreError> {
    writes
        .changes
        .into_iter()
        .map(|mut change| {
            stamp_version(&mut change);
            let body = match &change {
                Change::Instance { record, .. } => json(record, INSTANCE_BYTES),
                Change::Operation { record, .. } => json(record, SMALL_RECORD_BYTES),
                Change::KeyPair { record, .. } => json(record, SMALL_RECORD_BYTES),
                Change::Network { record, .. } => json(record, SMALL_RECORD_BYTES),
                Change::Message(m) => json(m, SMALL_RECORD_BYTES),
                Change::ClientToken(t) => json(t, SMALL_RECORD_BYTES),
                Change::DeleteKeyPair { .. } => Ok(String::new()),
            }?;
            let key = RecordKey::of(&change);
            Ok(Prepared { change, body, key })
        })
        .collect()
}

/// Room first made for a serialised instance (most are 1.1–1.4 KB) and
/// for the other records (an operation is about 0.4 KB): a body grown from nothing is copied some nine
/// times on the way, on every write.
const INSTANCE_BYTES: usize = 1536;
const SMALL_RECORD_BYTES: usize = 512;

/// A record's JSON body.
fn json<T: serde::Serialize>(record: &T, room: usize) -> Result<String, StoreError> {
    let mut body = Vec::with_capacity(room);
    serde_json::to_writer(&mut body, record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    // serde_json writes only valid UTF-8.
    String::from_utf8(body).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn state_name<T: std::fmt::Debug>(v: &T) -> String {
    format!("{v:?}")
}

/// Gives a record the version its precondition implies, so the database
/// and the mirror agree whatever the caller set.
fn stamp_version(change: &mut Change) {
    match change {
        Change::Instance { record, expect } => record.version = expect.next_version(),
        Change::Operation { record, expect } => record.version = expect.next_version(),
        Change::KeyPair { record, expect } => record.version = expect.next_version(),
        Change::Network { record, expect } => record.version = expect.next_version(),
        Change::DeleteKeyPair { .. } | Change::Message(_) | Change::ClientToken(_) => {}
    }
}
