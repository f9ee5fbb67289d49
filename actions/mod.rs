//! The procedures LifeKeeper and operators run, each reading as the README
//! describes it. They reach the LCD, Route 53, the settings and time only
//! through the library's modules; [`run`] hands each the world it needs.

pub mod capture;
pub mod create;
pub mod delete;
pub mod doctor;
pub mod extend;
pub mod hooks;
pub mod policy;
pub mod quick_check;
pub mod recovery;
pub mod remove;
pub mod restore;
pub mod show;
pub mod status;
#[cfg(test)]
pub mod testing;

use lkroute53::aws::Route53;
use lkroute53::cli::Command;
use lkroute53::context::Ctx;
use lkroute53::error::ActionError;

/// Run the command. The Route 53 client is built here, once, for the
/// commands that talk to Route 53, and handed to them.
pub async fn run(ctx: &Ctx, command: &Command) -> Result<(), ActionError> {
    match command {
        Command::Extend(a) => return extend::run(ctx, &extend::Request::from(a)).await,
        Command::Hook(h) => return hooks::run(ctx, h).await,
        Command::DeleteAction(a) => return remove::delete(ctx, &a.tag).await,
        Command::Delete(a) => return delete::run(ctx, &a.tag).await,
        Command::List(_) => return status::list(ctx).await,
        Command::Policy(a) => {
            return policy::run(ctx, &a.tag, a.role, a.node_role.as_deref()).await
        }
        Command::Remove(a) => return remove::run(ctx, &a.tag).await,
        Command::Man { .. } => return Ok(()),
        _ => {}
    }
    let api = Route53::connect(&ctx.settings, &ctx.locks, ctx.log.clone()).await;
    match command {
        Command::Create(a) => create::run(ctx, &api, &create::Request::from(a)).await,
        Command::Status(a) => status::run(ctx, &api, &a.tag, a.json).await,
        Command::Doctor(a) => doctor::run(ctx, &api, &a.tag, a.capture.as_deref()).await,
        Command::Restore(a) | Command::Recover(a) => restore::run(ctx, &api, &a.tag).await,
        Command::QuickCheck(a) => quick_check::run(ctx, &api, &a.tag, a.id.as_deref()).await,
        Command::Recovery(e) => recovery::run(ctx, &api, e).await,
        _ => Ok(()),
    }
}
