//! The legacy API 2.0 envelope (spec §3): always HTTP 200 with
//! `Content-Type: application/json; charset=utf-8`; success
//! `{"code":0,"message":"","codeDesc":"Success", …payload at the top level}`;
//! errors `{"code":<int>,"message":…,"codeDesc":…}`; and the two
//! asynchronous reply shapes of §3.4.
//!
//! **Module error codes.** CVM pages name module errors such as
//! `OperationConstraints.InvaildInstanceStatus` (sic) without saying how
//! they appear in a reply (§3.3, [not found]). The choice here: `code` is
//! the common numeric code that describes the failure class (5100 resource
//! operation failed, 5200 purchase failed, 5300 insufficient balance),
//! because clients only test `code` for truthiness and numbers; `codeDesc`
//! carries the module identifier, since `codeDesc` is documented as the
//! "business-side error code"; and `message` starts with the identifier in
//! parentheses, mirroring the documented `"(100004)projectId不正确"` form,
//! so clients that surface only `code` and `message` (the PHP SDK) still
//! show it.
//!
//! `codeDesc` for the common codes: `Success`, `InvalidParameter` (4000)
//! and `AuthFailure` (4100) are documented; the others are [not found] and
//! use API 3.0-style names.

use super::params::ParamError;
use super::signature::SignatureError;
use super::DecodeError;
use crate::request::Response;
use serde_json::{json, Map, Value};
use std::borrow::Cow;

/// The response content type (§3.1).
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The common numeric error codes (§3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// 4000: missing or malformed parameter.
    InvalidParameter,
    /// 4100: authentication failed (bad signature).
    AuthFailure,
    /// 4101: sub-account not authorised for this API.
    UnauthorizedApi,
    /// 4102: sub-account not authorised for this resource.
    UnauthorizedResource,
    /// 4103: sub-account not authorised for the resources this API touches.
    UnauthorizedResources,
    /// 4104: the SecretId does not exist or the key is disabled.
    SecretIdNotFound,
    /// 4105: token error.
    TokenFailure,
    /// 4106: MFA check failed.
    MfaFailure,
    /// 4110: other CAM authorisation failure.
    CamFailure,
    /// 4200: request expired (older international lists).
    RequestExpired,
    /// 4300: access denied (account blocked or outside the API's scope).
    AccessDenied,
    /// 4400: quota or rate exceeded.
    QuotaExceeded,
    /// 4500: replay: nonce reused or timestamp too far from server time.
    ReplayAttack,
    /// 4600: protocol not supported.
    UnsupportedProtocol,
    /// 5000: resource not found (or returned, or another user's).
    ResourceNotFound,
    /// 5100: resource operation failed (batch: failed for every resource).
    OperationFailed,
    /// 5200: resource purchase failed.
    PurchaseFailed,
    /// 5300: insufficient balance.
    InsufficientBalance,
    /// 5400: partial success of a batch operation.
    PartialSuccess,
    /// 5500: user qualification check failed.
    QualificationFailed,
    /// 6000: internal server error.
    InternalError,
    /// 6100: not supported in this version (unknown or retired action).
    UnsupportedAction,
    /// 6200: API temporarily unavailable.
    Unavailable,
}

impl Code {
    /// Every code.
    pub const ALL: [Code; 22] = [
        Code::InvalidParameter,
        Code::AuthFailure,
        Code::UnauthorizedApi,
        Code::UnauthorizedResource,
        Code::UnauthorizedResources,
        Code::SecretIdNotFound,
        Code::TokenFailure,
        Code::MfaFailure,
        Code::CamFailure,
        Code::RequestExpired,
        Code::AccessDenied,
        Code::QuotaExceeded,
        Code::ReplayAttack,
        Code::UnsupportedProtocol,
        Code::ResourceNotFound,
        Code::OperationFailed,
        Code::PurchaseFailed,
        Code::InsufficientBalance,
        Code::PartialSuccess,
        Code::QualificationFailed,
        Code::InternalError,
        Code::UnsupportedAction,
    ];

    /// The code numbered `n`, if there is one.
    pub fn from_number(n: i64) -> Option<Code> {
        Self::ALL
            .into_iter()
            .chain([Code::Unavailable])
            .find(|c| c.number() == n)
    }

