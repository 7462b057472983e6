//! The exchange's public market data: what a released frame's trades do to
//! the tickers, trade lists and klines, the stream events they make, and
//! the answers to market-data requests, all as of the market clock.

use kestrel_model::UnixNanos;
use serde_json::Value;

use super::{Exchange, MarketQuery};
use crate::klines::INTERVALS;
use crate::market::wire::{self, TickerFigures};
use crate::market::{AggRow, Window};
use crate::replay::MarketFrame;
use crate::streams::{StreamKind, TICKER_WINDOWS};

/// The windows of `@ticker_<window>`, in [`TICKER_WINDOWS`]' order.
const STREAM_WINDOWS: [Window; 3] = [Window::Hour, Window::FourHours, Window::Day];

impl Exchange {
    /// Before a frame is released: the market clock moves to its venue
    /// time, an aggregate no later trade can join is published, a new
    /// second pushes the tickers and klines as they stood, and then the
    /// frame's trades are taken. The aggregates they closed are returned,
    /// to be published after the frame itself.
    pub(super) fn market_before(&mut self, frame: &MarketFrame) -> Vec<AggRow> {
        let now_ms = self.market_ms.max(frame.exchange.as_nanos() / 1_000_000);
        let new_second = now_ms / 1_000 > self.market_ms / 1_000;
        self.market_ms = now_ms;
        if let Some(agg) = self.market.advance(now_ms) {
            self.publish_agg(frame.recorded, &agg);
        }
        if new_second {
            self.push_second(frame.recorded);
        }
        let mut closed = Vec::new();
        for trade in self.replay.staged_trades() {
            self.klines.on_trade(trade);
            self.kline_streams.on_trade(trade);
            closed.extend(self.market.on_trade(trade));
        }
        closed
    }

    /// After the frame: the aggregates its trades closed.
    pub(super) fn market_after(&mut self, recorded: UnixNanos, closed: Vec<AggRow>) {
        for agg in closed {
            self.publish_agg(recorded, &agg);
        }
    }

    fn publish_agg(&mut self, recorded: UnixNanos, agg: &AggRow) {
        let payload = wire::agg_event(agg, self.market_ms, &self.instrument);
        self.publish_derived(recorded, StreamKind::AggTrade, &payload);
    }

    /// The once-a-second streams: 24-hour and rolling tickers, the
    /// average price and every interval's kline.
    fn push_second(&mut self, recorded: UnixNanos) {
        let i = self.instrument.clone();
        let day = self.figures(Window::Day);
        let (last, top) = (self.market.last(), self.top());
        let mut events = vec![
            (StreamKind::MiniTicker, wire::mini_ticker_event(&day, &i)),
            (
                StreamKind::Ticker,
                wire::ticker_event(&day, None, last, top, &i),
            ),
            (
                StreamKind::AvgPrice,
                wire::avg_price_event(&self.figures(Window::FiveMinutes), &i),
            ),
        ];
        for (n, (window, name)) in STREAM_WINDOWS.iter().zip(TICKER_WINDOWS).enumerate() {
            let f = self.figures(*window);
            let kind = StreamKind::WindowTicker(n as u8);
            events.push((kind, wire::ticker_event(&f, Some(name), last, top, &i)));
        }
        for push in self.kline_streams.tick(self.market_ms / 1_000) {
            let (name, _) = INTERVALS[push.interval];
            let event = wire::kline_event(
                &push.live.kline,
                name,
                push.closed,
                push.live.ids,
                self.market_ms,
                &i,
            );
            events.push((StreamKind::Kline(push.interval as u8), event));
        }
        if let Some(p) = self.premium() {
            let event = crate::futures::wire::mark_price_event(&p, &i);
            if self.market_ms / 1_000 % 3 == 0 {
                events.push((StreamKind::MarkPrice(false), event.clone()));
            }
            events.push((StreamKind::MarkPrice(true), event));
        }
        for (kind, payload) in events {
            self.publish_derived(recorded, kind, &payload);
        }
    }

    fn publish_derived(&mut self, recorded: UnixNanos, kind: StreamKind, payload: &Value) {
        self.publish(MarketFrame {
            recorded,
            exchange: UnixNanos::from_millis(self.market_ms),
            kind,
            payload: payload.to_string().into_bytes(),
            ids: None,
        });
    }

    /// The best bid and ask of the venue's book.
    pub(super) fn top(&self) -> wire::Top {
        self.venue
            .engine(self.instrument.id)
            .map_or((None, None), |e| (e.book().best_bid(), e.book().best_ask()))
    }

    /// A kept window's figures as of the market clock.
    fn figures(&self, w: Window) -> TickerFigures {
        TickerFigures {
            stats: self.market.window(w),
            last_before: self
                .market
                .before(w)
                .or(self.market.last().map(|t| t.price)),
            open_ms: self.market_ms.saturating_sub(w.len_s() * 1_000),
            close_ms: self.market_ms,
        }
    }

    /// Answers a market-data question as of the market clock.
    pub(super) fn market_answer(&self, q: MarketQuery) -> Value {
        let i = &self.instrument;
        let (top, last) = (self.top(), self.market.last());
        match q {
            MarketQuery::Day { full } => {
                wire::ticker_24hr(&self.figures(Window::Day), last, top, full, i)
            }
            MarketQuery::Rolling { len_s, full } => {
                let f = TickerFigures {
                    stats: self.market.window_of(len_s, self.market_ms / 1_000),
                    last_before: last.map(|t| t.price),
                    open_ms: self.market_ms.saturating_sub(len_s * 1_000),
                    close_ms: self.market_ms,
                };
                wire::rolling_ticker(&f, full, i)
            }
            MarketQuery::Price => wire::price_ticker(last, i),
            MarketQuery::BookTicker => wire::book_ticker(top, i),
            MarketQuery::AvgPrice => wire::avg_price(&self.figures(Window::FiveMinutes), i),
            MarketQuery::Trades { from_id, limit } => {
                wire::trades(&self.market.trades(from_id, limit), i)
            }
            MarketQuery::Aggs(query) => wire::aggs(&self.market.aggs(query), i),
        }
    }
}
