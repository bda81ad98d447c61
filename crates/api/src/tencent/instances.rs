//! Instance handling the Tencent API 3.0 products share: the request parts
//! both take, and the handlers that differ only by a product's table.

use super::envelope::ApiError;
use super::validate::Codes;
use super::{fields, Call, Fields};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use stratus_engine::engine::{BatchAction, CreateSpec, ReinstallSpec};
use stratus_engine::error::ProductRefusal;
use stratus_engine::model::Instance;
use stratus_engine::ports::Page;
use stratus_engine::EngineError;

/// `InstanceChargePrepaid`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChargePrepaid {
    pub period: i64,
    pub renew_flag: Option<String>,
}

/// The prepaid periods (months) both products sell.
pub const PERIODS: [i64; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 24, 36, 48, 60];

/// Creates instances from `spec` and answers their ids.
pub async fn create<A: Copy>(
    call: &Call<'_, A>,
    spec: CreateSpec,
    error: fn(&EngineError, A) -> ApiError,
) -> Result<Fields, ApiError> {
    let ids = call
        .engine
        .create_instances(&call.caller, spec)
        .await
        .map_err(|e| error(&e, call.action))?;
    Ok(fields([("InstanceIdSet", json!(ids))]))
}

/// Accepts a reinstall of one instance.
pub async fn reinstall<A: Copy>(
    call: &Call<'_, A>,
    instance_id: &str,
    spec: ReinstallSpec,
    error: fn(&EngineError, A) -> ApiError,
) -> Result<Fields, ApiError> {
    call.engine
        .reinstall(&call.caller, instance_id, spec)
        .await
        .map_err(|e| error(&e, call.action))?;
    Ok(Fields::new())
}

/// Accepts one batch action on `ids` (one engine command, one commit).
pub async fn batch<A: Copy>(
    call: &Call<'_, A>,
    action: BatchAction,
    ids: &[String],
    error: fn(&EngineError, A) -> ApiError,
) -> Result<Fields, ApiError> {
    call.engine
        .batch(&call.caller, action, ids)
        .await
        .map_err(|e| error(&e, call.action))?;
    Ok(Fields::new())
}

/// `InstanceCount`: 1 when absent, else within `1..=max` (the code is the
/// product's).
pub fn instance_count(count: Option<i64>, max: i64, code: &'static str) -> Result<u32, ApiError> {
    let count = count.unwrap_or(1);
    if !(1..=max).contains(&count) {
        return Err(ApiError::new(
            code,
            format!("`InstanceCount` must be between 1 and {max}."),
        ));
    }
    Ok(count as u32)
}

/// A refusal by a product rule run inside the engine (see
/// [`stratus_engine::engine::ProductRules`]).
pub fn refuse(code: &'static str, message: impl Into<String>) -> ProductRefusal {
    ProductRefusal::new(ApiError::new(code, message))
}

/// `ClientToken`: at most 64 ASCII characters (the code is the product's).
pub fn client_token(token: Option<&str>, code: &'static str) -> Result<(), ApiError> {
    match token {
        Some(t) if t.len() > 64 || !t.is_ascii() => Err(ApiError::new(
            code,
            "`ClientToken` must be at most 64 ASCII characters.",
        )),
        _ => Ok(()),
    }
}

/// `StopType`: whether it asks for a hard stop (SOFT_FIRST falls back to a
/// hard stop only when the guest does not answer, which every driver does
/// after its power-down timeout).
pub fn stop_type(t: Option<&str>) -> Result<bool, ApiError> {
    match t {
        None | Some("SOFT" | "SOFT_FIRST") => Ok(false),
        Some("HARD") => Ok(true),
        Some(other) => Err(ApiError::new(
            "InvalidParameterValue",
            format!("`StopType` must be SOFT, HARD or SOFT_FIRST, not `{other}`."),
        )),
    }
}

/// A DescribeInstances answer: the total and the page in the product's
/// view, rendered straight from the records.
pub fn instance_page<'a, V: Serialize>(
    page: &'a Page<Arc<Instance>>,
    view: fn(&'a Instance) -> V,
) -> Fields {
    let mut answer = fields([("TotalCount", json!(page.total))]);
    let views: Vec<V> = page.items.iter().map(|i| view(i)).collect();
    answer.insert_views("InstanceSet", &views);
    answer
}

/// The parameters of ResetInstancesPassword both products take.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PasswordReset {
    pub instance_ids: Vec<String>,
    pub password: String,
    pub user_name: Option<String>,
}

/// How one product checks ResetInstancesPassword; the password rules
/// (the profile's, and no user name inside a Windows password) are the
/// engine's.
#[derive(Debug, Clone, Copy)]
pub struct ResetPasswordRules<A> {
    pub codes: &'static Codes,
    pub instance_id: fn(&str, &str) -> Result<(), ApiError>,
    /// The code for a `UserName` longer than 64 characters.
    pub user_name_too_long: &'static str,
    pub error: fn(&EngineError, A) -> ApiError,
}

/// ResetInstancesPassword: one batch; `allow_running` lets the engine stop
/// a running instance for it.
pub async fn reset_password<A: Copy>(
    call: &Call<'_, A>,
    rules: &ResetPasswordRules<A>,
    r: PasswordReset,
    allow_running: bool,
) -> Result<Fields, ApiError> {
    rules
        .codes
        .ids(&r.instance_ids, 100, "InstanceIds", rules.instance_id)?;
    if r.user_name.as_ref().is_some_and(|u| u.chars().count() > 64) {
        return Err(ApiError::new(
            rules.user_name_too_long,
            "`UserName` is longer than 64 characters.",
        ));
    }
    call.engine
        .batch(
            &call.caller,
            BatchAction::ResetPassword {
                password: r.password,
                user_name: r.user_name,
                allow_running,
            },
            &r.instance_ids,
        )
        .await
        .map_err(|e| (rules.error)(&e, call.action))?;
    Ok(Fields::new())
}
