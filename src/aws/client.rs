//! The Route 53 client of a run, built once (`sdk`): the signing region
//! pinned per partition, a pinned behaviour version, timeouts on every
//! attempt, the run's one HTTP client, and the role assumed where one is
//! set. Every request goes through the one call path (`call`), its answer
//! read by `wire`; UPSERTs go through the node's group commit (`batch`).

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use aws_sdk_route53::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_route53::types::RrType;
use aws_sdk_route53::Client;

use super::api::{Accepted, ChangeState, RecordApi};
use super::batch::{self, Member, Queue};
use super::budget::{Budget, Pace, Waiting};
use super::call::{BadEndpoint, CallPath};
use super::classify::{classify, find, Attempt};
use super::endpoint::bad_route53_override;
use super::error::Route53Error;
use super::estate::{node_name, Estate};
use super::sdk::{sdk_config, sdk_route53, Sent, ServerDate};
use super::{reads, wire};
use crate::log::Logger;
use crate::record::ARecord;
use crate::settings::Settings;

type HttpResponse = aws_sdk_route53::config::http::HttpResponse;

/// The Route 53 API through the AWS SDK.
#[derive(Debug, Clone)]
pub(crate) struct Route53 {
    pub(super) client: Client,
    pub(super) conf: aws_config::SdkConfig,
    pub(super) server_date: ServerDate,
    /// The call path every request takes.
    pub(super) path: CallPath,
    /// The run has made a read of its own: a later one serves work under
    /// way.
    started: Arc<AtomicBool>,
    /// The run has queued a change: its reads from then on verify it.
    changed: Arc<AtomicBool>,
    /// The changes this run has queued.
    changes: Arc<AtomicU64>,
    /// This run's claim of reading a record it will write, until it joins
    /// the zone's queue.
    reading: Arc<std::sync::Mutex<Option<crate::lock::Claim>>>,
    /// This run's read announced early, until the read takes it.
    announced: Arc<std::sync::Mutex<Option<Announced>>>,
    sent: Sent,
    /// Region, partition, profile, role, trust, routes: as decided for
    /// this run.
    pub(super) estate: Estate,
}

/// A read announced early: its zone, its name, its ID on the zone's board
/// and its claim there.
#[derive(Debug)]
struct Announced {
    zone: String,
    name: String,
    id: String,
    claim: crate::lock::Claim,
}

impl Route53 {
    /// Build the client from the default credential chain, with the
    /// settings' timeouts.
    pub(crate) async fn connect(
        settings: &Settings,
        locks: &std::path::Path,
        log: Arc<Logger>,
    ) -> Route53 {
        let estate = Estate::resolve(settings, &node_name()).await;
        for (source, why) in &estate.proxies.refused {
            log.warn(
                crate::log::Msg::Settings,
                &format!("the proxy setting of {source} is no usable proxy URL ({why}); requests go without it"),
            );
        }
        let conf = sdk_config(settings, &estate).await;
        let server_date = ServerDate::default();
        let sent = Sent::default();
        let (rate, burst) = settings.api_budget();
        let bad_endpoint = bad_route53_override().map(|(variable, value, why)| BadEndpoint {
            variable,
            value,
            why,
        });
        Route53 {
            client: sdk_route53(&conf, &server_date, &sent),
            conf,
            estate,
            server_date,
            path: CallPath::new(
                Budget::new(rate, burst, locks.to_path_buf()),
                settings.connect_timeout() + settings.read_timeout(),
                bad_endpoint,
                log,
            ),
            sent,
            started: Arc::default(),
            changed: Arc::default(),
            changes: Arc::default(),
            reading: Arc::default(),
            announced: Arc::default(),
        }
    }

    /// One request through the call path: `send` makes it anew for each
    /// attempt; its failure is put in the kit's words.
    pub(super) async fn call<T, E, Fut>(
        &self,
        operation: &'static str,
        zone: &str,
        pace: Pace,
        mut send: impl FnMut() -> Fut,
    ) -> Result<T, Route53Error>
    where
        Fut: std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.path
            .call(operation, pace, || {
                let sent = send();
                async move { sent.await.map_err(|e| self.fail(operation, zone, e)) }
            })
            .await
    }

    /// An ID for one of this run's reads.
    fn read_id(&self) -> String {
        batch::member_id(1_000_000 + self.changes.fetch_add(1, Ordering::SeqCst))
    }

    /// How the run's next read takes its place: its first is new work,
    /// and one after the run's change verifies it.
    fn read_pace(&self) -> Pace {
        if self.changed.load(Ordering::SeqCst) {
            return Pace::Closing;
        }
        match self.started.swap(true, Ordering::SeqCst) {
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
            sent: self.sent.was_sent(),
            limit: self.path.attempt_limit,
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
}

/// The group commit of one zone's changes, sent through the call path.
struct ZoneChanges<'a> {
    api: &'a Route53,
    zone: &'a str,
}

