//! The wait for INSYNC, as a schedule over tokio time. The SDK's waiter
//! polls every 30 to 120 s and cannot be tuned, so the kit keeps its own.
//!
//! Both schedules spend the same budget, `ROUTE53_CHANGEID_INTERVAL` x
//! `ROUTE53_CHANGEID_TRY_COUNT` from the moment Route 53 accepted the
//! change, and end with a check at its very end:
//! - adaptive (the default): a check 1 s after the change was accepted,
//!   then every 1.25 s up to 60 s (so a change INSYNC within a minute is
//!   seen within 1.25 s), then gaps growing by half each time; never more
//!   than the interval apart. Where other changes are pending on the node,
//!   the node's request budget spaces the checks further apart;
//! - fixed (`ROUTE53_CHANGEID_POLL=fixed`): the documented cadence, a check
//!   every interval, the first one interval after the change was accepted.
//!
//! In a storm (the node saw Route 53 throttle lately), either schedule
//! yields: the first check waits [`STORM_FIRST`], about as long as a
//! change usually takes to be INSYNC (Route 53 says they generally are
//! within 60 s), and the later ones back off from [`STORM_GAP`] by half
//! each time, never more than the interval apart, so that a storm's
//! changes are checked about once each. A lone resource keeps its
//! schedule.
//!
//! No check starts after the budget's end, however long the checks before
//! it took, so the wait overruns its budget by at most one call.

use std::time::Duration;

use tokio::time::Instant;

use crate::aws::budget::Waiting;
use crate::aws::{ChangeState, RecordApi, Route53Error};
use crate::settings::{PollMode, Tries};

/// In a storm, the first check comes this long after the change was
/// accepted.
pub(crate) const STORM_FIRST: Duration = Duration::from_secs(30);
/// In a storm, the checks after the first are this far apart, then half as
/// far again each time.
pub(crate) const STORM_GAP: Duration = Duration::from_secs(5);

/// What the node says about the pace of status checks, asked before each.
pub(crate) trait Pacing {
    /// The least time between two checks of this process.
    fn gap(&self) -> Duration;
    /// Whether the node is in a storm.
    fn storm(&self) -> bool;
    /// The change's state as another process of the node saw it lately,
    /// where that stands for a check.
    fn known(&self) -> Option<ChangeState> {
        None
    }
    /// The state this process saw, for the others.
    fn saw(&self, _state: ChangeState) {}
    /// A number from 0 to 1 that spreads the storm checks of this change.
    fn spread(&self) -> f64 {
        0.0
    }
    /// The node's processes waiting for the same change that check before
    /// this one.
    fn rank(&self) -> usize {
        0
    }
}

/// How much later than the first a process that waits for the same change
/// as others makes its checks, per place: by then, what the first saw
/// stands for its check.
const RANK_STEP: Duration = Duration::from_millis(300);

impl Pacing for Waiting {
    fn gap(&self) -> Duration {
        Waiting::gap(self)
    }

    fn storm(&self) -> bool {
        Waiting::storm(self)
    }

    fn known(&self) -> Option<ChangeState> {
        Waiting::known(self)
    }

    fn saw(&self, state: ChangeState) {
        Waiting::saw(self, Some(state))
    }

    fn spread(&self) -> f64 {
        Waiting::spread(self)
    }

    fn rank(&self) -> usize {
        Waiting::rank(self)
    }
}

/// The pace of a lone process: no gap, no storm.
#[cfg(test)]
pub(crate) struct Alone;

#[cfg(test)]
impl Pacing for Alone {
    fn gap(&self) -> Duration {
        Duration::ZERO
    }

    fn storm(&self) -> bool {
        false
    }
}

/// When each change-status check is due, counted from the accepted change.
pub(crate) fn schedule(mode: PollMode, tries: Tries) -> Vec<Duration> {
    match mode {
        PollMode::Fixed => (1..=tries.count).map(|k| tries.interval * k).collect(),
        PollMode::Adaptive => adaptive(tries),
    }
}

