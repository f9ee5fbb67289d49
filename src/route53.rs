//! The one place that knows the AWS SDK: the client (signing region pinned
//! per partition, timeouts on every attempt, retries), one exact read of the
//! A record, the UPSERT, the change status and the zone.
//!
//! The actions see only the [`RecordApi`] trait, so the procedures read as
//! the README describes them and can be driven by a scripted double in
//! unit tests.

use std::future::Future;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_route53::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord, ResourceRecordSet, RrType,
};
use aws_sdk_route53::Client;

use aws_credential_types::provider::error::CredentialsError;

use crate::aws::Estate;
use crate::budget::{Budget, Waiting};
use crate::error::{Cause, Route53Error};
use crate::record::{same_name, ARecord, Routing};
use crate::settings::Settings;

/// SDK attempts per API call (the first plus retries), with jittered
/// exponential backoff between them.
pub const SDK_ATTEMPTS: u32 = 3;
const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A change's state as GetChange reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeState {
    Pending,
    InSync,
}

/// A change Route 53 accepted: its ID, and its status in the answer that
/// accepted it (a change can be INSYNC at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub id: String,
    pub state: ChangeState,
}

/// A hosted zone as GetHostedZone reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// With the final dot, as Route 53 gives it.
    pub name: String,
    pub private: bool,
}

/// What the actions may ask of Route 53.
pub trait RecordApi {
    /// The A record `name` in `zone`, read with one exact lookup.
    fn read_a(
        &self,
        zone: &str,
        name: &str,
    ) -> impl Future<Output = Result<Option<ARecord>, Route53Error>>;
    /// UPSERT exactly this name's A record; the change as accepted.
    fn upsert_a(
        &self,
        zone: &str,
        name: &str,
        address: Ipv4Addr,
        ttl: u32,
        comment: &str,
    ) -> impl Future<Output = Result<Accepted, Route53Error>>;
    fn change_state(
        &self,
        change_id: &str,
    ) -> impl Future<Output = Result<ChangeState, Route53Error>>;
    fn zone(&self, zone: &str) -> impl Future<Output = Result<Zone, Route53Error>>;
    /// Find credentials the way every call does and say which source gave
    /// them; never the credentials themselves.
    fn credentials(&self) -> impl Future<Output = Result<String, String>>;
    /// The server's clock at its last answer, where it sent one.
    fn server_date(&self) -> Option<SystemTime>;
    /// Where requests go, for messages.
    fn endpoint(&self) -> &str;
    /// This process waits for a change: registered with the node's other
    /// kit processes until dropped; its `gap()` spaces the status checks.
    fn waiting(&self) -> Waiting;
    /// The AWS side as decided for this run, as (name, text) lines: the
    /// partition and where it came from, profile, role, proxies, trust.
    fn aws_lines(&self) -> Vec<(&'static str, String)>;
    /// Who the calls are made as (sts:GetCallerIdentity): an ARN, never a
    /// credential.
    fn identity(&self) -> impl Future<Output = Result<String, String>>;
}

/// The Route 53 API through the AWS SDK.
#[derive(Debug, Clone)]
pub struct Route53 {
    client: Client,
    endpoint: String,
    conf: aws_config::SdkConfig,
    server_date: ServerDate,
    /// An endpoint override that is no URL: every call refuses at once,
    /// naming the variable, and nothing is sent.
    bad_endpoint: Option<(&'static str, String, String)>,
    /// The limit on a credential lookup made outside a call (doctor).
    attempt_limit: Duration,
    sent: Sent,
    /// The node's request budget, shared with the kit's other processes.
    budget: Budget,
    /// Region, partition, profile, role, trust: as decided for this run.
    estate: Estate,
}

/// Keeps the `Date` header of the last answer, to measure clock skew.
#[derive(Debug, Clone, Default)]
struct ServerDate(Arc<Mutex<Option<String>>>);

impl aws_sdk_route53::config::Intercept for ServerDate {
    fn name(&self) -> &'static str {
        "ServerDate"
    }

