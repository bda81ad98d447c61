//! The Tencent Cloud API 3.0 dialect (`{"Response": ...}` over one URL, the
//! action in `X-TC-Action` or the `Action` parameter). It verifies the
//! signature, checks parameters against the product's API model, calls the
//! engine and encodes the envelope. Products: Lighthouse (2020-03-24) and
//! CVM (2017-03-12).

pub mod cvm;
pub mod envelope;
pub mod instances;
pub mod keypairs;
pub mod lighthouse;
pub mod listing;
pub mod offerings;
pub mod params;
pub mod profile;
pub mod signature;
pub mod states;
pub mod validate;
pub mod views;

use crate::dialect::{Claim, Dialect, Head, Refusal, Serving};
use crate::request::{Outcome, RawRequest, Response};
use envelope::ApiError;
use params::{ApiSchema, ParamError};
use serde_json::Value;
use signature::{SignatureError, Tc3Input, V1Method};
use std::sync::Arc;
use stratus_engine::{Caller, Engine, EngineError};

/// The credential scheme name Tencent accounts are declared under.
pub const SCHEME: &str = "tencent";

/// Largest allowed distance between the request timestamp and now.
const SIGNATURE_WINDOW_SECONDS: i64 = 300;

/// A Tencent product served through API 3.0.
struct ProductDoor {
    /// Engine product key.
    key: &'static str,
    schema: ApiSchema,
}

/// The dialect, with the API models of the products it serves.
pub struct TencentDialect {
    engine: Arc<Engine>,
    doors: Vec<ProductDoor>,
}

/// A request that passed authentication and parameter checks, for the
/// product whose typed action is `A`.
pub struct Call<'a, A> {
    pub engine: &'a Arc<Engine>,
    pub caller: Caller,
    /// The action, as the product's typed enum.
    pub action: A,
    /// Typed parameters, checked against the API model.
    pub params: Value,
}

impl<A> Call<'_, A> {
    /// The engine product this call is for.
    pub fn product(&self) -> Result<&Arc<stratus_engine::Product>, ApiError> {
        self.engine
            .product(&self.caller.product)
            .map_err(|e| ApiError::internal(&e))
    }
}

/// The common parameters of a request, from headers (TC3) or parameters (v1).
struct Common {
    action: String,
    version: String,
    region: Option<String>,
}

impl TencentDialect {
    /// The dialect over `engine`; an embedded API model that does not
    /// parse is refused here, at start, rather than served as nothing.
    pub fn new(engine: Arc<Engine>) -> Result<Self, String> {
        let mut doors = Vec::new();
        for (key, schema) in [
            (lighthouse::PRODUCT, lighthouse::SCHEMA),
            (cvm::PRODUCT, cvm::SCHEMA),
        ] {
            let schema = ApiSchema::parse(schema)
                .map_err(|e| format!("the {key} API model does not parse: {e}"))?;
            doors.push(ProductDoor { key, schema });
        }
        Ok(Self { engine, doors })
    }

    /// Serves one request.
    pub async fn handle(&self, req: &RawRequest) -> Response {
        let mut seen = Outcome::of("tencent");
        match self.process(req, &mut seen).await {
            Ok(fields) => envelope::success(&req.request_id, fields).with_outcome(seen.ended(None)),
            Err(e) => {
                tracing::debug!(request_id = %req.request_id, code = %e.code, "request refused");
                envelope::error(&req.request_id, &e).with_outcome(seen.ended(Some(&e.code)))
            }
        }
    }

