//! The applier thread: it owns the SQLite connection and writes the rows
//! the writer has made durable (in the journal, on disk) and visible (in
//! the mirror) in transactions of its own, gathered over [`GATHER`]. A
//! record written several times meanwhile is written once: a reboot's
//! acceptance and its end become one write of the instance and one of the
//! operation. Each transaction also records the last journal frame it
//! holds, so a restart replays only what came after.
//!
//! The records only the database keeps (finished operations, the audit,
//! messages, settings, the dump) are read here too, through the same queue
//! as the rows, so a read sent after a write was answered sees it.

use super::checkpoint::Checkpoints;
use super::row::{Row, RowKey};
use super::{decode, unavailable};
use crate::record::RecordKey;
use rusqlite::{params, Connection};
use std::collections::hash_map::Entry;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stratus_engine::model::{Message, Operation};
use stratus_engine::ports::StoreError;
use stratus_engine::state::Records;
use tokio::sync::oneshot;

/// How long rows gather before they are written.
const GATHER: Duration = Duration::from_millis(100);

/// Rows received past which they are written at once (however many
/// of them fold into one).
const MOST_PENDING: usize = 16_384;

/// Work for the applier.
pub(crate) enum Work {
    /// Rows are waiting in the inbox (see [`Progress::hand_over`]).
    Rows,
    /// A read of what only the database keeps.
    Read(Read),
    /// Writes what is pending and ends the thread.
    Stop,
}

/// The reads the applier answers.
pub(crate) enum Read {
    /// An operation, finished or not.
    Operation(
        String,
        oneshot::Sender<Result<Option<Operation>, StoreError>>,
    ),
    /// Every operation of an account.
    Operations(String, oneshot::Sender<Result<Vec<Operation>, StoreError>>),
    /// An account's messages.
    Messages(String, oneshot::Sender<Result<Vec<Message>, StoreError>>),
    /// Every record.
    Dump(oneshot::Sender<Result<Records, StoreError>>),
    /// A setting.
    Setting(String, oneshot::Sender<Result<Option<String>, StoreError>>),
}

/// The rows of one journal frame, by its sequence number.
type Handed = (u64, Vec<Row>);

/// What the applier shares with the writer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress {
    /// The last journal frame SQLite holds.
    pub applied: Arc<AtomicU64>,
    /// Rows sent and not yet written: the writer waits while there are too
    /// many.
    pub backlog: Arc<AtomicUsize>,
    /// The applier thread has ended (it only ends on a stop, or by a panic).
    pub gone: Arc<AtomicBool>,
    /// Rows the writer made durable, not yet taken by the applier.
    pub(super) inbox: Arc<Mutex<Vec<Handed>>>,
}

impl Progress {
    /// Hands the rows of journal frame `seq` to the applier. They wait in
    /// the inbox, and the applier is woken only for the first rows of a
    /// gathering or for a full one: waking it for every group cost a
    /// switch of threads per commit. It takes the inbox before any read,
    /// so a read sent after the writer answered sees the rows.
    pub fn hand_over(&self, applier: &Sender<Work>, seq: u64, rows: Vec<Row>) {
        let backlog = self.backlog.fetch_add(rows.len(), Ordering::AcqRel) + rows.len();
        let first = {
            let mut inbox = lock(&self.inbox);
            inbox.push((seq, rows));
            inbox.len() == 1
        };
        if first || backlog >= MOST_PENDING {
            // An applier gone leaves the rows in the journal all the same,
            // replayed on restart; the next group finds it gone and fails.
            let _ = applier.send(Work::Rows);
        }
    }