impl batch::Sender for ZoneChanges<'_> {
    fn storm(&self) -> bool {
        self.api.path.budget.storm()
    }

    async fn send(&self, take: &mut dyn FnMut() -> Vec<Member>) -> Result<Accepted, Route53Error> {
        // The change takes only its slot, in a storm too (after a
        // throttle, the slot keeps the node's second of holding back);
        // throttled, it is tried again after a random part of the storm's
        // span. Drawn from the span before its first try, a storm's
        // changes that would have gone through at once went later, into
        // the busier part of the window (README, "Route 53's request
        // quota").
        let out = self
            .api
            .call("ChangeResourceRecordSets", self.zone, Pace::Prompt, || {
                let change = wire::upsert_batch(&take());
                let client = self.api.client.clone();
                let zone = self.zone.to_string();
                async move {
                    client
                        .change_resource_record_sets()
                        .hosted_zone_id(zone)
                        .change_batch(change.map_err(SdkError::construction_failure)?)
                        .send()
                        .await
                }
            })
            .await?;
        wire::accepted(&out)
    }
}

/// The group read of one zone's records, through the call path.
struct ZoneReads<'a> {
    api: &'a Route53,
    zone: &'a str,
    pace: Pace,
}

impl reads::Lister for ZoneReads<'_> {
    fn storm(&self) -> bool {
        self.api.path.budget.storm()
    }

    async fn list(
        &self,
        names: &mut dyn FnMut() -> Vec<String>,
    ) -> Result<reads::Listing, Route53Error> {
        let out = self
            .api
            .call("ListResourceRecordSets", self.zone, self.pace, || {
                let names = names();
                let start = names.first().cloned().unwrap_or_default();
                let max = if names.len() > 1 { reads::RANGE } else { 1 };
                self.api
                    .client
                    .list_resource_record_sets()
                    .hosted_zone_id(self.zone)
                    .start_record_name(start)
                    .start_record_type(RrType::A)
                    .max_items(max)
                    .send()
            })
            .await?;
        wire::listing(&out)
    }
}

impl Route53 {
    /// One read of the A record `name`, with the node's other readers of
    /// the zone, at `pace`.
    async fn read_at(
        &self,
        zone: &str,
        name: &str,
        pace: Pace,
    ) -> Result<Option<ARecord>, Route53Error> {
        let board = reads::Board::new(&self.path.budget.dir, zone);
        // The read announced early, where it is this one.
        let early = self.announced.lock().ok().and_then(|mut a| a.take());
        let (me, early) = match early {
            Some(a) if a.zone == zone && crate::record::same_name(&a.name, name) => {
                (a.id, Some(a.claim))
            }
            _ => (self.read_id(), None),
        };
        let lister = ZoneReads {
            api: self,
            zone,
            pace,
        };
        let optional = pace == Pace::Optional;
        reads::read(
            &board,
            (&me, early),
            name,
            &lister,
            (self.path.bound, optional),
        )
        .await
    }
}

impl RecordApi for Route53 {
    async fn read_a(&self, zone: &str, name: &str) -> Result<Option<ARecord>, Route53Error> {
        self.read_at(zone, name, self.read_pace()).await
    }

    async fn read_first(&self, zone: &str, name: &str) -> Result<Option<ARecord>, Route53Error> {
        self.read_at(zone, name, Pace::Optional).await
    }

    fn storm(&self) -> bool {
        self.path.budget.storm()
    }

    fn batch_open(&self, zone: &str) -> bool {
        Queue::new(&self.path.budget.dir, zone).open()
    }

    fn will_read(&self, zone: &str, name: &str) {
        let board = reads::Board::new(&self.path.budget.dir, zone);
        let id = self.read_id();
        if let (Some(claim), Ok(mut a)) =
            (reads::announce(&board, &id, name), self.announced.lock())
        {
            *a = Some(Announced {
                zone: zone.to_string(),
                name: name.to_string(),
                id,
                claim,
            });
        }
    }

    async fn upsert_a(
        &self,
        zone: &str,
        name: &str,
        address: Ipv4Addr,
        ttl: u32,
        comment: &str,
    ) -> Result<Accepted, Route53Error> {
        self.changed.store(true, Ordering::SeqCst);
        // The read announced as the run began stands for a read before
        // this write only (where the record was not read first): an
        // answer the node's other readers read for it may predate the
        // change, so it is withdrawn, and the verifying read is its own.
        if let Ok(mut a) = self.announced.lock() {
            a.take();
        }
        let seq = self.changes.fetch_add(1, Ordering::SeqCst);
        let me = Member {
            id: batch::member_id(seq),
            pid: std::process::id(),
            name: name.to_string(),
            address,
            ttl,
            comment: comment.to_string(),
        };
        let queue = Queue::new(&self.path.budget.dir, zone);
        let sender = ZoneChanges { api: self, zone };
        let joining = batch::Joining {
            reading: self.reading.lock().ok().and_then(|mut r| r.take()),
            patience: self.path.bound,
            log: &self.path.log,
        };
        batch::commit(&queue, &me, &sender, joining).await
    }

    async fn change_state(&self, change_id: &str) -> Result<ChangeState, Route53Error> {
        let out = self
            .call("GetChange", "-", Pace::Check, || {
                self.client.get_change().id(change_id).send()
            })
            .await?;
        wire::change_state(&out, change_id)
    }

    fn waiting(&self, change_id: &str) -> Waiting {
        self.path.budget.waiting(change_id)
    }

    fn will_write(&self, zone: &str) {
        let claim = batch::reading(&self.path.budget.dir, zone);
        if let Ok(mut r) = self.reading.lock() {
            *r = claim;
        }
    }
}
