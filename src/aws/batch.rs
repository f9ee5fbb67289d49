//! Group commit: the restores of one node that write records of one zone
//! at the same time send their UPSERTs as one ChangeResourceRecordSets (a
//! batch is atomic and holds up to 1,000 records), share its change ID and
//! so its status checks. There is no daemon: the queue is a file in the
//! lock folder.
//!
//! A restore writes its change into the zone's queue (`batch.ZONE`), then
//! either leads or follows. The leader holds the zone's lead lock
//! (`batch.ZONE.lead`); when its request's turn in the node's budget comes
//! (in a storm, after a random part of the window, so that the node's other
//! restores join), it takes every change queued by a live process, sends
//! them as one batch, and writes each member's result (`batch.ZONE.ID`).
//!
//! Only the process that queued a change is proof that it still stands: it
//! holds a claim (`batch.ZONE.ID.held`, a file lock, see
//! [`crate::lock::Claim`]) from the moment it queues its change until it
//! has its result. A leader takes only the changes whose claim another
//! living process holds; the change of a run that ended, however it ended
//! (a signal, `kill -9`), has no holder and is dropped, whatever its PID
//! has become since, and so is a change whose claim cannot be read. A
//! change dropped so is never lost: its member, finding it gone without a
//! result, sends it alone. Every record a batch writes beyond the leader's
//! own is logged, with its owner.
//! A follower waits for its result; where the lead lock is free and its
//! change still queued, it leads. A leader waits for the node's restores of
//! the zone that are still reading their records (`reading.PID`), a moment
//! at most ([`GATHER_CALM`]), or a while in a storm ([`GATHER`]); a lone
//! restore leads at once and never waits for company. While it gathers
//! and sends, the leader holds the claim `batch.ZONE.open`: a restore of
//! the zone that finds it held queues its change without reading its
//! record first (see `actions::repair`).
//!
//! A batch that Route 53 refuses or does not take is not the members'
//! verdict: each member then sends its own change, so that one record's
//! trouble (or a policy that allows each node role its own names) never
//! fails another's restore. A change Route 53 accepted is never sent again:
//! a member sends its own only where the batch failed, or where its leader
//! died with no result written.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::change::{Accepted, ChangeState};
use super::error::Route53Error;
use crate::lock::{self, Claim};
use crate::log::{Logger, Msg};

/// How often a follower looks for its result, and a leader for the
/// node's restores of the zone still reading their records.
const LOOK: Duration = Duration::from_millis(20);
/// Route 53 takes at most 1,000 records a batch; an UPSERT counts twice.
pub(crate) const MAX_MEMBERS: usize = 500;

/// One restore's change, as queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// `PID-NONCE-N`: unique on the node, the run's nonce telling apart
    /// runs that had the same PID.
    pub id: String,
    pub pid: u32,
    pub name: String,
    pub address: Ipv4Addr,
    pub ttl: u32,
    pub comment: String,
}

impl Member {
    fn line(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\t{}\n",
            self.id,
            self.name,
            self.address,
            self.ttl,
            self.comment.replace(['\t', '\n'], " ")
        )
    }

    fn parse(line: &str) -> Option<Member> {
        let f: Vec<&str> = line.split('\t').collect();
        let [id, name, address, ttl, comment] = f.as_slice() else {
            return None;
        };
        let pid = id.split_once('-')?.0.parse().ok()?;
        Some(Member {
            id: id.to_string(),
            pid,
            name: name.to_string(),
            address: address.parse().ok()?,
            ttl: ttl.parse().ok()?,
            comment: comment.to_string(),
        })
    }
}

/// What a member learns of its batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Accepted as this change, INSYNC in the answer or not.
    Accepted { change_id: String, insync: bool },
    /// The batch failed: send the change alone.
    Alone,
}

impl Outcome {
    fn render(&self) -> String {
        match self {
            Outcome::Accepted { change_id, insync } => {
                format!(
                    "accepted {change_id} {}\n",
                    if *insync { "INSYNC" } else { "PENDING" }
                )
            }
            Outcome::Alone => "alone\n".into(),
        }
    }

    fn parse(text: &str) -> Option<Outcome> {
        let f: Vec<&str> = text.split_whitespace().collect();
        match f.as_slice() {
            ["accepted", id, state] => Some(Outcome::Accepted {
                change_id: id.to_string(),
                insync: *state == "INSYNC",
            }),
            ["alone"] => Some(Outcome::Alone),
            _ => None,
        }
    }
}