    /// The numeric `code`.
    pub fn number(self) -> i64 {
        match self {
            Code::InvalidParameter => 4000,
            Code::AuthFailure => 4100,
            Code::UnauthorizedApi => 4101,
            Code::UnauthorizedResource => 4102,
            Code::UnauthorizedResources => 4103,
            Code::SecretIdNotFound => 4104,
            Code::TokenFailure => 4105,
            Code::MfaFailure => 4106,
            Code::CamFailure => 4110,
            Code::RequestExpired => 4200,
            Code::AccessDenied => 4300,
            Code::QuotaExceeded => 4400,
            Code::ReplayAttack => 4500,
            Code::UnsupportedProtocol => 4600,
            Code::ResourceNotFound => 5000,
            Code::OperationFailed => 5100,
            Code::PurchaseFailed => 5200,
            Code::InsufficientBalance => 5300,
            Code::PartialSuccess => 5400,
            Code::QualificationFailed => 5500,
            Code::InternalError => 6000,
            Code::UnsupportedAction => 6100,
            Code::Unavailable => 6200,
        }
    }

    /// The default `codeDesc` (see the module documentation).
    pub fn code_desc(self) -> &'static str {
        match self {
            Code::InvalidParameter => "InvalidParameter",
            Code::AuthFailure => "AuthFailure",
            Code::UnauthorizedApi | Code::UnauthorizedResource | Code::UnauthorizedResources => {
                "UnauthorizedOperation"
            }
            Code::SecretIdNotFound => "AuthFailure.SecretIdNotFound",
            Code::TokenFailure => "AuthFailure.TokenFailure",
            Code::MfaFailure => "AuthFailure.MFAFailure",
            Code::CamFailure => "AuthFailure.UnauthorizedOperation",
            Code::RequestExpired => "AuthFailure.SignatureExpire",
            Code::AccessDenied => "OperationDenied",
            Code::QuotaExceeded => "RequestLimitExceeded",
            Code::ReplayAttack => "AuthFailure.SignatureExpire",
            Code::UnsupportedProtocol => "UnsupportedProtocol",
            Code::ResourceNotFound => "ResourceNotFound",
            Code::OperationFailed => "FailedOperation",
            Code::PurchaseFailed => "FailedOperation.PurchaseFailed",
            Code::InsufficientBalance => "FailedOperation.InsufficientBalance",
            Code::PartialSuccess => "PartialSuccess",
            Code::QualificationFailed => "PermissionDenied",
            Code::InternalError => "InternalError",
            Code::UnsupportedAction => "InvalidAction",
            Code::Unavailable => "ServiceUnavailable",
        }
    }
}

/// Module error identifiers of the CVM pages (seed 003 for ResetInstances).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModuleCode {
    /// `OperationConstraints.InvaildInstanceStatus` (spelled as Tencent does):
    /// the instance state does not allow the operation.
    InvalidInstanceStatus,
    /// `OperationFail.AllResourceOpFailed`: the operation failed on the resource(s).
    AllResourceOpFailed,
    /// `OperationConstraints.AccountBalanceNotEnough`: top up first.
    AccountBalanceNotEnough,
    /// `OperationFail.SystemBusy`: the system is busy with resource purchase.
    SystemBusy,
}

impl ModuleCode {
    /// The identifier, exactly as documented.
    pub fn identifier(self) -> &'static str {
        match self {
            ModuleCode::InvalidInstanceStatus => "OperationConstraints.InvaildInstanceStatus",
            ModuleCode::AllResourceOpFailed => "OperationFail.AllResourceOpFailed",
            ModuleCode::AccountBalanceNotEnough => "OperationConstraints.AccountBalanceNotEnough",
            ModuleCode::SystemBusy => "OperationFail.SystemBusy",
        }
    }

    /// The common code the identifier is sent under.
    pub fn code(self) -> Code {
        match self {
            ModuleCode::InvalidInstanceStatus | ModuleCode::AllResourceOpFailed => {
                Code::OperationFailed
            }
            ModuleCode::AccountBalanceNotEnough => Code::InsufficientBalance,
            ModuleCode::SystemBusy => Code::PurchaseFailed,
        }
    }

    /// The documented description (seed 003), for messages.
    pub fn description(self) -> &'static str {
        match self {
            ModuleCode::InvalidInstanceStatus => {
                "Instance status is incorrect or the attempt to obtain the instance status failed"
            }
            ModuleCode::AllResourceOpFailed => "The operation performed on the resource failed",
            ModuleCode::AccountBalanceNotEnough => {
                "Your balance is insufficient. Please top up first"
            }
            ModuleCode::SystemBusy => "System is busy with resource purchase",
        }
    }
}

