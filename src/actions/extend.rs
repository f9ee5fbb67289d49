//! `lkroute53 extend --tag TAG --from NODE [--ip-tag IPTAG] [--priority N]`,
//! and LifeKeeper's `canextend` and `extend` hooks, run on the target node:
//! the same resource here, over this node's own IP resource, tied to the
//! template on NODE by a SHARED equivalency.
//!
//! Checks first ([`check`], which `canextend` runs alone): the template on
//! NODE is a Route 53 resource; the tag is free here; this node has an IP
//! resource to extend over (the one named, else the one tied to the
//! template's IP child by an equivalency, else the only IP resource here no
//! Route 53 resource uses) holding a usable address (a warning when it
//! equals the template's: real-IP resources differ per node). Then, in
//! order, each undone on a later failure: the instance (with the template's
//! switchback type where it can be read), its dependency, the equivalency
//! here, the equivalency on NODE. `eqv_create` may write the row on NODE by
//! itself (SIOS documents that it does when a system is named); the kit
//! looks before it writes, and takes "exists" on a matching row as done. A
//! failure leaves both nodes as they were.

use std::net::Ipv4Addr;

use crate::cli::{ExtendArgs, HookCall, EXTEND};
use crate::context::Ctx;
use crate::error::ActionError;
use crate::lcd::{LcdError, LcdWrite, NewInstance, Shared};
use crate::lock;
use crate::log::Msg;
use crate::resource::{
    self, ResourceError, Route53Resource, Switchback, DEFAULT_PRIORITY, TEMPLATE_PRIORITY,
};

/// What the operator (or LifeKeeper's hook) asked for.
#[derive(Debug, Clone)]
pub(super) struct Request {
    /// The tag here.
    pub tag: String,
    /// The template's tag on `from` (the same tag, from the command).
    pub template_tag: String,
    pub from: String,
    /// This node's IP resource; where not named, the kit finds it.
    pub ip_tag: Option<String>,
    /// This node's priority; the template's is 1.
    pub priority: u32,
    /// Where not named, the template's, else intelligent.
    pub switchback: Option<Switchback>,
}

impl From<&ExtendArgs> for Request {
    fn from(a: &ExtendArgs) -> Request {
        Request {
            tag: a.tag.clone(),
            template_tag: a.tag.clone(),
            from: a.from.clone(),
            ip_tag: a.ip_tag.clone(),
            priority: a.priority,
            switchback: a.switchback.map(Switchback::from),
        }
    }
}

/// What the checks found: the template, and the IP resource to extend over.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub template: Route53Resource,
    pub template_switchback: Option<Switchback>,
    pub ip_tag: String,
    pub address: Ipv4Addr,
    /// How the IP resource was chosen, in words.
    pub ip_how: String,
    /// This node's name, as its IP resource gives it.
    pub here: String,
}

/// Everything `extend` checks before it changes anything; `canextend` is
/// this alone.
pub(super) async fn check(ctx: &Ctx<impl LcdWrite>, req: &Request) -> Result<Plan, ActionError> {
    resource::check_tag("tag", &req.tag)?;
    resource::check_tag("template tag", &req.template_tag)?;
    resource::check_tag("node name", &req.from)?;
    let remote = ctx.lcd.remote(&req.from);
    let template =
        remote
            .instance(&req.template_tag)
            .await?
            .ok_or_else(|| ResourceError::NoSuchResource {
                tag: format!("{} on {}", req.template_tag, req.from),
            })?;
    let r = Route53Resource::from_instance(&template)?;
    if ctx.lcd.instance(&req.tag).await?.is_some() {
        return Err(ResourceError::TagTaken {
            tag: req.tag.clone(),
        }
        .into());
    }
    // The template's IP child, read once: it ties this node's IP resource
    // to the template's, and its address must differ from ours.
    let theirs = resource::ip_child(&remote, &req.template_tag).await.ok();
    let (ip_tag, ip_how) = match &req.ip_tag {
        Some(t) => {
            resource::check_tag("IP resource tag", t)?;
            (t.clone(), "named on the command line".to_string())
        }
        None => choose_ip(&ctx.lcd, theirs.as_ref(), &req.from).await?,
    };
    let (ip, address) = resource::ip_resource(&ctx.lcd, &ip_tag).await?;
    if let Some(theirs) = &theirs {
        if theirs.address == address {
            ctx.log.warn(
                Msg::SameAddress,
                &format!(
                    "{ip_tag} here holds {address}, the same address as {} on {}: each node should publish its own real address",
                    theirs.tag, req.from
                ),
            );
        }
    }
    Ok(Plan {
        template: r,
        template_switchback: template.switchback,
        ip_tag,
        address,
        ip_how,
        here: ip.system,
    })
}