    fn read_before_deserialization(
        &self,
        context: &aws_sdk_route53::config::interceptors::BeforeDeserializationInterceptorContextRef<
            '_,
        >,
        _: &aws_sdk_route53::config::RuntimeComponents,
        _: &mut aws_sdk_route53::config::ConfigBag,
    ) -> Result<(), aws_sdk_route53::error::BoxError> {
        if let Some(date) = context.response().headers().get("date") {
            if let Ok(mut slot) = self.0.lock() {
                *slot = Some(date.to_string());
            }
        }
        Ok(())
    }
}

/// Whether the current attempt got as far as sending its request: an
/// attempt that timed out before it did was waiting for credentials.
#[derive(Debug, Clone, Default)]
struct Sent(Arc<std::sync::atomic::AtomicBool>);

impl aws_sdk_route53::config::Intercept for Sent {
    fn name(&self) -> &'static str {
        "Sent"
    }

    fn read_before_attempt(
        &self,
        _: &aws_sdk_route53::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_route53::config::RuntimeComponents,
        _: &mut aws_sdk_route53::config::ConfigBag,
    ) -> Result<(), aws_sdk_route53::error::BoxError> {
        self.0.store(false, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _: &aws_sdk_route53::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_route53::config::RuntimeComponents,
        _: &mut aws_sdk_route53::config::ConfigBag,
    ) -> Result<(), aws_sdk_route53::error::BoxError> {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

/// Counts the SDK's own retries against the node's budget: the first
/// attempt of each call took its slot before the call (and waited for it).
#[derive(Debug)]
struct Metered(Budget);

impl aws_sdk_route53::config::Intercept for Metered {
    fn name(&self) -> &'static str {
        "Metered"
    }

    fn read_before_attempt(
        &self,
        _: &aws_sdk_route53::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_route53::config::RuntimeComponents,
        cfg: &mut aws_sdk_route53::config::ConfigBag,
    ) -> Result<(), aws_sdk_route53::error::BoxError> {
        use aws_smithy_runtime_api::client::retries::RequestAttempts;
        if cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts()) > 1 {
            self.0.charge();
        }
        Ok(())
    }
}

/// A Route 53 answer for one record is a few KB; no answer is read beyond
/// this size.
pub const MAX_BODY: usize = 4 << 20;

/// Caps every response body while it is read: an endless or huge body ends
/// the attempt at [`MAX_BODY`] instead of filling memory.
#[derive(Debug)]
struct BodyCap;

impl aws_sdk_route53::config::Intercept for BodyCap {
    fn name(&self) -> &'static str {
        "BodyCap"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut aws_sdk_route53::config::interceptors::BeforeDeserializationInterceptorContextMut<'_>,
        _: &aws_sdk_route53::config::RuntimeComponents,
        _: &mut aws_sdk_route53::config::ConfigBag,
    ) -> Result<(), aws_sdk_route53::error::BoxError> {
        let response = context.response_mut();
        let body = response.take_body();
        *response.body_mut() = aws_smithy_types::body::SdkBody::from_body_1_x(
            http_body_util::Limited::new(body, MAX_BODY),
        );
        Ok(())
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// The endpoint override in force, if any: the variable and its value.
fn endpoint_override() -> Option<(&'static str, String)> {
    env("AWS_ENDPOINT_URL_ROUTE_53")
        .map(|v| ("AWS_ENDPOINT_URL_ROUTE_53", v))
        .or_else(|| env("AWS_ENDPOINT_URL").map(|v| ("AWS_ENDPOINT_URL", v)))
}

/// Why a URL cannot be an endpoint, where it cannot: it must be
/// `http://` or `https://`, a host, an optional numeric port and path, with
/// no white space or control characters.
pub fn endpoint_problem(url: &str) -> Option<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some("it has no scheme (http:// or https://)".into());
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Some(format!("the scheme {scheme:?} is neither http nor https"));
    }
    if let Some(c) = url.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Some(format!("it contains the character {c:?}"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || host_port.starts_with('[') => (h, Some(p)),
        _ => (host_port, None),
    };
    if host.is_empty() {
        return Some("it names no host".into());
    }
    if let Some(p) = port {
        if p.parse::<u16>().is_err() {
            return Some(format!("the port {p:?} is not a number from 0 to 65535"));
        }
    }
    None
}

/// The Route 53 URL requests go to: the override, else the partition's.
fn endpoint_url(partition: &crate::aws::Partition) -> String {
    endpoint_override()
        .map(|(_, v)| v)
        .unwrap_or_else(|| partition.route53.to_string())
}

/// The endpoint in use and the proxy (if any) requests pass through, for
/// messages. Credentials in a proxy URL are never shown.
pub fn describe_endpoint(partition: &crate::aws::Partition) -> String {
    let url = endpoint_url(partition);
    // As the client routes it: NO_PROXY and the scheme decide.
    match crate::aws::proxy_for(&url) {
        Some(p) => format!("{url} via proxy {p}"),
        None => url,
    }
}

pub fn hide_userinfo(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***@{}", &url[..s + 3], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// The longest one API call can take: every attempt timing out, plus the
/// backoff between attempts.
pub fn call_bound(settings: &Settings) -> Duration {
    let attempt = settings.connect_timeout() + settings.read_timeout();
    attempt * SDK_ATTEMPTS + MAX_BACKOFF * (SDK_ATTEMPTS - 1)
}

impl Route53 {
    /// Build the client from the default credential chain, with the
    /// settings' timeouts.
    pub async fn connect(settings: &Settings) -> Route53 {
        let estate = Estate::resolve(settings, &crate::aws::node_name()).await;
        let region = estate.partition.signing_region;
        let connect = settings.connect_timeout();
        let read = settings.read_timeout();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(connect)
            .read_timeout(read)
            .operation_attempt_timeout(connect + read)
            .operation_timeout(call_bound(settings))
            .build();
        let retries = RetryConfig::standard()
            .with_max_attempts(SDK_ATTEMPTS)
            .with_initial_backoff(INITIAL_BACKOFF)
            .with_max_backoff(MAX_BACKOFF);
        let http = crate::http::RunClient::new(estate.ca_bundle.as_ref().map(|b| b.pem.clone()));
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http.shared())
            .region(Region::new(region))
            .timeout_config(timeouts)
            .retry_config(retries)
            .profile_files(estate.profile_files());
        if let Some((profile, _)) = &estate.profile {
            loader = loader.profile_name(profile);
        }
        let mut conf = loader.load().await;
        if let (Some(role), Some(base)) = (&estate.role, conf.credentials_provider()) {
            // Every Route 53 call is made as the role, assumed at the STS
            // endpoint of the node's own region, with the same timeouts.
            let mut assume = aws_config::sts::AssumeRoleProvider::builder(&role.arn)
                .session_name(&role.session_name)
                .configure(&conf)
                .region(Region::new(estate.sts_region()));
            if let Some(id) = &role.external_id {
                assume = assume.external_id(id);
            }
            let provider = assume.build_from_provider(base).await;
            conf = conf
                .into_builder()
                .credentials_provider(aws_sdk_route53::config::SharedCredentialsProvider::new(
                    provider,
                ))
                .build();
        }
        tracing::debug!(region, "Route 53 client built");
        let server_date = ServerDate::default();
        let sent = Sent::default();
        let (rate, burst) = settings.api_budget();
        let budget = Budget { rate, burst };
        let client = Client::from_conf(
            aws_sdk_route53::config::Builder::from(&conf)
                .interceptor(server_date.clone())
                .interceptor(BodyCap)
                .interceptor(sent.clone())
                .interceptor(Metered(budget))
                .build(),
        );
        let bad_endpoint = endpoint_override()
            .and_then(|(var, value)| endpoint_problem(&value).map(|why| (var, value, why)));
        Route53 {
            client,
            endpoint: describe_endpoint(&estate.partition),
            conf,
            estate,
            server_date,
            bad_endpoint,
            attempt_limit: connect + read,
            sent,
            budget,
        }
    }

    /// Nothing is sent to an endpoint that is no URL.
    fn usable(&self) -> Result<(), Route53Error> {
        match &self.bad_endpoint {
            Some((variable, value, why)) => Err(Route53Error::BadEndpoint {
                variable,
                value: crate::settings::short(value),
                why: why.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Find credentials the way every call does, and say which source
    /// gave them.
    async fn credential_source(&self) -> Result<String, String> {
        use aws_credential_types::credential_feature::AwsCredentialFeature as F;
        use aws_sdk_route53::config::ProvideCredentials;
        let provider = self
            .conf
            .credentials_provider()
            .ok_or_else(|| "no credential provider is configured".to_string())?;
        let creds = tokio::time::timeout(self.attempt_limit, provider.provide_credentials())
            .await
            .map_err(|_| {
                format!(
                    "the credential lookup did not finish within {} s (ROUTE53_CONNECT_TIMEOUT + ROUTE53_READ_TIMEOUT)",
                    self.attempt_limit.as_secs()
                )
            })?
            .map_err(|e| credentials_text(&e))?;
        let features = creds.get_property::<Vec<F>>().cloned().unwrap_or_default();
        let source = features
            .iter()
            .rev()
            .find_map(|f| match f {
                F::CredentialsEnvVars => Some("environment variables (AWS_ACCESS_KEY_ID)"),
                F::CredentialsEnvVarsStsWebIdToken | F::CredentialsStsAssumeRoleWebId => {
                    Some("web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)")
                }
                F::CredentialsProfile
                | F::CredentialsProfileSourceProfile
                | F::CredentialsProfileNamedProvider
                | F::CredentialsProfileStsWebIdToken => Some("a profile in the AWS config files"),
                F::CredentialsProfileProcess | F::CredentialsProcess => {
                    Some("credential_process of an AWS profile")
                }
                F::CredentialsHttp => Some("the container credentials endpoint"),
                F::CredentialsImds => Some("the EC2 instance role (instance metadata)"),
                F::CredentialsStsAssumeRole => Some("an assumed role (profile role_arn)"),
                _ => None,
            })
            .unwrap_or("the default credential chain");
        // The role of the settings file is assumed by the kit itself: say
        // which, rather than the SDK's generic "assumed role".
        let role_text;
        let source = match &self.estate.role {
            Some(r) => {
                role_text = format!(
                    "the role {} (ROUTE53_ROLE_ARN), assumed with the node's own credentials",
                    r.arn
                );
                role_text.as_str()
            }
            None => source,
        };
        let expiry = creds
            .expiry()
            .and_then(|e| e.duration_since(SystemTime::now()).ok());
        Ok(match expiry {
            Some(left) => format!(
                "{source}, temporary, valid for {} more min",
                left.as_secs() / 60
            ),
            None => source.to_string(),
        })
    }

    fn fail<E>(
        &self,
        operation: &'static str,
        zone: &str,
        err: SdkError<E, aws_sdk_route53::config::http::HttpResponse>,
    ) -> Route53Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let attempt = Attempt {
            sent: self.sent.0.load(std::sync::atomic::Ordering::SeqCst),
            limit: self.attempt_limit,
        };
        let sts_code = find::<aws_sdk_sts::operation::assume_role::AssumeRoleError>(&err)
            .and_then(|e| e.code().map(str::to_string));
        let e = classify(operation, zone, &self.endpoint, attempt, err);
        let e = match (e, &self.estate.role) {
            // The credentials were to come from the role: name it, where it
            // was assumed, and STS's own error code.
            (Route53Error::Credentials { operation, detail }, Some(role)) => {
                Route53Error::Credentials {
                    operation,
                    detail: format!(
                        "assuming the role {} (ROUTE53_ROLE_ARN) at {} failed{}: {detail}",
                        role.arn,
                        self.estate.sts_endpoint(),
                        sts_code
                            .map(|c| format!(" with STS error {c}"))
                            .unwrap_or_default()
                    ),
                }
            }
            (e, _) => e,
        };
        if e.is_throttling() {
            self.budget.throttled();
        }
        e
    }
}

/// How far the failed attempt got: whether it sent its request, and the
/// time limit it had.
#[derive(Debug, Clone, Copy)]
struct Attempt {
    sent: bool,
    limit: Duration,
}

/// Turn an SDK error into the kit's, naming the cause in words: a Route 53
/// error answer (with its code, and whether another try may help), an HTTP
/// answer that is no Route 53 answer, a redirect, missing credentials, or no
/// answer at all (refused, DNS, TLS, timeout, closed).
fn classify<E>(
    operation: &'static str,
    zone: &str,
    endpoint: &str,
    attempt: Attempt,
    err: SdkError<E, aws_sdk_route53::config::http::HttpResponse>,
) -> Route53Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let Some(detail) = find::<CredentialsError>(&err).map(credentials_text) {
        return Route53Error::Credentials { operation, detail };
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
        };
    }
    match &err {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            if (300..400).contains(&status) {
                return Route53Error::Redirect {
                    operation,
                    endpoint: endpoint.to_string(),
                    status,
                    location: crate::settings::short(
                        se.raw()
                            .headers()
                            .get("location")
                            .unwrap_or("(no Location header)"),
                    ),
                };
            }
            match se.err().code() {
                Some(code) => Route53Error::Refused {
                    operation,
                    zone: zone.to_string(),
                    retryable: retryable_code(code) || status >= 500 || status == 429,
                    code: code.to_string(),
                    message: se.err().message().unwrap_or("(no message)").to_string(),
                },
                None => Route53Error::Http {
                    operation,
                    endpoint: endpoint.to_string(),
                    status,
                },
            }
        }
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
                _ => format!(
                    "the answer could not be read: {}",
                    crate::settings::short(&chain(&err))
                ),
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
            detail: crate::settings::short(&chain(&err)),
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

fn find<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    sources(err).find_map(|e| e.downcast_ref::<T>())
}

/// Why no answer came, from the error chain of a failed dispatch.
pub fn cause_of(err: &(dyn std::error::Error + 'static)) -> Cause {
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
            return Cause::Tls(crate::settings::short(&deepest));
        }
        if text.contains("timeout") || text.contains("timed out") {
            return Cause::Timeout;
        }
    }
    Cause::Other(crate::settings::short(&chain(err)))
}

/// A credential lookup that failed, in words.
fn credentials_text(e: &CredentialsError) -> String {
    match e {
        CredentialsError::CredentialsNotLoaded(_) => {
            "no AWS credentials were found (environment variables, the AWS config files, web identity, the container endpoint and the instance role were tried)".to_string()
        }
        CredentialsError::ProviderTimedOut(t) => format!(
            "the credential lookup did not finish within {} s",
            t.timeout_duration().as_secs()
        ),
        // Long enough for the provider's own reason (STS's error code, a
        // profile's problem), which comes last in the chain.
        other => format!(
            "the credential lookup failed: {}",
            crate::settings::short_to(&chain(other), 400)
        ),
    }
}

/// An error and its sources, one after the other ("a: b: c"), each said
/// once: the SDK's errors repeat their cause in their own text.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
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

/// Error codes where waiting and trying again can succeed.
pub fn retryable_code(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "PriorRequestNotComplete"
            | "RequestLimitExceeded"
            | "ServiceUnavailable"
            | "InternalError"
            | "InternalFailure"
            | "RequestTimeout"
    )
}

