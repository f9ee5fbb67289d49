//! The Route 53 client of a run, built once: the signing region pinned per
//! partition, a pinned behaviour version, timeouts on every attempt, the
//! run's one HTTP client, and the role assumed where one is set. Every
//! request goes through one call path, [`Route53::call`]: the endpoint
//! checked, a slot of the node's request budget taken, the request sent,
//! the answer classified; throttling is seen there and told to the budget.

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

use super::api::{Accepted, ChangeState, Probe, RecordApi, Zone};
use super::budget::{Budget, Waiting};
use super::classify::{classify, credentials_text, find, Attempt, MAX_BODY};
use super::endpoint::bad_route53_override;
use super::error::{chain, Route53Error};
use super::estate::{node_name, Estate};
use super::http::RunClient;
use crate::record::{same_name, ARecord, Routing};
use crate::settings::Settings;
use crate::text::short;

/// SDK attempts per API call (the first plus retries), with jittered
/// exponential backoff between them.
pub const SDK_ATTEMPTS: u32 = 3;
const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The longest one API call can take: every attempt timing out, plus the
/// backoff between attempts.
pub fn call_bound(settings: &Settings) -> Duration {
    let attempt = settings.connect_timeout() + settings.read_timeout();
    attempt * SDK_ATTEMPTS + MAX_BACKOFF * (SDK_ATTEMPTS - 1)
}

type HttpResponse = aws_sdk_route53::config::http::HttpResponse;

