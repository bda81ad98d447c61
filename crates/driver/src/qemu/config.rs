//! What the QEMU driver is configured with: where VMs live, the image files
//! behind vendor image ids, and the host's limits.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One `[[images]]` entry: a qcow2 file (never modified; every instance gets
/// an overlay on it) and the vendor image ids it backs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageFile {
    pub file: PathBuf,
    pub ids: Vec<String>,
    /// Boot this kernel directly (with `initrd` and `append`) instead of the
    /// disk's own boot loader: faster, and what the tiny test image uses.
    #[serde(default)]
    pub kernel: Option<PathBuf>,
    #[serde(default)]
    pub initrd: Option<PathBuf>,
    #[serde(default)]
    pub append: Option<String>,
}

/// The `[qemu]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QemuSettings {
    /// The emulator to run.
    pub binary: String,
    /// `tcg` (software, works everywhere) or `kvm`.
    pub accelerator: String,
    /// Memory of every VM in MiB, whatever its plan says (`None`: the plan's).
    pub memory_mb: Option<u32>,
    /// The most virtual CPUs a VM gets, whatever its plan says.
    pub max_cpus: u32,
    /// The most machines this host keeps (running or stopped).
    pub max_vms: usize,
    /// Seconds a guest may take to answer on its SSH port after a boot.
    pub boot_timeout: f64,
    /// Seconds a guest may take to power off after an ACPI power-down
    /// before it is stopped hard.
    pub powerdown_timeout: f64,
}

impl Default for QemuSettings {
    fn default() -> Self {
        Self {
            binary: "qemu-system-x86_64".into(),
            accelerator: "tcg".into(),
            memory_mb: None,
            max_cpus: 2,
            max_vms: 16,
            boot_timeout: 300.0,
            powerdown_timeout: 60.0,
        }
    }
}

/// Everything the QEMU driver needs.
#[derive(Debug, Clone, PartialEq)]
pub struct QemuConfig {
    /// One directory per VM is kept under it.
    pub vm_dir: PathBuf,
    pub images: Vec<ImageFile>,
    pub settings: QemuSettings,
    /// This node's name, recorded on every machine it hosts.
    pub node: String,
}
