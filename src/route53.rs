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

use crate::error::Route53Error;
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
    /// UPSERT exactly this name's A record; the change ID.
    fn upsert_a(
        &self,
        zone: &str,
        name: &str,
        address: Ipv4Addr,
        ttl: u32,
        comment: &str,
    ) -> impl Future<Output = Result<String, Route53Error>>;
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
}

/// The Route 53 API through the AWS SDK.
#[derive(Debug, Clone)]
pub struct Route53 {
    client: Client,
    endpoint: String,
    conf: aws_config::SdkConfig,
    server_date: ServerDate,
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

/// The signing region for the partition this node is in. Route 53 is
/// global: one region per partition, and no lookup on the network. The
/// partition is taken from `AWS_REGION`/`AWS_DEFAULT_REGION` where set.
pub fn signing_region(node_region: Option<&str>) -> &'static str {
    match node_region {
        Some(r) if r.starts_with("cn-") => "cn-northwest-1",
        Some(r) if r.starts_with("us-gov-") => "us-gov-west-1",
        _ => "us-east-1",
    }
}

fn default_endpoint(region: &str) -> &'static str {
    match region {
        "cn-northwest-1" => "https://route53.amazonaws.com.cn",
        "us-gov-west-1" => "https://route53.us-gov.amazonaws.com",
        _ => "https://route53.amazonaws.com",
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// The endpoint in use and the proxy (if any) requests pass through, for
/// messages. Credentials in a proxy URL are never shown.
pub fn describe_endpoint(region: &str) -> String {
    let url = env("AWS_ENDPOINT_URL_ROUTE_53")
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| default_endpoint(region).to_string());
    let proxy = if url.starts_with("https:") {
        env("HTTPS_PROXY").or_else(|| env("https_proxy"))
    } else {
        env("HTTP_PROXY").or_else(|| env("http_proxy"))
    };
    match proxy {
        Some(p) => format!("{url} via proxy {}", hide_userinfo(&p)),
        None => url,
    }
}

fn hide_userinfo(url: &str) -> String {
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
        let node_region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
        let region = signing_region(node_region.as_deref());
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
        let conf = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region))
            .timeout_config(timeouts)
            .retry_config(retries)
            .load()
            .await;
        tracing::debug!(region, "Route 53 client built");
        let server_date = ServerDate::default();
        let client = Client::from_conf(
            aws_sdk_route53::config::Builder::from(&conf)
                .interceptor(server_date.clone())
                .build(),
        );
        Route53 {
            client,
            endpoint: describe_endpoint(region),
            conf,
            server_date,
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
        let creds = provider
            .provide_credentials()
            .await
            .map_err(|e| chain(&e))?;
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
        classify(operation, zone, &self.endpoint, err)
    }
}

/// Turn an SDK error into the kit's: refused (with the code, and whether
/// another try may help) or no answer at all.
fn classify<E>(
    operation: &'static str,
    zone: &str,
    endpoint: &str,
    err: SdkError<E, aws_sdk_route53::config::http::HttpResponse>,
) -> Route53Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            let code = se
                .err()
                .code()
                .map(str::to_string)
                .unwrap_or_else(|| format!("HTTP {status}"));
            let message = se
                .err()
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| chain(&err));
            Route53Error::Refused {
                operation,
                zone: zone.to_string(),
                retryable: retryable_code(&code) || status >= 500 || status == 429,
                code,
                message,
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Route53Error::NoAnswer {
                operation,
                zone: zone.to_string(),
                endpoint: endpoint.to_string(),
                detail: chain(&err),
            }
        }
        _ => Route53Error::Unexpected {
            operation,
            detail: chain(&err),
        },
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
    ) -> Result<String, Route53Error> {
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
            .map(|c| c.id().to_string())
            .filter(|id| !id.is_empty())
            .ok_or(Route53Error::Garbled {
                operation: "ChangeResourceRecordSets",
                detail: "no ChangeInfo in the answer".into(),
            })
    }

    async fn change_state(&self, change_id: &str) -> Result<ChangeState, Route53Error> {
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
        assert_eq!(signing_region(None), "us-east-1");
        assert_eq!(signing_region(Some("eu-west-1")), "us-east-1");
        assert_eq!(signing_region(Some("cn-north-1")), "cn-northwest-1");
        assert_eq!(signing_region(Some("us-gov-east-1")), "us-gov-west-1");
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
    fn throttling_is_retryable_and_permissions_are_not() {
        assert!(retryable_code("Throttling"));
        assert!(retryable_code("PriorRequestNotComplete"));
        assert!(!retryable_code("AccessDenied"));
        assert!(!retryable_code("InvalidChangeBatch"));
        assert!(!retryable_code("NoSuchHostedZone"));
    }
}
