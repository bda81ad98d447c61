//! KEC as data: its profile, its catalog (with the Kingsoft facts the engine
//! does not interpret: the default VPCs, subnets and security groups, disk
//! types per family, image traits), its state names and its id formats.

use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use stratus_engine::catalog::{Catalog, Image, ImageKind};
use stratus_engine::lifecycle::{LifecycleState as S, OperationKind as K};
use stratus_engine::profile::{
    CharClass, IdFormats, IdStyle, PasswordPolicy, PasswordRule, ProductProfile,
};
use stratus_engine::Product;

/// The engine product key: KEC instances, and the SKS key pairs they use.
pub const PRODUCT: &str = "kec";

/// The API services and versions this dialect serves. KEC and VPC share a
/// version: the SigV4 scope (or the `Service` parameter) tells them apart.
pub mod api {
    pub const KEC_SERVICE: &str = "kec";
    pub const KEC_VERSION: &str = "2016-03-04";
    pub const VPC_SERVICE: &str = "vpc";
    pub const VPC_VERSION: &str = "2016-03-04";
    pub const SKS_SERVICE: &str = "sks";
    pub const SKS_VERSION: &str = "2015-11-01";
}

/// Limits from the KEC documentation.
pub mod limits {
    /// `InstanceId.N` per call.
    pub const INSTANCE_IDS: usize = 100;
    /// Key pairs on one instance.
    pub const KEYS_PER_INSTANCE: usize = 10;
    /// `MaxResults` of DescribeInstances.
    pub const MAX_RESULTS: std::ops::RangeInclusive<i64> = 5..=1000;
    /// `PurchaseTime` (months) of Monthly instances.
    pub const PURCHASE_MONTHS: std::ops::RangeInclusive<i64> = 1..=36;
    /// `MaxCount` of RunInstances.
    pub const MAX_COUNT: std::ops::RangeInclusive<i64> = 1..=100;
    /// `UserData`, decoded.
    pub const USER_DATA_BYTES: usize = 16 * 1024;
    /// The disk type a local image needs on the instance (seed 004).
    pub const LOCAL_IMAGE_DISK_TYPE: &str = "SSD3.0";
    /// The only RSA size some images accept (seed 004).
    pub const RSA_ONLY_BITS: usize = 2048;
    /// The oldest GoSDK release ModifyInstanceImage accepts (seed 004).
    pub const GO_SDK_MIN: (u64, u64, u64) = (0, 1, 29);
    /// `MaxResults` of the VPC service's listings (as DescribeInstances).
    pub const NETWORK_MAX_RESULTS: std::ops::RangeInclusive<i64> = 5..=1000;
    /// `VpcId.N`, `SubnetId.N`, `SecurityGroupId.N` per call.
    pub const NETWORK_IDS: usize = 100;
    /// Longest VPC, subnet and security group name, and group description.
    pub const NETWORK_NAME_CHARS: usize = 64;
    pub const NETWORK_DESCRIPTION_CHARS: usize = 128;
}

/// How KEC lays out its networks.
pub mod network {
    /// The private ranges a VPC's block must lie in.
    pub const PRIVATE_BLOCKS: [&str; 3] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
    /// The longest prefix of a VPC's and of a subnet's block.
    pub const VPC_PREFIX_MAX: u8 = 28;
    pub const SUBNET_PREFIX_MAX: u8 = 29;
    /// The only `SubnetType` offered: cloud-server subnets (not `Reserve`
    /// endpoint or `Physical` bare-metal ones).
    pub const SUBNET_TYPE: &str = "Normal";
    /// The `SecurityGroupType` of the groups an account creates, and of the
    /// catalog's default ones.
    pub const GROUP_TYPE: &str = "other";
    pub const DEFAULT_GROUP_TYPE: &str = "default";
    /// The resolvers a subnet hands out (the Terraform provider's examples).
    pub const DNS: [&str; 2] = ["198.18.254.41", "198.18.254.40"];
}

/// The KEC password rule: 8–32 characters with upper case, lower case and
/// digits; any other visible character allowed.
pub fn password_rule() -> PasswordRule {
    PasswordRule {
        min_len: 8,
        max_len: 32,
        min_classes: 3,
        required: vec![CharClass::Lower, CharClass::Upper, CharClass::Digit],
        specials: "()`~!@#$%^&*-+=_|{}[]:;'<>,.?/".to_string(),
        other_visible_ok: true,
        forbid_leading_slash: false,
    }
}

