//! The NoCloud seed (`cidata` volume) that hands a guest its identity and
//! login: `meta-data` (instance-id, hostname, public keys) and `user-data`
//! (a `#cloud-config` for root's password hash and keys, combined with the
//! tenant's user data as a MIME multipart). Real cloud-init reads this; so
//! does the tiny test image. A new instance-id makes the guest apply the
//! login once more (after a reinstall or a password reset).

use base64::Engine as _;
use std::path::Path;
use stratus_engine::ports::MachineSpec;

/// The two files of a seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    pub meta_data: String,
    pub user_data: String,
}

/// The seed for `spec`, under the guest instance-id `instance_id`.
pub fn seed(spec: &MachineSpec, instance_id: &str) -> Seed {
    let keys: Vec<String> = if spec.keep_image_login {
        Vec::new()
    } else {
        spec.public_keys
            .iter()
            .filter_map(|k| clean_key(k))
            .collect()
    };
    let mut meta = format!(
        "instance-id: {}\nlocal-hostname: {}\n",
        yaml_word(instance_id),
        yaml_word(&spec.host_name)
    );
    if !keys.is_empty() {
        meta.push_str("public-keys:\n");
        for k in &keys {
            meta.push_str(&format!("  - {k}\n"));
        }
    }
    let mut config = String::from("#cloud-config\ndisable_root: false\nssh_pwauth: true\n");
    if !spec.keep_image_login {
        config.push_str("users:\n  - name: root\n");
        if let Some(hash) = spec.password_hash.as_deref().filter(|h| is_crypt_hash(h)) {
            config.push_str(&format!(
                "    hashed_passwd: '{hash}'\n    lock_passwd: false\n"
            ));
        }
        if !keys.is_empty() {
            config.push_str("    ssh_authorized_keys:\n");
            for k in &keys {
                config.push_str(&format!("      - {k}\n"));
            }
        }
    }
    let user_data = match spec.user_data.as_deref().map(tenant_user_data) {
        None => config,
        Some(tenant) => multipart(instance_id, &config, &tenant),
    };
    Seed {
        meta_data: meta,
        user_data,
    }
}

/// Writes the seed as an ISO 9660 volume labelled `cidata` at `out`
/// (atomically: a half-written seed is never in place).
pub async fn write_iso(seed: &Seed, work_dir: &Path, out: &Path) -> Result<(), String> {
    let files = work_dir.join("seed.d");
    let _ = tokio::fs::remove_dir_all(&files).await;
    tokio::fs::create_dir_all(&files)
        .await
        .map_err(|e| format!("cannot create {}: {e}", files.display()))?;
    for (name, text) in [
        ("meta-data", &seed.meta_data),
        ("user-data", &seed.user_data),
    ] {
        tokio::fs::write(files.join(name), text)
            .await
            .map_err(|e| format!("cannot write the seed's {name}: {e}"))?;
    }
    let partial = out.with_extension("iso.partial");
    let made = tokio::process::Command::new("genisoimage")
        .arg("-quiet")
        .arg("-output")
        .arg(&partial)
        .args(["-volid", "cidata", "-joliet", "-rock"])
        .arg(files.join("user-data"))
        .arg(files.join("meta-data"))
        .output()
        .await
        .map_err(|e| format!("cannot run genisoimage (install it): {e}"))?;
    if !made.status.success() {
        return Err(format!(
            "genisoimage failed: {}",
            String::from_utf8_lossy(&made.stderr).trim()
        ));
    }
    tokio::fs::rename(&partial, out)
        .await
        .map_err(|e| format!("cannot move the seed into place: {e}"))?;
    let _ = tokio::fs::remove_dir_all(&files).await;
    Ok(())
}

/// The tenant's user data as the guest should see it: the vendors take it
/// base64-encoded; anything that is not base64 is passed as given.
fn tenant_user_data(given: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .decode(given.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| given.to_string())
}

fn multipart(instance_id: &str, config: &str, tenant: &str) -> String {
    let boundary = format!("==STRATUS-{instance_id}==");
    let kind = if tenant.starts_with("#!") {
        "text/x-shellscript"
    } else if tenant.starts_with("#cloud-config") {
        "text/cloud-config"
    } else {
        "text/plain"
    };
    format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\nMIME-Version: 1.0\n\n\
         --{boundary}\nContent-Type: text/cloud-config; charset=\"utf-8\"\n\n{config}\n\
         --{boundary}\nContent-Type: {kind}; charset=\"utf-8\"\n\n{tenant}\n\
         --{boundary}--\n"
    )
}

