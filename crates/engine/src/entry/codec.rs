//! Entries to payload bytes and back.

use kestrel_journal::RecordType;
use kestrel_model::{
    AccountId, BookDelta, BookSnapshot, ExecKind, ExecReport, ExpireReason, FeeAsset, Fill,
    InstrumentId, InstrumentIndex, Level, LevelUpdate, Liquidity, OrderId, OrderSpec, OrderStatus,
    Price, Qty, RejectReason, StrategyIndex, Trade, UnixNanos, UpdateIds,
};
use kestrel_risk::{BracketExit, Decision, Reason};

use super::wire::{In, Out, codes, order_type_code, order_type_from, tif_code, tif_from};
use super::{Entry, EntryError, SessionHeader, kind, kind_of};
use crate::kernel::{AdoptedOrder, OrderIntent, RiskEvent};

/// Appends `entry`'s payload to `out`; its record type.
pub fn encode(entry: &Entry, out: &mut Vec<u8>) -> RecordType {
    let mut w = Out(out);
    match entry {
        Entry::Session(header) => session(&mut w, header),
        Entry::Start { now }
        | Entry::Timers { now }
        | Entry::ResetKillSwitch { now }
        | Entry::CancelAll { now }
        | Entry::Stop { now } => w.time(*now),
        Entry::Gap { now, ix } => {
            w.time(*now);
            w.ix(*ix);
        }
        Entry::Snapshot { now, ix, book } => {
            encode_snapshot(*now, *ix, book, w.0);
        }
        Entry::Delta { now, ix, delta } => {
            encode_delta(*now, *ix, delta, w.0);
        }
        Entry::Trade { now, ix, trade } => {
            w.time(*now);
            w.ix(*ix);
            w.varint(trade.trade_id);
            w.zigzag(trade.price.ticks());
            w.varint(trade.qty.lots());
            match trade.aggressor {
                Some(side) => w.side(side),
                None => w.u8(2),
            }
            w.event_time_from(*now, trade.time);
        }
        Entry::Report { now, ix, report } => {
            w.time(*now);
            w.ix(*ix);
            exec_report(&mut w, report);
        }
        Entry::CancelRejected { now, id } => {
            w.time(*now);
            w.client_id(id);
        }
        Entry::Repaired { now, cut_at, bytes } => {
            w.time(*now);
            w.varint(*cut_at);
            w.varint(*bytes);
        }
        Entry::Intent { now, intent } => {
            w.time(*now);
            order_intent(&mut w, intent);
        }
        Entry::Adopt { now, order } => {
            w.time(*now);
            w.u16(order.instrument.0);
            w.client_id(&order.id);
            w.side(order.side);
            w.u8(order_type_code(order.kind));
            w.opt_price(order.price);
            w.qty(order.qty);
        }
        Entry::Resume { now, session_ms } => {
            w.time(*now);
            w.u64(*session_ms);
        }
        Entry::Balances {
            now,
            ix,
            base,
            quote,
        } => {
            w.time(*now);
            w.ix(*ix);
            w.decimal(*base);
            w.decimal(*quote);
        }
        Entry::Risk(event) => risk_event(&mut w, event),
    }
    kind_of(entry)
}

/// Appends a delta's payload without owning it (the live path, where the
/// feed reuses its `BookDelta`); its record type.
pub fn encode_delta(
    now: UnixNanos,
    ix: InstrumentIndex,
    delta: &BookDelta,
    out: &mut Vec<u8>,
) -> RecordType {
    let mut w = Out(out);
    w.time(now);
    w.ix(ix);
    w.u64(delta.ids.first);
    w.varint(delta.ids.last.wrapping_sub(delta.ids.first));
    match delta.ids.prev {
        Some(p) => {
            w.u8(1);
            w.varint(delta.ids.first.wrapping_sub(p));
        }
        None => w.u8(0),
    }
    w.event_time_from(now, delta.time);
    level_updates(&mut w, &delta.updates);
    kind::DELTA
}

