//! What LifeKeeper and operators can ask of the kit, and how they say it:
//! the actions by the name the program is called under (LifeKeeper runs
//! `ACTION -t TAG -i ID`), LifeKeeper's extension hooks the same way, and
//! `lkroute53 COMMAND ...` for operators. [`parse`] turns a command line
//! into one [`Command`]; the manual pages come from the same definitions.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::error::ExitStatus;
use crate::resource::{Switchback, DEFAULT_PRIORITY};
use crate::runtime::Trouble;

/// The LifeKeeper actions, by the names they are installed under
/// (`actions/`): the program is called under one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Restore,
    Remove,
    QuickCheck,
    Recover,
    /// Run by LifeKeeper when the resource is deleted.
    Delete,
}

impl Action {
    pub(crate) const ALL: [Action; 5] = [
        Action::Restore,
        Action::Remove,
        Action::QuickCheck,
        Action::Recover,
        Action::Delete,
    ];

    /// The name it is installed and logged under.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::Restore => "restore",
            Action::Remove => "remove",
            Action::QuickCheck => "quickCheck",
            Action::Recover => "recover",
            Action::Delete => "delete",
        }
    }

    /// What it does, for its --help.
    fn about(self) -> &'static str {
        match self {
            Action::Restore => "Point the host name's A record at the address of the resource's IP resource, wait for INSYNC, verify",
            Action::Remove => "Give the resource up on this node; the A record is left as it is and no API call is made",
            Action::QuickCheck => "Check that the A record holds the IP resource's address; exit 1 when it does not, 0 when Route 53 cannot be read",
            Action::Recover => "Put the A record right again; exit 0 only when it holds the IP resource's address",
            Action::Delete => "The resource is being deleted: the A record is left as it is and the kit's lock file for it is removed",
        }
    }

    /// The one rule for an action that cannot run to its verdict (no
    /// runtime, a signal, a panic; for remove and delete also a command
    /// line they cannot read): a broken quickCheck never causes a
    /// failover, remove and delete never fail (a failed remove halts the
    /// node); restore and recover fail.
    pub(crate) fn trouble(self) -> Trouble {
        match self {
            Action::Remove | Action::Delete => Trouble::NeverFails,
            Action::QuickCheck => Trouble::Passes,
            Action::Restore | Action::Recover => Trouble::Fails,
        }
    }

    fn command(self, args: ActionArgs) -> Command {
        match self {
            Action::Restore => Command::Restore(args),
            Action::Remove => Command::Remove(args),
            Action::QuickCheck => Command::QuickCheck(args),
            Action::Recover => Command::Recover(args),
            Action::Delete => Command::DeleteAction(args),
        }
    }
}

/// LifeKeeper's hierarchy-extension hooks, installed under
/// `$LKROOT/lkadm/subsys/gen/route53/bin`.
pub(crate) const CANEXTEND: &str = "canextend";
pub(crate) const EXTEND: &str = "extend";
/// The class and event quickCheck tells LifeKeeper's sendevent of when the
/// record has gone wrong; the recovery program
/// `recovery/route53/recordfail` under the resource type's folder is
/// called under the event's name.
pub(crate) const EVENT_CLASS: &str = "route53";
pub(crate) const EVENT: &str = "recordfail";
/// Who tells it (`sendevent -m`).
pub(crate) const MONITOR: &str = "lkroute53";

const ACTION_HELP: &str = "LifeKeeper runs this action as ACTION -t TAG -i ID, as root, with LKROOT set.\n\
Example (by hand, with debug detail, changing nothing):\n  LKROOT=/opt/LifeKeeper /opt/LifeKeeper/subsys/gen/resources/route53/actions/restore -t r53-app -v --dry-run";

/// The arguments LifeKeeper gives every action.
#[derive(Debug, Parser)]
#[command(after_help = ACTION_HELP)]
pub struct ActionArgs {
    /// Tag of the Route 53 resource.
    #[arg(short = 't', long = "tag", value_name = "TAG")]
    pub tag: String,
    /// ID of the Route 53 resource (given by LifeKeeper; the tag decides).
    #[arg(short = 'i', long = "id", value_name = "ID")]
    pub id: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args, Clone, Copy, Default)]
