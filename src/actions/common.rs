//! What the procedures share: the record a resource should hold, read
//! with the record-check tries, and how an action that moves the record
//! takes the resource's lock.

use crate::aws::{RecordApi, Route53Error};
use crate::context::Ctx;
use crate::lock::{self, Held, LockError};
use crate::log::Msg;
use crate::record::ARecord;
use crate::resource::Loaded;
use crate::retry::{with_tries, Mend};
use crate::verdict::Subject;

/// Take the resource's lock for an action that moves the record (restore,
/// recover, the recovery program). Moving the record matters more than
/// the lock: only another action holding it stops the action (exit 6
/// after `ROUTE53_LOCK_WAIT`); a lock that cannot be had for another
/// reason is warned about and the action goes on without it.
pub(crate) async fn lock_to_move<L>(ctx: &Ctx<L>, tag: &str) -> Result<Option<Held>, LockError> {
    ctx.progress.stage("waiting for the resource's lock");
    match lock::acquire(&ctx.locks, tag, ctx.settings.lock_wait(), &ctx.log).await {
        Ok(held) => Ok(Some(held)),
        Err(e @ LockError::Busy { .. }) => Err(e),
        Err(e) => {
            ctx.log
                .warn(Msg::Busy, &format!("{e}; going on without the lock"));
            Ok(None)
        }
    }
}

/// What the record should hold, for messages.
pub(crate) fn subject<'a, L>(ctx: &Ctx<L>, l: &'a Loaded) -> Subject<'a> {
    Subject {
        name: &l.resource.hostname,
        zone: &l.resource.zone_id,
        address: l.address,
        source: &l.source,
        ttl: ctx.settings.ttl(),
    }
}

/// Read the record up to `ROUTE53_RECORDCHECK_TRY_COUNT` times,
/// `ROUTE53_RECORDCHECK_INTERVAL` apart; the last error when no read worked.
pub(crate) async fn read_with_tries<L, A: RecordApi>(
    ctx: &Ctx<L>,
    api: &A,
    l: &Loaded,
) -> Result<Option<ARecord>, Route53Error> {
    let tries = ctx.settings.recordcheck_tries();
    with_tries(
        tries,
        Mend::Retryable,
        || api.read_a(&l.resource.zone_id, &l.resource.hostname),
        |try_no, e| {
            ctx.log.warn(
                Msg::ReadRetry,
                &format!(
                    "reading the A record, try {try_no} of {}, failed: {e}; trying again in {} s",
                    tries.count,
                    tries.interval.as_secs()
                ),
            )
        },
    )
    .await
}

/// The zone and host name LifeKeeper's `-i route53:ZONE:HOST` names.
pub(crate) fn id_target(id: Option<&str>) -> Option<(String, String)> {
    let rest = id?.strip_prefix("route53:")?;
    let (zone, host) = rest.split_once(':')?;
    (!zone.is_empty() && !host.is_empty()).then(|| (zone.to_string(), host.to_string()))
}
