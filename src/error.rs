//! One error enum per concern, and the one table that maps them to exit
//! statuses. Every variant carries what an operator needs to act: the tag,
//! the command and its stderr, the zone and change ID, the setting.

use std::path::PathBuf;
use std::time::Duration;

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
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// The LCD commands' documented exit statuses.
pub mod lcd_status {
    pub const SYNTAX: i32 = 2;
    pub const EXISTS: i32 = 4;
    pub const NO_SUCH_OBJECT: i32 = 7;
    pub const HAS_DEPENDENTS: i32 = 8;
    pub const UNREACHABLE: i32 = 9;
}

/// Running an LCD command (`$LKROOT/bin/...`) went wrong.
#[derive(Debug, thiserror::Error)]
pub enum LcdError {
    #[error("cannot run {}: {source}", program.display())]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{command} did not finish within {} s and was killed", timeout.as_secs())]
    Timeout { command: String, timeout: Duration },
    #[error("{command} failed with exit status {status}{}: {stderr}", lcd_status_meaning(*status))]
    Failed {
        command: String,
        status: i32,
        stderr: String,
    },
    #[error("{command} printed output that is not in the documented form (line {line}): {reason}")]
    BadOutput {
        command: String,
        line: usize,
        reason: String,
    },
}

impl LcdError {
    /// The LCD's exit status, where the command ran and failed.
    pub fn status(&self) -> Option<i32> {
        match self {
            LcdError::Failed { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The command said "no such object" (exit 7).
    pub fn is_no_such_object(&self) -> bool {
        self.status() == Some(lcd_status::NO_SUCH_OBJECT)
    }
}

fn lcd_status_meaning(status: i32) -> &'static str {
    match status {
        lcd_status::SYNTAX => " (syntax error)",
        lcd_status::EXISTS => " (already exists)",
        lcd_status::NO_SUCH_OBJECT => " (no such object)",
        lcd_status::HAS_DEPENDENTS => " (has dependents)",
        lcd_status::UNREACHABLE => " (node cannot be reached)",
        _ => "",
    }
}

/// The LifeKeeper resources are not what the kit needs.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    #[error("{what} {value:?} is not usable: {reason}")]
    BadArgument {
        what: &'static str,
        value: String,
        reason: String,
    },
    #[error("no resource with tag {tag:?} in the LCD")]
    NoSuchResource { tag: String },
    #[error("resource {tag:?} is of app/type {app}/{rtype}, not {expected}")]
    WrongType {
        tag: String,
        app: String,
        rtype: String,
        expected: &'static str,
    },
    #[error("resource {tag:?} has an info field the kit cannot read ({info:?}): {reason}")]
    BadInfo {
        tag: String,
        info: String,
        reason: String,
    },
    #[error("resource {tag:?} depends on no IP resource; make one its child with dep_create -p {tag} -c IPTAG")]
    NoIpChild { tag: String },
    #[error("resource {tag:?} depends on {} IP resources ({}); it must have exactly one", children.len(), children.join(", "))]
    ManyIpChildren { tag: String, children: Vec<String> },
    #[error("IP resource {ip_tag:?} holds no IPv4 address in its info field {info:?} (third field): {reason}")]
    NoAddress {
        ip_tag: String,
        info: String,
        reason: String,
    },
    #[error("a resource with tag {tag:?} already exists")]
    TagTaken { tag: String },
    #[error("resources depend on {tag:?} ({}); remove those dependencies (or those resources) first", parents.join(", "))]
    HasParents { tag: String, parents: Vec<String> },
    #[error(transparent)]
    Lcd(#[from] LcdError),
}

/// Route 53 said no, or could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum Route53Error {
    #[error(
        "Route 53 {operation} for zone {zone} was refused: {code}: {message}{}",
        remedy(code)
    )]
    Refused {
        operation: &'static str,
        zone: String,
        code: String,
        message: String,
        retryable: bool,
    },
    #[error(
        "Route 53 {operation} for zone {zone} failed without an answer from {endpoint}: {detail}"
    )]
    NoAnswer {
        operation: &'static str,
        zone: String,
        endpoint: String,
        detail: String,
    },
    #[error("Route 53 {operation} gave an answer that is not whole ({detail}); it is taken as no answer")]
    Garbled {
        operation: &'static str,
        detail: String,
    },
    #[error("Route 53 answered {operation} with something the kit cannot use: {detail}")]
    Unexpected {
        operation: &'static str,
        detail: String,
    },
}

