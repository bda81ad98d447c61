//! # stratus
//!
//! The binary: command line, configuration, and the wiring of engine, store,
//! driver and edge. `stratus serve` runs the server; `stratus bench` loads a
//! running one and prints figures.

mod bench;
mod config;
mod env;
mod serve;
mod state;
mod tls;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: a request allocates and frees many
/// small strings across threads, where glibc's arenas cost about a fifth
/// of the CPU time and fragment (docs/PERFORMANCE.md). Built without
/// transparent huge pages (`no_thp`): with them every 2 MiB region the
/// allocator touches stays resident whole, which doubled the resident
/// memory (6 MiB for 0.2 MiB of heap at start) and bought no throughput.
/// The v2 line purges freed pages after 10 ms instead of v3's second.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "stratus",
    version,
    about = "A self-hosted compute control plane speaking the Tencent Cloud, Zenlayer and Kingsoft instance APIs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(Box<serve::ServeArgs>),
    /// Load a running server with signed requests and print throughput and latency.
    Bench(bench::BenchArgs),
    /// Export or import every record as one versioned JSON document.
    State(state::StateArgs),
    /// Print how to point a vendor's official clients at this server.
    Env(env::EnvArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if matches!(cli.command, Command::Bench(_)) {
        // The load generator shares the machine with the server it
        // measures: one thread drives its connections with fewer switches
        // between threads than two (3% more accepted reboots measured, the
        // server's own cost per request unchanged).
        builder.worker_threads(1);
    }
    let runtime = match builder.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("stratus: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve(args) => runtime.block_on(serve::run(*args)),
        Command::Bench(args) => runtime.block_on(bench::run(args)),
        Command::State(args) => runtime.block_on(state::run(args)),
        Command::Env(args) => env::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stratus: {e}");
            ExitCode::FAILURE
        }
    }
}
