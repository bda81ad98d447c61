//! Engine records as ZEC structures (spec §4.4). Nested lists and objects
//! are always present (`[]`/`{}`): the Python SDK leaves absent ones unset
//! and any access to them raises. 2024-04-01 shapes drop the fields that
//! version does not have (spec §4.5).

use super::profile::{
    attr, state_name, ApiVersion, ZecFacts, ZoneFacts, RESOURCE_GROUP_ID, RESOURCE_GROUP_NAME,
};
use crate::fields::TagPairs;
use serde::Serialize;
use serde_json::{json, Value};
use stratus_engine::catalog::{Image, ImageKind, ImageState, OsFamily, Plan, Zone};
use stratus_engine::clock::Iso8601;
use stratus_engine::engine::KeyPairView;
use stratus_engine::model::{Instance, Tag};
use stratus_engine::name::Name;

/// A VPC as the caller sees it.
#[derive(Debug, Clone)]
pub struct VpcInfo {
    pub id: String,
    pub name: String,
    pub cidr_block: String,
    pub mtu: u32,
    pub create_time: String,
    pub security_group_id: String,
    pub is_default: bool,
}

/// A subnet as the caller sees it.
#[derive(Debug, Clone)]
pub struct SubnetInfo {
    pub id: String,
    pub region: String,
    pub name: String,
    pub cidr_block: String,
    pub gateway: String,
    pub vpc_id: String,
    pub vpc_name: String,
    pub create_time: String,
    pub is_default: bool,
}

/// Tags as ZEC answers them, `{"tags": [{"key", "value"}]}`, as a JSON value.
pub fn tags(tags: &[Tag]) -> Value {
    json!(TagSet::of(tags))
}

fn flag(i: &Instance, key: &str, default: bool) -> bool {
    i.attributes.get(key).map_or(default, |v| v == "true")
}

fn text<'a>(i: &'a Instance, key: &str) -> Option<&'a str> {
    i.attributes.get(key).filter(|v| !v.is_empty())
}

/// The primary NIC of an instance.
fn nic<'a>(i: &'a Instance, version: ApiVersion, security_group: &'a str) -> Nic<'a> {
    let created = i.created_at.iso();
    Nic {
        nic_id: format!("{}-nic0", i.id),
        name: "eth0",
        status: "USED",
        nic_type: "Primary",
        region_id: &i.region,
        nic_subnet_type: "IPv4",
        public_ip_list: &i.public_ips,
        private_ip_list: &i.private_ips,
        primary_ipv4: i.private_ips.first().map(String::as_str),
        primary_ipv6: None,
        ipv6_cidr: None,
        secondary_ipv4s: &[],
        mac_address: mac_address(&i.id),
        instance_id: &i.id,
        vpc_id: &i.vpc_id,
        subnet_id: &i.subnet_id,
        create_time: created,
        update_time: created,
        resource_group: ResourceGroup {
            resource_group_id: RESOURCE_GROUP_ID,
            resource_group_name: RESOURCE_GROUP_NAME,
        },
        v2025: (version == ApiVersion::V2025).then_some(NicV2025 {
            security_group_id: security_group,
            tags: TagSet::of(&[]),
        }),
    }
}

/// A JSON `null` the SDK model has a field for.
type Null = Option<()>;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Nic<'a> {
    nic_id: String,
    name: &'static str,
    status: &'static str,
    nic_type: &'static str,
    region_id: &'a str,
    nic_subnet_type: &'static str,
    public_ip_list: &'a [String],
    private_ip_list: &'a [String],
    primary_ipv4: Option<&'a str>,
    primary_ipv6: Null,
    ipv6_cidr: Null,
    secondary_ipv4s: &'static [&'static str],
    mac_address: String,
    instance_id: &'a str,
    vpc_id: &'a str,
    subnet_id: &'a str,
    create_time: Iso8601,
    update_time: Iso8601,
    resource_group: ResourceGroup,
    /// What 2025-09-01 adds (2024-04-01 answers without it).
    #[serde(flatten)]
    v2025: Option<NicV2025<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NicV2025<'a> {
    security_group_id: &'a str,
    tags: TagSet<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceGroup {
    resource_group_id: &'static str,
    resource_group_name: &'static str,
}

/// Tags as ZEC answers them: `{"tags": [{"key", "value"}]}`, rendered
/// straight from the record.
#[derive(Serialize)]
struct TagSet<'a> {
    tags: TagPairs<'a>,
}

impl<'a> TagSet<'a> {
    fn of(tags: &'a [Tag]) -> Self {
        TagSet {
            tags: TagPairs {
                tags,
                names: ("key", "value"),
            },
        }
    }
}

