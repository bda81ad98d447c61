//! The PostgreSQL store on a real server: what several nodes sharing one
//! database rely on. Two stores on one database stand for two nodes.
//!
//! Runs when STRATUS_TEST_STORE names a PostgreSQL server
//! (`scripts/postgres.sh run cargo nextest run -p stratus-store` starts a
//! throwaway one); each test creates a database of its own. Without it the
//! tests print why and pass.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use stratus_engine::clock::Timestamp;
use stratus_engine::lifecycle::{LifecycleState, OperationKind};
use stratus_engine::model::{Attributes, Operation, OperationPlan, OperationState};
use stratus_engine::ports::{Admission, Change, Expect, Store, StoreError, WriteSet};
use stratus_store::PostgresStore;

/// A fresh database on the test server, or None (with the reason printed).
async fn database() -> Option<String> {
    let Ok(base) = std::env::var("STRATUS_TEST_STORE") else {
        eprintln!("skipped: STRATUS_TEST_STORE is not set (scripts/postgres.sh run … sets it)");
        return None;
    };
    let (client, connection) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
        .await
        .expect("the test server answers");
    tokio::spawn(connection);
    let name = format!("stratus_rs_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("creates a database");
    let (prefix, _) = base.rsplit_once('/').expect("the URL names a database");
    Some(format!("{prefix}/{name}"))
}

fn operation(id: &str, deadline: i64) -> Operation {
    Operation {
        id: id.into(),
        account: "a".into(),
        instance_id: format!("i-{id}"),
        kind: OperationKind::Reboot,
        action: "RebootInstances".into(),
        request_id: "r".into(),
        state: OperationState::Operating,
        source_state: LifecycleState::Running,
        plan: OperationPlan::StateOnly,
        started_at: Timestamp(0),
        deadline: Timestamp(deadline),
        finished_at: None,
        error_message: None,
        injected_failure: None,
        hard: false,
        node: None,
        version: 1,
    }
}

fn write(op: &Operation, expect: Expect) -> WriteSet {
    let mut w = WriteSet::new();
    w.push(Change::Operation {
        record: Box::new(op.clone()),
        expect,
    });
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_racing_on_one_version_exactly_one_wins() {
    let Some(url) = database().await else { return };
    // Both nodes start together: the migrations are applied once.
    let (a, b) = tokio::join!(PostgresStore::connect(&url), PostgresStore::connect(&url));
    let (a, b) = (Arc::new(a.expect("node a")), Arc::new(b.expect("node b")));
    let op = operation("op-1", 0);
    a.commit(write(&op, Expect::Absent)).await.expect("created");
    assert!(matches!(
        b.commit(write(&op, Expect::Absent)).await,
        Err(StoreError::Conflict(id)) if id == "op-1"
    ));
    for round in 1..=20u64 {
        let mut next = op.clone();
        next.action = format!("round {round}");
        let (ra, rb) = tokio::join!(
            a.commit(write(&next, Expect::Version(round))),
            b.commit(write(&next, Expect::Version(round)))
        );
        let wins = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "round {round}: {ra:?} {rb:?}");
        assert!([ra, rb]
            .into_iter()
            .any(|r| matches!(r, Err(StoreError::Conflict(_)))));
        let stored = b.operation("op-1").await.expect("read").expect("exists");
        assert_eq!(stored.version, round + 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_precondition_rolls_back_the_whole_set() {
    let Some(url) = database().await else { return };
    let store = PostgresStore::connect(&url).await.expect("connects");
    let first = operation("first", 0);
    let mut set = write(&first, Expect::Absent);
    set.push(Change::Operation {
        record: Box::new(operation("missing", 0)),
        expect: Expect::Version(7),
    });
    assert!(matches!(store.commit(set).await, Err(StoreError::Conflict(id)) if id == "missing"));
    assert!(store.operation("first").await.expect("read").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overdue_operation_is_claimed_by_one_node_until_its_lease_ends() {
    let Some(url) = database().await else { return };
    let a = PostgresStore::connect(&url).await.expect("node a");
    let b = PostgresStore::connect(&url).await.expect("node b");
    for (id, deadline) in [("due", 1_000), ("not-yet", 9_000)] {
        a.commit(write(&operation(id, deadline), Expect::Absent))
            .await
            .expect("created");
    }
    let lease = Duration::from_secs(2);
    // At 2.5 s only "due" is a lease past its deadline; both nodes sweep at once.
    let now = Timestamp(3_500);
    let (ca, cb) = tokio::join!(a.claim_overdue(now, lease), b.claim_overdue(now, lease));
    let mut claimed: Vec<String> = ca
        .expect("a")
        .into_iter()
        .chain(cb.expect("b"))
        .map(|o| o.id)
        .collect();
    claimed.sort();
    assert_eq!(claimed, ["due"]);
    // The claim holds for a lease, then the operation is free again.
    assert!(b
        .claim_overdue(Timestamp(5_000), lease)
        .await
        .expect("b")
        .is_empty());
    let again = b.claim_overdue(Timestamp(5_500), lease).await.expect("b");
    assert_eq!(again.len(), 1);
    // A finished operation is never claimed.
    let mut done = operation("due", 1_000);
    done.state = OperationState::Success;
    a.commit(write(&done, Expect::Version(1)))
        .await
        .expect("finished");
    assert!(a
        .claim_overdue(Timestamp(99_000), lease)
        .await
        .expect("a")
        .iter()
        .all(|o| o.id != "due"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_is_shared_by_every_node() {
    let Some(url) = database().await else { return };
    let a = PostgresStore::connect(&url)
        .await
        .expect("node a")
        .admission();
    let b = PostgresStore::connect(&url)
        .await
        .expect("node b")
        .admission();
    // Counted in the database's seconds: try until one whole burst fell
    // into a single second.
    for _ in 0..5 {
        let mut admitted = BTreeMap::new();
        for i in 0..30 {
            let node = if i % 2 == 0 { &a } else { &b };
            let ok = node
                .count("acct", "p", "ResetInstance", 10)
                .await
                .expect("counts");
            *admitted.entry(ok).or_insert(0) += 1;
        }
        if admitted.get(&true) == Some(&10) {
            // Other accounts have their own window.
            assert!(
                Admission::admit(&b, "other", "p", "ResetInstance", 10, Timestamp(0))
                    .await
                    .expect("counts")
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    panic!("never saw exactly 10 admitted in one second");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_of_one_set_run_in_order_however_many() {
    let Some(url) = database().await else { return };
    let store = PostgresStore::connect(&url).await.expect("connects");
    // Each record created and then moved on within the same set, 40 of
    // them: the second write of a record sees the first.
    let mut set = WriteSet::new();
    for i in 0..40 {
        let op = operation(&format!("op-{i}"), 0);
        set.push(Change::Operation {
            record: Box::new(op.clone()),
            expect: Expect::Absent,
        });
        let mut done = op;
        done.state = OperationState::Success;
        set.push(Change::Operation {
            record: Box::new(done),
            expect: Expect::Version(1),
        });
    }
    store.commit(set).await.expect("commits");
    let ops = store.operations("a").await.expect("read");
    assert_eq!(ops.len(), 40);
    assert!(ops
        .iter()
        .all(|o| o.version == 2 && o.state == OperationState::Success));
    assert!(store.operations_in_flight().await.expect("read").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_bound_to_a_node_is_that_nodes_alone_and_heartbeats_are_shared() {
    let Some(url) = database().await else { return };
    let a = PostgresStore::connect(&url).await.expect("node a");
    let b = PostgresStore::connect(&url).await.expect("node b");
    let mut hosted = operation("on-b", 1_000);
    hosted.node = Some("b".into());
    a.commit(write(&hosted, Expect::Absent))
        .await
        .expect("created");
    // Long overdue, yet never swept: only its node runs it.
    assert!(a
        .claim_overdue(Timestamp(99_000), Duration::from_secs(2))
        .await
        .expect("swept")
        .is_empty());
    let on_b: Vec<String> = b
        .operations_on("b")
        .await
        .expect("b's")
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(on_b, ["on-b"]);
    assert!(a.operations_on("a").await.expect("a's").is_empty());
    // Once finished it is no longer anyone's to run.
    let mut done = hosted.clone();
    done.state = OperationState::Success;
    b.commit(write(&done, Expect::Version(1)))
        .await
        .expect("finished");
    assert!(b.operations_on("b").await.expect("b's").is_empty());

    use stratus_engine::ports::NodeStatus;
    let beat = |name: &str, hosted, at| NodeStatus {
        name: name.into(),
        hosted,
        capacity: 4,
        seen_at: Timestamp(at),
    };
    a.heartbeat(&beat("a", 1, 1_000)).await.expect("a beats");
    b.heartbeat(&beat("b", 3, 1_500)).await.expect("b beats");
    a.heartbeat(&beat("a", 2, 2_000))
        .await
        .expect("a beats again");
    assert_eq!(
        b.nodes().await.expect("nodes"),
        vec![beat("a", 2, 2_000), beat("b", 3, 1_500)]
    );
}

#[tokio::test]
async fn security_groups_move_from_the_attribute_to_the_typed_list() {
    let Some(url) = database().await else { return };
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connects");
    tokio::spawn(connection);
    let migrations = stratus_store::migrations::MIGRATIONS;
    for m in migrations.iter().filter(|m| m.version < 7) {
        client.batch_execute(m.postgres()).await.expect("migrates");
    }
    for (id, body) in [
        (
            "a",
            r#"{"id":"a","created_at":1,"region":"r","attributes":{"kec.security_groups":"sg-1,sg-2","k":"v"}}"#,
        ),
        (
            "b",
            r#"{"id":"b","created_at":1,"region":"r","attributes":{"x":"y"}}"#,
        ),
    ] {
        client
            .execute(
                "INSERT INTO instances (account, id, product, state, version, body) VALUES ('acc', $1, 'p', 'Running', 1, $2)",
                &[&id, &body],
            )
            .await
            .expect("inserts");
    }
    client
        .batch_execute(migrations[6].postgres())
        .await
        .expect("migrates to 7");
    let body = |row: tokio_postgres::Row| -> serde_json::Value {
        serde_json::from_str(row.get::<_, &str>(0)).expect("json")
    };
    let a = body(
        client
            .query_one("SELECT body FROM instances WHERE id = 'a'", &[])
            .await
            .expect("reads"),
    );
    assert_eq!(a["security_group_ids"], serde_json::json!(["sg-1", "sg-2"]));
    assert_eq!(a["attributes"], serde_json::json!({"k": "v"}));
    let b = body(
        client
            .query_one("SELECT body FROM instances WHERE id = 'b'", &[])
            .await
            .expect("reads"),
    );
    assert_eq!(b["attributes"], serde_json::json!({"x": "y"}));
    assert_eq!(b["security_group_ids"], serde_json::Value::Null);
}

/// xorshift64*: reproducible fleets without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }

    fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
        of[self.below(of.len() as u64) as usize]
    }

    fn some(&mut self, of: &[&str]) -> Vec<String> {
        (0..1 + self.below(2))
            .map(|_| self.pick(of).to_string())
            .collect()
    }
}

/// A random instance of a small world, so that filters match some.
fn random_instance(rng: &mut Rng, n: u64) -> stratus_engine::model::Instance {
    use stratus_engine::model::{ChargeType, Tag};
    let mut i = stratus_engine::model::Instance::example(
        &format!("ins-{n:05}"),
        rng.pick(&["alice", "bob"]),
        rng.pick(&["lighthouse", "cvm"]),
        rng.pick(&["r1", "r2"]),
    );
    i.created_at = Timestamp(rng.below(20) as i64 * 1000);
    i.state = [
        LifecycleState::Running,
        LifecycleState::Stopped,
        LifecycleState::Isolated,
        LifecycleState::Terminated,
    ][rng.below(4) as usize];
    i.zone = rng.pick(&["z1", "z2", "z3"]).into();
    i.name = rng.pick(&["web-1", "web_2", "db%", "cache"]).into();
    i.image_id = rng.pick(&["img-a", "img-b"]).into();
    i.plan_id = rng.pick(&["small", "large"]).into();
    i.charge_type = [ChargeType::Prepaid, ChargeType::Postpaid][rng.below(2) as usize];
    i.vpc_id = rng.pick(&["vpc-1", "vpc-2"]).into();
    i.subnet_id = rng.pick(&["sn-1", "sn-2"]).into();
    i.private_ips = vec![format!("10.0.0.{}", rng.below(6))];
    i.public_ips = if rng.below(2) == 0 {
        vec![format!("1.1.1.{}", rng.below(6))]
    } else {
        vec![]
    };
    i.tags = (0..rng.below(3))
        .map(|_| Tag {
            key: rng.pick(&["env", "team"]).into(),
            value: rng.pick(&["prod", "dev"]).into(),
        })
        .collect();
    i.security_group_ids = vec![rng.pick(&["sg-1", "sg-2"]).into()];
    i.login.key_ids = if rng.below(2) == 0 {
        vec!["key-1".into()]
    } else {
        vec![]
    };
    i.expires_at = (rng.below(3) > 0).then(|| Timestamp(rng.below(5) as i64 * 1000));
    i.attributes = Attributes::from([(
        "p.groups".to_string(),
        rng.some(&["g1", "g2", "g3"]).join(","),
    )]);
    i
}

/// A random filter of each kind the engine has.
fn random_filter(rng: &mut Rng) -> stratus_engine::ports::InstanceFilter {
    use stratus_engine::model::ChargeType;
    use stratus_engine::ports::InstanceFilter as F;
    match rng.below(19) {
        0 => F::Ids(
            (0..3)
                .map(|_| format!("ins-{:05}", rng.below(80)))
                .collect(),
        ),
        1 => F::NameContains(rng.some(&["web", "_", "%", "b-"])),
        2 => F::Zones(rng.some(&["z1", "z2", "z3"])),
        3 => F::States(vec![
            [
                LifecycleState::Running,
                LifecycleState::Stopped,
                LifecycleState::Isolated,
            ][rng.below(3) as usize],
        ]),
        4 => F::PrivateIps(rng.some(&["10.0.0.1", "10.0.0.2"])),
        5 => F::PublicIps(rng.some(&["1.1.1.1", "1.1.1.3"])),
        6 => F::Ips(rng.some(&["10.0.0.1", "1.1.1.1"])),
        7 => F::TagKeys(rng.some(&["env", "team", "none"])),
        8 => F::TagValues(rng.some(&["prod", "dev"])),
        9 => F::Tag {
            key: rng.pick(&["env", "team"]).into(),
            values: rng.some(&["prod", "dev"]),
        },
        10 => F::Plans(rng.some(&["small", "large"])),
        11 => F::Images(rng.some(&["img-a", "img-b"])),
        12 => F::ChargeTypes(vec![
            [ChargeType::Prepaid, ChargeType::Postpaid][rng.below(2) as usize],
        ]),
        13 => F::VpcIds(rng.some(&["vpc-1", "vpc-2"])),
        14 => F::SubnetIds(rng.some(&["sn-1", "sn-2"])),
        15 => F::SecurityGroups(rng.some(&["sg-1", "sg-2"])),
        16 => F::KeyPairs(vec!["key-1".into()]),
        17 => F::Attribute {
            key: "p.groups".into(),
            values: rng.some(&["g1", "g3"]),
        },
        _ => {
            if rng.below(2) == 0 {
                F::CreatedFrom(Timestamp(rng.below(20) as i64 * 1000))
            } else {
                F::CreatedUntil(Timestamp(rng.below(20) as i64 * 1000))
            }
        }
    }
}

#[tokio::test]
async fn listings_in_sql_equal_the_plain_filter_and_sort() {
    use stratus_engine::ports::{InstanceOrder, InstanceQuery};
    let Some(url) = database().await else { return };
    let store = PostgresStore::connect(&url).await.expect("connects");
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut fleet = Vec::new();
    for n in 0..80 {
        let i = random_instance(&mut rng, n);
        let mut writes = WriteSet::new();
        writes.push(Change::Instance {
            record: Box::new(i.clone()),
            expect: Expect::Absent,
        });
        store.commit(writes).await.expect("commits");
        fleet.push(i);
    }
    let orders = [
        InstanceOrder::CreatedDesc,
        InstanceOrder::IsolatedFirstThenCreatedDesc,
        InstanceOrder::ExpiresAsc,
        InstanceOrder::ExpiresDesc,
    ];
    for round in 0..300 {
        let query = InstanceQuery {
            account: rng.pick(&["alice", "bob"]).into(),
            product: rng.pick(&["lighthouse", "cvm"]).into(),
            region: (rng.below(2) == 0).then(|| rng.pick(&["r1", "r2"]).to_string()),
            filters: (0..rng.below(3)).map(|_| random_filter(&mut rng)).collect(),
            order: orders[rng.below(4) as usize],
            offset: rng.below(12) as usize,
            limit: 1 + rng.below(15) as usize,
        };
        let expected = query.select(&fleet);
        let got = store.instances(&query).await.expect("lists");
        let got_ids: Vec<&str> = got.items.iter().map(|i| i.id.as_str()).collect();
        let expected_ids: Vec<&str> = expected.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(
            (got.total, got_ids),
            (expected.total, expected_ids),
            "round {round}: {query:?}"
        );
    }
}

#[tokio::test]
async fn common_listings_are_served_by_indexes() {
    use stratus_engine::lifecycle::LifecycleState as S;
    use stratus_engine::ports::{InstanceFilter as F, InstanceOrder, InstanceQuery};
    let Some(url) = database().await else { return };
    let store = PostgresStore::connect(&url).await.expect("connects");
    // Many accounts, so one account's rows are a small part of the table.
    let mut rng = Rng(0x00c0_ffee);
    let mut writes = WriteSet::new();
    for n in 0..6000u64 {
        let mut i = random_instance(&mut rng, n);
        i.account = format!("acct-{}", n % 200).as_str().into();
        i.state = S::Running;
        writes.push(Change::Instance {
            record: Box::new(i),
            expect: Expect::Absent,
        });
        if writes.changes.len() == 500 {
            store
                .commit(std::mem::take(&mut writes))
                .await
                .expect("commits");
        }
    }
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connects");
    tokio::spawn(connection);
    client
        .batch_execute("ANALYZE instances")
        .await
        .expect("analyzes");
    let listing = |filters: Vec<F>, order| InstanceQuery {
        account: "acct-7".into(),
        product: "cvm".into(),
        region: Some("r1".into()),
        filters,
        order,
        offset: 0,
        limit: 20,
    };
    let common = [
        listing(vec![], InstanceOrder::CreatedDesc),
        listing(vec![], InstanceOrder::IsolatedFirstThenCreatedDesc),
        listing(
            vec![F::Ids(vec!["ins-00007".into()])],
            InstanceOrder::CreatedDesc,
        ),
        listing(
            vec![F::States(vec![S::Running])],
            InstanceOrder::CreatedDesc,
        ),
        listing(
            vec![F::Zones(vec!["z1".into()])],
            InstanceOrder::CreatedDesc,
        ),
        listing(
            vec![F::TagKeys(vec!["env".into()]), F::States(vec![S::Running])],
            InstanceOrder::CreatedDesc,
        ),
        listing(
            vec![F::PrivateIps(vec!["10.0.0.1".into()])],
            InstanceOrder::CreatedDesc,
        ),
        listing(
            vec![F::VpcIds(vec!["vpc-1".into()])],
            InstanceOrder::CreatedDesc,
        ),
        listing(
            vec![F::Images(vec!["img-a".into()])],
            InstanceOrder::ExpiresAsc,
        ),
    ];
    for query in common {
        let plan = store.explain_listing(&query).await.expect("explains");
        assert!(
            !plan.contains("Seq Scan on instances"),
            "{:?} scans the table:\n{plan}",
            query.filters
        );
    }
}
