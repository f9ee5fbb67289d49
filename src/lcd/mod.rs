//! The LifeKeeper configuration database (LCD), as the kit asks it: one
//! trait, [`Lcd`], over the documented commands in `$LKROOT/bin`.
//! [`Commands`] runs them (by absolute path, with an argument vector, never
//! a shell, and a time limit); the procedures' unit tests drive a scripted
//! database instead. The parsers of the commands' output are pure
//! functions ([`parse`]), tested on captured lines.

mod commands;
pub(crate) mod parse;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) use commands::Commands;
pub(crate) use parse::{parse_dep_children, parse_eqv_list, parse_ins_list};

/// LifeKeeper's home, where `LKROOT` is unset.
pub(crate) const DEFAULT_LKROOT: &str = "/opt/LifeKeeper";

/// The LCD commands' documented exit statuses.
pub(crate) mod status {
    pub(crate) const SYNTAX: i32 = 2;
    pub(crate) const EXISTS: i32 = 4;
    pub(crate) const NO_SUCH_OBJECT: i32 = 7;
    pub(crate) const HAS_DEPENDENTS: i32 = 8;
    pub(crate) const UNREACHABLE: i32 = 9;
}

/// One line of `ins_list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub system: String,
    pub app: String,
    pub rtype: String,
    pub tag: String,
    pub id: String,
    pub info: String,
    pub state: String,
    /// How many fields the line had (the documented 7, then more).
    pub fields: usize,
    /// The switchback type, where a field after the state reads
    /// INTELLIGENT or AUTOMATIC (which field is not documented).
    pub switchback: Option<Switchback>,
}

/// LifeKeeper's switchback type for a resource (`ins_create -s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switchback {
    /// Switch back by hand (the GUI's default).
    Intelligent,
    /// Switch back when the higher-priority node returns.
    Automatic,
}

impl Switchback {
    pub fn as_lcd(self) -> &'static str {
        match self {
            Switchback::Intelligent => "INTELLIGENT",
            Switchback::Automatic => "AUTOMATIC",
        }
    }

    /// From a field of `ins_list`, where one reads as a switchback type.
    pub fn from_lcd(s: &str) -> Option<Switchback> {
        match s.trim().to_ascii_uppercase().as_str() {
            "INTELLIGENT" => Some(Switchback::Intelligent),
            "AUTOMATIC" => Some(Switchback::Automatic),
            _ => None,
        }
    }
}

/// One line of `eqv_list`: an equivalency seen from `system`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Equivalency {
    pub system: String,
    pub tag: String,
    pub other_system: String,
    pub other_tag: String,
    #[serde(rename = "type")]
    pub etype: String,
    pub priority: String,
    pub other_priority: String,
}

/// Which field of a `dep_list` line is the parent: documented as the
/// first; the kit reads either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepLayout {
    ParentFirst,
    ChildFirst,
}

/// A new instance, as `ins_create` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewInstance<'a> {
    pub app: &'a str,
    pub rtype: &'a str,
    pub tag: &'a str,
    pub id: &'a str,
    pub info: &'a str,
    pub switchback: Switchback,
}

/// A SHARED equivalency between `tag` here (priority `prio`) and
/// `other_tag` on `other_system` (priority `other_prio`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shared<'a> {
    pub tag: &'a str,
    pub prio: u32,
    pub other_system: &'a str,
    pub other_tag: &'a str,
    pub other_prio: u32,
}

/// One LCD command as it ran, for a field capture.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub command: String,
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// How a query that matches nothing ends on this node: each of the three
/// forms the documentation allows is "no match".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoMatch {
    /// Exit 0, nothing printed.
    Empty,
    /// A nonzero exit with nothing printed (SIOS's scripts test
    /// `ins_list -R TAG` and `eqv_list -t TAG` so).
    Silent(i32),
    /// Exit 7, "no such object", with its message.
    NoSuchObject(String),
}

/// Running an LCD command (`$LKROOT/bin/...`) went wrong.
#[derive(Debug, thiserror::Error)]
pub enum LcdError {
    #[error("cannot run {}: {source}", program.display())]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{command} did not finish within {} s and was killed", timeout.as_secs())]
    Timeout { command: String, timeout: Duration },
    #[error("{command} failed with exit status {status}{}: {stderr}", status_meaning(*status))]
    Failed {
        command: String,
        status: i32,
        stderr: String,
        /// Nothing on stdout or stderr: for a query, "nothing matches".
        silent: bool,
    },
    #[error("{command} printed output that is not in the documented form (line {line}): {reason}")]
    BadOutput {
        command: String,
        line: usize,
        reason: String,
    },
}

