//! MP4, QuickTime and M4A: cleaned as they stream. Media data (`mdat`) and
//! padding (`free`, `skip`, `wide`) pass straight through; every other
//! top-level box is held whole (at most [`MAX_HELD`] bytes) and cleaned.
//!
//! Inside `moov` (through `trak`, `udta` and `meta`), user data that can
//! name a place or a device is neutralised in place (renamed `free` and
//! zeroed, its size kept, so the chunk offsets in `stco`/`co64` stay valid):
//! every `©xyz`-style atom of `udta`, 3GPP `loci`, QuickTime `XMP_`, XMP
//! `uuid` boxes, and every non-empty `ilst` (Apple's
//! `com.apple.quicktime.location.ISO6709` and friends, the make, model and
//! creation date, iTunes-style tags: nothing a player needs).

use crate::clean::Cleaned;
use crate::error::MediaError;
use crate::isobmff::{self, Child, FourCc, Header};

/// The largest top-level box other than media data held to be cleaned.
pub(crate) const MAX_HELD: u64 = 16 * 1024 * 1024;

/// What cleaning found and removed.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Found {
    pub location: bool,
    pub metadata: bool,
}

pub(crate) struct Stream {
    state: State,
    limit: u64,
    boxes: u64,
    found: Found,
}

enum State {
    /// Collecting a top-level box header.
    Header(Vec<u8>),
    /// Passing through this many more bytes of media data or padding.
    Pass(u64),
    /// Passing through media data that runs to the end of the file.
    PassToEnd,
    /// Holding a box of this size until it is whole.
    Hold(Vec<u8>, u64),
    /// Holding a box that runs to the end of the file.
    HoldToEnd(Vec<u8>),
}

fn passes(kind: &FourCc) -> bool {
    matches!(kind, b"mdat" | b"free" | b"skip" | b"wide")
}

impl Stream {
    pub(crate) fn new(max_len: u64) -> Stream {
        Stream { state: State::Header(Vec::new()), limit: max_len.min(MAX_HELD), boxes: 0, found: Found::default() }
    }

    pub(crate) fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), MediaError> {
        while !input.is_empty() {
            match &mut self.state {
                State::Header(buf) => {
                    let need = if buf.get(..4) == Some(&[0, 0, 0, 1]) { 16 } else { 8 };
                    let (take, rest) = input.split_at(input.len().min(need - buf.len().min(need)));
                    buf.extend_from_slice(take);
                    input = rest;
                    if let Some(header) = isobmff::header(buf)? {
                        let bytes = std::mem::take(buf);
                        self.begin(header, bytes, out)?;
                    }
                }
                State::Pass(remaining) => {
                    let n = usize::try_from(*remaining).unwrap_or(usize::MAX).min(input.len());
                    let (take, rest) = input.split_at(n);
                    out.extend_from_slice(take);
                    input = rest;
                    *remaining -= n as u64;
                    if *remaining == 0 {
                        self.state = State::Header(Vec::new());
                    }
                }
                State::PassToEnd => {
                    out.extend_from_slice(input);
                    input = &[];
                }
                State::Hold(buf, size) => {
                    let missing = usize::try_from(*size - buf.len() as u64).unwrap_or(usize::MAX);
                    let (take, rest) = input.split_at(missing.min(input.len()));
                    buf.extend_from_slice(take);
                    input = rest;
                    if buf.len() as u64 == *size {
                        let mut held = std::mem::take(buf);
                        clean_top(&mut held, &mut self.found)?;
                        out.extend_from_slice(&held);
                        self.state = State::Header(Vec::new());
                    }
                }
                State::HoldToEnd(buf) => {
                    if (buf.len() + input.len()) as u64 > self.limit {
                        return Err(self.too_big());
                    }
                    buf.extend_from_slice(input);
                    input = &[];
                }
            }
        }
        Ok(())
    }

    /// A top-level box's header is complete: pass it or start holding it.
    fn begin(&mut self, header: Header, bytes: Vec<u8>, out: &mut Vec<u8>) -> Result<(), MediaError> {
        self.boxes += 1;
        let rest = header.size.map(|size| size - header.len as u64);
        self.state = match (passes(&header.kind), rest) {
            (true, None) => {
                out.extend_from_slice(&bytes);
                State::PassToEnd
            }
            (true, Some(0)) => {
                out.extend_from_slice(&bytes);
                State::Header(Vec::new())
            }
            (true, Some(rest)) => {
                out.extend_from_slice(&bytes);
                State::Pass(rest)
            }
            (false, None) => State::HoldToEnd(bytes),
            (false, Some(_)) => {
                let size = header.size.unwrap_or_default();
                if size > self.limit {
                    return Err(self.too_big());
                }
                if size == bytes.len() as u64 {
                    let mut held = bytes;
                    clean_top(&mut held, &mut self.found)?;
                    out.extend_from_slice(&held);
                    State::Header(Vec::new())
                } else {
                    State::Hold(bytes, size)
                }
            }
        };
        Ok(())
    }

    fn too_big(&self) -> MediaError {
        if self.limit < MAX_HELD { MediaError::TooLarge } else { MediaError::TooComplex }
    }

    pub(crate) fn finish(self, out: &mut Vec<u8>) -> Result<Cleaned, MediaError> {
        let mut found = self.found;
        match self.state {
            State::Header(buf) if buf.is_empty() && self.boxes > 0 => {}
            State::PassToEnd => {}
            State::HoldToEnd(mut held) => {
                clean_top(&mut held, &mut found)?;
                out.extend_from_slice(&held);
            }
            _ => return Err(MediaError::Damaged),
        }
        Ok(Cleaned { removed_location: found.location, removed_metadata: found.metadata, preview: None })
    }
}