/// The queue of one zone on this node.
#[derive(Debug, Clone)]
pub(crate) struct Queue {
    dir: PathBuf,
    zone: String,
}

/// The zone's lead lock, held; released when dropped.
#[derive(Debug)]
pub(crate) struct Lead(#[allow(dead_code)] File);

impl Queue {
    /// The queue of `zone` (a checked zone ID: letters and digits) in the
    /// lock folder `dir`.
    pub(crate) fn new(dir: &Path, zone: &str) -> Queue {
        Queue {
            dir: dir.to_path_buf(),
            zone: zone.chars().filter(char::is_ascii_alphanumeric).collect(),
        }
    }

    fn name(&self, suffix: &str) -> String {
        format!("batch.{}{suffix}", self.zone)
    }

    /// Run `f` on the queue's members under the queue file's lock; its
    /// result, and the members it leaves.
    fn edit<R>(&self, f: impl FnOnce(Vec<Member>) -> (Vec<Member>, R)) -> Option<R> {
        let (mut file, _) = lock::open_in_dir(&self.dir, &self.name("")).ok()?;
        file.lock().ok()?;
        let mut text = String::new();
        file.seek(SeekFrom::Start(0)).ok()?;
        (&mut file).take(1 << 20).read_to_string(&mut text).ok()?;
        let members = text.lines().filter_map(Member::parse).collect();
        let (keep, out) = f(members);
        let body: String = keep.iter().map(Member::line).collect();
        let written = file.set_len(0).is_ok()
            && file.seek(SeekFrom::Start(0)).is_ok()
            && file.write_all(body.as_bytes()).is_ok();
        let _ = file.unlock();
        written.then_some(out)
    }

    /// Put a change in the queue, claimed by this process for as long as
    /// the claim returned is held. None where the queue cannot be used
    /// (the change is then sent alone).
    pub(crate) fn join(&self, m: &Member) -> Option<Claim> {
        let _ = self.take_result(&m.id);
        let claim = Claim::make(&self.dir, &self.held(&m.id))?;
        self.edit(|mut all| {
            all.push(m.clone());
            (all, ())
        })?;
        Some(claim)
    }

    /// The name of the claim of a queued change.
    fn held(&self, id: &str) -> String {
        self.name(&format!(".{id}.held"))
    }

    /// Take the zone's lead, where nobody holds it.
    pub(crate) fn lead(&self) -> Option<Lead> {
        let (file, _) = lock::open_in_dir(&self.dir, &self.name(".lead")).ok()?;
        match file.try_lock() {
            Ok(()) => Some(Lead(file)),
            Err(TryLockError::WouldBlock | TryLockError::Error(_)) => None,
        }
    }

    /// Whether a leader of this zone is gathering or sending a batch now
    /// (it holds the claim `batch.ZONE.open`).
    pub(crate) fn open(&self) -> bool {
        lock::claimed(&self.dir, &self.name(".open"))
    }

    /// Whether the change `id` is still queued.
    pub(crate) fn queued(&self, id: &str) -> bool {
        self.edit(|all| {
            let there = all.iter().any(|m| m.id == id);
            (all, there)
        })
        .unwrap_or(false)
    }

    /// Take the changes a living process claims to add to a batch that
    /// holds `batch` already: one per name (a second change of a name
    /// waits for the next batch), up to [`MAX_MEMBERS`] in all; a change
    /// nobody claims (its run ended) is dropped.
    pub(crate) fn take(&self, batch: &[Member]) -> Vec<Member> {
        self.edit(|all| {
            let (mut taken, mut keep): (Vec<Member>, Vec<Member>) = (Vec::new(), Vec::new());
            let claimed = |m: &Member| {
                let held = lock::claimed(&self.dir, &self.held(&m.id));
                if !held {
                    tracing::debug!(change = %m.id, name = %m.name, "a queued change nobody claims is dropped");
                }
                held
            };
            for m in all.into_iter().filter(claimed) {
                let free = batch.len() + taken.len() < MAX_MEMBERS
                    && !batch.iter().chain(&taken).any(|t| t.name == m.name);
                if free {
                    taken.push(m);
                } else {
                    keep.push(m);
                }
            }
            (keep, taken)
        })
        .unwrap_or_default()
    }

    /// Tell a member how its batch ended.
    pub(crate) fn tell(&self, id: &str, outcome: &Outcome) {
        if let Ok((mut f, _)) = lock::open_in_dir(&self.dir, &self.name(&format!(".{id}"))) {
            let _ = f.set_len(0);
            let _ = f.write_all(outcome.render().as_bytes());
        }
    }

    /// A member's result, where its leader wrote one; the file goes.
    pub(crate) fn take_result(&self, id: &str) -> Option<Outcome> {
        let path = self.dir.join(self.name(&format!(".{id}")));
        let text = crate::bounded::read_regular(&path, 256).ok()?;
        let outcome = Outcome::parse(&String::from_utf8_lossy(&text))?;
        let _ = std::fs::remove_file(&path);
        Some(outcome)
    }

    /// Remove a change from the queue (its member gave up waiting).
    pub(crate) fn leave(&self, id: &str) {
        let _ = self.edit(|all| (all.into_iter().filter(|m| m.id != id).collect(), ()));
    }
}

/// How long a leader in a storm waits for the node's other restores of the
/// zone that are still reading their records to join its batch.
pub(crate) const GATHER: Duration = Duration::from_secs(10);
/// The same out of a storm, where a read takes milliseconds.
pub(crate) const GATHER_CALM: Duration = Duration::from_secs(1);

/// This process is about to write a record of the zone: it will join the
/// queue once it has read its record. Its claim (`reading.ID`, holding the
/// zone) stands until it is dropped, when the process joins.
pub(crate) fn reading(dir: &Path, zone: &str) -> Option<Claim> {
    let mut claim = Claim::make(dir, &format!("reading.{}", member_id(0)))?;
    claim.note(zone);
    Some(claim)
}

/// The node's other living processes still reading a record of `zone`
/// before they write it.
pub(crate) fn readers(dir: &Path, zone: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mine = format!("reading.{}", member_id(0));
    entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with("reading.") && *n != mine)
        .filter(|n| lock::claimed(dir, n))
        .filter(|n| {
            crate::bounded::read_regular(&dir.join(n), 64).is_ok_and(|z| z == zone.as_bytes())
        })
        .count()
}

