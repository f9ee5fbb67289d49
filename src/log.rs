//! Messages in LifeKeeper's form, `LEVEL:route53:ACTION:TAG:MSGID:text`,
//! to stderr and to syslog (facility from `LKSYSLOGSELECTOR`, default
//! `local6`, which LifeKeeper writes to `/var/log/lifekeeper.log`). No
//! syslog socket means stderr only, never a failure.

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

/// Where syslog listens; `LKROUTE53_SYSLOG_SOCKET` names another socket
/// (tests), and an empty value turns syslog off.
pub const SYSLOG_SOCKET: &str = "/dev/log";
pub const SYSLOG_SOCKET_ENV: &str = "LKROUTE53_SYSLOG_SOCKET";
const COMPONENT: &str = "route53";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warn,
    Info,
    Notify,
}

impl Level {
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

/// Stable message IDs. The README lists each with its meaning and remedy;
/// never renumber one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Msg {
    Settings = 53001,
    RecordOk = 53010,
    Upsert = 53011,
    UpsertRetry = 53012,
    Waiting = 53013,
    InSync = 53014,
    Verified = 53015,
    ReadRetry = 53020,
    CheckUnreadable = 53021,
    CheckMismatch = 53022,
    CheckTtl = 53023,
    CheckOk = 53024,
    Remove = 53030,
    Created = 53040,
    RolledBack = 53041,
    DryRun = 53050,
    Deleted = 53060,
    Extended = 53070,
    Busy = 53080,
    SameAddress = 53071,
    NotInSync = 53016,
    ResourceProblem = 53092,
    Route53Problem = 53093,
    Internal = 53091,
}

/// The logger of one run.
#[derive(Debug)]
pub struct Logger {
    action: String,
    tag: String,
    facility: u8,
    syslog: Option<(UnixDatagram, PathBuf)>,
}

/// syslog facility number from a selector such as `local6.info`.
pub fn facility(selector: Option<&str>) -> u8 {
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

impl Logger {
    pub fn new(action: &str, tag: &str, syslog_selector: Option<&str>) -> Logger {
        let path = match std::env::var_os(SYSLOG_SOCKET_ENV) {
            Some(p) if p.is_empty() => None,
            Some(p) => Some(PathBuf::from(p)),
            None => Some(PathBuf::from(SYSLOG_SOCKET)),
        };
        let syslog = path.and_then(|p| UnixDatagram::unbound().ok().map(|s| (s, p)));
        Logger {
            action: action.to_string(),
            tag: tag.to_string(),
            facility: facility(syslog_selector),
            syslog,
        }
    }

    pub fn line(&self, level: Level, msg: Msg, text: &str) -> String {
        // One line per message, whatever the text holds.
        let text: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let tag: String = self
            .tag
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        format!(
            "{}:{COMPONENT}:{}:{}:{}:{}",
            level.name(),
            self.action,
            tag,
            msg as u32,
            text
        )
    }

    pub fn log(&self, level: Level, msg: Msg, text: &str) {
        let line = self.line(level, msg, text);
        eprintln!("{line}");
        if let Some((sock, path)) = &self.syslog {
            let pri = u16::from(self.facility) * 8 + u16::from(level.severity());
            let datagram = format!("<{pri}>{}[{}]: {line}", self.action, std::process::id());
            let _ = sock.send_to(datagram.as_bytes(), path);
        }
    }

    pub fn info(&self, msg: Msg, text: &str) {
        self.log(Level::Info, msg, text)
    }

    pub fn notify(&self, msg: Msg, text: &str) {
        self.log(Level::Notify, msg, text)
    }

    pub fn warn(&self, msg: Msg, text: &str) {
        self.log(Level::Warn, msg, text)
    }

    pub fn error(&self, msg: Msg, text: &str) {
        self.log(Level::Error, msg, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_lifekeepers_form_and_stay_on_one_line() {
        let l = Logger::new("restore", "r53\napp", None);
        assert_eq!(
            l.line(Level::Warn, Msg::Settings, "bad\nvalue"),
            "WARN:route53:restore:r53?app:53001:bad value"
        );
    }

    #[test]
    fn facility_comes_from_the_selector() {
        assert_eq!(facility(None), 22);
        assert_eq!(facility(Some("local5.*")), 21);
        assert_eq!(facility(Some("nonsense")), 22);
    }

    #[test]
    fn messages_reach_the_syslog_socket() {
        let dir = std::env::temp_dir().join(format!("lkr53-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("log.sock");
        let _ = std::fs::remove_file(&path);
        let server = UnixDatagram::bind(&path).expect("bind");
        let mut l = Logger::new("quickCheck", "t", Some("local6"));
        l.syslog = Some((UnixDatagram::unbound().expect("socket"), path.clone()));
        l.info(Msg::CheckOk, "fine");
        let mut buf = [0u8; 512];
        let n = server.recv(&mut buf).expect("datagram");
        let got = String::from_utf8_lossy(&buf[..n]);
        assert!(got.starts_with("<182>quickCheck["), "{got}");
        assert!(
            got.ends_with("]: INFO:route53:quickCheck:t:53024:fine"),
            "{got}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
