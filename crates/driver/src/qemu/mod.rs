//! The QEMU driver: every instance is a real virtual machine on this host.
//!
//! Each VM has a directory under `--vm-dir` named after its instance, with a
//! qcow2 overlay on its image's file (the system disk), data disks, a
//! NoCloud seed, a QMP socket, the serial console's log and a state file
//! ([`vm::VmState`]). The guest's port 22 is forwarded to a free port on
//! 127.0.0.1. A VM is ready when its SSH port answers with an SSH banner,
//! which any image with an SSH server gives and nothing gives early.
//!
//! QEMU runs in its own process group and outlives Stratus: a restarted
//! server adopts the VMs still running (pid file and state) instead of
//! booting them again, and reports the ones that died. Every operation is
//! idempotent by id (see [`vm::VmState`]).

pub mod config;
mod disk;
mod process;
mod qmp;
mod seed;
mod vm;

pub use config::{ImageFile, QemuConfig, QemuSettings};

use async_trait::async_trait;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stratus_engine::lifecycle::{LifecycleState, OperationKind};
use stratus_engine::model::{Endpoint, Instance, Machine, Operation};
use stratus_engine::ports::{Driver, DriverError, DriverRefusal, DriverTask, Exit, MachineSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vm::{VmDir, VmState};

/// An image file with its size, ready to back overlays.
#[derive(Debug, Clone)]
struct BackingImage {
    file: ImageFile,
    bytes: u64,
}

/// The QEMU driver.
pub struct QemuDriver {
    config: QemuConfig,
    images: HashMap<String, Arc<BackingImage>>,
    /// Every VM this node hosts, by instance id (adopted at start).
    vms: Mutex<HashMap<String, VmState>>,
    /// Instances admitted for creation whose VM does not exist yet.
    reserved: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for QemuDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QemuDriver")
            .field("vm_dir", &self.config.vm_dir)
            .finish_non_exhaustive()
    }
}

