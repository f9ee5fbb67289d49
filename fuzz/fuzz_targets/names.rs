//! Tag, zone ID, host name and IP info checks, and the A record comparison,
//! on any text: no panic; what is accepted is well formed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lkroute53::parsers::Instance;
use lkroute53::parsers::{check_hostname, check_tag, check_zone_id, ip_address};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if check_tag("tag", text).is_ok() {
        assert!(!text.starts_with('-') && !text.chars().any(char::is_whitespace));
    }
    if let Ok(z) = check_zone_id(text) {
        assert!(z.chars().all(|c| c.is_ascii_alphanumeric()));
    }
    if let Ok(h) = check_hostname(text) {
        assert!(h.len() <= 253 && !h.ends_with('.'));
    }
    let inst = Instance {
        system: String::new(),
        app: "comm".into(),
        rtype: "ip".into(),
        tag: "ip".into(),
        id: String::new(),
        info: text.to_string(),
        state: String::new(),
    };
    let _ = ip_address(&inst);
});
