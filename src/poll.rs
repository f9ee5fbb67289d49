//! The wait for INSYNC, as a schedule over tokio time. The SDK's waiter
//! polls every 30 to 120 s and cannot be tuned, so the kit keeps its own.
//!
//! Both schedules spend the same budget, `ROUTE53_CHANGEID_INTERVAL` x
//! `ROUTE53_CHANGEID_TRY_COUNT`, and end with a check at its very end:
//! - fixed (`ROUTE53_CHANGEID_POLL=fixed`): the documented cadence, a check
//!   every interval, the first one interval after the change was accepted;
//! - adaptive (the default): a check 1 s after the change was accepted,
//!   then every 1.5 s up to 10 s (most changes finish in that time), every
//!   4 s up to 60 s, then gaps growing by half each time; never more than
//!   the interval apart.

use std::time::Duration;

use tokio::time::Instant;

use crate::error::Route53Error;
use crate::route53::{ChangeState, RecordApi};

/// The pause before each change-status check.
pub fn fixed_schedule(interval: Duration, tries: u64) -> Vec<Duration> {
    (0..tries).map(|_| interval).collect()
}

/// The pause before each check of the adaptive schedule, within the same
/// budget as the fixed one.
pub fn adaptive_schedule(interval: Duration, tries: u64) -> Vec<Duration> {
    let budget = interval.as_millis() as u64 * tries;
    let cap = interval.as_millis() as u64;
    let mut at = Vec::new();
    let mut t: u64 = 1000.min(cap);
    let mut late_gap: u64 = 4000;
    while t < budget {
        at.push(t);
        let gap = if t < 10_000 {
            1500
        } else if t < 60_000 {
            4000
        } else {
            late_gap = (late_gap * 3 / 2).min(cap.max(4000));
            late_gap
        };
        t += gap.min(cap).max(1);
    }
    at.push(budget);
    let mut prev = 0;
    at.into_iter()
        .map(|t| {
            let pause = Duration::from_millis(t - prev);
            prev = t;
            pause
        })
        .collect()
}

/// What one check saw, for the log.
#[derive(Debug)]
pub enum Poll<'a> {
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
pub enum Outcome {
    InSync {
        elapsed: Duration,
        polls: usize,
    },
    /// The schedule ran out with the change still pending (or unknown).
    GaveUp {
        elapsed: Duration,
        polls: usize,
    },
}

