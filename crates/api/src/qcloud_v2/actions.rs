//! The legacy CVM actions: ResetInstances (seed 003), DescribeInstances,
//! DescribeImages, StartInstances, StopInstances and RestartInstances, over
//! the same CVM instances as API 3.0.

use super::envelope::{self, BatchEntry, Code, LegacyError, ModuleCode};
use super::views;
use crate::request::Response;
use crate::tencent::cvm::profile::password_rule;
use serde_json::{json, Map, Value};
use stratus_engine::catalog::OsFamily;
use stratus_engine::engine::{BatchAction, LoginRequest, ProductRules, ReinstallSpec};
use stratus_engine::error::ProductRefusal;
use stratus_engine::ports::{InstanceFilter, InstanceOrder, InstanceQuery};
use stratus_engine::EngineError as E;

crate::actions! {
    /// The legacy actions served.
    pub enum Action {
        ResetInstances,
        DescribeInstances,
        DescribeImages,
        StartInstances,
        StopInstances,
        RestartInstances,
    }
}

impl Action {
    /// True for the actions that change an instance.
    fn writes(self) -> bool {
        !matches!(self, Self::DescribeInstances | Self::DescribeImages)
    }
}

/// An authenticated legacy call: what every action below is given.
pub struct LegacyCall<'a> {
    pub engine: &'a std::sync::Arc<stratus_engine::Engine>,
    pub caller: stratus_engine::Caller,
    pub action: Action,
    pub request: &'a super::LegacyRequest,
}

/// The action a legacy request names, if served.
pub fn parse_action(name: &str) -> Result<Action, LegacyError> {
    Action::from_name(name).ok_or_else(|| {
        LegacyError::new(
            Code::UnsupportedAction,
            format!("The action `{name}` is not supported in this version."),
        )
    })
}

/// Serves one legacy action.
pub async fn dispatch(call: &LegacyCall<'_>) -> Result<Response, LegacyError> {
    check_faults(call)?;
    match call.action {
        Action::ResetInstances => reset_instances(call).await,
        Action::DescribeInstances => describe_instances(call).await,
        Action::DescribeImages => describe_images(call),
        Action::StartInstances | Action::StopInstances | Action::RestartInstances => {
            power(call).await
        }
    }
}

/// A fault rule for a legacy write answers at once with
/// `OperationFail.SystemBusy`: the legacy API has no field that would show
/// a failed operation afterwards (its status codes have no failure for a
/// reinstall or a restart), so the failure surfaces as the documented
/// "system busy".
fn check_faults(call: &LegacyCall<'_>) -> Result<(), LegacyError> {
    if !call.action.writes() {
        return Ok(());
    }
    match call
        .engine
        .faults()
        .decide(&call.caller.product, &call.caller.action)
    {
        Some(message) => Err(LegacyError::module(ModuleCode::SystemBusy, message)),
        None => Ok(()),
    }
}

/// Engine errors in legacy terms: the one table.
pub(super) fn legacy_error(e: E) -> LegacyError {
    match e {
        E::InstanceNotFound(_) | E::ImageNotFound(_) | E::KeyPairNotFound(_) => {
            LegacyError::new(Code::ResourceNotFound, e.to_string())
        }
        E::InvalidState { .. } | E::OperationInProgress { .. } | E::InstanceCreating(_) => {
            LegacyError::module(ModuleCode::InvalidInstanceStatus, e.to_string())
        }
        E::ConcurrentModification(_) => LegacyError::module(ModuleCode::SystemBusy, ""),
        E::ImageUnavailable(_)
        | E::ImageRequirementsNotMet(_)
        | E::PlanImageMismatch { .. }
        | E::ImageExceedsDisk { .. }
        | E::OsFamilySwitch
        | E::TerminationProtected(_) => {
            LegacyError::module(ModuleCode::AllResourceOpFailed, e.to_string())
        }
        E::RateLimited => LegacyError::new(Code::QuotaExceeded, e.to_string()),
        E::InsufficientBalance { .. } => {
            LegacyError::module(ModuleCode::AccountBalanceNotEnough, e.to_string())
        }
        E::Refused(ref r) => r.answer_or(|| LegacyError::internal(&e)),
        // A fault rule's code: a legacy number (`4400`), or a `codeDesc`.
        E::Injected {
            ref code,
            ref message,
            ..
        } => match code.parse().ok().and_then(Code::from_number) {
            Some(c) => LegacyError::new(c, message.clone()),
            None => LegacyError {
                code: Code::OperationFailed,
                code_desc: code.clone().into(),
                message: message.clone(),
            },
        },
        E::Internal(_) => LegacyError::internal(&e),
        other => LegacyError::new(Code::InvalidParameter, other.to_string()),
    }
}

