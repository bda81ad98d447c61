//! The SQLite store. One writer thread checks writes and makes them durable
//! in groups, as one synced frame of a journal of its own (see
//! [`journal`]); reads are served from an in-memory mirror of the live
//! records, so they never queue behind writes. A write is acknowledged only
//! once its frame is synced. An applier thread owns the SQLite connection
//! and writes the journaled rows to it in larger transactions (WAL,
//! `synchronous=FULL`), each record once however often it changed
//! meanwhile; a restart replays the frames SQLite does not hold yet.

mod applier;
mod checkpoint;
mod journal;
mod listing;
mod mirror;
mod row;
mod writer;

use crate::migrations::MIGRATIONS;
use applier::{Applier, Progress, Read, Work};
use async_trait::async_trait;
use checkpoint::Checkpoints;
use journal::Journal;
use listing::Listing;
use mirror::{ById, Mirror};
use rusqlite::Connection;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;
use stratus_engine::clock::{Clock, SystemClock};
use stratus_engine::events::{Event, EventHub};
use stratus_engine::model::{ClientToken, Instance, KeyPair, Message, Network, Operation};
use stratus_engine::ports::{Change, InstanceQuery, Page, Store, StoreError, WriteSet};
use tokio::sync::oneshot;
use writer::{read_lock, Job, Writer};

/// The embedded store.
pub struct SqliteStore {
    mirror: Arc<RwLock<Mirror>>,
    /// To the writer thread.
    jobs: Sender<Job>,
    /// To the applier thread, which alone reads the database.
    reads: Sender<Work>,
    events: Arc<EventHub>,
    writer: Option<JoinHandle<()>>,
    applier: Option<JoinHandle<()>>,
    /// The data directory's lock (on disk), let go only after both threads
    /// are done with the journal and the database.
    _lock: Option<std::fs::File>,
}

/// Closing the store waits for its threads: the writer's last frames, then
/// the applier's last transaction; only then is the directory's lock let
/// go (fields drop after this), so another store may open the same
/// database at once after.
impl Drop for SqliteStore {
    fn drop(&mut self) {
        let _ = self.jobs.send(Job::Stop);
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        let _ = self.reads.send(Work::Stop);
        if let Some(applier) = self.applier.take() {
            let _ = applier.join();
        }
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// A record from its stored JSON body.
fn decode<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, or an in-memory one
    /// with `None`; applies pending migrations and loads the live records.
    pub fn open(path: Option<&Path>) -> Result<Self, StoreError> {
        // Taken before anything is read: a store still closing, or another
        // server, may be writing the journal and the database.
        let lock = path
            .map(|p| journal::lock(&journal::directory(p)))
            .transpose()?;
        // Ephemeral: SQLite's private temporary database (an empty path),
        // which spills to a temporary file instead of holding a second copy
        // of everything in memory beside the mirror; nothing survives it, so
        // nothing is synced.
        let (conn, pragmas) = match path {
            // The log is checkpointed beside the writer, not by it.
            Some(p) => (
                Connection::open(p),
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;",
            ),
            None => (
                Connection::open(""),
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;",
            ),
        };
        let mut conn = conn.map_err(unavailable)?;
        conn.execute_batch(pragmas).map_err(unavailable)?;
        conn.execute_batch("PRAGMA foreign_keys = ON;")
            .map_err(unavailable)?;
        conn.busy_handler(Some(checkpoint::retry_soon))
            .map_err(unavailable)?;
        migrate(&mut conn)?;
        // On disk, commits are durable in the journal first: what SQLite
        // does not hold yet is replayed before anything is read.
        let journal = match path {
            Some(p) => {
                let (journal, frames) =
                    Journal::open(&journal::directory(p), applier::applied(&conn)?)?;
                if let Some(&(last, _)) = frames.last() {
                    applier::replay(&mut conn, frames)?;
                    journal.applied().store(last, Ordering::Release);
                }
                Some(journal)
            }
            None => None,
        };
        let mirror = Arc::new(RwLock::new(load(&conn)?));
        let checkpoints = path
            .map(|p| Checkpoints::start(p, checkpoint::LOG_LIMIT_PAGES))
            .transpose()?;
        let progress = Progress {
            applied: journal.as_ref().map(Journal::applied).unwrap_or_default(),
            ..Progress::default()
        };
        let (work, work_rx) = mpsc::channel();
        let applier = Applier::new(conn, progress.clone(), checkpoints);
        let applier = std::thread::Builder::new()
            .name("stratus-applier".into())
            .spawn(move || applier.run(&work_rx))
            .map_err(unavailable)?;
        let (jobs, rx) = mpsc::channel();
        // One node numbers its own events, above any earlier run's.
        let events = Arc::new(EventHub::numbered_from_now());
        let writer = Writer::new(
            Arc::clone(&mirror),
            Arc::clone(&events),
            journal,
            work.clone(),
            progress,
        );
        let writer = std::thread::Builder::new()
            .name("stratus-writer".into())
            .spawn(move || writer.run(&rx))
            .map_err(unavailable)?;
        Ok(Self {
            mirror,
            jobs,
            reads: work,
            events,
            writer: Some(writer),
            applier: Some(applier),
            _lock: lock,
        })
    }

    /// Sends a read to the applier and waits for its answer.
    async fn read<T>(
        &self,
        read: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Read,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.reads.send(Work::Read(read(tx))).map_err(unavailable)?;
        rx.await.map_err(unavailable)?
    }

    fn mirror(&self) -> std::sync::RwLockReadGuard<'_, Mirror> {
        read_lock(&self.mirror)
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(unavailable)?;
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        let tx = conn.transaction().map_err(unavailable)?;
        tx.execute_batch(m.sqlite()).map_err(unavailable)?;
        tx.pragma_update(None, "user_version", m.version)
            .map_err(unavailable)?;
        tx.commit().map_err(unavailable)?;
        tracing::info!(version = m.version, "applied schema migration");
    }
    Ok(())
}

