//! Operations: accepting a batch atomically (one operation at a time per
//! instance, by compare-and-swap), running it through the driver, and
//! completing it exactly once, also after a restart.

use super::{Caller, Engine};
use crate::catalog::OsFamily;
use crate::error::EngineError;
use crate::lifecycle::{
    reinstall_landing_at, transition, LifecycleState, OperationKind, Transition,
};
use crate::login::hash_password;
use crate::model::{
    ChargeType, CompactId, Instance, LatestOperation, Machine, Operation, OperationPlan,
    OperationState,
};
use crate::name::Name;
use crate::ports::{
    Change, DiskSpec, DriverError, DriverRefusal, DriverTask, Expect, MachineSpec, WriteSet,
};
use crate::profile::ProductProfile;
use crate::profile::RecycleBin;
use std::sync::Arc;
use std::time::Duration;

/// A write action applied to a batch of instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchAction {
    Start,
    /// `hard`: power off without asking the guest (a vendor's force flag);
    /// `stop_charging`: stop billing too (pay-as-you-go instances only).
    Stop {
        hard: bool,
        stop_charging: bool,
    },
    /// `hard`: reset without asking the guest (a vendor's force flag).
    Reboot {
        hard: bool,
    },
    /// Move to the recycle bin.
    Isolate,
    /// Destroy.
    Terminate,
    /// Set a new password for `user_name` (the image's administrator when
    /// `None`); `allow_running` lets a running instance be stopped for it,
    /// otherwise only stopped instances are accepted.
    ResetPassword {
        password: String,
        user_name: Option<String>,
        allow_running: bool,
    },
    /// Bind key pairs; `allow_running`: a running instance is accepted
    /// (otherwise only stopped ones are).
    AssociateKeys {
        key_ids: Vec<String>,
        allow_running: bool,
    },
    /// Unbind key pairs, as [`BatchAction::AssociateKeys`].
    DisassociateKeys {
        key_ids: Vec<String>,
        allow_running: bool,
    },
}

impl BatchAction {
    /// The operation kind this action starts.
    pub fn kind(&self) -> OperationKind {
        match self {
            Self::Start => OperationKind::Start,
            Self::Stop { .. } => OperationKind::Stop,
            Self::Reboot { .. } => OperationKind::Reboot,
            Self::Isolate => OperationKind::Isolate,
            Self::Terminate => OperationKind::Terminate,
            Self::ResetPassword { .. } => OperationKind::ResetPassword,
            Self::AssociateKeys { .. } => OperationKind::AssociateKeys,
            Self::DisassociateKeys { .. } => OperationKind::DisassociateKeys,
        }
    }

    /// Whether a running instance is refused (the action was asked not to
    /// stop one).
    pub fn refuses_running(&self) -> bool {
        matches!(
            self,
            Self::ResetPassword {
                allow_running: false,
                ..
            } | Self::AssociateKeys {
                allow_running: false,
                ..
            } | Self::DisassociateKeys {
                allow_running: false,
                ..
            }
        )
    }

    /// Whether the guest is bypassed (powered off or reset at once).
    pub fn is_hard(&self) -> bool {
        matches!(
            self,
            Self::Stop { hard: true, .. } | Self::Reboot { hard: true }
        )
    }
}

/// The transition `kind` takes from `source` on a product.
fn transition_for(
    profile: &ProductProfile,
    kind: OperationKind,
    source: LifecycleState,
) -> Option<Transition> {
    let table = transition(kind, source)?;
    match (kind, profile.reinstall_lands_in) {
        (OperationKind::Reinstall, Some(landing)) => Some(reinstall_landing_at(landing)),
        _ => Some(table),
    }
}

impl Engine {
    /// Why `kind` may not start on `instance` now, or the transition it takes.
    pub fn check_can_start(
        &self,
        profile: &ProductProfile,
        instance: &Instance,
        kind: OperationKind,
    ) -> Result<Transition, EngineError> {
        if instance.state == LifecycleState::Pending {
            return Err(EngineError::InstanceCreating(instance.id.clone()));
        }
        if instance.has_operation_in_flight() || instance.state.is_transitional() {
            return Err(EngineError::OperationInProgress {
                id: instance.id.clone(),
                state: instance.state,
            });
        }
        if !profile.allows(kind, instance.state) {
            return Err(EngineError::InvalidState {
                id: instance.id.clone(),
                state: instance.state,
                kind,
            });
        }
        transition_for(profile, kind, instance.state).ok_or_else(|| {
            EngineError::Internal(format!(
                "{:?} allowed from {:?} by the profile but not in the lifecycle table",
                kind, instance.state
            ))
        })
    }

