//! quickCheck: does the A record hold the IP resource's address?
//!
//! Read the record up to `ROUTE53_RECORDCHECK_TRY_COUNT` times and decide
//! by the verdict table: missing or another address fails (LifeKeeper
//! recovers); only the TTL differs warns and passes (the next restore
//! applies it); an alias or routing-policy record is logged as an ERROR and
//! passes, since no failover can mend it. Could not read it at all, or
//! could not finish within `ROUTE53_QUICKCHECK_TIMEOUT`: warn and pass (an
//! API outage must never fail the service over). Problems on the LifeKeeper
//! side (no IP child, a broken LCD command) are logged as errors and pass
//! too, as LifeKeeper's own kits do: a broken check must never cause a
//! failover.

use std::time::Duration;

use super::common::{id_target, read_with_tries, subject};
use crate::aws::{RecordApi, Route53Error};
use crate::cli;
use crate::context::Ctx;
use crate::dns;
use crate::error::{ActionError, RecordError};
use crate::lcd::{Event, Lcd, LcdEvents};
use crate::lock;
use crate::log::Msg;
use crate::record::{same_name, ARecord};
use crate::resource::{self, Loaded};
use crate::settings::SendEvent;
use crate::verdict::{compare, decide, explain, Kind, Outcome};

pub(super) async fn run<A: RecordApi>(
    ctx: &Ctx<impl LcdEvents>,
    api: &A,
    tag: &str,
    id: Option<&str>,
) -> Result<(), ActionError> {
    let deadline = tokio::time::Instant::now() + ctx.settings.quickcheck_timeout();
    let checked_id = std::cell::OnceCell::new();
    let Some(verdict) = within_limit(ctx, check(ctx, api, tag, id, &checked_id)).await else {
        return Ok(());
    };
    // A definite mismatch: LifeKeeper's event notification is told, within
    // what is left of the check's time (the verdict stands either way).
    if let (Err(ActionError::Record(RecordError::Mismatch(_))), Some(rid)) =
        (&verdict, checked_id.get())
    {
        tell(ctx, tag, rid, deadline).await;
    }
    verdict
}

/// A check within `ROUTE53_QUICKCHECK_TIMEOUT`: its verdict, or `None`
/// (said, and the check passes) where it did not finish in time.
pub(crate) async fn within_limit<L>(
    ctx: &Ctx<L>,
    check: impl std::future::Future<Output = Result<(), ActionError>>,
) -> Option<Result<(), ActionError>> {
    let limit = ctx.settings.quickcheck_timeout();
    match tokio::time::timeout(limit, check).await {
        Ok(verdict) => Some(verdict),
        Err(_) => {
            ctx.log.warn(
                Msg::CheckUnreadable,
                &format!(
                    "check did not finish within ROUTE53_QUICKCHECK_TIMEOUT={} s; passing",
                    limit.as_secs()
                ),
            );
            None
        }
    }
}

/// How long sendevent may take, within what is left of the check's time.
const SENDEVENT_LIMIT: Duration = Duration::from_secs(10);

