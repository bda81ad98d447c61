//! CVM as data: its profile, its catalog and its state names.

use std::collections::HashMap;
use stratus_engine::catalog::Catalog;
use stratus_engine::lifecycle::LifecycleState as S;
use stratus_engine::profile::{PasswordPolicy, PasswordRule, ProductProfile};
use stratus_engine::Product;

/// Special characters of the RunInstances / ResetInstance password rule (spec §5.4).
const SPECIALS: &str = "()`~!@#$%^&*-+=|{}[]:;',.?/";

/// Specials of the ResetInstancesPassword rule (spec §5.4).
const RESET_SPECIALS: &str = "()`~!@#$%^&*-+=_|{}[]:;'<>,.?/";

/// A CVM password rule: `min_len`–30 characters of `min_classes` classes.
pub fn password_rule(
    min_len: usize,
    min_classes: usize,
    specials: &str,
    forbid_leading_slash: bool,
) -> PasswordRule {
    PasswordRule {
        min_len,
        max_len: 30,
        min_classes,
        required: Vec::new(),
        specials: specials.to_string(),
        other_visible_ok: false,
        forbid_leading_slash,
    }
}

/// The CVM profile.
pub fn profile() -> ProductProfile {
    ProductProfile {
        key: super::PRODUCT.to_string(),
        ids: crate::tencent::profile::id_formats("ins-", "img-", "skey-", "disk-"),
        allowed_states: crate::tencent::profile::allowed_states(
            vec![S::Running, S::Stopped],
            vec![S::Running, S::Stopped, S::Isolated, S::LaunchFailed],
        ),
        batch_limit: 100,
        passwords: PasswordPolicy {
            linux: password_rule(8, 2, SPECIALS, false),
            windows: password_rule(12, 3, SPECIALS, false),
        },
        // ResetInstancesPassword is stricter than creation (spec §5.4): three
        // classes, its own specials, no leading `/`.
        reset_passwords: Some(PasswordPolicy {
            linux: password_rule(8, 3, RESET_SPECIALS, true),
            windows: password_rule(12, 3, RESET_SPECIALS, true),
        }),
        // Seed 003: Linux <-> Windows is allowed and changes the system disk.
        reinstall_may_switch_family: true,
        reinstall_lands_in: None,
        recycle_bin: stratus_engine::profile::RecycleBin::Prepaid,
        prepaid_prices: Some(stratus_engine::profile::PrepaidPrices {
            hours_per_month: 24.0 * 30.0,
            disk_per_gb_month: 1.0,
        }),
        keys_on_windows: false,
        max_keys_per_instance: 100,
        rate_limits: HashMap::new(),
        default_instance_name: "未命名".to_string(),
        default_user_linux: "root".to_string(),
        default_user_windows: "Administrator".to_string(),
    }
}

/// The built-in CVM catalog.
pub fn catalog() -> Result<Catalog, serde_json::Error> {
    serde_json::from_str(include_str!(
        "../../../../../catalog/tencent/cvm.catalog.json"
    ))
}

/// CVM, ready for the engine.
pub fn product() -> Result<Product, serde_json::Error> {
    Ok(Product {
        profile: profile(),
        catalog: catalog()?,
    })
}

pub use crate::tencent::states::{state_name, states_named};

/// The state-named refusal code CVM uses (`UnsupportedOperation.InstanceStateStopped`, ...).
pub fn state_code(state: S) -> &'static str {
    match state {
        S::Pending => "UnsupportedOperation.InstanceStatePending",
        S::LaunchFailed => "UnsupportedOperation.InstanceStateLaunchFailed",
        S::Running => "UnsupportedOperation.InstanceStateRunning",
        S::Stopped => "UnsupportedOperation.InstanceStateStopped",
        S::Starting => "UnsupportedOperation.InstanceStateStarting",
        S::Stopping => "UnsupportedOperation.InstanceStateStopping",
        S::Rebooting => "UnsupportedOperation.InstanceStateRebooting",
        S::Isolating => "UnsupportedOperation.InstanceStateIsolating",
        S::Isolated => "UnsupportedOperation.InstanceStateShutdown",
        S::Terminating => "UnsupportedOperation.InstanceStateTerminating",
        S::Terminated => "UnsupportedOperation.InstanceStateTerminated",
        // No state-named code exists for a reinstall in progress.
        S::Reinstalling => "OperationDenied.InstanceOperationInProgress",
    }
}
