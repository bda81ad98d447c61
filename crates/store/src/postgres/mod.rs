//! The PostgreSQL store, shared by every node of a cluster. Nodes keep no
//! copy of the records: every read goes to the database, so what one node
//! committed the next read on any node sees. A commit is one transaction in
//! which every precondition is a compare-and-swap on the row (`UPDATE …
//! WHERE version = v`, `INSERT … ON CONFLICT DO NOTHING`), so two nodes
//! racing for one record cannot both win.

mod admission;
mod commit;
mod events;
mod listing;

pub use admission::PostgresAdmission;

use crate::migrations::{latest, MIGRATIONS};
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use stratus_engine::clock::Timestamp;
use stratus_engine::events::{Event, EventHub};
use stratus_engine::model::{ClientToken, Instance, KeyPair, Message, Network, Operation};
use stratus_engine::ports::{InstanceQuery, NodeStatus, Page, Store, StoreError, WriteSet};
use tokio_postgres::types::ToSql;
use tokio_postgres::NoTls;

/// Connections one node keeps open at most.
const POOL_SIZE: usize = 16;

/// Operations one sweep claims at most; the rest wait for the next sweep.
const CLAIM_BATCH: i64 = 256;

/// The key of the advisory lock that serialises migrations across nodes.
const MIGRATION_LOCK: i64 = 0x5354_5241_5455_5301;

