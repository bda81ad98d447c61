//! Accounts and their credentials. A credential belongs to a signing scheme
//! (one per vendor dialect, named by the dialect); the engine only stores
//! and looks them up.

use std::collections::HashMap;

/// One credential: a key id and its secret, for one signing scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The dialect's scheme name (e.g. `tencent`).
    pub scheme: String,
    pub key_id: String,
    pub secret: String,
}

/// A tenant. Resources of one account are invisible to every other.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub name: String,
    pub credentials: Vec<Credential>,
    /// Bearer tokens the account declares (schemes that accept them).
    pub bearer_tokens: Vec<String>,
    /// Money available for purchases, if the account tracks a balance.
    pub balance: Option<f64>,
}

/// The accounts of this server, indexed by credential.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    accounts: Vec<Account>,
    by_key: HashMap<(String, String), (usize, usize)>,
    by_token: HashMap<String, usize>,
}

/// A credential found by its key id.
#[derive(Debug, Clone, Copy)]
pub struct Principal<'a> {
    pub account: &'a Account,
    pub credential: &'a Credential,
}

impl Accounts {
    /// Indexes `accounts`. A key id declared twice belongs to the first account.
    pub fn new(accounts: Vec<Account>) -> Self {
        let mut by_key = HashMap::new();
        let mut by_token = HashMap::new();
        for (ai, a) in accounts.iter().enumerate() {
            for (ci, c) in a.credentials.iter().enumerate() {
                by_key
                    .entry((c.scheme.clone(), c.key_id.clone()))
                    .or_insert((ai, ci));
            }
            for t in &a.bearer_tokens {
                by_token.entry(t.clone()).or_insert(ai);
            }
        }
        Self {
            accounts,
            by_key,
            by_token,
        }
    }

    /// The credential with `key_id` under `scheme`, and its account.
    pub fn by_key_id(&self, scheme: &str, key_id: &str) -> Option<Principal<'_>> {
        let (ai, ci) = *self.by_key.get(&(scheme.to_string(), key_id.to_string()))?;
        let account = &self.accounts[ai];
        Some(Principal {
            account,
            credential: &account.credentials[ci],
        })
    }

    /// The account that declared a bearer token.
    pub fn by_bearer_token(&self, token: &str) -> Option<&Account> {
        self.by_token.get(token).map(|i| &self.accounts[*i])
    }

    /// An account by name.
    pub fn by_name(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name == name)
    }

    /// All accounts, in declaration order.
    pub fn all(&self) -> &[Account] {
        &self.accounts
    }
}
