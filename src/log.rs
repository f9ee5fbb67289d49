//! Messages in LifeKeeper's form, `LEVEL:route53:ACTION:TAG:MSGID:text`,
//! to stderr and to syslog (facility from `LKSYSLOGSELECTOR`, default
//! `local6`, which LifeKeeper writes to `/var/log/lifekeeper.log`); as
//! Pacemaker's agent, in ocf_log's form, `LEVEL: MSGID: text`, to stderr
//! and to syslog facility daemon, tagged `route53(INSTANCE)`.
//!
//! Logging is a side channel: it can never panic, block or change the
//! verdict of an action. stderr is written by a thread of its own through a
//! bounded queue, so a pipe nobody reads or a full disk cannot stall the
//! action; the syslog socket is non-blocking. A line that cannot be written
//! is dropped and counted, and the count is said once, on the other channel,
//! when the run ends. No syslog socket means stderr only.

use crate::text::printable;
use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Where syslog listens; `LKROUTE53_SYSLOG_SOCKET` names another socket
/// (tests), and an empty value turns syslog off.
pub(crate) const SYSLOG_SOCKET: &str = "/dev/log";
pub(crate) const SYSLOG_SOCKET_ENV: &str = "LKROUTE53_SYSLOG_SOCKET";
const COMPONENT: &str = "route53";
/// Lines waiting for stderr; beyond this they are dropped.
const QUEUE: usize = 256;
/// A message longer than this is shortened.
const MAX_TEXT: usize = 4000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Error,
    Warn,
    Info,
    Notify,
}

/// The form of a run's lines: LifeKeeper's, or Pacemaker's resource
/// agents'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `LEVEL:route53:ACTION:TAG:ID:text`, syslog tag the action.
    LifeKeeper,
    /// `LEVEL: ID: text` (ocf_log's levels), syslog tag
    /// `route53(INSTANCE)`, facility daemon.
    Ocf,
}

impl Level {
    /// The level as Pacemaker's agents write it.
    fn ocf_name(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARNING",
            Level::Info | Level::Notify => "INFO",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Notify => "NOTIFY",
        }
    }

    fn severity(self) -> u8 {
        match self {
            Level::Error => 3,
            Level::Warn => 4,
            Level::Notify => 5,
            Level::Info => 6,
        }
    }
}

listed_enum! {
/// Stable message IDs. The README lists each with its meaning and remedy;
/// never renumber one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Msg {
    Settings = 53001,
    RecordOk = 53010,
    Upsert = 53011,
    UpsertRetry = 53012,
    Waiting = 53013,
    InSync = 53014,
    Verified = 53015,
    NotInSync = 53016,
    /// Not reported INSYNC in time, accepted (ROUTE53_NOT_INSYNC=warn).
    NotInSyncAccepted = 53017,
    /// Route 53 throttled a request; the node holds back and tries again.
    Throttled = 53018,
    /// The budget file's time was further ahead than the budget explains
    /// (the clock was set back): reset.
    ClockStep = 53019,
    ReadRetry = 53020,
    CheckUnreadable = 53021,
    CheckMismatch = 53022,
    CheckTtl = 53023,
    CheckOk = 53024,
    Unmanaged = 53025,
    /// quickCheck told LifeKeeper's event notification (sendevent), or
    /// could not.
    EventSent = 53026,
    /// The recovery program of the kit's event ran, or found nothing to do.
    EventRecovery = 53027,
    /// A change this run sent also wrote another restore's record (group
    /// commit): which, and whose.
    GroupCommit = 53028,
    /// Route 53 was still applying an earlier change of the zone
    /// (PriorRequestNotComplete): sent again after a pause, said once a run.
    ZoneBusy = 53029,
    Remove = 53030,
    /// quickCheck at a terminal: what DNS answered, and whether the check
    /// passed on it or the API decided.
    DnsCheck = 53031,
    /// The Pacemaker agent: a parameter it cannot use, its state file.
    Agent = 53032,
    /// The record was not read before the UPSERT: the node is in a storm,
    /// or the read was throttled.
    ReadSkipped = 53033,
    Created = 53040,
    RolledBack = 53041,
    /// The kit's resource type could not be registered in the LCD.
    TypeRegistered = 53042,
    /// `lcdsync` after the LCD was changed failed.
    LcdSynced = 53043,
    DryRun = 53050,
    Deleted = 53060,
    Extended = 53070,
    SameAddress = 53071,
    Busy = 53080,
    /// quickCheck could not check for a reason on the LifeKeeper side.
    CheckImpossible = 53091,
    ResourceProblem = 53092,
    Route53Problem = 53093,
    /// Log lines were lost (stderr or syslog could not take them).
    LogDropped = 53094,
    /// A signal stopped the action: where, and the record as far as known.
    Stopped = 53095,
    /// Processes the run left behind (a credential_process) were stopped.
    Leftovers = 53096,
}
}

