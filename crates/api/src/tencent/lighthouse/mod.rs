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
use super::keypairs::{self as shared_keypairs, KeyPairAction};
pub use super::Fields;
use super::{fields, parse};

crate::actions! {
    /// The Lighthouse actions served.
    pub enum Action {
        DescribeRegions,
        DescribeZones,
        DescribeBundles,
        DescribeBlueprints,
        DescribeResetInstanceBlueprints,
        CreateInstances,
        DescribeInstances,
        DescribeInstancesDeniedActions,
        StartInstances,
        StopInstances,
        RebootInstances,
        IsolateInstances,
        TerminateInstances,
        ResetInstance,
        ResetInstancesPassword,
    }
    nested { KeyPair(KeyPairAction) }
}

/// A Lighthouse request.
pub type Call<'a> = super::Call<'a, Action>;

/// The engine product key.
pub const PRODUCT: &str = "lighthouse";

/// The request schemas (from tccli's API model).
pub const SCHEMA: &str =
    include_str!("../../../../../catalog/tencent/lighthouse-2020-03-24.schema.json");

/// Actions that do not need the Region parameter (seed 001: ResetInstance).
pub fn region_optional(action: Action) -> bool {
    matches!(action, Action::ResetInstance | Action::DescribeRegions)
}

/// Serves one Lighthouse action.
pub async fn dispatch(call: &Call<'_>) -> Result<Fields, ApiError> {
    use instances::Batch;
    match call.action {
        Action::DescribeRegions => super::offerings::describe_regions(call, true),
        Action::DescribeZones => offerings::describe_zones(call),
        Action::DescribeBundles => offerings::describe_bundles(call),
        Action::DescribeBlueprints => offerings::describe_blueprints(call),
        Action::DescribeResetInstanceBlueprints => {
            offerings::describe_reset_instance_blueprints(call).await
        }
        Action::CreateInstances => instances::create(call).await,
        Action::DescribeInstances => instances::describe(call).await,
        Action::DescribeInstancesDeniedActions => instances::denied_actions(call).await,
        Action::StartInstances => instances::batch(call, Batch::Start).await,
        Action::StopInstances => instances::batch(call, Batch::Stop).await,
        Action::RebootInstances => instances::batch(call, Batch::Reboot).await,
        Action::IsolateInstances => instances::batch(call, Batch::Isolate).await,
        Action::TerminateInstances => instances::batch(call, Batch::Terminate).await,
        Action::ResetInstance => instances::reset(call).await,
        Action::ResetInstancesPassword => instances::reset_password(call).await,
        Action::KeyPair(k) => shared_keypairs::serve(call, k, &keypairs::RULES).await,
    }
}

/// Maps an engine error for this call.
fn engine_error<'a>(call: &'a Call<'a>) -> impl Fn(stratus_engine::EngineError) -> ApiError + 'a {
    move |e| errors::to_api(&e, call.action)
}
