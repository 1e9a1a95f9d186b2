//! The streaming cleaner: bytes go in as they arrive, cleaned bytes come
//! out, and the total output is what gets stored.
//!
//! Photos (JPEG, PNG, HEIC) are held whole (never more than `max_len`) and
//! cleaned at the end; MP4/MOV/M4A stream with only their non-media boxes
//! held; text streams while being checked; PDF, AAC, MP3, WebM and Ogg pass
//! through unchanged.

use crate::error::MediaError;
use crate::kind::Kind;
use crate::{heic, jpeg, mp4, png, text};

/// What cleaning removed, and the preview it made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cleaned {
    /// A location (EXIF GPS, a QuickTime location atom) was found and removed.
    pub removed_location: bool,
    /// Anything at all was removed (or the picture re-encoded).
    pub removed_metadata: bool,
    /// For JPEG and PNG only; HEIC cannot be decoded here.
    pub preview: Option<Preview>,
}

impl Cleaned {
    fn nothing() -> Cleaned {
        Cleaned { removed_location: false, removed_metadata: false, preview: None }
    }
}

/// A small picture of a photo, no larger than 320×320.
#[derive(Clone, PartialEq, Eq)]
pub struct Preview {
    pub bytes: Vec<u8>,
    /// [`Kind::Jpeg`], or [`Kind::Png`] when the photo has transparency.
    pub kind: Kind,
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Debug for Preview {
    // The bytes are a picture of the patient's photo: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Preview")
            .field("bytes", &self.bytes.len())
            .field("kind", &self.kind)
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

pub struct Cleaner {
    kind: Kind,
    max_len: u64,
    state: State,
}

enum State {
    /// Held whole, cleaned at the end.
    Whole(Vec<u8>),
    Iso(mp4::Stream),
    Text(text::Stream),
    Pass,
}

impl Cleaner {
    pub fn new(kind: Kind, max_len: u64) -> Cleaner {
        let state = match kind {
            Kind::Jpeg | Kind::Png | Kind::Heic => State::Whole(Vec::new()),
            Kind::Mp4 | Kind::Mov | Kind::M4a => State::Iso(mp4::Stream::new(max_len)),
            Kind::Text => State::Text(text::Stream::default()),
            Kind::Pdf | Kind::Aac | Kind::Mp3 | Kind::Webm | Kind::Ogg => State::Pass,
        };
        Cleaner { kind, max_len, state }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Feeds the next piece; appends whatever cleaned output is ready to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), MediaError> {
        match &mut self.state {
            State::Whole(held) => {
                if (held.len() as u64).saturating_add(input.len() as u64) > self.max_len {
                    return Err(MediaError::TooLarge);
                }
                held.extend_from_slice(input);
                Ok(())
            }
            State::Iso(stream) => stream.push(input, out),
            State::Text(stream) => stream.push(input, out),
            State::Pass => {
                out.extend_from_slice(input);
                Ok(())
            }
        }
    }

    /// End of input: flushes the rest into `out`.
    pub fn finish(self, out: &mut Vec<u8>) -> Result<Cleaned, MediaError> {
        match self.state {
            State::Whole(held) => {
                let (bytes, cleaned) = match self.kind {
                    Kind::Jpeg => jpeg::clean(&held)?,
                    Kind::Png => png::clean(&held)?,
                    _ => heic::clean(held)?,
                };
                out.extend_from_slice(&bytes);
                Ok(cleaned)
            }
            State::Iso(stream) => stream.finish(out),
            State::Text(stream) => stream.finish().map(|()| Cleaned::nothing()),
            State::Pass => Ok(Cleaned::nothing()),
        }
    }
}
