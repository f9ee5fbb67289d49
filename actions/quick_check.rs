//! quickCheck: does the A record hold the IP resource's address?
//!
//! Read the record up to `ROUTE53_RECORDCHECK_TRY_COUNT` times. Could not
//! read it at all, or could not finish within `ROUTE53_QUICKCHECK_TIMEOUT`:
//! warn and pass (an API outage must never fail the service over). Record
//! missing or holding another address: fail, and LifeKeeper recovers. Only
//! the TTL differs: warn and pass (the next restore applies the TTL).
//! Problems on the LifeKeeper side (no IP child, a broken LCD command) are
//! logged as errors and pass too, as LifeKeeper's own kits do: a broken
//! check must never cause a failover.

use std::io::IsTerminal;
use std::time::Duration;

use crate::actions::restore::read_with_tries;
use crate::context::Ctx;
use crate::error::ActionError;
use crate::lock;
use crate::log::Msg;
use crate::record::{compare, describe, Verdict};
use crate::resource;
use crate::route53::Route53;
use crate::settings;

pub async fn run(ctx: &Ctx, tag: &str) -> Result<(), ActionError> {
    let limit = ctx.settings.secs(settings::QUICKCHECK_TIMEOUT);
    match tokio::time::timeout(limit, check(ctx, tag)).await {
        Ok(result) => result,
        Err(_) => {
            ctx.log.warn(
                Msg::CheckUnreadable,
                &format!(
                    "check did not finish within ROUTE53_QUICKCHECK_TIMEOUT={} s; passing",
                    limit.as_secs()
                ),
            );
            Ok(())
        }
    }
}

async fn check(ctx: &Ctx, tag: &str) -> Result<(), ActionError> {
    // An action that changes the record is running: the record may be in
    // between, and that action reports its own verdict.
    let _lock = match lock::acquire(tag, Duration::ZERO).await {
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
    let l = match resource::load(&ctx.lcd, tag).await {
        Ok(l) => l,
        Err(e) => {
            ctx.log.error(
                Msg::Internal,
                &format!("cannot check: {e}; passing, so that a broken check never fails the service over"),
            );
            return Ok(());
        }
    };
    let api = Route53::connect(&ctx.settings).await;
    let ttl = u32::try_from(ctx.settings.num(settings::TTL)).unwrap_or(u32::MAX);
    let record = match read_with_tries(ctx, &api, &l).await {
        Ok(r) => r,
        Err(e) => {
            ctx.log.warn(
                Msg::CheckUnreadable,
                &format!(
                    "could not read the A record {} in zone {}: {e}; passing (an API outage does not fail the service over)",
                    l.resource.hostname, l.resource.zone_id
                ),
            );
            return Ok(());
        }
    };
    let name = &l.resource.hostname;
    let zone = &l.resource.zone_id;
    match compare(record.as_ref(), l.address, ttl) {
        Verdict::InSync => {
            // Every two minutes on every node: silent in the log, but an
            // operator at a terminal is told.
            if std::io::stderr().is_terminal() {
                ctx.log.info(
                    Msg::CheckOk,
                    &format!(
                        "A record {name} in zone {zone} holds {} (TTL {ttl})",
                        l.address
                    ),
                );
            }
            Ok(())
        }
        Verdict::TtlDiffers { have, want } => {
            ctx.log.warn(
                Msg::CheckTtl,
                &format!(
                    "A record {name} holds {} but with TTL {} instead of ROUTE53_TTL={want}; the next restore or recover applies it",
                    l.address,
                    have.map_or_else(|| "-".to_string(), |t| t.to_string())
                ),
            );
            Ok(())
        }
        Verdict::Missing => Err(ActionError::Mismatch(format!(
            "there is no A record {name} in zone {zone}; it should hold {} (IP resource {})",
            l.address, l.ip_tag
        ))),
        Verdict::AddressDiffers { .. } | Verdict::NotSimple(_) => {
            Err(ActionError::Mismatch(format!(
                "the A record {name} in zone {zone} holds {}, not {} (IP resource {})",
                describe(record.as_ref()),
                l.address,
                l.ip_tag
            )))
        }
    }
}
