//! `lkroute53 doctor TAG`: every check an operator would make at 3 a.m.,
//! in order. Each check is a function that returns a typed result (passed,
//! failed or for information, a detail, a remedy); one renderer prints
//! them. Exits 1 when any failed.

use std::net::Ipv4Addr;
use std::time::{Instant, SystemTime};

use crate::actions::create::inside;
use crate::actions::show;
use lkroute53::aws::{Cause, Probe, Route53Error};
use lkroute53::context::Ctx;
use lkroute53::error::ActionError;
use lkroute53::lcd::{DepLayout, Instance, Lcd, NoMatch};
use lkroute53::log::print;
use lkroute53::record::ARecord;
use lkroute53::resource::{self, Found, ResourceError, Route53Resource};
use lkroute53::settings::Settings;
use lkroute53::verdict::{compare, decide, explain, Kind, Outcome, Subject};

/// Signatures fail when the clocks differ by more than this.
const MAX_SKEW_SECS: u64 = 300;
/// A change ID that does not exist: asking for it proves the permission.
const PROBE_CHANGE: &str = "C0000000000000PROBE";
const LCD_COMMANDS: &[&str] = &[
    "ins_list",
    "dep_list",
    "ins_create",
    "ins_remove",
    "dep_create",
    "dep_remove",
    "eqv_list",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Pass,
    Fail,
    Info,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub mark: Mark,
    pub detail: String,
    /// What to do, for a failed check.
    pub remedy: String,
}

impl Check {
    fn pass(name: &'static str, detail: String) -> Check {
        Check {
            name,
            mark: Mark::Pass,
            detail,
            remedy: String::new(),
        }
    }

    fn info(name: &'static str, detail: String) -> Check {
        Check {
            name,
            mark: Mark::Info,
            detail,
            remedy: String::new(),
        }
    }

    fn fail(name: &'static str, detail: String, remedy: &str) -> Check {
        Check {
            name,
            mark: Mark::Fail,
            detail,
            remedy: remedy.to_string(),
        }
    }
}

pub async fn run<A: Probe>(
    ctx: &Ctx<impl Lcd>,
    api: &A,
    tag: &str,
    capture: Option<&std::path::Path>,
) -> Result<(), ActionError> {
    let checks = checks(ctx, api, tag).await;
    render(&checks);
    let mut failed = checks.iter().filter(|c| c.mark == Mark::Fail).count();
    if let Some(path) = capture {
        match crate::actions::capture::write(path, ctx, &checks) {
            Ok(()) => print(&format!("capture written to {}", path.display())),
            Err(e) => {
                failed += 1;
                print(&format!(
                    "[FAIL] capture: cannot write {}: {e}",
                    path.display()
                ))
            }
        }
    }
    if failed == 0 {
        print("all checks passed");
        Ok(())
    } else {
        Err(ActionError::ChecksFailed { failed })
    }
}

/// The one renderer.
fn render(checks: &[Check]) {
    for c in checks {
        let m = match c.mark {
            Mark::Pass => "[ ok ]",
            Mark::Fail => "[FAIL]",
            Mark::Info => "[info]",
        };
        print(&format!("{m} {}: {}", c.name, c.detail));
        if c.mark == Mark::Fail && !c.remedy.is_empty() {
            print(&format!("       remedy: {}", c.remedy));
        }
    }
}

/// Every check, in order: the LifeKeeper side, then the AWS side, then the
/// resource's zone and record.
pub async fn checks<A: Probe>(ctx: &Ctx<impl Lcd>, api: &A, tag: &str) -> Vec<Check> {
    let mut out = settings_checks(&ctx.settings);
    out.push(lcd_check(&ctx.lcd).await);
    out.push(type_check(&ctx.lcd).await);
    let found = match resource::check_tag("tag", tag) {
        Ok(()) => resource::lookup(&ctx.lcd, tag).await,
        Err(e) => Err(e),
    };
    out.push(resource_check(tag, &found));
    if let Ok(f) = &found {
        out.extend(lcd_assumptions(&ctx.lcd, &f.instance).await);
    }
    out.push(credentials_check(api).await);
    out.extend(aws_checks(api).await);
    let answered = endpoint_checks(api, &mut out).await;
    match found {
        Ok(f) => out.extend(record_checks(ctx, api, f).await),
        Err(_) => out.push(Check::fail(
            "zone",
            "not checked: the resource could not be read".into(),
            "",
        )),
    }
    if !answered {
        tracing::debug!("the endpoint did not answer the probe");
    }
    out
}