fn adaptive(tries: Tries) -> Vec<Duration> {
    let cap = tries.interval.as_millis() as u64;
    let budget = cap * u64::from(tries.count);
    let mut at = Vec::new();
    let mut t: u64 = 1000.min(cap);
    let mut late_gap: u64 = 4000;
    while t < budget {
        at.push(t);
        let gap = if t < 60_000 {
            1250
        } else {
            late_gap = (late_gap * 3 / 2).min(cap.max(4000));
            late_gap
        };
        t += gap.min(cap).max(1);
    }
    at.push(budget);
    at.into_iter().map(Duration::from_millis).collect()
}

/// What one check saw, for the log.
#[derive(Debug)]
pub(crate) enum Poll<'a> {
    Pending {
        try_no: usize,
        of: usize,
        elapsed: Duration,
    },
    Error {
        try_no: usize,
        of: usize,
        elapsed: Duration,
        error: &'a Route53Error,
    },
}

/// How the wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    InSync {
        elapsed: Duration,
        polls: usize,
    },
    /// The budget ran out with the change still pending (or unknown).
    GaveUp {
        elapsed: Duration,
        polls: usize,
    },
}

/// Check the change at each due time of `due` (from `start`) until it is
/// INSYNC or the schedule ends. A check that fails with a retryable error
/// counts as one check; any other error ends the wait. A check whose due
/// time has passed while an earlier one ran is made at once, and none is
/// started after the last due time. Two checks are at least `pace.gap()`
/// apart (the node's pending changes share the request budget), and in a
/// storm further (see the module's words); either may put a check after
/// its due time, never after the last one.
pub(crate) async fn wait_insync<A: RecordApi>(
    api: &A,
    change_id: &str,
    start: Instant,
    due: &[Duration],
    pace: &impl Pacing,
    mut report: impl FnMut(Poll<'_>),
) -> Result<Outcome, Route53Error> {
    let of = due.len();
    let Some(deadline) = due.last().map(|d| start + *d) else {
        return Ok(Outcome::GaveUp {
            elapsed: start.elapsed(),
            polls: 0,
        });
    };
    let mut polls = 0;
    let mut storm_checks = 0;
    let mut last: Option<Instant> = None;
    for (i, at) in due.iter().enumerate() {
        let now = Instant::now();
        if now > deadline || last.is_some_and(|l| l >= deadline) {
            break;
        }
        // Checks that fell due while an earlier one ran: make only the
        // latest of them.
        if due.get(i + 1).is_some_and(|next| start + *next <= now) {
            continue;
        }
        let when = check_time(start + *at, start, last, &mut storm_checks, due, pace);
        tokio::time::sleep_until(when.min(deadline)).await;
        last = Some(Instant::now());
        polls += 1;
        let try_no = polls;
        match state_of(api, change_id, pace).await {
            Ok(ChangeState::InSync) => {
                return Ok(Outcome::InSync {
                    elapsed: start.elapsed(),
                    polls,
                })
            }
            Ok(ChangeState::Pending) => report(Poll::Pending {
                try_no,
                of,
                elapsed: start.elapsed(),
            }),
            Err(e) if e.is_retryable() => report(Poll::Error {
                try_no,
                of,
                elapsed: start.elapsed(),
                error: &e,
            }),
            Err(e) => return Err(e),
        }
    }
    Ok(Outcome::GaveUp {
        elapsed: start.elapsed(),
        polls,
    })
}

/// When the check due at `due_at` is made: held back by a storm's pace
/// (a wait that saw a storm keeps to it; `storm_checks` counts its
/// checks) and by the node's gap after the `last` check, then stepped by
/// the process's rank among the node's waiting changes.
fn check_time(
    due_at: Instant,
    start: Instant,
    last: Option<Instant>,
    storm_checks: &mut u32,
    due: &[Duration],
    pace: &impl Pacing,
) -> Instant {
    let mut when = due_at;
    if *storm_checks > 0 || pace.storm() {
        // The first check of a storm comes at a random part of a gap
        // after STORM_FIRST, so that changes accepted together are not
        // checked together.
        let first = STORM_FIRST + STORM_GAP.mul_f64(pace.spread());
        when = when.max(start + first);
        if let Some(last) = last.filter(|_| *storm_checks > 0) {
            when = when.max(last + storm_gap(*storm_checks, due));
        }
        *storm_checks += 1;
    }
    if let Some(last) = last {
        when = when.max(last + pace.gap());
    }
    when + RANK_STEP * pace.rank().min(20) as u32
}

/// The change's state: one another restore of the batch saw lately
/// stands for a check; only a state seen here is passed on.
async fn state_of<A: RecordApi>(
    api: &A,
    change_id: &str,
    pace: &impl Pacing,
) -> Result<ChangeState, Route53Error> {
    if let Some(state) = pace.known() {
        return Ok(state);
    }
    let state = api.change_state(change_id).await;
    if let Ok(s) = &state {
        pace.saw(*s);
    }
    state
}

/// The gap after the `k`th check of a storm: [`STORM_GAP`], half as much
/// again each time, never more than the schedule's widest gap (the
/// interval).
fn storm_gap(k: u32, due: &[Duration]) -> Duration {
    let widest = due
        .windows(2)
        .map(|w| w[1] - w[0])
        .chain(due.first().copied())
        .max()
        .unwrap_or(STORM_GAP);
    STORM_GAP
        .mul_f64(1.5f64.powi(k.saturating_sub(1).min(20) as i32))
        .min(widest.max(STORM_GAP))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// Answers GetChange from a script (INSYNC where it runs out) and notes
    /// when each check came, on the paused clock.
    struct Scripted {
        changes: RefCell<VecDeque<Result<ChangeState, Route53Error>>>,
        calls: RefCell<Vec<(Duration, String)>>,
        start: Instant,
    }

    impl Scripted {
        fn new(_: Option<()>) -> Scripted {
            Scripted {
                changes: RefCell::default(),
                calls: RefCell::default(),
                start: Instant::now(),
            }
        }

        fn count(&self, _: &str) -> usize {
            self.calls.borrow().len()
        }
    }

    impl RecordApi for Scripted {
        async fn read_a(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Option<crate::record::ARecord>, Route53Error> {
            unreachable!("the wait reads no record")
        }
        async fn upsert_a(
            &self,
            _: &str,
            _: &str,
            _: std::net::Ipv4Addr,
            _: u32,
            _: &str,
        ) -> Result<crate::aws::api::Accepted, Route53Error> {
            unreachable!("the wait writes no record")
        }
        async fn change_state(&self, id: &str) -> Result<ChangeState, Route53Error> {
            self.calls
                .borrow_mut()
                .push((self.start.elapsed(), format!("change {id}")));
            self.changes
                .borrow_mut()
                .pop_front()
                .unwrap_or(Ok(ChangeState::InSync))
        }
        fn waiting(&self, _: &str) -> crate::aws::budget::Waiting {
            crate::aws::budget::Waiting::alone()
        }
    }

    /// A node that asks for this gap, in a storm or not.
    struct Paced {
        gap: Duration,
        storm: bool,
    }

    impl Pacing for Paced {
        fn gap(&self) -> Duration {
            self.gap
        }
        fn storm(&self) -> bool {
            self.storm
        }
    }

    fn refused(code: &str, retryable: bool) -> Route53Error {
        Route53Error::Refused {
            operation: "GetChange",
            zone: "-".into(),
            code: code.into(),
            message: "m".into(),
            retryable,
        }
    }

    fn throttled(_: &str) -> Route53Error {
        refused("Throttling", true)
    }

    fn denied(_: &str) -> Route53Error {
        refused("AccessDenied", false)
    }

    fn tries(interval: u64, count: u32) -> Tries {
        Tries {
            count,
            interval: Duration::from_secs(interval),
        }
    }

    fn asked_at(api: &Scripted) -> Vec<Duration> {
        api.calls.borrow().iter().map(|(t, _)| *t).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn checks_follow_the_fixed_cadence_until_insync() {
        let api = Scripted::new(None);
        api.changes.borrow_mut().extend([
            Ok(ChangeState::Pending),
            Err(throttled("GetChange")),
            Ok(ChangeState::InSync),
        ]);
        let due = schedule(PollMode::Fixed, tries(20, 5));
        let mut seen = 0;
        let out = wait_insync(&api, "C1", Instant::now(), &due, &Alone, |_| seen += 1)
            .await
            .expect("no fatal error");
        assert_eq!(
            out,
            Outcome::InSync {
                elapsed: Duration::from_secs(60),
                polls: 3
            }
        );
        assert_eq!(seen, 2);
        assert_eq!(
            asked_at(&api),
            vec![
                Duration::from_secs(20),
                Duration::from_secs(40),
                Duration::from_secs(60)
            ]
        );
    }

    fn secs(due: &[Duration]) -> Vec<f64> {
        due.iter().map(Duration::as_secs_f64).collect()
    }

    /// The largest wait between a change turning INSYNC at `insync` and the
    /// next check.
    fn lag(at: &[f64], insync: f64) -> f64 {
        at.iter()
            .find(|t| **t >= insync)
            .map_or(f64::INFINITY, |t| t - insync)
    }

    #[test]
    fn adaptive_schedule_meets_its_goals_at_default_settings() {
        let at = secs(&schedule(PollMode::Adaptive, tries(20, 5)));
        assert!(at.len() <= 55, "{} checks: {at:?}", at.len());
        assert_eq!(at.last().copied(), Some(100.0), "the budget is the same");
        for i in 0..1000 {
            let insync = f64::from(i) * 0.1;
            let l = lag(&at, insync);
            // Under 1.5 s of lag for any change INSYNC within a minute.
            if (1.0..=60.0).contains(&insync) {
                assert!(
                    l <= 1.25 + 1e-9,
                    "INSYNC at {insync}: next check {l} s later"
                );
            }
            assert!(l <= 20.0);
        }
        // Never more than the interval apart.
        let due = schedule(PollMode::Adaptive, tries(20, 5));
        assert!(due
            .windows(2)
            .all(|w| w[1] - w[0] <= Duration::from_secs(20)));
    }

    #[test]
    fn adaptive_schedule_keeps_small_and_large_budgets() {
        assert_eq!(
            secs(&schedule(PollMode::Adaptive, tries(1, 3))),
            vec![1.0, 2.0, 3.0]
        );
        let due = schedule(PollMode::Adaptive, tries(600, 100));
        assert_eq!(due.last().copied(), Some(Duration::from_secs(60000)));
        assert!(due
            .windows(2)
            .all(|w| w[1] - w[0] <= Duration::from_secs(600)));
        assert!(due.len() < 200, "{}", due.len());
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_stuck_pending_gives_up_at_the_end_of_the_budget() {
        let api = Scripted::new(None);
        api.changes
            .borrow_mut()
            .extend((0..10).map(|_| Ok(ChangeState::Pending)));
        let due = schedule(PollMode::Fixed, tries(20, 5));
        let out = wait_insync(&api, "C1", Instant::now(), &due, &Alone, |_| {})
            .await
            .expect("ok");
        assert_eq!(
            out,
            Outcome::GaveUp {
                elapsed: Duration::from_secs(100),
                polls: 5
            }
        );
    }

    /// A check that takes long does not push the later ones past the
    /// budget: due checks are made at once, and none starts after the end.
    #[tokio::test(start_paused = true)]
    async fn slow_checks_never_start_after_the_budget() {
        struct Slow(Scripted);
        impl RecordApi for Slow {
            async fn read_a(
                &self,
                z: &str,
                n: &str,
            ) -> Result<Option<crate::record::ARecord>, Route53Error> {
                self.0.read_a(z, n).await
            }
            async fn upsert_a(
                &self,
                z: &str,
                n: &str,
                a: std::net::Ipv4Addr,
                t: u32,
                c: &str,
            ) -> Result<crate::aws::api::Accepted, Route53Error> {
                self.0.upsert_a(z, n, a, t, c).await
            }
            async fn change_state(&self, id: &str) -> Result<ChangeState, Route53Error> {
                let r = self.0.change_state(id).await;
                // Each check hangs for 7 s before it fails.
                tokio::time::sleep(Duration::from_secs(7)).await;
                r
            }
            fn waiting(&self, _: &str) -> crate::aws::budget::Waiting {
                crate::aws::budget::Waiting::alone()
            }
        }
        let api = Slow(Scripted::new(None));
        api.0
            .changes
            .borrow_mut()
            .extend((0..50).map(|_| Err(throttled("GetChange"))));
        let start = Instant::now();
        let due = schedule(PollMode::Adaptive, tries(1, 10));
        let out = wait_insync(&api, "C1", start, &due, &Alone, |_| {})
            .await
            .expect("ok");
        // The budget is 10 s; the last check starts by then and takes 7 s.
        let Outcome::GaveUp { elapsed, polls } = out else {
            panic!("{out:?}")
        };
        assert!(elapsed <= Duration::from_secs(17), "{elapsed:?}");
        assert!(polls < 10, "{polls} checks");
        assert!(asked_at(&api.0)
            .iter()
            .all(|t| *t <= Duration::from_secs(10)));
    }

    #[tokio::test(start_paused = true)]
    async fn access_denied_ends_the_wait_at_once() {
        let api = Scripted::new(None);
        api.changes.borrow_mut().push_back(Err(denied("GetChange")));
        let due = schedule(PollMode::Fixed, tries(20, 5));
        assert!(
            wait_insync(&api, "C1", Instant::now(), &due, &Alone, |_| {})
                .await
                .is_err()
        );
        assert_eq!(api.count("change"), 1);
    }

    /// With other changes pending on the node, checks keep the gap the
    /// budget gives them, and the last one still comes at the budget's end.
    #[tokio::test(start_paused = true)]
    async fn checks_keep_the_pending_gap_and_end_at_the_budget() {
        let api = Scripted::new(None);
        api.changes
            .borrow_mut()
            .extend((0..30).map(|_| Ok(ChangeState::Pending)));
        let due = schedule(PollMode::Adaptive, tries(20, 5));
        let out = wait_insync(
            &api,
            "C1",
            Instant::now(),
            &due,
            &Paced {
                gap: Duration::from_secs(12),
                storm: false,
            },
            |_| {},
        )
        .await
        .expect("ok");
        let at = asked_at(&api);
        assert_eq!(at.first(), Some(&Duration::from_secs(1)), "{at:?}");
        // The last check is the budget's end, whatever the gap.
        let (end, before) = at.split_last().expect("checks");
        assert_eq!(*end, Duration::from_secs(100), "{at:?}");
        assert!(
            before
                .windows(2)
                .all(|w| w[1] - w[0] >= Duration::from_secs(12)),
            "{at:?}"
        );
        assert!(before.iter().all(|t| t < end), "{at:?}");
        assert!(matches!(out, Outcome::GaveUp { .. }));
    }

    /// In a storm, the first check waits about as long as a change usually
    /// takes, the later ones back off, and the last still comes at the
    /// budget's end: a change INSYNC at 31 s costs two checks, not 25.
    #[tokio::test(start_paused = true)]
    async fn in_a_storm_the_checks_wait_then_back_off() {
        let api = Scripted::new(None);
        api.changes
            .borrow_mut()
            .extend((0..30).map(|_| Ok(ChangeState::Pending)));
        let due = schedule(PollMode::Adaptive, tries(20, 5));
        let storm = Paced {
            gap: Duration::ZERO,
            storm: true,
        };
        let out = wait_insync(&api, "C1", Instant::now(), &due, &storm, |_| {})
            .await
            .expect("ok");
        let at: Vec<f64> = asked_at(&api).iter().map(Duration::as_secs_f64).collect();
        assert_eq!(at[..4], [30.0, 35.0, 42.5, 53.75], "{at:?}");
        assert_eq!(at.last().copied(), Some(100.0), "{at:?}");
        assert!(at.len() <= 8, "{at:?}");
        assert!(matches!(out, Outcome::GaveUp { .. }));

        let api = Scripted::new(None);
        api.changes.borrow_mut().push_back(Ok(ChangeState::Pending));
        let out = wait_insync(&api, "C1", Instant::now(), &due, &storm, |_| {})
            .await
            .expect("ok");
        assert_eq!(
            out,
            Outcome::InSync {
                elapsed: Duration::from_secs(35),
                polls: 2
            }
        );
    }
}
