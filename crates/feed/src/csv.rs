//! The little CSV the recorded-data vendors write: comma-separated, no
//! quoting, a header row naming the columns.

use std::io::BufRead;

use kestrel_model::{Increment, Instrument, Price, Qty};

use crate::error::{FeedError, FrameError};
use crate::lines::LineReader;

/// A CSV file whose header row has been checked.
#[derive(Debug)]
pub struct CsvRows<R> {
    lines: LineReader<R>,
}

impl<R: BufRead> CsvRows<R> {
    /// Reads the header row and checks it names `columns`, in order.
    pub fn new(input: R, columns: &[&str]) -> Result<Self, FeedError> {
        let mut lines = LineReader::new(input);
        let header = match lines.next_line() {
            Some(line) => line?.1,
            None => return Err(FeedError::Format("empty file: no header row".into())),
        };
        let expected = columns.join(",");
        if header != expected.as_bytes() {
            return Err(FeedError::Format(format!(
                "header row {:?}, expected {expected:?}",
                String::from_utf8_lossy(header)
            )));
        }
        Ok(Self { lines })
    }

    /// Rows without a header row to check (files written both ways, such
    /// as Binance's: the reader looks at the first row itself).
    pub fn headerless(input: R) -> Self {
        Self {
            lines: LineReader::new(input),
        }
    }

    /// The next row's line number and fields.
    pub fn next_row(&mut self) -> Option<Result<(u64, Fields<'_>), FeedError>> {
        Some(self.lines.next_line()?.map(|(line, text)| {
            (
                line,
                Fields {
                    rest: Some(text),
                    pos: 0,
                },
            )
        }))
    }
}

/// Rows parsed into `T` and grouped into messages: the reader looks one row
/// ahead to see where a message ends. A row that fails to parse ends the
/// message before it and is reported on the next call, so no good row is
/// lost to a bad neighbour.
pub struct RowGroups<R, T> {
    rows: CsvRows<R>,
    parse: fn(Fields<'_>, &Instrument) -> Result<T, FrameError>,
    instrument: Instrument,
    ahead: Option<T>,
    ahead_error: Option<FeedError>,
}

impl<R: BufRead, T: Copy> RowGroups<R, T> {
    /// Reads `input`, whose header must hold `columns`, parsing each row
    /// with `parse` on `instrument`'s grid.
    pub fn new(
        input: R,
        columns: &[&str],
        instrument: &Instrument,
        parse: fn(Fields<'_>, &Instrument) -> Result<T, FrameError>,
    ) -> Result<Self, FeedError> {
        Ok(Self {
            rows: CsvRows::new(input, columns)?,
            parse,
            instrument: instrument.clone(),
            ahead: None,
            ahead_error: None,
        })
    }

    /// The instrument rows are parsed for.
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    /// The first row of the next message; `None` at the end of the file.
    pub fn first(&mut self) -> Option<Result<T, FeedError>> {
        if let Some(e) = self.ahead_error.take() {
            return Some(Err(e));
        }
        if let Some(row) = self.ahead.take() {
            return Some(Ok(row));
        }
        self.read()
    }

    /// The next row if `belongs` says it is part of the current message.
    pub fn next_if(&mut self, belongs: impl FnOnce(&T) -> bool) -> Option<T> {
        match self.read()? {
            Ok(row) if belongs(&row) => Some(row),
            Ok(row) => {
                self.ahead = Some(row);
                None
            }
            Err(e) => {
                self.ahead_error = Some(e);
                None
            }
        }
    }

    fn read(&mut self) -> Option<Result<T, FeedError>> {
        let (parse, instrument) = (self.parse, &self.instrument);
        Some(self.rows.next_row()?.and_then(|(line, fields)| {
            parse(fields, instrument).map_err(|error| FeedError::Frame { line, error })
        }))
    }
}

/// The fields of one row, taken in column order.
#[derive(Debug)]
pub struct Fields<'a> {
    rest: Option<&'a [u8]>,
    pos: usize,
}

impl<'a> Fields<'a> {
    /// The next field, named for the error if it is missing.
    pub fn next(&mut self, name: &'static str) -> Result<&'a [u8], FrameError> {
        let rest = self.rest.ok_or(FrameError::MissingField(name))?;
        match rest.iter().position(|&b| b == b',') {
            Some(comma) => {
                self.rest = Some(&rest[comma + 1..]);
                self.pos += comma + 1;
                Ok(&rest[..comma])
            }
            None => {
                self.rest = None;
                Ok(rest)
            }
        }
    }

    /// The rest of the row, unsplit (a reader with its own one-pass
    /// parser takes the row whole).
    pub fn rest(&self) -> &'a [u8] {
        self.rest.unwrap_or_default()
    }

    /// Fails if fields remain.
    pub fn end(&self) -> Result<(), FrameError> {
        match self.rest {
            None => Ok(()),
            Some(_) => Err(FrameError::Syntax {
                pos: u32::try_from(self.pos).unwrap_or(u32::MAX),
                expected: "end of row",
            }),
        }
    }

    /// The next field as an unsigned integer.
    pub fn u64(&mut self, name: &'static str) -> Result<u64, FrameError> {
        crate::json::parse_u64(self.next(name)?).ok_or(FrameError::BadValue(name))
    }

    /// The next field as a price on `tick`.
    pub fn price(&mut self, name: &'static str, tick: &Increment) -> Result<Price, FrameError> {
        Price::parse_bytes(self.next(name)?, tick)
            .map_err(|error| FrameError::Decimal { field: name, error })
    }

    /// The next field as a size on `lot`.
    pub fn qty(&mut self, name: &'static str, lot: &Increment) -> Result<Qty, FrameError> {
        Qty::parse_bytes(self.next(name)?, lot)
            .map_err(|error| FrameError::Decimal { field: name, error })
    }

    /// The next field, which must name `symbol` (ignoring case).
    pub fn symbol(&mut self, symbol: &str) -> Result<(), FrameError> {
        if self.next("symbol")?.eq_ignore_ascii_case(symbol.as_bytes()) {
            Ok(())
        } else {
            Err(FrameError::BadValue("symbol"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_checked_and_fields_split() {
        let text = "a,b\n1,2\n\n3\n4,5,6\n";
        let mut rows = CsvRows::new(text.as_bytes(), &["a", "b"]).unwrap();
        let (line, mut f) = rows.next_row().unwrap().unwrap();
        assert_eq!(line, 2);
        assert_eq!(f.u64("a"), Ok(1));
        assert_eq!(f.u64("b"), Ok(2));
        assert_eq!(f.end(), Ok(()));
        let (line, mut f) = rows.next_row().unwrap().unwrap();
        assert_eq!(line, 4);
        assert_eq!(f.next("a"), Ok(&b"3"[..]));
        assert_eq!(f.next("b"), Err(FrameError::MissingField("b")));
        let (_, mut f) = rows.next_row().unwrap().unwrap();
        f.next("a").unwrap();
        f.next("b").unwrap();
        assert!(f.end().is_err());
        assert!(rows.next_row().is_none());
        assert!(CsvRows::new("x,y\n".as_bytes(), &["a", "b"]).is_err());
        assert!(CsvRows::new("".as_bytes(), &["a"]).is_err());
    }
}
