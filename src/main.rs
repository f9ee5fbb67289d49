//! The multi-call entry point: `restore`, `remove`, `quickCheck` and
//! `recover` by the name it is called under (LifeKeeper runs
//! `ACTION -t TAG -i ID`), or `lkroute53 COMMAND ...`. It only picks the
//! command, runs it, and turns the result into one message and the exit
//! status.

#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use lkroute53::actions::{self, create, extend};
use lkroute53::context::Ctx;
use lkroute53::error::{ActionError, ExitStatus};
use lkroute53::hooks;
use lkroute53::log::Msg;
use lkroute53::resource::Switchback;
use lkroute53::route53::Route53;

const ACTION_HELP: &str = "LifeKeeper runs this action as ACTION -t TAG -i ID, as root, with LKROOT set.\n\
Example (by hand, with debug detail, changing nothing):\n  LKROOT=/opt/LifeKeeper /opt/LifeKeeper/subsys/gen/resources/route53/actions/restore -t r53-app -v --dry-run";

/// The arguments LifeKeeper gives every action.
#[derive(Debug, Parser)]
#[command(after_help = ACTION_HELP)]
struct ActionArgs {
    /// Tag of the Route 53 resource.
    #[arg(short = 't', long = "tag", value_name = "TAG")]
    tag: String,
    /// ID of the Route 53 resource (given by LifeKeeper; the tag decides).
    #[arg(short = 'i', long = "id", value_name = "ID")]
    id: Option<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args, Clone, Copy)]
struct Common {
    /// Debug detail on stderr (never a secret).
    #[arg(short = 'v', long = "verbose", global = true)]
    verbose: bool,
    /// Read everything, say exactly what would change, change nothing.
    #[arg(short = 'n', long = "dry-run", global = true)]
    dry_run: bool,
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
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
    /// Write the manual pages (lkroute53.8 and one per command) into DIR.
    #[command(hide = true)]
    Man { dir: std::path::PathBuf },
}