fn invalid(message: impl Into<String>) -> LegacyError {
    LegacyError::new(Code::InvalidParameter, message)
}

/// Specials of the seed's password rules (Windows lacks `|`).
const LINUX_SPECIALS: &str = "()`~!@#$%^&*-+=|{}[]:;',.?/";
const WINDOWS_SPECIALS: &str = "()`~!@#$%^&*-+={}[]:;',.?/";

/// Seed 003's password rule: Linux 8–16 characters of at least two of
/// letters, digits and specials; Windows 12–16 of at least three of lower
/// case, upper case, digits and specials.
fn check_password(password: &str, family: OsFamily) -> Result<(), LegacyError> {
    let (ok, rule) = match family {
        OsFamily::Linux => {
            let len = password.chars().count();
            let mut classes = [false; 3];
            let mut allowed = true;
            for c in password.chars() {
                if c.is_ascii_alphabetic() {
                    classes[0] = true;
                } else if c.is_ascii_digit() {
                    classes[1] = true;
                } else if LINUX_SPECIALS.contains(c) {
                    classes[2] = true;
                } else {
                    allowed = false;
                }
            }
            let ok =
                (8..=16).contains(&len) && allowed && classes.iter().filter(|c| **c).count() >= 2;
            (ok, "8-16 characters of at least two of letters, digits and ()`~!@#$%^&*-+=|{}[]:;',.?/")
        }
        OsFamily::Windows => {
            let mut windows = password_rule(12, 3, WINDOWS_SPECIALS, false);
            windows.max_len = 16;
            (
                windows.check(password).is_ok(),
                "12-16 characters of at least three of lower case, upper case, digits and ()`~!@#$%^&*-+={}[]:;',.?/",
            )
        }
    };
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("The password must be {rule}.")))
    }
}