/// Tell LifeKeeper's event notification that the record has gone wrong:
/// `$LKROOT/bin/sendevent -C route53 -E recordfail -m lkroute53 -n NAME`,
/// NAME the resource's ID (or its tag, `ROUTE53_SENDEVENT`). LifeKeeper
/// looks the resource up and runs the type's recovery program
/// (`recovery/route53/recordfail`), which recovers it. quickCheck exits 1
/// all the same: where lkcheck reads the exit status, that recovers it too.
async fn tell(ctx: &Ctx<impl LcdEvents>, tag: &str, id: &str, deadline: tokio::time::Instant) {
    let name = match ctx.settings.choices.sendevent.value {
        SendEvent::Off => return,
        SendEvent::Tag => tag,
        SendEvent::Id => id,
    };
    let command = format!(
        "{}/bin/sendevent -C {} -E {} -m {} -n {name}",
        ctx.lcd.root().display(),
        cli::EVENT_CLASS,
        cli::EVENT,
        cli::MONITOR
    );
    if !ctx.lcd.has("sendevent") {
        ctx.log.warn(
            Msg::EventSent,
            &format!(
                "there is no {command:?} to run; LifeKeeper recovers from quickCheck's exit status"
            ),
        );
        return;
    }
    let event = Event {
        class: cli::EVENT_CLASS,
        event: cli::EVENT,
        monitor: cli::MONITOR,
        name,
    };
    let limit =
        SENDEVENT_LIMIT.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
    match tokio::time::timeout(limit, ctx.lcd.sendevent(&event)).await {
        Ok(Ok(())) => ctx.log.info(
            Msg::EventSent,
            &format!("told LifeKeeper: {command}; it recovers the resource"),
        ),
        Ok(Err(e)) => ctx.log.warn(
            Msg::EventSent,
            &format!("{e}; LifeKeeper recovers from quickCheck's exit status"),
        ),
        Err(_) => ctx.log.warn(
            Msg::EventSent,
            &format!(
                "{command} did not finish within {:.1} s (at most {} s, within ROUTE53_QUICKCHECK_TIMEOUT) and was stopped; LifeKeeper recovers from quickCheck's exit status",
                limit.as_secs_f64(),
                SENDEVENT_LIMIT.as_secs()
            ),
        ),
    }
}

async fn check<A: RecordApi>(
    ctx: &Ctx<impl Lcd>,
    api: &A,
    tag: &str,
    id: Option<&str>,
    checked_id: &std::cell::OnceCell<String>,
) -> Result<(), ActionError> {
    let impossible = |e: &dyn std::fmt::Display| {
        ctx.log.error(
            Msg::CheckImpossible,
            &format!(
                "cannot check: {e}; passing, so that a broken check never fails the service over"
            ),
        );
        Ok(())
    };
    if let Err(e) = resource::check_tag("tag", tag) {
        return impossible(&e);
    }
    // An action that changes the record is running: the record may be in
    // between, and that action reports its own verdict.
    let _lock = match lock::acquire(&ctx.locks, tag, Duration::ZERO, &ctx.log).await {
        Ok(held) => Some(held),
        Err(lock::LockError::Busy { .. }) => {
            ctx.log.info(
                Msg::Busy,
                "another action on this resource is running; passing without a check",
            );
            return Ok(());
        }
        Err(e) => {
            ctx.log
                .warn(Msg::Busy, &format!("{e}; checking without the lock"));
            None
        }
    };
    ctx.progress.stage("reading the resource from the LCD");
    // The ID LifeKeeper passes names the zone and host name: DNS is asked
    // (or, with DNS off, the record read) while the LCD is, and the answer
    // used only where the LCD agrees.
    let target = id_target(id);
    let dns = Dns::of(ctx);
    let early = async {
        match (&target, dns.on()) {
            (Some((_, host)), true) => Some(Early::Dns(dns.ask(host).await)),
            (Some((zone, host)), false) => Some(Early::Api(api.read_a(zone, host).await)),
            (None, _) => None,
        }
    };
    let (loaded, early) = tokio::join!(resource::load(&ctx.lcd, tag), early);
    let found = match loaded {
        Ok(found) => found,
        Err(e) => return impossible(&e),
    };
    let _ = checked_id.set(found.instance.id.clone());
    let l = &found.loaded;
    let agrees = target.as_ref().is_some_and(|(zone, host)| {
        *zone == l.resource.zone_id && same_name(host, &l.resource.hostname)
    });
    let (asked, first) = match early.filter(|_| agrees) {
        Some(Early::Dns(a)) => (Some(a), None),
        Some(Early::Api(r)) => (None, Some(r)),
        None => (None, None),
    };
    if dns_settles(ctx, l, &dns, asked).await {
        return Ok(());
    }
    judge(ctx, api, l, first).await
}

