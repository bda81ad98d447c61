//! CVM key pair actions.

use super::validate::{self, Filter};
use super::{engine_error, fields, parse, views, Fields};
use crate::tencent::envelope::ApiError;
use crate::tencent::validate::TagParam;
use crate::tencent::Call;
use serde::Deserialize;
use serde_json::{json, Value};
use stratus_engine::engine::{BatchAction, KeyPairQuery, KeyPairView};
use stratus_engine::lifecycle::LifecycleState;
use stratus_engine::model::Tag;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagSpec {
    resource_type: String,
    tags: Vec<TagParam>,
}

fn tags(specs: Option<Vec<TagSpec>>) -> Vec<Tag> {
    specs
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.resource_type == "keypair")
        .flat_map(|s| s.tags)
        .map(Tag::from)
        .collect()
}

fn key_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::new(
            "InvalidKeyPairNameEmpty",
            "`KeyName` must not be empty.",
        ));
    }
    if name.chars().count() > 25 {
        return Err(ApiError::new(
            "InvalidKeyPairNameTooLong",
            "`KeyName` is longer than 25 characters.",
        ));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ApiError::new(
            "InvalidKeyPairNameIncludeIllegalChar",
            "`KeyName` may contain only letters, digits and underscores.",
        ));
    }
    Ok(())
}

fn project(id: i64) -> Result<(), ApiError> {
    if id != 0 {
        return Err(ApiError::new(
            "InvalidProjectId.NotFound",
            format!("The project {id} does not exist."),
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateRequest {
    key_name: String,
    project_id: i64,
    tag_specification: Option<Vec<TagSpec>>,
}

/// CreateKeyPair: the private key is in this response and nowhere else.
pub async fn create(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: CreateRequest = parse(call)?;
    key_name(&r.key_name)?;
    project(r.project_id)?;
    let (key, private_key) = call
        .engine
        .create_key_pair(&call.caller, &r.key_name, tags(r.tag_specification))
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
    project_id: i64,
    public_key: String,
    tag_specification: Option<Vec<TagSpec>>,
}

/// ImportKeyPair.
pub async fn import(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: ImportRequest = parse(call)?;
    key_name(&r.key_name)?;
    project(r.project_id)?;
    let key = call
        .engine
        .import_key_pair(
            &call.caller,
            &r.key_name,
            &r.public_key,
            tags(r.tag_specification),
        )
        .await
        .map_err(engine_error(call))?;
    Ok(fields([("KeyId", json!(key.id))]))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeRequest {
    key_ids: Option<Vec<String>>,
    filters: Option<Vec<Filter>>,
    offset: Option<i64>,
    limit: Option<i64>,
}

/// DescribeKeyPairs (never returns private keys).
pub async fn describe(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: DescribeRequest = parse(call)?;
    let ids = r.key_ids.unwrap_or_default();
    let filters = r.filters.unwrap_or_default();
    validate::not_both(!ids.is_empty(), !filters.is_empty(), "KeyIds")?;
    validate::ids(&ids, 100, "KeyIds", validate::key_id)?;
    validate::filters(
        &filters,
        &["project-id", "key-name", "tag-key", "tag-value", "tag:"],
    )?;
    let (offset, limit) = validate::page(r.offset, r.limit)?;
    let mut names = Vec::new();
    let mut other = Vec::new();
    for f in filters {
        match f.name.as_str() {
            "key-name" => names.extend(f.values),
            _ => other.push(f),
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
        .filter(|k| other.iter().all(|f| filter_matches(f, &k.key_pair.tags)))
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

fn filter_matches(f: &Filter, tags: &[Tag]) -> bool {
    match f.name.as_str() {
        // Every key pair here is in the default project.
        "project-id" => f.values.iter().any(|v| v == "0"),
        _ => crate::tencent::validate::tag_filter_matches(f, tags),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteRequest {
    key_ids: Vec<String>,
}

/// DeleteKeyPairs (keys bound to instances are refused).
pub async fn delete(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: DeleteRequest = parse(call)?;
    validate::ids(&r.key_ids, 100, "KeyIds", validate::key_id)?;
    call.engine
        .delete_key_pairs(&call.caller, &r.key_ids)
        .await
        .map_err(engine_error(call))?;
    Ok(Fields::new())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BindRequest {
    instance_ids: Vec<String>,
    key_ids: Vec<String>,
    force_stop: Option<bool>,
}

/// AssociateInstancesKeyPairs and DisassociateInstancesKeyPairs: running
/// instances only with `ForceStop`.
pub async fn bind(call: &Call<'_>) -> Result<Fields, ApiError> {
    let r: BindRequest = parse(call)?;
    validate::ids(&r.instance_ids, 100, "InstanceIds", validate::instance_id)?;
    validate::ids(&r.key_ids, 100, "KeyIds", validate::key_id)?;
    if !r.force_stop.unwrap_or(false) {
        for id in &r.instance_ids {
            let i = call
                .engine
                .instance(&call.caller, id)
                .await
                .map_err(engine_error(call))?;
            if i.state == LifecycleState::Running {
                return Err(ApiError::new(
                    "UnsupportedOperation.InstanceStateRunning",
                    format!("The instance {id} is RUNNING: stop it first or set ForceStop."),
                ));
            }
        }
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
