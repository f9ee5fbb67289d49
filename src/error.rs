//! One error enum per concern, and the one table that maps them to exit
//! codes. Every variant carries what an operator needs to act: the tag, the
//! command and its stderr, the zone and change ID, the setting.

use std::path::PathBuf;
use std::time::Duration;

/// Exit statuses, the contract with LifeKeeper and with scripts. Mirrored in
/// the README. LifeKeeper itself only tells zero from nonzero.
pub mod exit {
    /// The action did its job (or, for quickCheck, found nothing wrong or
    /// could not look).
    pub const OK: i32 = 0;
    /// The record does not hold the resource's address (quickCheck), or it
    /// could not be made to (restore, recover).
    pub const FAILED: i32 = 1;
    /// Bad command line.
    pub const USAGE: i32 = 2;
    /// The LifeKeeper side is wrong: no such resource, no IP child, no
    /// address, an LCD command failed.
    pub const RESOURCE: i32 = 3;
    /// Route 53 refused or could not be reached.
    pub const ROUTE53: i32 = 4;
    /// The record was written but Route 53 did not report INSYNC in time.
    pub const NOT_IN_SYNC: i32 = 5;
    /// Another action on the same resource held its lock past the wait.
    pub const BUSY: i32 = 6;
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
}

fn lcd_status_meaning(status: i32) -> &'static str {
    match status {
        2 => " (syntax error)",
        4 => " (already exists)",
        7 => " (no such object)",
        8 => " (has dependents)",
        9 => " (node cannot be reached)",
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
    #[error("the A record {name} in zone {zone} is not a simple record ({what}); the kit manages only a simple A record and leaves this one alone")]
    NotSimple {
        name: String,
        zone: String,
        what: String,
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
            Route53Error::NotSimple { .. } | Route53Error::Unexpected { .. } => false,
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

/// The reason an action did not succeed; the exit status follows from it.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Resource(#[from] ResourceError),
    #[error(transparent)]
    Route53(#[from] Route53Error),
    #[error("the A record {name} in zone {zone} was written (change {change_id}) but Route 53 did not report it INSYNC within {} s (ROUTE53_CHANGEID_INTERVAL={interval} x ROUTE53_CHANGEID_TRY_COUNT={tries}); clients may still get the old address for a while. Raise ROUTE53_CHANGEID_TRY_COUNT or ROUTE53_CHANGEID_INTERVAL in /etc/default/LifeKeeper, or run restore again: it succeeds at once when the record already holds the address", budget.as_secs())]
    NotInSync {
        name: String,
        zone: String,
        change_id: String,
        budget: Duration,
        interval: u64,
        tries: u64,
    },
    #[error("{0}")]
    Mismatch(String),
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
}

impl ActionError {
    pub fn exit_code(&self) -> i32 {
        match self {
            ActionError::Resource(_) => exit::RESOURCE,
            ActionError::Route53(_) => exit::ROUTE53,
            ActionError::NotInSync { .. } => exit::NOT_IN_SYNC,
            ActionError::Mismatch(_) => exit::FAILED,
            ActionError::Lock(_) => exit::BUSY,
        }
    }
}

impl From<LcdError> for ActionError {
    fn from(e: LcdError) -> Self {
        ActionError::Resource(ResourceError::Lcd(e))
    }
}
