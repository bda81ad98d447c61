//! Engine records as CVM structures, every field of the SDK models present
//! (spec §5.1–5.2).

use super::profile::state_name;
use crate::tencent::views::operation_state;
pub use crate::tencent::views::tags;
use serde_json::{json, Value};
use stratus_engine::catalog::{Image, ImageKind, ImageState, Plan};
use stratus_engine::engine::KeyPairView;
use stratus_engine::model::{ChargeType, Instance};

/// Attribute keys CVM keeps on instances.
pub mod attr {
    pub const PROJECT_ID: &str = "cvm.project_id";
    pub const INTERNET_CHARGE_TYPE: &str = "cvm.internet_charge_type";
}

/// The CVM name of a charge type.
pub fn charge_type(c: ChargeType) -> &'static str {
    match c {
        ChargeType::Prepaid => "PREPAID",
        ChargeType::Postpaid => "POSTPAID_BY_HOUR",
        ChargeType::Spot => "SPOTPAID",
    }
}

/// An `Instance` structure.
pub fn instance(i: &Instance) -> Value {
    let latest = i.latest_operation.as_ref();
    let project: i64 = i
        .attributes
        .get(attr::PROJECT_ID)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let stop_mode = match (i.charge_type, i.charging_stopped) {
        (ChargeType::Postpaid, true) => "STOP_CHARGING",
        (ChargeType::Postpaid, _) => "KEEP_CHARGING",
        _ => "NOT_APPLICABLE",
    };
    let windows = i.os_family == stratus_engine::catalog::OsFamily::Windows;
    json!({
        "Placement": {
            "Zone": i.zone, "ProjectId": project, "HostIds": null, "HostId": null,
            "DedicatedResourcePackTenancy": null, "DedicatedResourcePackIds": null, "RackId": null,
        },
        "InstanceId": i.id,
        "InstanceType": i.plan_id,
        "CPU": i.cpu,
        "Memory": i.memory_gb,
        "RestrictState": "NORMAL",
        "InstanceName": i.name,
        "InstanceChargeType": charge_type(i.charge_type),
        "SystemDisk": {
            "DiskType": i.system_disk.disk_type, "DiskId": i.system_disk.id, "DiskSize": i.system_disk.size_gb,
            "CdcId": null, "DiskName": null, "Encrypt": false, "KmsKeyId": null,
        },
        "DataDisks": i.data_disks.iter().map(|d| json!({
            "DiskSize": d.size_gb, "DiskType": d.disk_type, "DiskId": d.id, "DeleteWithInstance": true,
            "SnapshotId": null, "Encrypt": false, "KmsKeyId": null, "ThroughputPerformance": 0,
            "CdcId": null, "BurstPerformance": false, "DiskName": null,
        })).collect::<Vec<_>>(),
        "PrivateIpAddresses": i.private_ips,
        "PublicIpAddresses": if i.public_ips.is_empty() { Value::Null } else { json!(i.public_ips) },
        "InternetAccessible": {
            "InternetChargeType": i.attributes.get(attr::INTERNET_CHARGE_TYPE).cloned().unwrap_or_else(|| "TRAFFIC_POSTPAID_BY_HOUR".into()),
            "InternetMaxBandwidthOut": i.bandwidth_mbps,
            "PublicIpAssigned": !i.public_ips.is_empty(),
            "BandwidthPackageId": null, "InternetServiceProvider": "BGP",
            "IPv4AddressType": null, "IPv6AddressType": null, "AntiDDoSPackageId": null,
        },
        "VirtualPrivateCloud": {
            "VpcId": i.vpc_id, "SubnetId": i.subnet_id, "AsVpcGateway": false,
            "PrivateIpAddresses": i.private_ips, "Ipv6AddressCount": 0,
        },
        "ImageId": i.image_id,
        "RenewFlag": if i.charge_type == ChargeType::Prepaid { json!(i.renew_flag.as_deref().unwrap_or("NOTIFY_AND_MANUAL_RENEW")) } else { Value::Null },
        "CreatedTime": i.created_at.iso8601(),
        "ExpiredTime": i.expires_at.map(|t| t.iso8601()),
        "OsName": i.os_name,
        "SecurityGroupIds": i.security_group_ids,
        "LoginSettings": { "Password": null, "KeyIds": i.login.key_ids, "KeepImageLogin": null },
        "InstanceState": state_name(i.state),
        "Tags": tags(&i.tags),
        "StopChargingMode": stop_mode,
        "Uuid": i.uuid,
        "LatestOperation": latest.map(|o| o.action.clone()),
        "LatestOperationState": latest.map(|o| operation_state(o.state)),
        "LatestOperationRequestId": latest.map(|o| o.request_id.clone()),
        "DisasterRecoverGroupId": "",
        "IPv6Addresses": null,
        "CamRoleName": null,
        "HpcClusterId": "",
        "RdmaIpAddresses": null,
        "DedicatedClusterId": "",
        "IsolatedSource": if i.isolated_at.is_some() { "MANMADE" } else { "NOTISOLATED" },
        "DisasterRecoverGroupIds": [],
        "GPUInfo": null,
        "LicenseType": "TencentCloud",
        "DisableApiTermination": i.termination_protected,
        "HostName": i.host_name,
        "DefaultLoginUser": if windows { "Administrator" } else { "root" },
        "DefaultLoginPort": if windows { 3389 } else { 22 },
        "LatestOperationErrorMsg": latest.and_then(|o| o.error_message.clone()),
        "EnableJumboFrame": false,
        "Metadata": { "Items": [] },
        "PublicIPv6Addresses": [],
        "CpuTopology": null,
        "PartitionNumber": null,
    })
}

