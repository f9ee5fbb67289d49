//! remove: give the resource up on this node. The A record stays as it is:
//! the next node's restore points it at that node's address, and deleting
//! it would make resolvers cache a negative answer in the meantime. No API
//! call is made; the LCD is read only to name the record in the log. With
//! `--dry-run` it does the same: it changes nothing either way.

use lkroute53::context::Ctx;
use lkroute53::error::ActionError;
use lkroute53::lcd::Lcd;
use lkroute53::log::Msg;
use lkroute53::resource::{self, Route53Resource};

pub async fn run(ctx: &Ctx<impl Lcd>, tag: &str) -> Result<(), ActionError> {
    resource::check_tag("tag", tag)?;
    let what = match ctx.lcd.instance(tag).await {
        Ok(Some(inst)) => match Route53Resource::from_instance(&inst) {
            Ok(r) => format!("A record {} in zone {}", r.hostname, r.zone_id),
            Err(_) => "the A record".to_string(),
        },
        _ => "the A record".to_string(),
    };
    ctx.log.info(
        Msg::Remove,
        &format!("{what} is left as it is; the node that restores the resource next points it at its own address"),
    );
    Ok(())
}

/// The `delete` action, which LifeKeeper runs when the resource is deleted:
/// the DNS record stays as it is (as with remove); what the kit keeps per
/// resource on this node, its lock file, is removed.
pub async fn delete(ctx: &Ctx<impl Lcd>, tag: &str) -> Result<(), ActionError> {
    resource::check_tag("tag", tag)?;
    let lock = lkroute53::lock::path_for(&ctx.locks, tag);
    let what = match std::fs::remove_file(&lock) {
        Ok(()) => format!("removed its lock file {}", lock.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "it had no lock file".to_string(),
        Err(e) => format!("could not remove its lock file {} ({e})", lock.display()),
    };
    ctx.log.info(
        Msg::Deleted,
        &format!("resource {tag} deleted: the A record is left as it is; {what}"),
    );
    Ok(())
}
