//! The web console: `GET /_stratus/console` (one page, embedded in the
//! binary, plain JavaScript, no network beyond this server) and the fleet
//! it shows, `GET /_stratus/fleet`: every live instance of every account
//! and product, with the vendor's state name beside the engine's.

use super::error;
use crate::request::{RawRequest, Response};
use bytes::Bytes;
use serde_json::{json, Value};
use stratus_engine::events::upper;
use stratus_engine::lifecycle::LifecycleState;
use stratus_engine::model::Instance;
use stratus_engine::Engine;

/// The page.
const PAGE: &str = include_str!("console.html");

/// `GET /_stratus/console`.
pub fn page() -> Response {
    Response {
        status: 200,
        content_type: "text/html; charset=utf-8",
        headers: vec![("cache-control", "no-cache".to_string())],
        body: Bytes::from_static(PAGE.as_bytes()),
        stream: None,
        outcome: None,
    }
}

/// The vendor and the vendor's name for `state` in `product`.
fn vendor_state(product: &str, state: LifecycleState) -> (&'static str, &'static str) {
    match product {
        crate::tencent::lighthouse::PRODUCT | crate::tencent::cvm::PRODUCT => {
            ("tencent", crate::tencent::states::state_name(state))
        }
        crate::zenlayer::profile::PRODUCT => {
            ("zenlayer", crate::zenlayer::profile::state_name(state))
        }
        crate::kingsoft::profile::PRODUCT => {
            ("kingsoft", crate::kingsoft::profile::state_name(state))
        }
        _ => ("", ""),
    }
}

fn row(account: &str, i: &Instance) -> Value {
    let (vendor, vendor_state) = vendor_state(&i.product, i.state);
    json!({
        "account": account,
        "vendor": vendor,
        "product": i.product,
        "id": i.id,
        "name": i.name,
        "region": i.region,
        "zone": i.zone,
        "state": upper(&i.state),
        "vendor_state": vendor_state,
        "created_at": i.created_at.0,
        "tags": i.tags.iter().map(|t| format!("{}={}", t.key, t.value)).collect::<Vec<_>>(),
        "operation": i.latest_operation.as_ref().map(|o| json!({
            "id": o.operation_id,
            "action": o.action,
            "state": upper(&o.state),
        })),
    })
}

/// `GET /_stratus/fleet[?account=NAME][&instance=ID]`: the live instances,
/// newest first.
pub async fn fleet(engine: &Engine, req: &RawRequest) -> Response {
    let pairs = req.query_pairs();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let mut rows = Vec::new();
    for account in engine.accounts().all() {
        if get("account").is_some_and(|a| a != account.name) {
            continue;
        }
        // One instance of a known account (what a live update asks) is one
        // lookup, not a listing of the account.
        let instances = match (get("account"), get("instance")) {
            (Some(_), Some(id)) => match engine.inspect(&account.name, id).await {
                Ok(i) => vec![i],
                Err(stratus_engine::EngineError::InstanceNotFound(_)) => Vec::new(),
                Err(e) => return error(503, &format!("the store cannot be read: {e}")),
            },
            _ => match engine.instances(&account.name).await {
                Ok(list) => list,
                Err(e) => return error(503, &format!("the store cannot be read: {e}")),
            },
        };
        for i in instances
            .iter()
            .filter(|i| i.state != LifecycleState::Terminated)
            .filter(|i| get("instance").is_none_or(|id| id == i.id))
        {
            let mut r = row(&account.name, i);
            // A running operation says when it is due to end.
            if let Some(op) = i
                .latest_operation
                .as_ref()
                .filter(|o| o.state == stratus_engine::model::OperationState::Operating)
            {
                if let Ok(Some(op)) = engine.operation(&op.operation_id).await {
                    r["operation"]["deadline"] = json!(op.deadline.0);
                }
            }
            rows.push((i.created_at, r));
        }
    }
    rows.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let rows: Vec<Value> = rows.into_iter().map(|(_, r)| r).collect();
    Response::json(200, "application/json", &json!({ "instances": rows }))
}

/// What the console asks of an instance.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionRequest {
    account: String,
    instance: String,
    /// `start`, `stop`, `reboot`, `reset` or `terminate`.
    action: String,
    /// For `reset`: the new image (default: the current one) and password.
    image_id: Option<String>,
    password: Option<String>,
}

/// The vendor action a console action is, for an instance of `product` in
/// `state` (Lighthouse retires through its recycle bin in two actions).
fn vendor_action(product: &str, action: &str, state: LifecycleState) -> Option<&'static str> {
    use crate::kingsoft::profile::PRODUCT as KEC;
    use crate::tencent::lighthouse::PRODUCT as LIGHTHOUSE;
    use crate::zenlayer::profile::PRODUCT as ZEC;
    Some(match (product, action) {
        (_, "start") => "StartInstances",
        (_, "stop") => "StopInstances",
        (_, "reboot") => "RebootInstances",
        (KEC, "reset") => "ModifyInstanceImage",
        (_, "reset") => "ResetInstance",
        (LIGHTHOUSE, "terminate") if state != LifecycleState::Isolated => "IsolateInstances",
        (ZEC, "terminate") => "ReleaseInstances",
        (_, "terminate") => "TerminateInstances",
        _ => return None,
    })
}

