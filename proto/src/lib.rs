//! Generated gRPC contracts between the astro-auth services.

pub use prost_types::Timestamp;

/// Descriptor set of every package, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptor.bin"));

pub mod auth {
    pub mod v1 {
        tonic::include_proto!("auth.v1");
    }
}
pub mod user {
    pub mod v1 {
        tonic::include_proto!("user.v1");
    }
}
pub mod admin {
    pub mod v1 {
        tonic::include_proto!("admin.v1");
    }
}
pub mod notification {
    pub mod v1 {
        tonic::include_proto!("notification.v1");
    }
}
