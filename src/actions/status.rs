//! `lkroute53 status TAG [--json]` and `lkroute53 list`: what the kit
//! sees, read-only. status exits 0 when the record holds the address, 1
//! when it does not or cannot be read, 3 when there is no such resource. A
//! LifeKeeper command that fails is shown as failed, with its message,
//! never as "none".

use std::net::Ipv4Addr;

use serde::Serialize;

use crate::aws::{Probe, RecordApi, Route53Error};
use crate::cli::Format;
use crate::context::Ctx;
use crate::error::ActionError;
use crate::lcd::{Equivalency, Lcd};
use crate::log::print;
use crate::record::{describe, ARecord};
use crate::resource::{self, Route53Resource};
use crate::settings::{self, Shown};
use crate::verdict::{compare, decide, explain, Kind, Outcome, Subject};

/// The stable JSON form of `status --json` (documented in the README).
#[derive(Debug, Serialize)]
pub(super) struct Status {
    pub tag: String,
    pub state: String,
    pub zone_id: String,
    pub hostname: String,
    pub ip_tag: Option<String>,
    pub address: Option<String>,
    pub resource_error: Option<String>,
    pub record: Option<RecordView>,
    /// The record in words, for the text form.
    #[serde(skip)]
    pub record_text: String,
    pub record_error: Option<String>,
    pub in_sync: bool,
    pub reason: String,
    pub endpoint: String,
    /// The AWS side: partition, profile, role, proxies, trust.
    pub aws: Vec<AwsLine>,
    /// Who the calls are made as, where a role is set
    /// (sts:GetCallerIdentity), or why that is not known.
    pub identity: Option<String>,
    pub equivalencies: Vec<Equivalency>,
    pub equivalencies_error: Option<String>,
    pub settings: Vec<SettingView>,
}

#[derive(Debug, Serialize)]
pub(super) struct AwsLine {
    pub name: &'static str,
    pub text: String,
}

impl From<crate::actions::show::AwsLine> for AwsLine {
    fn from(l: crate::actions::show::AwsLine) -> AwsLine {
        AwsLine {
            name: l.name,
            text: if l.problem {
                format!("problem: {}", l.text)
            } else {
                l.text
            },
        }
    }
}

