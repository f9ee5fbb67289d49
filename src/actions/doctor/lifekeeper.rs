//! The doctor's checks of the LifeKeeper side: the settings file, the LCD
//! commands and the type registration, the resource and its IP child,
//! each assumption about LifeKeeper that no document confirms (checked on
//! this node), and the equivalency rows on both nodes.

use std::time::Instant;

use super::check::Check;
use crate::lcd::{DepLayout, Instance, Lcd, NoMatch};
use crate::resource::{self, Found, ResourceError};
use crate::settings::Settings;

const LCD_COMMANDS: &[&str] = &[
    "ins_list",
    "dep_list",
    "ins_create",
    "ins_remove",
    "dep_create",
    "dep_remove",
    "eqv_list",
];

/// One check per problem of the settings file.
pub(super) fn settings_checks(s: &Settings) -> Vec<Check> {
    if s.warnings.is_empty() {
        return vec![Check::pass(
            "settings",
            format!("{} read without a problem", s.path.display()),
        )];
    }
    s.warnings
        .iter()
        .map(|w| {
            Check::fail(
                "settings",
                w.0.clone(),
                "fix or remove the line named; until then the default shown is used",
            )
        })
        .collect()
}

/// The LCD commands, present and answering.
pub(super) async fn lcd_check(lcd: &impl Lcd) -> Check {
    let missing: Vec<&str> = LCD_COMMANDS
        .iter()
        .copied()
        .filter(|c| !lcd.has(c))
        .collect();
    if !missing.is_empty() {
        return Check::fail(
            "LCD",
            format!(
                "missing or not executable in {}/bin: {}",
                lcd.root().display(),
                missing.join(", ")
            ),
            "is LifeKeeper installed, and LKROOT set to its folder (default /opt/LifeKeeper)?",
        );
    }
    let start = Instant::now();
    match lcd.instances_of(resource::APP, resource::TYPE).await {
        Ok(list) => Check::pass(
            "LCD",
            format!(
                "commands in {}/bin answer ({} Route 53 resources, {} ms)",
                lcd.root().display(),
                list.len(),
                start.elapsed().as_millis()
            ),
        ),
        Err(e) => Check::fail(
            "LCD",
            e.to_string(),
            "is LifeKeeper running? check lcdstatus and /var/log/lifekeeper.log",
        ),
    }
}

/// Whether the kit's resource type is registered (`typ_list -a gen`).
pub(super) async fn type_check(lcd: &impl Lcd) -> Check {
    let name = format!("{}/{}", resource::APP, resource::TYPE);
    if !lcd.has("typ_list") {
        return Check::info(
            "LCD type",
            format!(
                "no typ_list in {}/bin: whether {name} is registered is not known",
                lcd.root().display()
            ),
        );
    }
    let remedy = format!(
        "create and extend register it; by hand: {root}/bin/app_create -a {app}; {root}/bin/typ_create -a {app} -r {rtype}",
        root = lcd.root().display(),
        app = resource::APP,
        rtype = resource::TYPE
    );
    match lcd.typ_list(resource::APP).await {
        Ok(types) if types.iter().any(|t| t == resource::TYPE) => {
            Check::pass("LCD type", format!("resource type {name} is registered"))
        }
        Ok(types) => Check::fail(
            "LCD type",
            format!(
                "resource type {name} is not registered (typ_list -a {} lists {})",
                resource::APP,
                if types.is_empty() {
                    "none".to_string()
                } else {
                    types.join(", ")
                }
            ),
            &remedy,
        ),
        Err(e) if e.is_no_match() => Check::fail(
            "LCD type",
            format!(
                "resource type {name} is not registered (no application {}: {e})",
                resource::APP
            ),
            &remedy,
        ),
        Err(e) => Check::fail("LCD type", e.to_string(), "check lcdstatus"),
    }
}

