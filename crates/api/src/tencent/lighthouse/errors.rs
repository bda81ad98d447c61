//! Engine errors as Lighthouse error codes: the one table.

use super::Action;
use crate::tencent::envelope::ApiError;
use crate::tencent::keypairs::KeyPairAction;
use stratus_engine::EngineError as E;

/// The Lighthouse code and message for an engine error raised by `action`.
pub fn to_api(e: &E, action: Action) -> ApiError {
    let code = match e {
        E::InstanceNotFound(_) => "ResourceNotFound.InstanceIdNotFound",
        E::ImageNotFound(_) => "ResourceNotFound.BlueprintIdNotFound",
        E::ImageUnavailable(_) => "ResourceUnavailable.BlueprintUnavailable",
        E::PlanNotFound(_) => "InvalidParameter.BundleIdNotFound",
        E::PlanUnavailable(_) => "ResourceUnavailable.BundleUnavailable",
        E::ZoneNotFound(_) => "InvalidParameterValue.ZoneInvalid",
        E::ZoneSoldOut(_) => "ResourcesSoldOut.ZonesHasNoBundleConfigs",
        E::RegionNotFound(_) => "UnsupportedRegion",
        E::KeyPairNotFound(_) if matches!(action, Action::KeyPair(k) if k.names_key_ids()) => {
            "ResourceNotFound.KeyIdNotFound"
        }
        E::KeyPairNotFound(_) => "ResourceNotFound.KeyPairNotFound",
        E::KeyPairNameTaken(_) => "InvalidParameterValue.DuplicateParameterValue",
        E::KeyPairDuplicate(_) => "InvalidParameterValue.KeyPairPublicKeyDuplicated",
        E::KeyPairInUse(_) => "ResourceInUse.KeyPairInUse",
        E::KeyPairAlreadyBound { .. } => "UnsupportedOperation.KeyPairBindDuplicate",
        E::KeyPairNotBound { .. } => "UnsupportedOperation.KeyPairNotBoundToInstance",
        E::PublicKeyMalformed => "InvalidParameterValue.KeyPairPublicKeyMalformed",
        E::InvalidPassword(_) => "InvalidParameterValue.InvalidPassword",
        E::PasswordWithKeys => "InvalidParameterValue.InvalidParameterCombination",
        E::KeysOnWindows
            if action == Action::KeyPair(KeyPairAction::AssociateInstancesKeyPairs) =>
        {
            "UnsupportedOperation.WindowsNotAllowToAssociateKeyPair"
        }
        E::KeysOnWindows => "UnsupportedOperation.WindowsNotSupportKeyPair",
        E::TooManyKeys { .. } => "InvalidParameterValue.LimitExceeded",
        E::OsFamilySwitch => "InvalidParameterValue.NotAllowToChangePlatformType",
        E::ImageRequirementsNotMet(_) | E::ImageExceedsDisk { .. } => {
            "InvalidParameterValue.BlueprintConfigNotMatch"
        }
        E::PlanImageMismatch { .. } => "InvalidParameterValue.BundleAndBlueprintNotMatch",
        E::DiskShrink { .. } => "InvalidParameterValue.DiskSizeSmallerThanCurrentDiskSize",
        E::InvalidState { .. } => "UnsupportedOperation.InvalidInstanceState",
        E::InstanceCreating(_) => "OperationDenied.InstanceCreating",
        E::OperationInProgress { .. } => "UnsupportedOperation.LatestOperationUnfinished",
        E::ConcurrentModification(_) => "OperationDenied.InstanceOperationInProgress",
        E::Duplicated { .. } => "InvalidParameterValue.Duplicated",
        E::TooMany { .. } => "InvalidParameterValue.LimitExceeded",
        E::DryRunPassed => "DryRunOperation",
        E::TerminationProtected(_) => "UnsupportedOperation.InvalidInstanceState",
        E::MixedChargeTypes => "InvalidParameterValue.InvalidParameterCombination",
        E::RateLimited => "RequestLimitExceeded",
        // Lighthouse charges no balance here; named as Tencent names it.
        E::InsufficientBalance { .. } => "FailedOperation.InsufficientBalance",
        E::NotPayAsYouGo(_) => "UnsupportedOperation",
        E::NotOffered => "InvalidAction",
        E::Refused(r) => return r.answer_or(|| ApiError::internal(e)),
        // API 3.0 answers every error with HTTP 200.
        E::Injected { code, message, .. } => return ApiError::new(code.clone(), message.clone()),
        E::Internal(_) => return ApiError::internal(e),
    };
    let message = match e {
        E::InvalidState { id, state, .. } => format!(
            "The instance {id} is {}; this operation is not supported in that state.",
            super::profile::state_name(*state)
        ),
        other => other.to_string(),
    };
    ApiError::new(code, message)
}
