//! Catalogue files: any text reads to a catalogue or a typed error, and a
//! catalogue that reads writes back to a file that reads the same.
#![no_main]

use kestrel_instruments::file::CatalogueFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(file) = CatalogueFile::parse(text) {
        let again = CatalogueFile::parse(&file.to_json()).expect("a written catalogue reads back");
        assert!(file.catalogue.iter().eq(again.catalogue.iter()));
    }
});
