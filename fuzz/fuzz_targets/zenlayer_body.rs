//! A Zenlayer JSON body, decoded within the limits (the same path serves
//! Tencent's JSON bodies).
#![no_main]

use libfuzzer_sys::fuzz_target;
use stratus_api::zenlayer::{envelope::ApiError, params};

fuzz_target!(|data: &[u8]| {
    match params::decode(data) {
        Ok(value) => assert!(value.is_object()),
        Err(e) => assert_eq!(ApiError::from(e).status, 400),
    }
});
