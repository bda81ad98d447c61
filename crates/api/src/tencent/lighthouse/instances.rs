//! Lighthouse instance actions.

use super::validate::{self, Filter};
use super::{engine_error, fields, parse, views, Fields};
use crate::tencent::envelope::ApiError;
use crate::tencent::listing::{list, Listing, ListingRules};
use crate::tencent::validate::TagParam;
use crate::tencent::Call;
use serde::Deserialize;
use serde_json::{json, Value};
use stratus_engine::catalog::OsFamily;
use stratus_engine::engine::{BatchAction, CreateSpec, LoginRequest, ReinstallSpec};
use stratus_engine::lifecycle::OperationKind;
use stratus_engine::model::{ChargeType, Tag};
use stratus_engine::ports::InstanceOrder;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LoginConfiguration {
    auto_generate_password: Option<String>,
    password: Option<String>,
    key_ids: Option<Vec<String>>,
}

/// Request login settings as the engine wants them.
fn login_request(login: Option<LoginConfiguration>) -> Result<LoginRequest, ApiError> {
    let Some(l) = login else {
        return Ok(LoginRequest::default());
    };
    let keys = l.key_ids.unwrap_or_default();
    validate::ids(&keys, 5, "LoginConfiguration.KeyIds", validate::key_id)?;
    match l.auto_generate_password.as_deref() {
        None | Some("NO") => {}
        Some("YES") if l.password.is_some() => {
            return Err(ApiError::new(
                "InvalidParameterValue.InvalidParameterCombination",
                "`Password` cannot be given when `AutoGeneratePassword` is YES.",
            ))
        }
        Some("YES") => {}
        Some(other) => {
            return Err(ApiError::new(
                "InvalidParameterValue",
                format!("`AutoGeneratePassword` must be YES or NO, not `{other}`."),
            ))
        }
    }
    if l.auto_generate_password.as_deref() == Some("NO") && l.password.is_none() && keys.is_empty()
    {
        return Err(ApiError::new(
            "MissingParameter",
            "`Password` is required when `AutoGeneratePassword` is NO.",
        ));
    }
    Ok(LoginRequest {
        password: l.password,
        key_ids: keys,
        keep_image_login: false,
    })
}

