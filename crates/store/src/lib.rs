//! # stratus-store
//!
//! Implementations of the engine's [`stratus_engine::ports::Store`] port.
//! `sqlite` is the embedded default for one node: one file under
//! `--data DIR` (WAL), or memory only with `--ephemeral`. `postgres` is
//! shared by several nodes (`--store postgres://…`): no node keeps a copy
//! of the records, and every precondition is a compare-and-swap in the
//! database. Schema changes for both are versioned migrations listed once
//! in [`migrations`].

pub mod migrations;
pub mod postgres;
mod record;
pub mod sqlite;

pub use postgres::{PostgresAdmission, PostgresStore};
pub use sqlite::SqliteStore;

/// A commit's duration and size, for metrics.
pub(crate) fn record_commit(took: std::time::Duration, writes: usize) {
    let metrics = stratus_engine::metrics::registry();
    metrics.observe(
        "stratus_store_commit_seconds",
        "How long the store took to commit a group of writes.",
        &[],
        took.as_secs_f64(),
    );
    metrics.observe_in(
        "stratus_store_commit_writes",
        "How many writes one commit carried.",
        &stratus_engine::metrics::COUNT_BUCKETS,
        &[],
        writes as f64,
    );
}
