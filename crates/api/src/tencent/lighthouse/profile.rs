//! Lighthouse as data: its profile, its catalog and its state names.

use std::collections::HashMap;
use stratus_engine::catalog::Catalog;
use stratus_engine::lifecycle::LifecycleState as S;
use stratus_engine::profile::{PasswordPolicy, PasswordRule, ProductProfile};
use stratus_engine::Product;

/// Special characters Lighthouse accepts in passwords (spec §4.2; no space).
const SPECIALS: &str = "()`~!@#$%^&*-+=_|{}[]:;'<>,.?/";

/// The Lighthouse profile.
pub fn profile() -> ProductProfile {
    let rule = |min_len| PasswordRule {
        min_len,
        max_len: 30,
        min_classes: 3,
        required: Vec::new(),
        specials: SPECIALS.to_string(),
        other_visible_ok: false,
        forbid_leading_slash: true,
    };
    ProductProfile {
        key: super::PRODUCT.to_string(),
        ids: crate::tencent::profile::id_formats("lhins-", "lhbp-", "lhkp-", "lhdisk-"),
        allowed_states: crate::tencent::profile::allowed_states(
            vec![S::Running, S::Stopped, S::LaunchFailed],
            vec![S::Isolated],
        ),
        batch_limit: 100,
        passwords: PasswordPolicy {
            linux: rule(8),
            windows: rule(12),
        },
        reset_passwords: None,
        // Seed 001: no switching between LINUX_UNIX and WINDOWS.
        reinstall_may_switch_family: false,
        reinstall_lands_in: None,
        recycle_bin: stratus_engine::profile::RecycleBin::Unused,
        prepaid_prices: None,
        keys_on_windows: false,
        max_keys_per_instance: 5,
        // Seed 001: "A maximum of 10 requests can be initiated per second".
        rate_limits: HashMap::from([("ResetInstance".to_string(), 10)]),
        default_instance_name: "Unnamed".to_string(),
        default_user_linux: "root".to_string(),
        default_user_windows: "Administrator".to_string(),
    }
}

/// The built-in Lighthouse catalog.
pub fn catalog() -> Result<Catalog, serde_json::Error> {
    serde_json::from_str(include_str!(
        "../../../../../catalog/tencent/lighthouse.catalog.json"
    ))
}

/// Lighthouse, ready for the engine.
pub fn product() -> Result<Product, serde_json::Error> {
    Ok(Product {
        profile: profile(),
        catalog: catalog()?,
    })
}

pub use crate::tencent::states::{state_name, states_named};
