//! Engine records as KEC, SKS and VPC structures (the GoSDK response
//! models' fields; the VPC ones from Kingsoft's VPC SDK documentation and
//! the fields the Terraform provider reads): instances, images, keys, VPCs,
//! subnets and security groups.

use super::networks::{AddressPlan, Net};
use super::profile::{is_custom, network, state_name, ImageFacts};
use serde::Serialize;
use serde_json::{json, Value};
use stratus_engine::catalog::{Catalog, Image, ImageState, OsFamily};
use stratus_engine::clock::Iso8601;
use stratus_engine::engine::KeyPairView;
use stratus_engine::model::{ChargeType, Instance};
use stratus_engine::name::Name;

/// Attribute keys KEC keeps on instances.
pub mod attr {
    pub const PROJECT_ID: &str = "kec.project_id";
    pub const NETWORK_INTERFACE: &str = "kec.network_interface_id";
    pub const MAC_ADDRESS: &str = "kec.mac_address";
    pub const CHARGE_TYPE: &str = "kec.charge_type";
    pub const DATA_DISK_TYPE: &str = "kec.data_disk_type";
}

/// The KEC name of an engine charge type (when the request's own is unknown).
pub fn charge_type(c: ChargeType) -> &'static str {
    match c {
        ChargeType::Prepaid => "Monthly",
        ChargeType::Postpaid => "HourlyInstantSettlement",
        ChargeType::Spot => "Spot",
    }
}

/// The engine charge type of a KEC `ChargeType`.
pub fn charge_type_named(name: &str) -> Option<ChargeType> {
    match name {
        "Monthly" => Some(ChargeType::Prepaid),
        "Daily" | "HourlyInstantSettlement" => Some(ChargeType::Postpaid),
        "Spot" => Some(ChargeType::Spot),
        _ => None,
    }
}

fn platform(family: OsFamily) -> &'static str {
    match family {
        OsFamily::Linux => "linux",
        OsFamily::Windows => "windows",
    }
}

/// An `InstancesSet` item of DescribeInstances, rendered straight from the
/// record.
pub fn instance<'a>(i: &'a Instance, catalog: &'a Catalog) -> InstanceView<'a> {
    let attr = |k: &str| i.attributes.get(k).unwrap_or("");
    let private_ip = i.private_ips.first().map_or("", String::as_str);
    InstanceView {
        instance_id: &i.id,
        project_id: attr(attr::PROJECT_ID).parse().unwrap_or(0),
        thread_per_core: 2,
        sriov_net_support: "false",
        is_show_sriov_net_support: false,
        instance_name: &i.name,
        instance_type: &i.plan_id,
        instance_configure: InstanceConfigure {
            vcpu: i.cpu,
            gpu: 0,
            memory_gb: i.memory_gb,
            data_disk_gb: i.data_disks.iter().map(|d| d.size_gb).sum(),
            root_disk_gb: i.system_disk.size_gb,
            data_disk_type: attr(attr::DATA_DISK_TYPE),
            vgpu: "0",
        },
        image_id: &i.image_id,
        subnet_id: &i.subnet_id,
        private_ip_address: private_ip,
        instance_state: InstanceState {
            name: state_name(i.state),
            on_migrate: false,
            cost_time: "0",
            time_stamp: i
                .latest_operation
                .as_ref()
                .map_or(i.created_at, |o| o.started_at)
                .iso(),
        },
        monitoring: Monitoring { state: "Started" },
        network_interface_set: [NetworkInterface {
            network_interface_id: attr(attr::NETWORK_INTERFACE),
            network_interface_type: "primary",
            vpc_id: &i.vpc_id,
            subnet_id: &i.subnet_id,
            mac_address: attr(attr::MAC_ADDRESS),
            private_ip_address: private_ip,
            group_set: GroupSet(&i.security_group_ids, "GroupId"),
            security_group_set: GroupSet(&i.security_group_ids, "SecurityGroupId"),
            network_interface_name: "",
            public_ip: i.public_ips.first().map(String::as_str),
        }],
        system_disk: SystemDisk {
            disk_type: &i.system_disk.disk_type,
            disk_size: i.system_disk.size_gb,
        },
        data_disks: i
            .data_disks
            .iter()
            .map(|d| DataDisk {
                disk_id: &d.id,
                disk_type: &d.disk_type,
                disk_size: d.size_gb,
                delete_with_instance: true,
                encrypted: false,
            })
            .collect(),
        key_id: &i.login.key_ids,
        availability_zone: &i.zone,
        availability_zone_name: catalog.zone(&i.zone).map_or("", |(_, z)| z.name.as_str()),
        creation_date: i.created_at.iso(),
        charge_type: i
            .attributes
            .get(attr::CHARGE_TYPE)
            .unwrap_or(charge_type(i.charge_type)),
        host_name: &i.host_name,
        user_data: i.user_data.as_deref().unwrap_or(""),
        platform: platform(i.os_family),
        dedicated_uuid: "",
        product_type: 0,
        product_what: 1,
        auto_scaling_type: "",
        live_upgrade_support: false,
        vnc_support: true,
        shutdown_no_charge: false,
        is_distribute_ipv6: false,
        is_run_optimised: false,
        failure_auto_delete: false,
        sync_tag: false,
        large_ebs_capacity: false,
        migration: 0,
        data_guard_set: &[],
        metadata: &[],
    }
}

