//! The two facts read from EXIF (a TIFF structure): the orientation, and
//! whether a GPS directory holds any data. Everything else in it is dropped
//! unread.

/// What the cleaner needs from one EXIF block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ExifFacts {
    /// The orientation tag (1–8) when present and valid.
    pub orientation: Option<u8>,
    /// A GPS directory with at least one tag besides its version.
    pub location: bool,
}

const ORIENTATION: u16 = 0x0112;
const GPS_IFD: u16 = 0x8825;
const GPS_VERSION: u16 = 0x0000;

/// Reads the facts from a TIFF structure (starting with "II*\0" or "MM\0*").
/// Unreadable EXIF yields no facts: it is removed all the same.
pub(crate) fn facts(tiff: &[u8]) -> ExifFacts {
    let mut facts = ExifFacts::default();
    let Some(order) = Order::of(tiff) else { return facts };
    let Some(ifd0) = order.u32(tiff, 4) else { return facts };
    for (tag, kind, value_at) in entries(tiff, order, ifd0) {
        match tag {
            ORIENTATION if kind == 3 => {
                facts.orientation =
                    order.u16(tiff, value_at).and_then(|v| u8::try_from(v).ok()).filter(|v| (1..=8).contains(v));
            }
            GPS_IFD => {
                let Some(gps) = order.u32(tiff, value_at) else { continue };
                facts.location = entries(tiff, order, gps).any(|(tag, _, _)| tag != GPS_VERSION);
            }
            _ => {}
        }
    }
    facts
}

/// The TIFF structure inside an EXIF block that starts with "Exif\0\0" or
/// directly with the TIFF header (as PNG's eXIf does).
pub(crate) fn tiff_of(block: &[u8]) -> &[u8] {
    block.strip_prefix(b"Exif\0\0").unwrap_or(block)
}

#[derive(Clone, Copy)]
enum Order {
    Little,
    Big,
}

impl Order {
    fn of(tiff: &[u8]) -> Option<Order> {
        match tiff.get(..4)? {
            b"II*\0" => Some(Order::Little),
            b"MM\0*" => Some(Order::Big),
            _ => None,
        }
    }

    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let raw: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            Order::Little => u16::from_le_bytes(raw),
            Order::Big => u16::from_be_bytes(raw),
        })
    }

    fn u32(self, b: &[u8], at: usize) -> Option<usize> {
        let raw: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        let v = match self {
            Order::Little => u32::from_le_bytes(raw),
            Order::Big => u32::from_be_bytes(raw),
        };
        usize::try_from(v).ok()
    }
}

/// The entries of the directory at `at`: tag, field type, and where the
/// value (or its offset) is. Stops at the first entry out of bounds.
fn entries(tiff: &[u8], order: Order, at: usize) -> impl Iterator<Item = (u16, u16, usize)> + '_ {
    let count = order.u16(tiff, at).unwrap_or(0);
    (0..usize::from(count)).map_while(move |i| {
        let entry = at.checked_add(2)?.checked_add(i.checked_mul(12)?)?;
        let tag = order.u16(tiff, entry)?;
        let kind = order.u16(tiff, entry.checked_add(2)?)?;
        tiff.get(entry.checked_add(11)?)?;
        Some((tag, kind, entry.checked_add(8)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ifd(entries: &[(u16, u16, u32)]) -> Vec<u8> {
        let mut out = (entries.len() as u16).to_be_bytes().to_vec();
        for (tag, kind, value) in entries {
            out.extend(tag.to_be_bytes());
            out.extend(kind.to_be_bytes());
            out.extend(1u32.to_be_bytes());
            if *kind == 3 {
                out.extend((*value as u16).to_be_bytes());
                out.extend([0, 0]);
            } else {
                out.extend(value.to_be_bytes());
            }
        }
        out.extend(0u32.to_be_bytes());
        out
    }

    #[test]
    fn reads_orientation_and_gps_in_big_endian() {
        let mut tiff = b"MM\0*\0\0\0\x08".to_vec();
        let ifd0 = ifd(&[(ORIENTATION, 3, 6), (GPS_IFD, 4, 8 + 2 + 24 + 4)]);
        tiff.extend(ifd0);
        tiff.extend(ifd(&[(GPS_VERSION, 1, 0x0202_0000), (2, 5, 0)]));
        assert_eq!(facts(&tiff), ExifFacts { orientation: Some(6), location: true });
    }

    #[test]
    fn a_gps_directory_with_only_its_version_is_no_location() {
        let mut tiff = b"MM\0*\0\0\0\x08".to_vec();
        tiff.extend(ifd(&[(GPS_IFD, 4, 8 + 2 + 12 + 4)]));
        tiff.extend(ifd(&[(GPS_VERSION, 1, 0x0202_0000)]));
        assert_eq!(facts(&tiff), ExifFacts { orientation: None, location: false });
    }

    #[test]
    fn garbage_yields_no_facts() {
        assert_eq!(facts(b"II*\0\xff\xff\xff\xff"), ExifFacts::default());
        assert_eq!(facts(b"MM\0*\0\0\0\x08\xff\xff"), ExifFacts::default());
        assert_eq!(facts(b""), ExifFacts::default());
    }
}
