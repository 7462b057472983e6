//! The report as one HTML page with inline SVG charts: no script, no
//! network, opens anywhere.

use std::fmt::Write;

use crate::report::{Point, Report};

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 220.0;
const PAD: f64 = 48.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

use crate::report::{amount, span_text};

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.digits$}"))
}

/// Maps series to chart coordinates.
struct Frame {
    t0: f64,
    t1: f64,
    v0: f64,
    v1: f64,
}

impl Frame {
    fn of(series: &[&[Point]]) -> Option<Self> {
        let all = series.iter().flat_map(|s| s.iter());
        let (mut t0, mut t1, mut v0, mut v1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(t, v) in all {
            if v.is_finite() {
                t0 = t0.min(t as f64);
                t1 = t1.max(t as f64);
                v0 = v0.min(v);
                v1 = v1.max(v);
            }
        }
        if t0 > t1 {
            return None;
        }
        if v1 - v0 < 1e-12 {
            v0 -= 1.0;
            v1 += 1.0;
        }
        Some(Self {
            t0,
            t1: t1.max(t0 + 1.0),
            v0,
            v1,
        })
    }

    fn x(&self, t: f64) -> f64 {
        PAD + (t - self.t0) / (self.t1 - self.t0) * (WIDTH - 2.0 * PAD)
    }

    fn y(&self, v: f64) -> f64 {
        HEIGHT - PAD / 2.0 - (v - self.v0) / (self.v1 - self.v0) * (HEIGHT - PAD)
    }
}

/// At most `n` points, evenly picked, so a long run still draws quickly.
fn thin(points: &[Point], n: usize) -> Vec<Point> {
    if points.len() <= n {
        return points.to_vec();
    }
    let step = points.len() as f64 / n as f64;
    (0..n)
        .map(|i| points[(i as f64 * step) as usize])
        .chain(points.last().copied())
        .collect()
}

/// A line through the points, or, for a `step` series (a position), a
/// staircase that holds each value until the next.
fn polyline(frame: &Frame, points: &[Point], color: &str, step: bool) -> String {
    let mut d = String::new();
    let mut last_y: Option<f64> = None;
    for (t, v) in thin(points, 2_000) {
        let (x, y) = (frame.x(t as f64), frame.y(v));
        if let (true, Some(prev)) = (step, last_y) {
            let _ = write!(d, "{x:.1},{prev:.1} ");
        }
        let _ = write!(d, "{x:.1},{y:.1} ");
        last_y = Some(y);
    }
    if let (true, Some(y), Some(&(t, _))) = (step, last_y, points.last()) {
        let _ = write!(d, "{:.1},{y:.1} ", frame.x(frame.t1.max(t as f64)));
    }
    format!(r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{d}"/>"#)
}

/// A time in ms as a date, or a time of day for a span under two days.
fn time_label(ms: f64, span_ms: f64) -> String {
    let ms = ms as i64;
    let (y, m, d) = kestrel_model::time::civil_from_days(ms.div_euclid(86_400_000));
    if span_ms < 2.0 * 86_400_000.0 {
        let s = ms.rem_euclid(86_400_000) / 1_000;
        format!("{:02}:{:02}:{:02}", s / 3_600, s / 60 % 60, s % 60)
    } else {
        format!("{y:04}-{m:02}-{d:02}")
    }
}

fn value_label(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

fn chart(
    title: &str,
    lines: &[(&[Point], &str, bool)],
    marks: &str,
    frame: Option<Frame>,
) -> String {
    let Some(frame) = frame else {
        return format!("<h2>{}</h2><p>No data.</p>", escape(title));
    };
    let mut svg = format!(
        r##"<h2>{}</h2><svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img"><rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fbfbfd"/>"##,
        escape(title)
    );
    for v in [frame.v1, frame.v0] {
        let y = frame.y(v);
        let _ = write!(
            svg,
            r##"<line x1="{PAD}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#dde"/><text x="4" y="{:.1}" font-size="11" fill="#667">{}</text>"##,
            WIDTH - PAD,
            y + 4.0,
            escape(&value_label(v)),
        );
    }
    let span = frame.t1 - frame.t0;
    for (t, anchor) in [(frame.t0, "start"), (frame.t1, "end")] {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#667" text-anchor="{anchor}">{}</text>"##,
            frame.x(t),
            HEIGHT - 6.0,
            time_label(t, span),
        );
    }
    for (points, color, step) in lines {
        svg.push_str(&polyline(&frame, points, color, *step));
    }
    svg.push_str(marks);
    svg.push_str("</svg>");
    svg
}

/// Dots for our fills on a price chart: green buys, red sells (the first
/// 5 000, which is more than a chart can show apart).
fn fill_marks(frame: Option<&Frame>, fills: &[crate::report::FillMark]) -> String {
    let mut marks = String::new();
    if let Some(f) = frame {
        for fill in fills.iter().take(5_000) {
            let (x, y) = (f.x(fill.time_ms as f64), f.y(fill.price));
            let color = if fill.buy { "#1a7f37" } else { "#cf222e" };
            let _ = write!(
                marks,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="2.5" fill="{color}"/>"#
            );
        }
    }
    marks
}

/// Each instrument of a run of several: a table of their figures, then
/// each one's price with our fills on it and the position in it.
fn legs_html(report: &Report) -> String {
    let legs = &report.series.legs;
    if legs.is_empty() {
        return String::new();
    }
    let cur = &report.basis.currency;
    let mut out = format!(
        "<h2>Legs</h2><table><tr><th>instrument</th><td>fills</td><td>traded (quote)</td>\
         <td>fees ({cur})</td><td>realised ({cur})</td><td>open ({cur})</td><td>position</td></tr>",
        cur = escape(cur)
    );
    for l in legs {
        let _ = write!(
            out,
            "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td></tr>",
            escape(&l.instrument),
            l.fill_count,
            amount(l.traded),
            amount(l.fees),
            amount(l.realised),
            amount(l.unrealised),
            amount(l.position),
            escape(&l.qty_unit)
        );
    }
    out.push_str("</table>");
    if let Some(p) = &report.portfolio {
        let _ = write!(
            out,
            "<p>Exposure at the end: gross {} {cur}, net {} {cur}.</p>\
             <table><tr><th>venue account</th><td>asset</td><td>moved by the fills</td>\
             <td>open PnL on top</td></tr>",
            amount(p.gross_exposure),
            amount(p.net_exposure),
            cur = escape(cur)
        );
        for account in &p.accounts {
            for a in &account.assets {
                let _ = write!(
                    out,
                    "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&account.venue),
                    escape(&a.asset),
                    amount(a.moved),
                    amount(a.open)
                );
            }
        }
        out.push_str("</table>");
    }
    for l in legs {
        let frame = Frame::of(&[&l.price]);
        let marks = fill_marks(frame.as_ref(), &l.fills);
        out.push_str(&chart(
            &format!("{}: price and our fills", l.instrument),
            &[(&l.price, "#57606a", false)],
            &marks,
            frame,
        ));
        out.push_str(&chart(
            &format!("{}: position ({})", l.instrument, l.qty_unit),
            &[(&l.inventory, "#8250df", true)],
            "",
            Frame::of(&[&l.inventory]),
        ));
    }
    out
}

/// The report as a self-contained HTML page.
pub fn to_html(report: &Report) -> String {
    let s = &report.summary;
    let equity = &report.series.equity;
    let drawdown = report.drawdown();
    let inventory = &report.series.inventory;
    let price = &report.series.price;
    let b = &report.basis;
    let cur = &b.currency;
    let per = b.ratio_period(s.annualised);
    let rows: [(String, String); 17] = [
        (
            "Start equity".to_owned(),
            format!("{} {cur}", amount(s.start_equity)),
        ),
        (
            "End equity".to_owned(),
            format!("{} {cur}", amount(s.end_equity)),
        ),
        ("PnL".to_owned(), format!("{} {cur}", amount(s.pnl))),
        (
            "Total return".to_owned(),
            format!("{:.3} %", s.total_return * 100.0),
        ),
        (
            "Span".to_owned(),
            if s.annualised {
                format!("{:.1} years", s.span_years)
            } else {
                format!(
                    "{}, ratios per {per}, not annualised",
                    span_text(s.span_years)
                )
            },
        ),
        (format!("Sharpe (per {per})"), fmt_opt(s.sharpe, 2)),
        (format!("Sortino (per {per})"), fmt_opt(s.sortino, 2)),
        (
            "Max drawdown".to_owned(),
            format!("{:.3} %", s.max_drawdown * 100.0),
        ),
        ("Calmar".to_owned(), fmt_opt(s.calmar, 2)),
        ("Closed trades".to_owned(), s.trades.trades.to_string()),
        (
            "Win rate".to_owned(),
            fmt_opt(s.win_rate.map(|w| w * 100.0), 1) + " %",
        ),
        ("Profit factor".to_owned(), fmt_opt(s.profit_factor, 2)),
        (
            "Fees".to_owned(),
            format!("{} {cur}", amount(s.activity.fees)),
        ),
        (
            "Traded".to_owned(),
            format!("{} {cur}", amount(s.activity.traded)),
        ),
        ("Turnover".to_owned(), fmt_opt(s.turnover, 2)),
        (
            "Fill ratio".to_owned(),
            fmt_opt(s.fill_ratio.map(|f| f * 100.0), 1) + " %",
        ),
        ("Order-to-trade".to_owned(), fmt_opt(s.order_to_trade, 2)),
    ];
    let mut table = String::from("<table>");
    for (k, v) in rows {
        let _ = write!(
            table,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(&k),
            escape(&v)
        );
    }
    table.push_str("</table>");
    if !report.counters.is_empty() {
        table.push_str("<h2>Run</h2><table>");
        for (k, v) in &report.counters {
            let _ = write!(
                table,
                "<tr><th>{}</th><td>{v}</td></tr>",
                escape(&k.replace('_', " "))
            );
        }
        table.push_str("</table>");
    }

    let price_frame = Frame::of(&[price]);
    let marks = fill_marks(price_frame.as_ref(), &report.series.fills);
    let legs = legs_html(report);
    let charts = [
        chart(
            "Equity",
            &[(equity, "#0969da", false)],
            "",
            Frame::of(&[equity]),
        ),
        chart(
            "Drawdown",
            &[(&drawdown, "#cf222e", false)],
            "",
            Frame::of(&[&drawdown]),
        ),
        chart(
            "Inventory",
            &[(inventory, "#8250df", true)],
            "",
            Frame::of(&[inventory]),
        ),
        chart(
            "Price and our fills (green buys, red sells)",
            &[(price, "#57606a", false)],
            &marks,
            price_frame,
        ),
        legs,
    ]
    .concat();
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font:14px system-ui,sans-serif;margin:24px;color:#1f2328;max-width:960px}}h1{{font-size:20px}}h2{{font-size:15px;margin:22px 0 6px}}
table{{border-collapse:collapse}}th{{text-align:left;font-weight:500;padding:3px 18px 3px 0;color:#57606a}}td{{text-align:right;font-variant-numeric:tabular-nums}}</style>
</head><body><h1>{title}</h1>{table}{charts}</body></html>
"#,
        title = escape(&report.title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Basis;
    use crate::report::{FillMark, RunSeries};
    use crate::{Activity, TradeStats};

    #[test]
    fn dates_and_times_label_the_axis() {
        assert_eq!(time_label(1_723_161_256_000.0, 1e9), "2024-08-08");
        assert_eq!(time_label(1_723_161_256_000.0, 60_000.0), "23:54:16");
    }

    #[test]
    fn the_page_is_self_contained_and_escapes_text() {
        let series = RunSeries {
            equity: vec![(0, 100.0), (1_000, 101.0), (2_000, 99.0)],
            inventory: vec![(0, 0.0), (1_000, 1.0)],
            price: vec![(0, 10.0), (2_000, 11.0)],
            fills: vec![FillMark {
                time_ms: 1_000,
                price: 10.5,
                qty: 1.0,
                buy: true,
            }],
            legs: Vec::new(),
        };
        let report = Report::new(
            "a <b> & c",
            series,
            TradeStats::default(),
            Activity::default(),
            Basis {
                currency: "USD".into(),
                qty_unit: "shares".into(),
                sample_seconds: 86_400.0,
                periods_per_year: 252.0,
            },
        );
        let html = to_html(&report);
        assert!(html.contains("a &lt;b&gt; &amp; c"));
        assert!(html.contains("<svg") && html.contains("<circle"));
        assert!(
            !html.contains("<script") && !html.contains("http"),
            "nothing to fetch"
        );
        assert_eq!(report.summary.max_drawdown, 99.0 / 101.0 - 1.0);
    }
}
