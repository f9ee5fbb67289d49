//! `lkroute53 status TAG [--json]` and `lkroute53 list`: what the kit
//! sees, read-only. status exits 0 when the record holds the address, 1
//! when it does not or cannot be read, 3 when there is no such resource.

use serde::Serialize;

use crate::context::Ctx;
use crate::error::ActionError;
use crate::lcd::Equivalency;
use crate::record::{compare, describe, ARecord, Verdict};
use crate::resource::{self, Route53Resource};
use crate::route53::{RecordApi, Route53};
use crate::settings::{self, SPECS};

/// The stable JSON form of `status --json` (documented in the README).
#[derive(Debug, Serialize)]
pub struct Status {
    pub tag: String,
    pub state: String,
    pub zone_id: String,
    pub hostname: String,
    pub ip_tag: Option<String>,
    pub address: Option<String>,
    pub resource_error: Option<String>,
    pub record: Option<RecordView>,
    pub record_error: Option<String>,
    pub in_sync: bool,
    pub reason: String,
    pub endpoint: String,
    pub equivalencies: Vec<Equivalency>,
    pub settings: Vec<SettingView>,
}

#[derive(Debug, Serialize)]
pub struct RecordView {
    pub values: Vec<String>,
    pub ttl: Option<i64>,
    pub set_identifier: Option<String>,
    pub alias_target: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SettingView {
    pub key: &'static str,
    /// A number, or a word for ROUTE53_CHANGEID_POLL.
    pub value: serde_json::Value,
    pub unit: &'static str,
    pub source: String,
}

pub async fn run(ctx: &Ctx, tag: &str, json: bool) -> Result<(), ActionError> {
    resource::check_tag("tag", tag)?;
    let (inst, r) = resource::find(&ctx.lcd, tag).await?;
    let (ip_tag, address, resource_error) = match resource::ip_child(&ctx.lcd, tag).await {
        Ok((ip_tag, address)) => (Some(ip_tag), Some(address), None),
        Err(e) => (None, None, Some(e.to_string())),
    };
    let equivalencies = ctx.lcd.equivalencies(tag).await.unwrap_or_default();
    let api = Route53::connect(&ctx.settings).await;
    let ttl = u32::try_from(ctx.settings.num(settings::TTL)).unwrap_or(u32::MAX);
    let (record, record_error) = match api.read_a(&r.zone_id, &r.hostname).await {
        Ok(rec) => (Some(rec), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let (in_sync, reason) = match (&record, address) {
        (None, _) => (false, "the record could not be read".to_string()),
        (Some(_), None) => (false, "the IP resource's address is not known".to_string()),
        (Some(rec), Some(addr)) => match compare(rec.as_ref(), addr, ttl) {
            Verdict::InSync => (true, format!("holds {addr} with TTL {ttl}")),
            Verdict::TtlDiffers { have, want } => (
                true,
                format!(
                    "holds {addr}, but with TTL {} instead of {want} (applied at the next restore)",
                    have.map_or_else(|| "-".into(), |t| t.to_string())
                ),
            ),
            Verdict::Missing => (false, "there is no A record of this name".into()),
            Verdict::AddressDiffers { have } => (
                false,
                format!(
                    "holds {} instead of {addr}",
                    if have.is_empty() {
                        "nothing".into()
                    } else {
                        have.join(",")
                    }
                ),
            ),
            Verdict::NotSimple(what) => (
                false,
                format!("the record is {what}, which the kit does not manage"),
            ),
        },
    };
    let status = Status {
        tag: tag.to_string(),
        state: inst.state.clone(),
        zone_id: r.zone_id.clone(),
        hostname: r.hostname.clone(),
        ip_tag,
        address: address.map(|a| a.to_string()),
        resource_error,
        record: record
            .as_ref()
            .and_then(|r| r.as_ref())
            .map(|r| RecordView {
                values: r.values.clone(),
                ttl: r.ttl,
                set_identifier: r.set_identifier.clone(),
                alias_target: r.alias_target.clone(),
            }),
        record_error,
        in_sync,
        reason,
        endpoint: api.endpoint().to_string(),
        equivalencies,
        settings: SPECS
            .iter()
            .map(|s| {
                let v = ctx.settings.get(*s);
                SettingView {
                    key: s.key,
                    value: v.value.into(),
                    unit: s.unit,
                    source: v.source.to_string(),
                }
            })
            .chain(std::iter::once(SettingView {
                key: settings::CHANGEID_POLL,
                value: ctx.settings.poll.0.name().into(),
                unit: "",
                source: ctx.settings.poll.1.to_string(),
            }))
            .collect(),
    };
    if json {
        match serde_json::to_string_pretty(&status) {
            Ok(text) => println!("{text}"),
            Err(e) => println!("{{\"error\": {:?}}}", e.to_string()),
        }
    } else {
        print_text(&status, record.as_ref().and_then(|r| r.as_ref()));
    }
    if status.in_sync {
        Ok(())
    } else {
        Err(ActionError::Mismatch(format!("{tag}: {}", status.reason)))
    }
}

fn print_text(s: &Status, rec: Option<&ARecord>) {
    println!("resource     {} (gen/route53), state {}", s.tag, s.state);
    println!("host name    {}", s.hostname);
    println!("zone         {}", s.zone_id);
    match (&s.ip_tag, &s.address, &s.resource_error) {
        (Some(t), Some(a), _) => println!("IP resource  {t}: {a}"),
        (_, _, Some(e)) => println!("IP resource  unknown: {e}"),
        _ => println!("IP resource  unknown"),
    }
    match &s.record_error {
        Some(e) => println!("record       unread: {e}"),
        None => println!("record       {}", describe(rec)),
    }
    println!(
        "in sync      {}: {}",
        if s.in_sync { "yes" } else { "NO" },
        s.reason
    );
    println!("endpoint     {}", s.endpoint);
    if s.equivalencies.is_empty() {
        println!("equivalency  none (not extended to another node)");
    }
    for e in &s.equivalencies {
        println!(
            "equivalency  {} on {} ({}; priority {} here, {} there)",
            e.other_tag, e.other_system, e.etype, e.priority, e.other_priority
        );
    }
    println!("settings");
    for v in &s.settings {
        let value = match &v.value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        println!("  {:<30} {:>8} {:<7} {}", v.key, value, v.unit, v.source);
    }
}

/// `lkroute53 list`: the Route 53 resources on this node, one line each.
pub async fn list(ctx: &Ctx) -> Result<(), ActionError> {
    let resources = ctx.lcd.instances_of(resource::APP, resource::TYPE).await?;
    if resources.is_empty() {
        println!("no Route 53 resources on this node");
    }
    for inst in resources {
        let children = ctx.lcd.children(&inst.tag).await.unwrap_or_default();
        let what = match Route53Resource::from_instance(&inst) {
            Ok(r) => format!("{} {}", r.zone_id, r.hostname),
            Err(e) => format!("(unreadable: {e})"),
        };
        println!(
            "{}\t{}\t{}\tover {}",
            inst.tag,
            inst.state,
            what,
            if children.is_empty() {
                "nothing".to_string()
            } else {
                children.join(",")
            }
        );
    }
    Ok(())
}
