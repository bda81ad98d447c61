//! `stratus state export FILE` and `stratus state import FILE`: every record
//! of a store as one versioned JSON document (docs/STATE.md), with the same
//! `--data`/`--store` as `serve`; `serve --state FILE` starts from one.

use crate::serve::OpenStore;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use stratus_engine::clock::{Clock, SystemClock};
use stratus_engine::ports::Store;
use stratus_engine::state::Snapshot;

/// Flags of `stratus state`.
#[derive(Debug, Args)]
pub struct StateArgs {
    #[command(subcommand)]
    pub command: StateCommand,
    /// Directory of the SQLite database (as `serve --data`).
    #[arg(long, default_value = "./.stratus", global = true)]
    pub data: PathBuf,
    /// A PostgreSQL database instead (as `serve --store`).
    #[arg(long, value_name = "URL", global = true)]
    pub store: Option<String>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Write every record to FILE.
    Export { file: PathBuf },
    /// Replace every record with FILE's.
    Import { file: PathBuf },
}

/// Runs `stratus state …` (with no server running on the same SQLite
/// data: the writer of its database is the server's).
pub async fn run(args: StateArgs) -> Result<(), String> {
    let opened = OpenStore::open(args.store.as_deref(), &args.data, false).await?;
    match args.command {
        StateCommand::Export { file } => {
            let snapshot = Snapshot::export(opened.store.as_ref(), SystemClock.now())
                .await
                .map_err(|e| e.to_string())?;
            let text = serde_json::to_vec_pretty(&snapshot).map_err(|e| e.to_string())?;
            std::fs::write(&file, text)
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            let r = &snapshot.records;
            println!(
                "exported {} instances, {} operations, {} key pairs, {} networks, {} messages to {}",
                r.instances.len(),
                r.operations.len(),
                r.key_pairs.len(),
                r.networks.len(),
                r.messages.len(),
                file.display()
            );
        }
        StateCommand::Import { file } => {
            let n = import(opened.store.as_ref(), &file).await?;
            println!("imported {n} records from {}", file.display());
        }
    }
    Ok(())
}

/// Replaces everything in `store` with the snapshot in `path`.
pub async fn import(store: &dyn Store, path: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let snapshot = Snapshot::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    snapshot.import(store).await.map_err(|e| e.to_string())
}
