//! LifeKeeper's hierarchy-extension hooks, in one adapter:
//! `$LKROOT/lkadm/subsys/gen/route53/bin/canextend` and `.../bin/extend`,
//! both links to the program.
//!
//! `canextend <templateSys> <templateTag>` is the documented form (SIOS's
//! sample scripts call it so). The `extend` hook's arguments are in no
//! public document found; the kit takes the most likely form,
//! `extend <templateSys> <templateTag> [<targetTag> [<ipTag>]]` (the target
//! tag defaults to the template's, the IP resource is found as `canextend`
//! finds it), and ignores further arguments. The README lists this among
//! its assumptions.

use crate::actions::extend::{self, Request};
use lkroute53::cli::{HookCall, EXTEND};
use lkroute53::context::Ctx;
use lkroute53::error::ActionError;
use lkroute53::lcd::Lcd;
use lkroute53::log::Msg;
use lkroute53::resource::{ResourceError, DEFAULT_PRIORITY};

/// canextend: say whether (and over which IP resource) the template could
/// be extended here; extend: do it.
pub async fn run(ctx: &Ctx<impl Lcd>, hook: &HookCall) -> Result<(), ActionError> {
    let req = request(&hook.args).map_err(|reason| ResourceError::BadArgument {
        what: "hook arguments",
        value: hook.args.join(" "),
        reason,
    })?;
    if hook.name == EXTEND {
        return extend::run(ctx, &req).await;
    }
    let plan = extend::check(ctx, &req).await?;
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
pub fn request(args: &[String]) -> Result<Request, String> {
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

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hook_arguments_are_read_in_the_assumed_form() {
        let r = request(&args(&["node1", "r53-app"])).expect("two");
        assert_eq!(
            (r.from.as_str(), r.template_tag.as_str(), r.tag.as_str()),
            ("node1", "r53-app", "r53-app")
        );
        assert_eq!(r.ip_tag, None);
        let r = request(&args(&["node1", "r53-app", "r53-b", "ip-10.0.2.20"])).expect("four");
        assert_eq!(
            (r.tag.as_str(), r.ip_tag.as_deref()),
            ("r53-b", Some("ip-10.0.2.20"))
        );
        assert!(request(&args(&["node1"])).is_err());
    }
}
