//! Parts of the API 3.0 views Lighthouse and CVM render alike.

use serde::{Serialize, Serializer};
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

/// Tags as `[{Key, Value}]`.
pub fn tags(tags: &[Tag]) -> Value {
    Value::Array(
        tags.iter()
            .map(|t| json!({"Key": t.key, "Value": t.value}))
            .collect(),
    )
}

/// Tags as `[{Key, Value}]`, rendered straight from the record.
pub struct TagSet<'a>(pub &'a [Tag]);

impl Serialize for TagSet<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Pair<'a> {
            key: &'a str,
            value: &'a str,
        }
        serializer.collect_seq(self.0.iter().map(|t| Pair {
            key: &t.key,
            value: &t.value,
        }))
    }
}