    /// Applies a batch action to instances, all or none. Returns the
    /// operation ids, in the order of `ids`.
    pub async fn batch(
        self: &Arc<Self>,
        caller: &Caller,
        action: BatchAction,
        ids: &[String],
    ) -> Result<Vec<String>, EngineError> {
        let product = self.product(&caller.product)?.clone();
        let profile = &product.profile;
        let kind = action.kind();
        if !profile.allowed_states.contains_key(&kind) {
            return Err(EngineError::NotOffered);
        }
        self.check_batch(caller, crate::error::BatchField::Instances, ids)?;
        let mut instances = Vec::with_capacity(ids.len());
        for id in ids {
            instances.push(self.instance(caller, id).await?);
        }
        // One password rule for a mixed batch: the stricter (Windows) one.
        let strictest = if instances.iter().any(|i| i.os_family == OsFamily::Windows) {
            OsFamily::Windows
        } else {
            OsFamily::Linux
        };
        let prepaid = |i: &Instance| i.charge_type == ChargeType::Prepaid;
        let retires = kind == OperationKind::Terminate;
        if retires
            && profile.recycle_bin == RecycleBin::Prepaid
            && instances.iter().any(prepaid)
            && !instances.iter().all(prepaid)
        {
            return Err(EngineError::MixedChargeTypes);
        }
        let mut items = Vec::with_capacity(instances.len());
        for instance in instances {
            // The recycle bin first, where the product keeps one.
            let kind = if retires && profile.recycle_bin.takes(&instance) {
                OperationKind::Isolate
            } else {
                kind
            };
            let mut transition = self.check_can_start(profile, &instance, kind)?;
            // Protection refuses the request, whichever way it would retire.
            if action == BatchAction::Terminate && instance.termination_protected {
                return Err(EngineError::TerminationProtected(instance.id.clone()));
            }
            if action.refuses_running() && instance.state == LifecycleState::Running {
                return Err(EngineError::InvalidState {
                    id: instance.id.clone(),
                    state: instance.state,
                    kind,
                });
            }
            let plan = match &action {
                BatchAction::ResetPassword {
                    password,
                    user_name,
                    ..
                } => {
                    check_new_password(profile, strictest, password, user_name.as_deref())?;
                    if instance.state == LifecycleState::Running {
                        // The instance is shut down and started again to apply it.
                        transition.through = Some(LifecycleState::Rebooting);
                    }
                    OperationPlan::Password {
                        password_hash: hash_password(password)
                            .map_err(|e| EngineError::Internal(e.to_string()))?,
                    }
                }
                BatchAction::AssociateKeys { key_ids, .. }
                | BatchAction::DisassociateKeys { key_ids, .. } => {
                    self.check_key_binding(caller, profile, &instance, kind, key_ids)
                        .await?;
                    OperationPlan::Keys {
                        key_ids: key_ids.clone(),
                    }
                }
                BatchAction::Stop {
                    stop_charging: true,
                    ..
                } => {
                    if instance.charge_type != ChargeType::Postpaid {
                        return Err(EngineError::NotPayAsYouGo(instance.id.clone()));
                    }
                    OperationPlan::StopCharging
                }
                _ => OperationPlan::StateOnly,
            };
            items.push((instance, kind, plan, transition));
        }
        let ops = self
            .accept_operations(caller, action.is_hard(), items, WriteSet::new())
            .await?;
        Ok(ops.into_iter().map(|o| o.id).collect())
    }

    /// Records operations for instances whose checks passed, with `extra`
    /// writes, in one atomic commit; then sets them running. The driver
    /// admits each desired machine first (image and capacity), so nothing
    /// it cannot carry out is ever recorded.
    ///
    /// The work runs in a task of its own, which the request only waits
    /// for: a client that goes away mid-request drops the request's future,
    /// and an operation committed there but never set running (or a machine
    /// admitted and never released) would stay so until a restart.
    pub(crate) async fn accept_operations(
        self: &Arc<Self>,
        caller: &Caller,
        hard: bool,
        items: Vec<(Instance, OperationKind, OperationPlan, Transition)>,
        writes: WriteSet,
    ) -> Result<Vec<Operation>, EngineError> {
        let engine = Arc::clone(self);
        let caller = caller.clone();
        tokio::spawn(async move {
            engine
                .accept_operations_now(&caller, hard, items, writes)
                .await
        })
        .await
        .map_err(|e| EngineError::Internal(format!("accepting the operations stopped: {e}")))?
    }

