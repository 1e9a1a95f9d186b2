//! HEIC/HEIF: no pure-Rust decoder exists, so the picture is left exactly as
//! it is and only the metadata items are cleared: the data of every `Exif`
//! item and every XMP (`mime`, `application/rdf+xml`) item is overwritten
//! with zeros where `iloc` says it lies, every offset and size unchanged, and
//! top-level XMP `uuid` boxes are neutralised. No preview is made.
//!
//! Fails closed: a file whose `meta`, `iinf` or `iloc` cannot be read, or
//! whose metadata item lies anywhere but in the file or in `idat` (another
//! file, another item, or "to the end"), is `Damaged`, never stored as it is.
//! Image sequences (with a `moov`) are refused the same way.

use crate::clean::Cleaned;
use crate::error::MediaError;
use crate::exif;
use crate::isobmff::{self, Child, FourCc};

pub(crate) fn clean(mut file: Vec<u8>) -> Result<(Vec<u8>, Cleaned), MediaError> {
    let top = isobmff::children(&file)?;
    if top.first().map(|c| &c.header.kind) != Some(b"ftyp") || top.iter().any(|c| &c.header.kind == b"moov") {
        return Err(MediaError::Damaged);
    }
    let mut metas = top.iter().filter(|c| &c.header.kind == b"meta");
    let (Some(meta), None) = (metas.next(), metas.next()) else { return Err(MediaError::Damaged) };
    let mut removed_metadata = false;
    for child in &top {
        let bytes = file.get_mut(child.start..child.end).ok_or(MediaError::Damaged)?;
        if isobmff::is_xmp_uuid(bytes, &child.header) {
            isobmff::neutralise(bytes, child.header.len);
            removed_metadata = true;
        }
    }
    let ranges = metadata_ranges(&file, meta)?;
    let mut removed_location = false;
    for item in &ranges {
        if item.exif {
            let data: Vec<u8> =
                item.ranges.iter().flat_map(|r| file.get(r.clone()).unwrap_or_default().iter().copied()).collect();
            removed_location |= exif::facts(exif_tiff(&data)).location;
        }
        // Readers expect an Exif item to parse: it becomes an empty one
        // (no tags at all) padded with zeros; XMP becomes zeros.
        let len: usize = item.ranges.iter().map(|r| r.len()).sum();
        let mut replacement = vec![0u8; len];
        if item.exif && len >= EMPTY_EXIF.len() {
            replacement.get_mut(..EMPTY_EXIF.len()).ok_or(MediaError::Damaged)?.copy_from_slice(&EMPTY_EXIF);
        }
        let mut rest = replacement.as_slice();
        for range in &item.ranges {
            let (now, after) = rest.split_at_checked(range.len()).ok_or(MediaError::Damaged)?;
            file.get_mut(range.clone()).ok_or(MediaError::Damaged)?.copy_from_slice(now);
            rest = after;
            removed_metadata = true;
        }
    }
    Ok((file, Cleaned { removed_location, removed_metadata, preview: None }))
}

/// An `Exif` item with no tags: the offset to the TIFF header (0: it
/// follows at once), a little-endian TIFF header, and IFD0 with no entries
/// and no next IFD.
const EMPTY_EXIF: [u8; 18] = [0, 0, 0, 0, b'I', b'I', 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// The TIFF structure in an `Exif` item: after a 4-byte offset to it
/// (usually past "Exif\0\0").
fn exif_tiff(item: &[u8]) -> &[u8] {
    let Some((offset, rest)) = item.split_first_chunk::<4>() else { return &[] };
    let offset = u32::from_be_bytes(*offset) as usize;
    rest.get(offset..).filter(|t| t.starts_with(b"II") || t.starts_with(b"MM")).unwrap_or(exif::tiff_of(rest))
}

struct MetadataItem {
    exif: bool,
    ranges: Vec<std::ops::Range<usize>>,
}

/// Where, in the file, the Exif and XMP items' bytes lie.
fn metadata_ranges(file: &[u8], meta: &Child) -> Result<Vec<MetadataItem>, MediaError> {
    // `meta` is a full box: version and flags before its children.
    let base = meta.content_start() + 4;
    let content = file.get(base..meta.end).ok_or(MediaError::Damaged)?;
    let boxes = isobmff::children(content)?;
    let find = |kind: &FourCc| boxes.iter().find(|c| &c.header.kind == kind);
    let hdlr = find(b"hdlr").ok_or(MediaError::Damaged)?;
    if content.get(hdlr.content_start() + 8..hdlr.content_start() + 12) != Some(b"pict") {
        return Err(MediaError::Damaged);
    }
    let items = match find(b"iinf") {
        Some(iinf) => item_infos(content.get(iinf.content_start()..iinf.end).ok_or(MediaError::Damaged)?)?,
        None => Vec::new(),
    };
    let targets: Vec<(u32, bool)> = items
        .into_iter()
        .filter_map(|(id, kind, content_type)| match &kind {
            b"Exif" => Some((id, true)),
            b"mime" if content_type.trim_ascii().to_ascii_lowercase().starts_with(b"application/rdf+xml") => {
                Some((id, false))
            }
            _ => None,
        })
        .collect();
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let iloc = find(b"iloc").ok_or(MediaError::Damaged)?;
    let locations = locations(content.get(iloc.content_start()..iloc.end).ok_or(MediaError::Damaged)?)?;
    let idat = find(b"idat").map(|c| (base + c.content_start(), base + c.end));
    let mut out = Vec::new();
    for (id, exif) in targets {
        let location = locations.iter().find(|l| l.item == id).ok_or(MediaError::Damaged)?;
        if location.data_reference != 0 {
            return Err(MediaError::Damaged);
        }
        let (origin, limit) = match location.method {
            0 => (0, file.len()),
            1 => idat.ok_or(MediaError::Damaged)?,
            _ => return Err(MediaError::Damaged),
        };
        let mut ranges = Vec::new();
        for (offset, length) in &location.extents {
            let start = location.base.checked_add(*offset).and_then(|o| o.checked_add(origin as u64));
            let end = start.and_then(|s| s.checked_add(*length));
            let (Some(start), Some(end)) = (start, end) else { return Err(MediaError::Damaged) };
            let (start, end) = (usize::try_from(start), usize::try_from(end));
            let (Ok(start), Ok(end)) = (start, end) else { return Err(MediaError::Damaged) };
            if *length == 0 || end > limit {
                return Err(MediaError::Damaged);
            }
            ranges.push(start..end);
        }
        out.push(MetadataItem { exif, ranges });
    }
    Ok(out)
}

/// Reads big-endian fields from a box's content.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], MediaError> {
        let (head, rest) = self.0.split_at_checked(n).ok_or(MediaError::Damaged)?;
        self.0 = rest;
        Ok(head)
    }

    /// An unsigned number of 0, 1, 2, 4 or 8 bytes.
    fn uint(&mut self, n: usize) -> Result<u64, MediaError> {
        if n > 8 {
            return Err(MediaError::Damaged);
        }
        Ok(self.take(n)?.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b)))
    }

    fn u8(&mut self) -> Result<u8, MediaError> {
        Ok(self.uint(1)? as u8)
    }

    fn string(&mut self) -> Result<&'a [u8], MediaError> {
        let end = self.0.iter().position(|b| *b == 0).ok_or(MediaError::Damaged)?;
        let s = self.take(end)?;
        self.take(1)?;
        Ok(s)
    }
}

