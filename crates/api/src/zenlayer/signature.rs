//! Zenlayer's `ZC2-HMAC-SHA256` signature (spec §2), verified over the raw
//! body with the `Content-Type` and `Host` values exactly as received, and
//! the `Authorization: Bearer <token>` form. Nothing else in the dialect
//! reads `Authorization`.

use crate::signing::{auth_parts, hmac_sha256, same, sha256_hex};

/// The only signature algorithm Zenlayer clients use.
pub const ALGORITHM: &str = "ZC2-HMAC-SHA256";

/// Why an `Authorization` header was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Authorization header is missing")]
    Missing,
    #[error("the Authorization header is malformed")]
    Malformed,
    #[error("the signed headers must be `content-type;host`")]
    SignedHeaders,
    #[error("the x-zc-timestamp header is missing or not a number")]
    Timestamp,
    #[error("the request timestamp is more than 300 seconds from the server time")]
    Expired,
    #[error("the access key does not exist")]
    UnknownKey,
    #[error("the bearer token is not valid")]
    UnknownToken,
    #[error("the signature does not match")]
    Mismatch,
}

/// What an `Authorization` header carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    /// `ZC2-HMAC-SHA256 Credential=AK, SignedHeaders=content-type;host, Signature=hex`.
    Signed {
        access_key_id: String,
        signed_headers: String,
        signature: String,
    },
    /// `Bearer <token>`.
    Bearer(String),
}

/// Parses an `Authorization` header value.
pub fn parse_authorization(value: &str) -> Result<Authorization, SignatureError> {
    let value = value.trim();
    if let Some(token) = value.strip_prefix("Bearer ") {
        let token = token.trim();
        if token.is_empty() {
            return Err(SignatureError::Malformed);
        }
        return Ok(Authorization::Bearer(token.to_string()));
    }
    let rest = value
        .strip_prefix(ALGORITHM)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or(SignatureError::Malformed)?;
    match auth_parts(rest) {
        Some(p)
            if !p.credential.is_empty()
                && p.signature.len() == 64
                && p.signature.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(Authorization::Signed {
                access_key_id: p.credential.to_string(),
                signed_headers: p.signed_headers.to_string(),
                signature: p.signature.to_ascii_lowercase(),
            })
        }
        _ => Err(SignatureError::Malformed),
    }
}

/// What a ZC2 signature covers, as received.
#[derive(Debug, Clone, Copy)]
pub struct SignedParts<'a> {
    pub content_type: &'a str,
    pub host: &'a str,
    pub timestamp: &'a str,
    pub body: &'a [u8],
}

/// The canonical request: the path is always `/` and the query empty; only
/// `content-type` and `host` are signed.
pub fn canonical_request(parts: &SignedParts<'_>) -> String {
    format!(
        "POST\n/\n\ncontent-type:{}\nhost:{}\n\ncontent-type;host\n{}",
        parts.content_type,
        parts.host,
        sha256_hex(parts.body)
    )
}

/// The signature a request should carry: the secret is the HMAC key itself.
pub fn signature(secret: &str, parts: &SignedParts<'_>) -> String {
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{}",
        parts.timestamp,
        sha256_hex(canonical_request(parts).as_bytes())
    );
    crate::signing::hex(hmac_sha256(
        secret.trim().as_bytes(),
        string_to_sign.as_bytes(),
    ))
}