/// Cleans one whole top-level box in place.
fn clean_top(bytes: &mut [u8], found: &mut Found) -> Result<(), MediaError> {
    let header = isobmff::header(bytes)?.ok_or(MediaError::Damaged)?;
    if isobmff::is_xmp_uuid(bytes, &header) {
        isobmff::neutralise(bytes, header.len);
        found.metadata = true;
        return Ok(());
    }
    let content = bytes.get_mut(header.len..).ok_or(MediaError::Damaged)?;
    match &header.kind {
        b"moov" => walk(content, Parent::Container, found),
        b"meta" => meta(content, found),
        _ => Ok(()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Parent {
    /// `moov` or `trak`: only their user data and metadata are looked into.
    Container,
    Udta,
}

fn walk(content: &mut [u8], parent: Parent, found: &mut Found) -> Result<(), MediaError> {
    for child in isobmff::children(content)? {
        let bytes = content.get_mut(child.start..child.end).ok_or(MediaError::Damaged)?;
        let header = child.header;
        if isobmff::is_xmp_uuid(bytes, &header) {
            neutralise(bytes, &child, found);
            continue;
        }
        match (parent, &header.kind) {
            (Parent::Container, b"trak") => walk(inner(bytes, &header)?, Parent::Container, found)?,
            (_, b"udta") => walk(inner(bytes, &header)?, Parent::Udta, found)?,
            (_, b"meta") => meta(inner(bytes, &header)?, found)?,
            (Parent::Udta, [0xA9, ..] | b"loci" | b"XMP_") => {
                found.location |= matches!(&header.kind, b"\xA9xyz" | b"loci");
                neutralise(bytes, &child, found);
            }
            _ => {}
        }
    }
    Ok(())
}

fn inner<'a>(bytes: &'a mut [u8], header: &Header) -> Result<&'a mut [u8], MediaError> {
    bytes.get_mut(header.len..).ok_or(MediaError::Damaged)
}

fn neutralise(bytes: &mut [u8], child: &Child, found: &mut Found) {
    isobmff::neutralise(bytes, child.header.len);
    found.metadata = true;
}

/// A `meta` box's content: ISO's is a full box (four bytes of version and
/// flags before its children), QuickTime's is not.
fn meta(content: &mut [u8], found: &mut Found) -> Result<(), MediaError> {
    const FIRST: [&[u8; 4]; 6] = [b"hdlr", b"keys", b"ilst", b"free", b"xml ", b"uuid"];
    let quicktime = content.get(4..8).is_some_and(|t| FIRST.iter().any(|f| &f[..] == t));
    let children = if quicktime { content } else { content.get_mut(4..).ok_or(MediaError::Damaged)? };
    let boxes = isobmff::children(children)?;
    let location_keys = boxes
        .iter()
        .find(|c| &c.header.kind == b"keys")
        .map(|keys| location_keys(children.get(keys.content_start()..keys.end).unwrap_or_default()))
        .unwrap_or_default();
    for child in boxes {
        let bytes = children.get_mut(child.start..child.end).ok_or(MediaError::Damaged)?;
        let xmp = isobmff::is_xmp_uuid(bytes, &child.header) || &child.header.kind == b"xml ";
        if &child.header.kind == b"ilst" {
            let items = isobmff::children(bytes.get(child.header.len..).unwrap_or_default())?;
            if items.is_empty() {
                continue;
            }
            found.location |= items.iter().any(|item| {
                &item.header.kind == b"\xA9xyz" || location_keys.contains(&u32::from_be_bytes(item.header.kind))
            });
            neutralise(bytes, &child, found);
        } else if xmp {
            neutralise(bytes, &child, found);
        }
    }
    Ok(())
}

/// The 1-based indexes of the `keys` entries that name a location
/// (`com.apple.quicktime.location.ISO6709`, `….location.name`, …).
fn location_keys(keys: &[u8]) -> Vec<u32> {
    let mut out = Vec::new();
    // Version and flags, then the entry count.
    let mut rest = keys.get(8..).unwrap_or_default();
    let mut index = 1u32;
    while let Some((size, after)) = rest.split_first_chunk::<4>() {
        let size = u32::from_be_bytes(*size) as usize;
        let Some(entry) = rest.get(..size).filter(|_| size >= 8) else { break };
        // Namespace, then the key's name.
        let name = entry.get(8..).unwrap_or_default();
        if name.windows(8).any(|w| w.eq_ignore_ascii_case(b"location")) {
            out.push(index);
        }
        rest = after.get(size - 4..).unwrap_or_default();
        index += 1;
    }
    out
}
