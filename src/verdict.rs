//! What the record means, decided once. [`compare`] reads the record
//! against the IP resource's address and the TTL into a [`Verdict`];
//! [`decide`] is the one table that says, for each verdict and each kind
//! of action, what happens; [`explain`] is the one wording of a verdict.
//! restore, recover, quickCheck, status, doctor and create all go through
//! these three, so they can never disagree. The README shows the table
//! ([`table_markdown`] prints it; a test keeps the two the same).

use std::net::Ipv4Addr;

use crate::record::ARecord;

/// What the record is, compared with what it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Exactly the address, with the configured TTL.
    InSync,
    /// Exactly the address, with another TTL.
    TtlDiffers { have: Option<i64> },
    /// No A record of this name.
    Missing,
    /// Other addresses, or more than this one, or none.
    AddressDiffers { have: Vec<String> },
    /// An alias or routing-policy record: not the kit's to change.
    Unmanaged(Unmanaged),
}

/// A record at the host name that the kit does not manage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unmanaged {
    Alias {
        target: String,
    },
    Routing {
        policy: &'static str,
        set_identifier: String,
        values: Vec<String>,
    },
}

impl Unmanaged {
    fn what(&self) -> String {
        match self {
            Unmanaged::Alias { target } => format!("an alias record (target {target})"),
            Unmanaged::Routing {
                policy,
                set_identifier,
                values,
            } => format!(
                "a {policy} routing-policy record (set identifier {set_identifier:?}, {})",
                if values.is_empty() {
                    "no address".to_string()
                } else {
                    values.join(",")
                }
            ),
        }
    }
}

/// Compare what Route 53 holds with what it should hold.
pub(crate) fn compare(record: Option<&ARecord>, address: Ipv4Addr, ttl: u32) -> Verdict {
    let Some(r) = record else {
        return Verdict::Missing;
    };
    if let Some(target) = &r.alias_target {
        return Verdict::Unmanaged(Unmanaged::Alias {
            target: target.clone(),
        });
    }
    if let Some(p) = &r.routing {
        return Verdict::Unmanaged(Unmanaged::Routing {
            policy: p.policy,
            set_identifier: p.set_identifier.clone(),
            values: r.values.clone(),
        });
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
        return Verdict::TtlDiffers { have: r.ttl };
    }
    Verdict::InSync
}

/// The kinds of action that judge a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// restore and recover.
    Restore,
    QuickCheck,
    Status,
    /// doctor, on a node where the resource is in service or not.
    Doctor {
        in_service: bool,
    },
    Create,
}

/// What an action does about a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing to do: restore succeeds without a change, quickCheck and
    /// doctor pass, status is in sync, create goes ahead.
    Pass,
    /// As Pass, with a warning (quickCheck: the TTL differs).
    PassWarn,
    /// Write the record; a write that cannot be made fails the action.
    Write,
    /// Write the record to apply the TTL; the address is right already, so
    /// a write that cannot be made is a warning and the action succeeds.
    WriteTtl,
    /// The record is wrong: quickCheck exits 1 (LifeKeeper recovers),
    /// status exits 1, doctor fails.
    Wrong,
    /// doctor where the resource is not in service: another node's address
    /// is expected; noted.
    Note,
    /// Not the kit's record: restore, recover and create exit 4;
    /// quickCheck logs an ERROR and exits 0 (no failover can mend it);
    /// status exits 1; doctor fails.
    Unmanaged,
}

/// The decision table.
pub(crate) fn decide(kind: Kind, verdict: &Verdict) -> Outcome {
    use Outcome::*;
    match (verdict, kind) {
        (Verdict::InSync, _) => Pass,
        (Verdict::TtlDiffers { .. }, Kind::Restore) => WriteTtl,
        (Verdict::TtlDiffers { .. }, Kind::QuickCheck) => PassWarn,
        (Verdict::TtlDiffers { .. }, _) => Pass,
        (Verdict::Missing | Verdict::AddressDiffers { .. }, Kind::Restore) => Write,
        (Verdict::Missing | Verdict::AddressDiffers { .. }, Kind::Create) => Pass,
        (Verdict::Missing | Verdict::AddressDiffers { .. }, Kind::Doctor { in_service: false }) => {
            Note
        }
        (Verdict::Missing | Verdict::AddressDiffers { .. }, _) => Wrong,
        (Verdict::Unmanaged(_), _) => Unmanaged,
    }
}

