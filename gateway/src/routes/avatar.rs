//! Avatars at the edge: `POST /api/user/upload-avatar` reads the multipart upload, enforces
//! the size and declared-type rules and hands the bytes to the user service (which decodes,
//! crops and stores them); `GET /media/avatars/{name}` serves locally stored avatars, fetched
//! from the user service so the gateway needs no access to its disk.
use crate::{
    error::{ApiError, ApiResult, FieldError},
    extract::VerifiedUser,
    models::{ErrorResponse, UserResponse, ValidationErrorResponse},
    state::AppState,
};
use astro_domain::input::AVATAR_MAX_BYTES;
use astro_proto::user::v1 as user_pb;
use axum::{
    Json, Router,
    body::Body,
    extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State, multipart::MultipartError},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use futures_util::StreamExt;
use serde_json::json;
use tonic::Code;
use utoipa_axum::{router::UtoipaMethodRouter, routes};

/// The upload's own body limit (413 above it): a [`AVATAR_MAX_BYTES`] file plus the multipart
/// framing, with room to tell a too-large file (400) from a too-large request.
pub const AVATAR_BODY_LIMIT: usize = 6 * 1024 * 1024;
/// How much of an over-limit body is read and dropped before giving up on the client.
const DRAIN_LIMIT: usize = 4 * AVATAR_BODY_LIMIT;
/// Avatar names are random and never reused, so a cached copy never goes stale.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `POST /upload-avatar`, with its larger body limit, for the `/api/user` router.
pub fn upload_route() -> UtoipaMethodRouter<AppState> {
    let (schemas, paths, method_router) = routes!(upload_avatar);
    (
        schemas,
        paths,
        method_router.layer(DefaultBodyLimit::max(AVATAR_BODY_LIMIT)),
    )
}

/// `GET /media/avatars/{name}`.
pub fn media_router() -> Router<AppState> {
    Router::new().route("/media/avatars/{name}", get(avatar_file))
}

#[utoipa::path(post, path = "/upload-avatar", tag = "user", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "field `file`: a PNG, JPEG or WebP image of at most 5 MiB"),
    responses((status = 200, body = UserResponse, description = "`avatar_url` points at a 400x400 PNG"),
        (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 422, body = ValidationErrorResponse)))]
pub async fn upload_avatar(
    State(state): State<AppState>,
    me: VerifiedUser,
    request: Request,
) -> ApiResult<Json<UserResponse>> {
    let (parts, body) = request.into_parts();
    // Read whole, sized or chunked alike, so an over-limit body is drained and answered 413
    // in either case (multipart stops reading mid-body, and the client would see a reset).
    let Some(body) = read_at_most(body, AVATAR_BODY_LIMIT).await? else {
        return Err(too_large());
    };
    let request = Request::from_parts(parts, Body::from(body));
    let multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|_| missing_file())?;
    let (content_type, image) = read_file(multipart).await?;
    let message = user_pb::SetAvatarRequest {
        id: me.user.id,
        image,
        content_type,
    };
    let user = state
        .users
        .clone()
        .set_avatar(me.caller.request(message))
        .await?
        .into_inner();
    Ok(Json(user.into()))
}

/// The body if it is at most `limit` bytes; `None` (after reading and dropping up to
/// [`DRAIN_LIMIT`] of it, so a client still sending sees our 413, not a broken pipe) if not.
/// A body that fails mid-way is a 400.
async fn read_at_most(body: Body, limit: usize) -> ApiResult<Option<Vec<u8>>> {
    let mut chunks = body.into_data_stream();
    let mut buffer = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| ApiError::bad_request("Invalid request body"))?;
        if buffer.len() + chunk.len() > limit {
            let mut read = buffer.len() + chunk.len();
            while let Some(Ok(chunk)) = chunks.next().await {
                read += chunk.len();
                if read > DRAIN_LIMIT {
                    break;
                }
            }
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(Some(buffer))
}

/// The `file` field's declared type and bytes. A declared type that is not an image is
/// refused (the original's rule); an image type, or none, is only a claim that the user
/// service checks by decoding. The field is read before any answer, for the reason [`drain`]
/// gives; the body limit bounds it.
async fn read_file(mut multipart: Multipart) -> ApiResult<(String, Vec<u8>)> {
    while let Some(field) = multipart.next_field().await.map_err(body_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let content_type = field.content_type().unwrap_or_default().to_ascii_lowercase();
        let data = field.bytes().await.map_err(body_error)?;
        if !content_type.is_empty() && !content_type.starts_with("image/") {
            return Err(ApiError::bad_request("File must be an image"));
        }
        if data.len() > AVATAR_MAX_BYTES {
            return Err(ApiError::bad_request("File size must be less than 5MB"));
        }
        return Ok((content_type, data.into()));
    }
    Err(missing_file())
}

fn body_error(err: MultipartError) -> ApiError {
    match err.status() {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        status => ApiError::Detail(status, "Invalid request body".into()),
    }
}

fn too_large() -> ApiError {
    ApiError::Detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large".into())
}

/// FastAPI's answer to a form without its required `file` field.
fn missing_file() -> ApiError {
    ApiError::Validation(vec![FieldError::body("file", "missing", "Field required")])
}

/// A stored avatar, cacheable for good. Unknown and malformed names are both a plain 404
/// (the user service validates names; nothing here touches a filesystem).
pub async fn avatar_file(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult<Response> {
    let request = user_pb::GetAvatarRequest { name };
    let blob = match state.users.clone().get_avatar(request).await {
        Ok(blob) => blob.into_inner(),
        Err(status) if status.code() == Code::NotFound => {
            return Ok((StatusCode::NOT_FOUND, Json(json!({ "detail": "Not Found" }))).into_response());
        }
        Err(status) => return Err(status.into()),
    };
    let content_type = HeaderValue::from_str(&blob.content_type)
        .map_err(|_| ApiError::Internal(format!("bad avatar content type {:?}", blob.content_type)))?;
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    Ok((headers, blob.data).into_response())
}
