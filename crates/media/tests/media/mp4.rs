use switchboard_media::{Cleaner, Kind, MediaError};

use crate::fixtures::*;

#[test]
fn location_atoms_are_neutralised_in_place() {
    let original = mp4_with_location();
    let (out, cleaned) = clean(Kind::Mp4, &original).unwrap();
    assert!(cleaned.removed_location && cleaned.removed_metadata);
    assert!(cleaned.preview.is_none());
    assert_eq!(out.len(), original.len());
    assert_eq!(find(&out, PLACE), None);
    assert_eq!(find(&out, b"+40.7128"), None);
    assert_eq!(find(&out, b"\xA9xyz"), None);
    assert_eq!(find(&out, b"Apple"), None);
    // The media data and the chunk offsets that point at it are untouched.
    let media_at = find(&original, MEDIA).unwrap();
    assert_eq!(&out[media_at..media_at + MEDIA.len()], MEDIA);
    let stco = find(&original, b"stco").unwrap();
    assert_eq!(out[stco..stco + 20], original[stco..stco + 20]);
    let offset = u32::from_be_bytes(out[stco + 12..stco + 16].try_into().unwrap()) as usize;
    assert_eq!(&out[offset..offset + 16], &MEDIA[..16]);
    // Everything that changed was renamed to free and zeroed.
    assert!(find(&out, b"free").is_some());
}

#[test]
fn a_video_without_metadata_is_unchanged() {
    let original = cat(&[ftyp(b"isom", &[b"isom"]), bx(b"moov", &full(b"mvhd", 0, &[0; 96])), bx(b"mdat", MEDIA)]);
    let (out, cleaned) = clean(Kind::Mp4, &original).unwrap();
    assert_eq!(out, original);
    assert!(!cleaned.removed_location && !cleaned.removed_metadata);
}

#[test]
fn sixty_four_bit_sizes_and_a_last_box_to_the_end() {
    let mut big_mdat = vec![0, 0, 0, 1];
    big_mdat.extend(b"mdat");
    big_mdat.extend(((16 + MEDIA.len()) as u64).to_be_bytes());
    big_mdat.extend(MEDIA);
    let mut to_end = vec![0, 0, 0, 0];
    to_end.extend(b"mdat");
    to_end.extend(b"THE-REST-OF-THE-FILE");
    let original = cat(&[mp4_with_location(), big_mdat, to_end]);
    let (out, cleaned) = clean(Kind::Mov, &original).unwrap();
    assert!(cleaned.removed_location);
    assert_eq!(out.len(), original.len());
    assert!(out.ends_with(b"THE-REST-OF-THE-FILE"));
    assert_eq!(find(&out, PLACE), None);
}

#[test]
fn a_moov_running_to_the_end_is_cleaned_too() {
    let mut original = mp4_with_location();
    let moov = find(&original, b"moov").unwrap() - 4;
    let mdat = find(&original, b"mdat").unwrap() - 4;
    // Move the moov last and give it size 0.
    let moov_box = original[moov..mdat].to_vec();
    let mdat_box = original[mdat..].to_vec();
    original.truncate(moov);
    original.extend(mdat_box);
    let mut last = moov_box;
    last[..4].copy_from_slice(&[0, 0, 0, 0]);
    original.extend(last);
    let (out, cleaned) = clean(Kind::Mp4, &original).unwrap();
    assert!(cleaned.removed_location);
    assert_eq!(out.len(), original.len());
    assert_eq!(find(&out, PLACE), None);
}

#[test]
fn media_data_streams_through_without_being_held() {
    let header = cat(&[ftyp(b"isom", &[b"isom"]), {
        let mut h = ((8 + 3 * 65536) as u32).to_be_bytes().to_vec();
        h.extend(b"mdat");
        h
    }]);
    let mut cleaner = Cleaner::new(Kind::Mp4, 25 << 20);
    let mut out = Vec::new();
    cleaner.push(&header, &mut out).unwrap();
    assert_eq!(out, header);
    for _ in 0..3 {
        let before = out.len();
        cleaner.push(&[7u8; 65536], &mut out).unwrap();
        // Each piece of media data comes out as soon as it goes in.
        assert_eq!(out.len(), before + 65536);
    }
    cleaner.finish(&mut out).unwrap();
}

#[test]
fn oversized_metadata_boxes_and_cut_files_are_refused() {
    let mut huge = ((switchboard_media::MAX_HELD_BOX + 8) as u32).to_be_bytes().to_vec();
    huge.extend(b"moov");
    let mut cleaner = Cleaner::new(Kind::Mp4, 1 << 30);
    assert_eq!(cleaner.push(&cat(&[ftyp(b"isom", &[]), huge]), &mut Vec::new()), Err(MediaError::TooComplex));

    let original = mp4_with_location();
    assert_eq!(clean(Kind::Mp4, &original[..original.len() - 3]).err(), Some(MediaError::Damaged));
    let moov = find(&original, b"moov").unwrap();
    assert_eq!(clean(Kind::Mp4, &original[..moov + 50]).err(), Some(MediaError::Damaged));
    assert_eq!(clean(Kind::Mp4, b"").err(), Some(MediaError::Damaged));
    assert_eq!(clean(Kind::Mp4, b"\0\0\0\x04ftyp").err(), Some(MediaError::Damaged));
}

#[test]
fn xmp_uuid_boxes_go() {
    let mut xmp = vec![0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC];
    xmp.extend(XMP_NOTE);
    let original = cat(&[
        ftyp(b"isom", &[]),
        bx(b"uuid", &xmp),
        bx(b"moov", &bx(b"udta", &bx(b"XMP_", XMP_NOTE))),
        bx(b"mdat", MEDIA),
    ]);
    let (out, cleaned) = clean(Kind::Mp4, &original).unwrap();
    assert!(cleaned.removed_metadata && !cleaned.removed_location);
    assert_eq!(find(&out, b"XMP-SECRET"), None);
    assert_eq!(out.len(), original.len());
}

#[test]
fn apple_location_keys_alone_count_as_a_location() {
    let mut original = mp4_with_location();
    let xyz = find(&original, b"\xA9xyz").unwrap();
    original[xyz + 1..xyz + 4].copy_from_slice(b"nam");
    let (out, cleaned) = clean(Kind::Mov, &original).unwrap();
    assert!(cleaned.removed_location);
    assert_eq!(find(&out, b"+40.7128"), None);
}

#[test]
fn iso_meta_full_boxes_are_walked() {
    let hdlr = full(b"hdlr", 0, &cat(&[vec![0; 4], b"mdir".to_vec(), vec![0; 13]]));
    let ilst = bx(b"ilst", &bx(b"\xA9nam", &full(b"data", 0, b"\0\0\0\x01TITLE-SECRET")));
    let meta = full(b"meta", 0, &cat(&[hdlr, ilst]));
    let original =
        cat(&[ftyp(b"M4A ", &[b"M4A "]), bx(b"moov", &bx(b"trak", &bx(b"udta", &meta))), bx(b"mdat", MEDIA)]);
    let (out, cleaned) = clean(Kind::M4a, &original).unwrap();
    assert!(cleaned.removed_metadata && !cleaned.removed_location);
    assert_eq!(find(&out, b"TITLE-SECRET"), None);
    assert_eq!(out.len(), original.len());
}
