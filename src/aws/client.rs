//! The Route 53 client of a run, built once: the signing region pinned per
//! partition, a pinned behaviour version, timeouts on every attempt, the
//! run's one HTTP client, and the role assumed where one is set. Every
//! request goes through one call path, [`Route53::call`], which is where the
//! retry policy lives: the endpoint checked, a slot of the node's request
//! budget taken (spread over the storm window when the node is in a storm
//! and the request starts new work), the request sent, the answer
//! classified. A throttled answer is told to the budget and tried again
//! after a random part of the storm window, never counted as a failed
//! attempt; another failure that a retry can mend is tried again up to
//! [`ATTEMPTS`] times with jittered exponential backoff; the whole call
//! ends within [`call_bound`]. The SDK's own retries are off.

use std::future::Future;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_route53::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord, ResourceRecordSet, RrType,
};
use aws_sdk_route53::Client;

use super::api::{Accepted, ChangeState, Probe, RecordApi, Zone};
use super::batch::{self, Member, Queue};
use super::budget::{Budget, Waiting};
use super::classify::{classify, credentials_text, find, Attempt};
use super::credentials::{self, Checked};
use super::endpoint::bad_route53_override;
use super::error::{chain, Route53Error};
use super::estate::{node_name, Estate};
use super::http::RunClient;
use crate::log::Msg;
use crate::record::{same_name, ARecord, Routing};
use crate::settings::Settings;
use crate::text::short;
use aws_sdk_route53::config::SharedCredentialsProvider;

/// Attempts per API call that fail without being throttled (the first
/// plus retries), with jittered exponential backoff between them.
pub const ATTEMPTS: u32 = 3;
const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The pause after STS throttled a credential lookup.
const CREDENTIALS_PAUSE: Duration = Duration::from_secs(1);

/// The longest one API call can take, waits for the budget and throttled
/// answers included: every attempt timing out, plus the backoff between
/// attempts (`B = 3(C + R) + 10 s`).
pub fn call_bound(settings: &Settings) -> Duration {
    let attempt = settings.connect_timeout() + settings.read_timeout();
    attempt * ATTEMPTS + MAX_BACKOFF * (ATTEMPTS - 1)
}

/// How a request takes its place in the node's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// It starts new work (the run's first read, an UPSERT): in a storm,
    /// spread over the window.
    New,
    /// It serves work under way (a status check, which the INSYNC wait
    /// paces itself; the verifying read): its slot only.
    Prompt,
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
    /// The limit on one call, waits and retries included.
    call_bound: Duration,
    /// The run has sent its first request.
    started: Arc<std::sync::atomic::AtomicBool>,
    /// The changes this run has queued.
    changes: Arc<std::sync::atomic::AtomicU64>,
    /// Why a request waits is said in the run's log.
    log: Arc<crate::log::Logger>,
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

impl Route53 {
    /// Build the client from the default credential chain, with the
    /// settings' timeouts.
    pub async fn connect(
        settings: &Settings,
        locks: &std::path::Path,
        log: Arc<crate::log::Logger>,
    ) -> Route53 {
        let estate = Estate::resolve(settings, &node_name()).await;
        let connect = settings.connect_timeout();
        let read = settings.read_timeout();
        let conf = sdk_config(settings, &estate).await;
        let server_date = ServerDate::default();
        let sent = Sent::default();
        let (rate, burst) = settings.api_budget();
        let budget = Budget::new(rate, burst, locks.to_path_buf());
        let client = Client::from_conf(
            aws_sdk_route53::config::Builder::from(&conf)
                .interceptor(server_date.clone())
                .interceptor(sent.clone())
                .build(),
        );
        Route53 {
            client,
            conf,
            estate,
            server_date,
            bad_endpoint: bad_route53_override(),
            attempt_limit: connect + read,
            call_bound: call_bound(settings),
            sent,
            budget,
            started: Arc::default(),
            changes: Arc::default(),
            log,
        }
    }

