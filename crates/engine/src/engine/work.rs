//! The operations this node is carrying out, counted so that a shutdown
//! can wait for them (drain) instead of cutting them off.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Operation tasks running on this node.
#[derive(Debug, Default)]
pub(crate) struct WorkInFlight {
    count: AtomicUsize,
    idle: Notify,
}

/// Held by a running operation task; its drop marks the task done.
#[derive(Debug)]
pub(crate) struct WorkGuard(Arc<WorkInFlight>);

impl Drop for WorkGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl WorkInFlight {
    /// Counts one more task until the guard is dropped.
    pub(crate) fn enter(self: &Arc<Self>) -> WorkGuard {
        self.count.fetch_add(1, Ordering::AcqRel);
        WorkGuard(Arc::clone(self))
    }

    /// Tasks running now.
    pub(crate) fn running(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Waits until no task runs, or `limit` passes; returns how many still run.
    pub(crate) async fn wait_idle(&self, limit: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            // Registered before the check, so a wake between the two is kept.
            idle.as_mut().enable();
            let running = self.running();
            if running == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.running();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_for_the_last_task_and_no_longer() {
        let work = Arc::new(WorkInFlight::default());
        assert_eq!(work.wait_idle(Duration::from_millis(1)).await, 0);
        let guard = work.enter();
        assert_eq!(work.wait_idle(Duration::from_millis(20)).await, 1);
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            drop(guard);
        });
        assert_eq!(work.wait_idle(Duration::from_secs(5)).await, 0);
        release.await.expect("joined");
    }
}
