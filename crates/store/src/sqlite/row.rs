//! A write as the database receives it: the columns a table is looked up by
//! and the record's JSON body. Rows are what the journal holds (encoded
//! in a small binary form, so a body is copied, never escaped) and what the
//! applier executes, after the writer has already answered.

use crate::record::{state_name, RecordKey, ACCOUNT_TABLES};
use rusqlite::{params, Transaction};
use stratus_engine::ports::Change;

/// One write to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Row {
    Instance {
        account: String,
        id: String,
        product: String,
        state: String,
        version: i64,
        body: String,
    },
    Operation {
        id: String,
        account: String,
        instance_id: String,
        state: String,
        deadline: i64,
        version: i64,
        body: String,
    },
    /// A key pair or a network: an account's record, with its product.
    Owned {
        table: Owned,
        account: String,
        id: String,
        product: String,
        version: i64,
        body: String,
    },
    DeleteKeyPair {
        account: String,
        id: String,
    },
    Message {
        id: String,
        account: String,
        created_at: i64,
        body: String,
    },
    ClientToken {
        account: String,
        product: String,
        token: String,
        body: String,
    },
    /// Every record of an account (`None`: of every account) deleted.
    Reset {
        account: Option<String>,
    },
    Setting {
        key: String,
        body: String,
    },
}

/// The tables of [`Row::Owned`], whose rows have the same columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owned {
    KeyPair,
    Network,
}

impl Owned {
    fn upsert(self) -> &'static str {
        match self {
            Owned::KeyPair => "INSERT INTO key_pairs (account, id, product, version, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account, id) DO UPDATE SET version = excluded.version, body = excluded.body",
            Owned::Network => "INSERT INTO networks (account, id, product, version, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (account, id) DO UPDATE SET version = excluded.version, body = excluded.body",
        }
    }

    fn tag(self) -> Tag {
        match self {
            Owned::KeyPair => Tag::KeyPair,
            Owned::Network => Tag::Network,
        }
    }
}

/// What a row overwrites: a later row with the same key makes an earlier
/// one unnecessary. Messages and resets have none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum RowKey {
    /// A versioned record, keyed as the writer's checks key it.
    Record(RecordKey),
    Setting(String),
}

impl From<RecordKey> for RowKey {
    fn from(key: RecordKey) -> Self {
        RowKey::Record(key)
    }
}

impl Row {
    /// The row of a change whose record serialised to `body`.
    pub fn of(change: &Change, body: String) -> Row {
        match change {
            Change::Instance { record: r, .. } => Row::Instance {
                account: r.account.to_string(),
                id: r.id.clone(),
                product: r.product.to_string(),
                state: state_name(&r.state),
                version: r.version as i64,
                body,
            },
            Change::Operation { record: r, .. } => Row::Operation {
                id: r.id.clone(),
                account: r.account.to_string(),
                instance_id: r.instance_id.clone(),
                state: state_name(&r.state),
                deadline: r.deadline.0,
                version: r.version as i64,
                body,
            },
            Change::KeyPair { record: r, .. } => Row::Owned {
                table: Owned::KeyPair,
                account: r.account.clone(),
                id: r.id.clone(),
                product: r.product.clone(),
                version: r.version as i64,
                body,
            },
            Change::DeleteKeyPair { account, id, .. } => Row::DeleteKeyPair {
                account: account.clone(),
                id: id.clone(),
            },
            Change::Network { record: r, .. } => Row::Owned {
                table: Owned::Network,
                account: r.account.clone(),
                id: r.id.clone(),
                product: r.product.clone(),
                version: r.version as i64,
                body,
            },
            Change::Message(m) => Row::Message {
                id: m.id.clone(),
                account: m.account.to_string(),
                created_at: m.created_at.0,
                body,
            },
            Change::ClientToken(t) => Row::ClientToken {
                account: t.account.to_string(),
                product: t.product.clone(),
                token: t.token.clone(),
                body,
            },
        }
    }

    /// What the row overwrites, if a later one may replace it.
    pub fn key(&self) -> Option<RowKey> {
        Some(match self {
            Row::Instance { account, id, .. } => {
                RecordKey::Instance(account.clone(), id.clone()).into()
            }
            Row::Operation { id, .. } => RecordKey::Operation(id.clone()).into(),
            Row::Owned {
                table: Owned::KeyPair,
                account,
                id,
                ..
            }
            | Row::DeleteKeyPair { account, id } => {
                RecordKey::KeyPair(account.clone(), id.clone()).into()
            }
            Row::Owned {
                table: Owned::Network,
                account,
                id,
                ..
            } => RecordKey::Network(account.clone(), id.clone()).into(),
            Row::ClientToken {
                account,
                product,
                token,
                ..
            } => RecordKey::ClientToken(account.clone(), product.clone(), token.clone()).into(),
            Row::Setting { key, .. } => RowKey::Setting(key.clone()),
            Row::Message { .. } | Row::Reset { .. } => return None,
        })
    }