/// The IP resource here to extend over, and how it was chosen: the one tied
/// by an equivalency to the template's IP child (LifeKeeper extends the
/// children first), else the only IP resource here that no Route 53
/// resource uses.
async fn choose_ip(
    lcd: &impl LcdWrite,
    theirs: Option<&resource::IpChild>,
    from: &str,
) -> Result<(String, String), ActionError> {
    let all = lcd.all_instances().await?;
    let ips: Vec<_> = all.iter().filter(|i| resource::is_ip(i)).collect();
    if let Some(theirs) = theirs {
        for ip in &ips {
            let tied = lcd.equivalencies(&ip.tag).await?.into_iter().any(|e| {
                e.other_system == from && e.other_tag == theirs.tag && e.etype == "SHARED"
            });
            if tied {
                return Ok((
                    ip.tag.clone(),
                    format!("tied to {} on {from} by a SHARED equivalency", theirs.tag),
                ));
            }
        }
    }
    // The IP resources Route 53 resources here already stand on: one
    // dep_list per Route 53 resource.
    let mut used: Vec<String> = Vec::new();
    for r in all.iter().filter(|i| resource::is_route53(i)) {
        used.extend(lcd.children(&r.tag).await?);
    }
    let free: Vec<String> = ips
        .iter()
        .filter(|ip| !used.contains(&ip.tag))
        .map(|ip| ip.tag.clone())
        .collect();
    match free.as_slice() {
        [one] => Ok((
            one.clone(),
            "the only IP resource here that no Route 53 resource uses".into(),
        )),
        [] => Err(ResourceError::BadArgument {
            what: "node",
            value: "this node".into(),
            reason: "no IP resource here to extend over: create the IP resource for this node's own address first (or extend the IP resource with the hierarchy)".into(),
        }
        .into()),
        many => Err(ResourceError::BadArgument {
            what: "node",
            value: "this node".into(),
            reason: format!(
                "several IP resources here could serve ({}); name one with --ip-tag",
                many.join(", ")
            ),
        }
        .into()),
    }
}

pub(super) async fn run(ctx: &Ctx<impl LcdWrite>, req: &Request) -> Result<(), ActionError> {
    resource::check_new_tag("tag", &req.tag)?;
    let held = lock::acquire(&ctx.locks, &req.tag, ctx.settings.lock_wait(), &ctx.log).await?;
    let result = extend(ctx, req).await;
    // A resource not made leaves no lock file of its tag behind.
    if (result.is_err() || ctx.dry_run) && ctx.lcd.instance(&req.tag).await.ok().flatten().is_none()
    {
        held.discard();
    }
    result
}

async fn extend(ctx: &Ctx<impl LcdWrite>, req: &Request) -> Result<(), ActionError> {
    if req.priority <= TEMPLATE_PRIORITY || req.priority > 999 {
        return Err(ResourceError::BadArgument {
            what: "priority",
            value: req.priority.to_string(),
            reason: "must be between 2 and 999 (the template node has 1)".into(),
        }
        .into());
    }
    let plan = check(ctx, req).await?;
    let switchback = req
        .switchback
        .or(plan.template_switchback)
        .unwrap_or(Switchback::Intelligent);
    let text = format!(
        "{} here (zone {}, host name {}, switchback {}) over {} ({}; {}), SHARED with {} on {} (priority {} there, {} here)",
        req.tag,
        plan.template.zone_id,
        plan.template.hostname,
        switchback.as_lcd().to_ascii_lowercase(),
        plan.ip_tag,
        plan.address,
        plan.ip_how,
        req.template_tag,
        req.from,
        TEMPLATE_PRIORITY,
        req.priority
    );
    if ctx.dry_run {
        ctx.log.notify(
            Msg::DryRun,
            &format!("dry run: would create {text}; nothing changed"),
        );
        return Ok(());
    }
    make(ctx, req, &plan, switchback).await?;
    ctx.log.info(Msg::Extended, &format!("created {text}"));
    Ok(())
}

