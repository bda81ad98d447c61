//! Engine records as ZEC structures (spec §4.4). Nested lists and objects
//! are always present (`[]`/`{}`): the Python SDK leaves absent ones unset
//! and any access to them raises. 2024-04-01 shapes drop the fields that
//! version does not have (spec §4.5).

use super::profile::{
    attr, state_name, ApiVersion, ZecFacts, ZoneFacts, RESOURCE_GROUP_ID, RESOURCE_GROUP_NAME,
};
use serde_json::{json, Value};
use stratus_engine::catalog::{Image, ImageKind, ImageState, OsFamily, Plan, Zone};
use stratus_engine::engine::KeyPairView;
use stratus_engine::model::{Instance, Tag};

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

/// Tags as ZEC answers them: `{"tags": [{"key", "value"}]}`.
pub fn tags(tags: &[Tag]) -> Value {
    json!({ "tags": tags.iter().map(|t| json!({"key": t.key, "value": t.value})).collect::<Vec<_>>() })
}

fn flag(i: &Instance, key: &str, default: bool) -> bool {
    i.attributes.get(key).map_or(default, |v| v == "true")
}

fn text<'a>(i: &'a Instance, key: &str) -> Option<&'a str> {
    i.attributes
        .get(key)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// The primary NIC of an instance.
fn nic(i: &Instance, version: ApiVersion, security_group: &str) -> Value {
    let mut n = json!({
        "nicId": format!("{}-nic0", i.id),
        "name": "eth0",
        "status": "USED",
        "nicType": "Primary",
        "regionId": i.region,
        "nicSubnetType": "IPv4",
        "publicIpList": i.public_ips,
        "privateIpList": i.private_ips,
        "primaryIpv4": i.private_ips.first(),
        "primaryIpv6": null,
        "ipv6Cidr": null,
        "secondaryIpv4s": [],
        "macAddress": mac_address(&i.id),
        "instanceId": i.id,
        "vpcId": i.vpc_id,
        "subnetId": i.subnet_id,
        "createTime": i.created_at.iso8601(),
        "updateTime": i.created_at.iso8601(),
        "resourceGroup": {"resourceGroupId": RESOURCE_GROUP_ID, "resourceGroupName": RESOURCE_GROUP_NAME},
    });
    if version == ApiVersion::V2025 {
        n["securityGroupId"] = json!(security_group);
        n["tags"] = tags(&[]);
    }
    n
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

/// An `InstanceInfo` structure.
pub fn instance(i: &Instance, facts: &ZecFacts, version: ApiVersion) -> Value {
    let security_group = i
        .security_group_ids
        .first()
        .unwrap_or(&facts.default_vpc.security_group_id)
        .to_string();
    let bursting = flag(i, attr::BURSTING, false);
    let mut v = json!({
        "instanceId": i.id,
        "instanceName": i.name,
        "zoneId": i.zone,
        "instanceType": i.plan_id,
        "cpu": i.cpu,
        "memory": i.memory_gb,
        "imageId": i.image_id,
        "imageName": i.os_name,
        "timeZone": text(i, attr::TIME_ZONE),
        "nicNetworkType": text(i, attr::NIC_NETWORK_TYPE).unwrap_or("Auto"),
        "status": state_name(i.state),
        "systemDisk": {
            "diskId": i.system_disk.id,
            "diskSize": i.system_disk.size_gb,
            "diskCategory": i.system_disk.disk_type,
            "burstingEnabled": bursting,
        },
        "dataDisks": i.data_disks.iter().enumerate().map(|(n, d)| json!({
            "diskId": d.id,
            "diskName": format!("{}-data{}", i.name, n + 1),
            "diskSize": d.size_gb,
            "portable": false,
            "burstingEnabled": bursting,
            "diskCategory": d.disk_type,
        })).collect::<Vec<_>>(),
        "publicIpAddresses": i.public_ips,
        "privateIpAddresses": i.private_ips,
        "keyId": i.login.key_ids.first(),
        "subnetId": i.subnet_id,
        "enableAgent": flag(i, attr::ENABLE_AGENT, true),
        "enableAgentMonitor": false,
        "enableIpForward": flag(i, attr::ENABLE_IP_FORWARD, false),
        "createTime": i.created_at.iso8601(),
        "expiredTime": i.expires_at.map(|t| t.iso8601()),
        "resourceGroupId": text(i, attr::RESOURCE_GROUP_ID).unwrap_or(RESOURCE_GROUP_ID),
        "resourceGroupName": RESOURCE_GROUP_NAME,
        "nics": [nic(i, version, &security_group)],
    });
    if version == ApiVersion::V2025 {
        v["securityGroupId"] = json!(security_group);
        v["tags"] = tags(&i.tags);
        v["loadBalancerIds"] = json!([]);
        v["placementGroupId"] = json!(text(i, attr::PLACEMENT_GROUP_ID));
        v["instanceOptions"] =
            json!({"nestedVirtualization": flag(i, attr::NESTED_VIRTUALIZATION, false)});
    }
    v
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
