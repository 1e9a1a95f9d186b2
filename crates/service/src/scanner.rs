//! The malware scan of uploads: a client of ClamAV's daemon (`clamd`, Debian's
//! `clamav-daemon`) over its Unix socket, speaking `INSTREAM`.
//!
//! It fails closed: anything but a clean answer from clamd (no daemon, a
//! timeout, a reset connection, an answer it does not understand, clamd's
//! own size limit) is [`ScanError::Unavailable`], and the caller refuses the
//! upload. An upload is never accepted because the scanner could not say.
//!
//! Every step (connecting, each write, waiting for the verdict) is bounded
//! by the scanner's timeout, so a stalled daemon costs an upload at most one
//! timeout per step rather than a request hanging for ever. The file's
//! bytes are never logged; the name of a signature that matched may be.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

/// The largest chunk written in one `INSTREAM` frame. clamd reads a frame
/// whole before checking it against `StreamMaxLength`, so frames stay small
/// however large the caller's buffer is.
const MAX_CHUNK: usize = 1024 * 1024;

/// clamd's verdicts are one short line; anything longer is not a reply we
/// understand, and a bound keeps a misbehaving peer from filling memory.
const MAX_REPLY: usize = 4096;

/// Where clamd listens and how long any one step may take.
#[derive(Clone, Debug)]
pub struct Scanner {
    socket: PathBuf,
    timeout: Duration,
}

/// One upload being streamed to clamd. Dropping it without
/// [`finish`](ScanSession::finish) closes the connection; clamd then
/// discards what it received.
#[derive(Debug)]
pub struct ScanSession {
    stream: UnixStream,
    timeout: Duration,
}

/// What clamd said of a whole stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// `signature` is clamd's name for what matched (such as
    /// `Eicar-Signature`): safe to log and to show, it never holds the
    /// file's bytes.
    Infected {
        signature: String,
    },
}

/// Why no verdict could be had. There is one answer for all of them,
/// because the caller does the same thing for each: refuse the upload.
/// The particular reason goes to the log (never the file's bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error("the malware scanner is not available, so the file was not accepted; try again later")]
    Unavailable,
}

impl ScanError {
    /// A stable code for logs and error bodies.
    pub fn code(self) -> &'static str {
        match self {
            ScanError::Unavailable => "scanner_unavailable",
        }
    }
}

impl Scanner {
    pub fn new(socket: PathBuf, timeout: Duration) -> Scanner {
        Scanner { socket, timeout }
    }

    /// Opens a scan: connects and sends `zINSTREAM`. The `z` form ends
    /// clamd's reply with a NUL, so the reply's end is unambiguous.
    pub async fn begin(&self) -> Result<ScanSession, ScanError> {
        let mut stream = self.connect().await?;
        step(self.timeout, "send command", stream.write_all(b"zINSTREAM\0")).await?;
        Ok(ScanSession { stream, timeout: self.timeout })
    }

    /// Readiness: clamd answers `zPING` with `PONG` only once its
    /// signatures are loaded and it is accepting work.
    pub async fn ping(&self) -> Result<(), ScanError> {
        let mut stream = self.connect().await?;
        step(self.timeout, "send command", stream.write_all(b"zPING\0")).await?;
        let reply = read_reply(&mut stream, self.timeout).await?;
        if reply == "PONG" { Ok(()) } else { unavailable("unexpected reply to ping", None) }
    }

    async fn connect(&self) -> Result<UnixStream, ScanError> {
        step(self.timeout, "connect", UnixStream::connect(&self.socket)).await
    }
}

impl ScanSession {
    /// Sends the next part of the file, as frames of a 4-byte big-endian
    /// length and at most [`MAX_CHUNK`] bytes. An empty part sends nothing:
    /// a zero-length frame would end the stream.
    pub async fn feed(&mut self, bytes: &[u8]) -> Result<(), ScanError> {
        for chunk in bytes.chunks(MAX_CHUNK) {
            let Ok(len) = u32::try_from(chunk.len()) else {
                return unavailable("chunk too large", None);
            };
            // A write refused because clamd hung up (its size limit, or it
            // died) is reported here; the reason is in clamd's own log.
            step(self.timeout, "send data", self.stream.write_all(&len.to_be_bytes())).await?;
            step(self.timeout, "send data", self.stream.write_all(chunk)).await?;
        }
        Ok(())
    }

