//! restore (and recover): point the A record at the IP resource's address.
//!
//! 1. Read the address of the dependent IP resource.
//! 2. Read the A record with one exact lookup. Already the address and the
//!    TTL: done, no change.
//! 3. UPSERT the record (address, `ROUTE53_TTL`), up to
//!    `ROUTE53_RECORD_TRY_COUNT` tries `ROUTE53_RECORD_INTERVAL` apart.
//! 4. Poll the change until INSYNC, `ROUTE53_CHANGEID_TRY_COUNT` checks
//!    `ROUTE53_CHANGEID_INTERVAL` apart; not INSYNC by then: fail, saying
//!    the record was written.
//! 5. Verify that the record holds the address.

use crate::context::Ctx;
use crate::error::{ActionError, Route53Error};
use crate::lock;
use crate::log::Msg;
use crate::poll::{self, Outcome, Poll};
use crate::record::{compare, describe, ARecord, Verdict};
use crate::resource::{self, Loaded};
use crate::route53::{RecordApi, Route53};
use crate::settings;

/// `restore -t TAG` and `recover -t TAG`.
pub async fn run(ctx: &Ctx, tag: &str) -> Result<(), ActionError> {
    resource::check_tag("tag", tag)?;
    let _lock = lock::acquire(tag, ctx.settings.secs(settings::LOCK_WAIT)).await?;
    let loaded = resource::load(&ctx.lcd, tag).await?;
    let api = Route53::connect(&ctx.settings).await;
    put_right(ctx, &api, &loaded).await
}

/// Make the record hold the address, and prove it.
pub async fn put_right<A: RecordApi>(ctx: &Ctx, api: &A, l: &Loaded) -> Result<(), ActionError> {
    let s = &ctx.settings;
    let zone = &l.resource.zone_id;
    let name = &l.resource.hostname;
    let ttl = u32::try_from(s.num(settings::TTL)).unwrap_or(u32::MAX);

    let (current, read) = match api.read_a(zone, name).await {
        Ok(r) => (r, true),
        Err(e) if e.is_retryable() && !ctx.dry_run => {
            ctx.log.warn(
                Msg::ReadRetry,
                &format!("could not read the A record {name} first ({e}); updating it anyway"),
            );
            (None, false)
        }
        Err(e) => return Err(e.into()),
    };
    let verdict = if read {
        compare(current.as_ref(), l.address, ttl)
    } else {
        Verdict::Missing
    };
    match &verdict {
        Verdict::InSync => {
            ctx.log.info(
                Msg::RecordOk,
                &format!(
                    "A record {name} in zone {zone} already holds {} with TTL {ttl}; no change made",
                    l.address
                ),
            );
            return Ok(());
        }
        Verdict::NotSimple(what) => {
            return Err(Route53Error::NotSimple {
                name: name.clone(),
                zone: zone.clone(),
                what: what.clone(),
            }
            .into())
        }
        _ => {}
    }
    if ctx.dry_run {
        ctx.log.notify(
            Msg::DryRun,
            &format!(
                "dry run: would set A record {name} in zone {zone}: {} -> {} TTL {ttl}; nothing changed",
                describe(current.as_ref()),
                l.address
            ),
        );
        return Ok(());
    }
    ctx.log.info(
        Msg::Upsert,
        &format!(
            "setting A record {name} in zone {zone}: {} -> {} TTL {ttl}",
            if read {
                describe(current.as_ref())
            } else {
                "(unread)".to_string()
            },
            l.address
        ),
    );

    let change_id = upsert(ctx, api, l, ttl).await?;

    let interval = s.secs(settings::CHANGEID_INTERVAL);
    let tries = s.num(settings::CHANGEID_TRY_COUNT);
    let schedule = match s.poll.0 {
        settings::PollMode::Adaptive => poll::adaptive_schedule(interval, tries),
        settings::PollMode::Fixed => poll::fixed_schedule(interval, tries),
    };
    let outcome = poll::wait_insync(api, &change_id, &schedule, |p| match p {
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
    })
    .await?;
    match outcome {
        Outcome::InSync { elapsed, polls } => ctx.log.info(
            Msg::InSync,
            &format!(
                "change {change_id} INSYNC after {:.1} s ({polls} status check{})",
                elapsed.as_secs_f64(),
                if polls == 1 { "" } else { "s" }
            ),
        ),
        Outcome::GaveUp { .. } => {
            return Err(ActionError::NotInSync {
                name: name.clone(),
                zone: zone.clone(),
                change_id,
                budget: interval * u32::try_from(tries).unwrap_or(u32::MAX),
                interval: interval.as_secs(),
                tries,
            })
        }
    }

    verify(ctx, api, l, ttl).await
}

