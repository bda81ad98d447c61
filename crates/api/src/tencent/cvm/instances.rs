//! CVM instance actions.

use super::validate;
use super::views::{self, attr};
use super::Call;
use super::{fields, parse, profile, Action, Fields};
pub use crate::actions::Power;
use crate::tencent::envelope::ApiError;
use crate::tencent::instances::{
    batch, client_token, instance_count, instance_page, refuse, reinstall, stop_type,
    ChargePrepaid, PasswordReset, ResetPasswordRules, PERIODS,
};
use crate::tencent::listing::{list, Listing, ListingRules};
use crate::tencent::validate::TagSpec;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use stratus_engine::catalog::OsFamily;
use stratus_engine::engine::{BatchAction, CreateSpec, LoginRequest, ProductRules, ReinstallSpec};
use stratus_engine::error::ProductRefusal;
use stratus_engine::model::{ChargeType, Tag};
use stratus_engine::ports::{InstanceOrder, Page};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LoginSettings {
    password: Option<String>,
    key_ids: Option<Vec<String>>,
    keep_image_login: Option<String>,
}

/// LoginSettings as the engine wants them; the three ways are exclusive.
fn login_request(l: Option<LoginSettings>) -> Result<LoginRequest, ApiError> {
    let Some(l) = l else {
        return Ok(LoginRequest::default());
    };
    let keys = l.key_ids.unwrap_or_default();
    validate::CODES.ids(&keys, 100, "LoginSettings.KeyIds", validate::key_id)?;
    let keep = match l.keep_image_login.as_deref() {
        None | Some("false") | Some("FALSE") => false,
        Some("true") | Some("TRUE") => true,
        Some(other) => {
            return Err(ApiError::new(
                "InvalidParameterValue",
                format!(
                    "`LoginSettings.KeepImageLogin` must be \"true\" or \"false\", not `{other}`."
                ),
            ))
        }
    };
    if keep && (l.password.is_some() || !keys.is_empty()) {
        return Err(ApiError::new(
            "InvalidParameter.ParameterConflict",
            "`KeepImageLogin` cannot be combined with `Password` or `KeyIds`.",
        ));
    }
    Ok(LoginRequest {
        password: l.password,
        key_ids: keys,
        keep_image_login: keep,
    })
}

