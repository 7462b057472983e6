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
    /// Bytes of the input's buffer lent out as the last line, consumed on
    /// the next call.
    lent: usize,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(input: R) -> Self {
        Self {
            input,
            line: Vec::with_capacity(1 << 12),
            line_no: 0,
            lent: 0,
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
            self.input.consume(std::mem::take(&mut self.lent));
            // A whole line in the input's buffer is lent straight from it:
            // no copy, which is most of the cost of a short CSV row.
            let whole = match self.input.fill_buf() {
                Ok(buffer) => memchr::memchr(b'\n', buffer)
                    .map(|end| (end, buffer[..end].trim_ascii().is_empty())),
                Err(e) => return Some(Err(e.into())),
            };
            if let Some((end, blank)) = whole {
                self.line_no += 1;
                self.lent = end + 1;
                if blank {
                    continue;
                }
                let line_no = self.line_no;
                return Some(match self.input.fill_buf() {
                    Ok(buffer) => Ok((line_no, buffer[..end].trim_ascii_end())),
                    Err(e) => Err(e.into()),
                });
            }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::BufReader;

    use super::*;

    fn lines(text: &[u8], capacity: usize) -> Vec<(u64, Vec<u8>)> {
        let mut reader = LineReader::new(BufReader::with_capacity(capacity, text));
        let mut out = Vec::new();
        while let Some(line) = reader.next_line() {
            let (n, bytes) = line.unwrap();
            out.push((n, bytes.to_vec()));
        }
        out
    }

    #[test]
    fn lines_lent_from_the_buffer_or_copied_across_its_edge_are_the_same() {
        let text = b"a,1\r\n\n  \nbb,22\nccc,333\r\n\ndddd,4444";
        let want: Vec<(u64, Vec<u8>)> = vec![
            (1, b"a,1".to_vec()),
            (4, b"bb,22".to_vec()),
            (5, b"ccc,333".to_vec()),
            (7, b"dddd,4444".to_vec()),
        ];
        for capacity in 1..=text.len() + 1 {
            assert_eq!(lines(text, capacity), want, "a buffer of {capacity}");
        }
    }
}
