//! The gateway's error type and the one place where failures become HTTP responses:
//! `{"detail": "..."}` with the contract's status codes, or a FastAPI-shaped 422 list.
//! Internal causes are logged; a 5xx body never carries them.
use crate::wording;
use astro_domain::{
    input::InputError,
    reason::{Reason, violation_of},
};
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::{Value, json};
use std::borrow::Cow;
use tonic::Code;

pub use astro_platform::dependency::UNAVAILABLE;

/// One FastAPI validation error item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub loc: Vec<Value>,
    pub msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

impl FieldError {
    /// An error on `body.<field>` (or on the body itself when `field` is empty).
    pub fn body(field: &str, kind: &'static str, msg: impl Into<String>) -> Self {
        let mut loc = vec![json!("body")];
        if !field.is_empty() {
            loc.push(json!(field));
        }
        FieldError {
            kind,
            loc,
            msg: msg.into(),
            input: None,
            ctx: None,
        }
    }

    pub fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }

    pub fn with_input(mut self, input: Option<Value>) -> Self {
        self.input = input;
        self
    }

    /// `body.<field>` broke one of the shared input rules: pydantic's `value_error`, in the
    /// contract's words (an email's also carries email-validator's reason, as pydantic's does).
    pub fn rule(field: &str, error: &InputError) -> Self {
        let item = FieldError::body(field, "value_error", wording::input_message(field, error));
        match error {
            InputError::Email(problem) => item.with_ctx(json!({ "reason": wording::email_reason(*problem) })),
            _ => item,
        }
    }
}

#[derive(Debug)]
pub enum ApiError {
    /// A client error with the contract's message.
    Detail(StatusCode, Cow<'static, str>),
    /// 401 with `WWW-Authenticate: Bearer`.
    Unauthorized(Cow<'static, str>),
    /// 401 "Recent authentication required" with RFC 9470's challenge: authenticate again
    /// (`POST /api/auth/reauthenticate`), no longer than `max_age` seconds before the request.
    StepUp {
        max_age: Option<String>,
    },
    Validation(Vec<FieldError>),
    /// A service's refusal, worded by [`wording::refusal`] when the response is made (so a
    /// route can reword it first, see [`ApiError::reworded`]).
    Refused(Reason),
    /// 429 with `Retry-After` and the `RateLimit-*` headers of the limit that was hit.
    RateLimited(crate::limits::quota::Quota),
    Unavailable,
    Internal(String),
}

impl ApiError {
    pub fn bad_request(msg: &'static str) -> Self {
        ApiError::Detail(StatusCode::BAD_REQUEST, msg.into())
    }

    /// A refusal in a route's own words where `words` has some, with the usual status code.
    pub fn reworded(self, words: impl Fn(Reason) -> Option<&'static str>) -> Self {
        match self {
            ApiError::Refused(reason) => match words(reason) {
                Some(detail) => ApiError::Detail(wording::refusal(reason).0, detail.into()),
                None => self,
            },
            other => other,
        }
    }
}

impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        // First, whatever its code: a service that failed (or could not be reached, or broke
        // off mid-answer) is a 503, never a 500. It was counted and logged where it was seen,
        // by the client's channel or by the service that answered.
        if astro_platform::dependency::is_failure(&status) {
            tracing::debug!(%status, "dependency unavailable");
            return ApiError::Unavailable;
        }
        if let Some(reason) = Reason::of(&status) {
            if reason == Reason::RecentAuthRequired {
                let max_age =
                    Reason::metadata_of(&status, "max_age").filter(|v| v.bytes().all(|b| b.is_ascii_digit()));
                return ApiError::StepUp { max_age };
            }
            return ApiError::Refused(reason);
        }
        // A rule the edge checks too, found by a service first (e.g. a limit that changed).
        if let Some((field, rule)) = violation_of(&status)
            && let Some(error) = InputError::from_reason(&field, &rule)
        {
            return ApiError::Validation(vec![FieldError::rule(&field, &error)]);
        }
        match status.code() {
            Code::ResourceExhausted => {
                ApiError::Detail(StatusCode::TOO_MANY_REQUESTS, "Too many requests".into())
            }
            // Anything else is a fault of ours (a service answered in no words we know): logged
            // with its message, which the client never sees.
            _ => ApiError::Internal(format!("{:?}: {}", status.code(), status.message())),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Detail(status, detail) => (status, Json(json!({ "detail": detail }))).into_response(),
            ApiError::Refused(reason) => match wording::refusal(reason) {
                (StatusCode::UNAUTHORIZED, detail) => ApiError::Unauthorized(detail.into()).into_response(),
                (status, detail) => ApiError::Detail(status, detail.into()).into_response(),
            },
            ApiError::Unauthorized(detail) => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
                Json(json!({ "detail": detail })),
            )
                .into_response(),
            ApiError::StepUp { max_age } => {
                let challenge = match max_age {
                    Some(age) => format!("Bearer error=\"insufficient_user_authentication\", max_age={age}"),
                    None => "Bearer error=\"insufficient_user_authentication\"".to_owned(),
                };
                let challenge =
                    HeaderValue::from_str(&challenge).unwrap_or(HeaderValue::from_static("Bearer"));
                (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, challenge)],
                    Json(json!({ "detail": wording::RECENT_AUTH_REQUIRED })),
                )
                    .into_response()
            }
            ApiError::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "detail": errors })),
            )
                .into_response(),
            ApiError::RateLimited(quota) => {
                metrics::counter!("http_rate_limited_total").increment(1);
                let mut response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(json!({ "detail": "Too many requests" })),
                )
                    .into_response();
                quota.write_headers(response.headers_mut());
                let retry_after = HeaderValue::from(quota.reset_secs.max(1));
                response.headers_mut().insert(header::RETRY_AFTER, retry_after);
                response
            }
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "detail": UNAVAILABLE })),
            )
                .into_response(),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({ "detail": "Internal server error" })),
                )
                    .into_response()
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
