//! One write set, one transaction. Each precondition is checked by the
//! write itself: `Expect::Version(v)` is an `UPDATE … WHERE version = v`,
//! `Expect::Absent` an `INSERT … ON CONFLICT DO NOTHING`; a write that
//! touches no row means another request (on any node) got there first, and
//! the whole set is rolled back as a conflict. Under READ COMMITTED a
//! concurrent writer of the same row waits for the first to commit and then
//! re-checks the version against the committed row, so exactly one wins.

use crate::record::{state_name, Prepared, RecordKey};
use deadpool_postgres::{Object, Transaction};
use stratus_engine::ports::{Change, Expect, StoreError};
use tokio_postgres::error::SqlState;

/// How a database error reads to the engine: lost races are conflicts
/// (it refuses or retries), everything else is an outage.
fn classify(e: tokio_postgres::Error, key: &str) -> StoreError {
    match e.code() {
        Some(c)
            if *c == SqlState::T_R_DEADLOCK_DETECTED
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::UNIQUE_VIOLATION =>
        {
            StoreError::Conflict(key.to_string())
        }
        _ => StoreError::Unavailable(e.to_string()),
    }
}

/// Commits `writes` atomically, or changes nothing.
pub(super) async fn run(client: &mut Object, writes: &[Prepared]) -> Result<(), StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    for p in writes {
        let key = RecordKey::of(&p.change);
        let id = key.as_ref().map_or("", |k| k.id());
        let applied = match write(&tx, p).await {
            Ok(applied) => applied,
            Err(e) => {
                let _ = tx.rollback().await;
                return Err(classify(e, id));
            }
        };
        if !applied {
            let _ = tx.rollback().await;
            return Err(StoreError::Conflict(id.to_string()));
        }
    }
    tx.commit().await.map_err(|e| classify(e, ""))
}

/// Executes one write; false if its precondition did not hold.
async fn write(tx: &Transaction<'_>, p: &Prepared) -> Result<bool, tokio_postgres::Error> {
    let body = &p.body;
    let rows = match &p.change {
        Change::Instance { record: r, expect } => {
            let state = state_name(&r.state);
            let version = r.version as i64;
            match *expect {
                Expect::Absent => {
                    let s = tx
                        .prepare_cached(
                            "INSERT INTO instances (account, id, product, state, version, body)
                             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                        )
                        .await?;
                    tx.execute(&s, &[&r.account, &r.id, &r.product, &state, &version, body])
                        .await?
                }
                Expect::Version(v) => {
                    let s = tx
                        .prepare_cached(
                            "UPDATE instances SET product = $3, state = $4, version = $5, body = $6
                             WHERE account = $1 AND id = $2 AND version = $7",
                        )
                        .await?;
                    tx.execute(
                        &s,
                        &[
                            &r.account,
                            &r.id,
                            &r.product,
                            &state,
                            &version,
                            body,
                            &(v as i64),
                        ],
                    )
                    .await?
                }
            }
        }
        Change::Operation { record: r, expect } => {
            let state = state_name(&r.state);
            let version = r.version as i64;
            match *expect {
                Expect::Absent => {
                    let s = tx
                        .prepare_cached(
                            "INSERT INTO operations (id, account, instance_id, state, deadline, version, body)
                             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                        )
                        .await?;
                    tx.execute(
                        &s,
                        &[
                            &r.id,
                            &r.account,
                            &r.instance_id,
                            &state,
                            &r.deadline.0,
                            &version,
                            body,
                        ],
                    )
                    .await?
                }
                Expect::Version(v) => {
                    let s = tx
                        .prepare_cached(
                            "UPDATE operations SET state = $2, deadline = $3, version = $4, body = $5
                             WHERE id = $1 AND version = $6",
                        )
                        .await?;
                    tx.execute(
                        &s,
                        &[&r.id, &state, &r.deadline.0, &version, body, &(v as i64)],
                    )
                    .await?
                }
            }
        }
        Change::KeyPair { record: r, expect } => {
            upsert_document(
                tx,
                "key_pairs",
                (&r.account, &r.id, &r.product),
                r.version,
                *expect,
                body,
            )
            .await?
        }
        Change::Network { record: r, expect } => {
            upsert_document(
                tx,
                "networks",
                (&r.account, &r.id, &r.product),
                r.version,
                *expect,
                body,
            )
            .await?
        }
        Change::DeleteKeyPair {
            account,
            id,
            expect,
        } => match *expect {
            // Deleting what must not exist: the check is all there is.
            Expect::Absent => {
                let s = tx
                    .prepare_cached("SELECT 1 FROM key_pairs WHERE account = $1 AND id = $2")
                    .await?;
                let found = tx.query(&s, &[account, id]).await?;
                u64::from(found.is_empty())
            }
            Expect::Version(v) => {
                let s = tx
                    .prepare_cached(
                        "DELETE FROM key_pairs WHERE account = $1 AND id = $2 AND version = $3",
                    )
                    .await?;
                tx.execute(&s, &[account, id, &(v as i64)]).await?
            }
        },
        Change::Message(m) => {
            let s = tx
                .prepare_cached(
                    "INSERT INTO messages (id, account, created_at, body) VALUES ($1, $2, $3, $4)",
                )
                .await?;
            tx.execute(&s, &[&m.id, &m.account, &m.created_at.0, body])
                .await?
        }
        Change::ClientToken(t) => {
            let s = tx
                .prepare_cached(
                    "INSERT INTO client_tokens (account, product, token, body)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .await?;
            tx.execute(&s, &[&t.account, &t.product, &t.token, body])
                .await?
        }
    };
    Ok(rows == 1)
}

/// Inserts or compare-and-swaps a record of a table shaped
/// `(account, id, product, version, body)`.
async fn upsert_document(
    tx: &Transaction<'_>,
    table: &str,
    (account, id, product): (&String, &String, &String),
    version: u64,
    expect: Expect,
    body: &String,
) -> Result<u64, tokio_postgres::Error> {
    let version = version as i64;
    match expect {
        Expect::Absent => {
            let s = tx
                .prepare_cached(&format!(
                    "INSERT INTO {table} (account, id, product, version, body)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
                ))
                .await?;
            tx.execute(&s, &[account, id, product, &version, body])
                .await
        }
        Expect::Version(v) => {
            let s = tx
                .prepare_cached(&format!(
                    "UPDATE {table} SET product = $3, version = $4, body = $5
                     WHERE account = $1 AND id = $2 AND version = $6"
                ))
                .await?;
            tx.execute(&s, &[account, id, product, &version, body, &(v as i64)])
                .await
        }
    }
}