/// The CVM image type of an image kind.
pub fn image_type(k: ImageKind) -> &'static str {
    match k {
        ImageKind::Private => "PRIVATE_IMAGE",
        ImageKind::Shared => "SHARED_IMAGE",
        _ => "PUBLIC_IMAGE",
    }
}

/// The CVM state of an image.
pub fn image_state(s: ImageState) -> &'static str {
    match s {
        ImageState::Normal => "NORMAL",
        ImageState::Syncing => "SYNCING",
        ImageState::Offline => "IMPORTFAILED",
        ImageState::CreateFailed => "CREATEFAILED",
    }
}

/// An `Image` structure.
pub fn image(m: &Image) -> Value {
    let private = m.kind == ImageKind::Private;
    json!({
        "ImageId": m.id,
        "OsName": m.os_name,
        "ImageType": image_type(m.kind),
        "CreatedTime": m.created,
        "ImageName": m.name,
        "ImageDescription": m.description,
        "ImageSize": m.size_gb,
        "Architecture": m.architecture,
        "ImageState": image_state(m.state),
        "Platform": m.platform,
        "ImageCreator": if private { m.owner.clone().unwrap_or_default() } else { String::new() },
        "ImageSource": if private { "CREATE_IMAGE" } else { "OFFICIAL" },
        "SyncPercent": if m.state == ImageState::Syncing { json!(42) } else { Value::Null },
        "IsSupportCloudinit": true,
        "SnapshotSet": [{"SnapshotId": format!("snap-{}", &m.id[4..]), "DiskUsage": "SYSTEM_DISK", "DiskSize": m.size_gb}],
        "Tags": [],
        "LicenseType": "TencentCloud",
        "ImageFamily": "",
        "ImageDeprecated": false,
        "CdcCacheStatus": "",
    })
}

/// A `KeyPair` structure; the private key only when just generated.
pub fn key_pair(k: &KeyPairView, private_key: Option<&str>) -> Value {
    json!({
        "KeyId": k.key_pair.id,
        "KeyName": k.key_pair.name,
        "ProjectId": 0,
        "Description": k.key_pair.description,
        "PublicKey": k.key_pair.public_key,
        "PrivateKey": private_key,
        "AssociatedInstanceIds": k.instance_ids,
        "CreatedTime": k.key_pair.created_at.iso8601(),
        "Tags": tags(&k.key_pair.tags),
    })
}

/// An `InstanceTypeConfig` structure for a zone.
pub fn instance_type(p: &Plan, zone: &str) -> Value {
    json!({
        "Zone": zone,
        "InstanceType": p.id,
        "InstanceFamily": p.family,
        "GPU": 0,
        "CPU": p.cpu,
        "Memory": p.memory_gb,
        "FPGA": 0,
        "GpuCount": 0.0,
        "GpuType": null,
        "GpuMemory": null,
    })
}