/// What a message is about: the record's name and zone, and what it should
/// hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Subject<'a> {
    pub name: &'a str,
    pub zone: &'a str,
    pub address: Ipv4Addr,
    /// Where the address comes from: `IP resource ip-10.0.1.10`.
    pub source: &'a str,
    pub ttl: u32,
}

/// The one wording of a verdict. Never "holds X, not X": each case says
/// what is there and, where it differs, what the IP resource holds.
pub(crate) fn explain(verdict: &Verdict, s: &Subject<'_>) -> String {
    let Subject {
        name,
        zone,
        address,
        source,
        ttl,
    } = *s;
    match verdict {
        Verdict::InSync => {
            format!("the A record {name} in zone {zone} holds {address} with TTL {ttl}")
        }
        Verdict::TtlDiffers { have } => format!(
            "the A record {name} in zone {zone} holds {address} with TTL {}, where ROUTE53_TTL is {ttl}",
            have.map_or_else(|| "-".to_string(), |t| t.to_string())
        ),
        Verdict::Missing => format!(
            "there is no A record {name} in zone {zone}; {source} holds {address}"
        ),
        Verdict::AddressDiffers { have } => format!(
            "the A record {name} in zone {zone} holds {}; {source} holds {address}",
            if have.is_empty() {
                "no address".to_string()
            } else {
                have.join(",")
            }
        ),
        Verdict::Unmanaged(u) => format!(
            "the A record {name} in zone {zone} is {}, which the kit does not manage (it keeps only a simple A record); delete that record in Route 53 or give the resource a host name of its own, then restore",
            u.what()
        ),
    }
}

impl Outcome {
    /// What the outcome means for one kind of action, in the README's words.
    #[cfg(test)]
    fn words(self, kind: Kind) -> &'static str {
        match (self, kind) {
            (Outcome::Pass, Kind::Restore) => "no change, exit 0",
            (Outcome::Pass, Kind::QuickCheck) => "exit 0",
            (Outcome::Pass, Kind::Status) => "in sync, exit 0",
            (Outcome::Pass, Kind::Doctor { .. }) => "passed",
            (Outcome::Pass, Kind::Create) => "goes ahead",
            (Outcome::PassWarn, _) => "WARN, exit 0",
            (Outcome::Write, _) => {
                "UPSERT, wait for INSYNC, verify; a failed write fails (exit 4 or 5)"
            }
            (Outcome::WriteTtl, _) => {
                "UPSERT to apply the TTL; a write that cannot be made: WARN, exit 0"
            }
            (Outcome::Wrong, Kind::QuickCheck) => "ERROR, exit 1 (LifeKeeper recovers)",
            (Outcome::Wrong, Kind::Status) => "not in sync, exit 1",
            (Outcome::Wrong, _) => "failed",
            (Outcome::Note, _) => "noted (expected where the resource is not in service)",
            (Outcome::Unmanaged, Kind::QuickCheck) => "ERROR naming it, exit 0",
            (Outcome::Unmanaged, Kind::Status) => "not in sync, exit 1",
            (Outcome::Unmanaged, Kind::Doctor { .. }) => "failed",
            (Outcome::Unmanaged, _) => "ERROR naming it, exit 4",
        }
    }
}

