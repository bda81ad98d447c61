//! Tencent Cloud Lighthouse, API 2020-03-24: the actions, each a short
//! translation from the request structure to an engine command and back.

mod errors;
mod instances;
mod keypairs;
mod offerings;
pub mod profile;
mod validate;
mod views;

pub use profile::product;

use super::envelope::ApiError;
use super::Call;
pub use super::Fields;
use super::{fields, parse};

/// The engine product key.
pub const PRODUCT: &str = "lighthouse";

/// The request schemas (from tccli's API model).
pub const SCHEMA: &str =
    include_str!("../../../../../catalog/tencent/lighthouse-2020-03-24.schema.json");

/// Actions that do not need the Region parameter (seed 001: ResetInstance).
pub fn region_optional(action: &str) -> bool {
    matches!(action, "ResetInstance" | "DescribeRegions")
}

/// Serves one Lighthouse action.
pub async fn dispatch(call: &Call<'_>) -> Result<Fields, ApiError> {
    match call.caller.action.as_str() {
        "DescribeRegions" => offerings::describe_regions(call),
        "DescribeZones" => offerings::describe_zones(call),
        "DescribeBundles" => offerings::describe_bundles(call),
        "DescribeBlueprints" => offerings::describe_blueprints(call),
        "DescribeResetInstanceBlueprints" => {
            offerings::describe_reset_instance_blueprints(call).await
        }
        "CreateInstances" => instances::create(call).await,
        "DescribeInstances" => instances::describe(call).await,
        "DescribeInstancesDeniedActions" => instances::denied_actions(call).await,
        "StartInstances" | "StopInstances" | "RebootInstances" | "IsolateInstances"
        | "TerminateInstances" => instances::batch(call).await,
        "ResetInstance" => instances::reset(call).await,
        "ResetInstancesPassword" => instances::reset_password(call).await,
        "CreateKeyPair" => crate::tencent::keypairs::create(call, &keypairs::RULES).await,
        "ImportKeyPair" => crate::tencent::keypairs::import(call, &keypairs::RULES).await,
        "DescribeKeyPairs" => crate::tencent::keypairs::describe(call, &keypairs::RULES).await,
        "DeleteKeyPairs" => crate::tencent::keypairs::delete(call, &keypairs::RULES).await,
        "AssociateInstancesKeyPairs" | "DisassociateInstancesKeyPairs" => {
            crate::tencent::keypairs::bind(call, &keypairs::RULES).await
        }
        other => Err(ApiError::new(
            "InvalidAction",
            format!("The action `{other}` does not exist."),
        )),
    }
}

/// Maps an engine error for this call.
fn engine_error<'a>(call: &'a Call<'a>) -> impl Fn(stratus_engine::EngineError) -> ApiError + 'a {
    move |e| errors::to_api(&e, &call.caller.action)
}
