use switchboard_media::{Kind, SNIFF_LEN, Sniff, sniff};

use crate::fixtures::*;

fn known(bytes: &[u8]) -> Option<Kind> {
    match sniff(bytes) {
        Sniff::Known(kind) => Some(kind),
        Sniff::Unknown => None,
    }
}

fn ebml(doc_type: &[u8]) -> Vec<u8> {
    let mut header = vec![0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x80 | doc_type.len() as u8];
    header.extend(doc_type);
    let mut out = vec![0x1A, 0x45, 0xDF, 0xA3, 0x80 | header.len() as u8];
    out.extend(header);
    out.extend([0x18, 0x53, 0x80, 0x67, 0x01, 0, 0, 0, 0, 0, 0, 0]);
    out
}

/// Two MPEG-1 Layer III frames at 128 kbit/s, 44.1 kHz (417 bytes each).
fn mp3_frames() -> Vec<u8> {
    let mut frame = vec![0xFF, 0xFB, 0x90, 0x64];
    frame.resize(417, 0x55);
    frame.repeat(2)
}

/// Two ADTS frames of 32 bytes each.
fn adts_frames() -> Vec<u8> {
    let len = 32u16;
    let mut frame =
        vec![0xFF, 0xF1, 0x50, 0x80 | (len >> 11) as u8, (len >> 3) as u8, ((len & 7) << 5) as u8 | 0x1F, 0xFC];
    frame.resize(32, 0x21);
    frame.repeat(2)
}

#[test]
fn every_kind_is_known_by_its_bytes() {
    let cases: Vec<(Vec<u8>, Kind)> = vec![
        (encode_jpeg(&picture(8, 8)), Kind::Jpeg),
        (encode_png_rgb(&picture(8, 8)), Kind::Png),
        (heic(0).0, Kind::Heic),
        (ftyp(b"mif1", &[b"mif1", b"heic"]), Kind::Heic),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj".to_vec(), Kind::Pdf),
        (b"Dear doctor,\r\n\tthe rash is better.\x0c\n".to_vec(), Kind::Text),
        ("\u{feff}caf\u{e9} na\u{ef}ve 2 < 3".as_bytes().to_vec(), Kind::Text),
        (mp4_with_location(), Kind::Mp4),
        (ftyp(b"mp42", &[b"isom", b"avc1"]), Kind::Mp4),
        (ftyp(b"qt  ", &[b"qt  "]), Kind::Mov),
        (ftyp(b"M4A ", &[b"M4A ", b"mp42", b"isom"]), Kind::M4a),
        (ftyp(b"mp42", &[b"isom", b"M4A "]), Kind::M4a),
        (cat(&[ftyp(b"dash", &[b"iso6"]), full(b"hdlr", 0, &cat(&[vec![0; 4], b"soun".to_vec()]))]), Kind::M4a),
        (cat(&[ftyp(b"dash", &[b"iso6"]), full(b"hdlr", 0, &cat(&[vec![0; 4], b"vide".to_vec()]))]), Kind::Mp4),
        (adts_frames(), Kind::Aac),
        (mp3_frames(), Kind::Mp3),
        (cat(&[b"ID3\x04\0\0\0\0\0\x05".to_vec(), vec![0; 5], mp3_frames()]), Kind::Mp3),
        (cat(&[b"ID3\x04\0\0\0\0\0\x05".to_vec(), vec![0; 5], adts_frames()]), Kind::Aac),
        (ebml(b"webm"), Kind::Webm),
        (b"OggS\0\x02\0\0\0\0\0\0\0\0".to_vec(), Kind::Ogg),
    ];
    for (bytes, kind) in cases {
        assert_eq!(known(&bytes), Some(kind), "{kind:?}");
    }
}

#[test]
fn spoofs_and_unaccepted_kinds_are_unknown() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("html", b"<!DOCTYPE html><html><body>hi</body></html>".to_vec()),
        ("html after blank lines", b"\n\n   <html><script>alert(1)</script>".to_vec()),
        ("svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec()),
        ("xml", b"<?xml version=\"1.0\"?><svg/>".to_vec()),
        ("script inside text", b"Hello doctor\nsee <SCRIPT>alert(1)</script>".to_vec()),
        ("doctype inside text", b"hi\n<!DocType html>".to_vec()),
        ("svg after a bom", "\u{feff}  <svg/>".as_bytes().to_vec()),
        ("gif", b"GIF89a\x01\0\x01\0\x80\0\0".to_vec()),
        ("webp", b"RIFF\x24\0\0\0WEBPVP8 ".to_vec()),
        ("tiff", b"II*\0\x08\0\0\0".to_vec()),
        ("zip", b"PK\x03\x04\x14\0\0\0\x08\0".to_vec()),
        ("exe", b"MZ\x90\0\x03\0\0\0\x04\0".to_vec()),
        ("elf", b"\x7fELF\x02\x01\x01\0".to_vec()),
        ("rtf", b"{\\rtf1\\ansi\\deff0 {\\fonttbl}}".to_vec()),
        ("text with nul", b"hello\0world".to_vec()),
        ("text with escape", b"hello \x1b[31m red".to_vec()),
        ("invalid utf-8", b"caf\xe9 latin-1".to_vec()),
        ("only blanks", b"  \n\t ".to_vec()),
        ("matroska", ebml(b"matroska")),
        ("avif", ftyp(b"avif", &[b"avif", b"mif1", b"miaf"])),
        ("3gp", ftyp(b"3gp4", &[b"3gp4"])),
        ("bare ftyp", b"\0\0\0\x08ftyp".to_vec()),
        ("lone frame sync", vec![0xFF, 0xFB, 0x90, 0x64, 1, 2, 3, 4, 5, 6, 7, 8]),
    ];
    for (name, bytes) in cases {
        assert_eq!(sniff(&bytes), Sniff::Unknown, "{name}");
    }
}

#[test]
fn a_code_point_cut_by_the_head_is_still_text() {
    let mut text = "a".repeat(SNIFF_LEN - 1).into_bytes();
    text.extend("\u{e9}".as_bytes());
    assert_eq!(known(&text[..SNIFF_LEN]), Some(Kind::Text));
    // Markup past the head is not looked for.
    let mut long = "a".repeat(SNIFF_LEN).into_bytes();
    long.extend(b"<script>");
    assert_eq!(known(&long), Some(Kind::Text));
}

#[test]
fn short_files_are_decided_from_what_there_is() {
    assert_eq!(known(b"ok"), Some(Kind::Text));
    assert_eq!(known(&[0xFF, 0xD8, 0xFF]), Some(Kind::Jpeg));
    assert_eq!(known(&[0xFF, 0xD8]), None);
}

proptest::proptest! {
    #[test]
    fn sniff_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
        let _ = sniff(&bytes);
    }

    #[test]
    fn sniff_never_panics_on_damaged_headers(cut in 0usize..200, flip in 0usize..200, value in proptest::num::u8::ANY) {
        for mut bytes in [heic(0).0, mp4_with_location(), ebml(b"webm"), mp3_frames(), adts_frames()] {
            if let Some(b) = bytes.get_mut(flip) {
                *b = value;
            }
            bytes.truncate(cut);
            let _ = sniff(&bytes);
        }
    }
}
