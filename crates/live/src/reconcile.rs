//! Reconciliation after a restart: the journal's view of our orders
//! against the venue's, turned into kernel inputs that close the gap.
//!
//! * An order the kernel thinks open is looked up: the fills it missed
//!   (trade ids above the journal's high-watermark) and its end become
//!   reports; an order the venue never saw becomes a rejection.
//! * An order the venue has that the journal lacks (sent just before a
//!   crash cut the journal) is adopted, so its fills count, and then
//!   cancelled or left to trade by policy. Besides open orders and recent
//!   fills, a restart finds such orders among those placed since the
//!   journal's last input by their ids, which the journal's id
//!   generators had yet to issue: one sent and cancelled before the crash
//!   leaves no other trace, and is adopted closed, so the journal holds
//!   every order the venue saw.
//! * The position rebuilt from the journal's fills is checked against the
//!   venue's balance of the base asset; trading resumes only if they agree.

use std::collections::HashSet;

use kestrel_exec::{ClientOrderIds, OrderState};
use kestrel_model::{
    AccountId, Asset, ClientOrderId, Decimal, ExecKind, ExecReport, ExpireReason, Instrument,
    InstrumentIndex, OrderId, OrderStatus, Qty, RejectReason, UnixNanos,
};
use kestrel_venue::{ExecutionClient, VenueError, VenueFill, VenueOrder};

use kestrel_engine::kernel::AdoptedOrder;

/// What to do with open orders the journal did not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownOrderPolicy {
    /// Adopt them, then cancel them.
    Cancel,
    /// Adopt them and leave them working.
    Adopt,
}

/// When reconciliation runs, which decides what an order the venue has
/// never heard of means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReconcileMode {
    /// After a restart: no request is in flight, so an order the venue
    /// never saw never arrived; unknown venue orders are handled by policy.
    Restart(UnknownOrderPolicy),
    /// During a session (the user stream reconnected): a submit may still
    /// be on its way, so such an order is left to the gateway, which
    /// resolves every submit itself.
    Live,
}

/// One order as the kernel sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownOrder {
    /// Its id.
    pub id: ClientOrderId,
    /// Buy or sell.
    pub side: kestrel_model::Side,
    /// Its life-cycle state.
    pub state: OrderState,
    /// Filled so far.
    pub filled: Qty,
}

/// A kernel input reconciliation makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Correction {
    /// Track an order the journal lacks.
    Adopt(AdoptedOrder),
    /// A report the session missed.
    Report(ExecReport),
}

/// What reconciliation found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Inputs for the kernel, in order.
    pub corrections: Vec<Correction>,
    /// Orders to cancel now: adopted ones, by policy, and after a restart
    /// open ones the journal was cancelling (the crash may have cut the
    /// cancel off; a cancel is safe to repeat).
    pub to_cancel: Vec<ClientOrderId>,
    /// Open orders the venue and the kernel agree on.
    pub agreed: u64,
    /// Orders whose missed reports were recovered.
    pub resolved: u64,
    /// Orders the venue never saw.
    pub never_arrived: u64,
    /// Orders adopted.
    pub adopted: u64,
    /// Fills recovered from the venue's trade history.
    pub missed_fills: u64,
    /// Passes made: a restart looks again when the venue's balances moved
    /// while it looked (an order left working filled meanwhile).
    pub passes: u64,
}

/// Where a restart looks for orders the crash cut from the journal after
/// they were sent, including ones since closed without a fill, which
/// neither the open orders nor the fills show.
#[derive(Clone, Copy, Debug)]
pub struct LostIds<'a> {
    /// The crashed session's id generators, as restored from the journal.
    pub generators: &'a [ClientOrderIds],
    /// The journal's last input time: such orders were placed after it.
    pub after: UnixNanos,
}

/// How far before the journal's last input the venue is asked for orders:
/// room for the venue's clock and ours to differ.
const LOST_MARGIN_NS: u64 = 60_000_000_000;

