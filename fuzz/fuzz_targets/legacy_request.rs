//! The legacy API 2.0 decoder (GET query, form or multipart POST body),
//! its signature and typed getters. The first byte picks the method and
//! content type.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stratus_api::qcloud_v2::{self, LegacyRequest};
use stratus_api::request::RawRequest;

const CONTENT_TYPES: [&str; 4] = [
    "",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=b",
    "multipart/form-data; charset=utf-8; boundary=\"--x y\"",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let method = if pick & 1 == 0 { "GET" } else { "POST" };
    let content_type = CONTENT_TYPES[usize::from(pick >> 1) % CONTENT_TYPES.len()];
    let request = RawRequest {
        method: method.into(),
        path: qcloud_v2::PATH.into(),
        query: String::from_utf8_lossy(rest).into_owned(),
        headers: vec![
            ("host".into(), qcloud_v2::CVM_HOST.into()),
            ("content-type".into(), content_type.into()),
        ],
        body: Bytes::copy_from_slice(rest),
        request_id: "fuzz".into(),
    };
    let Ok(decoded) = LegacyRequest::decode(&request) else {
        return;
    };
    let _ = decoded.verify_signature("secret", &[qcloud_v2::IMAGE_HOST]);
    let _ = decoded.common.timestamp_seconds();
    let _ = decoded.common.nonce_value();
    for name in ["instanceIds", "instanceId", "limit", "offset"] {
        let _ = decoded.params.array(name);
        let _ = decoded.params.int(name);
    }
    let _ = decoded
        .params
        .check_known(&["limit", "offset"], &["instanceIds"]);
});
