//! Several nodes hosting real machines on one database: each machine lives
//! on one node, recorded on the instance and on every operation for it, and
//! only that node runs those operations. A node heartbeats its load; a new
//! machine goes to the least loaded node with room; a node that stops
//! heartbeating is gone, and its machines are observed stopped with that
//! reason, never taken over and booted a second time elsewhere.

use super::Engine;
use crate::error::EngineError;
use crate::lifecycle::LifecycleState;
use crate::ports::{Change, DriverError, DriverRefusal, Expect, NodeStatus, WriteSet};
use std::sync::Arc;
use std::time::Duration;

impl Engine {
    /// Names this node: from now on it runs only the operations of the
    /// machines it hosts, and places new ones by load.
    pub fn set_node(&self, name: &str, timeout: Duration) {
        let _ = self.node.set(name.to_string());
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.node_timeout_ms
            .store(ms.max(1), std::sync::atomic::Ordering::Relaxed);
    }

    /// This node's name, once it has one.
    pub fn node(&self) -> Option<&str> {
        self.node.get().map(String::as_str)
    }

    fn node_timeout(&self) -> Duration {
        Duration::from_millis(
            self.node_timeout_ms
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// Marks `op_id` as running here; false if it already was.
    pub(crate) fn running_here(&self, op_id: &str) -> bool {
        self.here
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(op_id.to_string())
    }

    pub(crate) fn done_here(&self, op_id: &str) {
        self.here
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(op_id);
    }

    /// Where a new machine goes: this node, reserved in its driver, or the
    /// least loaded other live node with room (`None`: no nodes, one
    /// server runs everything).
    pub(crate) async fn place(&self, instance_id: &str) -> Result<Option<String>, DriverRefusal> {
        let Some(me) = self.node() else {
            return self.driver.reserve(instance_id).map(|()| None);
        };
        let (hosted, capacity) = self.driver.load().unwrap_or((0, usize::MAX));
        let share = |hosted: usize, capacity: usize| hosted as f64 / capacity.max(1) as f64;
        let now = self.clock.now();
        let others = self.store.nodes().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "reading the nodes failed; placing here");
            Vec::new()
        });
        let best_other = others
            .into_iter()
            .filter(|n| n.name != me && n.seen_at >= now.before(self.node_timeout()))
            .filter(|n| n.hosted < n.capacity)
            .min_by(|a, b| share(a.hosted, a.capacity).total_cmp(&share(b.hosted, b.capacity)));
        let here_fits = hosted < capacity;
        match best_other {
            Some(other)
                if !here_fits || share(other.hosted, other.capacity) < share(hosted, capacity) =>
            {
                Ok(Some(other.name))
            }
            _ => self
                .driver
                .reserve(instance_id)
                .map(|()| Some(me.to_string())),
        }
    }

    /// Records this node's load for the others to place by.
    pub async fn heartbeat(&self) -> Result<(), EngineError> {
        let Some(me) = self.node() else {
            return Ok(());
        };
        let (hosted, capacity) = self.driver.load().unwrap_or((0, usize::MAX));
        let status = NodeStatus {
            name: me.to_string(),
            hosted,
            capacity,
            seen_at: self.clock.now(),
        };
        Ok(self.store.heartbeat(&status).await?)
    }

    /// Starts the operations of this node's machines that another node
    /// accepted (or that were in flight when this node stopped). Returns
    /// how many it found.
    pub async fn run_hosted_operations(self: &Arc<Self>) -> Result<usize, EngineError> {
        let Some(me) = self.node() else {
            return Ok(0);
        };
        let ops = self.store.operations_on(me).await?;
        let n = ops.len();
        for op in ops {
            self.spawn_operation(op, None);
        }
        Ok(n)
    }

    /// Fails the operations of nodes that stopped heartbeating and records
    /// their running machines as stopped, with why. Returns how many
    /// instances changed.
    pub async fn reap_gone_nodes(&self) -> Result<usize, EngineError> {
        let Some(me) = self.node() else {
            return Ok(0);
        };
        let now = self.clock.now();
        let mut changed = 0;
        for node in self.store.nodes().await? {
            if node.name == me || node.seen_at >= now.before(self.node_timeout()) {
                self.gone
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&node.name);
                continue;
            }
            let reason = format!(
                "the node {} hosting this machine stopped answering at {}",
                node.name,
                node.seen_at.iso8601()
            );
            let mut hit = Vec::new();
            for op in self.store.operations_on(&node.name).await? {
                self.complete(&op.id, &Err(DriverError(reason.clone())))
                    .await?;
                hit.push((op.account.clone(), op.instance_id.clone()));
            }
            let first_time = self
                .gone
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(node.name.clone());
            if first_time {
                tracing::warn!(node = %node.name, "a node is gone; its machines are stopped");
                for account in self.accounts.all() {
                    for i in self.instances(&account.name).await? {
                        if i.machine.as_ref().and_then(|m| m.node.as_deref()) == Some(&node.name) {
                            hit.push((i.account.to_string(), i.id.clone()));
                        }
                    }
                }
            }
            for (account, id) in hit {
                if self.mark_stopped(&account, &id, None, &reason).await? {
                    changed += 1;
                }
            }
        }
        Ok(changed)
    }

    /// Records a stopped instance whose machine is observed running (a node
    /// that was taken for gone came back with its machines still up) as
    /// running, with what is observed. True if it changed.
    pub(crate) async fn mark_running(
        &self,
        account: &str,
        id: &str,
        machine: crate::model::Machine,
    ) -> Result<bool, EngineError> {
        let Some(instance) = self.store.instance(account, id).await? else {
            return Ok(false);
        };
        if instance.state != LifecycleState::Stopped || instance.has_operation_in_flight() {
            return Ok(false);
        }
        tracing::info!(instance = %instance.id, account = %instance.account, "a stopped machine is observed running");
        let mut next = instance.clone();
        next.state = LifecycleState::Running;
        next.machine = Some(Box::new(machine));
        self.observe(&instance, next).await
    }

    /// Records a running instance as stopped with `reason`, if it still
    /// runs with no operation in flight (and, when `pid` is given, on that
    /// process). True if it changed.
    pub(crate) async fn mark_stopped(
        &self,
        account: &str,
        id: &str,
        pid: Option<u32>,
        reason: &str,
    ) -> Result<bool, EngineError> {
        let Some(instance) = self.store.instance(account, id).await? else {
            return Ok(false);
        };
        let on_that_process =
            pid.is_none() || instance.machine.as_ref().is_some_and(|m| m.pid == pid);
        if instance.state != LifecycleState::Running
            || instance.has_operation_in_flight()
            || !on_that_process
        {
            return Ok(false);
        }
        tracing::info!(instance = %instance.id, account = %instance.account, %reason, "a machine stopped on its own");
        let mut next = instance.clone();
        next.state = LifecycleState::Stopped;
        let machine = next.machine.get_or_insert_with(Default::default);
        machine.pid = None;
        machine.ssh = None;
        machine.stopped_reason = Some(reason.to_string());
        self.observe(&instance, next).await
    }

    /// Commits what was observed of `instance` as `next`, unless the record
    /// changed meanwhile (the next round looks again). True if it changed.
    async fn observe(
        &self,
        instance: &crate::model::Instance,
        mut next: crate::model::Instance,
    ) -> Result<bool, EngineError> {
        next.version = instance.version + 1;
        let mut writes = WriteSet::new();
        writes.push(Change::Instance {
            record: Box::new(next),
            expect: Expect::Version(instance.version),
        });
        match self.store.commit(writes).await {
            Ok(()) => Ok(true),
            Err(crate::ports::StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