    /// The one call path of every Route 53 request (see the module's
    /// words): `send` makes the request anew for each attempt.
    async fn call<T, E, Fut>(
        &self,
        operation: &'static str,
        zone: &str,
        pace: Pace,
        mut send: impl FnMut() -> Fut,
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
        let deadline = Instant::now() + self.call_bound;
        let mut spread = pace == Pace::New;
        let mut failed = 0;
        loop {
            let room = deadline.saturating_duration_since(Instant::now());
            let wait = self.budget.slot(spread);
            if self.budget.clock_step_seen() {
                self.log.warn(
                    Msg::ClockStep,
                    &format!(
                        "the node's request budget ({}) held a time further ahead than it can explain: the clock was set back; reset",
                        self.budget.dir.join("budget").display()
                    ),
                );
            }
            tokio::time::sleep(wait.min(room.saturating_sub(self.attempt_limit))).await;
            let e = match send().await {
                Ok(out) => {
                    self.budget.answered();
                    return Ok(out);
                }
                Err(err) => self.fail(operation, zone, err),
            };
            let pause = if e.is_throttling() {
                let room = deadline
                    .saturating_duration_since(Instant::now())
                    .saturating_sub(self.attempt_limit);
                let pause = self.budget.throttled(room);
                self.log.warn(
                    Msg::Throttled,
                    &format!(
                        "Route 53 throttled {operation} (the account's request quota is spent); the node holds back, and this request is tried again in {:.1} s",
                        pause.as_secs_f64()
                    ),
                );
                pause
            } else if e.is_credentials_throttling() {
                // STS's quota, not Route 53's: the node's Route 53 budget
                // is not told; the lookup is tried again after a pause.
                tracing::debug!(error = %e, "credential lookup throttled");
                CREDENTIALS_PAUSE
            } else {
                if matches!(e, Route53Error::Refused { .. }) {
                    self.budget.answered();
                }
                failed += 1;
                if !e.is_retryable() || failed >= ATTEMPTS {
                    return Err(e);
                }
                backoff(failed)
            };
            if Instant::now() + pause + self.attempt_limit > deadline {
                return Err(e);
            }
            tracing::debug!(error = %e, pause_ms = pause.as_millis() as u64, "trying again");
            tokio::time::sleep(pause).await;
            spread = false;
        }
    }