async fn reset_instances(call: &LegacyCall<'_>) -> Result<Response, LegacyError> {
    let p = &call.request.params;
    p.check_known(
        &[
            "instanceId",
            "imageType",
            "imageId",
            "password",
            "needSecurityAgent",
            "needMonitorAgent",
            "rootSize",
            "hardPowerOffFlag",
            "purchaseSource",
        ],
        &[],
    )?;
    let instance_id = p.required_str("instanceId")?;
    let image_type = p.int("imageType")?;
    let image_id = p.str("imageId").filter(|i| !i.is_empty());
    if image_type.is_some() && image_id.is_none() {
        return Err(invalid(
            "`imageType` must be given together with `imageId`.",
        ));
    }
    let image_type = image_type.unwrap_or(2);
    if !(1..=4).contains(&image_type) {
        return Err(invalid(
            "`imageType` must be 1 (private), 2 (public), 3 (marketplace) or 4 (shared).",
        ));
    }
    for flag in ["needSecurityAgent", "needMonitorAgent"] {
        if !matches!(p.int_or(flag, 1)?, 0 | 1) {
            return Err(invalid(format!("`{flag}` must be 0 or 1.")));
        }
    }
    let engine = call.engine;
    let product = engine.product(&call.caller.product).map_err(legacy_error)?;
    if let Some(id) = image_id {
        let image = product
            .catalog
            .image(id, &call.caller.account)
            .ok_or_else(|| {
                LegacyError::new(
                    Code::ResourceNotFound,
                    format!("The image {id} does not exist."),
                )
            })?;
        if views::image_type(image.kind) != image_type {
            return Err(invalid(format!(
                "The image {id} is not of imageType {image_type}."
            )));
        }
    }
    let password = p.str("password").map(str::to_string);
    let root_size = p.int("rootSize")?;
    // The password follows the rule of the OS the image brings, and the
    // disk may only grow: both as the engine reads the instance.
    let rules = {
        let password = password.clone();
        ProductRules::new(move |instance, image, spec| {
            if let Some(pw) = &password {
                check_password(pw, image.os_family).map_err(ProductRefusal::new)?;
            }
            spec.system_disk_gb = match root_size {
                None => None,
                Some(size) if size < i64::from(instance.system_disk.size_gb) || size > 1024 => {
                    return Err(ProductRefusal::new(invalid(format!(
                        "`rootSize` must be between the current {} GB and 1024 GB.",
                        instance.system_disk.size_gb
                    ))))
                }
                Some(size) => Some(size as u32),
            };
            Ok(())
        })
    };
    let spec = ReinstallSpec {
        image_id: image_id.map(str::to_string),
        login: LoginRequest {
            password,
            ..Default::default()
        },
        rules: Some(rules),
        ..Default::default()
    };
    let op = engine
        .reinstall(&call.caller, instance_id, spec)
        .await
        .map_err(legacy_error)?;
    Ok(envelope::async_task(views::task_id(&op)))
}

/// Legacy region codes for the `Region` field.
fn region_code(region: &str) -> &'static str {
    match region {
        "ap-guangzhou" => "gz",
        "ap-shanghai" => "sh",
        "ap-beijing" => "bj",
        "ap-hongkong" => "hk",
        "ap-singapore" => "sg",
        "na-siliconvalley" => "usw",
        _ => "",
    }
}

async fn describe_instances(call: &LegacyCall<'_>) -> Result<Response, LegacyError> {
    let p = &call.request.params;
    p.check_known(
        &[
            "searchWord",
            "status",
            "projectId",
            "zoneId",
            "offset",
            "limit",
            "simplify",
        ],
        &["instanceIds", "lanIps"],
    )?;
    let ids: Vec<String> = p
        .array("instanceIds")?
        .into_iter()
        .map(str::to_string)
        .collect();
    let lan_ips: Vec<String> = p.array("lanIps")?.into_iter().map(str::to_string).collect();
    let offset = p.int_or("offset", 0)?;
    let limit = p.int_or("limit", 20)?;
    if offset < 0 || !(1..=100).contains(&limit) {
        return Err(invalid("`offset` must be non-negative and `limit` 1-100."));
    }
    let mut filters = Vec::new();
    if !ids.is_empty() {
        filters.push(InstanceFilter::Ids(ids));
    }
    if !lan_ips.is_empty() {
        filters.push(InstanceFilter::PrivateIps(lan_ips));
    }
    if let Some(word) = p.str("searchWord").filter(|w| !w.is_empty()) {
        filters.push(InstanceFilter::NameContains(vec![word.to_string()]));
    }
    let query = InstanceQuery {
        account: call.caller.account.clone(),
        product: call.caller.product.clone(),
        region: Some(call.caller.region.clone()),
        filters,
        order: InstanceOrder::CreatedDesc,
        offset: 0,
        limit: usize::MAX,
    };
    let all = call
        .engine
        .describe_instances(&query)
        .await
        .map_err(legacy_error)?
        .items;
    let status = p.int("status")?;
    let zone_id = p.int("zoneId")?;
    let product = call
        .engine
        .product(&call.caller.product)
        .map_err(legacy_error)?;
    let zone_of = |zone: &str| {
        let name = product
            .catalog
            .zone(zone)
            .map(|(_, z)| z.name.clone())
            .unwrap_or_default();
        (
            crate::tencent::cvm::zone_number(&call.caller.region, zone),
            name,
        )
    };
    let matching: Vec<_> = all
        .iter()
        .filter(|i| status.is_none_or(|s| views::status(i) == s))
        .filter(|i| zone_id.is_none_or(|z| zone_of(&i.zone).0 as i64 == z))
        .collect();
    // Only the requested page is rendered.
    let page = matching
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|i| {
            let (zid, zname) = zone_of(&i.zone);
            views::instance(i, region_code(&i.region), zid, &zname)
        })
        .collect();
    let mut fields = Map::new();
    fields.insert("totalCount".into(), json!(matching.len()));
    fields.insert("instanceSet".into(), Value::Array(page));
    Ok(envelope::success(fields))
}

