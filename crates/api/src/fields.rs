//! The fields of a successful answer, in the order a handler sets them.
//!
//! A field is a JSON value, or a part already rendered to JSON text from a
//! typed view. A listing renders its instances straight from borrowed
//! records that way: building a `serde_json::Value` tree per instance (a map
//! insert and an owned key per field) was over half of a page's CPU. The
//! answer is then written once into a buffer sized for it.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::Value;
use stratus_engine::model::Tag;

/// About what one rendered instance view takes (a Lighthouse instance is
/// about 1.5 KB).
const RENDERED_VIEW_BYTES: usize = 2048;

/// The fields of a successful answer (each envelope adds its request id).
#[derive(Debug, Default, Clone)]
pub struct Fields {
    entries: Vec<(String, Field)>,
}

#[derive(Debug, Clone)]
enum Field {
    Value(Value),
    /// JSON text a typed view rendered.
    Rendered(Vec<u8>),
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

    /// Sets `key` to the array of `views` rendered to JSON text now, from
    /// typed views, into a buffer sized for them so the text is written once.
    pub fn insert_views<V: Serialize>(&mut self, key: &str, views: &[V]) {
        let mut text = Vec::with_capacity(RENDERED_VIEW_BYTES * views.len());
        let field = match serde_json::to_writer(&mut text, views) {
            Ok(()) => Field::Rendered(text),
            // A view of plain structs and string-keyed maps always renders;
            // should one ever not, the answer says null rather than failing.
            Err(e) => {
                tracing::error!(field = key, error = %e, "a view did not render");
                Field::Value(Value::Null)
            }
        };
        self.set(key, field);
    }

    /// The fields as one JSON object.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size_hint());
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        for (n, (key, field)) in self.entries.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_json(out, key.as_str());
            out.push(b':');
            match field {
                Field::Value(v) => write_json(out, v),
                Field::Rendered(text) => out.extend_from_slice(text),
                Field::Fields(f) => f.write(out),
            }
        }
        out.push(b'}');
    }

    /// About the bytes [`Fields::to_json`] writes: the rendered parts, and
    /// room for the small values.
    fn size_hint(&self) -> usize {
        self.entries
            .iter()
            .map(|(k, f)| {
                k.len()
                    + match f {
                        Field::Rendered(text) => text.len(),
                        Field::Fields(f) => f.size_hint(),
                        Field::Value(_) => 32,
                    }
            })
            .sum::<usize>()
            + 64
    }

    fn set(&mut self, key: &str, field: Field) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some((_, f)) => *f = field,
            None => self.entries.push((key.to_string(), field)),
        }
    }
}

/// Writes a string or a `Value`: into a `Vec`, with string keys, neither
/// can fail.
fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    if let Err(e) = serde_json::to_writer(&mut *out, value) {
        tracing::error!(error = %e, "a value did not render");
    }
}

/// Tags rendered as `[{KEY: key, VALUE: value}]`, with the vendor's two
/// member names.
pub struct TagPairs<'a> {
    pub tags: &'a [Tag],
    pub names: (&'static str, &'static str),
}

impl Serialize for TagPairs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Pair<'a>(&'a Tag, (&'static str, &'static str));
        impl Serialize for Pair<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry(self.1 .0, &*self.0.key)?;
                map.serialize_entry(self.1 .1, &*self.0.value)?;
                map.end()
            }
        }
        serializer.collect_seq(self.tags.iter().map(|t| Pair(t, self.names)))
    }
}

/// The member names of a rendered JSON object, in order (for tests of a
/// view's field order).
#[cfg(test)]
pub fn object_keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
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
        let mut f = fields([("B", json!(1)), ("A", json!("x\"y"))]);
        f.insert_views("Set", &[View { id: "i-1" }, View { id: "i-2" }]);
        f.insert("B", json!(2));
        let mut inner = Fields::new();
        inner.insert("RequestId", json!("r"));
        f.insert_fields("Inner", inner);
        f.insert_fields("Empty", Fields::new());
        let text = String::from_utf8(f.to_json()).expect("UTF-8");
        assert_eq!(
            text,
            r#"{"B":2,"A":"x\"y","Set":[{"Id":"i-1"},{"Id":"i-2"}],"Inner":{"RequestId":"r"},"Empty":{}}"#
        );
    }

    #[test]
    fn a_view_that_cannot_render_answers_null_and_the_rest_still_renders() {
        // JSON has no object keyed by a list: serde_json refuses to write it.
        let unrenderable = [std::collections::BTreeMap::from([(vec![1u8], 1u8)])];
        let mut f = fields([("TotalCount", json!(1))]);
        f.insert_views("Set", &unrenderable);
        f.insert("RequestId", json!("r"));
        assert_eq!(
            String::from_utf8(f.to_json()).expect("UTF-8"),
            r#"{"TotalCount":1,"Set":null,"RequestId":"r"}"#
        );
    }
}
