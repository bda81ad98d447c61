//! The parameters of a Zenlayer request: its JSON body, which must be an
//! object, decoded within the generic [`limits`](crate::limits).

use super::envelope::ApiError;
use super::errors::Code;
use crate::limits::{self, JsonError, LimitError};
use serde_json::Value;

/// Why a request body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error(transparent)]
    Limit(#[from] LimitError),
    #[error("The request body is not valid JSON: {0}")]
    Syntax(String),
    #[error("The request body must be a JSON object.")]
    NotObject,
}

/// The body's parameters (only whitespace is `{}`).
pub fn decode(body: &[u8]) -> Result<Value, BodyError> {
    let value = limits::json(body).map_err(|e| match e {
        JsonError::Limit(l) => BodyError::Limit(l),
        JsonError::Syntax(s) => BodyError::Syntax(s),
    })?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(BodyError::NotObject)
    }
}

/// The Zenlayer answer to a request beyond a limit: `INVALID_PARAMETER`
/// (400) for its parameters, `INVALID_REQUEST` (400) for its size, as for
/// a body over the size limit.
pub fn limit_error(e: &LimitError) -> ApiError {
    let code = if e.is_request_size() {
        Code::InvalidRequest
    } else {
        Code::InvalidParameter
    };
    code.message(format!("{e}."))
}

impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Limit(l) => limit_error(&l),
            other => Code::InvalidRequest.message(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_their_codes() {
        assert_eq!(decode(b""), Ok(serde_json::json!({})));
        assert_eq!(
            decode(br#"{"instanceIds":["1"]}"#).map(|v| v["instanceIds"][0] == "1"),
            Ok(true)
        );
        assert_eq!(decode(b"[1]"), Err(BodyError::NotObject));
        let syntax = decode(b"{").map_err(ApiError::from).err();
        let syntax = syntax.map(|e| (e.status, e.code.into_owned()));
        assert_eq!(syntax, Some((400, "INVALID_REQUEST".to_string())));
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(40), "]".repeat(40));
        let e = decode(deep.as_bytes());
        assert_eq!(e, Err(BodyError::Limit(LimitError::TooDeep)));
        let e = ApiError::from(BodyError::Limit(LimitError::TooDeep));
        assert_eq!((e.status, e.code.as_ref()), (400, "INVALID_PARAMETER"));
        let e = limit_error(&LimitError::HeadersTooLarge);
        assert_eq!((e.status, e.code.as_ref()), (400, "INVALID_REQUEST"));
    }
}