impl Route53Error {
    /// Worth another try: throttling, a conflicting change, a server error, a
    /// network failure. Not worth it: permissions, a missing zone, a bad batch.
    pub fn is_retryable(&self) -> bool {
        match self {
            Route53Error::Refused { retryable, .. } => *retryable,
            Route53Error::NoAnswer { .. } | Route53Error::Garbled { .. } => true,
            Route53Error::Unexpected { .. } => false,
        }
    }
}

fn remedy(code: &str) -> &'static str {
    match code {
        "AccessDenied" | "AccessDeniedException" => {
            " (the node's credentials lack a permission: grant route53:ListResourceRecordSets, route53:ChangeResourceRecordSets, route53:GetChange and route53:GetHostedZone on this zone)"
        }
        "NoSuchHostedZone" => " (no hosted zone with this ID: check the zone ID stored in the resource)",
        "InvalidChangeBatch" => " (Route 53 rejected the record change; see the message)",
        "SignatureDoesNotMatch" | "InvalidClientTokenId" | "UnrecognizedClientException" | "ExpiredToken" => {
            " (the node's AWS credentials are wrong or expired, or its clock is off by more than 5 minutes)"
        }
        _ => "",
    }
}

/// The record is not what it should be; the text comes from the verdict
/// table ([`crate::verdict`]), so every action words it the same way.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
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

/// One action at a time per resource: the lock could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot use the lock file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("another action on {tag} still holds {} after {} s", path.display(), waited.as_secs())]
    Busy {
        tag: String,
        path: PathBuf,
        waited: Duration,
    },
}

/// The reason an action did not succeed; the exit status follows from it.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
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
}

impl ActionError {
    /// The one mapping from a failure to the exit status.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            ActionError::Resource(_) => ExitStatus::Resource,
            ActionError::Route53(_) | ActionError::Record(RecordError::Unmanaged(_)) => {
                ExitStatus::Route53
            }
            ActionError::Record(_)
            | ActionError::StatusNotInSync { .. }
            | ActionError::ChecksFailed { .. } => ExitStatus::Failed,
            ActionError::NotInSync { .. } => ExitStatus::NotInSync,
            ActionError::Lock(_) => ExitStatus::Busy,
        }
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
    fn each_failure_has_its_documented_exit_status() {
        let cases: Vec<(ActionError, u8)> = vec![
            (ResourceError::NoIpChild { tag: "t".into() }.into(), 3),
            (
                Route53Error::Unexpected {
                    operation: "GetChange",
                    detail: "x".into(),
                }
                .into(),
                4,
            ),
            (RecordError::Unmanaged("alias".into()).into(), 4),
            (RecordError::Mismatch("m".into()).into(), 1),
            (RecordError::NotVerified("v".into()).into(), 1),
            (ActionError::ChecksFailed { failed: 2 }, 1),
            (
                LockError::Busy {
                    tag: "t".into(),
                    path: "/run/x".into(),
                    waited: Duration::from_secs(1),
                }
                .into(),
                6,
            ),
        ];
        for (e, code) in cases {
            assert_eq!(e.exit_status().code(), code, "{e}");
        }
    }

    #[test]
    fn no_such_object_is_named() {
        let e = LcdError::Failed {
            command: "eqv_remove".into(),
            status: lcd_status::NO_SUCH_OBJECT,
            stderr: "none".into(),
        };
        assert!(e.is_no_such_object());
        assert!(e.to_string().contains("(no such object)"));
    }
}