/// The logger of one run.
#[derive(Debug)]
pub(crate) struct Logger {
    action: String,
    tag: String,
    form: Form,
    facility: u8,
    syslog: Option<(UnixDatagram, PathBuf)>,
    stderr: OnceLock<StderrWriter>,
    dropped_stderr: AtomicU32,
    dropped_syslog: AtomicU32,
    /// Unit tests read the lines back from here instead of stderr.
    capture: Option<Mutex<Vec<String>>>,
}

/// syslog facility number from a selector such as `local6.info`.
pub(crate) fn facility(selector: Option<&str>) -> u8 {
    let name = selector
        .and_then(|s| s.split(['.', ',', ';']).next())
        .unwrap_or("local6");
    match name {
        "user" => 1,
        "daemon" => 3,
        "local0" => 16,
        "local1" => 17,
        "local2" => 18,
        "local3" => 19,
        "local4" => 20,
        "local5" => 21,
        "local7" => 23,
        _ => 22,
    }
}

/// The thread that writes stderr, and the queue to it.
#[derive(Debug)]
struct StderrWriter {
    queue: Mutex<Option<SyncSender<String>>>,
    done: Mutex<Receiver<()>>,
}

impl StderrWriter {
    fn start() -> Option<StderrWriter> {
        let (tx, rx) = sync_channel::<String>(QUEUE);
        let (done_tx, done_rx) = sync_channel::<()>(1);
        std::thread::Builder::new()
            .name("stderr".into())
            .spawn(move || {
                let mut failed = 0u32;
                for line in rx {
                    let mut err = std::io::stderr().lock();
                    if err.write_all(line.as_bytes()).is_err() {
                        failed = failed.saturating_add(1);
                    }
                }
                let _ = done_tx.send(());
                failed
            })
            .ok()?;
        Some(StderrWriter {
            queue: Mutex::new(Some(tx)),
            done: Mutex::new(done_rx),
        })
    }
}

impl Logger {
    pub(crate) fn new(action: &str, tag: &str, syslog_selector: Option<&str>) -> Logger {
        let path = match std::env::var_os(SYSLOG_SOCKET_ENV) {
            Some(p) if p.is_empty() => None,
            Some(p) => Some(PathBuf::from(p)),
            None => Some(PathBuf::from(SYSLOG_SOCKET)),
        };
        let syslog = path.and_then(|p| {
            let sock = UnixDatagram::unbound().ok()?;
            // A syslog daemon that does not read must never stall an action.
            sock.set_nonblocking(true).ok()?;
            Some((sock, p))
        });
        Logger {
            action: action.to_string(),
            tag: tag.to_string(),
            form: Form::LifeKeeper,
            facility: facility(syslog_selector),
            syslog,
            stderr: OnceLock::new(),
            dropped_stderr: AtomicU32::new(0),
            dropped_syslog: AtomicU32::new(0),
            capture: None,
        }
    }

    /// The logger of a Pacemaker agent's run: its lines in ocf_log's form,
    /// to stderr (Pacemaker's executor logs it) and to syslog, facility
    /// daemon, tagged with the resource's instance.
    pub(crate) fn ocf(action: &str, instance: &str) -> Logger {
        let mut l = Logger::new(action, instance, Some("daemon"));
        l.form = Form::Ocf;
        l
    }

