//! Tencent signatures: the TC3 `Authorization` header, verified over the
//! input as body; and the v1 `Signature` over form parameters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stratus_api::{limits, tencent::signature as sig};

fuzz_target!(|data: &[u8]| {
    let header = String::from_utf8_lossy(data);
    if let Ok(auth) = sig::parse_tc3_authorization(&header) {
        let lookup = |name: &str| Some(format!("{name}-value"));
        let input = sig::Tc3Input {
            method: "POST",
            path: "/",
            query: "",
            header: &lookup,
            body: data,
            timestamp: "1551113065",
            unsigned_payload: false,
        };
        let _ = sig::verify_tc3(&auth, &input, "secret");
    }
    if let Ok(pairs) = limits::form(data) {
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if let Some(method) = sig::V1Method::from_param(get("SignatureMethod")) {
            let source = sig::v1_source("POST", "cvm.tencentcloudapi.com", "/", &pairs);
            let _ = sig::verify_v1(method, "secret", &source, get("Signature").unwrap_or(""));
        }
    }
});
