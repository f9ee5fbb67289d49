//! Pacemaker: the kit as an OCF resource agent, provider `lkroute53`, type
//! `route53` (`/usr/lib/ocf/resource.d/lkroute53/route53`, a link to the
//! one program). This is the adapter, and the only place that knows
//! Pacemaker: what LifeKeeper reads from its LCD (the record, the address)
//! comes here from the resource's parameters, and the same procedures run
//! over it: `start` is restore's (`repair::put_right`), `monitor`
//! quickCheck's (`quick_check::dns_settles`, then `judge`), `stop` gives
//! the resource up as remove does. Exit codes are the OCF resource agent API's; the
//! started state is a file under `HA_RSCTMP`, as other agents keep it.

mod metadata;
mod params;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::actions::{dns_settles, judge, put_right, within_limit, Dns};
use crate::aws::Route53;
use crate::cli::OcfCall;
use crate::context::Ctx;
use crate::error::{ActionError, ExitStatus};
use crate::log::{Logger, Msg};
use crate::resource::{Loaded, Manager};
use crate::runtime::Trouble;
use crate::settings::Settings;

/// The name the agent is installed and run under.
pub(crate) const AGENT: &str = crate::cli::OCF_AGENT;
/// The defaults file of a node without LifeKeeper.
pub(crate) const DEFAULTS_FILE: &str = "/etc/default/lkroute53";
/// LifeKeeper's, read instead where it exists (one node, one file).
pub(crate) const LIFEKEEPER_DEFAULTS: &str = "/etc/default/LifeKeeper";
/// Where the started state lives when `HA_RSCTMP` does not say.
const RSCTMP: &str = "/run/resource-agents";

/// The OCF resource agent API's exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Success = 0,
    ErrGeneric = 1,
    ErrArgs = 2,
    ErrUnimplemented = 3,
    ErrConfigured = 6,
    NotRunning = 7,
}

impl Status {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// The actions that run (meta-data and usage only print).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Start,
    Stop,
    Monitor,
    Validate,
}

impl Act {
    fn name(self) -> &'static str {
        match self {
            Act::Start => "start",
            Act::Stop => "stop",
            Act::Monitor => "monitor",
            Act::Validate => "validate-all",
        }
    }
}

const USAGE: &str = "usage: route53 {start|stop|monitor|validate-all|meta-data|usage}
An OCF resource agent (ocf:lkroute53:route53): run by Pacemaker, its parameters in
OCF_RESKEY_hostedzoneid, OCF_RESKEY_fullname, OCF_RESKEY_ip, ...; see meta-data.";

/// Run the action Pacemaker asks for, to its OCF exit code.
pub fn main(call: &OcfCall) -> Status {
    let act = match call.action.as_str() {
        "meta-data" => {
            crate::log::print(metadata::xml().trim_end());
            return Status::Success;
        }
        "usage" | "help" | "--help" | "-h" => {
            crate::log::print(USAGE);
            return Status::Success;
        }
        "start" => Act::Start,
        "stop" => Act::Stop,
        "monitor" => Act::Monitor,
        "validate-all" => Act::Validate,
        _ => {
            eprintln!("{USAGE}");
            return Status::ErrUnimplemented;
        }
    };
    let instance = std::env::var("OCF_RESOURCE_INSTANCE").unwrap_or_default();
    let log = Logger::ocf(act.name(), &instance);
    let mut settings = Settings::load_from(&defaults_file(
        std::env::var_os(crate::settings::DEFAULTS_FILE_ENV).map(PathBuf::from),
    ));
    for w in settings.warnings_shown() {
        log.warn(Msg::Settings, &w.0);
    }
    let state = match State::of(&instance, std::env::var_os("HA_RSCTMP").map(PathBuf::from)) {
        Ok(state) => state,
        Err(why) => {
            log.error(Msg::Agent, &why);
            log.finish(Duration::from_millis(500));
            return match act {
                Act::Stop => Status::Success,
                _ => Status::ErrConfigured,
            };
        }
    };
    let resource = params::read(&instance, |k| std::env::var(k).ok(), &mut settings);
    let mut ctx = Ctx::with(settings, log, (), crate::lock::folder());
    ctx.interactive = std::io::stderr().is_terminal();
    run(&ctx, act, &state, resource)
}

