//! Parts of the API 3.0 views Lighthouse and CVM render alike.

use crate::fields::TagPairs;
use serde_json::{json, Value};
use stratus_engine::model::{OperationState, Tag};

/// The `LatestOperationState` of an operation.
pub fn operation_state(s: OperationState) -> &'static str {
    match s {
        OperationState::Operating => "OPERATING",
        OperationState::Success => "SUCCESS",
        OperationState::Failed => "FAILED",
    }
}

/// Tags as `[{Key, Value}]`, as a JSON value.
pub fn tags(tags: &[Tag]) -> Value {
    json!(tag_set(tags))
}

/// Tags as `[{Key, Value}]`, rendered straight from the record.
pub fn tag_set(tags: &[Tag]) -> TagPairs<'_> {
    TagPairs {
        tags,
        names: ("Key", "Value"),
    }
}
