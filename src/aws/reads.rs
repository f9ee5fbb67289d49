//! Group read: the processes of one node that read A records of one zone
//! at the same time read them with one request. In an Availability Zone
//! failure every hierarchy of a node moves at once, and every request is
//! one token of the account's quota: a node's two restores that each read
//! their record first (and again to verify it) halve their reads this way.
//!
//! A process that reads announces it (`reads.ZONE.ID`, a claim holding the
//! name, see [`crate::lock::Claim`]), then leads or follows. The leader
//! holds the zone's read lock (`reads.ZONE.lead`) for its call; at each
//! attempt it takes the names announced by living processes: one (a lone
//! read, as in calm times) is read exactly, as ever (`StartRecordName` the
//! name, `MaxItems=1`); several are read as one listing of the zone from
//! the first of them in Route 53's order (labels reversed), up to
//! [`RANGE`] record sets. A name is answered from the listing only where
//! its A record sets stand whole in it (a record set of another name or
//! type follows them, or the listing is not cut); any other name (not in
//! the listing, or no A record there) is read exactly by its own process,
//! so a listing never answers "no record" for a name it did not show. The
//! leader writes each follower's answer (`reads.ZONE.ID.answer`). A follower
//! waits for its answer while a leader works, and reads alone where none
//! comes. In a storm (the node was throttled lately) the leader waits a
//! moment for company before its first attempt, as group commit does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::Route53Error;
use crate::lock::{self, Claim};
use crate::record::{same_name, ARecord, Routing};

/// Record sets a listing of several names asks for (Route 53's most).
pub(crate) const RANGE: i32 = 300;
/// How often a follower looks for its answer.
const LOOK: Duration = Duration::from_millis(20);
/// In a storm, how long a leader waits for the node's other readers of the
/// zone, and how long the set of them must stand still to end the wait.
const GATHER: Duration = Duration::from_secs(1);
const SETTLED: Duration = Duration::from_millis(400);

/// One record set of a listing: its name, whether it is of type A, and
/// the A record as the kit sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub name: String,
    pub record: Option<ARecord>,
}

/// A listing of the zone: its record sets in order, and whether Route 53
/// cut it (more follow).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Listing {
    pub sets: Vec<Listed>,
    pub truncated: bool,
}

/// How the group read reaches Route 53.
pub(crate) trait Lister {
    /// Whether the node is in a storm.
    fn storm(&self) -> bool;
    /// One read: the record sets of the zone from `start` (type A), at
    /// most `max_items`, the names asked for decided anew for each attempt
    /// by `names` (the first is where the listing starts; one name alone
    /// is read exactly).
    fn list(
        &self,
        names: &mut dyn FnMut() -> Vec<String>,
    ) -> impl std::future::Future<Output = Result<Listing, Route53Error>>;
}

/// The reads of one zone on this node.
#[derive(Debug, Clone)]
pub(crate) struct Board {
    dir: PathBuf,
    /// The zone's ID as its files spell it (letters and digits).
    zone: String,
    /// The zone's ID as given, for messages.
    zone_id: String,
}

/// How long an answer stands for a read: one written for a read announced
/// early is taken only while it is this fresh.
const FRESH: Duration = Duration::from_secs(2);

/// What a follower learns of the leader's read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    /// The record as the listing showed it (or its absence, where read
    /// exactly).
    Read(Option<ARecord>),
    /// The listing did not answer for the name: read it alone.
    Alone,
    /// Route 53 throttled the listing, and the leader did not send it
    /// again (its read was one the run can do without): a reader that can
    /// do without its own goes on without it, any other reads alone.
    Throttled,
}

impl Board {
    pub(crate) fn new(dir: &Path, zone: &str) -> Board {
        Board {
            dir: dir.to_path_buf(),
            zone: zone.chars().filter(char::is_ascii_alphanumeric).collect(),
            zone_id: zone.to_string(),
        }
    }

    fn wanted_name(&self, id: &str) -> String {
        format!("reads.{}.{id}", self.zone)
    }

    fn answer_name(&self, id: &str) -> String {
        format!("reads.{}.{id}.answer", self.zone)
    }

