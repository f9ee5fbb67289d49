//! The one call path of every Route 53 request: the endpoint checked, a
//! slot of the node's request budget taken (spread over the storm window
//! when the node is in a storm and the request starts new work), the
//! attempt made, its failure weighed. A throttled answer is told to the
//! budget and tried again after a random part of the storm window (of the
//! time the call has left, where that is shorter; a read verifying the
//! run's change, within the least window), never counted as a
//! failed attempt; STS throttling a credential lookup is tried again after
//! a second; another failure that a retry can mend is tried again up to
//! [`ATTEMPTS`] times with jittered exponential backoff; the whole call
//! ends within its bound (`B = 3(C + R) + 10 s`). The SDK's own retries are off.

use std::cell::Cell;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::budget::{Budget, Pace};
use super::error::Route53Error;
use crate::log::{Logger, Msg};
use crate::retry::{retry, Next};

/// Attempts per API call that fail without being throttled (the first
/// plus retries), with jittered exponential backoff between them.
pub(crate) const ATTEMPTS: u32 = 3;
const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The pause after STS throttled a credential lookup.
const CREDENTIALS_PAUSE: Duration = Duration::from_secs(1);
/// The first pause after Route 53 said the zone was still applying an
/// earlier change (it clears in seconds); each next one doubles, up to
/// [`MAX_BUSY_PAUSE`], a random part of it taken (other nodes' changes of
/// the zone wait too).
const BUSY_PAUSE: Duration = Duration::from_millis(500);
const MAX_BUSY_PAUSE: Duration = Duration::from_secs(8);

/// The longest one API call can take, waits for the budget and throttled
/// answers included: every attempt (`C + R` each) timing out, plus the
/// backoff between attempts (`B = 3(C + R) + 10 s`).
pub(crate) fn bound(attempt: Duration) -> Duration {
    attempt * ATTEMPTS + MAX_BACKOFF * (ATTEMPTS - 1)
}

/// An endpoint override that is no URL: every call refuses at once, naming
/// the variable, and nothing is sent.
#[derive(Debug, Clone)]
pub(crate) struct BadEndpoint {
    pub variable: &'static str,
    pub value: String,
    pub why: String,
}

/// The call path of a run: the node's budget, the limits, and the log
/// that says why a request waits.
#[derive(Debug, Clone)]
pub(crate) struct CallPath {
    pub budget: Budget,
    /// The limit on one attempt (`C + R`).
    pub attempt_limit: Duration,
    /// The limit on one call, waits and retries included.
    pub bound: Duration,
    pub bad_endpoint: Option<BadEndpoint>,
    pub(super) log: Arc<Logger>,
    /// The run has said once that a zone was busy.
    busy_said: Arc<std::sync::atomic::AtomicBool>,
}

impl CallPath {
    pub(crate) fn new(
        budget: Budget,
        attempt_limit: Duration,
        bad_endpoint: Option<BadEndpoint>,
        log: Arc<Logger>,
    ) -> CallPath {
        CallPath {
            budget,
            attempt_limit,
            bound: bound(attempt_limit),
            bad_endpoint,
            log,
            busy_said: Arc::default(),
        }
    }

    /// Make the request `operation` (`attempt` makes it anew for each
    /// attempt, its failure in the kit's words) by the rules of this
    /// module's words.
    pub(crate) async fn call<T, Fut>(
        &self,
        operation: &'static str,
        pace: Pace,
        mut attempt: impl FnMut() -> Fut,
    ) -> Result<T, Route53Error>
    where
        Fut: Future<Output = Result<T, Route53Error>>,
    {
        if let Some(b) = &self.bad_endpoint {
            return Err(Route53Error::BadEndpoint {
                variable: b.variable,
                value: b.value.clone(),
                why: b.why.clone(),
            });
        }
        let deadline = Instant::now() + self.bound;
        let call_pace = pace;
        // Only a call's first attempt starts new work.
        let pace = Cell::new(pace);
        let mut tally = Tally::default();
        let budget = &self.budget;
        retry(
            || {
                let wait = self.slot(pace.replace(Pace::Prompt), deadline);
                let sent = attempt();
                async move {
                    tokio::time::sleep(wait).await;
                    let answer = sent.await;
                    if answer.is_ok() {
                        budget.answered();
                    }
                    answer
                }
            },
            |e| {
                let pause = match self.pause((operation, call_pace), e, &mut tally, deadline) {
                    Some(p) => p,
                    None => return Next::Stop,
                };
                if Instant::now() + pause + self.attempt_limit > deadline {
                    return Next::Stop;
                }
                tracing::debug!(error = %e, pause_ms = pause.as_millis() as u64, "trying again");
                Next::After(pause)
            },
        )
        .await
    }

