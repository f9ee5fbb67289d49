//! The wait for INSYNC, as a schedule over tokio time. The SDK's waiter
//! polls every 30 to 120 s and cannot be tuned, so the kit keeps its own.
//!
//! Both schedules spend the same budget, `ROUTE53_CHANGEID_INTERVAL` x
//! `ROUTE53_CHANGEID_TRY_COUNT` from the moment Route 53 accepted the
//! change, and end with a check at its very end:
//! - adaptive (the default): a check 1 s after the change was accepted,
//!   then every 1.25 s for the first 6 s (so a change INSYNC within
//!   seconds is seen within 1.25 s); a change still PENDING then is checked
//!   less often as it ages (a gap of 30 % of the time it has been
//!   pending, up to 8 s, on the schedule's grid of 1.25 s up to 60 s and
//!   its growing gaps after: [`calm_gap`]), so that a change that takes half a
//!   minute costs about ten checks, not twenty-four; never more than the
//!   interval apart. Where other changes are pending on the node, the
//!   node's request budget spaces the checks further apart;
//! - fixed (`ROUTE53_CHANGEID_POLL=fixed`): the documented cadence, a check
//!   every interval, the first one interval after the change was accepted.
//!
//! In a storm (the node saw Route 53 throttle lately), either schedule
//! yields: every status check is a token of the account's quota, and a
//! check before the change can be INSYNC is wasted. The first check waits
//! as long as the node's changes have lately taken to turn INSYNC (learned
//! from the checks of its earlier changes: see [`Pacing::expected`]), else
//! [`STORM_FIRST`] (Route 53 says changes are generally INSYNC within
//! 60 s); the next ones follow [`STORM_GAP`] apart for a while (so that a
//! change INSYNC a little late is seen within that), then back off by half
//! each time, never more than the interval apart. So a storm's changes are
//! checked about once each, and a node that was throttled but whose
//! changes turn INSYNC fast still sees them within a gap. A lone resource
//! out of a storm keeps its schedule.
//!
//! No check starts after the budget's end, however long the checks before
//! it took, so the wait overruns its budget by at most one call.

use std::time::Duration;

use tokio::time::Instant;

use crate::aws::budget::Waiting;
use crate::aws::{ChangeState, RecordApi, Route53Error};
use crate::settings::{PollMode, Tries};

/// In a storm, the first check comes this long after the change was
/// accepted where the node has learned nothing better.
pub(crate) const STORM_FIRST: Duration = Duration::from_secs(30);
/// In a storm, the checks after the first are this far apart, for
/// [`STORM_CLOSE`] checks, then half as far again each time.
pub(crate) const STORM_GAP: Duration = Duration::from_millis(1250);
const STORM_CLOSE: u32 = 4;

/// What the node says about the pace of status checks, asked before each.
pub(crate) trait Pacing {
    /// The least time between two checks of this process.
    fn gap(&self) -> Duration;
    /// Whether the node is in a storm.
    fn storm(&self) -> bool;
    /// How long the node's changes have lately taken to turn INSYNC.
    fn expected(&self) -> Option<Duration> {
        None
    }
    /// A change turned INSYNC between these two times after it was
    /// accepted (the last check that saw it PENDING, the first that saw
    /// it INSYNC): for the node to learn.
    fn learn(&self, _pending: Duration, _insync: Duration) {}
    /// The change's state as another process of the node saw it lately,
    /// where that stands for a check, and how long ago it was seen.
    fn known(&self) -> Option<(ChangeState, Duration)> {
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
    /// Whether other processes of the node wait for the same change: then
    /// this one watches what they see while it waits for its next check.
    fn shared(&self) -> bool {
        false
    }
    /// How long after a throttled check the next one may come.
    fn after_throttle(&self) -> Duration {
        STORM_GAP
    }
}

/// How often a process that shares its change with others looks at what
/// they saw while it waits for its own next check.
const WATCH: Duration = Duration::from_millis(100);

/// How much later than the first a process that waits for the same change
/// as others makes its checks, per place: long enough for the first's
/// answer to come back even when the node's budget holds it a while, so
/// that what the first saw stands for the check. It watches meanwhile and
/// goes on as soon as the first saw INSYNC.
const RANK_STEP: Duration = Duration::from_millis(1500);

impl Pacing for Waiting {
    fn gap(&self) -> Duration {
        Waiting::gap(self)
    }

    fn storm(&self) -> bool {
        Waiting::storm(self)
    }