/// DNS first: whether the answer of the servers `dns` names settles the
/// check (`asked`: the answer, where it was asked already). `false` where
/// DNS is off. Then [`judge`] decides through the API; LifeKeeper's
/// quickCheck and Pacemaker's monitor alike.
pub(crate) async fn dns_settles<L>(
    ctx: &Ctx<L>,
    l: &Loaded,
    dns: &Dns,
    asked: Option<dns::Asked>,
) -> bool {
    if !dns.on() {
        return false;
    }
    ctx.progress
        .stage(format!("asking DNS for {}", l.resource.hostname));
    let asked = match asked {
        Some(a) => a,
        None => dns.ask(&l.resource.hostname).await,
    };
    dns.trusted(ctx, l, &asked)
}

/// What was asked while the LCD was read: DNS, or (with DNS off) the
/// Route 53 API.
enum Early {
    Dns(dns::Asked),
    Api(Result<Option<ARecord>, Route53Error>),
}

/// The DNS step of this check: the servers to ask and the time allowed.
pub(crate) struct Dns {
    servers: Vec<std::net::SocketAddr>,
    limit: Duration,
}

impl Dns {
    pub(crate) fn of<L>(ctx: &Ctx<L>) -> Dns {
        Dns {
            servers: ctx.settings.check_dns.value.servers(&dns::resolv_conf()),
            limit: ctx.settings.check_dns_timeout(),
        }
    }

    fn on(&self) -> bool {
        !self.servers.is_empty()
    }

    async fn ask(&self, host: &str) -> dns::Asked {
        dns::ask(&self.servers, host, self.limit).await
    }

    /// Whether DNS's answer settles the check: the one value, the node's
    /// address. Either way it is said at a terminal (and with -v).
    fn trusted<L>(&self, ctx: &Ctx<L>, l: &Loaded, asked: &dns::Asked) -> bool {
        let host = &l.resource.hostname;
        let agrees = asked.agrees(l.address);
        let said = match asked {
            dns::Asked::Answered { server, seen } => format!("{server} answers {seen} for {host}"),
            dns::Asked::Silent(why) => format!("no answer for {host} ({why})"),
        };
        let text = match agrees {
            true => format!(
                "DNS: {said}, the address of this node: the check passes with no Route 53 API request"
            ),
            false => format!(
                "DNS: {said}, not {} alone: the Route 53 API decides",
                l.address
            ),
        };
        match ctx.interactive {
            true => ctx.log.info(Msg::DnsCheck, &text),
            false => tracing::debug!("{text}"),
        }
        agrees
    }
}