    /// The wait for this attempt's slot of the node's budget, within what
    /// the call has left for its attempt.
    fn slot(&self, pace: Pace, deadline: Instant) -> Duration {
        let room = deadline.saturating_duration_since(Instant::now());
        let wait = self.budget.slot(pace);
        if self.budget.clock_step_seen() {
            self.log.warn(
                Msg::ClockStep,
                &format!(
                    "the node's request budget ({}) held a time further ahead than it can explain: the clock was set back; reset",
                    self.budget.dir.join("budget").display()
                ),
            );
        }
        wait.min(room.saturating_sub(self.attempt_limit))
    }

    /// The pause before the next attempt after `e`, or None where no
    /// attempt follows; `tally` counts the call's answers so far.
    fn pause(
        &self,
        (operation, pace): (&'static str, Pace),
        e: &Route53Error,
        tally: &mut Tally,
        deadline: Instant,
    ) -> Option<Duration> {
        let Tally { failed, busy } = tally;
        if e.is_zone_busy() {
            // The zone's, not the account's: the node's budget is not told;
            // said once a run, however often it comes.
            *busy += 1;
            if !self
                .busy_said
                .swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                self.log.warn(
                    Msg::ZoneBusy,
                    &format!("Route 53 was still applying an earlier change of the zone ({e}); {operation} is sent again after a pause, as long as its call's bound allows"),
                );
            }
            // In a storm, the zone's other changes are the storm's, and
            // the zone takes them one at a time: the pause is drawn from
            // the storm's span, as a throttled request's is; out of one, a
            // short pause that doubles.
            let room = deadline
                .saturating_duration_since(Instant::now())
                .saturating_sub(self.attempt_limit);
            if let Some(p) = self.budget.spread(room) {
                return Some(p);
            }
            let base = BUSY_PAUSE * 2u32.saturating_pow(busy.saturating_sub(1).min(8));
            return Some(crate::retry::jitter(base.min(MAX_BUSY_PAUSE) / 2));
        }
        if e.is_throttling() {
            let room = deadline
                .saturating_duration_since(Instant::now())
                .saturating_sub(self.attempt_limit);
            let pause = self.budget.throttled(room, pace);
            if pace == Pace::Check {
                self.log.warn(
                    Msg::Throttled,
                    &format!("Route 53 throttled {operation} (the account's request quota is spent); the node holds back, and the change is checked again when the node's changes usually turn INSYNC"),
                );
                return None;
            }
            if pace == Pace::Optional {
                self.log.warn(
                    Msg::Throttled,
                    &format!("Route 53 throttled {operation} (the account's request quota is spent); the node holds back, and this read is not sent again: the UPSERT goes ahead without it"),
                );
                return None;
            }
            self.log.warn(
                Msg::Throttled,
                &format!(
                    "Route 53 throttled {operation} (the account's request quota is spent); the node holds back, and this request is tried again in {:.1} s",
                    pause.as_secs_f64()
                ),
            );
            return Some(pause);
        }
        if e.is_credentials_throttling() {
            // STS's quota, not Route 53's: the node's Route 53 budget is
            // not told; the lookup is tried again after a pause.
            tracing::debug!(error = %e, "credential lookup throttled");
            return Some(CREDENTIALS_PAUSE);
        }
        if matches!(e, Route53Error::Refused { .. }) {
            self.budget.answered();
        }
        *failed += 1;
        (e.is_retryable() && *failed < ATTEMPTS).then(|| backoff(*failed))
    }
}

/// What one call has been answered so far.
#[derive(Debug, Default)]
struct Tally {
    /// Failures that were no throttling and no busy zone.
    failed: u32,
    /// The busy zone's answers.
    busy: u32,
}