pub(crate) fn rows<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare(sql).map_err(unavailable)?;
    let bodies = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(unavailable)?;
    bodies
        .map(|b| {
            let b = b.map_err(unavailable)?;
            decode(&b)
        })
        .collect()
}

fn load(conn: &Connection) -> Result<Mirror, StoreError> {
    let mut m = Mirror::default();
    load_instances(conn, &mut m)?;
    for o in rows::<Operation>(
        conn,
        "SELECT body FROM operations WHERE state = 'Operating'",
    )? {
        m.operations.insert(o.id.clone(), Arc::new(o));
    }
    for k in rows::<KeyPair>(conn, "SELECT body FROM key_pairs")? {
        m.key_pairs
            .entry(k.account.clone())
            .or_default()
            .insert(k.id.clone(), k);
    }
    for n in rows::<Network>(conn, "SELECT body FROM networks")? {
        m.networks
            .entry(n.account.clone())
            .or_default()
            .insert(n.id.clone(), n);
    }
    for t in rows::<ClientToken>(conn, "SELECT body FROM client_tokens")? {
        m.tokens
            .insert((t.account.clone(), t.product.clone(), t.token.clone()), t);
    }
    Ok(m)
}

/// Live instances read per batch while loading.
const LOAD_BATCH: usize = 1024;

