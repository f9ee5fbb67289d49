//! The doctor's checks of the AWS side: credentials, the node's estate
//! (partition, profile, role, proxies, trust), the endpoint probed with a
//! change that does not exist (reachability, round trip, clock skew, the
//! permission), the zone, and the record judged by the verdict table.

use std::net::Ipv4Addr;
use std::time::{Instant, SystemTime};

use super::check::Check;
use crate::actions::show;
use crate::aws::{Cause, Probe, Route53Error};
use crate::lcd::Instance;
use crate::record::inside;
use crate::record::ARecord;
use crate::resource::{Found, Route53Resource};
use crate::settings::Settings;
use crate::verdict::{compare, decide, explain, Kind, Outcome, Subject};

/// Signatures fail when the clocks differ by more than this.
const MAX_SKEW_SECS: u64 = 300;

/// A change ID that does not exist: asking for it proves the permission.
const PROBE_CHANGE: &str = "C0000000000000PROBE";

/// Whether the endpoint answered the probe (with anything, a refusal
/// included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reached {
    Answered,
    NoAnswer,
}

/// The endpoint, probed with a GetChange of a change that does not exist
/// (its answer proves the permission): reachability and round trip, the
/// clock against the server's, and the permission. Whether it answered.
pub(super) async fn endpoint_checks<A: Probe>(api: &A, out: &mut Vec<Check>) -> Reached {
    let start = Instant::now();
    let probe = match api.change_state(PROBE_CHANGE).await {
        Err(Route53Error::Refused { code, .. }) if code == "NoSuchChange" => Ok(()),
        other => other.map(drop),
    };
    let rtt = start.elapsed();
    let reached = match probe {
        Err(
            Route53Error::NoAnswer { .. }
            | Route53Error::BadEndpoint { .. }
            | Route53Error::Credentials { .. },
        ) => Reached::NoAnswer,
        _ => Reached::Answered,
    };
    let mut endpoint = endpoint_check(&api.endpoint(), &probe, rtt);
    match &probe {
        Err(Route53Error::NoAnswer {
            cause: Cause::Tls(_),
            ..
        }) => {
            // Name the store the handshake was made with.
            endpoint.detail = format!(
                "{}; trusted were {}",
                endpoint.detail,
                show::trust(api.estate())
            );
        }
        Err(Route53Error::NoAnswer {
            cause: Cause::Untrusted(_),
            ..
        }) => {
            // The message names the system store; a CA bundle too.
            if let Some(b) = &api.estate().ca_bundle {
                endpoint.detail = format!(
                    "{}, nor by the {} certificate(s) of {} ({})",
                    endpoint.detail,
                    b.count,
                    b.path.display(),
                    b.named_by
                );
            }
        }
        _ => {}
    }
    out.push(endpoint);
    out.push(clock_check(api.server_date(), reached, SystemTime::now()));
    if reached == Reached::Answered {
        out.push(match &probe {
            Ok(()) => Check::pass("permission", "route53:GetChange allowed".into()),
            Err(e @ Route53Error::Refused { .. }) => Check::fail(
                "permission",
                format!("route53:GetChange: {e}"),
                "grant route53:GetChange on arn:aws:route53:::change/*",
            ),
            Err(e) => Check::fail(
                "permission",
                format!("route53:GetChange not checked: {e}"),
                e.remedy(),
            ),
        });
    }
    reached
}

/// The resource's record (and the permission to read it), its zone, and
/// the record judged by the verdict table.
pub(super) async fn record_checks<A: Probe>(settings: &Settings, api: &A, f: Found) -> Vec<Check> {
    let r = &f.resource;
    let read = api.read_a(&r.zone_id, &r.hostname).await;
    let mut out = vec![match &read {
        Ok(_) => Check::pass(
            "permission",
            format!(
                "route53:ListResourceRecordSets allowed on zone {}",
                r.zone_id
            ),
        ),
        Err(e @ Route53Error::Refused { .. }) => Check::fail(
            "permission",
            format!("route53:ListResourceRecordSets: {e}"),
            e.remedy(),
        ),
        Err(e) => Check::fail(
            "permission",
            format!("route53:ListResourceRecordSets not checked: {e}"),
            e.remedy(),
        ),
    }];
    out.push(Check::info(
        "permission",
        "route53:ChangeResourceRecordSets cannot be probed without making a change; the next restore proves it (or fails naming it)".into(),
    ));
    out.push(zone_check(api, r).await);
    let child = f.child.as_ref().ok().map(|c| (c.tag.as_str(), c.address));
    out.push(record_check(settings, &f.instance, r, child, &read));
    out.push(super::dns::dns_check(settings, r, child.map(|c| c.1), &read).await);
    out
}

