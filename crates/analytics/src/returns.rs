//! Statistics of an equity curve sampled at a fixed period.

/// Simple returns between consecutive equity samples (`Eₜ/Eₜ₋₁ − 1`);
/// a sample after a zero equity gives no return.
pub fn returns(equity: &[f64]) -> Vec<f64> {
    equity
        .windows(2)
        .filter(|w| w[0] != 0.0)
        .map(|w| w[1] / w[0] - 1.0)
        .collect()
}

fn mean(x: &[f64]) -> Option<f64> {
    (!x.is_empty()).then(|| x.iter().sum::<f64>() / x.len() as f64)
}

/// Sample standard deviation (ddof = 1).
fn std_dev(x: &[f64]) -> Option<f64> {
    let m = mean(x)?;
    (x.len() > 1)
        .then(|| (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt())
}

/// Annualised Sharpe ratio with a zero risk-free rate:
/// `mean(r) / std(r) × √periods_per_year`. `None` without spread.
pub fn sharpe(returns: &[f64], periods_per_year: f64) -> Option<f64> {
    let (m, s) = (mean(returns)?, std_dev(returns)?);
    (s > 0.0).then(|| m / s * periods_per_year.sqrt())
}

/// Annualised Sortino ratio against a zero target:
/// `mean(r) / √mean(min(r, 0)²) × √periods_per_year`. `None` without a
/// losing period.
pub fn sortino(returns: &[f64], periods_per_year: f64) -> Option<f64> {
    let m = mean(returns)?;
    let downside =
        (returns.iter().map(|r| r.min(0.0).powi(2)).sum::<f64>() / returns.len() as f64).sqrt();
    (downside > 0.0).then(|| m / downside * periods_per_year.sqrt())
}

/// Drawdown at each sample: `Eₜ / max(E₀..Eₜ) − 1`, zero or negative.
pub fn drawdown_series(equity: &[f64]) -> Vec<f64> {
    let mut peak = f64::MIN;
    equity
        .iter()
        .map(|&e| {
            peak = peak.max(e);
            if peak > 0.0 { e / peak - 1.0 } else { 0.0 }
        })
        .collect()
}

/// The largest drawdown, as a negative fraction (0 if equity never fell).
pub fn max_drawdown(equity: &[f64]) -> f64 {
    drawdown_series(equity).into_iter().fold(0.0, f64::min)
}

/// Geometric annual return: `(E_end / E_start)^(periods_per_year / n) − 1`
/// over `n` periods.
pub fn annual_return(equity: &[f64], periods_per_year: f64) -> Option<f64> {
    let (first, last) = (*equity.first()?, *equity.last()?);
    let n = (equity.len() - 1) as f64;
    (first > 0.0 && n > 0.0).then(|| (last / first).powf(periods_per_year / n) - 1.0)
}

/// Calmar ratio: annual return over the largest drawdown's size. `None`
/// without a drawdown.
pub fn calmar(equity: &[f64], periods_per_year: f64) -> Option<f64> {
    let dd = max_drawdown(equity);
    (dd < 0.0).then(|| annual_return(equity, periods_per_year).map(|r| r / -dd))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn hand_computed_ratios() {
        let equity = [100.0, 110.0, 99.0, 108.9];
        let r = returns(&equity);
        // +10%, −10%, +10%.
        assert!(r.iter().zip([0.1, -0.1, 0.1]).all(|(a, b)| close(*a, b)));
        // mean 1/30; sample sd: deviations 1/15, −2/15, 1/15 → var (6/225)/2 = 1/75.
        let expected_sharpe = (1.0 / 30.0) / (1.0f64 / 75.0).sqrt() * 252f64.sqrt();
        assert!(close(sharpe(&r, 252.0).unwrap(), expected_sharpe));
        // Downside: √(0.01 / 3).
        let expected_sortino = (1.0 / 30.0) / (0.01f64 / 3.0).sqrt() * 252f64.sqrt();
        assert!(close(sortino(&r, 252.0).unwrap(), expected_sortino));
        assert!(close(max_drawdown(&equity), 99.0 / 110.0 - 1.0));
        assert_eq!(
            drawdown_series(&[1.0, 2.0, 1.0, 3.0]),
            [0.0, 0.0, -0.5, 0.0]
        );
        // 3 periods, 252 a year: 1.089^(84) − 1.
        let annual = 1.089f64.powf(84.0) - 1.0;
        assert!(close(annual_return(&equity, 252.0).unwrap(), annual));
        assert!(close(
            calmar(&equity, 252.0).unwrap(),
            annual / (1.0 - 99.0 / 110.0)
        ));
        assert_eq!(sharpe(&[0.01, 0.01], 252.0), None, "no spread");
        assert_eq!(sortino(&[0.01, 0.02], 252.0), None, "no losing period");
        assert_eq!(calmar(&[1.0, 2.0], 252.0), None, "no drawdown");
    }
}