/// The endpoint, probed with a GetChange of a change that does not exist
/// (its answer proves the permission): reachability and round trip, the
/// clock against the server's, and the permission. Whether it answered.
async fn endpoint_checks<A: Probe>(api: &A, out: &mut Vec<Check>) -> bool {
    let start = Instant::now();
    let probe = match api.change_state(PROBE_CHANGE).await {
        Err(Route53Error::Refused { code, .. }) if code == "NoSuchChange" => Ok(()),
        other => other.map(drop),
    };
    let rtt = start.elapsed();
    let answered = !matches!(
        probe,
        Err(Route53Error::NoAnswer { .. }
            | Route53Error::BadEndpoint { .. }
            | Route53Error::Credentials { .. })
    );
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
    out.push(clock_check(api.server_date(), answered, SystemTime::now()));
    if answered {
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
    answered
}

/// The resource's record (and the permission to read it), its zone, and
/// the record judged by the verdict table.
async fn record_checks<A: Probe>(ctx: &Ctx<impl Lcd>, api: &A, f: Found) -> Vec<Check> {
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
    out.push(record_check(&ctx.settings, &f.instance, r, child, &read));
    out
}

/// One check per problem of the settings file.
fn settings_checks(s: &Settings) -> Vec<Check> {
    if s.warnings.is_empty() {
        return vec![Check::pass(
            "settings",
            format!("{} read without a problem", s.path.display()),
        )];
    }
    s.warnings
        .iter()
        .map(|w| {
            Check::fail(
                "settings",
                w.0.clone(),
                "fix or remove the line named; until then the default shown is used",
            )
        })
        .collect()
}

/// The LCD commands, present and answering.
async fn lcd_check(lcd: &impl Lcd) -> Check {
    let missing: Vec<&str> = LCD_COMMANDS
        .iter()
        .copied()
        .filter(|c| !lcd.has(c))
        .collect();
    if !missing.is_empty() {
        return Check::fail(
            "LCD",
            format!(
                "missing or not executable in {}/bin: {}",
                lcd.root().display(),
                missing.join(", ")
            ),
            "is LifeKeeper installed, and LKROOT set to its folder (default /opt/LifeKeeper)?",
        );
    }
    let start = Instant::now();
    match lcd.instances_of(resource::APP, resource::TYPE).await {
        Ok(list) => Check::pass(
            "LCD",
            format!(
                "commands in {}/bin answer ({} Route 53 resources, {} ms)",
                lcd.root().display(),
                list.len(),
                start.elapsed().as_millis()
            ),
        ),
        Err(e) => Check::fail(
            "LCD",
            e.to_string(),
            "is LifeKeeper running? check lcdstatus and /var/log/lifekeeper.log",
        ),
    }
}

/// Whether the kit's resource type is registered (`typ_list -a gen`).
async fn type_check(lcd: &impl Lcd) -> Check {
    let name = format!("{}/{}", resource::APP, resource::TYPE);
    if !lcd.has("typ_list") {
        return Check::info(
            "LCD type",
            format!(
                "no typ_list in {}/bin: whether {name} is registered is not known",
                lcd.root().display()
            ),
        );
    }
    let remedy = format!(
        "create and extend register it; by hand: {root}/bin/app_create -a {app}; {root}/bin/typ_create -a {app} -r {rtype}",
        root = lcd.root().display(),
        app = resource::APP,
        rtype = resource::TYPE
    );
    match lcd.typ_list(resource::APP).await {
        Ok(types) if types.iter().any(|t| t == resource::TYPE) => {
            Check::pass("LCD type", format!("resource type {name} is registered"))
        }
        Ok(types) => Check::fail(
            "LCD type",
            format!(
                "resource type {name} is not registered (typ_list -a {} lists {})",
                resource::APP,
                if types.is_empty() {
                    "none".to_string()
                } else {
                    types.join(", ")
                }
            ),
            &remedy,
        ),
        Err(e) if e.is_no_match() => Check::fail(
            "LCD type",
            format!(
                "resource type {name} is not registered (no application {}: {e})",
                resource::APP
            ),
            &remedy,
        ),
        Err(e) => Check::fail("LCD type", e.to_string(), "check lcdstatus"),
    }
}

/// The facts about LifeKeeper that no document confirms, checked on this
/// node: the fields of ins_list, which dep_list field is the parent, the
/// switchback field, how a query that matches nothing ends, and the
/// equivalency rows on both nodes.
async fn lcd_assumptions(lcd: &impl Lcd, inst: &Instance) -> Vec<Check> {
    let mut out = vec![if inst.fields >= 7 {
        Check::pass(
            "LCD",
            format!(
                "ins_list prints {} fields a line; info is field 6 and state field 7, as documented",
                inst.fields
            ),
        )
    } else {
        Check::fail(
            "LCD",
            format!(
                "ins_list prints {} fields a line, fewer than the documented 7",
                inst.fields
            ),
            "send `lkroute53 doctor TAG --capture FILE` with the support case",
        )
    }];
    out.push(match lcd.children_and_layout(&inst.tag).await {
        Ok((_, Some(DepLayout::ParentFirst))) => Check::pass(
            "LCD",
            "dep_list prints the parent first, as documented".into(),
        ),
        Ok((_, Some(DepLayout::ChildFirst))) => Check::info(
            "LCD",
            "dep_list prints the child first (documented: the parent); the kit reads either".into(),
        ),
        Ok((_, None)) => Check::info(
            "LCD",
            format!(
                "dep_list -c {} lists nothing: its field order not seen",
                inst.tag
            ),
        ),
        Err(e) => Check::fail("LCD", e.to_string(), "as the message says"),
    });
    out.push(Check::info(
        "LCD",
        match &inst.switchback {
            Some(s) => format!("switchback type {} read from a field of ins_list", s.as_lcd()),
            None => "no field of ins_list reads INTELLIGENT or AUTOMATIC: extend uses intelligent unless --switchback says otherwise".into(),
        },
    ));
    out.push(match lcd.no_match_form().await {
        Ok(NoMatch::Empty) => Check::info("LCD", "a query that matches nothing exits 0 with no output".into()),
        Ok(NoMatch::Silent(n)) => Check::info(
            "LCD",
            format!("a query that matches nothing exits {n} with no output; the kit reads that as no match"),
        ),
        Ok(NoMatch::NoSuchObject(message)) => Check::info(
            "LCD",
            format!("a query that matches nothing exits 7, \"no such object\" ({message}); the kit reads that as no match"),
        ),
        Err(e) => Check::fail("LCD", format!("a query for a tag that does not exist failed: {e}"), "check lcdstatus"),
    });
    out.extend(equivalency_checks(lcd, inst).await);
    out
}

/// Each SHARED equivalency of the resource, and its row on the other node.
async fn equivalency_checks(lcd: &impl Lcd, inst: &Instance) -> Vec<Check> {
    let eqvs = match lcd.equivalencies(&inst.tag).await {
        Ok(e) => e,
        Err(e) => {
            return vec![Check::fail(
                "equivalency",
                e.to_string(),
                "as the message says",
            )]
        }
    };
    if eqvs.is_empty() {
        return vec![Check::info(
            "equivalency",
            "none: the resource is not extended to another node".into(),
        )];
    }
    let mut out = Vec::new();
    for e in eqvs {
        let theirs = lcd
            .remote(&e.other_system)
            .equivalencies(&e.other_tag)
            .await;
        out.push(match theirs {
            Ok(rows) if rows.iter().any(|r| r.other_system == e.system && r.other_tag == inst.tag) => Check::pass(
                "equivalency",
                format!(
                    "{} with {} on {}: the row is on both nodes (priority {} here, {} there)",
                    e.etype, e.other_tag, e.other_system, e.priority, e.other_priority
                ),
            ),
            Ok(_) => Check::fail(
                "equivalency",
                format!(
                    "{} with {} on {}: {} has no row pointing back here",
                    e.etype, e.other_tag, e.other_system, e.other_system
                ),
                "delete the resource on the extended node and extend it again (lkroute53 delete, lkroute53 extend)",
            ),
            Err(err) => Check::fail("equivalency", err.to_string(), "is the other node up and its LifeKeeper running?"),
        });
    }
    out
}

fn resource_check(tag: &str, found: &Result<Found, ResourceError>) -> Check {
    let remedy = "as the message says; lkroute53 list shows the Route 53 resources here";
    match found {
        Ok(Found {
            instance,
            resource: r,
            child: Ok(c),
        }) => Check::pass(
            "resource",
            format!(
                "{tag}: zone {}, host name {}, state {}, over IP resource {} holding {} (found in {})",
                r.zone_id, r.hostname, instance.state, c.tag, c.address, c.rule
            ),
        ),
        Ok(Found { child: Err(e), .. }) | Err(e) => Check::fail("resource", e.to_string(), remedy),
    }
}

async fn credentials_check<A: Probe>(api: &A) -> Check {
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
async fn aws_checks<A: Probe>(api: &A) -> Vec<Check> {
    let mut out: Vec<Check> = show::aws_lines(api.estate())
        .into_iter()
        .map(|l| {
            if l.problem {
                Check::fail(
                    l.name,
                    l.text,
                    "fix the CA bundle named (PEM certificates of the CAs to trust)",
                )
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
fn clock_check(server: Option<SystemTime>, answered: bool, now: SystemTime) -> Check {
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
        None if answered => Check::info(
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
                    lkroute53::record::describe(rec.as_ref())
                ),
            )
        }
        (Ok(rec), Some(c)) => (rec, c),
    };
    let verdict = compare(record.as_ref(), address, settings.ttl());
    let s = Subject {
        name: &r.hostname,
        zone: &r.zone_id,
        address,
        ip_tag,
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
    use crate::actions::restore::tests::loaded;
    use crate::actions::testing::{denied, no_answer, Scripted};
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
        let l = loaded();
        let mut standby = l.instance.clone();
        standby.state = "OSU".into();
        let other = Scripted::holding("10.0.2.20", 10);
        let c = record_check(
            &ctx.settings,
            &l.instance,
            &l.resource,
            child(),
            &record_of(&other),
        );
        assert_eq!(c.mark, Mark::Fail);
        assert!(c.remedy.contains("run recover"), "{c:?}");
        let c = record_check(
            &ctx.settings,
            &standby,
            &l.resource,
            child(),
            &record_of(&other),
        );
        assert_eq!(c.mark, Mark::Info, "{c:?}");
        let ok = Scripted::holding("10.0.1.10", 10);
        let c = record_check(
            &ctx.settings,
            &l.instance,
            &l.resource,
            child(),
            &record_of(&ok),
        );
        assert_eq!(c.mark, Mark::Pass, "{c:?}");
    }

    #[test]
    fn the_clock_check_measures_skew_both_ways() {
        let now = SystemTime::now();
        assert_eq!(clock_check(Some(now), true, now).mark, Mark::Pass);
        let ahead = clock_check(Some(now), true, now + Duration::from_secs(400));
        assert_eq!(ahead.mark, Mark::Fail);
        assert!(ahead.detail.contains("400 s ahead of"), "{ahead:?}");
        assert_eq!(clock_check(None, false, now).mark, Mark::Fail);
        assert_eq!(clock_check(None, true, now).mark, Mark::Info);
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
