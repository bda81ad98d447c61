//! Checkpoints off the write path. SQLite's own checkpoint runs inside the
//! commit that crosses its threshold, so the writer thread (and every write
//! waiting on it) stalls while a thousand pages are copied into the
//! database and synced. Here a thread of its own, on its own connection,
//! copies what the log holds, without waiting for or blocking the writer.
//!
//! The log can only start over once it is copied to its end when a write
//! transaction begins, which a thread racing a busy writer rarely sees. So
//! when the checkpointer has copied a long log, it asks the writer to copy
//! the tail itself (the frames of the last commit or two) between two
//! groups; the writer's next transaction then writes from the start of the
//! log again, and the log stays about as long as one round's writes.
//!
//! Durability does not depend on any of this: every commit has synced its
//! frames to the log before it is acknowledged.

use rusqlite::Connection;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;
use stratus_engine::ports::StoreError;

/// When checkpoints run.
#[derive(Debug, Clone, Copy)]
pub struct CheckpointPolicy {
    /// How often the checkpointer copies the log into the database.
    pub every: Duration,
    /// Frames a fully copied log must hold before the writer is asked to
    /// start it over.
    pub restart_at_frames: i64,
}

impl Default for CheckpointPolicy {
    /// About 25 ms of writes at full speed on a small machine, and a log
    /// bounded near 4 MB.
    fn default() -> Self {
        Self {
            every: Duration::from_millis(25),
            restart_at_frames: 1000,
        }
    }
}

/// What the writer and the checkpointer share.
#[derive(Debug, Default)]
pub(crate) struct LogState {
    /// The log is copied and long: the writer should copy the tail.
    restart_wanted: AtomicBool,
}

impl LogState {
    /// Whether the writer should finish the checkpoint now (and so let its
    /// next transaction start the log over); clears the request.
    pub fn take_restart(&self) -> bool {
        self.restart_wanted.swap(false, Ordering::AcqRel)
    }
}

/// Copies the frames the log holds into the database without waiting
/// for anyone: `(log frames, frames copied)`, or `None` if another
/// checkpoint was running or the database could not be read.
pub(crate) fn passive(conn: &Connection) -> Option<(i64, i64)> {
    let row = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    });
    match row {
        Ok((0, log, copied)) => Some((log, copied)),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "a checkpoint failed");
            None
        }
    }
}

/// Starts the checkpointer for the database at `path`. It runs until
/// `stop`'s sender is dropped (the writer thread ends).
pub(crate) fn spawn(
    path: &Path,
    policy: CheckpointPolicy,
    log: Arc<LogState>,
    stop: Receiver<()>,
) -> Result<(), StoreError> {
    let unavailable = |e: &dyn std::fmt::Display| StoreError::Unavailable(e.to_string());
    let conn = Connection::open(path).map_err(|e| unavailable(&e))?;
    // The checkpoint syncs the database file before the log may be reused.
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;")
        .map_err(|e| unavailable(&e))?;
    std::thread::Builder::new()
        .name("stratus-checkpoint".into())
        .spawn(move || loop {
            match stop.recv_timeout(policy.every) {
                Err(RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
            }
            if let Some((frames, copied)) = passive(&conn) {
                if frames >= policy.restart_at_frames && copied == frames {
                    log.restart_wanted.store(true, Ordering::Release);
                }
            }
        })
        .map(drop)
        .map_err(|e| unavailable(&e))
}