    async fn accept_operations_now(
        self: &Arc<Self>,
        caller: &Caller,
        hard: bool,
        items: Vec<(Instance, OperationKind, OperationPlan, Transition)>,
        mut writes: WriteSet,
    ) -> Result<Vec<Operation>, EngineError> {
        let now = self.clock.now();
        let mut accepted = Vec::with_capacity(items.len());
        for (instance, kind, plan, transition) in items {
            let mut op = Operation {
                // Time-ordered, so the store's index on ids grows at one
                // end instead of touching a random page per operation.
                id: uuid::Uuid::now_v7().to_string(),
                account: caller.account.clone(),
                instance_id: instance.id.clone(),
                kind,
                action: caller.action.clone(),
                request_id: caller.request_id.clone(),
                state: OperationState::Operating,
                source_state: instance.state,
                plan,
                started_at: now,
                deadline: now.after(self.driver.duration(kind, &instance)),
                finished_at: None,
                error_message: None,
                injected_failure: None,
                hard,
                node: instance.machine.as_ref().and_then(|m| m.node.clone()),
                version: 1,
            };
            let mut desired = instance.clone();
            apply_plan(&mut desired, &op);
            let refused = |refusal| match refusal {
                DriverRefusal::ImageUnavailable(image) => EngineError::ImageUnavailable(image),
                DriverRefusal::NoCapacity(_) => EngineError::ZoneSoldOut(instance.zone.to_string()),
            };
            if let Err(refusal) = self.driver.admit(kind, &desired) {
                self.release_all(&accepted);
                return Err(refused(refusal));
            }
            if kind == OperationKind::Create {
                match self.place(&desired.id).await {
                    Ok(host) => op.node = host,
                    Err(refusal) => {
                        self.release_all(&accepted);
                        return Err(refused(refusal));
                    }
                }
            }
            let expect = if kind == OperationKind::Create {
                Expect::Absent
            } else {
                Expect::Version(instance.version)
            };
            let mut next = instance;
            if let (Some(host), None) = (&op.node, &next.machine) {
                // Where the machine will live is known from the start.
                next.machine = Some(Box::new(Machine {
                    node: Some(host.clone()),
                    ..Machine::default()
                }));
            }
            next.state = transition.during(op.source_state);
            next.latest_operation = Some(LatestOperation {
                operation_id: CompactId::new(&op.id),
                action: Name::new(&op.action),
                state: OperationState::Operating,
                request_id: CompactId::new(&op.request_id),
                started_at: now,
                error_message: None,
            });
            next.version = expect.next_version();
            writes.push(Change::Instance {
                record: Box::new(next),
                expect,
            });
            accepted.push((op, desired));
        }
        // Fault rules are decided last, once the request can no longer be
        // refused, so a refused request never uses up a rule.
        for (op, _) in &mut accepted {
            let fault = self.faults.decide_operation(&crate::faults::Target {
                product: &caller.product,
                action: &caller.action,
                account: &caller.account,
                region: &caller.region,
                instance: Some(&op.instance_id),
            });
            if let Some((message, after)) = fault {
                op.injected_failure = Some(message);
                // Recorded as the deadline, so a restart keeps the moment.
                if let Some(after) = after {
                    op.deadline = op.started_at.after(after);
                }
            }
            writes.push(Change::Operation {
                record: Box::new(op.clone()),
                expect: Expect::Absent,
            });
        }
        self.save_counts().await;
        if let Err(e) = self.store.commit(writes).await {
            self.release_all(&accepted);
            return Err(e.into());
        }
        let mut ops = Vec::with_capacity(accepted.len());
        for (op, desired) in accepted {
            ops.push(op.clone());
            self.spawn_operation(op, Some(desired));
        }
        Ok(ops)
    }

    fn release_all(&self, accepted: &[(Operation, Instance)]) {
        for (op, _) in accepted {
            self.driver.release(&op.instance_id);
        }
    }

