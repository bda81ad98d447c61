//! CVM instances and images in the legacy 2.0 shapes (spec §4.3–4.4):
//! lower camelCase names, integer enums, `YYYY-MM-DD hh:mm:ss` times.

use serde_json::{json, Value};
use stratus_engine::catalog::{Image, ImageKind, ImageState};
use stratus_engine::lifecycle::LifecycleState as S;
use stratus_engine::model::{ChargeType, Instance, OperationState};

/// The legacy status code of an instance (§4.3 table).
pub fn status(i: &Instance) -> i64 {
    let resetting_password = i.latest_operation.as_ref().is_some_and(|o| {
        o.state == OperationState::Operating && o.action == "ResetInstancesPassword"
    });
    match i.state {
        _ if resetting_password => 10,
        S::LaunchFailed => 1,
        S::Running => 2,
        S::Pending => 3,
        S::Stopped => 4,
        S::Terminated => 5,
        S::Isolating | S::Isolated | S::Terminating => 6,
        S::Rebooting => 7,
        S::Starting => 8,
        S::Stopping => 9,
        S::Reinstalling => 14,
    }
}

/// Legacy disk type codes: 1 local, 2 cloud, 3 local SSD, 4 cloud SSD, 5 premium.
fn disk_type(t: &str) -> i64 {
    match t {
        "LOCAL_BASIC" => 1,
        "CLOUD_BASIC" => 2,
        "LOCAL_SSD" => 3,
        "CLOUD_SSD" | "CLOUD_BSSD" | "CLOUD_HSSD" | "CLOUD_TSSD" => 4,
        _ => 5,
    }
}

/// A legacy `instanceSet` item.
pub fn instance(i: &Instance, region_code: &str, zone_id: u64, zone_name: &str) -> Value {
    let prepaid = i.charge_type == ChargeType::Prepaid;
    let data = i.data_disks.first();
    json!({
        "unInstanceId": i.id,
        "instanceName": i.name,
        "uuid": i.uuid,
        "lanIp": i.private_ips.first().cloned().unwrap_or_default(),
        "wanIpSet": i.public_ips,
        "cpu": i.cpu,
        "mem": i.memory_gb,
        "bandwidth": i.bandwidth_mbps,
        "unImgId": i.image_id,
        "status": status(i),
        "Region": region_code,
        "zoneId": zone_id,
        "zoneName": zone_name,
        "createTime": i.created_at.plain_datetime(),
        "deadlineTime": i.expires_at.map_or_else(|| "0000-00-00 00:00:00".to_string(), |t| t.plain_datetime()),
        "autoRenew": if i.renew_flag.as_deref() == Some("NOTIFY_AND_AUTO_RENEW") { 1 } else { 0 },
        "projectId": 0,
        "os": i.os_name,
        "cvmPayMode": if prepaid { 1 } else { 2 },
        "networkPayMode": 2,
        "vpcId": i.vpc_id,
        "subnetId": i.subnet_id,
        "isVpcGateway": 0,
        "deviceClass": "VSELF_2",
        "diskInfo": {
            "rootId": i.system_disk.id,
            "rootSize": i.system_disk.size_gb,
            "rootType": disk_type(&i.system_disk.disk_type),
            "storageId": data.map(|d| d.id.clone()).unwrap_or_default(),
            "storageSize": data.map_or(0, |d| d.size_gb),
            "storageType": data.map_or(0, |d| disk_type(&d.disk_type)),
        },
    })
}

/// The legacy image type code of an image kind: 1 private, 2 public,
/// 3 marketplace, 4 shared.
pub fn image_type(k: ImageKind) -> i64 {
    match k {
        ImageKind::Private => 1,
        ImageKind::PureOs => 2,
        ImageKind::App | ImageKind::Docker => 3,
        ImageKind::Shared => 4,
    }
}

/// The legacy image status: 1 creating, 2 normal, 4 syncing.
pub fn image_status(s: ImageState) -> i64 {
    match s {
        ImageState::Normal => 2,
        ImageState::Syncing => 4,
        ImageState::Offline | ImageState::CreateFailed => 1,
    }
}

/// A legacy `imageSet` item.
pub fn image(m: &Image) -> Value {
    json!({
        "unImgId": m.id,
        "imageName": m.name,
        "imageDescription": m.description,
        "imageType": image_type(m.kind),
        "osName": m.os_name,
        "createTime": m.created.replace('T', " ").trim_end_matches('Z'),
        "creator": m.owner.clone().unwrap_or_default(),
        "status": image_status(m.state),
    })
}

/// The numeric task id a reply carries for an operation (its id's first 48 bits).
pub fn task_id(operation_id: &str) -> u64 {
    let hex: String = operation_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(12)
        .collect();
    u64::from_str_radix(&hex, 16).unwrap_or(0)
}
