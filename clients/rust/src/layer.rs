//! A tower layer for a consumer's own server (axum, tonic, hyper): requests without a good
//! bearer access token are answered here (HTTP 401, or gRPC `UNAUTHENTICATED`); the others
//! reach the service with [`Authenticated`] in their extensions.
use crate::{AccessClaims, AstroAuth, JwksVerifier, Rejected, TokenValidation};
use http::{HeaderValue, Request, Response, StatusCode, header};
use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};
use tower::{Layer, Service};

/// Who made the request, as the layer found out.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub claims: AccessClaims,
    /// What `ValidateToken` said, with [`BearerAuthLayer::exact`].
    pub validation: Option<TokenValidation>,
}

#[derive(Clone)]
pub struct BearerAuthLayer {
    verifier: Arc<JwksVerifier>,
    exact: Option<AstroAuth>,
}

impl BearerAuthLayer {
    /// Checks tokens locally against the JWKS only: no call per request; a revoked token
    /// passes until it expires.
    pub fn local(verifier: Arc<JwksVerifier>) -> BearerAuthLayer {
        BearerAuthLayer {
            verifier,
            exact: None,
        }
    }

    /// Checks locally, then asks `ValidateToken`, so logouts and revocations count at once.
    pub fn exact(verifier: Arc<JwksVerifier>, client: AstroAuth) -> BearerAuthLayer {
        BearerAuthLayer {
            verifier,
            exact: Some(client),
        }
    }

    async fn check(&self, token: Option<String>) -> Result<Authenticated, Rejected> {
        let token = token.ok_or(Rejected::Missing)?;
        let claims = self.verifier.verify(&token).await?;
        let validation = match &self.exact {
            None => None,
            Some(client) => {
                let validation = client
                    .validate_token(&token)
                    .await
                    .map_err(|_| Rejected::Unavailable)?;
                if !validation.active {
                    return Err(Rejected::Inactive);
                }
                Some(validation)
            }
        };
        Ok(Authenticated { claims, validation })
    }
}

impl<S> Layer<S> for BearerAuthLayer {
    type Service = BearerAuth<S>;

    fn layer(&self, inner: S) -> BearerAuth<S> {
        BearerAuth {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct BearerAuth<S> {
    inner: S,
    layer: BearerAuthLayer,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for BearerAuth<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // The clone that was polled ready serves this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            let token = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.strip_prefix("Bearer "))
                .map(|token| token.trim().to_owned());
            let grpc = request
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|value| value.as_bytes().starts_with(b"application/grpc"));
            match layer.check(token).await {
                Ok(authenticated) => {
                    request.extensions_mut().insert(authenticated);
                    inner.call(request).await
                }
                Err(rejected) => Ok(refusal(&rejected, grpc)),
            }
        })
    }
}

/// HTTP 401 with a `WWW-Authenticate` challenge (503 when the check could not be made), or for
/// gRPC an empty answer with `grpc-status` 16 (14).
fn refusal<B: Default>(rejected: &Rejected, grpc: bool) -> Response<B> {
    let unavailable = *rejected == Rejected::Unavailable;
    let mut response = Response::new(B::default());
    if grpc {
        let code = if unavailable { "14" } else { "16" };
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        headers.insert("grpc-status", HeaderValue::from_static(code));
        if let Ok(message) = HeaderValue::from_str(&rejected.to_string()) {
            headers.insert("grpc-message", message);
        }
    } else if unavailable {
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    } else {
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    response
}
