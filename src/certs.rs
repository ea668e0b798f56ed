//! `astro-auth certs`: a development CA and one certificate and key per name for the gRPC
//! plane's mutual TLS (ECDSA P-256, which every gRPC stack can use). Each certificate names
//! its holder as a DNS name (`auth`, `gateway`, a consumer's own name), serves as both server
//! and client certificate, and is signed by the CA in the same folder, which is created on the
//! first run and reused afterwards, so adding a consumer later keeps the others valid.
use anyhow::Context;
use chrono::Datelike;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use std::path::{Path, PathBuf};

/// The CA's certificate, in the output folder: what `GRPC_TLS_CA` names.
pub const CA_CERT: &str = "ca.pem";
/// The CA's private key: keep it out of every deployment (only `certs` needs it).
pub const CA_KEY: &str = "ca-key.pem";
const CA_NAME: &str = "astro-auth development CA";
/// How long an issued certificate is valid.
const VALID_YEARS: i32 = 2;

/// The files written for one name.
#[derive(Debug, Clone)]
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Writes `<name>.pem` and `<name>-key.pem` for each name into `out`, signed by the CA there
/// (created when absent). Returns the paths, in the order of `names`.
pub fn write(out: &Path, names: &[String]) -> anyhow::Result<Vec<Issued>> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let ca = load_or_create_ca(out)?;
    names
        .iter()
        .map(|name| {
            anyhow::ensure!(
                is_dns_name(name),
                "{name:?} is not a DNS name (letters, digits, '-' and '.')"
            );
            let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
            let mut params = CertificateParams::new(vec![name.clone()])?;
            params.distinguished_name.push(DnType::CommonName, name.as_str());
            params.extended_key_usages = vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ];
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            set_validity(&mut params);
            let cert = params.signed_by(&key, &ca)?;
            let issued = Issued {
                cert: out.join(format!("{name}.pem")),
                key: out.join(format!("{name}-key.pem")),
            };
            write_file(&issued.cert, &cert.pem(), false)?;
            write_file(&issued.key, &key.serialize_pem(), true)?;
            Ok(issued)
        })
        .collect()
}

/// The CA of `out`: its key from `ca-key.pem` with the same subject as when it was created
/// (so certificates chain to the `ca.pem` already handed out), or a new one.
fn load_or_create_ca(out: &Path) -> anyhow::Result<Issuer<'static, KeyPair>> {
    let (cert_path, key_path) = (out.join(CA_CERT), out.join(CA_KEY));
    if key_path.exists() && cert_path.exists() {
        let pem =
            std::fs::read_to_string(&key_path).with_context(|| format!("reading {}", key_path.display()))?;
        return Ok(Issuer::new(ca_params()?, KeyPair::from_pem(&pem)?));
    }
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let params = ca_params()?;
    let cert = params.self_signed(&key)?;
    write_file(&cert_path, &cert.pem(), false)?;
    write_file(&key_path, &key.serialize_pem(), true)?;
    Ok(Issuer::new(params, key))
}

fn ca_params() -> anyhow::Result<CertificateParams> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, CA_NAME);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    set_validity(&mut params);
    Ok(params)
}

/// From yesterday (clock skew between hosts) for [`VALID_YEARS`].
fn set_validity(params: &mut CertificateParams) {
    let from = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    let ymd =
        |date: chrono::NaiveDate| rcgen::date_time_ymd(date.year(), date.month() as u8, date.day() as u8);
    params.not_before = ymd(from);
    params.not_after = ymd(from.with_year(from.year() + VALID_YEARS).unwrap_or(from));
}

fn is_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Writes `contents`; private keys readable by their owner only.
fn write_file(path: &Path, contents: &str, private: bool) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
