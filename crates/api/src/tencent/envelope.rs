//! The API 3.0 envelope: always HTTP 200, `Content-Type: application/json`
//! exactly (the Python SDK compares it literally), `{"Response": {...,
//! "RequestId"}}`, and `Response.Error` `{Code, Message}` on failure.

use crate::fields::Fields;
use crate::request::Response;
use serde_json::{json, Value};
use std::borrow::Cow;

/// A vendor error code and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: Cow<'static, str>,
    pub message: String,
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    /// An internal failure (the details are logged, not leaked).
    pub fn internal(e: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Self::new(
            "InternalError",
            "An internal error occurred. Please try again later.",
        )
    }
}

const CONTENT_TYPE: &str = "application/json";

/// A successful response carrying `fields`.
pub fn success(request_id: &str, mut fields: Fields) -> Response {
    fields.insert("RequestId", Value::String(request_id.to_string()));
    let mut body = Fields::new();
    body.insert_fields("Response", fields);
    Response::json_text(200, CONTENT_TYPE, body.to_json())
}

/// An error response.
pub fn error(request_id: &str, e: &ApiError) -> Response {
    Response::json(
        200,
        CONTENT_TYPE,
        &json!({ "Response": { "Error": { "Code": e.code, "Message": e.message }, "RequestId": request_id } }),
    )
}
