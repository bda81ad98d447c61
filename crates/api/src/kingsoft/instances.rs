//! KEC instance actions: RunInstances, DescribeInstances, Start/Stop/Reboot
//! and TerminateInstances.

use super::errors::{invalid, missing, Code};
use super::profile::limits;
use super::views::{self, attr};
use super::{fields, networks, param_error, profile, validate, Call, Fields};
pub use crate::actions::Power;
use crate::kingsoft::envelope::ApiError;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use stratus_engine::engine::{BatchAction, CreateSpec};
use stratus_engine::model::{ChargeType, NetworkKind};
use stratus_engine::ports::{InstanceFilter, InstanceOrder, InstanceQuery};

/// Every RunInstances parameter of the SDK models; those not modelled here
/// are accepted and have no effect.
const RUN_PARAMS: &[&str] = &[
    "ImageId",
    "DedicatedHostId",
    "InstanceType",
    "DataDiskGb",
    "MaxCount",
    "MinCount",
    "SubnetId",
    "InstancePassword",
    "ChargeType",
    "PurchaseTime",
    "SecurityGroupId",
    "SecurityGroupId.N",
    "PrivateIpAddress",
    "InstanceName",
    "InstanceNameSuffix",
    "ProjectId",
    "DataDisk.N.Type",
    "DataDisk.N.Size",
    "DataDisk.N.DeleteWithInstance",
    "DataDisk.N.SnapshotId",
    "NetworkInterface.N.SubnetId",
    "NetworkInterface.N.SecurityGroupId.N",
    "NetworkInterface.N.PrivateIpAddress",
    "UserData",
    "SystemDisk.DiskType",
    "SystemDisk.DiskSize",
    "ModelId",
    "ModelVersion",
    "AssembledImageDataDiskType",
    "AutoCreateEbs",
    "LineId",
    "AddressBandWidth",
    "AddressChargeType",
    "AddressProjectId",
    "BandWidthShareId",
    "AddressPurchaseTime",
    "KeyId",
    "KeyId.N",
    "KeepImageLogin",
    "HostName",
    "HostNameSuffix",
    "FailureAutoDelete",
    "Tag.N.Key",
    "Tag.N.Value",
    "Tag.N.Id",
    "DataGuardId",
    "InstanceConfigure.VCPU",
    "InstanceConfigure.MemoryGb",
    "InstanceConfigure.DataDiskGb",
    "SriovNetSupport",
    "DistributeIpv6",
    "LocalVolumeSnapshotId",
    "SyncTag",
    "IamRoleName",
    "AutoDeleteTime",
    "AutoDeleteEip",
    "IsProtect",
];

/// `n` random characters of `[A-Z0-9]` (n ≤ 32).
fn random_upper(n: usize) -> String {
    uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .to_ascii_uppercase()
        .chars()
        .take(n)
        .collect()
}

