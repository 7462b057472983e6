//! The file header: magic, version and the instrument table.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `KESTRELT` |
//! | 8 | 2 | format version (3), little-endian |
//! | 10 | 2 | 0 (version 2's record size; messages are framed now) |
//! | 12 | 4 | header length in bytes, a multiple of 64: messages start there |
//! | 16 | … | instrument table, UTF-8, one line per instrument, zero padded |
//!
//! A table line is the instrument's catalogue entry as one line of JSON
//! (`kestrel_instruments::file`), every number exact decimal text: a tape
//! carries the grids its ticks and lots are counted on, and the contract
//! terms and rules its instrument was listed with, so it needs no
//! catalogue to be read. Version 1 (grids and fees only) and version 2
//! (fixed 64-byte records) are no longer read; `kestrel data convert`
//! makes a tape again from its capture.

use kestrel_instruments::file::{instrument_from_json, instrument_to_json};
use kestrel_model::Instrument;

use crate::error::TapeError;

/// The header's length is a multiple of this.
const ALIGN: usize = 64;

/// First eight bytes of every tape.
pub const MAGIC: [u8; 8] = *b"KESTRELT";
/// The format version this crate writes and reads.
pub const VERSION: u16 = 3;
/// Size of the fixed preamble that [`header_len`] reads.
pub(crate) const PREAMBLE_LEN: usize = 16;
/// Largest header a reader accepts, so a hostile length cannot exhaust memory.
pub const MAX_HEADER: usize = 1 << 20;

/// Encodes the header for `instruments`.
pub(crate) fn encode(instruments: &[Instrument]) -> Result<Vec<u8>, TapeError> {
    if instruments.len() > usize::from(u16::MAX) {
        return Err(TapeError::BadHeader(format!(
            "{} instruments; at most {}",
            instruments.len(),
            u16::MAX
        )));
    }
    let mut table = String::new();
    for i in instruments {
        table.push_str(&instrument_to_json(i));
        table.push('\n');
    }
    let len = (PREAMBLE_LEN + table.len()).div_ceil(ALIGN) * ALIGN;
    if len > MAX_HEADER {
        return Err(TapeError::BadHeader(format!("header of {len} bytes")));
    }
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(table.as_bytes());
    out.resize(len, 0);
    Ok(out)
}

/// Reads the fixed preamble and returns the whole header's length.
pub(crate) fn header_len(preamble: &[u8; PREAMBLE_LEN]) -> Result<usize, TapeError> {
    if preamble[..8] != MAGIC {
        return Err(TapeError::BadMagic);
    }
    let version = u16::from_le_bytes([preamble[8], preamble[9]]);
    let record_size = u16::from_le_bytes([preamble[10], preamble[11]]);
    if version != VERSION || record_size != 0 {
        return Err(TapeError::Unsupported {
            version,
            record_size,
        });
    }
    let len = u32::from_le_bytes([preamble[12], preamble[13], preamble[14], preamble[15]]);
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if len < PREAMBLE_LEN || len % ALIGN != 0 || len > MAX_HEADER {
        return Err(TapeError::BadHeader(format!("header length {len}")));
    }
    Ok(len)
}

/// Parses the instrument table of a whole header.
pub(crate) fn decode(header: &[u8]) -> Result<Vec<Instrument>, TapeError> {
    let table = header.get(PREAMBLE_LEN..).unwrap_or_default();
    let end = table.iter().position(|&b| b == 0).unwrap_or(table.len());
    let text = std::str::from_utf8(&table[..end])
        .map_err(|_| TapeError::BadHeader("instrument table is not UTF-8".into()))?;
    text.lines().map(parse_line).collect()
}

fn parse_line(line: &str) -> Result<Instrument, TapeError> {
    instrument_from_json(line)
        .map_err(|e| TapeError::BadHeader(format!("instrument line {line:?}: {e}")))
}
