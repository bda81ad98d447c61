//! The single writer thread: it owns the connection, checks every write's
//! precondition, commits the writes that queued meanwhile in one transaction
//! (group commit), and only then shows them to readers and answers.

use super::checkpoint::Checkpoints;
use super::mirror::{Displaced, Mirror, Ready};
use crate::record::{state_name, Prepared, RecordKey};
use rusqlite::{params, Connection};
use std::collections::HashMap;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, RwLock};
use stratus_engine::events::{Event, EventHub};
use stratus_engine::model::{Message, Operation};
use stratus_engine::ports::{Change, Expect, StoreError};
use stratus_engine::state::Records;
use tokio::sync::oneshot;

/// Where a commit's outcome goes.
pub(crate) type Reply = oneshot::Sender<Result<(), StoreError>>;

/// A commit for the writer thread.
pub(crate) struct Commit {
    pub writes: Vec<Prepared>,
    /// What the writes publish once committed, built by the caller.
    pub events: Vec<Event>,
    /// Where the outcome goes, with the records the writes displaced from
    /// the mirror, for the caller to free: most of their memory was
    /// allocated on the caller's thread, and freeing it there keeps it off
    /// the one thread every write waits for.
    pub reply: oneshot::Sender<Result<Displaced, StoreError>>,
}

/// Work for the writer thread.
pub(crate) enum Job {
    Commit(Commit),
    /// Reads a finished operation, which only the database keeps.
    ReadOperation(
        String,
        oneshot::Sender<Result<Option<Operation>, StoreError>>,
    ),
    /// Reads every operation of an account.
    ReadOperations(String, oneshot::Sender<Result<Vec<Operation>, StoreError>>),
    /// Reads an account's messages, which only the database keeps.
    ReadMessages(String, oneshot::Sender<Result<Vec<Message>, StoreError>>),
    /// Deletes every record of an account (`None`: of every account).
    Reset(Option<String>, Reply),
    /// Reads every record.
    Dump(oneshot::Sender<Result<Records, StoreError>>),
    /// Reads a setting.
    ReadSetting(String, oneshot::Sender<Result<Option<String>, StoreError>>),
    /// Saves a setting.
    SaveSetting(String, String, Reply),
}

/// Most jobs folded into one transaction.
const MAX_GROUP: usize = 1024;

pub(crate) fn run(
    mut conn: Connection,
    mirror: Arc<RwLock<Mirror>>,
    events: &EventHub,
    jobs: Receiver<Job>,
    checkpoints: Option<Checkpoints>,
) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        process(&mut conn, &mirror, events, group);
        if let Some(checkpoints) = &checkpoints {
            checkpoints.committed();
        }
    }
}