/// UPSERT with the record tries; a refusal that no retry can mend ends it.
async fn upsert<A: RecordApi>(
    ctx: &Ctx,
    api: &A,
    l: &Loaded,
    ttl: u32,
) -> Result<String, ActionError> {
    let s = &ctx.settings;
    let tries = s.num(settings::RECORD_TRY_COUNT);
    let interval = s.secs(settings::RECORD_INTERVAL);
    let comment = format!("LifeKeeper {} on {}", l.resource.tag, l.instance.system);
    let mut try_no = 1;
    loop {
        match api
            .upsert_a(
                &l.resource.zone_id,
                &l.resource.hostname,
                l.address,
                ttl,
                &comment,
            )
            .await
        {
            Ok(id) => {
                ctx.log.info(
                    Msg::Upsert,
                    &format!("Route 53 accepted the change as {id}"),
                );
                return Ok(id);
            }
            Err(e) if e.is_retryable() && try_no < tries => {
                ctx.log.warn(
                    Msg::UpsertRetry,
                    &format!(
                        "record update try {try_no} of {tries} failed: {e}; trying again in {} s",
                        interval.as_secs()
                    ),
                );
                tokio::time::sleep(interval).await;
                try_no += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Read the record back, with the record-check tries.
async fn verify<A: RecordApi>(ctx: &Ctx, api: &A, l: &Loaded, ttl: u32) -> Result<(), ActionError> {
    let record = read_with_tries(ctx, api, l).await?;
    let verdict = compare(record.as_ref(), l.address, ttl);
    if verdict.holds_address() {
        ctx.log.notify(
            Msg::Verified,
            &format!(
                "A record {} in zone {} holds {} (TTL {ttl})",
                l.resource.hostname, l.resource.zone_id, l.address
            ),
        );
        Ok(())
    } else {
        Err(ActionError::Mismatch(format!(
            "after the change, the A record {} in zone {} holds {} instead of {}: something else wrote it (the other node?)",
            l.resource.hostname,
            l.resource.zone_id,
            describe(record.as_ref()),
            l.address
        )))
    }
}

/// Read the record up to `ROUTE53_RECORDCHECK_TRY_COUNT` times,
/// `ROUTE53_RECORDCHECK_INTERVAL` apart; the last error when no read worked.
pub async fn read_with_tries<A: RecordApi>(
    ctx: &Ctx,
    api: &A,
    l: &Loaded,
) -> Result<Option<ARecord>, Route53Error> {
    let s = &ctx.settings;
    let tries = s.num(settings::RECORDCHECK_TRY_COUNT);
    let interval = s.secs(settings::RECORDCHECK_INTERVAL);
    let mut try_no = 1;
    loop {
        match api.read_a(&l.resource.zone_id, &l.resource.hostname).await {
            Ok(r) => return Ok(r),
            Err(e) if e.is_retryable() && try_no < tries => {
                ctx.log.warn(
                    Msg::ReadRetry,
                    &format!(
                        "reading the A record, try {try_no} of {tries}, failed: {e}; trying again in {} s",
                        interval.as_secs()
                    ),
                );
                tokio::time::sleep(interval).await;
                try_no += 1;
            }
            Err(e) => return Err(e),
        }
    }
}
