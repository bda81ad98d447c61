//! Engine records as Lighthouse structures, every field of the SDK models
//! present (spec §4.2–4.4).

use super::profile::state_name;
use crate::fields::TagPairs;
pub use crate::tencent::views::tags;
use crate::tencent::views::{operation_state, tag_set};
use serde::Serialize;
use serde_json::{json, Value};
use stratus_engine::catalog::{Image, ImageKind, ImageState, OsFamily, Plan};
use stratus_engine::clock::Iso8601;
use stratus_engine::engine::KeyPairView;
use stratus_engine::model::{CompactId, Instance};

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

/// An `Instance` structure, rendered straight from the record.
pub fn instance(i: &Instance) -> InstanceView<'_> {
    let latest = i.latest_operation.as_ref();
    InstanceView {
        instance_id: &i.id,
        bundle_id: &i.plan_id,
        blueprint_id: &i.image_id,
        cpu: i.cpu,
        memory: i.memory_gb,
        instance_name: &i.name,
        instance_charge_type: "PREPAID",
        system_disk: SystemDisk {
            disk_type: &i.system_disk.disk_type,
            disk_size: i.system_disk.size_gb,
            disk_id: &i.system_disk.id,
        },
        private_addresses: &i.private_ips,
        public_addresses: &i.public_ips,
        internet_accessible: InternetAccessible {
            internet_charge_type: "TRAFFIC_POSTPAID_BY_HOUR",
            internet_max_bandwidth_out: i.bandwidth_mbps,
            public_ip_assigned: !i.public_ips.is_empty(),
        },
        renew_flag: i.renew_flag.as_deref().unwrap_or("NOTIFY_AND_MANUAL_RENEW"),
        login_settings: LoginSettings {
            key_ids: &i.login.key_ids,
        },
        instance_state: state_name(i.state),
        uuid: &i.uuid,
        latest_operation: latest.map(|o| &*o.action).unwrap_or(""),
        latest_operation_state: latest.map(|o| operation_state(o.state)).unwrap_or(""),
        latest_operation_request_id: latest.map(|o| &o.request_id),
        latest_operation_started_time: latest.map(|o| o.started_at.iso()),
        isolated_time: i.isolated_at.map(|t| t.iso()),
        created_time: i.created_at.iso(),
        expired_time: i.expires_at.map(|t| t.iso()),
        platform_type: platform_type(i.os_family),
        platform: &i.platform,
        os_name: &i.os_name,
        zone: &i.zone,
        tags: tag_set(&i.tags),
        instance_restrict_state: "NORMAL",
        support_ipv6_detail: SupportIpv6Detail {
            is_support: false,
            detail: "EFFECTIVE_IMMEDIATELY",
            message: "",
        },
        public_ipv6_addresses: &[],
        init_invocation_id: "",
        instance_violation_detail: InstanceViolationDetail {
            source: "",
            state: "",
            reason: "",
            content: "",
        },
    }
}

/// Lighthouse answers an empty string for an id it does not have.
fn empty_when_absent<S: serde::Serializer>(
    id: &Option<&CompactId>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => id.serialize(serializer),
        None => serializer.serialize_str(""),
    }
}

/// Lighthouse's `Instance`, every field of the SDK model, in its order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceView<'a> {
    instance_id: &'a str,
    bundle_id: &'a str,
    blueprint_id: &'a str,
    #[serde(rename = "CPU")]
    cpu: u32,
    memory: u32,
    instance_name: &'a str,
    instance_charge_type: &'static str,
    system_disk: SystemDisk<'a>,
    private_addresses: &'a [String],
    public_addresses: &'a [String],
    internet_accessible: InternetAccessible,
    renew_flag: &'a str,
    login_settings: LoginSettings<'a>,
    instance_state: &'static str,
    uuid: &'a uuid::Uuid,
    latest_operation: &'a str,
    latest_operation_state: &'static str,
    #[serde(serialize_with = "empty_when_absent")]
    latest_operation_request_id: Option<&'a CompactId>,
    latest_operation_started_time: Option<Iso8601>,
    isolated_time: Option<Iso8601>,
    created_time: Iso8601,
    expired_time: Option<Iso8601>,
    platform_type: &'static str,
    platform: &'a str,
    os_name: &'a str,
    zone: &'a str,
    tags: TagPairs<'a>,
    instance_restrict_state: &'static str,
    support_ipv6_detail: SupportIpv6Detail,
    public_ipv6_addresses: &'static [&'static str],
    init_invocation_id: &'static str,
    instance_violation_detail: InstanceViolationDetail,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SystemDisk<'a> {
    disk_type: &'a str,
    disk_size: u32,
    disk_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InternetAccessible {
    internet_charge_type: &'static str,
    internet_max_bandwidth_out: u32,
    public_ip_assigned: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LoginSettings<'a> {
    key_ids: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SupportIpv6Detail {
    is_support: bool,
    detail: &'static str,
    message: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InstanceViolationDetail {
    source: &'static str,
    state: &'static str,
    reason: &'static str,
    content: &'static str,
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

#[cfg(test)]
mod tests {
    use super::*;
    use stratus_engine::model::Tag;

    #[test]
    fn an_instance_renders_every_field_of_the_sdk_model_in_its_order() {
        let mut i = Instance::example("lhins-12345678", "alice", "lighthouse", "ap-guangzhou");
        i.tags = vec![Tag {
            key: "team".into(),
            value: "web".into(),
        }];
        i.public_ips = vec!["203.0.113.7".into()];
        let v = serde_json::to_value(instance(&i)).expect("renders");
        let keys = crate::fields::object_keys(&v);
        assert_eq!(
            keys,
            [
                "InstanceId",
                "BundleId",
                "BlueprintId",
                "CPU",
                "Memory",
                "InstanceName",
                "InstanceChargeType",
                "SystemDisk",
                "PrivateAddresses",
                "PublicAddresses",
                "InternetAccessible",
                "RenewFlag",
                "LoginSettings",
                "InstanceState",
                "Uuid",
                "LatestOperation",
                "LatestOperationState",
                "LatestOperationRequestId",
                "LatestOperationStartedTime",
                "IsolatedTime",
                "CreatedTime",
                "ExpiredTime",
                "PlatformType",
                "Platform",
                "OsName",
                "Zone",
                "Tags",
                "InstanceRestrictState",
                "SupportIpv6Detail",
                "PublicIpv6Addresses",
                "InitInvocationId",
                "InstanceViolationDetail",
            ]
        );
        assert_eq!(v["InstanceId"], "lhins-12345678");
        assert_eq!(v["CPU"], i.cpu);
        assert_eq!(v["SystemDisk"]["DiskSize"], i.system_disk.size_gb);
        assert_eq!(v["Tags"], json!([{"Key": "team", "Value": "web"}]));
        assert_eq!(v["InternetAccessible"]["PublicIpAssigned"], true);
        assert_eq!(v["LatestOperation"], "");
        assert_eq!(v["LatestOperationStartedTime"], Value::Null);
        assert_eq!(v["Uuid"], i.uuid.to_string());
        assert_eq!(v["PublicIpv6Addresses"], json!([]));
        assert_eq!(v["InstanceViolationDetail"]["Reason"], "");
    }
}
