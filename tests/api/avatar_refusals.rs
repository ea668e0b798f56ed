//! Uploads the avatar route refuses, with the contract's answers, and what they leave behind
//! (nothing).
use crate::avatar::{picture, stored_files, upload};
use crate::checks::{assert_detail, assert_validation, json_body};
use crate::helpers::{TestApp, both_backends};
use image::ImageFormat;
use reqwest::multipart::{Form, Part};

const NOT_AN_IMAGE: &str = "File must be an image";
const INVALID: &str = "Invalid image file";
const TOO_BIG: &str = "File size must be less than 5MB";

/// A PNG whose header claims `width`x`height` (with a correct CRC, so only the size is
/// wrong), followed by a token of pixel data: a decompression bomb's shape.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(kind.iter().chain(data));
    png.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32<'a>(bytes: impl Iterator<Item = &'a u8>) -> u32 {
    !bytes.fold(!0u32, |crc, &byte| {
        (0..8).fold(crc ^ u32::from(byte), |c, _| {
            if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            }
        })
    })
}

/// Asserts nothing was stored and the profile still has no avatar.
async fn assert_no_avatar(app: &TestApp, token: &str) {
    assert!(stored_files(app).is_empty(), "{:?}", stored_files(app));
    let profile = json_body(app.profile(token).await, 200).await;
    assert_eq!(profile["avatar_url"], serde_json::Value::Null);
}

#[test]
fn crafted_header_is_well_formed() {
    // IHDR's CRC for a 1x1 8-bit RGB image, as any PNG encoder writes it.
    let png = png_claiming(1, 1);
    assert_eq!(&png[29..33], &[0x90, 0x77, 0x53, 0xDE]);
}

both_backends!(what_is_not_an_image_is_refused, |app| async move {
    let (_, tokens) = app.verified_user().await;
    let token = tokens.access.as_str();
    let text = b"just some text, not a picture".to_vec();
    assert_detail(
        upload(&app, token, text.clone(), "text/plain").await,
        400,
        NOT_AN_IMAGE,
    )
    .await;
    assert_detail(
        upload(&app, token, picture(8, 8, ImageFormat::Png), "application/pdf").await,
        400,
        NOT_AN_IMAGE,
    )
    .await;
    // Declared an image: the bytes decide.
    assert_detail(upload(&app, token, text, "image/png").await, 400, INVALID).await;
    let mut garbage = picture(64, 64, ImageFormat::Png)[..33].to_vec();
    garbage.extend(std::iter::repeat_n(0xA5, 4096));
    assert_detail(upload(&app, token, garbage, "image/png").await, 400, INVALID).await;
    assert_detail(upload(&app, token, Vec::new(), "image/png").await, 400, INVALID).await;
    assert_no_avatar(&app, token).await;
});

both_backends!(
    decompression_bombs_are_refused_from_the_header,
    |app| async move {
        let (_, tokens) = app.verified_user().await;
        let bomb = png_claiming(50_000, 50_000);
        assert!(bomb.len() < 100);
        assert_detail(
            upload(&app, &tokens.access, bomb, "image/png").await,
            400,
            INVALID,
        )
        .await;
        // Within each side's limit but over 24 megapixels in all.
        let wide = png_claiming(16_000, 16_000);
        assert_detail(
            upload(&app, &tokens.access, wide, "image/png").await,
            400,
            INVALID,
        )
        .await;
        assert_no_avatar(&app, &tokens.access).await;
    }
);

/// A real, valid PNG of 6000x6000 16-bit RGBA in one colour: a few hundred KB that decode to
/// 288 MB. Two at once used to take the user service past its memory limit; its decoded size
/// is refused from the header now.
fn deep_png() -> Vec<u8> {
    let mut file = std::io::Cursor::new(Vec::new());
    let mut encoder = png::Encoder::new(&mut file, 6000, 6000);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Sixteen);
    let mut writer = encoder.write_header().expect("a PNG header");
    let mut rows = writer.stream_writer().expect("a PNG stream");
    let row = [0x40u8, 0x00, 0x80, 0x00, 0xc0, 0x00, 0xff, 0xff].repeat(6000);
    for _ in 0..6000 {
        std::io::Write::write_all(&mut rows, &row).expect("writing a row");
    }
    rows.finish().expect("finishing the PNG");
    drop(writer);
    file.into_inner()
}

both_backends!(
    deep_pictures_are_refused_by_their_decoded_size,
    |app| async move {
        let (_, tokens) = app.verified_user().await;
        let bomb = deep_png();
        assert!(bomb.len() < 1_000_000, "{} bytes", bomb.len());
        assert_detail(
            upload(&app, &tokens.access, bomb, "image/png").await,
            400,
            INVALID,
        )
        .await;
        assert_no_avatar(&app, &tokens.access).await;
    }
);

both_backends!(sizes_over_the_limits_are_refused, |app| async move {
    let (_, tokens) = app.verified_user().await;
    // Over the file limit but under the 6 MiB body limit: the contract's 400.
    let file = vec![0u8; 5_500_000];
    assert_detail(
        upload(&app, &tokens.access, file, "image/png").await,
        400,
        TOO_BIG,
    )
    .await;
    // Over the body limit: 413 before the file is looked at.
    let body = vec![0u8; 7_000_000];
    let response = upload(&app, &tokens.access, body, "image/png").await;
    assert_detail(response, 413, "Request body too large").await;
    // Exactly 5 MiB is allowed (and then judged by its content).
    let limit = vec![0u8; 5 * 1024 * 1024];
    assert_detail(
        upload(&app, &tokens.access, limit, "image/png").await,
        400,
        INVALID,
    )
    .await;
    assert_no_avatar(&app, &tokens.access).await;
});

// Without a Content-Length the limit is found mid-body; the answer is still a 413 the client
// can read, not a reset connection.
both_backends!(a_chunked_upload_over_the_limit_is_413, |app| async move {
    let (_, tokens) = app.verified_user().await;
    // 7 MiB in 64 KiB chunks, of unknown length up front.
    let chunks = (0..7 * 16).map(|_| Ok::<_, std::io::Error>(vec![0u8; 64 * 1024]));
    let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let part = Part::stream(body)
        .file_name("avatar.png")
        .mime_str("image/png")
        .unwrap();
    let response = app
        .post("/api/user/upload-avatar")
        .bearer_auth(&tokens.access)
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .expect("the server answers instead of resetting the connection");
    assert_detail(response, 413, "Request body too large").await;
    assert_no_avatar(&app, &tokens.access).await;
});

both_backends!(a_form_without_file_is_422, |app| async move {
    let (_, tokens) = app.verified_user().await;
    let form = Form::new().part("picture", Part::bytes(picture(8, 8, ImageFormat::Png)));
    let request = app.post("/api/user/upload-avatar").bearer_auth(&tokens.access);
    assert_validation(
        request.multipart(form).send().await.unwrap(),
        &["body", "file"],
        "missing",
    )
    .await;
    let request = app.post("/api/user/upload-avatar").bearer_auth(&tokens.access);
    let json = request
        .json(&serde_json::json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    assert_validation(json, &["body", "file"], "missing").await;
});