/// The facts about LifeKeeper that no document confirms, checked on this
/// node: the fields of ins_list, which dep_list field is the parent, the
/// switchback field, how a query that matches nothing ends, and the
/// equivalency rows on both nodes.
pub(super) async fn lcd_assumptions(lcd: &impl Lcd, inst: &Instance) -> Vec<Check> {
    let mut out = vec![if inst.fields >= 7 {
        Check::pass(
            "LCD",
            format!(
                "ins_list prints {} fields a line; info is field 6 and state field 7, as documented",
                inst.fields
            ),
        )
    } else {
        Check::fail(
            "LCD",
            format!(
                "ins_list prints {} fields a line, fewer than the documented 7",
                inst.fields
            ),
            "send `lkroute53 doctor TAG --capture FILE` with the support case",
        )
    }];
    out.push(match lcd.children_and_layout(&inst.tag).await {
        Ok((_, Some(DepLayout::ParentFirst))) => Check::pass(
            "LCD",
            "dep_list prints the parent first, as documented".into(),
        ),
        Ok((_, Some(DepLayout::ChildFirst))) => Check::info(
            "LCD",
            "dep_list prints the child first (documented: the parent); the kit reads either".into(),
        ),
        Ok((_, None)) => Check::info(
            "LCD",
            format!(
                "dep_list -c {} lists nothing: its field order not seen",
                inst.tag
            ),
        ),
        Err(e) => Check::fail("LCD", e.to_string(), "as the message says"),
    });
    out.push(Check::info(
        "LCD",
        match &inst.switchback {
            Some(s) => format!("switchback type {} read from a field of ins_list", s.as_lcd()),
            None => "no field of ins_list reads INTELLIGENT or AUTOMATIC: extend uses intelligent unless --switchback says otherwise".into(),
        },
    ));
    out.push(match lcd.no_match_form().await {
        Ok(NoMatch::Empty) => Check::info("LCD", "a query that matches nothing exits 0 with no output".into()),
        Ok(NoMatch::Silent(n)) => Check::info(
            "LCD",
            format!("a query that matches nothing exits {n} with no output; the kit reads that as no match"),
        ),
        Ok(NoMatch::NoSuchObject(message)) => Check::info(
            "LCD",
            format!("a query that matches nothing exits 7, \"no such object\" ({message}); the kit reads that as no match"),
        ),
        Err(e) => Check::fail("LCD", format!("a query for a tag that does not exist failed: {e}"), "check lcdstatus"),
    });
    out.extend(equivalency_checks(lcd, inst).await);
    out
}

/// Each SHARED equivalency of the resource, and its row on the other node.
async fn equivalency_checks(lcd: &impl Lcd, inst: &Instance) -> Vec<Check> {
    let eqvs = match lcd.equivalencies(&inst.tag).await {
        Ok(e) => e,
        Err(e) => {
            return vec![Check::fail(
                "equivalency",
                e.to_string(),
                "as the message says",
            )]
        }
    };
    if eqvs.is_empty() {
        return vec![Check::info(
            "equivalency",
            "none: the resource is not extended to another node".into(),
        )];
    }
    let mut out = Vec::new();
    for e in eqvs {
        let theirs = lcd
            .remote(&e.other_system)
            .equivalencies(&e.other_tag)
            .await;
        out.push(match theirs {
            Ok(rows) if rows.iter().any(|r| r.other_system == e.system && r.other_tag == inst.tag) => Check::pass(
                "equivalency",
                format!(
                    "{} with {} on {}: the row is on both nodes (priority {} here, {} there)",
                    e.etype, e.other_tag, e.other_system, e.priority, e.other_priority
                ),
            ),
            Ok(_) => Check::fail(
                "equivalency",
                format!(
                    "{} with {} on {}: {} has no row pointing back here",
                    e.etype, e.other_tag, e.other_system, e.other_system
                ),
                "delete the resource on the extended node and extend it again (lkroute53 delete, lkroute53 extend)",
            ),
            Err(err) => Check::fail("equivalency", err.to_string(), "is the other node up and its LifeKeeper running?"),
        });
    }
    out
}

pub(super) fn resource_check(tag: &str, found: &Result<Found, ResourceError>) -> Check {
    let remedy = "as the message says; lkroute53 list shows the Route 53 resources here";
    match found {
        Ok(Found {
            instance,
            resource: r,
            child: Ok(c),
        }) => Check::pass(
            "resource",
            format!(
                "{tag}: zone {}, host name {}, state {}, over IP resource {} holding {} (found in {})",
                r.zone_id, r.hostname, instance.state, c.tag, c.address, c.rule
            ),
        ),
        Ok(Found { child: Err(e), .. }) | Err(e) => Check::fail("resource", e.to_string(), remedy),
    }
}
