//! ZEC key pairs: `/api/v2/ccs` in 2025-09-01, `/api/v2/zec` in 2024-04-01,
//! the same records either way. Imported only (there is no generate action).

use super::envelope::ApiError;
use super::errors::invalid;
use super::{fields, validate, views, Call, Fields};
use serde::Deserialize;
use serde_json::{json, Value};
use stratus_engine::engine::KeyPairQuery;

fn key_name(name: &str) -> Result<(), ApiError> {
    let ok = (1..=32).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok {
        return Err(invalid(format!(
            "`keyName` `{name}` must be 1-32 letters, digits, `_` or `-`."
        )));
    }
    Ok(())
}

fn description(d: &Option<String>) -> Result<(), ApiError> {
    if d.as_ref().is_some_and(|d| d.chars().count() > 255) {
        return Err(invalid("`keyDescription` is longer than 255 characters."));
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImportRequest {
    key_name: Option<String>,
    public_key: Option<String>,
    key_description: Option<String>,
}

/// ImportKeyPair: one OpenSSH public key.
pub async fn import(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ImportRequest = call.parse()?;
    let name = validate::required(&r.key_name, "keyName")?;
    key_name(name)?;
    let public_key = validate::required(&r.public_key, "publicKey")?;
    description(&r.key_description)?;
    let key = call
        .engine
        .import_key_pair(&call.caller, name, public_key, Vec::new())
        .await
        .map_err(|e| call.engine_error(e))?;
    if let Some(d) = r.key_description.filter(|d| !d.is_empty()) {
        call.engine
            .set_key_pair_description(&call.caller, &key.id, &d)
            .await
            .map_err(|e| call.engine_error(e))?;
    }
    Ok(fields([("keyId", json!(key.id))]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeRequest {
    key_ids: Option<Vec<String>>,
    key_name: Option<String>,
    page_size: Option<i64>,
    page_num: Option<i64>,
}

/// DescribeKeyPairs.
pub async fn describe(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: DescribeRequest = call.parse()?;
    let ids = r.key_ids.unwrap_or_default();
    validate::optional_ids(&ids, "keyIds")?;
    let (offset, limit) = validate::page(r.page_num, r.page_size)?;
    let query = KeyPairQuery {
        ids,
        names: r.key_name.into_iter().collect(),
        offset,
        limit,
    };
    let page = call
        .engine
        .key_pairs(&call.caller, &query)
        .await
        .map_err(|e| call.engine_error(e))?;
    let set: Vec<Value> = page.items.iter().map(views::key_pair).collect();
    Ok(fields([
        ("totalCount", json!(page.total)),
        ("dataSet", Value::Array(set)),
    ]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteRequest {
    key_ids: Option<Vec<String>>,
}

/// DeleteKeyPairs: any unknown (or bound) key fails the whole request.
pub async fn delete(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: DeleteRequest = call.parse()?;
    let ids = r.key_ids.unwrap_or_default();
    validate::batch_ids(&ids, "keyIds")?;
    call.engine
        .delete_key_pairs(&call.caller, &ids)
        .await
        .map_err(|e| call.engine_error(e))?;
    Ok(Fields::new())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModifyRequest {
    key_id: Option<String>,
    key_description: Option<String>,
}

/// ModifyKeyPairAttribute: the description.
pub async fn modify(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ModifyRequest = call.parse()?;
    let id = validate::required(&r.key_id, "keyId")?;
    description(&r.key_description)?;
    call.engine
        .set_key_pair_description(&call.caller, id, r.key_description.as_deref().unwrap_or(""))
        .await
        .map_err(|e| call.engine_error(e))?;
    Ok(Fields::new())
}
