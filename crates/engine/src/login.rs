//! Login material: salted SHA-512 crypt password hashes, and OpenSSH key
//! pairs (generated or imported).

use sha_crypt::{sha512_check, sha512_simple, Sha512Params};
use ssh_key::{HashAlg, LineEnding, PrivateKey, PublicKey};

/// Why login material was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("the public key is not a valid OpenSSH public key")]
    MalformedPublicKey,
    #[error("key generation failed")]
    KeyGeneration,
    #[error("password hashing failed")]
    Hashing,
}

/// Hashes a password with SHA-512 crypt and a random salt (`$6$...`).
pub fn hash_password(password: &str) -> Result<String, LoginError> {
    // 5000 rounds is the crypt(3) default that /etc/shadow uses.
    let params = Sha512Params::new(5_000).map_err(|_| LoginError::Hashing)?;
    sha512_simple(password, &params).map_err(|_| LoginError::Hashing)
}

/// True if `password` matches a hash made by [`hash_password`].
pub fn verify_password(password: &str, hash: &str) -> bool {
    sha512_check(password, hash).is_ok()
}

/// A key pair just generated: the private key leaves the engine once.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    pub public_key: String,
    pub private_key: String,
    pub fingerprint: String,
}

/// A parsed public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedPublicKey {
    /// The key in canonical OpenSSH form (`ssh-ed25519 AAAA... comment`).
    pub openssh: String,
    pub fingerprint: String,
    /// The algorithm name (`ssh-rsa`, `ssh-ed25519`, ...).
    pub algorithm: String,
    /// Modulus size for RSA keys.
    pub rsa_bits: Option<usize>,
}

/// Generates a new Ed25519 key pair in OpenSSH format.
pub fn generate_key(comment: &str) -> Result<GeneratedKey, LoginError> {
    let mut key = PrivateKey::random(&mut rand::rngs::OsRng, ssh_key::Algorithm::Ed25519)
        .map_err(|_| LoginError::KeyGeneration)?;
    key.set_comment(comment);
    let private_key = key
        .to_openssh(LineEnding::LF)
        .map_err(|_| LoginError::KeyGeneration)?
        .to_string();
    let public = key.public_key();
    Ok(GeneratedKey {
        public_key: public.to_openssh().map_err(|_| LoginError::KeyGeneration)?,
        private_key,
        fingerprint: public.fingerprint(HashAlg::Sha256).to_string(),
    })
}

/// Parses an OpenSSH public key line; anything else is refused.
pub fn parse_public_key(text: &str) -> Result<ParsedPublicKey, LoginError> {
    let key = PublicKey::from_openssh(text.trim()).map_err(|_| LoginError::MalformedPublicKey)?;
    let rsa_bits = match key.key_data() {
        ssh_key::public::KeyData::Rsa(rsa) => {
            let bytes = rsa.n.as_positive_bytes().unwrap_or_default();
            let lead = bytes.first().map_or(0, |b| 8 - b.leading_zeros() as usize);
            Some(bytes.len().saturating_sub(1) * 8 + lead)
        }
        _ => None,
    };
    Ok(ParsedPublicKey {
        openssh: key
            .to_openssh()
            .map_err(|_| LoginError::MalformedPublicKey)?,
        fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
        algorithm: key.algorithm().as_str().to_string(),
        rsa_bits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hash_verifies_only_its_password() {
        let h = hash_password("Passw0rd!Example").expect("hash");
        assert!(h.starts_with("$6$"));
        assert!(verify_password("Passw0rd!Example", &h));
        assert!(!verify_password("Passw0rd!Other", &h));
        // Salted: the same password hashes differently.
        assert_ne!(h, hash_password("Passw0rd!Example").expect("hash"));
    }

    #[test]
    fn generated_keys_round_trip_through_the_parser() {
        let k = generate_key("test").expect("generate");
        assert!(k.private_key.contains("BEGIN OPENSSH PRIVATE KEY"));
        let parsed = parse_public_key(&k.public_key).expect("parse");
        assert_eq!(parsed.fingerprint, k.fingerprint);
        assert_eq!(parsed.algorithm, "ssh-ed25519");
    }

    #[test]
    fn rsa_public_keys_report_their_size() {
        // A real 2048-bit RSA public key.
        let key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDQxkvsvhNi0rX07MDKnhQDEV9F+DyQhxLBhhd8UjHicYmlc0zTssbZ0r1OgUc/7FHw0gSu3SibHrjP+MaGl9bdPU+gp1d06YmPXuiMHzT3PdZqn6b2tRuihkgkxh1Xf19cug6WoRvfjZWEkBfGui6J8nEt93AtWIXjUITKWrBmtrEzXApkYPCj5Vw/D0jT+hKZsE1CjnOmTKZtJGgX2KD3FYz0o5EAJXb4kNMJefRZc3PiglMVJkqHEUINXjbR9Z4zJD9mxLl103n78yDjJbYOFht88LUAwahdHv3suGOPkTLvMeZuPoosDN3VcuL/s5hbD3BwWV5c8nN+RcLmKgTX root@example";
        let parsed = parse_public_key(key).expect("parse");
        assert_eq!(parsed.rsa_bits, Some(2048));
    }

    #[test]
    fn garbage_is_not_a_public_key() {
        for bad in [
            "",
            "ssh-rsa",
            "ssh-rsa AAAA",
            "hello world",
            "ssh-ed25519 !!!!",
        ] {
            assert_eq!(
                parse_public_key(bad),
                Err(LoginError::MalformedPublicKey),
                "{bad}"
            );
        }
    }
}
