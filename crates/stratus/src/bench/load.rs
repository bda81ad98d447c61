//! The load phases: workers, each on its own connection, send one action
//! back to back until the phase's time is up.

use super::client::{Conn, Outcome, Target};
use super::stats::Tally;
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Pause before reconnecting after a transport failure.
const RECONNECT_PAUSE: Duration = Duration::from_millis(20);

/// What a phase measured.
#[derive(Debug)]
pub struct PhaseResult {
    pub tally: Tally,
    /// Workers (connections) that ran.
    pub connections: usize,
    pub elapsed: Duration,
}

/// `connections` workers sending `DescribeInstances`: with `ids`, each
/// worker polls its share of them one at a time (as an SDK waiter does);
/// without, pages of 20.
pub async fn describe(
    target: &Arc<Target>,
    connections: usize,
    duration: Duration,
    ids: &[String],
) -> Result<PhaseResult, String> {
    let workers = connections.max(1);
    let product = target.product;
    let bodies = if ids.is_empty() {
        vec![vec![product.encode(&product.twenty())]; workers]
    } else {
        share(ids, workers, |id| product.encode(&product.one_instance(id)))
    };
    run(target, "DescribeInstances", bodies, duration).await
}

/// Deals one body per id out to `workers` workers, round robin.
fn share(ids: &[String], workers: usize, body: impl Fn(&str) -> Bytes) -> Vec<Vec<Bytes>> {
    let workers = workers.clamp(1, ids.len().max(1));
    let mut bodies: Vec<Vec<Bytes>> = vec![Vec::new(); workers];
    for (i, id) in ids.iter().enumerate() {
        bodies[i % workers].push(body(id));
    }
    bodies
}

/// Workers each owning a disjoint share of `ids`, rebooting them in turn;
/// a busy instance counts as refused and the worker moves on.
pub async fn reboot(
    target: &Arc<Target>,
    connections: usize,
    duration: Duration,
    ids: &[String],
) -> Result<PhaseResult, String> {
    if ids.is_empty() {
        return Err("the reboot phase needs instances".into());
    }
    let product = target.product;
    let bodies = share(ids, connections, |id| {
        product.encode(&product.one_instance(id))
    });
    run(target, "RebootInstances", bodies, duration).await
}

/// Opens one connection per body set, then lets every worker cycle through
/// its bodies until `duration` has passed.
async fn run(
    target: &Arc<Target>,
    action: &'static str,
    bodies: Vec<Vec<Bytes>>,
    duration: Duration,
) -> Result<PhaseResult, String> {
    let mut conns = Vec::with_capacity(bodies.len());
    for _ in 0..bodies.len() {
        conns.push(Conn::open(Arc::clone(target)).await?);
    }
    let connections = conns.len();
    let start = Instant::now();
    let deadline = start + duration;
    let mut set = JoinSet::new();
    for (conn, bodies) in conns.into_iter().zip(bodies) {
        set.spawn(worker(conn, action, bodies, deadline));
    }
    let mut tally = Tally::default();
    while let Some(joined) = set.join_next().await {
        tally.merge(joined.map_err(|e| format!("a worker failed: {e}"))?);
    }
    Ok(PhaseResult {
        tally,
        connections,
        elapsed: start.elapsed(),
    })
}

/// Sends `action` with each body in turn, back to back, until `deadline`.
async fn worker(mut conn: Conn, action: &str, bodies: Vec<Bytes>, deadline: Instant) -> Tally {
    let mut tally = Tally::default();
    if bodies.is_empty() {
        return tally;
    }
    let mut i = 0;
    while Instant::now() < deadline {
        let body = bodies[i % bodies.len()].clone();
        i += 1;
        let sent = Instant::now();
        match conn.call(action, body).await {
            Ok(reply) => {
                tally.latency(sent.elapsed());
                match reply.outcome() {
                    Outcome::Ok => tally.ok += 1,
                    Outcome::Busy => tally.refused += 1,
                    Outcome::Failed => tally.error(|| {
                        reply.error_code().unwrap_or_else(|| {
                            format!(
                                "HTTP {}: {}",
                                reply.status,
                                String::from_utf8_lossy(&reply.body)
                            )
                        })
                    }),
                }
            }
            Err(e) => {
                tally.error(|| e);
                tokio::time::sleep(RECONNECT_PAUSE).await;
                if let Err(e) = conn.reopen().await {
                    tally.error(|| e);
                }
            }
        }
    }
    tally
}
