//! The node's Route 53 request budget, shared by every kit process on the
//! node without a daemon, and the node's view of a storm.
//!
//! Route 53 allows an account about 10 requests a second (with a burst of
//! 50) and answers `Throttling` beyond it. When a node fails, every
//! hierarchy on it moves at once; when an Availability Zone fails, every
//! cluster of the account does. So:
//!
//! - **A shared rate.** Every request first takes a slot from one generic
//!   cell rate algorithm (GCRA) state, kept in the file `budget` in the lock
//!   folder: the theoretical arrival time (TAT) of the next request, in
//!   nanoseconds since the epoch. Under an exclusive lock on that file a
//!   process reads the state, reserves the slot `max(now, TAT - tolerance)`,
//!   writes `max(TAT, now) + 1/rate` back, lets go of the lock, then sleeps
//!   until its slot. `ROUTE53_API_RATE` (requests a second) and
//!   `ROUTE53_API_BURST` (the tolerance, in requests) set it.
//! - **A storm, seen from the node.** A `Throttling` answer means the
//!   account is saturated, by this node or by others the node cannot see.
//!   The node then holds back for a second (nobody sends before
//!   [`THROTTLE_PAUSE`] has passed) and is in a storm for [`STORM_HOLD`]
//!   after the last throttled answer. In a storm, a read that starts a
//!   run's work (quickCheck's) waits a random part of the storm's span
//!   before its slot, and a throttled request is tried again after a
//!   random part of the span, never counted as a try, so that the requests
//!   of nodes that failed together spread out instead of hitting the
//!   account in the same second. An UPSERT goes at its slot: a node learns
//!   of a storm only from a throttled answer, and one that goes through at
//!   once is work the rest of the storm no longer has to make room for.
//!   The span is what is left of the node's window counted from the
//!   storm's start (at least [`WINDOW_MIN`]), so a
//!   node's work of a storm ends about a window after it began however
//!   often it is held back, and the whole account's work spreads evenly
//!   over that window instead of crowding into its end. The window starts
//!   at [`WINDOW_START`] (an account's 10 requests a second take about a
//!   hundred changes, the storm's first reads and the tenants' requests in
//!   it, and a node that joins the storm 10 s late still ends within a
//!   minute of the storm's first request), grows by [`GROWTH`] with each
//!   new throttled second (up to [`WINDOW_MAX`]) and shrinks by a tenth
//!   with each answer that was not throttled (down to [`WINDOW_MIN`]): the
//!   node's own measure of how crowded the account is. A state without
//!   the storm's start (an older version's) spreads over the window halved
//!   with every [`WINDOW_HALF_LIFE`] since the last throttled answer.
//! - **Status checks spaced by how many changes are pending, and shared.**
//!   A process waiting for INSYNC registers itself (`pending.PID` in the
//!   lock folder, holding its change ID and the last state it saw; gone
//!   when it ends; the file of a process that no longer exists, or whose
//!   name is no plain PID, is removed), and spaces its checks at least
//!   `changes / (rate / 2)` apart, counting each pending change once. The
//!   restores of one batch wait for one change: a state another of them
//!   saw lately stands for a check.
//!
//! Nothing here may stop an action: a wait for a slot is at most
//! [`MAX_WAIT`]; where the lock folder or the file cannot be used, or the
//! lock is not had within [`LOCK_PATIENCE`], the request goes without the
//! budget. A TAT further ahead than the budget can explain is a clock that
//! was set back (NTP, a resumed VM): the state is reset, and the first
//! process to see it says so once.

use std::collections::BTreeSet;
use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::change::ChangeState;
use crate::lock;
use crate::retry::random_fraction;

/// The longest any request waits for its slot of the rate.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(10);
/// How long a process tries to lock the budget file before it goes on
/// without the budget (the lock is held for microseconds).
pub(crate) const LOCK_PATIENCE: Duration = Duration::from_millis(500);
/// After a `Throttling` answer, nobody on the node sends for this long.
pub(crate) const THROTTLE_PAUSE: Duration = Duration::from_secs(1);
/// A storm lasts this long after the last throttled answer.
pub(crate) const STORM_HOLD: Duration = Duration::from_secs(60);
/// The spread window of a storm: where it starts, and its bounds.
pub(crate) const WINDOW_START: Duration = Duration::from_secs(16);
pub(crate) const WINDOW_MIN: Duration = Duration::from_secs(5);
pub(crate) const WINDOW_MAX: Duration = Duration::from_secs(20);
/// A new throttled second widens the window this much.
pub(crate) const GROWTH: f64 = 1.1;
/// Where the storm's start is not known, the window halves with each this
/// long without a throttled answer.
pub(crate) const WINDOW_HALF_LIFE: Duration = Duration::from_secs(10);
/// Throttled answers within this long of the last one are one event: the
/// window doubles once for them.
const SAME_EVENT: Duration = Duration::from_secs(1);
const FILE: &str = "budget";
const PENDING_PREFIX: &str = "pending.";

