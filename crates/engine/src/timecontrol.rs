//! Time control for tests: in manual mode an operation whose work is done
//! waits before it completes until a test releases it (or all of them, or
//! leaves manual mode), so a test can look at `REBUILDING` for as long as
//! it needs without sleeping for real durations.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use tokio::sync::Notify;

/// The switch and the releases.
#[derive(Debug, Default)]
pub struct TimeControl {
    manual: AtomicBool,
    /// Operations released one by one, before or while they wait.
    released: Mutex<HashSet<String>>,
    /// Bumped by "release all": every operation waiting then goes on.
    round: AtomicU64,
    changed: Notify,
}

impl TimeControl {
    /// Whether operations wait to be released.
    pub fn manual(&self) -> bool {
        self.manual.load(Ordering::SeqCst)
    }

    /// Turns manual mode on or off (off releases every waiting operation).
    pub fn set_manual(&self, on: bool) {
        self.manual.store(on, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    fn released(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        match self.released.lock() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        }
    }

    /// Lets operation `id` complete (now, or when its work is done).
    pub fn release(&self, id: &str) {
        self.released().insert(id.to_string());
        self.changed.notify_waiters();
    }

    /// Where "release all" stands: an operation notes it when it starts,
    /// and a later "release all" releases it, waiting yet or not.
    pub fn round(&self) -> u64 {
        self.round.load(Ordering::SeqCst)
    }

    /// Lets every operation started until now complete.
    pub fn release_all(&self) {
        self.round.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    /// Waits, in manual mode, until operation `id` (started at `round`)
    /// is released.
    pub async fn hold(&self, id: &str, round: u64) {
        loop {
            // Registered before looking, so no release is missed between.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if !self.manual()
                || self.released().remove(id)
                || self.round.load(Ordering::SeqCst) != round
            {
                return;
            }
            changed.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    async fn finishes(t: &Arc<TimeControl>, id: &'static str) -> bool {
        let t = Arc::clone(t);
        let held = tokio::spawn(async move {
            let round = t.round();
            t.hold(id, round).await
        });
        tokio::time::timeout(Duration::from_millis(50), held)
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn manual_mode_holds_until_released_one_or_all() {
        let t = Arc::new(TimeControl::default());
        assert!(finishes(&t, "a").await, "not manual: nothing waits");
        t.set_manual(true);
        assert!(!finishes(&t, "a").await);
        t.release("b");
        assert!(finishes(&t, "b").await, "released before it waited");
        let started = t.round();
        let waiting = {
            let t = Arc::clone(&t);
            tokio::spawn(async move { t.hold("c", started).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        t.release_all();
        assert!(tokio::time::timeout(Duration::from_millis(50), waiting)
            .await
            .is_ok());
        // Started before the release, waiting only after it: released too.
        let t2 = Arc::clone(&t);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), t2.hold("e", started))
                .await
                .is_ok()
        );
        assert!(
            !finishes(&t, "d").await,
            "release all is not a standing release"
        );
        t.set_manual(false);
        assert!(finishes(&t, "d").await);
    }
}
