//! Disks with `qemu-img`: a system disk is a qcow2 overlay on its image's
//! file (the image is never written), so making or replacing one costs
//! milliseconds whatever its size.

use std::path::Path;
use tokio::process::Command;

const GIB: u64 = 1 << 30;

/// The virtual size of an image file, in bytes.
pub async fn virtual_size(file: &Path) -> Result<u64, String> {
    let out = Command::new("qemu-img")
        .args(["info", "-U", "--output=json"])
        .arg(file)
        .output()
        .await
        .map_err(|e| format!("cannot run qemu-img (install qemu-utils): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "qemu-img cannot read {}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let info: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("qemu-img info: {e}"))?;
    info["virtual-size"]
        .as_u64()
        .ok_or_else(|| format!("qemu-img gave no size for {}", file.display()))
}

/// Makes a fresh overlay on `image` at `out`, of `size_gb` (never smaller
/// than the image), replacing whatever was there in one rename. Returns
/// its virtual size in bytes.
pub async fn make_overlay(
    image: &Path,
    image_bytes: u64,
    size_gb: u32,
    out: &Path,
) -> Result<u64, String> {
    let bytes = (u64::from(size_gb) * GIB).max(image_bytes);
    let partial = out.with_extension("qcow2.partial");
    let _ = tokio::fs::remove_file(&partial).await;
    run(Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b"])
        .arg(image)
        .arg(&partial)
        .arg(bytes.to_string()))
    .await?;
    // The old disk is moved aside and deleted in the background: freeing a
    // large overlay's clusters takes longer than making the new one.
    let discarded = out.with_extension("qcow2.discarded");
    if tokio::fs::rename(out, &discarded).await.is_ok() {
        tokio::spawn(async move {
            let _ = tokio::fs::remove_file(discarded).await;
        });
    }
    tokio::fs::rename(&partial, out)
        .await
        .map_err(|e| format!("cannot move the new disk into place: {e}"))?;
    Ok(bytes)
}

/// Makes an empty qcow2 disk of `size_gb` at `out`, if there is none.
pub async fn make_blank(size_gb: u32, out: &Path) -> Result<(), String> {
    if out.exists() {
        return Ok(());
    }
    run(Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(out)
        .arg((u64::from(size_gb) * GIB).to_string()))
    .await
}

async fn run(command: &mut Command) -> Result<(), String> {
    let out = command
        .output()
        .await
        .map_err(|e| format!("cannot run qemu-img (install qemu-utils): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "qemu-img failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
