//! Zenlayer error codes and their HTTP statuses, and engine errors as those
//! codes: the one table. Codes marked [DOC] are documented (seeds 000 and
//! 002, spec §3.3); the others are our choice where the documents are
//! silent ([REC]), in Zenlayer's upper-snake style.

use super::envelope::ApiError;
use super::Action;
use stratus_engine::lifecycle::LifecycleState;
use stratus_engine::EngineError as E;

/// Every code the dialect answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// [DOC] Bad key, tampered request or clock skew.
    SignatureFailure,
    /// [REC] A bearer token nobody declared.
    TokenInvalid,
    /// [DOC] Throttled (429; the SDKs retry on it).
    RequestLimitExceeded,
    /// [REC] Unknown action, version or service.
    InvalidAction,
    /// [REC] Missing, mistyped or out-of-range parameter.
    InvalidParameter,
    /// [REC] The body or method is not what the API takes.
    InvalidRequest,
    /// [DOC] 404.
    InstanceNotFound,
    /// [DOC] 404.
    ImageNotFound,
    /// [DOC] 404.
    ZoneNotFound,
    /// [REC] 404.
    InstanceTypeNotFound,
    /// [REC] 404, after Terraform's `INVALID_VPC_NOT_FOUND`.
    VpcNotFound,
    /// [REC] 404.
    SubnetNotFound,
    /// [REC] 404.
    KeyPairNotFound,
    /// [DOC] 400 (seed 000).
    PasswordMalformed,
    /// [DOC] 400 (seed 000).
    ImageSizeExceed,
    /// [REC] 400: the instance type cannot run the image (OS, memory).
    ImageRequirementsNotMet,
    /// [REC] 400: a reinstall may not change the OS type.
    ImageOsTypeMismatch,
    /// [REC] 400: the image cannot be used now.
    ImageUnavailable,
    /// [REC] 400: key pairs on Windows.
    KeyPairNotSupported,
    /// [REC] 400: password and keyId together.
    PasswordKeyConflict,
    /// [REC] 409.
    KeyPairNameDuplicate,
    /// [REC] 409.
    KeyPairPublicKeyDuplicate,
    /// [REC] 400.
    PublicKeyMalformed,
    /// [REC] 403.
    KeyPairInUse,
    /// [DOC] 403 (seed 002).
    InstanceRecycled,
    /// [DOC] 403 (seed 002).
    InstanceStatus,
    /// [DOC] 403 (StopInstances, ResetInstancePassword).
    InstanceNotRunning,
    /// [DOC] 403 (StartInstances; also ResetInstance, which needs STOPPED).
    InstanceNotStopped,
    /// [REC] 400: the zone has no stock of the instance type.
    ZoneSoldOut,
    /// [REC] 501: an action this server does not implement.
    NotSupported,
    /// [DOC] 500.
    Internal,
}

