//! `stratus bench`: loads a running server with signed requests of one
//! product (`--product lighthouse|cvm|zec|kec`, each signed the vendor's way:
//! TC3, ZC2, SigV4) over keep-alive HTTP/1.1 connections (one per worker)
//! and prints throughput and latency per phase. `--target` may name several
//! nodes of one cluster: connections are spread over them in turn.
//!
//! Phases:
//! - `setup`: create instances (30 per create call) until `--instances`
//!   exist, then wait until all are running. Instances already there count,
//!   so `--phase setup --instances N` also tops a server up to N.
//! - `describe`: `DescribeInstances` back to back: pages of 20 (alone),
//!   and, after setup, one instance by id at a time (the request an SDK
//!   waiter polls with).
//! - `reboot` (runs setup first): each worker reboots its own share of the
//!   instances in turn; an instance still rebooting is refused with the
//!   product's "busy" code and the worker moves to the next. Accepted
//!   reboots per second are bounded by instances / reboot duration
//!   (20–40 ms at `serve --speed 1000`, so about 6,000–10,000/s for 200
//!   instances): more instances or a higher speed raise that ceiling.
//! - `all`: setup, describe, reboot.
//! - `scale` (runs setup first): the no-op (`GET /_stratus/health`), a page
//!   of 20, a filtered page (state and tag; Lighthouse and CVM), one id at
//!   a time and accepted reboots, each also as a fraction of the no-op
//!   measured in the same run (`scripts/bench-scale.sh` runs it for fleets
//!   of growing size); and one paginator walking the filtered listing in
//!   pages of 100 for as long as a figure lasts, its pages' median time at
//!   the start of the walk beside the one at its deepest.
//! - `soak` (runs setup first): every worker cycles through its instances
//!   with a mix of writes and reads (per instance: a reboot, five polls of
//!   it by id, a page of 20) for `--duration`; `scripts/soak.sh` runs it
//!   for minutes and samples the server's memory meanwhile.

mod client;
mod load;
mod setup;
mod stats;
mod vendor;

use clap::{Args, ValueEnum};
use client::Target;
use std::sync::Arc;
use std::time::Duration;

/// The page a paginator asks for (Lighthouse's and CVM's largest).
const PAGINATOR_LIMIT: usize = 100;

/// Connections the setup phase uses at most.
const SETUP_CONNECTIONS: usize = 16;

/// Which phases to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Phase {
    /// Only create instances up to `--instances` and wait until all run.
    Setup,
    /// Only DescribeInstances.
    Describe,
    /// Setup, then RebootInstances.
    Reboot,
    /// Setup, DescribeInstances, then RebootInstances.
    All,
    /// Setup, then a mix of RebootInstances and DescribeInstances.
    Soak,
    /// Setup, then each figure of the scale series against the server's
    /// own no-op (`GET /_stratus/health`) measured in the same run: a page
    /// of 20, a filtered page (state and tag), one instance by id,
    /// accepted reboots; and a paginator's walk through the filtered
    /// listing.
    Scale,
}

/// Flags of `stratus bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The product to drive.
    #[arg(long, value_enum, default_value_t = vendor::Product::Lighthouse)]
    pub product: vendor::Product,
    /// Base URL of the server under test (plain HTTP); several,
    /// comma-separated (nodes of one cluster), share the connections in turn.
    #[arg(long, default_value = "http://127.0.0.1:4590")]
    pub target: String,
    /// Concurrent connections (one worker each).
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Seconds each load phase lasts.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Instances to have (created if missing) before the reboot phase.
    #[arg(long, default_value_t = 200)]
    pub instances: usize,
    /// Key id to sign with (SecretId, AccessKeyId, AccessKey); the
    /// vendor's development credentials when omitted.
    #[arg(long, requires = "secret_key")]
    pub secret_id: Option<String>,
    /// Secret to sign with.
    #[arg(long, requires = "secret_id")]
    pub secret_key: Option<String>,
    /// Phases to run.
    #[arg(long, value_enum, default_value_t = Phase::All)]
    pub phase: Phase,
    /// The server's process id, when it runs on this machine: each figure
    /// of the scale series then also gives the server's CPU time per
    /// request, which moves less than throughput on a shared machine.
    #[arg(long)]
    pub server_pid: Option<u32>,
}

/// Runs the phases asked for and prints their figures.
pub async fn run(args: BenchArgs) -> Result<(), String> {
    if args.connections == 0 {
        return Err("--connections must be at least 1".into());
    }
    let duration = Duration::try_from_secs_f64(args.duration)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or("--duration must be a positive number of seconds")?;
    let (default_id, default_secret) = args.product.development_credentials();
    let target = Arc::new(Target::new(
        args.product,
        &args.target,
        args.secret_id.as_deref().unwrap_or(default_id),
        args.secret_key.as_deref().unwrap_or(default_secret),
    )?);
    println!(
        "stratus bench: {:?} at {} ({}), {} connections, {:.1} s per phase",
        args.product,
        args.target,
        target.authorities.join(", "),
        args.connections,
        duration.as_secs_f64()
    );
    let ids = match args.phase {
        Phase::Describe => Vec::new(),
        _ => {
            setup::ensure(
                &target,
                args.instances,
                SETUP_CONNECTIONS.min(args.connections),
            )
            .await?
        }
    };
    if matches!(args.phase, Phase::Describe | Phase::All) {
        let r = load::describe(&target, args.connections, duration, &[]).await?;
        stats::print(
            "describe (Limit 20)",
            "ok",
            r.connections,
            r.elapsed,
            r.tally,
        );
    }
    if matches!(args.phase, Phase::All) {
        let r = load::describe(&target, args.connections, duration, &ids).await?;
        stats::print("describe (one id)", "ok", r.connections, r.elapsed, r.tally);
    }
    if matches!(args.phase, Phase::Reboot | Phase::All) {
        let r = load::reboot(&target, args.connections, duration, &ids).await?;
        println!("reboot: cycling through {} instances", ids.len());
        stats::print("reboot", "accepted", r.connections, r.elapsed, r.tally);
    }
    if args.phase == Phase::Scale {
        let server = args.server_pid.map(ServerCpu);
        scale(&target, args.connections, duration, &ids, server).await?;
    }
    if args.phase == Phase::Soak {
        let r = load::soak(&target, args.connections, duration, &ids).await?;
        println!("soak: reboots and polls over {} instances", ids.len());
        stats::print("soak", "ok", r.connections, r.elapsed, r.tally);
    }
    Ok(())
}