/// A stable locally administered MAC address for an instance's NIC.
fn mac_address(id: &str) -> String {
    let h = id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
        .to_be_bytes();
    format!(
        "02:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        h[0], h[1], h[2], h[3], h[4]
    )
}

/// An `InstanceInfo` structure, rendered straight from the record.
pub fn instance<'a>(i: &'a Instance, facts: &'a ZecFacts, version: ApiVersion) -> InstanceView<'a> {
    let security_group = i
        .security_group_ids
        .first()
        .map_or(facts.default_vpc.security_group_id.as_str(), Name::as_str);
    let bursting = flag(i, attr::BURSTING, false);
    InstanceView {
        instance_id: &i.id,
        instance_name: &i.name,
        zone_id: &i.zone,
        instance_type: &i.plan_id,
        cpu: i.cpu,
        memory: i.memory_gb,
        image_id: &i.image_id,
        image_name: &i.os_name,
        time_zone: text(i, attr::TIME_ZONE),
        nic_network_type: text(i, attr::NIC_NETWORK_TYPE).unwrap_or("Auto"),
        status: state_name(i.state),
        system_disk: SystemDisk {
            disk_id: &i.system_disk.id,
            disk_size: i.system_disk.size_gb,
            disk_category: &i.system_disk.disk_type,
            bursting_enabled: bursting,
        },
        data_disks: i
            .data_disks
            .iter()
            .enumerate()
            .map(|(n, d)| DataDisk {
                disk_id: &d.id,
                disk_name: format!("{}-data{}", i.name, n + 1),
                disk_size: d.size_gb,
                portable: false,
                bursting_enabled: bursting,
                disk_category: &d.disk_type,
            })
            .collect(),
        public_ip_addresses: &i.public_ips,
        private_ip_addresses: &i.private_ips,
        key_id: i.login.key_ids.first().map(String::as_str),
        subnet_id: &i.subnet_id,
        enable_agent: flag(i, attr::ENABLE_AGENT, true),
        enable_agent_monitor: false,
        enable_ip_forward: flag(i, attr::ENABLE_IP_FORWARD, false),
        create_time: i.created_at.iso(),
        expired_time: i.expires_at.map(|t| t.iso()),
        resource_group_id: text(i, attr::RESOURCE_GROUP_ID).unwrap_or(RESOURCE_GROUP_ID),
        resource_group_name: RESOURCE_GROUP_NAME,
        nics: [nic(i, version, security_group)],
        v2025: (version == ApiVersion::V2025).then(|| InstanceV2025 {
            security_group_id: security_group,
            tags: TagSet::of(&i.tags),
            load_balancer_ids: &[],
            placement_group_id: text(i, attr::PLACEMENT_GROUP_ID),
            instance_options: InstanceOptions {
                nested_virtualization: flag(i, attr::NESTED_VIRTUALIZATION, false),
            },
        }),
    }
}

/// ZEC's `InstanceInfo`, in the order the SDK model lists it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceView<'a> {
    instance_id: &'a str,
    instance_name: &'a str,
    zone_id: &'a str,
    instance_type: &'a str,
    cpu: u32,
    memory: u32,
    image_id: &'a str,
    image_name: &'a str,
    time_zone: Option<&'a str>,
    nic_network_type: &'a str,
    status: &'static str,
    system_disk: SystemDisk<'a>,
    data_disks: Vec<DataDisk<'a>>,
    public_ip_addresses: &'a [String],
    private_ip_addresses: &'a [String],
    key_id: Option<&'a str>,
    subnet_id: &'a str,
    enable_agent: bool,
    enable_agent_monitor: bool,
    enable_ip_forward: bool,
    create_time: Iso8601,
    expired_time: Option<Iso8601>,
    resource_group_id: &'a str,
    resource_group_name: &'static str,
    nics: [Nic<'a>; 1],
    /// What 2025-09-01 adds (2024-04-01 answers without it).
    #[serde(flatten)]
    v2025: Option<InstanceV2025<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InstanceV2025<'a> {
    security_group_id: &'a str,
    tags: TagSet<'a>,
    load_balancer_ids: &'static [&'static str],
    placement_group_id: Option<&'a str>,
    instance_options: InstanceOptions,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InstanceOptions {
    nested_virtualization: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SystemDisk<'a> {
    disk_id: &'a str,
    disk_size: u32,
    disk_category: &'a str,
    bursting_enabled: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DataDisk<'a> {
    disk_id: &'a str,
    disk_name: String,
    disk_size: u32,
    portable: bool,
    bursting_enabled: bool,
    disk_category: &'a str,
}

