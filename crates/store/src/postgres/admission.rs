//! Rate limits shared by every node: one row per (account, product,
//! action) holds the current second and how many requests it admitted.
//! The second is read from the database's clock, so nodes whose clocks
//! differ slightly still count in the same window.

use super::unavailable;
use deadpool_postgres::Pool;
use stratus_engine::clock::Timestamp;
use stratus_engine::ports::{Admission, StoreError};

/// Counts admitted requests in the `rate_windows` table.
#[derive(Clone)]
pub struct PostgresAdmission {
    pool: Pool,
}

impl std::fmt::Debug for PostgresAdmission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresAdmission").finish_non_exhaustive()
    }
}

impl PostgresAdmission {
    pub(super) fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// Counts one request in the current window if it is under `limit`;
    /// true if it was counted. One statement, so it is atomic across nodes:
    /// a new second resets the count, a full window changes nothing.
    pub async fn count(
        &self,
        account: &str,
        product: &str,
        action: &str,
        limit: u32,
    ) -> Result<bool, StoreError> {
        if limit == 0 {
            return Ok(false);
        }
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let client = self.pool.get().await.map_err(unavailable)?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO rate_windows AS w (account, product, action, second, admitted)
                 VALUES ($1, $2, $3, floor(extract(epoch FROM clock_timestamp()))::bigint, 1)
                 ON CONFLICT (account, product, action) DO UPDATE
                 SET admitted = CASE WHEN w.second = excluded.second THEN w.admitted + 1 ELSE 1 END,
                     second = excluded.second
                 WHERE w.second <> excluded.second OR w.admitted < $4
                 RETURNING admitted",
            )
            .await
            .map_err(unavailable)?;
        let rows = client
            .query(&stmt, &[&account, &product, &action, &limit])
            .await
            .map_err(unavailable)?;
        Ok(!rows.is_empty())
    }
}

#[async_trait::async_trait]
impl Admission for PostgresAdmission {
    async fn admit(
        &self,
        account: &str,
        product: &str,
        action: &str,
        limit: u32,
        _now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.count(account, product, action, limit).await
    }
}
