//! restore (and recover): point the A record at the IP resource's address.
//!
//! Take the resource's lock, read the resource and the address of its IP
//! resource from the LCD, and put the record right (see `repair`: read,
//! UPSERT, wait for INSYNC, verify).

use super::common::lock_to_move;
use super::repair::put_right;
use crate::aws::RecordApi;
use crate::context::Ctx;
use crate::error::ActionError;
use crate::lcd::Lcd;
use crate::resource;

/// `restore -t TAG` and `recover -t TAG`.
pub(crate) async fn run<A: RecordApi>(
    ctx: &Ctx<impl Lcd>,
    api: &A,
    tag: &str,
) -> Result<(), ActionError> {
    resource::check_tag("tag", tag)?;
    let _lock = lock_to_move(ctx, tag).await?;
    ctx.progress.stage("reading the resource from the LCD");
    let loaded = resource::load(&ctx.lcd, tag).await?;
    put_right(ctx, api, &loaded).await
}
