use image::{GenericImageView, ImageFormat};
use switchboard_media::{Kind, MediaError};

use crate::fixtures::*;

fn close(a: image::Rgba<u8>, b: Rgb<u8>) -> bool {
    a.0.iter().zip(b.0.iter()).all(|(x, y)| x.abs_diff(*y) < 60)
}

use image::Rgb;

#[test]
fn upright_photos_lose_metadata_losslessly() {
    let original = jpeg_with_metadata(40, 24, Some(1), true);
    let (out, cleaned) = clean(Kind::Jpeg, &original).unwrap();
    assert!(cleaned.removed_location && cleaned.removed_metadata);
    for secret in
        [&b"Exif"[..], GPS_NOTE, XMP_NOTE, b"IPTC-SECRET", b"COMMENT-SECRET", b"MPF-SECRET", b"http://ns.adobe.com"]
    {
        assert_eq!(find(&out, secret), None, "{}", String::from_utf8_lossy(secret));
    }
    // Lossless: exactly the encoder's own bytes remain.
    assert_eq!(out, encode_jpeg(&picture(40, 24)));
    let markers: Vec<u8> = jpeg_segments(&out).iter().map(|(m, _)| *m).collect();
    assert!(markers.iter().all(|m| !matches!(m, 0xE1 | 0xED | 0xFE)), "{markers:x?}");
}

#[test]
fn jfif_icc_and_adobe_stay() {
    let base = encode_jpeg(&picture(16, 16));
    let icc = segment(0xE2, b"ICC_PROFILE\0\x01\x01PROFILE-BYTES");
    let adobe = segment(0xEE, b"Adobe\0\x64\0\0\0\0\x01");
    let original = with_segments(&base, &[icc.clone(), exif_segment(None, false), adobe.clone()]);
    let (out, cleaned) = clean(Kind::Jpeg, &original).unwrap();
    assert!(cleaned.removed_metadata);
    assert!(!cleaned.removed_location);
    assert!(find(&out, &icc).is_some());
    assert!(find(&out, &adobe).is_some());
    assert!(jpeg_segments(&out).iter().any(|(m, p)| *m == 0xE0 && p.starts_with(b"JFIF\0")));
}

#[test]
fn a_clean_photo_is_unchanged_and_reports_nothing() {
    let original = encode_jpeg(&picture(20, 20));
    let (out, cleaned) = clean(Kind::Jpeg, &original).unwrap();
    assert_eq!(out, original);
    assert!(!cleaned.removed_metadata && !cleaned.removed_location);
}

#[test]
fn trailing_data_after_the_image_goes() {
    let mut original = encode_jpeg(&picture(20, 20));
    let clean_len = original.len();
    original.extend(b"SEFT-TRAILER-WITH-LOCATION");
    let (out, cleaned) = clean(Kind::Jpeg, &original).unwrap();
    assert_eq!(out.len(), clean_len);
    assert!(cleaned.removed_metadata);
}

#[test]
fn orientation_six_turns_the_photo_upright() {
    // 64 wide, 32 high, red square top-left. Orientation 6: the camera was
    // turned, and the picture must be rotated 90° clockwise to show.
    let original = jpeg_with_metadata(64, 32, Some(6), true);
    let (out, cleaned) = clean(Kind::Jpeg, &original).unwrap();
    assert!(cleaned.removed_location && cleaned.removed_metadata);
    assert_eq!(find(&out, b"Exif"), None);
    assert_eq!(find(&out, GPS_NOTE), None);
    let turned = image::load_from_memory_with_format(&out, ImageFormat::Jpeg).unwrap();
    assert_eq!(turned.dimensions(), (32, 64));
    // The top-left corner is now the top-right.
    assert!(close(turned.get_pixel(28, 3), RED), "{:?}", turned.get_pixel(28, 3));
    assert!(close(turned.get_pixel(3, 3), BLUE), "{:?}", turned.get_pixel(3, 3));
    assert!(close(turned.get_pixel(28, 60), BLUE));
    let preview = cleaned.preview.unwrap();
    assert_eq!((preview.width, preview.height, preview.kind), (32, 64, Kind::Jpeg));
}

#[test]
fn every_orientation_puts_the_corner_where_it_belongs() {
    // Where the red top-left corner of the stored picture shows, per orientation.
    let expected = [
        (1, false, false),
        (2, true, false),
        (3, true, true),
        (4, false, true),
        (5, false, false),
        (6, true, false),
        (7, true, true),
        (8, false, true),
    ];
    for (orientation, right, bottom) in expected {
        let (out, _) = clean(Kind::Jpeg, &jpeg_with_metadata(64, 32, Some(orientation), false)).unwrap();
        let shown = image::load_from_memory_with_format(&out, ImageFormat::Jpeg).unwrap();
        let (w, h) = shown.dimensions();
        assert_eq!((w, h), if orientation >= 5 { (32, 64) } else { (64, 32) }, "{orientation}");
        let x = if right { w - 4 } else { 3 };
        let y = if bottom { h - 4 } else { 3 };
        assert!(close(shown.get_pixel(x, y), RED), "orientation {orientation}");
    }
}

#[test]
fn previews_fit_the_box_and_keep_the_aspect() {
    let original = encode_jpeg(&picture(800, 400));
    let (_, cleaned) = clean(Kind::Jpeg, &original).unwrap();
    let preview = cleaned.preview.unwrap();
    assert_eq!((preview.width, preview.height), (320, 160));
    let decoded = image::load_from_memory_with_format(&preview.bytes, ImageFormat::Jpeg).unwrap();
    assert_eq!(decoded.dimensions(), (320, 160));
}

#[test]
fn damaged_photos_are_refused() {
    let original = encode_jpeg(&picture(20, 20));
    // Cut before the end of the scan.
    assert_eq!(clean(Kind::Jpeg, &original[..original.len() / 2]).err(), Some(MediaError::Damaged));
    // A segment length running past the end.
    assert_eq!(clean(Kind::Jpeg, &[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 0]).err(), Some(MediaError::Damaged));
    assert_eq!(clean(Kind::Jpeg, b"%PDF-1.4").err(), Some(MediaError::Damaged));
}

#[test]
fn too_many_pixels_is_too_complex() {
    // A frame header claiming 10000×10000 pixels; the decoder must not be asked.
    let mut original = encode_jpeg(&picture(16, 16));
    let sof = find(&original, &[0xFF, 0xC0]).unwrap();
    original[sof + 5..sof + 9].copy_from_slice(&[0x27, 0x10, 0x27, 0x10]);
    assert_eq!(clean(Kind::Jpeg, &original).err(), Some(MediaError::TooComplex));
}

#[test]
fn photos_longer_than_max_len_are_never_held() {
    let original = encode_jpeg(&picture(16, 16));
    let mut cleaner = switchboard_media::Cleaner::new(Kind::Jpeg, 100);
    let mut out = Vec::new();
    assert_eq!(cleaner.push(&original, &mut out), Err(MediaError::TooLarge));
}
