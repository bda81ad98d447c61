//! The vendor attributes an instance carries (project id, internet charge
//! type, MAC address, ...): a handful per instance, read by key.
//!
//! A sorted list rather than a `BTreeMap`: a map allocates a whole node
//! (room for eleven pairs, 640 bytes with its allocator's rounding) for its
//! first pair, more than the rest of a CVM instance's strings together. The
//! keys are a vendor's few attribute names, so they are interned.

use crate::name::Name;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Attributes by key, in key order (serialised as a JSON object, as the
/// map they replace was).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes(Vec<(Name, Box<str>)>);

impl Attributes {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key).ok().map(|at| &*self.0[at].1)
    }

    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) {
        let (key, value) = (key.as_ref(), Box::from(value.as_ref()));
        match self.find(key) {
            Ok(at) => self.0[at].1 = value,
            Err(at) => {
                self.0.insert(at, (Name::new(key), value));
                self.0.shrink_to_fit();
            }
        }
    }

    /// Every pair, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), &**v))
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }
}

impl Attributes {
    /// The pairs given, in key order; of a key given twice, the last value.
    fn from_pairs(mut pairs: Vec<(Name, Box<str>)>) -> Self {
        // Stable: equal keys keep the order they came in.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.reverse();
        pairs.dedup_by(|next, kept| next.0 == kept.0);
        pairs.reverse();
        pairs.shrink_to_fit();
        Self(pairs)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let pairs = pairs
            .into_iter()
            .map(|(k, v)| (Name::new(k.as_ref()), Box::from(v.as_ref())))
            .collect();
        Self::from_pairs(pairs)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> From<[(K, V); N]> for Attributes {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl Serialize for Attributes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Attributes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attributes, A::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = map.next_entry::<Name, String>()? {
                    pairs.push((k, v.into_boxed_str()));
                }
                Ok(Attributes::from_pairs(pairs))
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_writes_and_serialises_as_the_map_it_replaces() {
        let mut a = Attributes::from([("zec.b", "2"), ("cvm.a", "1")]);
        a.insert("kec.c", "3");
        a.insert("cvm.a", "one");
        assert_eq!(a.get("cvm.a"), Some("one"));
        assert_eq!(a.get("missing"), None);
        let map: std::collections::BTreeMap<&str, &str> = a.iter().collect();
        let json = serde_json::to_string(&a).expect("encodes");
        assert_eq!(json, serde_json::to_string(&map).expect("encodes"));
        assert_eq!(json, r#"{"cvm.a":"one","kec.c":"3","zec.b":"2"}"#);
        let back: Attributes = serde_json::from_str(&json).expect("decodes");
        assert_eq!(back, a);
        assert_eq!(a.iter().count(), 3);
        let unordered: Attributes =
            serde_json::from_str(r#"{"z":"1","a":"2","z":"3"}"#).expect("decodes");
        assert_eq!(
            unordered.iter().collect::<Vec<_>>(),
            [("a", "2"), ("z", "3")]
        );
        assert_eq!(Attributes::default().iter().count(), 0);
    }
}
