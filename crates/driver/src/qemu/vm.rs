//! One VM's directory and the state the driver keeps in it. The state file
//! is what makes work resumable: it records which operation last made the
//! system disk, wrote the seed and booted the process, so an operation run
//! again after a restart skips every step it already did.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What the driver records of one VM (`state.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmState {
    pub account: String,
    pub instance_id: String,
    /// The image file the system disk is an overlay on, and how it boots.
    pub image: Option<crate::qemu::config::ImageFile>,
    /// The operation that last made the system disk.
    pub disk_op: Option<String>,
    /// The operation that last wrote the seed (the guest's instance-id).
    pub seed_op: Option<String>,
    /// The operation that last booted the VM.
    pub boot_op: Option<String>,
    /// The QEMU process, while it runs.
    pub pid: Option<u32>,
    /// Host port forwarded to the guest's port 22.
    pub ssh_port: Option<u16>,
    pub boots: u32,
    pub disk_bytes: u64,
}

/// The files of one VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmDir(pub PathBuf);

impl VmDir {
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn state(&self) -> PathBuf {
        self.0.join("state.json")
    }
    pub fn disk(&self) -> PathBuf {
        self.0.join("disk.qcow2")
    }
    pub fn data_disk(&self, n: usize) -> PathBuf {
        self.0.join(format!("data-{n}.qcow2"))
    }
    pub fn seed(&self) -> PathBuf {
        self.0.join("seed.iso")
    }
    pub fn qmp(&self) -> PathBuf {
        self.0.join("qmp.sock")
    }
    pub fn console(&self) -> PathBuf {
        self.0.join("console.log")
    }
    pub fn qemu_log(&self) -> PathBuf {
        self.0.join("qemu.log")
    }
    pub fn pid_file(&self) -> PathBuf {
        self.0.join("qemu.pid")
    }

    /// The pid QEMU wrote at its start, if the file is there.
    pub fn pid_from_file(&self) -> Option<u32> {
        std::fs::read_to_string(self.pid_file())
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }

    /// Reads the state file, if the VM has one.
    pub fn load(&self) -> Result<Option<VmState>, String> {
        match std::fs::read(self.state()) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("{} is corrupt: {e}", self.state().display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", self.state().display())),
        }
    }

    /// Writes the state file atomically (a crash leaves the old or the new).
    pub async fn save(&self, state: &VmState) -> Result<(), String> {
        let text = serde_json::to_vec_pretty(state).map_err(|e| e.to_string())?;
        let partial = self.0.join("state.json.partial");
        tokio::fs::write(&partial, text)
            .await
            .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
        tokio::fs::rename(&partial, self.state())
            .await
            .map_err(|e| format!("cannot replace {}: {e}", self.state().display()))
    }

    /// The last `bytes` of the serial console.
    pub fn console_tail(&self, bytes: u64) -> String {
        use std::io::{Read, Seek, SeekFrom};
        let Ok(mut f) = std::fs::File::open(self.console()) else {
            return String::new();
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = f.seek(SeekFrom::Start(len.saturating_sub(bytes)));
        let mut buf = Vec::new();
        let _ = f.take(bytes).read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    }
}
