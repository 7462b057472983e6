//! OHLCV bars: reading them, and a bar-by-bar backtest.
