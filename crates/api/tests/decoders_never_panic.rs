//! Every parser that reads request bytes, fed thousands of random and
//! mutated inputs from a fixed seed: byte flips, truncations, huge numbers,
//! deep nesting, duplicated keys, invalid UTF-8, random header lists. Each
//! must return (`Ok` or its typed error) without panicking, and what it
//! accepts must lie within the generic limits. The same entry points are
//! the cargo-fuzz targets in `fuzz/`; inputs that once crashed a target are
//! kept in `REGRESSIONS` and replayed here.

use bytes::Bytes;
use serde_json::Value;
use stratus_api::dialect::Head;
use stratus_api::limits::{self, LimitError};
use stratus_api::request::RawRequest;
use stratus_api::tencent::params::ApiSchema;
use stratus_api::{kingsoft, qcloud_v2, tencent, zenlayer};

/// Cases per test: random and mutated inputs.
const CASES: usize = 4000;

/// Inputs that crashed a fuzz target once (none so far).
const REGRESSIONS: &[&[u8]] = &[];

/// SplitMix64: a tiny deterministic generator, so the suite needs no
/// dependency and every run sees the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Fragments that make parsers work hard when spliced in.
const TOKENS: &[&[u8]] = &[
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"\\",
    b"\\u",
    b"\\ud800",
    b":",
    b",",
    b"&",
    b"=",
    b".",
    b"_",
    b"%",
    b"%ff",
    b"%C3%28",
    b"%00",
    b"+",
    b";",
    b"/",
    b"\r\n",
    b"\r\n\r\n",
    b"--",
    b"0",
    b"-1",
    b"99999999999999999999999999",
    b"1e999999",
    b"-9223372036854775808",
    b"18446744073709551616",
    b"NaN",
    b"null",
    b"true",
    b"\xff",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\xf0\x9f\x98",
    b"\x00",
    b"Filters.0.Values.0",
    b"InstanceId.1001",
    b"Filter.1.Name",
    b"instanceIds_0",
    b"Signature",
    b"Credential=",
    b"SignedHeaders=",
    b"Signature=",
    b" ",
    b"\t",
    b"T",
    b"Z",
    b"a/b/c/d/e/f",
];

/// What deep nesting is made of.
const OPENERS: &[&[u8]] = &[b"[", b"{\"a\":", b"a.", b"{"];

/// `input` changed in one to four random ways.
fn mutate(rng: &mut Rng, input: &[u8], others: &[&[u8]]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = if v.is_empty() {
            0
        } else {
            rng.below(v.len() + 1)
        };
        match rng.below(11) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            2 => v.truncate(at),
            3 if at < v.len() => {
                let end = (at + 1 + rng.below(16)).min(v.len());
                v.drain(at..end);
            }
            4 | 5 => {
                let token = rng.pick(TOKENS);
                v.splice(at..at, token.iter().copied());
            }
            6 if at < v.len() => {
                // Duplicate a stretch: repeated keys, pairs, parts.
                let end = (at + 1 + rng.below(64)).min(v.len());
                let copy = v[at..end].to_vec();
                v.splice(end..end, copy);
            }
            7 => {
                let n = 1 + rng.below(16);
                let noise: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                v.splice(at..at, noise);
            }
            8 => {
                let digits: Vec<u8> = (0..1 + rng.below(400))
                    .map(|_| b'0' + rng.below(10) as u8)
                    .collect();
                v.splice(at..at, digits);
            }
            9 => {
                let other = rng.pick(others);
                let from = rng.below(other.len() + 1);
                v.splice(at..at, other[from..].iter().copied());
            }
            _ => {
                // A run of openers: deep nesting.
                let opener = *rng.pick(OPENERS);
                let n = 1 + rng.below(300);
                let run: Vec<u8> = opener
                    .iter()
                    .copied()
                    .cycle()
                    .take(opener.len() * n)
                    .collect();
                v.splice(at..at, run);
            }
        }
    }
    v
}

/// Purely random bytes, biased towards the syntax characters.
fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    let n = rng.below(200);
    (0..n)
        .map(|_| match rng.below(3) {
            0 => rng.next() as u8,
            1 => *rng.pick(b"{}[]\",:&=.%_\\ 0123456789"),
            _ => *rng.pick(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        })
        .collect()
}

