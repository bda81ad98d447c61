//! ModifyInstanceImage (seed 004): reinstall a stopped instance with a new
//! (or its current) image, optionally a new system disk type or size, and
//! new login settings; `overriding` while it runs, then `active`.

use super::errors::{invalid, missing, Code};
use super::profile::{self, limits, ImageFacts};
use super::{fields, param_error, validate, Call, Fields};
use crate::kingsoft::envelope::ApiError;
use serde_json::json;
use stratus_engine::engine::ReinstallSpec;
use stratus_engine::lifecycle::LifecycleState;
use stratus_engine::model::ChargeType;

const PARAMS: &[&str] = &[
    "InstanceId",
    "ImageId",
    "SystemDisk.DiskSize",
    "SystemDisk.DiskType",
    "SystemDisk.ResizeType",
    "InstancePassword",
    "KeyId",
    "KeyId.N",
    "KeepImageLogin",
    "UserData",
];

/// ModifyInstanceImage.
pub async fn modify_instance_image(call: &Call<'_>) -> Result<Fields, ApiError> {
    let p = &call.params;
    p.check_known(PARAMS).map_err(param_error)?;
    if validate::go_sdk_version(&call.user_agent).is_some_and(|v| v < limits::GO_SDK_MIN) {
        return Err(Code::GoSdkVersionInvalid.err());
    }
    let instance_id = p
        .get("InstanceId")
        .ok_or_else(|| Code::InstanceIdRequired.err())?;
    if !profile::is_uuid(instance_id) {
        return Err(Code::InstanceIdInvalid.err());
    }
    let image_id = p.get("ImageId");
    if image_id.is_some_and(|i| !profile::is_image_id(i)) {
        return Err(Code::ImageIdInvalidParameterValue.err());
    }
    let disk_size = p
        .int("SystemDisk.DiskSize")
        .map_err(|_| Code::RootDiskGbInvalidParameterValue.err())?;
    let disk_type = p.get("SystemDisk.DiskType");
    match p.get("SystemDisk.ResizeType") {
        None | Some("offline") | Some("online") => {}
        Some(_) => return Err(invalid("SystemDisk.ResizeType")),
    }
    let keys = p.list("KeyId");
    validate::key_ids(&keys)?;
    let keep = p
        .bool("KeepImageLogin")
        .map_err(param_error)?
        .unwrap_or(false);
    let password = p.get("InstancePassword");
    if !keep && password.is_none() && keys.is_empty() {
        return Err(missing("InstancePassword, KeyId.N or KeepImageLogin"));
    }
    if let Some(u) = p.get("UserData") {
        validate::user_data(u)?;
    }

    let instance = call
        .engine
        .instance(&call.caller, instance_id)
        .await
        .map_err(|e| call.engine_error(e))?;
    if instance.charge_type == ChargeType::Spot {
        return Err(Code::OperationDeniedSpotInstance.err());
    }
    if instance.state != LifecycleState::Stopped || instance.has_operation_in_flight() {
        return Err(Code::InstanceStateNotSupported.message(format!(
            "The InstanceState for this action should be \"Stopped\". The instance {} is {}.",
            instance.id,
            profile::state_name(instance.state)
        )));
    }
    let product = call.product()?;
    let catalog = &product.catalog;
    let image = catalog
        .image(image_id.unwrap_or(&instance.image_id), &call.caller.account)
        .filter(|i| i.is_usable())
        .ok_or_else(|| Code::ImageIdInvalidParameterValue.err())?;
    let facts = ImageFacts::of(image);
    if !facts.data_disk_snapshots.is_empty() {
        return Err(Code::AssembledImageNotSupportReinstallSystem.err());
    }
    let region_mainland = catalog.region(&instance.region).is_some_and(|r| r.mainland);
    validate::image_placement(image, region_mainland, &instance.zone)?;
    if facts.local_zone.is_some() && instance.system_disk.disk_type != limits::LOCAL_IMAGE_DISK_TYPE
    {
        return Err(Code::LocalImageOnlySupportSsd3ForModifyImage.err());
    }
    if facts.local_volume_snapshot && image.os_name != instance.os_name {
        return Err(
            Code::LocalVolumeRollBackImageTypeMismatching.detail(format!(
                "The snapshot holds {}, the instance runs {}.",
                image.os_name, instance.os_name
            )),
        );
    }
    let family = catalog
        .plan(&instance.plan_id)
        .and_then(|plan| call.facts.family(&plan.family))
        .ok_or_else(|| ApiError::internal(&"the instance's type has no family"))?;
    let target_type = disk_type.unwrap_or(&instance.system_disk.disk_type);
    if !family.system_disk_types.iter().any(|t| t == target_type) {
        return Err(invalid("SystemDisk.DiskType"));
    }
    let changes_disk = target_type != instance.system_disk.disk_type
        || disk_size.is_some_and(|s| s != i64::from(instance.system_disk.size_gb));
    if changes_disk && call.facts.disk_sold_out(&instance.zone, target_type) {
        return Err(Code::ProductSellOutInvalid.err());
    }
    let disk_gb = match disk_size {
        None => None,
        Some(_) if !family.system_disk_resizable => {
            return Err(Code::RootDiskGbInvalidParameterValue.detail(format!(
                "The instance type {} cannot choose its system disk size on a reinstall.",
                instance.plan_id
            )))
        }
        Some(size) => {
            let bounds = &call.facts.system_disk_gb;
            match u32::try_from(size) {
                Ok(s) if (bounds.min..=bounds.max).contains(&s) => Some(s),
                _ => {
                    return Err(Code::RootDiskGbInvalidParameterValue.detail(format!(
                        "The system disk must be {}-{} GB.",
                        bounds.min, bounds.max
                    )))
                }
            }
        }
    };
    let login = validate::login(image, password, keys, keep)?;
    validate::keys_for_image(call, image, &login.key_ids).await?;
    validate::host_name(&instance.host_name, image.os_family)?;
    let spec = ReinstallSpec {
        image_id: Some(image.id.clone()),
        login,
        system_disk_gb: disk_gb,
        user_data: p.get("UserData").map(str::to_string),
        system_disk_type: (target_type != instance.system_disk.disk_type)
            .then(|| target_type.to_string()),
        ..Default::default()
    };
    call.check_faults()?;
    call.engine
        .reinstall(&call.caller, &instance.id, spec)
        .await
        .map_err(|e| call.engine_error(e))?;
    Ok(fields([("Return", json!(true))]))
}
