//! Legal exports of the record (issue 17): the export's life (queued,
//! running, ready, downloaded once, expired or failed), how long a ready
//! export waits to be downloaded, the names files get in the archive, and
//! the manifest: every file's SHA-256 and size, signed (Ed25519, by the
//! key that signs audit checkpoints) so that a copy can be shown to be
//! unaltered. The manifest is plain text whose first line names what it is,
//! so its signature can never pass for a checkpoint's.

use crate::ids::{ConversationId, PatientId, PracticeId, RecordExportId};
use crate::time::{Span, Timestamp};

/// How long a ready export may wait to be downloaded.
pub const DOWNLOAD_WINDOW: Span = Span::from_hours(24);
pub const MANIFEST_NAME: &str = "MANIFEST.txt";
pub const SIGNATURE_NAME: &str = "MANIFEST.sig";
const HEADER: &str = "switchboard-export-manifest v1";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportState {
    Queued,
    Running,
    Ready,
    Downloaded,
    Expired,
    Failed,
}

impl ExportState {
    pub const ALL: [ExportState; 6] = [
        ExportState::Queued,
        ExportState::Running,
        ExportState::Ready,
        ExportState::Downloaded,
        ExportState::Expired,
        ExportState::Failed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ExportState::Queued => "queued",
            ExportState::Running => "running",
            ExportState::Ready => "ready",
            ExportState::Downloaded => "downloaded",
            ExportState::Expired => "expired",
            ExportState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A file name from a patient's upload as it may sit in the archive:
/// `files/<n>-<name>`, with anything but letters, digits, `.`, `-` and `_`
/// replaced, at most 80 characters of the name kept.
pub fn archive_file_name(n: usize, original: &str) -> String {
    let mut clean: String = original
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .take(80)
        .collect();
    while clean.starts_with('.') {
        clean.remove(0);
    }
    if clean.is_empty() {
        clean.push_str("file");
    }
    format!("files/{n:03}-{clean}")
}

/// One file of an export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestFile {
    pub name: String,
    pub size: u64,
    pub sha256: [u8; 32],
}

/// What the signed manifest says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    pub export: RecordExportId,
    pub practice: PracticeId,
    pub patient: PatientId,
    /// `None`: the patient's whole record.
    pub conversation: Option<ConversationId>,
    pub created: Timestamp,
    pub files: Vec<ManifestFile>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Manifest {
    /// The text that is signed (and written as `MANIFEST.txt`). Each file's
    /// line is `<sha256>  <size>  <name>`.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{HEADER}\nexport {}\npractice {}\npatient {}\nconversation {}\ncreated {}\nfiles {}\n",
            self.export,
            self.practice,
            self.patient,
            self.conversation.map_or("all".to_owned(), |c| c.to_string()),
            self.created.to_rfc3339(),
            self.files.len()
        );
        for f in &self.files {
            out.push_str(&format!("{}  {}  {}\n", hex(&f.sha256), f.size, f.name));
        }
        out
    }

    /// Reads a manifest back, strictly.
    pub fn parse(text: &str) -> Option<Manifest> {
        let mut lines = text.strip_suffix('\n')?.split('\n');
        if lines.next()? != HEADER {
            return None;
        }
        let mut field = |name: &str| lines.next()?.strip_prefix(name)?.strip_prefix(' ').map(str::to_owned);
        let export = RecordExportId::parse(&field("export")?).ok()?;
        let practice = PracticeId::parse(&field("practice")?).ok()?;
        let patient = PatientId::parse(&field("patient")?).ok()?;
        let conversation = match field("conversation")?.as_str() {
            "all" => None,
            c => Some(ConversationId::parse(c).ok()?),
        };
        let created = Timestamp::parse_rfc3339(&field("created")?).ok()?;
        let count: usize = field("files")?.parse().ok()?;
        let mut files = Vec::with_capacity(count.min(10_000));
        for line in lines {
            let mut parts = line.splitn(3, "  ");
            let (sha, size, name) = (parts.next()?, parts.next()?, parts.next()?);
            if sha.len() != 64 {
                return None;
            }
            let mut sha256 = [0u8; 32];
            for (i, b) in sha256.iter_mut().enumerate() {
                *b = u8::from_str_radix(sha.get(i * 2..i * 2 + 2)?, 16).ok()?;
            }
            files.push(ManifestFile { name: name.to_owned(), size: size.parse().ok()?, sha256 });
        }
        (files.len() == count).then_some(Manifest { export, practice, patient, conversation, created, files })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn file_names_stay_inside_the_archive() {
        assert_eq!(archive_file_name(1, "photo of rash.JPG"), "files/001-photo_of_rash.JPG");
        assert_eq!(archive_file_name(2, "../../etc/passwd"), "files/002-_.._etc_passwd");
        assert_eq!(archive_file_name(3, "..."), "files/003-file");
        assert_eq!(archive_file_name(4, "résumé.pdf"), "files/004-résumé.pdf");
    }

    proptest! {
        #[test]
        fn the_manifest_reads_back(n in 0usize..5, size in any::<u64>(), sha in any::<[u8; 32]>(), all: bool, t in 0i64..4_000_000_000_000_000) {
            let m = Manifest {
                export: RecordExportId::from_bytes([1; 16]),
                practice: PracticeId::from_bytes([2; 16]),
                patient: PatientId::from_bytes([3; 16]),
                conversation: (!all).then(|| ConversationId::from_bytes([4; 16])),
                created: Timestamp::from_micros(t),
                files: (0..n).map(|i| ManifestFile { name: archive_file_name(i, "a b.pdf"), size, sha256: sha }).collect(),
            };
            prop_assert_eq!(Manifest::parse(&m.to_text()), Some(m.clone()));
            prop_assert!(m.to_text().starts_with("switchboard-export-manifest v1\n"));
            prop_assert_eq!(Manifest::parse(&m.to_text().replace("files ", "files 9")), None);
        }
    }
}
