//! What every action run carries: the settings read for this run, the
//! logger, this node's LCD, and how it was asked to run.

use std::io::IsTerminal;
use std::sync::Mutex;

use crate::lcd::Lcd;
use crate::log::{Logger, Msg};
use crate::settings::Settings;

#[derive(Debug)]
pub struct Ctx {
    pub settings: Settings,
    pub log: Logger,
    pub lcd: Lcd,
    /// Read everything, change nothing, say what would change.
    pub dry_run: bool,
    /// Run by a person at a terminal (stderr is one): a healthy quickCheck
    /// says so, where under LifeKeeper it stays silent.
    pub interactive: bool,
    /// Where the run is and what the record holds as far as known, for the
    /// line logged when a signal stops it.
    pub progress: Progress,
}

/// The stage a run is at, and the record as far as it knows.
#[derive(Debug)]
pub struct Progress(Mutex<(String, String)>);

impl Default for Progress {
    fn default() -> Self {
        Progress(Mutex::new(("starting".into(), "not read yet".into())))
    }
}

impl Progress {
    pub fn stage(&self, stage: impl Into<String>) {
        if let Ok(mut p) = self.0.lock() {
            p.0 = stage.into();
        }
    }

    pub fn record(&self, record: impl Into<String>) {
        if let Ok(mut p) = self.0.lock() {
            p.1 = record.into();
        }
    }

    /// (stage, record as far as known)
    pub fn now(&self) -> (String, String) {
        self.0
            .lock()
            .map(|p| p.clone())
            .unwrap_or_else(|_| ("unknown".into(), "unknown".into()))
    }
}

impl Ctx {
    /// Read the settings (logging each problem with the file) and set up
    /// the logger and the LCD.
    pub fn new(action: &str, tag: &str) -> Ctx {
        let settings = Settings::load();
        let log = Logger::new(action, tag, settings.syslog_selector.as_deref());
        for w in settings.warnings_shown() {
            log.warn(Msg::Settings, &w.0);
        }
        let lcd = Lcd::from_env(settings.lcd_timeout());
        Ctx {
            lcd,
            settings,
            log,
            dry_run: false,
            interactive: std::io::stderr().is_terminal(),
            progress: Progress::default(),
        }
    }

    /// A context for unit tests: these settings, a logger that keeps its
    /// lines in memory, and an LCD that is never run.
    #[cfg(test)]
    pub fn for_tests(settings_text: &str) -> Ctx {
        let (entries, problems) = crate::settings::parse(settings_text.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        let settings =
            Settings::from_entries(std::path::Path::new("/etc/default/LifeKeeper"), &entries);
        Ctx {
            lcd: Lcd::from_env(std::time::Duration::from_secs(1)),
            settings,
            log: Logger::capturing("restore", "r53-app"),
            dry_run: false,
            interactive: false,
            progress: Progress::default(),
        }
    }
}
