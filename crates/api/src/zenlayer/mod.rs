//! The Zenlayer Cloud OpenAPI v2 dialect: `POST /api/v2/<service>` with the
//! action in `x-zc-action` and the version in `x-zc-version`, a JSON body,
//! `ZC2-HMAC-SHA256` or `Bearer` authorization, and the
//! `{"requestId","response"}` envelope with real HTTP error statuses.
//! Services: `zec` (2025-09-01 and 2024-04-01, one handler) and `ccs`
//! (2025-09-01, key pairs).

pub mod envelope;
pub mod errors;
mod instances;
mod keypairs;
mod network;
mod offerings;
pub mod params;
pub mod profile;
pub mod signature;
mod validate;
pub mod views;

pub use profile::product;

use crate::dialect::{Claim, Dialect, Head, Refusal, Serving};
use crate::request::{Outcome, RawRequest, Response};
use envelope::ApiError;
use errors::Code;
use profile::{ApiVersion, ZecFacts};
use serde::de::DeserializeOwned;
use serde_json::Value;
use signature::{Authorization, SignatureError, SignedParts};
use std::sync::Arc;
use stratus_engine::{Caller, Engine, EngineError};

/// The credential scheme name Zenlayer accounts are declared under.
pub const SCHEME: &str = "zenlayer";

/// The path prefix of every Zenlayer service.
pub const PATH_PREFIX: &str = "/api/v2/";

/// Largest allowed distance between `x-zc-timestamp` and now (spec §2.2).
const SIGNATURE_WINDOW_SECONDS: i64 = 300;

/// Fields of a successful response (the envelope adds the request id).
pub use crate::fields::{fields, Fields};

/// The services served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Zec,
    Ccs,
}

crate::actions! {
    /// The key pair actions: of `ccs` (2025-09-01), and of `zec` before.
    pub enum KeyPairAction {
        ImportKeyPair,
        DescribeKeyPairs,
        DeleteKeyPairs,
        ModifyKeyPairAttribute,
    }
}

crate::actions! {
    /// The actions served, over both services and versions ([`Action::parse`]
    /// says which serves which).
    pub enum Action {
        DescribeRegions,
        DescribeZones,
        DescribeZoneInstanceConfigInfos,
        DescribeImages,
        DescribeVpcs,
        DescribeSubnets,
        CreateVpc,
        CreateSubnet,
        CreateZecInstances,
        DescribeInstances,
        DescribeInstancesStatus,
        ModifyInstancesAttribute,
        StartInstances,
        StopInstances,
        RebootInstances,
        ResetInstance,
        ResetInstances,
        ResetInstancePassword,
        ResetInstancesPassword,
        ReleaseInstances,
    }
    nested { KeyPair(KeyPairAction) }
}

impl Action {
    /// The action `name` names in `service` at `version`, if served there:
    /// key pairs moved from `zec` to `ccs` in 2025-09-01, which also added
    /// DescribeRegions and ResetInstances.
    pub fn parse(service: Service, version: ApiVersion, name: &str) -> Option<Self> {
        let action = Self::from_name(name)?;
        let v2025 = version == ApiVersion::V2025;
        let served = match (service, action) {
            (Service::Ccs, Self::KeyPair(_)) => true,
            (Service::Ccs, _) => false,
            (Service::Zec, Self::KeyPair(_)) => !v2025,
            (Service::Zec, Self::DescribeRegions | Self::ResetInstances) => v2025,
            (Service::Zec, _) => true,
        };
        served.then_some(action)
    }
}

/// The dialect.
pub struct ZenlayerDialect {
    engine: Arc<Engine>,
    facts: Arc<ZecFacts>,
}

/// A request that passed authentication.
pub struct Call<'a> {
    pub engine: &'a Arc<Engine>,
    pub facts: &'a ZecFacts,
    pub caller: Caller,
    /// The action, typed.
    pub action: Action,
    pub version: ApiVersion,
    /// The JSON body (an object).
    pub params: Value,
}

impl Call<'_> {
    /// The request body as a typed request; wrong types are `INVALID_PARAMETER`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        T::deserialize(&self.params)
            .map_err(|e| errors::invalid(format!("The parameters are invalid: {e}")))
    }

    /// Maps an engine error raised by this call.
    pub fn engine_error(&self, e: stratus_engine::EngineError) -> ApiError {
        errors::to_api(&e, Some(self.action))
    }

    /// The ZEC product of the engine.
    pub fn product(&self) -> Result<&Arc<stratus_engine::Product>, ApiError> {
        self.engine
            .product(&self.caller.product)
            .map_err(|e| self.engine_error(e))
    }

    /// True for the 2025-09-01 API.
    pub fn is_2025(&self) -> bool {
        self.version == ApiVersion::V2025
    }
}

