//! The kinds of file accepted, and their stable codes, types, names and labels.

/// The kinds accepted. Codes are stable (stored in the database, sent in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Jpeg,
    Png,
    Heic,
    Pdf,
    Text,
    Mp4,
    Mov,
    M4a,
    Aac,
    Mp3,
    Webm,
    Ogg,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Jpeg,
        Kind::Png,
        Kind::Heic,
        Kind::Pdf,
        Kind::Text,
        Kind::Mp4,
        Kind::Mov,
        Kind::M4a,
        Kind::Aac,
        Kind::Mp3,
        Kind::Webm,
        Kind::Ogg,
    ];

    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpeg",
            Kind::Png => "png",
            Kind::Heic => "heic",
            Kind::Pdf => "pdf",
            Kind::Text => "text",
            Kind::Mp4 => "mp4",
            Kind::Mov => "mov",
            Kind::M4a => "m4a",
            Kind::Aac => "aac",
            Kind::Mp3 => "mp3",
            Kind::Webm => "webm",
            Kind::Ogg => "ogg",
        }
    }

    /// The kind with this stable code (exact, lower-case).
    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == code)
    }

    /// The type the stored file is served with. WebM is `audio/webm`: it is
    /// accepted as audio (voice notes recorded in the browser), and since it is
    /// always a download, a WebM that also holds video still plays.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Heic => "image/heic",
            Kind::Pdf => "application/pdf",
            Kind::Text => "text/plain; charset=utf-8",
            Kind::Mp4 => "video/mp4",
            Kind::Mov => "video/quicktime",
            Kind::M4a => "audio/mp4",
            Kind::Aac => "audio/aac",
            Kind::Mp3 => "audio/mpeg",
            Kind::Webm => "audio/webm",
            Kind::Ogg => "audio/ogg",
        }
    }

    /// File name extensions that name this kind: lower-case, no dot, the
    /// usual one first.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Jpeg => &["jpg", "jpeg", "jfif"],
            Kind::Png => &["png"],
            Kind::Heic => &["heic", "heif"],
            Kind::Pdf => &["pdf"],
            Kind::Text => &["txt"],
            Kind::Mp4 => &["mp4", "m4v"],
            Kind::Mov => &["mov", "qt"],
            Kind::M4a => &["m4a"],
            Kind::Aac => &["aac"],
            Kind::Mp3 => &["mp3"],
            Kind::Webm => &["webm", "weba"],
            Kind::Ogg => &["ogg", "oga", "opus"],
        }
    }

    /// Images and PDF may be shown inline (from a sandboxed response);
    /// everything else is a download. HEIC is an image but few browsers
    /// render it, so it is a download too.
    pub fn inline(self) -> bool {
        matches!(self, Kind::Jpeg | Kind::Png | Kind::Pdf)
    }

    pub fn is_image(self) -> bool {
        matches!(self, Kind::Jpeg | Kind::Png | Kind::Heic)
    }

    /// What a clinic files to the chart as a document: photos (a rash and a
    /// photographed letter alike), PDF and text. Recordings (audio and
    /// video) are not: they are heard or watched in the conversation.
    pub fn is_document(self) -> bool {
        matches!(self, Kind::Jpeg | Kind::Png | Kind::Heic | Kind::Pdf | Kind::Text)
    }

    /// Patient-facing words for the kind.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Jpeg => "JPEG photo",
            Kind::Png => "PNG image",
            Kind::Heic => "HEIC photo",
            Kind::Pdf => "PDF document",
            Kind::Text => "Text file",
            Kind::Mp4 => "MP4 video",
            Kind::Mov => "QuickTime video",
            Kind::M4a => "M4A audio",
            Kind::Aac => "AAC audio",
            Kind::Mp3 => "MP3 audio",
            Kind::Webm => "WebM audio",
            Kind::Ogg => "Ogg audio",
        }
    }

    /// Content types a client may claim for this kind (lower-case, without
    /// parameters). The first is [`Kind::content_type`]'s essence.
    pub(crate) fn claimable(self) -> &'static [&'static str] {
        match self {
            Kind::Jpeg => &["image/jpeg", "image/jpg", "image/pjpeg"],
            Kind::Png => &["image/png", "image/x-png"],
            Kind::Heic => &["image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"],
            Kind::Pdf => &["application/pdf", "application/x-pdf"],
            Kind::Text => &["text/plain"],
            Kind::Mp4 => &["video/mp4", "video/x-m4v"],
            Kind::Mov => &["video/quicktime"],
            Kind::M4a => &["audio/mp4", "audio/x-m4a", "audio/m4a"],
            Kind::Aac => &["audio/aac", "audio/x-aac", "audio/aacp"],
            Kind::Mp3 => &["audio/mpeg", "audio/mp3", "audio/x-mp3", "audio/mpeg3", "audio/x-mpeg"],
            Kind::Webm => &["audio/webm", "video/webm"],
            Kind::Ogg => &["audio/ogg", "application/ogg", "audio/opus", "video/ogg"],
        }
    }
}

/// Words naming every kind allowed, for the refusal message.
pub fn allowed_description() -> &'static str {
    "Allowed: photos (JPEG, PNG, HEIC), PDF, plain text, video (MP4, MOV), audio (M4A, AAC, MP3, WebM, Ogg)."
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            assert_eq!(Kind::ALL.iter().filter(|k| k.as_str() == kind.as_str()).count(), 1);
        }
        assert_eq!(Kind::parse("JPEG"), None);
        assert_eq!(Kind::parse("gif"), None);
    }

    #[test]
    fn extensions_belong_to_one_kind_and_claims_start_with_the_served_type() {
        for kind in Kind::ALL {
            for ext in kind.extensions() {
                assert_eq!(ext.to_ascii_lowercase(), *ext);
                let owners = Kind::ALL.iter().filter(|k| k.extensions().contains(ext)).count();
                assert_eq!(owners, 1, "{ext}");
            }
            let essence = kind.content_type().split(';').next().unwrap_or_default();
            assert_eq!(kind.claimable().first(), Some(&essence));
        }
    }

    #[test]
    fn the_description_names_every_kind() {
        let words = allowed_description().to_ascii_lowercase();
        for kind in Kind::ALL {
            let name = match kind {
                Kind::Text => "plain text",
                other => other.as_str(),
            };
            assert!(words.contains(name), "{name}");
        }
    }
}
