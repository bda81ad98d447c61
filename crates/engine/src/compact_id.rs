//! Ids that every instance keeps a copy of (its latest operation's id and
//! request id) are UUIDs when Stratus made them: 16 bytes in place instead of
//! a 36-character string on the heap. Any other text is kept as it came, so
//! an id reads back, compares and serialises exactly as it was given.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An id held as a UUID when its text is one in canonical form (lowercase,
/// hyphenated), and as that text otherwise. Made only by [`CompactId::new`],
/// so one text always has one form and equality is the text's.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CompactId(Form);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Form {
    Uuid(uuid::Uuid),
    Text(Box<str>),
}

/// The length of a hyphenated UUID.
const UUID_TEXT: usize = 36;

impl CompactId {
    pub fn new(text: &str) -> Self {
        // Only the canonical spelling: the parser also takes upper case,
        // braces and other forms, which would not read back as given.
        let canonical = text.len() == UUID_TEXT && !text.bytes().any(|b| b.is_ascii_uppercase());
        Self(match uuid::Uuid::try_parse(text) {
            Ok(uuid) if canonical => Form::Uuid(uuid),
            _ => Form::Text(text.into()),
        })
    }

    /// Calls `f` with the id's text, written on the stack for a UUID.
    pub fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match &self.0 {
            Form::Uuid(uuid) => f(uuid.hyphenated().encode_lower(&mut [0; UUID_TEXT])),
            Form::Text(text) => f(text),
        }
    }
}

impl From<&str> for CompactId {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl PartialEq<str> for CompactId {
    fn eq(&self, other: &str) -> bool {
        self.with_str(|text| text == other)
    }
}

impl PartialEq<String> for CompactId {
    fn eq(&self, other: &String) -> bool {
        *self == **other
    }
}

impl fmt::Display for CompactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|text| f.write_str(text))
    }
}

impl fmt::Debug for CompactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|text| fmt::Debug::fmt(text, f))
    }
}

impl Serialize for CompactId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_str(|text| serializer.serialize_str(text))
    }
}

impl<'de> Deserialize<'de> for CompactId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::name::deserialize_text(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_reads_back_exactly_as_given() {
        let made = uuid::Uuid::new_v4().to_string();
        let given = [
            made.as_str(),
            "01a23d2b-5ea2-764c-a2a2-a8975963d23b",
            "01A23D2B-5EA2-764C-A2A2-A8975963D23B",
            "{01a23d2b-5ea2-764c-a2a2-a8975963d23b}",
            "01a23d2b5ea2764ca2a2a8975963d23b",
            "urn:uuid:01a23d2b-5ea2-764c-a2a2-a8975963d23b",
            "req-1",
            "",
        ];
        for text in given {
            let id = CompactId::new(text);
            assert_eq!(id.to_string(), text);
            assert_eq!(id, *text);
            let json = serde_json::to_string(&id).unwrap_or_default();
            assert_eq!(json, serde_json::to_string(text).unwrap_or_default());
            let back: CompactId = serde_json::from_str(&json).unwrap_or_else(|_| "x".into());
            assert_eq!(back, id);
        }
        let kept = CompactId::new("01a23d2b-5ea2-764c-a2a2-a8975963d23b");
        assert_ne!(kept, *"01A23D2B-5EA2-764C-A2A2-A8975963D23B");
        assert_ne!(kept, CompactId::new("01A23D2B-5EA2-764C-A2A2-A8975963D23B"));
        assert_ne!(kept, *"01a23d2b-5ea2-764c-a2a2-a8975963d23c");
    }

    #[test]
    fn only_the_canonical_uuid_spelling_is_kept_in_place() {
        assert!(matches!(
            CompactId::new("01a23d2b-5ea2-764c-a2a2-a8975963d23b").0,
            Form::Uuid(_)
        ));
        for other in [
            "01A23D2B-5EA2-764C-A2A2-A8975963D23B",
            "01a23d2b5ea2764ca2a2a8975963d23b",
            "01a23d2b-5ea2-764c-a2a2-a8975963d23z",
        ] {
            assert!(matches!(CompactId::new(other).0, Form::Text(_)), "{other}");
        }
    }
}
