//! The public streams the server serves and their names: a name a client
//! asks for is read into a stream, or refused; never accepted and left
//! silent.

use crate::klines::INTERVALS;

/// The rolling windows of `@ticker_<window>`.
pub const TICKER_WINDOWS: [&str; 3] = ["1h", "4h", "1d"];

/// Which public stream a frame belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// `<symbol>@depth@100ms` diffs.
    Depth,
    /// `<symbol>@depth`: each second's diffs merged.
    DepthSecond,
    /// `<symbol>@trade`.
    Trade,
    /// `<symbol>@bookTicker`.
    BookTicker,
    /// `<symbol>@aggTrade`.
    AggTrade,
    /// `<symbol>@kline_<interval>`, by the interval's index in
    /// [`INTERVALS`].
    Kline(u8),
    /// `<symbol>@miniTicker`, 24 hours.
    MiniTicker,
    /// `<symbol>@ticker`, 24 hours.
    Ticker,
    /// `<symbol>@ticker_<window>`, by the window's index in
    /// [`TICKER_WINDOWS`].
    WindowTicker(u8),
    /// `<symbol>@avgPrice`.
    AvgPrice,
    /// `<symbol>@markPrice` (every 3 s) or, with `true`, `@markPrice@1s`:
    /// USDⓈ-M only.
    MarkPrice(bool),
}

impl StreamKind {
    /// Whether it carries depth diffs (with update ids).
    pub fn is_depth(self) -> bool {
        matches!(self, Self::Depth | Self::DepthSecond)
    }

    /// The stream's name for `symbol` (lower case), as clients subscribe to it.
    pub fn name(self, symbol: &str) -> String {
        match self {
            Self::Depth => format!("{symbol}@depth@100ms"),
            Self::DepthSecond => format!("{symbol}@depth"),
            Self::Trade => format!("{symbol}@trade"),
            Self::BookTicker => format!("{symbol}@bookTicker"),
            Self::AggTrade => format!("{symbol}@aggTrade"),
            Self::Kline(n) => format!("{symbol}@kline_{}", INTERVALS[usize::from(n)].0),
            Self::MiniTicker => format!("{symbol}@miniTicker"),
            Self::Ticker => format!("{symbol}@ticker"),
            Self::WindowTicker(n) => format!("{symbol}@ticker_{}", TICKER_WINDOWS[usize::from(n)]),
            Self::AvgPrice => format!("{symbol}@avgPrice"),
            Self::MarkPrice(false) => format!("{symbol}@markPrice"),
            Self::MarkPrice(true) => format!("{symbol}@markPrice@1s"),
        }
    }
}

/// A stream a client may subscribe to: one symbol's, or the all-market
/// array form (`!ticker@arr`), whose events come as JSON arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stream {
    /// What it carries.
    pub kind: StreamKind,
    /// The `!…@arr` form.
    pub all_market: bool,
}

/// Reads a stream name for the served `symbol` (lower case) of a spot or,
/// with `futures`, a USDⓈ-M venue; `None` for a name the server does not
/// serve. The futures venue has mark prices and no average price or
/// rolling-window tickers; its diffs are the recording's own (`@depth@0ms`,
/// also served as `@depth@100ms`), and its 250 ms `@depth` is not served.
pub fn parse(name: &str, symbol: &str, futures: bool) -> Option<Stream> {
    if let Some(rest) = name.strip_prefix('!') {
        let kind = match (rest, futures) {
            ("markPrice@arr", true) => StreamKind::MarkPrice(false),
            ("markPrice@arr@1s", true) => StreamKind::MarkPrice(true),
            _ => match rest.strip_suffix("@arr")? {
                "miniTicker" => StreamKind::MiniTicker,
                "ticker" => StreamKind::Ticker,
                other if !futures => {
                    StreamKind::WindowTicker(window(other.strip_prefix("ticker_")?)?)
                }
                _ => return None,
            },
        };
        return Some(Stream {
            kind,
            all_market: true,
        });
    }
    let (sym, stream) = name.split_once('@')?;
    if !sym.eq_ignore_ascii_case(symbol) {
        return None;
    }
    let kind = match (stream, futures) {
        ("depth@100ms", _) | ("depth@0ms", true) => StreamKind::Depth,
        ("depth" | "depth@1000ms", false) => StreamKind::DepthSecond,
        ("markPrice", true) => StreamKind::MarkPrice(false),
        ("markPrice@1s", true) => StreamKind::MarkPrice(true),
        ("avgPrice", false) => StreamKind::AvgPrice,
        (other, true) if other.starts_with("ticker_") || other.starts_with("depth") => {
            return None;
        }
        (other, _) => return plain(other),
    };
    Some(Stream {
        kind,
        all_market: false,
    })
}