    async fn process(&self, req: &RawRequest, seen: &mut Outcome) -> Result<Fields, ApiError> {
        if req.method != "GET" && req.method != "POST" {
            return Err(ApiError::new(
                "UnsupportedProtocol",
                "Only GET and POST are supported.",
            ));
        }
        let content_type = req.header("content-type").unwrap_or("");
        let is_json = req.method == "POST" && content_type.starts_with("application/json");
        let flat =
            params::flat(&req.method, is_json, &req.query, &req.body).map_err(param_error)?;
        let (account, common) = match req.header("authorization") {
            Some(auth) => self.authenticate_tc3(req, auth)?,
            None => self.authenticate_v1(req, &flat)?,
        };
        let door = self
            .doors
            .iter()
            .find(|d| d.schema.version == common.version)
            .ok_or_else(|| {
                ApiError::new(
                    "NoSuchVersion",
                    format!("The API version `{}` does not exist.", common.version),
                )
            })?;
        seen.product = door.key.to_string();
        seen.action = common.action.clone();
        let structure = door.schema.request(&common.action).ok_or_else(|| {
            ApiError::new(
                "InvalidAction",
                format!("The action `{}` does not exist.", common.action),
            )
        })?;
        let product = self
            .engine
            .product(door.key)
            .map_err(|e| ApiError::internal(&e))?;
        let region = match &common.region {
            Some(r) if product.catalog.region(r).is_none() => {
                return Err(ApiError::new(
                    "UnsupportedRegion",
                    format!("The region `{r}` is not supported."),
                ))
            }
            Some(r) => r.clone(),
            None if door.key == lighthouse::PRODUCT
                && lighthouse::Action::from_name(&common.action)
                    .is_some_and(lighthouse::region_optional) =>
            {
                String::new()
            }
            None => {
                return Err(ApiError::new(
                    "MissingParameter",
                    "The parameter `Region` is required.",
                ))
            }
        };
        let caller = Caller {
            account,
            product: door.key.to_string(),
            region,
            request_id: req.request_id.clone(),
            action: common.action.clone(),
        };
        self.engine.admit(&caller).await.map_err(|e| match e {
            EngineError::RateLimited => ApiError::new(
                "RequestLimitExceeded",
                "The number of requests exceeds the frequency limit.",
            ),
            // A fault rule's code, as API 3.0 answers every error.
            EngineError::Injected { code, message, .. } => ApiError::new(code, message),
            other => ApiError::internal(&other),
        })?;
        let params = if is_json {
            params::json(&req.body)
                .and_then(|value| door.schema.validate(structure, &value).map(|_| value))
        } else {
            let api_params: Vec<(String, String)> = flat
                .into_iter()
                .filter(|(k, _)| !is_common_param(k))
                .collect();
            door.schema.unflatten(structure, &api_params)
        }
        .map_err(param_error)?;
        let engine = &self.engine;
        let unserved = || {
            ApiError::new(
                "InvalidAction",
                format!("The action `{}` does not exist.", common.action),
            )
        };
        match door.key {
            lighthouse::PRODUCT => {
                let action = lighthouse::Action::from_name(&common.action).ok_or_else(unserved)?;
                lighthouse::dispatch(&Call {
                    engine,
                    caller,
                    action,
                    params,
                })
                .await
            }
            cvm::PRODUCT => {
                let action = cvm::Action::from_name(&common.action).ok_or_else(unserved)?;
                cvm::dispatch(&Call {
                    engine,
                    caller,
                    action,
                    params,
                })
                .await
            }
            _ => Err(unserved()),
        }
    }

    fn authenticate_tc3(
        &self,
        req: &RawRequest,
        authorization: &str,
    ) -> Result<(String, Common), ApiError> {
        let auth = signature::parse_tc3_authorization(authorization).map_err(auth_error)?;
        let header = |n: &str| req.header(n).map(str::to_string);
        let action = header("x-tc-action").ok_or_else(|| missing("X-TC-Action"))?;
        let version = header("x-tc-version").ok_or_else(|| missing("X-TC-Version"))?;
        let timestamp = header("x-tc-timestamp").ok_or_else(|| missing("X-TC-Timestamp"))?;
        let ts = self.check_timestamp(&timestamp)?;
        if stratus_engine::clock::Timestamp(ts * 1000).utc_date() != auth.date {
            return Err(auth_error(SignatureError::Mismatch));
        }
        let (account, secret) = self.lookup(&auth.secret_id)?;
        if let Some(token) = req.header("x-tc-token") {
            self.check_token(&account, token)?;
        }
        let unsigned_payload = req
            .header("x-tc-content-sha256")
            .is_some_and(|v| v.eq_ignore_ascii_case("UNSIGNED-PAYLOAD"));
        let input = Tc3Input {
            method: &req.method,
            path: &req.path,
            query: if req.method == "GET" { &req.query } else { "" },
            header: &header,
            body: if req.method == "GET" { b"" } else { &req.body },
            timestamp: &timestamp,
            unsigned_payload,
        };
        signature::verify_tc3(&auth, &input, &secret).map_err(auth_error)?;
        let service_matches = self
            .doors
            .iter()
            .find(|d| d.schema.version == version)
            .is_none_or(|d| d.schema.service == auth.service);
        if !service_matches {
            return Err(auth_error(SignatureError::Mismatch));
        }
        Ok((
            account,
            Common {
                action,
                version,
                region: header("x-tc-region").filter(|r| !r.is_empty()),
            },
        ))
    }

    fn authenticate_v1(
        &self,
        req: &RawRequest,
        flat: &[(String, String)],
    ) -> Result<(String, Common), ApiError> {
        let get = |k: &str| flat.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let Some(signature) = get("Signature") else {
            return Err(ApiError::new(
                "AuthFailure.InvalidAuthorization",
                "The request carries neither an Authorization header nor a Signature parameter.",
            ));
        };
        let secret_id = get("SecretId").ok_or_else(|| missing("SecretId"))?;
        let timestamp = get("Timestamp").ok_or_else(|| missing("Timestamp"))?;
        let action = get("Action").ok_or_else(|| missing("Action"))?;
        let version = get("Version").ok_or_else(|| missing("Version"))?;
        get("Nonce").ok_or_else(|| missing("Nonce"))?;
        let method = V1Method::from_param(get("SignatureMethod").as_deref()).ok_or_else(|| {
            ApiError::new(
                "InvalidParameterValue",
                "SignatureMethod must be HmacSHA1 or HmacSHA256.",
            )
        })?;
        self.check_timestamp(&timestamp)?;
        let (account, secret) = self.lookup(&secret_id)?;
        if let Some(token) = get("Token").filter(|t| !t.is_empty()) {
            self.check_token(&account, &token)?;
        }
        let host = req.header("host").unwrap_or("");
        let source = signature::v1_source(&req.method, host, &req.path, flat);
        signature::verify_v1(method, &secret, &source, &signature).map_err(auth_error)?;
        Ok((
            account,
            Common {
                action,
                version,
                region: get("Region").filter(|r| !r.is_empty()),
            },
        ))
    }