    /// The reads announced by living processes: (ID, name), in the order
    /// of their names in Route 53's listing.
    fn wanted(&self) -> Vec<(String, String)> {
        let prefix = format!("reads.{}.", self.zone);
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<(String, String)> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter_map(|n| {
                let id = n.strip_prefix(&prefix)?.to_string();
                (!id.contains('.') && id != "lead" && lock::claimed(&self.dir, &n))
                    .then_some((id, n))
            })
            .filter_map(|(id, n)| {
                let name = crate::bounded::read_regular(&self.dir.join(n), 512).ok()?;
                Some((id, String::from_utf8(name).ok()?))
            })
            // A reader between its claim and the name it writes into it
            // has nothing to ask yet (a listing from "" is refused).
            .filter(|(_, name)| !name.trim().is_empty())
            .collect();
        out.sort_by_key(|(_, name)| order_key(name));
        out
    }

    fn tell(&self, id: &str, answer: &Answer) {
        if let Ok((mut f, _)) = lock::open_in_dir(&self.dir, &self.answer_name(id)) {
            use std::io::Write;
            let _ = f.set_len(0);
            let _ = f.write_all(render(answer).as_bytes());
        }
    }

    fn take_answer(&self, id: &str) -> Option<Answer> {
        let path = self.dir.join(self.answer_name(id));
        let text = crate::bounded::read_regular(&path, 64 << 10).ok()?;
        let answer = parse(&String::from_utf8_lossy(&text))?;
        let _ = std::fs::remove_file(&path);
        Some(answer)
    }

    fn lead(&self) -> Option<Claim> {
        Claim::make(&self.dir, &format!("reads.{}.lead", self.zone))
    }
}

/// The order of names in Route 53's listings: by the name with its labels
/// reversed, case aside.
pub(crate) fn order_key(name: &str) -> String {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let mut labels: Vec<&str> = name.split('.').collect();
    labels.reverse();
    labels.join(".")
}

/// Announce a read of `name` that is to come (`me` its ID): the claim
/// returned stands for it until the read takes it.
pub(crate) fn announce(board: &Board, me: &str, name: &str) -> Option<Claim> {
    let mut claim = Claim::make(&board.dir, &board.wanted_name(me))?;
    claim.note(name);
    Some(claim)
}

/// Read the A record `name` of the zone, with the node's other readers of
/// the zone where there are any (see the module's words); `me` is this
/// read's ID (and `early` its announcement, where it was made before),
/// `patience` how long it waits for a leader (the call's bound). An
/// `optional` read (one the run can do without) that a leader's throttled
/// listing should have answered ends throttled too.
pub(crate) async fn read(
    board: &Board,
    (me, early): (&str, Option<Claim>),
    name: &str,
    lister: &impl Lister,
    (patience, optional): (Duration, bool),
) -> Result<Option<ARecord>, Route53Error> {
    let Some(claim) = early.or_else(|| announce(board, me, name)) else {
        return alone(lister, name).await;
    };
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        match board.take_answer(me) {
            Some(Answer::Read(r)) => return Ok(r),
            Some(Answer::Throttled) if optional => return Err(throttled_for(board)),
            Some(Answer::Alone | Answer::Throttled) => {
                drop(claim);
                return alone(lister, name).await;
            }
            None => {}
        }
        if let Some(_lead) = board.lead() {
            // An answer written just before the lead came free.
            if let Some(Answer::Read(r)) = board.take_answer(me) {
                return Ok(r);
            }
            let out = lead(board, me, name, lister).await;
            drop(claim);
            return match out {
                Some(r) => r,
                None => alone(lister, name).await,
            };
        }
        if tokio::time::Instant::now() > deadline {
            drop(claim);
            return alone(lister, name).await;
        }
        tokio::time::sleep(LOOK).await;
    }
}

/// Read for every reader announced, and tell each its answer; this
/// process's own answer, or None where it must read alone.
async fn lead(
    board: &Board,
    me: &str,
    name: &str,
    lister: &impl Lister,
) -> Option<Result<Option<ARecord>, Route53Error>> {
    if lister.storm() {
        gather(board).await;
    }
    let mut asked: Vec<(String, String)> = Vec::new();
    let result = lister
        .list(&mut || {
            asked = board.wanted();
            if !asked.iter().any(|(id, _)| id == me) {
                asked.push((me.to_string(), name.to_string()));
                asked.sort_by_key(|(_, n)| order_key(n));
            }
            asked.iter().map(|(_, n)| n.clone()).collect()
        })
        .await;
    let listing = match result {
        Ok(l) => l,
        Err(e) => {
            let answer = match e.is_throttling() {
                true => Answer::Throttled,
                false => Answer::Alone,
            };
            for (id, _) in asked.iter().filter(|(id, _)| id != me) {
                board.tell(id, &answer);
            }
            // A listing for several that failed otherwise than by a
            // throttle may have failed for another's name: this one reads
            // its own alone, as the others do.
            if answer == Answer::Alone && asked.len() > 1 {
                return None;
            }
            return Some(Err(e));
        }
    };
    let exact = asked.len() == 1;
    let mut mine = None;
    for (id, n) in &asked {
        let answer = answer_for(&listing, n, exact);
        if id == me {
            mine = Some(answer);
        } else {
            board.tell(id, &answer);
        }
    }
    match mine {
        Some(Answer::Read(r)) => Some(Ok(r)),
        _ => None,
    }
}

