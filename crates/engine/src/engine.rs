//! The control plane itself: the commands every dialect calls. One engine
//! serves every product; what differs between products comes from their
//! [`ProductProfile`] and [`Catalog`].

mod attributes;
mod charges;
mod create;
mod keypairs;
mod login_plan;
mod networks;
mod nodes;
mod operations;
mod reinstall;
mod work;

pub use attributes::InstanceChanges;
pub use create::CreateSpec;
pub use keypairs::{KeyPairQuery, KeyPairView};
pub use login_plan::LoginRequest;
pub use networks::{Ipv4Block, NetworkError, NetworkUser};
pub use operations::BatchAction;
pub use reinstall::{ProductRules, ReinstallCandidate, ReinstallSpec};

use crate::accounts::Accounts;
use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::error::{BatchField, EngineError};
use crate::faults::Faults;
use crate::lifecycle::LifecycleState;
use crate::model::{Instance, Message, Operation};
use crate::ports::{Admission, Driver, InstanceOrder, InstanceQuery, Page, Store};
use crate::profile::ProductProfile;
use crate::ratelimit::RateLimiter;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A product the engine serves: its profile and its catalog.
#[derive(Debug, Clone)]
pub struct Product {
    pub profile: ProductProfile,
    pub catalog: Catalog,
}

/// Who is asking, for what product, and under which request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    pub product: String,
    pub region: String,
    /// The request id the response will carry; kept on operations.
    pub request_id: String,
    /// The vendor action name; kept as the latest operation's name.
    pub action: String,
}

