//! Raw frame recordings: one frame per line, `<local_receive_ts_ns> <frame>`.
//!
//! This is the hftbacktest collector's format (the bundled Binance captures)
//! and the format `kestrel record` writes, so a recorded live session replays
//! through exactly the code that decoded it live. Files may be gzipped.
//! Lines without the timestamp (Bybit's CDN files are bare JSON lines) are
//! accepted with an unknown receive time.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;
use kestrel_model::UnixNanos;

use crate::error::{FeedError, FrameError};
use crate::lines::LineReader;
pub use crate::lines::MAX_LINE_BYTES;

/// One recorded frame.
#[derive(Clone, Copy, Debug)]
pub struct CapturedFrame<'a> {
    /// 1-based line number, for error reports.
    pub line: u64,
    /// When the recorder received it; `None` for bare lines.
    pub local: Option<UnixNanos>,
    /// The frame exactly as received.
    pub frame: &'a [u8],
}

/// Streams frames from a recording, one line at a time, so memory stays
/// bounded whatever the file size.
pub struct CaptureReader<R> {
    lines: LineReader<R>,
}

/// Opens a file for reading, gunzipping it if it starts with the gzip magic.
pub fn open_maybe_gzip(path: &Path) -> Result<Box<dyn BufRead + Send>, FeedError> {
    maybe_gunzip(BufReader::with_capacity(1 << 16, File::open(path)?))
}

/// `file`, gunzipped if it starts with gzip's magic bytes.
fn maybe_gunzip<R: Read + Send + 'static>(
    mut file: BufReader<R>,
) -> Result<Box<dyn BufRead + Send>, FeedError> {
    let gzipped = file.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzipped {
        Box::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(file)))
    } else {
        Box::new(file)
    })
}

/// How far through its file a reader is, for progress bars: bytes of the
/// file (compressed, if it is) consumed so far, readable from any thread.
#[derive(Clone, Debug)]
pub struct ReadProgress {
    read: Arc<AtomicU64>,
    total: u64,
}

impl ReadProgress {
    /// The fraction of the file read, 0 to 1.
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            return 1.0;
        }
        (self.read.load(Ordering::Relaxed) as f64 / self.total as f64).min(1.0)
    }
}

/// A reader that counts the bytes passing through it.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl CaptureReader<Box<dyn BufRead + Send>> {
    /// Opens a capture, gzipped or not, with a handle on how much of the
    /// file has been read.
    pub fn open_with_progress(path: &Path) -> Result<(Self, ReadProgress), FeedError> {
        let file = File::open(path)?;
        let total = file.metadata()?.len();
        let read = Arc::new(AtomicU64::new(0));
        let counted = Counted {
            inner: file,
            read: Arc::clone(&read),
        };
        let input = maybe_gunzip(BufReader::with_capacity(1 << 16, counted))?;
        Ok((Self::new(input), ReadProgress { read, total }))
    }

    /// Opens a recording, gzipped or plain.
    pub fn open(path: &Path) -> Result<Self, FeedError> {
        Ok(Self::new(open_maybe_gzip(path)?))
    }
}

impl<R: BufRead> CaptureReader<R> {
    /// Reads a recording from any buffered input.
    pub fn new(input: R) -> Self {
        Self {
            lines: LineReader::new(input),
        }
    }

    /// Lines read so far.
    pub fn lines_read(&self) -> u64 {
        self.lines.lines_read()
    }

    /// The next frame; `None` at the end of the input. A malformed line is a
    /// recoverable [`FeedError::Frame`]: reading can go on after it.
    pub fn next_frame(&mut self) -> Option<Result<CapturedFrame<'_>, FeedError>> {
        Some(self.lines.next_line()?.and_then(|(line, text)| {
            split_line(text, line).map_err(|error| FeedError::Frame { line, error })
        }))
    }
}

/// Splits `<ts> <frame>`; a line that starts with the frame has no time.
fn split_line(text: &[u8], line: u64) -> Result<CapturedFrame<'_>, FrameError> {
    if !text[0].is_ascii_digit() {
        return Ok(CapturedFrame {
            line,
            local: None,
            frame: text,
        });
    }
    let space = text
        .iter()
        .position(|&b| b == b' ')
        .ok_or(FrameError::MissingField("frame after the timestamp"))?;
    let local = crate::json::parse_u64(&text[..space]).ok_or(FrameError::BadValue("timestamp"))?;
    Ok(CapturedFrame {
        line,
        local: Some(UnixNanos::new(local)),
        frame: &text[space + 1..],
    })
}

/// Writes frames in the recording format, one per line.
///
/// A frame containing a newline cannot be written as one line; venues never
/// send one (JSON frames are single-line), so it is refused rather than
/// silently split.
pub struct CaptureWriter<W: Write> {
    out: W,
    frames: u64,
}

impl<W: Write> CaptureWriter<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        Self { out, frames: 0 }
    }

    /// Appends one frame received at `local`.
    pub fn write_frame(&mut self, local: UnixNanos, frame: &[u8]) -> std::io::Result<()> {
        if frame.contains(&b'\n') {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a frame with a newline cannot be recorded as one line",
            ));
        }
        write!(self.out, "{} ", local.as_nanos())?;
        self.out.write_all(frame)?;
        self.out.write_all(b"\n")?;
        self.frames += 1;
        Ok(())
    }

    /// Frames written.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Flushes and returns the output.
    pub fn into_inner(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_timestamped_and_bare_lines_and_reports_bad_ones() {
        let text =
            b"1723161255030314667 {\"a\":1}\r\n\n{\"topic\":\"x\"}\r\nnot-a-number {}\n12345\n";
        let mut r = CaptureReader::new(&text[..]);
        let f = r.next_frame().unwrap().unwrap();
        assert_eq!(
            (f.line, f.local, f.frame),
            (
                1,
                Some(UnixNanos::new(1723161255030314667)),
                &b"{\"a\":1}"[..]
            )
        );
        let f = r.next_frame().unwrap().unwrap();
        assert_eq!(
            (f.line, f.local, f.frame),
            (3, None, &b"{\"topic\":\"x\"}"[..])
        );
        assert!(matches!(
            r.next_frame(),
            Some(Ok(CapturedFrame { local: None, .. }))
        ));
        assert!(matches!(
            r.next_frame(),
            Some(Err(FeedError::Frame { line: 5, .. }))
        ));
        assert!(r.next_frame().is_none());
    }

    #[test]
    fn writer_round_trips_through_the_reader() {
        let mut w = CaptureWriter::new(Vec::new());
        w.write_frame(UnixNanos::new(42), b"{\"x\":[1,2]}").unwrap();
        w.write_frame(UnixNanos::new(43), b"pong").unwrap();
        assert!(w.write_frame(UnixNanos::new(44), b"a\nb").is_err());
        assert_eq!(w.frames(), 2);
        let bytes = w.into_inner().unwrap();
        let mut r = CaptureReader::new(&bytes[..]);
        let f = r.next_frame().unwrap().unwrap();
        assert_eq!(
            (f.local, f.frame),
            (Some(UnixNanos::new(42)), &b"{\"x\":[1,2]}"[..])
        );
        let f = r.next_frame().unwrap().unwrap();
        assert_eq!(f.frame, b"pong");
    }
}
