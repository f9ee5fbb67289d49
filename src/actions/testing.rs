//! Scripted doubles for the procedures' unit tests: a Route 53 that holds
//! one A record and answers from scripts where a test gives them, noting
//! every call with the (paused) time it came; and an LCD of several nodes
//! in memory that honours the documented exit statuses, fails where a test
//! says, and notes every command in order.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::net::Ipv4Addr;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::aws::api::Accepted;
use crate::aws::budget::Waiting;
use crate::aws::{Cause, ChangeState, Estate, Probe, RecordApi, Route53Error, Zone};
use crate::context::Ctx;
use crate::lcd::{
    status, DepLayout, Equivalency, Event, Instance, Lcd, LcdError, LcdEvents, LcdWrite,
    NewInstance, NoMatch, Select, Shared,
};
use crate::record::ARecord;
use crate::resource::{InLcd, Loaded, Manager, Route53Resource};

pub(crate) struct Scripted {
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
    /// Whether the node is in a storm (Route 53 throttled it lately).
    pub storm: std::cell::Cell<bool>,
    /// Whether another restore of the node is sending a batch of the
    /// zone's changes.
    pub batch_open: std::cell::Cell<bool>,
    /// Every call: when (since the double was made) and what.
    pub calls: RefCell<Vec<(Duration, String)>>,
    start: Instant,
    estate: Estate,
}

impl Scripted {
    pub(crate) fn new(record: Option<ARecord>) -> Scripted {
        Scripted {
            record: RefCell::new(record),
            reads: RefCell::default(),
            upserts: RefCell::default(),
            changes: RefCell::default(),
            zones: RefCell::default(),
            credentials: Ok("environment variables (AWS_ACCESS_KEY_ID)".into()),
            storm: std::cell::Cell::new(false),
            batch_open: std::cell::Cell::new(false),
            calls: RefCell::default(),
            start: Instant::now(),
            estate: Estate::fixed("scripted"),
        }
    }

    /// A simple record of this address and TTL at app.example.com.
    pub(crate) fn holding(address: &str, ttl: i64) -> Scripted {
        Scripted::new(Some(ARecord::simple("app.example.com.", &[address], ttl)))
    }

    fn note(&self, what: String) {
        self.calls.borrow_mut().push((self.start.elapsed(), what));
    }

    /// The calls of one kind ("read", "upsert", "change", "zone").
    pub(crate) fn count(&self, kind: &str) -> usize {
        self.calls
            .borrow()
            .iter()
            .filter(|(_, c)| c.split(' ').next() == Some(kind))
            .count()
    }

    pub(crate) fn current(&self) -> Option<ARecord> {
        self.record.borrow().clone()
    }
}

pub(crate) fn throttled(operation: &'static str) -> Route53Error {
    Route53Error::Refused {
        operation,
        zone: "Z1".into(),
        code: "Throttling".into(),
        message: "Rate exceeded".into(),
        retryable: true,
    }
}

pub(crate) fn denied(operation: &'static str) -> Route53Error {
    Route53Error::Refused {
        operation,
        zone: "Z1".into(),
        code: "AccessDenied".into(),
        message: "User is not authorized".into(),
        retryable: false,
    }
}

pub(crate) fn no_answer(operation: &'static str) -> Route53Error {
    Route53Error::NoAnswer {
        operation,
        zone: "Z1".into(),
        endpoint: "http://127.0.0.1:1".into(),
        cause: Cause::ConnectionRefused,
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
            // Route 53 refuses a plain A UPSERT where an alias or
            // routing-policy record stands at the name.
            let held = self.current();
            if held.is_some_and(|r| r.alias_target.is_some() || r.routing.is_some()) {
                return Err(Route53Error::Refused {
                    operation: "ChangeResourceRecordSets",
                    zone: "Z1".into(),
                    code: "InvalidChangeBatch".into(),
                    message: format!("[RRSet with DNS name {name}., type A cannot be created as other RRSets exist with the same name and type.]"),
                    retryable: false,
                });
            }
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
        let answer = self
            .changes
            .borrow_mut()
            .pop_front()
            .unwrap_or(Ok(ChangeState::InSync));
        // A throttled answer puts the node in a storm, as its budget would.
        if answer.as_ref().is_err_and(Route53Error::is_throttling) {
            self.storm.set(true);
        }
        answer
    }

    /// Out of a storm, a lone wait; in one, a wait on a node whose budget
    /// (in a folder of its own) saw a throttle, so that the checks keep
    /// the storm's pace as on a node.
    fn waiting(&self, change_id: &str) -> Waiting {
        if !self.storm.get() {
            return Waiting::alone();
        }
        static FOLDERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = FOLDERS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let budget = crate::aws::budget::Budget::new(
            8,
            20,
            crate::lock::scratch(&format!("scripted-storm-{n}")),
        );
        budget.throttled(
            std::time::Duration::from_secs(60),
            crate::aws::budget::Pace::Prompt,
        );
        budget.waiting(change_id)
    }

    fn storm(&self) -> bool {
        self.storm.get()
    }

    fn batch_open(&self, _zone: &str) -> bool {
        self.batch_open.get()
    }
}

