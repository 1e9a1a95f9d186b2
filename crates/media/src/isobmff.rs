//! ISO base media file format boxes (MP4, QuickTime, M4A, HEIF): headers,
//! walking a box's children, and neutralising a box in place.

use crate::error::MediaError;

pub(crate) type FourCc = [u8; 4];

/// A box header as written: the type, how many bytes the header takes (8,
/// or 16 with a 64-bit size), and the whole box's size (None: to the end of
/// what contains it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub kind: FourCc,
    pub len: usize,
    pub size: Option<u64>,
}

/// The header at the start of `bytes`; `Ok(None)` when more bytes are needed.
pub(crate) fn header(bytes: &[u8]) -> Result<Option<Header>, MediaError> {
    let Some((size32, rest)) = bytes.split_first_chunk::<4>() else { return Ok(None) };
    let Some((kind, rest)) = rest.split_first_chunk::<4>() else { return Ok(None) };
    let header = match u32::from_be_bytes(*size32) {
        0 => Header { kind: *kind, len: 8, size: None },
        1 => {
            let Some((large, _)) = rest.split_first_chunk::<8>() else { return Ok(None) };
            let size = u64::from_be_bytes(*large);
            if size < 16 {
                return Err(MediaError::Damaged);
            }
            Header { kind: *kind, len: 16, size: Some(size) }
        }
        size if size < 8 => return Err(MediaError::Damaged),
        size => Header { kind: *kind, len: 8, size: Some(u64::from(size)) },
    };
    Ok(Some(header))
}

/// One child box inside a parent's content: where it starts, its header,
/// and where it ends (all relative to the content).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Child {
    pub start: usize,
    pub header: Header,
    pub end: usize,
}

impl Child {
    pub fn content_start(&self) -> usize {
        self.start + self.header.len
    }
}

/// The boxes that make up `content`, in order. A trailing run of fewer than
/// eight zero bytes (QuickTime's optional terminator) ends the list.
pub(crate) fn children(content: &[u8]) -> Result<Vec<Child>, MediaError> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < content.len() {
        let rest = content.get(at..).unwrap_or_default();
        let Some(header) = header(rest)? else {
            if rest.iter().all(|b| *b == 0) {
                break;
            }
            return Err(MediaError::Damaged);
        };
        let len = match header.size {
            None => rest.len(),
            Some(size) => usize::try_from(size).map_err(|_| MediaError::Damaged)?,
        };
        if len > rest.len() || len < header.len {
            return Err(MediaError::Damaged);
        }
        out.push(Child { start: at, header, end: at + len });
        at += len;
    }
    Ok(out)
}

/// Renames the box that fills `bytes` to `free` and zeroes its content,
/// keeping its size, so every offset in the file stays valid.
pub(crate) fn neutralise(bytes: &mut [u8], header_len: usize) {
    if let Some(kind) = bytes.get_mut(4..8) {
        kind.copy_from_slice(b"free");
    }
    if let Some(content) = bytes.get_mut(header_len..) {
        content.fill(0);
    }
}

/// The user type of `uuid` boxes that carry XMP.
const XMP_UUID: [u8; 16] =
    [0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC];

/// Whether this box (the whole of `bytes`) is a `uuid` box of XMP.
pub(crate) fn is_xmp_uuid(bytes: &[u8], header: &Header) -> bool {
    &header.kind == b"uuid" && bytes.get(header.len..header.len + 16) == Some(&XMP_UUID[..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_read_all_three_sizes() {
        assert_eq!(header(b"\0\0\0\x10moov").unwrap(), Some(Header { kind: *b"moov", len: 8, size: Some(16) }));
        assert_eq!(header(b"\0\0\0\0mdat").unwrap(), Some(Header { kind: *b"mdat", len: 8, size: None }));
        assert_eq!(header(b"\0\0\0\x01mdat\0\0\0\0").unwrap(), None);
        assert_eq!(
            header(b"\0\0\0\x01mdat\0\0\0\x01\0\0\0\0").unwrap(),
            Some(Header { kind: *b"mdat", len: 16, size: Some(1 << 32) })
        );
        assert_eq!(header(b"\0\0\0\x04free"), Err(MediaError::Damaged));
        assert_eq!(header(b"\0\0\0"), Ok(None));
    }

    #[test]
    fn children_must_fit() {
        assert!(children(b"\0\0\0\x09free").is_err());
        assert_eq!(children(b"\0\0\0\x08free\0\0\0\0").unwrap().len(), 1);
    }
}
