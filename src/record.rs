//! The A record as the kit sees it, and the one comparison every action
//! makes: does the record hold exactly this address (and this TTL)?

use std::net::Ipv4Addr;

/// One A record set as read from Route 53.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ARecord {
    /// As Route 53 returned it (with the final dot).
    pub name: String,
    pub ttl: Option<i64>,
    pub values: Vec<String>,
    /// Set for weighted, latency, failover and other routing-policy records.
    pub set_identifier: Option<String>,
    /// Set for alias records (no values, no TTL).
    pub alias_target: Option<String>,
}

/// A record for messages: its addresses and TTL, "no record", or the
/// alias it is.
pub fn describe(r: Option<&ARecord>) -> String {
    let Some(r) = r else {
        return "no record".into();
    };
    if let Some(t) = &r.alias_target {
        return format!("{} A alias {t}", r.name);
    }
    let values = if r.values.is_empty() {
        "nothing".to_string()
    } else {
        r.values.join(",")
    };
    let ttl = r.ttl.map_or_else(|| "-".to_string(), |t| t.to_string());
    format!("{values} TTL {ttl}")
}

/// The verdict of comparing the record with the IP resource's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No A record of this name.
    Missing,
    /// Holds exactly the address, with the configured TTL.
    InSync,
    /// Holds exactly the address, with another TTL.
    TtlDiffers { have: Option<i64>, want: u32 },
    /// Holds other addresses (or more than this one).
    AddressDiffers { have: Vec<String> },
    /// An alias or routing-policy record: not the kit's to change.
    NotSimple(String),
}

impl Verdict {
    /// The record holds the address, whatever the TTL.
    pub fn holds_address(&self) -> bool {
        matches!(self, Verdict::InSync | Verdict::TtlDiffers { .. })
    }
}

/// Names compare case-insensitively, with or without the final dot.
pub fn same_name(a: &str, b: &str) -> bool {
    let a = a.strip_suffix('.').unwrap_or(a);
    let b = b.strip_suffix('.').unwrap_or(b);
    a.eq_ignore_ascii_case(b)
}

/// Compare what Route 53 holds with what it should hold.
pub fn compare(record: Option<&ARecord>, address: Ipv4Addr, ttl: u32) -> Verdict {
    let Some(r) = record else {
        return Verdict::Missing;
    };
    if let Some(t) = &r.alias_target {
        return Verdict::NotSimple(format!("an alias to {t}"));
    }
    if let Some(id) = &r.set_identifier {
        return Verdict::NotSimple(format!("a routing-policy record, set identifier {id:?}"));
    }
    let holds = r.values.len() == 1
        && r.values[0]
            .trim()
            .parse::<Ipv4Addr>()
            .is_ok_and(|a| a == address);
    if !holds {
        return Verdict::AddressDiffers {
            have: r.values.clone(),
        };
    }
    if r.ttl != Some(i64::from(ttl)) {
        return Verdict::TtlDiffers {
            have: r.ttl,
            want: ttl,
        };
    }
    Verdict::InSync
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDR: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 10);

    fn rec(values: &[&str], ttl: i64) -> ARecord {
        ARecord {
            name: "app.example.com.".into(),
            ttl: Some(ttl),
            values: values.iter().map(|s| s.to_string()).collect(),
            set_identifier: None,
            alias_target: None,
        }
    }

    #[test]
    fn exact_address_and_ttl_is_in_sync() {
        assert_eq!(
            compare(Some(&rec(&["10.0.1.10"], 10)), ADDR, 10),
            Verdict::InSync
        );
    }

    #[test]
    fn ttl_alone_differing_still_holds_the_address() {
        let v = compare(Some(&rec(&["10.0.1.10"], 300)), ADDR, 10);
        assert_eq!(
            v,
            Verdict::TtlDiffers {
                have: Some(300),
                want: 10
            }
        );
        assert!(v.holds_address());
    }

    #[test]
    fn another_address_or_an_extra_one_differs() {
        assert!(!compare(Some(&rec(&["10.0.2.20"], 10)), ADDR, 10).holds_address());
        assert!(!compare(Some(&rec(&["10.0.1.10", "10.0.2.20"], 10)), ADDR, 10).holds_address());
        assert!(!compare(Some(&rec(&[], 10)), ADDR, 10).holds_address());
        assert!(!compare(Some(&rec(&["garbage"], 10)), ADDR, 10).holds_address());
    }

    #[test]
    fn missing_record_is_missing() {
        assert_eq!(compare(None, ADDR, 10), Verdict::Missing);
    }

    #[test]
    fn alias_and_weighted_records_are_not_the_kits() {
        let mut r = rec(&["10.0.1.10"], 10);
        r.set_identifier = Some("blue".into());
        assert!(matches!(compare(Some(&r), ADDR, 10), Verdict::NotSimple(_)));
        let mut r = rec(&[], 10);
        r.alias_target = Some("elb.example.com.".into());
        assert!(matches!(compare(Some(&r), ADDR, 10), Verdict::NotSimple(_)));
    }

    #[test]
    fn names_compare_without_case_or_final_dot() {
        assert!(same_name("App.Example.com.", "app.example.com"));
        assert!(!same_name("app.example.com.", "deeper.app.example.com."));
    }
}
