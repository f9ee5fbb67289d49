//! The parsers of ins_list, dep_list and eqv_list output on any text: no
//! panic, and what they return comes from the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lkroute53::parsers::{parse_dep_children, parse_eqv_list, parse_ins_list};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(list) = parse_ins_list(text) {
        for i in list {
            assert!(text.contains(&i.tag));
        }
    }
    let parent = text.split('\u{1}').next().unwrap_or("");
    if let Ok(children) = parse_dep_children(text, parent) {
        for c in children {
            assert!(text.contains(&c));
        }
    }
    let _ = parse_eqv_list(text);
});
