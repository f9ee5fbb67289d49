//! The settings parser and validation on any bytes: no panic, problems on
//! real lines in order, every value in force inside its range.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lkroute53::parsers::{parse, Settings, SPECS};

fuzz_target!(|data: &[u8]| {
    let (entries, problems) = parse(data);
    let lines = data.split(|b| *b == b'\n').count();
    let mut last = 0;
    for p in &problems {
        assert!(p.line > last && p.line <= lines);
        last = p.line;
    }
    let s = Settings::from_entries(Path::new("fuzz"), &entries);
    for spec in SPECS {
        let v = s.get(*spec).value;
        assert!(v >= spec.min && v <= spec.max, "{} = {v}", spec.key);
    }
});
