//! The node's Route 53 request budget, shared by every kit process on the
//! node without a daemon.
//!
//! Route 53 allows an account about 10 requests a second (with a burst) and
//! answers `Throttling` beyond it. When a node fails, every hierarchy on it
//! moves at once and each Route 53 resource's restore is its own process:
//! without a shared budget they would together ask for far more than the
//! account allows, and a restore throttled past its tries is a failed
//! failover. So:
//!
//! - **A shared rate.** Every request first takes a slot from one generic
//!   cell rate algorithm (GCRA) state, kept in the file `budget` in the lock
//!   folder: one number, the theoretical arrival time (TAT) of the next
//!   request, in nanoseconds since the epoch. Under an exclusive lock on
//!   that file a process reads the TAT, reserves the slot
//!   `max(now, TAT - tolerance)`, writes `max(TAT, now) + 1/rate` back, lets
//!   go of the lock, then sleeps until its slot. `ROUTE53_API_RATE`
//!   (requests a second) and `ROUTE53_API_BURST` (the tolerance, in
//!   requests) set the budget; the node's processes together never exceed
//!   it, whatever their number.
//! - **Status checks spaced by how many changes are pending.** A process
//!   waiting for INSYNC registers itself (`pending.PID` in the lock folder,
//!   gone when it ends; the file of a process that no longer exists is not
//!   counted and is removed), and spaces its checks at least
//!   `pending / (rate / 2)` apart: the status checks of the node together
//!   take at most half the budget, leaving the rest for reads and UPSERTs.
//!   One resource alone keeps the adaptive schedule.
//! - **Throttling slows the whole node.** A `Throttling` answer pushes the
//!   TAT one second ahead for every process; the try that was throttled is
//!   made again after a jittered pause (see [`jitter`]).
//!
//! Nothing here may stop an action: a wait is at most [`MAX_WAIT`]; where
//! the lock folder or the file cannot be used, or the lock is not had
//! within [`LOCK_PATIENCE`], the request goes without the budget.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::lock;

/// The longest any request waits for its slot.
pub const MAX_WAIT: Duration = Duration::from_secs(10);
/// How long a process tries to lock the budget file before it goes on
/// without the budget (the lock is held for microseconds).
pub const LOCK_PATIENCE: Duration = Duration::from_millis(500);
/// What a `Throttling` answer costs the node.
pub const THROTTLE_PENALTY: Duration = Duration::from_secs(1);
const FILE: &str = "budget";
const PENDING_PREFIX: &str = "pending.";

/// The node's budget, as the settings give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// Requests a second.
    pub rate: u32,
    /// Requests that may go at once after a quiet time.
    pub burst: u32,
    /// The lock folder, where the budget file and the waiting processes'
    /// files are kept.
    pub dir: PathBuf,
}

impl Budget {
    fn interval_ns(&self) -> u64 {
        1_000_000_000 / u64::from(self.rate.max(1))
    }

    fn tolerance_ns(&self) -> u64 {
        self.interval_ns() * u64::from(self.burst.max(1) - 1)
    }

    /// One GCRA step: the slot of a request made at `now` and the new TAT,
    /// from the stored TAT. A TAT further ahead than any real one could be
    /// (the clock was set back) is taken as none.
    pub fn step(&self, tat: u64, now: u64) -> (u64, u64) {
        let t = self.interval_ns();
        let tau = self.tolerance_ns();
        let ceiling =
            now + tau + t + MAX_WAIT.as_nanos() as u64 + THROTTLE_PENALTY.as_nanos() as u64 * 60;
        let tat = if tat > ceiling { now } else { tat };
        let base = tat.max(now);
        let slot = now.max(base.saturating_sub(tau));
        (slot, base + t)
    }