    fn known(&self) -> Option<(ChangeState, Duration)> {
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

    fn expected(&self) -> Option<Duration> {
        Waiting::expected(self)
    }

    fn learn(&self, pending: Duration, insync: Duration) {
        Waiting::learn(self, pending, insync)
    }

    fn shared(&self) -> bool {
        Waiting::shared(self)
    }

    fn after_throttle(&self) -> Duration {
        Waiting::after_throttle(self)
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
    // The last check that saw the change PENDING, for the node to learn
    // how long its changes take.
    let mut pending_seen: Option<Duration> = None;
    // After a throttled check, the next comes no sooner than this.
    let mut held: Option<Instant> = None;
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
        let calm = storm_checks == 0;
        // Out of a storm, a change still PENDING after its first seconds
        // is checked less often as it ages.
        // (The node's storm state, a file, is read only where it decides.)
        let too_soon = last.is_some_and(|l| start + *at < l + calm_gap(l - start));
        if calm && too_soon && i + 1 < due.len() && !pace.storm() {
            continue;
        }
        let when = check_time(start + *at, start, last, &mut storm_checks, due, pace);
        let when = held.map_or(when, |h| when.max(h));
        watch_until(when.min(deadline), pace).await;
        // Its place among the processes waiting for the same change, asked
        // when its check comes (the others register as they get the
        // change ID).
        let place = pace.rank().min(20) as u32;
        if place > 0 {
            watch_until((Instant::now() + RANK_STEP * place).min(deadline), pace).await;
            // The first one's check was throttled meanwhile: this one
            // keeps to the storm's pace too.
            if calm
                && storm_checks == 0
                && pace.storm()
                && pace.known().is_none()
                && i + 1 < due.len()
            {
                continue;
            }
        }
        polls += 1;
        let try_no = polls;
        // A check another process made stands for this one as of when it
        // was made, so the processes of one change keep one calm pace
        // rather than each its own, a step apart.
        let (state, made) = state_of(api, change_id, pace).await;
        last = Some(made);
        match state {
            Ok(ChangeState::InSync) => {
                // Learnt only where a PENDING check bounds it from below
                // too, or where the checks were close together from the
                // start (out of a storm): a first check that found it
                // INSYNC says only "by then".
                let elapsed = start.elapsed();
                match pending_seen {
                    Some(p) => pace.learn(p, elapsed),
                    None if storm_checks == 0 => pace.learn(Duration::ZERO, elapsed),
                    None => {}
                }
                return Ok(Outcome::InSync { elapsed, polls });
            }
            Ok(ChangeState::Pending) => {
                pending_seen = Some(start.elapsed());
                report(Poll::Pending {
                    try_no,
                    of,
                    elapsed: start.elapsed(),
                })
            }
            // Said where it came; the storm it starts holds the next
            // check back.
            Err(e) if e.is_throttling() => held = Some(Instant::now() + pace.after_throttle()),
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

/// Out of a storm, the least time between two checks of a change that was
/// last checked `elapsed` after it was accepted: none within
/// [`CALM_CLOSE`] (the schedule's own gaps), then [`CALM_SHARE`] of the
/// time it has been pending, from [`STORM_GAP`] up to [`CALM_GAP_MAX`].
/// A change INSYNC within seconds is seen within a gap; one that takes
/// longer is seen at most about a third of its time late, and its checks
/// cost the account's quota a few requests, not one every 1.25 s.
fn calm_gap(elapsed: Duration) -> Duration {
    if elapsed < CALM_CLOSE {
        return Duration::ZERO;
    }
    elapsed.mul_f64(CALM_SHARE).clamp(STORM_GAP, CALM_GAP_MAX)
}

/// See [`calm_gap`].
const CALM_CLOSE: Duration = Duration::from_secs(6);
const CALM_SHARE: f64 = 0.3;
const CALM_GAP_MAX: Duration = Duration::from_secs(8);

/// When the check due at `due_at` is made: held back by a storm's pace
/// (a wait that saw a storm keeps to it; `storm_checks` counts its
/// checks) and by the node's gap after the `last` check.
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
        // The first check of a storm comes when the node's changes have
        // lately turned INSYNC, at a random part of a gap after, so that
        // changes accepted together are not checked together.
        // Where the node has learned how long its changes take, the gap
        // is centred on that (a check a little early finds it PENDING and
        // the next follows within a gap); else it follows STORM_FIRST.
        let spread = STORM_GAP.mul_f64(pace.spread());
        let first = match pace.expected() {
            Some(e) => e.saturating_sub(STORM_GAP / 2) + spread,
            None => STORM_FIRST + spread,
        };
        when = when.max(start + first);
        if let Some(last) = last.filter(|_| *storm_checks > 0) {
            when = when.max(last + storm_gap(*storm_checks, due));
        }
        *storm_checks += 1;
    }
    if let Some(last) = last {
        when = when.max(last + pace.gap());
    }
    when
}

/// Wait until `until`; a process that shares its change with others
/// stops waiting as soon as one of them saw it INSYNC.
async fn watch_until(until: Instant, pace: &impl Pacing) {
    if !pace.shared() {
        tokio::time::sleep_until(until).await;
        return;
    }
    loop {
        let now = Instant::now();
        if now >= until || pace.known().is_some_and(|(s, _)| s == ChangeState::InSync) {
            return;
        }
        tokio::time::sleep(WATCH.min(until - now)).await;
    }
}

/// The change's state, and when the check that saw it was made: one
/// another restore of the batch saw lately stands for a check (made when
/// that one made it); only a state seen here is passed on.
async fn state_of<A: RecordApi>(
    api: &A,
    change_id: &str,
    pace: &impl Pacing,
) -> (Result<ChangeState, Route53Error>, Instant) {
    if let Some((state, ago)) = pace.known() {
        let now = Instant::now();
        return (Ok(state), now.checked_sub(ago).unwrap_or(now));
    }
    let made = Instant::now();
    let state = api.change_state(change_id).await;
    if let Ok(s) = &state {
        pace.saw(*s);
    }
    (state, made)
}

/// The gap after the `k`th check of a storm: [`STORM_GAP`] for the first
/// [`STORM_CLOSE`], then half as much again each time, never more than the
/// schedule's widest gap (the interval).
fn storm_gap(k: u32, due: &[Duration]) -> Duration {
    let widest = due
        .windows(2)
        .map(|w| w[1] - w[0])
        .chain(due.first().copied())
        .max()
        .unwrap_or(STORM_GAP);
    STORM_GAP
        .mul_f64(1.5f64.powi(k.saturating_sub(STORM_CLOSE).min(20) as i32))
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

        /// A change that stays PENDING for `n` checks.
        fn pending(n: usize) -> Scripted {
            let api = Scripted::new(None);
            api.changes
                .borrow_mut()
                .extend((0..n).map(|_| Ok(ChangeState::Pending)));
            api
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
            Err(refused("ServiceUnavailable", true)),
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
        let api = Scripted::pending(10);
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

    /// Out of a storm, a change pending past its first seconds is checked
    /// less often as it ages: every 1.25 s for 6 s, then 30 % of its age
    /// apart (up to 8 s, on the schedule's grid of 1.25 s) within the first
    /// minute; about ten checks in half a minute.
    #[tokio::test(start_paused = true)]
    async fn a_calm_change_is_checked_less_often_as_it_ages() {
        let api = Scripted::pending(100);
        let due = schedule(PollMode::Adaptive, tries(20, 5));
        let _ = wait_insync(&api, "C1", Instant::now(), &due, &Alone, |_| {}).await;
        let at: Vec<f64> = api
            .calls
            .borrow()
            .iter()
            .map(|(t, _)| t.as_secs_f64())
            .collect();
        assert_eq!(at[..5], [1.0, 2.25, 3.5, 4.75, 6.0]);
        for w in at.windows(2) {
            let (last, next) = (w[0], w[1]);
            if next <= 60.0 {
                assert!(next - last <= 8.0 + 1.25 + 1e-9, "{at:?}");
            }
            if last >= 6.0 {
                assert!(
                    next - last >= (last * 0.3).clamp(1.25, 8.0) - 1e-9,
                    "{at:?}"
                );
            }
        }
        assert!(at.iter().filter(|t| **t <= 30.0).count() <= 11, "{at:?}");
    }

    /// A process that waits for the same change as another, second in
    /// line, takes what the first saw lately for its check, as made when
    /// the first made it: it keeps the first's calm beat rather than
    /// thinning its checks on a beat of its own, and never checks in
    /// between.
    #[tokio::test(start_paused = true)]
    async fn a_second_process_keeps_the_first_one_s_calm_beat() {
        /// Second in line behind a first that checks on `beat` and saw
        /// INSYNC at its last check.
        struct Second {
            beat: Vec<Duration>,
            start: Instant,
        }
        impl Pacing for Second {
            fn gap(&self) -> Duration {
                Duration::ZERO
            }
            fn storm(&self) -> bool {
                false
            }
            fn rank(&self) -> usize {
                1
            }
            fn known(&self) -> Option<(ChangeState, Duration)> {
                let now = self.start.elapsed();
                let (i, seen) = self.beat.iter().enumerate().rfind(|(_, t)| **t <= now)?;
                let ago = now - *seen;
                match i + 1 == self.beat.len() {
                    true => Some((ChangeState::InSync, ago)),
                    false => (ago < Duration::from_secs(2)).then_some((ChangeState::Pending, ago)),
                }
            }
        }
        let due = schedule(PollMode::Adaptive, tries(20, 5));
        // The first one's checks: PENDING ten times, then INSYNC.
        let first = Scripted::pending(10);
        let _ = wait_insync(&first, "C1", Instant::now(), &due, &Alone, |_| {}).await;
        let second = Second {
            beat: asked_at(&first),
            start: Instant::now(),
        };
        assert!(second.beat.len() == 11 && second.beat[10] > Duration::from_secs(30));
        let api = Scripted::pending(100);
        let out = wait_insync(&api, "C1", second.start, &due, &second, |_| {})
            .await
            .expect("ok");
        assert_eq!(api.count("change"), 0, "{:?}", asked_at(&api));
        assert!(matches!(out, Outcome::InSync { .. }), "{out:?}");
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

    /// A node whose throttled checks wait this long before the next.
    struct Held(Duration);

    impl Pacing for Held {
        fn gap(&self) -> Duration {
            Duration::ZERO
        }
        fn storm(&self) -> bool {
            false
        }
        fn after_throttle(&self) -> Duration {
            self.0
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_check_is_not_reported_and_holds_the_next_back() {
        let api = Scripted::new(None);
        api.changes.borrow_mut().extend([
            Ok(ChangeState::Pending),
            Err(throttled("GetChange")),
            Ok(ChangeState::InSync),
        ]);
        let due = schedule(PollMode::Adaptive, tries(20, 5));
        let mut seen = 0;
        let out = wait_insync(
            &api,
            "C1",
            Instant::now(),
            &due,
            &Held(Duration::from_secs(7)),
            |_| seen += 1,
        )
        .await
        .expect("no fatal error");
        assert!(matches!(out, Outcome::InSync { polls: 3, .. }), "{out:?}");
        // Only the PENDING check is reported; the call path said the
        // throttled one.
        assert_eq!(seen, 1);
        let at = asked_at(&api);
        assert_eq!(at[0], Duration::from_secs(1));
        assert_eq!(at[1], Duration::from_millis(2250));
        // Not at 3.5 s, as the schedule had it: 7 s after the throttle.
        assert!(at[2] >= Duration::from_millis(9250), "{at:?}");
        assert!(at[2] < Duration::from_secs(10), "{at:?}");
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
        let api = Scripted::pending(30);
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
        let api = Scripted::pending(30);
        let due = schedule(PollMode::Adaptive, tries(20, 5));
        let storm = Paced {
            gap: Duration::ZERO,
            storm: true,
        };
        let out = wait_insync(&api, "C1", Instant::now(), &due, &storm, |_| {})
            .await
            .expect("ok");
        let at: Vec<f64> = asked_at(&api).iter().map(Duration::as_secs_f64).collect();
        assert_eq!(at[..6], [30.0, 31.25, 32.5, 33.75, 35.0, 36.875], "{at:?}");
        assert_eq!(at.last().copied(), Some(100.0), "{at:?}");
        assert!(at.len() <= 14, "{at:?}");
        assert!(matches!(out, Outcome::GaveUp { .. }));

        let api = Scripted::new(None);
        api.changes.borrow_mut().push_back(Ok(ChangeState::Pending));
        let out = wait_insync(&api, "C1", Instant::now(), &due, &storm, |_| {})
            .await
            .expect("ok");
        assert_eq!(
            out,
            Outcome::InSync {
                elapsed: Duration::from_millis(31_250),
                polls: 2
            }
        );
    }

    /// A node whose changes have lately turned INSYNC fast checks then,
    /// storm or not, and learns from what it sees.
    #[tokio::test(start_paused = true)]
    async fn in_a_storm_the_first_check_comes_when_changes_lately_turned_insync() {
        struct Learnt(std::cell::Cell<Option<(Duration, Duration)>>);
        impl Pacing for Learnt {
            fn gap(&self) -> Duration {
                Duration::ZERO
            }
            fn storm(&self) -> bool {
                true
            }
            fn expected(&self) -> Option<Duration> {
                Some(Duration::from_secs(2))
            }
            fn learn(&self, pending: Duration, insync: Duration) {
                self.0.set(Some((pending, insync)));
            }
        }
        let api = Scripted::new(None);
        api.changes.borrow_mut().push_back(Ok(ChangeState::Pending));
        let due = schedule(PollMode::Adaptive, tries(20, 5));
        let pace = Learnt(std::cell::Cell::new(None));
        let out = wait_insync(&api, "C1", Instant::now(), &due, &pace, |_| {})
            .await
            .expect("ok");
        assert_eq!(
            out,
            Outcome::InSync {
                elapsed: Duration::from_millis(2_625),
                polls: 2
            },
            "half a gap before the 2 s learned, then a gap later"
        );
        assert_eq!(
            pace.0.get(),
            Some((Duration::from_millis(1_375), Duration::from_millis(2_625)))
        );
    }
}