/// Appends a snapshot's payload without owning it; its record type.
pub fn encode_snapshot(
    now: UnixNanos,
    ix: InstrumentIndex,
    book: &BookSnapshot,
    out: &mut Vec<u8>,
) -> RecordType {
    let mut w = Out(out);
    w.time(now);
    w.ix(ix);
    w.u64(book.last_update_id);
    w.event_time_from(now, book.time);
    let mut prev = Price::from_ticks(0);
    for levels in [&book.bids, &book.asks] {
        w.len(levels.len());
        for l in levels.iter() {
            w.level(&mut prev, l.price, l.qty);
        }
    }
    kind::SNAPSHOT
}

/// Level updates as runs on one side, `runs (side len (price lots)*)*`,
/// each price a difference from the one before: a venue's diff lists each
/// side in price order, so most differences fit in a byte or two.
fn level_updates(w: &mut Out<'_>, updates: &[LevelUpdate]) {
    let runs = updates.chunk_by(|a, b| a.side == b.side);
    w.len(runs.clone().count());
    let mut prev = Price::from_ticks(0);
    for run in runs {
        let Some(first) = run.first() else { continue };
        w.side(first.side);
        w.len(run.len());
        for u in run {
            w.level(&mut prev, u.price, u.qty);
        }
    }
}

fn read_level_updates(r: &mut In<'_>) -> Result<Vec<LevelUpdate>, EntryError> {
    // A run takes at least two bytes (side, length), a level two (price, lots).
    let runs = r.len(2)?;
    let mut updates = Vec::new();
    let mut prev = Price::from_ticks(0);
    for _ in 0..runs {
        let side = r.side()?;
        let n = r.len(2)?;
        updates.reserve(n);
        for _ in 0..n {
            let (price, qty) = r.level(&mut prev)?;
            updates.push(LevelUpdate { price, qty, side });
        }
    }
    Ok(updates)
}

/// Reads an entry of type `kind`. Market events, reports and balances name
/// their instrument by index into `instruments` (the session header's),
/// and an index outside it is an invalid entry.
pub fn decode(
    kind: RecordType,
    payload: &[u8],
    instruments: &[InstrumentId],
) -> Result<Entry, EntryError> {
    let mut r = In::new(payload);
    let instrument = |r: &mut In<'_>| -> Result<(InstrumentIndex, InstrumentId), EntryError> {
        let ix = r.ix()?;
        let id = instruments
            .get(ix.get())
            .ok_or(EntryError::Invalid("instrument index"))?;
        Ok((ix, *id))
    };
    let entry = match kind {
        kind::SESSION => Entry::Session(Box::new(read_session(&mut r)?)),
        kind::START => Entry::Start { now: r.time()? },
        kind::GAP => Entry::Gap {
            now: r.time()?,
            ix: instrument(&mut r)?.0,
        },
        kind::TIMERS => Entry::Timers { now: r.time()? },
        kind::RESET_KILL_SWITCH => Entry::ResetKillSwitch { now: r.time()? },
        kind::STOP => Entry::Stop { now: r.time()? },
        kind::CANCEL_ALL => Entry::CancelAll { now: r.time()? },
        kind::REPAIRED => Entry::Repaired {
            now: r.time()?,
            cut_at: r.varint()?,
            bytes: r.varint()?,
        },
        kind::SNAPSHOT => {
            let now = r.time()?;
            let which = instrument(&mut r)?;
            read_snapshot(&mut r, now, which)?
        }
        kind::DELTA => {
            let now = r.time()?;
            let which = instrument(&mut r)?;
            read_delta(&mut r, now, which)?
        }
        kind::TRADE => {
            let now = r.time()?;
            let (ix, instrument) = instrument(&mut r)?;
            Entry::Trade {
                now,
                ix,
                trade: Trade {
                    instrument,
                    trade_id: r.varint()?,
                    price: Price::from_ticks(r.zigzag()?),
                    qty: Qty::from_lots(r.varint()?),
                    aggressor: match r.u8()? {
                        2 => None,
                        b => Some(side_from_byte(b)?),
                    },
                    time: r.event_time_from(now)?,
                },
            }
        }
        kind::REPORT => {
            let now = r.time()?;
            let (ix, instrument) = instrument(&mut r)?;
            Entry::Report {
                now,
                ix,
                report: read_exec_report(&mut r, instrument)?,
            }
        }
        kind::CANCEL_REJECTED => Entry::CancelRejected {
            now: r.time()?,
            id: r.client_id()?,
        },
        kind::INTENT => Entry::Intent {
            now: r.time()?,
            intent: read_order_intent(&mut r)?,
        },
        kind::RISK => Entry::Risk(read_risk_event(&mut r)?),
        kind::ADOPT => Entry::Adopt {
            now: r.time()?,
            order: AdoptedOrder {
                instrument: InstrumentIndex(r.u16()?),
                id: r.client_id()?,
                side: r.side()?,
                kind: order_type_from(r.u8()?)?,
                price: r.opt_price()?,
                qty: r.qty()?,
            },
        },
        kind::RESUME => Entry::Resume {
            now: r.time()?,
            session_ms: r.u64()?,
        },
        kind::BALANCES => Entry::Balances {
            now: r.time()?,
            ix: instrument(&mut r)?.0,
            base: r.decimal()?,
            quote: r.decimal()?,
        },
        RecordType(other) => return Err(EntryError::UnknownType(other)),
    };
    r.finish()?;
    Ok(entry)
}

