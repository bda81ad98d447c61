//! Engine errors: what went wrong, in domain terms. Each dialect maps every
//! variant to its vendor's code in one table.

use crate::lifecycle::{LifecycleState, OperationKind};
use crate::profile::PasswordViolation;

/// What a list in a request names; each dialect says it in its own
/// parameter's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchField {
    Instances,
    KeyPairs,
}

impl std::fmt::Display for BatchField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Instances => "instances",
            Self::KeyPairs => "key pairs",
        })
    }
}

/// A request the engine refused, or a failure behind it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("the instance {0} does not exist")]
    InstanceNotFound(String),
    #[error("the image {0} does not exist")]
    ImageNotFound(String),
    #[error("the image {0} is not available")]
    ImageUnavailable(String),
    #[error("the plan {0} does not exist")]
    PlanNotFound(String),
    #[error("the plan {0} is not available")]
    PlanUnavailable(String),
    #[error("the zone {0} does not exist in this region")]
    ZoneNotFound(String),
    #[error("the zone {0} is sold out")]
    ZoneSoldOut(String),
    #[error("the region {0} is not supported")]
    RegionNotFound(String),
    #[error("the key pair {0} does not exist")]
    KeyPairNotFound(String),
    #[error("a key pair named {0} already exists")]
    KeyPairNameTaken(String),
    #[error("this public key has already been imported as {0}")]
    KeyPairDuplicate(String),
    #[error("the key pair {0} is bound to instances and cannot be deleted")]
    KeyPairInUse(String),
    #[error("the key pair {key} is already bound to the instance {instance}")]
    KeyPairAlreadyBound { key: String, instance: String },
    #[error("the key pair {key} is not bound to the instance {instance}")]
    KeyPairNotBound { key: String, instance: String },
    #[error("the public key is not a valid OpenSSH public key")]
    PublicKeyMalformed,
    #[error("{0}")]
    InvalidPassword(PasswordViolation),
    #[error("a password and key pairs cannot be given together")]
    PasswordWithKeys,
    #[error("key pairs cannot be used with Windows")]
    KeysOnWindows,
    #[error("at most {max} key pairs may be bound to an instance")]
    TooManyKeys { max: usize },
    #[error(
        "the image's OS family differs from the instance's and cannot be switched by a reinstall"
    )]
    OsFamilySwitch,
    #[error("the instance configuration does not meet the image requirements: {0}")]
    ImageRequirementsNotMet(String),
    #[error("the plan {plan} cannot run the image {image}")]
    PlanImageMismatch { plan: String, image: String },
    #[error("the system disk ({disk_gb} GB) is smaller than the image ({image_gb} GB)")]
    ImageExceedsDisk { image_gb: u32, disk_gb: u32 },
    #[error("the system disk cannot shrink from {current} GB to {requested} GB")]
    DiskShrink { current: u32, requested: u32 },
    #[error("the instance {id} is {state:?}; {kind:?} is not allowed in that state")]
    InvalidState {
        id: String,
        state: LifecycleState,
        kind: OperationKind,
    },
    #[error("the instance {0} is still being created")]
    InstanceCreating(String),
    #[error("the latest operation of the instance {id} has not finished")]
    OperationInProgress { id: String, state: LifecycleState },
    #[error("the instance {0} is protected from termination")]
    TerminationProtected(String),
    #[error("the instance {0} is not pay-as-you-go: its billing cannot stop")]
    NotPayAsYouGo(String),
    #[error("the instances are not all paid the same way")]
    MixedChargeTypes,
    #[error("another request changed the instance {0} at the same time")]
    ConcurrentModification(String),
    #[error("the {field} {value} is given twice")]
    Duplicated { field: BatchField, value: String },
    #[error("more than {max} {field} in one request")]
    TooMany { field: BatchField, max: usize },
    #[error("the purchase costs {cost:.2} but the balance is {balance:.2}")]
    InsufficientBalance { cost: f64, balance: f64 },
    #[error("the request would have succeeded, but DryRun is set")]
    DryRunPassed,
    #[error("too many requests of this action for this account per second")]
    RateLimited,
    #[error("this product does not offer that action")]
    NotOffered,
    /// A fault rule answered the request at the door with this code.
    #[error("{message}")]
    Injected {
        code: String,
        status: Option<u16>,
        message: String,
    },
    /// A product's own rule refused the request (see
    /// [`crate::engine::ProductRules`]); it carries the dialect's answer.
    #[error("refused by the product's rules")]
    Refused(ProductRefusal),
    #[error("internal error: {0}")]
    Internal(String),
}

/// A refusal by a product's own rule, as the dialect that made the rule
/// will answer it (the engine never looks inside).
#[derive(Clone)]
pub struct ProductRefusal(std::sync::Arc<dyn std::any::Any + Send + Sync>);

impl ProductRefusal {
    /// Wraps a dialect's answer.
    pub fn new<T: std::any::Any + Send + Sync>(answer: T) -> Self {
        Self(std::sync::Arc::new(answer))
    }

    /// The dialect's answer, if it is a `T`.
    pub fn answer<T: std::any::Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }

    /// The dialect's answer, or `otherwise` if it is not a `T` (a rule of
    /// another dialect's: a bug, answered as an internal error).
    pub fn answer_or<T: std::any::Any + Clone>(&self, otherwise: impl FnOnce() -> T) -> T {
        self.answer().cloned().unwrap_or_else(otherwise)
    }
}

impl std::fmt::Debug for ProductRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProductRefusal(..)")
    }
}

impl PartialEq for ProductRefusal {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl From<crate::ports::StoreError> for EngineError {
    fn from(e: crate::ports::StoreError) -> Self {
        match e {
            crate::ports::StoreError::Conflict(id) => EngineError::ConcurrentModification(id),
            other => EngineError::Internal(other.to_string()),
        }
    }
}
