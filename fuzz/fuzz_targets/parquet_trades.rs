//! Parquet trades files: any bytes are refused or read, trade by trade,
//! with no panic leaving the reader (written to a scratch file, as the
//! reader opens files). Seeds are real files `kestrel data convert` wrote.
#![no_main]

use kestrel_feed::TradeFile;
use kestrel_parquet::TradesReader;
use kestrel_registry::testing::usdm_btcusdt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The reader catches the Parquet library's own panics on malformed
    // data (a format error, not a crash); libFuzzer's hook would abort on
    // them even caught. A panic the reader lets out still ends the run.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let path = std::env::temp_dir().join(format!("kestrel-fuzz-parquet-{}", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(mut reader) = TradesReader::open(&path, &usdm_btcusdt()) {
        let mut n = 0u32;
        while let Some(item) = reader.next_trade() {
            let _ = item;
            n += 1;
            if n > 100_000 {
                break;
            }
        }
    }
});