/// An error reply: numeric code, `codeDesc` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyError {
    pub code: Code,
    pub code_desc: Cow<'static, str>,
    pub message: String,
}

impl LegacyError {
    /// A common error with its default `codeDesc`.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            code_desc: Cow::Borrowed(code.code_desc()),
            message: message.into(),
        }
    }

    /// A module error: `code` from [`ModuleCode::code`], the identifier as
    /// `codeDesc` and at the start of the message, `(Identifier) detail`.
    /// An empty `detail` uses the documented description.
    pub fn module(m: ModuleCode, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let detail = if detail.is_empty() {
            m.description().to_string()
        } else {
            detail
        };
        Self {
            code: m.code(),
            code_desc: Cow::Borrowed(m.identifier()),
            message: format!("({}) {detail}", m.identifier()),
        }
    }

    /// An internal failure (details logged, not leaked): 6000.
    pub fn internal(e: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Self::new(
            Code::InternalError,
            "An internal error occurred. Please try again later.",
        )
    }

    /// The reply body.
    pub fn body(&self) -> Value {
        json!({
            "code": self.code.number(),
            "message": self.message,
            "codeDesc": self.code_desc,
        })
    }
}

impl From<ParamError> for LegacyError {
    fn from(e: ParamError) -> Self {
        LegacyError::new(Code::InvalidParameter, e.to_string())
    }
}

impl From<DecodeError> for LegacyError {
    fn from(e: DecodeError) -> Self {
        LegacyError::new(Code::InvalidParameter, e.to_string())
    }
}

impl From<SignatureError> for LegacyError {
    /// A missing or wrong signature is 4100 (the documents do not say
    /// whether a missing one was 4000 or 4100); a stale timestamp is 4500.
    fn from(e: SignatureError) -> Self {
        match e {
            SignatureError::Missing => LegacyError::new(
                Code::AuthFailure,
                "Authentication failed. The Signature parameter is missing",
            ),
            SignatureError::Mismatch => LegacyError::new(
                Code::AuthFailure,
                "Authentication failed. The signature does not match",
            ),
            SignatureError::Expired => LegacyError::new(
                Code::ReplayAttack,
                "The request timestamp is too far from the server time",
            ),
        }
    }
}

/// Any body as the legacy reply: HTTP 200, JSON, UTF-8.
pub fn json_response(body: &Value) -> Response {
    Response::json(200, CONTENT_TYPE, body)
}

/// `{"code":0,"message":"","codeDesc":"Success"}` plus `fields` at the top
/// level. Envelope keys win over payload keys of the same name.
pub fn success_body(fields: Map<String, Value>) -> Value {
    let mut body = fields;
    body.insert("code".into(), json!(0));
    body.insert("message".into(), json!(""));
    body.insert("codeDesc".into(), json!("Success"));
    Value::Object(body)
}

/// A successful reply carrying `fields` at the top level.
pub fn success(fields: Map<String, Value>) -> Response {
    json_response(&success_body(fields))
}

/// An error reply.
pub fn error(e: &LegacyError) -> Response {
    json_response(&e.body())
}

/// The ordinary asynchronous-task reply (§3.4, one resource per call,
/// e.g. ResetInstances): `{"code":0,"message":"","codeDesc":"Success",
/// "requestId":<task id>}`. `requestId` is a JSON number, as the CVM pages
/// type it (the generic page says String; clients only pass it along);
/// `codeDesc` is there as in every other reply (§5).
pub fn async_task_body(request_id: u64) -> Value {
    let mut fields = Map::new();
    fields.insert("requestId".into(), json!(request_id));
    success_body(fields)
}

/// The ordinary asynchronous-task reply as a response.
pub fn async_task(request_id: u64) -> Response {
    json_response(&async_task_body(request_id))
}

/// One resource of a batch asynchronous task: its id as the client sent it
/// and either the task id started for it or why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEntry {
    pub resource_id: String,
    pub outcome: Result<u64, LegacyError>,
}

