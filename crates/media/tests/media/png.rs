use image::{GenericImageView, ImageFormat, Rgba, RgbaImage};
use switchboard_media::{Kind, MediaError};

use crate::fixtures::*;

fn exif_chunk(orientation: Option<u16>, gps: bool) -> Vec<u8> {
    chunk(b"eXIf", &tiff(orientation, gps))
}

#[test]
fn text_time_and_exif_chunks_go_colour_stays() {
    let base = encode_png_rgb(&picture(30, 20));
    let gama = chunk(b"gAMA", &45455u32.to_be_bytes());
    let original = with_chunks(
        &base,
        &[
            gama.clone(),
            chunk(b"tEXt", b"Comment\0TEXT-SECRET"),
            chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0XMP-SECRET"),
            chunk(b"zTXt", b"Raw profile\0\0x"),
            chunk(b"tIME", &[7, 232, 1, 2, 3, 4, 5]),
            chunk(b"prVt", b"PRIVATE-SECRET"),
            exif_chunk(Some(1), true),
        ],
    );
    let (out, cleaned) = clean(Kind::Png, &original).unwrap();
    assert!(cleaned.removed_location && cleaned.removed_metadata);
    for secret in [&b"TEXT-SECRET"[..], b"XMP-SECRET", b"PRIVATE-SECRET", GPS_NOTE, b"tIME", b"zTXt", b"eXIf"] {
        assert_eq!(find(&out, secret), None, "{}", String::from_utf8_lossy(secret));
    }
    assert!(find(&out, &gama).is_some());
    let mut expected = with_chunks(&base, &[gama]);
    assert_eq!(out, std::mem::take(&mut expected));
    let preview = cleaned.preview.unwrap();
    assert_eq!((preview.kind, preview.width, preview.height), (Kind::Jpeg, 30, 20));
}

#[test]
fn exif_orientation_turns_a_png() {
    let original = with_chunks(&encode_png_rgb(&picture(64, 32)), &[exif_chunk(Some(6), false)]);
    let (out, cleaned) = clean(Kind::Png, &original).unwrap();
    assert!(cleaned.removed_metadata && !cleaned.removed_location);
    let shown = image::load_from_memory_with_format(&out, ImageFormat::Png).unwrap();
    assert_eq!(shown.dimensions(), (32, 64));
    assert_eq!(shown.get_pixel(31, 0), Rgba([255, 0, 0, 255]));
    assert_eq!(shown.get_pixel(0, 0), Rgba([0, 0, 255, 255]));
    assert_eq!(find(&out, b"eXIf"), None);
}

#[test]
fn transparent_pictures_preview_as_png() {
    let image = RgbaImage::from_fn(400, 100, |x, _| if x < 200 { Rgba([0, 0, 0, 0]) } else { Rgba([9, 9, 9, 255]) });
    let (_, cleaned) = clean(Kind::Png, &encode_png_rgba(&image)).unwrap();
    let preview = cleaned.preview.unwrap();
    assert_eq!((preview.kind, preview.width, preview.height), (Kind::Png, 320, 80));
    let decoded = image::load_from_memory_with_format(&preview.bytes, ImageFormat::Png).unwrap();
    assert_eq!(decoded.get_pixel(0, 0)[3], 0);
}

#[test]
fn bad_crcs_and_unknown_critical_chunks_are_damage() {
    let mut original = encode_png_rgb(&picture(8, 8));
    let last = original.len() - 1;
    original[last] ^= 1;
    assert_eq!(clean(Kind::Png, &original).err(), Some(MediaError::Damaged));
    let unknown = with_chunks(&encode_png_rgb(&picture(8, 8)), &[chunk(b"ABCD", b"x")]);
    assert_eq!(clean(Kind::Png, &unknown).err(), Some(MediaError::Damaged));
    let cut = encode_png_rgb(&picture(8, 8));
    assert_eq!(clean(Kind::Png, &cut[..cut.len() - 12]).err(), Some(MediaError::Damaged));
}

#[test]
fn a_decompression_bomb_is_refused_before_decoding() {
    // An IHDR claiming 20000×20000 (400 megapixels).
    let mut original = encode_png_rgb(&picture(8, 8));
    original[16..24].copy_from_slice(&[0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20]);
    let crc = crc32(&original[12..29]);
    original[29..33].copy_from_slice(&crc.to_be_bytes());
    assert_eq!(clean(Kind::Png, &original).err(), Some(MediaError::TooComplex));
}
