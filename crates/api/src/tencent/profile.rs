//! What the profiles of the Tencent API 3.0 products share: id formats and
//! the states each operation may start from (they differ in how instances
//! are retired).

use std::collections::HashMap;
use stratus_engine::lifecycle::{LifecycleState as S, OperationKind as K};
use stratus_engine::profile::{IdFormats, IdStyle};

/// Tencent ids: a prefix and 8 lower-case letters or digits.
pub fn prefixed(prefix: &str) -> IdStyle {
    IdStyle::Prefixed {
        prefix: prefix.to_string(),
        len: 8,
    }
}

/// The id formats from the product's prefixes.
pub fn id_formats(instance: &str, image: &str, key_pair: &str, disk: &str) -> IdFormats {
    IdFormats {
        instance: prefixed(instance),
        image: prefixed(image),
        key_pair: prefixed(key_pair),
        disk: prefixed(disk),
    }
}

/// The states each operation may start from: the same in both products
/// but for `isolate` and `terminate`.
pub fn allowed_states(isolate: Vec<S>, terminate: Vec<S>) -> HashMap<K, Vec<S>> {
    HashMap::from([
        (K::Start, vec![S::Stopped]),
        (K::Stop, vec![S::Running]),
        (K::Reboot, vec![S::Running]),
        (K::Reinstall, vec![S::Running, S::Stopped]),
        (K::ResetPassword, vec![S::Running, S::Stopped]),
        (K::AssociateKeys, vec![S::Running, S::Stopped]),
        (K::DisassociateKeys, vec![S::Running, S::Stopped]),
        (K::Isolate, isolate),
        (K::Terminate, terminate),
    ])
}