fn describe_images(call: &LegacyCall<'_>) -> Result<Response, LegacyError> {
    let p = &call.request.params;
    p.check_known(&["imageType", "status", "offset", "limit"], &["imageIds"])?;
    let image_type = p.required_int("imageType")?;
    if !(1..=4).contains(&image_type) {
        return Err(invalid(
            "`imageType` must be 1 (private), 2 (public), 3 (marketplace) or 4 (shared).",
        ));
    }
    let ids = p.array("imageIds")?;
    if ids.len() > 10 {
        return Err(invalid("At most 10 `imageIds` are accepted."));
    }
    let status = p.int_or("status", 0)?;
    let offset = p.int_or("offset", 0)?;
    let limit = p.int_or("limit", 20)?;
    if offset < 0 || !(1..=100).contains(&limit) {
        return Err(invalid("`offset` must be non-negative and `limit` 1-100."));
    }
    let product = call
        .engine
        .product(&call.caller.product)
        .map_err(legacy_error)?;
    let matching: Vec<Value> = product
        .catalog
        .images
        .iter()
        .filter(|m| m.visible_to(&call.caller.account))
        .filter(|m| views::image_type(m.kind) == image_type)
        .filter(|m| ids.is_empty() || ids.contains(&m.id.as_str()))
        .filter(|m| status == 0 || views::image_status(m.state) == status)
        .map(views::image)
        .collect();
    let mut fields = Map::new();
    fields.insert("totalCount".into(), json!(matching.len()));
    fields.insert(
        "imageSet".into(),
        Value::Array(
            matching
                .into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .collect(),
        ),
    );
    Ok(envelope::success(fields))
}

/// StartInstances, StopInstances, RestartInstances: each instance on its
/// own, reported per resource (0, 5100 all failed, 5400 some failed).
async fn power(call: &LegacyCall<'_>) -> Result<Response, LegacyError> {
    let p = &call.request.params;
    p.check_known(&["forceStop"], &["instanceIds"])?;
    let force = match p.int_or("forceStop", 0)? {
        0 => false,
        1 => true,
        _ => return Err(invalid("`forceStop` must be 0 or 1.")),
    };
    let ids = p.array("instanceIds")?;
    if ids.is_empty() {
        return Err(invalid("The parameter `instanceIds` is required."));
    }
    if ids.len() > 100 {
        return Err(invalid("At most 100 `instanceIds` are accepted."));
    }
    let action = match call.action {
        Action::StopInstances => BatchAction::Stop {
            hard: force,
            stop_charging: false,
        },
        Action::RestartInstances => BatchAction::Reboot { hard: force },
        _ => BatchAction::Start,
    };
    let mut entries = Vec::with_capacity(ids.len());
    for id in ids {
        let outcome = call
            .engine
            .batch(&call.caller, action.clone(), &[id.to_string()])
            .await
            .map(|ops| ops.first().map_or(0, |op| views::task_id(op)))
            .map_err(legacy_error);
        entries.push(BatchEntry {
            resource_id: id.to_string(),
            outcome,
        });
    }
    Ok(envelope::batch(&entries))
}
