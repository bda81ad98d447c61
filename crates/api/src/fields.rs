//! The fields of a successful answer, in the order a handler sets them.
//!
//! A field is a JSON value, or a part already rendered to JSON text from a
//! typed view. A listing renders its instances straight from borrowed
//! records that way: building a `serde_json::Value` tree per instance (a map
//! insert and an owned key per field) was over half of a page's CPU.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// The fields of a successful answer (each envelope adds its request id).
#[derive(Debug, Default, Clone)]
pub struct Fields {
    entries: Vec<(String, Field)>,
}

#[derive(Debug, Clone)]
enum Field {
    Value(Value),
    Rendered(Box<RawValue>),
    Fields(Fields),
}

impl Fields {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`, in place of an earlier value as a map would.
    pub fn insert(&mut self, key: &str, value: Value) {
        self.set(key, Field::Value(value));
    }

    /// Sets `key` to `fields`, an object nested in this one.
    pub fn insert_fields(&mut self, key: &str, fields: Fields) {
        self.set(key, Field::Fields(fields));
    }

    /// Sets `key` to `value` rendered to JSON text now, from a typed view.
    pub fn insert_rendered<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        let field = match serde_json::value::to_raw_value(value) {
            Ok(raw) => Field::Rendered(raw),
            // A view of plain structs and string-keyed maps always renders;
            // should one ever not, the answer says null rather than failing.
            Err(e) => {
                tracing::error!(field = key, error = %e, "a view did not render");
                Field::Value(Value::Null)
            }
        };
        self.set(key, field);
    }

    /// The value set for `key` by [`Fields::insert`].
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find_map(|(k, f)| match f {
            Field::Value(v) if k == key => Some(v),
            _ => None,
        })
    }

    fn set(&mut self, key: &str, field: Field) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some((_, f)) => *f = field,
            None => self.entries.push((key.to_string(), field)),
        }
    }
}

impl<const N: usize> From<[(&str, Value); N]> for Fields {
    fn from(pairs: [(&str, Value); N]) -> Self {
        let mut fields = Fields::new();
        for (k, v) in pairs {
            fields.insert(k, v);
        }
        fields
    }
}

/// Response fields from pairs.
pub fn fields<const N: usize>(pairs: [(&str, Value); N]) -> Fields {
    Fields::from(pairs)
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Value(v) => v.serialize(serializer),
            Field::Rendered(raw) => raw.serialize(serializer),
            Field::Fields(f) => f.serialize(serializer),
        }
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (k, f) in &self.entries {
            map.serialize_entry(k, f)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Serialize)]
    struct View<'a> {
        #[serde(rename = "Id")]
        id: &'a str,
    }

    #[test]
    fn fields_keep_their_order_replace_like_a_map_and_splice_rendered_views() {
        let mut f = fields([("B", json!(1)), ("A", json!("x"))]);
        f.insert_rendered("Set", &[View { id: "i-1" }, View { id: "i-2" }]);
        f.insert("B", json!(2));
        let mut inner = Fields::new();
        inner.insert("RequestId", json!("r"));
        f.insert_fields("Inner", inner);
        let text = serde_json::to_string(&f).expect("renders");
        assert_eq!(
            text,
            r#"{"B":2,"A":"x","Set":[{"Id":"i-1"},{"Id":"i-2"}],"Inner":{"RequestId":"r"}}"#
        );
        assert_eq!(f.get("A"), Some(&json!("x")));
        assert_eq!(f.get("Set"), None);
    }
}
