//! The exchange's USDⓈ-M side: orders checked against the position and
//! margin before they reach the matching engine, fills booked into the
//! margin accounts, and after every frame the mark price, liquidations and
//! funding.

use std::sync::Arc;

use kestrel_model::{Decimal, Qty};
use kestrel_sim::margin::{
    AccountView, Liquidation, MarginError, MarginType, OpenOrder, PositionView, base_qty,
};
use kestrel_sim::{AccountId, Command, ExecKind, ExecReport, OrderRef, OrderRequest, RejectReason};
use tokio::sync::oneshot;

use super::{AccountEvent, Exchange};
use crate::futures::{FundingRecord, Futures, Income, IncomeKind};
use crate::orders::{OrderRecord, PositionTerms};

/// A futures order: the request and its position terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuturesOrder {
    /// The order (for `closePosition`, its quantity is set by the venue).
    pub request: OrderRequest,
    /// `reduceOnly` and `closePosition`.
    pub terms: PositionTerms,
}

/// Why a futures order or setting was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuturesReject {
    /// By the matching engine's checks.
    Venue(RejectReason),
    /// By margin.
    Margin(MarginError),
    /// A reduce-only order (or `closePosition`) that would not reduce.
    ReduceOnly,
    /// No mark price yet: the book has not synced.
    NoMark,
    /// The margin type cannot change with open orders.
    OpenOrders,
}

/// An account's margin figures as of the mark price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Totals.
    pub account: AccountView,
    /// The served contract's position.
    pub position: PositionView,
    /// Notional of open buy and sell orders.
    pub open_notional: (Decimal, Decimal),
}

/// The mark price and funding as `premiumIndex` shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Premium {
    /// Mark price.
    pub mark: Decimal,
    /// Index price.
    pub index: Decimal,
    /// Funding rate per 8 hours.
    pub rate: Decimal,
    /// Next funding time, ms.
    pub next_funding_ms: u64,
    /// Market clock, ms.
    pub time_ms: u64,
}

/// A change to an account's margin, for `ACCOUNT_UPDATE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarginUpdate {
    /// Binance's reason (`ORDER`, `FUNDING_FEE`, …).
    pub reason: &'static str,
    /// Wallet and cross wallet.
    pub account: AccountView,
    /// The position after it.
    pub position: PositionView,
    /// What the change itself added to the wallet.
    pub change: Decimal,
}

/// What a futures order produced: its reports and its record (none if it
/// was rejected), or why it was refused before the matching engine.
pub type Placed = Result<(Vec<ExecReport>, Option<OrderRecord>), FuturesReject>;

/// Futures questions for the exchange task.
#[derive(Debug)]
pub enum FuturesRequest {
    /// A new order.
    Submit(FuturesOrder, oneshot::Sender<Placed>),
    /// Set the leverage; the largest notional it allows.
    Leverage(
        AccountId,
        u32,
        oneshot::Sender<Result<Decimal, FuturesReject>>,
    ),
    /// Set the margin type.
    MarginType(
        AccountId,
        MarginType,
        oneshot::Sender<Result<(), FuturesReject>>,
    ),
    /// The account's figures; `None` before the first mark price or for
    /// an account never funded.
    Snapshot(AccountId, oneshot::Sender<Option<Snapshot>>),
    /// Mark price and funding.
    Premium(oneshot::Sender<Option<Premium>>),
    /// Funding events so far.
    Fundings(oneshot::Sender<Vec<FundingRecord>>),
    /// An account's income history.
    Income(AccountId, oneshot::Sender<Vec<Income>>),
}

impl Exchange {
    pub(super) fn handle_futures(&mut self, request: FuturesRequest) {
        let Some(f) = self.futures.as_mut() else {
            return;
        };
        let id = self.instrument.id;
        match request {
            FuturesRequest::Submit(order, reply) => {
                let _ = reply.send(self.futures_submit(order));
            }
            FuturesRequest::Leverage(account, leverage, reply) => {
                let answer = match f.mark {
                    None => Err(FuturesReject::NoMark),
                    Some(mark) => f
                        .margin
                        .set_leverage(account, id, leverage, mark)
                        .map_err(FuturesReject::Margin),
                };
                let _ = reply.send(answer);
            }
            FuturesRequest::MarginType(account, kind, reply) => {
                let answer = if self.records.open(account).is_empty() {
                    f.margin
                        .set_margin_type(account, id, kind)
                        .map_err(FuturesReject::Margin)
                } else {
                    Err(FuturesReject::OpenOrders)
                };
                let _ = reply.send(answer);
            }
            FuturesRequest::Snapshot(account, reply) => {
                let _ = reply.send(self.snapshot(account));
            }
            FuturesRequest::Premium(reply) => {
                let _ = reply.send(self.premium());
            }
            FuturesRequest::Fundings(reply) => {
                let _ = reply.send(f.fundings().copied().collect());
            }
            FuturesRequest::Income(account, reply) => {
                let _ = reply.send(f.income(account));
            }
        }
    }