impl Code {
    /// The HTTP status and wire name of a code.
    pub fn wire(self) -> (u16, &'static str) {
        match self {
            Self::SignatureFailure => (401, "AUTHFAILURE_SIGNATURE_FAILURE"),
            Self::TokenInvalid => (401, "AUTHFAILURE_TOKEN_INVALID"),
            Self::RequestLimitExceeded => (429, "REQUEST_LIMIT_EXCEEDED"),
            Self::InvalidAction => (400, "INVALID_ACTION"),
            Self::InvalidParameter => (400, "INVALID_PARAMETER"),
            Self::InvalidRequest => (400, "INVALID_REQUEST"),
            Self::InstanceNotFound => (404, "INVALID_INSTANCE_NOT_FOUND"),
            Self::ImageNotFound => (404, "INVALID_IMAGE_NOT_FOUND"),
            Self::ZoneNotFound => (404, "INVALID_ZONE_NOT_FOUND"),
            Self::InstanceTypeNotFound => (404, "INVALID_INSTANCE_TYPE_NOT_FOUND"),
            Self::VpcNotFound => (404, "INVALID_VPC_NOT_FOUND"),
            Self::SubnetNotFound => (404, "INVALID_SUBNET_NOT_FOUND"),
            Self::KeyPairNotFound => (404, "INVALID_KEY_PAIR_NOT_FOUND"),
            Self::PasswordMalformed => (400, "INVALID_PARAMETER_VALUE_PASSWORD_MALFORMED"),
            Self::ImageSizeExceed => (400, "INVALID_IMAGE_SIZE_EXCEED"),
            Self::ImageRequirementsNotMet => (400, "INVALID_INSTANCE_TYPE_IMAGE_MISMATCH"),
            Self::ImageOsTypeMismatch => (400, "INVALID_IMAGE_OS_TYPE_MISMATCH"),
            Self::ImageUnavailable => (400, "INVALID_IMAGE_STATUS"),
            Self::KeyPairNotSupported => (400, "INVALID_KEY_PAIR_NOT_SUPPORTED_WINDOWS"),
            Self::PasswordKeyConflict => (400, "INVALID_PARAMETER_PASSWORD_KEY_CONFLICT"),
            Self::KeyPairNameDuplicate => (409, "INVALID_KEY_PAIR_NAME_DUPLICATE"),
            Self::KeyPairPublicKeyDuplicate => (409, "INVALID_KEY_PAIR_PUBLIC_KEY_DUPLICATE"),
            Self::PublicKeyMalformed => (400, "INVALID_KEY_PAIR_PUBLIC_KEY_MALFORMED"),
            Self::KeyPairInUse => (403, "OPERATION_DENIED_KEY_PAIR_IN_USE"),
            Self::InstanceRecycled => (403, "OPERATION_DENIED_INSTANCE_RECYCLED"),
            Self::InstanceStatus => (403, "OPERATION_DENIED_INSTANCE_STATUS"),
            Self::InstanceNotRunning => (403, "OPERATION_DENIED_INSTANCE_NOT_RUNNING"),
            Self::InstanceNotStopped => (403, "OPERATION_DENIED_INSTANCE_NOT_STOPPED"),
            Self::ZoneSoldOut => (400, "INVALID_ZONE_INSTANCE_TYPE_SOLD_OUT"),
            Self::NotSupported => (501, "OPERATION_NOT_SUPPORTED"),
            Self::Internal => (500, "INTERNAL_SERVER_ERROR"),
        }
    }

    /// This code with a message.
    pub fn message(self, message: impl Into<String>) -> ApiError {
        let (status, code) = self.wire();
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
        }
    }
}

/// `INVALID_PARAMETER` naming what is wrong.
pub fn invalid(message: impl Into<String>) -> ApiError {
    Code::InvalidParameter.message(message)
}

/// A required parameter is missing.
pub fn missing(field: &str) -> ApiError {
    invalid(format!("The parameter `{field}` is required."))
}

/// An internal failure (the details are logged, not leaked).
pub fn internal(e: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "internal error");
    Code::Internal.message("An internal error occurred. Please try again later.")
}

/// The code for an instance that may not do `action` in `state`.
fn state_code(action: Option<Action>, state: LifecycleState) -> Code {
    use Action::*;
    match (action, state) {
        (_, LifecycleState::Isolated | LifecycleState::Isolating) => Code::InstanceRecycled,
        (Some(StopInstances | ResetInstancePassword | ResetInstancesPassword), _) => {
            Code::InstanceNotRunning
        }
        (Some(StartInstances | ResetInstance | ResetInstances), _) => Code::InstanceNotStopped,
        _ => Code::InstanceStatus,
    }
}