    /// A logger that keeps its lines in memory and writes nothing (the
    /// procedures' unit tests read them back with [`Logger::said`]).
    #[cfg(test)]
    pub(crate) fn capturing(action: &str, tag: &str) -> Logger {
        let mut l = Logger::new(action, tag, None);
        l.syslog = None;
        l.capture = Some(Mutex::new(Vec::new()));
        l
    }

    /// Whether a line logged so far holds `text` (unit tests).
    #[cfg(test)]
    pub(crate) fn said(&self, text: &str) -> bool {
        self.captured().iter().any(|l| l.contains(text))
    }

    /// The lines logged so far (unit tests).
    #[cfg(test)]
    pub(crate) fn captured(&self) -> Vec<String> {
        self.capture
            .as_ref()
            .and_then(|c| c.lock().ok().map(|v| v.clone()))
            .unwrap_or_default()
    }

    /// The action the run logs under.
    pub(crate) fn action(&self) -> &str {
        &self.action
    }

    pub(crate) fn line(&self, level: Level, msg: Msg, text: &str) -> String {
        // One line per message, whatever the text holds, and bounded.
        // Control and bidi characters are escaped wherever the text came
        // from; the tag's field also escapes ':', the field separator, so
        // that no tag can forge a message ID.
        let mut text: String = printable(&text.chars().take(MAX_TEXT).collect::<String>())
            .chars()
            .take(MAX_TEXT)
            .collect();
        if text.len() >= MAX_TEXT {
            text.push_str(" [...]");
        }
        if self.form == Form::Ocf {
            return format!("{}: {:06}: {}", level.ocf_name(), msg as u32, text);
        }
        let tag = printable(&self.tag.chars().take(256).collect::<String>()).replace(':', "\\x3a");
        format!(
            "{}:{COMPONENT}:{}:{}:{:06}:{}",
            level.name(),
            self.action,
            tag,
            msg as u32,
            text
        )
    }

    pub(crate) fn log(&self, level: Level, msg: Msg, text: &str) {
        let line = self.line(level, msg, text);
        if let Some(c) = &self.capture {
            if let Ok(mut v) = c.lock() {
                v.push(line);
            }
            return;
        }
        self.to_stderr(format!("{line}\n"));
        self.to_syslog(level, &line);
    }