fn process(
    conn: &mut Connection,
    mirror: &Arc<RwLock<Mirror>>,
    events: &EventHub,
    group: Vec<Job>,
) {
    let mut commits = Vec::new();
    for job in group {
        match job {
            Job::Commit(commit) => commits.push(commit),
            Job::ReadOperation(id, reply) => {
                let _ = reply.send(read_operation(conn, &id));
            }
            Job::ReadOperations(account, reply) => {
                let _ = reply.send(read_operations(conn, &account));
            }
            Job::ReadMessages(account, reply) => {
                let _ = reply.send(read_messages(conn, &account));
            }
            Job::Reset(account, reply) => {
                let _ = reply.send(reset(conn, mirror, account.as_deref()));
            }
            Job::Dump(reply) => {
                let _ = reply.send(dump(conn));
            }
            Job::ReadSetting(key, reply) => {
                let read = conn
                    .query_row("SELECT body FROM settings WHERE key = ?1", [&key], |r| {
                        r.get::<_, String>(0)
                    })
                    .map(Some)
                    .or_else(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => Ok(None),
                        other => Err(StoreError::Unavailable(other.to_string())),
                    });
                let _ = reply.send(read);
            }
            Job::SaveSetting(key, body, reply) => {
                let saved = conn
                    .execute(
                        "INSERT INTO settings (key, body) VALUES (?1, ?2)
                         ON CONFLICT (key) DO UPDATE SET body = excluded.body",
                        [&key, &body],
                    )
                    .map(|_| ())
                    .map_err(|e| StoreError::Unavailable(e.to_string()));
                let _ = reply.send(saved);
            }
        }
    }
    if commits.is_empty() {
        return;
    }
    // Versions staged by earlier writes of this group, seen by later ones.
    let mut staged: HashMap<RecordKey, Option<u64>> = HashMap::new();
    let mut accepted: Vec<Commit> = Vec::new();
    let tx = match conn.transaction() {
        Ok(tx) => tx,
        Err(e) => {
            for commit in commits {
                let _ = commit
                    .reply
                    .send(Err(StoreError::Unavailable(e.to_string())));
            }
            return;
        }
    };
    {
        let view = read_lock(mirror);
        for commit in commits {
            if let Err(e) = check(&view, &staged, &commit.writes) {
                let _ = commit.reply.send(Err(e));
                continue;
            }
            if let Err(e) = commit.writes.iter().try_for_each(|p| write(&tx, p)) {
                // The transaction is no longer trustworthy: fail the group.
                drop(view);
                let msg = e.to_string();
                for failed in accepted.into_iter().chain([commit]) {
                    let _ = failed.reply.send(Err(StoreError::Unavailable(msg.clone())));
                }
                let _ = tx.rollback();
                return;
            }
            for p in &commit.writes {
                if let Some(key) = &p.key {
                    staged.insert(key.clone(), staged_version(&p.change));
                }
            }
            accepted.push(commit);
        }
    }
    let committing = std::time::Instant::now();
    if let Err(e) = tx.commit() {
        for commit in accepted {
            let _ = commit
                .reply
                .send(Err(StoreError::Unavailable(e.to_string())));
        }
        return;
    }
    crate::record_commit(
        committing.elapsed(),
        accepted.iter().map(|c| c.writes.len()).sum(),
    );
    // Only the mirror's own bookkeeping is done under its lock, which
    // every read waits behind: the records are put in the form the mirror
    // keeps before it, and the events published after it.
    let mut outcomes = Vec::with_capacity(accepted.len());
    let ready: Vec<Vec<Ready>> = accepted
        .iter_mut()
        .map(|c| {
            std::mem::take(&mut c.writes)
                .into_iter()
                .map(|p| Ready::from(p.change))
                .collect()
        })
        .collect();
    {
        let mut view = match mirror.write() {
            Ok(v) => v,
            Err(p) => p.into_inner(),
        };
        for changes in ready {
            let mut displaced = Displaced::default();
            for change in changes {
                view.apply(change, &mut displaced);
            }
            outcomes.push(displaced);
        }
    }
    for (commit, displaced) in accepted.into_iter().zip(outcomes) {
        // Published in commit order: this thread is the only committer. A
        // watcher that reads on an event finds the mirror already changed.
        events.publish(commit.events);
        let _ = commit.reply.send(Ok(displaced));
    }
}

/// The tables that hold an account's records.
const TABLES: [&str; 6] = [
    "instances",
    "operations",
    "key_pairs",
    "networks",
    "messages",
    "client_tokens",
];

fn dump(conn: &Connection) -> Result<Records, StoreError> {
    fn all<T: serde::de::DeserializeOwned>(
        conn: &Connection,
        table: &str,
    ) -> Result<Vec<T>, StoreError> {
        super::rows(conn, &format!("SELECT body FROM {table} ORDER BY rowid"))
    }
    Ok(Records {
        instances: all(conn, "instances")?,
        operations: all(conn, "operations")?,
        key_pairs: all(conn, "key_pairs")?,
        networks: all(conn, "networks")?,
        messages: all(conn, "messages")?,
        client_tokens: all(conn, "client_tokens")?,
    })
}

fn reset(
    conn: &mut Connection,
    mirror: &RwLock<Mirror>,
    account: Option<&str>,
) -> Result<(), StoreError> {
    let unavailable = |e: rusqlite::Error| StoreError::Unavailable(e.to_string());
    let tx = conn.transaction().map_err(unavailable)?;
    for table in TABLES {
        match account {
            Some(a) => tx.execute(&format!("DELETE FROM {table} WHERE account = ?1"), [a]),
            None => tx.execute(&format!("DELETE FROM {table}"), []),
        }
        .map_err(unavailable)?;
    }
    tx.commit().map_err(unavailable)?;
    let mut view = match mirror.write() {
        Ok(v) => v,
        Err(p) => p.into_inner(),
    };
    match account {
        Some(a) => view.forget(a),
        None => *view = Mirror::default(),
    }
    Ok(())
}

pub(crate) fn read_lock(mirror: &RwLock<Mirror>) -> std::sync::RwLockReadGuard<'_, Mirror> {
    match mirror.read() {
        Ok(v) => v,
        Err(p) => p.into_inner(),
    }
}

fn staged_version(change: &Change) -> Option<u64> {
    match change {
        Change::Instance { expect, .. }
        | Change::Operation { expect, .. }
        | Change::KeyPair { expect, .. }
        | Change::Network { expect, .. } => Some(expect.next_version()),
        Change::DeleteKeyPair { .. } => None,
        Change::ClientToken(_) => Some(0),
        Change::Message(_) => None,
    }
}