/// The node's shared state, as kept in the budget file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct State {
    /// The theoretical arrival time of the next request (ns since the epoch).
    pub tat: u64,
    /// The storm lasts until then (ns since the epoch); 0: no storm.
    pub storm_until: u64,
    /// The spread window, in milliseconds.
    pub window_ms: u64,
    /// When the storm began (ns since the epoch); 0: not known.
    pub since: u64,
}

impl State {
    /// The file's text: `v2 TAT STORM_UNTIL WINDOW_MS`, or a lone TAT (an
    /// older version's). Anything else is no state.
    pub(crate) fn parse(text: &str) -> Option<State> {
        let f: Vec<&str> = text.split_whitespace().collect();
        let num = |s: &str| -> Option<u64> {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        match f.as_slice() {
            [tat] => Some(State {
                tat: num(tat)?,
                ..State::default()
            }),
            ["v2", tat, until, window] => Some(State {
                tat: num(tat)?,
                storm_until: num(until)?,
                window_ms: num(window)?,
                since: 0,
            }),
            ["v3", tat, until, window, since] => Some(State {
                tat: num(tat)?,
                storm_until: num(until)?,
                window_ms: num(window)?,
                since: num(since)?,
            }),
            _ => None,
        }
    }

    pub(crate) fn render(&self) -> String {
        format!(
            "v3 {} {} {} {}\n",
            self.tat, self.storm_until, self.window_ms, self.since
        )
    }

    pub(crate) fn storm(&self, now: u64) -> bool {
        now < self.storm_until
    }

    fn window(&self) -> Duration {
        Duration::from_millis(self.window_ms).clamp(WINDOW_MIN, WINDOW_MAX)
    }

    /// The span a request at `now` is spread over: what is left of the
    /// window counted from the storm's start (at least [`WINDOW_MIN`]),
    /// so that the node's work of a storm ends within the window wherever
    /// the account can take it, however often it was held back; where the
    /// start is not known (an older version's state), the window as it
    /// decays ([`State::window_at`]).
    fn span(&self, now: u64) -> Duration {
        if self.since == 0 {
            return self.window_at(now);
        }
        let end = self.since + ns(self.window());
        Duration::from_nanos(end.saturating_sub(now))
            .max(WINDOW_MIN)
            .min(self.window())
    }

    /// The window as it spreads a request at `now`: halved for every
    /// [`WINDOW_HALF_LIFE`] since the last throttled answer, so that a
    /// storm that has calmed lets its stragglers through sooner.
    fn window_at(&self, now: u64) -> Duration {
        let last = self.storm_until.saturating_sub(ns(STORM_HOLD));
        let since = Duration::from_nanos(now.saturating_sub(last));
        let halvings = since.as_secs_f64() / WINDOW_HALF_LIFE.as_secs_f64();
        self.window()
            .mul_f64(0.5f64.powf(halvings.min(30.0)))
            .max(WINDOW_MIN)
    }
}

/// The shortest pause after a throttled answer.
pub(crate) const THROTTLE_FLOOR: Duration = Duration::from_millis(500);

/// A pause after a throttled answer: the part `fraction` (0 to 1) of the
/// window or of the call's `room`, whichever is shorter, and never under
/// [`THROTTLE_FLOOR`].
pub(crate) fn throttle_pause(window: Duration, room: Duration, fraction: f64) -> Duration {
    let span = window.min(room).saturating_sub(THROTTLE_FLOOR);
    THROTTLE_FLOOR + span.mul_f64(fraction.clamp(0.0, 1.0))
}

fn ns(d: Duration) -> u64 {
    d.as_nanos() as u64
}

/// How a request takes its place in the node's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pace {
    /// It starts new work (a run's first read of its own, quickCheck's):
    /// in a storm, spread over the window.
    New,
    /// It serves work under way (an UPSERT, a run's later reads, a call's
    /// later attempts): its slot only; throttled, it is tried again after
    /// a random part of the storm's span.
    Prompt,
    /// A read the run can do without (the read before an UPSERT): as
    /// [`Pace::New`], but throttled, it is not tried again within its call:
    /// the UPSERT goes ahead without it, and the throttled read counts as
    /// the run's first step into the storm.
    Optional,
    /// A status check, which the INSYNC wait paces itself: its slot only;
    /// throttled, it is not tried again within its call, and the wait
    /// makes its next check when the node's changes usually turn INSYNC.
    Check,
    /// A read of a record the run has changed (the verifying read): as
    /// [`Pace::Prompt`], but throttled, it is tried again within
    /// [`WINDOW_MIN`]. It is the run's last request; a node first throttled
    /// on it (one whose change went through calmly, at a storm's end)
    /// starts a storm of its own, and the storm's whole span for one read
    /// would hold the restore up to a window after its change is INSYNC.
    Closing,
}

