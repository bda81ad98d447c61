//! The single writer thread: it checks every write's precondition, makes
//! the writes that queued meanwhile durable together (one journal frame,
//! one sync: group commit), shows them to readers, answers, and hands them
//! to the applier, which writes them to SQLite later.

use super::applier::{Progress, Work};
use super::journal::Journal;
use super::mirror::{Displaced, Mirror, Ready};
use super::row::Row;
use crate::record::{Prepared, RecordKey};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use stratus_engine::events::{Event, EventHub};
use stratus_engine::ports::{Change, Expect, StoreError};
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
    /// Deletes every record of an account (`None`: of every account).
    Reset(Option<String>, Reply),
    /// Saves a setting.
    SaveSetting(String, String, Reply),
    /// Ends the thread after the jobs before it.
    Stop,
}

/// Most jobs folded into one frame.
const MAX_GROUP: usize = 1024;

/// How long a group waits for a lagging applier before it fails: SQLite is
/// failing (a full disk), not just behind.
#[cfg(not(test))]
const MOST_WAIT: Duration = Duration::from_secs(5);
#[cfg(test)]
const MOST_WAIT: Duration = Duration::from_millis(200);

/// Rows handed to the applier and not yet in SQLite past which the writer
/// waits for it: some 40 MB of bodies, under half a second of the
/// heaviest stream of reboots measured.
const MOST_BACKLOG: usize = 32_768;

/// An accepted commit, its rows already taken for the journal.
struct Accepted {
    changes: Vec<Change>,
    events: Vec<Event>,
    reply: oneshot::Sender<Result<Displaced, StoreError>>,
}

pub(crate) struct Writer {
    mirror: Arc<RwLock<Mirror>>,
    events: Arc<EventHub>,
    /// None for an ephemeral store, whose writes need not survive it.
    journal: Option<Journal>,
    /// The next frame's number where there is no journal to count them.
    next_seq: u64,
    applier: Sender<Work>,
    progress: Progress,
    payload: Vec<u8>,
}

impl Writer {
    pub fn new(
        mirror: Arc<RwLock<Mirror>>,
        events: Arc<EventHub>,
        journal: Option<Journal>,
        applier: Sender<Work>,
        progress: Progress,
    ) -> Self {
        let next_seq = journal.as_ref().map_or(1, Journal::next_seq);
        Self {
            mirror,
            events,
            journal,
            next_seq,
            applier,
            progress,
            payload: Vec::new(),
        }
    }

    pub fn run(mut self, jobs: &Receiver<Job>) {
        while let Ok(first) = jobs.recv() {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match jobs.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            if !self.process(group) {
                return;
            }
        }
    }

    /// Handles a group in order; false once it held a stop.
    fn process(&mut self, group: Vec<Job>) -> bool {
        let mut commits = Vec::new();
        for job in group {
            match job {
                Job::Commit(commit) => commits.push(commit),
                Job::Reset(account, reply) => {
                    self.commit(std::mem::take(&mut commits));
                    let reset = self.write_alone(Row::Reset {
                        account: account.clone(),
                    });
                    if reset.is_ok() {
                        let mut view = write_lock(&self.mirror);
                        match &account {
                            Some(a) => view.forget(a),
                            None => *view = Mirror::default(),
                        }
                    }
                    let _ = reply.send(reset);
                }
                Job::SaveSetting(key, body, reply) => {
                    self.commit(std::mem::take(&mut commits));
                    let _ = reply.send(self.write_alone(Row::Setting { key, body }));
                }
                Job::Stop => {
                    self.commit(commits);
                    return false;
                }
            }
        }
        self.commit(commits);
        true
    }

    /// Makes one row durable and hands it over.
    fn write_alone(&mut self, row: Row) -> Result<(), StoreError> {
        let rows = vec![row];
        let seq = self.durable(&rows)?;
        self.progress.hand_over(&self.applier, seq, rows);
        Ok(())
    }

    fn commit(&mut self, commits: Vec<Commit>) {
        if commits.is_empty() {
            return;
        }
        if let Err(e) = self.wait_for_applier() {
            for commit in commits {
                let _ = commit.reply.send(Err(e.clone()));
            }
            return;
        }
        // Versions staged by earlier writes of this group, seen by later ones.
        let mut staged: foldhash::HashMap<RecordKey, Option<u64>> = Default::default();
        let mut accepted = Vec::with_capacity(commits.len());
        let mut rows = Vec::new();
        {
            let view = read_lock(&self.mirror);
            for commit in commits {
                if let Err(e) = check(&view, &staged, &commit.writes) {
                    let _ = commit.reply.send(Err(e));
                    continue;
                }
                let mut changes = Vec::with_capacity(commit.writes.len());
                for p in commit.writes {
                    if let Some(key) = p.key {
                        staged.insert(key, staged_version(&p.change));
                    }
                    rows.push(Row::of(&p.change, p.body));
                    changes.push(p.change);
                }
                accepted.push(Accepted {
                    changes,
                    events: commit.events,
                    reply: commit.reply,
                });
            }
        }
        if accepted.is_empty() {
            return;
        }
        // A group of empty write sets writes nothing: an empty frame would
        // read as the end of its segment.
        if !rows.is_empty() {
            let committing = Instant::now();
            let seq = match self.durable(&rows) {
                Ok(seq) => seq,
                Err(e) => {
                    for a in accepted {
                        let _ = a.reply.send(Err(e.clone()));
                    }
                    return;
                }
            };
            crate::record_commit(committing.elapsed(), rows.len());
            // Handed over before anyone is answered: a read sent after an
            // answer queues behind these rows.
            self.progress.hand_over(&self.applier, seq, rows);
        }
        // Only the mirror's own bookkeeping is done under its lock, which
        // every read waits behind: the records are put in the form the
        // mirror keeps before it, and the events published after it.
        let ready: Vec<Vec<Ready>> = accepted
            .iter_mut()
            .map(|a| {
                std::mem::take(&mut a.changes)
                    .into_iter()
                    .map(Ready::from)
                    .collect()
            })
            .collect();
        let mut outcomes = Vec::with_capacity(accepted.len());
        {
            let mut view = write_lock(&self.mirror);
            for changes in ready {
                let mut displaced = Displaced::default();
                for change in changes {
                    view.apply(change, &mut displaced);
                }
                outcomes.push(displaced);
            }
        }
        for (a, displaced) in accepted.into_iter().zip(outcomes) {
            // Published in commit order: this thread is the only committer. A
            // watcher that reads on an event finds the mirror already changed.
            self.events.publish(a.events);
            let _ = a.reply.send(Ok(displaced));
        }
    }

