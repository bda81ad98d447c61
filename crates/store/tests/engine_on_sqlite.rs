//! The engine over the real SQLite store and the simulated driver: the
//! behaviours that no wire test can see directly (disk generations, password
//! hashes, compare-and-swap, recovery after a crash).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use stratus_driver::SimDriver;
use stratus_engine::accounts::{Account, Accounts};
use stratus_engine::catalog::{
    Catalog, Image, ImageKind, ImageState, OsFamily, Plan, Region, Zone,
};
use stratus_engine::clock::{Clock, SystemClock, Timestamp};
use stratus_engine::engine::{BatchAction, CreateSpec, LoginRequest, ReinstallSpec};
use stratus_engine::lifecycle::{LifecycleState as S, OperationKind as K};
use stratus_engine::login::verify_password;
use stratus_engine::model::{ChargeType, Instance, OperationState};
use stratus_engine::ports::{Admission, InstanceQuery, Store, StoreError};
use stratus_engine::profile::{IdFormats, IdStyle, PasswordPolicy, PasswordRule, ProductProfile};
use stratus_engine::{Caller, Engine, EngineError, Product};
use stratus_store::SqliteStore;

fn rule() -> PasswordRule {
    PasswordRule {
        min_len: 8,
        max_len: 30,
        min_classes: 3,
        required: vec![],
        specials: "!@#$%^&*".into(),
        other_visible_ok: false,
        forbid_leading_slash: true,
    }
}

fn image(id: &str, family: OsFamily) -> Image {
    Image {
        id: id.into(),
        name: id.into(),
        os_name: format!("{id} os"),
        platform: "TEST".into(),
        os_family: family,
        kind: ImageKind::PureOs,
        state: ImageState::Normal,
        architecture: "x86_64".into(),
        required_disk_gb: 10,
        required_memory_gb: 1,
        size_gb: 10,
        display_title: String::new(),
        display_version: String::new(),
        description: String::new(),
        default_user: "root".into(),
        created: String::new(),
        owner: None,
        extra: Default::default(),
    }
}

/// A small product, defined here: the engine knows no vendor.
fn product() -> Product {
    let p = |prefix: &str| IdStyle::Prefixed {
        prefix: prefix.into(),
        len: 8,
    };
    Product {
        profile: ProductProfile {
            key: "test".into(),
            ids: IdFormats {
                instance: p("t-"),
                image: p("timg-"),
                key_pair: p("tkp-"),
                disk: p("tdisk-"),
            },
            allowed_states: HashMap::from([
                (K::Start, vec![S::Stopped]),
                (K::Stop, vec![S::Running]),
                (K::Reboot, vec![S::Running]),
                (K::Reinstall, vec![S::Running, S::Stopped]),
                (K::Isolate, vec![S::Running, S::Stopped]),
                (K::Terminate, vec![S::Isolated]),
            ]),
            batch_limit: 100,
            passwords: PasswordPolicy {
                linux: rule(),
                windows: rule(),
            },
            reset_passwords: None,
            reinstall_may_switch_family: true,
            reinstall_lands_in: None,
            recycle_bin: stratus_engine::profile::RecycleBin::Unused,
            prepaid_prices: None,
            keys_on_windows: false,
            max_keys_per_instance: 5,
            rate_limits: HashMap::new(),
            default_instance_name: "unnamed".into(),
            default_user_linux: "root".into(),
            default_user_windows: "Administrator".into(),
        },
        catalog: Catalog {
            regions: vec![Region {
                id: "r1".into(),
                name: "Region 1".into(),
                available: true,
                mainland: true,
                zones: vec![Zone {
                    id: "r1-a".into(),
                    name: "A".into(),
                    sold_out: false,
                }],
            }],
            plans: vec![Plan {
                id: "small".into(),
                cpu: 1,
                memory_gb: 2,
                system_disk_gb: 40,
                system_disk_type: "SSD".into(),
                bandwidth_mbps: 1,
                monthly_traffic_gb: 0,
                supports_linux: true,
                supports_windows: true,
                available: true,
                price: 1.0,
                family: String::new(),
                kind: String::new(),
                label: String::new(),
            }],
            images: vec![
                image("timg-linux001", OsFamily::Linux),
                image("timg-linux002", OsFamily::Linux),
                image("timg-windo001", OsFamily::Windows),
            ],
        },
    }
}

fn engine_on(store: Arc<SqliteStore>, speed: f64) -> Arc<Engine> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let driver = Arc::new(SimDriver::new(speed, Arc::clone(&clock)));
    engine_with(store, driver, clock)
}

fn engine_with(
    store: Arc<dyn Store>,
    driver: Arc<dyn stratus_engine::ports::Driver>,
    clock: Arc<dyn Clock>,
) -> Arc<Engine> {
    let accounts = Accounts::new(vec![
        Account {
            name: "a".into(),
            credentials: vec![],
            bearer_tokens: vec![],
            balance: None,
        },
        Account {
            name: "b".into(),
            credentials: vec![],
            bearer_tokens: vec![],
            balance: None,
        },
    ]);
    Engine::new(store, driver, clock, accounts, vec![product()])
}

/// An engine over `store` serving `product` to one account, "a", on the
/// system clock and a fast simulated driver.
fn engine_of_one(store: Arc<SqliteStore>, product: Product) -> Arc<Engine> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let driver = Arc::new(SimDriver::new(2000.0, Arc::clone(&clock)));
    let accounts = Accounts::new(vec![Account {
        name: "a".into(),
        credentials: vec![],
        bearer_tokens: vec![],
        balance: None,
    }]);
    Engine::new(store, driver, clock, accounts, vec![product])
}

