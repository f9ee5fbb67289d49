//! The one HTTP client of a run, shared by the Route 53 client and every
//! credential provider (instance metadata, STS, SSO), so that:
//!
//! - a request to an `http://` endpoint never builds a TLS connector, and
//!   so never loads the trust store (a local endpoint, instance metadata);
//! - the trust store is read and parsed once per run (by the kit, bounded:
//!   `trust.rs`), when the first `https://` request needs it, for every
//!   client that shares this one (the SDK's default gives each client its
//!   own, and reads the files without a bound);
//! - instance metadata is reached directly, never through `HTTP_PROXY` or
//!   `HTTPS_PROXY`, whatever `NO_PROXY` says: a proxy cannot reach the
//!   node's link-local metadata service, so routing it there would lose
//!   the instance role.
//!
//! Each kind of connector is built lazily, per connector settings (the
//! timeouts), and cached by the SDK's client builder.

use std::sync::{Arc, OnceLock};

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::{tls, Builder, ConnectorBuilder};

use super::endpoint::{env, Proxies, Scheme, Url};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// The host:port of the instance-metadata service: IPv4, IPv6, and the
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT` override where one is set.
fn metadata_hosts() -> Vec<String> {
    let mut hosts = vec![
        "169.254.169.254:80".to_string(),
        "[fd00:ec2::254]:80".to_string(),
    ];
    if let Some(url) = env("AWS_EC2_METADATA_SERVICE_ENDPOINT") {
        if let Some(u) = Url::parse(&url) {
            hosts.push(u.host_port());
        }
    }
    hosts
}

/// Where a request goes, and so which connector carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// Instance metadata: plain HTTP, never through a proxy.
    Metadata,
    /// Any other `http://` URL: plain HTTP, through the environment's proxy
    /// where it names one.
    Plain,
    /// `https://`: TLS, through the environment's proxy where it names one.
    Tls,
}

pub(crate) fn route(url: &str, metadata: &[String]) -> Route {
    match Url::parse(url) {
        Some(u) if u.scheme.eq_ignore_ascii_case("http") => {
            let host = u.host_port();
            if metadata.iter().any(|m| m.eq_ignore_ascii_case(&host)) {
                Route::Metadata
            } else {
                Route::Plain
            }
        }
        _ => Route::Tls,
    }
}

#[derive(Debug)]
struct Clients {
    metadata_hosts: Vec<String>,
    metadata: SharedHttpClient,
    plain: SharedHttpClient,
    tls: SharedHttpClient,
}

/// The run's HTTP client.
#[derive(Debug, Clone)]
pub(crate) struct RunClient(Arc<Clients>);

impl RunClient {
    /// The client; `extra_pem` holds certificates trusted besides the
    /// system trust store (a checked CA bundle); `proxies` are the proxy
    /// settings in force.
    pub(crate) fn new(extra_pem: Option<Vec<u8>>, proxies: &Proxies) -> RunClient {
        // The trust store is read (bounded, by the kit: trust.rs) when the
        // first TLS connector is built, never for plain HTTP.
        let extra = Arc::new(extra_pem.filter(|p| !p.is_empty()));
        let context: Arc<OnceLock<tls::TlsContext>> = Arc::default();
        let context_now = move || {
            context
                .get_or_init(|| {
                    let system = super::trust::system();
                    let mut store = tls::TrustStore::empty().with_native_roots(false);
                    if !system.pem.is_empty() {
                        store = store.with_pem_certificate(system.pem.clone());
                    }
                    if let Some(pem) = extra.as_ref() {
                        store = store.with_pem_certificate(pem.clone());
                    }
                    tls::TlsContext::builder()
                        .with_trust_store(store)
                        .build()
                        .unwrap_or_else(|_| {
                            tls::TlsContext::builder()
                                .with_trust_store(tls::TrustStore::empty())
                                .build()
                                .unwrap_or_default()
                        })
                })
                .clone()
        };
        let connector = move |proxy: ProxyConfig, scheme: Scheme| {
            let context_now = context_now.clone();
            move |settings: Option<&HttpConnectorSettings>,
                  components: Option<&RuntimeComponents>| {
                let mut b = ConnectorBuilder::default();
                b.set_connector_settings(settings.cloned());
                if let Some(c) = components {
                    b.set_sleep_impl(c.sleep_impl());
                }
                b.set_proxy_config(Some(proxy.clone()));
                if scheme == Scheme::Https {
                    // Building it parses the trust store (bench/run.sh
                    // counts this line to show it happens once a run).
                    tracing::debug!("TLS connector built: trust store parsed");
                    b.tls_provider(tls::Provider::Rustls(
                        tls::rustls_provider::CryptoMode::Ring,
                    ))
                    .tls_context(context_now())
                    .build()
                } else {
                    b.build_http()
                }
            }
        };
        RunClient(Arc::new(Clients {
            metadata_hosts: metadata_hosts(),
            metadata: Builder::new()
                .build_with_connector_fn(connector(ProxyConfig::disabled(), Scheme::Http)),
            plain: Builder::new().build_with_connector_fn(connector(
                proxies.client_config(Scheme::Http),
                Scheme::Http,
            )),
            tls: Builder::new().build_with_connector_fn(connector(
                proxies.client_config(Scheme::Https),
                Scheme::Https,
            )),
        }))
    }

    pub(crate) fn shared(&self) -> SharedHttpClient {
        SharedHttpClient::new(self.clone())
    }
}

impl HttpClient for RunClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(ByRoute {
            clients: self.0.clone(),
            settings: settings.clone(),
            components: components.clone(),
        })
    }
}

/// Picks the connector for each request by its URL.
#[derive(Debug)]
struct ByRoute {
    clients: Arc<Clients>,
    settings: HttpConnectorSettings,
    components: RuntimeComponents,
}

impl HttpConnector for ByRoute {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let c = &self.clients;
        let client = match route(request.uri(), &c.metadata_hosts) {
            Route::Metadata => &c.metadata,
            Route::Plain => &c.plain,
            Route::Tls => &c.tls,
        };
        let call = client
            .http_connector(&self.settings, &self.components)
            .call(request);
        // Every answer is read up to the cap, whoever asked (Route 53,
        // STS, instance metadata, SSO): an endless answer ends the attempt
        // instead of filling memory.
        HttpConnectorFuture::new(async move {
            let mut response = call.await?;
            let body = response.take_body();
            *response.body_mut() = aws_smithy_types::body::SdkBody::from_body_1_x(
                http_body_util::Limited::new(body, super::classify::MAX_BODY),
            );
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_routed_by_scheme_and_metadata_host() {
        let md = vec![
            "169.254.169.254:80".to_string(),
            "[fd00:ec2::254]:80".to_string(),
            "127.0.0.1:8123".to_string(),
        ];
        for (url, want) in [
            ("http://169.254.169.254/latest/api/token", Route::Metadata),
            ("http://[fd00:ec2::254]/latest/meta-data/", Route::Metadata),
            ("http://127.0.0.1:8123/latest/api/token", Route::Metadata),
            ("http://127.0.0.1:8124/2013-04-01/change/C1", Route::Plain),
            ("HTTP://169.254.169.254/x", Route::Metadata),
            ("http://10.0.0.1:5000/2013-04-01/change/C1", Route::Plain),
            ("https://route53.amazonaws.com/2013-04-01/", Route::Tls),
            ("https://169.254.169.254/", Route::Tls),
            ("no scheme at all", Route::Tls),
        ] {
            assert_eq!(route(url, &md), want, "{url}");
        }
    }
}