#[derive(Debug, Args)]
struct CreateArgs {
    /// Tag of the new Route 53 resource.
    #[arg(long, value_name = "TAG")]
    tag: String,
    /// Hosted zone ID (public or private) that holds the host name.
    #[arg(long, value_name = "ZONE")]
    zone_id: String,
    /// Fully qualified host name whose A record the kit keeps.
    #[arg(long, value_name = "FQDN")]
    hostname: String,
    /// Tag of the IP resource whose address is published.
    #[arg(long, value_name = "IPTAG")]
    ip_tag: String,
    /// Switchback type, as LifeKeeper's GUI offers.
    #[arg(long, value_enum, value_name = "TYPE", default_value = "intelligent")]
    switchback: SwitchbackArg,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct ExtendArgs {
    /// Tag of the Route 53 resource on the template node (the same tag is used here).
    #[arg(long, value_name = "TAG")]
    tag: String,
    /// The node that holds the template resource.
    #[arg(long, value_name = "NODE")]
    from: String,
    /// Tag of this node's IP resource; where not given, the one tied to the template's IP resource by an equivalency, else the only IP resource here no Route 53 resource uses.
    #[arg(long, value_name = "IPTAG")]
    ip_tag: Option<String>,
    /// This node's priority (2-999); the template node has 1.
    #[arg(long, value_name = "N", default_value_t = extend::DEFAULT_PRIORITY)]
    priority: u32,
    /// Switchback type; where not given, the template's, else intelligent.
    #[arg(long, value_enum, value_name = "TYPE")]
    switchback: Option<SwitchbackArg>,
    #[command(flatten)]
    common: Common,
}

/// `--switchback`: LifeKeeper's switchback types.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SwitchbackArg {
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

/// A hook run by LifeKeeper, by the name it was called under.
#[derive(Debug)]
struct HookCall {
    name: &'static str,
    args: Vec<String>,
    common: Common,
}

#[derive(Debug, Args)]
struct DoctorArgs {
    /// Tag of the Route 53 resource.
    tag: String,
    /// Write, for a support case, every LCD command run with its raw output, the kit's reading, the settings in force, the version and the OS release (never a secret).
    #[arg(long, value_name = "FILE")]
    capture: Option<std::path::PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct StatusArgs {
    /// Tag of the Route 53 resource.
    tag: String,
    /// One JSON object, for scripts (fields in the README).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct PolicyArgs {
    /// Tag of the Route 53 resource.
    tag: String,
    /// The cross-account case: a role in the zone's account (ROUTE53_ROLE_ARN), assumed by the node's role.
    #[arg(long)]
    role: bool,
    /// The node's own role, named in the trust policy (with --role).
    #[arg(long, value_name = "ARN", requires = "role")]
    node_role: Option<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct TagArgs {
    /// Tag of the Route 53 resource.
    tag: String,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct CommonArgs {
    #[command(flatten)]
    common: Common,
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let called_as = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("lkroute53")
        .to_string();
    let command = if called_as == hooks::CANEXTEND || called_as == hooks::EXTEND {
        let rest: Vec<String> = args
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        Command::Hook(HookCall {
            name: if called_as == hooks::CANEXTEND {
                hooks::CANEXTEND
            } else {
                hooks::EXTEND
            },
            common: Common {
                verbose: rest.iter().any(|a| a == "-v"),
                dry_run: rest.iter().any(|a| a == "-n" || a == "--dry-run"),
            },
            args: rest,
        })
    } else if let Some(action) = actions::ACTIONS.iter().find(|a| **a == called_as) {
        let cmd = ActionArgs::command()
            .name(*action)
            .bin_name(*action)
            .about(about(action));
        let parsed = cmd
            .try_get_matches_from(&args)
            .and_then(|m| ActionArgs::from_arg_matches(&m))
            .unwrap_or_else(|e| e.exit());
        match *action {
            actions::RESTORE => Command::Restore(parsed),
            actions::REMOVE => Command::Remove(parsed),
            actions::QUICK_CHECK => Command::QuickCheck(parsed),
            actions::DELETE => Command::DeleteAction(parsed),
            _ => Command::Recover(parsed),
        }
    } else {
        Cli::parse_from(&args).command
    };
    ExitCode::from(run(command).code())
}

/// What each action does, for its --help.
fn about(action: &str) -> &'static str {
    match action {
        actions::RESTORE => "Point the host name's A record at the address of the resource's IP resource, wait for INSYNC, verify",
        actions::REMOVE => "Give the resource up on this node; the A record is left as it is and no API call is made",
        actions::QUICK_CHECK => "Check that the A record holds the IP resource's address; exit 1 when it does not, 0 when Route 53 cannot be read",
        actions::DELETE => "The resource is being deleted: the A record is left as it is and the kit's lock file for it is removed",
        _ => "Put the A record right again; exit 0 only when it holds the IP resource's address",
    }
}

fn run(command: Command) -> ExitStatus {
    let (name, tag, common) = match &command {
        Command::Create(a) => ("create", a.tag.clone(), a.common),
        Command::Extend(a) => ("extend", a.tag.clone(), a.common),
        Command::Status(a) => ("status", a.tag.clone(), a.common),
        Command::Doctor(a) => ("doctor", a.tag.clone(), a.common),
        Command::Delete(a) => ("delete", a.tag.clone(), a.common),
        Command::List(a) => ("list", String::new(), a.common),
        Command::Policy(a) => ("policy", a.tag.clone(), a.common),
        Command::Restore(a) => (actions::RESTORE, a.tag.clone(), a.common),
        Command::Remove(a) => (actions::REMOVE, a.tag.clone(), a.common),
        Command::QuickCheck(a) => (actions::QUICK_CHECK, a.tag.clone(), a.common),
        Command::Recover(a) => (actions::RECOVER, a.tag.clone(), a.common),
        Command::DeleteAction(a) => (actions::DELETE, a.tag.clone(), a.common),
        Command::Hook(h) => (h.name, h.args.get(1).cloned().unwrap_or_default(), h.common),
        Command::Man { dir } => return man(dir),
    };
    if common.verbose {
        init_debug();
    }
    let mut ctx = Ctx::new(name, &tag);
    ctx.dry_run = common.dry_run;
    if matches!(&command, Command::Doctor(a) if a.capture.is_some()) {
        ctx.lcd = ctx.lcd.clone().recording().0;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            ctx.log.error(
                Msg::ResourceProblem,
                &format!("cannot start the runtime: {e}"),
            );
            ctx.log.finish(LOG_GRACE);
            return if name == actions::QUICK_CHECK {
                ExitStatus::Ok
            } else {
                ExitStatus::Failed
            };
        }
    };
    let status = runtime.block_on(async {
        tokio::select! {
            result = dispatch(&ctx, &command) => match result {
                Ok(()) => ExitStatus::Ok,
                Err(e) => {
                    ctx.log.error(message_id(&e), &e.to_string());
                    e.exit_status()
                }
            },
            (name, status) = stop_signal() => {
                let (stage, record) = ctx.progress.now();
                ctx.log.error(
                    Msg::Stopped,
                    &format!("stopped by {name} while {stage}; the record, as far as known: {record}"),
                );
                status
            }
        }
    });
    let left = lkroute53::leftovers::stop_all();
    if left > 0 {
        ctx.log.warn(
            Msg::Leftovers,
            &format!("stopped {left} process(es) this run had started and left behind (a credential_process that did not finish?)"),
        );
    }
    ctx.log.finish(LOG_GRACE);
    // No teardown: dropping the runtime, the client's connection pools and
    // the caches one by one would only cost time; the process ends here.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    std::process::exit(i32::from(status.code()))
}

/// The first SIGTERM or SIGINT, by name, with the exit status it gives.
/// Where the handlers cannot be set, this never ends.
async fn stop_signal() -> (&'static str, ExitStatus) {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => tokio::select! {
            _ = term.recv() => ("SIGTERM", ExitStatus::Terminated),
            _ = int.recv() => ("SIGINT", ExitStatus::Interrupted),
        },
        _ => std::future::pending().await,
    }
}

