//! Parameter rules that come before the engine, shared by the Tencent
//! products: id formats, list sizes, paging and filters. The products
//! differ only in the codes they answer with ([`Codes`]).

use super::envelope::ApiError;
use serde::Deserialize;

/// A `Filter` structure.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    pub name: String,
    pub values: Vec<String>,
}

/// The codes a product answers these rules with.
#[derive(Debug, Clone, Copy)]
pub struct Codes {
    pub too_many_values: &'static str,
    pub duplicated: &'static str,
    pub negative: &'static str,
    pub limit_out_of_range: &'static str,
    pub filter_name: &'static str,
    pub filter_values: &'static str,
    pub ids_with_filters: &'static str,
}

/// Longest id accepted before the format is even looked at.
const MAX_ID_LEN: usize = 64;

/// `RenewFlag` values of a prepaid instance, the same in every Tencent product.
const RENEW_FLAGS: [&str; 3] = [
    "NOTIFY_AND_AUTO_RENEW",
    "NOTIFY_AND_MANUAL_RENEW",
    "DISABLE_NOTIFY_AND_MANUAL_RENEW",
];

/// Refuses a `RenewFlag` the products do not know.
pub fn renew_flag(flag: Option<&str>) -> Result<(), ApiError> {
    match flag {
        Some(flag) if !RENEW_FLAGS.contains(&flag) => Err(ApiError::new(
            "InvalidParameterValue",
            format!("`RenewFlag` `{flag}` is not supported."),
        )),
        _ => Ok(()),
    }
}

/// Checks one id: `prefix` followed by 8 lower-case letters or digits.
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
    if !super::profile::prefixed(prefix).matches(value) {
        return Err(ApiError::new(
            malformed_code,
            format!("The value `{value}` of `{field}` is malformed: expected `{prefix}` followed by 8 lower-case letters or digits."),
        ));
    }
    Ok(())
}

impl Codes {
    /// A list of ids: at most `max`, no duplicates, each well formed.
    pub fn ids(
        &self,
        values: &[String],
        max: usize,
        field: &str,
        each: fn(&str, &str) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        if values.len() > max {
            return Err(ApiError::new(
                self.too_many_values,
                format!("`{field}` accepts at most {max} values."),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for v in values {
            if !seen.insert(v) {
                return Err(ApiError::new(
                    self.duplicated,
                    format!("The value `{v}` of `{field}` is duplicated."),
                ));
            }
            each(v, field)?;
        }
        Ok(())
    }

    /// Offset and Limit: non-negative, Limit 1–100 (default 20).
    pub fn page(
        &self,
        offset: Option<i64>,
        limit: Option<i64>,
    ) -> Result<(usize, usize), ApiError> {
        let offset = offset.unwrap_or(0);
        let limit = limit.unwrap_or(20);
        if offset < 0 || limit < 0 {
            return Err(ApiError::new(
                self.negative,
                "Offset and Limit must not be negative.",
            ));
        }
        if !(1..=100).contains(&limit) {
            return Err(ApiError::new(
                self.limit_out_of_range,
                "Limit must be between 1 and 100.",
            ));
        }
        Ok((offset as usize, limit as usize))
    }

    /// Filters: at most 10, each with a supported name and at most
    /// `max_values` values.
    pub fn filters(
        &self,
        filters: &[Filter],
        supported: &[&str],
        max_values: usize,
    ) -> Result<(), ApiError> {
        if filters.len() > 10 {
            return Err(ApiError::new(
                self.too_many_values,
                "At most 10 filters are accepted.",
            ));
        }
        for f in filters {
            let tag_filter = f.name.strip_prefix("tag:").is_some_and(|k| !k.is_empty())
                && supported.contains(&"tag:");
            if !tag_filter && !supported.contains(&f.name.as_str()) {
                return Err(ApiError::new(
                    self.filter_name,
                    format!(
                        "The filter name `{}` is not supported; supported: {}.",
                        f.name,
                        supported.join(", ")
                    ),
                ));
            }
            if f.values.len() > max_values {
                return Err(ApiError::new(
                    self.filter_values,
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
    pub fn not_both(&self, ids: bool, filters: bool, ids_field: &str) -> Result<(), ApiError> {
        if ids && filters {
            return Err(ApiError::new(
                self.ids_with_filters,
                format!("`{ids_field}` and `Filters` cannot be given together."),
            ));
        }
        Ok(())
    }
}

/// A `Tag` structure of a request.
/// A `TagSpecification` entry: tags for the resources of one type.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagSpec {
    pub resource_type: String,
    pub tags: Vec<TagParam>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagParam {
    pub key: String,
    pub value: String,
}

impl From<TagParam> for stratus_engine::model::Tag {
    fn from(t: TagParam) -> Self {
        Self {
            key: t.key,
            value: t.value,
        }
    }
}

/// Whether `tags` pass a `tag-key`, `tag-value` or `tag:<key>` filter
/// (any other filter name: false).
pub fn tag_filter_matches(f: &Filter, tags: &[stratus_engine::model::Tag]) -> bool {
    match f.name.as_str() {
        "tag-key" => tags.iter().any(|t| f.values.contains(&t.key)),
        "tag-value" => tags.iter().any(|t| f.values.contains(&t.value)),
        name => name.strip_prefix("tag:").is_some_and(|key| {
            tags.iter()
                .any(|t| t.key == key && f.values.contains(&t.value))
        }),
    }
}