/// The pause before the `n`th retry of a failure that was not throttling:
/// exponential from [`INITIAL_BACKOFF`] up to [`MAX_BACKOFF`], jittered.
fn backoff(n: u32) -> Duration {
    let base = (INITIAL_BACKOFF * 2u32.saturating_pow(n.saturating_sub(1))).min(MAX_BACKOFF);
    crate::retry::jitter(base / 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    fn path(name: &str, attempt: Duration) -> CallPath {
        let dir = crate::lock::scratch(&format!("call-{name}"));
        CallPath::new(
            Budget::new(1000, 1000, dir),
            attempt,
            None,
            Arc::new(Logger::capturing("restore", "r53-app")),
        )
    }

    fn refused(code: &str, retryable: bool) -> Route53Error {
        Route53Error::Refused {
            operation: "ChangeResourceRecordSets",
            zone: "Z1".into(),
            code: code.into(),
            message: "scripted".into(),
            retryable,
        }
    }

    fn no_answer() -> Route53Error {
        Route53Error::Http {
            operation: "ChangeResourceRecordSets",
            endpoint: "http://127.0.0.1:1".into(),
            status: 503,
        }
    }

    /// Answers from a script, noting when each attempt came.
    async fn run(
        p: &CallPath,
        script: Vec<Result<u32, Route53Error>>,
    ) -> (Result<u32, Route53Error>, Vec<Duration>) {
        run_at(p, Pace::Prompt, script).await
    }

    async fn run_at(
        p: &CallPath,
        pace: Pace,
        script: Vec<Result<u32, Route53Error>>,
    ) -> (Result<u32, Route53Error>, Vec<Duration>) {
        let script = RefCell::new(VecDeque::from(script));
        let at = RefCell::new(Vec::new());
        let start = Instant::now();
        let out = p
            .call("ChangeResourceRecordSets", pace, || {
                let next = script.borrow_mut().pop_front();
                let at = &at;
                async move {
                    at.borrow_mut().push(start.elapsed());
                    next.unwrap_or(Ok(0))
                }
            })
            .await;
        (out, at.into_inner())
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_another_try_can_mend_is_tried_three_times_in_all() {
        let p = path("mend", Duration::from_secs(2));
        let (out, at) = run(
            &p,
            vec![Err(no_answer()), Err(no_answer()), Err(no_answer())],
        )
        .await;
        assert!(matches!(out, Err(Route53Error::Http { .. })), "{out:?}");
        assert_eq!(at.len(), 3);
        let (out, at) = run(&p, vec![Err(no_answer()), Ok(7)]).await;
        assert_eq!(out.expect("second attempt"), 7);
        assert_eq!(at.len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_is_never_tried_again() {
        let p = path("refusal", Duration::from_secs(2));
        let (out, at) = run(&p, vec![Err(refused("AccessDenied", false)), Ok(1)]).await;
        assert!(out.is_err());
        assert_eq!(at, [Duration::ZERO]);
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_spends_no_attempt_and_the_call_keeps_its_bound() {
        let p = path("throttle", Duration::from_secs(2));
        // Four throttled answers, then two failures and an answer: more
        // attempts than ATTEMPTS, as throttling counts none.
        let mut script: Vec<_> = (0..4).map(|_| Err(refused("Throttling", true))).collect();
        script.extend([Err(no_answer()), Err(no_answer()), Ok(5)]);
        let (out, at) = run(&p, script).await;
        let bound = p.bound;
        match out {
            Ok(v) => assert_eq!(v, 5),
            // The throttle pauses are random: the call may have run out of
            // its bound first, never past it.
            Err(e) => assert!(e.is_retryable(), "{e}"),
        }
        assert!(at.len() >= 2, "{at:?}");
        assert!(
            *at.last().expect("attempts") + p.attempt_limit <= bound,
            "{at:?} past {bound:?}"
        );
        assert!(p
            .log
            .said(":053018:Route 53 throttled ChangeResourceRecordSets"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_closing_read_is_tried_again_within_the_least_window() {
        // A node first throttled on its verifying read starts a storm of
        // its own; the read is not spread over that storm's whole span.
        let p = path("closing", Duration::from_secs(15));
        let mut script: Vec<_> = (0..6).map(|_| Err(refused("Throttling", true))).collect();
        script.push(Ok(3));
        let (out, at) = run_at(&p, Pace::Closing, script).await;
        assert_eq!(out.expect("read at last"), 3);
        assert_eq!(at.len(), 7);
        // The pause, then the second the node holds back after a throttle
        // (the budget keeps the wall clock, which this test's paused clock
        // does not move, so the two add up here).
        let most = crate::aws::budget::WINDOW_MIN + crate::aws::budget::THROTTLE_PAUSE;
        for gap in at.windows(2).map(|w| w[1] - w[0]) {
            assert!(gap <= most, "{gap:?} in {at:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn endless_throttling_ends_within_the_bound() {
        let p = path("endless", Duration::from_secs(1));
        let script = (0..1000)
            .map(|_| Err(refused("Throttling", true)))
            .collect();
        let start = Instant::now();
        let (out, _) = run(&p, script).await;
        assert!(out.expect_err("throttled throughout").is_throttling());
        assert!(start.elapsed() <= p.bound, "{:?}", start.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_bad_endpoint_sends_nothing() {
        let mut p = path("bad", Duration::from_secs(1));
        p.bad_endpoint = Some(BadEndpoint {
            variable: "AWS_ENDPOINT_URL_ROUTE_53",
            value: "not a url".into(),
            why: "no scheme".into(),
        });
        let (out, at) = run(&p, vec![Ok(1)]).await;
        assert!(matches!(out, Err(Route53Error::BadEndpoint { .. })));
        assert!(at.is_empty());
    }

    #[test]
    fn the_bound_is_three_attempts_and_two_backoffs() {
        assert_eq!(bound(Duration::from_secs(15)), Duration::from_secs(55));
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_zone_spends_no_attempt_and_is_said_once() {
        let p = path("busy", Duration::from_secs(5));
        let mut script: Vec<_> = (0..5)
            .map(|_| Err(refused("PriorRequestNotComplete", true)))
            .collect();
        script.push(Ok(9));
        let (out, at) = run(&p, script).await;
        assert_eq!(out.expect("sent at last"), 9);
        assert_eq!(at.len(), 6, "more than ATTEMPTS: a busy zone spends none");
        let said = p
            .log
            .captured()
            .iter()
            .filter(|l| l.contains(":053029:"))
            .count();
        assert_eq!(said, 1, "said once a run");
        assert!(!p.budget.storm(), "the zone's business, not the account's");
    }
}