pub struct Common {
    /// Debug detail on stderr (never a secret).
    #[arg(short = 'v', long = "verbose", global = true)]
    pub verbose: bool,
    /// Read everything, say exactly what would change, change nothing.
    #[arg(short = 'n', long = "dry-run", global = true)]
    pub dry_run: bool,
}

#[derive(Debug, Parser)]
#[command(
    name = "lkroute53",
    version,
    about = "Route 53 recovery kit for LifeKeeper: keeps a host name's A record on the node that runs the service",
    after_help = "Examples:\n  lkroute53 create --tag r53-app --zone-id Z0123456789ABCDEFGHIJ --hostname app.example.com --ip-tag ip-10.0.1.10\n  lkroute53 extend --tag r53-app --from node1 --ip-tag ip-10.0.2.20\n  lkroute53 status r53-app\n  lkroute53 doctor r53-app"
)]
struct Cli {
    #[command(subcommand)]
    program: Top,
}

/// What the operator command can be asked: a command, or (at build time)
/// its manual pages.
#[derive(Debug, Subcommand)]
enum Top {
    #[command(flatten)]
    Run(Command),
    /// Write the manual pages (lkroute53.8 and one per command) into DIR.
    #[command(hide = true)]
    Man { dir: PathBuf },
}

/// The name Pacemaker runs its resource agent under
/// (`/usr/lib/ocf/resource.d/lkroute53/route53`).
pub(crate) const OCF_AGENT: &str = "route53";

/// One call of the Pacemaker agent: the action asked for (its one
/// argument); everything else comes from the environment (`OCF_*`).
#[derive(Debug, Clone)]
pub struct OcfCall {
    pub action: String,
}

/// What the program is asked to do: run a command, write its manual
/// pages (at build time: no settings, no log, no runtime), or act as
/// Pacemaker's resource agent.
#[derive(Debug)]
pub enum Program {
    Run(Command),
    Manual(PathBuf),
    /// Called as Pacemaker's resource agent (`route53 ACTION`).
    Ocf(OcfCall),
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a Route 53 resource above an existing IP resource on this node.
    #[command(
        after_help = "Example:\n  lkroute53 create --tag r53-app --zone-id Z0123456789ABCDEFGHIJ --hostname app.example.com --ip-tag ip-10.0.1.10"
    )]
    Create(CreateArgs),
    /// Make the resource on this node from its template on another node, over this node's IP resource, tied to it by a SHARED equivalency.
    #[command(
        after_help = "Example (on node2):\n  lkroute53 extend --tag r53-app --from node1 --ip-tag ip-10.0.2.20"
    )]
    Extend(ExtendArgs),
    /// Show the resource, its IP address, the record in Route 53, whether they agree, the equivalency and the settings in force.
    #[command(
        after_help = "Exit status: 0 in sync, 1 not in sync or unreadable, 3 no such resource.\nExample:\n  lkroute53 status r53-app --json"
    )]
    Status(StatusArgs),
    /// Check everything the kit depends on, in order, each passed or failed with a remedy.
    #[command(
        after_help = "Exit status: 0 when every check passed, 1 otherwise.\nExample:\n  lkroute53 doctor r53-app"
    )]
    Doctor(DoctorArgs),
    /// Remove the Route 53 resource (its equivalencies and dependency) from the LCD; the IP resource and the DNS record stay.
    #[command(after_help = "Example:\n  lkroute53 delete r53-app --dry-run")]
    Delete(TagArgs),
    /// List the Route 53 resources on this node, one line each.
    List(CommonArgs),
    /// Print the least-privilege IAM policy for the resource, as JSON (with --role: the cross-account role's permissions and trust policy, and the node role's statement).
    #[command(
        after_help = "Example:\n  lkroute53 policy r53-app\n  lkroute53 policy r53-app --role --node-role arn:aws:iam::111122223333:role/lk-node"
    )]
    Policy(PolicyArgs),
    /// Point the A record at the IP resource's address (LifeKeeper action).
    Restore(ActionArgs),
    /// Give the resource up; the record is left as it is (LifeKeeper action).
    Remove(ActionArgs),
    /// Check that the A record holds the IP resource's address (LifeKeeper action).
    #[command(name = "quickCheck", alias = "quickcheck")]
    QuickCheck(ActionArgs),
    /// Put the A record right again (LifeKeeper action).
    Recover(ActionArgs),
    /// The resource is being deleted: the record stays, the kit's lock file goes (LifeKeeper action).
    #[command(hide = true, name = "delete-action")]
    DeleteAction(ActionArgs),
    /// LifeKeeper's hierarchy-extension hooks (canextend, extend), by the name called under.
    #[command(skip)]
    Hook(HookCall),
    /// LifeKeeper's recovery program for the kit's event, called with
    /// sendevent's options.
    #[command(skip)]
    Recovery(EventCall),
    /// An action whose command line could not be read, where the action
    /// must not fail on that (remove, delete): the run says so and exits
    /// by the action's [`Action::trouble`].
    #[command(skip)]
    Unreadable { action: Action, error: String },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Tag of the new Route 53 resource.
    #[arg(long, value_name = "TAG")]
    pub tag: String,
    /// Hosted zone ID (public or private) that holds the host name.
    #[arg(long, value_name = "ZONE")]
    pub zone_id: String,
    /// Fully qualified host name whose A record the kit keeps.
    #[arg(long, value_name = "FQDN")]
    pub hostname: String,
    /// Tag of the IP resource whose address is published.
    #[arg(long, value_name = "IPTAG")]
    pub ip_tag: String,
    /// Switchback type, as LifeKeeper's GUI offers.
    #[arg(long, value_enum, value_name = "TYPE", default_value = "intelligent")]
    pub switchback: SwitchbackArg,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct ExtendArgs {
    /// Tag of the Route 53 resource on the template node (the same tag is used here).
    #[arg(long, value_name = "TAG")]
    pub tag: String,
    /// The node that holds the template resource.
    #[arg(long, value_name = "NODE")]
    pub from: String,
    /// Tag of this node's IP resource; where not given, the one tied to the template's IP resource by an equivalency, else the only IP resource here no Route 53 resource uses.
    #[arg(long, value_name = "IPTAG")]
    pub ip_tag: Option<String>,
    /// This node's priority (2-999); the template node has 1.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PRIORITY)]
    pub priority: u32,
    /// Switchback type; where not given, the template's, else intelligent.
    #[arg(long, value_enum, value_name = "TYPE")]
    pub switchback: Option<SwitchbackArg>,
    #[command(flatten)]
    pub common: Common,
}

