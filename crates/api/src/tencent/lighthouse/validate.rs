//! Lighthouse's codes for the shared parameter rules, and its id formats.

use crate::tencent::envelope::ApiError;
pub use crate::tencent::validate::{filters as check_filters, id, Codes, Filter};

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

/// A list of ids.
pub fn ids(
    values: &[String],
    max: usize,
    field: &str,
    each: fn(&str, &str) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    crate::tencent::validate::ids(&CODES, values, max, field, each)
}

/// Offset and Limit.
pub fn page(offset: Option<i64>, limit: Option<i64>) -> Result<(usize, usize), ApiError> {
    crate::tencent::validate::page(&CODES, offset, limit)
}

/// Filters.
pub fn filters(filters: &[Filter], supported: &[&str], max_values: usize) -> Result<(), ApiError> {
    check_filters(&CODES, filters, supported, max_values)
}

/// Ids and filters are mutually exclusive.
pub fn not_both(ids: bool, filters: bool, ids_field: &str) -> Result<(), ApiError> {
    crate::tencent::validate::not_both(&CODES, ids, filters, ids_field)
}