/// A member ID for this process's `n`th change: its PID and the run's
/// nonce.
pub(crate) fn member_id(n: u64) -> String {
    static NONCE: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let nonce =
        NONCE.get_or_init(|| (crate::retry::random_fraction() * f64::from(u32::MAX)) as u32);
    format!("{}-{nonce:08x}-{n}", std::process::id())
}

/// How the group commit reaches Route 53: the call path and the client
/// for the real thing, a script in the unit tests.
pub(crate) trait Sender {
    /// Whether the node is in a storm: a leader then waits longer for the
    /// node's restores of the zone still reading their records.
    fn storm(&self) -> bool;
    /// Send one change of the members `take` gives, asked anew for each
    /// attempt (more may join while a throttled attempt waits).
    fn send(
        &self,
        take: &mut dyn FnMut() -> Vec<Member>,
    ) -> impl std::future::Future<Output = Result<Accepted, Route53Error>>;
}

/// What a group commit needs besides its change: the claim this process
/// held while it read its record (dropped once it has joined), how long
/// it waits for a leader (the call's bound), and the run's log.
pub(crate) struct Joining<'a> {
    pub reading: Option<Claim>,
    pub patience: Duration,
    pub log: &'a Logger,
}

/// Send `me`'s change through the zone's queue: join it, then lead a batch
/// or follow one, within the patience for a leader; where the queue cannot
/// be used, alone.
pub(crate) async fn commit(
    queue: &Queue,
    me: &Member,
    sender: &impl Sender,
    joining: Joining<'_>,
) -> Result<Accepted, Route53Error> {
    let claim = queue.join(me);
    drop(joining.reading);
    let Some(_claim) = claim else {
        return alone(sender, me).await;
    };
    let patience = joining.patience;
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        if let Some(outcome) = queue.take_result(&me.id) {
            return follow(sender, me, outcome).await;
        }
        if let Some(_lead) = queue.lead() {
            if queue.queued(&me.id) {
                return lead(queue, me, sender, joining.log).await;
            }
            // Taken by a leader that ended without a word (or wrote it
            // just now).
            let outcome = queue.take_result(&me.id).unwrap_or(Outcome::Alone);
            return follow(sender, me, outcome).await;
        }
        if tokio::time::Instant::now() > deadline {
            queue.leave(&me.id);
            return alone(sender, me).await;
        }
        tokio::time::sleep(LOOK).await;
    }
}