/// `--switchback`: LifeKeeper's switchback types.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SwitchbackArg {
    /// Switch back by hand.
    Intelligent,
    /// Switch back when the higher-priority node returns.
    Automatic,
}

impl From<SwitchbackArg> for Switchback {
    fn from(s: SwitchbackArg) -> Switchback {
        match s {
            SwitchbackArg::Intelligent => Switchback::Intelligent,
            SwitchbackArg::Automatic => Switchback::Automatic,
        }
    }
}

/// The recovery program run by LifeKeeper for the kit's event: sendevent's
/// options, of which `-n` names the resource (its ID or its tag).
#[derive(Debug, Clone)]
pub struct EventCall {
    pub args: Vec<String>,
    pub common: Common,
}

impl EventCall {
    /// The value of `-n` (also written `-nNAME`).
    pub fn name(&self) -> Option<&str> {
        let mut it = self.args.iter();
        while let Some(a) = it.next() {
            if a == "-n" {
                return it.next().map(String::as_str);
            }
            if let Some(v) = a.strip_prefix("-n").filter(|v| !v.is_empty()) {
                return Some(v);
            }
            // Every sendevent option takes a value: skip another's.
            if a.len() == 2 && a.starts_with('-') && a != "-v" {
                it.next();
            }
        }
        None
    }
}

/// A hook run by LifeKeeper, by the name it was called under.
#[derive(Debug)]
pub struct HookCall {
    /// `canextend` or `extend`.
    pub name: &'static str,
    pub args: Vec<String>,
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Tag of the Route 53 resource.
    pub tag: String,
    /// Write, for a support case, every LCD command run with its raw output, the kit's reading, the settings in force, the version and the OS release (never a secret).
    #[arg(long, value_name = "FILE")]
    pub capture: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Tag of the Route 53 resource.
    pub tag: String,
    /// One JSON object, for scripts (fields in the README).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: Common,
}

