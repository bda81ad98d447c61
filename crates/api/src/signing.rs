//! The primitives every vendor's signature is built from: SHA-256, HMAC,
//! a constant-time comparison, and the `Credential=…, SignedHeaders=…,
//! Signature=…` list of an `Authorization` header. Each dialect composes
//! them into its own scheme (TC3, SigV4, ZC2, the legacy v1/v2 forms).

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Lower-case hex of the SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// HMAC-SHA1 of `data` under `key` (the legacy Tencent signatures).
pub fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Whether two signatures are equal, in time that does not depend on where
/// they first differ.
pub fn same(expected: &[u8], given: &[u8]) -> bool {
    bool::from(expected.ct_eq(given))
}

/// The three parts of an `Authorization` header after its algorithm name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthParts<'a> {
    pub credential: &'a str,
    pub signed_headers: &'a str,
    pub signature: &'a str,
}

/// Reads `Credential=…, SignedHeaders=…, Signature=…` (any order, spaces
/// around parts ignored); `None` if a part is missing, repeated or unknown.
pub fn auth_parts(list: &str) -> Option<AuthParts<'_>> {
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in list.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => return None,
        };
        if slot.replace(value.trim()).is_some() {
            return None;
        }
    }
    Some(AuthParts {
        credential: credential?,
        signed_headers: signed?,
        signature: signature?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_parts_take_each_part_once_in_any_order() {
        let p = auth_parts(" Credential=a/b, SignedHeaders=host;x ,Signature=ff").expect("parts");
        assert_eq!(
            p,
            AuthParts {
                credential: "a/b",
                signed_headers: "host;x",
                signature: "ff"
            }
        );
        assert_eq!(
            auth_parts("Signature=ff, Credential=a, SignedHeaders=h").map(|p| p.credential),
            Some("a")
        );
        assert!(auth_parts("Credential=a, SignedHeaders=h").is_none());
        assert!(auth_parts("Credential=a, Credential=b, SignedHeaders=h, Signature=s").is_none());
        assert!(auth_parts("Credential=a, SignedHeaders=h, Signature=s, Extra=1").is_none());
        assert!(auth_parts("Credential, SignedHeaders=h, Signature=s").is_none());
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd"));
    }
}