/// The timing estimates recorded as deadlines (the real work renews them).
fn estimate(kind: OperationKind) -> Duration {
    Duration::from_secs(match kind {
        OperationKind::Create | OperationKind::Reinstall => 20,
        OperationKind::Start | OperationKind::Reboot => 15,
        OperationKind::ResetPassword
        | OperationKind::AssociateKeys
        | OperationKind::DisassociateKeys => 15,
        OperationKind::Stop | OperationKind::Isolate | OperationKind::Terminate => 10,
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl QemuDriver {
    /// Opens the VM directory, checks every image file, and adopts the VMs
    /// found there (running ones are left running).
    pub async fn open(config: QemuConfig) -> Result<Self, String> {
        tokio::fs::create_dir_all(&config.vm_dir)
            .await
            .map_err(|e| format!("cannot create {}: {e}", config.vm_dir.display()))?;
        let mut images = HashMap::new();
        for file in &config.images {
            let bytes = disk::virtual_size(&file.file).await?;
            for path in [&file.kernel, &file.initrd].into_iter().flatten() {
                if !path.is_file() {
                    return Err(format!("{} does not exist", path.display()));
                }
            }
            let backing = Arc::new(BackingImage {
                file: file.clone(),
                bytes,
            });
            for id in &file.ids {
                if images.insert(id.clone(), Arc::clone(&backing)).is_some() {
                    return Err(format!("the image id {id} is backed by two files"));
                }
            }
        }
        let mut vms = HashMap::new();
        let mut entries = tokio::fs::read_dir(&config.vm_dir)
            .await
            .map_err(|e| format!("cannot read {}: {e}", config.vm_dir.display()))?;
        while let Ok(Some(entry)) = entries.next_entry().await {
            let dir = VmDir(entry.path());
            match dir.load() {
                Ok(Some(state)) => {
                    let running = Self::live_pid(&dir, &state).is_some();
                    tracing::info!(instance = %state.instance_id, running, "adopted a VM");
                    vms.insert(state.instance_id.clone(), state);
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "skipping a VM directory"),
            }
        }
        Ok(Self {
            config,
            images,
            vms: Mutex::new(vms),
            reserved: Mutex::new(HashSet::new()),
        })
    }

    /// The VM's running process: the recorded one, or the one its pid file
    /// names (a crash can come between starting QEMU and recording it).
    fn live_pid(dir: &VmDir, state: &VmState) -> Option<u32> {
        state
            .pid
            .into_iter()
            .chain(dir.pid_from_file())
            .find(|p| process::runs(*p, dir.path()))
    }

    fn dir(&self, instance_id: &str) -> VmDir {
        VmDir(self.config.vm_dir.join(instance_id))
    }

    fn state(&self, instance_id: &str) -> Option<VmState> {
        lock(&self.vms).get(instance_id).cloned()
    }

    async fn save(&self, dir: &VmDir, state: &VmState) -> Result<(), DriverError> {
        dir.save(state).await.map_err(DriverError)?;
        lock(&self.vms).insert(state.instance_id.clone(), state.clone());
        Ok(())
    }

    fn facts(&self, dir: &VmDir, state: &VmState) -> Machine {
        let pid = Self::live_pid(dir, state);
        let running = pid.is_some();
        Machine {
            node: Some(self.config.node.clone()),
            ssh: state.ssh_port.filter(|_| running).map(|port| Endpoint {
                host: "127.0.0.1".into(),
                port,
            }),
            pid,
            console_log: Some(dir.console().display().to_string()),
            disk_path: Some(dir.disk().display().to_string()),
            disk_bytes: state.disk_bytes,
            boots: state.boots,
            stopped_reason: None,
        }
    }

    fn backing(&self, image_id: &str) -> Result<Arc<BackingImage>, DriverError> {
        self.images.get(image_id).cloned().ok_or_else(|| {
            DriverError(format!(
                "the image {image_id} has no disk file on this host"
            ))
        })
    }

    /// A new system disk from the spec's image, unless `op` already made it.
    async fn make_system_disk(
        &self,
        dir: &VmDir,
        state: &mut VmState,
        op: &Operation,
        spec: &MachineSpec,
    ) -> Result<(), DriverError> {
        if state.disk_op.as_deref() == Some(op.id.as_str()) {
            return Ok(());
        }
        let image = self.backing(&spec.image_id)?;
        let started = std::time::Instant::now();
        state.disk_bytes = disk::make_overlay(
            &image.file.file,
            image.bytes,
            spec.system_disk.size_gb,
            &dir.disk(),
        )
        .await
        .map_err(DriverError)?;
        tracing::info!(
            instance = %spec.instance_id,
            bytes = state.disk_bytes,
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "made a new system disk"
        );
        for (n, d) in spec.data_disks.iter().enumerate() {
            disk::make_blank(d.size_gb, &dir.data_disk(n))
                .await
                .map_err(DriverError)?;
        }
        state.image = Some(image.file.clone());
        state.disk_op = Some(op.id.clone());
        self.save(dir, state).await
    }

    /// A new seed with the spec's login under the guest instance-id `op`,
    /// unless `op` already wrote it.
    async fn write_seed(
        &self,
        dir: &VmDir,
        state: &mut VmState,
        op: &Operation,
        spec: &MachineSpec,
    ) -> Result<(), DriverError> {
        if state.seed_op.as_deref() == Some(op.id.as_str()) {
            return Ok(());
        }
        let seed = seed::seed(spec, &op.id);
        seed::write_iso(&seed, dir.path(), &dir.seed())
            .await
            .map_err(DriverError)?;
        state.seed_op = Some(op.id.clone());
        self.save(dir, state).await
    }

    /// Boots the VM for `op` and waits until it is ready; a VM that `op`
    /// already booted is only waited for.
    async fn boot(
        &self,
        dir: &VmDir,
        state: &mut VmState,
        op: &Operation,
        spec: &MachineSpec,
    ) -> Result<(), DriverError> {
        let running = Self::live_pid(dir, state);
        if running.is_some() && state.pid != running {
            state.pid = running;
            self.save(dir, state).await?;
        }
        if running.is_none() || state.boot_op.as_deref() != Some(op.id.as_str()) {
            if let Some(pid) = running {
                // Running since an earlier operation: nothing to boot.
                state.pid = Some(pid);
            } else {
                // The intent is recorded first: a crash after the spawn finds
                // this operation's VM running and only waits for it.
                state.boot_op = Some(op.id.clone());
                state.ssh_port = Some(free_port(state.ssh_port).map_err(DriverError)?);
                self.save(dir, state).await?;
                let pid = self.spawn(dir, state, spec).await?;
                state.pid = Some(pid);
                state.boots += 1;
                self.save(dir, state).await?;
            }
        }
        let pid = state
            .pid
            .ok_or_else(|| DriverError("the VM has no process".into()))?;
        let port = state
            .ssh_port
            .ok_or_else(|| DriverError("the VM has no SSH port".into()))?;
        if let Err(not_ready) = self.wait_ready(dir, pid, port).await {
            // A guest that never came up is not left running behind a
            // failed operation.
            self.power_off(dir, state, true).await?;
            return Err(not_ready);
        }
        Ok(())
    }

    async fn spawn(
        &self,
        dir: &VmDir,
        state: &VmState,
        spec: &MachineSpec,
    ) -> Result<u32, DriverError> {
        let image = state
            .image
            .as_ref()
            .ok_or_else(|| DriverError("the VM has no system disk".into()))?;
        let settings = &self.config.settings;
        let memory_mb = settings
            .memory_mb
            .unwrap_or_else(|| spec.memory_gb.saturating_mul(1024))
            .max(128);
        let cpus = spec.cpu.clamp(1, settings.max_cpus.max(1));
        let port = state
            .ssh_port
            .ok_or_else(|| DriverError("the VM has no SSH port".into()))?;
        let _ = tokio::fs::remove_file(dir.qmp()).await;
        let _ = tokio::fs::remove_file(dir.pid_file()).await;
        let log = std::fs::File::create(dir.qemu_log())
            .map_err(|e| DriverError(format!("cannot create {}: {e}", dir.qemu_log().display())))?;
        let mut cmd = tokio::process::Command::new(&settings.binary);
        cmd.arg("-name")
            .arg(format!("stratus-{}", spec.instance_id))
            .args(["-accel", &settings.accelerator, "-M", "q35"])
            .args(["-smp", &cpus.to_string(), "-m", &memory_mb.to_string()])
            .args([
                "-nodefaults",
                "-no-user-config",
                "-display",
                "none",
                "-vga",
                "none",
            ]);
        if let Some(kernel) = &image.kernel {
            cmd.arg("-kernel").arg(kernel);
            if let Some(initrd) = &image.initrd {
                cmd.arg("-initrd").arg(initrd);
            }
            if let Some(append) = &image.append {
                cmd.arg("-append").arg(append);
            }
        }
        cmd.arg("-drive").arg(drive(&dir.disk(), "qcow2", false));
        for n in 0..spec.data_disks.len() {
            cmd.arg("-drive")
                .arg(drive(&dir.data_disk(n), "qcow2", false));
        }
        cmd.arg("-drive").arg(drive(&dir.seed(), "raw", true));
        cmd.arg("-nic").arg(format!(
            "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:{port}-:22"
        ));
        cmd.args(["-device", "virtio-rng-pci"]);
        cmd.arg("-chardev").arg(format!(
            "file,id=console,path={},append=on",
            dir.console().display()
        ));
        cmd.args(["-serial", "chardev:console"]);
        cmd.arg("-qmp")
            .arg(format!("unix:{},server=on,wait=off", dir.qmp().display()));
        cmd.arg("-pidfile").arg(dir.pid_file());
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(log)
            // Its own process group: a signal to the server's group (Ctrl-C)
            // leaves the VMs running, to be adopted at the next start.
            .process_group(0)
            .kill_on_drop(false);
        let mut child = cmd
            .spawn()
            .map_err(|e| DriverError(format!("cannot start {}: {e}", settings.binary)))?;
        let pid = child
            .id()
            .ok_or_else(|| DriverError("QEMU exited at once".into()))?;
        // Until QEMU has written its pid file, the process may still be the
        // fork of this server (not yet QEMU), or QEMU refusing its options.
        let started = tokio::time::Instant::now();
        while !dir.pid_file().exists() {
            if let Ok(Some(status)) = child.try_wait() {
                let why = std::fs::read_to_string(dir.qemu_log()).unwrap_or_default();
                return Err(DriverError(format!(
                    "QEMU exited at start ({status}): {}",
                    why.trim()
                )));
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.start_kill();
                return Err(DriverError("QEMU did not start within 30 s".into()));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Reaped here as soon as it exits, so it is never seen as a zombie.
        tokio::spawn(async move {
            let _ = child.wait().await;
        });
        Ok(pid)
    }

    /// Waits for the guest's SSH banner; fails if the VM dies first or the
    /// boot timeout passes, with the end of its console as the reason.
    async fn wait_ready(&self, dir: &VmDir, pid: u32, port: u16) -> Result<(), DriverError> {
        let limit = Duration::from_secs_f64(self.config.settings.boot_timeout.max(1.0));
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if !process::runs(pid, dir.path()) {
                let why = std::fs::read_to_string(dir.qemu_log()).unwrap_or_default();
                return Err(DriverError(format!(
                    "the VM stopped while booting: {} {}",
                    why.trim(),
                    last_line(&dir.console_tail(2048))
                )));
            }
            if ssh_banner(port).await {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(DriverError(format!(
                    "the guest did not answer on SSH within {limit:?}; console: {}",
                    last_line(&dir.console_tail(2048))
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Powers the VM off: hard at once, or by ACPI with a timeout and then
    /// hard. Nothing to do if it is not running.
    async fn power_off(
        &self,
        dir: &VmDir,
        state: &mut VmState,
        hard: bool,
    ) -> Result<(), DriverError> {
        if let Some(pid) = Self::live_pid(dir, state) {
            let qmp_limit = Duration::from_secs(5);
            let mut gone = false;
            if !hard {
                let timeout =
                    Duration::from_secs_f64(self.config.settings.powerdown_timeout.max(0.0));
                if qmp::execute(&dir.qmp(), "system_powerdown", None, qmp_limit)
                    .await
                    .is_ok()
                {
                    gone = process::wait_gone(pid, dir.path(), timeout).await;
                }
                if !gone {
                    tracing::info!(instance = %state.instance_id, "the guest did not power off in time; stopping it hard");
                }
            }
            if !gone {
                let _ = qmp::execute(&dir.qmp(), "quit", None, qmp_limit).await;
                if !process::wait_gone(pid, dir.path(), Duration::from_secs(5)).await {
                    process::kill(pid, dir.path());
                    if !process::wait_gone(pid, dir.path(), Duration::from_secs(10)).await {
                        return Err(DriverError(format!("the VM process {pid} does not stop")));
                    }
                }
            }
        }
        state.pid = None;
        self.save(dir, state).await
    }

    async fn run(&self, task: DriverTask<'_>) -> Result<Option<Machine>, DriverError> {
        let op = task.operation;
        let spec = task.spec;
        let dir = self.dir(&spec.instance_id);
        let mut state = match self.state(&spec.instance_id) {
            Some(s) => s,
            None if op.kind == OperationKind::Create => {
                tokio::fs::create_dir_all(dir.path()).await.map_err(|e| {
                    DriverError(format!("cannot create {}: {e}", dir.path().display()))
                })?;
                VmState {
                    account: spec.account.clone(),
                    instance_id: spec.instance_id.clone(),
                    ..VmState::default()
                }
            }
            // A terminate run again after its VM was removed: done.
            None if op.kind == OperationKind::Terminate => return Ok(None),
            None => {
                return Err(DriverError(format!(
                    "the VM of {} is not on this host",
                    spec.instance_id
                )))
            }
        };
        match op.kind {
            OperationKind::Create => {
                self.make_system_disk(&dir, &mut state, op, spec).await?;
                lock(&self.reserved).remove(&spec.instance_id);
                self.write_seed(&dir, &mut state, op, spec).await?;
                if spec.powered_on {
                    self.boot(&dir, &mut state, op, spec).await?;
                }
            }
            OperationKind::Start => self.boot(&dir, &mut state, op, spec).await?,
            OperationKind::Stop | OperationKind::Isolate => {
                self.power_off(&dir, &mut state, op.hard).await?
            }
            OperationKind::Reboot => {
                if state.boot_op.as_deref() != Some(op.id.as_str()) {
                    self.power_off(&dir, &mut state, op.hard).await?;
                }
                self.boot(&dir, &mut state, op, spec).await?;
            }
            OperationKind::Reinstall => {
                if state.disk_op.as_deref() != Some(op.id.as_str()) {
                    // The disk is discarded anyway: no need to ask the guest.
                    self.power_off(&dir, &mut state, true).await?;
                }
                self.make_system_disk(&dir, &mut state, op, spec).await?;
                self.write_seed(&dir, &mut state, op, spec).await?;
                if spec.powered_on {
                    self.boot(&dir, &mut state, op, spec).await?;
                }
            }
            OperationKind::ResetPassword
            | OperationKind::AssociateKeys
            | OperationKind::DisassociateKeys => {
                // The guest applies a login once per instance-id: a new seed,
                // and a running VM boots again to read it.
                self.write_seed(&dir, &mut state, op, spec).await?;
                if op.source_state == LifecycleState::Running {
                    if state.boot_op.as_deref() != Some(op.id.as_str()) {
                        self.power_off(&dir, &mut state, false).await?;
                    }
                    self.boot(&dir, &mut state, op, spec).await?;
                }
            }
            OperationKind::Terminate => {
                self.power_off(&dir, &mut state, true).await?;
                tokio::fs::remove_dir_all(dir.path())
                    .await
                    .or_else(|e| {
                        if e.kind() == std::io::ErrorKind::NotFound {
                            Ok(())
                        } else {
                            Err(e)
                        }
                    })
                    .map_err(|e| {
                        DriverError(format!("cannot remove {}: {e}", dir.path().display()))
                    })?;
                lock(&self.vms).remove(&spec.instance_id);
                return Ok(None);
            }
        }
        Ok(Some(self.facts(&dir, &state)))
    }
}

#[async_trait]
impl Driver for QemuDriver {
    fn duration(&self, kind: OperationKind, _instance: &Instance) -> Duration {
        estimate(kind)
    }

    fn does_real_work(&self) -> bool {
        true
    }

    fn admit(&self, kind: OperationKind, desired: &Instance) -> Result<(), DriverRefusal> {
        if matches!(kind, OperationKind::Create | OperationKind::Reinstall)
            && !self.images.contains_key(desired.image_id.as_str())
        {
            return Err(DriverRefusal::ImageUnavailable(
                desired.image_id.to_string(),
            ));
        }
        Ok(())
    }

    fn reserve(&self, instance_id: &str) -> Result<(), DriverRefusal> {
        let hosted = lock(&self.vms).len();
        let mut reserved = lock(&self.reserved);
        if hosted + reserved.len() >= self.config.settings.max_vms {
            return Err(DriverRefusal::NoCapacity(format!(
                "this host keeps at most {} machines",
                self.config.settings.max_vms
            )));
        }
        reserved.insert(instance_id.to_string());
        Ok(())
    }

    fn load(&self) -> Option<(usize, usize)> {
        let hosted = lock(&self.vms).len() + lock(&self.reserved).len();
        Some((hosted, self.config.settings.max_vms))
    }

    fn release(&self, instance_id: &str) {
        lock(&self.reserved).remove(instance_id);
    }

    async fn execute(&self, task: DriverTask<'_>) -> Result<Option<Machine>, DriverError> {
        let outcome = self.run(task).await;
        if let Err(e) = &outcome {
            tracing::warn!(instance = %task.spec.instance_id, operation = %task.operation.id, error = %e, "a VM operation failed");
        }
        outcome
    }

    async fn exits(&self) -> Vec<Exit> {
        let vms: Vec<VmState> = lock(&self.vms).values().cloned().collect();
        vms.into_iter()
            .filter_map(|s| {
                let pid = s.pid?;
                let dir = self.dir(&s.instance_id);
                Self::live_pid(&dir, &s).is_none().then(|| Exit {
                    account: s.account.clone(),
                    instance_id: s.instance_id.clone(),
                    pid,
                    reason: format!(
                        "the VM's process {pid} ended without being asked to stop; console: {}",
                        last_line(&dir.console_tail(2048))
                    ),
                })
            })
            .collect()
    }

    fn resident_bytes(&self, pid: u32) -> Option<u64> {
        // Only a process that is one of this driver's VMs.
        process::runs(pid, &self.config.vm_dir).then(|| process::resident_bytes(pid))?
    }

    async fn running(&self) -> Vec<(String, String, Machine)> {
        let vms: Vec<VmState> = lock(&self.vms).values().cloned().collect();
        vms.into_iter()
            .filter_map(|s| {
                let dir = self.dir(&s.instance_id);
                Self::live_pid(&dir, &s)?;
                Some((
                    s.account.clone(),
                    s.instance_id.clone(),
                    self.facts(&dir, &s),
                ))
            })
            .collect()
    }

    async fn console(&self, instance_id: &str, bytes: u64) -> Option<String> {
        self.state(instance_id)?;
        Some(self.dir(instance_id).console_tail(bytes))
    }
}

fn drive(file: &Path, format: &str, read_only: bool) -> String {
    // Commas in a path would end QEMU's option value; they are doubled.
    let file = file.display().to_string().replace(',', ",,");
    let mut d = format!("file={file},if=virtio,format={format}");
    if read_only {
        d.push_str(",readonly=on");
    } else {
        d.push_str(",discard=unmap");
    }
    d
}

/// A free port on 127.0.0.1: `preferred` if it is free (a VM keeps its
/// port across boots), else one the system hands out.
fn free_port(preferred: Option<u16>) -> Result<u16, String> {
    if let Some(p) = preferred {
        if std::net::TcpListener::bind(("127.0.0.1", p)).is_ok() {
            return Ok(p);
        }
    }
    let l = std::net::TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

/// True if an SSH server answers on the port. QEMU's user networking
/// accepts a connection before the guest listens, so only the banner counts.
async fn ssh_banner(port: u16) -> bool {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        let mut banner = [0u8; 4];
        stream.read_exact(&mut banner).await.ok()?;
        let _ = stream.shutdown().await;
        Some(&banner == b"SSH-")
    };
    tokio::time::timeout(Duration::from_millis(1500), attempt)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .chars()
        .take(300)
        .collect()
}