/// Generated shapes that are well formed but hostile.
fn hostile_json(rng: &mut Rng) -> Vec<u8> {
    match rng.below(6) {
        0 => {
            let n = rng.below(200);
            format!("{}1{}", "[".repeat(n), "]".repeat(n)).into_bytes()
        }
        1 => {
            let n = rng.below(1500);
            let items = vec!["\"ins-1\""; n].join(",");
            format!("{{\"InstanceIds\":[{items}],\"instanceIds\":[{items}]}}").into_bytes()
        }
        2 => {
            let n = rng.below(3000);
            let members: Vec<String> = (0..n).map(|i| format!("\"k{}\":{i}", i % 7)).collect();
            format!("{{{}}}", members.join(",")).into_bytes()
        }
        3 => format!("{{\"Limit\":{}}}", "9".repeat(rng.below(500))).into_bytes(),
        4 => format!("{{\"a\":\"{}\"}}", "x".repeat(rng.below(70_000))).into_bytes(),
        _ => {
            let n = rng.below(100);
            format!("{}\"v\"{}", "{\"a\":".repeat(n), "}".repeat(n)).into_bytes()
        }
    }
}

/// An input for case `i`: seeds mutated, random bytes, hostile shapes.
fn input(rng: &mut Rng, i: usize, seeds: &[&[u8]], json: bool) -> Vec<u8> {
    if let Some(r) = REGRESSIONS.get(i) {
        return r.to_vec();
    }
    match rng.below(10) {
        0 | 1 => random_bytes(rng),
        2 if json => hostile_json(rng),
        _ => {
            let seed = rng.pick(seeds);
            mutate(rng, seed, seeds)
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn longest_list(v: &Value) -> usize {
    match v {
        Value::Array(a) => a.iter().map(longest_list).max().unwrap_or(0).max(a.len()),
        Value::Object(o) => o.values().map(longest_list).max().unwrap_or(0),
        _ => 0,
    }
}

/// What every accepted JSON body satisfies.
fn assert_within_limits(v: &Value) {
    assert!(
        depth(v) <= limits::MAX_DEPTH,
        "accepted a body nested {} deep",
        depth(v)
    );
    assert!(longest_list(v) <= limits::MAX_LIST_ITEMS);
}

/// What every accepted list of pairs satisfies.
fn assert_pairs_within_limits(pairs: &[(String, String)]) {
    assert!(pairs.len() <= limits::MAX_PARAMETERS);
    for (k, v) in pairs {
        assert_eq!(limits::check_pair(k, v), Ok(()));
    }
}

fn raw(method: &str, query: &[u8], headers: Vec<(String, String)>, body: &[u8]) -> RawRequest {
    RawRequest {
        method: method.into(),
        path: "/v2/index.php".into(),
        query: text(query),
        headers: headers.into_iter().collect(),
        body: Bytes::copy_from_slice(body),
        request_id: "r-1".into(),
    }
}

/// A random header list: the names parsers look for, duplicated at times,
/// with values taken from the inputs.
fn random_headers(rng: &mut Rng, values: &[&[u8]]) -> Vec<(String, String)> {
    const NAMES: &[&str] = &[
        "host",
        "content-type",
        "authorization",
        "x-amz-date",
        "x-action",
        "x-zc-action",
        "x-tc-action",
        "x-amz-content-sha256",
        "x-zc-timestamp",
        "content-length",
        "x-unknown",
    ];
    (0..rng.below(12))
        .map(|_| {
            let seed = *rng.pick(values);
            let value = mutate(rng, seed, values);
            (rng.pick(NAMES).to_string(), text(&value))
        })
        .collect()
}

const TENCENT_JSON: &[u8] =
    br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
const TENCENT_FORM: &[u8] = b"Limit=1&Filters.0.Values.0=%E6%9C%AA%E5%91%BD%E5%90%8D&Filters.0.Name=instance-name&InstanceIds.0=lhins-1&Offset=0";
const TENCENT_RUN: &[u8] = br#"{"Placement":{"Zone":"ap-guangzhou-6"},"ImageId":"img-1","InstanceCount":2,"InstanceName":"web{R:1,F:3}","DataDisks":[{"DiskSize":50}],"LoginSettings":{"KeyIds":["skey-1"]},"DryRun":true}"#;
const TC3_AUTH: &[u8] = b"TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=be4f67d323c78ab9acb7395e43c0dbcf822a9cfac32fea2449a7bc7726b770a3";
const LEGACY_QUERY: &[u8] = b"instanceId=ins-r8hr2upy&imageType=2&imageId=img-31tjrtph&password=Abc123%21%40%23xyz&needSecurityAgent=1&needMonitorAgent=1&rootSize=50&Nonce=12345&Timestamp=1500000000&Action=ResetInstances&RequestClient=SDK_PYTHON_2.0.15&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&SignatureMethod=HmacSHA1&Signature=l05X7D7iRtiR3uzcZbiU3AHNO8o%3D&instanceIds_0=a&instanceIds.1=b";
const LEGACY_MULTIPART: &[u8] = b"preamble\r\n--b-1\r\ncontent-disposition: form-data; name=\"instanceName\"\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nweb\r\n--b-1\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nbytes\r\n--b-1\r\nContent-Disposition: form-data; name=\"a\\\"b\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\nv\r\n--b-1--\r\n";
const KEC_FORM: &[u8] = b"InstanceId.0=8f2f1d5e-0d58-4b11-9b0a-2b8e9c1a7a11&ForceReboot=True&Service=kec&Action=RebootInstances&Version=2016-03-04&Filter.1.Name=instance-state.name&Filter.1.Value.1=active&DataDisk.1.Type=SSD3.0&SystemDisk_DiskSize=50&MaxResults=10";
const SIGV4_AUTH: &[u8] = b"AWS4-HMAC-SHA256 Credential=AKLTtestAccessKeyId000/20240101/cn-beijing-6/kec/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const ZEC_BODY: &[u8] = br#"{"zoneId": "asia-east-1a", "imageId": "ubuntu2404_20240712", "instanceType": "z2a.cpu.1", "keyId": "key-rcfljdP5", "instanceCount": 1, "systemDisk": {"diskSize": 20}, "subnetId": "1272168087751233112", "tags": {"tags": [{"key": "env", "value": "prod"}]}, "instanceIds": ["1", "2"]}"#;
const ZC2_AUTH: &[u8] = b"ZC2-HMAC-SHA256 Credential=STRATUSDEVELOPMENTZENLAYER, SignedHeaders=content-type;host, Signature=efb356c32e55c781e10dc676da59462c22596d82e91c57803666243379555b2f";

fn schemas() -> Vec<ApiSchema> {
    [tencent::lighthouse::SCHEMA, tencent::cvm::SCHEMA]
        .iter()
        .map(|s| ApiSchema::parse(s).expect("an embedded schema parses"))
        .collect()
}

#[test]
fn generic_limits() {
    let mut rng = Rng(1);
    let seeds: [&[u8]; 5] = [TENCENT_JSON, TENCENT_RUN, ZEC_BODY, TENCENT_FORM, KEC_FORM];
    for i in 0..CASES {
        let bytes = input(&mut rng, i, &seeds, true);
        match limits::json(&bytes) {
            Ok(v) => assert_within_limits(&v),
            Err(limits::JsonError::Limit(_) | limits::JsonError::Syntax(_)) => {}
        }
        if let Ok(pairs) = limits::form(&bytes) {
            assert_pairs_within_limits(&pairs);
        }
    }
}

#[test]
fn tencent_parameters() {
    let mut rng = Rng(2);
    let schemas = schemas();
    let mut structures: Vec<(&ApiSchema, &str)> = schemas
        .iter()
        .flat_map(|s| s.actions.values().map(move |r| (s, r.as_str())))
        .collect();
    // The schema's map has no order; the cases must not depend on it.
    structures.sort_by(|a, b| (&a.0.version, a.1).cmp(&(&b.0.version, b.1)));
    let seeds: [&[u8]; 4] = [TENCENT_JSON, TENCENT_RUN, TENCENT_FORM, LEGACY_QUERY];
    for i in 0..CASES {
        let bytes = input(&mut rng, i, &seeds, true);
        let (schema, structure) = *rng.pick(&structures);
        let method = *rng.pick(&["GET", "POST", "PUT"]);
        if let Ok(pairs) = tencent::params::flat(method, false, &text(&bytes), &bytes) {
            assert_pairs_within_limits(&pairs);
            if let Ok(v) = schema.unflatten(structure, &pairs) {
                assert_eq!(schema.validate(structure, &v), Ok(()));
            }
        }
        if let Ok(v) = tencent::params::json(&bytes) {
            assert_within_limits(&v);
            let _ = schema.validate(structure, &v);
        }
    }
}

#[test]
fn tencent_signatures() {
    let mut rng = Rng(3);
    let seeds: [&[u8]; 3] = [TC3_AUTH, TENCENT_FORM, LEGACY_QUERY];
    for i in 0..CASES {
        let bytes = input(&mut rng, i, &seeds, false);
        let header = text(&bytes);
        if let Ok(auth) = tencent::signature::parse_tc3_authorization(&header) {
            assert_eq!(auth.signature.len(), 64);
            let headers = random_headers(&mut rng, &seeds);
            let lookup = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
            let input = tencent::signature::Tc3Input {
                method: "POST",
                path: "/",
                query: "",
                header: &lookup,
                body: &bytes,
                timestamp: "1551113065",
                unsigned_payload: rng.below(2) == 0,
            };
            let _ = tencent::signature::verify_tc3(&auth, &input, "key");
        }
        // v1: the parameters and the Signature they carry.
        if let Ok(pairs) = limits::form(&bytes) {
            let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            if let Some(method) = tencent::signature::V1Method::from_param(get("SignatureMethod")) {
                let source = tencent::signature::v1_source("GET", &header, "/", &pairs);
                let _ = tencent::signature::verify_v1(
                    method,
                    "key",
                    &source,
                    get("Signature").unwrap_or(""),
                );
            }
        }
    }
}

#[test]
fn legacy_requests() {
    let mut rng = Rng(4);
    let seeds: [&[u8]; 3] = [LEGACY_QUERY, LEGACY_MULTIPART, TENCENT_FORM];
    let content_types = [
        "",
        "application/x-www-form-urlencoded; charset=UTF-8",
        "multipart/form-data; boundary=b-1",
        "Multipart/Form-Data; charset=utf-8; boundary=\"b-1\"",
        "multipart/form-data; boundary=\"unclosed",
        "multipart/form-data; boundary=",
        "application/json",
    ];
    for i in 0..CASES {
        let bytes = input(&mut rng, i, &seeds, false);
        let mut headers = vec![("host".to_string(), "cvm.api.qcloud.com".to_string())];
        let ct = rng.pick(&content_types).as_bytes();
        let ct = if rng.below(4) == 0 {
            mutate(&mut rng, ct, &[ct])
        } else {
            ct.to_vec()
        };
        headers.push(("content-type".into(), text(&ct)));
        let method = *rng.pick(&["GET", "POST", "DELETE"]);
        let request = raw(method, &bytes, headers, &bytes);
        let Ok(decoded) = qcloud_v2::LegacyRequest::decode(&request) else {
            continue;
        };
        assert_pairs_within_limits(&decoded.pairs);
        let _ = decoded.verify_signature("key", &[qcloud_v2::CVM_HOST]);
        let _ = decoded.common.timestamp_seconds();
        let _ = decoded.common.nonce_value();
        let _ = decoded.common.action();
        for name in [
            "instanceIds",
            "instanceId",
            "limit",
            "rootSize",
            "Filters.0.Values",
        ] {
            let _ = decoded.params.array(name);
            let _ = decoded.params.int(name);
        }
        let _ = decoded
            .params
            .check_known(&["instanceId", "limit"], &["instanceIds"]);
        if let Ok(ts) = decoded.common.timestamp_seconds() {
            let _ = qcloud_v2::signature::check_timestamp(ts, 1_700_000_000, 300);
            let _ = qcloud_v2::signature::check_timestamp(i64::MIN, ts, i64::MIN);
        }
    }
}

#[test]
fn kingsoft_parameters() {
    let mut rng = Rng(5);
    let seeds: [&[u8]; 3] = [KEC_FORM, TENCENT_FORM, LEGACY_QUERY];
    for i in 0..CASES {
        let query = input(&mut rng, i, &seeds, false);
        let seed = *rng.pick(&seeds);
        let body = mutate(&mut rng, seed, &seeds);
        let content_type = rng.pick(&[
            None,
            Some("application/x-www-form-urlencoded"),
            Some("text/plain"),
        ]);
        let headers = random_headers(&mut rng, &seeds);
        let _ = kingsoft::recognises(&Head {
            path: "/",
            headers: &headers.iter().cloned().collect(),
            query: &text(&query),
            form: &body,
        });
        let Ok(pairs) = kingsoft::params::decode("POST", *content_type, &text(&query), &body)
        else {
            continue;
        };
        assert_pairs_within_limits(&pairs);
        let p = kingsoft::params::Params::from_pairs(&pairs);
        let _ = p.filters();
        for name in [
            "InstanceId",
            "KeyId",
            "DataDisk",
            "MaxResults",
            "ForceReboot",
            "SystemDisk.DiskSize",
        ] {
            let _ = p.list(name);
            let _ = p.structs(name);
            let _ = p.int(name);
            let _ = p.bool(name);
        }
        let _ = p.check_known(&["InstanceId.N", "Filter.N.Value.N", "DataDisk.N.Type"]);
        let _ = kingsoft::signature::verify_legacy("key", &pairs, "00");
    }
}

#[test]
fn kingsoft_signatures() {
    let mut rng = Rng(6);
    let seeds: [&[u8]; 4] = [
        SIGV4_AUTH,
        b"20240101T000000Z",
        b"2024-01-01T00:00:00Z",
        KEC_FORM,
    ];
    for i in 0..CASES {
        let bytes = input(&mut rng, i, &seeds, false);
        let value = text(&bytes);
        let _ = kingsoft::signature::parse_amz_date(&value);
        let _ = kingsoft::signature::parse_iso_seconds(&value);
        let _ = kingsoft::signature::canonical_query(&value);
        let _ = kingsoft::signature::canonical_uri(&value);
        if let Ok(auth) = kingsoft::signature::parse_authorization(&value) {
            assert_eq!(auth.signature.len(), 64);
            let headers = random_headers(&mut rng, &seeds);
            let input = kingsoft::signature::SigV4Input {
                method: "POST",
                path: "/",
                query: &value,
                headers: &headers.iter().cloned().collect(),
                body: &bytes,
                amz_date: "20240101T000000Z",
            };
            assert!(kingsoft::signature::verify_sigv4("key", &auth, &input).is_err());
        }
    }
}

#[test]
fn zenlayer_bodies_and_signatures() {
    let mut rng = Rng(7);
    let seeds: [&[u8]; 4] = [ZEC_BODY, ZC2_AUTH, b"Bearer token", TENCENT_RUN];
    for i in 0..CASES {
        let bytes = input(&mut rng, i, &seeds, true);
        match zenlayer::params::decode(&bytes) {
            Ok(v) => {
                assert!(v.is_object());
                assert_within_limits(&v);
            }
            Err(e) => {
                let e = zenlayer::envelope::ApiError::from(e);
                assert_eq!(e.status, 400);
            }
        }
        let value = text(&bytes);
        if let Ok(zenlayer::signature::Authorization::Signed {
            signed_headers,
            signature,
            ..
        }) = zenlayer::signature::parse_authorization(&value)
        {
            let parts = zenlayer::signature::SignedParts {
                content_type: "application/json",
                host: &value,
                timestamp: "1673361177",
                body: &bytes,
            };
            assert!(
                zenlayer::signature::verify("key", &signed_headers, &signature, &parts).is_err()
            );
        }
        let headers = random_headers(&mut rng, &seeds);
        let _ = zenlayer::recognises(&Head {
            path: &value,
            headers: &headers.iter().cloned().collect(),
            query: "",
            form: b"",
        });
    }
}

#[test]
fn limit_errors_keep_their_kind() {
    // The kinds the dialects map onto their codes.
    for e in [LimitError::TooManyHeaders, LimitError::HeadersTooLarge] {
        assert!(e.is_request_size() && !e.is_value());
    }
    for e in [
        LimitError::ValueTooLong("x".into(), 1),
        LimitError::TooManyItems("x".into()),
    ] {
        assert!(e.is_value() && !e.is_request_size());
    }
}
