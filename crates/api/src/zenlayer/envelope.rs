//! The Zenlayer envelope (spec §3.1): a success is HTTP 200 with
//! `{"requestId", "response": {..., "requestId"}}`; an error travels with its
//! documented HTTP status as `{"requestId", "code", "message"}`, all three
//! always present (the Python SDK raises `KeyError` otherwise).

use crate::fields::Fields;
use crate::request::Response;
use serde_json::{json, Value};

/// A Zenlayer error: the HTTP status, the code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: std::borrow::Cow<'static, str>,
    pub message: String,
}

const CONTENT_TYPE: &str = "application/json";

/// Zenlayer request ids: `T` and an upper-case UUID, derived from the
/// edge's id so that logs of both layers match.
pub fn request_id(edge_id: &str) -> String {
    format!("T{}", edge_id.to_ascii_uppercase())
}

/// A successful response carrying `fields`.
pub fn success(request_id: &str, mut fields: Fields) -> Response {
    fields.insert("requestId", Value::String(request_id.to_string()));
    let mut body = Fields::new();
    body.insert("requestId", Value::String(request_id.to_string()));
    body.insert_fields("response", fields);
    Response::json_text(200, CONTENT_TYPE, body.to_json())
}

/// An error response.
pub fn error(request_id: &str, e: &ApiError) -> Response {
    Response::json(
        e.status,
        CONTENT_TYPE,
        &json!({ "requestId": request_id, "code": e.code, "message": e.message }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &Response) -> Value {
        serde_json::from_slice(&r.body).unwrap_or(Value::Null)
    }

    #[test]
    fn success_repeats_the_request_id_inside_the_response() {
        let id = request_id("67723b59-f4d1-42ea-bdc1-5e67167fd8cc");
        assert_eq!(id, "T67723B59-F4D1-42EA-BDC1-5E67167FD8CC");
        let mut fields = Fields::new();
        fields.insert("instanceIds", json!([]));
        let r = success(&id, fields);
        assert_eq!(r.status, 200);
        assert_eq!(
            body(&r),
            json!({"requestId": id, "response": {"requestId": id, "instanceIds": []}})
        );
    }

    #[test]
    fn errors_carry_status_code_message_and_request_id() {
        let e = ApiError {
            status: 429,
            code: "REQUEST_LIMIT_EXCEEDED".into(),
            message: "slow down".into(),
        };
        let r = error("T1", &e);
        assert_eq!(r.status, 429);
        assert_eq!(
            body(&r),
            json!({"requestId": "T1", "code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"})
        );
    }
}
