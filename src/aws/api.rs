//! The two seams between the procedures and Route 53. [`RecordApi`] is what
//! restore, recover and quickCheck ask: read the A record, UPSERT it, ask a
//! change's state, and wait for it among the node's other changes.
//! [`Probe`] is what create, doctor and status ask besides: the zone, the
//! credentials, who the calls are made as, the server's clock and the AWS
//! side as decided for the run. The procedures' unit tests drive scripted
//! doubles of both.

use std::future::Future;
use std::net::Ipv4Addr;
use std::time::SystemTime;

use super::budget::Waiting;
pub(crate) use super::change::{Accepted, ChangeState};
use super::error::Route53Error;
use super::estate::Estate;
use crate::record::ARecord;

/// A hosted zone as GetHostedZone reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Zone {
    /// With the final dot, as Route 53 gives it.
    pub name: String,
    pub private: bool,
}

/// What restore, recover and quickCheck ask of Route 53.
pub(crate) trait RecordApi {
    /// The A record `name` in `zone`, read with one exact lookup.
    fn read_a(
        &self,
        zone: &str,
        name: &str,
    ) -> impl Future<Output = Result<Option<ARecord>, Route53Error>>;
    /// The A record `name` in `zone`, read before writing it: a read the
    /// run can do without, so one that Route 53 throttles is not sent
    /// again (the write goes ahead, spread in the storm the throttle
    /// started).
    fn read_first(
        &self,
        zone: &str,
        name: &str,
    ) -> impl Future<Output = Result<Option<ARecord>, Route53Error>> {
        self.read_a(zone, name)
    }
    /// Whether the node is in a storm: Route 53 throttled it lately.
    fn storm(&self) -> bool {
        false
    }
    /// Whether another process of the node is gathering or sending a
    /// batch of changes of `zone` now: an UPSERT queued now goes with it,
    /// or right after it.
    fn batch_open(&self, _zone: &str) -> bool {
        false
    }
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
    /// This process waits for change `change_id`: registered with the
    /// node's other kit processes until dropped; it paces the status checks
    /// ([`Waiting::gap`], [`Waiting::storm`]).
    fn waiting(&self, change_id: &str) -> Waiting;
    /// This process will write a record of `zone` once it has read it: in
    /// a storm, the node's batch for the zone waits for it a while.
    fn will_write(&self, _zone: &str) {}
    /// This process will soon read the A record `name` of `zone` (as
    /// LifeKeeper's `-i` names it, before the LCD has said so): the node's
    /// other readers of the zone may read it for it meanwhile.
    fn will_read(&self, _zone: &str, _name: &str) {}
}

/// What create, doctor and status ask of Route 53 and of the AWS side.
pub(crate) trait Probe: RecordApi {
    fn zone(&self, zone: &str) -> impl Future<Output = Result<Zone, Route53Error>>;
    /// Find credentials the way every call does and say which source gave
    /// them; never the credentials themselves.
    fn credentials(&self) -> impl Future<Output = Result<String, String>>;
    /// Who the calls are made as (sts:GetCallerIdentity): an ARN, never a
    /// credential.
    fn identity(&self) -> impl Future<Output = Result<String, String>>;
    /// The server's clock at its last answer, where it sent one.
    fn server_date(&self) -> Option<SystemTime>;
    /// The AWS side as decided for this run.
    fn estate(&self) -> &Estate;
    /// Where requests go, for messages: the URL and any proxy.
    fn endpoint(&self) -> String {
        self.estate().route53.endpoint_text()
    }
}
