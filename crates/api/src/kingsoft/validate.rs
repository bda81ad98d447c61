//! KEC rules that come before the engine: id formats and counts, host
//! names, user data, login settings (key limits, Rocky Linux's RSA 2048
//! rule, key login per image) and where an image may be used.

use super::errors::{invalid, Code};
use super::profile::{self, limits, ImageFacts};
use super::Call;
use crate::kingsoft::envelope::ApiError;
use base64::Engine as _;
use stratus_engine::catalog::{Image, OsFamily};
use stratus_engine::engine::{KeyPairQuery, LoginRequest};
use stratus_engine::login::parse_public_key;

/// `InstanceId.N`: 1–100 lower-case UUIDs.
pub fn instance_ids(ids: &[String]) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Err(Code::InstanceIdRequired.err());
    }
    if ids.len() > limits::INSTANCE_IDS {
        return Err(Code::InstanceIdLimitExceeded.err());
    }
    if let Some(bad) = ids.iter().find(|i| !profile::is_uuid(i)) {
        return Err(Code::InstanceIdInvalid.detail(format!("`{bad}` is not an instance id.")));
    }
    Ok(())
}

/// The KEC host name rule: Linux 2–64 characters of letters, digits, `.`
/// and `-` (neither first nor last, not doubled); Windows 2–15 letters,
/// digits and `-`, not all digits.
pub fn host_name(name: &str, family: OsFamily) -> Result<(), ApiError> {
    let bad = || {
        Code::HostNameInvalidParameterValue.detail(format!(
            "`{name}` is not a valid {} host name.",
            match family {
                OsFamily::Linux => "Linux",
                OsFamily::Windows => "Windows",
            }
        ))
    };
    let len = name.chars().count();
    let edges = !name.starts_with(['.', '-'])
        && !name.ends_with(['.', '-'])
        && !name.contains("..")
        && !name.contains("--");
    let ok = match family {
        OsFamily::Linux => {
            (2..=64).contains(&len)
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        }
        OsFamily::Windows => {
            (2..=15).contains(&len)
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !name.chars().all(|c| c.is_ascii_digit())
        }
    };
    if ok && edges {
        Ok(())
    } else {
        Err(bad())
    }
}

/// `UserData`: base64 of at most 16 KB.
pub fn user_data(value: &str) -> Result<(), ApiError> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| {
            Code::InvalidParameterValue.message(
                "An invalid or out-of-range value was supplied for the input parameter UserData: it must be base64.",
            )
        })?;
    if decoded.len() > limits::USER_DATA_BYTES {
        return Err(invalid("UserData"));
    }
    Ok(())
}

/// `KeyId.N`: at most 10 lower-case UUIDs.
pub fn key_ids(ids: &[String]) -> Result<(), ApiError> {
    if ids.len() > limits::KEYS_PER_INSTANCE {
        return Err(Code::InstanceKeyLimitExceeded.message(format!(
            "InvalidParameter.InstanceKeyLimitExceeded: at most {} key pairs per instance.",
            limits::KEYS_PER_INSTANCE
        )));
    }
    if let Some(bad) = ids.iter().find(|i| !profile::is_uuid(i)) {
        return Err(Code::KeyIdInvalidParameterValue.detail(format!("`{bad}` is not a key id.")));
    }
    Ok(())
}

/// The key pairs a login names, as far as an image's rules look at them.
#[derive(Debug, Clone, Default)]
pub struct LoginKeys {
    /// A named key the account does not have.
    pub missing: Option<String>,
    /// Each key found, with its RSA size (`None`: not RSA).
    pub rsa_bits: Vec<(String, Option<usize>)>,
}

/// Reads the key pairs of `key_ids`.
pub async fn login_keys(call: &Call<'_>, key_ids: &[String]) -> Result<LoginKeys, ApiError> {
    if key_ids.is_empty() {
        return Ok(LoginKeys::default());
    }
    let query = KeyPairQuery::all(key_ids.to_vec(), Vec::new());
    let found = call
        .engine
        .key_pairs(&call.caller, &query)
        .await
        .map_err(|e| call.engine_error(e))?;
    Ok(LoginKeys {
        missing: key_ids
            .iter()
            .find(|id| !found.items.iter().any(|k| &k.key_pair.id == *id))
            .cloned(),
        rsa_bits: found
            .items
            .iter()
            .map(|k| {
                let bits = parse_public_key(&k.key_pair.public_key)
                    .ok()
                    .and_then(|p| p.rsa_bits);
                (k.key_pair.id.clone(), bits)
            })
            .collect(),
    })
}

/// Key login on `image`: not on Windows; Rocky Linux only with RSA 2048.
pub fn keys_fit_image(image: &Image, keys: &LoginKeys, named: bool) -> Result<(), ApiError> {
    if !named {
        return Ok(());
    }
    if image.os_family == OsFamily::Windows {
        return Err(Code::ImageTypeNotSupportedKeyLogin.err());
    }
    if let Some(missing) = &keys.missing {
        return Err(
            Code::KeyIdInvalidParameterValue.detail(format!("The key {missing} does not exist."))
        );
    }
    if ImageFacts::of(image).rsa_2048_keys_only {
        for (id, bits) in &keys.rsa_bits {
            if *bits != Some(limits::RSA_ONLY_BITS) {
                return Err(Code::RockyLinuxOnlySupport2048ForRsaKey.detail(format!(
                    "The key {id} is {}.",
                    bits.map_or("not an RSA key".to_string(), |b| format!("RSA {b}"))
                )));
            }
        }
    }
    Ok(())
}

