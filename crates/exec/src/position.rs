//! A position in one instrument and its PnL, exact in fixed point.
//!
//! Fills open lots in their direction and close lots against the other.
//! [`CostMethod::Fifo`] closes the oldest lots first, so each exit's PnL is
//! against the prices actually paid, across partial fills and exits split
//! over several orders. [`CostMethod::AverageCost`] keeps one cost basis
//! and closes at its average. A fill larger than the position closes it and
//! opens the rest the other way. Fees are kept apart from trading PnL, so
//! both gross and net figures are available.
//!
//! Amounts are in the instrument's settlement asset: the quote for spot and
//! linear contracts, the coin for inverse ones. An inverse contract's value
//! in coins is `contracts × contract value ÷ price`, which falls as price
//! rises, so a long gains what its entry value exceeds its exit value by:
//! `n·m·(1/entry − 1/exit)`, exactly the venue's formula.

use std::collections::VecDeque;

use kestrel_model::{
    Contract, ContractKind, Decimal, FeeAsset, Increment, Instrument, Price, Qty, Side,
};

/// How exits are costed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CostMethod {
    /// First in, first out, lot by lot.
    #[default]
    Fifo,
    /// Against the average price of the open position.
    AverageCost,
}

/// Why a fill could not be booked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PositionError {
    /// An amount left the representable range.
    #[error("amount out of range")]
    Overflow,
}

/// An open lot: a quantity and the price it was entered at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Lot {
    qty: u64,
    price: Price,
}

/// One instrument's position.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Position {
    tick: Increment,
    lot: Increment,
    contract: Contract,
    method: CostMethod,
    /// Direction of the open lots (`None` when flat).
    side: Option<Side>,
    /// FIFO: the open lots, oldest first.
    lots: VecDeque<Lot>,
    /// Open quantity in lots.
    open: u64,
    /// Cost basis of the open quantity: Σ value at entry, in the
    /// settlement asset (positive).
    cost: Decimal,
    realised: Decimal,
    fees: Decimal,
    /// Quote value traded, for turnover.
    traded: Decimal,
    /// Quote the fills moved: sales in, purchases and fees out.
    quote_flow: Decimal,
    /// Fees withheld from the base asset received.
    base_fees: Decimal,
}

/// What booking a fill did, in the settlement asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Booked {
    /// Trading PnL it realised, before fees.
    pub realised: Decimal,
    /// Its fee valued in the settlement asset (a fee in the other asset of
    /// the pair converted at the fill's price; zero for a fee in a third
    /// asset, whose value is not known).
    pub fee: Decimal,
}

impl Position {
    /// A flat position in `instrument`.
    pub fn new(instrument: &Instrument, method: CostMethod) -> Self {
        Self {
            tick: instrument.tick,
            lot: instrument.lot,
            contract: instrument.contract,
            method,
            side: None,
            lots: VecDeque::new(),
            open: 0,
            cost: Decimal::ZERO,
            realised: Decimal::ZERO,
            fees: Decimal::ZERO,
            traded: Decimal::ZERO,
            quote_flow: Decimal::ZERO,
            base_fees: Decimal::ZERO,
        }
    }

    /// Signed open quantity in lots: positive long, negative short.
    pub fn net_lots(&self) -> i64 {
        let open = i64::try_from(self.open).unwrap_or(i64::MAX);
        match self.side {
            Some(Side::Sell) => -open,
            _ => open,
        }
    }

    /// The open quantity, unsigned.
    pub fn open_qty(&self) -> Qty {
        Qty::from_lots(self.open)
    }

    /// Long, short, or flat (`None`).
    pub fn side(&self) -> Option<Side> {
        self.side
    }

    /// Trading PnL realised so far, before fees.
    pub fn realised(&self) -> Decimal {
        self.realised
    }

    /// Fees paid so far (negative for net rebates).
    pub fn fees(&self) -> Decimal {
        self.fees
    }

    /// Realised PnL after fees.
    pub fn realised_net(&self) -> Decimal {
        self.realised
            .checked_sub(self.fees)
            .unwrap_or(self.realised)
    }

    /// Quote notional traded so far.
    pub fn traded(&self) -> Decimal {
        self.traded
    }

