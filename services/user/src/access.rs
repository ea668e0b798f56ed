//! Who may call each RPC of `user.v1.UserService` on the mutual-TLS plane. Credentials, hashes
//! and account changes are for the services that own those flows, never for the gateway.
use astro_platform::grpc::{AccessRule, AccessTable, Caller, Peer};

const GATEWAY: &[Caller] = &[Caller::Platform(Peer::Gateway)];
const AUTH: &[Caller] = &[Caller::Platform(Peer::Auth)];
const ADMIN: &[Caller] = &[Caller::Platform(Peer::Admin)];
/// Reading a user: the gateway (the caller's own profile), auth and admin.
const READERS: &[Caller] = &[
    Caller::Platform(Peer::Gateway),
    Caller::Platform(Peer::Auth),
    Caller::Platform(Peer::Admin),
];

pub const ACCESS: AccessTable = AccessTable {
    service: "user.v1.UserService",
    rules: &[
        AccessRule {
            method: "GetUser",
            callers: READERS,
        },
        // Registration, credentials and password hashes: auth alone.
        AccessRule {
            method: "CreateUser",
            callers: AUTH,
        },
        AccessRule {
            method: "CreateFirstAdmin",
            callers: AUTH,
        },
        AccessRule {
            method: "GetCredentialsByEmail",
            callers: AUTH,
        },
        AccessRule {
            method: "GetCredentials",
            callers: AUTH,
        },
        AccessRule {
            method: "SetPasswordHash",
            callers: AUTH,
        },
        AccessRule {
            method: "MarkVerified",
            callers: AUTH,
        },
        AccessRule {
            method: "RecordLogin",
            callers: AUTH,
        },
        AccessRule {
            method: "SetMfaEnabled",
            callers: AUTH,
        },
        AccessRule {
            method: "DeleteUser",
            callers: AUTH,
        },
        AccessRule {
            method: "CountAdmins",
            callers: AUTH,
        },
        // The caller's own profile and avatar, through the gateway.
        AccessRule {
            method: "UpdateProfile",
            callers: GATEWAY,
        },
        AccessRule {
            method: "SetAvatar",
            callers: GATEWAY,
        },
        AccessRule {
            method: "GetAvatar",
            callers: GATEWAY,
        },
        // Role, flags and deletion of others: the admin service.
        AccessRule {
            method: "AdminDeleteUser",
            callers: ADMIN,
        },
        AccessRule {
            method: "ListUsers",
            callers: ADMIN,
        },
        AccessRule {
            method: "UpdateUser",
            callers: ADMIN,
        },
        AccessRule {
            method: "GetStats",
            callers: ADMIN,
        },
    ],
};

/// The tables this process's gRPC server enforces.
/// The consumer API: any service whose certificate chains to the plane's CA.
pub const DIRECTORY_ACCESS: AccessTable = AccessTable {
    service: "user.v1.UserDirectory",
    rules: &[
        AccessRule {
            method: "GetUser",
            callers: &[Caller::AnyCertified],
        },
        AccessRule {
            method: "BatchGetUsers",
            callers: &[Caller::AnyCertified],
        },
    ],
};

pub static SERVED: [&AccessTable; 2] = [&ACCESS, &DIRECTORY_ACCESS];