    fn check_timestamp(&self, raw: &str) -> Result<i64, ApiError> {
        let ts: i64 = raw.trim().parse().map_err(|_| {
            ApiError::new(
                "InvalidParameter",
                "The timestamp is not a number of seconds.",
            )
        })?;
        let now = self.engine.clock().now().unix_seconds();
        if crate::request::outside_window(now, ts, SIGNATURE_WINDOW_SECONDS) {
            return Err(auth_error(SignatureError::Expired));
        }
        Ok(ts)
    }

    fn lookup(&self, secret_id: &str) -> Result<(String, String), ApiError> {
        match self.engine.accounts().by_key_id(SCHEME, secret_id) {
            Some(p) => Ok((p.account.name.clone(), p.credential.secret.clone())),
            None if !secret_id.starts_with("AKID") => {
                Err(auth_error(SignatureError::InvalidSecretId))
            }
            None => Err(auth_error(SignatureError::SecretIdNotFound)),
        }
    }

    fn check_token(&self, account: &str, token: &str) -> Result<(), ApiError> {
        let declared = self
            .engine
            .accounts()
            .by_bearer_token(token)
            .is_some_and(|a| a.name == account);
        if declared {
            Ok(())
        } else {
            Err(ApiError::new(
                "AuthFailure.TokenFailure",
                "The token is invalid or does not belong to this SecretId.",
            ))
        }
    }
}

impl Dialect for TencentDialect {
    /// Tencent's own markers (`X-TC-Action`, a TC3 signature, `SecretId`)
    /// claim a request outright; any other form request falls back here.
    fn recognise(&self, head: &Head<'_>) -> Claim {
        let secret_id = |raw: &[u8]| form_urlencoded::parse(raw).any(|(k, _)| k == "SecretId");
        if head.header("x-tc-action").is_some()
            || head
                .header("authorization")
                .is_some_and(|a| a.starts_with("TC3-"))
            || secret_id(head.query.as_bytes())
            || secret_id(head.form)
        {
            Claim::Certain
        } else if head.is_form() {
            Claim::Fallback
        } else {
            Claim::No
        }
    }

    fn serve<'a>(&'a self, req: &'a RawRequest) -> Serving<'a> {
        Box::pin(self.handle(req))
    }

    fn refuse(&self, req: &RawRequest, refusal: &Refusal) -> Response {
        let e = match refusal {
            Refusal::Limit(e) => ApiError::from(ParamError::from(e.clone())),
            Refusal::BodyTooLarge => ApiError::new("RequestSizeLimitExceeded", refusal.message()),
            body => ApiError::new("InvalidParameter", body.message()),
        };
        envelope::error(&req.request_id, &e)
    }
}

/// Fields of a successful response (the envelope adds the request id).
pub use crate::fields::{fields, Fields};

/// The request structure of a call.
pub fn parse<T: serde::de::DeserializeOwned, A>(call: &Call<'_, A>) -> Result<T, ApiError> {
    T::deserialize(&call.params).map_err(|e| {
        ApiError::new(
            "InvalidParameter",
            format!("The parameters are invalid: {e}"),
        )
    })
}

/// Parameters every v1 request carries beside the action's own.
fn is_common_param(key: &str) -> bool {
    matches!(
        key,
        "Action"
            | "Version"
            | "Region"
            | "Timestamp"
            | "Nonce"
            | "SecretId"
            | "SignatureMethod"
            | "Signature"
            | "Token"
            | "Language"
            | "RequestClient"
    )
}

fn missing(name: &str) -> ApiError {
    ApiError::new(
        "MissingParameter",
        format!("The parameter `{name}` is required."),
    )
}

fn auth_error(e: SignatureError) -> ApiError {
    let code = match e {
        SignatureError::InvalidAuthorization => "AuthFailure.InvalidAuthorization",
        SignatureError::Expired => "AuthFailure.SignatureExpire",
        SignatureError::Mismatch => "AuthFailure.SignatureFailure",
        SignatureError::InvalidSecretId => "AuthFailure.InvalidSecretId",
        SignatureError::SecretIdNotFound => "AuthFailure.SecretIdNotFound",
    };
    let message = match e {
        SignatureError::Mismatch => {
            "The provided credentials could not be validated. Please check your signature is correct.".to_string()
        }
        SignatureError::Expired => "The signature has expired: the timestamp differs from the server time by more than 5 minutes.".to_string(),
        other => other.to_string(),
    };
    ApiError::new(code, message)
}

fn param_error(e: ParamError) -> ApiError {
    e.into()
}