/// The Route 53 API through the AWS SDK.
#[derive(Debug, Clone)]
pub struct Route53 {
    client: Client,
    conf: aws_config::SdkConfig,
    server_date: ServerDate,
    /// An endpoint override that is no URL: every call refuses at once,
    /// naming the variable, and nothing is sent.
    bad_endpoint: Option<(&'static str, String, String)>,
    /// The limit on one attempt (and on a credential lookup made outside a
    /// call, by doctor).
    attempt_limit: Duration,
    sent: Sent,
    /// The node's request budget, shared with the kit's other processes.
    budget: Budget,
    /// Region, partition, profile, role, trust, routes: as decided for
    /// this run.
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

impl Route53 {
    /// Build the client from the default credential chain, with the
    /// settings' timeouts.
    pub async fn connect(settings: &Settings, locks: &std::path::Path) -> Route53 {
        let estate = Estate::resolve(settings, &node_name()).await;
        let connect = settings.connect_timeout();
        let read = settings.read_timeout();
        let conf = sdk_config(settings, &estate).await;
        let server_date = ServerDate::default();
        let sent = Sent::default();
        let (rate, burst) = settings.api_budget();
        let budget = Budget {
            rate,
            burst,
            dir: locks.to_path_buf(),
        };
        let client = Client::from_conf(
            aws_sdk_route53::config::Builder::from(&conf)
                .interceptor(server_date.clone())
                .interceptor(BodyCap)
                .interceptor(sent.clone())
                .interceptor(Metered(budget.clone()))
                .build(),
        );
        Route53 {
            client,
            conf,
            estate,
            server_date,
            bad_endpoint: bad_route53_override(),
            attempt_limit: connect + read,
            sent,
            budget,
        }
    }

    /// The one call path of every Route 53 request: nothing is sent to an
    /// endpoint that is no URL; the request waits for its slot of the
    /// node's budget; the SDK's error is classified, and throttling is told
    /// to the budget.
    async fn call<T, E, Fut>(
        &self,
        operation: &'static str,
        zone: &str,
        send: impl FnOnce() -> Fut,
    ) -> Result<T, Route53Error>
    where
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        if let Some((variable, value, why)) = &self.bad_endpoint {
            return Err(Route53Error::BadEndpoint {
                variable,
                value: value.clone(),
                why: why.clone(),
            });
        }
        self.budget.take().await;
        let err = match send().await {
            Ok(out) => return Ok(out),
            Err(e) => e,
        };
        let e = self.fail(operation, zone, err);
        if e.is_throttling() {
            self.budget.throttled();
        }
        Err(e)
    }

    /// The SDK's error in the kit's words; where the credentials were to
    /// come from the role, the role, where it was assumed, and STS's own
    /// error code.
    fn fail<E>(
        &self,
        operation: &'static str,
        zone: &str,
        err: SdkError<E, HttpResponse>,
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
        let endpoint = self.estate.route53.endpoint_text();
        match (
            classify(operation, zone, &endpoint, attempt, err),
            &self.estate.role,
        ) {
            (Route53Error::Credentials { operation, detail }, Some(role)) => {
                Route53Error::Credentials {
                    operation,
                    detail: format!(
                        "assuming the role {} (ROUTE53_ROLE_ARN) at {} failed{}: {detail}",
                        role.arn,
                        self.estate.sts.url,
                        sts_code
                            .map(|c| format!(" with STS error {c}"))
                            .unwrap_or_default()
                    ),
                }
            }
            (e, _) => e,
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
}

/// The SDK's configuration for the run: the partition's signing region, a
/// pinned behaviour version (an SDK upgrade must not change retries or
/// timeouts unseen), the settings' timeouts on every attempt and call, the
/// run's one HTTP client, the profile files found, and the role assumed at
/// the STS endpoint of the node's own region where one is set.
async fn sdk_config(settings: &Settings, estate: &Estate) -> aws_config::SdkConfig {
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
    let http = RunClient::new(
        estate.ca_bundle.as_ref().map(|b| b.pem.clone()),
        &estate.proxies,
    );
    let mut loader = aws_config::defaults(BehaviorVersion::v2026_01_12())
        .http_client(http.shared())
        .region(Region::new(estate.partition.signing_region))
        .timeout_config(timeouts)
        .retry_config(retries)
        .profile_files(estate.profile_files());
    if let Some(p) = &estate.profile {
        loader = loader.profile_name(&p.name);
    }
    let conf = loader.load().await;
    let (Some(role), Some(base)) = (&estate.role, conf.credentials_provider()) else {
        return conf;
    };
    // Every Route 53 call is made as the role, assumed at the STS endpoint
    // of the node's own region, with the same timeouts.
    let mut assume = aws_config::sts::AssumeRoleProvider::builder(&role.arn)
        .session_name(&role.session_name)
        .configure(&conf)
        .region(Region::new(estate.sts_region()));
    if let Some(id) = &role.external_id {
        assume = assume.external_id(id);
    }
    let provider = assume.build_from_provider(base).await;
    tracing::debug!(
        region = estate.partition.signing_region,
        "Route 53 client built"
    );
    conf.into_builder()
        .credentials_provider(aws_sdk_route53::config::SharedCredentialsProvider::new(
            provider,
        ))
        .build()
}

impl RecordApi for Route53 {
    async fn read_a(&self, zone: &str, name: &str) -> Result<Option<ARecord>, Route53Error> {
        let out = self
            .call("ListResourceRecordSets", zone, || {
                self.client
                    .list_resource_record_sets()
                    .hosted_zone_id(zone)
                    .start_record_name(name)
                    .start_record_type(RrType::A)
                    .max_items(1)
                    .send()
            })
            .await?;
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
            .map(a_record))
    }

    async fn upsert_a(
        &self,
        zone: &str,
        name: &str,
        address: Ipv4Addr,
        ttl: u32,
        comment: &str,
    ) -> Result<Accepted, Route53Error> {
        let batch = upsert_batch(name, address, ttl, comment)?;
        let out = self
            .call("ChangeResourceRecordSets", zone, || {
                self.client
                    .change_resource_record_sets()
                    .hosted_zone_id(zone)
                    .change_batch(batch)
                    .send()
            })
            .await?;
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
        let out = self
            .call("GetChange", "-", || {
                self.client.get_change().id(change_id).send()
            })
            .await?;
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

    fn waiting(&self) -> Waiting {
        self.budget.waiting()
    }
}

impl Probe for Route53 {
    async fn zone(&self, zone: &str) -> Result<Zone, Route53Error> {
        let out = self
            .call("GetHostedZone", zone, || {
                self.client.get_hosted_zone().id(zone).send()
            })
            .await?;
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

    async fn identity(&self) -> Result<String, String> {
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&self.conf)
                .region(Region::new(self.estate.sts_region()))
                .build(),
        );
        let limit = self.attempt_limit * 2;
        match tokio::time::timeout(limit, sts.get_caller_identity().send()).await {
            Ok(Ok(out)) => Ok(out.arn().unwrap_or("(no ARN in the answer)").to_string()),
            Ok(Err(e)) => Err(short(&chain(&e))),
            Err(_) => Err(format!(
                "sts:GetCallerIdentity did not answer within {} s",
                limit.as_secs()
            )),
        }
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

    fn estate(&self) -> &Estate {
        &self.estate
    }
}

/// The change batch of one UPSERT of this name's A record.
fn upsert_batch(
    name: &str,
    address: Ipv4Addr,
    ttl: u32,
    comment: &str,
) -> Result<ChangeBatch, Route53Error> {
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
    ChangeBatch::builder()
        .comment(comment)
        .changes(
            Change::builder()
                .action(ChangeAction::Upsert)
                .resource_record_set(record)
                .build()
                .map_err(build)?,
        )
        .build()
        .map_err(build)
}

/// A record set as the kit sees it.
fn a_record(r: &ResourceRecordSet) -> ARecord {
    ARecord {
        name: r.name().to_string(),
        ttl: r.ttl(),
        values: r
            .resource_records()
            .iter()
            .map(|v| v.value().to_string())
            .collect(),
        routing: routing(r),
        alias_target: r.alias_target().map(|a| a.dns_name().to_string()),
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
