//! A listing as SQL: every filter of an [`InstanceQuery`] becomes a
//! condition on the columns migration 8 added (each served by an index), the
//! order becomes `ORDER BY`, and the total is a `count(*)` of the same
//! conditions, so neither the page nor the count decodes rows it does not
//! return. The conditions mean exactly what [`InstanceFilter::matches`]
//! means; the listing tests run the same queries on both stores.

use super::commit::tag_column;
use crate::record::state_name;
use stratus_engine::ports::{InstanceFilter, InstanceOrder, InstanceQuery};
use tokio_postgres::types::ToSql;

/// One parameter of a statement.
pub(crate) type Param = Box<dyn ToSql + Sync + Send>;

/// The conditions and parameters of a listing.
pub(crate) struct ListingSql {
    conditions: Vec<String>,
    pub params: Vec<Param>,
    order: &'static str,
}

impl ListingSql {
    /// The SQL of `query`.
    pub fn of(query: &InstanceQuery) -> Self {
        let mut sql = Self {
            conditions: Vec::new(),
            params: Vec::new(),
            order: match query.order {
                InstanceOrder::CreatedDesc => "created_at DESC, id COLLATE \"C\" DESC",
                InstanceOrder::IsolatedFirstThenCreatedDesc => {
                    "state <> 'Isolated', created_at DESC, id COLLATE \"C\" DESC"
                }
                // `None` sorts before any time, as the engine's order has it.
                InstanceOrder::ExpiresAsc => "expires_at ASC NULLS FIRST, id COLLATE \"C\" ASC",
                InstanceOrder::ExpiresDesc => "expires_at DESC NULLS LAST, id COLLATE \"C\" DESC",
            },
        };
        sql.push("account = {}", Box::new(query.account.clone()));
        sql.push("product = {}", Box::new(query.product.clone()));
        sql.conditions.push("state <> 'Terminated'".into());
        if let Some(region) = &query.region {
            sql.push("region = {}", Box::new(region.clone()));
        }
        for f in &query.filters {
            sql.filter(f);
        }
        sql
    }

    /// Adds `condition` with its `{}` standing for a new parameter.
    fn push(&mut self, condition: &str, param: Param) {
        self.params.push(param);
        let n = format!("${}", self.params.len());
        self.conditions.push(condition.replace("{}", &n));
    }

    fn filter(&mut self, f: &InstanceFilter) {
        let list = |v: &[String]| Box::new(v.to_vec()) as Param;
        match f {
            InstanceFilter::Ids(v) => self.push("id = ANY({})", list(v)),
            InstanceFilter::NameContains(v) => {
                let patterns: Vec<String> =
                    v.iter().map(|n| format!("%{}%", like_escaped(n))).collect();
                self.push("name LIKE ANY({})", Box::new(patterns));
            }
            InstanceFilter::Zones(v) => self.push("zone = ANY({})", list(v)),
            InstanceFilter::States(v) => {
                let names: Vec<String> = v.iter().map(state_name).collect();
                self.push("state = ANY({})", Box::new(names));
            }
            InstanceFilter::PrivateIps(v) => self.push("private_ips && {}", list(v)),
            InstanceFilter::PublicIps(v) => self.push("public_ips && {}", list(v)),
            InstanceFilter::Ips(v) => {
                self.params.push(list(v));
                let n = self.params.len();
                self.conditions
                    .push(format!("(private_ips && ${n} OR public_ips && ${n})"));
            }
            InstanceFilter::TagKeys(v) => self.push("tag_keys && {}", list(v)),
            InstanceFilter::TagValues(v) => self.push("tag_values && {}", list(v)),
            InstanceFilter::Tag { key, values } => {
                let tags: Vec<String> = values
                    .iter()
                    .map(|value| {
                        tag_column(&stratus_engine::model::Tag {
                            key: key.clone(),
                            value: value.clone(),
                        })
                    })
                    .collect();
                self.push("tags && {}", Box::new(tags));
            }
            InstanceFilter::SecurityGroups(v) => self.push("security_groups && {}", list(v)),
            InstanceFilter::Plans(v) => self.push("plan_id = ANY({})", list(v)),
            InstanceFilter::Images(v) => self.push("image_id = ANY({})", list(v)),
            InstanceFilter::Uuids(v) => self.push("uuid = ANY({})", list(v)),
            InstanceFilter::ChargeTypes(v) => {
                let names: Vec<String> = v.iter().map(state_name).collect();
                self.push("charge_type = ANY({})", Box::new(names));
            }
            InstanceFilter::VpcIds(v) => self.push("vpc_id = ANY({})", list(v)),
            InstanceFilter::SubnetIds(v) => self.push("subnet_id = ANY({})", list(v)),
            InstanceFilter::KeyPairs(v) => self.push("key_ids && {}", list(v)),
            InstanceFilter::Attribute { key, values } => {
                self.params.push(Box::new(key.clone()));
                let k = self.params.len();
                self.params.push(list(values));
                let v = self.params.len();
                self.conditions.push(format!(
                    "string_to_array(body::jsonb -> 'attributes' ->> ${k}, ',') && ${v}"
                ));
            }
            InstanceFilter::CreatedFrom(t) => self.push("created_at >= {}", Box::new(t.0)),
            InstanceFilter::CreatedUntil(t) => self.push("created_at <= {}", Box::new(t.0)),
        }
    }

    fn condition(&self) -> String {
        self.conditions.join(" AND ")
    }

    /// The page: `LIMIT` and `OFFSET` are the last two parameters.
    pub fn page(&self) -> String {
        let n = self.params.len();
        format!(
            "SELECT body FROM instances WHERE {} ORDER BY {} LIMIT ${} OFFSET ${}",
            self.condition(),
            self.order,
            n + 1,
            n + 2
        )
    }

    /// The number of matches.
    pub fn count(&self) -> String {
        format!("SELECT count(*) FROM instances WHERE {}", self.condition())
    }
}

/// `s` matched literally inside a `LIKE` pattern (`\` is its escape).
fn like_escaped(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_numbered_conditions() {
        let query = InstanceQuery {
            account: "a".into(),
            product: "p".into(),
            region: Some("r".into()),
            filters: vec![
                InstanceFilter::States(vec![stratus_engine::lifecycle::LifecycleState::Running]),
                InstanceFilter::Ips(vec!["10.0.0.1".into()]),
                InstanceFilter::NameContains(vec!["50%_off".into()]),
            ],
            order: InstanceOrder::IsolatedFirstThenCreatedDesc,
            offset: 0,
            limit: 20,
        };
        let sql = ListingSql::of(&query);
        assert_eq!(
            sql.count(),
            "SELECT count(*) FROM instances WHERE account = $1 AND product = $2 AND state <> 'Terminated' \
             AND region = $3 AND state = ANY($4) AND (private_ips && $5 OR public_ips && $5) \
             AND name LIKE ANY($6)"
        );
        assert!(sql.page().ends_with(
            "ORDER BY state <> 'Isolated', created_at DESC, id COLLATE \"C\" DESC LIMIT $7 OFFSET $8"
        ));
        assert_eq!(like_escaped("50%_off\\"), "50\\%\\_off\\\\");
    }
}
