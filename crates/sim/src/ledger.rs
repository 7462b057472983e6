//! Account balances at the simulated venue, for server mode and any
//! backtest that wants the venue to refuse what an account cannot pay for.
//!
//! Spot rules: an open order holds what it may spend (the base quantity of
//! a sell; the quote notional of a buy at its limit price, or at the
//! estimated cost of a market buy), a fill spends from that hold first and
//! from the free balance after, and an order that ends releases what its
//! hold has left. Fees are charged in the quote asset.

use std::collections::{BTreeMap, HashMap};

use kestrel_model::{Asset, Decimal, Instrument, Side};

use crate::order::{AccountId, OrderId};
use crate::report::{ExecKind, ExecReport};

/// One asset's balance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balance {
    /// Available to new orders and withdrawals.
    pub free: Decimal,
    /// Held by open orders.
    pub locked: Decimal,
}

/// Why the ledger refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The free balance is smaller than the amount asked for.
    #[error("insufficient {0} balance")]
    Insufficient(Asset),
    /// An amount left the representable range.
    #[error("amount out of range")]
    Overflow,
}

/// What an open order holds.
#[derive(Clone, Copy, Debug)]
struct Hold {
    account: AccountId,
    asset: Asset,
    amount: Decimal,
}

/// Every account's balances and every open order's hold.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    accounts: BTreeMap<AccountId, BTreeMap<Asset, Balance>>,
    holds: HashMap<OrderId, Hold>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `amount` of `asset` to the account's free balance.
    pub fn deposit(
        &mut self,
        account: AccountId,
        asset: Asset,
        amount: Decimal,
    ) -> Result<(), LedgerError> {
        let b = self.entry(account, asset);
        b.free = b.free.checked_add(amount).ok_or(LedgerError::Overflow)?;
        Ok(())
    }

    /// Whether the account has ever been funded.
    pub fn has_account(&self, account: AccountId) -> bool {
        self.accounts.contains_key(&account)
    }

    /// One balance (zero if never touched).
    pub fn balance(&self, account: AccountId, asset: Asset) -> Balance {
        self.accounts
            .get(&account)
            .and_then(|a| a.get(&asset))
            .copied()
            .unwrap_or_default()
    }

    /// Every asset the account holds, by asset name.
    pub fn balances(&self, account: AccountId) -> impl Iterator<Item = (Asset, Balance)> + '_ {
        self.accounts
            .get(&account)
            .into_iter()
            .flat_map(|a| a.iter().map(|(k, v)| (*k, *v)))
    }

    /// Moves `amount` of `asset` from free to locked for order `order`.
    pub fn hold(
        &mut self,
        account: AccountId,
        order: OrderId,
        asset: Asset,
        amount: Decimal,
    ) -> Result<(), LedgerError> {
        let b = self.entry(account, asset);
        let free = b.free.checked_sub(amount).ok_or(LedgerError::Overflow)?;
        if free.is_negative() {
            return Err(LedgerError::Insufficient(asset));
        }
        let locked = b.locked.checked_add(amount).ok_or(LedgerError::Overflow)?;
        (b.free, b.locked) = (free, locked);
        self.holds.insert(
            order,
            Hold {
                account,
                asset,
                amount,
            },
        );
        Ok(())
    }

    /// Books a report of an order on `instrument`: a fill moves the assets,
    /// an order's end releases its hold.
    pub fn apply(
        &mut self,
        instrument: &Instrument,
        report: &ExecReport,
    ) -> Result<(), LedgerError> {
        if let ExecKind::Trade(fill) = report.kind {
            let notional = instrument
                .notional(fill.price, fill.qty)
                .ok_or(LedgerError::Overflow)?;
            let base = Decimal::from_steps(
                i64::try_from(fill.qty.lots()).map_err(|_| LedgerError::Overflow)?,
                &instrument.lot,
            );
            let account = report.account;
            match report.side {
                Side::Buy => {
                    let cost = notional
                        .checked_add(fill.fee)
                        .ok_or(LedgerError::Overflow)?;
                    self.spend(account, report.order_id, instrument.quote, cost)?;
                    self.credit(account, instrument.base, base)?;
                }
                Side::Sell => {
                    self.spend(account, report.order_id, instrument.base, base)?;
                    let proceeds = notional
                        .checked_sub(fill.fee)
                        .ok_or(LedgerError::Overflow)?;
                    self.credit(account, instrument.quote, proceeds)?;
                }
            }
        }
        if !report.status.is_open() {
            self.release(report.order_id)?;
        }
        Ok(())
    }

    fn entry(&mut self, account: AccountId, asset: Asset) -> &mut Balance {
        self.accounts
            .entry(account)
            .or_default()
            .entry(asset)
            .or_default()
    }

    fn credit(
        &mut self,
        account: AccountId,
        asset: Asset,
        amount: Decimal,
    ) -> Result<(), LedgerError> {
        self.deposit(account, asset, amount)
    }

    /// Pays `amount` from the order's hold, then from the free balance.
    fn spend(
        &mut self,
        account: AccountId,
        order: OrderId,
        asset: Asset,
        amount: Decimal,
    ) -> Result<(), LedgerError> {
        let from_hold = match self.holds.get_mut(&order) {
            Some(h) if h.asset == asset => {
                let take = h.amount.min(amount);
                h.amount = h.amount.checked_sub(take).ok_or(LedgerError::Overflow)?;
                take
            }
            _ => Decimal::ZERO,
        };
        let from_free = amount.checked_sub(from_hold).ok_or(LedgerError::Overflow)?;
        let b = self.entry(account, asset);
        b.locked = b
            .locked
            .checked_sub(from_hold)
            .ok_or(LedgerError::Overflow)?;
        b.free = b.free.checked_sub(from_free).ok_or(LedgerError::Overflow)?;
        Ok(())
    }

    fn release(&mut self, order: OrderId) -> Result<(), LedgerError> {
        let Some(h) = self.holds.remove(&order) else {
            return Ok(());
        };
        let b = self.entry(h.account, h.asset);
        b.locked = b
            .locked
            .checked_sub(h.amount)
            .ok_or(LedgerError::Overflow)?;
        b.free = b.free.checked_add(h.amount).ok_or(LedgerError::Overflow)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use kestrel_model::{ClientOrderId, Price, Qty, UnixNanos};

    use super::*;
    use crate::report::{FeeAsset, Fill, Liquidity, OrderStatus};

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    fn instrument() -> Instrument {
        crate::test_support::instrument("0.01", "0.001", "0.001", "0.001")
    }

    fn fill(side: Side, price: i64, lots: u64, fee: &str, status: OrderStatus) -> ExecReport {
        ExecReport {
            order_id: OrderId(1),
            client_id: ClientOrderId::new("c").unwrap(),
            account: AccountId(1),
            instrument: instrument().id,
            side,
            kind: ExecKind::Trade(Fill {
                trade_id: 1,
                price: Price::from_ticks(price),
                qty: Qty::from_lots(lots),
                liquidity: Liquidity::Maker,
                fee: d(fee),
                fee_asset: FeeAsset::Quote,
            }),
            status,
            filled: Qty::from_lots(lots),
            leaves: Qty::ZERO,
            time: UnixNanos::new(0),
        }
    }

    #[test]
    fn a_buy_holds_its_notional_spends_it_and_releases_the_rest() {
        let (i, acct) = (instrument(), AccountId(1));
        let mut ledger = Ledger::new();
        ledger.deposit(acct, i.quote, d("1000")).unwrap();
        // Buy 0.010 BTC at 60,000 limit: hold 600.
        assert_eq!(
            ledger.hold(acct, OrderId(1), i.quote, d("1000.01")),
            Err(LedgerError::Insufficient(i.quote))
        );
        ledger.hold(acct, OrderId(1), i.quote, d("600")).unwrap();
        assert_eq!(
            ledger.balance(acct, i.quote),
            Balance {
                free: d("400"),
                locked: d("600")
            }
        );
        // Half fills at 59,000.00 (price improvement), fee 0.295.
        let mut r = fill(
            Side::Buy,
            5_900_000,
            5,
            "0.295",
            OrderStatus::PartiallyFilled,
        );
        ledger.apply(&i, &r).unwrap();
        assert_eq!(
            ledger.balance(acct, i.base),
            Balance {
                free: d("0.005"),
                locked: Decimal::ZERO
            }
        );
        assert_eq!(
            ledger.balance(acct, i.quote),
            Balance {
                free: d("400"),
                locked: d("304.705")
            }
        );
        // Then it is cancelled: the hold's rest comes back.
        r.kind = ExecKind::Canceled;
        r.status = OrderStatus::Canceled;
        ledger.apply(&i, &r).unwrap();
        assert_eq!(
            ledger.balance(acct, i.quote),
            Balance {
                free: d("704.705"),
                locked: Decimal::ZERO
            }
        );
    }

    #[test]
    fn a_sell_spends_base_and_credits_quote_less_fee() {
        let (i, acct) = (instrument(), AccountId(1));
        let mut ledger = Ledger::new();
        ledger.deposit(acct, i.base, d("0.01")).unwrap();
        ledger.hold(acct, OrderId(1), i.base, d("0.01")).unwrap();
        ledger
            .apply(
                &i,
                &fill(Side::Sell, 6_000_000, 10, "0.6", OrderStatus::Filled),
            )
            .unwrap();
        assert_eq!(ledger.balance(acct, i.base), Balance::default());
        assert_eq!(ledger.balance(acct, i.quote).free, d("599.4"));
        assert_eq!(ledger.balances(acct).count(), 2);
    }
}
