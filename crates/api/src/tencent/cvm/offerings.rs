//! What CVM sells: regions, zones, instance types and images.

use super::validate::{self, Filter};
use super::Call;
use super::{fields, parse, views, Fields};
use crate::tencent::envelope::ApiError;
use serde::Deserialize;
use serde_json::{json, Value};
use stratus_engine::catalog::Image;

/// Numeric zone ids: the region's base plus the zone's number.
pub fn zone_number(region: &str, zone: &str) -> u64 {
    let base = match region {
        "ap-guangzhou" => 100_000,
        "ap-shanghai" => 200_000,
        "ap-hongkong" => 300_000,
        "ap-beijing" => 800_000,
        "ap-singapore" => 900_000,
        "na-siliconvalley" => 150_000,
        _ => 990_000,
    };
    base + zone
        .rsplit('-')
        .next()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0)
}

/// DescribeZones (of the request's region).
pub fn describe_zones(call: &Call<'_>) -> Result<Fields, ApiError> {
    let product = call.product()?;
    let region = &call.caller.region;
    let set: Vec<Value> = product
        .catalog
        .region(region)
        .map(|r| r.zones.clone())
        .unwrap_or_default()
        .iter()
        .map(|z| {
            json!({
                "Zone": z.id,
                "ZoneName": z.name,
                "ZoneId": zone_number(region, &z.id).to_string(),
                "ZoneState": if z.sold_out { "UNAVAILABLE" } else { "AVAILABLE" },
            })
        })
        .collect();
    Ok(fields([
        ("TotalCount", json!(set.len())),
        ("ZoneSet", Value::Array(set)),
    ]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TypeConfigsRequest {
    filters: Option<Vec<Filter>>,
}

/// DescribeInstanceTypeConfigs: every type in every zone of the region.
pub fn describe_instance_type_configs(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: TypeConfigsRequest = parse(call)?;
    let filters = r.filters.unwrap_or_default();
    validate::CODES.filters(&filters, &["zone", "instance-family", "instance-type"], 5)?;
    let product = call.product()?;
    let zones = product
        .catalog
        .region(&call.caller.region)
        .map(|r| r.zones.clone())
        .unwrap_or_default();
    let mut set = Vec::new();
    for z in zones.iter().filter(|z| !z.sold_out) {
        for p in product.catalog.plans.iter().filter(|p| p.available) {
            let keep = filters.iter().all(|f| {
                let v = match f.name.as_str() {
                    "zone" => &z.id,
                    "instance-family" => &p.family,
                    _ => &p.id,
                };
                f.values.contains(v)
            });
            if keep {
                set.push(views::instance_type(p, &z.id));
            }
        }
    }
    Ok(fields([("InstanceTypeConfigSet", Value::Array(set))]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ImagesRequest {
    image_ids: Option<Vec<String>>,
    filters: Option<Vec<Filter>>,
    offset: Option<u64>,
    limit: Option<u64>,
    instance_type: Option<String>,
}

const IMAGE_FILTERS: [&str; 7] = [
    "image-id",
    "image-type",
    "image-name",
    "platform",
    "tag-key",
    "tag-value",
    "tag:",
];

fn image_matches(m: &Image, f: &Filter) -> bool {
    let any = |v: &str| f.values.iter().any(|x| x == v);
    let fuzzy = |v: &str| {
        f.values
            .iter()
            .any(|x| v.to_lowercase().contains(&x.to_lowercase()))
    };
    match f.name.as_str() {
        "image-id" => any(&m.id),
        "image-type" => any(views::image_type(m.kind)),
        "image-name" => fuzzy(&m.name),
        "platform" => fuzzy(&m.platform),
        // Catalog images carry no tags.
        _ => false,
    }
}

/// DescribeImages (public images and the caller's private ones).
pub fn describe_images(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ImagesRequest = parse(call)?;
    let ids = r.image_ids.unwrap_or_default();
    let filters = r.filters.unwrap_or_default();
    if !ids.is_empty() && !filters.is_empty() {
        return Err(ApiError::new(
            "InvalidParameter.InvalidParameterCoexistImageIdsFilters",
            "`ImageIds` and `Filters` cannot be given together.",
        ));
    }
    validate::CODES.ids(&ids, 100, "ImageIds", validate::image_id)?;
    validate::CODES.filters(&filters, &IMAGE_FILTERS, 5)?;
    let (offset, limit) =
        validate::CODES.page(r.offset.map(|o| o as i64), r.limit.map(|l| l as i64))?;
    let product = call.product()?;
    let plan = match &r.instance_type {
        Some(t) => Some(product.catalog.plan(t).ok_or_else(|| {
            ApiError::new(
                "InvalidParameterValue.InstanceTypeNotFound",
                format!("The instance type `{t}` does not exist."),
            )
        })?),
        None => None,
    };
    let matching: Vec<&Image> = product
        .catalog
        .images
        .iter()
        .filter(|m| m.visible_to(&call.caller.account))
        .filter(|m| ids.is_empty() || ids.contains(&m.id))
        .filter(|m| filters.iter().all(|f| image_matches(m, f)))
        .filter(|m| {
            plan.is_none_or(|p| p.supports(m.os_family) && p.memory_gb >= m.required_memory_gb)
        })
        .collect();
    Ok(fields([
        ("TotalCount", json!(matching.len())),
        (
            "ImageSet",
            Value::Array(
                matching
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map(|m| views::image(m))
                    .collect(),
            ),
        ),
    ]))
}
