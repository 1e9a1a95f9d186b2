//! A ZIP archive written as it goes (APPNOTE 6.3.x, "stored": no
//! compression, since the contents are PDFs, photos and JSON that are
//! already compact or small). Each entry's local header carries the
//! data-descriptor flag, so the bytes can be streamed without knowing their
//! size or CRC-32 first; the central directory at the end repeats them.
//! Pure: it returns the bytes to write, the caller writes them. No ZIP64:
//! an entry or the archive past 4 GiB is refused (`ZipError::TooLarge`).

/// Why an archive could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZipError {
    TooLarge,
    /// A name that is empty, too long, absolute, or climbs out (`..`).
    BadName,
    /// `data` or `end_entry` without an open entry, or a new entry before
    /// the last was ended.
    OutOfOrder,
}

/// CRC-32 (IEEE 802.3, reflected, as ZIP uses it).
#[derive(Clone, Copy, Debug)]
pub struct Crc32(u32);

// `i` runs below 256, the table's length; a const fn has no `get_mut`.
#[allow(clippy::indexing_slicing)]
const fn table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}
static TABLE: [u32; 256] = table();

impl Default for Crc32 {
    fn default() -> Self {
        Crc32(0xFFFF_FFFF)
    }
}

impl Crc32 {
    pub fn update(&mut self, data: &[u8]) {
        let mut c = self.0;
        for b in data {
            let i = usize::from((c as u8) ^ b);
            c = TABLE.get(i).copied().unwrap_or(0) ^ (c >> 8);
        }
        self.0 = c;
    }
    pub fn finish(self) -> u32 {
        self.0 ^ 0xFFFF_FFFF
    }
}

struct Entry {
    name: Vec<u8>,
    offset: u32,
    crc: u32,
    size: u32,
}

struct Open {
    name: Vec<u8>,
    offset: u32,
    crc: Crc32,
    size: u64,
}

/// An archive being written: `start_entry`, `data` (any number of times),
/// `end_entry`, …, `finish`. Every call returns the bytes to append.
#[derive(Default)]
pub struct ZipWriter {
    written: u64,
    entries: Vec<Entry>,
    open: Option<Open>,
}

/// Entry times: 1 January 1980, the format's earliest (the archive's own
/// manifest says when it was made).
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;
/// General purpose flags: bit 3 (sizes in the data descriptor), bit 11
/// (the name is UTF-8).
const FLAGS: u16 = (1 << 3) | (1 << 11);

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A name as an archive may hold it: relative, `/`-separated, no `..`.
pub fn name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.chars().any(char::is_control)
        && name.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
}

impl ZipWriter {
    pub fn new() -> Self {
        ZipWriter::default()
    }

    fn at(&self) -> Result<u32, ZipError> {
        u32::try_from(self.written).map_err(|_| ZipError::TooLarge)
    }

    fn count(&mut self, bytes: Vec<u8>) -> Vec<u8> {
        self.written = self.written.saturating_add(bytes.len() as u64);
        bytes
    }

    pub fn start_entry(&mut self, name: &str) -> Result<Vec<u8>, ZipError> {
        if self.open.is_some() {
            return Err(ZipError::OutOfOrder);
        }
        if !name_ok(name) {
            return Err(ZipError::BadName);
        }
        let offset = self.at()?;
        let name = name.as_bytes().to_vec();
        let mut h = Vec::with_capacity(30 + name.len());
        u32le(&mut h, 0x0403_4b50);
        u16le(&mut h, 20); // version needed: 2.0
        u16le(&mut h, FLAGS);
        u16le(&mut h, 0); // stored
        u16le(&mut h, DOS_TIME);
        u16le(&mut h, DOS_DATE);
        u32le(&mut h, 0); // crc, size, size: in the descriptor
        u32le(&mut h, 0);
        u32le(&mut h, 0);
        u16le(&mut h, u16::try_from(name.len()).map_err(|_| ZipError::BadName)?);
        u16le(&mut h, 0);
        h.extend_from_slice(&name);
        self.open = Some(Open { name, offset, crc: Crc32::default(), size: 0 });
        Ok(self.count(h))
    }

    /// The entry's bytes, as they come (returned unchanged, counted).
    pub fn data(&mut self, bytes: &[u8]) -> Result<(), ZipError> {
        let open = self.open.as_mut().ok_or(ZipError::OutOfOrder)?;
        open.crc.update(bytes);
        open.size = open.size.saturating_add(bytes.len() as u64);
        if open.size > u64::from(u32::MAX) {
            return Err(ZipError::TooLarge);
        }
        self.written = self.written.saturating_add(bytes.len() as u64);
        Ok(())
    }

    pub fn end_entry(&mut self) -> Result<Vec<u8>, ZipError> {
        let open = self.open.take().ok_or(ZipError::OutOfOrder)?;
        let crc = open.crc.finish();
        let size = u32::try_from(open.size).map_err(|_| ZipError::TooLarge)?;
        let mut d = Vec::with_capacity(16);
        u32le(&mut d, 0x0807_4b50);
        u32le(&mut d, crc);
        u32le(&mut d, size);
        u32le(&mut d, size);
        self.entries.push(Entry { name: open.name, offset: open.offset, crc, size });
        Ok(self.count(d))
    }

