//! The services re-check what they rely on: auth's admin-only RPCs refuse a caller who is not
//! an admin, even one who reaches the service directly (past the gateway).
use crate::helpers::*;
use astro_auth::Service;
use astro_proto::auth::v1::{RevokeUserSessionsRequest, auth_service_client::AuthServiceClient};
use tonic::{Code, Request, metadata::MetadataValue};

async fn revoke_sessions(app: &TestApp, bearer: Option<&str>) -> tonic::Status {
    let mut auth = AuthServiceClient::new(app.stack().channel(Service::Auth));
    let mut request = Request::new(RevokeUserSessionsRequest { user_id: 1 });
    if let Some(token) = bearer {
        let value = MetadataValue::try_from(format!("Bearer {token}")).expect("ASCII token");
        request.metadata_mut().insert("authorization", value);
    }
    auth.revoke_user_sessions(request)
        .await
        .expect_err("a non-admin caller must be refused")
}

both_backends!(admin_only_auth_rpcs_refuse_other_callers, |app| async move {
    let status = revoke_sessions(&app, None).await;
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");

    let (_, tokens) = app.verified_user().await;
    let status = revoke_sessions(&app, Some(&tokens.access)).await;
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert_eq!(
        astro_domain::reason::Reason::of(&status),
        Some(astro_domain::reason::Reason::NotAdmin)
    );

    // The user's own session was not touched by the refused call.
    let profile = app.get("/api/user/profile", Some(&tokens.access)).await;
    assert_eq!(profile.status(), 200);
});