    fn to_stderr(&self, line: String) {
        let writer = self.stderr.get_or_init(|| {
            StderrWriter::start().unwrap_or(StderrWriter {
                queue: Mutex::new(None),
                done: Mutex::new(sync_channel(1).1),
            })
        });
        let sent = writer
            .queue
            .lock()
            .ok()
            .and_then(|q| q.as_ref().map(|tx| tx.try_send(line)));
        match sent {
            Some(Ok(())) => {}
            Some(Err(TrySendError::Full(_) | TrySendError::Disconnected(_))) | None => {
                self.dropped_stderr.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn to_syslog(&self, level: Level, line: &str) -> bool {
        let Some((sock, path)) = &self.syslog else {
            return false;
        };
        let pri = u16::from(self.facility) * 8 + u16::from(level.severity());
        let datagram = match self.form {
            Form::LifeKeeper => {
                format!("<{pri}>{}[{}]: {line}", self.action, std::process::id())
            }
            Form::Ocf => format!(
                "<{pri}>{COMPONENT}({})[{}]: {line}",
                printable(&self.tag.chars().take(256).collect::<String>()),
                std::process::id()
            ),
        };
        match sock.send_to(datagram.as_bytes(), path) {
            Ok(_) => true,
            // No syslog daemon listens: stderr only, as documented.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                false
            }
            Err(_) => {
                self.dropped_syslog.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// End of the run: give stderr at most `grace` to take what is queued,
    /// then say once, on the other channel, how many lines were lost.
    /// Whether stderr took everything in time.
    pub(crate) fn finish(&self, grace: Duration) -> bool {
        let mut flushed = true;
        if let Some(w) = self.stderr.get() {
            if let Ok(mut q) = w.queue.lock() {
                q.take();
            }
            flushed = w
                .done
                .lock()
                .is_ok_and(|done| done.recv_timeout(grace).is_ok());
        }
        let lost_syslog = self.dropped_syslog.load(Ordering::Relaxed);
        if lost_syslog > 0 {
            let line = self.line(
                Level::Warn,
                Msg::LogDropped,
                &format!(
                    "{lost_syslog} log line(s) could not be sent to syslog (socket busy or gone)"
                ),
            );
            let _ = std::io::stderr()
                .lock()
                .write_all(format!("{line}\n").as_bytes());
        }
        let lost_stderr = self.dropped_stderr.load(Ordering::Relaxed);
        if lost_stderr > 0 {
            let line = self.line(
                Level::Warn,
                Msg::LogDropped,
                &format!("{lost_stderr} log line(s) could not be written to stderr in time"),
            );
            self.to_syslog(Level::Warn, &line);
        }
        flushed
    }

    pub(crate) fn info(&self, msg: Msg, text: &str) {
        self.log(Level::Info, msg, text)
    }

    pub(crate) fn notify(&self, msg: Msg, text: &str) {
        self.log(Level::Notify, msg, text)
    }

    pub(crate) fn warn(&self, msg: Msg, text: &str) {
        self.log(Level::Warn, msg, text)
    }

    pub(crate) fn error(&self, msg: Msg, text: &str) {
        self.log(Level::Error, msg, text)
    }
}

/// One line of an operator command's report on stdout. A closed or full
/// stdout loses the line; it never panics.
pub(crate) fn print(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes());
    let _ = out.write_all(b"\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn lines_have_lifekeepers_form_and_stay_on_one_line() {
        let l = Logger::new("restore", "r53\napp", None);
        assert_eq!(
            l.line(Level::Warn, Msg::Settings, "bad\nvalue"),
            "WARN:route53:restore:r53\\napp:053001:bad\\nvalue"
        );
        // No tag forges a message ID; no text reorders a terminal.
        let l = Logger::new("restore", "r53:053015:forged", None);
        let line = l.line(Level::Info, Msg::Upsert, "x\u{202e}y\u{1b}[2J");
        assert_eq!(
            line,
            "INFO:route53:restore:r53\\x3a053015\\x3aforged:053011:x\\u{202e}y\\u{1b}[2J"
        );
        assert_eq!(line.split(':').count(), 6);
    }

    #[test]
    fn huge_messages_are_shortened() {
        let l = Logger::new("restore", "t", None);
        let line = l.line(Level::Info, Msg::Settings, &"x".repeat(1 << 20));
        assert!(line.len() < MAX_TEXT + 100, "{}", line.len());
        assert!(line.ends_with("[...]"));
    }

    #[test]
    fn facility_comes_from_the_selector() {
        assert_eq!(facility(None), 22);
        assert_eq!(facility(Some("local5.*")), 21);
        assert_eq!(facility(Some("nonsense")), 22);
    }

    fn socket_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lkr53-log-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn messages_reach_the_syslog_socket() {
        let dir = socket_dir("reach");
        let path = dir.join("log.sock");
        let server = UnixDatagram::bind(&path).expect("bind");
        let mut l = Logger::new("quickCheck", "t", Some("local6"));
        let sock = UnixDatagram::unbound().expect("socket");
        sock.set_nonblocking(true).expect("nonblocking");
        l.syslog = Some((sock, path.clone()));
        l.info(Msg::CheckOk, "fine");
        let mut buf = [0u8; 512];
        let n = server.recv(&mut buf).expect("datagram");
        let got = String::from_utf8_lossy(&buf[..n]);
        assert!(got.starts_with("<182>quickCheck["), "{got}");
        assert!(
            got.ends_with("]: INFO:route53:quickCheck:t:053024:fine"),
            "{got}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A syslog reader that never reads: once its queue is full, lines are
    /// dropped and counted, and logging goes on without blocking.
    #[test]
    fn a_syslog_reader_that_does_not_read_never_blocks() {
        let dir = socket_dir("stuck");
        let path = dir.join("log.sock");
        let _server = UnixDatagram::bind(&path).expect("bind");
        let mut l = Logger::new("restore", "t", None);
        let sock = UnixDatagram::unbound().expect("socket");
        sock.set_nonblocking(true).expect("nonblocking");
        l.syslog = Some((sock, path.clone()));
        let start = Instant::now();
        let mut sent = 0;
        for i in 0..5000 {
            if l.to_syslog(Level::Info, &format!("line {i} {}", "x".repeat(200))) {
                sent += 1;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(sent < 5000, "the socket never filled");
        assert_eq!(l.dropped_syslog.load(Ordering::Relaxed), 5000 - sent);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn no_syslog_socket_means_stderr_only_and_no_loss() {
        let mut l = Logger::new("restore", "t", None);
        let sock = UnixDatagram::unbound().expect("socket");
        sock.set_nonblocking(true).expect("nonblocking");
        l.syslog = Some((sock, PathBuf::from("/nonexistent/lkroute53/log")));
        assert!(!l.to_syslog(Level::Info, "x"));
        assert_eq!(l.dropped_syslog.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn the_stderr_writer_finishes_what_is_queued() {
        let l = Logger::new("restore", "t", None);
        let w = StderrWriter::start().expect("thread");
        let tx = w.queue.lock().expect("q").clone().expect("sender");
        assert!(tx.try_send("stderr writer test line\n".into()).is_ok());
        drop(tx);
        let _ = l.stderr.set(w);
        assert!(
            l.finish(Duration::from_secs(5)),
            "the writer did not finish"
        );
    }

    /// The levels each message is logged at, as the code logs it: every
    /// `.info(Msg::X`, `.warn(`, `.error(`, `.notify(` of the sources, and the
    /// runs that end in a failure (ERROR, `error.rs`).
    fn levels_in_code(
    ) -> std::collections::BTreeMap<String, std::collections::BTreeSet<&'static str>> {
        let mut out: std::collections::BTreeMap<String, std::collections::BTreeSet<&str>> =
            Default::default();
        for (path, text) in crate::readme::sources() {
            let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            for (call, level) in [
                (".info(", "INFO"),
                (".notify(", "NOTIFY"),
                (".warn(", "WARN"),
                (".error(", "ERROR"),
            ] {
                for (i, _) in flat.match_indices(call) {
                    let rest = flat[i + call.len()..].trim_start();
                    if let Some(name) = rest.strip_prefix("Msg::") {
                        let name: String = name
                            .chars()
                            .take_while(char::is_ascii_alphanumeric)
                            .collect();
                        out.entry(name).or_default().insert(level);
                    }
                }
            }
            if path.ends_with("src/error.rs") {
                let table = &flat[flat.find("fn outcome").expect("the outcome table")..];
                let table = &table[..table.find("fn is_verdict").expect("its end")];
                for (i, _) in table.match_indices("Msg::") {
                    let name: String = table[i + 5..]
                        .chars()
                        .take_while(char::is_ascii_alphanumeric)
                        .collect();
                    out.entry(name).or_default().insert("ERROR");
                }
            }
        }
        out
    }

    /// The README's message table: a row for every message ID and none
    /// other, each naming every level the code logs that message at.
    #[test]
    fn the_readme_message_table_is_the_code_s() {
        let rows = crate::readme::table("Log messages");
        let ids: Vec<u32> = rows.iter().map(|r| r[0].parse().expect("an ID")).collect();
        let code: Vec<u32> = Msg::ALL.iter().map(|m| *m as u32).collect();
        assert_eq!(ids, code, "the README's message IDs against enum Msg");
        let levels = levels_in_code();
        for m in Msg::ALL {
            let row = rows
                .iter()
                .find(|r| r[0] == format!("{:06}", *m as u32))
                .expect("a row");
            for level in levels.get(&format!("{m:?}")).into_iter().flatten() {
                assert!(
                    row[1].split('/').any(|l| l == *level),
                    "{m:?} ({}) is logged at {level} but the README says {}",
                    row[0],
                    row[1]
                );
            }
        }
        assert!(
            levels["Throttled"].contains("WARN"),
            "the scan reads the code"
        );
    }
}
