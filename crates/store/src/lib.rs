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