    /// The central directory and its end record.
    pub fn finish(mut self) -> Result<Vec<u8>, ZipError> {
        if self.open.is_some() {
            return Err(ZipError::OutOfOrder);
        }
        let start = self.at()?;
        let mut c = Vec::new();
        for e in &self.entries {
            u32le(&mut c, 0x0201_4b50);
            u16le(&mut c, 20); // made by: 2.0
            u16le(&mut c, 20);
            u16le(&mut c, FLAGS);
            u16le(&mut c, 0);
            u16le(&mut c, DOS_TIME);
            u16le(&mut c, DOS_DATE);
            u32le(&mut c, e.crc);
            u32le(&mut c, e.size);
            u32le(&mut c, e.size);
            u16le(&mut c, u16::try_from(e.name.len()).map_err(|_| ZipError::BadName)?);
            u16le(&mut c, 0); // extra
            u16le(&mut c, 0); // comment
            u16le(&mut c, 0); // disk
            u16le(&mut c, 0); // internal attributes
            u32le(&mut c, 0); // external attributes
            u32le(&mut c, e.offset);
            c.extend_from_slice(&e.name);
        }
        let size = u32::try_from(c.len()).map_err(|_| ZipError::TooLarge)?;
        let n = u16::try_from(self.entries.len()).map_err(|_| ZipError::TooLarge)?;
        u32le(&mut c, 0x0605_4b50);
        u16le(&mut c, 0);
        u16le(&mut c, 0);
        u16le(&mut c, n);
        u16le(&mut c, n);
        u32le(&mut c, size);
        u32le(&mut c, start);
        u16le(&mut c, 0);
        let total = self.written.saturating_add(c.len() as u64);
        if total > u64::from(u32::MAX) {
            return Err(ZipError::TooLarge);
        }
        Ok(self.count(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn crc32_of_the_check_string() {
        let mut c = Crc32::default();
        c.update(b"123456789");
        assert_eq!(c.finish(), 0xCBF4_3926);
    }

    #[test]
    fn names() {
        assert!(name_ok("files/01-photo.jpg"));
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", "a\\b", "a\nb"] {
            assert!(!name_ok(bad), "{bad:?}");
        }
        let mut z = ZipWriter::new();
        assert_eq!(z.start_entry("../x"), Err(ZipError::BadName));
        assert_eq!(z.data(b"x"), Err(ZipError::OutOfOrder));
    }

    /// Reads back what the writer made, by the central directory, the way
    /// an unzip tool does: every entry's bytes and CRC agree.
    fn read_back(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
        let eocd = archive.len() - 22;
        assert_eq!(&archive[eocd..eocd + 4], &[0x50, 0x4b, 0x05, 0x06]);
        let n = u16::from_le_bytes([archive[eocd + 10], archive[eocd + 11]]) as usize;
        let mut at = u32::from_le_bytes(archive[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
        let mut out = Vec::new();
        for _ in 0..n {
            assert_eq!(&archive[at..at + 4], &[0x50, 0x4b, 0x01, 0x02]);
            let crc = u32::from_le_bytes(archive[at + 16..at + 20].try_into().unwrap());
            let size = u32::from_le_bytes(archive[at + 20..at + 24].try_into().unwrap()) as usize;
            let name_len = u16::from_le_bytes([archive[at + 28], archive[at + 29]]) as usize;
            let offset = u32::from_le_bytes(archive[at + 42..at + 46].try_into().unwrap()) as usize;
            let name = String::from_utf8(archive[at + 46..at + 46 + name_len].to_vec()).unwrap();
            let local_name_len = u16::from_le_bytes([archive[offset + 26], archive[offset + 27]]) as usize;
            let data = archive[offset + 30 + local_name_len..offset + 30 + local_name_len + size].to_vec();
            let mut c = Crc32::default();
            c.update(&data);
            assert_eq!(c.finish(), crc);
            out.push((name, data));
            at += 46 + name_len;
        }
        out
    }

    proptest! {
        #[test]
        fn what_goes_in_comes_out(files in prop::collection::vec(("[a-z]{1,8}(/[a-z]{1,8})?", prop::collection::vec(any::<u8>(), 0..300), 1usize..4), 0..5)) {
            let mut z = ZipWriter::new();
            let mut archive = Vec::new();
            for (name, bytes, pieces) in &files {
                archive.extend(z.start_entry(name).unwrap());
                for piece in bytes.chunks(bytes.len() / pieces + 1) {
                    z.data(piece).unwrap();
                    archive.extend_from_slice(piece);
                }
                archive.extend(z.end_entry().unwrap());
            }
            archive.extend(z.finish().unwrap());
            let back = read_back(&archive);
            let want: Vec<(String, Vec<u8>)> = files.iter().map(|(n, b, _)| (n.clone(), b.clone())).collect();
            prop_assert_eq!(back, want);
        }
    }
}