fn check(
    view: &Mirror,
    staged: &HashMap<RecordKey, Option<u64>>,
    writes: &[Prepared],
) -> Result<(), StoreError> {
    for (c, key) in writes
        .iter()
        .filter_map(|p| Some((&p.change, p.key.as_ref()?)))
    {
        let current = match staged.get(key) {
            Some(v) => *v,
            None => view.version(key),
        };
        let expect = match c {
            Change::Instance { expect, .. }
            | Change::Operation { expect, .. }
            | Change::KeyPair { expect, .. }
            | Change::Network { expect, .. }
            | Change::DeleteKeyPair { expect, .. } => *expect,
            Change::ClientToken(_) => Expect::Absent,
            Change::Message(_) => continue,
        };
        let ok = match (expect, current) {
            (Expect::Absent, None) => true,
            (Expect::Version(v), Some(cur)) => v == cur,
            _ => false,
        };
        if !ok {
            return Err(StoreError::Conflict(key.id().to_string()));
        }
    }
    Ok(())
}

fn write(tx: &rusqlite::Transaction<'_>, prepared: &Prepared) -> rusqlite::Result<()> {
    let body = &prepared.body;
    match &prepared.change {
        Change::Instance { record: r, .. } => {
            tx.prepare_cached(
                "INSERT INTO instances (account, id, product, state, version, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (account, id) DO UPDATE SET state = excluded.state, version = excluded.version, body = excluded.body",
            )?
            .execute(params![r.account.as_str(), r.id, r.product.as_str(), state_name(&r.state), r.version as i64, body])?;
        }
        Change::Operation { record: r, .. } => {
            tx.prepare_cached(
                "INSERT INTO operations (id, account, instance_id, state, deadline, version, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state, deadline = excluded.deadline, version = excluded.version, body = excluded.body",
            )?
            .execute(params![
                r.id,
                r.account,
                r.instance_id,
                state_name(&r.state),
                r.deadline.0,
                r.version as i64,
                body
            ])?;
        }
        Change::KeyPair { record: r, .. } => {
            tx.prepare_cached(
                "INSERT INTO key_pairs (account, id, product, version, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account, id) DO UPDATE SET version = excluded.version, body = excluded.body",
            )?
            .execute(params![r.account, r.id, r.product, r.version as i64, body])?;
        }
        Change::DeleteKeyPair { account, id, .. } => {
            tx.prepare_cached("DELETE FROM key_pairs WHERE account = ?1 AND id = ?2")?
                .execute(params![account, id])?;
        }
        Change::Network { record: r, .. } => {
            tx.prepare_cached(
                "INSERT INTO networks (account, id, product, version, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account, id) DO UPDATE SET version = excluded.version, body = excluded.body",
            )?
            .execute(params![r.account, r.id, r.product, r.version as i64, body])?;
        }
        Change::Message(m) => {
            tx.prepare_cached(
                "INSERT INTO messages (id, account, created_at, body) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![m.id, m.account, m.created_at.0, body])?;
        }
        Change::ClientToken(t) => {
            tx.prepare_cached(
                "INSERT INTO client_tokens (account, product, token, body) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![t.account, t.product, t.token, body])?;
        }
    }
    Ok(())
}

fn read_operation(conn: &Connection, id: &str) -> Result<Option<Operation>, StoreError> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM operations WHERE id = ?1")
        .and_then(|mut s| {
            let mut rows = s.query(params![id])?;
            match rows.next()? {
                Some(row) => row.get(0).map(Some),
                None => Ok(None),
            }
        })
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    body.map(|b| serde_json::from_str(&b).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

fn read_operations(conn: &Connection, account: &str) -> Result<Vec<Operation>, StoreError> {
    read_bodies(
        conn,
        "SELECT body FROM operations WHERE account = ?1 ORDER BY rowid",
        account,
    )
}

fn read_messages(conn: &Connection, account: &str) -> Result<Vec<Message>, StoreError> {
    read_bodies(
        conn,
        "SELECT body FROM messages WHERE account = ?1 ORDER BY created_at, rowid",
        account,
    )
}

/// Decodes the JSON `body` of every row `sql` selects for `account`.
fn read_bodies<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    account: &str,
) -> Result<Vec<T>, StoreError> {
    let unavailable = |e: rusqlite::Error| StoreError::Unavailable(e.to_string());
    let mut stmt = conn.prepare_cached(sql).map_err(unavailable)?;
    let bodies = stmt
        .query_map(params![account], |r| r.get::<_, String>(0))
        .map_err(unavailable)?;
    bodies
        .map(|b| {
            serde_json::from_str(&b.map_err(unavailable)?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect()
}
