//! `kestrel backtest --sweep`: every combination of the `[sweep]` grid,
//! one kernel per combination, run across all cores with rayon. A capture
//! is decoded once, into a tape every run maps (the page cache holds it
//! once), so the runs read events rather than parse text; memory grows
//! with the number of cores, not of combinations.

use std::path::PathBuf;

use anyhow::{Context, bail};
use rayon::prelude::*;
use serde::Serialize;
use toml::{Table, Value};

use super::{DataFormat, RunFile, run_file};

/// One combination's result, as `sweep.json` holds it.
#[derive(Serialize)]
struct SweepRow {
    params: Vec<(String, Value)>,
    end_equity: f64,
    total_return: f64,
    sharpe: Option<f64>,
    /// What the Sharpe ratio is per: `year`, or the sampling period.
    sharpe_per: String,
    max_drawdown: f64,
    trades: u64,
    fills: u64,
    orders: u64,
    fees: f64,
}

/// Every combination of the grid's values, keys in name order.
fn combinations(grid: &Table) -> anyhow::Result<Vec<Vec<(String, Value)>>> {
    let mut combos: Vec<Vec<(String, Value)>> = vec![Vec::new()];
    for (key, values) in grid {
        let Value::Array(values) = values else {
            bail!("sweep.{key:?} must be a list of values");
        };
        combos = combos
            .into_iter()
            .flat_map(|combo| {
                values.iter().map(move |v| {
                    let mut c = combo.clone();
                    c.push((key.clone(), v.clone()));
                    c
                })
            })
            .collect();
    }
    Ok(combos)
}

/// The file's text with `params` set at their dotted keys, parsed.
fn with_params(text: &str, params: &[(String, Value)]) -> anyhow::Result<RunFile> {
    let mut doc: Table = toml::from_str(text)?;
    doc.remove("sweep");
    for (key, value) in params {
        let mut table = &mut doc;
        let mut parts = key.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                table.insert(part.to_owned(), value.clone());
            } else {
                table = table
                    .entry(part.to_owned())
                    .or_insert_with(|| Value::Table(Table::new()))
                    .as_table_mut()
                    .with_context(|| format!("sweep key {key:?}: {part:?} is not a section"))?;
            }
        }
    }
    RunFile::parse(&toml::to_string(&doc)?).with_context(|| format!("sweep point {params:?}"))
}

/// A tape made for one sweep, removed when the sweep ends.
struct SweepTape(PathBuf);

impl Drop for SweepTape {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The file's text reading a tape of its capture, decoded now, once; the
/// text as it is when its data is a tape already (or not a capture).
fn decoded_once(text: &str, file: &RunFile) -> anyhow::Result<(String, Option<SweepTape>)> {
    let path = super::data_path(&file.data.file);
    if file.data.format != DataFormat::Capture || crate::market::is_tape(&path) {
        return Ok((text.to_owned(), None));
    }
    let tape = SweepTape(std::env::temp_dir().join(format!(
        "kestrel-sweep-{}-{}.tape",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    )));
    crate::data::capture_to_tape(&path, &tape.0, &file.data.market_args()?)?;
    let mut doc: Table = toml::from_str(text)?;
    let data = doc
        .get_mut("data")
        .and_then(Value::as_table_mut)
        .context("the configuration has no [data] section")?;
    let name = tape
        .0
        .to_str()
        .context("the temporary directory's path is not UTF-8")?;
    data.insert("file".into(), Value::String(name.to_owned()));
    Ok((toml::to_string(&doc)?, Some(tape)))
}

pub fn run(text: &str, file: &RunFile) -> anyhow::Result<()> {
    if file.sweep.is_empty() {
        bail!("the configuration has no [sweep] section to run");
    }
    let combos = combinations(&file.sweep)?;
    let (text, _tape) = decoded_once(text, file)?;
    let text = text.as_str();
    println!(
        "Kestrel sweep: {} combinations on {} threads",
        combos.len(),
        rayon::current_num_threads()
    );
    let started = std::time::Instant::now();
    let rows: Vec<SweepRow> = combos
        .into_par_iter()
        .map(|params| {
            let run = with_params(text, &params)?;
            let outcome = run_file(&run, false)?;
            let s = &outcome.report.summary;
            Ok(SweepRow {
                params,
                end_equity: s.end_equity,
                total_return: s.total_return,
                sharpe: s.sharpe,
                sharpe_per: outcome.report.basis.ratio_period(s.annualised),
                max_drawdown: s.max_drawdown,
                trades: s.trades.trades,
                fills: s.activity.fills,
                orders: s.activity.orders,
                fees: s.activity.fees,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    for row in &rows {
        let params: Vec<String> = row.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!(
            "  {:<60} equity {:>12} ({:+.4} %)  Sharpe {:>7} per {}  max dd {:.4} %  fills {:>5}  orders {:>5}",
            params.join(" "),
            kestrel_analytics::report::amount(row.end_equity),
            row.total_return * 100.0,
            row.sharpe.map_or("–".into(), |s| format!("{s:.3}")),
            row.sharpe_per,
            row.max_drawdown * 100.0,
            row.fills,
            row.orders
        );
    }
    let out = file.report.json.with_file_name("sweep.json");
    std::fs::write(&out, serde_json::to_string_pretty(&rows)? + "\n")
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "  {} runs in {:.2} s; wrote {}",
        rows.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_is_the_cartesian_product_and_keys_land_in_their_sections() {
        let grid: Table =
            toml::from_str("'a.x' = [1, 2]\n'b.y' = ['p', 'q', 'r']").unwrap_or_default();
        let combos = combinations(&grid).unwrap_or_default();
        assert_eq!(combos.len(), 6);
        assert_eq!(combos[5][0], ("a.x".into(), Value::Integer(2)));
        assert_eq!(combos[5][1], ("b.y".into(), Value::String("r".into())));
    }
}
