//! A scripted Route 53 for unit tests of the procedures: it holds one A
//! record, answers from scripts where a test gives them and from that
//! record otherwise, and notes every call with the (paused) time it came.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::error::Route53Error;
use crate::record::ARecord;
use crate::route53::{Accepted, ChangeState, RecordApi, Zone};

pub struct Scripted {
    /// What Route 53 holds at the name.
    pub record: RefCell<Option<ARecord>>,
    pub reads: RefCell<VecDeque<Result<Option<ARecord>, Route53Error>>>,
    /// The answers to UPSERTs, in turn; where none is scripted, change C1,
    /// PENDING (as Route 53 answers).
    pub upserts: RefCell<VecDeque<Result<Accepted, Route53Error>>>,
    pub changes: RefCell<VecDeque<Result<ChangeState, Route53Error>>>,
    /// The answers to GetHostedZone, in turn; where none is scripted, the
    /// public zone example.com.
    pub zones: RefCell<VecDeque<Result<Zone, Route53Error>>>,
    pub credentials: Result<String, String>,
    /// Every call: when (since the double was made) and what.
    pub calls: RefCell<Vec<(Duration, String)>>,
    start: Instant,
}

impl Scripted {
    pub fn new(record: Option<ARecord>) -> Scripted {
        Scripted {
            record: RefCell::new(record),
            reads: RefCell::default(),
            upserts: RefCell::default(),
            changes: RefCell::default(),
            zones: RefCell::default(),
            credentials: Ok("environment variables (AWS_ACCESS_KEY_ID)".into()),
            calls: RefCell::default(),
            start: Instant::now(),
        }
    }

    /// A simple record of this address and TTL at app.example.com.
    pub fn holding(address: &str, ttl: i64) -> Scripted {
        Scripted::new(Some(ARecord::simple("app.example.com.", &[address], ttl)))
    }

    fn note(&self, what: String) {
        self.calls.borrow_mut().push((self.start.elapsed(), what));
    }

    /// The calls of one kind ("read", "upsert", "change", "zone").
    pub fn count(&self, kind: &str) -> usize {
        self.calls
            .borrow()
            .iter()
            .filter(|(_, c)| c.split(' ').next() == Some(kind))
            .count()
    }

    pub fn current(&self) -> Option<ARecord> {
        self.record.borrow().clone()
    }
}

pub fn throttled(operation: &'static str) -> Route53Error {
    Route53Error::Refused {
        operation,
        zone: "Z1".into(),
        code: "Throttling".into(),
        message: "Rate exceeded".into(),
        retryable: true,
    }
}

pub fn denied(operation: &'static str) -> Route53Error {
    Route53Error::Refused {
        operation,
        zone: "Z1".into(),
        code: "AccessDenied".into(),
        message: "User is not authorized".into(),
        retryable: false,
    }
}

pub fn no_answer(operation: &'static str) -> Route53Error {
    Route53Error::NoAnswer {
        operation,
        zone: "Z1".into(),
        endpoint: "http://127.0.0.1:1".into(),
        cause: crate::error::Cause::ConnectionRefused,
    }
}

impl RecordApi for Scripted {
    async fn read_a(&self, _zone: &str, _name: &str) -> Result<Option<ARecord>, Route53Error> {
        self.note("read".into());
        match self.reads.borrow_mut().pop_front() {
            Some(answer) => answer,
            None => Ok(self.current()),
        }
    }

    async fn upsert_a(
        &self,
        _zone: &str,
        name: &str,
        address: Ipv4Addr,
        ttl: u32,
        _comment: &str,
    ) -> Result<Accepted, Route53Error> {
        self.note(format!("upsert {address} {ttl}"));
        let answer = self.upserts.borrow_mut().pop_front().unwrap_or_else(|| {
            Ok(Accepted {
                id: "C1".into(),
                state: ChangeState::Pending,
            })
        });
        if answer.is_ok() {
            let addr = address.to_string();
            *self.record.borrow_mut() = Some(ARecord::simple(
                &format!("{name}."),
                &[addr.as_str()],
                i64::from(ttl),
            ));
        }
        answer
    }

    async fn change_state(&self, change_id: &str) -> Result<ChangeState, Route53Error> {
        self.note(format!("change {change_id}"));
        self.changes
            .borrow_mut()
            .pop_front()
            .unwrap_or(Ok(ChangeState::InSync))
    }

    async fn zone(&self, zone: &str) -> Result<Zone, Route53Error> {
        self.note(format!("zone {zone}"));
        self.zones.borrow_mut().pop_front().unwrap_or_else(|| {
            Ok(Zone {
                name: "example.com.".into(),
                private: false,
            })
        })
    }

    async fn credentials(&self) -> Result<String, String> {
        self.credentials.clone()
    }

    fn server_date(&self) -> Option<SystemTime> {
        Some(SystemTime::now())
    }

    fn endpoint(&self) -> &str {
        "scripted"
    }

    fn waiting(&self) -> crate::budget::Waiting {
        crate::budget::Waiting::alone()
    }

    fn aws_lines(&self) -> Vec<(&'static str, String)> {
        vec![("partition", "aws (scripted)".into())]
    }

    async fn identity(&self) -> Result<String, String> {
        Ok("arn:aws:sts::123456789012:assumed-role/scripted/lkroute53-node1".into())
    }
}
