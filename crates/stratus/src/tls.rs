//! `serve --tls`: HTTPS with certificates for the vendors' real host names,
//! so clients that hard-code them (the legacy API 2.0 client, tccli over
//! HTTPS, the Node SDK) reach Stratus once those names resolve to it.
//! With `--tls-cert`/`--tls-key` the given pair is served; otherwise Stratus
//! keeps a CA of its own under `<data>/tls/` (made once; `stratus env`
//! prints how to trust it) and issues a certificate from it at each start.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType,
};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// The host names the generated certificate covers.
pub const HOSTS: [&str; 10] = [
    "tencentcloudapi.com",
    "*.tencentcloudapi.com",
    "*.ap-guangzhou.tencentcloudapi.com",
    "cvm.api.qcloud.com",
    "image.api.qcloud.com",
    "console.zenlayer.com",
    "api.ksyun.com",
    "*.api.ksyun.com",
    "*.cn-beijing-6.api.ksyun.com",
    "localhost",
];

/// The acceptor for `cert` and `key` (PEM files), or for a certificate
/// issued by Stratus's CA under `dir` (the CA is made there if missing).
pub fn acceptor(
    cert: Option<&Path>,
    key: Option<&Path>,
    dir: &Path,
) -> Result<TlsAcceptor, String> {
    let (chain, key) = match (cert, key) {
        (Some(cert), Some(key)) => (read_chain(cert)?, read_key(key)?),
        (None, None) => issue(dir)?,
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    let mut config = ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| format!("the TLS certificate cannot be used: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read the certificates in {}: {e}", path.display()))
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| format!("cannot read the private key in {}: {e}", path.display()))
}

/// The CA under `dir` (made if missing), and a fresh certificate from it.
fn issue(dir: &Path) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let (ca_cert_path, ca_key_path) = (dir.join("ca.pem"), dir.join("ca.key"));
    let ca_key = match std::fs::read_to_string(&ca_key_path) {
        Ok(pem) => {
            KeyPair::from_pem(&pem).map_err(|e| format!("{}: {e}", ca_key_path.display()))?
        }
        Err(_) => {
            let key = KeyPair::generate().map_err(|e| e.to_string())?;
            write_private(&ca_key_path, &key.serialize_pem())?;
            key
        }
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "Stratus local CA");
    name.push(DnType::OrganizationName, "Stratus");
    ca.distinguished_name = name;
    // The same key and name each start: a certificate the clients already
    // trust stays valid when it is made again.
    let ca_cert = ca.self_signed(&ca_key).map_err(|e| e.to_string())?;
    if !ca_cert_path.exists() {
        std::fs::write(&ca_cert_path, ca_cert.pem())
            .map_err(|e| format!("cannot write {}: {e}", ca_cert_path.display()))?;
    }
    let mut leaf = CertificateParams::new(HOSTS.iter().map(|h| h.to_string()).collect::<Vec<_>>())
        .map_err(|e| e.to_string())?;
    leaf.subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    let mut leaf_name = DistinguishedName::new();
    leaf_name.push(DnType::CommonName, "Stratus");
    leaf.distinguished_name = leaf_name;
    let leaf_key = KeyPair::generate().map_err(|e| e.to_string())?;
    let cert = leaf
        .signed_by(&leaf_key, &ca_cert, &ca_key)
        .map_err(|e| e.to_string())?;
    let key = PrivateKeyDer::try_from(leaf_key.serialize_der()).map_err(|e| e.to_string())?;
    Ok((vec![cert.der().clone(), ca_cert.der().clone()], key))
}

/// Writes a private key readable by its owner only.
fn write_private(path: &Path, pem: &str) -> Result<(), String> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(pem.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
