//! What the Tencent API 3.0 products answer alike about what they sell.

use super::envelope::ApiError;
use super::{fields, Call, Fields};
use serde_json::{json, Value};

/// DescribeRegions: every region of the product's catalog; `mainland`
/// adds Lighthouse's `IsChinaMainland`.
pub fn describe_regions<A>(call: &Call<'_, A>, mainland: bool) -> Result<Fields, ApiError> {
    let set: Vec<Value> = call
        .product()?
        .catalog
        .regions
        .iter()
        .map(|r| {
            let mut region = json!({
                "Region": r.id,
                "RegionName": r.name,
                "RegionState": if r.available { "AVAILABLE" } else { "UNAVAILABLE" },
            });
            if mainland {
                region["IsChinaMainland"] = json!(r.mainland);
            }
            region
        })
        .collect();
    Ok(fields([
        ("TotalCount", json!(set.len())),
        ("RegionSet", Value::Array(set)),
    ]))
}
