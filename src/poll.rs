//! The wait for INSYNC, as a schedule over tokio time. The SDK's waiter
//! polls every 30 to 120 s and cannot be tuned, so the kit keeps its own:
//! the documented fixed cadence, `ROUTE53_CHANGEID_TRY_COUNT` checks
//! `ROUTE53_CHANGEID_INTERVAL` apart, the first one interval after the
//! change was accepted.

use std::time::Duration;

use tokio::time::Instant;

use crate::error::Route53Error;
use crate::route53::{ChangeState, RecordApi};

/// The pause before each change-status check.
pub fn fixed_schedule(interval: Duration, tries: u64) -> Vec<Duration> {
    (0..tries).map(|_| interval).collect()
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
