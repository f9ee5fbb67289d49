//! remove: give the resource up on this node. The A record stays as it is:
//! the next node's restore points it at that node's address, and deleting
//! it would make resolvers cache a negative answer in the meantime. No API
//! call is made; the LCD is read only to name the record in the log. With
//! `--dry-run` it does the same: it changes nothing either way.

use crate::context::Ctx;
use crate::error::ActionError;
use crate::log::Msg;
use crate::resource::{self, Route53Resource};

pub async fn run(ctx: &Ctx, tag: &str) -> Result<(), ActionError> {
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