/// The node's budget, as the settings give it.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    /// Requests a second.
    pub rate: u32,
    /// Requests that may go at once after a quiet time.
    pub burst: u32,
    /// The lock folder, where the budget file and the waiting processes'
    /// files are kept.
    pub dir: PathBuf,
    /// A clock step was seen and said (once a run).
    clock_step: Arc<AtomicBool>,
}

/// What the budget says to a request about to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    /// How long to wait before sending.
    pub wait: Duration,
    /// The node is in a storm.
    pub storm: bool,
}

impl Budget {
    pub(crate) fn new(rate: u32, burst: u32, dir: PathBuf) -> Budget {
        Budget {
            rate,
            burst,
            dir,
            clock_step: Arc::default(),
        }
    }

    fn interval_ns(&self) -> u64 {
        1_000_000_000 / u64::from(self.rate.max(1))
    }

    fn tolerance_ns(&self) -> u64 {
        self.interval_ns() * u64::from(self.burst.max(1) - 1)
    }

    /// The state as it can be trusted at `now`: a TAT or a storm further
    /// ahead than the budget can explain (the burst, a slot, the longest
    /// wait and a throttle pause; a storm's hold) is a clock set back, and
    /// is reset. Whether it was.
    pub(crate) fn sane(&self, s: State, now: u64) -> (State, bool) {
        let tat_ceiling =
            now + self.tolerance_ns() + self.interval_ns() + ns(MAX_WAIT) + ns(THROTTLE_PAUSE);
        let storm_ceiling = now + ns(STORM_HOLD);
        if s.tat > tat_ceiling || s.storm_until > storm_ceiling {
            return (State::default(), true);
        }
        (s, false)
    }

    /// One request's step: its slot of the rate and, in a storm where it
    /// starts new work ([`Pace::New`]), a part `fraction` (0 to 1) of the
    /// window on top; the new state.
    pub(crate) fn step(&self, s: State, now: u64, pace: Pace, fraction: f64) -> (Slot, State) {
        let t = self.interval_ns();
        let base = s.tat.max(now);
        let slot = now.max(base.saturating_sub(self.tolerance_ns()));
        let storm = s.storm(now);
        let extra = if storm && matches!(pace, Pace::New | Pace::Optional) {
            ns(s.span(now).mul_f64(fraction.clamp(0.0, 1.0)))
        } else {
            0
        };
        let wait = Duration::from_nanos(slot - now).min(MAX_WAIT) + Duration::from_nanos(extra);
        (Slot { wait, storm }, State { tat: base + t, ..s })
    }

    /// A `Throttling` answer at `now`: nobody sends for a moment, the storm
    /// holds on, and the window grows once per throttled second.
    pub(crate) fn on_throttle(&self, s: State, now: u64) -> State {
        let last = s.storm_until.saturating_sub(ns(STORM_HOLD));
        let window_ms = if !s.storm(now) {
            WINDOW_START.as_millis() as u64
        } else if now > last + ns(SAME_EVENT) {
            s.window().mul_f64(GROWTH).min(WINDOW_MAX).as_millis() as u64
        } else {
            s.window().as_millis() as u64
        };
        State {
            // The next slot comes at the end of the pause, even within the
            // burst's tolerance.
            tat: s.tat.max(now + ns(THROTTLE_PAUSE) + self.tolerance_ns()),
            storm_until: now + ns(STORM_HOLD),
            window_ms,
            since: if s.storm(now) && s.since != 0 {
                s.since
            } else {
                now
            },
        }
    }