    /// Appends the rows to the journal as one frame and syncs it; answers
    /// the frame's number.
    fn durable(&mut self, rows: &[Row]) -> Result<u64, StoreError> {
        let Some(journal) = &mut self.journal else {
            self.next_seq += 1;
            return Ok(self.next_seq - 1);
        };
        self.payload.clear();
        for row in rows {
            row.encode(&mut self.payload);
        }
        journal.append(&self.payload).map_err(|e| {
            tracing::error!(error = %e, "appending to the journal failed");
            StoreError::Unavailable(format!("the journal could not be written: {e}"))
        })
    }

    /// Waits while the applier is far behind; fails if it is gone, or
    /// does not catch up in [`MOST_WAIT`] (SQLite is failing).
    fn wait_for_applier(&self) -> Result<(), StoreError> {
        let started = Instant::now();
        loop {
            if self.progress.gone.load(Ordering::Acquire) {
                tracing::error!("the SQLite applier is gone; writes are refused");
                return Err(StoreError::Unavailable(
                    "the store's SQLite applier has stopped".into(),
                ));
            }
            if self.progress.backlog.load(Ordering::Acquire) <= MOST_BACKLOG {
                return Ok(());
            }
            if started.elapsed() > MOST_WAIT {
                return Err(StoreError::Unavailable(
                    "SQLite is not keeping up with the journal (see the log)".into(),
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

pub(crate) fn read_lock(mirror: &RwLock<Mirror>) -> std::sync::RwLockReadGuard<'_, Mirror> {
    match mirror.read() {
        Ok(v) => v,
        Err(p) => p.into_inner(),
    }
}

fn write_lock(mirror: &RwLock<Mirror>) -> std::sync::RwLockWriteGuard<'_, Mirror> {
    match mirror.write() {
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
    staged: &foldhash::HashMap<RecordKey, Option<u64>>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use stratus_engine::model::Instance;
    use stratus_engine::ports::WriteSet;

    /// A commit with one new instance, and where its answer goes.
    fn commit() -> (Commit, oneshot::Receiver<Result<Displaced, StoreError>>) {
        let mut writes = WriteSet::new();
        writes.push(Change::Instance {
            record: Box::new(Instance::example("i-1", "a", "p", "r")),
            expect: Expect::Absent,
        });
        let (reply, answer) = oneshot::channel();
        let commit = Commit {
            writes: crate::record::prepare(writes).expect("prepared"),
            events: Vec::new(),
            reply,
        };
        (commit, answer)
    }

    /// A writer over an empty mirror, no journal and an applier in the
    /// state `progress` says.
    fn writer(progress: Progress) -> (Writer, Arc<RwLock<Mirror>>) {
        let (applier, _work) = std::sync::mpsc::channel();
        let mirror = Arc::new(RwLock::new(Mirror::default()));
        let writer = Writer::new(
            Arc::clone(&mirror),
            Arc::new(EventHub::numbered_from_now()),
            None,
            applier,
            progress,
        );
        (writer, mirror)
    }

    #[test]
    fn writes_are_refused_when_sqlite_does_not_catch_up() {
        let progress = Progress::default();
        progress.backlog.store(MOST_BACKLOG + 1, Ordering::Release);
        let (mut writer, mirror) = writer(progress);
        let (job, answer) = commit();
        assert!(writer.process(vec![Job::Commit(job)]));
        match answer.blocking_recv().expect("answered") {
            Err(StoreError::Unavailable(why)) => assert!(why.contains("keeping up"), "{why}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(read_lock(&mirror).instances.is_empty(), "nothing was shown");
    }

    #[test]
    fn writes_are_refused_not_held_once_the_applier_is_gone() {
        let progress = Progress::default();
        progress.gone.store(true, Ordering::Release);
        let (mut writer, mirror) = writer(progress);
        let (job, answer) = commit();
        assert!(writer.process(vec![Job::Commit(job)]));
        match answer.blocking_recv().expect("answered") {
            Err(StoreError::Unavailable(why)) => assert!(why.contains("applier"), "{why}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(read_lock(&mirror).instances.is_empty(), "nothing was shown");
    }
}
