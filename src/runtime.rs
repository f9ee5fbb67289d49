//! One run of one procedure: on a current-thread runtime, until it ends or
//! a signal stops it (SIGTERM, SIGINT, SIGHUP, SIGALRM); its failure logged
//! as one line with its message ID; every process the run started and left
//! behind stopped; the log flushed. The exit status comes out, by the one
//! rule of [`Trouble`] wherever the run could not reach its verdict: the
//! runtime cannot start (no file descriptors left), a signal, a panic.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
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

/// How a run ended, before the rule gives it its status.
enum End {
    /// The procedure's result.
    Done(Result<(), ActionError>),
    /// Stopped by a signal.
    Signal(Stop),
    /// It could not run at all: why.
    CannotRun(String),
}

/// A signal that stopped the run: its name, and the status it gives where
/// the action fails on trouble.
#[derive(Debug, Clone, Copy)]
struct Stop(&'static str, ExitStatus);

impl Trouble {
    /// The exit status of how the run ended.
    fn status(self, end: &End) -> ExitStatus {
        match (self, end) {
            (Trouble::NeverFails, _) => ExitStatus::Ok,
            (Trouble::Passes, End::Done(Err(e))) if e.is_verdict() => e.outcome().0,
            (Trouble::Passes, _) => ExitStatus::Ok,
            (Trouble::Fails, End::Done(Ok(()))) => ExitStatus::Ok,
            (Trouble::Fails, End::Done(Err(e))) => e.outcome().0,
            (Trouble::Fails, End::Signal(Stop(_, status))) => *status,
            (Trouble::Fails, End::CannotRun(_)) => ExitStatus::CannotRun,
        }
    }

    /// What a stopped run adds to its line about the exit status.
    fn said(self, action: &str) -> String {
        match self {
            Trouble::NeverFails => format!("; {action} changes nothing and exits 0"),
            Trouble::Passes => format!("; {action} passes"),
            Trouble::Fails => String::new(),
        }
    }
}

/// The message of the last panic, where there was one (the hook keeps it
/// for the run's one closing line instead of printing Rust's own).
static PANICKED: Mutex<Option<String>> = Mutex::new(None);

/// Run `procedure` and say how it ended.
pub(crate) fn run<L>(
    ctx: &Ctx<L>,
    trouble: Trouble,
    procedure: impl Future<Output = Result<(), ActionError>>,
) -> ExitStatus {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        // The place, from the crate's own folder on (not the build host's).
        let place = info.location().map(|l| {
            let parts: Vec<&str> = l.file().rsplit('/').take(4).collect();
            let file: Vec<&str> = parts.into_iter().rev().collect();
            format!("{}:{}", file.join("/"), l.line())
        });
        if let Ok(mut p) = PANICKED.lock() {
            *p = Some(crate::text::printable(&format!(
                "{what} at {}",
                place.unwrap_or_else(|| "an unknown place".into())
            )));
        }
    }));
    let end = match std::panic::catch_unwind(AssertUnwindSafe(|| run_on_runtime(procedure))) {
        Ok(end) => end,
        Err(_) => End::CannotRun(format!(
            "the program failed where it should not ({}); this is a fault of the kit, please report it",
            PANICKED
                .lock()
                .ok()
                .and_then(|p| p.clone())
                .unwrap_or_else(|| "no message".into())
        )),
    };
    let status = trouble.status(&end);
    match &end {
        End::Done(Ok(())) => {}
        End::Done(Err(e)) => {
            let (_, msg) = e.outcome();
            ctx.log.error(msg, &e.to_string());
        }
        End::Signal(Stop(name, _)) => {
            let (stage, record) = ctx.progress.now();
            ctx.log.error(
                Msg::Stopped,
                &format!(
                    "stopped by {name} while {stage}; the record, as far as known: {record}{}",
                    trouble.said(ctx.log.action())
                ),
            );
        }
        End::CannotRun(why) => ctx.log.error(
            Msg::ResourceProblem,
            &format!("cannot run: {why}{}", trouble.said(ctx.log.action())),
        ),
    }
    for (pid, command, held) in crate::child::take_stopped() {
        ctx.log.warn(
            Msg::Leftovers,
            &format!(
                "stopped {command} (process {pid}), which still held {held} after it had ended"
            ),
        );
    }
    for (pid, command) in crate::leftovers::stop_all() {
        ctx.log.warn(
            Msg::Leftovers,
            &format!(
                "stopped {command} (process {pid}), which this run had started and left behind"
            ),
        );
    }
    ctx.log.finish(LOG_GRACE);
    status
}

/// The procedure on a current-thread runtime, until it ends or a signal
/// stops it.
fn run_on_runtime(procedure: impl Future<Output = Result<(), ActionError>>) -> End {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return End::CannotRun(format!("the runtime cannot start ({e})")),
    };
    let end = runtime.block_on(async {
        tokio::select! {
            result = procedure => End::Done(result),
            stop = stop_signal() => End::Signal(stop),
        }
    });
    // No teardown: dropping the runtime, the client's connection pools and
    // the caches one by one would only cost time; the process ends soon.
    std::mem::forget(runtime);
    end
}

/// The first of the signals that stop a run. Where the handlers cannot
/// be set, this never ends.
async fn stop_signal() -> Stop {
    use tokio::signal::unix::{signal, SignalKind};
    let watch = |kind| signal(kind).ok();
    let (Some(mut term), Some(mut int), Some(mut hup), Some(mut alrm)) = (
        watch(SignalKind::terminate()),
        watch(SignalKind::interrupt()),
        watch(SignalKind::hangup()),
        watch(SignalKind::alarm()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => Stop("SIGTERM", ExitStatus::Terminated),
        _ = int.recv() => Stop("SIGINT", ExitStatus::Interrupted),
        _ = hup.recv() => Stop("SIGHUP", ExitStatus::HungUp),
        _ = alrm.recv() => Stop("SIGALRM", ExitStatus::Alarm),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RecordError;

    fn failed() -> End {
        End::Done(Err(ActionError::StatusNotInSync {
            tag: "t".into(),
            reason: "r".into(),
        }))
    }

    #[test]
    fn one_rule_gives_every_end_its_status() {
        let mismatch = End::Done(Err(RecordError::Mismatch("m".into()).into()));
        let term = End::Signal(Stop("SIGTERM", ExitStatus::Terminated));
        let cannot = End::CannotRun("no fds".into());
        let cases = [
            (Trouble::NeverFails, &failed(), ExitStatus::Ok),
            (Trouble::NeverFails, &term, ExitStatus::Ok),
            (Trouble::NeverFails, &cannot, ExitStatus::Ok),
            (Trouble::Passes, &mismatch, ExitStatus::Failed),
            (Trouble::Passes, &failed(), ExitStatus::Ok),
            (Trouble::Passes, &term, ExitStatus::Ok),
            (Trouble::Passes, &cannot, ExitStatus::Ok),
            (Trouble::Fails, &failed(), ExitStatus::Failed),
            (Trouble::Fails, &term, ExitStatus::Terminated),
            (Trouble::Fails, &cannot, ExitStatus::CannotRun),
            (Trouble::Fails, &End::Done(Ok(())), ExitStatus::Ok),
        ];
        for (trouble, end, want) in cases {
            assert_eq!(trouble.status(end), want, "{trouble:?}");
        }
    }
}
