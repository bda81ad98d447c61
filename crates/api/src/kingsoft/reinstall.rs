//! ModifyInstanceImage (seed 004): reinstall a stopped instance with a new
//! (or its current) image, optionally a new system disk type or size, and
//! new login settings; `overriding` while it runs, then `active`.

use super::errors::{invalid, missing, Code};
use super::profile::KecFacts;
use super::profile::{self, limits, ImageFacts};
use super::validate::LoginKeys;
use super::{fields, param_error, validate, Call, Fields};
use crate::kingsoft::envelope::ApiError;
use serde_json::json;
use std::sync::Arc;
use stratus_engine::catalog::Image;
use stratus_engine::engine::{ProductRules, ReinstallSpec};
use stratus_engine::error::ProductRefusal;
use stratus_engine::model::{ChargeType, Instance};
use stratus_engine::{Caller, Engine, Product};

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
    let key_ids = p.list("KeyId");
    validate::key_ids(&key_ids)?;
    let keep = p
        .bool("KeepImageLogin")
        .map_err(param_error)?
        .unwrap_or(false);
    let password = p.get("InstancePassword");
    if !keep && password.is_none() && key_ids.is_empty() {
        return Err(missing("InstancePassword, KeyId.N or KeepImageLogin"));
    }
    if let Some(u) = p.get("UserData") {
        validate::user_data(u)?;
    }

    let keys = validate::login_keys(call, &key_ids).await?;
    let rules = ReinstallRules {
        product: Arc::clone(call.product()?),
        facts: Arc::clone(call.facts),
        password: password.map(str::to_string),
        keys,
        key_ids,
        keep,
        disk_size,
        disk_type: disk_type.map(str::to_string),
        engine: Arc::clone(call.engine),
        caller: call.caller.clone(),
    };
    let spec = ReinstallSpec {
        image_id: image_id.map(str::to_string),
        user_data: p.get("UserData").map(str::to_string),
        rules: Some(ProductRules::new(move |instance, image, spec| {
            rules
                .apply(instance, image, spec)
                .map_err(ProductRefusal::new)
        })),
        ..Default::default()
    };
    call.engine
        .reinstall(&call.caller, instance_id, spec)
        .await
        .map_err(|e| call.engine_error(e))?;
    Ok(fields([("Return", json!(true))]))
}

/// KEC's rules for a reinstall, beside the engine's (the state, the image
/// fitting the disk): run by the engine on the instance and image it
/// commits against.
struct ReinstallRules {
    product: Arc<Product>,
    facts: Arc<KecFacts>,
    password: Option<String>,
    /// The keys named, as read before the request went to the engine.
    keys: LoginKeys,
    key_ids: Vec<String>,
    keep: bool,
    disk_size: Option<i64>,
    disk_type: Option<String>,
    /// For the fault rules, which answer a request KEC would accept.
    engine: Arc<Engine>,
    caller: Caller,
}

impl ReinstallRules {
    /// Checks the request against `instance` and `image`, in KEC's order,
    /// and completes `spec`: the system disk and the login the image gives.
    fn apply(
        &self,
        instance: &Instance,
        image: &Image,
        spec: &mut ReinstallSpec,
    ) -> Result<(), ApiError> {
        if instance.charge_type == ChargeType::Spot {
            return Err(Code::OperationDeniedSpotInstance.err());
        }
        if !image.is_usable() {
            return Err(Code::ImageIdInvalidParameterValue.err());
        }
        let facts = ImageFacts::of(image);
        if !facts.data_disk_snapshots.is_empty() {
            return Err(Code::AssembledImageNotSupportReinstallSystem.err());
        }
        let catalog = &self.product.catalog;
        let region_mainland = catalog.region(&instance.region).is_some_and(|r| r.mainland);
        validate::image_placement(image, region_mainland, &instance.zone)?;
        let current_type = instance.system_disk.disk_type.as_str();
        if facts.local_zone.is_some() && current_type != limits::LOCAL_IMAGE_DISK_TYPE {
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
            .and_then(|plan| self.facts.family(&plan.family))
            .ok_or_else(|| ApiError::internal(&"the instance's type has no family"))?;
        let target_type = self.disk_type.as_deref().unwrap_or(current_type);
        if !family.system_disk_types.iter().any(|t| t == target_type) {
            return Err(invalid("SystemDisk.DiskType"));
        }
        let changes_disk = target_type != current_type
            || self
                .disk_size
                .is_some_and(|s| s != i64::from(instance.system_disk.size_gb));
        if changes_disk && self.facts.disk_sold_out(&instance.zone, target_type) {
            return Err(Code::ProductSellOutInvalid.err());
        }
        spec.system_disk_gb = match self.disk_size {
            None => None,
            Some(_) if !family.system_disk_resizable => {
                return Err(Code::RootDiskGbInvalidParameterValue.detail(format!(
                    "The instance type {} cannot choose its system disk size on a reinstall.",
                    instance.plan_id
                )))
            }
            Some(size) => {
                let bounds = &self.facts.system_disk_gb;
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
        spec.system_disk_type = (target_type != current_type).then(|| target_type.to_string());
        spec.login = validate::login(
            image,
            self.password.as_deref(),
            self.key_ids.clone(),
            self.keep,
        )?;
        validate::keys_fit_image(image, &self.keys, !spec.login.key_ids.is_empty())?;
        validate::host_name(&instance.host_name, image.os_family)?;
        super::check_faults(&self.engine, &self.caller)
    }
}