/// The shared store.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    events: Arc<EventHub>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn decode<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`,
    /// no TLS) and applies pending migrations; several nodes may start at
    /// once.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid database URL: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(unavailable)?;
        let store = Self {
            pool,
            events: Arc::new(EventHub::new(1)),
        };
        store.migrate().await?;
        let start = events::newest(&*store.client().await?).await?;
        tokio::spawn(events::tail(
            store.pool.clone(),
            Arc::downgrade(&store.events),
            start,
        ));
        Ok(store)
    }

    /// The rate-limit counter in this database, for every node to share.
    pub fn admission(&self) -> PostgresAdmission {
        PostgresAdmission::new(self.pool.clone())
    }

    async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(|e| {
            // The pool's own message hides the cause (refused, auth, …).
            let mut message = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                let text = c.to_string();
                if !message.contains(&text) {
                    message = format!("{message}: {text}");
                }
                cause = c.source();
            }
            StoreError::Unavailable(message)
        })
    }

    /// Applies pending migrations in one transaction under an advisory lock,
    /// so that nodes starting together apply each exactly once.
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(unavailable)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (
                version INTEGER PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .await
        .map_err(unavailable)?;
        let current: i32 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
            .await
            .and_then(|r| r.try_get(0))
            .map_err(unavailable)?;
        let current = u32::try_from(current).unwrap_or(0);
        if current > latest() {
            return Err(StoreError::Unavailable(format!(
                "the database schema is version {current}, newer than this build's {}",
                latest()
            )));
        }
        for m in MIGRATIONS.iter().filter(|m| m.version > current) {
            tx.batch_execute(m.postgres()).await.map_err(unavailable)?;
            let version = i32::try_from(m.version).map_err(unavailable)?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[&version],
            )
            .await
            .map_err(unavailable)?;
            tracing::info!(version = m.version, "applied schema migration");
        }
        tx.commit().await.map_err(unavailable)
    }

    /// The decoded `body` of every row `sql` selects.
    async fn bodies<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<T>, StoreError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql).await.map_err(unavailable)?;
        let rows = client.query(&stmt, params).await.map_err(unavailable)?;
        rows.iter()
            .map(|r| decode(r.try_get::<_, &str>(0).map_err(unavailable)?))
            .collect()
    }

    /// A listing, filtered, ordered, paged and counted by the database
    /// ([`listing::ListingSql`]): two statements pipelined on one
    /// connection, since a window count would drag every matching body
    /// along just to count it.
    async fn listing(&self, query: &InstanceQuery) -> Result<Page<Arc<Instance>>, StoreError> {
        let sql = listing::ListingSql::of(query);
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
        let client = self.client().await?;
        let (page_sql, count_sql) = (sql.page(), sql.count());
        let (page, count) = tokio::try_join!(
            client.prepare_cached(&page_sql),
            client.prepare_cached(&count_sql),
        )
        .map_err(unavailable)?;
        let filters: Vec<&(dyn ToSql + Sync)> = sql
            .params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let mut paged = filters.clone();
        paged.push(&limit);
        paged.push(&offset);
        let (rows, total) = tokio::try_join!(
            client.query(&page, &paged),
            client.query_one(&count, &filters),
        )
        .map_err(unavailable)?;
        let total: i64 = total.try_get(0).map_err(unavailable)?;
        let items = rows
            .iter()
            .map(|r| decode(r.try_get::<_, &str>(0).map_err(unavailable)?).map(Arc::new))
            .collect::<Result<_, _>>()?;
        Ok(Page {
            total: usize::try_from(total).unwrap_or(0),
            items,
        })
    }

    /// The plan PostgreSQL chooses for `query`'s page (`EXPLAIN`), for
    /// tests and operators checking that a listing is served by indexes.
    pub async fn explain_listing(&self, query: &InstanceQuery) -> Result<String, StoreError> {
        let sql = listing::ListingSql::of(query);
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
        let mut params: Vec<&(dyn ToSql + Sync)> = sql
            .params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        params.push(&limit);
        params.push(&offset);
        let client = self.client().await?;
        let rows = client
            .query(&format!("EXPLAIN {}", sql.page()), &params)
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|r| r.try_get::<_, String>(0).map_err(unavailable))
            .collect::<Result<Vec<_>, _>>()
            .map(|lines| lines.join("\n"))
    }

    /// The decoded `body` of the row `sql` selects, if any.
    async fn body<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<T>, StoreError> {
        Ok(self.bodies(sql, params).await?.into_iter().next())
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn events(&self) -> &EventHub {
        &self.events
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt("SELECT body FROM settings WHERE key = $1", &[&key])
            .await
            .map_err(unavailable)?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn save_setting(&self, key: &str, body: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO settings (key, body) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET body = excluded.body",
                &[&key, &body],
            )
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn dump(&self) -> Result<stratus_engine::state::Records, StoreError> {
        Ok(stratus_engine::state::Records {
            instances: self
                .bodies("SELECT body FROM instances ORDER BY created_at, id", &[])
                .await?,
            operations: self
                .bodies("SELECT body FROM operations ORDER BY seq", &[])
                .await?,
            key_pairs: self
                .bodies("SELECT body FROM key_pairs ORDER BY id", &[])
                .await?,
            networks: self
                .bodies("SELECT body FROM networks ORDER BY id", &[])
                .await?,
            messages: self
                .bodies("SELECT body FROM messages ORDER BY seq", &[])
                .await?,
            client_tokens: self.bodies("SELECT body FROM client_tokens", &[]).await?,
        })
    }

    async fn reset(&self, account: Option<&str>) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable)?;
        for table in crate::record::ACCOUNT_TABLES {
            match account {
                Some(a) => {
                    tx.execute(&format!("DELETE FROM {table} WHERE account = $1"), &[&a])
                        .await
                }
                None => tx.execute(&format!("DELETE FROM {table}"), &[]).await,
            }
            .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)
    }

    async fn instance_counts(
        &self,
    ) -> Result<Vec<(String, stratus_engine::lifecycle::LifecycleState, u64)>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT product, state, count(*) FROM instances WHERE state <> 'Terminated'
                 GROUP BY product, state ORDER BY product, state",
                &[],
            )
            .await
            .map_err(unavailable)?;
        let mut counts = Vec::with_capacity(rows.len());
        for row in &rows {
            let state: &str = row.try_get(1).map_err(unavailable)?;
            let Ok(state) = serde_json::from_value(serde_json::Value::String(state.to_string()))
            else {
                continue;
            };
            let n: i64 = row.try_get(2).map_err(unavailable)?;
            counts.push((
                row.try_get::<_, String>(0).map_err(unavailable)?,
                state,
                u64::try_from(n).unwrap_or(0),
            ));
        }
        Ok(counts)
    }

    async fn events_after(&self, seq: u64) -> Result<Vec<Event>, StoreError> {
        let client = self.client().await?;
        let after = i64::try_from(seq).unwrap_or(i64::MAX);
        let rows = client
            .query(
                "SELECT seq, body FROM events WHERE seq > $1 ORDER BY seq LIMIT 10000",
                &[&after],
            )
            .await
            .map_err(unavailable)?;
        rows.iter().map(events::decode).collect()
    }

    async fn instance(&self, account: &str, id: &str) -> Result<Option<Instance>, StoreError> {
        self.body(
            "SELECT body FROM instances WHERE account = $1 AND id = $2",
            &[&account, &id],
        )
        .await
    }

    async fn instances(&self, query: &InstanceQuery) -> Result<Page<Arc<Instance>>, StoreError> {
        self.listing(query).await
    }

    async fn key_pairs(&self, account: &str, product: &str) -> Result<Vec<KeyPair>, StoreError> {
        let mut keys: Vec<KeyPair> = self
            .bodies(
                "SELECT body FROM key_pairs WHERE account = $1 AND product = $2",
                &[&account, &product],
            )
            .await?;
        keys.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(keys)
    }

    async fn operation(&self, id: &str) -> Result<Option<Operation>, StoreError> {
        self.body("SELECT body FROM operations WHERE id = $1", &[&id])
            .await
    }

    async fn operations_in_flight(&self) -> Result<Vec<Operation>, StoreError> {
        self.bodies(
            "SELECT body FROM operations WHERE state = 'Operating' ORDER BY seq",
            &[],
        )
        .await
    }

    async fn operations(&self, account: &str) -> Result<Vec<Operation>, StoreError> {
        self.bodies(
            "SELECT body FROM operations WHERE account = $1 ORDER BY seq",
            &[&account],
        )
        .await
    }

    async fn messages(&self, account: &str) -> Result<Vec<Message>, StoreError> {
        self.bodies(
            "SELECT body FROM messages WHERE account = $1 ORDER BY created_at, seq",
            &[&account],
        )
        .await
    }

    async fn client_token(
        &self,
        account: &str,
        product: &str,
        token: &str,
    ) -> Result<Option<ClientToken>, StoreError> {
        self.body(
            "SELECT body FROM client_tokens WHERE account = $1 AND product = $2 AND token = $3",
            &[&account, &product, &token],
        )
        .await
    }

    async fn networks(&self, account: &str, product: &str) -> Result<Vec<Network>, StoreError> {
        let mut networks: Vec<Network> = self
            .bodies(
                "SELECT body FROM networks WHERE account = $1 AND product = $2",
                &[&account, &product],
            )
            .await?;
        networks.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(networks)
    }

    async fn commit(&self, writes: WriteSet) -> Result<(), StoreError> {
        let prepared = crate::record::prepare(writes)?;
        let mut client = self.client().await?;
        commit::run(&mut client, &prepared).await
    }

    async fn operations_on(&self, node: &str) -> Result<Vec<Operation>, StoreError> {
        self.bodies(
            "SELECT body FROM operations WHERE state = 'Operating' AND node = $1 ORDER BY seq",
            &[&node],
        )
        .await
    }

    async fn heartbeat(&self, status: &NodeStatus) -> Result<(), StoreError> {
        let client = self.client().await?;
        let hosted = i64::try_from(status.hosted).unwrap_or(i64::MAX);
        let capacity = i64::try_from(status.capacity).unwrap_or(i64::MAX);
        client
            .execute(
                "INSERT INTO nodes (name, hosted, capacity, seen_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO UPDATE SET hosted = $2, capacity = $3, seen_at = $4",
                &[&status.name, &hosted, &capacity, &status.seen_at.0],
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn nodes(&self) -> Result<Vec<NodeStatus>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT name, hosted, capacity, seen_at FROM nodes ORDER BY name",
                &[],
            )
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|r| {
                let count = |i: usize| -> Result<usize, StoreError> {
                    let v: i64 = r.try_get(i).map_err(unavailable)?;
                    Ok(usize::try_from(v).unwrap_or(0))
                };
                Ok(NodeStatus {
                    name: r.try_get(0).map_err(unavailable)?,
                    hosted: count(1)?,
                    capacity: count(2)?,
                    seen_at: Timestamp(r.try_get(3).map_err(unavailable)?),
                })
            })
            .collect()
    }

    async fn claim_overdue(
        &self,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Vec<Operation>, StoreError> {
        // SKIP LOCKED: a row another node is claiming right now is left to
        // it; a committed claim is excluded by its `lease_until`.
        self.bodies(
            "UPDATE operations SET lease_until = $2 WHERE id IN (
                 SELECT id FROM operations
                 WHERE state = 'Operating' AND deadline < $1 AND lease_until <= $3
                   AND node IS NULL
                 ORDER BY deadline LIMIT $4
                 FOR UPDATE SKIP LOCKED)
             RETURNING body",
            &[
                &now.before(lease).0,
                &now.after(lease).0,
                &now.0,
                &CLAIM_BATCH,
            ],
        )
        .await
    }
}