    /// How much the fills moved the quote balance: proceeds of sales, less
    /// purchases and the fees charged in the quote asset. What a spot
    /// account's quote balance must have moved by.
    pub fn quote_flow(&self) -> Decimal {
        self.quote_flow
    }

    /// How much the fills moved the base balance: the net position, less
    /// the fees withheld in the base asset.
    pub fn base_flow(&self) -> Decimal {
        let net = Decimal::from_steps(self.net_lots(), &self.lot);
        net.checked_sub(self.base_fees).unwrap_or(net)
    }

    /// Cost basis of the open quantity (Σ value at entry, in the
    /// settlement asset).
    pub fn cost_basis(&self) -> Decimal {
        self.cost
    }

    /// Average entry price of the open quantity, for display (for an
    /// inverse contract, the harmonic mean its coin value implies).
    pub fn average_price(&self) -> Option<f64> {
        if self.open == 0 {
            return None;
        }
        let units = self.open as f64 * self.lot.to_f64(1) * self.contract.multiplier.to_f64();
        Some(match self.contract.kind {
            ContractKind::Inverse => units / self.cost.to_f64(),
            ContractKind::Spot | ContractKind::Linear => self.cost.to_f64() / units,
        })
    }

    /// PnL of the open quantity marked at `mark`.
    pub fn unrealised(&self, mark: Price) -> Decimal {
        if self.open == 0 && self.cost == Decimal::ZERO {
            // Flat: nothing to mark (and no decimal arithmetic to do).
            return Decimal::ZERO;
        }
        let value = self.value(mark, self.open).unwrap_or(Decimal::ZERO);
        self.gain(self.cost, value).unwrap_or(Decimal::ZERO)
    }

    /// Value of `lots` at `price` in the settlement asset.
    fn value(&self, price: Price, lots: u64) -> Option<Decimal> {
        let qty = Decimal::from_steps(i64::try_from(lots).ok()?, &self.lot);
        self.contract
            .settle_value(Decimal::from_steps(price.ticks(), &self.tick), qty)
    }

    /// Value of `lots` at `price` in the quote asset (turnover).
    fn quote_value(&self, price: Price, lots: u64) -> Option<Decimal> {
        let qty = Decimal::from_steps(i64::try_from(lots).ok()?, &self.lot);
        self.contract
            .quote_value(Decimal::from_steps(price.ticks(), &self.tick), qty)
    }

    /// What closing open lots of entry value `cost` at exit value `exit`
    /// earns the position's side. A long in a linear contract gains when
    /// the exit is worth more; in an inverse one, when its coin value at
    /// exit is less (the price rose).
    fn gain(&self, cost: Decimal, exit: Decimal) -> Option<Decimal> {
        let long_gain = match self.contract.kind {
            ContractKind::Inverse => cost.checked_sub(exit)?,
            ContractKind::Spot | ContractKind::Linear => exit.checked_sub(cost)?,
        };
        match self.side {
            Some(Side::Sell) => long_gain.checked_neg(),
            _ => Some(long_gain),
        }
    }