/// The ZEC `osType` of an image.
pub fn os_type(family: OsFamily) -> &'static str {
    match family {
        OsFamily::Linux => "linux",
        OsFamily::Windows => "windows",
    }
}

/// The ZEC `imageStatus` of an image.
pub fn image_status(s: ImageState) -> &'static str {
    match s {
        ImageState::Normal => "AVAILABLE",
        ImageState::Syncing => "SYNCING",
        ImageState::Offline => "UNAVAILABLE",
        ImageState::CreateFailed => "FAILED",
    }
}

/// The ZEC `imageType` of an image.
pub fn image_type(k: ImageKind) -> &'static str {
    match k {
        ImageKind::Private | ImageKind::Shared => "CUSTOM_IMAGE",
        _ => "PUBLIC_IMAGE",
    }
}

/// The ZEC `imageSource` of an image.
pub fn image_source(k: ImageKind) -> &'static str {
    match k {
        ImageKind::Private | ImageKind::Shared => "CUSTOM",
        ImageKind::App | ImageKind::Docker => "APP",
        ImageKind::PureOs => "OFFICIAL",
    }
}

/// An `Image` (2025) or `ImageInfo` (2024) structure.
pub fn image(m: &Image, version: ApiVersion) -> Value {
    let nic_types = m
        .extra
        .get("nic_network_type")
        .cloned()
        .unwrap_or_else(|| json!(["Auto"]));
    let mut v = json!({
        "imageId": m.id,
        "imageName": m.name,
        "imageType": image_type(m.kind),
        "imageSize": m.size_gb.to_string(),
        "imageDescription": m.description,
        "imageVersion": m.display_version,
        "imageStatus": image_status(m.state),
        "nicNetworkType": nic_types,
        "category": m.platform,
        "osType": os_type(m.os_family),
    });
    if version == ApiVersion::V2025 {
        v["imageSource"] = json!(image_source(m.kind));
        v["minDiskSize"] = json!(m.required_disk_gb);
        v["tags"] = tags(&[]);
    }
    v
}

/// A `KeyPair` structure.
pub fn key_pair(k: &KeyPairView) -> Value {
    json!({
        "keyId": k.key_pair.id,
        "keyName": k.key_pair.name,
        "publicKey": k.key_pair.public_key,
        "keyDescription": k.key_pair.description,
        "createTime": k.key_pair.created_at.iso8601(),
    })
}

/// A `RegionItem` structure (2025).
pub fn region(id: &str, name: &str, facts: &ZecFacts) -> Value {
    let f = facts.regions.get(id);
    json!({
        "regionId": id,
        "regionName": name,
        "location": f.map(|f| f.location.as_str()),
        "wideRegionName": f.map(|f| f.area.as_str()),
        "wideRegionTitle": f.map(|f| f.area.as_str()),
        "administrativeRegion": f.map(|f| f.area.as_str()),
    })
}

/// A `ZoneInfo` structure.
pub fn zone(z: &Zone, region: &str, facts: Option<&ZoneFacts>, version: ApiVersion) -> Value {
    let mut v = json!({"zoneId": z.id, "regionId": region, "zoneName": z.name});
    if version == ApiVersion::V2025 {
        v["supportSecurityGroup"] = json!(true);
        v["timeZone"] = json!(facts.map(|f| f.time_zone.as_str()));
        v["cityName"] = json!(facts.map(|f| f.city_name.as_str()));
        v["cityCode"] = json!(facts.map(|f| f.city_code.as_str()));
        v["countryCode"] = json!(facts.map(|f| f.country_code.as_str()));
        v["countryName"] = json!(facts.map(|f| f.country_name.as_str()));
        v["supportHaVip"] = json!(false);
    }
    v
}

/// An `InstanceTypeQuotaItem` structure.
pub fn instance_type_quota(p: &Plan, zone: &Zone, version: ApiVersion) -> Value {
    let mut v = json!({
        "zoneId": zone.id,
        "instanceType": p.id,
        "instanceTypeName": format!("{} ({})", p.id, p.label),
        "cpuCount": p.cpu,
        "memory": p.memory_gb,
        "internetMaxBandwidthOutLimit": 5000,
        "withStock": p.available && !zone.sold_out,
        "internetChargeTypes": ["ByBandwidth", "ByTrafficPackage"],
    });
    match version {
        ApiVersion::V2025 => {
            v["bps"] = json!(p.cpu * 1000);
            v["pps"] = json!(p.cpu * 100);
        }
        ApiVersion::V2024 => v["frequency"] = json!("2.9GHz"),
    }
    v
}

