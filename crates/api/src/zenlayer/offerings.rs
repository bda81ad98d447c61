//! What ZEC sells: regions, zones, instance types per zone and images.

use super::envelope::ApiError;
use super::errors::{invalid, Code};
use super::{fields, validate, views, Call, Fields};
use serde::Deserialize;
use serde_json::{json, Value};
use stratus_engine::catalog::Image;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegionsRequest {
    region_ids: Option<Vec<String>>,
}

/// DescribeRegions (2025).
pub fn describe_regions(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: RegionsRequest = call.parse()?;
    let ids = r.region_ids.unwrap_or_default();
    let product = call.product()?;
    let set: Vec<Value> = product
        .catalog
        .regions
        .iter()
        .filter(|g| g.available && (ids.is_empty() || ids.contains(&g.id)))
        .map(|g| views::region(&g.id, &g.name, call.facts))
        .collect();
    Ok(fields([("regionSet", Value::Array(set))]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ZonesRequest {
    zone_ids: Option<Vec<String>>,
}

/// DescribeZones.
pub fn describe_zones(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ZonesRequest = call.parse()?;
    let ids = r.zone_ids.unwrap_or_default();
    let product = call.product()?;
    let mut set = Vec::new();
    for region in product.catalog.regions.iter().filter(|g| g.available) {
        for z in region.zones.iter() {
            if ids.is_empty() || ids.contains(&z.id) {
                set.push(views::zone(
                    z,
                    &region.id,
                    call.facts.zones.get(&z.id),
                    call.version,
                ));
            }
        }
    }
    Ok(fields([("zoneSet", Value::Array(set))]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ZoneConfigRequest {
    zone_id: Option<String>,
    instance_type: Option<String>,
}

/// DescribeZoneInstanceConfigInfos: every instance type in every zone
/// (or the one asked for), with whether the zone has stock of it.
pub fn describe_zone_instance_configs(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ZoneConfigRequest = call.parse()?;
    let product = call.product()?;
    let catalog = &product.catalog;
    if let Some(z) = &r.zone_id {
        if catalog.zone(z).is_none() {
            return Err(Code::ZoneNotFound.message(format!("The zone `{z}` is not found.")));
        }
    }
    let mut set = Vec::new();
    for region in catalog.regions.iter().filter(|g| g.available) {
        for z in &region.zones {
            if r.zone_id.as_ref().is_some_and(|id| id != &z.id) {
                continue;
            }
            for p in &catalog.plans {
                if r.instance_type.as_ref().is_none_or(|t| t == &p.id) {
                    set.push(views::instance_type_quota(p, z, call.version));
                }
            }
        }
    }
    Ok(fields([("instanceTypeQuotaSet", Value::Array(set))]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImagesRequest {
    zone_id: Option<String>,
    image_ids: Option<Vec<String>>,
    image_name: Option<String>,
    category: Option<String>,
    image_type: Option<String>,
    image_source: Option<String>,
    os_type: Option<String>,
    image_status: Option<String>,
    page_num: Option<i64>,
    page_size: Option<i64>,
    tag_keys: Option<Vec<String>>,
    tags: Option<Vec<Value>>,
}

/// DescribeImages: the public images (all zones carry all of them) and
/// the caller's own.
pub fn describe_images(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ImagesRequest = call.parse()?;
    let zone = validate::required(&r.zone_id, "zoneId")?;
    let product = call.product()?;
    if product.catalog.zone(zone).is_none() {
        return Err(Code::ZoneNotFound.message(format!("The zone `{zone}` is not found.")));
    }
    let ids = r.image_ids.unwrap_or_default();
    validate::optional_ids(&ids, "imageIds")?;
    if let Some(t) = &r.os_type {
        if !["linux", "bsd", "windows", "android", "any"].contains(&t.as_str()) {
            return Err(invalid(format!(
                "`osType` `{t}` is not one of linux, bsd, windows, android, any."
            )));
        }
    }
    let (offset, limit) = validate::page(r.page_num, r.page_size)?;
    // Public images carry no tags: any tag filter matches none of them.
    let tag_filter =
        !r.tag_keys.unwrap_or_default().is_empty() || !r.tags.unwrap_or_default().is_empty();
    let keep = |m: &&Image| {
        m.visible_to(&call.caller.account)
            && (ids.is_empty() || ids.contains(&m.id))
            && r.image_name
                .as_ref()
                .is_none_or(|n| m.name.to_lowercase().contains(&n.to_lowercase()))
            && r.category
                .as_ref()
                .is_none_or(|c| c.eq_ignore_ascii_case(&m.platform))
            && r.image_type
                .as_ref()
                .is_none_or(|t| t == views::image_type(m.kind))
            && r.image_source
                .as_ref()
                .is_none_or(|s| s == views::image_source(m.kind))
            && r.os_type
                .as_ref()
                .is_none_or(|t| t == "any" || t == views::os_type(m.os_family))
            && r.image_status
                .as_ref()
                .is_none_or(|s| s == views::image_status(m.state))
            && !tag_filter
    };
    let matching: Vec<&Image> = product.catalog.images.iter().filter(keep).collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|m| views::image(m, call.version))
        .collect();
    Ok(fields([
        ("totalCount", json!(matching.len())),
        ("dataSet", Value::Array(page)),
    ]))
}
