//! What an uploaded file is, by its bytes; the file with its metadata
//! removed; and a preview of a photo. Pure: no I/O, no async, no serde.
//!
//! - [`sniff`] decides the [`Kind`] from the first [`SNIFF_LEN`] bytes
//!   (magic bytes only, never the name), or says [`Sniff::Unknown`].
//! - [`claims_agree`] then checks the file's name and claimed type against it.
//! - [`Cleaner`] takes the bytes as they arrive and gives back what is
//!   stored: photos without EXIF, XMP or location (turned upright if their
//!   EXIF said so), videos with their location atoms neutralised in place,
//!   text checked through to its end. [`Cleaned`] says what went and carries
//!   the [`Preview`].
//!
//! [`zip::ZipWriter`] writes the ZIP archives of legal exports as they
//! stream (stored entries, CRC-32, no I/O of its own).
//!
//! Errors ([`MediaError`], [`Mismatch`]) carry stable codes and never echo
//! file content.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod claims;
mod clean;
mod error;
mod exif;
mod heic;
mod isobmff;
mod jpeg;
mod kind;
mod mp4;
mod png;
mod raster;
mod sniff;
mod text;
pub mod zip;

pub use claims::{Mismatch, claims_agree};
pub use clean::{Cleaned, Cleaner, Preview};
pub use error::MediaError;
pub use kind::{Kind, allowed_description};
pub use sniff::{SNIFF_LEN, Sniff, sniff};

/// The most pixels a photo may have; larger ones are refused as too complex.
pub const MAX_PIXELS: u64 = raster::MAX_PIXELS;
/// Previews fit in a square of this many pixels a side.
pub const PREVIEW_SIDE: u32 = raster::PREVIEW_SIDE;
/// The largest non-media box of a video held to be cleaned.
pub const MAX_HELD_BOX: u64 = mp4::MAX_HELD;
