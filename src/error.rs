//! Why an action did not succeed, and the one table that turns each reason
//! into the exit status LifeKeeper sees and the message ID of the line the
//! run ends with. The errors of each concern live with it (the LCD in
//! [`crate::lcd`], the resources in [`crate::resource`], Route 53 in
//! [`crate::aws`], the lock in [`crate::lock`]); each variant carries what
//! an operator needs to act: the tag, the command and its stderr, the zone
//! and change ID, the setting.

use std::time::Duration;

use crate::aws::Route53Error;
use crate::lcd::LcdError;
use crate::lock::LockError;
use crate::log::Msg;
use crate::resource::ResourceError;

listed_enum! {
/// Exit statuses, the contract with LifeKeeper and with scripts; the
/// README's exit status table mirrors this one. LifeKeeper itself only
/// tells zero from nonzero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// The action did its job (or, for quickCheck, found nothing a
    /// failover could mend, or could not look).
    Ok = 0,
    /// The record does not hold the resource's address (quickCheck), or
    /// it could not be made to (restore, recover); status: not in sync;
    /// doctor: a check failed.
    Failed = 1,
    /// Bad command line.
    Usage = 2,
    /// The LifeKeeper side is wrong: no such resource, no IP child, no
    /// usable address, an LCD command failed.
    Resource = 3,
    /// Route 53 refused or could not be reached, or the record is one the
    /// kit does not manage.
    Route53 = 4,
    /// The record was written but Route 53 did not report INSYNC in time.
    NotInSync = 5,
    /// Another action on the same resource held its lock past the wait.
    Busy = 6,
    /// The action could not run at all: the node is out of something every
    /// run needs (file descriptors, memory, threads), or the program failed
    /// in a way it did not foresee.
    CannotRun = 7,
    /// Stopped by SIGHUP (128 + 1).
    HungUp = 129,
    /// Stopped by SIGINT (128 + 2).
    Interrupted = 130,
    /// Stopped by SIGALRM (128 + 14).
    Alarm = 142,
    /// Stopped by SIGTERM (128 + 15).
    Terminated = 143,
}
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// The record is not what it should be; the text comes from the verdict
/// table ([`crate::verdict`]), so every action words it the same way.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RecordError {
    /// quickCheck: missing, or another address (LifeKeeper recovers).
    #[error("{0}")]
    Mismatch(String),
    /// restore/recover: after the write, the record holds something else.
    #[error("{0}")]
    NotVerified(String),
    /// A record the kit does not manage (alias, routing policy).
    #[error("{0}")]
    Unmanaged(String),
}

/// The reason an action did not succeed; the exit status follows from it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ActionError {
    #[error(transparent)]
    Resource(#[from] ResourceError),
    #[error(transparent)]
    Route53(#[from] Route53Error),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("the A record {name} in zone {zone} was written (change {change_id}) but Route 53 did not report it INSYNC within {} s (ROUTE53_CHANGEID_INTERVAL={} x ROUTE53_CHANGEID_TRY_COUNT={tries}); clients may still get the old address for a while. Raise ROUTE53_CHANGEID_TRY_COUNT or ROUTE53_CHANGEID_INTERVAL in /etc/default/LifeKeeper, or run restore again: it succeeds at once when the record already holds the address", budget.as_secs(), interval.as_secs())]
    NotInSync {
        name: String,
        zone: String,
        change_id: String,
        budget: Duration,
        interval: Duration,
        tries: u32,
    },
    /// `status`: the record does not hold the address, or was not read.
    #[error("{tag}: not in sync: {reason}")]
    StatusNotInSync { tag: String, reason: String },
    /// `doctor`: checks failed.
    #[error("{failed} check(s) failed")]
    ChecksFailed { failed: usize },
    #[error(transparent)]
    Lock(#[from] LockError),
    /// An action that never fails on it could not read its command line.
    #[error("arguments not understood ({detail}); nothing was changed, and {action} never fails")]
    Unreadable {
        action: &'static str,
        detail: String,
    },
}

impl ActionError {
    /// The one table: the exit status of a failure, and the message ID of
    /// the line that says it.
    pub(crate) fn outcome(&self) -> (ExitStatus, Msg) {
        match self {
            ActionError::Resource(_) => (ExitStatus::Resource, Msg::ResourceProblem),
            ActionError::Route53(_) => (ExitStatus::Route53, Msg::Route53Problem),
            ActionError::Record(RecordError::Unmanaged(_)) => (ExitStatus::Route53, Msg::Unmanaged),
            ActionError::Record(_)
            | ActionError::StatusNotInSync { .. }
            | ActionError::ChecksFailed { .. } => (ExitStatus::Failed, Msg::CheckMismatch),
            ActionError::NotInSync { .. } => (ExitStatus::NotInSync, Msg::NotInSync),
            ActionError::Lock(LockError::Busy { .. }) => (ExitStatus::Busy, Msg::Busy),
            ActionError::Lock(_) => (ExitStatus::Resource, Msg::Busy),
            ActionError::Unreadable { .. } => (ExitStatus::Usage, Msg::Remove),
        }
    }

    /// The action's own verdict on the record (quickCheck's mismatch), as
    /// against trouble that kept it from one.
    pub(crate) fn is_verdict(&self) -> bool {
        matches!(self, ActionError::Record(RecordError::Mismatch(_)))
    }

    #[cfg(test)]
    pub(crate) fn exit_status(&self) -> ExitStatus {
        self.outcome().0
    }
}

impl From<LcdError> for ActionError {
    fn from(e: LcdError) -> Self {
        ActionError::Resource(ResourceError::Lcd(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_has_its_documented_exit_status_and_message_id() {
        let cases: Vec<(ActionError, u8, Msg)> = vec![
            (
                ResourceError::NoIpChild { tag: "t".into() }.into(),
                3,
                Msg::ResourceProblem,
            ),
            (
                Route53Error::Unexpected {
                    operation: "GetChange",
                    detail: "x".into(),
                }
                .into(),
                4,
                Msg::Route53Problem,
            ),
            (
                RecordError::Unmanaged("alias".into()).into(),
                4,
                Msg::Unmanaged,
            ),
            (
                RecordError::Mismatch("m".into()).into(),
                1,
                Msg::CheckMismatch,
            ),
            (
                RecordError::NotVerified("v".into()).into(),
                1,
                Msg::CheckMismatch,
            ),
            (
                ActionError::ChecksFailed { failed: 2 },
                1,
                Msg::CheckMismatch,
            ),
            (
                LockError::Busy {
                    tag: "t".into(),
                    path: "/run/x".into(),
                    waited: Duration::from_secs(1),
                }
                .into(),
                6,
                Msg::Busy,
            ),
            (
                LockError::Unsafe {
                    path: "/run/x".into(),
                    why: "a link".into(),
                }
                .into(),
                3,
                Msg::Busy,
            ),
        ];
        for (e, code, msg) in cases {
            let (status, id) = e.outcome();
            assert_eq!((status.code(), id), (code, msg), "{e}");
        }
    }

    /// The README's exit status table: a row for every status and none other.
    #[test]
    fn the_readme_exit_table_is_the_code_s() {
        let mut readme: Vec<u8> = crate::readme::table("Exit status")
            .iter()
            .flat_map(|r| {
                r[0].split(", ")
                    .map(|c| c.parse::<u8>().expect("a status"))
                    .collect::<Vec<_>>()
            })
            .collect();
        readme.sort_unstable();
        let mut code: Vec<u8> = ExitStatus::ALL.iter().map(|s| s.code()).collect();
        code.sort_unstable();
        assert_eq!(readme, code);
    }
}
