//! Mutual TLS material of a process on the plane: its own certificate and key (its identity as
//! a client and as a server) and the CA every peer's certificate must chain to.
use crate::config::GrpcTlsFiles;
use std::path::Path;
use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {name} ({path}): {source}")]
    Read {
        name: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{name} ({path}) holds no PEM certificate or key")]
    NotPem { name: &'static str, path: String },
}

/// The PEM files named by `GRPC_TLS_CERT`, `GRPC_TLS_KEY` and `GRPC_TLS_CA`, read once at
/// start: replacing the files takes effect at the next restart (see the deployment docs).
#[derive(Clone)]
pub(crate) struct TlsMaterial {
    identity: Identity,
    ca: Certificate,
}

impl TlsMaterial {
    pub(crate) fn load(files: &GrpcTlsFiles) -> Result<Self, TlsError> {
        let cert = read_pem("GRPC_TLS_CERT", &files.cert, "CERTIFICATE")?;
        let key = read_pem("GRPC_TLS_KEY", &files.key, "PRIVATE KEY")?;
        let ca = read_pem("GRPC_TLS_CA", &files.ca, "CERTIFICATE")?;
        Ok(TlsMaterial {
            identity: Identity::from_pem(cert, key),
            ca: Certificate::from_pem(ca),
        })
    }

    /// Presents this process's certificate and requires one signed by the CA from every
    /// caller: the handshake fails without it.
    pub(crate) fn server(&self) -> ServerTlsConfig {
        ServerTlsConfig::new()
            .identity(self.identity.clone())
            .client_ca_root(self.ca.clone())
    }

    /// Verifies that the server holds a CA-signed certificate for `server_name`, whatever host
    /// the URL names, and presents this process's certificate.
    pub(crate) fn client(&self, server_name: &str) -> ClientTlsConfig {
        ClientTlsConfig::new()
            .ca_certificate(self.ca.clone())
            .identity(self.identity.clone())
            .domain_name(server_name)
    }
}

/// The file's contents, if it holds a PEM block of `kind` (any `… PRIVATE KEY` for keys).
fn read_pem(name: &'static str, path: &Path, kind: &str) -> Result<Vec<u8>, TlsError> {
    let display = || path.display().to_string();
    let pem = std::fs::read(path).map_err(|source| TlsError::Read {
        name,
        path: display(),
        source,
    })?;
    let text = String::from_utf8_lossy(&pem);
    let found = text
        .lines()
        .any(|line| line.starts_with("-----BEGIN ") && line.trim_end().ends_with(&format!("{kind}-----")));
    if !found {
        return Err(TlsError::NotPem {
            name,
            path: display(),
        });
    }
    Ok(pem)
}
