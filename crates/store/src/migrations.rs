//! Versioned schema migrations for both backends, from one list: each
//! version has its SQL for SQLite and for PostgreSQL (one text where the two
//! dialects agree). SQLite keeps the version in `user_version`, PostgreSQL
//! in the `schema_version` table.

/// The SQL of one migration.
#[derive(Debug, Clone, Copy)]
pub enum Sql {
    /// The same text for both backends.
    Common(&'static str),
    /// One text per backend; an empty one changes nothing there.
    Split {
        sqlite: &'static str,
        postgres: &'static str,
    },
}

/// One schema version.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub sql: Sql,
}

impl Migration {
    /// The SQL to run on SQLite.
    pub fn sqlite(&self) -> &'static str {
        match self.sql {
            Sql::Common(s) | Sql::Split { sqlite: s, .. } => s,
        }
    }

    /// The SQL to run on PostgreSQL.
    pub fn postgres(&self) -> &'static str {
        match self.sql {
            Sql::Common(s) | Sql::Split { postgres: s, .. } => s,
        }
    }
}

/// Every migration in ascending order. Append; never edit a shipped one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: Sql::Split {
            sqlite: include_str!("../migrations/0001_initial.sql"),
            postgres: include_str!("../migrations/postgres/0001_initial.sql"),
        },
    },
    Migration {
        version: 2,
        sql: Sql::Split {
            sqlite: include_str!("../migrations/0002_networks.sql"),
            postgres: include_str!("../migrations/postgres/0002_networks.sql"),
        },
    },
    Migration {
        version: 3,
        sql: Sql::Common(include_str!("../migrations/0003_operations_by_account.sql")),
    },
    Migration {
        version: 4,
        // One SQLite node runs its own operations and limits in memory.
        sql: Sql::Split {
            sqlite: "",
            postgres: include_str!("../migrations/postgres/0004_cluster.sql"),
        },
    },
    Migration {
        version: 5,
        // SQLite pages from its in-memory mirror.
        sql: Sql::Split {
            sqlite: "",
            postgres: include_str!("../migrations/postgres/0005_instance_pages.sql"),
        },
    },
    Migration {
        version: 6,
        // One SQLite node hosts every machine itself.
        sql: Sql::Split {
            sqlite: "",
            postgres: include_str!("../migrations/postgres/0006_nodes.sql"),
        },
    },
    Migration {
        version: 7,
        sql: Sql::Split {
            sqlite: include_str!("../migrations/0007_security_groups.sql"),
            postgres: include_str!("../migrations/postgres/0007_security_groups.sql"),
        },
    },
    Migration {
        version: 8,
        // SQLite lists from its in-memory mirror and its index.
        sql: Sql::Split {
            sqlite: "",
            postgres: include_str!("../migrations/postgres/0008_instance_columns.sql"),
        },
    },
    Migration {
        version: 9,
        // One SQLite node publishes its commits as its writer makes them.
        sql: Sql::Split {
            sqlite: "",
            postgres: include_str!("../migrations/postgres/0009_events.sql"),
        },
    },
    Migration {
        version: 10,
        sql: Sql::Common(include_str!("../migrations/0010_settings.sql")),
    },
    Migration {
        version: 11,
        // PostgreSQL commits each write set in its own transaction.
        sql: Sql::Split {
            sqlite: include_str!("../migrations/0011_journal.sql"),
            postgres: "",
        },
    },
];

/// The schema version this build writes.
pub fn latest() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_groups_move_from_the_attribute_to_the_typed_list() {
        let db = rusqlite::Connection::open_in_memory().expect("opens");
        for m in MIGRATIONS.iter().filter(|m| m.version < 7) {
            db.execute_batch(m.sqlite()).expect("migrates");
        }
        let bodies = [
            (
                "a",
                r#"{"id":"a","attributes":{"cvm.security_groups":"sg-1,sg-2","cvm.project_id":"0"}}"#,
            ),
            ("b", r#"{"id":"b","attributes":{"kec.security_groups":""}}"#),
            ("c", r#"{"id":"c","attributes":{"zec.x":"y"}}"#),
            (
                "d",
                r#"{"id":"d","attributes":{"zec.security_group_id":"sg-z"}}"#,
            ),
        ];
        for (id, body) in bodies {
            db.execute(
                "INSERT INTO instances (account, id, product, state, version, body) VALUES ('acc', ?1, 'p', 'Running', 1, ?2)",
                rusqlite::params![id, body],
            )
            .expect("inserts");
        }
        db.execute_batch(MIGRATIONS[6].sqlite())
            .expect("migrates to 7");
        let body = |id: &str| -> serde_json::Value {
            let text: String = db
                .query_row("SELECT body FROM instances WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .expect("reads");
            serde_json::from_str(&text).expect("json")
        };
        let a = body("a");
        assert_eq!(a["security_group_ids"], serde_json::json!(["sg-1", "sg-2"]));
        assert_eq!(a["attributes"], serde_json::json!({"cvm.project_id": "0"}));
        assert_eq!(body("b")["security_group_ids"], serde_json::json!([]));
        assert_eq!(body("c")["security_group_ids"], serde_json::Value::Null);
        assert_eq!(body("c")["attributes"], serde_json::json!({"zec.x": "y"}));
        assert_eq!(body("d")["security_group_ids"], serde_json::json!(["sg-z"]));
        assert_eq!(body("d")["attributes"], serde_json::json!({}));
    }

    #[test]
    fn versions_ascend_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
        }
        assert_eq!(latest() as usize, MIGRATIONS.len());
    }
}
