//! The Kingsoft Cloud dialect: KEC 2016-03-04 (instances, images, regions),
//! VPC 2016-03-04 (VPCs, subnets, security groups) and SKS 2015-11-01 (key
//! pairs) over one URL. `Action` and `Version` come from the query, the form
//! body or the `X-Action`/`X-Version` headers; parameters from the query and
//! the form body together; the service from the SigV4 scope or the
//! `Service` parameter (KEC and VPC share their version). It verifies the
//! AWS SigV4-style signature (or the legacy `Signature` parameter), reads
//! the flattened parameters, calls the engine and encodes the envelope.

pub mod envelope;
pub mod errors;
mod instances;
mod keys;
mod networks;
mod offerings;
pub mod params;
pub mod profile;
mod reinstall;
pub mod signature;
mod validate;
pub mod views;
mod vpc;

pub use profile::product;

use crate::dialect::{Claim, Dialect, Head, Refusal, Serving};
use crate::request::{Outcome, RawRequest, Response};
use envelope::ApiError;
use errors::{missing, Code};
use params::{ParamError, Params};
use profile::{api, CatalogError, KecFacts};
use signature::{SigV4Input, SignatureError};
use std::sync::Arc;
use stratus_engine::{Caller, Engine};

/// The credential scheme name Kingsoft accounts are declared under.
pub const SCHEME: &str = "kingsoft";

/// Largest allowed distance between the request time and now (KS3's window).
const SIGNATURE_WINDOW_SECONDS: i64 = 15 * 60;

/// Fields of a successful response (the envelope adds the request id).
pub use crate::fields::{fields, Fields};

/// The service a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Instances, images, regions (`kec`, 2016-03-04).
    Kec,
    /// VPCs, subnets, security groups (`vpc`, 2016-03-04).
    Vpc,
    /// Key pairs (`sks`, 2015-11-01).
    Sks,
}

/// Each service with its SigV4 name and API version; for a version that
/// several serve, the first is the one an unnamed request is for.
const SERVICES: [(Service, &str, &str); 3] = [
    (Service::Kec, api::KEC_SERVICE, api::KEC_VERSION),
    (Service::Vpc, api::VPC_SERVICE, api::VPC_VERSION),
    (Service::Sks, api::SKS_SERVICE, api::SKS_VERSION),
];

crate::actions! {
    /// The KEC actions served.
    pub enum KecAction {
        DescribeRegions,
        DescribeAvailabilityZones,
        DescribeImages,
        RunInstances,
        DescribeInstances,
        StartInstances,
        StopInstances,
        RebootInstances,
        TerminateInstances,
        ModifyInstanceImage,
    }
}

crate::actions! {
    /// The VPC actions served.
    pub enum VpcAction {
        DescribeVpcs,
        DescribeSubnets,
        DescribeSecurityGroups,
        CreateVpc,
        CreateSubnet,
        CreateSecurityGroup,
        DeleteVpc,
        DeleteSubnet,
        DeleteSecurityGroup,
    }
}

crate::actions! {
    /// The SKS (key pair) actions served.
    pub enum SksAction {
        CreateKey,
        ImportKey,
        DescribeKeys,
        DeleteKey,
    }
}

/// An action of one of the Kingsoft services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Kec(KecAction),
    Vpc(VpcAction),
    Sks(SksAction),
}

impl Action {
    /// The action `name` names in `service`, if served.
    pub fn parse(service: Service, name: &str) -> Option<Self> {
        match service {
            Service::Kec => KecAction::from_name(name).map(Self::Kec),
            Service::Vpc => VpcAction::from_name(name).map(Self::Vpc),
            Service::Sks => SksAction::from_name(name).map(Self::Sks),
        }
    }

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Kec(a) => a.name(),
            Self::Vpc(a) => a.name(),
            Self::Sks(a) => a.name(),
        }
    }
}

/// Where a request names its service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Naming {
    /// The SigV4 credential scope: a wrong one is a signature mismatch.
    Scope,
    /// The `Service` parameter (the Python SDK and the legacy signature).
    Parameter,
}

impl Service {
    /// The service of `version` that `named` names (the first one that
    /// serves it when unnamed, as before KEC and VPC shared the version).
    fn resolve(named: Option<(&str, Naming)>, version: &str) -> Result<Service, ApiError> {
        let serving: Vec<(Service, &str)> = SERVICES
            .iter()
            .filter(|(_, _, v)| *v == version)
            .map(|(s, n, _)| (*s, *n))
            .collect();
        let Some(&(first, first_name)) = serving.first() else {
            return Err(
                Code::InvalidAction.message(format!("The API version {version} does not exist."))
            );
        };
        match named {
            None => Ok(first),
            Some((name, how)) => match serving.iter().find(|(_, n)| *n == name) {
                Some((service, _)) => Ok(*service),
                None if how == Naming::Scope => Err(Code::SignatureDoesNotMatch.message(format!(
                    "Credential should be scoped to the correct service: '{first_name}'."
                ))),
                None => Err(Code::InvalidAction.message(format!(
                    "The service {name} does not serve the API version {version}."
                ))),
            },
        }
    }
}

