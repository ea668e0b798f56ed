//! Turning an untrusted upload into a clean avatar: decode (refusing anything that would be
//! expensive before it is), centre-crop to a square, resize to [`SIZE`], re-encode as PNG.
//! Re-encoding from pixels drops EXIF (GPS positions from phones), other metadata and any
//! bytes appended to the file.
use crate::error::UserError;
use image::{
    DynamicImage, GenericImageView, ImageDecoder, ImageReader, Limits,
    codecs::png::PngEncoder,
    imageops::{self, FilterType},
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
const MAX_PIXELS: u64 = 24_000_000;
/// Neither side may exceed this, whatever the other is.
const MAX_SIDE: u32 = 16_384;
/// Ceiling on one decoded picture: 24 MP at 8-bit RGBA. Deeper pictures get fewer pixels
/// (16-bit RGBA: 12 MP); a 290 KB PNG of 6000x6000 16-bit RGBA (288 MB decoded) is refused
/// from its header.
const MAX_DECODED_BYTES: u64 = 96 * 1024 * 1024;
/// What all transformations at once may hold in decoded pictures. The user service's memory
/// is its baseline plus this, however many uploads arrive together.
const MEMORY_BUDGET_MIB: u32 = 128;

/// Runs transformations on the blocking pool within a memory budget: each holds its decoded
/// picture (up to [`MAX_DECODED_BYTES`]) and up to a second of CPU, which must neither stall
/// the async workers nor multiply without bound under concurrent uploads.
#[derive(Clone, Debug)]
pub struct Transformer {
    budget_mib: Arc<Semaphore>,
    /// The least a transformation is charged, so that no more than one per core runs.
    min_charge_mib: u32,
}

impl Transformer {
    /// At most `cores` transformations run at once, fewer when their pictures are large;
    /// further uploads wait their turn.
    pub fn new(cores: usize) -> Self {
        let cores = u32::try_from(cores.max(1)).unwrap_or(u32::MAX);
        Transformer {
            budget_mib: Arc::new(Semaphore::new(MEMORY_BUDGET_MIB as usize)),
            min_charge_mib: (MEMORY_BUDGET_MIB / cores).max(1),
        }
    }

    /// The upload as a [`SIZE`]x[`SIZE`] PNG.
    pub async fn avatar(&self, upload: Vec<u8>) -> Result<Vec<u8>, UserError> {
        // The header tells what decoding will take before any pixel is decoded; reading it
        // parses a few bytes of an upload already in memory.
        let decoded = checked_decoder(&upload)?.0.total_bytes();
        let charge = u32::try_from(decoded.div_ceil(1024 * 1024))
            .unwrap_or(u32::MAX)
            .clamp(self.min_charge_mib, MEMORY_BUDGET_MIB);
        let _permit = self
            .budget_mib
            .acquire_many(charge)
            .await
            .expect("the semaphore is never closed");
        tokio::task::spawn_blocking(move || avatar_png(&upload))
            .await
            .map_err(|join| UserError::InvalidImage(format!("image task failed: {join}")))?
    }
}

/// Decodes `upload`, crops and resizes it, and encodes the result as PNG. One full-size
/// buffer exists at a time: the decoded picture, which is cropped as a view and shrunk
/// straight from it.
pub fn avatar_png(upload: &[u8]) -> Result<Vec<u8>, UserError> {
    let invalid = |e: &dyn std::fmt::Display| UserError::InvalidImage(e.to_string());
    let (decoder, orientation) = checked_decoder(upload)?;
    let decoded = DynamicImage::from_decoder(decoder).map_err(|e| invalid(&e))?;
    let has_alpha = decoded.color().has_alpha();
    // The largest centred square: the same picture as "resize to fill, then crop", with less
    // to resize.
    let (width, height) = decoded.dimensions();
    let side = width.min(height);
    let square = imageops::crop_imm(&decoded, (width - side) / 2, (height - side) / 2, side, side);
    // Lanczos3 over a 24 MP photo takes seconds; a box-filter pass down to twice the target
    // first costs a tenth of that and leaves no visible difference (< 1/255 on average).
    let small = if side > 2 * SIZE {
        imageops::thumbnail(&*square, 2 * SIZE, 2 * SIZE)
    } else {
        square.to_image()
    };
    drop(decoded);
    // A photo taken sideways is stored upright with an EXIF note, which is about to be
    // dropped, so turn the pixels. Turning the centred square is cropping the turned picture.
    let mut small = DynamicImage::ImageRgba8(small);
    small.apply_orientation(orientation);
    let resized = small.resize_exact(SIZE, SIZE, FilterType::Lanczos3);
    // 8 bits per channel whatever came in; alpha only when the source had some.
    let pixels = if has_alpha {
        DynamicImage::ImageRgba8(resized.to_rgba8())
    } else {
        DynamicImage::ImageRgb8(resized.to_rgb8())
    };
    let mut png = Vec::new();
    pixels
        .write_with_encoder(PngEncoder::new(&mut png))
        .map_err(|e| invalid(&e))?;
    Ok(png)
}

/// A decoder for a PNG, JPEG or WebP (the bytes decide, not the name or declared type) whose
/// header promises a picture within the limits, and its EXIF orientation.
fn checked_decoder(upload: &[u8]) -> Result<(impl ImageDecoder + '_, Orientation), UserError> {
    let invalid = |e: &dyn std::fmt::Display| UserError::InvalidImage(e.to_string());
    let mut reader = ImageReader::new(Cursor::new(upload))
        .with_guessed_format()
        .map_err(|e| invalid(&e))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // Room for a decoder's working buffers beside the picture.
    limits.max_alloc = Some(MAX_DECODED_BYTES + MAX_DECODED_BYTES / 4);
    reader.limits(limits);
    // Building the decoder reads only the header.
    let mut decoder = reader.into_decoder().map_err(|e| invalid(&e))?;
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if pixels == 0 || pixels > MAX_PIXELS || decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(UserError::InvalidImage(format!(
            "{width}x{height} ({:?}) is outside the accepted size",
            decoder.color_type()
        )));
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    Ok((decoder, orientation))
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

    /// A 16-bit picture within the budget is converted to 8 bits (the 16-bit bombs beyond
    /// it are refused by their header: `tests/api/avatar_refusals.rs`).
    #[test]
    fn deep_pictures_are_converted() {
        let pixel = image::Rgba([9000u16, 2, 3, 65535]);
        let image = image::ImageBuffer::from_pixel(1200, 900, pixel);
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgba16(image)
            .write_to(&mut out, ImageFormat::Png)
            .unwrap();
        let png = avatar_png(&out.into_inner()).unwrap();
        let back = image::load_from_memory_with_format(&png, ImageFormat::Png).unwrap();
        assert_eq!((back.width(), back.height()), (SIZE, SIZE));
        assert_eq!(back.color(), image::ColorType::Rgba8);
    }

    #[test]
    fn refuses_what_does_not_decode() {
        assert!(avatar_png(b"hello, world").is_err());
        let mut truncated = encoded(64, 64, ImageFormat::Png);
        truncated.truncate(60);
        assert!(avatar_png(&truncated).is_err());
    }
}
