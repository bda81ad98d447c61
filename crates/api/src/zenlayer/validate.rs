//! ZEC parameter rules that come before the engine: paging, id lists,
//! instance names and their batch patterns (spec §5).

use super::envelope::ApiError;
use super::errors::invalid;
use super::profile::{BATCH_LIMIT, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX};

/// `pageNum` (1-based) and `pageSize` as an offset and a limit.
pub fn page(page_num: Option<i64>, page_size: Option<i64>) -> Result<(usize, usize), ApiError> {
    let size = match page_size {
        None => PAGE_SIZE_DEFAULT,
        Some(s) if (1..=PAGE_SIZE_MAX as i64).contains(&s) => s as usize,
        Some(s) => {
            return Err(invalid(format!(
                "`pageSize` must be 1 to {PAGE_SIZE_MAX}, not {s}."
            )))
        }
    };
    let num = match page_num {
        None => 1,
        Some(n) if n >= 1 => n as usize,
        Some(n) => return Err(invalid(format!("`pageNum` must be at least 1, not {n}."))),
    };
    Ok(((num - 1).saturating_mul(size), size))
}

/// A list of ids for a batch action: 1 to 100, no duplicates, none empty.
pub fn batch_ids(ids: &[String], field: &str) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Err(invalid(format!("`{field}` must name at least one id.")));
    }
    optional_ids(ids, field)
}

/// An optional id list (a filter): at most 100, none empty, no duplicates.
pub fn optional_ids(ids: &[String], field: &str) -> Result<(), ApiError> {
    if ids.len() > BATCH_LIMIT {
        return Err(invalid(format!(
            "`{field}` may name at most {BATCH_LIMIT} ids."
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        if id.trim().is_empty() || id.len() > 64 {
            return Err(invalid(format!(
                "`{field}` holds an empty or over-long id."
            )));
        }
        if !seen.insert(id.as_str()) {
            return Err(invalid(format!("`{field}` names `{id}` twice.")));
        }
    }
    Ok(())
}

/// A required string parameter.
pub fn required<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, ApiError> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(super::errors::missing(field)),
    }
}

/// An instance name: 2–63 letters, digits, `-` and `.`, starting and ending
/// with a letter or digit (`max` is 64 for ModifyInstancesAttribute).
pub fn instance_name(name: &str, max: usize) -> Result<(), ApiError> {
    let len = name.chars().count();
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !(2..=max).contains(&len)
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        || !edge_ok(name.chars().next())
        || !edge_ok(name.chars().last())
    {
        return Err(invalid(format!(
            "The instance name `{name}` must be 2-{max} letters, digits, `-` or `.`, starting and ending with a letter or digit."
        )));
    }
    Ok(())
}

/// Names for `count` instances: `server-[3,3]` gives `server-003`,
/// `server-004`, ...; `[begin,bits]` with begin 0–99999 (default 0) and bits
/// 1–6 (default 6). Without a pattern every instance gets the name as given.
pub fn instance_names(name: &str, count: usize) -> Result<Vec<String>, ApiError> {
    let names = match (name.find('['), name.find(']')) {
        (Some(open), Some(close)) if open < close => {
            let inner = &name[open + 1..close];
            let (begin, bits) = match inner.split_once(',') {
                Some((b, w)) => (b.trim(), w.trim()),
                None => (inner.trim(), ""),
            };
            let number = |s: &str, default: u64, max: u64| -> Result<u64, ApiError> {
                if s.is_empty() {
                    return Ok(default);
                }
                s.parse::<u64>()
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or_else(|| invalid(format!("The name pattern `[{inner}]` is invalid.")))
            };
            let begin = number(begin, 0, 99_999)?;
            let bits = number(bits, 6, 6)?.max(1) as usize;
            (0..count as u64)
                .map(|i| {
                    format!(
                        "{}{:0bits$}{}",
                        &name[..open],
                        begin + i,
                        &name[close + 1..]
                    )
                })
                .collect()
        }
        _ => vec![name.to_string(); count],
    };
    for n in &names {
        instance_name(n, 63)?;
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_is_one_based_with_limits() {
        assert_eq!(page(None, None).ok(), Some((0, 20)));
        assert_eq!(page(Some(3), Some(10)).ok(), Some((20, 10)));
        assert!(page(Some(0), None).is_err());
        assert!(page(None, Some(1001)).is_err());
    }

    #[test]
    fn name_patterns_count_up_with_padding() {
        assert_eq!(
            instance_names("server-[3,3]", 2).ok(),
            Some(vec!["server-003".to_string(), "server-004".to_string()])
        );
        assert_eq!(
            instance_names("web", 2).ok(),
            Some(vec!["web".to_string(), "web".to_string()])
        );
        assert_eq!(
            instance_names("db[,2]x", 1).ok(),
            Some(vec!["db00x".to_string()])
        );
        assert!(instance_names("-bad", 1).is_err());
        assert!(instance_names("x", 1).is_err());
        assert!(instance_names("n[1,9]", 1).is_err());
    }

    #[test]
    fn batch_ids_are_bounded_and_unique() {
        let ids: Vec<String> = (0..101).map(|i| i.to_string()).collect();
        assert!(batch_ids(&ids, "instanceIds").is_err());
        assert!(batch_ids(&[], "instanceIds").is_err());
        assert!(batch_ids(&["1".into(), "1".into()], "instanceIds").is_err());
        assert!(batch_ids(&["1".into(), "2".into()], "instanceIds").is_ok());
    }
}
