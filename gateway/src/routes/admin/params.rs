//! Query-string and path parameters the FastAPI way: each bad value becomes an entry of a 422
//! list at `["query", name]` (or `["path", name]`) with pydantic's `type`, `msg` and `ctx`,
//! and every parameter is checked before answering. Repeated parameters: the last one counts.
use crate::error::{ApiError, FieldError};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The parameters of one request, read one by one.
pub struct Params {
    values: HashMap<String, String>,
    errors: Vec<FieldError>,
}

/// A 422 entry for parameter `name` found in `place` (`"query"` or `"path"`).
fn error(place: &str, name: &str, kind: &'static str, msg: impl Into<String>, input: &str) -> FieldError {
    FieldError {
        kind,
        loc: vec![json!(place), json!(name)],
        msg: msg.into(),
        input: Some(json!(input)),
        ctx: None,
    }
}

/// An integer path parameter, such as a user id.
pub fn path_id(name: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::Validation(vec![error(
            "path",
            name,
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
            raw,
        )])
    })
}

impl Params {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Params {
            values: pairs.into_iter().collect(),
            errors: Vec::new(),
        }
    }

    fn reject(&mut self, name: &str, kind: &'static str, msg: impl Into<String>, ctx: Option<Value>) {
        let input = self.values.get(name).map(String::as_str).unwrap_or_default();
        let mut entry = error("query", name, kind, msg, input);
        entry.ctx = ctx;
        self.errors.push(entry);
    }

    /// An optional integer within `min..=max`.
    pub fn int(&mut self, name: &str, min: i64, max: i64) -> Option<i64> {
        let raw = self.values.get(name)?;
        let Ok(value) = raw.trim().parse::<i64>() else {
            let msg = "Input should be a valid integer, unable to parse string as an integer";
            self.reject(name, "int_parsing", msg, None);
            return None;
        };
        if value < min {
            let msg = format!("Input should be greater than or equal to {min}");
            self.reject(name, "greater_than_equal", msg, Some(json!({ "ge": min })));
            return None;
        }
        if value > max {
            let msg = format!("Input should be less than or equal to {max}");
            self.reject(name, "less_than_equal", msg, Some(json!({ "le": max })));
            return None;
        }
        Some(value)
    }

    /// An optional boolean, with pydantic's spellings (`true`/`false`, `1`/`0`, `yes`/`no`, …).
    pub fn bool(&mut self, name: &str) -> Option<bool> {
        let raw = self.values.get(name)?.trim().to_ascii_lowercase();
        match raw.as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
            "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
            _ => {
                let msg = "Input should be a valid boolean, unable to interpret input";
                self.reject(name, "bool_parsing", msg, None);
                None
            }
        }
    }

    /// An optional string of at most `max` characters; empty counts as absent.
    pub fn string(&mut self, name: &str, max: usize) -> Option<String> {
        let value = self.values.get(name)?.clone();
        if value.chars().count() > max {
            let msg = format!("String should have at most {max} characters");
            self.reject(name, "string_too_long", msg, Some(json!({ "max_length": max })));
            return None;
        }
        Some(value).filter(|v| !v.is_empty())
    }

    /// An optional value that must be one of `allowed` (a pydantic enum).
    pub fn choice(&mut self, name: &str, allowed: &[&str]) -> Option<String> {
        let value = self.values.get(name)?.clone();
        if allowed.contains(&value.as_str()) {
            return Some(value);
        }
        let quoted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
        let expected = match quoted.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        let msg = format!("Input should be {expected}");
        self.reject(name, "enum", msg, Some(json!({ "expected": expected })));
        None
    }

    /// An optional RFC 3339 date-time; one without an offset is taken as UTC.
    pub fn datetime(&mut self, name: &str) -> Option<DateTime<Utc>> {
        let raw = self.values.get(name)?.trim().to_owned();
        if let Ok(at) = DateTime::parse_from_rfc3339(&raw) {
            return Some(at.with_timezone(&Utc));
        }
        if let Ok(naive) = NaiveDateTime::parse_from_str(&raw, "%Y-%m-%dT%H:%M:%S%.f") {
            return Some(naive.and_utc());
        }
        let msg = "Input should be a valid datetime in RFC 3339 format";
        self.reject(name, "datetime_parsing", msg, None);
        None
    }

    /// The value if every parameter was fine, else the 422 listing all that were not.
    pub fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn bad_values_are_all_reported_at_their_location() {
        let mut p = params(&[
            ("page", "x"),
            ("per_page", "101"),
            ("flag", "maybe"),
            ("role", "root"),
        ]);
        assert_eq!(p.int("page", 1, i64::MAX), None);
        assert_eq!(p.int("per_page", 1, 100), None);
        assert_eq!(p.bool("flag"), None);
        assert_eq!(p.choice("role", &["user", "admin"]), None);
        let Err(ApiError::Validation(errors)) = p.finish(()) else {
            panic!("expected a 422")
        };
        let kinds: Vec<_> = errors.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["int_parsing", "less_than_equal", "bool_parsing", "enum"]);
        assert_eq!(errors[3].msg, "Input should be 'user' or 'admin'");
        assert_eq!(errors[1].loc, [json!("query"), json!("per_page")]);
    }

    #[test]
    fn good_values_and_the_last_repeat_win() {
        let mut p = params(&[
            ("page", "1"),
            ("page", "3"),
            ("on", "Yes"),
            ("at", "2026-01-02T03:04:05Z"),
        ]);
        assert_eq!(p.int("page", 1, 10), Some(3));
        assert_eq!(p.bool("on"), Some(true));
        assert_eq!(p.datetime("at").unwrap().timestamp(), 1_767_323_045);
        assert_eq!(p.int("absent", 1, 10), None);
        assert!(p.finish(()).is_ok());
        assert!(path_id("id", "12").is_ok());
        assert!(path_id("id", "abc").is_err());
    }
}
