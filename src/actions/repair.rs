//! Put the record right, and prove it: the steps restore, recover and the
//! recovery program share once they hold the resource's lock and have read
//! it from the LCD.
//!
//! 1. Read the A record with one exact lookup, and decide by the verdict
//!    table: already the address and the TTL, done; an alias or
//!    routing-policy record, refuse; otherwise write. In a storm (Route 53
//!    throttled the node lately), where another restore of the node is
//!    sending a change of the zone, or where this read is throttled, the
//!    UPSERT goes ahead without it: Route 53 refuses a plain A UPSERT over
//!    an alias or routing-policy record, and the kit then reads the record
//!    to name it.
//! 2. UPSERT the record (address, `ROUTE53_TTL`), up to
//!    `ROUTE53_RECORD_TRY_COUNT` tries `ROUTE53_RECORD_INTERVAL` apart.
//! 3. Wait for INSYNC within `ROUTE53_CHANGEID_INTERVAL` x
//!    `ROUTE53_CHANGEID_TRY_COUNT` (adaptive checks by default; see
//!    `poll`); not INSYNC by then: fail, saying the record was written.
//! 4. Verify that the record holds the address: after INSYNC, or, in a
//!    storm, while the change is pending (see [`verify_early`]).
//!
//! Where only the TTL differs, the address is right already: a write that
//! cannot be made is a warning and the action succeeds.

use tokio::time::Instant;

use super::common::{read_with_tries, subject};
use crate::aws::{ChangeState, RecordApi};
use crate::context::Ctx;
use crate::error::{ActionError, RecordError};
use crate::log::Msg;
use crate::poll::{self, Poll};
use crate::record::{describe, ARecord};
use crate::resource::Loaded;
use crate::retry::{with_tries, Mend};
use crate::settings::NotInSync;
use crate::verdict::{compare, decide, explain, Kind, Outcome};

/// Make the record hold the address, and prove it.
pub(crate) async fn put_right<L, A: RecordApi>(
    ctx: &Ctx<L>,
    api: &A,
    l: &Loaded,
) -> Result<(), ActionError> {
    let s = subject(ctx, l);
    ctx.progress.stage(format!(
        "reading the A record {} in zone {}",
        s.name, s.zone
    ));
    if !ctx.dry_run {
        api.will_write(s.zone);
    }
    let current = read_first(ctx, api, l).await?;
    let outcome = match &current {
        Some(record) => {
            let verdict = compare(record.as_ref(), l.address, s.ttl);
            let outcome = decide(Kind::Restore, &verdict);
            match outcome {
                Outcome::Pass => {
                    ctx.log.info(
                        Msg::RecordOk,
                        &format!("{}; no change made", explain(&verdict, &s)),
                    );
                    return Ok(());
                }
                Outcome::Unmanaged => {
                    return Err(RecordError::Unmanaged(explain(&verdict, &s)).into())
                }
                other => other,
            }
        }
        // Not read: write it, and let the verification tell.
        None => Outcome::Write,
    };
    let was = match &current {
        Some(r) => describe(r.as_ref()),
        None => "(not read)".to_string(),
    };
    ctx.progress.record(format!("{was} (before the change)"));
    if ctx.dry_run {
        ctx.log.notify(
            Msg::DryRun,
            &format!(
                "dry run: would set A record {} in zone {}: {was} -> {} TTL {}; nothing changed",
                s.name, s.zone, s.address, s.ttl
            ),
        );
        return Ok(());
    }
    ctx.log.info(
        Msg::Upsert,
        &format!(
            "setting A record {} in zone {}: {was} -> {} TTL {}",
            s.name, s.zone, s.address, s.ttl
        ),
    );
    match write(ctx, api, l).await {
        Ok(Proof::Verified) => return Ok(()),
        Ok(Proof::ToVerify) => {}
        Err(e) if outcome == Outcome::WriteTtl => {
            ctx.log.warn(
                Msg::CheckTtl,
                &format!(
                    "the A record {} already holds {}; applying ROUTE53_TTL={} failed ({e}); the TTL is applied at the next restore",
                    s.name, s.address, s.ttl
                ),
            );
            return Ok(());
        }
        Err(ActionError::Route53(e)) if current.is_none() && e.is_invalid_change() => {
            return Err(refused_unread(ctx, api, l, e).await)
        }
        Err(e) => return Err(e),
    }
    verify(ctx, api, l).await
}