fn mac_address() -> String {
    let b = uuid::Uuid::new_v4().into_bytes();
    format!("fa:16:3e:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2])
}

/// RunInstances.
pub async fn run(call: &Call<'_>) -> Result<Fields, ApiError> {
    let p = &call.params;
    p.check_known(RUN_PARAMS).map_err(param_error)?;
    let image_id = p.get("ImageId").ok_or_else(|| missing("ImageId"))?;
    if !profile::is_image_id(image_id) {
        return Err(Code::ImageIdInvalidParameterValue.err());
    }
    let max = p
        .int("MaxCount")
        .map_err(param_error)?
        .ok_or_else(|| missing("MaxCount"))?;
    let min = p
        .int("MinCount")
        .map_err(param_error)?
        .ok_or_else(|| missing("MinCount"))?;
    if !limits::MAX_COUNT.contains(&max) || !(1..=max).contains(&min) {
        return Err(invalid("MaxCount"));
    }
    let subnet_id = p.get("SubnetId").ok_or_else(|| missing("SubnetId"))?;
    let charge_name = p.get("ChargeType").ok_or_else(|| missing("ChargeType"))?;
    let charge = views::charge_type_named(charge_name).ok_or_else(|| invalid("ChargeType"))?;
    let groups = p.list("SecurityGroupId");
    match groups.as_slice() {
        [] => return Err(missing("SecurityGroupId.N")),
        [g] if profile::is_uuid(g) => {}
        _ => return Err(invalid("SecurityGroupId.N")),
    }
    let period = match (charge, p.int("PurchaseTime").map_err(param_error)?) {
        (ChargeType::Prepaid, Some(m)) if limits::PURCHASE_MONTHS.contains(&m) => Some(m as u32),
        (ChargeType::Prepaid, _) => return Err(invalid("PurchaseTime")),
        (_, None | Some(0)) => None,
        (_, Some(_)) => return Err(invalid("PurchaseTime")),
    };
    let product = call.product()?;
    let catalog = &product.catalog;
    // The subnet (the caller's or a default of the region) places the
    // instance; its security group must be of the same VPC.
    let nets = networks::visible(call).await?;
    let subnet =
        networks::find(&nets, NetworkKind::Subnet, subnet_id).ok_or_else(|| invalid("SubnetId"))?;
    let zone = subnet.zone.clone().unwrap_or_default();
    if let Some(bad) = groups.iter().find(|g| {
        networks::find(&nets, NetworkKind::SecurityGroup, g)
            .is_none_or(|n| n.vpc_id != subnet.vpc_id)
    }) {
        return Err(Code::InvalidParameterValue.message(format!(
            "An invalid or out-of-range value was supplied for the input parameter SecurityGroupId.N: `{bad}` is not a security group of the subnet's VPC."
        )));
    }
    let region_mainland = catalog
        .region(&call.caller.region)
        .is_some_and(|r| r.mainland);
    let plan_id = p
        .get("InstanceType")
        .ok_or_else(|| missing("InstanceType"))?;
    let plan = catalog
        .plan(plan_id)
        .ok_or_else(|| invalid("InstanceType"))?;
    let family = call
        .facts
        .family(&plan.family)
        .ok_or_else(|| invalid("InstanceType"))?;
    let image = catalog
        .image(image_id, &call.caller.account)
        .ok_or_else(|| Code::ImageIdInvalidParameterValue.err())?;
    validate::image_placement(image, region_mainland, &zone)?;
    let disk_type = p
        .get("SystemDisk.DiskType")
        .unwrap_or(&plan.system_disk_type)
        .to_string();
    if !family.system_disk_types.contains(&disk_type) {
        return Err(invalid("SystemDisk.DiskType"));
    }
    if call.facts.disk_sold_out(&zone, &disk_type) {
        return Err(Code::ProductSellOutInvalid.err());
    }
    let bounds = &call.facts.system_disk_gb;
    let disk_gb = match p.int("SystemDisk.DiskSize").map_err(param_error)? {
        Some(n) => u32::try_from(n).map_err(|_| Code::RootDiskGbInvalidParameterValue.err())?,
        None => plan.system_disk_gb.max(image.size_gb),
    };
    if disk_gb < bounds.min || disk_gb > bounds.max || disk_gb < image.size_gb {
        return Err(Code::RootDiskGbInvalidParameterValue.detail(format!(
            "The system disk must be {}-{} GB and hold the image ({} GB).",
            bounds.min.max(image.size_gb),
            bounds.max,
            image.size_gb
        )));
    }
    let host_name = match p.get("HostName") {
        Some(h) => {
            validate::host_name(h, image.os_family)?;
            h.to_string()
        }
        None => format!("vm{}", random_upper(8).to_ascii_lowercase()),
    };
    if let Some(u) = p.get("UserData") {
        validate::user_data(u)?;
    }
    let keys = p.list("KeyId");
    validate::key_ids(&keys)?;
    let keep = p
        .bool("KeepImageLogin")
        .map_err(param_error)?
        .unwrap_or(false);
    let login = validate::login(image, p.get("InstancePassword"), keys.clone(), keep)?;
    validate::keys_for_image(call, image, &login.key_ids).await?;
    let base = p
        .get("InstanceName")
        .map(str::to_string)
        .unwrap_or_else(|| format!("KSC-IN-{}", random_upper(10)));
    if base.chars().count() > 128 {
        return Err(invalid("InstanceName"));
    }
    let names: Vec<String> = match p.get("InstanceNameSuffix") {
        Some(s) => {
            // The last suffix must still be a u64.
            let start: u64 = s
                .parse()
                .ok()
                .filter(|start: &u64| start.checked_add(max as u64).is_some())
                .ok_or_else(|| invalid("InstanceNameSuffix"))?;
            (0..max as u64)
                .map(|i| format!("{base}-{}", start + i))
                .collect()
        }
        None => vec![base; max as usize],
    };
    let mut data_disks = Vec::new();
    for d in p.structs("DataDisk") {
        let size: u32 = d
            .get("Size")
            .and_then(|s| s.parse().ok())
            .filter(|s| (10..=16000).contains(s))
            .ok_or_else(|| invalid("DataDisk.N.Size"))?;
        let t = d.get("Type").map_or("SSD3.0", String::as_str);
        if !call.facts.data_disk_types.iter().any(|known| known == t) {
            return Err(invalid("DataDisk.N.Type"));
        }
        data_disks.push((t.to_string(), size));
    }
    let mut attributes = BTreeMap::new();
    attributes.insert(
        attr::PROJECT_ID.to_string(),
        p.get("ProjectId").unwrap_or("0").to_string(),
    );
    attributes.insert(
        attr::NETWORK_INTERFACE.to_string(),
        uuid::Uuid::new_v4().to_string(),
    );
    attributes.insert(attr::MAC_ADDRESS.to_string(), mac_address());
    attributes.insert(attr::CHARGE_TYPE.to_string(), charge_name.to_string());
    if let Some((t, _)) = data_disks.first() {
        attributes.insert(attr::DATA_DISK_TYPE.to_string(), t.clone());
    }
    let spec = CreateSpec {
        zones: vec![zone],
        names: names.clone(),
        bandwidth_mbps: Some(0),
        login,
        period_months: period,
        host_name: Some(host_name),
        user_data: p.get("UserData").map(str::to_string),
        system_disk_gb: Some(disk_gb),
        system_disk_type: Some(disk_type),
        vpc_id: Some(subnet.vpc_id.clone()),
        subnet_id: Some(subnet.id.clone()),
        private_block: subnet.block(),
        data_disks,
        security_group_ids: groups,
        attributes,
        ..CreateSpec::new(plan.id.clone(), image.id.clone(), max as u32, charge)
    };
    call.check_faults()?;
    let ids = call
        .engine
        .create_instances(&call.caller, spec)
        .await
        .map_err(|e| call.engine_error(e))?;
    let set: Vec<Value> = ids
        .iter()
        .zip(names)
        .map(|(id, name)| json!({"InstanceId": id, "InstanceName": name}))
        .collect();
    Ok(fields([("InstancesSet", Value::Array(set))]))
}

/// The filters DescribeInstances understands.
fn instance_filter(f: super::params::Filter) -> Result<InstanceFilter, ApiError> {
    let values = f.values;
    Ok(match f.name.as_str() {
        "instance-id" => InstanceFilter::Ids(values),
        "subnet-id" | "network-interface.subnet-id" => InstanceFilter::SubnetIds(values),
        "vpc-id" => InstanceFilter::VpcIds(values),
        "instance-name" => InstanceFilter::NameContains(values),
        "instance-type" => InstanceFilter::Plans(values),
        "private-ip-address" => InstanceFilter::PrivateIps(values),
        "image-id" => InstanceFilter::Images(values),
        "availability-zone-name" => InstanceFilter::Zones(values),
        "charge-type" => InstanceFilter::Attribute {
            key: attr::CHARGE_TYPE.into(),
            values,
        },
        "network-interface.group-id" => InstanceFilter::SecurityGroups(values),
        "network-interface.network-interface-id" => InstanceFilter::Attribute {
            key: attr::NETWORK_INTERFACE.into(),
            values,
        },
        "instance-state.name" => InstanceFilter::States(
            values
                .iter()
                .flat_map(|v| profile::states_named(v))
                .collect(),
        ),
        "ProjectId" | "project-id" => InstanceFilter::Attribute {
            key: attr::PROJECT_ID.into(),
            values,
        },
        other => {
            return Err(Code::InvalidParameterValue
                .message(format!("The filter name {other} is not supported.")))
        }
    })
}

/// DescribeInstances: `InstanceId.N`, `Filter.N`, `ProjectId.N`, `Search`,
/// `Marker` (an offset) and `MaxResults` (5–1000).
pub async fn describe(call: &Call<'_>) -> Result<Fields, ApiError> {
    let p = &call.params;
    p.check_known(&[
        "MaxResults",
        "Marker",
        "InstanceId.N",
        "ProjectId.N",
        "Filter.N.Name",
        "Filter.N.Name.N",
        "Filter.N.Value",
        "Filter.N.Value.N",
        "Sort",
        "Search",
    ])
    .map_err(param_error)?;
    let ids = p.list("InstanceId");
    if ids.len() > limits::INSTANCE_IDS {
        return Err(Code::InstanceIdLimitExceeded.err());
    }
    let limit = match p.int("MaxResults").map_err(param_error)? {
        None => 20,
        Some(n) if limits::MAX_RESULTS.contains(&n) => n as usize,
        Some(_) => return Err(invalid("MaxResults")),
    };
    let marker = p.int("Marker").map_err(param_error)?.unwrap_or(0);
    if marker < 0 {
        return Err(invalid("Marker"));
    }
    let mut filters = Vec::new();
    if !ids.is_empty() {
        filters.push(InstanceFilter::Ids(ids));
    }
    let projects = p.list("ProjectId");
    if !projects.is_empty() {
        filters.push(InstanceFilter::Attribute {
            key: attr::PROJECT_ID.into(),
            values: projects,
        });
    }
    for f in p.filters().map_err(param_error)? {
        filters.push(instance_filter(f)?);
    }
    if let Some(s) = p.get("Search") {
        filters.push(InstanceFilter::NameContains(vec![s.to_string()]));
    }
    let query = InstanceQuery {
        account: call.caller.account.clone(),
        product: call.caller.product.clone(),
        region: Some(call.caller.region.clone()),
        filters,
        order: InstanceOrder::CreatedDesc,
        offset: marker as usize,
        limit,
    };
    let page = call
        .engine
        .describe_instances(&query)
        .await
        .map_err(|e| call.engine_error(e))?;
    let product = call.product()?;
    let views: Vec<_> = page
        .items
        .iter()
        .map(|i| views::instance(i, &product.catalog))
        .collect();
    let mut answer = fields([
        ("Marker", json!(marker)),
        ("InstanceCount", json!(page.total)),
    ]);
    answer.insert_views("InstancesSet", &views);
    Ok(answer)
}

/// StartInstances, StopInstances and RebootInstances, all or none.
pub async fn power(call: &Call<'_>, power: Power) -> Result<Fields, ApiError> {
    let p = &call.params;
    p.check_known(&[
        "InstanceId.N",
        "InstanceId",
        "ForceStop",
        "ForceReboot",
        "StoppedMode",
    ])
    .map_err(param_error)?;
    let ids = p.list("InstanceId");
    validate::instance_ids(&ids)?;
    let force_stop = p.bool("ForceStop").map_err(param_error)?.unwrap_or(false);
    let force_reboot = p.bool("ForceReboot").map_err(param_error)?.unwrap_or(false);
    let action = match power {
        Power::Start => BatchAction::Start,
        Power::Stop => {
            match p.get("StoppedMode") {
                None | Some("KeepCharging") | Some("StopCharging") => {}
                Some(_) => return Err(invalid("StoppedMode")),
            }
            BatchAction::Stop {
                hard: force_stop,
                // KEC's StopCharging is accepted; no KEC billing is modelled.
                stop_charging: false,
            }
        }
        Power::Reboot => BatchAction::Reboot { hard: force_reboot },
    };
    for id in &ids {
        call.engine
            .instance(&call.caller, id)
            .await
            .map_err(|e| call.engine_error(e))?;
    }
    call.check_faults()?;
    call.engine
        .batch(&call.caller, action, &ids)
        .await
        .map_err(|e| call.engine_error(e))?;
    let message = if power == Power::Stop {
        "Messgae"
    } else {
        "Message"
    };
    let set: Vec<Value> = ids
        .iter()
        .map(|id| {
            let mut item = serde_json::Map::new();
            item.insert("InstanceId".into(), json!(id));
            item.insert("Return".into(), json!(true));
            item.insert(message.into(), json!(""));
            Value::Object(item)
        })
        .collect();
    Ok(fields([("InstancesSet", Value::Array(set))]))
}

/// TerminateInstances: destroyed (deleting, then gone).
pub async fn terminate(call: &Call<'_>) -> Result<Fields, ApiError> {
    let p = &call.params;
    p.check_known(&["InstanceId.N", "InstanceId", "ForceDelete"])
        .map_err(param_error)?;
    let ids = p.list("InstanceId");
    validate::instance_ids(&ids)?;
    p.bool("ForceDelete").map_err(param_error)?;
    call.check_faults()?;
    call.engine
        .batch(&call.caller, BatchAction::Terminate, &ids)
        .await
        .map_err(|e| call.engine_error(e))?;
    let set: Vec<Value> = ids
        .iter()
        .map(|id| json!({"InstanceId": id, "Return": true, "Message": ""}))
        .collect();
    Ok(fields([("InstancesSet", Value::Array(set))]))
}
