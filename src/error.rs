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
    /// Stopped by SIGINT (128 + 2).
    Interrupted = 130,
    /// Stopped by SIGTERM (128 + 15).
    Terminated = 143,
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
        /// Nothing on stdout or stderr: for a query, "nothing matches".
        silent: bool,
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

    /// A query that found nothing: exit 7, or a nonzero exit with nothing
    /// printed at all (SIOS's own scripts test `ins_list -R TAG` and
    /// `eqv_list -t TAG` so). A nonzero exit with a message is a failure.
    pub fn is_no_match(&self) -> bool {
        match self {
            LcdError::Failed { silent, .. } => *silent || self.is_no_such_object(),
            _ => false,
        }
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
    #[error("IP resource {ip_tag:?} holds {address}, {why}, which no client can reach; the kit publishes only a unicast address (give the IP resource the node's own private address)")]
    UnusableAddress {
        ip_tag: String,
        address: std::net::Ipv4Addr,
        why: &'static str,
    },
    #[error("a resource with tag {tag:?} already exists")]
    TagTaken { tag: String },
    #[error("resources depend on {tag:?} ({}); remove those dependencies (or those resources) first", parents.join(", "))]
    HasParents { tag: String, parents: Vec<String> },
    #[error(transparent)]
    Lcd(#[from] LcdError),
}

/// Why no answer came: the cause in words, never a debug dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    ConnectionRefused,
    Dns,
    Tls(String),
    Timeout,
    Closed,
    /// The answer was larger than the kit reads.
    TooLarge(usize),
    Other(String),
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cause::ConnectionRefused => f.write_str("the connection was refused"),
            Cause::Dns => f.write_str("the endpoint's host name could not be resolved (DNS)"),
            Cause::Tls(d) if d.contains("UnknownIssuer") || d.contains("certificate") => {
                write!(f, "the server's certificate was not trusted: {d}")
            }
            Cause::Tls(d) => write!(f, "the TLS handshake failed: {d}"),
            Cause::Timeout => f.write_str(
                "no answer within the time limits (ROUTE53_CONNECT_TIMEOUT, ROUTE53_READ_TIMEOUT)",
            ),
            Cause::Closed => f.write_str("the connection was closed before an answer came"),
            Cause::TooLarge(cap) => write!(
                f,
                "the answer was larger than {} MiB and was not read to its end",
                cap >> 20
            ),
            Cause::Other(d) => f.write_str(d),
        }
    }
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
        "Route 53 {operation} for zone {zone} failed without an answer from {endpoint}: {cause}"
    )]
    NoAnswer {
        operation: &'static str,
        zone: String,
        endpoint: String,
        cause: Cause,
    },
    #[error("Route 53 {operation} was not sent: {detail}")]
    Credentials {
        operation: &'static str,
        detail: String,
    },
    #[error("Route 53 {operation}: {endpoint} answered with a redirect (HTTP {status}) to {location}; the kit does not follow redirects")]
    Redirect {
        operation: &'static str,
        endpoint: String,
        status: u16,
        location: String,
    },
    #[error("Route 53 {operation}: {endpoint} answered HTTP {status} without a Route 53 error in it (a proxy or load balancer in between?)")]
    Http {
        operation: &'static str,
        endpoint: String,
        status: u16,
    },
    #[error("{variable}={value:?} is not usable as the Route 53 endpoint: {why}")]
    BadEndpoint {
        variable: &'static str,
        value: String,
        why: String,
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
    /// network failure. Not worth it: permissions, a missing zone, a bad batch,
    /// missing credentials, a redirect, a bad endpoint.
    pub fn is_retryable(&self) -> bool {
        match self {
            Route53Error::Refused { retryable, .. } => *retryable,
            Route53Error::Http { status, .. } => *status >= 500 || *status == 429,
            Route53Error::NoAnswer { .. } | Route53Error::Garbled { .. } => true,
            Route53Error::Credentials { .. }
            | Route53Error::Redirect { .. }
            | Route53Error::BadEndpoint { .. }
            | Route53Error::Unexpected { .. } => false,
        }
    }

    /// Route 53 said the account asks too much of it.
    pub fn is_throttling(&self) -> bool {
        match self {
            Route53Error::Refused { code, .. } => {
                matches!(code.as_str(), "Throttling" | "ThrottlingException")
            }
            Route53Error::Http { status, .. } => *status == 429,
            _ => false,
        }
    }

    /// What to do about it, for doctor: it follows the cause.
    pub fn remedy(&self) -> &'static str {
        match self {
            Route53Error::Refused { code, .. } => match code.as_str() {
                "AccessDenied" | "AccessDeniedException" => "grant the node's role the permissions in the README on this zone",
                "NoSuchHostedZone" => "check the zone ID stored in the resource",
                "SignatureDoesNotMatch" | "InvalidClientTokenId" | "UnrecognizedClientException" | "ExpiredToken" => "the node's AWS credentials are wrong or expired, or its clock is off by more than 5 minutes (chronyd)",
                "Throttling" | "ThrottlingException" | "PriorRequestNotComplete" => "other clients in the account use the request quota; try again later",
                _ => "as the message says",
            },
            Route53Error::NoAnswer { cause, .. } => match cause {
                Cause::ConnectionRefused => "nothing accepts connections at the endpoint or proxy: check AWS_ENDPOINT_URL_ROUTE_53, HTTPS_PROXY and the firewall (there is no VPC endpoint for the Route 53 API: use a NAT gateway or a proxy)",
                Cause::Dns => "the node cannot resolve the endpoint's (or the proxy's) name: check /etc/resolv.conf and the VPC's DNS",
                Cause::Tls(_) => "the certificate presented is not trusted: add the CA of a TLS-inspecting proxy (or private endpoint) with ROUTE53_CA_BUNDLE in /etc/default/LifeKeeper (or AWS_CA_BUNDLE), or to the system trust store (update-ca-trust or update-ca-certificates)",
                Cause::Timeout => "the path to the endpoint drops packets: check the NAT gateway or proxy (HTTPS_PROXY, NO_PROXY in LifeKeeper's environment) and security groups, or raise ROUTE53_CONNECT_TIMEOUT / ROUTE53_READ_TIMEOUT",
                Cause::TooLarge(_) => "something between the node and Route 53 answers with a body that is no Route 53 answer: check the proxy",
                Cause::Closed | Cause::Other(_) => "check the network path to the endpoint (NAT gateway or proxy)",
            },
            Route53Error::Credentials { .. } => "attach an instance role to the node (or set a profile) with the permissions in the README; a credential_process must print its JSON within the time limits",
            Route53Error::Redirect { .. } => "point AWS_ENDPOINT_URL_ROUTE_53 (or the proxy) at the Route 53 API itself",
            Route53Error::Http { .. } => "a proxy or load balancer between the node and Route 53 answered with an error page: check it",
            Route53Error::BadEndpoint { .. } => "fix or unset the variable named, in the environment LifeKeeper runs actions in",
            Route53Error::Garbled { .. } | Route53Error::Unexpected { .. } => "run the action again; if it persists, check the path to the endpoint (a proxy changing answers?)",
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
    #[error("the lock {} is not used: {why}", path.display())]
    Unsafe { path: PathBuf, why: String },
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
            ActionError::Lock(LockError::Busy { .. }) => ExitStatus::Busy,
            ActionError::Lock(_) => ExitStatus::Resource,
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
            silent: false,
        };
        assert!(e.is_no_such_object());
        assert!(e.to_string().contains("(no such object)"));
    }
}
