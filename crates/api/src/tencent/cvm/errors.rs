//! Engine errors as CVM error codes: the one table. CVM names the offending
//! state in the code.

use super::profile::{state_code, state_name};
use super::Action;
use crate::tencent::envelope::ApiError;
use stratus_engine::EngineError as E;

/// The CVM code and message for an engine error raised by `action`.
pub fn to_api(e: &E, action: Action) -> ApiError {
    let code = match e {
        E::InstanceNotFound(_) => "InvalidInstanceId.NotFound",
        E::ImageNotFound(_) => "InvalidImageId.NotFound",
        E::ImageUnavailable(_) => "InvalidParameterValue.InvalidImageState",
        E::PlanNotFound(_) => "InvalidParameterValue.InstanceTypeNotFound",
        E::PlanUnavailable(_) => "ResourcesSoldOut.SpecifiedInstanceType",
        E::ZoneNotFound(_) => "InvalidZone.MismatchRegion",
        E::ZoneSoldOut(_) => "ResourceInsufficient.ZoneSoldOutForSpecifiedInstance",
        E::RegionNotFound(_) => "InvalidRegion.NotFound",
        E::KeyPairNotFound(_) if matches!(action, Action::KeyPair(k) if k.names_key_ids()) => {
            "InvalidKeyPairId.NotFound"
        }
        E::KeyPairNotFound(_) => "InvalidParameterValue.KeyPairNotFound",
        E::KeyPairNameTaken(_) => "InvalidKeyPairName.Duplicate",
        E::KeyPairDuplicate(_) => "InvalidPublicKey.Duplicate",
        E::KeyPairInUse(_) => "InvalidParameterValue.KeyPairNotSupported",
        E::KeyPairAlreadyBound { .. } => "InvalidParameterValue.Duplicate",
        E::KeyPairNotBound { .. } => "InvalidParameterValue.KeyPairNotFound",
        E::PublicKeyMalformed => "InvalidPublicKey.Malformed",
        E::InvalidPassword(_) => "InvalidParameterValue.InvalidPassword",
        E::PasswordWithKeys => "InvalidParameter.ParameterConflict",
        E::KeysOnWindows => "UnsupportedOperation.KeyPairUnsupportedWindows",
        E::TooManyKeys { .. } => "InvalidKeyPair.LimitExceeded",
        E::OsFamilySwitch => "InvalidParameterValue.InvalidImageIdForRetsetInstance",
        E::ImageRequirementsNotMet(_) => "InvalidParameterValue.InvalidImageForGivenInstanceType",
        E::PlanImageMismatch { .. } => "InvalidParameterValue.InvalidImageForGivenInstanceType",
        E::ImageExceedsDisk { .. } => "InvalidImageId.TooLarge",
        E::DiskShrink { .. } => "InvalidParameterValue.InvalidParameterValueLimit",
        E::InvalidState { state, .. } => state_code(*state),
        E::InstanceCreating(_) => "UnsupportedOperation.InstanceStatePending",
        E::OperationInProgress { state, .. } => state_code(*state),
        E::ConcurrentModification(_) => "OperationDenied.InstanceOperationInProgress",
        E::TerminationProtected(_) => "UnsupportedOperation.InstancesProtected",
        E::MixedChargeTypes => "UnsupportedOperation.InstanceMixedPricingModel",
        E::NotPayAsYouGo(_) => "UnsupportedOperation.StoppedModeStopCharging",
        E::Duplicated { .. } => "InvalidParameterValue.Duplicate",
        E::TooMany { .. } => "InvalidParameterValue.LimitExceeded",
        E::DryRunPassed => "DryRunOperation",
        E::InsufficientBalance { .. } => "InvalidAccount.InsufficientBalance",
        E::RateLimited => "RequestLimitExceeded",
        E::NotOffered => "InvalidAction",
        E::Refused(r) => return r.answer_or(|| ApiError::internal(e)),
        // API 3.0 answers every error with HTTP 200.
        E::Injected { code, message, .. } => return ApiError::new(code.clone(), message.clone()),
        E::Internal(_) => return ApiError::internal(e),
    };
    let message = match e {
        E::InvalidState { id, state, .. } | E::OperationInProgress { id, state } => format!(
            "The instance {id} is {}; this operation is not supported in that state.",
            state_name(*state)
        ),
        other => other.to_string(),
    };
    ApiError::new(code, message)
}
