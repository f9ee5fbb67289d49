//! `lkroute53 create`: make a Route 53 resource over an IP resource.
//!
//! Checks first, changes after: the tag is free; the IP resource exists,
//! is of type `ip` and holds an IPv4 address; the hosted zone exists and the
//! host name lies inside it; the name has no alias or routing-policy A
//! record. Then `ins_create` and `dep_create`; when the dependency cannot
//! be made, the new instance is removed again, so a failure leaves nothing.

use std::net::Ipv4Addr;

use crate::aws::{Probe, Zone};
use crate::cli::CreateArgs;
use crate::context::Ctx;
use crate::error::{ActionError, RecordError};
use crate::lcd::{gone, LcdWrite, NewInstance};
use crate::lock;
use crate::log::Msg;
use crate::record::{describe, inside, ARecord};
use crate::resource::{self, ResourceError, Route53Resource, Switchback};
use crate::verdict::{compare, decide, explain, Kind, Outcome, Subject};

/// What the operator asked for.
#[derive(Debug, Clone)]
pub(super) struct Request {
    pub tag: String,
    pub zone_id: String,
    pub hostname: String,
    pub ip_tag: String,
    pub switchback: Switchback,
}

impl From<&CreateArgs> for Request {
    fn from(a: &CreateArgs) -> Request {
        Request {
            tag: a.tag.clone(),
            zone_id: a.zone_id.clone(),
            hostname: a.hostname.clone(),
            ip_tag: a.ip_tag.clone(),
            switchback: a.switchback.into(),
        }
    }
}

fn bad(what: &'static str, value: &str, reason: String) -> ResourceError {
    ResourceError::BadArgument {
        what,
        value: value.chars().take(80).collect(),
        reason,
    }
}

pub(super) async fn run<A: Probe>(
    ctx: &Ctx<impl LcdWrite>,
    api: &A,
    req: &Request,
) -> Result<(), ActionError> {
    resource::check_new_tag("tag", &req.tag)?;
    resource::check_tag("IP resource tag", &req.ip_tag)?;
    let held = lock::acquire(&ctx.locks, &req.tag, ctx.settings.lock_wait(), &ctx.log).await?;
    let result = create(ctx, api, req).await;
    // A resource not made leaves no lock file of its tag behind.
    if (result.is_err() || ctx.dry_run) && ctx.lcd.instance(&req.tag).await.ok().flatten().is_none()
    {
        held.discard();
    }
    result
}

async fn create<A: Probe>(
    ctx: &Ctx<impl LcdWrite>,
    api: &A,
    req: &Request,
) -> Result<(), ActionError> {
    let zone_id =
        resource::check_zone_id(&req.zone_id).map_err(|r| bad("zone ID", &req.zone_id, r))?;
    let hostname =
        resource::check_hostname(&req.hostname).map_err(|r| bad("host name", &req.hostname, r))?;
    if ctx.lcd.instance(&req.tag).await?.is_some() {
        return Err(ResourceError::TagTaken {
            tag: req.tag.clone(),
        }
        .into());
    }
    let (_, address) = resource::ip_resource(&ctx.lcd, &req.ip_tag).await?;
    let (zone, current) =
        check_route53(ctx, api, &zone_id, &hostname, &req.ip_tag, address).await?;
    let r = Route53Resource {
        tag: req.tag.clone(),
        zone_id,
        hostname,
    };
    if ctx.dry_run {
        ctx.log.notify(
            Msg::DryRun,
            &format!(
                "dry run: would create {} (ID {}, info {:?}) depending on {} ({address}); the A record holds {}; nothing changed",
                r.tag,
                r.id(),
                r.info(),
                req.ip_tag,
                describe(current.as_ref())
            ),
        );
        return Ok(());
    }
    make(ctx, &r, req).await?;
    ctx.log.info(
        Msg::Created,
        &format!(
            "created {} (zone {} {}{}, host name {}) over IP resource {} ({address}); the A record now holds {}; restore points it at {address}",
            r.tag,
            r.zone_id,
            zone.name,
            if zone.private { ", private" } else { "" },
            r.hostname,
            req.ip_tag,
            describe(current.as_ref()),
        ),
    );
    Ok(())
}

/// The instance and its dependency on the IP resource; where the
/// dependency cannot be made, the instance is removed again.
async fn make(
    ctx: &Ctx<impl LcdWrite>,
    r: &Route53Resource,
    req: &Request,
) -> Result<(), ActionError> {
    resource::register_type(&ctx.lcd, &ctx.log).await;
    let made = write(ctx, r, req).await;
    resource::sync(&ctx.lcd, &ctx.log).await;
    made
}

