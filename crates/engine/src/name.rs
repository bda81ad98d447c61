//! Interned names: the short strings many instances repeat (their account,
//! product, region, zone, plan, image, OS name, platform, disk type, latest
//! action, VPC, subnet and security groups). Each distinct value is stored
//! once and shared, so ten thousand instances of one region hold one copy
//! of it, and cloning an instance copies a pointer instead of allocating.
//! Networks and groups are created by users, so their set is open: the
//! table's bound below keeps that safe.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock, RwLock};

/// Most distinct names kept for sharing, and the longest one shared. The
/// sets these come from are mostly a few hundred short values; a name past
/// either bound is still correct, only unshared, so the table never holds
/// more than 256 KiB whatever the input.
const MAX_SHARED: usize = 4096;
const MAX_SHARED_LEN: usize = 64;

/// A shared, immutable string. Compares, hashes and serialises as the
/// string it holds.
///
/// One pointer wide: the string's length lives beside it in the shared
/// allocation, not in every holder. An instance holds thirteen names, so a
/// fat `Arc<str>` would cost it 104 bytes more, a million times over. (A
/// name past the table's bounds costs two allocations instead of one.)
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Arc<Box<str>>);

/// The shared copies, up to a bound.
#[derive(Debug, Default)]
struct Table {
    names: foldhash::HashSet<Name>,
}

impl Table {
    /// The shared copy of `value`; a fresh one once `limit` names are kept.
    fn intern(&mut self, value: &str, limit: usize) -> Name {
        if let Some(shared) = self.names.get(value) {
            return shared.clone();
        }
        let name = Name::unshared(value);
        if self.names.len() < limit {
            self.names.insert(name.clone());
        }
        name
    }
}

static TABLE: OnceLock<RwLock<Table>> = OnceLock::new();

impl Name {
    /// The shared copy of `value`, made on first use. Lookups of known
    /// names (nearly all: every instance a store reads back) share a read
    /// lock; only a new name takes the write lock, while there is room.
    pub fn new(value: &str) -> Self {
        if value.len() > MAX_SHARED_LEN {
            return Self::unshared(value);
        }
        // The table holds only complete entries: a panic elsewhere while
        // it was locked cannot have left it inconsistent.
        let table = TABLE.get_or_init(RwLock::default);
        let (known, full) = {
            let t = match table.read() {
                Ok(t) => t,
                Err(poisoned) => poisoned.into_inner(),
            };
            (t.names.get(value).cloned(), t.names.len() >= MAX_SHARED)
        };
        if let Some(shared) = known {
            return shared;
        }
        if full {
            return Self::unshared(value);
        }
        let mut table = match table.write() {
            Ok(t) => t,
            Err(poisoned) => poisoned.into_inner(),
        };
        table.intern(value, MAX_SHARED)
    }

    /// A copy of `value` of its own, outside the table.
    fn unshared(value: &str) -> Self {
        Self(Arc::new(Box::from(value)))
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Name {
    fn default() -> Self {
        Self::new("")
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Name {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for Name {
    fn from(value: String) -> Self {
        Self::new(&value)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == other.as_str()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_text(deserializer)
    }
}

/// Reads a string into a type made from one, without an owned copy in
/// between (names and compact ids are read this way).
pub(crate) fn deserialize_text<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str>,
{
    struct Text<T>(std::marker::PhantomData<T>);
    impl<T: for<'a> From<&'a str>> serde::de::Visitor<'_> for Text<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::from(v))
        }
    }
    deserializer.deserialize_str(Text(std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_share_one_copy() {
        let a = Name::new("ap-guangzhou-3");
        let b = Name::from(String::from("ap-guangzhou-3"));
        assert_eq!(a, b);
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_ne!(a, Name::new("ap-guangzhou-4"));
    }

    #[test]
    fn compares_and_serialises_as_its_string() {
        let n = Name::new("CLOUD_SSD");
        assert_eq!(n, "CLOUD_SSD");
        assert_eq!("CLOUD_SSD", n);
        assert_eq!(n, String::from("CLOUD_SSD"));
        assert_eq!(
            serde_json::to_string(&n).ok().as_deref(),
            Some("\"CLOUD_SSD\"")
        );
        let back: Name = serde_json::from_str("\"CLOUD_SSD\"").unwrap_or_default();
        assert!(Arc::ptr_eq(&back.0, &n.0));
        assert_eq!(format!("{n} {n:?}"), "CLOUD_SSD \"CLOUD_SSD\"");
    }

    #[test]
    fn long_values_are_correct_but_not_kept() {
        let long = "x".repeat(MAX_SHARED_LEN + 1);
        let a = Name::new(&long);
        let b = Name::new(&long);
        assert_eq!(a, b);
        assert_eq!(a.as_str(), long);
        assert!(!Arc::ptr_eq(&a.0, &b.0));
    }

    #[test]
    fn the_table_stops_growing_but_names_stay_correct() {
        let mut table = Table::default();
        let many: Vec<Name> = (0..20)
            .map(|i| table.intern(&format!("unbounded-{i}"), 16))
            .collect();
        assert_eq!(table.names.len(), 16);
        assert_eq!(many[18], "unbounded-18");
        let again = table.intern("unbounded-18", 16);
        assert!(
            !Arc::ptr_eq(&again.0, &many[18].0),
            "past the bound, names are not shared"
        );
        assert!(Arc::ptr_eq(&table.intern("unbounded-3", 16).0, &many[3].0));
    }
}