/// KEC's `InstancesSet` item, in the order the GoSDK model lists it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceView<'a> {
    instance_id: &'a str,
    project_id: i64,
    thread_per_core: u32,
    sriov_net_support: &'static str,
    is_show_sriov_net_support: bool,
    instance_name: &'a str,
    instance_type: &'a str,
    instance_configure: InstanceConfigure<'a>,
    image_id: &'a str,
    subnet_id: &'a str,
    private_ip_address: &'a str,
    instance_state: InstanceState,
    monitoring: Monitoring,
    network_interface_set: [NetworkInterface<'a>; 1],
    system_disk: SystemDisk<'a>,
    data_disks: Vec<DataDisk<'a>>,
    key_id: &'a [String],
    availability_zone: &'a str,
    availability_zone_name: &'a str,
    creation_date: Iso8601,
    charge_type: &'a str,
    host_name: &'a str,
    user_data: &'a str,
    platform: &'static str,
    dedicated_uuid: &'static str,
    product_type: u32,
    product_what: u32,
    auto_scaling_type: &'static str,
    live_upgrade_support: bool,
    vnc_support: bool,
    shutdown_no_charge: bool,
    is_distribute_ipv6: bool,
    is_run_optimised: bool,
    failure_auto_delete: bool,
    sync_tag: bool,
    #[serde(rename = "LargeEBSCapacity")]
    large_ebs_capacity: bool,
    migration: u32,
    data_guard_set: &'static [&'static str],
    metadata: &'static [&'static str],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InstanceConfigure<'a> {
    #[serde(rename = "VCPU")]
    vcpu: u32,
    #[serde(rename = "GPU")]
    gpu: u32,
    memory_gb: u32,
    data_disk_gb: u32,
    root_disk_gb: u32,
    data_disk_type: &'a str,
    #[serde(rename = "VGPU")]
    vgpu: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InstanceState {
    name: &'static str,
    on_migrate: bool,
    cost_time: &'static str,
    time_stamp: Iso8601,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Monitoring {
    state: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct NetworkInterface<'a> {
    network_interface_id: &'a str,
    network_interface_type: &'static str,
    vpc_id: &'a str,
    subnet_id: &'a str,
    mac_address: &'a str,
    private_ip_address: &'a str,
    group_set: GroupSet<'a>,
    security_group_set: GroupSet<'a>,
    network_interface_name: &'static str,
    public_ip: Option<&'a str>,
}

/// Security group ids as `[{KEY: id}]`.
struct GroupSet<'a>(&'a [Name], &'static str);

impl Serialize for GroupSet<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|id| Group(self.1, id)))
    }
}

