//! What a file is, from its first bytes alone. Names and claimed types are
//! never consulted here (`claims` compares them afterwards).

use crate::kind::Kind;

/// How many leading bytes [`sniff`] wants. It decides from fewer when the
/// whole file is shorter.
pub const SNIFF_LEN: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniff {
    Known(Kind),
    Unknown,
}

/// What the leading bytes of a file say it is, by magic bytes only.
pub fn sniff(head: &[u8]) -> Sniff {
    let head = head.get(..SNIFF_LEN).unwrap_or(head);
    match detect(head) {
        Some(kind) => Sniff::Known(kind),
        None => Sniff::Unknown,
    }
}

fn detect(head: &[u8]) -> Option<Kind> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Kind::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Kind::Png);
    }
    if head.starts_with(b"%PDF-") {
        return Some(Kind::Pdf);
    }
    if head.starts_with(b"OggS\0") {
        return Some(Kind::Ogg);
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return webm(head);
    }
    if head.get(4..8) == Some(b"ftyp") {
        return isobmff(head);
    }
    if let Some(kind) = mpeg_audio(head) {
        return Some(kind);
    }
    // RTF is text that word processors run as a document (with objects and links).
    if head.starts_with(b"{\\rtf") {
        return None;
    }
    if is_text(head) {
        return Some(Kind::Text);
    }
    None
}

/// ISO base media: the `ftyp` box's major brand, then its compatible brands.
fn isobmff(head: &[u8]) -> Option<Kind> {
    let size = u32::from_be_bytes(head.get(..4)?.try_into().ok()?) as usize;
    if size < 16 {
        return None;
    }
    let body = head.get(8..size.min(head.len()))?;
    let major: [u8; 4] = body.get(..4)?.try_into().ok()?;
    let compatible: Vec<[u8; 4]> =
        body.get(8..).unwrap_or_default().chunks_exact(4).filter_map(|c| c.try_into().ok()).collect();
    let all = || std::iter::once(&major).chain(compatible.iter());
    const HEIF: [&[u8; 4]; 8] = [b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"];
    const HEVC: [&[u8; 4]; 6] = [b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"];
    const AVIF: [&[u8; 4]; 3] = [b"avif", b"avis", b"avio"];
    // AVIF shares HEIF's container and its generic `mif1` brand, but is not accepted.
    if all().any(|b| AVIF.contains(&b)) && !all().any(|b| HEVC.contains(&b)) {
        return None;
    }
    if all().any(|b| HEIF.contains(&b)) {
        return Some(Kind::Heic);
    }
    if let Some(kind) = brand(&major, head) {
        // A generic major brand may be refined by an audio-only compatible brand.
        if kind == Kind::Mp4 && compatible.iter().any(|b| matches!(b, b"M4A " | b"M4B ")) {
            return Some(Kind::M4a);
        }
        return Some(kind);
    }
    compatible.iter().find_map(|b| brand(b, head))
}

fn brand(brand: &[u8; 4], head: &[u8]) -> Option<Kind> {
    match brand {
        b"qt  " => Some(Kind::Mov),
        b"M4A " | b"M4B " => Some(Kind::M4a),
        b"isom" | b"iso2" | b"iso3" | b"iso4" | b"iso5" | b"iso6" | b"iso7" | b"iso8" | b"iso9" | b"mp41" | b"mp42"
        | b"avc1" | b"M4V " | b"MSNV" => Some(Kind::Mp4),
        // DASH is used for both; a head whose handlers are all sound is audio.
        b"dash" => Some(if handler(head, b"soun") && !handler(head, b"vide") { Kind::M4a } else { Kind::Mp4 }),
        _ => None,
    }
}

/// Whether an `hdlr` box naming this handler type appears in the head.
fn handler(head: &[u8], kind: &[u8; 4]) -> bool {
    head.windows(16).any(|w| w.get(..4) == Some(b"hdlr") && w.get(12..16) == Some(kind))
}

/// WebM is Matroska whose EBML header says DocType "webm"; other Matroska is refused.
fn webm(head: &[u8]) -> Option<Kind> {
    let (_, rest) = head.split_at_checked(4)?;
    let (size, rest) = vint(rest)?;
    let header = rest.get(..usize::try_from(size).ok()?.min(rest.len()))?;
    let mut children = header;
    while !children.is_empty() {
        let (id, after_id) = element_id(children)?;
        let (len, after_len) = vint(after_id)?;
        let len = usize::try_from(len).ok()?;
        let (data, rest) = after_len.split_at_checked(len)?;
        if id == 0x4282 {
            return (data == b"webm").then_some(Kind::Webm);
        }
        children = rest;
    }
    None
}

/// An EBML element id: its length marker kept, as ids are written.
fn element_id(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let first = *bytes.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 4 {
        return None;
    }
    let (id, rest) = bytes.split_at_checked(len)?;
    Some((id.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b)), rest))
}

/// An EBML variable-length size: the length marker removed.
fn vint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let first = *bytes.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let (raw, rest) = bytes.split_at_checked(len)?;
    let mask = if len == 8 { 0 } else { 0xFFu8 >> len };
    let value = raw.iter().skip(1).fold(u64::from(first & mask), |acc, b| acc << 8 | u64::from(*b));
    Some((value, rest))
}