/// A `VpcInfo` structure.
pub fn vpc(v: &VpcInfo, used: usize, version: ApiVersion) -> Value {
    let resource_group =
        json!({"resourceGroupId": RESOURCE_GROUP_ID, "resourceGroupName": RESOURCE_GROUP_NAME});
    let mut out = json!({
        "vpcId": v.id,
        "name": v.name,
        "cidrBlock": v.cidr_block,
        "ipv6CidrBlock": null,
        "mtu": v.mtu,
        "isDefault": v.is_default,
        "createTime": v.create_time,
        "usageIpv4Count": used,
        "usageIpv6Count": 0,
        "securityGroupId": v.security_group_id,
    });
    match version {
        ApiVersion::V2025 => {
            out["secondaryCidrBlocks"] = json!([]);
            out["dnsZoneIds"] = json!([]);
            out["resourceGroup"] = resource_group;
            out["tags"] = tags(&[]);
        }
        ApiVersion::V2024 => out["resourceGroup"] = resource_group,
    }
    out
}

/// A `SubnetInfo` structure.
pub fn subnet(s: &SubnetInfo, used: usize, version: ApiVersion) -> Value {
    let mut out = json!({
        "subnetId": s.id,
        "regionId": s.region,
        "name": s.name,
        "cidrBlock": s.cidr_block,
        "ipv6CidrBlock": null,
        "stackType": "IPv4",
        "ipv6Type": null,
        "vpcId": s.vpc_id,
        "vpcName": s.vpc_name,
        "usageIpv4Count": used,
        "usageIpv6Count": 0,
        "createTime": s.create_time,
        "isDefault": s.is_default,
    });
    if version == ApiVersion::V2025 {
        out["gatewayIpAddress"] = json!(s.gateway);
        out["ipv6GatewayIpAddress"] = Value::Null;
        out["dhcpOptionsSetId"] = Value::Null;
        out["ipv6MaskLength"] = Value::Null;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::object_keys as keys;

    #[test]
    fn an_instance_renders_the_fields_of_its_api_version_in_the_sdk_order() {
        let facts = super::super::profile::facts().expect("catalog facts");
        let mut i = Instance::example("1234567890", "alice", "zec", "asia-east-1");
        i.tags = vec![Tag {
            key: "team".into(),
            value: "web".into(),
        }];
        i.data_disks = vec![i.system_disk.clone()];
        let v2024 = serde_json::to_value(instance(&i, &facts, ApiVersion::V2024)).expect("renders");
        let common = [
            "instanceId",
            "instanceName",
            "zoneId",
            "instanceType",
            "cpu",
            "memory",
            "imageId",
            "imageName",
            "timeZone",
            "nicNetworkType",
            "status",
            "systemDisk",
            "dataDisks",
            "publicIpAddresses",
            "privateIpAddresses",
            "keyId",
            "subnetId",
            "enableAgent",
            "enableAgentMonitor",
            "enableIpForward",
            "createTime",
            "expiredTime",
            "resourceGroupId",
            "resourceGroupName",
            "nics",
        ];
        assert_eq!(keys(&v2024), common);
        assert_eq!(v2024["nics"][0].get("securityGroupId"), None);
        assert_eq!(v2024["timeZone"], Value::Null);
        assert_eq!(v2024["nicNetworkType"], "Auto");
        assert_eq!(
            v2024["dataDisks"][0]["diskName"],
            format!("{}-data1", i.name)
        );
        let v2025 = serde_json::to_value(instance(&i, &facts, ApiVersion::V2025)).expect("renders");
        let mut newer = common.to_vec();
        newer.extend([
            "securityGroupId",
            "tags",
            "loadBalancerIds",
            "placementGroupId",
            "instanceOptions",
        ]);
        assert_eq!(keys(&v2025), newer);
        assert_eq!(
            v2025["tags"],
            json!({"tags": [{"key": "team", "value": "web"}]})
        );
        assert_eq!(v2025["placementGroupId"], Value::Null);
        assert_eq!(
            v2025["instanceOptions"],
            json!({"nestedVirtualization": false})
        );
        assert_eq!(
            v2025["securityGroupId"],
            facts.default_vpc.security_group_id
        );
        let nic = &v2025["nics"][0];
        assert_eq!(nic["nicId"], format!("{}-nic0", i.id));
        assert_eq!(nic["tags"], json!({"tags": []}));
        assert_eq!(nic["macAddress"], mac_address(&i.id));
        assert_eq!(keys(nic).last(), Some(&"tags"));
    }
}
