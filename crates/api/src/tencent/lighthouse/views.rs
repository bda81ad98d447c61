//! Engine records as Lighthouse structures, every field of the SDK models
//! present (spec §4.2–4.4).

use super::profile::state_name;
use crate::tencent::views::operation_state;
pub use crate::tencent::views::tags;
use serde_json::{json, Value};
use stratus_engine::catalog::{Image, ImageKind, ImageState, OsFamily, Plan};
use stratus_engine::engine::KeyPairView;
use stratus_engine::model::Instance;

/// `LINUX_UNIX` or `WINDOWS`.
pub fn platform_type(f: OsFamily) -> &'static str {
    match f {
        OsFamily::Linux => "LINUX_UNIX",
        OsFamily::Windows => "WINDOWS",
    }
}

/// The Lighthouse blueprint type of an image kind.
pub fn blueprint_type(k: ImageKind) -> &'static str {
    match k {
        ImageKind::PureOs => "PURE_OS",
        ImageKind::App => "APP_OS",
        ImageKind::Docker => "DOCKER",
        ImageKind::Private => "PRIVATE",
        ImageKind::Shared => "SHARED",
    }
}

/// The Lighthouse blueprint state of an image state.
pub fn blueprint_state(s: ImageState) -> &'static str {
    match s {
        ImageState::Normal => "NORMAL",
        ImageState::Syncing => "SYNCING",
        ImageState::Offline => "OFFLINE",
        ImageState::CreateFailed => "CREATEFAILED",
    }
}

/// An `Instance` structure.
pub fn instance(i: &Instance) -> Value {
    let latest = i.latest_operation.as_ref();
    json!({
        "InstanceId": i.id,
        "BundleId": i.plan_id,
        "BlueprintId": i.image_id,
        "CPU": i.cpu,
        "Memory": i.memory_gb,
        "InstanceName": i.name,
        "InstanceChargeType": "PREPAID",
        "SystemDisk": {
            "DiskType": i.system_disk.disk_type,
            "DiskSize": i.system_disk.size_gb,
            "DiskId": i.system_disk.id,
        },
        "PrivateAddresses": i.private_ips,
        "PublicAddresses": i.public_ips,
        "InternetAccessible": {
            "InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR",
            "InternetMaxBandwidthOut": i.bandwidth_mbps,
            "PublicIpAssigned": !i.public_ips.is_empty(),
        },
        "RenewFlag": i.renew_flag.as_deref().unwrap_or("NOTIFY_AND_MANUAL_RENEW"),
        "LoginSettings": { "KeyIds": i.login.key_ids },
        "InstanceState": state_name(i.state),
        "Uuid": i.uuid,
        "LatestOperation": latest.map(|o| o.action.as_str()).unwrap_or(""),
        "LatestOperationState": latest.map(|o| operation_state(o.state)).unwrap_or(""),
        "LatestOperationRequestId": latest.map(|o| o.request_id.as_str()).unwrap_or(""),
        "LatestOperationStartedTime": latest.map(|o| o.started_at.iso8601()),
        "IsolatedTime": i.isolated_at.map(|t| t.iso8601()),
        "CreatedTime": i.created_at.iso8601(),
        "ExpiredTime": i.expires_at.map(|t| t.iso8601()),
        "PlatformType": platform_type(i.os_family),
        "Platform": i.platform,
        "OsName": i.os_name,
        "Zone": i.zone,
        "Tags": tags(&i.tags),
        "InstanceRestrictState": "NORMAL",
        "SupportIpv6Detail": { "IsSupport": false, "Detail": "EFFECTIVE_IMMEDIATELY", "Message": "" },
        "PublicIpv6Addresses": [],
        "InitInvocationId": "",
        "InstanceViolationDetail": { "Source": "", "State": "", "Reason": "", "Content": "" },
    })
}

/// A `Blueprint` structure.
pub fn blueprint(b: &Image) -> Value {
    let extra = |k: &str| b.extra.get(k).cloned();
    json!({
        "BlueprintId": b.id,
        "DisplayTitle": b.display_title,
        "DisplayVersion": b.display_version,
        "Description": b.description,
        "OsName": b.os_name,
        "Platform": b.platform,
        "PlatformType": platform_type(b.os_family),
        "BlueprintType": blueprint_type(b.kind),
        "ImageUrl": format!("https://lighthouse.stratus.local/blueprints/{}.png", b.id),
        "RequiredSystemDiskSize": b.required_disk_gb,
        "BlueprintState": blueprint_state(b.state),
        "CreatedTime": (!b.created.is_empty()).then(|| b.created.clone()),
        "BlueprintName": b.name,
        "SupportAutomationTools": b.os_family == OsFamily::Linux,
        "RequiredMemorySize": b.required_memory_gb,
        "ImageId": "",
        "CommunityUrl": extra("CommunityUrl").unwrap_or(json!("")),
        "GuideUrl": extra("GuideUrl").unwrap_or(json!("")),
        "SceneIdSet": extra("SceneIdSet").unwrap_or(json!([])),
        "DockerVersion": extra("DockerVersion").unwrap_or(Value::Null),
        "BlueprintShared": false,
        "Tags": [],
    })
}

/// A `Bundle` structure.
pub fn bundle(p: &Plan) -> Value {
    json!({
        "BundleId": p.id,
        "Memory": p.memory_gb,
        "SystemDiskType": p.system_disk_type,
        "SystemDiskSize": p.system_disk_gb,
        "MonthlyTraffic": p.monthly_traffic_gb,
        "SupportLinuxUnixPlatform": p.supports_linux,
        "SupportWindowsPlatform": p.supports_windows,
        "Price": { "InstancePrice": {
            "OriginalBundlePrice": p.price,
            "OriginalPrice": p.price,
            "Discount": 100,
            "DiscountPrice": p.price,
            "Currency": "CNY",
            "DetailPrices": [],
        }},
        "CPU": p.cpu,
        "InternetMaxBandwidthOut": p.bandwidth_mbps,
        "InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR",
        "BundleSalesState": if p.available { "AVAILABLE" } else { "SOLD_OUT" },
        "BundleType": p.kind,
        "BundleTypeDescription": if p.kind == "STARTER_BUNDLE" { "入门型" } else { "通用型" },
        "BundleDisplayLabel": if p.label.is_empty() { "NORMAL" } else { p.label.as_str() },
        "TrafficUnlimited": false,
    })
}

/// A `KeyPair` structure; the private key only when just generated.
pub fn key_pair(k: &KeyPairView, private_key: Option<&str>) -> Value {
    json!({
        "KeyId": k.key_pair.id,
        "KeyName": k.key_pair.name,
        "PublicKey": k.key_pair.public_key,
        "AssociatedInstanceIds": k.instance_ids,
        "AssociatedInstanceSet": k.instance_ids.iter().map(|id| json!({"InstanceId": id, "Username": "root"})).collect::<Vec<_>>(),
        "CreatedTime": k.key_pair.created_at.iso8601(),
        "PrivateKey": private_key,
        "Tags": tags(&k.key_pair.tags),
    })
}