/// Read the record (unless `first` already holds it) and judge it by the
/// verdict table. A first read that failed is made again with the tries.
pub(crate) async fn judge<L, A: RecordApi>(
    ctx: &Ctx<L>,
    api: &A,
    l: &Loaded,
    first: Option<Result<Option<ARecord>, Route53Error>>,
) -> Result<(), ActionError> {
    let s = subject(ctx, l);
    ctx.progress.stage(format!(
        "reading the A record {} in zone {}",
        s.name, s.zone
    ));
    let read = match first {
        Some(Ok(record)) => Ok(record),
        _ => read_with_tries(ctx, api, l).await,
    };
    let record = match read {
        Ok(r) => r,
        Err(e) => {
            ctx.log.warn(
                Msg::CheckUnreadable,
                &format!(
                    "could not read the A record {} in zone {}: {e}; passing (an API outage does not fail the service over)",
                    s.name, s.zone
                ),
            );
            return Ok(());
        }
    };
    let verdict = compare(record.as_ref(), l.address, s.ttl);
    let text = explain(&verdict, &s);
    match decide(Kind::QuickCheck, &verdict) {
        Outcome::Wrong => {
            Err(RecordError::Mismatch(format!("{text}; {} recovers", l.manager.name())).into())
        }
        Outcome::PassWarn => {
            ctx.log.warn(
                Msg::CheckTtl,
                &format!("{text}; the next {} applies it", l.manager.writes()),
            );
            Ok(())
        }
        Outcome::Unmanaged => {
            ctx.log.error(
                Msg::Unmanaged,
                &format!("{text}; passing, as no failover can mend it"),
            );
            Ok(())
        }
        _ => {
            // Every two minutes on every node: silent in the log, but an
            // operator at a terminal is told.
            if ctx.interactive {
                ctx.log.info(Msg::CheckOk, &text);
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::{denied, no_answer, Scripted};
    use crate::actions::testing::{loaded, SETTINGS};
    use crate::error::ExitStatus;
    use crate::record::{ARecord, Routing};
    use tokio::time::Instant;

    async fn check(ctx: &Ctx<impl Lcd>, api: &Scripted) -> Result<(), ActionError> {
        judge(ctx, api, &loaded(), None).await
    }

    #[tokio::test(start_paused = true)]
    async fn in_sync_passes_silently_under_lifekeeper_and_says_so_at_a_terminal() {
        let mut ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::holding("10.0.1.10", 10);
        check(&ctx, &api).await.expect("in sync");
        assert!(ctx.log.captured().is_empty());
        ctx.interactive = true;
        check(&ctx, &api).await.expect("in sync");
        assert!(ctx.log.said("INFO:route53:restore:r53-app:053024:the A record app.example.com in zone Z1 holds 10.0.1.10 with TTL 10"));
        assert_eq!(api.count("read"), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn missing_or_another_address_fails_with_exit_1() {
        for api in [Scripted::new(None), Scripted::holding("192.0.2.99", 300)] {
            let ctx = crate::actions::testing::ctx(SETTINGS);
            let e = check(&ctx, &api).await.expect_err("wrong");
            assert_eq!(e.exit_status(), ExitStatus::Failed);
            assert!(
                e.to_string()
                    .contains("IP resource ip-10.0.1.10 holds 10.0.1.10; LifeKeeper recovers"),
                "{e}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn only_the_ttl_differing_warns_and_passes() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::holding("10.0.1.10", 300);
        check(&ctx, &api).await.expect("passes");
        assert!(ctx.log.said("WARN:route53:restore:r53-app:053023:the A record app.example.com in zone Z1 holds 10.0.1.10 with TTL 300, where ROUTE53_TTL is 10"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_record_the_kit_does_not_manage_is_an_error_that_passes() {
        let mut r = ARecord::simple("app.example.com.", &["10.0.1.10"], 10);
        r.routing = Some(Routing {
            policy: "failover",
            set_identifier: "primary".into(),
        });
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::new(Some(r));
        check(&ctx, &api).await.expect("no failover can mend it");
        assert!(ctx.log.said("ERROR:route53:restore:r53-app:053025:the A record app.example.com in zone Z1 is a failover routing-policy record (set identifier \"primary\", 10.0.1.10)"));
        assert!(ctx.log.said("passing, as no failover can mend it"));
    }

    #[tokio::test(start_paused = true)]
    async fn reads_are_tried_again_and_an_unreadable_record_passes() {
        let ctx = crate::actions::testing::ctx(
            "ROUTE53_RECORDCHECK_INTERVAL=2\nROUTE53_RECORDCHECK_TRY_COUNT=4\n",
        );
        let api = Scripted::holding("10.0.1.10", 10);
        api.reads
            .borrow_mut()
            .extend((0..4).map(|_| Err(no_answer("ListResourceRecordSets"))));
        let start = Instant::now();
        check(&ctx, &api).await.expect("passes");
        assert_eq!(api.count("read"), 4);
        assert_eq!(start.elapsed(), std::time::Duration::from_secs(6));
        assert!(ctx.log.said(":053021:could not read the A record"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_after_a_failed_one_decides() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::new(None);
        api.reads
            .borrow_mut()
            .push_back(Err(no_answer("ListResourceRecordSets")));
        let e = check(&ctx, &api).await.expect_err("missing");
        assert_eq!(e.exit_status(), ExitStatus::Failed);
        assert_eq!(api.count("read"), 2);
    }

    /// The sendevent calls made, as "node class event name".
    fn events(ctx: &Ctx<crate::actions::testing::ScriptedLcd>) -> Vec<String> {
        ctx.lcd
            .cluster
            .borrow()
            .calls
            .iter()
            .filter(|c| c.contains(" sendevent "))
            .cloned()
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_definite_mismatch_tells_lifekeeper_and_still_exits_1() {
        let id = Some("route53:Z1:app.example.com");
        for (setting, want) in [
            (
                "",
                Some("node1 sendevent route53 recordfail route53:Z1:app.example.com"),
            ),
            (
                "ROUTE53_SENDEVENT=tag\n",
                Some("node1 sendevent route53 recordfail r53-app"),
            ),
            ("ROUTE53_SENDEVENT=off\n", None),
        ] {
            let ctx = crate::actions::testing::ctx_with_resource(&format!("{SETTINGS}{setting}"));
            for api in [Scripted::new(None), Scripted::holding("192.0.2.99", 10)] {
                let e = run(&ctx, &api, "r53-app", id).await.expect_err("wrong");
                assert_eq!(e.exit_status(), ExitStatus::Failed);
            }
            assert_eq!(
                events(&ctx),
                want.map(|w| vec![w; 2]).unwrap_or_default(),
                "{setting}"
            );
        }
        // sendevent missing or failing: quickCheck says so and exits 1.
        let ctx = crate::actions::testing::ctx_with_resource(SETTINGS);
        ctx.lcd.cluster.borrow_mut().missing = vec!["sendevent"];
        let e = run(&ctx, &Scripted::new(None), "r53-app", id)
            .await
            .expect_err("wrong");
        assert_eq!(e.exit_status(), ExitStatus::Failed);
        assert!(ctx
            .log
            .said(":053026:there is no \"/opt/LifeKeeper/bin/sendevent -C route53"));
        let ctx = crate::actions::testing::ctx_with_resource(SETTINGS);
        ctx.lcd
            .fail("node1", "sendevent", 1, "sendevent: lcm is not running");
        run(&ctx, &Scripted::new(None), "r53-app", id)
            .await
            .expect_err("wrong");
        assert!(ctx.log.said("WARN:route53:restore:r53-app:053026:sendevent route53 recordfail route53:Z1:app.example.com failed with exit status 1: sendevent: lcm is not running; LifeKeeper recovers from quickCheck's exit status"));
    }

    #[tokio::test(start_paused = true)]
    async fn no_event_without_a_definite_mismatch() {
        let id = Some("route53:Z1:app.example.com");
        let ctx = crate::actions::testing::ctx_with_resource(SETTINGS);
        // In sync, the TTL alone differing, the API not answering, refusing.
        run(&ctx, &Scripted::holding("10.0.1.10", 10), "r53-app", id)
            .await
            .expect("ok");
        run(&ctx, &Scripted::holding("10.0.1.10", 300), "r53-app", id)
            .await
            .expect("ttl");
        let api = Scripted::new(None);
        api.reads
            .borrow_mut()
            .extend((0..10).map(|_| Err(no_answer("ListResourceRecordSets"))));
        run(&ctx, &api, "r53-app", id).await.expect("outage passes");
        let api = Scripted::new(None);
        // (the early read, then the read that decides)
        api.reads
            .borrow_mut()
            .extend((0..2).map(|_| Err(denied("ListResourceRecordSets"))));
        run(&ctx, &api, "r53-app", id)
            .await
            .expect("refused passes");
        assert!(events(&ctx).is_empty(), "{:?}", events(&ctx));
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_read_passes_with_a_warning_after_one_try() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::new(None);
        api.reads
            .borrow_mut()
            .push_back(Err(denied("ListResourceRecordSets")));
        check(&ctx, &api).await.expect("passes");
        assert_eq!(api.count("read"), 1);
        assert!(ctx.log.said("AccessDenied"));
    }
}