/// The items `iinf` lists: id, type, and (for `mime` items) content type.
fn item_infos(iinf: &[u8]) -> Result<Vec<(u32, FourCc, Vec<u8>)>, MediaError> {
    let mut r = Reader(iinf);
    let version = r.u8()?;
    r.take(3)?;
    let count = r.uint(if version == 0 { 2 } else { 4 })?;
    let entries = isobmff::children(r.0)?;
    let infes: Vec<_> = entries.iter().filter(|c| &c.header.kind == b"infe").collect();
    if infes.len() as u64 != count {
        return Err(MediaError::Damaged);
    }
    infes.into_iter().map(|c| item_info(r.0.get(c.content_start()..c.end).ok_or(MediaError::Damaged)?)).collect()
}

fn item_info(infe: &[u8]) -> Result<(u32, FourCc, Vec<u8>), MediaError> {
    let mut r = Reader(infe);
    let version = r.u8()?;
    r.take(3)?;
    let id = r.uint(if version >= 3 { 4 } else { 2 })? as u32;
    r.take(2)?; // protection index
    if version < 2 {
        // Before item types, every item was described by a content type.
        r.string()?;
        return Ok((id, *b"mime", r.string()?.to_vec()));
    }
    let kind: FourCc = r.take(4)?.try_into().map_err(|_| MediaError::Damaged)?;
    r.string()?; // name
    let content_type = if &kind == b"mime" { r.string()?.to_vec() } else { Vec::new() };
    Ok((id, kind, content_type))
}

struct Location {
    item: u32,
    method: u8,
    data_reference: u64,
    base: u64,
    extents: Vec<(u64, u64)>,
}

/// Every item's location in `iloc` (versions 0, 1 and 2).
fn locations(iloc: &[u8]) -> Result<Vec<Location>, MediaError> {
    let mut r = Reader(iloc);
    let version = r.u8()?;
    if version > 2 {
        return Err(MediaError::Damaged);
    }
    r.take(3)?;
    let sizes = r.u8()?;
    let (offset_size, length_size) = (usize::from(sizes >> 4), usize::from(sizes & 0x0F));
    let sizes = r.u8()?;
    let base_size = usize::from(sizes >> 4);
    let index_size = if version == 0 { 0 } else { usize::from(sizes & 0x0F) };
    if [offset_size, length_size, base_size, index_size].iter().any(|s| ![0, 4, 8].contains(s)) {
        return Err(MediaError::Damaged);
    }
    let count = r.uint(if version < 2 { 2 } else { 4 })?;
    let mut out = Vec::new();
    for _ in 0..count {
        let item = r.uint(if version < 2 { 2 } else { 4 })? as u32;
        let method = if version == 0 { 0 } else { (r.uint(2)? & 0x0F) as u8 };
        let data_reference = r.uint(2)?;
        let base = r.uint(base_size)?;
        let extent_count = r.uint(2)?;
        let mut extents = Vec::new();
        for _ in 0..extent_count {
            r.uint(index_size)?;
            let offset = r.uint(offset_size)?;
            let length = r.uint(length_size)?;
            extents.push((offset, length));
        }
        out.push(Location { item, method, data_reference, base, extents });
    }
    Ok(out)
}
