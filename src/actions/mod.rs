//! The procedures LifeKeeper and operators run, each reading as the README
//! describes it. They reach the LCD, Route 53, the settings and time only
//! through the library's modules; [`main`] builds the world a command
//! needs and [`run`] hands it to the one procedure asked for.

mod common;
mod create;
mod delete;
mod doctor;
mod extend;
mod policy;
mod quick_check;
mod recovery;
mod remove;
mod repair;
mod restore;
mod show;
mod status;
#[cfg(test)]
mod testing;

// What the Pacemaker agent runs of the procedures (src/pacemaker/).
pub(crate) use quick_check::{dns_settles, judge, within_limit, Dns};
pub(crate) use repair::put_right;

use crate::aws::Route53;
use crate::cli::{Command, PolicyArgs};
use crate::context::Ctx;
use crate::error::{ActionError, ExitStatus};

/// Run one command to its exit status: the settings read and the logger
/// set up for it, the procedure run on its own runtime (see `runtime`).
pub fn main(command: &Command) -> ExitStatus {
    let (name, tag, common) = command.describe();
    if common.verbose {
        crate::cli::init_debug();
    }
    let mut ctx = Ctx::new(name, &tag);
    ctx.dry_run = common.dry_run;
    if matches!(command, Command::Doctor(a) if a.capture.is_some()) {
        ctx.lcd = ctx.lcd.recording();
    }
    crate::runtime::run(&ctx, command.trouble(), run(&ctx, command))
}

/// The one dispatch: every command to its procedure. The Route 53 client
/// is built here, once, for the commands that talk to Route 53.
async fn run(ctx: &Ctx, command: &Command) -> Result<(), ActionError> {
    let route53 = || Route53::connect(&ctx.settings, &ctx.locks, ctx.log.clone());
    match command {
        Command::Create(a) => create::run(ctx, &route53().await, &create::Request::from(a)).await,
        Command::Extend(a) => extend::run(ctx, &extend::Request::from(a)).await,
        Command::Status(a) => status::run(ctx, &route53().await, &a.tag, a.format()).await,
        Command::Doctor(a) => {
            doctor::run(ctx, &route53().await, &a.tag, a.capture.as_deref()).await
        }
        Command::Delete(a) => delete::run(ctx, &a.tag).await,
        Command::List(_) => status::list(ctx).await,
        Command::Policy(a) => policy::run(ctx, &a.tag, policy_shape(a)).await,
        Command::Restore(a) | Command::Recover(a) => {
            restore::run(ctx, &route53().await, &a.tag, a.id.as_deref()).await
        }
        Command::Remove(a) => remove::run(ctx, &a.tag).await,
        Command::QuickCheck(a) => {
            quick_check::run(ctx, &route53().await, &a.tag, a.id.as_deref()).await
        }
        Command::DeleteAction(a) => remove::delete(ctx, &a.tag).await,
        Command::Hook(h) => extend::hook(ctx, h).await,
        Command::Recovery(e) => recovery::run(ctx, &route53().await, e).await,
        Command::Unreadable { action, error } => Err(ActionError::Unreadable {
            action: action.name(),
            detail: error.lines().next().unwrap_or("").to_string(),
        }),
    }
}

fn policy_shape(a: &PolicyArgs) -> policy::Shape<'_> {
    match a.role {
        true => policy::Shape::CrossAccount {
            node_role: a.node_role.as_deref(),
        },
        false => policy::Shape::SameAccount,
    }
}