impl Probe for Scripted {
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

    async fn identity(&self) -> Result<String, String> {
        Ok("arn:aws:sts::123456789012:assumed-role/scripted/lkroute53-node1".into())
    }

    fn server_date(&self) -> Option<SystemTime> {
        Some(SystemTime::now())
    }

    fn estate(&self) -> &Estate {
        &self.estate
    }
}

/// One node's database.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeDb {
    /// Registered applications.
    pub apps: Vec<String>,
    /// Registered resource types: (app, type).
    pub types: Vec<(String, String)>,
    pub instances: Vec<Instance>,
    /// (parent, child)
    pub deps: Vec<(String, String)>,
    pub eqvs: Vec<Equivalency>,
}

/// A cluster's databases, and what the commands are to do.
#[derive(Debug, Default)]
pub(crate) struct Cluster {
    pub nodes: BTreeMap<String, NodeDb>,
    /// Failures to give, in turn: (node, command, exit status, stderr).
    pub failures: Vec<(String, &'static str, i32, &'static str)>,
    /// The same, failing after the command did its work (a timeout after
    /// the write).
    pub failures_after: Vec<(String, &'static str, i32, &'static str)>,
    /// `eqv_create`/`eqv_remove` with a system named write the mirrored
    /// row there too, as SIOS documents for Windows.
    pub mirror: bool,
    /// Every command, in order: "node command args".
    pub calls: Vec<String>,
    /// `ins_create` refuses a type not registered (exit 7).
    pub require_types: bool,
    /// Commands not installed (`has` says no).
    pub missing: Vec<&'static str>,
}

/// The LCD of one node of a scripted cluster.
#[derive(Debug, Clone)]
pub(crate) struct ScriptedLcd {
    pub cluster: Rc<RefCell<Cluster>>,
    pub node: String,
}

/// An instance as `ins_list` would print it.
pub(crate) fn instance(node: &str, app: &str, rtype: &str, tag: &str, info: &str) -> Instance {
    Instance {
        system: node.into(),
        app: app.into(),
        rtype: rtype.into(),
        tag: tag.into(),
        id: format!("{tag}-id"),
        info: info.into(),
        state: "ISP".into(),
        fields: 9,
        switchback: Some(crate::lcd::Switchback::Intelligent),
    }
}

impl ScriptedLcd {
    /// node1 and node2, each with the IP resource of its own address
    /// (ip-10.0.1.10, ip-10.0.2.20).
    pub(crate) fn two_nodes() -> ScriptedLcd {
        let mut c = Cluster::default();
        for (node, addr) in [("node1", "10.0.1.10"), ("node2", "10.0.2.20")] {
            c.nodes.insert(
                node.into(),
                NodeDb {
                    apps: vec!["comm".into()],
                    types: vec![("comm".into(), "ip".into())],
                    instances: vec![instance(
                        node,
                        "comm",
                        "ip",
                        &format!("ip-{addr}"),
                        &format!("{node} eth0 {addr} ffffff00 none"),
                    )],
                    ..NodeDb::default()
                },
            );
        }
        ScriptedLcd {
            cluster: Rc::new(RefCell::new(c)),
            node: "node1".into(),
        }
    }

    /// The next `command` on `node` fails with this exit status.
    pub(crate) fn fail(
        &self,
        node: &str,
        command: &'static str,
        status: i32,
        stderr: &'static str,
    ) {
        self.cluster
            .borrow_mut()
            .failures
            .push((node.into(), command, status, stderr));
    }

    /// The next `command` on `node` does its work, then fails so.
    pub(crate) fn fail_after(
        &self,
        node: &str,
        command: &'static str,
        status: i32,
        stderr: &'static str,
    ) {
        self.cluster
            .borrow_mut()
            .failures_after
            .push((node.into(), command, status, stderr));
    }

