//! Avatars on Cloudinary, against a local stand-in that checks every signature the way
//! Cloudinary documents it: the signed parameters (all but `file`, `api_key`, `signature`,
//! `resource_type` and `cloud_name`) sorted by name, joined as `k=v&k2=v2`, the API secret
//! appended, SHA-1 in hex. A mismatch is refused with 401, as Cloudinary does.
use crate::avatar::{picture, stored_files, upload, upload_ok};
use crate::checks::{assert_detail, json_body};
use crate::helpers::both_backends;
use axum::{
    Json, Router,
    extract::{Multipart, Path},
    http::StatusCode,
    routing::post,
};
use image::ImageFormat;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use std::{
    collections::BTreeMap,
    sync::{Mutex, OnceLock},
    time::{SystemTime, UNIX_EPOCH},
};

const API_KEY: &str = "test-api-key";
const API_SECRET: &str = "test-api-secret";
const NOT_SIGNED: [&str; 5] = ["file", "api_key", "signature", "resource_type", "cloud_name"];

/// One accepted call: `upload` or `destroy`, its signed parameters, and the file if any.
#[derive(Clone, Debug)]
struct Call {
    action: String,
    params: BTreeMap<String, String>,
    file: Option<Vec<u8>>,
}

/// The stand-in, shared by every test of the binary (each test's runtime ends with the test,
/// so it runs on a thread of its own). Public ids are random, so tests never see each
/// other's calls.
struct Fake {
    url: String,
    calls: Mutex<Vec<Call>>,
}

fn fake() -> &'static Fake {
    static FAKE: OnceLock<Fake> = OnceLock::new();
    FAKE.get_or_init(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the fake");
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = Router::new().route("/v1_1/{cloud}/image/{action}", post(handle));
                axum::serve(listener, app).await.unwrap();
            });
        });
        Fake {
            url,
            calls: Mutex::new(Vec::new()),
        }
    })
}

fn fake_url() -> &'static str {
    &fake().url
}

async fn handle(
    Path((cloud, action)): Path<(String, String)>,
    mut form: Multipart,
) -> (StatusCode, Json<Value>) {
    let mut fields = BTreeMap::new();
    let mut file = None;
    while let Some(field) = form.next_field().await.unwrap() {
        let name = field.name().unwrap().to_owned();
        let data = field.bytes().await.unwrap();
        if name == "file" {
            file = Some(data.to_vec());
        } else {
            fields.insert(name, String::from_utf8(data.to_vec()).unwrap());
        }
    }
    let refuse = |message: &str| {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"message": message}})),
        )
    };
    if fields.get("api_key").map(String::as_str) != Some(API_KEY) {
        return refuse("Invalid api_key");
    }
    let params: BTreeMap<String, String> = fields
        .iter()
        .filter(|(k, _)| !NOT_SIGNED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let joined = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let expected = hex::encode(Sha1::digest(format!("{joined}{API_SECRET}")));
    if fields.get("signature") != Some(&expected) {
        return refuse(&format!(
            "Invalid Signature {:?}. String to sign - '{joined}'.",
            fields.get("signature")
        ));
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let stamp: u64 = params.get("timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
    if now.abs_diff(stamp) > 3600 {
        return refuse("Stale request");
    }
    let public_id = params.get("public_id").cloned().unwrap_or_default();
    let answer = match action.as_str() {
        "upload" if file.is_some() => json!({
            "public_id": public_id,
            "version": 1,
            "format": "png",
            "secure_url": format!("https://res.cloudinary.com/{cloud}/image/upload/v1/{public_id}.png"),
        }),
        "destroy" => json!({"result": "ok"}),
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": {"message": "bad request"}})),
            );
        }
    };
    fake().calls.lock().unwrap().push(Call { action, params, file });
    (StatusCode::OK, Json(answer))
}

/// The calls made for `public_id`, oldest first.
fn calls_for(public_id: &str) -> Vec<Call> {
    let calls = fake().calls.lock().unwrap();
    calls
        .iter()
        .filter(|c| c.params.get("public_id").map(String::as_str) == Some(public_id))
        .cloned()
        .collect()
}

/// The public id in a secure URL of the stand-in: `avatars/<name>`.
fn public_id(url: &str) -> String {
    let path = url.split("/image/upload/v1/").nth(1).expect("a Cloudinary URL");
    path.trim_end_matches(".png").to_owned()
}

both_backends!(
    avatars_go_to_cloudinary_signed,
    env = [
        ("CLOUDINARY_CLOUD_NAME", "astro-test"),
        ("CLOUDINARY_API_KEY", API_KEY),
        ("CLOUDINARY_API_SECRET", API_SECRET),
        ("CLOUDINARY_API_BASE_URL", fake_url()),
    ],
    |app| async move {
        let (_, tokens) = app.verified_user().await;
        let first = upload_ok(
            &app,
            &tokens.access,
            picture(640, 480, ImageFormat::Png),
            "image/png",
        )
        .await;
        assert!(
            first.starts_with("https://res.cloudinary.com/astro-test/image/upload/"),
            "{first}"
        );
        let first_id = public_id(&first);
        assert!(first_id.starts_with("avatars/"), "{first_id}");
        let calls = calls_for(&first_id);
        assert_eq!(calls.len(), 1, "{calls:?}");
        let sent = image::load_from_memory(calls[0].file.as_deref().unwrap()).expect("a decodable upload");
        assert_eq!((sent.width(), sent.height()), (400, 400));
        assert!(stored_files(&app).is_empty(), "nothing is written locally");

        // Replacing it destroys the old one, signed too.
        let second = upload_ok(
            &app,
            &tokens.access,
            picture(64, 64, ImageFormat::Jpeg),
            "image/jpeg",
        )
        .await;
        assert_ne!(public_id(&second), first_id);
        let calls = calls_for(&first_id);
        assert_eq!(calls.len(), 2, "{calls:?}");
        assert_eq!(calls[1].action, "destroy");

        // So does deleting the account.
        let second_id = public_id(&second);
        let body = json!({"password": crate::helpers::PASSWORD});
        let request = app
            .client
            .delete(app.url("/api/user/account"))
            .bearer_auth(&tokens.access)
            .json(&body);
        json_body(request.send().await.unwrap(), 200).await;
        let actions: Vec<_> = calls_for(&second_id).into_iter().map(|c| c.action).collect();
        assert_eq!(actions, ["upload", "destroy"]);
    }
);

both_backends!(
    a_refused_signature_changes_nothing,
    env = [
        ("CLOUDINARY_CLOUD_NAME", "astro-test"),
        ("CLOUDINARY_API_KEY", API_KEY),
        ("CLOUDINARY_API_SECRET", "not-the-secret"),
        ("CLOUDINARY_API_BASE_URL", fake_url()),
    ],
    |app| async move {
        let (_, tokens) = app.verified_user().await;
        let response = upload(
            &app,
            &tokens.access,
            picture(64, 64, ImageFormat::Png),
            "image/png",
        )
        .await;
        assert_detail(response, 500, "Internal server error").await;
        let profile = json_body(app.profile(&tokens.access).await, 200).await;
        assert_eq!(profile["avatar_url"], Value::Null);
    }
);
