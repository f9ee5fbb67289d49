//! The one retry loop of the kit: an attempt made again while a rule says
//! so, a pause apart. Every retry goes through it: the record update
//! (`ROUTE53_RECORD_*`) and the record reads (`ROUTE53_RECORDCHECK_*`)
//! through [`with_tries`], each Route 53 request's attempts through the
//! call path (`aws::client`).

use std::future::Future;
use std::time::Duration;

use crate::settings::Tries;

/// What follows a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Give up: the error stands.
    Stop,
    /// Try again after this pause.
    After(Duration),
}

/// The loop: make `attempt` until it succeeds or `next`, told of each
/// failure, says stop.
pub(crate) async fn retry<T, E, Fut>(
    mut attempt: impl FnMut() -> Fut,
    mut next: impl FnMut(&E) -> Next,
) -> Result<T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    loop {
        let e = match attempt().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        match next(&e) {
            Next::Stop => return Err(e),
            Next::After(pause) => tokio::time::sleep(pause).await,
        }
    }
}

/// What the record tries need to know of a failure.
pub(crate) trait Mendable: std::fmt::Display {
    /// Another try may mend it (no refusal: throttling, 5xx, no answer).
    fn is_retryable(&self) -> bool;
    /// The account's quota is spent for now.
    fn is_throttling(&self) -> bool;
}

/// Which failures another try may mend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mend {
    /// Every failure that is no refusal (throttling, 5xx, no answer).
    Retryable,
    /// Throttling only: another failure ends the tries at once.
    Throttled,
}

/// Run `call` until it succeeds, fails with an error `mend` does not cover,
/// or has been tried `tries.count` times; `tries.interval` apart (after a
/// `Throttling` answer, that pause stretched by a random 0-100 %, so that
/// the node's processes throttled together spread out). Before each pause,
/// `on_retry(try_no, error)` is told of the failed try.
pub(crate) async fn with_tries<T, E: Mendable, Fut>(
    tries: Tries,
    mend: Mend,
    call: impl FnMut() -> Fut,
    mut on_retry: impl FnMut(u32, &E),
) -> Result<T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    let mut try_no = 1;
    retry(call, |e: &E| {
        let mendable = match mend {
            Mend::Retryable => e.is_retryable(),
            Mend::Throttled => e.is_throttling(),
        };
        if !mendable || try_no >= tries.count {
            return Next::Stop;
        }
        on_retry(try_no, e);
        try_no += 1;
        Next::After(match e.is_throttling() {
            true => jitter(tries.interval),
            false => tries.interval,
        })
    })
    .await
}

/// A number from 0 to 1, different in every process and every call.
pub(crate) fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    );
    (h.finish() % 1_000_000) as f64 / 1_000_000.0
}

/// A pause of `base` stretched by a random 0-100 %: processes throttled at
/// the same moment do not all try again at the same moment.
pub(crate) fn jitter(base: Duration) -> Duration {
    base + base.mul_f64(random_fraction())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::Route53Error;
    use std::cell::Cell;
    use tokio::time::Instant;

    fn throttled() -> Route53Error {
        Route53Error::Refused {
            operation: "ChangeResourceRecordSets",
            zone: "Z".into(),
            code: "Throttling".into(),
            message: "Rate exceeded".into(),
            retryable: true,
        }
    }

    fn denied() -> Route53Error {
        Route53Error::Refused {
            operation: "ChangeResourceRecordSets",
            zone: "Z".into(),
            code: "AccessDenied".into(),
            message: "no".into(),
            retryable: false,
        }
    }

    const THREE: Tries = Tries {
        count: 3,
        interval: Duration::from_secs(2),
    };

    #[tokio::test(start_paused = true)]
    async fn retryable_errors_are_tried_again_an_interval_apart() {
        let calls = Cell::new(0);
        let start = Instant::now();
        let mut told = Vec::new();
        let out = with_tries(
            THREE,
            Mend::Retryable,
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move {
                    if n < 3 {
                        Err(throttled())
                    } else {
                        Ok(n)
                    }
                }
            },
            |n, _| told.push(n),
        )
        .await;
        assert_eq!(out.expect("third try works"), 3);
        assert_eq!(told, vec![1, 2]);
        // Throttled: each pause is the interval stretched by up to 100 %.
        let took = start.elapsed();
        assert!(
            took >= Duration::from_secs(4) && took < Duration::from_secs(8),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn other_retryable_errors_pause_exactly_the_interval() {
        let calls = Cell::new(0);
        let start = Instant::now();
        let out = with_tries(
            THREE,
            Mend::Retryable,
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move {
                    if n < 3 {
                        Err(Route53Error::Http {
                            operation: "ChangeResourceRecordSets",
                            endpoint: "http://127.0.0.1:1".into(),
                            status: 503,
                        })
                    } else {
                        Ok(n)
                    }
                }
            },
            |_, _| {},
        )
        .await;
        assert_eq!(out.expect("third try works"), 3);
        assert_eq!(start.elapsed(), Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn the_last_error_ends_it_after_count_tries() {
        let calls = Cell::new(0);
        let out: Result<(), _> = with_tries(
            THREE,
            Mend::Retryable,
            || {
                calls.set(calls.get() + 1);
                async { Err(throttled()) }
            },
            |_, _| {},
        )
        .await;
        assert!(out.is_err());
        assert_eq!(calls.get(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_no_retry_can_mend_ends_it_at_once() {
        let calls = Cell::new(0);
        let start = Instant::now();
        let out: Result<(), _> = with_tries(
            THREE,
            Mend::Retryable,
            || {
                calls.set(calls.get() + 1);
                async { Err(denied()) }
            },
            |_, _| {},
        )
        .await;
        assert!(out.is_err());
        assert_eq!(calls.get(), 1);
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[test]
    fn jitter_stays_within_twice_the_base() {
        for _ in 0..100 {
            let j = jitter(Duration::from_secs(2));
            assert!(
                j >= Duration::from_secs(2) && j < Duration::from_secs(4),
                "{j:?}"
            );
        }
    }
}