/// Poll the change until INSYNC or the schedule ends. A check that fails
/// with a retryable error counts as one try; any other error ends the wait.
pub async fn wait_insync<A: RecordApi>(
    api: &A,
    change_id: &str,
    schedule: &[Duration],
    mut report: impl FnMut(Poll<'_>),
) -> Result<Outcome, Route53Error> {
    let start = Instant::now();
    let of = schedule.len();
    for (i, pause) in schedule.iter().enumerate() {
        tokio::time::sleep(*pause).await;
        let try_no = i + 1;
        match api.change_state(change_id).await {
            Ok(ChangeState::InSync) => {
                return Ok(Outcome::InSync {
                    elapsed: start.elapsed(),
                    polls: try_no,
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
        polls: of,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ARecord;
    use crate::route53::Zone;
    use std::cell::RefCell;
    use std::net::Ipv4Addr;

    /// Answers GetChange from a script; nothing else is asked of it here.
    struct Scripted {
        answers: RefCell<Vec<Result<ChangeState, Route53Error>>>,
        asked_at: RefCell<Vec<Duration>>,
        start: Instant,
    }

    impl Scripted {
        fn new(mut answers: Vec<Result<ChangeState, Route53Error>>) -> Self {
            answers.reverse();
            Scripted {
                answers: RefCell::new(answers),
                asked_at: RefCell::new(Vec::new()),
                start: Instant::now(),
            }
        }
    }

    impl RecordApi for Scripted {
        async fn read_a(&self, _: &str, _: &str) -> Result<Option<ARecord>, Route53Error> {
            unreachable!("not used by the wait")
        }
        async fn upsert_a(
            &self,
            _: &str,
            _: &str,
            _: Ipv4Addr,
            _: u32,
            _: &str,
        ) -> Result<String, Route53Error> {
            unreachable!("not used by the wait")
        }
        async fn change_state(&self, _: &str) -> Result<ChangeState, Route53Error> {
            self.asked_at.borrow_mut().push(self.start.elapsed());
            self.answers
                .borrow_mut()
                .pop()
                .unwrap_or(Ok(ChangeState::Pending))
        }
        async fn zone(&self, _: &str) -> Result<Zone, Route53Error> {
            unreachable!("not used by the wait")
        }
        fn endpoint(&self) -> &str {
            "scripted"
        }
    }

    fn throttled() -> Route53Error {
        Route53Error::Refused {
            operation: "GetChange",
            zone: "-".into(),
            code: "Throttling".into(),
            message: "Rate exceeded".into(),
            retryable: true,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn checks_follow_the_fixed_cadence_until_insync() {
        let api = Scripted::new(vec![
            Ok(ChangeState::Pending),
            Err(throttled()),
            Ok(ChangeState::InSync),
        ]);
        let schedule = fixed_schedule(Duration::from_secs(20), 5);
        let mut seen = 0;
        let out = wait_insync(&api, "C1", &schedule, |_| seen += 1)
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
            *api.asked_at.borrow(),
            vec![
                Duration::from_secs(20),
                Duration::from_secs(40),
                Duration::from_secs(60)
            ]
        );
    }

    fn times(pauses: &[Duration]) -> Vec<f64> {
        let mut t = Duration::ZERO;
        pauses
            .iter()
            .map(|p| {
                t += *p;
                t.as_secs_f64()
            })
            .collect()
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
        let at = times(&adaptive_schedule(Duration::from_secs(20), 5));
        assert!(at.len() <= 25, "{} checks: {at:?}", at.len());
        assert_eq!(at.last().copied(), Some(100.0), "the budget is the same");
        for i in 0..1000 {
            let insync = f64::from(i) * 0.1;
            let l = lag(&at, insync);
            if insync <= 10.0 {
                assert!(l <= 2.0, "INSYNC at {insync}: next check {l} s later");
            } else if insync <= 60.0 {
                assert!(l <= 5.0, "INSYNC at {insync}: next check {l} s later");
            }
            assert!(l <= 20.0);
        }
        // Never more than the interval apart.
        let pauses = adaptive_schedule(Duration::from_secs(20), 5);
        assert!(pauses.iter().all(|p| *p <= Duration::from_secs(20)));
    }

    #[test]
    fn adaptive_schedule_keeps_small_and_large_budgets() {
        let at = times(&adaptive_schedule(Duration::from_secs(1), 3));
        assert_eq!(at, vec![1.0, 2.0, 3.0]);
        let pauses = adaptive_schedule(Duration::from_secs(600), 100);
        assert_eq!(times(&pauses).last().copied(), Some(60000.0));
        assert!(pauses.iter().all(|p| *p <= Duration::from_secs(600)));
        assert!(pauses.len() < 150, "{}", pauses.len());
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_stuck_pending_gives_up_after_the_budget() {
        let api = Scripted::new(vec![]);
        let schedule = fixed_schedule(Duration::from_secs(20), 5);
        let out = wait_insync(&api, "C1", &schedule, |_| {})
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

    #[tokio::test(start_paused = true)]
    async fn access_denied_ends_the_wait_at_once() {
        let api = Scripted::new(vec![Err(Route53Error::Refused {
            operation: "GetChange",
            zone: "-".into(),
            code: "AccessDenied".into(),
            message: "no".into(),
            retryable: false,
        })]);
        let schedule = fixed_schedule(Duration::from_secs(20), 5);
        assert!(wait_insync(&api, "C1", &schedule, |_| {}).await.is_err());
        assert_eq!(api.asked_at.borrow().len(), 1);
    }
}
