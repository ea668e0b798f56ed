//! `POST /api/user/upload-avatar` with the local store, and `GET /media/avatars/{name}`.
//!
//! Avatar URLs are absolute, built from `BASE_URL`; the suite sets it to [`BASE_URL`] (the
//! test server's port is unknown until it starts), checks that prefix, and fetches the path
//! from the test server.
use crate::checks::{assert_detail, json_body};
use crate::helpers::{TestApp, both_backends};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use reqwest::{
    Response,
    multipart::{Form, Part},
};
use std::{io::Cursor, path::PathBuf};

/// The origin stored avatar URLs start with.
pub const BASE_URL: &str = "http://avatars.test";

/// A `width`x`height` picture, green in its centred square and red/blue outside it, so a
/// centre crop is told apart from a squash.
pub fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let margin = width.saturating_sub(height) / 2;
    let image = RgbImage::from_fn(width, height, |x, _| match x {
        x if x < margin => Rgb([255, 0, 0]),
        x if x >= width - margin => Rgb([0, 0, 255]),
        _ => Rgb([0, 200, 0]),
    });
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encoding a test picture");
    out.into_inner()
}

/// POSTs `data` as the multipart field `file`.
pub async fn upload(app: &TestApp, token: &str, data: Vec<u8>, content_type: &str) -> Response {
    let part = Part::bytes(data)
        .file_name("avatar.bin")
        .mime_str(content_type)
        .unwrap();
    app.post("/api/user/upload-avatar")
        .bearer_auth(token)
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .expect("sending the upload")
}

/// Uploads `data` and returns the new `avatar_url`, asserting success.
pub async fn upload_ok(app: &TestApp, token: &str, data: Vec<u8>, content_type: &str) -> String {
    let user = json_body(upload(app, token, data, content_type).await, 200).await;
    user["avatar_url"].as_str().expect("an avatar_url").to_owned()
}

/// GETs a stored avatar URL from the test server.
pub async fn fetch(app: &TestApp, url: &str) -> Response {
    let path = url
        .strip_prefix(BASE_URL)
        .unwrap_or_else(|| panic!("{url} does not start with BASE_URL"));
    app.get(path, None).await
}

/// The avatar files on disk (not the partial ones being written).
pub fn stored_files(app: &TestApp) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(&app.avatar_dir) else {
        return Vec::new();
    };
    entries
        .map(|e| e.expect("listing the avatar directory").path())
        .collect()
}