/// Route 53 refused an UPSERT sent without reading the record first: read
/// it now, so that the error names what stands at the name (an alias or
/// routing-policy record, which the kit does not manage), as it would have
/// had the record been read first.
async fn refused_unread<L, A: RecordApi>(
    ctx: &Ctx<L>,
    api: &A,
    l: &Loaded,
    refused: crate::aws::Route53Error,
) -> ActionError {
    let s = subject(ctx, l);
    let Ok(record) = read_with_tries(ctx, api, l).await else {
        return refused.into();
    };
    let verdict = compare(record.as_ref(), l.address, s.ttl);
    match decide(Kind::Restore, &verdict) {
        Outcome::Unmanaged => RecordError::Unmanaged(format!(
            "{}; Route 53 refused the UPSERT ({refused})",
            explain(&verdict, &s)
        ))
        .into(),
        _ => refused.into(),
    }
}

/// The record before the change, or `None` where the UPSERT goes ahead
/// without it: the write then tells (Route 53 refuses a plain A UPSERT
/// that collides with an alias or routing-policy record of the name) and
/// the verifying read proves it. In a storm (Route 53 throttled the node
/// lately) the record is not read first: a storm's records are moving,
/// the read would be a quarter of the storm's requests, and each request
/// is one of the account's 10 a second. Nor where another restore of the
/// node is gathering or sending a batch of the zone's changes: this
/// change goes with it or right after it (the read would save only the
/// write of a record that is right already), and the node's restores that
/// start a moment apart as a storm begins, before any was throttled,
/// would otherwise each read alone. A first read that Route 53 throttles
/// is not sent again, for the same reason. Where the read fails for
/// another reason that another try might mend, the write goes ahead too;
/// an error no retry can mend ends the action. A dry run reads, with the
/// record tries: it has no write to tell.
async fn read_first<L, A: RecordApi>(
    ctx: &Ctx<L>,
    api: &A,
    l: &Loaded,
) -> Result<Option<Option<ARecord>>, ActionError> {
    let name = &l.resource.hostname;
    if ctx.dry_run {
        let tries = ctx.settings.record_tries();
        let read = with_tries(
            tries,
            Mend::Throttled,
            || api.read_a(&l.resource.zone_id, name),
            |try_no, e| {
                ctx.log.warn(
                    Msg::ReadRetry,
                    &format!(
                        "reading the A record {name}, try {try_no} of {}, was throttled ({e}); trying again",
                        tries.count
                    ),
                )
            },
        )
        .await?;
        return Ok(Some(read));
    }
    if api.storm() {
        ctx.log.info(
            Msg::ReadSkipped,
            &format!("Route 53 throttled this node lately (a storm): the A record {name} is not read before the UPSERT, which goes ahead at once and is verified after"),
        );
        return Ok(None);
    }
    if api.batch_open(&l.resource.zone_id) {
        ctx.log.info(
            Msg::ReadSkipped,
            &format!("another restore on this node is sending a change of zone {} now: the A record {name} is not read before the UPSERT, which joins that change (or follows it) and is verified after", l.resource.zone_id),
        );
        return Ok(None);
    }
    match api.read_first(&l.resource.zone_id, name).await {
        Ok(r) => Ok(Some(r)),
        Err(e) if e.is_throttling() => {
            ctx.log.info(
                Msg::ReadSkipped,
                &format!("reading the A record {name} first was throttled ({e}); the UPSERT goes ahead without it and is verified after"),
            );
            Ok(None)
        }
        Err(e) if e.is_retryable() => {
            ctx.log.warn(
                Msg::ReadRetry,
                &format!("could not read the A record {name} first ({e}); updating it anyway"),
            );
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether the record was verified while the change was pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proof {
    Verified,
    ToVerify,
}

/// UPSERT with the record tries, then wait for INSYNC.
async fn write<L, A: RecordApi>(ctx: &Ctx<L>, api: &A, l: &Loaded) -> Result<Proof, ActionError> {
    let tries = ctx.settings.record_tries();
    let comment = &l.writer;
    ctx.progress
        .stage("sending the UPSERT (it may or may not have reached Route 53)");
    let accepted = with_tries(
        tries,
        Mend::Retryable,
        || {
            api.upsert_a(
                &l.resource.zone_id,
                &l.resource.hostname,
                l.address,
                ctx.settings.ttl(),
                comment,
            )
        },
        |try_no, e| {
            ctx.log.warn(
                Msg::UpsertRetry,
                &format!(
                    "record update try {try_no} of {} failed: {e}; trying again in {} s or a little more",
                    tries.count,
                    tries.interval.as_secs()
                ),
            )
        },
    )
    .await?;
    let at = Instant::now();
    let change_id = accepted.id;
    ctx.log.info(
        Msg::Upsert,
        &format!("Route 53 accepted the change as {change_id}"),
    );
    if accepted.state == ChangeState::InSync {
        // Nothing to wait for: the answer that accepted it said INSYNC.
        ctx.progress.record(format!(
            "written: {} TTL {} (change {change_id}, INSYNC)",
            l.address,
            ctx.settings.ttl()
        ));
        ctx.log.info(
            Msg::InSync,
            &format!("change {change_id} INSYNC in the answer that accepted it"),
        );
        return Ok(Proof::ToVerify);
    }
    ctx.progress.record(format!(
        "written: {} TTL {} (change {change_id}, not yet reported INSYNC)",
        l.address,
        ctx.settings.ttl()
    ));
    ctx.progress
        .stage(format!("waiting for change {change_id} to be INSYNC"));
    wait(ctx, api, l, &change_id, at).await
}

/// Check the change until INSYNC, within the budget from its acceptance.
/// In a storm the record is verified while the change is pending (see
/// [`verify_early`]).
async fn wait<L, A: RecordApi>(
    ctx: &Ctx<L>,
    api: &A,
    l: &Loaded,
    change_id: &str,
    accepted: Instant,
) -> Result<Proof, ActionError> {
    let tries = ctx.settings.changeid_tries();
    let due = poll::schedule(ctx.settings.choices.poll.value, tries);
    let waiting = api.waiting(change_id);
    // The early read's time comes while the change is still pending (a
    // storm's change) or after the wait has ended (a calm one's, mostly);
    // a wait that ends first leaves the record to be read after it, but
    // one read already under way is finished, not sent again.
    let reading = std::cell::Cell::new(false);
    let early = verify_early(ctx, api, l, &waiting, accepted, tries.budget(), &reading);
    let insync = poll::wait_insync(api, change_id, accepted, &due, &waiting, |p| match p {
        Poll::Pending {
            try_no,
            of,
            elapsed,
        } => ctx.log.info(
            Msg::Waiting,
            &format!(
                "change {change_id} still PENDING (check {try_no} of {of}, {:.1} s elapsed)",
                elapsed.as_secs_f64()
            ),
        ),
        Poll::Error {
            try_no,
            of,
            elapsed,
            error,
        } => ctx.log.warn(
            Msg::Waiting,
            &format!(
                "change {change_id}: status check {try_no} of {of} failed after {:.1} s: {error}",
                elapsed.as_secs_f64()
            ),
        ),
    });
    tokio::pin!(early, insync);
    let (proof, outcome) = tokio::select! {
        proof = &mut early => (proof?, insync.await?),
        outcome = &mut insync => {
            let proof = match reading.get() {
                true => early.await?,
                false => Proof::ToVerify,
            };
            (proof, outcome?)
        }
    };
    match outcome {
        poll::Outcome::InSync { elapsed, polls } => {
            ctx.log.info(
                Msg::InSync,
                &format!(
                    "change {change_id} INSYNC after {:.1} s ({polls} status check{})",
                    elapsed.as_secs_f64(),
                    if polls == 1 { "" } else { "s" }
                ),
            );
            Ok(proof)
        }
        poll::Outcome::GaveUp { .. } => {
            let e = ActionError::NotInSync {
                name: l.resource.hostname.clone(),
                zone: l.resource.zone_id.clone(),
                change_id: change_id.to_string(),
                budget: tries.budget(),
                interval: tries.interval,
                tries: tries.count,
            };
            if ctx.settings.choices.not_insync.value == NotInSync::Fail {
                return Err(e);
            }
            // The site prefers the service up: the read that follows
            // decides (Route 53 reads include pending changes).
            ctx.log.warn(
                Msg::NotInSyncAccepted,
                &format!("{e}; ROUTE53_NOT_INSYNC=warn: the restore succeeds if the record reads as the address"),
            );
            Ok(proof)
        }
    }
}

/// In a storm, the verifying read is made while the change is pending
/// (Route 53's reads include pending changes), at a random time before the
/// node's changes usually turn INSYNC: the storm's changes are accepted
/// over a spread window, and the time after each is a lull of the
/// account, while the moments they turn INSYNC come as thick as their
/// acceptance did. So the storm's last part costs a status check per
/// change, not a check and a read. The storm is asked at that time, so a
/// change accepted calmly whose checks were then throttled is read early
/// too (such changes were accepted together, and would otherwise all be
/// read in the second they turn INSYNC). Out of a storm the record is read
/// after INSYNC, as ever. `reading` is set while the read is under way.
async fn verify_early<L, A: RecordApi>(
    ctx: &Ctx<L>,
    api: &A,
    l: &Loaded,
    waiting: &crate::aws::budget::Waiting,
    accepted: Instant,
    budget: std::time::Duration,
    reading: &std::cell::Cell<bool>,
) -> Result<Proof, ActionError> {
    let usual = waiting.expected().unwrap_or(poll::STORM_FIRST);
    // The same moment for every restore of one change, so that the node
    // reads their records with one request.
    let at = usual
        .mul_f64(EARLY_FROM + EARLY_SPAN * waiting.spread())
        .min(budget / 2);
    tokio::time::sleep_until(accepted + at).await;
    if !api.storm() {
        return Ok(Proof::ToVerify);
    }
    reading.set(true);
    verify(ctx, api, l).await?;
    Ok(Proof::Verified)
}

/// In a storm, the record is verified at this part of the time the node's
/// changes usually take to turn INSYNC, and up to [`EARLY_SPAN`] more.
const EARLY_FROM: f64 = 0.6;
const EARLY_SPAN: f64 = 0.35;

/// Read the record back, with the record-check tries.
async fn verify<L, A: RecordApi>(ctx: &Ctx<L>, api: &A, l: &Loaded) -> Result<(), ActionError> {
    let s = subject(ctx, l);
    ctx.progress.stage("reading the record back to verify it");
    let record = read_with_tries(ctx, api, l).await?;
    let verdict = compare(record.as_ref(), l.address, s.ttl);
    ctx.progress.record(describe(record.as_ref()));
    match decide(Kind::Restore, &verdict) {
        Outcome::Pass | Outcome::WriteTtl => {
            ctx.log.notify(Msg::Verified, &explain(&verdict, &s));
            Ok(())
        }
        _ => Err(RecordError::NotVerified(format!(
            "after the change, {}: something else wrote it (the other node?)",
            explain(&verdict, &s)
        ))
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::{denied, loaded, no_answer, throttled, Scripted, SETTINGS};
    use crate::aws::ChangeState;
    use crate::error::ExitStatus;
    use crate::record::Routing;
    use std::time::Duration;

    fn holds(api: &Scripted) -> String {
        crate::record::describe(api.current().as_ref())
    }

    async fn restore<L>(ctx: &Ctx<L>, api: &Scripted) -> Result<(), ActionError> {
        put_right(ctx, api, &loaded()).await
    }

    #[tokio::test(start_paused = true)]
    async fn in_sync_makes_no_change() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::holding("10.0.1.10", 10);
        restore(&ctx, &api).await.expect("in sync");
        assert_eq!(api.count("upsert"), 0);
        assert!(ctx.log.said(":053010:the A record app.example.com in zone Z1 holds 10.0.1.10 with TTL 10; no change made"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_insync_in_its_answer_is_not_waited_for() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::holding("10.0.2.20", 10);
        api.upserts
            .borrow_mut()
            .push_back(Ok(crate::aws::api::Accepted {
                id: "C7".into(),
                state: ChangeState::InSync,
            }));
        let start = Instant::now();
        restore(&ctx, &api).await.expect("written");
        assert_eq!(holds(&api), "10.0.1.10 TTL 10");
        assert_eq!(api.count("change"), 0);
        assert_eq!(api.count("read"), 2, "read first, then verified");
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert!(ctx
            .log
            .said("change C7 INSYNC in the answer that accepted it"));
    }

    #[tokio::test(start_paused = true)]
    async fn missing_and_another_address_are_written_waited_for_and_verified() {
        for api in [Scripted::new(None), Scripted::holding("10.0.2.20", 10)] {
            let ctx = crate::actions::testing::ctx(SETTINGS);
            api.changes
                .borrow_mut()
                .extend([Ok(ChangeState::Pending), Ok(ChangeState::InSync)]);
            let start = Instant::now();
            restore(&ctx, &api).await.expect("written");
            assert_eq!(holds(&api), "10.0.1.10 TTL 10");
            assert_eq!(api.count("upsert"), 1);
            assert_eq!(api.count("change"), 2);
            // Adaptive checks: 1 s and 2.25 s after the change was accepted.
            assert_eq!(start.elapsed(), Duration::from_millis(2250));
            assert!(ctx.log.said("(2 status checks)"));
            assert!(ctx.log.said(":053015:"));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_differing_ttl_is_applied() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::holding("10.0.1.10", 300);
        restore(&ctx, &api).await.expect("applied");
        assert_eq!(holds(&api), "10.0.1.10 TTL 10");
    }

    #[tokio::test(start_paused = true)]
    async fn only_the_ttl_differs_and_the_write_is_refused_warns_and_succeeds() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::holding("10.0.1.10", 300);
        api.upserts
            .borrow_mut()
            .push_back(Err(denied("ChangeResourceRecordSets")));
        restore(&ctx, &api).await.expect("the address is right");
        assert_eq!(holds(&api), "10.0.1.10 TTL 300");
        assert!(ctx.log.said("WARN:route53:restore:r53-app:053023:the A record app.example.com already holds 10.0.1.10"));
        assert!(ctx.log.said("the TTL is applied at the next restore"));
    }

    #[tokio::test(start_paused = true)]
    async fn only_the_ttl_differs_and_throttled_past_every_try_warns_and_succeeds() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::holding("10.0.1.10", 300);
        api.upserts
            .borrow_mut()
            .extend((0..3).map(|_| Err(throttled("ChangeResourceRecordSets"))));
        let start = Instant::now();
        restore(&ctx, &api).await.expect("the address is right");
        assert_eq!(api.count("upsert"), 3);
        // Two throttled pauses of 2 s, each stretched by up to 100 %.
        let took = start.elapsed();
        assert!(
            took >= Duration::from_secs(4) && took < Duration::from_secs(8),
            "{took:?}"
        );
        assert!(ctx.log.said(":053023:"));
    }

    #[tokio::test(start_paused = true)]
    async fn another_address_throttled_past_every_try_fails_with_exit_4() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::holding("10.0.2.20", 10);
        api.upserts
            .borrow_mut()
            .extend((0..3).map(|_| Err(throttled("ChangeResourceRecordSets"))));
        let e = restore(&ctx, &api).await.expect_err("not written");
        assert_eq!(e.exit_status(), ExitStatus::Route53);
        assert_eq!(api.count("upsert"), 3);
        assert!(ctx.log.said("record update try 2 of 3 failed"));
        assert_eq!(holds(&api), "10.0.2.20 TTL 10");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_write_is_not_tried_again() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::new(None);
        api.upserts
            .borrow_mut()
            .push_back(Err(denied("ChangeResourceRecordSets")));
        let e = restore(&ctx, &api).await.expect_err("refused");
        assert_eq!(e.exit_status(), ExitStatus::Route53);
        assert_eq!(api.count("upsert"), 1);
        assert!(e.to_string().contains("route53:ChangeResourceRecordSets"));
    }

    #[tokio::test(start_paused = true)]
    async fn alias_and_routing_policy_records_are_refused_with_exit_4_and_left_alone() {
        let mut weighted = ARecord::simple("app.example.com.", &["10.0.1.10"], 10);
        weighted.routing = Some(Routing {
            policy: "weighted",
            set_identifier: "blue".into(),
        });
        let mut alias = ARecord::simple("app.example.com.", &[], 10);
        alias.alias_target = Some("lb.example.net.".into());
        for (record, named) in [
            (
                weighted,
                "weighted routing-policy record (set identifier \"blue\"",
            ),
            (alias, "alias record (target lb.example.net.)"),
        ] {
            let ctx = crate::actions::testing::ctx(SETTINGS);
            let api = Scripted::new(Some(record));
            let e = restore(&ctx, &api).await.expect_err("refused");
            assert_eq!(e.exit_status(), ExitStatus::Route53);
            assert!(e.to_string().contains(named), "{e}");
            assert!(e.to_string().contains("does not manage"), "{e}");
            assert_eq!(api.count("upsert"), 0);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_never_insync_fails_with_exit_5_after_the_budget() {
        let ctx = crate::actions::testing::ctx(
            "ROUTE53_CHANGEID_INTERVAL=2\nROUTE53_CHANGEID_TRY_COUNT=3\n",
        );
        let api = Scripted::new(None);
        api.changes
            .borrow_mut()
            .extend((0..20).map(|_| Ok(ChangeState::Pending)));
        let start = Instant::now();
        let e = restore(&ctx, &api).await.expect_err("not in sync");
        assert_eq!(e.exit_status(), ExitStatus::NotInSync);
        assert_eq!(start.elapsed(), Duration::from_secs(6));
        assert!(e.to_string().contains("was written (change C1)"), "{e}");
        assert_eq!(holds(&api), "10.0.1.10 TTL 10");
    }

    #[tokio::test(start_paused = true)]
    async fn a_site_that_prefers_the_service_up_accepts_a_change_not_yet_insync() {
        let ctx = crate::actions::testing::ctx(
            "ROUTE53_CHANGEID_INTERVAL=2\nROUTE53_CHANGEID_TRY_COUNT=3\nROUTE53_NOT_INSYNC=warn\n",
        );
        let api = Scripted::new(None);
        api.changes
            .borrow_mut()
            .extend((0..20).map(|_| Ok(ChangeState::Pending)));
        restore(&ctx, &api).await.expect("accepted with a warning");
        assert!(ctx.log.said("WARN:route53:restore:r53-app:053017:the A record app.example.com in zone Z1 was written (change C1)"));
        assert!(ctx.log.said(":053015:"), "verified by a read");
        // The read decides: another writer after ours still fails it.
        let ctx = crate::actions::testing::ctx(
            "ROUTE53_CHANGEID_INTERVAL=2\nROUTE53_CHANGEID_TRY_COUNT=3\nROUTE53_NOT_INSYNC=warn\n",
        );
        let api = Scripted::new(None);
        api.changes
            .borrow_mut()
            .extend((0..20).map(|_| Ok(ChangeState::Pending)));
        api.reads.borrow_mut().extend([
            Ok(None),
            Ok(Some(ARecord::simple(
                "app.example.com.",
                &["10.0.2.20"],
                10,
            ))),
        ]);
        let e = restore(&ctx, &api).await.expect_err("another writer");
        assert_eq!(e.exit_status(), ExitStatus::Failed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_first_read_is_not_sent_again_and_the_upsert_goes_ahead() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::holding("10.0.2.20", 10);
        api.reads
            .borrow_mut()
            .push_back(Err(throttled("ListResourceRecordSets")));
        restore(&ctx, &api).await.expect("written");
        assert_eq!(api.count("read"), 2, "the throttled one, the verifying one");
        assert_eq!(api.count("upsert"), 1);
        assert!(ctx.log.said("INFO:route53:restore:r53-app:053033:reading the A record app.example.com first was throttled"));
        assert!(ctx.log.said("(not read) -> 10.0.1.10 TTL 10"));
        assert_eq!(holds(&api), "10.0.1.10 TTL 10");
    }

    #[tokio::test(start_paused = true)]
    async fn in_a_storm_the_record_is_written_without_a_read_first_and_verified() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::holding("10.0.2.20", 10);
        api.storm.set(true);
        restore(&ctx, &api).await.expect("written");
        let calls: Vec<(Duration, String)> = api.calls.borrow().clone();
        let names: Vec<&str> = calls.iter().map(|(_, c)| c.as_str()).collect();
        // Verified while the change is pending, once, before the change
        // usually turns INSYNC (30 s where the node has learned nothing).
        assert_eq!(names, ["upsert 10.0.1.10 10", "read", "change C1"]);
        let read_at = calls[1].0;
        assert!(
            read_at >= Duration::from_secs(18) && read_at <= Duration::from_millis(28_500),
            "{read_at:?}"
        );
        assert!(ctx.log.said(":053033:Route 53 throttled this node lately (a storm): the A record app.example.com is not read before the UPSERT"));
        assert_eq!(holds(&api), "10.0.1.10 TTL 10");
    }

    #[tokio::test(start_paused = true)]
    async fn a_restore_that_finds_its_nodes_batch_of_the_zone_open_writes_without_a_read_first() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::holding("10.0.2.20", 10);
        api.batch_open.set(true);
        api.changes
            .borrow_mut()
            .extend([Ok(ChangeState::Pending), Ok(ChangeState::InSync)]);
        restore(&ctx, &api).await.expect("written");
        let calls: Vec<(Duration, String)> = api.calls.borrow().clone();
        let names: Vec<&str> = calls.iter().map(|(_, c)| c.as_str()).collect();
        // Out of a storm: verified after INSYNC, as ever.
        assert_eq!(
            names,
            ["upsert 10.0.1.10 10", "change C1", "change C1", "read"]
        );
        assert!(ctx.log.said(":053033:another restore on this node is sending a change of zone Z1 now: the A record app.example.com is not read before the UPSERT"));
        assert_eq!(holds(&api), "10.0.1.10 TTL 10");
    }

    /// A change accepted out of a storm whose status check is then
    /// throttled is verified while it is pending, as a storm's change is,
    /// not in the second it turns INSYNC.
    #[tokio::test(start_paused = true)]
    async fn a_calm_change_whose_check_was_throttled_is_verified_while_pending() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::holding("10.0.2.20", 10);
        api.changes.borrow_mut().extend(
            [Ok(ChangeState::Pending), Err(throttled("GetChange"))]
                .into_iter()
                .chain((0..7).map(|_| Ok(ChangeState::Pending))),
        );
        restore(&ctx, &api).await.expect("written");
        let calls: Vec<(Duration, String)> = api.calls.borrow().clone();
        let names: Vec<&str> = calls.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(names[..2], ["read", "upsert 10.0.1.10 10"], "{names:?}");
        let reads: Vec<usize> = (0..names.len()).filter(|&i| names[i] == "read").collect();
        assert_eq!(reads.len(), 2, "{names:?}");
        let (at, _) = &calls[reads[1]];
        // 60 % of the 30 s a change usually takes, with checks after it.
        assert_eq!(*at, Duration::from_secs(18), "{calls:?}");
        assert!(names[reads[1]..].contains(&"change C1"), "{names:?}");
        assert_eq!(names.last(), Some(&"change C1"), "{names:?}");
        assert_eq!(holds(&api), "10.0.1.10 TTL 10");
    }

    /// Out of a storm, a change that takes long is verified after INSYNC,
    /// once.
    #[tokio::test(start_paused = true)]
    async fn a_calm_change_is_verified_after_insync_however_long_it_takes() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::holding("10.0.2.20", 10);
        api.changes
            .borrow_mut()
            .extend((0..9).map(|_| Ok(ChangeState::Pending)));
        restore(&ctx, &api).await.expect("written");
        let calls: Vec<(Duration, String)> = api.calls.borrow().clone();
        let names: Vec<&str> = calls.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(
            names.iter().filter(|n| **n == "read").count(),
            2,
            "{names:?}"
        );
        assert_eq!(names.last(), Some(&"read"), "{names:?}");
        assert!(
            calls[calls.len() - 2].0 > Duration::from_secs(18),
            "{calls:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_upsert_refused_for_a_routing_policy_record_not_read_first_is_named_and_left() {
        // Not read first: in a storm, with the node's batch of the zone
        // open, or where the read was throttled.
        for (storm, open) in [(true, false), (false, true), (false, false)] {
            let ctx = crate::actions::testing::ctx(SETTINGS);
            let mut weighted = ARecord::simple("app.example.com.", &["10.9.9.9"], 60);
            weighted.routing = Some(crate::record::Routing {
                policy: "weighted",
                set_identifier: "blue".into(),
            });
            let api = Scripted::new(Some(weighted));
            api.storm.set(storm);
            api.batch_open.set(open);
            if !storm && !open {
                api.reads
                    .borrow_mut()
                    .push_back(Err(throttled("ListResourceRecordSets")));
            }
            let e = restore(&ctx, &api).await.expect_err("not the kit's record");
            assert_eq!(e.exit_status(), ExitStatus::Route53);
            let text = e.to_string();
            assert!(text.contains("weighted"), "{text}");
            assert!(text.contains("Route 53 refused the UPSERT"), "{text}");
            assert_eq!(api.count("upsert"), 1);
            assert!(api.current().expect("kept").routing.is_some(), "untouched");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_status_check_that_fails_counts_as_one_check() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::new(None);
        api.changes
            .borrow_mut()
            .extend([Err(no_answer("GetChange")), Ok(ChangeState::InSync)]);
        restore(&ctx, &api)
            .await
            .expect("in sync at the second check");
        assert!(ctx.log.said("status check 1 of 53 failed"));
    }

    #[tokio::test(start_paused = true)]
    async fn dry_run_says_what_would_change_and_changes_nothing() {
        let mut ctx = crate::actions::testing::ctx(SETTINGS);
        ctx.dry_run = true;
        let api = Scripted::holding("192.0.2.99", 300);
        restore(&ctx, &api).await.expect("dry run");
        assert_eq!(api.count("upsert"), 0);
        assert!(ctx.log.said("NOTIFY:route53:restore:r53-app:053050:dry run: would set A record app.example.com in zone Z1: 192.0.2.99 TTL 300 -> 10.0.1.10 TTL 10; nothing changed"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_first_read_without_an_answer_still_writes_and_verifies() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::holding("10.0.2.20", 10);
        api.reads
            .borrow_mut()
            .push_back(Err(no_answer("ListResourceRecordSets")));
        restore(&ctx, &api).await.expect("written");
        assert!(ctx.log.said("updating it anyway"));
        assert!(ctx.log.said("(not read) -> 10.0.1.10 TTL 10"));
        assert_eq!(holds(&api), "10.0.1.10 TTL 10");
    }

    #[tokio::test(start_paused = true)]
    async fn a_first_read_refused_ends_the_action_without_a_write() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::new(None);
        api.reads
            .borrow_mut()
            .push_back(Err(denied("ListResourceRecordSets")));
        let e = restore(&ctx, &api).await.expect_err("refused");
        assert_eq!(e.exit_status(), ExitStatus::Route53);
        assert_eq!(api.count("upsert"), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn another_writer_after_ours_fails_verification_with_exit_1() {
        let ctx = crate::actions::testing::ctx(SETTINGS);
        let api = Scripted::new(None);
        // The first read (before the write) sees nothing; the verifying
        // read sees the other node's address.
        api.reads.borrow_mut().extend([
            Ok(None),
            Ok(Some(ARecord::simple(
                "app.example.com.",
                &["10.0.2.20"],
                10,
            ))),
        ]);
        let e = restore(&ctx, &api).await.expect_err("overwritten");
        assert_eq!(e.exit_status(), ExitStatus::Failed);
        let text = e.to_string();
        assert!(
            text.contains("holds 10.0.2.20; IP resource ip-10.0.1.10 holds 10.0.1.10"),
            "{text}"
        );
        assert!(text.contains("something else wrote it"), "{text}");
    }
}
