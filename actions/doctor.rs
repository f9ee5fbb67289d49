//! `lkroute53 doctor TAG`: every check an operator would make at 3 a.m.,
//! in order, each passed or failed with a remedy. Exits 1 when any fails.

use std::time::{Instant, SystemTime};

use crate::actions::create::inside;
use crate::context::Ctx;
use crate::error::{ActionError, Route53Error};
use crate::record::{compare, describe, Verdict};
use crate::resource::{self, Route53Resource};
use crate::route53::{RecordApi, Route53};
use crate::settings;

/// Signatures fail when the clocks differ by more than this.
const MAX_SKEW_SECS: u64 = 300;
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
enum Mark {
    Pass,
    Fail,
    Info,
}

struct Report {
    failed: usize,
}

impl Report {
    fn say(&mut self, mark: Mark, check: &str, detail: &str, remedy: &str) {
        let m = match mark {
            Mark::Pass => "[ ok ]",
            Mark::Fail => "[FAIL]",
            Mark::Info => "[info]",
        };
        println!("{m} {check}: {detail}");
        if mark == Mark::Fail {
            self.failed += 1;
            if !remedy.is_empty() {
                println!("       remedy: {remedy}");
            }
        }
    }
}

pub async fn run(ctx: &Ctx, tag: &str) -> Result<(), ActionError> {
    let mut rep = Report { failed: 0 };
    let s = &ctx.settings;

    // 1. The settings file.
    if s.warnings.is_empty() {
        rep.say(
            Mark::Pass,
            "settings",
            &format!("{} read without a problem", s.path.display()),
            "",
        );
    } else {
        for w in &s.warnings {
            rep.say(
                Mark::Fail,
                "settings",
                &w.0,
                "fix or remove the line named; until then the default shown is used",
            );
        }
    }

    // 2. The LCD commands, present and answering.
    let missing: Vec<&str> = LCD_COMMANDS
        .iter()
        .copied()
        .filter(|c| !ctx.lcd.has(c))
        .collect();
    if missing.is_empty() {
        let start = Instant::now();
        match ctx.lcd.instances_of(resource::APP, resource::TYPE).await {
            Ok(list) => rep.say(
                Mark::Pass,
                "LCD",
                &format!(
                    "commands in {}/bin answer ({} Route 53 resources, {} ms)",
                    ctx.lcd.root().display(),
                    list.len(),
                    start.elapsed().as_millis()
                ),
                "",
            ),
            Err(e) => rep.say(
                Mark::Fail,
                "LCD",
                &e.to_string(),
                "is LifeKeeper running? check lcdstatus and /var/log/lifekeeper.log",
            ),
        }
    } else {
        rep.say(
            Mark::Fail,
            "LCD",
            &format!(
                "missing or not executable in {}/bin: {}",
                ctx.lcd.root().display(),
                missing.join(", ")
            ),
            "is LifeKeeper installed, and LKROOT set to its folder (default /opt/LifeKeeper)?",
        );
    }

    // 3. The resource and its IP child.
    let found = match resource::check_tag("tag", tag) {
        Ok(()) => resource::find(&ctx.lcd, tag).await,
        Err(e) => Err(e),
    };
    let child = match &found {
        Ok(_) => resource::ip_child(&ctx.lcd, tag).await.map(Some),
        Err(_) => Ok(None),
    };
    let remedy = "as the message says; lkroute53 list shows the Route 53 resources here";
    let address = match (&found, &child) {
        (Ok((inst, r)), Ok(Some((ip_tag, addr)))) => {
            rep.say(
                Mark::Pass,
                "resource",
                &format!(
                    "{tag}: zone {}, host name {}, state {}, over IP resource {ip_tag} holding {addr}",
                    r.zone_id, r.hostname, inst.state
                ),
                "",
            );
            Some(*addr)
        }
        (Err(e), _) | (_, Err(e)) => {
            rep.say(Mark::Fail, "resource", &e.to_string(), remedy);
            None
        }
        (Ok(_), Ok(None)) => None,
    };
    let resource: Option<Route53Resource> = found.ok().map(|(_, r)| r);

    // 4. Credentials.
    let api = Route53::connect(s).await;
    match api.credential_source().await {
        Ok(src) => rep.say(Mark::Pass, "credentials", &format!("found: {}", src.0), ""),
        Err(e) => rep.say(
            Mark::Fail,
            "credentials",
            &format!("none found: {e}"),
            "attach an instance role to the node (or set a profile) with the Route 53 permissions in the README",
        ),
    }

    // 5. The endpoint, and 7. GetChange permission, with one probe.
    let start = Instant::now();
    let probe = api.probe_get_change().await;
    let rtt = start.elapsed();
    let answered = !matches!(probe, Err(Route53Error::NoAnswer { .. }));
    if answered {
        rep.say(
            Mark::Pass,
            "endpoint",
            &format!("{} answered in {} ms", api.endpoint(), rtt.as_millis()),
            "",
        );
    } else if let Err(e) = &probe {
        rep.say(
            Mark::Fail,
            "endpoint",
            &e.to_string(),
            "there is no VPC endpoint for the Route 53 API: the node needs a NAT gateway or a proxy (HTTPS_PROXY, NO_PROXY in LifeKeeper's environment); check ROUTE53_CONNECT_TIMEOUT / ROUTE53_READ_TIMEOUT",
        );
    }

    // 6. Clock skew against the server's Date header.
    match api.last_server_date() {
        Some(server) => {
            let now = SystemTime::now();
            let (skew, ahead) = match now.duration_since(server) {
                Ok(d) => (d.as_secs(), "ahead of"),
                Err(e) => (e.duration().as_secs(), "behind"),
            };
            if skew <= MAX_SKEW_SECS {
                rep.say(
                    Mark::Pass,
                    "clock",
                    &format!("within {skew} s of the server's clock"),
                    "",
                );
            } else {
                rep.say(
                    Mark::Fail,
                    "clock",
                    &format!("{skew} s {ahead} the server's clock; request signatures fail past {MAX_SKEW_SECS} s"),
                    "synchronise the node's clock (chronyd with the Amazon Time Sync Service, 169.254.169.123)",
                );
            }
        }
        None if answered => rep.say(
            Mark::Info,
            "clock",
            "the server sent no Date header; skew not measured",
            "",
        ),
        None => rep.say(
            Mark::Fail,
            "clock",
            "not measured: no answer from the endpoint",
            "see the endpoint check",
        ),
    }

    // 7. Read permissions.
    match &probe {
        Ok(()) => rep.say(Mark::Pass, "permission", "route53:GetChange allowed", ""),
        Err(e) if answered => rep.say(
            Mark::Fail,
            "permission",
            &format!("route53:GetChange: {e}"),
            "grant route53:GetChange on arn:aws:route53:::change/*",
        ),
        Err(_) => {}
    }
    let Some(r) = resource else {
        rep.say(
            Mark::Fail,
            "zone",
            "not checked: the resource could not be read",
            "",
        );
        return finish(rep);
    };
    let read = api.read_a(&r.zone_id, &r.hostname).await;
    match &read {
        Ok(_) => rep.say(
            Mark::Pass,
            "permission",
            &format!(
                "route53:ListResourceRecordSets allowed on zone {}",
                r.zone_id
            ),
            "",
        ),
        Err(e) => rep.say(
            Mark::Fail,
            "permission",
            &format!("route53:ListResourceRecordSets: {e}"),
            "grant route53:ListResourceRecordSets on the hosted zone",
        ),
    }
    rep.say(
        Mark::Info,
        "permission",
        "route53:ChangeResourceRecordSets cannot be probed without making a change; the next restore proves it (or fails naming it)",
        "",
    );

    // 8. The zone, and the host name inside it.
    match api.zone(&r.zone_id).await {
        Ok(z) if inside(&r.hostname, &z.name) => rep.say(
            Mark::Pass,
            "zone",
            &format!(
                "{} is {} ({}), and {} lies inside it",
                r.zone_id,
                z.name,
                if z.private { "private" } else { "public" },
                r.hostname
            ),
            "",
        ),
        Ok(z) => rep.say(
            Mark::Fail,
            "zone",
            &format!(
                "{} is {}, and {} is not inside it",
                r.zone_id, z.name, r.hostname
            ),
            "recreate the resource with the zone that holds the host name",
        ),
        Err(e) => rep.say(
            Mark::Fail,
            "zone",
            &e.to_string(),
            "check the zone ID; grant route53:GetHostedZone",
        ),
    }

    // 9. The record.
    let ttl = u32::try_from(s.num(settings::TTL)).unwrap_or(u32::MAX);
    match (&read, address) {
        (Ok(rec), Some(addr)) => match compare(rec.as_ref(), addr, ttl) {
            Verdict::InSync => rep.say(Mark::Pass, "record", &format!("{} holds {addr} with TTL {ttl}", r.hostname), ""),
            Verdict::TtlDiffers { .. } => rep.say(
                Mark::Pass,
                "record",
                &format!("{} holds {addr}, with another TTL ({}); restore applies ROUTE53_TTL={ttl}", r.hostname, describe(rec.as_ref())),
                "",
            ),
            Verdict::NotSimple(what) => rep.say(Mark::Fail, "record", &format!("{} is {what}", r.hostname), "the kit manages only a simple A record: use another host name"),
            _ => rep.say(
                Mark::Fail,
                "record",
                &format!("{} holds {}, not {addr}", r.hostname, describe(rec.as_ref())),
                "where this node runs the service: run recover (or restore); elsewhere this is expected",
            ),
        },
        (Ok(rec), None) => rep.say(Mark::Info, "record", &format!("{} holds {}", r.hostname, describe(rec.as_ref())), ""),
        (Err(_), _) => rep.say(Mark::Fail, "record", "not read (see the permission check)", ""),
    }
    finish(rep)
}

fn finish(rep: Report) -> Result<(), ActionError> {
    if rep.failed == 0 {
        println!("all checks passed");
        Ok(())
    } else {
        Err(ActionError::Mismatch(format!(
            "{} check(s) failed",
            rep.failed
        )))
    }
}
