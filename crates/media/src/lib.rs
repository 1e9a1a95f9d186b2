//! TEMPORARY stand-in (lead's compile stub; replaced by the helper's crate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind { Jpeg, Png, Heic, Pdf, Text, Mp4, Mov, M4a, Aac, Mp3, Webm, Ogg }
impl Kind {
    pub const ALL: [Kind; 12] = [Kind::Jpeg, Kind::Png, Kind::Heic, Kind::Pdf, Kind::Text, Kind::Mp4, Kind::Mov, Kind::M4a, Kind::Aac, Kind::Mp3, Kind::Webm, Kind::Ogg];
    pub fn as_str(self) -> &'static str { match self { Kind::Jpeg=>"jpeg",Kind::Png=>"png",Kind::Heic=>"heic",Kind::Pdf=>"pdf",Kind::Text=>"text",Kind::Mp4=>"mp4",Kind::Mov=>"mov",Kind::M4a=>"m4a",Kind::Aac=>"aac",Kind::Mp3=>"mp3",Kind::Webm=>"webm",Kind::Ogg=>"ogg" } }
    pub fn parse(code: &str) -> Option<Kind> { Self::ALL.into_iter().find(|k| k.as_str() == code) }
    pub fn content_type(self) -> &'static str { match self { Kind::Jpeg => "image/jpeg", Kind::Png => "image/png", Kind::Pdf => "application/pdf", Kind::Text => "text/plain; charset=utf-8", _ => "application/octet-stream" } }
    pub fn inline(self) -> bool { matches!(self, Kind::Jpeg | Kind::Png | Kind::Heic | Kind::Pdf) }
    pub fn is_image(self) -> bool { matches!(self, Kind::Jpeg | Kind::Png | Kind::Heic) }
    pub fn label(self) -> &'static str { self.as_str() }
}
pub fn allowed_description() -> &'static str { "Allowed: photos (JPEG, PNG, HEIC), PDF, plain text, video (MP4, MOV), audio (M4A, AAC, MP3, WebM, Ogg)." }
pub const SNIFF_LEN: usize = 4096;
pub enum Sniff { Known(Kind), Unknown }
pub fn sniff(head: &[u8]) -> Sniff { if head.starts_with(&[0xff, 0xd8, 0xff]) { Sniff::Known(Kind::Jpeg) } else if head.starts_with(b"%PDF-") { Sniff::Known(Kind::Pdf) } else if head.starts_with(b"\x89PNG") { Sniff::Known(Kind::Png) } else { Sniff::Unknown } }
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch { Name, ClaimedType }
pub fn claims_agree(_kind: Kind, _filename: &str, _claimed: Option<&str>) -> Result<(), Mismatch> { Ok(()) }
pub struct Cleaner { kind: Kind }
impl Cleaner {
    pub fn new(kind: Kind, _max_len: u64) -> Cleaner { Cleaner { kind } }
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), MediaError> { let _ = self.kind; out.extend_from_slice(input); Ok(()) }
    pub fn finish(self, _out: &mut Vec<u8>) -> Result<Cleaned, MediaError> { Ok(Cleaned { removed_location: false, removed_metadata: false, preview: None }) }
}
pub struct Cleaned { pub removed_location: bool, pub removed_metadata: bool, pub preview: Option<Preview> }
pub struct Preview { pub bytes: Vec<u8>, pub kind: Kind, pub width: u32, pub height: u32 }
#[derive(Debug)]
pub enum MediaError { Damaged, TooComplex }
impl MediaError { pub fn code(&self) -> &'static str { match self { MediaError::Damaged => "damaged", MediaError::TooComplex => "too_complex" } } }
