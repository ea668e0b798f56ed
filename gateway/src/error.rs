//! The gateway's error type and the one place where failures become HTTP responses:
//! `{"detail": "..."}` with the contract's status codes, or a FastAPI-shaped 422 list.
//! Internal causes are logged; a 5xx body never carries them.
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::{Value, json};
use std::borrow::Cow;
use tonic::Code;

pub const UNAVAILABLE: &str = "Service temporarily unavailable";

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
}

#[derive(Debug)]
pub enum ApiError {
    /// A client error with the contract's message.
    Detail(StatusCode, Cow<'static, str>),
    /// 401 with `WWW-Authenticate: Bearer`.
    Unauthorized(Cow<'static, str>),
    Validation(Vec<FieldError>),
    /// 429 with `Retry-After` and the `RateLimit-*` headers of the limit that was hit.
    RateLimited(crate::limits::Quota),
    Unavailable,
    Internal(String),
}

impl ApiError {
    pub fn bad_request(msg: &'static str) -> Self {
        ApiError::Detail(StatusCode::BAD_REQUEST, msg.into())
    }
}

impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        let msg = || Cow::Owned(status.message().to_owned());
        match status.code() {
            Code::Unauthenticated => ApiError::Unauthorized(msg()),
            Code::FailedPrecondition | Code::AlreadyExists => {
                ApiError::Detail(StatusCode::BAD_REQUEST, msg())
            }
            Code::InvalidArgument => match status.metadata().get(astro_common::grpc::VALIDATION_FIELD) {
                Some(field) => {
                    let field = field.to_str().unwrap_or_default();
                    ApiError::Validation(vec![FieldError::body(field, "value_error", status.message())])
                }
                None => ApiError::Detail(StatusCode::BAD_REQUEST, msg()),
            },
            Code::PermissionDenied => ApiError::Detail(StatusCode::FORBIDDEN, msg()),
            Code::NotFound => ApiError::Detail(StatusCode::NOT_FOUND, msg()),
            Code::ResourceExhausted => {
                ApiError::Detail(StatusCode::TOO_MANY_REQUESTS, "Too many requests".into())
            }
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
                tracing::warn!(error = %status.message(), "downstream service unavailable");
                ApiError::Unavailable
            }
            _ => ApiError::Internal(format!("{:?}: {}", status.code(), status.message())),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Detail(status, detail) => (status, Json(json!({ "detail": detail }))).into_response(),
            ApiError::Unauthorized(detail) => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
                Json(json!({ "detail": detail })),
            )
                .into_response(),
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
