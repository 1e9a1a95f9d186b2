use switchboard_media::{Cleaner, Kind, MediaError};

use crate::fixtures::*;

#[test]
fn documents_and_audio_pass_unchanged() {
    let bytes = b"%PDF-1.7\n\0\x01\x02 binary \xff".to_vec();
    for kind in [Kind::Pdf, Kind::Aac, Kind::Mp3, Kind::Webm, Kind::Ogg] {
        let (out, cleaned) = clean(kind, &bytes).unwrap();
        assert_eq!(out, bytes);
        assert!(!cleaned.removed_location && !cleaned.removed_metadata && cleaned.preview.is_none());
    }
}

#[test]
fn text_is_checked_to_its_end() {
    let mut text = "Dear doctor \u{1F44B}\n".repeat(500).into_bytes();
    let (out, _) = clean(Kind::Text, &text).unwrap();
    assert_eq!(out, text);
    // A binary file with a text-looking head.
    text.extend(b"\0\x01\x02\x03");
    assert_eq!(clean(Kind::Text, &text).err(), Some(MediaError::Damaged));
    let mut cleaner = Cleaner::new(Kind::Text, 1 << 20);
    let mut out = Vec::new();
    cleaner.push("fine \u{e9}".as_bytes(), &mut out).unwrap();
    cleaner.push(&[0xE2, 0x82], &mut out).unwrap();
    assert_eq!(cleaner.finish(&mut out).err(), Some(MediaError::Damaged));
}

#[test]
fn errors_have_stable_codes_and_say_nothing_of_the_file() {
    for (error, code) in [
        (MediaError::Damaged, "damaged"),
        (MediaError::TooComplex, "too_complex"),
        (MediaError::TooLarge, "too_large"),
        (MediaError::Encode, "encode_failed"),
    ] {
        assert_eq!(error.code(), code);
        assert!(!error.to_string().is_empty());
    }
}