/// The default VPC and subnet of a region and zone: stable ids per place.
fn default_network(region: &str, zone: &str) -> (String, String) {
    let short = |seed: &str| -> String {
        crate::signing::hex(Sha256::digest(seed.as_bytes()))
            .chars()
            .take(8)
            .collect()
    };
    (
        format!("vpc-{}", short(region)),
        format!("subnet-{}", short(zone)),
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Placement {
    zone: Option<String>,
    project_id: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SystemDisk {
    disk_type: Option<String>,
    disk_size: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DataDisk {
    disk_size: i64,
    disk_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Vpc {
    vpc_id: String,
    subnet_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Internet {
    internet_charge_type: Option<String>,
    internet_max_bandwidth_out: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RunRequest {
    instance_charge_type: Option<String>,
    instance_charge_prepaid: Option<ChargePrepaid>,
    placement: Option<Placement>,
    instance_type: Option<String>,
    image_id: Option<String>,
    system_disk: Option<SystemDisk>,
    data_disks: Option<Vec<DataDisk>>,
    virtual_private_cloud: Option<Vpc>,
    internet_accessible: Option<Internet>,
    instance_count: Option<i64>,
    instance_name: Option<String>,
    login_settings: Option<LoginSettings>,
    security_group_ids: Option<Vec<String>>,
    client_token: Option<String>,
    host_name: Option<String>,
    tag_specification: Option<Vec<TagSpec>>,
    user_data: Option<String>,
    dry_run: Option<bool>,
    disable_api_termination: Option<bool>,
}

const DISK_TYPES: [&str; 8] = [
    "LOCAL_BASIC",
    "LOCAL_SSD",
    "CLOUD_BASIC",
    "CLOUD_SSD",
    "CLOUD_PREMIUM",
    "CLOUD_BSSD",
    "CLOUD_HSSD",
    "CLOUD_TSSD",
];

fn disk_type(t: Option<String>) -> Result<String, ApiError> {
    let t = t.unwrap_or_else(|| "CLOUD_PREMIUM".to_string());
    if !DISK_TYPES.contains(&t.as_str()) {
        return Err(ApiError::new(
            "InvalidParameterValue",
            format!("The disk type `{t}` is not supported."),
        ));
    }
    Ok(t)
}

/// Longest instance name (spec §5.3, `InstanceName`).
const MAX_NAME_CHARS: usize = 128;

/// Instance names: `{R:x}` counts up from x (`{R:x,F:y}` pads to y digits);
/// without a pattern every instance gets the name as given.
fn instance_names(name: Option<&str>, count: usize) -> Result<Vec<String>, ApiError> {
    let name = name.unwrap_or("未命名");
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            "`InstanceName` is longer than 128 characters.",
        ));
    }
    let Some(start) = name.find("{R:") else {
        return Ok(vec![name.to_string(); count]);
    };
    let end = name[start..].find('}').map(|e| start + e).ok_or_else(|| {
        ApiError::new(
            "InvalidParameterValue",
            "`InstanceName` has an unterminated `{R:...}` pattern.",
        )
    })?;
    let inner = &name[start + 3..end];
    let (first, width) = match inner.split_once(",F:") {
        Some((n, w)) => (n, w.parse::<usize>().ok()),
        None => (inner, None),
    };
    let first: u64 = first
        .parse()
        .map_err(|_| ApiError::new("InvalidParameterValue", "`{R:x}` needs a number."))?;
    // Names stay within 128 characters, and the counter within u64 (a
    // hostile `{R:18446744073709551615}` or `F:999999999` once panicked).
    if width.is_some_and(|w| w > MAX_NAME_CHARS) || first.checked_add(count as u64).is_none() {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            "`{R:x,F:y}` would make names longer than 128 characters.",
        ));
    }
    Ok((0..count as u64)
        .map(|i| {
            let n = first + i;
            let n = match width {
                Some(w) => format!("{n:0w$}"),
                None => n.to_string(),
            };
            format!("{}{}{}", &name[..start], n, &name[end + 1..])
        })
        .collect())
}

/// RunInstances.
pub async fn run(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: RunRequest = parse(call)?;
    let product = call.product()?;
    let placement = r
        .placement
        .ok_or_else(|| ApiError::new("MissingParameter", "`Placement.Zone` is required."))?;
    let zone = placement
        .zone
        .ok_or_else(|| ApiError::new("MissingParameter", "`Placement.Zone` is required."))?;
    let image_id = r
        .image_id
        .ok_or_else(|| ApiError::new("MissingParameter", "`ImageId` is required."))?;
    validate::image_id(&image_id, "ImageId")?;
    let plan_id = r.instance_type.unwrap_or_else(|| "S5.SMALL1".to_string());
    if product.catalog.plan(&plan_id).is_none() {
        return Err(ApiError::new(
            "InvalidParameterValue.InstanceTypeNotFound",
            format!("The instance type `{plan_id}` does not exist."),
        ));
    }
    crate::tencent::validate::renew_flag(
        r.instance_charge_prepaid
            .as_ref()
            .and_then(|p| p.renew_flag.as_deref()),
    )?;
    let (charge_type, period) = match r
        .instance_charge_type
        .as_deref()
        .unwrap_or("POSTPAID_BY_HOUR")
    {
        "POSTPAID_BY_HOUR" => (ChargeType::Postpaid, None),
        "SPOTPAID" => (ChargeType::Spot, None),
        "PREPAID" => {
            let prepaid = r.instance_charge_prepaid.as_ref().ok_or_else(|| {
                ApiError::new(
                    "MissingParameter",
                    "`InstanceChargePrepaid` is required for PREPAID instances.",
                )
            })?;
            if !PERIODS.contains(&prepaid.period) {
                return Err(ApiError::new(
                    "InvalidParameterValue",
                    "`InstanceChargePrepaid.Period` must be 1-12, 24, 36, 48 or 60.",
                ));
            }
            (ChargeType::Prepaid, Some(prepaid.period as u32))
        }
        other => {
            return Err(ApiError::new(
                "InvalidParameterValue",
                format!("`InstanceChargeType` `{other}` is not supported."),
            ))
        }
    };
    let count = instance_count(r.instance_count, 100, "InvalidParameterValue.LimitExceeded")?;
    let names = instance_names(r.instance_name.as_deref(), count as usize)?;
    let image = product.catalog.image(&image_id, &call.caller.account);
    let windows = image.is_some_and(|i| i.os_family == OsFamily::Windows);
    if let Some(h) = &r.host_name {
        validate::host_name(h, windows)?;
    }
    if let Some(u) = &r.user_data {
        validate::user_data(u)?;
    }
    client_token(
        r.client_token.as_deref(),
        "InvalidParameterValue.LimitExceeded",
    )?;
    let system_disk = r.system_disk.unwrap_or(SystemDisk {
        disk_type: None,
        disk_size: None,
    });
    let system_type = disk_type(system_disk.disk_type)?;
    let system_size = system_disk.disk_size.unwrap_or(50);
    if !(20..=1024).contains(&system_size) {
        return Err(ApiError::new(
            "InvalidParameterValue.InvalidParameterValueLimit",
            "`SystemDisk.DiskSize` must be 20-1024 GB.",
        ));
    }
    let mut data_disks = Vec::new();
    for d in r.data_disks.unwrap_or_default() {
        if !(10..=32000).contains(&d.disk_size) {
            return Err(ApiError::new(
                "InvalidParameterValue.InvalidParameterValueLimit",
                "`DataDisks.DiskSize` must be 10-32000 GB.",
            ));
        }
        data_disks.push((disk_type(d.disk_type)?, d.disk_size as u32));
    }
    let (default_vpc, default_subnet) = default_network(&call.caller.region, &zone);
    let (vpc_id, subnet_id) = match r.virtual_private_cloud {
        None => (default_vpc, default_subnet),
        Some(v) => {
            if !v.vpc_id.starts_with("vpc-") {
                return Err(ApiError::new(
                    "InvalidParameterValue.VpcIdMalformed",
                    "`VpcId` is malformed.",
                ));
            }
            if !v.subnet_id.starts_with("subnet-") {
                return Err(ApiError::new(
                    "InvalidParameterValue.SubnetIdMalformed",
                    "`SubnetId` is malformed.",
                ));
            }
            if v.vpc_id != default_vpc || v.subnet_id != default_subnet {
                return Err(ApiError::new(
                    "InvalidParameterValue.InvalidVpcIdSubnetIdNotFound",
                    format!("The VPC {} / subnet {} does not exist in {zone}; the default ones are {default_vpc} / {default_subnet}.", v.vpc_id, v.subnet_id),
                ));
            }
            (v.vpc_id, v.subnet_id)
        }
    };
    let internet = r.internet_accessible;
    let bandwidth = internet
        .as_ref()
        .and_then(|i| i.internet_max_bandwidth_out)
        .unwrap_or(0);
    if !(0..=200).contains(&bandwidth) {
        return Err(ApiError::new(
            "InvalidParameterValue.InvalidParameterValueLimit",
            "`InternetMaxBandwidthOut` must be 0-200 Mbps.",
        ));
    }
    let mut tags = Vec::new();
    for spec in r.tag_specification.unwrap_or_default() {
        if spec.resource_type == "instance" {
            tags.extend(spec.tags.into_iter().map(Tag::from));
        }
    }
    let mut attributes = BTreeMap::new();
    attributes.insert(
        attr::PROJECT_ID.to_string(),
        placement.project_id.unwrap_or(0).to_string(),
    );
    if let Some(t) = internet.and_then(|i| i.internet_charge_type) {
        attributes.insert(attr::INTERNET_CHARGE_TYPE.to_string(), t);
    }
    let spec = CreateSpec {
        zones: vec![zone],
        names,
        bandwidth_mbps: Some(bandwidth as u32),
        login: login_request(r.login_settings)?,
        period_months: period,
        renew_flag: r.instance_charge_prepaid.and_then(|p| p.renew_flag),
        client_token: r.client_token,
        dry_run: r.dry_run.unwrap_or(false),
        tags,
        host_name: r.host_name,
        user_data: r.user_data,
        system_disk_gb: Some(system_size as u32),
        system_disk_type: Some(system_type),
        vpc_id: Some(vpc_id),
        subnet_id: Some(subnet_id),
        data_disks,
        termination_protected: r.disable_api_termination.unwrap_or(false),
        security_group_ids: r.security_group_ids.unwrap_or_default(),
        attributes,
        ..CreateSpec::new(plan_id, image_id, count, charge_type)
    };
    crate::tencent::instances::create(call, spec, super::errors::to_api).await
}

const INSTANCE_FILTERS: [&str; 20] = [
    "zone",
    "project-id",
    "host-id",
    "dedicated-cluster-id",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "uuid",
    "security-group-id",
    "instance-name",
    "instance-charge-type",
    "instance-state",
    "private-ip-address",
    "public-ip-address",
    "ipv6-address",
    "tag-key",
    "tag-value",
    "tag:",
    "creation-start-time",
    "creation-end-time",
];

/// How CVM lists instances.
const LISTING: ListingRules<Action> = ListingRules {
    codes: &validate::CODES,
    instance_id: validate::instance_id,
    filters: &INSTANCE_FILTERS,
    filter_values: 5,
    bad_ip: None,
    bad_zone: None,
    project_attribute: attr::PROJECT_ID,
    error: super::errors::to_api,
};

/// DescribeInstances.
pub async fn describe(call: &Call<'_>) -> Result<Fields, ApiError> {
    let listing: Listing = parse(call)?;
    let page = list(call, &LISTING, listing, InstanceOrder::CreatedDesc).await?;
    Ok(instance_page(&page, views::instance))
}

/// DescribeInstancesStatus.
pub async fn describe_status(call: &Call<'_>) -> Result<Fields, ApiError> {
    // The API model has no `Filters` here: a listing of ids and a page.
    let listing: Listing = parse(call)?;
    let Page { total, items } = list(call, &LISTING, listing, InstanceOrder::CreatedDesc).await?;
    let set: Vec<Value> = items
        .iter()
        .map(|i| json!({"InstanceId": i.id, "InstanceState": profile::state_name(i.state)}))
        .collect();
    Ok(fields([
        ("TotalCount", json!(total)),
        ("InstanceStatusSet", Value::Array(set)),
    ]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PowerRequest {
    instance_ids: Vec<String>,
    stop_type: Option<String>,
    force_stop: Option<bool>,
    force_reboot: Option<bool>,
    stopped_mode: Option<String>,
}

/// StartInstances, StopInstances and RebootInstances.
pub async fn power(call: &Call<'_>, power: Power) -> Result<Fields, ApiError> {
    let r: PowerRequest = parse(call)?;
    validate::CODES.ids(&r.instance_ids, 100, "InstanceIds", validate::instance_id)?;
    let hard_stop = stop_type(r.stop_type.as_deref())?;
    if r.stop_type.is_some() && (r.force_stop.is_some() || r.force_reboot.is_some()) {
        return Err(ApiError::new(
            "InvalidParameterCombination",
            "The deprecated `ForceStop`/`ForceReboot` cannot be combined with `StopType`.",
        ));
    }
    let hard = hard_stop || r.force_stop.unwrap_or(false) || r.force_reboot.unwrap_or(false);
    let action = match power {
        Power::Start => BatchAction::Start,
        Power::Stop => {
            let stop_charging = match r.stopped_mode.as_deref() {
                None | Some("KEEP_CHARGING") => false,
                // Pay-as-you-go only: the engine refuses the others.
                Some("STOP_CHARGING") => true,
                Some(other) => {
                    return Err(ApiError::new(
                        "InvalidParameterValue",
                        format!(
                            "`StoppedMode` must be KEEP_CHARGING or STOP_CHARGING, not `{other}`."
                        ),
                    ))
                }
            };
            BatchAction::Stop {
                hard,
                stop_charging,
            }
        }
        Power::Reboot => BatchAction::Reboot { hard },
    };
    batch(call, action, &r.instance_ids, super::errors::to_api).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResetRequest {
    instance_id: String,
    image_id: Option<String>,
    system_disk: Option<SystemDisk>,
    login_settings: Option<LoginSettings>,
    host_name: Option<String>,
    user_data: Option<String>,
}

/// ResetInstance.
pub async fn reset(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ResetRequest = parse(call)?;
    validate::instance_id(&r.instance_id, "InstanceId")?;
    if let Some(i) = &r.image_id {
        validate::image_id(i, "ImageId")?;
    }
    if let Some(u) = &r.user_data {
        validate::user_data(u)?;
    }
    let mut disk_gb = None;
    let mut disk_type = None;
    if let Some(d) = r.system_disk {
        disk_type = d.disk_type;
        if let Some(size) = d.disk_size {
            if !(20..=1024).contains(&size) {
                return Err(ApiError::new(
                    "InvalidParameterValue.InvalidParameterValueLimit",
                    "`SystemDisk.DiskSize` must be 20-1024 GB.",
                ));
            }
            disk_gb = Some(size as u32);
        }
    }
    // The host name follows the rules of the OS the image brings; the disk
    // keeps its type (as the engine reads the instance).
    let rules = ProductRules::new(move |instance, image, spec| {
        if let Some(h) = &spec.host_name {
            validate::host_name(h, image.os_family == OsFamily::Windows)
                .map_err(ProductRefusal::new)?;
        }
        if disk_type
            .as_ref()
            .is_some_and(|t| *t != instance.system_disk.disk_type)
        {
            return Err(refuse(
                "InvalidParameterValue",
                "The system disk type cannot be changed by a reinstall; only its size may grow.",
            ));
        }
        Ok(())
    });
    let spec = ReinstallSpec {
        image_id: r.image_id,
        login: login_request(r.login_settings)?,
        system_disk_gb: disk_gb,
        host_name: r.host_name,
        user_data: r.user_data,
        rules: Some(rules),
        ..Default::default()
    };
    reinstall(call, &r.instance_id, spec, super::errors::to_api).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResetPasswordRequest {
    #[serde(flatten)]
    common: PasswordReset,
    force_stop: Option<bool>,
}

impl From<ResetPasswordRequest> for PasswordReset {
    fn from(r: ResetPasswordRequest) -> Self {
        r.common
    }
}

/// ResetInstancesPassword: the engine applies the profile's reset rule
/// (stricter than creation) and refuses a Windows password containing the
/// user name; a running instance needs `ForceStop`.
pub async fn reset_password(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ResetPasswordRequest = parse(call)?;
    let allow_running = r.force_stop.unwrap_or(false);
    crate::tencent::instances::reset_password(call, &RESET_PASSWORD, r.into(), allow_running).await
}

/// How CVM checks ResetInstancesPassword.
const RESET_PASSWORD: ResetPasswordRules<Action> = ResetPasswordRules {
    codes: &validate::CODES,
    instance_id: validate::instance_id,
    user_name_too_long: "InvalidParameterValue.LimitExceeded",
    error: super::errors::to_api,
};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TerminateRequest {
    instance_ids: Vec<String>,
    release_address: Option<bool>,
    release_prepaid_data_disks: Option<bool>,
}

/// TerminateInstances: pay-as-you-go instances are destroyed; prepaid ones
/// go to the recycle bin (`SHUTDOWN`) and a second call destroys them.
pub async fn terminate(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: TerminateRequest = parse(call)?;
    // Addresses and data disks go with the instance here; nothing else holds them.
    let _ = (r.release_address, r.release_prepaid_data_disks);
    validate::CODES.ids(&r.instance_ids, 100, "InstanceIds", validate::instance_id)?;
    // One command: the engine sends prepaid instances to the recycle bin
    // and destroys the rest (the profile's rule), all or none.
    batch(
        call,
        BatchAction::Terminate,
        &r.instance_ids,
        super::errors::to_api,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_patterns_count_up_and_pad() {
        assert_eq!(
            instance_names(Some("web"), 2).expect("ok"),
            vec!["web", "web"]
        );
        assert_eq!(
            instance_names(Some("web{R:3}"), 2).expect("ok"),
            vec!["web3", "web4"]
        );
        assert_eq!(
            instance_names(Some("db-{R:1,F:3}-x"), 2).expect("ok"),
            vec!["db-001-x", "db-002-x"]
        );
        assert!(instance_names(Some("bad{R:x}"), 1).is_err());
        assert!(instance_names(Some(&"n".repeat(129)), 1).is_err());
        // Counters and padding at their edges are refused, not a panic.
        assert!(instance_names(Some("a{R:18446744073709551615}"), 2).is_err());
        assert!(instance_names(Some("a{R:1,F:999999999}"), 2).is_err());
        assert_eq!(
            instance_names(Some("a{R:18446744073709551614}"), 1).expect("ok"),
            vec!["a18446744073709551614"]
        );
    }
}
