//! Every child process the kit runs (the LCD commands, sendevent, a
//! profile's `credential_process`), run one way: by absolute path or a
//! checked word list, never through a shell; stdin from /dev/null; both
//! pipes read to their end, each with a cap on what is kept (a child that
//! writes more than the kit keeps is never blocked on a full pipe);
//! waited for by its exit, not by its pipes, so that a process it leaves
//! holding them ends nothing of the kit's; within a time limit, past which
//! the child and everything it started are stopped.
//!
//! What a child leaves behind holding its output is found by the pipe it
//! holds (`/proc/PID/fd`), stopped and named by its command; the run's
//! closing lines say so ([`take_stopped`]).

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// How long the pipes may still give output after the child exited (what
/// it wrote just before it ended).
const GRACE: Duration = Duration::from_millis(200);

/// What a run of a child may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The whole run, from spawning it to its exit.
    pub time: Duration,
    /// stdout kept; more is not what the kit reads (the child is stopped).
    pub stdout: usize,
    /// stderr kept; the rest is read and dropped.
    pub stderr: usize,
}

/// A child that ran to its exit.
#[derive(Debug)]
pub(crate) struct Finished {
    /// Its exit status; None where a signal ended it.
    pub code: Option<i32>,
    /// How it ended, in words (`exit status 1`, `signal 9`).
    pub status: String,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Why a child gave no result.
#[derive(Debug)]
pub(crate) enum ChildError {
    /// It could not be started.
    Spawn(io::Error),
    /// It did not end within its time; it was stopped.
    Timeout,
    /// It printed more than [`Limits::stdout`]; it was stopped.
    TooMuch,
}

/// The processes stopped because they held a finished child's output,
/// each with its command and what it held, until the run's end says so.
static STOPPED: Mutex<Vec<(u32, String, String)>> = Mutex::new(Vec::new());

/// The processes this run stopped because they held a child's output
/// after it ended: (PID, command, whose output).
pub(crate) fn take_stopped() -> Vec<(u32, String, String)> {
    STOPPED
        .lock()
        .map(|mut s| std::mem::take(&mut *s))
        .unwrap_or_default()
}

/// One pipe read to its end: what was kept, and whether there was more.
#[derive(Debug, Default)]
struct Kept {
    bytes: Vec<u8>,
    more: bool,
}

/// Run `cmd` (its program and arguments set; `name` for messages) within
/// `limits`.
pub(crate) async fn run(
    cmd: &mut Command,
    name: &str,
    limits: Limits,
) -> Result<Finished, ChildError> {
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(ChildError::Spawn)?;
    let pid = child.id();
    // Where this future is dropped before the child is waited for (the
    // call it serves ran out of time), the child and what it started are
    // stopped all the same.
    let mut guard = Tree(pid);
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(ChildError::Spawn(io::Error::other("no pipes to the child")));
    };
    let pipes = [pipe_of(&out), pipe_of(&err)];
    let stdout = Arc::new(Mutex::new(Kept::default()));
    let stderr = Arc::new(Mutex::new(Kept::default()));
    let mut out_task = tokio::spawn(drain(out, limits.stdout, stdout.clone(), Past::Stop));
    let err_task = tokio::spawn(drain(err, limits.stderr, stderr.clone(), Past::Drop));
    let mut out_done = false;
    let ended = tokio::time::timeout(limits.time, async {
        tokio::select! {
            status = child.wait() => Ok(status),
            // stdout past its cap: not what the kit reads.
            _ = &mut out_task => {
                out_done = true;
                match stdout.lock().map(|k| k.more).unwrap_or(false) {
                    true => Err(ChildError::TooMuch),
                    false => Ok(child.wait().await),
                }
            }
        }
    })
    .await;
    let status = match ended {
        Ok(Ok(Ok(status))) => status,
        Ok(Ok(Err(e))) => return Err(ChildError::Spawn(e)),
        // The guard stops it and what it started.
        Ok(Err(e)) => return Err(e),
        Err(_) => return Err(ChildError::Timeout),
    };
    guard.0 = None;
    // Exited: what it wrote before it ended is in the pipes; a process it
    // left holding them is stopped, named.
    let drained = tokio::time::timeout(GRACE, async {
        if !out_done {
            let _ = (&mut out_task).await;
        }
        let _ = err_task.await;
    })
    .await;
    if drained.is_err() {
        stop_holders(&pipes, name);
        out_task.abort();
    }
    // stdout past its cap, whether the child ended first (the pipe
    // closed under it: SIGPIPE) or the reader saw it first.
    if stdout.lock().map(|k| k.more).unwrap_or(false) {
        return Err(ChildError::TooMuch);
    }
    let take = |k: &Arc<Mutex<Kept>>| {
        k.lock()
            .map(|mut k| std::mem::take(&mut k.bytes))
            .unwrap_or_default()
    };
    Ok(Finished {
        code: status.code(),
        status: match status.code() {
            Some(c) => format!("exit status {c}"),
            None => status.to_string(),
        },
        stdout: take(&stdout),
        stderr: take(&stderr),
    })
}

/// What a pipe's reader does past its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Past {
    /// Stop reading: the output is no longer what the kit reads.
    Stop,
    /// Go on reading, dropping what comes, so that the writer never blocks.
    Drop,
}

