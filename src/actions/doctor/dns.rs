//! The doctor's DNS check: what the node's clients see for the host name
//! (the servers quickCheck asks first) beside what the record holds.

use std::net::Ipv4Addr;

use super::check::Check;
use crate::aws::Route53Error;
use crate::dns::{self, Asked, CheckDns, Seen};
use crate::record::{describe, ARecord};
use crate::resource::Route53Resource;
use crate::settings::Settings;

/// Both sides: "clients asking SERVER see X; the record holds Y". A name
/// DNS does not know while the record exists fails: the node's resolver
/// cannot see the zone (a private hosted zone not associated with the
/// node's VPC is a classic outage: every client there loses the name).
pub(super) async fn dns_check(
    settings: &Settings,
    r: &Route53Resource,
    address: Option<Ipv4Addr>,
    read: &Result<Option<ARecord>, Route53Error>,
) -> Check {
    let servers = settings.check_dns.value.servers(&dns::resolv_conf());
    if servers.is_empty() {
        let why = match settings.check_dns.value {
            CheckDns::Off => "ROUTE53_CHECK_DNS=off",
            _ => "no nameserver in resolv.conf",
        };
        return Check::info(
            "dns",
            format!("{why}: quickCheck reads the record through the Route 53 API"),
        );
    }
    let asked = dns::ask(&servers, &r.hostname, settings.check_dns_timeout()).await;
    let holds = match read {
        Ok(rec) => describe(rec.as_ref()),
        Err(_) => "what the API did not say (see the permission check)".into(),
    };
    match &asked {
        Asked::Answered {
            server,
            seen: Seen::NoName,
        } if matches!(read, Ok(Some(_))) => Check::fail(
            "dns",
            format!(
                "clients asking {server} see no such name {} (NXDOMAIN); the record holds {holds}: the node's resolver cannot see the zone",
                r.hostname
            ),
            "associate the private hosted zone with this node's VPC, or mend the resolver's forwarding to it",
        ),
        Asked::Answered { server, seen } if address.is_some_and(|a| asked.agrees(a)) => Check::pass(
            "dns",
            format!(
                "clients asking {server} see {seen}; the record holds {holds}: quickCheck passes on that with no API request"
            ),
        ),
        Asked::Answered { server, seen } => Check::info(
            "dns",
            format!(
                "clients asking {server} see {seen}; the record holds {holds}: quickCheck asks the API (a resolver may answer from its cache for up to the record's TTL)"
            ),
        ),
        Asked::Silent(why) => Check::info(
            "dns",
            format!(
                "no DNS answer for {} ({why}); the record holds {holds}: quickCheck asks the API",
                r.hostname
            ),
        ),
    }
}