    fn take_inbox(&self) -> Vec<Handed> {
        std::mem::take(&mut *lock(&self.inbox))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Says the applier is gone when its thread ends, however it ends.
struct Farewell(Arc<AtomicBool>);

impl Drop for Farewell {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Rows received and not yet written, each record's latest only.
#[derive(Default)]
struct Pending {
    rows: Vec<Row>,
    /// Where each record's row is in `rows`; emptied by a reset, after
    /// which a record's row must come after it.
    at: foldhash::HashMap<RowKey, usize>,
    received: usize,
    last_seq: u64,
    since: Option<Instant>,
    resets: bool,
}

impl Pending {
    fn add(&mut self, seq: u64, rows: Vec<Row>) {
        self.received += rows.len();
        for row in rows {
            match row.key() {
                Some(key) => match self.at.entry(key) {
                    Entry::Occupied(e) => self.rows[*e.get()] = row,
                    Entry::Vacant(e) => {
                        e.insert(self.rows.len());
                        self.rows.push(row);
                    }
                },
                None => {
                    if matches!(row, Row::Reset { .. }) {
                        self.at.clear();
                        self.resets = true;
                    }
                    self.rows.push(row);
                }
            }
        }
        self.last_seq = seq;
        self.since.get_or_insert_with(Instant::now);
    }

    /// The latest pending body of a record, unless a reset makes the
    /// database the only one to ask.
    fn body(&self, key: &RowKey) -> Option<&str> {
        if self.resets {
            return None;
        }
        match &self.rows[*self.at.get(key)?] {
            Row::Operation { body, .. } | Row::Setting { body, .. } => Some(body),
            _ => None,
        }
    }
}

pub(crate) struct Applier {
    conn: Connection,
    pending: Pending,
    progress: Progress,
    checkpoints: Option<Checkpoints>,
}

impl Applier {
    pub fn new(conn: Connection, progress: Progress, checkpoints: Option<Checkpoints>) -> Self {
        Self {
            conn,
            pending: Pending::default(),
            progress,
            checkpoints,
        }
    }

    pub fn run(mut self, work: &Receiver<Work>) {
        let _farewell = Farewell(Arc::clone(&self.progress.gone));
        loop {
            let next = match self.pending.since {
                None => work.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(since) => match GATHER.checked_sub(since.elapsed()) {
                    Some(left) => work.recv_timeout(left),
                    None => Err(RecvTimeoutError::Timeout),
                },
            };
            match next {
                Ok(Work::Rows) => {
                    self.take_inbox();
                    if self.pending.received >= MOST_PENDING {
                        self.write_pending();
                    }
                }
                Ok(Work::Stop) | Err(RecvTimeoutError::Disconnected) => {
                    self.take_inbox();
                    self.write_pending();
                    return;
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.take_inbox();
                    self.write_pending();
                }
                Ok(Work::Read(read)) => {
                    self.take_inbox();
                    self.read(read);
                }
            }
        }
    }

    /// Moves the rows waiting in the inbox to the pending ones.
    fn take_inbox(&mut self) {
        for (seq, rows) in self.progress.take_inbox() {
            self.pending.add(seq, rows);
        }
    }

    /// Writes the pending rows in one transaction. On a failure they stay
    /// pending (the journal holds them) and are tried again a little later.
    fn write_pending(&mut self) {
        if let Err(e) = self.try_write_pending() {
            tracing::error!(error = %e, "writing the journal's rows to SQLite failed; retrying");
            self.pending.since = Some(Instant::now());
        }
    }

    fn try_write_pending(&mut self) -> Result<(), StoreError> {
        if self.pending.since.is_none() {
            return Ok(());
        }
        let started = Instant::now();
        let tx = self.conn.transaction().map_err(unavailable)?;
        for row in &self.pending.rows {
            row.execute(&tx).map_err(unavailable)?;
        }
        tx.prepare_cached("UPDATE journal SET applied = ?1")
            .and_then(|mut s| s.execute(params![self.pending.last_seq as i64]))
            .map_err(unavailable)?;
        tx.commit().map_err(unavailable)?;
        let done = std::mem::take(&mut self.pending);
        self.progress
            .applied
            .store(done.last_seq, Ordering::Release);
        self.progress
            .backlog
            .fetch_sub(done.received, Ordering::AcqRel);
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.committed();
        }
        record_applied(started.elapsed(), done.rows.len(), done.received);
        Ok(())
    }

    fn read(&mut self, read: Read) {
        match read {
            Read::Operation(id, reply) => {
                let read = match self.pending.body(&RecordKey::Operation(id.clone()).into()) {
                    Some(body) => decode(body).map(Some),
                    None => self.written().and_then(|conn| read_operation(conn, &id)),
                };
                let _ = reply.send(read);
            }
            Read::Setting(key, reply) => {
                let read = match self.pending.body(&RowKey::Setting(key.clone())) {
                    Some(body) => Ok(Some(body.to_string())),
                    None => self.written().and_then(|conn| read_setting(conn, &key)),
                };
                let _ = reply.send(read);
            }
            Read::Operations(account, reply) => {
                let _ = reply.send(self.written().and_then(|conn| {
                    read_bodies(
                        conn,
                        "SELECT body FROM operations WHERE account = ?1 ORDER BY rowid",
                        &account,
                    )
                }));
            }
            Read::Messages(account, reply) => {
                let _ = reply.send(self.written().and_then(|conn| {
                    read_bodies(
                        conn,
                        "SELECT body FROM messages WHERE account = ?1 ORDER BY created_at, rowid",
                        &account,
                    )
                }));
            }
            Read::Dump(reply) => {
                let _ = reply.send(self.written().and_then(dump));
            }
        }
    }

    /// The connection, once everything pending is written to it.
    fn written(&mut self) -> Result<&Connection, StoreError> {
        self.try_write_pending()?;
        Ok(&self.conn)
    }
}

/// Writes frames read back from the journal (after a crash) in one
/// transaction, with the last one's number.
pub(crate) fn replay(
    conn: &mut Connection,
    frames: Vec<super::journal::Frame>,
) -> Result<(), StoreError> {
    let Some(last) = frames.last().map(|f| f.0) else {
        return Ok(());
    };
    let count = frames.len();
    let tx = conn.transaction().map_err(unavailable)?;
    for (_, payload) in frames {
        for row in Row::decode_all(&payload).map_err(StoreError::Corrupt)? {
            row.execute(&tx).map_err(unavailable)?;
        }
    }
    tx.execute("UPDATE journal SET applied = ?1", params![last as i64])
        .map_err(unavailable)?;
    tx.commit().map_err(unavailable)?;
    tracing::info!(frames = count, "replayed the journal's commits into SQLite");
    Ok(())
}

/// The last journal frame the database holds.
pub(crate) fn applied(conn: &Connection) -> Result<u64, StoreError> {
    conn.query_row("SELECT applied FROM journal", [], |r| r.get::<_, i64>(0))
        .map(|n| n as u64)
        .map_err(unavailable)
}

fn record_applied(took: Duration, rows: usize, received: usize) {
    let metrics = stratus_engine::metrics::registry();
    metrics.observe(
        "stratus_store_apply_seconds",
        "How long SQLite took to write a gathering of journaled rows.",
        &[],
        took.as_secs_f64(),
    );
    metrics.count(
        "stratus_store_rows_folded_total",
        "Journaled rows that a later row of the same record made unnecessary to write.",
        &[],
        (received - rows) as u64,
    );
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
        .map_err(unavailable)?;
    body.as_deref().map(decode).transpose()
}

fn read_setting(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    conn.query_row("SELECT body FROM settings WHERE key = ?1", [key], |r| {
        r.get::<_, String>(0)
    })
    .map(Some)
    .or_else(|e| match e {
        rusqlite::Error::QueryReturnedNoRows => Ok(None),
        other => Err(unavailable(other)),
    })
}

/// Decodes the JSON `body` of every row `sql` selects for `account`.
fn read_bodies<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    account: &str,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(unavailable)?;
    let bodies = stmt
        .query_map(params![account], |r| r.get::<_, String>(0))
        .map_err(unavailable)?;
    bodies.map(|b| decode(&b.map_err(unavailable)?)).collect()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: &str, state: &str) -> Row {
        Row::Instance {
            account: "a".into(),
            id: id.into(),
            product: "p".into(),
            state: state.into(),
            version: 1,
            body: format!("{{\"state\":\"{state}\"}}"),
        }
    }

