use switchboard_media::{Kind, MediaError};

use crate::fixtures::*;

#[test]
fn exif_items_are_emptied_and_xmp_zeroed_where_they_lie() {
    let (original, parts) = heic(0);
    let (out, cleaned) = clean(Kind::Heic, &original).unwrap();
    assert!(cleaned.removed_location && cleaned.removed_metadata);
    assert!(cleaned.preview.is_none());
    assert_eq!(out.len(), original.len());
    assert_eq!(find(&out, GPS_NOTE), None);
    assert_eq!(find(&out, b"Exif\0\0MM\0*"), None);
    assert_eq!(find(&out, XMP_NOTE), None);
    // The picture's bytes, and everything outside the two items, are untouched.
    let picture_at = find(&original, &parts.picture).unwrap();
    assert_eq!(&out[picture_at..picture_at + parts.picture.len()], &parts.picture[..]);
    let exif_at = find(&original, &parts.exif).unwrap();
    // The Exif item is now an empty one (a TIFF header and no tags), then zeros.
    let exif_out = &out[exif_at..exif_at + parts.exif.len()];
    assert_eq!(&exif_out[..18], &[0, 0, 0, 0, b'I', b'I', 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert!(exif_out[18..].iter().all(|b| *b == 0));
    let xmp_at = find(&original, XMP_NOTE).unwrap();
    let changed: Vec<usize> = (0..out.len()).filter(|i| out[*i] != original[*i]).collect();
    assert!(changed.iter().all(|i| (exif_at..exif_at + parts.exif.len()).contains(i) || (xmp_at..xmp_at + XMP_NOTE.len()).contains(i)));
}

#[test]
fn metadata_that_cannot_be_found_or_cleared_fails_closed() {
    // The Exif item built from another item: not supported, so refused.
    let (original, _) = heic(2);
    assert_eq!(clean(Kind::Heic, &original).err(), Some(MediaError::Damaged));
    // An iloc that does not mention the Exif item.
    let (mut original, _) = heic(0);
    let iloc = find(&original, b"iloc").unwrap();
    // Item 2's id (version 1: after version/flags, sizes, count, then item 1's 16 bytes).
    let item2 = iloc + 4 + 4 + 2 + 2 + 16;
    assert_eq!(&original[item2..item2 + 2], &[0, 2]);
    original[item2 + 1] = 9;
    assert_eq!(clean(Kind::Heic, &original).err(), Some(MediaError::Damaged));
    // No meta at all.
    let bare = cat(&[ftyp(b"heic", &[b"mif1"]), bx(b"mdat", b"x")]);
    assert_eq!(clean(Kind::Heic, &bare).err(), Some(MediaError::Damaged));
    // Cut short.
    let (original, _) = heic(0);
    assert_eq!(clean(Kind::Heic, &original[..original.len() - 5]).err(), Some(MediaError::Damaged));
}

#[test]
fn an_item_said_to_lie_beyond_idat_is_damage() {
    // Construction method 1 with file offsets points past the end of the small idat.
    let (original, _) = heic(1);
    assert_eq!(clean(Kind::Heic, &original).err(), Some(MediaError::Damaged));
}

#[test]
fn top_level_xmp_boxes_are_neutralised() {
    let (original, _) = heic(0);
    let mut xmp = vec![0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC];
    xmp.extend(b"TOP-XMP-SECRET");
    // Appended last, so no offset moves.
    let with_uuid = cat(&[original, bx(b"uuid", &xmp)]);
    let (out, _) = clean(Kind::Heic, &with_uuid).unwrap();
    assert_eq!(out.len(), with_uuid.len());
    assert_eq!(find(&out, b"TOP-XMP-SECRET"), None);
}
