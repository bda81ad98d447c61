//! Lighthouse instance actions.

use super::validate;
use super::Call;
use super::{engine_error, fields, parse, views, Action, Fields};
use crate::tencent::envelope::ApiError;
use crate::tencent::instances::{
    batch as batch_of, client_token, instance_count, instance_page, refuse, reinstall, stop_type,
    ChargePrepaid, PasswordReset, ResetPasswordRules, PERIODS,
};
use crate::tencent::keypairs::KeyPairAction;
use crate::tencent::listing::{list, Listing, ListingRules};
use crate::tencent::validate::TagParam;
use serde::Deserialize;
use serde_json::{json, Value};
use stratus_engine::catalog::ImageKind;
use stratus_engine::catalog::OsFamily;
use stratus_engine::engine::{BatchAction, CreateSpec, LoginRequest, ProductRules, ReinstallSpec};
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
    validate::CODES.ids(&keys, 5, "LoginConfiguration.KeyIds", validate::key_id)?;
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
    let count = instance_count(r.instance_count, 30, "InvalidParameterValue.OutOfRange")?;
    if let Some(name) = &r.instance_name {
        if name.chars().count() > 60 {
            return Err(ApiError::new(
                "InvalidParameterValue.InstanceNameTooLong",
                "`InstanceName` is longer than 60 characters.",
            ));
        }
    }
    client_token(
        r.client_token.as_deref(),
        "InvalidParameterValue.ClientTokenTooLong",
    )?;
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
    let product = call.product()?;
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
        name: r.instance_name,
        login: login_request(r.login_configuration)?,
        period_months: Some(r.instance_charge_prepaid.period as u32),
        renew_flag: Some(
            r.instance_charge_prepaid
                .renew_flag
                .unwrap_or_else(|| "NOTIFY_AND_MANUAL_RENEW".to_string()),
        ),
        client_token: r.client_token,
        dry_run: r.dry_run.unwrap_or(false),
        tags: tags(r.tags)?,
        ..CreateSpec::new(r.bundle_id, r.blueprint_id, count, ChargeType::Prepaid)
    };
    crate::tencent::instances::create(call, spec, super::errors::to_api).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeRequest {
    #[serde(flatten)]
    listing: Listing,
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
const LISTING: ListingRules<Action> = ListingRules {
    codes: &validate::CODES,
    instance_id: validate::instance_id,
    filters: &INSTANCE_FILTERS,
    filter_values: 100,
    bad_ip: Some("InvalidParameterValue.InvalidIpFormat"),
    bad_zone: Some("InvalidParameterValue.InvalidZone"),
    // Lighthouse has no projects to filter by.
    project_attribute: "",
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
    let page = list(call, &LISTING, r.listing, order).await?;
    Ok(instance_page(&page, views::instance))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchRequest {
    instance_ids: Vec<String>,
    stop_type: Option<String>,
    isolate_data_disk: Option<bool>,
}

/// The batch actions of Lighthouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    Start,
    Stop,
    Reboot,
    Isolate,
    Terminate,
}

/// StartInstances, StopInstances, RebootInstances, IsolateInstances, TerminateInstances.
pub async fn batch(call: &Call<'_>, batch: Batch) -> Result<Fields, ApiError> {
    let r: BatchRequest = parse(call)?;
    // Lighthouse instances here have no separate data disks to keep or isolate.
    let _ = r.isolate_data_disk;
    let hard = stop_type(r.stop_type.as_deref())?;
    let (action, max) = match batch {
        Batch::Start => (BatchAction::Start, 100),
        Batch::Stop => (
            BatchAction::Stop {
                hard,
                stop_charging: false,
            },
            100,
        ),
        Batch::Reboot => (BatchAction::Reboot { hard }, 100),
        Batch::Isolate => (BatchAction::Isolate, 20),
        Batch::Terminate => (BatchAction::Terminate, 100),
    };
    if r.instance_ids.is_empty() {
        return Err(ApiError::new(
            "MissingParameter",
            "`InstanceIds` must not be empty.",
        ));
    }
    if r.instance_ids.len() > max && batch == Batch::Isolate {
        return Err(ApiError::new(
            "LimitExceeded.IsolateResourcesLimitExceeded",
            format!("At most {max} instances can be isolated at once."),
        ));
    }
    validate::CODES.ids(&r.instance_ids, max, "InstanceIds", validate::instance_id)?;
    batch_of(call, action, &r.instance_ids, super::errors::to_api).await
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
    // Containers need a DOCKER blueprint: the new one, or the one the
    // instance runs as the engine reads it.
    let containers = r.containers.as_ref().is_some_and(|c| !c.is_empty());
    let rules = ProductRules::new(move |_, blueprint, _| {
        if containers && blueprint.kind != ImageKind::Docker {
            return Err(refuse(
                "UnsupportedOperation.BlueprintTypeNotSupportOperation",
                "`Containers` can only be given with a DOCKER blueprint.",
            ));
        }
        Ok(())
    });
    let spec = ReinstallSpec {
        image_id: r.blueprint_id,
        login,
        rules: Some(rules),
        ..Default::default()
    };
    reinstall(call, &r.instance_id, spec, super::errors::to_api).await
}

/// ResetInstancesPassword: a running instance is stopped for it.
pub async fn reset_password(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: PasswordReset = parse(call)?;
    crate::tencent::instances::reset_password(call, &RESET_PASSWORD, r, true).await
}

/// How Lighthouse checks ResetInstancesPassword.
const RESET_PASSWORD: ResetPasswordRules<Action> = ResetPasswordRules {
    codes: &validate::CODES,
    instance_id: validate::instance_id,
    user_name_too_long: "InvalidParameterValue.TooLong",
    error: super::errors::to_api,
};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeniedRequest {
    instance_ids: Vec<String>,
}

/// The actions DescribeInstancesDeniedActions reports on.
const REPORTED: [(Action, OperationKind); 8] = [
    (Action::StartInstances, OperationKind::Start),
    (Action::StopInstances, OperationKind::Stop),
    (Action::RebootInstances, OperationKind::Reboot),
    (Action::ResetInstance, OperationKind::Reinstall),
    (Action::ResetInstancesPassword, OperationKind::ResetPassword),
    (Action::IsolateInstances, OperationKind::Isolate),
    (Action::TerminateInstances, OperationKind::Terminate),
    (
        Action::KeyPair(KeyPairAction::AssociateInstancesKeyPairs),
        OperationKind::AssociateKeys,
    ),
];

/// DescribeInstancesDeniedActions.
pub async fn denied_actions(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: DeniedRequest = parse(call)?;
    validate::CODES.ids(&r.instance_ids, 100, "InstanceIds", validate::instance_id)?;
    let product = call.product()?;
    let mut set = Vec::new();
    for id in &r.instance_ids {
        let instance = call
            .engine
            .instance(&call.caller, id)
            .await
            .map_err(engine_error(call))?;
        let denied: Vec<Value> = REPORTED
            .iter()
            .filter_map(|(action, kind)| {
                let refusal = call
                    .engine
                    .check_can_start(&product.profile, &instance, *kind)
                    .err()
                    .or_else(|| {
                        (*kind == OperationKind::AssociateKeys
                            && instance.os_family == OsFamily::Windows)
                            .then_some(stratus_engine::EngineError::KeysOnWindows)
                    })?;
                let e = super::errors::to_api(&refusal, *action);
                Some(json!({"Action": action.name(), "Code": e.code, "Message": e.message}))
            })
            .collect();
        set.push(json!({"InstanceId": id, "DeniedActions": denied}));
    }
    Ok(fields([("InstanceDeniedActionSet", Value::Array(set))]))
}