/// How long stderr may take to write what is queued at the end of a run.
const LOG_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// Run the command. The Route 53 client is built here, once, for the
/// commands that talk to Route 53, and handed to them.
async fn dispatch(ctx: &Ctx, command: &Command) -> Result<(), ActionError> {
    match command {
        Command::Extend(a) => {
            let req = extend::Request {
                tag: a.tag.clone(),
                template_tag: a.tag.clone(),
                from: a.from.clone(),
                ip_tag: a.ip_tag.clone(),
                priority: a.priority,
                switchback: a.switchback.map(Switchback::from),
            };
            return extend::run(ctx, &req).await;
        }
        Command::Hook(h) => return hook(ctx, h.name, &h.args).await,
        Command::DeleteAction(a) => return actions::remove::delete(ctx, &a.tag).await,
        Command::Delete(a) => return actions::delete::run(ctx, &a.tag).await,
        Command::List(_) => return actions::status::list(ctx).await,
        Command::Policy(a) => {
            return actions::policy::run(ctx, &a.tag, a.role, a.node_role.as_deref()).await
        }
        Command::Remove(a) => return actions::remove::run(ctx, &a.tag).await,
        Command::Man { .. } => return Ok(()),
        _ => {}
    }
    let api = Route53::connect(&ctx.settings).await;
    match command {
        Command::Create(a) => {
            let req = create::Request {
                tag: a.tag.clone(),
                zone_id: a.zone_id.clone(),
                hostname: a.hostname.clone(),
                ip_tag: a.ip_tag.clone(),
                switchback: a.switchback.into(),
            };
            create::run(ctx, &api, &req).await
        }
        Command::Status(a) => actions::status::run(ctx, &api, &a.tag, a.json).await,
        Command::Doctor(a) => actions::doctor::run(ctx, &api, &a.tag, a.capture.as_deref()).await,
        Command::Restore(a) | Command::Recover(a) => actions::restore::run(ctx, &api, &a.tag).await,
        Command::QuickCheck(a) => {
            actions::quick_check::run(ctx, &api, &a.tag, a.id.as_deref()).await
        }
        _ => Ok(()),
    }
}

/// canextend: say whether (and over which IP resource) the template could
/// be extended here; extend: do it.
async fn hook(ctx: &Ctx, name: &str, args: &[String]) -> Result<(), ActionError> {
    let req = hooks::request(args).map_err(|reason| {
        ActionError::Resource(lkroute53::error::ResourceError::BadArgument {
            what: "hook arguments",
            value: args.join(" "),
            reason,
        })
    })?;
    if name == hooks::EXTEND {
        return extend::run(ctx, &req).await;
    }
    let plan = extend::check(ctx, &req).await?;
    ctx.log.info(
        Msg::Extended,
        &format!(
            "{} on {} can be extended here as {} over IP resource {} ({}; {})",
            req.template_tag, req.from, req.tag, plan.ip_tag, plan.address, plan.ip_how
        ),
    );
    Ok(())
}

fn message_id(e: &ActionError) -> Msg {
    match e {
        ActionError::Record(lkroute53::error::RecordError::Unmanaged(_)) => Msg::Unmanaged,
        ActionError::Record(_)
        | ActionError::StatusNotInSync { .. }
        | ActionError::ChecksFailed { .. } => Msg::CheckMismatch,
        ActionError::NotInSync { .. } => Msg::NotInSync,
        ActionError::Resource(_) => Msg::ResourceProblem,
        ActionError::Route53(_) => Msg::Route53Problem,
        ActionError::Lock(_) => Msg::Busy,
    }
}

/// The manual pages, made from the same definitions as --help: one for
/// lkroute53 and one per command, as the main page refers to them.
fn man(dir: &Path) -> ExitStatus {
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
fn init_debug() {
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