/// A server process on this machine, whose CPU time a phase can be
/// charged with.
#[derive(Debug, Clone, Copy)]
struct ServerCpu(u32);

impl ServerCpu {
    /// The process's user and system time so far (every thread), from
    /// `/proc/<pid>/stat`, counted in the kernel's fixed 100 ticks a second.
    fn spent(self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.0)).ok()?;
        // The command name may hold spaces and parentheses: the fields
        // that follow start after its last `)`, with the state (field 3).
        let (_, fields) = stat.rsplit_once(')')?;
        let mut fields = fields.split_whitespace().skip(11);
        let user: u64 = fields.next()?.parse().ok()?;
        let system: u64 = fields.next()?.parse().ok()?;
        Some(Duration::from_millis((user + system) * 10))
    }
}

/// Runs a phase, measuring the server CPU it took when the server is known.
async fn charged<T, F>(server: Option<ServerCpu>, phase: F) -> Result<(T, Option<Duration>), String>
where
    F: std::future::Future<Output = Result<T, String>>,
{
    let before = server.and_then(ServerCpu::spent);
    let result = phase.await?;
    let after = server.and_then(ServerCpu::spent);
    Ok((result, before.zip(after).map(|(b, a)| a.saturating_sub(b))))
}

/// Requests per second that succeeded in a phase.
fn rate(r: &load::PhaseResult) -> f64 {
    r.tally.ok as f64 / r.elapsed.as_secs_f64().max(f64::EPSILON)
}

/// `; server CPU … per request`, when the phase's CPU is known.
fn cpu_per_request(r: &load::PhaseResult, cpu: Option<Duration>) -> String {
    match cpu {
        Some(cpu) if r.tally.ok > 0 => {
            let us = cpu.as_secs_f64() * 1e6 / r.tally.ok as f64;
            format!("; server CPU {us:.1} µs per request")
        }
        _ => String::new(),
    }
}

/// The scale series' figures for one fleet, each beside its fraction of
/// the no-op measured first (and, given the server's process id, the
/// server's CPU per request).
async fn scale(
    target: &Arc<Target>,
    connections: usize,
    duration: Duration,
    ids: &[String],
    server: Option<ServerCpu>,
) -> Result<(), String> {
    let (noop, cpu) = charged(server, load::health(target, connections, duration)).await?;
    let reference = rate(&noop);
    println!("  no-op: {reference:.0}/s{}", cpu_per_request(&noop, cpu));
    stats::print(
        "no-op (health)",
        "ok",
        noop.connections,
        noop.elapsed,
        noop.tally,
    );
    let report = |name: &str, title: &str, done: &str, r: load::PhaseResult, cpu| {
        println!(
            "  {name}: {:.0}/s = {:.2} of the no-op ({reference:.0}/s){}",
            rate(&r),
            rate(&r) / reference.max(f64::EPSILON),
            cpu_per_request(&r, cpu)
        );
        stats::print(title, done, r.connections, r.elapsed, r.tally);
    };
    let (page, cpu) = charged(server, load::describe(target, connections, duration, &[])).await?;
    report("page of 20", "describe (Limit 20)", "ok", page, cpu);
    let (filtered, cpu) = charged(server, load::filtered(target, connections, duration)).await?;
    if let Some(filtered) = filtered {
        let title = "describe (state and tag, Limit 20)";
        report("filtered page", title, "ok", filtered, cpu);
    }
    if let Some(walk) = load::paginate(target, PAGINATOR_LIMIT, duration).await? {
        println!(
            "  paginator (filtered, pages of {PAGINATOR_LIMIT}, one connection): {} pages to offset {} of {} in {:.1} s; a page {:.2} ms (median) in its first tenth, {:.2} ms in its last",
            walk.pages,
            walk.depth,
            walk.total.map_or("?".into(), |t| t.to_string()),
            walk.elapsed.as_secs_f64(),
            walk.first.as_secs_f64() * 1e3,
            walk.last.as_secs_f64() * 1e3,
        );
    }
    let (one, cpu) = charged(server, load::describe(target, connections, duration, ids)).await?;
    report("one id", "describe (one id)", "ok", one, cpu);
    let (reboots, cpu) = charged(server, load::reboot(target, connections, duration, ids)).await?;
    report("accepted reboots", "reboot", "accepted", reboots, cpu);
    Ok(())
}
