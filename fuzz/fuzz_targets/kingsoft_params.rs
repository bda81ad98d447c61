//! Kingsoft parameters: query and form body merged, then read as lists,
//! structures, filters, integers and booleans. The first byte picks where
//! the input splits into query and body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stratus_api::kingsoft::params::{self, Params};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let at = usize::from(pick) * rest.len() / 256;
    let (query, body) = rest.split_at(at);
    let query = String::from_utf8_lossy(query);
    let Ok(pairs) = params::decode("POST", None, &query, body) else {
        return;
    };
    let p = Params::from_pairs(&pairs);
    let _ = p.filters();
    for name in [
        "InstanceId",
        "KeyId",
        "DataDisk",
        "MaxResults",
        "SystemDisk.DiskSize",
    ] {
        let _ = p.list(name);
        let _ = p.structs(name);
        let _ = p.int(name);
        let _ = p.bool(name);
    }
    let _ = p.check_known(&["InstanceId.N", "Filter.N.Name", "Filter.N.Value.N"]);
});