impl ZenlayerDialect {
    /// The dialect over `engine`, with the ZEC facts of the catalog; facts
    /// that do not parse are refused here, at start.
    pub fn new(engine: Arc<Engine>) -> Result<Self, String> {
        let facts =
            profile::facts().map_err(|e| format!("the ZEC catalog facts do not parse: {e}"))?;
        Ok(Self {
            engine,
            facts: Arc::new(facts),
        })
    }

    /// Serves one request.
    pub async fn handle(&self, req: &RawRequest) -> Response {
        let request_id = envelope::request_id(&req.request_id);
        let mut seen = Outcome::of("zenlayer");
        match self.process(req, &request_id, &mut seen).await {
            Ok(fields) => envelope::success(&request_id, fields).with_outcome(seen.ended(None)),
            Err(e) => {
                tracing::debug!(request_id = %request_id, code = %e.code, "request refused");
                envelope::error(&request_id, &e).with_outcome(seen.ended(Some(&e.code)))
            }
        }
    }

    async fn process(
        &self,
        req: &RawRequest,
        request_id: &str,
        seen: &mut Outcome,
    ) -> Result<Fields, ApiError> {
        if req.method != "POST" {
            return Err(Code::InvalidRequest.message("Only POST is supported."));
        }
        let service = match req.path.strip_prefix(PATH_PREFIX) {
            Some("zec") => Service::Zec,
            Some("ccs") => Service::Ccs,
            _ => {
                return Err(Code::InvalidAction.message(format!(
                    "The service path `{}` is not served here (only /api/v2/zec and /api/v2/ccs).",
                    req.path
                )))
            }
        };
        let account = self.authenticate(req)?;
        let header = |n: &str| req.header(n).map(str::trim).filter(|v| !v.is_empty());
        let action = header("x-zc-action").ok_or_else(|| errors::missing("x-zc-action"))?;
        let version = header("x-zc-version").ok_or_else(|| errors::missing("x-zc-version"))?;
        if let Some(s) = header("x-zc-service") {
            if !req.path.ends_with(&format!("/{s}")) {
                return Err(errors::invalid(format!(
                    "The x-zc-service header `{s}` does not match the path `{}`.",
                    req.path
                )));
            }
        }
        seen.product = match service {
            Service::Zec => "zec",
            Service::Ccs => "ccs",
        }
        .to_string();
        seen.action = action.to_string();
        let api_version = ApiVersion::parse(version)
            .filter(|v| service == Service::Zec || *v == ApiVersion::V2025)
            .ok_or_else(|| {
                Code::InvalidAction.message(format!(
                    "The API version `{version}` does not exist for this service."
                ))
            })?;
        let params = params::decode(&req.body)?;
        let typed = Action::parse(service, api_version, action).ok_or_else(|| {
            Code::InvalidAction.message(format!(
                "The action `{action}` does not exist in version {version} of this service."
            ))
        })?;
        let call = Call {
            engine: &self.engine,
            facts: &self.facts,
            caller: Caller {
                account,
                product: profile::PRODUCT.to_string(),
                // ZEC requests name no region; listings span all of them.
                region: String::new(),
                request_id: request_id.to_string(),
                action: action.to_string(),
            },
            action: typed,
            version: api_version,
            params,
        };
        self.engine.admit(&call.caller).await.map_err(|e| match e {
            EngineError::RateLimited => Code::RequestLimitExceeded
                .message("The number of requests exceeds the frequency limit."),
            injected @ EngineError::Injected { .. } => errors::to_api(&injected, None),
            other => errors::internal(&other),
        })?;
        dispatch(&call).await
    }

