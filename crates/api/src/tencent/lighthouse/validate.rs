//! Lighthouse parameter rules that come before the engine: id formats,
//! list sizes, paging and filters.

use super::super::envelope::ApiError;
use serde::Deserialize;
use stratus_engine::profile::IdStyle;

/// A `Filter` structure.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    pub name: String,
    pub values: Vec<String>,
}

/// Longest id accepted before the format is even looked at.
const MAX_ID_LEN: usize = 64;

fn prefixed(prefix: &str) -> IdStyle {
    IdStyle::Prefixed {
        prefix: prefix.to_string(),
        len: 8,
    }
}

/// Checks one id against `lhins-`/`lhbp-`/`lhkp-` formats.
pub fn id(
    value: &str,
    prefix: &str,
    malformed_code: &'static str,
    field: &str,
) -> Result<(), ApiError> {
    if value.len() > MAX_ID_LEN {
        return Err(ApiError::new(
            "InvalidParameterValue.TooLong",
            format!("The value of `{field}` is longer than {MAX_ID_LEN} characters."),
        ));
    }
    if !prefixed(prefix).matches(value) {
        return Err(ApiError::new(
            malformed_code,
            format!("The value `{value}` of `{field}` is malformed: expected `{prefix}` followed by 8 lower-case letters or digits."),
        ));
    }
    Ok(())
}

/// An instance id.
pub fn instance_id(value: &str, field: &str) -> Result<(), ApiError> {
    id(
        value,
        "lhins-",
        "InvalidParameterValue.InstanceIdMalformed",
        field,
    )
}

/// A blueprint id.
pub fn blueprint_id(value: &str, field: &str) -> Result<(), ApiError> {
    id(
        value,
        "lhbp-",
        "InvalidParameterValue.BlueprintIdMalformed",
        field,
    )
}

/// A key pair id.
pub fn key_id(value: &str, field: &str) -> Result<(), ApiError> {
    id(
        value,
        "lhkp-",
        "InvalidParameterValue.KeyPairIdMalformed",
        field,
    )
}

/// A list of ids: at most `max`, no duplicates, each well formed.
pub fn ids(
    values: &[String],
    max: usize,
    field: &str,
    each: fn(&str, &str) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    if values.len() > max {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            format!("`{field}` accepts at most {max} values."),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for v in values {
        if !seen.insert(v) {
            return Err(ApiError::new(
                "InvalidParameterValue.Duplicated",
                format!("The value `{v}` of `{field}` is duplicated."),
            ));
        }
        each(v, field)?;
    }
    Ok(())
}

/// Offset and Limit: non-negative, Limit 1–100 (default 20).
pub fn page(offset: Option<i64>, limit: Option<i64>) -> Result<(usize, usize), ApiError> {
    let offset = offset.unwrap_or(0);
    let limit = limit.unwrap_or(20);
    if offset < 0 || limit < 0 {
        return Err(ApiError::new(
            "InvalidParameterValue.Negative",
            "Offset and Limit must not be negative.",
        ));
    }
    if !(1..=100).contains(&limit) {
        return Err(ApiError::new(
            "InvalidParameterValue.OutOfRange",
            "Limit must be between 1 and 100.",
        ));
    }
    Ok((offset as usize, limit as usize))
}

/// Filters: at most 10, each with a supported name and at most
/// `max_values` values.
pub fn filters(filters: &[Filter], supported: &[&str], max_values: usize) -> Result<(), ApiError> {
    if filters.len() > 10 {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            "At most 10 filters are accepted.",
        ));
    }
    for f in filters {
        let tag_filter = f.name.strip_prefix("tag:").is_some_and(|k| !k.is_empty())
            && supported.contains(&"tag:");
        if !tag_filter && !supported.contains(&f.name.as_str()) {
            return Err(ApiError::new(
                "InvalidParameter.InvalidFilterNotSupportedName",
                format!(
                    "The filter name `{}` is not supported; supported: {}.",
                    f.name,
                    supported.join(", ")
                ),
            ));
        }
        if f.values.len() > max_values {
            return Err(ApiError::new(
                "InvalidParameter.FilterValueLimitExceeded",
                format!(
                    "The filter `{}` accepts at most {max_values} values.",
                    f.name
                ),
            ));
        }
    }
    Ok(())
}

/// Ids and filters are mutually exclusive.
pub fn not_both(ids: bool, filters: bool, ids_field: &str) -> Result<(), ApiError> {
    if ids && filters {
        return Err(ApiError::new(
            "InvalidParameter.ParameterConflict",
            format!("`{ids_field}` and `Filters` cannot be given together."),
        ));
    }
    Ok(())
}
