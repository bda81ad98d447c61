//! Kingsoft error codes: every code this dialect answers with, its HTTP
//! status and documented message (the one table of vendor codes), and the
//! mapping of engine errors onto them.

use super::envelope::ApiError;
use super::Action;
use stratus_engine::engine::NetworkError;
use stratus_engine::error::BatchField;
use stratus_engine::model::NetworkKind;
use stratus_engine::EngineError as E;

/// A Kingsoft error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    // Authentication and transport.
    MissingAuthenticationToken,
    IncompleteSignature,
    InvalidAccessKeyId,
    SignatureDoesNotMatch,
    RequestExpired,
    InvalidAction,
    MissingParameter,
    InvalidParameter,
    InvalidParameterValue,
    RegionNotConfigured,
    RequestLimitExceeded,
    ServiceUnavailable,
    InternalError,
    // Instances.
    InstanceIdRequired,
    InstanceIdInvalid,
    InstanceIdLimitExceeded,
    InstanceNotFound,
    InstanceStateNotSupported,
    InstanceStateNotSupportedReboot,
    ProductSellOutInvalid,
    OperationDeniedSpotInstance,
    // Images and reinstalls (seed 004).
    ImageIdInvalidParameterValue,
    RootDiskGbInvalidParameterValue,
    KeyIdInvalidParameterValue,
    HostNameInvalidParameterValue,
    ImageTypeNotSupportedKeyLogin,
    LocalImageOnlySupportSsd3ForModifyImage,
    AssembledImageNotSupportReinstallSystem,
    InstanceKeyLimitExceeded,
    RockyLinuxOnlySupport2048ForRsaKey,
    ImageHaveInvalidZone,
    ImageTypeMismatchingForeign,
    LocalVolumeRollBackImageTypeMismatching,
    GoSdkVersionInvalid,
    // Networks (the VPC service). Not confirmed by a Kingsoft source: named
    // as KEC names its own (`InstanceNotFound`), and worded so that the
    // Terraform provider's "not found" and "in use" tests recognise them.
    VpcNotFound,
    SubnetNotFound,
    SecurityGroupNotFound,
    VpcInUse,
    SubnetInUse,
    SecurityGroupInUse,
}

