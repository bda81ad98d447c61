//! Engine records as CVM structures, every field of the SDK models present
//! (spec §5.1–5.2).

use super::profile::state_name;
use crate::fields::TagPairs;
pub use crate::tencent::views::tags;
use crate::tencent::views::{operation_state, tag_set};
use serde::Serialize;
use serde_json::{json, Value};
use stratus_engine::catalog::{Image, ImageKind, ImageState, Plan};
use stratus_engine::clock::Iso8601;
use stratus_engine::engine::KeyPairView;
use stratus_engine::model::{ChargeType, CompactId, Disk, Instance};
use stratus_engine::name::Name;

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

/// An `Instance` structure, rendered straight from the record.
pub fn instance(i: &Instance) -> InstanceView<'_> {
    let latest = i.latest_operation.as_ref();
    let windows = i.os_family == stratus_engine::catalog::OsFamily::Windows;
    let public = !i.public_ips.is_empty();
    InstanceView {
        placement: Placement {
            zone: &i.zone,
            project_id: i
                .attributes
                .get(attr::PROJECT_ID)
                .and_then(|p| p.parse().ok())
                .unwrap_or(0),
            ..Placement::default()
        },
        instance_id: &i.id,
        instance_type: &i.plan_id,
        cpu: i.cpu,
        memory: i.memory_gb,
        restrict_state: "NORMAL",
        instance_name: &i.name,
        instance_charge_type: charge_type(i.charge_type),
        system_disk: SystemDisk {
            disk_type: &i.system_disk.disk_type,
            disk_id: &i.system_disk.id,
            disk_size: i.system_disk.size_gb,
            ..SystemDisk::default()
        },
        data_disks: i.data_disks.iter().map(DataDisk::of).collect(),
        private_ip_addresses: &i.private_ips,
        public_ip_addresses: public.then_some(&i.public_ips[..]),
        internet_accessible: InternetAccessible {
            internet_charge_type: i
                .attributes
                .get(attr::INTERNET_CHARGE_TYPE)
                .unwrap_or("TRAFFIC_POSTPAID_BY_HOUR"),
            internet_max_bandwidth_out: i.bandwidth_mbps,
            public_ip_assigned: public,
            internet_service_provider: "BGP",
            ..InternetAccessible::default()
        },
        virtual_private_cloud: VirtualPrivateCloud {
            vpc_id: &i.vpc_id,
            subnet_id: &i.subnet_id,
            as_vpc_gateway: false,
            private_ip_addresses: &i.private_ips,
            ipv6_address_count: 0,
        },
        image_id: &i.image_id,
        renew_flag: (i.charge_type == ChargeType::Prepaid)
            .then(|| i.renew_flag.as_deref().unwrap_or("NOTIFY_AND_MANUAL_RENEW")),
        created_time: i.created_at.iso(),
        expired_time: i.expires_at.map(|t| t.iso()),
        os_name: &i.os_name,
        security_group_ids: &i.security_group_ids,
        login_settings: LoginSettings {
            password: None,
            key_ids: &i.login.key_ids,
            keep_image_login: None,
        },
        instance_state: state_name(i.state),
        tags: tag_set(&i.tags),
        stop_charging_mode: match (i.charge_type, i.charging_stopped) {
            (ChargeType::Postpaid, true) => "STOP_CHARGING",
            (ChargeType::Postpaid, _) => "KEEP_CHARGING",
            _ => "NOT_APPLICABLE",
        },
        uuid: &i.uuid,
        latest_operation: latest.map(|o| &*o.action),
        latest_operation_state: latest.map(|o| operation_state(o.state)),
        latest_operation_request_id: latest.map(|o| &o.request_id),
        disaster_recover_group_id: "",
        ipv6_addresses: None,
        cam_role_name: None,
        hpc_cluster_id: "",
        rdma_ip_addresses: None,
        dedicated_cluster_id: "",
        isolated_source: if i.isolated_at.is_some() {
            "MANMADE"
        } else {
            "NOTISOLATED"
        },
        disaster_recover_group_ids: &[],
        gpu_info: None,
        license_type: "TencentCloud",
        disable_api_termination: i.termination_protected,
        host_name: &i.host_name,
        default_login_user: if windows { "Administrator" } else { "root" },
        default_login_port: if windows { 3389 } else { 22 },
        latest_operation_error_msg: latest.and_then(|o| o.error_message.as_deref()),
        enable_jumbo_frame: false,
        metadata: Metadata { items: &[] },
        public_ipv6_addresses: &[],
        cpu_topology: None,
        partition_number: None,
    }
}

