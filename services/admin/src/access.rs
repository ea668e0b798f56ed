//! Who may call each RPC of `admin.v1.AdminService` on the mutual-TLS plane.
use astro_platform::grpc::{AccessRule, AccessTable, Caller, Peer};

const GATEWAY: &[Caller] = &[Caller::Platform(Peer::Gateway)];
const AUTH: &[Caller] = &[Caller::Platform(Peer::Auth)];

pub const ACCESS: AccessTable = AccessTable {
    service: "admin.v1.AdminService",
    rules: &[
        // The admin HTTP routes, through the gateway (the service re-checks the admin's role).
        AccessRule {
            method: "ListUsers",
            callers: GATEWAY,
        },
        AccessRule {
            method: "GetUser",
            callers: GATEWAY,
        },
        AccessRule {
            method: "UpdateUser",
            callers: GATEWAY,
        },
        AccessRule {
            method: "DeleteUser",
            callers: GATEWAY,
        },
        AccessRule {
            method: "ChangeRole",
            callers: GATEWAY,
        },
        AccessRule {
            method: "GetStats",
            callers: GATEWAY,
        },
        AccessRule {
            method: "ListAuditLog",
            callers: GATEWAY,
        },
        // Audit writes: the services whose flows are audited.
        AccessRule {
            method: "RecordEvent",
            callers: AUTH,
        },
    ],
};

/// The tables this process's gRPC server enforces.
pub static SERVED: [&AccessTable; 1] = [&ACCESS];