    /// The commands run so far that change something, in order.
    pub(crate) fn writes(&self) -> Vec<String> {
        self.cluster
            .borrow()
            .calls
            .iter()
            .filter(|c| !c.contains("_list") && !c.contains("lcdsync"))
            .cloned()
            .collect()
    }

    /// The nodes lcdsync ran on, in order.
    pub(crate) fn synced(&self) -> Vec<String> {
        self.cluster
            .borrow()
            .calls
            .iter()
            .filter_map(|c| c.strip_suffix(" lcdsync").or(c.strip_suffix(" lcdsync ")))
            .map(str::to_string)
            .collect()
    }

    pub(crate) fn db(&self, node: &str) -> NodeDb {
        self.cluster
            .borrow()
            .nodes
            .get(node)
            .cloned()
            .unwrap_or_default()
    }

    /// Run one command on this node's database: noted, failed where
    /// scripted, unreachable where the node does not exist.
    fn with<T>(
        &self,
        command: &'static str,
        args: &str,
        f: impl FnOnce(&mut NodeDb, &mut Cluster) -> Result<T, (i32, String)>,
    ) -> Result<T, LcdError> {
        let mut c = self.cluster.borrow_mut();
        c.calls.push(format!("{} {command} {args}", self.node));
        let failed = |status: i32, stderr: String| LcdError::Failed {
            command: format!("{command} {args}"),
            status,
            silent: stderr.is_empty(),
            stderr,
        };
        if let Some(i) = c
            .failures
            .iter()
            .position(|(n, cmd, _, _)| *n == self.node && *cmd == command)
        {
            let (_, _, status, stderr) = c.failures.remove(i);
            return Err(failed(status, stderr.into()));
        }
        let Some(mut db) = c.nodes.remove(&self.node) else {
            return Err(failed(
                status::UNREACHABLE,
                format!("system {} cannot be reached", self.node),
            ));
        };
        let out = f(&mut db, &mut c);
        c.nodes.insert(self.node.clone(), db);
        let out = out.map_err(|(status, stderr)| failed(status, stderr))?;
        if let Some(i) = c
            .failures_after
            .iter()
            .position(|(n, cmd, _, _)| *n == self.node && *cmd == command)
        {
            let (_, _, status, stderr) = c.failures_after.remove(i);
            return Err(failed(status, stderr.into()));
        }
        Ok(out)
    }
}

fn missing(tag: &str) -> (i32, String) {
    (
        status::NO_SUCH_OBJECT,
        format!("resource {tag} does not exist"),
    )
}

fn has(db: &NodeDb, tag: &str) -> Result<(), (i32, String)> {
    match db.instances.iter().any(|i| i.tag == tag) {
        true => Ok(()),
        false => Err(missing(tag)),
    }
}

impl Lcd for ScriptedLcd {
    async fn ins_list(&self, select: Select<'_>) -> Result<Vec<Instance>, LcdError> {
        self.with("ins_list", &format!("{select:?}"), |db, _| {
            Ok(db
                .instances
                .iter()
                .filter(|i| match select {
                    Select::All => true,
                    Select::Tag(t) => i.tag == t,
                    Select::Id(id) => i.id == id,
                    Select::Type { app, rtype } => i.app == app && i.rtype == rtype,
                })
                .cloned()
                .collect())
        })
    }

    async fn children_and_layout(
        &self,
        parent: &str,
    ) -> Result<(Vec<String>, Option<DepLayout>), LcdError> {
        self.with("dep_list", &format!("-c {parent}"), |db, _| {
            let children: Vec<String> = db
                .deps
                .iter()
                .filter(|(p, _)| p == parent)
                .map(|(_, c)| c.clone())
                .collect();
            let layout = (!children.is_empty()).then_some(DepLayout::ParentFirst);
            Ok((children, layout))
        })
    }

    async fn dep_list(&self) -> Result<Vec<(String, String)>, LcdError> {
        self.with("dep_list", "", |db, _| Ok(db.deps.clone()))
    }

    async fn eqv_list(&self, tag: &str) -> Result<Vec<Equivalency>, LcdError> {
        self.with("eqv_list", &format!("-t {tag}"), |db, _| {
            Ok(db.eqvs.iter().filter(|e| e.tag == tag).cloned().collect())
        })
    }

    async fn typ_list(&self, app: &str) -> Result<Vec<String>, LcdError> {
        self.with("typ_list", app, |db, _| {
            Ok(db
                .types
                .iter()
                .filter(|(a, _)| a == app)
                .map(|(_, t)| t.clone())
                .collect())
        })
    }