/// Reads a session header's payload (it names its own instruments).
pub fn decode_header(payload: &[u8]) -> Result<SessionHeader, EntryError> {
    let mut r = In::new(payload);
    let header = read_session(&mut r)?;
    r.finish()?;
    Ok(header)
}

fn side_from_byte(b: u8) -> Result<kestrel_model::Side, EntryError> {
    In::new(&[b]).side()
}

fn session(w: &mut Out<'_>, h: &SessionHeader) {
    w.len(h.instruments.len());
    for i in &h.instruments {
        super::instrument::write(w, i);
    }
    w.u64(h.session_ms);
    w.long_str(&h.config);
}

fn read_session(r: &mut In<'_>) -> Result<SessionHeader, EntryError> {
    // An instrument takes well over 16 bytes (its strings and decimals).
    let n = r.len(16)?;
    let instruments = (0..n)
        .map(|_| super::instrument::read(r))
        .collect::<Result<Vec<_>, _>>()?;
    if instruments.is_empty() || n > usize::from(u16::MAX) {
        return Err(EntryError::Invalid("session instruments"));
    }
    Ok(SessionHeader {
        instruments,
        session_ms: r.u64()?,
        config: r.long_str()?.to_owned(),
    })
}

fn read_delta(
    r: &mut In<'_>,
    now: UnixNanos,
    (ix, instrument): (InstrumentIndex, InstrumentId),
) -> Result<Entry, EntryError> {
    let first = r.u64()?;
    let last = first.wrapping_add(r.varint()?);
    let prev = match r.u8()? {
        0 => None,
        1 => Some(first.wrapping_sub(r.varint()?)),
        _ => return Err(EntryError::Invalid("option tag")),
    };
    let time = r.event_time_from(now)?;
    let updates = read_level_updates(r)?;
    Ok(Entry::Delta {
        now,
        ix,
        delta: BookDelta {
            instrument,
            ids: UpdateIds { first, last, prev },
            time,
            updates,
        },
    })
}

fn read_snapshot(
    r: &mut In<'_>,
    now: UnixNanos,
    (ix, instrument): (InstrumentIndex, InstrumentId),
) -> Result<Entry, EntryError> {
    let last_update_id = r.u64()?;
    let time = r.event_time_from(now)?;
    let mut sides = [Vec::new(), Vec::new()];
    let mut prev = Price::from_ticks(0);
    for levels in &mut sides {
        let n = r.len(2)?;
        levels.reserve_exact(n);
        for _ in 0..n {
            let (price, qty) = r.level(&mut prev)?;
            levels.push(Level { price, qty });
        }
    }
    let [bids, asks] = sides;
    Ok(Entry::Snapshot {
        now,
        ix,
        book: BookSnapshot {
            instrument,
            last_update_id,
            time,
            bids,
            asks,
        },
    })
}

