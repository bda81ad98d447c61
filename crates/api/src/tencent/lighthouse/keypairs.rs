//! Lighthouse's key pair rules (the actions are Tencent's, shared with CVM:
//! [`crate::tencent::keypairs`]).

use super::{errors, validate, views, Action};
use crate::tencent::keypairs::KeyPairRules;

/// How Lighthouse's key pair actions differ from CVM's.
pub const RULES: KeyPairRules<Action> = KeyPairRules {
    codes: &validate::CODES,
    name_empty: "InvalidParameterValue.InvalidKeyPairNameEmpty",
    name_too_long: "InvalidParameterValue.InvalidKeyPairNameTooLong",
    name_illegal: "InvalidParameterValue.InvalidKeyPairNameIncludeIllegalChar",
    key_id: validate::key_id,
    instance_id: validate::instance_id,
    filters: &["key-id", "key-name", "tag-key", "tag-value", "tag:"],
    filter_values: 5,
    delete_limit: 10,
    // Lighthouse binds keys online.
    running_needs_force_stop: false,
    view: views::key_pair,
    error: errors::to_api,
};
