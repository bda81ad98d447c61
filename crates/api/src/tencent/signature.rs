//! Tencent Cloud request signatures, verified over the bytes received:
//! TC3-HMAC-SHA256 (API 3.0 default) and the v1 `Signature` parameter
//! (HmacSHA1 / HmacSHA256). Nothing else in the dialect reads credentials.

use crate::signing::{auth_parts, hmac_sha1, hmac_sha256 as hmac256, same, sha256_hex};
use base64::Engine as _;
use std::cell::RefCell;
use std::collections::VecDeque;

/// Why a signature was refused; each maps to one `AuthFailure.*` code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Authorization header is malformed")]
    InvalidAuthorization,
    #[error("the signature has expired")]
    Expired,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the SecretId is not an API key")]
    InvalidSecretId,
    #[error("the SecretId does not exist")]
    SecretIdNotFound,
}

/// The parts of a TC3 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tc3Authorization {
    pub secret_id: String,
    pub date: String,
    pub service: String,
    pub signed_headers: String,
    pub signature: String,
}

/// Parses `TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=hex`;
/// `SignedHeaders` must list `content-type` and `host`.
pub fn parse_tc3_authorization(value: &str) -> Result<Tc3Authorization, SignatureError> {
    let rest = value
        .strip_prefix("TC3-HMAC-SHA256 ")
        .ok_or(SignatureError::InvalidAuthorization)?;
    let parts = auth_parts(rest).ok_or(SignatureError::InvalidAuthorization)?;
    let (credential, signed_headers, signature) =
        (parts.credential, parts.signed_headers, parts.signature);
    let mut scope = credential.split('/');
    let (secret_id, date, service, terminator) = match (
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
    ) {
        (Some(a), Some(b), Some(c), Some(d), None) => (a, b, c, d),
        _ => return Err(SignatureError::InvalidAuthorization),
    };
    let date_ok = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let headers_ok = !signed_headers.is_empty()
        && signed_headers
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b';' || b == b'-');
    // Tencent makes `content-type` and `host` mandatory signed headers: a
    // signature that leaves out the Host could be replayed at another host.
    let mandatory_signed = ["content-type", "host"]
        .iter()
        .all(|m| signed_headers.split(';').any(|h| h == *m));
    let signature_ok = signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit());
    if secret_id.is_empty()
        || !date_ok
        || service.is_empty()
        || terminator != "tc3_request"
        || !headers_ok
        || !mandatory_signed
        || !signature_ok
    {
        return Err(SignatureError::InvalidAuthorization);
    }
    Ok(Tc3Authorization {
        secret_id: secret_id.to_string(),
        date: date.to_string(),
        service: service.to_string(),
        signed_headers: signed_headers.to_string(),
        signature: signature.to_ascii_lowercase(),
    })
}

/// What a TC3 signature covers, as received.
#[derive(Clone)]
pub struct Tc3Input<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The raw query string (GET), or empty.
    pub query: &'a str,
    /// Values of the signed headers, looked up by lower-case name.
    pub header: &'a dyn Fn(&str) -> Option<String>,
    /// Raw body bytes (POST) or empty (GET).
    pub body: &'a [u8],
    pub timestamp: &'a str,
    /// `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` was sent.
    pub unsigned_payload: bool,
}

/// The TC3 signature a request should carry, with header values taken as
/// given (`lowercase` false) or lower-cased (true).
pub fn tc3_signature(
    auth: &Tc3Authorization,
    input: &Tc3Input<'_>,
    secret_key: &str,
    lowercase: bool,
) -> String {
    let payload_hash = if input.unsigned_payload {
        sha256_hex(b"UNSIGNED-PAYLOAD")
    } else {
        sha256_hex(input.body)
    };
    let path = if input.path.is_empty() {
        "/"
    } else {
        input.path
    };
    // The canonical request, built in one buffer: it is hashed once and
    // dropped, on every signed request.
    let mut canonical = String::with_capacity(256 + input.query.len());
    for part in [input.method, "\n", path, "\n", input.query, "\n"] {
        canonical.push_str(part);
    }
    for name in auth.signed_headers.split(';') {
        let value = (input.header)(name).unwrap_or_default();
        let value = value.trim();
        canonical.push_str(name);
        canonical.push(':');
        if lowercase {
            canonical.extend(value.chars().map(|c| c.to_ascii_lowercase()));
        } else {
            canonical.push_str(value);
        }
        canonical.push('\n');
    }
    for part in ["\n", &auth.signed_headers, "\n", &payload_hash] {
        canonical.push_str(part);
    }
    let string_to_sign = format!(
        "TC3-HMAC-SHA256\n{}\n{}/{}/tc3_request\n{}",
        input.timestamp,
        auth.date,
        auth.service,
        sha256_hex(canonical.as_bytes())
    );
    let k_signing = signing_key(secret_key, &auth.date, &auth.service);
    crate::signing::hex(hmac256(&k_signing, string_to_sign.as_bytes()))
}

