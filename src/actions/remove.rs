//! remove: give the resource up on this node. The A record stays as it is:
//! the next node's restore points it at that node's address, and deleting
//! it would make resolvers cache a negative answer in the meantime. No API
//! call is made; the LCD is read only to name the record in the log. With
//! `--dry-run` it does the same: it changes nothing either way.
//!
//! remove never fails: it changes nothing in Route 53, and a remove that
//! fails during recovery halts the node (LifeKeeper logs `failed to remove
//! resource ... SYSTEM HALTED`). What went wrong is logged, and it exits 0.
//! So does the `delete` action.

use crate::context::Ctx;
use crate::error::ActionError;
use crate::lcd::Lcd;
use crate::log::Msg;
use crate::resource::{self, Route53Resource};

pub(super) async fn run(ctx: &Ctx<impl Lcd>, tag: &str) -> Result<(), ActionError> {
    if let Err(e) = resource::check_tag("tag", tag) {
        ctx.log.error(
            Msg::Remove,
            &format!("{e}; nothing to give up here, and remove never fails"),
        );
        return Ok(());
    }
    ctx.progress.stage("reading the resource from the LCD");
    let what = match ctx.lcd.instance(tag).await {
        Ok(Some(inst)) => match Route53Resource::from_instance(&inst) {
            Ok(r) => format!("A record {} in zone {}", r.hostname, r.zone_id),
            Err(e) => {
                ctx.log.warn(Msg::Remove, &format!("{e}"));
                "the A record".to_string()
            }
        },
        Ok(None) => {
            ctx.log.warn(
                Msg::Remove,
                &format!("no resource {tag:?} in the LCD; nothing of it to give up here"),
            );
            "the A record".to_string()
        }
        Err(e) => {
            ctx.log.warn(
                Msg::Remove,
                &format!("the LCD could not name the record ({e})"),
            );
            "the A record".to_string()
        }
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
pub(super) async fn delete(ctx: &Ctx<impl Lcd>, tag: &str) -> Result<(), ActionError> {
    if let Err(e) = resource::check_tag("tag", tag) {
        ctx.log.error(
            Msg::Deleted,
            &format!("{e}; no lock file of it to remove, and the delete action never fails"),
        );
        return Ok(());
    }
    let lock = crate::lock::path_for(&ctx.locks, tag);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lcd::status;

    #[tokio::test]
    async fn remove_never_fails_and_says_what_went_wrong() {
        let ctx = crate::actions::testing::ctx("");
        run(&ctx, "-bad tag").await.expect("never fails");
        assert!(ctx
            .log
            .said("ERROR:route53:restore:r53-app:053030:tag \"-bad tag\" is not usable"));
        run(&ctx, "nosuch").await.expect("never fails");
        assert!(ctx.log.said("no resource \"nosuch\" in the LCD"));
        ctx.lcd
            .fail("node1", "ins_list", status::UNREACHABLE, "LCD down");
        run(&ctx, "r53-app").await.expect("never fails");
        assert!(ctx.log.said("the LCD could not name the record"));
        assert!(ctx.log.said(":053030:the A record is left as it is"));
        delete(&ctx, "-x").await.expect("never fails either");
    }
}
