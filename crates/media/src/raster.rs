//! Decoding, turning and re-encoding pictures, and making previews, through
//! `image`. Every decode first reads the dimensions and refuses a picture of
//! too many pixels, so a small file cannot unpack into gigabytes.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageEncoder, ImageError, ImageFormat, ImageReader, Limits};

use crate::clean::Preview;
use crate::error::MediaError;
use crate::kind::Kind;

/// The most pixels a picture may have to be decoded (a 50-megapixel photo).
pub(crate) const MAX_PIXELS: u64 = 50_000_000;
/// Previews fit in a square of this side, keeping their aspect.
pub(crate) const PREVIEW_SIDE: u32 = 320;
/// The quality a turned photo is re-encoded at.
pub(crate) const PHOTO_QUALITY: u8 = 90;
const PREVIEW_QUALITY: u8 = 80;
/// What a decoder may allocate: 50 megapixels of 8-bit RGBA, with room.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

pub(crate) fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, MediaError> {
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format).into_dimensions().map_err(error)?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(MediaError::TooComplex);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    reader.decode().map_err(error)
}

fn error(e: ImageError) -> MediaError {
    match e {
        ImageError::Limits(_) => MediaError::TooComplex,
        _ => MediaError::Damaged,
    }
}

/// Applies an EXIF orientation (2–8; 1 and unknown values leave it as it is).
pub(crate) fn orient(image: &mut DynamicImage, exif_orientation: u8) {
    if let Some(orientation) = Orientation::from_exif(exif_orientation) {
        image.apply_orientation(orientation);
    }
}

/// A baseline JPEG carrying no metadata but, when given, the colour profile.
pub(crate) fn encode_jpeg(image: &DynamicImage, quality: u8, icc: Option<Vec<u8>>) -> Result<Vec<u8>, MediaError> {
    let flat = if image.color().has_color() {
        DynamicImage::ImageRgb8(image.to_rgb8())
    } else {
        DynamicImage::ImageLuma8(image.to_luma8())
    };
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, quality);
    if let Some(icc) = icc {
        encoder.set_icc_profile(icc).map_err(|_| MediaError::Encode)?;
    }
    flat.write_with_encoder(encoder).map_err(|_| MediaError::Encode)?;
    Ok(out)
}

/// A PNG carrying no metadata.
pub(crate) fn encode_png(image: &DynamicImage) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    image.write_with_encoder(PngEncoder::new(&mut out)).map_err(|_| MediaError::Encode)?;
    Ok(out)
}

/// A preview within [`PREVIEW_SIDE`] square: PNG when the picture has
/// transparency to keep, JPEG otherwise.
pub(crate) fn preview(image: &DynamicImage) -> Result<Preview, MediaError> {
    let small = if image.width() <= PREVIEW_SIDE && image.height() <= PREVIEW_SIDE {
        image.clone()
    } else {
        image.thumbnail(PREVIEW_SIDE, PREVIEW_SIDE)
    };
    let (bytes, kind) = if small.color().has_alpha() {
        (encode_png(&DynamicImage::ImageRgba8(small.to_rgba8()))?, Kind::Png)
    } else {
        (encode_jpeg(&small, PREVIEW_QUALITY, None)?, Kind::Jpeg)
    };
    Ok(Preview { bytes, kind, width: small.width(), height: small.height() })
}