    /// The account a request is signed (or bearer-authorized) for.
    fn authenticate(&self, req: &RawRequest) -> Result<String, ApiError> {
        let auth = req
            .header("authorization")
            .ok_or(SignatureError::Missing)
            .and_then(signature::parse_authorization)
            .map_err(auth_error)?;
        match auth {
            Authorization::Bearer(token) => self
                .engine
                .accounts()
                .by_bearer_token(&token)
                .map(|a| a.name.clone())
                .ok_or_else(|| auth_error(SignatureError::UnknownToken)),
            Authorization::Signed {
                access_key_id,
                signed_headers,
                signature: claimed,
            } => {
                let timestamp = req
                    .header("x-zc-timestamp")
                    .map(str::trim)
                    .ok_or_else(|| auth_error(SignatureError::Timestamp))?;
                let ts: i64 = timestamp
                    .parse()
                    .map_err(|_| auth_error(SignatureError::Timestamp))?;
                let now = self.engine.clock().now().unix_seconds();
                if crate::request::outside_window(now, ts, SIGNATURE_WINDOW_SECONDS) {
                    return Err(auth_error(SignatureError::Expired));
                }
                let principal = self
                    .engine
                    .accounts()
                    .by_key_id(SCHEME, access_key_id.trim())
                    .ok_or_else(|| auth_error(SignatureError::UnknownKey))?;
                let parts = SignedParts {
                    content_type: req.header("content-type").unwrap_or(""),
                    host: req.header("host").unwrap_or(""),
                    timestamp,
                    body: &req.body,
                };
                signature::verify(
                    &principal.credential.secret,
                    &signed_headers,
                    &claimed,
                    &parts,
                )
                .map_err(auth_error)?;
                Ok(principal.account.name.clone())
            }
        }
    }
}

/// True if a request speaks Zenlayer: its path is `/api/v2/...` or it
/// carries `x-zc-action` (no other vendor uses either).
pub fn recognises(head: &Head<'_>) -> bool {
    head.path.starts_with(PATH_PREFIX) || head.header("x-zc-action").is_some()
}

impl Dialect for ZenlayerDialect {
    fn recognise(&self, head: &Head<'_>) -> Claim {
        Claim::certain_if(recognises(head))
    }

    fn serve<'a>(&'a self, req: &'a RawRequest) -> Serving<'a> {
        Box::pin(self.handle(req))
    }

    fn refuse(&self, req: &RawRequest, refusal: &Refusal) -> Response {
        let e = match refusal {
            Refusal::Limit(e) => params::limit_error(e),
            body => Code::InvalidRequest.message(body.message()),
        };
        envelope::error(&envelope::request_id(&req.request_id), &e)
    }
}

/// Serves one typed action.
async fn dispatch(call: &Call<'_>) -> Result<Fields, ApiError> {
    use instances::Power;
    match call.action {
        Action::DescribeRegions => offerings::describe_regions(call),
        Action::DescribeZones => offerings::describe_zones(call),
        Action::DescribeZoneInstanceConfigInfos => offerings::describe_zone_instance_configs(call),
        Action::DescribeImages => offerings::describe_images(call),
        Action::DescribeVpcs => network::describe_vpcs(call).await,
        Action::DescribeSubnets => network::describe_subnets(call).await,
        Action::CreateVpc => network::create_vpc(call).await,
        Action::CreateSubnet => network::create_subnet(call).await,
        Action::CreateZecInstances => instances::create(call).await,
        Action::DescribeInstances => instances::describe(call).await,
        Action::DescribeInstancesStatus => instances::describe_status(call).await,
        Action::ModifyInstancesAttribute => instances::modify(call).await,
        Action::StartInstances => instances::power(call, Power::Start).await,
        Action::StopInstances => instances::power(call, Power::Stop).await,
        Action::RebootInstances => instances::power(call, Power::Reboot).await,
        Action::ResetInstance => instances::reset(call).await,
        Action::ResetInstances => instances::reset_many(call).await,
        Action::ResetInstancePassword | Action::ResetInstancesPassword => {
            instances::reset_password(call).await
        }
        Action::ReleaseInstances => instances::release(call).await,
        Action::KeyPair(k) => match k {
            KeyPairAction::ImportKeyPair => keypairs::import(call).await,
            KeyPairAction::DescribeKeyPairs => keypairs::describe(call).await,
            KeyPairAction::DeleteKeyPairs => keypairs::delete(call).await,
            KeyPairAction::ModifyKeyPairAttribute => keypairs::modify(call).await,
        },
    }
}

fn auth_error(e: SignatureError) -> ApiError {
    match e {
        SignatureError::UnknownToken => Code::TokenInvalid.message(e.to_string()),
        other => {
            Code::SignatureFailure.message(format!("The signature could not be verified: {other}."))
        }
    }
}