/// Verifies a signature (constant-time comparison).
pub fn verify(
    secret: &str,
    signed_headers: &str,
    claimed: &str,
    parts: &SignedParts<'_>,
) -> Result<(), SignatureError> {
    if !signed_headers.eq_ignore_ascii_case("content-type;host") {
        return Err(SignatureError::SignedHeaders);
    }
    let expected = signature(secret, parts);
    if same(expected.as_bytes(), claimed.as_bytes()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "SKEXAMPLEsecret0000000000000001";

    /// The vectors of spec §2.1 (and `spec/vectors/zenlayer-zc2.txt`).
    const VECTORS: [(&str, &str, &str, &str, &str, &str); 5] = [
        (
            SECRET,
            "1700000000",
            "application/json",
            "console.zenlayer.com",
            r#"{"instanceIds": ["inst-123"], "forceReboot": false}"#,
            "df0213970a17f3f0b05a672765e96824d80c44e20ac67c68657144dff1448715",
        ),
        (
            SECRET,
            "1700000000",
            "application/json",
            "127.0.0.1:8080",
            "{}",
            "981f676f1129e404a5310a06bc8181dcb88882db3f3e11f7386f8dd2469833b7",
        ),
        (
            SECRET,
            "1700000000",
            "application/json; charset=utf-8",
            "console.zenlayer.com",
            r#"{"instanceIds":["inst-123"],"forceReboot":false}"#,
            "c761bec3273a4461bbaff1c1f31aa393e7b7c121b83247cefcc646209b684a95",
        ),
        (
            "Gu5t9xGARNpq86cd98joQYCN3",
            "1673361177",
            "application/json; charset=utf-8",
            "console.zenlayer.com",
            r#"{"pageSize":10,"pageNum":1,"zoneId":"HKG-A"}"#,
            "efb356c32e55c781e10dc676da59462c22596d82e91c57803666243379555b2f",
        ),
        (
            "SECRET-TEST-0001",
            "1795426969",
            "application/json",
            "127.0.0.1:28573",
            r#"{"instanceIds": ["inst-1111"], "forceReboot": false}"#,
            "e39f24ebf0ce8880e1773ab3247d3a4ff0c98617a4ba4d446be7f9a799a9e6df",
        ),
    ];

    fn parts<'a>(v: &'a (&str, &str, &str, &str, &str, &str)) -> SignedParts<'a> {
        SignedParts {
            content_type: v.2,
            host: v.3,
            timestamp: v.1,
            body: v.4.as_bytes(),
        }
    }

    #[test]
    fn every_vector_signs_and_verifies() {
        for v in &VECTORS {
            assert_eq!(signature(v.0, &parts(v)), v.5, "{v:?}");
            assert_eq!(verify(v.0, "content-type;host", v.5, &parts(v)), Ok(()));
        }
    }

    #[test]
    fn vector_one_intermediates() {
        let v = &VECTORS[0];
        let canonical = canonical_request(&parts(v));
        assert_eq!(
            canonical,
            "POST\n/\n\ncontent-type:application/json\nhost:console.zenlayer.com\n\ncontent-type;host\n272d8bf4a8b1634a70fde619b846fbeab178befefcb81df6dc627c4c0634888f"
        );
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "23a9c2f9b81fc6b6db7ddc3f866420333a91193638e36b7929facd91b47349a2"
        );
    }

    #[test]
    fn any_change_to_body_host_type_or_time_breaks_the_signature() {
        let v = &VECTORS[4];
        let good = parts(v);
        let changed = [
            SignedParts {
                body: br#"{"instanceIds": ["inst-1112"], "forceReboot": false}"#,
                ..good
            },
            SignedParts {
                host: "127.0.0.1:28574",
                ..good
            },
            SignedParts {
                content_type: "application/json; charset=utf-8",
                ..good
            },
            SignedParts {
                timestamp: "1795426970",
                ..good
            },
        ];
        for p in &changed {
            assert_eq!(
                verify(v.0, "content-type;host", v.5, p),
                Err(SignatureError::Mismatch)
            );
        }
        assert_eq!(
            verify(v.0, "host", v.5, &good),
            Err(SignatureError::SignedHeaders)
        );
    }

    #[test]
    fn authorization_headers_parse() {
        let a = parse_authorization(
            "ZC2-HMAC-SHA256 Credential=AKIDEXAMPLE0000000001, SignedHeaders=content-type;host, Signature=df0213970a17f3f0b05a672765e96824d80c44e20ac67c68657144dff1448715",
        );
        assert_eq!(
            a,
            Ok(Authorization::Signed {
                access_key_id: "AKIDEXAMPLE0000000001".into(),
                signed_headers: "content-type;host".into(),
                signature: VECTORS[0].5.into(),
            })
        );
        assert_eq!(
            parse_authorization("Bearer tok-123"),
            Ok(Authorization::Bearer("tok-123".into()))
        );
        for bad in [
            "",
            "Bearer ",
            "ZC2-HMAC-SHA256",
            "ZC2-HMAC-SHA256 Credential=A, SignedHeaders=content-type;host",
            "ZC2-HMAC-SHA256 Credential=A, SignedHeaders=content-type;host, Signature=xyz",
            "TC3-HMAC-SHA256 Credential=A, SignedHeaders=content-type;host, Signature=df0213970a17f3f0b05a672765e96824d80c44e20ac67c68657144dff1448715",
            "ZC2-HMAC-SHA256 Credential=A, Credential=B, SignedHeaders=x, Signature=df0213970a17f3f0b05a672765e96824d80c44e20ac67c68657144dff1448715",
        ] {
            assert!(parse_authorization(bad).is_err(), "{bad}");
        }
    }
}