/// A JSON `null` the SDK model has a field for.
type Null = Option<()>;

/// CVM's `Instance`, every field of the SDK model, in its order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceView<'a> {
    placement: Placement<'a>,
    instance_id: &'a str,
    instance_type: &'a str,
    #[serde(rename = "CPU")]
    cpu: u32,
    memory: u32,
    restrict_state: &'static str,
    instance_name: &'a str,
    instance_charge_type: &'static str,
    system_disk: SystemDisk<'a>,
    data_disks: Vec<DataDisk<'a>>,
    private_ip_addresses: &'a [String],
    public_ip_addresses: Option<&'a [String]>,
    internet_accessible: InternetAccessible<'a>,
    virtual_private_cloud: VirtualPrivateCloud<'a>,
    image_id: &'a str,
    renew_flag: Option<&'a str>,
    created_time: Iso8601,
    expired_time: Option<Iso8601>,
    os_name: &'a str,
    security_group_ids: &'a [Name],
    login_settings: LoginSettings<'a>,
    instance_state: &'static str,
    tags: TagPairs<'a>,
    stop_charging_mode: &'static str,
    uuid: &'a uuid::Uuid,
    latest_operation: Option<&'a str>,
    latest_operation_state: Option<&'static str>,
    latest_operation_request_id: Option<&'a CompactId>,
    disaster_recover_group_id: &'static str,
    #[serde(rename = "IPv6Addresses")]
    ipv6_addresses: Null,
    cam_role_name: Null,
    hpc_cluster_id: &'static str,
    rdma_ip_addresses: Null,
    dedicated_cluster_id: &'static str,
    isolated_source: &'static str,
    disaster_recover_group_ids: &'static [&'static str],
    #[serde(rename = "GPUInfo")]
    gpu_info: Null,
    license_type: &'static str,
    disable_api_termination: bool,
    host_name: &'a str,
    default_login_user: &'static str,
    default_login_port: u16,
    latest_operation_error_msg: Option<&'a str>,
    enable_jumbo_frame: bool,
    metadata: Metadata,
    #[serde(rename = "PublicIPv6Addresses")]
    public_ipv6_addresses: &'static [&'static str],
    cpu_topology: Null,
    partition_number: Null,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Placement<'a> {
    zone: &'a str,
    project_id: i64,
    host_ids: Null,
    host_id: Null,
    dedicated_resource_pack_tenancy: Null,
    dedicated_resource_pack_ids: Null,
    rack_id: Null,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct SystemDisk<'a> {
    disk_type: &'a str,
    disk_id: &'a str,
    disk_size: u32,
    cdc_id: Null,
    disk_name: Null,
    encrypt: bool,
    kms_key_id: Null,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DataDisk<'a> {
    disk_size: u32,
    disk_type: &'a str,
    disk_id: &'a str,
    delete_with_instance: bool,
    snapshot_id: Null,
    encrypt: bool,
    kms_key_id: Null,
    throughput_performance: u32,
    cdc_id: Null,
    burst_performance: bool,
    disk_name: Null,
}

