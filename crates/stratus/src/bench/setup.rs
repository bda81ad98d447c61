//! The setup phase: create instances until enough exist, then wait until
//! every one is running. Idempotent: instances already there count.

use super::client::{Conn, Target};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Instances one create call asks for (every product accepts 30).
const BATCH: usize = 30;
/// Largest DescribeInstances page.
const PAGE: usize = 100;
/// How long to wait for every instance to be RUNNING.
const RUNNING_TIMEOUT: Duration = Duration::from_secs(300);
/// Pause between two listings while waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Makes sure at least `wanted` instances exist and all are RUNNING, using
/// up to `workers` connections; returns the ids of `wanted` of them.
pub async fn ensure(
    target: &Arc<Target>,
    wanted: usize,
    workers: usize,
) -> Result<Vec<String>, String> {
    let start = Instant::now();
    let mut conn = Conn::open(Arc::clone(target)).await?;
    let (existing, _) = page(&mut conn, 0, 1).await?;
    let batches = batches(wanted.saturating_sub(existing));
    let created: usize = fan_out(target, workers, batches, create_batch)
        .await?
        .into_iter()
        .sum();
    let created_in = start.elapsed();
    let mut ids = wait_running(target, workers).await?;
    println!(
        "setup: {} instances exist ({existing} before, {created} created in {:.2} s); all running after {:.2} s",
        ids.len(),
        created_in.as_secs_f64(),
        start.elapsed().as_secs_f64()
    );
    if ids.len() < wanted {
        return Err(format!(
            "setup: only {} of {wanted} instances exist",
            ids.len()
        ));
    }
    ids.truncate(wanted);
    Ok(ids)
}

/// Batch sizes that create `missing` instances.
fn batches(missing: usize) -> Vec<usize> {
    (0..missing)
        .step_by(BATCH)
        .map(|done| (missing - done).min(BATCH))
        .collect()
}

/// Creates one batch; returns how many instances it created.
async fn create_batch(mut conn: Conn, count: usize) -> (Conn, Result<usize, String>) {
    let (action, body) = conn.product().create(count);
    let product = conn.product();
    let created = conn
        .call_json(action, &body)
        .await
        .map(|r| product.created(&r));
    (conn, created)
}

/// Lists every instance until all are RUNNING; returns their ids.
async fn wait_running(target: &Arc<Target>, workers: usize) -> Result<Vec<String>, String> {
    let deadline = Instant::now() + RUNNING_TIMEOUT;
    loop {
        let listed = list_all(target, workers).await?;
        let running = target.product.running();
        let waiting = listed.iter().filter(|(_, s)| s != running).count();
        if waiting == 0 {
            return Ok(listed.into_iter().map(|(id, _)| id).collect());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "setup: {waiting} of {} instances are still not {running} after {} s (start the server with a high --speed)",
                listed.len(),
                RUNNING_TIMEOUT.as_secs()
            ));
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// (id, state) of every instance, pages fetched in parallel.
async fn list_all(target: &Arc<Target>, workers: usize) -> Result<Vec<(String, String)>, String> {
    let mut conn = Conn::open(Arc::clone(target)).await?;
    let (total, mut listed) = page(&mut conn, 0, PAGE).await?;
    let offsets: Vec<usize> = (PAGE..total).step_by(PAGE).collect();
    let rest = fan_out(target, workers, offsets, |mut conn, offset| async move {
        let r = page(&mut conn, offset, PAGE).await.map(|(_, items)| items);
        (conn, r)
    })
    .await?;
    listed.extend(rest.into_iter().flatten());
    Ok(listed)
}

/// One DescribeInstances page: the total count and (id, state) pairs.
async fn page(
    conn: &mut Conn,
    offset: usize,
    limit: usize,
) -> Result<(usize, Vec<(String, String)>), String> {
    let product = conn.product();
    let r = conn
        .call_json("DescribeInstances", &product.page(offset, limit))
        .await?;
    Ok(product.listed(&r))
}

/// Runs `work` on every job over up to `workers` connections (one per
/// task); the first failure fails the whole.
async fn fan_out<J, T, F, Fut>(
    target: &Arc<Target>,
    workers: usize,
    jobs: Vec<J>,
    work: F,
) -> Result<Vec<T>, String>
where
    J: Copy + Send + Sync + 'static,
    T: Send + 'static,
    F: Fn(Conn, J) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (Conn, Result<T, String>)> + Send + 'static,
{
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let tasks = workers.clamp(1, jobs.len());
    let jobs = Arc::new(jobs);
    let next = Arc::new(AtomicUsize::new(0));
    let work = Arc::new(work);
    let mut set = JoinSet::new();
    for _ in 0..tasks {
        let (target, jobs, next, work) = (
            Arc::clone(target),
            Arc::clone(&jobs),
            Arc::clone(&next),
            Arc::clone(&work),
        );
        set.spawn(async move {
            let mut conn = Conn::open(target).await?;
            let mut out = Vec::new();
            while let Some(&job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                let (back, result) = work(conn, job).await;
                conn = back;
                out.push(result?);
            }
            Ok::<_, String>(out)
        });
    }
    let mut all = Vec::new();
    while let Some(joined) = set.join_next().await {
        all.extend(joined.map_err(|e| format!("a setup task failed: {e}"))??);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_of_thirty() {
        assert_eq!(batches(0), Vec::<usize>::new());
        assert_eq!(batches(30), vec![30]);
        assert_eq!(batches(65), vec![30, 30, 5]);
    }
}