pub(super) async fn credentials_check<A: Probe>(api: &A) -> Check {
    match api.credentials().await {
        Ok(source) => Check::pass("credentials", format!("found: {source}")),
        Err(e) => Check::fail(
            "credentials",
            format!("none found: {e}"),
            "attach an instance role to the node (or set a profile) with the Route 53 permissions in the README",
        ),
    }
}

/// The AWS side as decided (partition, profile, role, proxies, trust),
/// and who the calls are made as.
pub(super) async fn aws_checks<A: Probe>(api: &A) -> Vec<Check> {
    let mut out: Vec<Check> = show::aws_lines(api.estate())
        .into_iter()
        .map(|l| {
            if l.problem {
                let remedy = match l.name {
                    "proxies" => "percent-encode the proxy URL's user and password (%2F for '/', %3F for '?', %23 for '#')",
                    _ => "fix the CA bundle named (PEM certificates of the CAs to trust)",
                };
                Check::fail(l.name, l.text, remedy)
            } else {
                Check::info(l.name, l.text)
            }
        })
        .collect();
    if api.estate().role.is_some() {
        out.push(match api.identity().await {
            Ok(arn) => Check::pass("identity", format!("calls are made as {arn}")),
            Err(e) => Check::fail(
                "identity",
                format!("sts:GetCallerIdentity as the role: {e}"),
                "check ROUTE53_ROLE_ARN, the role's trust policy (lkroute53 policy TAG --role) and ROUTE53_EXTERNAL_ID",
            ),
        });
    }
    out
}

fn endpoint_check(
    endpoint: &str,
    probe: &Result<(), Route53Error>,
    rtt: std::time::Duration,
) -> Check {
    match probe {
        Err(
            e @ (Route53Error::NoAnswer { .. }
            | Route53Error::Redirect { .. }
            | Route53Error::Http { .. }
            | Route53Error::BadEndpoint { .. }),
        ) => Check::fail("endpoint", e.to_string(), e.remedy()),
        _ => Check::pass(
            "endpoint",
            format!("{endpoint} answered in {} ms", rtt.as_millis()),
        ),
    }
}

/// Clock skew against the server's `Date` header.
fn clock_check(server: Option<SystemTime>, reached: Reached, now: SystemTime) -> Check {
    match server {
        Some(server) => {
            let (skew, ahead) = match now.duration_since(server) {
                Ok(d) => (d.as_secs(), "ahead of"),
                Err(e) => (e.duration().as_secs(), "behind"),
            };
            if skew <= MAX_SKEW_SECS {
                Check::pass("clock", format!("within {skew} s of the server's clock"))
            } else {
                Check::fail(
                    "clock",
                    format!("{skew} s {ahead} the server's clock; request signatures fail past {MAX_SKEW_SECS} s"),
                    "synchronise the node's clock (chronyd with the Amazon Time Sync Service, 169.254.169.123)",
                )
            }
        }
        None if reached == Reached::Answered => Check::info(
            "clock",
            "the server sent no Date header; skew not measured".into(),
        ),
        None => Check::fail(
            "clock",
            "not measured: no answer from the endpoint".into(),
            "see the endpoint check",
        ),
    }
}

async fn zone_check<A: Probe>(api: &A, r: &Route53Resource) -> Check {
    match api.zone(&r.zone_id).await {
        Ok(z) if inside(&r.hostname, &z.name) => Check::pass(
            "zone",
            format!(
                "{} is {} ({}), and {} lies inside it",
                r.zone_id,
                z.name,
                if z.private { "private" } else { "public" },
                r.hostname
            ),
        ),
        Ok(z) => Check::fail(
            "zone",
            format!(
                "{} is {}, and {} is not inside it",
                r.zone_id, z.name, r.hostname
            ),
            "recreate the resource with the zone that holds the host name",
        ),
        Err(e @ Route53Error::Refused { .. }) => Check::fail(
            "zone",
            e.to_string(),
            "check the zone ID; grant route53:GetHostedZone",
        ),
        Err(e) => Check::fail("zone", e.to_string(), e.remedy()),
    }
}