/// Signing keys each thread keeps: about one per client credential and
/// service in use.
const SIGNING_KEYS: usize = 16;

#[cfg(test)]
thread_local! {
    /// How often this thread's [`signing_key`] answered from what it kept.
    static KEPT_KEYS_USED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// TC3's signing key for a secret, a date and a service: three HMACs that
/// every request of a client repeats until the date changes, so each
/// thread keeps the keys it derived last.
fn signing_key(secret_key: &str, date: &str, service: &str) -> Vec<u8> {
    type Derived = (String, String, String, Vec<u8>);
    thread_local! {
        static KEYS: RefCell<VecDeque<Derived>> = const { RefCell::new(VecDeque::new()) };
    }
    KEYS.with_borrow_mut(|keys| {
        let kept = keys
            .iter()
            .find(|(s, d, v, _)| s == secret_key && d == date && v == service);
        if let Some((.., key)) = kept {
            #[cfg(test)]
            KEPT_KEYS_USED.set(KEPT_KEYS_USED.get() + 1);
            return key.clone();
        }
        let k_date = hmac256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
        let k_service = hmac256(&k_date, service.as_bytes());
        let key = hmac256(&k_service, b"tc3_request");
        if keys.len() == SIGNING_KEYS {
            keys.pop_front();
        }
        keys.push_back((secret_key.into(), date.into(), service.into(), key.clone()));
        key
    })
}

/// The `Authorization` header value for a POST to `/` signed with TC3 over
/// `content-type;host`, as a client would send it. The credential scope's
/// date is the UTC date of `timestamp` (seconds since the epoch).
pub fn sign_tc3(
    secret_id: &str,
    secret_key: &str,
    service: &str,
    timestamp: i64,
    host: &str,
    content_type: &str,
    body: &[u8],
) -> String {
    let mut auth = Tc3Authorization {
        secret_id: secret_id.to_string(),
        date: stratus_engine::clock::Timestamp(timestamp.saturating_mul(1000)).utc_date(),
        service: service.to_string(),
        signed_headers: "content-type;host".to_string(),
        signature: String::new(),
    };
    let header = |name: &str| match name {
        "content-type" => Some(content_type.to_string()),
        "host" => Some(host.to_string()),
        _ => None,
    };
    let timestamp = timestamp.to_string();
    let input = Tc3Input {
        method: "POST",
        path: "/",
        query: "",
        header: &header,
        body,
        timestamp: &timestamp,
        unsigned_payload: false,
    };
    auth.signature = tc3_signature(&auth, &input, secret_key, false);
    format!(
        "TC3-HMAC-SHA256 Credential={}/{}/{}/tc3_request, SignedHeaders={}, Signature={}",
        auth.secret_id, auth.date, auth.service, auth.signed_headers, auth.signature
    )
}

/// Verifies a TC3 signature (constant-time comparison).
pub fn verify_tc3(
    auth: &Tc3Authorization,
    input: &Tc3Input<'_>,
    secret_key: &str,
) -> Result<(), SignatureError> {
    for lowercase in [false, true] {
        let expected = tc3_signature(auth, input, secret_key, lowercase);
        if same(expected.as_bytes(), auth.signature.as_bytes()) {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

/// The v1 signature algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V1Method {
    HmacSha1,
    HmacSha256,
}

impl V1Method {
    /// From the `SignatureMethod` parameter (absent: HmacSHA1).
    pub fn from_param(value: Option<&str>) -> Option<V1Method> {
        match value {
            None | Some("HmacSHA1") => Some(V1Method::HmacSha1),
            Some("HmacSHA256") => Some(V1Method::HmacSha256),
            Some(_) => None,
        }
    }
}

/// The v1 string to sign: `METHOD + host + path + "?" + sorted k=v&...`
/// over decoded parameters, `Signature` excluded, `_` in keys read as `.`.
pub fn v1_source(method: &str, host: &str, path: &str, params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, &str)> = params
        .iter()
        .filter(|(k, _)| k != "Signature")
        .map(|(k, v)| (k.replace('_', "."), v.as_str()))
        .collect();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let joined: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let path = if path.is_empty() { "/" } else { path };
    format!("{method}{host}{path}?{}", joined.join("&"))
}

/// The base64 v1 signature of a source string.
pub fn v1_signature(method: V1Method, secret_key: &str, source: &str) -> String {
    let digest = match method {
        V1Method::HmacSha1 => hmac_sha1(secret_key.as_bytes(), source.as_bytes()),
        V1Method::HmacSha256 => hmac256(secret_key.as_bytes(), source.as_bytes()),
    };
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// Verifies a v1 signature (constant-time comparison).
pub fn verify_v1(
    method: V1Method,
    secret_key: &str,
    source: &str,
    signature: &str,
) -> Result<(), SignatureError> {
    let expected = v1_signature(method, secret_key, source);
    if same(expected.as_bytes(), signature.as_bytes()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    //! Vectors from ../shared/spec/tencent-api3.md §2.4 and §1.6.
    use super::*;

    const ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
    const KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";

    fn headers<'a>(ct: &'a str, host: &'a str) -> impl Fn(&str) -> Option<String> + 'a {
        move |n| match n {
            "content-type" => Some(ct.to_string()),
            "host" => Some(host.to_string()),
            _ => None,
        }
    }

    fn auth(service: &str, date: &str, sig: &str, id: &str) -> Tc3Authorization {
        parse_tc3_authorization(&format!(
            "TC3-HMAC-SHA256 Credential={id}/{date}/{service}/tc3_request, SignedHeaders=content-type;host, Signature={sig}"
        ))
        .expect("parses")
    }

    #[test]
    fn v1_tc3_post_json_cvm() {
        let body = br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        let h = headers("application/json", "cvm.tencentcloudapi.com");
        let a = auth(
            "cvm",
            "2019-02-25",
            "683bd0b53659853c39699162253251192320a09b3937e27bf8e08a559b1465b8",
            ID,
        );
        let input = Tc3Input {
            method: "POST",
            path: "/",
            query: "",
            header: &h,
            body,
            timestamp: "1551113065",
            unsigned_payload: false,
        };
        assert_eq!(verify_tc3(&a, &input, KEY), Ok(()));
        assert_eq!(
            verify_tc3(&a, &input, "wrong"),
            Err(SignatureError::Mismatch)
        );
        let tampered = Tc3Input {
            body: b"{}",
            ..input.clone()
        };
        assert_eq!(
            verify_tc3(&a, &tampered, KEY),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn v2_tc3_post_lighthouse_with_token() {
        let body = br#"{"InstanceId": "lhins-ruy9d2tw", "BlueprintId": "lhbp-5e8807lo"}"#;
        let h = headers("application/json", "lighthouse.tencentcloudapi.com");
        let a = auth(
            "lighthouse",
            "2019-02-25",
            "2b2d4d3b9c2a144ff5f6f7fbaf81b44a5e398c76a9ffbbb5b486b047ad262c00",
            ID,
        );
        let input = Tc3Input {
            method: "POST",
            path: "/",
            query: "",
            header: &h,
            body,
            timestamp: "1551113065",
            unsigned_payload: false,
        };
        assert_eq!(verify_tc3(&a, &input, KEY), Ok(()));
    }

    #[test]
    fn sign_tc3_reproduces_v2_and_round_trips() {
        let body = br#"{"InstanceId": "lhins-ruy9d2tw", "BlueprintId": "lhbp-5e8807lo"}"#;
        let host = "lighthouse.tencentcloudapi.com";
        let value = sign_tc3(
            ID,
            KEY,
            "lighthouse",
            1551113065,
            host,
            "application/json",
            body,
        );
        let parsed = parse_tc3_authorization(&value).expect("parses");
        assert_eq!(parsed.secret_id, ID);
        assert_eq!(parsed.date, "2019-02-25");
        assert_eq!(parsed.service, "lighthouse");
        assert_eq!(parsed.signed_headers, "content-type;host");
        assert_eq!(
            parsed.signature,
            "2b2d4d3b9c2a144ff5f6f7fbaf81b44a5e398c76a9ffbbb5b486b047ad262c00"
        );
        let h = headers("application/json", host);
        let input = Tc3Input {
            method: "POST",
            path: "/",
            query: "",
            header: &h,
            body,
            timestamp: "1551113065",
            unsigned_payload: false,
        };
        assert_eq!(verify_tc3(&parsed, &input, KEY), Ok(()));
        assert_eq!(
            verify_tc3(&parsed, &input, "wrong"),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_kept_signing_key_serves_only_its_own_secret_date_and_service() {
        let derived = |secret: &str, date: &str, service: &str| {
            let k_date = hmac256(format!("TC3{secret}").as_bytes(), date.as_bytes());
            hmac256(&hmac256(&k_date, service.as_bytes()), b"tc3_request")
        };
        // Secrets, dates and services that differ by one part each, more
        // of them than a thread keeps: every key asked for twice in a row
        // (the second answer kept), and the whole round twice (the first
        // ones evicted by then, so derived afresh). Each answer is compared
        // with a derivation of its own.
        let combinations: Vec<(String, &str, &str)> = (0..SIGNING_KEYS)
            .map(|n| format!("secret-{n}"))
            .flat_map(|s| {
                [
                    (s.clone(), "2019-02-25", "cvm"),
                    (s.clone(), "2019-02-26", "cvm"),
                    (s, "2019-02-25", "lighthouse"),
                ]
            })
            .collect();
        let kept_before = KEPT_KEYS_USED.get();
        for _ in 0..2 {
            for (secret, date, service) in &combinations {
                for _ in 0..2 {
                    assert_eq!(
                        signing_key(secret, date, service),
                        derived(secret, date, service),
                        "{secret} {date} {service}"
                    );
                }
            }
        }
        // Exactly the second asks were answered from what the thread kept.
        assert_eq!(KEPT_KEYS_USED.get() - kept_before, 2 * combinations.len());
    }

    #[test]
    fn v3_tc3_get() {
        let h = headers(
            "application/x-www-form-urlencoded",
            "cvm.tencentcloudapi.com",
        );
        let a = auth(
            "cvm",
            "2019-02-25",
            "e51447a2740cdd0620c58e8e78e535a472238d1a6bb3296238466f581a694a01",
            ID,
        );
        let input = Tc3Input {
            method: "GET",
            path: "/",
            query: "Limit=1&Filters.0.Values.0=%E6%9C%AA%E5%91%BD%E5%90%8D&Filters.0.Name=instance-name",
            header: &h,
            body: b"",
            timestamp: "1551113065",
            unsigned_payload: false,
        };
        assert_eq!(verify_tc3(&a, &input, KEY), Ok(()));
    }

    #[test]
    fn v6_live_capture_with_port_in_host() {
        let body = br#"{"InstanceId": "lhins-ruy9d2tw", "BlueprintId": "lhbp-5e8807lo", "LoginConfiguration": {"AutoGeneratePassword": "NO", "Password": "Passw0rd!Example"}}"#;
        let h = headers("application/json", "127.0.0.1:18081");
        let a = auth(
            "lighthouse",
            "2026-11-23",
            "bcc0d03594a37f6c268ae3c5ac2d0716d714153e55739f1b4b421f117311fe33",
            "AKIDEXAMPLE",
        );
        let input = Tc3Input {
            method: "POST",
            path: "/",
            query: "",
            header: &h,
            body,
            timestamp: "1795427003",
            unsigned_payload: false,
        };
        assert_eq!(verify_tc3(&a, &input, "SECRETEXAMPLE"), Ok(()));
        // The Host is signed: another host fails.
        let h2 = headers("application/json", "127.0.0.1:18082");
        let moved = Tc3Input {
            header: &h2,
            ..input
        };
        assert_eq!(
            verify_tc3(&a, &moved, "SECRETEXAMPLE"),
            Err(SignatureError::Mismatch)
        );
    }

    fn decoded(raw: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn v4_legacy_hmac_sha256_post() {
        let body = "Limit=1&Filters.0.Values.0=%E6%9C%AA%E5%91%BD%E5%90%8D&Filters.0.Name=instance-name&Action=DescribeInstances&RequestClient=SDK_PYTHON_3.1.178&Nonce=11886&Timestamp=1551113065&Version=2017-03-12&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&SignatureMethod=HmacSHA256&Language=zh-CN&Signature=S174HG36ta21oY87xFNP4C29%2Fw%2BB9tZ6rW4rsLTnwIc%3D";
        let params = decoded(body);
        let source = v1_source("POST", "cvm.tencentcloudapi.com", "/", &params);
        assert_eq!(source, "POSTcvm.tencentcloudapi.com/?Action=DescribeInstances&Filters.0.Name=instance-name&Filters.0.Values.0=未命名&Language=zh-CN&Limit=1&Nonce=11886&Region=ap-guangzhou&RequestClient=SDK_PYTHON_3.1.178&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&SignatureMethod=HmacSHA256&Timestamp=1551113065&Version=2017-03-12");
        assert_eq!(
            verify_v1(
                V1Method::HmacSha256,
                KEY,
                &source,
                "S174HG36ta21oY87xFNP4C29/w+B9tZ6rW4rsLTnwIc="
            ),
            Ok(())
        );
    }

    #[test]
    fn v5_legacy_hmac_sha1_get() {
        let query = "Limit=1&Offset=0&Action=DescribeInstances&RequestClient=SDK_PYTHON_3.1.178&Nonce=11886&Timestamp=1551113065&Version=2017-03-12&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&SignatureMethod=HmacSHA1&Language=zh-CN&Signature=Sw6Fwwx%2FBSzhwJkBz0afpfMQrrs%3D";
        let source = v1_source("GET", "cvm.tencentcloudapi.com", "/", &decoded(query));
        assert_eq!(
            verify_v1(
                V1Method::HmacSha1,
                KEY,
                &source,
                "Sw6Fwwx/BSzhwJkBz0afpfMQrrs="
            ),
            Ok(())
        );
        assert_eq!(
            verify_v1(
                V1Method::HmacSha1,
                "nope",
                &source,
                "Sw6Fwwx/BSzhwJkBz0afpfMQrrs="
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_authorization_headers_are_refused() {
        for bad in [
            "",
            "TC3-HMAC-SHA256",
            "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host",
            "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/other, SignedHeaders=content-type;host, Signature=683bd0b53659853c39699162253251192320a09b3937e27bf8e08a559b1465b8",
            "TC3-HMAC-SHA256 Credential=AKID/20190225/cvm/tc3_request, SignedHeaders=content-type;host, Signature=683bd0b53659853c39699162253251192320a09b3937e27bf8e08a559b1465b8",
            "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=xyz",
            "AWS4-HMAC-SHA256 Credential=x",
            // `content-type` and `host` must both be signed.
            "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type, Signature=683bd0b53659853c39699162253251192320a09b3937e27bf8e08a559b1465b8",
            "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=host;x-tc-action, Signature=683bd0b53659853c39699162253251192320a09b3937e27bf8e08a559b1465b8",
        ] {
            assert_eq!(parse_tc3_authorization(bad), Err(SignatureError::InvalidAuthorization), "{bad}");
        }
        // Further signed headers beside the mandatory two are honoured.
        let more = "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=683bd0b53659853c39699162253251192320a09b3937e27bf8e08a559b1465b8";
        assert!(parse_tc3_authorization(more).is_ok());
    }
}