/// The vendor's code and message for `e` raised by `action` of `product`.
fn vendor_error(product: &str, action: &str, e: &stratus_engine::EngineError) -> (String, String) {
    let words = match product {
        crate::tencent::lighthouse::PRODUCT => crate::tencent::lighthouse::vendor_error(action, e),
        crate::tencent::cvm::PRODUCT => crate::tencent::cvm::vendor_error(action, e),
        crate::zenlayer::profile::PRODUCT => crate::zenlayer::vendor_error(action, e),
        crate::kingsoft::profile::PRODUCT => crate::kingsoft::vendor_error(action, e),
        _ => None,
    };
    words.unwrap_or_else(|| ("InternalError".into(), e.to_string()))
}

/// `POST /_stratus/console/actions`: an action on an instance through the
/// engine, as the vendor's API would take it (the rate limits, the fault
/// rules at the door, the engine's rules), recorded with a request id;
/// a refusal comes back in the vendor's words.
pub async fn action(engine: &std::sync::Arc<Engine>, req: &RawRequest) -> Response {
    use stratus_engine::engine::{BatchAction, LoginRequest, ReinstallSpec};
    if req.method != "POST" {
        return error(405, "POST");
    }
    let ask: ActionRequest = match serde_json::from_slice(&req.body) {
        Ok(a) => a,
        Err(e) => return error(400, &format!("expected {{account, instance, action}}: {e}")),
    };
    let instance = match engine.instances(&ask.account).await {
        Ok(list) => list.into_iter().find(|i| i.id == ask.instance),
        Err(e) => return error(503, &format!("the store cannot be read: {e}")),
    };
    let Some(instance) = instance else {
        return error(404, "no such instance in that account");
    };
    let Some(vendor_action) = vendor_action(&instance.product, &ask.action, instance.state) else {
        return error(400, "the action is start, stop, reboot, reset or terminate");
    };
    let caller = stratus_engine::Caller {
        account: ask.account.clone(),
        product: instance.product.to_string(),
        region: instance.region.to_string(),
        request_id: uuid::Uuid::new_v4().to_string(),
        action: vendor_action.to_string(),
    };
    let ids = std::slice::from_ref(&instance.id);
    let done = match engine.admit(&caller).await {
        Err(e) => Err(e),
        Ok(()) => match ask.action.as_str() {
            "reset" => engine
                .reinstall(
                    &caller,
                    &instance.id,
                    ReinstallSpec {
                        image_id: ask.image_id.filter(|i| !i.is_empty()),
                        login: LoginRequest {
                            password: ask.password.filter(|p| !p.is_empty()),
                            ..LoginRequest::default()
                        },
                        ..ReinstallSpec::default()
                    },
                )
                .await
                .map(|op| vec![op]),
            other => {
                let batch = match (other, vendor_action) {
                    ("start", _) => BatchAction::Start,
                    ("stop", _) => BatchAction::Stop {
                        hard: false,
                        stop_charging: false,
                    },
                    ("reboot", _) => BatchAction::Reboot { hard: false },
                    (_, "IsolateInstances") => BatchAction::Isolate,
                    _ => BatchAction::Terminate,
                };
                engine.batch(&caller, batch, ids).await
            }
        },
    };
    match done {
        Ok(operations) => Response::json(
            200,
            "application/json",
            &json!({"request_id": caller.request_id, "action": vendor_action, "operations": operations}),
        ),
        Err(e) => {
            let (code, message) = vendor_error(&instance.product, vendor_action, &e);
            Response::json(
                409,
                "application/json",
                &json!({"request_id": caller.request_id, "action": vendor_action,
                        "error": format!("{code}: {message}"), "code": code, "message": message}),
            )
        }
    }
}

/// `GET /_stratus/state`: every record as a state snapshot (docs/STATE.md);
/// `PUT /_stratus/state` with one: replaces every record with its.
pub async fn state(engine: &std::sync::Arc<Engine>, req: &RawRequest) -> Response {
    match req.method.as_str() {
        "GET" => match engine.export_state().await {
            Ok(snapshot) => {
                let mut r = Response::json(200, "application/json", &json!(snapshot));
                r.headers.push((
                    "content-disposition",
                    "attachment; filename=\"stratus-state.json\"".to_string(),
                ));
                r
            }
            Err(e) => error(503, &format!("the store cannot be read: {e}")),
        },
        "PUT" => {
            let text = String::from_utf8_lossy(&req.body);
            let snapshot = match stratus_engine::state::Snapshot::parse(&text) {
                Ok(s) => s,
                Err(e) => return error(400, &e.to_string()),
            };
            match engine.import_state(snapshot).await {
                Ok(records) => {
                    Response::json(200, "application/json", &json!({ "imported": records }))
                }
                Err(stratus_engine::EngineError::NotOffered) => error(
                    409,
                    "this driver runs real machines; their records cannot be replaced",
                ),
                Err(e) => error(503, &format!("the store cannot be written: {e}")),
            }
        }
        _ => error(405, "GET or PUT"),
    }
}
