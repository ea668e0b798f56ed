//! Turning an untrusted upload into a clean avatar: decode (refusing anything that would be
//! expensive before it is), centre-crop to a square, resize to [`SIZE`], re-encode as PNG.
//! Re-encoding from pixels drops EXIF (GPS positions from phones), other metadata and any
//! bytes appended to the file.
use crate::error::UserError;
use image::{
    DynamicImage, ImageDecoder, ImageReader, Limits, codecs::png::PngEncoder, imageops::FilterType,
    metadata::Orientation,
};
use std::{io::Cursor, sync::Arc};
use tokio::sync::Semaphore;

/// Side of the square avatar, in pixels.
pub const SIZE: u32 = 400;
/// The format every avatar is stored in.
pub const CONTENT_TYPE: &str = "image/png";
/// File extension matching [`CONTENT_TYPE`].
pub const EXTENSION: &str = "png";
/// Larger images are refused from their header alone: a 5 MB file can claim a size whose
/// pixels would need gigabytes (a decompression bomb).
const MAX_PIXELS: u64 = 40_000_000;
/// Neither side may exceed this, whatever the other is.
const MAX_SIDE: u32 = 16_384;
/// Ceiling on what a decoder may allocate: 40 MP of 16-bit RGBA, the worst legitimate case.
const MAX_ALLOC: u64 = MAX_PIXELS * 8;

/// Runs transformations on the blocking pool, a few at a time: each can hold a few hundred
/// MB and a second or so of CPU, which must neither stall the async workers nor multiply
/// without bound under concurrent uploads.
#[derive(Clone, Debug)]
pub struct Transformer {
    permits: Arc<Semaphore>,
}

impl Transformer {
    /// At most `concurrency` images are processed at once; further uploads wait their turn.
    pub fn new(concurrency: usize) -> Self {
        Transformer {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// The upload as a [`SIZE`]x[`SIZE`] PNG.
    pub async fn avatar(&self, upload: Vec<u8>) -> Result<Vec<u8>, UserError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        tokio::task::spawn_blocking(move || avatar_png(&upload))
            .await
            .map_err(|join| UserError::InvalidImage(format!("image task failed: {join}")))?
    }
}

/// Decodes `upload`, crops and resizes it, and encodes the result as PNG.
pub fn avatar_png(upload: &[u8]) -> Result<Vec<u8>, UserError> {
    let mut square = centre_square(decode(upload)?);
    // Lanczos3 over a 40 MP photo takes seconds; a box-filter pass down to twice the target
    // first costs a tenth of that and leaves no visible difference (< 1/255 on average).
    if square.width() > 2 * SIZE {
        square = square.thumbnail_exact(2 * SIZE, 2 * SIZE);
    }
    let resized = square.resize_exact(SIZE, SIZE, FilterType::Lanczos3);
    // 8 bits per channel whatever came in; alpha only when the source had some.
    let pixels = if resized.color().has_alpha() {
        DynamicImage::ImageRgba8(resized.to_rgba8())
    } else {
        DynamicImage::ImageRgb8(resized.to_rgb8())
    };
    let mut png = Vec::new();
    pixels
        .write_with_encoder(PngEncoder::new(&mut png))
        .map_err(|e| UserError::InvalidImage(e.to_string()))?;
    Ok(png)
}

/// Decodes a PNG, JPEG or WebP (the bytes decide, not the name or declared type), checking
/// the dimensions in the header before any pixel is decoded, and applies the EXIF rotation.
fn decode(upload: &[u8]) -> Result<DynamicImage, UserError> {
    let invalid = |e: &dyn std::fmt::Display| UserError::InvalidImage(e.to_string());
    let mut reader = ImageReader::new(Cursor::new(upload))
        .with_guessed_format()
        .map_err(|e| invalid(&e))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    // Building the decoder reads only the header; `into_dimensions` would build it too and
    // then throw it away.
    let mut decoder = reader.into_decoder().map_err(|e| invalid(&e))?;
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if pixels == 0 || pixels > MAX_PIXELS || decoder.total_bytes() > MAX_ALLOC {
        return Err(UserError::InvalidImage(format!(
            "{width}x{height} is outside the accepted size"
        )));
    }
    // A photo taken sideways is stored upright with an EXIF note; the note is about to be
    // dropped, so turn the pixels now.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| invalid(&e))?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// The largest centred square: cropping before resizing is the same picture as "resize to
/// fill, then crop", with less to resize.
fn centre_square(image: DynamicImage) -> DynamicImage {
    let (width, height) = (image.width(), image.height());
    let side = width.min(height);
    if width == height {
        return image;
    }
    image.crop_imm((width - side) / 2, (height - side) / 2, side, side)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, RgbImage};

    fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn crops_and_resizes_to_a_square_png() {
        for format in [ImageFormat::Png, ImageFormat::Jpeg] {
            let png = avatar_png(&encoded(300, 120, format)).unwrap();
            let back = image::load_from_memory_with_format(&png, ImageFormat::Png).unwrap();
            assert_eq!((back.width(), back.height()), (SIZE, SIZE));
        }
    }

    #[test]
    fn refuses_what_does_not_decode() {
        assert!(avatar_png(b"hello, world").is_err());
        let mut truncated = encoded(64, 64, ImageFormat::Png);
        truncated.truncate(60);
        assert!(avatar_png(&truncated).is_err());
    }
}
