//! What every action run carries: the settings read for this run, the
//! logger, this node's LCD, and how it was asked to run. The world is
//! built here, at the edge, and handed to the procedures.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::lcd::Commands;
use crate::log::{Logger, Msg};
use crate::settings::Settings;

#[derive(Debug)]
pub(crate) struct Ctx<L = Commands> {
    pub settings: Settings,
    /// Shared with the Route 53 client, which says why a request waits.
    pub log: Arc<Logger>,
    pub lcd: L,
    /// The lock folder: one action at a time per resource, and the node's
    /// request budget.
    pub locks: PathBuf,
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
pub(crate) struct Progress(Mutex<(String, String)>);

impl Default for Progress {
    fn default() -> Self {
        Progress(Mutex::new(("starting".into(), "not read yet".into())))
    }
}

impl Progress {
    pub(crate) fn stage(&self, stage: impl Into<String>) {
        if let Ok(mut p) = self.0.lock() {
            p.0 = stage.into();
        }
    }

    pub(crate) fn record(&self, record: impl Into<String>) {
        if let Ok(mut p) = self.0.lock() {
            p.1 = record.into();
        }
    }

    /// (stage, record as far as known)
    pub(crate) fn now(&self) -> (String, String) {
        self.0
            .lock()
            .map(|p| p.clone())
            .unwrap_or_else(|_| ("unknown".into(), "unknown".into()))
    }
}

impl Ctx<Commands> {
    /// Read the settings (logging each problem with the file) and set up
    /// the logger and this node's LCD commands.
    pub(crate) fn new(action: &str, tag: &str) -> Ctx {
        let settings = Settings::load();
        let log = Logger::new(action, tag, settings.syslog_selector.as_deref());
        for w in settings.warnings_shown() {
            log.warn(Msg::Settings, &w.0);
        }
        let lcd = Commands::from_env(settings.lcd_timeout());
        let mut ctx = Ctx::with(settings, log, lcd, crate::lock::folder());
        ctx.interactive = std::io::stderr().is_terminal();
        ctx
    }
}

impl<L> Ctx<L> {
    /// A context of these parts: not dry, not at a terminal.
    pub(crate) fn with(settings: Settings, log: Logger, lcd: L, locks: PathBuf) -> Ctx<L> {
        Ctx {
            settings,
            log: Arc::new(log),
            lcd,
            locks,
            dry_run: false,
            interactive: false,
            progress: Progress::default(),
        }
    }

    /// A context for the procedures' unit tests: the settings of this text
    /// (as `/etc/default/LifeKeeper`, which must read without a warning),
    /// a logger that keeps its lines, this LCD, and a lock folder of the
    /// test process's own in the temporary folder.
    #[cfg(test)]
    pub(crate) fn for_tests(settings_text: &str, lcd: L) -> Ctx<L> {
        // No unit test asks the machine's own DNS resolver: DNS is off
        // unless the test names its servers.
        let text = match settings_text.contains("ROUTE53_CHECK_DNS=") {
            true => settings_text.to_string(),
            false => format!("ROUTE53_CHECK_DNS=off\n{settings_text}"),
        };
        let settings = Settings::from_text(
            std::path::Path::new("/etc/default/LifeKeeper"),
            text.as_bytes(),
            Vec::new(),
        );
        assert!(settings.warnings.is_empty(), "{:?}", settings.warnings);
        // A lock folder of its own: unit tests run at once in one process,
        // and one test's resource lock would make another's quickCheck
        // pass as "another action holds the lock".
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let locks = std::env::temp_dir()
            .join(format!("lkroute53-unit-{}", std::process::id()))
            .join(n.to_string());
        Ctx::with(
            settings,
            Logger::capturing("restore", "r53-app"),
            lcd,
            locks,
        )
    }
}