    /// An answer that was not throttled: in a storm, the window shrinks.
    pub(crate) fn on_answer(&self, s: State, now: u64) -> State {
        if !s.storm(now) {
            return s;
        }
        let window = s.window().mul_f64(0.9).max(WINDOW_MIN);
        State {
            window_ms: window.as_millis() as u64,
            ..s
        }
    }

    /// Reserve a slot of the node's budget; how long to wait for it.
    pub(crate) fn slot(&self, pace: Pace) -> Duration {
        let fraction = random_fraction();
        let Some(slot) = self.update(|s, now| {
            let (slot, s) = self.step(s, now, pace, fraction);
            (s, slot)
        }) else {
            return Duration::ZERO;
        };
        if !slot.wait.is_zero() {
            tracing::debug!(
                wait_ms = slot.wait.as_millis() as u64,
                storm = slot.storm,
                "waiting for the node's request budget"
            );
        }
        slot.wait
    }

    /// Route 53 answered `Throttling`: the node holds back. The pause
    /// before the throttled request is tried again: a random part of the
    /// storm's span ([`State::span`]), or of the `room` the call has left
    /// where that is shorter, so that a call tries again within its bound
    /// rather than giving up on a draw (at least [`THROTTLE_FLOOR`]). Work
    /// under way draws from the same span as new work: a storm's requests,
    /// whatever they serve, are spread alike, and the span, counted from
    /// the storm's start, keeps its tail short. A verifying read
    /// ([`Pace::Closing`]) draws from [`WINDOW_MIN`] at most.
    pub(crate) fn throttled(&self, room: Duration, pace: Pace) -> Duration {
        let window = self
            .update(|s, now| {
                let s = self.on_throttle(s, now);
                (s, s.span(now))
            })
            .unwrap_or(WINDOW_START);
        let window = match pace {
            Pace::Closing => window.min(WINDOW_MIN),
            _ => window,
        };
        throttle_pause(window, room, random_fraction())
    }

    /// In a storm, a pause as after a throttled answer, without telling the
    /// node's state (a busy zone is the zone's, not the account's); None
    /// out of a storm.
    pub(crate) fn spread(&self, room: Duration) -> Option<Duration> {
        let window = self
            .update(|s, now| (s, s.storm(now).then(|| s.span(now))))
            .flatten()?;
        Some(throttle_pause(window, room, random_fraction()))
    }

    /// Route 53 answered (not throttled).
    pub(crate) fn answered(&self) {
        let _ = self.update(|s, now| (self.on_answer(s, now), ()));
    }

    /// Whether the node is in a storm now.
    pub(crate) fn storm(&self) -> bool {
        self.update(|s, now| (s, s.storm(now))).unwrap_or(false)
    }

    /// Whether this run found (and reset) a clock step since it was last
    /// asked: the first process to see one says so, once.
    pub(crate) fn clock_step_seen(&self) -> bool {
        self.clock_step.swap(false, Ordering::SeqCst)
    }

    /// Read the state under the file's lock, change it, write it back.
    /// None where the budget file cannot be used.
    fn update<R>(&self, f: impl FnOnce(State, u64) -> (State, R)) -> Option<R> {
        let (mut file, _) = lock::open_in_dir(&self.dir, FILE).ok()?;
        let start = std::time::Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if start.elapsed() < LOCK_PATIENCE => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(_) => return None,
            }
        }
        let now = now_ns();
        let (state, stepped) = self.sane(read_state(&mut file).unwrap_or_default(), now);
        if stepped {
            self.clock_step.store(true, Ordering::SeqCst);
        }
        let (state, out) = f(state, now);
        let written = write_state(&mut file, &state).is_ok();
        let _ = file.unlock();
        written.then_some(out)
    }

    /// Register this process as waiting for change `change_id` to be
    /// INSYNC.
    pub(crate) fn waiting(&self, change_id: &str) -> Waiting {
        let name = format!("{PENDING_PREFIX}{}", std::process::id());
        let path = lock::open_in_dir(&self.dir, &name).ok().map(|(_, p)| p);
        let w = Waiting {
            budget: self.clone(),
            path,
            change_id: change_id.to_string(),
            spread: fraction_of(change_id),
            insync: std::cell::Cell::new(false),
        };
        w.saw(None);
        w
    }
}