    /// Executes the row in `tx`. Every row may be executed again over its
    /// own effect (a replay after a crash between two steps is harmless).
    pub fn execute(&self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        match self {
            Row::Instance {
                account,
                id,
                product,
                state,
                version,
                body,
            } => {
                tx.prepare_cached(
                    "INSERT INTO instances (account, id, product, state, version, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (account, id) DO UPDATE SET state = excluded.state, version = excluded.version, body = excluded.body",
                )?
                .execute(params![account, id, product, state, version, body])?;
            }
            Row::Operation {
                id,
                account,
                instance_id,
                state,
                deadline,
                version,
                body,
            } => {
                tx.prepare_cached(
                    "INSERT INTO operations (id, account, instance_id, state, deadline, version, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (id) DO UPDATE SET state = excluded.state, deadline = excluded.deadline, version = excluded.version, body = excluded.body",
                )?
                .execute(params![id, account, instance_id, state, deadline, version, body])?;
            }
            Row::Owned {
                table,
                account,
                id,
                product,
                version,
                body,
            } => {
                tx.prepare_cached(table.upsert())?
                    .execute(params![account, id, product, version, body])?;
            }
            Row::DeleteKeyPair { account, id } => {
                tx.prepare_cached("DELETE FROM key_pairs WHERE account = ?1 AND id = ?2")?
                    .execute(params![account, id])?;
            }
            Row::Message {
                id,
                account,
                created_at,
                body,
            } => {
                tx.prepare_cached(
                    "INSERT INTO messages (id, account, created_at, body) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO NOTHING",
                )?
                .execute(params![id, account, created_at, body])?;
            }
            Row::ClientToken {
                account,
                product,
                token,
                body,
            } => {
                tx.prepare_cached(
                    "INSERT INTO client_tokens (account, product, token, body) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (account, product, token) DO NOTHING",
                )?
                .execute(params![account, product, token, body])?;
            }
            Row::Reset { account } => {
                for table in ACCOUNT_TABLES {
                    match account {
                        Some(a) => {
                            tx.execute(&format!("DELETE FROM {table} WHERE account = ?1"), [a])?
                        }
                        None => tx.execute(&format!("DELETE FROM {table}"), [])?,
                    };
                }
            }
            Row::Setting { key, body } => {
                tx.prepare_cached(
                    "INSERT INTO settings (key, body) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET body = excluded.body",
                )?
                .execute(params![key, body])?;
            }
        }
        Ok(())
    }

    /// Appends the row's encoding to `out`: a tag, then its fields (text as
    /// a length and bytes, numbers as eight bytes, little-endian).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer(out);
        match self {
            Row::Instance {
                account,
                id,
                product,
                state,
                version,
                body,
            } => {
                w.tag(Tag::Instance);
                w.texts(&[account, id, product, state]);
                w.number(*version);
                w.text(body);
            }
            Row::Operation {
                id,
                account,
                instance_id,
                state,
                deadline,
                version,
                body,
            } => {
                w.tag(Tag::Operation);
                w.texts(&[id, account, instance_id, state]);
                w.number(*deadline);
                w.number(*version);
                w.text(body);
            }
            Row::Owned {
                table,
                account,
                id,
                product,
                version,
                body,
            } => {
                w.tag(table.tag());
                w.texts(&[account, id, product]);
                w.number(*version);
                w.text(body);
            }
            Row::DeleteKeyPair { account, id } => {
                w.tag(Tag::DeleteKeyPair);
                w.texts(&[account, id]);
            }
            Row::Message {
                id,
                account,
                created_at,
                body,
            } => {
                w.tag(Tag::Message);
                w.texts(&[id, account]);
                w.number(*created_at);
                w.text(body);
            }
            Row::ClientToken {
                account,
                product,
                token,
                body,
            } => {
                w.tag(Tag::ClientToken);
                w.texts(&[account, product, token, body]);
            }
            Row::Reset { account: None } => w.tag(Tag::ResetAll),
            Row::Reset {
                account: Some(account),
            } => {
                w.tag(Tag::ResetAccount);
                w.text(account);
            }
            Row::Setting { key, body } => {
                w.tag(Tag::Setting);
                w.texts(&[key, body]);
            }
        }
    }

    /// Decodes every row of `bytes`, as [`Row::encode`] wrote them one
    /// after another.
    pub fn decode_all(bytes: &[u8]) -> Result<Vec<Row>, String> {
        let mut r = Reader(bytes);
        let mut rows = Vec::new();
        while !r.0.is_empty() {
            rows.push(r.row()?);
        }
        Ok(rows)
    }
}

/// The first byte of an encoded row.
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
enum Tag {
    Instance = 1,
    Operation = 2,
    KeyPair = 3,
    DeleteKeyPair = 4,
    Network = 5,
    Message = 6,
    ClientToken = 7,
    ResetAll = 8,
    ResetAccount = 9,
    Setting = 10,
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn tag(&mut self, tag: Tag) {
        self.0.push(tag as u8);
    }

    fn number(&mut self, n: i64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }

