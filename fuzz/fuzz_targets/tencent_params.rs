//! Tencent API 3.0 parameters: a GET query or form body rebuilt against an
//! action's request structure, and a JSON body checked against it. The
//! first byte picks the product and action.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use stratus_api::tencent::{self, params::ApiSchema};

/// Each product's schema with its request structures, in a fixed order.
fn schemas() -> &'static [(ApiSchema, Vec<String>)] {
    static SCHEMAS: OnceLock<Vec<(ApiSchema, Vec<String>)>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        [tencent::lighthouse::SCHEMA, tencent::cvm::SCHEMA]
            .iter()
            .filter_map(|s| ApiSchema::parse(s).ok())
            .map(|s| {
                let mut names: Vec<String> = s.actions.values().cloned().collect();
                names.sort();
                (s, names)
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Some((schema, structures)) = schemas().get(usize::from(pick) % 2) else {
        return;
    };
    let Some(structure) = structures.get(usize::from(pick / 2) % structures.len().max(1)) else {
        return;
    };
    let query = String::from_utf8_lossy(rest);
    for (method, query, body) in [("GET", &*query, &b""[..]), ("POST", "", rest)] {
        if let Ok(pairs) = tencent::params::flat(method, false, query, body) {
            if let Ok(value) = schema.unflatten(structure, &pairs) {
                assert!(schema.validate(structure, &value).is_ok());
            }
        }
    }
    if let Ok(value) = tencent::params::json(rest) {
        let _ = schema.validate(structure, &value);
    }
});
