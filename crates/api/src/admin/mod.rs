//! Stratus's own endpoints, beside the vendor dialects:
//! `GET /_stratus/health`, `GET /_stratus/messages?account=NAME`, and the
//! fault rules: `GET`, `PUT` (a JSON array replaces them) and `DELETE`
//! `/_stratus/faults`; and a look inside an instance, as its owner's
//! machine would see it: `GET /_stratus/instances/ID?account=NAME` (disks,
//! snapshots), `POST .../snapshots` (take a snapshot of the system disk),
//! `POST .../login` with `{"password": ...}` (would that password log in?),
//! `GET .../console` (the end of its serial console, under the QEMU driver).
//! For audits (the crash tests use them): `GET /_stratus/instances?account=NAME`
//! (every instance's state and latest operation) and
//! `GET /_stratus/operations?account=NAME` (every operation, oldest first).
//! `GET /_stratus/events` streams every committed change as Server-Sent
//! Events ([`events`]).
//! With an admin token set, every endpoint but the health check needs it.

mod console;
mod events;
mod time;

use crate::dialect::{Claim, Dialect, Head, Refusal, Serving};
use crate::request::{RawRequest, Response};
use serde_json::json;
use std::sync::Arc;
use stratus_engine::faults::FaultRule;
use stratus_engine::Engine;

/// The admin API, as the edge serves it: `/_stratus/*`, behind the token.
pub struct AdminApi {
    engine: Arc<Engine>,
    token: Option<String>,
    /// The vendor dialects, which the console's actions go through.
    vendors: Vec<Arc<dyn Dialect>>,
}

impl AdminApi {
    /// The admin API over `engine`, requiring `token` when one is set; the
    /// console acts through `vendors`.
    pub fn new(engine: Arc<Engine>, token: Option<String>, vendors: Vec<Arc<dyn Dialect>>) -> Self {
        Self {
            engine,
            token,
            vendors,
        }
    }
}

impl Dialect for AdminApi {
    fn recognise(&self, head: &Head<'_>) -> Claim {
        Claim::certain_if(head.path.starts_with("/_stratus/") || head.path == "/metrics")
    }

    fn serve<'a>(&'a self, req: &'a RawRequest) -> Serving<'a> {
        Box::pin(async move {
            match authorize(self.token.as_deref(), req) {
                Err(refused) => refused,
                Ok(()) if req.path == "/_stratus/events" && req.method == "GET" => {
                    events::stream(&self.engine, req).await
                }
                Ok(()) if req.path == "/_stratus/state" => console::state(&self.engine, req).await,
                Ok(()) if req.path == "/_stratus/console/actions" => {
                    console::action(&self.engine, &self.vendors, req).await
                }
                Ok(()) if req.path == "/_stratus/console/vendor-view" && req.method == "GET" => {
                    console::vendor_view(&self.engine, &self.vendors, req).await
                }
                Ok(()) if req.path == "/metrics" && req.method == "GET" => {
                    metrics(&self.engine).await
                }
                Ok(()) => handle(&self.engine, req).await,
            }
        })
    }

    fn refuse(&self, _req: &RawRequest, refusal: &Refusal) -> Response {
        refusal_error(refusal)
    }
}

/// The health check alone: what the vendors' port answers of the admin
/// API when the admin API has a listener of its own (`serve
/// --admin-listen`), since load balancers probe the port they send to.
pub struct HealthCheck;

impl Dialect for HealthCheck {
    fn recognise(&self, head: &Head<'_>) -> Claim {
        Claim::certain_if(head.path == "/_stratus/health")
    }

    fn serve<'a>(&'a self, req: &'a RawRequest) -> Serving<'a> {
        Box::pin(async move {
            match req.method.as_str() {
                "GET" => health(),
                _ => error(405, "only GET is supported here"),
            }
        })
    }

    fn refuse(&self, _req: &RawRequest, refusal: &Refusal) -> Response {
        refusal_error(refusal)
    }
}

/// `GET /_stratus/health`: up, and which version.
fn health() -> Response {
    Response::json(
        200,
        "application/json",
        &json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }),
    )
}

/// `POST /_stratus/reset[?account=NAME]`: deletes every record of the
/// account, or of every account.
async fn reset(engine: &Engine, req: &RawRequest) -> Response {
    if req.method != "POST" {
        return error(405, "POST");
    }
    let account = req
        .query_pairs()
        .into_iter()
        .find(|(k, _)| k == "account")
        .map(|(_, v)| v);
    match engine.reset(account.as_deref()).await {
        Ok(()) => Response::json(
            200,
            "application/json",
            &json!({"reset": account.as_deref().unwrap_or("everything")}),
        ),
        Err(stratus_engine::EngineError::NotOffered) => error(
            409,
            "this driver runs real machines; terminate them through the API instead",
        ),
        Err(e) => error(503, &format!("the store cannot be written: {e}")),
    }
}