/// Fetches `url`, checks the serving headers, and decodes the picture.
async fn fetch_picture(app: &TestApp, url: &str) -> DynamicImage {
    let response = fetch(app, url).await;
    assert_eq!(response.status(), 200, "GET {url}");
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "image/png");
    assert_eq!(header("cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let bytes = response.bytes().await.unwrap();
    image::load_from_memory_with_format(&bytes, ImageFormat::Png).expect("a PNG")
}

/// Asserts the picture is the green centre of [`picture`], cropped not squashed.
fn assert_centre_crop(image: &DynamicImage) {
    assert_eq!((image.width(), image.height()), (400, 400));
    let rgb = image.to_rgb8();
    for (x, y) in [(2, 2), (397, 2), (2, 397), (397, 397), (200, 200)] {
        let Rgb([r, g, b]) = *rgb.get_pixel(x, y);
        assert!(
            g > 150 && r < 60 && b < 60,
            "pixel ({x},{y}) is {r},{g},{b}, not green"
        );
    }
}

both_backends!(
    png_and_jpeg_become_400_square_pngs,
    env = [("BASE_URL", BASE_URL)],
    |app| async move {
        let (_, tokens) = app.verified_user().await;
        let first = upload_ok(
            &app,
            &tokens.access,
            picture(800, 600, ImageFormat::Png),
            "image/png",
        )
        .await;
        assert!(
            first.starts_with(&format!("{BASE_URL}/media/avatars/")),
            "{first}"
        );
        assert_centre_crop(&fetch_picture(&app, &first).await);
        assert_eq!(stored_files(&app).len(), 1);

        // A JPEG with bytes appended after its end: accepted, and the extra bytes are gone.
        let mut jpeg = picture(800, 600, ImageFormat::Jpeg);
        jpeg.extend_from_slice(b"<?php echo 'appended'; ?>");
        let second = upload_ok(&app, &tokens.access, jpeg, "image/jpeg").await;
        assert_ne!(first, second);
        assert_centre_crop(&fetch_picture(&app, &second).await);
        let profile = json_body(app.profile(&tokens.access).await, 200).await;
        assert_eq!(profile["avatar_url"], second.as_str());

        // The replaced file is deleted: its URL is gone and one file remains.
        assert_detail(fetch(&app, &first).await, 404, "Not Found").await;
        assert_eq!(stored_files(&app).len(), 1);
    }
);

both_backends!(
    racing_uploads_leave_one_file,
    env = [("BASE_URL", BASE_URL)],
    |app| async move {
        let (_, tokens) = app.verified_user().await;
        let png = || picture(300, 300, ImageFormat::Png);
        let (a, b, c) = tokio::join!(
            upload(&app, &tokens.access, png(), "image/png"),
            upload(&app, &tokens.access, png(), "image/png"),
            upload(&app, &tokens.access, png(), "image/png"),
        );
        for response in [a, b, c] {
            json_body(response, 200).await;
        }
        let profile = json_body(app.profile(&tokens.access).await, 200).await;
        let url = profile["avatar_url"].as_str().unwrap();
        let files = stored_files(&app);
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(url.ends_with(files[0].file_name().unwrap().to_str().unwrap()));
    }
);

both_backends!(
    a_url_of_ones_own_replaces_the_upload,
    env = [("BASE_URL", BASE_URL)],
    |app| async move {
        let (_, tokens) = app.verified_user().await;
        let uploaded = upload_ok(
            &app,
            &tokens.access,
            picture(64, 64, ImageFormat::Png),
            "image/png",
        )
        .await;
        let put = |body: serde_json::Value| {
            let request = app
                .client
                .put(app.url("/api/user/profile"))
                .bearer_auth(&tokens.access)
                .json(&body);
            async move { json_body(request.send().await.unwrap(), 200).await }
        };
        // A whole-profile form sending back the URL it was given keeps the upload.
        let user = put(serde_json::json!({"first_name": "Ada", "avatar_url": uploaded})).await;
        assert_eq!(
            (user["first_name"].as_str(), user["avatar_url"].as_str()),
            (Some("Ada"), Some(&*uploaded))
        );
        assert_eq!(fetch(&app, &uploaded).await.status(), 200);
        let user = put(serde_json::json!({"avatar_url": "https://cdn.example.com/me.png"})).await;
        assert_eq!(user["avatar_url"], "https://cdn.example.com/me.png");
        assert_detail(fetch(&app, &uploaded).await, 404, "Not Found").await;
        assert!(stored_files(&app).is_empty());
    }
);

both_backends!(media_route_serves_only_stored_names, |app| async move {
    for path in [
        "/media/avatars/0123456789abcdef0123456789abcdef.png",
        "/media/avatars/..%2F..%2Fastro.db",
        "/media/avatars/%2e%2e",
        "/media/avatars/avatar.png",
    ] {
        assert_detail(app.get(path, None).await, 404, "Not Found").await;
    }
});

both_backends!(uploads_need_a_verified_user, |app| async move {
    let png = || picture(32, 32, ImageFormat::Png);
    let anonymous = app.post("/api/user/upload-avatar");
    let form = Form::new().part("file", Part::bytes(png()).mime_str("image/png").unwrap());
    assert_detail(
        anonymous.multipart(form).send().await.unwrap(),
        403,
        "Not authenticated",
    )
    .await;
    let (_, tokens) = app.unverified_user().await;
    assert_detail(
        upload(&app, &tokens.access, png(), "image/png").await,
        400,
        "Email not verified",
    )
    .await;
});