/// Compares the kernel's open orders with the venue's, and looks for
/// orders of ours the kernel does not know among the venue's open orders,
/// its fills above `last_trade_id`, and (after a restart, with `lost`) the
/// orders placed since the journal's last input with ids it never issued.
///
/// Fill reports carry the venue's cumulative quantity counted over all of
/// the order's fills, so the session can drop fills it already applied
/// (by trade id) and still apply the rest with the right totals.
pub async fn reconcile<C: ExecutionClient>(
    client: &C,
    (ix, instrument): (InstrumentIndex, &Instrument),
    open: &[KnownOrder],
    last_trade_id: Option<u64>,
    mode: ReconcileMode,
    lost: Option<LostIds<'_>>,
) -> Result<Reconciled, VenueError> {
    let venue_open = client.open_orders().await?;
    let mut out = Reconciled {
        passes: 1,
        ..Reconciled::default()
    };
    let mut seen: HashSet<OrderId> = HashSet::new();
    for known in open {
        let venue = match venue_open.iter().find(|v| v.client_id == known.id) {
            Some(v) => Some(*v),
            None => match client.order(known.id).await {
                Ok(v) => Some(v),
                Err(VenueError::UnknownOrder) => None,
                Err(e) => return Err(e),
            },
        };
        let Some(v) = venue else {
            if mode == ReconcileMode::Live {
                continue;
            }
            out.never_arrived += 1;
            out.corrections
                .push(Correction::Report(rejected(instrument, known)));
            continue;
        };
        seen.insert(v.order_id);
        let fills = if v.filled > known.filled {
            client.order_fills(v.order_id).await?
        } else {
            Vec::new()
        };
        let before = out.corrections.len();
        catch_up(instrument, &v, known.state, &fills, &mut out);
        let cancelling = matches!(known.state, OrderState::PendingCancel { .. });
        if cancelling && v.status.is_open() && mode != ReconcileMode::Live {
            out.to_cancel.push(known.id);
        }
        if out.corrections.len() == before {
            out.agreed += 1;
        } else {
            out.resolved += 1;
        }
    }
    // Orders the journal lacks: open at the venue, or with fills we missed.
    let mut unknown: Vec<VenueOrder> = venue_open
        .iter()
        .filter(|v| !seen.contains(&v.order_id))
        .copied()
        .collect();
    let recent = client.fills(last_trade_id.map_or(0, |t| t + 1)).await?;
    let mut recent_orders: Vec<OrderId> = recent.iter().map(|f| f.order_id).collect();
    recent_orders.sort_unstable();
    recent_orders.dedup();
    for order_id in recent_orders {
        let known = seen.contains(&order_id) || unknown.iter().any(|v| v.order_id == order_id);
        if !known {
            unknown.push(client.order_by_venue_id(order_id).await?);
        }
    }
    if let Some(lost) = lost.filter(|_| mode != ReconcileMode::Live) {
        let start = UnixNanos::new(lost.after.as_nanos().saturating_sub(LOST_MARGIN_NS));
        for v in client.orders_from(start).await? {
            let never_issued = lost
                .generators
                .iter()
                .any(|g| g.not_yet_issued(v.client_id.as_str()));
            let known =
                seen.contains(&v.order_id) || unknown.iter().any(|u| u.order_id == v.order_id);
            if never_issued && !known {
                unknown.push(v);
            }
        }
    }
    let cancel = mode == ReconcileMode::Restart(UnknownOrderPolicy::Cancel);
    for v in unknown {
        adopt(client, (ix, instrument), &v, cancel, &mut out).await?;
    }
    Ok(out)
}

/// A new session's look at the venue before it trades: open orders whose
/// client ids carry our prefix (`<prefix><strategy>-…`) belong to an
/// earlier session whose journal is gone. They are adopted, with their fills so far, and
/// cancelled or left working by `policy`: never left working unknown.
pub async fn leftovers<C: ExecutionClient>(
    client: &C,
    (ix, instrument): (InstrumentIndex, &Instrument),
    id_prefix: &str,
    policy: UnknownOrderPolicy,
) -> Result<Reconciled, VenueError> {
    let mut out = Reconciled {
        passes: 1,
        ..Reconciled::default()
    };
    let cancel = policy == UnknownOrderPolicy::Cancel;
    for v in client.open_orders().await? {
        if has_prefix(v.client_id.as_str(), id_prefix) {
            adopt(client, (ix, instrument), &v, cancel, &mut out).await?;
        }
    }
    Ok(out)
}

