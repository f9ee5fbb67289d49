//! `lkroute53 delete TAG`: take the Route 53 resource out of the LCD: its
//! equivalencies (here and on each node they point to), its dependency on
//! the IP resource, and the instance. The IP resource and the DNS record
//! stay as they are; so does the other node's copy of the resource.

use crate::context::Ctx;
use crate::error::ActionError;
use crate::lcd::{gone, LcdWrite};
use crate::lock;
use crate::log::Msg;
use crate::resource::{self, ResourceError};

pub(super) async fn run(ctx: &Ctx<impl LcdWrite>, tag: &str) -> Result<(), ActionError> {
    resource::check_tag("tag", tag)?;
    let held = lock::acquire(&ctx.locks, tag, ctx.settings.lock_wait(), &ctx.log).await?;
    let (inst, r) = resource::find(&ctx.lcd, tag).await?;
    let relatives = ctx.lcd.relatives(tag).await?;
    if !relatives.parents.is_empty() {
        return Err(ResourceError::HasParents {
            tag: tag.into(),
            parents: relatives.parents,
        }
        .into());
    }
    let children = relatives.children;
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
    let removed = remove(ctx, tag, &eqvs, &children).await;
    resource::sync(&ctx.lcd, &ctx.log).await;
    removed?;
    // The resource is gone from this node: so is its lock file.
    held.discard();
    ctx.log
        .info(Msg::Deleted, &format!("removed {}", plan.join("; ")));
    Ok(())
}

/// The rows, the dependencies and the instance, in that order.
async fn remove(
    ctx: &Ctx<impl LcdWrite>,
    tag: &str,
    eqvs: &[crate::lcd::Equivalency],
    children: &[String],
) -> Result<(), ActionError> {
    for e in eqvs {
        // The other node's side first: if it cannot be reached, nothing
        // has changed here yet. Removing one side may remove the other too.
        let remote = ctx.lcd.remote(&e.other_system);
        gone(remote.eqv_remove(&e.other_tag, &e.system, tag).await)?;
        gone(ctx.lcd.eqv_remove(tag, &e.other_system, &e.other_tag).await)?;
    }
    for c in children {
        ctx.lcd.dep_remove(tag, c).await?;
    }
    ctx.lcd.ins_remove(tag).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::{instance, ScriptedLcd};
    use crate::context::Ctx;
    use crate::lcd::{status, Equivalency};

    /// r53-app on node1 over its IP resource, SHARED with node2's copy.
    fn cluster() -> Ctx<ScriptedLcd> {
        let lcd = ScriptedLcd::two_nodes();
        {
            let mut c = lcd.cluster.borrow_mut();
            for (node, other, ip, prio) in [
                ("node1", "node2", "ip-10.0.1.10", ("1", "10")),
                ("node2", "node1", "ip-10.0.2.20", ("10", "1")),
            ] {
                let db = c.nodes.get_mut(node).expect("node");
                db.instances.push(instance(
                    node,
                    "gen",
                    "route53",
                    "r53-app",
                    "Z1 app.example.com",
                ));
                db.deps.push(("r53-app".into(), ip.into()));
                db.eqvs.push(Equivalency {
                    system: node.into(),
                    tag: "r53-app".into(),
                    other_system: other.into(),
                    other_tag: "r53-app".into(),
                    etype: "SHARED".into(),
                    priority: prio.0.into(),
                    other_priority: prio.1.into(),
                });
            }
        }
        Ctx::for_tests("", lcd)
    }

    #[tokio::test(start_paused = true)]
    async fn delete_takes_the_other_nodes_row_first_then_its_own_then_the_resource() {
        let ctx = cluster();
        run(&ctx, "r53-app").await.expect("deleted");
        assert_eq!(
            ctx.lcd.writes(),
            vec![
                "node2 eqv_remove r53-app node1 r53-app",
                "node1 eqv_remove r53-app node2 r53-app",
                "node1 dep_remove r53-app ip-10.0.1.10",
                "node1 ins_remove r53-app",
            ]
        );
        assert_eq!(ctx.lcd.synced(), vec!["node1"]);
        let node2 = ctx.lcd.db("node2");
        assert!(
            node2.instances.iter().any(|i| i.tag == "r53-app"),
            "node2's copy stays"
        );
        assert!(node2.eqvs.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_row_already_gone_counts_as_removed() {
        let ctx = cluster();
        ctx.lcd.fail(
            "node2",
            "eqv_remove",
            status::NO_SUCH_OBJECT,
            "no such equivalency",
        );
        run(&ctx, "r53-app").await.expect("deleted");
        assert!(ctx
            .lcd
            .db("node1")
            .instances
            .iter()
            .all(|i| i.tag != "r53-app"));
    }

    #[tokio::test(start_paused = true)]
    async fn an_unreachable_node_changes_nothing_here_and_a_parent_refuses() {
        let ctx = cluster();
        ctx.lcd.fail(
            "node2",
            "eqv_remove",
            status::UNREACHABLE,
            "node2 cannot be reached",
        );
        run(&ctx, "r53-app").await.expect_err("unreachable");
        assert_eq!(
            ctx.lcd.writes(),
            vec!["node2 eqv_remove r53-app node1 r53-app"]
        );
        let ctx = cluster();
        ctx.lcd
            .cluster
            .borrow_mut()
            .nodes
            .get_mut("node1")
            .expect("node1")
            .deps
            .push(("app".into(), "r53-app".into()));
        let e = run(&ctx, "r53-app").await.expect_err("has a parent");
        assert!(
            e.to_string()
                .contains("resources depend on \"r53-app\" (app)"),
            "{e}"
        );
        assert!(ctx.lcd.writes().is_empty());
    }
}
