//! restore (and recover): point the A record at the IP resource's address.
//!
//! Take the resource's lock, read the resource and the address of its IP
//! resource from the LCD, and put the record right (see `repair`: read,
//! UPSERT, wait for INSYNC, verify).

use super::common::{id_target, lock_to_move};
use super::repair::put_right;
use crate::aws::RecordApi;
use crate::context::Ctx;
use crate::error::ActionError;
use crate::lcd::Lcd;
use crate::resource;

/// `restore -t TAG -i ID` and `recover -t TAG -i ID`.
pub(crate) async fn run<A: RecordApi>(
    ctx: &Ctx<impl Lcd>,
    api: &A,
    tag: &str,
    id: Option<&str>,
) -> Result<(), ActionError> {
    resource::check_tag("tag", tag)?;
    // The record LifeKeeper's ID names is announced at once: in a storm,
    // the node's other restores of the zone may read it for this one while
    // it waits for its lock and the LCD (the LCD decides what is read).
    if let Some((zone, host)) = id_target(id) {
        api.will_read(&zone, &host);
    }
    let _lock = lock_to_move(ctx, tag).await?;
    ctx.progress.stage("reading the resource from the LCD");
    let found = resource::load(&ctx.lcd, tag).await?;
    put_right(ctx, api, &found.loaded).await
}
