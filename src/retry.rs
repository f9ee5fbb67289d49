//! The one retry helper: a call tried up to a number of times, a pause
//! apart, while it fails with an error that another try can mend. The
//! record update (`ROUTE53_RECORD_*`) and the record reads
//! (`ROUTE53_RECORDCHECK_*`) both go through it.

use std::future::Future;

use crate::aws::Route53Error;
use crate::settings::Tries;

/// Run `call` until it succeeds, fails with an error no retry can mend, or
/// has been tried `tries.count` times; `tries.interval` apart (after a
/// `Throttling` answer, that pause stretched by a random 0-100 %, so that
/// the node's processes throttled together spread out). Before each pause,
/// `on_retry(try_no, error)` is told of the failed try.
pub async fn with_tries<T, F, Fut>(
    tries: Tries,
    mut call: F,
    mut on_retry: impl FnMut(u32, &Route53Error),
) -> Result<T, Route53Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Route53Error>>,
{
    let mut try_no = 1;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_retryable() && try_no < tries.count => {
                on_retry(try_no, &e);
                let pause = if e.is_throttling() {
                    crate::aws::budget::jitter(tries.interval)
                } else {
                    tries.interval
                };
                tokio::time::sleep(pause).await;
                try_no += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::time::Duration;
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
}
