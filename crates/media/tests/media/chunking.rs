//! The cleaner's output does not depend on how the upload was cut into pieces.

use proptest::prelude::*;
use switchboard_media::{Cleaner, Kind};

use crate::fixtures::*;

fn fixtures() -> Vec<(Kind, Vec<u8>)> {
    let mut big_mdat = vec![0, 0, 0, 1];
    big_mdat.extend(b"mdat");
    big_mdat.extend(((16 + MEDIA.len()) as u64).to_be_bytes());
    big_mdat.extend(MEDIA);
    vec![
        (Kind::Jpeg, jpeg_with_metadata(24, 16, Some(1), true)),
        (Kind::Jpeg, jpeg_with_metadata(24, 16, Some(8), true)),
        (Kind::Png, with_chunks(&encode_png_rgb(&picture(20, 12)), &[chunk(b"tEXt", b"a\0b")])),
        (Kind::Heic, heic(0).0),
        (Kind::Mp4, cat(&[mp4_with_location(), big_mdat])),
        (Kind::Text, "h\u{e9}llo \u{1F600} w\u{f6}rld\n".repeat(20).into_bytes()),
        (Kind::Pdf, b"%PDF-1.4\n%\xe2\xe3\n".to_vec()),
    ]
}

fn run(
    kind: Kind,
    bytes: &[u8],
    cuts: &[usize],
) -> (Result<(), switchboard_media::MediaError>, Vec<u8>, Option<switchboard_media::Cleaned>) {
    let mut cleaner = Cleaner::new(kind, 1 << 20);
    let mut out = Vec::new();
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut from = 0;
    for to in points.into_iter().chain([bytes.len()]) {
        if let Err(e) = cleaner.push(&bytes[from..to], &mut out) {
            return (Err(e), out, None);
        }
        from = to;
    }
    match cleaner.finish(&mut out) {
        Ok(cleaned) => (Ok(()), out, Some(cleaned)),
        Err(e) => (Err(e), out, None),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_chunking_gives_the_same_output(which in 0usize..7, cuts in prop::collection::vec(any::<usize>(), 0..12)) {
        let (kind, bytes) = fixtures().swap_remove(which);
        let whole = run(kind, &bytes, &[]);
        prop_assert!(whole.0.is_ok());
        let pieces = run(kind, &bytes, &cuts);
        prop_assert_eq!(pieces.0, whole.0);
        prop_assert_eq!(pieces.1, whole.1);
        prop_assert_eq!(pieces.2, whole.2);
    }

    #[test]
    fn damaged_input_never_panics_and_chunking_agrees(which in 0usize..7, at in any::<usize>(), value in any::<u8>(), cut in any::<usize>(), cuts in prop::collection::vec(any::<usize>(), 0..6)) {
        let (kind, mut bytes) = fixtures().swap_remove(which);
        let i = at % bytes.len();
        bytes[i] = value;
        bytes.truncate(cut % (bytes.len() + 1));
        let whole = run(kind, &bytes, &[]);
        let pieces = run(kind, &bytes, &cuts);
        prop_assert_eq!(whole.0, pieces.0);
        if whole.0.is_ok() {
            prop_assert_eq!(whole.1, pieces.1);
        }
    }
}
