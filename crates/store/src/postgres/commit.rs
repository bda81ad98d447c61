//! One write set, one transaction. Each precondition is checked by the
//! write itself: `Expect::Version(v)` is an `UPDATE … WHERE version = v`,
//! `Expect::Absent` an `INSERT … ON CONFLICT DO NOTHING`; a write that
//! touches no row means another request (on any node) got there first, and
//! the whole set is rolled back as a conflict. Under READ COMMITTED a
//! concurrent writer of the same row waits for the first to commit and then
//! re-checks the version against the committed row, so exactly one wins.

use crate::record::{state_name, Prepared};
use deadpool_postgres::{Object, Transaction};
use futures_util::future::{maybe_done, poll_fn};
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use stratus_engine::clock::{Clock, SystemClock};
use stratus_engine::events::Event;
use stratus_engine::ports::{Change, Expect, StoreError};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

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

/// A parameter of a statement.
type Param = Box<dyn ToSql + Sync + Send>;

/// One write as a statement: its SQL, its parameters, and how many rows it
/// reports when its precondition holds.
struct Statement {
    sql: String,
    params: Vec<Param>,
    rows_when_applied: u64,
}

/// Commits `writes` atomically, or changes nothing. The statements are
/// sent together, in order, pipelined on the connection: a commit costs
/// three round trips whatever its size.
pub(super) async fn run(client: &mut Object, writes: &[Prepared]) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    let outcome = transaction(client, writes).await;
    if outcome.is_ok() {
        crate::record_commit(started.elapsed(), writes.len());
    }
    outcome
}

async fn transaction(client: &mut Object, writes: &[Prepared]) -> Result<(), StoreError> {
    let statements: Vec<Statement> = writes.iter().map(statement).collect();
    let tx = client
        .transaction()
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let mut prepared = Vec::with_capacity(statements.len());
    for s in &statements {
        match tx.prepare_cached(&s.sql).await {
            Ok(p) => prepared.push(p),
            Err(e) => {
                let _ = tx.rollback().await;
                return Err(StoreError::Unavailable(e.to_string()));
            }
        }
    }
    let outcomes = in_order(&tx, &statements, &prepared).await;
    for ((p, s), outcome) in writes.iter().zip(&statements).zip(outcomes) {
        let id = p.key.as_ref().map_or("", |k| k.id());
        let failure = match outcome {
            Ok(rows) if rows == s.rows_when_applied => continue,
            Ok(_) => StoreError::Conflict(id.to_string()),
            // After the first error the rest fail as "transaction aborted":
            // the first is the one that says why.
            Err(e) => classify(e, id),
        };
        let _ = tx.rollback().await;
        return Err(failure);
    }
    // The set's events, numbered by the database in the same transaction.
    let changes: Vec<&Change> = writes.iter().map(|p| &p.change).collect();
    let events = Event::all_of(&changes, SystemClock.now());
    if !events.is_empty() {
        let bodies: Vec<String> = events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap_or_default())
            .collect();
        let at = SystemClock.now().0;
        if let Err(e) = tx
            .execute(
                "INSERT INTO events (at, body) SELECT $1, unnest($2::text[])",
                &[&at, &bodies],
            )
            .await
        {
            let _ = tx.rollback().await;
            return Err(classify(e, ""));
        }
    }
    tx.commit().await.map_err(|e| classify(e, ""))
}