impl<'a> DataDisk<'a> {
    fn of(d: &'a Disk) -> Self {
        DataDisk {
            disk_size: d.size_gb,
            disk_type: &d.disk_type,
            disk_id: &d.id,
            delete_with_instance: true,
            snapshot_id: None,
            encrypt: false,
            kms_key_id: None,
            throughput_performance: 0,
            cdc_id: None,
            burst_performance: false,
            disk_name: None,
        }
    }
}

#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct InternetAccessible<'a> {
    internet_charge_type: &'a str,
    internet_max_bandwidth_out: u32,
    public_ip_assigned: bool,
    bandwidth_package_id: Null,
    internet_service_provider: &'static str,
    #[serde(rename = "IPv4AddressType")]
    ipv4_address_type: Null,
    #[serde(rename = "IPv6AddressType")]
    ipv6_address_type: Null,
    #[serde(rename = "AntiDDoSPackageId")]
    anti_ddos_package_id: Null,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct VirtualPrivateCloud<'a> {
    vpc_id: &'a str,
    subnet_id: &'a str,
    as_vpc_gateway: bool,
    private_ip_addresses: &'a [String],
    ipv6_address_count: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LoginSettings<'a> {
    password: Null,
    key_ids: &'a [String],
    keep_image_login: Null,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Metadata {
    items: &'static [&'static str],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_renders_every_field_of_the_sdk_model_in_its_order() {
        let mut i = Instance::example("ins-12345678", "alice", "cvm", "ap-guangzhou");
        i.charge_type = ChargeType::Postpaid;
        i.charging_stopped = true;
        i.data_disks = vec![i.system_disk.clone()];
        i.attributes.insert(attr::PROJECT_ID, "7");
        let v = serde_json::to_value(instance(&i)).expect("renders");
        let keys = crate::fields::object_keys(&v);
        assert_eq!(
            keys,
            [
                "Placement",
                "InstanceId",
                "InstanceType",
                "CPU",
                "Memory",
                "RestrictState",
                "InstanceName",
                "InstanceChargeType",
                "SystemDisk",
                "DataDisks",
                "PrivateIpAddresses",
                "PublicIpAddresses",
                "InternetAccessible",
                "VirtualPrivateCloud",
                "ImageId",
                "RenewFlag",
                "CreatedTime",
                "ExpiredTime",
                "OsName",
                "SecurityGroupIds",
                "LoginSettings",
                "InstanceState",
                "Tags",
                "StopChargingMode",
                "Uuid",
                "LatestOperation",
                "LatestOperationState",
                "LatestOperationRequestId",
                "DisasterRecoverGroupId",
                "IPv6Addresses",
                "CamRoleName",
                "HpcClusterId",
                "RdmaIpAddresses",
                "DedicatedClusterId",
                "IsolatedSource",
                "DisasterRecoverGroupIds",
                "GPUInfo",
                "LicenseType",
                "DisableApiTermination",
                "HostName",
                "DefaultLoginUser",
                "DefaultLoginPort",
                "LatestOperationErrorMsg",
                "EnableJumboFrame",
                "Metadata",
                "PublicIPv6Addresses",
                "CpuTopology",
                "PartitionNumber",
            ]
        );
        assert_eq!(v["Placement"]["ProjectId"], 7);
        assert_eq!(v["Placement"]["RackId"], Value::Null);
        assert_eq!(v["PublicIpAddresses"], Value::Null);
        assert_eq!(v["RenewFlag"], Value::Null);
        assert_eq!(v["StopChargingMode"], "STOP_CHARGING");
        assert_eq!(v["DataDisks"][0]["DiskSize"], i.system_disk.size_gb);
        assert_eq!(v["DataDisks"][0]["DeleteWithInstance"], true);
        assert_eq!(v["InternetAccessible"]["IPv4AddressType"], Value::Null);
        assert_eq!(v["InternetAccessible"]["InternetServiceProvider"], "BGP");
        assert_eq!(v["Metadata"], json!({"Items": []}));
        assert_eq!(v["DefaultLoginPort"], 22);
        assert_eq!(v["LatestOperation"], Value::Null);
    }
}
