//! Kingsoft signatures: the SigV4 `Authorization` header, `X-Amz-Date`,
//! ISO timestamps and the canonical query and path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stratus_api::kingsoft::signature as sig;

fuzz_target!(|data: &[u8]| {
    let value = String::from_utf8_lossy(data);
    let _ = sig::parse_amz_date(&value);
    let _ = sig::parse_iso_seconds(&value);
    let _ = sig::canonical_query(&value);
    let _ = sig::canonical_uri(&value);
    if let Ok(auth) = sig::parse_authorization(&value) {
        let headers = vec![
            ("host".to_string(), value.to_string()),
            ("x-amz-date".to_string(), "20240101T000000Z".to_string()),
        ];
        let input = sig::SigV4Input {
            method: "POST",
            path: &value,
            query: &value,
            headers: &headers,
            body: data,
            amz_date: "20240101T000000Z",
        };
        let _ = sig::verify_sigv4("secret", &auth, &input);
    }
});
