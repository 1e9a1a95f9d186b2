//! Fixture bytes built in code: tiny photos encoded with `image`, EXIF built
//! by hand, and ISO base media boxes from a small builder.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ImageEncoder, Rgb, RgbImage, RgbaImage};

pub const PLACE: &[u8] = b"+40.7128-074.0060/";
pub const GPS_NOTE: &[u8] = b"GPS-SECRET-METHOD";
pub const XMP_NOTE: &[u8] = b"<x:xmpmeta>XMP-SECRET</x:xmpmeta>";

pub const RED: Rgb<u8> = Rgb([255, 0, 0]);
pub const BLUE: Rgb<u8> = Rgb([0, 0, 255]);

/// A `w`×`h` picture, blue but for a red 16×16 square in its top-left corner.
pub fn picture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| if x < 16 && y < 16 { RED } else { BLUE })
}

pub fn encode_jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 95)
        .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

pub fn encode_png_rgb(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

pub fn encode_png_rgba(image: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgba8)
        .unwrap();
    out
}

/// A big-endian TIFF structure with IFD0 holding the orientation (if any)
/// and, with `gps`, a pointer to a GPS directory with a latitude and a
/// processing method holding [`GPS_NOTE`].
pub fn tiff(orientation: Option<u16>, gps: bool) -> Vec<u8> {
    let mut entries: Vec<[u8; 12]> = Vec::new();
    let ifd0_len = |n: usize| 2 + 12 * n + 4;
    let n0 = usize::from(orientation.is_some()) + usize::from(gps);
    let gps_at = 8 + ifd0_len(n0);
    if let Some(o) = orientation {
        entries.push(entry(0x0112, 3, 1, &[(o >> 8) as u8, o as u8, 0, 0]));
    }
    if gps {
        entries.push(entry(0x8825, 4, 1, &(gps_at as u32).to_be_bytes()));
    }
    let mut out = b"MM\0*\0\0\0\x08".to_vec();
    out.extend(ifd(&entries));
    if gps {
        let data_at = gps_at + ifd0_len(4);
        let latitude_at = data_at as u32;
        let method_at = latitude_at + 24;
        let gps_entries = [
            entry(0x0000, 1, 4, &[2, 2, 0, 0]),
            entry(0x0001, 2, 2, b"N\0\0\0"),
            entry(0x0002, 5, 3, &latitude_at.to_be_bytes()),
            entry(0x001B, 7, GPS_NOTE.len() as u32, &method_at.to_be_bytes()),
        ];
        out.extend(ifd(&gps_entries));
        for (num, den) in [(40u32, 1u32), (42, 1), (4608, 100)] {
            out.extend(num.to_be_bytes());
            out.extend(den.to_be_bytes());
        }
        out.extend(GPS_NOTE);
    }
    out
}

fn entry(tag: u16, kind: u16, count: u32, value: &[u8; 4]) -> [u8; 12] {
    let mut e = [0u8; 12];
    e[..2].copy_from_slice(&tag.to_be_bytes());
    e[2..4].copy_from_slice(&kind.to_be_bytes());
    e[4..8].copy_from_slice(&count.to_be_bytes());
    e[8..].copy_from_slice(value);
    e
}

fn ifd(entries: &[[u8; 12]]) -> Vec<u8> {
    let mut out = (entries.len() as u16).to_be_bytes().to_vec();
    for e in entries {
        out.extend(e);
    }
    out.extend(0u32.to_be_bytes());
    out
}

pub fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, marker];
    out.extend(((payload.len() + 2) as u16).to_be_bytes());
    out.extend(payload);
    out
}

/// Inserts segments right after a JPEG's SOI.
pub fn with_segments(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    for s in segments {
        out.extend(s);
    }
    out.extend(&jpeg[2..]);
    out
}

pub fn exif_segment(orientation: Option<u16>, gps: bool) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(tiff(orientation, gps));
    segment(0xE1, &payload)
}

