//! For the signing-key tests: a stack signing with EdDSA, its JWKS, tokens signed by keys
//! that are not ours, and a third-party JOSE library (PyJWT) to verify ours with.
use crate::checks::json_body;
use crate::helpers::TestApp;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::Duration,
};

/// Settings of a stack that signs access tokens with EdDSA...
pub const EDDSA: (&str, &str) = ("JWT_ALGORITHM", "EdDSA");
/// ...seals their private parts with this key (base64 of 32 bytes)...
pub const DATA_KEY: (&str, &str) = (
    "DATA_ENCRYPTION_KEY",
    "c2lnbmluZy1rZXlzLXRlc3QtZGF0YS1rZXktMzJieXQ=",
);
/// ...and re-reads them every second.
pub const REFRESH_EACH_SECOND: (&str, &str) = ("JWT_KEYS_REFRESH_SECONDS", "1");

/// How long a running process may take to see a rotation (the contract's bound).
pub const SEEN_WITHIN: Duration = Duration::from_secs(10);

/// `GET /.well-known/jwks.json`, asserting 200 and the cache header.
pub async fn jwks(app: &TestApp) -> Value {
    let response = app.get("/.well-known/jwks.json", None).await;
    let cache = response.headers().get("cache-control").cloned();
    assert_eq!(
        cache.and_then(|v| v.to_str().ok().map(str::to_owned)).as_deref(),
        Some("max-age=300")
    );
    json_body(response, 200).await
}

/// The `kid`s the JWKS lists, in order.
pub fn kids(set: &Value) -> Vec<String> {
    set["keys"]
        .as_array()
        .expect("a keys array")
        .iter()
        .map(|key| key["kid"].as_str().expect("a kid").to_owned())
        .collect()
}

/// The JWKS once `done` holds for it, or a panic after [`SEEN_WITHIN`].
pub async fn jwks_until(app: &TestApp, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + SEEN_WITHIN;
    loop {
        let set = jwks(app).await;
        if done(&set) {
            return set;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not seen within {SEEN_WITHIN:?}; JWKS {set}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The token's header, unverified.
pub fn header(token: &str) -> Value {
    let part = token.split('.').next().expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

pub fn kid(token: &str) -> String {
    header(token)["kid"].as_str().expect("a kid").to_owned()
}

/// `claims` signed with a fresh Ed25519 key that is not ours, under `kid`.
pub fn signed_by_a_stranger(claims: &Value, kid: &str) -> String {
    let pair = astro_security::signing_keys::NewKeyPair::generate();
    // PKCS#8 v1 of an Ed25519 seed (RFC 8410), what jsonwebtoken reads.
    let prefix = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ];
    let der = [prefix.as_slice(), &pair.seed].concat();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&der)).expect("signing")
}

/// `claims` as an HS256 token under `kid` whose HMAC secret is `secret`.
pub fn hs256_with_kid(claims: &Value, kid: &str, secret: &[u8]) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).expect("signing")
}

const VERIFY_WITH_PYJWT: &str = r#"
import json, sys, jwt
jwks, token = json.loads(sys.argv[1]), sys.argv[2]
key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
claims = jwt.decode(token, key=key, algorithms=["EdDSA"], audience="astro-auth", issuer="astro-auth")
print(json.dumps(claims))
"#;

/// The claims PyJWT finds when it verifies `token` against `jwks`, or why it refused.
pub async fn verify_with_pyjwt(jwks: &Value, token: &str) -> Result<Value, String> {
    let (jwks, token) = (jwks.to_string(), token.to_owned());
    tokio::task::spawn_blocking(move || {
        let output = Command::new(python_with_pyjwt())
            .args(["-c", VERIFY_WITH_PYJWT, &jwks, &token])
            .output()
            .expect("running python");
        if output.status.success() {
            Ok(serde_json::from_slice(&output.stdout).expect("PyJWT's claims as JSON"))
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    })
    .await
    .expect("the python task")
}

/// A Python that has PyJWT and `cryptography`: the system's when it has them, else a venv
/// under the target directory, created once (from PyPI) and reused by later runs.
fn python_with_pyjwt() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let system = PathBuf::from("python3");
            if has_pyjwt(&system) {
                return system;
            }
            let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pyjwt-venv");
            let python = venv.join("bin").join("python");
            if has_pyjwt(&python) {
                return python;
            }
            // Built beside, then renamed into place: another test binary may be at it too.
            let building = venv.with_extension(format!("building-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&building);
            run(Command::new("python3").arg("-m").arg("venv").arg(&building));
            run(Command::new(building.join("bin").join("python")).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "pyjwt>=2.8",
                "cryptography",
            ]));
            if std::fs::rename(&building, &venv).is_err() {
                let _ = std::fs::remove_dir_all(&building);
            }
            assert!(
                has_pyjwt(&python),
                "PyJWT is not importable from {}",
                python.display()
            );
            python
        })
        .clone()
}

fn has_pyjwt(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import jwt, cryptography"])
        .output()
        .is_ok_and(|output| output.status.success())
}

fn run(command: &mut Command) {
    let output = command.output().expect("running a command");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
