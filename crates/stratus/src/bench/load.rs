//! The load phases: workers, each on its own connection, send one action
//! back to back until the phase's time is up.

use super::client::{Conn, Outcome, Target, HEALTH};
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
    let requests = if ids.is_empty() {
        vec![vec![("DescribeInstances", product.encode(&product.twenty()))]; workers]
    } else {
        share(ids, workers, |id| {
            vec![(
                "DescribeInstances",
                product.encode(&product.one_instance(id)),
            )]
        })
    };
    run(target, requests, duration).await
}

/// The server's health check back to back: what this machine allows a
/// request that does nothing, the reference for every other figure.
pub async fn health(
    target: &Arc<Target>,
    connections: usize,
    duration: Duration,
) -> Result<PhaseResult, String> {
    let requests = vec![vec![(HEALTH, Bytes::new())]; connections.max(1)];
    run(target, requests, duration).await
}

/// A filtered page of 20 (running instances with the bench's tag) back to
/// back, where the product has such filters.
pub async fn filtered(
    target: &Arc<Target>,
    connections: usize,
    duration: Duration,
) -> Result<Option<PhaseResult>, String> {
    let product = target.product;
    let Some(params) = product.filtered(0, 20) else {
        return Ok(None);
    };
    let requests = vec![vec![("DescribeInstances", product.encode(&params))]; connections.max(1)];
    run(target, requests, duration).await.map(Some)
}

/// What a paginator measured walking a listing page after page.
#[derive(Debug)]
pub struct PaginatorWalk {
    /// Pages read, and the offset the walk reached.
    pub pages: usize,
    pub depth: usize,
    /// The listing's total, as its first page gave it.
    pub total: Option<usize>,
    pub elapsed: Duration,
    /// The median page time in the walk's first tenth, and in its last.
    pub first: Duration,
    pub last: Duration,
}

/// One paginator (one connection, each page after the last answered)
/// walking the filtered listing in pages of `limit` until it reaches the
/// end or `duration` has passed: whether a deep page costs what a shallow
/// one does. `None` where the product has no such filter.
pub async fn paginate(
    target: &Arc<Target>,
    limit: usize,
    duration: Duration,
) -> Result<Option<PaginatorWalk>, String> {
    let product = target.product;
    if product.filtered(0, limit).is_none() {
        return Ok(None);
    }
    let mut conn = Conn::open(Arc::clone(target)).await?;
    let start = Instant::now();
    let (mut depth, mut total) = (0, None);
    let mut times = Vec::new();
    while total.is_none_or(|total| depth < total) && start.elapsed() < duration {
        let Some(params) = product.filtered(depth, limit) else {
            break;
        };
        let sent = Instant::now();
        let response = conn.call_json("DescribeInstances", &params).await?;
        times.push(sent.elapsed());
        let (listed, items) = product.listed(&response);
        total.get_or_insert(listed);
        if items.is_empty() {
            break;
        }
        depth += items.len();
    }
    let tenth = (times.len() / 10).max(1);
    let median = |slice: &[Duration]| {
        let mut sorted = slice.to_vec();
        sorted.sort_unstable();
        sorted.get(sorted.len() / 2).copied().unwrap_or_default()
    };
    Ok(Some(PaginatorWalk {
        pages: times.len(),
        depth,
        total,
        elapsed: start.elapsed(),
        first: median(&times[..tenth.min(times.len())]),
        last: median(&times[times.len().saturating_sub(tenth)..]),
    }))
}

/// One request: its action and encoded body.
type Request = (&'static str, Bytes);

/// Deals the requests of each id out to `workers` workers, round robin.
fn share(
    ids: &[String],
    workers: usize,
    requests: impl Fn(&str) -> Vec<Request>,
) -> Vec<Vec<Request>> {
    let workers = workers.clamp(1, ids.len().max(1));
    let mut shares: Vec<Vec<Request>> = vec![Vec::new(); workers];
    for (i, id) in ids.iter().enumerate() {
        shares[i % workers].extend(requests(id));
    }
    shares
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
    let requests = share(ids, connections, |id| {
        vec![("RebootInstances", product.encode(&product.one_instance(id)))]
    });
    run(target, requests, duration).await
}

/// The soak mix: per instance, a reboot, five polls of it by id and a page
/// of 20, so writes, the reads that follow them and listings interleave.
/// A busy instance counts as refused; anything else but success is an error.
pub async fn soak(
    target: &Arc<Target>,
    connections: usize,
    duration: Duration,
    ids: &[String],
) -> Result<PhaseResult, String> {
    if ids.is_empty() {
        return Err("the soak phase needs instances".into());
    }
    let product = target.product;
    let page = product.encode(&product.twenty());
    let requests = share(ids, connections, |id| {
        let one = product.encode(&product.one_instance(id));
        let mut mix = vec![("RebootInstances", one.clone())];
        mix.extend(std::iter::repeat_n(("DescribeInstances", one), 5));
        mix.push(("DescribeInstances", page.clone()));
        mix
    });
    run(target, requests, duration).await
}

/// Opens one connection per request set, then lets every worker cycle
/// through its requests until `duration` has passed.
async fn run(
    target: &Arc<Target>,
    requests: Vec<Vec<Request>>,
    duration: Duration,
) -> Result<PhaseResult, String> {
    let mut conns = Vec::with_capacity(requests.len());
    for _ in 0..requests.len() {
        conns.push(Conn::open(Arc::clone(target)).await?);
    }
    let connections = conns.len();
    let start = Instant::now();
    let deadline = start + duration;
    let mut set = JoinSet::new();
    for (conn, requests) in conns.into_iter().zip(requests) {
        set.spawn(worker(conn, requests, deadline));
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

/// Sends each request in turn, back to back, until `deadline`.
async fn worker(mut conn: Conn, requests: Vec<Request>, deadline: Instant) -> Tally {
    let mut tally = Tally::default();
    if requests.is_empty() {
        return tally;
    }
    let mut i = 0;
    while Instant::now() < deadline {
        let (action, body) = requests[i % requests.len()].clone();
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
