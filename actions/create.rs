//! `lkroute53 create`: make a Route 53 resource over an IP resource.
//!
//! Checks first, changes after: the tag is free; the IP resource exists,
//! is of type `ip` and holds an IPv4 address; the hosted zone exists and the
//! host name lies inside it; the name has no alias or routing-policy A
//! record. Then `ins_create` and `dep_create`; when the dependency cannot
//! be made, the new instance is removed again, so a failure leaves nothing.

use crate::context::Ctx;
use crate::error::{ActionError, ResourceError, Route53Error};
use crate::lock;
use crate::log::Msg;
use crate::record::{compare, describe, same_name, Verdict};
use crate::resource::{self, Route53Resource};
use crate::route53::{RecordApi, Route53};
use crate::settings;

/// What the operator asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub tag: String,
    pub zone_id: String,
    pub hostname: String,
    pub ip_tag: String,
}

pub async fn run(ctx: &Ctx, req: &Request) -> Result<(), ActionError> {
    resource::check_tag("tag", &req.tag)?;
    resource::check_tag("IP resource tag", &req.ip_tag)?;
    let _lock = lock::acquire(&req.tag, ctx.settings.secs(settings::LOCK_WAIT)).await?;
    let bad = |what: &'static str, value: &str, reason: String| ResourceError::BadArgument {
        what,
        value: value.chars().take(80).collect(),
        reason,
    };
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

    let api = Route53::connect(&ctx.settings).await;
    let zone = api.zone(&zone_id).await?;
    if !inside(&hostname, &zone.name) {
        return Err(bad(
            "host name",
            &hostname,
            format!("not inside zone {zone_id} ({})", zone.name),
        )
        .into());
    }
    let ttl = u32::try_from(ctx.settings.num(settings::TTL)).unwrap_or(u32::MAX);
    let current = api.read_a(&zone_id, &hostname).await?;
    if let Verdict::NotSimple(what) = compare(current.as_ref(), address, ttl) {
        return Err(Route53Error::NotSimple {
            name: hostname,
            zone: zone_id,
            what,
        }
        .into());
    }

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
    ctx.lcd
        .create_instance(resource::APP, resource::TYPE, &r.tag, &r.id(), &r.info())
        .await?;
    if let Err(e) = ctx.lcd.create_dependency(&r.tag, &req.ip_tag).await {
        match ctx.lcd.remove_instance(&r.tag).await {
            Ok(()) => ctx.log.warn(
                Msg::RolledBack,
                &format!("could not make {} depend on {}; removed the new resource again", r.tag, req.ip_tag),
            ),
            Err(e2) => ctx.log.error(
                Msg::RolledBack,
                &format!(
                    "could not make {} depend on {}, and could not remove the new resource again ({e2}); remove it with ins_remove -t {}",
                    r.tag, req.ip_tag, r.tag
                ),
            ),
        }
        return Err(e.into());
    }
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

/// The host name is the zone's apex or a name below it.
pub fn inside(hostname: &str, zone_name: &str) -> bool {
    let zone = zone_name.strip_suffix('.').unwrap_or(zone_name);
    same_name(hostname, zone)
        || (hostname.len() > zone.len() + 1
            && hostname.is_char_boundary(hostname.len() - zone.len() - 1)
            && hostname[hostname.len() - zone.len() - 1..]
                .eq_ignore_ascii_case(&format!(".{zone}")))
}

#[cfg(test)]
mod tests {
    use super::inside;

    #[test]
    fn host_must_lie_inside_the_zone() {
        assert!(inside("app.example.com", "example.com."));
        assert!(inside("example.com", "Example.COM."));
        assert!(inside("a.b.example.com", "example.com"));
        assert!(!inside("app.badexample.com", "example.com."));
        assert!(!inside("app.example.org", "example.com."));
        assert!(!inside("com", "example.com."));
    }
}