fn caller(account: &str, action: &str) -> Caller {
    Caller {
        account: account.into(),
        product: "test".into(),
        region: "r1".into(),
        request_id: uuid::Uuid::new_v4().to_string(),
        action: action.into(),
    }
}

fn spec(password: Option<&str>) -> CreateSpec {
    CreateSpec {
        name: Some("web".into()),
        login: LoginRequest {
            password: password.map(str::to_string),
            ..Default::default()
        },
        ..CreateSpec::new(
            "small".into(),
            "timg-linux001".into(),
            1,
            ChargeType::Postpaid,
        )
    }
}

/// Polls until the instance's latest operation has finished.
async fn settled(engine: &Engine, account: &str, id: &str) -> Instance {
    for _ in 0..2000 {
        let i = engine
            .instance(&caller(account, "Describe"), id)
            .await
            .expect("exists");
        if !i.has_operation_in_flight() {
            return i;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("operation on {id} did not finish");
}

async fn running(engine: &Arc<Engine>) -> String {
    let ids = engine
        .create_instances(&caller("a", "Create"), spec(Some("Passw0rd!old")))
        .await
        .expect("created");
    let i = settled(engine, "a", &ids[0]).await;
    assert_eq!(i.state, S::Running);
    ids[0].clone()
}

fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("stratus-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[tokio::test]
async fn a_reinstall_formats_the_disk_and_replaces_the_login() {
    let engine = engine_on(Arc::new(SqliteStore::open(None).expect("store")), 2000.0);
    let id = running(&engine).await;
    let before = engine
        .instance(&caller("a", "D"), &id)
        .await
        .expect("exists");
    let old_hash = before.login.password_hash.clone().expect("hash");
    assert!(verify_password("Passw0rd!old", &old_hash));
    assert!(!old_hash.contains("Passw0rd!old"), "only a hash is stored");

    let reinstall = ReinstallSpec {
        image_id: Some("timg-linux002".into()),
        login: LoginRequest {
            password: Some("Passw0rd!new".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    engine
        .reinstall(&caller("a", "ResetInstance"), &id, reinstall)
        .await
        .expect("accepted");
    let during = engine
        .instance(&caller("a", "D"), &id)
        .await
        .expect("exists");
    assert_eq!(during.state, S::Reinstalling);
    let after = settled(&engine, "a", &id).await;
    assert_eq!(after.state, S::Running);
    assert_eq!(after.image_id, "timg-linux002");
    assert_eq!(
        after.system_disk.generation,
        before.system_disk.generation + 1
    );
    assert_eq!(
        after.system_disk.id, before.system_disk.id,
        "same OS family keeps the disk id"
    );
    let new_hash = after.login.password_hash.expect("hash");
    assert!(verify_password("Passw0rd!new", &new_hash));
    assert!(
        !verify_password("Passw0rd!old", &new_hash),
        "the old password no longer verifies"
    );
    assert_eq!(
        after.latest_operation.expect("op").state,
        OperationState::Success
    );
}

#[tokio::test]
async fn crossing_os_families_gives_a_new_system_disk_and_a_generated_password_is_mailed() {
    let engine = engine_on(Arc::new(SqliteStore::open(None).expect("store")), 2000.0);
    let id = running(&engine).await;
    let before = engine
        .instance(&caller("a", "D"), &id)
        .await
        .expect("exists");
    let to_windows = ReinstallSpec {
        image_id: Some("timg-windo001".into()),
        ..Default::default()
    };
    engine
        .reinstall(&caller("a", "ResetInstance"), &id, to_windows)
        .await
        .expect("accepted");
    let after = settled(&engine, "a", &id).await;
    assert_eq!(after.os_family, OsFamily::Windows);
    assert_ne!(after.system_disk.id, before.system_disk.id);
    let inbox = engine.messages("a").await.expect("messages");
    let mail = inbox
        .iter()
        .find(|m| m.instance_id == id)
        .expect("a password message");
    assert!(verify_password(
        &mail.password,
        after.login.password_hash.as_deref().expect("hash")
    ));
    assert!(engine.messages("b").await.expect("messages").is_empty());
}

#[tokio::test]
async fn one_operation_at_a_time_even_when_requests_race() {
    let engine = engine_on(Arc::new(SqliteStore::open(None).expect("store")), 200.0);
    let id = running(&engine).await;
    let ids = vec![id.clone()];
    let c1 = caller("a", "RebootInstances");
    let c2 = caller("a", "ResetInstance");
    let (reboot, reset) = tokio::join!(
        engine.batch(&c1, BatchAction::Reboot { hard: false }, &ids),
        engine.reinstall(&c2, &id, ReinstallSpec::default()),
    );
    assert_eq!(
        reboot.is_ok() as u8 + reset.is_ok() as u8,
        1,
        "exactly one accepted: {reboot:?} {reset:?}"
    );
    let refused = reboot.err().or(reset.err()).expect("one refused");
    assert!(
        matches!(
            refused,
            EngineError::OperationInProgress { .. } | EngineError::ConcurrentModification(_)
        ),
        "{refused:?}"
    );
    // And while it runs, anything else is refused.
    let again = engine
        .batch(
            &caller("a", "StopInstances"),
            BatchAction::Stop {
                hard: false,
                stop_charging: false,
            },
            &ids,
        )
        .await;
    assert!(
        matches!(again, Err(EngineError::OperationInProgress { .. })),
        "{again:?}"
    );
}

#[tokio::test]
async fn states_gate_actions_and_other_accounts_see_nothing() {
    let engine = engine_on(Arc::new(SqliteStore::open(None).expect("store")), 2000.0);
    let id = running(&engine).await;
    let ids = vec![id.clone()];
    let start = engine
        .batch(&caller("a", "StartInstances"), BatchAction::Start, &ids)
        .await;
    assert!(
        matches!(
            start,
            Err(EngineError::InvalidState {
                state: S::Running,
                kind: K::Start,
                ..
            })
        ),
        "{start:?}"
    );
    let theirs = engine
        .batch(
            &caller("b", "RebootInstances"),
            BatchAction::Reboot { hard: false },
            &ids,
        )
        .await;
    assert_eq!(theirs, Err(EngineError::InstanceNotFound(id.clone())));
    let listing = InstanceQuery {
        account: "b".into(),
        product: "test".into(),
        region: None,
        filters: vec![],
        order: Default::default(),
        offset: 0,
        limit: 100,
    };
    assert_eq!(
        engine
            .describe_instances(&listing)
            .await
            .expect("list")
            .total,
        0
    );
    let dup = engine
        .batch(
            &caller("a", "RebootInstances"),
            BatchAction::Reboot { hard: false },
            &[id.clone(), id.clone()],
        )
        .await;
    assert!(
        matches!(dup, Err(EngineError::Duplicated { .. })),
        "{dup:?}"
    );
}

#[tokio::test]
async fn isolate_then_terminate_removes_the_instance() {
    let engine = engine_on(Arc::new(SqliteStore::open(None).expect("store")), 2000.0);
    let id = running(&engine).await;
    let ids = vec![id.clone()];
    engine
        .batch(&caller("a", "IsolateInstances"), BatchAction::Isolate, &ids)
        .await
        .expect("isolate");
    let isolated = settled(&engine, "a", &id).await;
    assert_eq!(isolated.state, S::Isolated);
    assert!(isolated.isolated_at.is_some());
    engine
        .batch(
            &caller("a", "TerminateInstances"),
            BatchAction::Terminate,
            &ids,
        )
        .await
        .expect("terminate");
    for _ in 0..2000 {
        if engine.instance(&caller("a", "D"), &id).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("terminated instance still visible");
}

#[tokio::test]
async fn a_client_token_answers_with_the_same_instances() {
    let engine = engine_on(Arc::new(SqliteStore::open(None).expect("store")), 2000.0);
    let mut s = spec(None);
    s.client_token = Some("token-1".into());
    s.count = 2;
    let first = engine
        .create_instances(&caller("a", "Create"), s.clone())
        .await
        .expect("created");
    let second = engine
        .create_instances(&caller("a", "Create"), s)
        .await
        .expect("same");
    assert_eq!(first, second);
    assert_eq!(first.len(), 2);
    // No password and no key: a generated password for each instance, its own.
    let inbox = engine.messages("a").await.expect("messages");
    assert_eq!(inbox.len(), 2);
    assert_ne!(inbox[0].password, inbox[1].password);
}

#[test]
fn operations_in_flight_complete_after_a_crash_and_restart() {
    let dir = temp_dir();
    let path = dir.join("stratus.db");
    let (id, op_request) = {
        // First life: accept a reboot, then die without completing it.
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let result = rt.block_on(async {
            let engine = engine_on(
                Arc::new(SqliteStore::open(Some(&path)).expect("store")),
                2000.0,
            );
            let id = running(&engine).await;
            // Slow this reboot down: a second engine instance at speed 20 (1–2 s).
            drop(engine);
            let engine = engine_on(
                Arc::new(SqliteStore::open(Some(&path)).expect("store")),
                20.0,
            );
            let c = caller("a", "RebootInstances");
            engine
                .batch(
                    &c,
                    BatchAction::Reboot { hard: false },
                    std::slice::from_ref(&id),
                )
                .await
                .expect("accepted");
            let i = engine
                .instance(&caller("a", "D"), &id)
                .await
                .expect("exists");
            assert_eq!(i.state, S::Rebooting);
            (id, c.request_id)
        });
        rt.shutdown_background();
        result
    };
    std::thread::sleep(Duration::from_millis(100));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = Arc::new(SqliteStore::open(Some(&path)).expect("reopen"));
        let in_flight = store.operations_in_flight().await.expect("ops");
        assert_eq!(
            in_flight.len(),
            1,
            "the reboot was recorded before it was acknowledged"
        );
        let engine = engine_on(store, 20.0);
        assert_eq!(engine.recover().await.expect("recover"), 1);
        let i = settled(&engine, "a", &id).await;
        assert_eq!(i.state, S::Running);
        let latest = i.latest_operation.expect("op");
        assert_eq!(latest.state, OperationState::Success);
        assert_eq!(latest.request_id, op_request);
    });
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_injected_fault_fails_the_operation_with_its_message() {
    let engine = engine_on(Arc::new(SqliteStore::open(None).expect("store")), 2000.0);
    let id = running(&engine).await;
    engine
        .faults()
        .replace(vec![stratus_engine::faults::FaultRule {
            product: None,
            action: Some("ResetInstance".into()),
            probability: 1.0,
            message: "image download failed".into(),
            remaining: Some(1),
            ..Default::default()
        }]);
    let before = engine
        .instance(&caller("a", "D"), &id)
        .await
        .expect("exists");
    let spec = ReinstallSpec {
        image_id: Some("timg-linux002".into()),
        ..Default::default()
    };
    engine
        .reinstall(&caller("a", "ResetInstance"), &id, spec)
        .await
        .expect("accepted");
    let after = settled(&engine, "a", &id).await;
    let latest = after.latest_operation.clone().expect("op");
    assert_eq!(latest.state, OperationState::Failed);
    assert_eq!(
        latest.error_message.as_deref(),
        Some("image download failed")
    );
    assert_eq!(
        after.state,
        S::Running,
        "a failed reinstall lands where it started"
    );
    assert_eq!(
        after.image_id, before.image_id,
        "nothing of the plan was applied"
    );
    // The rule was used up: the next reinstall succeeds.
    let spec = ReinstallSpec {
        image_id: Some("timg-linux002".into()),
        ..Default::default()
    };
    engine
        .reinstall(&caller("a", "ResetInstance"), &id, spec)
        .await
        .expect("accepted");
    assert_eq!(settled(&engine, "a", &id).await.image_id, "timg-linux002");
}

#[tokio::test]
async fn networks_are_per_account_and_survive_a_reopen() {
    use stratus_engine::model::{Network, NetworkKind};
    let dir = temp_dir();
    let path = dir.join("stratus.db");
    let vpc = Network {
        id: "vpc-1".into(),
        account: String::new(),
        product: String::new(),
        kind: NetworkKind::Vpc,
        name: "app".into(),
        cidr_block: "10.0.0.0/16".into(),
        region: None,
        vpc_id: None,
        created_at: stratus_engine::clock::Timestamp(0),
        version: 0,
    };
    {
        let engine = engine_on(
            Arc::new(SqliteStore::open(Some(&path)).expect("store")),
            2000.0,
        );
        engine
            .create_network(&caller("a", "CreateVpc"), vpc.clone())
            .await
            .expect("created");
        let again = engine
            .create_network(&caller("a", "CreateVpc"), vpc.clone())
            .await;
        assert!(
            matches!(again, Err(EngineError::ConcurrentModification(_))),
            "ids are unique: {again:?}"
        );
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let engine = engine_on(
        Arc::new(SqliteStore::open(Some(&path)).expect("reopen")),
        2000.0,
    );
    let mine = engine
        .networks(&caller("a", "DescribeVpcs"))
        .await
        .expect("list");
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0].name.as_str(), mine[0].account.as_str()),
        ("app", "a")
    );
    assert!(engine
        .networks(&caller("b", "DescribeVpcs"))
        .await
        .expect("list")
        .is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

/// A shared counter that cannot be reached.
struct Unreachable;

#[async_trait::async_trait]
impl Admission for Unreachable {
    async fn admit(
        &self,
        _: &str,
        _: &str,
        _: &str,
        _: u32,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

/// Always the same instant, so a burst falls in one rate-limit second.
struct Stopped;

impl Clock for Stopped {
    fn now(&self) -> Timestamp {
        Timestamp(1_800_000_000_500)
    }
}

#[tokio::test]
async fn a_limited_action_is_counted_and_a_counter_failure_is_not_a_rate_limit() {
    let mut limited = product();
    limited.profile.rate_limits.insert("Reset".into(), 2);
    let store = Arc::new(SqliteStore::open(None).expect("store"));
    let clock: Arc<dyn Clock> = Arc::new(Stopped);
    let driver = Arc::new(SimDriver::new(1000.0, Arc::clone(&clock)));
    let counted = Engine::new(
        store.clone(),
        driver.clone(),
        Arc::clone(&clock),
        Accounts::new(vec![]),
        vec![limited.clone()],
    );
    assert!(counted.admit(&caller("a", "Reset")).await.is_ok());
    assert!(counted.admit(&caller("a", "Reset")).await.is_ok());
    assert!(matches!(
        counted.admit(&caller("a", "Reset")).await,
        Err(EngineError::RateLimited)
    ));
    // Other accounts, and actions without a limit, are not held back.
    assert!(counted.admit(&caller("b", "Reset")).await.is_ok());
    assert!(counted.admit(&caller("a", "Describe")).await.is_ok());

    let unreachable = Engine::with_admission(
        store,
        driver,
        clock,
        Accounts::new(vec![]),
        vec![limited],
        Arc::new(Unreachable),
    );
    let failed = unreachable.admit(&caller("a", "Reset")).await;
    assert!(
        matches!(failed, Err(EngineError::Internal(_))),
        "a counter that cannot count is an internal failure, not a rate limit: {failed:?}"
    );
    assert!(unreachable.admit(&caller("a", "Describe")).await.is_ok());
}

/// A driver that does real work by script: it records every task it gets,
/// fails the kinds it is told to, answers with a machine, and reports the
/// exits it is given. Used to prove the Driver port's contract.
#[derive(Default)]
struct ScriptedDriver {
    tasks: std::sync::Mutex<Vec<(String, K, stratus_engine::ports::MachineSpec)>>,
    fail: std::sync::Mutex<HashMap<K, String>>,
    refuse_image: Option<String>,
    work: Duration,
    exits: std::sync::Mutex<Vec<stratus_engine::ports::Exit>>,
    running: std::sync::Mutex<Vec<(String, String, stratus_engine::model::Machine)>>,
    pid: std::sync::atomic::AtomicU32,
}

#[async_trait::async_trait]
impl stratus_engine::ports::Driver for ScriptedDriver {
    fn duration(&self, _kind: K, _instance: &Instance) -> Duration {
        Duration::from_millis(10)
    }
    fn does_real_work(&self) -> bool {
        true
    }
    fn admit(
        &self,
        _kind: K,
        desired: &Instance,
    ) -> Result<(), stratus_engine::ports::DriverRefusal> {
        match &self.refuse_image {
            Some(image) if desired.image_id.as_str() == image => Err(
                stratus_engine::ports::DriverRefusal::ImageUnavailable(image.clone()),
            ),
            _ => Ok(()),
        }
    }
    async fn execute(
        &self,
        task: stratus_engine::ports::DriverTask<'_>,
    ) -> Result<Option<stratus_engine::model::Machine>, stratus_engine::ports::DriverError> {
        self.tasks.lock().expect("lock").push((
            task.operation.id.clone(),
            task.operation.kind,
            task.spec.clone(),
        ));
        tokio::time::sleep(self.work).await;
        if let Some(reason) = self.fail.lock().expect("lock").get(&task.operation.kind) {
            return Err(stratus_engine::ports::DriverError(reason.clone()));
        }
        let pid = self.pid.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 100;
        Ok(Some(stratus_engine::model::Machine {
            node: Some("n1".into()),
            pid: task.spec.powered_on.then_some(pid),
            boots: pid,
            ..Default::default()
        }))
    }
    async fn exits(&self) -> Vec<stratus_engine::ports::Exit> {
        self.exits.lock().expect("lock").clone()
    }
    async fn running(&self) -> Vec<(String, String, stratus_engine::model::Machine)> {
        self.running.lock().expect("lock").clone()
    }
}

fn scripted(driver: ScriptedDriver) -> (Arc<Engine>, Arc<ScriptedDriver>) {
    let driver = Arc::new(driver);
    let store = Arc::new(SqliteStore::open(None).expect("store"));
    let engine = engine_with(store, driver.clone(), Arc::new(SystemClock));
    (engine, driver)
}

#[tokio::test]
async fn the_driver_gets_the_desired_machine_and_its_observations_are_recorded() {
    let (engine, driver) = scripted(ScriptedDriver::default());
    let c = caller("a", "ImportKeyPair");
    let key = engine
        .import_key_pair(
            &c,
            "laptop",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINd0wI/591jHuefMUt7fRLKiZi9b2fNnACb0ke2YFmhn t",
            vec![],
        )
        .await
        .expect("imported");
    let id = running(&engine).await;
    let created = engine.inspect("a", &id).await.expect("exists");
    let machine = created.machine.clone().expect("observed");
    assert_eq!(
        (machine.node.as_deref(), machine.pid),
        (Some("n1"), Some(100))
    );

    let reinstall = ReinstallSpec {
        image_id: Some("timg-linux002".into()),
        login: LoginRequest {
            key_ids: vec![key.id.clone()],
            ..Default::default()
        },
        system_disk_gb: Some(60),
        ..Default::default()
    };
    engine
        .reinstall(&caller("a", "ResetInstance"), &id, reinstall)
        .await
        .expect("accepted");
    let after = settled(&engine, "a", &id).await;
    let tasks = driver.tasks.lock().expect("lock").clone();
    let (_, kind, spec) = tasks.last().expect("a task");
    assert_eq!(*kind, K::Reinstall);
    assert_eq!(spec.image_id, "timg-linux002");
    assert_eq!(spec.system_disk.size_gb, 60);
    assert_eq!(spec.public_keys, vec![key.public_key.clone()]);
    assert_eq!(spec.password_hash, None, "a key replaces the password");
    assert!(spec.powered_on, "the instance was running and stays so");
    assert_eq!(after.machine.expect("observed").pid, Some(101));
}

#[tokio::test]
async fn real_work_that_fails_ends_failed_with_the_drivers_reason() {
    let driver = ScriptedDriver::default();
    driver
        .fail
        .lock()
        .expect("lock")
        .insert(K::Reinstall, "qemu-img: disk full".into());
    let (engine, _) = scripted(driver);
    let id = running(&engine).await;
    engine
        .reinstall(&caller("a", "ResetInstance"), &id, ReinstallSpec::default())
        .await
        .expect("accepted");
    let after = settled(&engine, "a", &id).await;
    assert_eq!(after.state, S::Running, "back where it was");
    let latest = after.latest_operation.expect("latest");
    assert_eq!(latest.state, OperationState::Failed);
    assert_eq!(latest.error_message.as_deref(), Some("qemu-img: disk full"));
    assert_eq!(after.system_disk.generation, 1, "nothing applied");
}

#[tokio::test]
async fn a_fault_rule_wraps_the_driver_instead_of_overriding_what_it_did() {
    let (engine, driver) = scripted(ScriptedDriver::default());
    let id = running(&engine).await;
    engine
        .faults()
        .replace(vec![stratus_engine::faults::FaultRule {
            product: None,
            action: Some("Reboot".into()),
            probability: 1.0,
            message: "injected".into(),
            remaining: Some(1),
            ..Default::default()
        }]);
    engine
        .batch(
            &caller("a", "Reboot"),
            BatchAction::Reboot { hard: true },
            std::slice::from_ref(&id),
        )
        .await
        .expect("accepted");
    let after = settled(&engine, "a", &id).await;
    let latest = after.latest_operation.expect("latest");
    assert_eq!(
        (latest.state, latest.error_message.as_deref()),
        (OperationState::Failed, Some("injected"))
    );
    let kinds: Vec<K> = driver
        .tasks
        .lock()
        .expect("lock")
        .iter()
        .map(|t| t.1)
        .collect();
    assert_eq!(kinds, vec![K::Create], "the machine was never touched");
}

#[tokio::test]
async fn an_image_the_driver_cannot_run_is_refused_before_anything_is_recorded() {
    let (engine, driver) = scripted(ScriptedDriver {
        refuse_image: Some("timg-linux001".into()),
        ..Default::default()
    });
    let refused = engine
        .create_instances(&caller("a", "Create"), spec(Some("Passw0rd!old")))
        .await;
    assert_eq!(
        refused,
        Err(EngineError::ImageUnavailable("timg-linux001".into()))
    );
    assert!(engine.instances("a").await.expect("listed").is_empty());
    assert!(driver.tasks.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn a_machine_that_stopped_on_its_own_is_observed_stopped_once() {
    let (engine, driver) = scripted(ScriptedDriver::default());
    let id = running(&engine).await;
    let exit = |pid| stratus_engine::ports::Exit {
        account: "a".into(),
        instance_id: id.clone(),
        pid,
        reason: "killed".into(),
    };
    // An exit of a process the instance no longer runs on changes nothing.
    *driver.exits.lock().expect("lock") = vec![exit(7)];
    assert_eq!(engine.reconcile().await, Ok(0));
    assert_eq!(
        engine.inspect("a", &id).await.expect("exists").state,
        S::Running
    );
    *driver.exits.lock().expect("lock") = vec![exit(100)];
    assert_eq!(engine.reconcile().await, Ok(1));
    let stopped = engine.inspect("a", &id).await.expect("exists");
    assert_eq!(stopped.state, S::Stopped);
    let machine = stopped.machine.expect("observed");
    assert_eq!(
        (machine.pid, machine.stopped_reason.as_deref()),
        (None, Some("killed"))
    );
    assert_eq!(
        engine.reconcile().await,
        Ok(0),
        "reported again, changed once"
    );
    // Observed running again (its node came back with it up): running.
    driver.exits.lock().expect("lock").clear();
    *driver.running.lock().expect("lock") = vec![(
        "a".into(),
        id.clone(),
        stratus_engine::model::Machine {
            pid: Some(300),
            ..Default::default()
        },
    )];
    assert_eq!(engine.reconcile().await, Ok(1));
    let back = engine.inspect("a", &id).await.expect("exists");
    assert_eq!(
        (back.state, back.machine.expect("observed").pid),
        (S::Running, Some(300))
    );
    assert_eq!(
        engine.reconcile().await,
        Ok(0),
        "only a stopped record changes"
    );
}

#[tokio::test]
async fn a_long_operation_renews_its_claim_and_a_drain_waits_for_it() {
    let (engine, _) = scripted(ScriptedDriver {
        work: Duration::from_millis(600),
        ..Default::default()
    });
    engine.set_claim_lease(Duration::from_millis(100));
    let ids = engine
        .create_instances(&caller("a", "Create"), spec(Some("Passw0rd!old")))
        .await
        .expect("accepted");
    let accepted = engine.operations("a").await.expect("ops")[0].clone();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let during = engine.operations("a").await.expect("ops")[0].clone();
    assert_eq!(during.state, OperationState::Operating);
    assert!(
        during.deadline > accepted.deadline,
        "the deadline moved on while the driver worked"
    );
    assert_eq!(engine.drain(Duration::from_secs(10)).await, 0);
    let done = engine.inspect("a", &ids[0]).await.expect("exists");
    assert_eq!(done.state, S::Running, "drained means finished");
}

#[tokio::test]
async fn a_reinstall_and_its_immediate_changes_are_one_commit() {
    let engine = engine_on(Arc::new(SqliteStore::open(None).expect("store")), 2000.0);
    let id = running(&engine).await;
    let before = engine.inspect("a", &id).await.expect("exists");
    let spec = ReinstallSpec {
        changes: stratus_engine::engine::InstanceChanges {
            name: Some("renamed".into()),
            attributes: [("color".to_string(), "blue".to_string())].into(),
        },
        ..Default::default()
    };
    engine
        .reinstall(&caller("a", "ResetInstance"), &id, spec)
        .await
        .expect("accepted");
    let during = engine.inspect("a", &id).await.expect("exists");
    assert_eq!(during.state, S::Reinstalling);
    assert_eq!(during.name, "renamed");
    assert_eq!(during.attributes.get("color"), Some("blue"));
    assert_eq!(during.version, before.version + 1, "one write, not two");
}

#[tokio::test]
async fn an_instance_and_the_deletion_of_its_subnet_cannot_both_win() {
    use stratus_engine::engine::NetworkError;
    use stratus_engine::model::{Network, NetworkKind};
    use stratus_engine::ports::InstanceFilter;
    let engine = engine_on(Arc::new(SqliteStore::open(None).expect("store")), 2000.0);
    let subnet = |id: &str| Network {
        id: id.into(),
        account: String::new(),
        product: String::new(),
        kind: NetworkKind::Subnet,
        name: id.into(),
        cidr_block: "10.0.1.0/24".into(),
        region: None,
        vpc_id: None,
        created_at: Timestamp(0),
        version: 0,
    };
    let a = caller("a", "CreateSubnet");
    let in_subnet = |id: &str| CreateSpec {
        subnet_id: Some(id.into()),
        ..spec(Some("Passw0rd!old"))
    };
    // Deleted after the dialect looked it up: the instance is refused.
    engine
        .create_network(&a, subnet("sn-1"))
        .await
        .expect("created");
    engine
        .delete_network(&a, "sn-1", InstanceFilter::SubnetIds(vec!["sn-1".into()]))
        .await
        .expect("nothing uses it");
    let refused = engine.create_instances(&a, in_subnet("sn-1")).await;
    assert!(
        matches!(refused, Err(EngineError::ConcurrentModification(_))),
        "{refused:?}"
    );
    // Racing: whichever commits first, never an instance in a deleted subnet.
    engine
        .create_network(&a, subnet("sn-2"))
        .await
        .expect("created");
    let (created, deleted) = tokio::join!(
        engine.create_instances(&a, in_subnet("sn-2")),
        engine.delete_network(&a, "sn-2", InstanceFilter::SubnetIds(vec!["sn-2".into()])),
    );
    match (created, deleted) {
        (Ok(_), Err(NetworkError::InUse { .. })) => {}
        (Err(EngineError::ConcurrentModification(_)), Ok(_)) => {}
        other => panic!("both or neither won: {other:?}"),
    }
}

#[tokio::test]
async fn a_reopened_store_loads_every_live_instance_and_refuses_a_corrupt_one() {
    use stratus_engine::ports::{Change, Expect, WriteSet};
    let path = temp_dir().join("stratus.db");
    // More loading batches than the pipeline holds (so a failure must not
    // leave the reader waiting), with one instance gone.
    let live: Vec<String> = (0..12_000).map(|n| format!("i-{n:05}")).collect();
    {
        let store = SqliteStore::open(Some(&path)).expect("store");
        let mut writes = WriteSet::new();
        for id in &live {
            let record = Box::new(Instance::example(id, "a", "p", "r"));
            writes.push(Change::Instance {
                record,
                expect: Expect::Absent,
            });
        }
        let mut gone = Instance::example("i-gone", "a", "p", "r");
        gone.state = S::Terminated;
        writes.push(Change::Instance {
            record: Box::new(gone),
            expect: Expect::Absent,
        });
        store.commit(writes).await.expect("committed");
    }
    let store = SqliteStore::open(Some(&path)).expect("reopened");
    let query = InstanceQuery {
        account: "a".into(),
        product: "p".into(),
        region: None,
        filters: Vec::new(),
        order: Default::default(),
        offset: 0,
        limit: 20_000,
    };
    let page = store.instances(&query).await.expect("listed");
    let mut ids: Vec<String> = page.items.into_iter().map(|i| i.id.clone()).collect();
    ids.sort();
    assert_eq!((page.total, ids), (live.len(), live.clone()));
    drop(store);
    let conn = rusqlite::Connection::open(&path).expect("database");
    conn.execute("UPDATE instances SET body = '{' WHERE id = 'i-01234'", [])
        .expect("corrupted");
    drop(conn);
    match SqliteStore::open(Some(&path)) {
        Err(StoreError::Corrupt(_)) => {}
        Err(other) => panic!("expected a corrupt record, got {other}"),
        Ok(_) => panic!("a corrupt record was loaded"),
    }
}

/// A release of every waiting transition that comes after a request was
/// accepted but before its task first ran (this runtime has one thread,
/// so the task cannot run before the release) releases that one too.
#[tokio::test]
async fn a_release_after_the_answer_releases_an_operation_not_yet_started() {
    let engine = engine_on(Arc::new(SqliteStore::open(None).expect("store")), 2000.0);
    let iid = running(&engine).await;
    engine.time_control().set_manual(true);
    engine
        .batch(
            &caller("a", "RebootInstances"),
            BatchAction::Reboot { hard: false },
            std::slice::from_ref(&iid),
        )
        .await
        .expect("accepted");
    engine.time_control().release_all();
    let done = tokio::time::timeout(Duration::from_secs(10), settled(&engine, "a", &iid))
        .await
        .expect("the reboot was released, not left waiting");
    assert_eq!(done.state, S::Running);
}

/// Ids are drawn at random from the product's format; one a live instance
/// already holds is drawn again, not refused as a conflict. With one
/// character (36 ids), 30 creates without that would all but surely repeat.
#[tokio::test]
async fn a_drawn_instance_id_already_taken_is_drawn_again() {
    let mut tiny = product();
    tiny.profile.ids.instance = IdStyle::Prefixed {
        prefix: "t-".into(),
        len: 1,
    };
    let engine = engine_of_one(Arc::new(SqliteStore::open(None).expect("store")), tiny);
    let mut ids = std::collections::BTreeSet::new();
    for n in 0..30 {
        let created = engine
            .create_instances(&caller("a", "Create"), spec(Some("Passw0rd!old")))
            .await
            .unwrap_or_else(|e| panic!("create {n} was refused: {e}"));
        ids.extend(created);
    }
    assert_eq!(ids.len(), 30, "{ids:?}");
}

/// When every id of the format is taken, a create gives up after its draws
/// with an internal error, and commits nothing: no instance, no operation.
#[tokio::test]
async fn a_create_with_no_free_id_is_refused_and_commits_nothing() {
    use stratus_engine::ports::{Change, Expect, WriteSet};
    let mut tiny = product();
    // Nine ids, "1" to "9", all held below.
    tiny.profile.ids.instance = IdStyle::Decimal { digits: 1 };
    let store = Arc::new(SqliteStore::open(None).expect("store"));
    let mut writes = WriteSet::new();
    for n in 1..=9 {
        writes.push(Change::Instance {
            record: Box::new(Instance::example(&n.to_string(), "a", "test", "r1")),
            expect: Expect::Absent,
        });
    }
    store.commit(writes).await.expect("committed");
    let engine = engine_of_one(Arc::clone(&store), tiny);
    let refused = engine
        .create_instances(&caller("a", "Create"), spec(Some("Passw0rd!old")))
        .await
        .expect_err("no id is free");
    assert!(
        matches!(&refused, EngineError::Internal(m) if m.contains("no free instance id")),
        "{refused:?}"
    );
    let query = InstanceQuery {
        account: "a".into(),
        product: "test".into(),
        region: None,
        filters: Vec::new(),
        order: Default::default(),
        offset: 0,
        limit: 100,
    };
    assert_eq!(store.instances(&query).await.expect("listed").total, 9);
    assert!(store
        .operations("a")
        .await
        .expect("operations read")
        .is_empty());
}

/// A store whose commits wait at a gate until the test opens it.
struct GatedCommits {
    inner: Arc<SqliteStore>,
    open: tokio::sync::watch::Receiver<bool>,
}

#[async_trait::async_trait]
impl Store for GatedCommits {
    fn events(&self) -> &stratus_engine::events::EventHub {
        self.inner.events()
    }
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.setting(key).await
    }
    async fn save_setting(&self, key: &str, body: &str) -> Result<(), StoreError> {
        self.inner.save_setting(key, body).await
    }
    async fn dump(&self) -> Result<stratus_engine::state::Records, StoreError> {
        self.inner.dump().await
    }
    async fn reset(&self, account: Option<&str>) -> Result<(), StoreError> {
        self.inner.reset(account).await
    }
    async fn instance_counts(&self) -> Result<Vec<(String, S, u64)>, StoreError> {
        self.inner.instance_counts().await
    }
    async fn instance(&self, account: &str, id: &str) -> Result<Option<Instance>, StoreError> {
        self.inner.instance(account, id).await
    }
    async fn instances(
        &self,
        query: &InstanceQuery,
    ) -> Result<stratus_engine::ports::Page<Arc<Instance>>, StoreError> {
        self.inner.instances(query).await
    }
    async fn key_pairs(
        &self,
        account: &str,
        product: &str,
    ) -> Result<Vec<stratus_engine::model::KeyPair>, StoreError> {
        self.inner.key_pairs(account, product).await
    }
    async fn operation(
        &self,
        id: &str,
    ) -> Result<Option<stratus_engine::model::Operation>, StoreError> {
        self.inner.operation(id).await
    }
    async fn operations_in_flight(
        &self,
    ) -> Result<Vec<stratus_engine::model::Operation>, StoreError> {
        self.inner.operations_in_flight().await
    }
    async fn operations(
        &self,
        account: &str,
    ) -> Result<Vec<stratus_engine::model::Operation>, StoreError> {
        self.inner.operations(account).await
    }
    async fn messages(
        &self,
        account: &str,
    ) -> Result<Vec<stratus_engine::model::Message>, StoreError> {
        self.inner.messages(account).await
    }
    async fn client_token(
        &self,
        account: &str,
        product: &str,
        token: &str,
    ) -> Result<Option<stratus_engine::model::ClientToken>, StoreError> {
        self.inner.client_token(account, product, token).await
    }
    async fn networks(
        &self,
        account: &str,
        product: &str,
    ) -> Result<Vec<stratus_engine::model::Network>, StoreError> {
        self.inner.networks(account, product).await
    }
    async fn commit(&self, writes: stratus_engine::ports::WriteSet) -> Result<(), StoreError> {
        let mut open = self.open.clone();
        open.wait_for(|open| *open)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        self.inner.commit(writes).await
    }
}

/// A client that goes away while its reboot is being accepted (hyper then
/// drops the request's future) must not leave the reboot half done: its
/// machine admitted and never released, or its operation recorded and
/// never run (the instance would stay rebooting until a restart).
#[tokio::test]
async fn a_request_dropped_while_accepted_still_runs_its_operation() {
    let (gate, open) = tokio::sync::watch::channel(true);
    let store = Arc::new(GatedCommits {
        inner: Arc::new(SqliteStore::open(None).expect("store")),
        open,
    });
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let driver = Arc::new(SimDriver::new(2000.0, Arc::clone(&clock)));
    let engine = engine_with(store, driver, clock);
    let id = running(&engine).await;
    gate.send_replace(false);
    let c = caller("a", "RebootInstances");
    // Dropped at the commit, as hyper drops the handler of a closed
    // connection.
    let dropped = tokio::time::timeout(
        Duration::from_millis(50),
        engine.batch(
            &c,
            BatchAction::Reboot { hard: false },
            std::slice::from_ref(&id),
        ),
    )
    .await;
    assert!(dropped.is_err(), "the request was answered: {dropped:?}");
    gate.send_replace(true);
    for _ in 0..2000 {
        let i = engine
            .instance(&caller("a", "D"), &id)
            .await
            .expect("exists");
        let ours = i
            .latest_operation
            .as_ref()
            .filter(|op| op.request_id == c.request_id);
        if ours.is_some_and(|op| op.state == OperationState::Success) {
            assert_eq!(i.state, S::Running);
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the reboot of the dropped request never finished");
}