    #[test]
    fn a_record_written_twice_is_written_once_and_a_reset_stays_between() {
        let mut pending = Pending::default();
        pending.add(
            1,
            vec![instance("i-1", "Rebooting"), instance("i-2", "Running")],
        );
        pending.add(2, vec![instance("i-1", "Running")]);
        assert_eq!(
            pending.rows,
            [instance("i-1", "Running"), instance("i-2", "Running")]
        );
        assert_eq!(pending.received, 3);
        pending.add(
            3,
            vec![Row::Reset { account: None }, instance("i-1", "Stopping")],
        );
        pending.add(4, vec![instance("i-1", "Stopped")]);
        assert_eq!(
            pending.rows,
            [
                instance("i-1", "Running"),
                instance("i-2", "Running"),
                Row::Reset { account: None },
                instance("i-1", "Stopped"),
            ],
            "a write after a reset must not move before it"
        );
        assert_eq!(pending.last_seq, 4);
    }

    #[test]
    fn the_applier_is_woken_for_the_first_rows_of_a_gathering_and_a_full_one_only() {
        let progress = Progress::default();
        let (applier, woken) = std::sync::mpsc::channel();
        for seq in 1..=3 {
            progress.hand_over(&applier, seq, vec![instance("i-1", "Running")]);
        }
        assert_eq!(woken.try_iter().count(), 1, "woken once for three groups");
        let taken = progress.take_inbox();
        assert_eq!(
            taken.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        // Taken: the next rows start a gathering of their own.
        progress.hand_over(&applier, 4, vec![instance("i-1", "Stopped")]);
        assert_eq!(woken.try_iter().count(), 1);
        // Past the most that gather, every group wakes it.
        progress.backlog.store(MOST_PENDING, Ordering::Release);
        progress.hand_over(&applier, 5, vec![instance("i-2", "Running")]);
        assert_eq!(woken.try_iter().count(), 1);
    }

    #[test]
    fn rows_sqlite_refuses_stay_pending_and_are_written_on_a_later_try() {
        let dir = std::env::temp_dir().join(format!("stratus-applier-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("directory");
        let db = dir.join("stratus.db");
        let mut conn = Connection::open(&db).expect("database");
        conn.execute_batch("PRAGMA journal_mode = WAL;")
            .expect("WAL");
        super::super::migrate(&mut conn).expect("schema");
        // Refused at once instead of after the usual wait for a lock.
        conn.busy_timeout(Duration::ZERO).expect("no wait");
        let progress = Progress::default();
        let mut applier = Applier::new(conn, progress.clone(), None);
        progress.backlog.store(1, Ordering::Release);
        applier.pending.add(1, vec![instance("i-1", "Running")]);
        // Another writer holds the database: the transaction fails.
        let holder = Connection::open(&db).expect("second connection");
        holder.execute_batch("BEGIN IMMEDIATE").expect("locked");
        applier.write_pending();
        assert_eq!(
            applier.pending.rows,
            [instance("i-1", "Running")],
            "the rows were lost"
        );
        assert_eq!(progress.applied.load(Ordering::Acquire), 0);
        assert_eq!(progress.backlog.load(Ordering::Acquire), 1);
        assert!(applier.pending.since.is_some(), "no later try was planned");
        // Let go, the next try writes them and says how far SQLite got.
        holder.execute_batch("ROLLBACK").expect("released");
        applier.write_pending();
        assert!(applier.pending.rows.is_empty());
        assert_eq!(progress.applied.load(Ordering::Acquire), 1);
        assert_eq!(progress.backlog.load(Ordering::Acquire), 0);
        let state: String = holder
            .query_row("SELECT state FROM instances WHERE id = 'i-1'", [], |r| {
                r.get(0)
            })
            .expect("written");
        assert_eq!(state, "Running");
        drop((applier, holder));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