/// `{KEY: id}`.
struct Group<'a>(&'static str, &'a str);

impl Serialize for Group<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SystemDisk<'a> {
    disk_type: &'a str,
    disk_size: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DataDisk<'a> {
    disk_id: &'a str,
    disk_type: &'a str,
    disk_size: u32,
    delete_with_instance: bool,
    encrypted: bool,
}

fn image_state(s: ImageState) -> &'static str {
    match s {
        ImageState::Normal => "active",
        ImageState::Syncing => "saving",
        ImageState::Offline => "error",
        ImageState::CreateFailed => "error",
    }
}

/// The KEC `Type` of an image.
pub fn image_type(m: &Image) -> &'static str {
    if is_custom(m) {
        "CustomImage"
    } else {
        "CommonImage"
    }
}

/// An `ImagesSet` item of DescribeImages.
pub fn image(m: &Image) -> Value {
    let facts = ImageFacts::of(m);
    let mut snapshots = vec![json!({
        "SnapshotId": m.id.trim_start_matches("IMG-"),
        "DiskType": "SSD3.0", "DiskSize": m.size_gb, "Type": "system", "VolumeType": "system",
    })];
    snapshots.extend(facts.data_disk_snapshots.iter().map(|s| {
        json!({
            "SnapshotId": s.snapshot_id, "DiskType": s.disk_type, "DiskSize": s.disk_size,
            "Type": "data", "VolumeType": "data",
        })
    }));
    json!({
        "ImageId": m.id,
        "Name": m.name,
        "Type": image_type(m),
        "ImageState": image_state(m.state),
        "CreationDate": m.created,
        "Platform": m.platform,
        "OsType": platform(m.os_family),
        "OsName": m.os_name,
        "IsPublic": !is_custom(m),
        "IsNpe": false,
        "UserCategory": if is_custom(m) { "custom" } else { "common" },
        "SysDisk": m.size_gb,
        "Progress": "100",
        "ImageSource": if is_custom(m) { "CreateImage" } else { "system" },
        "CloudInitSupport": true,
        "Ipv6Support": true,
        "IsModifyType": true,
        "FastBoot": false,
        "IsCloudMarket": false,
        "OnlineExpansion": true,
        "InstantAccess": false,
        "Architecture": m.architecture,
        "ImageMode": if facts.local_zone.is_some() { "LocalImage" } else { "CommonImage" },
        "BootMode": "BIOS",
        "AvailabilityZone": facts.local_zone,
        "SnapshotSet": snapshots,
    })
}

/// A `Key` / `KeySet` item of SKS.
pub fn key(k: &KeyPairView) -> Value {
    json!({
        "KeyId": k.key_pair.id,
        "KeyName": k.key_pair.name,
        "PublicKey": k.key_pair.public_key,
        "Description": k.key_pair.description,
        "CreateTime": k.key_pair.created_at.plain_datetime(),
        "ProjectId": "0",
        "InstanceIds": k.instance_ids,
    })
}

/// A `VpcSet` item of DescribeVpcs (and the `Vpc` of CreateVpc).
pub fn vpc(n: &Net) -> Value {
    json!({
        "VpcId": n.id,
        "VpcName": n.name,
        "CidrBlock": n.cidr_block,
        "CreateTime": n.create_time,
        "IsDefault": n.is_default,
    })
}