fn tags(params: Option<Vec<TagParam>>) -> Result<Vec<Tag>, ApiError> {
    let params = params.unwrap_or_default();
    if params.len() > 10 {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            "At most 10 tags are accepted.",
        ));
    }
    Ok(params.into_iter().map(Tag::from).collect())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ChargePrepaid {
    period: i64,
    renew_flag: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateRequest {
    bundle_id: String,
    blueprint_id: String,
    instance_charge_prepaid: ChargePrepaid,
    instance_name: Option<String>,
    instance_count: Option<i64>,
    zones: Option<Vec<String>>,
    dry_run: Option<bool>,
    client_token: Option<String>,
    login_configuration: Option<LoginConfiguration>,
    containers: Option<Vec<Value>>,
    firewall_template_id: Option<String>,
    tags: Option<Vec<TagParam>>,
    domain_name: Option<String>,
}

const PERIODS: [i64; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 24, 36, 48, 60];

/// CreateInstances.
pub async fn create(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: CreateRequest = parse(call)?;
    validate::blueprint_id(&r.blueprint_id, "BlueprintId")?;
    if !PERIODS.contains(&r.instance_charge_prepaid.period) {
        return Err(ApiError::new(
            "InvalidParameterValue.OutOfRange",
            "`InstanceChargePrepaid.Period` must be 1-12, 24, 36, 48 or 60 (months).",
        ));
    }
    crate::tencent::validate::renew_flag(r.instance_charge_prepaid.renew_flag.as_deref())?;
    let count = r.instance_count.unwrap_or(1);
    if !(1..=30).contains(&count) {
        return Err(ApiError::new(
            "InvalidParameterValue.OutOfRange",
            "`InstanceCount` must be between 1 and 30.",
        ));
    }
    if let Some(name) = &r.instance_name {
        if name.chars().count() > 60 {
            return Err(ApiError::new(
                "InvalidParameterValue.InstanceNameTooLong",
                "`InstanceName` is longer than 60 characters.",
            ));
        }
    }
    if let Some(token) = &r.client_token {
        if token.len() > 64 || !token.is_ascii() {
            return Err(ApiError::new(
                "InvalidParameterValue.ClientTokenTooLong",
                "`ClientToken` must be at most 64 ASCII characters.",
            ));
        }
    }
    if r.domain_name.is_some() && count != 1 {
        return Err(ApiError::new(
            "InvalidParameterValue.InvalidParameterCombination",
            "`InstanceCount` must be 1 when `DomainName` is given.",
        ));
    }
    if let Some(id) = &r.firewall_template_id {
        return Err(ApiError::new(
            "ResourceNotFound.FirewallTemplateNotFound",
            format!("The firewall template {id} does not exist."),
        ));
    }
    let engine = call.engine;
    let product = engine
        .product(&call.caller.product)
        .map_err(engine_error(call))?;
    if r.containers.as_ref().is_some_and(|c| !c.is_empty()) {
        let docker = product
            .catalog
            .image(&r.blueprint_id, &call.caller.account)
            .is_some_and(|b| b.kind == stratus_engine::catalog::ImageKind::Docker);
        if !docker {
            return Err(ApiError::new(
                "UnsupportedOperation.BlueprintTypeNotSupportOperation",
                "`Containers` can only be given with a DOCKER blueprint.",
            ));
        }
    }
    let spec = CreateSpec {
        zones: r.zones.unwrap_or_default(),
        plan_id: r.bundle_id,
        image_id: r.blueprint_id,
        count: count as u32,
        name: r.instance_name,
        names: Vec::new(),
        bandwidth_mbps: None,
        login: login_request(r.login_configuration)?,
        charge_type: ChargeType::Prepaid,
        period_months: Some(r.instance_charge_prepaid.period as u32),
        renew_flag: Some(
            r.instance_charge_prepaid
                .renew_flag
                .unwrap_or_else(|| "NOTIFY_AND_MANUAL_RENEW".to_string()),
        ),
        client_token: r.client_token,
        dry_run: r.dry_run.unwrap_or(false),
        tags: tags(r.tags)?,
        host_name: None,
        user_data: None,
        system_disk_gb: None,
        system_disk_type: None,
        vpc_id: None,
        subnet_id: None,
        private_block: None,
        data_disks: Vec::new(),
        termination_protected: false,
        attributes: Default::default(),
    };
    let ids = engine
        .create_instances(&call.caller, spec)
        .await
        .map_err(engine_error(call))?;
    Ok(fields([("InstanceIdSet", json!(ids))]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeRequest {
    instance_ids: Option<Vec<String>>,
    filters: Option<Vec<Filter>>,
    offset: Option<i64>,
    limit: Option<i64>,
    order_field: Option<String>,
    order: Option<String>,
}

const INSTANCE_FILTERS: [&str; 9] = [
    "instance-name",
    "private-ip-address",
    "public-ip-address",
    "zone",
    "instance-state",
    "tag-key",
    "tag-value",
    "tag:",
    "bundle-id",
];

/// How Lighthouse lists instances.
const LISTING: ListingRules = ListingRules {
    codes: &validate::CODES,
    instance_id: validate::instance_id,
    filters: &INSTANCE_FILTERS,
    filter_values: 100,
    bad_ip: Some("InvalidParameterValue.InvalidIpFormat"),
    bad_zone: Some("InvalidParameterValue.InvalidZone"),
    // Lighthouse has neither projects nor security groups to filter by.
    project_attribute: "",
    security_group_attribute: "",
    error: super::errors::to_api,
};

/// DescribeInstances.
pub async fn describe(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: DescribeRequest = parse(call)?;
    let order = match (r.order_field.as_deref(), r.order.as_deref()) {
        (None, None) => InstanceOrder::IsolatedFirstThenCreatedDesc,
        (None, Some(_)) => {
            return Err(ApiError::new(
                "MissingParameter.OrderFieldRequired",
                "`Order` requires `OrderField`.",
            ))
        }
        (Some("EXPIRED_TIME"), None | Some("ASC")) => InstanceOrder::ExpiresAsc,
        (Some("EXPIRED_TIME"), Some("DESC")) => InstanceOrder::ExpiresDesc,
        (Some("EXPIRED_TIME"), Some(o)) => {
            return Err(ApiError::new(
                "InvalidParameterValue",
                format!("`Order` must be ASC or DESC, not `{o}`."),
            ))
        }
        (Some(f), _) => {
            return Err(ApiError::new(
                "InvalidParameterValue",
                format!("`OrderField` `{f}` is not supported."),
            ))
        }
    };
    let listing = Listing {
        ids: r.instance_ids.unwrap_or_default(),
        filters: r.filters.unwrap_or_default(),
        offset: r.offset,
        limit: r.limit,
    };
    let page = list(call, &LISTING, listing, order).await?;
    Ok(fields([
        ("TotalCount", json!(page.total)),
        (
            "InstanceSet",
            Value::Array(page.items.iter().map(views::instance).collect()),
        ),
    ]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchRequest {
    instance_ids: Vec<String>,
    stop_type: Option<String>,
    isolate_data_disk: Option<bool>,
}

const STOP_TYPES: [&str; 3] = ["SOFT", "HARD", "SOFT_FIRST"];

/// StartInstances, StopInstances, RebootInstances, IsolateInstances, TerminateInstances.
pub async fn batch(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: BatchRequest = parse(call)?;
    // Lighthouse instances here have no separate data disks to keep or isolate.
    let _ = r.isolate_data_disk;
    let hard = r.stop_type.as_deref() == Some("HARD");
    let (action, max) = match call.caller.action.as_str() {
        "StartInstances" => (BatchAction::Start, 100),
        "StopInstances" => (
            BatchAction::Stop {
                hard,
                stop_charging: false,
            },
            100,
        ),
        "RebootInstances" => (BatchAction::Reboot { hard }, 100),
        "IsolateInstances" => (BatchAction::Isolate, 20),
        _ => (BatchAction::Terminate, 100),
    };
    if let Some(t) = &r.stop_type {
        if !STOP_TYPES.contains(&t.as_str()) {
            return Err(ApiError::new(
                "InvalidParameterValue",
                format!("`StopType` must be SOFT, HARD or SOFT_FIRST, not `{t}`."),
            ));
        }
    }
    if r.instance_ids.is_empty() {
        return Err(ApiError::new(
            "MissingParameter",
            "`InstanceIds` must not be empty.",
        ));
    }
    if r.instance_ids.len() > max && call.caller.action == "IsolateInstances" {
        return Err(ApiError::new(
            "LimitExceeded.IsolateResourcesLimitExceeded",
            format!("At most {max} instances can be isolated at once."),
        ));
    }
    validate::ids(&r.instance_ids, max, "InstanceIds", validate::instance_id)?;
    call.engine
        .batch(&call.caller, action, &r.instance_ids)
        .await
        .map_err(engine_error(call))?;
    Ok(Fields::new())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResetRequest {
    instance_id: String,
    blueprint_id: Option<String>,
    containers: Option<Vec<Value>>,
    login_configuration: Option<LoginConfiguration>,
}

/// ResetInstance (seed 001).
pub async fn reset(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ResetRequest = parse(call)?;
    validate::instance_id(&r.instance_id, "InstanceId")?;
    if let Some(b) = &r.blueprint_id {
        validate::blueprint_id(b, "BlueprintId")?;
    }
    let login = login_request(r.login_configuration)?;
    let engine = call.engine;
    if r.containers.as_ref().is_some_and(|c| !c.is_empty()) {
        let instance = engine
            .instance(&call.caller, &r.instance_id)
            .await
            .map_err(engine_error(call))?;
        let product = engine
            .product(&call.caller.product)
            .map_err(engine_error(call))?;
        let blueprint = r
            .blueprint_id
            .clone()
            .unwrap_or_else(|| instance.image_id.to_string());
        let docker = product
            .catalog
            .image(&blueprint, &call.caller.account)
            .is_some_and(|b| b.kind == stratus_engine::catalog::ImageKind::Docker);
        if !docker {
            return Err(ApiError::new(
                "UnsupportedOperation.BlueprintTypeNotSupportOperation",
                "`Containers` can only be given with a DOCKER blueprint.",
            ));
        }
    }
    let spec = ReinstallSpec {
        image_id: r.blueprint_id,
        login,
        ..Default::default()
    };
    engine
        .reinstall(&call.caller, &r.instance_id, spec)
        .await
        .map_err(engine_error(call))?;
    Ok(Fields::new())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResetPasswordRequest {
    instance_ids: Vec<String>,
    password: String,
    user_name: Option<String>,
}

/// ResetInstancesPassword.
pub async fn reset_password(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ResetPasswordRequest = parse(call)?;
    validate::ids(&r.instance_ids, 100, "InstanceIds", validate::instance_id)?;
    if let Some(user) = &r.user_name {
        if user.chars().count() > 64 {
            return Err(ApiError::new(
                "InvalidParameterValue.TooLong",
                "`UserName` is longer than 64 characters.",
            ));
        }
    }
    // Windows passwords must not contain the user name.
    let mut any_windows = false;
    for id in &r.instance_ids {
        if let Ok(i) = call.engine.instance(&call.caller, id).await {
            any_windows |= i.os_family == OsFamily::Windows;
        }
    }
    let user = r
        .user_name
        .clone()
        .unwrap_or_else(|| "Administrator".to_string());
    if any_windows && r.password.to_lowercase().contains(&user.to_lowercase()) {
        return Err(ApiError::new(
            "InvalidParameterValue.InvalidPassword",
            "A Windows password must not contain the user name.",
        ));
    }
    call.engine
        .batch(
            &call.caller,
            BatchAction::ResetPassword {
                password: r.password,
                allow_running: true,
            },
            &r.instance_ids,
        )
        .await
        .map_err(engine_error(call))?;
    Ok(Fields::new())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeniedRequest {
    instance_ids: Vec<String>,
}

/// The actions DescribeInstancesDeniedActions reports on.
const REPORTED: [(&str, OperationKind); 8] = [
    ("StartInstances", OperationKind::Start),
    ("StopInstances", OperationKind::Stop),
    ("RebootInstances", OperationKind::Reboot),
    ("ResetInstance", OperationKind::Reinstall),
    ("ResetInstancesPassword", OperationKind::ResetPassword),
    ("IsolateInstances", OperationKind::Isolate),
    ("TerminateInstances", OperationKind::Terminate),
    ("AssociateInstancesKeyPairs", OperationKind::AssociateKeys),
];

/// DescribeInstancesDeniedActions.
pub async fn denied_actions(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: DeniedRequest = parse(call)?;
    validate::ids(&r.instance_ids, 100, "InstanceIds", validate::instance_id)?;
    let engine = call.engine;
    let product = engine
        .product(&call.caller.product)
        .map_err(engine_error(call))?;
    let mut set = Vec::new();
    for id in &r.instance_ids {
        let instance = engine
            .instance(&call.caller, id)
            .await
            .map_err(engine_error(call))?;
        let denied: Vec<Value> = REPORTED
            .iter()
            .filter_map(|(action, kind)| {
                let refusal = engine
                    .check_can_start(&product.profile, &instance, *kind)
                    .err()
                    .or_else(|| {
                        (*kind == OperationKind::AssociateKeys
                            && instance.os_family == OsFamily::Windows)
                            .then_some(stratus_engine::EngineError::KeysOnWindows)
                    })?;
                let e = super::errors::to_api(&refusal, action);
                Some(json!({"Action": action, "Code": e.code, "Message": e.message}))
            })
            .collect();
        set.push(json!({"InstanceId": id, "DeniedActions": denied}));
    }
    Ok(fields([("InstanceDeniedActionSet", Value::Array(set))]))
}