/// How `status` prints what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Lines for a person.
    Text,
    /// One JSON object, for scripts.
    Json,
}

impl StatusArgs {
    pub fn format(&self) -> Format {
        match self.json {
            true => Format::Json,
            false => Format::Text,
        }
    }
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Tag of the Route 53 resource.
    pub tag: String,
    /// The cross-account case: a role in the zone's account (ROUTE53_ROLE_ARN), assumed by the node's role.
    #[arg(long)]
    pub role: bool,
    /// The node's own role, named in the trust policy (with --role).
    #[arg(long, value_name = "ARN", requires = "role")]
    pub node_role: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// Tag of the Route 53 resource.
    pub tag: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    #[command(flatten)]
    pub common: Common,
}

/// The command a command line asks for: by the name the program is called
/// under (an action or a hook), else `lkroute53 COMMAND`. A bad command
/// line ends the process with clap's message and exit status 2.
pub fn parse(args: Vec<OsString>) -> Program {
    let called_as = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("lkroute53")
        .to_string();
    if let Some(name) = [CANEXTEND, EXTEND].into_iter().find(|h| *h == called_as) {
        let rest: Vec<String> = args
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        return Program::Run(Command::Hook(HookCall {
            name,
            common: Common {
                verbose: rest.iter().any(|a| a == "-v"),
                dry_run: rest.iter().any(|a| a == "-n" || a == "--dry-run"),
            },
            args: rest,
        }));
    }
    if called_as == OCF_AGENT {
        return Program::Ocf(OcfCall {
            action: args
                .get(1)
                .map(|a| a.to_string_lossy().into_owned())
                .unwrap_or_default(),
        });
    }
    if called_as == EVENT {
        let args: Vec<String> = args
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let verbose = args.iter().any(|a| a == "-v");
        return Program::Run(Command::Recovery(EventCall {
            args,
            common: Common {
                verbose,
                dry_run: false,
            },
        }));
    }
    let Some(action) = Action::ALL.into_iter().find(|a| a.name() == called_as) else {
        return match Cli::parse_from(&args).program {
            Top::Run(command) => Program::Run(command),
            Top::Man { dir } => Program::Manual(dir),
        };
    };
    let parsed = ActionArgs::command()
        .name(action.name())
        .bin_name(action.name())
        .about(action.about())
        .try_get_matches_from(&args)
        .and_then(|m| ActionArgs::from_arg_matches(&m));
    match parsed {
        Ok(a) => Program::Run(action.command(a)),
        // An action that must not fail on arguments it cannot read runs
        // to say so (remove and delete: a failed remove halts the node).
        Err(e) if e.use_stderr() && action.trouble() == Trouble::NeverFails => {
            Program::Run(Command::Unreadable {
                action,
                error: e.to_string(),
            })
        }
        Err(e) => e.exit(),
    }
}

impl Command {
    /// How the run ends when it cannot run to its verdict: the actions by
    /// [`Action::trouble`]; the operator commands fail.
    pub(crate) fn trouble(&self) -> Trouble {
        match self {
            Command::Restore(_) => Action::Restore.trouble(),
            Command::Remove(_) => Action::Remove.trouble(),
            Command::QuickCheck(_) => Action::QuickCheck.trouble(),
            Command::Recover(_) => Action::Recover.trouble(),
            Command::DeleteAction(_) => Action::Delete.trouble(),
            Command::Unreadable { action, .. } => action.trouble(),
            Command::Create(_)
            | Command::Extend(_)
            | Command::Status(_)
            | Command::Doctor(_)
            | Command::Delete(_)
            | Command::List(_)
            | Command::Policy(_)
            | Command::Hook(_)
            | Command::Recovery(_) => Trouble::Fails,
        }
    }