    /// Mark price and funding as of the market clock.
    pub(super) fn premium(&self) -> Option<Premium> {
        let f = self.futures.as_ref()?;
        f.mark.zip(f.index).map(|(mark, index)| Premium {
            mark,
            index,
            rate: f.funding_rate,
            next_funding_ms: Futures::next_funding_ms(self.market_ms),
            time_ms: self.market_ms,
        })
    }

    /// The account's open orders as margin counts them: those that may
    /// open a position, at their limit price.
    fn open_for_margin(&self, account: AccountId) -> Vec<OpenOrder> {
        self.records
            .open(account)
            .into_iter()
            .filter(|r| !r.terms.reduce_only && !r.terms.close_position)
            .filter_map(|r| {
                let price = r
                    .request
                    .price
                    .filter(|_| r.request.kind.has_limit_price())?;
                Some(OpenOrder {
                    side: r.request.side,
                    qty: base_qty(&self.instrument, r.last.leaves)?,
                    price: self.instrument.price_decimal(price),
                })
            })
            .collect()
    }

    fn snapshot(&self, account: AccountId) -> Option<Snapshot> {
        let f = self.futures.as_ref()?;
        let mark = f.mark?;
        if !f.margin.has_account(account) {
            return None;
        }
        let marks = move |_| Some(mark);
        let open = self.open_for_margin(account);
        let account_view = f.margin.account_view(account, &marks, &|_| open.clone())?;
        let position = f
            .margin
            .position_view(account, self.instrument.id, mark, &marks)?;
        let notional = |side| {
            open.iter()
                .filter(|o| o.side == side)
                .filter_map(|o| o.qty.checked_mul(o.price))
                .fold(Decimal::ZERO, |s, n| s.checked_add(n).unwrap_or(s))
        };
        Some(Snapshot {
            account: account_view,
            position,
            open_notional: (
                notional(kestrel_model::Side::Buy),
                notional(kestrel_model::Side::Sell),
            ),
        })
    }

    fn futures_submit(&mut self, order: FuturesOrder) -> Placed {
        let Some(f) = self.futures.as_ref() else {
            return Err(FuturesReject::NoMark);
        };
        let mark = f.mark.ok_or(FuturesReject::NoMark)?;
        let mut req = order.request;
        let account = req.account;
        let held = f.margin.position(account, self.instrument.id);
        let size = held.qty;
        let reduces = match req.side {
            kestrel_model::Side::Buy => size.is_negative(),
            kestrel_model::Side::Sell => size > Decimal::ZERO,
        };
        let held_lots = lots_of(&self.instrument, size).map_or(0, |q| q.lots());
        if order.terms.close_position {
            if !reduces || held_lots == 0 {
                return Err(FuturesReject::ReduceOnly);
            }
            req.qty = Qty::from_lots(held_lots);
        } else if order.terms.reduce_only && (!reduces || req.qty.lots() > held_lots) {
            return Err(FuturesReject::ReduceOnly);
        }
        // Trigger orders take margin when they trigger, as on Binance;
        // reduce-only orders never open a position.
        if !req.kind.has_trigger_price() && !order.terms.reduce_only {
            let price = match req.price.filter(|_| req.kind.has_limit_price()) {
                Some(p) => self.instrument.price_decimal(p),
                None => mark,
            };
            let qty = base_qty(&self.instrument, req.qty).ok_or(FuturesReject::NoMark)?;
            let open = self.open_for_margin(account);
            f.margin
                .check_order(
                    account,
                    self.instrument.id,
                    OpenOrder {
                        side: req.side,
                        qty,
                        price,
                    },
                    &move |_| Some(mark),
                    &|_| open.clone(),
                )
                .map_err(FuturesReject::Margin)?;
        }
        let reports = self.execute(Command::Submit(req), order.terms);
        if let Some(ExecKind::Rejected(reason)) = reports.first().map(|r| r.kind) {
            return Err(FuturesReject::Venue(reason));
        }
        let record = reports
            .first()
            .and_then(|r| self.records.find(r.account, Some(r.order_id), None))
            .copied();
        Ok((reports, record))
    }

    /// Books a fill into the margin account and its income; the profit it
    /// realised.
    pub(super) fn futures_fill(&mut self, r: &ExecReport) -> Decimal {
        let (Some(f), ExecKind::Trade(fill)) = (self.futures.as_mut(), r.kind) else {
            return Decimal::ZERO;
        };
        let i = &self.instrument;
        let Some(qty) = base_qty(i, fill.qty) else {
            return Decimal::ZERO;
        };
        let price = i.price_decimal(fill.price);
        let effect = f
            .margin
            .on_fill(r.account, i.id, r.side, price, qty, fill.fee)
            .unwrap_or_default();
        let now = self.market_ms;
        let id = Some(fill.trade_id);
        f.on_income(r.account, IncomeKind::RealizedPnl, effect.realized, now, id);
        let fee = fill.fee.checked_neg().unwrap_or(Decimal::ZERO);
        f.on_income(r.account, IncomeKind::Commission, fee, now, id);
        effect.realized
    }