/// True if a request looks like Kingsoft's, from what is known before (and,
/// given, after) its body is read: a SigV4 `Authorization` or `X-Amz-Date`,
/// kscore's `X-Action`, a KEC/SKS `Version`, or the legacy `Accesskey`.
pub fn recognises(head: &Head<'_>) -> bool {
    if head
        .header("authorization")
        .is_some_and(|a| a.trim_start().starts_with("AWS4-HMAC-SHA256"))
        || head.header("x-amz-date").is_some()
        || head.header("x-action").is_some()
    {
        return true;
    }
    // One pass, nothing kept: this runs before any limit is applied.
    let is_ours = |raw: &[u8]| {
        let (mut ours, mut secret_id) = (false, false);
        for (name, value) in form_urlencoded::parse(raw) {
            match name.as_ref() {
                "SecretId" => secret_id = true,
                "Accesskey" | "AccessKey" => ours = true,
                "Version" => ours |= value == api::KEC_VERSION || value == api::SKS_VERSION,
                _ => {}
            }
        }
        ours && !secret_id
    };
    is_ours(head.query.as_bytes()) || is_ours(head.form)
}

/// The dialect.
pub struct KingsoftDialect {
    engine: Arc<Engine>,
    facts: Arc<KecFacts>,
}

/// A request that passed authentication.
pub struct Call<'a> {
    pub engine: &'a Arc<Engine>,
    pub facts: &'a Arc<KecFacts>,
    pub caller: Caller,
    /// The action, typed.
    pub action: Action,
    pub params: Params,
    /// The `User-Agent` the request came with.
    pub user_agent: String,
}

impl Call<'_> {
    /// The KEC product of the engine.
    pub fn product(&self) -> Result<&Arc<stratus_engine::Product>, ApiError> {
        self.engine
            .product(&self.caller.product)
            .map_err(|e| self.engine_error(e))
    }

    /// Maps an engine error raised by this call.
    pub fn engine_error(&self, e: stratus_engine::EngineError) -> ApiError {
        errors::to_api(&e, Some(self.action))
    }

    /// A fault rule for this action answers at once with `ServiceUnavailable`
    /// and the rule's message: KEC reports back-end failures when it accepts
    /// a request (seed 004).
    pub fn check_faults(&self) -> Result<(), ApiError> {
        check_faults(self.engine, &self.caller)
    }
}

/// A fault rule for `caller`'s action answers at once with
/// `ServiceUnavailable` and the rule's message.
pub fn check_faults(engine: &Engine, caller: &Caller) -> Result<(), ApiError> {
    match engine.faults().decide(&caller.product, &caller.action) {
        Some(message) => Err(Code::ServiceUnavailable.message(message)),
        None => Ok(()),
    }
}

/// Who signed a request, and where it is for.
struct Signed {
    account: String,
    region: Option<String>,
    /// The SigV4 scope's service, if signed that way.
    service: Option<String>,
}

impl KingsoftDialect {
    /// The dialect over `engine`, with the Kingsoft facts of the catalog;
    /// facts that do not parse stop the server instead of serving nothing.
    pub fn new(engine: Arc<Engine>) -> Result<Self, CatalogError> {
        Ok(Self {
            engine,
            facts: Arc::new(profile::facts()?),
        })
    }

