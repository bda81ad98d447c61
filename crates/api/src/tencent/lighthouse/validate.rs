//! Lighthouse's codes for the shared parameter rules, and its id formats.

use crate::tencent::envelope::ApiError;
pub use crate::tencent::validate::{id, Codes, Filter};

/// The codes Lighthouse answers parameter rules with.
pub const CODES: Codes = Codes {
    too_many_values: "InvalidParameterValue.LimitExceeded",
    duplicated: "InvalidParameterValue.Duplicated",
    negative: "InvalidParameterValue.Negative",
    limit_out_of_range: "InvalidParameterValue.OutOfRange",
    filter_name: "InvalidParameter.InvalidFilterNotSupportedName",
    filter_values: "InvalidParameter.FilterValueLimitExceeded",
    ids_with_filters: "InvalidParameter.ParameterConflict",
};

/// An instance id (`lhins-xxxxxxxx`).
pub fn instance_id(value: &str, field: &str) -> Result<(), ApiError> {
    id(
        value,
        "lhins-",
        "InvalidParameterValue.InstanceIdMalformed",
        field,
    )
}

/// A blueprint id (`lhbp-xxxxxxxx`).
pub fn blueprint_id(value: &str, field: &str) -> Result<(), ApiError> {
    id(
        value,
        "lhbp-",
        "InvalidParameterValue.BlueprintIdMalformed",
        field,
    )
}

/// A key pair id (`lhkp-xxxxxxxx`).
pub fn key_id(value: &str, field: &str) -> Result<(), ApiError> {
    id(
        value,
        "lhkp-",
        "InvalidParameterValue.KeyPairIdMalformed",
        field,
    )
}
