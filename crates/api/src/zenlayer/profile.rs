//! ZEC as data: its profile (states per action, ids, the password rule),
//! its catalog and network facts (`catalog/zenlayer/zec.catalog.json`), its
//! state names and the API versions served.

use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use stratus_engine::catalog::Catalog;
use stratus_engine::lifecycle::{LifecycleState as S, OperationKind as K};
use stratus_engine::profile::{
    CharClass, IdFormats, IdStyle, PasswordPolicy, PasswordRule, ProductProfile,
};
use stratus_engine::Product;

/// The engine product key of ZEC (its key pairs too, whichever service path).
pub const PRODUCT: &str = "zec";

/// The current API version (`zec.v20250901`, `ccs.v20250901`).
pub const V2025: &str = "2025-09-01";
/// The deprecated API version Terraform still sends (`zec.v20240401`).
pub const V2024: &str = "2024-04-01";

/// An API version of ZEC: one handler serves both; 2024 lacks some fields
/// and actions (spec §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V2025,
    V2024,
}

impl ApiVersion {
    /// The version named by `x-zc-version`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            V2025 => Some(Self::V2025),
            V2024 => Some(Self::V2024),
            _ => None,
        }
    }
}

/// Most ids in one batch request (spec §4.2).
pub const BATCH_LIMIT: usize = 100;
/// Paging defaults (spec §5).
pub const PAGE_SIZE_DEFAULT: usize = 20;
pub const PAGE_SIZE_MAX: usize = 1000;
/// Disk categories and the default one (spec §4.3).
pub const DISK_CATEGORIES: [&str; 2] = ["Basic NVMe SSD", "Standard NVMe SSD"];
pub const DISK_CATEGORY_DEFAULT: &str = "Standard NVMe SSD";
/// NIC network types accepted by CreateZecInstances.
pub const NIC_NETWORK_TYPES: [&str; 4] = ["Auto", "FailOver", "VirtioOnly", "VfOnly"];
/// Internet charge types; none given means no public address.
pub const INTERNET_CHARGE_TYPES: [&str; 3] =
    ["ByBandwidth", "ByTrafficPackage", "BandwidthCluster"];
/// Default instance name and time zone (docs).
pub const DEFAULT_INSTANCE_NAME: &str = "instance";
pub const DEFAULT_TIME_ZONE: &str = "America/Los_Angeles";
/// Public bandwidth when an internet charge type is given without `bandwidth`.
pub const DEFAULT_BANDWIDTH_MBPS: u32 = 1;
/// The resource group every resource is in.
pub const RESOURCE_GROUP_ID: &str = "rg-default";
pub const RESOURCE_GROUP_NAME: &str = "Default Resource Group";

/// The special characters of the password rule of seed 000.
pub const PASSWORD_SPECIALS: &str = "!@#$%^&*`~()-+=";

/// Attribute keys ZEC keeps on instances.
pub mod attr {
    pub const TIME_ZONE: &str = "zec.time_zone";
    pub const NIC_NETWORK_TYPE: &str = "zec.nic_network_type";
    pub const ENABLE_AGENT: &str = "zec.enable_agent";
    pub const ENABLE_IP_FORWARD: &str = "zec.enable_ip_forward";
    pub const RESOURCE_GROUP_ID: &str = "zec.resource_group_id";
    pub const PLACEMENT_GROUP_ID: &str = "zec.placement_group_id";
    pub const BURSTING: &str = "zec.bursting";
    pub const NESTED_VIRTUALIZATION: &str = "zec.nested_virtualization";
    pub const INTERNET_CHARGE_TYPE: &str = "zec.internet_charge_type";
}

/// The ZEC password rule (seed 000): 8–16 characters with a lower-case
/// letter, an upper-case letter, a digit and one of [`PASSWORD_SPECIALS`].
pub fn password_rule() -> PasswordRule {
    PasswordRule {
        min_len: 8,
        max_len: 16,
        min_classes: 4,
        required: vec![
            CharClass::Lower,
            CharClass::Upper,
            CharClass::Digit,
            CharClass::Special,
        ],
        specials: PASSWORD_SPECIALS.to_string(),
        other_visible_ok: false,
        forbid_leading_slash: false,
    }
}

/// The ZEC profile.
pub fn profile() -> ProductProfile {
    ProductProfile {
        key: PRODUCT.to_string(),
        ids: IdFormats {
            instance: IdStyle::Decimal { digits: 19 },
            image: IdStyle::Decimal { digits: 19 },
            key_pair: IdStyle::PrefixedMixedCase {
                prefix: "key-".to_string(),
                len: 8,
            },
            disk: IdStyle::Decimal { digits: 19 },
        },
        allowed_states: HashMap::from([
            (K::Start, vec![S::Stopped]),
            (K::Stop, vec![S::Running]),
            (K::Reboot, vec![S::Running]),
            // Seed 000: only from STOPPED; lands RUNNING.
            (K::Reinstall, vec![S::Stopped]),
            // Through the guest agent: the instance must be running.
            (K::ResetPassword, vec![S::Running]),
            (K::Isolate, vec![S::Running, S::Stopped]),
            (K::Terminate, vec![S::Isolated, S::LaunchFailed]),
        ]),
        batch_limit: BATCH_LIMIT,
        passwords: PasswordPolicy {
            linux: password_rule(),
            windows: password_rule(),
        },
        reset_passwords: None,
        reinstall_may_switch_family: false,
        reinstall_lands_in: Some(S::Running),
        recycle_bin: stratus_engine::profile::RecycleBin::Deployed,
        prepaid_prices: None,
        keys_on_windows: false,
        max_keys_per_instance: 1,
        rate_limits: HashMap::new(),
        default_instance_name: DEFAULT_INSTANCE_NAME.to_string(),
        default_user_linux: "root".to_string(),
        default_user_windows: "Administrator".to_string(),
    }
}