    /// Serves one request.
    pub async fn handle(&self, req: &RawRequest) -> Response {
        let mut seen = Outcome::of("kingsoft");
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
            return Err(Code::InvalidAction.message("Only GET and POST are supported."));
        }
        let pairs = params::decode(
            &req.method,
            req.header("content-type"),
            &req.query,
            &req.body,
        )
        .map_err(|e| params::limit_error(&e))?;
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let signed = self.authenticate(req, &pairs)?;
        let action = get("Action")
            .or_else(|| req.header("x-action").map(str::to_string))
            .ok_or_else(|| missing("Action"))?;
        let version = get("Version")
            .or_else(|| req.header("x-version").map(str::to_string))
            .ok_or_else(|| missing("Version"))?;
        let service_parameter = get("Service");
        let named = match (&signed.service, &service_parameter) {
            (Some(scope), _) => Some((scope.as_str(), Naming::Scope)),
            (None, Some(parameter)) => Some((parameter.as_str(), Naming::Parameter)),
            (None, None) => None,
        };
        let service = Service::resolve(named, &version)?;
        seen.product = match service {
            Service::Kec => "kec",
            Service::Vpc => "vpc",
            Service::Sks => "sks",
        }
        .to_string();
        seen.action = action.clone();
        let region = signed
            .region
            .or_else(|| get("Region"))
            .filter(|r| !r.is_empty())
            .ok_or_else(|| missing("Region"))?;
        let product = self
            .engine
            .product(profile::PRODUCT)
            .map_err(|e| ApiError::internal(&e))?;
        if product.catalog.region(&region).is_none() {
            return Err(Code::RegionNotConfigured.err());
        }
        let caller = Caller {
            account: signed.account,
            product: profile::PRODUCT.to_string(),
            region,
            request_id: req.request_id.clone(),
            action: action.clone(),
        };
        self.engine
            .admit(&caller)
            .await
            .map_err(|e| errors::to_api(&e, None))?;
        let action = Action::parse(service, &action).ok_or_else(|| {
            Code::InvalidAction.message(format!(
                "The action {action} is not valid for version {version}."
            ))
        })?;
        let call = Call {
            engine: &self.engine,
            facts: &self.facts,
            caller,
            action,
            params: Params::from_pairs(&pairs),
            user_agent: req.header("user-agent").unwrap_or_default().to_string(),
        };
        dispatch(&call).await
    }

    /// Verifies the request's signature: SigV4 if an `Authorization` header
    /// is present, else the legacy `Signature` parameter.
    fn authenticate(
        &self,
        req: &RawRequest,
        pairs: &[(String, String)],
    ) -> Result<Signed, ApiError> {
        if let Some(authorization) = req.header("authorization") {
            return self.authenticate_sigv4(req, authorization);
        }
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let Some(signature) = get("Signature") else {
            return Err(Code::MissingAuthenticationToken.err());
        };
        let access_key = get("Accesskey")
            .or_else(|| get("AccessKey"))
            .ok_or_else(|| missing("Accesskey"))?;
        let timestamp = get("Timestamp").ok_or_else(|| missing("Timestamp"))?;
        let ts =
            signature::parse_iso_seconds(&timestamp).ok_or_else(|| errors::invalid("Timestamp"))?;
        self.check_time(ts)?;
        let (account, secret) = self.lookup(&access_key)?;
        signature::verify_legacy(&secret, pairs, &signature).map_err(auth_error)?;
        Ok(Signed {
            account,
            region: get("Region"),
            service: None,
        })
    }

    fn authenticate_sigv4(
        &self,
        req: &RawRequest,
        authorization: &str,
    ) -> Result<Signed, ApiError> {
        let auth = signature::parse_authorization(authorization).map_err(auth_error)?;
        let amz_date = req.header("x-amz-date").ok_or_else(|| {
            Code::MissingAuthenticationToken.message("x-amz-date not in Http Header.")
        })?;
        if req.header("host").is_none() {
            return Err(
                Code::MissingAuthenticationToken.message("Request is missing 'Host' header.")
            );
        }
        let ts = signature::parse_amz_date(amz_date).ok_or_else(|| {
            Code::IncompleteSignature.message("X-Amz-Date is not YYYYMMDD'T'HHMMSS'Z'.")
        })?;
        self.check_time(ts)?;
        let (account, secret) = self.lookup(&auth.access_key)?;
        let input = SigV4Input {
            method: &req.method,
            path: &req.path,
            query: &req.query,
            headers: &req.headers,
            body: &req.body,
            amz_date,
        };
        signature::verify_sigv4(&secret, &auth, &input).map_err(auth_error)?;
        Ok(Signed {
            account,
            region: Some(auth.region),
            service: Some(auth.service),
        })
    }

    fn check_time(&self, ts: i64) -> Result<(), ApiError> {
        let now = self.engine.clock().now().unix_seconds();
        if crate::request::outside_window(now, ts, SIGNATURE_WINDOW_SECONDS) {
            return Err(auth_error(SignatureError::Expired));
        }
        Ok(())
    }

    fn lookup(&self, access_key: &str) -> Result<(String, String), ApiError> {
        self.engine
            .accounts()
            .by_key_id(SCHEME, access_key)
            .map(|p| (p.account.name.clone(), p.credential.secret.clone()))
            .ok_or_else(|| Code::InvalidAccessKeyId.err())
    }
}

