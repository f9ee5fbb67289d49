//! No process the kit started outlives it. The LCD commands are killed
//! when their time runs out (`kill_on_drop`), but the AWS SDK runs a
//! profile's `credential_process` itself and, when the lookup's time limit
//! drops it, leaves it running. At the end of every run the kit therefore
//! looks for processes descended from it and stops them all at once (so
//! that none is orphaned and escapes), with `kill -KILL`, run by absolute
//! path, never through a shell.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

/// Whether process `pid` lives, as `/proc` tells; None where `/proc` is
/// not mounted (a chroot, a bare container) and nobody can tell. Each
/// caller decides what an unknown means for it.
pub(crate) fn lives(pid: u32) -> Option<bool> {
    lives_in(std::path::Path::new("/proc"), pid)
}

fn lives_in(proc: &std::path::Path, pid: u32) -> Option<bool> {
    proc.join("self")
        .exists()
        .then(|| proc.join(pid.to_string()).exists())
}

/// Where `kill` is looked for.
const KILL: &[&str] = &["/bin/kill", "/usr/bin/kill"];

/// The direct children of a process, from `/proc/PID/task/*/children`, or
/// from every process's parent where that file is missing.
fn children(pid: u32) -> Vec<u32> {
    let tasks = format!("/proc/{pid}/task");
    let mut out = Vec::new();
    let mut found_file = false;
    if let Ok(entries) = std::fs::read_dir(&tasks) {
        for t in entries.flatten() {
            if let Ok(text) = std::fs::read_to_string(t.path().join("children")) {
                found_file = true;
                out.extend(
                    text.split_whitespace()
                        .filter_map(|p| p.parse::<u32>().ok()),
                );
            }
        }
    }
    if !found_file {
        out = by_parent(pid);
    }
    out
}

/// Every process whose parent is `pid`, from `/proc/*/stat`.
fn by_parent(pid: u32) -> Vec<u32> {
    processes()
        .into_iter()
        .filter(|p| parent_of(*p) == Some(pid))
        .collect()
}

/// The parent of a process: the fourth field of its stat line, counted
/// after the command name in parentheses (which may hold anything).
pub(crate) fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_parent(&stat)
}

fn parse_parent(stat: &str) -> Option<u32> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// Every process descended from `pid`.
pub(crate) fn descendants_of(pid: u32) -> Vec<u32> {
    let mut seen = BTreeSet::new();
    let mut todo = children(pid);
    while let Some(p) = todo.pop() {
        if seen.insert(p) {
            todo.extend(children(p));
        }
    }
    seen.into_iter().collect()
}

/// Stop every process the run left behind; each, by its PID and its
/// command. They are first frozen (SIGSTOP) until no new one appears, so
/// that none can fork a child that escapes between the look and the kill;
/// then all are named and killed.
pub(crate) fn stop_all() -> Vec<(u32, String)> {
    stop_below(std::process::id())
}

/// Stop every process descended from `root` (see [`stop_all`]).
fn stop_below(root: u32) -> Vec<(u32, String)> {
    let mut stopped: BTreeSet<u32> = BTreeSet::new();
    for _ in 0..10 {
        let new: Vec<u32> = descendants_of(root)
            .into_iter()
            .filter(|p| !stopped.contains(p))
            .collect();
        if new.is_empty() {
            break;
        }
        freeze(&new);
        stopped.extend(new);
    }
    let all: Vec<u32> = stopped.into_iter().collect();
    stop(&all)
}

/// Every process of the node, from `/proc`.
pub(crate) fn processes() -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .collect()
}

/// Freeze these processes, name them, then kill them: each by its PID and
/// its command.
pub(crate) fn stop(pids: &[u32]) -> Vec<(u32, String)> {
    if pids.is_empty() {
        return Vec::new();
    }
    freeze(pids);
    let named: Vec<(u32, String)> = pids.iter().map(|p| (*p, command_of(*p))).collect();
    if let Some(kill) = kill_program() {
        signal(kill, "-KILL", pids);
    }
    named
}

fn freeze(pids: &[u32]) {
    if let Some(kill) = kill_program() {
        signal(kill, "-STOP", pids);
    }
}

fn kill_program() -> Option<&'static str> {
    KILL.iter()
        .copied()
        .find(|k| std::path::Path::new(k).exists())
}

/// A process's command line as run (its first words, shortened), from
/// `/proc/PID/cmdline`; its name where that is empty.
pub(crate) fn command_of(pid: u32) -> String {
    let line = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let words: Vec<String> = line
        .split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .take(4)
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    if words.is_empty() {
        return std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|c| c.trim().to_string())
            .unwrap_or_else(|_| "an unknown process".into());
    }
    crate::text::printable(&crate::text::short(&words.join(" ")))
}

fn signal(kill: &str, sig: &str, pids: &[u32]) {
    let mut cmd = Command::new(kill);
    cmd.arg(sig).arg("--");
    cmd.args(pids.iter().map(u32::to_string));
    let _ = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_is_read_past_any_command_name() {
        assert_eq!(parse_parent("1234 (sleep) S 99 1234 1234 0"), Some(99));
        assert_eq!(parse_parent("1234 (a) b) S 42 1 1"), Some(42));
        assert_eq!(parse_parent("garbage"), None);
    }

    #[test]
    fn a_grandchild_is_found_and_stopped() {
        let mut child = Command::new("/bin/sh")
            .args(["-c", "sleep 300 & wait"])
            .spawn()
            .expect("sh");
        assert!(descendants_of(std::process::id()).contains(&child.id()));
        // Below the child (the test's other processes are the other tests').
        let start = std::time::Instant::now();
        let mut tree = Vec::new();
        while start.elapsed() < std::time::Duration::from_secs(5) {
            tree = descendants_of(child.id());
            if !tree.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let [grandchild] = tree[..] else {
            panic!("the sleep under sh was not found: {tree:?}")
        };
        let stopped = stop_below(child.id());
        assert_eq!(
            stopped,
            [(grandchild, "sleep 300".to_string())],
            "named by its command"
        );
        let _ = child.kill();
        let _ = child.wait();
        // The grandchild was killed too (gone, or a zombie about to be reaped).
        let gone = || {
            std::fs::read_to_string(format!("/proc/{grandchild}/stat"))
                .map_or(true, |s| s.contains(") Z "))
        };
        let start = std::time::Instant::now();
        while !gone() && start.elapsed() < std::time::Duration::from_secs(5) {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(gone(), "the grandchild {grandchild} lives on");
    }

    #[test]
    fn without_proc_nobody_can_tell() {
        let root = std::env::temp_dir().join(format!("lkr53-proc-{}", std::process::id()));
        let proc = root.join("proc");
        std::fs::create_dir_all(proc.join("self")).expect("self");
        std::fs::create_dir_all(proc.join("42")).expect("42");
        assert_eq!(lives_in(&proc, 42), Some(true));
        assert_eq!(lives_in(&proc, 43), Some(false));
        let bare = root.join("bare");
        std::fs::create_dir_all(&bare).expect("bare");
        assert_eq!(lives_in(&bare, 43), None);
        let _ = std::fs::remove_dir_all(&root);
    }
}