/// The KEC profile.
pub fn profile() -> ProductProfile {
    ProductProfile {
        key: PRODUCT.to_string(),
        ids: IdFormats {
            instance: IdStyle::Uuid,
            image: IdStyle::Uuid,
            key_pair: IdStyle::Uuid,
            disk: IdStyle::Uuid,
        },
        allowed_states: HashMap::from([
            (K::Start, vec![S::Stopped]),
            (K::Stop, vec![S::Running]),
            (K::Reboot, vec![S::Running]),
            // Seed 004: the instance must be stopped.
            (K::Reinstall, vec![S::Stopped]),
            (K::Terminate, vec![S::Running, S::Stopped, S::LaunchFailed]),
        ]),
        batch_limit: limits::INSTANCE_IDS,
        passwords: PasswordPolicy {
            linux: password_rule(),
            windows: password_rule(),
        },
        reset_passwords: None,
        reinstall_may_switch_family: true,
        // A reinstalled instance boots: overriding -> active.
        reinstall_lands_in: Some(S::Running),
        recycle_bin: stratus_engine::profile::RecycleBin::Unused,
        prepaid_prices: None,
        keys_on_windows: false,
        max_keys_per_instance: limits::KEYS_PER_INSTANCE,
        rate_limits: HashMap::new(),
        default_instance_name: "KSC-IN".to_string(),
        default_user_linux: "root".to_string(),
        default_user_windows: "Administrator".to_string(),
    }
}

/// A family's system disk rules.
#[derive(Debug, Clone, Deserialize)]
pub struct Family {
    pub system_disk_types: Vec<String>,
    /// `SystemDisk.DiskSize` may be chosen on a reinstall (N2, N3).
    pub system_disk_resizable: bool,
}

/// A region's default VPC.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Vpc {
    pub vpc_id: String,
    pub vpc_name: String,
    pub region: String,
    pub cidr_block: String,
    /// `YYYY-MM-DD HH:MM:SS`, as the API shows it.
    pub create_time: String,
}

/// A default subnet: it decides the zone of an instance.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    pub subnet_id: String,
    pub subnet_name: String,
    pub vpc_id: String,
    pub availability_zone: String,
    pub cidr_block: String,
}

/// A region's default security group.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    pub security_group_id: String,
    pub region: String,
    pub vpc_id: String,
    pub name: String,
}

/// Size bounds of system disks.
#[derive(Debug, Clone, Deserialize)]
pub struct DiskBounds {
    pub min: u32,
    pub max: u32,
}

/// The Kingsoft part of the catalog file (`"kec"`).
#[derive(Debug, Clone, Deserialize)]
pub struct KecFacts {
    pub families: BTreeMap<String, Family>,
    /// Types a data disk may have (`DataDisk.N.Type`).
    pub data_disk_types: Vec<String>,
    pub system_disk_gb: DiskBounds,
    /// Zone → system disk types sold out there.
    #[serde(default)]
    pub sold_out_system_disks: BTreeMap<String, Vec<String>>,
    /// The default networks every account sees (and none may delete).
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub security_groups: Vec<SecurityGroup>,
}

impl KecFacts {
    /// A plan family's rules.
    pub fn family(&self, family: &str) -> Option<&Family> {
        self.families.get(family)
    }

    /// True if `disk_type` system disks are sold out in `zone`.
    pub fn disk_sold_out(&self, zone: &str, disk_type: &str) -> bool {
        self.sold_out_system_disks
            .get(zone)
            .is_some_and(|types| types.iter().any(|t| t == disk_type))
    }
}

/// A data-disk snapshot an image carries.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataDiskSnapshot {
    pub snapshot_id: String,
    pub disk_type: String,
    pub disk_size: u32,
}

/// Image traits KEC checks (the `extra.kec` object of a catalog image).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImageFacts {
    /// `mainland` or `overseas`: the data centres the image is built for.
    #[serde(default)]
    pub market: Option<String>,
    /// A local image (本地镜像) held in this zone only.
    #[serde(default)]
    pub local_zone: Option<String>,
    /// Made from a local-volume snapshot: it may only roll back the same OS.
    #[serde(default)]
    pub local_volume_snapshot: bool,
    /// The image accepts only RSA 2048-bit keys (Rocky Linux).
    #[serde(default)]
    pub rsa_2048_keys_only: bool,
    /// Data-disk snapshots inside the image (an assembled image).
    #[serde(default)]
    pub data_disk_snapshots: Vec<DataDiskSnapshot>,
    /// The password the custom image was made with (its own login).
    #[serde(default)]
    pub login_password: Option<String>,
}

impl ImageFacts {
    /// The KEC traits of an image (none if it has no `extra.kec`).
    pub fn of(image: &Image) -> ImageFacts {
        image
            .extra
            .get("kec")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }
}

/// True for images made by an account (custom images).
pub fn is_custom(image: &Image) -> bool {
    matches!(image.kind, ImageKind::Private | ImageKind::Shared)
}

const CATALOG: &str = include_str!("../../../../catalog/kingsoft/kec.catalog.json");

