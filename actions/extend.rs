//! `lkroute53 extend --tag TAG --from NODE --ip-tag IPTAG [--priority N]`,
//! run on the target node: the same resource here, over this node's own IP
//! resource, tied to the template on NODE by a SHARED equivalency.
//!
//! Checks first: the template on NODE is a Route 53 resource; TAG is free
//! here; IPTAG is an IP resource here with an IPv4 address (a warning when
//! it equals the template's: real-IP resources differ per node). Then, in
//! order, each undone on a later failure: the instance, its dependency, the
//! equivalency here, the equivalency on NODE. A failure leaves both nodes
//! as they were.

use crate::context::Ctx;
use crate::error::{ActionError, LcdError, ResourceError};
use crate::lcd::Lcd;
use crate::lock;
use crate::log::Msg;
use crate::resource::{self, Route53Resource};

/// What the operator asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub tag: String,
    pub from: String,
    pub ip_tag: String,
    /// This node's priority; the template's is 1.
    pub priority: u32,
}

pub const TEMPLATE_PRIORITY: u32 = 1;
pub const DEFAULT_PRIORITY: u32 = 10;

pub async fn run(ctx: &Ctx, req: &Request) -> Result<(), ActionError> {
    resource::check_tag("tag", &req.tag)?;
    resource::check_tag("IP resource tag", &req.ip_tag)?;
    let _lock = lock::acquire(&req.tag, ctx.settings.lock_wait(), &ctx.log).await?;
    resource::check_tag("node name", &req.from)?;
    if req.priority <= TEMPLATE_PRIORITY || req.priority > 999 {
        return Err(ResourceError::BadArgument {
            what: "priority",
            value: req.priority.to_string(),
            reason: "must be between 2 and 999 (the template node has 1)".into(),
        }
        .into());
    }
    let remote = ctx.lcd.remote(&req.from);
    let template =
        remote
            .instance(&req.tag)
            .await?
            .ok_or_else(|| ResourceError::NoSuchResource {
                tag: format!("{} on {}", req.tag, req.from),
            })?;
    let r = Route53Resource::from_instance(&template)?;
    if ctx.lcd.instance(&req.tag).await?.is_some() {
        return Err(ResourceError::TagTaken {
            tag: req.tag.clone(),
        }
        .into());
    }
    let (ip, address) = resource::ip_resource(&ctx.lcd, &req.ip_tag).await?;
    if let Ok((their_ip, theirs)) = resource::ip_child(&remote, &req.tag).await {
        if theirs == address {
            ctx.log.warn(
                Msg::SameAddress,
                &format!(
                    "{} here holds {address}, the same address as {their_ip} on {}: each node should publish its own real address",
                    req.ip_tag, req.from
                ),
            );
        }
    }
    let plan = format!(
        "{} here (zone {}, host name {}) over {} ({address}), SHARED with {} on {} (priority {} there, {} here)",
        req.tag, r.zone_id, r.hostname, req.ip_tag, req.tag, req.from, TEMPLATE_PRIORITY, req.priority
    );
    if ctx.dry_run {
        ctx.log.notify(
            Msg::DryRun,
            &format!("dry run: would create {plan}; nothing changed"),
        );
        return Ok(());
    }

    let here = ip.system.clone();
    make(ctx, req, &r, &remote, &here).await?;
    ctx.log.info(Msg::Extended, &format!("created {plan}"));
    Ok(())
}

/// Make the instance, its dependency and the equivalency on both nodes, in
/// order; on a failure, undo what was made, in reverse.
async fn make(
    ctx: &Ctx,
    req: &Request,
    r: &Route53Resource,
    remote: &Lcd,
    here: &str,
) -> Result<(), ActionError> {
    let mut done: Vec<Undo> = Vec::new();
    let result = async {
        ctx.lcd
            .create_instance(resource::APP, resource::TYPE, &req.tag, &r.id(), &r.info())
            .await?;
        done.push(Undo::Instance);
        ctx.lcd.create_dependency(&req.tag, &req.ip_tag).await?;
        done.push(Undo::Dependency);
        ctx.lcd
            .create_equivalency(
                &req.tag,
                req.priority,
                &req.from,
                &req.tag,
                TEMPLATE_PRIORITY,
            )
            .await?;
        done.push(Undo::LocalEqv);
        remote
            .create_equivalency(&req.tag, TEMPLATE_PRIORITY, here, &req.tag, req.priority)
            .await?;
        Ok::<(), LcdError>(())
    }
    .await;
    if let Err(e) = result {
        let left = undo(&ctx.lcd, req, &done).await;
        let text = if left.is_empty() {
            format!(
                "extend failed; undid what it had made on this node ({} steps)",
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
    Ok(())
}

enum Undo {
    Instance,
    Dependency,
    LocalEqv,
}

/// Undo in reverse order; what could not be undone, with the command to
/// do it by hand.
async fn undo(lcd: &Lcd, req: &Request, done: &[Undo]) -> Vec<String> {
    let mut left = Vec::new();
    for step in done.iter().rev() {
        let r = match step {
            Undo::LocalEqv => lcd.remove_equivalency(&req.tag, &req.from, &req.tag).await,
            Undo::Dependency => lcd.remove_dependency(&req.tag, &req.ip_tag).await,
            Undo::Instance => lcd.remove_instance(&req.tag).await,
        };
        if let Err(e) = r {
            left.push(e.to_string());
        }
    }
    left
}
