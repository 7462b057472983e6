//! The kernel a session file describes: its markets, in order, and the
//! strategies that trade them; and what a session's positions read as.

use anyhow::{Context, bail};
use kestrel_engine::entry::SessionHeader;
use kestrel_engine::{Kernel, KernelSetup, StrategySetup};
use kestrel_model::{Decimal, Instrument, InstrumentIndex};
use kestrel_strategy::{BuiltIn, ImbalanceMm};

use super::config::LiveFile;
use crate::backtest::config::StrategySection;

/// The kernel a session file describes, over `instruments` (the
/// session's markets, in order).
pub(super) fn kernel_for(
    file: &LiveFile,
    instruments: &[Instrument],
    session_ms: u64,
) -> anyhow::Result<Kernel<BuiltIn>> {
    let first = instruments.first().context("a session needs a market")?;
    let strategies = match &file.strategy {
        Some(section @ StrategySection::ImbalanceMm { .. }) => vec![StrategySetup {
            strategy: BuiltIn::ImbalanceMm(ImbalanceMm::new(section.imbalance_mm(first)?)),
            subscriptions: vec![InstrumentIndex::FIRST],
            max_loss: None,
        }],
        Some(section @ StrategySection::EmaCross { .. }) => vec![StrategySetup {
            strategy: BuiltIn::EmaCross(crate::backtest::trades::ema_cross(section, first)?),
            subscriptions: vec![InstrumentIndex::FIRST],
            max_loss: None,
        }],
        Some(StrategySection::LeadLag { .. }) => bail!(
            "lead_lag reads a second market: list both as [[venues]] and it as [[strategies]] with `lead`"
        ),
        Some(StrategySection::SmaCross { .. }) => {
            bail!("live sessions trade order books (sma_cross trades daily bars)")
        }
        None => {
            let index_of = |name: &str, key: &str| market_index(instruments, name, key);
            crate::backtest::portfolio::strategy_setups(&file.strategies, instruments, index_of)?.0
        }
    };
    let markets = file.risk.market_setups(instruments)?;
    Ok(Kernel::build(
        KernelSetup {
            markets,
            strategies,
        },
        &file.kernel_config(first, session_ms)?,
    )?)
}

/// Which of the session's markets `name` (`venue:NATIVE` or the
/// canonical id) is.
fn market_index(
    instruments: &[Instrument],
    name: &str,
    key: &str,
) -> anyhow::Result<InstrumentIndex> {
    let at = instruments
        .iter()
        .position(|i| crate::market::is_named(i, name))
        .with_context(|| {
            format!(
                "strategies.{key}: {name} is none of the session's markets ({})",
                crate::market::names(instruments)
            )
        })?;
    Ok(InstrumentIndex(u16::try_from(at)?))
}

/// A fresh kernel as the journaled session began: its configuration, its
/// instruments and its id session all come from the header.
pub fn kernel_from_header(header: &SessionHeader) -> anyhow::Result<Kernel<BuiltIn>> {
    let file = LiveFile::parse(&header.config).context("the journaled session's config")?;
    kernel_for(&file, &header.instruments, header.session_ms)
}

/// Each market's position over every strategy, with its realised PnL and
/// fees, in the instrument's units.
pub fn position_lines<S: kestrel_strategy::Strategy>(kernel: &Kernel<S>) -> Vec<String> {
    kernel
        .instruments()
        .enumerate()
        .map(|(n, i)| {
            let ix = InstrumentIndex(u16::try_from(n).unwrap_or(u16::MAX));
            let add = |a: Decimal, b: Decimal| a.checked_add(b).unwrap_or(a);
            let (realised, fees) = kernel
                .positions_in(ix)
                .fold((Decimal::ZERO, Decimal::ZERO), |(r, f), p| {
                    (add(r, p.realised()), add(f, p.fees()))
                });
            let settle = &i.contract.settle;
            format!(
                "{} position {}, realised {realised} {settle}, fees {fees} {settle}",
                i.id,
                i.qty_text(kernel.net_lots(ix))
            )
        })
        .collect()
}
