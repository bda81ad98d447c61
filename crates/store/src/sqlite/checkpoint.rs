//! Checkpoints of the on-disk store's write-ahead log, on a thread and
//! connection of their own. Left to the writer (SQLite's automatic
//! checkpoint, every thousand pages), a checkpoint copies pages into the
//! database and syncs it inside some unlucky commit, and every write queued
//! behind that commit waits. Under a stream of reboots that cost about a
//! tenth of their throughput and made the slowest tenth of the answers a
//! third slower. Here it runs beside the writer, which only appends to the
//! log.

use super::unavailable;
use rusqlite::Connection;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::time::Duration;
use stratus_engine::ports::StoreError;

/// How long commits gather before a checkpoint: a page rewritten several
/// times meanwhile is copied once, and the database is synced once.
const GATHER: Duration = Duration::from_millis(200);

/// Pages left to copy at which a catching-up checkpoint stops.
const CATCH_UP_PAGES: i64 = 256;

/// Most back-to-back checkpoints before the one that waits for the writer.
const CATCH_UP_ROUNDS: usize = 8;

/// Log pages (of 4 KiB) past which the log is started over (see
/// [`checkpoint_and_bound`]): at most 128 MiB of log under a steady stream
/// of writes; a lighter load lets SQLite start it over by itself.
pub(crate) const LOG_LIMIT_PAGES: i64 = 32_768;

/// How long a connection that finds the database locked waits before it
/// tries again, and how many times it tries (about five seconds in all).
const BUSY_PAUSE: Duration = Duration::from_micros(200);
const BUSY_TRIES: i32 = 25_000;

/// The busy handler of both connections: SQLite's own waits 1, 2, 5, 10 ms
/// and more between tries, so a writer held a millisecond by the
/// checkpoint that starts the log over would answer tens of milliseconds
/// late.
pub(crate) fn retry_soon(tries: i32) -> bool {
    std::thread::sleep(BUSY_PAUSE);
    tries < BUSY_TRIES
}

/// Wakes the checkpoint thread; dropping it (with the writer) ends that
/// thread.
#[derive(Debug)]
pub(crate) struct Checkpoints {
    wake: SyncSender<()>,
}

impl Checkpoints {
    /// Opens a second connection to the database at `path` and starts the
    /// thread that checkpoints through it.
    pub fn start(path: &Path, log_limit_pages: i64) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(unavailable)?;
        conn.execute_batch("PRAGMA synchronous = FULL;")
            .map_err(unavailable)?;
        conn.busy_handler(Some(retry_soon)).map_err(unavailable)?;
        // One pending wake is enough: it stands for every commit since.
        let (wake, woken) = sync_channel(1);
        std::thread::Builder::new()
            .name("stratus-checkpoint".into())
            .spawn(move || run(&conn, &woken, log_limit_pages))
            .map_err(unavailable)?;
        Ok(Self { wake })
    }

    /// Says that a commit added to the log. Never waits: a wake already
    /// pending covers this commit, and a thread that has stopped (it only
    /// stops with its writer) has nothing left to do.
    pub fn committed(&self) {
        let _ = self.wake.try_send(());
    }
}

fn run(conn: &Connection, woken: &Receiver<()>, log_limit_pages: i64) {
    while woken.recv().is_ok() {
        std::thread::sleep(GATHER);
        while woken.try_recv().is_ok() {}
        if let Err(e) = checkpoint_and_bound(conn, log_limit_pages) {
            tracing::warn!(error = %e, "checkpointing the write-ahead log failed");
        }
    }
}

/// Passive checkpoints never wait for the writer, so under a steady stream
/// of commits they trail it and the log never starts over. Past the limit,
/// they are run back to back until little is left to copy; then one
/// checkpoint waits for the writer's transaction, copies the rest and
/// starts the log over, holding the writer only that long.
fn checkpoint_and_bound(conn: &Connection, log_limit_pages: i64) -> rusqlite::Result<()> {
    let (mut pages, mut copied) = checkpoint(conn, "PASSIVE")?;
    if pages < log_limit_pages {
        return Ok(());
    }
    for _ in 0..CATCH_UP_ROUNDS {
        if pages - copied <= CATCH_UP_PAGES {
            break;
        }
        (pages, copied) = checkpoint(conn, "PASSIVE")?;
    }
    checkpoint(conn, "RESTART").map(drop)
}

/// Runs a checkpoint in `mode`; answers how many pages the log holds and
/// how many of them are now in the database.
fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
        Ok((r.get(1)?, r.get(2)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A database in a fresh directory, and a connection to it that writes
    /// as the store's writer does: into the log, never checkpointing.
    fn writer() -> (PathBuf, Connection) {
        let dir = std::env::temp_dir().join(format!(
            "stratus-checkpoint-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7()
        ));
        std::fs::create_dir_all(&dir).expect("directory");
        let writer = Connection::open(dir.join("stratus.db")).expect("database");
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t (x BLOB NOT NULL);",
            )
            .expect("schema");
        (dir, writer)
    }

    /// Writes 200 rows of about a page each, one transaction each.
    fn write_rows(writer: &Connection) {
        for _ in 0..200 {
            writer
                .execute("INSERT INTO t VALUES (zeroblob(4000))", [])
                .expect("inserted");
        }
    }

    fn len(dir: &Path, name: &str) -> u64 {
        std::fs::metadata(dir.join(name)).map_or(0, |m| m.len())
    }

    #[test]
    fn commits_reach_the_database_file_beside_the_writer() {
        let (dir, writer) = writer();
        let checkpoints =
            Checkpoints::start(&dir.join("stratus.db"), LOG_LIMIT_PAGES).expect("started");
        // Not woken yet, the thread copies nothing, and neither does the
        // writer: the rows are in the log alone.
        write_rows(&writer);
        assert!(
            len(&dir, "stratus.db") < 200 * 4000,
            "the writer checkpointed"
        );
        checkpoints.committed();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while len(&dir, "stratus.db") < 200 * 4000 {
            assert!(
                std::time::Instant::now() < deadline,
                "nothing was checkpointed"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        drop((checkpoints, writer));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_log_past_its_limit_is_started_over_while_commits_keep_coming() {
        let (dir, writer) = writer();
        let checkpoints = Checkpoints::start(&dir.join("stratus.db"), 64).expect("started");
        // A steady stream, so a passive checkpoint never finds the writer
        // idle with the whole log copied (when SQLite would start the log
        // over by itself); long enough that a thread starved for a while
        // by a busy machine still has its turns.
        let (mut written, mut longest) = (0u64, 0u64);
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while written < 8 << 20 && std::time::Instant::now() < deadline {
            writer
                .execute("INSERT INTO t VALUES (zeroblob(4000))", [])
                .expect("inserted");
            checkpoints.committed();
            written += 4096;
            longest = longest.max(len(&dir, "stratus.db-wal"));
            // Room between commits, as the store's applier leaves.
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(
            longest < written / 2,
            "the log reached {longest} bytes of the {written} written"
        );
        drop((checkpoints, writer));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
