//! The web console: `GET /_stratus/console` (one page, embedded in the
//! binary, plain JavaScript, no network beyond this server) and the fleet
//! it shows, `GET /_stratus/fleet`: every live instance of every account
//! and product, with the vendor's state name beside the engine's.

use super::error;
use crate::client::{Answer, Service, Signer};
use crate::dialect::{Dialect, Head};
use crate::request::{RawRequest, Response};
use bytes::Bytes;
use serde_json::{json, Value};
use std::sync::Arc;
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
    let (account_asked, instance_asked) = (req.query_value("account"), req.query_value("instance"));
    let mut rows = Vec::new();
    for account in engine.accounts().all() {
        if account_asked.as_deref().is_some_and(|a| a != account.name) {
            continue;
        }
        // One instance of a known account (what a live update asks) is one
        // lookup, not a listing of the account.
        let instances = match (account_asked.as_deref(), instance_asked.as_deref()) {
            (Some(_), Some(id)) => match engine.inspect(&account.name, id).await {
                Ok(i) => vec![Arc::new(i)],
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
            .filter(|i| instance_asked.as_deref().is_none_or(|id| id == i.id))
        {
            let mut r = row(&account.name, i);
            // A running operation says when it is due to end.
            if let Some(op) = i
                .latest_operation
                .as_ref()
                .filter(|o| o.state == stratus_engine::model::OperationState::Operating)
            {
                if let Ok(Some(op)) = engine.operation(&op.operation_id.to_string()).await {
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

/// The vendor call a console action on `i` is: the service, the action
/// and its parameters, as the vendor's own client would send them
/// (Lighthouse retires through its recycle bin in two actions; a reset
/// keeps the current image unless another is given).
fn vendor_call(i: &Instance, ask: &ActionRequest) -> Option<(Service, &'static str, Value)> {
    let service = service_of(i)?;
    let image = ask
        .image_id
        .as_deref()
        .filter(|given| !given.is_empty())
        .unwrap_or(&i.image_id);
    let password = ask.password.as_deref().filter(|p| !p.is_empty());
    let id = &i.id;
    let batch = |action: &'static str| {
        let ids = match service {
            Service::Zec => json!({ "instanceIds": [id] }),
            Service::Kec => json!({ "InstanceId": [id] }),
            Service::Lighthouse | Service::Cvm => json!({ "InstanceIds": [id] }),
        };
        (service, action, ids)
    };
    Some(match (service, ask.action.as_str()) {
        (_, "start") => batch("StartInstances"),
        (_, "stop") => batch("StopInstances"),
        (_, "reboot") => batch("RebootInstances"),
        (Service::Lighthouse, "terminate") if i.state != LifecycleState::Isolated => {
            batch("IsolateInstances")
        }
        (Service::Zec, "terminate") => batch("ReleaseInstances"),
        (_, "terminate") => batch("TerminateInstances"),
        (Service::Lighthouse, "reset") => {
            let mut p = json!({ "InstanceId": id, "BlueprintId": image });
            if let Some(pw) = password {
                p["LoginConfiguration"] = json!({ "AutoGeneratePassword": "NO", "Password": pw });
            }
            (service, "ResetInstance", p)
        }
        (Service::Cvm, "reset") => {
            let mut p = json!({ "InstanceId": id, "ImageId": image });
            if let Some(pw) = password {
                p["LoginSettings"] = json!({ "Password": pw });
            }
            (service, "ResetInstance", p)
        }
        (Service::Zec, "reset") => {
            let mut p = json!({ "instanceId": id, "imageId": image });
            if let Some(pw) = password {
                p["password"] = json!(pw);
            }
            (service, "ResetInstance", p)
        }
        (Service::Kec, "reset") => {
            let mut p = json!({ "InstanceId": id, "ImageId": image });
            if let Some(pw) = password {
                p["InstancePassword"] = json!(pw);
            }
            (service, "ModifyInstanceImage", p)
        }
        _ => return None,
    })
}

/// The service an instance's product speaks, if a console can call it.
fn service_of(i: &Instance) -> Option<Service> {
    Some(match &*i.product {
        crate::tencent::lighthouse::PRODUCT => Service::Lighthouse,
        crate::tencent::cvm::PRODUCT => Service::Cvm,
        crate::zenlayer::profile::PRODUCT => Service::Zec,
        crate::kingsoft::profile::PRODUCT => Service::Kec,
        _ => return None,
    })
}

/// The instance `account` owns, or the admin API's answer.
async fn owned(engine: &Engine, account: &str, id: &str) -> Result<Instance, Response> {
    match engine.inspect(account, id).await {
        Ok(i) => Ok(i),
        Err(stratus_engine::EngineError::InstanceNotFound(_)) => {
            Err(error(404, "no such instance in that account"))
        }
        Err(e) => Err(error(503, &format!("the store cannot be read: {e}"))),
    }
}

/// Sends `action` with `params` about `instance` as its vendor's client
/// would: signed with the owner's credential, served by the dialect that
/// claims it (and counted in the metrics like any request).
async fn send(
    engine: &Engine,
    vendors: &[Arc<dyn Dialect>],
    instance: &Instance,
    service: Service,
    action: &str,
    params: &Value,
) -> Result<Answer, Response> {
    let credential = engine
        .accounts()
        .all()
        .iter()
        .find(|a| a.name == *instance.account)
        .and_then(|a| a.credentials.iter().find(|c| c.scheme == service.scheme()));
    let Some(credential) = credential else {
        return Err(error(
            409,
            &format!(
                "the account has no {} credential to act with",
                service.scheme()
            ),
        ));
    };
    let signer = Signer {
        key_id: credential.key_id.clone(),
        secret: credential.secret.clone(),
        region: instance.region.to_string(),
    };
    let now = engine.clock().now().0 / 1000;
    let signed = service
        .sign(CONSOLE_HOST, &signer, action, service.encode(params), now)
        .map_err(|e| error(500, &format!("the request could not be signed: {e}")))?;
    let raw = RawRequest {
        method: "POST".into(),
        path: signed.path.into(),
        query: String::new(),
        headers: signed.headers.into_iter().collect(),
        body: signed.body,
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    let head = Head {
        path: &raw.path,
        headers: &raw.headers,
        query: "",
        form: if service == Service::Kec {
            &raw.body
        } else {
            b""
        },
    };
    let Some(dialect) = crate::dialect::recognise(vendors, &head) else {
        return Err(error(500, "no vendor dialect claims the console's request"));
    };
    let started = std::time::Instant::now();
    let answered = dialect.serve(&raw).await;
    if let Some(o) = &answered.outcome {
        crate::edge::record(o, started.elapsed());
    }
    Ok(service.answer(answered.status, &answered.body))
}

/// `POST /_stratus/console/actions`: an action on an instance, sent as a
/// request signed with the account's own credential through the vendor's
/// dialect, so it meets every rule an API call meets (validation, rate
/// limits, fault rules, the engine's rules) and is recorded with the
/// request id the vendor's answer carries; a refusal comes back in the
/// vendor's words.
pub async fn action(engine: &Engine, vendors: &[Arc<dyn Dialect>], req: &RawRequest) -> Response {
    if req.method != "POST" {
        return error(405, "POST");
    }
    let ask: ActionRequest = match serde_json::from_slice(&req.body) {
        Ok(a) => a,
        Err(e) => return error(400, &format!("expected {{account, instance, action}}: {e}")),
    };
    let instance = match owned(engine, &ask.account, &ask.instance).await {
        Ok(i) => i,
        Err(refused) => return refused,
    };
    let Some((service, vendor_action, params)) = vendor_call(&instance, &ask) else {
        return error(400, "the action is start, stop, reboot, reset or terminate");
    };
    let answer = match send(engine, vendors, &instance, service, vendor_action, &params).await {
        Ok(a) => a,
        Err(refused) => return refused,
    };
    let mut body = json!({"request_id": answer.request_id, "action": vendor_action});
    match answer.error {
        None => {
            body["response"] = answer.response;
            Response::json(200, "application/json", &body)
        }
        Some((code, message)) => {
            body["error"] = json!(format!("{code}: {message}"));
            body["code"] = json!(code);
            body["message"] = json!(message);
            Response::json(409, "application/json", &body)
        }
    }
}

/// `GET /_stratus/console/vendor-view?account=NAME&instance=ID`: the
/// instance as its vendor's DescribeInstances shows it, asked through the
/// dialect with the owner's credential.
pub async fn vendor_view(
    engine: &Engine,
    vendors: &[Arc<dyn Dialect>],
    req: &RawRequest,
) -> Response {
    let (Some(account), Some(id)) = (req.query_value("account"), req.query_value("instance"))
    else {
        return error(400, "expected ?account=NAME&instance=ID");
    };
    let instance = match owned(engine, &account, &id).await {
        Ok(i) => i,
        Err(refused) => return refused,
    };
    let Some(service) = service_of(&instance) else {
        return error(400, "no vendor API serves this instance's product");
    };
    let (params, set) = match service {
        Service::Lighthouse | Service::Cvm => (json!({ "InstanceIds": [id] }), "InstanceSet"),
        Service::Zec => (json!({ "instanceIds": [id] }), "dataSet"),
        Service::Kec => (json!({ "InstanceId": [id] }), "InstancesSet"),
    };
    let answer = match send(
        engine,
        vendors,
        &instance,
        service,
        "DescribeInstances",
        &params,
    )
    .await
    {
        Ok(a) => a,
        Err(refused) => return refused,
    };
    match answer.error {
        None => Response::json(
            200,
            "application/json",
            &json!({
                "request_id": answer.request_id,
                "instance": answer.response.get(set).and_then(|s| s.get(0)).cloned(),
            }),
        ),
        Some((code, message)) => error(409, &format!("{code}: {message}")),
    }
}

/// The host the console's requests name (signed, never resolved).
const CONSOLE_HOST: &str = "console.stratus.invalid";

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