/// The batch asynchronous-task reply (§3.4, e.g. Start/Stop/RestartInstances):
/// `detail` keyed by resource id, each `{"code":0,"message":"","requestId":N}`
/// or the resource's error `{"code","message","codeDesc"}`; the outer code
/// is 0 when every resource succeeded, 5100 (`codeDesc`
/// `OperationFail.AllResourceOpFailed`) when every one failed, and 5400 when
/// only some did. A resource id repeated by the client keeps one entry,
/// the last.
pub fn batch_body(entries: &[BatchEntry]) -> Value {
    let mut detail = Map::new();
    for entry in entries {
        let item = match &entry.outcome {
            Ok(request_id) => json!({ "code": 0, "message": "", "requestId": request_id }),
            Err(e) => e.body(),
        };
        detail.insert(entry.resource_id.clone(), item);
    }
    let failed = entries.iter().filter(|e| e.outcome.is_err()).count();
    let mut body = if failed == 0 {
        success_body(Map::new())
    } else if failed == entries.len() {
        let m = ModuleCode::AllResourceOpFailed;
        LegacyError {
            code: Code::OperationFailed,
            code_desc: Cow::Borrowed(m.identifier()),
            message: format!(
                "({}) The operation failed for every resource",
                m.identifier()
            ),
        }
        .body()
    } else {
        LegacyError::new(
            Code::PartialSuccess,
            format!(
                "The operation failed for {failed} of {} resources",
                entries.len()
            ),
        )
        .body()
    };
    if let Value::Object(map) = &mut body {
        map.insert("detail".into(), Value::Object(detail));
    }
    body
}