/// Whether `id` is one of ours: `prefix`, a strategy's index (none in ids
/// of sessions before there were several), then `-`.
fn has_prefix(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(strategy, _)| strategy.bytes().all(|b| b.is_ascii_digit()))
}

/// Adopts a venue order the kernel does not know, with its fills so far;
/// cancels it if it is open and `cancel` says so.
async fn adopt<C: ExecutionClient>(
    client: &C,
    (ix, instrument): (InstrumentIndex, &Instrument),
    v: &VenueOrder,
    cancel: bool,
    out: &mut Reconciled,
) -> Result<(), VenueError> {
    out.adopted += 1;
    out.corrections.push(Correction::Adopt(AdoptedOrder {
        instrument: ix,
        id: v.client_id,
        side: v.side,
        kind: v.kind,
        price: v.price,
        qty: v.qty,
    }));
    let fills = if v.filled > Qty::ZERO {
        client.order_fills(v.order_id).await?
    } else {
        Vec::new()
    };
    catch_up(instrument, v, OrderState::PendingNew, &fills, out);
    if cancel && v.status.is_open() {
        out.to_cancel.push(v.client_id);
    }
    Ok(())
}

/// The reports that take an order from what the kernel knows (`state`) to
/// what the venue says. `fills` is every fill of the order (empty when
/// none is missing); reports count them from the first, and the session
/// drops the ones it has applied, by trade id.
fn catch_up(
    instrument: &Instrument,
    v: &VenueOrder,
    state: OrderState,
    fills: &[VenueFill],
    out: &mut Reconciled,
) {
    let report = |kind, status, filled: Qty, time| ExecReport {
        order_id: v.order_id,
        client_id: v.client_id,
        account: AccountId::default(),
        instrument: instrument.id,
        side: v.side,
        kind,
        status,
        filled,
        leaves: if status.is_open() {
            v.qty.saturating_sub(filled)
        } else {
            Qty::ZERO
        },
        time,
    };
    if state == OrderState::PendingNew {
        out.corrections.push(Correction::Report(report(
            ExecKind::New,
            OrderStatus::New,
            Qty::ZERO,
            v.time,
        )));
    }
    let mut cum = Qty::ZERO;
    for f in fills {
        cum = cum.checked_add(f.qty).unwrap_or(cum);
        out.missed_fills += 1;
        let status = if cum >= v.qty {
            OrderStatus::Filled
        } else {
            OrderStatus::PartiallyFilled
        };
        out.corrections.push(Correction::Report(report(
            ExecKind::Trade(f.fill()),
            status,
            cum,
            f.time,
        )));
    }
    let kind = match v.status {
        OrderStatus::Canceled => ExecKind::Canceled,
        OrderStatus::Expired => ExecKind::Expired(ExpireReason::Remainder),
        OrderStatus::Rejected => ExecKind::Rejected(RejectReason::Injected(0)),
        OrderStatus::New | OrderStatus::PartiallyFilled | OrderStatus::Filled => return,
    };
    if !state.is_done() {
        out.corrections
            .push(Correction::Report(report(kind, v.status, v.filled, v.time)));
    }
}

fn rejected(instrument: &Instrument, known: &KnownOrder) -> ExecReport {
    ExecReport {
        order_id: OrderId(0),
        client_id: known.id,
        account: AccountId::default(),
        instrument: instrument.id,
        side: known.side,
        kind: ExecKind::Rejected(RejectReason::UnknownOrder),
        status: OrderStatus::Rejected,
        filled: Qty::ZERO,
        leaves: Qty::ZERO,
        time: kestrel_model::UnixNanos::new(0),
    }
}

/// An asset the journal's fills and the venue's balance moved differently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetDrift {
    /// The asset.
    pub asset: Asset,
    /// What the journal's fills moved it by.
    pub fills: Decimal,
    /// What the venue's balance moved by.
    pub venue: Decimal,
}

/// The journal's fills do not account for how the venue's balances moved:
/// fills happened that the journal never saw, or it holds ones that never
/// happened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} since the session began", describe(.0))]
pub struct BalanceMismatch(pub Vec<AssetDrift>);

