//! The record frame: `len u32 | crc32c u32 | type u16 | flags u16 | seq u64`,
//! little-endian, then `len` payload bytes.

/// Bytes before the payload.
pub const HEADER_LEN: usize = 20;

/// Largest payload accepted: a length above it is corruption, not a record.
pub const MAX_PAYLOAD: u32 = 1 << 24;

/// What a record holds; the engine gives the values their meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordType(pub u16);

/// A decoded header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// Payload length.
    pub len: u32,
    /// CRC32C of type, flags, sequence and payload.
    pub crc: u32,
    /// Record type.
    pub kind: RecordType,
    /// Reserved, zero.
    pub flags: u16,
    /// Sequence number, one more than the previous record's.
    pub seq: u64,
}

/// Why bytes are not a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Fewer bytes than a header, or than the header's length says.
    #[error("torn record: {have} of {need} bytes")]
    Torn {
        /// Bytes there.
        have: usize,
        /// Bytes needed.
        need: usize,
    },
    /// A length no record can have.
    #[error("record length {0} out of range")]
    BadLength(u32),
    /// The checksum does not match the bytes.
    #[error("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum {
        /// In the header.
        stored: u32,
        /// Over the bytes.
        computed: u32,
    },
}

fn checksum(header_tail: &[u8], payload: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(header_tail), payload)
}

/// Appends one framed record to `out`.
pub fn encode(out: &mut Vec<u8>, kind: RecordType, seq: u64, payload: &[u8]) {
    let mut tail = [0u8; 12];
    tail[0..2].copy_from_slice(&kind.0.to_le_bytes());
    tail[4..12].copy_from_slice(&seq.to_le_bytes());
    let crc = checksum(&tail, payload);
    // Payloads come from the engine, far below 4 GiB.
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&tail);
    out.extend_from_slice(payload);
}

/// Decodes the record at the start of `bytes`: its header and payload.
pub fn decode(bytes: &[u8]) -> Result<(RecordHeader, &[u8]), FrameError> {
    let Some(header) = bytes.get(..HEADER_LEN) else {
        return Err(FrameError::Torn {
            have: bytes.len(),
            need: HEADER_LEN,
        });
    };
    let u32_at =
        |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let len = u32_at(0);
    if len > MAX_PAYLOAD {
        return Err(FrameError::BadLength(len));
    }
    let need = HEADER_LEN + len as usize;
    let Some(payload) = bytes.get(HEADER_LEN..need) else {
        return Err(FrameError::Torn {
            have: bytes.len(),
            need,
        });
    };
    let stored = u32_at(4);
    let computed = checksum(&header[8..HEADER_LEN], payload);
    if stored != computed {
        return Err(FrameError::Checksum { stored, computed });
    }
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&header[12..20]);
    Ok((
        RecordHeader {
            len,
            crc: stored,
            kind: RecordType(u16::from_le_bytes([header[8], header[9]])),
            flags: u16::from_le_bytes([header[10], header[11]]),
            seq: u64::from_le_bytes(seq),
        },
        payload,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_record_round_trips_and_every_cut_is_torn() {
        let mut buf = Vec::new();
        encode(&mut buf, RecordType(7), 42, b"hello");
        let (h, p) = decode(&buf).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (h.kind, h.seq, h.len, p),
            (RecordType(7), 42, 5, &b"hello"[..])
        );
        for cut in 0..buf.len() {
            assert!(matches!(decode(&buf[..cut]), Err(FrameError::Torn { .. })));
        }
    }

    proptest! {
        #[test]
        fn any_flipped_bit_is_caught(payload in proptest::collection::vec(any::<u8>(), 0..64), bit in 0usize..(84 * 8)) {
            let mut buf = Vec::new();
            encode(&mut buf, RecordType(3), 9, &payload);
            let bit = bit % (buf.len() * 8);
            buf[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(decode(&buf).is_err());
        }
    }
}