    /// The account's `ACCOUNT_UPDATE`, for `reason`, if it has a margin
    /// account and there is a mark price.
    pub(super) fn margin_update(
        &self,
        account: AccountId,
        reason: &'static str,
        change: Decimal,
    ) -> Option<AccountEvent> {
        let s = self.snapshot(account)?;
        Some(AccountEvent::Margin(
            account,
            Box::new(MarginUpdate {
                reason,
                account: s.account,
                position: s.position,
                change,
            }),
        ))
    }

    /// After a frame: a new mark price, the liquidations it causes, and
    /// funding if a funding time has passed.
    pub(super) fn futures_after_frame(&mut self) {
        let (top, last) = (self.top(), self.market.last());
        let now = self.market_ms;
        let tick = self.instrument.tick;
        let last = last.map(|t| Decimal::from_steps(t.price, &tick));
        let Some(f) = self.futures.as_mut() else {
            return;
        };
        f.reprice(top, last, now, &tick);
        let Some(mark) = f.mark else {
            return;
        };
        let liquidated = f
            .margin
            .liquidate(self.instrument.id, mark, &move |_| Some(mark));
        for l in liquidated {
            self.on_liquidation(l);
        }
        let Some(f) = self.futures.as_mut() else {
            return;
        };
        if let Some(time_ms) = f.funding_due(now) {
            let rate = f.funding_rate;
            let paid = f.margin.fund(self.instrument.id, mark, rate);
            f.on_funding(FundingRecord {
                time_ms,
                rate,
                mark,
            });
            for (account, fee) in &paid {
                let amount = fee.checked_neg().unwrap_or(Decimal::ZERO);
                f.on_income(*account, IncomeKind::FundingFee, amount, time_ms, None);
            }
            for (account, fee) in paid {
                let change = fee.checked_neg().unwrap_or(Decimal::ZERO);
                if let Some(e) = self.margin_update(account, "FUNDING_FEE", change) {
                    let _ = self.outlets.accounts.send(Arc::new(e));
                }
            }
        }
    }

    /// A liquidation: the account's open orders are cancelled, the close is
    /// reported as a `LIQUIDATION` order, and the account's margin update
    /// follows.
    fn on_liquidation(&mut self, l: Liquidation) {
        let open: Vec<_> = self.records.open(l.account).iter().map(|r| r.id).collect();
        for id in open {
            let _ = self.cancel_rejection(Command::Cancel {
                account: l.account,
                instrument: self.instrument.id,
                target: OrderRef::Venue(id),
            });
        }
        let now = self.market_ms;
        if let Some(f) = self.futures.as_mut() {
            f.on_income(l.account, IncomeKind::RealizedPnl, l.realized, now, None);
            let fee = l.fee.checked_neg().unwrap_or(Decimal::ZERO);
            f.on_income(l.account, IncomeKind::InsuranceClear, fee, now, None);
        }
        let _ = self
            .outlets
            .accounts
            .send(Arc::new(AccountEvent::Liquidated(
                l,
                self.venue_clock.now_ms(),
            )));
        let change = l.realized.checked_sub(l.fee).unwrap_or(l.realized);
        if let Some(e) = self.margin_update(l.account, "ORDER", change) {
            let _ = self.outlets.accounts.send(Arc::new(e));
        }
    }

    /// Reduce-only orders that no longer reduce (the position closed or
    /// turned) are cancelled, as Binance does.
    pub(super) fn cancel_stale_reduce_only(&mut self, account: AccountId) {
        let Some(f) = self.futures.as_ref() else {
            return;
        };
        let size = f.margin.position(account, self.instrument.id).qty;
        let stale: Vec<_> = self
            .records
            .open(account)
            .into_iter()
            .filter(|r| r.terms.reduce_only || r.terms.close_position)
            .filter(|r| match r.request.side {
                kestrel_model::Side::Buy => !size.is_negative(),
                kestrel_model::Side::Sell => size <= Decimal::ZERO,
            })
            .map(|r| r.id)
            .collect();
        for id in stale {
            let _ = self.cancel_rejection(Command::Cancel {
                account,
                instrument: self.instrument.id,
                target: OrderRef::Venue(id),
            });
        }
    }
}

/// `base` (base units, either sign) as a quantity of `instrument`.
fn lots_of(instrument: &kestrel_model::Instrument, base: Decimal) -> Option<Qty> {
    let units = base.checked_div(instrument.contract.multiplier)?;
    let units = if units.is_negative() {
        units.checked_neg()?
    } else {
        units
    };
    Qty::parse(&units.to_string(), &instrument.lot).ok()
}
