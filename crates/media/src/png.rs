//! PNG: ancillary chunks that are not about colour, transparency, pixel size
//! or animation are dropped (eXIf, tEXt, zTXt, iTXt, tIME and every unknown
//! one), each chunk's CRC checked on the way. A picture whose eXIf says to
//! turn it is turned and re-encoded (which keeps none of the chunks, colour
//! ones included: a rare case, traded for simplicity).

use image::ImageFormat;

use crate::clean::Cleaned;
use crate::error::MediaError;
use crate::exif;
use crate::raster;

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Chunks kept. Animation chunks stay so an animated PNG still animates.
const KEPT: [&[u8; 4]; 18] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"cICP", b"mDCV",
    b"cLLI", b"pHYs", b"bKGD", b"acTL", b"fcTL", b"fdAT",
];

pub(crate) fn clean(input: &[u8]) -> Result<(Vec<u8>, Cleaned), MediaError> {
    let mut rest = input.strip_prefix(SIGNATURE).ok_or(MediaError::Damaged)?;
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(SIGNATURE);
    let mut removed_metadata = false;
    let mut removed_location = false;
    let mut orientation = None;
    let mut first = true;
    loop {
        let (chunk, kind, data, after) = next_chunk(rest)?;
        rest = after;
        if first != (kind == b"IHDR") {
            return Err(MediaError::Damaged);
        }
        first = false;
        if KEPT.contains(&kind) {
            out.extend_from_slice(chunk);
        } else if kind.first().is_some_and(u8::is_ascii_uppercase) {
            // An unknown critical chunk: no decoder may show the picture.
            return Err(MediaError::Damaged);
        } else {
            removed_metadata = true;
            if kind == b"eXIf" {
                let facts = exif::facts(exif::tiff_of(data));
                removed_location |= facts.location;
                orientation = orientation.or(facts.orientation);
            }
        }
        if kind == b"IEND" {
            break;
        }
    }
    removed_metadata |= !rest.is_empty();
    let mut picture = raster::decode(&out, ImageFormat::Png)?;
    if let Some(turn @ 2..=8) = orientation {
        raster::orient(&mut picture, turn);
        out = raster::encode_png(&picture)?;
    }
    let preview = raster::preview(&picture)?;
    Ok((out, Cleaned { removed_location, removed_metadata, preview: Some(preview) }))
}

type Chunk<'a> = (&'a [u8], &'a [u8; 4], &'a [u8], &'a [u8]);

/// The next chunk: all its bytes, its type, its data, and what follows it.
fn next_chunk(bytes: &[u8]) -> Result<Chunk<'_>, MediaError> {
    let len: [u8; 4] = bytes.get(..4).and_then(|b| b.try_into().ok()).ok_or(MediaError::Damaged)?;
    let len = u32::from_be_bytes(len);
    if len > 0x7FFF_FFFF {
        return Err(MediaError::Damaged);
    }
    let total = usize::try_from(len).map_err(|_| MediaError::Damaged)?.checked_add(12).ok_or(MediaError::Damaged)?;
    let (chunk, rest) = bytes.split_at_checked(total).ok_or(MediaError::Damaged)?;
    let (body, crc) = chunk.split_at_checked(total - 4).ok_or(MediaError::Damaged)?;
    let typed = body.get(4..).ok_or(MediaError::Damaged)?;
    let (kind, data) = typed.split_first_chunk::<4>().ok_or(MediaError::Damaged)?;
    if !kind.iter().all(u8::is_ascii_alphabetic) || crc32(typed).to_be_bytes() != crc {
        return Err(MediaError::Damaged);
    }
    Ok((chunk, kind, data, rest))
}

// Indexing in a const block: an index out of range fails the build, never a run.
#[allow(clippy::indexing_slicing)]
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// The CRC-32 PNG uses (ISO 3309, as in zlib).
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(0xFFFF_FFFFu32, |c, b| {
        let index = usize::from((c as u8) ^ b);
        CRC_TABLE.get(index).copied().unwrap_or(0) ^ (c >> 8)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_iend_chunk() {
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn a_bad_crc_is_damage() {
        let mut chunk = 0u32.to_be_bytes().to_vec();
        chunk.extend(b"IEND");
        chunk.extend(0xAE42_6083u32.to_be_bytes());
        assert_eq!(next_chunk(&chunk).err(), Some(MediaError::Damaged));
    }
}