    async fn no_match_form(&self) -> Result<NoMatch, LcdError> {
        Ok(NoMatch::Empty)
    }

    fn remote(&self, node: &str) -> ScriptedLcd {
        ScriptedLcd {
            cluster: self.cluster.clone(),
            node: node.into(),
        }
    }

    fn has(&self, command: &str) -> bool {
        !self.cluster.borrow().missing.contains(&command)
    }

    fn root(&self) -> &Path {
        Path::new("/opt/LifeKeeper")
    }
}

impl LcdWrite for ScriptedLcd {
    async fn ins_create(&self, n: &NewInstance<'_>) -> Result<(), LcdError> {
        let node = self.node.clone();
        self.with("ins_create", n.tag, |db, c| {
            let registered = db.types.iter().any(|(a, t)| a == n.app && t == n.rtype);
            if c.require_types && !registered {
                return Err((
                    status::NO_SUCH_OBJECT,
                    format!("type {}/{} does not exist", n.app, n.rtype),
                ));
            }
            if db.instances.iter().any(|i| i.tag == n.tag) {
                return Err((status::EXISTS, format!("resource {} exists", n.tag)));
            }
            let mut i = instance(&node, n.app, n.rtype, n.tag, n.info);
            i.id = n.id.into();
            i.state = "OSU".into();
            i.switchback = Some(n.switchback);
            db.instances.push(i);
            Ok(())
        })
    }

    async fn ins_remove(&self, tag: &str) -> Result<(), LcdError> {
        self.with("ins_remove", tag, |db, _| {
            has(db, tag)?;
            if db.deps.iter().any(|(_, c)| c == tag) {
                return Err((
                    status::HAS_DEPENDENTS,
                    format!("resource {tag} has dependents"),
                ));
            }
            db.instances.retain(|i| i.tag != tag);
            db.deps.retain(|(p, _)| p != tag);
            Ok(())
        })
    }

    async fn dep_create(&self, parent: &str, child: &str) -> Result<(), LcdError> {
        self.with("dep_create", &format!("{parent} {child}"), |db, _| {
            has(db, parent)?;
            has(db, child)?;
            let dep = (parent.to_string(), child.to_string());
            if db.deps.contains(&dep) {
                return Err((status::EXISTS, "dependency exists".into()));
            }
            db.deps.push(dep);
            Ok(())
        })
    }

    async fn dep_remove(&self, parent: &str, child: &str) -> Result<(), LcdError> {
        self.with("dep_remove", &format!("{parent} {child}"), |db, _| {
            let dep = (parent.to_string(), child.to_string());
            let before = db.deps.len();
            db.deps.retain(|d| *d != dep);
            match db.deps.len() < before {
                true => Ok(()),
                false => Err((status::NO_SUCH_OBJECT, "no such dependency".into())),
            }
        })
    }

    async fn eqv_create(&self, e: &Shared<'_>) -> Result<(), LcdError> {
        let node = self.node.clone();
        self.with(
            "eqv_create",
            &format!("{} {} {}", e.tag, e.other_system, e.other_tag),
            |db, c| {
                has(db, e.tag)?;
                let row = Equivalency {
                    system: node.clone(),
                    tag: e.tag.into(),
                    other_system: e.other_system.into(),
                    other_tag: e.other_tag.into(),
                    etype: "SHARED".into(),
                    priority: e.prio.to_string(),
                    other_priority: e.other_prio.to_string(),
                };
                if db.eqvs.iter().any(|r| same_row(r, &row)) {
                    return Err((status::EXISTS, "equivalency exists".into()));
                }
                db.eqvs.push(row.clone());
                if c.mirror {
                    if let Some(other) = c.nodes.get_mut(e.other_system) {
                        other.eqvs.push(mirrored(&row));
                    }
                }
                Ok(())
            },
        )
    }

    async fn eqv_remove(
        &self,
        tag: &str,
        other_system: &str,
        other_tag: &str,
    ) -> Result<(), LcdError> {
        let node = self.node.clone();
        self.with(
            "eqv_remove",
            &format!("{tag} {other_system} {other_tag}"),
            |db, c| {
                let row = Equivalency {
                    system: node.clone(),
                    tag: tag.into(),
                    other_system: other_system.into(),
                    other_tag: other_tag.into(),
                    etype: "SHARED".into(),
                    priority: String::new(),
                    other_priority: String::new(),
                };
                let before = db.eqvs.len();
                db.eqvs.retain(|r| !same_row(r, &row));
                if db.eqvs.len() == before {
                    return Err((status::NO_SUCH_OBJECT, "no such equivalency".into()));
                }
                if c.mirror {
                    if let Some(other) = c.nodes.get_mut(other_system) {
                        let m = mirrored(&row);
                        other.eqvs.retain(|r| !same_row(r, &m));
                    }
                }
                Ok(())
            },
        )
    }