    /// Books a fill: `side` bought or sold `qty` at `price`, paying `fee`
    /// in `fee_asset`.
    pub fn on_fill(
        &mut self,
        side: Side,
        price: Price,
        qty: Qty,
        fee: Decimal,
        fee_asset: FeeAsset,
    ) -> Result<Booked, PositionError> {
        let overflow = PositionError::Overflow;
        let quote_value = self.quote_value(price, qty.lots()).ok_or(overflow)?;
        let unit = Decimal::from_steps(price.ticks(), &self.tick);
        let inverse = self.contract.kind == ContractKind::Inverse;
        // The fee in the settlement asset, and what it took from the quote
        // balance (spot accounts).
        let (fee_value, quote_fee) = match (fee_asset, inverse) {
            (FeeAsset::Quote, false) => (fee, fee),
            (FeeAsset::Base, true) => (fee, Decimal::ZERO),
            (FeeAsset::Base, false) => (unit.checked_mul(fee).ok_or(overflow)?, Decimal::ZERO),
            (FeeAsset::Quote, true) => (fee.checked_div(unit).ok_or(overflow)?, Decimal::ZERO),
            (FeeAsset::Other, _) => (Decimal::ZERO, Decimal::ZERO),
        };
        if fee_asset == FeeAsset::Base {
            self.base_fees = self.base_fees.checked_add(fee).ok_or(overflow)?;
        }
        self.fees = self.fees.checked_add(fee_value).ok_or(overflow)?;
        self.traded = self.traded.checked_add(quote_value).ok_or(overflow)?;
        let signed = match side {
            Side::Sell => quote_value,
            Side::Buy => Decimal::ZERO.checked_sub(quote_value).ok_or(overflow)?,
        };
        self.quote_flow = self
            .quote_flow
            .checked_add(signed)
            .and_then(|f| f.checked_sub(quote_fee))
            .ok_or(overflow)?;
        let mut left = qty.lots();
        let mut realised = Decimal::ZERO;
        if self.side.is_some_and(|s| s != side) {
            let closing = left.min(self.open);
            let closed_cost = self.close(closing)?;
            let exit_value = self.value(price, closing).ok_or(overflow)?;
            realised = self.gain(closed_cost, exit_value).ok_or(overflow)?;
            self.realised = self.realised.checked_add(realised).ok_or(overflow)?;
            left -= closing;
            if self.open == 0 {
                self.side = None;
            }
        }
        if left > 0 {
            self.side = Some(side);
            self.open += left;
            self.cost = self
                .cost
                .checked_add(self.value(price, left).ok_or(overflow)?)
                .ok_or(overflow)?;
            if self.method == CostMethod::Fifo {
                self.lots.push_back(Lot { qty: left, price });
            }
        }
        Ok(Booked {
            realised,
            fee: fee_value,
        })
    }