/// The template node holds the SHARED row that ties its resource to ours.
async fn remote_row_exists(
    remote: &impl LcdWrite,
    req: &Request,
    here: &str,
) -> Result<bool, LcdError> {
    Ok(remote
        .equivalencies(&req.template_tag)
        .await?
        .iter()
        .any(|e| e.other_system == here && e.other_tag == req.tag && e.etype == "SHARED"))
}

/// Make the instance, its dependency and the equivalency on both nodes, in
/// order; on a failure, undo what was made, in reverse.
async fn make(
    ctx: &Ctx<impl LcdWrite>,
    req: &Request,
    plan: &Plan,
    switchback: Switchback,
) -> Result<(), ActionError> {
    let remote = ctx.lcd.remote(&req.from);
    let r = &plan.template;
    let mut done: Vec<Undo> = Vec::new();
    resource::register_type(&ctx.lcd, &ctx.log).await;
    let result = async {
        ctx.lcd
            .ins_create(&NewInstance {
                app: resource::APP,
                rtype: resource::TYPE,
                tag: &req.tag,
                id: &r.id(),
                info: &r.info(),
                switchback,
            })
            .await?;
        done.push(Undo::Instance);
        ctx.lcd.dep_create(&req.tag, &plan.ip_tag).await?;
        done.push(Undo::Dependency);
        ctx.lcd
            .eqv_create(&Shared {
                tag: &req.tag,
                prio: req.priority,
                other_system: &req.from,
                other_tag: &req.template_tag,
                other_prio: TEMPLATE_PRIORITY,
            })
            .await?;
        done.push(Undo::LocalEqv);
        // eqv_create may have written the template node's row already.
        if !remote_row_exists(&remote, req, &plan.here).await? {
            match remote
                .eqv_create(&Shared {
                    tag: &req.template_tag,
                    prio: TEMPLATE_PRIORITY,
                    other_system: &plan.here,
                    other_tag: &req.tag,
                    other_prio: req.priority,
                })
                .await
            {
                Ok(()) => done.push(Undo::RemoteEqv),
                Err(e) if e.is_exists() && remote_row_exists(&remote, req, &plan.here).await? => {}
                Err(e) => return Err(e),
            }
        }
        Ok::<(), LcdError>(())
    }
    .await;
    if let Err(e) = result {
        let left = undo(&ctx.lcd, &remote, req, plan, &done).await;
        // (registration may have written even where nothing else was)
        resource::sync(&ctx.lcd, &ctx.log).await;
        let text = if left.is_empty() {
            format!(
                "extend failed; undid what it had made ({} steps)",
                done.len()
            )
        } else {
            format!(
                "extend failed and could not undo everything: {}",
                left.join("; ")
            )
        };
        ctx.log.warn(Msg::RolledBack, &text);
        return Err(e.into());
    }
    resource::sync(&ctx.lcd, &ctx.log).await;
    Ok(())
}

enum Undo {
    Instance,
    Dependency,
    LocalEqv,
    RemoteEqv,
}

/// Undo in reverse order; what could not be undone, with its error. A row
/// already gone (exit 7: `eqv_remove` may remove the mirrored row too) is
/// undone.
async fn undo<L: LcdWrite>(
    lcd: &L,
    remote: &L,
    req: &Request,
    plan: &Plan,
    done: &[Undo],
) -> Vec<String> {
    let mut left = Vec::new();
    for step in done.iter().rev() {
        let r = match step {
            Undo::RemoteEqv => {
                remote
                    .eqv_remove(&req.template_tag, &plan.here, &req.tag)
                    .await
            }
            Undo::LocalEqv => lcd.eqv_remove(&req.tag, &req.from, &req.template_tag).await,
            Undo::Dependency => lcd.dep_remove(&req.tag, &plan.ip_tag).await,
            Undo::Instance => lcd.ins_remove(&req.tag).await,
        };
        if let Err(e) = crate::lcd::gone(r) {
            left.push(e.to_string());
        }
    }
    left
}

