//! Per-account, per-action request limits: at most N requests accepted in
//! any one wall-clock second, which is how the vendors document them. This
//! is the in-memory counter of one node; a cluster counts in its database
//! through the same [`Admission`] port.

use crate::clock::Timestamp;
use crate::ports::{Admission, StoreError};
use std::collections::HashMap;
use std::sync::Mutex;

/// (account, product, action).
type WindowKey = (String, String, String);

/// (second, requests admitted in it).
type Window = (i64, u32);

/// Fixed one-second windows keyed by (account, product, action).
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<WindowKey, Window>>,
}

#[async_trait::async_trait]
impl Admission for RateLimiter {
    /// Counts one request; `Ok(false)` if it exceeds `limit` in the current
    /// second. Memory cannot fail, so this never errs.
    async fn admit(
        &self,
        account: &str,
        product: &str,
        action: &str,
        limit: u32,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let second = now.unix_seconds();
        let mut windows = match self.windows.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        let key = (account.to_string(), product.to_string(), action.to_string());
        let entry = windows.entry(key).or_insert((second, 0));
        // Windows only move forward: a request that read the clock just
        // before another one crossed into the next second counts against
        // that newer window (resetting to its older second would let a
        // second burst through).
        if second > entry.0 {
            *entry = (second, 0);
        }
        if entry.1 >= limit {
            return Ok(false);
        }
        entry.1 += 1;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_late_reading_of_the_clock_never_reopens_an_older_window() {
        let limiter = RateLimiter::default();
        let at = |s: i64| Timestamp(s * 1000);
        let admit = |now| limiter.admit("a", "p", "X", 2, now);
        assert!(admit(at(11)).await.expect("memory"));
        // Read the clock at second 10, reached the lock after second 11 began.
        assert!(admit(at(10)).await.expect("memory"));
        assert!(!admit(at(10)).await.expect("memory"));
        assert!(!admit(at(11)).await.expect("memory"));
        assert!(admit(at(12)).await.expect("memory"));
    }

    #[tokio::test]
    async fn admits_the_limit_per_second_and_resets_next_second() {
        let r = RateLimiter::default();
        let t = Timestamp(5_000);
        for _ in 0..10 {
            assert_eq!(Ok(true), r.admit("a", "p", "ResetInstance", 10, t).await);
        }
        assert_eq!(
            Ok(false),
            r.admit("a", "p", "ResetInstance", 10, Timestamp(5_999))
                .await
        );
        // Other accounts and actions have their own windows.
        assert_eq!(Ok(true), r.admit("b", "p", "ResetInstance", 10, t).await);
        assert_eq!(Ok(true), r.admit("a", "p", "RebootInstances", 10, t).await);
        assert_eq!(
            Ok(true),
            r.admit("a", "p", "ResetInstance", 10, Timestamp(6_000))
                .await
        );
    }
}