    /// Takes `qty` lots off the open position; returns their cost.
    fn close(&mut self, qty: u64) -> Result<Decimal, PositionError> {
        let overflow = PositionError::Overflow;
        let cost = match self.method {
            CostMethod::AverageCost => self
                .cost
                .checked_mul_ratio(qty, self.open)
                .ok_or(overflow)?,
            CostMethod::Fifo => {
                let mut cost = Decimal::ZERO;
                let mut left = qty;
                while left > 0 {
                    let Some(&Lot {
                        qty: lot_qty,
                        price,
                    }) = self.lots.front()
                    else {
                        break;
                    };
                    let take = left.min(lot_qty);
                    let part = self.value(price, take).ok_or(overflow)?;
                    cost = cost.checked_add(part).ok_or(overflow)?;
                    left -= take;
                    if take == lot_qty {
                        self.lots.pop_front();
                    } else if let Some(front) = self.lots.front_mut() {
                        front.qty -= take;
                    }
                }
                cost
            }
        };
        self.open -= qty;
        self.cost = if self.open == 0 {
            Decimal::ZERO
        } else {
            self.cost.checked_sub(cost).ok_or(overflow)?
        };
        Ok(cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    fn position(method: CostMethod) -> Position {
        let instrument = kestrel_model::testing::instrument("1", "1");
        Position::new(&instrument, method)
    }

    fn fill(p: &mut Position, side: Side, price: i64, qty: u64, fee: &str) -> Decimal {
        p.on_fill(
            side,
            Price::from_ticks(price),
            Qty::from_lots(qty),
            d(fee),
            FeeAsset::Quote,
        )
        .unwrap()
        .realised
    }

    #[test]
    fn fifo_closes_the_oldest_lots_first_across_split_exits_and_flips() {
        let mut p = position(CostMethod::Fifo);
        fill(&mut p, Side::Buy, 100, 2, "0.2");
        fill(&mut p, Side::Buy, 110, 3, "0.33");
        assert_eq!((p.net_lots(), p.cost_basis()), (5, d("530")));
        // Exit split over two orders: 4 then 1.
        assert_eq!(
            fill(&mut p, Side::Sell, 120, 4, "0.48"),
            d("60"),
            "2×(120−100) + 2×(120−110)"
        );
        assert_eq!(
            p.unrealised(Price::from_ticks(115)),
            d("5"),
            "1 left at 110"
        );
        // Selling 3 closes the last 1 (−10) and opens a short of 2 at 100.
        assert_eq!(fill(&mut p, Side::Sell, 100, 3, "0.3"), d("-10"));
        assert_eq!((p.net_lots(), p.side()), (-2, Some(Side::Sell)));
        assert_eq!(
            p.unrealised(Price::from_ticks(90)),
            d("20"),
            "short 2 from 100, marked at 90"
        );
        assert_eq!(fill(&mut p, Side::Buy, 95, 2, "0.19"), d("10"));
        assert_eq!(
            (p.net_lots(), p.side(), p.cost_basis()),
            (0, None, Decimal::ZERO)
        );
        assert_eq!(p.realised(), d("60"));
        assert_eq!(p.fees(), d("1.5"));
        assert_eq!(p.realised_net(), d("58.5"));
        assert_eq!(p.traded(), d("1500"), "200 + 330 + 480 + 300 + 190");
        assert_eq!(
            p.quote_flow(),
            d("58.5"),
            "−200 − 330 + 480 + 300 − 190, less 1.5 of fees: flat, it is the realised net"
        );
    }

    /// A buy's fee withheld from the base received (Binance spot's way),
    /// and one in a third asset: the balances' flows follow, and the PnL
    /// counts what it can value.
    #[test]
    fn fees_in_the_base_or_another_asset_move_the_right_balance() {
        let mut p = position(CostMethod::Fifo);
        let booked = p
            .on_fill(
                Side::Buy,
                Price::from_ticks(100),
                Qty::from_lots(10),
                d("0.01"),
                FeeAsset::Base,
            )
            .unwrap();
        assert_eq!(booked.fee, d("1"), "0.01 base at 100");
        assert_eq!((p.base_flow(), p.quote_flow()), (d("9.99"), d("-1000")));
        let booked = p
            .on_fill(
                Side::Sell,
                Price::from_ticks(110),
                Qty::from_lots(4),
                d("0.5"),
                FeeAsset::Other,
            )
            .unwrap();
        assert_eq!((booked.realised, booked.fee), (d("40"), Decimal::ZERO));
        assert_eq!((p.base_flow(), p.quote_flow()), (d("5.99"), d("-560")));
        assert_eq!(p.fees(), d("1"));
    }

    #[test]
    fn average_cost_closes_at_the_average_price() {
        let mut p = position(CostMethod::AverageCost);
        fill(&mut p, Side::Buy, 100, 2, "0");
        fill(&mut p, Side::Buy, 110, 3, "0");
        assert_eq!(p.average_price(), Some(106.0));
        assert_eq!(
            fill(&mut p, Side::Sell, 120, 4, "0"),
            d("56"),
            "480 − 530 × 4/5"
        );
        assert_eq!(p.cost_basis(), d("106"));
        // A third of a cost basis is not a whole number: rounded at 18 places.
        let mut p = position(CostMethod::AverageCost);
        fill(&mut p, Side::Buy, 100, 1, "0");
        fill(&mut p, Side::Buy, 101, 2, "0");
        assert_eq!(
            fill(&mut p, Side::Sell, 101, 1, "0"),
            d("0.333333333333333333")
        );
        assert_eq!(
            fill(&mut p, Side::Sell, 101, 2, "0"),
            d("0.666666666666666667")
        );
        assert_eq!(p.realised(), d("1"));
    }

    proptest::proptest! {
        /// Whatever the fills, realised + unrealised equals the cash the
        /// fills moved plus the open quantity at the mark: exactly for FIFO,
        /// to rounding at 18 decimals for average cost.
        #[test]
        fn pnl_adds_up_to_the_cash_flows(
            fills in proptest::collection::vec((proptest::bool::ANY, 1i64..1_000, 1u64..50), 1..40),
            mark in 1i64..1_000,
        ) {
            for method in [CostMethod::Fifo, CostMethod::AverageCost] {
                let mut p = position(method);
                let mut cash = Decimal::ZERO;
                for &(buy, price, qty) in &fills {
                    let side = if buy { Side::Buy } else { Side::Sell };
                    p.on_fill(side, Price::from_ticks(price), Qty::from_lots(qty), Decimal::ZERO, FeeAsset::Quote).unwrap();
                    let value = d(&(price * qty as i64).to_string());
                    cash = if buy { cash.checked_sub(value).unwrap() } else { cash.checked_add(value).unwrap() };
                }
                proptest::prop_assert_eq!(p.quote_flow(), cash);
                let open_value = d(&(mark * p.net_lots()).to_string());
                let expected = cash.checked_add(open_value).unwrap();
                let got = p.realised().checked_add(p.unrealised(Price::from_ticks(mark))).unwrap();
                match method {
                    CostMethod::Fifo => proptest::prop_assert_eq!(got, expected),
                    CostMethod::AverageCost => {
                        proptest::prop_assert!((got.to_f64() - expected.to_f64()).abs() < 1e-9, "{got} vs {expected}");
                    }
                }
            }
        }
    }

    /// BTCUSD_PERP: contracts of 100 USD, PnL in BTC. Worked by hand.
    #[test]
    fn inverse_contracts_gain_in_coins_by_the_venues_formula() {
        let instrument = kestrel_model::Instrument {
            contract: Contract {
                kind: ContractKind::Inverse,
                multiplier: d("100"),
                settle: "BTC".parse().unwrap(),
                expiry: None,
            },
            ..kestrel_model::testing::instrument("0.1", "1")
        };
        let px = |s: &str| Price::parse(s, &instrument.tick).unwrap();
        let mut p = Position::new(&instrument, CostMethod::Fifo);
        let buy = |p: &mut Position, price: &str, qty: u64, fee: &str| {
            p.on_fill(
                Side::Buy,
                px(price),
                Qty::from_lots(qty),
                d(fee),
                FeeAsset::Base,
            )
            .unwrap()
        };
        // Long 10 at 50 000 (0.02 BTC of entry value) and 10 at 40 000
        // (0.025 BTC); the fee is in BTC and counted as is.
        let first = buy(&mut p, "50000", 10, "0.000004");
        assert_eq!(first.fee, d("0.000004"));
        buy(&mut p, "40000", 10, "0");
        assert_eq!(p.cost_basis(), d("0.045"));
        // 2000 USD of contracts at an entry value of 0.045 BTC: the
        // harmonic mean, 44 444.44…
        assert!((p.average_price().unwrap() - 44_444.444_444).abs() < 1e-3);
        // Marked at 60 000: 0.045 − 2000/60000 = 0.011666… BTC.
        assert_eq!(
            p.unrealised(px("60000")).to_string(),
            "0.011666666666666667"
        );
        // Sell 10 at 60 000 closes the first lot (FIFO): 1000·(1/50000 −
        // 1/60000) = 0.003333… BTC.
        let sold = p
            .on_fill(
                Side::Sell,
                px("60000"),
                Qty::from_lots(10),
                d("0"),
                FeeAsset::Base,
            )
            .unwrap();
        assert_eq!(sold.realised.to_string(), "0.003333333333333333");
        // Flip: sell 20 at 32 000 closes the 40 000 lot (a loss of
        // 1000·(1/40000 − 1/32000) = −0.00625) and opens a short of 10.
        let flipped = p
            .on_fill(
                Side::Sell,
                px("32000"),
                Qty::from_lots(20),
                d("0"),
                FeeAsset::Base,
            )
            .unwrap();
        assert_eq!(flipped.realised, d("-0.00625"));
        assert_eq!(p.net_lots(), -10);
        // The short gains as the price falls: at 25 000, 1000·(1/25000 −
        // 1/32000) = 0.00875 BTC.
        assert_eq!(p.unrealised(px("25000")), d("0.00875"));
        // Turnover is in USD: 4 fills of contracts worth 1000, 1000, 1000
        // and 2000 USD.
        assert_eq!(p.traded(), d("5000"));
        // A fee charged in USD is converted to coins at the fill's price.
        let usd_fee = p
            .on_fill(
                Side::Buy,
                px("25000"),
                Qty::from_lots(10),
                d("0.5"),
                FeeAsset::Quote,
            )
            .unwrap();
        assert_eq!(usd_fee.fee, d("0.00002"));
        assert_eq!(usd_fee.realised, d("0.00875"));
    }
}