codes!(
    fee_asset_code,
    fee_asset_from,
    FeeAsset,
    [FeeAsset::Quote, FeeAsset::Base, FeeAsset::Other]
);

codes!(
    status_code,
    status_from,
    OrderStatus,
    [
        OrderStatus::New,
        OrderStatus::PartiallyFilled,
        OrderStatus::Filled,
        OrderStatus::Canceled,
        OrderStatus::Rejected,
        OrderStatus::Expired,
    ]
);

codes!(
    expire_code,
    expire_from,
    ExpireReason,
    [
        ExpireReason::Remainder,
        ExpireReason::FillOrKill,
        ExpireReason::SelfTrade,
    ]
);

codes!(
    liquidity_code,
    liquidity_from,
    Liquidity,
    [Liquidity::Maker, Liquidity::Taker,]
);

codes!(
    exit_code,
    exit_from,
    BracketExit,
    [BracketExit::StopLoss, BracketExit::TakeProfit,]
);

// Every reject reason but `Injected`, which carries a code of its own.
codes!(
    reject_code,
    reject_from,
    RejectReason,
    [
        RejectReason::UnknownInstrument,
        RejectReason::QtyTooSmall,
        RejectReason::NotionalTooSmall,
        RejectReason::BadPrice,
        RejectReason::WouldTake,
        RejectReason::InsufficientBalance,
        RejectReason::DuplicateClientId,
        RejectReason::UnknownOrder,
    ]
);

fn reason_code(reason: Reason) -> u8 {
    Reason::ALL.iter().position(|r| *r == reason).unwrap_or(0) as u8
}

fn reason_from(b: u8) -> Result<Reason, EntryError> {
    Reason::ALL
        .get(usize::from(b))
        .copied()
        .ok_or(EntryError::Invalid("risk reason"))
}

fn exec_report(w: &mut Out<'_>, report: &ExecReport) {
    w.u64(report.order_id.0);
    w.client_id(&report.client_id);
    w.u32(report.account.0);
    w.side(report.side);
    match report.kind {
        ExecKind::New => w.u8(0),
        ExecKind::Triggered => w.u8(1),
        ExecKind::Trade(fill) => {
            w.u8(2);
            w.u64(fill.trade_id);
            w.price(fill.price);
            w.qty(fill.qty);
            w.u8(liquidity_code(fill.liquidity));
            w.decimal(fill.fee);
            w.u8(fee_asset_code(fill.fee_asset));
        }
        ExecKind::Canceled => w.u8(3),
        ExecKind::Rejected(RejectReason::Injected(code)) => {
            w.u8(4);
            w.u8(u8::MAX);
            w.0.extend_from_slice(&code.to_le_bytes());
        }
        ExecKind::Rejected(reason) => {
            w.u8(4);
            w.u8(reject_code(reason));
        }
        ExecKind::Expired(reason) => {
            w.u8(5);
            w.u8(expire_code(reason));
        }
    }
    w.u8(status_code(report.status));
    w.qty(report.filled);
    w.qty(report.leaves);
    w.time(report.time);
}

