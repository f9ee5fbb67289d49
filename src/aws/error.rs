//! What can go wrong at Route 53, in the kit's words, and the one table of
//! Route 53's error codes: which ones another try can mend, which ones mean
//! the account is throttled, what a message adds and what to do. The
//! classification of SDK errors, the messages and doctor's remedies all
//! read this table.

/// Why no answer came: the cause in words, never a debug dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cause {
    ConnectionRefused,
    Dns,
    Tls(String),
    /// The server's certificate failed verification against the trust
    /// store: a configuration error, never tried again.
    Untrusted(String),
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
            Cause::Untrusted(d) => write!(
                f,
                "the server's certificate was not trusted ({d}) by {}",
                super::trust::system().describe()
            ),
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

/// What another try can do for an error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// The account asks too much of Route 53: wait, then try again.
    Throttled,
    /// The zone is still applying an earlier change: wait a moment, then
    /// try again, without counting it as a failed try.
    Busy,
    /// A passing condition: try again.
    Again,
    /// No other try can mend it.
    Never,
}

/// One Route 53 error code, decided once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Code {
    pub code: &'static str,
    pub retry: Retry,
    /// Added to the message, in parentheses, where it says more than the
    /// code.
    pub hint: &'static str,
    /// What to do, for doctor.
    pub remedy: &'static str,
}

const PERMISSIONS: &str = "the node's credentials lack a permission: grant route53:ListResourceRecordSets, route53:ChangeResourceRecordSets, route53:GetChange and route53:GetHostedZone on this zone";
const CREDENTIALS: &str =
    "the node's AWS credentials are wrong or expired, or its clock is off by more than 5 minutes";
const QUOTA: &str = "other clients in the account use the request quota; try again later";

/// The codes the kit knows. A code not listed is not retried (unless the
/// HTTP status says the server failed) and has no hint.
pub(crate) const CODES: &[Code] = &[
    Code { code: "Throttling", retry: Retry::Throttled, hint: "", remedy: QUOTA },
    Code { code: "ThrottlingException", retry: Retry::Throttled, hint: "", remedy: QUOTA },
    Code { code: "PriorRequestNotComplete", retry: Retry::Busy, hint: "the zone is still applying an earlier change", remedy: "it clears in seconds; other changes of this zone arrive close together" },
    Code { code: "RequestLimitExceeded", retry: Retry::Again, hint: "", remedy: QUOTA },
    Code { code: "ServiceUnavailable", retry: Retry::Again, hint: "", remedy: "as the message says" },
    Code { code: "InternalError", retry: Retry::Again, hint: "", remedy: "as the message says" },
    Code { code: "InternalFailure", retry: Retry::Again, hint: "", remedy: "as the message says" },
    Code { code: "RequestTimeout", retry: Retry::Again, hint: "", remedy: "as the message says" },
    Code { code: "AccessDenied", retry: Retry::Never, hint: PERMISSIONS, remedy: "grant the node's role the permissions in the README on this zone" },
    Code { code: "AccessDeniedException", retry: Retry::Never, hint: PERMISSIONS, remedy: "grant the node's role the permissions in the README on this zone" },
    Code { code: "NoSuchHostedZone", retry: Retry::Never, hint: "no hosted zone with this ID: check the zone ID stored in the resource", remedy: "check the zone ID stored in the resource" },
    Code { code: "InvalidChangeBatch", retry: Retry::Never, hint: "Route 53 rejected the record change; see the message", remedy: "as the message says" },
    Code { code: "SignatureDoesNotMatch", retry: Retry::Never, hint: CREDENTIALS, remedy: "the node's AWS credentials are wrong or expired, or its clock is off by more than 5 minutes (chronyd)" },
    Code { code: "InvalidClientTokenId", retry: Retry::Never, hint: CREDENTIALS, remedy: "the node's AWS credentials are wrong or expired, or its clock is off by more than 5 minutes (chronyd)" },
    Code { code: "UnrecognizedClientException", retry: Retry::Never, hint: CREDENTIALS, remedy: "the node's AWS credentials are wrong or expired, or its clock is off by more than 5 minutes (chronyd)" },
    Code { code: "ExpiredToken", retry: Retry::Never, hint: CREDENTIALS, remedy: "the node's AWS credentials are wrong or expired, or its clock is off by more than 5 minutes (chronyd)" },
];

/// The table's row for a code.
pub(crate) fn code(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.code == code)
}

/// Whether another try can mend an answer with this code and HTTP status:
/// the table says so, or the server failed (5xx, 429).
pub(crate) fn retryable(code_name: &str, http_status: u16) -> bool {
    code(code_name).is_some_and(|c| c.retry != Retry::Never)
        || http_status >= 500
        || http_status == 429
}

/// Route 53 said no, or could not be asked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Route53Error {
    #[error(
        "Route 53 {operation} for zone {zone} was refused: {code}: {message}{}",
        hint(code)
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
        /// What another try can do: STS throttled, a passing failure (a
        /// timeout, a 5xx, an answer cut short), or nothing.
        retry: Retry,
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

fn hint(code_name: &str) -> String {
    match code(code_name) {
        Some(c) if !c.hint.is_empty() => format!(" ({})", c.hint),
        _ => String::new(),
    }
}

