use super::*;
use std::time::Duration;

fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    Settings::from_lookup(|name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
}

#[test]
fn cors_origins_accept_json_and_commas() {
    let s = settings(&[("CORS_ORIGINS", r#"["http://a.test","http://b.test"]"#)]).unwrap();
    assert_eq!(s.http.cors_origins, ["http://a.test", "http://b.test"]);
    let s = settings(&[("CORS_ORIGINS", "http://a.test, http://b.test")]).unwrap();
    assert_eq!(s.http.cors_origins, ["http://a.test", "http://b.test"]);
}

#[test]
fn production_refuses_default_and_short_secrets() {
    assert!(settings(&[("ENVIRONMENT", "production")]).is_err());
    let short = [
        ("ENVIRONMENT", "production"),
        ("JWT_SECRET", "short"),
        ("JWT_REFRESH_SECRET", "short"),
    ];
    assert!(settings(&short).is_err());
    let long = "x".repeat(32);
    let ok = [
        ("ENVIRONMENT", "production"),
        ("JWT_SECRET", long.as_str()),
        ("JWT_REFRESH_SECRET", long.as_str()),
        ("DATA_ENCRYPTION_KEY", DATA_KEY),
    ];
    assert!(settings(&ok).is_ok());
}

/// Base64 of 32 bytes.
const DATA_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[test]
fn data_encryption_key_is_32_bytes_of_base64_and_required_in_production() {
    let s = settings(&[("DATA_ENCRYPTION_KEY", DATA_KEY)]).unwrap();
    assert!(s.encryption.data_key.is_some());
    assert!(
        settings(&[]).unwrap().encryption.data_key.is_none(),
        "optional in development"
    );
    for bad in ["not base64!", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"] {
        let err = settings(&[("DATA_ENCRYPTION_KEY", bad)]).unwrap_err().to_string();
        assert!(err.contains("DATA_ENCRYPTION_KEY"), "{err}");
        assert!(!err.contains(bad), "the key is not echoed: {err}");
    }
    let long = "x".repeat(32);
    let production = [
        ("ENVIRONMENT", "production"),
        ("JWT_SECRET", long.as_str()),
        ("JWT_REFRESH_SECRET", long.as_str()),
    ];
    let err = settings(&production).unwrap_err().to_string();
    assert!(err.contains("DATA_ENCRYPTION_KEY"), "{err}");
}

#[test]
fn janitor_settings_have_defaults_and_refuse_zero_or_negative() {
    let s = settings(&[]).unwrap();
    assert_eq!(s.janitor.interval, Duration::from_secs(3600));
    assert_eq!(s.janitor.email_retention, Duration::from_secs(30 * 86_400));
    assert_eq!(s.janitor.audit_retention, Duration::from_secs(365 * 86_400));
    let s = settings(&[("EMAIL_RETENTION_DAYS", "7"), ("JANITOR_INTERVAL_SECS", "5")]).unwrap();
    assert_eq!(s.janitor.email_retention, Duration::from_secs(7 * 86_400));
    assert_eq!(s.janitor.interval, Duration::from_secs(5));
    for name in [
        "EMAIL_RETENTION_DAYS",
        "AUDIT_RETENTION_DAYS",
        "JANITOR_INTERVAL_SECS",
    ] {
        for value in ["0", "-3"] {
            let err = settings(&[(name, value)]).unwrap_err().to_string();
            assert!(err.contains(name) && err.contains("positive"), "{err}");
        }
    }
    assert!(settings(&[("AUDIT_RETENTION_DAYS", "ten")]).is_err());
}

#[test]
fn smtp_tls_follows_the_port() {
    let s = settings(&[("SMTP_HOST", "mail"), ("SMTP_PORT", "465")]).unwrap();
    assert_eq!(s.mail.smtp.unwrap().tls, SmtpTls::Tls);
    let s = settings(&[("SMTP_HOST", "mail"), ("SMTP_PORT", "1025")]).unwrap();
    assert_eq!(s.mail.smtp.unwrap().tls, SmtpTls::None);
}

/// Every name a group reads is one it declares, so it is a flag of each binary holding the
/// group; read both with nothing set and with every optional part set.
#[test]
fn groups_read_only_the_variables_they_declare() {
    let declared: std::collections::BTreeSet<&str> = Settings::GROUPS
        .iter()
        .flat_map(|g| g.iter().map(|v| v.name))
        .collect();
    let full = [
        ("SMTP_HOST", "mail"),
        ("CLOUDINARY_CLOUD_NAME", "c"),
        ("CLOUDINARY_API_KEY", "k"),
        ("CLOUDINARY_API_SECRET", "s"),
        ("INITIAL_ADMIN_EMAIL", "a@b.test"),
        ("INITIAL_ADMIN_PASSWORD", "p"),
        ("GRPC_TLS_CERT", "c"),
        ("GRPC_TLS_KEY", "k"),
        ("GRPC_TLS_CA", "a"),
    ];
    for pairs in [&[][..], &full[..]] {
        let read = std::sync::Mutex::new(std::collections::BTreeSet::new());
        Settings::from_lookup(|name| {
            read.lock().unwrap().insert(name.to_owned());
            pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        })
        .unwrap();
        let undeclared: Vec<_> = read
            .into_inner()
            .unwrap()
            .into_iter()
            .filter(|n| !declared.contains(n.as_str()))
            .collect();
        assert!(undeclared.is_empty(), "read but not declared: {undeclared:?}");
    }
}

#[test]
fn a_variable_is_also_a_flag_and_the_flag_wins() {
    let command = cli::command("test", "test", Settings::GROUPS);
    let matches = command
        .try_get_matches_from(["test", "--port", "9000", "--jwt-algorithm=HS512", "--port=9001"])
        .unwrap();
    let s = Settings::from_lookup(cli::lookup(&matches)).unwrap();
    assert_eq!(s.http.addr.port(), 9001);
    assert_eq!(s.jwt.algorithm, "HS512");
}
