//! JPEG: metadata segments removed losslessly, or, for a photo whose EXIF
//! says to turn it, the picture turned and re-encoded.
//!
//! Kept: the frame, tables, scans and restart markers; APP0 "JFIF"; APP2
//! "ICC_PROFILE" (colour, not personal data); APP14 "Adobe", which tells
//! decoders whether the components are YCbCr or RGB/CMYK, so dropping it
//! would change the colours of some files (it holds only a version and flags).
//! Dropped: every other APPn (EXIF, XMP and extended XMP, IPTC/Photoshop,
//! MPF, JFXX thumbnails, vendor blocks), COM, reserved JPGn markers, and
//! everything after the first image's EOI (MPF's second images and vendor
//! trailers, which carry their own EXIF).

use image::ImageFormat;

use crate::clean::Cleaned;
use crate::error::MediaError;
use crate::exif::{self, ExifFacts};
use crate::raster;

pub(crate) fn clean(input: &[u8]) -> Result<(Vec<u8>, Cleaned), MediaError> {
    let parsed = strip(input)?;
    let mut removed_metadata = parsed.removed;
    let (bytes, picture) = match parsed.exif.orientation {
        Some(turn @ 2..=8) => {
            let mut picture = raster::decode(&parsed.out, ImageFormat::Jpeg)?;
            raster::orient(&mut picture, turn);
            removed_metadata = true;
            (raster::encode_jpeg(&picture, raster::PHOTO_QUALITY, parsed.icc)?, picture)
        }
        _ => {
            let picture = raster::decode(&parsed.out, ImageFormat::Jpeg)?;
            (parsed.out, picture)
        }
    };
    let preview = raster::preview(&picture)?;
    Ok((bytes, Cleaned { removed_location: parsed.exif.location, removed_metadata, preview: Some(preview) }))
}

struct Stripped {
    out: Vec<u8>,
    removed: bool,
    exif: ExifFacts,
    icc: Option<Vec<u8>>,
}

const SOS: u8 = 0xDA;
const EOI: u8 = 0xD9;

/// Copies the segments worth keeping; reads the first EXIF block's facts
/// (and whether any EXIF block had a location) on the way.
fn strip(input: &[u8]) -> Result<Stripped, MediaError> {
    let Some(mut rest) = input.strip_prefix(&[0xFF, 0xD8]) else { return Err(MediaError::Damaged) };
    let mut out = Vec::with_capacity(input.len());
    out.extend([0xFF, 0xD8]);
    let mut removed = false;
    let mut exif: Option<ExifFacts> = None;
    let mut location = false;
    let mut icc: Vec<(u8, &[u8])> = Vec::new();
    let (mut frame, mut scan) = (false, false);
    loop {
        let Some(after_ff) = rest.strip_prefix(&[0xFF]) else { return Err(MediaError::Damaged) };
        // Fill bytes may pad before any marker.
        let after_fill = skip_fill(after_ff);
        let (&marker, after_marker) = after_fill.split_first().ok_or(MediaError::Damaged)?;
        rest = after_marker;
        match marker {
            EOI => {
                out.extend([0xFF, EOI]);
                break;
            }
            0xD0..=0xD7 | 0x01 => {
                out.extend([0xFF, marker]);
                continue;
            }
            0x00 | 0x02..=0xBF => return Err(MediaError::Damaged),
            _ => {}
        }
        let len_bytes: [u8; 2] = rest.get(..2).and_then(|b| b.try_into().ok()).ok_or(MediaError::Damaged)?;
        let len = usize::from(u16::from_be_bytes(len_bytes));
        if len < 2 {
            return Err(MediaError::Damaged);
        }
        let (segment, after) = rest.split_at_checked(len).ok_or(MediaError::Damaged)?;
        let payload = segment.get(2..).unwrap_or_default();
        rest = after;
        let keep = match marker {
            0xE0 => payload.starts_with(b"JFIF\0"),
            0xE1 => {
                if let Some(tiff) = payload.strip_prefix(b"Exif\0\0") {
                    let facts = exif::facts(tiff);
                    location |= facts.location;
                    exif.get_or_insert(facts);
                }
                false
            }
            0xE2 => match payload.strip_prefix(b"ICC_PROFILE\0") {
                Some(chunk) => {
                    if let Some((&seq, data)) = chunk.split_first().and_then(|(seq, r)| Some((seq, r.get(1..)?))) {
                        icc.push((seq, data));
                    }
                    true
                }
                None => false,
            },
            0xEE => payload.starts_with(b"Adobe"),
            0xE3..=0xED | 0xEF | 0xF0..=0xFE => false,
            _ => true,
        };
        if keep {
            out.extend([0xFF, marker]);
            out.extend_from_slice(segment);
        } else {
            removed = true;
        }
        frame |= matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if marker == SOS {
            if !frame {
                return Err(MediaError::Damaged);
            }
            scan = true;
            let end = entropy_end(rest).ok_or(MediaError::Damaged)?;
            let (data, after) = rest.split_at_checked(end).ok_or(MediaError::Damaged)?;
            out.extend_from_slice(data);
            rest = after;
        }
    }
    if !scan {
        return Err(MediaError::Damaged);
    }
    removed |= !rest.is_empty();
    let mut facts = exif.unwrap_or_default();
    facts.location = location;
    Ok(Stripped { out, removed, exif: facts, icc: assemble(icc) })
}

/// Where the entropy-coded data after a scan header ends: at the first
/// marker that is not a stuffed zero or a restart marker.
fn entropy_end(data: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        let found = data.get(at..)?.iter().position(|b| *b == 0xFF)?;
        let ff = at + found;
        match data.get(ff + 1)? {
            0x00 | 0xD0..=0xD7 => at = ff + 2,
            // A fill byte: the marker starts at the last 0xFF.
            0xFF => at = ff + 1,
            _ => return Some(ff),
        }
    }
}

/// The ICC profile from its numbered chunks, when they are complete.
fn assemble(mut chunks: Vec<(u8, &[u8])>) -> Option<Vec<u8>> {
    chunks.sort_by_key(|(seq, _)| *seq);
    let consecutive = chunks.iter().enumerate().all(|(i, (seq, _))| usize::from(*seq) == i + 1);
    (consecutive && !chunks.is_empty()).then(|| chunks.iter().flat_map(|(_, data)| data.iter().copied()).collect())
}

fn skip_fill(bytes: &[u8]) -> &[u8] {
    let fill = bytes.iter().take_while(|b| **b == 0xFF).count();
    bytes.get(fill..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_data_runs_past_stuffing_and_restarts() {
        assert_eq!(entropy_end(&[1, 0xFF, 0x00, 2, 0xFF, 0xD3, 3, 0xFF, 0xD9]), Some(7));
        assert_eq!(entropy_end(&[1, 0xFF, 0xFF, 0xD9]), Some(2));
        assert_eq!(entropy_end(&[1, 2, 3]), None);
    }

    #[test]
    fn icc_chunks_join_in_order_or_not_at_all() {
        assert_eq!(assemble(vec![(2, b"cd"), (1, b"ab")]), Some(b"abcd".to_vec()));
        assert_eq!(assemble(vec![(1, b"ab"), (3, b"cd")]), None);
        assert_eq!(assemble(vec![]), None);
    }

    #[test]
    fn a_file_without_a_scan_is_damaged() {
        assert_eq!(strip(&[0xFF, 0xD8, 0xFF, 0xD9]).err(), Some(MediaError::Damaged));
        assert_eq!(strip(b"not a jpeg").err(), Some(MediaError::Damaged));
    }
}
