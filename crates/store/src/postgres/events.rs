//! Every node's events, from the `events` table each commit writes into:
//! a task per node tails it into the node's hub while someone watches it
//! (otherwise it only follows the newest number), and prunes old rows.
//!
//! Numbers come from an identity column, taken when a row is inserted, so
//! a transaction that commits later may show a lower number than one
//! already read. The tail keeps the numbers it published above its
//! watermark and publishes a late one when it appears; a gap that stays
//! empty for [`GAP_GRACE`] was a rolled-back transaction and is passed.

use deadpool_postgres::Pool;
use std::collections::BTreeSet;
use std::sync::Weak;
use std::time::{Duration, Instant};
use stratus_engine::clock::{Clock, SystemClock};
use stratus_engine::events::{Event, EventHub};
use stratus_engine::ports::StoreError;

/// How often the table is read.
const POLL: Duration = Duration::from_millis(100);
/// How long a gap in the numbers is waited for.
const GAP_GRACE: Duration = Duration::from_secs(2);
/// How long events are kept in the table.
const KEPT_FOR: Duration = Duration::from_secs(15 * 60);
/// Rows read at most per poll.
const BATCH: i64 = 5000;

/// One event row.
pub(super) fn decode(row: &tokio_postgres::Row) -> Result<Event, StoreError> {
    let seq: i64 = row
        .try_get(0)
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let body: &str = row
        .try_get(1)
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let mut event: Event =
        serde_json::from_str(body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    event.seq = u64::try_from(seq).unwrap_or(0);
    Ok(event)
}

/// The numbers published above the watermark, and a gap being waited for.
#[derive(Default)]
struct Progress {
    watermark: i64,
    published: BTreeSet<i64>,
    gap_since: Option<(i64, Instant)>,
}

impl Progress {
    /// Moves the watermark over what was published and over gaps that
    /// stayed empty too long.
    fn advance(&mut self, now: Instant) {
        loop {
            let next = self.watermark + 1;
            if self.published.remove(&next) {
                self.watermark = next;
                continue;
            }
            if self.published.is_empty() {
                self.gap_since = None;
                return;
            }
            match self.gap_since {
                Some((seq, since)) if seq == next && now - since >= GAP_GRACE => {
                    self.watermark = next;
                    self.gap_since = None;
                }
                Some((seq, _)) if seq == next => return,
                _ => {
                    self.gap_since = Some((next, now));
                    return;
                }
            }
        }
    }
}

/// The newest event number in the table (0: none).
pub(super) async fn newest(client: &tokio_postgres::Client) -> Result<i64, StoreError> {
    client
        .query_one("SELECT COALESCE(max(seq), 0) FROM events", &[])
        .await
        .map(|row| row.get(0))
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}

/// Tails the table into `hub` from after `start` until the store (and so
/// the hub) is dropped.
pub(super) async fn tail(pool: Pool, hub: Weak<EventHub>, start: i64) {
    let mut progress = Progress {
        watermark: start,
        ..Progress::default()
    };
    let mut pruned = Instant::now();
    loop {
        tokio::time::sleep(POLL).await;
        let Some(hub) = hub.upgrade() else { return };
        let Ok(client) = pool.get().await else {
            continue;
        };
        if pruned.elapsed() > Duration::from_secs(60) {
            pruned = Instant::now();
            let oldest = SystemClock.now().0 - KEPT_FOR.as_millis() as i64;
            let _ = client
                .execute("DELETE FROM events WHERE at < $1", &[&oldest])
                .await;
        }
        if hub.watchers() == 0 {
            // Nobody watches: follow the newest number only (an index-only
            // read), so that a new watcher misses nothing committed since
            // the last poll. The number is read before looking again for
            // watchers: one that came meanwhile gets what follows it.
            let Ok(watermark) = newest(&client).await else {
                continue;
            };
            if hub.watchers() == 0 {
                progress = Progress {
                    watermark,
                    ..Progress::default()
                };
                continue;
            }
        }
        let p = &mut progress;
        let rows = match client
            .query(
                "SELECT seq, body FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&p.watermark, &BATCH],
            )
            .await
        {
            Ok(rows) => rows,
            Err(_) => continue,
        };
        let mut fresh = Vec::new();
        for row in &rows {
            let Ok(event) = decode(row) else { continue };
            let seq = event.seq as i64;
            if p.published.insert(seq) {
                fresh.push(event);
            }
        }
        hub.publish_numbered(fresh);
        p.advance(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watermark_waits_for_a_late_number_then_passes_an_empty_gap() {
        let start = Instant::now();
        let mut p = Progress {
            watermark: 10,
            ..Progress::default()
        };
        p.published.extend([11, 13]);
        p.advance(start);
        assert_eq!(p.watermark, 11, "12 is not visible yet");
        p.published.insert(12);
        p.advance(start + Duration::from_millis(10));
        assert_eq!((p.watermark, p.published.len()), (13, 0));
        p.published.insert(15);
        p.advance(start);
        assert_eq!(p.watermark, 13);
        p.advance(start + GAP_GRACE);
        assert_eq!(p.watermark, 15, "14 was rolled back");
    }
}
