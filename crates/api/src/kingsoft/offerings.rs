//! What KEC sells: regions, availability zones and images.

use super::errors::Code;
use super::{fields, param_error, profile, views, Call, Fields};
use crate::kingsoft::envelope::ApiError;
use serde_json::{json, Value};
use stratus_engine::catalog::Image;

/// DescribeRegions.
pub fn describe_regions(call: &Call<'_>) -> Result<Fields, ApiError> {
    call.params
        .check_known(&["Region.N", "RegionName.N"])
        .map_err(param_error)?;
    let wanted = call.params.list("Region");
    let product = call.product()?;
    let set: Vec<Value> = product
        .catalog
        .regions
        .iter()
        .filter(|r| wanted.is_empty() || wanted.contains(&r.id))
        .map(|r| json!({"Region": r.id, "RegionName": r.name}))
        .collect();
    Ok(fields([("RegionSet", Value::Array(set))]))
}

/// DescribeAvailabilityZones (of the request's region).
pub fn describe_zones(call: &Call<'_>) -> Result<Fields, ApiError> {
    call.params
        .check_known(&["AvailabilityZone.N"])
        .map_err(param_error)?;
    let wanted = call.params.list("AvailabilityZone");
    let product = call.product()?;
    let set: Vec<Value> = product
        .catalog
        .region(&call.caller.region)
        .map(|r| r.zones.clone())
        .unwrap_or_default()
        .iter()
        .filter(|z| wanted.is_empty() || wanted.contains(&z.id))
        .map(|z| {
            json!({
                "AvailabilityZone": z.id,
                "AvailabilityZoneName": z.name,
                "AvailabilityZoneState": if z.sold_out { "soldout" } else { "available" },
            })
        })
        .collect();
    Ok(fields([("AvailabilityZoneSet", Value::Array(set))]))
}

/// `ImageType` values and what they select.
fn type_matches(image_type: &str, m: &Image) -> Option<bool> {
    let custom = profile::is_custom(m);
    match image_type {
        "system" | "CommonImage" => Some(!custom),
        "non-system" | "CustomImage" => Some(custom),
        "share" | "SharedImage" | "market" | "MarketImage" => Some(false),
        _ => None,
    }
}

/// DescribeImages (public images and the caller's custom ones).
pub fn describe_images(call: &Call<'_>) -> Result<Fields, ApiError> {
    call.params
        .check_known(&["ImageId", "ImageType", "IsPublic"])
        .map_err(param_error)?;
    let id = call.params.get("ImageId");
    if id.is_some_and(|i| !profile::is_image_id(i)) {
        return Err(Code::ImageIdInvalidParameterValue.err());
    }
    let image_type = call.params.get("ImageType");
    if let Some(t) = image_type {
        if ![
            "system",
            "non-system",
            "share",
            "market",
            "CommonImage",
            "CustomImage",
            "SharedImage",
            "MarketImage",
        ]
        .contains(&t)
        {
            return Err(super::errors::invalid("ImageType"));
        }
    }
    let public = call.params.bool("IsPublic").map_err(param_error)?;
    let product = call.product()?;
    let set: Vec<Value> = product
        .catalog
        .images
        .iter()
        .filter(|m| m.visible_to(&call.caller.account))
        .filter(|m| id.is_none_or(|i| m.id == i))
        .filter(|m| image_type.is_none_or(|t| type_matches(t, m).unwrap_or(false)))
        .filter(|m| public.is_none_or(|p| p != profile::is_custom(m)))
        .map(views::image)
        .collect();
    Ok(fields([("ImagesSet", Value::Array(set))]))
}