impl RecordApi for Route53 {
    async fn read_a(&self, zone: &str, name: &str) -> Result<Option<ARecord>, Route53Error> {
        self.usable()?;
        self.budget.take().await;
        let out = self
            .client
            .list_resource_record_sets()
            .hosted_zone_id(zone)
            .start_record_name(name)
            .start_record_type(RrType::A)
            .max_items(1)
            .send()
            .await
            .map_err(|e| self.fail("ListResourceRecordSets", zone, e))?;
        // Every whole answer echoes MaxItems; the SDK fills a missing one
        // with 0. A cut-off answer must never read as "no record".
        if out.max_items() < 1 {
            return Err(Route53Error::Garbled {
                operation: "ListResourceRecordSets",
                detail: "no MaxItems in the answer".into(),
            });
        }
        // Where the record does not exist, the next one in order comes back.
        Ok(out
            .resource_record_sets()
            .iter()
            .find(|r| same_name(r.name(), name) && *r.r#type() == RrType::A)
            .map(|r| ARecord {
                name: r.name().to_string(),
                ttl: r.ttl(),
                values: r
                    .resource_records()
                    .iter()
                    .map(|v| v.value().to_string())
                    .collect(),
                routing: routing(r),
                alias_target: r.alias_target().map(|a| a.dns_name().to_string()),
            }))
    }

    async fn upsert_a(
        &self,
        zone: &str,
        name: &str,
        address: Ipv4Addr,
        ttl: u32,
        comment: &str,
    ) -> Result<Accepted, Route53Error> {
        self.usable()?;
        self.budget.take().await;
        let build = |e: aws_sdk_route53::error::BuildError| Route53Error::Unexpected {
            operation: "ChangeResourceRecordSets",
            detail: chain(&e),
        };
        let record = ResourceRecordSet::builder()
            .name(name)
            .r#type(RrType::A)
            .ttl(i64::from(ttl))
            .resource_records(
                ResourceRecord::builder()
                    .value(address.to_string())
                    .build()
                    .map_err(build)?,
            )
            .build()
            .map_err(build)?;
        let batch = ChangeBatch::builder()
            .comment(comment)
            .changes(
                Change::builder()
                    .action(ChangeAction::Upsert)
                    .resource_record_set(record)
                    .build()
                    .map_err(build)?,
            )
            .build()
            .map_err(build)?;
        let out = self
            .client
            .change_resource_record_sets()
            .hosted_zone_id(zone)
            .change_batch(batch)
            .send()
            .await
            .map_err(|e| self.fail("ChangeResourceRecordSets", zone, e))?;
        out.change_info()
            .filter(|c| !c.id().is_empty())
            .map(|c| Accepted {
                id: c.id().to_string(),
                state: if *c.status() == ChangeStatus::Insync {
                    ChangeState::InSync
                } else {
                    ChangeState::Pending
                },
            })
            .ok_or(Route53Error::Garbled {
                operation: "ChangeResourceRecordSets",
                detail: "no ChangeInfo in the answer".into(),
            })
    }

    async fn change_state(&self, change_id: &str) -> Result<ChangeState, Route53Error> {
        self.usable()?;
        self.budget.take().await;
        let out = self
            .client
            .get_change()
            .id(change_id)
            .send()
            .await
            .map_err(|e| self.fail("GetChange", "-", e))?;
        match out.change_info().map(|c| c.status()) {
            Some(ChangeStatus::Insync) => Ok(ChangeState::InSync),
            Some(ChangeStatus::Pending) => Ok(ChangeState::Pending),
            Some(other) => Err(Route53Error::Unexpected {
                operation: "GetChange",
                detail: format!("change {change_id} has status {}", other.as_str()),
            }),
            None => Err(Route53Error::Garbled {
                operation: "GetChange",
                detail: "no ChangeInfo in the answer".into(),
            }),
        }
    }

    async fn zone(&self, zone: &str) -> Result<Zone, Route53Error> {
        self.usable()?;
        self.budget.take().await;
        let out = self
            .client
            .get_hosted_zone()
            .id(zone)
            .send()
            .await
            .map_err(|e| self.fail("GetHostedZone", zone, e))?;
        let z = out.hosted_zone().ok_or(Route53Error::Unexpected {
            operation: "GetHostedZone",
            detail: "no HostedZone in the answer".into(),
        })?;
        Ok(Zone {
            name: z.name().to_string(),
            private: z.config().is_some_and(|c| c.private_zone()),
        })
    }

    async fn credentials(&self) -> Result<String, String> {
        self.credential_source().await
    }

    fn server_date(&self) -> Option<SystemTime> {
        let text = self.server_date.0.lock().ok()?.clone()?;
        let t = aws_sdk_route53::primitives::DateTime::from_str(
            &text,
            aws_sdk_route53::primitives::DateTimeFormat::HttpDate,
        )
        .ok()?;
        SystemTime::try_from(t).ok()
    }

    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn waiting(&self) -> Waiting {
        self.budget.waiting()
    }

    fn aws_lines(&self) -> Vec<(&'static str, String)> {
        let e = &self.estate;
        let mut out = vec![(
            "partition",
            format!(
                "{} (signing region {}; node region {}, from {})",
                e.partition.name,
                e.partition.signing_region,
                e.region.as_deref().unwrap_or("unknown"),
                e.region_source
            ),
        )];
        out.push((
            "profile",
            match &e.profile {
                Some((p, from)) => format!("{p} (from {from})"),
                None => "default".into(),
            },
        ));
        out.push((
            "config files",
            format!(
                "{} and {}{}",
                e.config_file
                    .as_ref()
                    .map_or("none".into(), |p| p.display().to_string()),
                e.credentials_file
                    .as_ref()
                    .map_or("none".into(), |p| p.display().to_string()),
                e.home
                    .as_ref()
                    .map(|h| format!(" (home from {})", h.source))
                    .unwrap_or_default()
            ),
        ));
        out.push((
            "role",
            match &e.role {
                Some(r) => format!(
                    "{} as session {}{}, assumed at {}",
                    r.arn,
                    r.session_name,
                    if r.external_id.is_some() {
                        " with an external ID"
                    } else {
                        ""
                    },
                    crate::aws::route_of(&e.sts_endpoint())
                ),
                None => "none (the node's own credentials)".into(),
            },
        ));
        out.push((
            "route 53",
            crate::aws::route_of(&endpoint_url(&e.partition)),
        ));
        out.push((
            "metadata",
            "instance metadata is reached directly, never through a proxy".into(),
        ));
        out.push(("trust", e.trust_source()));
        if let Some(b) = &e.ca_bundle {
            for p in &b.problems {
                out.push(("trust", format!("problem: {p}")));
            }
        }
        out
    }

    async fn identity(&self) -> Result<String, String> {
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&self.conf)
                .region(Region::new(self.estate.sts_region()))
                .build(),
        );
        match tokio::time::timeout(self.attempt_limit * 2, sts.get_caller_identity().send()).await {
            Ok(Ok(out)) => Ok(out.arn().unwrap_or("(no ARN in the answer)").to_string()),
            Ok(Err(e)) => Err(crate::settings::short(&chain(&e))),
            Err(_) => Err(format!(
                "sts:GetCallerIdentity did not answer within {} s",
                (self.attempt_limit * 2).as_secs()
            )),
        }
    }
}