impl Code {
    /// The wire code, the HTTP status and the documented message.
    pub fn spec(self) -> (&'static str, u16, &'static str) {
        use Code::*;
        match self {
            MissingAuthenticationToken => ("MissingAuthenticationToken", 403, "Request is missing Authentication Token."),
            IncompleteSignature => ("IncompleteSignature", 400, "The request signature does not conform to the AWS4-HMAC-SHA256 form."),
            InvalidAccessKeyId => ("InvalidAccessKeyId", 403, "The AccessKey Id you provided does not exist in our records."),
            SignatureDoesNotMatch => ("SignatureDoesNotMatch", 403, "The request signature we calculated does not match the signature you provided. Check your Secret Access Key and signing method."),
            RequestExpired => ("RequestExpired", 403, "Request has expired: the request time differs from the server time by more than 15 minutes."),
            InvalidAction => ("InvalidAction", 400, "The action or operation requested is not valid."),
            MissingParameter => ("MissingParameter", 400, "A required parameter is missing."),
            InvalidParameter => ("InvalidParameter", 400, "A parameter is not valid."),
            InvalidParameterValue => ("InvalidParameterValue", 400, "An invalid or out-of-range value was supplied for the input parameter."),
            RegionNotConfigured => ("InternalError", 400, "region not config"),
            RequestLimitExceeded => ("RequestLimitExceeded", 503, "Request limit exceeded."),
            ServiceUnavailable => ("ServiceUnavailable", 400, "The service is unavailable."),
            InternalError => ("InternalError", 500, "An internal error occurred. Please try again later."),
            InstanceIdRequired => ("InstanceIdRequired", 400, "InstanceId is required"),
            InstanceIdInvalid => ("InstanceIdInvalid", 400, "Instance Resource id is invalid"),
            InstanceIdLimitExceeded => ("InstanceIdLimitExceeded", 400, "The request attempts to handle instance resources beyond limits."),
            InstanceNotFound => ("InstanceNotFound", 400, "The specified instance does not exist."),
            InstanceStateNotSupported => ("InstanceStateNotSupported", 400, "The InstanceState for this action not supported."),
            InstanceStateNotSupportedReboot => ("InstanceStateNotSupportedReboot", 400, "The InstanceState for this action not supported."),
            ProductSellOutInvalid => ("ProductSellOutInvalid", 400, "product already sell out."),
            OperationDeniedSpotInstance => ("OperationDenied.SpotInstance", 400, "The operation is not permitted due to charge type of the instance."),
            ImageIdInvalidParameterValue => ("ImageIdInvalidParameterValue", 400, "An invalid or out-of-range value was supplied for the \"ImageId\" parameter."),
            RootDiskGbInvalidParameterValue => ("RootDiskGbInvalidParameterValue", 400, "An invalid or out-of-range value was supplied for the \"RootDiskGb\" parameter."),
            KeyIdInvalidParameterValue => ("KeyIdInvalidParameterValue", 400, "An invalid or out-of-range value was supplied for the \"KeyId\" parameter."),
            HostNameInvalidParameterValue => ("HostNameInvalidParameterValue", 400, "An invalid or out-of-range value was supplied for the \"HostName\" parameter."),
            ImageTypeNotSupportedKeyLogin => ("ImageTypeNotSupportedKeyLogin", 400, "The ImageType for this not supported KeyLogin"),
            LocalImageOnlySupportSsd3ForModifyImage => ("LocalImageOnlySupportSSD3ForModifyImage", 400, "Only support instances which the system disk is SSD3.0 using local mirroring to reinstall the system."),
            AssembledImageNotSupportReinstallSystem => ("AssembledImageNotSupportReinstallSystem", 400, "You cannot reinstall the system by using an image that contains a data disk snapshot."),
            InstanceKeyLimitExceeded => ("InvalidParameter.InstanceKeyLimitExceeded", 400, "InvalidParameter.InstanceKeyLimitExceeded"),
            RockyLinuxOnlySupport2048ForRsaKey => ("RockyLinuxOnlySupport2048ForRsaKey", 400, "The specified image only support RSA 2048 bit key pair."),
            ImageHaveInvalidZone => ("ImageHaveInvalidZone", 400, "The specified local mirror is not in the zone."),
            ImageTypeMismatchingForeign => ("ImageTypeMismatchingForeign", 400, "region image type mismatching"),
            LocalVolumeRollBackImageTypeMismatching => ("LocalVolumeRollBackImageTypeMismatching", 400, "System disk snapshot does not support rollback across operating system versions."),
            GoSdkVersionInvalid => ("GoSDKVersionInvalid", 400, "Your GoSDK Version is deprecated for ModifyInstanceImage action, please upgrade your GoSDK to 0.1.29 or Terraform to Version 1.3.26 or later."),
            VpcNotFound => ("VpcNotFound", 400, "The specified VPC does not exist."),
            SubnetNotFound => ("SubnetNotFound", 400, "The specified subnet does not exist."),
            SecurityGroupNotFound => ("SecurityGroupNotFound", 400, "The specified security group does not exist."),
            VpcInUse => ("VpcInUse", 400, "The VPC is in use: delete its subnets and security groups first."),
            SubnetInUse => ("SubnetInUse", 400, "The subnet is in use by instances."),
            SecurityGroupInUse => ("SecurityGroupInUse", 400, "The security group is in use by instances."),
        }
    }

    /// This code with its documented message.
    pub fn err(self) -> ApiError {
        let (code, status, message) = self.spec();
        ApiError::with_status(status, code, message)
    }

    /// This code with the documented message and a detail after it.
    pub fn detail(self, detail: impl std::fmt::Display) -> ApiError {
        let (code, status, message) = self.spec();
        ApiError::with_status(status, code, format!("{message} {detail}"))
    }

    /// This code with another message.
    pub fn message(self, message: impl Into<String>) -> ApiError {
        let (code, status, _) = self.spec();
        ApiError::with_status(status, code, message)
    }
}

/// `InvalidParameterValue` naming the parameter.
pub fn invalid(field: &str) -> ApiError {
    ApiError::invalid_value(field)
}

/// `MissingParameter` naming the parameter.
pub fn missing(field: &str) -> ApiError {
    Code::MissingParameter.message(format!("The request must contain the parameter {field}."))
}

/// The not-found and the in-use code of a kind of network.
pub fn network_codes(kind: NetworkKind) -> (Code, Code) {
    match kind {
        NetworkKind::Vpc => (Code::VpcNotFound, Code::VpcInUse),
        NetworkKind::Subnet => (Code::SubnetNotFound, Code::SubnetInUse),
        NetworkKind::SecurityGroup | NetworkKind::Deleted => {
            (Code::SecurityGroupNotFound, Code::SecurityGroupInUse)
        }
    }
}

/// The Kingsoft error for a refused deletion of a `kind` network.
pub fn network_refusal(e: &NetworkError, kind: NetworkKind, action: Action) -> ApiError {
    let (not_found, in_use) = network_codes(kind);
    match e {
        NetworkError::NotFound(id) => not_found.detail(format!("`{id}` is not found.")),
        NetworkError::InUse { user, .. } => in_use.detail(format!("It is used by {user}.")),
        NetworkError::Engine(e) => to_api(e, Some(action)),
    }
}

