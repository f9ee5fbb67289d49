//! The SDK's side of the run's Route 53 client: its configuration (the
//! partition's signing region, a pinned behaviour version, the settings'
//! timeouts, the SDK's retries off, the run's one HTTP client, the
//! credentials checked whole, the role assumed where one is set, a
//! profile's `credential_process` run by the kit), and the interceptors
//! that note the server's clock and whether an attempt was sent.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_route53::config::SharedCredentialsProvider;
use aws_sdk_route53::Client;

use super::credentials::{self, Checked, Expect};
use super::estate::Estate;
use super::http::RunClient;
use crate::settings::Settings;

/// Keeps the `Date` header of the last answer, to measure clock skew.
#[derive(Debug, Clone, Default)]
pub(super) struct ServerDate(Arc<Mutex<Option<String>>>);

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
pub(super) struct Sent(Arc<AtomicBool>);

impl Sent {
    /// Whether the last attempt got as far as sending its request.
    pub(super) fn was_sent(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl ServerDate {
    /// The `Date` header of the last answer, where one came.
    pub(super) fn last(&self) -> Option<String> {
        self.0.lock().ok()?.clone()
    }
}

/// The Route 53 client of this configuration, with the interceptors.
pub(super) fn sdk_route53(conf: &aws_config::SdkConfig, date: &ServerDate, sent: &Sent) -> Client {
    Client::from_conf(
        aws_sdk_route53::config::Builder::from(conf)
            .interceptor(date.clone())
            .interceptor(sent.clone())
            .build(),
    )
}

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
        self.0.store(false, Ordering::SeqCst);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _: &aws_sdk_route53::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_route53::config::RuntimeComponents,
        _: &mut aws_sdk_route53::config::ConfigBag,
    ) -> Result<(), aws_sdk_route53::error::BoxError> {
        self.0.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// The SDK's configuration for the run: the partition's signing region, a
/// pinned behaviour version (an SDK upgrade must not change retries or
/// timeouts unseen), the settings' timeouts on every attempt and call, the
/// run's one HTTP client, the profile files found, and the role assumed at
/// the STS endpoint of the node's own region where one is set.
pub(super) async fn sdk_config(settings: &Settings, estate: &Estate) -> aws_config::SdkConfig {
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
        Expect::AnyKind,
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
        Expect::Temporary,
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
            Expect::Temporary,
        ))
    };
    tracing::debug!(
        profile = name,
        "the profile's credential_process is run by the kit"
    );
    conf.into_builder().credentials_provider(provider).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sdk_is_pinned_to_the_partition_with_its_own_retries_off_and_every_attempt_bounded()
    {
        let settings = Settings::from_text(
            std::path::Path::new("/etc/default/LifeKeeper"),
            b"ROUTE53_CONNECT_TIMEOUT=3\nROUTE53_READ_TIMEOUT=4\n",
            Vec::new(),
        );
        let mut estate = Estate::fixed("http://127.0.0.1:1");
        estate.partition = super::super::estate::GOVCLOUD;
        let conf = sdk_config(&settings, &estate).await;
        assert_eq!(conf.region().map(|r| r.as_ref()), Some("us-gov-west-1"));
        assert_eq!(conf.retry_config().map(|r| r.max_attempts()), Some(1));
        let t = conf.timeout_config().expect("timeouts");
        assert_eq!(t.connect_timeout(), Some(Duration::from_secs(3)));
        assert_eq!(t.read_timeout(), Some(Duration::from_secs(4)));
        assert_eq!(t.operation_attempt_timeout(), Some(Duration::from_secs(7)));
        assert_eq!(t.operation_timeout(), Some(Duration::from_secs(7)));
        assert!(conf.credentials_provider().is_some());
    }

    #[test]
    fn the_interceptors_start_knowing_nothing() {
        assert!(!Sent::default().was_sent());
        assert_eq!(ServerDate::default().last(), None);
    }
}
