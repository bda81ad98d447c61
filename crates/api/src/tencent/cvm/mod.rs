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
use super::keypairs::{self as shared_keypairs, KeyPairAction};
pub use super::Fields;
use super::{fields, parse};

crate::actions! {
    /// The CVM actions served.
    pub enum Action {
        DescribeRegions,
        DescribeZones,
        DescribeInstanceTypeConfigs,
        DescribeImages,
        RunInstances,
        DescribeInstances,
        DescribeInstancesStatus,
        StartInstances,
        StopInstances,
        RebootInstances,
        ResetInstance,
        ResetInstancesPassword,
        TerminateInstances,
    }
    nested { KeyPair(KeyPairAction) }
}

/// A CVM request.
pub type Call<'a> = super::Call<'a, Action>;

/// The engine product key.
pub const PRODUCT: &str = "cvm";

/// The request schemas (from tccli's API model).
pub const SCHEMA: &str = include_str!("../../../../../catalog/tencent/cvm-2017-03-12.schema.json");

/// Serves one CVM action.
pub async fn dispatch(call: &Call<'_>) -> Result<Fields, ApiError> {
    use instances::Power;
    match call.action {
        Action::DescribeRegions => super::offerings::describe_regions(call, false),
        Action::DescribeZones => offerings::describe_zones(call),
        Action::DescribeInstanceTypeConfigs => offerings::describe_instance_type_configs(call),
        Action::DescribeImages => offerings::describe_images(call),
        Action::RunInstances => instances::run(call).await,
        Action::DescribeInstances => instances::describe(call).await,
        Action::DescribeInstancesStatus => instances::describe_status(call).await,
        Action::StartInstances => instances::power(call, Power::Start).await,
        Action::StopInstances => instances::power(call, Power::Stop).await,
        Action::RebootInstances => instances::power(call, Power::Reboot).await,
        Action::ResetInstance => instances::reset(call).await,
        Action::ResetInstancesPassword => instances::reset_password(call).await,
        Action::TerminateInstances => instances::terminate(call).await,
        Action::KeyPair(k) => shared_keypairs::serve(call, k, &keypairs::RULES).await,
    }
}
