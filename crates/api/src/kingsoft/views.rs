//! Engine records as KEC, SKS and VPC structures (the GoSDK response
//! models' fields; the VPC ones from Kingsoft's VPC SDK documentation and
//! the fields the Terraform provider reads): instances, images, keys, VPCs,
//! subnets and security groups.

use super::networks::{AddressPlan, Net};
use super::profile::{is_custom, network, state_name, ImageFacts};
use serde_json::{json, Value};
use stratus_engine::catalog::{Catalog, Image, ImageState, OsFamily};
use stratus_engine::engine::KeyPairView;
use stratus_engine::model::{ChargeType, Instance};

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

/// An `InstancesSet` item of DescribeInstances.
pub fn instance(i: &Instance, catalog: &Catalog) -> Value {
    let attr = |k: &str| i.attributes.get(k).cloned().unwrap_or_default();
    let project: i64 = attr(attr::PROJECT_ID).parse().unwrap_or(0);
    let groups: Vec<Value> = i
        .security_group_ids
        .iter()
        .map(|g| json!({"SecurityGroupId": g}))
        .collect();
    let group_ids: Vec<Value> = groups
        .iter()
        .map(|g| json!({"GroupId": g["SecurityGroupId"]}))
        .collect();
    let zone_name = catalog
        .zone(&i.zone)
        .map(|(_, z)| z.name.clone())
        .unwrap_or_default();
    let data_gb: u32 = i.data_disks.iter().map(|d| d.size_gb).sum();
    let private_ip = i.private_ips.first().cloned().unwrap_or_default();
    let charge = i
        .attributes
        .get(attr::CHARGE_TYPE)
        .cloned()
        .unwrap_or_else(|| charge_type(i.charge_type).to_string());
    json!({
        "InstanceId": i.id,
        "ProjectId": project,
        "ThreadPerCore": 2,
        "SriovNetSupport": "false",
        "IsShowSriovNetSupport": false,
        "InstanceName": i.name,
        "InstanceType": i.plan_id,
        "InstanceConfigure": {
            "VCPU": i.cpu,
            "GPU": 0,
            "MemoryGb": i.memory_gb,
            "DataDiskGb": data_gb,
            "RootDiskGb": i.system_disk.size_gb,
            "DataDiskType": attr(attr::DATA_DISK_TYPE),
            "VGPU": "0",
        },
        "ImageId": i.image_id,
        "SubnetId": i.subnet_id,
        "PrivateIpAddress": private_ip,
        "InstanceState": {
            "Name": state_name(i.state),
            "OnMigrate": false,
            "CostTime": "0",
            "TimeStamp": i.latest_operation.as_ref().map(|o| o.started_at.iso8601()).unwrap_or_else(|| i.created_at.iso8601()),
        },
        "Monitoring": { "State": "Started" },
        "NetworkInterfaceSet": [{
            "NetworkInterfaceId": attr(attr::NETWORK_INTERFACE),
            "NetworkInterfaceType": "primary",
            "VpcId": i.vpc_id,
            "SubnetId": i.subnet_id,
            "MacAddress": attr(attr::MAC_ADDRESS),
            "PrivateIpAddress": private_ip,
            "GroupSet": group_ids,
            "SecurityGroupSet": groups,
            "NetworkInterfaceName": "",
            "PublicIp": i.public_ips.first(),
        }],
        "SystemDisk": { "DiskType": i.system_disk.disk_type, "DiskSize": i.system_disk.size_gb },
        "DataDisks": i.data_disks.iter().map(|d| json!({
            "DiskId": d.id, "DiskType": d.disk_type, "DiskSize": d.size_gb,
            "DeleteWithInstance": true, "Encrypted": false,
        })).collect::<Vec<_>>(),
        "KeyId": i.login.key_ids,
        "AvailabilityZone": i.zone,
        "AvailabilityZoneName": zone_name,
        "CreationDate": i.created_at.iso8601(),
        "ChargeType": charge,
        "HostName": i.host_name,
        "UserData": i.user_data.clone().unwrap_or_default(),
        "Platform": platform(i.os_family),
        "DedicatedUuid": "",
        "ProductType": 0,
        "ProductWhat": 1,
        "AutoScalingType": "",
        "LiveUpgradeSupport": false,
        "VncSupport": true,
        "ShutdownNoCharge": false,
        "IsDistributeIpv6": false,
        "IsRunOptimised": false,
        "FailureAutoDelete": false,
        "SyncTag": false,
        "LargeEBSCapacity": false,
        "Migration": 0,
        "DataGuardSet": [],
        "Metadata": [],
    })
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
