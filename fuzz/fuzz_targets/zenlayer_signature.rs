//! The Zenlayer `Authorization` header (ZC2 or Bearer) and the signature
//! check over the input as body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stratus_api::zenlayer::signature::{self as sig, Authorization, SignedParts};

fuzz_target!(|data: &[u8]| {
    let value = String::from_utf8_lossy(data);
    if let Ok(Authorization::Signed {
        signed_headers,
        signature,
        ..
    }) = sig::parse_authorization(&value)
    {
        let parts = SignedParts {
            content_type: "application/json",
            host: "127.0.0.1",
            timestamp: "1673361177",
            body: data,
        };
        let _ = sig::verify("secret", &signed_headers, &signature, &parts);
    }
});