/// Key login on `image` for the keys `key_ids` names.
pub async fn keys_for_image(
    call: &Call<'_>,
    image: &Image,
    key_ids: &[String],
) -> Result<(), ApiError> {
    if key_ids.is_empty() {
        return Ok(());
    }
    if image.os_family == OsFamily::Windows {
        return Err(Code::ImageTypeNotSupportedKeyLogin.err());
    }
    let keys = login_keys(call, key_ids).await?;
    keys_fit_image(image, &keys, true)
}

/// `InstancePassword`, `KeyId.N` and `KeepImageLogin` as the engine wants
/// them. `KeepImageLogin` applies to custom images only; with it the
/// password is ignored and the image's own login is kept.
pub fn login(
    image: &Image,
    password: Option<&str>,
    key_ids: Vec<String>,
    keep_image_login: bool,
) -> Result<LoginRequest, ApiError> {
    if keep_image_login {
        if !profile::is_custom(image) {
            return Err(Code::InvalidParameterValue.message(
                "An invalid or out-of-range value was supplied for the input parameter KeepImageLogin: it applies to custom images only.",
            ));
        }
        return Ok(LoginRequest {
            password: ImageFacts::of(image).login_password,
            key_ids: Vec::new(),
            keep_image_login: true,
        });
    }
    if let Some(p) = password {
        profile::password_rule().check(p).map_err(|e| {
            Code::InvalidParameterValue.message(format!(
                "An invalid or out-of-range value was supplied for the input parameter InstancePassword: {e}."
            ))
        })?;
    }
    Ok(LoginRequest {
        password: password.map(str::to_string),
        key_ids,
        keep_image_login: false,
    })
}

/// Where `image` may be used: its market (mainland or overseas data
/// centres) and, for a local image, its zone.
pub fn image_placement(image: &Image, region_mainland: bool, zone: &str) -> Result<(), ApiError> {
    let facts = ImageFacts::of(image);
    let market_ok = match facts.market.as_deref() {
        Some("mainland") => region_mainland,
        Some("overseas") => !region_mainland,
        _ => true,
    };
    if !market_ok {
        return Err(Code::ImageTypeMismatchingForeign.detail(format!(
            "The image {} is built for {} data centres.",
            image.id,
            facts.market.unwrap_or_default()
        )));
    }
    if let Some(local) = &facts.local_zone {
        if local != zone {
            return Err(Code::ImageHaveInvalidZone.detail(format!(
                "The image {} is held in {local}, the instance is in {zone}.",
                image.id
            )));
        }
    }
    Ok(())
}

/// The GoSDK release in a `User-Agent` (`ksyun-sdk-go/0.1.28 ...`).
pub fn go_sdk_version(user_agent: &str) -> Option<(u64, u64, u64)> {
    let rest = user_agent
        .split_whitespace()
        .find_map(|p| p.strip_prefix("ksyun-sdk-go/"))?;
    let mut parts = rest.split('.').map(|n| n.parse::<u64>().ok());
    Some((
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_per_family() {
        assert!(host_name("web-01.example.internal", OsFamily::Linux).is_ok());
        assert!(host_name("web-01.example.internal", OsFamily::Windows).is_err());
        assert!(host_name("WIN-01", OsFamily::Windows).is_ok());
        for bad in ["-a", "a.", "a..b", "x", "we_b"] {
            assert!(host_name(bad, OsFamily::Linux).is_err(), "{bad}");
        }
        assert!(host_name("12345", OsFamily::Windows).is_err());
    }

    #[test]
    fn ids_keys_and_user_data() {
        assert!(instance_ids(&[]).is_err());
        assert!(instance_ids(&["98284100-f6d1-4bbf-886a-1b0765024738".into()]).is_ok());
        assert_eq!(
            instance_ids(&["98284100-F6D1-4bbf-886a-1b0765024738".into()]).map_err(|e| e.code),
            Err("InstanceIdInvalid".into())
        );
        let eleven: Vec<String> = (0..11)
            .map(|i| format!("552a0523-b9b4-4868-b8d9-52ad7a38bf{i:02}"))
            .collect();
        assert_eq!(
            key_ids(&eleven).map_err(|e| e.code),
            Err("InvalidParameter.InstanceKeyLimitExceeded".into())
        );
        assert!(user_data("IyEvYmluL3NoCg==").is_ok());
        assert!(user_data("not base64!").is_err());
    }

    #[test]
    fn go_sdk_versions() {
        assert_eq!(
            go_sdk_version("ksyun-sdk-go/0.1.28 (linux)"),
            Some((0, 1, 28))
        );
        assert_eq!(
            go_sdk_version("ksyun-sdk-go/2.2.122 (go1.21)"),
            Some((2, 2, 122))
        );
        assert_eq!(go_sdk_version("python-requests/2.34.2"), None);
    }
}
