//! Whether a file's name and the type the client claimed agree with what its
//! bytes are. The bytes decide the kind; a disagreeing name or claim is
//! refused rather than corrected, because it is the mark of a spoof (or of a
//! mistake the sender should see).

use crate::kind::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// The name's extension belongs to another kind, or to none we accept.
    Name,
    /// The claimed content type is not one this kind may be sent as.
    ClaimedType,
}

impl Mismatch {
    pub fn code(self) -> &'static str {
        match self {
            Mismatch::Name => "name_mismatch",
            Mismatch::ClaimedType => "claimed_type_mismatch",
        }
    }
}

/// Whether `filename` and `claimed` (the multipart part's Content-Type; None
/// or `application/octet-stream` is no claim) agree with `kind`. A name
/// without an extension agrees with every kind.
pub fn claims_agree(kind: Kind, filename: &str, claimed: Option<&str>) -> Result<(), Mismatch> {
    if let Some(ext) = extension(filename)
        && !kind.extensions().iter().any(|e| e.eq_ignore_ascii_case(ext))
    {
        return Err(Mismatch::Name);
    }
    if let Some(claimed) = claimed {
        let essence = claimed.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let no_claim = essence.is_empty() || essence == "application/octet-stream";
        if !no_claim && !kind.claimable().contains(&essence.as_str()) {
            return Err(Mismatch::ClaimedType);
        }
    }
    Ok(())
}

/// The extension of the name's last path component, if it has one: as
/// `Path::extension` reads it (".profile" has none), whichever slash the
/// client's system uses, and with trailing dots and spaces (which Windows
/// ignores) ignored.
fn extension(filename: &str) -> Option<&str> {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or(filename);
    let base = base.trim_end_matches(['.', ' ']);
    let (stem, ext) = base.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then_some(ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_read_like_paths() {
        assert_eq!(extension("photo.JPG"), Some("JPG"));
        assert_eq!(extension("C:\\Users\\a\\scan.pdf"), Some("pdf"));
        assert_eq!(extension("dir.d/notes"), None);
        assert_eq!(extension(".profile"), None);
        assert_eq!(extension("photo.png. . "), Some("png"));
        assert_eq!(extension("archive.tar.gz"), Some("gz"));
        assert_eq!(extension(""), None);
    }
}
