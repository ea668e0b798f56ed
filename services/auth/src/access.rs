//! Who may call each RPC of `auth.v1.AuthService` on the mutual-TLS plane.
use astro_platform::grpc::{AccessRule, AccessTable, Caller, Peer};

const GATEWAY: &[Caller] = &[Caller::Platform(Peer::Gateway)];
const ADMIN: &[Caller] = &[Caller::Platform(Peer::Admin)];

pub const ACCESS: AccessTable = AccessTable {
    service: "auth.v1.AuthService",
    rules: &[
        // The caller's own sessions, through the gateway.
        AccessRule {
            method: "ListSessions",
            callers: GATEWAY,
        },
        AccessRule {
            method: "RevokeSession",
            callers: GATEWAY,
        },
        AccessRule {
            method: "RevokeOtherSessions",
            callers: GATEWAY,
        },
        // The public HTTP flows, reached only through the gateway.
        AccessRule {
            method: "Register",
            callers: GATEWAY,
        },
        AccessRule {
            method: "Login",
            callers: GATEWAY,
        },
        AccessRule {
            method: "Logout",
            callers: GATEWAY,
        },
        AccessRule {
            method: "Refresh",
            callers: GATEWAY,
        },
        AccessRule {
            method: "ForgotPassword",
            callers: GATEWAY,
        },
        AccessRule {
            method: "ResetPassword",
            callers: GATEWAY,
        },
        AccessRule {
            method: "VerifyEmail",
            callers: GATEWAY,
        },
        AccessRule {
            method: "ResendVerification",
            callers: GATEWAY,
        },
        AccessRule {
            method: "ChangePassword",
            callers: GATEWAY,
        },
        AccessRule {
            method: "DeleteAccount",
            callers: GATEWAY,
        },
        // Second factors and recent authentication, through the gateway.
        AccessRule {
            method: "VerifyMfa",
            callers: GATEWAY,
        },
        AccessRule {
            method: "Reauthenticate",
            callers: GATEWAY,
        },
        AccessRule {
            method: "StartTotp",
            callers: GATEWAY,
        },
        AccessRule {
            method: "ActivateTotp",
            callers: GATEWAY,
        },
        AccessRule {
            method: "DisableTotp",
            callers: GATEWAY,
        },
        AccessRule {
            method: "RegenerateRecoveryCodes",
            callers: GATEWAY,
        },
        // An admin resets a user's second factor: the gateway, with the admin's token, whose
        // role this service checks again.
        AccessRule {
            method: "ResetUserMfa",
            callers: GATEWAY,
        },
        // Admin use cases: the admin service, after it has checked the admin's role.
        AccessRule {
            method: "RevokeUserSessions",
            callers: ADMIN,
        },
        AccessRule {
            method: "PurgeUser",
            callers: ADMIN,
        },
    ],
};

/// The tables this process's gRPC server enforces.
/// The consumer API: any service whose certificate chains to the plane's CA.
pub const TOKEN_ACCESS: AccessTable = AccessTable {
    service: "auth.v1.TokenService",
    rules: &[
        AccessRule {
            method: "ValidateToken",
            callers: &[Caller::AnyCertified],
        },
        // Public keys: what the gateway publishes as its JWKS.
        AccessRule {
            method: "ListSigningKeys",
            callers: &[Caller::AnyCertified],
        },
    ],
};

pub static SERVED: [&AccessTable; 2] = [&ACCESS, &TOKEN_ACCESS];