    async fn app_create(&self, app: &str) -> Result<(), LcdError> {
        self.with("app_create", app, |db, _| {
            if db.apps.iter().any(|a| a == app) {
                return Err((status::EXISTS, format!("application {app} exists")));
            }
            db.apps.push(app.to_string());
            Ok(())
        })
    }

    async fn typ_create(&self, app: &str, rtype: &str) -> Result<(), LcdError> {
        self.with("typ_create", &format!("{app} {rtype}"), |db, _| {
            if !db.apps.iter().any(|a| a == app) {
                return Err((
                    status::NO_SUCH_OBJECT,
                    format!("application {app} does not exist"),
                ));
            }
            let t = (app.to_string(), rtype.to_string());
            if db.types.contains(&t) {
                return Err((status::EXISTS, format!("type {app}/{rtype} exists")));
            }
            db.types.push(t);
            Ok(())
        })
    }

    async fn lcdsync(&self) -> Result<(), LcdError> {
        self.with("lcdsync", "", |_, _| Ok(()))
    }
}

impl LcdEvents for ScriptedLcd {
    async fn sendevent(&self, e: &Event<'_>) -> Result<(), LcdError> {
        self.with(
            "sendevent",
            &format!("{} {} {}", e.class, e.event, e.name),
            |_, _| Ok(()),
        )
    }
}

fn same_row(a: &Equivalency, b: &Equivalency) -> bool {
    (&a.tag, &a.other_system, &a.other_tag, &a.etype)
        == (&b.tag, &b.other_system, &b.other_tag, &b.etype)
}

fn mirrored(row: &Equivalency) -> Equivalency {
    Equivalency {
        system: row.other_system.clone(),
        tag: row.other_tag.clone(),
        other_system: row.system.clone(),
        other_tag: row.tag.clone(),
        etype: row.etype.clone(),
        priority: row.other_priority.clone(),
        other_priority: row.priority.clone(),
    }
}

/// A context for a procedure's unit test: these settings, a logger that
/// keeps its lines, and a scripted two-node LCD seen from node1.
pub(crate) fn ctx(settings: &str) -> Ctx<ScriptedLcd> {
    Ctx::for_tests(settings, ScriptedLcd::two_nodes())
}

/// As [`ctx`], with the Route 53 resource r53-app (zone Z1, host name
/// app.example.com) on node1 over ip-10.0.1.10.
pub(crate) fn ctx_with_resource(settings: &str) -> Ctx<ScriptedLcd> {
    let lcd = ScriptedLcd::two_nodes();
    {
        let mut c = lcd.cluster.borrow_mut();
        let db = c.nodes.get_mut("node1").expect("node1");
        let mut r53 = instance("node1", "gen", "route53", "r53-app", "Z1 app.example.com");
        r53.id = "route53:Z1:app.example.com".into();
        r53.state = "ISP".into();
        db.instances.push(r53);
        db.deps.push(("r53-app".into(), "ip-10.0.1.10".into()));
    }
    Ctx::for_tests(settings, lcd)
}

/// Short intervals, so that the paused clock shows the schedule.
pub(crate) const SETTINGS: &str = "ROUTE53_RECORD_INTERVAL=2\nROUTE53_CHANGEID_INTERVAL=20\n";

pub(crate) fn loaded() -> Loaded {
    in_lcd().loaded
}

pub(crate) fn in_lcd() -> InLcd {
    InLcd {
        loaded: Loaded {
            manager: Manager::LifeKeeper,
            resource: Route53Resource {
                tag: "r53-app".into(),
                zone_id: "Z1".into(),
                hostname: "app.example.com".into(),
            },
            source: "IP resource ip-10.0.1.10".into(),
            address: "10.0.1.10".parse().expect("address"),
            writer: "LifeKeeper r53-app on node1".into(),
        },
        instance: Instance {
            system: "node1".into(),
            app: "gen".into(),
            rtype: "route53".into(),
            tag: "r53-app".into(),
            id: "route53:Z1:app.example.com".into(),
            info: "Z1 app.example.com".into(),
            state: "ISP".into(),
            fields: 9,
            switchback: None,
        },
    }
}