#[derive(Debug, Serialize)]
pub(super) struct RecordView {
    pub values: Vec<String>,
    pub ttl: Option<i64>,
    pub set_identifier: Option<String>,
    pub routing_policy: Option<&'static str>,
    pub alias_target: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct SettingView {
    pub key: &'static str,
    /// A number, or a word for ROUTE53_CHANGEID_POLL.
    pub value: serde_json::Value,
    pub unit: &'static str,
    pub source: String,
}

pub(crate) async fn run<A: Probe>(
    ctx: &Ctx<impl Lcd>,
    api: &A,
    tag: &str,
    format: Format,
) -> Result<(), ActionError> {
    resource::check_tag("tag", tag)?;
    let status = gather(ctx, api, tag).await?;
    match format {
        Format::Json => match serde_json::to_string_pretty(&status) {
            Ok(text) => print(&text),
            Err(e) => print(&format!("{{\"error\": {:?}}}", e.to_string())),
        },
        Format::Text => render(&status),
    }
    if status.in_sync {
        Ok(())
    } else {
        Err(ActionError::StatusNotInSync {
            tag: tag.to_string(),
            reason: status.reason,
        })
    }
}

/// Everything status shows, read once: a part that cannot be read is shown
/// as such (with why), never as "none"; only a resource that does not
/// exist ends it.
pub(super) async fn gather<A: Probe>(
    ctx: &Ctx<impl Lcd>,
    api: &A,
    tag: &str,
) -> Result<Status, ActionError> {
    let found = resource::lookup(&ctx.lcd, tag).await?;
    let (inst, r) = (&found.instance, &found.resource);
    let child = found.child.as_ref().map(|c| (c.tag.clone(), c.address));
    let (equivalencies, equivalencies_error) = match ctx.lcd.equivalencies(tag).await {
        Ok(list) => (list, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    // Without credentials no request can be signed: the read would only
    // wait its call's bound to say so.
    let (seen, identity) = match api.credentials().await {
        Ok(_) => {
            let seen = observe(api, r, &child, ctx.settings.ttl()).await;
            let identity = match api.estate().role {
                Some(_) => Some(match api.identity().await {
                    Ok(arn) => arn,
                    Err(e) => format!("unknown: {e}"),
                }),
                None => None,
            };
            (seen, identity)
        }
        Err(e) => (
            Seen {
                record: None,
                record_error: Some(format!("not read: no credentials ({e})")),
                in_sync: false,
                reason: format!("the record could not be read: no credentials ({e})"),
            },
            api.estate()
                .role
                .as_ref()
                .map(|_| "unknown: no credentials".to_string()),
        ),
    };
    Ok(Status {
        tag: tag.to_string(),
        state: inst.state.clone(),
        zone_id: r.zone_id.clone(),
        hostname: r.hostname.clone(),
        ip_tag: child.as_ref().ok().map(|(t, _)| t.clone()),
        address: child.as_ref().ok().map(|(_, a)| a.to_string()),
        resource_error: child.as_ref().err().map(|e| e.to_string()),
        record: seen.record.as_ref().map(view),
        record_text: describe(seen.record.as_ref()),
        record_error: seen.record_error.clone(),
        in_sync: seen.in_sync,
        reason: seen.reason.clone(),
        endpoint: api.endpoint(),
        aws: crate::actions::show::aws_lines(api.estate())
            .into_iter()
            .map(AwsLine::from)
            .collect(),
        identity,
        equivalencies,
        equivalencies_error,
        settings: settings_view(&ctx.settings),
    })
}

/// What Route 53 holds, and the verdict on it.
#[derive(Debug)]
pub(super) struct Seen {
    pub record: Option<ARecord>,
    pub record_error: Option<String>,
    pub in_sync: bool,
    pub reason: String,
}

/// Read the record once and judge it by the verdict table.
pub(super) async fn observe<A: RecordApi, E: std::fmt::Display>(
    api: &A,
    r: &Route53Resource,
    child: &Result<(String, Ipv4Addr), E>,
    ttl: u32,
) -> Seen {
    let read: Result<Option<ARecord>, Route53Error> = api.read_a(&r.zone_id, &r.hostname).await;
    let (in_sync, reason) = match (&read, child) {
        (Err(e), _) => (false, format!("the record could not be read: {e}")),
        (Ok(_), Err(e)) => (
            false,
            format!("the IP resource's address is not known: {e}"),
        ),
        (Ok(record), Ok((ip_tag, address))) => {
            let verdict = compare(record.as_ref(), *address, ttl);
            let source = format!("IP resource {ip_tag}");
            let s = Subject {
                name: &r.hostname,
                zone: &r.zone_id,
                address: *address,
                source: &source,
                ttl,
            };
            (
                decide(Kind::Status, &verdict) == Outcome::Pass,
                explain(&verdict, &s),
            )
        }
    };
    let (record, record_error) = match read {
        Ok(rec) => (rec, None),
        Err(e) => (None, Some(e.to_string())),
    };
    Seen {
        record,
        record_error,
        in_sync,
        reason,
    }
}

fn view(r: &ARecord) -> RecordView {
    RecordView {
        values: r.values.clone(),
        ttl: r.ttl,
        set_identifier: r.routing.as_ref().map(|p| p.set_identifier.clone()),
        routing_policy: r.routing.as_ref().map(|p| p.policy),
        alias_target: r.alias_target.clone(),
    }
}

fn settings_view(s: &settings::Settings) -> Vec<SettingView> {
    s.listing()
        .into_iter()
        .map(|l| SettingView {
            key: l.key,
            value: match l.value {
                Shown::Number(n) => n.into(),
                Shown::Word(w) => w.into(),
                Shown::Text(t) => t.into(),
            },
            unit: l.unit,
            source: l.source,
        })
        .collect()
}

fn render(s: &Status) {
    print(&format!(
        "resource     {} (gen/route53), state {}",
        s.tag, s.state
    ));
    print(&format!("host name    {}", s.hostname));
    print(&format!("zone         {}", s.zone_id));
    match (&s.ip_tag, &s.address, &s.resource_error) {
        (Some(t), Some(a), _) => print(&format!("IP resource  {t}: {a}")),
        (_, _, Some(e)) => print(&format!("IP resource  unknown: {e}")),
        _ => print("IP resource  unknown"),
    }
    match &s.record_error {
        Some(e) => print(&format!("record       unread: {e}")),
        None => print(&format!("record       {}", s.record_text)),
    }
    print(&format!(
        "in sync      {}: {}",
        if s.in_sync { "yes" } else { "NO" },
        s.reason
    ));
    print(&format!("endpoint     {}", s.endpoint));
    for line in &s.aws {
        print(&format!("{:<12} {}", line.name, line.text));
    }
    if let Some(id) = &s.identity {
        print(&format!("identity     {id}"));
    }
    match &s.equivalencies_error {
        Some(e) => print(&format!("equivalency  unread: {e}")),
        None if s.equivalencies.is_empty() => {
            print("equivalency  none (not extended to another node)")
        }
        None => {}
    }
    for e in &s.equivalencies {
        print(&format!(
            "equivalency  {} on {} ({}; priority {} here, {} there)",
            e.other_tag, e.other_system, e.etype, e.priority, e.other_priority
        ));
    }
    print("settings");
    for v in &s.settings {
        let value = match &v.value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        print(&format!(
            "  {:<30} {:>8} {:<7} {}",
            v.key, value, v.unit, v.source
        ));
    }
}

/// `lkroute53 list`: the Route 53 resources on this node, one line each.
pub(super) async fn list(ctx: &Ctx<impl Lcd>) -> Result<(), ActionError> {
    let resources = ctx.lcd.instances_of(resource::APP, resource::TYPE).await?;
    if resources.is_empty() {
        print("no Route 53 resources on this node");
    }
    for inst in resources {
        let what = match Route53Resource::from_instance(&inst) {
            Ok(r) => format!("{} {}", r.zone_id, r.hostname),
            Err(e) => format!("(unreadable: {e})"),
        };
        let over = match ctx.lcd.children(&inst.tag).await {
            Ok(children) if children.is_empty() => "nothing".to_string(),
            Ok(children) => children.join(","),
            Err(e) => format!("(dep_list failed: {e})"),
        };
        print(&format!(
            "{}\t{}\t{}\tover {over}",
            inst.tag, inst.state, what
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::{denied, no_answer, Scripted};
    use crate::record::Routing;
    use crate::resource::ResourceError;

    fn resource() -> Route53Resource {
        Route53Resource {
            tag: "r53-app".into(),
            zone_id: "Z1".into(),
            hostname: "app.example.com".into(),
        }
    }

    fn child() -> Result<(String, Ipv4Addr), ResourceError> {
        Ok(("ip-10.0.1.10".into(), Ipv4Addr::new(10, 0, 1, 10)))
    }

    #[tokio::test(start_paused = true)]
    async fn in_sync_and_a_differing_ttl_count_as_in_sync() {
        for (api, reason) in [
            (
                Scripted::holding("10.0.1.10", 10),
                "holds 10.0.1.10 with TTL 10",
            ),
            (
                Scripted::holding("10.0.1.10", 300),
                "holds 10.0.1.10 with TTL 300, where ROUTE53_TTL is 10",
            ),
        ] {
            let seen = observe(&api, &resource(), &child(), 10).await;
            assert!(seen.in_sync);
            assert!(seen.reason.contains(reason), "{}", seen.reason);
            assert_eq!(api.count("read"), 1);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn missing_another_address_and_unmanaged_records_are_not_in_sync() {
        let mut weighted = ARecord::simple("app.example.com.", &["10.0.1.10"], 10);
        weighted.routing = Some(Routing {
            policy: "weighted",
            set_identifier: "blue".into(),
        });
        for (api, reason) in [
            (Scripted::new(None), "there is no A record"),
            (Scripted::holding("192.0.2.99", 10), "holds 192.0.2.99;"),
            (Scripted::new(Some(weighted)), "does not manage"),
        ] {
            let seen = observe(&api, &resource(), &child(), 10).await;
            assert!(!seen.in_sync, "{}", seen.reason);
            assert!(seen.reason.contains(reason), "{}", seen.reason);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_unread_record_or_an_unknown_address_is_not_in_sync_and_says_why() {
        let api = Scripted::holding("10.0.1.10", 10);
        api.reads
            .borrow_mut()
            .push_back(Err(no_answer("ListResourceRecordSets")));
        let seen = observe(&api, &resource(), &child(), 10).await;
        assert!(!seen.in_sync);
        assert!(seen.record_error.is_some());
        assert!(seen.reason.contains("could not be read"), "{}", seen.reason);

        let api = Scripted::holding("10.0.1.10", 10);
        api.reads
            .borrow_mut()
            .push_back(Err(denied("ListResourceRecordSets")));
        let seen = observe(&api, &resource(), &child(), 10).await;
        assert!(!seen.in_sync);
        assert!(seen.reason.contains("AccessDenied"), "{}", seen.reason);

        let api = Scripted::holding("10.0.1.10", 10);
        let no_child = Err(ResourceError::NoIpChild {
            tag: "r53-app".into(),
        });
        let seen = observe(&api, &resource(), &no_child, 10).await;
        assert!(!seen.in_sync);
        assert!(
            seen.reason.contains("depends on no IP resource"),
            "{}",
            seen.reason
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_broken_child_and_a_failed_listing_are_shown_as_such() {
        use crate::actions::testing::{instance, ScriptedLcd};
        let lcd = ScriptedLcd::two_nodes();
        lcd.cluster
            .borrow_mut()
            .nodes
            .get_mut("node1")
            .expect("node1")
            .instances
            .push(instance(
                "node1",
                "gen",
                "route53",
                "r53-app",
                "Z1 app.example.com",
            ));
        lcd.fail("node1", "eqv_list", 1, "eqv_list: LCD busy");
        let ctx = Ctx::for_tests("", lcd);
        let s = gather(&ctx, &Scripted::holding("10.0.1.10", 10), "r53-app")
            .await
            .expect("shown");
        assert!(!s.in_sync);
        assert_eq!(s.ip_tag, None);
        assert!(s
            .resource_error
            .as_deref()
            .is_some_and(|e| e.contains("depends on no IP resource")));
        assert!(s.equivalencies.is_empty());
        assert!(s
            .equivalencies_error
            .as_deref()
            .is_some_and(|e| e.contains("LCD busy")));
        assert_eq!(s.record_text, "10.0.1.10 TTL 10");
        let e = gather(&ctx, &Scripted::new(None), "nosuch")
            .await
            .expect_err("no such resource");
        assert_eq!(e.exit_status(), crate::error::ExitStatus::Resource);
    }
}