/// The state refusal of `action`.
fn state_refusal(action: Option<Action>, detail: String) -> ApiError {
    use super::KecAction::{ModifyInstanceImage, RebootInstances, StartInstances};
    match action {
        Some(Action::Kec(RebootInstances)) => Code::InstanceStateNotSupportedReboot.detail(detail),
        Some(Action::Kec(StartInstances | ModifyInstanceImage)) => Code::InstanceStateNotSupported
            .message(format!(
                "The InstanceState for this action should be \"Stopped\". {detail}"
            )),
        _ => Code::InstanceStateNotSupported.detail(detail),
    }
}

/// The Kingsoft error for an engine error raised by `action` (`None`:
/// before the action is known).
pub fn to_api(e: &E, action: Option<Action>) -> ApiError {
    use super::profile::state_name;
    match e {
        E::InstanceNotFound(id) => {
            Code::InstanceNotFound.message(format!("The specified instance {id} does not exist."))
        }
        E::ImageNotFound(_) | E::ImageUnavailable(_) | E::OsFamilySwitch => {
            Code::ImageIdInvalidParameterValue.detail(e)
        }
        E::ImageRequirementsNotMet(_) | E::PlanImageMismatch { .. } => {
            Code::ImageIdInvalidParameterValue.detail(e)
        }
        E::ImageExceedsDisk { .. } | E::DiskShrink { .. } => {
            Code::RootDiskGbInvalidParameterValue.detail(e)
        }
        E::PlanNotFound(_) => invalid("InstanceType"),
        E::PlanUnavailable(_) | E::ZoneSoldOut(_) => Code::ProductSellOutInvalid.err(),
        E::ZoneNotFound(_) => invalid("SubnetId"),
        E::RegionNotFound(_) => Code::RegionNotConfigured.err(),
        E::KeyPairNotFound(_) | E::KeyPairAlreadyBound { .. } | E::KeyPairNotBound { .. } => {
            Code::KeyIdInvalidParameterValue.detail(e)
        }
        E::KeyPairNameTaken(_) => Code::InvalidParameterValue.message(format!(
            "An invalid or out-of-range value was supplied for the input parameter KeyName: {e}."
        )),
        E::KeyPairDuplicate(_) | E::PublicKeyMalformed => Code::InvalidParameterValue.message(
            format!("An invalid or out-of-range value was supplied for the input parameter PublicKey: {e}."),
        ),
        E::KeyPairInUse(_) => Code::InvalidParameterValue.message(format!(
            "An invalid or out-of-range value was supplied for the input parameter KeyId: {e}."
        )),
        E::InvalidPassword(_) => Code::InvalidParameterValue.message(format!(
            "An invalid or out-of-range value was supplied for the input parameter InstancePassword: {e}."
        )),
        E::PasswordWithKeys => Code::InvalidParameter.message(
            "InstancePassword and KeyId cannot be given together.",
        ),
        E::KeysOnWindows => Code::ImageTypeNotSupportedKeyLogin.err(),
        E::TooManyKeys { max } => Code::InstanceKeyLimitExceeded.message(format!(
            "InvalidParameter.InstanceKeyLimitExceeded: at most {max} key pairs per instance."
        )),
        E::InvalidState { id, state, .. } | E::OperationInProgress { id, state } => state_refusal(
            action,
            format!("The instance {id} is {}.", state_name(*state)),
        ),
        E::InstanceCreating(id) => {
            state_refusal(action, format!("The instance {id} is building."))
        }
        E::ConcurrentModification(id) => state_refusal(
            action,
            format!("Another operation on {id} is in progress."),
        ),
        E::TerminationProtected(_) | E::MixedChargeTypes | E::DryRunPassed => {
            Code::InvalidParameter.message(e.to_string())
        }
        E::Duplicated { field, .. } => {
            let name = match field {
                BatchField::Instances => "InstanceId",
                BatchField::KeyPairs => "KeyId",
            };
            Code::InvalidParameterValue.message(format!(
                "An invalid or out-of-range value was supplied for the input parameter {name}: {e}."
            ))
        }
        E::TooMany {
            field: BatchField::KeyPairs,
            ..
        } => Code::InstanceKeyLimitExceeded.err(),
        E::TooMany { .. } => Code::InstanceIdLimitExceeded.err(),
        E::RateLimited => Code::RequestLimitExceeded.err(),
        // KEC charges no balance here.
        E::InsufficientBalance { .. } | E::NotPayAsYouGo(_) => {
            Code::InvalidParameter.message(e.to_string())
        }
        E::NotOffered => Code::InvalidAction.err(),
        E::Refused(r) => r.answer_or(|| ApiError::internal(e)),
        E::Injected {
            code,
            status,
            message,
        } => ApiError::with_status(status.unwrap_or(400), code.clone(), message.clone()),
        E::Internal(_) => ApiError::internal(e),
    }
}
