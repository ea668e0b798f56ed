//! Request bodies the FastAPI way: a missing or non-JSON body, a missing field, a wrong type,
//! a length or an email error all become a 422 list with pydantic's `type`, `loc`, `msg` and
//! `ctx`. Secret fields never have their `input` echoed.
use crate::error::{ApiError, FieldError};
use crate::wording;
use astro_domain::input::InputError;
use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
};
use serde_json::{Map, Value, json};

/// A JSON body, parsed but not yet validated.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.status();
            if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::Detail(status, "Request body too large".into())
            } else {
                ApiError::Detail(status, "Invalid request body".into())
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::Validation(vec![
                FieldError::body("", "missing", "Field required").with_input(Some(Value::Null)),
            ]));
        }
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|err| {
            ApiError::Validation(vec![
                FieldError::body("", "json_invalid", "JSON decode error")
                    .with_ctx(json!({ "error": err.to_string() })),
            ])
        })
    }
}

/// Whether a field's value may be echoed back in an error.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Secrecy {
    Public,
    Secret,
}

/// Reads typed fields out of a JSON object, collecting every error before answering.
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    pub fn new(body: &'a JsonBody) -> Result<Self, ApiError> {
        match &body.0 {
            Value::Object(object) => Ok(Fields {
                object,
                errors: Vec::new(),
            }),
            other => Err(ApiError::Validation(vec![
                FieldError::body(
                    "",
                    "model_attributes_type",
                    "Input should be a valid dictionary or object to extract fields from",
                )
                .with_input(Some(other.clone())),
            ])),
        }
    }

    /// A required string of `min..=max` characters.
    pub fn string(&mut self, name: &str, min: usize, max: usize, secrecy: Secrecy) -> String {
        match self.object.get(name) {
            None => {
                self.errors.push(
                    FieldError::body(name, "missing", "Field required")
                        .with_input(Some(Value::Object(self.redacted()))),
                );
                String::new()
            }
            Some(value) => self
                .checked_string(name, value, min, max, secrecy)
                .unwrap_or_default(),
        }
    }

    /// An optional string of at most `max` characters; `null` counts as absent.
    pub fn optional_string(&mut self, name: &str, max: usize, secrecy: Secrecy) -> Option<String> {
        match self.object.get(name) {
            None | Some(Value::Null) => None,
            Some(value) => self.checked_string(name, value, 0, max, secrecy),
        }
    }

    /// A required email address, normalised (trimmed, NFC, lower-case).
    pub fn email(&mut self, name: &str) -> String {
        let raw = self.string(name, 0, usize::MAX, Secrecy::Public);
        if self.errors.iter().any(|e| e.loc.get(1) == Some(&json!(name))) {
            return raw;
        }
        match astro_domain::input::email(&raw) {
            Ok(email) => email,
            Err(err) => {
                self.errors
                    .push(FieldError::rule(name, &err).with_input(Some(json!(raw))));
                raw
            }
        }
    }

    /// Whether the body has `name` with a value other than `null`.
    pub fn has(&self, name: &str) -> bool {
        self.object.get(name).is_some_and(|v| !v.is_null())
    }

    /// An optional boolean; `null` counts as absent.
    pub fn optional_bool(&mut self, name: &str) -> Option<bool> {
        match self.object.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(flag)) => Some(*flag),
            Some(other) => {
                let error = FieldError::body(name, "bool_type", "Input should be a valid boolean");
                self.errors.push(error.with_input(Some(other.clone())));
                None
            }
        }
    }

    /// Refuses `name` unless its value matched `pattern` (pydantic's `string_pattern_mismatch`).
    pub fn check_pattern(&mut self, name: &str, pattern: &'static str, matched: bool) {
        if !matched {
            let msg = format!("String should match pattern '{pattern}'");
            let error = FieldError::body(name, "string_pattern_mismatch", msg)
                .with_input(self.object.get(name).cloned())
                .with_ctx(json!({ "pattern": pattern }));
            self.errors.push(error);
        }
    }

    /// A field-level rule violation found after typing (a 422 `value_error`).
    pub fn reject(&mut self, name: &str, msg: impl Into<String>, secrecy: Secrecy) {
        let input = self
            .object
            .get(name)
            .filter(|_| secrecy == Secrecy::Public)
            .cloned();
        self.errors
            .push(FieldError::body(name, "value_error", msg).with_input(input));
    }

    /// A field that broke one of the shared input rules (a 422 `value_error`).
    pub fn reject_rule(&mut self, name: &str, error: &InputError, secrecy: Secrecy) {
        self.reject(name, wording::input_message(name, error), secrecy);
    }

    /// The value if no field had an error, else the 422 with all of them.
    pub fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }

    fn checked_string(
        &mut self,
        name: &str,
        value: &Value,
        min: usize,
        max: usize,
        secrecy: Secrecy,
    ) -> Option<String> {
        let input = (secrecy == Secrecy::Public).then(|| value.clone());
        let Value::String(text) = value else {
            self.errors.push(
                FieldError::body(name, "string_type", "Input should be a valid string").with_input(input),
            );
            return None;
        };
        let len = text.chars().count();
        if len < min {
            let plural = if min == 1 { "character" } else { "characters" };
            self.errors.push(
                FieldError::body(
                    name,
                    "string_too_short",
                    format!("String should have at least {min} {plural}"),
                )
                .with_input(input)
                .with_ctx(json!({ "min_length": min })),
            );
            return None;
        }
        if len > max {
            let plural = if max == 1 { "character" } else { "characters" };
            self.errors.push(
                FieldError::body(
                    name,
                    "string_too_long",
                    format!("String should have at most {max} {plural}"),
                )
                .with_input(input)
                .with_ctx(json!({ "max_length": max })),
            );
            return None;
        }
        Some(text.clone())
    }

    /// The body with secret fields blanked, for "missing" errors that echo the whole input.
    fn redacted(&self) -> Map<String, Value> {
        const SECRET: [&str; 8] = [
            "password",
            "new_password",
            "current_password",
            "token",
            "refresh_token",
            "mfa_token",
            "code",
            "recovery_code",
        ];
        self.object
            .iter()
            .filter(|(k, _)| !SECRET.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// An optional body: empty means `None`; anything else must be valid JSON.
impl<S: Send + Sync> axum::extract::OptionalFromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        match <JsonBody as FromRequest<S>>::from_request(req, state).await {
            Ok(body) => Ok(Some(body)),
            Err(ApiError::Validation(errors)) if errors.iter().all(|e| e.kind == "missing") => Ok(None),
            Err(err) => Err(err),
        }
    }
}
