//! The legacy API 2.0 signature (spec §2): Base64 HMAC-SHA1/SHA256 of
//! `METHOD + host + "/v2/index.php?" + k=v&…`, verified over the decoded
//! parameters the server received.
//!
//! The legacy rules differ from API 3.0's v1 signature
//! ([`crate::tencent::signature::v1_source`]): the path is always
//! `/v2/index.php`, POST values starting with `@` are not signed, any
//! `SignatureMethod` other than `HmacSHA256` means SHA-1, and clients
//! disagree on sorting by the original or the rewritten names — so they are
//! kept here; the HMAC and the comparison are [`crate::signing`]'s.
//!
//! Server recipe (§2.2): pop `Signature`; on POST drop values beginning with
//! `@`; read `_` as `.` in names; sort by byte order; join raw `k=v` with
//! `&`; prefix `METHOD + host + "/v2/index.php?"` with the `Host` header
//! minus a `:443` suffix (other ports are kept: a client pointed at
//! `127.0.0.1:4590` signs exactly that, see the module documentation of
//! [`super`]); compare in constant time. Fallbacks (§2.2 step 7): order by
//! the original names (PHP, Java, Python 2.0.0, qcloudcli), and on POST
//! include the `@` values; the caller may also offer canonical service hosts
//! (`cvm.api.qcloud.com`) for clients that sign a host other than the one
//! they connect to.

use crate::signing::{hmac_sha1, hmac_sha256, same};
use base64::Engine as _;

/// The fixed path of every legacy request; part of the signed string.
pub const PATH: &str = "/v2/index.php";

/// Why a request's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request carries no Signature parameter")]
    Missing,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the request timestamp is too far from the server time")]
    Expired,
}

/// The HMAC of the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    HmacSha1,
    HmacSha256,
}

impl Algorithm {
    /// From `SignatureMethod`: SHA-256 iff exactly `HmacSHA256`; absent or
    /// any other value means SHA-1 (documented behaviour, §1.3).
    pub fn from_param(value: Option<&str>) -> Self {
        match value {
            Some("HmacSHA256") => Algorithm::HmacSha256,
            _ => Algorithm::HmacSha1,
        }
    }
}

/// How parameter names are ordered in the signed string. Names are always
/// written with `_` read as `.`; clients differ in whether they sort before
/// or after that rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameOrder {
    /// Rewrite, then sort (Python SDK 2.0.15, the modern SDK): the primary rule.
    Rewritten,
    /// Sort the original names, then rewrite (PHP, Java, Python 2.0.0, qcloudcli).
    Original,
}

/// One way of building the signed string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    pub order: NameOrder,
    /// On POST, sign the values starting with `@` too (the documented
    /// clients leave them out; a fallback for clients that do not).
    pub keep_at_values: bool,
}

impl Variant {
    /// The documented rule of §2.1.
    pub const PRIMARY: Variant = Variant {
        order: NameOrder::Rewritten,
        keep_at_values: false,
    };
}

/// The host as it is signed: the `Host` header minus a `:443` suffix.
/// Any other port stays, since clients sign the host string they were
/// given (`127.0.0.1:4590`), and Python's `http.client` only omits the
/// default port of the scheme from the `Host` header.
pub fn signed_host(host_header: &str) -> &str {
    host_header.strip_suffix(":443").unwrap_or(host_header)
}

