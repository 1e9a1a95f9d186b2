//! The media crate from outside: fixtures made in code, every kind sniffed,
//! every spoof refused, and each cleaner checked on what it must remove.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod chunking;
mod claims;
mod fixtures;
mod heic;
mod jpeg;
mod mp4;
mod passthrough;
mod png;
mod sniff;
