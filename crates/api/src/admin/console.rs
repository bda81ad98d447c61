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
        let instances = match engine.instances(&account.name).await {
            Ok(list) => list,
            Err(e) => return error(503, &format!("the store cannot be read: {e}")),
        };
        for i in instances
            .iter()
            .filter(|i| i.state != LifecycleState::Terminated)
            .filter(|i| get("instance").is_none_or(|id| id == i.id))
        {
            rows.push((i.created_at, row(&account.name, i)));
        }
    }
    rows.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let rows: Vec<Value> = rows.into_iter().map(|(_, r)| r).collect();
    Response::json(200, "application/json", &json!({ "instances": rows }))
}