    /// Wait for a slot of the node's budget.
    pub async fn take(&self) {
        if let Some(wait) = self.reserve(0) {
            if !wait.is_zero() {
                tracing::debug!(
                    wait_ms = wait.as_millis() as u64,
                    "waiting for the node's request budget"
                );
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// Count a request already made (an SDK retry) against the budget.
    pub fn charge(&self) {
        let _ = self.reserve(0);
    }

    /// Route 53 answered `Throttling`: the node holds back for a while.
    pub fn throttled(&self) {
        let _ = self.reserve(THROTTLE_PENALTY.as_nanos() as u64);
    }

    /// Reserve a slot (and push the TAT `extra` further); the wait until
    /// the slot, at most [`MAX_WAIT`]. None where the budget file cannot be
    /// used.
    fn reserve(&self, extra: u64) -> Option<Duration> {
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
        let tat = read_tat(&mut file).unwrap_or(0);
        let (slot, next) = self.step(tat, now);
        let written = write_tat(&mut file, next + extra).is_ok();
        let _ = file.unlock();
        written.then(|| Duration::from_nanos(slot.saturating_sub(now)).min(MAX_WAIT))
    }

    /// Register this process as waiting for a change to be INSYNC.
    pub fn waiting(&self) -> Waiting {
        let name = format!("{PENDING_PREFIX}{}", std::process::id());
        let path = lock::open_in_dir(&self.dir, &name)
            .ok()
            .map(|(_, path)| path);
        Waiting {
            budget: self.clone(),
            path,
        }
    }
}

/// This process's registration as waiting for INSYNC; removed when dropped.
#[derive(Debug)]
pub struct Waiting {
    budget: Budget,
    path: Option<PathBuf>,
}

impl Waiting {
    /// A wait the node does not share (where no budget is kept).
    pub fn alone() -> Waiting {
        Waiting {
            budget: Budget {
                rate: 1,
                burst: 1,
                dir: PathBuf::new(),
            },
            path: None,
        }
    }

    /// The least time between two status checks of this process: the
    /// node's pending changes share half the budget.
    pub fn gap(&self) -> Duration {
        if self.path.is_none() {
            return Duration::ZERO;
        }
        let pending = pending_count(&self.budget.dir);
        Duration::from_nanos(self.budget.interval_ns() * 2 * pending as u64)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The processes of the node waiting for INSYNC; the files of processes
/// that have ended are removed.
fn pending_count(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 1;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PENDING_PREFIX))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            n += 1;
        } else {
            let _ = std::fs::remove_file(e.path());
        }
    }
    n.max(1)
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn read_tat(file: &mut File) -> Option<u64> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(64).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

fn write_tat(file: &mut File, tat: u64) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(format!("{tat}\n").as_bytes())
}

/// A pause of `base` stretched by a random 0-100 %: processes throttled at
/// the same moment do not all try again at the same moment.
pub fn jitter(base: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(now_ns());
    let fraction = (h.finish() % 1000) as u32;
    base + base * fraction / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn a_burst_goes_at_once_then_the_rate_holds() {
        let b = Budget {
            rate: 10,
            burst: 5,
            dir: PathBuf::new(),
        };
        let (mut tat, now) = (0, 100 * S);
        let mut slots = Vec::new();
        for _ in 0..8 {
            let (slot, next) = b.step(tat, now);
            slots.push(slot - now);
            tat = next;
        }
        let ms: Vec<u64> = slots.iter().map(|s| s / 1_000_000).collect();
        assert_eq!(ms, vec![0, 0, 0, 0, 0, 100, 200, 300]);
    }

    #[test]
    fn a_quiet_time_refills_the_burst() {
        let b = Budget {
            rate: 10,
            burst: 5,
            dir: PathBuf::new(),
        };
        let mut tat = 0;
        for _ in 0..20 {
            tat = b.step(tat, 100 * S).1;
        }
        // 20 requests reserved 2 s of budget; 3 s later the burst is back.
        let (slot, _) = b.step(tat, 103 * S);
        assert_eq!(slot, 103 * S);
    }

    #[test]
    fn a_tat_far_in_the_future_is_taken_as_none() {
        let b = Budget {
            rate: 10,
            burst: 5,
            dir: PathBuf::new(),
        };
        let (slot, next) = b.step(u64::MAX / 2, 100 * S);
        assert_eq!(slot, 100 * S);
        assert_eq!(next, 100 * S + S / 10);
    }

    #[test]
    fn jitter_stays_within_twice_the_base() {
        for _ in 0..100 {
            let j = jitter(Duration::from_secs(2));
            assert!(
                j >= Duration::from_secs(2) && j < Duration::from_secs(4),
                "{j:?}"
            );
        }
    }
}
