//! A doctor's check is data: a name, passed, failed or for information, a
//! detail and a remedy. Every check returns one; one renderer prints them,
//! and the field capture writes the same values.

use crate::log::print;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mark {
    Pass,
    Fail,
    Info,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Check {
    pub(super) name: &'static str,
    pub(super) mark: Mark,
    pub(super) detail: String,
    /// What to do, for a failed check.
    pub(super) remedy: String,
}

impl Check {
    pub(super) fn pass(name: &'static str, detail: String) -> Check {
        Check {
            name,
            mark: Mark::Pass,
            detail,
            remedy: String::new(),
        }
    }

    pub(super) fn info(name: &'static str, detail: String) -> Check {
        Check {
            name,
            mark: Mark::Info,
            detail,
            remedy: String::new(),
        }
    }

    pub(super) fn fail(name: &'static str, detail: String, remedy: &str) -> Check {
        Check {
            name,
            mark: Mark::Fail,
            detail,
            remedy: remedy.to_string(),
        }
    }
}

/// The one renderer.
pub(super) fn render(checks: &[Check]) {
    for c in checks {
        let m = match c.mark {
            Mark::Pass => "[ ok ]",
            Mark::Fail => "[FAIL]",
            Mark::Info => "[info]",
        };
        print(&format!("{m} {}: {}", c.name, c.detail));
        if c.mark == Mark::Fail && !c.remedy.is_empty() {
            print(&format!("       remedy: {}", c.remedy));
        }
    }
}
