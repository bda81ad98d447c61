//! # stratus-store
//!
//! Implementations of the engine's [`stratus_engine::ports::Store`] port.
//! `sqlite` is the embedded default: one file under `--data DIR` (WAL), or
//! memory only with `--ephemeral`. Schema changes are versioned migrations
//! in `migrations/`, applied in order at open.

pub mod migrations;
pub mod sqlite;

pub use sqlite::SqliteStore;