    /// Lead a batch: when the request's turn comes, take every change
    /// queued (more may join while a throttled attempt waits), send them as
    /// one, and tell each member. Where a batch of several fails, each
    /// member sends its own change (this one too).
    async fn lead(&self, zone: &str, queue: &Queue, me: &Member) -> Result<Accepted, Route53Error> {
        // The node's restores of the zone still reading their records join
        // this batch: a moment at most (a read takes milliseconds), or a
        // while in a storm (a read may wait for its turn).
        let start = Instant::now();
        while batch::readers(&self.budget.dir, zone) > 0 {
            let patience = match self.budget.storm() {
                true => batch::GATHER,
                false => batch::GATHER_CALM,
            };
            if start.elapsed() >= patience {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let members = std::cell::RefCell::new(Vec::<Member>::new());
        let result = self
            .call("ChangeResourceRecordSets", zone, Pace::New, || {
                let mut m = members.borrow_mut();
                let joined = queue.take(&m, batch::alive);
                m.extend(joined);
                // The leader's own change is in its batch, whatever the
                // queue file said of it.
                if !m.iter().any(|x| x.id == me.id) {
                    m.insert(0, me.clone());
                }
                let change = upsert_batch(&m);
                let client = self.client.clone();
                let zone = zone.to_string();
                async move {
                    client
                        .change_resource_record_sets()
                        .hosted_zone_id(zone)
                        .change_batch(change.map_err(SdkError::construction_failure)?)
                        .send()
                        .await
                }
            })
            .await
            .and_then(accepted);
        let members = members.into_inner();
        let others = members.iter().filter(|m| m.id != me.id);
        match result {
            Ok(a) => {
                let outcome = batch::Outcome::Accepted {
                    change_id: a.id.clone(),
                    insync: a.state == ChangeState::InSync,
                };
                others.for_each(|m| queue.tell(&m.id, &outcome));
                tracing::debug!(records = members.len(), change = %a.id, "batch accepted");
                Ok(a)
            }
            Err(e) if members.len() <= 1 => Err(e),
            Err(e) => {
                tracing::debug!(error = %e, records = members.len(), "batch failed; each sends its own");
                others.for_each(|m| queue.tell(&m.id, &batch::Outcome::Alone));
                self.upsert(zone, std::slice::from_ref(me)).await
            }
        }
    }

    /// What a member makes of its batch's outcome.
    async fn follow(
        &self,
        zone: &str,
        me: &Member,
        outcome: batch::Outcome,
    ) -> Result<Accepted, Route53Error> {
        match outcome {
            batch::Outcome::Accepted { change_id, insync } => Ok(Accepted {
                id: change_id,
                state: if insync {
                    ChangeState::InSync
                } else {
                    ChangeState::Pending
                },
            }),
            batch::Outcome::Alone => self.upsert(zone, std::slice::from_ref(me)).await,
        }
    }

    /// UPSERT these records in one change, without a queue.
    async fn upsert(&self, zone: &str, members: &[Member]) -> Result<Accepted, Route53Error> {
        let change = upsert_batch(members).map_err(|e| Route53Error::Unexpected {
            operation: "ChangeResourceRecordSets",
            detail: chain(&e),
        })?;
        self.call("ChangeResourceRecordSets", zone, Pace::New, || {
            self.client
                .change_resource_record_sets()
                .hosted_zone_id(zone)
                .change_batch(change.clone())
                .send()
        })
        .await
        .and_then(accepted)
    }

    /// How the run's next read takes its place: its first is new work.
    fn read_pace(&self) -> Pace {
        match self.started.swap(true, std::sync::atomic::Ordering::SeqCst) {
            false => Pace::New,
            true => Pace::Prompt,
        }
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
            (
                Route53Error::Credentials {
                    operation,
                    detail,
                    retry,
                },
                Some(role),
            ) => Route53Error::Credentials {
                retry,
                operation,
                detail: format!(
                    "assuming the role {} (ROUTE53_ROLE_ARN) at {} failed{}: {detail}",
                    role.arn,
                    self.estate.sts.url,
                    sts_code
                        .map(|c| format!(" with STS error {c}"))
                        .unwrap_or_default()
                ),
            },
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
        .operation_timeout(connect + read)
        .build();
    // One attempt per call of the SDK's: the kit's call path retries.
    let retries = RetryConfig::disabled();
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
    // A little inside the attempt's limit, so that a process that hangs is
    // named as such rather than as an attempt out of time.
    let attempt = connect + read;
    let conf = with_own_process(conf, estate, attempt - attempt / 10).await;
    let Some(base) = conf.credentials_provider() else {
        return conf;
    };
    // Credentials are checked whole before a request is signed with them.
    let base = SharedCredentialsProvider::new(Checked::new(
        base,
        "the node's credential chain".into(),
        false,
    ));
    let Some(role) = &estate.role else {
        return conf.into_builder().credentials_provider(base).build();
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
    let checked = Checked::new(
        SharedCredentialsProvider::new(provider),
        format!("STS AssumeRole of {} at {}", role.arn, estate.sts.url),
        true,
    );
    conf.into_builder()
        .credentials_provider(SharedCredentialsProvider::new(checked))
        .build()
}

/// Where the profile in use gets its credentials from a
/// `credential_process` (directly, or as the `source_profile` of its
/// `role_arn`), the kit runs that process itself (`credentials.rs`) in
/// place of the SDK's. Credentials in the environment come first, as in
/// the SDK's chain.
async fn with_own_process(
    conf: aws_config::SdkConfig,
    estate: &Estate,
    limit: Duration,
) -> aws_config::SdkConfig {
    use super::endpoint::env;
    if env("AWS_ACCESS_KEY_ID").is_some() && env("AWS_SECRET_ACCESS_KEY").is_some() {
        return conf;
    }
    let keys = |name: &str| {
        credentials::profile_keys(
            estate.config_file.as_deref(),
            estate.credentials_file.as_deref(),
            name,
        )
    };
    let name = estate
        .profile
        .as_ref()
        .map_or("default", |p| p.name.as_str());
    let profile = keys(name);
    let process_of = |k: &std::collections::HashMap<String, String>, n: &str| match (
        k.get("credential_process"),
        k.contains_key("role_arn"),
        k.contains_key("aws_access_key_id"),
    ) {
        (Some(line), false, false) => Some(credentials::Process::new(n, line, limit)),
        _ => None,
    };
    let provider = if let Some(p) = process_of(&profile, name) {
        SharedCredentialsProvider::new(p)
    } else {
        let (Some(role_arn), Some(source)) =
            (profile.get("role_arn"), profile.get("source_profile"))
        else {
            return conf;
        };
        let Some(p) = process_of(&keys(source), source) else {
            return conf;
        };
        let session = profile
            .get("role_session_name")
            .cloned()
            .unwrap_or_else(|| super::estate::session_name_for(&super::estate::node_name()));
        let mut assume = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name(session)
            .configure(&conf)
            .region(Region::new(estate.sts_region()));
        if let Some(id) = profile.get("external_id") {
            assume = assume.external_id(id);
        }
        SharedCredentialsProvider::new(Checked::new(
            SharedCredentialsProvider::new(assume.build_from_provider(p).await),
            format!("STS AssumeRole of {role_arn} (profile {name})"),
            true,
        ))
    };
    tracing::debug!(
        profile = name,
        "the profile's credential_process is run by the kit"
    );
    conf.into_builder().credentials_provider(provider).build()
}

impl RecordApi for Route53 {
    async fn read_a(&self, zone: &str, name: &str) -> Result<Option<ARecord>, Route53Error> {
        let out = self
            .call("ListResourceRecordSets", zone, self.read_pace(), || {
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
        self.started
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let seq = self
            .changes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let me = Member {
            id: batch::member_id(seq),
            pid: std::process::id(),
            name: name.to_string(),
            address,
            ttl,
            comment: comment.to_string(),
        };
        let queue = Queue::new(&self.budget.dir, zone);
        if !queue.join(&me) {
            return self.upsert(zone, std::slice::from_ref(&me)).await;
        }
        let deadline = Instant::now() + self.call_bound;
        loop {
            if let Some(outcome) = queue.take_result(&me.id) {
                return self.follow(zone, &me, outcome).await;
            }
            if let Some(_lead) = queue.lead() {
                if queue.queued(&me.id) {
                    return self.lead(zone, &queue, &me).await;
                }
                // Taken by a leader that ended without a word (or wrote it
                // just now).
                let outcome = queue.take_result(&me.id).unwrap_or(batch::Outcome::Alone);
                return self.follow(zone, &me, outcome).await;
            }
            if Instant::now() > deadline {
                queue.leave(&me.id);
                return self.upsert(zone, std::slice::from_ref(&me)).await;
            }
            tokio::time::sleep(batch::look()).await;
        }
    }

    async fn change_state(&self, change_id: &str) -> Result<ChangeState, Route53Error> {
        let out = self
            .call("GetChange", "-", Pace::Prompt, || {
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

    fn waiting(&self, change_id: &str) -> Waiting {
        self.budget.waiting(change_id)
    }

    fn will_write(&self, zone: &str) {
        batch::reading(&self.budget.dir, zone);
    }
}

impl Probe for Route53 {
    async fn zone(&self, zone: &str) -> Result<Zone, Route53Error> {
        let out = self
            .call("GetHostedZone", zone, Pace::Prompt, || {
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

/// The pause before the `n`th retry of a failure that was not throttling:
/// exponential from [`INITIAL_BACKOFF`] up to [`MAX_BACKOFF`], jittered.
fn backoff(n: u32) -> Duration {
    let base = (INITIAL_BACKOFF * 2u32.saturating_pow(n.saturating_sub(1))).min(MAX_BACKOFF);
    super::budget::jitter(base / 2)
}

/// The change batch that UPSERTs each member's A record.
fn upsert_batch(members: &[Member]) -> Result<ChangeBatch, aws_sdk_route53::error::BuildError> {
    if members.is_empty() {
        // Never sent: a change of nothing would be "accepted" and tell the
        // caller its record was written.
        return Err(aws_sdk_route53::error::BuildError::missing_field(
            "changes",
            "a change batch holds at least one record",
        ));
    }
    let mut changes = Vec::new();
    for m in members {
        let record = ResourceRecordSet::builder()
            .name(&m.name)
            .r#type(RrType::A)
            .ttl(i64::from(m.ttl))
            .resource_records(
                ResourceRecord::builder()
                    .value(m.address.to_string())
                    .build()?,
            )
            .build()?;
        changes.push(
            Change::builder()
                .action(ChangeAction::Upsert)
                .resource_record_set(record)
                .build()?,
        );
    }
    let comment: String = members
        .iter()
        .map(|m| m.comment.as_str())
        .collect::<Vec<_>>()
        .join("; ")
        .chars()
        .take(256)
        .collect();
    ChangeBatch::builder()
        .comment(comment)
        .set_changes(Some(changes))
        .build()
}

/// The change of an accepted batch, as its answer says.
fn accepted(
    out: aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsOutput,
) -> Result<Accepted, Route53Error> {
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