/// The record, judged by the verdict table for a node where the resource
/// is in service or not.
fn record_check(
    settings: &Settings,
    inst: &Instance,
    r: &Route53Resource,
    child: Option<(&str, Ipv4Addr)>,
    read: &Result<Option<ARecord>, Route53Error>,
) -> Check {
    let (record, (ip_tag, address)) = match (read, child) {
        (Err(_), _) => {
            return Check::fail("record", "not read (see the permission check)".into(), "")
        }
        (Ok(rec), None) => {
            return Check::info(
                "record",
                format!(
                    "{} holds {} (the IP resource's address is not known)",
                    r.hostname,
                    crate::record::describe(rec.as_ref())
                ),
            )
        }
        (Ok(rec), Some(c)) => (rec, c),
    };
    let verdict = compare(record.as_ref(), address, settings.ttl());
    let source = format!("IP resource {ip_tag}");
    let s = Subject {
        name: &r.hostname,
        zone: &r.zone_id,
        address,
        source: &source,
        ttl: settings.ttl(),
    };
    let text = explain(&verdict, &s);
    let kind = Kind::Doctor {
        in_service: inst.state == "ISP",
    };
    match decide(kind, &verdict) {
        Outcome::Pass => Check::pass("record", text),
        Outcome::Note => Check::info(
            "record",
            format!("{text} (expected: the resource is {} here)", inst.state),
        ),
        Outcome::Unmanaged => Check::fail("record", text, "as the message says"),
        _ => Check::fail(
            "record",
            text,
            "the resource is in service here: run recover (or restore)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::doctor::check::Mark;
    use crate::actions::testing::{denied, no_answer, Scripted};
    use crate::actions::testing::{in_lcd, loaded};
    use std::time::Duration;

    fn record_of(api: &Scripted) -> Result<Option<ARecord>, Route53Error> {
        Ok(api.current())
    }

    fn child() -> Option<(&'static str, Ipv4Addr)> {
        Some(("ip-10.0.1.10", loaded().address))
    }

    #[test]
    fn the_record_check_follows_the_table_and_the_state() {
        let ctx = crate::actions::testing::ctx("");
        let l = in_lcd();
        let mut standby = l.instance.clone();
        standby.state = "OSU".into();
        let other = Scripted::holding("10.0.2.20", 10);
        let c = record_check(
            &ctx.settings,
            &l.instance,
            &l.loaded.resource,
            child(),
            &record_of(&other),
        );
        assert_eq!(c.mark, Mark::Fail);
        assert!(c.remedy.contains("run recover"), "{c:?}");
        let c = record_check(
            &ctx.settings,
            &standby,
            &l.loaded.resource,
            child(),
            &record_of(&other),
        );
        assert_eq!(c.mark, Mark::Info, "{c:?}");
        let ok = Scripted::holding("10.0.1.10", 10);
        let c = record_check(
            &ctx.settings,
            &l.instance,
            &l.loaded.resource,
            child(),
            &record_of(&ok),
        );
        assert_eq!(c.mark, Mark::Pass, "{c:?}");
    }

    #[test]
    fn the_clock_check_measures_skew_both_ways() {
        let now = SystemTime::now();
        assert_eq!(
            clock_check(Some(now), Reached::Answered, now).mark,
            Mark::Pass
        );
        let ahead = clock_check(Some(now), Reached::Answered, now + Duration::from_secs(400));
        assert_eq!(ahead.mark, Mark::Fail);
        assert!(ahead.detail.contains("400 s ahead of"), "{ahead:?}");
        assert_eq!(clock_check(None, Reached::NoAnswer, now).mark, Mark::Fail);
        assert_eq!(clock_check(None, Reached::Answered, now).mark, Mark::Info);
    }

    #[test]
    fn the_endpoint_fails_only_without_an_answer() {
        let rtt = Duration::from_millis(3);
        assert_eq!(
            endpoint_check("e", &Err(no_answer("GetChange")), rtt).mark,
            Mark::Fail
        );
        assert_eq!(
            endpoint_check("e", &Err(denied("GetChange")), rtt).mark,
            Mark::Pass
        );
    }
}
