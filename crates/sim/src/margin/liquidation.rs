//! Liquidation: when a position's margin balance falls to its maintenance
//! margin, and what closing it costs.

use kestrel_model::{Decimal, InstrumentId, Side};

use super::position::abs;
use super::{Liquidation, MarginAccounts, MarginType, Position, sum};
use crate::order::AccountId;

impl MarginAccounts {
    /// Closes every position on `instrument` whose margin balance has
    /// fallen to its maintenance margin at `mark`.
    pub fn liquidate(
        &mut self,
        instrument: InstrumentId,
        mark: Decimal,
        marks: &dyn Fn(InstrumentId) -> Option<Decimal>,
    ) -> Vec<Liquidation> {
        let due: Vec<AccountId> = self
            .accounts
            .iter()
            .filter(|(_, a)| a.positions.get(&instrument).is_some_and(|p| !p.is_flat()))
            .map(|(id, _)| *id)
            .filter(|id| self.under_maintenance(*id, instrument, mark, marks))
            .collect();
        due.into_iter()
            .filter_map(|id| self.close_out(id, instrument, mark, marks))
            .collect()
    }

    fn under_maintenance(
        &self,
        account: AccountId,
        instrument: InstrumentId,
        mark: Decimal,
        marks: &dyn Fn(InstrumentId) -> Option<Decimal>,
    ) -> bool {
        let Some(v) = self.position_view(account, instrument, mark, marks) else {
            return false;
        };
        let (balance, maintenance) = match v.settings.margin_type {
            MarginType::Isolated => (
                v.position.isolated.checked_add(v.unrealized),
                Some(v.maintenance),
            ),
            MarginType::Cross => {
                let Some(a) = self.account_view(account, marks, &|_| Vec::new()) else {
                    return false;
                };
                let isolated = self.isolated_maintenance(account, marks);
                (
                    a.cross_wallet.checked_add(a.cross_unrealized),
                    a.maintenance.checked_sub(isolated),
                )
            }
        };
        matches!((balance, maintenance), (Some(b), Some(m)) if b <= m)
    }

    /// Maintenance margin of the account's isolated positions: the cross
    /// test leaves them out.
    fn isolated_maintenance(
        &self,
        account: AccountId,
        marks: &dyn Fn(InstrumentId) -> Option<Decimal>,
    ) -> Decimal {
        let parts = self.contracts.keys().map(|i| {
            let v = self.position_view(account, *i, marks(*i)?, marks)?;
            Some(match v.settings.margin_type {
                MarginType::Isolated => v.maintenance,
                MarginType::Cross => Decimal::ZERO,
            })
        });
        sum(parts).unwrap_or(Decimal::ZERO)
    }

    fn close_out(
        &mut self,
        account: AccountId,
        instrument: InstrumentId,
        mark: Decimal,
        marks: &dyn Fn(InstrumentId) -> Option<Decimal>,
    ) -> Option<Liquidation> {
        let view = self.position_view(account, instrument, mark, marks)?;
        let a = self.accounts.get_mut(&account)?;
        let p = a.positions.get_mut(&instrument)?;
        let side = if p.qty.is_negative() {
            Side::Buy
        } else {
            Side::Sell
        };
        let qty = abs(p.qty);
        let isolated = p.isolated;
        *p = Position::default();
        a.wallet = a.wallet.checked_add(view.unrealized)?;
        // What the position has left to pay the fee from.
        let left = match view.settings.margin_type {
            MarginType::Isolated => isolated.checked_add(view.unrealized)?,
            MarginType::Cross => a.wallet.checked_sub(a.isolated())?,
        };
        let fee = view.maintenance.min(left.max(Decimal::ZERO));
        a.wallet = a.wallet.checked_sub(fee)?;
        Some(Liquidation {
            account,
            side,
            qty,
            price: mark,
            realized: view.unrealized,
            fee,
        })
    }
}

/// One-way mode: the price where `balance` plus the position's profit
/// equals its maintenance margin,
/// `(balance + cum − s·size·entry) ÷ (size·rate − s·size)`, s = +1 long,
/// −1 short. `None` when flat or when no positive price does.
pub(super) fn liquidation_price(
    position: &Position,
    balance: Decimal,
    rate: Decimal,
    cum: Decimal,
) -> Option<Decimal> {
    if position.is_flat() {
        return None;
    }
    let size = abs(position.qty);
    let s_size = position.qty;
    let num = balance
        .checked_add(cum)?
        .checked_sub(s_size.checked_mul(position.entry)?)?;
    let den = size.checked_mul(rate)?.checked_sub(s_size)?;
    let price = num.checked_div(den)?;
    (price > Decimal::ZERO).then_some(price)
}