/// MP3 (an ID3 tag or a Layer III frame) or AAC in ADTS frames.
fn mpeg_audio(head: &[u8]) -> Option<Kind> {
    let mut at = 0usize;
    if head.starts_with(b"ID3") {
        let size = head.get(6..10)?;
        if size.iter().any(|b| b & 0x80 != 0) {
            return None;
        }
        let len = size.iter().fold(0usize, |acc, b| acc << 7 | usize::from(*b));
        let footer = if head.get(5).is_some_and(|flags| flags & 0x10 != 0) { 10 } else { 0 };
        at = 10 + len + footer;
        if at >= head.len() {
            // The tag outlasts the head; ID3 is MP3's tag (AAC files rarely carry one).
            return Some(Kind::Mp3);
        }
    }
    let frames = head.get(at..)?;
    let full = head.len() >= SNIFF_LEN;
    if adts_frames(frames, full) {
        Some(Kind::Aac)
    } else if mp3_frames(frames, full) {
        Some(Kind::Mp3)
    } else {
        None
    }
}

/// One ADTS frame header, then another where the first says it ends. When
/// the head stops before that, the file must be one whole frame, or the
/// head a full [`SNIFF_LEN`] (so the file goes on past it).
fn adts_frames(bytes: &[u8], full: bool) -> bool {
    adts_frame(bytes).is_some_and(|len| followed(bytes, len, 7, full, adts_frame))
}

fn followed(bytes: &[u8], len: usize, header: usize, full: bool, frame: fn(&[u8]) -> Option<usize>) -> bool {
    match bytes.get(len..) {
        Some([]) => true,
        Some(next) if next.len() >= header => frame(next).is_some(),
        _ => full,
    }
}

fn adts_frame(bytes: &[u8]) -> Option<usize> {
    let h: [u8; 7] = bytes.get(..7)?.try_into().ok()?;
    let [b0, b1, b2, b3, b4, b5, _] = h;
    if b0 != 0xFF || b1 & 0xF6 != 0xF0 || (b2 >> 2) & 0x0F > 12 {
        return None;
    }
    let len = usize::from(b3 & 0x03) << 11 | usize::from(b4) << 3 | usize::from(b5 >> 5);
    (len >= 7).then_some(len)
}

fn mp3_frames(bytes: &[u8], full: bool) -> bool {
    mp3_frame(bytes).is_some_and(|len| followed(bytes, len, 4, full, mp3_frame))
}

/// The length of the MPEG audio Layer III frame whose header starts `bytes`.
fn mp3_frame(bytes: &[u8]) -> Option<usize> {
    let h: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    let [b0, b1, b2, _] = h;
    let version = (b1 >> 3) & 0x03; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    let layer = (b1 >> 1) & 0x03; // 1 = Layer III
    let bitrate_index = usize::from(b2 >> 4);
    let rate_index = usize::from((b2 >> 2) & 0x03);
    if b0 != 0xFF || b1 & 0xE0 != 0xE0 || version == 1 || layer != 1 || bitrate_index == 0 || bitrate_index == 15 {
        return None;
    }
    const V1: [u32; 15] = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
    const V2: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    const RATES: [u32; 3] = [44100, 48000, 32000];
    let mpeg1 = version == 3;
    let kbps = if mpeg1 { V1.get(bitrate_index)? } else { V2.get(bitrate_index)? };
    let base = *RATES.get(rate_index)?;
    let rate = match version {
        3 => base,
        2 => base / 2,
        _ => base / 4,
    };
    let coefficient = if mpeg1 { 144_000 } else { 72_000 };
    let padding = u32::from((b2 >> 1) & 0x01);
    let len = coefficient * kbps / rate + padding;
    usize::try_from(len).ok()
}

/// Plain text: UTF-8 without NUL or control characters (but tab, line breaks
/// and form feed), and not markup that a browser or viewer might run.
fn is_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A code point cut by the end of the head is fine; the cleaner checks the rest.
        Err(e) if e.error_len().is_none() => {
            head.get(..e.valid_up_to()).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default()
        }
        Err(_) => return false,
    };
    let text = valid.strip_prefix('\u{FEFF}').unwrap_or(valid);
    if !text.chars().all(text_char) {
        return false;
    }
    let content = text.trim_start();
    if content.is_empty() || content.starts_with('<') {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    !MARKUP.iter().any(|m| lower.contains(m))
}

const MARKUP: [&str; 10] =
    ["<script", "<html", "<svg", "<!doctype", "<?xml", "<iframe", "<object", "<embed", "<body", "<meta"];

/// The characters plain text may hold.
pub(crate) fn text_char(c: char) -> bool {
    !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vints_drop_their_marker() {
        assert_eq!(vint(&[0x81]), Some((1, &[][..])));
        assert_eq!(vint(&[0x40, 0x02, 9]), Some((2, &[9u8][..])));
        assert_eq!(vint(&[0x00]), None);
        assert_eq!(element_id(&[0x42, 0x82, 0x84]), Some((0x4282, &[0x84u8][..])));
    }

    #[test]
    fn mp3_frame_lengths_follow_bitrate_and_rate() {
        // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding: 417 bytes.
        assert_eq!(mp3_frame(&[0xFF, 0xFB, 0x90, 0x64]), Some(417));
        // Layer I is not MP3.
        assert_eq!(mp3_frame(&[0xFF, 0xFF, 0x90, 0x64]), None);
    }
}
