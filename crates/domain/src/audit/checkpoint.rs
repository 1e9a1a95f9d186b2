//! Signed checkpoints of the audit chain: how far the chain had come (the
//! sequence number of its last entry and that entry's MAC) at a moment,
//! signed with a key kept outside the database and written outside it. A
//! later check finds the chain's entry at that number with that MAC, or
//! says the log was rewritten or cut back. The text format is what is
//! signed and what the files hold, so a person can read one.

use std::fmt::Write as _;

const HEADER: &str = "switchboard audit checkpoint v1";

/// Where the chain stood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The last entry's sequence number.
    pub seq: i64,
    /// That entry's MAC.
    pub mac: [u8; 32],
    /// When the checkpoint was made (microseconds since the epoch).
    pub at_micros: i64,
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

impl Checkpoint {
    /// The exact text that is signed.
    pub fn signed_text(&self) -> String {
        format!("{HEADER}\nseq {}\nmac {}\nat {}\n", self.seq, hex(&self.mac), self.at_micros)
    }

    /// The file's text: the signed text, then the signature.
    pub fn file_text(&self, signature: &[u8; 64]) -> String {
        format!("{}signature {}\n", self.signed_text(), hex(signature))
    }

    /// A name that sorts in log order.
    pub fn file_name(&self) -> String {
        format!("{:016x}.checkpoint", self.seq)
    }

    /// Reads a checkpoint file: the checkpoint, the text that was signed and
    /// the signature; `None` if it is not one.
    pub fn parse(file: &str) -> Option<(Checkpoint, String, [u8; 64])> {
        let mut lines = file.lines();
        if lines.next()? != HEADER {
            return None;
        }
        let mut field = |name: &str| lines.next()?.strip_prefix(name)?.strip_prefix(' ').map(str::to_owned);
        let seq: i64 = field("seq")?.parse().ok()?;
        let mac = unhex::<32>(&field("mac")?)?;
        let at_micros: i64 = field("at")?.parse().ok()?;
        let signature = unhex::<64>(&field("signature")?)?;
        if lines.next().is_some() || seq < 1 {
            return None;
        }
        let checkpoint = Checkpoint { seq, mac, at_micros };
        Some((checkpoint, checkpoint.signed_text(), signature))
    }

    /// How the chain as it is now answers this checkpoint, given the MAC of
    /// its entry at `self.seq` (if there is one) and its last number.
    pub fn compare(&self, mac_at_seq: Option<[u8; 32]>, last_seq: i64) -> CheckpointCheck {
        match mac_at_seq {
            _ if self.seq > last_seq => CheckpointCheck::BeyondLog,
            Some(mac) if mac == self.mac => CheckpointCheck::Matches,
            _ => CheckpointCheck::Rewritten,
        }
    }
}

/// What a checkpoint says of the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointCheck {
    /// The entry at its number has its MAC: everything up to there is as
    /// it was when the checkpoint was made.
    Matches,
    /// The entry at its number has another MAC (or is gone from the middle):
    /// the log up to there was rewritten.
    Rewritten,
    /// The log ends before its number: entries were removed from the end.
    BeyondLog,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_checkpoint_file_reads_back_as_written(seq in 1i64..i64::MAX, mac in any::<[u8; 32]>(), at in any::<i64>(), sig in proptest::collection::vec(any::<u8>(), 64)) {
            let cp = Checkpoint { seq, mac, at_micros: at };
            let sig: [u8; 64] = sig.try_into().unwrap_or([0; 64]);
            let (read, signed, read_sig) = Checkpoint::parse(&cp.file_text(&sig)).unwrap_or((Checkpoint { seq: 0, mac: [0; 32], at_micros: 0 }, String::new(), [0; 64]));
            prop_assert_eq!(read, cp);
            prop_assert_eq!(signed, cp.signed_text());
            prop_assert_eq!(read_sig, sig);
        }
    }

    #[test]
    fn what_is_not_a_checkpoint_is_refused() {
        let cp = Checkpoint { seq: 7, mac: [3; 32], at_micros: 1 };
        let text = cp.file_text(&[9; 64]);
        assert!(Checkpoint::parse(&text).is_some());
        assert!(Checkpoint::parse(&text.replace("seq 7", "seq 0")).is_none());
        assert!(Checkpoint::parse(&text.replace("v1", "v2")).is_none());
        assert!(Checkpoint::parse(&format!("{text}extra\n")).is_none());
        assert!(Checkpoint::parse(&text.replace("mac 03", "mac zz")).is_none());
        assert!(Checkpoint::parse("").is_none());
        assert_eq!(cp.file_name(), "0000000000000007.checkpoint");
    }

    #[test]
    fn a_checkpoint_catches_a_rewrite_and_a_cut() {
        let cp = Checkpoint { seq: 10, mac: [1; 32], at_micros: 0 };
        assert_eq!(cp.compare(Some([1; 32]), 10), CheckpointCheck::Matches);
        assert_eq!(cp.compare(Some([1; 32]), 99), CheckpointCheck::Matches);
        assert_eq!(cp.compare(Some([2; 32]), 99), CheckpointCheck::Rewritten);
        assert_eq!(cp.compare(None, 99), CheckpointCheck::Rewritten);
        assert_eq!(cp.compare(None, 9), CheckpointCheck::BeyondLog);
        assert_eq!(cp.compare(Some([2; 32]), 9), CheckpointCheck::BeyondLog);
    }
}