/// The routing policy of a record set, where it has one: a record with a
/// set identifier is never a simple record.
fn routing(r: &ResourceRecordSet) -> Option<Routing> {
    let set_identifier = r.set_identifier()?.to_string();
    let policy = if r.weight().is_some() {
        "weighted"
    } else if r.region().is_some() {
        "latency"
    } else if r.failover().is_some() {
        "failover"
    } else if r.geo_location().is_some() {
        "geolocation"
    } else if r.geo_proximity_location().is_some() {
        "geoproximity"
    } else if r.multi_value_answer().is_some() {
        "multivalue answer"
    } else if r.cidr_routing_config().is_some() {
        "IP-based"
    } else {
        "routing-policy"
    };
    Some(Routing {
        policy,
        set_identifier,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_region_is_pinned_per_partition() {
        use crate::aws::partition;
        assert_eq!(partition(None).signing_region, "us-east-1");
        assert_eq!(partition(Some("eu-west-1")).signing_region, "us-east-1");
        assert_eq!(
            partition(Some("cn-north-1")).signing_region,
            "cn-northwest-1"
        );
        assert_eq!(
            partition(Some("us-gov-east-1")).signing_region,
            "us-gov-west-1"
        );
    }

    #[test]
    fn proxy_credentials_are_hidden() {
        assert_eq!(
            hide_userinfo("http://user:secret@proxy:3128"),
            "http://***@proxy:3128"
        );
        assert_eq!(hide_userinfo("http://proxy:3128"), "http://proxy:3128");
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

    #[test]
    fn endpoints_that_are_no_url_are_named() {
        assert_eq!(endpoint_problem("http://127.0.0.1:4566"), None);
        assert_eq!(endpoint_problem("https://route53.amazonaws.com/"), None);
        assert_eq!(endpoint_problem("https://[::1]:8443"), None);
        for (bad, why) in [
            ("not a url", "no scheme"),
            ("ftp://x", "neither http nor https"),
            ("http://", "no host"),
            ("http://a b", "character ' '"),
            ("http://host:port", "not a number"),
        ] {
            let got = endpoint_problem(bad).unwrap_or_default();
            assert!(got.contains(why), "{bad}: {got}");
        }
    }

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
        assert!(matches!(cause_of(&tls), Cause::Tls(t) if t.contains("UnknownIssuer")));
        use http_body_util::BodyExt;
        let too_long =
            http_body_util::Limited::new(http_body_util::Full::new(&b"0123456789"[..]), 4)
                .collect()
                .await
                .expect_err("over the limit");
        let big = Wrap("read body", too_long);
        assert_eq!(cause_of(&big), Cause::TooLarge(MAX_BODY));
    }

    #[test]
    fn throttling_is_retryable_and_permissions_are_not() {
        assert!(retryable_code("Throttling"));
        assert!(retryable_code("PriorRequestNotComplete"));
        assert!(!retryable_code("AccessDenied"));
        assert!(!retryable_code("InvalidChangeBatch"));
        assert!(!retryable_code("NoSuchHostedZone"));
    }
}