/// This process's registration as waiting for INSYNC; removed when dropped.
#[derive(Debug)]
pub(crate) struct Waiting {
    budget: Budget,
    path: Option<PathBuf>,
    change_id: String,
    /// A number from 0 to 1 drawn for this wait.
    spread: f64,
    /// This process saw the change INSYNC.
    insync: std::cell::Cell<bool>,
}

/// How long a state another process saw stands for a check.
const FRESH: Duration = Duration::from_secs(2);

/// A pending file's text: `CHANGE_ID STATE NS`, STATE one of `-`,
/// `PENDING`, `INSYNC`.
fn pending_line(change_id: &str, state: Option<ChangeState>, at: u64) -> String {
    let state = match state {
        None => "-",
        Some(ChangeState::Pending) => "PENDING",
        Some(ChangeState::InSync) => "INSYNC",
    };
    format!("{change_id} {state} {at}\n")
}

fn parse_pending(text: &str) -> Option<(String, Option<ChangeState>, u64)> {
    let f: Vec<&str> = text.split_whitespace().collect();
    let [id, state, at] = f.as_slice() else {
        return None;
    };
    let state = match *state {
        "PENDING" => Some(ChangeState::Pending),
        "INSYNC" => Some(ChangeState::InSync),
        _ => None,
    };
    Some((id.to_string(), state, at.parse().ok()?))
}

impl Waiting {
    /// A wait the node does not share (where no budget is kept).
    #[cfg(test)]
    pub(crate) fn alone() -> Waiting {
        Waiting {
            budget: Budget::new(1, 1, PathBuf::new()),
            path: None,
            change_id: String::new(),
            spread: 0.0,
            insync: std::cell::Cell::new(false),
        }
    }

    /// A number from 0 to 1 for this change: the same in every process
    /// that waits for it, so that they check it at the same moment and one
    /// check serves them all.
    pub(crate) fn spread(&self) -> f64 {
        self.spread
    }

    /// How many of the node's other processes waiting for this change come
    /// before this one (by PID): the first checks, the others read what it
    /// saw.
    pub(crate) fn rank(&self) -> usize {
        let Some(path) = &self.path else { return 0 };
        let me = std::process::id();
        pending_files(&self.budget.dir)
            .into_iter()
            .filter(|(file, text, alive)| {
                *alive
                    && file != path
                    && parse_pending(text).is_some_and(|(id, _, _)| id == self.change_id)
                    && file
                        .file_name()
                        .and_then(|n| n.to_str())
                        .and_then(pending_pid)
                        .is_some_and(|pid| pid < me)
            })
            .count()
    }

    /// Whether another living process of the node waits for this change.
    pub(crate) fn shared(&self) -> bool {
        let Some(path) = &self.path else { return false };
        pending_files(&self.budget.dir)
            .into_iter()
            .any(|(file, text, alive)| {
                alive
                    && file != *path
                    && parse_pending(&text).is_some_and(|(id, _, _)| id == self.change_id)
            })
    }

    /// How long after a throttled status check the next may come: a random
    /// part of a quarter of the node's window (at least
    /// [`THROTTLE_FLOOR`]).
    pub(crate) fn after_throttle(&self) -> Duration {
        let window = self
            .budget
            .update(|s, now| (s, s.span(now)))
            .unwrap_or(WINDOW_START);
        throttle_pause(window / 4, window, random_fraction())
    }

    /// Note the state this process saw (None: nothing yet).
    pub(crate) fn saw(&self, state: Option<ChangeState>) {
        if state == Some(ChangeState::InSync) {
            self.insync.set(true);
        }
        if let Some(path) = &self.path {
            let _ = std::fs::write(path, pending_line(&self.change_id, state, now_ns()));
        }
    }

    /// The state another process of the node saw of the same change, where
    /// it stands for a check: INSYNC, or PENDING seen within [`FRESH`]
    /// (the latest such); with how long ago it was seen.
    pub(crate) fn known(&self) -> Option<(ChangeState, Duration)> {
        let path = self.path.as_ref()?;
        let now = now_ns();
        let mut known: Option<(ChangeState, Duration)> = None;
        for (file, text, _) in pending_files(&self.budget.dir) {
            let Some((id, state, at)) = parse_pending(&text) else {
                continue;
            };
            if file == *path || id != self.change_id {
                continue;
            }
            let ago = Duration::from_nanos(now.saturating_sub(at));
            match state {
                Some(ChangeState::InSync) => return Some((ChangeState::InSync, ago)),
                Some(ChangeState::Pending) if ago < FRESH && known.is_none_or(|(_, k)| ago < k) => {
                    known = Some((ChangeState::Pending, ago))
                }
                _ => {}
            }
        }
        known
    }