/// The string to sign for decoded `params` (`Signature` is left out).
/// `method` is upper-cased; on POST values starting with `@` are dropped
/// unless the variant keeps them; GET values are always signed.
pub fn string_to_sign(
    method: &str,
    host: &str,
    params: &[(String, String)],
    variant: Variant,
) -> String {
    let method = method.to_ascii_uppercase();
    let drop_at = method == "POST" && !variant.keep_at_values;
    let mut pairs: Vec<(&str, String, &str)> = params
        .iter()
        .filter(|(k, v)| k != "Signature" && !(drop_at && v.starts_with('@')))
        .map(|(k, v)| (k.as_str(), k.replace('_', "."), v.as_str()))
        .collect();
    match variant.order {
        NameOrder::Rewritten => pairs.sort_by(|a, b| a.1.as_bytes().cmp(b.1.as_bytes())),
        NameOrder::Original => pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes())),
    }
    let mut out = String::with_capacity(64 + params.len() * 24);
    out.push_str(&method);
    out.push_str(host);
    out.push_str(PATH);
    out.push('?');
    for (i, (_, name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// `Base64(HMAC(secret_key, string_to_sign))`, standard alphabet, padded.
pub fn sign(algorithm: Algorithm, secret_key: &str, string_to_sign: &str) -> String {
    let (key, data) = (secret_key.as_bytes(), string_to_sign.as_bytes());
    let digest = match algorithm {
        Algorithm::HmacSha1 => hmac_sha1(key, data),
        Algorithm::HmacSha256 => hmac_sha256(key, data),
    };
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// What a signature is checked against.
#[derive(Debug, Clone, Copy)]
pub struct VerifyInput<'a> {
    /// `GET` or `POST`.
    pub method: &'a str,
    /// The `Host` header as received (empty when absent).
    pub host_header: &'a str,
    /// Further hosts to try after the `Host` header, e.g. the canonical
    /// service name (`cvm.api.qcloud.com`) for clients that sign it while
    /// connecting elsewhere. May be empty.
    pub extra_hosts: &'a [&'a str],
    /// Every decoded parameter, `Signature` included.
    pub params: &'a [(String, String)],
}

/// Which host and variant a valid signature was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub host: String,
    pub variant: Variant,
    pub algorithm: Algorithm,
}

