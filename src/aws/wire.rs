//! Route 53's answers and requests in the kit's terms: the exact read of
//! one A record, the change batch that UPSERTs the members of a group
//! commit, a change as accepted and as GetChange reports it, and a record
//! set as the kit sees it (its routing policy, its alias target). Pure
//! functions of the SDK's types, tested on values built here.

use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsOutput;
use aws_sdk_route53::operation::get_change::GetChangeOutput;
use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord, ResourceRecordSet, RrType,
};

use super::api::{Accepted, ChangeState};
use super::batch::Member;
use super::error::Route53Error;
use crate::record::{ARecord, Routing};

/// A listing of the zone, as the group read takes it: every record set in
/// order, its A record where it is one, and whether it was cut. A cut-off
/// answer (no MaxItems) is none.
pub(super) fn listing(
    out: &ListResourceRecordSetsOutput,
) -> Result<super::reads::Listing, Route53Error> {
    if out.max_items() < 1 {
        return Err(Route53Error::Garbled {
            operation: "ListResourceRecordSets",
            detail: "no MaxItems in the answer".into(),
        });
    }
    Ok(super::reads::Listing {
        sets: out
            .resource_record_sets()
            .iter()
            .map(|r| super::reads::Listed {
                name: r.name().to_string(),
                record: (*r.r#type() == RrType::A).then(|| a_record(r)),
            })
            .collect(),
        truncated: out.is_truncated(),
    })
}

/// A change's state, as GetChange reports it.
pub(super) fn change_state(
    out: &GetChangeOutput,
    change_id: &str,
) -> Result<ChangeState, Route53Error> {
    match out.change_info().map(|c| c.status()) {
        Some(ChangeStatus::Insync) => Ok(ChangeState::InSync),
        Some(ChangeStatus::Pending) => Ok(ChangeState::Pending),
        Some(other) => Err(Route53Error::Unexpected {
            operation: "GetChange",
            detail: format!("change {change_id} has status {}", other.as_str()),
        }),
        None => Err(Route53Error::Garbled {
            operation: "GetChange",
            detail: "no ChangeInfo in the answer".into(),
        }),
    }
}

/// The change batch that UPSERTs each member's A record.
pub(super) fn upsert_batch(
    members: &[Member],
) -> Result<ChangeBatch, aws_sdk_route53::error::BuildError> {
    if members.is_empty() {
        // Never sent: a change of nothing would be "accepted" and tell the
        // caller its record was written.
        return Err(aws_sdk_route53::error::BuildError::missing_field(
            "changes",
            "a change batch holds at least one record",
        ));
    }
    let mut changes = Vec::new();
    for m in members {
        let record = ResourceRecordSet::builder()
            .name(&m.name)
            .r#type(RrType::A)
            .ttl(i64::from(m.ttl))
            .resource_records(
                ResourceRecord::builder()
                    .value(m.address.to_string())
                    .build()?,
            )
            .build()?;
        changes.push(
            Change::builder()
                .action(ChangeAction::Upsert)
                .resource_record_set(record)
                .build()?,
        );
    }
    let comment: String = members
        .iter()
        .map(|m| m.comment.as_str())
        .collect::<Vec<_>>()
        .join("; ")
        .chars()
        .take(256)
        .collect();
    ChangeBatch::builder()
        .comment(comment)
        .set_changes(Some(changes))
        .build()
}

/// The change of an accepted batch, as its answer says.
pub(super) fn accepted(out: &ChangeResourceRecordSetsOutput) -> Result<Accepted, Route53Error> {
    out.change_info()
        .filter(|c| !c.id().is_empty())
        .map(|c| Accepted {
            id: c.id().to_string(),
            state: if *c.status() == ChangeStatus::Insync {
                ChangeState::InSync
            } else {
                ChangeState::Pending
            },
        })
        .ok_or(Route53Error::Garbled {
            operation: "ChangeResourceRecordSets",
            detail: "no ChangeInfo in the answer".into(),
        })
}

/// A record set as the kit sees it.
fn a_record(r: &ResourceRecordSet) -> ARecord {
    ARecord {
        name: r.name().to_string(),
        ttl: r.ttl(),
        values: r
            .resource_records()
            .iter()
            .map(|v| v.value().to_string())
            .collect(),
        routing: routing(r),
        alias_target: r.alias_target().map(|a| a.dns_name().to_string()),
    }
}

/// The routing policy of a record set, where it has one: a record with a
/// set identifier is never a simple record.
fn routing(r: &ResourceRecordSet) -> Option<Routing> {
    let set_identifier = r.set_identifier()?.to_string();
    let policy = if r.weight().is_some() {
        "weighted"
    } else if r.region().is_some() {
        "latency"
    } else if r.failover().is_some() {
        "failover"
    } else if r.geo_location().is_some() {
        "geolocation"
    } else if r.geo_proximity_location().is_some() {
        "geoproximity"
    } else if r.multi_value_answer().is_some() {
        "multivalue answer"
    } else if r.cidr_routing_config().is_some() {
        "IP-based"
    } else {
        "routing-policy"
    };
    Some(Routing {
        policy,
        set_identifier,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_route53::types::{AliasTarget, ChangeInfo};
    use std::net::Ipv4Addr;

    fn set(name: &str, rtype: RrType, values: &[&str]) -> ResourceRecordSet {
        let mut b = ResourceRecordSet::builder()
            .name(name)
            .r#type(rtype)
            .ttl(10);
        for v in values {
            b = b.resource_records(ResourceRecord::builder().value(*v).build().expect("value"));
        }
        b.build().expect("record set")
    }

    fn listing_of(sets: Vec<ResourceRecordSet>, max_items: i32) -> ListResourceRecordSetsOutput {
        ListResourceRecordSetsOutput::builder()
            .set_resource_record_sets(Some(sets))
            .is_truncated(false)
            .max_items(max_items)
            .build()
            .expect("listing")
    }

    #[test]
    fn a_listing_keeps_every_set_in_order_and_never_a_cut_answer() {
        let out = listing_of(
            vec![
                set("APP.example.com.", RrType::A, &["10.0.1.10"]),
                set("app.example.com.", RrType::Aaaa, &["::1"]),
                set("b.example.com.", RrType::A, &["10.0.9.9"]),
            ],
            300,
        );
        let l = listing(&out).expect("read");
        let names: Vec<(&str, bool)> = l
            .sets
            .iter()
            .map(|s| (s.name.as_str(), s.record.is_some()))
            .collect();
        assert_eq!(
            names,
            [
                ("APP.example.com.", true),
                ("app.example.com.", false),
                ("b.example.com.", true)
            ]
        );
        let a = l.sets[0].record.as_ref().expect("an A record");
        assert_eq!(
            (a.values.clone(), a.ttl),
            (vec!["10.0.1.10".to_string()], Some(10))
        );
        assert!(!l.truncated);
        let cut = listing_of(vec![], 0);
        assert!(matches!(listing(&cut), Err(Route53Error::Garbled { .. })));
    }

    #[test]
    fn routing_policy_and_alias_records_are_named() {
        let mut weighted = set("app.example.com.", RrType::A, &["10.0.1.10"]);
        weighted.set_identifier = Some("blue".into());
        weighted.weight = Some(10);
        let r = a_record(&weighted);
        let routing = r.routing.expect("a routing policy");
        assert_eq!(
            (routing.policy, routing.set_identifier.as_str()),
            ("weighted", "blue")
        );
        let mut alias = set("app.example.com.", RrType::A, &[]);
        alias.alias_target = Some(
            AliasTarget::builder()
                .dns_name("lb.example.net.")
                .hosted_zone_id("Z2")
                .evaluate_target_health(false)
                .build()
                .expect("alias"),
        );
        assert_eq!(
            a_record(&alias).alias_target.as_deref(),
            Some("lb.example.net.")
        );
    }

    fn member(n: u32, name: &str) -> Member {
        Member {
            id: format!("{n}-0"),
            pid: n,
            name: name.into(),
            address: Ipv4Addr::new(10, 0, 1, n as u8),
            ttl: 10,
            comment: format!("LifeKeeper r{n} on node1"),
        }
    }

    #[test]
    fn a_batch_upserts_each_members_a_record_and_never_nothing() {
        let b =
            upsert_batch(&[member(1, "a.example.com"), member(2, "b.example.com")]).expect("batch");
        let sets: Vec<(String, String, Option<i64>, String)> = b
            .changes()
            .iter()
            .map(|c| {
                assert_eq!(*c.action(), ChangeAction::Upsert);
                let s = c.resource_record_set().expect("set");
                (
                    s.name().to_string(),
                    s.r#type().as_str().to_string(),
                    s.ttl(),
                    s.resource_records()[0].value().to_string(),
                )
            })
            .collect();
        assert_eq!(
            sets,
            [
                (
                    "a.example.com".into(),
                    "A".into(),
                    Some(10),
                    "10.0.1.1".into()
                ),
                (
                    "b.example.com".into(),
                    "A".into(),
                    Some(10),
                    "10.0.1.2".into()
                )
            ]
        );
        assert_eq!(
            b.comment(),
            Some("LifeKeeper r1 on node1; LifeKeeper r2 on node1")
        );
        assert!(
            upsert_batch(&[]).is_err(),
            "a change of nothing is never sent"
        );
        let many: Vec<Member> = (0..40).map(|n| member(n, "x.example.com")).collect();
        let long = upsert_batch(&many).expect("batch");
        assert_eq!(long.comment().map(|c| c.chars().count()), Some(256));
    }

    fn info(id: &str, status: ChangeStatus) -> ChangeInfo {
        ChangeInfo::builder()
            .id(id)
            .status(status)
            .submitted_at(aws_sdk_route53::primitives::DateTime::from_secs(0))
            .build()
            .expect("change info")
    }

    #[test]
    fn a_change_is_read_as_accepted_and_as_checked() {
        let out = ChangeResourceRecordSetsOutput::builder()
            .change_info(info("/change/C1", ChangeStatus::Pending))
            .build();
        assert_eq!(
            accepted(&out).expect("accepted"),
            Accepted {
                id: "/change/C1".into(),
                state: ChangeState::Pending
            }
        );
        let out = ChangeResourceRecordSetsOutput::builder()
            .change_info(info("", ChangeStatus::Insync))
            .build();
        assert!(matches!(accepted(&out), Err(Route53Error::Garbled { .. })));
        for (status, want) in [
            (ChangeStatus::Insync, ChangeState::InSync),
            (ChangeStatus::Pending, ChangeState::Pending),
        ] {
            let out = GetChangeOutput::builder()
                .change_info(info("C1", status))
                .build();
            assert_eq!(change_state(&out, "C1").expect("state"), want);
        }
        let none = GetChangeOutput::builder().build();
        assert!(matches!(
            change_state(&none, "C1"),
            Err(Route53Error::Garbled { .. })
        ));
    }
}