    /// The least time between two status checks of this process: the
    /// node's pending changes share half the budget.
    pub(crate) fn gap(&self) -> Duration {
        if self.path.is_none() {
            return Duration::ZERO;
        }
        let pending = pending_changes(&self.budget.dir);
        Duration::from_nanos(self.budget.interval_ns() * 2 * pending as u64)
    }

    /// Whether the node is in a storm.
    pub(crate) fn storm(&self) -> bool {
        self.path.is_some() && self.budget.storm()
    }

    /// How long the node's changes have lately taken to turn INSYNC.
    pub(crate) fn expected(&self) -> Option<Duration> {
        self.path.as_ref()?;
        let text = crate::bounded::read_regular(&self.budget.dir.join(INSYNC_FILE), 64).ok()?;
        let ms: u64 = String::from_utf8(text).ok()?.trim().parse().ok()?;
        Some(Duration::from_millis(
            ms.clamp(LEARNT_MIN_MS, LEARNT_MAX_MS),
        ))
    }

    /// A change turned INSYNC between `pending` and `insync` after it was
    /// accepted: the node's estimate moves halfway to the middle of the
    /// two.
    pub(crate) fn learn(&self, pending: Duration, insync: Duration) {
        if self.path.is_none() {
            return;
        }
        let seen = ((pending + insync) / 2).as_millis() as u64;
        let next = match self.expected() {
            Some(e) => (e.as_millis() as u64 + seen) / 2,
            None => seen,
        }
        .clamp(LEARNT_MIN_MS, LEARNT_MAX_MS);
        if let Ok((mut f, _)) = lock::open_in_dir(&self.budget.dir, INSYNC_FILE) {
            let _ = f.set_len(0);
            let _ = f.write_all(format!("{next}\n").as_bytes());
        }
    }
}

/// Where the node keeps how long its changes have lately taken to turn
/// INSYNC (milliseconds), and the bounds of what it believes.
const INSYNC_FILE: &str = "insync";
const LEARNT_MIN_MS: u64 = 500;
const LEARNT_MAX_MS: u64 = 120_000;

impl Drop for Waiting {
    /// The registration goes; one that saw INSYNC stays a while for the
    /// other restores of the batch (see [`pending_files`]).
    fn drop(&mut self) {
        if let Some(path) = self.path.as_ref().filter(|_| !self.insync.get()) {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The PID a file name `pending.PID` names: digits only, no sign, no
/// leading zero (so that one process is never counted twice).
pub(crate) fn pending_pid(name: &str) -> Option<u32> {
    let digits = name.strip_prefix(PENDING_PREFIX)?;
    let plain = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !(digits.len() > 1 && digits.starts_with('0'));
    plain.then(|| digits.parse().ok()).flatten()
}

/// How long the file of a process that saw its change INSYNC stays for
/// the other restores of its batch.
const KEEP_INSYNC: Duration = Duration::from_secs(60);

/// The pending files of the node, with their text and whether their
/// process lives. The files of processes that have ended are removed (but
/// one that tells of INSYNC, for [`KEEP_INSYNC`]), and so are files named
/// `pending.` that name no plain PID.
fn pending_files(dir: &Path) -> Vec<(PathBuf, String, bool)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let now = now_ns();
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with(PENDING_PREFIX) {
            continue;
        }
        let Some(pid) = pending_pid(name) else {
            let _ = std::fs::remove_file(e.path());
            continue;
        };
        let text = crate::bounded::read_regular(&e.path(), 256).unwrap_or_default();
        let text = String::from_utf8_lossy(&text).into_owned();
        // Where nobody can tell (no /proc), a file is not counted: at
        // worst the node's checks are paced as if fewer changes waited.
        let alive = crate::leftovers::lives(pid).unwrap_or(false);
        let kept = matches!(parse_pending(&text),
            Some((_, Some(ChangeState::InSync), at)) if now.saturating_sub(at) < ns(KEEP_INSYNC));
        if alive || kept {
            out.push((e.path(), text, alive));
        } else {
            let _ = std::fs::remove_file(e.path());
        }
    }
    out
}

/// The changes the node's live processes wait for, each counted once (at
/// least 1).
fn pending_changes(dir: &Path) -> usize {
    let changes: BTreeSet<String> = pending_files(dir)
        .into_iter()
        .filter(|(_, _, alive)| *alive)
        .map(|(path, text, _)| match parse_pending(&text) {
            Some((id, _, _)) => id,
            None => path.display().to_string(),
        })
        .collect();
    changes.len().max(1)
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn read_state(file: &mut File) -> Option<State> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(128).read_to_string(&mut text).ok()?;
    State::parse(&text)
}

fn write_state(file: &mut File, state: &State) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(state.render().as_bytes())
}

