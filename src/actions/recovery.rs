//! The recovery program of the kit's event, which LifeKeeper runs when
//! quickCheck tells its event notification that the record has gone wrong
//! (`$LKROOT/subsys/gen/resources/route53/recovery/route53/recordfail`,
//! called with sendevent's options). `-n` names the resource, by its ID or
//! by its tag; the resource is brought back through the same code as
//! `recover`.

use super::common::lock_to_move;
use super::repair::put_right;
use crate::aws::RecordApi;
use crate::cli::EventCall;
use crate::context::Ctx;
use crate::error::ActionError;
use crate::lcd::{Lcd, Select};
use crate::log::Msg;
use crate::resource::{self, ResourceError};

pub(super) async fn run<A: RecordApi>(
    ctx: &Ctx<impl Lcd>,
    api: &A,
    call: &EventCall,
) -> Result<(), ActionError> {
    let name = call.name().unwrap_or_default();
    let tag = resolve(ctx, name).await?;
    ctx.log.info(
        Msg::EventRecovery,
        &format!(
            "LifeKeeper's event {} for {name} ({}): recovering {tag}",
            crate::cli::EVENT,
            call.args.join(" ")
        ),
    );
    let _lock = lock_to_move(ctx, &tag).await?;
    ctx.progress.stage("reading the resource from the LCD");
    let found = resource::load(&ctx.lcd, &tag).await?;
    // Read after the lock: an event that waited for it while LifeKeeper
    // moved the resource elsewhere is late, and must not pull the record
    // back to this node.
    if !in_service(&found.instance.state) {
        ctx.log.info(
            Msg::EventRecovery,
            &format!(
                "{tag} is {} here, not in service: the event came too late (the resource has moved or stopped since); nothing was changed",
                found.instance.state
            ),
        );
        return Ok(());
    }
    put_right(ctx, api, &found.loaded).await
}

/// LifeKeeper's in-service states: ISP, and ISU (in service, a fault
/// going straight to failover).
fn in_service(state: &str) -> bool {
    matches!(state.trim(), "ISP" | "ISU")
}

/// The tag of the Route 53 resource `-n` names: a tag, else an ID.
async fn resolve(ctx: &Ctx<impl Lcd>, name: &str) -> Result<String, ActionError> {
    resource::check_tag("resource named by -n", name)?;
    if let Some(i) = ctx.lcd.instance(name).await? {
        return Ok(i.tag);
    }
    let by_id = ctx.lcd.ins_list(Select::Id(name)).await?;
    match by_id.into_iter().find(|i| i.id == name) {
        Some(i) => Ok(i.tag),
        None => Err(ResourceError::NoSuchResource { tag: name.into() }.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::ScriptedLcd;

    fn ctx() -> Ctx<ScriptedLcd> {
        crate::actions::testing::ctx_with_resource("")
    }

    #[tokio::test]
    async fn the_resource_is_found_by_its_tag_or_its_id() {
        let ctx = ctx();
        assert_eq!(resolve(&ctx, "r53-app").await.expect("tag"), "r53-app");
        assert_eq!(
            resolve(&ctx, "route53:Z1:app.example.com")
                .await
                .expect("id"),
            "r53-app"
        );
        let e = resolve(&ctx, "nosuch").await.expect_err("none");
        assert!(e.to_string().contains("nosuch"), "{e}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_event_for_a_resource_not_in_service_here_changes_nothing() {
        use crate::actions::testing::Scripted;
        let call = |name: &str| EventCall {
            args: vec!["-n".into(), name.into()],
            common: crate::cli::Common::default(),
        };
        for state in ["OSU", "OSF"] {
            let ctx = ctx();
            ctx.lcd
                .cluster
                .borrow_mut()
                .nodes
                .get_mut("node1")
                .expect("node1")
                .instances
                .iter_mut()
                .filter(|i| i.tag == "r53-app")
                .for_each(|i| i.state = state.into());
            let api = Scripted::holding("10.0.2.20", 10);
            run(&ctx, &api, &call("r53-app"))
                .await
                .expect("nothing to do");
            assert_eq!(api.count("read") + api.count("upsert"), 0, "{state}");
            assert!(ctx.log.said(&format!(
                ":053027:r53-app is {state} here, not in service: the event came too late"
            )));
        }
        // In service (ISP, ISU): the record is put right.
        let ctx = ctx();
        let api = Scripted::holding("10.0.2.20", 10);
        run(&ctx, &api, &call("r53-app")).await.expect("recovered");
        assert_eq!(api.count("upsert"), 1);
    }
}
