//! SKS key pairs (service `sks`, 2015-11-01): generated (the private key
//! returned once) or imported, listed, deleted. They live beside KEC's
//! instances in the engine, so `KeyId.N` of a reinstall finds them.

use super::errors::{invalid, missing, Code};
use super::{fields, param_error, profile, views, Call, Fields};
use crate::kingsoft::envelope::ApiError;
use serde_json::{json, Value};
use stratus_engine::engine::{KeyPairQuery, KeyPairView};

/// Longest key name.
const KEY_NAME_MAX: usize = 64;

fn key_name(call: &Call<'_>) -> Result<String, ApiError> {
    let name = call
        .params
        .get("KeyName")
        .ok_or_else(|| missing("KeyName"))?;
    let ok = name.chars().count() <= KEY_NAME_MAX
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        return Err(invalid("KeyName"));
    }
    Ok(name.to_string())
}

fn project(call: &Call<'_>) -> Result<(), ApiError> {
    match call.params.get("ProjectId") {
        None | Some("0") => Ok(()),
        Some(_) => Err(invalid("ProjectId")),
    }
}

/// CreateKey: the private key is in this response and nowhere else.
pub async fn create(call: &Call<'_>) -> Result<Fields, ApiError> {
    call.params
        .check_known(&["KeyName", "Description", "ProjectId"])
        .map_err(param_error)?;
    let name = key_name(call)?;
    project(call)?;
    let (key, private_key) = call
        .engine
        .create_key_pair(&call.caller, &name, Vec::new())
        .await
        .map_err(|e| call.engine_error(e))?;
    let view = KeyPairView {
        key_pair: key,
        instance_ids: Vec::new(),
    };
    Ok(fields([
        ("Key", views::key(&view)),
        ("PrivateKey", json!(private_key)),
    ]))
}

/// ImportKey.
pub async fn import(call: &Call<'_>) -> Result<Fields, ApiError> {
    call.params
        .check_known(&[
            "KeyName",
            "PublicKey",
            "Description",
            "IsCheck",
            "ProjectId",
        ])
        .map_err(param_error)?;
    let name = key_name(call)?;
    project(call)?;
    call.params.bool("IsCheck").map_err(param_error)?;
    let public_key = call
        .params
        .get("PublicKey")
        .ok_or_else(|| missing("PublicKey"))?;
    let key = call
        .engine
        .import_key_pair(&call.caller, &name, public_key, Vec::new())
        .await
        .map_err(|e| call.engine_error(e))?;
    let view = KeyPairView {
        key_pair: key,
        instance_ids: Vec::new(),
    };
    Ok(fields([("Key", views::key(&view))]))
}

/// DescribeKeys: `KeyId.N`, `Filter.N` (`key-name`, `key-id`), and
/// `NextToken` as a 1-based offset with `MaxResults`.
pub async fn describe(call: &Call<'_>) -> Result<Fields, ApiError> {
    call.params
        .check_known(&[
            "KeyId.N",
            "MaxResults",
            "NextToken",
            "ProjectId.N",
            "Filter.N.Name",
            "Filter.N.Name.N",
            "Filter.N.Value.N",
            "Filter.N.Value",
        ])
        .map_err(param_error)?;
    let mut ids = call.params.list("KeyId");
    if let Some(bad) = ids.iter().find(|i| !profile::is_uuid(i)) {
        return Err(Code::KeyIdInvalidParameterValue.detail(format!("`{bad}` is not a key id.")));
    }
    let mut names = Vec::new();
    for f in call.params.filters().map_err(param_error)? {
        match f.name.as_str() {
            "key-name" => names.extend(f.values),
            "key-id" => ids.extend(f.values),
            other => {
                return Err(Code::InvalidParameterValue
                    .message(format!("The filter {other} is not supported.")))
            }
        }
    }
    let limit = call.params.int("MaxResults").map_err(param_error)?;
    let limit = match limit {
        None => 1000,
        Some(n) if (1..=1000).contains(&n) => n as usize,
        Some(_) => return Err(invalid("MaxResults")),
    };
    let start = match call.params.int("NextToken").map_err(param_error)? {
        None => 1,
        Some(n) if n >= 1 => n as usize,
        Some(_) => return Err(invalid("NextToken")),
    };
    let query = KeyPairQuery::all(ids, Vec::new());
    let page = call
        .engine
        .key_pairs(&call.caller, &query)
        .await
        .map_err(|e| call.engine_error(e))?;
    let matching: Vec<&KeyPairView> = page
        .items
        .iter()
        .filter(|k| names.is_empty() || names.contains(&k.key_pair.name))
        .collect();
    let total = matching.len();
    let set: Vec<Value> = matching
        .into_iter()
        .skip(start - 1)
        .take(limit)
        .map(views::key)
        .collect();
    let next = start + set.len();
    let mut out = fields([("TotalCount", json!(total)), ("KeySet", Value::Array(set))]);
    if next <= total {
        out.insert("NextToken", json!(next.to_string()));
    }
    Ok(out)
}

/// DeleteKey (keys bound to instances are refused).
pub async fn delete(call: &Call<'_>) -> Result<Fields, ApiError> {
    call.params.check_known(&["KeyId"]).map_err(param_error)?;
    let id = call.params.get("KeyId").ok_or_else(|| missing("KeyId"))?;
    if !profile::is_uuid(id) {
        return Err(Code::KeyIdInvalidParameterValue.err());
    }
    call.engine
        .delete_key_pairs(&call.caller, &[id.to_string()])
        .await
        .map_err(|e| call.engine_error(e))?;
    Ok(fields([("Return", json!(true))]))
}