/// The engine. Cheap to share: hold it in an `Arc`.
pub struct Engine {
    store: Arc<dyn Store>,
    driver: Arc<dyn Driver>,
    clock: Arc<dyn Clock>,
    accounts: Accounts,
    products: HashMap<String, Arc<Product>>,
    limiter: Arc<dyn Admission>,
    faults: Faults,
    time: crate::timecontrol::TimeControl,
    work: Arc<work::WorkInFlight>,
    /// This node's name, when machines live on nodes (real drivers).
    node: std::sync::OnceLock<String>,
    /// Silence after which another node is taken as gone, in milliseconds.
    node_timeout_ms: AtomicU64,
    /// Operations running on this node now.
    here: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Nodes already found gone (their machines were stopped once).
    gone: std::sync::Mutex<std::collections::HashSet<String>>,
    /// How long a claim on an operation holds, in milliseconds (renewed at
    /// half of it while a driver does real work).
    claim_lease_ms: AtomicU64,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("products", &self.products.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine over a store and a driver, serving `products` to `accounts`,
    /// counting rate limits in memory.
    pub fn new(
        store: Arc<dyn Store>,
        driver: Arc<dyn Driver>,
        clock: Arc<dyn Clock>,
        accounts: Accounts,
        products: Vec<Product>,
    ) -> Arc<Self> {
        Self::with_admission(
            store,
            driver,
            clock,
            accounts,
            products,
            Arc::new(RateLimiter::default()),
        )
    }

    /// [`Engine::new`] with rate limits counted by `limiter` (shared by
    /// every node of a cluster).
    pub fn with_admission(
        store: Arc<dyn Store>,
        driver: Arc<dyn Driver>,
        clock: Arc<dyn Clock>,
        accounts: Accounts,
        products: Vec<Product>,
        limiter: Arc<dyn Admission>,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            driver,
            clock,
            accounts,
            products: products
                .into_iter()
                .map(|p| (p.profile.key.clone(), Arc::new(p)))
                .collect(),
            limiter,
            faults: Faults::default(),
            time: crate::timecontrol::TimeControl::default(),
            work: Arc::default(),
            node: std::sync::OnceLock::new(),
            node_timeout_ms: AtomicU64::new(10_000),
            here: Default::default(),
            gone: Default::default(),
            claim_lease_ms: AtomicU64::new(2_000),
        })
    }

    /// Sets how long a claim on an operation holds (the cluster's lease).
    pub fn set_claim_lease(&self, lease: Duration) {
        let ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1);
        self.claim_lease_ms.store(ms, Ordering::Relaxed);
    }

    fn claim_lease(&self) -> Duration {
        Duration::from_millis(self.claim_lease_ms.load(Ordering::Relaxed))
    }

    /// Whether the driver does real work (real machines to reconcile).
    pub fn drives_real_machines(&self) -> bool {
        self.driver.does_real_work()
    }

    /// Waits for the operations this node is carrying out to finish, up to
    /// `limit`; returns how many still run (they stay recorded in flight and
    /// resume at the next start). Called on shutdown.
    pub async fn drain(&self, limit: Duration) -> usize {
        self.work.wait_idle(limit).await
    }

    /// Records machines that stopped on their own as stopped, with the
    /// driver's reason. An instance with an operation in flight is left to
    /// its operation; a report about a process the instance no longer runs
    /// on is ignored. Returns how many instances changed.
    pub async fn reconcile(&self) -> Result<usize, EngineError> {
        let mut changed = 0;
        for (account, id, machine) in self.driver.running().await {
            if self.mark_running(&account, &id, machine).await? {
                changed += 1;
            }
        }
        for exit in self.driver.exits().await {
            if self
                .mark_stopped(
                    &exit.account,
                    &exit.instance_id,
                    Some(exit.pid),
                    &exit.reason,
                )
                .await?
            {
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// The fault rules in force.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Deletes every record of `account` (`None`: everything), for tests
    /// that start over. Refused under a driver that runs real machines:
    /// their machines would outlive their records.
    pub async fn reset(&self, account: Option<&str>) -> Result<(), EngineError> {
        if self.driver.does_real_work() {
            return Err(EngineError::NotOffered);
        }
        Ok(self.store.reset(account).await?)
    }

    /// Replaces the fault rules and saves them, so that every node applies
    /// them and a restart keeps them.
    pub async fn set_fault_rules(
        &self,
        rules: Vec<crate::faults::FaultRule>,
    ) -> Result<(), EngineError> {
        self.faults.replace(rules);
        self.save_fault_rules().await
    }

    async fn save_fault_rules(&self) -> Result<(), EngineError> {
        let body = serde_json::to_string(&self.faults.list())
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        Ok(self.store.save_setting(FAULTS_SETTING, &body).await?)
    }

    /// Takes the saved fault rules, if any were saved (true).
    pub async fn load_fault_rules(&self) -> Result<bool, EngineError> {
        let Some(body) = self.store.setting(FAULTS_SETTING).await? else {
            return Ok(false);
        };
        let rules = serde_json::from_str(&body).map_err(|e| {
            EngineError::Internal(format!("the saved fault rules do not parse: {e}"))
        })?;
        self.faults.replace(rules);
        Ok(true)
    }

    /// Saves the rules if a counted one fired (its count is shared).
    async fn save_counts(&self) {
        if self.faults.take_counted() {
            if let Err(e) = self.save_fault_rules().await {
                tracing::warn!(error = %e, "saving the fault rules' counts failed");
            }
        }
    }

    /// Every record, as a state snapshot.
    pub async fn export_state(&self) -> Result<crate::state::Snapshot, EngineError> {
        crate::state::Snapshot::export(self.store.as_ref(), self.clock.now())
            .await
            .map_err(|e| EngineError::Internal(e.to_string()))
    }

    /// Replaces every record with a snapshot's (refused under a driver that
    /// runs real machines, as [`Engine::reset`]); operations in flight in
    /// it finish at their deadlines.
    pub async fn import_state(
        self: &Arc<Self>,
        snapshot: crate::state::Snapshot,
    ) -> Result<usize, EngineError> {
        if self.driver.does_real_work() {
            return Err(EngineError::NotOffered);
        }
        let n = snapshot
            .import(self.store.as_ref())
            .await
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        self.recover().await?;
        Ok(n)
    }

    /// Manual mode and the releases of waiting operations.
    pub fn time_control(&self) -> &crate::timecontrol::TimeControl {
        &self.time
    }

    /// Divides the durations of operations accepted from now on by
    /// `speed`; false if the driver's durations are not simulated.
    pub fn set_speed(&self, speed: f64) -> bool {
        self.driver.set_speed(speed)
    }

    /// Fixes how long operations of `kind` accepted from now on last
    /// (`None`: back to the speed); false if the driver's durations are
    /// not simulated.
    pub fn set_duration(
        &self,
        kind: crate::lifecycle::OperationKind,
        duration: Option<Duration>,
    ) -> bool {
        self.driver.set_duration(kind, duration)
    }

    /// The factor durations are divided by, if the driver simulates them.
    pub fn speed(&self) -> Option<f64> {
        self.driver.speed()
    }

    /// Where every committed change is published ([`crate::events`]).
    pub fn events(&self) -> &crate::events::EventHub {
        self.store.events()
    }

    /// The events after `seq` the store still knows, oldest first.
    pub async fn events_after(&self, seq: u64) -> Result<Vec<crate::events::Event>, EngineError> {
        Ok(self.store.events_after(seq).await?)
    }

    /// The gauges measured when metrics are scraped: live instances by
    /// product and state; for a driver that runs machines, how many run and
    /// their resident memory on this host.
    pub async fn gauges(&self) -> Result<Vec<crate::metrics::Gauge>, EngineError> {
        use crate::metrics::Gauge;
        let counts = self.store.instance_counts().await?;
        let mut gauges = vec![Gauge {
            name: "stratus_instances",
            help: "Live instances, by product and state.",
            values: counts
                .into_iter()
                .map(|(product, state, n)| {
                    (
                        vec![
                            ("product", product),
                            ("state", crate::events::upper(&state)),
                        ],
                        n as f64,
                    )
                })
                .collect(),
        }];
        if self.driver.does_real_work() {
            let machines = self.driver.running().await;
            let rss: u64 = machines
                .iter()
                .filter_map(|(_, _, m)| m.pid)
                .filter_map(|pid| self.driver.resident_bytes(pid))
                .sum();
            gauges.push(Gauge {
                name: "stratus_vms_running",
                help: "Virtual machines running on this node.",
                values: vec![(Vec::new(), machines.len() as f64)],
            });
            gauges.push(Gauge {
                name: "stratus_vms_resident_bytes",
                help: "Resident memory of this node's virtual machines, together.",
                values: vec![(Vec::new(), rss as f64)],
            });
        }
        Ok(gauges)
    }

    /// The accounts of this server.
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// The clock the engine reads.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// A product by key.
    pub fn product(&self, key: &str) -> Result<&Arc<Product>, EngineError> {
        self.products.get(key).ok_or(EngineError::NotOffered)
    }

    /// Counts the request against the product's limit for its action.
    pub async fn admit(&self, caller: &Caller) -> Result<(), EngineError> {
        let product = self.product(&caller.product)?;
        let door = self.faults.at_door(&crate::faults::Target {
            product: &caller.product,
            action: &caller.action,
            account: &caller.account,
            region: &caller.region,
            instance: None,
        });
        if let Some(fault) = door {
            self.save_counts().await;
            if !fault.latency.is_zero() {
                tokio::time::sleep(fault.latency).await;
            }
            if let Some((error, message)) = fault.error {
                return Err(EngineError::Injected {
                    code: error.code,
                    status: error.status,
                    message,
                });
            }
        }
        if let Some(limit) = product.profile.rate_limits.get(&caller.action) {
            let now = self.clock.now();
            let admitted = self
                .limiter
                .admit(
                    &caller.account,
                    &caller.product,
                    &caller.action,
                    *limit,
                    now,
                )
                .await?;
            if !admitted {
                crate::metrics::registry().count(
                    "stratus_rate_limited_total",
                    "Requests refused by a rate limit, by product and action.",
                    &[("product", &caller.product), ("action", &caller.action)],
                    1,
                );
                return Err(EngineError::RateLimited);
            }
        }
        Ok(())
    }

    /// A page of the caller's instances.
    pub async fn describe_instances(
        &self,
        query: &InstanceQuery,
    ) -> Result<Page<Arc<Instance>>, EngineError> {
        Ok(self.store.instances(query).await?)
    }

    /// One of the caller's instances, if it exists (and is not terminated).
    /// A caller that names a region sees only that region's instances.
    pub async fn instance(&self, caller: &Caller, id: &str) -> Result<Instance, EngineError> {
        match self.store.instance(&caller.account, id).await? {
            Some(i)
                if i.product == caller.product
                    && i.state != LifecycleState::Terminated
                    && (caller.region.is_empty() || caller.region == i.region) =>
            {
                Ok(i)
            }
            _ => Err(EngineError::InstanceNotFound(id.to_string())),
        }
    }

    /// Any instance of an account, for inspection (admin API).
    pub async fn inspect(&self, account: &str, id: &str) -> Result<Instance, EngineError> {
        self.store
            .instance(account, id)
            .await?
            .ok_or_else(|| EngineError::InstanceNotFound(id.to_string()))
    }

    /// The end of an instance's serial console (`None`: its machine has no
    /// console on this node, as under the simulated driver).
    pub async fn console(
        &self,
        account: &str,
        id: &str,
        bytes: u64,
    ) -> Result<Option<String>, EngineError> {
        let instance = self.inspect(account, id).await?;
        Ok(self.driver.console(&instance.id, bytes).await)
    }

    /// One operation by id (finished ones included).
    pub async fn operation(&self, id: &str) -> Result<Option<Operation>, EngineError> {
        Ok(self.store.operation(id).await?)
    }

    /// Every operation of an account, finished ones included, oldest first.
    pub async fn operations(&self, account: &str) -> Result<Vec<Operation>, EngineError> {
        Ok(self.store.operations(account).await?)
    }

    /// Every instance of an account in every product (terminated ones are
    /// no longer listed).
    pub async fn instances(&self, account: &str) -> Result<Vec<Arc<Instance>>, EngineError> {
        let mut all = Vec::new();
        for product in self.products.keys() {
            let query = InstanceQuery {
                account: account.to_string(),
                product: product.clone(),
                region: None,
                filters: Vec::new(),
                order: InstanceOrder::CreatedDesc,
                offset: 0,
                limit: usize::MAX,
            };
            all.extend(self.store.instances(&query).await?.items);
        }
        Ok(all)
    }

    /// An account's inbox.
    pub async fn messages(&self, account: &str) -> Result<Vec<Message>, EngineError> {
        Ok(self.store.messages(account).await?)
    }

    /// Refuses duplicated ids and batches over the product's limit.
    pub fn check_batch(
        &self,
        caller: &Caller,
        field: BatchField,
        ids: &[String],
    ) -> Result<(), EngineError> {
        let product = self.product(&caller.product)?;
        if ids.len() > product.profile.batch_limit {
            return Err(EngineError::TooMany {
                field,
                max: product.profile.batch_limit,
            });
        }
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            if !seen.insert(id.as_str()) {
                return Err(EngineError::Duplicated {
                    field,
                    value: id.clone(),
                });
            }
        }
        Ok(())
    }
}

/// The setting the fault rules are saved under.
const FAULTS_SETTING: &str = "faults";
