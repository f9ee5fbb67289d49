//! One run of one procedure: on a current-thread runtime, until it ends or
//! SIGTERM or SIGINT stops it; its failure logged as one line with its
//! message ID; every process the run started and left behind stopped; the
//! log flushed. The exit status comes out.

use std::future::Future;
use std::time::Duration;

use crate::context::Ctx;
use crate::error::{ActionError, ExitStatus};
use crate::log::Msg;

/// How long stderr may take to write what is queued at the end of a run.
const LOG_GRACE: Duration = Duration::from_millis(500);

/// Run `procedure` and say how it ended. `passes_on_trouble`: a run that
/// cannot even start (no runtime) passes, as quickCheck must.
pub fn run<L>(
    ctx: &Ctx<L>,
    passes_on_trouble: bool,
    procedure: impl Future<Output = Result<(), ActionError>>,
) -> ExitStatus {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            ctx.log.error(
                Msg::ResourceProblem,
                &format!("cannot start the runtime: {e}"),
            );
            ctx.log.finish(LOG_GRACE);
            return if passes_on_trouble {
                ExitStatus::Ok
            } else {
                ExitStatus::Failed
            };
        }
    };
    let status = runtime.block_on(async {
        tokio::select! {
            result = procedure => match result {
                Ok(()) => ExitStatus::Ok,
                Err(e) => {
                    let (status, msg) = e.outcome();
                    ctx.log.error(msg, &e.to_string());
                    status
                }
            },
            (name, status) = stop_signal() => {
                let (stage, record) = ctx.progress.now();
                ctx.log.error(
                    Msg::Stopped,
                    &format!("stopped by {name} while {stage}; the record, as far as known: {record}"),
                );
                status
            }
        }
    });
    let left = crate::leftovers::stop_all();
    if left > 0 {
        ctx.log.warn(
            Msg::Leftovers,
            &format!("stopped {left} process(es) this run had started and left behind (a credential_process that did not finish?)"),
        );
    }
    ctx.log.finish(LOG_GRACE);
    // No teardown: dropping the runtime, the client's connection pools and
    // the caches one by one would only cost time; the process ends here.
    std::mem::forget(runtime);
    status
}

/// The first SIGTERM or SIGINT, by name, with the exit status it gives.
/// Where the handlers cannot be set, this never ends.
async fn stop_signal() -> (&'static str, ExitStatus) {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => tokio::select! {
            _ = term.recv() => ("SIGTERM", ExitStatus::Terminated),
            _ = int.recv() => ("SIGINT", ExitStatus::Interrupted),
        },
        _ => std::future::pending().await,
    }
}
