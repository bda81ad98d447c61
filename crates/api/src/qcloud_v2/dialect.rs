//! The legacy API 2.0 pipeline: decode, authenticate (SecretId, signature,
//! timestamp, nonce), admit, dispatch to the CVM actions, encode. A request
//! that carries `Version` belongs to the API 3.0-style action set on the
//! same URL (spec §4.0) and is handed to the Tencent dialect.

use super::actions::{self, LegacyCall};
use super::envelope::{self, Code, LegacyError};
use super::signature::{check_timestamp, SignatureError};
use super::{LegacyRequest, CVM_HOST, IMAGE_HOST};
use crate::dialect::{Claim, Dialect, Head, Refusal, Serving};
use crate::request::{Outcome, RawRequest, Response};
use crate::tencent::{self, TencentDialect};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use stratus_engine::{Caller, Engine, EngineError};

/// Largest distance between `Timestamp` and now (the newer documents' 5 minutes).
const WINDOW_SECONDS: i64 = 300;

/// Legacy short region codes and the regions they name.
const REGION_CODES: [(&str, &str); 6] = [
    ("gz", "ap-guangzhou"),
    ("sh", "ap-shanghai"),
    ("bj", "ap-beijing"),
    ("hk", "ap-hongkong"),
    ("sg", "ap-singapore"),
    ("usw", "na-siliconvalley"),
];

/// The dialect, with the nonces seen inside the time window, and the API
/// 3.0 dialect that serves the versioned requests on the same URL.
pub struct QcloudV2Dialect {
    engine: Arc<Engine>,
    api3: Arc<TencentDialect>,
    nonces: Mutex<HashMap<(String, u64), i64>>,
}

impl QcloudV2Dialect {
    /// The dialect over `engine`.
    pub fn new(engine: Arc<Engine>, api3: Arc<TencentDialect>) -> Self {
        Self {
            engine,
            api3,
            nonces: Mutex::new(HashMap::new()),
        }
    }

    /// Serves one request on `/v2/index.php`.
    pub async fn handle(&self, raw: &RawRequest) -> Response {
        let request = match LegacyRequest::decode(raw) {
            Ok(r) => r,
            Err(e) => return envelope::error(&e.into()),
        };
        if !request.common.is_legacy() {
            return self.api3.handle(raw).await;
        }
        let mut seen = Outcome::of("qcloud_v2");
        seen.product = crate::tencent::cvm::PRODUCT.to_string();
        seen.action = request.common.action().unwrap_or_default().to_string();
        match self.process(&request).await {
            Ok(response) => response.with_outcome(seen.ended(None)),
            Err(e) => {
                tracing::debug!(request_id = %raw.request_id, code = e.code.number(), "legacy request refused");
                let code = e.code.number().to_string();
                envelope::error(&e).with_outcome(seen.ended(Some(&code)))
            }
        }
    }

    async fn process(&self, request: &LegacyRequest) -> Result<Response, LegacyError> {
        let action = request.common.action()?.to_string();
        let secret_id = request.common.secret_id()?.to_string();
        let principal = self
            .engine
            .accounts()
            .by_key_id(tencent::SCHEME, &secret_id)
            .ok_or_else(|| {
                LegacyError::new(Code::SecretIdNotFound, "The SecretId does not exist.")
            })?;
        let account = principal.account.name.clone();
        let hosts: &[&str] =
            if actions::Action::from_name(&action) == Some(actions::Action::DescribeImages) {
                &[IMAGE_HOST, CVM_HOST]
            } else {
                &[CVM_HOST]
            };
        request.verify_signature(&principal.credential.secret, hosts)?;
        let timestamp = request.common.timestamp_seconds()?;
        let now = self.engine.clock().now().unix_seconds();
        check_timestamp(timestamp, now, WINDOW_SECONDS)?;
        self.check_nonce(&secret_id, request.common.nonce_value()?, now)?;
        if let Some(token) = request.common.token() {
            let declared = self
                .engine
                .accounts()
                .by_bearer_token(token)
                .is_some_and(|a| a.name == account);
            if !declared {
                return Err(LegacyError::new(
                    Code::TokenFailure,
                    "The token is invalid.",
                ));
            }
        }
        let region = region(request.common.region())?;
        let caller = Caller {
            account,
            product: crate::tencent::cvm::PRODUCT.to_string(),
            region,
            request_id: uuid::Uuid::new_v4().to_string(),
            action,
        };
        self.engine.admit(&caller).await.map_err(|e| match e {
            EngineError::RateLimited => LegacyError::new(
                Code::QuotaExceeded,
                "The request frequency limit was exceeded.",
            ),
            injected @ EngineError::Injected { .. } => actions::legacy_error(injected),
            other => LegacyError::internal(&other),
        })?;
        // The rate limit counts every signed request, served or not.
        let typed = actions::parse_action(&caller.action)?;
        let call = LegacyCall {
            engine: &self.engine,
            caller,
            action: typed,
            request,
        };
        actions::dispatch(&call).await
    }

    /// A nonce may be used once per SecretId inside the time window.
    fn check_nonce(&self, secret_id: &str, nonce: u64, now: i64) -> Result<(), LegacyError> {
        let mut seen = match self.nonces.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        seen.retain(|_, at| now - *at <= WINDOW_SECONDS);
        if seen.insert((secret_id.to_string(), nonce), now).is_some() {
            return Err(SignatureError::Expired.into());
        }
        Ok(())
    }
}

impl Dialect for QcloudV2Dialect {
    fn recognise(&self, head: &Head<'_>) -> Claim {
        Claim::certain_if(super::is_legacy_path(head.path))
    }

    fn serve<'a>(&'a self, req: &'a RawRequest) -> Serving<'a> {
        Box::pin(self.handle(req))
    }

    fn refuse(&self, _req: &RawRequest, refusal: &Refusal) -> Response {
        let e = match refusal {
            Refusal::Limit(e) => LegacyError::from(super::DecodeError::from(e.clone())),
            body => LegacyError::new(Code::InvalidParameter, body.message()),
        };
        envelope::error(&e)
    }
}

/// The region a request names, long or legacy short form; required.
fn region(given: Option<&str>) -> Result<String, LegacyError> {
    let given = given.ok_or_else(|| {
        LegacyError::new(
            Code::InvalidParameter,
            "The parameter `Region` is required.",
        )
    })?;
    let long = REGION_CODES
        .iter()
        .find(|(short, _)| *short == given)
        .map_or(given, |(_, long)| long);
    if REGION_CODES.iter().any(|(_, l)| *l == long) {
        Ok(long.to_string())
    } else {
        Err(LegacyError::new(
            Code::InvalidParameter,
            format!("The region `{given}` is not supported."),
        ))
    }
}
