//! CVM's key pair rules (the actions are Tencent's, shared with
//! Lighthouse: [`crate::tencent::keypairs`]).

use super::{errors, validate, views, Action};
use crate::tencent::keypairs::KeyPairRules;

/// How CVM's key pair actions differ from Lighthouse's.
pub const RULES: KeyPairRules<Action> = KeyPairRules {
    codes: &validate::CODES,
    name_empty: "InvalidKeyPairNameEmpty",
    name_too_long: "InvalidKeyPairNameTooLong",
    name_illegal: "InvalidKeyPairNameIncludeIllegalChar",
    key_id: validate::key_id,
    instance_id: validate::instance_id,
    filters: &["project-id", "key-name", "tag-key", "tag-value", "tag:"],
    filter_values: 5,
    delete_limit: 100,
    // A running instance is refused unless `ForceStop` lets it be stopped.
    running_needs_force_stop: true,
    view: views::key_pair,
    error: errors::to_api,
};