/// The Zenlayer code and message for an engine error raised by `action`
/// (`None`: before the action is known).
pub fn to_api(e: &E, action: Option<Action>) -> ApiError {
    let code = match e {
        E::InstanceNotFound(_) => Code::InstanceNotFound,
        E::ImageNotFound(_) => Code::ImageNotFound,
        E::ImageUnavailable(_) => Code::ImageUnavailable,
        E::PlanNotFound(_) => Code::InstanceTypeNotFound,
        E::PlanUnavailable(_) | E::ZoneSoldOut(_) => Code::ZoneSoldOut,
        E::ZoneNotFound(_) | E::RegionNotFound(_) => Code::ZoneNotFound,
        E::KeyPairNotFound(_) => Code::KeyPairNotFound,
        E::KeyPairNameTaken(_) => Code::KeyPairNameDuplicate,
        E::KeyPairDuplicate(_) => Code::KeyPairPublicKeyDuplicate,
        E::KeyPairInUse(_) => Code::KeyPairInUse,
        E::PublicKeyMalformed => Code::PublicKeyMalformed,
        E::InvalidPassword(_) => Code::PasswordMalformed,
        E::PasswordWithKeys => Code::PasswordKeyConflict,
        E::KeysOnWindows => Code::KeyPairNotSupported,
        E::OsFamilySwitch => Code::ImageOsTypeMismatch,
        E::ImageExceedsDisk { .. } | E::DiskShrink { .. } => Code::ImageSizeExceed,
        E::ImageRequirementsNotMet(_) | E::PlanImageMismatch { .. } => {
            Code::ImageRequirementsNotMet
        }
        E::InvalidState { state, .. } | E::OperationInProgress { state, .. } => {
            state_code(action, *state)
        }
        E::InstanceCreating(_) | E::ConcurrentModification(_) => Code::InstanceStatus,
        E::TerminationProtected(_) | E::MixedChargeTypes => Code::InstanceStatus,
        E::KeyPairAlreadyBound { .. } | E::KeyPairNotBound { .. } | E::TooManyKeys { .. } => {
            Code::InvalidParameter
        }
        E::Duplicated { .. } | E::TooMany { .. } => Code::InvalidParameter,
        // ZEC charges no balance here.
        E::DryRunPassed | E::InsufficientBalance { .. } | E::NotPayAsYouGo(_) => {
            Code::InvalidParameter
        }
        E::RateLimited => Code::RequestLimitExceeded,
        E::NotOffered => Code::InvalidAction,
        E::Refused(r) => return r.answer_or(|| internal(e)),
        E::Injected {
            code,
            status,
            message,
        } => {
            return ApiError {
                status: status.unwrap_or(400),
                code: code.clone().into(),
                message: message.clone(),
            }
        }
        E::Internal(_) => return internal(e),
    };
    let message = match (code, e) {
        (Code::InstanceRecycled, E::InvalidState { id, .. }) => {
            format!("The instance {id} is in the recycle bin; operations on it are not supported.")
        }
        (_, E::InvalidState { id, state, .. } | E::OperationInProgress { id, state }) => format!(
            "The instance {id} is {}; this operation is not supported in that state.",
            super::profile::state_name(*state)
        ),
        (_, other) => other.to_string(),
    };
    code.message(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratus_engine::lifecycle::OperationKind;

    #[test]
    fn seed_codes_have_their_documented_statuses() {
        let cases = [
            (
                E::InstanceNotFound("1".into()),
                Action::ResetInstance,
                404,
                "INVALID_INSTANCE_NOT_FOUND",
            ),
            (
                E::ImageNotFound("x".into()),
                Action::ResetInstance,
                404,
                "INVALID_IMAGE_NOT_FOUND",
            ),
            (
                E::ImageExceedsDisk {
                    image_gb: 50,
                    disk_gb: 20,
                },
                Action::ResetInstance,
                400,
                "INVALID_IMAGE_SIZE_EXCEED",
            ),
            (
                E::InvalidState {
                    id: "1".into(),
                    state: LifecycleState::Isolated,
                    kind: OperationKind::Reboot,
                },
                Action::RebootInstances,
                403,
                "OPERATION_DENIED_INSTANCE_RECYCLED",
            ),
            (
                E::InvalidState {
                    id: "1".into(),
                    state: LifecycleState::Stopped,
                    kind: OperationKind::Reboot,
                },
                Action::RebootInstances,
                403,
                "OPERATION_DENIED_INSTANCE_STATUS",
            ),
            (
                E::RateLimited,
                Action::ResetInstance,
                429,
                "REQUEST_LIMIT_EXCEEDED",
            ),
        ];
        for (e, action, status, code) in cases {
            let a = to_api(&e, Some(action));
            assert_eq!((a.status, a.code.as_ref()), (status, code), "{e:?}");
        }
    }
}
