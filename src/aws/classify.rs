//! An SDK error turned into the kit's words: a Route 53 error answer (its
//! code read by the one table in [`super::error`]), an HTTP answer that is
//! no Route 53 answer, a redirect, missing credentials, or no answer at all
//! with its cause (refused, DNS, TLS, timeout, closed, too large).

use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_route53::error::{ProvideErrorMetadata, SdkError};

use super::error::{chain, retryable, Cause, Retry, Route53Error};
use crate::text::{short, short_to};

/// No answer is read beyond this size (a Route 53 answer for one record is
/// a few KB).
pub(crate) const MAX_BODY: usize = 4 << 20;

/// How far the failed attempt got: whether it sent its request, and the
/// time limit it had.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attempt {
    pub sent: bool,
    pub limit: Duration,
}

/// Turn an SDK error into the kit's, naming the cause in words: a Route 53
/// error answer (with its code, and whether another try may help), an HTTP
/// answer that is no Route 53 answer, a redirect, missing credentials, or no
/// answer at all (refused, DNS, TLS, timeout, closed).
pub(crate) fn classify<E>(
    operation: &'static str,
    zone: &str,
    endpoint: &str,
    attempt: Attempt,
    err: SdkError<E, aws_sdk_route53::config::http::HttpResponse>,
) -> Route53Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let Some(e) = find::<CredentialsError>(&err) {
        return Route53Error::Credentials {
            operation,
            detail: credentials_text(e),
            retry: transient(e),
        };
    }
    // An attempt that ran out of time before it sent anything was waiting
    // for its credentials.
    if !attempt.sent && matches!(err, SdkError::TimeoutError(_)) {
        return Route53Error::Credentials {
            operation,
            detail: format!(
                "the credential lookup did not finish within the attempt's time limit of {} s (ROUTE53_CONNECT_TIMEOUT + ROUTE53_READ_TIMEOUT); a credential_process that hangs?",
                attempt.limit.as_secs()
            ),
            retry: super::error::Retry::Again,
        };
    }
    match &err {
        SdkError::ServiceError(se) => answered(
            operation,
            zone,
            endpoint,
            se.raw(),
            se.err().code(),
            se.err().message(),
        ),
        SdkError::TimeoutError(_) => Route53Error::NoAnswer {
            operation,
            zone: zone.to_string(),
            endpoint: endpoint.to_string(),
            cause: Cause::Timeout,
        },
        SdkError::ResponseError(_) => Route53Error::Garbled {
            operation,
            detail: match cause_of(&err) {
                c @ Cause::TooLarge(_) => c.to_string(),
                _ => format!("the answer could not be read: {}", short(&chain(&err))),
            },
        },
        SdkError::DispatchFailure(_) => Route53Error::NoAnswer {
            operation,
            zone: zone.to_string(),
            endpoint: endpoint.to_string(),
            cause: cause_of(&err),
        },
        _ => Route53Error::Unexpected {
            operation,
            detail: short(&chain(&err)),
        },
    }
}

/// An answer that is an error: a redirect, a Route 53 error with its code
/// (read by the one table), or an HTTP error that is no Route 53 answer.
fn answered(
    operation: &'static str,
    zone: &str,
    endpoint: &str,
    raw: &aws_sdk_route53::config::http::HttpResponse,
    code: Option<&str>,
    message: Option<&str>,
) -> Route53Error {
    let status = raw.status().as_u16();
    if (300..400).contains(&status) {
        return Route53Error::Redirect {
            operation,
            endpoint: endpoint.to_string(),
            status,
            location: short(
                raw.headers()
                    .get("location")
                    .unwrap_or("(no Location header)"),
            ),
        };
    }
    match code {
        Some(code) => Route53Error::Refused {
            operation,
            zone: zone.to_string(),
            retryable: retryable(code, status),
            code: code.to_string(),
            message: message.unwrap_or("(no message)").to_string(),
        },
        None => Route53Error::Http {
            operation,
            endpoint: endpoint.to_string(),
            status,
        },
    }
}

/// The errors behind `err`, itself first; after an `io::Error`, the error it
/// carries.
fn sources<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| match e.downcast_ref::<std::io::Error>() {
        Some(io) => io
            .get_ref()
            .map(|inner| inner as &(dyn std::error::Error + 'static)),
        None => e.source(),
    })
}

pub(crate) fn find<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    sources(err).find_map(|e| e.downcast_ref::<T>())
}

/// Why no answer came, from the error chain of a failed dispatch.
pub(crate) fn cause_of(err: &(dyn std::error::Error + 'static)) -> Cause {
    for e in sources(err) {
        if e.downcast_ref::<http_body_util::LengthLimitError>()
            .is_some()
        {
            return Cause::TooLarge(MAX_BODY);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            match io.kind() {
                K::ConnectionRefused => return Cause::ConnectionRefused,
                K::TimedOut => return Cause::Timeout,
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                    return Cause::Closed
                }
                _ => {}
            }
        }
        let text = e.to_string().to_ascii_lowercase();
        if text.contains("dns error") || text.contains("failed to lookup address") {
            return Cause::Dns;
        }
        if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
            // The innermost such error says why (the outer ones only that
            // the handshake failed): "invalid peer certificate: UnknownIssuer".
            let deepest = sources(e)
                .map(|s| s.to_string())
                .filter(|t| {
                    let t = t.to_ascii_lowercase();
                    t.contains("certificate") || t.contains("tls") || t.contains("handshake")
                })
                .last()
                .unwrap_or_else(|| e.to_string());
            // A certificate that failed verification is a configuration
            // error: no other try mends it.
            if deepest.contains("invalid peer certificate") || deepest.contains("UnknownIssuer") {
                return Cause::Untrusted(short(&deepest));
            }
            return Cause::Tls(short(&deepest));
        }
        if text.contains("timeout") || text.contains("timed out") {
            return Cause::Timeout;
        }
    }
    Cause::Other(short(&chain(err)))
}

