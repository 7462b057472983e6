//! The venue's records of orders and trades, for queries: every order ever
//! accepted (open and done) and every fill, per account.

use std::collections::HashMap;

use kestrel_model::{ClientOrderId, Decimal, Instrument};
use kestrel_sim::{AccountId, ExecKind, ExecReport, Fill, OrderId, OrderRequest};

/// One order as queries show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderRecord {
    /// The venue's id.
    pub id: OrderId,
    /// What was asked.
    pub request: OrderRequest,
    /// Its latest report.
    pub last: ExecReport,
    /// Σ price × qty of its fills, in quote units.
    pub cum_quote: Decimal,
    /// Wall-clock ms when it was accepted.
    pub created_ms: u64,
    /// Wall-clock ms of its latest change.
    pub updated_ms: u64,
    /// Its position terms (futures).
    pub terms: PositionTerms,
    /// Profit its latest fill realised (futures; 0 on spot).
    pub last_realized: Decimal,
    /// When its trigger printed (stop and take-profit orders), ms.
    pub triggered_ms: Option<u64>,
}

impl OrderRecord {
    /// A conditional order not yet triggered: on USDⓈ-M, an algo order
    /// rather than one in the book.
    pub fn is_waiting_trigger(&self) -> bool {
        self.request.kind.has_trigger_price() && self.triggered_ms.is_none()
    }
}

/// A futures order's position terms; both off on spot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PositionTerms {
    /// It may only reduce the position.
    pub reduce_only: bool,
    /// A trigger order that closes the whole position.
    pub close_position: bool,
}

/// One of an account's fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradeRecord {
    /// The order it filled.
    pub order: OrderId,
    /// The report that carried the fill (side, account, ids).
    pub report: ExecReport,
    /// The fill.
    pub fill: Fill,
    /// Wall-clock ms.
    pub time_ms: u64,
    /// Profit it realised (futures; 0 on spot).
    pub realized: Decimal,
}

/// Orders and trades by account.
#[derive(Debug, Default)]
pub struct OrderRecords {
    orders: HashMap<OrderId, OrderRecord>,
    by_client: HashMap<(AccountId, ClientOrderId), OrderId>,
    trades: HashMap<AccountId, Vec<TradeRecord>>,
}

impl OrderRecords {
    /// Notes a submitted request, before its reports.
    pub fn on_request(
        &mut self,
        id: OrderId,
        request: OrderRequest,
        report: &ExecReport,
        now_ms: u64,
    ) {
        self.orders.insert(
            id,
            OrderRecord {
                id,
                request,
                last: *report,
                cum_quote: Decimal::ZERO,
                created_ms: now_ms,
                updated_ms: now_ms,
                terms: PositionTerms::default(),
                last_realized: Decimal::ZERO,
                triggered_ms: None,
            },
        );
        self.by_client
            .insert((request.account, request.client_id), id);
    }

    /// Sets an order's position terms.
    pub fn set_terms(&mut self, id: OrderId, terms: PositionTerms) {
        if let Some(r) = self.orders.get_mut(&id) {
            r.terms = terms;
        }
    }

    /// Books a report; `realized` is the profit a fill realised.
    pub fn on_report(
        &mut self,
        instrument: &Instrument,
        report: &ExecReport,
        now_ms: u64,
        realized: Decimal,
    ) {
        let Some(record) = self.orders.get_mut(&report.order_id) else {
            return;
        };
        record.last = *report;
        record.updated_ms = now_ms;
        if report.kind == ExecKind::Triggered {
            record.triggered_ms = Some(now_ms);
        }
        if let ExecKind::Trade(fill) = report.kind {
            record.last_realized = realized;
            if let Some(n) = instrument.notional(fill.price, fill.qty) {
                record.cum_quote = record.cum_quote.checked_add(n).unwrap_or(record.cum_quote);
            }
            self.trades
                .entry(report.account)
                .or_default()
                .push(TradeRecord {
                    order: report.order_id,
                    report: *report,
                    fill,
                    time_ms: now_ms,
                    realized,
                });
        }
    }

    /// An order of `account` by venue or client id.
    pub fn find(
        &self,
        account: AccountId,
        id: Option<OrderId>,
        client: Option<ClientOrderId>,
    ) -> Option<&OrderRecord> {
        let id = id.or_else(|| client.and_then(|c| self.by_client.get(&(account, c)).copied()))?;
        self.orders
            .get(&id)
            .filter(|r| r.request.account == account)
    }

    /// The account's open orders, oldest first.
    pub fn open(&self, account: AccountId) -> Vec<&OrderRecord> {
        let mut open: Vec<&OrderRecord> = self
            .orders
            .values()
            .filter(|r| r.request.account == account && r.last.status.is_open())
            .collect();
        open.sort_by_key(|r| r.id);
        open
    }

    /// Every order of the account, open or done, oldest first.
    pub fn all(&self, account: AccountId) -> Vec<&OrderRecord> {
        let mut all: Vec<&OrderRecord> = self
            .orders
            .values()
            .filter(|r| r.request.account == account)
            .collect();
        all.sort_by_key(|r| r.id);
        all
    }

    /// The account's fills, oldest first.
    pub fn trades(&self, account: AccountId) -> &[TradeRecord] {
        self.trades.get(&account).map_or(&[], Vec::as_slice)
    }
}