/// Lead a batch: when the request's turn comes, take every change queued,
/// send them as one, and tell each member. Where a batch of several fails,
/// each member sends its own change (this one too).
async fn lead(
    queue: &Queue,
    me: &Member,
    sender: &impl Sender,
    log: &Logger,
) -> Result<Accepted, Route53Error> {
    // The node's restores of the zone still reading their records join
    // this batch: a moment at most (a read takes milliseconds), or a while
    // in a storm (a read may wait for its turn). The batch is open from
    // now until its members are told: a restore of the zone that finds it
    // so queues its change without reading its record first.
    let open = Claim::make(&queue.dir, &queue.name(".open"));
    let start = tokio::time::Instant::now();
    while readers(&queue.dir, &queue.zone) > 0 {
        let patience = match sender.storm() {
            true => GATHER,
            false => GATHER_CALM,
        };
        if start.elapsed() >= patience {
            break;
        }
        tokio::time::sleep(LOOK).await;
    }
    let mut members = Vec::<Member>::new();
    let result = sender
        .send(&mut || {
            let joined = queue.take(&members);
            members.extend(joined);
            // The leader's own change is in its batch, whatever the queue
            // file said of it.
            if !members.iter().any(|x| x.id == me.id) {
                members.insert(0, me.clone());
            }
            members.clone()
        })
        .await;
    let others = members.iter().filter(|m| m.id != me.id);
    match result {
        Ok(a) => {
            let outcome = Outcome::Accepted {
                change_id: a.id.clone(),
                insync: a.state == ChangeState::InSync,
            };
            for m in others {
                queue.tell(&m.id, &outcome);
                log.info(
                    Msg::GroupCommit,
                    &format!(
                        "change {} also wrote the A record {} = {} TTL {} for process {} ({}), which queued it",
                        a.id, m.name, m.address, m.ttl, m.pid, m.comment
                    ),
                );
            }
            tracing::debug!(records = members.len(), change = %a.id, "batch accepted");
            Ok(a)
        }
        Err(e) if members.len() <= 1 => Err(e),
        Err(e) => {
            tracing::debug!(error = %e, records = members.len(), "batch failed; each sends its own");
            others.for_each(|m| queue.tell(&m.id, &Outcome::Alone));
            drop(open);
            alone(sender, me).await
        }
    }
}

/// What a member makes of its batch's outcome.
async fn follow(
    sender: &impl Sender,
    me: &Member,
    outcome: Outcome,
) -> Result<Accepted, Route53Error> {
    match outcome {
        Outcome::Accepted { change_id, insync } => Ok(Accepted {
            id: change_id,
            state: if insync {
                ChangeState::InSync
            } else {
                ChangeState::Pending
            },
        }),
        Outcome::Alone => alone(sender, me).await,
    }
}

