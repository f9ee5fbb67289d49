//! What every action run carries: the settings read for this run, the
//! logger, and this node's LCD.

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
}

impl Ctx {
    /// Read the settings (logging each problem with the file) and set up
    /// the logger and the LCD.
    pub fn new(action: &str, tag: &str) -> Ctx {
        let settings = Settings::load();
        let log = Logger::new(action, tag, settings.syslog_selector.as_deref());
        for w in &settings.warnings {
            log.warn(Msg::Settings, &w.0);
        }
        let lcd = Lcd::from_env().with_timeout(settings.secs(crate::settings::LCD_TIMEOUT));
        Ctx {
            lcd,
            settings,
            log,
            dry_run: false,
        }
    }
}
