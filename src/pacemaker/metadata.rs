//! The agent's meta-data (OCF resource agent API, `ra-api-1.dtd`): every
//! parameter of [`PARAMS`], and each action with the timeout the kit's
//! documented bound gives it at the default settings (README, "Worst-case
//! duration").

use std::fmt::Write as _;
use std::time::Duration;

use super::params::PARAMS;
use crate::settings::{self, Settings};

/// The bounds of the actions at these settings: (start, monitor).
/// start is restore's bound without the LCD and the lock (Pacemaker runs
/// one action of a resource at a time): every record try `B + 2B + 10 s`
/// and the pauses between them, the INSYNC budget and one call past it,
/// and the verifying read with its tries; monitor is quickCheck's:
/// `ROUTE53_QUICKCHECK_TIMEOUT` and 1 s to end.
pub(crate) fn bounds(s: &Settings) -> (Duration, Duration) {
    let b = crate::aws::call_bound(s.connect_timeout() + s.read_timeout());
    let record = s.record_tries();
    let changes = s.changeid_tries();
    let checks = s.recordcheck_tries();
    let start = (b * 3 + Duration::from_secs(10)) * record.count
        + record.interval * 4 * record.count.saturating_sub(1)
        + changes.interval * changes.count
        + b
        + b * checks.count
        + checks.interval * checks.count.saturating_sub(1);
    (start, s.quickcheck_timeout() + Duration::from_secs(1))
}

/// `s` with a unit, rounded up to whole seconds.
fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The meta-data, for the settings' defaults.
pub(crate) fn xml() -> String {
    let defaults = Settings::from_text(std::path::Path::new(super::DEFAULTS_FILE), b"", Vec::new());
    let (start, monitor) = bounds(&defaults);
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n");
    let _ = writeln!(
        x,
        "<resource-agent name=\"{}\" version=\"{}\">",
        super::AGENT,
        env!("CARGO_PKG_VERSION")
    );
    x.push_str("<version>1.0</version>\n");
    let _ = writeln!(
        x,
        "<longdesc lang=\"en\">{}</longdesc>",
        escape(&format!(
            "Points a host name's A record in an Amazon Route 53 hosted zone at the address of the node where the resource runs. \
start writes the record (UPSERT, TTL from ttl), waits until Route 53 reports the change INSYNC and reads the record back; \
stop leaves the record as it is (the next node's start points it at that node) and marks the resource stopped; \
monitor asks DNS first (ROUTE53_CHECK_DNS: the node's resolver by default) and reads the record through the API only where DNS does not answer the address, \
fails where the record holds another address, and passes where the API cannot be reached. \
The ROUTE53_* tunables are read on every run from {} (or {} on a LifeKeeper node). \
Timeouts below are the agent's own bounds at the default settings; start ends within its bound whatever the network does.",
            super::DEFAULTS_FILE,
            super::LIFEKEEPER_DEFAULTS
        ))
    );
    x.push_str("<shortdesc lang=\"en\">Route 53 A record that follows the resource</shortdesc>\n<parameters>\n");
    for p in PARAMS {
        let default = match p.setting {
            Some(key) => settings::SPECS
                .iter()
                .find(|s| s.key == key)
                .map(|s| format!(" default=\"{}\"", s.default))
                .unwrap_or_default(),
            None => String::new(),
        };
        let _ = write!(
            x,
            "<parameter name=\"{}\" required=\"{}\" unique=\"{}\">\n<longdesc lang=\"en\">{}</longdesc>\n<shortdesc lang=\"en\">{}</shortdesc>\n<content type=\"{}\"{default}/>\n</parameter>\n",
            p.name,
            u8::from(p.required),
            u8::from(p.unique),
            escape(p.longdesc),
            escape(p.shortdesc),
            p.content.word(),
        );
    }
    x.push_str("</parameters>\n<actions>\n");
    for (action, timeout, interval) in [
        ("start", secs(start), None),
        ("stop", "10s".to_string(), None),
        ("monitor", secs(monitor), Some("30s")),
        ("validate-all", "10s".to_string(), None),
        ("meta-data", "5s".to_string(), None),
    ] {
        let interval = interval
            .map(|i| format!(" interval=\"{i}\" depth=\"0\""))
            .unwrap_or_default();
        let _ = writeln!(
            x,
            "<action name=\"{action}\" timeout=\"{timeout}\"{interval}/>"
        );
    }
    x.push_str("</actions>\n</resource-agent>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeouts_are_the_documented_bounds_at_the_defaults() {
        let s = Settings::from_text(std::path::Path::new("/x"), b"", Vec::new());
        let (start, monitor) = bounds(&s);
        // B = 3 x 15 + 2 x 5 = 55 s: 3 x 175 + 16 + 100 + 55 + 4 x 55 + 3 x 2
        assert_eq!(start, Duration::from_secs(922));
        assert_eq!(monitor, Duration::from_secs(26));
        let x = xml();
        assert!(
            x.contains("<action name=\"start\" timeout=\"922s\"/>"),
            "{x}"
        );
        assert!(
            x.contains("<action name=\"monitor\" timeout=\"26s\" interval=\"30s\" depth=\"0\"/>")
        );
    }

    #[test]
    fn every_parameter_is_described_once() {
        let x = xml();
        for p in PARAMS {
            assert_eq!(
                x.matches(&format!("<parameter name=\"{}\"", p.name))
                    .count(),
                1
            );
        }
        assert!(
            x.contains("<content type=\"integer\" default=\"10\"/>"),
            "ttl's default"
        );
    }
}