/// The decision table as the README shows it.
#[cfg(test)]
pub(crate) fn table_markdown() -> String {
    let kinds = [
        ("restore, recover", Kind::Restore),
        ("quickCheck", Kind::QuickCheck),
        ("status", Kind::Status),
        ("doctor, in service here", Kind::Doctor { in_service: true }),
        ("doctor, elsewhere", Kind::Doctor { in_service: false }),
        ("create", Kind::Create),
    ];
    let verdicts = [
        ("in sync", Verdict::InSync),
        (
            "only the TTL differs",
            Verdict::TtlDiffers { have: Some(300) },
        ),
        ("missing", Verdict::Missing),
        ("another address", Verdict::AddressDiffers { have: vec![] }),
        (
            "alias or routing-policy record",
            Verdict::Unmanaged(Unmanaged::Alias {
                target: String::new(),
            }),
        ),
    ];
    let mut out = String::from("| record |");
    for (name, _) in &kinds {
        out.push_str(&format!(" {name} |"));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(kinds.len()));
    out.push('\n');
    for (vname, v) in &verdicts {
        out.push_str(&format!("| {vname} |"));
        for (_, k) in &kinds {
            out.push_str(&format!(" {} |", decide(*k, v).words(*k)));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Routing;

    const ADDR: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 10);

    fn rec(values: &[&str], ttl: i64) -> ARecord {
        ARecord::simple("app.example.com.", values, ttl)
    }

    fn subject() -> Subject<'static> {
        Subject {
            name: "app.example.com",
            zone: "Z1",
            address: ADDR,
            source: "IP resource ip-10.0.1.10",
            ttl: 10,
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
    fn ttl_alone_differing_is_its_own_verdict() {
        assert_eq!(
            compare(Some(&rec(&["10.0.1.10"], 300)), ADDR, 10),
            Verdict::TtlDiffers { have: Some(300) }
        );
    }

    #[test]
    fn another_address_an_extra_one_none_or_garbage_differs() {
        for values in [
            &["10.0.2.20"][..],
            &["10.0.1.10", "10.0.2.20"],
            &[],
            &["garbage"],
        ] {
            assert!(
                matches!(
                    compare(Some(&rec(values, 10)), ADDR, 10),
                    Verdict::AddressDiffers { .. }
                ),
                "{values:?}"
            );
        }
        assert_eq!(compare(None, ADDR, 10), Verdict::Missing);
    }

    #[test]
    fn alias_and_routing_policy_records_are_not_the_kits() {
        let mut r = rec(&["10.0.1.10"], 10);
        r.routing = Some(Routing {
            policy: "weighted",
            set_identifier: "blue".into(),
        });
        let v = compare(Some(&r), ADDR, 10);
        assert!(matches!(v, Verdict::Unmanaged(Unmanaged::Routing { .. })));
        let text = explain(&v, &subject());
        assert!(
            text.contains("weighted") && text.contains("\"blue\""),
            "{text}"
        );
        let mut a = rec(&[], 10);
        a.alias_target = Some("elb.example.com.".into());
        let v = compare(Some(&a), ADDR, 10);
        assert!(explain(&v, &subject()).contains("alias record (target elb.example.com.)"));
    }

    #[test]
    fn the_table_holds_the_decided_cases() {
        let unmanaged = Verdict::Unmanaged(Unmanaged::Alias { target: "x".into() });
        let ttl = Verdict::TtlDiffers { have: Some(300) };
        // A record no failover can mend never fails quickCheck over.
        assert_eq!(decide(Kind::QuickCheck, &unmanaged), Outcome::Unmanaged);
        assert_eq!(decide(Kind::Restore, &unmanaged), Outcome::Unmanaged);
        assert_eq!(decide(Kind::Create, &unmanaged), Outcome::Unmanaged);
        // Only the TTL differs: restore tries, and a failed write is a warning.
        assert_eq!(decide(Kind::Restore, &ttl), Outcome::WriteTtl);
        assert_eq!(decide(Kind::QuickCheck, &ttl), Outcome::PassWarn);
        assert_eq!(decide(Kind::Status, &ttl), Outcome::Pass);
        assert_eq!(decide(Kind::QuickCheck, &Verdict::Missing), Outcome::Wrong);
        assert_eq!(
            decide(Kind::Doctor { in_service: false }, &Verdict::Missing),
            Outcome::Note
        );
        assert_eq!(
            decide(Kind::Doctor { in_service: true }, &Verdict::Missing),
            Outcome::Wrong
        );
        assert_eq!(decide(Kind::Create, &Verdict::Missing), Outcome::Pass);
    }

    #[test]
    fn no_message_says_a_record_holds_x_not_x() {
        let verdicts = [
            Verdict::InSync,
            Verdict::TtlDiffers { have: Some(300) },
            Verdict::Missing,
            Verdict::AddressDiffers {
                have: vec!["10.0.2.20".into()],
            },
            compare(
                Some(&ARecord {
                    routing: Some(Routing {
                        policy: "weighted",
                        set_identifier: "blue".into(),
                    }),
                    ..rec(&["10.0.1.10"], 10)
                }),
                ADDR,
                10,
            ),
        ];
        for v in verdicts {
            let text = explain(&v, &subject());
            assert!(!text.contains(", not "), "{text}");
            assert!(!text.contains("instead of 10.0.1.10"), "{text}");
        }
    }

    #[test]
    fn the_readme_shows_this_table() {
        let readme = include_str!("../README.md");
        let table = table_markdown();
        assert!(
            readme.contains(&table),
            "README.md must contain the decision table as printed by verdict::table_markdown():\n{table}"
        );
    }
}