/// Why the built-in catalog could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("the KEC catalog is not valid: {0}")]
    Invalid(#[from] serde_json::Error),
}

#[derive(Deserialize)]
struct CatalogFile {
    kec: KecFacts,
}

/// The built-in KEC catalog.
pub fn catalog() -> Result<Catalog, CatalogError> {
    Ok(serde_json::from_str(CATALOG)?)
}

/// The Kingsoft facts of the built-in catalog.
pub fn facts() -> Result<KecFacts, CatalogError> {
    Ok(serde_json::from_str::<CatalogFile>(CATALOG)?.kec)
}

/// KEC, ready for the engine.
pub fn product() -> Result<Product, CatalogError> {
    Ok(Product {
        profile: profile(),
        catalog: catalog()?,
    })
}

/// The KEC name of a lifecycle state (`InstanceState.Name`).
pub fn state_name(state: S) -> &'static str {
    match state {
        S::Pending => "building",
        S::LaunchFailed => "error",
        S::Running => "active",
        S::Stopped => "stopped",
        S::Starting => "starting",
        S::Stopping => "stopping",
        S::Rebooting => "rebooting",
        S::Reinstalling => "overriding",
        S::Isolating | S::Isolated => "recycling",
        S::Terminating => "deleting",
        S::Terminated => "deleted",
    }
}

/// The lifecycle states a KEC state name stands for.
pub fn states_named(name: &str) -> Vec<S> {
    S::ALL
        .into_iter()
        .filter(|s| state_name(*s) == name)
        .collect()
}

/// A KEC id: a lower-case UUID.
pub fn is_uuid(value: &str) -> bool {
    IdStyle::Uuid.matches(value)
}

/// A KEC image id: a lower-case UUID, or `IMG-` and one (public images).
pub fn is_image_id(value: &str) -> bool {
    is_uuid(value.strip_prefix("IMG-").unwrap_or(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_and_its_facts_load_and_agree() {
        use stratus_engine::engine::Ipv4Block;
        let c = catalog().expect("catalog");
        let f = facts().expect("facts");
        let block = |b: &str| Ipv4Block::parse(b).expect("a CIDR block");
        for v in &f.vpcs {
            assert!(
                c.region(&v.region).is_some() && is_uuid(&v.vpc_id),
                "{}",
                v.vpc_id
            );
            assert!(
                stratus_engine::clock::Timestamp::parse_plain_datetime(&v.create_time).is_some()
            );
            assert_eq!(f.vpcs.iter().filter(|o| o.region == v.region).count(), 1);
        }
        let vpc = |id: &str| {
            f.vpcs
                .iter()
                .find(|v| v.vpc_id == id)
                .expect("the VPC is in the catalog")
        };
        for s in &f.subnets {
            let (region, _) = c
                .zone(&s.availability_zone)
                .expect("the zone is in the catalog");
            assert!(is_uuid(&s.subnet_id));
            let v = vpc(&s.vpc_id);
            assert_eq!(v.region, region.id);
            assert!(
                block(&v.cidr_block).contains(block(&s.cidr_block)),
                "{}",
                s.subnet_id
            );
            assert!(!f.subnets.iter().any(|o| o.subnet_id != s.subnet_id
                && o.vpc_id == s.vpc_id
                && block(&o.cidr_block).overlaps(block(&s.cidr_block))));
        }
        for g in &f.security_groups {
            assert!(is_uuid(&g.security_group_id) && vpc(&g.vpc_id).region == g.region);
        }
        for r in &c.regions {
            assert!(
                f.vpcs.iter().any(|v| v.region == r.id),
                "{} has a default VPC",
                r.id
            );
            assert!(f.security_groups.iter().any(|g| g.region == r.id));
        }
        for p in &c.plans {
            assert!(f.family(&p.family).is_some(), "{}", p.id);
        }
        for i in &c.images {
            assert!(is_image_id(&i.id), "{}", i.id);
            let facts = ImageFacts::of(i);
            if let Some(z) = &facts.local_zone {
                assert!(c.zone(z).is_some());
            }
        }
        assert!(c
            .images
            .iter()
            .any(|i| ImageFacts::of(i).rsa_2048_keys_only));
    }

    #[test]
    fn every_state_has_a_name() {
        for s in S::ALL {
            assert!(states_named(state_name(s)).contains(&s));
        }
        assert!(is_image_id("IMG-5465174a-6d71-4770-b8e1-917a0dd92466"));
        assert!(!is_image_id("img-5465174a"));
        let rule = password_rule();
        assert!(rule.check("Passw0rdTest").is_ok());
        assert!(rule.check("password1").is_err());
        assert!(rule.check("PASSWORD1").is_err());
        assert!(rule.check("Password").is_err());
        assert!(rule.check("Pa0").is_err());
        assert!(rule.check(&"Aa1".repeat(11)).is_err());
    }
}
