//! The Kingsoft envelope: a success is HTTP 200 with `RequestId` beside the
//! action's fields; an error is `{"RequestId", "Error": {"Type", "Code",
//! "Message"}}` with the HTTP status of the code (4xx, 5xx for server faults).

use crate::fields::Fields;
use crate::request::Response;
use serde_json::{json, Value};
use std::borrow::Cow;

/// A Kingsoft error: code, message and the HTTP status it travels with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: Cow<'static, str>,
    pub message: String,
}

impl ApiError {
    /// A client error (HTTP 400), the status of every documented KEC code.
    pub fn new(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::with_status(400, code, message)
    }

    /// An error with an explicit HTTP status.
    pub fn with_status(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// `InvalidParameterValue` in the documented wording, naming `field`.
    pub fn invalid_value(field: &str) -> Self {
        Self::new(
            "InvalidParameterValue",
            format!(
                "An invalid or out-of-range value was supplied for the input parameter {field}."
            ),
        )
    }

    /// An internal failure (the details are logged, not leaked).
    pub fn internal(e: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Self::with_status(
            500,
            "InternalError",
            "An internal error occurred. Please try again later.",
        )
    }
}

const CONTENT_TYPE: &str = "application/json";

/// A successful response carrying `fields`.
pub fn success(request_id: &str, mut fields: Fields) -> Response {
    fields.insert("RequestId", Value::String(request_id.to_string()));
    Response::json_text(200, CONTENT_TYPE, fields.to_json())
}

/// An error response.
pub fn error(request_id: &str, e: &ApiError) -> Response {
    let kind = if e.status >= 500 {
        "Receiver"
    } else {
        "Sender"
    };
    Response::json(
        e.status,
        CONTENT_TYPE,
        &json!({
            "RequestId": request_id,
            "Error": { "Type": kind, "Code": e.code, "Message": e.message },
        }),
    )
}
