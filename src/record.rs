//! The A record as the kit sees it.

/// One A record set as read from Route 53.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ARecord {
    /// As Route 53 returned it (with the final dot).
    pub name: String,
    pub ttl: Option<i64>,
    pub values: Vec<String>,
    /// Set for weighted, latency, failover and other routing-policy records.
    pub routing: Option<Routing>,
    /// Set for alias records (no values, no TTL): the alias target.
    pub alias_target: Option<String>,
}

/// A routing-policy record: its policy and set identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Routing {
    /// `weighted`, `latency`, `failover`, `geolocation`, `geoproximity`,
    /// `multivalue answer`, `IP-based`, or `routing-policy` where Route 53
    /// named none the kit knows.
    pub policy: &'static str,
    pub set_identifier: String,
}

#[cfg(test)]
impl ARecord {
    /// A simple record: these values with this TTL.
    pub(crate) fn simple(name: &str, values: &[&str], ttl: i64) -> ARecord {
        ARecord {
            name: name.to_string(),
            ttl: Some(ttl),
            values: values.iter().map(|v| v.to_string()).collect(),
            routing: None,
            alias_target: None,
        }
    }
}

/// A record for messages: its addresses and TTL, or "no record", or the
/// alias or routing-policy record it is.
pub(crate) fn describe(r: Option<&ARecord>) -> String {
    let Some(r) = r else {
        return "no record".into();
    };
    if let Some(t) = &r.alias_target {
        return format!("an alias to {t}");
    }
    let values = if r.values.is_empty() {
        "no address".to_string()
    } else {
        r.values.join(",")
    };
    let ttl = r.ttl.map_or_else(|| "-".to_string(), |t| t.to_string());
    match &r.routing {
        Some(p) => format!(
            "{values} TTL {ttl} ({} record, set identifier {:?})",
            p.policy, p.set_identifier
        ),
        None => format!("{values} TTL {ttl}"),
    }
}

/// Names compare case-insensitively, with or without the final dot.
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    let a = a.strip_suffix('.').unwrap_or(a);
    let b = b.strip_suffix('.').unwrap_or(b);
    a.eq_ignore_ascii_case(b)
}

/// The host name is the zone's apex or a name below it.
pub(crate) fn inside(hostname: &str, zone_name: &str) -> bool {
    let zone = zone_name.strip_suffix('.').unwrap_or(zone_name);
    same_name(hostname, zone)
        || (hostname.len() > zone.len() + 1
            && hostname.is_char_boundary(hostname.len() - zone.len() - 1)
            && hostname[hostname.len() - zone.len() - 1..]
                .eq_ignore_ascii_case(&format!(".{zone}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_case_or_final_dot() {
        assert!(same_name("App.Example.com.", "app.example.com"));
        assert!(!same_name("app.example.com.", "deeper.app.example.com."));
    }

    #[test]
    fn records_are_described_as_they_are() {
        assert_eq!(describe(None), "no record");
        let r = ARecord::simple("a.", &["10.0.1.10", "10.0.2.20"], 10);
        assert_eq!(describe(Some(&r)), "10.0.1.10,10.0.2.20 TTL 10");
        let mut w = ARecord::simple("a.", &["192.0.2.5"], 60);
        w.routing = Some(Routing {
            policy: "weighted",
            set_identifier: "blue".into(),
        });
        assert_eq!(
            describe(Some(&w)),
            "192.0.2.5 TTL 60 (weighted record, set identifier \"blue\")"
        );
    }

    #[test]
    fn host_must_lie_inside_the_zone() {
        assert!(inside("app.example.com", "example.com."));
        assert!(inside("example.com", "Example.COM."));
        assert!(inside("a.b.example.com", "example.com"));
        assert!(!inside("app.badexample.com", "example.com."));
        assert!(!inside("app.example.org", "example.com."));
        assert!(!inside("com", "example.com."));
    }
}