/// Verifies the `Signature` parameter (constant-time comparison), trying
/// the primary rule first, then the fallbacks, for each candidate host.
pub fn verify(input: &VerifyInput<'_>, secret_key: &str) -> Result<Verified, SignatureError> {
    let find = |name: &str| {
        input
            .params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let signature = find("Signature").ok_or(SignatureError::Missing)?;
    let algorithm = Algorithm::from_param(find("SignatureMethod"));

    let mut hosts: Vec<&str> = Vec::with_capacity(1 + input.extra_hosts.len());
    let header_host = signed_host(input.host_header);
    if !header_host.is_empty() {
        hosts.push(header_host);
    }
    for h in input.extra_hosts {
        if !h.is_empty() && !hosts.contains(h) {
            hosts.push(h);
        }
    }

    let has_underscore = input
        .params
        .iter()
        .any(|(k, _)| k != "Signature" && k.contains('_'));
    let has_at = input.method.eq_ignore_ascii_case("POST")
        && input.params.iter().any(|(_, v)| v.starts_with('@'));
    let mut variants = vec![Variant::PRIMARY];
    if has_underscore {
        variants.push(Variant {
            order: NameOrder::Original,
            keep_at_values: false,
        });
    }
    if has_at {
        variants.push(Variant {
            order: NameOrder::Rewritten,
            keep_at_values: true,
        });
        if has_underscore {
            variants.push(Variant {
                order: NameOrder::Original,
                keep_at_values: true,
            });
        }
    }

    for host in &hosts {
        for variant in &variants {
            let source = string_to_sign(input.method, host, input.params, *variant);
            let expected = sign(algorithm, secret_key, &source);
            if same(expected.as_bytes(), signature.as_bytes()) {
                return Ok(Verified {
                    host: (*host).to_string(),
                    variant: *variant,
                    algorithm,
                });
            }
        }
    }
    Err(SignatureError::Mismatch)
}

/// Checks a request timestamp against `now` (both Unix seconds): more than
/// `window_seconds` apart is [`SignatureError::Expired`] (code 4500). The
/// documents give 2 hours (older pages) or 5 minutes (newer); the caller
/// chooses.
pub fn check_timestamp(
    timestamp: i64,
    now: i64,
    window_seconds: i64,
) -> Result<(), SignatureError> {
    if now.abs_diff(timestamp) > window_seconds.unsigned_abs() {
        Err(SignatureError::Expired)
    } else {
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! Vectors from /work/shared/spec/tencent-legacy-v2.md §2.3–2.4 and
    //! vectors/tencent-legacy-v2.txt (A1–A5, C1, D1, E1, F1, G1), plus
    //! vectors generated with qcloudapi-sdk-python 2.0.15 for a host with a
    //! port (P1) and a POST `@` password (P2), and fallbacks computed
    //! independently in Python (PHP-style order, `@` included).
    use super::*;

    const SECRET_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA";
    pub(crate) const KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA";
    const CVM: &str = "cvm.api.qcloud.com";

    fn decoded(raw: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect()
    }

    /// The parameters of a documented string to sign (`…?k=v&…`), which
    /// carry no `&`/`=` in values.
    fn params_of(sts: &str) -> Vec<(String, String)> {
        let (_, q) = sts.split_once('?').expect("query");
        q.split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').expect("k=v");
                (k.to_string(), v.to_string())
            })
            .collect()
    }

    fn check_doc_vector(sts: &str, alg: Algorithm, expected: &str) {
        assert_eq!(sign(alg, KEY, sts), expected);
        // The server rebuilds the same string from shuffled parameters.
        let mut params = params_of(sts);
        params.reverse();
        let method = if sts.starts_with("POST") {
            "POST"
        } else {
            "GET"
        };
        assert_eq!(string_to_sign(method, CVM, &params, Variant::PRIMARY), sts);
        params.push(("Signature".into(), expected.into()));
        let input = VerifyInput {
            method,
            host_header: CVM,
            extra_hosts: &[],
            params: &params,
        };
        let v = verify(&input, KEY).expect("verifies");
        assert_eq!(v.algorithm, alg);
        assert_eq!(verify(&input, "wrong-key"), Err(SignatureError::Mismatch));
    }

    const A1: &str = "GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&Nonce=11886&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA256&Timestamp=1465185768&instanceIds.0=ins-09dx96dg&limit=20&offset=0";
    const A3: &str = "GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Nonce=11886&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA256&Timestamp=1465185768";

    #[test]
    fn a1_doc_sha256() {
        check_doc_vector(
            A1,
            Algorithm::HmacSha256,
            "PSWUwVv4TfW2sQP1FT9KbbLjIZ9bmK8f1cL6fbpf3KI=",
        );
    }

    #[test]
    fn a2_doc_sha1_without_signature_method() {
        let a2 = A1.replace("&SignatureMethod=HmacSHA256", "");
        check_doc_vector(&a2, Algorithm::HmacSha1, "NSI3UqqD99b/UJb4tbG/xZpRW64=");
    }

    #[test]
    fn a3_doc_sha256_long_region() {
        check_doc_vector(
            A3,
            Algorithm::HmacSha256,
            "0EEm/HtGRr/VJXTAD9tYMth1Bzm3lLHz5RCDv1GdM8s=",
        );
    }

    #[test]
    fn a4_doc_sha1_named() {
        let a4 = A3.replace("HmacSHA256", "HmacSHA1");
        check_doc_vector(&a4, Algorithm::HmacSha1, "nPVnY6njQmwQ8ciqbPl5Qe+Oru4=");
    }

    #[test]
    fn a5_doc_sha1_old_example() {
        check_doc_vector(
            "GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&Nonce=345122&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&Timestamp=1408704141",
            Algorithm::HmacSha1,
            "HgIYOPcx5lN6gz8JsCFBNAWp2oQ=",
        );
    }

    #[test]
    fn unknown_signature_method_means_sha1() {
        assert_eq!(Algorithm::from_param(None), Algorithm::HmacSha1);
        assert_eq!(Algorithm::from_param(Some("HmacSHA1")), Algorithm::HmacSha1);
        assert_eq!(
            Algorithm::from_param(Some("hmacsha256")),
            Algorithm::HmacSha1
        );
        assert_eq!(Algorithm::from_param(Some("")), Algorithm::HmacSha1);
        assert_eq!(
            Algorithm::from_param(Some("HmacSHA256")),
            Algorithm::HmacSha256
        );
        // A string signed with SHA-1 under an unknown method verifies as SHA-1.
        let sts = A3.replace("HmacSHA256", "MD5");
        let mut params = params_of(&sts);
        params.push(("Signature".into(), sign(Algorithm::HmacSha1, KEY, &sts)));
        let input = VerifyInput {
            method: "GET",
            host_header: CVM,
            extra_hosts: &[],
            params: &params,
        };
        assert!(verify(&input, KEY).is_ok());
    }

    pub(crate) const C1_QUERY: &str = "instanceId=ins-r8hr2upy&imageType=2&imageId=img-31tjrtph&password=Abc123%21%40%23xyz&needSecurityAgent=1&needMonitorAgent=1&rootSize=50&Nonce=12345&Timestamp=1500000000&Action=ResetInstances&RequestClient=SDK_PYTHON_2.0.15&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA1&Signature=l05X7D7iRtiR3uzcZbiU3AHNO8o%3D";
    pub(crate) const D1_BODY: &str = "instanceId=ins-r8hr2upy&imageType=2&imageId=img-31tjrtph&password=Abc123%21%40%23xyz&needSecurityAgent=1&needMonitorAgent=1&rootSize=50&Nonce=12345&Timestamp=1500000000&Action=ResetInstances&RequestClient=SDK_PYTHON_2.0.15&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA256&Signature=Hge9bQbWhrEH8vxYIO2tF1h9YGs5ICO3OxxhFmCAkvA%3D";
    pub(crate) const E1_QUERY: &str = "instanceIds.0=ins-r8hr2upy&instanceIds.1=ins-5d8a23rs&offset=0&limit=20&Nonce=12345&Timestamp=1500000000&Action=DescribeInstances&RequestClient=SDK_PYTHON_2.0.15&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA1&Signature=9EgyT5qrNPu66S%2FtpsJLbbzG%2FKc%3D";
    pub(crate) const F1_QUERY: &str = "instanceIds_0=ins-r8hr2upy&Nonce=12345&Timestamp=1500000000&Action=StartInstances&RequestClient=SDK_PYTHON_2.0.15&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA1&Signature=21OvwA%2Fmx8yXqQA1%2BfcqRXXwOHs%3D";
    pub(crate) const G1_QUERY: &str = "instanceId=ins-r8hr2upy&instanceName=%E6%B5%8B%E8%AF%95+%E5%AE%9E%E4%BE%8B%2B1&Nonce=12345&Timestamp=1500000000&Action=ModifyInstanceAttributes&RequestClient=SDK_PYTHON_2.0.15&Region=gz&Token=tok123&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA1&Signature=F%2BqN0oHM%2BPAeJDDJR7WOYK4ZtRw%3D";
    /// qcloudapi-sdk-python 2.0.15, `Cvm` with `requestHost = "127.0.0.1:4590"`.
    const P1_QUERY: &str = "instanceIds.0=ins-r8hr2upy&Nonce=12345&Timestamp=1500000000&Action=DescribeInstances&RequestClient=SDK_PYTHON_2.0.15&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA1&Signature=x7Jtpg%2Fwv3kGhxawF7ipG5kF11M%3D";
    /// qcloudapi-sdk-python 2.0.15, POST with a password starting with `@`.
    const P2_BODY: &str = "instanceId=ins-r8hr2upy&password=%40bc12345678&Nonce=12345&Timestamp=1500000000&Action=ResetInstances&RequestClient=SDK_PYTHON_2.0.15&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA1&Signature=8GOI4ZwvE1uR8dkaoKk3Z4e8ii4%3D";

    fn verify_wire(method: &str, host: &str, raw: &str) -> Result<Verified, SignatureError> {
        let params = decoded(raw);
        verify(
            &VerifyInput {
                method,
                host_header: host,
                extra_hosts: &[],
                params: &params,
            },
            KEY,
        )
    }

    #[test]
    fn c1_reset_instances_get_sha1() {
        let params = decoded(C1_QUERY);
        assert_eq!(
            string_to_sign("GET", CVM, &params, Variant::PRIMARY),
            "GETcvm.api.qcloud.com/v2/index.php?Action=ResetInstances&Nonce=12345&Region=gz&RequestClient=SDK_PYTHON_2.0.15&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA1&Timestamp=1500000000&imageId=img-31tjrtph&imageType=2&instanceId=ins-r8hr2upy&needMonitorAgent=1&needSecurityAgent=1&password=Abc123!@#xyz&rootSize=50"
        );
        let v = verify_wire("GET", CVM, C1_QUERY).expect("C1");
        assert_eq!(v.variant, Variant::PRIMARY);
        assert_eq!(v.algorithm, Algorithm::HmacSha1);
        // The same bytes as a POST are a different request.
        assert_eq!(
            verify_wire("POST", CVM, C1_QUERY),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn d1_reset_instances_post_sha256() {
        let v = verify_wire("POST", CVM, D1_BODY).expect("D1");
        assert_eq!(v.algorithm, Algorithm::HmacSha256);
        assert_eq!(
            verify_wire("GET", CVM, D1_BODY),
            Err(SignatureError::Mismatch)
        );
        // Declaring SHA-1 for a SHA-256 signature fails.
        let downgraded = D1_BODY.replace("HmacSHA256", "HmacSHA1");
        assert_eq!(
            verify_wire("POST", CVM, &downgraded),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn e1_array_zero_based() {
        assert!(verify_wire("GET", CVM, E1_QUERY).is_ok());
    }

    #[test]
    fn f1_underscore_names_signed_with_dots() {
        let params = decoded(F1_QUERY);
        assert_eq!(
            string_to_sign("GET", CVM, &params, Variant::PRIMARY),
            "GETcvm.api.qcloud.com/v2/index.php?Action=StartInstances&Nonce=12345&Region=gz&RequestClient=SDK_PYTHON_2.0.15&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA1&Timestamp=1500000000&instanceIds.0=ins-r8hr2upy"
        );
        assert_eq!(
            verify_wire("GET", CVM, F1_QUERY).map(|v| v.variant),
            Ok(Variant::PRIMARY)
        );
    }

    #[test]
    fn g1_token_and_utf8_value() {
        let params = decoded(G1_QUERY);
        assert!(string_to_sign("GET", CVM, &params, Variant::PRIMARY)
            .ends_with("&Token=tok123&instanceId=ins-r8hr2upy&instanceName=测试 实例+1"));
        assert!(verify_wire("GET", CVM, G1_QUERY).is_ok());
        // The token is signed.
        let other = G1_QUERY.replace("Token=tok123", "Token=tok124");
        assert_eq!(
            verify_wire("GET", CVM, &other),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn p1_host_with_port_is_signed_as_sent() {
        assert!(verify_wire("GET", "127.0.0.1:4590", P1_QUERY).is_ok());
        assert_eq!(
            verify_wire("GET", "127.0.0.1:4591", P1_QUERY),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_wire("GET", "127.0.0.1", P1_QUERY),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn port_443_is_dropped_from_the_host() {
        assert_eq!(signed_host("cvm.api.qcloud.com:443"), CVM);
        assert_eq!(signed_host("127.0.0.1:4590"), "127.0.0.1:4590");
        assert!(verify_wire("GET", "cvm.api.qcloud.com:443", C1_QUERY).is_ok());
    }

    #[test]
    fn canonical_host_fallback() {
        // A client that signs cvm.api.qcloud.com but connects to 127.0.0.1.
        let params = decoded(C1_QUERY);
        let mut input = VerifyInput {
            method: "GET",
            host_header: "127.0.0.1:4590",
            extra_hosts: &[],
            params: &params,
        };
        assert_eq!(verify(&input, KEY), Err(SignatureError::Mismatch));
        input.extra_hosts = &["image.api.qcloud.com", CVM];
        assert_eq!(verify(&input, KEY).map(|v| v.host), Ok(CVM.to_string()));
        input.host_header = "";
        assert!(verify(&input, KEY).is_ok());
        input.extra_hosts = &[];
        assert_eq!(verify(&input, KEY), Err(SignatureError::Mismatch));
    }

    #[test]
    fn p2_post_drops_at_values() {
        let params = decoded(P2_BODY);
        assert!(!string_to_sign("POST", CVM, &params, Variant::PRIMARY).contains("password"));
        assert_eq!(
            verify_wire("POST", CVM, P2_BODY).map(|v| v.variant),
            Ok(Variant::PRIMARY)
        );
        // The documented clients do not sign `@` values, so changing one
        // keeps the signature valid: a weakness of the protocol itself.
        let changed = P2_BODY.replace("%40bc12345678", "%40other");
        assert!(verify_wire("POST", CVM, &changed).is_ok());
        // Only values starting with `@` are exempt.
        let no_at = P2_BODY.replace("%40bc12345678", "bc12345678");
        assert_eq!(
            verify_wire("POST", CVM, &no_at),
            Err(SignatureError::Mismatch)
        );
    }

    fn with_sig(list: &[(&str, &str)], sig: &str) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = list
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        v.push(("Signature".into(), sig.into()));
        v
    }

    const COMMON: [(&str, &str); 5] = [
        ("Action", "DescribeInstances"),
        ("Nonce", "12345"),
        ("Region", "gz"),
        ("SecretId", SECRET_ID),
        ("Timestamp", "1500000000"),
    ];

    #[test]
    fn fallback_original_name_order() {
        // Computed in Python: sort the original names (PHP ksort / Java
        // TreeMap), then rewrite `_`: `instanceIdsX` before `instanceIds.0`.
        let mut list = COMMON.to_vec();
        list.push(("instanceIds_0", "ins-a"));
        list.push(("instanceIdsX", "x"));
        let params = with_sig(&list, "A2+TbKKwFEm22QdrPvUZ4IUhMwE=");
        assert!(string_to_sign(
            "GET",
            CVM,
            &params,
            Variant {
                order: NameOrder::Original,
                keep_at_values: false
            }
        )
        .ends_with("&instanceIdsX=x&instanceIds.0=ins-a"));
        let input = VerifyInput {
            method: "GET",
            host_header: CVM,
            extra_hosts: &[],
            params: &params,
        };
        assert_eq!(
            verify(&input, KEY).map(|v| v.variant.order),
            Ok(NameOrder::Original)
        );
    }

    #[test]
    fn fallback_post_with_at_values_signed() {
        let mut list = COMMON.to_vec();
        list[0] = ("Action", "ResetInstances");
        list.push(("instanceId", "ins-a"));
        list.push(("password", "@bc12345678"));
        // Signed including the `@` value (computed in Python).
        let included = with_sig(&list, "/whuchSBYOMGs81F2TkobQfqO7U=");
        let input = VerifyInput {
            method: "POST",
            host_header: CVM,
            extra_hosts: &[],
            params: &included,
        };
        assert_eq!(
            verify(&input, KEY).map(|v| v.variant),
            Ok(Variant {
                order: NameOrder::Rewritten,
                keep_at_values: true
            })
        );
        // Signed without it: the primary rule.
        let excluded = with_sig(&list, "AU6/BRa8tZ0HOWEaefB0nBOfCwc=");
        let input = VerifyInput {
            params: &excluded,
            ..input
        };
        assert_eq!(verify(&input, KEY).map(|v| v.variant), Ok(Variant::PRIMARY));
        // On GET every value is signed; a signature without it fails.
        let input = VerifyInput {
            method: "GET",
            ..input
        };
        assert_eq!(verify(&input, KEY), Err(SignatureError::Mismatch));
        let get = with_sig(&list, "Qwyfj8KtqrHJuVjtuluXTUge1tE=");
        let input = VerifyInput {
            params: &get,
            ..input
        };
        assert_eq!(verify(&input, KEY).map(|v| v.variant), Ok(Variant::PRIMARY));
    }

    #[test]
    fn tampering_is_refused() {
        for (from, to) in [
            ("instanceId=ins-r8hr2upy", "instanceId=ins-r8hr2upz"),
            ("rootSize=50", "rootSize=60"),
            ("Nonce=12345", "Nonce=12346"),
            ("Timestamp=1500000000", "Timestamp=1500000001"),
            ("Region=gz", "Region=sh"),
            ("Action=ResetInstances", "Action=ResetInstance"),
            ("SecretId=AKIDz8", "SecretId=AKIDy8"),
            (
                "l05X7D7iRtiR3uzcZbiU3AHNO8o%3D",
                "l05X7D7iRtiR3uzcZbiU3AHNO8p%3D",
            ),
            (
                "l05X7D7iRtiR3uzcZbiU3AHNO8o%3D",
                "l05X7D7iRtiR3uzcZbiU3AHNO8o",
            ),
            ("l05X7D7iRtiR3uzcZbiU3AHNO8o%3D", ""),
        ] {
            assert!(C1_QUERY.contains(from), "{from}");
            let tampered = C1_QUERY.replace(from, to);
            assert_eq!(
                verify_wire("GET", CVM, &tampered),
                Err(SignatureError::Mismatch),
                "{from} -> {to}"
            );
        }
        // An added parameter is signed too, even an empty one.
        assert_eq!(
            verify_wire("GET", CVM, &format!("{C1_QUERY}&extra=")),
            Err(SignatureError::Mismatch)
        );
        // Another host.
        assert_eq!(
            verify_wire("GET", "image.api.qcloud.com", C1_QUERY),
            Err(SignatureError::Mismatch)
        );
        // Removing the signature.
        let unsigned = C1_QUERY.replace("&Signature=l05X7D7iRtiR3uzcZbiU3AHNO8o%3D", "");
        assert_eq!(
            verify_wire("GET", CVM, &unsigned),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn timestamps_outside_the_window_expire() {
        assert_eq!(check_timestamp(1000, 1300, 300), Ok(()));
        assert_eq!(check_timestamp(1300, 1000, 300), Ok(()));
        assert_eq!(
            check_timestamp(999, 1300, 300),
            Err(SignatureError::Expired)
        );
        assert_eq!(
            check_timestamp(1301, 1000, 300),
            Err(SignatureError::Expired)
        );
        assert_eq!(
            check_timestamp(i64::MIN, i64::MAX, 7200),
            Err(SignatureError::Expired)
        );
    }
}