impl Route53Error {
    /// Worth another try: throttling, a conflicting change, a server error, a
    /// network failure. Not worth it: permissions, a missing zone, a bad batch,
    /// missing credentials, a redirect, a bad endpoint.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            Route53Error::Refused { retryable, .. } => *retryable,
            Route53Error::Http { status, .. } => *status >= 500 || *status == 429,
            Route53Error::NoAnswer {
                cause: Cause::Untrusted(_),
                ..
            } => false,
            Route53Error::NoAnswer { .. } | Route53Error::Garbled { .. } => true,
            Route53Error::Credentials { retry, .. } => *retry != Retry::Never,
            Route53Error::Redirect { .. }
            | Route53Error::BadEndpoint { .. }
            | Route53Error::Unexpected { .. } => false,
        }
    }

    /// The credential lookup was throttled (STS): wait, then try again,
    /// without counting it as a failed try.
    pub(crate) fn is_credentials_throttling(&self) -> bool {
        matches!(
            self,
            Route53Error::Credentials {
                retry: Retry::Throttled,
                ..
            }
        )
    }

    /// Route 53 said the account asks too much of it.
    pub(crate) fn is_throttling(&self) -> bool {
        match self {
            Route53Error::Refused { code: c, .. } => {
                code(c).is_some_and(|c| c.retry == Retry::Throttled)
            }
            Route53Error::Http { status, .. } => *status == 429,
            _ => false,
        }
    }

    /// Route 53 refused the change batch itself (InvalidChangeBatch): for
    /// an UPSERT of a plain A record, a record of the name that it may not
    /// replace (an alias or routing-policy record), among others.
    pub(crate) fn is_invalid_change(&self) -> bool {
        matches!(self, Route53Error::Refused { code, .. } if code == "InvalidChangeBatch")
    }

    /// Route 53 said the zone is still applying an earlier change.
    pub(crate) fn is_zone_busy(&self) -> bool {
        matches!(self, Route53Error::Refused { code: c, .. } if code(c).is_some_and(|c| c.retry == Retry::Busy))
    }

    /// What to do about it, for doctor: it follows the cause.
    pub(crate) fn remedy(&self) -> &'static str {
        match self {
            Route53Error::Refused { code: c, .. } => code(c).map_or("as the message says", |c| c.remedy),
            Route53Error::NoAnswer { cause, .. } => match cause {
                Cause::ConnectionRefused => "nothing accepts connections at the endpoint or proxy: check AWS_ENDPOINT_URL_ROUTE_53, HTTPS_PROXY and the firewall (there is no VPC endpoint for the Route 53 API: use a NAT gateway or a proxy)",
                Cause::Dns => "the node cannot resolve the endpoint's (or the proxy's) name: check /etc/resolv.conf and the VPC's DNS",
                Cause::Tls(_) | Cause::Untrusted(_) => "the certificate presented is not trusted: add the CA of a TLS-inspecting proxy (or private endpoint) with ROUTE53_CA_BUNDLE in /etc/default/LifeKeeper (or AWS_CA_BUNDLE), or to the system trust store (update-ca-trust or update-ca-certificates)",
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

/// An error and its sources, one after the other ("a: b: c"), each said
/// once: the SDK's errors repeat their cause in their own text.
pub(crate) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        let text = e.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = e.source();
    }
    out
}

impl crate::retry::Mendable for Route53Error {
    fn is_retryable(&self) -> bool {
        Route53Error::is_retryable(self)
    }

    fn is_throttling(&self) -> bool {
        Route53Error::is_throttling(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_retryable_and_permissions_are_not() {
        assert!(retryable("Throttling", 400));
        assert!(retryable("PriorRequestNotComplete", 400));
        assert!(!retryable("AccessDenied", 403));
        assert!(!retryable("InvalidChangeBatch", 400));
        assert!(!retryable("NoSuchHostedZone", 404));
        assert!(retryable("SomethingNew", 503));
    }

    #[test]
    fn the_table_words_messages_and_remedies_alike() {
        let refused = |c: &str| Route53Error::Refused {
            operation: "ChangeResourceRecordSets",
            zone: "Z1".into(),
            code: c.into(),
            message: "m".into(),
            retryable: retryable(c, 400),
        };
        let denied = refused("AccessDenied");
        assert!(denied.to_string().contains("lack a permission"), "{denied}");
        assert!(denied.remedy().contains("permissions in the README"));
        assert!(refused("Throttling").is_throttling());
        assert!(!refused("PriorRequestNotComplete").is_throttling());
        assert!(refused("PriorRequestNotComplete").is_retryable());
        assert_eq!(
            refused("Whatever").to_string(),
            "Route 53 ChangeResourceRecordSets for zone Z1 was refused: Whatever: m"
        );
    }

    #[test]
    fn error_chains_say_each_cause_once() {
        #[derive(Debug)]
        struct E(&'static str, Option<Box<E>>);
        impl std::fmt::Display for E {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for E {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|e| e as _)
            }
        }
        let e = E(
            "dispatch failure",
            Some(Box::new(E("timeout", Some(Box::new(E("timeout", None)))))),
        );
        assert_eq!(chain(&e), "dispatch failure: timeout");
    }
}