/// What another try can do for a failed credential lookup: STS throttled
/// (wait, try again), a passing failure (a timeout, no answer, a 5xx, an
/// answer cut short), or nothing (no credentials, access denied, a bad
/// configuration, a certificate not trusted).
pub(crate) fn transient(e: &CredentialsError) -> Retry {
    use aws_sdk_sts::operation::assume_role::AssumeRoleError;
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    match e {
        CredentialsError::ProviderTimedOut(_) => return Retry::Again,
        CredentialsError::CredentialsNotLoaded(_) | CredentialsError::InvalidConfiguration(_) => {
            return Retry::Never
        }
        _ => {}
    }
    if find::<super::credentials::Malformed>(e).is_some() {
        return Retry::Again;
    }
    if let Some(p) = find::<super::credentials::ProcessFailed>(e) {
        return if p.detail.contains("did not finish within") {
            Retry::Again
        } else {
            Retry::Never
        };
    }
    type StsError =
        aws_sdk_sts::error::SdkError<AssumeRoleError, aws_sdk_sts::config::http::HttpResponse>;
    if let Some(sdk) = find::<StsError>(e) {
        return match sdk {
            aws_sdk_sts::error::SdkError::ServiceError(se) => {
                let status = se.raw().status().as_u16();
                match se.err().code().and_then(super::error::code) {
                    Some(c) if c.retry != Retry::Never => c.retry,
                    _ if status >= 500 || status == 429 => Retry::Again,
                    _ => Retry::Never,
                }
            }
            aws_sdk_sts::error::SdkError::ConstructionFailure(_) => Retry::Never,
            _ => match cause_of(sdk) {
                Cause::Untrusted(_) => Retry::Never,
                _ => Retry::Again,
            },
        };
    }
    match cause_of(e) {
        Cause::Timeout | Cause::Closed | Cause::ConnectionRefused | Cause::TooLarge(_) => {
            Retry::Again
        }
        Cause::Tls(_) | Cause::Dns => Retry::Again,
        Cause::Untrusted(_) | Cause::Other(_) => Retry::Never,
    }
}

/// A credential lookup that failed, in words.
pub(crate) fn credentials_text(e: &CredentialsError) -> String {
    match e {
        CredentialsError::CredentialsNotLoaded(_) => {
            "no AWS credentials were found (environment variables, the AWS config files, web identity, the container endpoint and the instance role were tried)".to_string()
        }
        CredentialsError::ProviderTimedOut(t) => format!(
            "the credential lookup did not finish within {} s",
            t.timeout_duration().as_secs()
        ),
        other => match cause_of(other) {
            c @ Cause::TooLarge(_) => format!("the credential lookup failed: {c}"),
            // Long enough for the provider's own reason (STS's error code,
            // a profile's problem), which comes last in the chain.
            _ => format!(
                "the credential lookup failed: {}",
                short_to(&chain(other), 400)
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn causes_are_named_from_the_error_chain() {
        #[derive(Debug)]
        struct Wrap(&'static str, Box<dyn std::error::Error + Send + Sync>);
        impl std::fmt::Display for Wrap {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for Wrap {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(self.1.as_ref())
            }
        }
        let io = |k| Wrap("dispatch failure", Box::new(std::io::Error::from(k)));
        assert_eq!(
            cause_of(&io(std::io::ErrorKind::ConnectionRefused)),
            Cause::ConnectionRefused
        );
        assert_eq!(
            cause_of(&io(std::io::ErrorKind::ConnectionReset)),
            Cause::Closed
        );
        let dns = Wrap(
            "client error (Connect)",
            Box::new(std::io::Error::other(
                "dns error: failed to lookup address information",
            )),
        );
        assert_eq!(cause_of(&dns), Cause::Dns);
        let tls = Wrap(
            "io error",
            Box::new(std::io::Error::other(
                "invalid peer certificate: UnknownIssuer",
            )),
        );
        assert!(matches!(cause_of(&tls), Cause::Untrusted(t) if t.contains("UnknownIssuer")));
        let reset = Wrap(
            "io error",
            Box::new(std::io::Error::other("tls handshake eof")),
        );
        assert!(matches!(cause_of(&reset), Cause::Tls(_)));
        use http_body_util::BodyExt;
        let too_long =
            http_body_util::Limited::new(http_body_util::Full::new(&b"0123456789"[..]), 4)
                .collect()
                .await
                .expect_err("over the limit");
        let big = Wrap("read body", too_long);
        assert_eq!(cause_of(&big), Cause::TooLarge(MAX_BODY));
    }
}