const CATALOG: &str = include_str!("../../../../catalog/zenlayer/zec.catalog.json");

/// The built-in ZEC catalog.
pub fn catalog() -> Result<Catalog, serde_json::Error> {
    serde_json::from_str(CATALOG)
}

/// ZEC, ready for the engine.
pub fn product() -> Result<Product, serde_json::Error> {
    Ok(Product {
        profile: profile(),
        catalog: catalog()?,
    })
}

/// What ZEC says about a region beyond the engine's catalog.
#[derive(Debug, Clone, Deserialize)]
pub struct RegionFacts {
    pub location: String,
    pub area: String,
}

/// What ZEC says about a zone beyond the engine's catalog.
#[derive(Debug, Clone, Deserialize)]
pub struct ZoneFacts {
    pub city_name: String,
    pub city_code: String,
    pub country_code: String,
    pub country_name: String,
    pub time_zone: String,
}

/// The default VPC (global, as ZEC VPCs are).
#[derive(Debug, Clone, Deserialize)]
pub struct VpcFacts {
    pub id: String,
    pub name: String,
    pub cidr_block: String,
    pub mtu: u32,
    pub create_time: String,
    pub security_group_id: String,
}

/// A default subnet of one region.
#[derive(Debug, Clone, Deserialize)]
pub struct SubnetFacts {
    pub id: String,
    pub region: String,
    pub name: String,
    pub cidr_block: String,
    pub gateway: String,
}

/// The ZEC part of the catalog file.
#[derive(Debug, Clone, Deserialize)]
pub struct ZecFacts {
    pub regions: BTreeMap<String, RegionFacts>,
    pub zones: BTreeMap<String, ZoneFacts>,
    pub default_vpc: VpcFacts,
    pub subnets: Vec<SubnetFacts>,
}

impl ZecFacts {
    /// A default subnet by id.
    pub fn subnet(&self, id: &str) -> Option<&SubnetFacts> {
        self.subnets.iter().find(|s| s.id == id)
    }
}

#[derive(Deserialize)]
struct FactsFile {
    zec: ZecFacts,
}

/// The ZEC facts of the catalog file.
pub fn facts() -> Result<ZecFacts, serde_json::Error> {
    serde_json::from_str::<FactsFile>(CATALOG).map(|f| f.zec)
}

/// The ZEC name of a lifecycle state (spec §4.2).
pub fn state_name(state: S) -> &'static str {
    match state {
        S::Pending => "DEPLOYING",
        S::LaunchFailed => "CREATE_FAILED",
        S::Running => "RUNNING",
        S::Stopped => "STOPPED",
        S::Starting => "BOOTING",
        S::Stopping => "STOPPING",
        S::Rebooting => "REBOOT",
        S::Reinstalling => "REBUILDING",
        S::Isolating => "RECYCLING",
        S::Isolated => "RECYCLE",
        S::Terminating | S::Terminated => "RELEASING",
    }
}

/// The lifecycle states a ZEC status name stands for.
pub fn states_named(name: &str) -> Vec<S> {
    S::ALL
        .into_iter()
        .filter(|s| *s != S::Terminated && state_name(*s) == name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_and_facts_parse_and_agree() {
        let c = catalog().expect("catalog");
        let f = facts().expect("facts");
        for r in &c.regions {
            assert!(f.regions.contains_key(&r.id), "{}", r.id);
            assert!(f.subnets.iter().any(|s| s.region == r.id), "{}", r.id);
            for z in &r.zones {
                assert!(f.zones.contains_key(&z.id), "{}", z.id);
            }
        }
        let decimal = IdStyle::Decimal { digits: 19 };
        assert!(decimal.matches(&f.default_vpc.id));
        assert!(f.subnets.iter().all(|s| decimal.matches(&s.id)));
    }

    #[test]
    fn the_seed_password_rule() {
        let r = password_rule();
        assert!(r.check("Passw0rd!").is_ok());
        assert!(r.check("Zen(layer)2025").is_ok());
        assert!(r.check("Pa0!").is_err());
        assert!(r.check("Passw0rd!Passw0rd!").is_err());
        assert!(r.check("password1!").is_err());
        assert!(r.check("Password1").is_err());
        assert!(r.check("Passw0rd_").is_err());
        for _ in 0..100 {
            let p = r.generate();
            assert!(r.check(&p).is_ok(), "{p}");
        }
    }
}
