//! What Lighthouse sells: regions, zones, bundles and blueprints.

use super::validate::{self, Filter};
use super::Call;
use super::{engine_error, fields, parse, views, Fields};
use crate::tencent::envelope::ApiError;
use serde::Deserialize;
use serde_json::{json, Value};
use stratus_engine::catalog::{Image, Plan};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ZonesRequest {
    order_field: Option<String>,
    order: Option<String>,
}

/// DescribeZones (of the request's region).
pub fn describe_zones(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ZonesRequest = parse(call)?;
    if let Some(f) = r.order_field.as_deref().filter(|f| *f != "ZONE") {
        return Err(ApiError::new(
            "InvalidParameterValue",
            format!("`OrderField` `{f}` is not supported."),
        ));
    }
    let product = call.product()?;
    let mut zones: Vec<_> = product
        .catalog
        .region(&call.caller.region)
        .map(|r| r.zones.clone())
        .unwrap_or_default();
    match r.order.as_deref() {
        None | Some("ASC") => zones.sort_by(|a, b| a.id.cmp(&b.id)),
        Some("DESC") => zones.sort_by(|a, b| b.id.cmp(&a.id)),
        Some(o) => {
            return Err(ApiError::new(
                "InvalidParameterValue",
                format!("`Order` must be ASC or DESC, not `{o}`."),
            ))
        }
    }
    let set: Vec<Value> = zones
        .iter()
        .map(|z| json!({"Zone": z.id, "ZoneName": z.name, "InstanceDisplayLabel": "NORMAL"}))
        .collect();
    Ok(fields([
        ("TotalCount", json!(set.len())),
        ("ZoneInfoSet", Value::Array(set)),
    ]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BundlesRequest {
    bundle_ids: Option<Vec<String>>,
    offset: Option<i64>,
    limit: Option<i64>,
    filters: Option<Vec<Filter>>,
    zones: Option<Vec<String>>,
    blueprint_id: Option<String>,
}

const BUNDLE_FILTERS: [&str; 4] = [
    "bundle-id",
    "support-platform-type",
    "bundle-type",
    "bundle-state",
];

fn bundle_matches(p: &Plan, f: &Filter) -> bool {
    let any = |v: &str| f.values.iter().any(|x| x == v);
    match f.name.as_str() {
        "bundle-id" => any(&p.id),
        "support-platform-type" => {
            (p.supports_linux && any("LINUX_UNIX")) || (p.supports_windows && any("WINDOWS"))
        }
        "bundle-type" => any(&p.kind),
        _ => any(if p.available { "AVAILABLE" } else { "SOLD_OUT" }),
    }
}

/// DescribeBundles.
pub fn describe_bundles(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: BundlesRequest = parse(call)?;
    let ids = r.bundle_ids.unwrap_or_default();
    let filters = r.filters.unwrap_or_default();
    validate::CODES.not_both(!ids.is_empty(), !filters.is_empty(), "BundleIds")?;
    validate::CODES.filters(&filters, &BUNDLE_FILTERS, 5)?;
    let (offset, limit) = validate::CODES.page(r.offset, r.limit)?;
    let product = call.product()?;
    for z in r.zones.iter().flatten() {
        if product.catalog.zone(z).is_none() {
            return Err(ApiError::new(
                "InvalidParameterValue.ZoneInvalid",
                format!("The zone `{z}` does not exist."),
            ));
        }
    }
    let blueprint = match &r.blueprint_id {
        Some(b) => {
            validate::blueprint_id(b, "BlueprintId")?;
            Some(
                product
                    .catalog
                    .image(b, &call.caller.account)
                    .ok_or_else(|| {
                        ApiError::new(
                            "ResourceNotFound.BlueprintIdNotFound",
                            format!("The blueprint {b} does not exist."),
                        )
                    })?,
            )
        }
        None => None,
    };
    let matching: Vec<&Plan> = product
        .catalog
        .plans
        .iter()
        .filter(|p| ids.is_empty() || ids.contains(&p.id))
        .filter(|p| filters.iter().all(|f| bundle_matches(p, f)))
        .filter(|p| {
            blueprint.is_none_or(|b| {
                p.supports(b.os_family)
                    && p.memory_gb >= b.required_memory_gb
                    && p.system_disk_gb >= b.required_disk_gb
            })
        })
        .collect();
    Ok(fields([
        ("TotalCount", json!(matching.len())),
        (
            "BundleSet",
            Value::Array(
                matching
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map(|p| views::bundle(p))
                    .collect(),
            ),
        ),
    ]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BlueprintsRequest {
    blueprint_ids: Option<Vec<String>>,
    offset: Option<i64>,
    limit: Option<i64>,
    filters: Option<Vec<Filter>>,
}

const BLUEPRINT_FILTERS: [&str; 9] = [
    "blueprint-id",
    "blueprint-type",
    "platform-type",
    "blueprint-name",
    "blueprint-state",
    "scene-id",
    "tag-key",
    "tag-value",
    "tag:",
];

fn blueprint_matches(b: &Image, f: &Filter) -> bool {
    let any = |v: &str| f.values.iter().any(|x| x == v);
    match f.name.as_str() {
        "blueprint-id" => any(&b.id),
        "blueprint-type" => any(views::blueprint_type(b.kind)),
        "platform-type" => any(views::platform_type(b.os_family)),
        "blueprint-name" => f.values.iter().any(|v| b.name.contains(v.as_str())),
        "blueprint-state" => any(views::blueprint_state(b.state)),
        "scene-id" => b
            .extra
            .get("SceneIdSet")
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().any(|x| x.as_str().is_some_and(any))),
        // Built-in blueprints carry no tags.
        _ => false,
    }
}

fn blueprint_query(
    call: &Call<'_>,
    ids: Vec<String>,
    filters: Vec<Filter>,
) -> Result<Vec<Image>, ApiError> {
    validate::CODES.not_both(!ids.is_empty(), !filters.is_empty(), "BlueprintIds")?;
    validate::CODES.ids(&ids, 100, "BlueprintIds", validate::blueprint_id)?;
    validate::CODES.filters(&filters, &BLUEPRINT_FILTERS, 100)?;
    let product = call.product()?;
    Ok(product
        .catalog
        .images
        .iter()
        .filter(|b| b.visible_to(&call.caller.account))
        .filter(|b| ids.is_empty() || ids.contains(&b.id))
        .filter(|b| filters.iter().all(|f| blueprint_matches(b, f)))
        .cloned()
        .collect())
}

/// DescribeBlueprints.
pub fn describe_blueprints(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: BlueprintsRequest = parse(call)?;
    let (offset, limit) = validate::CODES.page(r.offset, r.limit)?;
    let matching = blueprint_query(
        call,
        r.blueprint_ids.unwrap_or_default(),
        r.filters.unwrap_or_default(),
    )?;
    Ok(fields([
        ("TotalCount", json!(matching.len())),
        (
            "BlueprintSet",
            Value::Array(
                matching
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map(views::blueprint)
                    .collect(),
            ),
        ),
    ]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResetBlueprintsRequest {
    instance_id: String,
    offset: Option<i64>,
    limit: Option<i64>,
    filters: Option<Vec<Filter>>,
}

/// DescribeResetInstanceBlueprints: every blueprint, and whether this
/// instance may be reinstalled with it.
pub async fn describe_reset_instance_blueprints(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ResetBlueprintsRequest = parse(call)?;
    validate::instance_id(&r.instance_id, "InstanceId")?;
    let (offset, limit) = validate::CODES.page(r.offset, r.limit)?;
    let wanted = blueprint_query(call, Vec::new(), r.filters.unwrap_or_default())?;
    let candidates = call
        .engine
        .reinstall_candidates(&call.caller, &r.instance_id)
        .await
        .map_err(engine_error(call))?;
    let set: Vec<Value> = candidates
        .iter()
        .filter(|c| wanted.iter().any(|w| w.id == c.image.id))
        .map(|c| {
            json!({
                "BlueprintInfo": views::blueprint(&c.image),
                "IsResettable": c.refusal.is_none(),
                "NonResettableMessage": c.refusal.as_ref().map(ToString::to_string).unwrap_or_default(),
            })
        })
        .collect();
    Ok(fields([
        ("TotalCount", json!(set.len())),
        (
            "ResetInstanceBlueprintSet",
            Value::Array(set.into_iter().skip(offset).take(limit).collect()),
        ),
    ]))
}
