//! Bounded line reading shared by every text recording reader.

use std::io::{BufRead, Read};

use crate::error::{FeedError, FrameError};

/// Longest line accepted; a REST snapshot of 1,000 levels a side is ~60 KB.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Reads non-blank lines with a length cap, so one runaway line costs a
/// counted error instead of unbounded memory.
#[derive(Debug)]
pub(crate) struct LineReader<R> {
    input: R,
    line: Vec<u8>,
    line_no: u64,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(input: R) -> Self {
        Self {
            input,
            line: Vec::with_capacity(1 << 12),
            line_no: 0,
        }
    }

    /// Lines read so far, blank ones included.
    pub fn lines_read(&self) -> u64 {
        self.line_no
    }

    /// The next non-blank line with its 1-based number, trailing whitespace
    /// (CR included) removed; `None` at the end of the input.
    pub fn next_line(&mut self) -> Option<Result<(u64, &[u8]), FeedError>> {
        loop {
            self.line.clear();
            match Read::by_ref(&mut self.input)
                .take(MAX_LINE_BYTES as u64)
                .read_until(b'\n', &mut self.line)
            {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(e.into())),
            }
            self.line_no += 1;
            if self.line.len() == MAX_LINE_BYTES && self.line.last() != Some(&b'\n') {
                // Skip the rest of the oversized line.
                if let Err(e) = self.input.skip_until(b'\n') {
                    return Some(Err(e.into()));
                }
                let error = FrameError::TooLong {
                    limit: MAX_LINE_BYTES,
                };
                return Some(Err(FeedError::Frame {
                    line: self.line_no,
                    error,
                }));
            }
            if !self.line.trim_ascii().is_empty() {
                return Some(Ok((self.line_no, self.line.trim_ascii_end())));
            }
        }
    }
}