fn describe(drifts: &[AssetDrift]) -> String {
    drifts
        .iter()
        .map(|d| {
            format!(
                "the journal's fills moved {} by {} but the venue's balance moved by {}",
                d.asset, d.fills, d.venue
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One asset of an account since the session began: what the journal's
/// fills moved it by (summed over every market of the account that uses
/// it), and the venue's balance then and now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetMove {
    /// The asset.
    pub asset: Asset,
    /// What the fills moved it by: a market's base by its net position
    /// less fees withheld in it, its quote by the proceeds and costs of
    /// its fills less fees charged in it (see `Position::base_flow`).
    pub fills: Decimal,
    /// The venue's balance when the session began.
    pub start: Decimal,
    /// The venue's balance now.
    pub now: Decimal,
}

/// Whether the fills the journal holds account for how the venue's
/// balances moved since the session began, asset by asset.
pub fn balances_agree(moves: &[AssetMove]) -> Result<(), BalanceMismatch> {
    let drifts: Vec<AssetDrift> = moves
        .iter()
        .filter_map(|m| {
            let moved = m.now.checked_sub(m.start).unwrap_or(Decimal::ZERO);
            (moved != m.fills).then_some(AssetDrift {
                asset: m.asset,
                fills: m.fills,
                venue: moved,
            })
        })
        .collect();
    if drifts.is_empty() {
        Ok(())
    } else {
        Err(BalanceMismatch(drifts))
    }
}

#[cfg(test)]
mod prefix_tests {
    use super::has_prefix;

    #[test]
    fn ids_of_every_strategy_and_of_older_sessions_are_ours() {
        assert!(has_prefix("kst0-lzlxpykg-0", "kst"));
        assert!(has_prefix("kst12-lzlxpykg-0", "kst"));
        assert!(has_prefix("kst-lzlxpykg-0", "kst"));
        assert!(!has_prefix("kstx-lzlxpykg-0", "kst"));
        assert!(!has_prefix("other-1", "kst"));
    }
}

#[cfg(test)]
mod tests {
    use kestrel_exec::{CostMethod, Position};
    use kestrel_model::{FeeAsset, Price, Qty, Side};

    use super::*;

    /// The moves of one market's base and quote.
    fn moves(
        i: &kestrel_model::Instrument,
        flows: (Decimal, Decimal),
        start: (Decimal, Decimal),
        now: (Decimal, Decimal),
    ) -> [AssetMove; 2] {
        [
            AssetMove {
                asset: i.base,
                fills: flows.0,
                start: start.0,
                now: now.0,
            },
            AssetMove {
                asset: i.quote,
                fills: flows.1,
                start: start.1,
                now: now.1,
            },
        ]
    }

    #[test]
    fn both_balances_must_have_moved_by_the_fills() {
        let instrument = kestrel_model::testing::instrument("0.01", "0.001");
        let d = |s: &str| Decimal::parse(s).unwrap();
        let mut position = Position::new(&instrument, CostMethod::Fifo);
        // Bought 0.002 at 100.00, paying 0.01 of fees.
        let buy = |position: &mut Position, fee, asset| {
            position
                .on_fill(
                    Side::Buy,
                    Price::from_ticks(10_000),
                    Qty::from_lots(2),
                    d(fee),
                    asset,
                )
                .unwrap();
        };
        buy(&mut position, "0.01", FeeAsset::Quote);
        let start = (d("1"), d("1000"));
        let flows = (position.base_flow(), position.quote_flow());
        let check = |now| balances_agree(&moves(&instrument, flows, start, now));
        assert_eq!(check((d("1.002"), d("999.79"))), Ok(()));
        let quote = check((d("1.002"), d("999.8"))).unwrap_err().to_string();
        assert!(
            quote.contains("moved") && quote.contains("-0.21"),
            "{quote}"
        );
        assert!(!quote.contains("by 0.002"), "the base agrees: {quote}");
        let base = check((d("1"), d("999.79"))).unwrap_err();
        assert_eq!(base.0.len(), 1, "only the base drifted");
        let base = base.to_string();
        assert!(base.contains("by 0.002 but"), "{base}");
        // Binance's way: the fee withheld from the base bought.
        let mut position = Position::new(&instrument, CostMethod::Fifo);
        buy(&mut position, "0.000002", FeeAsset::Base);
        let flows = (position.base_flow(), position.quote_flow());
        assert_eq!(
            balances_agree(&moves(
                &instrument,
                flows,
                start,
                (d("1.001998"), d("999.8"))
            )),
            Ok(())
        );
    }
}
