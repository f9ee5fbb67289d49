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

/// How a run ends when it cannot run to its verdict (no runtime, a
/// signal, a panic, its command line unreadable); which action gets which
/// is decided in one place, `cli::Action::trouble`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trouble {
    /// Exit 0 whatever happens, saying what (remove, delete: a failed
    /// remove halts the node).
    NeverFails,
    /// Exit 0 on trouble, saying why; only the action's own verdict fails
    /// it (quickCheck: a broken check never causes a failover). A command
    /// line it cannot read is a usage error (exit 2).
    Passes,
    /// Exit with the failure's documented status (restore, recover, the
    /// operator commands).
    Fails,
}

impl Trouble {
    /// The exit status of a run that ended in `failed` (its own status),
    /// or that could not run (`None`).
    fn status(self, failed: Option<(ExitStatus, bool)>) -> ExitStatus {
        match (self, failed) {
            (Trouble::NeverFails, _) => ExitStatus::Ok,
            (Trouble::Passes, Some((status, true))) => status,
            (Trouble::Passes, _) => ExitStatus::Ok,
            (Trouble::Fails, Some((status, _))) => status,
            (Trouble::Fails, None) => ExitStatus::CannotRun,
        }
    }
}

/// Run `procedure` and say how it ended; `trouble` decides the status of a
/// run that cannot even start.
pub(crate) fn run<L>(
    ctx: &Ctx<L>,
    trouble: Trouble,
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
            return trouble.status(None);
        }
    };
    let status = runtime.block_on(async {
        tokio::select! {
            result = procedure => match result {
                Ok(()) => ExitStatus::Ok,
                Err(e) => {
                    let (status, msg) = e.outcome();
                    ctx.log.error(msg, &e.to_string());
                    trouble.status(Some((status, e.is_verdict())))
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