impl LcdError {
    /// The LCD's exit status, where the command ran and failed.
    pub fn status(&self) -> Option<i32> {
        match self {
            LcdError::Failed { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The command said "no such object" (exit 7).
    pub fn is_no_such_object(&self) -> bool {
        self.status() == Some(status::NO_SUCH_OBJECT)
    }

    /// The command said "exists already" (exit 4).
    pub fn is_exists(&self) -> bool {
        self.status() == Some(status::EXISTS)
    }

    /// The one rule for a query that found nothing: exit 7 ("a request on
    /// an object that does not exist", with its message), or a nonzero
    /// exit with nothing printed at all. A nonzero exit with any other
    /// message is a failure.
    pub fn no_match(&self) -> Option<NoMatch> {
        match self {
            LcdError::Failed { status, silent, .. } => {
                no_match_of(*status, *silent, &self.to_string())
            }
            _ => None,
        }
    }

    pub fn is_no_match(&self) -> bool {
        self.no_match().is_some()
    }
}

/// The one rule for a query that found nothing, on what the command did:
/// its exit status, whether it printed nothing at all, and its message.
pub(crate) fn no_match_of(status: i32, silent: bool, message: &str) -> Option<NoMatch> {
    if status == status::NO_SUCH_OBJECT {
        Some(NoMatch::NoSuchObject(message.to_string()))
    } else if status != 0 && silent {
        Some(NoMatch::Silent(status))
    } else {
        None
    }
}

fn status_meaning(code: i32) -> &'static str {
    match code {
        status::SYNTAX => " (syntax error)",
        status::EXISTS => " (already exists)",
        status::NO_SUCH_OBJECT => " (no such object)",
        status::HAS_DEPENDENTS => " (has dependents)",
        status::UNREACHABLE => " (node cannot be reached)",
        _ => "",
    }
}

/// The resources a resource depends on, and those that depend on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Relatives {
    pub children: Vec<String>,
    pub parents: Vec<String>,
}

/// What an `ins_list` asks for: every instance, or those of one tag, or of
/// one app and type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Select<'a> {
    All,
    Tag(&'a str),
    /// The instance of this ID (`ins_list -i ID`).
    Id(&'a str),
    Type {
        app: &'a str,
        rtype: &'a str,
    },
}

/// What quickCheck tells LifeKeeper's event notification
/// (`$LKROOT/bin/sendevent`, see sendevent(5)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event<'a> {
    /// `-C`: the class of the event.
    pub class: &'a str,
    /// `-E`: the event, which names the recovery program
    /// (`recovery/CLASS/EVENT` under the resource type's folder).
    pub event: &'a str,
    /// `-m`: who noticed.
    pub monitor: &'a str,
    /// `-n`: the resource, as LifeKeeper's recovery search finds it.
    pub name: &'a str,
}

/// The LCD of one node as the kit reads it: what every action needs. The
/// provided methods filter what a command printed, so that the kit reads
/// it the same whichever way the command filters.
pub(crate) trait Lcd: Sized {
    /// `ins_list`: the instances selected; a query that matches nothing
    /// gives none.
    fn ins_list(&self, select: Select<'_>)
        -> impl Future<Output = Result<Vec<Instance>, LcdError>>;
    /// `dep_list -c PARENT`: the children of `parent`, and which field of
    /// the output held the parent (None where it listed nothing).
    fn children_and_layout(
        &self,
        parent: &str,
    ) -> impl Future<Output = Result<(Vec<String>, Option<DepLayout>), LcdError>>;
    /// `dep_list`: every dependency of the node as printed, (first field,
    /// second field); which is the parent is [`Lcd::children_and_layout`]'s.
    fn dep_list(&self) -> impl Future<Output = Result<Vec<(String, String)>, LcdError>>;
    /// `eqv_list -t TAG`.
    fn eqv_list(&self, tag: &str) -> impl Future<Output = Result<Vec<Equivalency>, LcdError>>;
    /// `typ_list -a APP`: the resource types registered under an app.
    fn typ_list(&self, app: &str) -> impl Future<Output = Result<Vec<String>, LcdError>>;
    /// The same commands, acting on NODE's database (`-d NODE`).
    fn remote(&self, node: &str) -> Self;
    /// Whether the command is in place and executable.
    fn has(&self, command: &str) -> bool;
    /// `$LKROOT`, for messages.
    fn root(&self) -> &Path;
    /// How a query that matches nothing ends here: a query for a tag that
    /// cannot exist, its answer read by [`LcdError::no_match`].
    fn no_match_form(&self) -> impl Future<Output = Result<NoMatch, LcdError>>;
    /// The commands run so far, where this LCD records them (`doctor
    /// --capture`).
    fn recorded(&self) -> Vec<Recorded> {
        Vec::new()
    }

    /// The instance with this tag, or None when there is none.
    fn instance(&self, tag: &str) -> impl Future<Output = Result<Option<Instance>, LcdError>> {
        async move {
            let list = self.ins_list(Select::Tag(tag)).await?;
            Ok(list.into_iter().find(|i| i.tag == tag))
        }
    }

    /// Every instance of an app and type.
    fn instances_of(
        &self,
        app: &str,
        rtype: &str,
    ) -> impl Future<Output = Result<Vec<Instance>, LcdError>> {
        async move {
            let list = self.ins_list(Select::Type { app, rtype }).await?;
            Ok(list
                .into_iter()
                .filter(|i| i.app == app && i.rtype == rtype)
                .collect())
        }
    }

    /// Every instance on the node.
    fn all_instances(&self) -> impl Future<Output = Result<Vec<Instance>, LcdError>> {
        self.ins_list(Select::All)
    }

    /// The tags of the resources `parent` depends on.
    fn children(&self, parent: &str) -> impl Future<Output = Result<Vec<String>, LcdError>> {
        async move { Ok(self.children_and_layout(parent).await?.0) }
    }

    /// The equivalencies of a tag.
    fn equivalencies(&self, tag: &str) -> impl Future<Output = Result<Vec<Equivalency>, LcdError>> {
        async move {
            let list = self.eqv_list(tag).await?;
            Ok(list.into_iter().filter(|e| e.tag == tag).collect())
        }
    }

    /// The children and the parents of `tag`: `dep_list -c TAG` shows
    /// which field holds the parent, and the full listing is read the same
    /// way.
    fn relatives(&self, tag: &str) -> impl Future<Output = Result<Relatives, LcdError>> {
        async move {
            let (children, layout) = self.children_and_layout(tag).await?;
            let parent_first = layout != Some(DepLayout::ChildFirst);
            let parents = self
                .dep_list()
                .await?
                .into_iter()
                .filter_map(|(a, b)| match parent_first {
                    true => (b == tag).then_some(a),
                    false => (a == tag).then_some(b),
                })
                .collect();
            Ok(Relatives { children, parents })
        }
    }
}

/// What create, extend and delete write into the LCD.
pub(crate) trait LcdWrite: Lcd {
    fn ins_create(&self, new: &NewInstance<'_>) -> impl Future<Output = Result<(), LcdError>>;
    fn ins_remove(&self, tag: &str) -> impl Future<Output = Result<(), LcdError>>;
    fn dep_create(&self, parent: &str, child: &str) -> impl Future<Output = Result<(), LcdError>>;
    fn dep_remove(&self, parent: &str, child: &str) -> impl Future<Output = Result<(), LcdError>>;
    fn eqv_create(&self, eqv: &Shared<'_>) -> impl Future<Output = Result<(), LcdError>>;
    /// `eqv_remove` of the SHARED equivalency of `tag` with `other_tag` on
    /// `other_system`.
    fn eqv_remove(
        &self,
        tag: &str,
        other_system: &str,
        other_tag: &str,
    ) -> impl Future<Output = Result<(), LcdError>>;
    /// `app_create -a APP`: register an application; "exists" is success.
    fn app_create(&self, app: &str) -> impl Future<Output = Result<(), LcdError>>;
    /// `typ_create -a APP -r TYPE`: register a resource type under it;
    /// "exists" is success.
    fn typ_create(&self, app: &str, rtype: &str) -> impl Future<Output = Result<(), LcdError>>;
    /// `lcdsync`: make the LCD's changes lasting.
    fn lcdsync(&self) -> impl Future<Output = Result<(), LcdError>>;

    /// The app and type registered, creating what is missing ("exists" is
    /// success either way).
    fn register_type(&self, app: &str, rtype: &str) -> impl Future<Output = Result<(), LcdError>> {
        async move {
            exists_ok(self.app_create(app).await)?;
            exists_ok(self.typ_create(app, rtype).await)
        }
    }
}

/// What quickCheck tells LifeKeeper's event notification.
pub(crate) trait LcdEvents: Lcd {
    /// `sendevent`: tell LifeKeeper's event notification of an event.
    fn sendevent(&self, event: &Event<'_>) -> impl Future<Output = Result<(), LcdError>>;
}

/// A creation that found the object there already (exit 4) is done.
pub(crate) fn exists_ok(r: Result<(), LcdError>) -> Result<(), LcdError> {
    match r {
        Err(e) if e.is_exists() => Ok(()),
        other => other,
    }
}

/// A removal that found nothing to remove (exit 7) is done.
pub(crate) fn gone(r: Result<(), LcdError>) -> Result<(), LcdError> {
    match r {
        Err(e) if e.is_no_such_object() => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(status: i32, stderr: &str, silent: bool) -> LcdError {
        LcdError::Failed {
            command: "ins_list -t x".into(),
            status,
            stderr: stderr.into(),
            silent,
        }
    }

    #[test]
    fn no_match_is_exit_7_or_a_silent_failure_and_nothing_else() {
        let e = failed(
            status::NO_SUCH_OBJECT,
            "ins_list: resource \"x\" does not exist",
            false,
        );
        assert!(
            matches!(e.no_match(), Some(NoMatch::NoSuchObject(m)) if m.contains("does not exist"))
        );
        assert_eq!(failed(1, "", true).no_match(), Some(NoMatch::Silent(1)));
        assert_eq!(failed(1, "lcd is down", false).no_match(), None);
        assert_eq!(failed(status::UNREACHABLE, "node9", false).no_match(), None);
        let e = failed(status::NO_SUCH_OBJECT, "none", false);
        assert!(e.is_no_such_object() && e.to_string().contains("(no such object)"));
    }
}
