//! Several tapes into one, in receive-time order: a day's tapes of one
//! market into a longer one, or tapes of several markets into one that a
//! portfolio backtest maps once.

use std::io::Write;

use kestrel_model::Instrument;

use crate::error::TapeError;
use crate::reader::MappedTape;
use crate::writer::TapeWriter;

/// What a merge wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merged {
    /// The merged tape's instruments, in header order.
    pub instruments: Vec<Instrument>,
    /// Venue messages written.
    pub messages: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// Writes the messages of `inputs` to `out`, ordered by receive time (a
/// tie goes to the earlier input, and each input keeps its own order).
/// The header lists every input's instruments once; an instrument two
/// inputs list must be the same instrument (grids and terms) in both.
pub fn merge<W: Write>(inputs: &[MappedTape], out: W) -> Result<Merged, TapeError> {
    let mut instruments: Vec<Instrument> = Vec::new();
    let mut renumber: Vec<Vec<u16>> = Vec::with_capacity(inputs.len());
    for tape in inputs {
        let mut map = Vec::with_capacity(tape.instruments().len());
        for i in tape.instruments() {
            let at = match instruments.iter().position(|known| known.id == i.id) {
                Some(at) if instruments[at] == *i => at,
                Some(_) => return Err(TapeError::Conflict(i.id)),
                None => {
                    instruments.push(i.clone());
                    instruments.len() - 1
                }
            };
            map.push(u16::try_from(at).map_err(|_| TapeError::Conflict(i.id))?);
        }
        renumber.push(map);
    }
    let mut writer = TapeWriter::new(out, &instruments)?;
    let mut next = vec![0usize; inputs.len()];
    let mut merged = Merged::default();
    let mut copy = Vec::new();
    loop {
        // The input whose next message was received first.
        let mut first: Option<(usize, crate::reader::Message<'_>)> = None;
        for (n, tape) in inputs.iter().enumerate() {
            let Some(message) = tape.message(next[n]) else {
                continue;
            };
            let message = message?;
            if first.is_none_or(|(_, f)| message.local_ns < f.local_ns) {
                first = Some((n, message));
            }
        }
        let Some((n, message)) = first else {
            break;
        };
        next[n] = message.next;
        // Checked before it is copied: a merge never launders damage
        // into a message with a fresh checksum.
        crate::message::open(message.bytes)?;
        let instrument = renumber[n]
            .get(usize::from(message.instrument))
            .copied()
            .ok_or(TapeError::UnknownInstrument {
                message: merged.messages,
                index: message.instrument,
                listed: inputs[n].instruments().len(),
            })?;
        copy.clear();
        copy.extend_from_slice(message.bytes);
        crate::message::renumber(&mut copy, instrument);
        writer.put_raw(&copy)?;
        merged.messages += 1;
        merged.bytes += copy.len() as u64;
    }
    writer.finish()?;
    merged.instruments = instruments;
    Ok(merged)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use kestrel_model::{EventTime, Price, Qty, Trade, UnixNanos};
    use kestrel_registry::testing::{spot_btcusdt, usdm_btcusdt};

    use super::*;
    use crate::{TapeEvent, TapeEvents};

    fn tape(name: &str, instrument: &Instrument, locals: &[u64]) -> MappedTape {
        let path =
            std::env::temp_dir().join(format!("kestrel-merge-{}-{name}", std::process::id()));
        let mut w = TapeWriter::new(
            std::fs::File::create(&path).unwrap(),
            std::slice::from_ref(instrument),
        )
        .unwrap();
        for (n, &local) in locals.iter().enumerate() {
            w.write_trade(&Trade {
                instrument: instrument.id,
                trade_id: n as u64,
                price: Price::from_ticks(100),
                qty: Qty::from_lots(1),
                aggressor: None,
                time: EventTime {
                    exchange: UnixNanos::new(local),
                    local: UnixNanos::new(local),
                },
            })
            .unwrap();
        }
        w.finish().unwrap();
        MappedTape::open(&path).unwrap()
    }

    #[test]
    fn messages_interleave_by_receive_time_and_instruments_are_listed_once() {
        let (spot, usdm) = (spot_btcusdt(), usdm_btcusdt());
        let inputs = [
            tape("a", &spot, &[1, 4, 4]),
            tape("b", &usdm, &[2, 4, 9]),
            tape("c", &spot, &[10]),
        ];
        let mut out = Vec::new();
        let merged = merge(&inputs, &mut out).unwrap();
        assert_eq!(merged.instruments, vec![spot.clone(), usdm.clone()]);
        assert_eq!(merged.messages, 7);
        let path = std::env::temp_dir().join(format!("kestrel-merge-{}-out", std::process::id()));
        std::fs::write(&path, &out).unwrap();
        let mapped = MappedTape::open(&path).unwrap();
        let mut events = TapeEvents::new(mapped.messages(), mapped.instruments());
        let mut seen = Vec::new();
        while let Some(TapeEvent::Trade(t)) = events.next_event().unwrap() {
            seen.push((t.time.local.as_nanos(), t.instrument == spot.id));
        }
        // Ties keep the earlier input first.
        assert_eq!(
            seen,
            [
                (1, true),
                (2, false),
                (4, true),
                (4, true),
                (4, false),
                (9, false),
                (10, true)
            ]
        );
    }

    #[test]
    fn one_instrument_with_two_sets_of_terms_is_refused() {
        let spot = spot_btcusdt();
        let mut other = spot.clone();
        other.tick = "0.1".parse().unwrap();
        let inputs = [tape("d", &spot, &[1]), tape("e", &other, &[2])];
        assert!(matches!(
            merge(&inputs, Vec::new()),
            Err(TapeError::Conflict(id)) if id == spot.id
        ));
    }
}