/// Executes every statement, sent in order: each request goes out on its
/// future's first poll, and they are first polled in order, so a later
/// write of the same record runs after the earlier one.
async fn in_order(
    tx: &Transaction<'_>,
    statements: &[Statement],
    prepared: &[tokio_postgres::Statement],
) -> Vec<Result<u64, tokio_postgres::Error>> {
    let mut pending: Vec<Pin<Box<_>>> = statements
        .iter()
        .zip(prepared)
        .map(|(s, p)| {
            let params: Vec<&(dyn ToSql + Sync)> = s
                .params
                .iter()
                .map(|b| b.as_ref() as &(dyn ToSql + Sync))
                .collect();
            Box::pin(maybe_done(async move { tx.execute(p, &params).await }))
        })
        .collect();
    poll_fn(|cx| {
        let mut done = true;
        for f in pending.iter_mut() {
            done &= f.as_mut().poll(cx).is_ready();
        }
        if done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    pending
        .iter_mut()
        // Every future is done here, so each has its output.
        .map(|f| f.as_mut().take_output().unwrap_or(Ok(u64::MAX)))
        .collect()
}

/// The statement of one write.
fn statement(p: &Prepared) -> Statement {
    let body = || Box::new(p.body.clone()) as Param;
    let text = |s: &str| Box::new(s.to_string()) as Param;
    let optional_text = |s: Option<&str>| Box::new(s.map(str::to_string)) as Param;
    let int = |v: i64| Box::new(v) as Param;
    let version = |v: u64| int(v as i64);
    let applied = |sql: &str, values: Vec<Param>| Statement {
        sql: sql.to_string(),
        params: values,
        rows_when_applied: 1,
    };
    match &p.change {
        Change::Instance { record: r, expect } => {
            let list = |v: Vec<String>| Box::new(v) as Param;
            let mut values = vec![
                text(&r.account),
                text(&r.id),
                text(&r.product),
                text(&state_name(&r.state)),
                version(r.version),
                body(),
                int(r.created_at.0),
                text(&r.region),
            ];
            // The columns listings filter on (migration 8).
            values.extend([
                text(&r.zone),
                text(&r.name),
                text(&r.image_id),
                text(&r.plan_id),
                text(&state_name(&r.charge_type)),
                text(&r.vpc_id),
                text(&r.subnet_id),
                text(&r.uuid.to_string()),
                Box::new(r.expires_at.map(|t| t.0)) as Param,
                list(r.private_ips.clone()),
                list(r.public_ips.clone()),
                list(r.tags.iter().map(|t| t.key.clone()).collect()),
                list(r.tags.iter().map(|t| t.value.clone()).collect()),
                list(r.tags.iter().map(tag_column).collect()),
                list(r.security_group_ids.iter().map(|g| g.to_string()).collect()),
                list(r.login.key_ids.clone()),
            ]);
            match *expect {
                Expect::Absent => applied(
                    "INSERT INTO instances (account, id, product, state, version, body, created_at, region,
                         zone, name, image_id, plan_id, charge_type, vpc_id, subnet_id, uuid, expires_at,
                         private_ips, public_ips, tag_keys, tag_values, tags, security_groups, key_ids)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                         $17, $18, $19, $20, $21, $22, $23, $24) ON CONFLICT DO NOTHING",
                    values,
                ),
                Expect::Version(v) => {
                    values.push(version(v));
                    applied(
                        "UPDATE instances SET product = $3, state = $4, version = $5, body = $6,
                             created_at = $7, region = $8, zone = $9, name = $10, image_id = $11,
                             plan_id = $12, charge_type = $13, vpc_id = $14, subnet_id = $15,
                             uuid = $16, expires_at = $17, private_ips = $18, public_ips = $19,
                             tag_keys = $20, tag_values = $21, tags = $22, security_groups = $23,
                             key_ids = $24
                         WHERE account = $1 AND id = $2 AND version = $25",
                        values,
                    )
                }
            }
        }
        Change::Operation { record: r, expect } => {
            let mut values = vec![
                text(&r.id),
                text(&r.account),
                text(&r.instance_id),
                text(&state_name(&r.state)),
                int(r.deadline.0),
                version(r.version),
                body(),
                optional_text(r.node.as_deref()),
            ];
            match *expect {
                Expect::Absent => applied(
                    "INSERT INTO operations (id, account, instance_id, state, deadline, version, body, node)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                    values,
                ),
                Expect::Version(v) => {
                    values.push(version(v));
                    applied(
                        "UPDATE operations SET state = $4, deadline = $5, version = $6, body = $7, node = $8
                         WHERE id = $1 AND account = $2 AND instance_id = $3 AND version = $9",
                        values,
                    )
                }
            }
        }
        Change::KeyPair { record: r, expect } => document(
            "key_pairs",
            [&r.account, &r.id, &r.product],
            r.version,
            *expect,
            &p.body,
        ),
        Change::Network { record: r, expect } => document(
            "networks",
            [&r.account, &r.id, &r.product],
            r.version,
            *expect,
            &p.body,
        ),
        Change::DeleteKeyPair {
            account,
            id,
            expect,
        } => match *expect {
            // Deleting what must not exist: the check is all there is.
            Expect::Absent => Statement {
                sql: "SELECT 1 FROM key_pairs WHERE account = $1 AND id = $2".into(),
                params: vec![text(account), text(id)],
                rows_when_applied: 0,
            },
            Expect::Version(v) => applied(
                "DELETE FROM key_pairs WHERE account = $1 AND id = $2 AND version = $3",
                vec![text(account), text(id), version(v)],
            ),
        },
        Change::Message(m) => applied(
            "INSERT INTO messages (id, account, created_at, body) VALUES ($1, $2, $3, $4)",
            vec![text(&m.id), text(&m.account), int(m.created_at.0), body()],
        ),
        Change::ClientToken(t) => applied(
            "INSERT INTO client_tokens (account, product, token, body)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            vec![text(&t.account), text(&t.product), text(&t.token), body()],
        ),
    }
}

/// Inserts or compare-and-swaps a record of a table shaped
/// `(account, id, product, version, body)`.
fn document(
    table: &str,
    [account, id, product]: [&String; 3],
    version: u64,
    expect: Expect,
    body: &str,
) -> Statement {
    let mut params: Vec<Param> = vec![
        Box::new(account.clone()),
        Box::new(id.clone()),
        Box::new(product.clone()),
        Box::new(version as i64),
        Box::new(body.to_string()),
    ];
    let sql = match expect {
        Expect::Absent => format!(
            "INSERT INTO {table} (account, id, product, version, body)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
        ),
        Expect::Version(v) => {
            params.push(Box::new(v as i64));
            format!(
                "UPDATE {table} SET product = $3, version = $4, body = $5
                 WHERE account = $1 AND id = $2 AND version = $6"
            )
        }
    };
    Statement {
        sql,
        params,
        rows_when_applied: 1,
    }
}

/// A tag as the `tags` column holds it: key, U+001F, value.
pub(crate) fn tag_column(t: &stratus_engine::model::Tag) -> String {
    format!("{}\u{1f}{}", t.key, t.value)
}