/// The batch asynchronous-task reply as a response.
pub fn batch(entries: &[BatchEntry]) -> Response {
    json_response(&batch_body(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(r: &Response) -> Value {
        assert_eq!(r.status, 200);
        assert_eq!(r.content_type, "application/json; charset=utf-8");
        serde_json::from_slice(&r.body).expect("json body")
    }

    #[test]
    fn success_puts_the_payload_at_the_top_level() {
        let mut fields = Map::new();
        fields.insert("totalCount".into(), json!(1));
        fields.insert("instanceSet".into(), json!([{ "unInstanceId": "ins-a" }]));
        fields.insert("code".into(), json!("ignored"));
        let body = parsed(&success(fields));
        assert_eq!(
            body,
            json!({
                "code": 0, "message": "", "codeDesc": "Success",
                "totalCount": 1, "instanceSet": [{ "unInstanceId": "ins-a" }]
            })
        );
    }

    #[test]
    fn common_errors() {
        let e = LegacyError::new(
            Code::AuthFailure,
            "Authentication failed. SecretId does not exist",
        );
        assert_eq!(
            parsed(&error(&e)),
            json!({"code": 4100, "message": "Authentication failed. SecretId does not exist", "codeDesc": "AuthFailure"})
        );
        let body = parsed(&error(&LegacyError::new(Code::InvalidParameter, "bad")));
        assert_eq!(body["code"], 4000);
        assert_eq!(body["codeDesc"], "InvalidParameter");
        assert!(body["code"].is_i64());
    }

    #[test]
    fn every_common_code_has_its_number() {
        let all = [
            (Code::InvalidParameter, 4000),
            (Code::AuthFailure, 4100),
            (Code::UnauthorizedApi, 4101),
            (Code::UnauthorizedResource, 4102),
            (Code::UnauthorizedResources, 4103),
            (Code::SecretIdNotFound, 4104),
            (Code::TokenFailure, 4105),
            (Code::MfaFailure, 4106),
            (Code::CamFailure, 4110),
            (Code::RequestExpired, 4200),
            (Code::AccessDenied, 4300),
            (Code::QuotaExceeded, 4400),
            (Code::ReplayAttack, 4500),
            (Code::UnsupportedProtocol, 4600),
            (Code::ResourceNotFound, 5000),
            (Code::OperationFailed, 5100),
            (Code::PurchaseFailed, 5200),
            (Code::InsufficientBalance, 5300),
            (Code::PartialSuccess, 5400),
            (Code::QualificationFailed, 5500),
            (Code::InternalError, 6000),
            (Code::UnsupportedAction, 6100),
            (Code::Unavailable, 6200),
        ];
        for (code, n) in all {
            assert_eq!(code.number(), n);
            assert!(!code.code_desc().is_empty());
            assert_eq!(LegacyError::new(code, "x").body()["code"], n);
        }
    }

    #[test]
    fn module_codes_carry_their_identifier() {
        let e = LegacyError::module(ModuleCode::InvalidInstanceStatus, "");
        assert_eq!(
            e.body(),
            json!({
                "code": 5100,
                "message": "(OperationConstraints.InvaildInstanceStatus) Instance status is incorrect or the attempt to obtain the instance status failed",
                "codeDesc": "OperationConstraints.InvaildInstanceStatus"
            })
        );
        let e = LegacyError::module(
            ModuleCode::AccountBalanceNotEnough,
            "the purchase costs 10.00",
        );
        assert_eq!(e.body()["code"], 5300);
        assert_eq!(
            e.body()["codeDesc"],
            "OperationConstraints.AccountBalanceNotEnough"
        );
        assert_eq!(
            e.message,
            "(OperationConstraints.AccountBalanceNotEnough) the purchase costs 10.00"
        );
        assert_eq!(
            LegacyError::module(ModuleCode::AllResourceOpFailed, "").body()["code"],
            5100
        );
        let busy = LegacyError::module(ModuleCode::SystemBusy, "").body();
        assert_eq!(busy["code"], 5200);
        assert_eq!(busy["codeDesc"], "OperationFail.SystemBusy");
    }

    #[test]
    fn conversions_from_other_errors() {
        let e: LegacyError = ParamError::Missing("instanceId".into()).into();
        assert_eq!(e.code, Code::InvalidParameter);
        assert_eq!(e.message, "the parameter `instanceId` is required");
        let e: LegacyError = SignatureError::Mismatch.into();
        assert_eq!(
            (e.code.number(), e.code_desc.as_ref()),
            (4100, "AuthFailure")
        );
        let e: LegacyError = SignatureError::Missing.into();
        assert_eq!(e.code, Code::AuthFailure);
        let e: LegacyError = SignatureError::Expired.into();
        assert_eq!(e.code.number(), 4500);
        let e: LegacyError = DecodeError::UnsupportedMethod("PUT".into()).into();
        assert_eq!(e.code.number(), 4000);
    }

    #[test]
    fn ordinary_async_reply() {
        let body = parsed(&async_task(1_234_567));
        assert_eq!(
            body,
            json!({"code": 0, "message": "", "codeDesc": "Success", "requestId": 1_234_567})
        );
        assert!(body["requestId"].is_u64());
    }

    fn ok(id: &str, task: u64) -> BatchEntry {
        BatchEntry {
            resource_id: id.into(),
            outcome: Ok(task),
        }
    }

    fn failed(id: &str) -> BatchEntry {
        BatchEntry {
            resource_id: id.into(),
            outcome: Err(LegacyError::module(ModuleCode::InvalidInstanceStatus, "")),
        }
    }

    #[test]
    fn batch_all_succeeded() {
        let body = parsed(&batch(&[ok("ins-a", 11), ok("ins-b", 12)]));
        assert_eq!(
            body,
            json!({
                "code": 0, "message": "", "codeDesc": "Success",
                "detail": {
                    "ins-a": {"code": 0, "message": "", "requestId": 11},
                    "ins-b": {"code": 0, "message": "", "requestId": 12}
                }
            })
        );
    }

    #[test]
    fn batch_partly_failed() {
        let body = parsed(&batch(&[ok("ins-a", 11), failed("ins-b")]));
        assert_eq!(body["code"], 5400);
        assert_eq!(body["codeDesc"], "PartialSuccess");
        assert_eq!(
            body["detail"]["ins-a"],
            json!({"code": 0, "message": "", "requestId": 11})
        );
        assert_eq!(body["detail"]["ins-b"]["code"], 5100);
        assert_eq!(
            body["detail"]["ins-b"]["codeDesc"],
            "OperationConstraints.InvaildInstanceStatus"
        );
        assert!(body["detail"]["ins-b"].get("requestId").is_none());
    }

    #[test]
    fn batch_all_failed() {
        let body = parsed(&batch(&[failed("ins-a"), failed("ins-b")]));
        assert_eq!(body["code"], 5100);
        assert_eq!(body["codeDesc"], "OperationFail.AllResourceOpFailed");
        assert_eq!(body["detail"].as_object().map(Map::len), Some(2));
    }
}