/// The streams both venues serve alike.
fn plain(stream: &str) -> Option<Stream> {
    let kind = match stream {
        "trade" => StreamKind::Trade,
        "bookTicker" => StreamKind::BookTicker,
        "aggTrade" => StreamKind::AggTrade,
        "miniTicker" => StreamKind::MiniTicker,
        "ticker" => StreamKind::Ticker,
        other => {
            if let Some(interval) = other.strip_prefix("kline_") {
                let n = INTERVALS.iter().position(|(i, _)| *i == interval)?;
                StreamKind::Kline(u8::try_from(n).ok()?)
            } else {
                StreamKind::WindowTicker(window(other.strip_prefix("ticker_")?)?)
            }
        }
    };
    Some(Stream {
        kind,
        all_market: false,
    })
}

fn window(name: &str) -> Option<u8> {
    let n = TICKER_WINDOWS.iter().position(|w| *w == name)?;
    u8::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_names_read_back_and_others_are_refused() {
        for name in [
            "btcusdt@depth@100ms",
            "btcusdt@depth",
            "btcusdt@trade",
            "btcusdt@bookTicker",
            "btcusdt@aggTrade",
            "btcusdt@kline_1m",
            "btcusdt@kline_1w",
            "btcusdt@miniTicker",
            "btcusdt@ticker",
            "btcusdt@ticker_4h",
            "btcusdt@avgPrice",
        ] {
            let s = parse(name, "btcusdt", false).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(s.kind.name("btcusdt"), name);
        }
        assert_eq!(
            parse("!ticker_1h@arr", "btcusdt", false),
            Some(Stream {
                kind: StreamKind::WindowTicker(0),
                all_market: true
            })
        );
        for name in [
            "ethusdt@trade",
            "btcusdt@kline_1M",
            "btcusdt@kline_2m",
            "btcusdt@depth5",
            "btcusdt@ticker_2h",
            "btcusdt@markPrice",
            "!bookTicker",
            "!ticker",
            "btcusdt",
            "",
            "@",
        ] {
            assert_eq!(parse(name, "btcusdt", false), None, "{name}");
        }
    }

    #[test]
    fn the_futures_venue_serves_its_own_streams() {
        for (name, kind) in [
            ("btcusdt@markPrice", StreamKind::MarkPrice(false)),
            ("btcusdt@markPrice@1s", StreamKind::MarkPrice(true)),
            ("btcusdt@depth@0ms", StreamKind::Depth),
            ("btcusdt@depth@100ms", StreamKind::Depth),
            ("btcusdt@kline_1m", StreamKind::Kline(1)),
            ("btcusdt@aggTrade", StreamKind::AggTrade),
        ] {
            assert_eq!(
                parse(name, "btcusdt", true).map(|s| s.kind),
                Some(kind),
                "{name}"
            );
        }
        assert!(parse("!markPrice@arr@1s", "btcusdt", true).is_some_and(|s| s.all_market));
        for name in [
            "btcusdt@avgPrice",
            "btcusdt@depth",
            "btcusdt@depth@500ms",
            "btcusdt@ticker_1h",
            "!ticker_1h@arr",
        ] {
            assert_eq!(parse(name, "btcusdt", true), None, "{name}");
        }
        assert_eq!(parse("btcusdt@markPrice", "btcusdt", false), None);
    }
}
