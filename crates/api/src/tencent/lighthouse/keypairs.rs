//! Lighthouse key pair actions.

use super::validate::{self, Filter};
use super::{engine_error, fields, parse, views, Fields};
use crate::tencent::envelope::ApiError;
use crate::tencent::validate::TagParam;
use crate::tencent::Call;
use serde::Deserialize;
use serde_json::{json, Value};
use stratus_engine::engine::{BatchAction, KeyPairQuery, KeyPairView};
use stratus_engine::model::Tag;

fn key_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::new(
            "InvalidParameterValue.InvalidKeyPairNameEmpty",
            "`KeyName` must not be empty.",
        ));
    }
    if name.chars().count() > 25 {
        return Err(ApiError::new(
            "InvalidParameterValue.InvalidKeyPairNameTooLong",
            "`KeyName` is longer than 25 characters.",
        ));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ApiError::new(
            "InvalidParameterValue.InvalidKeyPairNameIncludeIllegalChar",
            "`KeyName` may contain only letters, digits and underscores.",
        ));
    }
    Ok(())
}

fn tags(t: Option<Vec<TagParam>>) -> Vec<Tag> {
    t.unwrap_or_default().into_iter().map(Tag::from).collect()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateRequest {
    key_name: String,
    tags: Option<Vec<TagParam>>,
}

/// CreateKeyPair: the private key is in this response and nowhere else.
pub async fn create(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: CreateRequest = parse(call)?;
    key_name(&r.key_name)?;
    let (key, private_key) = call
        .engine
        .create_key_pair(&call.caller, &r.key_name, tags(r.tags))
        .await
        .map_err(engine_error(call))?;
    let view = KeyPairView {
        key_pair: key,
        instance_ids: Vec::new(),
    };
    Ok(fields([(
        "KeyPair",
        views::key_pair(&view, Some(&private_key)),
    )]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ImportRequest {
    key_name: String,
    public_key: String,
    tags: Option<Vec<TagParam>>,
}

/// ImportKeyPair.
pub async fn import(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ImportRequest = parse(call)?;
    key_name(&r.key_name)?;
    let key = call
        .engine
        .import_key_pair(&call.caller, &r.key_name, &r.public_key, tags(r.tags))
        .await
        .map_err(engine_error(call))?;
    Ok(fields([("KeyId", json!(key.id))]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeRequest {
    key_ids: Option<Vec<String>>,
    offset: Option<i64>,
    limit: Option<i64>,
    filters: Option<Vec<Filter>>,
}

const KEY_FILTERS: [&str; 5] = ["key-id", "key-name", "tag-key", "tag-value", "tag:"];

/// DescribeKeyPairs (never returns private keys).
pub async fn describe(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: DescribeRequest = parse(call)?;
    let mut ids = r.key_ids.unwrap_or_default();
    let filters = r.filters.unwrap_or_default();
    validate::not_both(!ids.is_empty(), !filters.is_empty(), "KeyIds")?;
    validate::ids(&ids, 100, "KeyIds", validate::key_id)?;
    validate::filters(&filters, &KEY_FILTERS, 5)?;
    let (offset, limit) = validate::page(r.offset, r.limit)?;
    let mut names = Vec::new();
    let mut tag_filters = Vec::new();
    for f in filters {
        match f.name.as_str() {
            "key-id" => ids.extend(f.values),
            "key-name" => names.extend(f.values),
            _ => tag_filters.push(f),
        }
    }
    let query = KeyPairQuery {
        ids,
        names,
        offset: 0,
        limit: usize::MAX,
    };
    let page = call
        .engine
        .key_pairs(&call.caller, &query)
        .await
        .map_err(engine_error(call))?;
    let matching: Vec<&KeyPairView> = page
        .items
        .iter()
        .filter(|k| {
            tag_filters
                .iter()
                .all(|f| crate::tencent::validate::tag_filter_matches(f, &k.key_pair.tags))
        })
        .collect();
    Ok(fields([
        ("TotalCount", json!(matching.len())),
        (
            "KeyPairSet",
            Value::Array(
                matching
                    .into_iter()
                    .skip(offset)
                    .take(limit)
                    .map(|k| views::key_pair(k, None))
                    .collect(),
            ),
        ),
    ]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteRequest {
    key_ids: Vec<String>,
}

/// DeleteKeyPairs (at most 10; keys bound to instances are refused).
pub async fn delete(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: DeleteRequest = parse(call)?;
    validate::ids(&r.key_ids, 10, "KeyIds", validate::key_id)?;
    call.engine
        .delete_key_pairs(&call.caller, &r.key_ids)
        .await
        .map_err(engine_error(call))?;
    Ok(Fields::new())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BindRequest {
    key_ids: Vec<String>,
    instance_ids: Vec<String>,
    associate_type: Option<String>,
    disassociate_type: Option<String>,
    username: Option<String>,
}

/// AssociateInstancesKeyPairs and DisassociateInstancesKeyPairs.
pub async fn bind(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: BindRequest = parse(call)?;
    validate::ids(&r.key_ids, 100, "KeyIds", validate::key_id)?;
    validate::ids(&r.instance_ids, 100, "InstanceIds", validate::instance_id)?;
    for t in [&r.associate_type, &r.disassociate_type]
        .into_iter()
        .flatten()
    {
        if t != "ONLINE" && t != "OFFLINE" {
            return Err(ApiError::new(
                "InvalidParameterValue",
                format!("The type must be ONLINE or OFFLINE, not `{t}`."),
            ));
        }
    }
    if r.username.as_ref().is_some_and(|u| u.chars().count() > 64) {
        return Err(ApiError::new(
            "InvalidParameterValue.TooLong",
            "`Username` is longer than 64 characters.",
        ));
    }
    let action = if call.caller.action == "AssociateInstancesKeyPairs" {
        BatchAction::AssociateKeys { key_ids: r.key_ids }
    } else {
        BatchAction::DisassociateKeys { key_ids: r.key_ids }
    };
    call.engine
        .batch(&call.caller, action, &r.instance_ids)
        .await
        .map_err(engine_error(call))?;
    Ok(Fields::new())
}