// LifeKeeper's hierarchy-extension hooks, in one adapter:
// `$LKROOT/lkadm/subsys/gen/route53/bin/canextend` and `.../bin/extend`,
// both links to the program.
//
// `canextend <templateSys> <templateTag>` is the documented form (SIOS's
// sample scripts call it so). The `extend` hook's arguments are in no
// public document found; the kit takes the most likely form,
// `extend <templateSys> <templateTag> [<targetTag> [<ipTag>]]` (the target
// tag defaults to the template's, the IP resource is found as `canextend`
// finds it), and ignores further arguments. The README lists this among
// its assumptions.

/// canextend: say whether (and over which IP resource) the template could
/// be extended here; extend: do it.
pub(crate) async fn hook(ctx: &Ctx<impl LcdWrite>, hook: &HookCall) -> Result<(), ActionError> {
    let req = hook_request(&hook.args).map_err(|reason| ResourceError::BadArgument {
        what: "hook arguments",
        value: hook.args.join(" "),
        reason,
    })?;
    if hook.name == EXTEND {
        return run(ctx, &req).await;
    }
    let plan = check(ctx, &req).await?;
    ctx.log.info(
        Msg::Extended,
        &format!(
            "{} on {} can be extended here as {} over IP resource {} ({}; {})",
            req.template_tag, req.from, req.tag, plan.ip_tag, plan.address, plan.ip_how
        ),
    );
    Ok(())
}