    /// The name the run logs under (the `ACTION` of its log lines), the
    /// tag it is about (empty for `list`), and its common options.
    pub fn describe(&self) -> (&'static str, String, Common) {
        match self {
            Command::Create(a) => ("create", a.tag.clone(), a.common),
            Command::Extend(a) => ("extend", a.tag.clone(), a.common),
            Command::Status(a) => ("status", a.tag.clone(), a.common),
            Command::Doctor(a) => ("doctor", a.tag.clone(), a.common),
            Command::Delete(a) => ("delete", a.tag.clone(), a.common),
            Command::List(a) => ("list", String::new(), a.common),
            Command::Policy(a) => ("policy", a.tag.clone(), a.common),
            Command::Restore(a) => (Action::Restore.name(), a.tag.clone(), a.common),
            Command::Remove(a) => (Action::Remove.name(), a.tag.clone(), a.common),
            Command::QuickCheck(a) => (Action::QuickCheck.name(), a.tag.clone(), a.common),
            Command::Recover(a) => (Action::Recover.name(), a.tag.clone(), a.common),
            Command::DeleteAction(a) => (Action::Delete.name(), a.tag.clone(), a.common),
            Command::Unreadable { action, .. } => (action.name(), String::new(), Common::default()),
            Command::Hook(h) => (h.name, h.args.get(1).cloned().unwrap_or_default(), h.common),
            Command::Recovery(e) => ("recovery", e.name().unwrap_or("").to_string(), e.common),
        }
    }
}

/// The manual pages, made from the same definitions as --help: one for
/// lkroute53 and one per command, as the main page refers to them.
pub fn man(dir: &Path) -> ExitStatus {
    let cmd = Cli::command();
    let mut pages = vec![("lkroute53".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
        let name = format!("lkroute53-{}", sub.get_name());
        pages.push((name.clone(), sub.clone().name(name)));
    }
    for (name, page) in pages {
        let path = dir.join(format!("{name}.8"));
        let mut text = Vec::new();
        let written = clap_mangen::Man::new(page)
            .section("8")
            .render(&mut text)
            .and_then(|()| std::fs::write(&path, &text));
        if let Err(e) = written {
            let _ = writeln!(
                std::io::stderr(),
                "cannot write the manual page {}: {e}",
                path.display()
            );
            return ExitStatus::Failed;
        }
    }
    ExitStatus::Ok
}

/// `-v`: the kit's own debug events and the SDK's retry decisions. The
/// SDK's signing and wire events are left out: they can carry a session
/// token.
pub(crate) fn init_debug() {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let filter = Targets::new()
        .with_target("lkroute53", LevelFilter::DEBUG)
        .with_target("aws_smithy_runtime::client::retries", LevelFilter::DEBUG)
        .with_target("aws_config", LevelFilter::INFO)
        .with_default(LevelFilter::WARN);
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_filter(filter),
        )
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_recovery_program_reads_sendevents_options() {
        let c = parse(args(&[
            "/opt/LifeKeeper/subsys/gen/resources/route53/recovery/route53/recordfail",
            "-C",
            "route53",
            "-E",
            "recordfail",
            "-m",
            "lkroute53",
            "-n",
            "route53:Z1:app.example.com",
            "-s",
            "3",
        ]));
        let Program::Run(Command::Recovery(e)) = c else {
            panic!("not the recovery program: {c:?}")
        };
        assert_eq!(e.name(), Some("route53:Z1:app.example.com"));
        let e = EventCall {
            args: vec!["-m".into(), "-nX".into(), "-nr53-app".into()],
            common: Common::default(),
        };
        assert_eq!(e.name(), Some("r53-app"));
        let e = EventCall {
            args: vec!["-n".into()],
            common: Common::default(),
        };
        assert_eq!(e.name(), None);
    }

    /// Every name actions/links installs is one the program answers to, and
    /// every name the program answers to is installed.
    #[test]
    fn every_installed_name_is_one_the_program_answers_to() {
        let installed: Vec<&str> = include_str!("../actions/links")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let link = l.split_whitespace().next().expect("a link");
                link.rsplit('/').next().expect("a name")
            })
            .collect();
        let mut known: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
        known.extend([CANEXTEND, EXTEND, EVENT, OCF_AGENT, "lkroute53"]);
        let mut a = installed.clone();
        a.sort_unstable();
        known.sort_unstable();
        assert_eq!(a, known);
        for name in installed.into_iter().filter(|n| *n != "lkroute53") {
            let called = format!("/opt/x/{name}");
            match parse(args(&[called.as_str(), "-t", "r53-app"])) {
                Program::Run(Command::Unreadable { .. }) => panic!("{name} not understood"),
                Program::Run(_) | Program::Manual(_) | Program::Ocf(_) => {}
            }
        }
    }
}