/// The defaults file: the one `LK_DEFAULTS_FILE` names, else LifeKeeper's
/// where it exists (a node that runs both), else the kit's own.
fn defaults_file(named: Option<PathBuf>) -> PathBuf {
    match named.filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => p,
        None if Path::new(LIFEKEEPER_DEFAULTS).exists() => PathBuf::from(LIFEKEEPER_DEFAULTS),
        None => PathBuf::from(DEFAULTS_FILE),
    }
}

fn run(
    ctx: &Ctx<()>,
    act: Act,
    state: &State,
    resource: Result<params::Resource, Vec<String>>,
) -> Status {
    let refused = |problems: &[String]| {
        for p in problems {
            ctx.log.error(Msg::Agent, p);
        }
        ctx.log.finish(Duration::from_millis(500));
        Status::ErrConfigured
    };
    match act {
        Act::Validate => match resource {
            Ok(r) => {
                if ctx.interactive {
                    ctx.log.info(
                        Msg::Agent,
                        &format!(
                            "the parameters are usable: the A record {} in zone {} follows this resource with {}",
                            r.record.hostname, r.record.zone_id, r.address
                        ),
                    );
                }
                ctx.log.finish(Duration::from_millis(500));
                Status::Success
            }
            Err(problems) => refused(&problems),
        },
        Act::Stop => {
            let status =
                crate::runtime::run(ctx, Trouble::NeverFails, stop(ctx, state, resource.ok()));
            debug_assert_eq!(status, ExitStatus::Ok);
            Status::Success
        }
        // A probe or a monitor of a resource not started here: nothing is
        // asked of anyone.
        Act::Monitor if !state.started() => Status::NotRunning,
        Act::Monitor => match resource {
            Ok(r) => {
                let l = loaded(&r);
                let status = crate::runtime::run(ctx, Trouble::Passes, monitor(ctx, &l));
                match status {
                    ExitStatus::Ok => Status::Success,
                    _ => Status::ErrGeneric,
                }
            }
            Err(problems) => refused(&problems),
        },
        Act::Start => match resource {
            Ok(r) => {
                // Marked started before the record is written: a start
                // that fails is then stopped by Pacemaker, which clears
                // it; a state that cannot be kept changes nothing.
                if let Err(e) = state.mark_started() {
                    ctx.log.error(
                        Msg::Agent,
                        &format!(
                            "cannot record the resource as started in {} ({e}); nothing was changed",
                            state.path.display()
                        ),
                    );
                    ctx.log.finish(Duration::from_millis(500));
                    return Status::ErrGeneric;
                }
                let l = loaded(&r);
                start_status(crate::runtime::run(ctx, Trouble::Fails, start(ctx, &l)))
            }
            Err(problems) => refused(&problems),
        },
    }
}

/// What the record should hold: the parameters' address, named as such.
fn loaded(r: &params::Resource) -> Loaded {
    let node = crate::text::printable(&crate::aws::estate::node_name());
    Loaded {
        manager: Manager::Pacemaker,
        writer: format!("Pacemaker {} on {node}", r.record.tag),
        resource: r.record.clone(),
        source: "parameter ip".into(),
        address: r.address,
    }
}

/// The OCF code of start's exit status: every failure is a generic one
/// (Pacemaker then stops the resource and tries it elsewhere); a command
/// line that cannot be read is ERR_ARGS.
fn start_status(status: ExitStatus) -> Status {
    match status {
        ExitStatus::Ok => Status::Success,
        ExitStatus::Usage => Status::ErrArgs,
        _ => Status::ErrGeneric,
    }
}

async fn start(ctx: &Ctx<()>, l: &Loaded) -> Result<(), ActionError> {
    let api = Route53::connect(&ctx.settings, &ctx.locks, ctx.log.clone()).await;
    put_right(ctx, &api, l).await
}

