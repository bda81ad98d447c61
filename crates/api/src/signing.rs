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
    hex(Sha256::digest(data))
}

/// Lower-case hex of `bytes`, as every vendor writes digests and
/// signatures. Written by table: the `hex` crate's encoder built the string
/// a `char` at a time, which was a visible part of verifying a signature.
pub fn hex(bytes: impl AsRef<[u8]>) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let bytes = bytes.as_ref();
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
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
            hex(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd"));
    }

    #[test]
    fn hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(hex([0x00, 0x0f, 0xa0, 0xff, 0x5c]), "000fa0ff5c");
        assert_eq!(hex([]), "");
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