/// Loads the live instances into `m`, in a pipeline: this thread reads the
/// bodies from SQLite (its connection stays on it), one decoder per core
/// turns them into records, and one more thread files them into the
/// mirror. A restart with a million instances is bound by decoding their
/// JSON, which this spreads over every core, and never holds more than a
/// few batches beside the mirror.
fn load_instances(conn: &Connection, m: &mut Mirror) -> Result<(), StoreError> {
    use std::sync::mpsc::sync_channel;
    let decoders = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (bodies_tx, bodies_rx) = sync_channel::<Vec<String>>(decoders * 2);
    // Shared by the decoders only: once they are all gone, the reader's
    // next send fails instead of waiting.
    let bodies_rx = Arc::new(std::sync::Mutex::new(bodies_rx));
    let (records_tx, records_rx) = sync_channel::<Result<Vec<Instance>, StoreError>>(decoders * 2);
    std::thread::scope(|scope| {
        for _ in 0..decoders {
            let (bodies_rx, records_tx) = (Arc::clone(&bodies_rx), records_tx.clone());
            let decoder = std::thread::Builder::new().name("stratus-decode".into());
            let spawned = decoder.spawn_scoped(scope, move || loop {
                let next = match bodies_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok(batch) = next else { return };
                let decoded = batch.iter().map(|b| decode(b)).collect();
                if records_tx.send(decoded).is_err() {
                    return;
                }
            });
            spawned.map_err(unavailable)?;
        }
        drop((bodies_rx, records_tx));
        let filer = std::thread::Builder::new()
            .name("stratus-filer".into())
            .spawn_scoped(scope, move || -> Result<(), StoreError> {
                for batch in records_rx {
                    for i in batch? {
                        m.listing.update(None, Some(&i));
                        m.instances
                            .entry(i.account.clone())
                            .or_default()
                            .insert(ById(Arc::new(i)));
                    }
                }
                Ok(())
            })
            .map_err(unavailable)?;
        let read = (|| -> Result<(), StoreError> {
            let mut stmt = conn
                .prepare("SELECT body FROM instances WHERE state <> 'Terminated'")
                .map_err(unavailable)?;
            let mut rows = stmt.query([]).map_err(unavailable)?;
            let mut batch = Vec::with_capacity(LOAD_BATCH);
            while let Some(row) = rows.next().map_err(unavailable)? {
                batch.push(row.get::<_, String>(0).map_err(unavailable)?);
                if batch.len() == LOAD_BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(LOAD_BATCH));
                    // The decoders are gone only if the filer failed: it says why.
                    if bodies_tx.send(full).is_err() {
                        return Ok(());
                    }
                }
            }
            let _ = bodies_tx.send(batch);
            Ok(())
        })();
        drop(bodies_tx);
        let filed = filer.join().unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "loading the instances failed".into(),
            ))
        });
        read.and(filed)
    })
}