/// A number from 0 to 1 that a text always gives.
fn fraction_of(text: &str) -> f64 {
    // FNV-1a: stable across processes and runs.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h % 1_000_000) as f64 / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn budget() -> Budget {
        Budget::new(10, 5, PathBuf::new())
    }

    #[test]
    fn a_burst_goes_at_once_then_the_rate_holds() {
        let b = budget();
        let (mut s, now) = (State::default(), 100 * S);
        let mut waits = Vec::new();
        for _ in 0..8 {
            let (slot, next) = b.step(s, now, Pace::New, 0.5);
            waits.push(slot.wait.as_millis());
            s = next;
        }
        assert_eq!(waits, vec![0, 0, 0, 0, 0, 100, 200, 300]);
    }

    #[test]
    fn a_throttle_pause_fits_the_room_the_call_has_left() {
        let secs = Duration::from_secs;
        // The window decides while the call has room for it ...
        assert_eq!(throttle_pause(secs(20), secs(50), 1.0), secs(20));
        assert_eq!(throttle_pause(secs(20), secs(50), 0.0), THROTTLE_FLOOR);
        // ... the room where it is shorter: the request is tried again
        // within the call's bound, wherever the draw falls.
        assert_eq!(throttle_pause(secs(40), secs(14), 1.0), secs(14));
        assert!(throttle_pause(secs(40), secs(14), 0.99) < secs(14));
        // Never under the floor, whatever the room.
        assert_eq!(
            throttle_pause(secs(20), Duration::ZERO, 0.7),
            THROTTLE_FLOOR
        );
    }

    #[test]
    fn a_quiet_time_refills_the_burst() {
        let b = budget();
        let mut s = State::default();
        for _ in 0..20 {
            s = b.step(s, 100 * S, Pace::Prompt, 0.0).1;
        }
        // 20 requests reserved 2 s of budget; 3 s later the burst is back.
        assert_eq!(b.step(s, 103 * S, Pace::Prompt, 0.0).0.wait, Duration::ZERO);
    }

    #[test]
    fn a_throttle_pauses_the_node_and_starts_a_storm_that_spreads_new_work() {
        let b = budget();
        let now = 100 * S;
        let s = b.on_throttle(State::default(), now);
        assert!(s.storm(now + 59 * S) && !s.storm(now + 60 * S));
        assert_eq!(s.window(), WINDOW_START);
        // Nobody sends for a second; new work waits a part of the window
        // on top, work in progress does not.
        let (slot, _) = b.step(s, now, Pace::Prompt, 0.9);
        assert_eq!(slot.wait, THROTTLE_PAUSE);
        assert!(slot.storm);
        let (slot, _) = b.step(s, now, Pace::New, 0.5);
        assert_eq!(slot.wait, THROTTLE_PAUSE + WINDOW_START / 2);
    }

    #[test]
    fn the_window_grows_once_per_throttled_second_and_shrinks_with_answers() {
        let b = budget();
        let now = 100 * S;
        let mut s = b.on_throttle(State::default(), now);
        s = b.on_throttle(s, now + S / 2);
        assert_eq!(s.window(), WINDOW_START, "the same throttled second");
        s = b.on_throttle(s, now + 2 * S);
        assert_eq!(s.window(), WINDOW_START.mul_f64(GROWTH));
        for k in 3..10 {
            s = b.on_throttle(s, now + 2 * k * S);
        }
        assert_eq!(s.window(), WINDOW_MAX);
        for _ in 0..50 {
            s = b.on_answer(s, now + 20 * S);
        }
        assert_eq!(s.window(), WINDOW_MIN);
        // Out of the storm, answers change nothing.
        let calm = State::default();
        assert_eq!(b.on_answer(calm, now), calm);
    }

    #[test]
    fn a_storm_s_requests_are_spread_over_what_is_left_of_its_window() {
        let b = budget();
        let now = 100 * S;
        let s = b.on_throttle(State::default(), now);
        assert_eq!(s.since, now);
        assert_eq!(s.span(now), WINDOW_START);
        assert_eq!(s.span(now + 6 * S), WINDOW_START - Duration::from_secs(6));
        // Past the window's end, the least window.
        assert_eq!(s.span(now + 16 * S), WINDOW_MIN);
        assert_eq!(s.span(now + 50 * S), WINDOW_MIN);
        // A later throttle of the same storm keeps its start.
        let later = b.on_throttle(s, now + 10 * S);
        assert_eq!(later.since, now);
        // A state of an older version (no start) decays as it did.
        let old = State { since: 0, ..s };
        assert_eq!(old.span(now + 10 * S), WINDOW_START / 2);
        let room = Duration::from_secs(100);
        for _ in 0..50 {
            let p = throttle_pause(WINDOW_START, room, random_fraction());
            assert!(p >= THROTTLE_FLOOR && p <= WINDOW_START, "{p:?}");
            // The call's room bounds it whatever the span.
            let short = Duration::from_secs(2);
            assert!(throttle_pause(WINDOW_START, short, random_fraction()) <= short);
        }
    }

    #[test]
    fn a_busy_zone_spreads_only_in_a_storm_and_leaves_the_state_alone() {
        let dir = crate::lock::scratch("budget-busy");
        let b = Budget::new(10, 10, dir.clone());
        let room = Duration::from_secs(100);
        assert_eq!(b.spread(room), None, "out of a storm");
        let _ = b.throttled(room, Pace::Prompt);
        let before = std::fs::read_to_string(dir.join(FILE)).expect("the budget file");
        let p = b.spread(room).expect("in a storm");
        assert!(p >= THROTTLE_FLOOR && p <= WINDOW_START, "{p:?}");
        assert_eq!(
            std::fs::read_to_string(dir.join(FILE)).expect("the budget file"),
            before
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_calming_storm_spreads_less() {
        let b = budget();
        let now = 100 * S;
        let s = b.on_throttle(State::default(), now);
        assert_eq!(s.window_at(now), WINDOW_START);
        assert_eq!(s.window_at(now + 10 * S), WINDOW_START / 2);
        assert_eq!(s.window_at(now + 59 * S), WINDOW_MIN);
    }

    #[test]
    fn a_state_from_the_future_is_a_clock_step_and_is_reset() {
        let b = budget();
        let now = 100 * S;
        let ahead = State {
            tat: now + 30 * S,
            ..State::default()
        };
        assert_eq!(b.sane(ahead, now), (State::default(), true));
        let storm = State {
            storm_until: now + 120 * S,
            ..State::default()
        };
        assert!(b.sane(storm, now).1);
        // What the budget itself can explain stays.
        let mut s = State::default();
        for _ in 0..5 {
            s = b.step(s, now, Pace::Prompt, 0.0).1;
        }
        s = b.on_throttle(s, now);
        assert_eq!(b.sane(s, now), (s, false));
    }

    #[test]
    fn the_state_is_read_strictly() {
        let s = State {
            tat: 5,
            storm_until: 6,
            window_ms: 7,
            since: 8,
        };
        assert_eq!(State::parse(&s.render()), Some(s));
        assert_eq!(State::parse("123\n").map(|s| s.tat), Some(123));
        // An older version's state: the storm's start unknown.
        assert_eq!(State::parse("v2 5 6 7\n"), Some(State { since: 0, ..s }));
        for bad in [
            "",
            "-5",
            "+5",
            "v2 1 2",
            "v2 1 2 x",
            "1e9",
            "v3 1 2 3",
            "18446744073709551616",
        ] {
            assert_eq!(State::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn pending_files_name_a_plain_pid_or_are_not_counted() {
        assert_eq!(pending_pid("pending.1234"), Some(1234));
        assert_eq!(pending_pid("pending.1"), Some(1));
        for bad in [
            "pending.0001",
            "pending.+1",
            "pending.-1",
            "pending.",
            "pending.1a",
            "pending. 1",
            "budget",
        ] {
            assert_eq!(pending_pid(bad), None, "{bad:?}");
        }
    }
}