fn read_exec_report(r: &mut In<'_>, instrument: InstrumentId) -> Result<ExecReport, EntryError> {
    let order_id = OrderId(r.u64()?);
    let client_id = r.client_id()?;
    let account = AccountId(r.u32()?);
    let side = r.side()?;
    let kind = match r.u8()? {
        0 => ExecKind::New,
        1 => ExecKind::Triggered,
        2 => ExecKind::Trade(Fill {
            trade_id: r.u64()?,
            price: r.price()?,
            qty: r.qty()?,
            liquidity: liquidity_from(r.u8()?)?,
            fee: r.decimal()?,
            fee_asset: fee_asset_from(r.u8()?)?,
        }),
        3 => ExecKind::Canceled,
        4 => ExecKind::Rejected(match r.u8()? {
            u8::MAX => {
                let mut code = [0u8; 4];
                code.copy_from_slice(r.take(4)?);
                RejectReason::Injected(i32::from_le_bytes(code))
            }
            b => reject_from(b)?,
        }),
        5 => ExecKind::Expired(expire_from(r.u8()?)?),
        _ => return Err(EntryError::Invalid("report kind")),
    };
    Ok(ExecReport {
        order_id,
        client_id,
        account,
        instrument,
        side,
        kind,
        status: status_from(r.u8()?)?,
        filled: r.qty()?,
        leaves: r.qty()?,
        time: r.time()?,
    })
}

fn order_intent(w: &mut Out<'_>, intent: &OrderIntent) {
    match intent {
        OrderIntent::Submit(order) => {
            w.u8(0);
            w.u16(order.instrument.0);
            w.client_id(&order.id);
            w.side(order.side);
            w.u8(order_type_code(order.kind));
            w.u8(tif_code(order.time_in_force));
            w.opt_price(order.price);
            w.qty(order.qty);
        }
        OrderIntent::Cancel(id) => {
            w.u8(1);
            w.client_id(id);
        }
    }
}

fn read_order_intent(r: &mut In<'_>) -> Result<OrderIntent, EntryError> {
    match r.u8()? {
        0 => Ok(OrderIntent::Submit(OrderSpec {
            instrument: InstrumentIndex(r.u16()?),
            id: r.client_id()?,
            side: r.side()?,
            kind: order_type_from(r.u8()?)?,
            time_in_force: tif_from(r.u8()?)?,
            price: r.opt_price()?,
            qty: r.qty()?,
        })),
        1 => Ok(OrderIntent::Cancel(r.client_id()?)),
        _ => Err(EntryError::Invalid("intent kind")),
    }
}

fn risk_event(w: &mut Out<'_>, event: &RiskEvent) {
    match *event {
        RiskEvent::Order {
            time,
            side,
            price,
            qty,
            decision,
        } => {
            w.u8(0);
            w.time(time);
            w.side(side);
            w.opt_price(price);
            w.qty(qty);
            match decision {
                Decision::Approved => w.u8(u8::MAX),
                Decision::Refused(reason) => w.u8(reason_code(reason)),
            }
        }
        RiskEvent::Bracket { time, exit } => {
            w.u8(1);
            w.time(time);
            w.u8(exit_code(exit));
        }
        RiskEvent::Kill { time, reason } => {
            w.u8(2);
            w.time(time);
            w.u8(reason_code(reason));
        }
        RiskEvent::Halt {
            time,
            strategy,
            reason,
        } => {
            w.u8(3);
            w.time(time);
            w.u8(strategy.0);
            w.u8(reason_code(reason));
        }
    }
}

fn read_risk_event(r: &mut In<'_>) -> Result<RiskEvent, EntryError> {
    match r.u8()? {
        0 => Ok(RiskEvent::Order {
            time: r.time()?,
            side: r.side()?,
            price: r.opt_price()?,
            qty: r.qty()?,
            decision: match r.u8()? {
                u8::MAX => Decision::Approved,
                b => Decision::Refused(reason_from(b)?),
            },
        }),
        1 => Ok(RiskEvent::Bracket {
            time: r.time()?,
            exit: exit_from(r.u8()?)?,
        }),
        2 => Ok(RiskEvent::Kill {
            time: r.time()?,
            reason: reason_from(r.u8()?)?,
        }),
        3 => Ok(RiskEvent::Halt {
            time: r.time()?,
            strategy: StrategyIndex(r.u8()?),
            reason: reason_from(r.u8()?)?,
        }),
        _ => Err(EntryError::Invalid("risk event kind")),
    }
}