/// Read a pipe to its end, keeping up to `cap` bytes.
async fn drain(mut pipe: impl AsyncRead + Unpin, cap: usize, kept: Arc<Mutex<Kept>>, past: Past) {
    let mut buf = vec![0u8; 16 << 10];
    loop {
        let n = match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let Ok(mut k) = kept.lock() else { return };
        let room = cap.saturating_sub(k.bytes.len());
        k.bytes.extend_from_slice(&buf[..n.min(room)]);
        if n > room {
            k.more = true;
            if past == Past::Stop {
                return;
            }
        }
    }
}

/// The kernel's name of the pipe behind a child's stdout or stderr
/// (`pipe:[INODE]`), as `/proc` shows it.
fn pipe_of(end: &impl std::os::fd::AsRawFd) -> Option<String> {
    let link = std::fs::read_link(format!("/proc/self/fd/{}", end.as_raw_fd())).ok()?;
    Some(link.to_string_lossy().into_owned())
}

/// Stop the processes other than this one that hold any of `pipes`, and
/// note them, as having held `name`'s output.
fn stop_holders(pipes: &[Option<String>], name: &str) {
    let pipes: Vec<&str> = pipes.iter().flatten().map(String::as_str).collect();
    if pipes.is_empty() {
        return;
    }
    let me = std::process::id();
    let holders: Vec<u32> = crate::leftovers::processes()
        .into_iter()
        .filter(|p| *p != me && holds(*p, &pipes))
        .collect();
    for (pid, command) in crate::leftovers::stop(&holders) {
        if let Ok(mut s) = STOPPED.lock() {
            s.push((pid, command, format!("the output of {name}")));
        }
    }
}

/// Whether process `pid` holds one of `pipes` open.
fn holds(pid: u32, pipes: &[&str]) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|l| pipes.iter().any(|p| l.as_os_str() == *p))
    })
}

/// Stop a child that ran out of its time or printed too much, and
/// everything it started.
/// A child not yet waited for: stopped with everything it started when
/// dropped, unless its PID was taken out.
struct Tree(Option<u32>);

impl Drop for Tree {
    fn drop(&mut self) {
        stop_tree(self.0.take());
    }
}

fn stop_tree(pid: Option<u32>) {
    let Some(pid) = pid else { return };
    let mut tree = crate::leftovers::descendants_of(pid);
    tree.push(pid);
    let _ = crate::leftovers::stop(&tree);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("/bin/sh");
        c.args(["-c", script]);
        c
    }

    const LIMITS: Limits = Limits {
        time: Duration::from_secs(10),
        stdout: 1 << 10,
        stderr: 64,
    };

    #[tokio::test]
    async fn both_pipes_are_read_to_their_end_and_capped() {
        // 200 KiB on stderr: more than a pipe holds; the child never blocks.
        let f = run(
            &mut sh("head -c 204800 /dev/zero >&2; echo done"),
            "sh",
            LIMITS,
        )
        .await
        .expect("ran");
        assert_eq!(f.code, Some(0));
        assert_eq!(f.stdout, b"done\n");
        assert_eq!(f.stderr.len(), 64);
    }

    #[tokio::test]
    async fn a_run_dropped_before_its_child_ended_stops_what_the_child_started() {
        let dir = crate::lock::scratch("child-dropped");
        std::fs::create_dir_all(&dir).expect("scratch");
        let file = dir.join("pid");
        let script = format!("sleep 300 & echo $! >{}; wait", file.display());
        let mut cmd = sh(&script);
        // The call it serves ends first: the future is dropped.
        let cut =
            tokio::time::timeout(Duration::from_millis(500), run(&mut cmd, "sh", LIMITS)).await;
        assert!(cut.is_err(), "{cut:?}");
        let pid: u32 = std::fs::read_to_string(&file)
            .expect("the child ran")
            .trim()
            .parse()
            .expect("a PID");
        let gone = |p: u32| {
            let s = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            s.is_empty() || s.contains(") Z ")
        };
        let start = std::time::Instant::now();
        while !gone(pid) && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(gone(pid), "process {pid} left running");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn too_much_output_stops_the_child() {
        let e = run(&mut sh("exec cat /dev/zero"), "cat", LIMITS)
            .await
            .expect_err("too much");
        assert!(matches!(e, ChildError::TooMuch), "{e:?}");
    }

    #[tokio::test]
    async fn a_child_past_its_time_is_stopped_with_what_it_started() {
        let start = std::time::Instant::now();
        let limits = Limits {
            time: Duration::from_millis(300),
            ..LIMITS
        };
        let e = run(&mut sh("sleep 30 & sleep 30"), "sh", limits)
            .await
            .expect_err("timed out");
        assert!(matches!(e, ChildError::Timeout), "{e:?}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_child_is_waited_for_by_its_exit_and_what_holds_its_output_is_stopped() {
        let start = std::time::Instant::now();
        let f = run(&mut sh("echo hi; sleep 30 & exit 0"), "sendevent", LIMITS)
            .await
            .expect("ran");
        assert_eq!((f.code, f.stdout.as_slice()), (Some(0), b"hi\n".as_slice()));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        let stopped = take_stopped();
        assert!(
            stopped
                .iter()
                .any(|(_, c, what)| c == "sleep 30" && what == "the output of sendevent"),
            "{stopped:?}"
        );
    }
}
