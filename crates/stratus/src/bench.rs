//! `stratus bench`: placeholder replaced below.
use clap::Args;

/// Flags of `stratus bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {}

/// Runs the benchmark.
pub async fn run(_args: BenchArgs) -> Result<(), String> {
    Err("the benchmark is not built yet".into())
}
