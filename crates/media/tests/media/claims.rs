use switchboard_media::{Kind, Mismatch, claims_agree};

#[test]
fn names_and_claims_that_agree() {
    let cases: &[(Kind, &str, Option<&str>)] = &[
        (Kind::Jpeg, "IMG_0001.JPG", Some("image/jpeg")),
        (Kind::Jpeg, "photo.jpeg", Some("image/jpg")),
        (Kind::Jpeg, "photo.jfif", Some("image/pjpeg")),
        (Kind::Jpeg, "photo", None),
        (Kind::Jpeg, "photo.jpg", Some("application/octet-stream")),
        (Kind::Png, "screen.png", Some("")),
        (Kind::Heic, "IMG_1.HEIC", Some("image/heif")),
        (Kind::Heic, "IMG_1.heif", Some("image/heic")),
        (Kind::Pdf, "scan.pdf", Some("application/pdf")),
        (Kind::Text, "notes.txt", Some("text/plain; charset=windows-1252")),
        (Kind::Text, "notes.txt", Some("Text/Plain;charset=UTF-8")),
        (Kind::Mp4, "clip.mp4", Some("video/mp4")),
        (Kind::Mov, "IMG_2.MOV", Some("video/quicktime")),
        (Kind::M4a, "memo.m4a", Some("audio/x-m4a")),
        (Kind::M4a, "memo.m4a", Some("audio/mp4")),
        (Kind::Aac, "memo.aac", Some("audio/x-aac")),
        (Kind::Mp3, "memo.mp3", Some("audio/mp3")),
        (Kind::Mp3, "memo.mp3", Some("audio/mpeg")),
        (Kind::Webm, "voice.webm", Some("video/webm")),
        (Kind::Webm, "voice.webm", Some("audio/webm;codecs=opus")),
        (Kind::Ogg, "voice.ogg", Some("application/ogg")),
        (Kind::Ogg, "voice.ogg", Some("audio/ogg")),
        (Kind::Pdf, "C:\\fakepath\\scan.pdf", None),
    ];
    for (kind, name, claimed) in cases {
        assert_eq!(claims_agree(*kind, name, *claimed), Ok(()), "{kind:?} {name} {claimed:?}");
    }
}

#[test]
fn names_and_claims_that_do_not() {
    let cases: &[(Kind, &str, Option<&str>, Mismatch)] = &[
        // PDF bytes named as a photo, and the other way round.
        (Kind::Pdf, "rash.jpg", Some("image/jpeg"), Mismatch::Name),
        (Kind::Jpeg, "scan.pdf", None, Mismatch::Name),
        (Kind::Jpeg, "photo.exe", None, Mismatch::Name),
        (Kind::Jpeg, "photo.jpg.html", None, Mismatch::Name),
        (Kind::Text, "notes.html", Some("text/plain"), Mismatch::Name),
        (Kind::Mp4, "clip.mov", None, Mismatch::Name),
        // A PNG claimed as a JPEG; text claimed as HTML.
        (Kind::Png, "screen.png", Some("image/jpeg"), Mismatch::ClaimedType),
        (Kind::Text, "notes.txt", Some("text/html"), Mismatch::ClaimedType),
        (Kind::Png, "screen", Some("image/svg+xml"), Mismatch::ClaimedType),
        (Kind::Webm, "voice.webm", Some("video/x-matroska"), Mismatch::ClaimedType),
        (Kind::Mp4, "clip.mp4", Some("video/quicktime"), Mismatch::ClaimedType),
    ];
    for (kind, name, claimed, mismatch) in cases {
        assert_eq!(claims_agree(*kind, name, *claimed), Err(*mismatch), "{kind:?} {name} {claimed:?}");
    }
}

#[test]
fn every_kind_agrees_with_its_own_names_and_type() {
    for kind in Kind::ALL {
        for ext in kind.extensions() {
            assert_eq!(claims_agree(kind, &format!("file.{}", ext.to_uppercase()), Some(kind.content_type())), Ok(()));
        }
    }
}