/// A `SubnetSet` item of DescribeSubnets (and the `Subnet` of
/// CreateSubnet); `instances` of the caller's use its addresses.
pub fn subnet(n: &Net, instances: usize) -> Value {
    let plan = n.block().map(AddressPlan::of);
    let free = plan
        .as_ref()
        .map_or(0, |p| p.dhcp_size.saturating_sub(instances as u64));
    let [dns1, dns2] = network::DNS;
    json!({
        "CreateTime": n.create_time,
        "VpcId": n.vpc_id,
        "SubnetId": n.id,
        "SubnetType": network::SUBNET_TYPE,
        "SubnetName": n.name,
        "CidrBlock": n.cidr_block,
        "DhcpIpFrom": plan.as_ref().map(|p| p.dhcp_from.clone()).unwrap_or_default(),
        "DhcpIpTo": plan.as_ref().map(|p| p.dhcp_to.clone()).unwrap_or_default(),
        "GatewayIp": plan.as_ref().map(|p| p.gateway.clone()).unwrap_or_default(),
        "Dns1": dns1,
        "Dns2": dns2,
        "NetworkAclId": "",
        "NatId": "",
        "AvailbleIPNumber": free,
        "AvailabilityZoneName": n.zone,
    })
}

/// A `SecurityGroupSet` item of DescribeSecurityGroups (and the
/// `SecurityGroup` of CreateSecurityGroup). No entries are modelled.
pub fn security_group(n: &Net) -> Value {
    json!({
        "CreateTime": n.create_time,
        "VpcId": n.vpc_id,
        "SecurityGroupName": n.name,
        "SecurityGroupId": n.id,
        "SecurityGroupType": n.group_type(),
        "SecurityGroupEntrySet": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_renders_every_field_of_the_sdk_model_in_its_order() {
        let catalog = super::super::profile::catalog().expect("catalog");
        let zone = catalog.regions[0].zones[0].clone();
        let mut i = Instance::example(
            "7b8a6c3e-0000-4000-8000-000000000001",
            "alice",
            "kec",
            "cn-beijing-6",
        );
        i.zone = zone.id.as_str().into();
        i.security_group_ids = vec!["sg-1".into(), "sg-2".into()];
        i.data_disks = vec![i.system_disk.clone(), i.system_disk.clone()];
        i.attributes.insert(attr::PROJECT_ID, "12");
        let v = serde_json::to_value(instance(&i, &catalog)).expect("renders");
        let keys = crate::fields::object_keys(&v);
        assert_eq!(
            keys,
            [
                "InstanceId",
                "ProjectId",
                "ThreadPerCore",
                "SriovNetSupport",
                "IsShowSriovNetSupport",
                "InstanceName",
                "InstanceType",
                "InstanceConfigure",
                "ImageId",
                "SubnetId",
                "PrivateIpAddress",
                "InstanceState",
                "Monitoring",
                "NetworkInterfaceSet",
                "SystemDisk",
                "DataDisks",
                "KeyId",
                "AvailabilityZone",
                "AvailabilityZoneName",
                "CreationDate",
                "ChargeType",
                "HostName",
                "UserData",
                "Platform",
                "DedicatedUuid",
                "ProductType",
                "ProductWhat",
                "AutoScalingType",
                "LiveUpgradeSupport",
                "VncSupport",
                "ShutdownNoCharge",
                "IsDistributeIpv6",
                "IsRunOptimised",
                "FailureAutoDelete",
                "SyncTag",
                "LargeEBSCapacity",
                "Migration",
                "DataGuardSet",
                "Metadata",
            ]
        );
        assert_eq!(v["ProjectId"], 12);
        assert_eq!(v["InstanceConfigure"]["VCPU"], i.cpu);
        assert_eq!(
            v["InstanceConfigure"]["DataDiskGb"],
            2 * i.system_disk.size_gb
        );
        assert_eq!(v["AvailabilityZoneName"], zone.name);
        assert_eq!(v["ChargeType"], charge_type(i.charge_type));
        let nic = &v["NetworkInterfaceSet"][0];
        assert_eq!(
            nic["GroupSet"],
            json!([{"GroupId": "sg-1"}, {"GroupId": "sg-2"}])
        );
        assert_eq!(
            nic["SecurityGroupSet"],
            json!([{"SecurityGroupId": "sg-1"}, {"SecurityGroupId": "sg-2"}])
        );
        assert_eq!(nic["PublicIp"], Value::Null);
        assert_eq!(v["InstanceState"]["TimeStamp"], i.created_at.iso8601());
    }
}
