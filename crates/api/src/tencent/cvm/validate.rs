//! CVM's codes for the shared parameter rules, its id formats, and the CVM
//! rules for host names and user data (spec §5.4).

use crate::tencent::envelope::ApiError;
pub use crate::tencent::validate::{id, Codes, Filter};
use base64::Engine as _;

/// The codes CVM answers parameter rules with.
pub const CODES: Codes = Codes {
    too_many_values: "InvalidParameterValue.LimitExceeded",
    duplicated: "InvalidParameterValue.Duplicate",
    negative: "InvalidParameterValue.InvalidParameterValueLimit",
    limit_out_of_range: "InvalidParameterValue.InvalidParameterValueLimit",
    filter_name: "InvalidFilter",
    filter_values: "InvalidFilterValue.LimitExceeded",
    ids_with_filters: "InvalidParameterCombination",
};

/// An instance id (`ins-xxxxxxxx`).
pub fn instance_id(value: &str, field: &str) -> Result<(), ApiError> {
    id(value, "ins-", "InvalidInstanceId.Malformed", field)
}

/// An image id (`img-xxxxxxxx`).
pub fn image_id(value: &str, field: &str) -> Result<(), ApiError> {
    id(value, "img-", "InvalidImageId.Malformed", field)
}

/// A key pair id (`skey-xxxxxxxx`).
pub fn key_id(value: &str, field: &str) -> Result<(), ApiError> {
    id(value, "skey-", "InvalidKeyPairId.Malformed", field)
}

/// The HostName rule: `.` and `-` neither first, last nor doubled; Windows
/// 2–15 characters of `[A-Za-z0-9-]`, not all digits; others 2–60 characters
/// in dot-separated `[A-Za-z0-9-]` segments.
pub fn host_name(name: &str, windows: bool) -> Result<(), ApiError> {
    let bad = || {
        Err(ApiError::new(
            "InvalidParameterValue.IllegalHostName",
            format!("The host name `{name}` is not valid."),
        ))
    };
    let edges_ok = !name.starts_with(['.', '-'])
        && !name.ends_with(['.', '-'])
        && !name.contains("..")
        && !name.contains("--")
        && !name.contains(".-")
        && !name.contains("-.");
    if !edges_ok {
        return bad();
    }
    let len = name.chars().count();
    if windows {
        let chars_ok = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !(2..=15).contains(&len) || !chars_ok || name.chars().all(|c| c.is_ascii_digit()) {
            return bad();
        }
    } else {
        let chars_ok = name.split('.').all(|seg| {
            !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if !(2..=60).contains(&len) || !chars_ok {
            return bad();
        }
    }
    Ok(())
}

/// UserData: base64 text of at most 16 KB.
pub fn user_data(value: &str) -> Result<(), ApiError> {
    if value.len() > 16 * 1024 {
        return Err(ApiError::new(
            "InvalidParameterValue.InvalidUserDataFormat",
            "`UserData` is larger than 16 KB.",
        ));
    }
    base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map(|_| ())
        .map_err(|_| {
            ApiError::new(
                "InvalidParameterValue.InvalidUserDataFormat",
                "`UserData` is not valid base64.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_follow_the_cvm_rule() {
        for ok in ["web-1", "a.b-c.d", "db01"] {
            assert!(host_name(ok, false).is_ok(), "{ok}");
        }
        for bad in ["-web", "web.", "a..b", "a", "we_b", &"a".repeat(61)] {
            assert!(host_name(bad, false).is_err(), "{bad}");
        }
        assert!(host_name("WIN-01", true).is_ok());
        for bad in ["1234", "win.local", "abcdefghijklmnop"] {
            assert!(host_name(bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_data_must_be_base64_and_small() {
        assert!(user_data("IyEvYmluL2Jhc2gKZWNobyBoaQo=").is_ok());
        assert!(user_data("not base64!").is_err());
        assert!(user_data(&"QUFB".repeat(5000)).is_err());
    }
}