/// Serves one typed action.
async fn dispatch(call: &Call<'_>) -> Result<Fields, ApiError> {
    use instances::Power;
    match call.action {
        Action::Kec(a) => match a {
            KecAction::DescribeRegions => offerings::describe_regions(call),
            KecAction::DescribeAvailabilityZones => offerings::describe_zones(call),
            KecAction::DescribeImages => offerings::describe_images(call),
            KecAction::RunInstances => instances::run(call).await,
            KecAction::DescribeInstances => instances::describe(call).await,
            KecAction::StartInstances => instances::power(call, Power::Start).await,
            KecAction::StopInstances => instances::power(call, Power::Stop).await,
            KecAction::RebootInstances => instances::power(call, Power::Reboot).await,
            KecAction::TerminateInstances => instances::terminate(call).await,
            KecAction::ModifyInstanceImage => reinstall::modify_instance_image(call).await,
        },
        Action::Vpc(a) => match a {
            VpcAction::DescribeVpcs => vpc::describe_vpcs(call).await,
            VpcAction::DescribeSubnets => vpc::describe_subnets(call).await,
            VpcAction::DescribeSecurityGroups => vpc::describe_security_groups(call).await,
            VpcAction::CreateVpc => vpc::create_vpc(call).await,
            VpcAction::CreateSubnet => vpc::create_subnet(call).await,
            VpcAction::CreateSecurityGroup => vpc::create_security_group(call).await,
            VpcAction::DeleteVpc => vpc::delete_vpc(call).await,
            VpcAction::DeleteSubnet => vpc::delete_subnet(call).await,
            VpcAction::DeleteSecurityGroup => vpc::delete_security_group(call).await,
        },
        Action::Sks(a) => match a {
            SksAction::CreateKey => keys::create(call).await,
            SksAction::ImportKey => keys::import(call).await,
            SksAction::DescribeKeys => keys::describe(call).await,
            SksAction::DeleteKey => keys::delete(call).await,
        },
    }
}

impl Dialect for KingsoftDialect {
    fn recognise(&self, head: &Head<'_>) -> Claim {
        Claim::certain_if(recognises(head))
    }

    fn serve<'a>(&'a self, req: &'a RawRequest) -> Serving<'a> {
        Box::pin(self.handle(req))
    }

    fn refuse(&self, req: &RawRequest, refusal: &Refusal) -> Response {
        let e = match refusal {
            Refusal::Limit(e) => params::limit_error(e),
            body => Code::InvalidParameter.message(body.message()),
        };
        envelope::error(&req.request_id, &e)
    }
}

fn auth_error(e: SignatureError) -> ApiError {
    match e {
        SignatureError::Incomplete => Code::IncompleteSignature.err(),
        SignatureError::Expired => Code::RequestExpired.err(),
        SignatureError::Mismatch => Code::SignatureDoesNotMatch.err(),
        SignatureError::PayloadHashMismatch => Code::SignatureDoesNotMatch
            .message("The x-amz-content-sha256 header does not match the request body."),
        SignatureError::HostNotSigned => Code::SignatureDoesNotMatch.message(e.to_string()),
    }
}

/// A parameter that cannot be read: unknown ones are `InvalidParameter`,
/// malformed ones `InvalidParameterValue`.
pub fn param_error(e: ParamError) -> ApiError {
    match e {
        ParamError::Unknown(name) => {
            Code::InvalidParameter.message(format!("The parameter {name} is not recognized."))
        }
        ParamError::Malformed(..) => errors::invalid(e.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kec_and_vpc_share_a_version_and_are_told_apart_by_name() {
        let kec = api::KEC_VERSION;
        let resolve = |named, version| Service::resolve(named, version).map_err(|e| e.code);
        assert_eq!(resolve(None, kec), Ok(Service::Kec));
        assert_eq!(resolve(Some(("vpc", Naming::Scope)), kec), Ok(Service::Vpc));
        assert_eq!(
            resolve(Some(("vpc", Naming::Parameter)), kec),
            Ok(Service::Vpc)
        );
        assert_eq!(resolve(Some(("kec", Naming::Scope)), kec), Ok(Service::Kec));
        assert_eq!(
            resolve(Some(("sks", Naming::Scope)), kec),
            Err("SignatureDoesNotMatch".into())
        );
        assert_eq!(
            resolve(Some(("sks", Naming::Parameter)), kec),
            Err("InvalidAction".into())
        );
        assert_eq!(
            resolve(Some(("sks", Naming::Scope)), api::SKS_VERSION),
            Ok(Service::Sks)
        );
        assert_eq!(resolve(None, "2019-01-01"), Err("InvalidAction".into()));
    }
}
