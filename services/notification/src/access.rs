//! Who may call each RPC of `notification.v1.NotificationService` on the mutual-TLS plane.
use astro_platform::grpc::{AccessRule, AccessTable, Caller, Peer};

const AUTH: &[Caller] = &[Caller::Platform(Peer::Auth)];
const ADMIN: &[Caller] = &[Caller::Platform(Peer::Admin)];

pub const ACCESS: AccessTable = AccessTable {
    service: "notification.v1.NotificationService",
    rules: &[
        // Mail is queued by auth's outbox relay; recipients are purged when auth deletes them.
        AccessRule {
            method: "SendEmail",
            callers: AUTH,
        },
        AccessRule {
            method: "PurgeRecipient",
            callers: AUTH,
        },
        AccessRule {
            method: "GetQueueStats",
            callers: ADMIN,
        },
    ],
};

/// The tables this process's gRPC server enforces.
pub static SERVED: [&AccessTable; 1] = [&ACCESS];
