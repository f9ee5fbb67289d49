//! `lkroute53 delete TAG`: take the Route 53 resource out of the LCD: its
//! equivalencies (here and on each node they point to), its dependency on
//! the IP resource, and the instance. The IP resource and the DNS record
//! stay as they are; so does the other node's copy of the resource.

use crate::context::Ctx;
use crate::error::{ActionError, LcdError, ResourceError};
use crate::lcd::DepLayout;
use crate::lock;
use crate::log::Msg;
use crate::resource;

pub async fn run(ctx: &Ctx, tag: &str) -> Result<(), ActionError> {
    resource::check_tag("tag", tag)?;
    let _lock = lock::acquire(tag, ctx.settings.lock_wait(), &ctx.log).await?;
    let (inst, r) = resource::find(&ctx.lcd, tag).await?;
    // Its children first: `dep_list -c TAG` shows which field holds the
    // parent, and the full listing is read the same way.
    let (children, layout) = ctx.lcd.children_and_layout(tag).await?;
    let parent_first = layout != Some(DepLayout::ChildFirst);
    let parents: Vec<String> = ctx
        .lcd
        .dependencies()
        .await?
        .into_iter()
        .filter_map(|(a, b)| match parent_first {
            true => (b == tag).then_some(a),
            false => (a == tag).then_some(b),
        })
        .collect();
    if !parents.is_empty() {
        return Err(ResourceError::HasParents {
            tag: tag.into(),
            parents,
        }
        .into());
    }
    let eqvs = ctx.lcd.equivalencies(tag).await?;
    let mut plan: Vec<String> = Vec::new();
    for e in &eqvs {
        plan.push(format!(
            "the {} equivalency with {} on {} (on both nodes)",
            e.etype, e.other_tag, e.other_system
        ));
    }
    for c in &children {
        plan.push(format!("the dependency on {c}"));
    }
    plan.push(format!(
        "the instance {tag} (A record {} in zone {}, which stays)",
        r.hostname, r.zone_id
    ));
    if ctx.dry_run {
        ctx.log.notify(
            Msg::DryRun,
            &format!("dry run: would remove {}; nothing changed", plan.join("; ")),
        );
        return Ok(());
    }
    if inst.state == "ISP" {
        ctx.log.warn(
            Msg::Deleted,
            &format!("{tag} is in service; deleting it leaves the A record pointing at this node"),
        );
    }
    for e in &eqvs {
        // The other node's side first: if it cannot be reached, nothing
        // has changed here yet. Removing one side may remove the other too.
        let remote = ctx.lcd.remote(&e.other_system);
        gone(
            remote
                .remove_equivalency(&e.other_tag, &e.system, tag)
                .await,
        )?;
        gone(
            ctx.lcd
                .remove_equivalency(tag, &e.other_system, &e.other_tag)
                .await,
        )?;
    }
    for c in &children {
        ctx.lcd.remove_dependency(tag, c).await?;
    }
    ctx.lcd.remove_instance(tag).await?;
    ctx.log
        .info(Msg::Deleted, &format!("removed {}", plan.join("; ")));
    Ok(())
}

/// A removal that found nothing to remove (exit 7) is done.
fn gone(r: Result<(), LcdError>) -> Result<(), LcdError> {
    match r {
        Err(e) if e.is_no_such_object() => Ok(()),
        other => other,
    }
}