    /// Ends the stream (a zero-length frame) and waits for clamd's verdict.
    /// The wait is bounded by the timeout too, and clamd scans only after
    /// the stream ends, so the timeout must allow a scan of the largest
    /// upload.
    pub async fn finish(mut self) -> Result<Verdict, ScanError> {
        step(self.timeout, "end stream", self.stream.write_all(&[0, 0, 0, 0])).await?;
        let reply = read_reply(&mut self.stream, self.timeout).await?;
        let verdict = parse_reply(&reply)?;
        if let Verdict::Infected { signature } = &verdict {
            tracing::warn!(signature = %signature, "malware scan: upload matched a signature");
        }
        Ok(verdict)
    }
}

/// Runs one step under the timeout; a failure is logged with the step's
/// name and the error's kind, never with data.
async fn step<T>(
    timeout: Duration,
    what: &'static str,
    f: impl Future<Output = std::io::Result<T>>,
) -> Result<T, ScanError> {
    match tokio::time::timeout(timeout, f).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => unavailable(what, Some(e.kind())),
        Err(_) => unavailable(what, Some(std::io::ErrorKind::TimedOut)),
    }
}

fn unavailable<T>(what: &'static str, kind: Option<std::io::ErrorKind>) -> Result<T, ScanError> {
    tracing::warn!(step = what, error = ?kind, "malware scanner unavailable; refusing the upload");
    Err(ScanError::Unavailable)
}

/// Reads up to the NUL that ends a `z` command's reply, within one timeout
/// for the whole reply.
async fn read_reply(stream: &mut UnixStream, timeout: Duration) -> Result<String, ScanError> {
    let read = async {
        let mut reply = Vec::new();
        let mut buf = [0u8; 512];
        loop {
            let n = stream.read(&mut buf).await?;
            let got = buf.get(..n).unwrap_or_default();
            if got.is_empty() {
                // Closed before the NUL: whatever came is not a whole reply.
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            if let Some(end) = got.iter().position(|&b| b == 0) {
                reply.extend(got.iter().take(end));
                break;
            }
            reply.extend_from_slice(got);
            if reply.len() > MAX_REPLY {
                return Err(std::io::ErrorKind::InvalidData.into());
            }
        }
        Ok(reply)
    };
    let reply = step(timeout, "read reply", read).await?;
    match String::from_utf8(reply) {
        Ok(text) => Ok(text),
        Err(_) => unavailable("reply not UTF-8", None),
    }
}

/// clamd answers `stream: OK`, `stream: <signature> FOUND`, or a message
/// ending in `ERROR` (`INSTREAM size limit exceeded. ERROR`, a scan that
/// failed). Only the first two are verdicts.
fn parse_reply(reply: &str) -> Result<Verdict, ScanError> {
    let reply = reply.trim_end();
    if reply.ends_with("ERROR") {
        // clamd's error text may be logged: it names limits and causes, never data.
        tracing::warn!(reply = %reply, "malware scanner answered with an error; refusing the upload");
        return Err(ScanError::Unavailable);
    }
    let Some(rest) = reply.strip_prefix("stream: ") else {
        return unavailable("unexpected reply to a scan", None);
    };
    if rest == "OK" {
        return Ok(Verdict::Clean);
    }
    match rest.strip_suffix(" FOUND").map(str::trim) {
        Some(name) if !name.is_empty() => {
            // Only printable ASCII goes on, so the name is safe in a log line or a page.
            let signature = name.chars().map(|c| if c.is_ascii_graphic() { c } else { '?' }).collect();
            Ok(Verdict::Infected { signature })
        }
        _ => unavailable("unexpected reply to a scan", None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_as_clamd_words_them() {
        assert_eq!(parse_reply("stream: OK"), Ok(Verdict::Clean));
        assert_eq!(
            parse_reply("stream: Eicar-Signature FOUND"),
            Ok(Verdict::Infected { signature: "Eicar-Signature".into() })
        );
        assert_eq!(parse_reply("stream: Odd\u{1b}Name FOUND"), Ok(Verdict::Infected { signature: "Odd?Name".into() }));
        assert_eq!(parse_reply("INSTREAM size limit exceeded. ERROR"), Err(ScanError::Unavailable));
        assert_eq!(parse_reply("stream: lstat() failed. ERROR"), Err(ScanError::Unavailable));
        assert_eq!(parse_reply("stream:  FOUND"), Err(ScanError::Unavailable));
        assert_eq!(parse_reply("PONG"), Err(ScanError::Unavailable));
        assert_eq!(parse_reply(""), Err(ScanError::Unavailable));
    }
}
