//! Plain text streams through unchanged, but all of it is checked by the
//! rule `sniff` applied to its head: UTF-8, and no NUL or control character
//! but tab, line breaks and form feed. A binary file that merely starts like
//! text is `Damaged`.

use crate::error::MediaError;
use crate::sniff::text_char;

#[derive(Default)]
pub(crate) struct Stream {
    /// The start of a code point cut by the end of the last piece (at most 3 bytes).
    carry: Vec<u8>,
}

impl Stream {
    pub(crate) fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), MediaError> {
        let mut rest = input;
        if !self.carry.is_empty() {
            // Complete the cut code point from the first bytes of this piece.
            let take = (4 - self.carry.len()).min(rest.len());
            let (head, _) = rest.split_at(take);
            let mut joined = self.carry.clone();
            joined.extend_from_slice(head);
            let used = match std::str::from_utf8(&joined) {
                Ok(s) => check(s).map(|()| joined.len())?,
                Err(e) if e.valid_up_to() > 0 => {
                    let valid = joined.get(..e.valid_up_to()).unwrap_or_default();
                    check(std::str::from_utf8(valid).map_err(|_| MediaError::Damaged)?)?;
                    e.valid_up_to()
                }
                Err(e) if e.error_len().is_none() && joined.len() < 4 => {
                    // Still cut: this piece was shorter than the code point's rest.
                    self.carry = joined;
                    out.extend_from_slice(input);
                    return Ok(());
                }
                Err(_) => return Err(MediaError::Damaged),
            };
            let from_piece = used.checked_sub(self.carry.len()).ok_or(MediaError::Damaged)?;
            rest = rest.get(from_piece..).unwrap_or_default();
            self.carry.clear();
        }
        match std::str::from_utf8(rest) {
            Ok(s) => check(s)?,
            Err(e) if e.error_len().is_none() => {
                let (valid, cut) = rest.split_at(e.valid_up_to());
                check(std::str::from_utf8(valid).map_err(|_| MediaError::Damaged)?)?;
                self.carry = cut.to_vec();
            }
            Err(_) => return Err(MediaError::Damaged),
        }
        out.extend_from_slice(input);
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<(), MediaError> {
        if self.carry.is_empty() { Ok(()) } else { Err(MediaError::Damaged) }
    }
}

fn check(text: &str) -> Result<(), MediaError> {
    if text.chars().all(text_char) { Ok(()) } else { Err(MediaError::Damaged) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pieces: &[&[u8]]) -> Result<Vec<u8>, MediaError> {
        let mut stream = Stream::default();
        let mut out = Vec::new();
        for piece in pieces {
            stream.push(piece, &mut out)?;
        }
        stream.finish()?;
        Ok(out)
    }

    #[test]
    fn code_points_may_be_cut_anywhere() {
        let text = "caf\u{e9} \u{1F600} ok\n".as_bytes();
        for a in 0..text.len() {
            for b in a..text.len() {
                let (x, rest) = text.split_at(a);
                let (y, z) = rest.split_at(b - a);
                assert_eq!(run(&[x, y, z]).unwrap(), text, "{a} {b}");
            }
        }
        // One byte at a time.
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(run(&bytes).unwrap(), text);
    }

    #[test]
    fn nul_invalid_and_cut_endings_are_damage() {
        assert_eq!(run(&[b"fine", b"\0"]), Err(MediaError::Damaged));
        assert_eq!(run(&[b"fine", b"\xff"]), Err(MediaError::Damaged));
        assert_eq!(run(&[b"fine \xe2\x82"]), Err(MediaError::Damaged));
        assert_eq!(run(&[b"bell \x07"]), Err(MediaError::Damaged));
        assert_eq!(run(&[b"\xe2", b"\x28\xa1"]), Err(MediaError::Damaged));
    }
}
