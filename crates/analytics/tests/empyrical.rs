//! Our ratios against empyrical's on the same equity curve. The expected
//! figures were produced once by `tests/reference/make_empyrical_expected.py`
//! with empyrical-reloaded 0.7.1 and are committed beside it.
#![allow(clippy::unwrap_used)]

use kestrel_analytics::{annual_return, calmar, max_drawdown, returns, sharpe, sortino};

#[test]
fn ratios_match_empyrical() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/empyrical_expected.json"
    ))
    .unwrap();
    let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
    let equity: Vec<f64> = expected["equity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let ppy = expected["periods_per_year"].as_f64().unwrap();
    let r = returns(&equity);
    let check = |name: &str, ours: f64| {
        let theirs = expected[name].as_f64().unwrap();
        assert!(
            (ours - theirs).abs() <= 1e-9 * theirs.abs().max(1.0),
            "{name}: ours {ours}, empyrical {theirs}"
        );
    };
    check("sharpe", sharpe(&r, ppy).unwrap());
    check("sortino", sortino(&r, ppy).unwrap());
    check("max_drawdown", max_drawdown(&equity));
    check("annual_return", annual_return(&equity, ppy).unwrap());
    check("calmar", calmar(&equity, ppy).unwrap());
}
