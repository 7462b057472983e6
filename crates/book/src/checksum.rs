//! Venue book checksums, computed from our fixed-point book without allocating.

use crc32fast::Hasher;
use kestrel_model::{DecimalText, Side};

use crate::book::OrderBook;

/// Levels per side in OKX's checksum.
pub const OKX_CHECKSUM_DEPTH: usize = 25;

impl OrderBook {
    /// OKX's `books` checksum: CRC32 over the best 25 bids and asks written
    /// `bidPx:bidSz:askPx:askSz:…` (a side that runs out is skipped), read as
    /// a signed 32-bit integer.
    ///
    /// Values are written as OKX writes them, without trailing fractional
    /// zeros (`3366`, `3366.1`). OKX stopped filling the field in June 2026
    /// (it now always sends 0); it remains the check for older recordings.
    pub fn okx_checksum(&self) -> i32 {
        // The text is gathered on the stack and hashed in a few large
        // pieces: the CRC's cost is per call as much as per byte.
        let mut text = ChecksumText::default();
        let mut bids = self.levels(Side::Buy).take(OKX_CHECKSUM_DEPTH);
        let mut asks = self.levels(Side::Sell).take(OKX_CHECKSUM_DEPTH);
        loop {
            let (bid, ask) = (bids.next(), asks.next());
            if bid.is_none() && ask.is_none() {
                break;
            }
            for level in [bid, ask].into_iter().flatten() {
                text.field(
                    |out| level.price.write_trimmed(self.tick(), out),
                    || level.price.display_trimmed(self.tick()),
                );
                text.field(
                    |out| level.qty.write_trimmed(self.lot(), out),
                    || level.qty.display_trimmed(self.lot()),
                );
            }
        }
        text.finish() as i32
    }
}

/// `:`-separated fields, buffered and fed to a CRC32.
struct ChecksumText {
    hasher: Hasher,
    buf: [u8; 1024],
    len: usize,
    empty: bool,
}

impl Default for ChecksumText {
    fn default() -> Self {
        Self {
            hasher: Hasher::new(),
            buf: [0; 1024],
            len: 0,
            empty: true,
        }
    }
}

impl ChecksumText {
    /// Appends `:` (after the first field) and a value, written in place by
    /// `write` or, for a value beyond 64 bits, copied from `render`.
    fn field(
        &mut self,
        write: impl FnOnce(&mut [u8]) -> Option<usize>,
        render: impl FnOnce() -> DecimalText,
    ) {
        // A separator and a rendered decimal (at most 48 bytes) always fit
        // after a flush.
        if self.len + 49 > self.buf.len() {
            self.hasher.update(&self.buf[..self.len]);
            self.len = 0;
        }
        if !self.empty {
            self.buf[self.len] = b':';
            self.len += 1;
        }
        self.empty = false;
        let rest = &mut self.buf[self.len..];
        self.len += match write(rest) {
            Some(n) => n,
            None => {
                let text = render();
                let n = text.as_bytes().len().min(rest.len());
                rest[..n].copy_from_slice(&text.as_bytes()[..n]);
                n
            }
        };
    }

    fn finish(mut self) -> u32 {
        self.hasher.update(&self.buf[..self.len]);
        self.hasher.finalize()
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::book_with_grid;

    #[test]
    fn matches_okx_documented_example() {
        // OKX v5 docs, "Checksum": bids 3366.1×7, 3366×6; asks 3366.8×9, 3368×8.
        // String "3366.1:7:3366.8:9:3366:6:3368:8"; OKX and zlib give -1881014294.
        let book = book_with_grid(
            "0.1",
            "1",
            &[("3366.1", "7"), ("3366", "6")],
            &[("3366.8", "9"), ("3368", "8")],
        );
        assert_eq!(book.okx_checksum(), -1_881_014_294);
    }

    #[test]
    fn skips_the_side_that_runs_out() {
        // "3366.1:7:3366.8:9:3368:8" → zlib.crc32 as int32 = -1471518219.
        let book = book_with_grid(
            "0.1",
            "1",
            &[("3366.1", "7")],
            &[("3366.8", "9"), ("3368", "8")],
        );
        assert_eq!(book.okx_checksum(), -1_471_518_219);
        // "0.5:1.25" → 30186640: trailing zeros trimmed from both fields.
        let book = book_with_grid("0.10", "0.01", &[("0.50", "1.250")], &[]);
        assert_eq!(book.okx_checksum(), 30_186_640);
    }
}