async fn write(
    ctx: &Ctx<impl LcdWrite>,
    r: &Route53Resource,
    req: &Request,
) -> Result<(), ActionError> {
    let created = ctx
        .lcd
        .ins_create(&NewInstance {
            app: resource::APP,
            rtype: resource::TYPE,
            tag: &r.tag,
            id: &r.id(),
            info: &r.info(),
            switchback: req.switchback,
        })
        .await;
    match created {
        // Another's instance of this tag: not ours to remove.
        Err(e) if e.is_exists() => return Err(e.into()),
        // It may have written the instance before it failed (a timeout).
        Err(e) => {
            undo(ctx, r, req, &format!("ins_create failed ({e})")).await;
            return Err(e.into());
        }
        Ok(()) => {}
    }
    if let Err(e) = ctx.lcd.dep_create(&r.tag, &req.ip_tag).await {
        undo(
            ctx,
            r,
            req,
            &format!("could not make {} depend on {} ({e})", r.tag, req.ip_tag),
        )
        .await;
        return Err(e.into());
    }
    Ok(())
}

/// Remove what a create that failed may have made: the dependency and the
/// instance, where the instance is ours (its ID); "no such object" is
/// done. Says what was removed, or what is left and how to remove it.
async fn undo(ctx: &Ctx<impl LcdWrite>, r: &Route53Resource, req: &Request, why: &str) {
    let ours = match ctx.lcd.instance(&r.tag).await {
        Ok(Some(i)) => i.id == r.id(),
        Ok(None) => {
            ctx.log.warn(
                Msg::RolledBack,
                &format!("{why}; nothing of {} was made", r.tag),
            );
            return;
        }
        // Not known: try to remove it all the same (each step is
        // harmless where there is nothing).
        Err(_) => true,
    };
    if !ours {
        return;
    }
    let removed = async {
        gone(ctx.lcd.dep_remove(&r.tag, &req.ip_tag).await)?;
        gone(ctx.lcd.ins_remove(&r.tag).await)
    }
    .await;
    match removed {
        Ok(()) => ctx.log.warn(
            Msg::RolledBack,
            &format!("{why}; removed what it had made of {} again", r.tag),
        ),
        Err(e) => ctx.log.error(
            Msg::RolledBack,
            &format!(
                "{why}, and what it had made could not be removed again ({e}); remove it by hand: {root}/bin/dep_remove -p {tag} -c {ip}; {root}/bin/ins_remove -t {tag}",
                root = ctx.lcd.root().display(),
                tag = r.tag,
                ip = req.ip_tag
            ),
        ),
    }
}