/// The request a hook's arguments make, or why they make none.
fn hook_request(args: &[String]) -> Result<Request, String> {
    let mut plain = args.iter().filter(|a| !a.starts_with('-'));
    let (Some(sys), Some(tag)) = (plain.next(), plain.next()) else {
        return Err(
            "usage: canextend|extend TEMPLATE_SYSTEM TEMPLATE_TAG [TARGET_TAG [IP_TAG]]".into(),
        );
    };
    let target = plain.next().cloned().unwrap_or_else(|| tag.clone());
    let ip_tag = plain.next().cloned();
    Ok(Request {
        tag: target,
        template_tag: tag.clone(),
        from: sys.clone(),
        ip_tag,
        priority: DEFAULT_PRIORITY,
        switchback: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::{instance, ScriptedLcd};
    use crate::lcd::{status, Lcd};

    /// node1 holds the template r53-app over its IP resource; the context
    /// is node2's.
    fn cluster() -> Ctx<ScriptedLcd> {
        let lcd = ScriptedLcd::two_nodes();
        {
            let mut c = lcd.cluster.borrow_mut();
            let node1 = c.nodes.get_mut("node1").expect("node1");
            node1.instances.push(instance(
                "node1",
                "gen",
                "route53",
                "r53-app",
                "Z1 app.example.com",
            ));
            node1.deps.push(("r53-app".into(), "ip-10.0.1.10".into()));
        }
        Ctx::for_tests("", lcd.remote("node2"))
    }

    fn request() -> Request {
        Request {
            tag: "r53-app".into(),
            template_tag: "r53-app".into(),
            from: "node1".into(),
            ip_tag: None,
            priority: 10,
            switchback: None,
        }
    }

    fn shared(ctx: &Ctx<ScriptedLcd>, node: &str) -> Vec<String> {
        ctx.lcd
            .db(node)
            .eqvs
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {} {}",
                    e.tag, e.other_system, e.other_tag, e.priority, e.other_priority
                )
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn extend_makes_the_resource_its_dependency_and_both_rows_in_order() {
        let ctx = cluster();
        run(&ctx, &request()).await.expect("extended");
        assert_eq!(
            ctx.lcd.writes(),
            vec![
                "node2 app_create gen",
                "node2 typ_create gen route53",
                "node2 ins_create r53-app",
                "node2 dep_create r53-app ip-10.0.2.20",
                "node2 eqv_create r53-app node1 r53-app",
                "node1 eqv_create r53-app node2 r53-app",
            ]
        );
        assert_eq!(shared(&ctx, "node2"), vec!["r53-app node1 r53-app 10 1"]);
        assert_eq!(shared(&ctx, "node1"), vec!["r53-app node2 r53-app 1 10"]);
        assert_eq!(ctx.lcd.synced(), vec!["node2"]);
        assert!(ctx
            .log
            .said("the only IP resource here that no Route 53 resource uses"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_row_the_lcd_mirrored_itself_is_not_written_twice() {
        let ctx = cluster();
        ctx.lcd.cluster.borrow_mut().mirror = true;
        run(&ctx, &request()).await.expect("extended");
        assert!(
            !ctx.lcd
                .writes()
                .iter()
                .any(|w| w.starts_with("node1 eqv_create")),
            "{:?}",
            ctx.lcd.writes()
        );
        assert_eq!(shared(&ctx, "node1"), vec!["r53-app node2 r53-app 1 10"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_on_the_other_node_undoes_everything_in_reverse() {
        let ctx = cluster();
        ctx.lcd.fail(
            "node1",
            "eqv_create",
            status::UNREACHABLE,
            "node1 cannot be reached",
        );
        let e = run(&ctx, &request()).await.expect_err("fails");
        assert!(e.to_string().contains("cannot be reached"), "{e}");
        assert_eq!(
            ctx.lcd.writes()[6..],
            [
                "node2 eqv_remove r53-app node1 r53-app",
                "node2 dep_remove r53-app ip-10.0.2.20",
                "node2 ins_remove r53-app",
            ]
        );
        let node2 = ctx.lcd.db("node2");
        assert!(node2.instances.iter().all(|i| i.tag != "r53-app"));
        assert!(node2.deps.is_empty() && node2.eqvs.is_empty());
        assert!(ctx
            .log
            .said("extend failed; undid what it had made (3 steps)"));
    }

    #[tokio::test(start_paused = true)]
    async fn an_undo_that_fails_is_named_and_a_row_already_gone_is_undone() {
        let ctx = cluster();
        ctx.lcd.cluster.borrow_mut().mirror = true;
        // The mirrored row goes with the local one; the instance cannot go.
        ctx.lcd
            .fail("node2", "dep_create", 1, "dep_create: LCD busy");
        ctx.lcd
            .fail("node2", "ins_remove", 1, "ins_remove: LCD busy");
        run(&ctx, &request()).await.expect_err("fails");
        assert!(ctx.log.said("extend failed and could not undo everything"));
        assert!(ctx.log.said("ins_remove: LCD busy"));
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_written_when_the_template_is_not_a_route53_resource() {
        let ctx = cluster();
        let mut req = request();
        req.template_tag = "ip-10.0.1.10".into();
        let e = run(&ctx, &req).await.expect_err("refused");
        assert!(e.to_string().contains("not gen/route53"), "{e}");
        assert!(ctx.lcd.writes().is_empty());
        let mut req = request();
        req.priority = 1;
        run(&ctx, &req)
            .await
            .expect_err("priority 1 is the template's");
        assert!(ctx.lcd.writes().is_empty());
    }

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hook_arguments_are_read_in_the_assumed_form() {
        let r = hook_request(&args(&["node1", "r53-app"])).expect("two");
        assert_eq!(
            (r.from.as_str(), r.template_tag.as_str(), r.tag.as_str()),
            ("node1", "r53-app", "r53-app")
        );
        assert_eq!(r.ip_tag, None);
        let r = hook_request(&args(&["node1", "r53-app", "r53-b", "ip-10.0.2.20"])).expect("four");
        assert_eq!(
            (r.tag.as_str(), r.ip_tag.as_deref()),
            ("r53-b", Some("ip-10.0.2.20"))
        );
        assert!(hook_request(&args(&["node1"])).is_err());
    }
}