/// In a storm, wait a moment for the node's other readers of the zone:
/// until the set of them stands still, at most [`GATHER`].
async fn gather(board: &Board) {
    let start = tokio::time::Instant::now();
    let mut seen = board.wanted().len();
    let mut still = tokio::time::Instant::now();
    while start.elapsed() < GATHER && still.elapsed() < SETTLED {
        tokio::time::sleep(LOOK).await;
        let now = board.wanted().len();
        if now != seen {
            seen = now;
            still = tokio::time::Instant::now();
        }
    }
}

/// The throttled answer of a listing that another process of the node
/// made for this read too.
fn throttled_for(board: &Board) -> Route53Error {
    Route53Error::Refused {
        operation: "ListResourceRecordSets",
        zone: board.zone_id.clone(),
        code: "Throttling".into(),
        message: "the node's read of the zone, made by another kit process for this one too, was throttled".into(),
        retryable: true,
    }
}

/// One name read alone, exactly.
async fn alone(lister: &impl Lister, name: &str) -> Result<Option<ARecord>, Route53Error> {
    let listing = lister.list(&mut || vec![name.to_string()]).await?;
    match answer_for(&listing, name, true) {
        Answer::Read(r) => Ok(r),
        Answer::Alone | Answer::Throttled => Ok(None),
    }
}

/// What a listing says of `name`. Read exactly (the listing starts at the
/// name), the absence of its A record is an answer; from a listing of
/// several, only A record sets that stand whole in it are.
fn answer_for(listing: &Listing, name: &str, exact: bool) -> Answer {
    let first_a = listing
        .sets
        .iter()
        .position(|s| same_name(&s.name, name) && s.record.is_some());
    if exact {
        return Answer::Read(first_a.and_then(|i| listing.sets[i].record.clone()));
    }
    let Some(first) = first_a else {
        return Answer::Alone;
    };
    let followed = listing.sets[first..]
        .iter()
        .any(|s| !(same_name(&s.name, name) && s.record.is_some()));
    if followed || !listing.truncated {
        Answer::Read(listing.sets[first].record.clone())
    } else {
        Answer::Alone
    }
}

/// An answer as its file holds it: one JSON object.
fn render(answer: &Answer) -> String {
    let mut value = match answer {
        Answer::Alone => serde_json::json!({"alone": true}),
        Answer::Throttled => serde_json::json!({"throttled": true}),
        Answer::Read(None) => serde_json::json!({"record": null}),
        Answer::Read(Some(r)) => serde_json::json!({"record": {
            "name": r.name,
            "ttl": r.ttl,
            "values": r.values,
            "alias_target": r.alias_target,
            "routing": r.routing.as_ref().map(|p| serde_json::json!({"policy": p.policy, "set_identifier": p.set_identifier})),
        }}),
    };
    value["at_ms"] = now_ms().into();
    value.to_string()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn parse(text: &str) -> Option<Answer> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let at = v.get("at_ms").and_then(serde_json::Value::as_u64)?;
    if now_ms().saturating_sub(at) > FRESH.as_millis() as u64 {
        return None;
    }
    if v.get("alone").is_some() {
        return Some(Answer::Alone);
    }
    if v.get("throttled").is_some() {
        return Some(Answer::Throttled);
    }
    let r = v.get("record")?;
    if r.is_null() {
        return Some(Answer::Read(None));
    }
    let routing = match r.get("routing") {
        Some(p) if !p.is_null() => Some(Routing {
            policy: known_policy(p.get("policy")?.as_str()?),
            set_identifier: p.get("set_identifier")?.as_str()?.to_string(),
        }),
        _ => None,
    };
    Some(Answer::Read(Some(ARecord {
        name: r.get("name")?.as_str()?.to_string(),
        ttl: r.get("ttl").and_then(serde_json::Value::as_i64),
        values: r
            .get("values")?
            .as_array()?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        routing,
        alias_target: r
            .get("alias_target")
            .and_then(|a| a.as_str())
            .map(str::to_string),
    })))
}

