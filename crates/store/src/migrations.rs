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
];

/// The schema version this build writes.
pub fn latest() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_ascend_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
        }
        assert_eq!(latest() as usize, MIGRATIONS.len());
    }
}