#[async_trait]
impl Store for SqliteStore {
    fn events(&self) -> &EventHub {
        &self.events
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|tx| Read::Setting(key.to_string(), tx)).await
    }

    async fn save_setting(&self, key: &str, body: &str) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::SaveSetting(key.to_string(), body.to_string(), tx))
            .map_err(unavailable)?;
        rx.await.map_err(unavailable)?
    }

    async fn dump(&self) -> Result<stratus_engine::state::Records, StoreError> {
        self.read(Read::Dump).await
    }

    async fn reset(&self, account: Option<&str>) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Reset(account.map(str::to_string), tx))
            .map_err(unavailable)?;
        rx.await.map_err(unavailable)?
    }

    async fn instance_counts(
        &self,
    ) -> Result<Vec<(String, stratus_engine::lifecycle::LifecycleState, u64)>, StoreError> {
        let mut counts: std::collections::BTreeMap<(String, String), (_, u64)> =
            std::collections::BTreeMap::new();
        for set in self.mirror().instances.values() {
            for i in set {
                let i = &i.0;
                counts
                    .entry((i.product.to_string(), format!("{:?}", i.state)))
                    .or_insert((i.state, 0))
                    .1 += 1;
            }
        }
        Ok(counts
            .into_iter()
            .map(|((product, _), (state, n))| (product, state, n))
            .collect())
    }

    async fn instance(&self, account: &str, id: &str) -> Result<Option<Instance>, StoreError> {
        // Copied after the lock is released: the writer waits for readers.
        let shared = self
            .mirror()
            .instances
            .get(account)
            .and_then(|m| m.get(id))
            .map(|i| Arc::clone(&i.0));
        Ok(shared.map(|i| Instance::clone(&i)))
    }

    async fn instances(&self, query: &InstanceQuery) -> Result<Page<Arc<Instance>>, StoreError> {
        let mirror = self.mirror();
        let Some(all) = mirror.instances.get(query.account.as_str()) else {
            return Ok(Page {
                total: 0,
                items: Vec::new(),
            });
        };
        // Listing by ids (the common polling case) looks them up directly;
        // any other listing is answered by the index.
        if let Some(ids) = query.ids() {
            return Ok(query.select(
                ids.iter()
                    .filter_map(|id| all.get(id.as_str()).map(|i| &i.0)),
            ));
        }
        Ok(match mirror.listing.answer(query) {
            Listing::Page { total, ids } => Page {
                total,
                items: ids
                    .iter()
                    .filter_map(|id| all.get(&**id).map(|i| Arc::clone(&i.0)))
                    .collect(),
            },
            Listing::Candidates(ids) => {
                query.select(ids.iter().filter_map(|id| all.get(&**id).map(|i| &i.0)))
            }
        })
    }

    async fn key_pairs(&self, account: &str, product: &str) -> Result<Vec<KeyPair>, StoreError> {
        let mut keys: Vec<KeyPair> = self
            .mirror()
            .key_pairs
            .get(account)
            .map(|m| {
                m.values()
                    .filter(|k| k.product == product)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        keys.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(keys)
    }

    async fn operation(&self, id: &str) -> Result<Option<Operation>, StoreError> {
        let shared = self.mirror().operations.get(id).map(Arc::clone);
        if let Some(op) = shared {
            return Ok(Some(Operation::clone(&op)));
        }
        self.read(|tx| Read::Operation(id.to_string(), tx)).await
    }

    async fn operations_in_flight(&self) -> Result<Vec<Operation>, StoreError> {
        let shared: Vec<Arc<Operation>> = self.mirror().operations.values().cloned().collect();
        Ok(shared.iter().map(|o| Operation::clone(o)).collect())
    }

    async fn operations(&self, account: &str) -> Result<Vec<Operation>, StoreError> {
        self.read(|tx| Read::Operations(account.to_string(), tx))
            .await
    }

    async fn messages(&self, account: &str) -> Result<Vec<Message>, StoreError> {
        self.read(|tx| Read::Messages(account.to_string(), tx))
            .await
    }

    async fn client_token(
        &self,
        account: &str,
        product: &str,
        token: &str,
    ) -> Result<Option<ClientToken>, StoreError> {
        Ok(self
            .mirror()
            .tokens
            .get(&(account.to_string(), product.to_string(), token.to_string()))
            .cloned())
    }

    async fn networks(&self, account: &str, product: &str) -> Result<Vec<Network>, StoreError> {
        let mut networks: Vec<Network> = self
            .mirror()
            .networks
            .get(account)
            .map(|m| {
                m.values()
                    .filter(|n| n.product == product)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        networks.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(networks)
    }

    async fn commit(&self, writes: WriteSet) -> Result<(), StoreError> {
        let events = {
            let changes: Vec<&Change> = writes.changes.iter().collect();
            Event::all_of(&changes, SystemClock.now())
        };
        let writes = crate::record::prepare(writes)?;
        let (reply, rx) = oneshot::channel();
        self.jobs
            .send(Job::Commit(writer::Commit {
                writes,
                events,
                reply,
            }))
            .map_err(unavailable)?;
        // What the writes displaced is freed here, off the writer thread.
        rx.await.map_err(unavailable)?.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use row::Row;
    use stratus_engine::lifecycle::LifecycleState;
    use stratus_engine::ports::Expect;

    fn temp_db() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("stratus-store-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("directory");
        dir.join("stratus.db")
    }

    fn instance_row(i: &Instance, expect: Expect) -> Row {
        let body = serde_json::to_string(i).expect("serialised");
        let change = Change::Instance {
            record: Box::new(i.clone()),
            expect,
        };
        Row::of(&change, body)
    }

    /// What a crash leaves behind: a frame synced to the journal (the write
    /// was answered) that SQLite never received.
    #[tokio::test]
    async fn frames_sqlite_never_received_are_replayed_once_on_open() {
        let db = temp_db();
        let running = Instance::example("i-1", "a", "p", "r");
        {
            let store = SqliteStore::open(Some(&db)).expect("store");
            let mut writes = WriteSet::new();
            writes.push(Change::Instance {
                record: Box::new(running.clone()),
                expect: Expect::Absent,
            });
            store.commit(writes).await.expect("committed");
        }
        let applied = applier::applied(&Connection::open(&db).expect("db")).expect("applied");
        assert!(applied > 0, "closing the store wrote its rows to SQLite");
        {
            let dir = journal::directory(&db);
            let _lock = journal::lock(&dir).expect("locked");
            let (mut journal, frames) = Journal::open(&dir, applied).expect("journal");
            assert!(frames.is_empty(), "nothing is left to replay after a close");
            let mut stopped = running.clone();
            stopped.state = LifecycleState::Stopped;
            stopped.version = 2;
            let mut payload = Vec::new();
            instance_row(&stopped, Expect::Version(1)).encode(&mut payload);
            instance_row(&Instance::example("i-2", "a", "p", "r"), Expect::Absent)
                .encode(&mut payload);
            assert_eq!(journal.append(&payload).expect("appended"), applied + 1);
        }
        let store = SqliteStore::open(Some(&db)).expect("reopened");
        let one = store
            .instance("a", "i-1")
            .await
            .expect("read")
            .expect("i-1");
        assert_eq!((one.state, one.version), (LifecycleState::Stopped, 2));
        assert!(store.instance("a", "i-2").await.expect("read").is_some());
        drop(store);
        let conn = Connection::open(&db).expect("db");
        assert_eq!(applier::applied(&conn).expect("applied"), applied + 1);
        let state: String = conn
            .query_row("SELECT state FROM instances WHERE id = 'i-1'", [], |r| {
                r.get(0)
            })
            .expect("row");
        assert_eq!(state, "Stopped");
    }

    /// A finished operation lives only in the database, and the applier may
    /// not have written it yet when it is asked for.
    #[tokio::test]
    async fn what_was_answered_is_read_back_before_the_applier_writes_it() {
        use stratus_engine::model::OperationState;
        let store = SqliteStore::open(Some(&temp_db())).expect("store");
        let ops = store.operations("a").await.expect("audit");
        assert!(ops.is_empty());
        let instance = Instance::example("i-1", "a", "p", "r");
        let mut writes = WriteSet::new();
        writes.push(Change::Instance {
            record: Box::new(instance.clone()),
            expect: Expect::Absent,
        });
        store.commit(writes).await.expect("committed");
        use stratus_engine::clock::Timestamp;
        use stratus_engine::lifecycle::OperationKind;
        use stratus_engine::model::OperationPlan;
        let op = Operation {
            id: "op-1".into(),
            account: "a".into(),
            instance_id: instance.id.clone(),
            kind: OperationKind::Reboot,
            action: "RebootInstances".into(),
            request_id: "r".into(),
            state: OperationState::Success,
            source_state: LifecycleState::Running,
            plan: OperationPlan::StateOnly,
            started_at: Timestamp(0),
            deadline: Timestamp(0),
            finished_at: Some(Timestamp(1)),
            error_message: None,
            injected_failure: None,
            hard: false,
            node: None,
            version: 1,
        };
        let mut writes = WriteSet::new();
        writes.push(Change::Operation {
            record: Box::new(op.clone()),
            expect: Expect::Absent,
        });
        store.commit(writes).await.expect("committed");
        let read = store.operation("op-1").await.expect("read").expect("found");
        assert_eq!(read.state, OperationState::Success);
        let audit = store.operations("a").await.expect("audit");
        assert_eq!(audit.len(), 1);
    }
}
