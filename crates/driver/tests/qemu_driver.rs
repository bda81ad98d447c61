//! The QEMU driver against real VMs (TCG, the tiny test image built by
//! scripts/tiny-image.sh, which installs QEMU first): the Driver port's
//! contract at the driver itself — an operation executed again after it
//! was done (a restart re-running operations in flight) does not do its
//! work twice; a reinstall makes a new disk once; terminate leaves nothing.

use std::path::{Path, PathBuf};
use std::process::Command;
use stratus_driver::qemu::{ImageFile, QemuConfig, QemuDriver, QemuSettings};
use stratus_engine::catalog::OsFamily;
use stratus_engine::clock::Timestamp;
use stratus_engine::lifecycle::{LifecycleState, OperationKind};
use stratus_engine::model::{Machine, Operation, OperationPlan, OperationState};
use stratus_engine::ports::{DiskSpec, Driver, DriverError, DriverTask, MachineSpec};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The tiny image, built (and QEMU installed) by the project's script.
fn image() -> PathBuf {
    let cache = std::env::var_os("STRATUS_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/stratus")))
        .expect("a cache directory");
    let dir = cache.join("tiny-image");
    let built = Command::new(root().join("scripts/tiny-image.sh"))
        .arg(&dir)
        .status()
        .expect("scripts/tiny-image.sh runs");
    assert!(built.success(), "scripts/tiny-image.sh failed: {built}");
    dir
}

/// Kills whatever VM a failed test left under its directory, and removes it.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = Command::new("pkill")
            .arg("-9")
            .arg("-f")
            .arg(&self.0)
            .status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn spec(id: &str, powered_on: bool) -> MachineSpec {
    MachineSpec {
        account: "a".into(),
        instance_id: id.into(),
        uuid: Default::default(),
        image_id: "tiny".into(),
        os_family: OsFamily::Linux,
        cpu: 1,
        memory_gb: 1,
        system_disk: DiskSpec {
            id: "disk-1".into(),
            disk_type: "SSD".into(),
            size_gb: 1,
        },
        data_disks: vec![],
        host_name: "vm".into(),
        password_hash: None,
        public_keys: vec![],
        user_data: None,
        keep_image_login: false,
        private_ips: vec![],
        public_ips: vec![],
        powered_on,
    }
}

fn op(id: &str, instance: &str, kind: OperationKind, source: LifecycleState) -> Operation {
    Operation {
        id: id.into(),
        account: "a".into(),
        instance_id: instance.into(),
        kind,
        action: "Test".into(),
        request_id: "r".into(),
        state: OperationState::Operating,
        source_state: source,
        plan: OperationPlan::StateOnly,
        started_at: Timestamp(0),
        deadline: Timestamp(0),
        finished_at: None,
        error_message: None,
        injected_failure: None,
        hard: false,
        node: None,
        version: 1,
    }
}

async fn run(
    driver: &QemuDriver,
    operation: &Operation,
    spec: &MachineSpec,
) -> Result<Option<Machine>, DriverError> {
    driver
        .execute(DriverTask {
            operation,
            spec,
            observed: None,
        })
        .await
}

/// The file behind a path: a disk made anew is a new file (its contents
/// change as the guest writes, so times would not tell).
fn file_id(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).expect("the disk exists").ino()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_done_once_is_not_done_again_and_terminate_leaves_nothing() {
    let image = image();
    let vm_dir = std::env::temp_dir().join(format!("stratus-qemu-driver-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&vm_dir);
    let _cleanup = Cleanup(vm_dir.clone());
    let driver = QemuDriver::open(QemuConfig {
        vm_dir: vm_dir.clone(),
        images: vec![ImageFile {
            file: image.join("tiny.qcow2"),
            ids: vec!["tiny".into()],
            kernel: Some(image.join("vmlinuz")),
            initrd: Some(image.join("initrd.img")),
            append: Some("console=ttyS0 root=/dev/vda rw quiet".into()),
        }],
        settings: QemuSettings {
            memory_mb: Some(128),
            max_cpus: 1,
            boot_timeout: 240.0,
            powerdown_timeout: 30.0,
            ..QemuSettings::default()
        },
        node: "n1".into(),
    })
    .await
    .expect("the driver opens");
    let running = spec("vm-1", true);

    let create = op(
        "op-create",
        "vm-1",
        OperationKind::Create,
        LifecycleState::Pending,
    );
    let first = run(&driver, &create, &running)
        .await
        .expect("created")
        .expect("observed");
    let pid = first.pid.expect("running");
    assert_eq!((first.boots, first.node.as_deref()), (1, Some("n1")));
    let disk = vm_dir.join("vm-1/disk.qcow2");
    let made = file_id(&disk);

    // The same create again (a restart found it in flight): the VM it
    // booted is only waited for, the disk is not made again.
    let again = run(&driver, &create, &running)
        .await
        .expect("again")
        .expect("observed");
    assert_eq!((again.pid, again.boots), (Some(pid), 1));
    assert_eq!(file_id(&disk), made);

    // A reinstall makes a new disk and boots it; done again, nothing more.
    let reinstall = op(
        "op-reinstall",
        "vm-1",
        OperationKind::Reinstall,
        LifecycleState::Running,
    );
    let reinstalled = run(&driver, &reinstall, &running)
        .await
        .expect("reinstalled")
        .expect("observed");
    let new_disk = file_id(&disk);
    assert_ne!(new_disk, made, "a new system disk");
    assert_ne!(reinstalled.pid, Some(pid));
    let twice = run(&driver, &reinstall, &running)
        .await
        .expect("again")
        .expect("observed");
    assert_eq!(
        (twice.pid, twice.boots),
        (reinstalled.pid, reinstalled.boots)
    );
    assert_eq!(file_id(&disk), new_disk, "not wiped again");

    // A hard stop, then terminate: nothing is left.
    let mut stop = op(
        "op-stop",
        "vm-1",
        OperationKind::Stop,
        LifecycleState::Running,
    );
    stop.hard = true;
    let stopped = run(&driver, &stop, &spec("vm-1", false))
        .await
        .expect("stopped")
        .expect("observed");
    assert_eq!(stopped.pid, None);
    let terminate = op(
        "op-terminate",
        "vm-1",
        OperationKind::Terminate,
        LifecycleState::Stopped,
    );
    assert_eq!(
        run(&driver, &terminate, &spec("vm-1", false)).await,
        Ok(None)
    );
    assert!(!vm_dir.join("vm-1").exists());
    assert_eq!(
        run(&driver, &terminate, &spec("vm-1", false)).await,
        Ok(None),
        "done again: done"
    );
}