/// `me`'s change sent on its own, without the queue.
async fn alone(sender: &impl Sender, me: &Member) -> Result<Accepted, Route53Error> {
    sender.send(&mut || vec![me.clone()]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        crate::lock::scratch(&format!("batch-{name}"))
    }

    fn member(pid: u32, n: u64, name: &str) -> Member {
        Member {
            id: format!("{pid}-{n}"),
            pid,
            name: name.into(),
            address: Ipv4Addr::new(10, 0, 1, 10),
            ttl: 10,
            comment: "LifeKeeper r53 on node1".into(),
        }
    }

    #[test]
    fn a_batch_takes_one_change_per_name_of_those_a_living_process_claims() {
        let dir = scratch("take");
        let q = Queue::new(&dir, "Z1");
        let mut claims: Vec<Claim> = [
            member(1, 1, "a.example.com"),
            member(2, 1, "b.example.com"),
            member(3, 1, "a.example.com"),
            member(4, 1, "c.example.com"),
        ]
        .iter()
        .map(|m| q.join(m).expect("joined"))
        .collect();
        // The run that queued 4-1 ended: its claim went with it.
        drop(claims.pop());
        let taken = q.take(&[]);
        let ids: Vec<&str> = taken.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["1-1", "2-1"]);
        assert!(q.queued("3-1"), "a second change of a name waits");
        assert!(!q.queued("4-1"), "a change nobody claims is dropped");
        assert_eq!(q.take(&taken).len(), 0, "a.example.com is in the batch");
        assert_eq!(q.take(&[]).len(), 1);
        assert!(q.take(&[]).is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_change_left_by_an_ended_run_is_never_taken_whatever_its_pid_is_now() {
        let dir = scratch("stale");
        let q = Queue::new(&dir, "Z1");
        // Queued by this very PID in an earlier run (the PID reused), its
        // claim file left behind unheld (kill -9): the entry is dropped.
        let stale = ours(7, "old.example.com");
        drop(q.join(&stale).expect("joined"));
        std::fs::write(dir.join(q.held(&stale.id)), "").expect("a claim file nobody holds");
        assert!(q.take(&[]).is_empty());
        assert!(!q.queued(&stale.id));
        assert!(
            !dir.join(q.held(&stale.id)).exists(),
            "the stale claim file goes"
        );
        // An entry with no claim file at all (an older version's) likewise.
        let mut plain = member(std::process::id(), 8, "old2.example.com");
        plain.id = "1-8".into();
        assert!(q
            .edit(|mut all| {
                all.push(plain.clone());
                (all, ())
            })
            .is_some());
        assert!(q.take(&[]).is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
    #[test]
    fn results_reach_their_member_once() {
        let dir = scratch("tell");
        let q = Queue::new(&dir, "Z1");
        let accepted = Outcome::Accepted {
            change_id: "/change/C1".into(),
            insync: false,
        };
        q.tell("7-1", &accepted);
        q.tell("8-1", &Outcome::Alone);
        assert_eq!(q.take_result("7-1"), Some(accepted));
        assert_eq!(q.take_result("7-1"), None);
        assert_eq!(q.take_result("8-1"), Some(Outcome::Alone));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn one_leader_at_a_time() {
        let dir = scratch("lead");
        let q = Queue::new(&dir, "Z1");
        let _claim = q.join(&member(1, 1, "a.example.com")).expect("joined");
        let first = q.lead().expect("the lead is free");
        assert!(Queue::new(&dir, "Z1").lead().is_none());
        drop(first);
        assert!(q.lead().is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn queue_lines_are_read_strictly() {
        let m = member(12, 3, "a.example.com");
        assert_eq!(Member::parse(m.line().trim_end()), Some(m));
        for bad in [
            "",
            "x\ty",
            "12-3\ta\t10.0.1.1\tten\tc",
            "p-3\ta\t10.0.1.1\t10\tc",
        ] {
            assert_eq!(Member::parse(bad), None, "{bad:?}");
        }
    }

    /// A scripted Route 53 for the group commit: answers in turn (accepted
    /// as C1, C2, ... where none is scripted), noting the names of each batch
    /// it sent and, where it watches a queue, whether that queue's batch was
    /// open as it was sent.
    struct Script {
        answers: std::cell::RefCell<std::collections::VecDeque<Result<Accepted, Route53Error>>>,
        sent: std::cell::RefCell<Vec<Vec<String>>>,
        watch: Option<Queue>,
        open: std::cell::RefCell<Vec<bool>>,
    }

    impl Script {
        fn new(answers: Vec<Result<Accepted, Route53Error>>) -> Script {
            Script {
                answers: std::cell::RefCell::new(answers.into()),
                sent: std::cell::RefCell::default(),
                watch: None,
                open: std::cell::RefCell::default(),
            }
        }
    }

    impl Sender for Script {
        fn storm(&self) -> bool {
            false
        }

        async fn send(
            &self,
            take: &mut dyn FnMut() -> Vec<Member>,
        ) -> Result<Accepted, Route53Error> {
            let members = take();
            if let Some(q) = &self.watch {
                self.open.borrow_mut().push(q.open());
            }
            self.sent
                .borrow_mut()
                .push(members.iter().map(|m| m.name.clone()).collect());
            let n = self.sent.borrow().len();
            self.answers
                .borrow_mut()
                .pop_front()
                .unwrap_or(Ok(Accepted {
                    id: format!("C{n}"),
                    state: ChangeState::Pending,
                }))
        }
    }

    fn refused() -> Route53Error {
        Route53Error::Refused {
            operation: "ChangeResourceRecordSets",
            zone: "Z1".into(),
            code: "InvalidChangeBatch".into(),
            message: "scripted".into(),
            retryable: false,
        }
    }

    fn joining(log: &Logger) -> Joining<'_> {
        Joining {
            reading: None,
            patience: Duration::from_secs(55),
            log,
        }
    }

    /// A change of this process, as another restore of it would queue it.
    fn ours(n: u64, name: &str) -> Member {
        let mut m = member(std::process::id(), n, name);
        m.id = member_id(n);
        m
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_change_is_sent_at_once_as_it_is() {
        let dir = scratch("lone");
        let log = Logger::capturing("restore", "r53-a");
        let script = Script::new(vec![]);
        let a = commit(
            &Queue::new(&dir, "Z1"),
            &ours(1, "a.example.com"),
            &script,
            joining(&log),
        )
        .await
        .expect("accepted");
        assert_eq!(a.id, "C1");
        assert_eq!(*script.sent.borrow(), [["a.example.com"]]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test(start_paused = true)]
    async fn the_leader_sends_the_queued_changes_as_one_and_tells_each() {
        let dir = scratch("lead-all");
        let log = Logger::capturing("restore", "r53-a");
        let q = Queue::new(&dir, "Z1");
        let _b = q.join(&ours(2, "b.example.com")).expect("joined");
        let script = Script::new(vec![]);
        let a = commit(&q, &ours(1, "a.example.com"), &script, joining(&log))
            .await
            .expect("accepted");
        // In the order queued.
        assert_eq!(*script.sent.borrow(), [["b.example.com", "a.example.com"]]);
        assert_eq!(
            q.take_result(&member_id(2)),
            Some(Outcome::Accepted {
                change_id: a.id,
                insync: false
            })
        );
        assert!(log.said(&format!(
            "INFO:route53:restore:r53-a:053028:change C1 also wrote the A record b.example.com = 10.0.1.10 TTL 10 for process {} (LifeKeeper r53 on node1), which queued it",
            std::process::id()
        )));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test(start_paused = true)]
    async fn the_batch_is_open_while_its_leader_sends_it_and_closed_after() {
        let dir = scratch("open");
        let log = Logger::capturing("restore", "r53-a");
        let q = Queue::new(&dir, "Z1");
        assert!(!q.open(), "no leader yet");
        let mut script = Script::new(vec![]);
        script.watch = Some(Queue::new(&dir, "Z1"));
        commit(&q, &ours(1, "a.example.com"), &script, joining(&log))
            .await
            .expect("accepted");
        assert_eq!(*script.open.borrow(), [true]);
        assert!(!q.open(), "the batch was told");
        assert!(
            !Queue::new(&dir, "Z2").open(),
            "another zone's batch is its own"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_batch_is_no_members_verdict_each_sends_its_own() {
        let dir = scratch("lead-refused");
        let log = Logger::capturing("restore", "r53-a");
        let q = Queue::new(&dir, "Z1");
        let _b = q.join(&ours(2, "b.example.com")).expect("joined");
        let script = Script::new(vec![Err(refused())]);
        commit(&q, &ours(1, "a.example.com"), &script, joining(&log))
            .await
            .expect("the leader's own change, alone");
        assert_eq!(
            *script.sent.borrow(),
            [
                vec!["b.example.com", "a.example.com"],
                vec!["a.example.com"]
            ]
        );
        assert_eq!(q.take_result(&member_id(2)), Some(Outcome::Alone));
        // A follower told to go alone sends its own change.
        let follower = ours(2, "b.example.com");
        let a = follow(&script, &follower, Outcome::Alone)
            .await
            .expect("alone");
        assert_eq!(a.id, "C3");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test(start_paused = true)]
    async fn a_follower_takes_the_change_its_leader_made() {
        let dir = scratch("follow");
        let log = Logger::capturing("restore", "r53-a");
        let q = Queue::new(&dir, "Z1");
        let me = ours(3, "c.example.com");
        let held = q.lead().expect("another leader holds the lead");
        let script = Script::new(vec![]);
        let (a, ()) = tokio::join!(commit(&q, &me, &script, joining(&log)), async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let taken = q.take(&[]);
            assert_eq!(taken.len(), 1);
            q.tell(
                &taken[0].id,
                &Outcome::Accepted {
                    change_id: "/change/C9".into(),
                    insync: true,
                },
            );
            drop(held);
        });
        assert_eq!(
            a.expect("accepted"),
            Accepted {
                id: "/change/C9".into(),
                state: ChangeState::InSync
            }
        );
        assert!(script.sent.borrow().is_empty(), "a follower sends nothing");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
