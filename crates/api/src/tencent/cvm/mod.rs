//! Tencent Cloud CVM, API 2017-03-12: the actions, each a short translation
//! from the request structure to an engine command and back.

mod errors;
mod instances;
mod keypairs;
mod offerings;
pub mod profile;
mod validate;
pub mod views;

pub use offerings::zone_number;
pub use profile::product;

use super::envelope::ApiError;
use super::Call;
pub use super::Fields;
use super::{fields, parse};

/// The engine product key.
pub const PRODUCT: &str = "cvm";

/// The request schemas (from tccli's API model).
pub const SCHEMA: &str = include_str!("../../../../../catalog/tencent/cvm-2017-03-12.schema.json");

/// Serves one CVM action.
pub async fn dispatch(call: &Call<'_>) -> Result<Fields, ApiError> {
    match call.caller.action.as_str() {
        "DescribeRegions" => offerings::describe_regions(call),
        "DescribeZones" => offerings::describe_zones(call),
        "DescribeInstanceTypeConfigs" => offerings::describe_instance_type_configs(call),
        "DescribeImages" => offerings::describe_images(call),
        "RunInstances" => instances::run(call).await,
        "DescribeInstances" => instances::describe(call).await,
        "DescribeInstancesStatus" => instances::describe_status(call).await,
        "StartInstances" | "StopInstances" | "RebootInstances" => instances::power(call).await,
        "ResetInstance" => instances::reset(call).await,
        "ResetInstancesPassword" => instances::reset_password(call).await,
        "TerminateInstances" => instances::terminate(call).await,
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

fn engine_error<'a>(call: &'a Call<'a>) -> impl Fn(stratus_engine::EngineError) -> ApiError + 'a {
    move |e| errors::to_api(&e, &call.caller.action)
}