/// A routing policy's name as the kit spells it.
fn known_policy(p: &str) -> &'static str {
    [
        "weighted",
        "latency",
        "failover",
        "geolocation",
        "geoproximity",
        "multivalue answer",
        "IP-based",
    ]
    .into_iter()
    .find(|k| *k == p)
    .unwrap_or("routing-policy")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn a(name: &str, value: &str) -> Listed {
        Listed {
            name: name.into(),
            record: Some(ARecord::simple(name, &[value], 10)),
        }
    }

    fn other(name: &str) -> Listed {
        Listed {
            name: name.into(),
            record: None,
        }
    }

    #[test]
    fn a_listing_answers_only_for_a_records_it_shows_whole() {
        let l = Listing {
            sets: vec![
                a("a.example.com.", "10.0.0.1"),
                a("b.example.com.", "10.0.0.2"),
            ],
            truncated: true,
        };
        let read = |n| match answer_for(&l, n, false) {
            Answer::Read(Some(r)) => r.values[0].clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(read("A.example.com"), "10.0.0.1");
        // The last set of a cut listing may have more of its kind behind it.
        assert_eq!(read("b.example.com"), "Alone");
        // Not in the listing: never "no record".
        assert_eq!(read("c.example.com"), "Alone");
        let whole = Listing {
            truncated: false,
            ..l.clone()
        };
        assert!(matches!(
            answer_for(&whole, "b.example.com", false),
            Answer::Read(Some(_))
        ));
        assert_eq!(answer_for(&whole, "c.example.com", false), Answer::Alone);
        // Read exactly, an absence is an answer (the next name came back).
        let next = Listing {
            sets: vec![other("app.example.com."), a("b.example.com.", "10.0.0.2")],
            truncated: true,
        };
        assert_eq!(
            answer_for(&next, "app.example.com", true),
            Answer::Read(None)
        );
    }

    #[test]
    fn answers_keep_every_field_through_their_file() {
        let mut w = ARecord::simple("app.example.com.", &["10.0.1.10", "10.0.2.20"], 60);
        w.routing = Some(Routing {
            policy: "weighted",
            set_identifier: "blue".into(),
        });
        let mut alias = ARecord::simple("app.example.com.", &[], 10);
        alias.alias_target = Some("lb.example.net.".into());
        alias.ttl = None;
        for answer in [
            Answer::Alone,
            Answer::Read(None),
            Answer::Read(Some(w)),
            Answer::Read(Some(alias)),
        ] {
            assert_eq!(parse(&render(&answer)), Some(answer.clone()), "{answer:?}");
        }
        assert_eq!(parse("garbage"), None);
    }

    #[test]
    fn names_are_ordered_as_route53_lists_them() {
        let mut names = vec!["b.example.com", "a.other.com", "A.example.com."];
        names.sort_by_key(|n| order_key(n));
        assert_eq!(names, ["A.example.com.", "b.example.com", "a.other.com"]);
    }

    /// A zone of records, listed as Route 53 lists them; every listing
    /// noted with the names it was asked for.
    struct Zone {
        records: Vec<Listed>,
        calls: RefCell<Vec<Vec<String>>>,
        fail: RefCell<Option<Route53Error>>,
    }

    impl Lister for Zone {
        fn storm(&self) -> bool {
            false
        }

        async fn list(
            &self,
            names: &mut dyn FnMut() -> Vec<String>,
        ) -> Result<Listing, Route53Error> {
            let names = names();
            self.calls.borrow_mut().push(names.clone());
            if let Some(e) = self.fail.borrow_mut().take() {
                return Err(e);
            }
            let start = order_key(&names[0]);
            let max = if names.len() > 1 { 3 } else { 1 };
            let from: Vec<Listed> = self
                .records
                .iter()
                .filter(|r| order_key(&r.name) >= start)
                .cloned()
                .collect();
            Ok(Listing {
                truncated: from.len() > max,
                sets: from.into_iter().take(max).collect(),
            })
        }
    }

    fn zone() -> Zone {
        Zone {
            records: vec![
                a("a.example.com.", "10.0.0.1"),
                a("b.example.com.", "10.0.0.2"),
                a("x.example.com.", "10.0.0.9"),
                a("z.example.com.", "10.0.0.26"),
            ],
            calls: RefCell::default(),
            fail: RefCell::default(),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        crate::lock::scratch(&format!("reads-{name}"))
    }

    /// Read `name` as the process `me` of the node, within a call bound.
    async fn read_as(
        board: &Board,
        me: &str,
        name: &str,
        z: &Zone,
    ) -> Result<Option<ARecord>, Route53Error> {
        read(board, (me, None), name, z, (Duration::from_secs(55), false)).await
    }

    /// Another process of the node that has announced `name` and waits.
    fn waiting(dir: &std::path::Path, board: &Board, id: &str, name: &str) -> Claim {
        let mut claim = Claim::make(dir, &board.wanted_name(id)).expect("claim");
        claim.note(name);
        claim
    }

    fn value(r: Result<Option<ARecord>, Route53Error>) -> String {
        r.expect("read")
            .map_or("none".into(), |r| r.values[0].clone())
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_read_is_exact_at_once() {
        let dir = scratch("lone");
        let z = zone();
        let board = Board::new(&dir, "Z1");
        let r = read_as(&board, "1-x-1", "b.example.com", &z).await;
        assert_eq!(value(r), "10.0.0.2");
        assert_eq!(*z.calls.borrow(), [["b.example.com"]]);
        let r = read_as(&board, "1-x-2", "c.example.com", &z).await;
        assert_eq!(value(r), "none", "read exactly, the next name is no answer");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test(start_paused = true)]
    async fn the_node_s_readers_of_a_zone_share_one_listing() {
        let dir = scratch("shared");
        let z = zone();
        let board = Board::new(&dir, "Z1");
        // Another reader of the node has announced its name and waits.
        let other = waiting(&dir, &board, "2-y-1", "a.example.com");
        let r = read_as(&board, "1-x-1", "b.example.com", &z).await;
        assert_eq!(value(r), "10.0.0.2");
        assert_eq!(
            *z.calls.borrow(),
            [["a.example.com", "b.example.com"]],
            "one listing"
        );
        assert_eq!(
            board.take_answer("2-y-1"),
            Some(Answer::Read(Some(ARecord::simple(
                "a.example.com.",
                &["10.0.0.1"],
                10
            ))))
        );
        // A name the listing does not reach is read by its own process.
        let far = waiting(&dir, &board, "3-z-1", "z.example.com");
        let r = read_as(&board, "1-x-2", "a.example.com", &z).await;
        assert_eq!(value(r), "10.0.0.1");
        assert_eq!(board.take_answer("3-z-1"), Some(Answer::Alone));
        drop((other, far));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A reader caught between its claim and the name it writes into it is
    /// not asked for: the listing never starts from an empty name (Route
    /// 53 refuses that as InvalidInput), and the reader reads when it has
    /// its name.
    #[tokio::test(start_paused = true)]
    async fn a_reader_that_has_not_written_its_name_is_not_asked_for() {
        let dir = scratch("unnamed");
        let z = zone();
        let board = Board::new(&dir, "Z1");
        let unnamed = Claim::make(&dir, &board.wanted_name("2-y-1")).expect("claim");
        let r = read_as(&board, "1-x-1", "b.example.com", &z).await;
        assert_eq!(value(r), "10.0.0.2");
        assert_eq!(
            *z.calls.borrow(),
            [["b.example.com"]],
            "read exactly, alone"
        );
        assert_eq!(board.take_answer("2-y-1"), None);
        drop(unnamed);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_listing_sends_each_reader_to_read_alone() {
        let dir = scratch("failed");
        let z = zone();
        *z.fail.borrow_mut() = Some(Route53Error::Garbled {
            operation: "ListResourceRecordSets",
            detail: "cut".into(),
        });
        let board = Board::new(&dir, "Z1");
        let other = waiting(&dir, &board, "2-y-1", "a.example.com");
        // The leader too reads its own alone: the listing may have failed
        // for another's name.
        let r = read_as(&board, "1-x-1", "b.example.com", &z).await;
        assert_eq!(value(r), "10.0.0.2");
        assert_eq!(
            *z.calls.borrow(),
            [
                vec!["a.example.com", "b.example.com"],
                vec!["b.example.com"]
            ]
        );
        assert_eq!(board.take_answer("2-y-1"), Some(Answer::Alone));
        // A lone read that fails is the read's failure.
        *z.fail.borrow_mut() = Some(Route53Error::Garbled {
            operation: "ListResourceRecordSets",
            detail: "cut".into(),
        });
        drop(other);
        assert!(read_as(&board, "1-x-2", "b.example.com", &z).await.is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
