//! The host processes of VMs: is one still running, and stopping it. A
//! process is only ever taken for a VM's if its command line names the VM's
//! directory, so a recycled pid is never mistaken for (or killed as) a VM.

use std::path::Path;
use std::time::Duration;

/// True if `pid` runs and is the QEMU of the VM in `vm_dir`. A zombie
/// (exited, not yet reaped) does not run.
pub fn runs(pid: u32, vm_dir: &Path) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the parenthesised command name, which may hold spaces.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    if matches!(state, Some("Z" | "X") | None) {
        return false;
    }
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let needle = vm_dir.as_os_str().as_encoded_bytes();
    cmdline.windows(needle.len()).any(|w| w == needle)
}

/// The resident memory of process `pid` (Linux `/proc`), if it runs.
pub fn resident_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Sends SIGKILL to the VM's process (if it is still the VM's).
pub fn kill(pid: u32, vm_dir: &Path) {
    if !runs(pid, vm_dir) {
        return;
    }
    let Ok(raw) = i32::try_from(pid) else {
        return;
    };
    if let Some(pid) = rustix::process::Pid::from_raw(raw) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
}

/// Waits until the process no longer runs, up to `limit`; true if it ended.
pub async fn wait_gone(pid: u32, vm_dir: &Path, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if !runs(pid, vm_dir) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_process_runs_only_under_its_own_directory_and_dies_when_killed() {
        let dir = std::env::temp_dir().join(format!("stratus-proc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        // The directory rides on the command line, as a VM's does.
        let mut child = tokio::process::Command::new("sleep")
            .arg0(dir.join("sleep").as_os_str())
            .arg("30")
            .spawn()
            .expect("sleep");
        let pid = child.id().expect("pid");
        // Until the fork has exec'd, its command line is still this test's.
        let exec_deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !runs(pid, &dir) && tokio::time::Instant::now() < exec_deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(runs(pid, &dir));
        assert!(!runs(pid, Path::new("/nonexistent/other-vm")));
        kill(pid, &dir);
        let _ = child.wait().await;
        assert!(wait_gone(pid, &dir, Duration::from_secs(5)).await);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