/// A JPEG of `picture(w, h)` carrying EXIF (orientation, GPS), XMP, IPTC, a comment and an MPF block.
pub fn jpeg_with_metadata(w: u32, h: u32, orientation: Option<u16>, gps: bool) -> Vec<u8> {
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend(XMP_NOTE);
    let mut iptc = b"Photoshop 3.0\0".to_vec();
    iptc.extend(b"8BIM IPTC-SECRET");
    with_segments(
        &encode_jpeg(&picture(w, h)),
        &[
            exif_segment(orientation, gps),
            segment(0xE1, &xmp),
            segment(0xED, &iptc),
            segment(0xFE, b"COMMENT-SECRET"),
            segment(0xE2, b"MPF\0MM\0*MPF-SECRET"),
        ],
    )
}

pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for b in bytes {
        c ^= u32::from(*b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

pub fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut typed = kind.to_vec();
    typed.extend(data);
    out.extend(&typed);
    out.extend(crc32(&typed).to_be_bytes());
    out
}

/// Inserts chunks right after a PNG's IHDR.
pub fn with_chunks(png: &[u8], chunks: &[Vec<u8>]) -> Vec<u8> {
    let ihdr_end = 8 + 25;
    let mut out = png[..ihdr_end].to_vec();
    for c in chunks {
        out.extend(c);
    }
    out.extend(&png[ihdr_end..]);
    out
}

/// An ISO base media box.
pub fn bx(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
    let mut out = ((content.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend(kind);
    out.extend(content);
    out
}

/// A full box: version and flags before the content.
pub fn full(kind: &[u8; 4], version: u8, content: &[u8]) -> Vec<u8> {
    let mut c = vec![version, 0, 0, 0];
    c.extend(content);
    bx(kind, &c)
}

pub fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

pub fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
    let mut c = major.to_vec();
    c.extend([0, 0, 2, 0]);
    for b in compatible {
        c.extend(*b);
    }
    bx(b"ftyp", &c)
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The media data of the MP4 fixture: recognisable, and pointed to by `stco`.
pub const MEDIA: &[u8] = b"MEDIA-FRAME-0001MEDIA-FRAME-0002";

/// An MP4 whose moov holds a `udta` with `©xyz` and `©mak`, a `meta` with
/// Apple's location key in `keys`/`ilst`, and a `stco` pointing into `mdat`.
pub fn mp4_with_location() -> Vec<u8> {
    let ftyp = ftyp(b"isom", &[b"isom", b"mp42"]);
    let moov = |mdat_at: u32| {
        let mut xyz = (PLACE.len() as u16).to_be_bytes().to_vec();
        xyz.extend([0x15, 0xC7]);
        xyz.extend(PLACE);
        let udta = bx(b"udta", &cat(&[bx(b"\xA9xyz", &xyz), bx(b"\xA9mak", b"\0\x05\0\0Apple"), vec![0, 0, 0, 0]]));
        let key =
            |name: &[u8]| cat(&[((name.len() + 8) as u32).to_be_bytes().to_vec(), b"mdta".to_vec(), name.to_vec()]);
        let keys = full(
            b"keys",
            0,
            &cat(&[
                2u32.to_be_bytes().to_vec(),
                key(b"com.apple.quicktime.make"),
                key(b"com.apple.quicktime.location.ISO6709"),
            ]),
        );
        let data =
            |v: &[u8]| full(b"data", 0, &cat(&[1u32.to_be_bytes().to_vec(), 0u32.to_be_bytes().to_vec(), v.to_vec()]));
        let ilst = bx(
            b"ilst",
            &cat(&[
                bx(&1u32.to_be_bytes(), &data(b"Apple")),
                bx(&2u32.to_be_bytes(), &data(b"+40.7128-074.0060+010.000/")),
            ]),
        );
        let hdlr = full(b"hdlr", 0, &cat(&[vec![0; 4], b"mdta".to_vec(), vec![0; 13]]));
        // QuickTime's meta is not a full box.
        let meta = bx(b"meta", &cat(&[hdlr, keys, ilst]));
        let stco = full(
            b"stco",
            0,
            &cat(&[2u32.to_be_bytes().to_vec(), mdat_at.to_be_bytes().to_vec(), (mdat_at + 16).to_be_bytes().to_vec()]),
        );
        let trak = bx(b"trak", &cat(&[full(b"tkhd", 0, &[0; 80]), bx(b"mdia", &bx(b"minf", &bx(b"stbl", &stco)))]));
        bx(b"moov", &cat(&[full(b"mvhd", 0, &[0; 96]), trak, udta, meta]))
    };
    let mdat_at = (ftyp.len() + moov(0).len() + 8) as u32;
    cat(&[ftyp, moov(mdat_at), bx(b"mdat", MEDIA)])
}

/// A HEIC: `meta` with an `hvc1` picture item in `mdat`, an `Exif` item in
/// `mdat` (orientation, GPS) and an XMP `mime` item in `idat`, located by
/// `iloc` version 1. `exif_method` is the Exif item's construction method.
pub fn heic(exif_method: u8) -> (Vec<u8>, HeicParts) {
    let picture = b"HEVC-PICTURE-BYTES-0123456789".to_vec();
    let mut exif = 6u32.to_be_bytes().to_vec();
    exif.extend(b"Exif\0\0");
    exif.extend(tiff(Some(6), true));
    let ftyp = ftyp(b"heic", &[b"mif1", b"heic"]);
    let infe = |id: u16, kind: &[u8; 4], extra: &[u8]| {
        full(b"infe", 2, &cat(&[id.to_be_bytes().to_vec(), vec![0, 0], kind.to_vec(), b"\0".to_vec(), extra.to_vec()]))
    };
    let iinf = full(
        b"iinf",
        0,
        &cat(&[
            3u16.to_be_bytes().to_vec(),
            infe(1, b"hvc1", b""),
            infe(2, b"Exif", b""),
            infe(3, b"mime", b"application/rdf+xml\0"),
        ]),
    );
    let meta = |mdat_content_at: u32| {
        let item = |id: u16, method: u8, offset: u32, len: u32| {
            cat(&[
                id.to_be_bytes().to_vec(),
                u16::from(method).to_be_bytes().to_vec(),
                0u16.to_be_bytes().to_vec(),
                1u16.to_be_bytes().to_vec(),
                offset.to_be_bytes().to_vec(),
                len.to_be_bytes().to_vec(),
            ])
        };
        let exif_offset = mdat_content_at + picture.len() as u32;
        let iloc = full(
            b"iloc",
            1,
            &cat(&[
                vec![0x44, 0x00],
                3u16.to_be_bytes().to_vec(),
                item(1, 0, mdat_content_at, picture.len() as u32),
                item(2, exif_method, exif_offset, exif.len() as u32),
                item(3, 1, 0, XMP_NOTE.len() as u32),
            ]),
        );
        let hdlr = full(b"hdlr", 0, &cat(&[vec![0; 4], b"pict".to_vec(), vec![0; 13]]));
        let pitm = full(b"pitm", 0, &1u16.to_be_bytes());
        full(b"meta", 0, &cat(&[hdlr, pitm, iinf.clone(), iloc, bx(b"idat", XMP_NOTE)]))
    };
    let mdat_content_at = (ftyp.len() + meta(0).len() + 8) as u32;
    let file = cat(&[ftyp, meta(mdat_content_at), bx(b"mdat", &cat(&[picture.clone(), exif.clone()]))]);
    (file, HeicParts { picture, exif })
}

pub struct HeicParts {
    pub picture: Vec<u8>,
    pub exif: Vec<u8>,
}

/// Cleans `bytes` fed whole.
pub fn clean(
    kind: switchboard_media::Kind,
    bytes: &[u8],
) -> Result<(Vec<u8>, switchboard_media::Cleaned), switchboard_media::MediaError> {
    let mut cleaner = switchboard_media::Cleaner::new(kind, 25 << 20);
    let mut out = Vec::new();
    cleaner.push(bytes, &mut out)?;
    let cleaned = cleaner.finish(&mut out)?;
    Ok((out, cleaned))
}

/// The JPEG's segments (marker and payload) before its first scan.
pub fn jpeg_segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 2;
    while jpeg[at] == 0xFF && jpeg[at + 1] != 0xDA {
        let marker = jpeg[at + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        out.push((marker, jpeg[at + 4..at + 2 + len].to_vec()));
        at += 2 + len;
    }
    out
}