/// monitor of a started resource: quickCheck's check within
/// `ROUTE53_QUICKCHECK_TIMEOUT`, DNS first; the Route 53 client is made
/// only where DNS does not settle it. Only a record that holds another
/// address (or none) fails it; trouble reading it passes.
async fn monitor(ctx: &Ctx<()>, l: &Loaded) -> Result<(), ActionError> {
    let check = async {
        if dns_settles(ctx, l, &Dns::of(ctx), None).await {
            return Ok(());
        }
        let api = Route53::connect(&ctx.settings, &ctx.locks, ctx.log.clone()).await;
        judge(ctx, &api, l, None).await
    };
    within_limit(ctx, check).await.unwrap_or(Ok(()))
}

/// stop: the record is left as it is (as remove leaves it) and the
/// resource marked stopped. Never fails: a failed stop gets the node
/// fenced.
async fn stop(
    ctx: &Ctx<()>,
    state: &State,
    r: Option<params::Resource>,
) -> Result<(), ActionError> {
    if let Err(e) = state.mark_stopped() {
        ctx.log.error(
            Msg::Agent,
            &format!(
                "could not remove {} ({e}); stop succeeds all the same",
                state.path.display()
            ),
        );
    }
    let what = r.map_or_else(
        || "the A record".to_string(),
        |r| {
            format!(
                "A record {} in zone {}",
                r.record.hostname, r.record.zone_id
            )
        },
    );
    ctx.log.info(
        Msg::Remove,
        &format!("{what} is left as it is; the node that starts the resource next points it at its own address"),
    );
    Ok(())
}

/// The started state of one resource: a file under `HA_RSCTMP`.
#[derive(Debug)]
struct State {
    path: PathBuf,
}

impl State {
    /// The state file of `instance` (Pacemaker's resource name, with
    /// `:N` for a clone's copy), or why the name cannot name one.
    fn of(instance: &str, rsctmp: Option<PathBuf>) -> Result<State, String> {
        let usable = !instance.is_empty()
            && instance.len() <= 200
            && !instance.starts_with('.')
            && instance
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-:".contains(c));
        if !usable {
            return Err(format!(
                "OCF_RESOURCE_INSTANCE={:?} is not a resource name (letters, digits, '.', '_', '-', ':'); Pacemaker sets it",
                crate::text::short(instance)
            ));
        }
        let dir = rsctmp
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from(RSCTMP));
        Ok(State {
            path: dir.join(format!("{AGENT}-{instance}.state")),
        })
    }

    fn started(&self) -> bool {
        self.path.is_file()
    }

    fn mark_started(&self) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&self.path, b"started\n")
    }

    fn mark_stopped(&self) -> std::io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_lives_under_ha_rsctmp_and_names_are_checked() {
        let dir = std::env::temp_dir().join(format!("lkr53-ocf-{}", std::process::id()));
        let s = State::of("dns-app:0", Some(dir.clone())).expect("a name");
        assert_eq!(s.path, dir.join("route53-dns-app:0.state"));
        assert!(!s.started());
        s.mark_started().expect("started");
        assert!(s.started());
        s.mark_stopped().expect("stopped");
        s.mark_stopped().expect("stopped twice");
        assert!(!s.started());
        let d = State::of("x", None).expect("a name");
        assert_eq!(d.path, Path::new("/run/resource-agents/route53-x.state"));
        for bad in ["", "../x", ".hidden", "a/b", "a b"] {
            assert!(State::of(bad, None).is_err(), "{bad:?}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_named_file_then_lifekeeper_s_then_the_kit_s() {
        assert_eq!(
            defaults_file(Some(PathBuf::from("/tmp/x"))),
            PathBuf::from("/tmp/x")
        );
        let standard = defaults_file(None);
        assert!(standard == Path::new(LIFEKEEPER_DEFAULTS) || standard == Path::new(DEFAULTS_FILE));
    }

    #[test]
    fn every_start_failure_is_generic() {
        assert_eq!(start_status(ExitStatus::Ok), Status::Success);
        for s in [
            ExitStatus::Failed,
            ExitStatus::Resource,
            ExitStatus::Route53,
            ExitStatus::NotInSync,
            ExitStatus::Busy,
            ExitStatus::CannotRun,
            ExitStatus::Terminated,
        ] {
            assert_eq!(start_status(s), Status::ErrGeneric);
        }
    }
}