/// The Route 53 side of create: the zone exists (which proves credentials
/// and reachability too), the host name lies inside it, and the record at
/// the name is one the kit may manage. The zone and the record as they are.
pub(super) async fn check_route53<A: Probe>(
    ctx: &Ctx<impl LcdWrite>,
    api: &A,
    zone_id: &str,
    hostname: &str,
    ip_tag: &str,
    address: Ipv4Addr,
) -> Result<(Zone, Option<ARecord>), ActionError> {
    let zone = api.zone(zone_id).await?;
    if !inside(hostname, &zone.name) {
        return Err(bad(
            "host name",
            hostname,
            format!("not inside zone {zone_id} ({})", zone.name),
        )
        .into());
    }
    let current = api.read_a(zone_id, hostname).await?;
    let verdict = compare(current.as_ref(), address, ctx.settings.ttl());
    if decide(Kind::Create, &verdict) == Outcome::Unmanaged {
        let source = format!("IP resource {ip_tag}");
        let s = Subject {
            name: hostname,
            zone: zone_id,
            address,
            source: &source,
            ttl: ctx.settings.ttl(),
        };
        return Err(RecordError::Unmanaged(explain(&verdict, &s)).into());
    }
    Ok((zone, current))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::{denied, no_answer, Scripted};
    use crate::error::ExitStatus;
    use crate::record::Routing;

    const ADDR: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 10);

    async fn check(api: &Scripted, host: &str) -> Result<(Zone, Option<ARecord>), ActionError> {
        let ctx = crate::actions::testing::ctx("");
        check_route53(&ctx, api, "Z1", host, "ip-10.0.1.10", ADDR).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_free_name_or_a_simple_record_goes_ahead() {
        for api in [Scripted::new(None), Scripted::holding("192.0.2.99", 300)] {
            let (zone, _) = check(&api, "app.example.com").await.expect("goes ahead");
            assert_eq!(zone.name, "example.com.");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_name_outside_the_zone_is_refused_before_the_record_is_read() {
        let api = Scripted::new(None);
        let e = check(&api, "app.example.org").await.expect_err("outside");
        assert_eq!(e.exit_status(), ExitStatus::Resource);
        assert!(
            e.to_string().contains("not inside zone Z1 (example.com.)"),
            "{e}"
        );
        assert_eq!(api.count("read"), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_routing_policy_record_is_refused_with_exit_4() {
        let mut r = ARecord::simple("app.example.com.", &["192.0.2.5"], 60);
        r.routing = Some(Routing {
            policy: "latency",
            set_identifier: "eu".into(),
        });
        let api = Scripted::new(Some(r));
        let e = check(&api, "app.example.com").await.expect_err("refused");
        assert_eq!(e.exit_status(), ExitStatus::Route53);
        assert!(
            e.to_string().contains("latency routing-policy record"),
            "{e}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_record_read_without_an_answer_ends_it_before_any_change() {
        let api = Scripted::new(None);
        api.reads
            .borrow_mut()
            .push_back(Err(no_answer("ListResourceRecordSets")));
        let e = check(&api, "app.example.com").await.expect_err("no answer");
        assert_eq!(e.exit_status(), ExitStatus::Route53);
        assert!(e.to_string().contains("the connection was refused"), "{e}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_zone_that_cannot_be_read_ends_it() {
        let api = Scripted::new(None);
        api.zones
            .borrow_mut()
            .push_back(Err(denied("GetHostedZone")));
        let e = check(&api, "app.example.com").await.expect_err("refused");
        assert_eq!(e.exit_status(), ExitStatus::Route53);
    }

    fn request() -> Request {
        Request {
            tag: "r53-app".into(),
            zone_id: "Z1".into(),
            hostname: "App.Example.com.".into(),
            ip_tag: "ip-10.0.1.10".into(),
            switchback: Switchback::Automatic,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn create_makes_the_instance_then_its_dependency() {
        let ctx = crate::actions::testing::ctx("");
        run(&ctx, &Scripted::new(None), &request())
            .await
            .expect("made");
        assert_eq!(
            ctx.lcd.writes(),
            vec![
                "node1 app_create gen",
                "node1 typ_create gen route53",
                "node1 ins_create r53-app",
                "node1 dep_create r53-app ip-10.0.1.10"
            ]
        );
        assert_eq!(ctx.lcd.synced(), vec!["node1"]);
        let db = ctx.lcd.db("node1");
        let made = db
            .instances
            .iter()
            .find(|i| i.tag == "r53-app")
            .expect("instance");
        assert_eq!(
            (made.id.as_str(), made.info.as_str()),
            ("route53:Z1:app.example.com", "Z1 app.example.com")
        );
        assert_eq!(made.switchback, Some(Switchback::Automatic));
        assert!(ctx.log.said(":053040:created r53-app"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_dependency_that_cannot_be_made_removes_the_instance_again() {
        let ctx = crate::actions::testing::ctx("");
        ctx.lcd
            .fail("node1", "dep_create", 1, "dep_create: LCD busy");
        let e = run(&ctx, &Scripted::new(None), &request())
            .await
            .expect_err("fails");
        assert_eq!(e.exit_status(), ExitStatus::Resource);
        assert!(e.to_string().contains("LCD busy"), "{e}");
        assert_eq!(
            ctx.lcd.writes(),
            vec![
                "node1 app_create gen",
                "node1 typ_create gen route53",
                "node1 ins_create r53-app",
                "node1 dep_create r53-app ip-10.0.1.10",
                "node1 dep_remove r53-app ip-10.0.1.10",
                "node1 ins_remove r53-app"
            ]
        );
        assert_eq!(ctx.lcd.synced(), vec!["node1"], "synced after the undo too");
        assert!(ctx
            .lcd
            .db("node1")
            .instances
            .iter()
            .all(|i| i.tag != "r53-app"));
        assert!(ctx.log.said("removed what it had made of r53-app again"));
    }

    #[tokio::test(start_paused = true)]
    async fn the_type_is_registered_first_and_the_lcd_synced_whatever_answers() {
        // An LCD that refuses an unregistered type: registration makes
        // create work; "exists" is success on the next one.
        let ctx = crate::actions::testing::ctx("");
        ctx.lcd.cluster.borrow_mut().require_types = true;
        run(&ctx, &Scripted::new(None), &request())
            .await
            .expect("made");
        let mut again = request();
        again.tag = "r53-two".into();
        again.hostname = "two.example.com".into();
        run(&ctx, &Scripted::new(None), &again).await.expect("made");
        assert!(ctx
            .lcd
            .db("node1")
            .instances
            .iter()
            .any(|i| i.tag == "r53-two"));
        // Registration that fails, and an lcdsync that fails: said, and
        // the resource is made all the same.
        let ctx = crate::actions::testing::ctx("");
        ctx.lcd
            .fail("node1", "typ_create", 1, "typ_create: LCD busy");
        ctx.lcd.fail("node1", "lcdsync", 1, "lcdsync: disk full");
        run(&ctx, &Scripted::new(None), &request())
            .await
            .expect("made");
        assert!(ctx
            .log
            .said(":053042:could not register resource type gen/route53"));
        assert!(ctx
            .log
            .said(":053043:the changes are made, but lcdsync failed"));
        assert!(ctx
            .lcd
            .db("node1")
            .instances
            .iter()
            .any(|i| i.tag == "r53-app"));
        // Without the commands: said once, no call.
        let ctx = crate::actions::testing::ctx("");
        ctx.lcd.cluster.borrow_mut().missing = vec!["typ_create", "lcdsync"];
        run(&ctx, &Scripted::new(None), &request())
            .await
            .expect("made");
        assert!(ctx.log.said("no typ_create in /opt/LifeKeeper/bin"));
        assert!(ctx.lcd.synced().is_empty());
        assert_eq!(ctx.lcd.writes()[0], "node1 ins_create r53-app");
    }

    #[tokio::test(start_paused = true)]
    async fn a_rollback_that_fails_says_what_to_remove_by_hand() {
        let ctx = crate::actions::testing::ctx("");
        ctx.lcd
            .fail("node1", "dep_create", 1, "dep_create: LCD busy");
        ctx.lcd
            .fail("node1", "ins_remove", 1, "ins_remove: LCD busy");
        run(&ctx, &Scripted::new(None), &request())
            .await
            .expect_err("fails");
        assert!(ctx.log.said("ERROR:route53:restore:r53-app:053041:could not make r53-app depend on ip-10.0.1.10 (dep_create r53-app"));
        assert!(ctx
            .log
            .said("and what it had made could not be removed again"));
        assert!(ctx.log.said("remove it by hand: /opt/LifeKeeper/bin/dep_remove -p r53-app -c ip-10.0.1.10; /opt/LifeKeeper/bin/ins_remove -t r53-app"));
    }

    #[tokio::test(start_paused = true)]
    async fn an_instance_written_by_an_ins_create_that_then_failed_is_removed_again() {
        let ctx = crate::actions::testing::ctx("");
        ctx.lcd.fail_after(
            "node1",
            "ins_create",
            1,
            "ins_create: did not finish within 30 s and was killed",
        );
        run(&ctx, &Scripted::new(None), &request())
            .await
            .expect_err("fails");
        assert!(ctx
            .lcd
            .db("node1")
            .instances
            .iter()
            .all(|i| i.tag != "r53-app"));
        assert!(ctx.log.said(":053041:ins_create failed ("));
        assert!(ctx.log.said("removed what it had made of r53-app again"));
        // An instance of the tag that is not ours (another's ID) stays.
        let ctx = crate::actions::testing::ctx("");
        ctx.lcd.fail(
            "node1",
            "ins_create",
            4,
            "ins_create: resource r53-app exists",
        );
        run(&ctx, &Scripted::new(None), &request())
            .await
            .expect_err("fails");
        assert!(!ctx.lcd.writes().iter().any(|w| w.contains("ins_remove")));
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_written_when_a_check_fails() {
        // The tag is taken; the IP resource is missing; the zone is refused.
        let taken = crate::actions::testing::ctx("");
        run(&taken, &Scripted::new(None), &request())
            .await
            .expect("made");
        let before = taken.lcd.writes().len();
        let e = run(&taken, &Scripted::new(None), &request())
            .await
            .expect_err("taken");
        assert!(e.to_string().contains("already exists"), "{e}");
        assert_eq!(taken.lcd.writes().len(), before);
        let ctx = crate::actions::testing::ctx("");
        let mut no_ip = request();
        no_ip.ip_tag = "ip-10.9.9.9".into();
        let e = run(&ctx, &Scripted::new(None), &no_ip)
            .await
            .expect_err("no IP");
        assert!(e.to_string().contains("ip-10.9.9.9"), "{e}");
        let api = Scripted::new(None);
        api.zones
            .borrow_mut()
            .push_back(Err(denied("GetHostedZone")));
        run(&ctx, &api, &request()).await.expect_err("refused");
        assert!(ctx.lcd.writes().is_empty(), "{:?}", ctx.lcd.writes());
    }
}
