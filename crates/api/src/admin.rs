//! Stratus's own endpoints, beside the vendor dialects:
//! `GET /_stratus/health`, `GET /_stratus/messages?account=NAME`, and the
//! fault rules: `GET`, `PUT` (a JSON array replaces them) and `DELETE`
//! `/_stratus/faults`.

use crate::request::{RawRequest, Response};
use serde_json::json;
use stratus_engine::faults::FaultRule;
use stratus_engine::Engine;

/// A JSON error from the admin API.
pub fn error(status: u16, message: &str) -> Response {
    Response::json(status, "application/json", &json!({ "error": message }))
}

/// Serves an admin request.
pub async fn handle(engine: &Engine, req: &RawRequest) -> Response {
    if req.path == "/_stratus/faults" {
        return faults(engine, req);
    }
    if req.method != "GET" {
        return error(405, "only GET is supported here");
    }
    match req.path.as_str() {
        "/_stratus/health" => Response::json(
            200,
            "application/json",
            &json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }),
        ),
        "/_stratus/messages" => messages(engine, req).await,
        _ => error(404, "no such endpoint"),
    }
}

async fn messages(engine: &Engine, req: &RawRequest) -> Response {
    let pairs = req.query_pairs();
    let account = pairs
        .iter()
        .find(|(k, _)| k == "account")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| {
            engine
                .accounts()
                .all()
                .first()
                .map(|a| a.name.clone())
                .unwrap_or_default()
        });
    if engine.accounts().by_name(&account).is_none() {
        return error(404, "no such account");
    }
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

fn faults(engine: &Engine, req: &RawRequest) -> Response {
    match req.method.as_str() {
        "GET" => {}
        "PUT" | "POST" => match serde_json::from_slice::<Vec<FaultRule>>(&req.body) {
            Ok(rules) => engine.faults().replace(rules),
            Err(e) => return error(400, &format!("expected a JSON array of fault rules: {e}")),
        },
        "DELETE" => engine.faults().replace(Vec::new()),
        _ => return error(405, "use GET, PUT or DELETE"),
    }
    Response::json(
        200,
        "application/json",
        &json!({ "faults": engine.faults().list() }),
    )
}