/// `GET /metrics`: every counter and histogram of this process, and the
/// gauges measured now, in the Prometheus text format 0.0.4.
async fn metrics(engine: &Engine) -> Response {
    let gauges = match engine.gauges().await {
        Ok(g) => g,
        Err(e) => return error(503, &format!("the store cannot be read: {e}")),
    };
    let text = stratus_engine::metrics::registry().render(&gauges);
    Response {
        status: 200,
        content_type: "text/plain; version=0.0.4",
        headers: Vec::new(),
        body: bytes::Bytes::from(text),
        stream: None,
        outcome: None,
    }
}

/// A refusal of the edge as a plain JSON error (the admin API's, and the
/// answer to a request no dialect claims).
pub fn refusal_error(refusal: &Refusal) -> Response {
    match refusal {
        Refusal::Limit(e) => error(431, &e.to_string()),
        Refusal::BodyTooLarge => error(413, "the request body is too large"),
        Refusal::BodyUnreadable => error(400, "the request body could not be read"),
        Refusal::BodyTimedOut => error(408, "the request body was not received in time"),
    }
}

/// Lets an admin request through if no token is set, or if it carries the
/// token as `Authorization: Bearer …` (compared in constant time). The
/// health check stays open: a liveness probe carries no secret, and it
/// tells nothing but that the server is up.
pub fn authorize(token: Option<&str>, req: &RawRequest) -> Result<(), Response> {
    let Some(token) = token else {
        return Ok(());
    };
    if req.path == "/_stratus/health" {
        return Ok(());
    }
    // Or `?access_token=` (RFC 6750): a browser's EventSource and the
    // console's own page cannot send a header.
    let query = req.query_pairs();
    let given = req
        .header("authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
        .or_else(|| {
            query
                .iter()
                .find(|(k, _)| k == "access_token")
                .map(|(_, v)| v.as_str())
        })
        .unwrap_or_default();
    if bool::from(subtle::ConstantTimeEq::ct_eq(
        given.as_bytes(),
        token.as_bytes(),
    )) {
        Ok(())
    } else {
        Err(Response::json(
            401,
            "application/json",
            &json!({ "error": "the admin API needs `Authorization: Bearer <admin token>`" }),
        ))
    }
}

/// A JSON error from the admin API.
pub fn error(status: u16, message: &str) -> Response {
    Response::json(status, "application/json", &json!({ "error": message }))
}

/// Serves an admin request.
pub async fn handle(engine: &Engine, req: &RawRequest) -> Response {
    if req.path == "/_stratus/faults" {
        return faults(engine, req).await;
    }
    if req.path == "/_stratus/reset" {
        return reset(engine, req).await;
    }
    if req.path == "/_stratus/speed" {
        return time::speed(engine, req);
    }
    if req.path == "/_stratus/operations/complete" {
        return time::complete(engine, req, None);
    }
    if let Some(id) = req
        .path
        .strip_prefix("/_stratus/operations/")
        .and_then(|rest| rest.strip_suffix("/complete"))
    {
        return time::complete(engine, req, Some(id));
    }
    if let Some(rest) = req.path.strip_prefix("/_stratus/instances/") {
        return instance(engine, req, rest).await;
    }
    if req.method != "GET" {
        return error(405, "only GET is supported here");
    }
    match req.path.as_str() {
        "/_stratus/console" => console::page(),
        "/_stratus/fleet" => console::fleet(engine, req).await,
        "/_stratus/health" => health(),
        "/_stratus/messages" => messages(engine, req).await,
        "/_stratus/instances" => instances(engine, req).await,
        "/_stratus/operations" => operations(engine, req).await,
        _ => error(404, "no such endpoint"),
    }
}

async fn messages(engine: &Engine, req: &RawRequest) -> Response {
    let account = match account_of(engine, req) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match engine.messages(&account).await {
        Ok(list) => {
            let messages: Vec<_> = list
                .iter()
                .map(|m| {
                    json!({
                        "id": m.id,
                        "kind": "password",
                        "instance_id": m.instance_id,
                        "password": m.password,
                        "subject": m.subject,
                        "body": m.body,
                        "created_at": m.created_at.iso8601(),
                    })
                })
                .collect();
            Response::json(
                200,
                "application/json",
                &json!({ "account": account, "messages": messages }),
            )
        }
        Err(e) => error(500, &e.to_string()),
    }
}

async fn instances(engine: &Engine, req: &RawRequest) -> Response {
    let account = match account_of(engine, req) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match engine.instances(&account).await {
        Ok(list) => {
            let instances: Vec<_> = list
                .iter()
                .map(|i| {
                    json!({
                        "id": i.id,
                        "product": i.product,
                        "state": i.state,
                        "version": i.version,
                        "latest_operation": i.latest_operation.as_ref().map(|o| json!({
                            "operation_id": o.operation_id,
                            "state": o.state,
                        })),
                    })
                })
                .collect();
            Response::json(
                200,
                "application/json",
                &json!({ "account": account, "instances": instances }),
            )
        }
        Err(e) => error(500, &e.to_string()),
    }
}

async fn operations(engine: &Engine, req: &RawRequest) -> Response {
    let account = match account_of(engine, req) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match engine.operations(&account).await {
        Ok(list) => {
            let operations: Vec<_> = list
                .iter()
                .map(|o| {
                    json!({
                        "id": o.id,
                        "instance_id": o.instance_id,
                        "kind": o.kind,
                        "action": o.action,
                        "request_id": o.request_id,
                        "state": o.state,
                        "source_state": o.source_state,
                        "started_at": o.started_at.0,
                        "deadline": o.deadline.0,
                        "finished_at": o.finished_at.map(|t| t.0),
                        "version": o.version,
                    })
                })
                .collect();
            Response::json(
                200,
                "application/json",
                &json!({ "account": account, "operations": operations }),
            )
        }
        Err(e) => error(500, &e.to_string()),
    }
}

async fn faults(engine: &Engine, req: &RawRequest) -> Response {
    let replaced = match req.method.as_str() {
        "GET" => None,
        "PUT" | "POST" => match serde_json::from_slice::<Vec<FaultRule>>(&req.body) {
            Ok(rules) => Some(rules),
            Err(e) => return error(400, &format!("expected a JSON array of fault rules: {e}")),
        },
        "DELETE" => Some(Vec::new()),
        _ => return error(405, "use GET, PUT or DELETE"),
    };
    if let Some(rules) = replaced {
        if let Err(e) = engine.set_fault_rules(rules).await {
            return error(503, &format!("the rules cannot be saved: {e}"));
        }
    }
    Response::json(
        200,
        "application/json",
        &json!({ "faults": engine.faults().list() }),
    )
}

fn account_of(engine: &Engine, req: &RawRequest) -> Result<String, Response> {
    let account = req
        .query_pairs()
        .into_iter()
        .find(|(k, _)| k == "account")
        .map(|(_, v)| v)
        .or_else(|| engine.accounts().all().first().map(|a| a.name.clone()))
        .unwrap_or_default();
    if engine.accounts().by_name(&account).is_none() {
        return Err(error(404, "no such account"));
    }
    Ok(account)
}

async fn instance(engine: &Engine, req: &RawRequest, rest: &str) -> Response {
    let account = match account_of(engine, req) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (id, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let outcome = match (req.method.as_str(), tail) {
        ("GET", "") => engine.inspect(&account, id).await.map(|i| {
            json!({
                "id": i.id,
                "product": i.product,
                "image_id": i.image_id,
                "system_disk": {
                    "id": i.system_disk.id,
                    "size_gb": i.system_disk.size_gb,
                    "generation": i.system_disk.generation,
                },
                "snapshots": i.snapshots.iter().map(|s| json!({
                    "id": s.id,
                    "disk_id": s.disk_id,
                    "usable_for_rollback": s.usable_for_rollback,
                })).collect::<Vec<_>>(),
                "has_password": i.login.password_hash.is_some(),
                "key_ids": i.login.key_ids,
                "state": i.state,
                // Under a driver with real machines: how to reach this one.
                "ssh": i.machine.as_ref().and_then(|m| m.ssh.as_ref())
                    .map(|e| json!({"host": e.host, "port": e.port})),
                "pid": i.machine.as_ref().and_then(|m| m.pid),
                "serial_log": i.machine.as_ref().and_then(|m| m.console_log.as_ref()),
                "machine": i.machine.as_ref().map(|m| json!({
                    "node": m.node,
                    "disk": m.disk_path,
                    "disk_bytes": m.disk_bytes,
                    "boots": m.boots,
                    "stopped_reason": m.stopped_reason,
                })),
            })
        }),
        ("GET", "console") => match engine.console(&account, id, 64 * 1024).await {
            Ok(Some(text)) => {
                return Response::json(
                    200,
                    "application/json",
                    &json!({ "id": id, "console": text }),
                )
            }
            Ok(None) => return error(404, "this instance has no console on this node"),
            Err(e) => Err(e),
        },
        ("POST", "snapshots") => engine
            .take_snapshot(&account, id)
            .await
            .map(|s| json!({"id": s.id, "disk_id": s.disk_id, "usable_for_rollback": s.usable_for_rollback})),
        ("POST", "login") => {
            let password = serde_json::from_slice::<serde_json::Value>(&req.body)
                .ok()
                .and_then(|v| v.get("password").and_then(|p| p.as_str().map(str::to_string)));
            let Some(password) = password else {
                return error(400, "expected {\"password\": \"...\"}");
            };
            engine.password_opens(&account, id, &password).await.map(|ok| json!({ "ok": ok }))
        }
        _ => return error(404, "no such endpoint"),
    };
    match outcome {
        Ok(body) => Response::json(200, "application/json", &body),
        Err(stratus_engine::EngineError::InstanceNotFound(_)) => error(404, "no such instance"),
        Err(e) => error(500, &e.to_string()),
    }
}
