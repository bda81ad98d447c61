//! Versioned schema migrations, applied in order; the schema version is kept
//! in SQLite's `user_version`.

/// `(version, sql)` pairs in ascending order. Append; never edit a shipped one.
pub const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_networks.sql")),
    (
        3,
        include_str!("../migrations/0003_operations_by_account.sql"),
    ),
];

/// The schema version this build writes.
pub fn latest() -> u32 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}