/// An OpenSSH public key reduced to what YAML can carry unquoted: its type,
/// its base64 body and a comment of plain characters (or none).
fn clean_key(key: &str) -> Option<String> {
    let mut parts = key.split_whitespace();
    let kind = parts.next()?;
    let body = parts.next()?;
    let plain = |s: &str, extra: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
    };
    if !plain(kind, "-@.") || !plain(body, "+/=") {
        return None;
    }
    let comment: Vec<&str> = parts.filter(|c| plain(c, "-_.@")).collect();
    Some(if comment.is_empty() {
        format!("{kind} {body}")
    } else {
        format!("{kind} {body} {}", comment.join(" "))
    })
}

/// A crypt(3) hash carries only `[./0-9A-Za-z$=]` (and `rounds=`), which a
/// single-quoted YAML scalar holds as is.
fn is_crypt_hash(h: &str) -> bool {
    h.starts_with('$')
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || "./$=".contains(c))
}

/// A YAML scalar for a name: plain when it is plainly a word, quoted otherwise.
fn yaml_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''").replace(['\n', '\r'], " "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratus_engine::catalog::OsFamily;
    use stratus_engine::ports::DiskSpec;

    fn spec() -> MachineSpec {
        MachineSpec {
            account: "a".into(),
            instance_id: "lhins-1".into(),
            uuid: Default::default(),
            image_id: "img".into(),
            os_family: OsFamily::Linux,
            cpu: 1,
            memory_gb: 1,
            system_disk: DiskSpec {
                id: "disk-1".into(),
                disk_type: "CLOUD_SSD".into(),
                size_gb: 20,
            },
            data_disks: vec![],
            host_name: "web-1".into(),
            password_hash: Some("$6$salt$abc./".into()),
            public_keys: vec!["ssh-ed25519 AAAAC3Nza me@host".into()],
            user_data: None,
            keep_image_login: false,
            private_ips: vec![],
            public_ips: vec![],
            powered_on: true,
        }
    }

    #[test]
    fn the_login_goes_to_root_under_the_given_instance_id() {
        let s = seed(&spec(), "op-1");
        assert!(s.meta_data.contains("instance-id: op-1\n"));
        assert!(s.meta_data.contains("local-hostname: web-1\n"));
        assert!(s
            .meta_data
            .contains("public-keys:\n  - ssh-ed25519 AAAAC3Nza me@host\n"));
        assert!(s.user_data.starts_with("#cloud-config\n"));
        assert!(s.user_data.contains("    hashed_passwd: '$6$salt$abc./'\n"));
        assert!(s
            .user_data
            .contains("    ssh_authorized_keys:\n      - ssh-ed25519 AAAAC3Nza me@host\n"));
    }

    #[test]
    fn tenant_user_data_is_decoded_and_sent_as_a_second_part() {
        let mut s = spec();
        s.user_data = Some(
            base64::engine::general_purpose::STANDARD.encode("#!/bin/sh\necho hi > /root/hi\n"),
        );
        let seed = seed(&s, "op-2");
        assert!(seed.user_data.starts_with("Content-Type: multipart/mixed"));
        assert!(seed
            .user_data
            .contains("Content-Type: text/x-shellscript; charset=\"utf-8\"\n\n#!/bin/sh\necho hi > /root/hi\n"));
        assert!(seed.user_data.contains("hashed_passwd"));
    }

    #[test]
    fn nothing_from_a_request_can_break_out_of_its_yaml_line() {
        let mut s = spec();
        s.host_name = "x\nusers: evil".into();
        s.public_keys = vec![
            "ssh-ed25519 AAAA\n  - evil".into(),
            "ssh-rsa AAAB: x".into(),
        ];
        s.password_hash = Some("$6$a'\nb".into());
        let seed = seed(&s, "op-3");
        assert!(seed.meta_data.contains("local-hostname: 'x users: evil'\n"));
        let evil = |text: &str| text.lines().any(|l| l.trim_start().starts_with("- evil"));
        let users = |text: &str| text.lines().filter(|l| l.starts_with("users:")).count();
        assert!(!evil(&seed.user_data) && !evil(&seed.meta_data));
        assert_eq!((users(&seed.meta_data), users(&seed.user_data)), (0, 1));
        assert!(
            !seed.user_data.contains("hashed_passwd"),
            "not a crypt hash"
        );
        assert!(!seed.meta_data.contains("AAAB:"));
    }

    #[test]
    fn an_image_that_keeps_its_own_login_gets_no_credentials() {
        let mut s = spec();
        s.keep_image_login = true;
        let seed = seed(&s, "op-4");
        assert!(!seed.user_data.contains("hashed_passwd"));
        assert!(!seed.meta_data.contains("public-keys"));
    }
}