    fn text(&mut self, s: &str) {
        // A record's text is far below 4 GiB: the request body limit is
        // megabytes.
        self.0.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn texts(&mut self, all: &[&String]) {
        for s in all {
            self.text(s);
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if self.0.len() < n {
            return Err("a journal row ends early".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn number(&mut self) -> Result<i64, String> {
        let bytes: [u8; 8] = self.take(8)?.try_into().map_err(|_| "a short number")?;
        Ok(i64::from_le_bytes(bytes))
    }

    fn text(&mut self) -> Result<String, String> {
        let len: [u8; 4] = self.take(4)?.try_into().map_err(|_| "a short length")?;
        let bytes = self.take(u32::from_le_bytes(len) as usize)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| "a journal row holds bad UTF-8".into())
    }

    fn owned(&mut self, table: Owned) -> Result<Row, String> {
        Ok(Row::Owned {
            table,
            account: self.text()?,
            id: self.text()?,
            product: self.text()?,
            version: self.number()?,
            body: self.text()?,
        })
    }

    fn row(&mut self) -> Result<Row, String> {
        let tag = self.take(1)?[0];
        Ok(match tag {
            t if t == Tag::Instance as u8 => Row::Instance {
                account: self.text()?,
                id: self.text()?,
                product: self.text()?,
                state: self.text()?,
                version: self.number()?,
                body: self.text()?,
            },
            t if t == Tag::Operation as u8 => Row::Operation {
                id: self.text()?,
                account: self.text()?,
                instance_id: self.text()?,
                state: self.text()?,
                deadline: self.number()?,
                version: self.number()?,
                body: self.text()?,
            },
            t if t == Tag::KeyPair as u8 => self.owned(Owned::KeyPair)?,
            t if t == Tag::Network as u8 => self.owned(Owned::Network)?,
            t if t == Tag::DeleteKeyPair as u8 => Row::DeleteKeyPair {
                account: self.text()?,
                id: self.text()?,
            },
            t if t == Tag::Message as u8 => Row::Message {
                id: self.text()?,
                account: self.text()?,
                created_at: self.number()?,
                body: self.text()?,
            },
            t if t == Tag::ClientToken as u8 => Row::ClientToken {
                account: self.text()?,
                product: self.text()?,
                token: self.text()?,
                body: self.text()?,
            },
            t if t == Tag::ResetAll as u8 => Row::Reset { account: None },
            t if t == Tag::ResetAccount as u8 => Row::Reset {
                account: Some(self.text()?),
            },
            t if t == Tag::Setting as u8 => Row::Setting {
                key: self.text()?,
                body: self.text()?,
            },
            other => return Err(format!("a journal row has an unknown tag {other}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Row> {
        let s = |v: &str| v.to_string();
        vec![
            Row::Instance {
                account: s("a"),
                id: s("lhins-1"),
                product: s("lighthouse"),
                state: s("Running"),
                version: 3,
                body: s(r#"{"id":"lhins-1","note":"é \" \n"}"#),
            },
            Row::Operation {
                id: s("op"),
                account: s("a"),
                instance_id: s("lhins-1"),
                state: s("Operating"),
                deadline: -5,
                version: 1,
                body: s("{}"),
            },
            Row::Owned {
                table: Owned::KeyPair,
                account: s("a"),
                id: s("lhkp-1"),
                product: s("lighthouse"),
                version: 1,
                body: s("{}"),
            },
            Row::DeleteKeyPair {
                account: s("a"),
                id: s("lhkp-1"),
            },
            Row::Owned {
                table: Owned::Network,
                account: s("a"),
                id: s("vpc-1"),
                product: s("cvm"),
                version: i64::MAX,
                body: s(""),
            },
            Row::Message {
                id: s("m"),
                account: s("a"),
                created_at: 7,
                body: s("{}"),
            },
            Row::ClientToken {
                account: s("a"),
                product: s("cvm"),
                token: s("t"),
                body: s("{}"),
            },
            Row::Reset { account: None },
            Row::Reset {
                account: Some(s("a")),
            },
            Row::Setting {
                key: s("faults"),
                body: s("[]"),
            },
        ]
    }

    #[test]
    fn every_kind_of_row_reads_back_as_written() {
        let rows = every_kind();
        let mut bytes = Vec::new();
        for row in &rows {
            row.encode(&mut bytes);
        }
        assert_eq!(Row::decode_all(&bytes), Ok(rows));
    }

    #[test]
    fn a_cut_or_unknown_row_is_an_error_not_a_guess() {
        let mut bytes = Vec::new();
        every_kind()[0].encode(&mut bytes);
        for cut in 1..bytes.len() {
            assert!(Row::decode_all(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(Row::decode_all(&[42]).is_err());
    }

    #[test]
    fn key_pairs_and_their_deletion_overwrite_each_other() {
        let rows = every_kind();
        assert_eq!(rows[2].key(), rows[3].key());
        // A network and a key pair never overwrite each other.
        let network = Row::Owned {
            table: Owned::Network,
            account: "a".into(),
            id: "lhkp-1".into(),
            product: "lighthouse".into(),
            version: 1,
            body: "{}".into(),
        };
        assert_ne!(rows[2].key(), network.key());
        assert_eq!(rows[5].key(), None);
        assert_eq!(rows[7].key(), None);
    }
}