    /// Runs an operation on this node, unless another node hosts its
    /// machine (that node picks it up) or it already runs here. A server
    /// that is not a named node runs every operation itself.
    pub(crate) fn spawn_operation(self: &Arc<Self>, op: Operation, desired: Option<Instance>) {
        if let (Some(host), Some(me)) = (op.node.as_deref(), self.node()) {
            if host != me {
                return;
            }
        }
        if !self.running_here(&op.id) {
            return;
        }
        let guard = self.work.enter();
        let engine = Arc::clone(self);
        // The round it belongs to is this one, taken before the task runs:
        // a release of every waiting transition that comes between the
        // accepted request and the task's first poll releases this one too.
        let round = self.time.round();
        tokio::spawn(async move {
            let id = op.id.clone();
            Arc::clone(&engine).run_operation(op, desired, round).await;
            engine.done_here(&id);
            drop(guard);
        });
    }

    /// Runs an operation through the driver and completes it; in manual
    /// mode it then waits for a release after `round`.
    async fn run_operation(self: Arc<Self>, op: Operation, desired: Option<Instance>, round: u64) {
        // Boxed: a task waits on its driver for the whole operation, and
        // should not reserve the driver's or the completion's state meanwhile.
        let outcome = Box::pin(self.carry_out(&op, desired)).await;
        // In manual mode the transition stays visible until a test lets it end.
        self.time.hold(&op.id, round).await;
        let mut backoff = Duration::from_millis(5);
        loop {
            match Box::pin(self.complete(&op.id, &outcome)).await {
                Ok(()) => return,
                Err(EngineError::ConcurrentModification(_)) => continue,
                Err(e) => {
                    tracing::warn!(operation = %op.id, error = %e, "completing an operation failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        }
    }

    /// The driver's part of an operation. A fault rule wraps the driver: the
    /// operation fails after its expected time and the machine is left as
    /// it was, never undone after the driver acted. A driver doing real work
    /// keeps its claim on the operation renewed for as long as it runs.
    async fn carry_out(
        &self,
        op: &Operation,
        desired: Option<Instance>,
    ) -> Result<Option<Machine>, DriverError> {
        if let Some(message) = &op.injected_failure {
            tokio::time::sleep(op.deadline.remaining_from(self.clock.now())).await;
            return Err(DriverError(message.clone()));
        }
        let (spec, observed) = self
            .machine_spec(op, desired)
            .await
            .map_err(|e| DriverError(format!("the machine could not be prepared: {e}")))?;
        let task = DriverTask {
            operation: op,
            spec: &spec,
            observed: observed.as_deref(),
        };
        if !self.driver.does_real_work() {
            return self.driver.execute(task).await;
        }
        let work = self.driver.execute(task);
        tokio::pin!(work);
        let lease = self.claim_lease();
        let mut renew = tokio::time::interval(lease / 2);
        renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                outcome = &mut work => return outcome,
                _ = renew.tick() => self.renew_claim(&op.id, lease).await,
            }
        }
    }

    /// Moves an operation's deadline ahead while its driver still works,
    /// so no other node sweeping the database takes it over.
    async fn renew_claim(&self, op_id: &str, lease: Duration) {
        let now = self.clock.now();
        let renewed = async {
            let Some(op) = self.store.operation(op_id).await? else {
                return Ok(());
            };
            if op.state != OperationState::Operating || op.deadline > now.after(lease) {
                return Ok(());
            }
            let mut next = op.clone();
            next.deadline = now.after(lease * 2);
            next.version = op.version + 1;
            let mut writes = WriteSet::new();
            writes.push(Change::Operation {
                record: Box::new(next),
                expect: Expect::Version(op.version),
            });
            self.store.commit(writes).await
        };
        if let Err(e) = renewed.await {
            tracing::warn!(operation = %op_id, error = %e, "renewing an operation's claim failed");
        }
    }

    /// The machine `op` should leave behind, with what was last observed of
    /// it. `desired` is the instance with the operation's plan applied, when
    /// the caller has it; otherwise (after a restart) it is read again.
    async fn machine_spec(
        &self,
        op: &Operation,
        desired: Option<Instance>,
    ) -> Result<(MachineSpec, Option<Box<Machine>>), EngineError> {
        let desired = match desired {
            Some(i) => i,
            None => {
                let mut i = self
                    .store
                    .instance(&op.account, &op.instance_id)
                    .await?
                    .ok_or_else(|| EngineError::InstanceNotFound(op.instance_id.clone()))?;
                apply_plan(&mut i, op);
                i
            }
        };
        let product = self.product(&desired.product)?;
        let powered_on = transition_for(&product.profile, op.kind, op.source_state)
            .is_some_and(|t| t.landing(op.source_state, true) == LifecycleState::Running);
        let public_keys = if desired.login.key_ids.is_empty() {
            Vec::new()
        } else {
            let pairs = self
                .store
                .key_pairs(&desired.account, &desired.product)
                .await?;
            desired
                .login
                .key_ids
                .iter()
                .filter_map(|id| pairs.iter().find(|k| &k.id == id))
                .map(|k| k.public_key.clone())
                .collect()
        };
        let disk = |d: &crate::model::Disk| DiskSpec {
            id: d.id.clone(),
            disk_type: d.disk_type.to_string(),
            size_gb: d.size_gb,
        };
        let spec = MachineSpec {
            account: desired.account.to_string(),
            instance_id: desired.id.clone(),
            uuid: desired.uuid,
            image_id: desired.image_id.to_string(),
            os_family: desired.os_family,
            cpu: desired.cpu,
            memory_gb: desired.memory_gb,
            system_disk: disk(&desired.system_disk),
            data_disks: desired.data_disks.iter().map(disk).collect(),
            host_name: desired.host_name.clone(),
            password_hash: desired.login.password_hash.as_deref().map(String::from),
            public_keys,
            user_data: desired.user_data.clone(),
            keep_image_login: desired.login.keep_image_login,
            private_ips: desired.private_ips.clone(),
            public_ips: desired.public_ips.clone(),
            powered_on,
        };
        Ok((spec, desired.machine))
    }

    /// Completes one operation exactly once: a finished operation is left alone.
    pub(crate) async fn complete(
        &self,
        op_id: &str,
        outcome: &Result<Option<Machine>, DriverError>,
    ) -> Result<(), EngineError> {
        let Some(op) = self.store.operation(op_id).await? else {
            return Ok(());
        };
        if op.state != OperationState::Operating {
            return Ok(());
        }
        let Some(instance) = self.store.instance(&op.account, &op.instance_id).await? else {
            return Err(EngineError::Internal(format!(
                "operation {op_id} lost its instance"
            )));
        };
        let product = self.product(&instance.product)?.clone();
        let transition =
            transition_for(&product.profile, op.kind, op.source_state).ok_or_else(|| {
                EngineError::Internal(format!(
                    "{:?} from {:?} is not a transition",
                    op.kind, op.source_state
                ))
            })?;
        let now = self.clock.now();
        let succeeded = outcome.is_ok();
        let error_message = outcome.as_ref().err().map(|e| e.0.clone());
        let (was, version) = (instance.state, instance.version);
        let mut next = instance;
        next.state = transition.landing(op.source_state, succeeded);
        if let Ok(observed) = outcome {
            apply_plan(&mut next, &op);
            if op.kind == OperationKind::Terminate {
                next.machine = None;
            } else if let Some(machine) = observed {
                next.machine = Some(Box::new(machine.clone()));
            }
        }
        if next.state == LifecycleState::Isolated && was != LifecycleState::Isolated {
            next.isolated_at = Some(now);
        }
        if let Some(latest) = next.latest_operation.as_mut() {
            if latest.operation_id == op.id {
                latest.state = if succeeded {
                    OperationState::Success
                } else {
                    OperationState::Failed
                };
                latest.error_message = error_message.as_deref().map(Box::from);
            }
        }
        next.version = version + 1;
        let op_version = op.version;
        let mut done = op;
        done.state = if succeeded {
            OperationState::Success
        } else {
            OperationState::Failed
        };
        done.finished_at = Some(now);
        done.error_message = error_message;
        done.version = op_version + 1;
        let (kind, state) = (
            crate::events::upper(&done.kind),
            crate::events::upper(&done.state),
        );
        let took = (now.0 - done.started_at.0).max(0) as f64 / 1000.0;
        let product = next.product.clone();
        let mut writes = WriteSet::new();
        writes.push(Change::Instance {
            record: Box::new(next),
            expect: Expect::Version(version),
        });
        writes.push(Change::Operation {
            record: Box::new(done),
            expect: Expect::Version(op_version),
        });
        self.store.commit(writes).await?;
        let metrics = crate::metrics::registry();
        metrics.count(
            "stratus_operations_total",
            "Operations finished, by product, kind and final state.",
            &[("product", &product), ("kind", &kind), ("state", &state)],
            1,
        );
        metrics.observe(
            "stratus_operation_duration_seconds",
            "How long finished operations took, accepted to finished.",
            &[("product", &product), ("kind", &kind)],
            took,
        );
        Ok(())
    }

    /// Sets every operation still in flight running again (after a restart
    /// of the only node); those past their deadline complete at once.
    /// Returns how many.
    pub async fn recover(self: &Arc<Self>) -> Result<usize, EngineError> {
        let ops = self.store.operations_in_flight().await?;
        let n = ops.len();
        for op in ops {
            self.spawn_operation(op, None);
        }
        Ok(n)
    }

    /// Takes over operations that their node should have completed more
    /// than `lease` ago (it died, or lost the database): each is claimed
    /// for `lease` and completed here. Completion is a compare-and-swap on
    /// the operation's version, so it happens once even if its node comes
    /// back. Every node of a cluster calls this periodically. Returns how
    /// many it took.
    pub async fn sweep_overdue(self: &Arc<Self>, lease: Duration) -> Result<usize, EngineError> {
        let ops = self.store.claim_overdue(self.clock.now(), lease).await?;
        let n = ops.len();
        for op in ops {
            tracing::info!(operation = %op.id, account = %op.account, "completing an overdue operation");
            self.spawn_operation(op, None);
        }
        Ok(n)
    }
}

/// What a successful operation changes beyond the state.
fn apply_plan(instance: &mut Instance, op: &Operation) {
    if op.kind == OperationKind::Start {
        // Billing resumes with the instance.
        instance.charging_stopped = false;
    }
    match &op.plan {
        OperationPlan::StateOnly => {}
        OperationPlan::Reinstall(plan) => {
            instance.image_id = plan.image_id.clone();
            instance.os_name = plan.os_name.clone();
            instance.os_family = plan.os_family;
            instance.platform = plan.platform.clone();
            instance.login = plan.login.clone();
            instance.system_disk.size_gb = plan.system_disk_size_gb;
            instance.system_disk.generation += 1;
            if let Some(t) = &plan.system_disk_type {
                instance.system_disk.disk_type = t.clone();
            }
            if let Some(id) = &plan.new_system_disk_id {
                // The old disk, and every snapshot of it, is no longer the instance's.
                for s in &mut instance.snapshots {
                    s.usable_for_rollback = false;
                }
                instance.system_disk.id = id.clone();
            }
            if let Some(h) = &plan.host_name {
                instance.host_name = h.clone();
            }
            if plan.user_data.is_some() {
                instance.user_data = plan.user_data.clone();
            }
        }
        OperationPlan::Password { password_hash } => {
            instance.login.password_hash = Some(password_hash.as_str().into());
            instance.login.keep_image_login = false;
        }
        OperationPlan::StopCharging => instance.charging_stopped = true,
        OperationPlan::Keys { key_ids } => match op.kind {
            OperationKind::DisassociateKeys => {
                instance.login.key_ids.retain(|k| !key_ids.contains(k))
            }
            _ => {
                for k in key_ids {
                    if !instance.login.key_ids.contains(k) {
                        instance.login.key_ids.push(k.clone());
                    }
                }
            }
        },
    }
}

/// The rule a password reset must meet, for the strictest OS family of the
/// batch: the product's reset policy, and on Windows no user name inside
/// the password (the image's `Administrator` when none is named).
fn check_new_password(
    profile: &crate::profile::ProductProfile,
    family: OsFamily,
    password: &str,
    user_name: Option<&str>,
) -> Result<(), EngineError> {
    let policy = profile
        .reset_passwords
        .as_ref()
        .unwrap_or(&profile.passwords);
    policy
        .rule(family)
        .check(password)
        .map_err(EngineError::InvalidPassword)?;
    let user = user_name
        .filter(|u| !u.is_empty())
        .unwrap_or("Administrator")
        .to_lowercase();
    if family == OsFamily::Windows && password.to_lowercase().contains(&user) {
        return Err(EngineError::InvalidPassword(
            crate::profile::PasswordViolation::ContainsUserName,
        ));
    }
    Ok(())
}
